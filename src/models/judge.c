/* judge.c — the judge model (see include/parm/judge.h): parameters, the
 * [Q][text][patches] embedding with the palette-class patch gather-sum, the
 * padding-key attention mask, forward to one yes/no logit per sequence, BCE
 * loss and the full backward, P(yes) for a batch of images, weights I/O. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/text.h"
#include "parm/judge.h"
#include "parm/ops.h"
#include "judge_internal.h"

#define NP PARM_JUDGE_PATCHES /* 64 patches per image */
#define NK (PARM_JUDGE_PATCH * PARM_JUDGE_PATCH) /* 64 pixels per patch */
#define NCLS PARM_JUDGE_CLASSES

const char *const parm_judge_question_names[PARM_JUDGE_NQ] = {"match", "clarity", "potential", "step"};

int parm_judge_question_index(const char *name) {
    for (int q = 0; name && q < PARM_JUDGE_NQ; q++)
        if (!strcmp(name, parm_judge_question_names[q])) return q;
    return -1;
}

static int bad_question(int q) {
    return PARM_ERR("unknown judge question %d (valid: 0 match, 1 clarity, 2 potential, 3 step)", q);
}

parm_judge_config parm_judge_default_config(void) {
    parm_judge_config c = {.L = 4, .C = 192, .NH = 6, .F = 768, .text_len = 16};
    return c;
}

static int declare(parm_judge *j) {
    const parm_judge_config *c = &j->cfg;
    parm_slab *s = &j->p;
    int64_t qe[2] = {PARM_JUDGE_NQ, c->C}, te[2] = {parm_text_vocab_size(), c->C};
    int64_t pa[2] = {PARM_JUDGE_PATCH_IN, c->C}, pe[2] = {j->T, c->C}, hw[2] = {1, c->C}, hb = 1;
    j->q_emb = parm_slab_add(s, "emb.question", 2, qe, 0);
    j->tok_emb = parm_slab_add(s, "emb.text", 2, te, 0);
    j->patch_emb = parm_slab_add(s, "emb.patch", 2, pa, 0);
    j->pos_emb = parm_slab_add(s, "emb.pos", 2, pe, 0);
    parm_tf_config tc = {.L = c->L, .C = c->C, .NH = c->NH, .F = c->F};
    if (parm_tf_declare(&j->tf, s, "tf.", &tc)) return -1;
    j->head_w = parm_slab_add(s, "head.weight", 2, hw, 1);
    j->head_b = parm_slab_add(s, "head.bias", 1, &hb, 0);
    if (j->head_b < 0) return -1;
    j->ground_w = -1; /* last, so a judge without it has the same slab as before */
    if (c->ground && (j->ground_w = parm_slab_add(s, "head.ground", 2, hw, 1)) < 0) return -1;
    return parm_slab_alloc(s);
}

int parm_judge_set_pos2d(parm_judge *j, float norm) {
    if (!(norm >= 0 && norm <= 1000)) return PARM_ERR("2-D position code norm %g outside [0, 1000]", norm);
    free(j->pos2d);
    j->pos2d = NULL;
    j->cfg.pos2d = norm;
    if (norm == 0) return 0;
    const int C = j->cfg.C;
    if (!(j->pos2d = parm_malloc(sizeof(float) * NP * C))) return -1;
    for (int p = 0; p < NP; p++) {
        float *v = j->pos2d + (size_t)p * C;
        double ss = 0;
        for (int c = 0; c < C; c++) {
            int k = c % 14, u = k < 7 ? p % 8 : p / 8;
            v[c] = (float)((c / 14) % 2 ? -1 : 1) * cosf((float)M_PI * (k % 7 + 1) * (u + 0.5f) / 8);
            ss += (double)v[c] * v[c];
        }
        for (int c = 0; c < C; c++) v[c] = (float)(v[c] * norm / sqrt(ss));
    }
    return 0;
}

int parm_judge_init(parm_judge *j, const parm_judge_config *cfg, uint64_t seed) {
    memset(j, 0, sizeof *j);
    if (cfg->L < 1 || cfg->C < 8 || cfg->NH < 1 || cfg->C % cfg->NH || cfg->F < 1 || cfg->text_len < 4 ||
        cfg->text_len > 64 || cfg->ground < 0 || cfg->ground > 1)
        return PARM_ERR("bad judge config: L %d C %d NH %d F %d text_len %d (need C %% NH == 0, text_len in [4, 64])",
                        cfg->L, cfg->C, cfg->NH, cfg->F, cfg->text_len);
    j->cfg = *cfg;
    j->T = 1 + cfg->text_len + NP;
    if (declare(j) || parm_judge_set_pos2d(j, cfg->pos2d)) return -1;
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_INIT);
    parm_init_normal(&j->p, j->q_emb, 0.02f, &rng);
    parm_init_normal(&j->p, j->tok_emb, 0.02f, &rng);
    parm_init_normal(&j->p, j->patch_emb, 0.02f / 8, &rng); /* a patch sums 64 rows: std 0.02 */
    parm_init_normal(&j->p, j->pos_emb, 0.02f, &rng);
    parm_tf_init(&j->tf, &rng);
    parm_init_normal(&j->p, j->head_w, 0.02f, &rng);
    parm_init_const(&j->p, j->head_b, 0.0f);
    if (j->ground_w >= 0) parm_init_normal(&j->p, j->ground_w, 0.02f, &rng);
    return 0;
}

/* every tensor of j into the same-named, same-sized tensor of k (a fresh judge
 * of a larger config); on a mismatch k is freed and the error names `what` */
static int copy_tensors(parm_judge *k, const parm_judge *j, const char *what) {
    for (int i = 0; i < j->p.n; i++) {
        int d = parm_slab_find(&k->p, j->p.views[i].name);
        if (d < 0 || k->p.views[d].numel != j->p.views[i].numel) {
            parm_judge_free(k);
            return PARM_ERR("judge: tensor '%s' does not carry over to the %s", j->p.views[i].name, what);
        }
        memcpy(parm_w(&k->p, d), parm_w(&j->p, i), sizeof(float) * j->p.views[i].numel);
    }
    return 0;
}

int parm_judge_grow(parm_judge *j, int extra, uint64_t seed) {
    if (extra == 0) return 0;
    if (extra < 0 || j->cfg.L + extra > 64) return PARM_ERR("judge: cannot grow %d blocks by %d (at most 64 in all)",
                                                           j->cfg.L, extra);
    parm_judge_config c = j->cfg;
    c.L += extra;
    parm_judge k;
    if (parm_judge_init(&k, &c, seed)) return -1;
    /* every old tensor by name: the first L blocks, embeddings, heads, final LN */
    if (copy_tensors(&k, j, "grown judge")) return -1;
    for (int l = j->cfg.L; l < c.L; l++) { /* identity blocks: nothing added to the residual stream */
        const parm_tf_block_params *b = &k.tf.blk[l];
        parm_init_const(&k.p, b->projw, 0.0f);
        parm_init_const(&k.p, b->projb, 0.0f);
        parm_init_const(&k.p, b->fcpw, 0.0f);
        parm_init_const(&k.p, b->fcpb, 0.0f);
    }
    memcpy(k.variant, j->variant, sizeof k.variant);
    k.atoms = j->atoms;
    k.as_match = j->as_match;
    k.forwards = j->forwards;
    parm_judge_free(j);
    *j = k;
    j->tf.slab = &j->p;
    parm_gemm_weights_changed();
    return 0;
}

int parm_judge_add_ground(parm_judge *j, uint64_t seed) {
    if (j->cfg.ground) return 0;
    parm_judge_config c = j->cfg;
    c.ground = 1;
    parm_judge k;
    if (parm_judge_init(&k, &c, seed)) return -1;
    /* head.ground keeps the fresh init's N(0, 0.02) draw; the rest is copied over */
    if (copy_tensors(&k, j, "grounding judge")) return -1;
    memcpy(k.variant, j->variant, sizeof k.variant);
    k.atoms = j->atoms;
    k.forwards = j->forwards;
    parm_judge_free(j);
    *j = k;
    j->tf.slab = &j->p; /* the stack's parameters live in the moved slab */
    parm_gemm_weights_changed();
    return 0;
}

static void free_buffers(parm_judge *j) {
    free(j->x); free(j->dx); free(j->mask); free(j->question); free(j->text_ids); free(j->pix_rows);
    free(j->hid); free(j->dhid); free(j->logits); free(j->dlogits); free(j->glog);
    j->x = j->dx = j->hid = j->dhid = j->logits = j->dlogits = j->glog = NULL;
    j->mask = NULL; j->question = j->text_ids = NULL; j->pix_rows = NULL;
    j->maxB = 0;
}

int parm_judge_alloc(parm_judge *j, int maxB) {
    if (maxB < 1) return PARM_ERR("judge batch %d < 1", maxB);
    if (maxB <= j->maxB) return 0;
    free_buffers(j);
    if (parm_tf_alloc(&j->tf, maxB, j->T)) return -1;
    size_t C = j->cfg.C, T = j->T, B = maxB;
    j->x = parm_malloc(B * T * C * sizeof(float));
    j->dx = parm_malloc(2 * B * T * C * sizeof(float));
    j->mask = parm_malloc(B * T * T);
    j->question = parm_malloc(B * sizeof(int));
    j->text_ids = parm_malloc(B * j->cfg.text_len * sizeof(int));
    j->pix_rows = parm_malloc(B * NP * NK * sizeof(uint16_t));
    j->hid = parm_malloc(B * C * sizeof(float));
    j->dhid = parm_malloc(B * C * sizeof(float));
    j->logits = parm_malloc(B * sizeof(float));
    j->dlogits = parm_malloc(B * sizeof(float));
    j->glog = parm_malloc(B * NP * sizeof(float));
    if (!j->x || !j->dx || !j->mask || !j->question || !j->text_ids || !j->pix_rows || !j->hid || !j->dhid ||
        !j->logits || !j->dlogits || !j->glog) {
        free_buffers(j);
        return -1;
    }
    j->maxB = maxB;
    return 0;
}

void parm_judge_free(parm_judge *j) {
    free_buffers(j);
    free(j->pos2d);
    j->pos2d = NULL;
    parm_tf_free(&j->tf);
    parm_slab_free(&j->p);
}

/* rgb [64,64,3] → rows [64 patches, 64 pixels]: emb.patch row k·11 + class */
static void patch_rows(uint16_t *rows, const uint8_t *rgb) {
    for (int y = 0; y < PARM_IMG; y++)
        for (int x = 0; x < PARM_IMG; x++) {
            int p = (y / PARM_JUDGE_PATCH) * 8 + x / PARM_JUDGE_PATCH;
            int k = (y % PARM_JUDGE_PATCH) * PARM_JUDGE_PATCH + x % PARM_JUDGE_PATCH;
            rows[p * NK + k] = (uint16_t)(k * NCLS + parm_pixel_class(rgb + 3 * (y * PARM_IMG + x)));
        }
}

int parm_judge_forward(parm_judge *j, const int *question, const int *text_ids, const uint8_t *rgb, int B, int train) {
    if (B < 1 || B > j->maxB) return PARM_ERR("judge batch %d outside [1, %d] (call parm_judge_alloc)", B, j->maxB);
    const int C = j->cfg.C, T = j->T, Tt = j->cfg.text_len, V = parm_text_vocab_size();
    for (int b = 0; b < B; b++) {
        if (question[b] < 0 || question[b] >= PARM_JUDGE_NQ) return bad_question(question[b]);
        int n = 0; /* non-pad text positions: up to the last non-pad token */
        for (int t = 0; t < Tt; t++) {
            int id = text_ids[b * Tt + t];
            if (id < 0 || id >= V) return PARM_ERR("text token %d outside the vocabulary [0, %d)", id, V);
            if (id != PARM_TOK_PAD) n = t + 1;
        }
        /* every query sees the question, the non-pad text and every patch */
        uint8_t *m = j->mask + (size_t)b * T * T;
        for (int k = 0; k < T; k++) m[k] = k <= n || k > Tt;
        for (int q = 1; q < T; q++) memcpy(m + (size_t)q * T, m, T);
    }
    memcpy(j->question, question, sizeof(int) * B);
    memcpy(j->text_ids, text_ids, sizeof(int) * B * Tt);
#pragma omp parallel for
    for (int b = 0; b < B; b++) patch_rows(j->pix_rows + (size_t)b * NP * NK, rgb + (size_t)b * PARM_IMG * PARM_IMG * 3);
    const float *qe = parm_w(&j->p, j->q_emb), *te = parm_w(&j->p, j->tok_emb);
    const float *pa = parm_w(&j->p, j->patch_emb), *pe = parm_w(&j->p, j->pos_emb);
#pragma omp parallel for
    for (int bt = 0; bt < B * T; bt++) {
        int b = bt / T, t = bt % T;
        float *xr = j->x + (size_t)bt * C;
        const float *pr = pe + (size_t)t * C;
        if (t <= Tt) {
            const float *er = t == 0 ? qe + (size_t)question[b] * C : te + (size_t)text_ids[b * Tt + t - 1] * C;
            for (int c = 0; c < C; c++) xr[c] = er[c] + pr[c];
        } else {
            const uint16_t *rows = j->pix_rows + ((size_t)b * NP + t - 1 - Tt) * NK;
            const float *p2 = j->pos2d ? j->pos2d + (size_t)(t - 1 - Tt) * C : NULL;
            for (int c = 0; c < C; c++) xr[c] = pr[c] + (p2 ? p2[c] : 0.0f);
            for (int k = 0; k < NK; k++) {
                const float *er = pa + (size_t)rows[k] * C;
                for (int c = 0; c < C; c++) xr[c] += er[c];
            }
        }
    }
    const float *y = parm_tf_forward(&j->tf, j->x, j->mask, B, T, train);
    if (!y) return -1;
    j->y = y;
    for (int b = 0; b < B; b++) memcpy(j->hid + (size_t)b * C, y + (size_t)b * T * C, sizeof(float) * C);
    parm_linear_forward(j->logits, j->hid, parm_w(&j->p, j->head_w), parm_w(&j->p, j->head_b), B, C, 1);
    if (j->ground_w >= 0) { /* g[b,p] = y[b, 1+Tt+p] · w, in double for a batch-independent, exact-ish sum */
        const float *w = parm_w(&j->p, j->ground_w);
        for (int b = 0; b < B; b++)
            for (int p = 0; p < NP; p++) {
                const float *yr = y + ((size_t)b * T + 1 + Tt + p) * C;
                double acc = 0;
                for (int c = 0; c < C; c++) acc += (double)yr[c] * w[c];
                j->glog[b * NP + p] = (float)acc;
            }
    }
    j->forwards += B;
    return 0;
}

float parm_judge_loss_backward(parm_judge *j, const float *labels, const float *weights, int B) {
    return parm_judge_loss_backward_aux(j, labels, weights, NULL, 0.0f, B, NULL);
}

/* caption completion: CE over masked words through the tied text embedding;
 * adds word_weight·∂CE/∂y into dy and into d emb.text. Returns the CE (0 if
 * no word is masked), NAN on allocation failure. */
static float word_loss_backward(parm_judge *j, const int *word_targets, float word_weight, int B, float *dy) {
    const int C = j->cfg.C, T = j->T, Tt = j->cfg.text_len, V = parm_text_vocab_size();
    int R = 0;
    for (int i = 0; i < B * Tt; i++) R += word_targets[i] >= 0;
    if (!R) return 0.0f;
    float *h = parm_malloc(sizeof(float) * R * C), *lg = parm_malloc(sizeof(float) * R * V);
    float *pr = parm_malloc(sizeof(float) * R * V), *dlg = parm_calloc((size_t)R * V, sizeof(float));
    float *dh = parm_calloc((size_t)R * C, sizeof(float));
    int *tg = parm_malloc(sizeof(int) * R), *row = parm_malloc(sizeof(int) * R);
    float loss = NAN;
    if (!h || !lg || !pr || !dlg || !dh || !tg || !row) goto done;
    int r = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < Tt; t++)
            if (word_targets[b * Tt + t] >= 0) {
                row[r] = b * T + 1 + t; /* text token t sits at sequence position 1 + t */
                tg[r] = word_targets[b * Tt + t];
                memcpy(h + (size_t)r * C, j->y + (size_t)row[r] * C, sizeof(float) * C);
                r++;
            }
    float *te = parm_w(&j->p, j->tok_emb), *dte = parm_g(&j->p, j->tok_emb);
    parm_linear_forward(lg, h, te, NULL, R, C, V); /* logits [R,V] = h · emb.textᵀ */
    loss = parm_crossentropy_forward(pr, lg, tg, NULL, R, V, -1);
    parm_crossentropy_backward(dlg, word_weight, pr, tg, NULL, R, V, -1);
    parm_linear_backward(dh, dte, NULL, dlg, h, te, R, C, V);
    for (int k = 0; k < R; k++)
        for (int c = 0; c < C; c++) dy[(size_t)row[k] * C + c] += dh[(size_t)k * C + c];
done:
    free(h); free(lg); free(pr); free(dlg); free(dh); free(tg); free(row);
    return loss;
}

/* the grounding loss (judge.h): adds ∂[(1/B) Σ_b w_b CE_b]/∂y into dy (patch rows)
 * and into d head.ground; fills a's ground outputs. 0 / -1. */
static int ground_loss_backward(parm_judge *j, parm_judge_aux *a, int B, float *dy) {
    a->ground_loss = 0.0f;
    a->ground_ce = 0;
    a->ground_rows = 0;
    if (!a->ground || !a->ground_w) return 0;
    const int C = j->cfg.C, T = j->T, Tt = j->cfg.text_len;
    int any = 0;
    for (int b = 0; b < B; b++) {
        if (!(a->ground_w[b] >= 0) || !isfinite(a->ground_w[b]))
            return PARM_ERR("judge: grounding weight %g of row %d is not a finite number >= 0", a->ground_w[b], b);
        any |= a->ground_w[b] > 0;
    }
    if (!any) return 0;
    if (j->ground_w < 0) return PARM_ERR("judge: grounding targets given to a judge without head.ground");
    const float *w = parm_w(&j->p, j->ground_w);
    float *dw = parm_g(&j->p, j->ground_w);
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float gw = a->ground_w[b], *t = a->ground + (size_t)b * NP, *g = j->glog + (size_t)b * NP;
        if (gw == 0) continue;
        double mx = g[0], z = 0, ts = 0, ce = 0, sm[NP];
        for (int p = 1; p < NP; p++) mx = g[p] > mx ? g[p] : mx;
        for (int p = 0; p < NP; p++) z += sm[p] = exp(g[p] - mx);
        const double lz = log(z);
        for (int p = 0; p < NP; p++) {
            if (!(t[p] >= 0) || !isfinite(t[p])) return PARM_ERR("judge: grounding target %g of row %d patch %d", t[p], b, p);
            ts += t[p];
            ce -= t[p] * (g[p] - mx - lz);
        }
        loss += gw * ce;
        a->ground_ce += ce;
        a->ground_rows++;
        const double coef = (double)gw / B;
        for (int p = 0; p < NP; p++) {
            const float dg = (float)(coef * (sm[p] / z * ts - t[p]));
            const size_t row = (size_t)b * T + 1 + Tt + p;
            const float *yr = j->y + row * C;
            float *dyr = dy + row * C;
            for (int c = 0; c < C; c++) {
                dyr[c] += dg * w[c];
                dw[c] += dg * yr[c];
            }
        }
    }
    a->ground_loss = (float)(loss / B);
    return 0;
}

float parm_judge_loss_backward_aux(parm_judge *j, const float *labels, const float *weights, const int *word_targets,
                                   float word_weight, int B, float *word_loss) {
    parm_judge_aux a = {.word_targets = word_targets, .word_weight = word_weight};
    float l = parm_judge_loss_backward_ex(j, labels, weights, &a, B);
    if (word_loss) *word_loss = a.word_loss;
    return l;
}

float parm_judge_loss_backward_ex(parm_judge *j, const float *labels, const float *weights, parm_judge_aux *aux, int B) {
    const int *word_targets = aux->word_targets;
    const float word_weight = aux->word_weight;
    float *word_loss = &aux->word_loss;
    *word_loss = 0.0f;
    aux->ground_loss = 0.0f;
    aux->ground_ce = 0;
    aux->ground_rows = 0;
    if (!j->tf.trained || j->tf.B != B) {
        PARM_ERR("judge backward needs a train-mode forward of the same batch (%d)", B);
        return NAN;
    }
    const int C = j->cfg.C, T = j->T, Tt = j->cfg.text_len;
    float loss = parm_bce_logits_forward(j->logits, labels, weights, B);
    memset(j->dlogits, 0, sizeof(float) * B);
    parm_bce_logits_backward(j->dlogits, 1.0f, j->logits, labels, weights, B);
    if (aux->dlogit_extra)
        for (int b = 0; b < B; b++) j->dlogits[b] += aux->dlogit_extra[b];
    memset(j->dhid, 0, sizeof(float) * B * C);
    parm_linear_backward(j->dhid, parm_g(&j->p, j->head_w), parm_g(&j->p, j->head_b), j->dlogits, j->hid,
                    parm_w(&j->p, j->head_w), B, C, 1);
    float *dx = j->dx, *dy = j->dx + (size_t)B * T * C;
    memset(dy, 0, sizeof(float) * B * T * C);
    for (int b = 0; b < B; b++) memcpy(dy + (size_t)b * T * C, j->dhid + (size_t)b * C, sizeof(float) * C);
    if (word_targets) {
        float wl = word_loss_backward(j, word_targets, word_weight, B, dy);
        if (isnan(wl)) return NAN;
        if (word_loss) *word_loss = wl;
    }
    if (ground_loss_backward(j, aux, B, dy)) return NAN;
    memset(dx, 0, sizeof(float) * B * T * C);
    if (parm_tf_backward(&j->tf, dx, dy)) return NAN;
    float *dqe = parm_g(&j->p, j->q_emb), *dte = parm_g(&j->p, j->tok_emb);
    float *dpa = parm_g(&j->p, j->patch_emb), *dpe = parm_g(&j->p, j->pos_emb);
    /* positions: one t per iteration (fixed summation order over b) */
#pragma omp parallel for
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            const float *d = dx + ((size_t)b * T + t) * C;
            float *g = dpe + (size_t)t * C;
            for (int c = 0; c < C; c++) g[c] += d[c];
        }
    for (int b = 0; b < B; b++)
        for (int t = 0; t <= Tt; t++) {
            const float *d = dx + ((size_t)b * T + t) * C;
            float *g = t == 0 ? dqe + (size_t)j->question[b] * C : dte + (size_t)j->text_ids[b * Tt + t - 1] * C;
            for (int c = 0; c < C; c++) g[c] += d[c];
        }
    /* patch table: scatter-add, split over channel blocks so every element
     * sums in the same (b, p, k) order for any thread count */
#pragma omp parallel for
    for (int c0 = 0; c0 < C; c0 += 16) {
        int c1 = c0 + 16 < C ? c0 + 16 : C;
        for (int b = 0; b < B; b++)
            for (int p = 0; p < NP; p++) {
                const float *d = dx + ((size_t)b * T + 1 + Tt + p) * C;
                const uint16_t *rows = j->pix_rows + ((size_t)b * NP + p) * NK;
                for (int k = 0; k < NK; k++) {
                    float *g = dpa + (size_t)rows[k] * C;
                    for (int c = c0; c < c1; c++) g[c] += d[c];
                }
            }
    }
    return loss;
}

float parm_judge_relation_logit(const float *gA, const float *gB, int rel) {
    if (rel < PARM_REL_LEFT || rel > PARM_REL_BELOW) return NAN;
    double c[2][2];
    const float *g[2] = {gA, gB};
    for (int k = 0; k < 2; k++) { /* centroid of the soft mask softmax(g), patch centres in pixels */
        double mx = g[k][0], z = 0, cx = 0, cy = 0;
        for (int p = 1; p < NP; p++) mx = g[k][p] > mx ? g[k][p] : mx;
        for (int p = 0; p < NP; p++) {
            double e = exp(g[k][p] - mx);
            z += e;
            cx += e * (PARM_JUDGE_PATCH * (p % 8) + PARM_JUDGE_PATCH / 2);
            cy += e * (PARM_JUDGE_PATCH * (p / 8) + PARM_JUDGE_PATCH / 2);
        }
        c[k][0] = cx / z;
        c[k][1] = cy / z;
    }
    const double rx = c[0][0] - c[1][0], ry = c[0][1] - c[1][1], nr = sqrt(rx * rx + ry * ry) + 1e-3;
    /* the grader's dead zone: each axis' offset less 0.1·(side_A + side_B), sides taken as 16 px */
    const double mx = rx > 0 ? fmax(rx - PARM_JUDGE_REL_DEAD, 0) : -fmax(-rx - PARM_JUDGE_REL_DEAD, 0);
    const double my = ry > 0 ? fmax(ry - PARM_JUDGE_REL_DEAD, 0) : -fmax(-ry - PARM_JUDGE_REL_DEAD, 0);
    const double dx = mx / nr, dy = my / nr; /* y grows downward: "above" is dy < 0 */
    const double m = rel == PARM_REL_LEFT ? -dx - 0.5 : rel == PARM_REL_RIGHT ? dx - 0.5 : rel == PARM_REL_ABOVE ? -dy - 0.5
                                                                                                                : dy - 0.5;
    return (float)(PARM_JUDGE_REL_KAPPA * m);
}

/* Logits of n items (question q[i], text texts[i], image i of rgb) for a
 * judge with the grounding head: a relation atom asked with MATCH becomes
 * the readout of its two objects' grounding forwards (judge.h); a forward
 * equal to one of the last 8 (same text, same image bytes) is shared. */
#define SHARE_WINDOW 8
int parm_judge_logits_items(parm_judge *j, const int *q, const char *const *texts, const uint8_t *rgb, int n,
                            float *out) {
    enum { NPX = PARM_IMG * PARM_IMG * 3 };
    if (n < 1) return 0;
    if (j->maxB < 1 && parm_judge_alloc(j, n < 32 ? n : 32)) return -1;
    const int Tt = j->cfg.text_len, NB = j->maxB;
    char (*otext)[64] = parm_malloc(sizeof *otext * 2 * n);
    const char **etext = parm_malloc(sizeof *etext * 2 * n);
    int *eimg = parm_malloc(sizeof(int) * 2 * n), *eq = parm_malloc(sizeof(int) * 2 * n);
    int *e0 = parm_malloc(sizeof(int) * n), *e1 = parm_malloc(sizeof(int) * n), *rel = parm_malloc(sizeof(int) * n);
    float *el = parm_malloc(sizeof(float) * 2 * n), *eg = parm_malloc(sizeof(float) * 2 * n * NP);
    int *bq = parm_malloc(sizeof(int) * NB), *ids = parm_malloc(sizeof(int) * NB * Tt), rc = -1, ne = 0;
    uint8_t *img = parm_malloc((size_t)NB * NPX);
    if (!otext || !etext || !eimg || !eq || !e0 || !e1 || !rel || !el || !eg || !bq || !ids || !img) goto done;
    for (int i = 0; i < n; i++) {
        const char *text = texts[i];
        if (!text) { PARM_ERR("judge: prompt %d is NULL", i); goto done; }
        parm_atom a;
        const int is_rel = q[i] == PARM_Q_MATCH && !parm_atom_parse(text, &a) && a.kind == PARM_ATOM_RELATION;
        if (!is_rel) parm_clear_error();
        e1[i] = -1;
        for (int k = 0; k < 1 + is_rel; k++) {
            const char *t = text;
            if (is_rel) { /* "is there a <subject>", "is there a <reference>" */
                parm_atom o = {.kind = PARM_ATOM_OBJECT, .shape = k ? a.ref_shape : a.shape, .color = -1, .count = 1,
                               .rel = PARM_REL_NONE, .ref_shape = -1};
                if (parm_atom_text(&o, otext[2 * i + k], sizeof otext[0])) goto done;
                t = otext[2 * i + k];
                rel[i] = a.rel;
            }
            int e = -1;
            for (int s = ne - 1; s >= 0 && s >= ne - SHARE_WINDOW && e < 0; s--)
                if (eq[s] == q[i] && !strcmp(etext[s], t) &&
                    (eimg[s] == i || !memcmp(rgb + (size_t)eimg[s] * NPX, rgb + (size_t)i * NPX, NPX)))
                    e = s;
            if (e < 0) { e = ne++; etext[e] = t; eimg[e] = i; eq[e] = q[i]; }
            *(k ? &e1[i] : &e0[i]) = e;
        }
    }
    for (int i0 = 0; i0 < ne; i0 += NB) {
        int B = ne - i0 < NB ? ne - i0 : NB;
        for (int b = 0; b < B; b++) {
            bq[b] = eq[i0 + b];
            memcpy(img + (size_t)b * NPX, rgb + (size_t)eimg[i0 + b] * NPX, NPX);
            if (parm_text_encode(etext[i0 + b], ids + b * Tt, Tt) < 0) goto done;
        }
        if (parm_judge_forward(j, bq, ids, img, B, 0)) goto done;
        memcpy(el + i0, j->logits, sizeof(float) * B);
        memcpy(eg + (size_t)i0 * NP, j->glog, sizeof(float) * B * NP);
    }
    for (int i = 0; i < n; i++) {
        float x = e1[i] < 0 ? el[e0[i]] : parm_judge_relation_logit(eg + (size_t)e0[i] * NP, eg + (size_t)e1[i] * NP, rel[i]);
        if (!isfinite(x)) { PARM_ERR("judge: non-finite logit %g for image %d", x, i); goto done; }
        out[i] = x;
    }
    rc = 0;
done:
    free(otext); free(etext); free(eimg); free(eq); free(e0); free(e1); free(rel); free(el); free(eg); free(bq);
    free(ids); free(img);
    return rc;
}

/* logits of n (question, text, image) sequences, batched through j's buffers */
static int logits_raw(parm_judge *j, int question, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                      float *out) {
    if (j->ground_w >= 0) { /* the relation readout (judge.h) */
        int *q = parm_malloc(sizeof(int) * (n > 0 ? n : 1)), rc;
        const char **t = parm_malloc(sizeof *t * (n > 0 ? n : 1));
        if (!q || !t) { free(q); free(t); return -1; }
        for (int i = 0; i < n; i++) { q[i] = question; t[i] = prompts[nprompts == 1 ? 0 : i]; }
        rc = parm_judge_logits_items(j, q, t, rgb, n, out);
        free(q);
        free(t);
        return rc;
    }
    if (j->maxB < 1 && parm_judge_alloc(j, n < 32 ? n : 32)) return -1;
    const int Tt = j->cfg.text_len, NB = j->maxB;
    int *q = parm_malloc(sizeof(int) * NB), *ids = parm_malloc(sizeof(int) * NB * Tt), rc = -1;
    if (!q || !ids) goto done;
    for (int i0 = 0; i0 < n; i0 += NB) {
        int B = n - i0 < NB ? n - i0 : NB;
        for (int b = 0; b < B; b++) {
            const char *text = prompts[nprompts == 1 ? 0 : i0 + b];
            if (!text) { PARM_ERR("judge: prompt %d is NULL", nprompts == 1 ? 0 : i0 + b); goto done; }
            q[b] = question;
            if (parm_text_encode(text, ids + b * Tt, Tt) < 0) goto done;
        }
        if (parm_judge_forward(j, q, ids, rgb + (size_t)i0 * PARM_IMG * PARM_IMG * 3, B, 0)) goto done;
        for (int b = 0; b < B; b++) {
            float x = j->logits[b];
            if (!isfinite(x)) { PARM_ERR("judge: non-finite logit %g for image %d", x, i0 + b); goto done; }
            out[i0 + b] = x;
        }
    }
    rc = 0;
done:
    free(q);
    free(ids);
    return rc;
}

static float sigmoid(float x) { return x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x)); }

static int check_prob_args(const char *const *prompts, int nprompts, const uint8_t *rgb, int n) {
    if (n < 0 || !prompts || (n > 0 && !rgb) || (nprompts != 1 && nprompts != n))
        return PARM_ERR("judge: %d prompts for %d images (pass one prompt per image, or one for all)", nprompts, n);
    return 0;
}

const char *const parm_atoms_rule_names[PARM_NATOMS_RULES] = {"off", "product", "min", "prompt-product", "prompt-min",
                                                              "objects-product", "objects-min"};
int parm_atoms_rule_index(const char *name) {
    for (int r = 0; name && r < PARM_NATOMS_RULES; r++)
        if (!strcmp(name, parm_atoms_rule_names[r])) return r;
    return -1;
}

int parm_judge_logit_atoms(parm_judge *j, int rule, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                           float *logits) {
    if (rule <= PARM_ATOMS_OFF || rule >= PARM_NATOMS_RULES)
        return PARM_ERR("judge: atoms rule %d is not one of %d..%d (%s)", rule, PARM_ATOMS_PRODUCT,
                        PARM_NATOMS_RULES - 1, PARM_ATOMS_RULES_LIST);
    const int as_prompt = rule == PARM_ATOMS_PROMPT_PRODUCT || rule == PARM_ATOMS_PROMPT_MIN;
    const int use_min = rule == PARM_ATOMS_MIN || rule == PARM_ATOMS_PROMPT_MIN || rule == PARM_ATOMS_OBJECTS_MIN;
    const int no_rel = rule == PARM_ATOMS_OBJECTS_PRODUCT || rule == PARM_ATOMS_OBJECTS_MIN;
    if (check_prob_args(prompts, nprompts, rgb, n)) return -1;
    enum { CH = 32, NPX = PARM_IMG * PARM_IMG * 3 }; /* images per chunk: CH·3 atom sequences */
    char (*txt)[160] = parm_malloc(sizeof *txt * CH * PARM_MAX_ATOMS);
    const char **ptr = parm_malloc(sizeof *ptr * CH * PARM_MAX_ATOMS);
    uint8_t *img = parm_malloc((size_t)CH * PARM_MAX_ATOMS * NPX);
    int *owner = parm_malloc(sizeof(int) * CH * PARM_MAX_ATOMS), rc = -1;
    float *al = parm_malloc(sizeof(float) * CH * PARM_MAX_ATOMS);
    if (!txt || !ptr || !img || !owner || !al) goto done;
    for (int i0 = 0; i0 < n; i0 += CH) {
        int m = 0, B = n - i0 < CH ? n - i0 : CH;
        for (int b = 0; b < B; b++) {
            const int i = i0 + b;
            const char *text = prompts[nprompts == 1 ? 0 : i];
            parm_prompt p;
            parm_atom at[PARM_MAX_ATOMS];
            if (!text) { PARM_ERR("judge: prompt %d is NULL", nprompts == 1 ? 0 : i); goto done; }
            int na = parm_prompt_parse(text, &p) ? -1 : parm_prompt_atoms(&p, at);
            if (na < 1) { PARM_ERR("judge: cannot score '%s' by its atoms: %s", text, parm_last_error()); goto done; }
            for (int k = 0; k < na; k++, m++) {
                if (no_rel && at[k].kind == PARM_ATOM_RELATION) { m--; continue; }
                parm_prompt ap;
                if (as_prompt ? parm_atom_prompt(&at[k], &ap) : parm_atom_text(&at[k], txt[m], sizeof txt[m])) goto done;
                if (as_prompt) snprintf(txt[m], sizeof txt[m], "%s", ap.text);
                ptr[m] = txt[m];
                memcpy(img + (size_t)m * NPX, rgb + (size_t)i * NPX, NPX);
                owner[m] = b;
            }
        }
        if (logits_raw(j, PARM_Q_MATCH, ptr, m, img, m, al)) goto done;
        double acc[CH];
        for (int b = 0; b < B; b++) acc[b] = use_min ? INFINITY : 0;
        for (int k = 0; k < m; k++) {
            double x = al[k];
            if (use_min) acc[owner[k]] = fmin(acc[owner[k]], x);
            else acc[owner[k]] += x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x)); /* log sigma(x) */
        }
        for (int b = 0; b < B; b++) {
            double x = acc[b];
            if (!use_min) x = x - log(-expm1(x)); /* log P - log(1 - P) */
            logits[i0 + b] = (float)(x > 80 ? 80 : x < -80 ? -80 : x);
        }
    }
    rc = 0;
done:
    free(txt); free(ptr); free(img); free(owner); free(al);
    return rc;
}

int parm_judge_prob_atoms(parm_judge *j, int rule, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                          float *probs) {
    if (parm_judge_logit_atoms(j, rule, prompts, nprompts, rgb, n, probs)) return -1;
    for (int i = 0; i < n; i++) probs[i] = sigmoid(probs[i]);
    return 0;
}

int parm_judge_asked(const parm_judge *j, int q) {
    return q >= 0 && q < PARM_JUDGE_NQ && (j->as_match & 1 << q) ? PARM_Q_MATCH : q;
}

int parm_judge_as_match_parse(const char *s) {
    if (!s) return PARM_ERR("as_match: no value (valid: %s)", PARM_JUDGE_AS_MATCH_LIST);
    if (!strcmp(s, "none")) return 0;
    int mask = 0;
    const char *p = s;
    for (;;) {
        size_t len = strcspn(p, ",");
        int q = len == 9 && !strncmp(p, "potential", 9) ? PARM_Q_POTENTIAL : len == 4 && !strncmp(p, "step", 4) ? PARM_Q_STEP : -1;
        if (q < 0 || mask & 1 << q) return PARM_ERR("as_match '%s' is not one of: %s", s, PARM_JUDGE_AS_MATCH_LIST);
        mask |= 1 << q;
        if (!p[len]) return mask;
        p += len + 1;
    }
}

int parm_judge_tta_view(int v, int *flags, int *perm) {
    if (v < 0 || v >= PARM_JUDGE_MAX_TTA) return PARM_ERR("judge: augmentation view %d outside [0, %d]", v,
                                                         PARM_JUDGE_MAX_TTA - 1);
    static const int view_flags[PARM_JUDGE_MAX_TTA] = {
        0, PARM_AUG_PALETTE, PARM_AUG_PALETTE, PARM_AUG_PALETTE, PARM_AUG_MIRROR_X,
        PARM_AUG_MIRROR_X | PARM_AUG_PALETTE, PARM_AUG_MIRROR_Y, PARM_AUG_MIRROR_Y | PARM_AUG_PALETTE};
    *flags = view_flags[v];
    for (int q = 0; q < PARM_NCOLORS; q++) perm[q] = q;
    if (!(*flags & PARM_AUG_PALETTE)) return 0;
    parm_rng rng; /* a fixed permutation per view: Fisher-Yates on a stream of its own */
    parm_rng_seed(&rng, 0x7a11, (uint64_t)v);
    for (int q = PARM_NCOLORS - 1; q > 0; q--) {
        int r = parm_rng_int(&rng, 0, q), t = perm[q];
        perm[q] = perm[r];
        perm[r] = t;
    }
    return 0;
}

/* logits of question (as asked) for n images: atoms for MATCH of an atoms judge, else the text as is */
static int logits_asked(parm_judge *j, int question, const char *const *prompts, int nprompts, const uint8_t *rgb,
                        int n, float *out) {
    if (question == PARM_Q_MATCH && j->atoms) return parm_judge_logit_atoms(j, j->atoms, prompts, nprompts, rgb, n, out);
    return logits_raw(j, question, prompts, nprompts, rgb, n, out);
}

/* the mean logit over j->tta views, each image and its prompt augmented together */
static int logits_tta(parm_judge *j, int question, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                      float *out) {
    enum { NPX = PARM_IMG * PARM_IMG * 3 };
    if (j->tta > PARM_JUDGE_MAX_TTA) return PARM_ERR("judge: %d augmentation views, at most %d", j->tta, PARM_JUDGE_MAX_TTA);
    uint8_t *img = parm_malloc((size_t)n * NPX);
    char (*txt)[160] = parm_malloc(sizeof *txt * n);
    const char **ptr = parm_malloc(sizeof *ptr * n);
    float *lv = parm_malloc(sizeof(float) * n);
    double *acc = parm_calloc((size_t)n, sizeof *acc);
    int rc = -1;
    if (!img || !txt || !ptr || !lv || !acc) goto done;
    for (int v = 0; v < j->tta; v++) {
        int flags, perm[PARM_NCOLORS];
        if (parm_judge_tta_view(v, &flags, perm)) goto done;
        if (v == 0) {
            if (logits_asked(j, question, prompts, nprompts, rgb, n, lv)) goto done;
        } else {
            for (int i = 0; i < n; i++) {
                const char *text = prompts[nprompts == 1 ? 0 : i];
                parm_prompt p, pa;
                if (!text) { PARM_ERR("judge: prompt %d is NULL", nprompts == 1 ? 0 : i); goto done; }
                if (parm_prompt_parse(text, &p)) goto done;
                if (parm_judge_augment(&p, rgb + (size_t)i * NPX, flags, perm, &pa, img + (size_t)i * NPX)) goto done;
                snprintf(txt[i], sizeof txt[i], "%s", pa.text);
                ptr[i] = txt[i];
            }
            if (logits_asked(j, question, ptr, n, img, n, lv)) goto done;
        }
        for (int i = 0; i < n; i++) acc[i] += lv[i];
    }
    for (int i = 0; i < n; i++) out[i] = (float)(acc[i] / j->tta);
    rc = 0;
done:
    free(img); free(txt); free(ptr); free(lv); free(acc);
    return rc;
}

int parm_judge_logit(parm_judge *j, int question, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                     float *logits) {
    if (question < 0 || question >= PARM_JUDGE_NQ) return bad_question(question);
    if (check_prob_args(prompts, nprompts, rgb, n)) return -1;
    if (n == 0) return 0;
    question = parm_judge_asked(j, question);
    return j->tta > 1 ? logits_tta(j, question, prompts, nprompts, rgb, n, logits)
                      : logits_asked(j, question, prompts, nprompts, rgb, n, logits);
}

int parm_judge_prob(parm_judge *j, int question, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                    float *probs) {
    if (parm_judge_logit(j, question, prompts, nprompts, rgb, n, probs)) return -1;
    for (int i = 0; i < n; i++) probs[i] = sigmoid(probs[i]);
    return 0;
}

/* ---- weights I/O (config in metadata) ---- */
int parm_judge_save(const parm_judge *j, const char *path, parm_dtype dtype) {
    char v[6][32];
    const parm_judge_config *c = &j->cfg;
    int vals[5] = {c->L, c->C, c->NH, c->F, c->text_len};
    for (int i = 0; i < 5; i++) snprintf(v[i], sizeof v[i], "%d", vals[i]);
    snprintf(v[5], sizeof v[5], "%.9g", c->pos2d);
    const char *meta[22] = {"model", "parm-judge", "L", v[0], "C", v[1], "NH", v[2], "F", v[3], "text_len", v[4],
                            "variant", j->variant, "questions", "match,clarity,potential,step"};
    int n = 8; /* the optional keys only when set, so files without them stay as before */
    if (c->pos2d > 0) { meta[2 * n] = "pos2d"; meta[2 * n + 1] = v[5]; n++; }
    if (j->atoms > PARM_ATOMS_OFF && j->atoms < PARM_NATOMS_RULES) {
        meta[2 * n] = "atoms";
        meta[2 * n + 1] = parm_atoms_rule_names[j->atoms];
        n++;
    }
    char am[32] = "";
    for (int q = 0; q < PARM_JUDGE_NQ; q++)
        if (j->as_match & 1 << q) {
            strncat(am, am[0] ? "," : "", sizeof am - strlen(am) - 1);
            strncat(am, parm_judge_question_names[q], sizeof am - strlen(am) - 1);
        }
    if (am[0]) { meta[2 * n] = "as_match"; meta[2 * n + 1] = am; n++; }
    return parm_slab_save(&j->p, path, dtype, meta, n);
}

int parm_judge_load(parm_judge *j, const char *path) {
    parm_st_file f;
    if (parm_st_open(&f, path)) return -1;
    parm_judge_config c;
    int *dst[5] = {&c.L, &c.C, &c.NH, &c.F, &c.text_len};
    const char *keys[5] = {"L", "C", "NH", "F", "text_len"};
    const char *model = parm_st_meta(&f, "model");
    int bad = !model || strcmp(model, "parm-judge");
    if (bad)
        PARM_ERR("'%s' is not a parm judge weights file (metadata model='%s', want 'parm-judge')", path,
                 model ? model : "");
    for (int i = 0; i < 5 && !bad; i++) {
        const char *v = parm_st_meta(&f, keys[i]);
        char *end;
        long x = v ? strtol(v, &end, 10) : 0;
        if (!v || *end || end == v) bad = PARM_ERR("'%s': metadata '%s' missing or not an integer", path, keys[i]);
        else *dst[i] = (int)x;
    }
    c.pos2d = 0; /* files from before the 2-D code have no key */
    const char *p2 = bad ? NULL : parm_st_meta(&f, "pos2d");
    if (p2) {
        char *end;
        double x = strtod(p2, &end);
        if (*end || end == p2 || !(x >= 0 && x <= 1000))
            bad = PARM_ERR("'%s': metadata 'pos2d' = '%s' is not a number in [0, 1000]", path, p2);
        else c.pos2d = (float)x;
    }
    /* the grounding head: present in the file or not (older files have none); its shape is checked by the
     * slab load like every other tensor's */
    c.ground = !bad && parm_st_find(&f, "head.ground") != NULL;
    char variant[32] = "";
    const char *var = parm_st_meta(&f, "variant"), *rule = parm_st_meta(&f, "atoms");
    if (var) snprintf(variant, sizeof variant, "%s", var);
    /* how MATCH is answered: the file's "atoms" rule; judges trained on atoms before the key: min */
    int atoms = rule ? parm_atoms_rule_index(rule) : strstr(variant, "atoms") ? PARM_ATOMS_MIN : PARM_ATOMS_OFF;
    if (!bad && atoms < 0)
        bad = PARM_ERR("'%s': metadata 'atoms' = '%s' is not one of: %s", path, rule, PARM_ATOMS_RULES_LIST);
    const char *am = parm_st_meta(&f, "as_match");
    int as_match = am ? parm_judge_as_match_parse(am) : 0;
    if (!bad && as_match < 0) bad = PARM_ERR("'%s': metadata 'as_match' = '%s' is not one of: %s", path, am,
                                             PARM_JUDGE_AS_MATCH_LIST);
    parm_st_close(&f);
    if (bad) return -1;
    if (parm_judge_init(j, &c, 0)) return -1;
    if (parm_slab_load(&j->p, path)) { parm_judge_free(j); return -1; }
    memcpy(j->variant, variant, sizeof variant);
    j->atoms = atoms;
    j->as_match = as_match;
    return 0;
}
