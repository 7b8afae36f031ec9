/* search.c — test-time verification over the sampler's paths (paper §3–4):
 * baseline, ORM (zero-shot / fine-tuned), PRM, PARM and the oracle, live
 * (parm_search_run) or replayed from recorded step images
 * (parm_search_record_paths + parm_search_replay).
 *
 * The method switch picks two verifier pieces that both modes share, so a
 * replay takes exactly the decisions a live run takes:
 *   verify_step   after step t of one path (PRM: P(step); PARM: clarity, then
 *                 potential once clear);
 *   gate_step     PARM, after each lockstep step, over an image's n paths:
 *                 terminates clear paths with no potential (absolute
 *                 threshold) or outside the best N' by potential (keep);
 *   verify_final  on a finished, unterminated path (ORM/PARM: P(match);
 *                 PRM: mean step score; oracle: the grader);
 * and select() picks one path of an image from those per-path verdicts
 * (PARM: best surviving path, else the fallback: the terminated path with
 * the highest P(potential), i.e. the lowest "no", run to completion).
 * Judge calls are always one image each: the judge's batched forward is not
 * bit-exact across batch sizes, single calls are (and no slower). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parm/search.h"

#define SZ ((size_t)PARM_IMG * PARM_IMG * 3)

const parm_search_method_info parm_search_methods[PARM_SEARCH_NMETHODS] = {
    {"baseline", "one path, the default sampler (path 0 = the plain generator's image)", NULL, 0, 0},
    {"orm-zs", "best of N final images by the zero-shot judge's P(match)", "orm-zs", 0, 0},
    {"orm", "best of N final images by the fine-tuned ORM's P(match)", "orm", 0, 0},
    {"prm", "best of N by the mean P(step) of every step image", "prm", 1, 0},
    {"parm", "clarity -> potential per step, hopeless paths terminated, best surviving P(match)", "parm", 1, 0},
    {"oracle", "the grader picks the first correct path (upper bound, not a method)", NULL, 0, 1},
    {"parm++", "PARM, then up to --rounds rounds: the judge reflects, the self-correction generator regenerates", "parm",
     1, 0},
};

int parm_search_method_find(const char *name) {
    for (int m = 0; m < PARM_SEARCH_NMETHODS; m++)
        if (name && !strcmp(name, parm_search_methods[m].name)) return m;
    char list[256] = "";
    for (int m = 0; m < PARM_SEARCH_NMETHODS; m++) {
        strcat(list, m ? ", " : "");
        strcat(list, parm_search_methods[m].name);
    }
    PARM_ERR("unknown method '%s'; valid methods: %s", name ? name : "(null)", list);
    return -1;
}

int parm_search_judge_path(int method, const char *dir, char *buf, size_t n) {
    if (method < 0 || method >= PARM_SEARCH_NMETHODS) return PARM_ERR("method index %d out of range", method);
    if (n) buf[0] = 0;
    const char *v = parm_search_methods[method].variant;
    if (!v) return 0;
    if (!dir) return PARM_ERR("method %s needs a judge: give its weights (judge) or their folder (judge_dir)",
                              parm_search_methods[method].name);
    int k = snprintf(buf, n, "%s/judge_%s.safetensors", dir, v);
    if (k < 0 || (size_t)k >= n) return PARM_ERR("judge path under '%s' too long", dir);
    return 0;
}

/* PARM's gate defaults, chosen on TRAIN prompts (bench/val-train-prompts.jsonl:
 * 157 train prompts x 2 images, N = 10, `parm bench --method all --sweep ...`;
 * see docs/RESULTS.md): keep the best 30 % of the paths by P(potential), no
 * absolute threshold. The absolute gate (0.5) kept only 4 % of step images
 * on held-out prompts, where the judge's calibration shifts; the relative
 * gate does not depend on calibration. */
parm_search_opts parm_search_defaults(int method) {
    parm_search_opts o = {.method = method, .n = method == PARM_SEARCH_BASELINE ? 1 : 10,
                          .sample = parm_sample_defaults(), .clarity_thresh = 0.5f, .potential_thresh = 0.0f,
                          .keep = 0.3f, .rounds = 3, .reflect_thresh = 0.5f};
    return o;
}

int parm_search_open(parm_searcher *s, parm_gen *g, parm_vq *vq, const parm_search_opts *o) {
    memset(s, 0, sizeof *s);
    if (o->method < 0 || o->method >= PARM_SEARCH_NMETHODS) return PARM_ERR("method index %d out of range", o->method);
    if (o->n < 1 || o->n > PARM_SEARCH_MAX_PATHS) return PARM_ERR("paths per image %d outside [1, %d]", o->n, PARM_SEARCH_MAX_PATHS);
    s->o = *o;
    s->g = g;
    s->vq = vq;
    const parm_search_method_info *mi = &parm_search_methods[o->method];
    if (!mi->variant) return 0;
    if (o->judge) snprintf(s->judge_path, sizeof s->judge_path, "%s", o->judge);
    else if (parm_search_judge_path(o->method, o->judge_dir, s->judge_path, sizeof s->judge_path)) return -1;
    struct stat st;
    if (stat(s->judge_path, &st))
        return PARM_ERR("method %s needs judge weights %s, which do not exist (train them with `parm train judge "
                        "--variant %s`, or pass --judge PATH)", mi->name, s->judge_path, mi->variant);
    if (parm_judge_load(&s->judge, s->judge_path)) return -1;
    s->has_judge = 1;
    if (o->method != PARM_SEARCH_PARMPP) return 0;
    if (o->rounds < 0 || o->rounds > PARM_PARMPP_MAX_ROUNDS) {
        parm_search_close(s);
        return PARM_ERR("parm++: rounds %d outside [0, %d]", o->rounds, PARM_PARMPP_MAX_ROUNDS);
    }
    if (o->rounds == 0) return 0; /* reflection off: no reflecting judge needed */
    if (g && g->cfg.refl_len == 0) {
        parm_search_close(s);
        return PARM_ERR("parm++ with %d rounds needs a self-correction generator (`parm train gen-sc`; "
                        "refl_len > 0), the given one is plain (use --rounds 0 for reflection off)", o->rounds);
    }
    if (o->reflect_judge) snprintf(s->reflect_path, sizeof s->reflect_path, "%s", o->reflect_judge);
    else {
        snprintf(s->reflect_path, sizeof s->reflect_path, "%s/judge_parm++.safetensors", o->judge_dir ? o->judge_dir : ".");
        if (stat(s->reflect_path, &st)) snprintf(s->reflect_path, sizeof s->reflect_path, "%s", s->judge_path);
    }
    if (parm_judge_load(&s->reflect, s->reflect_path)) {
        parm_search_close(s);
        return -1;
    }
    s->has_reflect = 1;
    return 0;
}

void parm_search_close(parm_searcher *s) {
    if (s->has_judge) parm_judge_free(&s->judge);
    if (s->has_reflect) parm_judge_free(&s->reflect);
    memset(s, 0, sizeof *s);
}

/* ---- verifier pieces (shared by live and replay) ---- */
static void path_init(parm_search_path *v) {
    *v = (parm_search_path){.stop_step = -1, .clear_step = -1, .potential = NAN, .score = NAN, .correct = -1};
}

/* P(yes) of one image: one judge call, timed */
static int judge_one(parm_searcher *s, int q, const char *text, const uint8_t *img, parm_search_path *v, float *p) {
    double t0 = parm_now();
    int rc = parm_judge_prob(&s->judge, q, &text, 1, img, 1, p);
    s->judge_seconds += parm_now() - t0;
    s->judge_done++;
    v->judge_calls++;
    return rc;
}

/* After step t (of T) of one path, whose image is img (PARM: clarity until
 * clear, then potential once; whether that ends the path is the gate's call). */
static int verify_step(parm_searcher *s, const char *text, int t, int T, const uint8_t *img, parm_search_path *v,
                       double *sum) {
    float p;
    switch (s->o.method) {
    case PARM_SEARCH_PRM:
        if (judge_one(s, PARM_Q_STEP, text, img, v, &p)) return -1;
        *sum += p;
        return 0;
    case PARM_SEARCH_PARM:
    case PARM_SEARCH_PARMPP:
        if (v->clear_step >= 0) return 0; /* judged clear before; the gate decides its fate */
        if (t < T - 1) {                  /* the last step is clear by definition */
            if (judge_one(s, PARM_Q_CLARITY, text, img, v, &p)) return -1;
            if (p < s->o.clarity_thresh) return 0;
        }
        v->clear_step = t;
        if (judge_one(s, PARM_Q_POTENTIAL, text, img, v, &p)) return -1;
        v->potential = p;
        return 0;
    default:
        return 0;
    }
}

/* On the final image of a path that ran all T steps unterminated. */
static int verify_final(parm_searcher *s, const parm_prompt *p, int T, const uint8_t *img, parm_search_path *v,
                        double sum) {
    switch (s->o.method) {
    case PARM_SEARCH_ORM_ZS:
    case PARM_SEARCH_ORM:
    case PARM_SEARCH_PARM:
    case PARM_SEARCH_PARMPP:
        return judge_one(s, PARM_Q_MATCH, p->text, img, v, &v->score);
    case PARM_SEARCH_PRM:
        v->score = (float)(sum / T);
        return 0;
    case PARM_SEARCH_ORACLE:
        v->correct = parm_grade(img, p, NULL, 0) == 1;
        return 0;
    default:
        return 0;
    }
}

/* PARM's potential gate over the n paths of one image, after lockstep step t
 * (every live path has run steps 0..t). A path judged clear (clear_step ≤ t)
 * and not yet stopped is stopped at t when
 *   - its P(potential) is below potential_thresh (absolute: "no potential"), or
 *   - keep > 0 and at least N' = max(1, round(keep·n)) other judged paths at or
 *     above the threshold have a higher P(potential) (ties: lower index first):
 *     it can no longer be among the best N' by potential.
 * The N' cut only ever rises as more paths are judged, so survivors are the
 * top N' of all n by potential. Stopped at t < T-1: its remaining steps are
 * never run; at t = T-1 it just leaves the candidates. Depends on the paths'
 * (clear_step, potential) alone, so live runs and replays agree.
 * stopped[k] = 1 for each path stopped by this call. */
static void gate_step(const parm_search_opts *o, parm_search_path *v, int n, int t, int *stopped) {
    const int keep = o->keep > 0 ? (int)fmaxf(1.0f, floorf(o->keep * n + 0.5f)) : n;
    for (int k = 0; k < n; k++) {
        stopped[k] = 0;
        if (v[k].stop_step >= 0 || v[k].clear_step < 0 || v[k].clear_step > t) continue;
        int above = 0;
        if (v[k].potential >= o->potential_thresh)
            for (int j = 0; j < n; j++)
                if (j != k && v[j].clear_step >= 0 && v[j].clear_step <= t && v[j].potential >= o->potential_thresh &&
                    (v[j].potential > v[k].potential || (v[j].potential == v[k].potential && j < k)))
                    above++;
        if (v[k].potential < o->potential_thresh || above >= keep) {
            v[k].stop_step = t;
            stopped[k] = 1;
        }
    }
}

/* Pick a path of one image from its n verdicts. */
static void select_path(int method, const parm_search_path *v, int n, parm_search_result *res) {
    int best = 0;
    res->survivors = -1;
    res->fallback = 0;
    switch (method) {
    case PARM_SEARCH_ORM_ZS:
    case PARM_SEARCH_ORM:
    case PARM_SEARCH_PRM:
        for (int k = 1; k < n; k++)
            if (v[k].score > v[best].score || (isnan(v[best].score) && !isnan(v[k].score))) best = k;
        break;
    case PARM_SEARCH_PARM:
    case PARM_SEARCH_PARMPP:
        res->survivors = 0;
        best = -1;
        for (int k = 0; k < n; k++)
            if (v[k].stop_step < 0) {
                res->survivors++;
                if (best < 0 || v[k].score > v[best].score) best = k;
            }
        if (best < 0) { /* fallback: the lowest "no" to potential */
            res->fallback = 1;
            best = 0;
            for (int k = 1; k < n; k++)
                if (v[k].potential > v[best].potential) best = k;
        }
        break;
    case PARM_SEARCH_ORACLE:
        for (int k = n - 1; k >= 0; k--)
            if (v[k].correct == 1) best = k;
        break;
    default:
        break;
    }
    res->chosen = best;
    res->score = v[best].score;
}

static void result_init(parm_search_result *res, int method, int n) {
    memset(res, 0, sizeof *res);
    memset(res->round_correct, -1, sizeof res->round_correct);
    res->method = method;
    res->n = n;
}

static int paths_of(const parm_searcher *s, int n) { return s->o.method == PARM_SEARCH_BASELINE ? 1 : n; }

/* ---- live ---- */
/* The search of nimg images; path k of image i samples with
 * parm_seed_of(seeds[i], 0, k + path0); cond_refl / cond_prev (NULL = none)
 * condition every path of image 0 (PARM++'s rounds run one image). */
static int search_live(parm_searcher *s, const parm_prompt *p, int nimg, const uint64_t *seeds, uint8_t *rgb,
                       parm_search_result *res, uint8_t *trace, int path0, const int *cond_refl, const int *cond_prev) {
    if (!s->g || !s->vq) return PARM_ERR("search: no generator/tokenizer to run (replay-only searcher)");
    if (nimg < 1) return PARM_ERR("search: %d images", nimg);
    const int n = paths_of(s, s->o.n), P = nimg * n, T = s->o.sample.steps, m = s->o.method;
    const double t0 = parm_now();
    parm_sample_opts so = s->o.sample;
    so.step_images = parm_search_methods[m].step_images || trace;
    uint64_t *ps = parm_malloc(sizeof *ps * P);
    parm_search_path *v = parm_malloc(sizeof *v * P);
    double *sum = parm_calloc(P, sizeof *sum);
    int *prev = parm_malloc(sizeof *prev * P), rc = -1, st = 0;
    parm_sample_run r;
    int begun = 0;
    if (!ps || !v || !sum || !prev) goto done;
    for (int i = 0; i < P; i++) {
        ps[i] = parm_seed_of(seeds[i / n], 0, i % n + path0);
        path_init(&v[i]);
    }
    if (parm_sample_begin(s->g, &r, p, P, ps, &so)) goto done;
    begun = 1;
    if (cond_refl || cond_prev)
        for (int i = 0; i < n; i++)
            if (parm_sample_condition(s->g, &r, i, cond_refl, cond_prev)) goto done;
    for (int phase = 0; phase < 2; phase++) { /* 0: search; 1: complete the fallback paths */
        if (phase == 1) {
            int any = 0;
            for (int i = 0; i < nimg; i++) {
                select_path(m, v + i * n, n, &res[i]);
                if (res[i].fallback) {
                    any = 1;
                    if (parm_sample_resume(&r, i * n + res[i].chosen)) goto done;
                }
            }
            if (!any) break;
        }
        do {
            memcpy(prev, r.done, sizeof *prev * P);
            if ((st = parm_sample_step(s->g, s->vq, &r)) < 0) goto done;
            int t = -1; /* phase 0 is lockstep: every live path just ran step t */
            for (int i = 0; i < P; i++) {
                if (r.done[i] == prev[i]) continue; /* did not run this step */
                t = r.done[i] - 1;
                const uint8_t *img = r.images + SZ * i;
                if (trace) memcpy(trace + SZ * ((size_t)i * T + t), img, SZ);
                if (phase == 0 && verify_step(s, p->text, t, T, img, &v[i], &sum[i])) goto done;
            }
            if (phase == 1 || t < 0) continue;
            if (m == PARM_SEARCH_PARM || m == PARM_SEARCH_PARMPP)
                for (int i = 0; i < nimg; i++) {
                    int stopped[PARM_SEARCH_MAX_PATHS];
                    gate_step(&s->o, v + i * n, n, t, stopped);
                    for (int k = 0; k < n; k++)
                        if (stopped[k] && r.done[i * n + k] < T) parm_sample_stop(&r, i * n + k);
                }
            for (int i = 0; i < P; i++)
                if (r.done[i] != prev[i] && r.done[i] == T && v[i].stop_step < 0 &&
                    verify_final(s, p, T, r.images + SZ * i, &v[i], sum[i]))
                    goto done;
        } while (st == 0);
        if (phase == 0)
            for (int i = 0; i < P; i++) v[i].forwards = (int)r.forwards[i];
    }
    const double secs = (parm_now() - t0) / nimg;
    for (int i = 0; i < nimg; i++) {
        parm_search_result x;
        result_init(&x, m, n);
        select_path(m, v + i * n, n, &x);
        for (int k = 0; k < n; k++) {
            x.path[k] = v[i * n + k];
            x.gen_forwards += r.forwards[i * n + k];
            x.judge_calls += v[i * n + k].judge_calls;
        }
        x.seconds = secs;
        memcpy(rgb + SZ * i, r.images + SZ * ((size_t)i * n + x.chosen), SZ);
        res[i] = x;
    }
    rc = 0;
done:
    if (begun) parm_sample_end(&r);
    free(ps);
    free(v);
    free(sum);
    free(prev);
    return rc;
}

int parm_search_run(parm_searcher *s, const parm_prompt *p, int nimg, const uint64_t *seeds, uint8_t *rgb,
                    parm_search_result *res, uint8_t *trace) {
    if (s->o.method != PARM_SEARCH_PARMPP) return search_live(s, p, nimg, seeds, rgb, res, trace, 0, NULL, NULL);
    if (s->o.rounds == 0) { /* reflection off: PARM itself */
        if (search_live(s, p, nimg, seeds, rgb, res, trace, 0, NULL, NULL)) return -1;
        for (int i = 0; i < nimg; i++) {
            res[i].rounds = 0;
            res[i].accepted = -1;
            res[i].round_forwards[0] = res[i].gen_forwards;
            res[i].round_judge_calls[0] = res[i].judge_calls;
            for (int k = 0; k <= PARM_PARMPP_MAX_ROUNDS; k++) res[i].round_score[k] = res[i].round_accept_p[k] = NAN;
            res[i].round_score[0] = res[i].score;
        }
        return 0;
    }
    if (trace) return PARM_ERR("parm++: step-image traces are not kept (parm_search_parmpp keeps each round's image)");
    for (int i = 0; i < nimg; i++)
        if (parm_search_parmpp(s, p, seeds[i], rgb + SZ * i, &res[i], NULL)) return -1;
    return 0;
}

int parm_search_parmpp(parm_searcher *s, const parm_prompt *p, uint64_t seed, uint8_t *rgb, parm_search_result *res,
                       uint8_t *round_rgb) {
    if (s->o.method != PARM_SEARCH_PARMPP) return PARM_ERR("parm_search_parmpp: the searcher's method is %s",
                                                           parm_search_methods[s->o.method].name);
    const double t0 = parm_now();
    const int R = s->o.rounds, n = s->o.n;
    parm_search_result *x = parm_malloc(sizeof *x);
    if (!x) return -1;
    int refl[64], prev[PARM_VQ_TOKENS], rc = -1;
    long fwd = 0, calls = 0;
    char reflections[PARM_PARMPP_MAX_ROUNDS + 1][160];
    long rf[PARM_PARMPP_MAX_ROUNDS + 1] = {0}, rj[PARM_PARMPP_MAX_ROUNDS + 1] = {0};
    float rs[PARM_PARMPP_MAX_ROUNDS + 1], ra[PARM_PARMPP_MAX_ROUNDS + 1];
    for (int k = 0; k <= PARM_PARMPP_MAX_ROUNDS; k++) rs[k] = ra[k] = NAN;
    memset(reflections, 0, sizeof reflections);
    int r = 0, accepted = -1;
    for (;; r++) {
        /* round r: PARM over n paths (k + r·n), conditioned from round 1 on */
        if (search_live(s, p, 1, &seed, rgb, x, NULL, r * n, r ? refl : NULL, r ? prev : NULL)) goto done;
        rf[r] = x->gen_forwards;
        rj[r] = x->judge_calls;
        rs[r] = x->score;
        if (round_rgb) memcpy(round_rgb + SZ * r, rgb, SZ);
        if (r == R || !s->has_reflect) break;
        /* the judge reflects on the chosen image; "yes" stops the loop */
        parm_reflection rr;
        int nc = 0;
        double tj = parm_now();
        int e = parm_judge_reflect(&s->reflect, p, rgb, s->o.reflect_thresh, &rr, &ra[r], &nc);
        s->judge_seconds += parm_now() - tj;
        s->judge_done += nc;
        rj[r] += nc;
        if (e || parm_reflection_text(&rr, reflections[r], sizeof reflections[r])) goto done;
        if (rr.n == 0) { accepted = 1; break; }
        accepted = 0;
        if (parm_reflection_encode(reflections[r], refl, s->g->cfg.refl_len) < 0 || parm_vq_encode(s->vq, rgb, 1, prev))
            goto done;
    }
    if (r == R && R > 0) accepted = -1; /* the last round's image is returned unasked */
    for (int k = 0; k <= r; k++) { fwd += rf[k]; calls += rj[k]; }
    *res = *x;
    res->gen_forwards = fwd;
    res->judge_calls = calls;
    res->rounds = r;
    res->accepted = accepted;
    memcpy(res->round_forwards, rf, sizeof rf);
    memcpy(res->round_judge_calls, rj, sizeof rj);
    memcpy(res->reflection, reflections, sizeof reflections);
    memcpy(res->round_score, rs, sizeof rs);
    memcpy(res->round_accept_p, ra, sizeof ra);
    res->seconds = parm_now() - t0;
    rc = 0;
done:
    free(x);
    return rc;
}

/* ---- replay ---- */
void parm_search_record_free(parm_search_record *rec) {
    free(rec->steps);
    for (int m = 0; m < PARM_SEARCH_NMETHODS; m++) free(rec->verdict[m]);
    memset(rec, 0, sizeof *rec);
}

int parm_search_record_paths(parm_gen *g, parm_vq *vq, const parm_prompt *p, int nimg, const uint64_t *seeds, int N,
                             const parm_sample_opts *o, parm_search_record *rec) {
    if (nimg < 1 || N < 1 || N > PARM_SEARCH_MAX_PATHS)
        return PARM_ERR("record: %d images x %d paths (paths must be in [1, %d])", nimg, N, PARM_SEARCH_MAX_PATHS);
    const int P = nimg * N, T = o->steps;
    const double t0 = parm_now();
    memset(rec, 0, sizeof *rec * nimg);
    parm_sample_opts so = *o;
    so.step_images = 1;
    uint64_t *ps = parm_malloc(sizeof *ps * P);
    int rc = -1, st;
    if (!ps) return -1;
    for (int i = 0; i < nimg; i++) {
        rec[i].prompt = *p;
        rec[i].seed = seeds[i];
        rec[i].N = N;
        rec[i].T = T;
        if (!(rec[i].steps = parm_malloc(SZ * N * T))) goto fail;
    }
    for (int i = 0; i < P; i++) ps[i] = parm_seed_of(seeds[i / N], 0, i % N);
    parm_sample_run r;
    if (parm_sample_begin(g, &r, p, P, ps, &so)) goto fail;
    do {
        if ((st = parm_sample_step(g, vq, &r)) < 0) { parm_sample_end(&r); goto fail; }
        const int t = r.step - 1; /* every path runs every step */
        for (int i = 0; i < P; i++) memcpy(rec[i / N].steps + SZ * ((size_t)(i % N) * T + t), r.images + SZ * i, SZ);
    } while (st == 0);
    const double secs = (parm_now() - t0) / nimg;
    for (int i = 0; i < nimg; i++) {
        rec[i].gen_seconds = secs;
        rec[i].gen_forwards = r.total_forwards / nimg;
    }
    parm_sample_end(&r);
    rc = 0;
fail:
    free(ps);
    if (rc)
        for (int i = 0; i < nimg; i++) parm_search_record_free(&rec[i]);
    return rc;
}

/* Run s's verifier over every recorded path, step by step as a live run
 * would, but never stopping: PARM's gate depends on the n paths replayed, so
 * it is applied per n in parm_search_replay, and every final image gets its
 * P(match) (whose judge call only counts for paths that survive the gate). */
static int replay_verdicts(parm_searcher *s, parm_search_record *rec) {
    const int N = rec->N, T = rec->T;
    parm_search_path *v = parm_malloc(sizeof *v * N);
    if (!v) return -1;
    for (int k = 0; k < N; k++) {
        path_init(&v[k]);
        double sum = 0;
        for (int t = 0; t < T; t++) {
            const uint8_t *img = rec->steps + SZ * ((size_t)k * T + t);
            if (verify_step(s, rec->prompt.text, t, T, img, &v[k], &sum) ||
                (t == T - 1 && verify_final(s, &rec->prompt, T, img, &v[k], sum))) {
                free(v);
                return -1;
            }
        }
        v[k].forwards = T;
        if (s->o.method == PARM_SEARCH_PARM) v[k].judge_calls--; /* the match call: counted if it survives */
    }
    rec->verdict[s->o.method] = v;
    return 0;
}

int parm_search_replay(parm_searcher *s, parm_search_record *rec, int n, uint8_t *rgb, parm_search_result *res) {
    const int m = s->o.method, nn = paths_of(s, n), T = rec->T;
    if (m == PARM_SEARCH_PARMPP) return PARM_ERR("replay: parm++ regenerates from its reflections, so it runs live only");
    if (nn < 1 || nn > rec->N) return PARM_ERR("replay: %d paths asked, %d recorded", nn, rec->N);
    if (s->o.sample.steps != T) return PARM_ERR("replay: the record has %d steps, the method %d", T, s->o.sample.steps);
    if (!rec->verdict[m] && replay_verdicts(s, rec)) return -1;
    parm_search_path v[PARM_SEARCH_MAX_PATHS];
    memcpy(v, rec->verdict[m], sizeof *v * nn);
    if (m == PARM_SEARCH_PARM) { /* the gate in lockstep, as a live run with nn paths */
        int stopped[PARM_SEARCH_MAX_PATHS];
        for (int t = 0; t < T; t++) gate_step(&s->o, v, nn, t, stopped);
        for (int k = 0; k < nn; k++) {
            if (v[k].stop_step >= 0) {
                v[k].forwards = v[k].stop_step + 1;
                v[k].score = NAN; /* a live run never judges its final image */
            } else {
                v[k].judge_calls++;
            }
        }
    }
    result_init(res, m, nn);
    select_path(m, v, nn, res);
    for (int k = 0; k < nn; k++) {
        res->path[k] = v[k];
        res->gen_forwards += v[k].forwards;
        res->judge_calls += v[k].judge_calls;
    }
    if (res->fallback) res->gen_forwards += T - v[res->chosen].forwards; /* its completion */
    memcpy(rgb, rec->steps + SZ * ((size_t)res->chosen * T + T - 1), SZ);
    double per_fwd = rec->gen_forwards ? rec->gen_seconds / rec->gen_forwards : 0;
    double per_call = s->judge_done ? s->judge_seconds / s->judge_done : 0;
    res->seconds = res->gen_forwards * per_fwd + res->judge_calls * per_call;
    return 0;
}
