/* main.c — the `parm` command line: dispatch to subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

static const command commands[] = {
    {"render", cmd_render, "render a ground-truth scene for a prompt to PNG"},
    {"prompts", cmd_prompts, "write the prompt set (train/test/all) as GenEval metadata JSONL"},
    {"grade", cmd_grade, "grade a folder of images in GenEval layout"},
    {"bench", cmd_bench, "generate the benchmark with a method and grade it"},
    {"generate", cmd_generate, "generate images for a prompt (MaskGIT step-by-step decoding)"},
    {"paths", cmd_paths, "sample generator paths with step images, labeled by the grader (judge data)"},
    {"pairs", cmd_pairs, "sample and grade K paths per train prompt: DPO preference pairs (tokens + verdicts)"},
    {"plot", cmd_plot, "draw the scaling curve (overall score vs N) from bench --method all --json lines"},
    {"train", cmd_train, "train a model (vq, gen, judge, dpo)"},
    {"eval", cmd_eval, "evaluate a trained model on held-out data (gen, judge)"},
    {"export", cmd_export, "write a training checkpoint as shipped weights (F16)"},
    {"tokenize", cmd_tokenize, "print an image's VQ token grid"},
    {"reconstruct", cmd_reconstruct, "encode an image to VQ tokens and decode it back"},
};
static const int ncommands = sizeof commands / sizeof commands[0];

static void usage(FILE *f) {
    fprintf(f, "parm — verify and reinforce image generation step by step (arXiv 2501.13926), in C\n\n"
               "usage: parm COMMAND [options]    (parm COMMAND --help for its options)\n\ncommands:\n");
    for (int i = 0; i < ncommands; i++) fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < ncommands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "parm: unknown command '%s'; valid commands:", argv[1]);
    for (int i = 0; i < ncommands; i++) fprintf(stderr, " %s", commands[i].name);
    fprintf(stderr, "\n");
    return 2;
}
