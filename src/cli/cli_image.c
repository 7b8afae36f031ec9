/* cli_image.c — PNGs a person can look at: nearest-neighbour enlargement
 * (--scale K on every command that writes a PNG) and image grids with a gap
 * between tiles, step numbers over the columns, a label per row and a frame
 * around marked tiles (generate's side-by-side images and traces). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"

int cli_png_write_scaled(const char *path, const uint8_t *rgb, int w, int h, int scale) {
    if (scale <= 1) return parm_png_write(path, rgb, w, h);
    const int W = w * scale, H = h * scale;
    uint8_t *big = parm_malloc((size_t)W * H * 3);
    if (!big) return -1;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) memcpy(big + ((size_t)y * W + x) * 3, rgb + ((size_t)(y / scale) * w + x / scale) * 3, 3);
    int rc = parm_png_write(path, big, W, H);
    free(big);
    return rc;
}

int cli_scale_opt(const char *a, const char *val, long *scale) {
    if (strcmp(a, "--scale")) return 0;
    return cli_int(a, val, 1, 16, scale) ? -1 : 1;
}

static const uint8_t BG[3] = {255, 255, 255}, INK[3] = {40, 40, 40};

int cli_grid_init(cli_grid *g, int cols, int rows, int top, int left) {
    memset(g, 0, sizeof *g);
    g->cols = cols;
    g->rows = rows;
    g->top = top;
    g->left = left;
    g->w = left + cols * (PARM_IMG + CLI_GRID_GAP) + CLI_GRID_GAP;
    g->h = top + rows * (PARM_IMG + CLI_GRID_GAP) + CLI_GRID_GAP;
    if (!(g->rgb = parm_malloc((size_t)g->w * g->h * 3))) return -1;
    for (size_t i = 0; i < (size_t)g->w * g->h; i++) memcpy(g->rgb + 3 * i, BG, 3);
    return 0;
}
static int tile_x(const cli_grid *g, int col) { return g->left + CLI_GRID_GAP + col * (PARM_IMG + CLI_GRID_GAP); }
static int tile_y(const cli_grid *g, int row) { return g->top + CLI_GRID_GAP + row * (PARM_IMG + CLI_GRID_GAP); }

void cli_grid_put(cli_grid *g, int col, int row, const uint8_t *img) {
    const int x0 = tile_x(g, col), y0 = tile_y(g, row);
    for (int y = 0; y < PARM_IMG; y++)
        memcpy(g->rgb + ((size_t)(y0 + y) * g->w + x0) * 3, img + (size_t)y * PARM_IMG * 3, PARM_IMG * 3);
}
void cli_grid_frame(cli_grid *g, int col, int row, const uint8_t color[3]) {
    const int x0 = tile_x(g, col) - 2, y0 = tile_y(g, row) - 2, x1 = x0 + PARM_IMG + 3, y1 = y0 + PARM_IMG + 3;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
            if ((x < x0 + 2 || x > x1 - 2 || y < y0 + 2 || y > y1 - 2) && x >= 0 && y >= 0 && x < g->w && y < g->h)
                memcpy(g->rgb + ((size_t)y * g->w + x) * 3, color, 3);
}
void cli_grid_col_labels(cli_grid *g, int first) {
    char s[16];
    for (int c = 0; c < g->cols && g->top; c++) {
        snprintf(s, sizeof s, "%d", first + c);
        parm_draw_text(g->rgb, g->w, g->h, tile_x(g, c) + (PARM_IMG - parm_text_width(s, 1)) / 2, 2, s, INK, 1, 0);
    }
}
void cli_grid_row_label(cli_grid *g, int row, const char *s, const uint8_t *color) {
    parm_draw_text(g->rgb, g->w, g->h, 2, tile_y(g, row) + (PARM_IMG - PARM_FONT_H) / 2, s, color ? color : INK, 1, 0);
}
int cli_grid_write(cli_grid *g, const char *path, int scale) {
    int rc = cli_png_write_scaled(path, g->rgb, g->w, g->h, scale);
    free(g->rgb);
    g->rgb = NULL;
    return rc;
}
void cli_grid_free(cli_grid *g) {
    free(g->rgb);
    g->rgb = NULL;
}

int cli_step_strip_write(const char *path, const uint8_t *steps, int n, int T, int div) {
    if (div != 1 && div != 2 && div != 4) return PARM_ERR("step strip divisor %d is not 1, 2 or 4", div);
    const int t = PARM_IMG / div, W = T * t, H = n * t;
    uint8_t *out = parm_malloc((size_t)W * H * 3);
    if (!out) return -1;
    for (int k = 0; k < n; k++)
        for (int s = 0; s < T; s++) {
            const uint8_t *img = steps + ((size_t)k * T + s) * PARM_IMG * PARM_IMG * 3;
            for (int y = 0; y < t; y++)
                for (int x = 0; x < t; x++)
                    for (int c = 0; c < 3; c++) { /* the mean of a div×div block */
                        int sum = 0;
                        for (int dy = 0; dy < div; dy++)
                            for (int dx = 0; dx < div; dx++) sum += img[((y * div + dy) * PARM_IMG + x * div + dx) * 3 + c];
                        out[(((size_t)k * t + y) * W + (size_t)s * t + x) * 3 + c] = (uint8_t)((sum + div * div / 2) / (div * div));
                    }
        }
    int rc = parm_png_write(path, out, W, H);
    free(out);
    return rc;
}

int cli_step_strip_path(char *buf, size_t n, char *rel, size_t nrel, const char *dir, int prompt, int image) {
    if ((size_t)snprintf(rel, nrel, "strips/%05d/%04d.png", prompt, image) >= nrel ||
        (size_t)snprintf(buf, n, "%s/%s", dir, rel) >= n)
        return PARM_ERR("step strip path under '%s' too long", dir);
    return 0;
}
