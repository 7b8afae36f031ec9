/* safetensors.c — read (mmap, strictly validated) and write (atomic)
 * safetensors files; F32/F16/BF16/I32 with round-to-nearest-even
 * conversions; whole-slab save/load and training checkpoints.
 *
 * File layout (https://github.com/huggingface/safetensors):
 *   u64 little-endian N | N bytes of JSON header | data region
 *   header = { "name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...,
 *              "__metadata__": {"key": "string", ...} }
 *   offsets are relative to the data region. Like the reference reader we
 *   require the tensors to tile the data region exactly (no overlap, no gap).
 *
 * Checkpoint layout (parm_ckpt_*): weights under their view names, AdamW
 * moments under "optim.m.<name>" / "optim.v.<name>", all F32; metadata
 * "parm_format" = "parm-ckpt-1", "step", "rng_s0".."rng_s3" (decimal uint64)
 * plus the caller's pairs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "parm/nn.h"

#define ST_MAX_HEADER (100u << 20) /* the reference implementation's limit */
#define CKPT_FORMAT "parm-ckpt-1"

static const char *const dtype_names[] = {"F32", "F16", "BF16", "I32"};
static const size_t dtype_sizes[] = {4, 2, 2, 4};

const char *parm_dtype_name(parm_dtype t) {
    return (unsigned)t < sizeof dtype_names / sizeof *dtype_names ? dtype_names[t] : "?";
}

/* ---- conversions (round to nearest even; NaN stays NaN, overflow → ±inf) ---- */
uint16_t parm_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t a = x & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00u | (uint16_t)((a >> 13) & 0x3ffu); /* NaN (quiet) */
    if (a >= 0x47800000u) return sign | 0x7c00u;                                /* ≥ 2^16: inf */
    if (a >= 0x38800000u) {                                                     /* normal half */
        uint32_t r = a - 0x38000000u; /* rebias exponent 127 → 15 */
        uint32_t h = r >> 13, rem = r & 0x1fffu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* may carry into inf: correct */
        return (uint16_t)(sign | h);
    }
    if (a <= 0x33000000u) return sign; /* ≤ 2^-25 rounds to (signed) zero */
    uint32_t e = a >> 23, mant = (a & 0x7fffffu) | 0x800000u;
    int shift = 126 - (int)e; /* value / 2^-24 = mant >> shift, shift in 14..24 */
    uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

float parm_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0) {
        float v = (float)m * 0x1p-24f; /* zero or subnormal: exact */
        return sign ? -v : v;
    }
    if (e == 31) x = sign | 0x7f800000u | (m << 13);
    else x = sign | ((e + 112u) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

uint16_t parm_f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u); /* quiet NaN */
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

float parm_bf16_to_f32(uint16_t h) {
    uint32_t x = (uint32_t)h << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* ---- reader ---- */
static void st_free_contents(parm_st_file *f) {
    if (f->map) munmap(f->map, f->size);
    free(f->tensors);
    for (int i = 0; i < f->nmeta; i++) free(f->meta_vals[i]);
    free(f->meta_keys);
    free(f->meta_vals);
}

void parm_st_close(parm_st_file *f) {
    if (!f) return;
    st_free_contents(f);
    memset(f, 0, sizeof *f);
}

/* A JSON number that is an integer in [0, 2^53]. */
static int json_uint(const cJSON *j, uint64_t *out) {
    if (!cJSON_IsNumber(j)) return 0;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d) return 0;
    *out = (uint64_t)d;
    return 1;
}

static void shape_str(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < ndim && k < n; d++) k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? "," : "", (long long)shape[d]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

typedef struct {
    uint64_t b, e;
    int i;
} st_span;
static int span_cmp(const void *a, const void *b) {
    const st_span *x = a, *y = b;
    if (x->b != y->b) return x->b < y->b ? -1 : 1;
    if (x->e != y->e) return x->e < y->e ? -1 : 1;
    return 0;
}

/* Parse and validate the header JSON into f->tensors / f->meta_*. */
static int st_parse_header(parm_st_file *f, const char *hdr, size_t hl, const unsigned char *data, uint64_t dsize) {
    const char *P = f->path;
    if (memchr(hdr, 0, hl)) return PARM_ERR("'%s': corrupt safetensors header (contains a NUL byte)", P);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, hl, &end, 0);
    if (!root) {
        long at = end ? (long)(end - hdr) : -1;
        const char *ep = cJSON_GetErrorPtr();
        if (at < 0 && ep >= hdr && ep <= hdr + hl) at = (long)(ep - hdr);
        return PARM_ERR("'%s': safetensors header is not valid JSON (near byte %ld of %zu)", P, at, hl);
    }
    int rc = -1;
    st_span *spans = NULL;
    if (end) /* only whitespace may follow the JSON object (the format pads with spaces) */
        for (const char *c = end; c < hdr + hl; c++)
            if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r') {
                PARM_ERR("'%s': unexpected bytes after the safetensors header JSON (byte %ld of %zu)", P,
                         (long)(c - hdr), hl);
                goto done;
            }
    if (!cJSON_IsObject(root)) {
        PARM_ERR("'%s': safetensors header must be a JSON object", P);
        goto done;
    }
    int nt = 0, nm = 0;
    for (cJSON *c = root->child; c; c = c->next) {
        if (!c->string) { PARM_ERR("'%s': header entry without a name", P); goto done; }
        if (!strcmp(c->string, "__metadata__")) {
            if (nm++) { PARM_ERR("'%s': two __metadata__ entries", P); goto done; }
        } else nt++;
    }
    f->tensors = parm_calloc((size_t)nt + 1, sizeof *f->tensors);
    spans = parm_calloc((size_t)nt + 1, sizeof *spans);
    if (!f->tensors || !spans) goto done;
    for (cJSON *c = root->child; c; c = c->next) {
        const char *name = c->string;
        if (!strcmp(name, "__metadata__")) {
            if (!cJSON_IsObject(c)) { PARM_ERR("'%s': __metadata__ must be an object of strings", P); goto done; }
            int k = cJSON_GetArraySize(c);
            f->meta_keys = parm_calloc((size_t)k + 1, sizeof *f->meta_keys);
            f->meta_vals = parm_calloc((size_t)k + 1, sizeof *f->meta_vals);
            if (!f->meta_keys || !f->meta_vals) goto done;
            for (cJSON *m = c->child; m; m = m->next) {
                if (!m->string || !cJSON_IsString(m)) {
                    PARM_ERR("'%s': __metadata__ value for '%s' is not a string", P, m->string ? m->string : "?");
                    goto done;
                }
                if (strlen(m->string) >= sizeof f->meta_keys[0]) {
                    PARM_ERR("'%s': __metadata__ key '%.40s...' longer than %zu characters", P, m->string,
                             sizeof f->meta_keys[0] - 1);
                    goto done;
                }
                for (int j = 0; j < f->nmeta; j++)
                    if (!strcmp(f->meta_keys[j], m->string)) {
                        PARM_ERR("'%s': duplicate __metadata__ key '%s'", P, m->string);
                        goto done;
                    }
                strcpy(f->meta_keys[f->nmeta], m->string);
                f->meta_vals[f->nmeta] = parm_strdup(m->valuestring);
                if (!f->meta_vals[f->nmeta]) goto done;
                f->nmeta++;
            }
            continue;
        }
        size_t len = strlen(name);
        if (len == 0 || len >= PARM_NAME_MAX) {
            PARM_ERR("'%s': tensor name '%.60s' must be 1..%d characters", P, name, PARM_NAME_MAX - 1);
            goto done;
        }
        for (int j = 0; j < f->n; j++)
            if (!strcmp(f->tensors[j].name, name)) { PARM_ERR("'%s': duplicate tensor '%s'", P, name); goto done; }
        if (!cJSON_IsObject(c)) { PARM_ERR("'%s': tensor '%s': entry is not an object", P, name); goto done; }
        parm_st_tensor *t = &f->tensors[f->n];
        memcpy(t->name, name, len + 1);
        const cJSON *jd = cJSON_GetObjectItemCaseSensitive(c, "dtype");
        const cJSON *js = cJSON_GetObjectItemCaseSensitive(c, "shape");
        const cJSON *jo = cJSON_GetObjectItemCaseSensitive(c, "data_offsets");
        if (!cJSON_IsString(jd)) { PARM_ERR("'%s': tensor '%s': missing or non-string dtype", P, name); goto done; }
        int dt = -1;
        for (int k = 0; k < 4; k++)
            if (!strcmp(jd->valuestring, dtype_names[k])) dt = k;
        if (dt < 0) {
            PARM_ERR("'%s': tensor '%s': unsupported dtype '%.16s' (supported: F32 F16 BF16 I32)", P, name,
                     jd->valuestring);
            goto done;
        }
        t->dtype = (parm_dtype)dt;
        if (!cJSON_IsArray(js)) { PARM_ERR("'%s': tensor '%s': missing shape array", P, name); goto done; }
        int nd = cJSON_GetArraySize(js);
        if (nd > PARM_MAX_DIMS) {
            PARM_ERR("'%s': tensor '%s': %d dims, at most %d supported", P, name, nd, PARM_MAX_DIMS);
            goto done;
        }
        t->ndim = nd;
        uint64_t numel = 1;
        int d = 0;
        for (const cJSON *x = js->child; x; x = x->next, d++) {
            uint64_t v;
            if (!json_uint(x, &v) || v > ((uint64_t)1 << 40)) {
                PARM_ERR("'%s': tensor '%s': shape dim %d is not a non-negative integer", P, name, d);
                goto done;
            }
            t->shape[d] = (int64_t)v;
            if (v && numel > (((uint64_t)1 << 62) / v)) {
                PARM_ERR("'%s': tensor '%s': shape too large", P, name);
                goto done;
            }
            numel *= v;
        }
        t->numel = (size_t)numel;
        uint64_t ob, oe;
        if (!cJSON_IsArray(jo) || cJSON_GetArraySize(jo) != 2 || !json_uint(jo->child, &ob) ||
            !json_uint(jo->child->next, &oe) || ob > oe) {
            PARM_ERR("'%s': tensor '%s': data_offsets must be [begin, end] integers with begin <= end", P, name);
            goto done;
        }
        if (oe > dsize) {
            PARM_ERR("'%s': tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] run past the data region (%" PRIu64
                     " bytes; file truncated?)", P, name, ob, oe, dsize);
            goto done;
        }
        if (oe - ob != numel * dtype_sizes[dt]) {
            char sb[128];
            shape_str(sb, sizeof sb, nd, t->shape);
            PARM_ERR("'%s': tensor '%s': shape %s %s needs %" PRIu64 " bytes but data_offsets span %" PRIu64, P,
                     name, sb, dtype_names[dt], numel * dtype_sizes[dt], oe - ob);
            goto done;
        }
        t->data = data + ob;
        spans[f->n] = (st_span){ob, oe, f->n};
        f->n++;
    }
    /* The tensors must tile the data region: sorted by begin, each starts where the last ended. */
    qsort(spans, (size_t)f->n, sizeof *spans, span_cmp);
    uint64_t at = 0;
    for (int k = 0; k < f->n; k++) {
        if (spans[k].b < at) {
            PARM_ERR("'%s': tensor '%s' overlaps tensor '%s' in the data region", P, f->tensors[spans[k].i].name,
                     f->tensors[spans[k - 1].i].name);
            goto done;
        }
        if (spans[k].b > at) {
            PARM_ERR("'%s': gap of %" PRIu64 " unused bytes before tensor '%s' in the data region", P,
                     spans[k].b - at, f->tensors[spans[k].i].name);
            goto done;
        }
        at = spans[k].e;
    }
    if (at != dsize) {
        PARM_ERR("'%s': data region has %" PRIu64 " bytes but the tensors cover %" PRIu64 " (corrupt file?)", P, dsize,
                 at);
        goto done;
    }
    rc = 0;
done:
    free(spans);
    cJSON_Delete(root);
    return rc;
}

int parm_st_open(parm_st_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    if (strlen(path) >= sizeof f->path) return PARM_ERR("path too long: '%.80s...'", path);
    strcpy(f->path, path);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return PARM_ERR("cannot open '%s': %s%s", path, strerror(errno),
                        errno == ENOENT ? " (hint: check the path, or train/download the model first)" : "");
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return PARM_ERR("'%s' is not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    if (size < 8) {
        close(fd);
        return PARM_ERR("'%s' is not a safetensors file: %zu bytes, shorter than the 8-byte header length", path, size);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) return PARM_ERR("cannot map '%s': %s", path, strerror(e));
    f->map = map;
    f->size = size;
    const unsigned char *b = map;
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | b[i];
    if (hl > size - 8 || hl > ST_MAX_HEADER || hl < 2) {
        PARM_ERR("'%s' is not a valid safetensors file: header length %" PRIu64 " but the file has %zu bytes "
                 "(truncated or not safetensors?)", path, hl, size);
        parm_st_close(f);
        return -1;
    }
    if (st_parse_header(f, (const char *)b + 8, (size_t)hl, b + 8 + hl, size - 8 - hl)) {
        parm_st_close(f);
        return -1;
    }
    return 0;
}

const parm_st_tensor *parm_st_find(const parm_st_file *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

const char *parm_st_meta(const parm_st_file *f, const char *key) {
    for (int i = 0; i < f->nmeta; i++)
        if (!strcmp(f->meta_keys[i], key)) return f->meta_vals[i];
    return NULL;
}

/* Find `name` and check its shape; NULL (with a clear error) if absent or different. */
static const parm_st_tensor *st_lookup(const parm_st_file *f, const char *name, int ndim, const int64_t *shape) {
    const parm_st_tensor *t = parm_st_find(f, name);
    if (!t) {
        PARM_ERR("'%s' has no tensor '%s' (hint: was it written by a different model or version?)", f->path, name);
        return NULL;
    }
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    if (!same) {
        char a[128], b[128];
        shape_str(a, sizeof a, t->ndim, t->shape);
        shape_str(b, sizeof b, ndim, shape);
        PARM_ERR("'%s': tensor '%s' has shape %s in the file, expected %s (hint: model config mismatch)", f->path,
                 name, a, b);
        return NULL;
    }
    return t;
}

static void st_convert_f32(const parm_st_tensor *t, float *dst) {
    const unsigned char *src = t->data;
    size_t n = t->numel;
    switch (t->dtype) {
    case PARM_F32: memcpy(dst, src, n * 4); break;
    case PARM_F16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            dst[i] = parm_f16_to_f32(h);
        }
        break;
    case PARM_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            dst[i] = parm_bf16_to_f32(h);
        }
        break;
    case PARM_I32:
        for (size_t i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, src + 4 * i, 4);
            dst[i] = (float)v;
        }
        break;
    }
}

int parm_st_read_f32(const parm_st_file *f, const char *name, float *dst, int ndim, const int64_t *shape) {
    const parm_st_tensor *t = st_lookup(f, name, ndim, shape);
    if (!t) return -1;
    st_convert_f32(t, dst);
    return 0;
}

int parm_st_read_i32(const parm_st_file *f, const char *name, int32_t *dst, int ndim, const int64_t *shape) {
    const parm_st_tensor *t = st_lookup(f, name, ndim, shape);
    if (!t) return -1;
    if (t->dtype != PARM_I32)
        return PARM_ERR("'%s': tensor '%s' is %s, expected I32", f->path, name, dtype_names[t->dtype]);
    memcpy(dst, t->data, t->numel * 4);
    return 0;
}

/* ---- writer ---- */
static size_t entry_numel(const parm_st_entry *e) {
    size_t n = 1;
    for (int d = 0; d < e->ndim; d++) n *= (size_t)e->shape[d];
    return n;
}

static int write_converted(FILE *fp, const parm_st_entry *e) {
    size_t n = entry_numel(e);
    if (e->dtype == PARM_F32 || e->dtype == PARM_I32) return fwrite(e->data, 4, n, fp) == n ? 0 : -1;
    uint16_t buf[4096];
    const float *src = e->data;
    for (size_t i = 0; i < n; i += 4096) {
        size_t k = n - i < 4096 ? n - i : 4096;
        for (size_t j = 0; j < k; j++)
            buf[j] = e->dtype == PARM_F16 ? parm_f32_to_f16(src[i + j]) : parm_f32_to_bf16(src[i + j]);
        if (fwrite(buf, 2, k, fp) != k) return -1;
    }
    return 0;
}

int parm_st_write(const char *path, const parm_st_entry *entries, int n, const char *const *meta_kv, int nmeta) {
    if (n < 0 || nmeta < 0 || (n && !entries) || (nmeta && !meta_kv))
        return PARM_ERR("parm_st_write('%s'): bad arguments", path);
    for (int i = 0; i < n; i++) {
        const parm_st_entry *e = &entries[i];
        if (!e->name || !*e->name || strlen(e->name) >= PARM_NAME_MAX || !strcmp(e->name, "__metadata__"))
            return PARM_ERR("parm_st_write('%s'): bad tensor name '%s'", path, e->name ? e->name : "(null)");
        if ((unsigned)e->dtype > PARM_I32 || e->ndim < 0 || e->ndim > PARM_MAX_DIMS)
            return PARM_ERR("parm_st_write('%s'): tensor '%s': bad dtype or ndim", path, e->name);
        for (int d = 0; d < e->ndim; d++)
            if (e->shape[d] < 0 || e->shape[d] > ((int64_t)1 << 40))
                return PARM_ERR("parm_st_write('%s'): tensor '%s': bad shape", path, e->name);
        if (!e->data && entry_numel(e)) return PARM_ERR("parm_st_write('%s'): tensor '%s' has no data", path, e->name);
        for (int j = 0; j < i; j++)
            if (!strcmp(entries[j].name, e->name))
                return PARM_ERR("parm_st_write('%s'): duplicate tensor '%s'", path, e->name);
    }
    for (int i = 0; i < nmeta; i++)
        if (!meta_kv[2 * i] || !meta_kv[2 * i + 1] || !*meta_kv[2 * i] || strlen(meta_kv[2 * i]) >= 64)
            return PARM_ERR("parm_st_write('%s'): metadata pair %d needs a key of 1..63 characters and a value", path, i);
    for (int i = 0; i < nmeta; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(meta_kv[2 * i], meta_kv[2 * j]))
                return PARM_ERR("parm_st_write('%s'): duplicate metadata key '%s'", path, meta_kv[2 * i]);

    cJSON *root = cJSON_CreateObject();
    if (!root) return PARM_ERR("out of memory building the header for '%s'", path);
    int ok = 1;
    if (nmeta) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        ok = m != NULL;
        for (int i = 0; ok && i < nmeta; i++) ok = cJSON_AddStringToObject(m, meta_kv[2 * i], meta_kv[2 * i + 1]) != NULL;
    }
    uint64_t off = 0;
    for (int i = 0; ok && i < n; i++) {
        const parm_st_entry *e = &entries[i];
        uint64_t bytes = (uint64_t)entry_numel(e) * dtype_sizes[e->dtype];
        cJSON *t = cJSON_AddObjectToObject(root, e->name);
        cJSON *sh = t ? cJSON_AddArrayToObject(t, "shape") : NULL;
        cJSON *of = t ? cJSON_AddArrayToObject(t, "data_offsets") : NULL;
        ok = t && sh && of && cJSON_AddStringToObject(t, "dtype", dtype_names[e->dtype]);
        for (int d = 0; ok && d < e->ndim; d++) ok = cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)e->shape[d]));
        ok = ok && cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        ok = ok && cJSON_AddItemToArray(of, cJSON_CreateNumber((double)(off + bytes)));
        off += bytes;
    }
    char *js = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!js) return PARM_ERR("out of memory building the header for '%s'", path);
    size_t hl = strlen(js), pad = (8 - hl % 8) % 8;
    unsigned char lenb[8];
    for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)(((uint64_t)(hl + pad)) >> (8 * i));

    parm_atomic_file af;
    if (parm_atomic_open(&af, path)) {
        free(js);
        return -1;
    }
    int bad = fwrite(lenb, 1, 8, af.f) != 8 || fwrite(js, 1, hl, af.f) != hl || fwrite("        ", 1, pad, af.f) != pad;
    free(js);
    for (int i = 0; !bad && i < n; i++) bad = write_converted(af.f, &entries[i]) != 0;
    if (bad) {
        int e = errno;
        parm_atomic_abort(&af);
        return PARM_ERR("write to '%s' failed: %s (hint: disk full?)", path, strerror(e));
    }
    return parm_atomic_commit(&af);
}

/* ---- slab and checkpoint I/O ---- */
static void view_entry(parm_st_entry *e, const parm_view *v, const char *name, parm_dtype dt, const float *data) {
    e->name = name;
    e->dtype = dt;
    e->ndim = v->ndim;
    for (int d = 0; d < v->ndim; d++) e->shape[d] = v->shape[d];
    e->data = data;
}

int parm_slab_save(const parm_slab *s, const char *path, parm_dtype dtype, const char *const *meta_kv, int nmeta) {
    if (!s->w) return PARM_ERR("parm_slab_save('%s'): slab not allocated", path);
    if (dtype != PARM_F32 && dtype != PARM_F16 && dtype != PARM_BF16)
        return PARM_ERR("parm_slab_save('%s'): weights are saved as F32, F16 or BF16", path);
    parm_st_entry *ents = parm_calloc((size_t)s->n + 1, sizeof *ents);
    if (!ents) return -1;
    for (int i = 0; i < s->n; i++) view_entry(&ents[i], &s->views[i], s->views[i].name, dtype, parm_w(s, i));
    int rc = parm_st_write(path, ents, s->n, meta_kv, nmeta);
    free(ents);
    return rc;
}

int parm_slab_load(parm_slab *s, const char *path) {
    if (!s->w) return PARM_ERR("parm_slab_load('%s'): slab not allocated", path);
    parm_st_file f;
    if (parm_st_open(&f, path)) return -1;
    const parm_st_tensor **ts = parm_calloc((size_t)s->n + 1, sizeof *ts);
    int rc = ts ? 0 : -1;
    for (int i = 0; !rc && i < s->n; i++) /* validate everything before touching the slab */
        if (!(ts[i] = st_lookup(&f, s->views[i].name, s->views[i].ndim, s->views[i].shape))) rc = -1;
    for (int i = 0; !rc && i < s->n; i++) st_convert_f32(ts[i], parm_w(s, i));
    free(ts);
    parm_st_close(&f);
    return rc;
}

/* fsync the folder holding path (best effort: some filesystems refuse). */
static void sync_parent_dir(const char *path) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = 0;
    else if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int parm_ckpt_save(const parm_slab *s, const char *path, long step, const parm_rng *rng, const char *const *meta_kv,
                   int nmeta) {
    if (!s->w) return PARM_ERR("parm_ckpt_save('%s'): slab not allocated", path);
    if (nmeta < 0 || (nmeta && !meta_kv)) return PARM_ERR("parm_ckpt_save('%s'): bad metadata", path);
    if (step < 0) return PARM_ERR("parm_ckpt_save('%s'): negative step %ld", path, step);
    static const char *const reserved[] = {"parm_format", "step", "rng_s0", "rng_s1", "rng_s2", "rng_s3"};
    for (int i = 0; i < nmeta; i++)
        for (int r = 0; r < 6; r++)
            if (meta_kv[2 * i] && !strcmp(meta_kv[2 * i], reserved[r]))
                return PARM_ERR("parm_ckpt_save('%s'): metadata key '%s' is reserved", path, reserved[r]);
    int rc = -1;
    float *zeros = NULL;
    char (*names)[PARM_NAME_MAX + 16] = parm_calloc((size_t)2 * s->n + 1, sizeof *names);
    parm_st_entry *ents = parm_calloc((size_t)3 * s->n + 1, sizeof *ents);
    const char **kv = parm_calloc((size_t)2 * (nmeta + 6), sizeof *kv);
    char vals[5][32];
    if (!names || !ents || !kv) goto out;
    if (!s->m || !s->v) { /* no optimiser step yet: moments are zero */
        zeros = parm_calloc(s->numel + 1, sizeof(float));
        if (!zeros) goto out;
    }
    const float *M = s->m ? s->m : zeros, *V = s->v ? s->v : zeros;
    for (int i = 0; i < s->n; i++) {
        const parm_view *v = &s->views[i];
        snprintf(names[2 * i], sizeof names[0], "optim.m.%s", v->name);
        snprintf(names[2 * i + 1], sizeof names[0], "optim.v.%s", v->name);
        if (strlen(names[2 * i + 1]) >= PARM_NAME_MAX) {
            PARM_ERR("parm_ckpt_save: tensor name '%s' too long for a checkpoint (max %d)", v->name, PARM_NAME_MAX - 10);
            goto out;
        }
        view_entry(&ents[i], v, v->name, PARM_F32, parm_w(s, i));
        view_entry(&ents[s->n + 2 * i], v, names[2 * i], PARM_F32, M + v->offset);
        view_entry(&ents[s->n + 2 * i + 1], v, names[2 * i + 1], PARM_F32, V + v->offset);
    }
    snprintf(vals[0], sizeof vals[0], "%ld", step);
    parm_rng zr = {{0, 0, 0, 0}};
    const parm_rng *r = rng ? rng : &zr;
    for (int k = 0; k < 4; k++) snprintf(vals[1 + k], sizeof vals[0], "%" PRIu64, r->s[k]);
    int nk = 0;
    kv[nk++] = "parm_format"; kv[nk++] = CKPT_FORMAT;
    kv[nk++] = "step"; kv[nk++] = vals[0];
    kv[nk++] = "rng_s0"; kv[nk++] = vals[1];
    kv[nk++] = "rng_s1"; kv[nk++] = vals[2];
    kv[nk++] = "rng_s2"; kv[nk++] = vals[3];
    kv[nk++] = "rng_s3"; kv[nk++] = vals[4];
    for (int i = 0; i < 2 * nmeta; i++) kv[nk++] = meta_kv[i];
    rc = parm_st_write(path, ents, 3 * s->n, kv, nmeta + 6);
    if (!rc) sync_parent_dir(path); /* the rename itself survives a power cut, not only a kill */
out:
    free(zeros);
    free(names);
    free(ents);
    free(kv);
    return rc;
}

static int parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return 0;
    *out = (uint64_t)v;
    return 1;
}

int parm_ckpt_load(parm_slab *s, const char *path, long *step, parm_rng *rng) {
    if (!s->w) return PARM_ERR("parm_ckpt_load('%s'): slab not allocated", path);
    parm_st_file f;
    if (parm_st_open(&f, path)) return -1;
    int rc = -1;
    const parm_st_tensor **ts = parm_calloc((size_t)3 * s->n + 1, sizeof *ts);
    if (!ts) goto out;
    const char *fmt = parm_st_meta(&f, "parm_format");
    if (!fmt || strcmp(fmt, CKPT_FORMAT)) {
        PARM_ERR("'%s' is not a parm checkpoint (metadata parm_format = '%s', expected '%s')", path,
                 fmt ? fmt : "(none)", CKPT_FORMAT);
        goto out;
    }
    uint64_t st, rs[4];
    const char *keys[4] = {"rng_s0", "rng_s1", "rng_s2", "rng_s3"};
    if (!parse_u64(parm_st_meta(&f, "step"), &st) || st > (uint64_t)1 << 62) {
        PARM_ERR("'%s': checkpoint metadata 'step' missing or not a number", path);
        goto out;
    }
    for (int k = 0; k < 4; k++)
        if (!parse_u64(parm_st_meta(&f, keys[k]), &rs[k])) {
            PARM_ERR("'%s': checkpoint metadata '%s' missing or not a uint64", path, keys[k]);
            goto out;
        }
    char name[PARM_NAME_MAX + 16];
    for (int i = 0; i < s->n; i++) {
        const parm_view *v = &s->views[i];
        if (!(ts[i] = st_lookup(&f, v->name, v->ndim, v->shape))) goto out;
        snprintf(name, sizeof name, "optim.m.%s", v->name);
        if (!(ts[s->n + 2 * i] = st_lookup(&f, name, v->ndim, v->shape))) goto out;
        snprintf(name, sizeof name, "optim.v.%s", v->name);
        if (!(ts[s->n + 2 * i + 1] = st_lookup(&f, name, v->ndim, v->shape))) goto out;
        for (int k = 0; k < 3; k++)
            if (ts[k == 0 ? i : s->n + 2 * i + k - 1]->dtype != PARM_F32) {
                PARM_ERR("'%s': checkpoint tensors must be F32 for exact resume ('%s' is not)", path, v->name);
                goto out;
            }
    }
    if (parm_slab_alloc_moments(s)) goto out;
    for (int i = 0; i < s->n; i++) {
        const parm_view *v = &s->views[i];
        st_convert_f32(ts[i], parm_w(s, i));
        st_convert_f32(ts[s->n + 2 * i], s->m + v->offset);
        st_convert_f32(ts[s->n + 2 * i + 1], s->v + v->offset);
    }
    if (step) *step = (long)st;
    if (rng)
        for (int k = 0; k < 4; k++) rng->s[k] = rs[k];
    rc = 0;
out:
    free(ts);
    parm_st_close(&f);
    return rc;
}

float *parm_st_alloc_f32(const parm_st_file *f, const char *name, long *numel) {
    const parm_st_tensor *t = parm_st_find(f, name);
    if (!t) { PARM_ERR("'%s' has no tensor '%s'", f->path, name); return NULL; }
    float *x = parm_malloc(sizeof(float) * (t->numel ? t->numel : 1));
    if (!x) return NULL;
    if (parm_st_read_f32(f, name, x, t->ndim, t->shape)) { free(x); return NULL; }
    if (numel) *numel = (long)t->numel;
    return x;
}
