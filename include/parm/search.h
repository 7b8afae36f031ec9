/* parm/search.h — test-time verification (paper §3–4): best-of-N over the
 * MaskGIT sampler's paths with a verifier, live or replayed.
 *
 * Three separate pieces, chosen by one switch (the method):
 *   schedule + step rule  the sampler (parm_sample_opts), the same for every method;
 *   step verifier         what happens after each step of a path: nothing,
 *                         PRM's per-step score, or PARM's clarity → potential
 *                         gate that terminates hopeless paths early (those
 *                         below a P(potential) threshold, and with keep > 0
 *                         those outside the best N' of the n by P(potential));
 *   final verifier        how a finished path is scored and one path chosen:
 *                         ORM/PARM P(match), PRM mean step score, the grader
 *                         (oracle), or path 0 (baseline).
 * Paths: image i with seed s has n paths; path k samples with seed
 * parm_seed_of(s, 0, k) = s + 4096·k (parm/sample.h), so path 0 is the baseline
 * image of seed s.
 * Every path has its own RNG stream and the generator's forward is batch-
 * independent; the judge is always called on one image at a time (its batched
 * forward is not bit-exact across batch sizes). So what a verifier learns
 * about a path never depends on the other paths (PARM's gate compares paths,
 * but only through those per-path verdicts, in lockstep), and a run can be replayed
 * exactly from recorded step images for any n up to the recorded number:
 * the same chosen image, forward passes and judge calls as a live run.
 *
 * Costs per image: generator forward passes actually spent, summed over paths
 * (the sampler's counters: one per path-step; CFG's unconditional half is part
 * of that step), judge calls (one call = one image judged), wall seconds. */
#ifndef PARM_SEARCH_H
#define PARM_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "parm/sample.h"
#include "parm/judge.h"

enum {
    PARM_SEARCH_BASELINE = 0, /* one path, the default sampler */
    PARM_SEARCH_ORM_ZS,       /* best of n by the zero-shot judge's P(match) on final images */
    PARM_SEARCH_ORM,          /* the same with the fine-tuned ORM judge */
    PARM_SEARCH_PRM,          /* best of n by the mean P(step) over every step image */
    PARM_SEARCH_PARM,         /* clarity → potential gate per step, early termination, best of survivors */
    PARM_SEARCH_ORACLE,       /* the grader picks (an upper bound, not a method) */
    PARM_SEARCH_PARMPP,       /* PARM, then up to `rounds` reflect -> regenerate rounds (PARM++, live only) */
    PARM_SEARCH_NMETHODS
};
#define PARM_SEARCH_SEED_STRIDE PARM_SEED_PATH_STRIDE /* path k: parm_seed_of(s, 0, k) */
#define PARM_SEARCH_MAX_PATHS 256

typedef struct {
    const char *name;      /* "baseline", "orm-zs", "orm", "prm", "parm", "oracle" */
    const char *help;
    const char *variant;   /* judge weights <dir>/judge_<variant>.safetensors; NULL = no judge */
    int step_images;       /* the step verifier reads every step's image */
    int upper_bound;       /* not deployable (reads the grader) */
} parm_search_method_info;
extern const parm_search_method_info parm_search_methods[PARM_SEARCH_NMETHODS];
/* Index of a method name, or -1 with an error quoting it and listing the valid ones. */
int parm_search_method_find(const char *name);
/* "<dir>/judge_<variant>.safetensors" of method m into buf ("" for methods without a judge). */
int parm_search_judge_path(int method, const char *dir, char *buf, size_t n);

typedef struct {
    int method;              /* PARM_SEARCH_* */
    int n;                   /* paths per image (baseline: always 1) */
    parm_sample_opts sample; /* schedule and step rule */
    float clarity_thresh;    /* PARM: clear when P(clarity) ≥ this (0.5) */
    float potential_thresh;  /* PARM: terminated when P(potential) < this (absolute "no potential") */
    float keep;              /* PARM: > 0: also terminate a clear path once N' = max(1, round(keep·n))
                                other paths have a higher P(potential) (best-of-N' survivors); 0 = off */
    const char *judge;       /* judge weights; NULL = <judge_dir>/judge_<variant>.safetensors */
    const char *judge_dir;   /* folder of the judges' weights (the CLI's default: its shipped weights/) */
    /* PARM++ (method parm++): after PARM picks an image, the reflecting judge (parm_judge_reflect)
       accepts it or writes what is wrong; on a rejection the self-correction generator regenerates
       from (prompt, that image, the reflection) with PARM over n fresh paths (round r: paths
       k + r·n of the image's seed); stops on an accept or after `rounds` rounds. rounds 0 =
       reflection off = PARM (no reflection asked). */
    int rounds;              /* default 3, at most PARM_PARMPP_MAX_ROUNDS */
    float reflect_thresh;    /* an atom fails when P(yes) < this (0.5) */
    const char *reflect_judge; /* the reflecting judge; NULL = <judge_dir>/judge_parm++.safetensors if it
                                  exists, else the PARM judge itself */
} parm_search_opts;
#define PARM_PARMPP_MAX_ROUNDS 8
/* Defaults for a method: n 10 (baseline 1), the sampler's defaults, and PARM's
 * gate (see parm_search_defaults in search.c for the values and where they come from). */
parm_search_opts parm_search_defaults(int method);

/* What a method learned about one path (a function of that path alone). */
typedef struct {
    int forwards;      /* generator steps it ran (not counting a fallback completion) */
    int judge_calls;   /* images of it the judge scored */
    int stop_step;     /* PARM: the step after which it was terminated; -1 = ran to the end unstopped */
    int clear_step;    /* PARM: the step first judged clear; -1 = never */
    float potential;   /* PARM: P(potential) when judged; NAN if never */
    float score;       /* selection score: ORM/PARM P(match) of a finished, unstopped path,
                          PRM mean P(step); NAN if none */
    int correct;       /* oracle: the grader's verdict on its final image; -1 = not graded */
} parm_search_path;

typedef struct {
    int method, n;          /* n: paths used (baseline 1) */
    int chosen;             /* the path whose final image was returned */
    float score;            /* its selection score (NAN if none) */
    long gen_forwards;      /* generator forward passes spent on this image, fallback included */
    long judge_calls;
    double seconds;         /* wall time per image (replay: an estimate, see parm_search_replay) */
    int survivors;          /* PARM: paths not terminated; -1 for other methods */
    int fallback;           /* PARM: 1 when none survived and the stopped path with the highest
                               P(potential) was run to completion */
    parm_search_path path[PARM_SEARCH_MAX_PATHS]; /* [n] (PARM++: of the last round) */
    /* PARM++: rounds after the first PARM search, each one's costs, the reflections */
    int rounds;             /* correction rounds run, 0..opts.rounds */
    int accepted;           /* 1: the reflecting judge accepted the returned image; 0: it rejected it;
                               -1: not asked (rounds 0, or the last round's image) */
    long round_forwards[PARM_PARMPP_MAX_ROUNDS + 1], round_judge_calls[PARM_PARMPP_MAX_ROUNDS + 1];
                            /* round r's PARM search (r = 0 the first); + the reflection on its image */
    char reflection[PARM_PARMPP_MAX_ROUNDS + 1][160]; /* the reflection on round r's image ("" if not asked) */
    float round_score[PARM_PARMPP_MAX_ROUNDS + 1];    /* PARM's selection score of round r's pick (NAN: fallback) */
    float round_accept_p[PARM_PARMPP_MAX_ROUNDS + 1]; /* the reflecting judge's product of atom P(yes) on round
                               r's image (NAN if not asked) */
    int8_t round_correct[PARM_PARMPP_MAX_ROUNDS + 1]; /* the grader's verdict of round r's image, filled by
                               a caller that grades them (bench: score vs rounds); -1 = not graded */
} parm_search_result;

/* A method ready to run: options, borrowed models, its judge.
 * Thread safety: a searcher, and the generator and VQ it borrows, serve one
 * thread at a time; run searches in parallel with one searcher and one model
 * pair per thread (they share nothing else). */
typedef struct {
    parm_search_opts o;
    parm_gen *g;             /* borrowed; may be NULL for replay only */
    parm_vq *vq;             /* borrowed; may be NULL for replay only */
    parm_judge judge;
    int has_judge;
    char judge_path[512];
    parm_judge reflect;      /* PARM++'s reflecting judge */
    int has_reflect;
    char reflect_path[512];
    double judge_seconds;    /* judge time really spent by this searcher, and its calls */
    long judge_done;
} parm_searcher;
/* Loads the method's judge (o->judge, else the default path); fails with a
 * message naming the file when it is missing. */
int parm_search_open(parm_searcher *s, parm_gen *g, parm_vq *vq, const parm_search_opts *o);
void parm_search_close(parm_searcher *s);

/* Live: nimg images of prompt p, image i from seeds[i]; all nimg·n paths run
 * batched in one sampler run, terminated paths are really stopped
 * (parm_sample_stop) and a PARM fallback path resumed (parm_sample_resume).
 * rgb [nimg,64,64,3] gets the chosen images, res [nimg] their results.
 * trace (optional) [nimg, n, T, 64,64,3]: every path's step images (steps
 * never run stay black; a fallback's completion is filled in). */
int parm_search_run(parm_searcher *s, const parm_prompt *p, int nimg, const uint64_t *seeds, uint8_t *rgb,
                    parm_search_result *res, uint8_t *trace);

/* PARM++ on one image (seed), keeping each round's chosen image:
 * round_rgb [rounds+1, 64,64,3] (may be NULL); round r < res->rounds + 1 is
 * filled. rgb gets the returned image (the last round's). parm_search_run
 * with method parm++ calls this per image. */
int parm_search_parmpp(parm_searcher *s, const parm_prompt *p, uint64_t seed, uint8_t *rgb, parm_search_result *res,
                       uint8_t *round_rgb);

/* ---- replay: record once, evaluate every method for every n ≤ N ---- */
typedef struct {
    parm_prompt prompt;
    uint64_t seed;
    int N, T;
    uint8_t *steps;          /* [N,T,64,64,3]: path k's image after step t; [k,T-1] is its final image */
    double gen_seconds;      /* what the recording cost (this image's share) */
    long gen_forwards;
    parm_search_path *verdict[PARM_SEARCH_NMETHODS]; /* [N] per method, computed on first replay */
} parm_search_record;
/* Record nimg images (seeds[i]) with N paths each, every step image kept, in
 * one batched sampler run. rec[nimg]; free each with parm_search_record_free. */
int parm_search_record_paths(parm_gen *g, parm_vq *vq, const parm_prompt *p, int nimg, const uint64_t *seeds, int N,
                             const parm_sample_opts *o, parm_search_record *rec);
void parm_search_record_free(parm_search_record *rec);
/* Evaluate s's method on the first n paths of rec (n ≤ rec->N; the record
 * must use s's sampler options): the chosen image (rgb [64,64,3]), chosen
 * path, forward passes and judge calls are exactly what parm_search_run with
 * that n gives. The first call per method runs the verifier over all N paths
 * (one judge call per image, cached in rec->verdict). res->seconds is an
 * estimate: forwards × the recording's seconds per forward + judge calls ×
 * this searcher's measured seconds per judge call. */
int parm_search_replay(parm_searcher *s, parm_search_record *rec, int n, uint8_t *rgb, parm_search_result *res);

/* A parm_pref_label_fn (parm/prefset.h) for the guided rounds of iterative
 * DPO: ctx = a searcher of method orm-zs/orm (label PARM_PREF_LABEL_ORM) or
 * parm (PARM_PREF_LABEL_PARM), opened with n = K and the sampler the set is
 * drawn with; its verifier replayed over the prompt's K paths gives the
 * verdicts (see PARM_PREF_LABEL_*). */
int parm_search_pref_label(void *ctx, const parm_prompt *p, int K, int T, const uint8_t *steps, uint8_t *verdict);

#endif
