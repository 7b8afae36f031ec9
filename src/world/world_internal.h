/* world_internal.h — shared between the src/world/ files files (not public API):
 * the per-(shape, side) template table used by the renderer, the scene
 * sampler's painted boxes and the detector's template matching. */
#ifndef PARM_WORLD_INTERNAL_H
#define PARM_WORLD_INTERNAL_H
#include "parm/world.h"

#define PARM_TMIN 8   /* template sides the detector fits */
#define PARM_TMAX 32

/* The painted pixels of one shape at side s placed at x0 = y0 = 0, cropped to
 * their painted box: painted box = (x0+ox, y0+oy) .. (+w-1, +h-1); bit i of
 * row[r] = pixel (x0+ox+i, y0+oy+r). Translation-invariant for integer x0, y0. */
typedef struct {
    int ox, oy, w, h, area;
    uint64_t row[PARM_TMAX];
} parm_template;

/* Template for shape at side s in [PARM_TMIN, PARM_TMAX] (built once, thread-safe). */
const parm_template *parm_template_get(int shape, int s);

/* Proportion variants the detector also fits (issue 13, session 12; never rendered):
 * variant 0 is the template above; the cross has 8 more (one arm of half its
 * thickness, either half kept), the arrow 3 (a shaft of half its thickness:
 * upper, lower or centre half); every other shape has none. */
#define PARM_TVARIANTS 9 /* the most any shape has, variant 0 included */
int parm_template_nvariants(int shape);
/* Variant v in [0, parm_template_nvariants(shape)) at side s; NULL when out of range. */
const parm_template *parm_template_variant(int shape, int s, int v);
/* grader.c: detections >= thr per class, ranked by confidence (the grader's reading) */
void parm_world_found_by_class(const parm_detection *d, int n, float thr, int found[PARM_NSHAPES][PARM_MAX_FOUND],
                          int nf[PARM_NSHAPES]);

#endif
