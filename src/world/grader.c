/* grader.c — the GenEval-style grader of docs/WORLD.md: a connected-component
 * detector (palette colour by median, shape class by template IoU) and
 * GenEval's include/exclude/colour/position rules on its detections, and
 * the grader's "reading" of an image (found objects + verdict) that PARM's
 * clarity labels compare across the steps of a generation path.
 *
 * Detector, per 64×64 image:
 *  1. seed mask: RGB distance from the background > PARM_DET_SEED_DIST (40;
 *     the closest palette colour, purple, is 93 away; noise σ=8 exceeds 40
 *     with probability ~1e-5 per pixel);
 *  2. 8-connected components of the seed mask (8-connectivity keeps the thin
 *     diagonal tips of stars, crescents and triangles in one piece; objects
 *     are ≥ 4 px apart so it never merges two objects);
 *  3. colour: nearest palette colour P of the per-channel median of the
 *     component's pixels;
 *  4. mask refinement: a pixel of the component or its 1-px ring belongs to
 *     the object when its projection onto the bg→P axis is at least half way.
 *     This recovers the exact mask under a 3×3 blur (an object pixel keeps
 *     ≥ 5/9 of its colour, a background pixel gains ≤ 4/9) and under noise
 *     (σ=8 is ≤ 0.09 of the axis). Components under PARM_DET_MIN_AREA (12)
 *     pixels are dropped (stray specks); box, area and the final colour come
 *     from the refined mask;
 *  5. shape: IoU of the mask with every shape template (sides 8..32) whose
 *     painted box is near the component's box (width/height −4..+2, offset
 *     ±1 around the box); class = best IoU, confidence = that IoU. An exact
 *     render matches its own template with IoU 1 (found in a first pass that
 *     only tries box-aligned templates of equal size). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "world_internal.h"

#define NPIX (PARM_IMG * PARM_IMG)

static int nearest_palette(const float m[3]) {
    int best = 0;
    float bd = 1e30f;
    for (int k = 0; k < PARM_NCOLORS; k++) {
        float d2 = 0;
        for (int c = 0; c < 3; c++) {
            float d = m[c] - parm_palette[k][c];
            d2 += d * d;
        }
        if (d2 < bd) { bd = d2; best = k; }
    }
    return best;
}

/* numpy-style per-channel median of the listed pixels */
static void median_rgb(const uint8_t *rgb, const int16_t *pix, int m, float out[3]) {
    for (int c = 0; c < 3; c++) {
        int hist[256] = {0};
        for (int i = 0; i < m; i++) hist[rgb[3 * pix[i] + c]]++;
        int lo = (m - 1) / 2, hi = m / 2, acc = 0, vlo = -1, vhi = -1;
        for (int v = 0; v < 256; v++) {
            acc += hist[v];
            if (vlo < 0 && acc > lo) vlo = v;
            if (vhi < 0 && acc > hi) { vhi = v; break; }
        }
        out[c] = 0.5f * (vlo + vhi);
    }
}

static inline int iou_inter(const uint64_t *M, const parm_template *t, int ox, int oy) {
    if (ox >= PARM_IMG || ox <= -64) return 0;
    int inter = 0;
    for (int r = 0; r < t->h; r++) {
        int y = oy + r;
        if (y < 0 || y >= PARM_IMG) continue;
        uint64_t row = ox >= 0 ? t->row[r] << ox : t->row[r] >> -ox;
        inter += __builtin_popcountll(M[y] & row);
    }
    return inter;
}

/* Best-IoU template fit of a component mask M (rows, bit x = column x). */
static float classify(const uint64_t *M, const int box[4], int A, int *shape_out) {
    int W = box[2] - box[0] + 1, H = box[3] - box[1] + 1;
    *shape_out = -1;
    /* pass 1: exact renders */
    for (int k = 0; k < PARM_NSHAPES; k++)
        for (int s = PARM_TMIN; s <= PARM_TMAX; s++) {
            const parm_template *t = parm_template_get(k, s);
            if (t->w != W || t->h != H || t->area != A) continue;
            if (iou_inter(M, t, box[0], box[1]) == A) { *shape_out = k; return 1.0f; }
        }
    /* pass 2: search sizes and offsets near the box */
    float best = 0;
    for (int k = 0; k < PARM_NSHAPES; k++)
        for (int s = PARM_TMIN; s <= PARM_TMAX; s++) {
            const parm_template *t = parm_template_get(k, s);
            if (t->w < W - 4 || t->w > W + 2 || t->h < H - 4 || t->h > H + 2) continue;
            int dx0 = (W - t->w < 0 ? W - t->w : 0) - 1, dx1 = (W - t->w > 0 ? W - t->w : 0) + 1;
            int dy0 = (H - t->h < 0 ? H - t->h : 0) - 1, dy1 = (H - t->h > 0 ? H - t->h : 0) + 1;
            /* an upper bound on IoU: min(A, area) / max(A, area) */
            float ub = A < t->area ? (float)A / t->area : (float)t->area / A;
            if (ub <= best) continue;
            for (int dy = dy0; dy <= dy1; dy++)
                for (int dx = dx0; dx <= dx1; dx++) {
                    int inter = iou_inter(M, t, box[0] + dx, box[1] + dy);
                    float iou = (float)inter / (float)(A + t->area - inter);
                    if (iou > best) { best = iou; *shape_out = k; }
                }
        }
    return best;
}

int parm_detect(const uint8_t *rgb, parm_detection *dets, int max) {
    int16_t lab[NPIX];      /* 0 = none, else component id */
    int16_t pix[NPIX];      /* pixel lists of components, back to back */
    int16_t stack[NPIX];
    int16_t mark[NPIX];     /* refinement visit stamp */
    uint8_t seed[NPIX];
    const int T2 = PARM_DET_SEED_DIST * PARM_DET_SEED_DIST;
    for (int i = 0; i < NPIX; i++) {
        int dr = rgb[3 * i] - 128, dg = rgb[3 * i + 1] - 128, db = rgb[3 * i + 2] - 128;
        seed[i] = dr * dr + dg * dg + db * db > T2;
        lab[i] = 0;
        mark[i] = 0;
    }
    int nd = 0, ncomp = 0;
    for (int start = 0; start < NPIX && nd < max; start++) {
        if (!seed[start] || lab[start]) continue;
        int id = ++ncomp, m = 0, sp = 0;
        lab[start] = (int16_t)id;
        stack[sp++] = (int16_t)start;
        while (sp) { /* 8-connected flood fill */
            int p = stack[--sp], x = p % PARM_IMG, y = p / PARM_IMG;
            pix[m++] = (int16_t)p;
            for (int yy = y - 1; yy <= y + 1; yy++) {
                if (yy < 0 || yy >= PARM_IMG) continue;
                for (int xx = x - 1; xx <= x + 1; xx++) {
                    if (xx < 0 || xx >= PARM_IMG) continue;
                    int q = yy * PARM_IMG + xx;
                    if (seed[q] && !lab[q]) { lab[q] = (int16_t)id; stack[sp++] = (int16_t)q; }
                }
            }
        }
        if (m < 3) continue;
        float med[3];
        median_rgb(rgb, pix, m, med);
        int P = nearest_palette(med);
        int axis[3], dd = 0;
        for (int c = 0; c < 3; c++) { axis[c] = parm_palette[P][c] - parm_background[c]; dd += axis[c] * axis[c]; }
        /* refine over the component and its 1-px ring; final pixels go to stack[] */
        uint64_t M[PARM_IMG] = {0};
        int A = 0, box[4] = {PARM_IMG, PARM_IMG, -1, -1};
        for (int i = 0; i < m; i++) {
            int x = pix[i] % PARM_IMG, y = pix[i] / PARM_IMG;
            for (int yy = y - 1; yy <= y + 1; yy++) {
                if (yy < 0 || yy >= PARM_IMG) continue;
                for (int xx = x - 1; xx <= x + 1; xx++) {
                    if (xx < 0 || xx >= PARM_IMG) continue;
                    int q = yy * PARM_IMG + xx;
                    if (mark[q] == id || (lab[q] && lab[q] != id)) continue;
                    mark[q] = (int16_t)id;
                    int proj = 0;
                    for (int c = 0; c < 3; c++) proj += (rgb[3 * q + c] - parm_background[c]) * axis[c];
                    if (2 * proj < dd) continue;
                    M[yy] |= 1ull << xx;
                    stack[A++] = (int16_t)q;
                    if (xx < box[0]) box[0] = xx;
                    if (xx > box[2]) box[2] = xx;
                    if (yy < box[1]) box[1] = yy;
                    if (yy > box[3]) box[3] = yy;
                }
            }
        }
        if (A < PARM_DET_MIN_AREA) continue;
        parm_detection *d = &dets[nd++];
        median_rgb(rgb, stack, A, med);
        d->color = nearest_palette(med);
        d->x0 = box[0]; d->y0 = box[1]; d->x1 = box[2]; d->y1 = box[3];
        d->area = A;
        d->conf = classify(M, box, A, &d->shape);
        if (d->shape < 0) { d->shape = 0; d->conf = 0; }
    }
    return nd;
}

/* ---- GenEval rules ---- */
typedef struct {
    char *buf;
    size_t n, len;
} reasons;
static void reason_add(reasons *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason_add(reasons *r, const char *fmt, ...) {
    if (!r->buf || r->n == 0) return;
    if (r->len && r->len + 2 < r->n) { strcpy(r->buf + r->len, "; "); r->len += 2; }
    if (r->len >= r->n) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(r->buf + r->len, r->n - r->len, fmt, ap);
    va_end(ap);
    if (k > 0) r->len = r->len + (size_t)k < r->n ? r->len + (size_t)k : r->n - 1;
}

int parm_grade_dets(const parm_detection *d, int n, const parm_prompt *p, char *reason, size_t reason_len) {
    reasons R = {reason, reason_len, 0};
    if (reason && reason_len) reason[0] = 0;
    float thr = p->tag == PARM_TAG_COUNTING ? PARM_COUNT_THRESH : PARM_DET_THRESH;
    /* found objects per class, ranked by confidence (stable), at most 16 */
    int found[PARM_NSHAPES][PARM_MAX_FOUND], nf[PARM_NSHAPES] = {0};
    int order[256], no = 0;
    for (int i = 0; i < n && no < 256; i++)
        if (d[i].shape >= 0 && d[i].shape < PARM_NSHAPES && d[i].conf >= thr) order[no++] = i;
    for (int i = 1; i < no; i++) { /* insertion sort, descending conf, stable */
        int v = order[i], j = i - 1;
        while (j >= 0 && d[order[j]].conf < d[v].conf) { order[j + 1] = order[j]; j--; }
        order[j + 1] = v;
    }
    for (int i = 0; i < no; i++) {
        int c = d[order[i]].shape;
        if (nf[c] < PARM_MAX_FOUND) found[c][nf[c]++] = order[i];
    }
    int correct = 1;
    int matched_ok[2] = {0, 0};
    for (int i = 0; i < p->ninclude && i < 2; i++) {
        const parm_item *it = &p->include[i];
        const char *cls = parm_shape_names[it->shape];
        int matched = 1;
        int cnt = it->count < nf[it->shape] ? it->count : nf[it->shape];
        const int *objs = found[it->shape];
        if (nf[it->shape] < it->count) {
            correct = matched = 0;
            reason_add(&R, "expected %s>=%d, found %d", cls, it->count, nf[it->shape]);
        } else {
            if (it->color >= 0) {
                int per[PARM_NCOLORS] = {0};
                for (int k = 0; k < cnt; k++) per[d[objs[k]].color]++;
                if (per[it->color] < it->count) {
                    correct = matched = 0;
                    char others[256] = "";
                    size_t ol = 0;
                    for (int c = 0; c < PARM_NCOLORS; c++)
                        if (per[c] && ol < sizeof others)
                            ol += snprintf(others + ol, sizeof others - ol, "%s%d %s", ol ? ", " : "", per[c], parm_color_names[c]);
                    reason_add(&R, "expected %s %s>=%d, found %d %s; and %s", parm_color_names[it->color], cls, it->count,
                               per[it->color], parm_color_names[it->color], others);
                }
            }
            if (it->rel != PARM_REL_NONE && matched) {
                int ref = it->rel_ref;
                if (ref < 0 || ref >= i || !matched_ok[ref]) {
                    correct = matched = 0;
                    reason_add(&R, "no target for %s to be %s", cls, parm_rel_names[it->rel]);
                } else {
                    const parm_item *rt = &p->include[ref];
                    const int *tobjs = found[rt->shape];
                    int tcnt = rt->count;
                    for (int k = 0; k < cnt && matched; k++)
                        for (int q = 0; q < tcnt && matched; q++) {
                            const parm_detection *a = &d[objs[k]], *b = &d[tobjs[q]];
                            int ba[4] = {a->x0, a->y0, a->x1, a->y1}, bb[4] = {b->x0, b->y0, b->x1, b->y1};
                            int rels = parm_relations(ba, bb);
                            if (!(rels & (1 << it->rel))) {
                                correct = matched = 0;
                                char got[64] = "";
                                size_t gl = 0;
                                for (int r = 0; r < 4; r++)
                                    if (rels & (1 << r))
                                        gl += snprintf(got + gl, sizeof got - gl, "%s%s", gl ? " and " : "", parm_rel_names[r]);
                                reason_add(&R, "expected %s %s target, found %s target", cls, parm_rel_names[it->rel],
                                           gl ? got : "no relation to");
                            }
                        }
                }
            }
        }
        matched_ok[i] = matched;
    }
    for (int i = 0; i < p->nexclude && i < 1; i++) {
        const parm_item *it = &p->exclude[i];
        if (nf[it->shape] >= it->count) {
            correct = 0;
            reason_add(&R, "expected %s<%d, found %d", parm_shape_names[it->shape], it->count, nf[it->shape]);
        }
    }
    return correct;
}

int parm_grade(const uint8_t *rgb, const parm_prompt *p, char *reason, size_t reason_len) {
    parm_detection d[64];
    int n = parm_detect(rgb, d, 64);
    return parm_grade_dets(d, n, p, reason, reason_len);
}

/* ---- readings ---- */
static int cmp_obj(const void *a, const void *b) {
    const uint8_t *x = a, *y = b;
    return x[0] != y[0] ? x[0] - y[0] : x[1] - y[1];
}

void parm_grade_reading(const uint8_t *rgb, const parm_prompt *p, parm_reading *r) {
    parm_detection d[PARM_READING_MAX];
    int n = parm_detect(rgb, d, PARM_READING_MAX);
    memset(r, 0, sizeof *r);
    for (int i = 0; i < n; i++)
        if (d[i].conf >= PARM_DET_THRESH && d[i].shape >= 0 && d[i].shape < PARM_NSHAPES) {
            r->obj[r->n][0] = (uint8_t)d[i].shape;
            r->obj[r->n][1] = (uint8_t)d[i].color;
            r->n++;
        }
    qsort(r->obj, r->n, sizeof r->obj[0], cmp_obj);
    r->verdict = parm_grade_dets(d, n, p, NULL, 0);
}

int parm_reading_equal(const parm_reading *a, const parm_reading *b) {
    return a->n == b->n && a->verdict == b->verdict && !memcmp(a->obj, b->obj, sizeof a->obj[0] * (size_t)a->n);
}
