/* test_gen_sc.c — the PARM++ self-correction generator (include/parm/gen.h,
 * refl_len > 0): forward and backward of the reflection and previous-image
 * segments against a PyTorch fixture (tools/make_fixtures_gen_sc.py; a batch
 * with every combination of present / absent segments); a generator made
 * from a plain one (parm_gen_init_sc) prompted plainly is the plain one
 * bit for bit, and a plain row inside a conditioned batch matches it closely;
 * the weights file keeps refl_len; a plain generator refuses conditioning;
 * quadruples come from train prompts only (a TEST prompt anywhere in the
 * path set is refused); the sampler's conditioning; the trainer learns,
 * keeps plain prompting and resumes exactly. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parm.h"
#include "test.h"

#define FIXTURE "tests/fixtures/gen_sc_small.safetensors"
#define NTOK PARM_VQ_TOKENS

static char T[256];
static const char *tmp(const char *name) { /* paths stay valid for the next 255 calls */
    static char buf[256][512];
    static int k;
    k = (k + 1) % 256;
    snprintf(buf[k], sizeof buf[k], "%s/%s", T, name);
    return buf[k];
}

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
    /* the previous image's positions start as the image's own */
    CHECK(!memcmp(parm_w(&sc.p, sc.pos_sc) + 6 * 32, parm_w(&base.p, base.pos_emb) + 8 * 32, sizeof(float) * 64 * 32),
          "previous-image positions not copied from the image's");
    CHECK(memcmp(parm_w(&sc.p, sc.pos_sc), parm_w(&base.p, base.pos_emb), sizeof(float) * 6 * 32),
          "reflection positions copied too");
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

/* a path set with chosen final verdicts: 4 prompts x 3 paths */
static void fill_pathset(parm_pathset *ps, const char *const *texts, const int *verdicts) {
    parm_pathset_alloc(ps, 4, 3, 2);
    for (int i = 0; i < ps->n; i++) {
        parm_prompt_parse(texts[i / 3], &ps->prompt[i]);
        ps->path_seed[i] = (uint64_t)i;
        ps->verdict[(size_t)i * 2 + 1] = (uint8_t)verdicts[i];
        ps->reading_eq[(size_t)i * 2 + 1] = 1;
    }
}

static void test_quadruples_train_prompts_only(void) {
    static const char *const tr[] = {"a photo of a red star", "a photo of two rings", "a photo of a circle and a square",
                                     "a photo of a heart"};
    /* prompt 0: 1 fail x 2 good; 1: 2 fails x 1 good; 2: all good; 3: all fail */
    static const int v[] = {0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0};
    parm_pathset ps;
    fill_pathset(&ps, tr, v);
    parm_sc_quad *q;
    int n;
    CHECK(!parm_sc_quadruples(&ps, 0, -1, &q, &n) && n == 2 + 2, "%d quadruples without GT targets", n);
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += q[i].fail / 3 != q[i].good / 3 || v[q[i].fail] || !v[q[i].good] || q[i].good < 0;
    CHECK(bad == 0, "%d quadruples pair a failed and a correct path of different prompts", bad);
    free(q);
    CHECK(!parm_sc_quadruples(&ps, 1, -1, &q, &n) && n == 4 + 3, "%d quadruples with GT targets", n);
    CHECK(n == 7 && q[4].good == -1 && q[4].fail == 9 && q[6].fail == 11, "GT targets for the failed paths of prompt 3");
    free(q);
    CHECK(!parm_sc_quadruples(&ps, 2, -1, &q, &n) && n == 6, "%d quadruples with GT targets only", n);
    for (int i = 0; i < n; i++) CHECK(q[i].good == -1 && !v[q[i].fail], "GT-only quadruple %d", i);
    free(q);
    parm_pathset_free(&ps);
    /* any TEST prompt: refused (a held-out position prompt in the last group) */
    parm_prompt *all;
    int na = parm_prompts_all(&all);
    const char *test_text = NULL;
    for (int i = 0; i < na && !test_text; i++)
        if (parm_prompt_is_test(&all[i])) test_text = all[i].text;
    CHECK(test_text != NULL, "no test prompt");
    const char *mixed[] = {tr[0], tr[1], tr[2], test_text};
    fill_pathset(&ps, mixed, v);
    CHECK(parm_sc_quadruples(&ps, 1, -1, &q, &n) < 0 && strstr(parm_last_error(), "TEST"), "test prompt accepted: %s",
          parm_last_error());
    CHECK(parm_pathset_save(&ps, tmp("mixed.pset")) == 0, "%s", parm_last_error());
    parm_pathset_free(&ps);
    parm_gen_sc_train_opts o = parm_gen_sc_train_defaults();
    o.data = tmp("mixed.pset");
    o.vq_path = "unused";
    o.train.init = "unused";
    o.train.out = tmp("never.safetensors");
    o.train.quiet = 1;
    CHECK(parm_gen_sc_train(&o, NULL) < 0 && strstr(parm_last_error(), "TEST"), "trainer accepted a test prompt: %s",
          parm_last_error());
    CHECK(access(tmp("never.safetensors"), F_OK) != 0, "a refused run wrote its output");
    free(all);
}

/* tiny models and a tiny train path set made by the generator itself */
static int tiny_setup(void) {
    parm_vq vq;
    parm_gen g;
    parm_vq_config c = {.width = 8, .dim = 4, .ncodes = 16, .beta = 0.25f};
    parm_gen_config gc = {.L = 1, .C = 16, .NH = 2, .F = 32, .ncodes = 16, .text_len = 16};
    if (parm_gen_init(&g, &gc, 5) || parm_vq_init(&vq, &c, 3)) return -1;
    g.vq_fingerprint = parm_vq_fingerprint(&vq);
    int rc = parm_vq_save(&vq, tmp("vq.safetensors"), PARM_F32) || parm_gen_save(&g, tmp("gen.safetensors"), PARM_F32);
    parm_pathset_gen_opts po = parm_pathset_gen_defaults();
    po.n_prompts = 20;
    po.paths = 2;
    po.seed = 3;
    po.sample.steps = 2;
    po.quiet = 1;
    if (!rc) rc = parm_pathset_generate(&g, &vq, &po, tmp("train.pset"), NULL);
    parm_gen_free(&g);
    parm_vq_free(&vq);
    return rc;
}

/* synthetic quadruples: train prompts; the failed image fails, the fix passes,
 * the reflection is the grader's; the fix differs from the failed image in
 * fewer pixels than a fresh render of the prompt does (it undoes one fault) */
static void test_synthetic(void) {
    parm_rng rng;
    parm_rng_seed(&rng, 5, PARM_STREAM_TRAIN);
    int bad = 0, closer = 0, n = 200;
    long dfix = 0, dfresh = 0;
    static uint8_t f[64 * 64 * 3], g[64 * 64 * 3], h[64 * 64 * 3];
    for (int i = 0; i < n; i++) {
        parm_prompt p;
        int rf[PARM_REFL_TOKENS], want[PARM_REFL_TOKENS];
        CHECK(!parm_sc_synthetic(&parm_layout_canonical, &rng, &p, rf, PARM_REFL_TOKENS, f, g), "%s", parm_last_error());
        if (test_checks_failed_) return;
        parm_reflection r;
        char txt[256];
        parm_scene fresh;
        CHECK(parm_reflect_grader(f, &p, &r) == 0 && !parm_reflection_text(&r, txt, sizeof txt) &&
                  parm_reflection_encode(txt, want, PARM_REFL_TOKENS) >= 0 &&
                  !parm_scene_sample_layout(&p, &parm_layout_canonical, &rng, &fresh),
              "%s", parm_last_error());
        parm_render(&fresh, h);
        bad += parm_prompt_is_test(&p) || parm_grade(f, &p, NULL, 0) != 0 || parm_grade(g, &p, NULL, 0) != 1 ||
               memcmp(rf, want, sizeof rf);
        long a = 0, b = 0;
        for (int k = 0; k < 64 * 64 * 3; k += 3) {
            a += memcmp(f + k, g + k, 3) != 0;
            b += memcmp(f + k, h + k, 3) != 0;
        }
        dfix += a;
        dfresh += b;
        closer += a < b;
    }
    fprintf(stderr, "    %d synthetic quadruples: fix differs from the failed image in %.0f px (a fresh render: %.0f); "
                    "closer %d\n", n, (double)dfix / n, (double)dfresh / n, closer);
    CHECK(bad == 0, "%d synthetic quadruples wrong (test prompt, failed image passes, fix fails, reflection)", bad);
    CHECK(closer >= 0.8 * n, "the fix is closer than a fresh render for only %d of %d", closer, n);
}

static void test_sample_condition(void) {
    parm_gen g, sc;
    parm_vq vq;
    CHECK(!parm_gen_load(&g, tmp("gen.safetensors")) && !parm_vq_load(&vq, tmp("vq.safetensors")), "%s", parm_last_error());
    CHECK(!parm_gen_init_sc(&sc, &g, PARM_REFL_TOKENS, 1), "%s", parm_last_error());
    if (test_checks_failed_) return;
    parm_prompt p;
    parm_prompt_parse("a photo of a red star", &p);
    parm_sample_opts so = parm_sample_defaults();
    so.steps = 3;
    uint64_t seeds[2] = {7, 7};
    uint8_t a[2 * 64 * 64 * 3], b[2 * 64 * 64 * 3];
    CHECK(!parm_sample(&g, &vq, &p, 2, seeds, &so, a, NULL), "%s", parm_last_error());
    CHECK(!parm_sample(&sc, &vq, &p, 2, seeds, &so, b, NULL), "%s", parm_last_error());
    CHECK(!memcmp(a, b, sizeof a), "unconditioned self-correction sampling differs from the plain generator");
    parm_sample_run r;
    int refl[PARM_REFL_TOKENS], prev[NTOK];
    CHECK(parm_reflection_encode("missing: a red star", refl, PARM_REFL_TOKENS) > 0, "%s", parm_last_error());
    for (int i = 0; i < NTOK; i++) prev[i] = i % 16;
    CHECK(!parm_sample_begin(&g, &r, &p, 2, seeds, &so), "begin");
    CHECK(parm_sample_condition(&g, &r, 0, refl, prev) < 0, "a plain generator accepted a condition");
    parm_sample_end(&r);
    CHECK(!parm_sample_begin(&sc, &r, &p, 2, seeds, &so) && !parm_sample_condition(&sc, &r, 0, refl, prev), "%s",
          parm_last_error());
    int rc;
    while ((rc = parm_sample_step(&sc, &vq, &r)) == 0) {}
    CHECK(rc == 1, "sampling: %s", parm_last_error());
    /* path 1 (no condition) in a batch with a conditioned path: the tokens may differ only by rounding;
       path 0 is conditioned: its forward ran the full layout */
    CHECK(r.forwards[0] == 3 && r.forwards[1] == 3, "forwards");
    uint8_t c0[64 * 64 * 3];
    memcpy(c0, r.images, sizeof c0);
    parm_sample_end(&r);
    /* uncond_prev: CFG's unconditional branch sees the previous image (a different image), kept through a file */
    sc.cfg.uncond_prev = 1;
    CHECK(!parm_gen_save(&sc, tmp("up.safetensors"), PARM_F32), "%s", parm_last_error());
    parm_gen up;
    CHECK(!parm_gen_load(&up, tmp("up.safetensors")) && up.cfg.uncond_prev == 1, "uncond_prev lost: %s",
          parm_last_error());
    CHECK(!parm_sample_begin(&up, &r, &p, 2, seeds, &so) && !parm_sample_condition(&up, &r, 0, refl, prev), "%s",
          parm_last_error());
    while ((rc = parm_sample_step(&up, &vq, &r)) == 0) {}
    CHECK(rc == 1 && memcmp(c0, r.images, sizeof c0), "the unconditional branch ignores uncond_prev");
    parm_sample_end(&r);
    parm_gen_free(&up);
    parm_gen_free(&g);
    parm_gen_free(&sc);
    parm_vq_free(&vq);
}

static parm_gen_sc_train_opts tiny_sc(void) {
    parm_gen_sc_train_opts o = parm_gen_sc_train_defaults();
    o.train.init = tmp("gen.safetensors");
    o.data = tmp("train.pset");
    o.vq_path = tmp("vq.safetensors");
    o.train.batch = 4;
    o.train.warmup = 2;
    o.train.lr = 3e-3f;
    o.train.lr_min = o.train.lr;
    o.train.quiet = 1;
    o.train.ckpt_every = 0;
    o.train.eval_every = 0;
    o.eval_n = 2;
    o.eval_prompts = 2;
    return o;
}

static void test_sc_trainer_learns_and_resumes(void) {
    parm_gen_sc_train_opts o = tiny_sc();
    long nq = 0;
    o.train.steps = 40;
    o.train.out = tmp("sc.safetensors");
    o.train.log = tmp("sc.csv");
    o.train.log_every = 10;
    o.train.eval_every = 40;
    CHECK(parm_gen_sc_train(&o, &nq) == 0, "%s", parm_last_error());
    CHECK(nq > 0, "no quadruples");
    char *csv;
    size_t len;
    CHECK(parm_read_file(tmp("sc.csv"), &csv, &len) == 0 &&
              strstr(csv, "step,samples,loss,eval_acc,eval_nonbg_fraction,eval_corrected,eval_corrected_plain,seconds"),
          "CSV header");
    double first = -1, last = -1;
    for (char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        long st, sm;
        double l;
        if (sscanf(line + 1, "%ld,%ld,%lf", &st, &sm, &l) == 3) { if (first < 0) first = l; last = l; }
    }
    CHECK(first > 0 && last < first, "loss EMA %.4f -> %.4f", first, last);
    free(csv);
    parm_gen a;
    CHECK(parm_gen_load(&a, tmp("sc.safetensors")) == 0 && a.cfg.refl_len == PARM_REFL_TOKENS && a.vq_fingerprint,
          "%s", parm_last_error());
    parm_gen_free(&a);
    /* a self-correction generator continues (it used to crash: the copied model's transformer pointed
       into a freed slab) */
    parm_gen_sc_train_opts c = tiny_sc();
    c.train.init = tmp("sc.safetensors");
    c.train.steps = 2;
    c.train.out = tmp("sc2.safetensors");
    CHECK(parm_gen_sc_train(&c, NULL) == 0 && parm_gen_load(&a, tmp("sc2.safetensors")) == 0 &&
              a.cfg.refl_len == PARM_REFL_TOKENS && a.cfg.uncond_prev == 1,
          "continuing a self-correction generator: %s", parm_last_error());
    parm_gen_free(&a);
    /* exact resume: 6 straight = 3, then resumed to 6 (minimal-edit targets: their draws resume too) */
    o = tiny_sc();
    o.gt_targets = 3;
    o.plain_frac = 0;
    o.synth_frac = 0.5f;
    o.train.steps = 6;
    o.train.ckpt = tmp("sa.ckpt");
    CHECK(parm_gen_sc_train(&o, NULL) == 0, "%s", parm_last_error());
    o.train.steps = 3;
    o.train.ckpt = tmp("sb.ckpt");
    CHECK(parm_gen_sc_train(&o, NULL) == 0, "%s", parm_last_error());
    o.train.steps = 6;
    o.train.resume = tmp("sb.ckpt");
    CHECK(parm_gen_sc_train(&o, NULL) == 0, "%s", parm_last_error());
    parm_gen base, x, y;
    long kx, ky;
    parm_rng rx, ry;
    CHECK(!parm_gen_load(&base, tmp("gen.safetensors")) && !parm_gen_init_sc(&x, &base, PARM_REFL_TOKENS, 0) &&
          !parm_gen_init_sc(&y, &base, PARM_REFL_TOKENS, 0), "%s", parm_last_error());
    CHECK(parm_ckpt_load(&x.p, tmp("sa.ckpt"), &kx, &rx) == 0 && parm_ckpt_load(&y.p, tmp("sb.ckpt"), &ky, &ry) == 0,
          "%s", parm_last_error());
    CHECK(kx == 6 && ky == 6 && !memcmp(&rx, &ry, sizeof rx) && !memcmp(x.p.w, y.p.w, sizeof(float) * x.p.numel) &&
              !memcmp(x.p.m, y.p.m, sizeof(float) * x.p.numel),
          "resumed self-correction run differs from a straight one");
    /* the edit weight reaches the loss: the same 2 steps with it at 1 and at 50 end apart */
    o.train.resume = NULL;
    o.train.steps = 2;
    o.synth_frac = 0; /* the generator's failed images: their tokens differ from the fix's (the tiny VQ's do not always) */
    o.edit_weight = 50;
    o.train.ckpt = tmp("se.ckpt");
    CHECK(parm_gen_sc_train(&o, NULL) == 0 && parm_ckpt_load(&y.p, tmp("se.ckpt"), &ky, &ry) == 0, "%s",
          parm_last_error());
    o.edit_weight = 1;
    CHECK(parm_gen_sc_train(&o, NULL) == 0 && parm_ckpt_load(&x.p, tmp("se.ckpt"), &kx, &rx) == 0, "%s",
          parm_last_error());
    CHECK(memcmp(x.p.w, y.p.w, sizeof(float) * x.p.numel), "edit weight 50 trains exactly as 1");
    /* the judge's reflections (the shipped ORM reading the failed images) replace the grader's: the same
       2 steps end elsewhere; a judge that is not there is an error naming it */
    o.reflect_judge = "weights/judge_orm.safetensors";
    CHECK(parm_gen_sc_train(&o, NULL) == 0 && parm_ckpt_load(&y.p, tmp("se.ckpt"), &ky, &ry) == 0, "%s",
          parm_last_error());
    CHECK(memcmp(x.p.w, y.p.w, sizeof(float) * x.p.numel), "judge reflections train exactly as the grader's");
    o.reflect_judge = tmp("no_judge.safetensors");
    CHECK(parm_gen_sc_train(&o, NULL) < 0 && strstr(parm_last_error(), "no_judge"), "missing judge: %s",
          parm_last_error());
    o.reflect_judge = NULL;
    parm_gen_free(&base);
    parm_gen_free(&x);
    parm_gen_free(&y);
}

static void test_correction_eval(void) {
    parm_gen g, sc;
    parm_vq vq;
    parm_pathset ps;
    CHECK(!parm_gen_load(&g, tmp("gen.safetensors")) && !parm_vq_load(&vq, tmp("vq.safetensors")) &&
          !parm_pathset_load(&ps, tmp("train.pset")) && !parm_gen_init_sc(&sc, &g, PARM_REFL_TOKENS, 1), "%s",
          parm_last_error());
    if (test_checks_failed_) return;
    int failed = 0;
    for (int i = 0; i < ps.n; i++) failed += !parm_pathset_final_verdict(&ps, i);
    parm_sample_opts so = parm_sample_defaults();
    so.steps = 2;
    parm_sc_eval a, b;
    CHECK(!parm_gen_sc_eval_pathset(&g, &vq, &ps, NULL, 0.5f, 5, &so, &a), "%s", parm_last_error());
    CHECK(!parm_gen_sc_eval_pathset(&sc, &vq, &ps, NULL, 0.5f, 5, &so, &b), "%s", parm_last_error());
    int want = failed < 5 ? failed : 5;
    CHECK(a.n == want && a.regenerated == want && a.accepted == 0 && a.fixed == 0 && a.judge_calls == 0,
          "plain generator: %ld failed, %ld regenerated, %ld fixed", a.n, a.regenerated, a.fixed);
    CHECK(b.n == want && b.regenerated == want && b.plain == a.plain, "self-correction generator prompted plainly: "
          "%ld vs %ld plain corrections", b.plain, a.plain);
    parm_pathset_free(&ps);
    parm_gen_free(&g);
    parm_gen_free(&sc);
    parm_vq_free(&vq);
}

int main(void) {
    snprintf(T, sizeof T, "/tmp/parm_test_gen_sc_%d", (int)getpid());
    if (parm_mkdirs(T)) { fprintf(stderr, "%s\n", parm_last_error()); return 1; }
    RUN(test_sc_forward_backward_matches_pytorch);
    RUN(test_sc_from_plain_is_plain);
    RUN(test_quadruples_train_prompts_only);
    if (tiny_setup()) { fprintf(stderr, "setup: %s\n", parm_last_error()); return 1; }
    RUN(test_synthetic);
    RUN(test_sample_condition);
    RUN(test_correction_eval);
    RUN(test_sc_trainer_learns_and_resumes);
    return TEST_SUMMARY();
}
