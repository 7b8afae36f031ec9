/* cmd_train.c — `parm train MODEL …`: train one of parm's models with the
 * library's training loop (parm/train.h). Models: vq (the image tokenizer),
 * gen (the generator), judge (the yes/no vision-language judge; --variant
 * picks its training data, --data the path set the generator-backed variants
 * read), dpo (DPO of a generator on a preference set, `parm pairs`), gen-sc
 * (the PARM++ self-correction fine-tune on a train-prompt path set). The
 * CLI owns the default paths: everything a run writes goes under
 * runs/ unless --out / --ckpt / --log say otherwise. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/dpo.h"
#include "parm/gen.h"
#include "parm/judge.h"
#include "parm/vq.h"

/* Where `parm train` writes by default: runs/ of the working directory,
 * never weights/ (shipped, tracked files change only when --out names them). */
#define RUNS "runs/"

/* The flags every training command shares (into parm_train_opts), plus the
 * model size flags of the transformers (NULL = the model has none). */
typedef struct {
    parm_train_opts *t;
    int *L, *C, *NH, *F;
    int has_init;
} train_common;

/* 1 = `a` was a shared option and v was applied; 0 = not a shared option; -1 = bad value. */
static int common_opt(const train_common *c, const char *a, const char *v) {
    long n;
    double x;
    parm_train_opts *t = c->t;
#define INT_OPT(flag, dst, lo, hi, type)                                    \
    if ((dst) && !strcmp(a, flag)) {                                        \
        if (cli_int(a, v, lo, hi, &n)) return -1;                           \
        *(dst) = (type)n;                                                   \
        return 1;                                                           \
    }
#define FLOAT_OPT(flag, dst, lo, hi)                                        \
    if (!strcmp(a, flag)) {                                                 \
        if (cli_float(a, v, lo, hi, &x)) return -1;                         \
        *(dst) = (float)x;                                                  \
        return 1;                                                           \
    }
#define STR_OPT(flag, dst) if (!strcmp(a, flag)) { *(dst) = v; return 1; }
    INT_OPT("--steps", &t->steps, 1, 100000000, long)
    INT_OPT("--warmup", &t->warmup, 0, 100000000, long)
    INT_OPT("--ckpt-every", &t->ckpt_every, 0, 100000000, long)
    INT_OPT("--eval-every", &t->eval_every, 0, 100000000, long)
    INT_OPT("--log-every", &t->log_every, 0, 100000000, long)
    INT_OPT("--batch", &t->batch, 1, 4096, int)
    INT_OPT("--seed", &t->seed, 0, 0x7fffffffL, uint64_t)
    INT_OPT("--shards", &t->shards, 1, 4096, int)
    INT_OPT("--layers", c->L, 1, 64, int)
    INT_OPT("--width", c->C, 8, 4096, int)
    INT_OPT("--heads", c->NH, 1, 64, int)
    INT_OPT("--mlp", c->F, 1, 65536, int)
    FLOAT_OPT("--lr", &t->lr, 0, 1)
    FLOAT_OPT("--lr-min", &t->lr_min, 0, 1)
    FLOAT_OPT("--clip", &t->clip, 0, 1000)
    FLOAT_OPT("--weight-decay", &t->weight_decay, 0, 10)
    STR_OPT("--out", &t->out)
    STR_OPT("--ckpt", &t->ckpt)
    STR_OPT("--resume", &t->resume)
    STR_OPT("--log", &t->log)
    if (c->has_init) STR_OPT("--init", &t->init)
#undef INT_OPT
#undef FLOAT_OPT
#undef STR_OPT
    return 0;
}

/* Parse argv[1..] into the shared options plus a model's own (model_opt
 * returns like common_opt). Returns 0 to go on, 1 after --help, 2 on error. */
static int parse_train_args(int argc, char **argv, const char *cmd, const train_common *c,
                            int (*model_opt)(void *ctx, const char *a, const char *v), void *ctx,
                            void (*usage)(FILE *)) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 1; }
        if (!strcmp(a, "--quiet")) { c->t->quiet = 1; continue; }
        if (!(v = cli_value(argc, argv, i))) return 2;
        i++;
        int r = model_opt ? model_opt(ctx, a, v) : 0;
        if (r == 0) r = common_opt(c, a, v);
        if (r < 0) return 2;
        if (r == 0) return cli_unknown(cmd, a);
    }
    if (parm_dist_rank() != 0) c->t->quiet = 1; /* rank 0 reports for all (parm/train.h) */
    if (c->C && c->NH && *c->C % *c->NH) {
        fprintf(stderr, "parm: error: --width %d is not a multiple of --heads %d\n", *c->C, *c->NH);
        return 2;
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

/* Help lines of the shared options (defaults shown); what = the eval's kind. */
static void common_usage(FILE *f, const parm_train_opts *d, const char *what) {
    fprintf(f,
            "  --steps N          optimizer steps (default %ld)\n"
            "  --batch N          examples per step (default %d)\n"
            "  --lr X             peak learning rate (default %g), cosine to --lr-min (default %g)\n"
            "  --warmup N         warmup steps (default %ld)\n"
            "  --clip X           global grad-norm clip (default %g; 0 = off)\n"
            "  --weight-decay X   AdamW weight decay (default %g)\n"
            "  --seed S           seed for init and data (default %llu)\n"
            "  --ckpt-every N     checkpoint period in steps (default %ld; 0 = only at the end)\n"
            "  --eval-every N     %s eval period (default %ld; 0 = off)\n"
            "  --log-every N      learning-curve row period (default %ld; 0 = 100; eval steps and the last always)\n"
            "  --resume CKPT      continue from a checkpoint (bit-exact)\n"
            "  --shards S         gradient shards of a batch (default: one a rank of `mpirun -np K`, or the\n"
            "                     resumed checkpoint's): the trajectory depends on S only, so one process\n"
            "                     with --shards 2 equals `mpirun -np 2` bit for bit; K must divide S\n"
            "  --quiet            no progress output\n",
            d->steps, d->batch, d->lr, d->lr_min, d->warmup, d->clip, d->weight_decay, (unsigned long long)d->seed,
            d->ckpt_every, what, d->eval_every, d->log_every);
}

/* --out / --ckpt / --log lines: defaults under runs/<name>… */
static void paths_usage(FILE *f, const char *name) {
    fprintf(f,
            "  --out PATH         final weights, F16 (default " RUNS "%s.safetensors)\n"
            "  --ckpt PATH        checkpoint for exact resume (default " RUNS "%s.ckpt.safetensors)\n"
            "  --log PATH         learning-curve CSV (default " RUNS "%s.curve.csv)\n"
            "                     (give '' to skip one; the shipped weights/ files change only when --out names them)\n",
            name, name, name);
}

/* Unset paths become runs/<name>.safetensors, .ckpt.safetensors, .curve.csv; the
 * buffers hold them (they must outlive training). */
static void default_paths(parm_train_opts *t, const char *name, char out[256], char ckpt[256], char log[256]) {
    snprintf(out, 256, RUNS "%s.safetensors", name);
    snprintf(ckpt, 256, RUNS "%s.ckpt.safetensors", name);
    snprintf(log, 256, RUNS "%s.curve.csv", name);
    if (!t->out) t->out = out;
    if (!t->ckpt) t->ckpt = ckpt;
    if (!t->log) t->log = log;
}

static void wrote(const parm_train_opts *t) {
    if (!t->quiet && parm_dist_rank() == 0 && t->out && t->out[0]) fprintf(stderr, "wrote %s\n", t->out);
}

static void train_vq_usage(FILE *f) {
    parm_vq_train_opts d = parm_vq_train_defaults();
    fprintf(f,
            "usage: parm train vq [options]\n"
            "Train the VQ image tokenizer on freshly rendered scenes of train-split prompts.\n\n"
            "  --width N --dim N --codes N   model size (default %d / %d / %d)\n"
            "  --restart-every N  dead-code restart period (default %d; checkpoints fall on its multiples)\n",
            d.cfg.width, d.cfg.dim, d.cfg.ncodes, d.restart_every);
    common_usage(f, &d.train, "reconstruction");
    paths_usage(f, "vq");
}

static int vq_opt(void *ctx, const char *a, const char *v) {
    parm_vq_train_opts *o = ctx;
    long n;
    if (!strcmp(a, "--width")) { if (cli_int(a, v, 1, 4096, &n)) return -1; o->cfg.width = (int)n; return 1; }
    if (!strcmp(a, "--dim")) { if (cli_int(a, v, 1, 1024, &n)) return -1; o->cfg.dim = (int)n; return 1; }
    if (!strcmp(a, "--codes")) { if (cli_int(a, v, 2, 65536, &n)) return -1; o->cfg.ncodes = (int)n; return 1; }
    if (!strcmp(a, "--restart-every")) {
        if (cli_int(a, v, 1, 100000000, &n)) return -1;
        o->restart_every = (int)n;
        return 1;
    }
    return 0;
}

static int train_vq(int argc, char **argv) {
    parm_vq_train_opts o = parm_vq_train_defaults();
    train_common c = {.t = &o.train};
    int r = parse_train_args(argc, argv, "train vq", &c, vq_opt, &o, train_vq_usage);
    if (r) return r == 1 ? 0 : r;
    char out[256], ckpt[256], log[256];
    default_paths(&o.train, "vq", out, ckpt, log);
    if (check_outputs(o.train.out, o.train.ckpt, o.train.log)) return 2;
    if (parm_vq_train(&o)) return cli_fail();
    wrote(&o.train);
    return 0;
}

static void train_gen_usage(FILE *f) {
    parm_gen_train_opts d = parm_gen_train_defaults();
    fprintf(f,
            "usage: parm train gen [options]\n"
            "Train the Show-o-style generator (masked image-token prediction) on freshly rendered\n"
            "scenes of train-split prompts, tokenized by the VQ.\n\n"
            "  --layers N --width N --heads N --mlp N   model size (default %d / %d / %d / %d)\n"
            "  --bg-weight X      loss weight of background tokens (default %g)\n"
            "  --cond-drop X      condition dropout for CFG (default %g)\n"
            "  --vq PATH          tokenizer weights (default the shipped " CLI_VQ ")\n"
            "  --layout L         training scenes: canonical (16 px objects on the 8 px grid, default)\n"
            "                     or free (the contract's full size/position distribution)\n"
            "  --eval-prompts N   train prompts generated at each eval (default %d)\n"
            "  --init PATH        start from these generator weights (their size wins), fresh optimizer\n",
            d.cfg.L, d.cfg.C, d.cfg.NH, d.cfg.F, d.bg_weight, d.cond_drop, d.eval_prompts);
    common_usage(f, &d.train, "generation");
    paths_usage(f, "gen");
}

static int gen_opt(void *ctx, const char *a, const char *v) {
    parm_gen_train_opts *o = ctx;
    double x;
    long n;
    if (!strcmp(a, "--bg-weight")) { if (cli_float(a, v, 0, 100, &x)) return -1; o->bg_weight = (float)x; return 1; }
    if (!strcmp(a, "--cond-drop")) { if (cli_float(a, v, 0, 1, &x)) return -1; o->cond_drop = (float)x; return 1; }
    if (!strcmp(a, "--eval-prompts")) {
        if (cli_int(a, v, 1, 100000, &n)) return -1;
        o->eval_prompts = (int)n;
        return 1;
    }
    if (!strcmp(a, "--vq")) { o->vq_path = v; return 1; }
    if (!strcmp(a, "--layout")) return cli_layout(v, &o->layout) ? -1 : 1;
    return 0;
}

static int train_gen(int argc, char **argv) {
    parm_gen_train_opts o = parm_gen_train_defaults();
    o.vq_path = cli_shipped(CLI_VQ);
    train_common c = {.t = &o.train, .L = &o.cfg.L, .C = &o.cfg.C, .NH = &o.cfg.NH, .F = &o.cfg.F, .has_init = 1};
    int r = parse_train_args(argc, argv, "train gen", &c, gen_opt, &o, train_gen_usage);
    if (r) return r == 1 ? 0 : r;
    char out[256], ckpt[256], log[256];
    default_paths(&o.train, "gen", out, ckpt, log);
    if (check_outputs(o.train.out, o.train.ckpt, o.train.log)) return 2;
    if (parm_gen_train(&o)) return cli_fail();
    wrote(&o.train);
    return 0;
}

static void train_judge_usage(FILE *f) {
    parm_judge_train_opts d = parm_judge_train_defaults();
    fprintf(f,
            "usage: parm train judge --variant NAME [--data PATHSET] [options]\n"
            "Train the yes/no judge (question token + prompt + 8x8 image patches -> P(yes)).\n\n"
            "  --variant NAME     training data (default %s):\n", d.variant);
    for (int i = 0; i < parm_judge_nsources; i++)
        fprintf(f, "                       %-8s %s\n%s", parm_judge_sources[i].name, parm_judge_sources[i].help,
                parm_judge_sources[i].needs_data ? "                                (needs --data)\n" : "");
    fprintf(f,
            "  --data FILE        path set of TRAIN prompts (`parm paths --prompts train`) for orm, prm, parm;\n"
            "                     a file holding any test prompt is refused\n"
            "  --init W           start from these judge weights (e.g. a trained orm-zs judge; their size wins),\n"
            "                     fresh optimizer\n"
            "  --layout L         scenes of the orm-zs pairs: canonical (16 px objects on the 8 px grid, the\n"
            "                     generator's training distribution; default) or free (the contract's full one)\n"
            "  --zs-frac X        orm: share of each batch that is orm-zs pairs (default %g)\n"
            "  --rel-frac X       atoms (and orm-atoms' zero-shot share): share of atom groups that are\n"
            "                     relation groups: a two_object train render asked 2 true and 2 false\n"
            "                     relation atoms of train triples (default 0)\n"
            "  --free-frac X      atoms: share of atom groups rendered in the free layout (default 0)\n"
            "  --damage-frac X    atoms (and orm-atoms' zero-shot share): share of atom groups whose render has\n"
            "                     one object damaged (eroded, dilated, notched, spurs, merged, half-erased,\n"
            "                     blob, or ragged edges); each atom labeled by the grader on that image, so\n"
            "                     a shape it no longer finds is a 'no' (default 0)\n"
            "  --pos2d X          add the fixed 2-D position code of norm X to every patch token (fresh or\n"
            "                     --init; default: an --init file's own, else none; a checkpoint keeps its own)\n"
            "  --ground-weight X  weight of the grounding loss (default %g = off): atoms examples asking a true\n"
            "                     object atom of an object the scene holds once teach head.ground where its\n"
            "                     pixels are (64-way CE over patches); an --init judge without the head gets\n"
            "                     one; a judge with it answers relation atoms geometrically (judge.h)\n"
            "  --grow-layers K    deepen the --init judge by K transformer blocks that start as the identity\n"
            "                     (it answers as before; fine-tuning gets more capacity; default 0)\n"
            "  --rank-frac X      orm-atoms: share of the path rows given to ranking pairs: every atom of a\n"
            "                     correct and of an incorrect final image of one prompt, augmented alike, each\n"
            "                     an atom example as usual; the ranking loss puts the correct image's weakest\n"
            "                     object / count atom above the incorrect one's (what best-of-N asks; default 0);\n"
            "                     parm-atoms: half the pairs on a clear step of each path instead (what PARM's\n"
            "                     potential gate ranks)\n"
            "  --rank-weight X    weight of that loss (default %g)\n"
            "  --eval-data FILE   also evaluate on this path set at each eval (a TEST-prompt set is allowed)\n"
            "  --eval-n N         examples per held-out set (default %d): GT renders of TEST prompts and of\n"
            "                     train prompts, matching vs corrupted captions\n"
            "  --word-frac X      caption-completion rows per batch, as a share of --batch (default %g; 0 = off):\n"
            "                     matching examples with one content word masked, predicted from the image\n"
            "  --word-weight X    weight of that auxiliary loss (default %g)\n"
            "  --eval-atoms R     score the held-out prompts by their atoms: off, product or min (default:\n"
            "                     product for atoms and orm-atoms, off otherwise); saved with the weights, so\n"
            "                     `parm bench --judge W` scores by it\n"
            "  --layers N --width N --heads N --mlp N   model size (default %d / %d / %d / %d;\n"
            "                     a --resume checkpoint carries its own)\n",
            d.zs_frac, d.ground_weight, d.rank_weight, d.eval_n, d.word_frac, d.word_weight, d.cfg.L, d.cfg.C, d.cfg.NH, d.cfg.F);
    common_usage(f, &d.train, "held-out");
    paths_usage(f, "judge_<variant>");
}

static int judge_opt(void *ctx, const char *a, const char *v) {
    parm_judge_train_opts *o = ctx;
    long n;
    if (!strcmp(a, "--variant")) { o->variant = v; return 1; }
    if (!strcmp(a, "--eval-n")) { if (cli_int(a, v, 2, 1000000, &n)) return -1; o->eval_n = (int)(n + (n & 1)); return 1; }
    if (!strcmp(a, "--data")) { o->data = v; return 1; }
    if (!strcmp(a, "--eval-data")) { o->eval_data = v; return 1; }
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
    if (!strcmp(a, "--eval-atoms")) {
        if ((o->eval_atoms = parm_atoms_rule_index(v)) < 0) {
            fprintf(stderr, "parm: error: --eval-atoms '%s' is not one of: %s\n", v, PARM_ATOMS_RULES_LIST);
            return -1;
        }
        return 1;
    }
    if (!strcmp(a, "--grow-layers")) {
        long k;
        if (cli_int(a, v, 0, 60, &k)) return -1;
        o->grow_layers = (int)k;
        return 1;
    }
    if (!strcmp(a, "--ground-weight")) {
        double x;
        if (cli_float(a, v, 0, 100, &x)) return -1;
        o->ground_weight = (float)x;
        return 1;
    }
    if (!strcmp(a, "--pos2d")) {
        double x;
        if (cli_float(a, v, 0, 1000, &x)) return -1;
        o->cfg.pos2d = (float)x;
        return 1;
    }
    if (!strcmp(a, "--rel-frac") || !strcmp(a, "--free-frac") || !strcmp(a, "--damage-frac") || !strcmp(a, "--rank-frac")) {
        double x;
        if (cli_float(a, v, 0, 1, &x)) return -1;
        *(!strcmp(a, "--rel-frac")    ? &o->rel_frac
          : !strcmp(a, "--free-frac") ? &o->free_frac
          : !strcmp(a, "--rank-frac") ? &o->rank_frac
                                      : &o->damage_frac) = (float)x;
        return 1;
    }
    if (!strcmp(a, "--rank-weight")) {
        double x;
        if (cli_float(a, v, 0, 100, &x)) return -1;
        o->rank_weight = (float)x;
        return 1;
    }
    return 0;
}

static int train_judge(int argc, char **argv) {
    parm_judge_train_opts o = parm_judge_train_defaults();
    train_common c = {.t = &o.train, .L = &o.cfg.L, .C = &o.cfg.C, .NH = &o.cfg.NH, .F = &o.cfg.F, .has_init = 1};
    int r = parse_train_args(argc, argv, "train judge", &c, judge_opt, &o, train_judge_usage);
    if (r) return r == 1 ? 0 : r;
    const parm_judge_source *src = parm_judge_source_find(o.variant);
    if (!src) return cli_fail();
    char name[64], out[256], ckpt[256], log[256];
    snprintf(name, sizeof name, "judge_%s", src->name);
    default_paths(&o.train, name, out, ckpt, log);
    if (check_outputs(o.train.out, o.train.ckpt, o.train.log)) return 2;
    if (parm_judge_train(&o, NULL)) return cli_fail();
    wrote(&o.train);
    return 0;
}

static void train_dpo_usage(FILE *f) {
    parm_dpo_train_opts d = parm_dpo_train_defaults();
    fprintf(f,
            "usage: parm train dpo --init W --data PAIRS [--ref W] [--beta B] [--sft L] [options]\n"
            "DPO of the generator on a preference set of its own samples of train prompts (`parm pairs`):\n"
            "per pair one MaskGIT-ratio mask; sequence log-likelihood = sum of log-softmax at the true token\n"
            "over the masked positions; L = -log sigmoid(beta*((pi_c-pi_r)-(ref_c-ref_r))) + sft*CE(chosen).\n\n"
            "  --init W           the generator to align (required; e.g. " CLI_GEN ")\n"
            "  --data PAIRS       the preference set (required; a test prompt in it is refused)\n"
            "  --ref W            the frozen reference (default: --init)\n"
            "  --beta B           DPO temperature (default %g)\n"
            "  --sft L            weight of the chosen grids' cross-entropy (default %g)\n"
            "  --epochs E         passes over the pairs when --steps is not given (default %g)\n"
            "  --max-pairs N      at most N pairs per prompt (default 0 = every correct x incorrect pair)\n"
            "  --vq PATH          tokenizer weights (default the shipped " CLI_VQ ")\n"
            "  --eval-prompts N   train prompts generated at each eval (default %d; --eval-every 0 = no eval)\n"
            "  (--steps defaults to one epoch of the pairs; --batch counts pairs)\n",
            d.beta, d.sft, d.epochs, d.eval_prompts);
    common_usage(f, &d.train, "generation");
    paths_usage(f, "gen_dpo");
}

static int dpo_opt(void *ctx, const char *a, const char *v) {
    parm_dpo_train_opts *o = ctx;
    double x;
    long n;
    if (!strcmp(a, "--beta")) { if (cli_float(a, v, 1e-6, 1000, &x)) return -1; o->beta = (float)x; return 1; }
    if (!strcmp(a, "--sft")) { if (cli_float(a, v, 0, 1000, &x)) return -1; o->sft = (float)x; return 1; }
    if (!strcmp(a, "--epochs")) { if (cli_float(a, v, 1e-6, 1000, &x)) return -1; o->epochs = (float)x; return 1; }
    if (!strcmp(a, "--max-pairs")) { if (cli_int(a, v, 0, 100000, &n)) return -1; o->max_pairs_per_prompt = (int)n; return 1; }
    if (!strcmp(a, "--eval-prompts")) { if (cli_int(a, v, 1, 100000, &n)) return -1; o->eval_prompts = (int)n; return 1; }
    if (!strcmp(a, "--data")) { o->data = v; return 1; }
    if (!strcmp(a, "--ref")) { o->ref = v; return 1; }
    if (!strcmp(a, "--vq")) { o->vq_path = v; return 1; }
    return 0;
}

static int train_dpo(int argc, char **argv) {
    parm_dpo_train_opts o = parm_dpo_train_defaults();
    o.vq_path = cli_shipped(CLI_VQ);
    train_common c = {.t = &o.train, .has_init = 1};
    int r = parse_train_args(argc, argv, "train dpo", &c, dpo_opt, &o, train_dpo_usage);
    if (r) return r == 1 ? 0 : r;
    if (!o.train.init || !o.data) {
        fprintf(stderr, "parm: error: train dpo needs --init W and --data PAIRS (see parm train dpo --help)\n");
        return 2;
    }
    char out[256], ckpt[256], log[256];
    default_paths(&o.train, "gen_dpo", out, ckpt, log);
    parm_dpo_result res;
    if (parm_dpo_train(&o, &res)) return cli_fail();
    if (!o.train.quiet)
        fprintf(stderr, "train dpo: %d pairs, %ld steps, %.1f s; last rows: reward accuracy %.3f, drift chosen %+.2f "
                "rejected %+.2f\n", res.pairs, res.steps, res.seconds, res.last_acc, res.last_drift_c,
                res.last_drift_r);
    wrote(&o.train);
    return 0;
}

static void train_gen_sc_usage(FILE *f) {
    parm_gen_sc_train_opts d = parm_gen_sc_train_defaults();
    fprintf(f,
            "usage: parm train gen-sc --data PATHSET [--init W] [options]\n"
            "PARM++ self-correction fine-tune of the generator: the sequence gains a reflection segment\n"
            "(the grader's reason in the reflection grammar) and the previous image's tokens; trained on\n"
            "quadruples (prompt, failed image, corrected image of the same prompt, reflection) from a\n"
            "TRAIN-prompt path set (a set holding a TEST prompt is refused), mixed with plain examples\n"
            "(condition dropout) so plain prompting still works. Every 10th prompt of the set is held out:\n"
            "each eval regenerates its failed images with and without (image, reflection).\n\n"
            "  --data PATHSET     the path set (required; `parm paths --prompts train`)\n"
            "  --init W           the generator to start from (default the shipped " CLI_GEN "; a plain one\n"
            "                     gains the new segments, a self-correction one continues)\n"
            "  --vq PATH          tokenizer weights (default the shipped " CLI_VQ ")\n"
            "  --plain-frac X     share of plain examples: GT renders of train prompts, no segments (default %g)\n"
            "  --cond-drop X      share of examples with no condition at all, for CFG (default %g)\n"
            "  --gt-targets 0..3  0: corrected images are the prompt's correct paths; 1: and a failed path of\n"
            "                     a prompt with no correct path gets a GT render; 2: GT renders only; 3: the GT\n"
            "                     render nearest to the failed image, a minimal edit (default %d)\n"
            "  --uncond-prev 0|1  1: the unconditional (dropped) examples keep their previous image, and CFG's\n"
            "                     unconditional branch does too (saved in the weights); 0: drop all (default %d)\n"
            "  --synth-frac X     share of conditioned examples that are synthetic: a GT scene changed in one\n"
            "                     respect (the failed image), the grader's reflection, the nearest valid\n"
            "                     render as the fix (default %g)\n"
            "  --edit-weight X    loss weight of a token that differs from the previous image's there:\n"
            "                     what a correction must change (default %g)\n"
            "  --eval-n N         held-out failed images regenerated per eval (default %d)\n"
            "  --eval-prompts N   train prompts generated plainly per eval (default %d)\n"
            "  --reflect-judge W  the real failed images' reflections are this judge's (its reading, as the\n"
            "                     PARM++ loop conditions on it) wherever it rejects the image; the grader's where\n"
            "                     it accepts, and for synthetic quadruples (default: the grader's everywhere)\n"
            "  --reflect-thresh X the judge rejects when an atom's P(yes) < X (default %g)\n",
            d.plain_frac, d.cond_drop, d.gt_targets, d.uncond_prev, d.synth_frac, d.edit_weight, d.eval_n, d.eval_prompts,
            d.reflect_thresh);
    common_usage(f, &d.train, "generation");
    paths_usage(f, "gen_sc");
}

static int gen_sc_opt(void *ctx, const char *a, const char *v) {
    parm_gen_sc_train_opts *o = ctx;
    double x;
    long n;
    if (!strcmp(a, "--plain-frac")) { if (cli_float(a, v, 0, 1, &x)) return -1; o->plain_frac = (float)x; return 1; }
    if (!strcmp(a, "--cond-drop")) { if (cli_float(a, v, 0, 1, &x)) return -1; o->cond_drop = (float)x; return 1; }
    if (!strcmp(a, "--uncond-prev")) { if (cli_int(a, v, 0, 1, &n)) return -1; o->uncond_prev = (int)n; return 1; }
    if (!strcmp(a, "--synth-frac")) { if (cli_float(a, v, 0, 1, &x)) return -1; o->synth_frac = (float)x; return 1; }
    if (!strcmp(a, "--edit-weight")) { if (cli_float(a, v, 0, 1000, &x)) return -1; o->edit_weight = (float)x; return 1; }
    if (!strcmp(a, "--gt-targets")) { if (cli_int(a, v, 0, 3, &n)) return -1; o->gt_targets = (int)n; return 1; }
    if (!strcmp(a, "--eval-n")) { if (cli_int(a, v, 0, 100000, &n)) return -1; o->eval_n = (int)n; return 1; }
    if (!strcmp(a, "--eval-prompts")) { if (cli_int(a, v, 1, 100000, &n)) return -1; o->eval_prompts = (int)n; return 1; }
    if (!strcmp(a, "--data")) { o->data = v; return 1; }
    if (!strcmp(a, "--vq")) { o->vq_path = v; return 1; }
    if (!strcmp(a, "--reflect-judge")) { o->reflect_judge = v; return 1; }
    if (!strcmp(a, "--reflect-thresh")) { if (cli_float(a, v, 0, 1, &x)) return -1; o->reflect_thresh = (float)x; return 1; }
    return 0;
}

static int train_gen_sc(int argc, char **argv) {
    parm_gen_sc_train_opts o = parm_gen_sc_train_defaults();
    o.vq_path = cli_shipped(CLI_VQ);
    o.train.init = cli_shipped(CLI_GEN);
    train_common c = {.t = &o.train, .has_init = 1};
    int r = parse_train_args(argc, argv, "train gen-sc", &c, gen_sc_opt, &o, train_gen_sc_usage);
    if (r) return r == 1 ? 0 : r;
    if (!o.data) {
        fprintf(stderr, "parm: error: train gen-sc needs --data PATHSET (see parm train gen-sc --help)\n");
        return 2;
    }
    char out[256], ckpt[256], log[256];
    default_paths(&o.train, "gen_sc", out, ckpt, log);
    if (check_outputs(o.train.out, o.train.ckpt, o.train.log)) return 2;
    long nq = 0;
    double t0 = parm_now();
    if (parm_gen_sc_train(&o, &nq)) return cli_fail();
    if (!o.train.quiet) fprintf(stderr, "train gen-sc: %ld quadruples, %.1f s\n", nq, parm_now() - t0);
    wrote(&o.train);
    return 0;
}

int cmd_train(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout, "usage: parm train MODEL [options]   (MODEL: vq, gen, gen-sc, judge, dpo)\n"
                                            "  parm train vq --help      options of the tokenizer training\n"
                                            "  parm train gen --help     options of the generator training\n"
                                            "  parm train gen-sc --help  options of the PARM++ self-correction fine-tune\n"
                                            "  parm train judge --help   options of the judge training (--variant)\n"
                                            "  parm train dpo --help     options of DPO on a preference set\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "vq")) return train_vq(argc - 1, argv + 1);
    if (!strcmp(argv[1], "gen")) return train_gen(argc - 1, argv + 1);
    if (!strcmp(argv[1], "judge")) return train_judge(argc - 1, argv + 1);
    if (!strcmp(argv[1], "dpo")) return train_dpo(argc - 1, argv + 1);
    if (!strcmp(argv[1], "gen-sc")) return train_gen_sc(argc - 1, argv + 1);
    fprintf(stderr, "parm train: unknown model '%s'; valid models: vq, gen, gen-sc, judge, dpo\n", argv[1]);
    return 2;
}
