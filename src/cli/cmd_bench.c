/* cmd_bench.c — `parm bench`: generate the benchmark with a named method,
 * write it in GenEval layout and grade it (the same grading and summary code
 * as `parm grade`), with the cost per image (generator forward passes, judge
 * calls, seconds). Methods are rows of a callback table keyed by name:
 * prompt i, image j, seed (base seed + j) → one 64×64 RGB image; the
 * test-time verification methods (parm/search.h) are one generic row each.
 * `--method all` (replay: every method × every n from one generation) lives
 * in bench_replay.c, its --plot scaling curve in cmd_plot.c. Under
 * `mpirun -np K` the work units are split over the ranks (parm/dist.h):
 * each writes its images, rank 0 grades them all and writes results.jsonl
 * and run.json, the same files as one process (the seconds aside). */
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"

/* everything `parm bench` was asked for (parsed by bench_parse) */
typedef struct {
    const char *method, *out, *meta, *curve_s, *plot, *judge, *judge_dir, *judge_dir_alt, *sweep_s, *gen, *vq;
    const char *prompts_file; /* --prompts-file: one prompt per line, instead of --metadata */
    int meta_given;
    long per, seed, npaths, steps, limit, every;
    long strip_div; /* --strips: step strips' tile = 64/strip_div pixels; 0 = none */
    int json, overwrite, resume;
    parm_search_opts gate; /* PARM's gate options as given */
} bench_args;

/* what a method's open() gets: the search options and the model files */
typedef struct {
    parm_search_opts so;
    const char *gen, *vq;
    const char *out; /* the bench folder (step strips go under it) */
    int strip_div;   /* step strips: 0 none, else tile 64/strip_div (search methods with n > 1) */
} bench_setup;

/* what a method spent, summed over images; res (when not NULL) [n] gets a
 * search method's per-image results (run.json / results.jsonl details) */
typedef struct {
    long forwards, judge_calls;
    parm_search_result *res;
} bench_cost;

/* A generation method: a row of this table. open()/close() (optional) make
 * and free its context (models, buffers) from the search options (method
 * index, paths, judge) and the model files. Either generate() makes image j of prompt i from
 * `seed`, or generate_prompt() makes all n images of prompt i at once (a
 * batch; seeds[j] for image j) into rgb[j * 64*64*3] and adds its costs.
 * With threadsafe set, the harness calls them from several OpenMP threads. */
typedef struct {
    const char *name, *help;
    int threadsafe;
    int (*open)(void **ctx, const bench_setup *o);
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
 * for every generator built on it); --vq (default weights/vq.safetensors). */
static int vq_open(void **ctx, const bench_setup *o) {
    parm_vq *m = parm_malloc(sizeof *m);
    if (!m) return -1;
    if (parm_vq_load(m, o->vq)) { free(m); return -1; }
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
    const char *out;         /* step strips: DIR/strips/<prompt>/<image>.png */
    int strip_div;
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
/* image j's step strip of a live run: trace [n images, paths, T, 64,64,3] */
static int search_strips(const search_ctx *c, int pi, int n, const uint8_t *trace) {
    const int P = c->s.o.n, T = c->s.o.sample.steps;
    const size_t per_img = (size_t)P * T * PARM_IMG * PARM_IMG * 3;
    char path[1400], rel[64], dir[1400];
    snprintf(dir, sizeof dir, "%s/strips/%05d", c->out, pi);
    if (parm_mkdirs(dir)) return -1;
    for (int j = 0; j < n; j++)
        if (cli_step_strip_path(path, sizeof path, rel, sizeof rel, c->out, pi, j) ||
            cli_step_strip_write(path, trace + per_img * j, P, T, c->strip_div))
            return -1;
    return 0;
}
/* step strips of every path: not for baseline (one path) nor parm++ (it keeps each round's image instead) */
static int has_strips(int method, int n) { return method != PARM_SEARCH_BASELINE && method != PARM_SEARCH_PARMPP && n > 1; }
static int search_open(void **ctx, const bench_setup *o) {
    search_ctx *c = parm_calloc(1, sizeof *c);
    if (!c) return -1;
    if (cli_load_gen_vq(&c->g, &c->vq, o->gen, o->vq)) { free(c); return -1; }
    if (parm_search_open(&c->s, &c->g, &c->vq, &o->so)) { search_close(c); return -1; }
    c->out = o->out;
    c->strip_div = has_strips(o->so.method, o->so.n) ? o->strip_div : 0;
    *ctx = c;
    return 0;
}
static int search_generate_prompt(void *ctx, const parm_prompt *p, int pi, int n, const uint64_t *seeds, uint8_t *rgb,
                                  bench_cost *cost) {
    search_ctx *c = ctx;
    if (n > c->nres) {
        free(c->res);
        if (!(c->res = parm_malloc(sizeof *c->res * n))) { c->nres = 0; return -1; }
        c->nres = n;
    }
    uint8_t *trace = NULL; /* every path's step images, for the strips */
    if (c->strip_div &&
        !(trace = parm_malloc((size_t)n * c->s.o.n * c->s.o.sample.steps * PARM_IMG * PARM_IMG * 3)))
        return -1;
    int rc;
    if (c->s.o.method == PARM_SEARCH_PARMPP && c->s.o.rounds > 0 && !trace) {
        /* PARM++: every round's image graded too, so one run gives the score after 0..R rounds */
        const size_t sz = (size_t)PARM_IMG * PARM_IMG * 3;
        uint8_t *rr = parm_malloc(sz * (PARM_PARMPP_MAX_ROUNDS + 1));
        rc = !rr;
        for (int j = 0; j < n && !rc; j++) {
            parm_search_result *r = &c->res[j];
            rc = parm_search_parmpp(&c->s, p, seeds[j], rgb + sz * j, r, rr);
            for (int k = 0; k <= PARM_PARMPP_MAX_ROUNDS && !rc; k++)
                r->round_correct[k] = (int8_t)(k <= r->rounds ? parm_grade(rr + sz * k, p, NULL, 0) == 1 : -1);
        }
        free(rr);
    } else {
        rc = parm_search_run(&c->s, p, n, seeds, rgb, c->res, trace) || (trace && search_strips(c, pi, n, trace));
    }
    free(trace);
    if (rc) return -1;
    for (int j = 0; j < n; j++) {
        cost->forwards += c->res[j].gen_forwards;
        cost->judge_calls += c->res[j].judge_calls;
    }
    if (cost->res) memcpy(cost->res, c->res, sizeof *c->res * n);
    return 0;
}

static const bench_method fixed_methods[] = {
    {"gt", "ground-truth renderer: image j = parm render --prompt P --seed S+j (grades 1.000)", 1, NULL, gt_generate,
     NULL, NULL},
    {"vq-recon", "ground-truth render -> VQ tokens -> decoded image (--vq)", 0, vq_open, NULL,
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
               "                  [--seed S] [--gen W] [--vq W] [--judge PATH] [--judge-dir DIR] [--prompts K] [--json]\n"
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
               "  --judge-dir DIR        folder of the judges' default weights (default weights)\n"
               "  --alt-judge-dir DIR    all: also rows \"<method>-alt\" for every judge method whose file is in\n"
               "                         DIR, replayed on the same paths (two judge sets compared image for\n"
               "                         image: `parm compare OUT/orm OUT/orm-alt`)\n"
               "  --gen W                generator weights (default weights/gen.safetensors; parm++ with\n"
               "                         --rounds > 0: weights/gen_sc.safetensors, the self-correction one)\n"
               "  --vq W                 tokenizer weights (default weights/vq.safetensors); it must be the\n"
               "                         generator's own (checked)\n"
               "                         (default files are found under PARM_HOME or the executable's folder)\n",
            "all", PARM_SEARCH_SEED_STRIDE);
    cli_parm_gate_usage(f, "  ");
    cli_parmpp_usage(f, "  ");
    fprintf(f, "  --sweep LIST           all: extra PARM rows \"parm@K/P/C\", one per item\n"
               "                         KEEP[/POTENTIAL_THRESH[/CLARITY_THRESH]] (e.g. 0.2,0.3/0,0.3/0/0.7);\n"
               "                         for tuning the gate on train prompts (--metadata), never the benchmark\n"
               "  --steps T              decoding steps (default %d)\n"
               "  --out DIR              output folder (default out/bench-NAME; all: one folder per method\n"
               "                         under it, images at the largest n)\n"
               "  --metadata FILE        prompts, GenEval metadata JSONL (default %s)\n"
               "  --prompts-file FILE    prompts as plain text instead, one per line (e.g. \"a photo of a red\n"
               "                         star\"; blank lines and '#' comments skipped)\n"
               "  --prompts K            only the first K prompts (quick checks; not the benchmark)\n"
               "  --every K              only every K-th prompt (a stratified subset: the file is in\n"
               "                         category blocks; not the full benchmark)\n"
               "  --images-per-prompt N  default 4; image j uses seed S+j\n"
               "  --strips D             keep every path's step images of each image as one PNG\n"
               "                         DIR/strips/<prompt>/<image>.png (rows: paths, columns: steps; the\n"
               "                         report's per-path step images), each tile 64/D pixels: D = 1, 2\n"
               "                         (default: 32x32, about 20 KB per image at 16 paths) or 4; 0 = none\n"
               "  --seed S               base seed (default 0)\n"
               "  --json                 print the summary as one JSON object (all: one per line per method and n)\n"
               "  --overwrite            clear DIR first (only a folder parm bench made); a non-empty DIR is\n"
               "                         refused without --overwrite or --resume\n"
               "  --resume               continue an interrupted run into DIR (same options, checked against\n"
               "                         DIR/run.json's resume_key): complete images are kept, the rest generated;\n"
               "                         ends with the same images, results and costs as one uninterrupted run\n",
            parm_sample_defaults().steps, CLI_BENCH);
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

/* argv → a (defaults filled in); 0, or the exit code (--help: 0 via *done) */
static int bench_parse(int argc, char **argv, bench_args *a, int *done) {
    *a = (bench_args){.meta = cli_shipped(CLI_BENCH), .gen = cli_shipped(CLI_GEN), .vq = cli_shipped(CLI_VQ),
                      .per = 4, .npaths = -1, .strip_div = 2, .steps = parm_sample_defaults().steps, .limit = -1, .every = 1,
                      .gate = parm_search_defaults(PARM_SEARCH_PARM)};
    *done = 0;
    int gen_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v;
        const char **str = !strcmp(o, "--method") ? &a->method
                           : !strcmp(o, "--out") || !strcmp(o, "-o") ? &a->out
                           : !strcmp(o, "--metadata") ? &a->meta
                           : !strcmp(o, "--curve") ? &a->curve_s
                           : !strcmp(o, "--sweep") ? &a->sweep_s
                           : !strcmp(o, "--plot") ? &a->plot
                           : !strcmp(o, "--judge") ? &a->judge
                           : !strcmp(o, "--judge-dir") ? &a->judge_dir
                           : !strcmp(o, "--alt-judge-dir") ? &a->judge_dir_alt
                           : !strcmp(o, "--gen") ? &a->gen
                           : !strcmp(o, "--vq") ? &a->vq
                           : !strcmp(o, "--prompts-file") ? &a->prompts_file
                                                : NULL;
        if (!strcmp(o, "--metadata")) a->meta_given = 1;
        if (!strcmp(o, "--gen")) gen_given = 1;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { usage(stdout); *done = 1; return 0; }
        else if (!strcmp(o, "--json")) a->json = 1;
        else if (!strcmp(o, "--overwrite")) a->overwrite = 1;
        else if (!strcmp(o, "--resume")) a->resume = 1;
        else if (str) { if (!(v = cli_value(argc, argv, i++))) return 2; *str = v; }
        else if (!strcmp(o, "--clarity-thresh") || !strcmp(o, "--potential-thresh") || !strcmp(o, "--keep")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_parm_gate_opt(o, v, &a->gate) < 0) return 2;
        } else if (!strcmp(o, "--rounds") || !strcmp(o, "--reflect-thresh") || !strcmp(o, "--reflect-judge")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_parmpp_opt(o, v, &a->gate) < 0) return 2;
        } else if (!strcmp(o, "--images-per-prompt")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int(o, v, 1, 10000, &a->per)) return 2;
        } else if (!strcmp(o, "-n")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int(o, v, 1, PARM_SEARCH_MAX_PATHS, &a->npaths)) return 2;
        } else if (!strcmp(o, "--steps")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int(o, v, 1, 256, &a->steps)) return 2;
        } else if (!strcmp(o, "--prompts")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int(o, v, 1, 1000000, &a->limit)) return 2;
        } else if (!strcmp(o, "--strips")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int(o, v, 0, 4, &a->strip_div)) return 2;
            if (a->strip_div == 3) { fprintf(stderr, "parm bench: error: --strips '3': valid: 0 (none), 1, 2, 4\n"); return 2; }
        } else if (!strcmp(o, "--every")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int(o, v, 1, 1000000, &a->every)) return 2;
        } else if (!strcmp(o, "--seed")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int(o, v, 0, 0x7fffffffffffffffL, &a->seed)) return 2;
        } else return cli_unknown("bench", o);
    }
    if (!a->judge_dir) a->judge_dir = cli_shipped(CLI_JUDGE_DIR);
    if (!gen_given && a->method && !strcmp(a->method, "parm++") && a->gate.rounds > 0)
        a->gen = cli_shipped(CLI_GEN_SC); /* PARM++ needs the self-correction generator */
    if (a->prompts_file && a->meta_given) {
        fprintf(stderr, "parm bench: error: give --metadata FILE or --prompts-file FILE, not both\n");
        return 2;
    }
    return 0;
}

/* The method row a->method names (*search: its search-method index, or -1);
 * checks the options that only some methods take. 0, or exit code 2. */
static int bench_pick(const bench_args *a, bench_method *m, int *search) {
    int all = a->method && !strcmp(a->method, "all"), found = 0;
    for (int i = 0; i < nmethods && a->method && !all; i++)
        if (!strcmp(method_row(i).name, a->method)) { *m = method_row(i); found = 1; }
    if (!found && !all) {
        if (a->method) fprintf(stderr, "parm bench: error: unknown --method '%s'; valid methods:", a->method);
        else fprintf(stderr, "parm bench: error: --method NAME is required; valid methods:");
        for (int i = 0; i < nmethods; i++) fprintf(stderr, " %s", method_row(i).name);
        fprintf(stderr, " all\n");
        return 2;
    }
    *search = found ? parm_search_method_find(m->name) : -1;
    parm_clear_error();
    const char *bad = NULL;
    if (a->curve_s && !all) bad = "--curve needs --method all";
    else if (a->sweep_s && (!all || a->plot)) bad = "--sweep needs --method all, without --plot";
    else if (a->plot && !all) bad = "--plot needs --method all (one method has no curve to draw)";
    else if (a->judge_dir_alt && !all) bad = "--alt-judge-dir needs --method all (with one method, run it twice with --judge)";
    else if (a->judge && (all || *search < 0 || !parm_search_methods[*search].variant))
        bad = "--judge needs a method with a judge (orm-zs, orm, prm, parm); with --method all use --judge-dir DIR";
    if (bad) { fprintf(stderr, "parm bench: error: %s\n", bad); return 2; }
    if ((a->npaths > 0 || a->steps != parm_sample_defaults().steps) && !all && *search < 0) {
        fprintf(stderr, "parm bench: error: -n and --steps apply to the search methods (baseline ... oracle) and all, "
                        "not '%s'\n", m->name);
        return 2;
    }
    return 0;
}

static int bench_provenance(bench_prov *p, const bench_args *a, const bench_method *m, int search,
                            const bench_setup *o);

/* The run's options as one JSON object (run.json's resume_key; --resume needs the same) */
static void bench_manifest(const bench_args *a, const char *method, char *buf, size_t n) {
    snprintf(buf, n,
             "{\"method\": \"%s\", \"n\": %ld, \"steps\": %ld, \"images_per_prompt\": %ld, \"seed\": %ld, "
             "\"prompts\": %ld, \"every\": %ld, \"metadata\": \"%s\", \"prompts_file\": \"%s\", \"gen\": \"%s\", "
             "\"vq\": \"%s\", \"judge\": \"%s\", \"judge_dir\": \"%s\", \"alt_judge_dir\": \"%s\", \"keep\": %g, \"potential_thresh\": %g, "
             "\"clarity_thresh\": %g, \"curve\": \"%s\", \"sweep\": \"%s\", \"strips\": %ld}",
             method, a->npaths, a->steps, a->per, a->seed, a->limit, a->every, a->meta,
             a->prompts_file ? a->prompts_file : "", a->gen, a->vq, a->judge ? a->judge : "",
             a->judge_dir ? a->judge_dir : "", a->judge_dir_alt ? a->judge_dir_alt : "", a->gate.keep, a->gate.potential_thresh, a->gate.clarity_thresh,
             a->curve_s ? a->curve_s : "", a->sweep_s ? a->sweep_s : "", a->strip_div);
    size_t k = strlen(buf);
    if (!strcmp(method, "parm++") && k > 0 && k < n) /* its own options: a resume must match them too */
        snprintf(buf + k - 1, n - k + 1, ", \"rounds\": %d, \"reflect_thresh\": %g, \"reflect_judge\": \"%s\"}",
                 a->gate.rounds, a->gate.reflect_thresh, a->gate.reflect_judge ? a->gate.reflect_judge : "");
}

/* The output folder made ready by rank 0 alone while the others wait
 * (parm/dist.h; one process: bench_out_prepare). */
static int prepare_out(const char *dir, const char *manifest, int overwrite, int resume) {
    if (parm_dist_check(0)) return cli_fail(); /* every rank's own check of the folder is done */
    int prc = parm_dist_rank() == 0 ? bench_out_prepare(dir, manifest, overwrite, resume, 1) : 0;
    if (parm_dist_check(prc ? PARM_ERR("output folder '%s' not ready (see rank 0)", dir) : 0)) return prc ? prc : cli_fail();
    return 0;
}

/* --method all: the replay (bench_replay.c) */
static int bench_all(const bench_args *a) {
    float sweep_keep[BENCH_MAX_SWEEP], sweep_pot[BENCH_MAX_SWEEP], sweep_clar[BENCH_MAX_SWEEP];
    int nsweep = 0, curve[PARM_SEARCH_MAX_PATHS], ncurve;
    int N = a->npaths > 0 ? (int)a->npaths : 16;
    if (a->sweep_s && parse_sweep(a->sweep_s, &a->gate, sweep_keep, sweep_pot, sweep_clar, &nsweep)) return 2;
    if (parse_curve(a->curve_s, N, curve, &ncurve)) return 2;
    if (a->plot) { /* a bad --plot path fails now, not after the whole benchmark */
        parm_atomic_file af; /* (its type: parm_output_check) */
        if (parm_atomic_open(&af, a->plot)) return cli_fail();
        parm_atomic_abort(&af);
    }
    if (nsweep) { /* the asked rows would silently be missing (bench_replay skips a method without its judge) */
        char jp[1024];
        struct stat st;
        if (parm_search_judge_path(PARM_SEARCH_PARM, a->judge_dir, jp, sizeof jp)) return cli_fail();
        if (stat(jp, &st)) {
            fprintf(stderr, "parm bench: error: --sweep needs PARM's judge, and %s was not found\n", jp);
            return 1;
        }
    }
    if (a->resume) {
        fprintf(stderr, "parm bench: error: --resume is for one method; --method all replays every method from one "
                        "generation (run it again with --overwrite)\n");
        return 2;
    }
    char manifest[4096];
    bench_manifest(a, "all", manifest, sizeof manifest);
    int prc = prepare_out(a->out ? a->out : "out/bench-all", manifest, a->overwrite, 0);
    if (prc) return prc;
    bench_replay_opts ro = {.meta = a->meta, .prompts_file = a->prompts_file, .out = a->out ? a->out : "out/bench-all",
                            .per = (int)a->per,
                            .seed = (uint64_t)a->seed, .N = N, .curve = curve, .ncurve = ncurve,
                            .judge_dir = a->judge_dir, .judge_dir_alt = a->judge_dir_alt, .gen = a->gen, .vq = a->vq, .steps = (int)a->steps,
                            .limit = (int)a->limit, .every = (int)a->every, .json = a->json, .plot = a->plot,
                            .gate = a->gate, .nsweep = nsweep, .sweep_keep = sweep_keep, .sweep_pot = sweep_pot,
                            .sweep_clar = sweep_clar, .strip_div = (int)a->strip_div};
    ro.prov = bench_prov_begin("all");
    if (!ro.prov || bench_prov_key(ro.prov, manifest) || bench_provenance(ro.prov, a, NULL, -1, NULL)) { bench_prov_free(ro.prov); return cli_fail(); }
    int rc = bench_replay(&ro);
    bench_prov_free(ro.prov);
    return rc;
}

/* Several ranks: agree on failure, sum the costs; rank 0 fills the other
 * ranks' items and per-image details (from the files they wrote). */
static int gather_units(long units, long per_unit, const parm_prompt *ps, long per, uint64_t seed,
                        const char *out, parm_grade_item *items, char **extra, bench_cost *cost, int failed, char *err,
                        size_t nerr) {
    double c[2] = {(double)cost->forwards, (double)cost->judge_calls};
    if (parm_dist_sum(c, 2, failed ? PARM_ERR("%s", err) : 0)) {
        snprintf(err, nerr, "%s", parm_last_error());
        return -1;
    }
    cost->forwards = (long)c[0];
    cost->judge_calls = (long)c[1];
    if (parm_dist_rank() != 0) return 0;
    for (long k = 0; k < units * per_unit; k++) {
        if ((k / per_unit) % parm_dist_size() == parm_dist_rank()) continue; /* this rank's own unit */
        const int i = (int)(k / per), j = (int)(k % per);
        items[k].prompt = ps[i];
        if (parm_geneval_sample_path(items[k].path, sizeof items[k].path, out, i, j) ||
            !(extra[k] = bench_details_read(out, i, j, parm_seed_of(seed, (uint64_t)j, 0)))) {
            snprintf(err, nerr, "%s", parm_last_error());
            return -1;
        }
    }
    return 0;
}

/* Generate every image of ps[0..np) with method m into out (GenEval layout),
 * filling items (path + prompt per image) and cost. 0, or -1 with err set. */
static int bench_generate(const bench_method *m, void *ctx, const parm_prompt *ps, int np, long per, uint64_t seed,
                          const char *out, int resume, int strip_div, parm_grade_item *items, char **extra, bench_cost *cost,
                          char *err,
                          size_t nerr) {
    int failed = 0;
    for (int i = 0; i < np && !failed; i++)
        if (parm_geneval_write_prompt(out, i, &ps[i])) { failed = 1; snprintf(err, nerr, "%s", parm_last_error()); }
    const long nimg = (long)np * per;
    long done = 0;
    const size_t SZ = PARM_IMG * PARM_IMG * 3;
    /* one work unit = one prompt (batch methods) or one image. Rank r of K
     * takes units r, r + K, r + 2K, ...: interleaved, because the benchmark's
     * categories are contiguous and their costs differ (a contiguous split
     * gave the last rank every position and color_attr image). */
    const long units = m->generate_prompt ? np : nimg, per_unit = m->generate_prompt ? per : 1;
    const long K = parm_dist_size(), r0 = parm_dist_rank(), mine = units > r0 ? (units - r0 + K - 1) / K : 0;
    parm_progress prog;
    parm_progress_start(&prog, "bench", "img", mine * per_unit);
#pragma omp parallel for schedule(dynamic, 1) if (m->threadsafe)
    for (long u = r0; u < units; u += K) {
        if (failed) continue;
        uint8_t *rgb = parm_malloc(SZ * per_unit);
        uint64_t *seeds = parm_malloc(sizeof *seeds * per_unit);
        parm_search_result *res = parm_malloc(sizeof *res * per_unit);
        long k0 = u * per_unit;
        int i = (int)(k0 / per), rc = !rgb || !seeds || !res;
        bench_cost c = {0, 0, res};
        for (long q = 0; q < per_unit && !rc; q++) res[q].method = -1; /* not a search method's image */
        /* --resume: a unit already on disk is kept (its images, recorded costs and per-image details) */
        int skip = resume && bench_unit_done(out, i, k0 % per, per_unit, m->generate_prompt != NULL, &c.forwards,
                                             &c.judge_calls);
        for (long q = 0; q < per_unit && !rc; q++) seeds[q] = parm_seed_of(seed, (uint64_t)((k0 + q) % per), 0);
        if (!rc && !skip && m->generate_prompt) rc = m->generate_prompt(ctx, &ps[i], i, (int)per, seeds, rgb, &c);
        if (!rc && !skip && !m->generate_prompt) rc = m->generate(ctx, &ps[i], i, (int)(k0 % per), seeds[0], rgb);
        for (long q = 0; q < per_unit && !rc; q++) {
            parm_grade_item *it = &items[k0 + q];
            it->prompt = ps[i];
            rc = parm_geneval_sample_path(it->path, sizeof it->path, out, i, (int)((k0 + q) % per)) ||
                 (!skip && parm_png_write(it->path, rgb + SZ * q, PARM_IMG, PARM_IMG));
            const int j = (int)((k0 + q) % per);
            if (!rc && skip) rc = !(extra[k0 + q] = bench_details_read(out, i, j, seeds[q]));
            else if (!rc) {
                char sp[1400], rel[64];
                const int strip = strip_div && res[q].method >= 0 && has_strips(res[q].method, res[q].n);
                rc = !(extra[k0 + q] = bench_image_json(res[q].method >= 0 ? &res[q] : NULL, seeds[q])) ||
                     (strip && (cli_step_strip_path(sp, sizeof sp, rel, sizeof rel, out, i, j) ||
                                !(extra[k0 + q] = bench_frag_strip(extra[k0 + q], rel)))) ||
                     bench_details_write(out, i, j, extra[k0 + q]);
            }
        }
        if (!rc && !skip && m->generate_prompt) rc = bench_unit_cost_write(out, i, c.forwards, c.judge_calls);
        free(rgb);
        free(seeds);
        free(res);
#pragma omp critical(bench_progress)
        {
            if (rc && !failed) { failed = 1; snprintf(err, nerr, "%s", parm_last_error()); }
            done += per_unit;
            cost->forwards += c.forwards;
            cost->judge_calls += c.judge_calls;
            parm_progress_update(&prog, done, NULL);
        }
    }
    if (!failed) parm_progress_end(&prog, done, NULL);
    return parm_dist_size() > 1 ? gather_units(units, per_unit, ps, per, seed, out, items, extra, cost,
                                               failed, err, nerr)
                                : failed ? -1 : 0;
}

/* run.json's options and files of this run (bench_provenance.c); o: the
 * search options a single method runs with, NULL for --method all */
static int bench_provenance(bench_prov *p, const bench_args *a, const bench_method *m, int search,
                            const bench_setup *o) {
    bench_prov_num(p, "images_per_prompt", (double)a->per);
    bench_prov_num(p, "seed", (double)a->seed);
    bench_prov_str(p, "image_seed", "seed + j for image j of a prompt");
    bench_prov_str(p, "path_seed", "image seed + 4096 k for path k");
    bench_prov_num(p, "prompts_limit", (double)a->limit);
    bench_prov_num(p, "every", (double)a->every);
    bench_prov_num(p, "strip_div", (double)a->strip_div);
    bench_prov_str(p, "metadata", a->prompts_file ? NULL : a->meta);
    bench_prov_str(p, "prompts_file", a->prompts_file);
    bench_prov_str(p, "judge_dir", a->judge_dir);
    bench_prov_str(p, "alt_judge_dir", a->judge_dir_alt);
    parm_sample_opts so = o ? o->so.sample : parm_sample_defaults();
    so.steps = (int)a->steps;
    bench_prov_sample(p, &so);
    const parm_search_opts *g = o ? &o->so : &a->gate;
    bench_prov_num(p, "clarity_thresh", g->clarity_thresh);
    bench_prov_num(p, "potential_thresh", g->potential_thresh);
    bench_prov_num(p, "keep", g->keep);
    if (o && search == PARM_SEARCH_PARMPP) {
        bench_prov_num(p, "rounds", g->rounds);
        bench_prov_num(p, "reflect_thresh", g->reflect_thresh);
        bench_prov_str(p, "reflect_judge", g->reflect_judge);
    }
    if (o) bench_prov_num(p, "n", search >= 0 ? (search == PARM_SEARCH_BASELINE ? 1 : o->so.n) : 1);
    else {
        bench_prov_num(p, "n", a->npaths > 0 ? (double)a->npaths : 16);
        bench_prov_str(p, "curve", a->curve_s ? a->curve_s : "default");
        bench_prov_str(p, "sweep", a->sweep_s);
    }
    int rc = a->prompts_file ? bench_prov_file(p, "prompts_file", a->prompts_file) : bench_prov_file(p, "metadata", a->meta);
    const int models = !o || search >= 0 || !strcmp(m->name, "vq-recon");
    if (!rc && models && (!o || search >= 0)) rc = bench_prov_file(p, "gen", a->gen);
    if (!rc && models) rc = bench_prov_file(p, "vq", a->vq);
    if (!rc && o && search >= 0 && parm_search_methods[search].variant) {
        char jp[1024];
        if (a->judge) snprintf(jp, sizeof jp, "%s", a->judge);
        else rc = parm_search_judge_path(search, a->judge_dir, jp, sizeof jp);
        if (!rc) rc = bench_prov_file(p, "judge", jp);
    }
    return rc;
}

/* one method: generate, grade (DIR/results.jsonl), print the row */
static int bench_one(const bench_args *a, const bench_method *m, int search) {
    bench_setup setup = {.so = parm_search_defaults(search < 0 ? PARM_SEARCH_BASELINE : search), .gen = a->gen,
                         .vq = a->vq, .strip_div = (int)a->strip_div};
    parm_search_opts *so = &setup.so;
    so->sample.steps = (int)a->steps;
    so->judge = a->judge;
    so->judge_dir = a->judge_dir;
    so->clarity_thresh = a->gate.clarity_thresh;
    so->potential_thresh = a->gate.potential_thresh;
    so->keep = a->gate.keep;
    so->rounds = a->gate.rounds;
    so->reflect_thresh = a->gate.reflect_thresh;
    so->reflect_judge = a->gate.reflect_judge;
    if (a->npaths > 0 && search != PARM_SEARCH_BASELINE) so->n = (int)a->npaths;
    char default_out[256];
    const char *out = a->out;
    if (!out) {
        snprintf(default_out, sizeof default_out, "out/bench-%s", m->name);
        out = default_out;
    }
    setup.out = out;
    char manifest[4096]; /* the folder is checked (and cleared with --overwrite) before any work */
    bench_manifest(a, m->name, manifest, sizeof manifest);
    int prc = bench_out_prepare(out, manifest, a->overwrite, a->resume, 0);
    if (prc) return prc;
    parm_prompt *ps;
    int np;
    if (cli_load_prompts(a->meta, a->prompts_file, &ps, &np)) return cli_fail();
    cli_subset_prompts(ps, &np, a->limit, a->every);
    void *ctx = NULL;
    if (m->open && m->open(&ctx, &setup)) { free(ps); return cli_fail(); }
    if ((prc = prepare_out(out, manifest, a->overwrite, a->resume))) {
        free(ps);
        if (m->close) m->close(ctx);
        return prc;
    }
    const long nimg = (long)np * a->per;
    parm_grade_item *items = parm_malloc(sizeof *items * nimg);
    char **extra = parm_calloc(nimg, sizeof *extra);
    parm_outcome *outc = parm_malloc(sizeof *outc * nimg);
    bench_prov *prov = bench_prov_begin(m->name);
    if (!items || !extra || !outc || !prov || parm_mkdirs(out) || bench_prov_key(prov, manifest) ||
        bench_provenance(prov, a, m, search, &setup)) {
        free(ps); free(items); free(extra); free(outc); bench_prov_free(prov);
        if (m->close) m->close(ctx);
        return cli_fail();
    }
    bench_cost cost = {0, 0, NULL};
    char err[1024] = "";
    const double t0 = parm_now();
    int failed = bench_generate(m, ctx, ps, np, a->per, (uint64_t)a->seed, out, a->resume, (int)a->strip_div, items, extra, &cost, err,
                                sizeof err);
    const double secs = parm_now() - t0;
    if (m->close) m->close(ctx);
    free(ps);
    if (failed || parm_dist_rank() != 0) { /* rank 0 grades every rank's images */
        for (long k = 0; k < nimg; k++) free(extra[k]);
        free(items); free(extra); free(outc); bench_prov_free(prov);
        if (failed) fprintf(stderr, "\nparm bench: error: %s\n", err);
        return failed;
    }
    char results[1024];
    snprintf(results, sizeof results, "%s/results.jsonl", out);
    parm_score sc;
    parm_score_ci ci;
    int rc = parm_grade_items(items, (int)nimg, results, &sc);
    if (!rc) rc = bench_results_finish(results, extra, nimg, (int)a->per, outc) || bench_ci_of(outc, nimg, &ci);
    for (long k = 0; k < nimg; k++) free(extra[k]);
    free(extra);
    free(outc);
    free(items);
    parm_grade_item *allitems;
    int nall;
    if (!rc && !parm_geneval_scan(out, &allitems, &nall)) {
        if (nall != nimg)
            fprintf(stderr, "parm bench: note: %s holds %d images but this run wrote %ld; the others are from an earlier "
                            "run (graded here: only this run's; `parm grade %s` would grade all)\n", out, nall, nimg, out);
        free(allitems);
    }
    if (rc) { bench_prov_free(prov); return cli_fail(); }
    bench_row row = {.method = m->name, .n = search >= 0 ? (search == PARM_SEARCH_BASELINE ? 1 : so->n) : 1,
                     .score = sc, .forwards = (double)cost.forwards / nimg, .judge_calls = (double)cost.judge_calls / nimg,
                     .seconds = secs / nimg, .upper_bound = search >= 0 && parm_search_methods[search].upper_bound,
                     .ci = &ci};
    rc = bench_prov_row(prov, &row) || bench_prov_write(prov, out, "results.jsonl");
    bench_prov_free(prov);
    if (rc) return cli_fail();
    if (!a->json) printf("method %s, %d prompts x %ld images, graded into %s (provenance: %s/run.json)\n", m->name, np,
                         a->per, results, out);
    return bench_print_row(&row, a->json);
}

int cmd_bench(int argc, char **argv) {
    bench_args a;
    bench_method m = {0};
    int done, search, rc = bench_parse(argc, argv, &a, &done);
    if (rc || done) return rc;
    if ((rc = bench_pick(&a, &m, &search))) return rc;
    return !strcmp(a.method, "all") ? bench_all(&a) : bench_one(&a, &m, search);
}
