/* ops_blas.c — parm_sgemm: the engine's one matmul entry point, and the
 * process-wide threading policy it relies on.
 *
 * Policy: ONE thread pool. OpenBLAS (pthread build) is switched to a single
 * thread when the library loads, and all parallelism comes from OpenMP: a
 * large sgemm is split into per-thread row (or column) panels of C, each a
 * single-threaded cblas_sgemm. Measured on the 2-core target: mixing the
 * OpenMP pool with OpenBLAS's own threads made libgomp workers spin-wait on
 * the cores OpenBLAS needed and cut linear layers from ~170 to ~30 GFLOPS;
 * with a single pool the transformer-shaped linears run at the sgemm peak.
 * Called inside an OpenMP parallel region (e.g. attention's per-(b,h) loop)
 * parm_sgemm runs serially in the calling thread. Splitting M or N does not
 * change any element's K-summation, so results do not depend on the thread
 * count. */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops_internal.h"
#include "parm/ops.h"

/* Kernel choice. Debian's OpenBLAS 0.3.21 is a DYNAMIC_ARCH build that does
 * not know recent AVX-512 CPUs (e.g. AMD Zen 5 → "Haswell", AVX2 kernels).
 * When the CPU has AVX-512 F/BW/DQ/VL, the library picked an AVX2 core and
 * the user did not set OPENBLAS_CORETYPE, we re-run OpenBLAS's own core
 * selection with OPENBLAS_CORETYPE=SkylakeX — exactly what setting that
 * variable before start-up does (measured: sgemm ~1.9x faster on the 2-core
 * Zen 5 target). Weak symbols: with a non-DYNAMIC_ARCH OpenBLAS this is a
 * no-op. Set OPENBLAS_CORETYPE (any value) to keep OpenBLAS's own choice. */
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));
char *openblas_get_corename(void);

static void blas_pick_core(void) {
    if (getenv("OPENBLAS_CORETYPE") || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")))
        return;
    const char *core = openblas_get_corename();
    if (!core || (strcasecmp(core, "Haswell") && strcasecmp(core, "Zen"))) return;
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
}

__attribute__((constructor)) static void ops_blas_init(void) {
    blas_pick_core();
    openblas_set_num_threads(1);
}

const char *parm_blas_core(void) {
    const char *c = openblas_get_corename();
    return c ? c : "?";
}

static inline void sgemm1(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                          int ldb, float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
                lda, B, ldb, beta, C, ldc);
}

/* C rows [0,M) × columns [0,N) (leading dimension ldc) = bias[col] */
static void fill_bias(float *C, int ldc, int M, int N, const float *bias) {
    for (int i = 0; i < M; i++) memcpy(C + (size_t)i * ldc, bias, (size_t)N * sizeof(float));
}

void parm_sgemm_bias(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc, const float *bias) {
    if (M <= 0 || N <= 0) return;
    if (bias) beta = 1.0f;
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (nt <= 1 || (double)M * N * K < 262144.0) {
        if (bias) fill_bias(C, ldc, M, N, bias);
        sgemm1(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    /* up to 2 panels per thread, taken dynamically: a thread that the OS
     * deschedules (other processes on this small machine) delays the call by
     * at most one panel; each panel is a multiple of 16 rows/columns. */
    int splitM = M >= N, dim = splitM ? M : N;
    int want = dim / 32 < 2 * nt ? dim / 32 : 2 * nt;
    if (want < 1) want = 1;
    int chunk = ((dim + want - 1) / want + 15) & ~15;
    int nchunks = (dim + chunk - 1) / chunk;
#pragma omp parallel for num_threads(nchunks < nt ? nchunks : nt) schedule(dynamic, 1)
    for (int c = 0; c < nchunks; c++) {
        int lo = c * chunk, n = dim - lo < chunk ? dim - lo : chunk;
        if (splitM) { /* rows lo.. of op(A) and C */
            float *Cp = C + (size_t)lo * ldc;
            if (bias) fill_bias(Cp, ldc, n, N, bias);
            sgemm1(transA, transB, n, N, K, alpha, transA ? A + lo : A + (size_t)lo * lda, lda, B, ldb, beta, Cp,
                   ldc);
        } else { /* columns lo.. of op(B) and C */
            if (bias) fill_bias(C + lo, ldc, M, n, bias + lo);
            sgemm1(transA, transB, M, n, K, alpha, A, lda, transB ? B + (size_t)lo * ldb : B + lo, ldb, beta, C + lo,
                   ldc);
        }
    }
}

void parm_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                int ldb, float beta, float *C, int ldc) {
    parm_sgemm_bias(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL);
}
