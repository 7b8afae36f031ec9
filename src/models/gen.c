/* gen.c — the Show-o-style generator model (see include/parm/gen.h):
 * parameters, the omni-attention mask, forward over [text][image groups]
 * (and, for PARM++ self-correction, [text][reflection][previous image][image]),
 * masked-token cross-entropy, the full backward (from any logit gradient:
 * the CE's, or DPO's in gen_dpo.c), weights I/O. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/gen.h"
#include "parm/ops.h"

#define NTOK PARM_VQ_TOKENS /* 256 */

parm_gen_config parm_gen_default_config(void) {
    parm_gen_config c = {.L = 4, .C = 256, .NH = 8, .F = 1024, .ncodes = 1024, .text_len = 16};
    return c;
}

static int declare(parm_gen *g) {
    const parm_gen_config *c = &g->cfg;
    parm_slab *s = &g->p;
    int64_t te[2] = {parm_text_vocab_size(), c->C}, ie[2] = {(int64_t)PARM_GEN_SLOTS * (c->ncodes + 1), c->C};
    int64_t pe[2] = {c->text_len + PARM_GEN_POS, c->C}, hw[2] = {(int64_t)PARM_GEN_SLOTS * c->ncodes, c->C}, hb = hw[0];
    g->tok_emb = parm_slab_add(s, "emb.text", 2, te, 0);
    g->img_emb = parm_slab_add(s, "emb.image", 2, ie, 0);
    g->pos_emb = parm_slab_add(s, "emb.pos", 2, pe, 0);
    parm_tf_config tc = {.L = c->L, .C = c->C, .NH = c->NH, .F = c->F};
    if (parm_tf_declare(&g->tf, s, "tf.", &tc)) return -1;
    g->head_w = parm_slab_add(s, "head.weight", 2, hw, 1);
    g->head_b = parm_slab_add(s, "head.bias", 1, &hb, 0);
    if (g->head_b < 0) return -1;
    g->pos_sc = g->prev_emb = -1;
    if (c->refl_len > 0) { /* declared last: a plain generator's tensors and init order are unchanged */
        int64_t ps[2] = {c->refl_len + PARM_GEN_POS, c->C}, pv[2] = {(int64_t)PARM_GEN_SLOTS * c->ncodes, c->C};
        g->pos_sc = parm_slab_add(s, "emb.pos_sc", 2, ps, 0);
        g->prev_emb = parm_slab_add(s, "emb.prev", 2, pv, 0);
        if (g->prev_emb < 0) return -1;
    }
    return parm_slab_alloc(s);
}

int parm_gen_init(parm_gen *g, const parm_gen_config *cfg, uint64_t seed) {
    memset(g, 0, sizeof *g);
    if (cfg->L < 1 || cfg->C < 8 || cfg->NH < 1 || cfg->C % cfg->NH || cfg->F < 1 || cfg->ncodes < 2 ||
        cfg->text_len < 4 || cfg->text_len > 64 || cfg->refl_len < 0 || cfg->refl_len > 64 ||
        (cfg->refl_len > 0 && cfg->refl_len < 2))
        return PARM_ERR("bad generator config: L %d C %d NH %d F %d codes %d text_len %d refl_len %d", cfg->L, cfg->C,
                        cfg->NH, cfg->F, cfg->ncodes, cfg->text_len, cfg->refl_len);
    g->cfg = *cfg;
    g->T = cfg->text_len + PARM_GEN_POS + (cfg->refl_len > 0 ? cfg->refl_len + PARM_GEN_POS : 0);
    if (declare(g)) return -1;
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_INIT);
    parm_init_normal(&g->p, g->tok_emb, 0.02f, &rng);
    parm_init_normal(&g->p, g->img_emb, 0.02f, &rng);
    parm_init_normal(&g->p, g->pos_emb, 0.02f, &rng);
    parm_tf_init(&g->tf, &rng);
    parm_init_normal(&g->p, g->head_w, 0.02f, &rng);
    parm_init_const(&g->p, g->head_b, 0.0f);
    if (g->pos_sc >= 0) {
        parm_init_normal(&g->p, g->pos_sc, 0.02f, &rng);
        parm_init_normal(&g->p, g->prev_emb, 0.02f, &rng);
    }
    return 0;
}

int parm_gen_init_sc(parm_gen *g, const parm_gen *base, int refl_len, uint64_t seed) {
    if (base->cfg.refl_len) return PARM_ERR("init self-correction generator: the base has segments already (refl_len %d)",
                                            base->cfg.refl_len);
    if (refl_len < 2) return PARM_ERR("init self-correction generator: refl_len %d < 2", refl_len);
    parm_gen_config c = base->cfg;
    c.refl_len = refl_len;
    if (parm_gen_init(g, &c, seed)) return -1;
    for (int i = 0; i < base->p.n; i++) {
        int k = parm_slab_find(&g->p, base->p.views[i].name);
        if (k < 0 || g->p.views[k].numel != base->p.views[i].numel) {
            parm_gen_free(g);
            return PARM_ERR("init self-correction generator: tensor '%s' does not fit", base->p.views[i].name);
        }
        memcpy(parm_w(&g->p, k), parm_w(&base->p, i), sizeof(float) * base->p.views[i].numel);
    }
    /* the previous image's positions start as the image's own: position p of the image and of the
       previous image match from the first step, so copying what was right is easy to learn */
    memcpy(parm_w(&g->p, g->pos_sc) + (size_t)refl_len * c.C, parm_w(&g->p, g->pos_emb) + (size_t)c.text_len * c.C,
           sizeof(float) * PARM_GEN_POS * c.C);
    g->vq_fingerprint = base->vq_fingerprint;
    return 0;
}

static void free_buffers(parm_gen *g) {
    free(g->x); free(g->dx); free(g->tmp); free(g->dtmp); free(g->mask); free(g->text_ids); free(g->img_ids);
    free(g->hid); free(g->dhid); free(g->logits); free(g->probs); free(g->targets);
    free(g->refl_ids); free(g->prev_ids); free(g->ptmp); free(g->dptmp); free(g->has_prev);
    g->x = g->dx = g->tmp = g->dtmp = g->hid = g->dhid = g->logits = g->probs = g->ptmp = g->dptmp = NULL;
    g->mask = g->has_prev = NULL; g->text_ids = g->img_ids = g->targets = g->refl_ids = g->prev_ids = NULL;
    g->maxB = 0;
}

int parm_gen_alloc(parm_gen *g, int maxB) {
    if (maxB <= g->maxB) return 0;
    free_buffers(g);
    if (parm_tf_alloc(&g->tf, maxB, g->T)) return -1; /* replaces any earlier activations */
    size_t C = g->cfg.C, T = g->T, K = g->cfg.ncodes, B = maxB;
    g->x = parm_malloc(B * T * C * sizeof(float));
    g->dx = parm_malloc(2 * B * T * C * sizeof(float)); /* dx and dy */
    g->tmp = parm_malloc(B * NTOK * C * sizeof(float));
    g->dtmp = parm_malloc(B * NTOK * C * sizeof(float));
    g->mask = parm_malloc(B * T * T);
    g->text_ids = parm_malloc(B * g->cfg.text_len * sizeof(int));
    g->img_ids = parm_malloc(B * NTOK * sizeof(int));
    g->hid = parm_malloc(B * PARM_GEN_POS * C * sizeof(float));
    g->dhid = parm_malloc(B * PARM_GEN_POS * C * sizeof(float));
    g->logits = parm_malloc(B * NTOK * K * sizeof(float));
    g->probs = parm_malloc(B * NTOK * K * sizeof(float));
    g->targets = parm_malloc(B * NTOK * sizeof(int));
    const int sc = g->cfg.refl_len > 0;
    if (sc) {
        g->refl_ids = parm_malloc(B * g->cfg.refl_len * sizeof(int));
        g->prev_ids = parm_malloc(B * NTOK * sizeof(int));
        g->ptmp = parm_malloc(B * NTOK * C * sizeof(float));
        g->dptmp = parm_malloc(B * NTOK * C * sizeof(float));
        g->has_prev = parm_malloc(B);
    }
    if (!g->x || !g->dx || !g->tmp || !g->dtmp || !g->mask || !g->text_ids || !g->img_ids || !g->hid || !g->dhid ||
        !g->logits || !g->probs || !g->targets || (sc && (!g->refl_ids || !g->prev_ids || !g->ptmp || !g->dptmp || !g->has_prev))) {
        free_buffers(g);
        return -1;
    }
    g->maxB = maxB;
    return 0;
}

void parm_gen_free(parm_gen *g) {
    free_buffers(g);
    parm_tf_free(&g->tf);
    parm_slab_free(&g->p);
}

/* Show-o omni-attention mask for one sequence with n non-pad text tokens, in
 * the layout [text Tt][reflection Tr][previous 64 (Tp = 0 or 64)][image]:
 * m non-pad reflection tokens (0 = none), prev = the previous image is given. */
static void build_mask(uint8_t *mk, int n, int Tt, int Tr, int m, int Tp, int prev, int T) {
    memset(mk, 0, (size_t)T * T);
    const int r0 = Tt, p0 = Tt + Tr, i0 = Tt + Tr + Tp;
    for (int q = 0; q < T; q++) {
        uint8_t *row = mk + (size_t)q * T;
        int segs = 0; /* the conditioning this row sees: 1 reflection, 2 previous image, 4 image */
        if (q < Tt) {
            if (q < n) for (int k = 0; k <= q; k++) row[k] = 1; /* causal text */
            else row[0] = 1;                                    /* pad row: BOS only */
            continue;
        } else if (q < p0) {
            if (q - r0 >= m) { row[0] = 1; continue; }          /* reflection pad: BOS only */
            segs = 1;
        } else if (q < i0) {
            if (!prev) { row[0] = 1; continue; }                /* no previous image */
            segs = 3;
        } else segs = 7;
        for (int k = 0; k < n; k++) row[k] = 1;                 /* all text */
        if (segs & 1) for (int k = r0; k < r0 + m; k++) row[k] = 1;
        if ((segs & 2) && prev) for (int k = p0; k < i0; k++) row[k] = 1;
        if (segs & 4) for (int k = i0; k < T; k++) row[k] = 1;  /* all image */
    }
}

int parm_gen_forward(parm_gen *g, const int *text_ids, const int *img_tokens, int B, int train) {
    return parm_gen_forward_sc(g, text_ids, NULL, NULL, img_tokens, B, train);
}

int parm_gen_forward_sc(parm_gen *g, const int *text_ids, const int *refl_ids, const int *prev_tokens,
                        const int *img_tokens, int B, int train) {
    if (B < 1 || B > g->maxB) return PARM_ERR("generator batch %d outside [1, %d] (call parm_gen_alloc)", B, g->maxB);
    const int C = g->cfg.C, Tt = g->cfg.text_len, K = g->cfg.ncodes, V = parm_text_vocab_size(), R = g->cfg.refl_len;
    const float *te = parm_w(&g->p, g->tok_emb), *ie = parm_w(&g->p, g->img_emb), *pe = parm_w(&g->p, g->pos_emb);
    /* which conditioning is present: none at all runs the plain layout */
    int any = 0;
    for (int b = 0; b < B; b++) {
        if (refl_ids)
            for (int t = 0; t < R; t++) any |= refl_ids[b * R + t] != PARM_TOK_PAD;
        if (prev_tokens) any |= prev_tokens[b * NTOK] >= 0;
    }
    if (any && R == 0) return PARM_ERR("a plain generator (refl_len 0) got a reflection or a previous image");
    const int Tr = any ? R : 0, Tp = any ? PARM_GEN_POS : 0, T = Tt + Tr + Tp + PARM_GEN_POS, i0 = Tt + Tr + Tp;
    g->Tc = T;
    g->img0 = i0;
    memcpy(g->text_ids, text_ids, sizeof(int) * B * Tt);
    for (int b = 0; b < B; b++) {
        int n = 0, m = 0, prev = 0;
        for (int t = 0; t < Tt; t++) {
            int id = text_ids[b * Tt + t];
            if (id < 0 || id >= V) return PARM_ERR("text token %d outside the vocabulary [0, %d)", id, V);
            if (id != PARM_TOK_PAD) n = t + 1;
        }
        if (any) {
            for (int t = 0; t < R; t++) {
                int id = refl_ids ? refl_ids[b * R + t] : PARM_TOK_PAD;
                if (id < 0 || id >= V) return PARM_ERR("reflection token %d outside the vocabulary [0, %d)", id, V);
                if (id != PARM_TOK_PAD) m = t + 1;
                g->refl_ids[b * R + t] = id;
            }
            prev = prev_tokens && prev_tokens[b * NTOK] >= 0;
            g->has_prev[b] = (uint8_t)prev;
            for (int p = 0; p < PARM_GEN_POS; p++)
                for (int s = 0; s < PARM_GEN_SLOTS; s++) {
                    int r = (b * PARM_GEN_POS + p) * PARM_GEN_SLOTS + s, tok = -1;
                    if (prev) {
                        tok = prev_tokens[b * NTOK + parm_gen_token_index(p, s)];
                        if (tok < 0 || tok >= K) return PARM_ERR("previous image token %d outside [0, %d)", tok, K);
                        tok += s * K;
                    }
                    g->prev_ids[r] = tok;
                }
        }
        build_mask(g->mask + (size_t)b * T * T, n, Tt, Tr, m, Tp, prev, T);
        for (int p = 0; p < PARM_GEN_POS; p++)
            for (int s = 0; s < PARM_GEN_SLOTS; s++) {
                int tok = img_tokens[b * NTOK + parm_gen_token_index(p, s)];
                if (tok < 0 || tok > K) return PARM_ERR("image token %d outside [0, %d] (K = MASK)", tok, K);
                g->img_ids[(b * PARM_GEN_POS + p) * PARM_GEN_SLOTS + s] = s * (K + 1) + tok;
            }
    }
    parm_embedding_forward(g->tmp, g->img_ids, ie, B * NTOK, C);
    const float *ve = any ? parm_w(&g->p, g->prev_emb) : NULL, *ps = any ? parm_w(&g->p, g->pos_sc) : NULL;
    if (any)
#pragma omp parallel for
        for (int r = 0; r < B * NTOK; r++) {
            float *o = g->ptmp + (size_t)r * C;
            if (g->prev_ids[r] < 0) memset(o, 0, sizeof(float) * C);
            else memcpy(o, ve + (size_t)g->prev_ids[r] * C, sizeof(float) * C);
        }
#pragma omp parallel for
    for (int bt = 0; bt < B * T; bt++) {
        int b = bt / T, t = bt % T;
        float *xr = g->x + (size_t)bt * C;
        if (t < Tt) {
            const float *er = te + (size_t)text_ids[b * Tt + t] * C, *pr = pe + (size_t)t * C;
            for (int c = 0; c < C; c++) xr[c] = er[c] + pr[c];
        } else if (t < Tt + Tr) {
            const float *er = te + (size_t)g->refl_ids[b * R + t - Tt] * C, *pr = ps + (size_t)(t - Tt) * C;
            for (int c = 0; c < C; c++) xr[c] = er[c] + pr[c];
        } else if (t < i0) {
            const float *e = g->ptmp + (size_t)(b * PARM_GEN_POS + t - Tt - Tr) * PARM_GEN_SLOTS * C;
            const float *pr = ps + (size_t)(t - Tt) * C;
            for (int c = 0; c < C; c++) xr[c] = pr[c] + e[c] + e[C + c] + e[2 * C + c] + e[3 * C + c];
        } else {
            const float *e = g->tmp + (size_t)(b * PARM_GEN_POS + t - i0) * PARM_GEN_SLOTS * C;
            const float *pr = pe + (size_t)(Tt + t - i0) * C;
            for (int c = 0; c < C; c++) xr[c] = pr[c] + e[c] + e[C + c] + e[2 * C + c] + e[3 * C + c];
        }
    }
    /* the attention mask is laid out per sequence for T; parm_tf_forward reads [B,T,T] */
    const float *y = parm_tf_forward(&g->tf, g->x, g->mask, B, T, train);
    if (!y) return -1;
    for (int b = 0; b < B; b++)
        memcpy(g->hid + (size_t)b * PARM_GEN_POS * C, y + ((size_t)b * T + i0) * C, sizeof(float) * PARM_GEN_POS * C);
    parm_linear_forward(g->logits, g->hid, parm_w(&g->p, g->head_w), parm_w(&g->p, g->head_b), B * PARM_GEN_POS, C,
                   PARM_GEN_SLOTS * K);
    return 0;
}

float parm_gen_loss_backward(parm_gen *g, const int *targets, const float *weights, int B) {
    const int K = g->cfg.ncodes;
    const long N = (long)B * NTOK;
    float *w = NULL;
    /* grid order → (b,p,s) row order */
    if (weights) w = g->dtmp; /* free until the embedding backward */
    for (int b = 0; b < B; b++)
        for (int p = 0; p < PARM_GEN_POS; p++)
            for (int s = 0; s < PARM_GEN_SLOTS; s++) {
                long r = (long)(b * PARM_GEN_POS + p) * PARM_GEN_SLOTS + s;
                int gi = b * NTOK + parm_gen_token_index(p, s);
                g->targets[r] = targets[gi];
                if (w) w[r] = weights[gi];
            }
    float loss = parm_crossentropy_forward(g->probs, g->logits, g->targets, w, (int)N, K, -1);
    /* logits are dead now: reuse them as dlogits */
    memset(g->logits, 0, sizeof(float) * N * K);
    parm_crossentropy_backward(g->logits, 1.0f, g->probs, g->targets, w, (int)N, K, -1);
    return parm_gen_backward(g, g->logits, B) ? NAN : loss;
}

int parm_gen_backward(parm_gen *g, const float *dlogits, int B) {
    const int C = g->cfg.C, T = g->Tc, Tt = g->cfg.text_len, K = g->cfg.ncodes, i0 = g->img0, R = g->cfg.refl_len;
    const int Tr = T > Tt + PARM_GEN_POS ? R : 0; /* the self-correction layout ran */
    const long N = (long)B * NTOK;
    if (B < 1 || B > g->maxB) return PARM_ERR("generator backward batch %d outside [1, %d]", B, g->maxB);
    memset(g->dhid, 0, sizeof(float) * B * PARM_GEN_POS * C);
    parm_linear_backward(g->dhid, parm_g(&g->p, g->head_w), parm_g(&g->p, g->head_b), dlogits, g->hid,
                    parm_w(&g->p, g->head_w), B * PARM_GEN_POS, C, PARM_GEN_SLOTS * K);
    float *dx = g->dx, *dy = g->dx + (size_t)B * T * C;
    memset(dy, 0, sizeof(float) * B * T * C);
    for (int b = 0; b < B; b++)
        memcpy(dy + ((size_t)b * T + i0) * C, g->dhid + (size_t)b * PARM_GEN_POS * C, sizeof(float) * PARM_GEN_POS * C);
    memset(dx, 0, sizeof(float) * B * T * C);
    if (parm_tf_backward(&g->tf, dx, dy)) return -1;
    float *dte = parm_g(&g->p, g->tok_emb), *dpe = parm_g(&g->p, g->pos_emb);
    float *dps = Tr ? parm_g(&g->p, g->pos_sc) : NULL;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *d = dx + ((size_t)b * T + t) * C;
            if (t < Tt) {
                float *gp = dpe + (size_t)t * C, *ge = dte + (size_t)g->text_ids[b * Tt + t] * C;
                for (int c = 0; c < C; c++) { gp[c] += d[c]; ge[c] += d[c]; }
            } else if (t < Tt + Tr) {
                float *gp = dps + (size_t)(t - Tt) * C, *ge = dte + (size_t)g->refl_ids[b * R + t - Tt] * C;
                for (int c = 0; c < C; c++) { gp[c] += d[c]; ge[c] += d[c]; }
            } else if (t < i0) {
                float *gp = dps + (size_t)(t - Tt) * C;
                for (int c = 0; c < C; c++) gp[c] += d[c];
                float *e = g->dptmp + (size_t)(b * PARM_GEN_POS + t - Tt - Tr) * PARM_GEN_SLOTS * C;
                for (int s = 0; s < PARM_GEN_SLOTS; s++) memcpy(e + (size_t)s * C, d, sizeof(float) * C);
            } else {
                float *gp = dpe + (size_t)(Tt + t - i0) * C;
                for (int c = 0; c < C; c++) gp[c] += d[c];
                float *e = g->dtmp + (size_t)(b * PARM_GEN_POS + t - i0) * PARM_GEN_SLOTS * C;
                for (int s = 0; s < PARM_GEN_SLOTS; s++) memcpy(e + (size_t)s * C, d, sizeof(float) * C);
            }
        }
    parm_embedding_backward(parm_g(&g->p, g->img_emb), g->dtmp, g->img_ids, (int)N, C);
    if (Tr) { /* previous-image tokens: rows of absent images have no embedding */
        float *dv = parm_g(&g->p, g->prev_emb);
        for (long r = 0; r < N; r++) {
            if (g->prev_ids[r] < 0) continue;
            const float *d = g->dptmp + (size_t)r * C;
            float *o = dv + (size_t)g->prev_ids[r] * C;
            for (int c = 0; c < C; c++) o[c] += d[c];
        }
    }
    return 0;
}

int parm_gen_draw_mask(parm_rng *rng, int *perm) {
    const int NT = PARM_VQ_TOKENS;
    double r = cos(1.5707963267948966 * parm_rng_uniform(rng));
    int nm = (int)ceil(r * NT);
    nm = nm < 1 ? 1 : nm > NT ? NT : nm;
    for (int i = 0; i < NT; i++) perm[i] = i;
    for (int i = 0; i < nm; i++) {
        int j = parm_rng_int(rng, i, NT - 1), tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    return nm;
}

/* ---- weights I/O (config in metadata) ---- */
int parm_gen_save(const parm_gen *g, const char *path, parm_dtype dtype) {
    char v[7][16];
    const parm_gen_config *c = &g->cfg;
    int vals[7] = {c->L, c->C, c->NH, c->F, c->ncodes, c->text_len, c->refl_len};
    for (int i = 0; i < 7; i++) snprintf(v[i], sizeof v[i], "%d", vals[i]);
    char fp[24];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)g->vq_fingerprint);
    const char *meta[20] = {"model", "parm-gen", "L", v[0], "C", v[1], "NH", v[2], "F", v[3], "ncodes", v[4],
                            "text_len", v[5]};
    int nm = 7;
    if (g->vq_fingerprint) { meta[2 * nm] = "vq_fingerprint"; meta[2 * nm + 1] = fp; nm++; }
    if (c->refl_len) { meta[2 * nm] = "refl_len"; meta[2 * nm + 1] = v[6]; nm++; } /* plain files stay as they were */
    if (c->refl_len && c->uncond_prev) { meta[2 * nm] = "uncond_prev"; meta[2 * nm + 1] = "1"; nm++; }
    return parm_slab_save(&g->p, path, dtype, meta, nm);
}

int parm_gen_load(parm_gen *g, const char *path) {
    parm_st_file f;
    if (parm_st_open(&f, path)) return -1;
    parm_gen_config c;
    int *dst[6] = {&c.L, &c.C, &c.NH, &c.F, &c.ncodes, &c.text_len};
    const char *keys[6] = {"L", "C", "NH", "F", "ncodes", "text_len"};
    const char *model = parm_st_meta(&f, "model");
    int bad = !model || strcmp(model, "parm-gen");
    if (bad) PARM_ERR("'%s' is not a parm generator weights file (metadata model='%s', want 'parm-gen')", path,
                      model ? model : "");
    for (int i = 0; i < 6 && !bad; i++) {
        const char *v = parm_st_meta(&f, keys[i]);
        char *end;
        long x = v ? strtol(v, &end, 10) : 0;
        if (!v || *end || end == v) bad = PARM_ERR("'%s': metadata '%s' missing or not an integer", path, keys[i]);
        else *dst[i] = (int)x;
    }
    c.refl_len = 0;
    c.uncond_prev = 0;
    const char *rl = bad ? NULL : parm_st_meta(&f, "refl_len");
    if (rl) {
        char *end;
        long x = strtol(rl, &end, 10);
        if (*end || end == rl || x < 2 || x > 64) bad = PARM_ERR("'%s': metadata refl_len='%s' is not in [2, 64]", path, rl);
        else c.refl_len = (int)x;
    }
    const char *up = bad ? NULL : parm_st_meta(&f, "uncond_prev");
    if (up && (strcmp(up, "1") || !c.refl_len))
        bad = PARM_ERR("'%s': metadata uncond_prev='%s' (only \"1\", and only with refl_len)", path, up);
    else if (up) c.uncond_prev = 1;
    uint64_t fp = 0;
    const char *fps = bad ? NULL : parm_st_meta(&f, "vq_fingerprint");
    if (fps) {
        char *end;
        fp = strtoull(fps, &end, 16);
        if (*end || end == fps || strlen(fps) != 16 || !fp)
            bad = PARM_ERR("'%s': metadata vq_fingerprint='%s' is not 16 hex digits", path, fps);
    }
    parm_st_close(&f);
    if (bad) return -1;
    if (parm_gen_init(g, &c, 0)) return -1;
    if (parm_slab_load(&g->p, path)) { parm_gen_free(g); return -1; }
    g->vq_fingerprint = fp;
    return 0;
}

int parm_gen_check_vq(const parm_gen *g, const parm_vq *vq, const char *gen_path, const char *vq_path) {
    if (g->cfg.ncodes != vq->cfg.ncodes)
        return PARM_ERR("generator '%s' predicts %d codes but tokenizer '%s' has %d: they do not belong together "
                        "(pass the generator's own tokenizer with --vq)", gen_path, g->cfg.ncodes, vq_path,
                        vq->cfg.ncodes);
    uint64_t have = parm_vq_fingerprint(vq);
    if (g->vq_fingerprint && g->vq_fingerprint != have)
        return PARM_ERR("generator '%s' was trained on the tokenizer with codebook fingerprint %016llx, but "
                        "tokenizer '%s' has %016llx: they do not belong together (pass the generator's own "
                        "tokenizer with --vq)", gen_path, (unsigned long long)g->vq_fingerprint, vq_path,
                        (unsigned long long)have);
    return 0;
}
