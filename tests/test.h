/* test.h — the tiny test harness every tests/test_*.c uses.
 * A test is a function; it passes when none of its CHECKs fail. Each test
 * binary prints "N passed, N failed" (tests/run.sh sums them). */
#ifndef PARM_TEST_H
#define PARM_TEST_H
/* the committed benchmark file (tests run from the repo root) */
#define PARM_BENCH_PATH "bench/geneval-shapes.jsonl"
#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_checks_failed_;
static int tests_passed_, tests_failed_;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            test_checks_failed_++;                                         \
            fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, " " __VA_ARGS__);                               \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)

/* |a-b| <= atol + rtol*|b| elementwise; prints the max error either way. */
static inline int test_close_(const char *what, const float *a, const float *b, long n, float atol, float rtol) {
    double maxerr = 0; long bad = -1;
    for (long i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (!(e <= atol + rtol * fabs((double)b[i])) && bad < 0) bad = i;
        if (e > maxerr || e != e) maxerr = e;
    }
    printf("    %-40s max_abs_err %.3g%s\n", what, maxerr, bad >= 0 ? "  <-- over tolerance" : "");
    if (bad >= 0) fprintf(stderr, "    first bad index %ld: got %.8g want %.8g\n", bad, a[bad], b[bad]);
    return bad < 0;
}
#define CHECK_CLOSE(what, a, b, n, atol, rtol) CHECK(test_close_((what), (a), (b), (n), (atol), (rtol)), "%s", what)

#define RUN(fn)                                                            \
    do {                                                                   \
        test_checks_failed_ = 0;                                           \
        printf("  %s\n", #fn); fflush(stdout);                             \
        fn();                                                              \
        if (test_checks_failed_) { tests_failed_++; printf("  FAILED %s\n", #fn); } \
        else tests_passed_++;                                              \
    } while (0)

#define TEST_SUMMARY()                                                     \
    (printf("%d passed, %d failed\n", tests_passed_, tests_failed_), tests_failed_ != 0)
#endif
