/* cmd_generate.c — `parm generate`: text → image with the shipped generator and
 * VQ, MaskGIT step-by-step decoding; optional trace strip of the step images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/gen.h"

#define SZ (PARM_IMG * PARM_IMG * 3)

static void usage(FILE *f) {
    parm_sample_opts d = parm_sample_defaults();
    fprintf(f,
            "usage: parm generate --prompt TEXT -o OUT.png [options]\n"
            "Generate images for a prompt of the shapes world (see `parm prompts`).\n\n"
            "  --prompt TEXT      e.g. \"a photo of a red star and a blue circle\"\n"
            "  -o, --out PATH     output PNG (N images side by side)\n"
            "  -n N               number of images (paths), default 1; image i uses seed S+i\n"
            "  --steps T          decoding steps (default %d)\n"
            "  --cfg W            classifier-free guidance scale (default %g)\n"
            "  --temp X           sampling temperature at step 0 (default %g)\n"
            "  --temp-end X       temperature at the last step (default %g)\n"
            "  --choice-temp X    Gumbel noise on the confidences, annealed to 0 (default %g)\n"
            "  --bg-penalty X     lower the confidence of background tokens by X: objects first (default %g)\n"
            "  --seed S           base seed (default 0)\n"
            "  --trace PATH       PNG strip of every step's image (rows = images, columns = steps)\n"
            "  --gen PATH         generator weights (default weights/gen.safetensors)\n"
            "  --vq PATH          tokenizer weights (default weights/vq.safetensors)\n",
            d.steps, d.cfg, d.temp, d.temp_end, d.choice_temp, d.bg_penalty);
}

/* Copy a 64×64 tile into a strip image of width W tiles at (col,row). */
static void put_tile(uint8_t *strip, int wtiles, int col, int row, const uint8_t *img) {
    for (int y = 0; y < PARM_IMG; y++)
        memcpy(strip + (((size_t)row * PARM_IMG + y) * wtiles * PARM_IMG + (size_t)col * PARM_IMG) * 3,
               img + (size_t)y * PARM_IMG * 3, PARM_IMG * 3);
}

int cmd_generate(int argc, char **argv) {
    const char *text = NULL, *out = NULL, *trace = NULL, *genp = "weights/gen.safetensors",
               *vqp = "weights/vq.safetensors";
    long n = 1, seed = 0, v;
    double x;
    parm_sample_opts so = parm_sample_defaults();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!(val = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "--prompt")) text = val;
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = val;
        else if (!strcmp(a, "--trace")) trace = val;
        else if (!strcmp(a, "--gen")) genp = val;
        else if (!strcmp(a, "--vq")) vqp = val;
        else if (!strcmp(a, "-n")) { if (cli_int(a, val, 1, 256, &n)) return 2; }
        else if (!strcmp(a, "--seed")) { if (cli_int(a, val, 0, 0x7fffffffL, &seed)) return 2; }
        else if (!strcmp(a, "--steps")) { if (cli_int(a, val, 1, 256, &v)) return 2; so.steps = (int)v; }
        else if (!strcmp(a, "--cfg")) { if (cli_float(a, val, 0, 100, &x)) return 2; so.cfg = (float)x; }
        else if (!strcmp(a, "--temp")) { if (cli_float(a, val, 1e-3, 100, &x)) return 2; so.temp = (float)x; }
        else if (!strcmp(a, "--temp-end")) { if (cli_float(a, val, 1e-3, 100, &x)) return 2; so.temp_end = (float)x; }
        else if (!strcmp(a, "--choice-temp")) { if (cli_float(a, val, 0, 100, &x)) return 2; so.choice_temp = (float)x; }
        else if (!strcmp(a, "--bg-penalty")) { if (cli_float(a, val, -100, 100, &x)) return 2; so.bg_penalty = (float)x; }
        else return cli_unknown("generate", a);
    }
    if (!text || !out) { usage(stderr); return 2; }
    parm_prompt p;
    if (parm_prompt_parse(text, &p)) return cli_fail();
    parm_gen g;
    parm_vq vq;
    if (parm_gen_load(&g, genp)) return cli_fail();
    if (parm_vq_load(&vq, vqp)) { parm_gen_free(&g); return cli_fail(); }
    uint64_t *seeds = parm_malloc(sizeof(uint64_t) * n);
    uint8_t *strip = parm_calloc((size_t)n * SZ, 1), *tr = NULL;
    int rc = !seeds || !strip;
    if (trace && !rc) {
        so.step_images = 1;
        tr = parm_calloc((size_t)n * so.steps * SZ, 1);
        rc = !tr;
    }
    parm_sample_run r;
    if (!rc) {
        for (long i = 0; i < n; i++) seeds[i] = (uint64_t)(seed + i);
        rc = parm_sample_begin(&g, &r, &p, (int)n, seeds, &so);
    }
    if (!rc) {
        int st;
        while ((st = parm_sample_step(&g, &vq, &r)) >= 0) {
            if (tr)
                for (long i = 0; i < n; i++) put_tile(tr, so.steps, r.step - 1, (int)i, r.images + i * SZ);
            if (st == 1) break;
        }
        rc = st < 0;
        for (long i = 0; i < n && !rc; i++) put_tile(strip, (int)n, (int)i, 0, r.images + i * SZ);
        if (!rc) fprintf(stderr, "generated %ld image(s) in %d steps, %ld generator forward passes\n", n, so.steps,
                         r.total_forwards);
        parm_sample_end(&r);
    }
    if (!rc) rc = parm_png_write(out, strip, (int)n * PARM_IMG, PARM_IMG);
    if (!rc && tr) rc = parm_png_write(trace, tr, so.steps * PARM_IMG, (int)n * PARM_IMG);
    free(seeds); free(strip); free(tr);
    parm_gen_free(&g);
    parm_vq_free(&vq);
    return rc ? cli_fail() : 0;
}
