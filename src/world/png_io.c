/* png_io.c — PNG read/write through libpng's simplified API. Writes are
 * atomic (temp file + rename; no fsync, samples are cheap to redo); reads
 * accept any PNG libpng can convert to 8-bit RGB (gray, palette, 16-bit,
 * alpha composited on black). */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include "world_internal.h"

int parm_png_write(const char *path, const uint8_t *rgb, int w, int h) {
    if (w <= 0 || h <= 0) return PARM_ERR("cannot write '%s': bad image size %dx%d", path, w, h);
    parm_atomic_file af;
    if (parm_atomic_open(&af, path)) return -1;
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_stdio(&img, af.f, 0, rgb, 0, NULL)) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", img.message);
        parm_atomic_abort(&af);
        return PARM_ERR("cannot write PNG '%s': %s", path, msg);
    }
    return parm_atomic_commit_nosync(&af);
}

int parm_png_read(const char *path, uint8_t **rgb, int *w, int *h) {
    *rgb = NULL;
    FILE *f = parm_fopen(path, "rb");
    if (!f) return -1;
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_stdio(&img, f)) {
        fclose(f);
        return PARM_ERR("'%s' is not a readable PNG: %s", path, img.message);
    }
    if (img.width == 0 || img.height == 0 || img.width > 16384 || img.height > 16384) {
        png_image_free(&img);
        fclose(f);
        return PARM_ERR("'%s': unsupported PNG size %ux%u", path, img.width, img.height);
    }
    img.format = PNG_FORMAT_RGB;
    uint8_t *buf = parm_malloc((size_t)img.width * img.height * 3);
    if (!buf) { png_image_free(&img); fclose(f); return -1; }
    png_color bg = {0, 0, 0};
    if (!png_image_finish_read(&img, &bg, buf, 0, NULL)) {
        free(buf);
        fclose(f);
        return PARM_ERR("'%s' is a damaged PNG: %s", path, img.message);
    }
    fclose(f);
    *rgb = buf;
    *w = (int)img.width;
    *h = (int)img.height;
    return 0;
}
