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
