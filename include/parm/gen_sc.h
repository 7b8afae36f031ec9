/* parm/gen_sc.h — the PARM++ self-correction fine-tune of the generator
 * (src/models/gen_sc_train.c; the model's segments are in parm/gen.h):
 * quadruples from a train-prompt path set, the trainer on the shared loop,
 * and its held-out correction eval. */
#ifndef PARM_GEN_SC_H
#define PARM_GEN_SC_H

#include "parm/gen.h"
#include "parm/judge.h"
#include "parm/pathset.h"
#include "parm/sample.h"

/* ---- PARM++ self-correction fine-tune (src/models/gen_sc_train.c) ----
 * Quadruples (prompt, failed image, corrected image of the same prompt, the
 * grader's reflection on the failed image) from a TRAIN-prompt path set:
 * gt_targets 0: every (failed path, correct path) pair of a prompt; 1: the
 * same, and a failed path of a prompt with no correct path gets a
 * ground-truth render of its prompt as the corrected image (good = -1, a
 * fresh render each time it is drawn); 2: every failed path gets a
 * ground-truth render only (the generator's own correct samples are
 * cluttered targets: docs/RESULTS.md, PARM++); 3: as 2, and the render
 * drawn is the valid one nearest to the failed image (parm_scene_nearest,
 * fresh each draw: a minimal edit that keeps what was right, so the
 * previous image is worth copying). A set holding any TEST
 * prompt is refused (every path checked). holdout: -1 every prompt, 0 the
 * training prompts, 1 the held-out ones (every 10th prompt of the set:
 * prompt index % 10 == 9). */
typedef struct { int fail, good; } parm_sc_quad; /* path indices; good = -1: a GT render */
int parm_sc_quadruples(const parm_pathset *ps, int gt_targets, int holdout, parm_sc_quad **out, int *n);
/* A synthetic quadruple (train gen-sc --synth-frac): a ground-truth scene of
 * a train prompt (drawn into *p) on layout, changed in one respect
 * (parm_scene_wrong_layout: shape, colour, count, relation, a missing object),
 * rendered as the failed image f[64*64*3] (it fails the grader); the
 * grader's reflection of f into rf[R] (text tokens); and as the corrected
 * image g the valid render nearest to f (parm_scene_nearest): f with that
 * fault undone, so the fix is what differs. 0 / -1. */
int parm_sc_synthetic(const parm_layout *layout, parm_rng *rng, parm_prompt *p, int *rf, int R, uint8_t *f, uint8_t *g);
/* n synthetic failed images as a one-step path set (each its own prompt,
 * verdict 0): parm_gen_sc_eval_pathset on it measures the correction of
 * the faults the synthetic quadruples teach. Draws from (seed, PARM_STREAM_TRAIN). */
int parm_sc_synthetic_pathset(const parm_layout *layout, int n, uint64_t seed, parm_pathset *ps);

typedef struct {
    parm_train_opts train;  /* init (required): a plain generator (made self-correcting, parm_gen_init_sc)
                               or a self-correction one; steps, batch, lr, … */
    const char *vq_path;
    const char *data;       /* the train-prompt path set */
    int refl_len;           /* reflection positions (default PARM_REFL_TOKENS) */
    float cond_drop;        /* share of examples dropped to CFG's unconditional input (0.1): no text, no
                               reflection, and no previous image unless uncond_prev */
    int uncond_prev;        /* 1 (default): a dropped example keeps its previous image, so guidance
                               contrasts (text, reflection) on that image with the image alone; saved in the
                               weights (parm_gen_config.uncond_prev) for the sampler */
    float plain_frac;       /* share of plain examples: a GT render of a train prompt, no segments (0.3) */
    int gt_targets;         /* see parm_sc_quadruples: 0 paths, 1 paths + GT where none (default), 2 GT only,
                               3 the GT render nearest to the failed image */
    float bg_weight;
    float synth_frac;       /* share of the conditioned examples that are synthetic quadruples: a GT scene
                               changed in one respect as the failed image, the grader's reflection, the
                               nearest valid render as the fix (train prompts; 0 = none) */
    float edit_weight;      /* loss weight of a token that differs from the previous image's token at its
                               place (what the correction must change; 1 = none) */
    int eval_n;             /* held-out failed images regenerated at each eval (32) */
    int eval_prompts;       /* plain-prompting eval (parm_gen_evaluate, 32) */
    parm_layout layout;     /* GT renders (default canonical) */
    const char *reflect_judge; /* NULL: every real failed image's reflection is the grader's; else the
                               judge's (parm_judge_reflect at reflect_thresh) wherever that judge rejects
                               the image, as the PARM++ loop will condition on it (the grader's where it
                               accepts: the loop never corrects those); synthetic quadruples keep the grader's */
    float reflect_thresh;   /* 0.5 */
} parm_gen_sc_train_opts;
parm_gen_sc_train_opts parm_gen_sc_train_defaults(void);
/* *nquad (may be NULL) = the training quadruples. */
int parm_gen_sc_train(const parm_gen_sc_train_opts *o, long *nquad);
/* The held-out correction eval: each quadruple's failed image regenerated
 * once conditioned on (its tokens ptok, its reflection prefl) and once
 * plainly, seed 1000 + i; *fix / *plain = the grader-accepted fractions. */
int parm_gen_sc_correction_rate(parm_gen *g, parm_vq *vq, const parm_pathset *ps, const parm_sc_quad *q, int n,
                                const int *ptok, const int *prefl, const parm_sample_opts *so, double *fix,
                                double *plain);

/* The correction ability on a path set's failed final images (any split:
 * evaluation only): for each of the first max_n failed paths, a reflection
 * (the judge's, parm_judge_reflect with thresh, or with j = NULL the
 * grader's), then one regeneration conditioned on (that image, the
 * reflection) and one plain regeneration, seed 1000 + path index, both
 * graded. An image the judge accepts is not regenerated (PARM++ stops:
 * it stays wrong). A plain generator gets the plain regeneration only. */
typedef struct {
    long n, accepted, regenerated, fixed, plain, judge_calls;
} parm_sc_eval;
int parm_gen_sc_eval_pathset(parm_gen *g, parm_vq *vq, const parm_pathset *ps, parm_judge *j, float thresh, int max_n,
                             const parm_sample_opts *so, parm_sc_eval *out);

#endif
