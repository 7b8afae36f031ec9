/* fuzz_safetensors.c — parm_st_open on arbitrary bytes, then every tensor
 * read back as float32 (and I32 ones as int32) and every metadata key looked up. */
#include "fuzz.h"

int fuzz_safetensors(const uint8_t *d, size_t n) {
    const char *p = fuzz_file("st", d, n);
    if (!p) return -1;
    parm_st_file f;
    if (parm_st_open(&f, p)) return -1;
    for (int i = 0; i < f.n; i++) {
        const parm_st_tensor *t = &f.tensors[i];
        if (parm_st_find(&f, t->name) == NULL) abort(); /* every listed tensor is found by name */
        long numel = 0;
        float *x = parm_st_alloc_f32(&f, t->name, &numel);
        if (x && (size_t)numel != t->numel) abort();
        if (x) {
            volatile float sum = 0; /* touch every element */
            for (long k = 0; k < numel; k++) sum += x[k];
            (void)sum;
        }
        free(x);
        if (t->dtype == PARM_I32 && t->numel <= 4096) {
            int32_t buf[4096];
            (void)parm_st_read_i32(&f, t->name, buf, t->ndim, t->shape);
        }
    }
    for (int i = 0; i < f.nmeta; i++)
        if (!parm_st_meta(&f, f.meta_keys[i])) abort();
    parm_st_close(&f);
    return 0;
}
#ifdef PARM_LIBFUZZER
FUZZ_ENTRY(safetensors)
#endif
