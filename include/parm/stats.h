/* parm/stats.h — how sure a benchmark score is: 95 % intervals for the
 * per-category accuracies and the overall score (the mean of the categories),
 * and for the paired difference of two methods graded on the same images.
 *
 * Method: a bootstrap over PROMPTS, stratified by category. Images of one
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

#endif
