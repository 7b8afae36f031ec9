/* cmd_export.c — `parm export gen|judge`: turn a training checkpoint
 * (parameters in F32 plus optimizer state, RNG and step, but no model
 * config) into a shipped weights file (F16, config in metadata). The config
 * comes from --like, a weights file of the same size (for example the
 * shipped weights the run started from with --init). Used to evaluate a
 * checkpoint while its run continues, or to keep the best one. `--mix`
 * interpolates a fine-tuned generator with the one it started from
 * (parm_slab_mix: WiSE-FT's weight-space ensemble), e.g. a self-correction
 * generator towards the plain one to win back plain prompting. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parm/gen.h"
#include "parm/judge.h"

static void usage(FILE *f) {
    fprintf(f, "usage: parm export gen|judge --ckpt CKPT --like W -o OUT\n\n"
               "Write the parameters of a training checkpoint as weights (F16), with the model\n"
               "config of W (a weights file of the same model size).\n"
               "  --ckpt CKPT   the checkpoint (runs/….ckpt.safetensors)\n"
               "  --like W      weights with the same config (e.g. weights/gen.safetensors)\n"
               "  -o OUT        output weights file (written atomically; - for stdout)\n"
               "       parm export gen --weights W --mix BASE --alpha A -o OUT\n"
               "Interpolate weights: every tensor W shares with BASE becomes A*W + (1-A)*BASE, the\n"
               "rest (a self-correction generator's segments) stays W's; the config is W's.\n"
               "  --weights W   the fine-tuned generator (e.g. a `train gen-sc` result)\n"
               "  --mix BASE    the generator it started from (e.g. weights/gen.safetensors)\n"
               "  --alpha A     W's share, in [0, 1] (1 = W, 0 = BASE's shared tensors)\n");
}

static int export_mix(const char *kind, const char *weights, const char *mix, double alpha, int ckpt_given,
                      const char *out) {
    if (strcmp(kind, "gen")) {
        fprintf(stderr, "parm export: error: --mix interpolates generators only (model '%s'; valid: gen)\n", kind);
        return 2;
    }
    if (!weights || !mix || isnan(alpha) || !out || ckpt_given) {
        fprintf(stderr, "parm export: error: --weights, --mix, --alpha and -o go together, without --ckpt/--like "
                        "(see parm export --help)\n");
        return 2;
    }
    cli_out co;
    if (cli_output(&co, "-o", out, CLI_OUT_STDOUT)) return 2;
    parm_gen g, b;
    if (parm_gen_load(&g, weights)) return cli_output_done(&co, cli_fail());
    if (parm_gen_load(&b, mix)) { parm_gen_free(&g); return cli_output_done(&co, cli_fail()); }
    int n = parm_slab_mix(&g.p, &b.p, (float)alpha);
    int rc = n < 0 || parm_gen_save(&g, co.path, PARM_F16);
    parm_gen_free(&g);
    parm_gen_free(&b);
    if (rc) return cli_output_done(&co, cli_fail());
    if (cli_output_done(&co, 0)) return 1;
    fprintf(stderr, "wrote %s: %d tensors = %g x %s + %g x %s, the rest %s's\n", co.to_stdout ? "stdout" : co.path, n,
            alpha, weights, 1 - alpha, mix, weights);
    return 0;
}

int cmd_export(int argc, char **argv) {
    const char *kind = NULL, *ckpt = NULL, *like = NULL, *out = NULL, *weights = NULL, *mix = NULL;
    double alpha = NAN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--ckpt")) { if (!(v = cli_value(argc, argv, i++))) return 2; ckpt = v; }
        else if (!strcmp(a, "--like")) { if (!(v = cli_value(argc, argv, i++))) return 2; like = v; }
        else if (!strcmp(a, "--weights")) { if (!(v = cli_value(argc, argv, i++))) return 2; weights = v; }
        else if (!strcmp(a, "--mix")) { if (!(v = cli_value(argc, argv, i++))) return 2; mix = v; }
        else if (!strcmp(a, "--alpha")) { if (!(v = cli_value(argc, argv, i++)) || cli_float(a, v, 0, 1, &alpha)) return 2; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) { if (!(v = cli_value(argc, argv, i++))) return 2; out = v; }
        else if (a[0] != '-' && !kind) kind = a;
        else return cli_unknown("export", a);
    }
    if (!kind || (strcmp(kind, "gen") && strcmp(kind, "judge"))) {
        fprintf(stderr, "parm export: error: model '%s' is not one of: gen, judge\n", kind ? kind : "");
        return 2;
    }
    if (weights || mix || !isnan(alpha)) return export_mix(kind, weights, mix, alpha, ckpt || like, out);
    if (!ckpt || !like || !out) {
        fprintf(stderr, "parm export: error: --ckpt, --like and -o are all required (see parm export --help)\n");
        return 2;
    }
    cli_out co;
    if (cli_output(&co, "-o", out, CLI_OUT_STDOUT)) return 2;
    out = co.path;
    long step = 0;
    int rc;
    if (!strcmp(kind, "gen")) {
        parm_gen g;
        if (parm_gen_load(&g, like)) return cli_output_done(&co, cli_fail());
        rc = parm_ckpt_load(&g.p, ckpt, &step, NULL) || parm_gen_save(&g, out, PARM_F16);
        parm_gen_free(&g);
    } else {
        parm_judge j;
        if (parm_judge_load(&j, like)) return cli_output_done(&co, cli_fail());
        rc = parm_ckpt_load(&j.p, ckpt, &step, NULL) || parm_judge_save(&j, out, PARM_F16);
        parm_judge_free(&j);
    }
    if (rc) return cli_output_done(&co, cli_fail());
    if (cli_output_done(&co, 0)) return 1;
    fprintf(stderr, "wrote %s (step %ld of %s)\n", co.to_stdout ? "stdout" : out, step, ckpt);
    return 0;
}
