/* cli_util.c — strict argument parsing and error printing for subcommands;
 * where the shipped files are (cli_home, cli_shipped); output paths checked
 * before the work (cli_output) and temp files removed on SIGINT/SIGTERM;
 * the score / methods-table printers shared by grade and bench
 * (and the row JSON that `parm plot` reads back). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "parm.h"

int cli_int(const char *flag, const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "parm: error: %s '%s' is not an integer in [%ld, %ld]\n", flag, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}
int cli_float(const char *flag, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "parm: error: %s '%s' is not a number in [%g, %g]\n", flag, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}
const char *cli_value(int argc, char **argv, int i) {
    if (i + 1 >= argc) {
        fprintf(stderr, "parm: error: %s needs a value\n", argv[i]);
        return NULL;
    }
    return argv[i + 1];
}
int cli_fail(void) {
    fprintf(stderr, "parm: error: %s\n", parm_last_error());
    return 1;
}
int cli_unknown(const char *cmd, const char *arg) {
    fprintf(stderr, "parm %s: unknown option '%s' (see parm %s --help)\n", cmd, arg, cmd);
    return 2;
}

int cli_output(cli_out *o, const char *flag, const char *path, int flags) {
    memset(o, 0, sizeof *o);
    o->path = path;
    if (!path) return 0;
    if (!strcmp(path, "-")) {
        if (!(flags & CLI_OUT_STDOUT)) {
            fprintf(stderr, "parm: error: %s '-': this command does not write to stdout; give a file name\n", flag);
            return 2;
        }
        snprintf(o->tmp, sizeof o->tmp, "/tmp/parm-stdout-%d-XXXXXX", (int)getpid());
        int fd = mkstemp(o->tmp);
        if (fd < 0) {
            fprintf(stderr, "parm: error: %s '-': cannot make a temp file in /tmp: %s\n", flag, strerror(errno));
            return 2;
        }
        close(fd);
        o->slot = parm_tmp_register(o->tmp);
        o->path = o->tmp;
        o->to_stdout = 1;
        return 0;
    }
    if (!*path) { fprintf(stderr, "parm: error: %s '' is not a file name\n", flag); return 2; }
    if (parm_output_check(path)) {
        fprintf(stderr, "parm: error: %s: %s\n", flag, parm_last_error());
        return 2;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) return 0;
    if (slash == dir) return 0; /* "/" */
    *slash = 0;
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        fprintf(stderr, "parm: error: %s '%s': '%s' is not a folder\n", flag, path, dir);
        return 2;
    }
    if ((flags & CLI_OUT_MKDIR) && parm_mkdirs(dir) == 0) return 0;
    fprintf(stderr, "parm: error: %s '%s': folder '%s' does not exist (create it first)\n", flag, path, dir);
    return 2;
}

int cli_output_done(cli_out *o, int rc) {
    if (!o->to_stdout || !o->tmp[0]) return rc;
    if (rc == 0) {
        FILE *f = fopen(o->tmp, "rb");
        char buf[65536];
        size_t n;
        int bad = !f;
        while (f && (n = fread(buf, 1, sizeof buf, f)) > 0) bad |= fwrite(buf, 1, n, stdout) != n;
        if (f) fclose(f);
        bad |= fflush(stdout) != 0;
        if (bad) {
            fprintf(stderr, "parm: error: writing the output to stdout failed: %s\n", strerror(errno));
            rc = 1;
        }
    }
    unlink(o->tmp);
    parm_tmp_unregister(o->slot);
    o->tmp[0] = 0; /* done; to_stdout stays set for cli_output_msg */
    return rc;
}

FILE *cli_output_msg(const cli_out *o) { return o->to_stdout ? stderr : stdout; }

static void on_signal(int sig) {
    parm_tmp_cleanup();
    const char *m = sig == SIGINT    ? "parm: interrupted by SIGINT; temp files removed\n"
                    : sig == SIGTERM ? "parm: interrupted by SIGTERM; temp files removed\n"
                    : sig == SIGPIPE ? "parm: output pipe closed (SIGPIPE); temp files removed\n"
                                     : "parm: interrupted by SIGHUP; temp files removed\n";
    (void)!write(2, m, strlen(m));
    _exit(128 + sig);
}
void cli_install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL); /* `parm … -o - | head`: the stdout temp file goes too */
}

int cli_print_score(const parm_score *sc, int json) {
    if (!json) {
        parm_score_print(sc, stdout);
        return 0;
    }
    char buf[512];
    if (parm_score_json(sc, buf, sizeof buf)) return cli_fail();
    printf("%s\n", buf);
    return 0;
}

int bench_print_row(const bench_row *r, int json) {
    if (!json) {
        if (r->ci) cli_print_score_ci(&r->score, r->ci, stdout);
        else parm_score_print(&r->score, stdout);
        printf("cost per image (%d path%s): %.1f generator forward passes, %.1f judge calls, %.3f s%s%s\n", r->n,
               r->n == 1 ? "" : "s", r->forwards, r->judge_calls, r->seconds, r->seconds_estimated ? " (estimated)" : "",
               r->upper_bound ? "  [upper bound: the grader picks, not a method]" : "");
        return 0;
    }
    char buf[2048];
    if (bench_row_json(r, buf, sizeof buf)) return cli_fail();
    printf("%s\n", buf);
    return 0;
}

int bench_row_json(const bench_row *r, char *out, size_t n) {
    char buf[512];
    if (parm_score_json(&r->score, buf, sizeof buf)) return -1;
    size_t k = strlen(buf);
    if (k && buf[k - 1] == '}') buf[k - 1] = 0;
    char ci[640] = "";
    if (r->ci) {
        memcpy(ci, ", \"ci\": ", 8);
        if (bench_ci_json(r->ci, ci + 8, sizeof ci - 8)) return -1;
    }
    int w = snprintf(out, n,
                     "%s, \"method\": \"%s\", \"n\": %d, \"gen_forwards_per_image\": %.4f, "
                     "\"judge_calls_per_image\": %.4f, \"seconds_per_image\": %.5f, \"seconds_estimated\": %s, "
                     "\"upper_bound\": %s%s}",
                     buf, r->method, r->n, r->forwards, r->judge_calls, r->seconds,
                     r->seconds_estimated ? "true" : "false", r->upper_bound ? "true" : "false", ci);
    if (w < 0 || (size_t)w >= n) return PARM_ERR("row JSON of method '%s' does not fit %zu bytes", r->method, n);
    return 0;
}

void cli_subset_prompts(parm_prompt *ps, int *np, long limit, long every) {
    int n = 0;
    for (int i = 0; i < *np; i++)
        if (every <= 1 || i % every == 0) ps[n++] = ps[i];
    if (limit > 0 && limit < n) n = (int)limit;
    *np = n;
}

int cli_sample_opt(const char *a, const char *val, parm_sample_opts *o) {
    long v;
    double x;
    if (!strcmp(a, "--steps")) { if (cli_int(a, val, 1, 256, &v)) return -1; o->steps = (int)v; return 1; }
    if (!strcmp(a, "--cfg")) { if (cli_float(a, val, 0, 100, &x)) return -1; o->cfg = (float)x; return 1; }
    if (!strcmp(a, "--temp")) { if (cli_float(a, val, 1e-3, 100, &x)) return -1; o->temp = (float)x; return 1; }
    if (!strcmp(a, "--temp-end")) { if (cli_float(a, val, 1e-3, 100, &x)) return -1; o->temp_end = (float)x; return 1; }
    if (!strcmp(a, "--choice-temp")) { if (cli_float(a, val, 0, 100, &x)) return -1; o->choice_temp = (float)x; return 1; }
    if (!strcmp(a, "--bg-penalty")) { if (cli_float(a, val, -100, 100, &x)) return -1; o->bg_penalty = (float)x; return 1; }
    if (!strcmp(a, "--group")) { if (cli_int(a, val, 0, 1, &v)) return -1; o->group_commit = (int)v; return 1; }
    return 0;
}

void cli_sample_usage(FILE *f) {
    parm_sample_opts d = parm_sample_defaults();
    fprintf(f,
            "  --steps T          decoding steps (default %d)\n"
            "  --cfg W            classifier-free guidance scale (default %g)\n"
            "  --temp X           sampling temperature at step 0 (default %g)\n"
            "  --temp-end X       temperature at the last step (default %g)\n"
            "  --choice-temp X    Gumbel noise on the confidences, annealed to 0 (default %g)\n"
            "  --bg-penalty X     lower the confidence of background tokens by X: objects first (default %g)\n"
            "  --group 0|1        1 = commit whole 2x2 token groups per step (default %d)\n",
            d.steps, d.cfg, d.temp, d.temp_end, d.choice_temp, d.bg_penalty, d.group_commit);
}

int cli_layout(const char *name, parm_layout *out) {
    if (!strcmp(name, "canonical")) *out = parm_layout_canonical;
    else if (!strcmp(name, "free")) *out = parm_layout_free;
    else {
        fprintf(stderr, "parm: error: --layout '%s' is not one of: canonical, free\n", name);
        return -1;
    }
    return 0;
}

int cli_parm_gate_opt(const char *a, const char *val, parm_search_opts *o) {
    float *dst = !strcmp(a, "--clarity-thresh")     ? &o->clarity_thresh
                 : !strcmp(a, "--potential-thresh") ? &o->potential_thresh
                 : !strcmp(a, "--keep")             ? &o->keep
                                                    : NULL;
    double x;
    if (!dst) return 0;
    if (cli_float(a, val, 0, 1, &x)) return -1;
    *dst = (float)x;
    return 1;
}

int cli_parmpp_opt(const char *a, const char *val, parm_search_opts *o) {
    long n;
    double x;
    if (!strcmp(a, "--rounds")) {
        if (cli_int(a, val, 0, PARM_PARMPP_MAX_ROUNDS, &n)) return -1;
        o->rounds = (int)n;
        return 1;
    }
    if (!strcmp(a, "--reflect-thresh")) {
        if (cli_float(a, val, 0, 1, &x)) return -1;
        o->reflect_thresh = (float)x;
        return 1;
    }
    if (!strcmp(a, "--reflect-judge")) { o->reflect_judge = val; return 1; }
    return 0;
}

void cli_parmpp_usage(FILE *f, const char *indent) {
    const parm_search_opts d = parm_search_defaults(PARM_SEARCH_PARMPP);
    fprintf(f, "%s--rounds R             parm++: at most R reflect -> regenerate rounds after PARM (default %d;\n"
               "%s                       0 = reflection off = PARM); needs a self-correction generator (--gen)\n"
               "%s--reflect-judge PATH   parm++: the reflecting judge (default DIR/judge_parm++.safetensors if it\n"
               "%s                       exists, else the PARM judge)\n"
               "%s--reflect-thresh X     parm++: an atom fails when its P(yes) < X (default %.2g)\n",
            indent, d.rounds, indent, indent, indent, indent, d.reflect_thresh);
}

void cli_parm_gate_usage(FILE *f, const char *indent) {
    const parm_search_opts d = parm_search_defaults(PARM_SEARCH_PARM);
    fprintf(f, "%s--clarity-thresh X     parm: a step is clear when P(clear) >= X (default %.2g)\n"
               "%s--potential-thresh X   parm: a clear path stops when P(potential) < X (default %.2g)\n"
               "%s--keep F               parm: a clear path also stops once N' = round(F*n) (>= 1) other\n"
               "%s                       paths have a higher P(potential); 0 = off (default %.2g)\n",
            indent, d.clarity_thresh, indent, d.potential_thresh, indent, indent, d.keep);
}

/* ---- shipped files (weights/, bench/): found relative to the executable ---- */

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_home(void) {
    static char home[4096];
    if (home[0]) return home;
    const char *env = getenv("PARM_HOME");
    if (env && *env) {
        snprintf(home, sizeof home, "%s", env);
        return home;
    }
    char exe[2048];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        char probe[2048 + 32];
        /* a build tree (parm next to weights/) or an install (PREFIX/bin/parm, PREFIX/share/parm/weights) */
        snprintf(probe, sizeof probe, "%s/weights", exe);
        if (is_dir(probe)) { snprintf(home, sizeof home, "%s", exe); return home; }
        snprintf(probe, sizeof probe, "%s/../share/parm/weights", exe);
        if (is_dir(probe)) {
            snprintf(probe, sizeof probe, "%s/../share/parm", exe);
            snprintf(home, sizeof home, "%s", probe);
            return home;
        }
    }
    snprintf(home, sizeof home, ".");
    return home;
}

const char *cli_shipped(const char *rel) {
    enum { NSLOT = 32 };
    static char *slots[NSLOT];
    static int next;
    const char *home = cli_home();
    size_t n = strlen(home) + strlen(rel) + 2;
    char *p = malloc(n);
    if (!p) return rel;
    if (!strcmp(home, ".")) snprintf(p, n, "%s", rel);
    else snprintf(p, n, "%s/%s", home, rel);
    free(slots[next]); /* the oldest of NSLOT strings: callers keep a handful at once */
    slots[next] = p;
    next = (next + 1) % NSLOT;
    return p;
}

int cli_load_gen_vq(parm_gen *g, parm_vq *vq, const char *genp, const char *vqp) {
    if (parm_gen_load(g, genp)) return -1;
    if (parm_vq_load(vq, vqp)) { parm_gen_free(g); return -1; }
    if (parm_gen_check_vq(g, vq, genp, vqp)) { parm_gen_free(g); parm_vq_free(vq); return -1; }
    return 0;
}

int cli_results_load(const char *path, cJSON ***rows, int *n) {
    char *data = NULL;
    *rows = NULL;
    *n = 0;
    if (parm_read_file(path, &data, NULL)) return -1;
    int cap = 0, rc = 0, line = 0;
    for (char *l = data, *nl; *l && !rc; l = nl ? nl + 1 : l + strlen(l)) {
        nl = strchr(l, '\n');
        if (nl) *nl = 0;
        line++;
        if (!*l) continue;
        cJSON *o = cJSON_Parse(l);
        if (!cJSON_IsObject(o) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "filename")) ||
            !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, "correct"))) {
            cJSON_Delete(o);
            rc = PARM_ERR("%s:%d: not a results row of `parm bench`/`parm grade`", path, line);
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            cJSON **r = realloc(*rows, sizeof *r * cap);
            if (!r) { cJSON_Delete(o); rc = PARM_ERR("out of memory"); break; }
            *rows = r;
        }
        (*rows)[(*n)++] = o;
    }
    free(data);
    if (!rc && !*n) rc = PARM_ERR("%s has no rows", path);
    if (rc) cli_results_free(*rows, *n), *rows = NULL, *n = 0;
    return rc;
}

void cli_results_free(cJSON **rows, int n) {
    for (int i = 0; i < n; i++) cJSON_Delete(rows[i]);
    free(rows);
}
