/* test_outputs.c — outputs that never destroy or mix (runs ./parm):
 *   -o refuses a directory, FIFO, symbolic link or device (and a missing
 *   folder) with a one-line error naming it, exit 2, the target untouched;
 *   the check comes before the work (paths / train write nothing, no model
 *   loaded); `-o -` writes the artifact to stdout, byte-identical to the file;
 *   grade fails on a missing or extra image and names it (no results.jsonl);
 *   SIGINT / SIGTERM during `parm paths` remove its temp file and exit
 *   128+signal with a one-line message; bench refuses a non-empty folder,
 *   --overwrite clears one it made (only that), and --resume after a kill -9
 *   ends with exactly the folder (images, costs, results.jsonl) and summary
 *   of one uninterrupted run. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parm.h"
#include "test.h"
#include "test_shell.h"

static char T[] = "/tmp/parm-test-outputs-XXXXXX";
#define P "'a photo of a red circle'"

static int one_error_line(const char *must) {
    char *e = slurp("err");
    int ok = lines(e) == 1 && strstr(e, "error:") && strstr(e, must);
    if (!ok) fprintf(stderr, "    stderr was: %s", e);
    free(e);
    return ok;
}

static void test_refuses_non_regular_outputs(void) {
    char p[700];
    snprintf(p, sizeof p, "%s/fifo", T);
    CHECK(mkfifo(p, 0644) == 0, "mkfifo");
    CHECK(sh("./parm render --prompt " P " -o %s/fifo", T) == 2, "FIFO accepted");
    CHECK(one_error_line("is a FIFO"), "FIFO message");
    struct stat st;
    CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO was replaced");

    CHECK(sh("mkdir %s/dir && ./parm render --prompt " P " -o %s/dir", T, T) == 2, "directory accepted");
    CHECK(one_error_line("is a directory"), "directory message");

    CHECK(sh("echo keep > %s/target && ln -s %s/target %s/link && ./parm render --prompt " P " -o %s/link", T, T, T,
             T) == 2, "symlink accepted");
    CHECK(one_error_line("symbolic link"), "symlink message");
    snprintf(p, sizeof p, "%s/link", T);
    CHECK(lstat(p, &st) == 0 && S_ISLNK(st.st_mode), "the symlink was replaced");
    char *t = slurp("target");
    CHECK(!strcmp(t, "keep\n"), "the symlink's target was written: %s", t);
    free(t);

    snprintf(p, sizeof p, "%s/null", T);
    if (geteuid() == 0 && mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0) { /* a private /dev/null */
        CHECK(sh("./parm render --prompt " P " -o %s/null", T) == 2, "device accepted");
        CHECK(one_error_line("is a device"), "device message");
        CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode), "the device node was replaced by a file");
        CHECK(sh("./parm prompts --tag colors -o %s/null", T) == 2, "prompts -o device accepted");
        CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode), "prompts replaced the device node");
    } else
        printf("    (not root: the device case is skipped)\n");

    CHECK(sh("./parm render --prompt " P " -o %s/nowhere/x.png", T) == 2, "missing folder accepted");
    CHECK(one_error_line("does not exist"), "missing folder message");
    /* the same rule for other commands' outputs */
    CHECK(sh("./parm plot --json tests/fuzz/plot/seed/rows.jsonl -o %s/dir", T) == 2, "plot -o dir");
    CHECK(one_error_line("is a directory"), "plot message");
    CHECK(sh("./parm grade %s/dir -o %s/fifo", T, T) != 0, "grade -o FIFO");
}

static void test_checked_before_work(void) {
    /* paths would load the generator and sample for minutes: refused at once, nothing written */
    CHECK(sh("./parm paths --prompts train --n-prompts 4 --paths 2 --gen /nonexistent.safetensors -o %s/dir2/", T) == 2,
          "paths -o into a missing folder");
    CHECK(one_error_line("does not exist"), "the output is checked before the generator is loaded");
    CHECK(sh("mkdir -p %s/od && ./parm train gen --steps 2 --vq /nonexistent --ckpt %s/c.st --out %s/od", T, T, T) == 2,
          "train --out dir");
    CHECK(one_error_line("--out"), "train names the flag");
    char p[700];
    snprintf(p, sizeof p, "%s/c.st", T);
    struct stat st;
    CHECK(stat(p, &st) != 0, "train wrote a checkpoint before refusing its output");
}

static void test_stdout_artifact(void) {
    CHECK(sh("./parm render --prompt " P " --seed 4 -o %s/f.png && ./parm render --prompt " P " --seed 4 -o - > %s/s.png",
             T, T) == 0, "render -o -");
    char a[700], b[700], *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    snprintf(a, sizeof a, "%s/f.png", T);
    snprintf(b, sizeof b, "%s/s.png", T);
    CHECK(!parm_read_file(a, &x, &nx) && !parm_read_file(b, &y, &ny) && nx == ny && nx > 8 && !memcmp(x, y, nx),
          "-o - bytes differ from the file (%zu vs %zu)", nx, ny);
    free(x);
    free(y);
    struct stat st;
    snprintf(a, sizeof a, "%s/-", T);
    CHECK(sh("cd %s && %s/parm render --prompt " P " -o - > /dev/null", T, getcwd(b, sizeof b)) == 0 && stat(a, &st) != 0,
          "-o - wrote a file named '-'");
    CHECK(sh("./parm plot --json tests/fuzz/plot/seed/rows.jsonl -o - | head -c 4 | grep -c PNG") == 0, "plot -o -");
    CHECK(sh("./parm prompts --tag colors -o - | wc -l | grep -qx 120") == 0, "prompts -o -");
    CHECK(sh("./parm paths --prompts train -o -") == 2 && one_error_line("stdout"), "paths -o - refused");
    CHECK(sh("ls /tmp | grep -c parm-stdout-") != 0, "stdout temp files left behind");
}

static void test_grade_missing_and_extra(void) {
    /* 3 prompts x 2 images */
    CHECK(sh("set -e; d=%s/g; for i in 0 1 2; do mkdir -p $d/0000$i/samples; "
             "./parm prompts --prompt " P " > $d/0000$i/metadata.jsonl; for j in 0 1; do "
             "./parm render --prompt " P " --seed $i$j -o $d/0000$i/samples/000$j.png; done; done; ./parm grade $d --json -o %s/r.jsonl",
             T, T) == 0, "grade a complete folder");
    CHECK(sh("cp -r %s/g %s/m && rm %s/m/00001/samples/0001.png && ./parm grade %s/m", T, T, T, T) == 1, "missing image");
    CHECK(one_error_line("missing image") && one_error_line("00001/samples/0001.png"), "names the missing image");
    char p[700];
    struct stat st;
    snprintf(p, sizeof p, "%s/m/results.jsonl", T);
    CHECK(stat(p, &st) != 0, "results.jsonl written despite a missing image");
    CHECK(sh("cp -r %s/g %s/m0 && rm %s/m0/00000/samples/0000.png && ./parm grade %s/m0", T, T, T, T) == 1,
          "missing first image");
    CHECK(one_error_line("00000/samples/0000.png"), "names it");
    CHECK(sh("cp -r %s/g %s/e && cp %s/e/00000/samples/0000.png %s/e/00000/samples/0002.png && ./parm grade %s/e", T, T,
             T, T, T) == 1, "extra image");
    CHECK(one_error_line("extra image") && one_error_line("00000/samples/0002.png"), "names the extra image");
    CHECK(sh("cp -r %s/g %s/x && echo hi > %s/x/00001/samples/notes.txt && ./parm grade %s/x", T, T, T, T) == 1,
          "extra file");
    CHECK(one_error_line("notes.txt"), "names the extra file");
    CHECK(sh("mkdir -p %s/t/00000/samples %s/t/00001/samples && cp %s/g/00000/metadata.jsonl %s/t/00000/ && "
             "cp %s/g/00000/metadata.jsonl %s/t/00001/ && cp %s/g/00000/samples/* %s/t/00000/samples/ && "
             "cp %s/g/00000/samples/0000.png %s/t/00001/samples/ && ./parm grade %s/t", T, T, T, T, T, T, T, T, T, T, T) == 1,
          "2 folders, 2 and 1 images");
    CHECK(one_error_line("missing '") && one_error_line("00001/samples/0001.png") && one_error_line("extra '"),
          "a tie names both readings");
    CHECK(sh("cp -r %s/g %s/f && mv %s/f/00001 %s/f/00003 && ./parm grade %s/f", T, T, T, T, T) == 1,
          "missing prompt folder");
    CHECK(one_error_line("00001"), "names the missing folder");
}

/* parm paths interrupted by sig: exit 128+sig, one line, no temp file left */
static void interrupt_paths(int sig) {
    char out[700], cmd[1400];
    snprintf(out, sizeof out, "%s/int%d.pset", T, sig);
    snprintf(cmd, sizeof cmd, "exec ./parm paths --prompts train --n-prompts 200 --paths 4 --quiet -o %s 2>%s/err", out, T);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    char tmp[800];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", out, (int)pid);
    struct stat st;
    int st_;
    for (int i = 0; i < 3000 && stat(tmp, &st) != 0 && waitpid(pid, &st_, WNOHANG) == 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    CHECK(stat(tmp, &st) == 0, "paths never opened its temp file %s", tmp);
    kill(pid, sig);
    CHECK(waitpid(pid, &st_, 0) == pid && WIFEXITED(st_) && WEXITSTATUS(st_) == 128 + sig, "exit status %d",
          WIFEXITED(st_) ? WEXITSTATUS(st_) : -1);
    CHECK(stat(tmp, &st) != 0, "signal %d left %s", sig, tmp);
    CHECK(stat(out, &st) != 0, "signal %d left a (partial) output", sig);
    char *e = slurp("err");
    CHECK(lines(e) == 1 && strstr(e, "interrupted") && strstr(e, "temp files removed"), "message: %s", e);
    free(e);
}
static void test_signals_remove_temp_files(void) {
    interrupt_paths(SIGINT);
    interrupt_paths(SIGTERM);
}

static void test_bench_folder(void) {
    const char *gt = "./parm bench --method gt --json --out";
    CHECK(sh("%s %s/b --prompts 3", gt, T) == 0, "bench gt");
    CHECK(sh("%s %s/b --prompts 1", gt, T) == 2, "a non-empty folder accepted");
    CHECK(one_error_line("not empty") && one_error_line("--overwrite") && one_error_line("--resume"), "message");
    CHECK(sh("./parm grade %s/b --json -o %s/b.jsonl | grep -c '\"images\": 12'", T, T) == 0, "the first run's images were touched");
    CHECK(sh("%s %s/b --prompts 1 --overwrite && ./parm grade %s/b --json -o %s/b.jsonl | grep -c '\"images\": 4'", gt,
             T, T, T) == 0, "--overwrite did not clear the folder");
    CHECK(sh("%s %s/b --prompts 2 --resume", gt, T) == 2 && one_error_line("different run"), "--resume with other options");
    CHECK(sh("mkdir -p %s/mine && echo precious > %s/mine/notes.txt && %s %s/mine --prompts 1 --overwrite", T, T, gt, T) == 2,
          "--overwrite of a folder bench did not make");
    char *n = slurp("mine/notes.txt");
    CHECK(!strcmp(n, "precious\n"), "--overwrite removed a user's file");
    free(n);
    CHECK(sh("%s %s/b --method all --resume", gt, T) != 0, "--resume with --method all");
}

/* bench baseline killed (-9) midway, resumed: the same folder as an uninterrupted run */
static void test_bench_resume(void) {
    const char *args = "--method baseline --prompts 4 --images-per-prompt 2 --steps 2 --json";
    CHECK(sh("./parm bench %s --out %s/ra > %s/ra.json", args, T, T) == 0, "uninterrupted bench");
    char cmd[1400], mark[700];
    snprintf(cmd, sizeof cmd, "exec ./parm bench %s --out %s/rb > %s/rb0.json 2>/dev/null", args, T, T);
    snprintf(mark, sizeof mark, "%s/rb/00001/cost.txt", T);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    struct stat st;
    int status;
    for (int i = 0; i < 6000 && stat(mark, &st) != 0 && waitpid(pid, &status, WNOHANG) == 0; i++) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    int killed = kill(pid, SIGKILL) == 0;
    waitpid(pid, &status, 0);
    CHECK(killed && WIFSIGNALED(status), "the run ended before it could be killed");
    snprintf(mark, sizeof mark, "%s/rb/results.jsonl", T);
    CHECK(stat(mark, &st) != 0, "the killed run got to grading");
    CHECK(sh("./parm bench %s --out %s/rb", args, T) == 2, "rerun into the interrupted folder without --resume");
    char kept[700];
    struct stat before, after;
    snprintf(kept, sizeof kept, "%s/rb/00000/samples/0000.png", T);
    CHECK(stat(kept, &before) == 0, "no complete image before the kill");
    CHECK(sh("./parm bench %s --out %s/rb --resume > %s/rb.json", args, T, T) == 0, "--resume");
    CHECK(stat(kept, &after) == 0 && after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
              after.st_mtim.tv_nsec == before.st_mtim.tv_nsec && after.st_ino == before.st_ino,
          "--resume regenerated a complete image");
    /* run.json differs by design (its command line names the folder, and the times) */
    CHECK(sh("diff -r -x results.jsonl -x run.json %s/ra %s/rb", T, T) == 0, "resumed folder differs from the uninterrupted one");
    CHECK(sh("sed 's#/ra/#/rb/#' %s/ra/results.jsonl | cmp - %s/rb/results.jsonl", T, T) == 0, "results.jsonl differ");
    CHECK(sh("sed 's/\"seconds_per_image\": [0-9.]*//' %s/ra.json > %s/ra.cmp && sed 's/\"seconds_per_image\": [0-9.]*//' "
             "%s/rb.json > %s/rb.cmp && cmp %s/ra.cmp %s/rb.cmp", T, T, T, T, T, T) == 0, "resumed summary differs (seconds aside)");
}

int main(void) {
    if (!mkdtemp(T)) { perror("mkdtemp"); printf("0 passed, 1 failed\n"); return 1; }
    test_shell_dir = T;
    if (access("./parm", X_OK)) { fprintf(stderr, "./parm is not built (run make test)\n"); printf("0 passed, 1 failed\n"); return 1; }
    RUN(test_refuses_non_regular_outputs);
    RUN(test_checked_before_work);
    RUN(test_stdout_artifact);
    RUN(test_grade_missing_and_extra);
    RUN(test_signals_remove_temp_files);
    RUN(test_bench_folder);
    RUN(test_bench_resume);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", T);
    if (!tests_failed_ && system(cmd)) fprintf(stderr, "could not remove %s\n", T);
    return TEST_SUMMARY();
}
