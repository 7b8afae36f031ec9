/* judge_train.c — training loop for a judge variant: examples from the
 * variant's parm_judge_source (fresh every step, drawn from the training RNG),
 * BCE on the yes/no logit, AdamW with warmup + cosine, grad clipping; periodic
 * eval on two fixed held-out sets (ground-truth renders of TEST prompts, and
 * fresh renders of train prompts) and optionally on a path set (generator
 * paths labeled by the grader, e.g. of TEST prompts); a fresh start or one
 * from saved judge weights (--init); atomic checkpoints with exact resume
 * (they carry the model config); a CSV learning curve; progress with loss,
 * accuracy, examples/s and ETA. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/text.h"
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
    o.layout = parm_layout_canonical;
    o.zs_frac = 0.25f;
    o.word_frac = 0.5f;
    o.word_weight = 1.0f;
    return o;
}

static void mkdirs_for(const char *path) {
    char *dir = parm_strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash) { *slash = 0; parm_mkdirs(dir); }
    free(dir);
}

/* The checkpoint must be of the same variant (shapes are checked by the
 * load); *cfg gets its model config when it records one (checkpoints from
 * before --init do not: then the options' config stands). */
static int check_resume(const char *path, const char *variant, parm_judge_config *cfg, int *has_cfg) {
    parm_st_file f;
    if (parm_st_open(&f, path)) return -1;
    const char *v = parm_st_meta(&f, "judge_variant"), *c = parm_st_meta(&f, "judge_config");
    int bad = !v || strcmp(v, variant);
    if (bad) PARM_ERR("checkpoint '%s' is of judge variant '%s', not '%s'", path, v ? v : "?", variant);
    *has_cfg = 0;
    if (!bad && c) {
        parm_judge_config k;
        char tail;
        if (sscanf(c, "%d %d %d %d %d %c", &k.L, &k.C, &k.NH, &k.F, &k.text_len, &tail) != 5)
            bad = PARM_ERR("checkpoint '%s': metadata judge_config '%s' is not 'L C NH F text_len'", path, c);
        else { *cfg = k; *has_cfg = 1; }
    }
    parm_st_close(&f);
    return bad ? -1 : 0;
}

/* A content word of a tokenized caption (colour, shape, number, relation:
 * everything but the template words), chosen with rng; -1 if none. */
static int pick_content_word(const int *ids, int Tt, parm_rng *rng) {
    static const char *const filler[] = {"a", "an", "photo", "of", "and"};
    int cand[64], n = 0;
    for (int t = 1; t < Tt && t < 64; t++) {
        if (ids[t] <= PARM_JUDGE_TOK_MASK) continue; /* PAD, BOS, EOS, SEP */
        const char *w = parm_text_word(ids[t]);
        int fill = 0;
        for (size_t k = 0; k < sizeof filler / sizeof *filler; k++) fill |= w && !strcmp(w, filler[k]);
        if (!fill) cand[n++] = t;
    }
    return n ? cand[parm_rng_int(rng, 0, n - 1)] : -1;
}

/* Evaluate on the path set: the variant's question(s); fills the CSV fields
 * with the first (orm-zs / orm: match, prm: step, parm: potential). */
static int eval_pathset(parm_judge *j, const parm_pathset *ps, const parm_judge_source *src, int quiet,
                        parm_judge_metrics *first) {
    static const int parm_qs[3] = {PARM_Q_POTENTIAL, PARM_Q_CLARITY, PARM_Q_MATCH};
    const int one = src->question >= 0 ? src->question : PARM_Q_MATCH;
    const int *qs = src->question >= 0 ? &one : parm_qs, nq = src->question >= 0 ? 1 : 3;
    for (int k = 0; k < nq; k++) {
        parm_judge_metrics m;
        parm_judge_bestofn bon;
        if (parm_judge_evaluate_pathset(j, ps, qs[k], &m, NULL, NULL, &bon)) return -1;
        if (k == 0) *first = m;
        if (!quiet) {
            fprintf(stderr, " path set, question %s (%s prompts, grader labels):\n", parm_judge_question_names[qs[k]],
                    ps->split ? "TEST" : "train");
            parm_judge_metrics_print(&m, stderr);
            if (qs[k] == PARM_Q_MATCH)
                fprintf(stderr, "  best-of-%d by the judge %.4f   (one path %.4f, oracle %.4f)\n", ps->paths_per_prompt,
                        bon.bestofn, bon.mean, bon.oracle);
        }
    }
    return 0;
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
    if (src->needs_data && !(o->data && o->data[0]))
        return PARM_ERR("judge variant '%s' trains on generator paths: give --data FILE, a path set of train prompts "
                        "(make one with `parm paths --prompts train`)", src->name);
    if (!src->needs_data && o->data && o->data[0])
        return PARM_ERR("judge variant '%s' trains on ground-truth renders and reads no --data (got '%s')", src->name,
                        o->data);
    parm_judge_config cfg = o->cfg;
    int ckpt_cfg = 0;
    if (o->resume && check_resume(o->resume, src->name, &cfg, &ckpt_cfg)) return -1;
    void *ctx = NULL;
    if (src->open && src->open(&ctx, o)) return -1;
    parm_judge j;
    parm_pathset eval_ps = {0};
    /* resuming: the checkpoint's weights replace whatever starts here, so only its config matters */
    int init_rc = o->init && !ckpt_cfg ? parm_judge_load(&j, o->init) : parm_judge_init(&j, &cfg, o->seed);
    if (init_rc) { if (src->close) src->close(ctx); return -1; }
    if (o->init && !o->quiet && !ckpt_cfg)
        fprintf(stderr, "starting from %s (variant '%s'; L %d C %d NH %d F %d text_len %d)\n", o->init, j.variant,
                j.cfg.L, j.cfg.C, j.cfg.NH, j.cfg.F, j.cfg.text_len);
    snprintf(j.variant, sizeof j.variant, "%s", src->name);
    const int B = o->batch, Tt = j.cfg.text_len;
    /* caption-completion rows: copies of matching examples with one content word masked */
    const int W = (int)lroundf(o->word_frac * B), BW = B + W;
    int rc = -1;
    parm_judge_example *ex = parm_malloc(sizeof *ex * B);
    uint8_t *rgb = parm_malloc((size_t)BW * NPIX * 3);
    int *q = parm_malloc(sizeof(int) * BW), *ids = parm_malloc(sizeof(int) * BW * Tt);
    int *words = parm_malloc(sizeof(int) * BW * Tt);
    float *labels = parm_malloc(sizeof(float) * BW), *bce_w = parm_malloc(sizeof(float) * BW);
    parm_judge_evalset ev_test = {0}, ev_train = {0};
    FILE *logf = NULL;
    if (!ex || !rgb || !q || !ids || !words || !labels || !bce_w || parm_judge_alloc(&j, BW)) goto done;
    if (o->eval_data && o->eval_data[0] && parm_pathset_load(&eval_ps, o->eval_data)) goto done;
    if (o->eval_every > 0 && (parm_judge_evalset_gt(&ev_test, 1, o->eval_n, EVAL_SEED_TEST, &o->layout) ||
                              parm_judge_evalset_gt(&ev_train, 0, o->eval_n, EVAL_SEED_TRAIN, &o->layout)))
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
            fprintf(logf, "step,examples,loss,acc,test_loss,test_acc,test_auc,train_loss,train_acc,train_auc,seconds,"
                          "data_loss,data_acc,data_auc\n");
    }
    parm_adamw opt = parm_adamw_default();
    opt.weight_decay = o->weight_decay;
    parm_progress prog;
    char label[64];
    snprintf(label, sizeof label, "train judge %s", src->name);
    parm_progress_start(&prog, label, "step", o->steps);
    const double t0 = parm_now();
    const long step0 = step;
    double loss_ema = 0, acc_ema = 0, word_ema = 0, first = 0, ring[10] = {0};
    char cfg_meta[96];
    snprintf(cfg_meta, sizeof cfg_meta, "%d %d %d %d %d", j.cfg.L, j.cfg.C, j.cfg.NH, j.cfg.F, j.cfg.text_len);
    const char *const ckpt_meta[] = {"judge_variant", src->name, "judge_config", cfg_meta};
    while (step < o->steps) {
        if (src->next(ctx, &rng, ex, B)) goto done;
        for (int b = 0; b < B; b++) {
            q[b] = ex[b].question;
            labels[b] = ex[b].label;
            memcpy(rgb + (size_t)b * NPIX * 3, ex[b].rgb, NPIX * 3);
            if (parm_text_encode(ex[b].caption.text, ids + b * Tt, Tt) < 0) goto done;
        }
        for (int i = 0; i < BW * Tt; i++) words[i] = -1;
        int nb = B; /* rows in this step: B examples + completion rows */
        for (int b = 0; b < B && nb < BW; b++) {
            if (ex[b].kind != -1 || ex[b].label < 0.5f || ex[b].question != PARM_Q_MATCH) continue;
            int t = pick_content_word(ids + b * Tt, Tt, &rng);
            if (t < 0) continue;
            q[nb] = PARM_Q_MATCH;
            labels[nb] = 1.0f;
            bce_w[nb] = 0.0f;
            memcpy(rgb + (size_t)nb * NPIX * 3, rgb + (size_t)b * NPIX * 3, NPIX * 3);
            memcpy(ids + nb * Tt, ids + b * Tt, sizeof(int) * Tt);
            words[nb * Tt + t] = ids[nb * Tt + t];
            ids[nb * Tt + t] = PARM_JUDGE_TOK_MASK;
            nb++;
        }
        parm_slab_zero_grad(&j.p);
        if (parm_judge_forward(&j, q, ids, rgb, nb, 1)) goto done;
        int correct = 0;
        for (int b = 0; b < B; b++) correct += (j.logits[b] >= 0) == (labels[b] >= 0.5f);
        float wloss = 0;
        /* BCE is averaged over all nb rows (completion rows weigh 0): rescale to a mean over the B examples */
        for (int b = 0; b < B; b++) bce_w[b] = (float)nb / B;
        float loss = parm_judge_loss_backward_aux(&j, labels, bce_w, nb > B ? words : NULL, o->word_weight, nb, &wloss);
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
        word_ema = done_steps == 1 ? wloss : 0.98 * word_ema + 0.02 * wloss;
        snprintf(extra, sizeof extra, "loss %.4f  acc %.3f  words %.3f  %.1f examples/s", loss_ema, acc_ema, word_ema,
                 done_steps * (double)B / el);
        if (!o->quiet) parm_progress_update(&prog, step, extra);
        int do_eval = o->eval_every > 0 && (step % o->eval_every == 0 || step == o->steps);
        parm_judge_metrics mt = {0}, mr = {0}, md = {0};
        if (do_eval) {
            if (parm_judge_evaluate(&j, &ev_test, &mt) || parm_judge_evaluate(&j, &ev_train, &mr)) goto done;
            if (!o->quiet) {
                fprintf(stderr, "\nstep %ld eval (%s)\n held-out TEST prompts (GT renders):\n", step, extra);
                parm_judge_metrics_print(&mt, stderr);
                fprintf(stderr, " held-out images of train prompts:\n");
                parm_judge_metrics_print(&mr, stderr);
            }
            if (eval_ps.n && eval_pathset(&j, &eval_ps, src, o->quiet, &md)) goto done;
        }
        if (logf && (do_eval || step % 100 == 0)) {
            if (do_eval) {
                fprintf(logf, "%ld,%ld,%.5f,%.4f,%.5f,%.4f,%.4f,%.5f,%.4f,%.4f,%.1f", step, step * (long)B, loss_ema,
                        acc_ema, mt.loss, mt.acc, mt.auc, mr.loss, mr.acc, mr.auc, el);
                if (eval_ps.n) fprintf(logf, ",%.5f,%.4f,%.4f\n", md.loss, md.acc, md.auc);
                else fprintf(logf, ",,,\n");
            } else fprintf(logf, "%ld,%ld,%.5f,%.4f,,,,,,,%.1f,,,\n", step, step * (long)B, loss_ema, acc_ema, el);
            fflush(logf);
        }
        if (ckpt[0] && (step % o->ckpt_every == 0 || step == o->steps)) {
            mkdirs_for(ckpt);
            if (parm_ckpt_save(&j.p, ckpt, step, &rng, ckpt_meta, 2)) goto done;
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
    free(ex); free(rgb); free(q); free(ids); free(words); free(labels); free(bce_w);
    parm_judge_evalset_free(&ev_test);
    parm_judge_evalset_free(&ev_train);
    parm_pathset_free(&eval_ps);
    parm_judge_free(&j);
    if (src->close) src->close(ctx);
    return rc;
}
