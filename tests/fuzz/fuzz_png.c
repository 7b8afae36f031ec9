/* fuzz_png.c — parm_png_read (libpng's simplified API behind parm's size
 * checks) on arbitrary bytes; a decoded image is graded as a 64x64 input
 * would be (parm_detect) when it has that size. */
#include "fuzz.h"

int fuzz_png(const uint8_t *d, size_t n) {
    const char *p = fuzz_file("png", d, n);
    if (!p) return -1;
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    if (parm_png_read(p, &rgb, &w, &h)) {
        if (rgb) abort(); /* *rgb stays NULL on error */
        return -1;
    }
    if (w < 1 || h < 1 || w > 16384 || h > 16384) abort();
    volatile unsigned sum = 0;
    for (size_t i = 0; i < (size_t)w * h * 3; i++) sum += rgb[i]; /* all of it is there */
    (void)sum;
    if (w == PARM_IMG && h == PARM_IMG) {
        parm_detection dets[32];
        (void)parm_detect(rgb, dets, 32);
    }
    free(rgb);
    return 0;
}
#ifdef PARM_LIBFUZZER
FUZZ_ENTRY(png)
#endif
