/* cmd_render.c — `parm render`: draw a ground-truth scene for one prompt to a PNG. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parm.h"

static void usage(FILE *f) {
    fprintf(f, "usage: parm render --prompt TEXT [--seed S] -o OUT.png\n\n"
               "Render a ground-truth scene of the shapes world (docs/WORLD.md) for a prompt.\n"
               "  --prompt TEXT   a prompt of the grammar, e.g. \"a photo of a red circle\"\n"
               "  --seed S        scene seed (sizes, positions, free colours); default 0\n"
               "  -o, --out FILE  output PNG (64x64 RGB), written atomically; - for stdout\n"
               "  --print         also print the scene objects (shape colour x0 y0 s)\n"
               "  --scale K       write the PNG enlarged K x (nearest-neighbour, 1..16; default 1)\n");
}

int cmd_render(int argc, char **argv) {
    const char *prompt = NULL, *out = NULL;
    long seed = 0, scale = 1;
    int print = 0, k;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--print")) print = 1;
        else if (!strcmp(a, "--prompt")) { if (!(v = cli_value(argc, argv, i++))) return 2; prompt = v; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) { if (!(v = cli_value(argc, argv, i++))) return 2; out = v; }
        else if (!strcmp(a, "--scale")) {
            if (!(v = cli_value(argc, argv, i++)) || (k = cli_scale_opt(a, v, &scale)) < 0) return 2;
        } else if (!strcmp(a, "--seed")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--seed", v, 0, 0x7fffffffffffffffL, &seed)) return 2;
        } else return cli_unknown("render", a);
    }
    if (!prompt) { fprintf(stderr, "parm render: error: --prompt TEXT is required (see parm render --help)\n"); return 2; }
    if (!out) { fprintf(stderr, "parm render: error: -o OUT.png is required (see parm render --help)\n"); return 2; }
    cli_out o;
    if (cli_output(&o, "-o", out, CLI_OUT_STDOUT)) return 2;
    parm_prompt p;
    parm_scene sc;
    uint8_t rgb[PARM_IMG * PARM_IMG * 3];
    if (parm_prompt_parse(prompt, &p) || parm_scene_for_seed(&p, (uint64_t)seed, &sc))
        return cli_output_done(&o, cli_fail());
    parm_render(&sc, rgb);
    if (cli_png_write_scaled(o.path, rgb, PARM_IMG, PARM_IMG, (int)scale)) return cli_output_done(&o, cli_fail());
    if (cli_output_done(&o, 0)) return 1;
    if (print)
        for (int k = 0; k < sc.n; k++)
            fprintf(cli_output_msg(&o), "%s %s %d %d %d\n", parm_shape_names[sc.obj[k].shape], parm_color_names[sc.obj[k].color], sc.obj[k].x0,
                   sc.obj[k].y0, sc.obj[k].s);
    return 0;
}
