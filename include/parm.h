/* parm.h — the public interface of libparm.
 *   parm/base.h   errors, checked alloc/I/O, RNG, scratch, progress
 *   parm/dist.h   the ranks of a distributed run (single process unless the CLI installs MPI)
 *   parm/ops.h    tensor ops (forward/backward pairs)
 *   parm/nn.h     parameter slabs, AdamW, safetensors, checkpoints
 *   parm/train.h  the one training loop (resume, schedule, AdamW, log, checkpoints)
 *   parm/world.h  the pinned shapes world: renderer, prompts, splits, grader
 *   parm/reflect.h PARM++ reflections: clause grammar, grader- and judge-derived
 *   parm/text.h   the word-level text tokenizer (prompts, reflections)
 *   parm/vq.h     the VQ image tokenizer
 *   parm/gen.h    the Show-o-style generator; parm/sample.h its MaskGIT decoding loop
 *   parm/gen_sc.h PARM++ self-correction fine-tune (quadruples, trainer)
 *   parm/pathset.h generator paths with step images, grader-labeled (judge data)
 *   parm/prefset.h generator samples' final tokens + grader verdicts (DPO pairs)
 *   parm/dpo.h    DPO of the generator on preference pairs (loss, trainer)
 *   parm/judge.h  the yes/no judge (ORM, PRM, PARM questions)
 *   parm/search.h test-time verification (baseline, ORM, PRM, PARM, oracle; live
 *                 and replay) over the sampler and the judge
 * Layers point one way: engine (base, ops, nn) -> world -> models (text, vq,
 * gen, sample, pathset, prefset, judge) -> methods (search).
 *   parm/plot.h   line charts to RGB / PNG with a built-in 5x7 font (scaling curves)
 */
#ifndef PARM_H
#define PARM_H
#include "parm/base.h"
#include "parm/dist.h"
#include "parm/ops.h"
#include "parm/nn.h"
#include "parm/train.h"
#include "parm/world.h"
#include "parm/reflect.h"
#include "parm/text.h"
#include "parm/vq.h"
#include "parm/gen.h"
#include "parm/sample.h"
#include "parm/pathset.h"
#include "parm/gen_sc.h"
#include "parm/prefset.h"
#include "parm/dpo.h"
#include "parm/judge.h"
#include "parm/search.h"
#include "parm/plot.h"
#include "parm/stats.h"
#endif
