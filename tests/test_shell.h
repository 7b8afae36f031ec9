/* test_shell.h — running ./parm from C tests: sh() runs a shell command with
 * stdout and stderr captured to <dir>/out and <dir>/err (dir = the test's
 * temp folder, set in test_shell_dir before the first call), slurp() reads
 * one of those files back, lines() counts newlines. */
#ifndef PARM_TEST_SHELL_H
#define PARM_TEST_SHELL_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "parm.h"

static const char *test_shell_dir = "/tmp";

static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* exit code of the command (128 if it did not exit normally) */
static inline int sh(const char *fmt, ...) {
    char cmd[4096], full[5000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "(%s) >%s/out 2>%s/err", cmd, test_shell_dir, test_shell_dir);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
/* the file <dir>/name, malloc'd ("" if missing) */
static inline char *slurp(const char *name) {
    char path[600], *d = NULL;
    snprintf(path, sizeof path, "%s/%s", test_shell_dir, name);
    if (parm_read_file(path, &d, NULL)) return parm_strdup("");
    return d;
}
static inline int lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}
#endif
