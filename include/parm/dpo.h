/* parm/dpo.h — Direct Preference Optimization of the masked-token generator
 * (issue 15; the paper's second pillar), as its official code does it for a
 * MaskGIT-style model:
 *
 *   for a pair (chosen c, rejected r) of one prompt's generated token grids,
 *   mask a random MaskGIT-ratio subset M of the 256 positions (the generator's
 *   training mask: ratio cos(π/2·u), u ~ U[0,1); one mask per pair, shared by
 *   c and r) and score each grid by its sequence log-likelihood
 *       π(x) = Σ_{i∈M} log softmax(logits_i)[x_i]      (policy)
 *       ρ(x)  = the same under the frozen reference (the initial generator)
 *   z = β·((π_c − π_r) − (ρ_c − ρ_r))
 *   L = mean over pairs of −log σ(z)  +  λ·CE(chosen)
 *   where CE(chosen) = the token-mean cross-entropy over the chosen masked
 *   tokens (the generator's own training loss on the chosen images).
 *
 * With policy = reference, z = 0: the DPO term is log 2 and its gradient is
 * −(β/2)·(∇π_c − ∇π_r) per pair (tests/test_dpo.c checks both, the gradient
 * by finite differences). Value and gradients are checked against PyTorch
 * (tools/make_fixtures_dpo.py).
 *
 * Loss: src/models/gen_dpo.c. Trainer: src/models/dpo_train.c, on the one
 * training loop (parm/train.h); its data is a preference set (parm/prefset.h). */
#ifndef PARM_DPO_H
#define PARM_DPO_H

#include "parm/gen.h"
#include "parm/prefset.h"
#include "parm/train.h"

/* After parm_gen_forward(g, …, B, ·): per sequence b, out[b] = Σ over its
 * positions with a target (targets [B,256] grid order, -1 = not counted) of
 * log softmax(logits)[target], summed in double. */
int parm_gen_seq_logp(parm_gen *g, const int *targets, int B, float *out);

typedef struct {
    double loss;              /* the batch loss: dpo + λ·sft */
    double dpo, sft;          /* mean −log σ(z); CE(chosen) */
    double drift_c, drift_r;  /* mean π − ρ over the chosen / rejected grids (likelihood drift from the reference) */
    double margin;            /* mean z */
    double acc;               /* implicit reward accuracy: the fraction of pairs with z > 0 */
    long masked;              /* masked tokens counted in π over the batch (chosen + rejected) */
} parm_dpo_stats;

/* The DPO loss and its full backward. Call after parm_gen_forward(g, text,
 * input, 2B, 1) on 2B sequences: rows 0..B-1 the chosen grids, rows B..2B-1
 * the rejected ones (pair b = rows b and B+b). targets [2B,256] grid order:
 * the true token at the masked positions, -1 elsewhere. ref_logp [2B]: ρ of
 * the same rows (parm_gen_seq_logp on the reference). beta > 0, sft >= 0.
 * Gradients ACCUMULATE into g->p.g. Returns the loss (NAN on error); st may
 * be NULL. */
float parm_gen_dpo_loss_backward(parm_gen *g, const int *targets, const float *ref_logp, int B, float beta, float sft,
                                 parm_dpo_stats *st);

/* ---- training (src/models/dpo_train.c, with the loop of parm/train.h) ---- */
typedef struct {
    parm_train_opts train;  /* train.init = the policy's starting weights (required); train.steps 0 = one epoch
                               of the pairs (`epochs` of them); batch = pairs per step */
    const char *ref;        /* the frozen reference; NULL = train.init */
    const char *data;       /* the preference set (required; a test prompt in it is refused) */
    const char *vq_path;    /* the tokenizer (eval, and the tokens' fingerprint check) */
    float beta, sft;        /* β, λ */
    float epochs;           /* used when train.steps is 0 */
    int max_pairs_per_prompt; /* parm_prefset_pairs' cap (0 = every pair) */
    int eval_prompts;       /* train prompts generated at each eval (train.eval_every > 0) */
} parm_dpo_train_opts;
/* β 0.1, λ 0 … see the .c; lr 1e-5 (the paper's code), one epoch, batch 8 pairs, warmup 20, no weight decay. */
parm_dpo_train_opts parm_dpo_train_defaults(void);
typedef struct {
    int pairs;              /* pairs in the data */
    long steps;             /* steps trained to */
    double seconds;
    double loss_first, loss_last; /* mean loss of the first / last min(10, steps) steps of this run */
    double last_acc, last_drift_c, last_drift_r; /* the means since the last CSV row */
} parm_dpo_result;
int parm_dpo_train(const parm_dpo_train_opts *o, parm_dpo_result *res);

#endif
