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
} bench_row;
/* json: one line, parm_score_json's object plus "method", "n",
 * "gen_forwards_per_image", "judge_calls_per_image", "seconds_per_image"
 * (and "seconds_estimated", "upper_bound"); else the summary table and a
 * cost line. Returns 0, or cli_fail()'s exit code. */
int bench_print_row(const bench_row *r, int json);
/* The JSON line of a row (no newline) into buf: what bench_print_row prints. */
int bench_row_json(const bench_row *r, char *buf, size_t n);

/* `parm bench --method all` (bench_replay.c): one generation of N paths per
 * image with every step image kept, then every search method replayed on the
 * first n paths for each n of the curve. */
#define BENCH_MAX_SWEEP 32 /* --sweep items at most */
typedef struct {
    const char *meta, *out, *judge_dir, *gen, *vq;
    int per, N, steps, limit, every, json;
    uint64_t seed;
    const int *curve;
    int ncurve;
    const char *plot; /* NULL, or the scaling curve PNG to write (plot_rows_png) */
    parm_search_opts gate; /* PARM's gate: clarity_thresh, potential_thresh, keep */
    int nsweep;            /* ≤ BENCH_MAX_SWEEP extra PARM rows "parm@K/P/C", one per (keep, potential, clarity) */
    const float *sweep_keep, *sweep_pot, *sweep_clar; /* (for tuning the gate on train prompts) */
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

/* Shipped files (weights/, bench/) are CLI policy, not the library's: they are
 * found under cli_home() — $PARM_HOME if set, else the folder of the parm
 * executable when it holds weights/ (a build tree), else PREFIX/share/parm
 * next to PREFIX/bin/parm (an install), else the working directory — so
 * parm runs from any folder. cli_shipped("weights/gen.safetensors") is that
 * file's path (a string the CLI owns; valid for the next 31 calls). */
const char *cli_home(void);
const char *cli_shipped(const char *rel);
#define CLI_GEN "weights/gen.safetensors"
#define CLI_VQ "weights/vq.safetensors"
#define CLI_JUDGE_DIR "weights"
#define CLI_BENCH "bench/geneval-shapes.jsonl"
/* Load a generator and its tokenizer and check they belong together
 * (parm_gen_check_vq); -1 with the library error set (nothing left loaded). */
int cli_load_gen_vq(parm_gen *g, parm_vq *vq, const char *genp, const char *vqp);

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
int cmd_pairs(int argc, char **argv);
#endif
