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
    uint8_t *c = malloc(n);
    if (!c) return -1;
    memcpy(c, d, n);
    fz_put32(c + 60, fz_fnv(2166136261u, c, 60));
    size_t R = fz_get32(c + 32);
    if (R > 176)
        for (size_t off = 64; off + R <= n; off += R)
            fz_put32(c + off + 172, fz_fnv(fz_fnv(2166136261u, c + off, 172), c + off + 176, R - 176));
    int rc2 = load_one(c, n);
    free(c);
    return rc || rc2 ? -1 : 0;
}
#ifdef PARM_LIBFUZZER
FUZZ_ENTRY(pathset)
#endif
