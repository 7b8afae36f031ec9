/* parm.h — the public interface of libparm.
 *   parm/base.h   errors, checked alloc/I/O, RNG, scratch, progress
 *   parm/ops.h    tensor ops (forward/backward pairs)
 *   parm/nn.h     parameter slabs, AdamW, safetensors, checkpoints
 *   parm/train.h  the one training loop (resume, schedule, AdamW, log, checkpoints)
 *   parm/world.h  the pinned shapes world: renderer, prompts, splits, grader
 *   parm/search.h test-time verification (baseline, ORM, PRM, PARM, oracle; live
 *                 and replay), with the generator (gen.h), VQ (vq.h), judge (judge.h)
 *   parm/plot.h   line charts to RGB / PNG with a built-in 5x7 font (scaling curves)
 */
#ifndef PARM_H
#define PARM_H
#include "parm/base.h"
#include "parm/ops.h"
#include "parm/nn.h"
#include "parm/train.h"
#include "parm/world.h"
#include "parm/search.h"
#include "parm/plot.h"
#endif
