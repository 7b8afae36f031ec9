/* test_vq.c — the VQ tokenizer: full forward/backward against a PyTorch
 * fixture, encode/decode shapes and determinism, the shipped model's
 * reconstructions, and bad image input at the CLI. */
#include <stdlib.h>
#include <string.h>

#include "parm.h"
#include "parm/vq.h"
#include "test.h"

#define FIXTURE "tests/fixtures/vq_small.safetensors"
#define SHIPPED "weights/vq.safetensors"
#define NPIX (PARM_IMG * PARM_IMG)

static void test_forward_backward_matches_pytorch(void) {
    parm_vq m;
    parm_st_file f;
    CHECK(parm_vq_load(&m, FIXTURE) == 0, "%s", parm_last_error());
    CHECK(parm_st_open(&f, FIXTURE) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    const parm_st_tensor *t = parm_st_find(&f, "input.rgb");
    CHECK(t && t->ndim == 4, "input.rgb missing");
    if (!t) return;
    int B = (int)t->shape[0];
    float *tmp = malloc(sizeof(float) * t->numel);
    uint8_t *rgb = malloc(t->numel);
    CHECK(parm_st_read_f32(&f, "input.rgb", tmp, 4, t->shape) == 0, "%s", parm_last_error());
    for (size_t i = 0; i < t->numel; i++) rgb[i] = (uint8_t)tmp[i];
    parm_slab_zero_grad(&m.p);
    float loss = parm_vq_forward_backward(&m, rgb, B);
    float want[3];
    int64_t three = 3;
    CHECK(parm_st_read_f32(&f, "expect.loss", want, 1, &three) == 0, "%s", parm_last_error());
    float got[3] = {loss, m.last_recon_loss, m.last_codebook_loss};
    CHECK_CLOSE("loss (total, recon, codebook+commit)", got, want, 3, 1e-5f, 1e-4f);
    /* codes */
    float *codes = malloc(sizeof(float) * B * PARM_VQ_TOKENS);
    int64_t cs[2] = {B, PARM_VQ_TOKENS};
    CHECK(parm_st_read_f32(&f, "expect.codes", codes, 2, cs) == 0, "%s", parm_last_error());
    int same = 1;
    for (int i = 0; i < B * PARM_VQ_TOKENS; i++) same &= m.idx[i] == (int)codes[i];
    CHECK(same, "quantiser picked different codes than PyTorch");
    /* every parameter gradient */
    for (int i = 0; i < m.p.n; i++) {
        parm_view *v = &m.p.views[i];
        char name[160];
        snprintf(name, sizeof name, "grad.%s", v->name);
        float *g = malloc(sizeof(float) * v->numel);
        CHECK(parm_st_read_f32(&f, name, g, v->ndim, v->shape) == 0, "%s", parm_last_error());
        CHECK_CLOSE(name, parm_g(&m.p, i), g, (long)v->numel, 1e-5f, 1e-3f);
        free(g);
    }
    free(tmp); free(rgb); free(codes);
    parm_st_close(&f);
    parm_vq_free(&m);
}

/* A few fixed ground-truth scenes (seeded). */
static void fixed_scenes(uint8_t *rgb, int n) {
    parm_rng rng;
    parm_rng_seed(&rng, 7, PARM_STREAM_SCENE);
    CHECK(parm_render_train_scenes(&rng, n, rgb, NULL) == 0, "%s", parm_last_error());
}

static void test_shapes_and_determinism(void) {
    parm_vq m;
    parm_vq_config c = {.width = 16, .dim = 8, .ncodes = 32, .beta = 0.25f};
    CHECK(parm_vq_init(&m, &c, 1) == 0, "%s", parm_last_error());
    enum { N = 3 };
    static uint8_t rgb[N * NPIX * 3], rec1[N * NPIX * 3], rec2[N * NPIX * 3];
    int t1[N * PARM_VQ_TOKENS], t2[N * PARM_VQ_TOKENS], t3[PARM_VQ_TOKENS];
    fixed_scenes(rgb, N);
    CHECK(parm_vq_encode(&m, rgb, N, t1) == 0, "%s", parm_last_error());
    CHECK(parm_vq_encode(&m, rgb, N, t2) == 0, "%s", parm_last_error());
    CHECK(!memcmp(t1, t2, sizeof t1), "encode is not deterministic");
    CHECK(parm_vq_encode(&m, rgb + NPIX * 3, 1, t3) == 0, "%s", parm_last_error());
    CHECK(!memcmp(t3, t1 + PARM_VQ_TOKENS, sizeof t3), "encoding depends on the batch");
    int inrange = 1;
    for (int i = 0; i < N * PARM_VQ_TOKENS; i++) inrange &= t1[i] >= 0 && t1[i] < c.ncodes;
    CHECK(inrange, "token outside the codebook");
    CHECK(parm_vq_decode(&m, t1, N, rec1, NULL) == 0, "%s", parm_last_error());
    CHECK(parm_vq_decode(&m, t1, N, rec2, NULL) == 0, "%s", parm_last_error());
    CHECK(!memcmp(rec1, rec2, sizeof rec1), "decode is not deterministic");
    int bad = 1;
    for (long i = 0; i < N * NPIX; i++) bad &= parm_pixel_class(rec1 + i * 3) >= 0;
    CHECK(bad, "decoded pixel outside the palette");
    t1[5] = c.ncodes;
    CHECK(parm_vq_decode(&m, t1, 1, rec1, NULL) != 0, "decode accepted an out-of-range token");
    parm_vq_free(&m);
}

static void test_shipped_model_reconstructs(void) {
    parm_vq m;
    CHECK(parm_vq_load(&m, SHIPPED) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    enum { N = 8 };
    static uint8_t rgb[N * NPIX * 3], rec[N * NPIX * 3];
    int tok[N * PARM_VQ_TOKENS];
    fixed_scenes(rgb, N);
    CHECK(parm_vq_encode(&m, rgb, N, tok) == 0 && parm_vq_decode(&m, tok, N, rec, NULL) == 0, "%s",
          parm_last_error());
    for (int i = 0; i < N; i++) {
        long agree = 0;
        for (int p = 0; p < NPIX; p++) {
            size_t o = ((size_t)i * NPIX + p) * 3;
            agree += parm_pixel_class(rgb + o) == parm_pixel_class(rec + o);
        }
        double acc = (double)agree / NPIX;
        printf("    scene %d: palette-class agreement %.4f\n", i, acc);
        CHECK(acc >= 0.99, "scene %d agreement %.4f < 0.99", i, acc);
    }
    parm_vq_free(&m);
}

static void test_bad_image_input(void) {
    CHECK(system("./parm tokenize /nonexistent.png >/dev/null 2>&1") != 0, "missing file accepted");
    FILE *f = fopen("build/tests/garbled.png", "wb");
    fputs("this is not a png", f);
    fclose(f);
    CHECK(system("./parm tokenize build/tests/garbled.png >/dev/null 2>&1") != 0, "garbled PNG accepted");
    uint8_t small[32 * 32 * 3] = {0};
    CHECK(parm_png_write("build/tests/small.png", small, 32, 32) == 0, "%s", parm_last_error());
    FILE *p = popen("./parm reconstruct build/tests/small.png -o build/tests/rec.png 2>&1", "r");
    char line[512] = "";
    if (p) { if (!fgets(line, sizeof line, p)) line[0] = 0; }
    int rc = p ? pclose(p) : -1;
    CHECK(rc != 0, "32x32 image accepted");
    CHECK(strstr(line, "32x32") != NULL, "error does not name the size: %s", line);
    CHECK(fopen("build/tests/rec.png", "rb") == NULL, "output written despite the error");
}

int main(void) {
    RUN(test_forward_backward_matches_pytorch);
    RUN(test_shapes_and_determinism);
    RUN(test_shipped_model_reconstructs);
    RUN(test_bad_image_input);
    return TEST_SUMMARY();
}
