/* gen_sc_train.c — the PARM++ self-correction fine-tune of the generator
 * (include/parm/gen.h "self-correction"), on the shared training loop:
 * quadruples (prompt, failed image, corrected image of the same prompt, the
 * grader's reflection on the failed image) from a TRAIN-prompt path set (a
 * set holding any TEST prompt is refused), mixed with plain ground-truth
 * examples (condition dropout: no segments) so plain prompting still works;
 * every 10th prompt of the set is held out for the correction eval. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/gen_sc.h"
#include "parm/judge.h"
#include "parm/pathset.h"
#include "parm/reflect.h"
#include "parm/sample.h"
#include "parm/train.h"

#define NPIX (PARM_IMG * PARM_IMG)
#define NTOK PARM_VQ_TOKENS
#define SC_NEAREST_TRIES 8 /* gt_targets 3: sampled scenes before the coordinate descent */
#define HOLDOUT 10 /* prompt group g is held out for eval when g % HOLDOUT == HOLDOUT - 1 */

parm_gen_sc_train_opts parm_gen_sc_train_defaults(void) {
    parm_gen_sc_train_opts o = {0};
    o.train = parm_train_defaults();
    o.train.steps = 2000;
    o.train.batch = 16;
    o.train.lr = 2e-4f;
    o.train.lr_min = 2e-5f;
    o.train.warmup = 100;
    o.train.eval_every = 500;
    o.refl_len = PARM_REFL_TOKENS;
    o.cond_drop = 0.1f;
    o.plain_frac = 0.3f;
    o.gt_targets = 1;
    o.bg_weight = 1.0f;
    o.edit_weight = 1.0f;
    o.synth_frac = 0.0f;
    o.uncond_prev = 1;
    o.eval_n = 32;
    o.eval_prompts = 32;
    o.layout = parm_layout_canonical;
    o.reflect_thresh = 0.5f;
    return o;
}

int parm_sc_quadruples(const parm_pathset *ps, int gt_targets, int holdout, parm_sc_quad **out, int *n) {
    *out = NULL;
    *n = 0;
    int first, nt = parm_pathset_count_test(ps, &first);
    if (nt) return PARM_ERR("self-correction data: the path set holds %d paths of TEST prompts (first: path %d, \"%s\"); "
                            "correction data comes from train prompts only", nt, first, ps->prompt[first].text);
    const int N = ps->paths_per_prompt;
    long cap = 0;
    for (int g = 0; g < ps->n_prompts; g++) cap += (long)N * N;
    parm_sc_quad *q = parm_malloc(sizeof *q * (cap ? cap : 1));
    if (!q) return -1;
    int m = 0;
    for (int g = 0; g < ps->n_prompts; g++) {
        int held = g % HOLDOUT == HOLDOUT - 1;
        if (holdout >= 0 && held != holdout) continue;
        int good = 0;
        for (int k = 0; k < N; k++) good += parm_pathset_final_verdict(ps, g * N + k);
        for (int f = 0; f < N; f++) {
            if (parm_pathset_final_verdict(ps, g * N + f)) continue;
            if (gt_targets < 2)
                for (int s = 0; s < N; s++)
                    if (parm_pathset_final_verdict(ps, g * N + s)) q[m++] = (parm_sc_quad){g * N + f, g * N + s};
            if ((!good && gt_targets) || gt_targets >= 2) q[m++] = (parm_sc_quad){g * N + f, -1};
        }
    }
    *out = q;
    *n = m;
    return 0;
}

typedef struct {
    const parm_gen_sc_train_opts *o;
    parm_gen g;
    parm_vq vq;
    parm_pathset ps;
    parm_sc_quad *quad, *evq; /* training quadruples; held-out ones (one per failed path) */
    int nquad, nev;
    int *ptok;                /* [n paths,256] tokens of every final image */
    int *prefl;               /* [n paths,refl_len] the grader's reflection of every final image (failed ones) */
    int bg;
    uint8_t *rgb;             /* [B,64,64,3] */
    uint8_t *frgb;            /* [B,64,64,3] synthetic quadruples' failed images */
    int *ftok;                /* [B,256] their tokens */
    int *tokens, *input, *targets, *text, *refl, *prev; /* [B,256] ×3, [B,Tt], [B,R], [B,256] */
    float *weights;
    double acc, fill, fix, fix_plain; /* last eval: plain grader acc, non-bg, correction rate, plain regeneration rate */
} sc_trainer;

/* synthetic quadruples: see parm/gen_sc.h */
int parm_sc_synthetic(const parm_layout *layout, parm_rng *rng, parm_prompt *p, int *rf, int R, uint8_t *f,
                      uint8_t *g) {
    for (int attempt = 0; attempt < 50; attempt++) {
        parm_prompt_sample_train(rng, p);
        int kinds[PARM_NWRONG], nk = 0;
        for (int k = 0; k < PARM_NWRONG; k++)
            if (parm_wrong_applies(p, k)) kinds[nk++] = k;
        parm_scene fs, gs;
        /* a change the layout cannot place (too many objects) is drawn again */
        if (parm_scene_wrong_layout(p, kinds[parm_rng_int(rng, 0, nk - 1)], layout, rng, &fs)) continue;
        parm_render(&fs, f);
        if (parm_grade(f, p, NULL, 0) != 0) continue;
        parm_reflection r;
        char txt[256];
        if (parm_reflect_grader(f, p, &r) < 0 || parm_reflection_text(&r, txt, sizeof txt) ||
            parm_reflection_encode(txt, rf, R) < 0 || parm_scene_nearest(p, layout, f, SC_NEAREST_TRIES, rng, &gs))
            return -1;
        parm_render(&gs, g);
        return 0;
    }
    return PARM_ERR("train gen-sc: no synthetic failure drawn in 50 attempts");
}

int parm_sc_synthetic_pathset(const parm_layout *layout, int n, uint64_t seed, parm_pathset *ps) {
    if (parm_pathset_alloc(ps, n, 1, 1)) return -1;
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_TRAIN);
    uint8_t f[NPIX * 3], g[NPIX * 3];
    int rf[64];
    for (int i = 0; i < n; i++) {
        if (parm_sc_synthetic(layout, &rng, &ps->prompt[i], rf, 64, f, g)) { parm_pathset_free(ps); return -1; }
        ps->path_seed[i] = (uint64_t)i;
        ps->verdict[i] = 0;
        ps->reading_eq[i] = 1;
        uint8_t *c = ps->classes + (size_t)i * NPIX;
        for (int k = 0; k < NPIX; k++) c[k] = (uint8_t)parm_pixel_class(f + 3 * k);
    }
    return 0;
}

static void drop_text(int *t, int Tt) {
    t[0] = PARM_TOK_BOS;
    for (int i = 1; i < Tt; i++) t[i] = PARM_TOK_PAD;
}

/* The whole batch is drawn (every random number, as unsharded); a shard
 * (parm/train.h) then keeps rows [lo, hi), moved to the front, for the
 * forward and backward. */
static int sc_step(void *ctx, parm_rng *rng, long step, parm_shard *sh, float *loss) {
    (void)step;
    sc_trainer *t = ctx;
    const parm_gen_sc_train_opts *o = t->o;
    const int B = o->train.batch, Tt = t->g.cfg.text_len, K = t->g.cfg.ncodes, R = t->g.cfg.refl_len;
    /* per example: plain GT render (segments absent), a synthetic quadruple (synth_frac) or one of
       the path set's; the target of a path-set quadruple is its corrected path's tokens, or a GT render
       of its prompt (-1; gt_targets 3: the one nearest to the failed image) */
    int gt[B], from_path[B], synth[B], any_synth = 0;
    for (int b = 0; b < B; b++) {
        int *tx = t->text + b * Tt, *rf = t->refl + b * R, *pv = t->prev + b * NTOK;
        for (int i = 0; i < R; i++) rf[i] = PARM_TOK_PAD;
        pv[0] = -1;
        parm_prompt p;
        int fail = -1; /* the quadruple's failed path */
        gt[b] = 1;
        from_path[b] = -1;
        synth[b] = 0;
        if ((t->nquad == 0 && o->synth_frac <= 0) || parm_rng_uniform(rng) < o->plain_frac)
            parm_prompt_sample_train(rng, &p);
        else if (o->synth_frac > 0 && (t->nquad == 0 || parm_rng_uniform(rng) < o->synth_frac)) {
            if (parm_sc_synthetic(&o->layout, rng, &p, rf, R, t->frgb + (size_t)b * NPIX * 3,
                                  t->rgb + (size_t)b * NPIX * 3))
                return -1;
            synth[b] = 1;
            gt[b] = 2; /* the target is rendered already */
            pv[0] = 0; /* present: its tokens are filled after encoding */
        } else {
            const parm_sc_quad *q = &t->quad[parm_rng_int(rng, 0, t->nquad - 1)];
            p = t->ps.prompt[q->fail];
            fail = q->fail;
            memcpy(rf, t->prefl + (size_t)q->fail * R, sizeof(int) * R);
            memcpy(pv, t->ptok + (size_t)q->fail * NTOK, sizeof(int) * NTOK);
            if (q->good >= 0) { gt[b] = 0; from_path[b] = q->good; }
        }
        if (gt[b] == 1) {
            parm_scene sc;
            uint8_t *im = t->rgb + (size_t)b * NPIX * 3;
            if (o->gt_targets == 3 && fail >= 0) { /* the minimal edit: the valid render nearest to the failed image */
                parm_pathset_rgb(&t->ps, fail, t->ps.T - 1, im);
                if (parm_scene_nearest(&p, &o->layout, im, SC_NEAREST_TRIES, rng, &sc)) return -1;
            } else if (parm_scene_sample_layout(&p, &o->layout, rng, &sc)) return -1;
            parm_render(&sc, im);
        }
        if (parm_rng_uniform(rng) < o->cond_drop) { /* CFG's unconditional input: no text, no reflection, and
                                                        no previous image unless uncond_prev keeps it */
            drop_text(tx, Tt);
            for (int i = 0; i < R; i++) rf[i] = PARM_TOK_PAD;
            if (!o->uncond_prev) { pv[0] = -1; synth[b] = 0; }
        } else if (parm_text_encode(p.text, tx, Tt) < 0) return -1;
        if (pv[0] < 0) for (int i = 1; i < NTOK; i++) pv[i] = -1;
        any_synth |= synth[b];
    }
    if (parm_vq_encode(&t->vq, t->rgb, B, t->tokens)) return -1;
    if (any_synth) { /* the synthetic failed images' tokens are their previous image */
        if (parm_vq_encode(&t->vq, t->frgb, B, t->ftok)) return -1;
        for (int b = 0; b < B; b++)
            if (synth[b]) memcpy(t->prev + b * NTOK, t->ftok + b * NTOK, sizeof(int) * NTOK);
    }
    for (int b = 0; b < B; b++) {
        if (!gt[b]) memcpy(t->tokens + b * NTOK, t->ptok + (size_t)from_path[b] * NTOK, sizeof(int) * NTOK);
        int perm[NTOK], nm = parm_gen_draw_mask(rng, perm);
        int *in = t->input + b * NTOK, *tg = t->targets + b * NTOK;
        const int *tk = t->tokens + b * NTOK;
        for (int i = 0; i < NTOK; i++) { in[i] = tk[i]; tg[i] = -1; }
        for (int i = 0; i < nm; i++) { in[perm[i]] = K; tg[perm[i]] = tk[perm[i]]; }
        const int *pv = t->prev + b * NTOK; /* pv[0] < 0: no previous image */
        for (int i = 0; i < NTOK; i++)
            t->weights[b * NTOK + i] = (tk[i] == t->bg ? o->bg_weight : 1.0f) *
                                       (pv[0] >= 0 && pv[i] != tk[i] ? o->edit_weight : 1.0f);
    }
    const int lo = sh->lo, n = sh->hi - sh->lo;
    if (lo > 0) {
        memmove(t->text, t->text + lo * Tt, sizeof(int) * n * Tt);
        memmove(t->refl, t->refl + lo * R, sizeof(int) * n * R);
        memmove(t->prev, t->prev + lo * NTOK, sizeof(int) * n * NTOK);
        memmove(t->input, t->input + lo * NTOK, sizeof(int) * n * NTOK);
        memmove(t->targets, t->targets + lo * NTOK, sizeof(int) * n * NTOK);
        memmove(t->weights, t->weights + lo * NTOK, sizeof(float) * n * NTOK);
    }
    if (parm_gen_forward_sc(&t->g, t->text, t->refl, t->prev, t->input, n, 1)) return -1;
    *loss = parm_gen_loss_backward(&t->g, t->targets, t->weights, n);
    return 0;
}

/* Regenerate each held-out failed image once conditioned on (its image, its
 * grader reflection) and once plainly, same seed: the fraction the grader
 * accepts. (The reflection here is the grader's: this measures the
 * generator's use of a reflection, not the judge's.) */
int parm_gen_sc_correction_rate(parm_gen *g, parm_vq *vq, const parm_pathset *ps, const parm_sc_quad *q, int n,
                                const int *ptok, const int *prefl, const parm_sample_opts *so, double *fix,
                                double *plain) {
    long ok = 0, okp = 0;
    uint8_t img[NPIX * 3];
    for (int i = 0; i < n; i++) {
        const parm_prompt *p = &ps->prompt[q[i].fail];
        uint64_t seed = 1000 + (uint64_t)i;
        parm_sample_run r;
        for (int cond = 0; cond < 2; cond++) {
            if (parm_sample_begin(g, &r, p, 1, &seed, so)) return -1;
            if (cond && parm_sample_condition(g, &r, 0, prefl + (size_t)q[i].fail * g->cfg.refl_len,
                                              ptok + (size_t)q[i].fail * NTOK)) { parm_sample_end(&r); return -1; }
            int rc;
            while ((rc = parm_sample_step(g, vq, &r)) == 0) {}
            memcpy(img, r.images, sizeof img);
            parm_sample_end(&r);
            if (rc < 0) return -1;
            int v = parm_grade(img, p, NULL, 0) == 1;
            if (cond) ok += v;
            else okp += v;
        }
    }
    *fix = n ? (double)ok / n : -1;
    *plain = n ? (double)okp / n : -1;
    return 0;
}

static int sc_eval(void *ctx, long step, int quiet) {
    (void)step;
    sc_trainer *t = ctx;
    parm_sample_opts so = parm_sample_defaults();
    if (parm_gen_evaluate(&t->g, &t->vq, t->o->eval_prompts, 777, &so, &t->acc, &t->fill, NULL)) return -1;
    if (parm_gen_sc_correction_rate(&t->g, &t->vq, &t->ps, t->evq, t->nev, t->ptok, t->prefl, &so, &t->fix,
                                    &t->fix_plain))
        return -1;
    if (!quiet)
        fprintf(stderr, " plain: grader %.3f on %d train prompts (non-background %.3f); held-out failed images: "
                        "corrected %.3f with (image, reflection), %.3f plain (%d)\n", t->acc, t->o->eval_prompts, t->fill,
                t->fix, t->fix_plain, t->nev);
    return 0;
}

static void sc_log_row(void *ctx, int evaluated, char *buf, size_t n) {
    sc_trainer *t = ctx;
    snprintf(buf, n, "%.4f,%.4f,%.4f,%.4f", evaluated ? t->acc : -1.0, evaluated ? t->fill : -1.0,
             evaluated ? t->fix : -1.0, evaluated ? t->fix_plain : -1.0);
}

static int sc_save(void *ctx, const char *path) { return parm_gen_save(&((sc_trainer *)ctx)->g, path, PARM_F16); }

/* models: the tokenizer; the generator from init (plain: made self-correcting) */
static int sc_models(sc_trainer *t) {
    const parm_gen_sc_train_opts *o = t->o;
    if (!o->vq_path || !o->vq_path[0]) return PARM_ERR("train gen-sc: no VQ tokenizer path given");
    if (!o->train.init || !o->train.init[0])
        return PARM_ERR("train gen-sc: no generator to start from (init: the plain generator's weights)");
    if (parm_vq_load(&t->vq, o->vq_path)) return -1;
    parm_gen base;
    if (parm_gen_load(&base, o->train.init)) { parm_vq_free(&t->vq); return -1; }
    int rc = parm_gen_check_vq(&base, &t->vq, o->train.init, o->vq_path);
    if (!rc) {
        /* a self-correction generator already: loaded again in place (a parm_gen must not be copied:
           its transformer points into its own slab) */
        if (base.cfg.refl_len) {
            parm_gen_free(&base);
            rc = parm_gen_load(&t->g, o->train.init);
        } else {
            rc = parm_gen_init_sc(&t->g, &base, o->refl_len, o->train.seed);
            parm_gen_free(&base);
        }
        if (!rc) t->g.cfg.uncond_prev = o->uncond_prev;
    } else parm_gen_free(&base);
    if (rc) parm_vq_free(&t->vq);
    else t->g.vq_fingerprint = parm_vq_fingerprint(&t->vq);
    return rc;
}

/* every final image's tokens and (failed ones) the grader's reflection tokens, or with o->reflect_judge
 * the judge's where it rejects the image */
static int sc_prepare(sc_trainer *t) {
    const int R = t->g.cfg.refl_len, n = t->ps.n;
    t->ptok = parm_malloc(sizeof(int) * n * NTOK);
    t->prefl = parm_malloc(sizeof(int) * n * R);
    uint8_t *rgb = parm_malloc((size_t)64 * NPIX * 3);
    if (!t->ptok || !t->prefl || !rgb) { free(rgb); return -1; }
    parm_judge j;
    const int use_judge = t->o->reflect_judge != NULL;
    if (use_judge && parm_judge_load(&j, t->o->reflect_judge)) { free(rgb); return -1; }
    int rc = 0, failed = 0, by_judge = 0;
    for (int i0 = 0; i0 < n && !rc; i0 += 64) {
        int m = n - i0 < 64 ? n - i0 : 64;
        for (int k = 0; k < m; k++) parm_pathset_rgb(&t->ps, i0 + k, t->ps.T - 1, rgb + (size_t)k * NPIX * 3);
        rc = parm_vq_encode(&t->vq, rgb, m, t->ptok + (size_t)i0 * NTOK);
        for (int k = 0; k < m && !rc; k++) {
            const uint8_t *img = rgb + (size_t)k * NPIX * 3;
            const parm_prompt *p = &t->ps.prompt[i0 + k];
            parm_reflection r;
            char txt[256];
            int judged = 0; /* r is the judge's reflection: it rejects a failed image */
            if (use_judge && !parm_pathset_final_verdict(&t->ps, i0 + k)) {
                failed++;
                if (parm_judge_reflect(&j, p, img, t->o->reflect_thresh, &r, NULL, NULL)) { rc = -1; break; }
                judged = r.n > 0;
                by_judge += judged;
            }
            if (!judged && parm_reflect_grader(img, p, &r) < 0) { rc = -1; break; }
            if (parm_reflection_text(&r, txt, sizeof txt) || parm_reflection_encode(txt, t->prefl + (size_t)(i0 + k) * R, R) < 0)
                rc = -1;
        }
    }
    if (use_judge) {
        parm_judge_free(&j);
        if (!rc && !t->o->train.quiet)
            fprintf(stderr, "train gen-sc: reflections of %d failed final images: %d the judge's (%s rejects them), %d the "
                            "grader's (the judge accepts them)\n", failed, by_judge, t->o->reflect_judge, failed - by_judge);
    }
    free(rgb);
    return rc;
}

int parm_gen_sc_train(const parm_gen_sc_train_opts *o, long *nquad) {
    if (o->train.batch < 1) return PARM_ERR("bad training options: batch %d", o->train.batch);
    if (!o->data || !o->data[0]) return PARM_ERR("train gen-sc: no path set given (the quadruples' source)");
    if (o->refl_len < 2 || o->refl_len > 64) return PARM_ERR("train gen-sc: refl_len %d outside [2, 64]", o->refl_len);
    sc_trainer t = {.o = o};
    if (parm_pathset_load(&t.ps, o->data)) return -1;
    int rc = -1;
    if (parm_sc_quadruples(&t.ps, o->gt_targets, 0, &t.quad, &t.nquad) ||
        parm_sc_quadruples(&t.ps, 1, 1, &t.evq, &t.nev)) {
        free(t.quad);
        parm_pathset_free(&t.ps);
        return -1;
    }
    /* eval: one quadruple per held-out failed path, at most eval_n */
    int m = 0;
    for (int i = 0; i < t.nev && m < o->eval_n; i++)
        if (i == 0 || t.evq[i].fail != t.evq[i - 1].fail) t.evq[m++] = t.evq[i];
    t.nev = m;
    if (nquad) *nquad = t.nquad;
    if (sc_models(&t)) { free(t.quad); free(t.evq); parm_pathset_free(&t.ps); return -1; }
    const int B = o->train.batch, Tt = t.g.cfg.text_len, R = t.g.cfg.refl_len;
    t.rgb = parm_malloc((size_t)B * NPIX * 3);
    t.frgb = parm_calloc((size_t)B * NPIX * 3, 1);
    t.ftok = parm_malloc(sizeof(int) * B * NTOK);
    t.tokens = parm_malloc(sizeof(int) * B * NTOK);
    t.input = parm_malloc(sizeof(int) * B * NTOK);
    t.targets = parm_malloc(sizeof(int) * B * NTOK);
    t.text = parm_malloc(sizeof(int) * B * Tt);
    t.refl = parm_malloc(sizeof(int) * B * R);
    t.prev = parm_malloc(sizeof(int) * B * NTOK);
    t.weights = parm_malloc(sizeof(float) * B * NTOK);
    if (!t.rgb || !t.frgb || !t.ftok || !t.tokens || !t.input || !t.targets || !t.text || !t.refl || !t.prev || !t.weights ||
        parm_gen_alloc(&t.g, B) || sc_prepare(&t))
        goto done;
    memset(t.rgb, 128, NPIX * 3);
    if (parm_vq_encode(&t.vq, t.rgb, 1, t.tokens)) goto done;
    t.bg = t.tokens[0];
    if (!o->train.quiet)
        fprintf(stderr, "train gen-sc: %d quadruples from %d train-prompt paths of %s (%d held-out failed images for "
                        "eval)\n", t.nquad, t.ps.n, o->data, t.nev);
    char rl[16];
    snprintf(rl, sizeof rl, "%d", R);
    const char *const meta[] = {"refl_len", rl};
    parm_trainer tr = {.label = "train gen-sc", .unit = "samples", .params = &t.g.p, .ctx = &t, .ckpt_meta = meta,
                       .nmeta = 1, .log_columns = "eval_acc,eval_nonbg_fraction,eval_corrected,eval_corrected_plain",
                       .step = sc_step, .evaluate = sc_eval, .log_row = sc_log_row, .save = sc_save};
    rc = parm_train(&o->train, &tr, NULL);
done:
    free(t.rgb); free(t.frgb); free(t.ftok); free(t.tokens); free(t.input); free(t.targets); free(t.text); free(t.refl); free(t.prev);
    free(t.weights); free(t.ptok); free(t.prefl); free(t.quad); free(t.evq);
    parm_pathset_free(&t.ps);
    parm_gen_free(&t.g);
    parm_vq_free(&t.vq);
    return rc;
}

int parm_gen_sc_eval_pathset(parm_gen *g, parm_vq *vq, const parm_pathset *ps, parm_judge *j, float thresh, int max_n,
                             const parm_sample_opts *so, parm_sc_eval *out) {
    memset(out, 0, sizeof *out);
    const int R = g->cfg.refl_len > 0 ? g->cfg.refl_len : PARM_REFL_TOKENS;
    uint8_t rgb[NPIX * 3], img[NPIX * 3];
    int tok[NTOK], refl[64];
    for (int i = 0; i < ps->n && out->n < max_n; i++) {
        if (parm_pathset_final_verdict(ps, i)) continue;
        const parm_prompt *p = &ps->prompt[i];
        parm_pathset_rgb(ps, i, ps->T - 1, rgb);
        parm_reflection r;
        char txt[256];
        int calls = 0;
        if (j ? parm_judge_reflect(j, p, rgb, thresh, &r, NULL, &calls) : parm_reflect_grader(rgb, p, &r) < 0) return -1;
        out->judge_calls += calls;
        out->n++;
        if (r.n == 0) { out->accepted++; continue; } /* PARM++ would stop here: the failed image stays */
        if (parm_reflection_text(&r, txt, sizeof txt) || parm_reflection_encode(txt, refl, R) < 0 ||
            parm_vq_encode(vq, rgb, 1, tok))
            return -1;
        uint64_t seed = 1000 + (uint64_t)i;
        for (int cond = 0; cond < 2; cond++) {
            if (cond && g->cfg.refl_len == 0) break;
            parm_sample_run run;
            if (parm_sample_begin(g, &run, p, 1, &seed, so)) return -1;
            if (cond && parm_sample_condition(g, &run, 0, refl, tok)) { parm_sample_end(&run); return -1; }
            int rc;
            while ((rc = parm_sample_step(g, vq, &run)) == 0) {}
            memcpy(img, run.images, sizeof img);
            parm_sample_end(&run);
            if (rc < 0) return -1;
            int ok = parm_grade(img, p, NULL, 0) == 1;
            if (cond) out->fixed += ok;
            else out->plain += ok;
        }
        out->regenerated++;
    }
    return 0;
}
