/* parm/stats.h — how sure a benchmark score is: 95 % intervals for the
 * per-category accuracies and the overall score (the mean of the categories),
 * and for the paired difference of two methods graded on the same images.
 * The scores' intervals that bench and report show are parm_score_wilson's
 * and parm_score_paired_adjusted's (below: honest with few prompts); the
 * bootstrap stays available.
 *
 * Bootstrap: a bootstrap over PROMPTS, stratified by category. Images of one
 * prompt are not independent (same prompt, neighbouring seeds), so the unit
 * resampled is the prompt with all its images; within each category its m
 * prompts are drawn m times with replacement (the benchmark has a fixed number
 * of prompts per category, and overall is the unweighted mean of categories).
 * The interval is the 2.5 / 97.5 percentile of `reps` resampled scores (percentile
 * bootstrap), from a fixed seed: the same outcomes give the same interval.
 * A category whose prompts all agree (all correct, say) gets a zero-width
 * interval: the bootstrap cannot see beyond the data; read it with the count.
 * Paired: A and B on the same images (same prompts, same seeds); every
 * resample draws the same prompts for both, so the shared variation between
 * images cancels and the difference is tighter than either score. */
#ifndef PARM_STATS_H
#define PARM_STATS_H

#include <stdint.h>

#include "parm/world.h"

#define PARM_CI_REPS 2000  /* resamples (the CLI's default) */
#define PARM_CI_MIN_PROMPTS 10 /* parm_score_wilson: fewer prompts in a category → the design effect at its maximum */
#define PARM_CI_SEED 12345 /* the CLI's fixed bootstrap seed */

/* One graded image: which prompt (any id; images with the same id are one
 * cluster, and they must share the tag), its category, correct 0/1. For a
 * paired comparison, correct_b is method B's verdict on the same image. */
typedef struct {
    long prompt;
    int tag;
    int correct, correct_b;
} parm_outcome;

typedef struct {
    double lo[PARM_NTAGS], hi[PARM_NTAGS]; /* per category; -1 when it has no images */
    double overall_lo, overall_hi;
    int reps;
    uint64_t seed;
} parm_score_ci;

/* 95 % percentile-bootstrap intervals of the per-category accuracies and the
 * overall score of n outcomes (reps ≥ 100). -1 with an error on bad input. */
int parm_score_bootstrap(const parm_outcome *o, int n, int reps, uint64_t seed, parm_score_ci *ci);

/* The benchmark's intervals (what parm bench and parm report show): honest
 * with few prompts, where the bootstrap above is too narrow (a category whose
 * 2 prompts agree gets [1, 1]). Per category, a Wilson score interval of its
 * image accuracy p over an effective sample size n_eff = images / deff: the
 * design effect deff (images of one prompt are correlated) is the ratio of
 * the cluster-robust (by prompt) variance of p to the binomial one, clamped to
 * [1, images per prompt]; with fewer than PARM_CI_MIN_PROMPTS prompts, or p at
 * 0 or 1 (nothing to estimate it from), deff takes its maximum, i.e. n_eff =
 * prompts (each prompt counted once: conservative). So 2 prompts × 2 images
 * all correct give [0.342, 1], not [1, 1]. Overall (the unweighted mean of the
 * K present categories): the Price–Bonett adjusted Wald interval for a linear
 * combination of proportions (2/K successes and 4/K trials added to each
 * category's n_eff before the normal interval; Price & Bonett 2004), clipped
 * to [0, 1]. Deterministic; reps and seed are 0. -1 on bad input. */
int parm_score_wilson(const parm_outcome *o, int n, parm_score_ci *ci);

/* Paired difference A − B (correct − correct_b) of n outcomes: the point
 * estimate per category and overall (d[PARM_NTAGS] = overall; categories
 * without images get 0 and lo = hi = 0) and their 95 % bootstrap intervals. */
typedef struct {
    double d[PARM_NTAGS + 1], lo[PARM_NTAGS + 1], hi[PARM_NTAGS + 1];
    long n[PARM_NTAGS];        /* images per category */
    long a_only, b_only;       /* images only A / only B got right */
    int reps;
    uint64_t seed;
} parm_paired_diff;
int parm_score_paired(const parm_outcome *o, int n, int reps, uint64_t seed, parm_paired_diff *out);
/* The same difference with intervals honest at few prompts (what parm
 * compare shows): per category the Agresti–Min adjusted Wald interval for
 * paired proportions (0.5 added to each cell of the 2×2 table of A's and B's
 * verdicts) on an effective table scaled by 1/deff, the design effect of the
 * per-image differences by prompt, as in parm_score_wilson (its maximum,
 * n_eff = prompts, below PARM_CI_MIN_PROMPTS prompts or without discordant
 * images); overall: the mean of the adjusted category differences ± z·√(Σ
 * var)/K. Identical methods give a small interval around 0, not [0, 0]. */
int parm_score_paired_adjusted(const parm_outcome *o, int n, parm_paired_diff *out);

#endif
