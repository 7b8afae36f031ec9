/* bench_prompts.c — the prompts a `parm bench` run generates: GenEval
 * metadata JSONL (--metadata, default the committed benchmark) or plain text
 * (--prompts-file: one prompt of the world's grammar per line; blank lines
 * and lines starting with '#' are skipped). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"

int cli_load_prompts(const char *meta, const char *prompts_file, parm_prompt **ps, int *np) {
    if (!prompts_file) return parm_prompts_load(meta, ps, np);
    char *data = NULL;
    if (parm_read_file(prompts_file, &data, NULL)) return -1;
    int cap = 64, n = 0, line = 0, rc = 0;
    parm_prompt *out = parm_malloc(sizeof *out * cap);
    if (!out) { free(data); return -1; }
    for (char *l = data, *nl; *l && !rc; l = nl ? nl + 1 : l + strlen(l)) {
        nl = strchr(l, '\n');
        if (nl) *nl = 0;
        line++;
        size_t k = strlen(l);
        while (k && (l[k - 1] == '\r' || l[k - 1] == ' ' || l[k - 1] == '\t')) l[--k] = 0;
        while (*l == ' ' || *l == '\t') l++;
        if (!*l || *l == '#') continue;
        if (n == cap) {
            parm_prompt *q = parm_realloc(out, sizeof *out * (cap *= 2));
            if (!q) { rc = -1; break; }
            out = q;
        }
        if (parm_prompt_parse(l, &out[n])) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", parm_last_error());
            rc = PARM_ERR("%s:%d: '%s': %s", prompts_file, line, l, msg);
        } else n++;
    }
    free(data);
    if (!rc && !n) rc = PARM_ERR("%s has no prompts (one prompt per line, e.g. \"a photo of a red star\")", prompts_file);
    if (rc) { free(out); return -1; }
    *ps = out;
    *np = n;
    return 0;
}
