/* vq_train.c — the VQ tokenizer's trainer for the training loop (train.h):
 * fresh seeded scenes of train-split prompts every step, a data-dependent
 * codebook init, dead-code restarts every restart_every steps (checkpoints
 * fall on them), reconstruction eval on fixed scenes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/dist.h"
#include "parm/ops.h"
#include "parm/train.h"
#include "parm/vq.h"
#include "parm/world.h"

#define NPIX (PARM_IMG * PARM_IMG)

parm_vq_train_opts parm_vq_train_defaults(void) {
    parm_vq_train_opts o = {0};
    o.cfg = parm_vq_default_config();
    o.train = parm_train_defaults();
    o.train.steps = 6000;
    o.train.lr = 2e-3f;
    o.train.lr_min = 1e-4f;
    o.train.warmup = 200;
    o.train.weight_decay = 0.0f;
    o.restart_every = 100;
    return o;
}

int parm_vq_evaluate(parm_vq *m, int n, uint64_t seed, parm_vq_eval *out) {
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_SCENE);
    uint8_t *rgb = parm_malloc((size_t)n * NPIX * 3), *rec = parm_malloc((size_t)n * NPIX * 3);
    int *tok = parm_malloc((size_t)n * PARM_VQ_TOKENS * sizeof(int));
    parm_prompt *ps = parm_malloc((size_t)n * sizeof *ps);
    int rc = -1;
    if (!rgb || !rec || !tok || !ps) goto done;
    if (parm_render_train_scenes(&rng, n, rgb, ps)) goto done;
    if (parm_vq_encode(m, rgb, n, tok) || parm_vq_decode(m, tok, n, rec, NULL)) goto done;
    long agree = 0, obj = 0, obj_agree = 0, good = 0;
    for (int i = 0; i < n; i++) {
        for (int p = 0; p < NPIX; p++) {
            int a = parm_pixel_class(rgb + ((size_t)i * NPIX + p) * 3);
            int b = parm_pixel_class(rec + ((size_t)i * NPIX + p) * 3);
            agree += a == b;
            if (a) { obj++; obj_agree += a == b; }
        }
        char reason[256];
        good += parm_grade(rec + (size_t)i * NPIX * 3, &ps[i], reason, sizeof reason) == 1;
    }
    out->pixel_acc = (double)agree / ((double)n * NPIX);
    out->object_pixel_acc = obj ? (double)obj_agree / obj : 1.0;
    out->grader_acc = (double)good / n;
    rc = 0;
done:
    free(rgb); free(rec); free(tok); free(ps);
    return rc;
}

static double perplexity(const int *usage, int K) {
    long tot = 0;
    for (int k = 0; k < K; k++) tot += usage[k];
    if (!tot) return 0;
    double h = 0;
    for (int k = 0; k < K; k++)
        if (usage[k]) { double p = (double)usage[k] / tot; h -= p * log(p); }
    return exp(h);
}

typedef struct {
    parm_vq m;
    const parm_vq_train_opts *o;
    uint8_t *rgb;  /* [B,64,64,3] the batch */
    int *usage;    /* [K] code use since the last dead-code restart */
    int *idx;      /* [B,256] the batch's chosen codes (the shards' rows gathered) */
    float *z;      /* [B,dim,256] the batch's encoder outputs, before a restart step */
    parm_vq_eval ev;
} vq_trainer;

/* a fresh start: data-dependent codebook init (codes = encoder outputs of a first batch) */
static int vq_begin(void *ctx, parm_rng *rng, long step) {
    vq_trainer *t = ctx;
    const int B = t->o->train.batch;
    if (step % t->o->restart_every)
        fprintf(stderr, "warning: resuming at step %ld, not a multiple of restart_every %d: "
                        "dead-code bookkeeping restarts fresh\n", step, t->o->restart_every);
    if (step) return 0;
    if (parm_render_train_scenes(rng, B, t->rgb, NULL)) return -1;
    int *tok = parm_malloc((size_t)B * PARM_VQ_TOKENS * sizeof(int));
    if (!tok || parm_vq_encode(&t->m, t->rgb, B, tok)) { free(tok); return -1; }
    free(tok);
    parm_vq_restart_dead(&t->m, t->usage, B, rng);
    return 0;
}

/* every rank renders the whole batch (its draws); the shard trains on [lo, hi) */
static int vq_step(void *ctx, parm_rng *rng, long step, parm_shard *sh, float *loss) {
    vq_trainer *t = ctx;
    const int B = t->o->train.batch, n = sh->hi - sh->lo, D = t->m.cfg.dim;
    if (parm_render_train_scenes(rng, B, t->rgb, NULL)) return -1;
    parm_clear_error();
    *loss = parm_vq_forward_backward(&t->m, t->rgb + (size_t)sh->lo * NPIX * 3, n);
    if (isnan(*loss) && parm_last_error()[0]) return -1; /* NAN with an error set: out of memory */
    memcpy(t->idx + (size_t)sh->lo * PARM_VQ_TOKENS, t->m.idx, sizeof(int) * n * PARM_VQ_TOKENS);
    if ((step + 1) % t->o->restart_every == 0)
        memcpy(t->z + (size_t)sh->lo * D * PARM_VQ_TOKENS, parm_vq_last_z(&t->m, n),
               sizeof(float) * n * D * PARM_VQ_TOKENS);
    return 0;
}

/* code use and dead-code restarts over the whole batch (its shards' rows gathered) */
static int vq_after_step(void *ctx, parm_rng *rng, long step, int quiet) {
    vq_trainer *t = ctx;
    const int B = t->o->train.batch, K = t->m.cfg.ncodes, D = t->m.cfg.dim;
    if (parm_dist_allgather_rows(t->idx, sizeof(int) * PARM_VQ_TOKENS, B, 0)) return -1;
    for (int i = 0; i < B * PARM_VQ_TOKENS; i++) t->usage[t->idx[i]]++;
    if (step % t->o->restart_every) return 0;
    if (parm_dist_allgather_rows(t->z, sizeof(float) * D * PARM_VQ_TOKENS, B, 0)) return -1;
    double ppl = perplexity(t->usage, K);
    int dead = parm_vq_restart_dead_z(&t->m, t->usage, t->z, B, rng);
    if (!quiet && dead) fprintf(stderr, "\nstep %ld: perplexity %.0f, restarted %d dead codes\n", step, ppl, dead);
    memset(t->usage, 0, K * sizeof(int));
    return 0;
}

static void vq_describe(void *ctx, char *buf, size_t n) {
    vq_trainer *t = ctx;
    snprintf(buf, n, "(recon %.4f q %.4f) ppl %.0f", t->m.last_recon_loss, t->m.last_codebook_loss,
             perplexity(t->usage, t->m.cfg.ncodes));
}

static int vq_eval(void *ctx, long step, int quiet) {
    (void)step;
    vq_trainer *t = ctx;
    if (parm_vq_evaluate(&t->m, 64, 12345, &t->ev)) return -1;
    if (!quiet)
        fprintf(stderr, " reconstruction: pixel %.5f object-pixel %.5f grader %.3f\n", t->ev.pixel_acc,
                t->ev.object_pixel_acc, t->ev.grader_acc);
    return 0;
}

static void vq_log_row(void *ctx, int evaluated, char *buf, size_t n) {
    vq_trainer *t = ctx;
    if (evaluated) snprintf(buf, n, "%.5f,%.5f,%.4f", t->ev.pixel_acc, t->ev.object_pixel_acc, t->ev.grader_acc);
    else snprintf(buf, n, ",,");
}

static int vq_save(void *ctx, const char *path) { return parm_vq_save(&((vq_trainer *)ctx)->m, path, PARM_F16); }

int parm_vq_train(const parm_vq_train_opts *o) {
    if (o->restart_every < 1) return PARM_ERR("bad training options: restart_every %d (must be ≥ 1)", o->restart_every);
    if (o->train.init && o->train.init[0])
        return PARM_ERR("the VQ trains from its seed only: no init weights (got '%s'; use resume)", o->train.init);
    /* checkpoints fall on dead-code restarts, so a resumed run restarts the same codes */
    parm_train_opts to = o->train;
    to.ckpt_every = (to.ckpt_every + o->restart_every - 1) / o->restart_every * o->restart_every;
    vq_trainer t = {.o = o};
    if (parm_vq_init(&t.m, &o->cfg, o->train.seed)) return -1;
    int rc = -1;
    t.rgb = parm_malloc((size_t)o->train.batch * NPIX * 3);
    t.usage = parm_calloc(o->cfg.ncodes, sizeof(int));
    t.idx = parm_malloc(sizeof(int) * o->train.batch * PARM_VQ_TOKENS);
    t.z = parm_malloc(sizeof(float) * o->train.batch * o->cfg.dim * PARM_VQ_TOKENS);
    if (t.rgb && t.usage && t.idx && t.z) {
        parm_trainer tr = {.label = "train vq", .unit = "images", .params = &t.m.p, .ctx = &t,
                           .log_columns = "pixel_acc,object_pixel_acc,grader_acc", .step = vq_step,
                           .begin = vq_begin, .after_step = vq_after_step, .describe = vq_describe,
                           .evaluate = vq_eval, .log_row = vq_log_row, .save = vq_save};
        rc = parm_train(&to, &tr, NULL);
    }
    free(t.rgb);
    free(t.usage);
    free(t.idx);
    free(t.z);
    parm_vq_free(&t.m);
    return rc;
}
