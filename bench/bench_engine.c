/* bench_engine.c — `make bench-engine`: the training engine against PyTorch
 * 1.13 CPU on the same model, side by side in one run, and against this run's
 * cblas_sgemm peak.
 *
 * Model: pre-norm transformer stack, L=4, C=256, 8 heads, MLP 1024, T=80,
 * omni-attention mask (causal text prefix of T/4, image tokens see all; the
 * last 3 positions of odd batch rows are padding), no LM head; training step =
 * zero-grad, forward, backward of a fixed output gradient, AdamW. The PyTorch
 * twin is tools/bench_engine_torch.py, run with the same thread count.
 * Every C row is measured once per matmul backend (OpenBLAS — today's default
 * path —, oneDNN f32, and oneDNN bf16 where the CPU has it), in this run,
 * after a GFLOPS table of the engine's matmul shapes per backend (oneDNN also
 * with B pre-reordered where B is a weight matrix: "+pkW", parm_sgemm_w; the
 * engine's own rows use it for every linear layer).
 * Prints numbers only; never fails on speed. Last lines:
 *   speedup_train X.XX speedup_infer X.XX sgemm_fraction 0.XX   (OpenBLAS path vs PyTorch)
 *   backend_train_x X.XX backend_infer_x X.XX                   (auto backend vs OpenBLAS) */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "parm.h"
#include "parm/transformer.h"


void openblas_set_num_threads(int num_threads);

/* Best-of-5 GFLOPS of a 1024³ sgemm in this process: cblas_sgemm with
 * OpenBLAS's own `threads` threads, and parm_sgemm (the engine's split over
 * OpenMP); the higher is the peak the engine is measured against. */
static double sgemm_gflops(int threads, double *blas_own, double *engine) {
    const int n = 1024;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) a[i] = b[i] = (float)(i % 7) * 0.1f;
    for (int mode = 0; mode < 2; mode++) {
        double best = 1e30;
        if (mode == 0) openblas_set_num_threads(threads);
        for (int r = 0; r < 6; r++) {
            double t = parm_now();
            if (mode == 0) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            else parm_sgemm(0, 1, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            t = parm_now() - t;
            if (r > 0 && t < best) best = t;
        }
        if (mode == 0) openblas_set_num_threads(1); /* back to the engine's policy (ops_blas.c) */
        *(mode == 0 ? blas_own : engine) = 2.0 * n * n * n / best * 1e-9;
    }
    free(a); free(b); free(c);
    return *blas_own > *engine ? *blas_own : *engine;
}

/* best-of-reps GFLOPS of one parm_sgemm shape on the current backend */
/* weights: B through parm_sgemm_w (a weight matrix: on oneDNN reordered once, in the untimed first call) */
static double shape_gflops(int ta, int tb, int M, int N, int K, int reps, int weights) {
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N), *c = calloc((size_t)M * N, 4);
    for (long i = 0; i < (long)M * K; i++) a[i] = (float)(i % 13) * 0.01f;
    for (long i = 0; i < (long)K * N; i++) b[i] = (float)(i % 7) * 0.01f;
    double best = 1e30;
    for (int r = 0; r < reps + 1; r++) {
        double t = parm_now();
        if (weights) parm_sgemm_w(ta, tb, M, N, K, 1.0f, a, ta ? M : K, b, tb ? K : N, 1.0f, c, N, NULL);
        else parm_sgemm(ta, tb, M, N, K, 1.0f, a, ta ? M : K, b, tb ? K : N, 1.0f, c, N);
        t = parm_now() - t;
        if (r > 0 && t < best) best = t;
    }
    free(a); free(b); free(c);
    return 2.0 * M * N * K / best * 1e-9;
}

typedef struct { double f16, f1, tr; } engine_times;

static void omni_mask(uint8_t *m, int B, int T) {
    int nt = T / 4;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int s = 0; s < T; s++) {
                int ok = t < nt ? (s < nt && s <= t) : 1;
                if (b % 2 == 1 && (t >= T - 3 || s >= T - 3)) ok = 0;
                m[((size_t)b * T + t) * T + s] = (uint8_t)ok;
            }
}

int main(int argc, char **argv) {
    const parm_tf_config cfg = {.L = 4, .C = 256, .NH = 8, .F = 1024};
    /* usage: bench_engine [REPS [notorch]]  (notorch: C side only, for profiling) */
    const int T = 80, B = 16, reps = argc > 1 && atoi(argv[1]) > 0 ? atoi(argv[1]) : 10;
    const int run_torch = !(argc > 2 && !strcmp(argv[2], "notorch"));
    const int threads = omp_get_max_threads();
    parm_slab s = {0};
    parm_transformer tf;
    parm_rng rng;
    parm_rng_seed(&rng, 0, PARM_STREAM_INIT);
    if (parm_tf_declare(&tf, &s, "", &cfg) || parm_slab_alloc(&s) || parm_tf_alloc(&tf, B, T)) {
        fprintf(stderr, "bench-engine: %s\n", parm_last_error());
        return 1;
    }
    parm_tf_init(&tf, &rng);
    size_t NC = (size_t)B * T * cfg.C;
    float *x = malloc(NC * sizeof(float)), *dy = malloc(NC * sizeof(float));
    for (size_t i = 0; i < NC; i++) x[i] = parm_rng_normal(&rng), dy[i] = 1e-3f * parm_rng_normal(&rng);
    uint8_t *mask = malloc((size_t)B * T * T), *mask1 = malloc((size_t)T * T);
    omni_mask(mask, B, T);
    omni_mask(mask1, 1, T);
    parm_adamw opt = parm_adamw_default();
    opt.lr = 1e-4f;

    printf("bench-engine: pre-norm transformer L=%d C=%d heads=%d MLP=%d T=%d batch=%d, %zu params, %d threads\n",
           cfg.L, cfg.C, cfg.NH, cfg.F, T, B, s.numel, threads);
    parm_init();
    parm_gemm_backend bes[3] = {PARM_GEMM_OPENBLAS, PARM_GEMM_ONEDNN_F32, PARM_GEMM_ONEDNN_BF16};
    int nbe = 0;
    for (int i = 0; i < 3; i++)
        if (parm_gemm_available(bes[i])) bes[nbe++] = bes[i];
    parm_gemm_backend autob = parm_gemm_auto();
    printf("matmul backends: openblas (kernels %s)%s%s; auto = %s\n", parm_blas_core(),
           nbe > 1 ? ", onednn-f32" : "", nbe > 2 ? ", onednn-bf16" : " (no bf16 on this CPU)",
           parm_gemm_backend_name(autob));
    /* w: B is a weight matrix (the engine passes it through parm_sgemm_w) */
    static const struct { const char *name; int ta, tb, M, N, K, w; } shapes[] = {
        {"QKV fwd (B=32 T=80)", 0, 1, 2560, 768, 256, 1}, {"MLP down fwd", 0, 1, 2560, 256, 1024, 1},
        {"batch 1 fwd", 0, 1, 80, 1024, 256, 1},          {"dX = dY.W", 0, 0, 2560, 256, 1024, 1},
        {"dW = dYT.X", 1, 0, 256, 1024, 2560, 0},         {"attn T=80 hs=32 (openblas)", 0, 1, 80, 80, 32, 0},
        {"1024^3", 0, 1, 1024, 1024, 1024, 1}};
    printf("%-26s %16s", "matmul GFLOPS", "M x N x K");
    for (int b = 0; b < nbe; b++) printf(" %12s", parm_gemm_backend_name(bes[b]));
    for (int b = 1; b < nbe; b++) printf(" %9s+pkW", parm_gemm_backend_name(bes[b]) + 7);
    printf("\n");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char dims[32];
        snprintf(dims, sizeof dims, "%dx%dx%d", shapes[i].M, shapes[i].N, shapes[i].K);
        printf("%-26s %16s", shapes[i].name, dims);
        for (int b = 0; b < nbe; b++) {
            parm_gemm_set_backend(bes[b]);
            printf(" %12.1f", shape_gflops(shapes[i].ta, shapes[i].tb, shapes[i].M, shapes[i].N, shapes[i].K,
                                           shapes[i].M < 128 ? 40 : 8, 0));
        }
        for (int b = 1; b < nbe; b++) { /* oneDNN with B pre-reordered (weights only) */
            parm_gemm_set_backend(bes[b]);
            if (shapes[i].w)
                printf(" %13.1f", shape_gflops(shapes[i].ta, shapes[i].tb, shapes[i].M, shapes[i].N, shapes[i].K,
                                               shapes[i].M < 128 ? 40 : 8, 1));
            else printf(" %13s", "-");
        }
        printf("\n");
    }
    parm_gemm_set_backend(PARM_GEMM_OPENBLAS);
    double sg_blas, sg_engine, sg = sgemm_gflops(threads, &sg_blas, &sg_engine);
    double *t = malloc(sizeof(double) * 4 * (reps + 2));
    long step = 0;
    engine_times et[3];
    for (int be = 0; be < nbe; be++) {
        parm_gemm_set_backend(bes[be]);
        /* warm up every path */
        for (int i = 0; i < 2; i++) {
            parm_tf_forward(&tf, x, mask, B, T, 0);
            parm_tf_forward(&tf, x, mask1, 1, T, 0);
            parm_slab_zero_grad(&s);
            parm_tf_forward(&tf, x, mask, B, T, 1);
            parm_tf_backward(&tf, NULL, dy);
            parm_adamw_step(&s, &opt, opt.lr, ++step);
        }
        for (int i = 0; i < reps; i++) {
            double t0 = parm_now();
            parm_tf_forward(&tf, x, mask, B, T, 0);
            t[i] = parm_now() - t0;
        }
        double f16 = median(t, reps) * 1e3;
        for (int i = 0; i < 4 * reps; i++) {
            double t0 = parm_now();
            parm_tf_forward(&tf, x, mask1, 1, T, 0);
            t[i] = parm_now() - t0;
        }
        double f1 = median(t, 4 * reps) * 1e3;
        for (int i = 0; i < reps; i++) {
            double t0 = parm_now();
            parm_slab_zero_grad(&s);
            if (!parm_tf_forward(&tf, x, mask, B, T, 1) || parm_tf_backward(&tf, NULL, dy) ||
                parm_adamw_step(&s, &opt, opt.lr, ++step)) {
                fprintf(stderr, "bench-engine: %s\n", parm_last_error());
                return 1;
            }
            t[i] = parm_now() - t0;
        }
        double tr = median(t, reps) * 1e3;
        et[be] = (engine_times){f16, f1, tr};
    }
    parm_gemm_set_backend(PARM_GEMM_OPENBLAS);
    double f16 = et[0].f16, f1 = et[0].f1, tr = et[0].tr;

    char cmd[256], line[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tools/bench_engine_torch.py %d %d %d %d %d %d %d %d", cfg.L, cfg.C,
             cfg.NH, cfg.F, T, B, threads, reps);
    double pf16 = 0, pf1 = 0, ptr = 0;
    FILE *p = run_torch ? popen(cmd, "r") : NULL;
    while (p && fgets(line, sizeof line, p))
        sscanf(line, "torch fwd_b16_ms %lf fwd_b1_ms %lf train_ms %lf", &pf16, &pf1, &ptr);
    if (p) pclose(p);
    if (ptr <= 0 && run_torch) fprintf(stderr, "bench-engine: PyTorch side failed (is python3-torch installed?)\n");

    double ff16 = parm_tf_forward_flops(&cfg, B, T), ff1 = parm_tf_forward_flops(&cfg, 1, T);
    printf("%-34s %10s %10s %9s %12s\n", "", "C ms", "torch ms", "speedup", "C GFLOPS");
    int ai = 0;
    for (int be = 0; be < nbe; be++) {
        const char *bn = parm_gemm_backend_name(bes[be]);
        char r1[64], r2[64], r3[64];
        snprintf(r1, sizeof r1, "forward, batch 16 [%s]", bn);
        snprintf(r2, sizeof r2, "forward, batch 1 [%s]", bn);
        snprintf(r3, sizeof r3, "train step, b 16 [%s]", bn);
        const engine_times *e = &et[be];
        printf("%-34s %10.2f %10.2f %8.2fx %12.1f\n", r1, e->f16, pf16, pf16 / e->f16, ff16 / e->f16 * 1e-6);
        printf("%-34s %10.2f %10.2f %8.2fx %12.1f\n", r2, e->f1, pf1, pf1 / e->f1, ff1 / e->f1 * 1e-6);
        printf("%-34s %10.2f %10.2f %8.2fx %12.1f\n", r3, e->tr, ptr, ptr / e->tr, 3 * ff16 / e->tr * 1e-6);
        if (bes[be] == autob) ai = be;
    }
    printf("sgemm 1024^3 (this run, %d threads): cblas_sgemm %.1f GFLOPS, parm_sgemm %.1f GFLOPS; peak = %.1f\n",
           threads, sg_blas, sg_engine, sg);
    double si = pf16 / f16 < pf1 / f1 ? pf16 / f16 : pf1 / f1;
    printf("speedup_train %.2f speedup_infer %.2f sgemm_fraction %.2f\n", ptr / tr, si, 3 * ff16 / tr * 1e-6 / sg);
    double xi16 = f16 / et[ai].f16, xi1 = f1 / et[ai].f1;
    printf("backend_train_x %.2f backend_infer_x %.2f\n", tr / et[ai].tr, xi16 < xi1 ? xi16 : xi1);
    free(x); free(dy); free(mask); free(mask1); free(t);
    parm_tf_free(&tf);
    parm_slab_free(&s);
    return 0;
}
