/* cmd_eval.c — `parm eval MODEL …`: evaluate a trained model on held-out data.
 * Models: gen — grader accuracy of generated images on train prompts for a
 * sampler setting (tune the sampler here, never on the benchmark);
 * judge — accuracy / AUC of P(yes) on ground-truth renders with
 * matching vs minimally corrupted captions (TEST prompts by default:
 * evaluating on them is allowed, training never is), or (--data) against the
 * grader's labels on a path set of generator paths, one question at a time;
 * reflect — the judge's PARM++ reflections vs the grader's reason on a path set. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/gen.h"
#include "parm/judge.h"
#include "parm/pathset.h"
#include "parm/gen_sc.h"

static void eval_gen_usage(FILE *f) {
    fprintf(f,
            "usage: parm eval gen [--gen W] [--n N] [--seed S] [sampler options]\n"
            "Generate one image for each of N train-split prompts and grade them: accuracy and\n"
            "fraction of non-background pixels. Tune the sampler here, not on the benchmark.\n\n"
            "  --gen W           generator weights (default weights/gen.safetensors)\n"
            "  --vq W            tokenizer weights (default weights/vq.safetensors)\n"
            "  --n N             prompts (default 96)\n"
            "  --seed S          prompt draw (default 777)\n");
    cli_sample_usage(f);
}

static int eval_gen(int argc, char **argv) {
    const char *genp = cli_shipped(CLI_GEN), *vqp = cli_shipped(CLI_VQ);
    long n = 96, seed = 777;
    parm_sample_opts o = parm_sample_defaults();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { eval_gen_usage(stdout); return 0; }
        if (!(val = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "--gen")) genp = val;
        else if (!strcmp(a, "--vq")) vqp = val;
        else if (!strcmp(a, "--n")) { if (cli_int(a, val, 1, 1000000, &n)) return 2; }
        else if (!strcmp(a, "--seed")) { if (cli_int(a, val, 0, 0x7fffffffL, &seed)) return 2; }
        else {
            int k = cli_sample_opt(a, val, &o);
            if (k < 0) return 2;
            if (!k) return cli_unknown("eval gen", a);
        }
    }
    parm_gen g;
    parm_vq vq;
    if (cli_load_gen_vq(&g, &vq, genp, vqp)) return cli_fail();
    double acc, fill, t0 = parm_now();
    parm_score sc;
    int rc = parm_gen_evaluate(&g, &vq, (int)n, (uint64_t)seed, &o, &acc, &fill, &sc);
    parm_gen_free(&g);
    parm_vq_free(&vq);
    if (rc) return cli_fail();
    printf("gen eval: %ld train prompts, steps %d cfg %g temp %g->%g choice-temp %g bg-penalty %g group %d: grader %.3f, "
           "non-background pixels %.4f, %.1f s\n", n, o.steps, o.cfg, o.temp, o.temp_end, o.choice_temp, o.bg_penalty,
           o.group_commit, acc, fill, parm_now() - t0);
    printf("  by tag:");
    for (int t = 0; t < PARM_NTAGS; t++)
        if (sc.n[t]) printf("  %s %.3f (%ld)", parm_tag_names[t], parm_score_tag(&sc, t), sc.n[t]);
    printf("\n");
    return 0;
}

static void eval_judge_usage(FILE *f) {
    fprintf(f,
            "usage: parm eval judge [--judge W] [--n N] [--seed S] [--set test|train] [--json]\n"
            "       parm eval judge [--judge W] --data PATHSET [--question Q] [--json]\n"
            "Evaluate a judge's \"does this image match the prompt?\" answer on held-out\n"
            "ground-truth renders, each shown twice: with its own caption (label yes) and\n"
            "with a caption changed in one colour/shape/count/relation that the image\n"
            "fails (label no). Prints accuracy (P(yes) >= 0.5), AUC, paired accuracy (own\n"
            "caption scored above the corrupted one), per tag and per kind of change.\n\n"
            "  --judge W     judge weights (default weights/judge_orm-zs.safetensors; --weights W is the same)\n"
            "  --n N         examples (default 1000; N/2 images)\n"
            "  --seed S      seed of the held-out set (default 0)\n"
            "  --set NAME    test: TEST prompts (position, color_attr; default)\n"
            "                train: fresh renders of train prompts\n"
            "                rel-test / rel-train: the relation probe: renders of two-object train prompts,\n"
            "                each asked one relation atom ('is the star left of the circle'; half true)\n"
            "                whose triple is a TEST / a train position prompt\n"
            "                (a judge with the grounding head, head.ground, answers every relation atom by\n"
            "                its geometric readout of the two objects' grounding; judge.h)\n"
            "                (with --atoms or a rel- set: every atom asked alone, yes-rates by kind)\n"
            "  --layout L    scenes of the set: canonical (default; the generator's and the judges'\n"
            "                training distribution) or free (the contract's full one)\n"
            "  --atoms R     score each prompt by its atoms (\"is there a red star\", \"is the star left of\n"
            "                the circle\"; asked one by one): product (P = product of their P(yes)) or\n"
            "                min; prompt-product / prompt-min ask each atom as its grammar prompt instead;\n"
            "                objects-product / objects-min leave the relation atoms out\n"
            "                (\"a photo of a red star\"); off (default) asks the prompt as is. Also with --data\n"
            "                (question match; and potential / step when the judge answers them as match)\n"
            "  --as-match L  --data: the questions answered as MATCH of the image they are asked of (scored\n"
            "                by --atoms): none, potential, step or potential,step (parm-atoms / prm-atoms\n"
            "                judges' way); default: the judge file's\n"
            "  --tta K       test-time augmentation: the mean logit over K fixed views (1 = off, default;\n"
            "                2..4: + 1..3 palette permutations; 5..8: + mirrors), each image changed\n"
            "                together with its prompt\n"
            "  --json        print the summary as one JSON object\n\n"
            "With --data, the judge is scored against the grader's labels on a path set\n"
            "(`parm paths`; the held-out set is `parm paths --prompts test`): accuracy, AUC,\n"
            "yes/no rates, accuracy on yes and on no labels, per tag and per step.\n"
            "  --data FILE   the path set\n"
            "  --question Q  match (default): final images, label = final verdict; best-of-N by the judge\n"
            "                step: every step image, label = its verdict (PRM)\n"
            "                clarity: every step image, label = it reads as the final image does (PARM)\n"
            "                potential: every clear step image (it reads as the final image; where PARM\n"
            "                asks it), label = the path's final verdict\n");
}

/* the judge against the grader on a path set; prints like the GT eval */
static int eval_judge_pathset(const char *weights, const char *data, int question, int atoms, int as_match, int tta,
                              int json) {
    parm_judge j;
    parm_pathset ps;
    if (parm_judge_load(&j, weights)) return cli_fail();
    j.atoms = atoms;
    j.tta = tta;
    if (as_match >= 0) j.as_match = as_match;
    if (atoms && parm_judge_asked(&j, question) != PARM_Q_MATCH) {
        fprintf(stderr, "parm: error: --atoms scores the question 'match' only (got --question '%s'; potential and step "
                        "take it with --as-match)\n", parm_judge_question_names[question]);
        parm_judge_free(&j);
        return 2;
    }
    if (parm_pathset_load(&ps, data)) { parm_judge_free(&j); return cli_fail(); }
    parm_judge_metrics m;
    parm_judge_bestofn bon;
    double acc_step[PARM_PATHSET_MAX_STEPS];
    long n_step[PARM_PATHSET_MAX_STEPS];
    double t0 = parm_now();
    int rc = parm_judge_evaluate_pathset(&j, &ps, question, &m, acc_step, n_step, &bon);
    double sec = parm_now() - t0;
    int ntest = parm_pathset_count_test(&ps, NULL);
    if (rc) { parm_pathset_free(&ps); parm_judge_free(&j); return cli_fail(); }
    const char *qn = parm_judge_question_names[question];
    if (json) {
        printf("{\"weights\": \"%s\", \"atoms\": \"%s\", \"data\": \"%s\", \"question\": \"%s\", \"prompts\": %d, \"paths\": %d, "
               "\"steps\": %d, \"test_paths\": %d, \"n\": %d, \"loss\": %.6f, \"accuracy\": %.6f, \"auc\": %.6f, "
               "\"yes_rate\": %.6f, \"answered_yes_rate\": %.6f, \"accuracy_yes\": %.6f, \"accuracy_no\": %.6f",
               weights, parm_atoms_rule_names[atoms], data, qn, ps.n_prompts, ps.n, ps.T, ntest, m.n, m.loss, m.acc, m.auc, m.yes_rate,
               m.pred_yes_rate, m.acc_pos, m.acc_neg);
        if (question == PARM_Q_MATCH) {
            printf(", \"best_of_n\": %.6f, \"one_path\": %.6f, \"oracle\": %.6f, \"wrong_picks\": %ld", bon.bestofn,
                   bon.mean, bon.oracle, bon.wrong_picks);
            printf(", \"paired_auc\": %.6f, \"pairs\": %ld, \"mixed_prompts\": %ld, \"mixed_right\": %ld", bon.paired_auc,
                   bon.pairs, bon.mixed, bon.mixed_right);
            printf(", \"best_of_n_by_tag\": {");
            for (int t = 0, c = 0; t < PARM_NTAGS; t++)
                if (bon.n_tag[t])
                    printf("%s\"%s\": [%.6f, %.6f, %ld]", c++ ? ", " : "", parm_tag_names[t], bon.bestofn_tag[t],
                           bon.oracle_tag[t], bon.n_tag[t]);
            printf("}, \"misses_by_clause\": {");
            for (int k = 0; k < PARM_NFAIL; k++)
                printf("%s\"%s\": {\"wrong_picks\": %ld, \"rejected\": %ld, \"accepted\": %ld}", k ? ", " : "",
                       parm_fail_names[k], bon.wrong_kind[k], bon.rejected_kind[k], bon.accepted_kind[k]);
            printf("}");
        }
        for (int t = 0; t < PARM_NTAGS; t++)
            if (m.n_tag[t]) printf(", \"%s\": %.6f", parm_tag_names[t], m.acc_tag[t]);
        if (question != PARM_Q_MATCH) {
            printf(", \"by_step\": [");
            for (int t = 0; t < ps.T; t++) printf("%s%.6f", t ? ", " : "", acc_step[t]);
            printf("]");
        }
        printf("}\n");
    } else {
        printf("judge %s (variant '%s', atoms %s), question '%s', on path set %s: %d prompts x %d paths, %d steps, %d of %d paths "
               "of TEST prompts (%.1f s, %.0f examples/s):\n", weights, j.variant, parm_atoms_rule_names[atoms], qn, data, ps.n_prompts,
               ps.paths_per_prompt, ps.T, ntest, ps.n, sec, m.n / sec);
        printf("  examples %d   loss %.4f   accuracy %.4f   AUC %.4f\n", m.n, m.loss, m.acc, m.auc);
        printf("  labels yes %.4f   answered yes %.4f   accuracy on yes labels %.4f   on no labels %.4f\n", m.yes_rate,
               m.pred_yes_rate, m.acc_pos, m.acc_neg);
        printf("  by tag:");
        for (int t = 0; t < PARM_NTAGS; t++)
            if (m.n_tag[t]) printf("  %s %.3f (%ld)", parm_tag_names[t], m.acc_tag[t], m.n_tag[t]);
        printf("\n");
        if (question != PARM_Q_MATCH) {
            printf("  by step:");
            for (int t = 0; t < ps.T; t++) printf(" %d:%.3f", t, acc_step[t]);
            printf("\n");
        } else {
            printf("  best-of-%d by the judge %.4f   (one path %.4f, oracle best-of-%d %.4f)\n", ps.paths_per_prompt,
                   bon.bestofn, bon.mean, ps.paths_per_prompt, bon.oracle);
            printf("  within a prompt: pairs (correct, incorrect) ordered right %.4f of %ld; prompts with both verdicts "
                   "picked right %ld of %ld\n", bon.paired_auc, bon.pairs, bon.mixed_right, bon.mixed);
            printf("  best-of-%d by tag (judge / oracle):", ps.paths_per_prompt);
            for (int t = 0; t < PARM_NTAGS; t++)
                if (bon.n_tag[t])
                    printf("  %s %.3f / %.3f (%ld)", parm_tag_names[t], bon.bestofn_tag[t], bon.oracle_tag[t], bon.n_tag[t]);
            printf("\n  what it misses, by the grader's first failing clause:\n    wrong picks (%ld prompts had a correct path):",
                   bon.wrong_picks);
            for (int k = 0; k < PARM_NFAIL; k++) printf("%s %s %ld", k ? "," : "", parm_fail_names[k], bon.wrong_kind[k]);
            printf("\n    rejected final images it accepts:");
            for (int k = 0; k < PARM_NFAIL; k++)
                if (bon.rejected_kind[k])
                    printf("  %s %ld/%ld (%.2f)", parm_fail_names[k], bon.accepted_kind[k], bon.rejected_kind[k],
                           (double)bon.accepted_kind[k] / bon.rejected_kind[k]);
            printf("\n");
        }
    }
    parm_pathset_free(&ps);
    parm_judge_free(&j);
    return 0;
}

static int eval_judge(int argc, char **argv) {
    const char *weights = cli_shipped("weights/judge_orm-zs.safetensors"), *set = "test", *data = NULL;
    parm_layout layout = parm_layout_canonical;
    long n = 1000, seed = 0;
    int json = 0, question = PARM_Q_MATCH, gt_opts = 0, atoms = PARM_ATOMS_OFF, as_match = -1, tta = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { eval_judge_usage(stdout); return 0; }
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (!(v = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "--weights") || !strcmp(a, "--judge")) weights = v;
        else if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--tta")) { long k; if (cli_int(a, v, 1, PARM_JUDGE_MAX_TTA, &k)) return 2; tta = (int)k; }
        else if (!strcmp(a, "--atoms")) {
            if ((atoms = parm_atoms_rule_index(v)) < 0) {
                fprintf(stderr, "parm: error: --atoms '%s' is not one of: %s\n", v, PARM_ATOMS_RULES_LIST);
                return 2;
            }
        } else if (!strcmp(a, "--as-match")) {
            if ((as_match = parm_judge_as_match_parse(v)) < 0) {
                fprintf(stderr, "parm: error: --as-match '%s' is not one of: %s\n", v, PARM_JUDGE_AS_MATCH_LIST);
                return 2;
            }
        } else if (!strcmp(a, "--question")) {
            if ((question = parm_judge_question_index(v)) < 0) {
                fprintf(stderr, "parm: error: --question '%s' is not one of: match, clarity, potential, step\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--n")) { if (cli_int(a, v, 2, 10000000, &n)) return 2; n += n & 1; gt_opts = 1; }
        else if (!strcmp(a, "--seed")) { if (cli_int(a, v, 0, 0x7fffffffL, &seed)) return 2; gt_opts = 1; }
        else if (!strcmp(a, "--set")) {
            gt_opts = 1;
            if (strcmp(v, "test") && strcmp(v, "train") && strcmp(v, "rel-test") && strcmp(v, "rel-train")) {
                fprintf(stderr, "parm: error: --set '%s' is not one of: test, train, rel-test, rel-train\n", v);
                return 2;
            }
            set = v;
        } else if (!strcmp(a, "--layout")) {
            gt_opts = 1;
            if (cli_layout(v, &layout)) return 2;
        } else return cli_unknown("eval judge", a);
    }
    if (data && gt_opts) {
        fprintf(stderr, "parm: error: --n, --seed, --set and --layout choose the ground-truth eval set; with --data '%s' the path "
                        "set is the eval set\n", data);
        return 2;
    }
    if (!data && question != PARM_Q_MATCH) {
        fprintf(stderr, "parm: error: --question '%s' needs --data (the ground-truth set asks only 'match')\n",
                parm_judge_question_names[question]);
        return 2;
    }
    if (!data && as_match >= 0) {
        fprintf(stderr, "parm: error: --as-match needs --data (the ground-truth set asks only 'match')\n");
        return 2;
    }
    if (atoms && question == PARM_Q_CLARITY) {
        fprintf(stderr, "parm: error: --atoms scores the question 'match' only (got --question '%s')\n",
                parm_judge_question_names[question]);
        return 2;
    }
    if (data) return eval_judge_pathset(weights, data, question, atoms, as_match, tta, json);
    parm_judge j;
    parm_judge_evalset s;
    parm_judge_metrics m;
    if (parm_judge_load(&j, weights)) return cli_fail();
    j.atoms = atoms;
    j.tta = tta;
    int test = !strcmp(set, "test") || !strcmp(set, "rel-test"), rel = !strncmp(set, "rel-", 4);
    if (rel ? parm_judge_evalset_relations(&s, test, (int)n, (uint64_t)seed, &layout)
            : parm_judge_evalset_gt(&s, test, (int)n, (uint64_t)seed, &layout)) {
        parm_judge_free(&j);
        return cli_fail();
    }
    double t0 = parm_now();
    int rc = parm_judge_evaluate(&j, &s, &m);
    double sec = parm_now() - t0;
    parm_judge_atom_stats ar;
    if (!rc && (atoms || rel)) rc = parm_judge_atom_rates(&j, &s, &ar);
    char variant[sizeof j.variant];
    memcpy(variant, j.variant, sizeof variant);
    parm_judge_evalset_free(&s);
    parm_judge_free(&j);
    if (rc) return cli_fail();
    if (json) {
        printf("{\"weights\": \"%s\", \"atoms\": \"%s\", \"set\": \"%s\", \"seed\": %ld, \"n\": %d, \"loss\": %.6f, \"accuracy\": %.6f, "
               "\"auc\": %.6f, \"paired\": %.6f, \"accuracy_matching\": %.6f, \"accuracy_corrupted\": %.6f",
               weights, parm_atoms_rule_names[atoms], set, seed, m.n, m.loss, m.acc, m.auc, m.pair_acc, m.acc_pos, m.acc_neg);
        for (int t = 0; t < PARM_NTAGS; t++)
            if (m.n_tag[t]) printf(", \"%s\": %.6f", parm_tag_names[t], m.acc_tag[t]);
        printf("}\n");
    } else {
        printf("judge %s (variant '%s', atoms %s) on %s, seed %ld (%.1f s, %.0f examples/s):\n", weights, j.variant,
               parm_atoms_rule_names[atoms],
               rel ? (test ? "the relation probe of held-out triples (TEST position prompts)"
                           : "the relation probe of train triples")
                   : (test ? "held-out GT renders of test prompts" : "held-out GT renders of train prompts"),
               seed, sec, m.n / sec);
        parm_judge_metrics_print(&m, stdout);
        if (atoms || rel) parm_judge_atom_rates_print(&ar, stdout);
    }
    return 0;
}

static void eval_reflect_usage(FILE *f) {
    fprintf(f,
            "usage: parm eval reflect --judge W --data PATHSET [--thresh X] [--json]\n"
            "Score the judge's PARM++ reflections (its atom answers: \"the star is green, not red\",\n"
            "\"missing: a blue diamond\", ...) against the grader's reason on the final images of a\n"
            "path set (held-out: `parm paths --prompts test`): accept/reject balanced accuracy, and\n"
            "on images both reject: exact match, names a failing clause, per-clause recall and\n"
            "precision, recall per clause kind.\n\n"
            "  --judge W     judge weights (an atoms judge; --weights W is the same)\n"
            "  --data FILE   the path set\n"
            "  --thresh X    an atom fails when its P(yes) < X (default 0.5)\n"
            "  --seed S      accepted for uniformity (the evaluation draws nothing)\n"
            "  --json        print the summary as one JSON object\n");
}

static int eval_reflect(int argc, char **argv) {
    const char *weights = NULL, *data = NULL;
    double thresh = 0.5;
    long seed = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { eval_reflect_usage(stdout); return 0; }
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (!(v = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "--weights") || !strcmp(a, "--judge")) weights = v;
        else if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--thresh")) { if (cli_float(a, v, 0, 1, &thresh)) return 2; }
        else if (!strcmp(a, "--seed")) { if (cli_int(a, v, 0, 0x7fffffffL, &seed)) return 2; }
        else return cli_unknown("eval reflect", a);
    }
    if (!weights || !data) {
        fprintf(stderr, "parm: error: eval reflect needs --judge W and --data PATHSET (see parm eval reflect --help)\n");
        return 2;
    }
    parm_judge j;
    parm_pathset ps;
    if (parm_judge_load(&j, weights)) return cli_fail();
    if (parm_pathset_load(&ps, data)) { parm_judge_free(&j); return cli_fail(); }
    parm_reflect_metrics m;
    int rc = parm_reflect_evaluate_pathset(&j, &ps, (float)thresh, &m);
    int ntest = parm_pathset_count_test(&ps, NULL);
    if (rc) { parm_pathset_free(&ps); parm_judge_free(&j); return cli_fail(); }
#define FR(a, b) ((b) ? (double)(a) / (double)(b) : -1.0)
    if (json) {
        printf("{\"weights\": \"%s\", \"data\": \"%s\", \"thresh\": %g, \"images\": %ld, \"test_paths\": %d, "
               "\"grader_accept\": %ld, \"judge_accept\": %ld, \"balanced_accuracy\": %.6f, \"both_reject\": %ld, "
               "\"exact\": %.6f, \"names_failing_clause\": %.6f, \"clause_recall\": %.6f, \"clause_precision\": %.6f",
               weights, data, thresh, m.n, ntest, m.accept_accept + m.accept_reject, m.accept_accept + m.reject_accept,
               m.balanced_acc, m.both_reject, FR(m.exact, m.both_reject), FR(m.names, m.both_reject),
               FR(m.grader_hit, m.grader_clauses), FR(m.judge_hit, m.judge_clauses));
        for (int k = 0; k < PARM_NFAIL; k++)
            if (m.kind_n[k]) printf(", \"recall_%s\": %.6f", parm_fail_names[k], FR(m.kind_hit[k], m.kind_n[k]));
        printf(", \"judge_calls_per_image\": %.3f}\n", FR(m.judge_calls, m.n));
    } else {
        printf("reflections of judge %s (variant '%s', atom threshold %g) vs the grader on %s: %ld final images, "
               "%d of TEST prompts (%.1f s, %.1f judge calls per image)\n", weights, j.variant, thresh, data, m.n,
               ntest, m.seconds, FR(m.judge_calls, m.n));
        printf("  grader accepts %ld: judge accepts %ld, rejects %ld;  grader rejects %ld: judge accepts %ld, rejects %ld\n",
               m.accept_accept + m.accept_reject, m.accept_accept, m.accept_reject, m.reject_accept + m.reject_reject,
               m.reject_accept, m.reject_reject);
        printf("  accept/reject balanced accuracy %.4f\n", m.balanced_acc);
        printf("  both reject %ld: exact match %.4f   names a failing clause %.4f   clause recall %.4f (%ld)   "
               "precision %.4f (%ld)\n", m.both_reject, FR(m.exact, m.both_reject), FR(m.names, m.both_reject),
               FR(m.grader_hit, m.grader_clauses), m.grader_clauses, FR(m.judge_hit, m.judge_clauses), m.judge_clauses);
        printf("  recall by grader clause kind:");
        for (int k = 0; k < PARM_NFAIL; k++)
            if (m.kind_n[k]) printf("  %s %.3f (%ld)", parm_fail_names[k], FR(m.kind_hit[k], m.kind_n[k]), m.kind_n[k]);
        printf("\n");
    }
#undef FR
    parm_pathset_free(&ps);
    parm_judge_free(&j);
    return 0;
}

static void eval_correct_usage(FILE *f) {
    fprintf(f,
            "usage: parm eval correct --data PATHSET | --synthetic N [--gen W] [--judge W] [--n N] [sampler options]\n"
            "PARM++'s correction step alone: each failed final image of the path set gets a reflection\n"
            "(the judge's with --judge, else the grader's reason) and is regenerated once conditioned on\n"
            "(that image, the reflection) and once plainly (same seed); both graded. Images the judge\n"
            "accepts stay as they are (counted as not corrected). A plain generator: plain only.\n\n"
            "  --data FILE       the path set (TEST prompts allowed: evaluation only)\n"
            "  --synthetic N     instead: N synthetic failures of train prompts (a GT scene changed in one\n"
            "                    respect, as `train gen-sc --synth-frac` draws them; --seed S)\n"
            "  --gen W           generator weights (default weights/gen.safetensors)\n"
            "  --vq W            tokenizer weights (default weights/vq.safetensors)\n"
            "  --judge W         the reflecting judge (default: the grader's reason)\n"
            "  --thresh X        the judge's atom threshold (default 0.5)\n"
            "  --n N             at most N failed images (default 64)\n"
            "  --seed S          --synthetic's draw (default 0); image i regenerates with seed 1000 + i\n");
    cli_sample_usage(f);
}

static int eval_correct(int argc, char **argv) {
    const char *genp = cli_shipped(CLI_GEN), *vqp = cli_shipped(CLI_VQ), *data = NULL, *judge = NULL;
    long n = 64, seed = 0, synthetic = 0;
    double thresh = 0.5;
    parm_sample_opts o = parm_sample_defaults();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { eval_correct_usage(stdout); return 0; }
        if (!(val = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "--gen")) genp = val;
        else if (!strcmp(a, "--vq")) vqp = val;
        else if (!strcmp(a, "--data")) data = val;
        else if (!strcmp(a, "--judge")) judge = val;
        else if (!strcmp(a, "--thresh")) { if (cli_float(a, val, 0, 1, &thresh)) return 2; }
        else if (!strcmp(a, "--n")) { if (cli_int(a, val, 1, 1000000, &n)) return 2; }
        else if (!strcmp(a, "--synthetic")) { if (cli_int(a, val, 1, 100000, &synthetic)) return 2; }
        else if (!strcmp(a, "--seed")) { if (cli_int(a, val, 0, 0x7fffffffL, &seed)) return 2; }
        else {
            int k = cli_sample_opt(a, val, &o);
            if (k < 0) return 2;
            if (!k) return cli_unknown("eval correct", a);
        }
    }
    if (!data == !synthetic) {
        fprintf(stderr, "parm: error: eval correct needs one of --data PATHSET or --synthetic N (see parm eval correct "
                        "--help)\n");
        return 2;
    }
    parm_gen g;
    parm_vq vq;
    parm_pathset ps;
    parm_judge j;
    if (cli_load_gen_vq(&g, &vq, genp, vqp)) return cli_fail();
    int rc = data ? parm_pathset_load(&ps, data)
                  : parm_sc_synthetic_pathset(&parm_layout_canonical, (int)synthetic, (uint64_t)seed, &ps);
    if (!rc && judge && parm_judge_load(&j, judge)) { parm_pathset_free(&ps); rc = -1; }
    if (rc) { parm_gen_free(&g); parm_vq_free(&vq); return cli_fail(); }
    parm_sc_eval m;
    double t0 = parm_now();
    rc = parm_gen_sc_eval_pathset(&g, &vq, &ps, judge ? &j : NULL, (float)thresh, (int)n, &o, &m);
    if (!rc) {
        printf("correction on %s by %s (reflections: %s): %ld failed images, %ld accepted by the judge (kept), "
               "%ld regenerated (%.1f s)\n", data ? data : "synthetic failures", genp, judge ? judge : "the grader's reason", m.n, m.accepted,
               m.regenerated, parm_now() - t0);
        if (g.cfg.refl_len) printf("  corrected with (image, reflection) %.4f (%ld of %ld failed images)\n",
                                   m.n ? (double)m.fixed / m.n : 0, m.fixed, m.n);
        printf("  corrected by a plain regeneration %.4f (%ld of %ld)\n", m.n ? (double)m.plain / m.n : 0, m.plain, m.n);
    }
    if (judge) parm_judge_free(&j);
    parm_pathset_free(&ps);
    parm_gen_free(&g);
    parm_vq_free(&vq);
    return rc ? cli_fail() : 0;
}

int cmd_eval(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout, "usage: parm eval MODEL [options]   (MODEL: gen, judge, reflect, correct)\n"
                                            "  parm eval gen --help     grader accuracy of generations on train prompts\n"
                                            "  parm eval judge --help   accuracy / AUC of a judge on held-out renders or a path set\n"
                                            "  parm eval reflect --help PARM++ reflections of a judge vs the grader's reason\n"
                                            "  parm eval correct --help PARM++'s correction step: failed images regenerated\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "gen")) return eval_gen(argc - 1, argv + 1);
    if (!strcmp(argv[1], "judge")) return eval_judge(argc - 1, argv + 1);
    if (!strcmp(argv[1], "reflect")) return eval_reflect(argc - 1, argv + 1);
    if (!strcmp(argv[1], "correct")) return eval_correct(argc - 1, argv + 1);
    fprintf(stderr, "parm eval: unknown model '%s'; valid models: gen, judge, reflect, correct\n", argv[1]);
    return 2;
}
