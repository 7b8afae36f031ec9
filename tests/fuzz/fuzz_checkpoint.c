/* fuzz_checkpoint.c — parm_ckpt_load on arbitrary bytes into a small slab
 * (views "a" [2,3], decay, and "b" [4]); a failed load must leave the slab
 * untouched (its documented contract), which is checked. */
#include "fuzz.h"

int fuzz_checkpoint(const uint8_t *d, size_t n) {
    const char *p = fuzz_file("ckpt", d, n);
    if (!p) return -1;
    parm_slab s = {0};
    const int64_t sa[2] = {2, 3}, sb[1] = {4};
    if (parm_slab_add(&s, "a", 2, sa, 1) < 0 || parm_slab_add(&s, "b", 1, sb, 0) < 0 || parm_slab_alloc(&s)) abort();
    for (size_t i = 0; i < s.numel; i++) s.w[i] = (float)i;
    long step = -7;
    parm_rng rng = {{1, 2, 3, 4}};
    int rc = parm_ckpt_load(&s, p, &step, &rng);
    if (rc) {
        for (size_t i = 0; i < s.numel; i++)
            if (s.w[i] != (float)i) abort(); /* untouched on error */
        if (step != -7 || rng.s[0] != 1 || rng.s[3] != 4) abort();
    }
    parm_slab_free(&s);
    return rc;
}
#ifdef PARM_LIBFUZZER
FUZZ_ENTRY(checkpoint)
#endif
