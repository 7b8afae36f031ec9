/* bench_util.h — small helpers shared by the speed benchmarks in bench/. */
#ifndef PARM_BENCH_UTIL_H
#define PARM_BENCH_UTIL_H
#include <stdlib.h>

static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
/* median of t[0..n) (sorts t in place) */
static inline double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
    return t[n / 2];
}
#endif
