/* bench_replay.c — `parm bench --method all`: the methods table (docs/WORLD.md, docs/RESULTS.md)
 * without regenerating per method. Each benchmark image is generated ONCE
 * with N paths and every step image kept (parm_search_record_paths); then
 * every search method (baseline, orm-zs, orm, prm, parm, oracle) is replayed
 * on the first n paths for each n of the curve (parm_search_replay: the same
 * chosen image, forward passes and judge calls as a live run with n paths).
 * Scores per category, overall, and cost per image per (method, n); GenEval
 * folders <out>/<method>/… with results.jsonl at the largest n; --plot: the
 * scaling curve PNG (cmd_plot.c); <out>/strips/<prompt>/<image>.png: every
 * path's step images (the report's gallery; rows paths, columns steps, shared
 * by all methods: they replay the same recorded paths). Methods whose judge weights are missing
 * are skipped with a note. --sweep adds PARM rows under other gate settings
 * (keep, potential threshold, clarity threshold): keep and the potential
 * threshold only re-gate the cached verdicts; another clarity threshold
 * re-judges (for tuning on train-prompt sets, never the benchmark).
 * --alt-judge-dir adds rows "<method>-alt": the judge methods again with a
 * second set of judges, on the same recorded paths (slots NM.., each with
 * its own verdict cache), so two judge sets are compared image for image. Under
 * `mpirun -np K` the images are split over the ranks; rank 0 merges the
 * cells (integer counts) and writes what one process writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "parm.h"

#define SZ ((size_t)PARM_IMG * PARM_IMG * 3)
#define NM PARM_SEARCH_NMETHODS
#define NS (2 * NM) /* slots: method m with the judges of --judge-dir (m) or of --alt-judge-dir (NM + m) */

typedef struct {
    parm_score score;
    long forwards, judge_calls;
    double seconds;
    signed char *ok; /* [nimg] each image's verdict (for the intervals) */
} cell;

/* image k's outcome into a (method, n) cell */
static void cell_add(cell *x, const parm_prompt *p, const uint8_t *rgb, const parm_search_result *res, long k) {
    const int ok = parm_grade(rgb, p, NULL, 0) == 1;
    x->ok[k] = (signed char)ok;
    parm_score_add(&x->score, p->tag, ok);
    x->forwards += res->gen_forwards;
    x->judge_calls += res->judge_calls;
}

/* --sweep: PARM on one recorded image under each extra gate, for every n of
 * the curve, into cells[w][c]. Keep and the potential threshold re-gate the
 * cached verdicts; another clarity threshold re-judges (freed after). */
static int sweep_image(parm_searcher *s, parm_search_record *rec, const bench_replay_opts *o, int nsw,
                       cell (*cells)[PARM_SEARCH_MAX_PATHS], long k) {
    const parm_search_opts saved = s->o;
    parm_search_path *cached = rec->verdict[PARM_SEARCH_PARM];
    int rc = 0;
    for (int w = 0; w < nsw && !rc; w++) {
        s->o.keep = o->sweep_keep[w];
        s->o.potential_thresh = o->sweep_pot[w];
        s->o.clarity_thresh = o->sweep_clar[w];
        if (s->o.clarity_thresh != saved.clarity_thresh) rec->verdict[PARM_SEARCH_PARM] = NULL;
        for (int c = 0; c < o->ncurve && !rc; c++) {
            parm_search_result res;
            uint8_t rgb[SZ];
            if (!(rc = parm_search_replay(s, rec, o->curve[c], rgb, &res))) cell_add(&cells[w][c], &rec->prompt, rgb, &res, k);
        }
        if (rec->verdict[PARM_SEARCH_PARM] != cached) free(rec->verdict[PARM_SEARCH_PARM]);
        rec->verdict[PARM_SEARCH_PARM] = cached;
    }
    s->o = saved;
    return rc;
}

/* What image k (prompt i, image j) adds: its N paths recorded once, every
 * ready method replayed at each n of the curve into its cells, the largest
 * n's image into the method's folder (items, extra). */
typedef struct {
    const bench_replay_opts *o;
    const parm_prompt *ps;
    parm_gen *g;
    parm_vq *vq;
    const parm_sample_opts *sample;
    parm_searcher *s;
    const int *ready;
    cell (*cells)[PARM_SEARCH_MAX_PATHS];
    parm_grade_item **items;
    char ***extra;
    char (*dir)[1024];
    parm_search_record *rec;
    double gen_seconds;
    long gen_forwards;
} replay_ctx;

static int replay_image(replay_ctx *x, int i, int j, long k) {
    const bench_replay_opts *o = x->o;
    const uint64_t seed = parm_seed_of(o->seed, (uint64_t)j, 0);
    uint8_t rgb[SZ];
    if (parm_search_record_paths(x->g, x->vq, &x->ps[i], 1, &seed, o->N, x->sample, x->rec)) return -1;
    char strip_rel[64] = "", strip_path[1400], strip_dir[1400];
    if (o->strip_div && o->N > 1) { /* every path's step images, once for all methods */
        snprintf(strip_dir, sizeof strip_dir, "%s/strips/%05d", o->out, i);
        if (parm_mkdirs(strip_dir) ||
            cli_step_strip_path(strip_path, sizeof strip_path, strip_rel, sizeof strip_rel, o->out, i, j) ||
            cli_step_strip_write(strip_path, x->rec->steps, x->rec->N, x->rec->T, o->strip_div))
            return -1;
    }
    x->gen_seconds += x->rec->gen_seconds;
    x->gen_forwards += x->rec->gen_forwards;
    for (int sl = 0; sl < NS; sl++) {
        if (!x->ready[sl]) continue;
        const int m = sl % NM, nc = m == PARM_SEARCH_BASELINE ? 1 : o->ncurve; /* baseline: one path whatever n */
        parm_search_path *cached = x->rec->verdict[m];
        if (sl >= NM) x->rec->verdict[m] = NULL; /* the alt judges' own verdicts */
        int rc = 0;
        for (int c = 0; c < nc && !rc; c++) {
            parm_search_result res;
            if ((rc = parm_search_replay(&x->s[sl], x->rec, o->curve[c], rgb, &res))) break;
            cell_add(&x->cells[sl][c], &x->ps[i], rgb, &res, k);
            if (c == nc - 1 && sl == PARM_SEARCH_PARM && sweep_image(&x->s[sl], x->rec, o, o->nsweep, x->cells + NS, k))
                rc = -1;
            if (!rc && c == nc - 1) { /* the folder: the largest n */
                parm_grade_item *it = &x->items[sl][k];
                it->prompt = x->ps[i];
                if (parm_geneval_sample_path(it->path, sizeof it->path, x->dir[sl], i, j) ||
                    parm_png_write(it->path, rgb, PARM_IMG, PARM_IMG) || !(x->extra[sl][k] = bench_image_json(&res, seed)) ||
                    (*strip_rel && m != PARM_SEARCH_BASELINE &&
                     !(x->extra[sl][k] = bench_frag_strip(x->extra[sl][k], strip_rel))))
                    rc = -1;
            }
        }
        if (sl >= NM) {
            free(x->rec->verdict[m]);
            x->rec->verdict[m] = cached;
        }
        if (rc) return -1;
    }
    parm_search_record_free(x->rec);
    return 0;
}

/* Several ranks (parm/dist.h), each having replayed its block [klo, khi) of
 * the images: every cell's counts and verdicts, the unit costs summed; rank
 * 0 gets the other ranks' items and per-image details. All integer sums, so
 * rank 0 ends with what one process has (the seconds aside). */
static int replay_merge(replay_ctx *x, long nimg, int np, int rc) {
    const bench_replay_opts *o = x->o;
    const int ncell = (NS + o->nsweep) * o->ncurve, per = 2 * PARM_NTAGS + 2;
    const long nv = (long)ncell * per + 2 + 2 * NS;
    long klo, khi;
    parm_dist_block(nimg, &klo, &khi);
    double *v = parm_calloc((size_t)nv, sizeof *v);
    if (!v) rc = -1;
    for (int q = 0; v && q < ncell; q++) {
        const cell *c = &x->cells[q / o->ncurve][q % o->ncurve];
        double *d = v + (long)q * per;
        for (int t = 0; t < PARM_NTAGS; t++) { d[t] = (double)c->score.n[t]; d[PARM_NTAGS + t] = (double)c->score.correct[t]; }
        d[2 * PARM_NTAGS] = (double)c->forwards;
        d[2 * PARM_NTAGS + 1] = (double)c->judge_calls;
    }
    if (v) {
        v[(long)ncell * per] = x->gen_seconds;
        v[(long)ncell * per + 1] = (double)x->gen_forwards;
        for (int m = 0; m < NS; m++) {
            v[(long)ncell * per + 2 + 2 * m] = x->ready[m] ? x->s[m].judge_seconds : 0;
            v[(long)ncell * per + 3 + 2 * m] = x->ready[m] ? (double)x->s[m].judge_done : 0;
        }
    }
    if (parm_dist_sum(v, (int)nv, rc)) { free(v); return -1; }
    for (int q = 0; q < ncell; q++) {
        cell *c = &x->cells[q / o->ncurve][q % o->ncurve];
        const double *d = v + (long)q * per;
        for (int t = 0; t < PARM_NTAGS; t++) { c->score.n[t] = (long)d[t]; c->score.correct[t] = (long)d[PARM_NTAGS + t]; }
        c->forwards = (long)d[2 * PARM_NTAGS];
        c->judge_calls = (long)d[2 * PARM_NTAGS + 1];
    }
    x->gen_seconds = v[(long)ncell * per];
    x->gen_forwards = (long)v[(long)ncell * per + 1];
    for (int m = 0; m < NS; m++)
        if (x->ready[m]) {
            x->s[m].judge_seconds = v[(long)ncell * per + 2 + 2 * m];
            x->s[m].judge_done = (long)v[(long)ncell * per + 3 + 2 * m];
        }
    free(v);
    for (int q = 0; q < ncell; q++) /* one byte a verdict */
        if (parm_dist_allgather_rows(x->cells[q / o->ncurve][q % o->ncurve].ok, 1, nimg, 0)) return -1;
    /* the per-image details, NUL-separated, method-major within each rank's block */
    size_t n = 0, cap = 1;
    char *buf = NULL;
    for (int m = 0; m < NS; m++)
        for (long k = klo; x->ready[m] && k < khi; k++) cap += strlen(x->extra[m][k]) + 1;
    int fail = !(buf = parm_malloc(cap));
    for (int m = 0; !fail && m < NS; m++)
        for (long k = klo; x->ready[m] && k < khi; k++) {
            size_t l = strlen(x->extra[m][k]) + 1;
            memcpy(buf + n, x->extra[m][k], l);
            n += l;
        }
    void *all = NULL;
    size_t total = 0;
    if (parm_dist_gather(buf, n, &all, &total, fail)) { free(buf); return -1; }
    free(buf);
    const char *at = all;
    for (int r = 0; parm_dist_rank() == 0 && r < parm_dist_size(); r++) {
        const long lo = nimg * r / parm_dist_size(), hi = nimg * (r + 1) / parm_dist_size();
        for (int m = 0; m < NS; m++)
            for (long k = lo; x->ready[m] && k < hi; k++) {
                const size_t l = strlen(at) + 1;
                if (r) {
                    const int i = (int)(k / o->per), j = (int)(k % o->per);
                    x->items[m][k].prompt = x->ps[i];
                    if (!(x->extra[m][k] = parm_strdup(at)) ||
                        parm_geneval_sample_path(x->items[m][k].path, sizeof x->items[m][k].path, x->dir[m], i, j)) {
                        free(all);
                        return -1;
                    }
                }
                at += l;
            }
    }
    (void)np;
    free(all);
    return 0;
}

/* compact table: one line per (method, n) */
static void print_table(const bench_row *rows, int nrows) {
    printf("%-9s %4s %7s %7s %7s %7s %7s %7s %8s %15s %9s %8s %8s\n", "method", "n", "single", "two", "count", "colors",
           "pos", "c_attr", "overall", "95% interval", "fwd/img", "judge/img", "s/img");
    for (int r = 0; r < nrows; r++) {
        const bench_row *b = &rows[r];
        printf("%-9s %4d", b->method, b->n);
        for (int t = 0; t < PARM_NTAGS; t++) {
            double a = parm_score_tag(&b->score, t);
            if (a < 0) printf(" %7s", "-");
            else printf(" %7.3f", a);
        }
        printf(" %8.3f  [%.3f, %.3f] %9.1f %9.1f %8.3f%s\n", parm_score_overall(&b->score), b->ci->overall_lo,
               b->ci->overall_hi, b->forwards, b->judge_calls, b->seconds, b->upper_bound ? "  (upper bound)" : "");
    }
    printf("95%% intervals of overall (of every category in --json and run.json): %s\n", CLI_CI_METHOD);
    printf("fwd: generator forward passes (one per path and step, fallback completions included); judge: images "
           "judged;\ns/img estimated from this run's measured seconds per forward and per judge call; oracle: the "
           "grader picks (not a method)\n");
}

/* a cell's 95 % intervals from its per-image verdicts (prompt-major) */
static int row_ci(const cell *x, const parm_prompt *ps, long nimg, int per, parm_outcome *tmp, parm_score_ci *ci) {
    for (long k = 0; k < nimg; k++)
        tmp[k] = (parm_outcome){.prompt = k / per, .tag = ps[k / per].tag, .correct = x->ok[k]};
    return bench_ci_of(tmp, nimg, ci);
}

int bench_replay(const bench_replay_opts *o) {
    parm_prompt *ps = NULL;
    int np, rc = 1, ready[NS] = {0};
    if (cli_load_prompts(o->meta, o->prompts_file, &ps, &np)) return cli_fail();
    cli_subset_prompts(ps, &np, o->limit, o->every);
    const long nimg = (long)np * o->per;
    const int nmax = o->curve[o->ncurve - 1];
    parm_searcher s[NS];
    parm_gen g;
    parm_vq vq;
    int have_g = 0, have_vq = 0;
    const int nsw = o->nsweep; /* ≤ BENCH_MAX_SWEEP: parse_sweep's bound */
    char swname[BENCH_MAX_SWEEP][64];
    cell(*cells)[PARM_SEARCH_MAX_PATHS] = parm_calloc(NS + nsw, sizeof *cells);
    signed char *okv = parm_calloc((size_t)(NS + nsw) * o->ncurve * nimg, 1);
    parm_outcome *outc = parm_malloc(sizeof *outc * nimg);
    parm_score_ci *cis = NULL;
    char **extra[NS] = {0};
    parm_grade_item *items[NS] = {0};
    parm_search_record rec;
    memset(&rec, 0, sizeof rec);
    char dir[NS][1024], err[1024] = "", altname[NM][48];
    if (!cells || !okv || !outc) goto done;
    for (int m = 0; m < NS + nsw; m++)
        for (int c = 0; c < o->ncurve; c++) cells[m][c].ok = okv + ((size_t)m * o->ncurve + c) * nimg;
    /* the methods, their judges (missing weights: skipped), their folders */
    for (int sl = 0; sl < NS; sl++) {
        const int m = sl % NM, alt = sl >= NM;
        if (m == PARM_SEARCH_PARMPP) continue; /* regenerates from its reflections: live only (--method parm++) */
        const parm_search_method_info *mi = &parm_search_methods[m];
        if (alt && (!o->judge_dir_alt || !mi->variant)) continue; /* alt rows: the judge methods only */
        snprintf(altname[m], sizeof altname[m], "%s-alt", mi->name);
        const char *name = alt ? altname[m] : mi->name, *jdir = alt ? o->judge_dir_alt : o->judge_dir;
        parm_search_opts so = parm_search_defaults(m);
        so.n = o->N;
        so.sample.steps = o->steps;
        so.judge_dir = jdir;
        so.clarity_thresh = o->gate.clarity_thresh;
        so.potential_thresh = o->gate.potential_thresh;
        so.keep = o->gate.keep;
        char jp[512];
        struct stat st;
        if (parm_search_judge_path(m, jdir, jp, sizeof jp)) goto fail;
        if (mi->variant && stat(jp, &st)) {
            fprintf(stderr, "parm bench: note: skipping %s: judge weights %s not found (train them with `parm train "
                            "judge --variant %s`)\n", name, jp, mi->variant);
            continue;
        }
        if (parm_search_open(&s[sl], NULL, NULL, &so)) goto fail;
        ready[sl] = 1;
        if (mi->variant && bench_prov_file(o->prov, name, s[sl].judge_path)) goto fail;
        if (!(extra[sl] = parm_calloc(nimg, sizeof *extra[sl]))) goto fail;
        if ((size_t)snprintf(dir[sl], sizeof dir[sl], "%s/%s", o->out, name) >= sizeof dir[sl]) {
            PARM_ERR("output folder '%s' too long", o->out);
            goto fail;
        }
        if (!(items[sl] = parm_malloc(sizeof *items[sl] * nimg)) || parm_mkdirs(dir[sl])) goto fail;
        for (int i = 0; i < np; i++)
            if (parm_geneval_write_prompt(dir[sl], i, &ps[i])) goto fail;
    }
    if (cli_load_gen_vq(&g, &vq, o->gen, o->vq)) goto fail;
    have_g = have_vq = 1;
    parm_sample_opts sample = parm_sample_defaults();
    sample.steps = o->steps;
    long klo, khi; /* this rank's images (parm/dist.h) */
    parm_dist_block(nimg, &klo, &khi);
    parm_progress prog;
    parm_progress_start(&prog, "bench all", "img", khi - klo);
    replay_ctx x = {.o = o, .ps = ps, .g = &g, .vq = &vq, .sample = &sample, .s = s, .ready = ready, .cells = cells,
                    .items = items, .extra = extra, .dir = dir, .rec = &rec};
    int lrc = 0;
    for (long k = klo; k < khi && !lrc; k++) {
        lrc = replay_image(&x, (int)(k / o->per), (int)(k % o->per), k);
        char extra_s[64];
        snprintf(extra_s, sizeof extra_s, "(%d paths each)", o->N);
        if (!lrc) parm_progress_update(&prog, k - klo + 1, extra_s);
    }
    if (parm_dist_size() > 1 ? replay_merge(&x, nimg, np, lrc) : lrc) goto fail;
    parm_progress_end(&prog, khi - klo, NULL);
    if (parm_dist_rank() != 0) { rc = 0; goto done; } /* rank 0 grades and writes */
    const double gen_seconds = x.gen_seconds;
    const long gen_forwards = x.gen_forwards;
    /* seconds: the unit costs measured over the whole run (see parm_search_replay) */
    const double per_fwd = gen_forwards ? gen_seconds / gen_forwards : 0;
    bench_row *rows = parm_malloc(sizeof *rows * (NS + nsw) * o->ncurve);
    cis = parm_malloc(sizeof *cis * (NS + nsw) * o->ncurve);
    int nrows = 0;
    if (!rows || !cis) { free(rows); goto fail; }
    for (int sl = 0; sl < NS; sl++) {
        if (!ready[sl]) continue;
        const int m = sl % NM;
        const char *name = sl >= NM ? altname[m] : parm_search_methods[m].name;
        char results[1100];
        snprintf(results, sizeof results, "%s/results.jsonl", dir[sl]);
        const int nc = m == PARM_SEARCH_BASELINE ? 1 : o->ncurve;
        parm_score chk;
        if (parm_grade_items(items[sl], (int)nimg, results, &chk) ||
            bench_results_finish(results, extra[sl], nimg, o->per, outc)) { free(rows); goto fail; }
        if (memcmp(&chk, &cells[sl][nc - 1].score, sizeof chk))
            fprintf(stderr, "parm bench: warning: %s: the written PNGs grade differently from the images in memory\n",
                    name);
        const double per_call = s[sl].judge_done ? s[sl].judge_seconds / s[sl].judge_done : 0;
        for (int c = 0; c < nc; c++) {
            const cell *x = &cells[sl][c];
            bench_row *b = &rows[nrows++];
            *b = (bench_row){.method = name, .n = m == PARM_SEARCH_BASELINE ? 1 : o->curve[c],
                             .score = x->score, .forwards = (double)x->forwards / nimg,
                             .judge_calls = (double)x->judge_calls / nimg, .upper_bound = parm_search_methods[m].upper_bound,
                             .seconds_estimated = 1};
            b->seconds = b->forwards * per_fwd + b->judge_calls * per_call;
            if (row_ci(x, ps, nimg, o->per, outc, &cis[nrows - 1])) { free(rows); goto fail; }
            b->ci = &cis[nrows - 1];
        }
        if (sl == PARM_SEARCH_PARM)
            for (int w = 0; w < nsw; w++) {
                snprintf(swname[w], sizeof swname[w], "parm@%g/%g/%g", o->sweep_keep[w], o->sweep_pot[w],
                         o->sweep_clar[w]);
                for (int c = 0; c < o->ncurve; c++) {
                    const cell *x = &cells[NS + w][c];
                    bench_row *b = &rows[nrows++];
                    *b = (bench_row){.method = swname[w], .n = o->curve[c], .score = x->score,
                                     .forwards = (double)x->forwards / nimg, .judge_calls = (double)x->judge_calls / nimg,
                                     .seconds_estimated = 1};
                    b->seconds = b->forwards * per_fwd + b->judge_calls * per_call;
                    if (row_ci(x, ps, nimg, o->per, outc, &cis[nrows - 1])) { free(rows); goto fail; }
                    b->ci = &cis[nrows - 1];
                }
            }
    }
    for (int r = 0; r < nrows; r++)
        if (bench_prov_row(o->prov, &rows[r])) { free(rows); goto fail; }
    if (bench_prov_write(o->prov, o->out, "METHOD/results.jsonl (n = the largest of the curve)")) { free(rows); goto fail; }
    if (o->json) {
        for (int r = 0; r < nrows; r++)
            if (bench_print_row(&rows[r], 1)) { free(rows); goto done; }
    } else {
        printf("methods table: %d prompts x %d images, %d paths x %d steps generated once per image (%.3f s per "
               "forward); GenEval folders (n = %d) under %s\n", np, o->per, o->N, o->steps, per_fwd, nmax, o->out);
        print_table(rows, nrows);
    }
    if (o->plot) { /* through the --json lines, so `parm plot` of them draws the same PNG */
        plot_row *pr = parm_malloc(sizeof *pr * nrows);
        int prc = !pr;
        char line[2048];
        for (int r = 0; r < nrows && !prc; r++)
            prc = bench_row_json(&rows[r], line, sizeof line) || plot_row_parse(line, rows[r].method, &pr[r]);
        if (!prc) prc = plot_rows_png(pr, nrows, NULL, o->plot, 0, 0);
        free(pr);
        if (prc) { free(rows); goto fail; }
        fprintf(o->json ? stderr : stdout, "scaling curve (overall score vs n): %s\n", o->plot);
    }
    free(rows);
    rc = 0;
    goto done;
fail:
    snprintf(err, sizeof err, "%s", parm_last_error());
    fprintf(stderr, "\nparm bench: error: %s\n", err);
done:
    parm_search_record_free(&rec);
    for (int m = 0; m < NS; m++) {
        if (ready[m]) parm_search_close(&s[m]);
        free(items[m]);
        for (long k = 0; extra[m] && k < nimg; k++) free(extra[m][k]);
        free(extra[m]);
    }
    free(okv);
    free(outc);
    free(cis);
    if (have_g) parm_gen_free(&g);
    if (have_vq) parm_vq_free(&vq);
    free(cells);
    free(ps);
    return rc;
}
