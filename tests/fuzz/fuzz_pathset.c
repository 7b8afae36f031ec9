/* fuzz_pathset.c — parm_pathset_load on arbitrary bytes, twice: as given,
 * and with the header and record FNV-1a checksums recomputed (so mutations
 * reach the checks behind them: sizes, prompts, flags, class values). */
#include "fuzz.h"
#include "parm/pathset.h"

static int load_one(const uint8_t *d, size_t n) {
    const char *p = fuzz_file("pset", d, n);
    if (!p) return -1;
    parm_pathset s;
    int rc = parm_pathset_load(&s, p);
    if (rc == 0) {
        if (s.n != s.n_prompts * s.paths_per_prompt || s.T < 1) abort();
        uint8_t rgb[PARM_PATHSET_PIX * 3];
        for (int i = 0; i < s.n; i++) parm_pathset_rgb(&s, i, s.T - 1, rgb);
        int first;
        (void)parm_pathset_count_test(&s, &first);
        parm_pathset_free(&s);
    }
    return rc;
}

int fuzz_pathset(const uint8_t *d, size_t n) {
    int rc = load_one(d, n);
    if (n < 64) return rc;
    uint8_t *c = fuzz_fix_checksums(d, n);
    if (!c) return -1;
    int rc2 = load_one(c, n);
    free(c);
    return rc || rc2 ? -1 : 0;
}
#ifdef PARM_LIBFUZZER
FUZZ_ENTRY(pathset)
#endif
