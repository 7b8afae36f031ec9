/* ops_blas.c — parm_sgemm: the engine's one matmul entry point; the choice
 * of matmul backend behind it; parm_init and the thread count.
 *
 * Backends (parm_gemm_set_backend; the library default is OpenBLAS):
 *   openblas     cblas_sgemm, f32 — the reference.
 *   onednn-f32   oneDNN matmul, f32 (gemm_dnnl.c).
 *   onednn-bf16  oneDNN matmul, A and B rounded to bf16, f32 accumulation
 *                and output; needs a CPU with bf16 dot products.
 * A product oneDNN cannot take (primitive creation fails, cache full) runs on
 * OpenBLAS instead.
 *
 * Threading: ONE pool. OpenBLAS (pthread build) is switched to a single
 * thread by parm_init, and all parallelism comes from OpenMP: on the OpenBLAS
 * backend a large sgemm is split into per-thread row (or column) panels of C,
 * each a single-threaded cblas_sgemm; oneDNN (built on the same libgomp)
 * threads its own matmul. Measured on the 2-core target: mixing the OpenMP
 * pool with OpenBLAS's own threads made libgomp workers spin-wait on the
 * cores OpenBLAS needed and cut linear layers from ~170 to ~30 GFLOPS.
 * Called inside an OpenMP parallel region (e.g. attention's per-(b,h) loop)
 * parm_sgemm runs serially in the calling thread. On OpenBLAS, splitting M or
 * N does not change any element's K-summation, so results do not depend on
 * the thread count beyond OpenBLAS edge kernels (see parm/ops.h).
 *
 * Nothing runs when the library loads: parm_init() (idempotent, thread-safe)
 * does the OpenBLAS set-up, and the first parm_sgemm calls it if the host
 * did not. */
#include <cblas.h>
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemm_internal.h"
#include "ops_internal.h"
#include "parm/base.h"
#include "parm/ops.h"

/* Kernel choice. Debian's OpenBLAS 0.3.21 is a DYNAMIC_ARCH build that does
 * not know recent CPUs: AMD Zen 5 → "Haswell" (AVX2 kernels), and a
 * Sapphire-Rapids-class Intel VM → "Prescott" (SSE3 kernels, measured 12
 * GFLOPS vs ~80 for SkylakeX on 2 busy cores). When the CPU has AVX-512
 * F/BW/DQ/VL (or AVX2+FMA) but the library picked a weaker core, and the user
 * did not set OPENBLAS_CORETYPE, we re-run OpenBLAS's own core selection with
 * OPENBLAS_CORETYPE=SkylakeX (or Haswell) — exactly what setting that
 * variable before start-up does. Weak symbols: with a non-DYNAMIC_ARCH
 * OpenBLAS this is a no-op. Set OPENBLAS_CORETYPE (any value) to keep
 * OpenBLAS's own choice. */
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));
char *openblas_get_corename(void);

static void blas_pick_core(void) {
    if (getenv("OPENBLAS_CORETYPE") || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (!avx512 && !avx2) return;
    const char *core = openblas_get_corename();
    if (!core) return;
    /* cores at least as good as the target: keep OpenBLAS's choice */
    static const char *const good512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    static const char *const good2[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"};
    const char *const *good = avx512 ? good512 : good2;
    int ngood = avx512 ? 3 : 5;
    for (int i = 0; i < ngood; i++)
        if (!strcasecmp(core, good[i])) return;
    setenv("OPENBLAS_CORETYPE", avx512 ? "SkylakeX" : "Haswell", 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void init_once_fn(void) {
    blas_pick_core();
    openblas_set_num_threads(1);
}
/* OpenBLAS core pick (may briefly set OPENBLAS_CORETYPE: call it before the
 * host starts threads that read the environment) and OpenBLAS → 1 thread. */
int parm_init(void) {
    pthread_once(&init_once, init_once_fn);
    return 0;
}

int parm_set_threads(int n) {
    if (n < 1 || n > 4096) return PARM_ERR("thread count %d out of range (1..4096)", n);
    parm_init();
    omp_set_num_threads(n);
    return 0;
}
int parm_get_threads(void) { return omp_get_max_threads(); }

const char *parm_blas_core(void) {
    parm_init();
    const char *c = openblas_get_corename();
    return c ? c : "?";
}

/* ---- backend choice ---- */
static atomic_int cur_backend = PARM_GEMM_OPENBLAS;

const char *parm_gemm_backend_name(parm_gemm_backend b) {
    switch (b) {
    case PARM_GEMM_OPENBLAS: return "openblas";
    case PARM_GEMM_ONEDNN_F32: return "onednn-f32";
    case PARM_GEMM_ONEDNN_BF16: return "onednn-bf16";
    default: return "auto";
    }
}
int parm_gemm_available(parm_gemm_backend b) {
    switch (b) {
    case PARM_GEMM_AUTO:
    case PARM_GEMM_OPENBLAS: return 1;
    case PARM_GEMM_ONEDNN_F32: return parm_dnnl_available();
    case PARM_GEMM_ONEDNN_BF16: return parm_dnnl_bf16_supported();
    }
    return 0;
}
/* bf16 only where it is faster than f32: with AMX, or on AMD (Zen 4/5 run
 * avx512_bf16 dot products at twice the f32 FMA rate: ~1000 vs ~530 GFLOPS
 * on the 2-core Zen 5 host of issue 20). On Intel CPUs with avx512_bf16 but
 * no AMX (Cooper Lake; Sapphire Rapids VMs that hide AMX) oneDNN's bf16
 * matmul measured 0.4-0.5x its f32 one (docs/RESULTS.md). For f32, OpenBLAS
 * with the right kernels (blas_pick_core) measured as fast as oneDNN f32 on
 * the engine's shapes (train step 612 vs 834 ms here; 513 vs 533 GFLOPS on
 * Zen 5 in issue 20) and is the reference the recorded results came from,
 * so auto's f32 is OpenBLAS; oneDNN f32 is there on request. */
parm_gemm_backend parm_gemm_auto(void) {
    __builtin_cpu_init();
    if (parm_dnnl_bf16_supported() && (parm_dnnl_amx_supported() || __builtin_cpu_is("amd")))
        return PARM_GEMM_ONEDNN_BF16;
    return PARM_GEMM_OPENBLAS;
}
int parm_gemm_set_backend(parm_gemm_backend b) {
    if (b == PARM_GEMM_AUTO) b = parm_gemm_auto();
    if (b < PARM_GEMM_OPENBLAS || b > PARM_GEMM_ONEDNN_BF16)
        return PARM_ERR("unknown matmul backend %d", (int)b);
    if (!parm_gemm_available(b))
        return PARM_ERR("matmul backend %s is not available on this CPU%s", parm_gemm_backend_name(b),
                        b == PARM_GEMM_ONEDNN_BF16 ? " (oneDNN reports no bf16 dot products, e.g. avx512_bf16)" : "");
    atomic_store(&cur_backend, (int)b);
    return 0;
}
parm_gemm_backend parm_gemm_get_backend(void) { return (parm_gemm_backend)atomic_load(&cur_backend); }

int parm_gemm_select(const char *backend, const char *precision) {
    const char *be = backend ? backend : "auto", *pr = precision ? precision : "auto";
    int bk; /* 0 auto, 1 openblas, 2 onednn */
    if (!strcmp(be, "auto")) bk = 0;
    else if (!strcmp(be, "openblas")) bk = 1;
    else if (!strcmp(be, "onednn")) bk = 2;
    else return PARM_ERR("unknown backend '%s'; valid: auto, openblas, onednn", be);
    int pk; /* 0 auto, 1 f32, 2 bf16 */
    if (!strcmp(pr, "auto")) pk = 0;
    else if (!strcmp(pr, "f32")) pk = 1;
    else if (!strcmp(pr, "bf16")) pk = 2;
    else return PARM_ERR("unknown precision '%s'; valid: auto, f32, bf16", pr);
    parm_gemm_backend b;
    if (bk == 1) {
        if (pk == 2) return PARM_ERR("precision 'bf16' needs the onednn backend (openblas is f32 only)");
        b = PARM_GEMM_OPENBLAS;
    } else if (pk == 2) {
        b = PARM_GEMM_ONEDNN_BF16;
    } else if (pk == 1) {
        b = bk == 2 ? PARM_GEMM_ONEDNN_F32 : PARM_GEMM_OPENBLAS;
    } else {
        b = parm_gemm_auto();
        if (bk == 2 && b == PARM_GEMM_OPENBLAS) b = PARM_GEMM_ONEDNN_F32;
    }
    return parm_gemm_set_backend(b);
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

static void fill_bias_all(float *C, int ldc, int M, int N, const float *bias) {
#pragma omp parallel for if (!omp_in_parallel() && (long)M * N > 65536)
    for (int i = 0; i < M; i++) memcpy(C + (size_t)i * ldc, bias, (size_t)N * sizeof(float));
}

/* Products with N·K below this stay on OpenBLAS under the oneDNN backends:
 * oneDNN's per-call cost (memory wrappers, cache lookup, bf16 rounding)
 * outweighs the product there. Attention's per-(b,h) products (T = 80,
 * hs = 32: N·K = 2560, M·N·K = 2e5) measured 42 GFLOPS on oneDNN f32, 31 on
 * bf16, 98 on OpenBLAS (make bench-engine, 2 busy cores), so they stay on
 * OpenBLAS; linear layers (N·K ≥ 256·256) go to oneDNN. The test is on N·K,
 * not M: M is the batch (B·T rows), and a row's result must not depend on
 * how many other rows share the call (a path's image on the others in its
 * batch). */
#define DNNL_MIN_NK 16384.0

static void sgemm_any(int weights, int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc, const float *bias) {
    if (M <= 0 || N <= 0) return;
    parm_init();
    int be = atomic_load_explicit(&cur_backend, memory_order_relaxed);
    if (be != PARM_GEMM_OPENBLAS && K > 0 && (double)N * K >= DNNL_MIN_NK) {
        int bf = be == PARM_GEMM_ONEDNN_BF16;
        int (*mm)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int,
                  const float *) = weights ? parm_dnnl_gemm_w : parm_dnnl_gemm;
        if (!bias || alpha == 1.0f) {
            if (!mm(bf, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias)) return;
        } else { /* C = bias + alpha·AB: bias first, then a β = 1 product */
            fill_bias_all(C, ldc, M, N, bias);
            if (!mm(bf, transA, transB, M, N, K, alpha, A, lda, B, ldb, 1.0f, C, ldc, NULL)) return;
            bias = NULL;
            beta = 1.0f; /* C holds the bias now */
        }
    }
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

void parm_sgemm_bias(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc, const float *bias) {
    sgemm_any(0, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

void parm_sgemm_w(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *W,
                  int ldw, float beta, float *C, int ldc, const float *bias) {
    sgemm_any(1, transA, transB, M, N, K, alpha, A, lda, W, ldw, beta, C, ldc, bias);
}

void parm_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                int ldb, float beta, float *C, int ldc) {
    sgemm_any(0, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL);
}

void parm_gemm_weight_cache_stats(long *entries, long *reorders, size_t *bytes) {
    parm_dnnl_weight_stats(entries, reorders, bytes);
}
