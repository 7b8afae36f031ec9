/* vq.c — the VQ image tokenizer (see include/parm/vq.h for the design):
 * parameters, forward/backward for training, encode/decode for inference,
 * dead-code restarts, weights I/O. */
#include "parm/vq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/ops.h"
#include "parm/world.h"

#define NPIX (PARM_IMG * PARM_IMG)                 /* 4096 pixels */
#define NC PARM_VQ_CLASSES                          /* 11 classes */
#define S PARM_VQ_TOKENS                            /* 256 tokens */
#define OUTC (PARM_VQ_PATCH * PARM_VQ_PATCH * NC)  /* 176 decoder output channels */

parm_vq_config parm_vq_default_config(void) {
    parm_vq_config c = {.width = 128, .dim = 32, .ncodes = 1024, .beta = 0.25f};
    return c;
}

/* Activation layout for B images, offsets in floats (same for grads):
 *   x  [B,11,64,64] one-hot input        h1,a1 [B,W,256] patchify conv, GELU
 *   h2,a2 [B,W,256]                       z, zq [B,D,256]
 *   d0,e0 / d1,e1 / d2,e2 [B,W,256]       o [B,176,256]
 *   logits, probs [B·4096, 11]                                               */
typedef struct {
    float *x, *h1, *a1, *h2, *a2, *z, *zq, *d0, *e0, *d1, *e1, *d2, *e2, *o, *logits, *probs;
} vq_acts;

static size_t acts_layout(const parm_vq_config *c, int B, float *base, vq_acts *a) {
    size_t W = c->width, D = c->dim, off = 0;
    float *p = base;
#define CARVE(field, n) do { if (a) a->field = p ? p + off : NULL; off += (size_t)(n); } while (0)
    CARVE(x, (size_t)B * NC * NPIX);
    CARVE(h1, B * W * S); CARVE(a1, B * W * S);
    CARVE(h2, B * W * S); CARVE(a2, B * W * S);
    CARVE(z, B * D * S); CARVE(zq, B * D * S);
    CARVE(d0, B * W * S); CARVE(e0, B * W * S);
    CARVE(d1, B * W * S); CARVE(e1, B * W * S);
    CARVE(d2, B * W * S); CARVE(e2, B * W * S);
    CARVE(o, (size_t)B * OUTC * S);
    CARVE(logits, (size_t)B * NPIX * NC); CARVE(probs, (size_t)B * NPIX * NC);
#undef CARVE
    return off;
}

static int ensure_capacity(parm_vq *m, int B) {
    if (B <= m->cap) return 0;
    free(m->act); free(m->dact); free(m->idx); free(m->targets);
    m->act_numel = acts_layout(&m->cfg, B, NULL, NULL);
    m->act = parm_calloc(m->act_numel, sizeof(float));
    m->dact = parm_calloc(m->act_numel, sizeof(float));
    m->idx = parm_malloc((size_t)B * S * sizeof(int));
    m->targets = parm_malloc((size_t)B * NPIX * sizeof(int));
    if (!m->act || !m->dact || !m->idx || !m->targets) { m->cap = 0; return -1; }
    m->cap = B;
    return 0;
}

static int add4(parm_slab *s, const char *name, int64_t a, int64_t b, int64_t c, int64_t d, int decay) {
    int64_t shape[4] = {a, b, c, d};
    return parm_slab_add(s, name, 4, shape, decay);
}
static int add1(parm_slab *s, const char *name, int64_t n) {
    return parm_slab_add(s, name, 1, &n, 0);
}

static int declare(parm_vq *m) {
    parm_slab *s = &m->p;
    int W = m->cfg.width, D = m->cfg.dim, K = m->cfg.ncodes;
    m->enc0_w = add4(s, "enc.0.weight", W, NC, PARM_VQ_PATCH, PARM_VQ_PATCH, 1); m->enc0_b = add1(s, "enc.0.bias", W);
    m->enc1_w = add4(s, "enc.1.weight", W, W, 1, 1, 1); m->enc1_b = add1(s, "enc.1.bias", W);
    m->enc2_w = add4(s, "enc.2.weight", D, W, 1, 1, 1); m->enc2_b = add1(s, "enc.2.bias", D);
    int64_t cb[2] = {K, D};
    m->codebook = parm_slab_add(s, "quant.codebook", 2, cb, 0);
    m->dec0_w = add4(s, "dec.0.weight", W, D, 1, 1, 1); m->dec0_b = add1(s, "dec.0.bias", W);
    m->dec1_w = add4(s, "dec.1.weight", W, W, 3, 3, 1); m->dec1_b = add1(s, "dec.1.bias", W);
    m->dec2_w = add4(s, "dec.2.weight", W, W, 3, 3, 1); m->dec2_b = add1(s, "dec.2.bias", W);
    m->dec3_w = add4(s, "dec.3.weight", OUTC, W, 1, 1, 1); m->dec3_b = add1(s, "dec.3.bias", OUTC);
    if (m->dec3_b < 0) return -1;
    return parm_slab_alloc(s);
}

static int check_config(const parm_vq_config *c) {
    if (c->width < 1 || c->width > 4096 || c->dim < 1 || c->dim > 1024 || c->ncodes < 2 || c->ncodes > 65536)
        return PARM_ERR("bad VQ config: width %d dim %d codes %d (want width 1..4096, dim 1..1024, codes 2..65536)",
                        c->width, c->dim, c->ncodes);
    return 0;
}

int parm_vq_init(parm_vq *m, const parm_vq_config *cfg, uint64_t seed) {
    memset(m, 0, sizeof *m);
    if (check_config(cfg)) return -1;
    m->cfg = *cfg;
    if (declare(m)) return -1;
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_INIT);
    /* conv weights ~ N(0, 1/fan_in) (keeps activations O(1)), biases 0 */
    for (int i = 0; i < m->p.n; i++) {
        parm_view *v = &m->p.views[i];
        if (v->ndim == 4) parm_init_normal(&m->p, i, 1.0f / sqrtf((float)(v->shape[1] * v->shape[2] * v->shape[3])), &rng);
        else parm_init_const(&m->p, i, 0.0f);
    }
    parm_init_normal(&m->p, m->codebook, 1.0f, &rng);
    return 0;
}

void parm_vq_free(parm_vq *m) {
    parm_slab_free(&m->p);
    free(m->act); free(m->dact); free(m->idx); free(m->targets);
    memset(m, 0, sizeof *m);
}

/* ---- pieces ---- */

/* rgb [B,64,64,3] → one-hot x [B,11,64,64] and class targets [B·4096] */
static void onehot_input(float *x, int *targets, const uint8_t *rgb, int B) {
    memset(x, 0, (size_t)B * NC * NPIX * sizeof(float));
#pragma omp parallel for
    for (int b = 0; b < B; b++)
        for (int p = 0; p < NPIX; p++) {
            int c = parm_pixel_class(rgb + ((size_t)b * NPIX + p) * 3);
            x[((size_t)b * NC + c) * NPIX + p] = 1.0f;
            if (targets) targets[(size_t)b * NPIX + p] = c;
        }
}

/* depth-to-space: o [B,16·11,16,16] (channel = (py·4+px)·11 + c) → logits [B,64,64,11] */
static void d2s_forward(float *logits, const float *o, int B) {
#pragma omp parallel for
    for (int b = 0; b < B; b++)
        for (int ch = 0; ch < OUTC; ch++) {
            int c = ch % NC, pp = ch / NC, py = pp / PARM_VQ_PATCH, px = pp % PARM_VQ_PATCH;
            const float *src = o + ((size_t)b * OUTC + ch) * S;
            for (int gy = 0; gy < PARM_VQ_GRID; gy++)
                for (int gx = 0; gx < PARM_VQ_GRID; gx++) {
                    int y = gy * PARM_VQ_PATCH + py, x = gx * PARM_VQ_PATCH + px;
                    logits[((size_t)b * NPIX + y * PARM_IMG + x) * NC + c] = src[gy * PARM_VQ_GRID + gx];
                }
        }
}
static void d2s_backward(float *dout, const float *dlogits, int B) {
#pragma omp parallel for
    for (int b = 0; b < B; b++)
        for (int ch = 0; ch < OUTC; ch++) {
            int c = ch % NC, pp = ch / NC, py = pp / PARM_VQ_PATCH, px = pp % PARM_VQ_PATCH;
            float *dst = dout + ((size_t)b * OUTC + ch) * S;
            for (int gy = 0; gy < PARM_VQ_GRID; gy++)
                for (int gx = 0; gx < PARM_VQ_GRID; gx++) {
                    int y = gy * PARM_VQ_PATCH + py, x = gx * PARM_VQ_PATCH + px;
                    dst[gy * PARM_VQ_GRID + gx] += dlogits[((size_t)b * NPIX + y * PARM_IMG + x) * NC + c];
                }
        }
}

#define W_(i) parm_w(&m->p, (i))
#define G_(i) parm_g(&m->p, (i))

static int encoder_forward(parm_vq *m, vq_acts *a, int B) {
    int rc = 0; /* a conv that cannot get scratch memory returns -1 */
    int W = m->cfg.width, D = m->cfg.dim;
    rc |= parm_conv2d_forward(a->h1, a->x, W_(m->enc0_w), W_(m->enc0_b), B, NC, PARM_IMG, PARM_IMG, W, PARM_VQ_PATCH,
                   PARM_VQ_PATCH, 0);
    parm_gelu_forward(a->a1, a->h1, (long)B * W * S);
    rc |= parm_conv2d_forward(a->h2, a->a1, W_(m->enc1_w), W_(m->enc1_b), B, W, PARM_VQ_GRID, PARM_VQ_GRID, W, 1, 1, 0);
    parm_gelu_forward(a->a2, a->h2, (long)B * W * S);
    rc |= parm_conv2d_forward(a->z, a->a2, W_(m->enc2_w), W_(m->enc2_b), B, W, PARM_VQ_GRID, PARM_VQ_GRID, D, 1, 1, 0);
    return rc ? -1 : 0;
}

static int decoder_forward(parm_vq *m, vq_acts *a, int B) {
    int rc = 0; /* a conv that cannot get scratch memory returns -1 */
    int W = m->cfg.width, D = m->cfg.dim, G = PARM_VQ_GRID;
    rc |= parm_conv2d_forward(a->d0, a->zq, W_(m->dec0_w), W_(m->dec0_b), B, D, G, G, W, 1, 1, 0);
    parm_gelu_forward(a->e0, a->d0, (long)B * W * S);
    rc |= parm_conv2d_forward(a->d1, a->e0, W_(m->dec1_w), W_(m->dec1_b), B, W, G, G, W, 3, 1, 1);
    parm_gelu_forward(a->e1, a->d1, (long)B * W * S);
    rc |= parm_conv2d_forward(a->d2, a->e1, W_(m->dec2_w), W_(m->dec2_b), B, W, G, G, W, 3, 1, 1);
    parm_gelu_forward(a->e2, a->d2, (long)B * W * S);
    rc |= parm_conv2d_forward(a->o, a->e2, W_(m->dec3_w), W_(m->dec3_b), B, W, G, G, OUTC, 1, 1, 0);
    d2s_forward(a->logits, a->o, B);
    return rc ? -1 : 0;
}

/* codes → zq [B,D,256] (codebook lookup in channel-first layout) */
static void lookup_codes(parm_vq *m, const int *tokens, float *zq, int B) {
    int D = m->cfg.dim;
    const float *cb = W_(m->codebook);
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++)
            for (int d = 0; d < D; d++) zq[((size_t)b * D + d) * S + s] = cb[(size_t)tokens[b * S + s] * D + d];
}

static void logits_to_image(const float *logits, int B, uint8_t *rgb, uint8_t *classes) {
#pragma omp parallel for
    for (long i = 0; i < (long)B * NPIX; i++) {
        const float *l = logits + i * NC;
        int best = 0;
        for (int c = 1; c < NC; c++)
            if (l[c] > l[best]) best = c;
        const uint8_t *col = best == 0 ? parm_background : parm_palette[best - 1];
        if (rgb) memcpy(rgb + i * 3, col, 3);
        if (classes) classes[i] = (uint8_t)best;
    }
}

int parm_vq_encode(parm_vq *m, const uint8_t *rgb, int B, int *tokens) {
    if (B < 1) return PARM_ERR("encode: batch %d < 1", B);
    if (ensure_capacity(m, B)) return -1;
    vq_acts a;
    acts_layout(&m->cfg, B, m->act, &a);
    onehot_input(a.x, NULL, rgb, B);
    if (encoder_forward(m, &a, B) ||
        parm_vq_forward(a.zq, tokens, a.z, W_(m->codebook), B, m->cfg.dim, S, m->cfg.ncodes))
        return -1;
    return 0;
}

int parm_vq_decode(parm_vq *m, const int *tokens, int B, uint8_t *rgb, uint8_t *classes) {
    if (B < 1) return PARM_ERR("decode: batch %d < 1", B);
    for (long i = 0; i < (long)B * S; i++)
        if (tokens[i] < 0 || tokens[i] >= m->cfg.ncodes)
            return PARM_ERR("decode: token %d at position %ld is outside the codebook [0, %d)", tokens[i], i,
                            m->cfg.ncodes);
    if (ensure_capacity(m, B)) return -1;
    vq_acts a;
    acts_layout(&m->cfg, B, m->act, &a);
    lookup_codes(m, tokens, a.zq, B);
    if (decoder_forward(m, &a, B)) return -1;
    logits_to_image(a.logits, B, rgb, classes);
    return 0;
}

float parm_vq_forward_backward(parm_vq *m, const uint8_t *rgb, int B) {
    if (ensure_capacity(m, B)) return NAN;
    int W = m->cfg.width, D = m->cfg.dim, K = m->cfg.ncodes, G = PARM_VQ_GRID;
    vq_acts a, d;
    acts_layout(&m->cfg, B, m->act, &a);
    acts_layout(&m->cfg, B, m->dact, &d);
    /* forward */
    onehot_input(a.x, m->targets, rgb, B);
    if (encoder_forward(m, &a, B) || parm_vq_forward(a.zq, m->idx, a.z, W_(m->codebook), B, D, S, K)) return NAN;
    float qloss = parm_vq_loss(a.z, a.zq, B, D, S, m->cfg.beta);
    if (decoder_forward(m, &a, B)) return NAN;
    float recon = parm_crossentropy_forward(a.probs, a.logits, m->targets, NULL, B * NPIX, NC, -1);
    m->last_recon_loss = recon;
    m->last_codebook_loss = qloss; /* combined codebook + β·commit */
    /* backward (grads of activations start at zero; only the pieces we use) */
    memset(m->dact, 0, m->act_numel * sizeof(float));
    parm_crossentropy_backward(d.logits, 1.0f, a.probs, m->targets, NULL, B * NPIX, NC, -1);
    d2s_backward(d.o, d.logits, B);
    int bad = 0;
    bad |= parm_conv2d_backward(d.e2, G_(m->dec3_w), G_(m->dec3_b), d.o, a.e2, W_(m->dec3_w), B, W, G, G, OUTC, 1, 1, 0);
    parm_gelu_backward(d.d2, d.e2, a.d2, (long)B * W * S);
    bad |= parm_conv2d_backward(d.e1, G_(m->dec2_w), G_(m->dec2_b), d.d2, a.e1, W_(m->dec2_w), B, W, G, G, W, 3, 1, 1);
    parm_gelu_backward(d.d1, d.e1, a.d1, (long)B * W * S);
    bad |= parm_conv2d_backward(d.e0, G_(m->dec1_w), G_(m->dec1_b), d.d1, a.e0, W_(m->dec1_w), B, W, G, G, W, 3, 1, 1);
    parm_gelu_backward(d.d0, d.e0, a.d0, (long)B * W * S);
    bad |= parm_conv2d_backward(d.zq, G_(m->dec0_w), G_(m->dec0_b), d.d0, a.zq, W_(m->dec0_w), B, D, G, G, W, 1, 1, 0);
    parm_vq_backward(d.z, G_(m->codebook), d.zq, 1.0f, a.z, a.zq, m->idx, B, D, S, K, m->cfg.beta);
    bad |= parm_conv2d_backward(d.a2, G_(m->enc2_w), G_(m->enc2_b), d.z, a.a2, W_(m->enc2_w), B, W, G, G, D, 1, 1, 0);
    parm_gelu_backward(d.h2, d.a2, a.h2, (long)B * W * S);
    bad |= parm_conv2d_backward(d.a1, G_(m->enc1_w), G_(m->enc1_b), d.h2, a.a1, W_(m->enc1_w), B, W, G, G, W, 1, 1, 0);
    parm_gelu_backward(d.h1, d.a1, a.h1, (long)B * W * S);
    bad |= parm_conv2d_backward(NULL, G_(m->enc0_w), G_(m->enc0_b), d.h1, a.x, W_(m->enc0_w), B, NC, PARM_IMG,
                                PARM_IMG, W, PARM_VQ_PATCH, PARM_VQ_PATCH, 0);
    return bad ? NAN : recon + qloss;
}

const float *parm_vq_last_z(const parm_vq *m, int B) {
    vq_acts a;
    acts_layout(&m->cfg, B, m->act, &a);
    return a.z;
}

int parm_vq_restart_dead(parm_vq *m, const int *usage, int B, parm_rng *rng) {
    return parm_vq_restart_dead_z(m, usage, parm_vq_last_z(m, B), B, rng);
}

int parm_vq_restart_dead_z(parm_vq *m, const int *usage, const float *z, int B, parm_rng *rng) {
    int D = m->cfg.dim, K = m->cfg.ncodes, n = 0;
    float *cb = W_(m->codebook);
    size_t off = m->p.views[m->codebook].offset;
    for (int k = 0; k < K; k++) {
        if (usage[k] > 0) continue;
        int b = parm_rng_int(rng, 0, B - 1), s = parm_rng_int(rng, 0, S - 1);
        for (int dd = 0; dd < D; dd++) {
            cb[(size_t)k * D + dd] = z[((size_t)b * D + dd) * S + s] + 0.01f * parm_rng_normal(rng);
            if (m->p.m) m->p.m[off + (size_t)k * D + dd] = m->p.v[off + (size_t)k * D + dd] = 0.0f;
        }
        n++;
    }
    return n;
}

/* FNV-1a 64 over the codebook rounded to F16 (what the shipped weights store),
 * so a training run's F32 codebook and its F16 export have one fingerprint. */
uint64_t parm_vq_fingerprint(const parm_vq *m) {
    const float *cb = parm_w(&m->p, m->codebook);
    size_t n = (size_t)m->cfg.ncodes * m->cfg.dim;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        uint16_t b = parm_f32_to_f16(cb[i]);
        h = (h ^ (b & 0xff)) * 1099511628211ull;
        h = (h ^ (b >> 8)) * 1099511628211ull;
    }
    return h ? h : 1;
}

/* ---- weights I/O: config travels in the safetensors metadata ---- */
int parm_vq_save(const parm_vq *m, const char *path, parm_dtype dtype) {
    char w[16], d[16], k[16], b[32];
    snprintf(w, sizeof w, "%d", m->cfg.width);
    snprintf(d, sizeof d, "%d", m->cfg.dim);
    snprintf(k, sizeof k, "%d", m->cfg.ncodes);
    snprintf(b, sizeof b, "%.9g", m->cfg.beta);
    const char *meta[] = {"model", "parm-vq", "width", w, "dim", d, "ncodes", k, "beta", b};
    return parm_slab_save(&m->p, path, dtype, meta, 5);
}

static int meta_int(const parm_st_file *f, const char *key, int *out) {
    const char *v = parm_st_meta(f, key);
    char *end;
    if (!v) return PARM_ERR("'%s': missing metadata '%s' (is this a parm VQ weights file?)", f->path, key);
    long x = strtol(v, &end, 10);
    if (*end || end == v) return PARM_ERR("'%s': metadata %s='%s' is not an integer", f->path, key, v);
    *out = (int)x;
    return 0;
}

int parm_vq_load(parm_vq *m, const char *path) {
    parm_st_file f;
    if (parm_st_open(&f, path)) return -1;
    parm_vq_config c = parm_vq_default_config();
    const char *model = parm_st_meta(&f, "model");
    int bad = !model || strcmp(model, "parm-vq");
    if (bad) PARM_ERR("'%s' is not a parm VQ weights file (metadata model='%s', want 'parm-vq')", path,
                      model ? model : "");
    if (!bad) bad = meta_int(&f, "width", &c.width) || meta_int(&f, "dim", &c.dim) || meta_int(&f, "ncodes", &c.ncodes);
    const char *beta = parm_st_meta(&f, "beta");
    if (beta) c.beta = strtof(beta, NULL);
    parm_st_close(&f);
    if (bad) return -1;
    if (parm_vq_init(m, &c, 0)) return -1;
    if (parm_slab_load(&m->p, path)) { parm_vq_free(m); return -1; }
    return 0;
}
