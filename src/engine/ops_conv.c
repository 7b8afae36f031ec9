/* ops_conv.c — 2-D convolution (im2col + sgemm) and nearest ×2 upsampling.
 *
 *   conv2d:     inp [B,IC,H,W], w [OC,IC,K,K], b [OC]|NULL → out [B,OC,HO,WO]
 *               HO = (H + 2·pad − K)/stride + 1, WO likewise
 *   upsample2x: inp [B,C,H,W] → out [B,C,2H,2W] (nearest)
 *
 * conv2d, per image b (KK = IC·K·K, P = HO·WO):
 *   col[KK,P] = im2col(inp[b])          (skipped for K=1, stride 1, pad 0: col = inp[b])
 *   out[b][OC,P] = w[OC,KK] · col + b
 * backward, per image:
 *   dw[OC,KK] += dout[b][OC,P] · colᵀ   (col recomputed: no saved activations)
 *   dcol[KK,P] = wᵀ · dout[b];  dinp[b] += col2im(dcol)
 *   db[OC]    += Σ_P dout[b]
 * The sgemms are large (P = HO·WO columns) and use OpenBLAS threads; the
 * im2col / col2im loops are OpenMP-parallel over input channels. col/dcol
 * live in parm_scratch buffers. */
#include <cblas.h>
#include <string.h>

#include "ops_internal.h"
#include "parm/base.h"
#include "parm/ops.h"

/* col[(ic·K + ki)·K + kj][oh·WO + ow] = inp[ic][oh·s − p + ki][ow·s − p + kj] (0 outside) */
static void im2col(float *col, const float *inp, int IC, int H, int W, int K, int s, int p, int HO, int WO) {
#pragma omp parallel for if ((long)IC * K * K * HO * WO > 65536)
    for (int ic = 0; ic < IC; ic++) {
        const float *x = inp + (size_t)ic * H * W;
        for (int ki = 0; ki < K; ki++)
            for (int kj = 0; kj < K; kj++) {
                float *c = col + ((size_t)(ic * K + ki) * K + kj) * HO * WO;
                for (int oh = 0; oh < HO; oh++) {
                    int ih = oh * s - p + ki;
                    float *cr = c + (size_t)oh * WO;
                    if (ih < 0 || ih >= H) {
                        memset(cr, 0, (size_t)WO * sizeof(float));
                        continue;
                    }
                    const float *xr = x + (size_t)ih * W;
                    if (s == 1) {
                        for (int ow = 0; ow < WO; ow++) {
                            int iw = ow - p + kj;
                            cr[ow] = (iw >= 0 && iw < W) ? xr[iw] : 0.0f;
                        }
                    } else {
                        for (int ow = 0; ow < WO; ow++) {
                            int iw = ow * s - p + kj;
                            cr[ow] = (iw >= 0 && iw < W) ? xr[iw] : 0.0f;
                        }
                    }
                }
            }
    }
}

/* dinp[ic][ih][iw] += dcol[...] — the adjoint of im2col; threads own channels */
static void col2im_add(float *dinp, const float *dcol, int IC, int H, int W, int K, int s, int p, int HO, int WO) {
#pragma omp parallel for if ((long)IC * K * K * HO * WO > 65536)
    for (int ic = 0; ic < IC; ic++) {
        float *dx = dinp + (size_t)ic * H * W;
        for (int ki = 0; ki < K; ki++)
            for (int kj = 0; kj < K; kj++) {
                const float *c = dcol + ((size_t)(ic * K + ki) * K + kj) * HO * WO;
                for (int oh = 0; oh < HO; oh++) {
                    int ih = oh * s - p + ki;
                    if (ih < 0 || ih >= H) continue;
                    float *dr = dx + (size_t)ih * W;
                    const float *cr = c + (size_t)oh * WO;
                    for (int ow = 0; ow < WO; ow++) {
                        int iw = ow * s - p + kj;
                        if (iw >= 0 && iw < W) dr[iw] += cr[ow];
                    }
                }
            }
    }
}

void conv2d_forward(float *out, const float *inp, const float *w, const float *b, int B, int IC, int H, int W, int OC,
                    int K, int stride, int pad) {
    int HO = conv2d_out_size(H, K, stride, pad), WO = conv2d_out_size(W, K, stride, pad);
    int P = HO * WO, KK = IC * K * K;
    int direct = (K == 1 && stride == 1 && pad == 0);
    float *col = direct ? NULL : parm_scratch(OPS_SCRATCH_A, (size_t)KK * P);
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
            im2col(col, x, IC, H, W, K, stride, pad, HO, WO);
            cm = col;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, OC, P, KK, 1.0f, w, KK, cm, P, beta, o, P);
    }
}

void conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int B,
                     int IC, int H, int W, int OC, int K, int stride, int pad) {
    int HO = conv2d_out_size(H, K, stride, pad), WO = conv2d_out_size(W, K, stride, pad);
    int P = HO * WO, KK = IC * K * K;
    int direct = (K == 1 && stride == 1 && pad == 0);
    float *col = (!direct && dw) ? parm_scratch(OPS_SCRATCH_A, (size_t)KK * P) : NULL;
    float *dcol = (!direct && dinp) ? parm_scratch(OPS_SCRATCH_B, (size_t)KK * P) : NULL;
    for (int bi = 0; bi < B; bi++) {
        const float *x = inp + (size_t)bi * IC * H * W;
        const float *d = dout + (size_t)bi * OC * P;
        if (db) {
#pragma omp parallel for if ((long)OC * P > 65536)
            for (int oc = 0; oc < OC; oc++) {
                float a = 0.0f;
                for (int i = 0; i < P; i++) a += d[(size_t)oc * P + i];
                db[oc] += a;
            }
        }
        if (dw) {
            const float *cm = x;
            if (!direct) {
                im2col(col, x, IC, H, W, K, stride, pad, HO, WO);
                cm = col;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, OC, KK, P, 1.0f, d, P, cm, P, 1.0f, dw, KK);
        }
        if (dinp) {
            float *dx = dinp + (size_t)bi * IC * H * W;
            if (direct) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, KK, P, OC, 1.0f, w, KK, d, P, 1.0f, dx, P);
            } else {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, KK, P, OC, 1.0f, w, KK, d, P, 0.0f, dcol, P);
                col2im_add(dx, dcol, IC, H, W, K, stride, pad, HO, WO);
            }
        }
    }
}

void upsample2x_forward(float *out, const float *inp, int B, int C, int H, int W) {
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

void upsample2x_backward(float *dinp, const float *dout, int B, int C, int H, int W) {
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
