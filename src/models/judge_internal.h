/* judge_internal.h — what the judge's files share inside libparm (not part
 * of the public API): the item-wise logits of a judge with the grounding
 * head, where relation atoms are answered by the geometric readout. */
#ifndef PARM_JUDGE_INTERNAL_H
#define PARM_JUDGE_INTERNAL_H

#include "parm/judge.h"

/* Logits of n items (question q[i], text texts[i], image i of rgb
 * [n,64,64,3]) into out [n]; a MATCH relation atom is answered by the
 * readout of its two objects' grounding forwards (judge.h, "Grounding";
 * needs cfg.ground), a forward equal to a recent one (same question, text,
 * image) is run once. 0 / -1. */
int parm_judge_logits_items(parm_judge *j, const int *q, const char *const *texts, const uint8_t *rgb, int n,
                            float *out);

#endif
