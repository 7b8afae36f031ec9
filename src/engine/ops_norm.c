/* ops_norm.c — normalisation ops.
 *
 *   layernorm: inp[N,C] → out[N,C], per row: (x − mean)·rstd·w + b, eps 1e-5
 *   rmsnorm:   inp[N,C] → out[N,C], per row: x·rstd·w, rstd = 1/√(mean(x²)+eps), eps 1e-6
 *   groupnorm: inp[B,C,S] → out[B,C,S], per (b, group of C/G channels), eps 1e-5,
 *              then per-channel w[C], b[C]
 *
 * Backward: the input gradient is computed row-parallel (each row/group is
 * independent); the weight/bias gradients are reductions over rows, computed
 * in a second pass where each thread owns a disjoint block of channels, so the
 * result does not depend on the thread count (bit-reproducible). */
#include <math.h>
#include <stddef.h>

#include "parm/ops.h"

#define LN_EPS 1e-5f
#define RMS_EPS 1e-6f
#define GN_EPS 1e-5f
enum { CB = 64 }; /* channel block for the weight-gradient pass */

/* ---- layernorm ---------------------------------------------------------- */

/* out[N,C], mean[N], rstd[N] (both may be NULL at inference) */
void parm_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                       int N, int C) {
#pragma omp parallel for if ((long)N * C > 32768)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        float m = 0.0f;
#pragma omp simd reduction(+ : m)
        for (int i = 0; i < C; i++) m += x[i];
        m /= C;
        float v = 0.0f;
#pragma omp simd reduction(+ : v)
        for (int i = 0; i < C; i++) {
            float d = x[i] - m;
            v += d * d;
        }
        v /= C;
        float s = 1.0f / sqrtf(v + LN_EPS);
        if (b)
            for (int i = 0; i < C; i++) o[i] = (x[i] - m) * s * w[i] + b[i];
        else
            for (int i = 0; i < C; i++) o[i] = (x[i] - m) * s * w[i];
        if (mean) mean[n] = m;
        if (rstd) rstd[n] = s;
    }
}

void parm_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                        const float *mean, const float *rstd, int N, int C) {
    if (dinp) {
#pragma omp parallel for if ((long)N * C > 32768)
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
            float *dx = dinp + (size_t)n * C;
            float m = mean[n], s = rstd[n];
            /* dnorm = w·dout; dx = s·(dnorm − mean(dnorm) − xhat·mean(dnorm·xhat)) */
            float sd = 0.0f, sdx = 0.0f;
#pragma omp simd reduction(+ : sd, sdx)
            for (int i = 0; i < C; i++) {
                float dn = w[i] * d[i];
                sd += dn;
                sdx += dn * (x[i] - m) * s;
            }
            sd /= C;
            sdx /= C;
            for (int i = 0; i < C; i++) {
                float xh = (x[i] - m) * s;
                dx[i] += (w[i] * d[i] - sd - xh * sdx) * s;
            }
        }
    }
    if (dw || db) {
        int nblk = (C + CB - 1) / CB;
#pragma omp parallel for if ((long)N * C > 32768)
        for (int blk = 0; blk < nblk; blk++) {
            int c0 = blk * CB, c1 = c0 + CB < C ? c0 + CB : C;
            float aw[CB] = {0}, ab[CB] = {0};
            for (int n = 0; n < N; n++) {
                const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
                float m = mean[n], s = rstd[n];
                for (int c = c0; c < c1; c++) {
                    aw[c - c0] += d[c] * (x[c] - m) * s;
                    ab[c - c0] += d[c];
                }
            }
            for (int c = c0; c < c1; c++) {
                if (dw) dw[c] += aw[c - c0];
                if (db) db[c] += ab[c - c0];
            }
        }
    }
}

/* ---- rmsnorm -------------------------------------------------------------- */

/* out[N,C], rstd[N] (may be NULL) */
void parm_rmsnorm_forward(float *out, float *rstd, const float *inp, const float *w, int N, int C) {
#pragma omp parallel for if ((long)N * C > 32768)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
        for (int i = 0; i < C; i++) ss += x[i] * x[i];
        float s = 1.0f / sqrtf(ss / C + RMS_EPS);
        for (int i = 0; i < C; i++) o[i] = x[i] * s * w[i];
        if (rstd) rstd[n] = s;
    }
}

void parm_rmsnorm_backward(float *dinp, float *dw, const float *dout, const float *inp, const float *w, const float *rstd,
                      int N, int C) {
    if (dinp) {
#pragma omp parallel for if ((long)N * C > 32768)
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
            float *dx = dinp + (size_t)n * C;
            float s = rstd[n];
            /* dx = s·w·d − x·s³·mean(w·d·x) */
            float sdx = 0.0f;
#pragma omp simd reduction(+ : sdx)
            for (int i = 0; i < C; i++) sdx += w[i] * d[i] * x[i];
            float k = s * s * s * sdx / C;
            for (int i = 0; i < C; i++) dx[i] += s * w[i] * d[i] - x[i] * k;
        }
    }
    if (dw) {
        int nblk = (C + CB - 1) / CB;
#pragma omp parallel for if ((long)N * C > 32768)
        for (int blk = 0; blk < nblk; blk++) {
            int c0 = blk * CB, c1 = c0 + CB < C ? c0 + CB : C;
            float aw[CB] = {0};
            for (int n = 0; n < N; n++) {
                const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
                float s = rstd[n];
                for (int c = c0; c < c1; c++) aw[c - c0] += d[c] * x[c] * s;
            }
            for (int c = c0; c < c1; c++) dw[c] += aw[c - c0];
        }
    }
}

/* ---- groupnorm ------------------------------------------------------------ */

/* inp[B,C,S] → out[B,C,S]; mean[B,G], rstd[B,G] (may be NULL). The CG = C/G
 * channels of group g are the contiguous span [g·CG·S, (g+1)·CG·S) of a sample. */
void parm_groupnorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b, int B,
                       int C, int S, int G) {
    int CG = C / G;
    long gsz = (long)CG * S;
#pragma omp parallel for if ((long)B * C * S > 32768)
    for (int bg = 0; bg < B * G; bg++) {
        int g = bg % G;
        const float *x = inp + (size_t)bg * gsz;
        float *o = out + (size_t)bg * gsz;
        double m = 0.0;
#pragma omp simd reduction(+ : m)
        for (long i = 0; i < gsz; i++) m += x[i];
        m /= gsz;
        double v = 0.0;
#pragma omp simd reduction(+ : v)
        for (long i = 0; i < gsz; i++) {
            double d = x[i] - m;
            v += d * d;
        }
        v /= gsz;
        float mf = (float)m, s = (float)(1.0 / sqrt(v + GN_EPS));
        for (int cc = 0; cc < CG; cc++) {
            int c = g * CG + cc;
            float a = s * w[c], bb = (b ? b[c] : 0.0f) - mf * s * w[c];
            const float *xc = x + (size_t)cc * S;
            float *oc = o + (size_t)cc * S;
            for (int i = 0; i < S; i++) oc[i] = xc[i] * a + bb;
        }
        if (mean) mean[bg] = mf;
        if (rstd) rstd[bg] = s;
    }
}

void parm_groupnorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                        const float *mean, const float *rstd, int B, int C, int S, int G) {
    int CG = C / G;
    long gsz = (long)CG * S;
    if (dinp) {
#pragma omp parallel for if ((long)B * C * S > 32768)
        for (int bg = 0; bg < B * G; bg++) {
            int g = bg % G;
            const float *x = inp + (size_t)bg * gsz, *d = dout + (size_t)bg * gsz;
            float *dx = dinp + (size_t)bg * gsz;
            float m = mean[bg], s = rstd[bg];
            double sd = 0.0, sdx = 0.0;
            for (int cc = 0; cc < CG; cc++) {
                float wc = w[g * CG + cc];
                const float *xc = x + (size_t)cc * S, *dc = d + (size_t)cc * S;
                float a = 0.0f, ax = 0.0f;
#pragma omp simd reduction(+ : a, ax)
                for (int i = 0; i < S; i++) {
                    float dn = wc * dc[i];
                    a += dn;
                    ax += dn * (xc[i] - m) * s;
                }
                sd += a;
                sdx += ax;
            }
            float sdm = (float)(sd / gsz), sdxm = (float)(sdx / gsz);
            for (int cc = 0; cc < CG; cc++) {
                float wc = w[g * CG + cc];
                const float *xc = x + (size_t)cc * S, *dc = d + (size_t)cc * S;
                float *dxc = dx + (size_t)cc * S;
                for (int i = 0; i < S; i++) dxc[i] += (wc * dc[i] - sdm - (xc[i] - m) * s * sdxm) * s;
            }
        }
    }
    if (dw || db) {
#pragma omp parallel for if ((long)B * C * S > 32768)
        for (int c = 0; c < C; c++) {
            int g = c / CG;
            float aw = 0.0f, ab = 0.0f;
            for (int bb = 0; bb < B; bb++) {
                const float *xc = inp + ((size_t)bb * C + c) * S, *dc = dout + ((size_t)bb * C + c) * S;
                float m = mean[bb * G + g], s = rstd[bb * G + g];
                float tw = 0.0f, tb = 0.0f;
#pragma omp simd reduction(+ : tw, tb)
                for (int i = 0; i < S; i++) {
                    tw += dc[i] * (xc[i] - m) * s;
                    tb += dc[i];
                }
                aw += tw;
                ab += tb;
            }
            if (dw) dw[c] += aw;
            if (db) db[c] += ab;
        }
    }
}
