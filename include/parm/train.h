/* parm/train.h — the one training loop every model trains with.
 *
 * A model (the VQ, the generator, a judge variant; later DPO and the PARM++
 * self-correction fine-tune) builds itself, then hands parm_train() its
 * parameter slab and a few callbacks. The loop owns everything the models
 * share:
 *
 *   rng = (seed, PARM_STREAM_TRAIN); resume: weights, AdamW moments, step, rng
 *   begin(ctx, rng, step)                      optional, once (e.g. codebook init)
 *   while step < steps:
 *       zero grads
 *       step(ctx, rng, step, shard, &loss)     batch from rng + forward + backward
 *       shard_stats(ctx, sums)                 optional: the shards' summed stats
 *       NaN guard, clip to o->clip, step++, AdamW at parm_lr_cosine(step, …)
 *       after_step(ctx, rng, step)             optional (e.g. dead-code restarts)
 *       progress line: loss EMA, describe(), rate, ETA
 *       evaluate(ctx, step)                    every eval_every steps and at the end
 *       CSV row: step, samples, loss EMA, log_row(), seconds   (eval steps, every log_every: 100)
 *       checkpoint (atomic)                    every ckpt_every steps and at the end
 *   save(ctx, o->out)                          final export (atomic)
 *
 * The training RNG is only ever drawn by the callbacks, in the order above,
 * so a model's draw order is its own code's; checkpoints fall between steps,
 * so a resumed run is bit-exact. A model whose step needs more than its own
 * weights (a frozen reference model, the VQ that tokenizes the batch, a path
 * set of pairs) keeps them in ctx: only `params` is optimised and saved.
 *
 * A new trainer is its ctx struct, a step callback and a wrapper that builds
 * the models and calls parm_train (see gen_train.c: ~150 lines with its
 * eval). E.g. DPO: ctx = {policy parm_gen, frozen reference parm_gen, the
 * VQ, a path set of (chosen, rejected) pairs}; step draws B pair indices
 * from rng, runs the reference forward (train = 0) and the policy forward
 * (train = 1) on chosen + rejected as one batch of 2B, puts the DPO loss's
 * gradient into the policy's logits and runs its backward (a backward from
 * given logit gradients, which gen.h does not export yet); params =
 * &policy.p, save = parm_gen_save; init = the SFT generator's weights.
 *
 * Data parallel (parm/dist.h): the global batch is cut into S shards
 * (o->shards; 0 = one a rank, or the resumed checkpoint's count), examples
 * [j·B/S, (j+1)·B/S) in shard j; the K ranks take S/K consecutive shards
 * each. Every shard's step starts from the same rng and must draw exactly
 * what the whole batch draws (the loop checks it), computing forward and
 * backward only on its examples, its loss and gradient the mean over them.
 * The loop allgathers the shards' gradients and sums them in shard order,
 * weighted by their share of the batch, so the trajectory depends on S only:
 * `mpirun -np 2` and one process with shards = 2 agree bit for bit, and a
 * run resumes on any K dividing S. With S = 1 the loop is the plain one
 * above (no copies). Rank 0 alone evaluates and writes the log, checkpoints
 * and weights; the other ranks are quiet.
 *
 * Paths are the caller's: the library has no default location. out, ckpt,
 * log: NULL or "" = not written (at least one of out and ckpt must be given,
 * or the run would keep nothing); a missing folder is created. */
#ifndef PARM_TRAIN_H
#define PARM_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "parm/nn.h"

/* What every training command shares; each model's options embed one. */
typedef struct {
    long steps;            /* total optimizer steps (a resumed run continues to it) */
    int batch;             /* examples per step */
    float lr, lr_min;      /* warmup to lr, then cosine to lr_min at `steps` */
    long warmup;
    float clip;            /* global grad-norm clip (0 = off) */
    float weight_decay;    /* AdamW decoupled decay on matrices */
    uint64_t seed;         /* init and data */
    long ckpt_every;       /* checkpoint period (0 = only at the end) */
    long eval_every;       /* eval period (0 = never) */
    long log_every;        /* CSV row period besides eval steps (0 = every 100 steps) */
    const char *out;       /* final weights, or NULL */
    const char *ckpt;      /* checkpoint for exact resume, or NULL */
    const char *log;       /* learning-curve CSV, or NULL */
    const char *resume;    /* checkpoint to continue from, or NULL */
    const char *init;      /* weights to start from (the model's own loader reads it), or NULL */
    int quiet;             /* no progress output */
    int shards;            /* gradient shards of the batch (0 = one a rank; see above) */
} parm_train_opts;

/* The part of the global batch one step call computes, and what it reports. */
#define PARM_TRAIN_NSTATS 8
typedef struct {
    int lo, hi;                        /* examples [lo, hi) of the batch (0, batch when unsharded) */
    double stats[PARM_TRAIN_NSTATS];   /* out (zeroed): sums the loop adds over the shards, for shard_stats */
} parm_shard;

/* What a model hands the loop. Callbacks return 0, or -1 with parm_last_error set. */
typedef struct {
    const char *label;        /* progress label, e.g. "train gen" */
    const char *unit;         /* what a batch holds, plural: "images", "samples", "examples" (CSV column 2) */
    parm_slab *params;        /* the weights being trained (checkpointed with their AdamW moments) */
    void *ctx;                /* the model's state, passed to every callback */
    const char *const *ckpt_meta; /* extra checkpoint metadata {key, value, …}, nmeta pairs (may be NULL) */
    int nmeta;
    const char *log_columns;  /* the model's CSV columns between "loss" and "seconds" ("a,b"), or NULL */
    /* required: the batch for step `step` (0-based) drawn from rng, forward, backward of
     * examples [sh->lo, sh->hi) ACCUMULATING into params->g (the loop zeroed it); *loss =
     * their mean loss */
    int (*step)(void *ctx, parm_rng *rng, long step, parm_shard *sh, float *loss);
    /* optional: once a step, after every shard's step, the shards' stats summed in shard order */
    void (*shard_stats)(void *ctx, const double *stats);
    /* optional: once before the first step of this run (step = 0 on a fresh start) */
    int (*begin)(void *ctx, parm_rng *rng, long step);
    /* optional: after the optimizer's step `step` (1-based), may draw from rng */
    int (*after_step)(void *ctx, parm_rng *rng, long step, int quiet);
    /* optional: text after the loss on the progress line */
    void (*describe)(void *ctx, char *buf, size_t n);
    /* optional: evaluate (reports on stderr unless quiet; keeps results in ctx for log_row) */
    int (*evaluate)(void *ctx, long step, int quiet);
    /* optional: the log_columns values of this row (no leading comma); evaluated = 1 on eval steps */
    void (*log_row)(void *ctx, int evaluated, char *buf, size_t n);
    /* required when o->out is given: write the final weights to path (atomically) */
    int (*save)(void *ctx, const char *path);
} parm_trainer;

typedef struct {
    long step;                    /* the step reached */
    long samples;                 /* examples seen in this run (steps run · batch) */
    double loss_first, loss_last; /* mean loss of the first / last min(10, steps run) steps of this run */
    double seconds;
    double comm_seconds;          /* spent gathering and summing the shards' gradients */
    double wait_seconds;          /* spent before that, waiting for the slowest rank */
    int shards, ranks;
} parm_train_stats;

/* Train: checks the options, resumes from o->resume, runs to o->steps,
 * saves. st may be NULL. */
int parm_train(const parm_train_opts *o, const parm_trainer *t, parm_train_stats *st);
/* Defaults shared by the models (each then sets its own): steps 10000, batch
 * 32, lr 1e-3 → 5e-5, warmup 500, clip 1, weight decay 0.01, seed 0, ckpt and
 * eval every 500, no paths. */
parm_train_opts parm_train_defaults(void);
/* mkdir -p of the folder holding `path` (nothing when it has none). */
int parm_mkdirs_for(const char *path);

#endif
