/* dump.c — print every detection of 64×64 tiles of PNG strips (one JSON line
 * per detection: file, tile, box, shape, colour, conf and the fit behind it).
 * Audit tooling, not part of parm: cc -O2 -Iinclude tools/grader-audit/dump.c
 * build/libparm.a -lopenblas -ldnnl -lpng -lcjson -lm -fopenmp -o /tmp/dump */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm.h"

int main(int argc, char **argv) {
    for (int a = 1; a < argc; a++) {
        uint8_t *rgb;
        int w, h;
        if (parm_png_read(argv[a], &rgb, &w, &h) || h != PARM_IMG || w % PARM_IMG) {
            fprintf(stderr, "%s: %s\n", argv[a], parm_last_error());
            return 1;
        }
        for (int t = 0; t < w / PARM_IMG; t++) {
            uint8_t tile[PARM_IMG * PARM_IMG * 3];
            for (int y = 0; y < PARM_IMG; y++) memcpy(tile + 3 * y * PARM_IMG, rgb + 3 * (y * w + t * PARM_IMG), 3 * PARM_IMG);
            parm_detection d[64];
            int n = parm_detect(tile, d, 64);
            for (int i = 0; i < n; i++)
                printf("{\"file\": \"%s\", \"tile\": %d, \"det\": %d, \"box\": [%d, %d, %d, %d], \"shape\": \"%s\", \"color\": \"%s\", "
                       "\"conf\": %.4f, \"iou\": %.4f, \"iou2\": %.4f, \"off1\": %d, \"off2\": %d, \"side\": %d, \"holes\": %d, \"area\": %d, \"lump\": %d, \"edge\": %.4f, \"variant\": %d}\n",
                       argv[a], t, i, d[i].x0, d[i].y0, d[i].x1, d[i].y1, parm_shape_names[d[i].shape],
                       parm_color_names[d[i].color], d[i].conf, d[i].iou, d[i].iou2, d[i].off1, d[i].off2, d[i].side, d[i].holes, d[i].area, d[i].lump, d[i].edge, d[i].variant);
        }
        free(rgb);
    }
    return 0;
}
