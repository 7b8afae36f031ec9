/* test_stats.c — the benchmark's 95 % intervals (parm/stats.h) on cases whose
 * answer is known: a unanimous category has a zero-width interval; 200 of 400
 * independent prompts correct gives about 0.5 ± 1.96·√(0.25/400) = ±0.049;
 * four identical images per prompt do not narrow it (the prompt is the unit);
 * overall is the mean of categories; the paired difference of identical
 * methods is exactly 0 and of a known shift about d ± 1.96·sd/√n; same seed,
 * same interval; a prompt with two categories is refused. */
#include <stdlib.h>

#include "parm.h"
#include "test.h"

static parm_outcome *make(int nprompts, int per, int tag, int ncorrect_prompts) {
    parm_outcome *o = malloc(sizeof *o * nprompts * per);
    for (int i = 0; i < nprompts; i++)
        for (int j = 0; j < per; j++)
            o[i * per + j] = (parm_outcome){.prompt = i, .tag = tag, .correct = i < ncorrect_prompts, .correct_b = 0};
    return o;
}

static void test_unanimous(void) {
    parm_outcome *o = make(50, 4, PARM_TAG_SINGLE, 50);
    parm_score_ci ci;
    CHECK(parm_score_bootstrap(o, 200, 1000, 1, &ci) == 0, "%s", parm_last_error());
    CHECK(ci.lo[PARM_TAG_SINGLE] == 1 && ci.hi[PARM_TAG_SINGLE] == 1, "[%g, %g]", ci.lo[0], ci.hi[0]);
    CHECK(ci.lo[PARM_TAG_TWO] == -1 && ci.hi[PARM_TAG_TWO] == -1, "absent category: %g", ci.lo[1]);
    CHECK(ci.overall_lo == 1 && ci.overall_hi == 1, "overall [%g, %g]", ci.overall_lo, ci.overall_hi);
    free(o);
}

static void test_half_correct(void) {
    parm_outcome *o = make(400, 1, PARM_TAG_COUNTING, 200);
    parm_score_ci ci, ci2;
    CHECK(parm_score_bootstrap(o, 400, 4000, 7, &ci) == 0, "%s", parm_last_error());
    const double lo = ci.lo[PARM_TAG_COUNTING], hi = ci.hi[PARM_TAG_COUNTING];
    printf("    200/400: [%.4f, %.4f] (normal approximation [0.4510, 0.5490])\n", lo, hi);
    CHECK(fabs(lo - 0.451) < 0.01 && fabs(hi - 0.549) < 0.01, "[%g, %g]", lo, hi);
    CHECK(ci.overall_lo == lo && ci.overall_hi == hi, "one category: overall = it");
    CHECK(parm_score_bootstrap(o, 400, 4000, 7, &ci2) == 0 && !memcmp(&ci, &ci2, sizeof ci), "same seed, same interval");
    free(o);
    /* 100 prompts x 4 identical images: the effective sample is 100 prompts, half-width ~0.098 */
    o = make(100, 4, PARM_TAG_COUNTING, 50);
    CHECK(parm_score_bootstrap(o, 400, 4000, 7, &ci) == 0, "%s", parm_last_error());
    const double hw = (ci.hi[PARM_TAG_COUNTING] - ci.lo[PARM_TAG_COUNTING]) / 2;
    printf("    50/100 prompts x 4 images: half-width %.4f (clustered: ~0.098; as 400 independent images it would be 0.049)\n", hw);
    CHECK(hw > 0.085 && hw < 0.112, "half-width %g", hw);
    free(o);
}

/* two categories: overall = their mean, its interval narrower than each */
static void test_overall_mean(void) {
    parm_outcome *o = malloc(sizeof *o * 800);
    for (int i = 0; i < 400; i++) {
        o[i] = (parm_outcome){.prompt = i, .tag = PARM_TAG_SINGLE, .correct = i < 300};      /* 0.75 */
        o[400 + i] = (parm_outcome){.prompt = 400 + i, .tag = PARM_TAG_POSITION, .correct = i < 100}; /* 0.25 */
    }
    parm_score_ci ci;
    CHECK(parm_score_bootstrap(o, 800, 4000, 3, &ci) == 0, "%s", parm_last_error());
    /* sd of the mean = 0.5*sqrt(2*0.1875/400) = 0.0153 -> +-0.030 */
    printf("    overall [%.4f, %.4f] (normal approximation [0.470, 0.530])\n", ci.overall_lo, ci.overall_hi);
    CHECK(fabs(ci.overall_lo - 0.470) < 0.008 && fabs(ci.overall_hi - 0.530) < 0.008, "[%g, %g]", ci.overall_lo,
          ci.overall_hi);
    CHECK(ci.lo[PARM_TAG_SINGLE] < 0.75 && ci.hi[PARM_TAG_SINGLE] > 0.75, "category interval holds its estimate");
    free(o);
}

static void test_paired(void) {
    parm_outcome *o = make(400, 1, PARM_TAG_TWO, 200);
    for (int i = 0; i < 400; i++) o[i].correct_b = o[i].correct;
    parm_paired_diff d;
    CHECK(parm_score_paired(o, 400, 2000, 1, &d) == 0, "%s", parm_last_error());
    CHECK(d.d[PARM_NTAGS] == 0 && d.lo[PARM_NTAGS] == 0 && d.hi[PARM_NTAGS] == 0, "identical: d %g [%g, %g]",
          d.d[PARM_NTAGS], d.lo[PARM_NTAGS], d.hi[PARM_NTAGS]);
    for (int i = 200; i < 220; i++) o[i].correct = 1; /* A right, B wrong on 20 of 400 */
    CHECK(parm_score_paired(o, 400, 4000, 1, &d) == 0, "%s", parm_last_error());
    /* per-prompt difference: 1 with p = 0.05 -> sd sqrt(0.05*0.95/400) = 0.0109 -> +-0.021 */
    printf("    paired d = %.4f [%.4f, %.4f] (normal approximation [0.029, 0.071]); A only %ld, B only %ld\n",
           d.d[PARM_NTAGS], d.lo[PARM_NTAGS], d.hi[PARM_NTAGS], d.a_only, d.b_only);
    CHECK(fabs(d.d[PARM_NTAGS] - 0.05) < 1e-12, "d %g", d.d[PARM_NTAGS]);
    CHECK(fabs(d.lo[PARM_NTAGS] - 0.029) < 0.007 && fabs(d.hi[PARM_NTAGS] - 0.071) < 0.007, "[%g, %g]",
          d.lo[PARM_NTAGS], d.hi[PARM_NTAGS]);
    CHECK(d.a_only == 20 && d.b_only == 0 && d.n[PARM_TAG_TWO] == 400, "counts");
    free(o);
}

/* parm_score_wilson (what bench shows): right on the known cases, never
 * zero-width on a tiny unanimous set, the prompt as the unit */
static void test_wilson(void) {
    parm_score_ci ci;
    parm_outcome *o = make(2, 2, PARM_TAG_SINGLE, 2); /* 2 prompts x 2 images, all correct */
    CHECK(parm_score_wilson(o, 4, &ci) == 0, "%s", parm_last_error());
    printf("    wilson 2 prompts x 2 images all correct: [%.4f, %.4f] (Wilson over 2 prompts: [0.3424, 1]; the "
           "bootstrap says [1, 1])\n", ci.lo[PARM_TAG_SINGLE], ci.hi[PARM_TAG_SINGLE]);
    CHECK(fabs(ci.lo[PARM_TAG_SINGLE] - 2 / (2 + 1.959963984540054 * 1.959963984540054)) < 1e-9 &&
              ci.hi[PARM_TAG_SINGLE] == 1, "[%g, %g]", ci.lo[0], ci.hi[0]);
    CHECK(ci.lo[PARM_TAG_TWO] == -1 && ci.overall_lo < 1 && ci.overall_hi == 1, "absent -1; overall [%g, %g]",
          ci.overall_lo, ci.overall_hi);
    free(o);
    o = make(400, 1, PARM_TAG_COUNTING, 200); /* independent: Wilson over 400 */
    CHECK(parm_score_wilson(o, 400, &ci) == 0, "%s", parm_last_error());
    printf("    wilson 200/400: [%.4f, %.4f] (Wilson: [0.4512, 0.5488])\n", ci.lo[PARM_TAG_COUNTING], ci.hi[PARM_TAG_COUNTING]);
    CHECK(fabs(ci.lo[PARM_TAG_COUNTING] - 0.4512) < 2e-4 && fabs(ci.hi[PARM_TAG_COUNTING] - 0.5488) < 2e-4, "[%g, %g]",
          ci.lo[PARM_TAG_COUNTING], ci.hi[PARM_TAG_COUNTING]);
    free(o);
    o = make(100, 4, PARM_TAG_COUNTING, 50); /* 4 identical images per prompt: design effect 4, n_eff 100 */
    CHECK(parm_score_wilson(o, 400, &ci) == 0, "%s", parm_last_error());
    double hw = (ci.hi[PARM_TAG_COUNTING] - ci.lo[PARM_TAG_COUNTING]) / 2;
    printf("    wilson 50/100 prompts x 4 identical images: half-width %.4f (Wilson over 100: 0.0962)\n", hw);
    CHECK(fabs(hw - 0.0962) < 5e-4, "half-width %g", hw);
    for (int i = 0; i < 400; i++) o[i].correct = (i % 4) < 2; /* every prompt 2 of 4: no correlation, deff 1 */
    CHECK(parm_score_wilson(o, 400, &ci) == 0, "%s", parm_last_error());
    hw = (ci.hi[PARM_TAG_COUNTING] - ci.lo[PARM_TAG_COUNTING]) / 2;
    CHECK(fabs(hw - 0.0488) < 5e-4, "uncorrelated images count as 400: half-width %g", hw);
    free(o);
    o = malloc(sizeof *o * 800); /* overall of 0.75 and 0.25 over 400 prompts each */
    for (int i = 0; i < 400; i++) {
        o[i] = (parm_outcome){.prompt = i, .tag = PARM_TAG_SINGLE, .correct = i < 300};
        o[400 + i] = (parm_outcome){.prompt = 400 + i, .tag = PARM_TAG_POSITION, .correct = i < 100};
    }
    CHECK(parm_score_wilson(o, 800, &ci) == 0, "%s", parm_last_error());
    printf("    wilson overall [%.4f, %.4f] (normal approximation [0.470, 0.530])\n", ci.overall_lo, ci.overall_hi);
    CHECK(fabs(ci.overall_lo - 0.470) < 0.002 && fabs(ci.overall_hi - 0.530) < 0.002, "[%g, %g]", ci.overall_lo,
          ci.overall_hi);
    free(o);
    parm_outcome bad[2] = {{.prompt = 5, .tag = PARM_TAG_SINGLE}, {.prompt = 5, .tag = PARM_TAG_TWO}};
    CHECK(parm_score_wilson(bad, 2, &ci) == -1 && strstr(parm_last_error(), "two categories"), "%s", parm_last_error());
}

static void test_bad_input(void) {
    parm_outcome o[2] = {{.prompt = 5, .tag = PARM_TAG_SINGLE}, {.prompt = 5, .tag = PARM_TAG_TWO}};
    parm_score_ci ci;
    CHECK(parm_score_bootstrap(o, 2, 1000, 1, &ci) == -1 && strstr(parm_last_error(), "two categories"), "%s",
          parm_last_error());
    CHECK(parm_score_bootstrap(o, 0, 1000, 1, &ci) == -1, "no outcomes");
    CHECK(parm_score_bootstrap(o, 1, 10, 1, &ci) == -1, "too few resamples");
}

int main(void) {
    RUN(test_unanimous);
    RUN(test_half_correct);
    RUN(test_overall_mean);
    RUN(test_paired);
    RUN(test_wilson);
    RUN(test_bad_input);
    return TEST_SUMMARY();
}
