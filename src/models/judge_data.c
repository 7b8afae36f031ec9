/* judge_data.c — the judge's data: training-example sources (one per judge
 * variant; the zero-shot ORM's ground-truth renders with matching and
 * minimally corrupted captions), fixed held-out evaluation sets, and the
 * metrics (accuracy, AUC, paired accuracy, per tag and per corruption kind). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parm/gen.h" /* the text tokenizer */
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
static int gt_pair(const parm_prompt *p, int allow_test, parm_rng *rng, parm_judge_example *pos,
                   parm_judge_example *neg) {
    parm_scene sc;
    if (parm_scene_sample(p, rng, &sc)) return -1;
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
static int gt_pair_sampled(int (*pick)(void *, parm_rng *, parm_prompt *), void *pctx, int allow_test,
                           parm_rng *rng, parm_judge_example *pos, parm_judge_example *neg) {
    for (int tries = 0; tries < 1000; tries++) {
        parm_prompt p;
        if (pick(pctx, rng, &p)) return -1;
        int rc = gt_pair(&p, allow_test, rng, pos, neg);
        if (rc <= 0) return rc;
    }
    return PARM_ERR("no prompt with a failing corruption in 1000 tries");
}

static int pick_train(void *ctx, parm_rng *rng, parm_prompt *p) {
    (void)ctx;
    parm_prompt_sample_train(rng, p);
    return 0;
}

int parm_judge_next_orm_zs(void *ctx, parm_rng *rng, parm_judge_example *ex, int n) {
    (void)ctx;
    for (int i = 0; i + 1 < n; i += 2)
        if (gt_pair_sampled(pick_train, NULL, 0, rng, &ex[i], &ex[i + 1])) return -1;
    if (n % 2) { /* odd tail: one of the pair, either label */
        static _Thread_local parm_judge_example spare;
        int keep_pos = parm_rng_uniform(rng) < 0.5;
        if (gt_pair_sampled(pick_train, NULL, 0, rng, keep_pos ? &ex[n - 1] : &spare, keep_pos ? &spare : &ex[n - 1]))
            return -1;
    }
    return 0;
}

const parm_judge_source parm_judge_sources[] = {
    {"orm-zs", "zero-shot ORM: GT renders of train prompts; own caption = yes, one change = no",
     "weights/judge_zs.safetensors", PARM_Q_MATCH, NULL, parm_judge_next_orm_zs, NULL},
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

int parm_judge_evalset_gt(parm_judge_evalset *s, int test, int n, uint64_t seed) {
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
        if (gt_pair_sampled(test ? pick_test : pick_train, &pk, test, &rng, &s->ex[i], &s->ex[i + 1])) goto fail;
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

int parm_judge_evaluate(parm_judge *j, const parm_judge_evalset *s, parm_judge_metrics *m) {
    memset(m, 0, sizeof *m);
    const int n = s->n, Tt = j->cfg.text_len;
    if (n < 1) return PARM_ERR("empty judge eval set");
    if (j->maxB < 1 && parm_judge_alloc(j, 32)) return -1;
    const int NB = j->maxB;
    float *prob = parm_malloc(sizeof(float) * n), *logit = parm_malloc(sizeof(float) * n);
    float *lab = parm_malloc(sizeof(float) * n);
    int *q = parm_malloc(sizeof(int) * NB), *ids = parm_malloc(sizeof(int) * NB * Tt);
    uint8_t *rgb = parm_malloc((size_t)NB * NPIX * 3);
    int rc = -1;
    if (!prob || !logit || !lab || !q || !ids || !rgb) goto done;
    for (int i0 = 0; i0 < n; i0 += NB) {
        int B = n - i0 < NB ? n - i0 : NB;
        for (int b = 0; b < B; b++) {
            const parm_judge_example *e = &s->ex[i0 + b];
            q[b] = e->question;
            if (parm_text_encode(e->caption.text, ids + b * Tt, Tt) < 0) goto done;
            memcpy(rgb + (size_t)b * NPIX * 3, e->rgb, NPIX * 3);
        }
        if (parm_judge_forward(j, q, ids, rgb, B, 0)) goto done;
        for (int b = 0; b < B; b++) {
            float x = j->logits[b];
            logit[i0 + b] = x;
            prob[i0 + b] = 1.0f / (1.0f + expf(-x));
            lab[i0 + b] = s->ex[i0 + b].label;
        }
    }
    double loss = 0;
    long correct = 0, pos = 0, pos_ok = 0, neg_ok = 0, tag_ok[PARM_NTAGS] = {0}, kind_ok[PARM_NCORRUPT] = {0};
    for (int i = 0; i < n; i++) {
        const parm_judge_example *e = &s->ex[i];
        double x = logit[i], y = lab[i];
        loss += (x > 0 ? x : 0) - x * y + log1p(exp(-fabs(x)));
        int ok = (prob[i] >= 0.5f) == (y >= 0.5);
        correct += ok;
        if (y >= 0.5) { pos++; pos_ok += ok; }
        else neg_ok += ok;
        m->n_tag[e->prompt.tag]++;
        tag_ok[e->prompt.tag] += ok;
        if (e->kind >= 0 && e->kind < PARM_NCORRUPT) { m->n_kind[e->kind]++; kind_ok[e->kind] += ok; }
    }
    /* paired sets (parm_judge_evalset_gt): example 2i matches, 2i+1 is its corruption */
    long pairs = 0, pair_ok = 0;
    for (int i = 0; i + 1 < n; i += 2)
        if (lab[i] >= 0.5f && lab[i + 1] < 0.5f && !memcmp(s->ex[i].rgb, s->ex[i + 1].rgb, NPIX * 3)) {
            pairs++;
            pair_ok += logit[i] > logit[i + 1];
        }
    m->n = n;
    m->loss = loss / n;
    m->acc = (double)correct / n;
    m->auc = parm_auc(prob, lab, n);
    m->acc_pos = pos ? (double)pos_ok / pos : -1;
    m->acc_neg = n - pos ? (double)neg_ok / (n - pos) : -1;
    m->pair_acc = pairs ? (double)pair_ok / pairs : -1;
    for (int t = 0; t < PARM_NTAGS; t++) m->acc_tag[t] = m->n_tag[t] ? (double)tag_ok[t] / m->n_tag[t] : -1;
    for (int k = 0; k < PARM_NCORRUPT; k++) m->acc_kind[k] = m->n_kind[k] ? (double)kind_ok[k] / m->n_kind[k] : -1;
    rc = 0;
done:
    free(prob); free(logit); free(lab); free(q); free(ids); free(rgb);
    return rc;
}

void parm_judge_metrics_print(const parm_judge_metrics *m, FILE *f) {
    fprintf(f, "  examples %d   loss %.4f   accuracy %.4f   AUC %.4f   paired %.4f\n", m->n, m->loss, m->acc, m->auc,
            m->pair_acc);
    fprintf(f, "  matching captions %.4f   corrupted captions %.4f\n", m->acc_pos, m->acc_neg);
    fprintf(f, "  by tag:");
    for (int t = 0; t < PARM_NTAGS; t++)
        if (m->n_tag[t]) fprintf(f, "  %s %.3f (%ld)", parm_tag_names[t], m->acc_tag[t], m->n_tag[t]);
    fprintf(f, "\n  corrupted, by change:");
    for (int k = 0; k < PARM_NCORRUPT; k++)
        if (m->n_kind[k]) fprintf(f, "  %s %.3f (%ld)", parm_corrupt_names[k], m->acc_kind[k], m->n_kind[k]);
    fprintf(f, "\n");
}
