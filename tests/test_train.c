/* test_train.c — the one training loop (parm/train.h): a toy trainer
 * (least squares on random inputs drawn from the training RNG) checks the
 * loop's contract — learning, exact resume, checkpoint periods including
 * ckpt_every = 0, the NaN guard, the CSV log and its errors, refused options —
 * and the VQ and generator trainers resume bit-exactly through it. */
#include <stdlib.h>
#include <unistd.h>

#include "parm.h"
#include "parm/gen.h"
#include "parm/train.h"
#include "parm/vq.h"
#include "test.h"

#define DIM 8

static char T[64];
static const char *tmp(const char *name) {
    static char buf[8][256];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 256, "%s/%s", T, name);
    return b;
}

/* y = a·x for a fixed a; the loss is (w·x − y)² averaged over the batch */
typedef struct {
    parm_slab p;
    int batch, begun, after, evals, nan_at, lazy; /* lazy: draws only its shard's examples (wrong) */
    float a[DIM];
} toy;

static int toy_init(toy *t, int batch) {
    memset(t, 0, sizeof *t);
    t->batch = batch;
    t->nan_at = -1;
    int64_t shape[1] = {DIM};
    if (parm_slab_add(&t->p, "w", 1, shape, 1) < 0 || parm_slab_alloc(&t->p)) return -1;
    for (int i = 0; i < DIM; i++) t->a[i] = (float)(i - 3) / 2;
    return 0;
}

static int toy_step(void *ctx, parm_rng *rng, long step, parm_shard *sh, float *loss) {
    toy *t = ctx;
    float *w = t->p.w, *g = t->p.g;
    const int n = sh->hi - sh->lo;
    double l = 0;
    for (int b = 0; b < t->batch; b++) {
        float x[DIM], r = 0;
        if (t->lazy && b >= sh->hi) break;
        for (int i = 0; i < DIM; i++) x[i] = parm_rng_normal(rng);
        if (b < sh->lo || b >= sh->hi) continue;
        for (int i = 0; i < DIM; i++) r += (w[i] - t->a[i]) * x[i];
        l += (double)r * r / n;
        for (int i = 0; i < DIM; i++) g[i] += 2 * r * x[i] / n;
    }
    *loss = step == t->nan_at ? NAN : (float)l;
    return 0;
}
static int toy_begin(void *ctx, parm_rng *rng, long step) { (void)rng; (void)step; ((toy *)ctx)->begun++; return 0; }
static int toy_after(void *ctx, parm_rng *rng, long step, int quiet) {
    (void)rng; (void)step; (void)quiet;
    ((toy *)ctx)->after++;
    return 0;
}
static int toy_eval(void *ctx, long step, int quiet) { (void)step; (void)quiet; ((toy *)ctx)->evals++; return 0; }
static void toy_row(void *ctx, int evaluated, char *buf, size_t n) {
    snprintf(buf, n, "%d", evaluated ? ((toy *)ctx)->evals : -1);
}
static int toy_save(void *ctx, const char *path) { return parm_slab_save(&((toy *)ctx)->p, path, PARM_F32, NULL, 0); }

static parm_trainer toy_trainer(toy *t) {
    return (parm_trainer){.label = "train toy", .unit = "examples", .params = &t->p, .ctx = t, .log_columns = "evals",
                          .step = toy_step, .begin = toy_begin, .after_step = toy_after, .evaluate = toy_eval,
                          .log_row = toy_row, .save = toy_save};
}

static parm_train_opts toy_opts(void) {
    parm_train_opts o = parm_train_defaults();
    o.batch = 4;
    o.lr = 0.05f;
    o.lr_min = 0.05f;
    o.warmup = 0;
    o.weight_decay = 0;
    o.quiet = 1;
    return o;
}

static void test_toy_learns_and_logs(void) {
    toy t;
    CHECK(toy_init(&t, 4) == 0, "%s", parm_last_error());
    parm_trainer tr = toy_trainer(&t);
    parm_train_opts o = toy_opts();
    o.steps = 250;
    o.eval_every = 100;
    o.ckpt_every = 0; /* only at the end (was a division by zero) */
    o.out = tmp("sub/dir/toy.safetensors");
    o.ckpt = tmp("sub/toy.ckpt");
    o.log = tmp("sub/toy.csv");
    parm_train_stats st;
    CHECK(parm_train(&o, &tr, &st) == 0, "%s", parm_last_error());
    printf("    toy least squares, 250 steps: loss %.4g -> %.4g\n", st.loss_first, st.loss_last);
    CHECK(st.loss_last < 1e-3 * st.loss_first, "loss %g -> %g", st.loss_first, st.loss_last);
    CHECK(st.step == 250 && st.samples == 1000, "step %ld samples %ld", st.step, st.samples);
    CHECK(t.begun == 1 && t.after == 250 && t.evals == 3, "begin %d after %d evals %d (want 1, 250, 3)", t.begun,
          t.after, t.evals);
    long step = 0;
    CHECK(parm_ckpt_load(&t.p, o.ckpt, &step, NULL) == 0 && step == 250, "final checkpoint: %s, step %ld",
          parm_last_error(), step);
    CHECK(access(o.out, F_OK) == 0, "no final weights at %s", o.out);
    char *csv = NULL;
    CHECK(parm_read_file(o.log, &csv, NULL) == 0, "%s", parm_last_error());
    if (csv) {
        CHECK(!strncmp(csv, "step,examples,loss,evals,seconds\n100,400,", 41), "CSV starts '%.60s'", csv);
        CHECK(strstr(csv, "\n200,800,") && strstr(csv, "\n250,1000,"), "CSV rows: %s", csv);
        int rows = 0;
        for (char *c = csv; *c; c++) rows += *c == '\n';
        CHECK(rows == 4, "%d CSV lines (header + steps 100, 200, 250)", rows);
    }
    free(csv);
    parm_slab_free(&t.p);
}

/* N straight steps = k steps, then a resume to N: same weights, moments, RNG */
static void test_toy_exact_resume(void) {
    toy a, b;
    CHECK(toy_init(&a, 3) == 0 && toy_init(&b, 3) == 0, "%s", parm_last_error());
    parm_trainer ta = toy_trainer(&a), tb = toy_trainer(&b);
    parm_train_opts o = toy_opts();
    o.warmup = 3; /* then constant (lr_min = lr), so the shorter run's schedule is the longer one's */
    o.steps = 17;
    o.ckpt_every = 5;
    o.ckpt = tmp("a.ckpt");
    o.log = tmp("a.csv");
    CHECK(parm_train(&o, &ta, NULL) == 0, "%s", parm_last_error());
    o.steps = 10;
    o.ckpt = tmp("b.ckpt");
    o.log = tmp("b.csv");
    CHECK(parm_train(&o, &tb, NULL) == 0, "%s", parm_last_error());
    toy c;
    CHECK(toy_init(&c, 3) == 0, "%s", parm_last_error());
    parm_trainer tc = toy_trainer(&c);
    o.steps = 17;
    o.resume = tmp("b.ckpt");
    CHECK(parm_train(&o, &tc, NULL) == 0, "%s", parm_last_error());
    CHECK(c.begun == 1 && c.after == 7, "resumed run: begin %d, %d steps (want 1, 7)", c.begun, c.after);
    CHECK(!memcmp(a.p.w, c.p.w, sizeof(float) * a.p.numel) && !memcmp(a.p.m, c.p.m, sizeof(float) * a.p.numel) &&
              !memcmp(a.p.v, c.p.v, sizeof(float) * a.p.numel),
          "resumed weights or moments differ from a straight run");
    parm_slab_free(&a.p);
    parm_slab_free(&b.p);
    parm_slab_free(&c.p);
}

/* Gradient shards (parm/train.h; the ranks of `mpirun` take them in
 * tests/check_mpi.sh): S = 3 follows S = 1 within rounding, resumes
 * bit-exactly with the checkpoint's shard count, and a step drawing only its
 * own examples is refused. */
static void test_toy_shards(void) {
    toy a, b, c;
    CHECK(toy_init(&a, 6) == 0 && toy_init(&b, 6) == 0 && toy_init(&c, 6) == 0, "%s", parm_last_error());
    parm_trainer ta = toy_trainer(&a), tb = toy_trainer(&b), tc = toy_trainer(&c);
    parm_train_opts o = toy_opts();
    o.warmup = 0;
    o.steps = 17;
    o.ckpt_every = 5;
    o.ckpt = tmp("s1.ckpt");
    CHECK(parm_train(&o, &ta, NULL) == 0, "%s", parm_last_error());
    o.shards = 3;
    o.ckpt = tmp("s3.ckpt");
    parm_train_stats st;
    CHECK(parm_train(&o, &tb, &st) == 0 && st.shards == 3 && st.ranks == 1, "%s", parm_last_error());
    double d = 0;
    for (size_t i = 0; i < a.p.numel; i++) d = fmax(d, fabs(a.p.w[i] - b.p.w[i]));
    printf("    3 gradient shards vs 1, 17 steps: max weight difference %.3g\n", d);
    CHECK(d < 1e-5, "3 shards drift %g from 1", d);
    o.steps = 10;
    o.ckpt = tmp("s3b.ckpt");
    CHECK(parm_train(&o, &tc, NULL) == 0, "%s", parm_last_error());
    toy e;
    CHECK(toy_init(&e, 6) == 0, "%s", parm_last_error());
    parm_trainer te = toy_trainer(&e);
    o.steps = 17;
    o.shards = 0; /* the checkpoint's */
    o.resume = tmp("s3b.ckpt");
    CHECK(parm_train(&o, &te, NULL) == 0, "%s", parm_last_error());
    CHECK(!memcmp(b.p.w, e.p.w, sizeof(float) * b.p.numel) && !memcmp(b.p.m, e.p.m, sizeof(float) * b.p.numel),
          "a 3-shard run resumed without --shards left its trajectory");
    o.resume = NULL;
    o.shards = 2;
    e.lazy = 1;
    CHECK(parm_train(&o, &te, NULL) < 0 && strstr(parm_last_error(), "drew other random numbers"), "%s",
          parm_last_error());
    o.shards = 7;
    CHECK(parm_train(&o, &te, NULL) < 0 && strstr(parm_last_error(), "shards 7"), "%s", parm_last_error());
    parm_slab_free(&a.p);
    parm_slab_free(&b.p);
    parm_slab_free(&c.p);
    parm_slab_free(&e.p);
}

static void test_toy_refusals(void) {
    toy t;
    CHECK(toy_init(&t, 2) == 0, "%s", parm_last_error());
    parm_trainer tr = toy_trainer(&t);
    parm_train_opts o = toy_opts();
    o.steps = 5;
    CHECK(parm_train(&o, &tr, NULL) < 0 && strstr(parm_last_error(), "no output path"), "%s", parm_last_error());
    o.out = "";
    o.ckpt = "";
    CHECK(parm_train(&o, &tr, NULL) < 0 && strstr(parm_last_error(), "no output path"), "'' paths: %s",
          parm_last_error());
    o.ckpt = tmp("r.ckpt");
    o.steps = 0;
    CHECK(parm_train(&o, &tr, NULL) < 0 && strstr(parm_last_error(), "steps 0"), "%s", parm_last_error());
    o.steps = 5;
    o.ckpt_every = -1;
    CHECK(parm_train(&o, &tr, NULL) < 0 && strstr(parm_last_error(), "ckpt_every -1"), "%s", parm_last_error());
    o.ckpt_every = 0;
    t.nan_at = 2;
    CHECK(parm_train(&o, &tr, NULL) < 0 && strstr(parm_last_error(), "loss is nan at step 2"), "%s",
          parm_last_error());
    t.nan_at = -1;
    /* a log that cannot be written is an error, not a silent skip */
    FILE *f = fopen(tmp("afile"), "w");
    if (f) fclose(f);
    o.log = tmp("afile/x.csv");
    CHECK(parm_train(&o, &tr, NULL) < 0 && strstr(parm_last_error(), "afile"), "%s", parm_last_error());
    o.log = NULL;
    o.ckpt = tmp("afile/x.ckpt");
    CHECK(parm_train(&o, &tr, NULL) < 0 && strstr(parm_last_error(), "afile"), "%s", parm_last_error());
    o.ckpt = NULL;
    o.out = tmp("r.safetensors");
    tr.save = NULL;
    CHECK(parm_train(&o, &tr, NULL) < 0 && strstr(parm_last_error(), "save"), "%s", parm_last_error());
    parm_slab_free(&t.p);
}

static int same_ckpt(const char *a, const char *b, parm_slab *sa, parm_slab *sb) {
    long ka = 0, kb = 0;
    parm_rng ra, rb;
    if (parm_ckpt_load(sa, a, &ka, &ra) || parm_ckpt_load(sb, b, &kb, &rb)) return 0;
    return ka == kb && !memcmp(&ra, &rb, sizeof ra) && !memcmp(sa->w, sb->w, sizeof(float) * sa->numel) &&
           !memcmp(sa->m, sb->m, sizeof(float) * sa->numel);
}

/* A model's trainer run straight to `n` steps with checkpoint a, to k with
 * checkpoint b, then resumed from b to n (train(o) reads *t). */
static int straight_and_resumed(int (*train)(const void *), const void *o, parm_train_opts *t, long n, long k,
                                const char *a, const char *b) {
    int rc = 0;
    t->steps = n;
    t->ckpt = a;
    rc |= train(o);
    t->out = NULL;
    t->steps = k;
    t->ckpt = b;
    rc |= train(o);
    t->steps = n;
    t->resume = b;
    rc |= train(o);
    t->resume = NULL;
    return rc;
}
static int vq_train(const void *o) { return parm_vq_train(o); }
static int gen_train(const void *o) { return parm_gen_train(o); }

/* the VQ through the loop: dead-code restarts and the codebook init keep resume exact */
static void test_vq_exact_resume(void) {
    parm_vq_train_opts o = parm_vq_train_defaults();
    o.cfg = (parm_vq_config){.width = 8, .dim = 4, .ncodes = 16, .beta = 0.25f};
    o.train.batch = 2;
    o.train.warmup = 2;
    o.train.lr_min = o.train.lr; /* constant after warmup: the shorter run's schedule is the longer one's */
    o.train.eval_every = 0;
    o.train.quiet = 1;
    o.restart_every = 2;
    o.train.ckpt_every = 3; /* rounded up to 4 */
    o.train.out = tmp("vq.safetensors");
    CHECK(straight_and_resumed(vq_train, &o, &o.train, 8, 4, tmp("vqa.ckpt"), tmp("vqb.ckpt")) == 0, "%s",
          parm_last_error());
    parm_vq a, b;
    CHECK(parm_vq_init(&a, &o.cfg, 0) == 0 && parm_vq_init(&b, &o.cfg, 1) == 0, "%s", parm_last_error());
    CHECK(same_ckpt(tmp("vqa.ckpt"), tmp("vqb.ckpt"), &a.p, &b.p), "resumed VQ differs from a straight run: %s",
          parm_last_error());
    parm_vq_free(&a);
    parm_vq_free(&b);
    o.train.init = tmp("vq.safetensors");
    CHECK(parm_vq_train(&o) < 0 && strstr(parm_last_error(), "init"), "%s", parm_last_error());
}

/* the generator through the loop (on the VQ just trained) */
static void test_gen_exact_resume(void) {
    parm_gen_train_opts o = parm_gen_train_defaults();
    o.cfg = (parm_gen_config){.L = 1, .C = 16, .NH = 2, .F = 32, .text_len = 16};
    o.vq_path = tmp("vq.safetensors");
    o.train.batch = 2;
    o.train.warmup = 2;
    o.train.lr_min = o.train.lr;
    o.train.eval_every = 0;
    o.train.quiet = 1;
    o.train.ckpt_every = 0;
    CHECK(straight_and_resumed(gen_train, &o, &o.train, 6, 3, tmp("ga.ckpt"), tmp("gb.ckpt")) == 0, "%s",
          parm_last_error());
    parm_gen a, b;
    parm_gen_config c = o.cfg;
    c.ncodes = 16;
    CHECK(parm_gen_init(&a, &c, 0) == 0 && parm_gen_init(&b, &c, 1) == 0, "%s", parm_last_error());
    CHECK(same_ckpt(tmp("ga.ckpt"), tmp("gb.ckpt"), &a.p, &b.p), "resumed generator differs from a straight run: %s",
          parm_last_error());
    parm_gen_free(&a);
    parm_gen_free(&b);
    o.vq_path = NULL;
    CHECK(parm_gen_train(&o) < 0 && strstr(parm_last_error(), "VQ"), "no VQ path: %s", parm_last_error());
}

int main(void) {
    snprintf(T, sizeof T, "/tmp/parm_test_train_%d", (int)getpid());
    if (parm_mkdirs(T)) { fprintf(stderr, "%s\n", parm_last_error()); return 1; }
    RUN(test_toy_learns_and_logs);
    RUN(test_toy_shards);
    RUN(test_toy_exact_resume);
    RUN(test_toy_refusals);
    RUN(test_vq_exact_resume);
    RUN(test_gen_exact_resume);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", T);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", T);
    return TEST_SUMMARY();
}
