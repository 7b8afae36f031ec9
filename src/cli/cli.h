/* cli.h — shared helpers for the `parm` subcommands: strict number parsing
 * that quotes the bad value, and the subcommand entry points. */
#ifndef PARM_CLI_H
#define PARM_CLI_H
#include <stdint.h>

#include <stdio.h>

#include "parm.h"

/* Each returns 0 on success; on bad input prints "parm: error: ..." (quoting
 * the value and the flag) and returns -1. */
int cli_int(const char *flag, const char *s, long lo, long hi, long *out);
int cli_float(const char *flag, const char *s, double lo, double hi, double *out);
/* "flag needs a value" check: returns argv[i+1] or NULL after printing an error. */
const char *cli_value(int argc, char **argv, int i);
/* Print "parm: error: <last library error>" to stderr; returns 1 (exit code). */
int cli_fail(void);
/* Print "parm CMD: unknown option 'X'" plus a pointer to --help; returns 2. */
int cli_unknown(const char *cmd, const char *arg);

/* ---- output paths: every command checks each file it will write with
 * cli_output BEFORE any work starts. PATH must be absent or a regular file
 * (replaced atomically); a directory, device, FIFO, socket or symbolic link is
 * refused with a one-line error naming the flag and what PATH is, and so is a
 * missing folder (CLI_OUT_MKDIR: the folder is created instead). With
 * CLI_OUT_STDOUT, "-" means standard output: o->path is then a private temp
 * file the command writes as usual, and cli_output_done copies it to stdout
 * (so messages must go to stderr: cli_output_msg). */
enum { CLI_OUT_STDOUT = 1, CLI_OUT_MKDIR = 2 };
typedef struct {
    const char *path;  /* what the command writes to (PATH, or the temp file for "-") */
    int to_stdout;
    int slot;          /* parm_tmp_register slot of the temp file */
    char tmp[64];
} cli_out;
/* 0, or 2 (the exit code) after printing the error. path NULL: o->path = NULL, 0. */
int cli_output(cli_out *o, const char *flag, const char *path, int flags);
/* After the command wrote o->path (rc = its exit code): for "-", copy the temp
 * file to stdout when rc == 0, and remove it either way. Returns rc, or 1 if the copy failed. */
int cli_output_done(cli_out *o, int rc);
/* Where "wrote …" messages go: stderr when the artifact is on stdout, else stdout. */
FILE *cli_output_msg(const cli_out *o);
/* SIGINT/SIGTERM/SIGHUP/SIGPIPE: remove every live temp file (parm_tmp_cleanup), print
 * "parm: interrupted by SIG…; temp files removed" and exit 128+signal. main installs it. */
void cli_install_signals(void);

/* Print a graded summary: one JSON object on stdout with json, else the
 * table. Returns 0, or cli_fail()'s exit code. */
int cli_print_score(const parm_score *sc, int json);
/* Bench prompt subsets: keep prompts i with i % every == 0 (every ≤ 1: all;
 * the benchmark file is in category blocks, so this is a stratified sample),
 * then at most limit (≤ 0: no limit). Compacts ps in place, updates *np. */
/* Sampler options shared by generate, eval gen and bench: if a is one of
 * --steps --cfg --temp --temp-end --choice-temp --bg-penalty --group, parse val
 * into o and return 1 (-1 on a bad value, message printed); 0 if a is not one. */
int cli_sample_opt(const char *a, const char *val, parm_sample_opts *o);
/* Their help lines (defaults shown), indented to match the callers' usage. */
void cli_sample_usage(FILE *f);
/* PARM's gate: --clarity-thresh X / --potential-thresh X / --keep F, each in
 * [0, 1], into o (1 consumed, -1 bad value with a message, 0 not one of them). */
int cli_parm_gate_opt(const char *a, const char *val, parm_search_opts *o);
/* Their help lines (defaults shown), each line prefixed with indent. */
void cli_parm_gate_usage(FILE *f, const char *indent);
/* PARM++: --rounds R (0..PARM_PARMPP_MAX_ROUNDS), --reflect-thresh X, --reflect-judge PATH
 * into o (1 consumed, -1 bad value with a message, 0 not one of them); their help lines. */
int cli_parmpp_opt(const char *a, const char *val, parm_search_opts *o);
void cli_parmpp_usage(FILE *f, const char *indent);
/* --layout NAME: canonical or free; -1 with a message quoting the bad name. */
int cli_layout(const char *name, parm_layout *out);
void cli_subset_prompts(parm_prompt *ps, int *np, long limit, long every);

/* One row of a methods table: a method's graded score and its cost per image. */
typedef struct {
    const char *method;
    int n;                      /* paths per image */
    parm_score score;
    double forwards, judge_calls, seconds; /* per image */
    int upper_bound;            /* oracle: not a method */
    int seconds_estimated;      /* replay: seconds from measured unit costs */
    const parm_score_ci *ci;    /* 95 % intervals (bench_provenance.c), or NULL */
} bench_row;
/* json: one line, parm_score_json's object plus "method", "n",
 * "gen_forwards_per_image", "judge_calls_per_image", "seconds_per_image"
 * (and "seconds_estimated", "upper_bound", and with ci "ci": {category:
 * [lo, hi], …, "overall": [lo, hi]}); else the summary table (with ci its
 * intervals) and a cost line. Returns 0, or cli_fail()'s exit code. */
int bench_print_row(const bench_row *r, int json);
/* The JSON line of a row (no newline) into buf: what bench_print_row prints. */
int bench_row_json(const bench_row *r, char *buf, size_t n);

/* bench's output folder (bench_out.c): refuse a non-empty DIR unless overwrite
 * (clears a folder parm bench made: its run.json has a resume_key) or resume
 * (the same run: run.json's resume_key equals `manifest`, a JSON object;
 * stale temp files removed). commit 0: only the checks (before any work);
 * commit 1: the checks again, then clear / clean, create DIR and write
 * run.json as {"status": "running", "resume_key": manifest} (once the models
 * are loaded; bench_prov_write replaces it at the end, resume_key kept).
 * 0, or exit code 2/1 after printing the error. */
#define BENCH_MANIFEST "run.json"
int bench_out_prepare(const char *dir, const char *manifest, int overwrite, int resume, int commit);
/* 1 if work unit (prompt i, images j0..j0+n-1) is complete on disk: its PNGs
 * read back 64x64 and (batch) its DIR/<NNNNN>/cost.txt gives its costs. */
int bench_unit_done(const char *dir, int i, long j0, long n, int batch, long *forwards, long *judge_calls);
/* Record a batch unit's costs in DIR/<NNNNN>/cost.txt (atomically). */
int bench_unit_cost_write(const char *dir, int i, long forwards, long judge_calls);

/* `parm bench --method all` (bench_replay.c): one generation of N paths per
 * image with every step image kept, then every search method replayed on the
 * first n paths for each n of the curve. */
#define BENCH_MAX_SWEEP 32 /* --sweep items at most */
typedef struct {
    const char *meta, *out, *judge_dir, *gen, *vq;
    const char *judge_dir_alt; /* NULL, or a second folder of judges: rows "<method>-alt" for each judge method whose
                                  file is there, replayed on the same paths (paired with the first set's rows) */
    const char *prompts_file; /* plain-text prompts instead of meta (NULL: meta) */
    int per, N, steps, limit, every, json;
    uint64_t seed;
    const int *curve;
    int ncurve;
    const char *plot; /* NULL, or the scaling curve PNG to write (plot_rows_png) */
    parm_search_opts gate; /* PARM's gate: clarity_thresh, potential_thresh, keep */
    int nsweep;            /* ≤ BENCH_MAX_SWEEP extra PARM rows "parm@K/P/C", one per (keep, potential, clarity) */
    const float *sweep_keep, *sweep_pot, *sweep_clar; /* (for tuning the gate on train prompts) */
    int strip_div;         /* step strips DIR/strips/<prompt>/<image>.png, tile 64/strip_div; 0 = none */
    struct bench_prov *prov; /* run.json in the making: the replay adds judge files and rows, writes it */
} bench_replay_opts;
int bench_replay(const bench_replay_opts *o);

/* The scaling curve (cmd_plot.c): overall score vs n, one line per method, from
 * the rows `bench --method all --json` prints, read back by `parm plot`. */
typedef struct {
    char method[32];
    int n;
    double overall;
    long images;     /* -1 if absent */
    int upper_bound;
    double forwards; /* gen_forwards_per_image; 0 if absent */
    int group;       /* which run (generator) the row is of: `parm plot --json A --json B`; 0 for one */
} plot_row;
/* Parse one JSON line (needs "method", "n", "overall"; reads "images",
 * "upper_bound"); `where` (e.g. "FILE:LINE") prefixes the error. */
int plot_row_parse(const char *line, const char *where, plot_row *r);
/* Draw the rows to a PNG at path (atomic): every method but baseline a line
 * over n on a log2 axis with markers, baseline a dashed horizontal line at
 * its n = 1 score, upper-bound rows (oracle) dashed and named "(upper
 * bound)". title NULL: "overall score vs N (K images)". A method with the
 * same n twice is an error. */
int plot_rows_png(const plot_row *rows, int nrows, const char *title, const char *path, int width, int height);
/* The same with by_forwards: x = generator forward passes per image (log2 axis) instead of n. */
int plot_rows_png_x(const plot_row *rows, int nrows, const char *title, const char *path, int width, int height,
                    int by_forwards);
/* The same for rows of ngroups runs (row.group < ngroups, e.g. one a generator): a line per (group,
 * method), named "LABEL: method" when ngroups > 1; a method keeps its colour, group 1 is dashed,
 * group 2 has no markers, group 3 both. */
int plot_rows_png_groups(const plot_row *rows, int nrows, const char *title, const char *path, int width, int height,
                         int by_forwards, const char *const *labels, int ngroups);

/* Shipped files (weights/, bench/) are CLI policy, not the library's: they are
 * found under cli_home() — $PARM_HOME if set, else the folder of the parm
 * executable when it holds weights/ (a build tree), else PREFIX/share/parm
 * next to PREFIX/bin/parm (an install), else the working directory — so
 * parm runs from any folder. cli_shipped("weights/gen.safetensors") is that
 * file's path (a string the CLI owns; valid for the next 31 calls). */
const char *cli_home(void);
const char *cli_shipped(const char *rel);
#define CLI_GEN "weights/gen.safetensors"
#define CLI_GEN_SC "weights/gen_sc.safetensors" /* the default generator of --method parm++ (rounds > 0) */
#define CLI_VQ "weights/vq.safetensors"
#define CLI_JUDGE_DIR "weights"
#define CLI_BENCH "bench/geneval-shapes.jsonl"
/* Load a generator and its tokenizer and check they belong together
 * (parm_gen_check_vq); -1 with the library error set (nothing left loaded). */
int cli_load_gen_vq(parm_gen *g, parm_vq *vq, const char *genp, const char *vqp);

/* ---- provenance and intervals (bench_provenance.c, version.c) ---- */
const char *cli_version(void);   /* git describe at build time */
extern int cli_argc;             /* main's argc/argv, for run.json */
extern char **cli_argv;
#define CLI_CI_METHOD "Wilson score per category over n_eff = images / design effect (by prompt; n_eff = prompts below " \
    "10 prompts or at 0 or 1); overall: Price-Bonett adjusted Wald over the categories"
#define CLI_CI_PAIRED_ADJ "Agresti-Min adjusted Wald per category on the 2x2 table scaled to n_eff = images / design " \
    "effect (n_eff = prompts below 10 prompts); overall: mean of categories" /* parm compare */
#define CLI_CI_PAIRED "paired percentile bootstrap over prompts, stratified by category" /* parm compare */
/* sha256 of a file as 64 hex digits (and its size); -1 naming the file */
int cli_sha256_file(const char *path, char hex[65], long *bytes);
/* DIR/run.json in the making: begin (start time, command line, version),
 * options, files (sha256 each, once), summary rows, write (end time; atomic). */
typedef struct bench_prov bench_prov;
bench_prov *bench_prov_begin(const char *method);
/* run.json's resume_key: the options --resume compares (bench_out_prepare's manifest) */
int bench_prov_key(bench_prov *p, const char *manifest);
void bench_prov_num(bench_prov *p, const char *key, double v);
void bench_prov_str(bench_prov *p, const char *key, const char *v);
void bench_prov_sample(bench_prov *p, const parm_sample_opts *o);
int bench_prov_file(bench_prov *p, const char *role, const char *path);
int bench_prov_row(bench_prov *p, const bench_row *r);
int bench_prov_write(bench_prov *p, const char *dir, const char *results_rel);
void bench_prov_free(bench_prov *p);
/* One image's search details as a JSON fragment (no braces; malloc'd): its
 * seed and, with r, the method, n, the chosen path and its seed, the
 * selection score, forwards, judge calls, survivors, fallback and "paths":
 * every path's seed, forwards, judge calls, stop/clear step, potential, score. */
char *bench_image_json(const parm_search_result *r, uint64_t seed);
/* frag (freed) with ', "strip": "<rel>"' appended (malloc'd; NULL on OOM) */
char *bench_frag_strip(char *frag, const char *rel);
/* The fragment of image j of prompt i kept as DIR/<NNNNN>/<jjjj>.details.json
 * (atomic), so a --resume run ends with the same results.jsonl; read returns
 * it (malloc'd), or the seed-only fragment when the file is missing. */
int bench_details_write(const char *out, int i, int j, const char *frag);
char *bench_details_read(const char *out, int i, int j, uint64_t seed);
/* Read back results.jsonl of n graded images (prompt-major, per images per
 * prompt) into out[n] (prompt = k / per, tag, correct) and, with extra, rewrite
 * it atomically with extra[k] added to row k. */
int bench_results_finish(const char *path, char *const *extra, long n, int per, parm_outcome *out);
int bench_ci_of(const parm_outcome *o, long n, parm_score_ci *ci);  /* parm_score_wilson */
int bench_ci_json(const parm_score_ci *ci, char *buf, size_t n);
/* parm_score_print's table with a 95 % interval column and the method line */
void cli_print_score_ci(const parm_score *sc, const parm_score_ci *ci, FILE *f);

/* bench's prompts (bench_prompts.c): prompts_file (one prompt per line) if
 * given, else the GenEval metadata JSONL meta; *ps malloc'd. -1 naming FILE:LINE. */
int cli_load_prompts(const char *meta, const char *prompts_file, parm_prompt **ps, int *np);

/* ---- images a person can see (cli_image.c) ---- */
/* parm_png_write of rgb (w×h) enlarged scale× nearest-neighbour (scale ≤ 1: as is) */
int cli_png_write_scaled(const char *path, const uint8_t *rgb, int w, int h, int scale);
/* A bench image's step strip (the report's per-path step images): steps
 * [n, T, 64,64,3] (path k's image after step t) as one PNG of n rows × T
 * columns, tiles (64/div)² (div 1, 2 or 4: box-averaged), no gaps. */
int cli_step_strip_write(const char *path, const uint8_t *steps, int n, int T, int div);
/* DIR/strips/<NNNNN>/<JJJJ>.png (relative: rel = "strips/<NNNNN>/<JJJJ>.png") */
int cli_step_strip_path(char *buf, size_t n, char *rel, size_t nrel, const char *dir, int prompt, int image);
/* --scale K (1..16): 1 consumed, -1 bad value (message printed), 0 not it */
int cli_scale_opt(const char *a, const char *val, long *scale);
/* A grid of 64×64 tiles on white, CLI_GRID_GAP px between them, an optional
 * top margin (column labels, e.g. step numbers) and left margin (row labels). */
#define CLI_GRID_GAP 4
typedef struct {
    int cols, rows, top, left, w, h;
    uint8_t *rgb;
} cli_grid;
int cli_grid_init(cli_grid *g, int cols, int rows, int top, int left);
void cli_grid_put(cli_grid *g, int col, int row, const uint8_t *img);
void cli_grid_frame(cli_grid *g, int col, int row, const uint8_t color[3]); /* a 2 px frame in the gap */
void cli_grid_col_labels(cli_grid *g, int first);                          /* first, first+1, … over the columns */
void cli_grid_row_label(cli_grid *g, int row, const char *s, const uint8_t *color);
int cli_grid_write(cli_grid *g, const char *path, int scale);              /* writes and frees */
void cli_grid_free(cli_grid *g);

/* The rows of a results.jsonl (`parm grade`/`parm bench`), each a JSON
 * object with a string "filename" and a bool "correct" (else an error naming
 * PATH:LINE; an empty file is an error too). *rows malloc'd: free with
 * cli_results_free. */
typedef struct cJSON cJSON;
int cli_results_load(const char *path, cJSON ***rows, int *n);
void cli_results_free(cJSON **rows, int n);

/* subcommands: int cmd_NAME(int argc, char **argv), argv[0] = NAME */
int cmd_render(int argc, char **argv);
int cmd_prompts(int argc, char **argv);
int cmd_grade(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_reconstruct(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_paths(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_pairs(int argc, char **argv);
#endif
