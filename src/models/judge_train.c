/* judge_train.c — training loop for a judge variant: examples from the
 * variant's parm_judge_source (fresh every step, drawn from the training RNG),
 * BCE on the yes/no logit, AdamW with warmup + cosine, grad clipping; periodic
 * eval on two fixed held-out sets (ground-truth renders of TEST prompts, and
 * fresh renders of train prompts); atomic checkpoints with exact resume; a CSV
 * learning curve; progress with loss, accuracy, examples/s and ETA. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/gen.h" /* the text tokenizer */
#include "parm/judge.h"

#define NPIX (PARM_IMG * PARM_IMG)
#define EVAL_SEED_TEST 1000 /* held-out sets: fixed, independent of --seed */
#define EVAL_SEED_TRAIN 2000

parm_judge_train_opts parm_judge_train_defaults(void) {
    parm_judge_train_opts o = {0};
    o.cfg = parm_judge_default_config();
    o.variant = "orm-zs";
    o.steps = 10000;
    o.batch = 32;
    o.lr = 1e-3f; /* as the generator's, which trains stably in this engine */
    o.lr_min = 5e-5f;
    o.warmup = 500;
    o.clip = 1.0f;
    o.weight_decay = 0.01f;
    o.seed = 0;
    o.ckpt_every = 500;
    o.eval_every = 500;
    o.eval_n = 512;
    return o;
}

static void mkdirs_for(const char *path) {
    char *dir = parm_strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash) { *slash = 0; parm_mkdirs(dir); }
    free(dir);
}

/* the checkpoint must be of the same variant (shapes are checked by the load) */
static int check_resume_variant(const char *path, const char *variant) {
    parm_st_file f;
    if (parm_st_open(&f, path)) return -1;
    const char *v = parm_st_meta(&f, "judge_variant");
    int bad = !v || strcmp(v, variant);
    if (bad) PARM_ERR("checkpoint '%s' is of judge variant '%s', not '%s'", path, v ? v : "?", variant);
    parm_st_close(&f);
    return bad ? -1 : 0;
}

int parm_judge_train(const parm_judge_train_opts *o, parm_judge_train_stats *st) {
    if (o->steps < 1 || o->batch < 1 || o->eval_n < 2)
        return PARM_ERR("bad options: steps %ld batch %d eval_n %d", o->steps, o->batch, o->eval_n);
    const parm_judge_source *src = parm_judge_source_find(o->variant);
    if (!src) return -1;
    char ckpt_def[256], log_def[256];
    snprintf(ckpt_def, sizeof ckpt_def, "runs/judge_%s.ckpt.safetensors", src->name);
    snprintf(log_def, sizeof log_def, "runs/judge_%s.curve.csv", src->name);
    const char *out = o->out ? o->out : src->default_out, *ckpt = o->ckpt ? o->ckpt : ckpt_def;
    const char *logp = o->log ? o->log : log_def;
    if (o->resume && check_resume_variant(o->resume, src->name)) return -1;
    void *ctx = NULL;
    if (src->open && src->open(&ctx, o)) return -1;
    parm_judge j;
    if (parm_judge_init(&j, &o->cfg, o->seed)) { if (src->close) src->close(ctx); return -1; }
    snprintf(j.variant, sizeof j.variant, "%s", src->name);
    const int B = o->batch, Tt = o->cfg.text_len;
    int rc = -1;
    parm_judge_example *ex = parm_malloc(sizeof *ex * B);
    uint8_t *rgb = parm_malloc((size_t)B * NPIX * 3);
    int *q = parm_malloc(sizeof(int) * B), *ids = parm_malloc(sizeof(int) * B * Tt);
    float *labels = parm_malloc(sizeof(float) * B);
    parm_judge_evalset ev_test = {0}, ev_train = {0};
    FILE *logf = NULL;
    if (!ex || !rgb || !q || !ids || !labels || parm_judge_alloc(&j, B)) goto done;
    if (o->eval_every > 0 && (parm_judge_evalset_gt(&ev_test, 1, o->eval_n, EVAL_SEED_TEST) ||
                              parm_judge_evalset_gt(&ev_train, 0, o->eval_n, EVAL_SEED_TRAIN)))
        goto done;
    parm_rng rng;
    parm_rng_seed(&rng, o->seed, PARM_STREAM_TRAIN);
    long step = 0;
    if (o->resume) {
        if (parm_ckpt_load(&j.p, o->resume, &step, &rng)) goto done;
        if (!o->quiet) fprintf(stderr, "resumed from %s at step %ld\n", o->resume, step);
    }
    if (logp[0]) {
        mkdirs_for(logp);
        logf = fopen(logp, step ? "a" : "w");
        if (logf && !step)
            fprintf(logf, "step,examples,loss,acc,test_loss,test_acc,test_auc,train_loss,train_acc,train_auc,seconds\n");
    }
    parm_adamw opt = parm_adamw_default();
    opt.weight_decay = o->weight_decay;
    parm_progress prog;
    char label[64];
    snprintf(label, sizeof label, "train judge %s", src->name);
    parm_progress_start(&prog, label, "step", o->steps);
    const double t0 = parm_now();
    const long step0 = step;
    double loss_ema = 0, acc_ema = 0, first = 0, ring[10] = {0};
    const char *const ckpt_meta[] = {"judge_variant", src->name};
    while (step < o->steps) {
        if (src->next(ctx, &rng, ex, B)) goto done;
        for (int b = 0; b < B; b++) {
            q[b] = ex[b].question;
            labels[b] = ex[b].label;
            memcpy(rgb + (size_t)b * NPIX * 3, ex[b].rgb, NPIX * 3);
            if (parm_text_encode(ex[b].caption.text, ids + b * Tt, Tt) < 0) goto done;
        }
        parm_slab_zero_grad(&j.p);
        if (parm_judge_forward(&j, q, ids, rgb, B, 1)) goto done;
        int correct = 0;
        for (int b = 0; b < B; b++) correct += (j.logits[b] >= 0) == (labels[b] >= 0.5f);
        float loss = parm_judge_loss_backward(&j, labels, NULL, B);
        if (!isfinite(loss)) { PARM_ERR("loss is %g at step %ld (hint: lower --lr)", loss, step); goto done; }
        if (o->clip > 0) parm_clip_grad_norm(&j.p, o->clip);
        step++;
        if (parm_adamw_step(&j.p, &opt, parm_lr_cosine(step, o->warmup, o->steps, o->lr, o->lr_min), step)) goto done;
        const long done_steps = step - step0;
        const double acc = (double)correct / B;
        loss_ema = done_steps == 1 ? loss : 0.98 * loss_ema + 0.02 * loss;
        acc_ema = done_steps == 1 ? acc : 0.98 * acc_ema + 0.02 * acc;
        if (done_steps <= 10) first += loss;
        ring[done_steps % 10] = loss;
        double el = parm_now() - t0;
        char extra[160];
        snprintf(extra, sizeof extra, "loss %.4f  acc %.3f  %.1f examples/s", loss_ema, acc_ema, done_steps * (double)B / el);
        if (!o->quiet) parm_progress_update(&prog, step, extra);
        int do_eval = o->eval_every > 0 && (step % o->eval_every == 0 || step == o->steps);
        parm_judge_metrics mt = {0}, mr = {0};
        if (do_eval) {
            if (parm_judge_evaluate(&j, &ev_test, &mt) || parm_judge_evaluate(&j, &ev_train, &mr)) goto done;
            if (!o->quiet) {
                fprintf(stderr, "\nstep %ld eval (%s)\n held-out TEST prompts (GT renders):\n", step, extra);
                parm_judge_metrics_print(&mt, stderr);
                fprintf(stderr, " held-out images of train prompts:\n");
                parm_judge_metrics_print(&mr, stderr);
            }
        }
        if (logf && (do_eval || step % 100 == 0)) {
            if (do_eval)
                fprintf(logf, "%ld,%ld,%.5f,%.4f,%.5f,%.4f,%.4f,%.5f,%.4f,%.4f,%.1f\n", step, step * (long)B, loss_ema,
                        acc_ema, mt.loss, mt.acc, mt.auc, mr.loss, mr.acc, mr.auc, el);
            else fprintf(logf, "%ld,%ld,%.5f,%.4f,,,,,,,%.1f\n", step, step * (long)B, loss_ema, acc_ema, el);
            fflush(logf);
        }
        if (ckpt[0] && (step % o->ckpt_every == 0 || step == o->steps)) {
            mkdirs_for(ckpt);
            if (parm_ckpt_save(&j.p, ckpt, step, &rng, ckpt_meta, 1)) goto done;
        }
    }
    if (!o->quiet) parm_progress_end(&prog, step, NULL);
    if (st) {
        long ran = step - step0, nf = ran < 10 ? ran : 10;
        double last = 0;
        for (long k = 0; k < nf; k++) last += ring[(ran - k) % 10];
        st->loss_first = nf ? first / nf : NAN;
        st->loss_last = nf ? last / nf : NAN;
        st->examples = ran * B;
        st->seconds = parm_now() - t0;
    }
    if (out && out[0]) {
        mkdirs_for(out);
        if (parm_judge_save(&j, out, PARM_F16)) goto done;
    }
    rc = 0;
done:
    if (logf) fclose(logf);
    free(ex); free(rgb); free(q); free(ids); free(labels);
    parm_judge_evalset_free(&ev_test);
    parm_judge_evalset_free(&ev_train);
    parm_judge_free(&j);
    if (src->close) src->close(ctx);
    return rc;
}
