/* sample.h — the generator's decoding loop: MaskGIT step-by-step sampling
 * (src/models/gen_sample.c). It lives in the models layer with the generator
 * because it IS the generator's inference: a schedule (how many tokens stay
 * masked after each step) and a step rule (sample, keep the most confident,
 * re-mask the rest) over N paths batched into one forward. The verifiers
 * (parm/search.h, methods layer) drive it step by step through
 * parm_sample_begin / _step / _stop / _resume; training code (path sets,
 * parm_gen_evaluate) calls parm_sample. Nothing here calls up into methods.
 *
 * Seeds: image j of a run with base seed S uses parm_seed_of(S, j, 0); its
 * verification path k uses parm_seed_of(S, j, k) = S + j + 4096·k, so path 0
 * is the baseline image (the one helper every command uses).
 *
 * Thread safety: a parm_sample_run is owned by one caller; several runs may
 * share one parm_gen and parm_vq only if each thread has its own model
 * activations (parm_gen / parm_vq hold per-model activation buffers: use
 * one model per thread). */
#ifndef PARM_SAMPLE_H
#define PARM_SAMPLE_H
#include <stdint.h>

#include "parm/gen.h"
#include "parm/vq.h"
#include "parm/world.h"

#define PARM_SEED_PATH_STRIDE 4096 /* path k of an image: seed + 4096·k */
static inline uint64_t parm_seed_of(uint64_t base, uint64_t image, int path) {
    return base + image + (uint64_t)PARM_SEED_PATH_STRIDE * (uint64_t)path;
}

typedef struct {
    int steps;          /* T (default 12) */
    float cfg;          /* w in (1+w)·cond − w·uncond */
    float temp;         /* sampling temperature at step 0, annealed linearly to temp_end */
    float temp_end;
    float choice_temp;  /* Gumbel noise on confidences, annealed to 0 (MaskGIT) */
    int step_images;    /* 1 = decode every step's full prediction to an image */
    int always_uncond;  /* run the unconditional batch even when cfg = 0 (tests, analysis) */
    float bg_penalty;   /* subtracted from the confidence of background tokens: commit objects first (0 = MaskGIT) */
    int group_commit;   /* 1 = keep/re-mask whole positions (2×2 token groups, mean log-prob + one Gumbel
                           draw per position), so a group's tokens are committed together; 0 = per token */
} parm_sample_opts;
parm_sample_opts parm_sample_defaults(void);

/* Tokens still masked after step t of T (cosine schedule): floor(256·cos(π/2·(t+1)/T)). */
int parm_schedule_masked(int t, int T);

typedef struct {
    int N;                  /* paths */
    int step;               /* steps done (by the furthest path: every alive path's, unless one was resumed) */
    int *done;              /* [N] steps done by each path */
    int *tokens;            /* [N,256] current tokens, K = MASK */
    int *pred;              /* [N,256] last step's full prediction (kept + sampled) */
    uint8_t *alive;         /* [N] 0 once stopped */
    uint8_t *images;        /* [N,64,64,3] last step image of each path (if step_images / at the end) */
    long *forwards;         /* [N] generator forward passes spent per path */
    long total_forwards;    /* summed */
    parm_rng *rng;          /* [N] one stream per path: results do not depend on N */
    int bg_token;           /* the code of an all-background patch (-1 until needed) */
    int text_ids[2][64];    /* cond, uncond (text_len ≤ 64) */
    int *refl;              /* [N,refl_len] self-correction reflection per path (NULL until parm_sample_condition) */
    int *prev;              /* [N,256] previous image tokens per path, row[0] = -1: none */
    parm_prompt prompt;
    parm_sample_opts opts;
} parm_sample_run;

/* Start N paths for a prompt; path i samples with seed seeds[i]. */
int parm_sample_begin(parm_gen *g, parm_sample_run *r, const parm_prompt *p, int N, const uint64_t *seeds,
                      const parm_sample_opts *o);
/* One step for every alive path with steps left (one batched forward; CFG
 * doubles the batch). Afterwards r->pred holds each path's full prediction
 * and, with step_images or at its last step, r->images its decoded image.
 * Returns 0, or 1 when no alive path has steps left, or -1 on error. */
int parm_sample_step(parm_gen *g, parm_vq *vq, parm_sample_run *r);
/* PARM++ self-correction (a generator with refl_len > 0): path `path` is
 * conditioned on a reflection (refl_ids [refl_len], NULL = none) and a
 * previous image (prev_tokens [256] grid order, NULL = none). Call after
 * parm_sample_begin, before the first step. CFG's unconditional half drops
 * every condition (text, reflection, previous image). */
int parm_sample_condition(parm_gen *g, parm_sample_run *r, int path, const int *refl_ids, const int *prev_tokens);
void parm_sample_stop(parm_sample_run *r, int path);  /* early termination: its remaining steps are never run */
/* Make a stopped path alive again: the following parm_sample_step calls run
 * its remaining steps (each path steps at its own r->done[i], with its own
 * RNG stream), so it ends with the image an uninterrupted run gives, and its
 * forwards count only the steps really run. -1 if path is out of range. */
int parm_sample_resume(parm_sample_run *r, int path);
void parm_sample_end(parm_sample_run *r);
/* Generate one image for each of n train prompts (drawn with seed) with the
 * given sampler: grader accuracy and mean fraction of non-background pixels;
 * per-tag counts into sc when not NULL. */
int parm_gen_evaluate(parm_gen *g, parm_vq *vq, int n, uint64_t seed, const parm_sample_opts *o, double *acc,
                      double *fill, parm_score *sc);
/* Convenience: run all steps; images [N,64,64,3]. */
int parm_sample(parm_gen *g, parm_vq *vq, const parm_prompt *p, int N, const uint64_t *seeds,
                const parm_sample_opts *o, uint8_t *images, long *forwards);

#endif
