/* cmd_compare.c — `parm compare A B`: two methods graded on the same images
 * (two results.jsonl of `parm bench`/`parm grade`, or their folders): per
 * category and overall, A's and B's scores, the paired difference A − B and
 * its 95 % interval (parm/stats.h: bootstrap over prompts, stratified by
 * Agresti-Min adjusted Wald per category on the design-effect-scaled 2x2
 * table, honest with few prompts; --bootstrap: the paired bootstrap over
 * prompts, stratified by category, with a note naming the categories with
 * too few prompts for it). Images are matched
 * by their place in the GenEval layout (<prompt folder>/samples/<name>.png)
 * and must have the same prompt in both; images only one side has are left
 * out with a note. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "parm.h"

typedef struct {
    char key[64];   /* "00012/samples/0003.png" */
    long prompt;    /* 12 */
    int tag, correct;
    char text[160];
} crow;

static int by_key(const void *a, const void *b) { return strcmp(((const crow *)a)->key, ((const crow *)b)->key); }

/* rows of a results file (or DIR/results.jsonl) sorted by key */
static int load(const char *arg, crow **out, int *n) {
    char path[1200];
    struct stat st;
    if (!stat(arg, &st) && S_ISDIR(st.st_mode)) snprintf(path, sizeof path, "%s/results.jsonl", arg);
    else snprintf(path, sizeof path, "%s", arg);
    cJSON **rows;
    int nrows, rc = 0;
    if (cli_results_load(path, &rows, &nrows)) return -1;
    *out = parm_malloc(sizeof **out * nrows);
    *n = 0;
    if (!*out) rc = -1;
    for (int i = 0; i < nrows && !rc; i++) {
        const cJSON *o = rows[i], *f = cJSON_GetObjectItemCaseSensitive(o, "filename"),
                    *c = cJSON_GetObjectItemCaseSensitive(o, "correct"), *t = cJSON_GetObjectItemCaseSensitive(o, "tag"),
                    *p = cJSON_GetObjectItemCaseSensitive(o, "prompt");
        crow r = {.tag = -1};
        for (int q = 0; q < PARM_NTAGS && cJSON_IsString(t); q++)
            if (!strcmp(t->valuestring, parm_tag_names[q])) r.tag = q;
        const char *s = strstr(f->valuestring, "/samples/"), *k = s;
        while (k && k > f->valuestring && k[-1] != '/') k--;
        if (!k || r.tag < 0 || !cJSON_IsString(p) || k == s) {
            rc = PARM_ERR("%s: row %d: not a results row (needs filename .../<prompt folder>/samples/<name>.png, tag, "
                          "prompt, correct)", path, i + 1);
        } else {
            snprintf(r.key, sizeof r.key, "%s", k);
            r.prompt = strtol(k, NULL, 10);
            r.correct = cJSON_IsTrue(c);
            snprintf(r.text, sizeof r.text, "%s", p->valuestring);
            (*out)[(*n)++] = r;
        }
    }
    cli_results_free(rows, nrows);
    if (!rc && !*n) rc = PARM_ERR("%s has no rows", path);
    if (!rc) {
        qsort(*out, *n, sizeof **out, by_key);
        for (int i = 1; i < *n && !rc; i++)
            if (!strcmp((*out)[i].key, (*out)[i - 1].key)) rc = PARM_ERR("%s: image %s appears twice", path, (*out)[i].key);
    }
    if (rc) { free(*out); *out = NULL; }
    return rc;
}

static void usage(FILE *f) {
    fprintf(f, "usage: parm compare A B [--json] [--bootstrap [--seed S] [--resamples R]]\n\n"
               "Paired comparison of two methods graded on the same images: A and B are\n"
               "results.jsonl files of `parm bench` / `parm grade` (or their folders). Prints each\n"
               "category's and the overall score of A and B, the difference A - B and its 95%%\n"
               "interval: %s\n"
               "(parm/stats.h: honest with few prompts; paired, so what the images share cancels out).\n"
               "Images are matched by <prompt folder>/samples/<name>.png and must have the same prompt.\n"
               "  --json          one JSON object\n"
               "  --bootstrap     the %s instead\n"
               "                  (too narrow below %d prompts per category; said so when used there)\n"
               "  --seed S        bootstrap seed (default %d)\n"
               "  --resamples R   default %d\n", CLI_CI_PAIRED_ADJ, CLI_CI_PAIRED, PARM_CI_MIN_PROMPTS, PARM_CI_SEED,
            PARM_CI_REPS);
}

int cmd_compare(int argc, char **argv) {
    const char *fa = NULL, *fb = NULL;
    long seed = PARM_CI_SEED, reps = PARM_CI_REPS;
    int json = 0, boot = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--bootstrap")) boot = 1;
        else if (!strcmp(a, "--seed")) { if (!(v = cli_value(argc, argv, i++)) || cli_int(a, v, 0, 0x7fffffffL, &seed)) return 2; }
        else if (!strcmp(a, "--resamples")) { if (!(v = cli_value(argc, argv, i++)) || cli_int(a, v, 100, 1000000, &reps)) return 2; }
        else if (a[0] == '-' && a[1]) return cli_unknown("compare", a);
        else if (!fa) fa = a;
        else if (!fb) fb = a;
        else { fprintf(stderr, "parm compare: error: two results files only (a third: '%s')\n", a); return 2; }
    }
    if (!fa || !fb) { usage(stderr); return 2; }
    crow *A = NULL, *B = NULL;
    int na, nb;
    if (load(fa, &A, &na)) return cli_fail();
    if (load(fb, &B, &nb)) { free(A); return cli_fail(); }
    parm_outcome *o = parm_malloc(sizeof *o * (na < nb ? na : nb));
    int n = 0, rc = !o;
    parm_score sa = {0}, sb = {0};
    for (int i = 0, j = 0; i < na && j < nb && !rc;) { /* merge on the sorted keys */
        int c = strcmp(A[i].key, B[j].key);
        if (c < 0) { i++; continue; }
        if (c > 0) { j++; continue; }
        if (strcmp(A[i].text, B[j].text) || A[i].tag != B[j].tag) {
            rc = PARM_ERR("image %s has prompt '%s' in %s but '%s' in %s (not the same benchmark)", A[i].key, A[i].text,
                          fa, B[j].text, fb);
            break;
        }
        o[n++] = (parm_outcome){.prompt = A[i].prompt, .tag = A[i].tag, .correct = A[i].correct, .correct_b = B[j].correct};
        parm_score_add(&sa, A[i].tag, A[i].correct);
        parm_score_add(&sb, B[j].tag, B[j].correct);
        i++;
        j++;
    }
    if (!rc && !n) rc = PARM_ERR("%s and %s share no images (matched by <prompt folder>/samples/<name>.png)", fa, fb);
    parm_paired_diff d;
    if (!rc) rc = boot ? parm_score_paired(o, n, (int)reps, (uint64_t)seed, &d) : parm_score_paired_adjusted(o, n, &d);
    const char *how = boot ? CLI_CI_PAIRED : CLI_CI_PAIRED_ADJ;
    char howb[512];
    if (boot) snprintf(howb, sizeof howb, "%s (%ld resamples, seed %ld)", CLI_CI_PAIRED, reps, seed);
    else snprintf(howb, sizeof howb, "%s", how);
    if (!rc && boot) { /* the bootstrap is too narrow with few prompts: say where */
        long last[PARM_NTAGS];
        int np[PARM_NTAGS] = {0}, few = 0;
        for (int t = 0; t < PARM_NTAGS; t++) last[t] = -1;
        for (int i = 0; i < n; i++) /* o is in key order: a prompt's images are adjacent */
            if (o[i].prompt != last[o[i].tag]) { np[o[i].tag]++; last[o[i].tag] = o[i].prompt; }
        for (int t = 0; t < PARM_NTAGS; t++) few += np[t] > 0 && np[t] < PARM_CI_MIN_PROMPTS;
        if (few)
            fprintf(stderr, "parm compare: note: %d categor%s fewer than %d prompts: there the bootstrap interval is too "
                            "narrow (zero-width when the prompts agree); read those rows with their counts\n", few,
                    few == 1 ? "y has" : "ies have", PARM_CI_MIN_PROMPTS);
    }
    if (!rc && (n < na || n < nb))
        fprintf(stderr, "parm compare: note: %d images in both; left out %d only in A, %d only in B\n", n, na - n, nb - n);
    if (!rc && json) {
        printf("{\"a\": \"%s\", \"b\": \"%s\", \"images\": %d, \"method\": \"%s\"", fa, fb, n, how);
        if (boot) printf(", \"resamples\": %ld, \"seed\": %ld", reps, seed);
        for (int t = 0; t <= PARM_NTAGS; t++) {
            const char *name = t < PARM_NTAGS ? parm_tag_names[t] : "overall";
            if (t < PARM_NTAGS && !d.n[t]) { printf(", \"%s\": null", name); continue; }
            double a = t < PARM_NTAGS ? parm_score_tag(&sa, t) : parm_score_overall(&sa);
            double b = t < PARM_NTAGS ? parm_score_tag(&sb, t) : parm_score_overall(&sb);
            printf(", \"%s\": {\"a\": %.6f, \"b\": %.6f, \"diff\": %.6f, \"ci\": [%.6f, %.6f]}", name, a, b, d.d[t], d.lo[t],
                   d.hi[t]);
        }
        printf(", \"a_only_correct\": %ld, \"b_only_correct\": %ld}\n", d.a_only, d.b_only);
    } else if (!rc) {
        printf("A = %s\nB = %s\n%d images in both\n", fa, fb, n);
        printf("%-14s %7s %7s %8s  %-18s %7s\n", "category", "A", "B", "A - B", "95% interval", "images");
        for (int t = 0; t <= PARM_NTAGS; t++) {
            const char *name = t < PARM_NTAGS ? parm_tag_names[t] : "overall";
            if (t < PARM_NTAGS && !d.n[t]) { printf("%-14s %7s %7s %8s  %-18s %7d\n", name, "-", "-", "-", "-", 0); continue; }
            double a = t < PARM_NTAGS ? parm_score_tag(&sa, t) : parm_score_overall(&sa);
            double b = t < PARM_NTAGS ? parm_score_tag(&sb, t) : parm_score_overall(&sb);
            printf("%-14s %7.3f %7.3f %+8.3f  [%+.3f, %+.3f]   %7ld\n", name, a, b, d.d[t], d.lo[t], d.hi[t],
                   t < PARM_NTAGS ? d.n[t] : (long)n);
        }
        printf("only A correct: %ld images, only B correct: %ld images\n", d.a_only, d.b_only);
        printf("95%% intervals: %s%s\n", howb,
               d.lo[PARM_NTAGS] > 0 ? "; overall: A is better (the interval excludes 0)"
               : d.hi[PARM_NTAGS] < 0 ? "; overall: B is better (the interval excludes 0)"
                                      : "; overall: the interval includes 0");
    }
    free(A);
    free(B);
    free(o);
    return rc ? cli_fail() : 0;
}
