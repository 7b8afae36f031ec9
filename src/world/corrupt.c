/* corrupt.c — minimally corrupted captions: parm_prompt_corrupt changes one
 * colour, shape, count or relation of a prompt (or swaps color_attr's two
 * colours) so that the result is a different prompt of the grammar. The
 * judge's zero-shot ORM trains on ground-truth renders with their own caption
 * (yes) and such a caption (no). */
#include <string.h>

#include "parm/world.h"

const char *const parm_corrupt_names[PARM_NCORRUPT] = {"colour", "shape", "count", "relation", "colour swap"};

/* uniform in [0, n) without `a` and `b` (b may equal a or be -1) */
static int pick_other(parm_rng *rng, int n, int a, int b) {
    int v;
    do v = parm_rng_int(rng, 0, n - 1); while (v == a || v == b);
    return v;
}

static void set_counting(parm_prompt *q, int shape, int n) {
    q->tag = PARM_TAG_COUNTING;
    q->ninclude = q->nexclude = 1;
    q->include[0] = (parm_item){.shape = shape, .count = n, .color = -1, .rel = PARM_REL_NONE, .rel_ref = 0};
    q->exclude[0] = (parm_item){.shape = shape, .count = n + 1, .color = -1, .rel = PARM_REL_NONE, .rel_ref = 0};
}

int parm_prompt_corrupt(const parm_prompt *p, parm_rng *rng, parm_prompt *out) {
    static const int kinds[PARM_NTAGS][3] = {
        [PARM_TAG_SINGLE] = {PARM_CORRUPT_SHAPE, PARM_CORRUPT_COUNT, -1},
        [PARM_TAG_TWO] = {PARM_CORRUPT_SHAPE, -1, -1},
        [PARM_TAG_COUNTING] = {PARM_CORRUPT_SHAPE, PARM_CORRUPT_COUNT, -1},
        [PARM_TAG_COLORS] = {PARM_CORRUPT_COLOR, PARM_CORRUPT_SHAPE, -1},
        [PARM_TAG_POSITION] = {PARM_CORRUPT_SHAPE, PARM_CORRUPT_RELATION, -1},
        [PARM_TAG_COLOR_ATTR] = {PARM_CORRUPT_COLOR, PARM_CORRUPT_SHAPE, PARM_CORRUPT_SWAP},
    };
    if ((unsigned)p->tag >= PARM_NTAGS) return PARM_ERR("cannot corrupt a prompt with tag %d", (int)p->tag);
    parm_prompt q = *p;
    if (parm_prompt_format(&q)) return -1; /* validates p */
    char orig[sizeof q.text];
    memcpy(orig, q.text, sizeof orig);
    int nk = 0;
    while (nk < 3 && kinds[p->tag][nk] >= 0) nk++;
    const int kind = kinds[p->tag][parm_rng_int(rng, 0, nk - 1)];
    parm_item *a = &q.include[0], *b = &q.include[1];
    switch (kind) {
    case PARM_CORRUPT_COLOR: {
        int i = q.ninclude == 2 ? parm_rng_int(rng, 0, 1) : 0;
        int other = q.ninclude == 2 ? q.include[1 - i].color : -1;
        q.include[i].color = pick_other(rng, PARM_NCOLORS, q.include[i].color, other);
        break;
    }
    case PARM_CORRUPT_SHAPE: {
        int i = q.ninclude == 2 ? parm_rng_int(rng, 0, 1) : 0;
        int other = q.ninclude == 2 ? q.include[1 - i].shape : -1;
        q.include[i].shape = pick_other(rng, PARM_NSHAPES, q.include[i].shape, other);
        if (q.nexclude) q.exclude[0].shape = q.include[0].shape;
        break;
    }
    case PARM_CORRUPT_COUNT: {
        int n = a->count, m = pick_other(rng, 4, n - 1, -1) + 1; /* N' in {1..4} \ {N} */
        if (m == 1) { /* counting → single_object */
            q.tag = PARM_TAG_SINGLE;
            q.nexclude = 0;
            a->count = 1;
            q.exclude[0] = (parm_item){.shape = 0, .count = 0, .color = -1, .rel = PARM_REL_NONE, .rel_ref = 0};
        } else set_counting(&q, a->shape, m);
        break;
    }
    case PARM_CORRUPT_RELATION: b->rel = pick_other(rng, 4, b->rel, -1); break;
    case PARM_CORRUPT_SWAP: {
        int c = a->color;
        a->color = b->color;
        b->color = c;
        break;
    }
    }
    if (parm_prompt_format(&q)) return -1;
    if (!strcmp(q.text, orig)) return PARM_ERR("corruption of \"%s\" left it unchanged", orig);
    *out = q;
    return kind;
}
