/* base.c — errors, checked allocation and file I/O, RNG, scratch, progress.
 * See include/parm/base.h for the conventions. */
#include "parm/base.h"
#include "parm/dist.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ---- */
static _Thread_local char err_msg[1024];
static _Thread_local char err_where[1200];

int parm_errorf_at(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    const char *base = strrchr(file, '/');
    snprintf(err_where, sizeof err_where, "%s:%d: %s", base ? base + 1 : file, line, err_msg);
    return -1;
}
const char *parm_last_error(void) { return err_msg; }
const char *parm_last_error_where(void) { return err_where; }
void parm_clear_error(void) { err_msg[0] = err_where[0] = 0; }

/* ---- allocation ---- */
void *parm_malloc_at(size_t n, const char *file, int line) {
    void *p = malloc(n ? n : 1);
    if (!p) parm_errorf_at(file, line, "out of memory allocating %zu bytes (hint: lower the batch size)", n);
    return p;
}
void *parm_calloc_at(size_t c, size_t s, const char *file, int line) {
    void *p = calloc(c ? c : 1, s ? s : 1);
    if (!p) parm_errorf_at(file, line, "out of memory allocating %zu x %zu bytes (hint: lower the batch size)", c, s);
    return p;
}
void *parm_realloc_at(void *q, size_t n, const char *file, int line) {
    void *p = realloc(q, n ? n : 1);
    if (!p) parm_errorf_at(file, line, "out of memory reallocating to %zu bytes", n);
    return p;
}
char *parm_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = parm_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- file I/O ---- */
FILE *parm_fopen_at(const char *path, const char *mode, const char *file, int line) {
    FILE *f = fopen(path, mode);
    if (!f) {
        const char *hint = errno == ENOENT ? (mode[0] == 'r' ? "check the path" : "does the folder exist?")
                         : errno == EACCES ? "check permissions" : "";
        parm_errorf_at(file, line, "cannot open '%s' for %s: %s%s%s%s", path,
                       mode[0] == 'r' ? "reading" : "writing", strerror(errno),
                       *hint ? " (hint: " : "", hint, *hint ? ")" : "");
    }
    return f;
}

int parm_read_file(const char *path, char **data, size_t *len) {
    *data = NULL;
    if (len) *len = 0;
    FILE *f = parm_fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = parm_malloc(cap + 1);
    if (!buf) { fclose(f); return -1; }
    for (;;) {
        if (n == cap) {
            char *nb = parm_realloc(buf, 2 * cap + 1);
            if (!nb) { free(buf); fclose(f); return -1; }
            buf = nb; cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); return PARM_ERR("read error on '%s'", path); }
    buf[n] = 0;
    *data = buf;
    if (len) *len = n;
    return 0;
}

/* ---- live temp files (removed by parm_tmp_cleanup, e.g. from a signal handler) ----
 * A slot is 0 free, 1 being filled, 2 live; claimed by compare-exchange so
 * OpenMP threads may open atomic files at once. */
#define TMP_SLOTS 64
static char tmp_paths[TMP_SLOTS][1100];
static atomic_int tmp_state[TMP_SLOTS];

int parm_tmp_register(const char *path) {
    if (strlen(path) >= sizeof tmp_paths[0]) return 0;
    for (int i = 0; i < TMP_SLOTS; i++) {
        int want = 0;
        if (atomic_compare_exchange_strong(&tmp_state[i], &want, 1)) {
            strcpy(tmp_paths[i], path);
            atomic_store(&tmp_state[i], 2);
            return i + 1;
        }
    }
    return 0; /* all slots busy: not tracked */
}
void parm_tmp_unregister(int slot) {
    if (slot >= 1 && slot <= TMP_SLOTS) atomic_store(&tmp_state[slot - 1], 0);
}
void parm_tmp_cleanup(void) {
    for (int i = 0; i < TMP_SLOTS; i++)
        if (atomic_load(&tmp_state[i]) == 2) unlink(tmp_paths[i]); /* unlink is async-signal-safe */
}

int parm_output_check(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return 0;
        return PARM_ERR("cannot check output '%s': %s", path, strerror(errno));
    }
    if (S_ISREG(st.st_mode)) return 0;
    const char *what = S_ISDIR(st.st_mode)   ? "a directory"
                       : S_ISLNK(st.st_mode) ? "a symbolic link (give the path it points to)"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                     : "not a regular file";
    return PARM_ERR("refusing to write output '%s': it is %s; outputs are regular files, written atomically", path,
                    what);
}

int parm_atomic_open(parm_atomic_file *af, const char *path) {
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path) return PARM_ERR("path too long: '%s'", path);
    if (parm_output_check(path)) return -1;
    strcpy(af->path, path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%d", path, (int)getpid());
    af->slot = parm_tmp_register(af->tmp);
    af->f = parm_fopen(af->tmp, "wb");
    if (!af->f) {
        parm_tmp_unregister(af->slot);
        af->slot = 0;
    }
    return af->f ? 0 : -1;
}
static int atomic_commit(parm_atomic_file *af, int sync) {
    if (!af->f) return PARM_ERR("atomic file '%s' is not open", af->path);
    int bad = fflush(af->f) != 0 || ferror(af->f);
    if (!bad && sync) bad = fsync(fileno(af->f)) != 0;
    bad |= fclose(af->f) != 0;
    af->f = NULL;
    if (bad) {
        int e = errno;
        unlink(af->tmp);
        parm_tmp_unregister(af->slot);
        af->slot = 0;
        return PARM_ERR("write to '%s' failed: %s (hint: disk full?)", af->path, strerror(e));
    }
    /* checked again at the end: never rename over a device, FIFO, directory or link */
    int rc = parm_output_check(af->path);
    if (!rc && rename(af->tmp, af->path) != 0)
        rc = PARM_ERR("cannot rename '%s' to '%s': %s", af->tmp, af->path, strerror(errno));
    if (rc) {
        unlink(af->tmp);
        parm_tmp_unregister(af->slot);
        af->slot = 0;
        return -1;
    }
    parm_tmp_unregister(af->slot);
    af->slot = 0;
    return 0;
}
int parm_atomic_commit(parm_atomic_file *af) { return atomic_commit(af, 1); }
int parm_atomic_commit_nosync(parm_atomic_file *af) { return atomic_commit(af, 0); }
void parm_atomic_abort(parm_atomic_file *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) unlink(af->tmp);
    parm_tmp_unregister(af->slot);
    af->slot = 0;
}

int parm_mkdirs(const char *path) {
    char buf[1024];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return PARM_ERR("bad folder path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return PARM_ERR("cannot create folder '%s': %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return PARM_ERR("'%s' exists and is not a folder", path);
    return 0;
}

/* ---- RNG: xoshiro256** with splitmix64 seeding ---- */
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
void parm_rng_seed(parm_rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
uint64_t parm_rng_u64(parm_rng *r) {
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return out;
}
uint32_t parm_rng_u32(parm_rng *r) { return (uint32_t)(parm_rng_u64(r) >> 32); }
double parm_rng_uniform(parm_rng *r) { return (parm_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }
int parm_rng_int(parm_rng *r, int lo, int hi) {
    uint64_t span = (uint64_t)((int64_t)hi - lo + 1);
    return lo + (int)(parm_rng_u64(r) % span);
}
float parm_rng_normal(parm_rng *r) {
    double u1 = parm_rng_uniform(r), u2 = parm_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* ---- misc ---- */
double parm_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
uint32_t parm_fnv1a32(const char *s) {
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) { h ^= *p; h *= 16777619u; }
    return h;
}

static _Thread_local float *scratch_buf[8];
static _Thread_local size_t scratch_cap[8];
float *parm_scratch(int slot, size_t n) {
    if (slot < 0 || slot >= 8) { PARM_ERR("scratch slot %d out of range 0..7", slot); return NULL; }
    if (scratch_cap[slot] < n) {
        free(scratch_buf[slot]);
        scratch_buf[slot] = parm_malloc(n * sizeof(float));
        scratch_cap[slot] = scratch_buf[slot] ? n : 0;
    }
    return scratch_buf[slot];
}

void parm_progress_start(parm_progress *p, const char *label, const char *unit, long total) {
    p->label = label; p->unit = unit; p->total = total;
    p->t0 = p->last = parm_now();
}
static void progress_print(parm_progress *p, long done, const char *extra, int final) {
    if (parm_dist_rank() != 0) return; /* one progress line for all ranks: rank 0's share */
    double el = parm_now() - p->t0;
    double rate = el > 0 ? done / el : 0;
    double eta = rate > 0 && p->total > done ? (p->total - done) / rate : 0;
    fprintf(stderr, "\r%s %ld/%ld  %.1f %s/s  %s %02d:%02d%s%s\033[K%s", p->label, done, p->total, rate, p->unit,
            final ? "took" : "ETA", (int)((final ? el : eta) / 60), (int)(final ? el : eta) % 60,
            extra ? "  " : "", extra ? extra : "", final ? "\n" : "");
    fflush(stderr);
}
void parm_progress_update(parm_progress *p, long done, const char *extra) {
    double t = parm_now();
    if (t - p->last < 0.5) return;
    p->last = t;
    progress_print(p, done, extra, 0);
}
void parm_progress_end(parm_progress *p, long done, const char *extra) { progress_print(p, done, extra, 1); }
