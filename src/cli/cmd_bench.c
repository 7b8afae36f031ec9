/* cmd_bench.c — `parm bench`: generate the benchmark with a named method,
 * write it in GenEval layout and grade it (the same grading and summary code
 * as `parm grade`), with the cost per image (generator forward passes, judge
 * calls, seconds). Methods are rows of a callback table keyed by name:
 * prompt i, image j, seed (base seed + j) → one 64×64 RGB image; the
 * test-time verification methods (parm/search.h) are one generic row each.
 * `--method all` (replay: every method × every n from one generation) lives
 * in bench_replay.c, its --plot scaling curve in cmd_plot.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"

/* what a method spent, summed over images */
typedef struct {
    long forwards, judge_calls;
} bench_cost;

/* A generation method: a row of this table. open()/close() (optional) make
 * and free its context (models, buffers) from the search options (method
 * index, paths, judge). Either generate() makes image j of prompt i from
 * `seed`, or generate_prompt() makes all n images of prompt i at once (a
 * batch; seeds[j] for image j) into rgb[j * 64*64*3] and adds its costs.
 * With threadsafe set, the harness calls them from several OpenMP threads. */
typedef struct {
    const char *name, *help;
    int threadsafe;
    int (*open)(void **ctx, const parm_search_opts *o);
    int (*generate)(void *ctx, const parm_prompt *p, int prompt_index, int image_index, uint64_t seed, uint8_t *rgb);
    int (*generate_prompt)(void *ctx, const parm_prompt *p, int prompt_index, int n, const uint64_t *seeds, uint8_t *rgb,
                           bench_cost *cost);
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
static int vq_open(void **ctx, const parm_search_opts *o) {
    (void)o;
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
static int vq_generate_prompt(void *ctx, const parm_prompt *p, int pi, int n, const uint64_t *seeds, uint8_t *rgb,
                              bench_cost *cost) {
    (void)pi;
    (void)cost;
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

/* the test-time verification methods (baseline, orm-zs, orm, prm, parm,
 * oracle): the generator and VQ, and the method's judge; all n images of a
 * prompt (and all their paths) run as one batch. baseline: image j = the
 * plain generator's image of seed S+j. */
typedef struct {
    parm_gen g;
    parm_vq vq;
    parm_searcher s;
    parm_search_result *res; /* [n] */
    int nres;
} search_ctx;
static void search_close(void *ctx) {
    search_ctx *c = ctx;
    if (!c) return;
    parm_search_close(&c->s);
    parm_gen_free(&c->g);
    parm_vq_free(&c->vq);
    free(c->res);
    free(c);
}
static int search_open(void **ctx, const parm_search_opts *o) {
    search_ctx *c = parm_calloc(1, sizeof *c);
    if (!c) return -1;
    if (parm_gen_load(&c->g, "weights/gen.safetensors")) { free(c); return -1; }
    if (parm_vq_load(&c->vq, "weights/vq.safetensors")) { parm_gen_free(&c->g); free(c); return -1; }
    if (parm_search_open(&c->s, &c->g, &c->vq, o)) { search_close(c); return -1; }
    *ctx = c;
    return 0;
}
static int search_generate_prompt(void *ctx, const parm_prompt *p, int pi, int n, const uint64_t *seeds, uint8_t *rgb,
                                  bench_cost *cost) {
    (void)pi;
    search_ctx *c = ctx;
    if (n > c->nres) {
        free(c->res);
        if (!(c->res = parm_malloc(sizeof *c->res * n))) { c->nres = 0; return -1; }
        c->nres = n;
    }
    if (parm_search_run(&c->s, p, n, seeds, rgb, c->res, NULL)) return -1;
    for (int j = 0; j < n; j++) {
        cost->forwards += c->res[j].gen_forwards;
        cost->judge_calls += c->res[j].judge_calls;
    }
    return 0;
}

static const bench_method fixed_methods[] = {
    {"gt", "ground-truth renderer: image j = parm render --prompt P --seed S+j (grades 1.000)", 1, NULL, gt_generate,
     NULL, NULL},
    {"vq-recon", "ground-truth render -> VQ tokens -> decoded image (weights/vq.safetensors)", 0, vq_open, NULL,
     vq_generate_prompt, vq_close},
};
enum { NFIXED = sizeof fixed_methods / sizeof fixed_methods[0] };
/* row i: the fixed methods, then one per search method (help from its table) */
static bench_method method_row(int i) {
    if (i < NFIXED) return fixed_methods[i];
    const parm_search_method_info *mi = &parm_search_methods[i - NFIXED];
    bench_method m = {mi->name, mi->help, 0, search_open, NULL, search_generate_prompt, search_close};
    return m;
}
static const int nmethods = NFIXED + PARM_SEARCH_NMETHODS;

static void usage(FILE *f) {
    fprintf(f, "usage: parm bench --method NAME [-n N] [--out DIR] [--metadata FILE] [--images-per-prompt N]\n"
               "                  [--seed S] [--judge PATH] [--judge-dir DIR] [--prompts K] [--json]\n"
               "       parm bench --method all [-n N] [--curve 1,2,4,8,16] [--judge-dir DIR] [...]\n\n"
               "Generate every benchmark prompt with a method, write DIR in GenEval layout\n"
               "(DIR/<00000>/metadata.jsonl, samples/<0000>.png), grade it like `parm grade`\n"
               "(DIR/results.jsonl) and print the summary and the cost per image: generator\n"
               "forward passes (one per path and step), judge calls, seconds.\n"
               "  --method NAME          generation method:\n");
    for (int i = 0; i < nmethods; i++) {
        bench_method m = method_row(i);
        fprintf(f, "                           %-9s %s\n", m.name, m.help);
    }
    fprintf(f, "                           %-9s every search method (baseline ... oracle) for every n of --curve\n"
               "                                     from ONE generation of N paths per image (replay: identical\n"
               "                                     choices and counts to live runs; seconds estimated from unit\n"
               "                                     costs); methods whose judge weights are missing are skipped\n"
               "  -n N                   paths per image for the search methods (default 10; all: 16);\n"
               "                         path k of image j uses seed S+j+%d*k (path 0 = the baseline image)\n"
               "  --curve LIST           all: the n to evaluate, comma-separated, each <= N\n"
               "                         (default 1,2,4,... up to N, and N)\n"
               "  --plot FILE.png        all: also draw the scaling curve, overall score vs n per method\n"
               "                         (baseline dashed at n = 1, oracle as the upper bound); the same\n"
               "                         PNG as `parm plot --json` of this run's --json lines\n"
               "  --judge PATH           judge weights of a single method (default DIR/judge_<method>.safetensors)\n"
               "  --judge-dir DIR        folder of the judges' default weights (default weights)\n",
            "all", PARM_SEARCH_SEED_STRIDE);
    cli_parm_gate_usage(f, "  ");
    fprintf(f, "  --sweep LIST           all: extra PARM rows \"parm@K/P/C\", one per item\n"
               "                         KEEP[/POTENTIAL_THRESH[/CLARITY_THRESH]] (e.g. 0.2,0.3/0,0.3/0/0.7);\n"
               "                         for tuning the gate on train prompts (--metadata), never the benchmark\n"
               "  --steps T              decoding steps (default %d)\n"
               "  --out DIR              output folder (default out/bench-NAME; all: one folder per method\n"
               "                         under it, images at the largest n)\n"
               "  --metadata FILE        prompts, GenEval metadata JSONL (default %s)\n"
               "  --prompts K            only the first K prompts (quick checks; not the benchmark)\n"
               "  --every K              only every K-th prompt (a stratified subset: the file is in\n"
               "                         category blocks; not the full benchmark)\n"
               "  --images-per-prompt N  default 4; image j uses seed S+j\n"
               "  --seed S               base seed (default 0)\n"
               "  --json                 print the summary as one JSON object (all: one per line per method and n)\n",
            parm_sample_defaults().steps, PARM_BENCH_PATH);
}

/* "1,2,4" into curve[] (sorted, unique, each in [1, N]); 0 or -1 after a one-line error */
static int parse_curve(const char *s, int N, int *curve, int *n) {
    *n = 0;
    if (!s) {
        for (int v = 1; v < N; v *= 2) curve[(*n)++] = v;
        curve[(*n)++] = N;
        return 0;
    }
    const char *q = s;
    while (*q) {
        char *end;
        long v = strtol(q, &end, 10);
        if (end == q || (*end && *end != ',') || v < 1 || v > N || *n >= PARM_SEARCH_MAX_PATHS) {
            fprintf(stderr, "parm bench: error: --curve '%s' is not a comma-separated list of path counts in [1, %d] "
                            "(-n)\n", s, N);
            return -1;
        }
        int k = 0;
        while (k < *n && curve[k] < v) k++;
        if (k == *n || curve[k] != v) {
            memmove(curve + k + 1, curve + k, sizeof *curve * (*n - k));
            curve[k] = (int)v;
            (*n)++;
        }
        q = *end ? end + 1 : end;
    }
    return 0;
}

/* "0.2,0.3/0.1,0.3/0/0.7" into (keep, potential threshold, clarity
 * threshold) triples, at most BENCH_MAX_SWEEP; missing ones take the gate's g. 0, or -1
 * after a one-line error. */
static int parse_sweep(const char *s, const parm_search_opts *g, float *keep, float *pot, float *clar, int *n) {
    const char *q = s;
    for (*n = 0; *q; (*n)++) {
        double x[3] = {g->keep, g->potential_thresh, g->clarity_thresh};
        char *end = (char *)q;
        int bad = *n >= BENCH_MAX_SWEEP;
        for (int f = 0; f < 3 && !bad; f++) {
            const char *q2 = f ? end + 1 : q;
            x[f] = strtod(q2, &end);
            bad = end == q2 || x[f] < 0 || x[f] > 1;
            if (*end != '/') break;
        }
        if (bad || (*end && *end != ',')) {
            fprintf(stderr, "parm bench: error: --sweep '%s' is not a comma-separated list (at most %d) of "
                            "KEEP[/POTENTIAL_THRESH[/CLARITY_THRESH]], each in [0, 1]\n", s, BENCH_MAX_SWEEP);
            return -1;
        }
        keep[*n] = (float)x[0];
        pot[*n] = (float)x[1];
        clar[*n] = (float)x[2];
        q = *end ? end + 1 : end;
    }
    return 0;
}

int cmd_bench(int argc, char **argv) {
    const char *method = NULL, *out = NULL, *meta = PARM_BENCH_PATH, *curve_s = NULL, *plot = NULL, *judge = NULL,
               *judge_dir = NULL, *sweep_s = NULL;
    long per = 4, seed = 0, npaths = -1, steps = parm_sample_defaults().steps, limit = -1, every = 1;
    int json = 0;
    parm_search_opts gate = parm_search_defaults(PARM_SEARCH_PARM);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int k;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--clarity-thresh") || !strcmp(a, "--potential-thresh") || !strcmp(a, "--keep")) {
            if (!(v = cli_value(argc, argv, i++))) return 2;
            if ((k = cli_parm_gate_opt(a, v, &gate)) < 0) return 2;
        }
        else if (!strcmp(a, "--method")) { if (!(v = cli_value(argc, argv, i++))) return 2; method = v; }
        else if (!strcmp(a, "--out") || !strcmp(a, "-o")) { if (!(v = cli_value(argc, argv, i++))) return 2; out = v; }
        else if (!strcmp(a, "--metadata")) { if (!(v = cli_value(argc, argv, i++))) return 2; meta = v; }
        else if (!strcmp(a, "--curve")) { if (!(v = cli_value(argc, argv, i++))) return 2; curve_s = v; }
        else if (!strcmp(a, "--sweep")) { if (!(v = cli_value(argc, argv, i++))) return 2; sweep_s = v; }
        else if (!strcmp(a, "--plot")) { if (!(v = cli_value(argc, argv, i++))) return 2; plot = v; }
        else if (!strcmp(a, "--judge")) { if (!(v = cli_value(argc, argv, i++))) return 2; judge = v; }
        else if (!strcmp(a, "--judge-dir")) { if (!(v = cli_value(argc, argv, i++))) return 2; judge_dir = v; }
        else if (!strcmp(a, "--images-per-prompt")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--images-per-prompt", v, 1, 10000, &per)) return 2;
        } else if (!strcmp(a, "-n")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("-n", v, 1, PARM_SEARCH_MAX_PATHS, &npaths)) return 2;
        } else if (!strcmp(a, "--steps")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--steps", v, 1, 256, &steps)) return 2;
        } else if (!strcmp(a, "--prompts")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--prompts", v, 1, 1000000, &limit)) return 2;
        } else if (!strcmp(a, "--every")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--every", v, 1, 1000000, &every)) return 2;
        } else if (!strcmp(a, "--seed")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--seed", v, 0, 0x7fffffffffffffffL, &seed)) return 2;
        } else return cli_unknown("bench", a);
    }
    int all = method && !strcmp(method, "all");
    bench_method m = {0};
    int found = 0;
    for (int i = 0; i < nmethods && method && !all; i++)
        if (!strcmp(method_row(i).name, method)) { m = method_row(i); found = 1; }
    if (!found && !all) {
        if (method) fprintf(stderr, "parm bench: error: unknown --method '%s'; valid methods:", method);
        else fprintf(stderr, "parm bench: error: --method NAME is required; valid methods:");
        for (int i = 0; i < nmethods; i++) fprintf(stderr, " %s", method_row(i).name);
        fprintf(stderr, " all\n");
        return 2;
    }
    int search = found ? parm_search_method_find(m.name) : -1;
    parm_clear_error();
    if (curve_s && !all) {
        fprintf(stderr, "parm bench: error: --curve needs --method all\n");
        return 2;
    }
    float sweep_keep[BENCH_MAX_SWEEP], sweep_pot[BENCH_MAX_SWEEP], sweep_clar[BENCH_MAX_SWEEP];
    int nsweep = 0;
    if (sweep_s && (!all || plot)) {
        fprintf(stderr, "parm bench: error: --sweep needs --method all, without --plot\n");
        return 2;
    }
    if (sweep_s && parse_sweep(sweep_s, &gate, sweep_keep, sweep_pot, sweep_clar, &nsweep)) return 2;
    if (plot && !all) {
        fprintf(stderr, "parm bench: error: --plot needs --method all (one method has no curve to draw)\n");
        return 2;
    }
    if (judge && (all || search < 0 || !parm_search_methods[search].variant)) {
        fprintf(stderr, "parm bench: error: --judge needs a method with a judge (orm-zs, orm, prm, parm); "
                        "with --method all use --judge-dir DIR\n");
        return 2;
    }
    if ((npaths > 0 || steps != parm_sample_defaults().steps) && !all && search < 0) {
        fprintf(stderr, "parm bench: error: -n and --steps apply to the search methods (baseline ... oracle) and all, "
                        "not '%s'\n", m.name);
        return 2;
    }
    parm_search_opts so = parm_search_defaults(search < 0 ? PARM_SEARCH_BASELINE : search);
    so.sample.steps = (int)steps;
    so.judge = judge;
    so.judge_dir = judge_dir;
    so.clarity_thresh = gate.clarity_thresh;
    so.potential_thresh = gate.potential_thresh;
    so.keep = gate.keep;
    if (npaths > 0 && search != PARM_SEARCH_BASELINE) so.n = (int)npaths;
    if (all) {
        int curve[PARM_SEARCH_MAX_PATHS], ncurve;
        int N = npaths > 0 ? (int)npaths : 16;
        if (parse_curve(curve_s, N, curve, &ncurve)) return 2;
        if (plot) { /* a bad --plot path fails now, not after the whole benchmark */
            parm_atomic_file af;
            if (parm_atomic_open(&af, plot)) return cli_fail();
            parm_atomic_abort(&af);
        }
        bench_replay_opts ro = {.meta = meta, .out = out ? out : "out/bench-all", .per = (int)per,
                                .seed = (uint64_t)seed, .N = N, .curve = curve, .ncurve = ncurve,
                                .judge_dir = judge_dir, .steps = (int)steps, .limit = (int)limit, .every = (int)every,
                                .json = json, .plot = plot, .gate = gate,
                                .nsweep = nsweep, .sweep_keep = sweep_keep, .sweep_pot = sweep_pot,
                                .sweep_clar = sweep_clar};
        return bench_replay(&ro);
    }
    char default_out[256];
    if (!out) {
        snprintf(default_out, sizeof default_out, "out/bench-%s", m.name);
        out = default_out;
    }
    parm_prompt *ps;
    int np;
    if (parm_prompts_load(meta, &ps, &np)) return cli_fail();
    cli_subset_prompts(ps, &np, limit, every);
    void *ctx = NULL;
    if (m.open && m.open(&ctx, &so)) { free(ps); return cli_fail(); }
    long nimg = (long)np * per;
    parm_grade_item *items = parm_malloc(sizeof *items * nimg);
    if (!items || parm_mkdirs(out)) { free(ps); free(items); if (m.close) m.close(ctx); return cli_fail(); }
    int failed = 0;
    char err[1024] = "";
    for (int i = 0; i < np && !failed; i++)
        if (parm_geneval_write_prompt(out, i, &ps[i])) { failed = 1; snprintf(err, sizeof err, "%s", parm_last_error()); }
    parm_progress prog;
    parm_progress_start(&prog, "bench", "img", nimg);
    long done = 0;
    bench_cost cost = {0, 0};
    const double t0 = parm_now();
    const size_t SZ = PARM_IMG * PARM_IMG * 3;
    /* one work unit = one prompt (batch methods) or one image */
    long units = m.generate_prompt ? np : nimg, per_unit = m.generate_prompt ? per : 1;
#pragma omp parallel for schedule(dynamic, 1) if (m.threadsafe)
    for (long u = 0; u < units; u++) {
        if (failed) continue;
        uint8_t *rgb = parm_malloc(SZ * per_unit);
        uint64_t *seeds = parm_malloc(sizeof *seeds * per_unit);
        long k0 = u * per_unit;
        int i = (int)(k0 / per), rc = !rgb || !seeds;
        bench_cost c = {0, 0};
        for (long q = 0; q < per_unit && !rc; q++) seeds[q] = (uint64_t)seed + (uint64_t)((k0 + q) % per);
        if (!rc && m.generate_prompt) rc = m.generate_prompt(ctx, &ps[i], i, (int)per, seeds, rgb, &c);
        if (!rc && !m.generate_prompt) rc = m.generate(ctx, &ps[i], i, (int)(k0 % per), seeds[0], rgb);
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
            cost.forwards += c.forwards;
            cost.judge_calls += c.judge_calls;
            parm_progress_update(&prog, done, NULL);
        }
    }
    const double secs = parm_now() - t0;
    if (m.close) m.close(ctx);
    free(ps);
    if (failed) { free(items); fprintf(stderr, "\nparm bench: error: %s\n", err); return 1; }
    parm_progress_end(&prog, done, NULL);
    char results[1024];
    snprintf(results, sizeof results, "%s/results.jsonl", out);
    parm_score sc;
    int rc = parm_grade_items(items, (int)nimg, results, &sc);
    free(items);
    parm_grade_item *allitems;
    int nall;
    if (!rc && !parm_geneval_scan(out, &allitems, &nall)) {
        if (nall != nimg)
            fprintf(stderr, "parm bench: note: %s holds %d images but this run wrote %ld; the others are from an earlier "
                            "run (graded here: only this run's; `parm grade %s` would grade all)\n", out, nall, nimg, out);
        free(allitems);
    }
    if (rc) return cli_fail();
    bench_row row = {.method = m.name, .n = search >= 0 ? (search == PARM_SEARCH_BASELINE ? 1 : so.n) : 1,
                     .score = sc, .forwards = (double)cost.forwards / nimg, .judge_calls = (double)cost.judge_calls / nimg,
                     .seconds = secs / nimg, .upper_bound = search >= 0 && parm_search_methods[search].upper_bound};
    if (!json) printf("method %s, %d prompts x %ld images, graded into %s\n", m.name, np, per, results);
    return bench_print_row(&row, json);
}
