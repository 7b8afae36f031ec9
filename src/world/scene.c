/* scene.c — ground-truth scenes (docs/WORLD.md): the seeded scene sampler (sizes,
 * positions with the 4 px gap, free colours, relation resampling on painted
 * boxes), the renderer (scene → 64×64 RGB) and GenEval's relation rule. */
#include <math.h>
#include <string.h>

#include "world_internal.h"

int parm_object_box(const parm_object *o, int box[4]) {
    int x0 = 1 << 20, y0 = 1 << 20, x1 = -1, y1 = -1, area = 0;
    const parm_template *t = parm_template_get(o->shape, o->s);
    for (int y = 0; y < o->s; y++)
        for (int x = 0; x < o->s; x++) {
            int X = o->x0 + x, Y = o->y0 + y;
            if (X < 0 || Y < 0 || X >= PARM_IMG || Y >= PARM_IMG) continue;
            int in;
            if (t) {
                int r = y - t->oy, c = x - t->ox;
                in = r >= 0 && r < t->h && c >= 0 && c < t->w && ((t->row[r] >> c) & 1);
            } else {
                in = parm_shape_inside(o->shape, (X + 0.5 - o->x0) / (o->s / 2.0) - 1.0,
                                       (Y + 0.5 - o->y0) / (o->s / 2.0) - 1.0);
            }
            if (!in) continue;
            area++;
            if (X < x0) x0 = X;
            if (X > x1) x1 = X;
            if (Y < y0) y0 = Y;
            if (Y > y1) y1 = Y;
        }
    if (!area) x0 = y0 = x1 = y1 = -1;
    box[0] = x0; box[1] = y0; box[2] = x1; box[3] = y1;
    return area;
}

void parm_render(const parm_scene *scene, uint8_t *rgb) {
    for (int i = 0; i < PARM_IMG * PARM_IMG; i++) memcpy(rgb + 3 * i, parm_background, 3);
    for (int k = 0; k < scene->n; k++) {
        const parm_object *o = &scene->obj[k];
        if (o->color < 0 || o->color >= PARM_NCOLORS || o->s < 1) continue;
        const uint8_t *col = parm_palette[o->color];
        const parm_template *t = parm_template_get(o->shape, o->s);
        for (int y = 0; y < o->s; y++) {
            int Y = o->y0 + y;
            if (Y < 0 || Y >= PARM_IMG) continue;
            for (int x = 0; x < o->s; x++) {
                int X = o->x0 + x;
                if (X < 0 || X >= PARM_IMG) continue;
                int in;
                if (t) { /* the same inside-test, precomputed */
                    int r = y - t->oy, c = x - t->ox;
                    in = r >= 0 && r < t->h && c >= 0 && c < t->w && ((t->row[r] >> c) & 1);
                } else {
                    /* u = (x+0.5−x0)/(s/2) − 1, v likewise (docs/WORLD.md) */
                    in = parm_shape_inside(o->shape, (X + 0.5 - o->x0) / (o->s / 2.0) - 1.0,
                                           (Y + 0.5 - o->y0) / (o->s / 2.0) - 1.0);
                }
                if (in) memcpy(rgb + 3 * (Y * PARM_IMG + X), col, 3);
            }
        }
    }
}

int parm_relations(const int a[4], const int b[4]) {
    /* GenEval's relative_position with pixel boxes: centre and size of the
     * painted extent [x0, x1+1). */
    double ca[2] = {(a[0] + a[2] + 1) / 2.0, (a[1] + a[3] + 1) / 2.0};
    double cb[2] = {(b[0] + b[2] + 1) / 2.0, (b[1] + b[3] + 1) / 2.0};
    double da[2] = {a[2] - a[0] + 1, a[3] - a[1] + 1}, db[2] = {b[2] - b[0] + 1, b[3] - b[1] + 1};
    double o[2], r[2];
    for (int k = 0; k < 2; k++) {
        o[k] = ca[k] - cb[k];
        double m = fabs(o[k]) - 0.1 * (da[k] + db[k]);
        if (m < 0) m = 0;
        r[k] = (o[k] > 0 ? 1 : o[k] < 0 ? -1 : 0) * m;
    }
    if (fabs(r[0]) < 1e-3 && fabs(r[1]) < 1e-3) return 0;
    double norm = sqrt(o[0] * o[0] + o[1] * o[1]);
    double dx = r[0] / norm, dy = r[1] / norm;
    int rel = 0;
    if (dx < -0.5) rel |= 1 << PARM_REL_LEFT;
    if (dx > 0.5) rel |= 1 << PARM_REL_RIGHT;
    if (dy < -0.5) rel |= 1 << PARM_REL_ABOVE;
    if (dy > 0.5) rel |= 1 << PARM_REL_BELOW;
    return rel;
}

static int gap_ok(const parm_object *a, const parm_object *b) {
    int gx = b->x0 - (a->x0 + a->s), gx2 = a->x0 - (b->x0 + b->s);
    int gy = b->y0 - (a->y0 + a->s), gy2 = a->y0 - (b->y0 + b->s);
    int g = gx > gx2 ? gx : gx2, gyy = gy > gy2 ? gy : gy2;
    return (g > gyy ? g : gyy) >= PARM_GAP;
}

const parm_layout parm_layout_free = {1, PARM_SIZE_MIN, PARM_SIZE_MAX, 1};
const parm_layout parm_layout_canonical = {8, 16, 16, 4};

int parm_scene_sample(const parm_prompt *p, parm_rng *rng, parm_scene *scene) {
    return parm_scene_sample_layout(p, &parm_layout_free, rng, scene);
}

/* side and corner draws: the free layout keeps the original rng calls (so
 * every recorded scene reproduces); a grid layout draws indices */
static int draw_size(const parm_layout *l, parm_rng *rng) {
    if (l->size_step <= 1) return parm_rng_int(rng, l->size_min, l->size_max);
    return l->size_min + l->size_step * parm_rng_int(rng, 0, (l->size_max - l->size_min) / l->size_step);
}
static int draw_corner(const parm_layout *l, int s, parm_rng *rng) {
    if (l->step <= 1) return parm_rng_int(rng, 0, PARM_IMG - s);
    return l->step * parm_rng_int(rng, 0, (PARM_IMG - s) / l->step);
}

static int check_layout(const parm_layout *layout) {
    if (layout->step < 1 || layout->size_min < PARM_SIZE_MIN || layout->size_max > PARM_SIZE_MAX ||
        layout->size_min > layout->size_max || layout->size_step < 1)
        return PARM_ERR("scene: bad layout (step %d, sizes %d..%d by %d; sides must lie in [%d, %d])", layout->step,
                        layout->size_min, layout->size_max, layout->size_step, PARM_SIZE_MIN, PARM_SIZE_MAX);
    return 0;
}

/* item_of[k] = the include item object k comes from; returns the object count or -1 */
static int scene_items(const parm_prompt *p, int item_of[PARM_MAX_OBJECTS]) {
    int n = 0;
    for (int i = 0; i < p->ninclude; i++) {
        const parm_item *it = &p->include[i];
        if (it->shape < 0 || it->shape >= PARM_NSHAPES) return PARM_ERR("scene: bad shape %d", it->shape);
        if (it->count < 0 || n + it->count > PARM_MAX_OBJECTS)
            return PARM_ERR("scene: at most %d objects (asked for %d more)", PARM_MAX_OBJECTS, it->count);
        if (it->rel != PARM_REL_NONE && (it->rel_ref < 0 || it->rel_ref >= p->ninclude || it->rel_ref == i))
            return PARM_ERR("scene: relation refers to item %d of %d", it->rel_ref, p->ninclude);
        for (int c = 0; c < it->count; c++) item_of[n++] = i;
    }
    return n;
}

/* every relation of the prompt holds between the painted boxes */
static int relations_hold(const parm_prompt *p, const int *item_of, const parm_scene *sc) {
    int box[PARM_MAX_OBJECTS][4];
    for (int k = 0; k < sc->n; k++) parm_object_box(&sc->obj[k], box[k]);
    for (int a = 0; a < sc->n; a++) {
        const parm_item *it = &p->include[item_of[a]];
        if (it->rel == PARM_REL_NONE) continue;
        for (int b = 0; b < sc->n; b++)
            if (item_of[b] == it->rel_ref && !(parm_relations(box[a], box[b]) & (1 << it->rel))) return 0;
    }
    return 1;
}

int parm_scene_sample_layout(const parm_prompt *p, const parm_layout *layout, parm_rng *rng, parm_scene *scene) {
    if (check_layout(layout)) return -1;
    int item_of[PARM_MAX_OBJECTS], n = scene_items(p, item_of);
    memset(scene, 0, sizeof *scene);
    if (n < 0) return -1;
    for (int restart = 0; restart < 10000; restart++) {
        int ok = 1;
        scene->n = 0;
        for (int k = 0; k < n && ok; k++) {
            const parm_item *it = &p->include[item_of[k]];
            parm_object *o = &scene->obj[k];
            o->shape = it->shape;
            o->color = it->color >= 0 ? it->color : parm_rng_int(rng, 0, PARM_NCOLORS - 1);
            o->s = draw_size(layout, rng);
            int placed = 0;
            for (int t = 0; t < 100 && !placed; t++) {
                o->x0 = draw_corner(layout, o->s, rng);
                o->y0 = draw_corner(layout, o->s, rng);
                placed = 1;
                for (int j = 0; j < k && placed; j++) placed = gap_ok(&scene->obj[j], o);
            }
            ok = placed;
            scene->n = k + 1;
        }
        if (ok && relations_hold(p, item_of, scene)) return 0;
    }
    scene->n = 0;
    return PARM_ERR("scene: could not place %d objects for \"%s\" in 10000 tries", n, p->text);
}

/* pixels whose palette class (parm_pixel_class) differs from cls[64*64] */
static long class_distance(const parm_scene *sc, const uint8_t *cls, uint8_t *rgb) {
    parm_render(sc, rgb);
    long d = 0;
    for (int i = 0; i < PARM_IMG * PARM_IMG; i++) d += parm_pixel_class(rgb + 3 * i) != cls[i];
    return d;
}

int parm_scene_nearest(const parm_prompt *p, const parm_layout *layout, const uint8_t *rgb, int tries, parm_rng *rng,
                       parm_scene *scene) {
    if (tries < 1) return PARM_ERR("scene nearest: tries %d < 1", tries);
    int item_of[PARM_MAX_OBJECTS], n = scene_items(p, item_of);
    if (n < 0 || check_layout(layout)) return -1;
    uint8_t cls[PARM_IMG * PARM_IMG], buf[PARM_IMG * PARM_IMG * 3];
    for (int i = 0; i < PARM_IMG * PARM_IMG; i++) cls[i] = (uint8_t)parm_pixel_class(rgb + 3 * i);
    long best = -1;
    for (int t = 0; t < tries; t++) {
        parm_scene sc;
        if (parm_scene_sample_layout(p, layout, rng, &sc)) return -1;
        long d = class_distance(&sc, cls, buf);
        if (best < 0 || d < best) { best = d; *scene = sc; }
    }
    /* coordinate descent: each object's corner over every layout position, then its free colour */
    for (int pass = 0, moved = 1; pass < 4 && moved; pass++) {
        moved = 0;
        for (int k = 0; k < n; k++) {
            parm_object *o = &scene->obj[k], keep = *o;
            int free_color = p->include[item_of[k]].color < 0;
            int ncand_xy = (PARM_IMG - o->s) / layout->step + 1;
            for (int cy = 0; cy < ncand_xy; cy++)
                for (int cx = 0; cx < ncand_xy; cx++) {
                    o->x0 = cx * layout->step;
                    o->y0 = cy * layout->step;
                    int ok = 1;
                    for (int j = 0; j < n && ok; j++) ok = j == k || gap_ok(&scene->obj[j], o);
                    long d;
                    if (ok && relations_hold(p, item_of, scene) && (d = class_distance(scene, cls, buf)) < best) {
                        best = d;
                        keep = *o;
                        moved = 1;
                    }
                }
            *o = keep;
            for (int c = 0; free_color && c < PARM_NCOLORS; c++) {
                o->color = c;
                long d = class_distance(scene, cls, buf);
                if (d < best) { best = d; keep = *o; moved = 1; }
            }
            *o = keep;
        }
        for (int a = 0; a < n; a++) /* two objects trade places (a local minimum of the moves above) */
            for (int b = a + 1; b < n; b++) {
                parm_object *oa = &scene->obj[a], *ob = &scene->obj[b], ka = *oa, kb = *ob;
                oa->x0 = kb.x0; oa->y0 = kb.y0;
                ob->x0 = ka.x0; ob->y0 = ka.y0;
                int ok = 1;
                for (int j = 0; j < n && ok; j++) {
                    if (j != a) ok = gap_ok(&scene->obj[j], oa);
                    if (ok && j != b && j != a) ok = gap_ok(&scene->obj[j], ob);
                }
                long d;
                if (ok && relations_hold(p, item_of, scene) && (d = class_distance(scene, cls, buf)) < best) {
                    best = d;
                    moved = 1;
                } else {
                    *oa = ka;
                    *ob = kb;
                }
            }
    }
    return 0;
}

int parm_scene_for_seed(const parm_prompt *p, uint64_t seed, parm_scene *scene) {
    parm_rng rng;
    parm_rng_seed(&rng, seed ^ ((uint64_t)parm_fnv1a32(p->text) << 32), PARM_STREAM_SCENE);
    return parm_scene_sample(p, &rng, scene);
}

int parm_render_train_scenes(parm_rng *rng, int n, uint8_t *rgb, parm_prompt *prompts) {
    for (int i = 0; i < n; i++) {
        parm_prompt p;
        parm_scene sc;
        parm_prompt_sample_train(rng, &p);
        if (parm_scene_sample(&p, rng, &sc)) return -1;
        parm_render(&sc, rgb + (size_t)i * PARM_IMG * PARM_IMG * 3);
        if (prompts) prompts[i] = p;
    }
    return 0;
}
