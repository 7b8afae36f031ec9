/* test_grader.c — the grader against docs/WORLD.md and the must-shows:
 * ground-truth renders of the whole benchmark grade 1.000; scenes changed in
 * one respect are rejected (≤ 1 % accepted per category); noise σ=8 and a
 * mild blur keep ≥ 0.98; generated-looking damage (noise, ragged edges, a
 * stray speck) keeps ≥ 0.97; a blank canvas fails everything; the detector's
 * boxes, colours and classes are exact on clean renders; GenEval's rules
 * (include count, colour, position, exclude, thresholds) behave as written. */
#include <stdlib.h>

#include "parm.h"
#include "test.h"
#include "../src/world/world_internal.h" /* the proportion-variant templates (not public API) */

static parm_prompt *bench;
static int nbench;

enum { V_GT, V_NOISE, V_BLUR, V_ROUGH, V_BLANK, NV };
static const char *vnames[NV] = {"ground truth", "noise sigma=8", "blur 3x3 half", "noise6+ragged.1+speck", "blank canvas"};

/* Grade every bench prompt × 4 seeds under a variant; returns the score. */
static parm_score run_variant(int v) {
    parm_score sc = {0};
    long n = (long)nbench * 4;
    signed char *ok = malloc(n);
#pragma omp parallel for schedule(dynamic, 8)
    for (long k = 0; k < n; k++) {
        const parm_prompt *p = &bench[k / 4];
        int j = (int)(k % 4);
        parm_scene s;
        uint8_t rgb[PARM_IMG * PARM_IMG * 3];
        parm_rng rng;
        parm_rng_seed(&rng, (uint64_t)k, PARM_STREAM_NOISE);
        if (parm_scene_for_seed(p, (uint64_t)j, &s)) { ok[k] = -1; continue; }
        if (v == V_BLANK) s.n = 0;
        parm_render(&s, rgb);
        if (v == V_NOISE) parm_image_noise(rgb, 8, &rng);
        if (v == V_BLUR) parm_image_blur(rgb);
        if (v == V_ROUGH) {
            parm_image_ragged(rgb, 0.1f, &rng);
            parm_image_speck(rgb, &rng);
            parm_image_noise(rgb, 6, &rng);
        }
        ok[k] = (signed char)parm_grade(rgb, p, NULL, 0);
    }
    for (long k = 0; k < n; k++) {
        CHECK(ok[k] >= 0, "scene sampling failed for \"%s\"", bench[k / 4].text);
        parm_score_add(&sc, bench[k / 4].tag, ok[k] == 1);
    }
    free(ok);
    return sc;
}

static void print_score(const char *name, const parm_score *sc) {
    printf("    %-22s", name);
    for (int t = 0; t < PARM_NTAGS; t++) printf(" %s %.3f", parm_tag_names[t], parm_score_tag(sc, t));
    printf("  overall %.4f\n", parm_score_overall(sc));
}

static void test_gt_bench_is_perfect(void) {
    parm_score sc = run_variant(V_GT);
    print_score(vnames[V_GT], &sc);
    CHECK(parm_score_images(&sc) == 434 * 4, "parm_score_images(&sc) == 434 * 4");
    CHECK(parm_score_overall(&sc) == 1.0, "GT overall %.4f", parm_score_overall(&sc));
}

static void test_noise_and_blur_robust(void) {
    for (int v = V_NOISE; v <= V_ROUGH; v++) {
        parm_score sc = run_variant(v);
        print_score(vnames[v], &sc);
        double need = v == V_ROUGH ? 0.97 : 0.98;
        CHECK(parm_score_overall(&sc) >= need, "%s overall %.4f < %.2f", vnames[v], parm_score_overall(&sc), need);
    }
}

static void test_blank_fails_all(void) {
    parm_score sc = run_variant(V_BLANK);
    print_score(vnames[V_BLANK], &sc);
    for (int t = 0; t < PARM_NTAGS; t++) CHECK(sc.correct[t] == 0, "blank passes %ld %s", sc.correct[t], parm_tag_names[t]);
}

/* Scenes changed in exactly one respect: ≤ 1 % graded correct, per category and kind. */
static void test_wrong_scenes_rejected(void) {
    const int seeds = 4;
    long n[PARM_NWRONG][PARM_NTAGS] = {{0}}, acc[PARM_NWRONG][PARM_NTAGS] = {{0}};
    for (int kind = 0; kind < PARM_NWRONG; kind++) {
        long total = (long)nbench * seeds;
#pragma omp parallel for schedule(dynamic, 8)
        for (long k = 0; k < total; k++) {
            const parm_prompt *p = &bench[k / seeds];
            if (!parm_wrong_applies(p, kind)) continue;
            parm_rng rng;
            parm_rng_seed(&rng, 1000003ull * kind + (uint64_t)k, PARM_STREAM_NOISE);
            parm_scene s;
            uint8_t rgb[PARM_IMG * PARM_IMG * 3];
            int good = parm_scene_wrong(p, kind, &rng, &s) == 0;
            int ok = 0;
            if (good) {
                parm_render(&s, rgb);
                ok = parm_grade(rgb, p, NULL, 0);
            }
#pragma omp critical
            {
                CHECK(good, "%s scene for \"%s\": %s", parm_wrong_names[kind], p->text, parm_last_error());
                n[kind][p->tag]++;
                acc[kind][p->tag] += ok;
            }
        }
    }
    printf("    accepted wrong scenes (correct/total):\n");
    for (int t = 0; t < PARM_NTAGS; t++) {
        long nt = 0, at = 0;
        printf("      %-14s", parm_tag_names[t]);
        for (int kind = 0; kind < PARM_NWRONG; kind++) {
            if (!n[kind][t]) continue;
            printf("  %s %ld/%ld", parm_wrong_names[kind], acc[kind][t], n[kind][t]);
            nt += n[kind][t];
            at += acc[kind][t];
            CHECK(acc[kind][t] * 100 <= n[kind][t], "%s %s accepted %ld/%ld", parm_tag_names[t], parm_wrong_names[kind],
                  acc[kind][t], n[kind][t]);
        }
        printf("  => %.2f%%\n", 100.0 * at / (nt ? nt : 1));
    }
}

/* Every shape × side × colour, alone: exact box, colour, class, confidence 1. */
static void test_detect_exact(void) {
    int bad = 0;
    for (int k = 0; k < PARM_NSHAPES; k++)
        for (int s = PARM_SIZE_MIN; s <= PARM_SIZE_MAX; s++)
            for (int c = 0; c < PARM_NCOLORS; c++) {
                parm_scene sc = {.n = 1, .obj = {{k, c, 7 + c, 60 - s - c, s}}};
                uint8_t rgb[PARM_IMG * PARM_IMG * 3];
                parm_render(&sc, rgb);
                parm_detection d[4];
                int box[4], area = parm_object_box(&sc.obj[0], box);
                int n = parm_detect(rgb, d, 4);
                if (n != 1 || d[0].shape != k || d[0].color != c || d[0].conf != 1.0f || d[0].variant != 0 || d[0].x0 != box[0] ||
                    d[0].y0 != box[1] || d[0].x1 != box[2] || d[0].y1 != box[3] || d[0].area != area) {
                    if (bad++ < 5)
                        fprintf(stderr, "    %s %s s=%d: n=%d shape=%s conf=%.3f color=%d\n", parm_shape_names[k],
                                parm_color_names[c], s, n, n ? parm_shape_names[d[0].shape] : "-", n ? d[0].conf : 0,
                                n ? d[0].color : -1);
                }
            }
    CHECK(bad == 0, "%d exact renders misdetected", bad);
}

/* Session 12: a cross with one arm, or an arrow with a shaft, of half thickness (painted from the
 * variant templates, which the renderer never draws) is found as that class with its variant;
 * the same shape slightly ragged (IoU < PARM_CLEAR_VARIANT_IOU) is not clear. */
static void test_detect_variants(void) {
    static const int shapes[2] = {6, 11}; /* cross, arrow */
    int bad = 0, ragged_fits = 0, ragged_found = 0, nv = 0;
    for (int i = 0; i < 2; i++) {
        int k = shapes[i];
        CHECK(parm_template_nvariants(k) > 1, "%s has no variants", parm_shape_names[k]);
        for (int v = 1; v < parm_template_nvariants(k); v++)
            for (int s = PARM_SIZE_MIN; s <= PARM_SIZE_MAX; s += 2) {
                const parm_template *t = parm_template_variant(k, s, v);
                uint8_t rgb[PARM_IMG * PARM_IMG * 3];
                for (int p = 0; p < PARM_IMG * PARM_IMG; p++) memcpy(rgb + 3 * p, parm_background, 3);
                int x0 = 20, y0 = 18;
                for (int r = 0; r < t->h; r++)
                    for (int c = 0; c < t->w; c++)
                        if (t->row[r] >> c & 1) memcpy(rgb + 3 * ((y0 + r) * PARM_IMG + x0 + c), parm_palette[2], 3);
                parm_detection d[4];
                int n = parm_detect(rgb, d, 4);
                nv++;
                if (n != 1 || d[0].shape != k || d[0].variant != v || d[0].conf < PARM_DET_THRESH) {
                    if (bad++ < 5)
                        fprintf(stderr, "    %s v%d s=%d: n=%d shape=%s variant=%d conf=%.3f\n", parm_shape_names[k], v, s, n,
                                n ? parm_shape_names[d[0].shape] : "-", n ? d[0].variant : -1, n ? d[0].conf : 0);
                    continue;
                }
                /* bite 3 border pixels per row off the left third of rows: IoU drops below the variant gate */
                            for (int r = 0; r < t->h; r += 2)
                    for (int c = 0, m = 0; c < t->w && m < 2; c++)
                        if (t->row[r] >> c & 1) {
                            memcpy(rgb + 3 * ((y0 + r) * PARM_IMG + x0 + c), parm_background, 3);
                            m++;
                        }
                n = parm_detect(rgb, d, 4);
                for (int j = 0; j < n; j++)
                    if (d[j].variant != 0 && d[j].iou < PARM_CLEAR_VARIANT_IOU) {
                        ragged_fits++;
                        ragged_found += d[j].conf >= PARM_DET_THRESH;
                    }
            }
    }
    CHECK(bad == 0, "%d of %d variant renders misdetected", bad, nv);
    printf("    %d variant renders found; bitten: %d variant fits under the gate, %d found\n", nv - bad, ragged_fits, ragged_found);
    CHECK(ragged_fits > 0, "no bitten render fits a variant under the gate (the check would be vacuous)");
    CHECK(ragged_found == 0, "%d variant fits under IoU %.2f found", ragged_found, PARM_CLEAR_VARIANT_IOU);
}

/* Objects at the canvas edges and corners, and sizes outside [12,20] (generated images). */
static void test_detect_edges_and_sizes(void) {
    int bad = 0;
    for (int k = 0; k < PARM_NSHAPES; k++)
        for (int s = 10; s <= 30; s += 4) {
            parm_scene sc = {.n = 2, .obj = {{k, k % 10, 0, 0, s}, {k, (k + 5) % 10, 64 - s, 64 - s, s}}};
            if (s > 30) continue;
            uint8_t rgb[PARM_IMG * PARM_IMG * 3];
            parm_render(&sc, rgb);
            parm_detection d[4];
            int n = parm_detect(rgb, d, 4);
            bad += n != 2 || d[0].shape != k || d[1].shape != k || d[0].conf < 1.0f || d[1].conf < 1.0f;
        }
    CHECK(bad == 0, "%d corner scenes misdetected", bad);
}

static parm_detection det(int shape, float conf, int color, int x0, int y0, int w, int h) {
    parm_detection d = {shape, conf, color, x0, y0, x0 + w - 1, y0 + h - 1, w * h, conf, 0, 0, 0, 0, 0, 0, 0, 0};
    return d;
}

static void test_rules(void) {
    parm_prompt p;
    char why[256];
    /* counting: stricter threshold, exclude */
    CHECK(!parm_prompt_parse("a photo of two stars", &p), "%s", parm_last_error());
    parm_detection d[4] = {det(4, 0.9f, 0, 0, 0, 14, 14), det(4, 0.8f, 1, 30, 30, 14, 14), det(4, 0.7f, 2, 30, 0, 14, 14)};
    CHECK(parm_grade_dets(d, 2, &p, why, sizeof why) == 1, "%s", why);
    CHECK(parm_grade_dets(d, 3, &p, why, sizeof why) == 1, "0.7 < counting threshold: %s", why);
    d[2].conf = 0.8f;
    CHECK(parm_grade_dets(d, 3, &p, why, sizeof why) == 0, "three found must fail the exclude");
    CHECK(strstr(why, "expected star<3, found 3") != NULL, "reason '%s'", why);
    d[1].conf = 0.7f;
    d[2].conf = 0.7f;
    CHECK(parm_grade_dets(d, 3, &p, why, sizeof why) == 0 && strstr(why, "expected star>=2, found 1"), "'%s'", why);
    /* single: an extra object of the class is fine (GenEval has no exclude there); thresholds */
    CHECK(!parm_prompt_parse("a photo of a star", &p), "%s", parm_last_error());
    CHECK(parm_grade_dets(d, 3, &p, why, sizeof why) == 1, "%s", why);
    d[0].conf = PARM_DET_THRESH - 0.01f;
    CHECK(parm_grade_dets(d, 1, &p, why, sizeof why) == 0, "below threshold must not be found");
    d[0].conf = PARM_DET_THRESH;
    CHECK(parm_grade_dets(d, 1, &p, why, sizeof why) == 1, "conf >= threshold is found");
    /* colour: only the most confident count objects are looked at */
    CHECK(!parm_prompt_parse("a photo of a red star", &p), "%s", parm_last_error());
    parm_detection e[2] = {det(4, 0.9f, 1, 0, 0, 14, 14), det(4, 0.95f, 0, 30, 30, 14, 14)};
    CHECK(parm_grade_dets(e, 2, &p, why, sizeof why) == 1, "%s", why);
    e[0].conf = 0.99f;
    CHECK(parm_grade_dets(e, 2, &p, why, sizeof why) == 0 && strstr(why, "expected red star>=1, found 0 red; and 1 orange"),
          "'%s'", why);
    /* position: include [B, A rel B]; target missing → no target */
    CHECK(!parm_prompt_parse("a photo of a star left of a circle", &p), "%s", parm_last_error());
    parm_detection f[2] = {det(4, 1, 0, 2, 20, 14, 14), det(0, 1, 1, 40, 22, 14, 14)};
    CHECK(parm_grade_dets(f, 2, &p, why, sizeof why) == 1, "%s", why);
    f[0].x0 = 44; f[0].x1 = 57; f[1].x0 = 2; f[1].x1 = 15;
    CHECK(parm_grade_dets(f, 2, &p, why, sizeof why) == 0 && strstr(why, "expected star left of target, found right of target"),
          "'%s'", why);
    CHECK(parm_grade_dets(f, 1, &p, why, sizeof why) == 0 && strstr(why, "expected circle>=1, found 0") &&
          strstr(why, "no target for star to be left of"), "'%s'", why);
    /* GenEval relation rule: overlap within 0.1*(dA+dB) → no relation; diagonal → both */
    int a[4] = {0, 0, 9, 9}, b[4] = {1, 0, 10, 9}, c[4] = {30, 30, 39, 39};
    CHECK(parm_relations(a, b) == 0, "parm_relations(a, b) == 0");
    CHECK(parm_relations(a, c) == ((1 << PARM_REL_LEFT) | (1 << PARM_REL_ABOVE)), "parm_relations(a, c) == ((1 << PARM_REL_LEFT) | (1 << PARM_R");
    CHECK(parm_relations(c, a) == ((1 << PARM_REL_RIGHT) | (1 << PARM_REL_BELOW)), "parm_relations(c, a) == ((1 << PARM_REL_RIGHT) | (1 << PARM_");
    int l[4] = {0, 20, 9, 29}, r[4] = {20, 24, 29, 33};
    CHECK(parm_relations(l, r) == (1 << PARM_REL_LEFT), "parm_relations(l, r) == (1 << PARM_REL_LEFT)");
}

/* Ragged borders and a touching speck still classify right; a lone speck is dropped. */
static void test_detect_specks(void) {
    parm_scene sc = {.n = 1, .obj = {{0, 4, 20, 20, 14}}};
    uint8_t rgb[PARM_IMG * PARM_IMG * 3];
    parm_render(&sc, rgb);
    for (int y = 2; y < 5; y++)
        for (int x = 2; x < 5; x++) memcpy(rgb + 3 * (y * 64 + x), parm_palette[0], 3);
    for (int x = 34; x < 36; x++) memcpy(rgb + 3 * (26 * 64 + x), parm_palette[4], 3); /* touches the circle */
    parm_detection d[4];
    int n = parm_detect(rgb, d, 4);
    CHECK(n == 1 && d[0].shape == 0 && d[0].color == 4 && d[0].conf > 0.9f, "n=%d shape=%d conf=%.3f", n, n ? d[0].shape : -1,
          n ? d[0].conf : 0);
}

static void test_pixel_class(void) {
    for (int c = 0; c < PARM_NCOLORS; c++) CHECK(parm_pixel_class(parm_palette[c]) == c + 1, "parm_pixel_class(parm_palette[c]) == c + 1");
    CHECK(parm_pixel_class(parm_background) == 0, "parm_pixel_class(parm_background) == 0");
    uint8_t near_bg[3] = {135, 120, 130};
    CHECK(parm_pixel_class(near_bg) == 0, "parm_pixel_class(near_bg) == 0");
}

static void test_speed(void) {
    uint8_t *imgs = malloc((size_t)nbench * 4 * PARM_IMG * PARM_IMG * 3);
    for (int k = 0; k < nbench * 4; k++) {
        parm_scene s;
        parm_scene_for_seed(&bench[k / 4], (uint64_t)(k % 4), &s);
        parm_render(&s, imgs + (size_t)k * PARM_IMG * PARM_IMG * 3);
    }
    double t0 = parm_now();
    long ok = 0;
#pragma omp parallel for reduction(+ : ok)
    for (int k = 0; k < nbench * 4; k++) ok += parm_grade(imgs + (size_t)k * PARM_IMG * PARM_IMG * 3, &bench[k / 4], NULL, 0);
    double dt = parm_now() - t0;
    printf("    graded %d in-memory images in %.3f s: %.0f images/s (all threads)\n", nbench * 4, dt, nbench * 4 / dt);
    CHECK(ok == nbench * 4, "ok == nbench * 4");
    free(imgs);
}

int main(void) {
    if (parm_prompts_load(PARM_BENCH_PATH, &bench, &nbench)) {
        fprintf(stderr, "cannot load benchmark: %s\n", parm_last_error());
        printf("0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_detect_exact);
    RUN(test_detect_variants);
    RUN(test_detect_edges_and_sizes);
    RUN(test_detect_specks);
    RUN(test_pixel_class);
    RUN(test_rules);
    RUN(test_gt_bench_is_perfect);
    RUN(test_wrong_scenes_rejected);
    RUN(test_noise_and_blur_robust);
    RUN(test_blank_fails_all);
    RUN(test_speed);
    free(bench);
    return TEST_SUMMARY();
}
