/* parm/nn.h — parameters in one slab, AdamW, LR schedule, safetensors, checkpoints.
 *
 * A model declares its tensors by name into a parm_slab, then allocates once:
 * weights, grads and the two AdamW moments are each ONE contiguous float
 * buffer carved into the same named views, so zero-grad, grad-norm, AdamW and
 * checkpoint I/O are single loops over slab->numel. */
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
void parm_slab_free(parm_slab *s);
/* Pointers to view i inside each buffer. */
static inline float *parm_w(const parm_slab *s, int i) { return s->w + s->views[i].offset; }
static inline float *parm_g(const parm_slab *s, int i) { return s->g + s->views[i].offset; }
int parm_slab_find(const parm_slab *s, const char *name); /* index or -1 */
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
/* One AdamW step (decoupled decay, bias correction); step counts from 1. */
int parm_adamw_step(parm_slab *s, const parm_adamw *opt, float lr, long step);
/* Global L2 norm of all grads. */
float parm_grad_norm(const parm_slab *s);
/* Scale grads so their global norm is ≤ max_norm (as torch clip_grad_norm_);
 * returns the norm before clipping. */
float parm_clip_grad_norm(parm_slab *s, float max_norm);
/* Linear warmup for `warmup` steps to lr_max, then cosine decay to lr_min at `total`. */
float parm_lr_cosine(long step, long warmup, long total, float lr_max, float lr_min);

/* ---- safetensors ---- */
typedef enum { PARM_F32 = 0, PARM_F16 = 1, PARM_BF16 = 2, PARM_I32 = 3 } parm_dtype;
const char *parm_dtype_name(parm_dtype t);

typedef struct {
    char name[PARM_NAME_MAX];
    parm_dtype dtype;
    int ndim;
    int64_t shape[PARM_MAX_DIMS];
    size_t numel;
    const void *data;  /* into the mapped file */
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

/* Open and fully validate a safetensors file: header length, JSON, dtypes,
 * shapes, every offset against the file size, no overlaps. Clear errors. */
int parm_st_open(parm_st_file *f, const char *path);
void parm_st_close(parm_st_file *f);
const parm_st_tensor *parm_st_find(const parm_st_file *f, const char *name);
const char *parm_st_meta(const parm_st_file *f, const char *key); /* NULL if absent */
/* Copy tensor `name` into dst as float32 (converting F16/BF16/I32), checking
 * it exists and its shape equals the expected one; errors name both shapes. */
int parm_st_read_f32(const parm_st_file *f, const char *name, float *dst, int ndim, const int64_t *shape);

/* Writer: collect tensors (data is copied at write time, not before), then write atomically. */
typedef struct {
    const char *name;
    parm_dtype dtype;   /* dtype to store; source data is float32 (or int32 for PARM_I32) */
    int ndim;
    int64_t shape[PARM_MAX_DIMS];
    const void *data;
} parm_st_entry;
int parm_st_write(const char *path, const parm_st_entry *entries, int n, const char *const *meta_kv, int nmeta);

/* Whole slab I/O: weights only (dtype F32/F16/BF16), by view name. */
int parm_slab_save(const parm_slab *s, const char *path, parm_dtype dtype, const char *const *meta_kv, int nmeta);
int parm_slab_load(parm_slab *s, const char *path); /* every view must be present with its shape */

/* Checkpoint = weights + AdamW m, v (F32) + step + RNG state + caller metadata,
 * written atomically (temp file, fsync, rename). Resume is bit-exact. */
int parm_ckpt_save(const parm_slab *s, const char *path, long step, const parm_rng *rng, const char *const *meta_kv,
                   int nmeta);
int parm_ckpt_load(parm_slab *s, const char *path, long *step, parm_rng *rng);

#endif
