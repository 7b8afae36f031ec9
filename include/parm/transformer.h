/* parm/transformer.h — a reusable pre-norm transformer stack (the trunk of the
 * generator and of the judge).
 *
 *   x [B,T,C] (caller's embeddings) → L blocks → final LayerNorm → y [B,T,C]
 *   block:  h = x + proj(attn(qkv(LN1(x)), mask))
 *           x' = h + fcproj(GELU_tanh(fc(LN2(h))))
 *   attention: NH heads of C/NH, scale 1/√(C/NH), per-batch boolean mask
 *   [B,T,T] (1 = query t may attend key s); a query row with no allowed key
 *   gives zeros.
 *
 * Parameters are declared into a caller's parm_slab (so embeddings and heads
 * can share it), named <prefix>blocks.<l>.{ln1,attn.qkv,attn.proj,ln2,mlp.fc,
 * mlp.proj}.{weight,bias} and <prefix>ln_f.{weight,bias}; linear weights use
 * PyTorch's [out,in] layout. Matrices have weight decay, LN and biases not.
 *
 * Activations for backward live in ONE buffer sized for (maxB, maxT) at
 * parm_tf_alloc; forward/backward never allocate. Usage:
 *   parm_tf_declare(&tf, &slab, "", &cfg);   ... declare other tensors ...
 *   parm_slab_alloc(&slab);  parm_tf_init(&tf, &rng);  parm_tf_alloc(&tf, B, T);
 *   y = parm_tf_forward(&tf, x, mask, B, T, 1);   (train = 1 keeps activations)
 *   parm_tf_backward(&tf, dx, dy);                 (grads += into slab->g; dx += )
 */
#ifndef PARM_TRANSFORMER_H
#define PARM_TRANSFORMER_H

#include <stddef.h>
#include <stdint.h>

#include "parm/nn.h"

typedef struct {
    int L;  /* blocks */
    int C;  /* width */
    int NH; /* attention heads (C % NH == 0) */
    int F;  /* MLP hidden width (usually 4C) */
} parm_tf_config;

typedef struct {
    int ln1w, ln1b, qkvw, qkvb, projw, projb, ln2w, ln2b, fcw, fcb, fcpw, fcpb; /* view indices */
} parm_tf_block_params;

/* Saved activations of one block for (B, T); N = B·T. */
typedef struct {
    float *res;       /* [N,C]  block input (residual stream) */
    float *ln1;       /* [N,C] */
    float *ln1_mean, *ln1_rstd; /* [N] */
    float *qkv;       /* [N,3C] */
    float *att;       /* [B,NH,T,T] softmax probabilities */
    float *atty;      /* [N,C]  attention output before proj */
    float *res2;      /* [N,C]  after the attention residual */
    float *ln2;       /* [N,C] */
    float *ln2_mean, *ln2_rstd; /* [N] */
    float *fch;       /* [N,F]  fc output (pre-GELU) */
    float *fchg;      /* [N,F]  GELU(fch) */
} parm_tf_acts;

typedef struct {
    parm_tf_config cfg;
    parm_slab *slab;
    parm_tf_block_params *blk; /* [L] */
    int lnfw, lnfb;
    /* activations (one allocation) */
    int maxB, maxT;
    float *buf;
    size_t buf_numel;
    parm_tf_acts *acts; /* [L] train-mode activations; inference reuses acts[0] for every block */
    float *res_out;     /* [N,C] residual stream after the last block */
    float *out;         /* [N,C] final LN output = the forward's result */
    float *lnf_mean, *lnf_rstd; /* [N] */
    /* backward scratch (shared by all blocks) */
    float *dres;  /* [N,C] gradient of the residual stream */
    float *dC;    /* [N,C] */
    float *dqkv;  /* [N,3C] */
    float *dF;    /* [N,F] */
    /* state of the last forward */
    int B, T, trained;
    const uint8_t *mask;
} parm_transformer;

/* Declare the stack's parameters into s (before parm_slab_alloc). prefix may be "". */
int parm_tf_declare(parm_transformer *tf, parm_slab *s, const char *prefix, const parm_tf_config *cfg);
/* GPT-2 init (after parm_slab_alloc): linear weights N(0, 0.02), the two
 * residual projections N(0, 0.02/√(2L)), biases 0, LN weight 1 / bias 0. */
void parm_tf_init(parm_transformer *tf, parm_rng *rng);
/* Allocate the activation buffer for batches up to maxB × maxT. */
int parm_tf_alloc(parm_transformer *tf, int maxB, int maxT);
/* Bytes the activation buffer takes for (maxB, maxT). */
size_t parm_tf_act_bytes(const parm_tf_config *cfg, int maxB, int maxT);
void parm_tf_free(parm_transformer *tf); /* frees activations (not the slab) */

/* Forward. x [B,T,C] (copied; the caller may reuse it), mask [B,T,T] or NULL
 * (= full attention; must stay valid until backward). train = 1 keeps every
 * activation for backward; train = 0 reuses one block's buffers (faster,
 * smaller). Returns tf->out [B,T,C] (valid until the next forward), or NULL
 * with an error if B, T exceed the allocation. */
const float *parm_tf_forward(parm_transformer *tf, const float *x, const uint8_t *mask, int B, int T, int train);
/* Backward of the last train-mode forward: dy [B,T,C] = dLoss/dout.
 * Parameter grads ACCUMULATE into slab->g; dx [B,T,C] += dLoss/dx (NULL to skip). */
int parm_tf_backward(parm_transformer *tf, float *dx, const float *dy);

/* FLOPs of one forward over (B, T): 2·(linear params)·B·T + attention
 * (4·B·T²·C for Q·Kᵀ and P·V). Training ≈ 3× this. */
double parm_tf_forward_flops(const parm_tf_config *cfg, int B, int T);

#endif
