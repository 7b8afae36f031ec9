/* plot.c — line charts into an RGB buffer / PNG for the benchmark's scaling
 * curves (parm/plot.h): a hand-written 5×7 bitmap font, thick and dashed
 * lines, markers, ticks on a linear or log2 x axis, a legend. Deterministic
 * (integer pixels, no anti-aliasing), so the same data give the same PNG. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parm/plot.h"
#include "parm/world.h"

/* ---- the font: 7 rows per glyph, 5 bits per row, bit 4 = the left column ---- */
typedef struct {
    char c;
    uint8_t r[PARM_FONT_H];
} glyph;
static const glyph font[] = {
    {' ', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
    {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
    {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
    {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
    {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
    {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}},
    {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}},
    {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
    {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
    {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}},
    {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
    {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}},
    {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
    {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
    {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
    {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}},
    {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'a', {0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F}},
    {'b', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E}},
    {'c', {0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E}},
    {'d', {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F}},
    {'e', {0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E}},
    {'f', {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08}},
    {'g', {0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E}},
    {'h', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'i', {0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E}},
    {'j', {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C}},
    {'k', {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12}},
    {'l', {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'m', {0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11}},
    {'n', {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'o', {0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E}},
    {'p', {0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10}},
    {'q', {0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01}},
    {'r', {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10}},
    {'s', {0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E}},
    {'t', {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06}},
    {'u', {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D}},
    {'v', {0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'w', {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A}},
    {'x', {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11}},
    {'y', {0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E}},
    {'z', {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
    {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
    {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}},
    {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}},
    {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}},
    {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
    {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}},
    {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
    {'?', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}},
};
enum { NGLYPHS = sizeof font / sizeof font[0] };

int parm_font_glyph(int c, uint8_t rows[PARM_FONT_H]) {
    for (int i = 0; i < NGLYPHS; i++)
        if (font[i].c == c) {
            memcpy(rows, font[i].r, PARM_FONT_H);
            return 0;
        }
    for (int i = 0; i < NGLYPHS; i++)
        if (font[i].c == '?') memcpy(rows, font[i].r, PARM_FONT_H);
    return -1;
}

int parm_text_width(const char *s, int scale) {
    size_t n = strlen(s);
    return n ? (int)n * PARM_FONT_ADVANCE * scale - scale : 0;
}

static void put(uint8_t *rgb, int w, int h, int x, int y, const uint8_t c[3]) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    memcpy(rgb + ((size_t)y * w + x) * 3, c, 3);
}

void parm_draw_text(uint8_t *rgb, int w, int h, int x, int y, const char *s, const uint8_t color[3], int scale,
                    int vertical) {
    if (scale < 1) scale = 1;
    const int tw = parm_text_width(s, scale);
    for (int i = 0; s[i]; i++) {
        uint8_t rows[PARM_FONT_H];
        parm_font_glyph((unsigned char)s[i], rows);
        for (int r = 0; r < PARM_FONT_H; r++)
            for (int c = 0; c < PARM_FONT_W; c++) {
                if (!(rows[r] >> (PARM_FONT_W - 1 - c) & 1)) continue;
                const int along = (i * PARM_FONT_ADVANCE + c) * scale;
                for (int a = 0; a < scale; a++)
                    for (int b = 0; b < scale; b++) {
                        if (vertical) put(rgb, w, h, x + r * scale + a, y + tw - along - scale + b, color);
                        else put(rgb, w, h, x + along + a, y + r * scale + b, color);
                    }
            }
    }
}

/* ---- drawing primitives (clipped to a rectangle) ---- */
typedef struct {
    uint8_t *rgb;
    int w, h;
    int cx0, cy0, cx1, cy1; /* clip, inclusive */
} canvas;

static void cput(const canvas *cv, int x, int y, const uint8_t c[3]) {
    if (x < cv->cx0 || y < cv->cy0 || x > cv->cx1 || y > cv->cy1) return;
    put(cv->rgb, cv->w, cv->h, x, y, c);
}
static void fill_rect(const canvas *cv, int x0, int y0, int x1, int y1, const uint8_t c[3]) {
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) cput(cv, x, y, c);
}
/* a line of `thick` px from (x0, y0) to (x1, y1); dashed: 7 px on, 5 off, the
 * phase carried in *dist across the segments of one polyline. Only the part
 * inside the clip rectangle is walked (Liang-Barsky), so far-off points of a
 * fixed y range cost nothing. */
static void line(const canvas *cv, double x0, double y0, double x1, double y1, int thick, int dashed, double *dist,
                 const uint8_t c[3]) {
    const double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    const double p[4] = {-dx, dx, -dy, dy},
                 q[4] = {x0 - (cv->cx0 - thick), cv->cx1 + thick - x0, y0 - (cv->cy0 - thick), cv->cy1 + thick - y0};
    double t0 = 0, t1 = 1;
    for (int e = 0; e < 4; e++) {
        if (p[e] == 0) {
            if (q[e] < 0) t1 = -1; /* parallel to this edge and outside it */
        } else if (p[e] < 0) t0 = fmax(t0, q[e] / p[e]);
        else t1 = fmin(t1, q[e] / p[e]);
    }
    const int lo = -(thick - 1) / 2, hi = thick / 2;
    const int steps = t0 <= t1 ? (int)ceil((t1 - t0) * len * 2) + 1 : -1;
    for (int k = 0; k <= steps; k++) {
        const double t = t0 + (t1 - t0) * k / steps, d = *dist + t * len;
        if (dashed && fmod(d, 12.0) >= 7.0) continue;
        const int px = (int)lround(x0 + t * dx), py = (int)lround(y0 + t * dy);
        for (int a = lo; a <= hi; a++)
            for (int b = lo; b <= hi; b++) cput(cv, px + a, py + b, c);
    }
    *dist += len;
}
/* marker kind k % 4: disc, square, diamond, triangle; about 8 px across */
static void marker(const canvas *cv, double x, double y, int kind, const uint8_t c[3]) {
    if (!(fabs(x) < 1e6 && fabs(y) < 1e6)) return; /* far outside a fixed y range */
    const int cx = (int)lround(x), cy = (int)lround(y);
    for (int b = -4; b <= 4; b++)
        for (int a = -4; a <= 4; a++) {
            int in;
            switch (kind % 4) {
            case 0: in = a * a + b * b <= 13; break;
            case 1: in = abs(a) <= 3 && abs(b) <= 3; break;
            case 2: in = abs(a) + abs(b) <= 4; break;
            default: in = b >= -4 && b <= 3 && 2 * abs(a) <= b + 4; break;
            }
            if (in) cput(cv, cx + a, cy + b, c);
        }
}

const uint8_t parm_plot_palette[PARM_PLOT_NPALETTE][3] = {
    {31, 119, 180},  /* blue */
    {255, 127, 14},  /* orange */
    {44, 160, 44},   /* green */
    {214, 39, 40},   /* red */
    {148, 103, 189}, /* purple */
    {140, 86, 75},   /* brown */
    {227, 119, 194}, /* pink */
    {23, 190, 207},  /* cyan */
};
static const uint8_t BLACK[3] = {0, 0, 0}, GRID[3] = {225, 225, 225},
                     TEXT[3] = {40, 40, 40};

parm_plot_opts parm_plot_defaults(void) {
    parm_plot_opts o = {.width = 640, .height = 420, .ystep = 0.1};
    return o;
}

/* a "nice" tick step (1, 2 or 5 × 10^k) giving about `want` intervals over span */
static double nice_step(double span, int want) {
    const double raw = span / want, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}
/* digits after the point for labels of ticks `step` apart */
static int decimals(double step) {
    int d = (int)ceil(-log10(step) - 1e-9);
    return d < 0 ? 0 : d > 6 ? 6 : d;
}

static int check_input(const parm_plot_opts *o, const parm_plot_series *s, int ns) {
    if (!o) return PARM_ERR("plot: no options");
    if (o->width < 200 || o->width > 4096 || o->height < 150 || o->height > 4096)
        return PARM_ERR("plot: size %dx%d is outside 200..4096 x 150..4096", o->width, o->height);
    if (!(fabs(o->ymin) <= 1e15) || !(fabs(o->ymax) <= 1e15) || o->ymin > o->ymax ||
        (o->ymin < o->ymax && o->ymax - o->ymin < 1e-9))
        return PARM_ERR("plot: y range [%g, %g] is not a range within +-1e15 (ymin == ymax: auto; "
                        "else at least 1e-9 wide)", o->ymin, o->ymax);
    if (!(o->ystep >= 1e-9 && o->ystep <= 1e15))
        return PARM_ERR("plot: y tick step %g is not a number in [1e-9, 1e15]", o->ystep);
    if (o->ymin < o->ymax && (o->ymax - o->ymin) / o->ystep > 1000)
        return PARM_ERR("plot: y range [%g, %g] with ticks every %g is over 1000 ticks", o->ymin, o->ymax, o->ystep);
    if (!s || ns <= 0) return PARM_ERR("plot: no series to plot (got %d)", ns);
    for (int i = 0; i < ns; i++) {
        const parm_plot_series *p = &s[i];
        if (!p->name || !*p->name) return PARM_ERR("plot: series %d has no name", i);
        if (p->n <= 0 || !p->y || (!p->hline && !p->x))
            return PARM_ERR("plot: series '%s' has no points (n = %d)", p->name, p->n);
        for (int k = 0; k < p->n; k++) {
            if (!(fabs(p->y[k]) <= 1e15))
                return PARM_ERR("plot: series '%s' point %d: y = %g is not a finite number within +-1e15",
                                p->name, k, p->y[k]);
            if (p->hline) continue;
            if (!(fabs(p->x[k]) <= 1e15))
                return PARM_ERR("plot: series '%s' point %d: x = %g is not a finite number within +-1e15",
                                p->name, k, p->x[k]);
            if (o->xlog2 && !(p->x[k] > 0))
                return PARM_ERR("plot: series '%s' point %d: x = %g is not > 0, which a log2 x axis needs", p->name, k,
                                p->x[k]);
        }
    }
    return 0;
}

/* A legend name drawn from (x, y - 3) in lines of at most maxw px, broken
 * after the last space that fits (mid-word when a word alone is wider);
 * returns the y of its last line. */
static int legend_name(uint8_t *rgb, int W, int H, int x, int y, int maxw, const char *name) {
    char buf[256];
    const char *p = name;
    for (;;) {
        size_t n = strlen(p), fit = 0, cut = 0;
        if (n >= sizeof buf) n = sizeof buf - 1;
        for (size_t k = 1; k <= n; k++) { /* the longest prefix that fits, and its last space */
            memcpy(buf, p, k);
            buf[k] = 0;
            if (k > 1 && parm_text_width(buf, 1) > maxw) break;
            fit = k;
            if (p[k - 1] == ' ') cut = k;
        }
        if (fit == n) cut = n;
        else if (cut == 0) cut = fit;
        memcpy(buf, p, cut);
        buf[cut] = 0;
        parm_draw_text(rgb, W, H, x, y - 3, buf, TEXT, 1, 0);
        p += cut;
        while (*p == ' ') p++;
        if (!*p || cut == n) return y;
        y += 12;
    }
}

int parm_plot_render(const parm_plot_opts *o, const parm_plot_series *s, int ns, uint8_t **out) {
    *out = NULL;
    if (check_input(o, s, ns)) return -1;
    const int W = o->width, H = o->height;
    uint8_t *rgb = parm_malloc((size_t)W * H * 3);
    if (!rgb) return -1;
    memset(rgb, 255, (size_t)W * H * 3);
    canvas all = {rgb, W, H, 0, 0, W - 1, H - 1};

    /* data ranges (x in axis units: log2 x on a log axis) */
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < ns; i++)
        for (int k = 0; k < s[i].n; k++) {
            if (s[i].hline && k > 0) break;
            ylo = fmin(ylo, s[i].y[k]);
            yhi = fmax(yhi, s[i].y[k]);
            if (s[i].hline) continue;
            const double x = o->xlog2 ? log2(s[i].x[k]) : s[i].x[k];
            xlo = fmin(xlo, x);
            xhi = fmax(xhi, x);
        }
    if (xlo > xhi) { xlo = 0; xhi = 1; } /* only reference lines */
    if (xhi - xlo < 1e-12) { xlo -= 1; xhi += 1; }
    const double xpad = 0.05 * (xhi - xlo);
    xlo -= xpad;
    xhi += xpad;
    double ystep = o->ystep, y0 = o->ymin, y1 = o->ymax;
    if (!(y0 < y1)) {
        y0 = floor(ylo / ystep + 1e-9) * ystep;
        y1 = ceil(yhi / ystep - 1e-9) * ystep;
        if (y1 - y0 < ystep * 0.5) { y0 -= ystep; y1 += ystep; }
        if ((y1 - y0) / ystep > 12) {
            ystep = nice_step(y1 - y0, 8);
            y0 = floor(ylo / ystep + 1e-9) * ystep;
            y1 = ceil(yhi / ystep - 1e-9) * ystep;
        }
        if (!(y1 > y0)) { /* precision lost far from 0: a range around the data */
            y0 = ylo - 1 - 0.1 * fabs(ylo);
            y1 = yhi + 1 + 0.1 * fabs(yhi);
            ystep = nice_step(y1 - y0, 8);
        }
    }

    /* layout: title, plot area, legend to its right */
    int legend_w = 0;
    for (int i = 0; i < ns; i++) {
        const int lw = parm_text_width(s[i].name, 1) + 40;
        if (lw > legend_w) legend_w = lw;
    }
    if (legend_w > W / 3) legend_w = W / 3;
    const int has_title = o->title && *o->title;
    const int L = 62, T = has_title ? 44 : 16, R = W - legend_w - 20, B = H - (o->xlabel && *o->xlabel ? 50 : 32);
    canvas plot = {rgb, W, H, L - 5, T - 5, R + 5, B + 5};
    const double sx = (R - L) / (xhi - xlo), sy = (B - T) / (y1 - y0);
#define PX(v) (L + ((v) - xlo) * sx)
#define PY(v) (B - ((v) - y0) * sy)

    /* grid and ticks */
    char lab[64];
    const int yd = decimals(ystep);
    for (long k = (long)ceil(y0 / ystep - 1e-9); k * ystep <= y1 + 1e-9 * ystep; k++) {
        const double v = k * ystep;
        const int py = (int)lround(PY(v));
        fill_rect(&all, L, py, R, py, GRID);
        fill_rect(&all, L - 4, py, L - 1, py, BLACK);
        snprintf(lab, sizeof lab, "%.*f", yd, fabs(v) < 1e-9 * ystep ? 0.0 : v);
        parm_draw_text(rgb, W, H, L - 7 - parm_text_width(lab, 1), py - 3, lab, TEXT, 1, 0);
    }
    double xstep = o->xlog2 ? 1 : nice_step(xhi - xlo, 6);
    if (o->xlog2 && xhi - xlo > 12) xstep = ceil((xhi - xlo) / 12);
    for (long k = (long)ceil(xlo / xstep - 1e-9); k * xstep <= xhi + 1e-9 * xstep; k++) {
        const double v = k * xstep;
        const int px = (int)lround(PX(v));
        fill_rect(&all, px, T, px, B, GRID);
        fill_rect(&all, px, B + 1, px, B + 4, BLACK);
        if (o->xlog2) snprintf(lab, sizeof lab, "%g", exp2(v));
        else snprintf(lab, sizeof lab, "%.*f", decimals(xstep), fabs(v) < 1e-12 * xstep ? 0.0 : v);
        parm_draw_text(rgb, W, H, px - parm_text_width(lab, 1) / 2, B + 8, lab, TEXT, 1, 0);
    }
    /* frame */
    fill_rect(&all, L - 1, T - 1, R + 1, T - 1, BLACK);
    fill_rect(&all, L - 1, B + 1, R + 1, B + 1, BLACK);
    fill_rect(&all, L - 1, T - 1, L - 1, B + 1, BLACK);
    fill_rect(&all, R + 1, T - 1, R + 1, B + 1, BLACK);

    /* titles */
    if (has_title) {
        /* centred over the plot area; over the whole width when it is wider
         * than that (a long legend narrows the plot); half size when it is
         * wider than the image */
        const int ts = parm_text_width(o->title, 2) <= W - 8 ? 2 : 1, tw = parm_text_width(o->title, ts);
        int tx = (L + R) / 2 - tw / 2;
        if (tx < 4 || tx + tw > W - 4) tx = (W - tw) / 2;
        parm_draw_text(rgb, W, H, tx < 4 ? 4 : tx, ts == 2 ? 14 : 18, o->title, BLACK, ts, 0);
    }
    if (o->xlabel && *o->xlabel)
        parm_draw_text(rgb, W, H, (L + R) / 2 - parm_text_width(o->xlabel, 1) / 2, B + 24, o->xlabel, BLACK, 1, 0);
    if (o->ylabel && *o->ylabel)
        parm_draw_text(rgb, W, H, 10, (T + B) / 2 - parm_text_width(o->ylabel, 1) / 2, o->ylabel, BLACK, 1, 1);

    /* the series: reference lines first, then curves in order, markers on top */
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < ns; i++) {
            const parm_plot_series *p = &s[i];
            const uint8_t *c = p->color ? p->color : parm_plot_palette[i % PARM_PLOT_NPALETTE];
            double dist = 0;
            if (pass == 0 && p->hline) {
                const double py = PY(p->y[0]);
                line(&plot, L, py, R, py, 2, p->dashed, &dist, c);
            } else if (pass == 1 && !p->hline) {
                for (int k = 0; k + 1 < p->n; k++) {
                    const double xa = o->xlog2 ? log2(p->x[k]) : p->x[k];
                    const double xb = o->xlog2 ? log2(p->x[k + 1]) : p->x[k + 1];
                    line(&plot, PX(xa), PY(p->y[k]), PX(xb), PY(p->y[k + 1]), 2, p->dashed, &dist, c);
                }
            } else if (pass == 2 && !p->hline && !p->no_markers) {
                for (int k = 0; k < p->n; k++) {
                    const double x = o->xlog2 ? log2(p->x[k]) : p->x[k];
                    marker(&plot, PX(x), PY(p->y[k]), i, c);
                }
            }
        }
#undef PX
#undef PY

    /* legend: a line sample with the marker, then the name, wrapped at
     * spaces onto more lines when it is wider than the legend column */
    const int lx = R + 14;
    int ly = T + 6;
    for (int i = 0; i < ns; i++) {
        const parm_plot_series *p = &s[i];
        const uint8_t *c = p->color ? p->color : parm_plot_palette[i % PARM_PLOT_NPALETTE];
        double dist = 0;
        line(&all, lx, ly, lx + 24, ly, 2, p->dashed, &dist, c);
        if (!p->hline && !p->no_markers) marker(&all, lx + 12, ly, i, c);
        ly = legend_name(rgb, W, H, lx + 32, ly, W - 4 - (lx + 32), p->name) + 18;
    }
    *out = rgb;
    return 0;
}

int parm_plot_png(const char *path, const parm_plot_opts *o, const parm_plot_series *s, int ns) {
    uint8_t *rgb;
    if (parm_plot_render(o, s, ns, &rgb)) return -1;
    int rc = parm_png_write(path, rgb, o->width, o->height);
    free(rgb);
    return rc;
}
