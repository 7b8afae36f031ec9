/* parm/plot.h — line charts into an RGB buffer and PNG, with a built-in 5×7
 * bitmap font: enough to draw the benchmark's scaling curve (overall score vs
 * N paths per image, one line per method) without any plotting library.
 *
 * Layout: title on top, plot area with a frame, light grid at the ticks,
 * tick labels and axis titles, legend (a line sample, marker and name per
 * series) to the right of the plot area. White background. */
#ifndef PARM_PLOT_H
#define PARM_PLOT_H

#include <stdint.h>

#include "parm/base.h"

/* ---- the font ---- */
#define PARM_FONT_W 5
#define PARM_FONT_H 7
#define PARM_FONT_ADVANCE 6 /* pixels per character at scale 1 (glyph + 1 px gap) */
/* Glyph of character c: rows[r] bit (PARM_FONT_W-1-col) set = pixel (col, r)
 * lit, r = 0 the top row. The font has digits, A-Z, a-z, space and
 * . , - _ = : / ( ) + % ? ; any other character gets '?' and returns -1. */
int parm_font_glyph(int c, uint8_t rows[PARM_FONT_H]);
/* Width in pixels of s drawn at `scale` (0 for ""). */
int parm_text_width(const char *s, int scale);
/* Draw s into rgb (w×h, row-major RGB), clipped to the image; every glyph
 * pixel is a scale×scale block. Horizontal: (x, y) is the top-left of the
 * text. vertical != 0: rotated 90° counter-clockwise (reads bottom to top);
 * (x, y) is the top-left of its box, 7·scale wide, parm_text_width tall. */
void parm_draw_text(uint8_t *rgb, int w, int h, int x, int y, const char *s, const uint8_t color[3], int scale,
                    int vertical);

/* ---- line charts ---- */
#define PARM_PLOT_NPALETTE 8
extern const uint8_t parm_plot_palette[PARM_PLOT_NPALETTE][3]; /* distinct colours; series i default */

typedef struct {
    const char *name;       /* legend label (required, non-empty) */
    const double *x, *y;    /* n points; finite; x > 0 on a log2 axis */
    int n;                  /* >= 1 */
    const uint8_t *color;   /* RGB, or NULL: parm_plot_palette[i % PARM_PLOT_NPALETTE] */
    int dashed;             /* dashed line */
    int no_markers;         /* no marker at the points */
    int hline;              /* a horizontal reference line at y[0] across the whole x range (x unused) */
} parm_plot_series;

typedef struct {
    int width, height;                 /* pixels; 200..4096 × 150..4096 */
    const char *title, *xlabel, *ylabel; /* NULL or "": none */
    int xlog2;                         /* x on a log2 axis, ticks at powers of 2 */
    double ymin, ymax;                 /* y range; ymin == ymax: auto (data floored/ceiled to ystep) */
    double ystep;                      /* y tick step (> 0); auto range: widened if > 12 ticks */
} parm_plot_opts;
/* 640×420, no titles, linear x, auto y with 0.1 ticks. */
parm_plot_opts parm_plot_defaults(void);

/* Draw the chart into *rgb (malloc'd, width×height×3). Bad input (no series,
 * a series without points or name, NaN/inf, x <= 0 on a log2 axis, bad size
 * or range) → -1 with an error quoting the value; *rgb is then NULL. */
int parm_plot_render(const parm_plot_opts *o, const parm_plot_series *s, int ns, uint8_t **rgb);
/* parm_plot_render, then parm_png_write (atomic) to path. */
int parm_plot_png(const char *path, const parm_plot_opts *o, const parm_plot_series *s, int ns);

#endif
