/* sample.c — MaskGIT step-by-step decoding for the generator, as Show-o does:
 * a schedule (how many tokens stay masked after each step: cosine) and a step
 * rule (sample every masked token with annealed temperature and CFG, keep the
 * most confident, re-mask the rest) over N paths batched into one forward.
 * After each step every path's full prediction can be decoded to an image:
 * the "reasoning steps" the reward models judge. A caller (a verifier) may
 * stop a path after any step; its remaining steps are never computed, and
 * the forward passes each path really spent are counted. A stopped path can
 * be resumed later (PARM's fallback): every path keeps its own step counter
 * and RNG stream, so a resumed path ends exactly where an uninterrupted run
 * of it would have. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parm/sample.h"

#define NTOK PARM_VQ_TOKENS
#define NPIX (PARM_IMG * PARM_IMG)

parm_sample_opts parm_sample_defaults(void) {
    parm_sample_opts o = {.steps = 12, .cfg = 2.0f, .temp = 1.0f, .temp_end = 0.5f, .choice_temp = 6.0f,
                          .step_images = 0, .bg_penalty = 2.0f};
    return o;
}

int parm_schedule_masked(int t, int T) {
    double r = cos(1.5707963267948966 * (double)(t + 1) / T);
    int n = (int)floor(NTOK * r);
    return n < 0 ? 0 : n > NTOK ? NTOK : n;
}

void parm_sample_end(parm_sample_run *r) {
    free(r->tokens); free(r->pred); free(r->alive); free(r->images); free(r->forwards); free(r->done); free(r->rng);
    free(r->refl); free(r->prev);
    memset(r, 0, sizeof *r);
}

int parm_sample_begin(parm_gen *g, parm_sample_run *r, const parm_prompt *p, int N, const uint64_t *seeds,
                      const parm_sample_opts *o) {
    memset(r, 0, sizeof *r);
    if (N < 1) return PARM_ERR("number of paths %d < 1", N);
    if (o->steps < 1 || o->steps > NTOK) return PARM_ERR("steps %d outside [1, %d]", o->steps, NTOK);
    const int K = g->cfg.ncodes, Tt = g->cfg.text_len;
    r->N = N;
    r->opts = *o;
    r->prompt = *p;
    r->bg_token = -1;
    r->tokens = parm_malloc(sizeof(int) * N * NTOK);
    r->pred = parm_malloc(sizeof(int) * N * NTOK);
    r->alive = parm_malloc(N);
    r->images = parm_calloc((size_t)N * PARM_IMG * PARM_IMG * 3, 1);
    r->forwards = parm_calloc(N, sizeof(long));
    r->done = parm_calloc(N, sizeof(int));
    r->rng = parm_malloc(sizeof(parm_rng) * N);
    if (!r->tokens || !r->pred || !r->alive || !r->images || !r->forwards || !r->done || !r->rng) goto fail;
    for (int i = 0; i < N * NTOK; i++) r->tokens[i] = r->pred[i] = K;
    for (int i = 0; i < N; i++) {
        r->alive[i] = 1;
        parm_rng_seed(&r->rng[i], seeds[i], PARM_STREAM_SAMPLE);
    }
    if (parm_text_encode(p->text, r->text_ids[0], Tt) < 0) goto fail;
    r->text_ids[1][0] = PARM_TOK_BOS;
    for (int t = 1; t < Tt; t++) r->text_ids[1][t] = PARM_TOK_PAD;
    if (parm_gen_alloc(g, o->cfg != 0.0f || o->always_uncond ? 2 * N : N)) goto fail;
    return 0;
fail:
    parm_sample_end(r);
    return -1;
}

int parm_sample_condition(parm_gen *g, parm_sample_run *r, int path, const int *refl_ids, const int *prev_tokens) {
    const int R = g->cfg.refl_len;
    if (R == 0) return PARM_ERR("sampler: a plain generator (refl_len 0) cannot be conditioned on a reflection");
    if (path < 0 || path >= r->N) return PARM_ERR("sampler: condition for path %d of %d", path, r->N);
    if (!r->refl) {
        r->refl = parm_malloc(sizeof(int) * r->N * R);
        r->prev = parm_malloc(sizeof(int) * r->N * NTOK);
        if (!r->refl || !r->prev) return -1;
        for (int i = 0; i < r->N * R; i++) r->refl[i] = PARM_TOK_PAD;
        for (int i = 0; i < r->N * NTOK; i++) r->prev[i] = -1;
    }
    if (refl_ids) memcpy(r->refl + (size_t)path * R, refl_ids, sizeof(int) * R);
    if (prev_tokens) memcpy(r->prev + (size_t)path * NTOK, prev_tokens, sizeof(int) * NTOK);
    return 0;
}

void parm_sample_stop(parm_sample_run *r, int path) {
    if (path >= 0 && path < r->N) r->alive[path] = 0;
}

int parm_sample_resume(parm_sample_run *r, int path) {
    if (path < 0 || path >= r->N) return PARM_ERR("cannot resume path %d of %d", path, r->N);
    r->alive[path] = 1;
    return 0;
}

/* Sample one token from logits row l[K] (already CFG-mixed) at temperature;
 * returns the token and its log-probability. */
static int sample_row(const float *l, int K, float temp, parm_rng *rng, float *logp) {
    float mx = l[0];
    for (int k = 1; k < K; k++) mx = l[k] > mx ? l[k] : mx;
    double sum = 0;
    for (int k = 0; k < K; k++) sum += exp((l[k] - mx) / temp);
    double u = parm_rng_uniform(rng) * sum, acc = 0;
    int tok = K - 1;
    for (int k = 0; k < K; k++) {
        acc += exp((l[k] - mx) / temp);
        if (acc > u) { tok = k; break; }
    }
    *logp = (float)((l[tok] - mx) / temp - log(sum));
    return tok;
}

typedef struct {
    float conf;
    int idx;
} scored;
static int by_conf_desc(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->conf != y->conf) return x->conf < y->conf ? 1 : -1;
    return x->idx - y->idx;
}

/* One batched forward of the alive paths alive_idx[0..na): conditional rows
 * first, then (guided) the unconditional ones. Logits in g->logits. */
static int step_forward(parm_gen *g, parm_sample_run *r, const int *alive_idx, int na, int guided) {
    const int Tt = g->cfg.text_len, B = guided ? 2 * na : na, R = g->cfg.refl_len;
    int *text = parm_malloc(sizeof(int) * B * Tt), *img = parm_malloc(sizeof(int) * B * NTOK);
    int *refl = r->refl ? parm_malloc(sizeof(int) * B * R) : NULL, *prev = r->refl ? parm_malloc(sizeof(int) * B * NTOK) : NULL;
    if (!text || !img || (r->refl && (!refl || !prev))) { free(text); free(img); free(refl); free(prev); return -1; }
    for (int b = 0; b < B; b++) {
        int i = alive_idx[b % na];
        memcpy(text + b * Tt, r->text_ids[b < na ? 0 : 1], sizeof(int) * Tt);
        memcpy(img + b * NTOK, r->tokens + i * NTOK, sizeof(int) * NTOK);
        if (!refl) continue;
        if (b < na) {
            memcpy(refl + b * R, r->refl + (size_t)i * R, sizeof(int) * R);
            memcpy(prev + b * NTOK, r->prev + (size_t)i * NTOK, sizeof(int) * NTOK);
        } else { /* unconditional: no text, no reflection; the previous image too unless uncond_prev */
            for (int t = 0; t < R; t++) refl[b * R + t] = PARM_TOK_PAD;
            if (g->cfg.uncond_prev) memcpy(prev + b * NTOK, r->prev + (size_t)i * NTOK, sizeof(int) * NTOK);
            else for (int t = 0; t < NTOK; t++) prev[b * NTOK + t] = -1;
        }
    }
    int rc = parm_gen_forward_sc(g, text, refl, prev, img, B, 0);
    free(text);
    free(img);
    free(refl);
    free(prev);
    return rc;
}

/* The step rule's proposal for path i (batch row a) at its step t: every
 * masked token sampled from the CFG-mixed logits at temperature temp into
 * pred; cand[0..m) the masked tokens with their confidence. Per-token
 * commits (group = 0) add the Gumbel draw and the background penalty here,
 * in token order (the RNG order of recorded runs); grouped commits rank
 * positions later. Returns m. */
static int propose(const parm_gen *g, parm_sample_run *r, int i, int a, int na, int guided, float temp, float ctemp,
                   float *mix, scored *cand) {
    const int K = g->cfg.ncodes;
    const float w = r->opts.cfg;
    int *tok = r->tokens + i * NTOK, *pred = r->pred + i * NTOK, m = 0;
    for (int gi = 0; gi < NTOK; gi++) {
        pred[gi] = tok[gi];
        if (tok[gi] != K) continue;
        int y = gi / 16, x = gi % 16, p = (y / 2) * 8 + x / 2, s = (y % 2) * 2 + x % 2;
        const float *lc = g->logits + ((size_t)(a * PARM_GEN_POS + p) * PARM_GEN_SLOTS + s) * K;
        const float *l = lc;
        if (guided) {
            const float *lu = g->logits + ((size_t)((na + a) * PARM_GEN_POS + p) * PARM_GEN_SLOTS + s) * K;
            for (int k = 0; k < K; k++) mix[k] = (1.0f + w) * lc[k] - w * lu[k];
            l = mix;
        }
        float logp;
        pred[gi] = sample_row(l, K, temp, &r->rng[i], &logp);
        cand[m].conf = logp;
        cand[m].idx = gi;
        if (!r->opts.group_commit) {
            double u = parm_rng_uniform(&r->rng[i]);
            if (u < 1e-12) u = 1e-12;
            cand[m].conf = logp + ctemp * (float)(-log(-log(u))) - (pred[gi] == r->bg_token ? r->opts.bg_penalty : 0.0f);
        }
        m++;
    }
    return m;
}

/* Commit rule, per token (MaskGIT): the `unmask` most confident of cand[0..m). */
static void commit_tokens(int *tok, const int *pred, scored *cand, int m, int unmask) {
    qsort(cand, m, sizeof *cand, by_conf_desc);
    for (int c = 0; c < unmask; c++) tok[cand[c].idx] = pred[cand[c].idx];
}

/* Commit rule, per position: positions ranked by their masked tokens' mean
 * log-prob (+ one Gumbel draw, − the background penalty when every token of
 * it is background); whole positions are committed until at least `unmask`
 * tokens are. */
static void commit_groups(parm_sample_run *r, int i, int K, const scored *cand, int m, int unmask, float ctemp) {
    int *tok = r->tokens + i * NTOK;
    const int *pred = r->pred + i * NTOK;
    float sum[PARM_GEN_POS];
    int cnt[PARM_GEN_POS], allbg[PARM_GEN_POS];
    for (int p = 0; p < PARM_GEN_POS; p++) { sum[p] = 0; cnt[p] = 0; allbg[p] = 1; }
    for (int c = 0; c < m; c++) {
        int gi = cand[c].idx, p = (gi / 16 / 2) * 8 + (gi % 16) / 2;
        sum[p] += cand[c].conf;
        cnt[p]++;
        allbg[p] &= pred[gi] == r->bg_token;
    }
    scored pc[PARM_GEN_POS];
    int np = 0;
    for (int p = 0; p < PARM_GEN_POS; p++) {
        if (!cnt[p]) continue;
        double u = parm_rng_uniform(&r->rng[i]);
        if (u < 1e-12) u = 1e-12;
        pc[np].conf = sum[p] / cnt[p] + ctemp * (float)(-log(-log(u))) - (allbg[p] ? r->opts.bg_penalty : 0.0f);
        pc[np].idx = p;
        np++;
    }
    qsort(pc, np, sizeof *pc, by_conf_desc);
    int done_tok = 0;
    for (int c = 0; c < np && done_tok < unmask; c++)
        for (int s = 0; s < PARM_GEN_SLOTS; s++) {
            int gi = parm_gen_token_index(pc[c].idx, s);
            if (tok[gi] == K) { tok[gi] = pred[gi]; done_tok++; }
        }
}

/* Decode the full predictions of paths idx[0..nd) into r->images. */
static int decode_step_images(parm_vq *vq, parm_sample_run *r, const int *idx, int nd) {
    const size_t SZ = PARM_IMG * PARM_IMG * 3;
    int *batch = parm_malloc(sizeof(int) * nd * NTOK);
    uint8_t *imgs = parm_malloc((size_t)nd * SZ);
    int rc = !batch || !imgs;
    for (int a = 0; a < nd && !rc; a++) memcpy(batch + a * NTOK, r->pred + idx[a] * NTOK, sizeof(int) * NTOK);
    if (!rc) rc = parm_vq_decode(vq, batch, nd, imgs, NULL);
    for (int a = 0; a < nd && !rc; a++) memcpy(r->images + (size_t)idx[a] * SZ, imgs + (size_t)a * SZ, SZ);
    free(batch);
    free(imgs);
    return rc ? -1 : 0;
}

int parm_sample_step(parm_gen *g, parm_vq *vq, parm_sample_run *r) {
    const int K = g->cfg.ncodes, T = r->opts.steps;
    int alive_idx[r->N], na = 0; /* alive paths with steps left; each at its own step r->done[i] */
    for (int i = 0; i < r->N; i++)
        if (r->alive[i] && r->done[i] < T) alive_idx[na++] = i;
    if (na == 0) return 1;
    const int guided = r->opts.cfg != 0.0f || r->opts.always_uncond;
    if (step_forward(g, r, alive_idx, na, guided)) return -1;
    if (r->opts.bg_penalty != 0.0f && r->bg_token < 0) { /* what a blank canvas tokenizes to */
        uint8_t blank[PARM_IMG * PARM_IMG * 3];
        int bt[NTOK];
        memset(blank, 128, sizeof blank);
        if (parm_vq_encode(vq, blank, 1, bt)) return -1;
        r->bg_token = bt[0];
    }
    int err = 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (int a = 0; a < na; a++) {
        int i = alive_idx[a], t = r->done[i];
        const float temp = T > 1 ? r->opts.temp + (r->opts.temp_end - r->opts.temp) * t / (T - 1) : r->opts.temp;
        const float ctemp = r->opts.choice_temp * (1.0f - (float)(t + 1) / T);
        const int keep_masked = parm_schedule_masked(t, T);
        float *mix = malloc(sizeof(float) * K);
        scored *cand = malloc(sizeof(scored) * NTOK);
        if (!mix || !cand) { free(mix); free(cand); err = 1; continue; }
        int m = propose(g, r, i, a, na, guided, temp, ctemp, mix, cand);
        int unmask = t == T - 1 ? m : m - (keep_masked < m ? keep_masked : m - 1);
        if (r->opts.group_commit) commit_groups(r, i, K, cand, m, unmask, ctemp);
        else commit_tokens(r->tokens + i * NTOK, r->pred + i * NTOK, cand, m, unmask);
        free(mix);
        free(cand);
    }
    if (err) return PARM_ERR("out of memory in the sampler");
    int nd = 0, left = 0; /* paths to decode (alive_idx reused, in order), alive paths with steps left */
    for (int a = 0; a < na; a++) {
        int i = alive_idx[a];
        r->forwards[i]++;
        r->done[i]++;
        if (r->done[i] > r->step) r->step = r->done[i];
        if (r->opts.step_images || r->done[i] == T) alive_idx[nd++] = i;
    }
    r->total_forwards += na;
    if (nd && decode_step_images(vq, r, alive_idx, nd)) return -1;
    for (int i = 0; i < r->N; i++) left += r->alive[i] && r->done[i] < T;
    return left ? 0 : 1;
}

int parm_sample(parm_gen *g, parm_vq *vq, const parm_prompt *p, int N, const uint64_t *seeds,
                const parm_sample_opts *o, uint8_t *images, long *forwards) {
    parm_sample_run r;
    if (parm_sample_begin(g, &r, p, N, seeds, o)) return -1;
    int rc;
    while ((rc = parm_sample_step(g, vq, &r)) == 0) {}
    if (rc > 0) {
        memcpy(images, r.images, (size_t)N * PARM_IMG * PARM_IMG * 3);
        if (forwards) *forwards = r.total_forwards;
    }
    parm_sample_end(&r);
    return rc < 0 ? -1 : 0;
}

/* the sampler scored by the grader on train prompts (parm/sample.h) */
int parm_gen_evaluate(parm_gen *g, parm_vq *vq, int n, uint64_t seed, const parm_sample_opts *o, double *acc,
                      double *fill, parm_score *sc) {
    if (sc) memset(sc, 0, sizeof *sc);
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_PROMPT);
    uint8_t img[NPIX * 3];
    long good = 0, nonbg = 0;
    for (int i = 0; i < n; i++) {
        parm_prompt p;
        parm_prompt_sample_train(&rng, &p);
        uint64_t s = (uint64_t)i;
        if (parm_sample(g, vq, &p, 1, &s, o, img, NULL)) return -1;
        char reason[256];
        int ok = parm_grade(img, &p, reason, sizeof reason) == 1;
        good += ok;
        if (sc) parm_score_add(sc, p.tag, ok);
        for (int q = 0; q < NPIX; q++) nonbg += parm_pixel_class(img + q * 3) != 0;
    }
    *acc = (double)good / n;
    *fill = (double)nonbg / ((double)n * NPIX);
    return 0;
}
