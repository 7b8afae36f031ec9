/* gen_train.c — the generator's trainer for the training loop (train.h):
 * fresh ground-truth scenes of train-split prompts, tokenized by a frozen
 * VQ; masked-token prediction with MaskGIT's cosine mask ratio; condition
 * dropout (for CFG); periodic generation eval (grader score and the fraction
 * of non-background pixels, so a collapse to empty canvases shows). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/gen.h"
#include "parm/sample.h"
#include "parm/train.h"

#define NPIX (PARM_IMG * PARM_IMG)
#define NTOK PARM_VQ_TOKENS

parm_gen_train_opts parm_gen_train_defaults(void) {
    parm_gen_train_opts o = {0};
    o.cfg = parm_gen_default_config();
    o.train = parm_train_defaults();
    o.train.steps = 20000;
    o.train.eval_every = 1000;
    o.cond_drop = 0.1f;
    o.bg_weight = 1.0f;
    o.eval_prompts = 48;
    o.layout = parm_layout_canonical;
    return o;
}


typedef struct {
    const parm_gen_train_opts *o;
    parm_gen g;
    parm_vq vq;        /* tokenizes the batch (frozen) */
    int bg;            /* the background code: what a blank canvas tokenizes to */
    uint8_t *rgb;      /* [B,64,64,3] */
    int *tokens, *input, *targets, *text; /* [B,256] ×3, [B,text_len] */
    float *weights;    /* [B,256] */
    double acc, fill;  /* last eval */
} gen_trainer;

/* data: scenes → tokens; text with condition dropout; cosine mask ratio.
 * Every draw of the whole batch, in order; the shard's examples [lo, hi)
 * alone are rendered, tokenized and trained on (rows 0.. of the buffers). */
static int gen_step(void *ctx, parm_rng *rng, long step, parm_shard *sh, float *loss) {
    (void)step;
    gen_trainer *t = ctx;
    const parm_gen_train_opts *o = t->o;
    const int B = o->train.batch, Tt = t->g.cfg.text_len, K = t->g.cfg.ncodes, lo = sh->lo, n = sh->hi - sh->lo;
    int *text = t->text;
    for (int b = 0; b < B; b++) {
        parm_prompt p;
        parm_scene sc;
        parm_prompt_sample_train(rng, &p);
        if (parm_scene_sample_layout(&p, &o->layout, rng, &sc)) return -1;
        const int mine = b >= lo && b < sh->hi, r = b - lo;
        if (mine) parm_render(&sc, t->rgb + (size_t)r * NPIX * 3);
        if (parm_rng_uniform(rng) < o->cond_drop) {
            if (!mine) continue;
            text[r * Tt] = PARM_TOK_BOS;
            for (int i = 1; i < Tt; i++) text[r * Tt + i] = PARM_TOK_PAD;
        } else if (mine && parm_text_encode(p.text, text + r * Tt, Tt) < 0) return -1;
    }
    if (parm_vq_encode(&t->vq, t->rgb, n, t->tokens)) return -1;
    for (int b = 0; b < B; b++) {
        int perm[NTOK], nm = parm_gen_draw_mask(rng, perm), r = b - lo;
        if (b < lo || b >= sh->hi) continue;
        int *in = t->input + r * NTOK, *tg = t->targets + r * NTOK;
        const int *tk = t->tokens + r * NTOK;
        for (int i = 0; i < NTOK; i++) { in[i] = tk[i]; tg[i] = -1; }
        for (int i = 0; i < nm; i++) { in[perm[i]] = K; tg[perm[i]] = tk[perm[i]]; }
        for (int i = 0; i < NTOK; i++) t->weights[r * NTOK + i] = tk[i] == t->bg ? o->bg_weight : 1.0f;
    }
    if (parm_gen_forward(&t->g, text, t->input, n, 1)) return -1;
    *loss = parm_gen_loss_backward(&t->g, t->targets, t->weights, n);
    return 0;
}

static int gen_eval(void *ctx, long step, int quiet) {
    (void)step;
    gen_trainer *t = ctx;
    parm_sample_opts so = parm_sample_defaults();
    if (parm_gen_evaluate(&t->g, &t->vq, t->o->eval_prompts, 777, &so, &t->acc, &t->fill, NULL)) return -1;
    if (!quiet)
        fprintf(stderr, " grader %.3f on %d train prompts, non-background pixels %.3f\n", t->acc, t->o->eval_prompts,
                t->fill);
    return 0;
}

static void gen_log_row(void *ctx, int evaluated, char *buf, size_t n) {
    gen_trainer *t = ctx;
    snprintf(buf, n, "%.4f,%.4f", evaluated ? t->acc : -1.0, evaluated ? t->fill : -1.0);
}

static int gen_save(void *ctx, const char *path) { return parm_gen_save(&((gen_trainer *)ctx)->g, path, PARM_F16); }

/* the tokenizer, then the generator predicting its codes: fresh, or init's
 * weights (their config wins; they must belong to this tokenizer) */
static int gen_models(gen_trainer *t) {
    const parm_gen_train_opts *o = t->o;
    if (!o->vq_path || !o->vq_path[0]) return PARM_ERR("train gen: no VQ tokenizer path given");
    if (parm_vq_load(&t->vq, o->vq_path)) return -1;
    parm_gen_config cfg = o->cfg;
    cfg.ncodes = t->vq.cfg.ncodes;
    const char *init = o->train.init && o->train.init[0] ? o->train.init : NULL;
    if (init ? parm_gen_load(&t->g, init) : parm_gen_init(&t->g, &cfg, o->train.seed)) {
        parm_vq_free(&t->vq);
        return -1;
    }
    if (init && parm_gen_check_vq(&t->g, &t->vq, init, o->vq_path)) {
        parm_gen_free(&t->g);
        parm_vq_free(&t->vq);
        return -1;
    }
    t->g.vq_fingerprint = parm_vq_fingerprint(&t->vq); /* the saved weights name their tokenizer */
    return 0;
}

int parm_gen_train(const parm_gen_train_opts *o) {
    if (o->train.batch < 1) return PARM_ERR("bad training options: batch %d", o->train.batch);
    gen_trainer t = {.o = o};
    if (gen_models(&t)) return -1;
    const int B = o->train.batch, Tt = t.g.cfg.text_len;
    int rc = -1;
    t.rgb = parm_malloc((size_t)B * NPIX * 3);
    t.tokens = parm_malloc(sizeof(int) * B * NTOK);
    t.input = parm_malloc(sizeof(int) * B * NTOK);
    t.targets = parm_malloc(sizeof(int) * B * NTOK);
    t.text = parm_malloc(sizeof(int) * B * Tt);
    t.weights = parm_malloc(sizeof(float) * B * NTOK);
    if (!t.rgb || !t.tokens || !t.input || !t.targets || !t.text || !t.weights || parm_gen_alloc(&t.g, B)) goto done;
    memset(t.rgb, 128, NPIX * 3);
    if (parm_vq_encode(&t.vq, t.rgb, 1, t.tokens)) goto done;
    t.bg = t.tokens[0];
    parm_trainer tr = {.label = "train gen", .unit = "samples", .params = &t.g.p, .ctx = &t,
                       .log_columns = "eval_acc,eval_nonbg_fraction", .step = gen_step, .evaluate = gen_eval,
                       .log_row = gen_log_row, .save = gen_save};
    rc = parm_train(&o->train, &tr, NULL);
done:
    free(t.rgb); free(t.tokens); free(t.input); free(t.targets); free(t.text); free(t.weights);
    parm_gen_free(&t.g);
    parm_vq_free(&t.vq);
    return rc;
}
