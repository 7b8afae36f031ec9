/* oracle_paths.c — the benchmark's best-of-N paths, written out so that any
 * grader can score the oracle: for every K-th prompt of
 * bench/geneval-shapes.jsonl and images j = 0..IMAGES-1 (seed j), the N paths of
 * `parm bench` (parm_search_record_paths with the default sampler: path k
 * uses seed j + 4096k, path 0 = the baseline image) are written to
 * OUT/<%05d>/samples/<%04d>.png, sample index j*N + k. `parm grade OUT` then
 * gives every path's verdict; oracle(image j) = any of its N paths correct.
 * Audit tooling (issue 13), not part of parm:
 *   cc -O2 -fopenmp -Iinclude tools/grader-audit/oracle_paths.c build/libparm.a -lopenblas -ldnnl -lpng -lcjson -lm -o /tmp/oracle_paths
 *   /tmp/oracle_paths OUT [K=4] [N=10] [IMAGES=4]               (run from the repository root) */
#include <stdio.h>
#include <stdlib.h>

#include "parm.h"

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: oracle_paths OUT [EVERY] [N] [IMAGES]\n"); return 2; }
    const char *out = argv[1];
    int every = argc > 2 ? atoi(argv[2]) : 4, N = argc > 3 ? atoi(argv[3]) : 10, per = argc > 4 ? atoi(argv[4]) : 4;
    parm_prompt *ps;
    int np;
    parm_gen g;
    parm_vq vq;
    if (parm_prompts_load("bench/geneval-shapes.jsonl", &ps, &np) || parm_gen_load(&g, "weights/gen.safetensors") ||
        parm_vq_load(&vq, "weights/vq.safetensors")) {
        fprintf(stderr, "oracle_paths: %s\n", parm_last_error());
        return 1;
    }
    parm_sample_opts sample = parm_sample_defaults();
    int n = 0;
    for (int i = 0; i < np; i += every, n++) {
        if (parm_geneval_write_prompt(out, n, &ps[i])) { fprintf(stderr, "oracle_paths: %s\n", parm_last_error()); return 1; }
        for (int j = 0; j < per; j++) {
            uint64_t seed = (uint64_t)j;
            parm_search_record rec;
            if (parm_search_record_paths(&g, &vq, &ps[i], 1, &seed, N, &sample, &rec)) {
                fprintf(stderr, "oracle_paths: %s\n", parm_last_error());
                return 1;
            }
            for (int k = 0; k < N; k++) {
                char path[600];
                const uint8_t *img = rec.steps + ((size_t)k * rec.T + (rec.T - 1)) * PARM_IMG * PARM_IMG * 3;
                if (parm_geneval_sample_path(path, sizeof path, out, n, j * N + k) || parm_png_write(path, img, PARM_IMG, PARM_IMG)) {
                    fprintf(stderr, "oracle_paths: %s\n", parm_last_error());
                    return 1;
                }
            }
            parm_search_record_free(&rec);
        }
        fprintf(stderr, "prompt %d/%d\n", n + 1, (np + every - 1) / every);
    }
    parm_gen_free(&g);
    parm_vq_free(&vq);
    free(ps);
    return 0;
}
