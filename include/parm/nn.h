/* parm/nn.h — parameters in one slab, AdamW, LR schedule, safetensors, checkpoints.
 *
 * A model declares its tensors by name into a parm_slab, then allocates once:
 * weights, grads and the two AdamW moments are each ONE contiguous float
 * buffer carved into the same named views, so zero-grad, grad-norm, AdamW and
 * checkpoint I/O are single loops over slab->numel. Views start on 16-float
 * (64-byte) boundaries; the padding between them is zero in every buffer.
 *
 * Training step (one optimiser step):
 *   parm_slab_zero_grad(s);
 *   for each micro-batch: forward, backward   (backward ACCUMULATES into s->g)
 *   parm_clip_grad_norm(s, 1.0f);              (optional)
 *   parm_adamw_step(s, &opt, parm_lr_cosine(step, ...), step);   step = 1, 2, ...
 * Gradient accumulation is simply not zeroing the grads between micro-batches;
 * scale each micro-batch's loss gradient by 1/n_micro to get the mean.
 * Everything here is deterministic for any thread count (exact resume). */
#ifndef PARM_NN_H
#define PARM_NN_H

#include <stddef.h>
#include <stdint.h>

#include "parm/base.h"

#define PARM_MAX_DIMS 4
#define PARM_NAME_MAX 96

typedef struct {
    char name[PARM_NAME_MAX];
    int ndim;
    int64_t shape[PARM_MAX_DIMS];
    size_t offset;  /* in floats, into each slab buffer */
    size_t numel;
    int decay;      /* 1 = AdamW weight decay applies (matrices), 0 = not (norms, biases) */
} parm_view;

typedef struct {
    int n, cap;
    parm_view *views;
    size_t numel;
    float *w;       /* weights [numel] */
    float *g;       /* grads   [numel] (allocated with the slab) */
    float *m, *v;   /* AdamW moments [numel], allocated on the first step (or load) */
} parm_slab;

/* Declare a tensor (before parm_slab_alloc). Returns its view index or -1. */
int parm_slab_add(parm_slab *s, const char *name, int ndim, const int64_t *shape, int decay);
/* Allocate w and g (zeroed). */
int parm_slab_alloc(parm_slab *s);
/* Allocate m and v (zeroed) if absent; parm_adamw_step and parm_ckpt_load call it. */
int parm_slab_alloc_moments(parm_slab *s);
void parm_slab_free(parm_slab *s);
/* Pointers to view i inside each buffer. */
static inline float *parm_w(const parm_slab *s, int i) { return s->w + s->views[i].offset; }
static inline float *parm_g(const parm_slab *s, int i) { return s->g + s->views[i].offset; }
int parm_slab_find(const parm_slab *s, const char *name); /* index or -1 */
/* Weight interpolation (WiSE-FT style): every tensor of dst that other also
 * has becomes alpha·dst + (1 − alpha)·other; tensors only dst has are kept.
 * Returns how many were mixed, or -1 (alpha outside [0, 1], a shape mismatch;
 * dst is then unchanged). */
int parm_slab_mix(parm_slab *dst, const parm_slab *other, float alpha);
void parm_slab_zero_grad(parm_slab *s);
/* Initialisers for view i: normal(0, std) / constant. */
void parm_init_normal(parm_slab *s, int i, float std, parm_rng *rng);
void parm_init_const(parm_slab *s, int i, float value);

/* ---- optimisation ---- */
typedef struct {
    float lr, beta1, beta2, eps, weight_decay;
} parm_adamw;
/* Defaults: lr 3e-4, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 (as torch.optim.AdamW). */
parm_adamw parm_adamw_default(void);
/* One AdamW step, exactly torch.optim.AdamW (decoupled decay w -= lr·wd·w on
 * views with decay = 1, bias correction); step counts from 1. The step uses
 * the `lr` argument (e.g. from parm_lr_cosine); opt->lr is only the caller's
 * base value. Allocates m, v on the first call. */
int parm_adamw_step(parm_slab *s, const parm_adamw *opt, float lr, long step);
/* Global L2 norm of all grads. */
float parm_grad_norm(const parm_slab *s);
/* Scale grads so their global norm is ≤ max_norm (as torch clip_grad_norm_);
 * returns the norm before clipping. */
float parm_clip_grad_norm(parm_slab *s, float max_norm);
/* Linear warmup for `warmup` steps to lr_max, then cosine decay to lr_min at `total`.
 * step counts from 1: step <= warmup → lr_max·step/warmup; then
 * lr_min + ½(lr_max−lr_min)(1+cos(π·p)), p = (step−warmup)/(total−warmup) in [0,1]. */
float parm_lr_cosine(long step, long warmup, long total, float lr_max, float lr_min);

/* ---- safetensors ---- */
typedef enum { PARM_F32 = 0, PARM_F16 = 1, PARM_BF16 = 2, PARM_I32 = 3 } parm_dtype;
const char *parm_dtype_name(parm_dtype t);

/* Scalar conversions, round to nearest even (NaN stays NaN, overflow → ±inf). */
uint16_t parm_f32_to_f16(float f);
float parm_f16_to_f32(uint16_t h);
uint16_t parm_f32_to_bf16(float f);
float parm_bf16_to_f32(uint16_t h);

typedef struct {
    char name[PARM_NAME_MAX];
    parm_dtype dtype;
    int ndim;
    int64_t shape[PARM_MAX_DIMS];
    size_t numel;
    const void *data;  /* into the mapped file; may be unaligned: read with memcpy */
} parm_st_tensor;

typedef struct {
    char path[1024];
    void *map;         /* whole file */
    size_t size;
    int n;
    parm_st_tensor *tensors;
    int nmeta;
    char (*meta_keys)[64];
    char **meta_vals;
} parm_st_file;

/* Open and fully validate a safetensors file: header length, JSON object,
 * dtypes, shapes (≤ PARM_MAX_DIMS dims), names < PARM_NAME_MAX, metadata =
 * string map, shape·dtype size == offsets span, tensors tiling the data region
 * exactly (no overlap, no gap, no trailing bytes). Errors name the file and
 * tensor; corrupt or truncated input never crashes. */
int parm_st_open(parm_st_file *f, const char *path);
void parm_st_close(parm_st_file *f);
const parm_st_tensor *parm_st_find(const parm_st_file *f, const char *name);
const char *parm_st_meta(const parm_st_file *f, const char *key); /* NULL if absent */
/* Copy tensor `name` into dst as float32 (converting F16/BF16/I32), checking
 * it exists and its shape equals the expected one; errors name both shapes. */
int parm_st_read_f32(const parm_st_file *f, const char *name, float *dst, int ndim, const int64_t *shape);
/* Tensor `name` as a malloc'd float32 array of whatever shape it has
 * (*numel gets its size when numel is not NULL); NULL with an error if absent. */
float *parm_st_alloc_f32(const parm_st_file *f, const char *name, long *numel);
/* Same for an I32 tensor into int32 (no conversion; other dtypes are an error). */
int parm_st_read_i32(const parm_st_file *f, const char *name, int32_t *dst, int ndim, const int64_t *shape);

/* Writer: collect tensors (data is copied at write time, not before), then write atomically. */
typedef struct {
    const char *name;
    parm_dtype dtype;   /* dtype to store; source data is float32 (or int32 for PARM_I32) */
    int ndim;
    int64_t shape[PARM_MAX_DIMS];
    const void *data;
} parm_st_entry;
/* meta_kv = {key0, value0, key1, value1, ...}: nmeta pairs of strings (keys 1..63 chars, unique). */
int parm_st_write(const char *path, const parm_st_entry *entries, int n, const char *const *meta_kv, int nmeta);

/* Whole slab I/O: weights only (dtype F32/F16/BF16), by view name. */
int parm_slab_save(const parm_slab *s, const char *path, parm_dtype dtype, const char *const *meta_kv, int nmeta);
/* Every view must be present with its shape (any float dtype; extra tensors are
 * ignored); on error the slab is left untouched. */
int parm_slab_load(parm_slab *s, const char *path);

/* Checkpoint = weights + AdamW m, v (F32) + step + RNG state + caller metadata,
 * written atomically (temp file, fsync, rename). Resume is bit-exact: save
 * between optimiser steps (grads are not stored; zero them before the next).
 * Layout: weights by view name, moments as "optim.m.<name>" / "optim.v.<name>"
 * (so view names must be < PARM_NAME_MAX − 8), metadata parm_format =
 * "parm-ckpt-1", step, rng_s0..rng_s3 (decimal uint64; rng may be NULL) —
 * these keys are reserved. Read caller metadata back with parm_st_open/meta.
 * Load validates everything before it writes into the slab. */
int parm_ckpt_save(const parm_slab *s, const char *path, long step, const parm_rng *rng, const char *const *meta_kv,
                   int nmeta);
int parm_ckpt_load(parm_slab *s, const char *path, long *step, parm_rng *rng);

#endif
