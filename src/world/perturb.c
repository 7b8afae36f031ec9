/* perturb.c — controlled departures from ground truth: scenes changed in
 * exactly one respect (wrong shape, colour, count, relation, a missing
 * object) and image perturbations (Gaussian noise, 3×3 blur, ragged edges,
 * stray specks). They prove the grader rejects what it must and tolerates
 * generated-looking images, and can serve later as judge training data. */
#include <math.h>
#include <string.h>

#include "parm/world.h"

const char *const parm_wrong_names[PARM_NWRONG] = {"wrong shape", "wrong colour", "wrong count", "opposite relation",
                                                   "missing object"};

int parm_wrong_applies(const parm_prompt *p, int kind) {
    switch (kind) {
    case PARM_WRONG_SHAPE:
    case PARM_WRONG_MISSING: return 1;
    case PARM_WRONG_COLOR: return p->tag == PARM_TAG_COLORS || p->tag == PARM_TAG_COLOR_ATTR;
    case PARM_WRONG_COUNT: return p->tag == PARM_TAG_COUNTING;
    case PARM_WRONG_RELATION: return p->tag == PARM_TAG_POSITION;
    default: return 0;
    }
}

static int other(parm_rng *rng, int n, int not) {
    int v = parm_rng_int(rng, 0, n - 2);
    return v >= not ? v + 1 : v;
}

int parm_scene_wrong(const parm_prompt *p, int kind, parm_rng *rng, parm_scene *scene) {
    return parm_scene_wrong_layout(p, kind, &parm_layout_free, rng, scene);
}

int parm_scene_wrong_layout(const parm_prompt *p, int kind, const parm_layout *layout, parm_rng *rng,
                            parm_scene *scene) {
    if (!parm_wrong_applies(p, kind))
        return PARM_ERR("change '%s' does not apply to a %s prompt", kind >= 0 && kind < PARM_NWRONG ? parm_wrong_names[kind] : "?",
                        parm_tag_names[p->tag]);
    parm_prompt q = *p;
    q.nexclude = 0;
    switch (kind) {
    case PARM_WRONG_SHAPE:
    case PARM_WRONG_COLOR: {
        if (parm_scene_sample_layout(&q, layout, rng, scene)) return -1;
        int k = parm_rng_int(rng, 0, scene->n - 1);
        if (kind == PARM_WRONG_SHAPE) scene->obj[k].shape = other(rng, PARM_NSHAPES, scene->obj[k].shape);
        else scene->obj[k].color = other(rng, PARM_NCOLORS, scene->obj[k].color);
        return 0;
    }
    case PARM_WRONG_COUNT: {
        int n = p->include[0].count, lo = n - 2 < 1 ? 1 : n - 2, m;
        do m = parm_rng_int(rng, lo, n + 2); while (m == n);
        q.include[0].count = m;
        return parm_scene_sample_layout(&q, layout, rng, scene);
    }
    case PARM_WRONG_RELATION: {
        parm_item *it = &q.include[1];
        it->rel = it->rel ^ 1; /* left<->right, above<->below */
        return parm_scene_sample_layout(&q, layout, rng, scene);
    }
    case PARM_WRONG_MISSING: {
        int i = parm_rng_int(rng, 0, q.ninclude - 1);
        if (q.include[i].count > 1) q.include[i].count--;
        else {
            for (int k = i; k + 1 < q.ninclude; k++) q.include[k] = q.include[k + 1];
            q.ninclude--;
            for (int k = 0; k < q.ninclude; k++) q.include[k].rel = PARM_REL_NONE; /* nothing left to relate to */
        }
        if (q.ninclude == 0) { memset(scene, 0, sizeof *scene); return 0; }
        return parm_scene_sample_layout(&q, layout, rng, scene);
    }
    }
    return PARM_ERR("unknown change %d", kind);
}

static uint8_t clamp8(float v) { return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)lrintf(v); }

void parm_image_noise(uint8_t *rgb, float sigma, parm_rng *rng) {
    for (int i = 0; i < PARM_IMG * PARM_IMG * 3; i++) rgb[i] = clamp8(rgb[i] + sigma * parm_rng_normal(rng));
}

void parm_image_blur(uint8_t *rgb) {
    uint8_t src[PARM_IMG * PARM_IMG * 3];
    memcpy(src, rgb, sizeof src);
    for (int y = 0; y < PARM_IMG; y++)
        for (int x = 0; x < PARM_IMG; x++)
            for (int c = 0; c < 3; c++) {
                int sum = 0, n = 0;
                for (int yy = y - 1; yy <= y + 1; yy++)
                    for (int xx = x - 1; xx <= x + 1; xx++)
                        if (yy >= 0 && yy < PARM_IMG && xx >= 0 && xx < PARM_IMG) { sum += src[3 * (yy * PARM_IMG + xx) + c]; n++; }
                rgb[3 * (y * PARM_IMG + x) + c] = clamp8(0.5f * src[3 * (y * PARM_IMG + x) + c] + 0.5f * sum / n);
            }
}

static int is_bg(const uint8_t *px) {
    return px[0] == parm_background[0] && px[1] == parm_background[1] && px[2] == parm_background[2];
}

void parm_image_ragged(uint8_t *rgb, float prob, parm_rng *rng) {
    uint8_t src[PARM_IMG * PARM_IMG * 3];
    memcpy(src, rgb, sizeof src);
    static const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    for (int y = 0; y < PARM_IMG; y++)
        for (int x = 0; x < PARM_IMG; x++) {
            const uint8_t *p = src + 3 * (y * PARM_IMG + x);
            const uint8_t *diff = NULL;
            for (int k = 0; k < 4 && !diff; k++) {
                int xx = x + nb[k][0], yy = y + nb[k][1];
                if (xx < 0 || yy < 0 || xx >= PARM_IMG || yy >= PARM_IMG) continue;
                const uint8_t *q = src + 3 * (yy * PARM_IMG + xx);
                if (is_bg(p) != is_bg(q)) diff = q;
            }
            if (diff && parm_rng_uniform(rng) < prob) memcpy(rgb + 3 * (y * PARM_IMG + x), diff, 3);
        }
}

void parm_image_speck(uint8_t *rgb, parm_rng *rng) {
    int w = parm_rng_int(rng, 1, 3), h = parm_rng_int(rng, 1, 3);
    int x0 = parm_rng_int(rng, 0, PARM_IMG - w), y0 = parm_rng_int(rng, 0, PARM_IMG - h);
    const uint8_t *c = parm_palette[parm_rng_int(rng, 0, PARM_NCOLORS - 1)];
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) memcpy(rgb + 3 * (y * PARM_IMG + x), c, 3);
}
