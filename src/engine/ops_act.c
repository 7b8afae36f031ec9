/* ops_act.c — elementwise activations and the residual add (n elements each).
 *
 *   gelu (tanh approx.): y = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
 *   silu:                y = x·σ(x)
 *   sigmoid:             y = σ(x) = 1/(1 + e^−x)   (backward uses the saved y)
 *   residual:            out = a + b
 *
 * Loops are OpenMP-parallel and SIMD-vectorised (parm_expf is branch-free). */
#include "ops_internal.h"
#include "parm/ops.h"

#define GELU_K 0.7978845608028654f /* √(2/π) */
#define GELU_C 0.044715f
#define PAR_N 16384 /* below this, threading costs more than it saves */

/* tanh(u) = 1 − 2/(e^{2u} + 1) */
static inline float tanh_fast(float u) { return 1.0f - 2.0f / (parm_expf(2.0f * u) + 1.0f); }

void parm_gelu_forward(float *out, const float *inp, long n) {
#pragma omp parallel for simd if (n > PAR_N)
    for (long i = 0; i < n; i++) {
        float x = inp[i];
        float t = tanh_fast(GELU_K * (x + GELU_C * x * x * x));
        out[i] = 0.5f * x * (1.0f + t);
    }
}

void parm_gelu_backward(float *dinp, const float *dout, const float *inp, long n) {
    if (!dinp) return;
#pragma omp parallel for simd if (n > PAR_N)
    for (long i = 0; i < n; i++) {
        float x = inp[i];
        float t = tanh_fast(GELU_K * (x + GELU_C * x * x * x));
        float g = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_K * (1.0f + 3.0f * GELU_C * x * x);
        dinp[i] += g * dout[i];
    }
}

void parm_silu_forward(float *out, const float *inp, long n) {
#pragma omp parallel for simd if (n > PAR_N)
    for (long i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = x / (1.0f + parm_expf(-x));
    }
}

void parm_silu_backward(float *dinp, const float *dout, const float *inp, long n) {
    if (!dinp) return;
#pragma omp parallel for simd if (n > PAR_N)
    for (long i = 0; i < n; i++) {
        float x = inp[i];
        float s = 1.0f / (1.0f + parm_expf(-x));
        dinp[i] += dout[i] * s * (1.0f + x * (1.0f - s));
    }
}

void parm_sigmoid_forward(float *out, const float *inp, long n) {
#pragma omp parallel for simd if (n > PAR_N)
    for (long i = 0; i < n; i++) out[i] = 1.0f / (1.0f + parm_expf(-inp[i]));
}

void parm_sigmoid_backward(float *dinp, const float *dout, const float *out, long n) {
    if (!dinp) return;
#pragma omp parallel for simd if (n > PAR_N)
    for (long i = 0; i < n; i++) dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
}

void parm_residual_forward(float *out, const float *a, const float *b, long n) {
#pragma omp parallel for simd if (n > PAR_N)
    for (long i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void parm_residual_backward(float *da, float *db, const float *dout, long n) {
    if (da) {
#pragma omp parallel for simd if (n > PAR_N)
        for (long i = 0; i < n; i++) da[i] += dout[i];
    }
    if (db) {
#pragma omp parallel for simd if (n > PAR_N)
        for (long i = 0; i < n; i++) db[i] += dout[i];
    }
}
