/* cmd_paths.c — `parm paths`: sample N generator paths for each of P prompts
 * (train prompts, or TEST prompts for held-out evaluation only), keep every
 * step image, label each step with the grader, and write a path set
 * (include/parm/pathset.h) — the ORM / PRM / PARM judges' training data
 * (`parm train judge --data`) and their held-out evaluation (`parm eval judge --data`).
 * Under `mpirun -np K` the prompts are split over the ranks and rank 0 writes
 * the same file as one process would (parm_pathset_generate). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/gen.h"
#include "parm/pathset.h"

static void usage(FILE *f) {
    parm_pathset_gen_opts d = parm_pathset_gen_defaults();
    fprintf(f,
            "usage: parm paths --prompts train|test -o FILE [options]\n"
            "       parm paths --relabel IN -o OUT   regrade a set's step images (after a grader change)\n"
            "       parm paths --merge A,B[,...] -o OUT   the sets one after another (same steps and paths per prompt)\n"
            "Sample generator paths with every step image, label each step with the grader\n"
            "(verdict, and whether it reads as the path's final image does) and write a path set.\n"
            "Train judges on train-prompt sets only; a test-prompt set is for held-out evaluation.\n\n"
            "  --prompts SPLIT    train: train-split prompts (uniform over tags)\n"
            "                     test: TEST prompts only (position and color_attr alternately, each\n"
            "                     without repeats until its test prompts are used up)\n"
            "  -o, --out FILE     the path set (written atomically)\n"
            "  --n-prompts P      prompts (default %d)\n"
            "  --paths N          paths per prompt (default %d)\n"
            "  --seed S           prompt draw and path seeds (default 0); path k samples with S*2^32 + k\n"
            "  --steps T          decoding steps (default %d; the rest of the sampler is the default)\n"
            "  --gen W            generator weights (default weights/gen.safetensors)\n"
            "  --vq V             tokenizer weights (default weights/vq.safetensors)\n"
            "  --quiet            no progress output\n"
            "  --relabel IN       read the set IN, regrade every step image with this build's grader and\n"
            "                     write it to -o (it may be IN itself); prints how many final verdicts moved\n"
            "  --merge A,B,...    concatenate path sets (e.g. train sets drawn with different seeds) into -o;\n"
            "                     they must have the same steps and paths per prompt\n"
            "Under mpirun -np K the prompts are split over K ranks; rank 0 writes the same file.\n",
            d.n_prompts, d.paths, d.sample.steps);
}

/* --merge A,B,...: load each set, concatenate, write out atomically */
static int merge_sets(const char *list, const char *out, int other_mode, int quiet) {
    enum { MAX_SETS = 16 };
    if (!out || other_mode) {
        fprintf(stderr, "parm: error: parm paths --merge A,B,... needs -o OUT and no --prompts or --relabel\n");
        return 2;
    }
    char buf[4096];
    if (strlen(list) >= sizeof buf) {
        fprintf(stderr, "parm: error: --merge list is longer than %zu characters\n", sizeof buf - 1);
        return 2;
    }
    strcpy(buf, list);
    const char *names[MAX_SETS];
    int k = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (k == MAX_SETS) {
            fprintf(stderr, "parm: error: --merge takes at most %d sets\n", MAX_SETS);
            return 2;
        }
        names[k++] = tok;
    }
    if (k < 2) {
        fprintf(stderr, "parm: error: --merge '%s' names %d set(s); give two or more, comma-separated\n", list, k);
        return 2;
    }
    cli_out co;
    if (cli_output(&co, "-o", out, 0)) return 2;
    parm_pathset sets[MAX_SETS], all = {0}; /* concat leaves `all` empty on error: always freeable */
    int loaded = 0, rc;
    while (loaded < k && !(rc = parm_pathset_load(&sets[loaded], names[loaded]))) loaded++;
    if (!rc) rc = parm_pathset_concat(&all, sets, k) || parm_pathset_save(&all, out);
    if (!rc && !quiet) {
        long correct = 0;
        for (int i = 0; i < all.n; i++) correct += parm_pathset_final_verdict(&all, i);
        fprintf(stderr, "wrote %s: %d sets, %d prompts x %d paths, %d steps; final images correct %.3f\n", out, k,
                all.n_prompts, all.paths_per_prompt, all.T, (double)correct / all.n);
    }
    parm_pathset_free(&all);
    for (int j = 0; j < loaded; j++) parm_pathset_free(&sets[j]);
    return rc ? cli_fail() : 0;
}

int cmd_paths(int argc, char **argv) {
    const char *out = NULL, *split = NULL, *relabel = NULL, *merge = NULL, *genp = cli_shipped(CLI_GEN), *vqp = cli_shipped(CLI_VQ);
    parm_pathset_gen_opts o = parm_pathset_gen_defaults();
    long v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--quiet")) { o.quiet = 1; continue; }
        if (!(val = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = val;
        else if (!strcmp(a, "--gen")) genp = val;
        else if (!strcmp(a, "--relabel")) relabel = val;
        else if (!strcmp(a, "--merge")) merge = val;
        else if (!strcmp(a, "--vq")) vqp = val;
        else if (!strcmp(a, "--prompts")) {
            if (strcmp(val, "train") && strcmp(val, "test")) {
                fprintf(stderr, "parm: error: --prompts '%s' is not 'train' or 'test'\n", val);
                return 2;
            }
            split = val;
        } else if (!strcmp(a, "--n-prompts")) { if (cli_int(a, val, 1, PARM_PATHSET_MAX_PATHS, &v)) return 2; o.n_prompts = (int)v; }
        else if (!strcmp(a, "--paths")) { if (cli_int(a, val, 1, 256, &v)) return 2; o.paths = (int)v; }
        else if (!strcmp(a, "--seed")) { if (cli_int(a, val, 0, 0x7fffffffL, &v)) return 2; o.seed = (uint64_t)v; }
        else if (!strcmp(a, "--steps")) { if (cli_int(a, val, 1, PARM_PATHSET_MAX_STEPS, &v)) return 2; o.sample.steps = (int)v; }
        else return cli_unknown("paths", a);
    }
    if (merge) return merge_sets(merge, out, split || relabel, o.quiet);
    if (relabel) {
        if (!out || split) {
            fprintf(stderr, "parm: error: parm paths --relabel IN needs -o OUT and no --prompts\n");
            return 2;
        }
        parm_pathset ps;
        long moved[2];
        if (parm_pathset_load(&ps, relabel)) return cli_fail();
        double t0 = parm_now();
        int rc = parm_pathset_relabel(&ps, moved) || parm_pathset_save(&ps, out);
        long correct = 0;
        for (int i = 0; i < ps.n; i++) correct += parm_pathset_final_verdict(&ps, i);
        if (!rc && !o.quiet)
            fprintf(stderr, "wrote %s: %d paths regraded; final verdicts 0 -> 1: %ld, 1 -> 0: %ld; correct now %.3f; "
                            "%.1f s\n", out, ps.n, moved[0], moved[1], (double)correct / ps.n, parm_now() - t0);
        parm_pathset_free(&ps);
        return rc ? cli_fail() : 0;
    }
    if (!split || !out) {
        fprintf(stderr, "parm: error: parm paths needs --prompts train|test and -o FILE (see parm paths --help)\n");
        return 2;
    }
    if ((long long)o.n_prompts * o.paths > PARM_PATHSET_MAX_PATHS) {
        fprintf(stderr, "parm: error: --n-prompts %d x --paths %d is more than %d paths\n", o.n_prompts, o.paths,
                PARM_PATHSET_MAX_PATHS);
        return 2;
    }
    o.test = !strcmp(split, "test");
    cli_out co;
    if (cli_output(&co, "-o", out, 0)) return 2;
    parm_gen g;
    parm_vq vq;
    if (cli_load_gen_vq(&g, &vq, genp, vqp)) return cli_fail();
    double acc = 0, t0 = parm_now();
    int rc = parm_pathset_generate(&g, &vq, &o, out, &acc);
    parm_gen_free(&g);
    parm_vq_free(&vq);
    if (rc) return cli_fail();
    if (!o.quiet && parm_dist_rank() == 0)
        fprintf(stderr, "wrote %s: %d %s prompts x %d paths, %d steps; final images correct %.3f; %.1f s\n", out,
                o.n_prompts, split, o.paths, o.sample.steps, acc, parm_now() - t0);
    return 0;
}
