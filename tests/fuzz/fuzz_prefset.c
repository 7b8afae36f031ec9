/* fuzz_prefset.c — parm_prefset_load (DPO preference sets, PARMPREF) on
 * arbitrary bytes, twice: as given, and with the header and record FNV-1a
 * checksums recomputed (the same scheme as path sets), so mutations reach
 * the checks behind them: sizes, prompts (test prompts refused), verdicts,
 * tokens, and the pair enumeration of whatever loads. */
#include "fuzz.h"
#include "parm/prefset.h"

static int prefset_load_one(const uint8_t *d, size_t n) {
    const char *p = fuzz_file("pref", d, n);
    if (!p) return -1;
    parm_prefset s;
    int rc = parm_prefset_load(&s, p);
    if (rc == 0) {
        if (s.n != s.n_prompts * s.paths_per_prompt || s.n < 1) abort();
        for (int i = 0; i < s.n; i++) {
            if (s.verdict[i] > 1 || parm_prompt_is_test(&s.prompt[i])) abort();
            for (int k = 0; k < 256; k++)
                if (s.tokens[(size_t)i * 256 + k] >= s.ncodes) abort();
        }
        parm_pref_pair *pairs = NULL;
        int np = parm_prefset_pairs(&s, 4, &pairs);
        for (int i = 0; i < np; i++)
            if (pairs[i].chosen < 0 || pairs[i].chosen >= s.n || pairs[i].rejected < 0 || pairs[i].rejected >= s.n ||
                !s.verdict[pairs[i].chosen] || s.verdict[pairs[i].rejected] ||
                pairs[i].chosen / s.paths_per_prompt != pairs[i].rejected / s.paths_per_prompt)
                abort();
        free(pairs);
        parm_prefset_free(&s);
    }
    return rc;
}

int fuzz_prefset(const uint8_t *d, size_t n) {
    int rc = prefset_load_one(d, n);
    if (n < 64) return rc;
    uint8_t *c = fuzz_fix_checksums(d, n);
    if (!c) return -1;
    int rc2 = prefset_load_one(c, n);
    free(c);
    return rc || rc2 ? -1 : 0;
}
#ifdef PARM_LIBFUZZER
FUZZ_ENTRY(prefset)
#endif
