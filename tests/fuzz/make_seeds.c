/* make_seeds.c — writes the fuzzers' seed corpora under tests/fuzz/NAME/seed/
 * (run from the repository root: `make fuzz-seeds`; the output is committed).
 * Small valid inputs of every kind each parser accepts, so mutations start
 * inside the format: safetensors of each dtype with metadata, a checkpoint of
 * the checkpoint harness's slab, a 1- and a 2-path path set, PNGs of each
 * colour type, GenEval metadata lines of every tag, prompts of every tag, and
 * bench --json rows. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm.h"
#include "parm/pathset.h"
#include "parm/prefset.h"

static int put(const char *name, const char *file, const void *d, size_t n) {
    char p[512];
    snprintf(p, sizeof p, "tests/fuzz/%s/seed", name);
    if (parm_mkdirs(p)) return -1;
    snprintf(p, sizeof p, "tests/fuzz/%s/seed/%s", name, file);
    FILE *f = parm_fopen(p, "wb");
    if (!f) return -1;
    fwrite(d, 1, n, f);
    return fclose(f);
}
static int put_str(const char *name, const char *file, const char *s) { return put(name, file, s, strlen(s)); }
static int put_file(const char *name, const char *file, const char *src) {
    char *d;
    size_t n;
    if (parm_read_file(src, &d, &n)) return -1;
    int rc = put(name, file, d, n);
    free(d);
    return rc;
}

static int safetensors_seeds(void) {
    float a[6] = {1, -2, 3.5f, 0, 1e-3f, -7};
    int32_t ids[3] = {0, 5, -1};
    parm_st_entry e[4] = {{"w", PARM_F32, 2, {2, 3}, a}, {"h", PARM_F16, 1, {6}, a}, {"b", PARM_BF16, 2, {3, 2}, a},
                          {"ids", PARM_I32, 1, {3}, ids}};
    const char *meta[4] = {"format", "pt", "note", "seed"};
    if (parm_st_write("/tmp/parm-seed.st", e, 4, meta, 2) || put_file("safetensors", "mixed.safetensors", "/tmp/parm-seed.st"))
        return -1;
    if (parm_st_write("/tmp/parm-seed.st", e, 1, NULL, 0) || put_file("safetensors", "one.safetensors", "/tmp/parm-seed.st"))
        return -1;
    parm_st_entry z = {"empty", PARM_F32, 2, {0, 4}, a};
    if (parm_st_write("/tmp/parm-seed.st", &z, 1, NULL, 0) || put_file("safetensors", "empty.safetensors", "/tmp/parm-seed.st"))
        return -1;
    return put_file("safetensors", "nn_adamw.safetensors", "tests/fixtures/nn_adamw.safetensors");
}

static int checkpoint_seeds(void) {
    parm_slab s = {0};
    const int64_t sa[2] = {2, 3}, sb[1] = {4};
    if (parm_slab_add(&s, "a", 2, sa, 1) < 0 || parm_slab_add(&s, "b", 1, sb, 0) < 0 || parm_slab_alloc(&s)) return -1;
    for (size_t i = 0; i < s.numel; i++) s.w[i] = 0.25f * (float)i, s.g[i] = 0.1f;
    parm_adamw opt = parm_adamw_default();
    parm_adamw_step(&s, &opt, 1e-2f, 1);
    parm_rng rng;
    parm_rng_seed(&rng, 7, PARM_STREAM_TRAIN);
    const char *meta[2] = {"model", "fuzz"};
    int rc = parm_ckpt_save(&s, "/tmp/parm-seed.st", 3, &rng, meta, 1) ||
             put_file("checkpoint", "ckpt.safetensors", "/tmp/parm-seed.st");
    parm_slab_free(&s);
    return rc ? -1 : 0;
}

static int pathset_seed(const char *file, int P, int N, int T) {
    parm_pathset s;
    if (parm_pathset_alloc(&s, P, N, T)) return -1;
    for (int i = 0; i < s.n; i++) {
        if (parm_prompt_parse(i % 2 ? "a photo of two squares" : "a photo of a red circle", &s.prompt[i])) return -1;
        s.path_seed[i] = 100 + i;
        s.forwards[i] = 4 * T;
        for (int t = 0; t < T; t++) {
            s.verdict[(size_t)i * T + t] = (uint8_t)(t == T - 1);
            s.reading_eq[(size_t)i * T + t] = (uint8_t)(t == T - 1);
            uint8_t *c = s.classes + ((size_t)i * T + t) * PARM_PATHSET_PIX;
            for (int k = 0; k < PARM_PATHSET_PIX; k++) c[k] = (uint8_t)((k / 64 > 20 && k / 64 < 36 && k % 64 > 20 && k % 64 < 36) ? 1 + t % 10 : 0);
        }
    }
    int rc = parm_pathset_save(&s, "/tmp/parm-seed.pset") || put_file("pathset", file, "/tmp/parm-seed.pset");
    parm_pathset_free(&s);
    return rc ? -1 : 0;
}

static int png_seed(const char *file, int w, int h, png_uint_32 format) {
    int ch = PNG_IMAGE_SAMPLE_CHANNELS(format);
    uint8_t *px = malloc((size_t)w * h * ch);
    if (!px) return -1;
    for (int i = 0; i < w * h * ch; i++) px[i] = (uint8_t)(i * 37 % 251);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = format;
    int ok = png_image_write_to_file(&img, "/tmp/parm-seed.png", 0, px, 0, NULL);
    free(px);
    return ok && !put_file("png", file, "/tmp/parm-seed.png") ? 0 : -1;
}

static int png_seeds(void) {
    uint8_t rgb[64 * 64 * 3];
    parm_prompt p;
    parm_scene sc;
    parm_rng r;
    parm_rng_seed(&r, 1, PARM_STREAM_SCENE);
    if (parm_prompt_parse("a photo of a blue triangle", &p) || parm_scene_sample(&p, &r, &sc)) return -1;
    parm_render(&sc, rgb);
    if (parm_png_write("/tmp/parm-seed.png", rgb, 64, 64) || put_file("png", "scene64.png", "/tmp/parm-seed.png")) return -1;
    return png_seed("rgb4x3.png", 4, 3, PNG_FORMAT_RGB) || png_seed("gray8.png", 8, 8, PNG_FORMAT_GRAY) ||
                   png_seed("rgba5.png", 5, 5, PNG_FORMAT_RGBA) || png_seed("ga3.png", 3, 3, PNG_FORMAT_GA)
               ? -1
               : 0;
}

static int text_seeds(void) {
    static const char *prompts[] = {"a photo of a red circle", "a photo of a square and a triangle",
                                    "a photo of three hexagons", "a photo of a green star",
                                    "a photo of a circle left of a square",
                                    "a photo of a red circle and a blue square"};
    parm_prompt *all = NULL;
    int na = parm_prompts_all(&all);
    if (na < 0) return -1;
    char name[32], buf[2048], lines[8192] = "";
    for (int i = 0; i < 6; i++) {
        parm_prompt p;
        if (parm_prompt_parse(prompts[i], &p)) { /* fall back to an enumerated prompt of the grammar */
            p = all[i * (na / 6)];
        }
        snprintf(name, sizeof name, "p%d.txt", i);
        if (put_str("prompt", name, p.text)) return -1;
        if (parm_prompt_to_json(&p, buf, sizeof buf, i % 2)) return -1;
        snprintf(name, sizeof name, "m%d.jsonl", i);
        strcat(buf, "\n");
        if (put_str("metadata", name, buf)) return -1;
        strncat(lines, buf, sizeof lines - strlen(lines) - 1);
    }
    /* one of every tag: the last prompt of each tag in enumeration order */
    for (int i = 0; i < na; i++)
        if (i + 1 == na || all[i + 1].tag != all[i].tag) {
            snprintf(name, sizeof name, "tag%d.txt", (int)all[i].tag);
            if (put_str("prompt", name, all[i].text)) return -1;
            if (parm_prompt_to_json(&all[i], buf, sizeof buf, 1)) return -1;
            strcat(buf, "\n");
            strncat(lines, buf, sizeof lines - strlen(lines) - 1);
        }
    free(all);
    if (put_str("metadata", "all.jsonl", lines)) return -1;
    char *b;
    size_t bn;
    if (parm_read_file("bench/geneval-shapes.jsonl", &b, &bn)) return -1;
    char *e = b;
    for (int k = 0; k < 3 && e; k++) e = strchr(e, '\n') ? strchr(e, '\n') + 1 : NULL;
    int rc = put("metadata", "bench_head.jsonl", b, e ? (size_t)(e - b) : bn);
    free(b);
    return rc;
}

static int plot_seeds(void) {
    return put_str("plot", "rows.jsonl",
                   "{\"single_object\": 1.0, \"two_object\": 0.5, \"counting\": null, \"colors\": null, "
                   "\"position\": null, \"color_attr\": null, \"overall\": 0.75, \"images\": 4, \"method\": "
                   "\"baseline\", \"n\": 1, \"gen_forwards_per_image\": 12, \"judge_calls_per_image\": 0, "
                   "\"seconds_per_image\": 0.1}\n"
                   "{\"overall\": 0.8, \"images\": 4, \"method\": \"orm\", \"n\": 2}\n"
                   "{\"overall\": 0.9, \"images\": 4, \"method\": \"orm\", \"n\": 4}\n"
                   "{\"overall\": 1, \"images\": 4, \"method\": \"oracle\", \"n\": 4, \"upper_bound\": true}\n") ||
                   put_str("plot", "one.jsonl", "{\"method\": \"parm\", \"n\": 8, \"overall\": 0.625, \"images\": null}\n")
               ? -1
               : 0;
}

/* a preference set of P train prompts x K paths, verdicts alternating (so it has pairs) */
static int prefset_seed(const char *file, int P, int K) {
    parm_prefset s;
    if (parm_prefset_alloc(&s, P, K, 1024)) return -1;
    parm_prompt *all;
    int n = parm_prompts_all(&all);
    if (n < 0) { parm_prefset_free(&s); return -1; }
    for (int i = 0; i < s.n; i++) {
        s.prompt[i] = all[(i / K) % 12]; /* single_object prompts: train */
        s.path_seed[i] = (uint64_t)i;
        s.verdict[i] = (uint8_t)(i % 2);
        for (int k = 0; k < 256; k++) s.tokens[(size_t)i * 256 + k] = (uint16_t)((i * 7 + k) % 1024);
    }
    s.vq_fingerprint = 1;
    free(all);
    int rc = parm_prefset_save(&s, "/tmp/parm-seed.pref") || put_file("prefset", file, "/tmp/parm-seed.pref");
    parm_prefset_free(&s);
    return rc;
}

int main(void) {
    if (safetensors_seeds() || checkpoint_seeds() || pathset_seed("p1n1t1.pset", 1, 1, 1) ||
        pathset_seed("p1n2t2.pset", 1, 2, 2) ||
        prefset_seed("p1k2.pref", 1, 2) || prefset_seed("p2k3.pref", 2, 3) || png_seeds() || text_seeds() || plot_seeds()) {
        fprintf(stderr, "make_seeds: %s\n", parm_last_error_where());
        return 1;
    }
    remove("/tmp/parm-seed.st");
    remove("/tmp/parm-seed.pset");
    remove("/tmp/parm-seed.pref");
    remove("/tmp/parm-seed.png");
    return 0;
}
