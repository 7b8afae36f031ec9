/* gen.c — the Show-o-style generator model (see include/parm/gen.h):
 * parameters, the omni-attention mask, forward over [text][image groups],
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
    int64_t pe[2] = {g->T, c->C}, hw[2] = {(int64_t)PARM_GEN_SLOTS * c->ncodes, c->C}, hb = hw[0];
    g->tok_emb = parm_slab_add(s, "emb.text", 2, te, 0);
    g->img_emb = parm_slab_add(s, "emb.image", 2, ie, 0);
    g->pos_emb = parm_slab_add(s, "emb.pos", 2, pe, 0);
    parm_tf_config tc = {.L = c->L, .C = c->C, .NH = c->NH, .F = c->F};
    if (parm_tf_declare(&g->tf, s, "tf.", &tc)) return -1;
    g->head_w = parm_slab_add(s, "head.weight", 2, hw, 1);
    g->head_b = parm_slab_add(s, "head.bias", 1, &hb, 0);
    if (g->head_b < 0) return -1;
    return parm_slab_alloc(s);
}

int parm_gen_init(parm_gen *g, const parm_gen_config *cfg, uint64_t seed) {
    memset(g, 0, sizeof *g);
    if (cfg->L < 1 || cfg->C < 8 || cfg->NH < 1 || cfg->C % cfg->NH || cfg->F < 1 || cfg->ncodes < 2 ||
        cfg->text_len < 4 || cfg->text_len > 64)
        return PARM_ERR("bad generator config: L %d C %d NH %d F %d codes %d text_len %d", cfg->L, cfg->C, cfg->NH,
                        cfg->F, cfg->ncodes, cfg->text_len);
    g->cfg = *cfg;
    g->T = cfg->text_len + PARM_GEN_POS;
    if (declare(g)) return -1;
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_INIT);
    parm_init_normal(&g->p, g->tok_emb, 0.02f, &rng);
    parm_init_normal(&g->p, g->img_emb, 0.02f, &rng);
    parm_init_normal(&g->p, g->pos_emb, 0.02f, &rng);
    parm_tf_init(&g->tf, &rng);
    parm_init_normal(&g->p, g->head_w, 0.02f, &rng);
    parm_init_const(&g->p, g->head_b, 0.0f);
    return 0;
}

static void free_buffers(parm_gen *g) {
    free(g->x); free(g->dx); free(g->tmp); free(g->dtmp); free(g->mask); free(g->text_ids); free(g->img_ids);
    free(g->hid); free(g->dhid); free(g->logits); free(g->probs); free(g->targets);
    g->x = g->dx = g->tmp = g->dtmp = g->hid = g->dhid = g->logits = g->probs = NULL;
    g->mask = NULL; g->text_ids = g->img_ids = g->targets = NULL;
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
    if (!g->x || !g->dx || !g->tmp || !g->dtmp || !g->mask || !g->text_ids || !g->img_ids || !g->hid || !g->dhid ||
        !g->logits || !g->probs || !g->targets) {
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

/* Show-o omni-attention mask for one sequence with n non-pad text tokens. */
static void build_mask(uint8_t *m, int n, int Tt, int T) {
    memset(m, 0, (size_t)T * T);
    for (int q = 0; q < T; q++) {
        uint8_t *row = m + (size_t)q * T;
        if (q < Tt) {
            if (q < n) for (int k = 0; k <= q; k++) row[k] = 1; /* causal text */
            else row[0] = 1;                                    /* pad row: BOS only */
        } else {
            for (int k = 0; k < n; k++) row[k] = 1;             /* all text */
            for (int k = Tt; k < T; k++) row[k] = 1;            /* all image */
        }
    }
}

int parm_gen_forward(parm_gen *g, const int *text_ids, const int *img_tokens, int B, int train) {
    if (B < 1 || B > g->maxB) return PARM_ERR("generator batch %d outside [1, %d] (call parm_gen_alloc)", B, g->maxB);
    const int C = g->cfg.C, T = g->T, Tt = g->cfg.text_len, K = g->cfg.ncodes, V = parm_text_vocab_size();
    const float *te = parm_w(&g->p, g->tok_emb), *ie = parm_w(&g->p, g->img_emb), *pe = parm_w(&g->p, g->pos_emb);
    memcpy(g->text_ids, text_ids, sizeof(int) * B * Tt);
    for (int b = 0; b < B; b++) {
        int n = 0;
        for (int t = 0; t < Tt; t++) {
            int id = text_ids[b * Tt + t];
            if (id < 0 || id >= V) return PARM_ERR("text token %d outside the vocabulary [0, %d)", id, V);
            if (id != PARM_TOK_PAD) n = t + 1;
        }
        build_mask(g->mask + (size_t)b * T * T, n, Tt, T);
        for (int p = 0; p < PARM_GEN_POS; p++)
            for (int s = 0; s < PARM_GEN_SLOTS; s++) {
                int tok = img_tokens[b * NTOK + parm_gen_token_index(p, s)];
                if (tok < 0 || tok > K) return PARM_ERR("image token %d outside [0, %d] (K = MASK)", tok, K);
                g->img_ids[(b * PARM_GEN_POS + p) * PARM_GEN_SLOTS + s] = s * (K + 1) + tok;
            }
    }
    parm_embedding_forward(g->tmp, g->img_ids, ie, B * NTOK, C);
#pragma omp parallel for
    for (int bt = 0; bt < B * T; bt++) {
        int b = bt / T, t = bt % T;
        float *xr = g->x + (size_t)bt * C;
        const float *pr = pe + (size_t)t * C;
        if (t < Tt) {
            const float *er = te + (size_t)text_ids[b * Tt + t] * C;
            for (int c = 0; c < C; c++) xr[c] = er[c] + pr[c];
        } else {
            const float *e = g->tmp + (size_t)(b * PARM_GEN_POS + t - Tt) * PARM_GEN_SLOTS * C;
            for (int c = 0; c < C; c++) xr[c] = pr[c] + e[c] + e[C + c] + e[2 * C + c] + e[3 * C + c];
        }
    }
    const float *y = parm_tf_forward(&g->tf, g->x, g->mask, B, T, train);
    if (!y) return -1;
    for (int b = 0; b < B; b++)
        memcpy(g->hid + (size_t)b * PARM_GEN_POS * C, y + ((size_t)b * T + Tt) * C, sizeof(float) * PARM_GEN_POS * C);
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
    const int C = g->cfg.C, T = g->T, Tt = g->cfg.text_len, K = g->cfg.ncodes;
    const long N = (long)B * NTOK;
    if (B < 1 || B > g->maxB) return PARM_ERR("generator backward batch %d outside [1, %d]", B, g->maxB);
    memset(g->dhid, 0, sizeof(float) * B * PARM_GEN_POS * C);
    parm_linear_backward(g->dhid, parm_g(&g->p, g->head_w), parm_g(&g->p, g->head_b), dlogits, g->hid,
                    parm_w(&g->p, g->head_w), B * PARM_GEN_POS, C, PARM_GEN_SLOTS * K);
    float *dx = g->dx, *dy = g->dx + (size_t)B * T * C;
    memset(dy, 0, sizeof(float) * B * T * C);
    for (int b = 0; b < B; b++)
        memcpy(dy + ((size_t)b * T + Tt) * C, g->dhid + (size_t)b * PARM_GEN_POS * C, sizeof(float) * PARM_GEN_POS * C);
    memset(dx, 0, sizeof(float) * B * T * C);
    if (parm_tf_backward(&g->tf, dx, dy)) return -1;
    float *dte = parm_g(&g->p, g->tok_emb), *dpe = parm_g(&g->p, g->pos_emb);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *d = dx + ((size_t)b * T + t) * C;
            float *gp = dpe + (size_t)t * C;
            for (int c = 0; c < C; c++) gp[c] += d[c];
            if (t < Tt) {
                float *ge = dte + (size_t)g->text_ids[b * Tt + t] * C;
                for (int c = 0; c < C; c++) ge[c] += d[c];
            } else {
                float *e = g->dtmp + (size_t)(b * PARM_GEN_POS + t - Tt) * PARM_GEN_SLOTS * C;
                for (int s = 0; s < PARM_GEN_SLOTS; s++) memcpy(e + (size_t)s * C, d, sizeof(float) * C);
            }
        }
    parm_embedding_backward(parm_g(&g->p, g->img_emb), g->dtmp, g->img_ids, (int)N, C);
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
    char v[6][16];
    const parm_gen_config *c = &g->cfg;
    int vals[6] = {c->L, c->C, c->NH, c->F, c->ncodes, c->text_len};
    for (int i = 0; i < 6; i++) snprintf(v[i], sizeof v[i], "%d", vals[i]);
    char fp[24];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)g->vq_fingerprint);
    const char *meta[] = {"model", "parm-gen", "L", v[0], "C", v[1], "NH", v[2], "F", v[3], "ncodes", v[4],
                          "text_len", v[5], "vq_fingerprint", fp};
    return parm_slab_save(&g->p, path, dtype, meta, g->vq_fingerprint ? 8 : 7);
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
