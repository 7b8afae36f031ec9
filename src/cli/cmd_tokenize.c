/* cmd_tokenize.c — `parm tokenize IMG.png` (print the 16×16 token grid) and
 * `parm reconstruct IMG.png -o OUT.png` (encode → decode) with the shipped VQ. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/vq.h"

#define DEFAULT_VQ cli_shipped(CLI_VQ)

/* Load a 64×64 PNG or fail with a message naming the size found. */
static int load_image(const char *path, uint8_t **rgb) {
    int w, h;
    if (parm_png_read(path, rgb, &w, &h)) return -1;
    if (w != PARM_IMG || h != PARM_IMG) {
        free(*rgb);
        *rgb = NULL;
        return PARM_ERR("'%s' is %dx%d; parm images are %dx%d", path, w, h, PARM_IMG, PARM_IMG);
    }
    return 0;
}

static long scale = 1; /* reconstruct --scale */
static int parse(int argc, char **argv, const char *cmd, int need_out, const char **img, const char **out,
                 const char **vq, void (*usage)(FILE *)) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 1; }
        if (!strcmp(a, "-o") || !strcmp(a, "--out") || !strcmp(a, "--vq")) {
            const char *v = cli_value(argc, argv, i++);
            if (!v) return 2;
            if (!strcmp(a, "--vq")) *vq = v; else *out = v;
        } else if (need_out && !strcmp(a, "--scale")) {
            const char *v = cli_value(argc, argv, i++);
            if (!v || cli_scale_opt(a, v, &scale) < 0) return 2;
        } else if (a[0] == '-') return cli_unknown(cmd, a);
        else if (!*img) *img = a;
        else { fprintf(stderr, "parm %s: one image at a time (got '%s' and '%s')\n", cmd, *img, a); return 2; }
    }
    if (!*img || (need_out && !*out)) { usage(stderr); return 2; }
    return 0;
}

static void tokenize_usage(FILE *f) {
    fprintf(f, "usage: parm tokenize IMG.png [--vq WEIGHTS]\n"
               "Print the image's 16x16 grid of VQ codebook indices (default weights %s).\n", DEFAULT_VQ);
}
static void reconstruct_usage(FILE *f) {
    fprintf(f, "usage: parm reconstruct IMG.png -o OUT.png [--vq WEIGHTS] [--scale K]\n"
               "Encode the image to tokens and decode it back (default weights %s).\n"
               "  --scale K   write OUT.png enlarged K x (nearest-neighbour, 1..16)\n", DEFAULT_VQ);
}

int cmd_tokenize(int argc, char **argv) {
    const char *img = NULL, *out = NULL, *vqp = DEFAULT_VQ;
    int r = parse(argc, argv, "tokenize", 0, &img, &out, &vqp, tokenize_usage);
    if (r) return r == 1 ? 0 : r;
    uint8_t *rgb = NULL;
    parm_vq m;
    int tok[PARM_VQ_TOKENS];
    if (load_image(img, &rgb)) return cli_fail();
    if (parm_vq_load(&m, vqp)) { free(rgb); return cli_fail(); }
    int bad = parm_vq_encode(&m, rgb, 1, tok);
    free(rgb);
    parm_vq_free(&m);
    if (bad) return cli_fail();
    for (int y = 0; y < PARM_VQ_GRID; y++)
        for (int x = 0; x < PARM_VQ_GRID; x++) printf("%4d%s", tok[y * PARM_VQ_GRID + x], x == PARM_VQ_GRID - 1 ? "\n" : " ");
    return 0;
}

int cmd_reconstruct(int argc, char **argv) {
    const char *img = NULL, *out = NULL, *vqp = DEFAULT_VQ;
    int r = parse(argc, argv, "reconstruct", 1, &img, &out, &vqp, reconstruct_usage);
    if (r) return r == 1 ? 0 : r;
    cli_out co;
    if (cli_output(&co, "-o", out, CLI_OUT_STDOUT)) return 2;
    uint8_t *rgb = NULL, rec[PARM_IMG * PARM_IMG * 3];
    parm_vq m;
    int tok[PARM_VQ_TOKENS];
    if (load_image(img, &rgb)) return cli_output_done(&co, cli_fail());
    if (parm_vq_load(&m, vqp)) { free(rgb); return cli_output_done(&co, cli_fail()); }
    int bad = parm_vq_encode(&m, rgb, 1, tok) || parm_vq_decode(&m, tok, 1, rec, NULL);
    free(rgb);
    parm_vq_free(&m);
    if (bad || cli_png_write_scaled(co.path, rec, PARM_IMG, PARM_IMG, (int)scale)) return cli_output_done(&co, cli_fail());
    return cli_output_done(&co, 0);
}
