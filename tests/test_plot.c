/* test_plot.c — the line-chart plotter (parm/plot.h) and `parm plot`:
 * the PNG has the asked size, white background, the series' colours and a
 * rising series drawn rising; the 5×7 font draws a known glyph (plain,
 * scaled, rotated), covers the characters labels need and has no duplicated
 * glyphs; a title wider than the image is drawn whole; bad input (no series, NaN, x <= 0 on a log2 axis, no points, bad
 * size, values beyond 1e15) is an error quoting the value, never a crash,
 * and far-off points of a fixed y range are clipped; `parm plot` draws the
 * JSON lines of bench --method all and rejects garbled, empty, duplicated
 * or missing input with one line and a non-zero exit. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parm.h"
#include "test.h"
#include "test_shell.h"

static char T[] = "/tmp/parm-test-plot-XXXXXX";

static void put_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", T, name);
    FILE *f = fopen(path, "w");
    if (!f) { CHECK(0, "cannot write %s", path); return; }
    fputs(text, f);
    fclose(f);
}

static const uint8_t RED[3] = {230, 20, 20}, BLUE[3] = {20, 40, 220};

/* pixels of exactly colour c; their x extent and the mean y of the leftmost and rightmost columns */
static long count_colour(const uint8_t *rgb, int w, int h, const uint8_t c[3], int *xmin, int *xmax, double *yl,
                         double *yr) {
    long n = 0;
    *xmin = w;
    *xmax = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (!memcmp(rgb + ((size_t)y * w + x) * 3, c, 3)) {
                n++;
                if (x < *xmin) *xmin = x;
                if (x > *xmax) *xmax = x;
            }
    double sl = 0, sr = 0;
    int nl = 0, nr = 0;
    for (int y = 0; y < h && n; y++) {
        if (!memcmp(rgb + ((size_t)y * w + *xmin) * 3, c, 3)) { sl += y; nl++; }
        if (!memcmp(rgb + ((size_t)y * w + *xmax) * 3, c, 3)) { sr += y; nr++; }
    }
    *yl = nl ? sl / nl : -1;
    *yr = nr ? sr / nr : -1;
    return n;
}

static void test_png_size_and_colours(void) {
    const double x[5] = {1, 2, 4, 8, 16}, up[5] = {0.40, 0.45, 0.52, 0.60, 0.71}, flat[1] = {0.42};
    parm_plot_series s[2] = {
        {.name = "parm", .x = x, .y = up, .n = 5, .color = RED},
        {.name = "baseline (n=1)", .y = flat, .n = 1, .color = BLUE, .hline = 1, .dashed = 1, .no_markers = 1},
    };
    parm_plot_opts o = parm_plot_defaults();
    o.xlog2 = 1;
    o.title = "overall score vs N";
    o.xlabel = "N (paths per image)";
    o.ylabel = "overall score";
    char path[512];
    snprintf(path, sizeof path, "%s/p.png", T);
    CHECK(parm_plot_png(path, &o, s, 2) == 0, "%s", parm_last_error());
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    CHECK(parm_png_read(path, &rgb, &w, &h) == 0 && w == 640 && h == 420, "PNG %dx%d, want 640x420", w, h);
    if (!rgb || w != 640 || h != 420) { free(rgb); return; }
    const uint8_t white[3] = {255, 255, 255};
    CHECK(!memcmp(rgb, white, 3) && !memcmp(rgb + ((size_t)h * w - 1) * 3, white, 3), "white background");
    int x0, x1;
    double yl, yr;
    long nred = count_colour(rgb, w, h, RED, &x0, &x1, &yl, &yr);
    printf("    red: %ld px, x %d..%d, y left %.1f right %.1f\n", nred, x0, x1, yl, yr);
    CHECK(nred > 500, "the series colour appears (%ld px)", nred);
    CHECK(x1 - x0 > 300, "the series spans the plot area (x %d..%d)", x0, x1);
    CHECK(yr < yl - 100, "a rising series is drawn rising (y left %.1f, right %.1f)", yl, yr);
    long nblue = count_colour(rgb, w, h, BLUE, &x0, &x1, &yl, &yr);
    CHECK(nblue > 200, "the reference line's colour appears (%ld px)", nblue);
    free(rgb);
    /* the same input renders the same pixels; another size is honoured */
    uint8_t *a = NULL, *b = NULL;
    CHECK(parm_plot_render(&o, s, 2, &a) == 0 && parm_plot_render(&o, s, 2, &b) == 0 && !memcmp(a, b, 640 * 420 * 3),
          "deterministic");
    free(a);
    free(b);
    o.width = 300;
    o.height = 200;
    snprintf(path, sizeof path, "%s/small.png", T);
    CHECK(parm_plot_png(path, &o, s, 2) == 0 && parm_png_read(path, &rgb, &w, &h) == 0 && w == 300 && h == 200,
          "300x200: %dx%d %s", w, h, parm_last_error());
    free(rgb);
}

static void test_font(void) {
    const char *A[PARM_FONT_H] = {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"};
    const uint8_t ink[3] = {0, 0, 0};
    enum { W = 24, H = 24 };
    uint8_t img[W * H * 3];
    /* plain, at (3, 2) */
    memset(img, 255, sizeof img);
    parm_draw_text(img, W, H, 3, 2, "A", ink, 1, 0);
    int bad = 0, lit = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const int in = x >= 3 && x < 3 + PARM_FONT_W && y >= 2 && y < 2 + PARM_FONT_H;
            const int want = in && A[y - 2][x - 3] == '#', got = img[(y * W + x) * 3] == 0;
            bad += want != got;
            lit += got;
        }
    CHECK(bad == 0 && lit == 18, "'A' at scale 1: %d pixels wrong, %d lit", bad, lit);
    /* scale 2: every glyph pixel a 2x2 block */
    memset(img, 255, sizeof img);
    parm_draw_text(img, W, H, 1, 1, "A", ink, 2, 0);
    bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const int gx = (x - 1) / 2, gy = (y - 1) / 2;
            const int in = x >= 1 && y >= 1 && gx < PARM_FONT_W && gy < PARM_FONT_H;
            bad += (in && A[gy][gx] == '#') != (img[(y * W + x) * 3] == 0);
        }
    CHECK(bad == 0, "'A' at scale 2: %d pixels wrong", bad);
    /* vertical: rotated 90 degrees counter-clockwise, glyph (c, r) at (x + r, y + 4 - c) */
    memset(img, 255, sizeof img);
    parm_draw_text(img, W, H, 2, 3, "A", ink, 1, 1);
    bad = 0;
    for (int r = 0; r < PARM_FONT_H; r++)
        for (int c = 0; c < PARM_FONT_W; c++) bad += (A[r][c] == '#') != (img[((3 + 4 - c) * W + 2 + r) * 3] == 0);
    CHECK(bad == 0, "vertical 'A': %d pixels wrong", bad);
    CHECK(parm_text_width("N = 16", 1) == 6 * 6 - 1 && parm_text_width("", 2) == 0, "text width");
    /* clipped at the edges, no crash */
    parm_draw_text(img, W, H, -7, -3, "overall score", ink, 3, 0);
    parm_draw_text(img, W, H, 20, 20, "oracle (upper bound)", ink, 1, 1);
    /* coverage: what axis labels, legends and titles use; all glyphs distinct */
    const char *need = "0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-=:/(),_+%?";
    uint8_t g[128][PARM_FONT_H];
    int missing = 0, same = 0;
    for (const char *c = need; *c; c++) missing += parm_font_glyph((unsigned char)*c, g[(int)*c]) != 0;
    for (const char *a = need; *a; a++)
        for (const char *b = a + 1; *b; b++)
            if (!memcmp(g[(int)*a], g[(int)*b], PARM_FONT_H)) {
                same++;
                fprintf(stderr, "    glyphs '%c' and '%c' are identical\n", *a, *b);
            }
    CHECK(missing == 0 && same == 0, "%d characters missing, %d identical pairs", missing, same);
    uint8_t q[PARM_FONT_H];
    CHECK(parm_font_glyph('~', q) == -1 && !memcmp(q, g['?'], PARM_FONT_H), "unknown character: -1 and '?'");
}

/* a call that must fail with an error containing `want`, leaving *rgb NULL */
/* A title wider than the image beside a long legend (the session-16 scaling plot's
 * case) is drawn whole: every ink column inside the image, none cut at an edge. */
static void test_long_title(void) {
    const double x[2] = {1, 2}, y[2] = {0.4, 0.6};
    parm_plot_series s[1] = {{.name = "gen_itdpo_parm: oracle (upper bound), a long legend", .x = x, .y = y, .n = 2}};
    parm_plot_opts o = parm_plot_defaults();
    o.title = "overall score vs generator forwards per image (868 images)";
    uint8_t *rgb = NULL;
    CHECK(parm_plot_render(&o, s, 1, &rgb) == 0, "%s", parm_last_error());
    if (!rgb) return;
    const int W = o.width;
    int xmin = W, xmax = -1;
    for (int yy = 0; yy < 36; yy++) /* the title band, above the frame */
        for (int xx = 0; xx < W; xx++) {
            const uint8_t *q = rgb + ((size_t)yy * W + xx) * 3;
            if (q[0] < 80 && q[1] < 80 && q[2] < 80) {
                if (xx < xmin) xmin = xx;
                if (xx > xmax) xmax = xx;
            }
        }
    const int tw1 = parm_text_width(o.title, 1);
    printf("    title ink x %d..%d of %d px (text %d px at scale 1)\n", xmin, xmax, W, tw1);
    CHECK(xmin >= 4 && xmax <= W - 4, "title inside the image (x %d..%d of %d)", xmin, xmax, W);
    CHECK(xmax - xmin + 1 >= tw1 - 2, "title drawn whole (%d px of ink, text %d px)", xmax - xmin + 1, tw1);
    free(rgb);
}

/* A legend name wider than the legend column wraps onto more lines instead of
 * running off the image: the dark pixels right of the plot equal the name's
 * own, drawn alone on a canvas wide enough for it. */
static void test_long_legend(void) {
    const double x[2] = {1, 2}, y[2] = {0.4, 0.6};
    const char *name = "gen_itdpo_parm: PARM++ reflection on, three rounds (upper bound)";
    parm_plot_series s[2] = {{.name = name, .x = x, .y = y, .n = 2}, {.name = "orm", .x = x, .y = y, .n = 2}};
    parm_plot_opts o = parm_plot_defaults();
    uint8_t *rgb = NULL;
    CHECK(parm_plot_render(&o, s, 2, &rgb) == 0, "%s", parm_last_error());
    if (!rgb) return;
    const int W = o.width, H = o.height, x0 = W - W / 3 - 20 + 14 + 32; /* the names' column (legend capped at W/3) */
    long ink = 0;
    int ymax = 0;
    for (int yy = 0; yy < H; yy++)
        for (int xx = x0 - 1; xx < W; xx++) {
            const uint8_t *q = rgb + ((size_t)yy * W + xx) * 3;
            if (q[0] < 80 && q[1] < 80 && q[2] < 80) { ink++; if (yy > ymax) ymax = yy; }
        }
    const int w1 = parm_text_width(name, 1) + parm_text_width("orm", 1) + 8;
    uint8_t *alone = malloc((size_t)w1 * 20 * 3);
    long want = 0;
    if (alone) {
        memset(alone, 255, (size_t)w1 * 20 * 3);
        static const uint8_t dark[3] = {40, 40, 40};
        parm_draw_text(alone, w1, 20, 2, 4, name, dark, 1, 0);
        parm_draw_text(alone, w1, 20, parm_text_width(name, 1) + 6, 4, "orm", dark, 1, 0);
        for (long k = 0; k < (long)w1 * 20; k++)
            if (alone[3 * k] < 80) want++;
    }
    printf("    legend names' ink %ld px (alone %ld px), last ink row %d, name %d px wide, column %d px\n", ink, want,
           ymax, parm_text_width(name, 1), W - x0);
    CHECK(parm_text_width(name, 1) > W - x0, "the name is wider than the column (the case under test)");
    CHECK(want > 0 && ink == want, "every pixel of the legend names drawn (%ld of %ld)", ink, want);
    free(alone);
    free(rgb);
}

static void expect_error(const parm_plot_opts *o, const parm_plot_series *s, int ns, const char *want, const char *what) {
    uint8_t *rgb = (uint8_t *)1;
    parm_clear_error();
    int rc = parm_plot_render(o, s, ns, &rgb);
    CHECK(rc == -1 && rgb == NULL && strstr(parm_last_error(), want), "%s: rc %d, error '%s', want '%s'", what, rc,
          parm_last_error(), want);
    if (rc == 0) free(rgb);
}

static void test_bad_input(void) {
    const double x[3] = {1, 2, 4}, y[3] = {0.1, 0.2, 0.3}, ynan[3] = {0.1, NAN, 0.3}, yinf[1] = {INFINITY},
                 xzero[3] = {0, 2, 4}, xneg[3] = {1, -2, 4};
    parm_plot_opts o = parm_plot_defaults();
    o.xlog2 = 1;
    parm_plot_series ok = {.name = "orm", .x = x, .y = y, .n = 3};
    expect_error(&o, NULL, 0, "no series", "no series");
    expect_error(&o, &ok, 0, "no series", "zero series");
    parm_plot_series s = ok;
    s.y = ynan;
    expect_error(&o, &s, 1, "y = nan", "NaN y");
    s = ok;
    s.y = yinf;
    s.hline = 1;
    s.n = 1;
    expect_error(&o, &s, 1, "y = inf", "inf reference line");
    s = ok;
    s.x = xzero;
    expect_error(&o, &s, 1, "x = 0 is not > 0", "n = 0 on a log axis");
    s.x = xneg;
    expect_error(&o, &s, 1, "x = -2", "n < 0 on a log axis");
    o.xlog2 = 0; /* a linear axis takes them */
    uint8_t *rgb = NULL;
    CHECK(parm_plot_render(&o, &s, 1, &rgb) == 0 && rgb, "linear x takes x <= 0: %s", parm_last_error());
    free(rgb);
    o.xlog2 = 1;
    s = ok;
    s.n = 0;
    expect_error(&o, &s, 1, "no points", "no points");
    s = ok;
    s.name = "";
    expect_error(&o, &s, 1, "no name", "no name");
    parm_plot_opts b = o;
    b.width = 10;
    expect_error(&b, &ok, 1, "10x420", "tiny width");
    b = o;
    b.ymin = 1;
    b.ymax = 0;
    expect_error(&b, &ok, 1, "[1, 0]", "inverted y range");
    b = o;
    b.ystep = 0;
    expect_error(&b, &ok, 1, "step 0", "zero tick step");
    b = o;
    b.ymin = NAN;
    expect_error(&b, &ok, 1, "nan", "NaN ymin");
    char path[512];
    snprintf(path, sizeof path, "%s/never.png", T);
    parm_plot_series none = ok;
    none.n = 0;
    CHECK(parm_plot_png(path, &o, &none, 1) == -1 && access(path, F_OK) != 0, "nothing written on error");
    /* a single point, equal values, a fixed y range with data outside: drawn, no crash */
    const double one[1] = {8}, v[1] = {0.5};
    parm_plot_series single = {.name = "oracle (upper bound)", .x = one, .y = v, .n = 1};
    CHECK(parm_plot_render(&o, &single, 1, &rgb) == 0, "%s", parm_last_error());
    free(rgb);
    b = o;
    b.ymin = 0.6;
    b.ymax = 0.9;
    CHECK(parm_plot_render(&b, &single, 1, &rgb) == 0, "%s", parm_last_error());
    free(rgb);
    /* far-off points: clipped, not walked pixel by pixel; beyond 1e15 an error; precision edge */
    const double far[3] = {0.7, 1e14, -1e14}, huge[1] = {1e20}, same[3] = {1e14, 1e14, 1e14};
    s = ok;
    s.y = far;
    const double t0 = parm_now();
    CHECK(parm_plot_render(&b, &s, 1, &rgb) == 0 && parm_now() - t0 < 1.0, "far-off points: %s", parm_last_error());
    free(rgb);
    s.y = huge;
    s.n = 1;
    expect_error(&o, &s, 1, "y = 1e+20", "y beyond 1e15");
    s = ok;
    s.y = same;
    b = o;
    b.ystep = 1e-9;
    CHECK(parm_plot_render(&b, &s, 1, &rgb) == 0, "equal large values, tiny step: %s", parm_last_error());
    free(rgb);
}

static const char *ROWS =
    "{\"single_object\": 0.5, \"overall\": 0.412, \"images\": 8, \"method\": \"baseline\", \"n\": 1, "
    "\"upper_bound\": false}\n"
    "{\"overall\": 0.412, \"images\": 8, \"method\": \"parm\", \"n\": 1, \"upper_bound\": false}\n"
    "\n"
    "{\"overall\": 0.6, \"images\": 8, \"method\": \"parm\", \"n\": 4, \"upper_bound\": false}\n"
    "{\"overall\": 0.5, \"images\": 8, \"method\": \"parm\", \"n\": 2, \"upper_bound\": false}\n"
    "{\"overall\": 0.412, \"images\": 8, \"method\": \"oracle\", \"n\": 1, \"upper_bound\": true}\n"
    "{\"overall\": 0.875, \"images\": 8, \"method\": \"oracle\", \"n\": 4, \"upper_bound\": true}\n";

static void test_cli(void) {
    struct stat st;
    if (stat("./parm", &st)) { CHECK(0, "./parm not built (make parm)"); return; }
    CHECK(sh("./parm plot --help") == 0, "plot --help");
    char *o = slurp("out");
    CHECK(strstr(o, "usage: parm plot") != NULL, "%s", o);
    free(o);
    CHECK(sh("./parm plot --bogus") == 2, "unknown option exits 2");
    CHECK(sh("./parm plot -o %s/x.png", T) == 2, "--json is required");
    o = slurp("err");
    CHECK(strstr(o, "--json") && lines(o) == 1, "%s", o);
    free(o);
    CHECK(sh("./parm plot --json x --width 5 -o y.png") == 2, "bad width exits 2");
    o = slurp("err");
    CHECK(strstr(o, "'5'"), "%s", o);
    free(o);
    /* good rows (unsorted n, a blank line) → a 640x420 PNG; stdin gives the same */
    put_file("rows.jsonl", ROWS);
    CHECK(sh("./parm plot --json %s/rows.jsonl -o %s/c.png", T, T) == 0, "plot");
    CHECK(sh("./parm plot --json - -o %s/d.png < %s/rows.jsonl", T, T) == 0, "plot from stdin");
    char pc[600], pd[600];
    snprintf(pc, sizeof pc, "%s/c.png", T);
    snprintf(pd, sizeof pd, "%s/d.png", T);
    uint8_t *a = NULL, *b = NULL;
    int w = 0, h = 0, w2 = 0, h2 = 0;
    CHECK(parm_png_read(pc, &a, &w, &h) == 0 && w == 640 && h == 420, "%dx%d", w, h);
    CHECK(parm_png_read(pd, &b, &w2, &h2) == 0 && w2 == w && h2 == h && a && !memcmp(a, b, (size_t)w * h * 3),
          "stdin and file draw the same");
    /* parm's colour (its search-table slot) appears */
    if (a) {
        int x0, x1;
        double yl, yr;
        long n = count_colour(a, w, h, parm_plot_palette[PARM_SEARCH_PARM - 1], &x0, &x1, &yl, &yr);
        CHECK(n > 200 && yr < yl, "parm's line: %ld px, y left %.1f right %.1f", n, yl, yr);
    }
    /* two runs on one chart: a second run's lines are added (the PNG changes), labels must match the files */
    put_file("rows2.jsonl", "{\"overall\": 0.3, \"method\": \"baseline\", \"n\": 1, \"gen_forwards_per_image\": 12}\n"
                            "{\"overall\": 0.7, \"method\": \"parm\", \"n\": 4, \"gen_forwards_per_image\": 30}\n");
    CHECK(sh("./parm plot --json %s/rows.jsonl --json %s/rows2.jsonl --label gen --label gen_dpo -o %s/e.png", T, T, T) == 0,
          "two runs: %s", slurp("err"));
    char pe[600];
    snprintf(pe, sizeof pe, "%s/e.png", T);
    uint8_t *e2 = NULL;
    int w3 = 0, h3 = 0;
    CHECK(parm_png_read(pe, &e2, &w3, &h3) == 0 && w3 == w && h3 == h && a && memcmp(a, e2, (size_t)w * h * 3),
          "a second run changes the chart");
    free(e2);
    CHECK(sh("./parm plot --json %s/rows.jsonl --json %s/rows2.jsonl --label gen -o %s/f.png", T, T, T) == 2,
          "one label for two files exits 2");
    o = slurp("err");
    CHECK(strstr(o, "1 --label for 2 --json") && lines(o) == 1, "%s", o);
    free(o);
    CHECK(sh("./parm plot --json %s/rows2.jsonl --x steps -o %s/f.png", T, T) == 2, "--x steps exits 2");
    o = slurp("err");
    CHECK(strstr(o, "'steps'") && strstr(o, "n, forwards") && lines(o) == 1, "%s", o);
    free(o);
    CHECK(sh("./parm plot --json %s/rows2.jsonl --x forwards -o %s/f.png", T, T) == 0, "by forwards: %s", slurp("err"));
    CHECK(sh("./parm plot --json %s/rows.jsonl --json %s/rows2.jsonl --x forwards -o %s/g.png", T, T, T) == 1,
          "rows without forwards exit 1 by forwards");
    o = slurp("err");
    CHECK(strstr(o, "no gen_forwards_per_image") && lines(o) == 1, "%s", o);
    free(o);
    char pg[600];
    snprintf(pg, sizeof pg, "%s/g.png", T);
    CHECK(access(pg, F_OK) != 0, "no PNG after an error");
    free(a);
    free(b);
    /* garbled, wrong, empty, duplicated, missing: one line, exit 1, no PNG */
    const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"overall\": 0.4, \"method\": \"orm\", \"n\": 1}\n{\"overall\": 0.5, \"meth", "bad.jsonl:2: not JSON"},
        {"not json at all\n", "bad.jsonl:1: not JSON: 'not json at all'"},
        {"[1, 2]\n", "is not a JSON object"},
        {"{\"overall\": 0.4, \"method\": \"orm\", \"n\": 0}\n", "\"n\" = 0 is not a path count"},
        {"{\"overall\": 0.4, \"method\": \"orm\", \"n\": 2.5}\n", "\"n\" = 2.5"},
        {"{\"overall\": 1.7, \"method\": \"orm\", \"n\": 2}\n", "\"overall\" = 1.7 is not a score"},
        {"{\"overall\": \"high\", \"method\": \"orm\", \"n\": 2}\n", "\"overall\" is not a number"},
        {"{\"method\": \"orm\", \"n\": 2}\n", "\"overall\" is missing"},
        {"{\"overall\": 0.4, \"n\": 2}\n", "\"method\" is missing"},
        {"{\"overall\": 0.4, \"method\": \"orm\", \"n\": 2} trailing\n", "not JSON"},
        {"{\"overall\": 0.4, \"method\": \"orm\", \"n\": 2}\n{\"overall\": 0.5, \"method\": \"orm\", \"n\": 2}\n",
         "'orm' has two rows with n = 2"},
        {"\n  \n", "holds no rows"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_file("bad.jsonl", bad[i].text);
        CHECK(sh("./parm plot --json %s/bad.jsonl -o %s/bad.png", T, T) == 1, "case %zu exits 1", i);
        o = slurp("err");
        CHECK(strstr(o, bad[i].want) && lines(o) == 1, "case %zu: want '%s' in one line: %s", i, bad[i].want, o);
        free(o);
        char pb[600];
        snprintf(pb, sizeof pb, "%s/bad.png", T);
        CHECK(access(pb, F_OK) != 0, "case %zu wrote a PNG", i);
    }
    CHECK(sh("./parm plot --json %s/nonexistent.jsonl -o %s/bad.png", T, T) == 1, "missing file exits 1");
    o = slurp("err");
    CHECK(strstr(o, "nonexistent.jsonl") && lines(o) == 1, "%s", o);
    free(o);
    /* bench: --plot is for --method all; a bad --plot path fails before any work */
    CHECK(sh("./parm bench --method gt --plot %s/x.png", T) == 2, "--plot without all exits 2");
    o = slurp("err");
    CHECK(strstr(o, "--plot needs --method all") && lines(o) == 1, "%s", o);
    free(o);
    CHECK(sh("./parm bench --method all --prompts 1 --plot %s/no/such/dir/x.png", T) == 1, "unwritable --plot exits 1");
    o = slurp("err");
    CHECK(strstr(o, "no/such/dir") && lines(o) == 1, "%s", o);
    free(o);
}

int main(void) {
    if (!mkdtemp(T)) { perror("mkdtemp"); return 1; }
    test_shell_dir = T;
    RUN(test_png_size_and_colours);
    RUN(test_font);
    RUN(test_long_title);
    RUN(test_long_legend);
    RUN(test_bad_input);
    RUN(test_cli);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", T);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", T);
    return TEST_SUMMARY();
}
