/* bench_vq.c — `make bench-vq`: VQ tokenizer encode and decode images/s, and
 * training images/s against the same model in PyTorch (tools/bench_vq_torch.py)
 * on this machine, as a ratio. Prints numbers only; never fails on speed. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm.h"
#include "parm/vq.h"

#define NPIX (PARM_IMG * PARM_IMG)

/* Patch statistics behind the ×4 choice: over n ground-truth scenes, how many
 * distinct P×P palette-class patches occur, and what fraction of all patches
 * the K most frequent cover (the best any K-code patch-local tokenizer can do
 * losslessly). Patches are hashed (64-bit FNV-1a of the class bytes). */
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
static int cmp_long_desc(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}
static void patch_stats(const uint8_t *rgb, int n, int P) {
    int per = (PARM_IMG / P) * (PARM_IMG / P);
    long total = (long)n * per;
    uint64_t *h = malloc(sizeof(uint64_t) * total);
    long *counts = malloc(sizeof(long) * total);
    long k = 0;
    for (int i = 0; i < n; i++)
        for (int py = 0; py < PARM_IMG; py += P)
            for (int px = 0; px < PARM_IMG; px += P) {
                uint64_t x = 1469598103934665603ull;
                for (int y = py; y < py + P; y++)
                    for (int xx = px; xx < px + P; xx++) {
                        x ^= (uint64_t)parm_pixel_class(rgb + ((size_t)i * NPIX + y * PARM_IMG + xx) * 3);
                        x *= 1099511628211ull;
                    }
                h[k++] = x;
            }
    qsort(h, total, sizeof *h, cmp_u64);
    long nd = 0;
    for (long i = 0; i < total; i++) {
        if (i == 0 || h[i] != h[i - 1]) counts[nd++] = 0;
        counts[nd - 1]++;
    }
    qsort(counts, nd, sizeof *counts, cmp_long_desc);
    printf("patches %dx%d over %d scenes: %ld distinct; coverage by the K most frequent:", P, P, n, nd);
    for (long K = 256; K <= 8192; K *= 2) {
        long c = 0;
        for (long i = 0; i < K && i < nd; i++) c += counts[i];
        printf(" K=%ld %.4f", K, (double)c / total);
    }
    printf("\n");
    free(h);
    free(counts);
}

int main(void) {
    const int B = 32, steps = 10, N = 256;
    parm_vq m;
    parm_vq_config cfg = parm_vq_default_config();
    if (parm_vq_init(&m, &cfg, 0)) { fprintf(stderr, "%s\n", parm_last_error()); return 1; }
    uint8_t *rgb = malloc((size_t)N * NPIX * 3);
    int *tok = malloc(sizeof(int) * N * PARM_VQ_TOKENS);
    parm_rng rng;
    parm_rng_seed(&rng, 0, PARM_STREAM_SCENE);
    if (parm_render_train_scenes(&rng, N, rgb, NULL)) return 1;
    {
        enum { NS = 3000 };
        uint8_t *many = malloc((size_t)NS * NPIX * 3);
        parm_rng r2;
        parm_rng_seed(&r2, 1, PARM_STREAM_SCENE);
        if (parm_render_train_scenes(&r2, NS, many, NULL)) return 1;
        patch_stats(many, NS, 4);
        patch_stats(many, NS, 8);
        free(many);
    }
    int threads = omp_get_max_threads();
    printf("VQ tokenizer: width %d dim %d codes %d, %d threads\n", cfg.width, cfg.dim, cfg.ncodes, threads);
    parm_adamw opt = parm_adamw_default();
    double t0 = 0;
    for (int s = 0; s < steps + 2; s++) {
        if (s == 2) t0 = parm_now();
        parm_slab_zero_grad(&m.p);
        parm_vq_forward_backward(&m, rgb, B);
        parm_clip_grad_norm(&m.p, 1.0f);
        parm_adamw_step(&m.p, &opt, 1e-3f, s + 1);
    }
    double c_train = steps * B / (parm_now() - t0);
    t0 = parm_now();
    for (int i = 0; i < N; i += 64) parm_vq_encode(&m, rgb + (size_t)i * NPIX * 3, 64, tok + i * PARM_VQ_TOKENS);
    double enc = N / (parm_now() - t0);
    t0 = parm_now();
    for (int i = 0; i < N; i += 64) parm_vq_decode(&m, tok + i * PARM_VQ_TOKENS, 64, rgb + (size_t)i * NPIX * 3, NULL);
    double dec = N / (parm_now() - t0);
    printf("encode      %8.1f images/s (batch 64)\n", enc);
    printf("decode      %8.1f images/s (batch 64)\n", dec);
    printf("train C     %8.1f images/s (batch %d, fwd+bwd+clip+AdamW)\n", c_train, B);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tools/bench_vq_torch.py --threads %d --batch %d --steps %d", threads, B,
             steps);
    FILE *p = popen(cmd, "r");
    double torch_train = 0;
    char line[256];
    while (p && fgets(line, sizeof line, p)) sscanf(line, "torch_train_img_s %lf", &torch_train);
    if (p) pclose(p);
    if (torch_train > 0) {
        printf("train torch %8.1f images/s\n", torch_train);
        printf("vq_train_speedup %.2f\n", c_train / torch_train);
    } else {
        printf("train torch: peer did not run (make bench-vq installs python3-torch)\n");
    }
    free(rgb); free(tok);
    parm_vq_free(&m);
    return 0;
}
