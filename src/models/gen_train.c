/* gen_train.c — training loop for the generator: fresh ground-truth scenes of
 * train-split prompts, tokenized by the shipped VQ; masked-token prediction
 * with MaskGIT's cosine mask ratio; 10 % condition dropout (for CFG); AdamW
 * with warmup + cosine; periodic generation eval (grader score and the
 * fraction of non-background pixels, so a collapse to empty canvases shows);
 * atomic checkpoints with exact resume; a CSV learning curve. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/sample.h"

#define NPIX (PARM_IMG * PARM_IMG)
#define NTOK PARM_VQ_TOKENS

parm_gen_train_opts parm_gen_train_defaults(void) {
    parm_gen_train_opts o = {0};
    o.cfg = parm_gen_default_config();
    o.vq_path = "weights/vq.safetensors";
    o.steps = 20000;
    o.batch = 32;
    o.lr = 1e-3f;
    o.lr_min = 5e-5f;
    o.warmup = 500;
    o.clip = 1.0f;
    o.weight_decay = 0.01f;
    o.cond_drop = 0.1f;
    o.bg_weight = 1.0f;
    o.seed = 0;
    o.ckpt_every = 500;
    o.eval_every = 1000;
    o.eval_prompts = 48;
    o.out = "weights/gen.safetensors";
    o.ckpt = "runs/gen.ckpt.safetensors";
    o.log = "runs/gen.curve.csv";
    o.layout = parm_layout_canonical;
    return o;
}

int parm_gen_evaluate(parm_gen *g, parm_vq *vq, int n, uint64_t seed, const parm_sample_opts *o, double *acc,
                      double *fill, parm_score *sc) {
    if (sc) memset(sc, 0, sizeof *sc);
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_PROMPT);
    uint8_t img[NPIX * 3];
    long good = 0, nonbg = 0;
    for (int i = 0; i < n; i++) {
        parm_prompt p;
        parm_prompt_sample_train(&rng, &p);
        uint64_t s = (uint64_t)i;
        if (parm_sample(g, vq, &p, 1, &s, o, img, NULL)) return -1;
        char reason[256];
        int ok = parm_grade(img, &p, reason, sizeof reason) == 1;
        good += ok;
        if (sc) parm_score_add(sc, p.tag, ok);
        for (int q = 0; q < NPIX; q++) nonbg += parm_pixel_class(img + q * 3) != 0;
    }
    *acc = (double)good / n;
    *fill = (double)nonbg / ((double)n * NPIX);
    return 0;
}

int parm_gen_train(const parm_gen_train_opts *o) {
    if (o->steps < 1 || o->batch < 1) return PARM_ERR("bad options: steps %ld batch %d", o->steps, o->batch);
    parm_vq vq;
    parm_gen g;
    if (parm_vq_load(&vq, o->vq_path)) return -1;
    parm_gen_config cfg = o->cfg;
    cfg.ncodes = vq.cfg.ncodes;
    if (o->init ? parm_gen_load(&g, o->init) : parm_gen_init(&g, &cfg, o->seed)) { parm_vq_free(&vq); return -1; }
    if (g.cfg.ncodes != vq.cfg.ncodes) {
        PARM_ERR("%s predicts %d codes but the VQ %s has %d", o->init, g.cfg.ncodes, o->vq_path, vq.cfg.ncodes);
        parm_gen_free(&g);
        parm_vq_free(&vq);
        return -1;
    }
    cfg = g.cfg;
    const int B = o->batch, Tt = cfg.text_len, K = cfg.ncodes;
    int rc = -1;
    uint8_t *rgb = parm_malloc((size_t)B * NPIX * 3);
    int *tokens = parm_malloc(sizeof(int) * B * NTOK), *input = parm_malloc(sizeof(int) * B * NTOK);
    int *targets = parm_malloc(sizeof(int) * B * NTOK), *text = parm_malloc(sizeof(int) * B * Tt);
    float *weights = parm_malloc(sizeof(float) * B * NTOK);
    FILE *logf = NULL;
    if (!rgb || !tokens || !input || !targets || !text || !weights || parm_gen_alloc(&g, B)) goto done;
    /* the background code: what a blank canvas tokenizes to */
    memset(rgb, 128, NPIX * 3);
    if (parm_vq_encode(&vq, rgb, 1, tokens)) goto done;
    const int bg = tokens[0];
    parm_rng rng;
    parm_rng_seed(&rng, o->seed, PARM_STREAM_TRAIN);
    long step = 0;
    if (o->resume) {
        if (parm_ckpt_load(&g.p, o->resume, &step, &rng)) goto done;
        if (!o->quiet) fprintf(stderr, "resumed from %s at step %ld\n", o->resume, step);
    }
    if (o->log) {
        logf = fopen(o->log, step ? "a" : "w");
        if (logf && !step) fprintf(logf, "step,samples,loss,eval_acc,eval_nonbg_fraction,seconds\n");
    }
    parm_adamw opt = parm_adamw_default();
    opt.weight_decay = o->weight_decay;
    parm_progress prog;
    parm_progress_start(&prog, "train gen", "step", o->steps);
    const double t0 = parm_now();
    const long step0 = step;
    double loss_ema = 0;
    while (step < o->steps) {
        /* data: scenes → tokens; text with condition dropout; cosine mask ratio */
        for (int b = 0; b < B; b++) {
            parm_prompt p;
            parm_scene sc;
            parm_prompt_sample_train(&rng, &p);
            if (parm_scene_sample_layout(&p, &o->layout, &rng, &sc)) goto done;
            parm_render(&sc, rgb + (size_t)b * NPIX * 3);
            if (parm_rng_uniform(&rng) < o->cond_drop) {
                text[b * Tt] = PARM_TOK_BOS;
                for (int t = 1; t < Tt; t++) text[b * Tt + t] = PARM_TOK_PAD;
            } else if (parm_text_encode(p.text, text + b * Tt, Tt) < 0) goto done;
        }
        if (parm_vq_encode(&vq, rgb, B, tokens)) goto done;
        for (int b = 0; b < B; b++) {
            double r = cos(1.5707963267948966 * parm_rng_uniform(&rng));
            int nm = (int)ceil(r * NTOK);
            nm = nm < 1 ? 1 : nm > NTOK ? NTOK : nm;
            int perm[NTOK];
            for (int i = 0; i < NTOK; i++) perm[i] = i;
            for (int i = 0; i < nm; i++) {
                int j = parm_rng_int(&rng, i, NTOK - 1), tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            int *in = input + b * NTOK, *tg = targets + b * NTOK;
            const int *tk = tokens + b * NTOK;
            for (int i = 0; i < NTOK; i++) { in[i] = tk[i]; tg[i] = -1; }
            for (int i = 0; i < nm; i++) { in[perm[i]] = K; tg[perm[i]] = tk[perm[i]]; }
            for (int i = 0; i < NTOK; i++) weights[b * NTOK + i] = tk[i] == bg ? o->bg_weight : 1.0f;
        }
        parm_slab_zero_grad(&g.p);
        if (parm_gen_forward(&g, text, input, B, 1)) goto done;
        float loss = parm_gen_loss_backward(&g, targets, weights, B);
        if (!isfinite(loss)) { PARM_ERR("loss is %g at step %ld (hint: lower --lr)", loss, step); goto done; }
        if (o->clip > 0) parm_clip_grad_norm(&g.p, o->clip);
        step++;
        if (parm_adamw_step(&g.p, &opt, parm_lr_cosine(step, o->warmup, o->steps, o->lr, o->lr_min), step)) goto done;
        loss_ema = step == step0 + 1 ? loss : 0.98 * loss_ema + 0.02 * loss;
        double el = parm_now() - t0;
        char extra[160];
        snprintf(extra, sizeof extra, "loss %.4f  %.0f tok/s  %.1f samples/s", loss_ema,
                 (step - step0) * (double)B * g.T / el, (step - step0) * (double)B / el);
        if (!o->quiet) parm_progress_update(&prog, step, extra);
        int do_eval = o->eval_every > 0 && (step % o->eval_every == 0 || step == o->steps);
        double acc = -1, fill = -1;
        if (do_eval) {
            parm_sample_opts so = parm_sample_defaults();
            if (parm_gen_evaluate(&g, &vq, o->eval_prompts, 777, &so, &acc, &fill, NULL)) goto done;
            if (!o->quiet)
                fprintf(stderr, "\nstep %ld eval: grader %.3f on %d train prompts, non-background pixels %.3f  (%s)\n",
                        step, acc, o->eval_prompts, fill, extra);
        }
        if (logf && (do_eval || step % 100 == 0)) {
            fprintf(logf, "%ld,%ld,%.5f,%.4f,%.4f,%.1f\n", step, step * (long)B, loss_ema, acc, fill, el);
            fflush(logf);
        }
        if (o->ckpt && (step % o->ckpt_every == 0 || step == o->steps)) {
            char *dir = parm_strdup(o->ckpt), *slash = dir ? strrchr(dir, '/') : NULL;
            if (slash) { *slash = 0; parm_mkdirs(dir); }
            free(dir);
            if (parm_ckpt_save(&g.p, o->ckpt, step, &rng, NULL, 0)) goto done;
        }
    }
    if (!o->quiet) parm_progress_end(&prog, step, NULL);
    if (o->out && parm_gen_save(&g, o->out, PARM_F16)) goto done;
    rc = 0;
done:
    if (logf) fclose(logf);
    free(rgb); free(tokens); free(input); free(targets); free(text); free(weights);
    parm_gen_free(&g);
    parm_vq_free(&vq);
    return rc;
}
