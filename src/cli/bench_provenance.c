/* bench_provenance.c — what a `parm bench` run leaves behind so its numbers
 * can be traced and trusted: DIR/run.json (command line, parm's version, the
 * sha256 of every file read, seeds, options, start/end time, every summary
 * row with its 95 % intervals and cost per image), the per-image search
 * details added to DIR/results.jsonl rows (chosen path and its seed, every
 * path's judge verdicts and stop step, forwards and judge calls), and the
 * interval table. cmd_bench.c and bench_replay.c call these through small
 * hooks; the statistics are parm/stats.h's. */
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "parm.h"

/* main() keeps the whole command line here for run.json */
int cli_argc;
char **cli_argv;

struct bench_prov {
    cJSON *root, *options, *files, *rows;
    double t0;
};

static void utc_now(char *buf, size_t n) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cli_sha256_file(const char *path, char hex[65], long *bytes) {
    FILE *f = parm_fopen(path, "rb");
    if (!f) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char buf[1 << 16], md[32];
    unsigned int mdlen = 0;
    size_t k;
    long total = 0;
    int rc = !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    while (!rc && (k = fread(buf, 1, sizeof buf, f)) > 0) {
        rc = !EVP_DigestUpdate(ctx, buf, k);
        total += (long)k;
    }
    if (!rc && ferror(f)) rc = 1;
    if (!rc) rc = !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32;
    EVP_MD_CTX_free(ctx);
    fclose(f);
    if (rc) return PARM_ERR("cannot compute the sha256 of '%s'", path);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (bytes) *bytes = total;
    return 0;
}

bench_prov *bench_prov_begin(const char *method) {
    bench_prov *p = parm_calloc(1, sizeof *p);
    if (!p) return NULL;
    char now[32], cwd[2048];
    utc_now(now, sizeof now);
    p->t0 = parm_now();
    p->root = cJSON_CreateObject();
    cJSON_AddStringToObject(p->root, "parm_version", cli_version());
    cJSON *cmd = cJSON_AddArrayToObject(p->root, "command");
    for (int i = 0; i < cli_argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(cli_argv[i]));
    cJSON_AddStringToObject(p->root, "cwd", getcwd(cwd, sizeof cwd) ? cwd : "?");
    cJSON_AddStringToObject(p->root, "method", method);
    cJSON_AddStringToObject(p->root, "start", now);
    const char *omp = getenv("OMP_NUM_THREADS");
    cJSON_AddNumberToObject(p->root, "cpus_online", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddStringToObject(p->root, "omp_num_threads", omp ? omp : "");
    p->options = cJSON_AddObjectToObject(p->root, "options");
    p->files = cJSON_AddArrayToObject(p->root, "files");
    cJSON *ci = cJSON_AddObjectToObject(p->root, "intervals");
    cJSON_AddStringToObject(ci, "method", CLI_CI_METHOD);
    cJSON_AddNumberToObject(ci, "level", 0.95);
    cJSON_AddStringToObject(ci, "function", "parm_score_wilson (include/parm/stats.h)");
    cJSON_AddNumberToObject(ci, "min_prompts_for_design_effect", PARM_CI_MIN_PROMPTS);
    p->rows = cJSON_AddArrayToObject(p->root, "rows");
    return p;
}

int bench_prov_key(bench_prov *p, const char *manifest) {
    if (!p) return 0;
    cJSON *k = cJSON_Parse(manifest);
    if (!cJSON_IsObject(k)) { cJSON_Delete(k); return PARM_ERR("bench options line does not parse as JSON"); }
    cJSON_AddItemToObject(p->root, "resume_key", k);
    return 0;
}

/* options given as float (0.3f) are written as the number the user typed: 7 significant digits */
void bench_prov_num(bench_prov *p, const char *key, double v) {
    if (!p) return;
    if (v != (double)(long long)v) {
        char b[32];
        snprintf(b, sizeof b, "%.7g", v);
        v = strtod(b, NULL);
    }
    cJSON_AddNumberToObject(p->options, key, v);
}
void bench_prov_str(bench_prov *p, const char *key, const char *v) {
    if (p) cJSON_AddItemToObject(p->options, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}
void bench_prov_sample(bench_prov *p, const parm_sample_opts *o) {
    if (!p) return;
    cJSON *s = cJSON_AddObjectToObject(p->options, "sampler");
    cJSON_AddNumberToObject(s, "steps", o->steps);
    cJSON_AddNumberToObject(s, "cfg", o->cfg);
    cJSON_AddNumberToObject(s, "temp", o->temp);
    cJSON_AddNumberToObject(s, "temp_end", o->temp_end);
    cJSON_AddNumberToObject(s, "choice_temp", o->choice_temp);
    cJSON_AddNumberToObject(s, "bg_penalty", o->bg_penalty);
    cJSON_AddNumberToObject(s, "group_commit", o->group_commit);
}

int bench_prov_file(bench_prov *p, const char *role, const char *path) {
    if (!p || !path || !*path) return 0;
    for (cJSON *f = p->files->child; f; f = f->next) { /* each file once */
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(f, "path");
        if (cJSON_IsString(q) && !strcmp(q->valuestring, path)) return 0;
    }
    char hex[65];
    long bytes = 0;
    if (cli_sha256_file(path, hex, &bytes)) return -1;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "role", role);
    cJSON_AddStringToObject(f, "path", path);
    cJSON_AddStringToObject(f, "sha256", hex);
    cJSON_AddNumberToObject(f, "bytes", (double)bytes);
    cJSON_AddItemToArray(p->files, f);
    return 0;
}

int bench_prov_row(bench_prov *p, const bench_row *r) {
    if (!p) return 0;
    char buf[4096];
    if (bench_row_json(r, buf, sizeof buf)) return -1;
    cJSON *o = cJSON_Parse(buf);
    if (!o) return PARM_ERR("row JSON of '%s' does not parse", r->method);
    cJSON_AddItemToArray(p->rows, o);
    return 0;
}

int bench_prov_write(bench_prov *p, const char *dir, const char *results_rel) {
    if (!p) return 0;
    char now[32], path[1100];
    utc_now(now, sizeof now);
    cJSON_AddStringToObject(p->root, "status", "complete");
    cJSON_AddStringToObject(p->root, "end", now);
    cJSON_AddNumberToObject(p->root, "seconds", parm_now() - p->t0);
    cJSON_AddStringToObject(p->root, "results", results_rel);
    snprintf(path, sizeof path, "%s/run.json", dir);
    char *s = cJSON_Print(p->root);
    if (!s) return PARM_ERR("run.json: out of memory");
    parm_atomic_file af;
    int rc = parm_atomic_open(&af, path);
    if (!rc) {
        fputs(s, af.f);
        fputc('\n', af.f);
        rc = parm_atomic_commit(&af);
    }
    free(s);
    return rc;
}

void bench_prov_free(bench_prov *p) {
    if (!p) return;
    cJSON_Delete(p->root);
    free(p);
}

/* ---- per-image details in results.jsonl ---- */

static void num_or_null(char *b, size_t n, double v, const char *fmt) {
    if (v != v) snprintf(b, n, "null");
    else snprintf(b, n, fmt, v);
}

char *bench_image_json(const parm_search_result *r, uint64_t seed) {
    size_t cap = 256 + (r ? (size_t)r->n * 200 + (PARM_PARMPP_MAX_ROUNDS + 1) * 400 : 0), k = 0;
    char *s = parm_malloc(cap);
    if (!s) return NULL;
    k += snprintf(s + k, cap - k, "\"seed\": %llu", (unsigned long long)seed);
    if (!r) return s;
    char sc[32];
    num_or_null(sc, sizeof sc, r->score, "%.6f");
    k += snprintf(s + k, cap - k,
                  ", \"method\": \"%s\", \"n\": %d, \"chosen\": %d, \"chosen_seed\": %llu, \"score\": %s, "
                  "\"gen_forwards\": %ld, \"judge_calls\": %ld, \"survivors\": %d, \"fallback\": %s, \"paths\": [",
                  parm_search_methods[r->method].name, r->n, r->chosen,
                  (unsigned long long)parm_seed_of(seed, 0, r->chosen), sc, r->gen_forwards, r->judge_calls,
                  r->survivors, r->fallback ? "true" : "false");
    for (int j = 0; j < r->n; j++) {
        const parm_search_path *v = &r->path[j];
        char pot[32], ps[32];
        num_or_null(pot, sizeof pot, v->potential, "%.6f");
        num_or_null(ps, sizeof ps, v->score, "%.6f");
        k += snprintf(s + k, cap - k,
                      "%s{\"seed\": %llu, \"forwards\": %d, \"judge_calls\": %d, \"stop_step\": %d, \"clear_step\": %d, "
                      "\"potential\": %s, \"score\": %s, \"correct\": %s}",
                      j ? ", " : "", (unsigned long long)parm_seed_of(seed, 0, j), v->forwards, v->judge_calls,
                      v->stop_step, v->clear_step, pot, ps, v->correct < 0 ? "null" : v->correct ? "true" : "false");
    }
    k += snprintf(s + k, cap - k, "]");
    if (r->method == PARM_SEARCH_PARMPP) { /* each round: its forwards, judge calls, reflection, grader verdict */
        k += snprintf(s + k, cap - k, ", \"rounds\": %d, \"accepted\": %s, \"round\": [", r->rounds,
                      r->accepted < 0 ? "null" : r->accepted ? "true" : "false");
        for (int q = 0; q <= r->rounds && q <= PARM_PARMPP_MAX_ROUNDS; q++) {
            char esc[400];
            size_t e = 0;
            for (const char *c = r->reflection[q]; *c && e + 3 < sizeof esc; c++) { /* the grammar's words: no quotes */
                if (*c == '"' || *c == '\\') esc[e++] = '\\';
                esc[e++] = *c;
            }
            esc[e] = 0;
            char sc[32], ap[32];
            num_or_null(sc, sizeof sc, r->round_score[q], "%.6f");
            num_or_null(ap, sizeof ap, r->round_accept_p[q], "%.6f");
            k += snprintf(s + k, cap - k, "%s{\"forwards\": %ld, \"judge_calls\": %ld, \"reflection\": \"%s\", "
                          "\"score\": %s, \"accept_p\": %s, \"correct\": %s}", q ? ", " : "", r->round_forwards[q],
                          r->round_judge_calls[q], esc, sc, ap,
                          r->round_correct[q] < 0 ? "null" : r->round_correct[q] ? "true" : "false");
        }
        snprintf(s + k, cap - k, "]");
    }
    return s;
}

char *bench_frag_strip(char *frag, const char *rel) {
    size_t n = strlen(frag) + strlen(rel) + 16;
    char *s = parm_malloc(n);
    if (s) snprintf(s, n, "%s, \"strip\": \"%s\"", frag, rel);
    free(frag);
    return s;
}

int bench_results_finish(const char *path, char *const *extra, long n, int per, parm_outcome *out) {
    char *data = NULL;
    if (parm_read_file(path, &data, NULL)) return -1;
    parm_atomic_file af;
    if (extra && parm_atomic_open(&af, path)) { free(data); return -1; }
    long k = 0;
    int rc = 0;
    for (char *line = data, *nl; *line && !rc; line = nl + 1, k++) {
        if (!(nl = strchr(line, '\n'))) { rc = PARM_ERR("%s: line %ld has no newline", path, k + 1); break; }
        *nl = 0;
        cJSON *o = cJSON_Parse(line);
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "correct"), *t = cJSON_GetObjectItemCaseSensitive(o, "tag");
        int tag = -1;
        for (int q = 0; q < PARM_NTAGS && cJSON_IsString(t); q++)
            if (!strcmp(t->valuestring, parm_tag_names[q])) tag = q;
        if (k >= n || !cJSON_IsBool(c) || tag < 0) rc = PARM_ERR("%s: line %ld is not a graded row of this run", path, k + 1);
        else {
            out[k] = (parm_outcome){.prompt = k / per, .tag = tag, .correct = cJSON_IsTrue(c)};
            char *end = strrchr(line, '}');
            if (extra && end) {
                *end = 0;
                fprintf(af.f, "%s, %s}\n", line, extra[k] ? extra[k] : "\"seed\": null");
            }
        }
        cJSON_Delete(o);
        if (!nl[1]) { k++; break; }
    }
    free(data);
    if (!rc && k != n) rc = PARM_ERR("%s has %ld rows, this run graded %ld images", path, k, n);
    if (extra) {
        if (rc) parm_atomic_abort(&af);
        else rc = parm_atomic_commit(&af);
    }
    return rc;
}

/* ---- intervals (parm_score_wilson: honest with few prompts; see parm/stats.h) ---- */

int bench_ci_of(const parm_outcome *o, long n, parm_score_ci *ci) {
    return parm_score_wilson(o, (int)n, ci);
}

int bench_ci_json(const parm_score_ci *ci, char *buf, size_t n) {
    size_t k = 0;
    k += snprintf(buf + k, n - k, "{");
    for (int t = 0; t < PARM_NTAGS && k < n; t++) {
        if (ci->lo[t] < 0) k += snprintf(buf + k, n - k, "\"%s\": null, ", parm_tag_names[t]);
        else k += snprintf(buf + k, n - k, "\"%s\": [%.6f, %.6f], ", parm_tag_names[t], ci->lo[t], ci->hi[t]);
    }
    if (k < n) k += snprintf(buf + k, n - k, "\"overall\": [%.6f, %.6f]}", ci->overall_lo, ci->overall_hi);
    if (k >= n) return PARM_ERR("interval JSON does not fit %zu bytes", n);
    return 0;
}

void cli_print_score_ci(const parm_score *sc, const parm_score_ci *ci, FILE *f) {
    fprintf(f, "%-14s %8s  %-17s %14s\n", "category", "accuracy", "95% interval", "correct/images");
    for (int t = 0; t < PARM_NTAGS; t++) {
        if (sc->n[t])
            fprintf(f, "%-14s %8.3f  [%.3f, %.3f]    %6ld / %-6ld\n", parm_tag_names[t], parm_score_tag(sc, t), ci->lo[t],
                    ci->hi[t], sc->correct[t], sc->n[t]);
        else fprintf(f, "%-14s %8s  %-17s %6s / %-6s\n", parm_tag_names[t], "-", "-", "0", "0");
    }
    fprintf(f, "%-14s %8.3f  [%.3f, %.3f]    (mean of the categories; %ld images)\n", "overall",
            parm_score_overall(sc), ci->overall_lo, ci->overall_hi, parm_score_images(sc));
    fprintf(f, "95%% intervals: %s\n", CLI_CI_METHOD);
}

/* ---- per-image details kept for --resume ---- */

static void details_path(char *buf, size_t n, const char *out, int i, int j) {
    snprintf(buf, n, "%s/%05d/%04d.details.json", out, i, j);
}

int bench_details_write(const char *out, int i, int j, const char *frag) {
    char p[1200];
    details_path(p, sizeof p, out, i, j);
    parm_atomic_file af;
    if (parm_atomic_open(&af, p)) return -1;
    fprintf(af.f, "%s\n", frag);
    return parm_atomic_commit(&af);
}

char *bench_details_read(const char *out, int i, int j, uint64_t seed) {
    char p[1200], *d = NULL;
    size_t n = 0;
    details_path(p, sizeof p, out, i, j);
    if (parm_read_file(p, &d, &n) || !n) { /* a run from before details were kept: the seed only */
        free(d);
        parm_clear_error();
        return bench_image_json(NULL, seed);
    }
    if (d[n - 1] == '\n') d[n - 1] = 0;
    return d;
}
