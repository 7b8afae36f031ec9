/* transformer.c — the pre-norm transformer stack of parm/transformer.h:
 * parameter declaration/init, one activation buffer, forward and backward.
 *
 * Built from the ops in parm/ops.h, plus two fusions done here with one
 * parm_sgemm each (no extra pass, no extra buffer):
 *   residual + projection:  out[N,OC] = res[N,OC] + b[OC] + inp[N,K]·W[OC,K]ᵀ
 *   input gradient:         dinp[N,K] = dout[N,OC]·W[OC,K]  (β = 0: no memset)
 * N = B·T throughout. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parm/ops.h"
#include "parm/transformer.h"

/* out[N,OC] = res[N,OC] + b[OC] + inp[N,K]·W[OC,K]ᵀ   (out may alias res) */
static void linear_residual(float *out, const float *res, const float *inp, const float *w, const float *b, int N,
                            int K, int OC) {
#pragma omp parallel for if ((long)N * OC > 65536)
    for (int n = 0; n < N; n++) {
        float *o = out + (size_t)n * OC;
        const float *r = res + (size_t)n * OC;
        for (int j = 0; j < OC; j++) o[j] = r[j] + b[j];
    }
    parm_sgemm_w(0, 1, N, OC, K, 1.0f, inp, K, w, K, 1.0f, out, OC, NULL);
}

/* dinp[N,K] = dout[N,OC]·W[OC,K]   (overwrites) */
static void linear_dinp(float *dinp, const float *dout, const float *w, int N, int K, int OC) {
    parm_sgemm_w(0, 0, N, K, OC, 1.0f, dout, OC, w, K, 0.0f, dinp, K, NULL);
}

/* Declare <prefix>blocks.<l>.<what> (l >= 0) or <prefix><what>: a matrix
 * [d0,d1] with weight decay when d1 > 0, else a vector [d0] without. */
static int add_param(parm_slab *s, const char *prefix, int l, const char *what, int matrix, int64_t d0, int64_t d1) {
    char name[PARM_NAME_MAX + 64];
    if (l >= 0) snprintf(name, sizeof name, "%sblocks.%d.%s", prefix, l, what);
    else snprintf(name, sizeof name, "%s%s", prefix, what);
    int64_t shape[2] = {d0, d1};
    return parm_slab_add(s, name, matrix ? 2 : 1, shape, matrix);
}

int parm_tf_declare(parm_transformer *tf, parm_slab *s, const char *prefix, const parm_tf_config *cfg) {
    memset(tf, 0, sizeof *tf);
    if (!cfg || cfg->L < 1 || cfg->C < 1 || cfg->NH < 1 || cfg->F < 1 || cfg->C % cfg->NH)
        return PARM_ERR("transformer config: need L, C, NH, F >= 1 and C %% NH == 0 (got L %d C %d NH %d F %d)",
                        cfg ? cfg->L : 0, cfg ? cfg->C : 0, cfg ? cfg->NH : 0, cfg ? cfg->F : 0);
    if (!prefix) prefix = "";
    tf->cfg = *cfg;
    tf->slab = s;
    tf->blk = parm_calloc((size_t)cfg->L, sizeof *tf->blk);
    if (!tf->blk) return -1;
    const int64_t C = cfg->C, F = cfg->F;
    for (int l = 0; l < cfg->L; l++) {
        parm_tf_block_params *p = &tf->blk[l];
        if ((p->ln1w = add_param(s, prefix, l, "ln1.weight", 0, C, 0)) < 0 ||
            (p->ln1b = add_param(s, prefix, l, "ln1.bias", 0, C, 0)) < 0 ||
            (p->qkvw = add_param(s, prefix, l, "attn.qkv.weight", 1, 3 * C, C)) < 0 ||
            (p->qkvb = add_param(s, prefix, l, "attn.qkv.bias", 0, 3 * C, 0)) < 0 ||
            (p->projw = add_param(s, prefix, l, "attn.proj.weight", 1, C, C)) < 0 ||
            (p->projb = add_param(s, prefix, l, "attn.proj.bias", 0, C, 0)) < 0 ||
            (p->ln2w = add_param(s, prefix, l, "ln2.weight", 0, C, 0)) < 0 ||
            (p->ln2b = add_param(s, prefix, l, "ln2.bias", 0, C, 0)) < 0 ||
            (p->fcw = add_param(s, prefix, l, "mlp.fc.weight", 1, F, C)) < 0 ||
            (p->fcb = add_param(s, prefix, l, "mlp.fc.bias", 0, F, 0)) < 0 ||
            (p->fcpw = add_param(s, prefix, l, "mlp.proj.weight", 1, C, F)) < 0 ||
            (p->fcpb = add_param(s, prefix, l, "mlp.proj.bias", 0, C, 0)) < 0)
            goto fail;
    }
    if ((tf->lnfw = add_param(s, prefix, -1, "ln_f.weight", 0, C, 0)) < 0 ||
        (tf->lnfb = add_param(s, prefix, -1, "ln_f.bias", 0, C, 0)) < 0)
        goto fail;
    return 0;
fail:
    free(tf->blk);
    tf->blk = NULL;
    return -1;
}

void parm_tf_init(parm_transformer *tf, parm_rng *rng) {
    parm_slab *s = tf->slab;
    float proj_std = 0.02f / sqrtf(2.0f * tf->cfg.L);
    for (int l = 0; l < tf->cfg.L; l++) {
        parm_tf_block_params *p = &tf->blk[l];
        parm_init_const(s, p->ln1w, 1.0f);
        parm_init_const(s, p->ln1b, 0.0f);
        parm_init_normal(s, p->qkvw, 0.02f, rng);
        parm_init_const(s, p->qkvb, 0.0f);
        parm_init_normal(s, p->projw, proj_std, rng);
        parm_init_const(s, p->projb, 0.0f);
        parm_init_const(s, p->ln2w, 1.0f);
        parm_init_const(s, p->ln2b, 0.0f);
        parm_init_normal(s, p->fcw, 0.02f, rng);
        parm_init_const(s, p->fcb, 0.0f);
        parm_init_normal(s, p->fcpw, proj_std, rng);
        parm_init_const(s, p->fcpb, 0.0f);
    }
    parm_init_const(s, tf->lnfw, 1.0f);
    parm_init_const(s, tf->lnfb, 0.0f);
}

static float *take(float *base, size_t *at, size_t n) {
    float *p = base ? base + *at : NULL;
    *at += (n + 15) / 16 * 16; /* every array starts on a 16-float boundary */
    return p;
}

/* Lay the activations out in one buffer for (B, T); base == NULL only counts.
 * Returns the float count. */
static size_t layout(parm_transformer *tf, float *base, int B, int T) {
    const size_t N = (size_t)B * T, C = (size_t)tf->cfg.C, F = (size_t)tf->cfg.F, NH = (size_t)tf->cfg.NH;
    size_t at = 0;
    parm_tf_acts dummy_acts;
    parm_transformer dummy_tf;
    parm_transformer *t = base ? tf : &dummy_tf;
    for (int l = 0; l < tf->cfg.L; l++) {
        parm_tf_acts *a = base ? &tf->acts[l] : &dummy_acts;
        a->res = take(base, &at, N * C);
        a->ln1 = take(base, &at, N * C);
        a->ln1_mean = take(base, &at, N);
        a->ln1_rstd = take(base, &at, N);
        a->qkv = take(base, &at, N * 3 * C);
        a->att = take(base, &at, (size_t)B * NH * T * T);
        a->atty = take(base, &at, N * C);
        a->res2 = take(base, &at, N * C);
        a->ln2 = take(base, &at, N * C);
        a->ln2_mean = take(base, &at, N);
        a->ln2_rstd = take(base, &at, N);
        a->fch = take(base, &at, N * F);
        a->fchg = take(base, &at, N * F);
    }
    t->res_out = take(base, &at, N * C);
    t->out = take(base, &at, N * C);
    t->lnf_mean = take(base, &at, N);
    t->lnf_rstd = take(base, &at, N);
    t->dres = take(base, &at, N * C);
    t->dC = take(base, &at, N * C);
    t->dqkv = take(base, &at, N * 3 * C);
    t->dF = take(base, &at, N * F * 2); /* dF and its GELU-backward twin */
    return at;
}

size_t parm_tf_act_bytes(const parm_tf_config *cfg, int maxB, int maxT) {
    parm_transformer t;
    memset(&t, 0, sizeof t);
    t.cfg = *cfg;
    return layout(&t, NULL, maxB, maxT) * sizeof(float);
}

int parm_tf_alloc(parm_transformer *tf, int maxB, int maxT) {
    if (!tf->blk) return PARM_ERR("parm_tf_alloc: transformer not declared");
    if (maxB < 1 || maxT < 1) return PARM_ERR("parm_tf_alloc: bad batch %d x %d", maxB, maxT);
    free(tf->buf);
    free(tf->acts);
    tf->buf = NULL;
    tf->acts = parm_calloc((size_t)tf->cfg.L, sizeof *tf->acts);
    if (!tf->acts) return -1;
    size_t n = layout(tf, NULL, maxB, maxT);
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    tf->buf = aligned_alloc(64, bytes);
    if (!tf->buf)
        return PARM_ERR("out of memory: transformer activations for batch %d x %d need %.1f MB (hint: lower the batch)",
                        maxB, maxT, bytes / 1e6);
    memset(tf->buf, 0, bytes);
    tf->buf_numel = n;
    tf->maxB = maxB;
    tf->maxT = maxT;
    tf->B = tf->T = 0;
    return 0;
}

void parm_tf_free(parm_transformer *tf) {
    if (!tf) return;
    free(tf->buf);
    free(tf->acts);
    free(tf->blk);
    memset(tf, 0, sizeof *tf);
}

double parm_tf_forward_flops(const parm_tf_config *c, int B, int T) {
    double lin = (double)c->L * ((double)c->C * 3 * c->C + (double)c->C * c->C + 2.0 * c->C * c->F);
    return 2.0 * lin * B * T + (double)c->L * 4.0 * B * (double)T * T * c->C;
}

const float *parm_tf_forward(parm_transformer *tf, const float *x, const uint8_t *mask, int B, int T, int train) {
    if (!tf->buf) {
        PARM_ERR("parm_tf_forward: activations not allocated (call parm_tf_alloc)");
        return NULL;
    }
    if (B < 1 || T < 1 || (long)B * T > (long)tf->maxB * tf->maxT || T > tf->maxT) {
        PARM_ERR("parm_tf_forward: batch %d x %d exceeds the allocation %d x %d", B, T, tf->maxB, tf->maxT);
        return NULL;
    }
    /* Re-carve the buffer for this (B, T) so arrays are dense for these shapes. */
    if (layout(tf, NULL, B, T) > tf->buf_numel) {
        PARM_ERR("parm_tf_forward: batch %d x %d does not fit the allocation %d x %d", B, T, tf->maxB, tf->maxT);
        return NULL;
    }
    layout(tf, tf->buf, B, T);
    const parm_slab *s = tf->slab;
    const int C = tf->cfg.C, F = tf->cfg.F, NH = tf->cfg.NH, N = B * T;
    memcpy(tf->acts[0].res, x, (size_t)N * C * sizeof(float));
    for (int l = 0; l < tf->cfg.L; l++) {
        const parm_tf_block_params *p = &tf->blk[l];
        parm_tf_acts *a = &tf->acts[train ? l : 0];
        /* block output: next block's input (train) or in place (inference) */
        float *next = !train ? a->res : l + 1 < tf->cfg.L ? tf->acts[l + 1].res : tf->res_out;
        parm_layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, a->res, parm_w(s, p->ln1w), parm_w(s, p->ln1b), N, C);
        parm_linear_forward(a->qkv, a->ln1, parm_w(s, p->qkvw), parm_w(s, p->qkvb), N, C, 3 * C);
        parm_attention_forward(a->atty, a->att, a->qkv, mask, B, T, C, NH);
        linear_residual(a->res2, a->res, a->atty, parm_w(s, p->projw), parm_w(s, p->projb), N, C, C);
        parm_layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->res2, parm_w(s, p->ln2w), parm_w(s, p->ln2b), N, C);
        parm_linear_forward(a->fch, a->ln2, parm_w(s, p->fcw), parm_w(s, p->fcb), N, C, F);
        parm_gelu_forward(a->fchg, a->fch, (long)N * F);
        linear_residual(next, a->res2, a->fchg, parm_w(s, p->fcpw), parm_w(s, p->fcpb), N, F, C);
    }
    const float *last = train ? tf->res_out : tf->acts[0].res;
    parm_layernorm_forward(tf->out, tf->lnf_mean, tf->lnf_rstd, last, parm_w(s, tf->lnfw), parm_w(s, tf->lnfb), N, C);
    tf->B = B;
    tf->T = T;
    tf->trained = train ? 1 : 0;
    tf->mask = mask;
    return tf->out;
}

int parm_tf_backward(parm_transformer *tf, float *dx, const float *dy) {
    if (!tf->trained) return PARM_ERR("parm_tf_backward: needs a preceding forward with train = 1");
    const parm_slab *s = tf->slab;
    float *G = s->g;
    const int B = tf->B, T = tf->T, C = tf->cfg.C, F = tf->cfg.F, NH = tf->cfg.NH, N = B * T;
    float *dres = tf->dres, *dC = tf->dC, *dqkv = tf->dqkv, *dF = tf->dF, *dF2 = tf->dF + (size_t)N * F;
#define GW(i) (G + s->views[i].offset)
    memset(dres, 0, (size_t)N * C * sizeof(float));
    parm_layernorm_backward(dres, GW(tf->lnfw), GW(tf->lnfb), dy, tf->res_out, parm_w(s, tf->lnfw), tf->lnf_mean,
                       tf->lnf_rstd, N, C);
    for (int l = tf->cfg.L - 1; l >= 0; l--) {
        const parm_tf_block_params *p = &tf->blk[l];
        const parm_tf_acts *a = &tf->acts[l];
        /* dres = dL/d(block output) = dL/d(res2) through the residual + MLP branch */
        parm_linear_backward(NULL, GW(p->fcpw), GW(p->fcpb), dres, a->fchg, parm_w(s, p->fcpw), N, F, C);
        linear_dinp(dF, dres, parm_w(s, p->fcpw), N, F, C);
        memset(dF2, 0, (size_t)N * F * sizeof(float));
        parm_gelu_backward(dF2, dF, a->fch, (long)N * F);
        parm_linear_backward(NULL, GW(p->fcw), GW(p->fcb), dF2, a->ln2, parm_w(s, p->fcw), N, C, F);
        linear_dinp(dC, dF2, parm_w(s, p->fcw), N, C, F);
        parm_layernorm_backward(dres, GW(p->ln2w), GW(p->ln2b), dC, a->res2, parm_w(s, p->ln2w), a->ln2_mean,
                           a->ln2_rstd, N, C);
        /* dres = dL/d(res2) → through the attention branch */
        parm_linear_backward(NULL, GW(p->projw), GW(p->projb), dres, a->atty, parm_w(s, p->projw), N, C, C);
        linear_dinp(dC, dres, parm_w(s, p->projw), N, C, C);
        memset(dqkv, 0, (size_t)N * 3 * C * sizeof(float));
        if (parm_attention_backward(dqkv, dC, a->qkv, a->att, tf->mask, B, T, C, NH)) return -1;
        parm_linear_backward(NULL, GW(p->qkvw), GW(p->qkvb), dqkv, a->ln1, parm_w(s, p->qkvw), N, C, 3 * C);
        linear_dinp(dC, dqkv, parm_w(s, p->qkvw), N, C, 3 * C);
        parm_layernorm_backward(dres, GW(p->ln1w), GW(p->ln1b), dC, a->res, parm_w(s, p->ln1w), a->ln1_mean,
                           a->ln1_rstd, N, C);
    }
#undef GW
    if (dx) parm_residual_forward(dx, dx, dres, (long)N * C);
    return 0;
}
