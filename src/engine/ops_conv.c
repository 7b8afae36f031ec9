/* ops_conv.c — 2-D convolution (im2col + sgemm) and nearest ×2 upsampling.
 *
 *   conv2d:     inp [B,IC,H,W], w [OC,IC,K,K], b [OC]|NULL → out [B,OC,HO,WO]
 *               HO = (H + 2·pad − K)/stride + 1, WO likewise
 *   upsample2x: inp [B,C,H,W] → out [B,C,2H,2W] (nearest)
 *
 * conv2d, per image b (KK = IC·K·K, P = HO·WO), images in parallel:
 *   col[KK,P] = im2col(inp[b])          (skipped for K=1, stride 1, pad 0: col = inp[b])
 *   out[b][OC,P] = w[OC,KK] · col + b
 * backward, per image:
 *   dw[OC,KK] += dout[b][OC,P] · colᵀ   (col recomputed: no saved activations)
 *   dcol[KK,P] = wᵀ · dout[b];  dinp[b] += col2im(dcol)
 *   db[OC]    += Σ_P dout[b]
 * Images are processed in parallel (one OpenMP region per call, dynamic
 * schedule), each thread running im2col and a single-threaded sgemm on its
 * own image with its own parm_scratch col/dcol buffers; with B = 1 the region
 * is inactive and parm_sgemm splits the matmul over the threads instead. */
#include <string.h>

#include "ops_internal.h"
#include "parm/base.h"
#include "parm/ops.h"

/* Output columns ow whose input column iw = ow·s − p + kj lies in [0, W):
 * ow ∈ [*lo, *hi). Lets the inner loops run branch-free (and vectorise). */
static inline void ow_range(int WO, int W, int s, int p, int kj, int *lo, int *hi) {
    int a = p - kj, l = a > 0 ? (a + s - 1) / s : 0;
    int b = W - 1 + p - kj, h = b >= 0 ? b / s + 1 : 0;
    *lo = l < WO ? l : WO;
    *hi = h < WO ? h : WO;
    if (*hi < *lo) *hi = *lo;
}

/* col[(ic·K + ki)·K + kj][oh·WO + ow] = inp[ic][oh·s − p + ki][ow·s − p + kj] (0 outside) */
static void im2col(float *col, const float *inp, int IC, int H, int W, int K, int s, int p, int HO, int WO) {
    for (int ic = 0; ic < IC; ic++) {
        const float *x = inp + (size_t)ic * H * W;
        for (int ki = 0; ki < K; ki++)
            for (int kj = 0; kj < K; kj++) {
                float *c = col + ((size_t)(ic * K + ki) * K + kj) * HO * WO;
                int lo, hi;
                ow_range(WO, W, s, p, kj, &lo, &hi);
                for (int oh = 0; oh < HO; oh++) {
                    int ih = oh * s - p + ki;
                    float *cr = c + (size_t)oh * WO;
                    if (ih < 0 || ih >= H) {
                        memset(cr, 0, (size_t)WO * sizeof(float));
                        continue;
                    }
                    const float *xr = x + (size_t)ih * W;
                    int off = kj - p; /* iw = ow·s + off, in [0, W) for ow in [lo, hi) */
                    for (int ow = 0; ow < lo; ow++) cr[ow] = 0.0f;
                    if (s == 1) {
                        if (hi > lo) memcpy(cr + lo, xr + lo + off, (size_t)(hi - lo) * sizeof(float));
                    } else {
                        for (int ow = lo; ow < hi; ow++) cr[ow] = xr[ow * s + off];
                    }
                    for (int ow = hi; ow < WO; ow++) cr[ow] = 0.0f;
                }
            }
    }
}

/* dinp[ic][ih][iw] += dcol[...] — the adjoint of im2col */
static void col2im_add(float *dinp, const float *dcol, int IC, int H, int W, int K, int s, int p, int HO, int WO) {
    for (int ic = 0; ic < IC; ic++) {
        float *dx = dinp + (size_t)ic * H * W;
        for (int ki = 0; ki < K; ki++)
            for (int kj = 0; kj < K; kj++) {
                const float *c = dcol + ((size_t)(ic * K + ki) * K + kj) * HO * WO;
                int lo, hi;
                ow_range(WO, W, s, p, kj, &lo, &hi);
                for (int oh = 0; oh < HO; oh++) {
                    int ih = oh * s - p + ki;
                    if (ih < 0 || ih >= H) continue;
                    float *dr = dx + (size_t)ih * W;
                    const float *cr = c + (size_t)oh * WO;
                    int off = kj - p;
                    if (s == 1) {
#pragma omp simd
                        for (int ow = lo; ow < hi; ow++) dr[ow + off] += cr[ow];
                    } else {
                        for (int ow = lo; ow < hi; ow++) dr[ow * s + off] += cr[ow];
                    }
                }
            }
    }
}

int parm_conv2d_forward(float *out, const float *inp, const float *w, const float *b, int B, int IC, int H, int W, int OC,
                    int K, int stride, int pad) {
    int HO = conv2d_out_size(H, K, stride, pad), WO = conv2d_out_size(W, K, stride, pad);
    int P = HO * WO, KK = IC * K * K;
    int direct = (K == 1 && stride == 1 && pad == 0);
    int oom = 0;
#pragma omp parallel for schedule(dynamic, 1) if (B > 1)
    for (int bi = 0; bi < B; bi++) {
        const float *x = inp + (size_t)bi * IC * H * W;
        float *o = out + (size_t)bi * OC * P;
        float beta = 0.0f;
        if (b) {
            for (int oc = 0; oc < OC; oc++)
                for (int i = 0; i < P; i++) o[(size_t)oc * P + i] = b[oc];
            beta = 1.0f;
        }
        const float *cm = x;
        if (!direct) {
            float *col = parm_scratch(OPS_SCRATCH_A, (size_t)KK * P); /* this thread's */
            if (!col) {
                oom = 1;
                continue;
            }
            im2col(col, x, IC, H, W, K, stride, pad, HO, WO);
            cm = col;
        }
        parm_sgemm(0, 0, OC, P, KK, 1.0f, w, KK, cm, P, beta, o, P);
    }
    return oom ? PARM_ERR("conv2d forward: out of memory for a %d x %d im2col buffer", KK, P) : 0;
}

/* Images are split into NG ≤ 8 fixed, contiguous groups (independent of the
 * thread count); each group accumulates its own dw partial in image order and
 * the partials are summed in group order — deterministic for any thread count. */
int parm_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int B,
                     int IC, int H, int W, int OC, int K, int stride, int pad) {
    int HO = conv2d_out_size(H, K, stride, pad), WO = conv2d_out_size(W, K, stride, pad);
    int P = HO * WO, KK = IC * K * K;
    int direct = (K == 1 && stride == 1 && pad == 0);
    if (db) {
#pragma omp parallel for if ((long)B * OC * P > 65536)
        for (int oc = 0; oc < OC; oc++) {
            float a = 0.0f;
            for (int bi = 0; bi < B; bi++) {
                const float *d = dout + ((size_t)bi * OC + oc) * P;
#pragma omp simd reduction(+ : a)
                for (int i = 0; i < P; i++) a += d[i];
            }
            db[oc] += a;
        }
    }
    if (!dw && !dinp) return 0;
    int NG = B < 8 ? B : 8;
    size_t nw = (size_t)OC * KK;
    float *part = (dw && NG > 1) ? parm_scratch(OPS_SCRATCH_C, NG * nw) : NULL;
    if (dw && NG > 1 && !part) return PARM_ERR("conv2d backward: out of memory for %d dW partials of %zu", NG, nw);
    int oom = 0;
#pragma omp parallel for schedule(dynamic, 1) if (B > 1)
    for (int g = 0; g < NG; g++) {
        int b0 = (int)((long)B * g / NG), b1 = (int)((long)B * (g + 1) / NG);
        float *dwg = part ? part + g * nw : dw;
        for (int bi = b0; bi < b1; bi++) {
            const float *x = inp + (size_t)bi * IC * H * W;
            const float *d = dout + (size_t)bi * OC * P;
            if (dw) {
                const float *cm = x;
                if (!direct) {
                    float *col = parm_scratch(OPS_SCRATCH_A, (size_t)KK * P);
                    if (!col) {
                        oom = 1;
                        break;
                    }
                    im2col(col, x, IC, H, W, K, stride, pad, HO, WO);
                    cm = col;
                }
                float beta = (part && bi == b0) ? 0.0f : 1.0f;
                parm_sgemm(0, 1, OC, KK, P, 1.0f, d, P, cm, P, beta, dwg, KK);
            }
            if (dinp) {
                float *dx = dinp + (size_t)bi * IC * H * W;
                if (direct) {
                    parm_sgemm(1, 0, KK, P, OC, 1.0f, w, KK, d, P, 1.0f, dx, P);
                } else {
                    float *dcol = parm_scratch(OPS_SCRATCH_B, (size_t)KK * P);
                    if (!dcol) {
                        oom = 1;
                        break;
                    }
                    parm_sgemm(1, 0, KK, P, OC, 1.0f, w, KK, d, P, 0.0f, dcol, P);
                    col2im_add(dx, dcol, IC, H, W, K, stride, pad, HO, WO);
                }
            }
        }
    }
    if (part) {
#pragma omp parallel for if (nw > 65536)
        for (size_t i = 0; i < nw; i++) {
            float a = 0.0f;
            for (int g = 0; g < NG; g++) a += part[g * nw + i];
            dw[i] += a;
        }
    }
    return oom ? PARM_ERR("conv2d backward: out of memory for a %d x %d im2col buffer", KK, P) : 0;
}

void parm_upsample2x_forward(float *out, const float *inp, int B, int C, int H, int W) {
    int W2 = 2 * W;
#pragma omp parallel for if ((long)B * C * H * W > 65536)
    for (long bc = 0; bc < (long)B * C; bc++) {
        const float *x = inp + (size_t)bc * H * W;
        float *o = out + (size_t)bc * 4 * H * W;
        for (int h = 0; h < H; h++) {
            float *r0 = o + (size_t)(2 * h) * W2, *r1 = r0 + W2;
            const float *xr = x + (size_t)h * W;
            for (int w = 0; w < W; w++) r0[2 * w] = r0[2 * w + 1] = xr[w];
            memcpy(r1, r0, (size_t)W2 * sizeof(float));
        }
    }
}

void parm_upsample2x_backward(float *dinp, const float *dout, int B, int C, int H, int W) {
    if (!dinp) return;
    int W2 = 2 * W;
#pragma omp parallel for if ((long)B * C * H * W > 65536)
    for (long bc = 0; bc < (long)B * C; bc++) {
        float *dx = dinp + (size_t)bc * H * W;
        const float *d = dout + (size_t)bc * 4 * H * W;
        for (int h = 0; h < H; h++) {
            const float *r0 = d + (size_t)(2 * h) * W2, *r1 = r0 + W2;
            float *xr = dx + (size_t)h * W;
            for (int w = 0; w < W; w++) xr[w] += r0[2 * w] + r0[2 * w + 1] + r1[2 * w] + r1[2 * w + 1];
        }
    }
}
