/* parm/vq.h — the VQ image tokenizer: 64×64 image ↔ 16×16 grid of codebook indices.
 *
 * Design (measured choices in docs/RESULTS.md):
 *  - input: per-pixel palette class (0 = background, 1..10 = palette colour;
 *    parm_pixel_class), one-hot [B,11,64,64] — the world's images are flat
 *    colours, so the class map loses nothing the grader can see.
 *  - encoder: patchify conv 4×4/4 (11→W) → GELU → 1×1 (W→W) → GELU → 1×1 (W→D):
 *    each token depends only on its own 4×4 patch, so a token is a quantised
 *    patch pattern (colour × shape-edge fragment).
 *  - quantiser: K codes of dimension D, nearest neighbour, straight-through,
 *    codebook + β·commitment loss, dead-code restarts from encoder outputs.
 *  - decoder: 1×1 (D→W) → GELU → [3×3 (W→W) → GELU] × 2 → 1×1 (W→16·11),
 *    depth-to-space to per-pixel logits over the 11 classes (categorical
 *    decoder, cross-entropy); an image is the argmax class painted in its
 *    palette colour.
 */
#ifndef PARM_VQ_H
#define PARM_VQ_H

#include <stdint.h>

#include "parm/nn.h"
#include "parm/train.h"

#define PARM_VQ_CLASSES 11   /* background + 10 palette colours */
#define PARM_VQ_PATCH 4
#define PARM_VQ_GRID 16      /* 64 / 4 */
#define PARM_VQ_TOKENS 256   /* 16 × 16 */

typedef struct {
    int width;   /* W: conv channels */
    int dim;     /* D: code dimension */
    int ncodes;  /* K: codebook size */
    float beta;  /* commitment weight */
} parm_vq_config;
parm_vq_config parm_vq_default_config(void);

typedef struct {
    parm_vq_config cfg;
    parm_slab p;
    /* view indices */
    int enc0_w, enc0_b, enc1_w, enc1_b, enc2_w, enc2_b, codebook;
    int dec0_w, dec0_b, dec1_w, dec1_b, dec2_w, dec2_b, dec3_w, dec3_b;
    /* activations for up to `cap` images (see vq.c for shapes) */
    int cap;
    float *act, *dact;
    size_t act_numel;
    int *idx;        /* [cap,256] chosen codes */
    int *targets;    /* [cap·4096] pixel classes */
    float last_codebook_loss, last_commit_loss, last_recon_loss;
} parm_vq;

int parm_vq_init(parm_vq *m, const parm_vq_config *cfg, uint64_t seed);
void parm_vq_free(parm_vq *m);
/* The tokenizer's identity: a 64-bit hash of its codebook (as F16), never 0.
 * A generator records the fingerprint of the VQ it was trained on, so the
 * pair can be checked when loaded (parm_gen_check_vq). */
uint64_t parm_vq_fingerprint(const parm_vq *m);
/* Weights file (safetensors; config in metadata). */
int parm_vq_load(parm_vq *m, const char *path);
int parm_vq_save(const parm_vq *m, const char *path, parm_dtype dtype);

/* rgb [B,64,64,3] → tokens [B,256] (row-major 16×16 grid). */
int parm_vq_encode(parm_vq *m, const uint8_t *rgb, int B, int *tokens);
/* tokens [B,256] → rgb [B,64,64,3]; classes [B,4096] optional (may be NULL). */
int parm_vq_decode(parm_vq *m, const int *tokens, int B, uint8_t *rgb, uint8_t *classes);

/* One training forward+backward on a batch of rgb images: accumulates grads
 * into m->p.g; returns total loss (recon CE + codebook + β·commit), or NAN on error. */
float parm_vq_forward_backward(parm_vq *m, const uint8_t *rgb, int B);
/* Dead-code restart: every code not chosen since the last call is reset to a
 * random encoder output of the last batch (plus tiny noise). Returns #restarted. */
int parm_vq_restart_dead(parm_vq *m, const int *usage, int B, parm_rng *rng);
/* The same from given encoder outputs z [B,dim,256] (e.g. a batch's, gathered from its shards). */
int parm_vq_restart_dead_z(parm_vq *m, const int *usage, const float *z, int B, parm_rng *rng);
/* The encoder outputs z [B,dim,256] of the last forward (of B images). */
const float *parm_vq_last_z(const parm_vq *m, int B);


/* ---- training (src/models/vq_train.c, with the loop of parm/train.h) ---- */
typedef struct {
    parm_vq_config cfg;
    parm_train_opts train; /* steps, batch, lr, …, paths (no defaults: the caller's); weight decay default 0.
                              ckpt_every is rounded up to a multiple of restart_every */
    int restart_every;     /* dead-code restart period (steps) */
} parm_vq_train_opts;
parm_vq_train_opts parm_vq_train_defaults(void);
int parm_vq_train(const parm_vq_train_opts *o);

/* Reconstruction quality on `n` fixed ground-truth scenes of train prompts
 * (seeded): per-pixel class agreement overall and on object pixels. */
typedef struct {
    double pixel_acc, object_pixel_acc, grader_acc;
} parm_vq_eval;
int parm_vq_evaluate(parm_vq *m, int n, uint64_t seed, parm_vq_eval *out);

#endif
