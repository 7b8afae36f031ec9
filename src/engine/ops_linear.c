/* ops_linear.c — linear (fully connected) and embedding ops.
 *
 *   linear:    out[N,OC] = inp[N,C] · w[OC,C]ᵀ + b[OC]
 *   embedding: out[N,C]  = table[ids[n], :]
 *
 * Each matmul is ONE parm_sgemm over the whole [N,·] batch (forward, dinp,
 * dweight), so BLAS sees big, well-shaped problems (split over threads by parm_sgemm). Backward accumulates
 * (beta = 1) and skips NULL gradients. w goes in as a weight matrix
 * (parm_sgemm_w: on oneDNN reordered once per weight change, for forward and
 * for dinp); dweight's operands are activations, passed as strided views. */
#include <string.h>

#include "parm/ops.h"

/* out[N,OC] = inp[N,C] · w[OC,C]ᵀ (+ b[OC]); the bias is written by each
 * thread into its own panel just before its sgemm (one parallel region) */
void parm_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int C, int OC) {
    parm_sgemm_w(0, 1, N, OC, C, 1.0f, inp, C, w, C, 0.0f, out, OC, b);
}

/* dinp[N,C] += dout[N,OC]·w[OC,C];  dw[OC,C] += dout[N,OC]ᵀ·inp[N,C];  db[OC] += Σ_n dout[n,:] */
void parm_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                     int N, int C, int OC) {
    if (dinp) parm_sgemm_w(0, 0, N, C, OC, 1.0f, dout, OC, w, C, 1.0f, dinp, C, NULL);
    if (dw) parm_sgemm(1, 0, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dw, C);
    if (db) {
        /* column sums; threads own disjoint column blocks (deterministic) */
        enum { CB = 64 };
        int nblk = (OC + CB - 1) / CB;
#pragma omp parallel for if ((long)N * OC > 65536)
        for (int blk = 0; blk < nblk; blk++) {
            int o0 = blk * CB, o1 = o0 + CB < OC ? o0 + CB : OC;
            float acc[CB];
            for (int o = o0; o < o1; o++) acc[o - o0] = 0.0f;
            for (int n = 0; n < N; n++) {
                const float *d = dout + (size_t)n * OC;
                for (int o = o0; o < o1; o++) acc[o - o0] += d[o];
            }
            for (int o = o0; o < o1; o++) db[o] += acc[o - o0];
        }
    }
}

/* out[N,C] = table[ids[n], :]   table [V,C] */
void parm_embedding_forward(float *out, const int *ids, const float *table, int N, int C) {
#pragma omp parallel for if ((long)N * C > 65536)
    for (int n = 0; n < N; n++) memcpy(out + (size_t)n * C, table + (size_t)ids[n] * C, (size_t)C * sizeof(float));
}

/* dtable[ids[n], :] += dout[n, :]. Repeated ids make rows collide, so rows are
 * accumulated serially, in order (deterministic); threads split the channels. */
void parm_embedding_backward(float *dtable, const float *dout, const int *ids, int N, int C) {
    if (!dtable) return;
    enum { CB = 64 };
    int nblk = (C + CB - 1) / CB;
#pragma omp parallel for if ((long)N * C > 262144)
    for (int blk = 0; blk < nblk; blk++) {
        int c0 = blk * CB, c1 = c0 + CB < C ? c0 + CB : C;
        for (int n = 0; n < N; n++) {
            float *t = dtable + (size_t)ids[n] * C;
            const float *d = dout + (size_t)n * C;
            for (int c = c0; c < c1; c++) t[c] += d[c];
        }
    }
}
