/* judge_data.c — the judge's data: training-example sources (one per judge
 * variant: the zero-shot ORM's ground-truth renders with matching and
 * minimally corrupted captions; the fine-tuned ORM, PRM and PARM on
 * generator paths labeled by the grader, read from a path set), fixed
 * held-out evaluation sets, and the metrics (accuracy, AUC, paired accuracy,
 * per tag and per corruption kind; on path sets per step and best-of-N). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parm/text.h"
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
     "weights/judge_orm-zs.safetensors", PARM_Q_MATCH, 0, open_zs, parm_judge_next_orm_zs, src_close},
    {"orm", "fine-tuned ORM: final images of --data paths, label = grader verdict (balanced), plus a --zs-frac "
            "share of orm-zs pairs", "weights/judge_orm.safetensors", PARM_Q_MATCH, 1, open_orm, next_orm, src_close},
    {"prm", "PRM: step images of --data paths (uniform over paths and steps), label = the step's grader verdict",
     "weights/judge_prm.safetensors", PARM_Q_STEP, 1, open_prm, next_prm, src_close},
    {"parm", "PARM: one judge, 1/3 each: clarity (step reads as the final image), potential (final verdict) on "
             "clear step images; match on final images (balanced)", "weights/judge_parm.safetensors", -1, 1, open_parm,
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

/* ---- metrics ---- */
typedef struct {
    float s, y;
} scored;
static int cmp_scored(const void *a, const void *b) {
    float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

double parm_auc(const float *scores, const float *labels, int n) {
    scored *v = parm_malloc(sizeof *v * (n > 0 ? n : 1));
    if (!v) return -1;
    long npos = 0, nneg = 0;
    for (int i = 0; i < n; i++) {
        v[i].s = scores[i];
        v[i].y = labels[i];
        if (labels[i] >= 0.5f) npos++;
        else nneg++;
    }
    if (!npos || !nneg) { free(v); return -1; }
    qsort(v, n, sizeof *v, cmp_scored);
    double rank_sum = 0; /* sum of positives' ranks (1-based, ties averaged) */
    for (int i = 0; i < n;) {
        int k = i;
        while (k < n && v[k].s == v[i].s) k++;
        double r = 0.5 * (i + 1 + k); /* mean rank of [i, k) */
        for (int m = i; m < k; m++)
            if (v[m].y >= 0.5f) rank_sum += r;
        i = k;
    }
    free(v);
    return (rank_sum - 0.5 * npos * (npos + 1)) / ((double)npos * nneg);
}

/* Logits of n items, batched: item(ctx, i, &question, &text, rgb) describes item i. */
typedef int (*item_fn)(const void *ctx, int i, int *question, const char **text, uint8_t *rgb);
static int score_items(parm_judge *j, int n, item_fn item, const void *ctx, float *logit) {
    const int Tt = j->cfg.text_len;
    if (j->maxB < 1 && parm_judge_alloc(j, 32)) return -1;
    const int NB = j->maxB;
    int *q = parm_malloc(sizeof(int) * NB), *ids = parm_malloc(sizeof(int) * NB * Tt), rc = -1;
    uint8_t *rgb = parm_malloc((size_t)NB * NPIX * 3);
    if (!q || !ids || !rgb) goto done;
    for (int i0 = 0; i0 < n; i0 += NB) {
        int B = n - i0 < NB ? n - i0 : NB;
        for (int b = 0; b < B; b++) {
            const char *text;
            if (item(ctx, i0 + b, &q[b], &text, rgb + (size_t)b * NPIX * 3)) goto done;
            if (parm_text_encode(text, ids + b * Tt, Tt) < 0) goto done;
        }
        if (parm_judge_forward(j, q, ids, rgb, B, 0)) goto done;
        memcpy(logit + i0, j->logits, sizeof(float) * B);
    }
    rc = 0;
done:
    free(q); free(ids); free(rgb);
    return rc;
}

/* everything but pair_acc from logits, labels, tags and kinds (kind -1 = none) */
static int metrics_fill(parm_judge_metrics *m, int n, const float *logit, const float *lab, const int *tag,
                        const int *kind) {
    memset(m, 0, sizeof *m);
    float *prob = parm_malloc(sizeof(float) * n);
    if (!prob) return -1;
    double loss = 0;
    long correct = 0, pos = 0, pos_ok = 0, neg_ok = 0, pred_yes = 0, tag_ok[PARM_NTAGS] = {0},
         kind_ok[PARM_NCORRUPT] = {0};
    for (int i = 0; i < n; i++) {
        double x = logit[i], y = lab[i];
        prob[i] = 1.0f / (1.0f + expf(-logit[i]));
        loss += (x > 0 ? x : 0) - x * y + log1p(exp(-fabs(x)));
        int ok = (prob[i] >= 0.5f) == (y >= 0.5);
        pred_yes += prob[i] >= 0.5f;
        correct += ok;
        if (y >= 0.5) { pos++; pos_ok += ok; }
        else neg_ok += ok;
        m->n_tag[tag[i]]++;
        tag_ok[tag[i]] += ok;
        if (kind[i] >= 0 && kind[i] < PARM_NCORRUPT) { m->n_kind[kind[i]]++; kind_ok[kind[i]] += ok; }
    }
    m->n = n;
    m->loss = loss / n;
    m->acc = (double)correct / n;
    m->auc = parm_auc(prob, lab, n);
    m->yes_rate = (double)pos / n;
    m->pred_yes_rate = (double)pred_yes / n;
    m->acc_pos = pos ? (double)pos_ok / pos : -1;
    m->acc_neg = n - pos ? (double)neg_ok / (n - pos) : -1;
    m->pair_acc = -1;
    for (int t = 0; t < PARM_NTAGS; t++) m->acc_tag[t] = m->n_tag[t] ? (double)tag_ok[t] / m->n_tag[t] : -1;
    for (int k = 0; k < PARM_NCORRUPT; k++) m->acc_kind[k] = m->n_kind[k] ? (double)kind_ok[k] / m->n_kind[k] : -1;
    free(prob);
    return 0;
}

static int evalset_item(const void *ctx, int i, int *question, const char **text, uint8_t *rgb) {
    const parm_judge_example *e = &((const parm_judge_evalset *)ctx)->ex[i];
    *question = e->question;
    *text = e->caption.text;
    memcpy(rgb, e->rgb, NPIX * 3);
    return 0;
}

int parm_judge_evaluate(parm_judge *j, const parm_judge_evalset *s, parm_judge_metrics *m) {
    memset(m, 0, sizeof *m);
    const int n = s->n;
    if (n < 1) return PARM_ERR("empty judge eval set");
    float *logit = parm_malloc(sizeof(float) * n), *lab = parm_malloc(sizeof(float) * n);
    int *tag = parm_malloc(sizeof(int) * n), *kind = parm_malloc(sizeof(int) * n), rc = -1;
    if (!logit || !lab || !tag || !kind) goto done;
    if (score_items(j, n, evalset_item, s, logit)) goto done;
    for (int i = 0; i < n; i++) {
        lab[i] = s->ex[i].label;
        tag[i] = s->ex[i].prompt.tag;
        kind[i] = s->ex[i].kind;
    }
    if (metrics_fill(m, n, logit, lab, tag, kind)) goto done;
    /* paired sets (parm_judge_evalset_gt): example 2i matches, 2i+1 is its corruption */
    long pairs = 0, pair_ok = 0;
    for (int i = 0; i + 1 < n; i += 2)
        if (lab[i] >= 0.5f && lab[i + 1] < 0.5f && !memcmp(s->ex[i].rgb, s->ex[i + 1].rgb, NPIX * 3)) {
            pairs++;
            pair_ok += logit[i] > logit[i + 1];
        }
    m->pair_acc = pairs ? (double)pair_ok / pairs : -1;
    rc = 0;
done:
    free(logit); free(lab); free(tag); free(kind);
    return rc;
}

/* path-set items: match = one per path (final image); potential = one per
 * clear (path, step), the only steps PARM asks it of; else one per (path, step) */
typedef struct {
    const parm_pathset *ps;
    int question;
    const int *clear; /* potential: item i = flat (path·T + step) index clear[i] */
} ps_items;
static void ps_item_at(const ps_items *c, int i, int *path, int *step) {
    if (c->question == PARM_Q_MATCH) { *path = i; *step = c->ps->T - 1; return; }
    if (c->clear) i = c->clear[i];
    *path = i / c->ps->T;
    *step = i % c->ps->T;
}
static int ps_item(const void *ctx, int i, int *question, const char **text, uint8_t *rgb) {
    const ps_items *c = ctx;
    int p, t;
    ps_item_at(c, i, &p, &t);
    *question = c->question;
    *text = c->ps->prompt[p].text;
    parm_pathset_rgb(c->ps, p, t, rgb);
    return 0;
}
static float ps_label(const parm_pathset *ps, int question, int p, int t) {
    switch (question) {
    case PARM_Q_STEP: return (float)parm_pathset_verdict(ps, p, t);
    case PARM_Q_CLARITY: return (float)parm_pathset_reading_eq(ps, p, t);
    default: return (float)parm_pathset_final_verdict(ps, p); /* match, potential */
    }
}

int parm_judge_evaluate_pathset(parm_judge *j, const parm_pathset *ps, int question, parm_judge_metrics *m,
                                double *acc_step, long *n_step, parm_judge_bestofn *bon) {
    memset(m, 0, sizeof *m);
    if (question < 0 || question >= PARM_JUDGE_NQ) return PARM_ERR("question %d outside [0, %d)", question, PARM_JUDGE_NQ);
    if (ps->n < 1 || ps->T < 1 || ps->T > PARM_PATHSET_MAX_STEPS) return PARM_ERR("empty or malformed path set");
    const int T = ps->T;
    const long nl = question == PARM_Q_MATCH ? (long)ps->n : (long)ps->n * T;
    if (nl > 0x7fffffffL) return PARM_ERR("path set too large to evaluate (%ld items)", nl);
    int n = (int)nl, *clear = NULL;
    if (question == PARM_Q_POTENTIAL) {
        if (!(clear = parm_malloc(sizeof(int) * n))) return -1;
        int k = 0;
        for (int i = 0; i < n; i++)
            if (parm_pathset_reading_eq(ps, i / T, i % T)) clear[k++] = i;
        n = k;
    }
    ps_items c = {ps, question, clear};
    float *logit = parm_malloc(sizeof(float) * n), *lab = parm_malloc(sizeof(float) * n);
    int *tag = parm_malloc(sizeof(int) * n), *kind = parm_malloc(sizeof(int) * n), rc = -1;
    if (!logit || !lab || !tag || !kind) goto done;
    if (score_items(j, n, ps_item, &c, logit)) goto done;
    long cnt[PARM_PATHSET_MAX_STEPS] = {0}, okc[PARM_PATHSET_MAX_STEPS] = {0};
    for (int i = 0; i < n; i++) {
        int p, t;
        ps_item_at(&c, i, &p, &t);
        lab[i] = ps_label(ps, question, p, t);
        tag[i] = ps->prompt[p].tag;
        kind[i] = -1;
        cnt[t]++;
        okc[t] += (1.0f / (1.0f + expf(-logit[i])) >= 0.5f) == (lab[i] >= 0.5f); /* as metrics_fill */
    }
    for (int t = 0; t < T; t++) {
        if (acc_step) acc_step[t] = cnt[t] ? (double)okc[t] / cnt[t] : -1;
        if (n_step) n_step[t] = cnt[t];
    }
    if (metrics_fill(m, n, logit, lab, tag, kind)) goto done;
    if (bon) {
        bon->bestofn = bon->mean = bon->oracle = -1;
        if (question == PARM_Q_MATCH) {
            const int N = ps->paths_per_prompt;
            long best = 0, any = 0, sum = 0;
            for (int q = 0; q < ps->n_prompts; q++) {
                int arg = q * N, ok_any = 0;
                for (int k = q * N; k < (q + 1) * N; k++) {
                    if (logit[k] > logit[arg]) arg = k;
                    ok_any |= parm_pathset_final_verdict(ps, k);
                    sum += parm_pathset_final_verdict(ps, k);
                }
                best += parm_pathset_final_verdict(ps, arg);
                any += ok_any;
            }
            bon->bestofn = (double)best / ps->n_prompts;
            bon->oracle = (double)any / ps->n_prompts;
            bon->mean = (double)sum / ps->n;
        }
    }
    rc = 0;
done:
    free(logit); free(lab); free(tag); free(kind); free(clear);
    return rc;
}

void parm_judge_metrics_print(const parm_judge_metrics *m, FILE *f) {
    int captions = m->pair_acc >= 0; /* a GT set: matching vs corrupted captions */
    for (int k = 0; k < PARM_NCORRUPT; k++) captions |= m->n_kind[k] > 0;
    fprintf(f, "  examples %d   loss %.4f   accuracy %.4f   AUC %.4f", m->n, m->loss, m->acc, m->auc);
    if (captions) fprintf(f, "   paired %.4f", m->pair_acc);
    fprintf(f, "\n  %s %.4f   %s %.4f   yes: answered %.3f, labeled %.3f\n",
            captions ? "matching captions" : "on yes labels", m->acc_pos, captions ? "corrupted captions" : "on no labels",
            m->acc_neg, m->pred_yes_rate, m->yes_rate);
    fprintf(f, "  by tag:");
    for (int t = 0; t < PARM_NTAGS; t++)
        if (m->n_tag[t]) fprintf(f, "  %s %.3f (%ld)", parm_tag_names[t], m->acc_tag[t], m->n_tag[t]);
    fprintf(f, "\n");
    if (!captions) return;
    fprintf(f, "  corrupted, by change:");
    for (int k = 0; k < PARM_NCORRUPT; k++)
        if (m->n_kind[k]) fprintf(f, "  %s %.3f (%ld)", parm_corrupt_names[k], m->acc_kind[k], m->n_kind[k]);
    fprintf(f, "\n");
}
