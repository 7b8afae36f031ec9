/* parm.h — the public interface of libparm.
 *   parm/base.h   errors, checked alloc/I/O, RNG, scratch, progress
 *   parm/ops.h    tensor ops (forward/backward pairs)
 *   parm/nn.h     parameter slabs, AdamW, safetensors, checkpoints
 *   parm/world.h  the pinned shapes world: renderer, prompts, splits, grader
 */
#ifndef PARM_H
#define PARM_H
#include "parm/base.h"
#include "parm/ops.h"
#include "parm/nn.h"
#include "parm/world.h"
#endif
