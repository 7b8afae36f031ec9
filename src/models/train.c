/* train.c — the one training loop (parm/train.h): resume, warmup + cosine
 * schedule, NaN guard, grad clipping, AdamW, progress with rate and ETA, a
 * CSV learning curve, atomic checkpoints and the final export; data parallel
 * over gradient shards and ranks (parm/dist.h). What a step computes is the
 * model's (its parm_trainer callbacks). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/dist.h"
#include "parm/train.h"

#define LOG_PERIOD 100 /* CSV rows: every eval step, every log_every (default LOG_PERIOD) steps and the last */
#define STAT_STEPS 10  /* parm_train_stats: mean over the first / last this many steps */

parm_train_opts parm_train_defaults(void) {
    parm_train_opts o = {0};
    o.steps = 10000;
    o.batch = 32;
    o.lr = 1e-3f;
    o.lr_min = 5e-5f;
    o.warmup = 500;
    o.clip = 1.0f;
    o.weight_decay = 0.01f;
    o.ckpt_every = 500;
    o.eval_every = 500;
    return o;
}

int parm_mkdirs_for(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char *dir = parm_strdup(path);
    if (!dir) return -1;
    dir[slash - path] = 0;
    int rc = parm_mkdirs(dir);
    free(dir);
    return rc;
}

static int given(const char *p) { return p && p[0]; }

static int check(const parm_train_opts *o, const parm_trainer *t) {
    if (o->steps < 1 || o->batch < 1 || o->warmup < 0 || o->ckpt_every < 0 || o->eval_every < 0 || o->log_every < 0)
        return PARM_ERR("bad training options: steps %ld batch %d warmup %ld ckpt_every %ld eval_every %ld log_every "
                        "%ld (steps, batch ≥ 1; the others ≥ 0)", o->steps, o->batch, o->warmup, o->ckpt_every,
                        o->eval_every, o->log_every);
    if (!(o->lr >= 0) || !(o->lr_min >= 0) || !(o->clip >= 0) || !(o->weight_decay >= 0))
        return PARM_ERR("bad training options: lr %g lr_min %g clip %g weight_decay %g (all must be ≥ 0)", o->lr,
                        o->lr_min, o->clip, o->weight_decay);
    if (!given(o->out) && !given(o->ckpt))
        return PARM_ERR("%s: no output path (give the final weights' path, a checkpoint path, or both)", t->label);
    if (!t->params || !t->step || (given(o->out) && !t->save))
        return PARM_ERR("%s: trainer without parameters, step or save callback", t->label);
    if (o->shards < 0 || o->shards > o->batch)
        return PARM_ERR("bad training options: shards %d (0 = one a rank, at most the batch %d)", o->shards, o->batch);
    return 0;
}

/* "step,<unit>,loss[,model columns],seconds" */
static FILE *open_log(const parm_train_opts *o, const parm_trainer *t, long step) {
    if (!given(o->log)) return NULL;
    if (parm_mkdirs_for(o->log)) return NULL;
    FILE *f = fopen(o->log, step ? "a" : "w");
    if (!f) { PARM_ERR("cannot write learning curve '%s': %s", o->log, strerror(errno)); return NULL; }
    if (!step &&
        (fprintf(f, "step,%s,loss%s%s,seconds\n", t->unit, t->log_columns ? "," : "",
                 t->log_columns ? t->log_columns : "") < 0 ||
         fflush(f))) { /* the header is on disk before the first step (a kill then loses no header) */
        PARM_ERR("cannot write learning curve '%s': %s", o->log, strerror(errno));
        fclose(f);
        return NULL;
    }
    return f;
}

/* The checkpoint also carries the logged loss's moving average (key
 * EMA_KEY, exact as %.17g), so a resumed run logs the same CSV as an
 * uninterrupted one. */
#define EMA_KEY "train_loss_ema"
#define SHARDS_KEY "train_shards" /* only when > 1 */
static int checkpoint(const parm_train_opts *o, const parm_trainer *t, long step, const parm_rng *rng,
                      double loss_ema, int shards) {
    if (parm_mkdirs_for(o->ckpt)) return -1;
    enum { MAXMETA = 32 };
    if (t->nmeta > MAXMETA - 2) return PARM_ERR("trainer '%s' has %d checkpoint metadata pairs (at most %d)", t->label,
                                                t->nmeta, MAXMETA - 2);
    const char *kv[2 * MAXMETA];
    char ema[40], sh[16];
    snprintf(ema, sizeof ema, "%.17g", loss_ema);
    snprintf(sh, sizeof sh, "%d", shards);
    for (int i = 0; i < 2 * t->nmeta; i++) kv[i] = t->ckpt_meta[i];
    int n = t->nmeta;
    kv[2 * n] = EMA_KEY;
    kv[2 * n++ + 1] = ema;
    if (shards > 1) { kv[2 * n] = SHARDS_KEY; kv[2 * n++ + 1] = sh; }
    return parm_ckpt_save(t->params, o->ckpt, step, rng, kv, n);
}

/* the number a checkpoint recorded under key (0 and *have = 0 if none) */
static double resumed_meta(const char *path, const char *key, int *have) {
    parm_st_file f;
    *have = 0;
    if (parm_st_open(&f, path)) { parm_clear_error(); return 0; }
    const char *v = parm_st_meta(&f, key);
    char *end = NULL;
    double x = v ? strtod(v, &end) : 0;
    *have = v && end != v && !*end && isfinite(x);
    parm_st_close(&f);
    return *have ? x : 0;
}

/* One sharded step (S > 1): a slot per shard holds its head and its
 * gradient [numel]; this rank fills its S/K slots, the allgather the rest. */
typedef struct {
    float loss;
    double stats[PARM_TRAIN_NSTATS];
    parm_rng rng; /* the rng after the shard's draws: the same for every shard */
} slot_head;
#define HEADF ((sizeof(slot_head) + sizeof(float) - 1) / sizeof(float))

static int sharded_step(const parm_train_opts *o, const parm_trainer *t, int S, float *buf, parm_rng *rng, long step,
                        float *loss, double *stats, double *comm, double *wait) {
    const int K = parm_dist_size(), per = S / K, r = parm_dist_rank();
    const size_t P = t->params->numel, W = HEADF + P;
    int rc = 0;
    for (int j = r * per; j < (r + 1) * per && !rc; j++) {
        parm_slab_zero_grad(t->params);
        parm_shard sh = {.lo = (int)((long)o->batch * j / S), .hi = (int)((long)o->batch * (j + 1) / S)};
        slot_head h = {.loss = NAN, .rng = *rng};
        rc = t->step(t->ctx, &h.rng, step, &sh, &h.loss);
        if (!rc && !isfinite(h.loss)) rc = PARM_ERR("loss is %g at step %ld (hint: lower --lr)", h.loss, step);
        memcpy(h.stats, sh.stats, sizeof h.stats);
        memcpy(buf + (size_t)j * W, &h, sizeof h);
        memcpy(buf + (size_t)j * W + HEADF, t->params->g, sizeof(float) * P);
    }
    /* the agreement on rc doubles as a barrier: before it, waiting for the slowest rank; after, moving gradients */
    const double tw = parm_now();
    if (parm_dist_check(rc)) return -1;
    const double t0 = parm_now();
    *wait += t0 - tw;
    if (parm_dist_allgather(buf, sizeof(float) * W * per, 0)) return -1;
    slot_head h[S];
    for (int j = 0; j < S; j++) memcpy(&h[j], buf + (size_t)j * W, sizeof h[j]);
    float w[S];
    double l = 0;
    memset(stats, 0, sizeof(double) * PARM_TRAIN_NSTATS);
    for (int j = 0; j < S; j++) {
        if (memcmp(&h[j].rng, &h[0].rng, sizeof h[0].rng))
            return PARM_ERR("%s: shard %d of %d drew other random numbers than shard 0 at step %ld (a step must draw "
                            "the whole batch's numbers)", t->label, j, S, step);
        w[j] = (float)(((long)o->batch * (j + 1) / S - (long)o->batch * j / S) / (double)o->batch);
        l += (double)w[j] * h[j].loss;
        for (int k = 0; k < PARM_TRAIN_NSTATS; k++) stats[k] += h[j].stats[k];
    }
    float *g = t->params->g;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < P; i++) {
        float a = 0;
        for (int j = 0; j < S; j++) a += w[j] * buf[(size_t)j * W + HEADF + i];
        g[i] = a;
    }
    *rng = h[0].rng;
    *loss = (float)l;
    *comm += parm_now() - t0;
    return 0;
}

int parm_train(const parm_train_opts *o, const parm_trainer *t, parm_train_stats *st) {
    if (check(o, t)) return -1;
    const int K = parm_dist_size(), lead = parm_dist_rank() == 0, quiet = o->quiet || !lead;
    parm_rng rng;
    parm_rng_seed(&rng, o->seed, PARM_STREAM_TRAIN);
    long step = 0;
    double loss_ema = 0;
    int have_ema = 0, have_shards = 0, S = o->shards, rc = 0;
    if (given(o->resume)) {
        rc = parm_ckpt_load(t->params, o->resume, &step, &rng);
        loss_ema = rc ? 0 : resumed_meta(o->resume, EMA_KEY, &have_ema);
        const int ck = rc ? 0 : (int)resumed_meta(o->resume, SHARDS_KEY, &have_shards);
        if (!S) S = have_shards ? ck : K;
        if (!rc && !quiet) fprintf(stderr, "resumed from %s at step %ld\n", o->resume, step);
        if (!rc && !quiet && have_shards) fprintf(stderr, "  its trajectory's gradient shards: %d\n", ck);
    }
    if (!S) S = K;
    if (!rc && (S % K || S > o->batch))
        rc = PARM_ERR("%s: %d gradient shards for %d ranks and batch %d (the ranks must divide the shards, the "
                      "shards be at most the batch; give --shards)", t->label, S, K, o->batch);
    float *shard_buf = NULL;
    if (!rc && S > 1 && !(shard_buf = parm_malloc(sizeof(float) * (HEADF + t->params->numel) * S))) rc = -1;
    if (!rc && t->begin) rc = t->begin(t->ctx, &rng, step);
    /* every rank is ready (a bad --resume on one rank stops all here) */
    if (parm_dist_check(rc)) { free(shard_buf); return -1; }
    FILE *logf = lead ? open_log(o, t, step) : NULL;
    if (lead && given(o->log) && !logf) { free(shard_buf); return -1; }
    double comm = 0, wait = 0;
    parm_adamw opt = parm_adamw_default();
    opt.weight_decay = o->weight_decay;
    parm_progress prog;
    parm_progress_start(&prog, t->label, "step", o->steps);
    const double t0 = parm_now();
    const long step0 = step;
    double first = 0, ring[STAT_STEPS] = {0};
    rc = -1;
    while (step < o->steps) {
        float loss = NAN;
        parm_shard sh = {.lo = 0, .hi = o->batch};
        if (S == 1) {
            parm_slab_zero_grad(t->params);
            if (t->step(t->ctx, &rng, step, &sh, &loss)) goto done;
        } else if (sharded_step(o, t, S, shard_buf, &rng, step, &loss, sh.stats, &comm, &wait))
            goto done;
        if (t->shard_stats) t->shard_stats(t->ctx, sh.stats);
        if (!isfinite(loss)) { PARM_ERR("loss is %g at step %ld (hint: lower --lr)", loss, step); goto done; }
        if (o->clip > 0) parm_clip_grad_norm(t->params, o->clip);
        step++;
        float lr = parm_lr_cosine(step, o->warmup, o->steps, o->lr, o->lr_min);
        if (parm_adamw_step(t->params, &opt, lr, step)) goto done;
        if (t->after_step && t->after_step(t->ctx, &rng, step, quiet)) goto done;
        const long ran = step - step0;
        loss_ema = ran == 1 && !have_ema ? loss : 0.98 * loss_ema + 0.02 * loss; /* progress and CSV loss */
        if (ran <= STAT_STEPS) first += loss;
        ring[ran % STAT_STEPS] = loss;
        const double el = parm_now() - t0;
        char model[160] = "", status[256];
        if (t->describe) t->describe(t->ctx, model, sizeof model);
        snprintf(status, sizeof status, "loss %.4f%s%s  %.1f %s/s", loss_ema, model[0] ? "  " : "", model,
                 ran * (double)o->batch / (el > 0 ? el : 1e-9), t->unit);
        if (!quiet) parm_progress_update(&prog, step, status);
        const int do_eval = lead && t->evaluate && o->eval_every > 0 && (step % o->eval_every == 0 || step == o->steps);
        if (do_eval) {
            if (!quiet) fprintf(stderr, "\nstep %ld eval (%s)\n", step, status);
            if (t->evaluate(t->ctx, step, quiet)) goto done;
        }
        if (logf && (do_eval || step % (o->log_every > 0 ? o->log_every : LOG_PERIOD) == 0 || step == o->steps)) {
            char cols[512] = "";
            if (t->log_row) t->log_row(t->ctx, do_eval, cols, sizeof cols);
            fprintf(logf, "%ld,%ld,%.5f%s%s,%.1f\n", step, step * (long)o->batch, loss_ema, t->log_columns ? "," : "",
                    cols, el);
            if (fflush(logf)) { PARM_ERR("cannot write learning curve '%s': %s", o->log, strerror(errno)); goto done; }
        }
        if (lead && given(o->ckpt) && ((o->ckpt_every > 0 && step % o->ckpt_every == 0) || step == o->steps) &&
            checkpoint(o, t, step, &rng, loss_ema, S))
            goto done;
    }
    if (!quiet) parm_progress_end(&prog, step, NULL);
    if (!quiet && S > 1)
        fprintf(stderr, "%s: %d gradient shards on %d rank%s; of %.1f s, gathering and summing them took %.1f%%, "
                "waiting for the slowest rank %.1f%%\n", t->label, S, K, K > 1 ? "s" : "", parm_now() - t0,
                100 * comm / fmax(parm_now() - t0, 1e-9), 100 * wait / fmax(parm_now() - t0, 1e-9));
    if (lead && given(o->out) && (parm_mkdirs_for(o->out) || t->save(t->ctx, o->out))) goto done;
    if (st) {
        const long ran = step - step0, nf = ran < STAT_STEPS ? ran : STAT_STEPS;
        double last = 0;
        for (long k = 0; k < nf; k++) last += ring[(ran - k) % STAT_STEPS];
        st->step = step;
        st->samples = ran * o->batch;
        st->loss_first = nf ? first / nf : NAN;
        st->loss_last = nf ? last / nf : NAN;
        st->seconds = parm_now() - t0;
        st->comm_seconds = comm;
        st->wait_seconds = wait;
        st->shards = S;
        st->ranks = K;
    }
    rc = 0;
done:
    if (logf && fclose(logf) && !rc) rc = PARM_ERR("cannot write learning curve '%s': %s", o->log, strerror(errno));
    free(shard_buf);
    return rc;
}
