/* checkpoint.c — parm's use of safetensors files (safetensors.c is the
 * format): a parameter slab saved / loaded whole under its view names, and
 * training checkpoints for exact resume.
 *
 * Checkpoint layout (parm_ckpt_*): weights under their view names, AdamW
 * moments under "optim.m.<name>" / "optim.v.<name>", all F32; metadata
 * "parm_format" = "parm-ckpt-1", "step", "rng_s0".."rng_s3" (decimal uint64)
 * plus the caller's pairs. Written atomically (temp file, fsync, rename, and
 * an fsync of the folder), so a checkpoint on disk is the old or the new one. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parm/nn.h"
#include "parm/ops.h"
#include "st_internal.h"

#define CKPT_FORMAT "parm-ckpt-1"

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
    parm_gemm_weights_changed();
    if (!s->w) return PARM_ERR("parm_slab_load('%s'): slab not allocated", path);
    parm_st_file f;
    if (parm_st_open(&f, path)) return -1;
    const parm_st_tensor **ts = parm_calloc((size_t)s->n + 1, sizeof *ts);
    int rc = ts ? 0 : -1;
    for (int i = 0; !rc && i < s->n; i++) /* validate everything before touching the slab */
        if (!(ts[i] = parm_st_lookup(&f, s->views[i].name, s->views[i].ndim, s->views[i].shape))) rc = -1;
    for (int i = 0; !rc && i < s->n; i++) parm_st_convert_f32(ts[i], parm_w(s, i));
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
    parm_gemm_weights_changed();
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
        if (!(ts[i] = parm_st_lookup(&f, v->name, v->ndim, v->shape))) goto out;
        snprintf(name, sizeof name, "optim.m.%s", v->name);
        if (!(ts[s->n + 2 * i] = parm_st_lookup(&f, name, v->ndim, v->shape))) goto out;
        snprintf(name, sizeof name, "optim.v.%s", v->name);
        if (!(ts[s->n + 2 * i + 1] = parm_st_lookup(&f, name, v->ndim, v->shape))) goto out;
        for (int k = 0; k < 3; k++)
            if (ts[k == 0 ? i : s->n + 2 * i + k - 1]->dtype != PARM_F32) {
                PARM_ERR("'%s': checkpoint tensors must be F32 for exact resume ('%s' is not)", path, v->name);
                goto out;
            }
    }
    if (parm_slab_alloc_moments(s)) goto out;
    for (int i = 0; i < s->n; i++) {
        const parm_view *v = &s->views[i];
        parm_st_convert_f32(ts[i], parm_w(s, i));
        parm_st_convert_f32(ts[s->n + 2 * i], s->m + v->offset);
        parm_st_convert_f32(ts[s->n + 2 * i + 1], s->v + v->offset);
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

