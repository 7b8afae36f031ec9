/* cmd_bench.c — `parm bench`: generate the benchmark with a named method,
 * write it in GenEval layout and grade it (the same grading and summary code
 * as `parm grade`). Methods are rows of a callback table keyed by name:
 * prompt i, image j, seed (base seed + j) → one 64×64 RGB image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/gen.h"
#include "parm/vq.h"

/* A generation method: a row of this table. open()/close() (optional) make
 * and free its context (models, buffers). Either generate() makes image j of
 * prompt i from `seed`, or generate_prompt() makes all n images of prompt i
 * at once (a batch; seeds[j] for image j) into rgb[j * 64*64*3]. With
 * threadsafe set, the harness calls them from several OpenMP threads. */
typedef struct {
    const char *name, *help;
    int threadsafe;
    int (*open)(void **ctx);
    int (*generate)(void *ctx, const parm_prompt *p, int prompt_index, int image_index, uint64_t seed, uint8_t *rgb);
    int (*generate_prompt)(void *ctx, const parm_prompt *p, int prompt_index, int n, const uint64_t *seeds, uint8_t *rgb);
    void (*close)(void *ctx);
} bench_method;

/* gt: the ground-truth renderer (upper bound of every method; grades 1.000) */
static int gt_generate(void *ctx, const parm_prompt *p, int pi, int j, uint64_t seed, uint8_t *rgb) {
    (void)ctx; (void)pi; (void)j;
    parm_scene sc;
    if (parm_scene_for_seed(p, seed, &sc)) return -1;
    parm_render(&sc, rgb);
    return 0;
}

/* vq-recon: ground-truth render → VQ encode → decode (the tokenizer's ceiling
 * for every generator built on it); weights/vq.safetensors. */
static int vq_open(void **ctx) {
    parm_vq *m = parm_malloc(sizeof *m);
    if (!m) return -1;
    if (parm_vq_load(m, "weights/vq.safetensors")) { free(m); return -1; }
    *ctx = m;
    return 0;
}
static void vq_close(void *ctx) {
    if (ctx) parm_vq_free(ctx);
    free(ctx);
}
static int vq_generate_prompt(void *ctx, const parm_prompt *p, int pi, int n, const uint64_t *seeds, uint8_t *rgb) {
    (void)pi;
    const size_t SZ = PARM_IMG * PARM_IMG * 3;
    int *tok = parm_malloc(sizeof(int) * PARM_VQ_TOKENS * n), rc = !tok;
    for (int j = 0; j < n && !rc; j++) {
        parm_scene sc;
        rc = parm_scene_for_seed(p, seeds[j], &sc);
        if (!rc) parm_render(&sc, rgb + SZ * j);
    }
    if (!rc) rc = parm_vq_encode(ctx, rgb, n, tok) || parm_vq_decode(ctx, tok, n, rgb, NULL);
    free(tok);
    return rc ? -1 : 0;
}

/* baseline: the generator with default MaskGIT decoding; the prompt's images
 * are its N paths, batched (image j = path with seed S+j). */
typedef struct {
    parm_gen g;
    parm_vq vq;
} gen_ctx;
static int gen_open(void **ctx) {
    gen_ctx *c = parm_calloc(1, sizeof *c);
    if (!c) return -1;
    if (parm_gen_load(&c->g, "weights/gen.safetensors")) { free(c); return -1; }
    if (parm_vq_load(&c->vq, "weights/vq.safetensors")) { parm_gen_free(&c->g); free(c); return -1; }
    *ctx = c;
    return 0;
}
static void gen_close(void *ctx) {
    gen_ctx *c = ctx;
    if (!c) return;
    parm_gen_free(&c->g);
    parm_vq_free(&c->vq);
    free(c);
}
static int baseline_generate_prompt(void *ctx, const parm_prompt *p, int pi, int n, const uint64_t *seeds,
                                    uint8_t *rgb) {
    (void)pi;
    gen_ctx *c = ctx;
    parm_sample_opts so = parm_sample_defaults();
    return parm_sample(&c->g, &c->vq, p, n, seeds, &so, rgb, NULL);
}

static const bench_method methods[] = {
    {"gt", "ground-truth renderer: image j = parm render --prompt P --seed S+j (grades 1.000)", 1, NULL, gt_generate,
     NULL, NULL},
    {"vq-recon", "ground-truth render -> VQ tokens -> decoded image (weights/vq.safetensors)", 0, vq_open, NULL,
     vq_generate_prompt, vq_close},
    {"baseline", "the generator, MaskGIT decoding, 12 steps, CFG 2 (weights/gen.safetensors)", 0, gen_open, NULL,
     baseline_generate_prompt, gen_close},
};
static const int nmethods = sizeof methods / sizeof methods[0];

static void usage(FILE *f) {
    fprintf(f, "usage: parm bench --method NAME [--out DIR] [--metadata FILE] [--images-per-prompt N]\n"
               "                  [--seed S] [--json]\n\n"
               "Generate every benchmark prompt with a method, write DIR in GenEval layout\n"
               "(DIR/<00000>/metadata.jsonl, samples/<0000>.png), grade it like `parm grade`\n"
               "(DIR/results.jsonl) and print the summary.\n"
               "  --method NAME          generation method:\n");
    for (int i = 0; i < nmethods; i++) fprintf(f, "                           %-9s %s\n", methods[i].name, methods[i].help);
    fprintf(f, "  --out DIR              output folder (default out/bench-NAME)\n"
               "  --metadata FILE        prompts, GenEval metadata JSONL (default %s)\n"
               "  --images-per-prompt N  default 4; image j uses seed S+j\n"
               "  --seed S               base seed (default 0)\n"
               "  --json                 print the summary as one JSON object\n", PARM_BENCH_PATH);
}

int cmd_bench(int argc, char **argv) {
    const char *method = NULL, *out = NULL, *meta = PARM_BENCH_PATH;
    long per = 4, seed = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--method")) { if (!(v = cli_value(argc, argv, i++))) return 2; method = v; }
        else if (!strcmp(a, "--out") || !strcmp(a, "-o")) { if (!(v = cli_value(argc, argv, i++))) return 2; out = v; }
        else if (!strcmp(a, "--metadata")) { if (!(v = cli_value(argc, argv, i++))) return 2; meta = v; }
        else if (!strcmp(a, "--images-per-prompt")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--images-per-prompt", v, 1, 10000, &per)) return 2;
        } else if (!strcmp(a, "--seed")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--seed", v, 0, 0x7fffffffffffffffL, &seed)) return 2;
        } else return cli_unknown("bench", a);
    }
    const bench_method *m = NULL;
    if (method)
        for (int i = 0; i < nmethods; i++)
            if (!strcmp(methods[i].name, method)) m = &methods[i];
    if (!m) {
        if (method) fprintf(stderr, "parm bench: error: unknown --method '%s'; valid methods:", method);
        else fprintf(stderr, "parm bench: error: --method NAME is required; valid methods:");
        for (int i = 0; i < nmethods; i++) fprintf(stderr, " %s", methods[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    char default_out[256];
    if (!out) {
        snprintf(default_out, sizeof default_out, "out/bench-%s", m->name);
        out = default_out;
    }
    parm_prompt *ps;
    int np;
    if (parm_prompts_load(meta, &ps, &np)) return cli_fail();
    void *ctx = NULL;
    if (m->open && m->open(&ctx)) { free(ps); return cli_fail(); }
    long nimg = (long)np * per;
    parm_grade_item *items = parm_malloc(sizeof *items * nimg);
    if (!items || parm_mkdirs(out)) { free(ps); free(items); if (m->close) m->close(ctx); return cli_fail(); }
    int failed = 0;
    char err[1024] = "";
    for (int i = 0; i < np && !failed; i++)
        if (parm_geneval_write_prompt(out, i, &ps[i])) { failed = 1; snprintf(err, sizeof err, "%s", parm_last_error()); }
    parm_progress prog;
    parm_progress_start(&prog, "bench", "img", nimg);
    long done = 0;
    const size_t SZ = PARM_IMG * PARM_IMG * 3;
    /* one work unit = one prompt (batch methods) or one image */
    long units = m->generate_prompt ? np : nimg, per_unit = m->generate_prompt ? per : 1;
#pragma omp parallel for schedule(dynamic, 1) if (m->threadsafe)
    for (long u = 0; u < units; u++) {
        if (failed) continue;
        uint8_t *rgb = parm_malloc(SZ * per_unit);
        uint64_t *seeds = parm_malloc(sizeof *seeds * per_unit);
        long k0 = u * per_unit;
        int i = (int)(k0 / per), rc = !rgb || !seeds;
        for (long q = 0; q < per_unit && !rc; q++) seeds[q] = (uint64_t)seed + (uint64_t)((k0 + q) % per);
        if (!rc && m->generate_prompt) rc = m->generate_prompt(ctx, &ps[i], i, (int)per, seeds, rgb);
        if (!rc && !m->generate_prompt) rc = m->generate(ctx, &ps[i], i, (int)(k0 % per), seeds[0], rgb);
        for (long q = 0; q < per_unit && !rc; q++) {
            parm_grade_item *it = &items[k0 + q];
            it->prompt = ps[i];
            rc = parm_geneval_sample_path(it->path, sizeof it->path, out, i, (int)((k0 + q) % per)) ||
                 parm_png_write(it->path, rgb + SZ * q, PARM_IMG, PARM_IMG);
        }
        free(rgb);
        free(seeds);
#pragma omp critical(bench_progress)
        {
            if (rc && !failed) { failed = 1; snprintf(err, sizeof err, "%s", parm_last_error()); }
            done += per_unit;
            parm_progress_update(&prog, done, NULL);
        }
    }
    if (m->close) m->close(ctx);
    free(ps);
    if (failed) { free(items); fprintf(stderr, "\nparm bench: error: %s\n", err); return 1; }
    parm_progress_end(&prog, done, NULL);
    char results[1024];
    snprintf(results, sizeof results, "%s/results.jsonl", out);
    parm_score sc;
    int rc = parm_grade_items(items, (int)nimg, results, &sc);
    free(items);
    parm_grade_item *all;
    int nall;
    if (!rc && !parm_geneval_scan(out, &all, &nall)) {
        if (nall != nimg)
            fprintf(stderr, "parm bench: note: %s holds %d images but this run wrote %ld; the others are from an earlier "
                            "run (graded here: only this run's; `parm grade %s` would grade all)\n", out, nall, nimg, out);
        free(all);
    }
    if (rc) return cli_fail();
    if (!json) printf("method %s, %d prompts x %ld images, graded into %s\n", m->name, np, per, results);
    return cli_print_score(&sc, json);
}
