/* cmd_train.c — `parm train MODEL …`: train one of parm's models.
 * Models: vq (the image tokenizer), gen (the generator). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/gen.h"
#include "parm/vq.h"

static void train_vq_usage(FILE *f) {
    parm_vq_train_opts d = parm_vq_train_defaults();
    fprintf(f,
            "usage: parm train vq [options]\n"
            "Train the VQ image tokenizer on freshly rendered scenes of train-split prompts.\n\n"
            "  --steps N          optimizer steps (default %ld)\n"
            "  --batch N          images per step (default %d)\n"
            "  --lr X             peak learning rate (default %g), cosine to --lr-min (default %g)\n"
            "  --warmup N         warmup steps (default %ld)\n"
            "  --width N --dim N --codes N   model size (default %d / %d / %d)\n"
            "  --seed S           seed for init and data (default 0)\n"
            "  --out PATH         final weights, F16 (default %s)\n"
            "  --ckpt PATH        checkpoint for exact resume (default %s)\n"
            "  --ckpt-every N     checkpoint period in steps (default %ld)\n"
            "  --eval-every N     reconstruction eval period (default %ld; 0 = off)\n"
            "  --resume CKPT      continue from a checkpoint (bit-exact)\n"
            "  --quiet            no progress output\n",
            d.steps, d.batch, d.lr, d.lr_min, d.warmup, d.cfg.width, d.cfg.dim, d.cfg.ncodes, d.out, d.ckpt,
            d.ckpt_every, d.eval_every);
}

static int train_vq(int argc, char **argv) {
    parm_vq_train_opts o = parm_vq_train_defaults();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        long n;
        double x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { train_vq_usage(stdout); return 0; }
        if (!strcmp(a, "--quiet")) { o.quiet = 1; continue; }
        if (!(v = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "--steps")) { if (cli_int(a, v, 1, 100000000, &n)) return 2; o.steps = n; }
        else if (!strcmp(a, "--batch")) { if (cli_int(a, v, 1, 4096, &n)) return 2; o.batch = (int)n; }
        else if (!strcmp(a, "--lr")) { if (cli_float(a, v, 0, 1, &x)) return 2; o.lr = (float)x; }
        else if (!strcmp(a, "--lr-min")) { if (cli_float(a, v, 0, 1, &x)) return 2; o.lr_min = (float)x; }
        else if (!strcmp(a, "--warmup")) { if (cli_int(a, v, 0, 100000000, &n)) return 2; o.warmup = n; }
        else if (!strcmp(a, "--width")) { if (cli_int(a, v, 1, 4096, &n)) return 2; o.cfg.width = (int)n; }
        else if (!strcmp(a, "--dim")) { if (cli_int(a, v, 1, 1024, &n)) return 2; o.cfg.dim = (int)n; }
        else if (!strcmp(a, "--codes")) { if (cli_int(a, v, 2, 65536, &n)) return 2; o.cfg.ncodes = (int)n; }
        else if (!strcmp(a, "--seed")) { if (cli_int(a, v, 0, 0x7fffffffL, &n)) return 2; o.seed = (uint64_t)n; }
        else if (!strcmp(a, "--out")) o.out = v;
        else if (!strcmp(a, "--ckpt")) o.ckpt = v;
        else if (!strcmp(a, "--ckpt-every")) { if (cli_int(a, v, 1, 100000000, &n)) return 2; o.ckpt_every = n; }
        else if (!strcmp(a, "--eval-every")) { if (cli_int(a, v, 0, 100000000, &n)) return 2; o.eval_every = n; }
        else if (!strcmp(a, "--resume")) o.resume = v;
        else return cli_unknown("train vq", a);
    }
    if (parm_vq_train(&o)) return cli_fail();
    if (!o.quiet) fprintf(stderr, "wrote %s\n", o.out);
    return 0;
}

static void train_gen_usage(FILE *f) {
    parm_gen_train_opts d = parm_gen_train_defaults();
    fprintf(f,
            "usage: parm train gen [options]\n"
            "Train the Show-o-style generator (masked image-token prediction) on freshly rendered\n"
            "scenes of train-split prompts, tokenized by the VQ.\n\n"
            "  --steps N          optimizer steps (default %ld)\n"
            "  --batch N          sequences per step (default %d)\n"
            "  --lr X             peak learning rate (default %g), cosine to --lr-min (default %g)\n"
            "  --warmup N         warmup steps (default %ld)\n"
            "  --layers N --width N --heads N --mlp N   model size (default %d / %d / %d / %d)\n"
            "  --bg-weight X      loss weight of background tokens (default %g)\n"
            "  --cond-drop X      condition dropout for CFG (default %g)\n"
            "  --vq PATH          tokenizer weights (default %s)\n"
            "  --seed S           seed for init and data (default 0)\n"
            "  --out PATH         final weights, F16 (default %s)\n"
            "  --ckpt PATH        checkpoint for exact resume (default %s)\n"
            "  --ckpt-every N     checkpoint period (default %ld)\n"
            "  --eval-every N     generation eval period (default %ld; 0 = off)\n"
            "  --log PATH         learning-curve CSV (default %s)\n"
            "  --resume CKPT      continue from a checkpoint (bit-exact)\n"
            "  --quiet            no progress output\n",
            d.steps, d.batch, d.lr, d.lr_min, d.warmup, d.cfg.L, d.cfg.C, d.cfg.NH, d.cfg.F, d.bg_weight, d.cond_drop,
            d.vq_path, d.out, d.ckpt, d.ckpt_every, d.eval_every, d.log);
}

static int train_gen(int argc, char **argv) {
    parm_gen_train_opts o = parm_gen_train_defaults();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        long n;
        double x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { train_gen_usage(stdout); return 0; }
        if (!strcmp(a, "--quiet")) { o.quiet = 1; continue; }
        if (!(v = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "--steps")) { if (cli_int(a, v, 1, 100000000, &n)) return 2; o.steps = n; }
        else if (!strcmp(a, "--batch")) { if (cli_int(a, v, 1, 4096, &n)) return 2; o.batch = (int)n; }
        else if (!strcmp(a, "--lr")) { if (cli_float(a, v, 0, 1, &x)) return 2; o.lr = (float)x; }
        else if (!strcmp(a, "--lr-min")) { if (cli_float(a, v, 0, 1, &x)) return 2; o.lr_min = (float)x; }
        else if (!strcmp(a, "--warmup")) { if (cli_int(a, v, 0, 100000000, &n)) return 2; o.warmup = n; }
        else if (!strcmp(a, "--layers")) { if (cli_int(a, v, 1, 64, &n)) return 2; o.cfg.L = (int)n; }
        else if (!strcmp(a, "--width")) { if (cli_int(a, v, 8, 4096, &n)) return 2; o.cfg.C = (int)n; }
        else if (!strcmp(a, "--heads")) { if (cli_int(a, v, 1, 64, &n)) return 2; o.cfg.NH = (int)n; }
        else if (!strcmp(a, "--mlp")) { if (cli_int(a, v, 1, 65536, &n)) return 2; o.cfg.F = (int)n; }
        else if (!strcmp(a, "--bg-weight")) { if (cli_float(a, v, 0, 100, &x)) return 2; o.bg_weight = (float)x; }
        else if (!strcmp(a, "--cond-drop")) { if (cli_float(a, v, 0, 1, &x)) return 2; o.cond_drop = (float)x; }
        else if (!strcmp(a, "--vq")) o.vq_path = v;
        else if (!strcmp(a, "--seed")) { if (cli_int(a, v, 0, 0x7fffffffL, &n)) return 2; o.seed = (uint64_t)n; }
        else if (!strcmp(a, "--out")) o.out = v;
        else if (!strcmp(a, "--ckpt")) o.ckpt = v;
        else if (!strcmp(a, "--ckpt-every")) { if (cli_int(a, v, 1, 100000000, &n)) return 2; o.ckpt_every = n; }
        else if (!strcmp(a, "--eval-every")) { if (cli_int(a, v, 0, 100000000, &n)) return 2; o.eval_every = n; }
        else if (!strcmp(a, "--log")) o.log = v;
        else if (!strcmp(a, "--resume")) o.resume = v;
        else return cli_unknown("train gen", a);
    }
    if (o.cfg.C % o.cfg.NH) {
        fprintf(stderr, "parm: error: --width %d is not a multiple of --heads %d\n", o.cfg.C, o.cfg.NH);
        return 2;
    }
    if (parm_gen_train(&o)) return cli_fail();
    if (!o.quiet) fprintf(stderr, "wrote %s\n", o.out);
    return 0;
}

int cmd_train(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout, "usage: parm train MODEL [options]   (MODEL: vq, gen)\n"
                                            "  parm train vq --help    options of the tokenizer training\n"
                                            "  parm train gen --help   options of the generator training\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "vq")) return train_vq(argc - 1, argv + 1);
    if (!strcmp(argv[1], "gen")) return train_gen(argc - 1, argv + 1);
    fprintf(stderr, "parm train: unknown model '%s'; valid models: vq, gen\n", argv[1]);
    return 2;
}
