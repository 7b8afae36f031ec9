/* parm/pathset.h — path sets: generator paths (every step image of N sampled
 * paths per prompt) labeled by the grader, the training data of the ORM / PRM
 * / PARM judges (issue 7) and the held-out set their accuracy is measured on.
 *
 * A path set is made once (`parm paths`, parm_pathset_generate) and read many
 * times (parm_pathset_load). Per path it keeps the prompt, the sampler seed,
 * the generator forward passes spent, and per step t = 0..T-1 the step image
 * as its palette-class map (parm_pixel_class; the generator's step images are
 * flat palette colours, so the map loses nothing the grader or the judge
 * sees; the last step is the final image), the grader verdict of that step
 * image, and whether the grader's reading of it equals the reading of the
 * path's final image (parm_grade_reading / parm_reading_equal).
 *
 * File format (version 1; every integer little-endian):
 *   header, 64 bytes:
 *     0   char[8]  magic "PARMPSET"
 *     8   u32      version (1)
 *     12  u32      header size (64)
 *     16  u32      prompts P (>= 1)
 *     20  u32      paths per prompt N (>= 1); P·N <= PARM_PATHSET_MAX_PATHS
 *     24  u32      steps T (1 .. PARM_PATHSET_MAX_STEPS)
 *     28  u32      image side (64)
 *     32  u32      record size R = 176 + T·(2 + 64·64)
 *     36  u32      split asked for when written: 0 train prompts, 1 TEST
 *                  prompts (informative: a trainer checks every prompt itself)
 *     40  u64      seed the set was drawn with
 *     48  u32[3]   reserved, 0
 *     60  u32      FNV-1a 32 of header bytes 0..59
 *   then P·N records of R bytes; record k is path k % N of prompt k / N:
 *     0    char[160] prompt text, NUL-terminated and NUL-padded (must parse)
 *     160  u64      the path's sampler seed
 *     168  u32      generator forward passes the path spent
 *     172  u32      FNV-1a 32 of the record's other bytes (0..171, 176..R-1)
 *     176  u8[T]    grader verdict of each step image (0/1)
 *     176+T u8[T]   reading-equal flag of each step (0/1; the last is 1)
 *     176+2T u8[T·4096] class map of each step image, row-major, values 0..10
 * The file is exactly 64 + P·N·R bytes. A loader trusts nothing: magic,
 * version, sizes, the checksums, every prompt, flag and class value are
 * checked, and any failure is an error naming the file and what is wrong.
 * Written atomically (temp file + rename). */
#ifndef PARM_PATHSET_H
#define PARM_PATHSET_H

#include <stdint.h>

#include "parm/sample.h"
#include "parm/world.h"

#define PARM_PATHSET_VERSION 1
#define PARM_PATHSET_MAX_STEPS 256
#define PARM_PATHSET_MAX_PATHS 10000000
#define PARM_PATHSET_PIX (PARM_IMG * PARM_IMG)

typedef struct {
    int n_prompts, paths_per_prompt, n, T; /* n = n_prompts · paths_per_prompt paths */
    int split;                             /* as written: 0 train, 1 test */
    uint64_t seed;
    parm_prompt *prompt;                   /* [n] */
    uint64_t *path_seed;                   /* [n] */
    long *forwards;                        /* [n] */
    uint8_t *verdict;                      /* [n,T] grader verdict of step t */
    uint8_t *reading_eq;                   /* [n,T] reading of step t == reading of the final image */
    uint8_t *classes;                      /* [n,T,64·64] palette-class map of step t */
} parm_pathset;

/* Allocate an empty (zeroed) set of n_prompts × paths paths of T steps. */
int parm_pathset_alloc(parm_pathset *s, int n_prompts, int paths, int T);
void parm_pathset_free(parm_pathset *s);
int parm_pathset_load(parm_pathset *s, const char *path);
/* Write atomically; the set must be valid as a loader would check it. */
int parm_pathset_save(const parm_pathset *s, const char *path);

static inline const uint8_t *parm_pathset_classes(const parm_pathset *s, int i, int t) {
    return s->classes + ((size_t)i * s->T + t) * PARM_PATHSET_PIX;
}
static inline int parm_pathset_verdict(const parm_pathset *s, int i, int t) { return s->verdict[(size_t)i * s->T + t]; }
static inline int parm_pathset_final_verdict(const parm_pathset *s, int i) { return parm_pathset_verdict(s, i, s->T - 1); }
static inline int parm_pathset_reading_eq(const parm_pathset *s, int i, int t) {
    return s->reading_eq[(size_t)i * s->T + t];
}
/* The RGB image [64,64,3] of path i, step t, painted from its class map. */
void parm_pathset_rgb(const parm_pathset *s, int i, int t, uint8_t *rgb);
/* The number of paths whose prompt is a TEST prompt (parm_prompt_is_test),
 * every path checked; *first gets the first such path (-1 if none). */
int parm_pathset_count_test(const parm_pathset *s, int *first);

/* Regrade every step image with the current grader (after a grader change):
 * verdicts and reading-equal flags rewritten in place from the class maps
 * (which are the images). changed[2] (may be NULL): final verdicts turned
 * 0 → 1 and 1 → 0. */
int parm_pathset_relabel(parm_pathset *s, long changed[2]);
/* out = the sets a[0..k-1] one after another (more training data from sets drawn
 * with different seeds). They must agree on steps T and paths per prompt; the
 * header seed is a[0]'s, the split is TEST if any input is. out is allocated
 * here (free with parm_pathset_free); on error it is left empty. */
int parm_pathset_concat(parm_pathset *out, const parm_pathset *a, int k);

/* ---- making a path set ---- */
typedef struct {
    int test;                  /* 0: train prompts (parm_prompt_sample_train); 1: TEST prompts only */
    int n_prompts, paths;      /* P prompts × N paths each */
    uint64_t seed;             /* prompt draw (seed, PARM_STREAM_PROMPT); path k samples with seed·2³² + k */
    parm_sample_opts sample;   /* sampler (step_images is forced on) */
    int quiet;                 /* no progress line */
} parm_pathset_gen_opts;
parm_pathset_gen_opts parm_pathset_gen_defaults(void); /* train, 64 × 4, seed 0, parm_sample_defaults() */
/* The o->n_prompts prompts, in order (test = 1: position and color_attr TEST
 * prompts alternately, each tag's drawn without replacement by a partial
 * Fisher-Yates over its test prompts in parm_prompts_all order — repeating
 * only once a tag is used up; test = 0: parm_prompt_sample_train). */
int parm_pathset_prompts(const parm_pathset_gen_opts *o, parm_prompt *out);
/* Generate the set and write it to path (atomically; nothing is left at path
 * on error). acc (may be NULL) gets the grader accuracy of the final images. */
int parm_pathset_generate(parm_gen *g, parm_vq *vq, const parm_pathset_gen_opts *o, const char *path, double *acc);

#endif
