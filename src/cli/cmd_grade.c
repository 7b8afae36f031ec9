/* cmd_grade.c — `parm grade DIR`: grade a folder in GenEval layout with the
 * shapes-world grader; write results.jsonl and print the summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"

static void usage(FILE *f) {
    fprintf(f, "usage: parm grade DIR [-o RESULTS.jsonl] [--json]\n\n"
               "Grade images in GenEval layout: DIR/<00000>/metadata.jsonl (one line) and\n"
               "DIR/<00000>/samples/<0000>.png (64x64). Applies GenEval's rules with the\n"
               "shapes-world detector (docs/WORLD.md).\n"
               "  -o FILE   results JSON lines (filename, tag, prompt, correct, reason);\n"
               "            default DIR/results.jsonl; written only if every image grades\n"
               "  --json    print {\"single_object\": ..., ..., \"overall\": ..., \"images\": N}\n"
               "            on stdout instead of the table\n");
}

int cmd_grade(int argc, char **argv) {
    const char *dir = NULL, *out = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) { if (!(v = cli_value(argc, argv, i++))) return 2; out = v; }
        else if (a[0] == '-' && a[1]) return cli_unknown("grade", a);
        else if (!dir) dir = a;
        else { fprintf(stderr, "parm grade: error: one DIR only (got '%s' and '%s')\n", dir, a); return 2; }
    }
    if (!dir) { fprintf(stderr, "parm grade: error: DIR is required (see parm grade --help)\n"); return 2; }
    char def[1024];
    if (!out) { snprintf(def, sizeof def, "%s/results.jsonl", dir); out = def; }
    parm_grade_item *items;
    int n;
    parm_score sc;
    if (parm_geneval_scan(dir, &items, &n)) return cli_fail();
    cli_out o; /* checked before grading */
    if (cli_output(&o, "-o", out, 0)) { free(items); return 2; }
    double t0 = parm_now();
    int rc = parm_grade_items(items, n, out, &sc);
    free(items);
    if (rc) return cli_fail();
    int r = cli_print_score(&sc, json);
    if (!r && !json) fprintf(stderr, "parm grade: %d images in %.2f s; results in %s\n", n, parm_now() - t0, out);
    return r;
}
