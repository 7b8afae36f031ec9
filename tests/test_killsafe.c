/* test_killsafe.c — kill -9 safe training, through the CLI (`./parm train gen`
 * with a tiny generator on the shipped VQ, one thread):
 *   1. a reference run trains 100 steps uninterrupted (checkpoint every 3);
 *   2. the same run is started again and SIGKILLed KILLS times, each run
 *      after it has committed one checkpoint of its own, at a moment drawn
 *      from a seeded RNG — alternately while its next checkpoint is being
 *      written (once the temp file <ckpt>.tmp.<pid> appears, plus 0..1.5 ms)
 *      and 0..60 ms later (mostly inside a step) — each time resumed with
 *      --resume from the checkpoint on disk;
 *   3. after every kill the checkpoint on disk must be whole: it opens and
 *      fully validates (parm_st_open checks the header and that the tensors
 *      tile the file exactly), is a parm checkpoint, and its step never goes
 *      back — i.e. it is the previous or the new one, never torn;
 *   4. the resumed run ends with the final weights (--out) and the final
 *      checkpoint byte-identical to the reference, and the learning-curve CSV
 *      the same: its header (flushed before the first step) and every data
 *      row's step, samples and logged loss (the loss EMA travels in the
 *      checkpoint), so no row is lost, repeated or changed.
 * Prints how many kills landed inside a checkpoint write and how many not. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parm.h"
#include "test.h"

#define KILLS 8
static char T[] = "/tmp/parm-test-killsafe-XXXXXX";
static const char *ARGS = "train gen --layers 1 --width 16 --heads 1 --mlp 32 --batch 2 --steps 100 --warmup 5 "
                          "--ckpt-every 3 --eval-every 0 --seed 3 --quiet";

/* Start `./parm ARGS` writing into dir (resuming when resume); returns its pid. */
static pid_t start(const char *dir, int resume) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "exec ./parm %s --ckpt %s/c.st --out %s/w.st --log %s/log.csv %s%s%s >>%s/run.log 2>&1",
             ARGS, dir, dir, dir, resume ? "--resume " : "", resume ? dir : "", resume ? "/c.st" : "", dir);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("OMP_NUM_THREADS", "1", 1);
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static void msleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* The step of the checkpoint at path after full validation; -1 if absent, -2 if torn/invalid. */
static long ckpt_step(const char *path) {
    if (!file_exists(path)) return -1;
    parm_st_file f;
    if (parm_st_open(&f, path)) {
        fprintf(stderr, "    torn checkpoint: %s\n", parm_last_error());
        return -2;
    }
    const char *fmt = parm_st_meta(&f, "parm_format"), *st = parm_st_meta(&f, "step");
    long step = fmt && !strcmp(fmt, "parm-ckpt-1") && st ? atol(st) : -2;
    parm_st_close(&f);
    return step;
}

/* The CSV's data rows (not the "step,..." header), malloc'd: the first
 * `cols` columns of each; *header = whether the header line is there. */
static char *curve_rows(const char *path, int cols, int *header) {
    char *d = NULL;
    *header = 0;
    if (parm_read_file(path, &d, NULL)) return parm_strdup("(missing)");
    char *out = parm_malloc(strlen(d) + 2), *o = out;
    for (char *line = d; *line;) {
        char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line), *cut = line;
        if (!strncmp(line, "step,", 5)) {
            *header = 1;
        } else {
            for (int c = 0; c < cols && cut < end; c++) {
                while (cut < end && *cut != ',') cut++;
                if (c + 1 < cols && cut < end) cut++;
            }
            memcpy(o, line, (size_t)(cut - line));
            o += cut - line;
            *o++ = '\n';
        }
        line = nl ? nl + 1 : end;
    }
    *o = 0;
    free(d);
    return out;
}

static int same_bytes(const char *a, const char *b) {
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int same = !parm_read_file(a, &x, &nx) && !parm_read_file(b, &y, &ny) && nx == ny && !memcmp(x, y, nx);
    free(x);
    free(y);
    return same;
}

static void test_kill9_resume_bit_identical(void) {
    char ref[600], run[600], p[700], q[700];
    snprintf(ref, sizeof ref, "%s/ref", T);
    snprintf(run, sizeof run, "%s/run", T);
    CHECK(parm_mkdirs(ref) == 0 && parm_mkdirs(run) == 0, "mkdir");
    int st;
    pid_t pid = start(ref, 0);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "reference run failed (see %s/run.log)", ref);

    parm_rng rng;
    parm_rng_seed(&rng, 17, PARM_STREAM_NOISE);
    snprintf(p, sizeof p, "%s/c.st", run);
    long last = -1;
    int kills = 0, in_write = 0, in_step = 0, finished = 0, resumes = 0;
    for (int k = 0; k < KILLS && !finished; k++) {
        pid = start(run, last >= 0);
        char tmp[800];
        snprintf(tmp, sizeof tmp, "%s.tmp.%d", p, (int)pid);
        /* first let this run commit one checkpoint of its own (a new inode at p:
         * rename), so every run makes progress and the next kill has a previous
         * checkpoint on disk to keep */
        struct stat s0, s1;
        ino_t ino0 = stat(p, &s0) == 0 ? s0.st_ino : 0;
        for (int i = 0; i < 200000 && waitpid(pid, &st, WNOHANG) == 0; i++) {
            if (stat(p, &s1) == 0 && s1.st_ino != ino0) break;
            msleep_us(100);
        }
        if (k % 2 == 0) { /* while the next checkpoint is being written */
            for (int i = 0; i < 100000 && !file_exists(tmp) && waitpid(pid, &st, WNOHANG) == 0; i++) msleep_us(50);
            msleep_us(parm_rng_int(&rng, 0, 1500));
        } else { /* anywhere after it, mostly inside a step */
            msleep_us(1000L * parm_rng_int(&rng, 0, 60));
        }
        if (waitpid(pid, &st, WNOHANG) == pid) { /* it ended before the kill */
            finished = WIFEXITED(st) && WEXITSTATUS(st) == 0;
            CHECK(finished, "run %d failed on its own (see %s/run.log)", k, run);
        } else {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "run %d not killed", k);
            kills++;
            if (file_exists(tmp)) {
                in_write++;
                unlink(tmp); /* what kill -9 leaves behind: never the checkpoint itself */
            } else
                in_step++;
        }
        long s = ckpt_step(p);
        CHECK(s != -2, "after kill %d the checkpoint is torn", k);
        CHECK(s >= last, "after kill %d the checkpoint went back from step %ld to %ld", k, last, s);
        if (s > last) resumes++;
        if (s >= 0) last = s;
    }
    if (!finished) {
        pid = start(run, last >= 0);
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "final resume failed (see %s/run.log)",
              run);
    }
    printf("    %d kills: %d during a checkpoint write, %d outside one; %d of them left a newer checkpoint; "
           "last checkpoint before the end at step %ld\n", kills, in_write, in_step, resumes, last);
    CHECK(kills >= KILLS / 2, "only %d kills landed (the runs ended too soon)", kills);
    CHECK(resumes >= kills - 1 && last > 0, "runs made no progress between kills (%d of %d)", resumes, kills);
    CHECK(in_write > 0, "no kill landed inside a checkpoint write");
    CHECK(in_step > 0, "no kill landed outside a checkpoint write");
    snprintf(p, sizeof p, "%s/w.st", ref);
    snprintf(q, sizeof q, "%s/w.st", run);
    CHECK(same_bytes(p, q), "final weights differ from the uninterrupted run");
    snprintf(p, sizeof p, "%s/c.st", ref);
    snprintf(q, sizeof q, "%s/c.st", run);
    CHECK(same_bytes(p, q), "final checkpoint differs from the uninterrupted run");
    snprintf(p, sizeof p, "%s/log.csv", ref);
    snprintf(q, sizeof q, "%s/log.csv", run);
    int ha, hb;
    char *a = curve_rows(p, 2, &ha), *b = curve_rows(q, 2, &hb); /* step, samples: no row lost or repeated */
    CHECK(!strcmp(a, b), "learning curve rows differ:\n%s---\n%s", a, b);
    CHECK(ha && *a, "the reference curve has no header or no rows:\n%s", a);
    CHECK(hb, "the killed run's CSV lost its header line");
    free(a);
    free(b);
    a = curve_rows(p, 3, &ha), b = curve_rows(q, 3, &hb); /* + the logged loss */
    CHECK(!strcmp(a, b), "logged losses differ after resume:\n%s---\n%s", a, b);
    free(a);
    free(b);
}

int main(void) {
    if (access("./parm", X_OK)) { fprintf(stderr, "./parm is not built (run make test)\n"); printf("0 passed, 1 failed\n"); return 1; }
    if (!mkdtemp(T)) { perror("mkdtemp"); return 1; }
    RUN(test_kill9_resume_bit_identical);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", T);
    if (!tests_failed_) (void)!system(cmd);
    return TEST_SUMMARY();
}
