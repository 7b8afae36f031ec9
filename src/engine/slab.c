/* slab.c — the parameter slab (weights, grads, AdamW moments as four
 * contiguous buffers carved into the same named views), initialisers,
 * zero-grad, global grad norm and clipping (torch.nn.utils.clip_grad_norm_),
 * AdamW (torch.optim.AdamW), and the warmup + cosine LR schedule.
 *
 * Determinism: everything here gives bit-identical results for identical
 * inputs whatever the thread count (elementwise loops; the grad-norm sum is
 * taken over fixed-size chunks in a fixed order), which exact resume needs. */
#include <math.h>
#include <omp.h>
#if defined(__AVX__)
#include <immintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "parm/nn.h"
#include "parm/ops.h"


/* Views start on 16-float (64-byte) boundaries so SIMD loads in ops stay aligned. */
#define SLAB_ALIGN 16

static float *alloc_floats(size_t n) {
    size_t bytes = (n ? n : 1) * sizeof(float);
    bytes = (bytes + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes);
    if (!p) {
        PARM_ERR("out of memory allocating %zu bytes for the parameter slab (hint: smaller model)", bytes);
        return NULL;
    }
    memset(p, 0, bytes);
    return p;
}

int parm_slab_add(parm_slab *s, const char *name, int ndim, const int64_t *shape, int decay) {
    if (!s || !name) return PARM_ERR("parm_slab_add: NULL slab or name");
    if (s->w) return PARM_ERR("parm_slab_add('%s'): slab already allocated; declare every tensor first", name);
    size_t len = strlen(name);
    if (len == 0 || len >= PARM_NAME_MAX)
        return PARM_ERR("parm_slab_add: tensor name '%s' must be 1..%d characters", name, PARM_NAME_MAX - 1);
    if (ndim < 0 || ndim > PARM_MAX_DIMS || (ndim > 0 && !shape))
        return PARM_ERR("parm_slab_add('%s'): ndim %d out of range 0..%d", name, ndim, PARM_MAX_DIMS);
    if (parm_slab_find(s, name) >= 0) return PARM_ERR("parm_slab_add: duplicate tensor name '%s'", name);
    size_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0 || shape[d] > (int64_t)1 << 32)
            return PARM_ERR("parm_slab_add('%s'): bad dim %d = %lld", name, d, (long long)shape[d]);
        numel *= (size_t)shape[d];
    }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        parm_view *nv = parm_realloc(s->views, (size_t)cap * sizeof *nv);
        if (!nv) return -1;
        s->views = nv;
        s->cap = cap;
    }
    parm_view *v = &s->views[s->n];
    memset(v, 0, sizeof *v);
    memcpy(v->name, name, len + 1);
    v->ndim = ndim;
    for (int d = 0; d < ndim; d++) v->shape[d] = shape[d];
    v->offset = s->numel;
    v->numel = numel;
    v->decay = decay ? 1 : 0;
    s->numel += (numel + SLAB_ALIGN - 1) / SLAB_ALIGN * SLAB_ALIGN;
    return s->n++;
}

int parm_slab_alloc(parm_slab *s) {
    if (s->w) return PARM_ERR("parm_slab_alloc: slab already allocated");
    s->w = alloc_floats(s->numel);
    s->g = s->w ? alloc_floats(s->numel) : NULL;
    if (!s->w || !s->g) {
        free(s->w);
        s->w = NULL;
        return -1;
    }
    return 0;
}

/* Allocate the AdamW moments (zeroed) if not yet there. */
int parm_slab_alloc_moments(parm_slab *s) {
    if (!s->w) return PARM_ERR("slab not allocated (call parm_slab_alloc first)");
    if (!s->m) s->m = alloc_floats(s->numel);
    if (s->m && !s->v) s->v = alloc_floats(s->numel);
    return s->m && s->v ? 0 : -1;
}

void parm_slab_free(parm_slab *s) {
    if (!s) return;
    free(s->views);
    free(s->w);
    free(s->g);
    free(s->m);
    free(s->v);
    memset(s, 0, sizeof *s);
}

int parm_slab_find(const parm_slab *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->views[i].name, name)) return i;
    return -1;
}

int parm_slab_mix(parm_slab *dst, const parm_slab *other, float alpha) {
    if (!(alpha >= 0.0f && alpha <= 1.0f)) return PARM_ERR("slab mix: alpha %g is not in [0, 1]", alpha);
    for (int i = 0; i < dst->n; i++) { /* every shape checked before anything changes: no half-mixed dst */
        const parm_view *a = &dst->views[i];
        int j = parm_slab_find(other, a->name);
        if (j < 0) continue;
        const parm_view *b = &other->views[j];
        if (a->ndim != b->ndim || a->numel != b->numel || memcmp(a->shape, b->shape, sizeof(int64_t) * a->ndim))
            return PARM_ERR("slab mix: tensor '%s' has different shapes in the two models", a->name);
    }
    int mixed = 0;
    for (int i = 0; i < dst->n; i++) {
        int j = parm_slab_find(other, dst->views[i].name);
        if (j < 0) continue;
        float *w = parm_w(dst, i);
        const float *o = parm_w(other, j);
        for (size_t k = 0; k < dst->views[i].numel; k++) w[k] = alpha * w[k] + (1.0f - alpha) * o[k];
        mixed++;
    }
    return mixed;
}

void parm_slab_zero_grad(parm_slab *s) {
    if (s->g) memset(s->g, 0, s->numel * sizeof(float));
}

void parm_init_normal(parm_slab *s, int i, float std, parm_rng *rng) {
    parm_gemm_weights_changed();
    float *w = parm_w(s, i);
    for (size_t k = 0; k < s->views[i].numel; k++) w[k] = std * parm_rng_normal(rng);
}

void parm_init_const(parm_slab *s, int i, float value) {
    parm_gemm_weights_changed();
    float *w = parm_w(s, i);
    for (size_t k = 0; k < s->views[i].numel; k++) w[k] = value;
}

/* ---- optimisation ---- */
parm_adamw parm_adamw_default(void) {
    parm_adamw o = {.lr = 3e-4f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.01f};
    return o;
}

/* torch.optim.AdamW (1.13, non-amsgrad), per element, for step t ≥ 1:
 *   w ← w·(1 − lr·wd)                       (only views with decay = 1)
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   w ← w − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps)
 * Bias corrections are computed in double (as torch does in Python) and
 * rounded to float once. Padding between views has g = 0 and stays 0. */
/* One AdamW update of n contiguous elements. sqrtf() must honour errno, which
 * stops gcc from vectorising the loop (-fno-math-errno cannot be set per
 * function), so the bulk runs on explicit SIMD square roots; every operation
 * is the same IEEE single-precision op (no FMA contraction: -std=c11 sets
 * -ffp-contract=off) in both paths, so results do not depend on the split. */
#define ADAMW_ELEM(k)                                                    \
    do {                                                                 \
        float g = G[k];                                                  \
        float m = b1 * M[k] + omb1 * g;                                  \
        float v = b2 * V[k] + omb2 * (g * g);                            \
        M[k] = m;                                                        \
        V[k] = v;                                                        \
        float w = W[k] * dm;                                             \
        W[k] = w - step_size * (m / (sqrtf(v) / bc2_sqrt + eps));        \
    } while (0)
static void adamw_span(float *restrict W, const float *restrict G, float *restrict M, float *restrict V, long n,
                       float b1, float b2, float omb1, float omb2, float eps, float step_size, float bc2_sqrt,
                       float dm) {
    long k = 0;
#if defined(__AVX512F__)
    const __m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2), vo1 = _mm512_set1_ps(omb1),
                 vo2 = _mm512_set1_ps(omb2), veps = _mm512_set1_ps(eps), vss = _mm512_set1_ps(step_size),
                 vbc = _mm512_set1_ps(bc2_sqrt), vdm = _mm512_set1_ps(dm);
    for (; k + 16 <= n; k += 16) {
        __m512 g = _mm512_loadu_ps(G + k);
        __m512 m = _mm512_add_ps(_mm512_mul_ps(vb1, _mm512_loadu_ps(M + k)), _mm512_mul_ps(vo1, g));
        __m512 v = _mm512_add_ps(_mm512_mul_ps(vb2, _mm512_loadu_ps(V + k)), _mm512_mul_ps(vo2, _mm512_mul_ps(g, g)));
        _mm512_storeu_ps(M + k, m);
        _mm512_storeu_ps(V + k, v);
        __m512 w = _mm512_mul_ps(_mm512_loadu_ps(W + k), vdm);
        __m512 den = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(v), vbc), veps);
        _mm512_storeu_ps(W + k, _mm512_sub_ps(w, _mm512_mul_ps(vss, _mm512_div_ps(m, den))));
    }
#elif defined(__AVX__)
    const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), vo1 = _mm256_set1_ps(omb1),
                 vo2 = _mm256_set1_ps(omb2), veps = _mm256_set1_ps(eps), vss = _mm256_set1_ps(step_size),
                 vbc = _mm256_set1_ps(bc2_sqrt), vdm = _mm256_set1_ps(dm);
    for (; k + 8 <= n; k += 8) {
        __m256 g = _mm256_loadu_ps(G + k);
        __m256 m = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(M + k)), _mm256_mul_ps(vo1, g));
        __m256 v = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(V + k)), _mm256_mul_ps(vo2, _mm256_mul_ps(g, g)));
        _mm256_storeu_ps(M + k, m);
        _mm256_storeu_ps(V + k, v);
        __m256 w = _mm256_mul_ps(_mm256_loadu_ps(W + k), vdm);
        __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(v), vbc), veps);
        _mm256_storeu_ps(W + k, _mm256_sub_ps(w, _mm256_mul_ps(vss, _mm256_div_ps(m, den))));
    }
#endif
    for (; k < n; k++) ADAMW_ELEM(k);
}
#undef ADAMW_ELEM

int parm_adamw_step(parm_slab *s, const parm_adamw *opt, float lr, long step) {
    if (step < 1) return PARM_ERR("parm_adamw_step: step must count from 1 (got %ld)", step);
    if (parm_slab_alloc_moments(s)) return -1;
    parm_gemm_weights_changed(); /* reordered copies of the weights (gemm_dnnl.c) are stale after this step */
    const float b1 = opt->beta1, b2 = opt->beta2, eps = opt->eps;
    const float omb1 = 1.0f - b1, omb2 = 1.0f - b2;
    const double bc1 = 1.0 - pow((double)b1, (double)step), bc2 = 1.0 - pow((double)b2, (double)step);
    const float step_size = (float)((double)lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    const float decay_mul = (float)(1.0 - (double)lr * (double)opt->weight_decay);
    float *W = s->w, *G = s->g, *M = s->m, *V = s->v;
    /* Each thread takes a contiguous share of every view (16-float aligned). */
#pragma omp parallel
    {
        int nt = omp_get_num_threads(), me = omp_get_thread_num();
        for (int i = 0; i < s->n; i++) {
            const parm_view *pv = &s->views[i];
            long n = (long)pv->numel, share = ((n + nt - 1) / nt + 15) / 16 * 16;
            long lo = (long)me * share, hi = lo + share < n ? lo + share : n;
            if (lo >= hi) continue;
            long o = (long)pv->offset + lo;
            adamw_span(W + o, G + o, M + o, V + o, hi - lo, b1, b2, omb1, omb2, eps, step_size, bc2_sqrt,
                       pv->decay ? decay_mul : 1.0f);
        }
    }
    return 0;
}

/* Sum of squares over fixed chunks, then the chunk sums in order: the result
 * does not depend on the thread count. */
#define NORM_CHUNK 16384
static double grad_sumsq(const parm_slab *s) {
    if (!s->g || s->numel == 0) return 0.0;
    const long nchunk = (long)((s->numel + NORM_CHUNK - 1) / NORM_CHUNK);
    double part_stack[256];
    double *part = nchunk <= 256 ? part_stack : malloc((size_t)nchunk * sizeof(double));
    if (!part) { /* fall back to a serial sum */
        double acc = 0;
        for (size_t k = 0; k < s->numel; k++) acc += (double)s->g[k] * s->g[k];
        return acc;
    }
    const float *G = s->g;
    const long n = (long)s->numel;
#pragma omp parallel for schedule(static)
    for (long c = 0; c < nchunk; c++) {
        long a = c * NORM_CHUNK, b = a + NORM_CHUNK < n ? a + NORM_CHUNK : n;
        double acc = 0;
        for (long k = a; k < b; k++) acc += (double)G[k] * G[k];
        part[c] = acc;
    }
    double tot = 0;
    for (long c = 0; c < nchunk; c++) tot += part[c];
    if (part != part_stack) free(part);
    return tot;
}

float parm_grad_norm(const parm_slab *s) { return (float)sqrt(grad_sumsq(s)); }

/* torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), clamped
 * to ≤ 1; grads are multiplied by coef (a no-op when coef = 1). */
float parm_clip_grad_norm(parm_slab *s, float max_norm) {
    float norm = parm_grad_norm(s);
    float coef = max_norm / (norm + 1e-6f);
    if (coef < 1.0f) {
        float *G = s->g;
        const long n = (long)s->numel;
#pragma omp parallel for schedule(static)
        for (long k = 0; k < n; k++) G[k] *= coef;
    }
    return norm;
}

/* step counts from 1 (as parm_adamw_step):
 *   step ≤ warmup:  lr_max · step / warmup
 *   after:          lr_min + ½(lr_max − lr_min)(1 + cos(π·p)),
 *                   p = (step − warmup) / (total − warmup) clamped to [0, 1]. */
float parm_lr_cosine(long step, long warmup, long total, float lr_max, float lr_min) {
    if (warmup > 0 && step <= warmup) return (float)((double)lr_max * (double)(step < 0 ? 0 : step) / (double)warmup);
    if (total <= warmup) return lr_max;
    double p = (double)(step - warmup) / (double)(total - warmup);
    if (p < 0) p = 0;
    if (p > 1) p = 1;
    return (float)(lr_min + 0.5 * ((double)lr_max - lr_min) * (1.0 + cos(M_PI * p)));
}
