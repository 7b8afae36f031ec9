/* parm/gen.h — the Show-o-style generator: a transformer over
 * [text tokens][image tokens] that predicts masked VQ tokens, and its
 * MaskGIT step-by-step sampler.
 *
 * Sequence (T = text_len + 64 positions):
 *   text:  [BOS] w1 … wn [PAD]…        word-level tokens (parm_text_*)
 *   image: 64 positions, each a 2×2 group of the VQ's 16×16 token grid
 *          (position p = gy·8+gx holds tokens (2gy+sy, 2gx+sx), slot s = sy·2+sx):
 *          input = Σ_s img_emb[s][token or MASK] + pos_emb, output = 4 heads
 *          over the codebook. Grouping cuts transformer positions 4× (the
 *          tokens of a group are sampled independently given the context, as
 *          MaskGIT samples all masked tokens of a step).
 * Attention (Show-o's omni mask): text is causal over non-pad text; image
 * positions see all non-pad text and all image positions; pad rows see BOS.
 * Unconditional (CFG) input = the null prompt: [BOS] alone.
 * Self-correction (PARM++, refl_len > 0): two conditioning segments slot in
 * between text and image, T = text_len + refl_len + 64 + 64:
 *   reflection  [BOS] w1 … [PAD]… (parm_reflection_encode: the text vocabulary,
 *               emb.text shared) + emb.pos_sc[0..refl_len)
 *   previous    64 positions of the previous image's tokens, Σ_s emb.prev[s][token]
 *               + emb.pos_sc[refl_len + p]
 *   image       as above (+ emb.pos[text_len + p], the plain model's rows).
 * Attention: reflection rows see non-pad text and non-pad reflection; previous
 * rows see those and the previous image; image rows see every present
 * segment. An absent segment (reflection all PAD, previous image not given)
 * is masked out like padding, and a batch with no segment present at all
 * runs the plain layout (T = text_len + 64), so the model prompted plainly is
 * exactly the plain generator with its weights (parm_gen_init_sc copies them). *
 * Thread safety: an instance owns its activation buffers, so one thread at a
 * time may use it (forward, backward, sampling; the calls parallelize
 * internally with OpenMP). Separate instances are independent: libparm has
 * no mutable global state besides read-only tables built once
 * (pthread_once), per-thread error messages and per-thread scratch. */
#ifndef PARM_GEN_H
#define PARM_GEN_H

#include <stdint.h>

#include "parm/nn.h"
#include "parm/train.h"
#include "parm/transformer.h"
#include "parm/vq.h"
#include "parm/world.h"

#include "parm/text.h"

/* ---- model ---- */
#define PARM_GEN_GROUP 2                       /* 2×2 tokens per position */
#define PARM_GEN_SLOTS 4
#define PARM_GEN_POS 64                        /* image positions */

typedef struct {
    int L, C, NH, F;   /* transformer */
    int ncodes;        /* VQ codebook size K (MASK = K) */
    int text_len;      /* text positions incl. BOS */
    int refl_len;      /* PARM++ self-correction segments: reflection positions (0 = plain generator) */
    int uncond_prev;   /* self-correction: CFG's unconditional branch keeps the previous image (text and
                          reflection dropped), as the trainer's condition dropout taught it (metadata
                          "uncond_prev"); 0: it drops every condition */
} parm_gen_config;
parm_gen_config parm_gen_default_config(void);

typedef struct {
    parm_gen_config cfg;
    parm_slab p;
    parm_transformer tf;
    int tok_emb, img_emb, pos_emb, head_w, head_b; /* view indices */
    int pos_sc, prev_emb;  /* self-correction: [refl_len + 64, C], [4·K, C]; -1 for a plain generator */
    int maxB, T;           /* T: the longest layout (with the self-correction segments when refl_len > 0) */
    int Tc, img0;          /* the last forward's layout: sequence length, first image position */
    int *refl_ids;         /* [B,refl_len] */
    int *prev_ids;         /* [B·256] (b,p,s) order into emb.prev; -1 = absent */
    float *ptmp, *dptmp;   /* [B·256,C] per-token previous-image embeddings */
    uint8_t *has_prev;     /* [B] */
    /* buffers for up to maxB sequences */
    float *x, *dx;         /* [B,T,C] */
    float *tmp, *dtmp;     /* [B·256,C] per-token image embeddings */
    uint8_t *mask;         /* [B,T,T] */
    int *text_ids;         /* [B,text_len] */
    int *img_ids;          /* [B·256] in (b,p,s) order; K = MASK */
    float *hid, *dhid;     /* [B·64,C] image-position hidden states */
    float *logits;         /* [B·64, 4K] = [B·256, K] rows in (b,p,s) order */
    float *probs;          /* [B·256, K] */
    int *targets;          /* [B·256] (b,p,s) order; -1 = not a loss target */
    uint64_t vq_fingerprint; /* parm_vq_fingerprint of the tokenizer it was trained on; 0 = unknown */
} parm_gen;

int parm_gen_init(parm_gen *g, const parm_gen_config *cfg, uint64_t seed);
int parm_gen_alloc(parm_gen *g, int maxB);
void parm_gen_free(parm_gen *g);
int parm_gen_load(parm_gen *g, const char *path);
int parm_gen_save(const parm_gen *g, const char *path, parm_dtype dtype);
/* Do g and vq belong together? The codebook sizes must agree and, when g
 * records one (metadata vq_fingerprint), the tokenizer's fingerprint must be
 * the one g was trained on. The error names both files (gen_path, vq_path:
 * for the message only). A generator decoded by another tokenizer's codebook
 * prints noise, so every loader of the pair checks it. */
int parm_gen_check_vq(const parm_gen *g, const parm_vq *vq, const char *gen_path, const char *vq_path);

/* MaskGIT's training mask ratio: nm = ceil(256·cos(π/2·u)) tokens (clamped
 * to [1, 256]), u uniform; perm[0..nm) are the masked token indices (a
 * partial Fisher–Yates over 0..255; perm[256]). One draw order, shared by
 * generator training and DPO. Returns nm. */
int parm_gen_draw_mask(parm_rng *rng, int *perm);

/* token grid index (y·16+x) of image position p, slot s */
static inline int parm_gen_token_index(int p, int s) {
    int gy = p / 8, gx = p % 8, sy = s / 2, sx = s % 2;
    return (2 * gy + sy) * 16 + 2 * gx + sx;
}

/* Forward for B sequences: text_ids [B,text_len] (BOS…PAD), img_tokens [B,256]
 * in grid order with K = MASK. Fills g->logits ([B·256,K], (b,p,s) order).
 * train = 1 keeps activations for parm_gen_backward. */
int parm_gen_forward(parm_gen *g, const int *text_ids, const int *img_tokens, int B, int train);
/* The same with the self-correction segments (refl_len > 0): refl_ids
 * [B,refl_len] (NULL, or an all-PAD row: no reflection), prev_tokens [B,256]
 * grid order in [0, K) (NULL, or a row starting with -1: no previous image).
 * A plain generator accepts only NULL / absent rows. */
int parm_gen_forward_sc(parm_gen *g, const int *text_ids, const int *refl_ids, const int *prev_tokens,
                        const int *img_tokens, int B, int train);
/* A self-correction generator (refl_len > 0) from a plain one's weights:
 * every tensor of base copied; the new emb.pos_sc and emb.prev ~ N(0, 0.02²)
 * from seed (emb.prev copied from emb.image made the previous image read as
 * image content at step 0: docs/RESULTS.md, PARM++), then the previous
 * image's 64 rows of emb.pos_sc set to the image's own rows of emb.pos (the
 * same place of both images starts out matched). */
int parm_gen_init_sc(parm_gen *g, const parm_gen *base, int refl_len, uint64_t seed);
/* Cross-entropy over rows whose target (grid order, [B,256], -1 = skip) is set;
 * weights per row optional. Then full backward into g->p.g. Returns the loss. */
float parm_gen_loss_backward(parm_gen *g, const int *targets, const float *weights, int B);
/* The backward of the last parm_gen_forward(…, B, train = 1) from given logit
 * gradients dlogits [B·256,K] ((b,p,s) row order, as g->logits; may be
 * g->logits or g->probs themselves), ACCUMULATING into g->p.g. Any loss on the
 * logits (CE above, DPO in parm/dpo.h) ends here. */
int parm_gen_backward(parm_gen *g, const float *dlogits, int B);

/* ---- training (src/models/gen_train.c, with the loop of parm/train.h) ---- */
typedef struct {
    parm_gen_config cfg;
    parm_train_opts train;     /* steps, batch, lr, …, paths (no defaults: the caller's); train.init = start
                                  from these weights (their config wins), fresh optimizer */
    const char *vq_path;       /* the tokenizer (required) */
    float cond_drop, bg_weight;
    int eval_prompts;
    parm_layout layout;        /* training scene distribution (default canonical) */
} parm_gen_train_opts;
parm_gen_train_opts parm_gen_train_defaults(void);
int parm_gen_train(const parm_gen_train_opts *o);

#endif
