/* st_internal.h — what safetensors.c (the format) lends checkpoint.c (slabs
 * and checkpoints) inside the engine; not part of the public API. */
#ifndef PARM_ST_INTERNAL_H
#define PARM_ST_INTERNAL_H
#include "parm/nn.h"

/* The tensor `name` with exactly this shape (ndim, shape), or NULL with an
 * error naming the file, the tensor and what was found. */
const parm_st_tensor *parm_st_lookup(const parm_st_file *f, const char *name, int ndim, const int64_t *shape);
/* A tensor's data (any dtype) converted to F32 into dst[numel]. */
void parm_st_convert_f32(const parm_st_tensor *t, float *dst);
#endif
