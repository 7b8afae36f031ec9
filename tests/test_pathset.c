/* test_pathset.c — path sets and the judges that train on them: the grader's
 * reading; a generated set round-trips (fields, seeds, the sampler's own step
 * images, grader labels, last reading flag 1, re-save byte-identical);
 * truncated or corrupted files fail with a named error and never crash; the
 * orm / prm / parm sources (labels true to the grader, never a test prompt,
 * balance and mix, determinism); a set holding a test prompt is refused;
 * --init loads; the path-set evaluation; the `parm paths` / `train judge
 * --data` / `eval judge --data` command line. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parm.h"
#include "parm/gen.h"
#include "parm/judge.h"
#include "parm/pathset.h"
#include "test.h"
#include "test_shell.h"

#define SZ (PARM_IMG * PARM_IMG * 3)
#define PIX PARM_PATHSET_PIX
static char D[] = "/tmp/parm-test-pathset-XXXXXX";

static const char *tmp(const char *name) {
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", D, name);
    return buf[k];
}

/* a tiny random generator (text_len 16 fits every prompt) and a tiny VQ of the same codebook */
static int tiny_models(parm_gen *g, parm_vq *vq) {
    parm_gen_config gc = {.L = 1, .C = 16, .NH = 2, .F = 32, .ncodes = 16, .text_len = 16};
    parm_vq_config vc = {.width = 8, .dim = 4, .ncodes = 16, .beta = 0.25f};
    if (parm_gen_init(g, &gc, 7)) return -1;
    return parm_vq_init(vq, &vc, 3);
}

static void classes_of(const uint8_t *rgb, uint8_t *cls) {
    for (int k = 0; k < PIX; k++) cls[k] = (uint8_t)parm_pixel_class(rgb + 3 * k);
}

static void test_reading(void) {
    parm_prompt p, q;
    parm_prompt_parse("a photo of a red star and a blue circle", &p);
    parm_prompt_parse("a photo of a blue star and a red circle", &q);
    parm_scene sc;
    parm_rng rng;
    parm_rng_seed(&rng, 1, PARM_STREAM_SCENE);
    CHECK(parm_scene_sample(&p, &rng, &sc) == 0, "%s", parm_last_error());
    static uint8_t rgb[SZ], blank[SZ];
    parm_render(&sc, rgb);
    memset(blank, 128, sizeof blank);
    parm_reading a, b, c, e;
    parm_grade_reading(rgb, &p, &a);
    parm_grade_reading(rgb, &p, &b);
    parm_grade_reading(rgb, &q, &c);
    parm_grade_reading(blank, &p, &e);
    CHECK(a.n == 2 && a.verdict == 1 && parm_reading_equal(&a, &b), "n %d verdict %d", a.n, a.verdict);
    CHECK(a.obj[0][0] <= a.obj[1][0], "objects not sorted");
    int star = parm_shape_index("star"), circle = parm_shape_index("circle");
    CHECK(a.obj[0][0] == circle && a.obj[0][1] == parm_color_index("blue") && a.obj[1][0] == star &&
              a.obj[1][1] == parm_color_index("red"), "reading (%d,%d) (%d,%d)", a.obj[0][0], a.obj[0][1], a.obj[1][0],
          a.obj[1][1]);
    CHECK(c.verdict == 0 && !parm_reading_equal(&a, &c), "same objects, other verdict must differ");
    CHECK(e.n == 0 && e.verdict == 0 && !parm_reading_equal(&a, &e), "blank canvas: n %d", e.n);
}

static int set_opts(parm_pathset_gen_opts *o, int test) {
    *o = parm_pathset_gen_defaults();
    o->test = test;
    o->n_prompts = 3;
    o->paths = 2;
    o->seed = 5;
    o->sample.steps = 4;
    o->quiet = 1;
    return 0;
}

static void test_generate_roundtrip(void) {
    parm_gen g;
    parm_vq vq;
    CHECK(tiny_models(&g, &vq) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    for (int test = 0; test <= 1; test++) {
        parm_pathset_gen_opts o;
        set_opts(&o, test);
        const char *f = tmp(test ? "test.pset" : "train.pset");
        double acc = -1;
        CHECK(parm_pathset_generate(&g, &vq, &o, f, &acc) == 0, "%s", parm_last_error());
        parm_pathset s;
        CHECK(parm_pathset_load(&s, f) == 0, "%s", parm_last_error());
        if (test_checks_failed_) break;
        const int T = o.sample.steps;
        CHECK(s.n_prompts == 3 && s.paths_per_prompt == 2 && s.n == 6 && s.T == T && s.split == test && s.seed == 5,
              "header %d %d %d %d %d", s.n_prompts, s.paths_per_prompt, s.n, s.T, s.split);
        parm_prompt want[3];
        CHECK(parm_pathset_prompts(&o, want) == 0, "%s", parm_last_error());
        int bad_prompt = 0, bad_seed = 0, bad_fw = 0, bad_last = 0, bad_label = 0, bad_split = 0, correct = 0;
        for (int i = 0; i < s.n; i++) {
            bad_prompt += strcmp(s.prompt[i].text, want[i / 2].text) != 0;
            bad_seed += s.path_seed[i] != ((uint64_t)5 << 32) + (uint64_t)i;
            bad_fw += s.forwards[i] != T;
            bad_last += parm_pathset_reading_eq(&s, i, T - 1) != 1;
            bad_split += parm_prompt_is_test(&s.prompt[i]) != test;
            if (test) bad_split += s.prompt[i].tag != (i / 2 % 2 ? PARM_TAG_COLOR_ATTR : PARM_TAG_POSITION);
            correct += parm_pathset_final_verdict(&s, i);
            static uint8_t rgb[SZ], fin[SZ];
            parm_pathset_rgb(&s, i, T - 1, fin);
            parm_reading rf, rt;
            parm_grade_reading(fin, &s.prompt[i], &rf);
            for (int t = 0; t < T; t++) {
                parm_pathset_rgb(&s, i, t, rgb);
                parm_grade_reading(rgb, &s.prompt[i], &rt);
                bad_label += parm_pathset_verdict(&s, i, t) != parm_grade(rgb, &s.prompt[i], NULL, 0) ||
                             parm_pathset_reading_eq(&s, i, t) != parm_reading_equal(&rt, &rf);
            }
        }
        CHECK(!bad_prompt && !bad_seed && !bad_fw && !bad_last && !bad_label && !bad_split,
              "prompts %d seeds %d forwards %d last flags %d labels %d split %d wrong", bad_prompt, bad_seed, bad_fw,
              bad_last, bad_label, bad_split);
        CHECK(fabs(acc - correct / 6.0) < 1e-9, "acc %g vs %d/6", acc, correct);
        /* relabel: a fresh set is unchanged; flipped labels are put back and counted */
        {
            const size_t nl = (size_t)s.n * T;
            uint8_t *v0 = malloc(nl), *e0 = malloc(nl);
            memcpy(v0, s.verdict, nl);
            memcpy(e0, s.reading_eq, nl);
            long moved[2] = {-1, -1};
            CHECK(parm_pathset_relabel(&s, moved) == 0 && moved[0] == 0 && moved[1] == 0 && !memcmp(v0, s.verdict, nl) &&
                      !memcmp(e0, s.reading_eq, nl),
                  "relabel changed a fresh set (%ld up, %ld down)", moved[0], moved[1]);
            for (int i = 0; i < s.n; i++) s.verdict[(size_t)i * T + T - 1] ^= 1;
            s.reading_eq[0] ^= 1;
            CHECK(parm_pathset_relabel(&s, moved) == 0 && moved[0] == correct && moved[1] == s.n - correct &&
                      !memcmp(v0, s.verdict, nl) && !memcmp(e0, s.reading_eq, nl),
                  "relabel after flips: %ld up, %ld down (want %d, %d)", moved[0], moved[1], correct, s.n - correct);
            free(v0);
            free(e0);
        }
        /* concat: two copies one after another; sets of other shapes refused */
        {
            parm_pathset two[2] = {s, s}, cat, odd;
            two[1].split = 1;
            CHECK(parm_pathset_concat(&cat, two, 2) == 0, "%s", parm_last_error());
            const size_t nl = (size_t)s.n * T;
            int bad = cat.n != 2 * s.n || cat.n_prompts != 2 * s.n_prompts || cat.paths_per_prompt != s.paths_per_prompt ||
                      cat.T != T || cat.split != 1 || cat.seed != s.seed;
            for (int h = 0; h < 2 && !bad; h++) {
                const size_t at = (size_t)h * s.n;
                bad += memcmp(cat.prompt + at, s.prompt, s.n * sizeof *s.prompt) != 0;
                bad += memcmp(cat.path_seed + at, s.path_seed, s.n * sizeof *s.path_seed) != 0;
                bad += memcmp(cat.forwards + at, s.forwards, s.n * sizeof *s.forwards) != 0;
                bad += memcmp(cat.verdict + at * T, s.verdict, nl) != 0;
                bad += memcmp(cat.reading_eq + at * T, s.reading_eq, nl) != 0;
                bad += memcmp(cat.classes + at * T * PARM_PATHSET_PIX, s.classes, nl * PARM_PATHSET_PIX) != 0;
            }
            CHECK(!bad, "concat of a set with itself is not the set twice");
            parm_pathset_free(&cat);
            CHECK(parm_pathset_alloc(&odd, 1, s.paths_per_prompt, T + 1) == 0, "%s", parm_last_error());
            two[1] = odd;
            CHECK(parm_pathset_concat(&cat, two, 2) != 0 && cat.n == 0 && strstr(parm_last_error(), "agree"),
                  "concat of sets with %d and %d steps accepted", T, T + 1);
            parm_pathset_free(&odd);
            CHECK(parm_pathset_alloc(&odd, 1, s.paths_per_prompt + 1, T) == 0, "%s", parm_last_error());
            two[1] = odd;
            CHECK(parm_pathset_concat(&cat, two, 2) != 0 && cat.n == 0, "concat of sets with %d and %d paths accepted",
                  s.paths_per_prompt, s.paths_per_prompt + 1);
            parm_pathset_free(&odd);
            parm_clear_error();
        }
        /* the step images are the sampler's: re-run prompt 1's two paths */
        parm_sample_opts so = o.sample;
        so.step_images = 1;
        parm_sample_run r;
        uint64_t seeds[2] = {s.path_seed[2], s.path_seed[3]};
        int diff = 0;
        CHECK(parm_sample_begin(&g, &r, &s.prompt[2], 2, seeds, &so) == 0, "%s", parm_last_error());
        int st;
        while ((st = parm_sample_step(&g, &vq, &r)) >= 0) {
            static uint8_t cls[PIX];
            for (int j = 0; j < 2; j++) {
                classes_of(r.images + (size_t)j * SZ, cls);
                diff += memcmp(cls, parm_pathset_classes(&s, 2 + j, r.step - 1), PIX) != 0;
            }
            if (st == 1) break;
        }
        parm_sample_end(&r);
        CHECK(st == 1 && diff == 0, "%d step images differ from a re-run of the sampler", diff);
        /* re-save: byte-identical */
        char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        CHECK(parm_pathset_save(&s, tmp("resaved.pset")) == 0, "%s", parm_last_error());
        CHECK(parm_read_file(f, &a, &la) == 0 && parm_read_file(tmp("resaved.pset"), &b, &lb) == 0, "%s",
              parm_last_error());
        CHECK(la == lb && la == 64 + 6 * (176 + (size_t)T * (2 + PIX)) && a && b && !memcmp(a, b, la),
              "re-saved file differs (%zu vs %zu bytes)", la, lb);
        free(a);
        free(b);
        printf("    %s set: 3 prompts x 2 paths x %d steps, final correct %d/6\n", test ? "test" : "train", T, correct);
        parm_pathset_free(&s);
    }
    parm_gen_free(&g);
    parm_vq_free(&vq);
}

/* A synthetic path set of GT renders (train prompts, canonical layout): step
 * t shows the first ⌈t·n/(T−1)⌉ objects; odd paths end wrong in one respect.
 * Labels from the grader, as parm_pathset_generate makes them. test_at >= 0
 * puts a test prompt at that path. */
static int gt_set(parm_pathset *s, int P, int N, int T, uint64_t seed, int test_at) {
    if (parm_pathset_alloc(s, P, N, T)) return -1;
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_NOISE);
    parm_prompt *all = NULL, test_p = {0};
    int np = parm_prompts_all(&all);
    for (int i = 0; i < np; i++)
        if (parm_prompt_is_test(&all[i])) { test_p = all[i]; break; }
    free(all);
    for (int q = 0; q < P; q++) {
        parm_prompt p;
        parm_prompt_sample_train(&rng, &p);
        for (int j = 0; j < N; j++) {
            const int i = q * N + j;
            s->prompt[i] = i == test_at ? test_p : p;
            s->path_seed[i] = (uint64_t)i;
            s->forwards[i] = T;
            parm_scene sc, part;
            int wrong = j % 2, kind = 0;
            while (wrong && !parm_wrong_applies(&s->prompt[i], kind)) kind++;
            if (wrong ? parm_scene_wrong(&s->prompt[i], kind, &rng, &sc)
                      : parm_scene_sample_layout(&s->prompt[i], &parm_layout_canonical, &rng, &sc))
                return -1;
            static uint8_t rgb[SZ];
            parm_reading rd[PARM_PATHSET_MAX_STEPS];
            for (int t = 0; t < T; t++) {
                part = sc;
                part.n = T > 1 ? (sc.n * t + T - 2) / (T - 1) : sc.n;
                parm_render(&part, rgb);
                classes_of(rgb, s->classes + ((size_t)i * T + t) * PIX);
                parm_grade_reading(rgb, &s->prompt[i], &rd[t]);
                s->verdict[(size_t)i * T + t] = (uint8_t)rd[t].verdict;
            }
            for (int t = 0; t < T; t++) s->reading_eq[(size_t)i * T + t] = (uint8_t)parm_reading_equal(&rd[t], &rd[T - 1]);
        }
    }
    return 0;
}

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; }
    return h;
}
static int write_bytes(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(d, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}
/* load must fail, naming the file and (if given) a word */
static int load_fails(const char *path, const char *word) {
    parm_pathset s;
    memset(&s, 0x5a, sizeof s);
    if (parm_pathset_load(&s, path) == 0) { parm_pathset_free(&s); return 0; }
    const char *e = parm_last_error();
    return strstr(e, path) && (!word || strstr(e, word)) && s.n == 0 && s.classes == NULL;
}

static void test_corrupt_files(void) {
    parm_pathset s;
    enum { T = 3 };
    CHECK(gt_set(&s, 2, 2, T, 1, -1) == 0, "%s", parm_last_error());
    const char *f = tmp("gt.pset"), *g = tmp("bad.pset");
    CHECK(parm_pathset_save(&s, f) == 0, "%s", parm_last_error());
    parm_pathset_free(&s);
    char *d = NULL;
    size_t n = 0;
    CHECK(parm_read_file(f, &d, &n) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    const size_t R = 176 + T * (2 + PIX);
    CHECK(n == 64 + 4 * R, "size %zu", n);
    uint8_t *b = malloc(n);
    /* truncations */
    size_t cuts[] = {0, 10, 63, 64, 64 + R - 1, 64 + R, n - 1};
    int bad = 0;
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        write_bytes(g, d, cuts[k]);
        bad += !load_fails(g, cuts[k] < 64 ? "header" : "truncated");
    }
    CHECK(bad == 0, "%d truncations not refused with a named error", bad);
    /* one more byte */
    memcpy(b, d, n);
    FILE *fa = fopen(g, "wb");
    fwrite(b, 1, n, fa);
    fputc(0, fa);
    fclose(fa);
    CHECK(load_fails(g, "truncated or corrupted"), "an extra byte: %s", parm_last_error());
    /* every 331st byte flipped (header and records): always refused */
    bad = 0;
    int tried = 0;
    for (size_t pos = 0; pos < n; pos += 331) {
        memcpy(b, d, n);
        b[pos] ^= 0x41;
        write_bytes(g, b, n);
        tried++;
        bad += !load_fails(g, NULL);
    }
    CHECK(bad == 0, "%d of %d flipped bytes loaded", bad, tried);
    /* wrong magic, wrong version (with a valid header checksum) */
    memcpy(b, d, n);
    b[0] = 'X';
    write_bytes(g, b, n);
    CHECK(load_fails(g, "not a path set"), "%s", parm_last_error());
    memcpy(b, d, n);
    b[8] = 9;
    uint32_t h = fnv(2166136261u, b, 60);
    for (int i = 0; i < 4; i++) b[60 + i] = (uint8_t)(h >> (8 * i));
    write_bytes(g, b, n);
    CHECK(load_fails(g, "version 9"), "%s", parm_last_error());
    /* a huge count with a valid checksum: refused before any allocation */
    memcpy(b, d, n);
    b[16] = b[17] = b[18] = 0xff;
    h = fnv(2166136261u, b, 60);
    for (int i = 0; i < 4; i++) b[60 + i] = (uint8_t)(h >> (8 * i));
    write_bytes(g, b, n);
    CHECK(load_fails(g, "header"), "%s", parm_last_error());
    /* content errors behind a valid record checksum: class 11, a bad prompt, last flag 0 */
    const size_t r1 = 64 + R; /* record 1 */
    struct { size_t off; uint8_t val; const char *word; } cases[] = {
        {r1 + 176 + 2 * T + 100, 11, "pixel class"},
        {r1 + 5, 'Z', "not a prompt"},
        {r1 + 176 + 2 * T - 1, 0, "reading flag"},
        {r1 + 176, 2, "not 0 or 1"},
        {r1 + 3, 0x01, "printable"},
    };
    bad = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(b, d, n);
        b[cases[k].off] = cases[k].val;
        uint32_t c = fnv(fnv(2166136261u, b + r1, 172), b + r1 + 176, R - 176);
        for (int i = 0; i < 4; i++) b[r1 + 172 + i] = (uint8_t)(c >> (8 * i));
        write_bytes(g, b, n);
        if (!load_fails(g, cases[k].word)) { bad++; fprintf(stderr, "    case %zu: %s\n", k, parm_last_error()); }
    }
    CHECK(bad == 0, "%d content errors not refused by name", bad);
    CHECK(load_fails(tmp("missing.pset"), NULL), "a missing file");
    CHECK(load_fails(D, "regular file"), "a folder: %s", parm_last_error());
    free(b);
    free(d);
}

static parm_judge_train_opts data_opts(const char *variant, const char *data) {
    parm_judge_train_opts o = parm_judge_train_defaults();
    o.variant = variant;
    o.data = data;
    return o;
}

/* the generator-backed sources: labels, split, balance, mix, determinism */
static void test_sources(void) {
    parm_pathset s;
    enum { P = 12, N = 2, T = 4 };
    CHECK(gt_set(&s, P, N, T, 2, -1) == 0, "%s", parm_last_error());
    const char *f = tmp("src.pset");
    CHECK(parm_pathset_save(&s, f) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    int npos_paths = 0;
    for (int i = 0; i < s.n; i++) npos_paths += parm_pathset_final_verdict(&s, i);
    CHECK(npos_paths > 0 && npos_paths < s.n, "synthetic set has %d of %d correct finals", npos_paths, s.n);
    const char *names[3] = {"orm", "prm", "parm"};
    enum { B = 24, NB = 40 };
    static parm_judge_example ex[B], ex2[B];
    for (int v = 0; v < 3; v++) {
        const parm_judge_source *src = parm_judge_source_find(names[v]);
        CHECK(src && src->needs_data, "source %s", names[v]);
        if (!src) continue;
        parm_judge_train_opts o = data_opts(names[v], f);
        void *ctx = NULL;
        CHECK(src->open(&ctx, &o) == 0, "%s", parm_last_error());
        if (test_checks_failed_) { parm_pathset_free(&s); return; }
        parm_rng rng;
        parm_rng_seed(&rng, 3, PARM_STREAM_TRAIN);
        int tests = 0, wrong = 0, q_count[PARM_JUDGE_NQ] = {0}, gen_pos = 0, gen_n = 0, zs = 0, zs_bad = 0;
        for (int r = 0; r < NB; r++) {
            parm_rng keep = rng;
            if (src->next(ctx, &rng, ex, B)) { CHECK(0, "%s", parm_last_error()); break; }
            if (r < 3) { /* determinism: same rng state, same batch (stateless between calls) */
                parm_rng again = keep;
                CHECK(src->next(ctx, &again, ex2, B) == 0 && !memcmp(ex, ex2, sizeof ex) &&
                          !memcmp(&again, &rng, sizeof rng), "%s: batch differs for the same rng state", names[v]);
            }
            for (int b = 0; b < B; b++) {
                const parm_judge_example *e = &ex[b];
                tests += parm_prompt_is_test(&e->caption) + parm_prompt_is_test(&e->prompt);
                q_count[e->question]++;
                int grade = parm_grade(e->rgb, &e->caption, NULL, 0);
                if (e->question == PARM_Q_MATCH || e->question == PARM_Q_STEP) wrong += grade != (e->label == 1.0f);
                if (v == 0 && b >= B - 6) { /* orm: the zero-shot share is the last round(0.25·24) = 6 */
                    zs++;
                    zs_bad += (b - (B - 6)) % 2 == 0 ? (e->label != 1.0f || memcmp(e->rgb, ex[b + 1].rgb, SZ)) : e->label != 0.0f;
                } else if (e->question == PARM_Q_MATCH) { gen_n++; gen_pos += e->label == 1.0f; }
                if (e->question != PARM_Q_MATCH && e->question != PARM_Q_STEP) { /* find the path: label as stored */
                    int found = 0;
                    for (int i = 0; i < s.n && !found; i++) {
                        if (strcmp(s.prompt[i].text, e->prompt.text)) continue;
                        for (int t = 0; t < T && !found; t++) {
                            static uint8_t rgb[SZ];
                            parm_pathset_rgb(&s, i, t, rgb);
                            if (memcmp(rgb, e->rgb, SZ)) continue;
                            float want = e->question == PARM_Q_CLARITY ? parm_pathset_reading_eq(&s, i, t)
                                                                       : parm_pathset_final_verdict(&s, i);
                            /* potential is only asked of clear steps (as PARM asks it) */
                            found = want == e->label &&
                                    (e->question != PARM_Q_POTENTIAL || parm_pathset_reading_eq(&s, i, t));
                        }
                    }
                    wrong += !found;
                }
            }
        }
        printf("    %-4s %d batches x %d: match %d clarity %d potential %d step %d; generator finals %d (%d yes)\n",
               names[v], NB, B, q_count[PARM_Q_MATCH], q_count[PARM_Q_CLARITY], q_count[PARM_Q_POTENTIAL],
               q_count[PARM_Q_STEP], gen_n, gen_pos);
        CHECK(tests == 0, "%s: %d test prompts", names[v], tests);
        CHECK(wrong == 0, "%s: %d labels disagree with the grader / the path set", names[v], wrong);
        if (v == 0) {
            CHECK(q_count[PARM_Q_MATCH] == NB * B && zs == NB * 6 && zs_bad == 0, "orm: %d match, %d zero-shot (%d bad)",
                  q_count[PARM_Q_MATCH], zs, zs_bad);
            CHECK(gen_pos * 2 == gen_n, "orm: %d of %d generator examples positive (want half)", gen_pos, gen_n);
        } else if (v == 1) {
            CHECK(q_count[PARM_Q_STEP] == NB * B, "prm: %d step questions", q_count[PARM_Q_STEP]);
        } else {
            CHECK(q_count[PARM_Q_CLARITY] == NB * B / 3 && q_count[PARM_Q_POTENTIAL] == NB * B / 3 &&
                      q_count[PARM_Q_MATCH] == NB * B / 3, "parm: clarity %d potential %d match %d",
                  q_count[PARM_Q_CLARITY], q_count[PARM_Q_POTENTIAL], q_count[PARM_Q_MATCH]);
            CHECK(gen_pos * 2 == gen_n, "parm match: %d of %d positive (want half)", gen_pos, gen_n);
        }
        src->close(ctx);
    }
    /* a source without its path set: an error, not a crash */
    const parm_judge_source *orm = parm_judge_source_find("orm");
    parm_rng rng;
    parm_rng_seed(&rng, 1, PARM_STREAM_TRAIN);
    CHECK(orm && orm->next(NULL, &rng, ex, 4) < 0 && strstr(parm_last_error(), "open"), "%s", parm_last_error());
    parm_pathset_free(&s);
}

/* orm-atoms: atom examples on (augmented) final images of paths, never a
 * test prompt (atom prompts, source prompts), labels the grader's on the
 * example's own image, augmentation present, deterministic; the
 * augmentation itself: mirrors are involutions that swap the relation
 * words, a palette permutation keeps a GT render correct for the permuted prompt */
static void test_orm_atoms(void) {
    parm_pathset s;
    enum { P = 12, N = 2, T = 2, B = 32, NB = 20 };
    CHECK(gt_set(&s, P, N, T, 5, -1) == 0, "%s", parm_last_error());
    const char *f = tmp("atoms.pset");
    CHECK(parm_pathset_save(&s, f) == 0, "%s", parm_last_error());
    const parm_judge_source *src = parm_judge_source_find("orm-atoms");
    CHECK(src && src->needs_data && src->question == PARM_Q_MATCH, "orm-atoms source");
    if (test_checks_failed_) { parm_pathset_free(&s); return; }
    parm_judge_train_opts o = data_opts("orm-atoms", f);
    void *ctx = NULL;
    CHECK(src->open(&ctx, &o) == 0, "%s", parm_last_error());
    if (test_checks_failed_) { parm_pathset_free(&s); return; }
    static parm_judge_example ex[B], ex2[B];
    parm_rng rng;
    parm_rng_seed(&rng, 4, PARM_STREAM_TRAIN);
    int tests = 0, wrong = 0, augmented = 0, n = 0, pos = 0, grounded = 0;
    for (int r = 0; r < NB; r++) {
        parm_rng keep = rng;
        if (src->next(ctx, &rng, ex, B)) { CHECK(0, "%s", parm_last_error()); break; }
        if (r == 0) {
            CHECK(src->next(ctx, &keep, ex2, B) == 0 && !memcmp(ex, ex2, sizeof ex), "same rng state, different batch");
        }
        for (int b = 0; b < B; b++) {
            const parm_judge_example *e = &ex[b];
            tests += parm_prompt_is_test(&e->caption) + parm_prompt_is_test(&e->prompt);
            wrong += parm_grade(e->rgb, &e->caption, NULL, 0) != (e->label == 1.0f) || !e->atom[0];
            pos += e->label == 1.0f;
            n++;
            if (b >= 24) continue; /* the last round(0.25 * 32) = 8: GT atom groups */
            grounded += e->has_ground; /* generator images have no scene: no grounding target */
            int from_path = 0;
            static uint8_t rgb[SZ];
            for (int i = 0; i < s.n && !from_path; i++) {
                parm_pathset_rgb(&s, i, T - 1, rgb);
                from_path = !memcmp(rgb, e->rgb, SZ);
            }
            augmented += !from_path;
        }
    }
    src->close(ctx);
    printf("    orm-atoms %d examples: %d yes, %d of %d path examples augmented\n", n, pos, augmented, NB * 24);
    CHECK(tests == 0, "%d test prompts", tests);
    CHECK(wrong == 0, "%d labels disagree with the grader", wrong);
    CHECK(grounded == 0, "%d path examples with a grounding target", grounded);
    CHECK(augmented > NB * 24 / 2 && augmented < NB * 24, "%d of %d augmented", augmented, NB * 24);
    CHECK(pos > n / 4 && pos < 3 * n / 4, "%d of %d yes", pos, n);
    /* augmentation */
    parm_prompt p, q, q2;
    CHECK(parm_prompt_parse("a photo of a star left of a circle", &p) == 0, "%s", parm_last_error());
    static uint8_t a[SZ], m1[SZ], m2[SZ];
    parm_scene sc;
    CHECK(parm_scene_sample_layout(&p, &parm_layout_canonical, &rng, &sc) == 0, "%s", parm_last_error());
    parm_render(&sc, a);
    int id[PARM_NCOLORS], perm[PARM_NCOLORS];
    for (int c = 0; c < PARM_NCOLORS; c++) { id[c] = c; perm[c] = (c + 3) % PARM_NCOLORS; }
    CHECK(parm_judge_augment(&p, a, PARM_AUG_MIRROR_X, id, &q, m1) == 0 &&
              parm_judge_augment(&q, m1, PARM_AUG_MIRROR_X, id, &q2, m2) == 0, "%s", parm_last_error());
    CHECK(!strcmp(q.text, "a photo of a star right of a circle") && !strcmp(q2.text, p.text) && !memcmp(a, m2, SZ) &&
              memcmp(a, m1, SZ) && parm_grade(m1, &q, NULL, 0) == 1, "mirror: '%s' / '%s'", q.text, q2.text);
    CHECK(parm_prompt_parse("a photo of a star above a circle", &p) == 0 &&
              parm_judge_augment(&p, a, PARM_AUG_MIRROR_Y | PARM_AUG_MIRROR_X, id, &q, m1) == 0 &&
              !strcmp(q.text, "a photo of a star below a circle"), "mirror up-down: '%s'", q.text);
    int bad = 0;
    for (int k = 0; k < 50; k++) {
        CHECK(parm_prompt_parse(k % 2 ? "a photo of a red star and a blue circle" : "a photo of a green cross", &p) == 0,
              "%s", parm_last_error());
        if (parm_scene_sample_layout(&p, &parm_layout_canonical, &rng, &sc)) { bad++; continue; }
        parm_render(&sc, a);
        if (parm_judge_augment(&p, a, PARM_AUG_PALETTE, perm, &q, m1)) { bad++; continue; }
        bad += parm_grade(m1, &q, NULL, 0) != 1 || parm_grade(m1, &p, NULL, 0) != 0;
    }
    CHECK(bad == 0, "%d palette-permuted renders not correct for the permuted prompt (e.g. '%s')", bad, q.text);
    parm_pathset_free(&s);
}

/* orm-atoms and parm-atoms with ranking pairs (rank_frac): the pairs come
 * first among the atom rows; each pair's side 0 is one image and side 1
 * another, both made for one prompt (the same one, augmented alike), their
 * rows every object / count atom of it; side 0 passes all of them and side 1
 * fails one (the grader's labels); relation atoms carry no slot; no test
 * prompt; deterministic; parm-atoms: some pairs on clear steps that are not
 * final, none on an unclear step; with rank_frac 0 no slot is set; other
 * variants refuse it */
static void test_atoms_rank(void) {
    parm_pathset s;
    enum { P = 12, N = 2, T = 4, B = 32, NB = 40 };
    CHECK(gt_set(&s, P, N, T, 5, -1) == 0, "%s", parm_last_error());
    /* a one-pixel speck in the corner of every earlier step, so that a clear step is not the final image
     * itself (in a GT set it would be: the same objects drawn); verdicts and readings recomputed */
    for (int i = 0; i < s.n; i++) {
        parm_reading rd[T];
        for (int t = 0; t < T; t++) {
            uint8_t *cls = s.classes + ((size_t)i * T + t) * PIX;
            if (t < T - 1) cls[0] = (uint8_t)(cls[0] == 1 ? 2 : 1);
            static uint8_t rgb[SZ];
            parm_pathset_rgb(&s, i, t, rgb);
            parm_grade_reading(rgb, &s.prompt[i], &rd[t]);
            s.verdict[(size_t)i * T + t] = (uint8_t)rd[t].verdict;
        }
        for (int t = 0; t < T; t++) s.reading_eq[(size_t)i * T + t] = (uint8_t)parm_reading_equal(&rd[t], &rd[T - 1]);
    }
    const char *f = tmp("rank.pset");
    CHECK(parm_pathset_save(&s, f) == 0, "%s", parm_last_error());
    const char *names[2] = {"orm-atoms", "parm-atoms"};
    for (int v = 0; v < 2 && !test_checks_failed_; v++) {
        const parm_judge_source *src = parm_judge_source_find(names[v]);
        parm_judge_train_opts o = data_opts(names[v], f);
        void *plain = NULL, *ctx = NULL;
        CHECK(src && src->open(&plain, &o) == 0, "%s", parm_last_error());
        o.rank_frac = 0.75f;
        CHECK(src && src->open(&ctx, &o) == 0, "%s", parm_last_error());
        if (test_checks_failed_) break;
        /* rows before the atom rows (parm-atoms' clarity), then zs_frac 0.25 of the rest at the end;
         * the pairs sit in the first round(0.75·path rows) atom rows */
        const int k0 = v ? (B + 2) / 4 : 0, path_rows = (B - k0) - (int)(0.25f * (B - k0) + 0.5f);
        const int pair_end = k0 + (int)(0.75f * path_rows + 0.5f);
        static parm_judge_example ex[B], ex2[B];
        parm_rng rng, r2;
        parm_rng_seed(&rng, 6, PARM_STREAM_TRAIN);
        r2 = rng;
        memset(ex, 0, sizeof ex); /* fields a source leaves unset (an unused grounding target) compare equal */
        memset(ex2, 0, sizeof ex2);
        CHECK(src->next(ctx, &rng, ex, B) == 0 && src->next(ctx, &r2, ex2, B) == 0 && !memcmp(ex, ex2, sizeof ex),
              "%s: same rng state, different batch", names[v]);
        int pairs = 0, rows = 0, tests = 0, bad = 0, order = 0, rel_slots = 0, traced = 0, nonfinal = 0, unclear = 0;
        for (int r = 0; r < NB; r++) {
            if (r && src->next(ctx, &rng, ex, B)) { CHECK(0, "%s", parm_last_error()); break; }
            int last = -1;
            for (int b = 0; b < B; b++) {
                const parm_judge_example *e = &ex[b];
                tests += parm_prompt_is_test(&e->caption) + parm_prompt_is_test(&e->prompt);
                parm_atom a;
                int is_rel = !parm_atom_parse(e->atom, &a) && a.kind == PARM_ATOM_RELATION;
                if (!e->rank_slot) continue;
                rows++;
                rel_slots += is_rel;
                order += b < k0 || b >= pair_end;
                const int pair = (e->rank_slot - 1) / 2, side = (e->rank_slot - 1) % 2;
                if (pair != last) { pairs += side == 0; last = pair; }
                int pass0 = 1, fail1 = 0;
                for (int k = 0; k < B; k++) {
                    const parm_judge_example *g = &ex[k];
                    if (!g->rank_slot || (g->rank_slot - 1) / 2 != pair) continue;
                    int same_img = !memcmp(g->rgb, e->rgb, SZ), gs = (g->rank_slot - 1) % 2;
                    bad += strcmp(g->prompt.text, e->prompt.text) != 0 || same_img != (gs == side);
                    bad += parm_grade(g->rgb, &g->caption, NULL, 0) != (g->label == 1.0f);
                    if (gs == 0) pass0 &= g->label == 1.0f;
                    else fail1 |= g->label == 0.0f;
                }
                bad += !pass0 || !fail1;
                for (int i = 0; i < s.n; i++) /* an unaugmented path image: its final one, or which earlier step */
                    for (int t = T - 1; t >= 0 && !strcmp(s.prompt[i].text, e->prompt.text); t--) {
                        static uint8_t rgb[SZ];
                        parm_pathset_rgb(&s, i, t, rgb);
                        if (memcmp(rgb, e->rgb, SZ)) continue;
                        traced++;
                        nonfinal += t < T - 1;
                        unclear += !parm_pathset_reading_eq(&s, i, t);
                        break;
                    }
            }
        }
        printf("    %s with ranking pairs: %d pairs, %d rows in %d batches; %d rows traced to a path step, %d not final\n",
               names[v], pairs, rows, NB, traced, nonfinal);
        CHECK(tests == 0, "%s: %d test prompts", names[v], tests);
        CHECK(bad == 0, "%s: %d ranking rows inconsistent (prompt, image, side, label)", names[v], bad);
        CHECK(rel_slots == 0 && order == 0, "%s: %d relation atoms ranked, %d ranking rows outside [%d, %d)", names[v],
              rel_slots, order, k0, pair_end);
        CHECK(pairs >= NB, "%s: only %d ranking pairs in %d batches", names[v], pairs, NB);
        CHECK(unclear == 0, "%s: %d ranking rows on an unclear step", names[v], unclear);
        CHECK(traced > 0 && (v ? nonfinal > 0 : nonfinal == 0), "%s: %d traced rows, %d not final", names[v], traced,
              nonfinal);
        /* rank_frac 0: the batch of a source opened without it, every slot 0 */
        parm_rng_seed(&rng, 6, PARM_STREAM_TRAIN);
        r2 = rng;
        o.rank_frac = 0;
        void *zero = NULL;
        CHECK(src->open(&zero, &o) == 0 && src->next(zero, &rng, ex, B) == 0 && src->next(plain, &r2, ex2, B) == 0,
              "%s", parm_last_error());
        int slots = 0, diff = 0;
        for (int b = 0; b < B; b++) {
            slots += ex[b].rank_slot != 0;
            diff += memcmp(ex[b].rgb, ex2[b].rgb, SZ) || ex[b].label != ex2[b].label || strcmp(ex[b].atom, ex2[b].atom) ||
                    strcmp(ex[b].prompt.text, ex2[b].prompt.text);
        }
        CHECK(diff == 0, "%s: rank_frac 0 changed %d rows of the stream", names[v], diff);
        CHECK(slots == 0, "%s: %d slots set without ranking pairs", names[v], slots);
        src->close(zero);
        src->close(plain);
        src->close(ctx);
    }
    const char *others[3] = {"orm", "prm-atoms", "parm"};
    for (int v = 0; v < 3; v++) {
        parm_judge_train_opts o = data_opts(others[v], f);
        o.rank_frac = 0.5f;
        void *ctx = NULL;
        const parm_judge_source *src = parm_judge_source_find(others[v]);
        CHECK(src && src->open(&ctx, &o) < 0 && strstr(parm_last_error(), "parm-atoms"), "%s took rank_frac: %s",
              others[v], parm_last_error());
    }
    parm_pathset_free(&s);
}

/* parm-atoms and prm-atoms: orm-atoms groups on step images. No test
 * prompt; every label the grader's on the image shown; parm-atoms: the first
 * (B+2)/4 examples ask clarity (label = the path set's reading flag), its atom
 * images are final or clear steps, some of them not final; prm-atoms: atom
 * images from several steps, clear or not; both deterministic; and the
 * file key that makes them answer potential / step as MATCH. */
static void test_step_atoms(void) {
    parm_pathset s;
    enum { P = 12, N = 2, T = 4, B = 32, NB = 20 };
    CHECK(gt_set(&s, P, N, T, 6, -1) == 0, "%s", parm_last_error());
    const char *f = tmp("stepatoms.pset");
    CHECK(parm_pathset_save(&s, f) == 0, "%s", parm_last_error());
    if (test_checks_failed_) { parm_pathset_free(&s); return; }
    const char *names[2] = {"parm-atoms", "prm-atoms"};
    static parm_judge_example ex[B], ex2[B];
    for (int v = 0; v < 2; v++) {
        const parm_judge_source *src = parm_judge_source_find(names[v]);
        CHECK(src && src->needs_data && src->question == (v ? PARM_Q_STEP : -1), "source %s", names[v]);
        if (!src) continue;
        parm_judge_train_opts o = data_opts(names[v], f);
        void *ctx = NULL;
        CHECK(src->open(&ctx, &o) == 0, "%s", parm_last_error());
        if (test_checks_failed_) break;
        parm_rng rng;
        parm_rng_seed(&rng, 5, PARM_STREAM_TRAIN);
        const int k = v ? 0 : (B + 2) / 4; /* clarity examples first */
        int tests = 0, wrong = 0, clarity = 0, unclear = 0, steps_seen = 0, nonfinal = 0, traced = 0;
        for (int r = 0; r < NB; r++) {
            parm_rng keep = rng;
            memset(ex, 0, sizeof ex); /* fields a source leaves unset (an unused grounding target) compare equal */
            memset(ex2, 0, sizeof ex2);
            if (src->next(ctx, &rng, ex, B)) { CHECK(0, "%s", parm_last_error()); break; }
            if (r == 0)
                CHECK(src->next(ctx, &keep, ex2, B) == 0 && !memcmp(ex, ex2, sizeof ex), "%s: same rng, other batch",
                      names[v]);
            for (int b = 0; b < B; b++) {
                const parm_judge_example *e = &ex[b];
                tests += parm_prompt_is_test(&e->caption) + parm_prompt_is_test(&e->prompt);
                if (b < k) { /* clarity of a path step, labeled from the path set */
                    clarity += e->question == PARM_Q_CLARITY;
                    int found = 0;
                    for (int i = 0; i < s.n && !found; i++)
                        for (int t = 0; t < T && !found && !strcmp(s.prompt[i].text, e->prompt.text); t++) {
                            static uint8_t rgb[SZ];
                            parm_pathset_rgb(&s, i, t, rgb);
                            found = !memcmp(rgb, e->rgb, SZ) && e->label == parm_pathset_reading_eq(&s, i, t);
                        }
                    wrong += !found;
                    continue;
                }
                wrong += e->question != PARM_Q_MATCH || !e->atom[0] ||
                         parm_grade(e->rgb, &e->caption, NULL, 0) != (e->label == 1.0f);
                for (int i = 0; i < s.n; i++) /* an unaugmented path image: which step */
                    for (int t = 0; t < T; t++) {
                        static uint8_t rgb[SZ];
                        parm_pathset_rgb(&s, i, t, rgb);
                        if (memcmp(rgb, e->rgb, SZ)) continue;
                        traced++;
                        steps_seen |= 1 << t;
                        nonfinal += t < T - 1;
                        unclear += !parm_pathset_reading_eq(&s, i, t);
                    }
            }
        }
        src->close(ctx);
        printf("    %s %d batches x %d: %d clarity, %d traced path images (steps mask %x, %d not final, %d unclear)\n",
               names[v], NB, B, clarity, traced, steps_seen, nonfinal, unclear);
        CHECK(tests == 0, "%s: %d test prompts", names[v], tests);
        CHECK(wrong == 0, "%s: %d labels disagree with the grader / the path set", names[v], wrong);
        CHECK(clarity == NB * k, "%s: %d clarity examples (want %d)", names[v], clarity, NB * k);
        CHECK(traced > 20 && nonfinal > 0, "%s: %d traced, %d not final", names[v], traced, nonfinal);
        if (v == 0) CHECK(unclear == 0, "parm-atoms: %d atom examples on unclear steps", unclear);
        else CHECK(unclear > 0 && steps_seen == (1 << T) - 1, "prm-atoms: steps %x, %d unclear", steps_seen, unclear);
    }
    parm_pathset_free(&s);
}

/* data with a test prompt, missing data, data for orm-zs: refused */
static void test_refusals(void) {
    parm_pathset s;
    CHECK(gt_set(&s, 3, 2, 2, 3, 4) == 0, "%s", parm_last_error());
    const char *f = tmp("hastest.pset");
    CHECK(parm_pathset_save(&s, f) == 0, "%s", parm_last_error());
    int first = -2;
    CHECK(parm_pathset_count_test(&s, &first) == 1 && first == 4, "count_test first %d", first);
    parm_pathset_free(&s);
    const char *names[6] = {"orm", "prm", "parm", "orm-atoms", "parm-atoms", "prm-atoms"};
    for (int v = 0; v < 6; v++) {
        parm_judge_train_opts o = data_opts(names[v], f);
        o.train.steps = 1;
        o.train.quiet = 1;
        o.train.eval_every = 0;
        o.train.out = o.train.log = o.train.ckpt = "";
        CHECK(parm_judge_train(&o, NULL) < 0 && strstr(parm_last_error(), "TEST") && strstr(parm_last_error(), f),
              "%s with a test prompt: %s", names[v], parm_last_error());
        o.data = NULL;
        CHECK(parm_judge_train(&o, NULL) < 0 && strstr(parm_last_error(), "--data"), "%s without data: %s", names[v],
              parm_last_error());
    }
    parm_judge_train_opts o = data_opts("orm-zs", f);
    CHECK(parm_judge_train(&o, NULL) < 0 && strstr(parm_last_error(), "no --data"), "%s", parm_last_error());
}

static parm_judge_train_opts tiny_opts(const char *variant, const char *data) {
    parm_judge_train_opts o = data_opts(variant, data);
    o.cfg = (parm_judge_config){.L = 1, .C = 16, .NH = 2, .F = 32, .text_len = 16};
    o.train.batch = 8;
    o.train.warmup = 0;
    o.train.eval_every = 0;
    o.train.log = "";
    o.train.ckpt = "";
    o.train.ckpt_every = 2;
    o.train.quiet = 1;
    return o;
}

/* as_match: what parm-atoms / prm-atoms write (and no other variant), its
 * parse, and that a question answered as MATCH is MATCH's answer bit for bit
 * (parm_judge_prob and the path-set evaluation) */
static void test_as_match(void) {
    CHECK(parm_judge_as_match_parse("none") == 0 && parm_judge_as_match_parse("potential") == 1 << PARM_Q_POTENTIAL &&
              parm_judge_as_match_parse("step,potential") == (1 << PARM_Q_STEP | 1 << PARM_Q_POTENTIAL),
          "as_match parse");
    const char *bad[5] = {"", "match", "step,step", "potential,", "clarity"};
    for (int k = 0; k < 5; k++)
        CHECK(parm_judge_as_match_parse(bad[k]) < 0 && strstr(parm_last_error(), "potential,step"), "'%s' accepted",
              bad[k]);
    parm_pathset s;
    CHECK(gt_set(&s, 4, 2, 3, 7, -1) == 0 && parm_pathset_save(&s, tmp("am.pset")) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    const char *names[3] = {"parm-atoms", "prm-atoms", "parm"};
    const int want[3] = {1 << PARM_Q_POTENTIAL, 1 << PARM_Q_STEP, 0};
    for (int v = 0; v < 3; v++) {
        parm_judge_train_opts o = tiny_opts(names[v], tmp("am.pset"));
        o.train.steps = 2;
        o.train.out = tmp("am.safetensors");
        o.eval_atoms = PARM_ATOMS_MIN;
        parm_judge j;
        CHECK(parm_judge_train(&o, NULL) == 0 && parm_judge_load(&j, o.train.out) == 0, "%s", parm_last_error());
        if (test_checks_failed_) break;
        CHECK(j.as_match == want[v] && j.atoms == PARM_ATOMS_MIN, "%s: as_match %d atoms %d", names[v], j.as_match, j.atoms);
        static uint8_t rgb[SZ];
        parm_pathset_rgb(&s, 1, 1, rgb);
        const char *t[1] = {s.prompt[1].text};
        const int q = v == 1 ? PARM_Q_STEP : PARM_Q_POTENTIAL;
        float pm, pq, pown;
        CHECK(parm_judge_prob(&j, PARM_Q_MATCH, t, 1, rgb, 1, &pm) == 0 && parm_judge_prob(&j, q, t, 1, rgb, 1, &pq) == 0,
              "%s", parm_last_error());
        int am = j.as_match;
        j.as_match = 0;
        CHECK(parm_judge_prob(&j, q, t, 1, rgb, 1, &pown) == 0, "%s", parm_last_error());
        j.as_match = am;
        if (v < 2) CHECK(pq == pm && pown != pm, "%s: asked %g, match %g, own token %g", names[v], pq, pm, pown);
        else CHECK(pq == pown && pq != pm, "parm: potential %g equals match %g", pq, pm);
        if (v == 0) { /* the evaluation asks the same: potential's AUC = match asked of those clear steps */
            parm_judge_metrics a, b;
            CHECK(parm_judge_evaluate_pathset(&j, &s, PARM_Q_POTENTIAL, &a, NULL, NULL, NULL) == 0, "%s", parm_last_error());
            j.as_match = 0;
            CHECK(parm_judge_evaluate_pathset(&j, &s, PARM_Q_POTENTIAL, &b, NULL, NULL, NULL) == 0, "%s", parm_last_error());
            CHECK(a.n == b.n && a.n > 0 && a.loss != b.loss, "potential eval by match: n %d/%d loss %g/%g", a.n, b.n, a.loss,
                  b.loss);
        }
        parm_judge_free(&j);
    }
    parm_pathset_free(&s);
}

/* --init: the saved judge's config wins and its weights are the start (lr 0
 * keeps them); a run from --init resumes from its checkpoint alone */
static void test_init_and_resume(void) {
    parm_judge j0, j1;
    parm_judge_config c0 = {.L = 2, .C = 24, .NH = 3, .F = 40, .text_len = 16};
    CHECK(parm_judge_init(&j0, &c0, 11) == 0, "%s", parm_last_error());
    snprintf(j0.variant, sizeof j0.variant, "orm-zs");
    const char *init = tmp("init.safetensors"), *out = tmp("out.safetensors");
    CHECK(parm_judge_save(&j0, init, PARM_F32) == 0, "%s", parm_last_error());
    parm_pathset s;
    CHECK(gt_set(&s, 3, 2, 2, 4, -1) == 0 && parm_pathset_save(&s, tmp("init.pset")) == 0, "%s", parm_last_error());
    parm_pathset_free(&s);
    parm_judge_train_opts o = tiny_opts("orm", tmp("init.pset"));
    o.train.init = init;
    o.train.steps = 2;
    o.train.lr = o.train.lr_min = 0;
    o.train.weight_decay = 0;
    o.train.out = out;
    CHECK(parm_judge_train(&o, NULL) == 0, "%s", parm_last_error());
    CHECK(parm_judge_load(&j1, out) == 0, "%s", parm_last_error());
    if (test_checks_failed_) { parm_judge_free(&j0); return; }
    CHECK(j1.cfg.L == 2 && j1.cfg.C == 24 && j1.cfg.NH == 3 && j1.cfg.F == 40, "config %d %d %d %d", j1.cfg.L, j1.cfg.C,
          j1.cfg.NH, j1.cfg.F);
    CHECK(!strcmp(j1.variant, "orm"), "variant '%s'", j1.variant);
    float maxd = 0;
    for (size_t k = 0; k < j0.p.numel; k++) {
        float d = fabsf(j0.p.w[k] - j1.p.w[k]);
        maxd = d > maxd ? d : maxd;
    }
    CHECK(j0.p.numel == j1.p.numel && maxd < 1e-3f, "weights moved by %g with lr 0 (F16 output)", maxd);
    parm_judge_free(&j1);
    /* exact resume of an --init run: 4 straight = 2, then resume (no --init) to 4 */
    const char *a = tmp("a.ckpt"), *b = tmp("b.ckpt");
    o = tiny_opts("parm", tmp("init.pset"));
    o.train.init = init;
    o.train.lr = o.train.lr_min = 1e-3f;
    o.train.out = "";
    o.train.steps = 4;
    o.train.ckpt = a;
    CHECK(parm_judge_train(&o, NULL) == 0, "%s", parm_last_error());
    o.train.steps = 2;
    o.train.ckpt = b;
    CHECK(parm_judge_train(&o, NULL) == 0, "%s", parm_last_error());
    o.train.init = NULL;
    o.train.steps = 4;
    o.train.resume = b;
    CHECK(parm_judge_train(&o, NULL) == 0, "resume without --init: %s", parm_last_error());
    parm_judge ja, jb;
    parm_judge_init(&ja, &c0, 0);
    parm_judge_init(&jb, &c0, 1);
    long sa = 0, sb = 0;
    CHECK(parm_ckpt_load(&ja.p, a, &sa, NULL) == 0 && parm_ckpt_load(&jb.p, b, &sb, NULL) == 0, "%s", parm_last_error());
    CHECK(sa == 4 && sb == 4 && !memcmp(ja.p.w, jb.p.w, sizeof(float) * ja.p.numel), "resumed weights differ");
    o.train.init = tmp("nothing.safetensors");
    o.train.resume = NULL;
    CHECK(parm_judge_train(&o, NULL) < 0 && strstr(parm_last_error(), "nothing.safetensors"), "%s", parm_last_error());
    parm_judge_free(&ja);
    parm_judge_free(&jb);
    parm_judge_free(&j0);
}

static void test_evaluate_pathset(void) {
    parm_pathset s;
    enum { P = 4, N = 3, T = 3 };
    CHECK(gt_set(&s, P, N, T, 5, -1) == 0, "%s", parm_last_error());
    parm_judge j;
    parm_judge_config c = {.L = 1, .C = 16, .NH = 2, .F = 32, .text_len = 16};
    CHECK(parm_judge_init(&j, &c, 2) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    for (int q = 0; q < PARM_JUDGE_NQ; q++) {
        parm_judge_metrics m;
        parm_judge_bestofn bon;
        double acc[T];
        long cnt[T];
        CHECK(parm_judge_evaluate_pathset(&j, &s, q, &m, acc, cnt, &bon) == 0, "%s", parm_last_error());
        long want_n = 0, yes = 0, want_cnt[T] = {0}; /* potential: only the clear steps */
        for (int i = 0; i < s.n; i++)
            for (int t = q == PARM_Q_MATCH ? T - 1 : 0; t < T; t++) {
                if (q == PARM_Q_POTENTIAL && !parm_pathset_reading_eq(&s, i, t)) continue;
                want_n++;
                want_cnt[t]++;
                yes += q == PARM_Q_STEP ? parm_pathset_verdict(&s, i, t)
                       : q == PARM_Q_CLARITY ? parm_pathset_reading_eq(&s, i, t) : parm_pathset_final_verdict(&s, i);
            }
        CHECK(m.n == want_n && fabs(m.yes_rate - (double)yes / want_n) < 1e-9, "q %d: n %d yes rate %g", q, m.n,
              m.yes_rate);
        CHECK(want_cnt[T - 1] == P * N, "every last step reads as its final image");
        for (int t = 0; t < T; t++) CHECK(cnt[t] == want_cnt[t], "q %d: step %d count %ld, want %ld", q, t, cnt[t], want_cnt[t]);
        if (q == PARM_Q_MATCH)
            CHECK(bon.bestofn >= 0 && bon.bestofn <= bon.oracle && bon.oracle <= 1 && fabs(bon.mean - (double)yes / want_n) < 1e-9,
                  "best-of-N %g one %g oracle %g", bon.bestofn, bon.mean, bon.oracle);
        else CHECK(bon.bestofn == -1, "best-of-N only for match");
        if (q == PARM_Q_MATCH) { /* per tag and the misses add up to the totals */
            long np = 0, picked = 0, rej = 0, rej_k = 0, wrong_k = 0, with_correct = 0;
            for (int t = 0; t < PARM_NTAGS; t++) {
                np += bon.n_tag[t];
                picked += bon.n_tag[t] ? lround(bon.bestofn_tag[t] * bon.n_tag[t]) : 0;
            }
            for (int i = 0; i < s.n; i++) rej += !parm_pathset_final_verdict(&s, i);
            for (int k = 0; k < PARM_NFAIL; k++) {
                rej_k += bon.rejected_kind[k];
                wrong_k += bon.wrong_kind[k];
                CHECK(bon.accepted_kind[k] <= bon.rejected_kind[k], "kind %d: %ld accepted of %ld", k, bon.accepted_kind[k],
                      bon.rejected_kind[k]);
            }
            for (int p = 0; p < P; p++) { /* prompts with a correct path */
                int any = 0;
                for (int k = p * N; k < (p + 1) * N; k++) any |= parm_pathset_final_verdict(&s, k);
                with_correct += any;
            }
            CHECK(np == P && picked == lround(bon.bestofn * P), "tags: %ld prompts, %ld picked right", np, picked);
            CHECK(rej_k == rej, "rejected final images by clause %ld, rejected %ld (the set's verdicts are this grader's)",
                  rej_k, rej);
            /* a right pick needs a correct path, so wrong picks = prompts with one − right picks */
            CHECK(wrong_k == bon.wrong_picks && bon.wrong_picks == with_correct - lround(bon.bestofn * P),
                  "wrong picks %ld (by clause %ld), prompts with a correct path %ld", bon.wrong_picks, wrong_k, with_correct);
        }
    }
    parm_judge_metrics m;
    CHECK(parm_judge_evaluate_pathset(&j, &s, 7, &m, NULL, NULL, NULL) < 0 && strstr(parm_last_error(), "question"),
          "%s", parm_last_error());
    parm_judge_free(&j);
    parm_pathset_free(&s);
}

/* ---- the command line ---- */

static void test_cli(void) {
    if (access("./parm", X_OK)) { CHECK(0, "./parm is not built (run make test)"); return; }
    parm_gen g;
    parm_vq vq;
    CHECK(tiny_models(&g, &vq) == 0, "%s", parm_last_error());
    CHECK(parm_gen_save(&g, tmp("g.safetensors"), PARM_F32) == 0 && parm_vq_save(&vq, tmp("v.safetensors"), PARM_F32) == 0,
          "%s", parm_last_error());
    parm_gen_free(&g);
    parm_vq_free(&vq);
    CHECK(sh("./parm paths --help") == 0, "paths --help");
    char *o = slurp("out");
    CHECK(strstr(o, "usage: parm paths") && strstr(o, "--n-prompts"), "help text");
    free(o);
    CHECK(sh("./parm paths --prompts tset -o %s", tmp("x")) == 2, "bad --prompts exits 2");
    char *e = slurp("err");
    CHECK(strstr(e, "'tset'") != NULL, "error quotes the value: %s", e);
    free(e);
    CHECK(sh("./parm paths --prompts train --paths 0 -o %s", tmp("x")) == 2, "--paths 0 exits 2");
    CHECK(sh("./parm paths --prompts train") == 2, "no -o exits 2");
    CHECK(sh("./parm paths --prompts train --bogus 1 -o x") == 2, "unknown option exits 2");
    const char *common = "--n-prompts 2 --paths 2 --steps 3 --quiet";
    int rc = sh("./parm paths --prompts test %s --gen %s --vq %s -o %s", common, tmp("g.safetensors"),
                tmp("v.safetensors"), tmp("cli_test.pset"));
    e = slurp("err");
    CHECK(rc == 0, "paths test: %s", e);
    free(e);
    CHECK(sh("./parm paths --prompts train %s --gen %s --vq %s -o %s", common, tmp("g.safetensors"), tmp("v.safetensors"),
             tmp("cli_train.pset")) == 0, "paths train");
    parm_pathset s;
    CHECK(parm_pathset_load(&s, tmp("cli_test.pset")) == 0 && s.n == 4 && s.T == 3 && parm_pathset_count_test(&s, NULL) == 4,
          "%s", parm_last_error());
    parm_pathset_free(&s);
    /* --merge: train + test sets into one (a trainer then refuses it: it holds TEST prompts) */
    CHECK(sh("./parm paths --merge %s,%s -o %s --quiet", tmp("cli_train.pset"), tmp("cli_test.pset"), tmp("cli_m.pset")) == 0,
          "paths --merge");
    CHECK(parm_pathset_load(&s, tmp("cli_m.pset")) == 0 && s.n == 8 && s.T == 3 && parm_pathset_count_test(&s, NULL) == 4,
          "merged set: %s", parm_last_error());
    parm_pathset_free(&s);
    CHECK(sh("./parm paths --merge %s -o %s", tmp("cli_train.pset"), tmp("cli_m1.pset")) == 2 &&
              access(tmp("cli_m1.pset"), F_OK) != 0,
          "--merge of one set exits 2 and writes nothing");
    CHECK(sh("./parm paths --merge %s,%s -o %s", tmp("cli_train.pset"), tmp("nope.pset"), tmp("cli_m2.pset")) == 1 &&
              access(tmp("cli_m2.pset"), F_OK) != 0,
          "--merge of a missing set exits 1 and writes nothing");
    e = slurp("err");
    CHECK(strstr(e, "nope.pset") != NULL, "names the missing set: %s", e);
    free(e);
    const char *tiny = "--steps 1 --batch 4 --layers 1 --width 16 --heads 2 --mlp 16 --eval-every 0 --log '' --quiet";
    CHECK(sh("./parm train judge --variant orm --data %s %s --out %s --ckpt %s", tmp("cli_test.pset"), tiny,
             tmp("j.st"), tmp("j.ckpt")) == 1, "test-prompt data must be refused");
    e = slurp("err");
    CHECK(strstr(e, "TEST") != NULL, "names the reason: %s", e);
    free(e);
    CHECK(sh("./parm train judge --variant prm %s --out %s --ckpt %s", tiny, tmp("j.st"), tmp("j.ckpt")) == 1,
          "prm without --data exits 1");
    CHECK(sh("./parm train judge --layout diagonal --steps 1") == 2, "bad --layout exits 2");
    rc = sh("./parm train judge --variant parm --data %s %s --out %s --ckpt %s", tmp("cli_train.pset"), tiny,
            tmp("j.st"), tmp("j.ckpt"));
    e = slurp("err");
    CHECK(rc == 0, "train parm: %s", e);
    free(e);
    rc = sh("./parm train judge --variant orm --init %s --data %s %s --out %s --ckpt %s", tmp("j.st"),
            tmp("cli_train.pset"), tiny, tmp("j2.st"), tmp("j2.ckpt"));
    e = slurp("err");
    CHECK(rc == 0, "train orm --init: %s", e);
    free(e);
    CHECK(sh("./parm eval judge --judge %s --data %s --question potential --json", tmp("j2.st"), tmp("cli_test.pset")) == 0,
          "eval judge --data");
    o = slurp("out");
    const char *nq = strstr(o, "\"n\": ");
    const int npot = nq ? atoi(nq + 5) : -1; /* clear steps only: at least the 4 paths' last, at most all 12 */
    CHECK(strstr(o, "\"question\": \"potential\"") && npot >= 4 && npot <= 12 && strstr(o, "\"by_step\""), "json: %s",
          o);
    free(o);
    CHECK(sh("./parm eval judge --judge %s --data %s", tmp("j2.st"), tmp("cli_test.pset")) == 0, "eval judge --data match");
    o = slurp("out");
    CHECK(strstr(o, "best-of-2") && strstr(o, "accuracy"), "text: %s", o);
    free(o);
    CHECK(sh("./parm eval judge --judge %s --data %s --question clearness", tmp("j2.st"), tmp("cli_test.pset")) == 2,
          "bad --question exits 2");
    CHECK(sh("./parm eval judge --judge %s --data %s", tmp("j2.st"), tmp("nothing.pset")) == 1, "missing data exits 1");
}

int main(void) {
    if (!mkdtemp(D)) { perror("mkdtemp"); printf("0 passed, 1 failed\n"); return 1; }
    test_shell_dir = D;
    RUN(test_reading);
    RUN(test_generate_roundtrip);
    RUN(test_corrupt_files);
    RUN(test_sources);
    RUN(test_orm_atoms);
    RUN(test_atoms_rank);
    RUN(test_step_atoms);
    RUN(test_refusals);
    RUN(test_as_match);
    RUN(test_init_and_resume);
    RUN(test_evaluate_pathset);
    RUN(test_cli);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", D);
    if (system(cmd)) {}
    return TEST_SUMMARY();
}
