/* geneval.c — what `parm grade` and `parm bench` share: GenEval's folder
 * layout (<dir>/<NNNNN>/metadata.jsonl, samples/<NNNN>.png), grading a list
 * of images in parallel into results.jsonl (written atomically), and the
 * score summary (six category accuracies, overall = their mean) as a table
 * or one JSON object. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "world_internal.h"

/* ---- scores ---- */
void parm_score_add(parm_score *sc, parm_tag tag, int correct) {
    if ((unsigned)tag >= PARM_NTAGS) return;
    sc->n[tag]++;
    sc->correct[tag] += correct != 0;
}
double parm_score_tag(const parm_score *sc, int tag) {
    return sc->n[tag] ? (double)sc->correct[tag] / sc->n[tag] : -1.0;
}
double parm_score_overall(const parm_score *sc) {
    double s = 0;
    int k = 0;
    for (int t = 0; t < PARM_NTAGS; t++)
        if (sc->n[t]) { s += parm_score_tag(sc, t); k++; }
    return k ? s / k : 0.0;
}
long parm_score_images(const parm_score *sc) {
    long n = 0;
    for (int t = 0; t < PARM_NTAGS; t++) n += sc->n[t];
    return n;
}
void parm_score_print(const parm_score *sc, FILE *f) {
    fprintf(f, "%-14s %8s %14s\n", "category", "accuracy", "correct/images");
    for (int t = 0; t < PARM_NTAGS; t++) {
        if (sc->n[t])
            fprintf(f, "%-14s %8.3f %6ld / %-6ld\n", parm_tag_names[t], parm_score_tag(sc, t), sc->correct[t], sc->n[t]);
        else
            fprintf(f, "%-14s %8s %6s / %-6s\n", parm_tag_names[t], "-", "0", "0");
    }
    fprintf(f, "%-14s %8.3f   (mean of the categories; %ld images)\n", "overall", parm_score_overall(sc),
            parm_score_images(sc));
}
int parm_score_json(const parm_score *sc, char *buf, size_t n) {
    size_t k = 0;
    char tmp[512];
    k += snprintf(tmp + k, sizeof tmp - k, "{");
    for (int t = 0; t < PARM_NTAGS; t++) {
        if (sc->n[t]) k += snprintf(tmp + k, sizeof tmp - k, "\"%s\": %.6f, ", parm_tag_names[t], parm_score_tag(sc, t));
        else k += snprintf(tmp + k, sizeof tmp - k, "\"%s\": null, ", parm_tag_names[t]);
    }
    k += snprintf(tmp + k, sizeof tmp - k, "\"overall\": %.6f, \"images\": %ld}", parm_score_overall(sc),
                  parm_score_images(sc));
    if (k >= sizeof tmp || k >= n) return PARM_ERR("score JSON does not fit %zu bytes", n);
    memcpy(buf, tmp, k + 1);
    return 0;
}

/* ---- layout ---- */
int parm_geneval_sample_path(char *buf, size_t n, const char *dir, int i, int j) {
    int k = snprintf(buf, n, "%s/%05d/samples/%04d.png", dir, i, j);
    if (k < 0 || (size_t)k >= n) return PARM_ERR("path too long under '%s'", dir);
    return 0;
}

int parm_geneval_write_prompt(const char *dir, int i, const parm_prompt *p) {
    char path[1024], line[1100];
    if ((size_t)snprintf(path, sizeof path, "%s/%05d/samples", dir, i) >= sizeof path)
        return PARM_ERR("path too long under '%s'", dir);
    if (parm_mkdirs(path)) return -1;
    snprintf(path, sizeof path, "%s/%05d/metadata.jsonl", dir, i);
    if (parm_prompt_to_json(p, line, sizeof line, 0)) return -1;
    parm_atomic_file af;
    if (parm_atomic_open(&af, path)) return -1;
    fprintf(af.f, "%s\n", line);
    return parm_atomic_commit_nosync(&af);
}

static int all_digits(const char *s, size_t len) {
    if (strlen(s) != len) return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
/* prompt folders: numeric order (then by name), so 9 < 10 whatever the padding */
static int cmp_num(const void *a, const void *b) {
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    while (*x == '0' && x[1]) x++;
    while (*y == '0' && y[1]) y++;
    size_t lx = strlen(x), ly = strlen(y);
    if (lx != ly) return lx < ly ? -1 : 1;
    int c = strcmp(x, y);
    return c ? c : cmp_str(a, b);
}

/* sorted names in dir matching pred; *names malloc'd array of malloc'd strings */
static int list_dir(const char *dir, int (*pred)(const char *), int (*cmp)(const void *, const void *), char ***names,
                    int *n) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return PARM_ERR("cannot open folder '%s': %s", dir, strerror(errno));
    int cap = 16, m = 0;
    char **v = parm_malloc(sizeof *v * cap);
    if (!v) { closedir(d); return -1; }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!pred(e->d_name)) continue;
        if (m == cap) {
            char **nv = parm_realloc(v, sizeof *v * cap * 2);
            if (!nv) goto fail;
            v = nv;
            cap *= 2;
        }
        if (!(v[m] = parm_strdup(e->d_name))) goto fail;
        m++;
    }
    closedir(d);
    qsort(v, m, sizeof *v, cmp);
    *names = v;
    *n = m;
    return 0;
fail:
    for (int i = 0; i < m; i++) free(v[i]);
    free(v);
    closedir(d);
    return -1;
}
static void free_names(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}
static int is_prompt_dir(const char *s) { return all_digits(s, strlen(s)) && strlen(s) >= 1; }
static int not_hidden(const char *s) { return s[0] != '.'; }
/* the index of a sample name "<digits>.png" (at most 8 digits), or -1 */
static long sample_index(const char *s) {
    size_t n = strlen(s);
    if (n < 5 || n > 12 || strcmp(s + n - 4, ".png")) return -1;
    for (size_t i = 0; i < n - 4; i++)
        if (s[i] < '0' || s[i] > '9') return -1;
    return strtol(s, NULL, 10);
}

/* Every prompt folder must hold the same images 0..K-1: name the first
 * missing or extra one. A gap in a folder's numbers is a missing image; else
 * K is the count most folders have, and a folder with fewer misses its next
 * image, one with more has an extra (a tie between counts names both
 * readings). fold[k], idx[k], width[k]: folder, index, digits of item k (in
 * folder order, indices ascending). */
static int check_complete(const char *dir, char **pd, int np, const parm_grade_item *v, const int *fold,
                          const long *idx, const int *width, int m) {
    int *cnt = parm_calloc((size_t)np + 1, sizeof *cnt), *w = parm_calloc((size_t)np + 1, sizeof *w);
    if (!cnt || !w) { free(cnt); free(w); return -1; }
    int rc = 0;
    for (int k = 0; k < m && !rc; k++) {
        int i = fold[k];
        w[i] = width[k];
        if (idx[k] == cnt[i]) cnt[i]++;
        else if (idx[k] < cnt[i])
            rc = PARM_ERR("extra image '%s': a second file for sample %ld of '%s/%s'", v[k].path, idx[k], dir, pd[i]);
        else
            rc = PARM_ERR("missing image '%s/%s/samples/%0*d.png' (the folder has '%s')", dir, pd[i], width[k],
                          cnt[i], v[k].path);
    }
    int K = 0, best = 0, tie = 0; /* the most common count */
    for (int i = 0; i < np && !rc; i++) {
        int c = 0;
        for (int j = 0; j < np; j++) c += cnt[j] == cnt[i];
        if (c > best) { best = c; K = cnt[i]; tie = 0; }
        else if (c == best && cnt[i] != K) tie = 1;
    }
    for (int i = 0; i < np && !rc; i++) {
        if (cnt[i] == K) continue;
        if (tie) {
            int j = 0;
            while (cnt[j] == cnt[i]) j++;
            int big = cnt[i] > cnt[j] ? i : j, small = big == i ? j : i;
            rc = PARM_ERR("prompt folders hold different numbers of images: '%s/%s/samples' %d, '%s/%s/samples' %d "
                          "(missing '%s/%s/samples/%0*d.png' or extra '%s/%s/samples/%0*d.png')",
                          dir, pd[big], cnt[big], dir, pd[small], cnt[small], dir, pd[small], w[small], cnt[small], dir,
                          pd[big], w[big], cnt[small]);
        } else if (cnt[i] < K)
            rc = PARM_ERR("missing image '%s/%s/samples/%0*d.png': the other prompt folders hold %d images each", dir,
                          pd[i], w[i], cnt[i], K);
        else
            rc = PARM_ERR("extra image '%s/%s/samples/%0*d.png': the other prompt folders hold %d images each", dir,
                          pd[i], w[i], K, K);
    }
    free(cnt);
    free(w);
    return rc;
}

int parm_geneval_scan(const char *dir, parm_grade_item **items, int *n) {
    *items = NULL;
    *n = 0;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return PARM_ERR("'%s' is not a folder (expected GenEval layout: DIR/00000/metadata.jsonl, DIR/00000/samples/0000.png)", dir);
    char **pd;
    int np;
    if (list_dir(dir, is_prompt_dir, cmp_num, &pd, &np)) return -1;
    if (np == 0) {
        free_names(pd, np);
        return PARM_ERR("'%s' holds no prompt folders (expected GenEval layout: DIR/00000/metadata.jsonl, "
                        "DIR/00000/samples/0000.png)", dir);
    }
    for (int i = 0; i < np; i++) /* folders 0..np-1, none missing */
        if (strtol(pd[i], NULL, 10) != i) {
            PARM_ERR("missing prompt folder '%s/%05d' (found '%s' in its place; GenEval layout numbers them from 0)",
                     dir, i, pd[i]);
            free_names(pd, np);
            return -1;
        }
    int cap = np * 4, m = 0;
    parm_grade_item *v = parm_malloc(sizeof *v * cap);
    int *fold = parm_malloc(sizeof *fold * cap), *width = parm_malloc(sizeof *width * cap);
    long *idx = parm_malloc(sizeof *idx * cap);
    if (!v || !fold || !width || !idx) { free(v); free(fold); free(width); free(idx); free_names(pd, np); return -1; }
    for (int i = 0; i < np; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/metadata.jsonl", dir, pd[i]);
        parm_prompt *ps;
        int k;
        if (parm_prompts_load(path, &ps, &k)) goto fail;
        if (k != 1) {
            free(ps);
            PARM_ERR("'%s' holds %d metadata lines; GenEval layout has exactly one per prompt folder", path, k);
            goto fail;
        }
        snprintf(path, sizeof path, "%s/%s/samples", dir, pd[i]);
        char **sn;
        int ns;
        if (list_dir(path, not_hidden, cmp_num, &sn, &ns)) { free(ps); goto fail; }
        if (ns == 0) {
            free(ps);
            free_names(sn, ns);
            PARM_ERR("'%s' holds no .png samples", path);
            goto fail;
        }
        for (int j = 0; j < ns; j++) {
            if (m == cap) {
                parm_grade_item *nv = parm_realloc(v, sizeof *v * cap * 2);
                if (nv) v = nv;
                int *nf = nv ? parm_realloc(fold, sizeof *fold * cap * 2) : NULL;
                if (nf) fold = nf;
                int *nw = nf ? parm_realloc(width, sizeof *width * cap * 2) : NULL;
                if (nw) width = nw;
                long *ni = nw ? parm_realloc(idx, sizeof *idx * cap * 2) : NULL;
                if (ni) idx = ni;
                if (!ni) { free(ps); free_names(sn, ns); goto fail; }
                cap *= 2;
            }
            if ((idx[m] = sample_index(sn[j])) < 0) {
                PARM_ERR("extra file '%s/%s': a samples folder holds only images named <number>.png", path, sn[j]);
                free(ps);
                free_names(sn, ns);
                goto fail;
            }
            fold[m] = i;
            width[m] = (int)strlen(sn[j]) - 4;
            if ((size_t)snprintf(v[m].path, sizeof v[m].path, "%s/%s", path, sn[j]) >= sizeof v[m].path) {
                free(ps);
                free_names(sn, ns);
                PARM_ERR("path too long: '%s/%s'", path, sn[j]);
                goto fail;
            }
            v[m].prompt = ps[0];
            m++;
        }
        free(ps);
        free_names(sn, ns);
    }
    if (check_complete(dir, pd, np, v, fold, idx, width, m)) goto fail;
    free_names(pd, np);
    free(fold); free(width); free(idx);
    *items = v;
    *n = m;
    return 0;
fail:
    free_names(pd, np);
    free(v); free(fold); free(width); free(idx);
    return -1;
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

#define REASON_LEN 384
int parm_grade_items(const parm_grade_item *items, int n, const char *results_path, parm_score *sc) {
    memset(sc, 0, sizeof *sc);
    if (n <= 0) return PARM_ERR("no images to grade");
    char *reasons = parm_malloc((size_t)n * REASON_LEN);
    signed char *ok = parm_malloc((size_t)n);
    if (!reasons || !ok) { free(reasons); free(ok); return -1; }
    int first_bad = n;
    char bad_msg[1024] = "";
#pragma omp parallel for schedule(dynamic, 16)
    for (int i = 0; i < n; i++) {
        int bad;
#pragma omp atomic read
        bad = first_bad;
        if (bad < i) { ok[i] = -1; continue; }
        uint8_t *rgb = NULL;
        int w = 0, h = 0, rc = parm_png_read(items[i].path, &rgb, &w, &h);
        if (!rc && (w != PARM_IMG || h != PARM_IMG))
            rc = PARM_ERR("image '%s' is %dx%d; the grader needs %dx%d", items[i].path, w, h, PARM_IMG, PARM_IMG);
        if (rc) {
            ok[i] = -1;
#pragma omp critical(parm_grade_err)
            if (i < first_bad) {
#pragma omp atomic write
                first_bad = i;
                snprintf(bad_msg, sizeof bad_msg, "%s", parm_last_error());
            }
        } else {
            ok[i] = (signed char)parm_grade(rgb, &items[i].prompt, reasons + (size_t)i * REASON_LEN, REASON_LEN);
        }
        free(rgb);
    }
    if (first_bad < n) {
        free(reasons);
        free(ok);
        return PARM_ERR("%s", bad_msg);
    }
    parm_atomic_file af;
    if (results_path && parm_atomic_open(&af, results_path)) { free(reasons); free(ok); return -1; }
    for (int i = 0; i < n; i++) {
        parm_score_add(sc, items[i].prompt.tag, ok[i]);
        if (!results_path) continue;
        fprintf(af.f, "{\"filename\": ");
        json_str(af.f, items[i].path);
        fprintf(af.f, ", \"tag\": \"%s\", \"prompt\": ", parm_tag_names[items[i].prompt.tag]);
        json_str(af.f, items[i].prompt.text);
        fprintf(af.f, ", \"correct\": %s, \"reason\": ", ok[i] ? "true" : "false");
        json_str(af.f, reasons + (size_t)i * REASON_LEN);
        fprintf(af.f, "}\n");
    }
    free(reasons);
    free(ok);
    if (results_path && parm_atomic_commit(&af)) return -1;
    return 0;
}
