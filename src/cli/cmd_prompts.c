/* cmd_prompts.c — `parm prompts`: write prompts of the grammar as GenEval
 * metadata JSON lines: the train/test/all split, the benchmark list, or the
 * metadata of one prompt text (which also checks it against the grammar). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"

static void usage(FILE *f) {
    fprintf(f, "usage: parm prompts [--split train|test|all] [--tag TAG] [-o FILE]\n"
               "       parm prompts --bench [--seed S] [-o FILE]\n"
               "       parm prompts --prompt TEXT\n\n"
               "Write prompts of the shapes-world grammar as GenEval metadata JSON lines.\n"
               "  --split S      train, test or all (default all); lines get a \"split\" field.\n"
               "                 Test = position/color_attr prompts with FNV-1a(text) %% 5 == 0.\n"
               "  --tag TAG      only this tag: single_object, two_object, counting, colors,\n"
               "                 position, color_attr\n"
               "  --bench        the benchmark list (434 prompts; bench/geneval-shapes.jsonl is\n"
               "                 this with --seed 0, committed: never regenerate it silently)\n"
               "  --seed S       sampling seed for --bench (default 0)\n"
               "  --prompt TEXT  print the metadata of one prompt (errors name the bad word)\n"
               "  -o FILE        write to FILE atomically instead of stdout (- = stdout)\n");
}

int cmd_prompts(int argc, char **argv) {
    const char *split = "all", *out = NULL, *text = NULL;
    int bench = 0, tag = -1, split_set = 0;
    long seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--bench")) bench = 1;
        else if (!strcmp(a, "--split")) {
            if (!(v = cli_value(argc, argv, i++))) return 2;
            if (strcmp(v, "train") && strcmp(v, "test") && strcmp(v, "all")) {
                fprintf(stderr, "parm prompts: error: --split '%s' is not one of: train, test, all\n", v);
                return 2;
            }
            split = v;
            split_set = 1;
        } else if (!strcmp(a, "--tag")) {
            if (!(v = cli_value(argc, argv, i++))) return 2;
            if ((tag = parm_tag_index(v)) < 0) {
                fprintf(stderr, "parm prompts: error: --tag '%s' is not one of: single_object, two_object, counting, "
                                "colors, position, color_attr\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--prompt")) { if (!(v = cli_value(argc, argv, i++))) return 2; text = v; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) { if (!(v = cli_value(argc, argv, i++))) return 2; out = v; }
        else if (!strcmp(a, "--seed")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int("--seed", v, 0, 0x7fffffffffffffffL, &seed)) return 2;
        } else return cli_unknown("prompts", a);
    }
    if (bench + (text != NULL) + split_set > 1) {
        fprintf(stderr, "parm prompts: error: use only one of --split, --bench, --prompt\n");
        return 2;
    }
    if (out && !strcmp(out, "-")) out = NULL; /* -o -: stdout, as without -o */
    cli_out co;
    if (cli_output(&co, "-o", out, 0)) return 2;
    parm_prompt *ps = NULL, one;
    int n;
    if (text) {
        if (parm_prompt_parse(text, &one)) return cli_fail();
        ps = &one;
        n = 1;
    } else if (bench) {
        if ((n = parm_prompts_bench((uint64_t)seed, &ps)) < 0) return cli_fail();
    } else if ((n = parm_prompts_all(&ps)) < 0) return cli_fail();
    parm_atomic_file af;
    FILE *f = stdout;
    if (out) {
        if (parm_atomic_open(&af, out)) { if (ps != &one) free(ps); return cli_fail(); }
        f = af.f;
    }
    int with_split = !bench && !text;
    long written = 0;
    for (int i = 0; i < n; i++) {
        if (tag >= 0 && (int)ps[i].tag != tag) continue;
        int test = parm_prompt_is_test(&ps[i]);
        if (with_split && ((!strcmp(split, "train") && test) || (!strcmp(split, "test") && !test))) continue;
        char line[1024];
        if (parm_prompt_to_json(&ps[i], line, sizeof line, with_split)) {
            if (out) parm_atomic_abort(&af);
            if (ps != &one) free(ps);
            return cli_fail();
        }
        fprintf(f, "%s\n", line);
        written++;
    }
    if (ps != &one) free(ps);
    if (out) {
        if (parm_atomic_commit(&af)) return cli_fail();
        fprintf(stderr, "parm prompts: wrote %ld prompts to %s\n", written, out);
    }
    return 0;
}
