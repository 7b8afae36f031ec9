/* main.c — the `parm` command line: global options, then dispatch to
 * subcommands.
 *
 * Global options (every command; before or after COMMAND; removed before the
 * command parses its own):
 *   --threads N       OpenMP threads for all parallel work (default: OpenMP's,
 *                     i.e. OMP_NUM_THREADS or one per core)
 *   --precision P     matmul precision auto|f32|bf16 (default DEFAULT_PRECISION)
 *   --backend B       matmul library auto|openblas|onednn (default auto)
 * See parm/ops.h parm_gemm_select for how the two combine.
 *
 * Waiting policy: libgomp reads OMP_WAIT_POLICY once, when it loads, and its
 * default spins idle threads for a while — on cores shared with other
 * processes that makes every parallel region wait for a descheduled spinner.
 * So when the user has set neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT, parm
 * re-executes itself once with OMP_WAIT_POLICY=passive (idle threads sleep);
 * set OMP_WAIT_POLICY=active to keep spinning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    {"report", cmd_report, "one self-contained HTML page of a bench folder: table, intervals, curves, gallery"},
    {"compare", cmd_compare, "paired difference of two methods graded on the same images, with its 95% interval"},
    {"pairs", cmd_pairs, "sample and grade K paths per train prompt: DPO preference pairs (tokens + verdicts)"},
    {"plot", cmd_plot, "draw the scaling curve (overall score vs N) from bench --method all --json lines"},
    {"train", cmd_train, "train a model (vq, gen, judge, dpo)"},
    {"eval", cmd_eval, "evaluate a trained model on held-out data (gen, judge)"},
    {"export", cmd_export, "write a training checkpoint as shipped weights (F16)"},
    {"tokenize", cmd_tokenize, "print an image's VQ token grid"},
    {"reconstruct", cmd_reconstruct, "encode an image to VQ tokens and decode it back"},
};
static const int ncommands = sizeof commands / sizeof commands[0];

/* the CLI's matmul default; see docs/RESULTS.md "matmul backends" for why */
#define DEFAULT_PRECISION "f32"
#define DEFAULT_BACKEND "auto"

static void global_usage(FILE *f) {
    fprintf(f, "global options (every command, before or after COMMAND):\n"
               "  --threads N       threads for parallel work (default: OMP_NUM_THREADS, else one per core)\n"
               "  --precision P     matmul precision: auto, f32, bf16 (default %s; auto = bf16 where it is\n"
               "                    faster than f32: AMX, or avx512_bf16 on AMD; else f32)\n"
               "  --backend B       matmul library: auto, openblas, onednn (default %s; auto = oneDNN for\n"
               "                    bf16, OpenBLAS, the f32 reference, for f32)\n"
               "  idle threads sleep (OMP_WAIT_POLICY=passive) unless OMP_WAIT_POLICY is set\n",
            DEFAULT_PRECISION, DEFAULT_BACKEND);
}

static void usage(FILE *f) {
    fprintf(f, "parm — verify and reinforce image generation step by step (arXiv 2501.13926), in C\n\n"
               "usage: parm [global options] COMMAND [options]    (parm COMMAND --help for its options;\n"
               "       parm --version)\n\ncommands:\n");
    for (int i = 0; i < ncommands; i++) fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n");
    global_usage(f);
}

/* Take --threads/--precision/--backend (also --opt=value) out of argv,
 * stopping at "--". Returns the new argc, or -1 after printing an error. */
static int take_globals(int argc, char **argv, const char **threads, const char **precision, const char **backend) {
    static const char *names[3] = {"--threads", "--precision", "--backend"};
    const char **dst[3] = {threads, precision, backend};
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            while (i < argc) argv[out++] = argv[i++];
            break;
        }
        int k = -1;
        const char *val = NULL;
        for (int j = 0; j < 3; j++) {
            size_t n = strlen(names[j]);
            if (!strncmp(argv[i], names[j], n) && (argv[i][n] == 0 || argv[i][n] == '=')) {
                k = j;
                val = argv[i][n] == '=' ? argv[i] + n + 1 : NULL;
            }
        }
        if (k < 0) {
            argv[out++] = argv[i];
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "parm: error: %s needs a value\n", names[k]);
                return -1;
            }
            val = argv[++i];
        }
        *dst[k] = val;
    }
    argv[out] = NULL;
    return out;
}

static int wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

#ifdef PARM_MPI /* src/cli/mpi/dist_mpi.c: MPI when started by mpirun (parm/dist.h) */
int cli_mpi_init(int *argc, char ***argv);
int cli_mpi_end(int rc);
#else
static int cli_mpi_init(int *argc, char ***argv) { (void)argc; (void)argv; return 0; }
static int cli_mpi_end(int rc) { return rc; }
#endif

int main(int argc, char **argv) {
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT") && setenv("OMP_WAIT_POLICY", "passive", 1) == 0) {
        execv("/proc/self/exe", argv);
        /* exec failed (no /proc): carry on with libgomp's default policy */
    }
    /* the whole command line as given (take_globals compacts argv), for run.json */
    static char *argv0[512];
    cli_argc = argc < 511 ? argc : 511;
    for (int i = 0; i < cli_argc; i++) argv0[i] = argv[i];
    cli_argv = argv0;
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        printf("parm %s\n", cli_version());
        return 0;
    }
    const char *threads = NULL, *precision = DEFAULT_PRECISION, *backend = DEFAULT_BACKEND;
    argc = take_globals(argc, argv, &threads, &precision, &backend);
    if (argc < 0) return 2;
    parm_init();
    if (threads) {
        long n;
        if (cli_int("--threads", threads, 1, 1024, &n)) return 2;
        parm_set_threads((int)n);
    }
    if (parm_gemm_select(backend, precision)) {
        fprintf(stderr, "parm: error: %s\n", parm_last_error());
        return 2;
    }
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    cli_install_signals(); /* SIGINT/SIGTERM remove temp files, exit non-zero */
    for (int i = 0; i < ncommands; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            if (cli_mpi_init(&argc, &argv)) return 1;
            int rc = cli_mpi_end(commands[i].fn(argc - 1, argv + 1));
            if (rc == 0 && wants_help(argc - 1, argv + 1)) {
                printf("\n");
                global_usage(stdout);
            }
            return rc;
        }
    fprintf(stderr, "parm: unknown command '%s'; valid commands:", argv[1]);
    for (int i = 0; i < ncommands; i++) fprintf(stderr, " %s", commands[i].name);
    fprintf(stderr, "\n");
    return 2;
}
