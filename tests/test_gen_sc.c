/* test_gen_sc.c — the PARM++ self-correction generator (include/parm/gen.h,
 * refl_len > 0): forward and backward of the reflection and previous-image
 * segments against a PyTorch fixture (tools/make_fixtures_gen_sc.py; a batch
 * with every combination of present / absent segments); a generator made
 * from a plain one (parm_gen_init_sc) prompted plainly is the plain one
 * bit for bit, and a plain row inside a conditioned batch matches it closely;
 * the weights file keeps refl_len; a plain generator refuses conditioning. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parm.h"
#include "test.h"

#define FIXTURE "tests/fixtures/gen_sc_small.safetensors"
#define NTOK PARM_VQ_TOKENS

static int *ints(parm_st_file *f, const char *name, long *n) {
    float *v = parm_st_alloc_f32(f, name, n);
    if (!v) return NULL;
    int *o = malloc(sizeof(int) * *n);
    for (long i = 0; i < *n; i++) o[i] = (int)v[i];
    free(v);
    return o;
}

static void test_sc_forward_backward_matches_pytorch(void) {
    parm_gen g;
    parm_st_file f;
    CHECK(parm_gen_load(&g, FIXTURE) == 0, "%s", parm_last_error());
    CHECK(parm_st_open(&f, FIXTURE) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    CHECK(g.cfg.refl_len == 6 && g.pos_sc >= 0 && g.prev_emb >= 0, "refl_len %d from the metadata", g.cfg.refl_len);
    long nt, nr, np, ni, ntg, nl;
    int *text = ints(&f, "in.text", &nt), *refl = ints(&f, "in.refl", &nr), *prev = ints(&f, "in.prev", &np);
    int *img = ints(&f, "in.img", &ni), *tg = ints(&f, "in.targets", &ntg);
    float *w = parm_st_alloc_f32(&f, "in.weights", NULL), *logits = parm_st_alloc_f32(&f, "expect.logits", &nl);
    float *loss = parm_st_alloc_f32(&f, "expect.loss", NULL);
    CHECK(text && refl && prev && img && tg && w && logits && loss, "fixture tensors missing");
    if (test_checks_failed_) return;
    int B = (int)(ni / NTOK);
    CHECK(parm_gen_alloc(&g, B) == 0, "%s", parm_last_error());
    parm_slab_zero_grad(&g.p);
    CHECK(parm_gen_forward_sc(&g, text, refl, prev, img, B, 1) == 0, "%s", parm_last_error());
    CHECK(g.Tc == g.T && g.T == 8 + 6 + 128, "layout T %d", g.Tc);
    CHECK_CLOSE("sc logits", g.logits, logits, nl, 1e-4f, 1e-4f);
    float l = parm_gen_loss_backward(&g, tg, w, B);
    CHECK_CLOSE("sc loss", &l, loss, 1, 1e-5f, 1e-5f);
    for (int i = 0; i < g.p.n; i++) {
        char name[160];
        snprintf(name, sizeof name, "grad.%s", g.p.views[i].name);
        float *want = parm_st_alloc_f32(&f, name, NULL);
        CHECK(want != NULL, "%s missing", name);
        if (want) CHECK_CLOSE(name, parm_g(&g.p, i), want, (long)g.p.views[i].numel, 1e-5f, 1e-3f);
        free(want);
    }
    free(text); free(refl); free(prev); free(img); free(tg); free(w); free(logits); free(loss);
    parm_st_close(&f);
    parm_gen_free(&g);
}

static void test_sc_from_plain_is_plain(void) {
    parm_gen base, sc;
    parm_gen_config cfg = {.L = 2, .C = 32, .NH = 4, .F = 64, .ncodes = 16, .text_len = 8};
    CHECK(!parm_gen_init(&base, &cfg, 3), "%s", parm_last_error());
    CHECK(!parm_gen_init_sc(&sc, &base, 6, 4), "%s", parm_last_error());
    if (test_checks_failed_) return;
    const int B = 2, K = 16, Tt = 8, R = 6, NL = B * NTOK * K;
    int text[2 * 8], refl[2 * 6], prev[2 * NTOK], img[2 * NTOK];
    CHECK(parm_text_encode("a photo of a red star", text, Tt) > 0 && parm_text_encode("a photo of two rings", text + Tt, Tt) > 0,
          "encode");
    parm_rng rng;
    parm_rng_seed(&rng, 9, PARM_STREAM_NOISE);
    for (int i = 0; i < B * NTOK; i++) {
        img[i] = parm_rng_int(&rng, 0, K);
        prev[i] = parm_rng_int(&rng, 0, K - 1);
    }
    CHECK(parm_reflection_encode("missing: a star", refl, R) > 0, "%s", parm_last_error());
    for (int t = 0; t < R; t++) refl[R + t] = PARM_TOK_PAD;
    CHECK(!parm_gen_alloc(&base, B) && !parm_gen_alloc(&sc, B), "alloc");
    float *want = malloc(sizeof(float) * NL);
    CHECK(!parm_gen_forward(&base, text, img, B, 0), "%s", parm_last_error());
    memcpy(want, base.logits, sizeof(float) * NL);
    CHECK(!parm_gen_forward_sc(&sc, text, NULL, NULL, img, B, 0) && sc.Tc == Tt + 64, "plain layout");
    CHECK(!memcmp(sc.logits, want, sizeof(float) * NL), "plain prompting differs from the plain generator");
    /* absent rows given explicitly: still the plain layout */
    int none[2 * NTOK], pads[2 * 6] = {0};
    for (int i = 0; i < B * NTOK; i++) none[i] = -1;
    CHECK(!parm_gen_forward_sc(&sc, text, pads, none, img, B, 0) && sc.Tc == Tt + 64, "absent rows: plain layout");
    CHECK(!memcmp(sc.logits, want, sizeof(float) * NL), "absent rows differ");
    /* row 0 conditioned, row 1 plain: row 1 (masked segments) ~ the plain generator */
    for (int i = NTOK; i < 2 * NTOK; i++) prev[i] = -1;
    CHECK(!parm_gen_forward_sc(&sc, text, refl, prev, img, B, 0) && sc.Tc == sc.T, "full layout");
    CHECK_CLOSE("plain row in a conditioned batch", sc.logits + NTOK * K, want + NTOK * K, NTOK * K, 1e-5f, 1e-4f);
    float d = 0;
    for (int i = 0; i < NTOK * K; i++) d = fmaxf(d, fabsf(sc.logits[i] - want[i]));
    CHECK(d > 1e-3f, "the conditioned row ignores its segments (max diff %g)", d);
    /* the weights file keeps refl_len */
    char path[] = "/tmp/parm-test-gensc-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    close(fd);
    parm_gen back;
    CHECK(!parm_gen_save(&sc, path, PARM_F32) && !parm_gen_load(&back, path), "%s", parm_last_error());
    CHECK(back.cfg.refl_len == 6 && back.p.n == sc.p.n, "reloaded refl_len %d", back.cfg.refl_len);
    parm_gen_free(&back);
    unlink(path);
    /* a plain generator refuses conditioning */
    CHECK(parm_gen_forward_sc(&base, text, refl, prev, img, B, 0) < 0, "plain generator accepted a reflection");
    CHECK(strstr(parm_last_error(), "plain generator") != NULL, "message: %s", parm_last_error());
    free(want);
    parm_gen_free(&base);
    parm_gen_free(&sc);
}

int main(void) {
    RUN(test_sc_forward_backward_matches_pytorch);
    RUN(test_sc_from_plain_is_plain);
    return TEST_SUMMARY();
}
