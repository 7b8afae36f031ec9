/* test_nn.c — the training engine: parameter slab, AdamW, LR schedule, grad
 * clipping, safetensors I/O (round trips, corrupt/truncated files) and
 * checkpoints, against PyTorch golden fixtures from tools/make_fixtures_nn.py. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parm.h"
#include "parm/nn.h"
#include "test.h"

#pragma GCC diagnostic ignored "-Wformat-zero-length" /* CHECK(cond) without a message */

static char tmpdir[256];
static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* Open a fixture, or fail the test with the reason. */
static int open_fixture(parm_st_file *f, const char *name) {
    char p[256];
    snprintf(p, sizeof p, "tests/fixtures/%s", name);
    int rc = parm_st_open(f, p);
    CHECK(rc == 0, "%s", parm_last_error());
    return rc;
}

/* Read a fixture tensor of known numel as f32 (malloc'd). */
static float *fx(const parm_st_file *f, const char *name, long *numel) {
    const parm_st_tensor *t = parm_st_find(f, name);
    CHECK(t != NULL, "fixture tensor %s missing", name);
    if (!t) return calloc(1, 4);
    float *d = malloc((t->numel ? t->numel : 1) * sizeof(float));
    CHECK(parm_st_read_f32(f, name, d, t->ndim, t->shape) == 0, "%s", parm_last_error());
    if (numel) *numel = (long)t->numel;
    return d;
}

/* ---- slab ---- */
static void test_slab_basics(void) {
    parm_slab s = {0};
    int64_t a[2] = {3, 5}, b[1] = {7};
    CHECK(parm_slab_add(&s, "a", 2, a, 1) == 0);
    CHECK(parm_slab_add(&s, "b", 1, b, 0) == 1);
    CHECK(parm_slab_add(&s, "a", 1, b, 0) < 0, "duplicate name must fail");
    CHECK(strstr(parm_last_error(), "duplicate") != NULL, "%s", parm_last_error());
    CHECK(parm_slab_alloc(&s) == 0);
    CHECK(s.views[1].offset % 16 == 0 && s.views[1].offset >= 15, "views are 16-float aligned");
    CHECK(((uintptr_t)s.w & 63) == 0, "slab 64-byte aligned");
    CHECK(parm_slab_find(&s, "b") == 1 && parm_slab_find(&s, "c") == -1);
    CHECK(parm_slab_add(&s, "c", 1, b, 0) < 0, "add after alloc must fail");
    parm_init_const(&s, 0, 2.0f);
    parm_rng r;
    parm_rng_seed(&r, 1, PARM_STREAM_INIT);
    parm_init_normal(&s, 1, 0.02f, &r);
    CHECK(parm_w(&s, 0)[14] == 2.0f && s.w[15] == 0.0f, "padding stays zero");
    double ss = 0;
    for (int i = 0; i < 7; i++) ss += parm_w(&s, 1)[i] * parm_w(&s, 1)[i];
    CHECK(ss > 0 && ss < 7 * 0.01, "normal init scale");
    for (size_t i = 0; i < s.numel; i++) s.g[i] = 1.0f;
    parm_slab_zero_grad(&s);
    CHECK(s.g[0] == 0 && s.g[s.numel - 1] == 0);
    parm_slab_free(&s);
}

/* ---- LR schedule, clipping ---- */
static void test_lr_and_clip(void) {
    /* warmup 10 to 1e-3, cosine to 1e-4 at 110 */
    CHECK(fabsf(parm_lr_cosine(1, 10, 110, 1e-3f, 1e-4f) - 1e-4f) < 1e-9f);
    CHECK(fabsf(parm_lr_cosine(5, 10, 110, 1e-3f, 1e-4f) - 5e-4f) < 1e-9f);
    CHECK(fabsf(parm_lr_cosine(10, 10, 110, 1e-3f, 1e-4f) - 1e-3f) < 1e-9f);
    CHECK(fabsf(parm_lr_cosine(60, 10, 110, 1e-3f, 1e-4f) - 5.5e-4f) < 1e-9f);
    float q = (float)(1e-4 + 0.5 * 9e-4 * (1 + cos(M_PI * 0.25)));
    CHECK(fabsf(parm_lr_cosine(35, 10, 110, 1e-3f, 1e-4f) - q) < 1e-9f);
    CHECK(fabsf(parm_lr_cosine(110, 10, 110, 1e-3f, 1e-4f) - 1e-4f) < 1e-9f);
    CHECK(fabsf(parm_lr_cosine(500, 10, 110, 1e-3f, 1e-4f) - 1e-4f) < 1e-9f, "clamped after total");
    CHECK(fabsf(parm_lr_cosine(0, 0, 100, 1e-3f, 0) - 1e-3f) < 1e-9f, "no warmup starts at lr_max");
    CHECK(fabsf(parm_lr_cosine(50, 0, 100, 1e-3f, 0) - 5e-4f) < 1e-9f, "no warmup: half way");

    parm_slab s = {0};
    int64_t a[1] = {3}, b[1] = {2};
    parm_slab_add(&s, "a", 1, a, 1);
    parm_slab_add(&s, "b", 1, b, 0);
    CHECK(parm_slab_alloc(&s) == 0);
    float ga[3] = {3, 0, -4}, gb[2] = {12, 0}; /* norm 13 */
    memcpy(parm_g(&s, 0), ga, sizeof ga);
    memcpy(parm_g(&s, 1), gb, sizeof gb);
    CHECK(fabsf(parm_grad_norm(&s) - 13.0f) < 1e-5f);
    float n = parm_clip_grad_norm(&s, 100.0f);
    CHECK(fabsf(n - 13.0f) < 1e-5f && parm_g(&s, 0)[0] == 3.0f, "no clip below max");
    n = parm_clip_grad_norm(&s, 1.0f);
    float coef = 1.0f / (13.0f + 1e-6f); /* torch: max_norm / (norm + 1e-6) */
    CHECK(fabsf(n - 13.0f) < 1e-5f);
    CHECK(fabsf(parm_g(&s, 0)[2] - (-4.0f * coef)) < 1e-7f && fabsf(parm_g(&s, 1)[0] - 12.0f * coef) < 1e-7f);
    CHECK(fabsf(parm_grad_norm(&s) - 1.0f) < 1e-5f, "norm after clip %g", parm_grad_norm(&s));
    parm_slab_free(&s);
}

/* ---- AdamW against torch.optim.AdamW on fixed grads ---- */
static void test_adamw_vs_torch(void) {
    parm_st_file f;
    if (open_fixture(&f, "nn_adamw.safetensors")) return;
    parm_slab s = {0};
    int64_t s1[2] = {4, 3}, s2[1] = {3};
    parm_slab_add(&s, "p1", 2, s1, 1);
    parm_slab_add(&s, "p2", 1, s2, 0);
    CHECK(parm_slab_alloc(&s) == 0);
    float *i1 = fx(&f, "init.p1", NULL), *i2 = fx(&f, "init.p2", NULL), *g1 = fx(&f, "grads.p1", NULL),
          *g2 = fx(&f, "grads.p2", NULL), *lrs = fx(&f, "lrs", NULL), *f1 = fx(&f, "final.p1", NULL),
          *f2 = fx(&f, "final.p2", NULL), *m1 = fx(&f, "final.m.p1", NULL), *v1 = fx(&f, "final.v.p1", NULL);
    memcpy(parm_w(&s, 0), i1, 12 * 4);
    memcpy(parm_w(&s, 1), i2, 3 * 4);
    parm_adamw opt = parm_adamw_default();
    opt.weight_decay = (float)atof(parm_st_meta(&f, "weight_decay"));
    for (int t = 0; t < 10; t++) {
        parm_slab_zero_grad(&s);
        memcpy(parm_g(&s, 0), g1 + 12 * t, 12 * 4);
        memcpy(parm_g(&s, 1), g2 + 3 * t, 3 * 4);
        CHECK(parm_adamw_step(&s, &opt, lrs[t], t + 1) == 0);
    }
    CHECK_CLOSE("adamw p1 (decay) after 10 steps", parm_w(&s, 0), f1, 12, 2e-6f, 1e-5f);
    CHECK_CLOSE("adamw p2 (no decay) after 10 steps", parm_w(&s, 1), f2, 3, 2e-6f, 1e-5f);
    CHECK_CLOSE("adamw exp_avg p1", s.m + s.views[0].offset, m1, 12, 1e-6f, 1e-5f);
    CHECK_CLOSE("adamw exp_avg_sq p1", s.v + s.views[0].offset, v1, 12, 1e-7f, 1e-5f);
    CHECK(parm_adamw_step(&s, &opt, 1e-3f, 0) < 0, "step 0 is an error");
    free(i1); free(i2); free(g1); free(g2); free(lrs); free(f1); free(f2); free(m1); free(v1);
    parm_slab_free(&s);
    parm_st_close(&f);
}

/* ---- dtypes: conversions against torch's bit patterns; file round trips ---- */
static void test_dtype_conversions(void) {
    parm_st_file f;
    if (open_fixture(&f, "nn_dtypes.safetensors")) return;
    long n = 0;
    float *x = fx(&f, "x", &n), *xh = fx(&f, "x_f16_as_f32", NULL), *xh2 = fx(&f, "x_f16", NULL);
    int32_t *hb = malloc(n * 4), *bb = malloc(n * 4);
    int64_t sh[1] = {n};
    CHECK(parm_st_read_i32(&f, "f16_bits", hb, 1, sh) == 0, "%s", parm_last_error());
    CHECK(parm_st_read_i32(&f, "bf16_bits", bb, 1, sh) == 0, "%s", parm_last_error());
    CHECK(parm_st_read_i32(&f, "x", hb + 0, 1, sh) < 0, "reading F32 as I32 must fail");
    CHECK(parm_st_read_i32(&f, "f16_bits", hb, 1, sh) == 0);
    int bad16 = 0, badb = 0, badback = 0, badfile = 0;
    for (long i = 0; i < n; i++) {
        uint16_t h = parm_f32_to_f16(x[i]), b = parm_f32_to_bf16(x[i]);
        if (h != (uint16_t)hb[i]) { if (!bad16++) fprintf(stderr, "    f16 %.9g: got %04x torch %04x\n", x[i], h, hb[i]); }
        if (b != (uint16_t)bb[i]) { if (!badb++) fprintf(stderr, "    bf16 %.9g: got %04x torch %04x\n", x[i], b, bb[i]); }
        float back = parm_f16_to_f32(h);
        if (memcmp(&back, &xh[i], 4) && !(back != back && xh[i] != xh[i])) badback++;
        if (memcmp(&xh2[i], &xh[i], 4) && !(xh2[i] != xh2[i])) badfile++;
    }
    printf("    %ld values: f16 mismatches %d, bf16 mismatches %d, f16->f32 %d, F16 file read %d\n", n, bad16, badb,
           badback, badfile);
    CHECK(bad16 == 0 && badb == 0 && badback == 0 && badfile == 0);
    CHECK(parm_bf16_to_f32(parm_f32_to_bf16(1.0f)) == 1.0f);

    /* write F32 / F16 / BF16 / I32 and read back */
    int32_t iv[5] = {-7, 0, 1, 2147483647, -2147483647 - 1};
    parm_st_entry e[4] = {
        {.name = "f32", .dtype = PARM_F32, .ndim = 1, .shape = {n}, .data = x},
        {.name = "f16", .dtype = PARM_F16, .ndim = 2, .shape = {1, n}, .data = x},
        {.name = "bf16", .dtype = PARM_BF16, .ndim = 1, .shape = {n}, .data = x},
        {.name = "i32", .dtype = PARM_I32, .ndim = 1, .shape = {5}, .data = iv},
    };
    const char *meta[] = {"hello", "world", "answer", "42"};
    const char *p = tmp_path("rt.safetensors");
    CHECK(parm_st_write(p, e, 4, meta, 2) == 0, "%s", parm_last_error());
    parm_st_file g;
    CHECK(parm_st_open(&g, p) == 0, "%s", parm_last_error());
    float *r = malloc(n * 4);
    int64_t sh2[2] = {1, n};
    CHECK(parm_st_read_f32(&g, "f32", r, 1, sh) == 0 && !memcmp(r, x, n * 4), "F32 round trip exact");
    CHECK(parm_st_read_f32(&g, "f16", r, 2, sh2) == 0);
    int ok = 1;
    for (long i = 0; i < n; i++) ok &= !memcmp(&r[i], &xh[i], 4) || (r[i] != r[i] && xh[i] != xh[i]);
    CHECK(ok, "F16 round trip == torch x.half().float()");
    CHECK(parm_st_read_f32(&g, "bf16", r, 1, sh) == 0);
    ok = 1;
    for (long i = 0; i < n; i++) {
        float want = parm_bf16_to_f32((uint16_t)bb[i]);
        ok &= !memcmp(&r[i], &want, 4) || (r[i] != r[i] && want != want);
    }
    CHECK(ok, "BF16 round trip == torch x.bfloat16().float()");
    int32_t ir[5];
    int64_t s5[1] = {5};
    CHECK(parm_st_read_i32(&g, "i32", ir, 1, s5) == 0 && !memcmp(ir, iv, sizeof iv), "I32 round trip exact");
    CHECK(parm_st_meta(&g, "answer") && !strcmp(parm_st_meta(&g, "answer"), "42"));
    CHECK(parm_st_meta(&g, "nope") == NULL);
    /* shape mismatch names the file, tensor and both shapes */
    int64_t wrong[1] = {n + 1};
    CHECK(parm_st_read_f32(&g, "f32", r, 1, wrong) < 0);
    char want[64];
    snprintf(want, sizeof want, "[%ld] in the file, expected [%ld]", n, n + 1);
    CHECK(strstr(parm_last_error(), want) && strstr(parm_last_error(), "'f32'") && strstr(parm_last_error(), p),
          "%s", parm_last_error());
    CHECK(parm_st_read_f32(&g, "absent", r, 1, sh) < 0 && strstr(parm_last_error(), "no tensor 'absent'"));
    parm_st_close(&g);
    /* empty file of zero tensors is valid */
    CHECK(parm_st_write(tmp_path("empty.safetensors"), NULL, 0, NULL, 0) == 0);
    CHECK(parm_st_open(&g, tmp_path("empty.safetensors")) == 0 && g.n == 0, "%s", parm_last_error());
    parm_st_close(&g);
    /* writer validation */
    parm_st_entry dup[2] = {e[0], e[0]};
    CHECK(parm_st_write(tmp_path("dup.safetensors"), dup, 2, NULL, 0) < 0 && strstr(parm_last_error(), "duplicate"));
    CHECK(access(tmp_path("dup.safetensors"), F_OK) != 0, "nothing written on error");
    free(x); free(xh); free(xh2); free(hb); free(bb); free(r);
    parm_st_close(&f);
}

/* ---- corrupted and truncated files ---- */
static int write_bytes(const char *path, const unsigned char *b, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    size_t w = fwrite(b, 1, n, fp);
    fclose(fp);
    return w == n ? 0 : -1;
}

/* Open and, if it opens, read every tensor: must never crash. Returns 1 if it opened. */
static int try_load(const char *path) {
    parm_st_file f;
    if (parm_st_open(&f, path)) return 0;
    for (int i = 0; i < f.n; i++) {
        const parm_st_tensor *t = &f.tensors[i];
        float *d = malloc((t->numel ? t->numel : 1) * 4);
        parm_st_read_f32(&f, t->name, d, t->ndim, t->shape);
        free(d);
    }
    parm_st_close(&f);
    return 1;
}

static void test_corrupt_files(void) {
    float a[6] = {1, 2, 3, 4, 5, 6};
    int32_t ids[3] = {1, 2, 3};
    parm_st_entry e[3] = {
        {.name = "a", .dtype = PARM_F32, .ndim = 2, .shape = {2, 3}, .data = a},
        {.name = "h", .dtype = PARM_F16, .ndim = 1, .shape = {6}, .data = a},
        {.name = "ids", .dtype = PARM_I32, .ndim = 1, .shape = {3}, .data = ids},
    };
    const char *meta[] = {"k", "v"};
    const char *p = tmp_path("good.safetensors"), *q = tmp_path("bad.safetensors");
    CHECK(parm_st_write(p, e, 3, meta, 1) == 0, "%s", parm_last_error());
    char *buf;
    size_t n;
    CHECK(parm_read_file(p, &buf, &n) == 0);
    unsigned char *b = (unsigned char *)buf, *c = malloc(n);
    /* every truncation must fail with an error */
    int trunc_ok = 0;
    for (size_t k = 0; k < n; k++) {
        write_bytes(q, b, k);
        trunc_ok += try_load(q);
    }
    printf("    %zu truncations: %d opened (want 0); last error: %s\n", n, trunc_ok, parm_last_error());
    CHECK(trunc_ok == 0);
    write_bytes(q, b, 5);
    CHECK(!try_load(q) && strstr(parm_last_error(), "shorter than the 8-byte"), "%s", parm_last_error());
    write_bytes(q, b, n - 1);
    CHECK(!try_load(q) && strstr(parm_last_error(), "truncated"), "%s", parm_last_error());
    /* every byte replaced by several values: error or success, never a crash */
    static const unsigned char vals[] = {0x00, 0xff, '"', '{', '}', '9', '-', ',', ':', '[', 0x80, 'F'};
    int opened = 0, tries = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t v = 0; v < sizeof vals; v++) {
            if (b[k] == vals[v]) continue;
            memcpy(c, b, n);
            c[k] = vals[v];
            write_bytes(q, c, n);
            opened += try_load(q);
            tries++;
        }
    /* random multi-byte corruption */
    parm_rng r;
    parm_rng_seed(&r, 7, PARM_STREAM_NOISE);
    for (int t = 0; t < 2000; t++) {
        memcpy(c, b, n);
        int nb = parm_rng_int(&r, 1, 4);
        for (int j = 0; j < nb; j++) c[parm_rng_int(&r, 0, (int)n - 1)] = (unsigned char)parm_rng_u32(&r);
        write_bytes(q, c, parm_rng_int(&r, 0, 3) ? n : (size_t)parm_rng_int(&r, 0, (int)n));
        opened += try_load(q);
        tries++;
    }
    printf("    %d corrupted files: %d opened (data bytes / harmless header edits), %d rejected, none crashed\n",
           tries, opened, tries - opened);
    CHECK(opened < tries);

    /* specific corruptions give specific messages */
    struct {
        const char *hdr, *want;
    } cases[] = {
        {"[1,2]", "must be a JSON object"},
        {"{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "unsupported dtype 'F64'"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "needs 12 bytes but data_offsets span 8"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "not a non-negative integer"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", "not a non-negative integer"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", "run past the data region"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "overlaps"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "gap of 4 unused bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "tensors cover 4"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"x\":1}}",
         "is not a string"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", "unexpected bytes after"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "begin <= end"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}}", "at most 4"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", "not valid JSON"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", "duplicate tensor 'a'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t hl = strlen(cases[i].hdr);
        unsigned char f[512] = {0};
        for (int j = 0; j < 8; j++) f[j] = (unsigned char)(hl >> (8 * j));
        memcpy(f + 8, cases[i].hdr, hl);
        write_bytes(q, f, 8 + hl + 8); /* 8 data bytes */
        int opened1 = try_load(q);
        CHECK(!opened1 && strstr(parm_last_error(), cases[i].want) && strstr(parm_last_error(), "bad.safetensors"),
              "case %zu: got '%s', want '%s'", i, parm_last_error(), cases[i].want);
    }
    {   /* header length larger than the file */
        unsigned char f[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
        write_bytes(q, f, 10);
        CHECK(!try_load(q) && strstr(parm_last_error(), "header length 65535"), "%s", parm_last_error());
    }
    CHECK(!try_load(tmp_path("does-not-exist")) && strstr(parm_last_error(), "No such file"), "%s", parm_last_error());
    free(buf);
    free(c);
}

/* ---- slab save/load and checkpoint round trips (no model needed) ---- */
static void test_slab_ckpt_io(void) {
    parm_slab s = {0}, t = {0};
    int64_t a[2] = {5, 7}, b[1] = {3};
    parm_slab_add(&s, "blocks.0.w", 2, a, 1);
    parm_slab_add(&s, "blocks.0.b", 1, b, 0);
    parm_slab_add(&t, "blocks.0.w", 2, a, 1);
    parm_slab_add(&t, "blocks.0.b", 1, b, 0);
    CHECK(parm_slab_alloc(&s) == 0 && parm_slab_alloc(&t) == 0);
    parm_rng r;
    parm_rng_seed(&r, 3, PARM_STREAM_INIT);
    parm_init_normal(&s, 0, 1.0f, &r);
    parm_init_normal(&s, 1, 1.0f, &r);
    for (size_t i = 0; i < s.numel; i++) s.g[i] = s.w[i] * 0.5f;
    parm_adamw opt = parm_adamw_default();
    CHECK(parm_adamw_step(&s, &opt, 1e-3f, 1) == 0);
    const char *meta[] = {"model", "test"};
    CHECK(parm_ckpt_save(&s, tmp_path("c.safetensors"), 1, &r, meta, 1) == 0, "%s", parm_last_error());
    long step = 0;
    parm_rng r2 = {{0}};
    CHECK(parm_ckpt_load(&t, tmp_path("c.safetensors"), &step, &r2) == 0, "%s", parm_last_error());
    CHECK(step == 1 && !memcmp(&r, &r2, sizeof r), "step and rng restored");
    CHECK(!memcmp(s.w, t.w, s.numel * 4) && !memcmp(s.m, t.m, s.numel * 4) && !memcmp(s.v, t.v, s.numel * 4),
          "weights and moments bit-exact");
    const char *bad[] = {"step", "3"};
    CHECK(parm_ckpt_save(&s, tmp_path("x.safetensors"), 1, &r, bad, 1) < 0 && strstr(parm_last_error(), "reserved"));
    /* slab save as F16/BF16: values within rounding */
    CHECK(parm_slab_save(&s, tmp_path("w16.safetensors"), PARM_BF16, meta, 1) == 0, "%s", parm_last_error());
    CHECK(parm_slab_load(&t, tmp_path("w16.safetensors")) == 0, "%s", parm_last_error());
    CHECK_CLOSE("slab BF16 round trip", t.w, s.w, (long)s.numel, 1e-6f, 4e-3f);
    CHECK(parm_slab_save(&s, tmp_path("w.safetensors"), PARM_F32, NULL, 0) == 0);
    /* a checkpoint is not a weights-only file and vice versa */
    CHECK(parm_ckpt_load(&t, tmp_path("w.safetensors"), &step, &r2) < 0 && strstr(parm_last_error(), "not a parm checkpoint"),
          "%s", parm_last_error());
    CHECK(parm_slab_load(&t, tmp_path("c.safetensors")) == 0, "a checkpoint holds the weights too");
    /* wrong model shape: clear error, slab untouched */
    parm_slab u = {0};
    int64_t a2[2] = {5, 8};
    parm_slab_add(&u, "blocks.0.w", 2, a2, 1);
    parm_slab_add(&u, "blocks.0.b", 1, b, 0);
    CHECK(parm_slab_alloc(&u) == 0);
    parm_init_const(&u, 1, 9.0f);
    CHECK(parm_ckpt_load(&u, tmp_path("c.safetensors"), &step, NULL) < 0);
    CHECK(strstr(parm_last_error(), "'blocks.0.w' has shape [5,7] in the file, expected [5,8]"), "%s", parm_last_error());
    CHECK(parm_w(&u, 1)[0] == 9.0f, "slab untouched on failed load");
    parm_slab_free(&s);
    parm_slab_free(&t);
    parm_slab_free(&u);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/parm_test_nn_%d", (int)getpid());
    if (parm_mkdirs(tmpdir)) {
        fprintf(stderr, "%s\n", parm_last_error());
        return 1;
    }
    RUN(test_slab_basics);
    RUN(test_lr_and_clip);
    RUN(test_adamw_vs_torch);
    RUN(test_dtype_conversions);
    RUN(test_corrupt_files);
    RUN(test_slab_ckpt_io);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
    return TEST_SUMMARY();
}
