/* ops_internal.h — helpers shared by the ops_*.c files (not public API).
 *
 * parm_expf: a branch-free expf (Cephes polynomial, ≤ 2 ulp on the clamped
 * range [-87.3, 88.7]) written so gcc auto-vectorises loops that call it
 * (glibc's expf only vectorises under -ffast-math). Inputs below -87.3
 * (including −inf) give exactly 0, above 88.7 give ~3.4e38 rather than inf;
 * NaN propagates. */
#ifndef PARM_OPS_INTERNAL_H
#define PARM_OPS_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* parm_scratch slots reserved for ops (callers must not hold these across an op call) */
enum { OPS_SCRATCH_A = 5, OPS_SCRATCH_B = 6, OPS_SCRATCH_C = 7 };

static inline float parm_expf(float x) {
    float keep = x < -87.3f ? 0.0f : 1.0f; /* underflow (and −inf) → exactly 0 */
    x = x < -87.3f ? -87.3f : x; /* ternaries, not fminf/fmaxf: those are libm calls */
    x = x > 88.7f ? 88.7f : x;
    float t = x * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f; /* round to nearest (|t| < 2^22) */
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    p = p * r * r + r + 1.0f;
    int32_t i = ((int32_t)n + 127) << 23; /* 2^n */
    float f;
    memcpy(&f, &i, sizeof f);
    return p * f * keep;
}

/* OpenBLAS thread control (the pthread build's own API; see ops_blas.c). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

#endif
