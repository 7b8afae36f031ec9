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

int main(void) {
    const int B = 32, steps = 10, N = 256;
    parm_vq m;
    parm_vq_config cfg = parm_vq_default_config();
    if (parm_vq_init(&m, &cfg, 0)) { fprintf(stderr, "%s\n", parm_last_error()); return 1; }
    uint8_t *rgb = malloc((size_t)N * NPIX * 3);
    int *tok = malloc(sizeof(int) * N * PARM_VQ_TOKENS);
    parm_rng rng;
    parm_rng_seed(&rng, 0, PARM_STREAM_SCENE);
    for (int i = 0; i < N; i++) {
        parm_prompt p;
        parm_scene sc;
        parm_prompt_sample_train(&rng, &p);
        if (parm_scene_sample(&p, &rng, &sc)) return 1;
        parm_render(&sc, rgb + (size_t)i * NPIX * 3);
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
