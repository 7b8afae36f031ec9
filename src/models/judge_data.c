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
    int has_data;
    parm_pathset ps;     /* the path set (data variants) */
    int *pos, *neg;      /* paths whose final image is correct / incorrect */
    int npos, nneg;
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

static void src_close(void *ctx) {
    src_ctx *c = ctx;
    if (!c) return;
    parm_pathset_free(&c->ps);
    free(c->pos);
    free(c->neg);
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
    src_ctx *c = parm_calloc(1, sizeof *c);
    if (!c) return -1;
    c->layout = o->layout;
    c->zs_frac = o->zs_frac;
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
    }
    *ctx = c;
    return 0;
}

static int open_zs(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "orm-zs", 0); }
static int open_orm(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "orm", 1); }
static int open_prm(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "prm", 1); }
static int open_parm(void **ctx, const parm_judge_train_opts *o) { return src_open(ctx, o, "parm", 1); }

/* path i, step t as an example */
static void path_example(const parm_pathset *ps, int i, int t, int question, float label, parm_judge_example *e) {
    e->question = question;
    e->caption = e->prompt = ps->prompt[i];
    parm_pathset_rgb(ps, i, t, e->rgb);
    e->label = label;
    e->kind = -1;
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

const parm_judge_source parm_judge_sources[] = {
    {"orm-zs", "zero-shot ORM: GT renders of train prompts; own caption = yes, one change = no",
     PARM_Q_MATCH, 0, open_zs, parm_judge_next_orm_zs, src_close},
    {"orm", "fine-tuned ORM: final images of --data paths, label = grader verdict (balanced), plus a --zs-frac "
            "share of orm-zs pairs", PARM_Q_MATCH, 1, open_orm, next_orm, src_close},
    {"prm", "PRM: step images of --data paths (uniform over paths and steps), label = the step's grader verdict",
     PARM_Q_STEP, 1, open_prm, next_prm, src_close},
    {"parm", "PARM: one judge, 1/3 each: clarity (step reads as the final image), potential (final verdict) on "
             "clear step images; match on final images (balanced)", -1, 1, open_parm,
     next_parm, src_close},
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

void parm_judge_evalset_free(parm_judge_evalset *s) {
    free(s->ex);
    s->ex = NULL;
    s->n = 0;
}
