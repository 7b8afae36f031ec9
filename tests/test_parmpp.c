/* test_parmpp.c — PARM++ (method parm++, parm/search.h) with tiny random
 * models: --rounds 0 (reflection off) equals PARM with the same judge on the
 * same generator (image, chosen path, forwards, judge calls); a reflecting
 * judge that always rejects runs every round, and the costs add up over the
 * rounds (round 0 = the PARM search's own; each reflection's questions
 * counted); one that accepts stops the loop after the first search; a plain
 * generator is refused for rounds > 0; replay refuses parm++; the CLI
 * (./parm, built by `make test` first): generate --method parm++ refusals,
 * eval reflect and train gen-sc argument errors, a TEST-prompt path set
 * refused by train gen-sc. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parm.h"
#include <cjson/cJSON.h>

#include "test.h"
#include "test_shell.h"

#define GEN_FIXTURE "tests/fixtures/gen_small.safetensors"
#define SZ ((size_t)PARM_IMG * PARM_IMG * 3)

static char dir[] = "/tmp/parm-test-parmpp-XXXXXX";
static parm_gen G, SC;
static parm_vq VQ;

/* mode 0: random (P varies), ±1: always yes / no (head bias ±30) */
static int make_judge(const char *name, uint64_t seed, int mode, char *path, size_t n) {
    parm_judge j;
    parm_judge_config c = {.L = 1, .C = 32, .NH = 2, .F = 64, .text_len = 16};
    if (parm_judge_init(&j, &c, seed)) return -1;
    float *hb = parm_w(&j.p, j.head_b), *hw = parm_w(&j.p, j.head_w);
    if (mode == 0)
        for (int k = 0; k < c.C; k++) hw[k] *= 100.0f;
    else hb[0] = 30.0f * mode;
    snprintf(path, n, "%s/%s.safetensors", dir, name);
    int rc = parm_judge_save(&j, path, PARM_F32);
    parm_judge_free(&j);
    return rc;
}

static char jparm[512], jyes[512], jno[512], vqp[512];
static const uint64_t seed = 5;

static parm_search_opts opts(int method, int rounds, const char *reflect) {
    parm_search_opts o = parm_search_defaults(method);
    o.n = 4;
    o.sample.steps = 4;
    o.judge = jparm;
    o.rounds = rounds;
    o.reflect_judge = reflect;
    return o;
}

static int run(parm_gen *g, const parm_search_opts *o, const parm_prompt *p, uint8_t *rgb, parm_search_result *r) {
    parm_searcher s;
    if (parm_search_open(&s, g, &VQ, o)) return -1;
    int rc = parm_search_run(&s, p, 1, &seed, rgb, r, NULL);
    parm_search_close(&s);
    return rc;
}

static void test_rounds0_is_parm(void) {
    parm_prompt p;
    parm_prompt_parse("a photo of three crosses", &p);
    static uint8_t a[SZ], b[SZ];
    static parm_search_result ra, rb;
    for (int gi = 0; gi < 2; gi++) {
        parm_gen *g = gi ? &SC : &G;
        parm_search_opts pa = opts(PARM_SEARCH_PARM, 0, NULL), pp = opts(PARM_SEARCH_PARMPP, 0, jno);
        CHECK(run(g, &pa, &p, a, &ra) == 0 && run(g, &pp, &p, b, &rb) == 0, "%s", parm_last_error());
        CHECK(!memcmp(a, b, SZ), "%s generator: parm++ --rounds 0 image differs from PARM's", gi ? "self-correction" : "plain");
        CHECK(ra.chosen == rb.chosen && ra.gen_forwards == rb.gen_forwards && ra.judge_calls == rb.judge_calls &&
              ra.survivors == rb.survivors, "chosen %d/%d forwards %ld/%ld calls %ld/%ld", ra.chosen, rb.chosen,
              ra.gen_forwards, rb.gen_forwards, ra.judge_calls, rb.judge_calls);
        CHECK(rb.rounds == 0 && rb.accepted == -1 && rb.reflection[0][0] == 0 && isnan(rb.round_accept_p[0]),
              "no reflection asked");
        CHECK(rb.round_score[0] == ra.score || (isnan(rb.round_score[0]) && isnan(ra.score)), "round 0 score %g, PARM %g",
              rb.round_score[0], ra.score);
    }
}

static void test_rounds_costs_add_up_and_stop(void) {
    parm_prompt p;
    parm_prompt_parse("a photo of three crosses", &p); /* one count atom: 1 + 3 questions per reflection */
    static uint8_t a[SZ], b[SZ], rounds_rgb[4 * SZ];
    static parm_search_result ra, rb;
    parm_search_opts pa = opts(PARM_SEARCH_PARM, 0, NULL);
    CHECK(run(&SC, &pa, &p, a, &ra) == 0, "%s", parm_last_error());
    /* always "no": every round runs */
    parm_search_opts pp = opts(PARM_SEARCH_PARMPP, 3, jno);
    parm_searcher s;
    CHECK(parm_search_open(&s, &SC, &VQ, &pp) == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    CHECK(parm_search_parmpp(&s, &p, seed, b, &rb, rounds_rgb) == 0, "%s", parm_last_error());
    parm_search_close(&s);
    CHECK(rb.rounds == 3 && rb.accepted == -1, "rounds %d accepted %d", rb.rounds, rb.accepted);
    long f = 0, c = 0;
    for (int r = 0; r <= rb.rounds; r++) { f += rb.round_forwards[r]; c += rb.round_judge_calls[r]; }
    CHECK(rb.gen_forwards == f && rb.judge_calls == c, "totals %ld/%ld, sums of the rounds %ld/%ld", rb.gen_forwards,
          rb.judge_calls, f, c);
    CHECK(rb.round_forwards[0] == ra.gen_forwards && rb.round_judge_calls[0] == ra.judge_calls + 4,
          "round 0: forwards %ld (PARM %ld), judge calls %ld (PARM %ld + 4 reflection questions)", rb.round_forwards[0],
          ra.gen_forwards, rb.round_judge_calls[0], ra.judge_calls);
    CHECK(!memcmp(rounds_rgb, a, SZ), "round 0's image is not PARM's");
    CHECK(!memcmp(rounds_rgb + 3 * SZ, b, SZ), "the returned image is not the last round's");
    for (int r = 0; r < 3; r++) {
        parm_reflection x;
        CHECK(rb.reflection[r][0] && !parm_reflection_parse(rb.reflection[r], &x) && x.n == 1 &&
              x.c[0].kind == PARM_FAIL_COUNT, "round %d reflection '%s'", r, rb.reflection[r]);
        CHECK(rb.round_forwards[r] > 0, "round %d ran no generator step", r);
    }
    CHECK(rb.reflection[3][0] == 0, "the last round's image was reflected on");
    /* per round: PARM's pick score (round 0 = PARM's), the judge's P(accept) where it was asked */
    CHECK(rb.round_score[0] == ra.score || (isnan(rb.round_score[0]) && isnan(ra.score)), "round 0 score %g, PARM %g",
          rb.round_score[0], ra.score);
    for (int r = 0; r < 3; r++)
        CHECK(rb.round_accept_p[r] >= 0 && rb.round_accept_p[r] < 0.5f, "round %d P(accept) %g under an always-no judge",
              r, rb.round_accept_p[r]);
    CHECK(isnan(rb.round_accept_p[3]), "the last round's P(accept) %g: it was not asked", rb.round_accept_p[3]);
    /* parm_search_run gives the same */
    static uint8_t d[SZ];
    static parm_search_result rd;
    CHECK(run(&SC, &pp, &p, d, &rd) == 0 && !memcmp(d, b, SZ) && rd.gen_forwards == rb.gen_forwards &&
          rd.judge_calls == rb.judge_calls, "parm_search_run differs from parm_search_parmpp");
    /* always "yes": the loop stops after the first search */
    pp = opts(PARM_SEARCH_PARMPP, 3, jyes);
    CHECK(run(&SC, &pp, &p, b, &rb) == 0, "%s", parm_last_error());
    CHECK(rb.rounds == 0 && rb.accepted == 1 && !strcmp(rb.reflection[0], "correct"), "rounds %d accepted %d '%s'",
          rb.rounds, rb.accepted, rb.reflection[0]);
    CHECK(!memcmp(a, b, SZ) && rb.gen_forwards == ra.gen_forwards && rb.judge_calls == ra.judge_calls + 1,
          "accepted at once: forwards %ld (PARM %ld), calls %ld (PARM %ld + 1 atom)", rb.gen_forwards, ra.gen_forwards,
          rb.judge_calls, ra.judge_calls);
}

static void test_refusals(void) {
    parm_search_opts pp = opts(PARM_SEARCH_PARMPP, 2, jno);
    parm_searcher s;
    CHECK(parm_search_open(&s, &G, &VQ, &pp) < 0 && strstr(parm_last_error(), "self-correction generator"),
          "plain generator with rounds > 0: %s", parm_last_error());
    pp.rounds = PARM_PARMPP_MAX_ROUNDS + 1;
    CHECK(parm_search_open(&s, &SC, &VQ, &pp) < 0 && strstr(parm_last_error(), "rounds"), "%s", parm_last_error());
    pp.rounds = 1;
    CHECK(parm_search_open(&s, NULL, NULL, &pp) == 0, "%s", parm_last_error());
    parm_search_record rec = {0};
    static uint8_t out[SZ];
    static parm_search_result r;
    rec.N = 4;
    rec.T = 4;
    CHECK(parm_search_replay(&s, &rec, 4, out, &r) < 0 && strstr(parm_last_error(), "live only"), "%s", parm_last_error());
    parm_search_close(&s);
    CHECK(parm_search_method_find("parm++") == PARM_SEARCH_PARMPP, "method name");
}

static void test_cli(void) {
    char *e;
    CHECK(sh("./parm generate --method parm++ --rounds 9 --prompt 'a photo of a star' -o %s/x.png", dir) == 2, "rounds 9");
    e = slurp("err");
    CHECK(strstr(e, "'9'") && strstr(e, "--rounds"), "error quotes the value: %s", e);
    free(e);
    CHECK(sh("./parm generate --method parm++ --rounds 1 -n 2 --steps 2 --prompt 'a photo of a star' --gen %s "
             "--vq %s --judge %s --reflect-judge %s -o %s/x.png", GEN_FIXTURE, vqp, jparm, jno, dir) == 1, "plain generator");
    e = slurp("err");
    CHECK(strstr(e, "self-correction generator") != NULL, "%s", e);
    free(e);
    /* without --gen, parm++ takes the shipped self-correction generator (the plain one would be refused) */
    CHECK(sh("./parm generate --method parm++ --rounds 1 -n 2 --steps 2 --prompt 'a photo of a star' -o %s/d.png", dir) == 0,
          "parm++ without --gen: the shipped gen_sc");
    CHECK(sh("./parm bench --help") == 0, "bench help");
    e = slurp("out");
    CHECK(strstr(e, "gen_sc.safetensors") != NULL, "bench --help names parm++'s default generator");
    free(e);
    CHECK(sh("./parm generate --help") == 0, "help");
    e = slurp("out");
    CHECK(strstr(e, "gen_sc.safetensors") != NULL, "generate --help names parm++'s default generator: %s", e);
    CHECK(strstr(e, "parm++") && strstr(e, "--rounds") && strstr(e, "--reflect-judge"), "generate --help: %s", e);
    free(e);
    CHECK(sh("./parm eval reflect --help") == 0 && sh("./parm train gen-sc --help") == 0, "helps");
    CHECK(sh("./parm eval reflect --judge %s", jno) == 2, "eval reflect without --data");
    e = slurp("err");
    CHECK(strstr(e, "--data") != NULL, "%s", e);
    free(e);
    CHECK(sh("./parm eval reflect --judge %s --data %s --thresh 2", jno, "x.pset") == 2, "thresh 2");
    /* bench --method parm++: every round's cost, reflection and grader verdict in results.jsonl (score vs rounds) */
    char scp[600], meta[600];
    snprintf(scp, sizeof scp, "%s/scgen.safetensors", dir);
    snprintf(meta, sizeof meta, "%s/one.jsonl", dir);
    parm_prompt one;
    char line[1024];
    FILE *mf = fopen(meta, "w");
    CHECK(mf && !parm_prompt_parse("a photo of a red star", &one) && !parm_prompt_to_json(&one, line, sizeof line, 0) &&
              fprintf(mf, "%s\n", line) > 0 && !fclose(mf) && !parm_gen_save(&SC, scp, PARM_F32),
          "setup: %s", parm_last_error());
    int brc = sh("./parm bench --method parm++ --rounds 2 -n 2 --steps 2 --metadata %s --images-per-prompt 2 --gen %s "
                 "--vq %s --judge %s --reflect-judge %s --out %s/b", meta, scp, vqp, jparm, jno, dir);
    if (brc) {
        e = slurp("err");
        fprintf(stderr, "    %s\n", e);
        free(e);
    }
    CHECK(brc == 0, "bench parm++ exits %d", brc);
    char rp[700];
    snprintf(rp, sizeof rp, "b/results.jsonl");
    e = slurp(rp);
    int rows = 0, ok = 0;
    for (char *l = e; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        char *nl = strchr(l, '\n');
        if (nl) *nl = 0;
        cJSON *o = cJSON_Parse(l), *rd = cJSON_GetObjectItemCaseSensitive(o, "round");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "correct");
        rows++;
        long fw = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, rd) fw += (long)cJSON_GetObjectItemCaseSensitive(x, "forwards")->valuedouble;
        const cJSON *last = cJSON_GetArrayItem(rd, 2), *lc = last ? cJSON_GetObjectItemCaseSensitive(last, "correct") : NULL;
        /* the "no" judge rejects every image: both correction rounds run, each reflection written */
        ok += cJSON_GetArraySize(rd) == 3 && lc && cJSON_IsBool(lc) && cJSON_IsTrue(lc) == cJSON_IsTrue(c) &&
              fw == (long)cJSON_GetObjectItemCaseSensitive(o, "gen_forwards")->valuedouble &&
              strlen(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rd, 0), "reflection")->valuestring) > 0 &&
              cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rd, 0), "accept_p")) &&
              cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(last, "accept_p")) &&
              cJSON_GetObjectItemCaseSensitive(last, "score") && !cJSON_GetObjectItemCaseSensitive(o, "strip");
        cJSON_Delete(o);
        if (nl) *nl = '\n';
    }
    CHECK(rows == 2 && ok == 2, "%d of %d rows hold 3 rounds adding up to gen_forwards, the last round's verdict the "
          "image's, P(accept) where asked: %s", ok, rows, e);
    free(e);
    /* a path set with a TEST prompt: train gen-sc refuses it before writing anything */
    parm_pathset ps;
    parm_prompt *all;
    int na = parm_prompts_all(&all), t = -1;
    for (int i = 0; i < na && t < 0; i++)
        if (parm_prompt_is_test(&all[i])) t = i;
    CHECK(t >= 0 && !parm_pathset_alloc(&ps, 1, 2, 1), "alloc");
    for (int i = 0; i < ps.n; i++) {
        ps.prompt[i] = all[t];
        ps.reading_eq[i] = 1;
        ps.verdict[i] = (uint8_t)i;
    }
    char pset[600];
    snprintf(pset, sizeof pset, "%s/test.pset", dir);
    CHECK(!parm_pathset_save(&ps, pset), "%s", parm_last_error());
    parm_pathset_free(&ps);
    free(all);
    CHECK(sh("./parm train gen-sc --data %s --steps 1 --out %s/sc.safetensors --ckpt '' --log ''", pset, dir) == 1,
          "test path set accepted");
    e = slurp("err");
    CHECK(strstr(e, "TEST") != NULL, "%s", e);
    free(e);
    char outp[600];
    snprintf(outp, sizeof outp, "%s/sc.safetensors", dir);
    CHECK(access(outp, F_OK) != 0, "a refused run wrote its output");
    /* eval reflect on it (evaluating on TEST prompts is allowed) */
    CHECK(sh("./parm eval reflect --judge %s --data %s --json", jno, pset) == 0, "eval reflect");
    e = slurp("out");
    CHECK(strstr(e, "\"images\": 2") && strstr(e, "\"test_paths\": 2") && strstr(e, "\"balanced_accuracy\""), "%s", e);
    free(e);
}

int main(void) {
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    test_shell_dir = dir;
    parm_vq_config vc = {.width = 8, .dim = 4, .ncodes = 16, .beta = 0.25f};
    if (parm_gen_load(&G, GEN_FIXTURE) || parm_vq_init(&VQ, &vc, 3) || parm_gen_init_sc(&SC, &G, PARM_REFL_TOKENS, 2) ||
        make_judge("parm", 1, 0, jparm, sizeof jparm) || make_judge("yes", 2, 1, jyes, sizeof jyes) ||
        make_judge("no", 3, -1, jno, sizeof jno) ||
        (snprintf(vqp, sizeof vqp, "%s/vq.safetensors", dir), parm_vq_save(&VQ, vqp, PARM_F32))) {
        fprintf(stderr, "setup: %s\n", parm_last_error());
        printf("0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_rounds0_is_parm);
    RUN(test_rounds_costs_add_up_and_stop);
    RUN(test_refusals);
    RUN(test_cli);
    parm_gen_free(&G);
    parm_gen_free(&SC);
    parm_vq_free(&VQ);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
    return TEST_SUMMARY();
}
