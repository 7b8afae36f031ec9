/* vq_train.c — training loop for the VQ tokenizer: fresh seeded scenes of
 * train-split prompts every step, AdamW with warmup+cosine, grad clipping,
 * dead-code restarts, periodic eval, atomic checkpoints with exact resume. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/ops.h"
#include "parm/vq.h"
#include "parm/world.h"

#define NPIX (PARM_IMG * PARM_IMG)

parm_vq_train_opts parm_vq_train_defaults(void) {
    parm_vq_train_opts o = {0};
    o.cfg = parm_vq_default_config();
    o.steps = 6000;
    o.batch = 32;
    o.lr = 2e-3f;
    o.lr_min = 1e-4f;
    o.warmup = 200;
    o.clip = 1.0f;
    o.seed = 0;
    o.restart_every = 100;
    o.ckpt_every = 500;
    o.eval_every = 500;
    o.out = "weights/vq.safetensors";
    o.ckpt = "runs/vq.ckpt.safetensors";
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

int parm_vq_train(const parm_vq_train_opts *o) {
    if (o->steps < 1 || o->batch < 1 || o->restart_every < 1)
        return PARM_ERR("bad training options: steps %ld batch %d restart_every %d (all must be ≥ 1)", o->steps,
                        o->batch, o->restart_every);
    parm_vq m;
    parm_rng rng;
    long step = 0;
    if (parm_vq_init(&m, &o->cfg, o->seed)) return -1;
    parm_rng_seed(&rng, o->seed, PARM_STREAM_TRAIN);
    if (o->resume) {
        if (parm_ckpt_load(&m.p, o->resume, &step, &rng)) { parm_vq_free(&m); return -1; }
        if (step % o->restart_every)
            fprintf(stderr, "warning: resuming at step %ld, not a multiple of restart_every %d: "
                            "dead-code bookkeeping restarts fresh\n", step, o->restart_every);
        if (!o->quiet) fprintf(stderr, "resumed from %s at step %ld\n", o->resume, step);
    }
    long ckpt_every = (o->ckpt_every + o->restart_every - 1) / o->restart_every * o->restart_every;
    int B = o->batch, K = o->cfg.ncodes;
    uint8_t *rgb = parm_malloc((size_t)B * NPIX * 3);
    int *usage = parm_calloc(K, sizeof(int));
    int rc = -1;
    if (!rgb || !usage) goto done;
    parm_adamw opt = parm_adamw_default();
    opt.weight_decay = 0.0f;
    if (step == 0) { /* data-dependent codebook init: codes = encoder outputs of a first batch */
        if (parm_render_train_scenes(&rng, B, rgb, NULL)) goto done;
        int *tok = parm_malloc((size_t)B * PARM_VQ_TOKENS * sizeof(int));
        if (!tok || parm_vq_encode(&m, rgb, B, tok)) { free(tok); goto done; }
        free(tok);
        parm_vq_restart_dead(&m, usage, B, &rng);
    }
    parm_progress prog;
    parm_progress_start(&prog, "train vq", "step", o->steps);
    double t0 = parm_now();
    long step0 = step;
    float loss_ema = 0;
    while (step < o->steps) {
        if (parm_render_train_scenes(&rng, B, rgb, NULL)) goto done;
        parm_slab_zero_grad(&m.p);
        float loss = parm_vq_forward_backward(&m, rgb, B);
        if (!isfinite(loss)) { PARM_ERR("loss is %g at step %ld (hint: lower --lr)", loss, step); goto done; }
        if (o->clip > 0) parm_clip_grad_norm(&m.p, o->clip);
        step++;
        float lr = parm_lr_cosine(step, o->warmup, o->steps, o->lr, o->lr_min);
        if (parm_adamw_step(&m.p, &opt, lr, step)) goto done;
        for (int i = 0; i < B * PARM_VQ_TOKENS; i++) usage[m.idx[i]]++;
        loss_ema = step == step0 + 1 ? loss : 0.95f * loss_ema + 0.05f * loss;
        char extra[200];
        double el = parm_now() - t0;
        snprintf(extra, sizeof extra, "loss %.4f (recon %.4f q %.4f) ppl %.0f  %.1f img/s", loss_ema,
                 m.last_recon_loss, m.last_codebook_loss, perplexity(usage, K), (step - step0) * B / el);
        if (step % o->restart_every == 0) {
            int dead = parm_vq_restart_dead(&m, usage, B, &rng);
            if (!o->quiet && dead)
                fprintf(stderr, "\nstep %ld: %s  restarted %d dead codes\n", step, extra, dead);
            memset(usage, 0, K * sizeof(int));
        }
        if (!o->quiet) parm_progress_update(&prog, step, extra);
        if (o->eval_every > 0 && step % o->eval_every == 0) {
            parm_vq_eval ev;
            if (parm_vq_evaluate(&m, 64, 12345, &ev)) goto done;
            if (!o->quiet)
                fprintf(stderr, "\nstep %ld eval: pixel %.5f object-pixel %.5f grader %.3f  (%s)\n", step,
                        ev.pixel_acc, ev.object_pixel_acc, ev.grader_acc, extra);
        }
        if (o->ckpt && (step % ckpt_every == 0 || step == o->steps)) {
            char *dir = parm_strdup(o->ckpt), *slash = dir ? strrchr(dir, '/') : NULL;
            if (slash) { *slash = 0; parm_mkdirs(dir); }
            free(dir);
            if (parm_ckpt_save(&m.p, o->ckpt, step, &rng, NULL, 0)) goto done;
        }
    }
    if (!o->quiet) parm_progress_end(&prog, step, NULL);
    if (o->out && parm_vq_save(&m, o->out, PARM_F16)) goto done;
    rc = 0;
done:
    free(rgb); free(usage);
    parm_vq_free(&m);
    return rc;
}
