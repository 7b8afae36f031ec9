/* bench_gen.c — `make bench-gen`: the Show-o-style generator (parm_gen) in C
 * against the same model in PyTorch 1.13 CPU (tools/bench_gen_torch.py, run
 * as a subprocess on this machine with the same thread count), side by side.
 *
 * Config: read from weights/gen.safetensors (L, C, NH, F, ncodes, text_len;
 * the default config with random weights if the file is missing); the torch
 * twin gets the same config with random weights (speed does not depend on
 * the values). Sequence T = text_len + 64 image positions (2×2 VQ tokens each).
 *   sampler forward   parm_gen_forward at B = 2·paths (CFG: prompt half, null
 *                     prompt half), half the image tokens MASK: B = 2, 8, 32
 *   train step        batch 32: zero grad, forward, masked-token cross-entropy,
 *                     backward, clip to norm 1, AdamW (as gen_train.c's step;
 *                     scene rendering and VQ encoding of the batch excluded);
 *                     tokens/s = batch × T / s, samples/s = batch / s
 *   end to end        parm_sample (4 paths, 12 steps, CFG 2, VQ decode) with
 *                     weights/vq.safetensors: images/s, C only
 * Every number is the median of REPS timed calls after warm-up. REPS: argv[1],
 * else $PARM_BENCH_REPS, else 10. `bench_gen REPS notorch` skips PyTorch.
 * The C side is measured once per matmul backend (OpenBLAS — today's default
 * path —, oneDNN f32, oneDNN bf16 where the CPU has it) in this run; the
 * torch column and the summary line are for OpenBLAS.
 * Prints numbers only; never fails on speed. Last lines:
 *   gen_forward_speedup X gen_train_speedup Y train_tokens_per_s Z sample_images_per_s W
 *   backend_train_x X.XX backend_infer_x X.XX   (auto backend vs OpenBLAS: train
 *     step, and the smallest of the three sampler-forward ratios)
 * (gen_forward_speedup = the smallest of the three forward ratios). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "parm.h"
#include "parm/gen.h"

#define NTOK PARM_VQ_TOKENS
#define NFWD 3

static const char *GEN_PATH = "weights/gen.safetensors", *VQ_PATH = "weights/vq.safetensors";


/* one table row; torch columns "-" when the peer did not run */
static void print_row(const char *name, double c_ms, double torch_ms, double gflops) {
    if (torch_ms > 0) printf("%-44s %10.2f %10.2f %8.2fx %10.1f\n", name, c_ms, torch_ms, torch_ms / c_ms, gflops);
    else printf("%-44s %10.2f %10s %9s %10.1f\n", name, c_ms, "-", "-", gflops);
}

static void die(const char *what) {
    fprintf(stderr, "bench-gen: %s: %s\n", what, parm_last_error());
    exit(1);
}

/* Sampler-step inputs for B = 2·paths rows: rows [0, B/2) the prompt, the rest
 * the null prompt; each pair (b, b + B/2) shares its image, half of it MASK. */
static void sampler_inputs(int *text, int *img, int B, const int *cond, int Tt, int K, parm_rng *rng) {
    int h = B / 2;
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < Tt; t++) text[b * Tt + t] = b < h ? cond[t] : t == 0 ? PARM_TOK_BOS : PARM_TOK_PAD;
        for (int i = 0; i < NTOK; i++)
            img[b * NTOK + i] = b >= h ? img[(b - h) * NTOK + i] : parm_rng_uniform(rng) < 0.5 ? K : parm_rng_int(rng, 0, K - 1);
    }
}

/* A training batch as gen_train.c draws it (minus the scenes): 10 % null
 * prompts, MaskGIT cosine mask ratio per row, targets at the masked tokens. */
static void train_inputs(int *text, int *img, int *tg, float *w, int B, const int *cond, int Tt, int K,
                         parm_rng *rng) {
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < Tt; t++)
            text[b * Tt + t] = b % 10 != 9 ? cond[t] : t == 0 ? PARM_TOK_BOS : PARM_TOK_PAD;
        double r = cos(1.5707963267948966 * parm_rng_uniform(rng));
        for (int i = 0; i < NTOK; i++) {
            int tok = parm_rng_int(rng, 0, K - 1), m = i == 0 || parm_rng_uniform(rng) < r;
            img[b * NTOK + i] = m ? K : tok;
            tg[b * NTOK + i] = m ? tok : -1;
            w[b * NTOK + i] = 1.0f;
        }
    }
}

int main(int argc, char **argv) {
    const char *env = getenv("PARM_BENCH_REPS");
    int reps = argc > 1 && atoi(argv[1]) > 0 ? atoi(argv[1]) : env && atoi(env) > 0 ? atoi(env) : 10;
    const int run_torch = !(argc > 2 && !strcmp(argv[2], "notorch"));
    const int warm = reps < 3 ? 1 : 2; /* warm-up calls before each timing */
    const int threads = omp_get_max_threads();
    const int fwd_b[NFWD] = {2, 8, 32}, TRAIN_B = 32, PATHS = 4, STEPS = 12;
    const float CFG = 2.0f;

    parm_gen g;
    int loaded = parm_gen_load(&g, GEN_PATH) == 0;
    if (!loaded) {
        fprintf(stderr, "bench-gen: %s (default config, random weights)\n", parm_last_error());
        parm_gen_config dc = parm_gen_default_config();
        if (parm_gen_init(&g, &dc, 0)) die("init");
    }
    const parm_gen_config cfg = g.cfg;
    const int Tt = cfg.text_len, K = cfg.ncodes, T = g.T, C = cfg.C;
    if (parm_gen_alloc(&g, TRAIN_B > fwd_b[NFWD - 1] ? TRAIN_B : fwd_b[NFWD - 1])) die("alloc");

    parm_rng rng;
    parm_rng_seed(&rng, 0, PARM_STREAM_PROMPT);
    parm_prompt prompt;
    parm_prompt_sample_train(&rng, &prompt);
    int cond[64];
    int n_text = parm_text_encode(prompt.text, cond, Tt);
    if (n_text < 0) die("prompt");
    parm_rng_seed(&rng, 0, PARM_STREAM_TRAIN);

    const int maxB = g.maxB;
    int *text = malloc(sizeof(int) * maxB * Tt), *img = malloc(sizeof(int) * maxB * NTOK);
    int *tg = malloc(sizeof(int) * maxB * NTOK);
    float *w = malloc(sizeof(float) * maxB * NTOK);
    double *t = malloc(sizeof(double) * (reps + 1));
    if (!text || !img || !tg || !w || !t) die("out of memory");

    parm_init();
    parm_gemm_backend bes[3] = {PARM_GEMM_OPENBLAS, PARM_GEMM_ONEDNN_F32, PARM_GEMM_ONEDNN_BF16};
    int nbe = 0;
    for (int i = 0; i < 3; i++)
        if (parm_gemm_available(bes[i])) bes[nbe++] = bes[i];
    int ai = 0;
    for (int i = 0; i < nbe; i++)
        if (bes[i] == parm_gemm_auto()) ai = i;
    printf("bench-gen: generator L=%d C=%d heads=%d MLP=%d text_len=%d T=%d codes=%d (%s), %zu params, "
           "%d threads, median of %d\n",
           cfg.L, C, cfg.NH, cfg.F, Tt, T, K, loaded ? GEN_PATH : "default config, random", g.p.numel, threads, reps);
    fflush(stdout);

    printf("matmul backends:");
    for (int b = 0; b < nbe; b++) printf(" %s", parm_gemm_backend_name(bes[b]));
    printf("; auto = %s\n", parm_gemm_backend_name(bes[ai]));
    double fwd_all[3][NFWD], e2e_all[3] = {0}, train_all[3];
    long e2e_fwd = 0;
    for (int be = 0; be < nbe; be++) {
        parm_gemm_set_backend(bes[be]);
        /* ---- sampler-step forwards ---- */
        double *fwd_ms = fwd_all[be];
        for (int j = 0; j < NFWD; j++) {
            int B = fwd_b[j];
            sampler_inputs(text, img, B, cond, Tt, K, &rng);
            for (int i = 0; i < warm; i++)
                if (parm_gen_forward(&g, text, img, B, 0)) die("forward");
            for (int i = 0; i < reps; i++) {
                double t0 = parm_now();
                parm_gen_forward(&g, text, img, B, 0);
                t[i] = parm_now() - t0;
            }
            fwd_ms[j] = median(t, reps) * 1e3;
        }

        /* ---- end to end: parm_sample (before training, which changes the weights) ---- */
        double e2e_s = 0;
        parm_vq vq;
        int have_vq = parm_vq_load(&vq, VQ_PATH) == 0;
        if (!have_vq) fprintf(stderr, "bench-gen: %s (end-to-end sampling skipped)\n", parm_last_error());
        else if (vq.cfg.ncodes != K) {
            fprintf(stderr, "bench-gen: %s has %d codes, the generator %d (end-to-end sampling skipped)\n", VQ_PATH,
                    vq.cfg.ncodes, K);
            parm_vq_free(&vq);
            have_vq = 0;
        }
        if (have_vq) {
            parm_sample_opts so = parm_sample_defaults();
            so.steps = STEPS;
            so.cfg = CFG;
            uint8_t *images = malloc((size_t)PATHS * PARM_IMG * PARM_IMG * 3);
            if (!images) die("out of memory");
            for (int i = -1; i < reps; i++) { /* call -1 warms up */
                uint64_t seeds[PATHS];
                for (int k = 0; k < PATHS; k++) seeds[k] = (uint64_t)((i + 1) * PATHS + k);
                double t0 = parm_now();
                if (parm_sample(&g, &vq, &prompt, PATHS, seeds, &so, images, &e2e_fwd)) die("parm_sample");
                if (i >= 0) t[i] = parm_now() - t0;
            }
            e2e_s = median(t, reps);
            free(images);
            parm_vq_free(&vq);
        }
        e2e_all[be] = e2e_s;
    }

    /* ---- training step ---- */
    parm_adamw opt = parm_adamw_default();
    opt.lr = 1e-4f;
    long step = 0;
    train_inputs(text, img, tg, w, TRAIN_B, cond, Tt, K, &rng);
    for (int be = 0; be < nbe; be++) {
        parm_gemm_set_backend(bes[be]);
        for (int i = -warm; i < reps; i++) {
            double t0 = parm_now();
            parm_slab_zero_grad(&g.p);
            if (parm_gen_forward(&g, text, img, TRAIN_B, 1)) die("train forward");
            float loss = parm_gen_loss_backward(&g, tg, w, TRAIN_B);
            if (!isfinite(loss)) die("train backward");
            parm_clip_grad_norm(&g.p, 1.0f);
            if (parm_adamw_step(&g.p, &opt, opt.lr, ++step)) die("AdamW");
            if (i >= 0) t[i] = parm_now() - t0;
        }
        train_all[be] = median(t, reps) * 1e3;
    }
    parm_gemm_set_backend(PARM_GEMM_OPENBLAS);
    const double *fwd_ms = fwd_all[0], train_ms = train_all[0], e2e_s = e2e_all[0];

    /* ---- the PyTorch twin ---- */
    double pf[NFWD] = {0}, ptr = 0;
    if (run_torch) {
        char cmd[512], line[256];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 tools/bench_gen_torch.py %d %d %d %d %d %d %d %d %d %d %d %d,%d,%d", cfg.L, C,
                 cfg.NH, cfg.F, K, Tt, parm_text_vocab_size(), n_text, threads, reps, TRAIN_B, fwd_b[0], fwd_b[1],
                 fwd_b[2]);
        FILE *p = popen(cmd, "r");
        while (p && fgets(line, sizeof line, p)) {
            int B;
            double ms;
            if (sscanf(line, "torch fwd B %d ms %lf", &B, &ms) == 2) {
                for (int j = 0; j < NFWD; j++)
                    if (fwd_b[j] == B) pf[j] = ms;
            } else if (sscanf(line, "torch train B %d ms %lf", &B, &ms) == 2 && B == TRAIN_B)
                ptr = ms;
        }
        if (p) pclose(p);
        if (ptr <= 0) fprintf(stderr, "bench-gen: PyTorch side failed (make bench-gen installs python3-torch)\n");
    }

    /* ---- report ---- */
    const parm_tf_config tc = {.L = cfg.L, .C = C, .NH = cfg.NH, .F = cfg.F};
#define GEN_FLOPS(B) (parm_tf_forward_flops(&tc, (B), T) + 2.0 * (B) * PARM_GEN_POS * C * PARM_GEN_SLOTS * K)
    char row[64];
    printf("%-44s %10s %10s %9s %10s\n", "", "C ms", "torch ms", "speedup", "C GFLOPS");
    double fmin = 0;
    for (int j = 0; j < NFWD; j++) {
        double r = pf[j] > 0 ? pf[j] / fwd_ms[j] : 0;
        if (j == 0 || r < fmin) fmin = r;
        snprintf(row, sizeof row, "sampler forward, B=%d (%d path%s x CFG)", fwd_b[j], fwd_b[j] / 2,
                 fwd_b[j] > 2 ? "s" : "");
        print_row(row, fwd_ms[j], pf[j], GEN_FLOPS(fwd_b[j]) / fwd_ms[j] * 1e-6);
    }
    double rtr = ptr > 0 ? ptr / train_ms : 0;
    snprintf(row, sizeof row, "train step, B=%d (fwd+CE+bwd+clip+AdamW)", TRAIN_B);
    print_row(row, train_ms, ptr, 3 * GEN_FLOPS(TRAIN_B) / train_ms * 1e-6);
    double tok_s = TRAIN_B * (double)T / (train_ms * 1e-3), smp_s = TRAIN_B / (train_ms * 1e-3);
    printf("training, batch %d x T=%d: C %.0f tokens/s %.1f samples/s", TRAIN_B, T, tok_s, smp_s);
    if (ptr > 0) printf("; torch %.0f tokens/s %.1f samples/s", TRAIN_B * (double)T / (ptr * 1e-3), TRAIN_B / (ptr * 1e-3));
    printf("\n");
    double img_s = e2e_s > 0 ? PATHS / e2e_s : 0;
    if (e2e_s > 0)
        printf("parm_sample, %d paths, %d steps, CFG %g (C): %.2f images/s, %.1f ms per call (%ld path-forwards in "
               "%d batched forwards at B=%d, ~%.0f%% of the time)\n",
               PATHS, STEPS, CFG, img_s, e2e_s * 1e3, e2e_fwd, STEPS, fwd_b[1],
               100.0 * STEPS * fwd_ms[1] * 1e-3 / e2e_s); /* fwd_b[1] = 2·PATHS */
    for (int be = 1; be < nbe; be++) { /* the other backends' C rows */
        const char *bn = parm_gemm_backend_name(bes[be]);
        for (int j = 0; j < NFWD; j++) {
            snprintf(row, sizeof row, "sampler forward, B=%d [%s]", fwd_b[j], bn);
            print_row(row, fwd_all[be][j], pf[j], GEN_FLOPS(fwd_b[j]) / fwd_all[be][j] * 1e-6);
        }
        snprintf(row, sizeof row, "train step, B=%d [%s]", TRAIN_B, bn);
        print_row(row, train_all[be], ptr, 3 * GEN_FLOPS(TRAIN_B) / train_all[be] * 1e-6);
        if (e2e_all[be] > 0) printf("parm_sample [%s]: %.2f images/s\n", bn, PATHS / e2e_all[be]);
    }
    printf("gen_forward_speedup %.2f gen_train_speedup %.2f train_tokens_per_s %.0f sample_images_per_s %.2f\n", fmin,
           rtr, tok_s, img_s);
    double xinf = 0;
    for (int j = 0; j < NFWD; j++) {
        double x = fwd_all[0][j] / fwd_all[ai][j];
        if (j == 0 || x < xinf) xinf = x;
    }
    printf("backend_train_x %.2f backend_infer_x %.2f\n", train_all[0] / train_all[ai], xinf);
    free(text); free(img); free(tg); free(w); free(t);
    parm_gen_free(&g);
    return 0;
}
