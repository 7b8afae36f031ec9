/* test.h — the tiny test harness every tests/test_*.c uses.
 * A test is a function; it passes when none of its CHECKs fail. Each test
 * binary prints "N passed, N failed" (tests/run.sh sums them); a test that
 * cannot run here (SKIP: e.g. no mpirun) is neither, and adds a line
 * "N skipped" before the summary. */
#ifndef PARM_TEST_H
#define PARM_TEST_H
/* the committed benchmark file (tests run from the repo root) */
#define PARM_BENCH_PATH "bench/geneval-shapes.jsonl"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/ops.h"

static int test_checks_failed_;
static int tests_passed_, tests_failed_, tests_skipped_;

/* Matmul backend for the whole binary, from PARM_PRECISION (tests/run.sh
 * sets it; Makefile `test` runs the GEMM-using tests once per backend):
 *   unset or "openblas" → OpenBLAS f32 (the reference), "f32" → oneDNN f32,
 *   "bf16" → oneDNN bf16, or oneDNN f32 where the CPU has no bf16 (said so).
 * Under bf16 (operands rounded to 8 mantissa bits, relative error ~4e-3 per
 * product term) every CHECK_CLOSE passes when its own tolerance holds OR
 * max |got − want| <= TEST_BF16_TOL · max |want| over the array (printed;
 * comparisons with zero tolerance, i.e. bit-identity, stay exact);
 * f32 backends keep the tests' own tolerances. Checks about the maths
 * rather than the precision (finite differences, a short training run's
 * trajectory or convergence) run in f32: TEST_IN_F32. */
#define TEST_BF16_TOL 2e-2
static int test_bf16_;
__attribute__((constructor)) static void test_backend_init_(void) {
    const char *p = getenv("PARM_PRECISION");
    parm_gemm_backend b = PARM_GEMM_OPENBLAS;
    if (p && !strcmp(p, "f32")) b = PARM_GEMM_ONEDNN_F32;
    else if (p && !strcmp(p, "bf16")) b = PARM_GEMM_ONEDNN_BF16;
    else if (p && *p && strcmp(p, "openblas")) {
        fprintf(stderr, "PARM_PRECISION='%s' unknown; valid: openblas, f32, bf16\n", p);
        exit(2);
    }
    if (b == PARM_GEMM_ONEDNN_BF16 && !parm_gemm_available(b)) {
        printf("  backend: onednn-bf16 requested, CPU has no bf16 dot products: forced onednn-f32\n");
        b = PARM_GEMM_ONEDNN_F32;
    }
    if (parm_gemm_set_backend(b)) {
        fprintf(stderr, "backend %s: %s\n", parm_gemm_backend_name(b), parm_last_error());
        exit(2);
    }
    test_bf16_ = b == PARM_GEMM_ONEDNN_BF16;
    printf("  backend: %s", parm_gemm_backend_name(b));
    if (test_bf16_) printf(" (CHECK_CLOSE also passes at max_abs_err <= %g * max|want|)", TEST_BF16_TOL);
    printf("\n");
}
/* run f with the matmuls in f32 (oneDNN f32 in place of bf16): for checks
 * that are about the maths, not the precision, e.g. finite differences */
#define TEST_IN_F32(stmt)                                                  \
    do {                                                                   \
        if (test_bf16_) parm_gemm_set_backend(PARM_GEMM_ONEDNN_F32);       \
        stmt;                                                              \
        if (test_bf16_) parm_gemm_set_backend(PARM_GEMM_ONEDNN_BF16);      \
    } while (0)

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
    double maxerr = 0, scale = 0; long bad = -1;
    for (long i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (!(e <= atol + rtol * fabs((double)b[i])) && bad < 0) bad = i;
        if (e > maxerr || e != e) maxerr = e;
        scale = fmax(scale, fabs((double)b[i]));
    }
    if (test_bf16_ && (atol > 0 || rtol > 0)) { /* exact comparisons stay exact */
        double lim = TEST_BF16_TOL * scale;
        if (bad >= 0 && maxerr <= lim) bad = -1;
        printf("    %-40s max_abs_err %.3g (bf16 limit %.3g)%s\n", what, maxerr, lim, bad >= 0 ? "  <-- over tolerance" : "");
    } else
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

/* count fn as skipped, saying why, instead of running it */
#define SKIP(fn, ...)                                                      \
    do {                                                                   \
        printf("  SKIP %s: ", #fn); printf(__VA_ARGS__); printf("\n");     \
        tests_skipped_++;                                                  \
    } while (0)

#define TEST_SUMMARY()                                                     \
    ((tests_skipped_ ? printf("%d skipped\n", tests_skipped_) : 0),        \
     printf("%d passed, %d failed\n", tests_passed_, tests_failed_), tests_failed_ != 0)
#endif
