/* test_grader_audit.c — issue 13's must-shows for the grader under
 * optimization pressure:
 *  - the perturbation family (parm_damage: eroded, dilated, notched, spurs,
 *    merged, half-erased, same-area blob) and ragged blobs are rarely
 *    "found" as any class, while the same objects undamaged always are;
 *  - on the hand-labeled audit set (docs/grader-audit/labels.jsonl: generator
 *    outputs of train prompts + the 25 oracle picks) the detector's
 *    precision and recall per shape stay at the levels docs/GRADER.md reports,
 *    and on the held-out batches (docs/grader-audit/heldout-labels.jsonl,
 *    heldout2-labels.jsonl) overall.
 * Rates print; the bounds sit just above (FA) or below (P/R) the measured
 * figures so that a regression fails. */
#include <stdlib.h>

#include "parm.h"
#include "test.h"

#define NPIX (PARM_IMG * PARM_IMG)

/* 1 if any detection of rgb is found (conf >= PARM_DET_THRESH) */
static int any_found(const uint8_t *rgb) {
    parm_detection d[16];
    int n = parm_detect(rgb, d, 16);
    for (int i = 0; i < n; i++)
        if (d[i].conf >= PARM_DET_THRESH) return 1;
    return 0;
}

/* Every shape × side 12..20 × 6 draws (colour, place) per kind: ~650 objects per kind. */
static void test_damage_rejected(void) {
    /* measured at this commit (docs/GRADER.md, session 12: 0.017 0.012 0.026 0.008 0.003 0.005 0.000);
     * the target is 0.02 for every kind. Notched misses it since session 12 made the family
     * stricter (a slot with object on both sides; the old one shaved arms and shafts to half width,
     * which the labels accept as the class): the session-7 grader scores the same 0.026 on it. */
    static const double bound[PARM_NDAMAGE] = {0.02, 0.015, 0.03, 0.01, 0.005, 0.01, 0.005};
    long n[PARM_NDAMAGE] = {0}, fa[PARM_NDAMAGE] = {0}, ngt = 0, gt_found = 0;
    for (int kind = 0; kind < PARM_NDAMAGE; kind++) {
        parm_rng rng;
        parm_rng_seed(&rng, 1300 + (uint64_t)kind, PARM_STREAM_NOISE);
        for (int k = 0; k < PARM_NSHAPES; k++)
            for (int s = PARM_SIZE_MIN; s <= PARM_SIZE_MAX; s++)
                for (int r = 0; r < 6; r++) {
                    parm_scene sc = {.n = 1};
                    sc.obj[0] = (parm_object){k, parm_rng_int(&rng, 0, 9), parm_rng_int(&rng, 0, 64 - s), parm_rng_int(&rng, 0, 64 - s), s};
                    uint8_t rgb[NPIX * 3];
                    if (kind == 0) {
                        parm_render(&sc, rgb);
                        ngt++;
                        gt_found += any_found(rgb);
                    }
                    if (parm_render_damaged(&sc, 0, kind, &rng, rgb)) continue; /* merge: no room at a corner */
                    n[kind]++;
                    fa[kind] += any_found(rgb);
                }
    }
    CHECK(gt_found == ngt, "undamaged objects found %ld/%ld", gt_found, ngt);
    printf("    found after damage (false accepts):");
    for (int kind = 0; kind < PARM_NDAMAGE; kind++) {
        double rate = (double)fa[kind] / (n[kind] ? n[kind] : 1);
        printf(" %s %ld/%ld (%.3f)", parm_damage_names[kind], fa[kind], n[kind], rate);
        CHECK(n[kind] >= 500, "%s: only %ld objects", parm_damage_names[kind], n[kind]);
        CHECK(rate <= bound[kind], "%s false accepts %.3f > %.2f", parm_damage_names[kind], rate, bound[kind]);
    }
    printf("\n");
}

/* Single-colour ragged blobs of 110..260 px grown at random (the probe). */
static void test_ragged_blobs_rejected(void) {
    parm_rng rng;
    parm_rng_seed(&rng, 1399, PARM_STREAM_NOISE);
    int found = 0, n = 1000;
    for (int i = 0; i < n; i++) {
        uint8_t rgb[NPIX * 3];
        for (int p = 0; p < NPIX; p++) memcpy(rgb + 3 * p, parm_background, 3);
        parm_image_blob(rgb, parm_rng_int(&rng, 20, 43), parm_rng_int(&rng, 20, 43), parm_rng_int(&rng, 110, 260),
                        parm_rng_int(&rng, 0, 9), &rng);
        found += any_found(rgb);
    }
    printf("    ragged blobs found as a shape: %d/%d (%.3f)\n", found, n, (double)found / n);
    CHECK(found <= n / 200, "ragged blobs found %d/%d (> 0.5 %%; issue target 5 %%)", found, n);
}

/* ---- the audit set ---- */
typedef struct {
    char file[64];
    int tile, box[4], label; /* label: class index, -1 = none */
} audit_obj;

static int load_labels(const char *path, audit_obj **out) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0, cap = 1024;
    audit_obj *a = malloc(sizeof *a * (size_t)cap);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        audit_obj o;
        char lab[32];
        const char *pf = strstr(line, "\"file\": \""), *pt = strstr(line, "\"tile\": "), *pb = strstr(line, "\"box\": ["),
                   *pl = strstr(line, "\"label\": \"");
        if (!pf || !pt || !pb || !pl || sscanf(pf + 9, "%63[^\"]", o.file) != 1 || sscanf(pt + 8, "%d", &o.tile) != 1 ||
            sscanf(pb + 8, "%d, %d, %d, %d", &o.box[0], &o.box[1], &o.box[2], &o.box[3]) != 4 ||
            sscanf(pl + 10, "%31[^\"]", lab) != 1)
            continue;
        o.label = strcmp(lab, "none") ? parm_shape_index(lab) : -1;
        if (n == cap) a = realloc(a, sizeof *a * (size_t)(cap *= 2));
        a[n++] = o;
    }
    fclose(f);
    *out = a;
    return n;
}

/* Precision / recall of the found detections (conf >= PARM_DET_THRESH) against the hand labels in
 * docs/grader-audit/<labels>; prints them; returns the number of labels (-1: unreadable). */
static int audit_pr(const char *labels, int min_objects, double *P, double *R, double *minp, double *minr) {
    audit_obj *a;
    char lp[128];
    snprintf(lp, sizeof lp, "docs/grader-audit/%s", labels);
    int n = load_labels(lp, &a);
    CHECK(n >= min_objects, "%s: %d objects", labels, n);
    if (n <= 0) return -1;
    long tp[PARM_NSHAPES] = {0}, fp[PARM_NSHAPES] = {0}, pos[PARM_NSHAPES] = {0};
    int matched = 0;
    char cur[64] = "";
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(cur, a[i].file)) {
            char path[128];
            snprintf(path, sizeof path, "docs/grader-audit/%s", a[i].file);
            free(rgb);
            rgb = NULL;
            CHECK(!parm_png_read(path, &rgb, &w, &h) && h == PARM_IMG, "%s: %s", path, parm_last_error());
            if (!rgb) { free(a); return -1; }
            snprintf(cur, sizeof cur, "%s", a[i].file);
        }
        uint8_t tile[NPIX * 3];
        for (int y = 0; y < PARM_IMG; y++) memcpy(tile + 3 * y * PARM_IMG, rgb + 3 * (y * w + a[i].tile * PARM_IMG), 3 * PARM_IMG);
        parm_detection d[64];
        int nd = parm_detect(tile, d, 64);
        const parm_detection *m = NULL; /* the detection the label was written for: same box */
        for (int k = 0; k < nd && !m; k++)
            if (d[k].x0 == a[i].box[0] && d[k].y0 == a[i].box[1] && d[k].x1 == a[i].box[2] && d[k].y1 == a[i].box[3]) m = &d[k];
        if (!m) continue;
        matched++;
        if (a[i].label >= 0) pos[a[i].label]++;
        if (m->conf >= PARM_DET_THRESH) {
            if (m->shape == a[i].label) tp[m->shape]++;
            else fp[m->shape]++;
        }
    }
    free(rgb);
    CHECK(matched == n, "%s: %d of %d labeled objects not detected with the labeled box", labels, n - matched, n);
    long TP = 0, FP = 0, POS = 0;
    *minp = 1;
    *minr = 1;
    printf("    %s (%d objects), per shape P / R:", labels, n);
    for (int k = 0; k < PARM_NSHAPES; k++) {
        double p = tp[k] + fp[k] ? (double)tp[k] / (tp[k] + fp[k]) : 1, r = pos[k] ? (double)tp[k] / pos[k] : 1;
        printf(" %s %.3f/%.3f", parm_shape_names[k], p, r);
        if (p < *minp) *minp = p;
        if (r < *minr) *minr = r;
        TP += tp[k];
        FP += fp[k];
        POS += pos[k];
    }
    *P = (double)TP / (TP + FP);
    *R = (double)TP / POS;
    printf("\n    %s overall: precision %.4f (%ld/%ld), recall %.4f (%ld/%ld); worst shape P %.3f, R %.3f\n", labels, *P,
           TP, TP + FP, *R, TP, POS, *minp, *minr);
    free(a);
    return n;
}

static void test_audit_set(void) {
    double P, R, minp, minr;
    if (audit_pr("labels.jsonl", 900, &P, &R, &minp, &minr) < 0) return;
    /* measured at this commit (docs/GRADER.md, session 12: P 0.9939, R 0.9528, worst P 0.973, worst R 0.889);
     * the target is P >= 0.97 per shape at R >= 0.95 */
    CHECK(P >= 0.99, "audit precision %.4f", P);
    CHECK(R >= 0.95, "audit recall %.4f", R);
    CHECK(minp >= 0.97, "worst per-shape precision %.3f", minp);
    CHECK(minr >= 0.88, "worst per-shape recall %.3f", minr);
}

/* The held-out batch (docs/grader-audit/heldout/: labeled after the rule was chosen, never tuned on;
 * 1-12 objects per shape, so per-shape figures are coarse and not asserted). */
static void test_heldout_set(void) {
    double P, R, minp, minr;
    if (audit_pr("heldout-labels.jsonl", 300, &P, &R, &minp, &minr) < 0) return;
    /* measured at this commit (docs/GRADER.md, session 12: P 0.9934, R 0.9497) */
    CHECK(P >= 0.98, "held-out precision %.4f", P);
    CHECK(R >= 0.94, "held-out recall %.4f", R);
}

/* The second held-out batch (docs/grader-audit/heldout2/: position and color_attr train prompts,
 * labeled blind after the session-12 rule was fixed; six labels changed in a documented second pass). */
static void test_heldout2_set(void) {
    double P, R, minp, minr;
    if (audit_pr("heldout2-labels.jsonl", 300, &P, &R, &minp, &minr) < 0) return;
    /* measured at this commit (docs/GRADER.md, session 12: P 0.9630, R 0.9398; first pass P 0.9321, R 0.9096) */
    CHECK(P >= 0.95, "held-out 2 precision %.4f", P);
    CHECK(R >= 0.93, "held-out 2 recall %.4f", R);
}

int main(void) {
    RUN(test_damage_rejected);
    RUN(test_ragged_blobs_rejected);
    RUN(test_audit_set);
    RUN(test_heldout_set);
    RUN(test_heldout2_set);
    return TEST_SUMMARY();
}
