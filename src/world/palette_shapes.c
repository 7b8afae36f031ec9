/* palette_shapes.c — the pinned world's vocabulary (docs/WORLD.md): background,
 * the ten palette colours, the twelve shapes and their inside-tests, the
 * article/plural rules, name lookups, the pixel→palette-class helper, and the
 * template table (every shape rasterised at every side 8..32) that the
 * renderer, the scene sampler and the detector share. */
#include <pthread.h>
#include <math.h>
#include <string.h>

#include "world_internal.h"

const uint8_t parm_background[3] = {128, 128, 128};
const uint8_t parm_palette[PARM_NCOLORS][3] = {
    {220, 40, 40},   /* red */
    {245, 140, 20},  /* orange */
    {240, 220, 40},  /* yellow */
    {40, 170, 60},   /* green */
    {40, 80, 220},   /* blue */
    {140, 60, 190},  /* purple */
    {245, 130, 190}, /* pink */
    {130, 80, 40},   /* brown */
    {20, 20, 20},    /* black */
    {240, 240, 240}, /* white */
};
const char *const parm_color_names[PARM_NCOLORS] = {"red",  "orange", "yellow", "green", "blue",
                                                    "purple", "pink", "brown",  "black", "white"};
const char *const parm_shape_names[PARM_NSHAPES] = {"circle", "square", "triangle", "diamond",
                                                    "star",   "hexagon", "cross",  "ring",
                                                    "semicircle", "heart", "crescent", "arrow"};
const char *const parm_tag_names[PARM_NTAGS] = {"single_object", "two_object", "counting",
                                                "colors",        "position",   "color_attr"};
const char *const parm_rel_names[4] = {"left of", "right of", "above", "below"};
const char *const parm_count_words[5] = {"zero", "one", "two", "three", "four"};

static int find_name(const char *const *names, int n, const char *s) {
    if (!s) return -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], s)) return i;
    return -1;
}
int parm_tag_index(const char *name) { return find_name(parm_tag_names, PARM_NTAGS, name); }
int parm_shape_index(const char *name) { return find_name(parm_shape_names, PARM_NSHAPES, name); }
int parm_color_index(const char *name) { return find_name(parm_color_names, PARM_NCOLORS, name); }
int parm_rel_index(const char *name) { return find_name(parm_rel_names, 4, name); }

const char *parm_article(const char *word) { return word && strchr("aeiou", word[0]) && word[0] ? "an" : "a"; }

void parm_plural(int shape, char *buf, size_t n) {
    const char *w = shape >= 0 && shape < PARM_NSHAPES ? parm_shape_names[shape] : "?";
    size_t len = strlen(w);
    snprintf(buf, n, "%s%s", w, len && w[len - 1] == 's' ? "es" : "s");
}

/* ---- inside-tests, literally as the docs/WORLD.md table ---- */
static double star_u[10], star_v[10];
static void star_init(void) {
    for (int k = 0; k < 10; k++) {
        double a = (-90.0 + 36.0 * k) * 3.14159265358979323846 / 180.0;
        double r = (k % 2 == 0) ? 1.0 : 0.5;
        star_u[k] = r * cos(a);
        star_v[k] = r * sin(a);
    }
}
static pthread_once_t star_once = PTHREAD_ONCE_INIT;

/* Even-odd (crossing-number) test against the 10-gon. */
static int star_inside(double u, double v) {
    pthread_once(&star_once, star_init);
    int in = 0;
    for (int i = 0, j = 9; i < 10; j = i++) {
        if ((star_v[i] > v) != (star_v[j] > v) &&
            u < (star_u[j] - star_u[i]) * (v - star_v[i]) / (star_v[j] - star_v[i]) + star_u[i])
            in = !in;
    }
    return in;
}

int parm_shape_inside(int shape, double u, double v) {
    double au = fabs(u), av = fabs(v), r2 = u * u + v * v;
    switch (shape) {
    case 0: return r2 <= 1.0;                                            /* circle */
    case 1: return au <= 1.0 && av <= 1.0;                               /* square */
    case 2: return v <= 1.0 && 2.0 * au <= v + 1.0;                      /* triangle, apex up */
    case 3: return au + av <= 1.0;                                       /* diamond */
    case 4: return star_inside(u, v);                                    /* star */
    case 5: return av <= 0.866 && 0.866 * au + 0.5 * av <= 0.866;        /* hexagon */
    case 6: return (au <= 0.34 && av <= 1.0) || (av <= 0.34 && au <= 1.0); /* cross */
    case 7: return 0.36 <= r2 && r2 <= 1.0;                              /* ring */
    case 8: return v >= 0.0 && r2 <= 1.0;                                /* semicircle, flat side up */
    case 9:                                                              /* heart */
        return (u + 0.48) * (u + 0.48) + (v + 0.42) * (v + 0.42) <= 0.27 ||
               (u - 0.48) * (u - 0.48) + (v + 0.42) * (v + 0.42) <= 0.27 ||
               (-0.42 <= v && v <= 1.0 && au <= 0.98 * (1.0 - v) / 1.42);
    case 10: return r2 <= 1.0 && (u - 0.45) * (u - 0.45) + v * v > 0.64; /* crescent */
    case 11: return (av <= 0.3 && -1.0 <= u && u <= 0.1) || (0.1 <= u && u <= 1.0 && av <= (1.0 - u) / 0.9); /* arrow */
    default: return 0;
    }
}

/* ---- templates ---- */
static parm_template templates[PARM_NSHAPES][PARM_TMAX - PARM_TMIN + 1];
static parm_template variants[PARM_NSHAPES][PARM_TVARIANTS][PARM_TMAX - PARM_TMIN + 1]; /* [k][0] unused */
static pthread_once_t templates_once = PTHREAD_ONCE_INIT;

#define SHAPE_CROSS 6
#define SHAPE_ARROW 11

int parm_template_nvariants(int shape) {
    return shape == SHAPE_CROSS ? 9 : shape == SHAPE_ARROW ? 4 : shape >= 0 && shape < PARM_NSHAPES ? 1 : 0;
}

/* The inside-test of variant v >= 1 (docs/GRADER.md "Session 12"): the shape with
 * one part drawn at half its thickness. Cross: arm (v-1)/2 (0 left, 1 right,
 * 2 up, 3 down) outside the centre square keeps half (v-1)%2 of its width
 * (0 the lower coordinate half, 1 the higher). Arrow: the shaft keeps its
 * upper half (v 1), lower half (2) or centre half (3). */
static int variant_inside(int shape, int v, double u, double w) {
    double au = fabs(u), aw = fabs(w);
    if (shape == SHAPE_CROSS) {
        int arm = (v - 1) / 2, half = (v - 1) % 2;
        int in_centre = au <= 0.34 && aw <= 0.34;
        int horiz = aw <= 0.34 && au <= 1.0 && !in_centre, vert = au <= 0.34 && aw <= 1.0 && !in_centre;
        if (in_centre) return 1;
        int thin = (arm == 0 && horiz && u < 0) || (arm == 1 && horiz && u > 0) || (arm == 2 && vert && w < 0) ||
                   (arm == 3 && vert && w > 0);
        if (!thin) return horiz || vert;
        double across = arm < 2 ? w : u; /* the coordinate across the thinned arm */
        return half == 0 ? across <= 0 : across >= 0;
    }
    /* arrow: the head as in parm_shape_inside, the shaft thinned */
    if (0.1 <= u && u <= 1.0 && aw <= (1.0 - u) / 0.9) return 1;
    if (u < -1.0 || u > 0.1 || aw > 0.3) return 0;
    return v == 1 ? w <= 0 : v == 2 ? w >= 0 : aw <= 0.15;
}

/* Rasterise shape k (variant v; 0 = the world's shape) at side s into t, cropped to its painted box. */
static void template_build(parm_template *t, int k, int v, int s) {
    uint64_t full[PARM_TMAX] = {0};
    int x0 = 99, y0 = 99, x1 = -1, y1 = -1, area = 0;
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            /* the renderer's mapping with x0 = y0 = 0 (exact in double) */
            double u = (x + 0.5 - 0) / (s / 2.0) - 1.0, w = (y + 0.5 - 0) / (s / 2.0) - 1.0;
            if (!(v ? variant_inside(k, v, u, w) : parm_shape_inside(k, u, w))) continue;
            full[y] |= 1ull << x;
            area++;
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
        }
    memset(t, 0, sizeof *t);
    if (!area) return;
    t->ox = x0; t->oy = y0; t->w = x1 - x0 + 1; t->h = y1 - y0 + 1; t->area = area;
    for (int r = 0; r < t->h; r++) t->row[r] = full[y0 + r] >> x0;
}

static void templates_init(void) {
    for (int k = 0; k < PARM_NSHAPES; k++)
        for (int s = PARM_TMIN; s <= PARM_TMAX; s++) {
            template_build(&templates[k][s - PARM_TMIN], k, 0, s);
            for (int v = 1; v < parm_template_nvariants(k); v++) template_build(&variants[k][v][s - PARM_TMIN], k, v, s);
        }
}

const parm_template *parm_template_get(int shape, int s) {
    if (shape < 0 || shape >= PARM_NSHAPES || s < PARM_TMIN || s > PARM_TMAX) return NULL;
    pthread_once(&templates_once, templates_init);
    return &templates[shape][s - PARM_TMIN];
}

const parm_template *parm_template_variant(int shape, int s, int v) {
    if (v < 0 || v >= parm_template_nvariants(shape)) return NULL;
    if (v == 0) return parm_template_get(shape, s);
    if (s < PARM_TMIN || s > PARM_TMAX) return NULL;
    pthread_once(&templates_once, templates_init);
    return &variants[shape][v][s - PARM_TMIN];
}

/* ---- pixel classes ---- */
int parm_pixel_class(const uint8_t *px) {
    int best = 0;
    long bd = 0;
    for (int c = 0; c < 3; c++) {
        long d = (long)px[c] - parm_background[c];
        bd += d * d;
    }
    for (int k = 0; k < PARM_NCOLORS; k++) {
        long d2 = 0;
        for (int c = 0; c < 3; c++) {
            long d = (long)px[c] - parm_palette[k][c];
            d2 += d * d;
        }
        if (d2 < bd) { bd = d2; best = k + 1; }
    }
    return best;
}
