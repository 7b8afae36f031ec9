/* probe.c — dump detection fits (iou, iou2, off1, lump, edge, area) for the images a good
 * grader must accept (GT renders of train prompts, σ=8 noise, 3×3 blur,
 * ragged edges) and must reject (parm_damage kinds, ragged blobs), one JSON
 * line per detection, to choose parm_clarity's rule offline. Audit tooling:
 * cc -O2 -Iinclude tools/grader-audit/probe.c build/libparm.a -lopenblas -lpng -lcjson -lm -fopenmp -o /tmp/probe */
#include <stdio.h>
#include <string.h>

#include "parm.h"

static void dump(const char *set, int shape, const uint8_t *rgb) {
    parm_detection d[16];
    int n = parm_detect(rgb, d, 16);
    for (int i = 0; i < n; i++)
        printf("{\"set\": \"%s\", \"true\": %d, \"shape\": %d, \"iou\": %.4f, \"iou2\": %.4f, \"off1\": %d, \"off2\": %d, \"side\": %d, \"holes\": %d, \"area\": %d, \"lump\": %d, \"edge\": %.4f, \"box\": [%d, %d, %d, %d]}\n", set,
               shape, d[i].shape, d[i].iou, d[i].iou2, d[i].off1, d[i].off2, d[i].side, d[i].holes, d[i].area, d[i].lump, d[i].edge, d[i].x0, d[i].y0, d[i].x1, d[i].y1);
    if (!n) printf("{\"set\": \"%s\", \"true\": %d, \"shape\": -1, \"iou\": 0, \"iou2\": 0, \"off1\": 0, \"off2\": 0, \"side\": 0, \"holes\": 0, \"area\": 0, \"lump\": 0, \"edge\": 0, \"box\": [0, 0, 0, 0]}\n", set, shape);
}

int main(void) {
    parm_rng rng;
    parm_rng_seed(&rng, 4242, PARM_STREAM_NOISE);
    uint8_t rgb[PARM_IMG * PARM_IMG * 3];
    for (int it = 0; it < 600; it++) { /* single objects, every shape */
        int k = it % PARM_NSHAPES;
        parm_scene s = {.n = 1};
        s.obj[0].shape = k;
        s.obj[0].color = parm_rng_int(&rng, 0, 9);
        s.obj[0].s = parm_rng_int(&rng, 12, 20);
        s.obj[0].x0 = parm_rng_int(&rng, 0, 64 - s.obj[0].s);
        s.obj[0].y0 = parm_rng_int(&rng, 0, 64 - s.obj[0].s);
        parm_render(&s, rgb); dump("gt", k, rgb);
        parm_image_noise(rgb, 8, &rng); dump("noise8", k, rgb);
        parm_render(&s, rgb); parm_image_blur(rgb); dump("blur", k, rgb);
        parm_render(&s, rgb); parm_image_ragged(rgb, 0.1f, &rng); parm_image_noise(rgb, 6, &rng); dump("ragged.1", k, rgb);
        for (int kind = 0; kind < PARM_NDAMAGE; kind++) {
            if (parm_render_damaged(&s, 0, kind, &rng, rgb)) continue;
            dump(parm_damage_names[kind], k, rgb);
        }
        memcpy(rgb, rgb, 0);
        for (int i = 0; i < PARM_IMG * PARM_IMG; i++) memcpy(rgb + 3 * i, parm_background, 3);
        parm_image_blob(rgb, 32, 32, parm_rng_int(&rng, 110, 260), parm_rng_int(&rng, 0, 9), &rng);
        dump("ragged-blob", -1, rgb);
    }
    return 0;
}
