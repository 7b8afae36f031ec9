/* test_search.c — test-time verification (parm/search.h) with a tiny random
 * generator (the test fixture) and tiny random judges saved to a temp dir:
 * judge determinism and range; ORM picks the argmax of its judge; PARM's
 * early termination really skips generator steps (and a judge that always
 * says yes costs the full count); PARM's fallback returns the completed run
 * of the path with the highest P(potential); the oracle picks the first
 * grader-correct path (shipped generator); replay from recorded steps gives
 * the live runs' images, chosen paths, forward passes and judge calls; the
 * CLI (./parm, built by `make test` first): generate --method, bench with a
 * search method and bench --method all (replay) agree, bad values rejected;
 * bench --plot draws the same PNG as `parm plot` of its --json lines. */
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "parm.h"
#include "test.h"
#include "test_shell.h"

#define GEN_FIXTURE "tests/fixtures/gen_small.safetensors"
#define SZ ((size_t)PARM_IMG * PARM_IMG * 3)

static char dir[] = "/tmp/parm-test-search-XXXXXX";
static parm_gen G;
static parm_vq VQ;
static int models_ok;

/* A random tiny judge saved under dir/name. mode 0: random weights, head
 * scaled up so that P(yes) varies between images; mode ±1: head bias ±30 (always yes / always no); mode 2:
 * answers by question: sign[q] > 0 yes, < 0 no, whatever the input (the
 * question embedding is made to dominate the question token's state). */
static int make_judge(const char *name, uint64_t seed, int mode, const int *sign, char *path, size_t n) {
    parm_judge j;
    parm_judge_config c = {.L = 1, .C = 32, .NH = 2, .F = 64, .text_len = 16};
    if (parm_judge_init(&j, &c, seed)) return -1;
    float *hb = parm_w(&j.p, j.head_b), *hw = parm_w(&j.p, j.head_w), *qe = parm_w(&j.p, j.q_emb);
    if (mode == 0)
        for (int k = 0; k < c.C; k++) hw[k] *= 100.0f;
    if (mode == 1 || mode == -1) hb[0] = 30.0f * mode;
    if (mode == 2)
        for (int k = 0; k < c.C; k++) {
            float u = k % 2 ? 1.0f : -1.0f; /* zero mean: LN_f keeps its sign */
            hw[k] = u;
            for (int q = 0; q < PARM_JUDGE_NQ; q++) qe[q * c.C + k] = 100.0f * (float)sign[q] * u;
        }
    snprintf(path, n, "%s/%s.safetensors", dir, name);
    int rc = parm_judge_save(&j, path, PARM_F32);
    parm_judge_free(&j);
    return rc;
}

static parm_search_opts opts(int method, int n, int steps, const char *judge) {
    parm_search_opts o = parm_search_defaults(method);
    o.n = n;
    o.sample.steps = steps;
    o.judge = judge;
    return o;
}

/* images of paths 0..n-1 of seed s, full runs (the sampler alone) */
static int full_runs(const parm_prompt *p, uint64_t s, int n, int steps, uint8_t *rgb, parm_gen *g, parm_vq *vq) {
    uint64_t seeds[PARM_SEARCH_MAX_PATHS];
    for (int k = 0; k < n; k++) seeds[k] = s + PARM_SEARCH_SEED_STRIDE * (uint64_t)k;
    parm_sample_opts o = parm_sample_defaults();
    o.steps = steps;
    return parm_sample(g, vq, p, n, seeds, &o, rgb, NULL);
}

static void test_methods_table(void) {
    CHECK(parm_search_method_find("parm") == PARM_SEARCH_PARM && parm_search_method_find("orm-zs") == PARM_SEARCH_ORM_ZS,
          "method names");
    CHECK(parm_search_method_find("best") < 0 && strstr(parm_last_error(), "'best'") &&
              strstr(parm_last_error(), "oracle"), "error: %s", parm_last_error());
    char buf[256];
    CHECK(parm_search_judge_path(PARM_SEARCH_PRM, "some/dir", buf, sizeof buf) == 0 &&
              !strcmp(buf, "some/dir/judge_prm.safetensors"), "judge path '%s'", buf);
    /* the library has no default folder (that is CLI policy): NULL is an error naming the method */
    CHECK(parm_search_judge_path(PARM_SEARCH_PRM, NULL, buf, sizeof buf) < 0 && strstr(parm_last_error(), "prm"),
          "no judge folder: %s", parm_last_error());
    parm_search_opts o = opts(PARM_SEARCH_ORM, 2, 4, NULL);
    o.judge_dir = dir; /* nothing there: a clear error naming the file */
    parm_searcher s;
    CHECK(parm_search_open(&s, &G, &VQ, &o) < 0 && strstr(parm_last_error(), "judge_orm.safetensors") &&
              strstr(parm_last_error(), "--variant orm"), "missing judge: %s", parm_last_error());
}

static void test_judge_determinism_and_range(void) {
    char jp[512];
    CHECK(make_judge("det", 5, 0, NULL, jp, sizeof jp) == 0, "%s", parm_last_error());
    parm_judge a, b;
    CHECK(parm_judge_load(&a, jp) == 0 && parm_judge_load(&b, jp) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    parm_prompt p;
    parm_prompt_parse("a photo of a red star", &p);
    enum { N = 3 };
    static uint8_t img[N * SZ];
    CHECK(full_runs(&p, 1, N, 4, img, &G, &VQ) == 0, "%s", parm_last_error());
    const char *text = p.text;
    int bad = 0, diff = 0;
    for (int q = 0; q < PARM_JUDGE_NQ; q++)
        for (int i = 0; i < N; i++) {
            float x, y, z;
            CHECK(parm_judge_prob(&a, q, &text, 1, img + SZ * i, 1, &x) == 0 &&
                      parm_judge_prob(&a, q, &text, 1, img + SZ * i, 1, &y) == 0 &&
                      parm_judge_prob(&b, q, &text, 1, img + SZ * i, 1, &z) == 0, "%s", parm_last_error());
            bad += !(x >= 0 && x <= 1);
            diff += memcmp(&x, &y, sizeof x) || memcmp(&x, &z, sizeof x);
        }
    CHECK(bad == 0 && diff == 0, "%d probabilities outside [0,1], %d not reproduced", bad, diff);
    parm_judge_free(&a);
    parm_judge_free(&b);
}

static void test_orm_picks_argmax(void) {
    char jp[512];
    CHECK(make_judge("orm", 7, 0, NULL, jp, sizeof jp) == 0, "%s", parm_last_error());
    parm_search_opts o = opts(PARM_SEARCH_ORM, 5, 4, jp);
    parm_searcher s;
    CHECK(parm_search_open(&s, &G, &VQ, &o) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    parm_prompt p;
    parm_prompt_parse("a photo of a blue circle", &p);
    uint64_t seed = 3;
    static uint8_t out[SZ], all[5 * SZ];
    static parm_search_result r;
    CHECK(parm_search_run(&s, &p, 1, &seed, out, &r, NULL) == 0, "%s", parm_last_error());
    CHECK(full_runs(&p, seed, 5, 4, all, &G, &VQ) == 0, "%s", parm_last_error());
    float pr[5];
    const char *text = p.text;
    int best = 0;
    for (int k = 0; k < 5; k++) {
        CHECK(parm_judge_prob(&s.judge, PARM_Q_MATCH, &text, 1, all + SZ * k, 1, &pr[k]) == 0, "%s", parm_last_error());
        if (pr[k] > pr[best]) best = k;
        CHECK(pr[k] == r.path[k].score, "path %d score %g, judge on its full run %g", k, r.path[k].score, pr[k]);
    }
    printf("    orm: P(match) %.4f %.4f %.4f %.4f %.4f -> path %d\n", pr[0], pr[1], pr[2], pr[3], pr[4], r.chosen);
    CHECK(r.chosen == best && !memcmp(out, all + SZ * best, SZ), "chose %d, argmax %d", r.chosen, best);
    CHECK(r.gen_forwards == 5 * 4 && r.judge_calls == 5, "costs %ld forwards, %ld judge calls", r.gen_forwards,
          r.judge_calls);
    parm_search_close(&s);
}

static void test_parm_early_termination(void) {
    enum { N = 4, T = 5 };
    const int clear_no_potential[PARM_JUDGE_NQ] = {1, 1, -1, 1};
    char jno[512], jyes[512], jnever[512];
    CHECK(make_judge("hopeless", 1, 2, clear_no_potential, jno, sizeof jno) == 0 &&
              make_judge("yes", 2, 1, NULL, jyes, sizeof jyes) == 0 &&
              make_judge("no", 3, -1, NULL, jnever, sizeof jnever) == 0, "%s", parm_last_error());
    parm_prompt p;
    parm_prompt_parse("a photo of three crosses", &p);
    uint64_t seed = 9;
    static uint8_t out[SZ];
    static parm_search_result r;
    parm_searcher s;
    /* the absolute gate (P(potential) < 0.5 stops a path) alone */
#define ABSOLUTE_GATE(o) ((o).potential_thresh = 0.5f, (o).keep = 0.0f)
    /* clear at once, no potential: every path terminated after its first step */
    parm_search_opts o = opts(PARM_SEARCH_PARM, N, T, jno);
    ABSOLUTE_GATE(o);
    CHECK(parm_search_open(&s, &G, &VQ, &o) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    CHECK(parm_search_run(&s, &p, 1, &seed, out, &r, NULL) == 0, "%s", parm_last_error());
    parm_search_close(&s);
    printf("    parm, no potential: %ld forwards (full %d), %ld judge calls, survivors %d, fallback %d\n",
           r.gen_forwards, N * T, r.judge_calls, r.survivors, r.fallback);
    CHECK(r.gen_forwards == N + (T - 1) && r.gen_forwards < N * T, "forwards %ld, want %d (each path 1 step, the "
          "fallback completed)", r.gen_forwards, N + T - 1);
    CHECK(r.survivors == 0 && r.fallback == 1 && r.judge_calls == 2 * N, "survivors %d fallback %d calls %ld",
          r.survivors, r.fallback, r.judge_calls);
    for (int k = 0; k < N; k++)
        CHECK(r.path[k].stop_step == 0 && r.path[k].forwards == 1 && r.path[k].potential < 0.5f, "path %d", k);
    /* always yes: clear and promising at step 0, every path runs to the end */
    o = opts(PARM_SEARCH_PARM, N, T, jyes);
    ABSOLUTE_GATE(o);
    CHECK(parm_search_open(&s, &G, &VQ, &o) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    CHECK(parm_search_run(&s, &p, 1, &seed, out, &r, NULL) == 0, "%s", parm_last_error());
    parm_search_close(&s);
    CHECK(r.gen_forwards == N * T && r.survivors == N && r.fallback == 0 && r.judge_calls == 3 * N,
          "always yes: forwards %ld (want %d), survivors %d, calls %ld (want %d)", r.gen_forwards, N * T, r.survivors,
          r.judge_calls, 3 * N);
    /* always no: never clear before the last step, so nothing is skipped; no potential there: fallback */
    o = opts(PARM_SEARCH_PARM, N, T, jnever);
    ABSOLUTE_GATE(o);
    CHECK(parm_search_open(&s, &G, &VQ, &o) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    CHECK(parm_search_run(&s, &p, 1, &seed, out, &r, NULL) == 0, "%s", parm_last_error());
    parm_search_close(&s);
    CHECK(r.gen_forwards == N * T && r.survivors == 0 && r.fallback == 1 && r.judge_calls == N * T,
          "always no: forwards %ld, survivors %d, fallback %d, calls %ld (want %d: %d clarity + 1 potential per path)",
          r.gen_forwards, r.survivors, r.fallback, r.judge_calls, N * T, T - 1);
    /* the default, relative gate with the always-yes judge: clear at step 0 with equal P(potential), so
       ties go to the lower index: paths 0..N'-1 survive, the rest stop after one step */
    o = opts(PARM_SEARCH_PARM, N, T, jyes);
    CHECK(o.keep > 0 && o.potential_thresh == 0.0f, "the default gate is relative (keep %g, threshold %g)", o.keep,
          o.potential_thresh);
    CHECK(parm_search_open(&s, &G, &VQ, &o) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    CHECK(parm_search_run(&s, &p, 1, &seed, out, &r, NULL) == 0, "%s", parm_last_error());
    parm_search_close(&s);
    const int keep = (int)fmaxf(1.0f, floorf(o.keep * N + 0.5f));
    CHECK(r.survivors == keep && r.gen_forwards == keep * T + (N - keep) && r.chosen < keep,
          "relative gate: survivors %d (want %d), forwards %ld (want %d), chose %d", r.survivors, keep, r.gen_forwards,
          keep * T + (N - keep), r.chosen);
#undef ABSOLUTE_GATE
}

static void test_parm_fallback_is_completed_run(void) {
    enum { N = 5, T = 6 };
    char jp[512];
    CHECK(make_judge("fallback", 11, 0, NULL, jp, sizeof jp) == 0, "%s", parm_last_error());
    parm_search_opts o = opts(PARM_SEARCH_PARM, N, T, jp);
    o.clarity_thresh = 0.0f;    /* clear at once */
    o.potential_thresh = 1.01f; /* but no path ever has enough potential */
    o.keep = 0.0f;
    parm_searcher s;
    CHECK(parm_search_open(&s, &G, &VQ, &o) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    parm_prompt p;
    parm_prompt_parse("a photo of a green heart", &p);
    uint64_t seed = 21;
    static uint8_t out[SZ], all[N * SZ], trace[N * T * SZ];
    static parm_search_result r;
    CHECK(parm_search_run(&s, &p, 1, &seed, out, &r, trace) == 0, "%s", parm_last_error());
    CHECK(full_runs(&p, seed, N, T, all, &G, &VQ) == 0, "%s", parm_last_error());
    int best = 0, stopped = 0, spent = 0;
    for (int k = 0; k < N; k++) {
        if (r.path[k].potential > r.path[best].potential) best = k;
        stopped += r.path[k].stop_step >= 0;
        spent += r.path[k].forwards;
    }
    printf("    parm fallback: clear at steps %d %d %d %d %d; chose path %d (P(potential) %.4f)\n", r.path[0].clear_step,
           r.path[1].clear_step, r.path[2].clear_step, r.path[3].clear_step, r.path[4].clear_step, r.chosen,
           r.path[r.chosen].potential);
    CHECK(stopped == N && r.survivors == 0 && r.fallback == 1 && spent == N, "stopped %d survivors %d fallback %d "
          "forwards before the fallback %d", stopped, r.survivors, r.fallback, spent);
    CHECK(r.chosen == best, "chose %d, highest P(potential) is path %d", r.chosen, best);
    CHECK(!memcmp(out, all + SZ * best, SZ), "fallback image differs from the full run of path %d", best);
    CHECK(!memcmp(trace + SZ * ((size_t)best * T + T - 1), out, SZ), "trace's last column is not the fallback image");
    CHECK(r.gen_forwards == spent + (T - r.path[best].forwards), "forwards %ld: %d spent + completion %d",
          r.gen_forwards, spent, T - r.path[best].forwards);
    parm_search_close(&s);
}

/* The shipped generator: the oracle takes the first path the grader accepts. */
static void test_oracle_picks_correct_path(void) {
    parm_gen g;
    parm_vq vq;
    CHECK(parm_gen_load(&g, "weights/gen.safetensors") == 0 && parm_vq_load(&vq, "weights/vq.safetensors") == 0, "%s",
          parm_last_error());
    if (test_checks_failed_) return;
    enum { N = 6 };
    parm_prompt p;
    parm_prompt_parse("a photo of a circle", &p);
    uint64_t seed = 1; /* when the weights shipped: paths 1, 3, 4 correct */
    parm_search_opts o = opts(PARM_SEARCH_ORACLE, N, 12, NULL);
    parm_searcher s;
    static uint8_t out[SZ], all[N * SZ];
    static parm_search_result r;
    CHECK(parm_search_open(&s, &g, &vq, &o) == 0 && parm_search_run(&s, &p, 1, &seed, out, &r, NULL) == 0, "%s",
          parm_last_error());
    CHECK(full_runs(&p, seed, N, 12, all, &g, &vq) == 0, "%s", parm_last_error());
    int first = -1, ncorrect = 0;
    for (int k = N - 1; k >= 0; k--)
        if (parm_grade(all + SZ * k, &p, NULL, 0) == 1) { first = k; ncorrect++; }
    printf("    oracle: %d of %d paths correct, first %d, chose %d\n", ncorrect, N, first, r.chosen);
    CHECK(first >= 0, "no path correct: the test needs a seed where one is");
    CHECK(r.chosen == first && parm_grade(out, &p, NULL, 0) == 1 && r.judge_calls == 0, "chose %d", r.chosen);
    parm_search_close(&s);
    parm_gen_free(&g);
    parm_vq_free(&vq);
}

static int same_result(const parm_search_result *a, const parm_search_result *b, const char *what, int n) {
    int ok = a->chosen == b->chosen && a->gen_forwards == b->gen_forwards && a->judge_calls == b->judge_calls &&
             a->survivors == b->survivors && a->fallback == b->fallback;
    for (int k = 0; k < a->n && ok; k++)
        ok = a->path[k].forwards == b->path[k].forwards && a->path[k].judge_calls == b->path[k].judge_calls &&
             a->path[k].stop_step == b->path[k].stop_step;
    if (!ok)
        fprintf(stderr, "    %s n=%d: live chose %d (%ld fwd, %ld calls, surv %d, fb %d), replay %d (%ld, %ld, %d, %d)\n",
                what, n, a->chosen, a->gen_forwards, a->judge_calls, a->survivors, a->fallback, b->chosen,
                b->gen_forwards, b->judge_calls, b->survivors, b->fallback);
    return ok;
}

/* A quantile of P(yes) to question q over every recorded step image: PARM
 * thresholds that make a random judge both stop and keep paths. */
static float quantile_prob(const char *judge, int q, parm_search_record *rec, int nrec, double f) {
    parm_judge j;
    if (parm_judge_load(&j, judge)) return NAN;
    int n = 0, cap = nrec * rec[0].N * rec[0].T;
    float *pr = malloc(sizeof *pr * cap), med = NAN;
    const char *text = rec[0].prompt.text;
    for (int r = 0; r < nrec && pr; r++)
        for (int i = 0; i < rec[r].N * rec[r].T; i++)
            if (parm_judge_prob(&j, q, &text, 1, rec[r].steps + SZ * i, 1, &pr[n++])) n = -cap;
    if (n > 0) {
        for (int a = 1; a < n; a++) /* insertion sort */
            for (int b = a; b > 0 && pr[b - 1] > pr[b]; b--) { float t = pr[b]; pr[b] = pr[b - 1]; pr[b - 1] = t; }
        med = pr[(int)(f * (n - 1))];
    }
    free(pr);
    parm_judge_free(&j);
    return med;
}

/* Live runs with n paths (2 images batched) == replay of the first n of N recorded paths. */
static void test_live_equals_replay(void) {
    enum { N = 4, T = 4, NIMG = 2 };
    const char *prompts[2] = {"a photo of a yellow ring", "a photo of two crosses"};
    const int methods[] = {PARM_SEARCH_BASELINE, PARM_SEARCH_ORM, PARM_SEARCH_PRM, PARM_SEARCH_PARM,
                           PARM_SEARCH_ORACLE};
    const int nm = sizeof methods / sizeof methods[0];
    char jp[PARM_SEARCH_NMETHODS][512];
    for (int i = 0; i < nm; i++) {
        int m = methods[i];
        char name[32];
        snprintf(name, sizeof name, "replay_%s", parm_search_methods[m].name);
        CHECK(make_judge(name, 100 + m, 0, NULL, jp[m], sizeof jp[m]) == 0, "%s", parm_last_error());
    }
    if (test_checks_failed_) return;
    static uint8_t live_img[NIMG * SZ], rep_img[SZ];
    static parm_search_result lr[NIMG], rr;
    int compared = 0, stops = 0, early = 0, survivors = 0, fallbacks = 0, rel_checked = 0, rel_early = 0;
    for (int pi = 0; pi < 2; pi++) {
        parm_prompt p;
        CHECK(parm_prompt_parse(prompts[pi], &p) == 0, "%s", parm_last_error());
        uint64_t seeds[NIMG] = {(uint64_t)pi * 10, (uint64_t)pi * 10 + 1};
        parm_search_record rec[NIMG];
        parm_sample_opts so = parm_sample_defaults();
        so.steps = T;
        CHECK(parm_search_record_paths(&G, &VQ, &p, NIMG, seeds, N, &so, rec) == 0, "%s", parm_last_error());
        if (test_checks_failed_) return;
        float clar = quantile_prob(jp[PARM_SEARCH_PARM], PARM_Q_CLARITY, rec, NIMG, 0.5);
        float pot = quantile_prob(jp[PARM_SEARCH_PARM], PARM_Q_POTENTIAL, rec, NIMG, 0.9);
        CHECK(clar == clar && pot == pot, "%s", parm_last_error());
        for (int i = 0; i < nm + 1; i++) { /* the last: PARM with the relative gate (keep) alone */
            const int m = i < nm ? methods[i] : PARM_SEARCH_PARM, rel = i == nm;
            parm_searcher live, rep;
            parm_search_opts o = opts(m, N, T, jp[m]);
            o.clarity_thresh = clar;
            o.potential_thresh = rel ? 0.0f : pot;
            o.keep = rel ? 0.34f : 0.0f;
            CHECK(parm_search_open(&rep, NULL, NULL, &o) == 0, "%s", parm_last_error());
            for (int n = 1; n <= N && !test_checks_failed_; n++) {
                o.n = n;
                CHECK(parm_search_open(&live, &G, &VQ, &o) == 0, "%s", parm_last_error());
                CHECK(parm_search_run(&live, &p, NIMG, seeds, live_img, lr, NULL) == 0, "%s", parm_last_error());
                parm_search_close(&live);
                for (int j = 0; j < NIMG; j++) {
                    CHECK(parm_search_replay(&rep, &rec[j], n, rep_img, &rr) == 0, "%s", parm_last_error());
                    CHECK(same_result(&lr[j], &rr, parm_search_methods[m].name, n), "%s n=%d image %d",
                          parm_search_methods[m].name, n, j);
                    CHECK(!memcmp(live_img + SZ * j, rep_img, SZ), "%s n=%d image %d: images differ",
                          parm_search_methods[m].name, n, j);
                    compared++;
                    if (m == PARM_SEARCH_PARM) {
                        for (int k = 0; k < rr.n; k++) {
                            stops += rr.path[k].stop_step >= 0;
                            early += rr.path[k].stop_step >= 0 && rr.path[k].stop_step < T - 1;
                        }
                        survivors += rr.survivors;
                        fallbacks += rr.fallback;
                    }
                    if (rel) { /* survivors: exactly the best N' = round(0.34 n) by P(potential) */
                        const int keep = (int)fmaxf(1.0f, floorf(0.34f * n + 0.5f));
                        int ok = rr.survivors == keep;
                        for (int k = 0; k < rr.n; k++) {
                            int above = 0;
                            for (int q = 0; q < rr.n; q++)
                                above += rr.path[q].potential > rr.path[k].potential ||
                                         (rr.path[q].potential == rr.path[k].potential && q < k);
                            ok &= (rr.path[k].stop_step < 0) == (above < keep);
                        }
                        rel_checked += ok;
                        rel_early += rr.gen_forwards < (long)n * T;
                        CHECK(ok, "keep 0.34, n=%d image %d: %d survivors, not the top %d by potential", n, j,
                              rr.survivors, keep);
                    }
                }
            }
            parm_search_close(&rep);
        }
        for (int j = 0; j < NIMG; j++) parm_search_record_free(&rec[j]);
    }
    printf("    %d live/replay results compared; parm: %d path stops (%d before the last step), %d survivors, "
           "%d fallbacks\n", compared, stops, early, survivors, fallbacks);
    CHECK(early > 0 && survivors > 0 && fallbacks > 0, "the PARM judge should stop paths early, keep some and fall back");
    printf("    parm keep 0.34: %d results with the top N' by potential as survivors, %d with forwards saved\n",
           rel_checked, rel_early);
    CHECK(rel_early > 0, "the relative gate never stopped a path before its last step");
}


/* The JSON line of text holding pat, as (score part before "method", counts
 * from "gen_forwards_per_image" up to "seconds_per_image"); 0 if absent. */
static int row_parts(const char *text, const char *pat, const char **a, int *na, const char **b, int *nb) {
    const char *r = strstr(text, pat);
    if (!r) return 0;
    while (r > text && r[-1] != '\n') r--;
    const char *m = strstr(r, ", \"method\""), *g = strstr(r, "\"gen_forwards_per_image\""),
               *s = strstr(r, ", \"seconds_per_image\"");
    if (!m || !g || !s || s < g) return 0;
    *a = r, *na = (int)(m - r), *b = g, *nb = (int)(s - g);
    return 1;
}
/* the same score and counts in the rows holding pat1 in t1 and pat2 in t2 (method names and seconds aside) */
static int same_rows(const char *t1, const char *pat1, const char *t2, const char *pat2) {
    const char *a1, *b1, *a2, *b2;
    int na1, nb1, na2, nb2;
    return row_parts(t1, pat1, &a1, &na1, &b1, &nb1) && row_parts(t2, pat2, &a2, &na2, &b2, &nb2) && na1 == na2 &&
           nb1 == nb2 && !strncmp(a1, a2, na1) && !strncmp(b1, b2, nb1);
}

/* The shipped generator through ./parm, with random judges in dir/judges. */
static void test_cli(void) {
    struct stat st;
    if (stat("./parm", &st)) { CHECK(0, "./parm not built (make parm)"); return; }
    char jd[600], jp[700], cmd[3000];
    snprintf(jd, sizeof jd, "%s/judges", dir);
    CHECK(parm_mkdirs(jd) == 0, "%s", parm_last_error());
    const char *variants[] = {"orm-zs", "orm", "prm", "parm"};
    for (int v = 0; v < 4; v++) {
        char name[64];
        snprintf(name, sizeof name, "judges/judge_%s", variants[v]);
        CHECK(make_judge(name, 40 + v, 0, NULL, jp, sizeof jp) == 0, "%s", parm_last_error());
    }
    /* generate: the chosen image and the costs; baseline = the plain generator */
    snprintf(cmd, sizeof cmd, "./parm generate --prompt 'a photo of a red star' --method parm -n 3 --steps 4 "
             "--judge-dir %s -o %s/g.png --trace %s/t.png", jd, dir, dir);
    CHECK(sh("%s", cmd) == 0, "generate --method parm");
    char *o = slurp("out");
    CHECK(strstr(o, "chose path") && strstr(o, "generator forward passes") && strstr(o, "judge calls"), "%s", o);
    free(o);
    uint8_t *a = NULL, *b = NULL;
    int w = 0, h = 0, w2 = 0, h2 = 0;
    char pa[700], pb[700];
    snprintf(pa, sizeof pa, "%s/t.png", dir);
    /* 4 steps x 3 paths, 4 px apart, step numbers above (11 px), path labels left (24 px) */
    CHECK(parm_png_read(pa, &a, &w, &h) == 0 && w == 24 + 4 * 68 + 4 && h == 11 + 3 * 68 + 4, "trace %dx%d", w, h);
    free(a);
    snprintf(cmd, sizeof cmd, "./parm generate --prompt 'a photo of a red star' --method baseline --steps 4 -o %s/a.png "
             "&& ./parm generate --prompt 'a photo of a red star' --steps 4 -o %s/b.png", dir, dir);
    CHECK(sh("%s", cmd) == 0, "generate baseline / plain");
    snprintf(pa, sizeof pa, "%s/a.png", dir);
    snprintf(pb, sizeof pb, "%s/b.png", dir);
    CHECK(parm_png_read(pa, &a, &w, &h) == 0 && parm_png_read(pb, &b, &w2, &h2) == 0 && w == w2 && h == h2 &&
              !memcmp(a, b, SZ), "--method baseline differs from plain generate");
    free(a);
    free(b);
    /* bad values: one line quoting the value and listing the choices */
    CHECK(sh("./parm generate --prompt 'a photo of a red star' --method best -o x.png") == 2, "bad method exits 2");
    o = slurp("err");
    CHECK(strstr(o, "'best'") && strstr(o, "parm, oracle") && lines(o) == 1, "%s", o);
    free(o);
    CHECK(sh("./parm bench --method all --curve 1,zz") == 2, "bad curve exits 2");
    o = slurp("err");
    CHECK(strstr(o, "'1,zz'") && lines(o) == 1, "%s", o);
    free(o);
    /* bench --method parm (live) == its column in bench --method all (replay) */
    const char *common = "--prompts 2 --images-per-prompt 2 --steps 3 --json";
    snprintf(cmd, sizeof cmd, "./parm bench --method parm -n 3 --judge-dir %s --out %s/live %s", jd, dir, common);
    CHECK(sh("%s", cmd) == 0, "bench --method parm");
    char *live = slurp("out");
    CHECK(strstr(live, "\"method\": \"parm\", \"n\": 3") && strstr(live, "\"gen_forwards_per_image\"") &&
              strstr(live, "\"judge_calls_per_image\"") && strstr(live, "\"seconds_per_image\"") &&
              lines(live) == 1, "%s", live);
    snprintf(cmd, sizeof cmd, "./parm bench --method all -n 3 --curve 1,3 --judge-dir %s --out %s/all "
             "--plot %s/curve.png %s", jd, dir, dir, common);
    CHECK(sh("%s", cmd) == 0, "bench --method all");
    char *all = slurp("out");
    CHECK(lines(all) == 1 + 4 * 2 + 2, "want 11 JSON lines (baseline once, 5 methods x 2 n): %s", all);
    /* --plot: the scaling curve; `parm plot` of the printed JSON lines redraws the same PNG */
    char pj[700];
    snprintf(pj, sizeof pj, "%s/all.jsonl", dir);
    FILE *jf = fopen(pj, "w");
    if (jf) { fputs(all, jf); fclose(jf); }
    snprintf(cmd, sizeof cmd, "./parm plot --json %s -o %s/curve2.png", pj, dir);
    CHECK(jf && sh("%s", cmd) == 0, "parm plot of bench --json lines");
    snprintf(pa, sizeof pa, "%s/curve.png", dir);
    snprintf(pb, sizeof pb, "%s/curve2.png", dir);
    CHECK(parm_png_read(pa, &a, &w, &h) == 0 && parm_png_read(pb, &b, &w2, &h2) == 0 && w == 640 && h == 420 &&
              w2 == w && h2 == h && !memcmp(a, b, (size_t)w * h * 3), "bench --plot != parm plot of its JSON (%dx%d)",
          w, h);
    free(a);
    free(b);
    a = b = NULL;
    /* same score and counts (seconds differ: measured vs estimated) */
    char *l = strstr(live, "{"), *r = strstr(all, "\"method\": \"parm\", \"n\": 3");
    if (l && r) {
        while (r > all && r[-1] != '\n') r--;
        char *lc = strstr(l, ", \"seconds_per_image\""), *rc = strstr(r, ", \"seconds_per_image\"");
        CHECK(lc && rc && lc - l == rc - r && !strncmp(l, r, lc - l), "live %.*s\nreplay %.*s", (int)(lc - l), l,
              (int)(rc - r), r);
    } else CHECK(0, "missing parm rows: %s", all);
    /* --sweep: a row under the default gate equals the parm row; one under another gate (clarity too, so
       re-judged) equals a live run with that gate */
    snprintf(cmd, sizeof cmd, "./parm bench --method all -n 3 --curve 1,3 --judge-dir %s --out %s/sweep "
             "--sweep 0.3/0/0.5,0.5/0.2/0.7 %s", jd, dir, common);
    CHECK(sh("%s", cmd) == 0, "bench --method all --sweep");
    char *sw = slurp("out");
    CHECK(lines(sw) == 1 + 4 * 2 + 2 + 2 * 2, "want 15 JSON lines (11 + 2 sweep gates x 2 n): %s", sw);
    CHECK(same_rows(sw, "\"parm\", \"n\": 3", sw, "\"parm@0.3/0/0.5\", \"n\": 3") &&
              same_rows(sw, "\"parm\", \"n\": 1", sw, "\"parm@0.3/0/0.5\", \"n\": 1"),
          "the sweep row of the default gate differs from the parm row: %s", sw);
    snprintf(cmd, sizeof cmd, "./parm bench --method parm -n 3 --keep 0.5 --potential-thresh 0.2 --clarity-thresh 0.7 "
             "--judge-dir %s --out %s/live2 %s", jd, dir, common);
    CHECK(sh("%s", cmd) == 0, "bench --method parm with another gate");
    char *live2 = slurp("out");
    CHECK(same_rows(live2, "\"parm\", \"n\": 3", sw, "\"parm@0.5/0.2/0.7\", \"n\": 3"),
          "live run with gate 0.5/0.2/0.7 differs from its sweep row:\n%s%s", live2, sw);
    free(live2);
    free(sw);
    for (int m = 0; m < PARM_SEARCH_NMETHODS; m++) {
        if (m == PARM_SEARCH_PARMPP) continue; /* live only: not part of --method all */
        char p[800];
        snprintf(p, sizeof p, "%s/all/%s/results.jsonl", dir, parm_search_methods[m].name);
        char *d = NULL;
        CHECK(parm_read_file(p, &d, NULL) == 0 && lines(d) == 4, "%s", p);
        free(d);
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            snprintf(pa, sizeof pa, "%s/live/%05d/samples/%04d.png", dir, i, j);
            snprintf(pb, sizeof pb, "%s/all/parm/%05d/samples/%04d.png", dir, i, j);
            CHECK(parm_png_read(pa, &a, &w, &h) == 0 && parm_png_read(pb, &b, &w2, &h2) == 0 && !memcmp(a, b, SZ),
                  "prompt %d image %d: live and replay images differ", i, j);
            free(a);
            free(b);
            a = b = NULL;
        }
    free(live);
    free(all);
    /* a missing judge is a note in all mode, an error for the method itself */
    snprintf(cmd, sizeof cmd, "./parm bench --method all -n 2 --prompts 1 --images-per-prompt 1 --steps 2 "
             "--judge-dir %s/none --out %s/skip --json", dir, dir);
    CHECK(sh("%s", cmd) == 0, "bench all without judges");
    o = slurp("err");
    CHECK(strstr(o, "skipping parm") && strstr(o, "judge_parm.safetensors"), "%s", o);
    free(o);
    o = slurp("out");
    CHECK(lines(o) == 3, "baseline + oracle x 2: %s", o);
    free(o);
}

int main(void) {
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    test_shell_dir = dir;
    parm_vq_config vc = {.width = 8, .dim = 4, .ncodes = 16, .beta = 0.25f};
    models_ok = parm_gen_load(&G, GEN_FIXTURE) == 0 && parm_vq_init(&VQ, &vc, 3) == 0;
    if (!models_ok) {
        fprintf(stderr, "cannot load the tiny models: %s\n", parm_last_error());
        printf("0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_methods_table);
    RUN(test_judge_determinism_and_range);
    RUN(test_orm_picks_argmax);
    RUN(test_parm_early_termination);
    RUN(test_parm_fallback_is_completed_run);
    RUN(test_oracle_picks_correct_path);
    RUN(test_live_equals_replay);
    RUN(test_cli);
    parm_gen_free(&G);
    parm_vq_free(&VQ);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
    return TEST_SUMMARY();
}
