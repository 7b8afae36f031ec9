/* ops_vq.c — vector quantisation with a straight-through estimator.
 *
 *   z [B,D,S] (channel-first: the vector at (b,s) is z[b,:,s]), codebook [K,D]
 *   forward: idx[B,S] = argmin_k ‖z_bs − e_k‖² (lowest k on ties); zq[B,D,S] = e_idx
 *   parm_vq_loss: codebook = mean((sg(z) − zq)²), commit = mean((z − sg(zq))²)
 *            over B·D·S; total = codebook + β·commit (numerically (1+β)·mean((z−zq)²))
 *   backward (n = B·D·S):
 *     dz        += dzq + dloss·β·2(z − zq)/n        (straight-through + commitment)
 *     dcodebook[idx] += dloss·2(zq − z)/n          (codebook term)
 *
 * Distances are computed directly as Σ_d (z_d − e_kd)² (exact argmin, no
 * ‖z‖² − 2z·e + ‖e‖² cancellation), OpenMP-parallel over the B·S vectors,
 * SIMD over codes (the codebook is transposed once per call into scratch). */
#include "ops_internal.h"
#include "parm/base.h"
#include "parm/ops.h"

int parm_vq_forward(float *zq, int *idx, const float *z, const float *codebook, int B, int D, int S, int K) {
    /* codebook transposed to et[D,K] so the distance loop runs over k (contiguous, SIMD) */
    float *et = parm_scratch(OPS_SCRATCH_C, (size_t)D * K);
    if (!et) return PARM_ERR("vq: out of memory for a %d x %d codebook copy", D, K);
    int oom = 0;
    for (int k = 0; k < K; k++)
        for (int d = 0; d < D; d++) et[(size_t)d * K + k] = codebook[(size_t)k * D + d];
#pragma omp parallel for schedule(dynamic, 16) if ((long)B * S * K * D > 65536)
    for (long bs = 0; bs < (long)B * S; bs++) {
        long b = bs / S, s = bs % S;
        const float *zb = z + (size_t)b * D * S + s;
        float *dist = parm_scratch(OPS_SCRATCH_A, (size_t)K); /* this thread's */
        if (!dist) {
            oom = 1;
            continue;
        }
        for (int k = 0; k < K; k++) dist[k] = 0.0f;
        for (int d = 0; d < D; d++) { /* dist[k] = Σ_d (z_d − e_kd)², summed in d order */
            float v = zb[(size_t)d * S];
            const float *e = et + (size_t)d * K;
#pragma omp simd
            for (int k = 0; k < K; k++) {
                float t = v - e[k];
                dist[k] += t * t;
            }
        }
        int best = 0;
        float bestd = dist[0];
        for (int k = 1; k < K; k++)
            if (dist[k] < bestd) bestd = dist[k], best = k; /* strict: lowest k wins ties */
        idx[bs] = best;
        const float *e = codebook + (size_t)best * D;
        float *qb = zq + (size_t)b * D * S + s;
        for (int d = 0; d < D; d++) qb[(size_t)d * S] = e[d];
    }
    return oom ? PARM_ERR("vq: out of memory for %d distances", K) : 0;
}

float parm_vq_loss(const float *z, const float *zq, int B, int D, int S, float beta) {
    long n = (long)B * D * S;
    double acc = 0.0;
    for (long i = 0; i < n; i++) {
        double t = (double)z[i] - zq[i];
        acc += t * t;
    }
    return n > 0 ? (float)((1.0 + beta) * acc / n) : 0.0f;
}

void parm_vq_backward(float *dz, float *dcodebook, const float *dzq, float dloss, const float *z, const float *zq,
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
