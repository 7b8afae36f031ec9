/* cmd_train.c — `parm train MODEL …`: train one of parm's models.
 * Models: vq (the image tokenizer), gen (the generator), judge (the yes/no
 * vision-language judge; --variant picks its training data, --data the path
 * set the generator-backed variants read). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/gen.h"
#include "parm/judge.h"
#include "parm/vq.h"

/* Options every training command shares. Each model points these at the
 * fields of its own options struct (NULL = the model has no such option). */
typedef struct {
    long *steps, *warmup, *ckpt_every, *eval_every;
    int *batch, *L, *C, *NH, *F;
    float *lr, *lr_min;
    uint64_t *seed;
    const char **out, **ckpt, **resume, **log;
} train_common;

/* 1 = `a` was a shared option and v was applied; 0 = not a shared option; -1 = bad value. */
static int common_opt(const train_common *c, const char *a, const char *v) {
    long n;
    double x;
#define INT_OPT(flag, field, lo, hi, type)                                  \
    if (c->field && !strcmp(a, flag)) {                                     \
        if (cli_int(a, v, lo, hi, &n)) return -1;                           \
        *c->field = (type)n;                                                \
        return 1;                                                           \
    }
#define STR_OPT(flag, field) if (c->field && !strcmp(a, flag)) { *c->field = v; return 1; }
    INT_OPT("--steps", steps, 1, 100000000, long)
    INT_OPT("--warmup", warmup, 0, 100000000, long)
    INT_OPT("--ckpt-every", ckpt_every, 1, 100000000, long)
    INT_OPT("--eval-every", eval_every, 0, 100000000, long)
    INT_OPT("--batch", batch, 1, 4096, int)
    INT_OPT("--layers", L, 1, 64, int)
    INT_OPT("--width", C, 8, 4096, int)
    INT_OPT("--heads", NH, 1, 64, int)
    INT_OPT("--mlp", F, 1, 65536, int)
    INT_OPT("--seed", seed, 0, 0x7fffffffL, uint64_t)
    STR_OPT("--out", out)
    STR_OPT("--ckpt", ckpt)
    STR_OPT("--resume", resume)
    STR_OPT("--log", log)
#undef INT_OPT
#undef STR_OPT
    if ((c->lr && !strcmp(a, "--lr")) || (c->lr_min && !strcmp(a, "--lr-min"))) {
        if (cli_float(a, v, 0, 1, &x)) return -1;
        *(!strcmp(a, "--lr") ? c->lr : c->lr_min) = (float)x;
        return 1;
    }
    return 0;
}

/* Parse argv[1..] into the shared options plus a model's own (model_opt
 * returns like common_opt). Returns 0 to go on, 1 after --help, 2 on error. */
static int parse_train_args(int argc, char **argv, const char *cmd, const train_common *c, int *quiet,
                            int (*model_opt)(void *ctx, const char *a, const char *v), void *ctx,
                            void (*usage)(FILE *)) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 1; }
        if (!strcmp(a, "--quiet")) { *quiet = 1; continue; }
        if (!(v = cli_value(argc, argv, i))) return 2;
        i++;
        int r = model_opt ? model_opt(ctx, a, v) : 0;
        if (r == 0) r = common_opt(c, a, v);
        if (r < 0) return 2;
        if (r == 0) return cli_unknown(cmd, a);
    }
    return 0;
}

/* The files a training run writes, checked before it starts (cli_output;
 * folders are created). NULL or "" = not written (or the model's default). */
static int check_outputs(const char *out, const char *ckpt, const char *log) {
    cli_out o;
    if (out && *out && cli_output(&o, "--out", out, CLI_OUT_MKDIR)) return 2;
    if (ckpt && *ckpt && cli_output(&o, "--ckpt", ckpt, CLI_OUT_MKDIR)) return 2;
    if (log && *log && cli_output(&o, "--log", log, CLI_OUT_MKDIR)) return 2;
    return 0;
}

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

static int vq_opt(void *ctx, const char *a, const char *v) {
    parm_vq_config *c = ctx;
    long n;
    if (!strcmp(a, "--width")) { if (cli_int(a, v, 1, 4096, &n)) return -1; c->width = (int)n; return 1; }
    if (!strcmp(a, "--dim")) { if (cli_int(a, v, 1, 1024, &n)) return -1; c->dim = (int)n; return 1; }
    if (!strcmp(a, "--codes")) { if (cli_int(a, v, 2, 65536, &n)) return -1; c->ncodes = (int)n; return 1; }
    return 0;
}

static int train_vq(int argc, char **argv) {
    parm_vq_train_opts o = parm_vq_train_defaults();
    train_common c = {.steps = &o.steps, .warmup = &o.warmup, .ckpt_every = &o.ckpt_every,
                      .eval_every = &o.eval_every, .batch = &o.batch, .lr = &o.lr, .lr_min = &o.lr_min,
                      .seed = &o.seed, .out = &o.out, .ckpt = &o.ckpt, .resume = &o.resume};
    int r = parse_train_args(argc, argv, "train vq", &c, &o.quiet, vq_opt, &o.cfg, train_vq_usage);
    if (r) return r == 1 ? 0 : r;
    if (check_outputs(o.out, o.ckpt, NULL)) return 2;
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
            "  --layout L         training scenes: canonical (16 px objects on the 8 px grid, default)\n"
            "                     or free (the contract's full size/position distribution)\n"
            "  --init PATH        start from these generator weights (their size wins), fresh optimizer\n"
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

static int gen_opt(void *ctx, const char *a, const char *v) {
    parm_gen_train_opts *o = ctx;
    double x;
    if (!strcmp(a, "--bg-weight")) { if (cli_float(a, v, 0, 100, &x)) return -1; o->bg_weight = (float)x; return 1; }
    if (!strcmp(a, "--cond-drop")) { if (cli_float(a, v, 0, 1, &x)) return -1; o->cond_drop = (float)x; return 1; }
    if (!strcmp(a, "--vq")) { o->vq_path = v; return 1; }
    if (!strcmp(a, "--init")) { o->init = v; return 1; }
    if (!strcmp(a, "--layout")) return cli_layout(v, &o->layout) ? -1 : 1;
    return 0;
}

static int train_gen(int argc, char **argv) {
    parm_gen_train_opts o = parm_gen_train_defaults();
    train_common c = {.steps = &o.steps, .warmup = &o.warmup, .ckpt_every = &o.ckpt_every,
                      .eval_every = &o.eval_every, .batch = &o.batch, .L = &o.cfg.L, .C = &o.cfg.C,
                      .NH = &o.cfg.NH, .F = &o.cfg.F, .lr = &o.lr, .lr_min = &o.lr_min, .seed = &o.seed,
                      .out = &o.out, .ckpt = &o.ckpt, .resume = &o.resume, .log = &o.log};
    int r = parse_train_args(argc, argv, "train gen", &c, &o.quiet, gen_opt, &o, train_gen_usage);
    if (r) return r == 1 ? 0 : r;
    if (o.cfg.C % o.cfg.NH) {
        fprintf(stderr, "parm: error: --width %d is not a multiple of --heads %d\n", o.cfg.C, o.cfg.NH);
        return 2;
    }
    if (check_outputs(o.out, o.ckpt, o.log)) return 2;
    if (parm_gen_train(&o)) return cli_fail();
    if (!o.quiet) fprintf(stderr, "wrote %s\n", o.out);
    return 0;
}

static void train_judge_usage(FILE *f) {
    parm_judge_train_opts d = parm_judge_train_defaults();
    fprintf(f,
            "usage: parm train judge --variant NAME [--data PATHSET] [options]\n"
            "Train the yes/no judge (question token + prompt + 8x8 image patches -> P(yes)).\n\n"
            "  --variant NAME     training data (default %s):\n", d.variant);
    for (int i = 0; i < parm_judge_nsources; i++)
        fprintf(f, "                       %-8s %s\n                                (%swrites %s)\n", parm_judge_sources[i].name,
                parm_judge_sources[i].help, parm_judge_sources[i].needs_data ? "needs --data; " : "",
                parm_judge_sources[i].default_out);
    fprintf(f,
            "  --data FILE        path set of TRAIN prompts (`parm paths --prompts train`) for orm, prm, parm;\n"
            "                     a file holding any test prompt is refused\n"
            "  --init W           start from these judge weights (e.g. a trained orm-zs judge; their size wins),\n"
            "                     fresh optimizer\n"
            "  --layout L         scenes of the orm-zs pairs: canonical (16 px objects on the 8 px grid, the\n"
            "                     generator's training distribution; default) or free (the contract's full one)\n"
            "  --zs-frac X        orm: share of each batch that is orm-zs pairs (default %g)\n"
            "  --eval-data FILE   also evaluate on this path set at each eval (a TEST-prompt set is allowed)\n"
            "  --word-frac X      caption-completion rows per batch, as a share of --batch (default %g; 0 = off):\n"
            "                     matching examples with one content word masked, predicted from the image\n"
            "  --word-weight X    weight of that auxiliary loss (default %g)\n",
            d.zs_frac, d.word_frac, d.word_weight);
    fprintf(f,
            "  --steps N          optimizer steps (default %ld)\n"
            "  --batch N          examples per step (default %d)\n"
            "  --lr X             peak learning rate (default %g), cosine to --lr-min (default %g)\n"
            "  --warmup N         warmup steps (default %ld)\n"
            "  --layers N --width N --heads N --mlp N   model size (default %d / %d / %d / %d)\n"
            "  --seed S           seed for init and data (default 0)\n"
            "  --out PATH         final weights, F16 (default: the variant's, above)\n"
            "  --ckpt PATH        checkpoint for exact resume (default runs/judge_<variant>.ckpt.safetensors)\n"
            "  --ckpt-every N     checkpoint period (default %ld)\n"
            "  --eval-every N     held-out eval period (default %ld; 0 = off): GT renders of TEST prompts\n"
            "                     and of train prompts, matching vs corrupted captions\n"
            "  --eval-n N         examples per held-out set (default %d)\n"
            "  --log PATH         learning-curve CSV (default runs/judge_<variant>.curve.csv)\n"
            "  --resume CKPT      continue from a checkpoint (bit-exact; it carries the model size, so no --init)\n"
            "  --quiet            no progress output\n",
            d.steps, d.batch, d.lr, d.lr_min, d.warmup, d.cfg.L, d.cfg.C, d.cfg.NH, d.cfg.F, d.ckpt_every,
            d.eval_every, d.eval_n);
}

static int judge_opt(void *ctx, const char *a, const char *v) {
    parm_judge_train_opts *o = ctx;
    long n;
    if (!strcmp(a, "--variant")) { o->variant = v; return 1; }
    if (!strcmp(a, "--eval-n")) { if (cli_int(a, v, 2, 1000000, &n)) return -1; o->eval_n = (int)(n + (n & 1)); return 1; }
    if (!strcmp(a, "--data")) { o->data = v; return 1; }
    if (!strcmp(a, "--eval-data")) { o->eval_data = v; return 1; }
    if (!strcmp(a, "--init")) { o->init = v; return 1; }
    if (!strcmp(a, "--word-frac") || !strcmp(a, "--word-weight")) {
        double x;
        if (cli_float(a, v, 0, !strcmp(a, "--word-frac") ? 1 : 100, &x)) return -1;
        *(!strcmp(a, "--word-frac") ? &o->word_frac : &o->word_weight) = (float)x;
        return 1;
    }
    if (!strcmp(a, "--zs-frac")) {
        double x;
        if (cli_float(a, v, 0, 1, &x)) return -1;
        o->zs_frac = (float)x;
        return 1;
    }
    if (!strcmp(a, "--layout")) return cli_layout(v, &o->layout) ? -1 : 1;
    return 0;
}

static int train_judge(int argc, char **argv) {
    parm_judge_train_opts o = parm_judge_train_defaults();
    train_common c = {.steps = &o.steps, .warmup = &o.warmup, .ckpt_every = &o.ckpt_every,
                      .eval_every = &o.eval_every, .batch = &o.batch, .L = &o.cfg.L, .C = &o.cfg.C,
                      .NH = &o.cfg.NH, .F = &o.cfg.F, .lr = &o.lr, .lr_min = &o.lr_min, .seed = &o.seed,
                      .out = &o.out, .ckpt = &o.ckpt, .resume = &o.resume, .log = &o.log};
    int r = parse_train_args(argc, argv, "train judge", &c, &o.quiet, judge_opt, &o, train_judge_usage);
    if (r) return r == 1 ? 0 : r;
    if (o.cfg.C % o.cfg.NH) {
        fprintf(stderr, "parm: error: --width %d is not a multiple of --heads %d\n", o.cfg.C, o.cfg.NH);
        return 2;
    }
    const parm_judge_source *src = parm_judge_source_find(o.variant);
    if (!src) return cli_fail();
    char ckpt_def[256], log_def[256]; /* the defaults parm_judge_train derives from the variant */
    snprintf(ckpt_def, sizeof ckpt_def, "runs/judge_%s.ckpt.safetensors", src->name);
    snprintf(log_def, sizeof log_def, "runs/judge_%s.curve.csv", src->name);
    if (check_outputs(o.out ? o.out : src->default_out, o.ckpt ? o.ckpt : ckpt_def, o.log ? o.log : log_def)) return 2;
    if (parm_judge_train(&o, NULL)) return cli_fail();
    if (!o.quiet) fprintf(stderr, "wrote %s\n", o.out ? o.out : src->default_out);
    return 0;
}

int cmd_train(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout, "usage: parm train MODEL [options]   (MODEL: vq, gen, judge)\n"
                                            "  parm train vq --help      options of the tokenizer training\n"
                                            "  parm train gen --help     options of the generator training\n"
                                            "  parm train judge --help   options of the judge training (--variant)\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "vq")) return train_vq(argc - 1, argv + 1);
    if (!strcmp(argv[1], "gen")) return train_gen(argc - 1, argv + 1);
    if (!strcmp(argv[1], "judge")) return train_judge(argc - 1, argv + 1);
    fprintf(stderr, "parm train: unknown model '%s'; valid models: vq, gen, judge\n", argv[1]);
    return 2;
}
