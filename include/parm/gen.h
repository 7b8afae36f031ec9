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
 * Extensible: later segments (reflection text, previous image tokens for
 * PARM++ self-correction) slot in between text and image. */
#ifndef PARM_GEN_H
#define PARM_GEN_H

#include <stdint.h>

#include "parm/nn.h"
#include "parm/train.h"
#include "parm/transformer.h"
#include "parm/vq.h"
#include "parm/world.h"

/* ---- text tokenizer (word level over the prompt grammar + reflection words) ---- */
enum { PARM_TOK_PAD = 0, PARM_TOK_BOS = 1, PARM_TOK_EOS = 2, PARM_TOK_SEP = 3 };
int parm_text_vocab_size(void);
const char *parm_text_word(int id);          /* NULL if out of range */
int parm_text_id(const char *word);          /* -1 if unknown */
/* Tokenize: ids[0] = BOS, then words, then PAD up to max_len. Unknown word or
 * too long → -1 with an error naming the word. Returns number of non-pad tokens. */
int parm_text_encode(const char *text, int *ids, int max_len);

/* ---- model ---- */
#define PARM_GEN_GROUP 2                       /* 2×2 tokens per position */
#define PARM_GEN_SLOTS 4
#define PARM_GEN_POS 64                        /* image positions */

typedef struct {
    int L, C, NH, F;   /* transformer */
    int ncodes;        /* VQ codebook size K (MASK = K) */
    int text_len;      /* text positions incl. BOS */
} parm_gen_config;
parm_gen_config parm_gen_default_config(void);

typedef struct {
    parm_gen_config cfg;
    parm_slab p;
    parm_transformer tf;
    int tok_emb, img_emb, pos_emb, head_w, head_b; /* view indices */
    int maxB, T;
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
} parm_gen;

int parm_gen_init(parm_gen *g, const parm_gen_config *cfg, uint64_t seed);
int parm_gen_alloc(parm_gen *g, int maxB);
void parm_gen_free(parm_gen *g);
int parm_gen_load(parm_gen *g, const char *path);
int parm_gen_save(const parm_gen *g, const char *path, parm_dtype dtype);

/* token grid index (y·16+x) of image position p, slot s */
static inline int parm_gen_token_index(int p, int s) {
    int gy = p / 8, gx = p % 8, sy = s / 2, sx = s % 2;
    return (2 * gy + sy) * 16 + 2 * gx + sx;
}

/* Forward for B sequences: text_ids [B,text_len] (BOS…PAD), img_tokens [B,256]
 * in grid order with K = MASK. Fills g->logits ([B·256,K], (b,p,s) order).
 * train = 1 keeps activations for parm_gen_backward. */
int parm_gen_forward(parm_gen *g, const int *text_ids, const int *img_tokens, int B, int train);
/* Cross-entropy over rows whose target (grid order, [B,256], -1 = skip) is set;
 * weights per row optional. Then full backward into g->p.g. Returns the loss. */
float parm_gen_loss_backward(parm_gen *g, const int *targets, const float *weights, int B);

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

/* ---- MaskGIT sampler: schedule × step rule, N paths batched ---- */
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
