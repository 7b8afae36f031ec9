/* stats.c — percentile bootstrap over prompts, stratified by category, for a
 * score's 95 % intervals and a paired difference of two methods (parm/stats.h).
 * Clusters: the outcomes grouped by prompt id (n images, c correct, cb of B);
 * per resample and category its m prompts are drawn m times with replacement. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parm/base.h"
#include "parm/stats.h"

typedef struct {
    long prompt;
    int tag;
    long n, c, cb;
} cluster;

static int by_prompt(const void *a, const void *b) {
    const parm_outcome *x = a, *y = b;
    return (x->prompt > y->prompt) - (x->prompt < y->prompt);
}
static int by_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the clusters of o[0..n) (malloc'd into *cl, count *ncl); -1 on bad input */
static int make_clusters(const parm_outcome *o, int n, cluster **cl, int *ncl) {
    if (n <= 0) return PARM_ERR("no graded images to compute an interval from");
    parm_outcome *s = parm_malloc(sizeof *s * n);
    cluster *c = parm_malloc(sizeof *c * n);
    if (!s || !c) { free(s); free(c); return -1; }
    memcpy(s, o, sizeof *s * n);
    qsort(s, n, sizeof *s, by_prompt);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (s[i].tag < 0 || s[i].tag >= PARM_NTAGS) {
            PARM_ERR("outcome %d: tag %d is not a category", i, s[i].tag);
            free(s);
            free(c);
            return -1;
        }
        if (k && c[k - 1].prompt == s[i].prompt) {
            if (c[k - 1].tag != s[i].tag) {
                PARM_ERR("prompt %ld has images of two categories (%s, %s)", s[i].prompt, parm_tag_names[c[k - 1].tag],
                         parm_tag_names[s[i].tag]);
                free(s);
                free(c);
                return -1;
            }
        } else c[k++] = (cluster){.prompt = s[i].prompt, .tag = s[i].tag};
        c[k - 1].n++;
        c[k - 1].c += s[i].correct != 0;
        c[k - 1].cb += s[i].correct_b != 0;
    }
    free(s);
    *cl = c;
    *ncl = k;
    return 0;
}

/* stat[r * (T+1) + t]: resample r's accuracy (paired: A − B) of category t,
 * [T] the overall mean over present categories; present[t] set for categories
 * with images. Also the point estimates into point[T+1]. */
static int bootstrap(const parm_outcome *o, int n, int reps, uint64_t seed, int paired, double *stat, double *point,
                     int *present) {
    enum { T = PARM_NTAGS };
    if (reps < 100 || reps > 1000000) return PARM_ERR("bootstrap resamples %d not in [100, 1000000]", reps);
    cluster *cl = NULL;
    int ncl = 0;
    if (make_clusters(o, n, &cl, &ncl)) return -1;
    int *idx = parm_malloc(sizeof *idx * ncl), start[T + 1];
    if (!idx) { free(cl); return -1; }
    int k = 0, npresent = 0;
    for (int t = 0; t < T; t++) { /* idx: cluster indices grouped by category */
        start[t] = k;
        for (int i = 0; i < ncl; i++)
            if (cl[i].tag == t) idx[k++] = i;
        present[t] = k > start[t];
        npresent += present[t];
    }
    start[T] = k;
    for (int t = 0; t < T; t++) {
        long nn = 0, c = 0, cb = 0;
        for (int q = start[t]; q < start[t + 1]; q++) { nn += cl[idx[q]].n; c += cl[idx[q]].c; cb += cl[idx[q]].cb; }
        point[t] = nn ? ((double)c - (paired ? (double)cb : 0)) / nn : 0;
    }
    point[T] = 0;
    for (int t = 0; t < T; t++) point[T] += present[t] ? point[t] / npresent : 0;
    parm_rng rng;
    parm_rng_seed(&rng, seed, 0);
    for (int r = 0; r < reps; r++) {
        double *st = stat + (size_t)r * (T + 1), sum = 0;
        for (int t = 0; t < T; t++) {
            const int m = start[t + 1] - start[t];
            long nn = 0, c = 0, cb = 0;
            for (int q = 0; q < m; q++) {
                const cluster *x = &cl[idx[start[t] + parm_rng_int(&rng, 0, m - 1)]];
                nn += x->n; c += x->c; cb += x->cb;
            }
            st[t] = nn ? ((double)c - (paired ? (double)cb : 0)) / nn : 0;
            if (present[t]) sum += st[t];
        }
        st[T] = sum / npresent;
    }
    free(idx);
    free(cl);
    return 0;
}

/* the 2.5 and 97.5 percentiles of column t (linear interpolation); sorts a copy */
static void percentiles(const double *stat, int reps, int t, double *lo, double *hi, double *col) {
    for (int r = 0; r < reps; r++) col[r] = stat[(size_t)r * (PARM_NTAGS + 1) + t];
    qsort(col, reps, sizeof *col, by_double);
    const double q[2] = {0.025 * (reps - 1), 0.975 * (reps - 1)};
    double *out[2] = {lo, hi};
    for (int i = 0; i < 2; i++) {
        int a = (int)floor(q[i]), b = a + 1 < reps ? a + 1 : a;
        *out[i] = col[a] + (q[i] - a) * (col[b] - col[a]);
    }
}

static int run(const parm_outcome *o, int n, int reps, uint64_t seed, int paired, double *lo, double *hi, double *point,
               int *present) {
    double *stat = parm_malloc(sizeof *stat * (size_t)reps * (PARM_NTAGS + 1)), *col = parm_malloc(sizeof *col * reps);
    int rc = !stat || !col ? -1 : bootstrap(o, n, reps, seed, paired, stat, point, present);
    for (int t = 0; t <= PARM_NTAGS && !rc; t++) {
        if (t < PARM_NTAGS && !present[t]) { lo[t] = hi[t] = paired ? 0 : -1; continue; }
        percentiles(stat, reps, t, &lo[t], &hi[t], col);
    }
    free(stat);
    free(col);
    return rc;
}

int parm_score_bootstrap(const parm_outcome *o, int n, int reps, uint64_t seed, parm_score_ci *ci) {
    double lo[PARM_NTAGS + 1], hi[PARM_NTAGS + 1], point[PARM_NTAGS + 1];
    int present[PARM_NTAGS];
    memset(ci, 0, sizeof *ci);
    if (run(o, n, reps, seed, 0, lo, hi, point, present)) return -1;
    memcpy(ci->lo, lo, sizeof ci->lo);
    memcpy(ci->hi, hi, sizeof ci->hi);
    ci->overall_lo = lo[PARM_NTAGS];
    ci->overall_hi = hi[PARM_NTAGS];
    ci->reps = reps;
    ci->seed = seed;
    return 0;
}

int parm_score_paired(const parm_outcome *o, int n, int reps, uint64_t seed, parm_paired_diff *out) {
    int present[PARM_NTAGS];
    memset(out, 0, sizeof *out);
    if (run(o, n, reps, seed, 1, out->lo, out->hi, out->d, present)) return -1;
    for (int i = 0; i < n; i++) {
        out->n[o[i].tag]++;
        out->a_only += o[i].correct && !o[i].correct_b;
        out->b_only += !o[i].correct && o[i].correct_b;
    }
    out->reps = reps;
    out->seed = seed;
    return 0;
}

/* ---- cluster-adjusted Wilson intervals (parm_score_wilson) ---- */

#define Z95 1.959963984540054

/* Wilson score interval of p over an effective sample size ne */
static void wilson(double p, double ne, double *lo, double *hi) {
    const double z2 = Z95 * Z95, den = 1 + z2 / ne, mid = (p + z2 / (2 * ne)) / den;
    const double half = Z95 * sqrt(p * (1 - p) / ne + z2 / (4 * ne * ne)) / den;
    *lo = mid - half < 0 ? 0 : mid - half;
    *hi = mid + half > 1 ? 1 : mid + half;
    if (p <= 0) *lo = 0; /* exact at the edges (rounding aside) */
    if (p >= 1) *hi = 1;
}

int parm_score_wilson(const parm_outcome *o, int n, parm_score_ci *ci) {
    enum { T = PARM_NTAGS };
    memset(ci, 0, sizeof *ci);
    cluster *cl = NULL;
    int ncl = 0;
    if (make_clusters(o, n, &cl, &ncl)) return -1;
    double p[T], ne[T];
    int K = 0, present[T];
    for (int t = 0; t < T; t++) {
        long m = 0, nn = 0, c = 0;
        for (int i = 0; i < ncl; i++)
            if (cl[i].tag == t) { m++; nn += cl[i].n; c += cl[i].c; }
        present[t] = m > 0;
        if (!m) { ci->lo[t] = ci->hi[t] = -1; continue; }
        K++;
        p[t] = (double)c / nn;
        /* design effect: cluster-robust variance of the ratio p over the binomial one,
           in [1, images per prompt]; its maximum unless estimable (≥ PARM_CI_MIN_PROMPTS prompts, 0 < p < 1) */
        double deff = (double)nn / m;
        if (m >= PARM_CI_MIN_PROMPTS && p[t] > 0 && p[t] < 1) {
            double ss = 0;
            for (int i = 0; i < ncl; i++)
                if (cl[i].tag == t) ss += (cl[i].c - p[t] * cl[i].n) * (cl[i].c - p[t] * cl[i].n);
            const double v = (double)m / (m - 1) * ss / ((double)nn * nn), vb = p[t] * (1 - p[t]) / nn;
            const double d = v / vb;
            deff = d < 1 ? 1 : d > deff ? deff : d;
        }
        ne[t] = nn / deff;
        wilson(p[t], ne[t], &ci->lo[t], &ci->hi[t]);
    }
    free(cl);
    /* overall = the mean of the K categories: Price–Bonett adjusted Wald (2/K successes and 4/K trials added per category) */
    double mid = 0, var = 0;
    for (int t = 0; t < T; t++) {
        if (!present[t]) continue;
        const double nt = ne[t] + 4.0 / K, pt = (p[t] * ne[t] + 2.0 / K) / nt;
        mid += pt / K;
        var += pt * (1 - pt) / nt / ((double)K * K);
    }
    const double half = Z95 * sqrt(var);
    ci->overall_lo = mid - half < 0 ? 0 : mid - half;
    ci->overall_hi = mid + half > 1 ? 1 : mid + half;
    ci->reps = 0;
    ci->seed = 0;
    return 0;
}

/* ---- paired difference with few prompts (parm_score_paired_adjusted) ---- */

int parm_score_paired_adjusted(const parm_outcome *o, int n, parm_paired_diff *out) {
    enum { T = PARM_NTAGS };
    memset(out, 0, sizeof *out);
    cluster *cl = NULL;
    int ncl = 0;
    if (make_clusters(o, n, &cl, &ncl)) return -1;
    for (int i = 0; i < n; i++) {
        out->n[o[i].tag]++;
        out->a_only += o[i].correct && !o[i].correct_b;
        out->b_only += !o[i].correct && o[i].correct_b;
    }
    /* per prompt: S = Σ (a − b) over its images and Q = Σ (a − b)² (discordant images) */
    long *S = parm_calloc(ncl ? ncl : 1, sizeof *S), *Q = parm_calloc(ncl ? ncl : 1, sizeof *Q);
    if (!S || !Q) { free(S); free(Q); free(cl); return -1; }
    for (int i = 0; i < n; i++) {
        int lo = 0, hi = ncl - 1; /* the cluster of o[i] (cl sorted by prompt) */
        while (lo < hi) { int mid = (lo + hi) / 2; if (cl[mid].prompt < o[i].prompt) lo = mid + 1; else hi = mid; }
        const int d = (o[i].correct != 0) - (o[i].correct_b != 0);
        S[lo] += d;
        Q[lo] += d * d;
    }
    int K = 0;
    double var_sum = 0, mid_sum = 0;
    for (int t = 0; t < T; t++) {
        long m = 0, nn = 0, b = 0, c = 0;
        for (int i = 0; i < ncl; i++)
            if (cl[i].tag == t) { m++; nn += cl[i].n; b += (Q[i] + S[i]) / 2; c += (Q[i] - S[i]) / 2; }
        if (!m) continue;
        K++;
        const double dh = (double)(b - c) / nn;
        out->d[t] = dh;
        double deff = (double)nn / m; /* as parm_score_wilson: its maximum unless estimable */
        const double viid = ((double)(b + c) / nn - dh * dh) / nn;
        if (m >= PARM_CI_MIN_PROMPTS && viid > 0) {
            double ss = 0;
            for (int i = 0; i < ncl; i++)
                if (cl[i].tag == t) ss += (S[i] - dh * cl[i].n) * (S[i] - dh * cl[i].n);
            const double dv = (double)m / (m - 1) * ss / ((double)nn * nn) / viid;
            deff = dv < 1 ? 1 : dv > deff ? deff : dv;
        }
        const double f = 1 / deff; /* Agresti–Min: 0.5 added to each cell of the effective 2×2 table */
        const double b2 = b * f + 0.5, c2 = c * f + 0.5, n2 = nn * f + 2, dt = (b2 - c2) / n2;
        const double v = ((b2 + c2) - (b2 - c2) * (b2 - c2) / n2) / (n2 * n2), half = Z95 * sqrt(v);
        out->lo[t] = dt - half < -1 ? -1 : dt - half;
        out->hi[t] = dt + half > 1 ? 1 : dt + half;
        mid_sum += dt;
        var_sum += v;
        out->d[T] += dh;
    }
    free(S);
    free(Q);
    free(cl);
    out->d[T] /= K;
    const double mid = mid_sum / K, half = Z95 * sqrt(var_sum) / K;
    out->lo[T] = mid - half < -1 ? -1 : mid - half;
    out->hi[T] = mid + half > 1 ? 1 : mid + half;
    return 0;
}
