/* judge_reflect.c — the learned judge writes a PARM++ reflection
 * (parm/reflect.h) from its answers to atomic questions (world.h atoms),
 * never from the grader: every atom of the prompt is asked; a failing atom
 * (P(yes) < thresh) is followed up by the questions that tell its clause —
 * a coloured object: is the shape there at all (no: "missing"), and which
 * colour it has (the most likely other colour: "the star is green, not
 * red"); a count: which other count of 2..4 holds (else "one" when the
 * shape is there, "no" when it is not); a relation: which other relation
 * holds (the most likely). And the tokenizer of reflection text for the
 * generator's reflection segment. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parm/judge.h"
#include "parm/reflect.h"
#include "parm/text.h"

#define NPX (PARM_IMG * PARM_IMG * 3)

int parm_reflection_encode(const char *text, int *ids, int max_len) {
    if (max_len < 2) return PARM_ERR("reflection length %d too small", max_len);
    int n = 0;
    ids[n++] = PARM_TOK_BOS;
    for (const char *s = text; *s;) {
        while (*s == ' ') s++;
        if (!*s) break;
        char w[64];
        int k = 0;
        if (*s == ';') w[k++] = *s++;
        else
            while (*s && *s != ' ' && *s != ';' && *s != ',' && *s != ':') {
                if (k < 63) w[k++] = *s;
                s++;
            }
        w[k] = 0;
        while (*s == ',' || *s == ':') s++;
        int id = !strcmp(w, ";") ? PARM_TOK_SEP : parm_text_id(w);
        if (id < PARM_TOK_SEP)
            return PARM_ERR("unknown word '%s' in reflection '%s' (reflections use the text vocabulary)", w, text);
        if (n >= max_len) return PARM_ERR("reflection '%s' has more than %d tokens", text, max_len - 1);
        ids[n++] = id;
    }
    int used = n;
    while (n < max_len) ids[n++] = PARM_TOK_PAD;
    return used;
}

/* P(yes) of the atoms at[0..n) on one image (MATCH question, atom texts as is) */
static int ask(parm_judge *j, const parm_atom *at, int n, const uint8_t *rgb, float *p, int *calls) {
    char txt[16][64];
    const char *ptr[16];
    uint8_t img[16 * NPX];
    if (n > 16) return PARM_ERR("judge reflect: %d questions at once (at most 16)", n);
    for (int k = 0; k < n; k++) {
        if (parm_atom_text(&at[k], txt[k], sizeof txt[k])) return -1;
        ptr[k] = txt[k];
        memcpy(img + (size_t)k * NPX, rgb, NPX);
    }
    const int saved = j->atoms; /* atom texts are not prompts: ask them as they are */
    const long f0 = j->forwards;
    j->atoms = PARM_ATOMS_OFF;
    int rc = parm_judge_prob(j, PARM_Q_MATCH, ptr, n, img, n, p);
    j->atoms = saved;
    /* the forwards that ran: one per question, except that a grounding judge answers a relation by the
     * forwards of its two objects (shared with the same call's object questions) */
    if (calls) *calls += (int)(j->forwards - f0);
    return rc;
}

static parm_atom obj_atom(int shape, int color) {
    return (parm_atom){.kind = PARM_ATOM_OBJECT, .shape = shape, .color = color, .count = 1, .rel = PARM_REL_NONE,
                       .ref_shape = -1};
}

/* the clause of one failing atom */
static int clause_of(parm_judge *j, const parm_atom *a, const uint8_t *rgb, parm_clause *c, int *calls) {
    parm_atom q[16];
    float p[16];
    int n = 0;
    switch (a->kind) {
    case PARM_ATOM_OBJECT: {
        *c = parm_clause_make(PARM_FAIL_MISSING, a->shape);
        c->color = a->color;
        if (a->color < 0) return 0;
        q[n++] = obj_atom(a->shape, -1);
        for (int col = 0; col < PARM_NCOLORS; col++)
            if (col != a->color) q[n++] = obj_atom(a->shape, col);
        if (ask(j, q, n, rgb, p, calls)) return -1;
        if (p[0] < 0.5f) return 0; /* the shape is not there */
        int best = 1;
        for (int k = 2; k < n; k++)
            if (p[k] > p[best]) best = k;
        *c = parm_clause_make(PARM_FAIL_COLOR, a->shape);
        c->color = q[best].color;
        c->want_color = a->color;
        return 0;
    }
    case PARM_ATOM_COUNT: {
        q[n++] = obj_atom(a->shape, -1);
        for (int m = 2; m <= 4; m++)
            if (m != a->count)
                q[n++] = (parm_atom){.kind = PARM_ATOM_COUNT, .shape = a->shape, .color = -1, .count = m,
                                     .rel = PARM_REL_NONE, .ref_shape = -1};
        if (ask(j, q, n, rgb, p, calls)) return -1;
        int best = 1;
        for (int k = 2; k < n; k++)
            if (p[k] > p[best]) best = k;
        *c = parm_clause_make(PARM_FAIL_COUNT, a->shape);
        c->want_count = a->count;
        c->count = p[best] >= 0.5f ? q[best].count : p[0] >= 0.5f ? 1 : 0;
        return 0;
    }
    case PARM_ATOM_RELATION: {
        for (int r = 0; r < 4; r++)
            if (r != a->rel) {
                q[n] = *a;
                q[n++].rel = r;
            }
        if (ask(j, q, n, rgb, p, calls)) return -1;
        int best = 0;
        for (int k = 1; k < n; k++)
            if (p[k] > p[best]) best = k;
        *c = parm_clause_make(PARM_FAIL_RELATION, a->shape);
        c->ref_shape = a->ref_shape;
        c->rel = q[best].rel;
        c->want_rel = a->rel;
        return 0;
    }
    default: return PARM_ERR("judge reflect: unknown atom kind %d", a->kind);
    }
}

int parm_judge_reflect(parm_judge *j, const parm_prompt *p, const uint8_t *rgb, float thresh, parm_reflection *r,
                       float *p_accept, int *calls) {
    memset(r, 0, sizeof *r);
    parm_atom at[PARM_MAX_ATOMS];
    float pa[PARM_MAX_ATOMS];
    int na = parm_prompt_atoms(p, at);
    if (na < 1) return -1;
    if (ask(j, at, na, rgb, pa, calls)) return -1;
    double prod = 1;
    for (int k = 0; k < na; k++) prod *= pa[k];
    if (p_accept) *p_accept = (float)prod;
    int fail[PARM_MAX_ATOMS] = {0};
    for (int k = 0; k < na; k++) fail[k] = pa[k] < thresh;
    /* a relation between objects the judge finds missing says nothing more */
    for (int k = 0; k < na; k++)
        if (at[k].kind == PARM_ATOM_RELATION && fail[k])
            for (int q = 0; q < na; q++)
                if (q != k && at[q].kind == PARM_ATOM_OBJECT && fail[q]) fail[k] = 0;
    for (int k = 0; k < na; k++)
        if (fail[k] && clause_of(j, &at[k], rgb, &r->c[r->n++], calls)) return -1;
    return 0;
}

static int clause_in(const parm_clause *c, const parm_reflection *r) {
    for (int k = 0; k < r->n; k++)
        if (parm_clause_equal(c, &r->c[k])) return 1;
    return 0;
}

int parm_reflect_evaluate_pathset(parm_judge *j, const parm_pathset *ps, float thresh, parm_reflect_metrics *m) {
    memset(m, 0, sizeof *m);
    const double t0 = parm_now();
    uint8_t rgb[NPX];
    for (int i = 0; i < ps->n; i++) {
        parm_reflection g, r;
        int calls = 0;
        parm_pathset_rgb(ps, i, ps->T - 1, rgb);
        int v = parm_reflect_grader(rgb, &ps->prompt[i], &g);
        if (v < 0 || parm_judge_reflect(j, &ps->prompt[i], rgb, thresh, &r, NULL, &calls)) return -1;
        m->judge_calls += calls;
        m->n++;
        const int ja = r.n == 0;
        if (v) ja ? m->accept_accept++ : m->accept_reject++;
        else ja ? m->reject_accept++ : m->reject_reject++;
        if (v || ja) continue;
        m->both_reject++;
        m->exact += parm_reflection_equal(&g, &r);
        int named = 0;
        for (int k = 0; k < g.n; k++) {
            int hit = clause_in(&g.c[k], &r);
            named |= hit;
            m->grader_clauses++;
            m->grader_hit += hit;
            m->kind_n[g.c[k].kind]++;
            m->kind_hit[g.c[k].kind] += hit;
        }
        m->names += named;
        for (int k = 0; k < r.n; k++) {
            m->judge_clauses++;
            m->judge_hit += clause_in(&r.c[k], &g);
        }
    }
    const long ga = m->accept_accept + m->accept_reject, gr = m->reject_accept + m->reject_reject;
    double a = ga ? (double)m->accept_accept / ga : NAN, b = gr ? (double)m->reject_reject / gr : NAN;
    m->balanced_acc = ga && gr ? 0.5 * (a + b) : ga ? a : b;
    m->seconds = parm_now() - t0;
    return 0;
}
