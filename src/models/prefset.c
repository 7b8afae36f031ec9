/* prefset.c — preference sets (include/parm/prefset.h): sample K generator
 * paths per TRAIN prompt, keep each final image's tokens and grader verdict,
 * write the binary file atomically (a valid partial file every save_every
 * prompts, so a long run can resume); load it back trusting no byte;
 * enumerate (correct, incorrect) pairs; relabel by decoding and regrading. */
#include "parm/prefset.h"
#include "binfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HDR 64
#define TEXT 160
#define REC_FIXED 176
#define NTOK PARM_VQ_TOKENS
#define REC (REC_FIXED + 2 * NTOK)
#define NPIX (PARM_IMG * PARM_IMG)
static const char MAGIC[8] = {'P', 'A', 'R', 'M', 'P', 'R', 'E', 'F'};

const char *const parm_pref_label_names[PARM_PREF_NLABELERS] = {"grader", "orm", "parm"};

static uint32_t record_sum(const uint8_t *rec) { return record_checksum(rec, REC); }

int parm_prefset_alloc(parm_prefset *s, int n_prompts, int paths, int ncodes) {
    memset(s, 0, sizeof *s);
    if (n_prompts < 1 || paths < 1 || (long long)n_prompts * paths > PARM_PREFSET_MAX_PATHS)
        return PARM_ERR("preference set of %d prompts x %d paths: need >= 1 of each and at most %d paths", n_prompts,
                        paths, PARM_PREFSET_MAX_PATHS);
    if (ncodes < 2 || ncodes > 65536) return PARM_ERR("preference set codebook size %d outside [2, 65536]", ncodes);
    const size_t n = (size_t)n_prompts * paths;
    s->n_prompts = n_prompts;
    s->paths_per_prompt = paths;
    s->n = (int)n;
    s->ncodes = ncodes;
    s->prompt = parm_calloc(n, sizeof *s->prompt);
    s->path_seed = parm_calloc(n, sizeof *s->path_seed);
    s->verdict = parm_calloc(n, 1);
    s->tokens = parm_calloc(n * NTOK, sizeof *s->tokens);
    if (!s->prompt || !s->path_seed || !s->verdict || !s->tokens) {
        parm_prefset_free(s);
        return -1;
    }
    return 0;
}

void parm_prefset_free(parm_prefset *s) {
    free(s->prompt); free(s->path_seed); free(s->verdict); free(s->tokens);
    memset(s, 0, sizeof *s);
}

static void header_encode(uint8_t *h, const parm_prefset *s) {
    memset(h, 0, HDR);
    memcpy(h, MAGIC, 8);
    put32(h + 8, PARM_PREFSET_VERSION);
    put32(h + 12, HDR);
    put32(h + 16, (uint32_t)s->n_prompts);
    put32(h + 20, (uint32_t)s->paths_per_prompt);
    put32(h + 24, NTOK);
    put32(h + 28, (uint32_t)s->ncodes);
    put32(h + 32, REC);
    put32(h + 36, (uint32_t)s->steps);
    put64(h + 40, s->seed);
    put64(h + 48, s->vq_fingerprint);
    put32(h + 56, (uint32_t)s->labeler);
    put32(h + 60, fnv(FNV0, h, 60));
}

/* Path i of s into rec[REC], checked as a loader would check it. */
static int record_encode(uint8_t *rec, const parm_prefset *s, int i) {
    const char *text = s->prompt[i].text;
    size_t len = strlen(text);
    if (len >= TEXT) return PARM_ERR("path %d: prompt '%s' is longer than %d bytes", i, text, TEXT - 1);
    parm_prompt parsed;
    if (parm_prompt_parse(text, &parsed)) return -1;
    if (parm_prompt_is_test(&parsed))
        return PARM_ERR("path %d: prompt '%s' is a TEST prompt (preference sets hold train prompts only)", i, text);
    if (i % s->paths_per_prompt && strcmp(text, s->prompt[i - i % s->paths_per_prompt].text))
        return PARM_ERR("path %d: prompt '%s' differs from its prompt's first path", i, text);
    if (s->verdict[i] > 1) return PARM_ERR("path %d: verdict %d is not 0 or 1", i, s->verdict[i]);
    memset(rec, 0, REC_FIXED);
    memcpy(rec, text, len);
    put64(rec + 160, s->path_seed[i]);
    rec[168] = s->verdict[i];
    for (int k = 0; k < NTOK; k++) {
        uint16_t t = s->tokens[(size_t)i * NTOK + k];
        if (t >= s->ncodes) return PARM_ERR("path %d: token %d at %d outside the codebook [0, %d)", i, t, k, s->ncodes);
        rec[REC_FIXED + 2 * k] = (uint8_t)t;
        rec[REC_FIXED + 2 * k + 1] = (uint8_t)(t >> 8);
    }
    put32(rec + 172, record_sum(rec));
    return 0;
}

static int record_decode(const uint8_t *rec, parm_prefset *s, int i, const char *file) {
    if (get32(rec + 172) != record_sum(rec))
        return PARM_ERR("'%s': path %d: checksum mismatch (corrupted file; hint: make it again with `parm pairs`)", file, i);
    char text[TEXT];
    if (record_prompt(rec, file, i, &s->prompt[i], text)) return -1;
    if (parm_prompt_is_test(&s->prompt[i]))
        return PARM_ERR("'%s': path %d: prompt '%s' is a TEST prompt; preference sets hold train prompts only "
                        "(refusing the file)", file, i, text);
    const int K = s->paths_per_prompt;
    if (i % K && strcmp(text, s->prompt[i - i % K].text))
        return PARM_ERR("'%s': path %d: prompt '%s' differs from its prompt's first path '%s'", file, i, text,
                        s->prompt[i - i % K].text);
    if (rec[168] > 1 || rec[169] || rec[170] || rec[171])
        return PARM_ERR("'%s': path %d: verdict byte %d is not 0 or 1 (or reserved bytes set)", file, i, rec[168]);
    s->path_seed[i] = get64(rec + 160);
    s->verdict[i] = rec[168];
    for (int k = 0; k < NTOK; k++) {
        uint16_t t = (uint16_t)(rec[REC_FIXED + 2 * k] | rec[REC_FIXED + 2 * k + 1] << 8);
        if (t >= s->ncodes)
            return PARM_ERR("'%s': path %d: token %d at %d outside the codebook [0, %d)", file, i, t, k, s->ncodes);
        s->tokens[(size_t)i * NTOK + k] = t;
    }
    return 0;
}

int parm_prefset_load(parm_prefset *s, const char *path) {
    memset(s, 0, sizeof *s);
    FILE *f = parm_fopen(path, "rb");
    if (!f) return -1;
    struct stat st;
    uint8_t h[HDR], rec[REC];
    int rc = -1;
    if (fstat(fileno(f), &st) != 0) { PARM_ERR("cannot stat '%s': %s", path, strerror(errno)); goto done; }
    if (!S_ISREG(st.st_mode)) { PARM_ERR("'%s' is not a preference set: not a regular file", path); goto done; }
    const long long size = (long long)st.st_size;
    if (size < HDR || fread(h, 1, HDR, f) != HDR) {
        PARM_ERR("'%s' is not a preference set: %lld bytes, shorter than the %d-byte header (hint: make one with "
                 "`parm pairs`)", path, size, HDR);
        goto done;
    }
    if (memcmp(h, MAGIC, 8)) {
        PARM_ERR("'%s' is not a preference set (bad magic; hint: make one with `parm pairs`)", path);
        goto done;
    }
    uint32_t version = get32(h + 8);
    if (version != PARM_PREFSET_VERSION) {
        PARM_ERR("'%s': preference set version %u, this build reads version %d", path, version, PARM_PREFSET_VERSION);
        goto done;
    }
    if (get32(h + 60) != fnv(FNV0, h, 60)) {
        PARM_ERR("'%s': preference set header checksum mismatch (corrupted file)", path);
        goto done;
    }
    uint32_t hs = get32(h + 12), P = get32(h + 16), K = get32(h + 20), nt = get32(h + 24), nc = get32(h + 28);
    uint32_t R = get32(h + 32), steps = get32(h + 36);
    if (hs != HDR || nt != NTOK || R != REC || P < 1 || K < 1 || (unsigned long long)P * K > PARM_PREFSET_MAX_PATHS ||
        nc < 2 || nc > 65536 || steps > NTOK || get32(h + 56) >= PARM_PREF_NLABELERS) {
        PARM_ERR("'%s': bad preference set header (header %u, %u prompts x %u paths, %u tokens, %u codes, record %u, "
                 "steps %u, labeler %u)", path, hs, P, K, nt, nc, R, steps, get32(h + 56));
        goto done;
    }
    const long long want = HDR + (long long)P * K * R;
    if (size != want) {
        PARM_ERR("'%s': preference set is %lld bytes, its header (%u prompts x %u paths) promises %lld (truncated or "
                 "corrupted)", path, size, P, K, want);
        goto done;
    }
    if (parm_prefset_alloc(s, (int)P, (int)K, (int)nc)) goto done;
    s->steps = (int)steps;
    s->labeler = (int)get32(h + 56);
    s->seed = get64(h + 40);
    s->vq_fingerprint = get64(h + 48);
    for (int i = 0; i < s->n; i++) {
        if (fread(rec, 1, REC, f) != REC) { PARM_ERR("'%s': read failed at path %d", path, i); goto done; }
        if (record_decode(rec, s, i, path)) goto done;
    }
    rc = 0;
done:
    fclose(f);
    if (rc && s->n) parm_prefset_free(s); /* keeps the error message */
    return rc;
}

int parm_prefset_save(const parm_prefset *s, const char *path) {
    if (s->n < 1 || s->n != s->n_prompts * s->paths_per_prompt || s->ncodes < 2 || s->ncodes > 65536 || s->steps < 0 ||
        s->steps > NTOK || s->labeler < 0 || s->labeler >= PARM_PREF_NLABELERS)
        return PARM_ERR("preference set to save is malformed (%d paths, %d x %d, %d codes)", s->n, s->n_prompts,
                        s->paths_per_prompt, s->ncodes);
    uint8_t h[HDR], rec[REC];
    parm_atomic_file af;
    if (parm_atomic_open(&af, path)) return -1;
    header_encode(h, s);
    int bad = fwrite(h, 1, HDR, af.f) != HDR;
    for (int i = 0; i < s->n && !bad; i++) {
        if (record_encode(rec, s, i)) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", parm_last_error());
            parm_atomic_abort(&af);
            return PARM_ERR("preference set '%s': %s", path, msg);
        }
        bad = fwrite(rec, 1, REC, af.f) != REC;
    }
    if (bad) {
        parm_atomic_abort(&af);
        return PARM_ERR("write to '%s' failed (hint: disk full?)", path);
    }
    return parm_atomic_commit(&af);
}

int parm_prefset_pairs(const parm_prefset *s, int max_per_prompt, parm_pref_pair **pairs) {
    *pairs = NULL;
    const int K = s->paths_per_prompt;
    long total = 0;
    for (int p = 0; p < s->n_prompts; p++) {
        int c = 0;
        for (int k = 0; k < K; k++) c += s->verdict[p * K + k];
        long m = (long)c * (K - c);
        total += max_per_prompt > 0 && m > max_per_prompt ? max_per_prompt : m;
    }
    if (total == 0) return 0;
    if (total > 0x7fffffffL) return PARM_ERR("%ld preference pairs: too many", total);
    parm_pref_pair *out = parm_malloc(sizeof *out * total);
    if (!out) return -1;
    int n = 0, good[256], bad[256];
    for (int p = 0; p < s->n_prompts; p++) {
        int c = 0, w = 0;
        for (int k = 0; k < K && k < 256; k++) {
            if (s->verdict[p * K + k]) good[c++] = p * K + k;
            else bad[w++] = p * K + k;
        }
        long m = (long)c * w, take = max_per_prompt > 0 && m > max_per_prompt ? max_per_prompt : m;
        /* pairing r: chosen good[r % c], rejected bad[(r / c + r) % w] — each correct path once before any twice */
        for (long r = 0; r < take; r++) {
            out[n].chosen = good[r % c];
            out[n].rejected = bad[(r / c + r) % w];
            n++;
        }
    }
    *pairs = out;
    return n;
}

/* The tokens of s decode only with the VQ they were sampled with. 0 / -1. */
static int check_vq(const parm_prefset *s, parm_vq *vq) {
    if (parm_vq_fingerprint(vq) != s->vq_fingerprint)
        return PARM_ERR("relabel: the tokenizer's fingerprint %016llx is not the set's %016llx (decode with the VQ "
                        "the set was sampled with)", (unsigned long long)parm_vq_fingerprint(vq),
                        (unsigned long long)s->vq_fingerprint);
    if (vq->cfg.ncodes != s->ncodes) return PARM_ERR("relabel: VQ has %d codes, the set %d", vq->cfg.ncodes, s->ncodes);
    return 0;
}

int parm_prefset_relabel(parm_prefset *s, parm_vq *vq) {
    if (s->labeler != PARM_PREF_LABEL_GRADER)
        return PARM_ERR("relabel: the set was labeled by %s guidance, not the grader (regrading would replace the "
                        "reward model's labels; sample a grader set instead)", parm_pref_label_names[s->labeler]);
    if (check_vq(s, vq)) return -1;
    enum { CH = 32 };
    int *tok = parm_malloc(sizeof(int) * CH * NTOK);
    uint8_t *img = parm_malloc((size_t)CH * NPIX * 3);
    int changed = 0, rc = -1;
    if (!tok || !img) goto done;
    for (int i0 = 0; i0 < s->n; i0 += CH) {
        int nb = s->n - i0 < CH ? s->n - i0 : CH;
        for (int k = 0; k < nb * NTOK; k++) tok[k] = s->tokens[(size_t)i0 * NTOK + k];
        if (parm_vq_decode(vq, tok, nb, img, NULL)) goto done;
        for (int b = 0; b < nb; b++) {
            char why[256];
            int v = parm_grade(img + (size_t)b * NPIX * 3, &s->prompt[i0 + b], why, sizeof why) == 1;
            changed += v != s->verdict[i0 + b];
            s->verdict[i0 + b] = (uint8_t)v;
        }
    }
    rc = changed;
done:
    free(tok);
    free(img);
    return rc;
}

int parm_prefset_relabel_final(parm_prefset *s, parm_vq *vq, int labeler, parm_pref_label_fn label, void *ctx,
                               int quiet) {
    if (labeler != PARM_PREF_LABEL_ORM || !label)
        return PARM_ERR("relabel: only a final-image labeler (orm, orm-zs) can relabel kept tokens; %s needs every "
                        "step image (sample a set with that labeler instead)",
                        labeler >= 0 && labeler < PARM_PREF_NLABELERS ? parm_pref_label_names[labeler] : "?");
    if (check_vq(s, vq)) return -1;
    const int K = s->paths_per_prompt, T = s->steps;
    if (T < 1) return PARM_ERR("relabel: the set records %d sampler steps", T);
    const size_t step_sz = (size_t)NPIX * 3;
    int *tok = parm_malloc(sizeof(int) * K * NTOK);
    uint8_t *img = parm_malloc(step_sz * K), *steps = parm_calloc((size_t)K * T, step_sz), *v = parm_malloc(K);
    int changed = 0, rc = -1;
    if (!tok || !img || !steps || !v) goto done;
    parm_progress prog;
    if (!quiet) parm_progress_start(&prog, "relabel", "path", s->n);
    for (int i = 0; i < s->n_prompts; i++) {
        for (int k = 0; k < K * NTOK; k++) tok[k] = s->tokens[(size_t)i * K * NTOK + k];
        if (parm_vq_decode(vq, tok, K, img, NULL)) goto done;
        /* the labeler reads only each path's last step (the final image) */
        for (int k = 0; k < K; k++) memcpy(steps + step_sz * ((size_t)k * T + T - 1), img + step_sz * k, step_sz);
        if (label(ctx, &s->prompt[i * K], K, T, steps, v)) goto done;
        for (int k = 0; k < K; k++) {
            changed += v[k] != s->verdict[i * K + k];
            s->verdict[i * K + k] = v[k];
        }
        if (!quiet) parm_progress_update(&prog, (long)(i + 1) * K, NULL);
    }
    if (!quiet) parm_progress_end(&prog, s->n, NULL);
    s->labeler = labeler;
    rc = changed;
done:
    free(tok);
    free(img);
    free(steps);
    free(v);
    return rc;
}

/* ---- generation ---- */
parm_prefset_gen_opts parm_prefset_gen_defaults(void) {
    parm_prefset_gen_opts o = {.n_prompts = 64, .paths = 8, .seed = 0, .save_every = 64};
    o.sample = parm_sample_defaults();
    return o;
}

/* A partial set: the first `done` prompts of s, saved as a valid file. */
static int save_prefix(parm_prefset *s, int done, const char *path) {
    const int P = s->n_prompts, n = s->n;
    s->n_prompts = done;
    s->n = done * s->paths_per_prompt;
    int rc = parm_prefset_save(s, path);
    s->n_prompts = P;
    s->n = n;
    return rc;
}

/* resume: the set at path must be a prefix of this run (same seed, K, codes, steps, prompts) */
static int resume_from(parm_prefset *s, const char *path, int *done) {
    parm_prefset old;
    if (parm_prefset_load(&old, path)) return -1;
    int rc = -1;
    if (old.seed != s->seed || old.paths_per_prompt != s->paths_per_prompt || old.ncodes != s->ncodes ||
        old.steps != s->steps || old.vq_fingerprint != s->vq_fingerprint || old.n_prompts > s->n_prompts ||
        old.labeler != s->labeler) {
        PARM_ERR("--resume: '%s' was drawn with seed %llu, %d paths, %d steps, %d prompts, labeler %s (this run: seed "
                 "%llu, %d paths, %d steps, %d prompts, labeler %s) or another tokenizer", path,
                 (unsigned long long)old.seed, old.paths_per_prompt, old.steps, old.n_prompts,
                 parm_pref_label_names[old.labeler], (unsigned long long)s->seed, s->paths_per_prompt, s->steps,
                 s->n_prompts, parm_pref_label_names[s->labeler]);
        goto done;
    }
    for (int i = 0; i < old.n; i++)
        if (strcmp(old.prompt[i].text, s->prompt[i].text)) {
            PARM_ERR("--resume: '%s' path %d has prompt '%s', this run draws '%s'", path, i, old.prompt[i].text,
                     s->prompt[i].text);
            goto done;
        }
    memcpy(s->path_seed, old.path_seed, sizeof *old.path_seed * old.n);
    memcpy(s->verdict, old.verdict, old.n);
    memcpy(s->tokens, old.tokens, sizeof *old.tokens * old.n * NTOK);
    *done = old.n_prompts;
    rc = 0;
done:
    parm_prefset_free(&old);
    return rc;
}

int parm_prefset_generate(parm_gen *g, parm_vq *vq, const parm_prefset_gen_opts *o, const char *path, double *acc) {
    const int P = o->n_prompts, K = o->paths, T = o->sample.steps;
    if (K > 256) return PARM_ERR("preference set: %d paths per prompt, at most 256", K);
    if (o->labeler < 0 || o->labeler >= PARM_PREF_NLABELERS || (o->labeler != PARM_PREF_LABEL_GRADER && !o->label))
        return PARM_ERR("preference set: labeler %d needs a label function (0 = the grader)", o->labeler);
    parm_sample_opts so = o->sample;
    const size_t step_sz = (size_t)NPIX * 3;
    uint8_t *steps = NULL; /* [K,T,64,64,3] every step image, for a reward model's labels */
    if (o->labeler != PARM_PREF_LABEL_GRADER) {
        so.step_images = 1; /* decodes images only: the tokens drawn are the same */
        if (!(steps = parm_malloc(step_sz * K * T))) return -1;
    }
    parm_prefset s;
    if (parm_prefset_alloc(&s, P, K, g->cfg.ncodes)) { free(steps); return -1; }
    s.seed = o->seed;
    s.steps = T;
    s.labeler = o->labeler;
    s.vq_fingerprint = parm_vq_fingerprint(vq);
    uint64_t seeds[256];
    int rc = -1, done = 0;
    parm_rng rng;
    parm_rng_seed(&rng, o->seed, PARM_STREAM_PROMPT);
    for (int i = 0; i < P; i++) {
        parm_prompt p;
        parm_prompt_sample_train(&rng, &p);
        for (int k = 0; k < K; k++) s.prompt[i * K + k] = p;
    }
    if (o->resume && resume_from(&s, path, &done)) goto out;
    parm_progress prog;
    parm_progress_start(&prog, "pairs (train prompts)", "path", (long)P * K);
    for (int i = done; i < P; i++) {
        for (int k = 0; k < K; k++) seeds[k] = parm_seed_of(o->seed << 32, (uint64_t)i * K + k, 0);
        parm_sample_run r;
        if (parm_sample_begin(g, &r, &s.prompt[i * K], K, seeds, &so)) goto out;
        int st;
        while ((st = parm_sample_step(g, vq, &r)) >= 0) {
            if (steps) /* every path runs every step (1 = the last one was just run): r.step - 1 is it */
                for (int k = 0; k < K; k++)
                    memcpy(steps + step_sz * ((size_t)k * T + r.step - 1), r.images + step_sz * k, step_sz);
            if (st > 0) break;
        }
        if (st > 0) {
            for (int k = 0; k < K; k++) {
                const int j = i * K + k;
                char why[256];
                s.path_seed[j] = seeds[k];
                if (!steps)
                    s.verdict[j] = parm_grade(r.images + step_sz * k, &s.prompt[j], why, sizeof why) == 1;
                for (int t = 0; t < NTOK; t++) s.tokens[(size_t)j * NTOK + t] = (uint16_t)r.tokens[k * NTOK + t];
            }
            if (steps && o->label(o->label_ctx, &s.prompt[i * K], K, T, steps, &s.verdict[i * K])) st = -1;
        }
        parm_sample_end(&r);
        if (st < 0) goto out;
        if (o->save_every > 0 && (i + 1) % o->save_every == 0 && i + 1 < P && save_prefix(&s, i + 1, path)) goto out;
        if (!o->quiet) {
            long c = 0;
            for (int j = 0; j < (i + 1) * K; j++) c += s.verdict[j];
            char extra[96];
            snprintf(extra, sizeof extra, "correct %.3f", (double)c / ((long)(i + 1) * K));
            parm_progress_update(&prog, (long)(i + 1) * K, extra);
        }
    }
    if (!o->quiet) parm_progress_end(&prog, (long)P * K, NULL);
    if (parm_prefset_save(&s, path)) goto out;
    if (acc) {
        long c = 0;
        for (int j = 0; j < s.n; j++) c += s.verdict[j];
        *acc = (double)c / s.n;
    }
    rc = 0;
out:
    parm_prefset_free(&s);
    free(steps);
    return rc;
}
