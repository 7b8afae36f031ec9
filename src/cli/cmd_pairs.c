/* cmd_pairs.c — `parm pairs`: DPO preference data (include/parm/prefset.h).
 * Sample K paths per TRAIN prompt with the default sampler, keep each final
 * image's tokens and the grader's verdict, write a preference set; or
 * (--relabel) regrade an existing set after a grader change (decode tokens,
 * grade, rewrite atomically; with --label orm|orm-zs a reward model relabels
 * its final images instead); or (--info) print its counts. With --label
 * orm|orm-zs|parm a reward model labels the paths instead of the grader (the
 * guided rounds of iterative DPO: parm_search_pref_label). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/prefset.h"
#include "parm/search.h"

static void usage(FILE *f) {
    parm_prefset_gen_opts d = parm_prefset_gen_defaults();
    fprintf(f,
            "usage: parm pairs -o FILE [options]        sample and label a preference set\n"
            "       parm pairs --relabel FILE [--vq V]  regrade a set's images (after a grader change)\n"
            "       parm pairs --relabel FILE --label orm|orm-zs [--judge W] [-o OUT]\n"
            "                                           relabel its final images by a reward model (ORM guidance)\n"
            "       parm pairs --info FILE              prompts, paths, accuracy and pair count, by tag\n"
            "Sample K generator paths for each of P TRAIN prompts, grade each final image and keep its\n"
            "tokens: the data of `parm train dpo` (pairs = correct x incorrect paths of one prompt).\n\n"
            "  -o, --out FILE     the set (written atomically; a valid partial set every --save-every prompts)\n"
            "  --n-prompts P      train prompts (default %d)\n"
            "  --paths K          paths per prompt (default %d, at most 256)\n"
            "  --seed S           prompt draw and path seeds (default 0)\n"
            "  --save-every N     rewrite the partial set every N prompts (default %ld; 0 = at the end only)\n"
            "  --resume           continue the partial set at -o (same seed, paths, steps, labeler)\n"
            "  --label L          who labels the paths: grader (default), orm, orm-zs (verdict = the judge's\n"
            "                     P(match) >= 0.5) or parm (1 = PARM's pick among the K paths when it survived\n"
            "                     the gate with P(match) >= 0.5, 0 = every other path); a reward model, never\n"
            "                     the grader, labels the guided rounds of iterative DPO\n"
            "  --judge W          the labeling judge (default " CLI_JUDGE_DIR "/judge_<L>.safetensors)\n"
            "  --gen W            generator weights (default " CLI_GEN "; --relabel loads none)\n"
            "  --vq V             tokenizer weights (default " CLI_VQ ")\n"
            "  --quiet            no progress output\n"
            "  with --relabel: -o OUT writes the relabeled set to OUT (default: FILE in place); --label orm\n"
            "  or orm-zs gives the same verdicts as sampling the set again with that labeler (same tokens)\n",
            d.n_prompts, d.paths, d.save_every);
    cli_sample_usage(f);
}

/* A set's counts by tag: prompts, correct paths, prompts with both verdicts, every-combination pairs
 * (what DPO learns from, per tag). */
typedef struct { long prompts[PARM_NTAGS], correct[PARM_NTAGS], mixed[PARM_NTAGS], pairs[PARM_NTAGS]; } tag_counts;

static void count_tags(const parm_prefset *s, tag_counts *tc) {
    const int K = s->paths_per_prompt;
    memset(tc, 0, sizeof *tc);
    for (int p = 0; p < s->n_prompts; p++) {
        int t = s->prompt[p * K].tag, c = 0;
        for (int k = 0; k < K; k++) c += s->verdict[p * K + k];
        tc->prompts[t]++, tc->correct[t] += c, tc->mixed[t] += c > 0 && c < K, tc->pairs[t] += (long)c * (K - c);
    }
}

static void print_tags(const tag_counts *tc, int K) {
    printf("%-14s %8s %8s %8s %8s\n", "tag", "prompts", "correct", "mixed", "pairs");
    for (int t = 0; t < PARM_NTAGS; t++)
        if (tc->prompts[t])
            printf("%-14s %8ld %8.3f %8ld %8ld\n", parm_tag_names[t], tc->prompts[t],
                   (double)tc->correct[t] / ((double)tc->prompts[t] * K), tc->mixed[t], tc->pairs[t]);
}

/* Print a set's counts; relabel it first when relabel != 0: by the grader
 * (sr == NULL) or by sr's reward model, writing out (NULL: in place). */
static int info(const char *path, int relabel, parm_vq *vq, parm_searcher *sr, const char *out, int quiet) {
    parm_prefset s;
    if (parm_prefset_load(&s, path)) return cli_fail();
    int changed = 0;
    if (relabel) {
        if (sr) sr->o.sample.steps = s.steps; /* the replay checks the step count */
        changed = sr ? parm_prefset_relabel_final(&s, vq, PARM_PREF_LABEL_ORM, parm_search_pref_label, sr, quiet)
                     : parm_prefset_relabel(&s, vq);
        if (changed < 0 || parm_prefset_save(&s, out ? out : path)) { parm_prefset_free(&s); return cli_fail(); }
    }
    long c = 0;
    for (int i = 0; i < s.n; i++) c += s.verdict[i];
    parm_pref_pair *pairs;
    int np = parm_prefset_pairs(&s, 0, &pairs);
    tag_counts tc;
    count_tags(&s, &tc);
    long mixed = 0;
    for (int t = 0; t < PARM_NTAGS; t++) mixed += tc.mixed[t];
    if (np >= 0 && !quiet)
        printf("%s: %d train prompts x %d paths (seed %llu, %d steps, labeled by %s); correct %.3f; %d prompts with "
               "both verdicts; %d pairs\n", relabel && out ? out : path, s.n_prompts, s.paths_per_prompt,
               (unsigned long long)s.seed, s.steps, parm_pref_label_names[s.labeler], (double)c / s.n, (int)mixed, np);
    if (relabel && !quiet) printf("relabeled: %d verdicts changed\n", changed);
    if (np >= 0 && !quiet) print_tags(&tc, s.paths_per_prompt);
    free(pairs);
    parm_prefset_free(&s);
    return np < 0 ? cli_fail() : 0;
}

/* The reward model that labels paths (orm, orm-zs, parm) as a searcher of that method; g may be NULL when
 * only kept final images are relabeled. */
static int open_labeler(parm_searcher *sr, int method, parm_gen *g, parm_vq *vq, const parm_prefset_gen_opts *o,
                        const char *judge, const char *verb, const char *label) {
    parm_search_opts so = parm_search_defaults(method);
    so.n = o->paths;
    so.sample = o->sample;
    so.judge = judge;
    so.judge_dir = cli_shipped(CLI_JUDGE_DIR);
    if (parm_search_open(sr, g, vq, &so)) return -1;
    if (!o->quiet) fprintf(stderr, "%s with %s (%s)\n", verb, label, sr->judge_path);
    return 0;
}

int cmd_pairs(int argc, char **argv) {
    const char *out = NULL, *genp = cli_shipped(CLI_GEN), *vqp = cli_shipped(CLI_VQ), *relabel = NULL, *inf = NULL;
    const char *label = "grader", *judge = NULL;
    parm_prefset_gen_opts o = parm_prefset_gen_defaults();
    long v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--quiet")) { o.quiet = 1; continue; }
        if (!strcmp(a, "--resume")) { o.resume = 1; continue; }
        if (!(val = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = val;
        else if (!strcmp(a, "--gen")) genp = val;
        else if (!strcmp(a, "--vq")) vqp = val;
        else if (!strcmp(a, "--relabel")) relabel = val;
        else if (!strcmp(a, "--info")) inf = val;
        else if (!strcmp(a, "--label")) label = val;
        else if (!strcmp(a, "--judge")) judge = val;
        else if (!strcmp(a, "--n-prompts")) { if (cli_int(a, val, 1, PARM_PREFSET_MAX_PATHS, &v)) return 2; o.n_prompts = (int)v; }
        else if (!strcmp(a, "--paths")) { if (cli_int(a, val, 1, 256, &v)) return 2; o.paths = (int)v; }
        else if (!strcmp(a, "--seed")) { if (cli_int(a, val, 0, 0x7fffffffL, &v)) return 2; o.seed = (uint64_t)v; }
        else if (!strcmp(a, "--save-every")) { if (cli_int(a, val, 0, 100000000, &v)) return 2; o.save_every = v; }
        else {
            int k = cli_sample_opt(a, val, &o.sample);
            if (k < 0) return 2;
            if (!k) return cli_unknown("pairs", a);
        }
    }
    if (inf && !relabel) {
        if (out || judge || strcmp(label, "grader")) {
            fprintf(stderr, "parm: error: --info prints a set; -o, --label and --judge go with --relabel or sampling\n");
            return 2;
        }
        return info(inf, 0, NULL, NULL, NULL, o.quiet);
    }
    if (!out && !relabel) {
        fprintf(stderr, "parm: error: parm pairs needs -o FILE, --relabel FILE or --info FILE (see parm pairs --help)\n");
        return 2;
    }
    if ((long long)o.n_prompts * o.paths > PARM_PREFSET_MAX_PATHS) {
        fprintf(stderr, "parm: error: --n-prompts %d x --paths %d is more than %d paths\n", o.n_prompts, o.paths,
                PARM_PREFSET_MAX_PATHS);
        return 2;
    }
    int method = -1;
    if (!strcmp(label, "grader")) o.labeler = PARM_PREF_LABEL_GRADER;
    else if (!strcmp(label, "orm") || !strcmp(label, "orm-zs") || !strcmp(label, "parm")) {
        method = parm_search_method_find(label);
        o.labeler = method == PARM_SEARCH_PARM ? PARM_PREF_LABEL_PARM : PARM_PREF_LABEL_ORM;
    } else {
        fprintf(stderr, "parm: error: --label '%s': valid labelers are grader, orm, orm-zs, parm\n", label);
        return 2;
    }
    if (judge && method < 0) {
        fprintf(stderr, "parm: error: --judge '%s' needs --label orm, orm-zs or parm (the grader needs no judge)\n",
                judge);
        return 2;
    }
    if (relabel && o.labeler == PARM_PREF_LABEL_PARM) {
        fprintf(stderr, "parm: error: --relabel with --label parm: PARM reads every step image, which a set does "
                        "not keep; sample the set with --label parm instead (valid relabelers: grader, orm, orm-zs)\n");
        return 2;
    }
    cli_out co;
    if (out && cli_output(&co, "--out", out, 0)) return 2;
    if (relabel) { /* relabeling decodes the kept tokens: the tokenizer (and the judge), no generator */
        parm_vq vq;
        if (parm_vq_load(&vq, vqp)) return cli_fail();
        parm_searcher sr;
        if (method >= 0 && open_labeler(&sr, method, NULL, &vq, &o, judge, "relabeling", label)) {
            parm_vq_free(&vq);
            return cli_fail();
        }
        int rc = info(relabel, 1, &vq, method >= 0 ? &sr : NULL, out, o.quiet);
        if (method >= 0) parm_search_close(&sr);
        parm_vq_free(&vq);
        return rc;
    }
    parm_gen g;
    parm_vq vq;
    if (cli_load_gen_vq(&g, &vq, genp, vqp)) return cli_fail();
    parm_searcher sr;
    if (method >= 0) {
        if (open_labeler(&sr, method, &g, &vq, &o, judge, "labeling", label)) {
            parm_gen_free(&g);
            parm_vq_free(&vq);
            return cli_fail();
        }
        o.label = parm_search_pref_label;
        o.label_ctx = &sr;
    }
    double acc = 0, t0 = parm_now();
    int rc = parm_prefset_generate(&g, &vq, &o, out, &acc);
    if (method >= 0) parm_search_close(&sr);
    parm_gen_free(&g);
    parm_vq_free(&vq);
    if (rc) return cli_fail();
    if (!o.quiet)
        fprintf(stderr, "wrote %s: %d train prompts x %d paths; correct %.3f; %.1f s\n", out, o.n_prompts, o.paths, acc,
                parm_now() - t0);
    return info(out, 0, NULL, NULL, NULL, o.quiet);
}
