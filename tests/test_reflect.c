/* test_reflect.c — PARM++ reflections (include/parm/reflect.h): the clause
 * grammar round-trips text <-> structure for every failure kind and every
 * field value, the example texts parse to what they say, bad text is
 * refused, the tokenizer maps a reflection onto the text vocabulary; the
 * grader's reflection agrees with parm_grade's verdict on correct and on
 * one-respect-wrong scenes and names the respect changed; the judge's
 * reflection is well formed, deterministic and counts its questions; the
 * reflection eval's counts on a path set of correct and wrong renders. */
#include "parm.h"
#include "test.h"

static int roundtrip(const parm_reflection *r) {
    char t[512];
    parm_reflection b;
    if (parm_reflection_text(r, t, sizeof t)) return 0;
    if (parm_reflection_parse(t, &b)) return 0;
    return parm_reflection_equal(r, &b);
}

static void test_grammar_roundtrip_every_kind(void) {
    long n[PARM_NFAIL] = {0}, bad = 0;
    for (int s = 0; s < PARM_NSHAPES; s++) {
        for (int a = -1; a < PARM_NCOLORS; a++)
            for (int kind = PARM_FAIL_MISSING; kind <= PARM_FAIL_EXTRA; kind++) {
                parm_reflection r = {.n = 1};
                r.c[0] = parm_clause_make(kind, s);
                r.c[0].color = a;
                bad += !roundtrip(&r);
                n[kind]++;
            }
        for (int a = 0; a < PARM_NCOLORS; a++)
            for (int b = 0; b < PARM_NCOLORS; b++)
                if (a != b) {
                    parm_reflection r = {.n = 1};
                    r.c[0] = parm_clause_make(PARM_FAIL_COLOR, s);
                    r.c[0].color = a;
                    r.c[0].want_color = b;
                    bad += !roundtrip(&r);
                    n[PARM_FAIL_COLOR]++;
                }
        for (int seen = 0; seen <= PARM_REFL_MANY; seen++)
            for (int want = 2; want <= 4; want++)
                if (seen != want) {
                    parm_reflection r = {.n = 1};
                    r.c[0] = parm_clause_make(PARM_FAIL_COUNT, s);
                    r.c[0].count = seen;
                    r.c[0].want_count = want;
                    bad += !roundtrip(&r);
                    n[PARM_FAIL_COUNT]++;
                }
        for (int ref = 0; ref < PARM_NSHAPES; ref += 5)
            for (int x = 0; x < 4 && ref != s; x++)
                for (int w = 0; w < 4; w++)
                    if (x != w) {
                        parm_reflection r = {.n = 1};
                        r.c[0] = parm_clause_make(PARM_FAIL_RELATION, s);
                        r.c[0].ref_shape = ref;
                        r.c[0].rel = x;
                        r.c[0].want_rel = w;
                        bad += !roundtrip(&r);
                        n[PARM_FAIL_RELATION]++;
                    }
    }
    CHECK(bad == 0, "%ld clauses did not round-trip (%s)", bad, parm_last_error());
    for (int k = 0; k < PARM_NFAIL; k++) CHECK(n[k] > 0, "kind %s not covered", parm_fail_names[k]);
    /* several clauses, and the accepted reflection */
    parm_reflection r = {.n = 3};
    r.c[0] = parm_clause_make(PARM_FAIL_MISSING, 3);
    r.c[1] = parm_clause_make(PARM_FAIL_COLOR, 4);
    r.c[1].color = 3;
    r.c[1].want_color = 0;
    r.c[2] = parm_clause_make(PARM_FAIL_EXTRA, 0);
    r.c[2].color = 9;
    CHECK(roundtrip(&r), "three clauses");
    parm_reflection ok = {0};
    char t[64];
    CHECK(!parm_reflection_text(&ok, t, sizeof t) && !strcmp(t, "correct"), "accepted: '%s'", t);
    CHECK(roundtrip(&ok), "accepted round trip");
}

static void test_grammar_examples(void) {
    static const char *const ex[] = {"the star is green, not red", "there are three circles, not four",
                                     "the square is above the circle, not left of it", "missing: a blue diamond",
                                     "extra: a circle", "there is one heart, not two", "there are no rings, not three",
                                     "there are many crosses, not four",
                                     "missing: an orange arrow; the star is green, not red"};
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        parm_reflection r;
        char t[256];
        CHECK(!parm_reflection_parse(ex[i], &r), "'%s': %s", ex[i], parm_last_error());
        CHECK(!parm_reflection_text(&r, t, sizeof t) && !strcmp(t, ex[i]), "'%s' -> '%s'", ex[i], t);
    }
    parm_reflection r;
    CHECK(!parm_reflection_parse("the star is green, not red", &r) && r.n == 1 && r.c[0].kind == PARM_FAIL_COLOR &&
          r.c[0].shape == parm_shape_index("star") && r.c[0].color == parm_color_index("green") &&
          r.c[0].want_color == parm_color_index("red"), "colour clause fields");
    CHECK(!parm_reflection_parse("the square is above the circle, not left of it", &r) &&
          r.c[0].kind == PARM_FAIL_RELATION && r.c[0].shape == parm_shape_index("square") &&
          r.c[0].ref_shape == parm_shape_index("circle") && r.c[0].rel == PARM_REL_ABOVE &&
          r.c[0].want_rel == PARM_REL_LEFT, "relation clause fields");
    CHECK(!parm_reflection_parse("there are three circles, not four", &r) && r.c[0].count == 3 &&
          r.c[0].want_count == 4, "count clause fields");
    static const char *const badt[] = {"the star is red, not red", "there are four circles, not four",
                                       "missing a star", "the star is green not red", "", "correct; extra: a star",
                                       "extra: a ring; extra: a ring; extra: a ring; extra: a ring"};
    for (size_t i = 0; i < sizeof badt / sizeof badt[0]; i++) {
        CHECK(parm_reflection_parse(badt[i], &r) < 0, "'%s' accepted", badt[i]);
        CHECK(strlen(parm_last_error()) > 10, "no message for '%s'", badt[i]);
    }
    parm_clause c = parm_clause_make(PARM_FAIL_COLOR, 0);
    char t[64];
    CHECK(parm_clause_text(&c, t, sizeof t) < 0, "colour clause without colours written");
}

static void test_encode(void) {
    int ids[16];
    int n = parm_reflection_encode("missing: a blue diamond; the star is green, not red", ids, 16);
    CHECK(n == 1 + 4 + 1 + 6, "%d tokens (%s)", n, parm_last_error());
    CHECK(ids[0] == PARM_TOK_BOS && ids[5] == PARM_TOK_SEP, "BOS / SEP");
    CHECK(ids[1] == parm_text_id("missing") && ids[4] == parm_text_id("diamond") && ids[11] == parm_text_id("red"),
          "words");
    CHECK(ids[12] == PARM_TOK_PAD && ids[15] == PARM_TOK_PAD, "padding");
    /* two clauses of any kinds encode in PARM_REFL_TOKENS */
    int big[PARM_REFL_TOKENS];
    parm_rng rng;
    parm_rng_seed(&rng, 3, PARM_STREAM_NOISE);
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        parm_reflection r = {.n = 2};
        for (int k = 0; k < 2; k++) {
            int s = parm_rng_int(&rng, 0, PARM_NSHAPES - 1);
            r.c[k] = parm_clause_make(parm_rng_int(&rng, 0, PARM_NFAIL - 1), s);
            parm_clause *c = &r.c[k];
            if (c->kind == PARM_FAIL_COLOR) { c->color = parm_rng_int(&rng, 0, 4); c->want_color = 5 + parm_rng_int(&rng, 0, 4); }
            if (c->kind == PARM_FAIL_COUNT) { c->count = 5 + parm_rng_int(&rng, 0, 2); c->want_count = parm_rng_int(&rng, 2, 4); }
            if (c->kind == PARM_FAIL_RELATION) { c->ref_shape = (s + 1) % PARM_NSHAPES; c->rel = 0; c->want_rel = parm_rng_int(&rng, 1, 3); }
        }
        char t[256];
        bad += parm_reflection_text(&r, t, sizeof t) || parm_reflection_encode(t, big, PARM_REFL_TOKENS) < 0;
    }
    CHECK(bad == 0, "%d two-clause reflections did not encode in PARM_REFL_TOKENS tokens", bad);
}

/* the grader's reflection on GT renders (accepted, no clause) and on scenes
 * wrong in one respect (rejected; the clause names that respect) */
static void test_grader_reflection(void) {
    parm_rng rng;
    parm_rng_seed(&rng, 11, PARM_STREAM_NOISE);
    uint8_t rgb[PARM_IMG * PARM_IMG * 3];
    int errors = 0, mismatch = 0, wrong_kind = 0, tried[PARM_NWRONG] = {0};
    for (int i = 0; i < 600; i++) {
        parm_prompt p;
        parm_scene sc;
        parm_prompt_sample_train(&rng, &p);
        if (parm_scene_sample(&p, &rng, &sc)) { errors++; continue; }
        parm_render(&sc, rgb);
        parm_reflection r;
        int v = parm_reflect_grader(rgb, &p, &r);
        errors += v < 0;
        mismatch += v != parm_grade(rgb, &p, NULL, 0) || (v == 1) != (r.n == 0);
        int kind = parm_rng_int(&rng, 0, PARM_NWRONG - 1);
        if (!parm_wrong_applies(&p, kind) || parm_scene_wrong(&p, kind, &rng, &sc)) continue;
        parm_render(&sc, rgb);
        v = parm_reflect_grader(rgb, &p, &r);
        errors += v < 0;
        mismatch += v != parm_grade(rgb, &p, NULL, 0) || (v == 1) != (r.n == 0);
        if (v != 0) continue;
        tried[kind]++;
        int want = kind == PARM_WRONG_COLOR ? PARM_FAIL_COLOR : kind == PARM_WRONG_COUNT ? PARM_FAIL_COUNT
                 : kind == PARM_WRONG_RELATION ? PARM_FAIL_RELATION : -1;
        if (kind == PARM_WRONG_MISSING || kind == PARM_WRONG_SHAPE) /* counting: a count clause */
            want = p.tag == PARM_TAG_COUNTING ? PARM_FAIL_COUNT : PARM_FAIL_MISSING;
        int has = 0;
        for (int k = 0; k < r.n; k++) has |= r.c[k].kind == want;
        if (!has) {
            char t[256] = "";
            parm_reflection_text(&r, t, sizeof t);
            if (wrong_kind++ < 5) fprintf(stderr, "    %s on '%s': '%s'\n", parm_wrong_names[kind], p.text, t);
        }
        if (kind == PARM_WRONG_RELATION && r.n == 1 && r.c[0].kind == PARM_FAIL_RELATION) {
            int w = r.c[0].want_rel, opp = w ^ 1; /* left<->right, above<->below */
            CHECK(r.c[0].rel == opp, "relation flip read as %s, not %s", parm_rel_names[r.c[0].rel], parm_rel_names[opp]);
        }
        if (kind == PARM_WRONG_COLOR && r.n >= 1 && r.c[0].kind == PARM_FAIL_COLOR) {
            int present = 0;
            for (int o = 0; o < sc.n; o++) present |= sc.obj[o].color == r.c[0].color && sc.obj[o].shape == r.c[0].shape;
            CHECK(present, "colour clause names a colour the %s does not have", parm_shape_names[r.c[0].shape]);
        }
    }
    CHECK(errors == 0, "%d errors (%s)", errors, parm_last_error());
    CHECK(mismatch == 0, "%d reflections disagree with parm_grade", mismatch);
    CHECK(wrong_kind == 0, "%d reflections name another respect than the one changed", wrong_kind);
    for (int k = 0; k < PARM_NWRONG; k++) CHECK(tried[k] > 5, "%s: only %d rejected scenes", parm_wrong_names[k], tried[k]);
}

static void test_judge_reflection(void) {
    parm_judge j;
    parm_judge_config cfg = {.L = 1, .C = 16, .NH = 2, .F = 32, .text_len = 16};
    CHECK(!parm_judge_init(&j, &cfg, 5), "judge init");
    parm_prompt p;
    CHECK(!parm_prompt_parse("a photo of a red star right of a blue circle", &p) ||
          !parm_prompt_parse("a photo of a star right of a circle", &p), "parse");
    static const char *const texts[] = {"a photo of a star right of a circle", "a photo of a red star and a blue circle",
                                        "a photo of three hearts", "a photo of a green ring"};
    /* questions per prompt when every atom fails: atoms + follow-ups (coloured
     * object 10, plain object 0, count 3, relation 3 — none when its objects fail) */
    static const int calls_all_fail[] = {3 + 0, 2 + 20, 1 + 3, 1 + 10};
    uint8_t rgb[PARM_IMG * PARM_IMG * 3];
    parm_scene sc;
    parm_rng rng;
    parm_rng_seed(&rng, 1, PARM_STREAM_NOISE);
    for (int i = 0; i < 4; i++) {
        CHECK(!parm_prompt_parse(texts[i], &p), "parse %s", texts[i]);
        CHECK(!parm_scene_sample(&p, &rng, &sc), "scene");
        parm_render(&sc, rgb);
        parm_reflection r, r2;
        float pa;
        int calls = 0, calls2 = 0;
        CHECK(!parm_judge_reflect(&j, &p, rgb, 0.0f, &r, &pa, &calls), "%s", parm_last_error());
        parm_atom at[3];
        int na = parm_prompt_atoms(&p, at);
        CHECK(r.n == 0 && calls == na && pa > 0 && pa < 1, "thresh 0 accepts: %d clauses, %d calls", r.n, calls);
        calls = 0;
        CHECK(!parm_judge_reflect(&j, &p, rgb, 2.0f, &r, &pa, &calls), "%s", parm_last_error());
        CHECK(calls == calls_all_fail[i], "'%s': %d calls, want %d", texts[i], calls, calls_all_fail[i]);
        int want_n = p.tag == PARM_TAG_POSITION ? 2 : na;
        CHECK(r.n == want_n, "'%s': %d clauses", texts[i], r.n);
        char t[256];
        CHECK(!parm_reflection_text(&r, t, sizeof t), "text: %s", parm_last_error());
        parm_reflection back;
        CHECK(!parm_reflection_parse(t, &back) && parm_reflection_equal(&r, &back), "'%s' round trip", t);
        CHECK(!parm_judge_reflect(&j, &p, rgb, 0.5f, &r, NULL, &calls2) &&
              !parm_judge_reflect(&j, &p, rgb, 0.5f, &r2, NULL, NULL) && parm_reflection_equal(&r, &r2),
              "deterministic");
    }
    parm_judge_free(&j);
}

/* a path set of GT renders (even paths) and one-respect-wrong renders (odd),
 * scored with judges that always say yes / no */
static void test_reflect_eval(void) {
    parm_pathset ps;
    CHECK(!parm_pathset_alloc(&ps, 20, 2, 1), "alloc");
    parm_rng rng;
    parm_rng_seed(&rng, 4, PARM_STREAM_NOISE);
    uint8_t rgb[PARM_IMG * PARM_IMG * 3];
    int accepted = 0;
    for (int i = 0; i < ps.n; i++) {
        parm_prompt p;
        parm_scene sc;
        do parm_prompt_sample_train(&rng, &p);
        while (p.tag == PARM_TAG_SINGLE);
        if (i % 2 == 0) parm_scene_sample(&p, &rng, &sc);
        else {
            int k;
            do k = parm_rng_int(&rng, 0, PARM_NWRONG - 1);
            while (!parm_wrong_applies(&p, k));
            parm_scene_wrong(&p, k, &rng, &sc);
        }
        parm_render(&sc, rgb);
        ps.prompt[i] = p;
        for (int q = 0; q < PARM_IMG * PARM_IMG; q++) ps.classes[(size_t)i * PARM_IMG * PARM_IMG + q] = (uint8_t)parm_pixel_class(rgb + 3 * q);
        ps.verdict[i] = (uint8_t)(parm_grade(rgb, &p, NULL, 0) == 1);
        ps.reading_eq[i] = 1;
        accepted += ps.verdict[i];
    }
    CHECK(accepted > 0 && accepted < ps.n, "%d of %d accepted by the grader", accepted, ps.n);
    parm_judge j;
    parm_judge_config cfg = {.L = 1, .C = 16, .NH = 2, .F = 32, .text_len = 16};
    CHECK(!parm_judge_init(&j, &cfg, 5), "judge init");
    parm_reflect_metrics m;
    float *hb = parm_w(&j.p, j.head_b);
    hb[0] = 30; /* always yes */
    CHECK(!parm_reflect_evaluate_pathset(&j, &ps, 0.5f, &m), "%s", parm_last_error());
    CHECK(m.n == ps.n && m.accept_accept == accepted && m.reject_accept == ps.n - accepted && m.both_reject == 0 &&
          fabs(m.balanced_acc - 0.5) < 1e-9, "always yes: %ld/%ld/%ld, balanced %.3f", m.accept_accept, m.reject_accept,
          m.both_reject, m.balanced_acc);
    hb[0] = -30; /* always no */
    CHECK(!parm_reflect_evaluate_pathset(&j, &ps, 0.5f, &m), "%s", parm_last_error());
    CHECK(m.accept_reject == accepted && m.reject_reject == ps.n - accepted && m.both_reject == ps.n - accepted &&
          fabs(m.balanced_acc - 0.5) < 1e-9 && m.grader_clauses >= m.both_reject && m.names <= m.both_reject &&
          m.exact <= m.names && m.judge_calls > ps.n, "always no: both reject %ld, clauses %ld, names %ld, exact %ld",
          m.both_reject, m.grader_clauses, m.names, m.exact);
    /* "no" to everything reads every object as missing: exactly the grader's missing clauses are named */
    long miss = m.kind_n[PARM_FAIL_MISSING];
    CHECK(m.kind_hit[PARM_FAIL_MISSING] == miss && m.kind_hit[PARM_FAIL_COLOR] == 0, "missing %ld/%ld, colour %ld",
          m.kind_hit[PARM_FAIL_MISSING], miss, m.kind_hit[PARM_FAIL_COLOR]);
    parm_judge_free(&j);
    parm_pathset_free(&ps);
}

int main(void) {
    RUN(test_grammar_roundtrip_every_kind);
    RUN(test_grammar_examples);
    RUN(test_encode);
    RUN(test_grader_reflection);
    RUN(test_judge_reflection);
    RUN(test_reflect_eval);
    return TEST_SUMMARY();
}
