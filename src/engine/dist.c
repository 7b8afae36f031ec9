/* dist.c — parm/dist.h: the ranks of a distributed run over a pluggable
 * backend; without one, a single process (rank 0 of 1). Status agreement,
 * rank-order gathers and sums are built here on the backend's two calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/base.h"
#include "parm/dist.h"

static const parm_dist_backend *be; /* NULL: one process */
static int agreed;

void parm_dist_set(const parm_dist_backend *b) { be = b && b->size > 1 ? b : NULL; }
int parm_dist_rank(void) { return be ? be->rank : 0; }
int parm_dist_size(void) { return be ? be->size : 1; }
int parm_dist_agreed(void) { return agreed; }

void parm_dist_block(long n, long *lo, long *hi) {
    const long r = parm_dist_rank(), k = parm_dist_size();
    *lo = n * r / k;
    *hi = n * (r + 1) / k;
}

/* one rank's status as the others see it */
enum { MSG = 248 };
typedef struct {
    int failed, pad;
    char msg[MSG];
} status_rec;

int parm_dist_check(int rc) {
    if (!be) return rc ? -1 : 0;
    status_rec *all = calloc((size_t)be->size, sizeof *all);
    if (!all) return PARM_ERR("out of memory agreeing on %d ranks' status", be->size);
    status_rec *me = &all[be->rank];
    me->failed = rc != 0;
    if (rc) snprintf(me->msg, MSG, "%s", parm_last_error());
    if (be->allgather(all, sizeof *all)) { free(all); return -1; }
    int bad = -1;
    for (int r = 0; r < be->size && bad < 0; r++)
        if (all[r].failed) bad = r;
    if (bad >= 0) {
        agreed = 1;
        if (!rc) PARM_ERR("rank %d of %d failed: %.*s", bad, be->size, MSG, all[bad].msg);
    }
    free(all);
    return bad >= 0 ? -1 : 0;
}

int parm_dist_allgather(void *buf, size_t n, int rc) {
    if (parm_dist_check(rc)) return -1;
    return be ? be->allgather(buf, n) : 0;
}

int parm_dist_gather(const void *send, size_t n, void **all, size_t *total, int rc) {
    *all = NULL;
    *total = 0;
    if (parm_dist_check(rc)) return -1;
    const int K = parm_dist_size();
    size_t *counts = parm_calloc((size_t)K, sizeof *counts);
    int fail = !counts;
    if (counts) counts[parm_dist_rank()] = n;
    if (parm_dist_allgather(counts, sizeof *counts, fail)) { free(counts); return -1; }
    for (int r = 0; r < K; r++) *total += counts[r];
    if (parm_dist_rank() == 0) fail = !(*all = parm_malloc(*total ? *total : 1));
    if (parm_dist_check(fail)) { free(counts); free(*all); *all = NULL; return -1; }
    int brc = 0;
    if (!be) memcpy(*all, send, n);
    else brc = be->gatherv(send, n, *all, counts);
    free(counts);
    if (brc) { free(*all); *all = NULL; return -1; }
    if (parm_dist_rank() != 0) *total = 0;
    return 0;
}

int parm_dist_sum(double *x, int n, int rc) {
    if (n < 0) return PARM_ERR("parm_dist_sum of %d values", n);
    if (!be) return rc ? -1 : 0;
    double *all = parm_calloc((size_t)be->size * n, sizeof *all);
    int fail = rc || !all;
    if (all) memcpy(all + (size_t)be->rank * n, x, sizeof *x * n);
    if (parm_dist_allgather(all, sizeof *all * n, fail)) { free(all); return -1; }
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int r = 0; r < be->size; r++) s += all[(size_t)r * n + i];
        x[i] = s;
    }
    free(all);
    return 0;
}

int parm_dist_allgather_rows(void *all, size_t row_bytes, long n, int rc) {
    if (!be) return rc ? -1 : 0;
    const long K = be->size, maxr = (n + K - 1) / K;
    long lo, hi;
    parm_dist_block(n, &lo, &hi);
    char *buf = parm_malloc((size_t)(K * maxr) * row_bytes + 1), *a = all;
    if (buf) memcpy(buf + (size_t)(be->rank * maxr) * row_bytes, a + (size_t)lo * row_bytes, (size_t)(hi - lo) * row_bytes);
    if (parm_dist_allgather(buf, (size_t)maxr * row_bytes, rc || !buf)) { free(buf); return -1; }
    for (long r = 0; r < K; r++) {
        const long l = n * r / K, h = n * (r + 1) / K;
        memcpy(a + (size_t)l * row_bytes, buf + (size_t)(r * maxr) * row_bytes, (size_t)(h - l) * row_bytes);
    }
    free(buf);
    return 0;
}
