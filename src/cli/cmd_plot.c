/* cmd_plot.c — the benchmark's scaling curve: overall score vs N (paths per
 * image), one line per method, as a PNG (parm/plot.h). Shared by
 * `parm bench --method all --plot FILE.png` (its rows go through the same
 * JSON as --json prints) and `parm plot --json FILE.jsonl -o FILE.png`,
 * which redraws it from saved JSON lines without rerunning the benchmark:
 * the same rows give the same PNG either way. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"

int plot_row_parse(const char *line, const char *where, plot_row *r) {
    memset(r, 0, sizeof *r);
    r->images = -1;
    cJSON *o = cJSON_ParseWithOpts(line, NULL, 1); /* nothing may follow the object */
    if (!o) return PARM_ERR("%s: not JSON: '%.60s' (expected a line of `parm bench --method all --json`)", where, line);
    int rc = 0;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "method"), *n = cJSON_GetObjectItemCaseSensitive(o, "n"),
                *ov = cJSON_GetObjectItemCaseSensitive(o, "overall"), *im = cJSON_GetObjectItemCaseSensitive(o, "images"),
                *ub = cJSON_GetObjectItemCaseSensitive(o, "upper_bound");
    if (!cJSON_IsObject(o)) rc = PARM_ERR("%s: '%.60s' is not a JSON object", where, line);
    else if (!cJSON_IsString(m)) rc = PARM_ERR("%s: \"method\" is %s", where, m ? "not a string" : "missing");
    else if (!*m->valuestring || strlen(m->valuestring) >= sizeof r->method)
        rc = PARM_ERR("%s: \"method\" '%.40s' is not a name of 1..%zu characters", where, m->valuestring,
                      sizeof r->method - 1);
    else if (!cJSON_IsNumber(n)) rc = PARM_ERR("%s: \"n\" is %s", where, n ? "not a number" : "missing");
    else if (n->valuedouble != floor(n->valuedouble) || n->valuedouble < 1 || n->valuedouble > 1e6)
        rc = PARM_ERR("%s: \"n\" = %g is not a path count (an integer in [1, 1000000])", where, n->valuedouble);
    else if (!cJSON_IsNumber(ov)) rc = PARM_ERR("%s: \"overall\" is %s", where, ov ? "not a number" : "missing");
    else if (!(ov->valuedouble >= 0 && ov->valuedouble <= 1))
        rc = PARM_ERR("%s: \"overall\" = %g is not a score in [0, 1]", where, ov->valuedouble);
    else if (im && !cJSON_IsNull(im) &&
             (!cJSON_IsNumber(im) || !(im->valuedouble >= 0 && im->valuedouble <= 1e15) ||
              im->valuedouble != floor(im->valuedouble))) /* (long) of a huge double is undefined */
        rc = PARM_ERR("%s: \"images\" is not a count (an integer in [0, 1e15])", where);
    else if (ub && !cJSON_IsBool(ub)) rc = PARM_ERR("%s: \"upper_bound\" is not true or false", where);
    else {
        snprintf(r->method, sizeof r->method, "%s", m->valuestring);
        r->n = (int)n->valuedouble;
        r->overall = ov->valuedouble;
        if (cJSON_IsNumber(im)) r->images = (long)im->valuedouble;
        const cJSON *fw = cJSON_GetObjectItemCaseSensitive(o, "gen_forwards_per_image");
        if (cJSON_IsNumber(fw) && fw->valuedouble > 0) r->forwards = fw->valuedouble;
        r->upper_bound = cJSON_IsTrue(ub);
    }
    cJSON_Delete(o);
    return rc;
}

#define PLOT_MAX_RUNS 4
static const uint8_t BASELINE_GRAY[3] = {110, 110, 110};

static int by_n(const void *a, const void *b) {
    const plot_row *x = a, *y = b;
    return (x->n > y->n) - (x->n < y->n);
}

int plot_rows_png(const plot_row *rows, int nrows, const char *title, const char *path, int width, int height) {
    return plot_rows_png_x(rows, nrows, title, path, width, height, 0);
}
int plot_rows_png_x(const plot_row *rows, int nrows, const char *title, const char *path, int width, int height,
                    int by_forwards) {
    return plot_rows_png_groups(rows, nrows, title, path, width, height, by_forwards, NULL, 1);
}

static int same_series(const plot_row *a, const plot_row *b) { return a->group == b->group && !strcmp(a->method, b->method); }

int plot_rows_png_groups(const plot_row *rows, int nrows, const char *title, const char *path, int width, int height,
                         int by_forwards, const char *const *labels, int ngroups) {
    if (nrows <= 0) return PARM_ERR("no rows to plot (expected the JSON lines of `parm bench --method all --json`)");
    /* methods in order of first appearance; each one's rows sorted by n */
    plot_row *sorted = parm_malloc(sizeof *sorted * nrows);
    parm_plot_series *ser = parm_calloc(nrows, sizeof *ser);
    double *xy = parm_malloc(sizeof *xy * 2 * nrows);
    char(*names)[96] = parm_malloc(sizeof *names * nrows);
    uint8_t(*grays)[3] = parm_malloc(sizeof *grays * nrows);
    const char **smethod = parm_malloc(sizeof *smethod * nrows); /* each series' method */
    int ns = 0, k = 0, rc = -1, extra_colour = 5;
    if (!sorted || !ser || !xy || !names || !grays || !smethod) goto done;
    for (int i = 0; i < nrows; i++) {
        if (rows[i].group < 0 || rows[i].group >= ngroups) {
            PARM_ERR("row %d is of run %d, not one of the %d runs", i, rows[i].group, ngroups);
            goto done;
        }
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = same_series(&rows[j], &rows[i]);
        if (seen) continue;
        const int k0 = k, g = rows[i].group;
        for (int j = i; j < nrows; j++)
            if (same_series(&rows[j], &rows[i])) sorted[k++] = rows[j];
        qsort(sorted + k0, k - k0, sizeof *sorted, by_n);
        for (int j = k0 + 1; j < k; j++)
            if (sorted[j].n == sorted[j - 1].n) {
                PARM_ERR("method '%s' has two rows with n = %d (rows of two runs mixed?)", rows[i].method, sorted[j].n);
                goto done;
            }
        parm_plot_series *s = &ser[ns];
        double *x = xy + 2 * k0, *y = x + (k - k0);
        for (int j = k0; j < k; j++) {
            if (by_forwards && !(sorted[j].forwards > 0)) {
                PARM_ERR("method '%s' n = %d has no gen_forwards_per_image to plot against", rows[i].method, sorted[j].n);
                goto done;
            }
            x[j - k0] = by_forwards ? sorted[j].forwards : sorted[j].n;
            y[j - k0] = sorted[j].overall;
        }
        s->x = x;
        s->y = y;
        s->n = k - k0;
        s->name = names[ns];
        char label[40] = "";
        if (ngroups > 1) snprintf(label, sizeof label, "%.36s: ", labels && labels[g] ? labels[g] : "run");
        if (!strcmp(rows[i].method, "baseline")) { /* one path whatever n: a reference line at n = 1 (or its smallest n) */
            snprintf(names[ns], sizeof names[ns], "%sbaseline (n=%d)", label, sorted[k0].n);
            s->hline = s->dashed = s->no_markers = 1;
            s->n = 1;
            for (int c = 0; c < 3; c++) grays[ns][c] = (uint8_t)(BASELINE_GRAY[c] + 40 * (g % 3)); /* lighter per run */
            s->color = grays[ns];
        } else {
            snprintf(names[ns], sizeof names[ns], "%s%s%s", label, rows[i].method,
                     sorted[k0].upper_bound ? " (upper bound)" : "");
            s->dashed = sorted[k0].upper_bound || g % 2 == 1;
            s->no_markers = g / 2 % 2 == 1;
            /* a method keeps its colour whichever others ran, and in every run: a search method by its
               table index, another name (orm-alt) the next free slot, shared with its line of an earlier run */
            int mi = parm_search_method_find(rows[i].method), earlier = -1;
            parm_clear_error();
            for (int e = 0; e < ns && earlier < 0 && mi <= 0; e++)
                if (!strcmp(smethod[e], rows[i].method)) earlier = e;
            s->color = earlier >= 0 ? ser[earlier].color
                                    : parm_plot_palette[(mi > 0 ? mi - 1 : extra_colour++) % PARM_PLOT_NPALETTE];
        }
        smethod[ns++] = rows[i].method;
    }
    char deftitle[128];
    if (!title) {
        long images = rows[0].images;
        for (int i = 1; i < nrows; i++)
            if (rows[i].images != images) images = -1;
        const char *what = by_forwards ? "overall score vs generator forwards per image" : "overall score vs N";
        if (images >= 0) snprintf(deftitle, sizeof deftitle, "%s (%ld images)", what, images);
        else snprintf(deftitle, sizeof deftitle, "%s", what);
        title = deftitle;
    }
    parm_plot_opts po = parm_plot_defaults();
    if (width > 0) po.width = width;
    if (height > 0) po.height = height;
    po.title = title;
    po.xlabel = by_forwards ? "generator forward passes per image" : "N (paths per image)";
    po.ylabel = "overall score";
    po.xlog2 = 1;
    rc = parm_plot_png(path, &po, ser, ns);
done:
    free(sorted);
    free(ser);
    free(xy);
    free(names);
    free(grays);
    free(smethod);
    return rc;
}

static void usage(FILE *f) {
    fprintf(f, "usage: parm plot --json FILE.jsonl [--json FILE2.jsonl ...] -o FILE.png [--label NAME ...] [--x n|forwards]\n"
               "                 [--title TEXT] [--width W] [--height H]\n\n"
               "Draw the scaling curve: overall score vs N (paths per image, log2 axis), one line\n"
               "with markers per method, from the JSON lines `parm bench --method all --json`\n"
               "prints; baseline is a dashed horizontal line at its n = 1 score, oracle a dashed\n"
               "line marked \"(upper bound)\". The same PNG as `parm bench --method all --plot`.\n"
               "Several --json files (one run each, e.g. one a generator: `bench --method all --gen W`)\n"
               "go on one chart: a method keeps its colour, the second run's lines are dashed, the\n"
               "third's have no markers, the fourth's both; the legend names each line \"LABEL: method\".\n"
               "  --json FILE     saved JSON lines (\"-\" = standard input, once); blank lines ignored;\n"
               "                  repeat for up to %d runs\n"
               "  --label NAME    a name per --json, in order (default each file's name without .jsonl)\n"
               "  --x AXIS        n (paths per image, default) or forwards (generator forward passes per\n"
               "                  image, the rows' gen_forwards_per_image: compute on one axis for all runs)\n"
               "  -o, --out FILE  the PNG to write (atomically); - for stdout\n"
               "  --title TEXT    default \"overall score vs N (K images)\"\n"
               "  --width W       pixels, 200..4096 (default 640)\n"
               "  --height H      pixels, 150..4096 (default 420)\n"
               "example:\n"
               "  parm bench --method all -n 16 --curve 1,2,4,8,16 --json > curve.jsonl\n"
               "  parm plot --json curve.jsonl -o curve.png\n"
               "  parm plot --json base.jsonl --json dpo.jsonl --label gen --label gen_dpo --x forwards -o gens.png\n",
            PLOT_MAX_RUNS);
}

/* all of stdin into a malloc'd NUL-terminated buffer */
static int read_stdin(char **out) {
    size_t n = 0, cap = 1 << 16;
    char *d = parm_malloc(cap);
    if (!d) return -1;
    size_t got;
    while ((got = fread(d + n, 1, cap - n - 1, stdin)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *e = parm_realloc(d, cap * 2);
            if (!e) { free(d); return -1; }
            d = e;
            cap *= 2;
        }
    }
    if (ferror(stdin)) { free(d); return PARM_ERR("cannot read standard input"); }
    d[n] = 0;
    *out = d;
    return 0;
}

/* The rows of one saved file (group g) appended to *rows. 0 / -1. */
static int read_rows(const char *in, int g, plot_row **rows, int *nrows, int *cap) {
    char *data = NULL;
    if (!strcmp(in, "-") ? read_stdin(&data) : parm_read_file(in, &data, NULL)) return -1;
    int lineno = 0, rc = 0, before = *nrows;
    for (char *p = data, *next; p && *p && !rc; p = next) {
        char *nl = strchr(p, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl) *nl = 0;
        lineno++;
        const char *q = p;
        while (*q == ' ' || *q == '\t' || *q == '\r') q++;
        if (!*q) continue;
        if (*nrows == *cap) {
            plot_row *e = parm_realloc(*rows, sizeof **rows * (*cap = *cap ? 2 * *cap : 64));
            if (!e) { rc = -1; break; }
            *rows = e;
        }
        char where[600];
        snprintf(where, sizeof where, "%s:%d", strcmp(in, "-") ? in : "<stdin>", lineno);
        rc = plot_row_parse(q, where, &(*rows)[*nrows]);
        (*rows)[(*nrows)++].group = g;
    }
    if (!rc && *nrows == before)
        rc = PARM_ERR("'%s' holds no rows (expected the JSON lines of `parm bench --method all --json`)", in);
    free(data);
    return rc;
}

int cmd_plot(int argc, char **argv) {
    const char *in[PLOT_MAX_RUNS], *label[PLOT_MAX_RUNS], *out = NULL, *title = NULL;
    int nin = 0, nlabel = 0, by_forwards = 0;
    long width = 0, height = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--json") || !strcmp(a, "--label")) {
            if (!(v = cli_value(argc, argv, i++))) return 2;
            const int is_json = !strcmp(a, "--json");
            int *count = is_json ? &nin : &nlabel;
            if (*count == PLOT_MAX_RUNS) {
                fprintf(stderr, "parm plot: error: more than %d %s options ('%s')\n", PLOT_MAX_RUNS, a, v);
                return 2;
            }
            (is_json ? in : label)[(*count)++] = v;
        } else if (!strcmp(a, "--x")) {
            if (!(v = cli_value(argc, argv, i++))) return 2;
            if (strcmp(v, "n") && strcmp(v, "forwards")) {
                fprintf(stderr, "parm plot: error: --x '%s' is not an axis (valid: n, forwards)\n", v);
                return 2;
            }
            by_forwards = !strcmp(v, "forwards");
        } else if (!strcmp(a, "--out") || !strcmp(a, "-o")) { if (!(v = cli_value(argc, argv, i++))) return 2; out = v; }
        else if (!strcmp(a, "--title")) { if (!(v = cli_value(argc, argv, i++))) return 2; title = v; }
        else if (!strcmp(a, "--width")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--width", v, 200, 4096, &width)) return 2;
        } else if (!strcmp(a, "--height")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--height", v, 150, 4096, &height)) return 2;
        } else return cli_unknown("plot", a);
    }
    if (!nin || !out) {
        fprintf(stderr, "parm plot: error: %s is required (see parm plot --help)\n", !nin ? "--json FILE" : "-o FILE.png");
        return 2;
    }
    if (nlabel && nlabel != nin) {
        fprintf(stderr, "parm plot: error: %d --label for %d --json (give one a file, in order, or none)\n", nlabel, nin);
        return 2;
    }
    int stdin_uses = 0;
    for (int k = 0; k < nin; k++) stdin_uses += !strcmp(in[k], "-");
    if (stdin_uses > 1) {
        fprintf(stderr, "parm plot: error: --json - (standard input) given %d times; it can be read once\n", stdin_uses);
        return 2;
    }
    char names[PLOT_MAX_RUNS][40];
    for (int k = 0; k < nin && !nlabel; k++) { /* default label: the file's name without folders and .jsonl */
        const char *b = strrchr(in[k], '/');
        b = b ? b + 1 : in[k];
        int len = (int)strlen(b);
        if (len > 6 && !strcmp(b + len - 6, ".jsonl")) len -= 6;
        snprintf(names[k], sizeof names[k], "%.*s", len < 39 ? len : 39, b);
        label[k] = names[k];
    }
    cli_out co;
    if (cli_output(&co, "-o", out, CLI_OUT_STDOUT)) return 2;
    out = co.path;
    plot_row *rows = NULL;
    int nrows = 0, cap = 0, rc = 0;
    for (int k = 0; k < nin && !rc; k++) rc = read_rows(in[k], k, &rows, &nrows, &cap);
    if (!rc) rc = plot_rows_png_groups(rows, nrows, title, out, (int)width, (int)height, by_forwards, label, nin);
    free(rows);
    if (rc) return cli_output_done(&co, cli_fail());
    if (cli_output_done(&co, 0)) return 1;
    fprintf(cli_output_msg(&co), "scaling curve of %d rows (%d run%s) written to %s\n", nrows, nin, nin > 1 ? "s" : "",
            co.to_stdout ? "stdout" : out);
    return 0;
}
