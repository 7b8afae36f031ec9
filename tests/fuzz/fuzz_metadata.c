/* fuzz_metadata.c — GenEval metadata JSONL (parm_prompts_load, as grade and
 * bench read <dir>/<NNNNN>/metadata.jsonl and --meta files): every loaded
 * prompt must re-serialise (parm_prompt_to_json) and read back equal. */
#include "fuzz.h"

int fuzz_metadata(const uint8_t *d, size_t n) {
    const char *p = fuzz_file("meta", d, n);
    if (!p) return -1;
    parm_prompt *ps = NULL;
    int np = 0;
    if (parm_prompts_load(p, &ps, &np)) {
        if (ps || np) abort();
        return -1;
    }
    for (int i = 0; i < np; i++) {
        char buf[4096];
        parm_prompt q;
        if (parm_prompt_to_json(&ps[i], buf, sizeof buf, 1) || parm_prompt_from_json(buf, &q)) abort();
        if (strcmp(q.text, ps[i].text) || q.tag != ps[i].tag) abort();
    }
    free(ps);
    return 0;
}
#ifdef PARM_LIBFUZZER
FUZZ_ENTRY(metadata)
#endif
