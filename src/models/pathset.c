/* pathset.c — path sets (include/parm/pathset.h): sample N generator paths
 * per prompt with every step image, label each step with the grader (verdict,
 * and whether its reading equals the final image's), write the binary file
 * atomically; load it back trusting no byte. The judges' generator-backed
 * training data (ORM / PRM / PARM) and their held-out evaluation read these. */
#include "parm/dist.h"
#include "parm/pathset.h"
#include "binfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HDR 64
#define TEXT 160
#define REC_FIXED 176
static const char MAGIC[8] = {'P', 'A', 'R', 'M', 'P', 'S', 'E', 'T'};


static size_t record_size(int T) { return REC_FIXED + (size_t)T * (2 + PARM_PATHSET_PIX); }
static uint32_t record_sum(const uint8_t *rec, size_t R) { return record_checksum(rec, R); }

/* ---- memory ---- */
int parm_pathset_alloc(parm_pathset *s, int n_prompts, int paths, int T) {
    memset(s, 0, sizeof *s);
    if (n_prompts < 1 || paths < 1 || (long long)n_prompts * paths > PARM_PATHSET_MAX_PATHS)
        return PARM_ERR("path set of %d prompts x %d paths: need >= 1 of each and at most %d paths", n_prompts, paths,
                        PARM_PATHSET_MAX_PATHS);
    if (T < 1 || T > PARM_PATHSET_MAX_STEPS) return PARM_ERR("path set steps %d outside [1, %d]", T, PARM_PATHSET_MAX_STEPS);
    const size_t n = (size_t)n_prompts * paths;
    s->n_prompts = n_prompts;
    s->paths_per_prompt = paths;
    s->n = (int)n;
    s->T = T;
    s->prompt = parm_calloc(n, sizeof *s->prompt);
    s->path_seed = parm_calloc(n, sizeof *s->path_seed);
    s->forwards = parm_calloc(n, sizeof *s->forwards);
    s->verdict = parm_calloc(n * T, 1);
    s->reading_eq = parm_calloc(n * T, 1);
    s->classes = parm_calloc(n * T, PARM_PATHSET_PIX);
    if (!s->prompt || !s->path_seed || !s->forwards || !s->verdict || !s->reading_eq || !s->classes) {
        parm_pathset_free(s);
        return -1;
    }
    return 0;
}

void parm_pathset_free(parm_pathset *s) {
    free(s->prompt); free(s->path_seed); free(s->forwards); free(s->verdict); free(s->reading_eq); free(s->classes);
    memset(s, 0, sizeof *s);
}

void parm_pathset_rgb(const parm_pathset *s, int i, int t, uint8_t *rgb) {
    const uint8_t *c = parm_pathset_classes(s, i, t);
    for (int k = 0; k < PARM_PATHSET_PIX; k++)
        memcpy(rgb + 3 * k, c[k] && c[k] <= PARM_NCOLORS ? parm_palette[c[k] - 1] : parm_background, 3);
}

int parm_pathset_count_test(const parm_pathset *s, int *first) {
    int n = 0;
    if (first) *first = -1;
    for (int i = 0; i < s->n; i++)
        if (parm_prompt_is_test(&s->prompt[i])) {
            if (first && *first < 0) *first = i;
            n++;
        }
    return n;
}

/* ---- the header and records ---- */
static void header_encode(uint8_t *h, int P, int N, int T, int split, uint64_t seed) {
    memset(h, 0, HDR);
    memcpy(h, MAGIC, 8);
    put32(h + 8, PARM_PATHSET_VERSION);
    put32(h + 12, HDR);
    put32(h + 16, (uint32_t)P);
    put32(h + 20, (uint32_t)N);
    put32(h + 24, (uint32_t)T);
    put32(h + 28, PARM_IMG);
    put32(h + 32, (uint32_t)record_size(T));
    put32(h + 36, (uint32_t)split);
    put64(h + 40, seed);
    put32(h + 60, fnv(FNV0, h, 60));
}

/* One record into rec[record_size(T)]; the fields are checked as a loader would. */
static int record_encode(uint8_t *rec, int T, const char *text, uint64_t seed, long forwards, const uint8_t *verdict,
                         const uint8_t *eq, const uint8_t *classes) {
    size_t len = strlen(text);
    if (len >= TEXT) return PARM_ERR("prompt '%s' is longer than %d bytes", text, TEXT - 1);
    if (forwards < 0 || forwards > 0xffffffffL) return PARM_ERR("forwards %ld out of range", forwards);
    for (int t = 0; t < T; t++)
        if (verdict[t] > 1 || eq[t] > 1) return PARM_ERR("step %d: verdict %d / reading flag %d not 0 or 1", t, verdict[t], eq[t]);
    if (!eq[T - 1]) return PARM_ERR("the last step's reading flag must be 1 (the final image reads as itself)");
    for (size_t k = 0; k < (size_t)T * PARM_PATHSET_PIX; k++)
        if (classes[k] > PARM_NCOLORS) return PARM_ERR("pixel class %d > %d", classes[k], PARM_NCOLORS);
    const size_t R = record_size(T);
    memset(rec, 0, REC_FIXED);
    memcpy(rec, text, len);
    put64(rec + 160, seed);
    put32(rec + 168, (uint32_t)forwards);
    memcpy(rec + REC_FIXED, verdict, T);
    memcpy(rec + REC_FIXED + T, eq, T);
    memcpy(rec + REC_FIXED + 2 * T, classes, (size_t)T * PARM_PATHSET_PIX);
    put32(rec + 172, record_sum(rec, R));
    return 0;
}

/* A record into path i of s; errors name the file and the path. */
static int record_decode(const uint8_t *rec, parm_pathset *s, int i, const char *file) {
    const int T = s->T;
    const size_t R = record_size(T);
    if (get32(rec + 172) != record_sum(rec, R))
        return PARM_ERR("'%s': path %d: checksum mismatch (corrupted file; hint: make it again with `parm paths`)", file, i);
    char text[TEXT];
    if (record_prompt(rec, file, i, &s->prompt[i], text)) return -1;
    s->path_seed[i] = get64(rec + 160);
    s->forwards[i] = (long)get32(rec + 168);
    const uint8_t *v = rec + REC_FIXED, *eq = v + T, *cls = eq + T;
    for (int t = 0; t < T; t++)
        if (v[t] > 1 || eq[t] > 1)
            return PARM_ERR("'%s': path %d step %d: verdict %d / reading flag %d is not 0 or 1", file, i, t, v[t], eq[t]);
    if (!eq[T - 1]) return PARM_ERR("'%s': path %d: the last step's reading flag is 0 (must be 1)", file, i);
    for (size_t k = 0; k < (size_t)T * PARM_PATHSET_PIX; k++)
        if (cls[k] > PARM_NCOLORS)
            return PARM_ERR("'%s': path %d step %d: pixel class %d > %d", file, i, (int)(k / PARM_PATHSET_PIX), cls[k],
                            PARM_NCOLORS);
    memcpy(s->verdict + (size_t)i * T, v, T);
    memcpy(s->reading_eq + (size_t)i * T, eq, T);
    memcpy(s->classes + (size_t)i * T * PARM_PATHSET_PIX, cls, (size_t)T * PARM_PATHSET_PIX);
    return 0;
}

int parm_pathset_load(parm_pathset *s, const char *path) {
    memset(s, 0, sizeof *s);
    FILE *f = parm_fopen(path, "rb");
    if (!f) return -1;
    struct stat st;
    uint8_t h[HDR], *rec = NULL;
    int rc = -1;
    if (fstat(fileno(f), &st) != 0) { PARM_ERR("cannot stat '%s': %s", path, strerror(errno)); goto done; }
    if (!S_ISREG(st.st_mode)) { PARM_ERR("'%s' is not a path set: not a regular file", path); goto done; }
    const long long size = (long long)st.st_size;
    if (size < HDR || fread(h, 1, HDR, f) != HDR) {
        PARM_ERR("'%s' is not a path set: %lld bytes, shorter than the %d-byte header (hint: make one with `parm paths`)",
                 path, size, HDR);
        goto done;
    }
    if (memcmp(h, MAGIC, 8)) {
        PARM_ERR("'%s' is not a path set (bad magic; hint: make one with `parm paths`)", path);
        goto done;
    }
    uint32_t version = get32(h + 8);
    if (version != PARM_PATHSET_VERSION) {
        PARM_ERR("'%s': path set version %u, this build reads version %d", path, version, PARM_PATHSET_VERSION);
        goto done;
    }
    if (get32(h + 60) != fnv(FNV0, h, 60)) { PARM_ERR("'%s': path set header checksum mismatch (corrupted file)", path); goto done; }
    uint32_t hs = get32(h + 12), P = get32(h + 16), N = get32(h + 20), T = get32(h + 24), side = get32(h + 28);
    uint32_t R = get32(h + 32), split = get32(h + 36);
    if (hs != HDR || side != PARM_IMG || split > 1 || P < 1 || N < 1 ||
        (unsigned long long)P * N > PARM_PATHSET_MAX_PATHS || T < 1 || T > PARM_PATHSET_MAX_STEPS ||
        R != record_size((int)T)) {
        PARM_ERR("'%s': bad path set header (header %u, %u prompts x %u paths, %u steps, side %u, record %u, split %u)",
                 path, hs, P, N, T, side, R, split);
        goto done;
    }
    const long long want = HDR + (long long)P * N * R;
    if (size != want) {
        PARM_ERR("'%s': path set is %lld bytes, its header (%u prompts x %u paths, %u steps) promises %lld "
                 "(truncated or corrupted)", path, size, P, N, T, want);
        goto done;
    }
    if (parm_pathset_alloc(s, (int)P, (int)N, (int)T)) goto done;
    s->split = (int)split;
    s->seed = get64(h + 40);
    if (!(rec = parm_malloc(R))) goto done;
    for (int i = 0; i < s->n; i++) {
        if (fread(rec, 1, R, f) != R) { PARM_ERR("'%s': read failed at path %d", path, i); goto done; }
        if (record_decode(rec, s, i, path)) goto done;
    }
    rc = 0;
done:
    free(rec);
    fclose(f);
    if (rc) parm_pathset_free(s); /* keeps the error message */
    return rc;
}

int parm_pathset_save(const parm_pathset *s, const char *path) {
    if (s->n != s->n_prompts * s->paths_per_prompt || s->n < 1 || s->T < 1 || s->T > PARM_PATHSET_MAX_STEPS)
        return PARM_ERR("path set to save is malformed (%d paths, %d x %d, %d steps)", s->n, s->n_prompts,
                        s->paths_per_prompt, s->T);
    const size_t R = record_size(s->T);
    uint8_t h[HDR], *rec = parm_malloc(R);
    if (!rec) return -1;
    parm_atomic_file af;
    if (parm_atomic_open(&af, path)) { free(rec); return -1; }
    header_encode(h, s->n_prompts, s->paths_per_prompt, s->T, s->split, s->seed);
    int bad = fwrite(h, 1, HDR, af.f) != HDR;
    for (int i = 0; i < s->n && !bad; i++) {
        const size_t o = (size_t)i * s->T;
        if (record_encode(rec, s->T, s->prompt[i].text, s->path_seed[i], s->forwards[i], s->verdict + o,
                          s->reading_eq + o, s->classes + o * PARM_PATHSET_PIX)) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", parm_last_error());
            PARM_ERR("path set '%s', path %d: %s", path, i, msg);
            free(rec);
            parm_atomic_abort(&af);
            return -1;
        }
        bad = fwrite(rec, 1, R, af.f) != R;
    }
    free(rec);
    if (bad) {
        parm_atomic_abort(&af);
        return PARM_ERR("write to '%s' failed (hint: disk full?)", path);
    }
    return parm_atomic_commit(&af);
}

/* ---- generation ---- */
parm_pathset_gen_opts parm_pathset_gen_defaults(void) {
    parm_pathset_gen_opts o = {.test = 0, .n_prompts = 64, .paths = 4, .seed = 0};
    o.sample = parm_sample_defaults();
    o.sample.step_images = 1;
    return o;
}

int parm_pathset_prompts(const parm_pathset_gen_opts *o, parm_prompt *out) {
    parm_rng rng;
    parm_rng_seed(&rng, o->seed, PARM_STREAM_PROMPT);
    if (!o->test) {
        for (int i = 0; i < o->n_prompts; i++) parm_prompt_sample_train(&rng, &out[i]);
        return 0;
    }
    parm_prompt *all = NULL;
    int np = parm_prompts_all(&all), *idx[2] = {NULL, NULL}, n[2] = {0, 0}, used[2] = {0, 0}, rc = -1;
    if (np < 0) return -1;
    for (int k = 0; k < 2; k++)
        if (!(idx[k] = parm_malloc(sizeof(int) * np))) goto done;
    for (int i = 0; i < np; i++)
        if (parm_prompt_is_test(&all[i])) {
            int k = all[i].tag == PARM_TAG_COLOR_ATTR;
            idx[k][n[k]++] = i;
        }
    if (!n[0] || !n[1]) { PARM_ERR("no test prompts of a held-out tag"); goto done; }
    for (int i = 0; i < o->n_prompts; i++) {
        int k = i % 2;
        if (used[k] == n[k]) used[k] = 0; /* used up: start over */
        int j = parm_rng_int(&rng, used[k], n[k] - 1), tmp = idx[k][used[k]];
        idx[k][used[k]] = idx[k][j];
        idx[k][j] = tmp;
        out[i] = all[idx[k][used[k]++]];
    }
    rc = 0;
done:
    free(all); free(idx[0]); free(idx[1]);
    return rc;
}

int parm_pathset_relabel(parm_pathset *s, long changed[2]) {
    const int T = s->T;
    long up = 0, down = 0;
    int rc = 0;
#pragma omp parallel for schedule(dynamic, 8) reduction(+ : up, down)
    for (int i = 0; i < s->n; i++) {
        parm_reading *rd = malloc(sizeof *rd * T);
        uint8_t rgb[PARM_PATHSET_PIX * 3];
        if (!rd) {
#pragma omp atomic write
            rc = -1;
            continue;
        }
        for (int t = 0; t < T; t++) {
            parm_pathset_rgb(s, i, t, rgb);
            parm_grade_reading(rgb, &s->prompt[i], &rd[t]);
        }
        int was = parm_pathset_final_verdict(s, i);
        for (int t = 0; t < T; t++) {
            s->verdict[(size_t)i * T + t] = (uint8_t)rd[t].verdict;
            s->reading_eq[(size_t)i * T + t] = (uint8_t)parm_reading_equal(&rd[t], &rd[T - 1]);
        }
        int now = parm_pathset_final_verdict(s, i);
        up += !was && now;
        down += was && !now;
        free(rd);
    }
    if (rc) return PARM_ERR("relabel: out of memory");
    if (changed) { changed[0] = up; changed[1] = down; }
    return 0;
}

int parm_pathset_concat(parm_pathset *out, const parm_pathset *a, int k) {
    memset(out, 0, sizeof *out);
    if (k < 1) return PARM_ERR("concat: no path set given");
    long long prompts = 0;
    int split = 0;
    for (int j = 0; j < k; j++) {
        if (a[j].T != a[0].T || a[j].paths_per_prompt != a[0].paths_per_prompt)
            return PARM_ERR("concat: set %d has %d steps x %d paths per prompt, set 0 has %d x %d (they must agree)", j,
                            a[j].T, a[j].paths_per_prompt, a[0].T, a[0].paths_per_prompt);
        prompts += a[j].n_prompts;
        split |= a[j].split;
    }
    if (prompts * a[0].paths_per_prompt > PARM_PATHSET_MAX_PATHS)
        return PARM_ERR("concat: %lld prompts x %d paths is more than %d paths", prompts, a[0].paths_per_prompt,
                        PARM_PATHSET_MAX_PATHS);
    if (parm_pathset_alloc(out, (int)prompts, a[0].paths_per_prompt, a[0].T)) return -1;
    out->split = split;
    out->seed = a[0].seed;
    const size_t T = (size_t)a[0].T;
    size_t at = 0;
    for (int j = 0; j < k; j++) {
        const size_t n = (size_t)a[j].n;
        memcpy(out->prompt + at, a[j].prompt, n * sizeof *out->prompt);
        memcpy(out->path_seed + at, a[j].path_seed, n * sizeof *out->path_seed);
        memcpy(out->forwards + at, a[j].forwards, n * sizeof *out->forwards);
        memcpy(out->verdict + at * T, a[j].verdict, n * T);
        memcpy(out->reading_eq + at * T, a[j].reading_eq, n * T);
        memcpy(out->classes + at * T * PARM_PATHSET_PIX, a[j].classes, n * T * PARM_PATHSET_PIX);
        at += n;
    }
    return 0;
}

/* The N paths of prompt i, sampled and labeled, appended to f as records. */
static int generate_prompt(parm_gen *g, parm_vq *vq, const parm_pathset_gen_opts *o, const parm_sample_opts *so,
                           const parm_prompt *prompt, int i, FILE *f, const char *path, uint64_t *seeds, uint8_t *cls,
                           uint8_t *rec, uint8_t *verdict, uint8_t *eq, parm_reading *rd, long *correct) {
    const int N = o->paths, T = o->sample.steps;
    const size_t R = record_size(T);
    for (int j = 0; j < N; j++) seeds[j] = parm_seed_of(o->seed << 32, (uint64_t)i * N + j, 0); /* every path its own image */
    parm_sample_run r;
    if (parm_sample_begin(g, &r, prompt, N, seeds, so)) return -1;
    int st;
    while ((st = parm_sample_step(g, vq, &r)) >= 0) {
        const int t = r.step - 1;
#pragma omp parallel for schedule(dynamic, 1)
        for (int j = 0; j < N; j++) {
            const uint8_t *img = r.images + (size_t)j * PARM_PATHSET_PIX * 3;
            uint8_t *c = cls + ((size_t)j * T + t) * PARM_PATHSET_PIX;
            for (int k = 0; k < PARM_PATHSET_PIX; k++) c[k] = (uint8_t)parm_pixel_class(img + 3 * k);
            parm_grade_reading(img, prompt, &rd[j * T + t]);
        }
        if (st == 1) break;
    }
    long fw[N];
    for (int j = 0; j < N; j++) fw[j] = r.forwards[j];
    const int done_steps = r.step;
    parm_sample_end(&r);
    if (st < 0) return -1;
    if (done_steps != T) return PARM_ERR("sampler stopped after %d of %d steps", done_steps, T);
    for (int j = 0; j < N; j++) {
        const parm_reading *fin = &rd[j * T + T - 1];
        for (int t = 0; t < T; t++) {
            verdict[j * T + t] = (uint8_t)rd[j * T + t].verdict;
            eq[j * T + t] = (uint8_t)parm_reading_equal(&rd[j * T + t], fin);
        }
        *correct += fin->verdict;
        if (record_encode(rec, T, prompt->text, seeds[j], fw[j], verdict + j * T, eq + j * T,
                          cls + (size_t)j * T * PARM_PATHSET_PIX))
            return -1;
        if (fwrite(rec, 1, R, f) != R) return PARM_ERR("write to '%s' failed (hint: disk full?)", path);
    }
    return 0;
}

/* Under several ranks (parm/dist.h) rank r samples its block of the
 * prompts into memory and rank 0 writes everyone's records in prompt order:
 * the same file as one process writes. */
int parm_pathset_generate(parm_gen *g, parm_vq *vq, const parm_pathset_gen_opts *o, const char *path, double *acc) {
    const int P = o->n_prompts, N = o->paths, T = o->sample.steps, K = parm_dist_size(), lead = parm_dist_rank() == 0;
    if (P < 1 || N < 1 || (long long)P * N > PARM_PATHSET_MAX_PATHS)
        return PARM_ERR("path set of %d prompts x %d paths: need >= 1 of each and at most %d paths", P, N,
                        PARM_PATHSET_MAX_PATHS);
    if (T < 1 || T > PARM_PATHSET_MAX_STEPS) return PARM_ERR("steps %d outside [1, %d]", T, PARM_PATHSET_MAX_STEPS);
    parm_sample_opts so = o->sample;
    so.step_images = 1;
    const size_t R = record_size(T);
    parm_prompt *prompts = parm_malloc(sizeof *prompts * P);
    uint64_t *seeds = parm_malloc(sizeof *seeds * N);
    uint8_t *cls = parm_malloc((size_t)N * T * PARM_PATHSET_PIX), *rec = parm_malloc(R);
    uint8_t *verdict = parm_malloc((size_t)N * T), *eq = parm_malloc((size_t)N * T);
    parm_reading *rd = parm_malloc(sizeof *rd * N * T);
    parm_atomic_file af = {0};
    char *mem = NULL;   /* K > 1: this rank's records */
    size_t nmem = 0;
    void *all = NULL;
    size_t nall = 0;
    FILE *f = NULL;
    int rc = -1, opened = 0;
    long correct = 0, lo = 0, hi = P;
    parm_dist_block(P, &lo, &hi);
    if (!prompts || !seeds || !cls || !rec || !verdict || !eq || !rd) goto done;
    if (parm_pathset_prompts(o, prompts)) goto done;
    if (lead) {
        if (parm_atomic_open(&af, path)) goto done;
        opened = 1;
        uint8_t h[HDR];
        header_encode(h, P, N, T, o->test ? 1 : 0, o->seed);
        if (fwrite(h, 1, HDR, af.f) != HDR) { PARM_ERR("write to '%s' failed (hint: disk full?)", path); goto done; }
    }
    f = K > 1 ? open_memstream(&mem, &nmem) : af.f;
    if (!f) { PARM_ERR("out of memory for the records of rank %d", parm_dist_rank()); goto done; }
    parm_progress prog;
    parm_progress_start(&prog, o->test ? "paths (test prompts)" : "paths (train prompts)", "path", (hi - lo) * N);
    int lrc = 0;
    for (long i = lo; i < hi && !lrc; i++) {
        lrc = generate_prompt(g, vq, o, &so, &prompts[i], (int)i, f, path, seeds, cls, rec, verdict, eq, rd, &correct);
        if (!lrc && !o->quiet && lead) {
            char extra[96];
            snprintf(extra, sizeof extra, "final images correct %.3f", (double)correct / ((i - lo + 1) * N));
            parm_progress_update(&prog, (i - lo + 1) * N, extra);
        }
    }
    if (K > 1) { /* every rank gets here, failed or not */
        if (fclose(f) && !lrc) lrc = PARM_ERR("out of memory for the records of rank %d", parm_dist_rank());
        f = NULL;
        double c = (double)correct;
        if (parm_dist_gather(mem, nmem, &all, &nall, lrc) || parm_dist_sum(&c, 1, 0)) goto done;
        correct = (long)c;
        if (lead && fwrite(all, 1, nall, af.f) != nall) { PARM_ERR("write to '%s' failed (hint: disk full?)", path); goto done; }
    } else if (lrc) goto done;
    if (!o->quiet && lead) {
        char extra[96];
        snprintf(extra, sizeof extra, "final images correct %.3f", (double)correct / ((long)P * N));
        parm_progress_end(&prog, (hi - lo) * N, extra);
    }
    if (lead) {
        opened = 0;
        if (parm_atomic_commit(&af)) goto done;
    }
    if (acc) *acc = (double)correct / ((double)P * N);
    rc = 0;
done:
    if (opened) parm_atomic_abort(&af);
    if (f && K > 1) fclose(f);
    free(mem); free(all);
    free(prompts); free(seeds); free(cls); free(rec); free(verdict); free(eq); free(rd);
    return rc;
}
