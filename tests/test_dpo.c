/* test_dpo.c — DPO of the generator (parm/dpo.h) and its data (parm/prefset.h):
 * the loss's value and every gradient against PyTorch (tools/make_fixtures_dpo.py);
 * with policy = reference the DPO term is log 2 and its gradient is
 * −(β/2)·(∇π_c − ∇π_r) (finite differences); preference sets round-trip,
 * never hold a test prompt (save and load refuse one), bad files give clear
 * errors and failed writes leave nothing; generation is deterministic and
 * resumes exactly; the trainer learns a tiny set and resumes bit-exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parm.h"
#include "parm/dpo.h"
#include "parm/prefset.h"
#include "parm/search.h"
#include "test.h"

#define GEN_FIX "tests/fixtures/gen_small.safetensors" /* the policy */
#define DPO_FIX "tests/fixtures/dpo_small.safetensors" /* the reference + inputs + expectations */
#define NTOK PARM_VQ_TOKENS

static char T[256];
static const char *tmp(const char *name) { /* paths stay valid for the next 255 calls (options keep them) */
    static char buf[256][512];
    static int k;
    k = (k + 1) % 256;
    snprintf(buf[k], sizeof buf[k], "%s/%s", T, name);
    return buf[k];
}

static int *ints(parm_st_file *f, const char *name, long *n) {
    long m = 0;
    float *v = parm_st_alloc_f32(f, name, &m);
    if (!v) return NULL;
    int *out = malloc(sizeof(int) * m);
    for (long i = 0; i < m; i++) out[i] = (int)v[i];
    free(v);
    if (n) *n = m;
    return out;
}

typedef struct {
    int *text, *img, *targets;
    float beta, sft;
    int B; /* pairs */
} dpo_inputs;

static int load_inputs(parm_st_file *f, dpo_inputs *in) {
    long ni = 0;
    in->text = ints(f, "in.text", NULL);
    in->img = ints(f, "in.img", &ni);
    in->targets = ints(f, "in.targets", NULL);
    float *b = parm_st_alloc_f32(f, "in.beta", NULL), *s = parm_st_alloc_f32(f, "in.sft", NULL);
    if (!in->text || !in->img || !in->targets || !b || !s) { free(b); free(s); return -1; }
    in->beta = b[0];
    in->sft = s[0];
    in->B = (int)(ni / NTOK / 2);
    free(b);
    free(s);
    return 0;
}
static void free_inputs(dpo_inputs *in) { free(in->text); free(in->img); free(in->targets); }

static void test_dpo_matches_pytorch(void) {
    parm_gen pol, ref;
    parm_st_file f;
    dpo_inputs in;
    CHECK(parm_gen_load(&pol, GEN_FIX) == 0 && parm_gen_load(&ref, DPO_FIX) == 0, "%s", parm_last_error());
    CHECK(parm_st_open(&f, DPO_FIX) == 0 && load_inputs(&f, &in) == 0, "fixture: %s", parm_last_error());
    if (test_checks_failed_) return;
    const int B = in.B;
    float *want_ref = parm_st_alloc_f32(&f, "expect.ref_logp", NULL), *want_pi = parm_st_alloc_f32(&f, "expect.pi_logp", NULL);
    float *want_loss = parm_st_alloc_f32(&f, "expect.loss", NULL), *want_dpo = parm_st_alloc_f32(&f, "expect.dpo", NULL);
    float *want_sft = parm_st_alloc_f32(&f, "expect.sft", NULL), *want_z = parm_st_alloc_f32(&f, "expect.z", NULL);
    CHECK(want_ref && want_pi && want_loss && want_dpo && want_sft && want_z && B == 2, "fixture tensors missing");
    if (test_checks_failed_) return;
    float ref_logp[4], pi_logp[4];
    CHECK(parm_gen_alloc(&pol, 2 * B) == 0 && parm_gen_alloc(&ref, 2 * B) == 0, "%s", parm_last_error());
    CHECK(parm_gen_forward(&ref, in.text, in.img, 2 * B, 0) == 0, "%s", parm_last_error());
    CHECK(parm_gen_seq_logp(&ref, in.targets, 2 * B, ref_logp) == 0, "%s", parm_last_error());
    CHECK_CLOSE("reference sequence log-likelihoods", ref_logp, want_ref, 2 * B, 1e-3f, 1e-5f);
    CHECK(parm_gen_forward(&pol, in.text, in.img, 2 * B, 1) == 0, "%s", parm_last_error());
    CHECK(parm_gen_seq_logp(&pol, in.targets, 2 * B, pi_logp) == 0, "%s", parm_last_error());
    CHECK_CLOSE("policy sequence log-likelihoods", pi_logp, want_pi, 2 * B, 1e-3f, 1e-5f);
    parm_slab_zero_grad(&pol.p);
    parm_dpo_stats st;
    float loss = parm_gen_dpo_loss_backward(&pol, in.targets, want_ref, B, in.beta, in.sft, &st);
    float dpo = (float)st.dpo, sft = (float)st.sft, margin = (float)st.margin, want_margin = (want_z[0] + want_z[1]) / 2;
    CHECK_CLOSE("loss", &loss, want_loss, 1, 1e-5f, 1e-5f);
    CHECK_CLOSE("dpo term", &dpo, want_dpo, 1, 1e-5f, 1e-5f);
    CHECK_CLOSE("sft term (CE of chosen)", &sft, want_sft, 1, 1e-5f, 1e-5f);
    CHECK_CLOSE("margin (mean z)", &margin, &want_margin, 1, 1e-4f, 1e-4f);
    CHECK(st.acc == 0.5, "reward accuracy %g, want 0.5 (z = %g, %g)", st.acc, want_z[0], want_z[1]);
    double dc = ((want_pi[0] - want_ref[0]) + (want_pi[1] - want_ref[1])) / 2;
    CHECK(fabs(st.drift_c - dc) < 1e-3, "drift chosen %g, want %g", st.drift_c, dc);
    for (int i = 0; i < pol.p.n; i++) {
        char name[160];
        snprintf(name, sizeof name, "grad.%s", pol.p.views[i].name);
        float *want = parm_st_alloc_f32(&f, name, NULL);
        CHECK(want != NULL, "%s missing", name);
        if (want) CHECK_CLOSE(name, parm_g(&pol.p, i), want, (long)pol.p.views[i].numel, 1e-6f, 2e-3f);
        free(want);
    }
    /* bad arguments are errors, not NaN gradients */
    CHECK(isnan(parm_gen_dpo_loss_backward(&pol, in.targets, want_ref, B, 0.0f, 0.0f, NULL)) &&
              strstr(parm_last_error(), "beta"), "beta 0: %s", parm_last_error());
    in.targets[5] = 99;
    CHECK(parm_gen_seq_logp(&pol, in.targets, 2 * B, pi_logp) < 0 && strstr(parm_last_error(), "99"), "%s",
          parm_last_error());
    free(want_ref); free(want_pi); free(want_loss); free(want_dpo); free(want_sft); free(want_z);
    free_inputs(&in);
    parm_st_close(&f);
    parm_gen_free(&pol);
    parm_gen_free(&ref);
}

/* π_c − π_r of the policy on pair 0 (rows text/img/targets of 2 sequences) */
static double logp_diff(parm_gen *g, const int *text, const int *img, const int *tg) {
    float lp[2];
    if (parm_gen_forward(g, text, img, 2, 0) || parm_gen_seq_logp(g, tg, 2, lp)) return NAN;
    return (double)lp[0] - lp[1];
}

static void test_identity_at_reference(void) {
    parm_gen pol, ref;
    parm_st_file f;
    dpo_inputs in;
    CHECK(parm_gen_load(&pol, GEN_FIX) == 0 && parm_gen_load(&ref, GEN_FIX) == 0, "%s", parm_last_error());
    CHECK(parm_st_open(&f, DPO_FIX) == 0 && load_inputs(&f, &in) == 0, "fixture: %s", parm_last_error());
    if (test_checks_failed_) return;
    /* pair 0 = fixture rows 0 (chosen) and B (rejected) */
    const int Tt = pol.cfg.text_len, B = in.B;
    int text[2 * 64], img[2 * NTOK], tg[2 * NTOK];
    for (int s = 0; s < 2; s++) {
        memcpy(text + s * Tt, in.text + s * B * Tt, sizeof(int) * Tt);
        memcpy(img + s * NTOK, in.img + s * B * NTOK, sizeof(int) * NTOK);
        memcpy(tg + s * NTOK, in.targets + s * B * NTOK, sizeof(int) * NTOK);
    }
    const float beta = 0.1f;
    float ref_logp[2];
    CHECK(parm_gen_alloc(&pol, 2) == 0 && parm_gen_alloc(&ref, 2) == 0, "%s", parm_last_error());
    CHECK(parm_gen_forward(&ref, text, img, 2, 0) == 0 && parm_gen_seq_logp(&ref, tg, 2, ref_logp) == 0, "%s",
          parm_last_error());
    CHECK(parm_gen_forward(&pol, text, img, 2, 1) == 0, "%s", parm_last_error());
    parm_slab_zero_grad(&pol.p);
    parm_dpo_stats st;
    float loss = parm_gen_dpo_loss_backward(&pol, tg, ref_logp, 1, beta, 0.0f, &st);
    CHECK(fabs(loss - log(2.0)) < 1e-6, "DPO loss at the reference %.8f, want log 2 = %.8f (z = %g)", loss, log(2.0),
          st.margin);
    /* (the policy's train-mode forward and the reference's eval-mode one agree to float rounding of sums ~ 300) */
    CHECK(fabs(st.margin) < 1e-5 && fabs(st.drift_c) < 1e-4 && fabs(st.drift_r) < 1e-4, "z %g drift %g / %g at the reference",
          st.margin, st.drift_c, st.drift_r);
    if (test_checks_failed_) return;
    /* coordinates: each view's largest-|grad| entry, finite differences of π_c − π_r */
    const float eps = 1e-2f;
    int checked = 0, bad = 0;
    double worst = 0;
    for (int v = 0; v < pol.p.n; v++) {
        float *gv = parm_g(&pol.p, v), *wv = parm_w(&pol.p, v);
        long best = 0;
        for (long j = 1; j < (long)pol.p.views[v].numel; j++)
            if (fabsf(gv[j]) > fabsf(gv[best])) best = j;
        if (fabsf(gv[best]) < 1e-3f) continue; /* too small to resolve in float */
        const float w0 = wv[best];
        wv[best] = w0 + eps; /* one weight written: reordered copies are stale */
        parm_gemm_weights_changed();
        double up = logp_diff(&pol, text, img, tg);
        wv[best] = w0 - eps;
        parm_gemm_weights_changed();
        double dn = logp_diff(&pol, text, img, tg);
        wv[best] = w0;
        parm_gemm_weights_changed();
        double want = -(beta / 2) * (up - dn) / (2 * eps), err = fabs(gv[best] - want);
        if (err > 2e-4 + 0.03 * fabs(want)) {
            bad++;
            fprintf(stderr, "    %s[%ld]: grad %.6g, -(beta/2)*FD(pi_c - pi_r) %.6g\n", pol.p.views[v].name, best,
                    gv[best], want);
        }
        if (err > worst) worst = err;
        checked++;
    }
    printf("    identity: %d coordinates, max |grad - (-(beta/2) FD)| %.3g\n", checked, worst);
    CHECK(checked >= 5 && bad == 0, "%d of %d coordinates off", bad, checked);
    free_inputs(&in);
    parm_st_close(&f);
    parm_gen_free(&pol);
    parm_gen_free(&ref);
}

/* ---- preference sets ---- */
static void pick_prompts(parm_prompt *train2, parm_prompt *test1) {
    parm_prompt *all;
    int np = parm_prompts_all(&all), nt = 0, ns = 0;
    for (int i = 0; i < np; i++) {
        if (parm_prompt_is_test(&all[i])) { if (!ns) test1[ns++] = all[i]; }
        else if (nt < 2) train2[nt++] = all[i];
    }
    free(all);
}

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; }
    return h;
}
static void fix_record_sum(uint8_t *rec) {
    uint32_t s = fnv(fnv(2166136261u, rec, 172), rec + 176, 176 + 2 * NTOK - 176);
    for (int i = 0; i < 4; i++) rec[172 + i] = (uint8_t)(s >> (8 * i));
}

static int write_bytes(const char *path, const uint8_t *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(b, 1, n, f);
    return fclose(f) || w != n ? -1 : 0;
}

static void test_prefset_roundtrip_pairs_refusals(void) {
    parm_prompt tr[2], te[1];
    pick_prompts(tr, te);
    parm_prefset s, l;
    CHECK(parm_prefset_alloc(&s, 2, 3, 16) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    const uint8_t v[6] = {1, 0, 0, 1, 1, 0};
    s.seed = 7;
    s.steps = 12;
    s.vq_fingerprint = 0x1234;
    for (int i = 0; i < 6; i++) {
        s.prompt[i] = tr[i / 3];
        s.path_seed[i] = 100 + i;
        s.verdict[i] = v[i];
        for (int k = 0; k < NTOK; k++) s.tokens[i * NTOK + k] = (uint16_t)((i * 7 + k) % 16);
    }
    const char *p = tmp("a.pref");
    CHECK(parm_prefset_save(&s, p) == 0, "%s", parm_last_error());
    CHECK(parm_prefset_load(&l, p) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    CHECK(l.n == 6 && l.ncodes == 16 && l.seed == 7 && l.steps == 12 && l.vq_fingerprint == 0x1234 &&
              !memcmp(l.verdict, v, 6) && !memcmp(l.tokens, s.tokens, sizeof(uint16_t) * 6 * NTOK) &&
              l.path_seed[5] == 105 && !strcmp(l.prompt[4].text, tr[1].text),
          "round trip differs");
    parm_pref_pair *pairs;
    int n = parm_prefset_pairs(&l, 0, &pairs), ok = n == 4;
    for (int i = 0; i < n && ok; i++)
        ok = l.verdict[pairs[i].chosen] == 1 && l.verdict[pairs[i].rejected] == 0 &&
             pairs[i].chosen / 3 == pairs[i].rejected / 3;
    CHECK(ok, "%d pairs (want 1x2 + 2x1 = 4), each correct vs incorrect of one prompt", n);
    free(pairs);
    n = parm_prefset_pairs(&l, 1, &pairs);
    CHECK(n == 2, "capped at 1 per prompt: %d pairs", n);
    free(pairs);
    parm_prefset_free(&l);

    /* a test prompt: save refuses it and leaves nothing */
    for (int i = 3; i < 6; i++) s.prompt[i] = te[0];
    const char *q = tmp("test.pref");
    CHECK(parm_prefset_save(&s, q) < 0 && strstr(parm_last_error(), "TEST prompt"), "%s", parm_last_error());
    CHECK(access(q, F_OK) != 0, "a refused save left %s", q);
    /* ... and load refuses a file that holds one (valid checksums) */
    char *data;
    size_t len;
    CHECK(parm_read_file(p, &data, &len) == 0 && len == 64 + 6 * 688, "%s (%zu bytes)", parm_last_error(), len);
    if (test_checks_failed_) return;
    uint8_t *b = (uint8_t *)data;
    for (int i = 3; i < 6; i++) {
        uint8_t *rec = b + 64 + (size_t)i * 688;
        memset(rec, 0, 160);
        memcpy(rec, te[0].text, strlen(te[0].text));
        fix_record_sum(rec);
    }
    CHECK(write_bytes(q, b, len) == 0, "write");
    CHECK(parm_prefset_load(&l, q) < 0 && strstr(parm_last_error(), "TEST prompt"), "%s", parm_last_error());
    /* bad files */
    CHECK(parm_prefset_load(&l, tmp("missing.pref")) < 0 && strstr(parm_last_error(), "missing.pref"), "%s",
          parm_last_error());
    free(data); /* read again: a fresh copy for the bad-file cases */
    CHECK(parm_read_file(p, &data, &len) == 0, "%s", parm_last_error());
    b = (uint8_t *)data;
    write_bytes(q, b, len - 1);
    CHECK(parm_prefset_load(&l, q) < 0 && strstr(parm_last_error(), "truncated"), "%s", parm_last_error());
    b[64 + 688 + 300] ^= 1;
    write_bytes(q, b, len);
    CHECK(parm_prefset_load(&l, q) < 0 && strstr(parm_last_error(), "checksum"), "%s", parm_last_error());
    b[64 + 688 + 300] ^= 1;
    b[64 + 688 + 176 + 1] = 1; /* token 256 + … ≥ 16 codes, checksum fixed */
    fix_record_sum(b + 64 + 688);
    write_bytes(q, b, len);
    CHECK(parm_prefset_load(&l, q) < 0 && strstr(parm_last_error(), "outside the codebook"), "%s", parm_last_error());
    b[0] = 'X';
    write_bytes(q, b, len);
    CHECK(parm_prefset_load(&l, q) < 0 && strstr(parm_last_error(), "bad magic"), "%s", parm_last_error());
    write_bytes(q, (const uint8_t *)"PARMPREF", 8);
    CHECK(parm_prefset_load(&l, q) < 0 && strstr(parm_last_error(), "header"), "%s", parm_last_error());
    free(data);
    parm_prefset_free(&s);
}

/* a random tiny generator (text_len 16: every train prompt fits) and VQ, both saved for the trainer */
static int tiny_models(parm_gen *g, parm_vq *vq) {
    parm_vq_config c = {.width = 8, .dim = 4, .ncodes = 16, .beta = 0.25f};
    parm_gen_config gc = {.L = 1, .C = 16, .NH = 2, .F = 32, .ncodes = 16, .text_len = 16};
    if (parm_gen_init(g, &gc, 5) || parm_vq_init(vq, &c, 3)) return -1;
    g->vq_fingerprint = parm_vq_fingerprint(vq);
    return parm_vq_save(vq, tmp("vq.safetensors"), PARM_F32) || parm_gen_save(g, tmp("gen.safetensors"), PARM_F32);
}

static int same_file(const char *a, const char *b) {
    char *x, *y;
    size_t nx, ny;
    if (parm_read_file(a, &x, &nx)) return 0;
    if (parm_read_file(b, &y, &ny)) { free(x); return 0; }
    int same = nx == ny && !memcmp(x, y, nx);
    free(x);
    free(y);
    return same;
}

static void test_prefset_generate_resume_relabel(void) {
    parm_gen g;
    parm_vq vq;
    CHECK(tiny_models(&g, &vq) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    parm_prefset_gen_opts o = parm_prefset_gen_defaults();
    o.n_prompts = 6;
    o.paths = 3;
    o.seed = 4;
    o.sample.steps = 3;
    o.save_every = 2;
    o.quiet = 1;
    double acc = -1;
    CHECK(parm_prefset_generate(&g, &vq, &o, tmp("g1.pref"), &acc) == 0 && acc >= 0, "%s", parm_last_error());
    CHECK(parm_prefset_generate(&g, &vq, &o, tmp("g2.pref"), NULL) == 0, "%s", parm_last_error());
    CHECK(same_file(tmp("g1.pref"), tmp("g2.pref")), "same seed, different preference sets");
    o.n_prompts = 3;
    CHECK(parm_prefset_generate(&g, &vq, &o, tmp("g3.pref"), NULL) == 0, "%s", parm_last_error());
    o.n_prompts = 6;
    o.resume = 1;
    CHECK(parm_prefset_generate(&g, &vq, &o, tmp("g3.pref"), NULL) == 0, "%s", parm_last_error());
    CHECK(same_file(tmp("g1.pref"), tmp("g3.pref")), "3 prompts + resume to 6 differs from 6 straight");
    o.seed = 5;
    CHECK(parm_prefset_generate(&g, &vq, &o, tmp("g3.pref"), NULL) < 0 && strstr(parm_last_error(), "--resume"),
          "resume with another seed: %s", parm_last_error());
    parm_prefset s;
    CHECK(parm_prefset_load(&s, tmp("g1.pref")) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    int test_prompts = 0, bad_tok = 0;
    for (int i = 0; i < s.n; i++) {
        test_prompts += parm_prompt_is_test(&s.prompt[i]);
        for (int k = 0; k < NTOK; k++) bad_tok += s.tokens[i * NTOK + k] >= 16;
    }
    CHECK(test_prompts == 0 && bad_tok == 0 && s.vq_fingerprint == parm_vq_fingerprint(&vq), "%d test prompts, %d bad tokens",
          test_prompts, bad_tok);
    /* relabel: the stored verdicts are the grader's on the decoded tokens */
    uint8_t keep = s.verdict[0];
    s.verdict[0] ^= 1;
    int changed = parm_prefset_relabel(&s, &vq);
    CHECK(changed == 1 && s.verdict[0] == keep, "relabel changed %d verdicts (want exactly the flipped one)", changed);
    s.vq_fingerprint ^= 1;
    CHECK(parm_prefset_relabel(&s, &vq) < 0 && strstr(parm_last_error(), "fingerprint"), "%s", parm_last_error());
    s.vq_fingerprint ^= 1;
    /* labels for the trainer test: alternate so every prompt has pairs */
    for (int i = 0; i < s.n; i++) s.verdict[i] = (uint8_t)(i % 3 == 0);
    CHECK(parm_prefset_save(&s, tmp("train.pref")) == 0, "%s", parm_last_error());
    parm_prefset_free(&s);
    parm_gen_free(&g);
    parm_vq_free(&vq);
}


/* A reward-model labeler for the paths of o, reading the test's tiny judge. */
static int open_labeler(parm_searcher *sr, int method, parm_gen *g, parm_vq *vq, const parm_prefset_gen_opts *o) {
    parm_search_opts so = parm_search_defaults(method);
    so.n = o->paths;
    so.sample = o->sample;
    so.judge = tmp("judge.safetensors");
    return parm_search_open(sr, g, vq, &so);
}

/* Guided labels (iterative DPO's ORM / PARM guidance): the reward model, not
 * the grader, gives the verdicts; the paths' tokens are those of a grader set
 * of the same seed; ORM verdict = the judge's P(match) of the decoded final
 * image >= 0.5; PARM marks at most one path per prompt; the labeler is kept in
 * the file, refused by --relabel and by a resume under another labeler. */
static void test_prefset_guided_labels(void) {
    parm_gen g;
    parm_vq vq;
    parm_judge j;
    parm_judge_config jc = {.L = 1, .C = 16, .NH = 2, .F = 32, .text_len = 16};
    CHECK(tiny_models(&g, &vq) == 0 && parm_judge_init(&j, &jc, 7) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    CHECK(parm_judge_save(&j, tmp("judge.safetensors"), PARM_F32) == 0, "%s", parm_last_error());
    parm_prefset_gen_opts o = parm_prefset_gen_defaults();
    o.n_prompts = 4;
    o.paths = 4;
    o.seed = 9;
    o.sample.steps = 3;
    o.quiet = 1;
    CHECK(parm_prefset_generate(&g, &vq, &o, tmp("gr.pref"), NULL) == 0, "%s", parm_last_error());
    parm_prefset gr, orm, pm;
    const int methods[2] = {PARM_SEARCH_ORM, PARM_SEARCH_PARM};
    const char *files[2] = {"orm.pref", "parm.pref"};
    for (int m = 0; m < 2; m++) {
        parm_searcher sr;
        CHECK(open_labeler(&sr, methods[m], &g, &vq, &o) == 0, "%s", parm_last_error());
        if (test_checks_failed_) return;
        parm_prefset_gen_opts go = o;
        go.labeler = m ? PARM_PREF_LABEL_PARM : PARM_PREF_LABEL_ORM;
        go.label = parm_search_pref_label;
        go.label_ctx = &sr;
        CHECK(parm_prefset_generate(&g, &vq, &go, tmp(files[m]), NULL) == 0, "%s", parm_last_error());
        /* resume under another labeler is refused */
        go.resume = 1;
        go.labeler = m ? PARM_PREF_LABEL_ORM : PARM_PREF_LABEL_PARM;
        CHECK(parm_prefset_generate(&g, &vq, &go, tmp(files[m]), NULL) < 0 && strstr(parm_last_error(), "labeler"),
              "resume with another labeler: %s", parm_last_error());
        parm_search_close(&sr);
    }
    CHECK(parm_prefset_load(&gr, tmp("gr.pref")) == 0 && parm_prefset_load(&orm, tmp("orm.pref")) == 0 &&
              parm_prefset_load(&pm, tmp("parm.pref")) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    CHECK(gr.labeler == PARM_PREF_LABEL_GRADER && orm.labeler == PARM_PREF_LABEL_ORM &&
              pm.labeler == PARM_PREF_LABEL_PARM, "labelers %d %d %d", gr.labeler, orm.labeler, pm.labeler);
    CHECK(!memcmp(gr.tokens, orm.tokens, sizeof *gr.tokens * gr.n * NTOK) &&
              !memcmp(gr.tokens, pm.tokens, sizeof *gr.tokens * gr.n * NTOK) &&
              !memcmp(gr.path_seed, orm.path_seed, sizeof *gr.path_seed * gr.n),
          "a reward model's labels changed the sampled tokens");
    int bad = 0, yes = 0, no = 0, pick_many = 0;
    for (int i = 0; i < orm.n; i++) {
        int tok[NTOK];
        uint8_t img[64 * 64 * 3];
        float p = -1;
        for (int k = 0; k < NTOK; k++) tok[k] = orm.tokens[(size_t)i * NTOK + k];
        const char *text = orm.prompt[i].text;
        if (parm_vq_decode(&vq, tok, 1, img, NULL) || parm_judge_prob(&j, PARM_Q_MATCH, &text, 1, img, 1, &p)) bad++;
        bad += orm.verdict[i] != (p >= 0.5f);
        yes += p >= 0.5f;
        no += p < 0.5f;
    }
    for (int q = 0; q < pm.n_prompts; q++) {
        int c = 0;
        for (int k = 0; k < pm.paths_per_prompt; k++) c += pm.verdict[q * pm.paths_per_prompt + k];
        pick_many += c > 1;
    }
    CHECK(bad == 0, "%d ORM verdicts are not P(match) >= 0.5 (%d yes, %d no)", bad, yes, no);
    CHECK(pick_many == 0, "PARM labeled more than one path of %d prompts", pick_many);
    CHECK(parm_prefset_relabel(&orm, &vq) < 0 && strstr(parm_last_error(), "not the grader"),
          "relabel of a judge-labeled set: %s", parm_last_error());
    /* ORM guidance of a set sampled before: relabeling the grader set's kept
     * tokens gives exactly the verdicts of sampling it with the ORM labeler */
    parm_searcher sr;
    CHECK(open_labeler(&sr, PARM_SEARCH_ORM, &g, &vq, &o) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    int changed = parm_prefset_relabel_final(&gr, &vq, PARM_PREF_LABEL_ORM, parm_search_pref_label, &sr, 1);
    CHECK(changed >= 0 && gr.labeler == PARM_PREF_LABEL_ORM && !memcmp(gr.verdict, orm.verdict, gr.n),
          "relabel by ORM: %d changed, labeler %d, verdicts %s those of an ORM-labeled sampling (%s)", changed,
          gr.labeler, memcmp(gr.verdict, orm.verdict, gr.n) ? "differ from" : "equal", parm_last_error());
    CHECK(parm_prefset_relabel_final(&gr, &vq, PARM_PREF_LABEL_PARM, parm_search_pref_label, &sr, 1) < 0 &&
              strstr(parm_last_error(), "step image"), "relabel by PARM: %s", parm_last_error());
    parm_search_close(&sr);
    parm_prefset_free(&gr);
    parm_prefset_free(&orm);
    parm_prefset_free(&pm);
    parm_judge_free(&j);
    parm_gen_free(&g);
    parm_vq_free(&vq);
}

static parm_dpo_train_opts tiny_dpo(void) {
    parm_dpo_train_opts o = parm_dpo_train_defaults();
    o.train.init = tmp("gen.safetensors");
    o.data = tmp("train.pref");
    o.vq_path = tmp("vq.safetensors");
    o.train.batch = 2;
    o.train.warmup = 2;
    o.train.lr = 1e-3f;
    o.train.lr_min = o.train.lr;
    o.train.quiet = 1;
    o.train.ckpt_every = 0;
    o.beta = 0.5f;
    return o;
}

static void test_dpo_trainer_learns_and_resumes(void) {
    parm_dpo_train_opts o = tiny_dpo();
    parm_dpo_result r;
    o.train.steps = 30;
    o.train.out = tmp("dpo.safetensors");
    o.train.log = tmp("dpo.csv");
    o.max_pairs_per_prompt = 1; /* 6 pairs: 5 epochs */
    CHECK(parm_dpo_train(&o, &r) == 0, "%s", parm_last_error());
    CHECK(r.pairs == 6 && r.steps == 30, "%d pairs, %ld steps", r.pairs, r.steps);
    CHECK(r.loss_first < log(2.0) + 1e-3 && r.loss_last < 0.5 * r.loss_first, "loss %.4f -> %.4f (starts at log 2)",
          r.loss_first, r.loss_last);
    char *csv;
    size_t len;
    CHECK(parm_read_file(tmp("dpo.csv"), &csv, &len) == 0 &&
              strstr(csv, "step,pairs,loss,dpo,sft,reward_acc,margin,drift_chosen,drift_rejected,eval_acc,seconds"),
          "CSV header");
    int rows = 0;
    for (char *c = csv; c && *c; c++) rows += *c == '\n';
    CHECK(rows == 4 && strstr(csv, "\n10,20,") && strstr(csv, "\n30,60,"), "CSV rows every 10 steps: %s", csv);
    free(csv);
    parm_gen a;
    CHECK(parm_gen_load(&a, tmp("dpo.safetensors")) == 0 && a.vq_fingerprint != 0, "%s", parm_last_error());
    parm_gen_free(&a);
    /* steps 0 = one epoch of the pairs */
    o.train.steps = 0;
    o.train.log = NULL;
    CHECK(parm_dpo_train(&o, &r) == 0 && r.steps == 3, "one epoch of 6 pairs by 2: %ld steps; %s", r.steps,
          parm_last_error());
    /* exact resume: 6 straight = 3, then resumed to 6 */
    o.train.out = NULL;
    o.train.steps = 6;
    o.train.ckpt = tmp("da.ckpt");
    CHECK(parm_dpo_train(&o, NULL) == 0, "%s", parm_last_error());
    o.train.steps = 3;
    o.train.ckpt = tmp("db.ckpt");
    CHECK(parm_dpo_train(&o, NULL) == 0, "%s", parm_last_error());
    o.train.steps = 6;
    o.train.resume = tmp("db.ckpt");
    CHECK(parm_dpo_train(&o, NULL) == 0, "%s", parm_last_error());
    parm_gen x, y;
    long kx, ky;
    parm_rng rx, ry;
    CHECK(parm_gen_load(&x, tmp("gen.safetensors")) == 0 && parm_gen_load(&y, tmp("gen.safetensors")) == 0, "%s",
          parm_last_error());
    CHECK(parm_ckpt_load(&x.p, tmp("da.ckpt"), &kx, &rx) == 0 && parm_ckpt_load(&y.p, tmp("db.ckpt"), &ky, &ry) == 0,
          "%s", parm_last_error());
    CHECK(kx == 6 && ky == 6 && !memcmp(&rx, &ry, sizeof rx) && !memcmp(x.p.w, y.p.w, sizeof(float) * x.p.numel) &&
              !memcmp(x.p.m, y.p.m, sizeof(float) * x.p.numel),
          "resumed DPO run differs from a straight one");
    parm_gen_free(&x);
    parm_gen_free(&y);
    /* refusals */
    o = tiny_dpo();
    o.train.out = tmp("never.safetensors");
    o.data = NULL;
    CHECK(parm_dpo_train(&o, NULL) < 0 && strstr(parm_last_error(), "--data"), "%s", parm_last_error());
    o.data = tmp("missing.pref");
    CHECK(parm_dpo_train(&o, NULL) < 0 && strstr(parm_last_error(), "missing.pref"), "%s", parm_last_error());
    o.data = tmp("g1.pref");
    o.vq_path = GEN_FIX;
    CHECK(parm_dpo_train(&o, NULL) < 0, "a generator as the VQ accepted");
    o.vq_path = tmp("vq.safetensors");
    o.train.init = GEN_FIX; /* 16 codes but text_len 8: sizes differ from the reference */
    o.ref = tmp("gen.safetensors");
    CHECK(parm_dpo_train(&o, NULL) < 0 && strstr(parm_last_error(), "sizes"), "%s", parm_last_error());
    o.train.init = tmp("gen.safetensors");
    o.ref = NULL;
    o.vq_path = tmp("vq.safetensors");
    o.beta = 0;
    CHECK(parm_dpo_train(&o, NULL) < 0 && strstr(parm_last_error(), "beta"), "%s", parm_last_error());
    CHECK(access(tmp("never.safetensors"), F_OK) != 0, "a refused run wrote its output");
}

int main(void) {
    snprintf(T, sizeof T, "/tmp/parm_test_dpo_%d", (int)getpid());
    if (parm_mkdirs(T)) { fprintf(stderr, "%s\n", parm_last_error()); return 1; }
    RUN(test_dpo_matches_pytorch);
    RUN(test_identity_at_reference);
    RUN(test_prefset_roundtrip_pairs_refusals);
    RUN(test_prefset_generate_resume_relabel);
    RUN(test_prefset_guided_labels);
    RUN(test_dpo_trainer_learns_and_resumes);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", T);
    if (system(cmd)) {}
    return TEST_SUMMARY();
}
