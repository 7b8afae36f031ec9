/* gemm_dnnl.c — the oneDNN matmul backend behind parm_sgemm (ops_blas.c).
 *
 *   C[M,N] = alpha·op(A)[M,K]·op(B)[K,N] (+ bias[N] | + beta·C), row-major
 *
 * One oneDNN matmul primitive per (dtype, transA, transB, M, N, K, lda, ldb,
 * ldc, alpha, beta, bias?) key, created on first use and kept in a
 * mutex-guarded cache (primitives are immutable; executing one from several
 * threads at once is safe because each call brings its own scratchpad).
 * Transposes are descriptor strides, never copies: op(A) = Aᵀ is the [M,K]
 * view with strides {1, lda}, op(B) = Bᵀ the [K,N] view with strides {1, ldb}
 * (linear's w[OC,C] is used as-is in forward, dinp and dW).
 *
 * bf16: A and B are rounded (nearest-even) into per-thread bf16 buffers in
 * their own layout (so the transposed-stride descriptors still apply), the
 * product accumulates in f32 and C stays f32 — master weights, gradients and
 * optimizer state never leave f32.
 *
 * Weights (parm_dnnl_gemm_w; B declared a weight matrix by the caller): the
 * primitive is created with B's layout left to oneDNN (format_any), and B is
 * reordered (and for bf16 converted) ONCE into that preferred layout, kept in
 * a cache keyed by (pointer, view, dtype, layout) and valid while the weight
 * epoch (parm_gemm_weights_changed: every optimizer step, every load) and a
 * fingerprint of 16 sampled elements are unchanged: once per optimizer step
 * in training, once at load in inference. The reorder runs under the cache's
 * lock; a weight matrix serves one thread at a time (parm/search.h's rule).
 * When the cache is full, products fall back to the plain-layout primitive;
 * PARM_WEIGHT_REORDER=0 in the environment turns the reorder off (measuring).
 *
 * Per call: three or four dnnl_memory wrappers (no data copies), the cached
 * primitive, a per-thread stream and scratchpad. Inside an OpenMP parallel
 * region oneDNN runs serially in the calling thread (no nested parallelism). */
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_internal.h"
#include "parm/base.h"

typedef struct {
    int bf16, ta, tb, M, N, K, lda, ldb, ldc, bias;
    int packed; /* B in oneDNN's preferred layout (a cached weight reorder) */
    float alpha, beta;
} mm_key;

typedef struct {
    mm_key key;
    dnnl_primitive_t prim;
    dnnl_memory_desc_t a, b, c, bias, scratch;
    size_t scratch_bytes;
} mm_entry;

/* a weight matrix reordered into a primitive's preferred layout */
typedef struct {
    const float *src;
    int tb, ldb, K, N, bf16;
    dnnl_memory_desc_t md; /* the layout (mm_entry.b of a packed primitive) */
    void *buf;
    uint64_t epoch, fp;
} w_entry;
#define W_CACHE_MAX 1024
static w_entry w_cache[W_CACHE_MAX];
static int w_count;
static _Atomic unsigned long long w_epoch = 1;
static long w_reorders; /* reorders done (parm_dnnl_weight_stats) */

static pthread_mutex_t w_lock = PTHREAD_MUTEX_INITIALIZER;

void parm_gemm_weights_changed(void) { w_epoch++; }

void parm_dnnl_weight_stats(long *entries, long *reorders, size_t *bytes) {
    pthread_mutex_lock(&w_lock);
    size_t b = 0;
    for (int i = 0; i < w_count; i++) b += dnnl_memory_desc_get_size(&w_cache[i].md);
    *entries = w_count;
    *reorders = w_reorders;
    *bytes = b;
    pthread_mutex_unlock(&w_lock);
}

#define MM_CACHE_MAX 512
static mm_entry mm_cache[MM_CACHE_MAX];
static int mm_count;
static pthread_mutex_t mm_lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t eng;
static pthread_once_t eng_once = PTHREAD_ONCE_INIT;
static int eng_ok;

static void eng_init(void) { eng_ok = dnnl_engine_create(&eng, dnnl_cpu, 0) == dnnl_success; }

int parm_dnnl_available(void) {
    pthread_once(&eng_once, eng_init);
    return eng_ok;
}

int parm_dnnl_bf16_supported(void) {
    if (!parm_dnnl_available()) return 0;
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    /* oneDNN's ISA values are bit sets: avx512_core_bf16 and the AMX ones contain the bf16 bit */
    return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

int parm_dnnl_amx_supported(void) {
    if (!parm_dnnl_available()) return 0;
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core_amx) == dnnl_cpu_isa_avx512_core_amx;
}

static int key_eq(const mm_key *x, const mm_key *y) { return memcmp(x, y, sizeof *x) == 0; }

/* [rows, cols] descriptor of op(X) where X is stored row-major with leading
 * dimension ld and op = transpose when t */
static int md_view(dnnl_memory_desc_t *md, int rows, int cols, int t, int ld, dnnl_data_type_t dt) {
    dnnl_dims_t d = {rows, cols}, s;
    s[0] = t ? 1 : ld;
    s[1] = t ? ld : 1;
    return dnnl_memory_desc_init_by_strides(md, 2, d, dt, s) == dnnl_success ? 0 : -1;
}

static mm_entry *mm_get(const mm_key *k) {
    pthread_mutex_lock(&mm_lock);
    for (int i = 0; i < mm_count; i++)
        if (key_eq(&mm_cache[i].key, k)) {
            pthread_mutex_unlock(&mm_lock);
            return &mm_cache[i];
        }
    mm_entry *e = NULL;
    if (mm_count >= MM_CACHE_MAX) goto done; /* full: caller falls back to OpenBLAS */
    mm_entry n;
    memset(&n, 0, sizeof n);
    n.key = *k;
    dnnl_data_type_t dt = k->bf16 ? dnnl_bf16 : dnnl_f32;
    /* op(A) is [M,K]: stored [M,K] (lda) or, transposed, [K,M] (lda); likewise op(B) [K,N] */
    if (md_view(&n.a, k->M, k->K, k->ta, k->lda, dt) || md_view(&n.c, k->M, k->N, 0, k->ldc, dnnl_f32)) goto done;
    if (k->packed) {
        dnnl_dims_t bd = {k->K, k->N};
        if (dnnl_memory_desc_init_by_tag(&n.b, 2, bd, dt, dnnl_format_tag_any) != dnnl_success) goto done;
    } else if (md_view(&n.b, k->K, k->N, k->tb, k->ldb, dt))
        goto done;
    if (k->bias) {
        dnnl_dims_t bd = {1, k->N};
        if (dnnl_memory_desc_init_by_tag(&n.bias, 2, bd, dnnl_f32, dnnl_ab) != dnnl_success) goto done;
    }
    dnnl_matmul_desc_t md;
    if (dnnl_matmul_desc_init(&md, &n.a, &n.b, k->bias ? &n.bias : NULL, &n.c) != dnnl_success) goto done;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    int ok = dnnl_primitive_attr_create(&attr) == dnnl_success &&
             dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) == dnnl_success;
    if (ok && k->alpha != 1.0f) ok = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &k->alpha) == dnnl_success;
    if (ok && k->beta != 0.0f) {
        ok = dnnl_post_ops_create(&po) == dnnl_success && dnnl_post_ops_append_sum(po, k->beta) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
    }
    dnnl_primitive_desc_t pd = NULL;
    if (ok) ok = dnnl_primitive_desc_create(&pd, &md, attr, eng, NULL) == dnnl_success;
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) goto done;
    if (k->packed) n.b = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0); /* the layout it chose */
    const dnnl_memory_desc_t *sp = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    n.scratch = *sp;
    n.scratch_bytes = dnnl_memory_desc_get_size(sp);
    ok = dnnl_primitive_create(&n.prim, pd) == dnnl_success;
    dnnl_primitive_desc_destroy(pd);
    if (!ok) goto done;
    mm_cache[mm_count] = n;
    e = &mm_cache[mm_count++];
done:
    pthread_mutex_unlock(&mm_lock);
    return e;
}

/* per-thread stream and growable byte buffers (scratchpad, bf16 A and B) */
static _Thread_local dnnl_stream_t tl_stream;
static _Thread_local void *tl_buf[3];
static _Thread_local size_t tl_cap[3];

static void *tl_get(int i, size_t bytes) {
    if (tl_cap[i] < bytes) {
        free(tl_buf[i]);
        tl_buf[i] = malloc(bytes);
        tl_cap[i] = tl_buf[i] ? bytes : 0;
    }
    return tl_buf[i];
}

/* round-to-nearest-even f32 → bf16 of rows×cols elements with leading
 * dimension ld (the same layout out, ld kept so descriptors still match) */
static void to_bf16(uint16_t *dst, const float *src, int rows, int cols, int ld, int par) {
#pragma omp parallel for if (par && (long)rows * cols > 65536) schedule(static)
    for (int r = 0; r < rows; r++) {
        const uint32_t *s = (const uint32_t *)(const void *)(src + (size_t)r * ld);
        uint16_t *d = dst + (size_t)r * ld;
#pragma omp simd
        for (int c = 0; c < cols; c++) {
            uint32_t u = s[c];
            d[c] = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        }
    }
}

/* 16 elements of op(B) [K,N] sampled across it, hashed (with the pointer's view) */
static uint64_t w_fingerprint(const float *B, int tb, int ldb, int K, int N) {
    uint64_t h = 1469598103934665603ULL;
    const long total = (long)K * N;
    for (int i = 0; i < 16; i++) {
        const long e = total * i / 16 + (i == 15 ? total / 16 - 1 : 0), r = e / N, c = e % N;
        uint32_t u;
        memcpy(&u, B + (tb ? c * (long)ldb + r : r * (long)ldb + c), 4);
        h = (h ^ u) * 1099511628211ULL;
    }
    return h;
}

/* B reordered into e's layout (cached; see the top of this file); NULL = cannot */
static const void *w_packed(const mm_entry *e, const float *B) {
    const mm_key *k = &e->key;
    const uint64_t ep = w_epoch, fp = w_fingerprint(B, k->tb, k->ldb, k->K, k->N);
    pthread_mutex_lock(&w_lock);
    w_entry *w = NULL;
    for (int i = 0; i < w_count && !w; i++) {
        w_entry *q = &w_cache[i];
        if (q->src == B && q->tb == k->tb && q->ldb == k->ldb && q->K == k->K && q->N == k->N && q->bf16 == k->bf16 &&
            dnnl_memory_desc_equal(&q->md, &e->b))
            w = q;
    }
    const void *out = NULL;
    if (w && w->epoch == ep && w->fp == fp) { out = w->buf; goto done; }
    if (!w) {
        if (w_count >= W_CACHE_MAX) goto done;
        w = &w_cache[w_count];
        memset(w, 0, sizeof *w);
        w->src = B; w->tb = k->tb; w->ldb = k->ldb; w->K = k->K; w->N = k->N; w->bf16 = k->bf16; w->md = e->b;
        if (!(w->buf = malloc(dnnl_memory_desc_get_size(&e->b)))) goto done;
        w_count++;
    }
    /* reorder the plain f32 view of B into the preferred layout (bf16: converted on the way) */
    dnnl_memory_desc_t src_md;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    dnnl_memory_t ms = NULL, md = NULL;
    int ok = md_view(&src_md, k->K, k->N, k->tb, k->ldb, dnnl_f32) == 0 &&
             dnnl_reorder_primitive_desc_create(&rpd, &src_md, eng, &w->md, eng, NULL) == dnnl_success &&
             dnnl_primitive_create(&r, rpd) == dnnl_success &&
             dnnl_memory_create(&ms, &src_md, eng, (void *)B) == dnnl_success &&
             dnnl_memory_create(&md, &w->md, eng, w->buf) == dnnl_success;
    if (ok) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, ms}, {DNNL_ARG_TO, md}};
        ok = dnnl_primitive_execute(r, tl_stream, 2, args) == dnnl_success && dnnl_stream_wait(tl_stream) == dnnl_success;
    }
    if (ms) dnnl_memory_destroy(ms);
    if (md) dnnl_memory_destroy(md);
    if (r) dnnl_primitive_destroy(r);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (ok) {
        w->epoch = ep;
        w->fp = fp;
        w_reorders++;
        out = w->buf;
    } else w->epoch = 0; /* never valid */
done:
    pthread_mutex_unlock(&w_lock);
    return out;
}

static int gemm(int packed, int bf16, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc, const float *bias) {
    if (!parm_dnnl_available()) return -1;
    mm_key k;
    memset(&k, 0, sizeof k); /* padding too: keys compare with memcmp */
    k.bf16 = bf16; k.ta = ta; k.tb = tb; k.M = M; k.N = N; k.K = K;
    k.lda = lda; k.ldb = ldb; k.ldc = ldc; k.bias = bias != NULL; k.packed = packed;
    k.alpha = alpha; k.beta = bias ? 0.0f : beta;
    mm_entry *e = mm_get(&k);
    if (!e) return -1;
    if (!tl_stream && dnnl_stream_create(&tl_stream, eng, dnnl_stream_default_flags) != dnnl_success) {
        tl_stream = NULL;
        return -1;
    }
    const void *a = A, *b = B;
    if (packed && !(b = w_packed(e, B))) return -1;
    if (bf16) {
        /* stored extents: A is [M,K] or (ta) [K,M]; B is [K,N] or (tb) [N,K] */
        int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
        uint16_t *a16 = tl_get(1, ((size_t)(ar - 1) * lda + ac) * 2);
        if (!a16) return -1;
        int par = !omp_in_parallel();
        to_bf16(a16, A, ar, ac, lda, par);
        a = a16;
        if (!packed) { /* a packed B is bf16 already */
            uint16_t *b16 = tl_get(2, ((size_t)(br - 1) * ldb + bc) * 2);
            if (!b16) return -1;
            to_bf16(b16, B, br, bc, ldb, par);
            b = b16;
        }
    }
    void *sp = e->scratch_bytes ? tl_get(0, e->scratch_bytes) : NULL;
    if (e->scratch_bytes && !sp) return -1;
    dnnl_memory_t ma = NULL, mb = NULL, mc = NULL, mbias = NULL, msp = NULL;
    int ok = dnnl_memory_create(&ma, &e->a, eng, (void *)a) == dnnl_success &&
             dnnl_memory_create(&mb, &e->b, eng, (void *)b) == dnnl_success &&
             dnnl_memory_create(&mc, &e->c, eng, C) == dnnl_success &&
             (!bias || dnnl_memory_create(&mbias, &e->bias, eng, (void *)bias) == dnnl_success) &&
             (!sp || dnnl_memory_create(&msp, &e->scratch, eng, sp) == dnnl_success);
    if (ok) {
        dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
        int na = 3;
        if (mbias) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, mbias};
        if (msp) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, msp};
        ok = dnnl_primitive_execute(e->prim, tl_stream, na, args) == dnnl_success &&
             dnnl_stream_wait(tl_stream) == dnnl_success;
    }
    if (ma) dnnl_memory_destroy(ma);
    if (mb) dnnl_memory_destroy(mb);
    if (mc) dnnl_memory_destroy(mc);
    if (mbias) dnnl_memory_destroy(mbias);
    if (msp) dnnl_memory_destroy(msp);
    return ok ? 0 : -1;
}

int parm_dnnl_gemm(int bf16, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc, const float *bias) {
    return gemm(0, bf16, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

/* PARM_WEIGHT_REORDER=0 in the environment: weights in their plain layout as
 * before the cache (for measuring what the reorder brings) */
static int reorder_off;
static pthread_once_t reorder_once = PTHREAD_ONCE_INIT;
static void reorder_env(void) {
    const char *e = getenv("PARM_WEIGHT_REORDER");
    reorder_off = e && !strcmp(e, "0");
}

int parm_dnnl_gemm_w(int bf16, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *W, int ldw, float beta, float *C, int ldc, const float *bias) {
    pthread_once(&reorder_once, reorder_env);
    if (!reorder_off && !gemm(1, bf16, ta, tb, M, N, K, alpha, A, lda, W, ldw, beta, C, ldc, bias)) return 0;
    return gemm(0, bf16, ta, tb, M, N, K, alpha, A, lda, W, ldw, beta, C, ldc, bias); /* cache full: plain */
}
