/* bench_dpo.c — `make bench-dpo`: the DPO training step (parm/dpo.h) against
 * a plain generator training step, interleaved in one run on the shipped
 * generator (weights/gen.safetensors; the default config with random weights
 * if it is missing):
 *   gen step   batch 2B sequences: zero grad, forward (train), masked-token
 *              CE backward, clip 1, AdamW (gen_train.c's step minus scenes/VQ)
 *   dpo step   B pairs = 2B sequences: zero grad, reference forward (no grad)
 *              + sequence log-likelihoods, policy forward (train), DPO loss
 *              backward, clip 1, AdamW (dpo_train.c's step minus the batch copy)
 * Same masks/tokens for both (random tokens, cosine-ratio masks). Prints the
 * median ms of REPS calls of each, pairs/s and the ratio dpo/gen. REPS: argv[1],
 * else $PARM_BENCH_REPS, else 10; B: argv[2], else 8. Numbers only; never fails
 * on speed. Last line: dpo_step_ms X gen_step_ms Y ratio Z pairs_per_s W */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "parm.h"
#include "parm/dpo.h"

#define NTOK PARM_VQ_TOKENS

static void die(const char *what) {
    fprintf(stderr, "bench-dpo: %s: %s\n", what, parm_last_error());
    exit(1);
}

static int load(parm_gen *g) {
    if (parm_gen_load(g, "weights/gen.safetensors") == 0) return 0;
    parm_gen_config c = parm_gen_default_config();
    return parm_gen_init(g, &c, 1);
}

int main(int argc, char **argv) {
    const char *env = getenv("PARM_BENCH_REPS");
    int reps = argc > 1 ? atoi(argv[1]) : env ? atoi(env) : 10, B = argc > 2 ? atoi(argv[2]) : 8;
    if (reps < 1) reps = 10;
    if (B < 1) B = 8;
    parm_gen pol, ref;
    if (load(&pol) || load(&ref)) die("generator");
    const int Tt = pol.cfg.text_len, K = pol.cfg.ncodes, N = 2 * B;
    if (parm_gen_alloc(&pol, N) || parm_gen_alloc(&ref, N)) die("alloc");
    int *text = malloc(sizeof(int) * N * Tt), *in = malloc(sizeof(int) * N * NTOK), *tg = malloc(sizeof(int) * N * NTOK);
    float *rl = malloc(sizeof(float) * N);
    parm_rng rng;
    parm_rng_seed(&rng, 1, PARM_STREAM_TRAIN);
    for (int b = 0; b < N; b++) {
        if (parm_text_encode("a photo of a red star left of a blue circle", text + b * Tt, Tt) < 0) die("text");
        double r = cos(1.5707963267948966 * parm_rng_uniform(&rng));
        for (int i = 0; i < NTOK; i++) {
            int t = parm_rng_int(&rng, 0, K - 1), m = parm_rng_uniform(&rng) < r;
            in[b * NTOK + i] = m ? K : t;
            tg[b * NTOK + i] = m ? t : -1;
        }
    }
    parm_adamw opt = parm_adamw_default();
    double tg_ms[100], td_ms[100];
    if (reps > 100) reps = 100;
    long step = 0;
    for (int r = -1; r < reps; r++) { /* r = -1: warm-up */
        double t0 = parm_now();
        parm_slab_zero_grad(&pol.p);
        if (parm_gen_forward(&pol, text, in, N, 1)) die("gen forward");
        if (isnan(parm_gen_loss_backward(&pol, tg, NULL, N))) die("gen backward");
        parm_clip_grad_norm(&pol.p, 1.0f);
        if (parm_adamw_step(&pol.p, &opt, 1e-6f, ++step)) die("adamw");
        double t1 = parm_now();
        parm_slab_zero_grad(&pol.p);
        if (parm_gen_forward(&ref, text, in, N, 0) || parm_gen_seq_logp(&ref, tg, N, rl)) die("ref forward");
        if (parm_gen_forward(&pol, text, in, N, 1)) die("policy forward");
        if (isnan(parm_gen_dpo_loss_backward(&pol, tg, rl, B, 0.1f, 0.0f, NULL))) die("dpo backward");
        parm_clip_grad_norm(&pol.p, 1.0f);
        if (parm_adamw_step(&pol.p, &opt, 1e-6f, ++step)) die("adamw");
        double t2 = parm_now();
        if (r >= 0) { tg_ms[r] = 1e3 * (t1 - t0); td_ms[r] = 1e3 * (t2 - t1); }
    }
    double mg = median(tg_ms, reps), md = median(td_ms, reps);
    printf("generator L%d C%d, %d pairs = %d sequences per step, %d reps (median)\n", pol.cfg.L, pol.cfg.C, B, N, reps);
    printf("  gen step (CE, batch %d)    %10.1f ms\n", N, mg);
    printf("  dpo step (%d pairs)         %10.1f ms   %.2f pairs/s\n", B, md, B / (md / 1e3));
    printf("dpo_step_ms %.1f gen_step_ms %.1f ratio %.2f pairs_per_s %.2f\n", md, mg, md / mg, B / (md / 1e3));
    free(text); free(in); free(tg); free(rl);
    parm_gen_free(&pol);
    parm_gen_free(&ref);
    return 0;
}
