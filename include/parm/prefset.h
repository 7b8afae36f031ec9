/* parm/prefset.h — preference sets: K generator samples per TRAIN prompt,
 * kept as their final image TOKENS with the grader's verdict of each, the
 * data of DPO (issue 15). A pair is (a correct path, an incorrect path) of
 * the same prompt. Because the tokens are kept (not the image), a set is
 * relabeled cheaply when the grader changes: decode the tokens with the same
 * VQ, grade again (parm_prefset_relabel, `parm pairs --relabel`).
 *
 * File format (version 1; every integer little-endian):
 *   header, 64 bytes:
 *     0   char[8]  magic "PARMPREF"
 *     8   u32      version (1)
 *     12  u32      header size (64)
 *     16  u32      prompts P (>= 1)
 *     20  u32      paths per prompt K (>= 1); P·K <= PARM_PREFSET_MAX_PATHS
 *     24  u32      tokens per image (256)
 *     28  u32      codebook size of the tokens (every token < it)
 *     32  u32      record size R = 176 + 2·256 = 688
 *     36  u32      sampler steps the paths were drawn with (informative)
 *     40  u64      seed the set was drawn with
 *     48  u64      parm_vq_fingerprint of the tokenizer the tokens belong to
 *     56  u32      labeler: who gave the verdicts (PARM_PREF_LABEL_*: 0 the
 *                    grader, 1 a judge's P(match) ≥ 0.5 (ORM guidance), 2 PARM's
 *                    pick (PARM guidance)); files before labelers held 0 here
 *     60  u32      FNV-1a 32 of header bytes 0..59
 *   then P·K records of R bytes; record k is path k % K of prompt k / K:
 *     0    char[160] prompt text, NUL-terminated and NUL-padded (must parse,
 *                    must NOT be a test prompt: parm_prompt_is_test)
 *     160  u64      the path's sampler seed
 *     168  u8       grader verdict of the final image (0/1)
 *     169  u8[3]    reserved, 0
 *     172  u32      FNV-1a 32 of the record's other bytes (0..171, 176..R-1)
 *     176  u16[256] final image tokens, grid order (y·16+x)
 *   The K records of a prompt carry the same prompt text.
 * The file is exactly 64 + P·K·R bytes. The loader trusts nothing (magic,
 * version, sizes, checksums, prompts, verdicts, tokens) and refuses any test
 * prompt; errors name the file and what is wrong. Written atomically. */
#ifndef PARM_PREFSET_H
#define PARM_PREFSET_H

#include <stdint.h>

#include "parm/sample.h"
#include "parm/world.h"

#define PARM_PREFSET_VERSION 1
#define PARM_PREFSET_MAX_PATHS 10000000

/* Who labels the paths. The grader labels plain (round 1) sets; the guided
 * rounds of iterative DPO are labeled by a reward model, never the grader:
 *   ORM:  verdict = the judge's P(match) of the final image ≥ 0.5, so the
 *         pairs are (judge yes, judge no) of one prompt;
 *   PARM: verdict = 1 for the path PARM picks among the prompt's K paths
 *         (clarity → potential gate with early termination, then best P(match)
 *         of the survivors) when it survived the gate and its P(match) ≥ 0.5,
 *         0 for every other path (those PARM terminated or ranked below its
 *         pick); a prompt whose pick is a fallback or a "no" gives no pairs. */
enum { PARM_PREF_LABEL_GRADER = 0, PARM_PREF_LABEL_ORM = 1, PARM_PREF_LABEL_PARM = 2, PARM_PREF_NLABELERS };
extern const char *const parm_pref_label_names[PARM_PREF_NLABELERS]; /* "grader", "orm", "parm" */
/* A reward model's verdicts for the K paths of prompt p from their step
 * images steps [K,T,64,64,3] (step t of path k at (k·T + t)); verdict [K]. */
typedef int (*parm_pref_label_fn)(void *ctx, const parm_prompt *p, int K, int T, const uint8_t *steps,
                                  uint8_t *verdict);

typedef struct {
    int n_prompts, paths_per_prompt, n; /* n = n_prompts · paths_per_prompt */
    int ncodes, steps;
    int labeler;                        /* PARM_PREF_LABEL_* */
    uint64_t seed, vq_fingerprint;
    parm_prompt *prompt;                /* [n] */
    uint64_t *path_seed;                /* [n] */
    uint8_t *verdict;                   /* [n] */
    uint16_t *tokens;                   /* [n,256] grid order */
} parm_prefset;

/* An empty (zeroed) set of n_prompts × paths paths. */
int parm_prefset_alloc(parm_prefset *s, int n_prompts, int paths, int ncodes);
void parm_prefset_free(parm_prefset *s);
int parm_prefset_load(parm_prefset *s, const char *path);
/* Write atomically; refuses a set a loader would refuse (test prompts too). */
int parm_prefset_save(const parm_prefset *s, const char *path);

/* Preference pairs: indices into the set's paths. */
typedef struct {
    int chosen, rejected;
} parm_pref_pair;
/* Every (correct, incorrect) combination of each prompt's paths, at most
 * max_per_prompt per prompt (<= 0: all; else the first ones in (correct i,
 * incorrect j) order cycled so each correct path is used before a second
 * pairing). *pairs is malloc'd (NULL when none); returns the count or -1. */
int parm_prefset_pairs(const parm_prefset *s, int max_per_prompt, parm_pref_pair **pairs);
/* Decode every path's tokens with vq (its fingerprint must match the set's)
 * and grade them again; returns the number of verdicts that changed, or -1.
 * Refuses a set labeled by a reward model (its labels are not the grader's). */
int parm_prefset_relabel(parm_prefset *s, parm_vq *vq);
/* Relabel every path by a final-image reward model (labeler ORM: label reads
 * only each path's last step, the decoded tokens; earlier steps are zero):
 * ORM guidance for a set sampled before, identical to sampling it again with
 * that labeler (same seed: same tokens). Sets s->labeler; returns the number
 * of verdicts that changed, or -1. PARM needs every step image: refused.
 * quiet = 0: progress on stderr. */
int parm_prefset_relabel_final(parm_prefset *s, parm_vq *vq, int labeler, parm_pref_label_fn label, void *ctx,
                               int quiet);

/* ---- making a set ---- */
typedef struct {
    int n_prompts, paths;    /* P train prompts × K paths each */
    uint64_t seed;           /* prompts: parm_prompt_sample_train over (seed, PARM_STREAM_PROMPT);
                                path k of prompt i samples with parm_seed_of(seed·2³², i·K + k, 0) */
    parm_sample_opts sample; /* the sampler (default: parm_sample_defaults) */
    long save_every;         /* rewrite the partial set (a valid smaller file) every this many prompts; 0 = end only */
    int resume;              /* 1: continue the set already at path (same seed, K, sampler steps, labeler) */
    int labeler;             /* PARM_PREF_LABEL_*; not the grader: label/label_ctx give the verdicts */
    parm_pref_label_fn label;
    void *label_ctx;
    int quiet;
} parm_prefset_gen_opts;
parm_prefset_gen_opts parm_prefset_gen_defaults(void); /* 64 × 8, seed 0, default sampler, save every 64 */
/* Sample, grade and write the set to path (atomically at every save).
 * acc (may be NULL) gets the grader accuracy of all paths. */
int parm_prefset_generate(parm_gen *g, parm_vq *vq, const parm_prefset_gen_opts *o, const char *path, double *acc);

#endif
