/* bench_grader.c — `make bench-grader`: images graded per second on this
 * machine. (1) in memory: detector + GenEval rules on ground-truth renders of
 * the benchmark (434 prompts × 4 seeds), single thread and all OpenMP
 * threads; (2) from disk: the same images as PNGs in GenEval layout graded
 * by parm_grade_items (PNG decode + grade + results.jsonl), as `parm grade`
 * does. Goal: ≥ 5,000 images/s on 2 cores. Prints numbers; never fails on speed. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parm.h"

int main(void) {
    parm_prompt *ps;
    int np;
    if (parm_prompts_load("bench/geneval-shapes.jsonl", &ps, &np)) { fprintf(stderr, "bench_grader: %s\n", parm_last_error()); return 1; }
    int n = np * 4;
    const size_t SZ = PARM_IMG * PARM_IMG * 3;
    uint8_t *imgs = malloc((size_t)n * SZ);
    parm_prompt *pp = malloc(sizeof *pp * n);
    for (int k = 0; k < n; k++) {
        parm_scene s;
        pp[k] = ps[k / 4];
        if (parm_scene_for_seed(&pp[k], (uint64_t)(k % 4), &s)) { fprintf(stderr, "%s\n", parm_last_error()); return 1; }
        parm_render(&s, imgs + (size_t)k * SZ);
    }
    /* noisy copies: the detector's slow path (no exact template hit) */
    uint8_t *noisy = malloc((size_t)n * SZ);
    memcpy(noisy, imgs, (size_t)n * SZ);
    for (int k = 0; k < n; k++) {
        parm_rng r;
        parm_rng_seed(&r, (uint64_t)k, PARM_STREAM_NOISE);
        parm_image_ragged(noisy + (size_t)k * SZ, 0.1f, &r);
        parm_image_noise(noisy + (size_t)k * SZ, 8, &r);
    }
    int nth = omp_get_max_threads();
    printf("bench-grader: %d images (benchmark x 4 seeds), %d OpenMP threads\n", n, nth);
    for (int variant = 0; variant < 2; variant++) {
        uint8_t *src = variant ? noisy : imgs;
        for (int threads = 1; threads <= nth; threads = threads == nth ? nth + 1 : nth) {
            int reps = 0;
            long ok = 0;
            double t0 = parm_now(), dt;
            do {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 32) reduction(+ : ok)
                for (int k = 0; k < n; k++) ok += parm_grade(src + (size_t)k * SZ, &pp[k], NULL, 0);
                reps++;
                dt = parm_now() - t0;
            } while (dt < 1.0);
            printf("  in memory, %-26s %d thread%s: %8.0f images/s  (accuracy %.4f)\n",
                   variant ? "noise 8 + ragged 0.1 renders," : "exact renders,", threads, threads > 1 ? "s" : " ",
                   (double)n * reps / dt, (double)ok / ((double)n * reps));
        }
    }
    /* from disk, GenEval layout */
    char dir[] = "/tmp/parm-bench-grader-XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    parm_grade_item *items = malloc(sizeof *items * n);
    for (int i = 0; i < np; i++) parm_geneval_write_prompt(dir, i, &ps[i]);
    for (int k = 0; k < n; k++) {
        items[k].prompt = pp[k];
        parm_geneval_sample_path(items[k].path, sizeof items[k].path, dir, k / 4, k % 4);
        if (parm_png_write(items[k].path, imgs + (size_t)k * SZ, PARM_IMG, PARM_IMG)) { fprintf(stderr, "%s\n", parm_last_error()); return 1; }
    }
    char results[512];
    snprintf(results, sizeof results, "%s/results.jsonl", dir);
    parm_score sc;
    int reps = 0;
    double t0 = parm_now(), dt;
    do {
        if (parm_grade_items(items, n, results, &sc)) { fprintf(stderr, "%s\n", parm_last_error()); return 1; }
        reps++;
        dt = parm_now() - t0;
    } while (dt < 1.0);
    printf("  from PNG files (decode + grade + results.jsonl), %d threads: %8.0f images/s  (overall %.4f)\n", nth,
           (double)n * reps / dt, parm_score_overall(&sc));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
    free(items); free(imgs); free(noisy); free(pp); free(ps);
    return 0;
}
