/* test_mpi.c — `mpirun -np 2 ./parm …` on loopback (parm/dist.h), with tiny
 * models made here (a 1-layer generator, 1-layer judges, a path set of it,
 * DPO pairs of the shipped generator):
 *   - data-parallel training (vq, gen, judge orm-zs and prm, dpo): 2 ranks
 *     and one process with --shards 2 write byte-identical weights,
 *     checkpoints and learning curves (the seconds column aside); against
 *     the unsharded run (--shards 1) the max difference of the loss curve
 *     and of the final checkpoint is printed and bounded;
 *   - a run resumes on another rank count (2 → 1 and 1 → 2) bit-exactly;
 *   - `parm paths` and `parm bench` (gt, baseline, parm, --method all): the
 *     same path set, folders, results.jsonl, run.json and JSON summary as
 *     one process (seconds, times and cwd masked);
 *   - one rank given bad input stops both with a clear message and a
 *     non-zero exit, leaving no output and no temp file: a bad --vq on rank 1
 *     (fails before any collective: the job is aborted) and a bad --resume
 *     on rank 1 (found at the training loop's first agreement: both ranks
 *     exit 1 with rank 1's message).
 * Skipped (not passed) without mpirun or an MPI build of ./parm. As root,
 * mpirun needs OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM), set here. */
#include <dirent.h>
#include <unistd.h>

#include "parm.h"
#include "test.h"
#include "test_shell.h"

static char T[] = "/tmp/parm-test-mpi-XXXXXX";
static char MPI[1024];      /* the mpirun prefix */
static char WD[512];       /* the repository root (absolute) */
static const char *TINY_GEN = "--layers 1 --width 16 --heads 1 --mlp 32";
static const char *TINY_JUDGE = "--layers 1 --width 16 --heads 2 --mlp 16";

static char *read_or_empty(const char *fmt, const char *a, const char *b) {
    char p[1200], *d = NULL;
    snprintf(p, sizeof p, fmt, a, b);
    if (parm_read_file(p, &d, NULL)) { parm_clear_error(); return parm_strdup(""); }
    return d;
}

/* files T/a/name and T/b/name: both exist and are byte-identical */
static int same(const char *a, const char *b) {
    char pa[1200], pb[1200];
    snprintf(pa, sizeof pa, "%s/%s", T, a);
    snprintf(pb, sizeof pb, "%s/%s", T, b);
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int ok = !parm_read_file(pa, &x, &nx) && !parm_read_file(pb, &y, &ny) && nx == ny && !memcmp(x, y, nx);
    if (!ok) fprintf(stderr, "    %s and %s differ (%zu / %zu bytes) %s\n", pa, pb, nx, ny, parm_last_error());
    free(x);
    free(y);
    parm_clear_error();
    return ok;
}

/* a learning curve without its last (seconds) column */
static void drop_seconds(char *s) {
    char *w = s;
    for (char *line = s; *line;) {
        char *end = strchr(line, '\n'), *comma = NULL;
        if (!end) end = line + strlen(line);
        for (char *c = line; c < end; c++)
            if (*c == ',') comma = c;
        char *stop = comma ? comma : end;
        memmove(w, line, (size_t)(stop - line));
        w += stop - line;
        if (*end) *w++ = '\n';
        line = *end ? end + 1 : end;
    }
    *w = 0;
}
static int same_curve(const char *a, const char *b) {
    char *x = read_or_empty("%s/%s", T, a), *y = read_or_empty("%s/%s", T, b);
    drop_seconds(x);
    drop_seconds(y);
    int ok = x[0] && !strcmp(x, y);
    if (!ok) fprintf(stderr, "    curves %s and %s differ:\n%s\n--\n%s\n", a, b, x, y);
    free(x);
    free(y);
    return ok;
}

/* max |a − b| over the F32 tensors of two checkpoints (weights and moments); -1 if unreadable */
static double max_diff(const char *a, const char *b) {
    char pa[1200], pb[1200];
    snprintf(pa, sizeof pa, "%s/%s", T, a);
    snprintf(pb, sizeof pb, "%s/%s", T, b);
    parm_st_file fa, fb;
    if (parm_st_open(&fa, pa)) return -1;
    if (parm_st_open(&fb, pb)) { parm_st_close(&fa); return -1; }
    double d = 0;
    for (int i = 0; i < fa.n && d >= 0; i++) {
        if (fa.tensors[i].dtype != PARM_F32) continue;
        long na = 0, nb = 0;
        float *x = parm_st_alloc_f32(&fa, fa.tensors[i].name, &na), *y = parm_st_alloc_f32(&fb, fa.tensors[i].name, &nb);
        if (!x || !y || na != nb) d = -1;
        for (long k = 0; d >= 0 && k < na; k++) d = fmax(d, fabs((double)x[k] - y[k]));
        free(x);
        free(y);
    }
    parm_st_close(&fa);
    parm_st_close(&fb);
    return d;
}

/* max |Δ| of the loss column (3rd) of two curves of the same steps; -1 if they do not line up */
static double curve_diff(const char *a, const char *b) {
    char *x = read_or_empty("%s/%s", T, a), *y = read_or_empty("%s/%s", T, b);
    double d = 0;
    const char *p = strchr(x, '\n'), *q = strchr(y, '\n');
    while (p && q && p[1] && q[1]) {
        long sa, sb, na, nb;
        double la, lb;
        if (sscanf(p + 1, "%ld,%ld,%lf", &sa, &na, &la) != 3 || sscanf(q + 1, "%ld,%ld,%lf", &sb, &nb, &lb) != 3 ||
            sa != sb) { d = -1; break; }
        d = fmax(d, fabs(la - lb));
        p = strchr(p + 1, '\n');
        q = strchr(q + 1, '\n');
    }
    if (!p != !q || (p && q && !p[1] != !q[1])) d = -1;
    free(x);
    free(y);
    return d;
}

/* no file named *.tmp.* in T/dir */
static int no_temp(const char *dir) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", T, dir);
    DIR *d = opendir(p);
    int ok = 1;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strstr(e->d_name, ".tmp.")) { ok = 0; fprintf(stderr, "    temp file left: %s/%s\n", p, e->d_name); }
    if (d) closedir(d);
    return ok;
}
static int exists(const char *name) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", T, name);
    return access(p, F_OK) == 0;
}

/* `parm train MODEL ARGS` three ways into T/<tag>{1,2,u}.{st,ck,csv}:
 * --shards 2, mpirun -np 2, --shards 1; the first two must be identical */
static void train_three(const char *tag, const char *args, double tol_curve, double tol_w) {
    const char *ways[3] = {"--shards 2", "", "--shards 1"}, *suffix = "12u";
    for (int w = 0; w < 3; w++) {
        int rc = sh("cd %s && %s%s/parm train %s %s --log-every 1 --quiet --out %s%c.st --ckpt %s%c.ck --log %s%c.csv",
                    T, w == 1 ? MPI : "", WD, args, ways[w], tag, suffix[w], tag, suffix[w], tag, suffix[w]);
        char *err = slurp("err");
        CHECK(rc == 0, "%s (%s): exit %d: %s", tag, w == 1 ? "mpirun -np 2" : ways[w], rc, err);
        free(err);
    }
    char a[64], b[64];
    const char *ext[2] = {"st", "ck"};
    for (int e = 0; e < 2; e++) {
        snprintf(a, sizeof a, "%s1.%s", tag, ext[e]);
        snprintf(b, sizeof b, "%s2.%s", tag, ext[e]);
        CHECK(same(a, b), "%s: 2 ranks and --shards 2 differ in %s", tag, ext[e]);
    }
    snprintf(a, sizeof a, "%s1.csv", tag);
    snprintf(b, sizeof b, "%s2.csv", tag);
    CHECK(same_curve(a, b), "%s: 2 ranks and --shards 2 logged different curves", tag);
    char u[64];
    snprintf(u, sizeof u, "%su.csv", tag);
    const double dc = curve_diff(a, u);
    snprintf(a, sizeof a, "%s1.ck", tag);
    snprintf(u, sizeof u, "%su.ck", tag);
    const double dw = max_diff(a, u);
    printf("    %-6s 2 ranks == --shards 2 bit for bit; vs --shards 1: loss curve max |d| %.3g, checkpoint max |d| %.3g\n",
           tag, dc, dw);
    CHECK(dc >= 0 && dc <= tol_curve && dw >= 0 && dw <= tol_w, "%s: unsharded run too far: curve %g (tol %g), "
          "weights %g (tol %g)", tag, dc, tol_curve, dw, tol_w);
}

static void test_mpi_train(void) {
    char args[2048];
    train_three("vq", "vq --steps 6 --batch 4 --width 8 --dim 4 --codes 16 --eval-every 0 --restart-every 2 --seed 2",
                0.05, 0.05);
    snprintf(args, sizeof args, "gen %s --steps 12 --batch 4 --warmup 2 --eval-every 6 --seed 3 --vq %s/weights/vq.safetensors",
             TINY_GEN, WD);
    train_three("gen", args, 0.05, 0.01);
    snprintf(args, sizeof args, "judge --variant orm-zs %s --steps 6 --batch 4 --eval-every 0 --seed 2", TINY_JUDGE);
    train_three("jzs", args, 0.05, 0.01);
    snprintf(args, sizeof args, "judge --variant prm --data %s/p.pset %s --steps 6 --batch 4 --eval-every 0 --seed 2", T,
             TINY_JUDGE);
    train_three("jprm", args, 0.05, 0.01);
    snprintf(args, sizeof args, "dpo --init %s/gen.st --data %s/pairs.pref --steps 4 --batch 2 --warmup 1 --lr 1e-3 --seed 2",
             T, T);
    train_three("dpo", args, 0.05, 0.01);
}

/* 2 ranks to step 4, one process on to 8 (shards from the checkpoint); and 1 → 2 */
static void test_mpi_resume_other_ranks(void) {
    char base[2048];
    /* a constant rate after the warmup: the 4-step run's schedule is the 8-step run's */
    snprintf(base, sizeof base, "cd %s && %%s%s/parm train gen %s --batch 4 --warmup 2 --lr-min 1e-3 --eval-every 0 --seed 3 --vq "
             "%s/weights/vq.safetensors --quiet --log ''", T, WD, TINY_GEN, WD);
    char cmd[4096];
#define RUN_GEN(prefix, rest) (snprintf(cmd, sizeof cmd, base, prefix), sh("%s %s", cmd, rest))
    CHECK(RUN_GEN(MPI, "--steps 8 --ckpt-every 4 --out r_straight.st --ckpt r_straight.ck") == 0, "straight 2-rank run");
    CHECK(RUN_GEN(MPI, "--steps 4 --out '' --ckpt r_a.ck") == 0, "2 ranks to step 4");
    CHECK(RUN_GEN("", "--steps 8 --resume r_a.ck --out r_a.st --ckpt r_a8.ck") == 0, "1 process from step 4");
    CHECK(same("r_straight.st", "r_a.st") && same("r_straight.ck", "r_a8.ck"), "2 → 1 ranks left the trajectory");
    CHECK(RUN_GEN("", "--shards 2 --steps 4 --out '' --ckpt r_b.ck") == 0, "--shards 2 to step 4");
    CHECK(RUN_GEN(MPI, "--steps 8 --resume r_b.ck --out r_b.st --ckpt r_b8.ck") == 0, "2 ranks from step 4");
    CHECK(same("r_straight.st", "r_b.st") && same("r_straight.ck", "r_b8.ck"), "1 → 2 ranks left the trajectory");
#undef RUN_GEN
}

static void test_mpi_paths(void) {
    const char *args = "paths --prompts train --n-prompts 5 --paths 2 --steps 3 --seed 7 --quiet";
    CHECK(sh("cd %s && %s/parm %s --gen gen.st -o p1.pset", T, WD, args) == 0, "paths, 1 process");
    CHECK(sh("cd %s && %s%s/parm %s --gen gen.st -o p2.pset", T, MPI, WD, args) == 0, "paths, 2 ranks");
    CHECK(same("p1.pset", "p2.pset"), "2-rank path set differs");
}

/* a bench folder's files with the run's seconds, times and cwd masked */
static int same_bench(const char *method) {
    return sh("cd %s && diff -r -x run.json b1/%s b2/%s && "
              "for f in b1/%s/run.json b1/%s.json; do g=$(echo $f | sed 's/^b1/b2/'); "
              "sed -E 's/(seconds[a-z_]*\"?:?[[:space:]]*)[0-9.e+-]+/\\1S/g; /\"(start|end|cwd)\"/d' $f > $f.m; "
              "sed -E 's/(seconds[a-z_]*\"?:?[[:space:]]*)[0-9.e+-]+/\\1S/g; /\"(start|end|cwd)\"/d' $g > $g.m; "
              "cmp $f.m $g.m || exit 1; done", T, method, method, method, method) == 0;
}

static void test_mpi_bench(void) {
    const char *methods[] = {"gt", "baseline", "parm", "all"};
    for (int m = 0; m < 4; m++) {
        const int search = m > 0;
        char args[2048];
        snprintf(args, sizeof args, "bench --method %s --prompts 3 --images-per-prompt 2 %s --json --gen %s/gen.st "
                 "--judge-dir %s --out %s", methods[m], search ? "--steps 3 -n 2" : "", T, T, methods[m]);
        CHECK(sh("mkdir -p %s/b1 %s/b2 && cd %s/b1 && %s/parm %s > %s.json", T, T, T, WD, args, methods[m]) == 0,
              "bench %s, 1 process", methods[m]);
        CHECK(sh("cd %s/b2 && %s%s/parm %s > %s.json", T, MPI, WD, args, methods[m]) == 0, "bench %s, 2 ranks: %s",
              methods[m], slurp("err"));
        CHECK(same_bench(methods[m]), "bench %s: 2 ranks wrote other files than 1 process: %s", methods[m], slurp("out"));
    }
}

static void test_mpi_bad_rank(void) {
    char a[1024];
    snprintf(a, sizeof a, "train gen %s --batch 4 --steps 6 --eval-every 0 --ckpt-every 0 --seed 3 --quiet", TINY_GEN);
    /* MPMD (mpirun -np 1 A : -np 1 B): rank 0 well, rank 1 a tokenizer that is not one (it fails
     * loading, before any collective) */
    char mp[1024];
    snprintf(mp, sizeof mp, "%s", MPI);
    char *np = strstr(mp, "-np 2");
    if (np) np[4] = '1';
    int rc = sh("mkdir -p %s/f1 && cd %s/f1 && echo junk > bad.vq && %s%s/parm %s --vq %s/weights/vq.safetensors "
                "--out w.st --ckpt c.ck --log l.csv : -np 1 %s/parm %s --vq bad.vq --out w.st --ckpt c.ck --log l.csv",
                T, T, mp, WD, a, WD, WD, a);
    char *err = slurp("err");
    CHECK(rc != 0 && strstr(err, "bad.vq") && strstr(err, "rank 1 of 2 failed alone"), "bad --vq on rank 1: exit %d: %s",
          rc, err);
    CHECK(!exists("f1/w.st") && !exists("f1/c.ck") && !exists("f1/l.csv") && no_temp("f1"), "files left by the failed job");
    free(err);
    /* rank 1 resumes from a checkpoint that is not one: every rank stops at parm_train's first agreement */
    rc = sh("mkdir -p %s/f2 && cd %s/f2 && %s/parm %s --vq %s/weights/vq.safetensors --steps 2 --ckpt good.ck --out '' "
            "--log '' && echo junk > bad.ck && %s%s/parm %s --vq %s/weights/vq.safetensors --resume good.ck --out w.st "
            "--ckpt c.ck --log l.csv : -np 1 %s/parm %s --vq %s/weights/vq.safetensors --resume bad.ck --out w.st "
            "--ckpt c.ck --log l.csv", T, T, WD, a, WD, mp, WD, a, WD, WD, a, WD);
    err = slurp("err");
    CHECK(rc == 1 && strstr(err, "rank 1 of 2 failed: ") && strstr(err, "bad.ck") && !strstr(err, "failed alone"),
          "bad --resume on rank 1: exit %d: %s", rc, err);
    CHECK(!exists("f2/w.st") && !exists("f2/c.ck") && !exists("f2/l.csv") && no_temp("f2"), "files left by the failed job");
    free(err);
}

/* the tiny models every test uses: a generator, a path set and judges of it, DPO pairs */
static int setup(void) {
    return sh("cd %s && P=%s/parm && $P train gen %s --batch 2 --steps 2 --eval-every 0 --seed 1 --out gen.st --ckpt '' "
              "--log '' --quiet && $P paths --prompts train --n-prompts 4 --paths 2 --steps 3 --gen gen.st -o p.pset "
              "--quiet && for v in orm-zs orm prm parm; do d=; [ $v = orm-zs ] || d='--data p.pset'; $P train judge "
              "--variant $v $d --steps 1 --batch 4 %s --eval-every 0 --out judge_$v.safetensors --ckpt '' --log '' "
              "--quiet || exit 1; done && $P pairs -o pairs.pref --n-prompts 4 --paths 4 --steps 4 --gen "
              "%s/weights/gen.safetensors --save-every 0 --quiet",
              T, WD, TINY_GEN, TINY_JUDGE, WD);
}

int main(void) {
    if (!mkdtemp(T) || !getcwd(WD, sizeof WD)) { perror("setup"); return 1; }
    test_shell_dir = T;
    const int have = sh("command -v mpirun") == 0, built = sh("ldd ./parm | grep -q libmpi") == 0;
    if (!have || !built) {
        const char *why = !have ? "mpirun not found (tools/install-deps.sh mpi, then make)"
                                : "./parm built without MPI (no mpicc when it was built, or MPI=0)";
        SKIP(test_mpi_train, "%s", why);
        SKIP(test_mpi_resume_other_ranks, "%s", why);
        SKIP(test_mpi_paths, "%s", why);
        SKIP(test_mpi_bench, "%s", why);
        SKIP(test_mpi_bad_rank, "%s", why);
        sh("rm -rf %s", T);
        return TEST_SUMMARY();
    }
    setenv("OMP_NUM_THREADS", "1", 1);
    setenv("OMP_WAIT_POLICY", "passive", 1);
    if (getuid() == 0) { /* OpenMPI refuses root without both */
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    snprintf(MPI, sizeof MPI, "timeout 300 mpirun -np 2 --oversubscribe --bind-to none --mca btl self,tcp --mca "
             "btl_tcp_if_include lo --mca oob_tcp_if_include lo ");
    if (setup()) {
        char *err = slurp("err");
        fprintf(stderr, "setup of the tiny models failed: %s\n", err);
        free(err);
        return 1;
    }
    RUN(test_mpi_train);
    RUN(test_mpi_resume_other_ranks);
    RUN(test_mpi_paths);
    RUN(test_mpi_bench);
    RUN(test_mpi_bad_rank);
    if (!tests_failed_) sh("rm -rf %s", T);
    return TEST_SUMMARY();
}
