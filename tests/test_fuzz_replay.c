/* test_fuzz_replay.c — every fuzz harness (tests/fuzz/fuzz_*.c) run without
 * libFuzzer over its committed inputs: tests/fuzz/NAME/seed/ (the corpus
 * `make fuzz` starts from) and tests/fuzz/NAME/regress/ (every input a
 * fuzzer ever crashed or hung a parser with, kept after the fix). A harness
 * aborts on a broken invariant and the sanitizer build (make test-sanitize)
 * turns any memory error into a crash, so "passed" here means each input was
 * parsed (accepted or refused) cleanly. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "parm.h"
#include "test.h"
#include "fuzz/fuzz_checkpoint.c"
#include "fuzz/fuzz_metadata.c"
#include "fuzz/fuzz_pathset.c"
#include "fuzz/fuzz_prefset.c"
#include "fuzz/fuzz_plot.c"
#include "fuzz/fuzz_png.c"
#include "fuzz/fuzz_prompt.c"
#include "fuzz/fuzz_safetensors.c"

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Run fn on every file of tests/fuzz/name/sub; returns the number of files
 * (-1 if the folder is missing), *accepted gets how many parsed. */
static int replay_dir(const char *name, const char *sub, int (*fn)(const uint8_t *, size_t), int *accepted) {
    char dir[512];
    snprintf(dir, sizeof dir, "tests/fuzz/%s/%s", name, sub);
    DIR *dp = opendir(dir);
    if (!dp) return -1;
    char **names = NULL;
    int n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(dp));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) names = realloc(names, sizeof *names * (cap = cap ? 2 * cap : 64));
        names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    qsort(names, n, sizeof *names, name_cmp);
    *accepted = 0;
    for (int i = 0; i < n; i++) {
        char path[1024], *data = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        CHECK(parm_read_file(path, &data, &len) == 0, "read %s: %s", path, parm_last_error());
        if (data) *accepted += fn((const uint8_t *)data, len) == 0;
        free(data);
        free(names[i]);
    }
    free(names);
    return n;
}

static void replay(const char *name, int (*fn)(const uint8_t *, size_t)) {
    int acc_seed = 0, acc_reg = 0;
    int ns = replay_dir(name, "seed", fn, &acc_seed), nr = replay_dir(name, "regress", fn, &acc_reg);
    CHECK(ns > 0, "%s: no seed corpus in tests/fuzz/%s/seed", name, name);
    CHECK(acc_seed > 0, "%s: no seed input is accepted (the corpus should start from valid files)", name);
    printf("    %-12s %3d seeds (%d accepted), %3d regression inputs (%d accepted)\n", name, ns, acc_seed,
           nr < 0 ? 0 : nr, acc_reg);
}

static void test_replay_safetensors(void) { replay("safetensors", fuzz_safetensors); }
static void test_replay_checkpoint(void) { replay("checkpoint", fuzz_checkpoint); }
static void test_replay_pathset(void) { replay("pathset", fuzz_pathset); }
static void test_replay_prefset(void) { replay("prefset", fuzz_prefset); }
static void test_replay_png(void) { replay("png", fuzz_png); }
static void test_replay_metadata(void) { replay("metadata", fuzz_metadata); }
static void test_replay_prompt(void) { replay("prompt", fuzz_prompt); }
static void test_replay_plot(void) { replay("plot", fuzz_plot); }

int main(void) {
    RUN(test_replay_safetensors);
    RUN(test_replay_checkpoint);
    RUN(test_replay_pathset);
    RUN(test_replay_prefset);
    RUN(test_replay_png);
    RUN(test_replay_metadata);
    RUN(test_replay_prompt);
    RUN(test_replay_plot);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -f /dev/shm/parm-fuzz-*.%d /tmp/parm-fuzz-*.%d", (int)getpid(), (int)getpid());
    (void)!system(cmd);
    return TEST_SUMMARY();
}
