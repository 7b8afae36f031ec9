/* ops_attention.c — multi-head self-attention core (no projections).
 *
 *   qkv [B,T,3C] → out [B,T,C], saved probabilities att [B,NH,T,T]
 *   per (b,h), with Q,K,V [T,hs] strided views of qkv (row stride 3C):
 *     S = Q·Kᵀ/√hs;  P = softmax(S masked by mask[b]) (disallowed keys → 0);
 *     O = P·V written into out[b, :, h·hs : (h+1)·hs]
 *   backward:
 *     dP = dO·Vᵀ;  dV += Pᵀ·dO;  dS = P ⊙ (dP − rowsum(P ⊙ dP));
 *     dQ += dS·K/√hs;  dK += dSᵀ·Q/√hs
 *
 * The matmuls (2 forward, 4 backward per (b,h)) are parm_sgemm calls on
 * strided views (no copies), through the matmul entry point (products this
 * small stay on OpenBLAS under every backend: see DNNL_MIN_NK). (b,h)
 * pairs are independent and write disjoint slices of out / dqkv, so they run
 * OpenMP-parallel, each parm_sgemm serial in its thread (see ops_blas.c). */
#include <math.h>
#include <string.h>

#include "ops_internal.h"
#include "parm/base.h"
#include "parm/ops.h"

/* In-place masked softmax of one row x[T]; m = mask row (NULL = all allowed).
 * Disallowed keys become −inf, whose parm_expf is exactly 0. Branch-free,
 * 16 float lanes per step (simdlen keeps the uint8 mask loads at 16 lanes, so
 * T = 80 runs with no scalar remainder). */
static inline void softmax_row(float *x, const uint8_t *m, int T) {
    float mx = -INFINITY, sum = 0.0f;
    if (m) {
#pragma omp simd simdlen(16) reduction(max : mx)
        for (int s = 0; s < T; s++) {
            float v = m[s] ? x[s] : -INFINITY;
            x[s] = v;
            mx = v > mx ? v : mx;
        }
        if (mx == -INFINITY) { /* no allowed key: zero output, zero gradient */
            memset(x, 0, (size_t)T * sizeof(float));
            return;
        }
    } else {
#pragma omp simd simdlen(16) reduction(max : mx)
        for (int s = 0; s < T; s++) mx = x[s] > mx ? x[s] : mx;
    }
#pragma omp simd simdlen(16) reduction(+ : sum)
    for (int s = 0; s < T; s++) {
        float e = parm_expf(x[s] - mx);
        x[s] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
#pragma omp simd simdlen(16)
    for (int s = 0; s < T; s++) x[s] *= inv;
}

void parm_attention_forward(float *out, float *att, const float *qkv, const uint8_t *mask, int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
#pragma omp parallel for schedule(dynamic, 1)
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        const float *q = qkv + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
        float *a = att + (size_t)bh * T * T;
        const uint8_t *mb = mask ? mask + (size_t)b * T * T : NULL;
        parm_sgemm(0, 1, T, T, hs, scale, q, C3, k, C3, 0.0f, a, T);
        for (int t = 0; t < T; t++) softmax_row(a + (size_t)t * T, mb ? mb + (size_t)t * T : NULL, T);
        parm_sgemm(0, 0, T, hs, T, 1.0f, a, T, v, C3, 0.0f, out + (size_t)b * T * C + h * hs, C);
    }
}

int parm_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att, const uint8_t *mask,
                        int B, int T, int C, int NH) {
    (void)mask; /* masked entries have P = 0, hence dS = 0: the mask is implicit in att */
    if (!dqkv) return 0;
    int oom = 0;
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
#pragma omp parallel for schedule(dynamic, 1)
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        const float *q = qkv + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
        float *dq = dqkv + (size_t)b * T * C3 + h * hs, *dk = dq + C, *dv = dq + 2 * C;
        const float *a = att + (size_t)bh * T * T;
        const float *dO = dout + (size_t)b * T * C + h * hs;
        float *dS = parm_scratch(OPS_SCRATCH_A, (size_t)T * T);
        if (!dS) {
            oom = 1;
            continue;
        }
        /* dP = dO·Vᵀ  [T,T] */
        parm_sgemm(0, 1, T, T, hs, 1.0f, dO, C, v, C3, 0.0f, dS, T);
        /* dV += Pᵀ·dO */
        parm_sgemm(1, 0, T, hs, T, 1.0f, a, T, dO, C, 1.0f, dv, C3);
        /* dS = P ⊙ (dP − Σ_s P·dP) */
        for (int t = 0; t < T; t++) {
            const float *p = a + (size_t)t * T;
            float *d = dS + (size_t)t * T;
            float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
            for (int s = 0; s < T; s++) dot += p[s] * d[s];
#pragma omp simd
            for (int s = 0; s < T; s++) d[s] = p[s] * (d[s] - dot);
        }
        /* dQ += dS·K·scale;  dK += dSᵀ·Q·scale */
        parm_sgemm(0, 0, T, hs, T, scale, dS, T, k, C3, 1.0f, dq, C3);
        parm_sgemm(1, 0, T, hs, T, scale, dS, T, q, C3, 1.0f, dk, C3);
    }
    return oom ? PARM_ERR("attention backward: out of memory for %d x %d scratch", T, T) : 0;
}
