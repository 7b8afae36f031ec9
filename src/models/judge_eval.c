/* judge_eval.c — scoring a judge: on a held-out set (judge_data.c) or on a
 * path set against the grader's labels; the metrics (loss, accuracy, AUC,
 * paired accuracy, per tag and per corruption kind; on path sets per step and
 * best-of-N by the judge) and their printout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/judge.h"
#include "parm/text.h"
#include "judge_internal.h"

#define NPIX (PARM_IMG * PARM_IMG)

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

/* logit[b] of B items (question q[b], texts[b], image b of rgb) by parm_judge_logit, one call per question */
static int tta_chunk(parm_judge *j, const int *q, const char **texts, const uint8_t *rgb, int B, float *logit) {
    if (B > 64) return PARM_ERR("judge eval: chunk of %d items, at most 64", B);
    const char *t[64];
    uint8_t *img = parm_malloc((size_t)B * NPIX * 3);
    float out[64];
    int idx[64], rc = -1;
    if (!img) goto done;
    for (int question = 0; question < PARM_JUDGE_NQ; question++) {
        int m = 0;
        for (int b = 0; b < B; b++)
            if (q[b] == question) {
                t[m] = texts[b];
                memcpy(img + (size_t)m * NPIX * 3, rgb + (size_t)b * NPIX * 3, NPIX * 3);
                idx[m++] = b;
            }
        if (m && parm_judge_logit(j, question, t, m, img, m, out)) goto done;
        for (int k = 0; k < m; k++) logit[idx[k]] = out[k];
    }
    rc = 0;
done:
    free(img);
    return rc;
}

/* Logits of n items, batched: item(ctx, i, &question, &text, rgb) describes item i. */
typedef int (*item_fn)(const void *ctx, int i, int *question, const char **text, uint8_t *rgb);
static int score_items(parm_judge *j, int n, item_fn item, const void *ctx, float *logit) {
    const int Tt = j->cfg.text_len;
    if (j->maxB < 1 && parm_judge_alloc(j, 32)) return -1;
    const int NB = j->maxB;
    int *q = parm_malloc(sizeof(int) * NB), *ids = parm_malloc(sizeof(int) * NB * Tt), rc = -1;
    const char **texts = NULL;
    uint8_t *rgb = parm_malloc((size_t)NB * NPIX * 3);
    if (!q || !ids || !rgb) goto done;
    if (!(texts = parm_malloc(sizeof(char *) * NB))) goto done;
    for (int i0 = 0; i0 < n; i0 += NB) {
        int B = n - i0 < NB ? n - i0 : NB, all_match = 1;
        for (int b = 0; b < B; b++) {
            if (item(ctx, i0 + b, &q[b], &texts[b], rgb + (size_t)b * NPIX * 3)) goto done;
            if (j->tta > 1) continue; /* asked below, by parm_judge_logit */
            q[b] = parm_judge_asked(j, q[b]); /* as parm_judge_prob */
            all_match &= q[b] == PARM_Q_MATCH;
        }
        if (j->tta > 1) { /* test-time augmentation: parm_judge_logit per question of the chunk */
            if (tta_chunk(j, q, texts, rgb, B, logit + i0)) goto done;
            continue;
        }
        if (j->atoms && all_match) { /* the prompts scored by their atoms (judge.h) */
            if (parm_judge_logit_atoms(j, j->atoms, texts, B, rgb, B, logit + i0)) goto done;
            continue;
        }
        if (j->ground_w >= 0) { /* relation atoms by the grounding readout (judge.h) */
            if (parm_judge_logits_items(j, q, texts, rgb, B, logit + i0)) goto done;
            continue;
        }
        for (int b = 0; b < B; b++)
            if (parm_text_encode(texts[b], ids + b * Tt, Tt) < 0) goto done;
        if (parm_judge_forward(j, q, ids, rgb, B, 0)) goto done;
        memcpy(logit + i0, j->logits, sizeof(float) * B);
    }
    rc = 0;
done:
    free(q); free(ids); free(rgb); free(texts);
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
    *text = parm_judge_example_text(e);
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
    const int rule = j->atoms, has_atom = n > 0 && s->ex[0].atom[0]; /* atom texts (the relation probe): as they are */
    if (has_atom) j->atoms = PARM_ATOMS_OFF;
    int bad = score_items(j, n, evalset_item, s, logit);
    j->atoms = rule;
    if (bad) goto done;
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

int parm_judge_atom_rates(parm_judge *j, const parm_judge_evalset *s, parm_judge_atom_stats *r) {
    memset(r, 0, sizeof *r);
    const int NPX = NPIX * 3;
    enum { CH = 32 * PARM_MAX_ATOMS };
    char (*txt)[64] = parm_malloc(sizeof *txt * CH);
    const char **ptr = parm_malloc(sizeof *ptr * CH);
    uint8_t *img = parm_malloc((size_t)CH * NPX);
    int *kind = parm_malloc(sizeof(int) * CH), *truth = parm_malloc(sizeof(int) * CH), rc = -1, m = 0;
    float *pr = parm_malloc(sizeof(float) * CH);
    long yes[2][PARM_NATOM_KINDS] = {{0}};
    if (!txt || !ptr || !img || !kind || !truth || !pr) goto done;
    for (int i = 0; i <= s->n; i++) {
        if (i == s->n || m + PARM_MAX_ATOMS > CH) { /* flush */
            const int rule = j->atoms; /* the texts are atoms: asked as they are */
            j->atoms = PARM_ATOMS_OFF;
            int bad = m && parm_judge_prob(j, PARM_Q_MATCH, ptr, m, img, m, pr);
            j->atoms = rule;
            if (bad) goto done;
            for (int k = 0; k < m; k++) {
                r->n[truth[k]][kind[k]]++;
                yes[truth[k]][kind[k]] += pr[k] >= 0.5f;
            }
            m = 0;
            if (i == s->n) break;
        }
        const parm_judge_example *e = &s->ex[i];
        parm_atom at[PARM_MAX_ATOMS];
        int na = e->atom[0] ? (parm_atom_parse(e->atom, at) ? -1 : 1) : parm_prompt_atoms(&e->caption, at);
        if (na < 1) goto done;
        for (int k = 0; k < na; k++, m++) {
            parm_prompt ap;
            if (parm_atom_text(&at[k], txt[m], sizeof txt[m]) || parm_atom_prompt(&at[k], &ap)) goto done;
            ptr[m] = txt[m];
            memcpy(img + (size_t)m * NPX, e->rgb, NPX);
            kind[m] = at[k].kind;
            truth[m] = parm_grade(e->rgb, &ap, NULL, 0) == 1;
        }
    }
    for (int t = 0; t < 2; t++)
        for (int k = 0; k < PARM_NATOM_KINDS; k++) r->yes[t][k] = r->n[t][k] ? (double)yes[t][k] / r->n[t][k] : -1;
    rc = 0;
done:
    free(txt); free(ptr); free(img); free(kind); free(truth); free(pr);
    return rc;
}

void parm_judge_atom_rates_print(const parm_judge_atom_stats *r, FILE *f) {
    fprintf(f, "  atoms asked alone, answered yes (true atoms / false atoms):");
    for (int k = 0; k < PARM_NATOM_KINDS; k++)
        if (r->n[0][k] + r->n[1][k])
            fprintf(f, "  %s %.3f (%ld) / %.3f (%ld)", parm_atom_kind_names[k], r->yes[1][k], r->n[1][k], r->yes[0][k],
                    r->n[0][k]);
    fprintf(f, "\n");
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

/* The first failing clause's kind of path i's final image by the grader's
 * reason, or -1 when the grader (this build's) accepts it. */
static int final_fail_kind(const parm_pathset *ps, int i) {
    uint8_t rgb[PARM_PATHSET_PIX * 3];
    parm_reflection r;
    parm_pathset_rgb(ps, i, ps->T - 1, rgb);
    return parm_reflect_grader(rgb, &ps->prompt[i], &r) == 1 || r.n < 1 ? -1 : r.c[0].kind;
}

/* best-of-N by logit[0..ps->n) (question match; else every figure -1) */
static void bestofn_fill(const parm_pathset *ps, int question, const float *logit, parm_judge_bestofn *bon) {
    memset(bon, 0, sizeof *bon);
    bon->bestofn = bon->mean = bon->oracle = -1;
    for (int t = 0; t < PARM_NTAGS; t++) bon->bestofn_tag[t] = bon->oracle_tag[t] = -1;
    if (question != PARM_Q_MATCH) return;
    const int N = ps->paths_per_prompt;
    long best = 0, any = 0, sum = 0, best_tag[PARM_NTAGS] = {0}, any_tag[PARM_NTAGS] = {0};
    double pair_wins = 0;
    for (int q = 0; q < ps->n_prompts; q++) {
        int npos = 0;
        for (int a = q * N; a < (q + 1) * N; a++) {
            if (!parm_pathset_final_verdict(ps, a)) continue;
            npos++;
            for (int b = q * N; b < (q + 1) * N; b++)
                if (!parm_pathset_final_verdict(ps, b)) {
                    bon->pairs++;
                    pair_wins += logit[a] > logit[b] ? 1.0 : logit[a] == logit[b] ? 0.5 : 0.0;
                }
        }
        int mixed = npos > 0 && npos < N;
        int arg = q * N, arg_kind = -1, ok_any = 0; /* the pick and its failing clause (each image graded once) */
        for (int k = q * N; k < (q + 1) * N; k++) {
            int v = parm_pathset_final_verdict(ps, k), kind = v ? -1 : final_fail_kind(ps, k);
            if (k == q * N || logit[k] > logit[arg]) { arg = k; arg_kind = kind; }
            ok_any |= v;
            sum += v;
            if (kind >= 0) {
                bon->rejected_kind[kind]++;
                bon->accepted_kind[kind] += 1.0f / (1.0f + expf(-logit[k])) >= 0.5f;
            }
        }
        int v = parm_pathset_final_verdict(ps, arg), tag = ps->prompt[q * N].tag;
        best += v;
        any += ok_any;
        bon->mixed += mixed;
        bon->mixed_right += mixed && v;
        bon->n_tag[tag]++;
        best_tag[tag] += v;
        any_tag[tag] += ok_any;
        if (ok_any && !v) {
            bon->wrong_picks++;
            if (arg_kind >= 0) bon->wrong_kind[arg_kind]++;
        }
    }
    bon->bestofn = (double)best / ps->n_prompts;
    bon->oracle = (double)any / ps->n_prompts;
    bon->mean = (double)sum / ps->n;
    bon->paired_auc = bon->pairs ? pair_wins / bon->pairs : -1;
    for (int t = 0; t < PARM_NTAGS; t++)
        if (bon->n_tag[t]) {
            bon->bestofn_tag[t] = (double)best_tag[t] / bon->n_tag[t];
            bon->oracle_tag[t] = (double)any_tag[t] / bon->n_tag[t];
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
    if (bon) bestofn_fill(ps, question, logit, bon);
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
