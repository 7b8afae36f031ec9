/* judge_data.c — the judge's data: training-example sources (one per judge
 * variant: the zero-shot ORM's ground-truth renders with matching and
 * minimally corrupted captions; the fine-tuned ORM, PRM and PARM on
 * generator paths labeled by the grader, read from a path set) and the fixed
 * held-out evaluation sets, built from the same ground-truth pairs. Scoring a
 * judge on them is judge_eval.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parm/judge.h"

#define NPIX (PARM_IMG * PARM_IMG)

/* A caption the image fails: a corruption of p with parm_grade(rgb, ·) == 0;
 * allow_test = 0 also rejects test prompts. Returns the kind, or -1 when no
 * try of `tries` worked (no error recorded: the caller resamples). */
static int corrupt_failing(const parm_prompt *p, const uint8_t *rgb, int allow_test, int tries, parm_rng *rng,
                           parm_prompt *out) {
    for (int t = 0; t < tries; t++) {
        int kind = parm_prompt_corrupt(p, rng, out);
        if (kind < 0) return -1;
        if (!allow_test && parm_prompt_is_test(out)) continue;
        if (parm_grade(rgb, out, NULL, 0) == 0) return kind;
    }
    return -1;
}

/* A ground-truth render of prompt p (scene from rng) with its own caption
 * (pos, label 1) and with a failing corruption (neg, label 0). Returns 1 if
 * no failing corruption was found (caller resamples), -1 on error. */
static int gt_pair(const parm_prompt *p, const parm_layout *layout, int allow_test, parm_rng *rng,
                   parm_judge_example *pos, parm_judge_example *neg) {
    parm_scene sc;
    if (parm_scene_sample_layout(p, layout, rng, &sc)) return -1;
    parm_render(&sc, pos->rgb);
    int kind = corrupt_failing(p, pos->rgb, allow_test, 32, rng, &neg->caption);
    if (kind < 0) return 1;
    pos->question = neg->question = PARM_Q_MATCH;
    pos->prompt = neg->prompt = pos->caption = *p;
    pos->label = 1.0f;
    pos->kind = -1;
    pos->atom[0] = neg->atom[0] = '\0';
    pos->has_ground = neg->has_ground = 0;
    neg->label = 0.0f;
    neg->kind = kind;
    memcpy(neg->rgb, pos->rgb, sizeof pos->rgb);
    return 0;
}

/* a pair for a prompt from pick(), resampling prompts until one works */
static int gt_pair_sampled(int (*pick)(void *, parm_rng *, parm_prompt *), void *pctx, const parm_layout *layout,
                           int allow_test, parm_rng *rng, parm_judge_example *pos, parm_judge_example *neg) {
    for (int tries = 0; tries < 1000; tries++) {
        parm_prompt p;
        if (pick(pctx, rng, &p)) return -1;
        int rc = gt_pair(&p, layout, allow_test, rng, pos, neg);
        if (rc <= 0) return rc;
    }
    return PARM_ERR("no prompt with a failing corruption in 1000 tries");
}

static int pick_train(void *ctx, parm_rng *rng, parm_prompt *p) {
    (void)ctx;
    parm_prompt_sample_train(rng, p);
    return 0;
}

/* What a source's open() prepares; next() only reads it. */
typedef struct {
    parm_layout layout;  /* GT scenes (orm-zs, orm's zero-shot share) */
    float zs_frac;       /* orm: share of zero-shot pairs per batch */
    float rel_frac;      /* atoms: share of groups that are relation groups */
    float free_frac;     /* atoms: share of groups in the free layout */
    float damage_frac;   /* atoms: share of groups with one object damaged (damaged_group) */
    int has_data;
    parm_pathset ps;     /* the path set (data variants) */
    int *pos, *neg;      /* paths whose final image is correct / incorrect */
    int npos, nneg;
    float rank_frac;     /* orm-atoms: share of path rows in ranking pairs */
    int *mixed, nmixed;  /* prompts (index of their first path) with a correct and an incorrect final image */
} src_ctx;

int parm_judge_next_orm_zs(void *ctx, parm_rng *rng, parm_judge_example *ex, int n) {
    const parm_layout *layout = ctx ? &((const src_ctx *)ctx)->layout : &parm_layout_canonical;
    for (int i = 0; i + 1 < n; i += 2)
        if (gt_pair_sampled(pick_train, NULL, layout, 0, rng, &ex[i], &ex[i + 1])) return -1;
    if (n % 2) { /* odd tail: one of the pair, either label */
        static _Thread_local parm_judge_example spare;
        int keep_pos = parm_rng_uniform(rng) < 0.5;
        if (gt_pair_sampled(pick_train, NULL, layout, 0, rng, keep_pos ? &ex[n - 1] : &spare,
                            keep_pos ? &spare : &ex[n - 1]))
            return -1;
    }
    return 0;
}

const char *parm_judge_example_text(const parm_judge_example *e) { return e->atom[0] ? e->atom : e->caption.text; }

/* ---- the atoms source ---- */
/* Atom a asked of image rgb (made for src) as example e: label = the grader's
 * verdict of the atom's prompt. 1 = dropped (its prompt is a test prompt, or
 * the atom is malformed: the caller draws another), 0 = filled. dets: parm_detect(rgb). */
static int atom_example(const parm_atom *a, int kind, const parm_prompt *src, const uint8_t *rgb,
                        const parm_detection *dets, int ndets, parm_judge_example *e) {
    parm_prompt ap;
    if (parm_atom_prompt(a, &ap) || parm_atom_text(a, e->atom, sizeof e->atom)) { parm_clear_error(); return 1; }
    if (parm_prompt_is_test(&ap)) return 1;
    int v = parm_grade_dets(dets, ndets, &ap, NULL, 0) == 1; /* = parm_grade(rgb, &ap) (tested), detected once */
    e->question = PARM_Q_MATCH;
    e->caption = ap;
    e->prompt = *src;
    memcpy(e->rgb, rgb, sizeof e->rgb);
    e->label = (float)v;
    e->kind = v ? -1 : kind;
    e->has_ground = 0;
    return 0;
}

/* The grounding target of example e (asking atom a) from the scene it shows:
 * a true object atom whose object (shape, and colour when the atom names one)
 * the scene holds exactly once gets t[p] = the share of that object's rendered
 * pixels in patch p (the object rendered alone: scenes keep a 4 px gap, so
 * these are its pixels in the full render too); every other example none. */
static void ground_target(const parm_atom *a, const parm_scene *sc, parm_judge_example *e) {
    e->has_ground = 0;
    if (!sc || a->kind != PARM_ATOM_OBJECT || e->label != 1.0f) return;
    int k = -1, hits = 0;
    for (int i = 0; i < sc->n; i++)
        if (sc->obj[i].shape == a->shape && (a->color < 0 || sc->obj[i].color == a->color)) { k = i; hits++; }
    if (hits != 1) return;
    parm_scene one = {.n = 1};
    one.obj[0] = sc->obj[k];
    uint8_t rgb[NPIX * 3];
    parm_render(&one, rgb);
    long cnt[PARM_JUDGE_PATCHES] = {0}, total = 0;
    for (int y = 0; y < PARM_IMG; y++)
        for (int x = 0; x < PARM_IMG; x++)
            if (memcmp(rgb + 3 * (y * PARM_IMG + x), parm_background, 3)) {
                cnt[(y / PARM_JUDGE_PATCH) * 8 + x / PARM_JUDGE_PATCH]++;
                total++;
            }
    if (!total) return;
    for (int p = 0; p < PARM_JUDGE_PATCHES; p++) e->ground[p] = (float)cnt[p] / (float)total;
    e->has_ground = 1;
}

static int other_than(parm_rng *rng, int n, int a, int b) { /* uniform in [0, n) \ {a, b} */
    int v;
    do v = parm_rng_int(rng, 0, n - 1);
    while (v == a || v == b);
    return v;
}

/* Hard negatives for prompt p (atoms at[0..na)), by kind. */
enum { HN_SWAP, HN_RELATION, HN_SHAPE, HN_COLOR, HN_COUNT, HN_ABSENT, HN_N };
static const int hn_corrupt[HN_N] = {PARM_CORRUPT_SWAP, PARM_CORRUPT_RELATION, PARM_CORRUPT_SHAPE, PARM_CORRUPT_COLOR,
                                     PARM_CORRUPT_COUNT, PARM_CORRUPT_SHAPE};
static int hn_applies(const parm_prompt *p, int k) {
    int two = p->ninclude == 2; /* two_object, position, color_attr: two objects of distinct shapes */
    switch (k) {
    case HN_SWAP: return p->tag == PARM_TAG_COLOR_ATTR;
    case HN_RELATION: return two;
    case HN_COLOR: return p->tag == PARM_TAG_COLORS || p->tag == PARM_TAG_COLOR_ATTR;
    default: return 1; /* shape, count, absent */
    }
}
static parm_atom obj_atom(int shape, int color) {
    return (parm_atom){.kind = PARM_ATOM_OBJECT, .shape = shape, .color = color, .count = 1, .rel = PARM_REL_NONE,
                       .ref_shape = -1};
}
static void hard_negative(const parm_prompt *p, const parm_atom *at, int na, int k, parm_rng *rng, parm_atom *out) {
    const parm_item *a = &p->include[0], *b = &p->include[p->ninclude - 1];
    const parm_atom *o = &at[parm_rng_int(rng, 0, na - 1)]; /* one of the prompt's atoms */
    while (o->kind == PARM_ATOM_RELATION) o = &at[parm_rng_int(rng, 0, na - 1)];
    switch (k) {
    case HN_SWAP: /* the other object's colour */
        *out = parm_rng_uniform(rng) < 0.5 ? obj_atom(a->shape, b->color) : obj_atom(b->shape, a->color);
        return;
    case HN_RELATION: {
        int x = a->shape, y = b->shape, rel = parm_rng_int(rng, 0, 3);
        if (p->tag == PARM_TAG_POSITION) { /* "B rel A": flipped, or subject and reference swapped */
            x = b->shape; y = a->shape; rel = b->rel;
            if (parm_rng_uniform(rng) < 0.5) rel ^= 1;
            else { int t = x; x = y; y = t; }
        } else if (parm_rng_uniform(rng) < 0.5) { int t = x; x = y; y = t; }
        *out = (parm_atom){.kind = PARM_ATOM_RELATION, .shape = x, .color = -1, .count = 1, .rel = rel, .ref_shape = y};
        return;
    }
    case HN_SHAPE: /* the same colour on another shape (not the prompt's other shape) */
        *out = *o;
        out->shape = other_than(rng, PARM_NSHAPES, a->shape, b->shape);
        return;
    case HN_COLOR:
        *out = *o;
        out->color = other_than(rng, PARM_NCOLORS, a->color, b->color);
        return;
    case HN_COUNT: { /* counting: N +- 1 within 2..4; else "only two" of a single object */
        int n = o->kind == PARM_ATOM_COUNT ? o->count : 1, m = n + (parm_rng_uniform(rng) < 0.5 ? -1 : 1);
        if (m < 2) m = n + 1;
        if (m > 4) m = n - 1;
        *out = (parm_atom){.kind = PARM_ATOM_COUNT, .shape = o->shape, .color = -1, .count = m, .rel = PARM_REL_NONE,
                           .ref_shape = -1};
        return;
    }
    default: /* absent: any object, coloured half the time */
        *out = obj_atom(parm_rng_int(rng, 0, PARM_NSHAPES - 1),
                        parm_rng_uniform(rng) < 0.5 ? parm_rng_int(rng, 0, PARM_NCOLORS - 1) : -1);
        return;
    }
}

#define ATOM_GROUP 4 /* examples per image: 2 of its own atoms, 2 hard negatives */
/* Image rgb, made for prompt p, asked m <= ATOM_GROUP atoms into ex[0..m)
 * (slot s < 2: own atoms, else hard negatives); sc: the scene rgb renders
 * (grounding targets, ground_target), NULL when there is none (generator
 * images). Returns 0, 1 when a slot could not be filled (every draw a test
 * prompt: the caller draws another image), or -1 on error. */
static int atom_examples(const parm_prompt *p, const uint8_t *rgb, const parm_scene *sc, parm_rng *rng,
                         parm_judge_example *ex, int m) {
    parm_atom at[PARM_MAX_ATOMS];
    int na = parm_prompt_atoms(p, at);
    if (na < 1) return -1;
    parm_detection dets[64];
    int ndets = parm_detect(rgb, dets, 64);
    int kinds[4 * HN_N], nk = 0, first = -1;
    for (int k = 0; k < HN_N; k++) /* the binding errors weighted: swap 3, relation 4 */
        for (int w = 0; w < (k == HN_SWAP ? 3 : k == HN_RELATION ? 4 : 1); w++)
            if (hn_applies(p, k)) kinds[nk++] = k;
    for (int s = 0; s < m; s++) {
        int filled = 0, k = s < 2 ? -1 : kinds[parm_rng_int(rng, 0, nk - 1)];
        /* a relation asked of a two_object / color_attr scene: true or false half the time each */
        int rel_want = k == HN_RELATION && p->tag != PARM_TAG_POSITION ? parm_rng_uniform(rng) < 0.5 : -1;
        for (int t = 0; t < 16 && !filled; t++) {
            parm_atom a;
            int kind = -1;
            if (s < 2) { /* own atoms, two different ones when there are several; position: the relation first */
                int i = s == 0 && p->tag == PARM_TAG_POSITION ? na - 1 : parm_rng_int(rng, 0, na - 1);
                if (na > 1 && i == first) i = (i + 1) % na;
                first = i;
                a = at[i];
            } else {
                hard_negative(p, at, na, k, rng, &a);
                kind = hn_corrupt[k];
            }
            filled = !atom_example(&a, kind, p, rgb, dets, ndets, &ex[s]);
            if (filled && rel_want >= 0 && (ex[s].label == 1.0f) != rel_want && t < 15) filled = 0;
            if (filled) ground_target(&a, sc, &ex[s]);
        }
        if (!filled) return 1;
    }
    return 0;
}

/* ---- relation images: two shapes, their relation atoms ---- */
/* A render (layout) of a random two_object train prompt ("a photo of a star
 * and a circle": two distinct shapes, random colours; never a test prompt)
 * into rgb, and its 8 relation atoms (each shape left of / right of / above /
 * below the other) whose prompt's split is `test` (0: train atoms only, as
 * every training example; 1: held-out atoms, the probe set), graded: at[k],
 * truth[k]; dets[0..*ndets) = parm_detect(rgb) (room for 64). Returns how
 * many (0: none of that split, the caller redraws). */
static int relation_image(const parm_layout *layout, int test, parm_rng *rng, parm_prompt *src, uint8_t *rgb,
                          parm_atom *at, int *truth, parm_detection *dets, int *ndets_out) {
    int a = parm_rng_int(rng, 0, PARM_NSHAPES - 1), b = other_than(rng, PARM_NSHAPES, a, a);
    parm_prompt p = {.tag = PARM_TAG_TWO, .ninclude = 2};
    p.include[0] = (parm_item){.shape = a, .count = 1, .color = -1, .rel = PARM_REL_NONE};
    p.include[1] = (parm_item){.shape = b, .count = 1, .color = -1, .rel = PARM_REL_NONE};
    parm_scene sc;
    if (parm_prompt_format(&p) || parm_scene_sample_layout(&p, layout, rng, &sc)) return -1;
    parm_render(&sc, rgb);
    int ndets = parm_detect(rgb, dets, 64), n = 0;
    *ndets_out = ndets;
    for (int k = 0; k < 8; k++) {
        parm_atom r = {.kind = PARM_ATOM_RELATION, .shape = k < 4 ? a : b, .color = -1, .count = 1, .rel = k % 4,
                       .ref_shape = k < 4 ? b : a};
        parm_prompt ap;
        if (parm_atom_prompt(&r, &ap)) return -1;
        if (parm_prompt_is_test(&ap) != test) continue;
        at[n] = r;
        truth[n++] = parm_grade_dets(dets, ndets, &ap, NULL, 0) == 1;
    }
    *src = p;
    return n;
}

/* A relation group: m <= ATOM_GROUP train relation atoms of one relation
 * image, true and false alternating (slot 0 true); kind RELATION for no. */
static int relation_group(const parm_layout *layout, parm_rng *rng, parm_judge_example *ex, int m) {
    uint8_t rgb[NPIX * 3];
    for (int tries = 0; tries < 1000; tries++) {
        parm_prompt p;
        parm_atom at[8];
        parm_detection dets[64];
        int truth[8], ndets, na = relation_image(layout, 0, rng, &p, rgb, at, truth, dets, &ndets);
        if (na < 0) return -1;
        int idx[2][8], cnt[2] = {0, 0};
        for (int k = 0; k < na; k++) idx[truth[k]][cnt[truth[k]]++] = k;
        if (cnt[0] < (m + 1) / 2 || cnt[1] < (m + 1) / 2) continue; /* need both answers on this image */
        for (int v = 0; v < 2; v++) /* shuffle each side, take the first ones */
            for (int k = cnt[v] - 1; k > 0; k--) {
                int r = parm_rng_int(rng, 0, k), t = idx[v][k];
                idx[v][k] = idx[v][r];
                idx[v][r] = t;
            }
        for (int s = 0; s < m; s++) {
            int v = s % 2 == 0;
            if (atom_example(&at[idx[v][s / 2]], PARM_CORRUPT_RELATION, &p, rgb, dets, ndets, &ex[s]))
                return PARM_ERR("relation source: atom %d not usable", s);
        }
        return 0;
    }
    return PARM_ERR("relation source: no usable image in 1000 tries");
}

/* One GT image's group: a train prompt (one-shape tags redrawn once half
 * the time), a scene in layout, its atoms. */
static int atom_group(const parm_layout *layout, parm_rng *rng, parm_judge_example *ex, int m) {
    for (int tries = 0; tries < 1000; tries++) {
        parm_prompt p;
        parm_prompt_sample_train(rng, &p);
        if (p.ninclude == 1 && parm_rng_uniform(rng) < 0.5) parm_prompt_sample_train(rng, &p);
        parm_scene sc;
        if (parm_scene_sample_layout(&p, layout, rng, &sc)) return -1;
        uint8_t rgb[NPIX * 3];
        parm_render(&sc, rgb);
        int rc = atom_examples(&p, rgb, &sc, rng, ex, m);
        if (rc <= 0) return rc;
    }
    return PARM_ERR("atoms source: no usable image in 1000 tries");
}

/* A damaged group: a render of a random train prompt with one object damaged
 * (parm_render_damaged, a kind of the grader's perturbation family, or every
 * object/background border pixel flipped with probability 0.15-0.5, the
 * generator's ragged edges), asked its atoms and hard negatives like
 * atom_group, each labeled by the grader on the damaged image: the shape-
 * quality negatives ("is there a red star?" of a star the grader no longer
 * finds) that generator images fail on most (docs/RESULTS.md, session 9).
 * No grounding targets (the damaged object's pixels are not its scene's). */
static int damaged_group(const parm_layout *layout, parm_rng *rng, parm_judge_example *ex, int m) {
    for (int tries = 0; tries < 1000; tries++) {
        parm_prompt p;
        parm_prompt_sample_train(rng, &p);
        parm_scene sc;
        if (parm_scene_sample_layout(&p, layout, rng, &sc)) return -1;
        uint8_t rgb[NPIX * 3];
        int k = parm_rng_int(rng, 0, sc.n - 1), kind = parm_rng_int(rng, 0, PARM_NDAMAGE);
        if (kind == PARM_NDAMAGE) {
            parm_render(&sc, rgb);
            parm_image_ragged(rgb, 0.15f + 0.35f * parm_rng_uniform(rng), rng);
        } else if (parm_render_damaged(&sc, k, kind, rng, rgb)) {
            parm_clear_error(); /* no room for this damage here: draw another scene */
            continue;
        }
        int rc = atom_examples(&p, rgb, NULL, rng, ex, m);
        if (rc <= 0) return rc;
    }
    return PARM_ERR("atoms source: no usable damaged image in 1000 tries");
}

int parm_judge_next_atoms(void *ctx, parm_rng *rng, parm_judge_example *ex, int n) {
    const src_ctx *c = ctx;
    const parm_layout *layout = c ? &c->layout : &parm_layout_canonical;
    const float rel = c ? c->rel_frac : 0.0f, dmg = c ? c->damage_frac : 0.0f;
    for (int i = 0; i < n; i += ATOM_GROUP) {
        int m = n - i < ATOM_GROUP ? n - i : ATOM_GROUP;
        /* each draw only when its share is > 0, so the earlier runs' streams stay as they were */
        const parm_layout *l = c && c->free_frac > 0 && parm_rng_uniform(rng) < c->free_frac ? &parm_layout_free : layout;
        int is_rel = rel > 0 && parm_rng_uniform(rng) < rel, is_dmg = dmg > 0 && parm_rng_uniform(rng) < dmg;
        if (is_dmg ? damaged_group(l, rng, ex + i, m)
                   : is_rel ? relation_group(l, rng, ex + i, m) : atom_group(l, rng, ex + i, m))
            return -1;
    }
    return 0;
}

/* ---- consistent augmentation (image and prompt changed together) ---- */
int parm_judge_augment(const parm_prompt *p, const uint8_t *rgb, int flags, const int *perm, parm_prompt *pout,
                       uint8_t *rgb_out) {
    parm_prompt q = *p;
    for (int k = 0; k < q.ninclude; k++) {
        parm_item *it = &q.include[k];
        if ((flags & PARM_AUG_MIRROR_X) && (it->rel == PARM_REL_LEFT || it->rel == PARM_REL_RIGHT)) it->rel ^= 1;
        if ((flags & PARM_AUG_MIRROR_Y) && (it->rel == PARM_REL_ABOVE || it->rel == PARM_REL_BELOW)) it->rel ^= 1;
        if ((flags & PARM_AUG_PALETTE) && it->color >= 0) it->color = perm[it->color];
    }
    for (int k = 0; k < q.nexclude; k++)
        if ((flags & PARM_AUG_PALETTE) && q.exclude[k].color >= 0) q.exclude[k].color = perm[q.exclude[k].color];
    if (parm_prompt_format(&q)) return -1;
    for (int y = 0; y < PARM_IMG; y++)
        for (int x = 0; x < PARM_IMG; x++) {
            int sx = flags & PARM_AUG_MIRROR_X ? PARM_IMG - 1 - x : x, sy = flags & PARM_AUG_MIRROR_Y ? PARM_IMG - 1 - y : y;
            const uint8_t *src = rgb + 3 * (sy * PARM_IMG + sx);
            uint8_t *dst = rgb_out + 3 * (y * PARM_IMG + x);
            int c = flags & PARM_AUG_PALETTE ? parm_pixel_class(src) : 0;
            memcpy(dst, c ? parm_palette[perm[c - 1]] : src, 3); /* palette: pixels become their (permuted) class */
            if ((flags & PARM_AUG_PALETTE) && !c) memcpy(dst, parm_background, 3);
        }
    *pout = q;
    return 0;
}

static void src_close(void *ctx) {
    src_ctx *c = ctx;
    if (!c) return;
    parm_pathset_free(&c->ps);
    free(c->pos);
    free(c->neg);
    free(c->mixed);
    free(c);
}

static int src_open(void **ctx, const parm_judge_train_opts *o, const char *variant, int needs_data) {
    *ctx = NULL;
    if (needs_data && !(o->data && o->data[0]))
        return PARM_ERR("judge variant '%s' trains on generator paths: give --data FILE, a path set of train prompts "
                        "(make one with `parm paths --prompts train`)", variant);
    if (!needs_data && o->data && o->data[0])
        return PARM_ERR("judge variant '%s' trains on ground-truth renders and reads no --data (got '%s')", variant,
                        o->data);
    if (o->zs_frac < 0 || o->zs_frac > 1) return PARM_ERR("zero-shot share %g outside [0, 1]", o->zs_frac);
    if (o->rel_frac < 0 || o->rel_frac > 1) return PARM_ERR("relation-group share %g outside [0, 1]", o->rel_frac);
    if (o->free_frac < 0 || o->free_frac > 1) return PARM_ERR("free-layout share %g outside [0, 1]", o->free_frac);
    if (o->damage_frac < 0 || o->damage_frac > 1) return PARM_ERR("damaged-group share %g outside [0, 1]", o->damage_frac);
    if (o->rank_frac < 0 || o->rank_frac > 1) return PARM_ERR("ranking-pair share %g outside [0, 1]", o->rank_frac);
    if (o->rank_frac > 0 && strcmp(variant, "orm-atoms") && strcmp(variant, "parm-atoms"))
        return PARM_ERR("ranking pairs (rank_frac %g) are made by the orm-atoms and parm-atoms sources only, not '%s'",
                        o->rank_frac, variant);
    src_ctx *c = parm_calloc(1, sizeof *c);
    if (!c) return -1;
    c->layout = o->layout;
    c->zs_frac = o->zs_frac;
    c->rel_frac = o->rel_frac;
    c->free_frac = o->free_frac;
    c->damage_frac = o->damage_frac;
    c->rank_frac = o->rank_frac;
    if (needs_data) {
        if (parm_pathset_load(&c->ps, o->data)) { free(c); return -1; }
        c->has_data = 1;
        int first, ntest = parm_pathset_count_test(&c->ps, &first);
        if (ntest) {
            PARM_ERR("path set '%s' holds %d path(s) of TEST prompts (first: path %d, '%s'); judges are never trained "
                     "on test prompts (make training data with `parm paths --prompts train`)",
                     o->data, ntest, first, c->ps.prompt[first].text);
            src_close(c);
            return -1;
        }
        c->pos = parm_malloc(sizeof(int) * c->ps.n);
        c->neg = parm_malloc(sizeof(int) * c->ps.n);
        if (!c->pos || !c->neg) { src_close(c); return -1; }
        for (int i = 0; i < c->ps.n; i++) {
            if (parm_pathset_final_verdict(&c->ps, i)) c->pos[c->npos++] = i;
            else c->neg[c->nneg++] = i;
        }
        const int N = c->ps.paths_per_prompt;
        if (c->rank_frac > 0) {
            if (!(c->mixed = parm_malloc(sizeof(int) * (c->ps.n_prompts + 1)))) { src_close(c); return -1; }
            for (int q = 0; q < c->ps.n_prompts; q++) {
                int yes = 0;
                for (int k = q * N; k < (q + 1) * N; k++) yes += parm_pathset_final_verdict(&c->ps, k);
                if (yes > 0 && yes < N) c->mixed[c->nmixed++] = q * N;
            }
            if (!c->nmixed) {
                PARM_ERR("path set '%s': no prompt has both a correct and an incorrect final image, so there are no "
                         "ranking pairs (rank_frac %g)", o->data, o->rank_frac);
                src_close(c);
                return -1;
            }
        }
    }
    *ctx = c;
    return 0;
}

static int open_zs(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "orm-zs", 0); }
static int open_atoms(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "atoms", 0); }
static int open_orm(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "orm", 1); }
static int open_orm_atoms(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "orm-atoms", 1); }
static int open_prm(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "prm", 1); }
static int open_parm(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "parm", 1); }
static int open_prm_atoms(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "prm-atoms", 1); }
static int open_parm_atoms(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "parm-atoms", 1); }

/* path i, step t as an example */
static void path_example(const parm_pathset *ps, int i, int t, int question, float label, parm_judge_example *e) {
    e->question = question;
    e->caption = e->prompt = ps->prompt[i];
    parm_pathset_rgb(ps, i, t, e->rgb);
    e->label = label;
    e->kind = -1;
    e->atom[0] = '\0';
    e->has_ground = 0;
}

/* the final image of a path, positives and negatives alternating (k-th
 * example: even = correct) while both exist */
static void balanced_final(const src_ctx *c, parm_rng *rng, int k, int question, parm_judge_example *e) {
    int want_pos = c->npos && (!c->nneg || k % 2 == 0);
    int i = want_pos ? c->pos[parm_rng_int(rng, 0, c->npos - 1)] : c->neg[parm_rng_int(rng, 0, c->nneg - 1)];
    path_example(&c->ps, i, c->ps.T - 1, question, (float)parm_pathset_final_verdict(&c->ps, i), e);
}

static int check_ctx(const src_ctx *c) {
    if (!c || !c->has_data) return PARM_ERR("judge source used without its path set (call its open() first)");
    return 0;
}

/* orm: round(zs_frac·n) zero-shot pairs at the end, the rest final images */
static int next_orm(void *ctx, parm_rng *rng, parm_judge_example *ex, int n) {
    const src_ctx *c = ctx;
    if (check_ctx(c)) return -1;
    int k = (int)(c->zs_frac * n + 0.5f), m = n - k;
    for (int b = 0; b < m; b++) balanced_final(c, rng, b, PARM_Q_MATCH, &ex[b]);
    return k ? parm_judge_next_orm_zs(ctx, rng, ex + m, k) : 0;
}

/* A random clear step of path i (one that reads as its final image; the
 * last step always does). */
static int clear_step(const parm_pathset *ps, int i, parm_rng *rng) {
    int t;
    do t = parm_rng_int(rng, 0, ps->T - 1);
    while (t < ps->T - 1 && !parm_pathset_reading_eq(ps, i, t));
    return t;
}

/* orm-atoms: groups of ATOM_GROUP atom examples on the final image of a path
 * (correct and incorrect paths alternating), the image and prompt augmented
 * (each half the time: mirror left-right, mirror up-down, palette
 * permutation; dropped back to the original when the augmented prompt is a
 * test prompt), relabeled per atom by the grader; then a zs_frac share of
 * GT atom groups. step_frac > 0: that share of the groups asks a step image
 * of the path instead of its final one — a clear step (parm-atoms), or any
 * step, uniform (any_step: prm-atoms) — labeled by the grader on the image
 * shown; 0 draws nothing more, so orm-atoms' streams stay as they were. */
/* A random augmentation (each half the time: mirror left-right, mirror
 * up-down, palette permutation) of image rgb made for prompt p into *q, out;
 * the original when the augmented prompt is a test prompt. */
static int augment_random(const parm_prompt *p, const uint8_t *rgb, parm_rng *rng, int *flags, int *perm,
                          parm_prompt *q, uint8_t *out) {
    *flags = 0;
    for (int f = 0; f < 3; f++)
        if (parm_rng_uniform(rng) < 0.5) *flags |= 1 << f;
    for (int i = 0; i < PARM_NCOLORS; i++) perm[i] = i;
    for (int i = PARM_NCOLORS - 1; i > 0; i--) { /* Fisher-Yates */
        int r = parm_rng_int(rng, 0, i), t = perm[i];
        perm[i] = perm[r];
        perm[r] = t;
    }
    if (parm_judge_augment(p, rgb, *flags, perm, q, out)) return -1;
    if (parm_prompt_is_test(q)) { *q = *p; memcpy(out, rgb, NPIX * 3); *flags = -1; }
    return 0;
}

/* Ranking pair `pair` into ex[0..2·na): every atom of the prompt asked of a
 * correct final image (side 0) and then of an incorrect one of the same
 * prompt (side 1), both augmented the same way — or, a step_frac share of the
 * pairs (parm-atoms), of a clear step of each of the two paths (one that
 * reads as its final image: what PARM's gate ranks by potential); all rows are atom examples
 * (BCE), and the object and count atoms also carry the pair's rank_slot —
 * not relation atoms, which a grounded judge answers by its readout, not by
 * the logit the ranking loss would move; a pair ranks nothing (its slots
 * stay 0) unless the correct image passes every ranked atom and the
 * incorrect one fails one. Returns the rows used, 0
 * when they would not fit in `room` or an atom is dropped (a test prompt:
 * the caller draws another), -1 on error. */
static int rank_pair(const src_ctx *c, parm_rng *rng, int pair, float step_frac, parm_judge_example *ex, int room) {
    const int N = c->ps.paths_per_prompt, q0 = c->mixed[parm_rng_int(rng, 0, c->nmixed - 1)];
    int side_path[2], cnt[2] = {0, 0};
    for (int k = q0; k < q0 + N; k++) cnt[!parm_pathset_final_verdict(&c->ps, k)]++;
    for (int s = 0; s < 2; s++) { /* the r-th path of that verdict */
        int r = parm_rng_int(rng, 0, cnt[s] - 1);
        for (int k = q0; k < q0 + N; k++)
            if ((!parm_pathset_final_verdict(&c->ps, k)) == s && r-- == 0) side_path[s] = k;
    }
    int side_step[2] = {c->ps.T - 1, c->ps.T - 1}; /* no draw without step_frac: orm-atoms' stream as it was */
    if (step_frac > 0 && parm_rng_uniform(rng) < step_frac)
        for (int s = 0; s < 2; s++) side_step[s] = clear_step(&c->ps, side_path[s], rng);
    parm_prompt p;
    parm_atom at[PARM_MAX_ATOMS];
    uint8_t rgb[NPIX * 3], aug[NPIX * 3];
    int flags, perm[PARM_NCOLORS], na = 0, fails = 0, broken = 0;
    for (int s = 0; s < 2; s++) {
        parm_pathset_rgb(&c->ps, side_path[s], side_step[s], rgb);
        if (s == 0) {
            if (augment_random(&c->ps.prompt[q0], rgb, rng, &flags, perm, &p, aug)) return -1;
            if ((na = parm_prompt_atoms(&p, at)) < 1) return -1;
            if (2 * na > room) return 0;
        } else if (flags < 0) memcpy(aug, rgb, sizeof aug);
        else if (parm_judge_augment(&c->ps.prompt[q0], rgb, flags, perm, &(parm_prompt){0}, aug)) return -1;
        parm_detection dets[64];
        int ndets = parm_detect(aug, dets, 64);
        for (int a = 0; a < na; a++) {
            parm_judge_example *e = &ex[s * na + a];
            if (atom_example(&at[a], -1, &p, aug, dets, ndets, e)) return 0;
            e->rank_slot = at[a].kind == PARM_ATOM_RELATION ? 0 : 1 + 2 * pair + s;
            if (e->rank_slot && e->label < 0.5f) *(s ? &fails : &broken) += 1;
        }
    }
    /* the incorrect image fails only by a relation (or by nothing an atom asks), or the augmentation broke the
     * correct one (a mirrored generator shape the grader no longer finds): nothing to rank */
    if (!fails || broken)
        for (int r = 0; r < 2 * na; r++) ex[r].rank_slot = 0;
    return 2 * na;
}

static int orm_atoms_groups(const src_ctx *c, parm_rng *rng, parm_judge_example *ex, int n, float step_frac,
                            int any_step) {
    int k = (int)(c->zs_frac * n + 0.5f), m = n - k, used = 0;
    for (int b = 0; b < n; b++) ex[b].rank_slot = 0;
    if (c->rank_frac > 0 && c->nmixed) { /* ranking pairs first, up to round(rank_frac·m) rows */
        const int room = (int)(c->rank_frac * m + 0.5f);
        for (int tries = 0, pair = 0; tries < 100 && room - used >= 2; tries++) {
            int r = rank_pair(c, rng, pair, any_step ? 0.0f : step_frac, ex + used, room - used);
            if (r < 0) return -1;
            if (r > 0) { used += r; pair++; tries = 0; }
            else if (room - used < 2 * PARM_MAX_ATOMS) break; /* the rest may be too small for any prompt */
        }
        for (int b = used; b < n; b++) ex[b].rank_slot = 0; /* rows of a dropped draw */
        ex += used;
        n -= used;
        m -= used;
    }
    k = n - (m -= m % ATOM_GROUP); /* whole groups of path images */
    uint8_t rgb[NPIX * 3], aug[NPIX * 3];
    for (int b = 0; b < m; b += ATOM_GROUP) {
        int rc = 1;
        for (int tries = 0; rc == 1 && tries < 100; tries++) {
            int want_pos = c->npos && (!c->nneg || (b / ATOM_GROUP) % 2 == 0);
            int i = want_pos ? c->pos[parm_rng_int(rng, 0, c->npos - 1)] : c->neg[parm_rng_int(rng, 0, c->nneg - 1)];
            int t = c->ps.T - 1;
            if (step_frac > 0 && parm_rng_uniform(rng) < step_frac)
                t = any_step ? parm_rng_int(rng, 0, c->ps.T - 1) : clear_step(&c->ps, i, rng);
            parm_pathset_rgb(&c->ps, i, t, rgb);
            int flags, perm[PARM_NCOLORS];
            parm_prompt p;
            if (augment_random(&c->ps.prompt[i], rgb, rng, &flags, perm, &p, aug)) return -1;
            rc = atom_examples(&p, aug, NULL, rng, ex + b, ATOM_GROUP);
            if (rc < 0) return -1;
        }
        if (rc) return PARM_ERR("orm-atoms source: no usable path image in 100 tries");
    }
    return k ? parm_judge_next_atoms((void *)c, rng, ex + m, k) : 0;
}
static int next_orm_atoms(void *ctx, parm_rng *rng, parm_judge_example *ex, int n) {
    const src_ctx *c = ctx;
    return check_ctx(c) ? -1 : orm_atoms_groups(c, rng, ex, n, 0.0f, 0);
}
/* prm-atoms: orm-atoms groups on a uniform step image of the path (any step,
 * labels = the grader on that step image, i.e. its step verdict per atom):
 * the judge answers step as MATCH of the step image by atoms. */
static int next_prm_atoms(void *ctx, parm_rng *rng, parm_judge_example *ex, int n) {
    const src_ctx *c = ctx;
    return check_ctx(c) ? -1 : orm_atoms_groups(c, rng, ex, n, 1.0f, 1);
}

/* prm: step images uniform over paths and steps, label = the step's verdict */
static int next_prm(void *ctx, parm_rng *rng, parm_judge_example *ex, int n) {
    const src_ctx *c = ctx;
    if (check_ctx(c)) return -1;
    for (int b = 0; b < n; b++) {
        int i = parm_rng_int(rng, 0, c->ps.n - 1), t = parm_rng_int(rng, 0, c->ps.T - 1);
        path_example(&c->ps, i, t, PARM_Q_STEP, (float)parm_pathset_verdict(&c->ps, i, t), &ex[b]);
    }
    return 0;
}

/* parm: example b asks clarity (b % 3 == 0), potential (1) or match (2).
 * Potential is only ever asked of a step judged clear, so its examples are
 * clear steps (the step reads as the path's final image; the last step always
 * does): uniform (path, step) pairs, redrawn until clear. Asked of blurry
 * steps it could only learn the base rate. */
static int next_parm(void *ctx, parm_rng *rng, parm_judge_example *ex, int n) {
    const src_ctx *c = ctx;
    if (check_ctx(c)) return -1;
    for (int b = 0; b < n; b++) {
        if (b % 3 == 2) { balanced_final(c, rng, b / 3, PARM_Q_MATCH, &ex[b]); continue; }
        int i = parm_rng_int(rng, 0, c->ps.n - 1), t = parm_rng_int(rng, 0, c->ps.T - 1);
        if (b % 3 == 0) {
            path_example(&c->ps, i, t, PARM_Q_CLARITY, (float)parm_pathset_reading_eq(&c->ps, i, t), &ex[b]);
            continue;
        }
        while (!parm_pathset_reading_eq(&c->ps, i, t)) {
            i = parm_rng_int(rng, 0, c->ps.n - 1);
            t = parm_rng_int(rng, 0, c->ps.T - 1);
        }
        path_example(&c->ps, i, t, PARM_Q_POTENTIAL, (float)parm_pathset_final_verdict(&c->ps, i), &ex[b]);
    }
    return 0;
}

/* parm-atoms: the first round(n/4) examples ask clarity of uniform (path,
 * step) pairs (label: the step reads as the final image), the rest are
 * orm-atoms groups, half of them on a clear step image: the judge answers
 * potential as MATCH of the clear step by atoms (parm_judge.as_match), so
 * it learns to read atoms on step images too. */
static int next_parm_atoms(void *ctx, parm_rng *rng, parm_judge_example *ex, int n) {
    const src_ctx *c = ctx;
    if (check_ctx(c)) return -1;
    int k = (n + 2) / 4;
    for (int b = 0; b < k; b++) {
        int i = parm_rng_int(rng, 0, c->ps.n - 1), t = parm_rng_int(rng, 0, c->ps.T - 1);
        path_example(&c->ps, i, t, PARM_Q_CLARITY, (float)parm_pathset_reading_eq(&c->ps, i, t), &ex[b]);
    }
    return orm_atoms_groups(c, rng, ex + k, n - k, 0.5f, 0);
}

const parm_judge_source parm_judge_sources[] = {
    {"orm-zs", "zero-shot ORM: GT renders of train prompts; own caption = yes, one change = no",
     PARM_Q_MATCH, 0, open_zs, parm_judge_next_orm_zs, src_close, 0},
    {"atoms", "zero-shot atomic judge: GT renders of train prompts asked their atoms (is there a red star, is the "
              "star left of the circle, ...) and hard negatives (colour swap, relation flip, shape, count +-1, "
              "absent); label = grader verdict of the atom's prompt", PARM_Q_MATCH, 0, open_atoms,
     parm_judge_next_atoms, src_close, 0},
    {"orm", "fine-tuned ORM: final images of --data paths, label = grader verdict (balanced), plus a --zs-frac "
            "share of orm-zs pairs", PARM_Q_MATCH, 1, open_orm, next_orm, src_close, 0},
    {"orm-atoms", "fine-tuned atomic ORM: final images of --data paths (correct / incorrect alternating; mirrored "
                  "and palette-permuted with their prompt, never into a test prompt) asked their atoms and hard "
                  "negatives as atoms, label = grader per atom; plus a --zs-frac share of atoms groups",
     PARM_Q_MATCH, 1, open_orm_atoms, next_orm_atoms, src_close, 0},
    {"prm", "PRM: step images of --data paths (uniform over paths and steps), label = the step's grader verdict",
     PARM_Q_STEP, 1, open_prm, next_prm, src_close, 0},
    {"parm", "PARM: one judge, 1/3 each: clarity (step reads as the final image), potential (final verdict) on "
             "clear step images; match on final images (balanced)", -1, 1, open_parm,
     next_parm, src_close, 0},
    {"prm-atoms", "PRM by atoms: orm-atoms groups on a uniform step image of a path (labels: the grader per atom on "
                  "that image); step is then answered as MATCH of the step image by atoms", PARM_Q_STEP, 1,
     open_prm_atoms, next_prm_atoms, src_close, 1 << PARM_Q_STEP},
    {"parm-atoms", "PARM by atoms: 1/4 clarity (step reads as the final image); 3/4 orm-atoms groups, half on a clear "
                   "step image; potential is then answered as MATCH of the clear step by atoms", -1, 1,
     open_parm_atoms, next_parm_atoms, src_close, 1 << PARM_Q_POTENTIAL},
};
const int parm_judge_nsources = sizeof parm_judge_sources / sizeof parm_judge_sources[0];

const parm_judge_source *parm_judge_source_find(const char *variant) {
    char names[256] = "";
    for (int i = 0; i < parm_judge_nsources; i++) {
        if (variant && !strcmp(variant, parm_judge_sources[i].name)) return &parm_judge_sources[i];
        strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
        strncat(names, parm_judge_sources[i].name, sizeof names - strlen(names) - 1);
    }
    PARM_ERR("unknown judge variant '%s' (valid: %s)", variant ? variant : "", names);
    return NULL;
}

/* ---- held-out evaluation sets ---- */
typedef struct {
    const parm_prompt *pool;
    const int *idx[2];
    int n[2], tag; /* 0 position, 1 color_attr */
} eval_pick;
static int pick_test(void *ctx, parm_rng *rng, parm_prompt *p) {
    const eval_pick *e = ctx;
    *p = e->pool[e->idx[e->tag][parm_rng_int(rng, 0, e->n[e->tag] - 1)]];
    return 0;
}

int parm_judge_evalset_gt(parm_judge_evalset *s, int test, int n, uint64_t seed, const parm_layout *layout) {
    memset(s, 0, sizeof *s);
    if (n < 2 || n % 2) return PARM_ERR("judge eval set size %d must be even and >= 2", n);
    parm_prompt *pool = NULL;
    int npool[2] = {0, 0}, *idx[2] = {NULL, NULL};
    if (test) { /* test prompts of each held-out tag */
        int np = parm_prompts_all(&pool);
        if (np < 0) return -1;
        for (int k = 0; k < 2; k++) {
            idx[k] = parm_malloc(sizeof(int) * np);
            if (!idx[k]) goto fail;
        }
        for (int i = 0; i < np; i++)
            if (parm_prompt_is_test(&pool[i])) {
                int k = pool[i].tag == PARM_TAG_COLOR_ATTR;
                idx[k][npool[k]++] = i;
            }
    }
    s->ex = parm_malloc(sizeof *s->ex * n);
    if (!s->ex) goto fail;
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_PROMPT);
    for (int i = 0; i < n; i += 2) {
        eval_pick pk = {pool, {idx[0], idx[1]}, {npool[0], npool[1]}, (i / 2) % 2};
        if (gt_pair_sampled(test ? pick_test : pick_train, &pk, layout, test, &rng, &s->ex[i], &s->ex[i + 1]))
            goto fail;
    }
    s->n = n;
    free(pool); free(idx[0]); free(idx[1]);
    return 0;
fail:
    free(pool); free(idx[0]); free(idx[1]);
    parm_judge_evalset_free(s);
    return -1;
}

int parm_judge_evalset_relations(parm_judge_evalset *s, int test, int n, uint64_t seed, const parm_layout *layout) {
    memset(s, 0, sizeof *s);
    if (n < 2 || n % 2) return PARM_ERR("relation probe set size %d must be even and >= 2", n);
    if (!(s->ex = parm_malloc(sizeof *s->ex * n))) return -1;
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_PROMPT);
    uint8_t rgb[NPIX * 3];
    for (int i = 0; i < n;) { /* example i: true when i is even */
        parm_prompt p;
        parm_atom at[8];
        parm_detection dets[64];
        int truth[8], ndets, na = relation_image(layout, test, &rng, &p, rgb, at, truth, dets, &ndets), cand[8], nc = 0;
        if (na < 0) { parm_judge_evalset_free(s); return -1; }
        for (int k = 0; k < na; k++)
            if (truth[k] == (i % 2 == 0)) cand[nc++] = k;
        if (!nc) continue;
        parm_judge_example *e = &s->ex[i];
        const parm_atom *a = &at[cand[parm_rng_int(&rng, 0, nc - 1)]];
        parm_prompt ap;
        if (parm_atom_prompt(a, &ap) || parm_atom_text(a, e->atom, sizeof e->atom)) { parm_judge_evalset_free(s); return -1; }
        e->question = PARM_Q_MATCH;
        e->caption = ap;
        e->prompt = p;
        memcpy(e->rgb, rgb, sizeof rgb);
        e->label = (float)(parm_grade_dets(dets, ndets, &ap, NULL, 0) == 1);
        e->kind = e->label > 0.5f ? -1 : PARM_CORRUPT_RELATION;
        e->has_ground = 0;
        i++;
    }
    s->n = n;
    return 0;
}

void parm_judge_evalset_free(parm_judge_evalset *s) {
    free(s->ex);
    s->ex = NULL;
    s->n = 0;
}
