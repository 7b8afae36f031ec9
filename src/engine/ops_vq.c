/* ops_vq.c — vector quantisation with a straight-through estimator.
 *
 *   z [B,D,S] (channel-first: the vector at (b,s) is z[b,:,s]), codebook [K,D]
 *   forward: idx[B,S] = argmin_k ‖z_bs − e_k‖² (lowest k on ties); zq[B,D,S] = e_idx
 *   vq_loss: codebook = mean((sg(z) − zq)²), commit = mean((z − sg(zq))²)
 *            over B·D·S; total = codebook + β·commit (numerically (1+β)·mean((z−zq)²))
 *   backward (n = B·D·S):
 *     dz        += dzq + dloss·β·2(z − zq)/n        (straight-through + commitment)
 *     dcodebook[idx] += dloss·2(zq − z)/n          (codebook term)
 *
 * Distances are computed directly as Σ_d (z_d − e_kd)² (exact argmin, no
 * ‖z‖² − 2z·e + ‖e‖² cancellation), OpenMP-parallel over the B·S vectors. */
#include <float.h>

#include "ops_internal.h"
#include "parm/base.h"
#include "parm/ops.h"

void vq_forward(float *zq, int *idx, const float *z, const float *codebook, int B, int D, int S, int K) {
#pragma omp parallel for if ((long)B * S * K * D > 65536)
    for (long bs = 0; bs < (long)B * S; bs++) {
        long b = bs / S, s = bs % S;
        const float *zb = z + (size_t)b * D * S + s;
        float *v = parm_scratch(OPS_SCRATCH_A, (size_t)D); /* this thread's gathered vector */
        for (int d = 0; d < D; d++) v[d] = zb[(size_t)d * S];
        int best = 0;
        float bestd = FLT_MAX;
        for (int k = 0; k < K; k++) {
            const float *e = codebook + (size_t)k * D;
            float dist = 0.0f;
            for (int d = 0; d < D; d++) {
                float t = v[d] - e[d];
                dist += t * t;
            }
            if (dist < bestd) {
                bestd = dist;
                best = k;
            }
        }
        idx[bs] = best;
        const float *e = codebook + (size_t)best * D;
        float *qb = zq + (size_t)b * D * S + s;
        for (int d = 0; d < D; d++) qb[(size_t)d * S] = e[d];
    }
}

float vq_loss(const float *z, const float *zq, int B, int D, int S, float beta) {
    long n = (long)B * D * S;
    double acc = 0.0;
    for (long i = 0; i < n; i++) {
        double t = (double)z[i] - zq[i];
        acc += t * t;
    }
    return n > 0 ? (float)((1.0 + beta) * acc / n) : 0.0f;
}

void vq_backward(float *dz, float *dcodebook, const float *dzq, float dloss, const float *z, const float *zq,
                 const int *idx, int B, int D, int S, int K, float beta) {
    (void)K;
    long n = (long)B * D * S;
    if (n == 0) return;
    if (dz) {
        float c = dloss * beta * 2.0f / n;
#pragma omp parallel for simd if (n > 65536)
        for (long i = 0; i < n; i++) dz[i] += (dzq ? dzq[i] : 0.0f) + c * (z[i] - zq[i]);
    }
    if (dcodebook) {
        /* rows collide when codes repeat: serial over vectors, in order */
        float c = dloss * 2.0f / n;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                float *e = dcodebook + (size_t)idx[(size_t)b * S + s] * D;
                const float *zb = z + (size_t)b * D * S + s, *qb = zq + (size_t)b * D * S + s;
                for (int d = 0; d < D; d++) e[d] += c * (qb[(size_t)d * S] - zb[(size_t)d * S]);
            }
    }
}
