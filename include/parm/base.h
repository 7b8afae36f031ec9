/* parm/base.h — errors, checked allocation and I/O, the seeded RNG, scratch buffers.
 *
 * Error convention: library functions return 0 on success and -1 on failure,
 * after recording a one-line message with parm_errorf(); callers either pass
 * the failure up or (only in main) print parm_last_error() and exit non-zero.
 * Messages name the file/line of the check and, where useful, a hint. */
#ifndef PARM_BASE_H
#define PARM_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- errors ------------------------------------------------------------ */
/* Record an error message (printf-style) for the calling thread. Returns -1
 * so callers can write `return PARM_ERR("bad %s", x);`. */
int parm_errorf_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define PARM_ERR(...) parm_errorf_at(__FILE__, __LINE__, __VA_ARGS__)
/* The last recorded message ("" if none); without the file:line prefix. */
const char *parm_last_error(void);
/* The same message prefixed with "file:line: " of the check that raised it. */
const char *parm_last_error_where(void);
void parm_clear_error(void);

/* ---- checked allocation -------------------------------------------------- */
/* Return NULL and record an error naming the caller's file/line on failure. */
void *parm_malloc_at(size_t n, const char *file, int line);
void *parm_calloc_at(size_t count, size_t size, const char *file, int line);
void *parm_realloc_at(void *p, size_t n, const char *file, int line);
#define parm_malloc(n) parm_malloc_at((n), __FILE__, __LINE__)
#define parm_calloc(c, s) parm_calloc_at((c), (s), __FILE__, __LINE__)
#define parm_realloc(p, n) parm_realloc_at((p), (n), __FILE__, __LINE__)
char *parm_strdup(const char *s);

/* ---- checked file I/O ---------------------------------------------------- */
/* fopen that records "cannot open PATH for MODE: strerror (hint: ...)". */
FILE *parm_fopen_at(const char *path, const char *mode, const char *file, int line);
#define parm_fopen(p, m) parm_fopen_at((p), (m), __FILE__, __LINE__)
/* Read a whole file into a malloc'd buffer (NUL-terminated); *len gets size. */
int parm_read_file(const char *path, char **data, size_t *len);
/* Outputs are regular files: 0 if PATH is absent or a regular file; else -1
 * with an error naming what it is (directory, symbolic link, FIFO, socket,
 * device). parm_atomic_open and _commit both check it. */
int parm_output_check(const char *path);
/* Atomic write helper: open PATH.tmp.<pid>; commit = fflush+fsync+fclose+rename.
 * abort = fclose+unlink. Nothing half-written is ever left at PATH. While open,
 * the temp file is registered for parm_tmp_cleanup. */
typedef struct {
    FILE *f;
    char path[1024];
    char tmp[1100];
    int slot;  /* parm_tmp_register's slot (0: none) */
} parm_atomic_file;
int parm_atomic_open(parm_atomic_file *af, const char *path);
int parm_atomic_commit(parm_atomic_file *af);
/* The same without fsync: readers never see a partial file, but a power cut
 * may lose it. For the many small sample PNGs and metadata files of a GenEval
 * folder (an fsync each costs ms). */
int parm_atomic_commit_nosync(parm_atomic_file *af);
void parm_atomic_abort(parm_atomic_file *af);
/* Temp files removed on SIGINT/SIGTERM: register returns a slot (0 if the
 * table of 64 is full: then untracked), unregister(slot) forgets it, cleanup
 * unlinks every registered path and is async-signal-safe (call it from a
 * signal handler; the CLI does). */
int parm_tmp_register(const char *path);
void parm_tmp_unregister(int slot);
void parm_tmp_cleanup(void);
/* mkdir -p; 0 on success or if it already exists. */
int parm_mkdirs(const char *path);

/* ---- RNG ----------------------------------------------------------------
 * xoshiro256** seeded through splitmix64 from (seed, stream). Streams keep
 * independent uses of one --seed from disturbing each other. Documented
 * streams (use these constants, add new ones at the end):                   */
enum {
    PARM_STREAM_SCENE = 1,   /* world: object sizes, positions, free colours */
    PARM_STREAM_PROMPT = 2,  /* world: which prompt is sampled for training  */
    PARM_STREAM_INIT = 3,    /* model parameter initialisation               */
    PARM_STREAM_TRAIN = 4,   /* training batches, masks, dropout             */
    PARM_STREAM_SAMPLE = 5,  /* generation: token sampling                   */
    PARM_STREAM_NOISE = 6,   /* test-only image perturbations                */
};
typedef struct {
    uint64_t s[4];
} parm_rng;
void parm_rng_seed(parm_rng *r, uint64_t seed, uint64_t stream);
uint64_t parm_rng_u64(parm_rng *r);
uint32_t parm_rng_u32(parm_rng *r);
double parm_rng_uniform(parm_rng *r);            /* [0, 1) */
int parm_rng_int(parm_rng *r, int lo, int hi);   /* uniform in [lo, hi] */
float parm_rng_normal(parm_rng *r);              /* N(0, 1) */

/* ---- misc ---------------------------------------------------------------- */
double parm_now(void);                           /* monotonic seconds */
uint32_t parm_fnv1a32(const char *s);            /* 32-bit FNV-1a of bytes */
/* Per-thread growable scratch buffer `slot` (0..7) of at least n floats.
 * Valid until the next call with the same slot on the same thread. */
float *parm_scratch(int slot, size_t n);
/* Progress line on stderr: "label  done/total  rate unit/s  ETA mm:ss". */
typedef struct {
    const char *label, *unit;
    double t0, last;
    long total;
} parm_progress;
void parm_progress_start(parm_progress *p, const char *label, const char *unit, long total);
void parm_progress_update(parm_progress *p, long done, const char *extra);
void parm_progress_end(parm_progress *p, long done, const char *extra);

#endif
