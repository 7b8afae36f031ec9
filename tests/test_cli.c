/* test_cli.c — the `parm` command line as a user meets it (runs ./parm, which
 * `make test` builds first): help for every command, render → grade,
 * prompts (split counts, --bench = the committed file), bench --method gt
 * over the whole benchmark (1.000) with the same summary as grade, and bad
 * input (missing/garbled PNG, wrong size, malformed JSONL, unknown tag,
 * empty folder): a one-line error, non-zero exit, no results.jsonl; the
 * judge's train/eval commands (help, bad options, an eval run); training
 * with default paths leaves a git checkout clean. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parm.h"
#include "test.h"
#include "test_shell.h"

static char T[] = "/tmp/parm-test-cli-XXXXXX";

static int exists(const char *fmt, ...) {
    char p[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, sizeof p, fmt, ap);
    va_end(ap);
    struct stat st;
    return stat(p, &st) == 0;
}

static void test_help(void) {
    const char *cmds[] = {"render", "prompts", "grade", "bench"};
    CHECK(sh("./parm --help") == 0, "parm --help");
    for (int i = 0; i < 4; i++) {
        CHECK(sh("./parm %s --help", cmds[i]) == 0, "parm %s --help", cmds[i]);
        char *o = slurp("out");
        CHECK(strstr(o, "usage: parm") != NULL, "%s help text", cmds[i]);
        free(o);
        CHECK(sh("./parm %s --bogus", cmds[i]) == 2, "unknown option exits 2");
        char *e = slurp("err");
        CHECK(strstr(e, "--bogus") && lines(e) == 1, "names the option: %s", e);
        free(e);
    }
}

static void test_render_and_prompts(void) {
    CHECK(sh("./parm render --prompt 'a photo of a blue star and a white ring' --seed 3 -o %s/r.png", T) == 0, "render");
    char path[512];
    snprintf(path, sizeof path, "%s/r.png", T);
    uint8_t *rgb = NULL;
    int w, h;
    parm_prompt p;
    parm_prompt_parse("a photo of a blue star and a white ring", &p);
    CHECK(!parm_png_read(path, &rgb, &w, &h) && w == 64 && h == 64, "render wrote a 64x64 PNG");
    if (rgb) CHECK(parm_grade(rgb, &p, NULL, 0) == 1, "the render grades correct");
    free(rgb);
    parm_prompt_parse("a photo of a star right of a ring", &p);
    /* the coloured position prompt is outside the grammar */
    CHECK(sh("./parm render --prompt 'a photo of a blue star right of a white ring' -o %s/r.png", T) == 1, "bad prompt exits 1");
    CHECK(sh("./parm render --prompt 'a photo of a star right of a ring' --seed 5 -o %s/r.png", T) == 0, "render");
    rgb = NULL;
    CHECK(!parm_png_read(path, &rgb, &w, &h) && parm_grade(rgb, &p, NULL, 0) == 1, "render grades correct");
    free(rgb);
    CHECK(sh("./parm render --prompt 'a photo of a hexagn' -o %s/r2.png", T) == 1, "unknown word exits 1");
    char *e = slurp("err");
    CHECK(lines(e) == 1 && strstr(e, "'hexagn'") && strstr(e, "hexagon"), "names the word and the choices: %s", e);
    free(e);
    CHECK(!exists("%s/r2.png", T), "no output on error");
    CHECK(sh("./parm render --prompt 'a photo of a circle' --seed x -o %s/r2.png", T) == 2, "bad seed exits 2");
    /* prompts */
    const char *splits[] = {"all", "train", "test"};
    int want[] = {12642, 10178, 2464};
    for (int i = 0; i < 3; i++) {
        CHECK(sh("./parm prompts --split %s", splits[i]) == 0, "prompts --split %s", splits[i]);
        char *o = slurp("out");
        CHECK(lines(o) == want[i], "--split %s gives %d lines", splits[i], lines(o));
        CHECK(strstr(o, "\"split\": \"") != NULL, "split field");
        if (i == 2) CHECK(!strstr(o, "\"split\": \"train\""), "test split has only test prompts");
        free(o);
    }
    CHECK(sh("./parm prompts --split test --tag position -o %s/pos.jsonl", T) == 0, "prompts -o");
    char *o = slurp("pos.jsonl");
    CHECK(lines(o) == 107, "107 test position prompts, got %d", lines(o));
    free(o);
    CHECK(sh("./parm prompts --split nope") == 2, "bad split exits 2");
    e = slurp("err");
    CHECK(strstr(e, "'nope'") && strstr(e, "train, test, all"), "lists choices: %s", e);
    free(e);
    CHECK(sh("./parm prompts --bench | cmp - %s", PARM_BENCH_PATH) == 0, "prompts --bench == the committed benchmark");
}

static void test_bench_and_grade(void) {
    double t0 = parm_now();
    CHECK(sh("./parm bench --method gt --out %s/gt --json", T) == 0, "bench gt");
    char *o = slurp("out");
    printf("    bench gt (434 prompts x 4, %.1f s): %s", parm_now() - t0, o);
    CHECK(strstr(o, "\"overall\": 1.000000") && strstr(o, "\"images\": 1736") && lines(o) == 1, "GT overall 1: %s", o);
    free(o);
    CHECK(exists("%s/gt/00433/samples/0003.png", T) && exists("%s/gt/00000/metadata.jsonl", T), "GenEval layout");
    char *r = slurp("gt/results.jsonl");
    CHECK(lines(r) == 1736 && strstr(r, "\"filename\": ") && strstr(r, "\"correct\": true, \"reason\": \"\""), "results.jsonl");
    free(r);
    /* grade the same folder: same summary */
    CHECK(sh("./parm grade %s/gt --json -o %s/res2.jsonl", T, T) == 0, "grade");
    o = slurp("out");
    CHECK(!strcmp(o, "{\"single_object\": 1.000000, \"two_object\": 1.000000, \"counting\": 1.000000, \"colors\": "
                     "1.000000, \"position\": 1.000000, \"color_attr\": 1.000000, \"overall\": 1.000000, \"images\": 1736}\n"),
          "grade --json: %s", o);
    free(o);
    CHECK(sh("./parm grade %s/gt", T) == 0, "grade table");
    o = slurp("out");
    CHECK(strstr(o, "overall") && strstr(o, "color_attr") && strstr(o, "1.000"), "table: %s", o);
    free(o);
    /* a wrong-prompt folder: metadata of prompt 0 swapped → that prompt's images fail */
    CHECK(sh("cp -r %s/gt/00000 %s/one && mkdir %s/g1 && mv %s/one %s/g1/00000 && "
             "./parm prompts --prompt 'a photo of a square' > %s/g1/00000/metadata.jsonl && ./parm grade %s/g1 --json",
             T, T, T, T, T, T, T) == 0, "grade swapped");
    o = slurp("out");
    CHECK(strstr(o, "\"single_object\": 0.000000") && strstr(o, "\"two_object\": null"), "wrong prompt fails: %s", o);
    free(o);
    /* bench errors */
    CHECK(sh("./parm bench --method nope --out %s/x", T) == 2, "unknown method exits 2");
    char *e = slurp("err");
    CHECK(strstr(e, "'nope'") && strstr(e, "gt"), "lists methods: %s", e);
    free(e);
}

/* Bad input to grade: one-line error, non-zero exit, no results file. */
static void test_grade_bad_input(void) {
    struct { const char *name, *setup, *must; } c[] = {
        {"missing PNG", "rm %s/B/00001/samples/*.png", "no .png"},
        {"missing samples folder", "rm -r %s/B/00001/samples", "samples"},
        {"garbled PNG", "head -c 60 %s/B/00000/samples/0000.png > %s/B/00001/samples/0001.png", "0001.png"},
        {"not a PNG", "echo hello > %s/B/00001/samples/0002.png", "0002.png"},
        {"wrong size", "cp %s/small.png %s/B/00001/samples/0000.png", "32x32"},
        {"malformed JSONL", "echo '{\"tag\": \"single_object\", ' > %s/B/00001/metadata.jsonl", "malformed"},
        {"unknown tag", "sed -i 's/single_object/single_thing/' %s/B/00000/metadata.jsonl", "unknown tag 'single_thing'"},
        {"two metadata lines", "sed -i p %s/B/00000/metadata.jsonl", "exactly one"},
        {"missing metadata", "rm %s/B/00001/metadata.jsonl", "metadata.jsonl"},
        {"empty folder", "rm -r %s/B/00000 %s/B/00001", "no prompt folders"},
    };
    /* a 32x32 PNG */
    uint8_t small[32 * 32 * 3];
    memset(small, 128, sizeof small);
    char sp[512];
    snprintf(sp, sizeof sp, "%s/small.png", T);
    CHECK(!parm_png_write(sp, small, 32, 32), "small png");
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char setup[1024];
        snprintf(setup, sizeof setup, c[i].setup, T, T);
        CHECK(sh("rm -rf %s/B && mkdir %s/B && cp -r %s/gt/00000 %s/gt/00001 %s/B/ && rm -f %s/B/*.jsonl && %s", T, T, T, T, T,
                 T, setup) == 0, "%s: setup", c[i].name);
        int rc = sh("./parm grade %s/B", T);
        char *e = slurp("err");
        CHECK(rc != 0 && lines(e) == 1 && !strncmp(e, "parm: error: ", 13) && strstr(e, c[i].must),
              "%s: exit %d, stderr '%s' (should mention %s)", c[i].name, rc, e, c[i].must);
        free(e);
        CHECK(!exists("%s/B/results.jsonl", T), "%s: results.jsonl left behind", c[i].name);
        CHECK(sh("ls %s/B | grep -q tmp", T) != 0, "%s: temp file left behind", c[i].name);
    }
    CHECK(sh("./parm grade %s/does-not-exist", T) == 1, "missing DIR exits 1");
    char *e = slurp("err");
    CHECK(lines(e) == 1 && strstr(e, "does-not-exist"), "%s", e);
    free(e);
    CHECK(sh("./parm grade") == 2, "no DIR exits 2");
    CHECK(sh("./parm bench --method gt --out %s/bb --metadata %s/B/nothing.jsonl", T, T) == 1, "bench missing metadata");
}

/* parm train judge / parm eval judge: help, bad options, an eval of the fixture judge */
/* shipped files are found relative to the executable: the full path of
 * ./parm works from any other folder, PARM_HOME overrides it */
static void test_other_working_directory(void) {
    char cwd[1024];
    CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
    CHECK(sh("cd %s && %s/parm generate --prompt 'a photo of a red star' -o x.png", T, cwd) == 0,
          "generate from another folder: %s", slurp("err"));
    CHECK(exists("%s/x.png", T), "x.png written in the working folder");
    CHECK(sh("cd %s && %s/parm bench --method baseline --prompts 1 --images-per-prompt 1 -o b --json", T, cwd) == 0,
          "bench from another folder: %s", slurp("err"));
    CHECK(sh("cd %s && PARM_HOME=%s/nowhere %s/parm generate --prompt 'a photo of a red star' -o y.png", T, T, cwd) == 1,
          "PARM_HOME without weights fails");
    char *e = slurp("err");
    CHECK(strstr(e, "nowhere/weights/gen.safetensors") != NULL, "error names the file under PARM_HOME: %s", e);
    free(e);
}

/* a generator with a tokenizer it was not trained on: refused, naming both */
static void test_wrong_tokenizer(void) {
    parm_vq vq;
    CHECK(parm_vq_load(&vq, "weights/vq.safetensors") == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    float *cb = parm_w(&vq.p, vq.codebook);
    cb[0] += 0.5f; /* one code moved: another tokenizer */
    char other[600];
    snprintf(other, sizeof other, "%s/other_vq.safetensors", T);
    CHECK(parm_vq_save(&vq, other, PARM_F16) == 0, "%s", parm_last_error());
    parm_vq_free(&vq);
    const char *cmds[] = {"generate --prompt 'a photo of a red star' -o z.png", "bench --method baseline --prompts 1 -o bz",
                          "paths --prompts train --n-prompts 1 --paths 1 -o z.pset", "eval gen --n 1"};
    for (int i = 0; i < 4; i++) {
        CHECK(sh("./parm %s --vq %s", cmds[i], other) == 1, "parm %s with another tokenizer exits 1", cmds[i]);
        char *e = slurp("err");
        CHECK(strstr(e, "weights/gen.safetensors") && strstr(e, other) && strstr(e, "do not belong together"),
              "parm %s: error names both files: %s", cmds[i], e);
        free(e);
    }
    CHECK(!exists("z.png") && !exists("z.pset"), "nothing written");
}

/* Every shipped generator (the named files) loads and belongs to the shipped tokenizer, and no
 * two of them are the same weights. */
static void test_shipped_generators(void) {
    static const char *const names[] = {"gen", "gen_dpo", "gen_itdpo", "gen_itdpo_orm", "gen_itdpo_parm", "gen_sc"};
    enum { NG = sizeof names / sizeof names[0] };
    parm_vq vq;
    CHECK(parm_vq_load(&vq, "weights/vq.safetensors") == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    uint64_t sum[NG] = {0};
    for (int i = 0; i < NG; i++) {
        char path[128];
        snprintf(path, sizeof path, "weights/%s.safetensors", names[i]);
        parm_gen g;
        CHECK(parm_gen_load(&g, path) == 0, "%s", parm_last_error());
        if (test_checks_failed_) break;
        CHECK(parm_gen_check_vq(&g, &vq, path, "weights/vq.safetensors") == 0, "%s", parm_last_error());
        const float *w = g.p.w;
        for (size_t k = 0; k < (size_t)g.p.numel; k++) { /* FNV-1a over the weights' bits */
            uint32_t u;
            memcpy(&u, &w[k], 4);
            sum[i] = (sum[i] ^ u) * 1099511628211ULL;
        }
        for (int j = 0; j < i; j++) CHECK(sum[j] != sum[i], "%s has the weights of %s", names[i], names[j]);
        parm_gen_free(&g);
    }
    parm_vq_free(&vq);
}

/* --gen is honored by every method: a generator with other weights (the
 * shipped one with its head bias shifted, same tokenizer) changes the image
 * each method returns, `--method all` included. */
static void test_gen_flag_every_method(void) {
    parm_gen g;
    CHECK(parm_gen_load(&g, "weights/gen.safetensors") == 0, "%s", parm_last_error());
    if (test_checks_failed_) return;
    float *b = parm_w(&g.p, g.head_b);
    for (int i = 0; i < g.cfg.ncodes * PARM_GEN_SLOTS; i += 3) b[i] += 1.5f;
    char other[600];
    snprintf(other, sizeof other, "%s/other_gen.safetensors", T);
    CHECK(parm_gen_save(&g, other, PARM_F16) == 0, "%s", parm_last_error());
    parm_gen_free(&g);
    const char *common = "--prompts 1 --images-per-prompt 1 -n 2 --seed 5";
    CHECK(sh("OMP_WAIT_POLICY=passive ./parm bench --method all %s -o %s/ga", common, T) == 0 &&
              sh("OMP_WAIT_POLICY=passive ./parm bench --method all %s --gen %s -o %s/gb", common, other, T) == 0,
          "bench --method all with --gen: %s", slurp("err"));
    const char *methods[] = {"baseline", "orm-zs", "orm", "prm", "parm", "oracle"};
    for (int m = 0; m < 6; m++) {
        const char *M = methods[m], *png = "00000/samples/0000.png";
        CHECK(sh("test -s %s/ga/%s/%s && test -s %s/gb/%s/%s && ! cmp -s %s/ga/%s/%s %s/gb/%s/%s", T, M, png, T, M, png, T,
                 M, png, T, M, png) == 0,
              "--method all: %s's image is the same with the other generator (or missing)", M);
        CHECK(sh("OMP_WAIT_POLICY=passive ./parm bench --method %s %s --gen %s -o %s/g1%s && cmp -s %s/g1%s/%s %s/gb/%s/%s",
                 M, common, other, T, M, T, M, png, T, M, png) == 0,
              "--method %s --gen: not the image --method all --gen gave", M);
    }
}

/* --alt-judge-dir: rows "<method>-alt" replayed on the same paths with a second set
 * of judges. The shipped judges again give the same images as the first set; a
 * folder whose judge_orm is the zero-shot file gives orm-alt = orm-zs's images, and
 * methods whose judge the folder lacks get no alt rows. */
static void test_alt_judges(void) {
    const char *common = "--prompts 2 --images-per-prompt 1 -n 4 --curve 2,4 --seed 3 --strips 0";
    CHECK(sh("mkdir -p %s/altj && cp weights/judge_orm-zs.safetensors %s/altj/judge_orm.safetensors", T, T) == 0, "alt dir");
    CHECK(sh("OMP_WAIT_POLICY=passive ./parm bench --method all %s --alt-judge-dir weights --json -o %s/aa > %s/aa.jsonl", common,
             T, T) == 0 &&
              sh("OMP_WAIT_POLICY=passive ./parm bench --method all %s --alt-judge-dir %s/altj -o %s/ab", common, T, T) == 0,
          "bench --alt-judge-dir: %s", slurp("err"));
    const char *methods[] = {"orm-zs", "orm", "prm", "parm"};
    for (int m = 0; m < 4; m++)
        for (int i = 0; i < 2; i++)
            CHECK(sh("cmp -s %s/aa/%s/%05d/samples/0000.png %s/aa/%s-alt/%05d/samples/0000.png", T, methods[m], i, T,
                     methods[m], i) == 0,
                  "%s-alt with the same judges: image %d differs", methods[m], i);
    char *o = slurp("aa.jsonl");
    CHECK(o && strstr(o, "\"method\": \"parm-alt\"") && strstr(o, "\"method\": \"orm-alt\""), "alt rows in --json: %s",
          o ? o : "");
    free(o);
    for (int i = 0; i < 2; i++)
        CHECK(sh("cmp -s %s/ab/orm-zs/%05d/samples/0000.png %s/ab/orm-alt/%05d/samples/0000.png", T, i, T, i) == 0,
              "orm-alt with the zero-shot file is not orm-zs's image %d", i);
    CHECK(sh("test -d %s/ab/orm-alt && ! test -e %s/ab/prm-alt && ! test -e %s/ab/parm-alt && ! test -e %s/ab/baseline-alt", T,
             T, T, T) == 0,
          "alt rows only for the judges the folder holds");
    CHECK(sh("./parm bench --method orm --alt-judge-dir weights") == 2, "--alt-judge-dir without --method all exits 2");
}

static void test_judge_cli(void) {
    const char *cmds[] = {"train judge", "eval judge"};
    for (int i = 0; i < 2; i++) {
        CHECK(sh("./parm %s --help", cmds[i]) == 0, "parm %s --help", cmds[i]);
        char *o = slurp("out");
        CHECK(strstr(o, "usage: parm") && strstr(o, "--seed"), "%s help text", cmds[i]);
        free(o);
        CHECK(sh("./parm %s --bogus 1", cmds[i]) == 2, "unknown option exits 2");
    }
    CHECK(sh("./parm train judge --variant nope --steps 1") == 1, "unknown variant exits 1");
    char *e = slurp("err");
    CHECK(strstr(e, "orm-zs") != NULL, "names the valid variants: %s", e);
    free(e);
    CHECK(sh("./parm train judge --steps 2 --batch 4 --layers 1 --width 16 --heads 2 --mlp 16 --eval-every 0 --seed 1 "
             "--out %s/j.safetensors --ckpt %s/j.ckpt --log %s/j.csv --quiet", T, T, T) == 0, "train judge");
    CHECK(sh("./parm eval judge --weights %s/j.safetensors --n 20 --json", T) == 0, "eval judge");
    char *o = slurp("out");
    CHECK(strstr(o, "\"auc\": ") && strstr(o, "\"n\": 20"), "eval json: %s", o);
    free(o);
    /* export: the checkpoint's parameters as weights; they load and judge the same as the final weights */
    CHECK(sh("./parm export judge --ckpt %s/j.ckpt --like %s/j.safetensors -o %s/je.safetensors", T, T, T) == 0,
          "export judge");
    CHECK(sh("./parm eval judge --weights %s/je.safetensors --n 20 --json", T) == 0, "eval exported judge");
    char *o2 = slurp("out");
    sh("./parm eval judge --weights %s/j.safetensors --n 20 --json", T);
    char *o3 = slurp("out");
    /* the same numbers (the JSON differs only in the weights path before "set") */
    CHECK(o2 && o3 && strstr(o2, "\"set\"") && strstr(o3, "\"set\"") && !strcmp(strstr(o2, "\"set\""), strstr(o3, "\"set\"")),
          "exported checkpoint judges differently from the final weights:\n%s%s", o2, o3);
    free(o2); free(o3);
    CHECK(sh("./parm export vae --ckpt x --like y -o z") == 2, "unknown model exits 2");
    /* PARM's gates: values outside [0, 1] are refused before anything runs */
    CHECK(sh("./parm bench --method parm --potential-thresh 2") == 2, "bench --potential-thresh 2 exits 2");
    e = slurp("err");
    CHECK(strstr(e, "'2'") != NULL, "quotes the bad value: %s", e);
    free(e);
    CHECK(sh("./parm generate --prompt 'a photo of a star' --method parm --clarity-thresh -1 -o %s/x.png", T) == 2,
          "generate --clarity-thresh -1 exits 2");
    CHECK(sh("./parm generate --prompt 'a photo of a star' --method parm --keep 1.5 -o %s/x.png", T) == 2,
          "generate --keep 1.5 exits 2");
    e = slurp("err");
    CHECK(strstr(e, "'1.5'") != NULL && strstr(e, "--keep") != NULL, "quotes the bad value: %s", e);
    free(e);
    CHECK(sh("./parm bench --method all --sweep 0.3/0/2") == 2, "bench --sweep with a clarity of 2 exits 2");
    e = slurp("err");
    CHECK(strstr(e, "0.3/0/2") != NULL && strstr(e, "KEEP") != NULL, "quotes the bad list: %s", e);
    free(e);
    CHECK(sh("./parm bench --method parm --sweep 0.3") == 2, "--sweep without --method all exits 2");
    CHECK(sh("mkdir -p %s/nojudge && ./parm bench --method all --sweep 0.3 --judge-dir %s/nojudge --prompts 1 -n 2 "
             "--curve 2 --out %s/sweep-nojudge", T, T, T) == 1,
          "--sweep without PARM's judge exits 1 (its rows would be missing)");
    e = slurp("err");
    CHECK(strstr(e, "--sweep needs PARM's judge") != NULL && strstr(e, "nojudge/judge_parm.safetensors") != NULL,
          "names the missing judge: %s", e);
    free(e);
    {
        char d[600];
        snprintf(d, sizeof d, "%s/sweep-nojudge", T);
        CHECK(access(d, F_OK) != 0, "--sweep without PARM's judge fails before making its folder");
    }
    CHECK(sh("./parm export gen --ckpt %s/j.ckpt -o %s/x.safetensors", T, T) == 2, "missing --like exits 2");
    CHECK(sh("./parm export gen --ckpt %s/j.ckpt --like weights/gen.safetensors -o %s/x.safetensors", T, T) == 1,
          "a judge checkpoint into a generator is refused");
    e = slurp("err");
    CHECK(strstr(e, "parm: error:") != NULL, "names the problem: %s", e);
    free(e);
    /* export --mix: a bad alpha is quoted, nothing written; alpha 1 is the weights themselves, alpha 0 the base */
    CHECK(sh("./parm export gen --weights weights/gen.safetensors --mix weights/gen_dpo.safetensors --alpha 2 "
             "-o %s/m.safetensors", T) == 2, "--alpha 2 exits 2");
    char mpath[512];
    snprintf(mpath, sizeof mpath, "%s/m.safetensors", T);
    CHECK(access(mpath, F_OK) != 0, "--alpha 2 wrote %s", mpath);
    e = slurp("err");
    CHECK(strstr(e, "'2'") != NULL && strstr(e, "--alpha") != NULL, "quotes the bad value: %s", e);
    free(e);
    CHECK(sh("./parm export judge --weights weights/gen.safetensors --mix weights/gen.safetensors --alpha 0.5 "
             "-o %s/m.safetensors", T) == 2, "--mix of judges refused");
    for (int k = 0; k < 2; k++) {
        CHECK(sh("./parm export gen --weights weights/gen_dpo.safetensors --mix weights/gen.safetensors --alpha %d "
                 "-o %s/m%d.safetensors", k, T, k) == 0, "export --mix --alpha %d", k);
        parm_gen a, b;
        char path[512];
        snprintf(path, sizeof path, "%s/m%d.safetensors", T, k);
        if (parm_gen_load(&a, path)) { CHECK(0, "%s", parm_last_error()); continue; }
        CHECK(parm_gen_load(&b, k ? "weights/gen_dpo.safetensors" : "weights/gen.safetensors") == 0, "%s",
              parm_last_error());
        size_t diff = a.p.numel == b.p.numel ? 0 : 1; /* compared as numbers: 0·w + (−0) is +0 */
        for (size_t i = 0; !diff && i < a.p.numel; i++) diff += a.p.w[i] != b.p.w[i];
        CHECK(!diff,
              "alpha %d must give %s exactly", k, k ? "the weights" : "the base");
        parm_gen_free(&a);
        parm_gen_free(&b);
    }
}

/* `parm pairs` and `parm train dpo`: help, refusals before any work, a bad
 * file's clear error, and a tiny real set (tokens and verdicts) read back */
static void test_dpo_cli(void) {
    const char *cmds[] = {"pairs", "train dpo"};
    for (int i = 0; i < 2; i++) {
        CHECK(sh("./parm %s --help", cmds[i]) == 0, "parm %s --help", cmds[i]);
        char *o = slurp("out");
        CHECK(strstr(o, "usage: parm") && strstr(o, "--seed"), "%s help text", cmds[i]);
        free(o);
        CHECK(sh("./parm %s --bogus 1", cmds[i]) == 2, "unknown option exits 2");
    }
    CHECK(sh("./parm pairs --n-prompts 2") == 2, "pairs without -o exits 2");
    CHECK(sh("./parm pairs -o %s/l.pref --label judge", T) == 2 && !exists("%s/l.pref", T), "--label judge exits 2");
    char *le = slurp("err");
    CHECK(strstr(le, "'judge'") && strstr(le, "grader, orm, orm-zs, parm"), "quotes the labeler, lists the valid: %s", le);
    free(le);
    CHECK(sh("./parm train dpo --data x.pref") == 2, "train dpo without --init exits 2");
    char *e = slurp("err");
    CHECK(strstr(e, "--init") != NULL, "names the missing flag: %s", e);
    free(e);
    CHECK(sh("./parm train dpo --init weights/gen.safetensors --data x.pref --beta -1") == 2, "--beta -1 exits 2");
    e = slurp("err");
    CHECK(strstr(e, "'-1'") != NULL, "quotes the bad value: %s", e);
    free(e);
    CHECK(sh("printf 'not a set' > %s/bad.pref && ./parm pairs --info %s/bad.pref", T, T) == 1, "a bad set exits 1");
    e = slurp("err");
    CHECK(strstr(e, "bad.pref") && strstr(e, "not a preference set"), "clear error: %s", e);
    free(e);
    CHECK(sh("./parm train dpo --init weights/gen.safetensors --data %s/bad.pref --out %s/d.safetensors --quiet", T, T) == 1 &&
              !exists("%s/d.safetensors", T), "train dpo on a bad set exits 1 and writes nothing");
    CHECK(sh("OMP_WAIT_POLICY=passive ./parm pairs -o %s/p.pref --n-prompts 1 --paths 2 --steps 2 --seed 3 --quiet && "
             "./parm pairs --info %s/p.pref", T, T) == 0, "tiny set: %s", slurp("err"));
    char *o = slurp("out");
    CHECK(strstr(o, "1 train prompts x 2 paths (seed 3, 2 steps, labeled by grader)") != NULL, "info: %s", o);
    {   /* the per-tag table: one row, the set's one prompt, its pairs = the headline's */
        const char *h = strstr(o, "tag ");
        int rows = 0, prompts = 0, pairs = -1, headline = -1;
        char name[32];
        const char *l = h ? strchr(h, '\n') : NULL;
        for (; l && l[1]; l = strchr(l + 1, '\n')) {
            int np, mx, pr;
            double c;
            if (sscanf(l + 1, "%31s %d %lf %d %d", name, &np, &c, &mx, &pr) == 5 && parm_tag_index(name) >= 0)
                rows++, prompts += np, pairs = pr;
        }
        const char *hp = strstr(o, "verdicts; ");
        if (hp) sscanf(hp, "verdicts; %d pairs", &headline);
        CHECK(h && rows == 1 && prompts == 1 && pairs == headline, "info by tag: %d rows, %d prompts, %d/%d pairs: %s",
              rows, prompts, pairs, headline, o);
    }
    free(o);
    /* ORM guidance of a kept set: to a new file, the source untouched; PARM refused */
    CHECK(sh("cp %s/p.pref %s/p0.pref && ./parm pairs --relabel %s/p.pref --label parm -o %s/q.pref", T, T, T, T) == 2 &&
              !exists("%s/q.pref", T), "relabel by parm exits 2 and writes nothing");
    e = slurp("err");
    CHECK(strstr(e, "step image") && strstr(e, "grader, orm, orm-zs"), "says why, lists the valid: %s", e);
    free(e);
    /* relabeling decodes kept tokens: no generator is loaded (a missing --gen is not opened) */
    CHECK(sh("OMP_WAIT_POLICY=passive ./parm pairs --relabel %s/p.pref --label orm -o %s/q.pref --gen %s/none.safetensors "
             "--quiet && cmp -s %s/p.pref %s/p0.pref && ./parm pairs --info %s/q.pref", T, T, T, T, T, T) == 0,
          "relabel by orm to -o: %s", slurp("err"));
    o = slurp("out");
    CHECK(strstr(o, "1 train prompts x 2 paths (seed 3, 2 steps, labeled by orm)") != NULL, "info: %s", o);
    free(o);
}

/* `parm train vq|gen|judge` with default paths write under runs/ (ignored),
 * never over the shipped weights/: run in a temp git repo holding the built
 * parm, the shipped weights and the project's .gitignore (so a developer's
 * own runs/ and working tree are never touched), then `git status` must be
 * clean. An explicit --out naming a shipped file does overwrite it. */
static void test_train_leaves_repo_clean(void) {
    if (sh("command -v git")) { printf("    skipped: no git on PATH\n"); return; }
    CHECK(sh("mkdir %s/repo && cp -r parm weights .gitignore %s/repo/ && cd %s/repo && git init -q . && git add -A && "
             "git -c user.name=t -c user.email=t@t commit -qm shipped", T, T, T) == 0, "temp repo: %s", slurp("err"));
    if (test_checks_failed_) return;
    const char *runs[] = {
        "train vq --steps 2 --batch 2 --width 8 --dim 4 --codes 16 --eval-every 0",
        "train gen --steps 2 --batch 2 --layers 1 --width 16 --heads 2 --mlp 16 --eval-every 0",
        "train judge --steps 2 --batch 4 --layers 1 --width 16 --heads 2 --mlp 16 --eval-every 0"};
    for (int i = 0; i < 3; i++) {
        CHECK(sh("cd %s/repo && OMP_WAIT_POLICY=passive ./parm %s --quiet", T, runs[i]) == 0, "parm %s: %s", runs[i],
              slurp("err"));
        CHECK(sh("cd %s/repo && test -z \"$(git status --porcelain)\"", T) == 0, "parm %s changed the repo:\n%s",
              runs[i], (sh("cd %s/repo && git status --porcelain", T), slurp("out")));
    }
    CHECK(exists("%s/repo/runs/vq.safetensors", T) && exists("%s/repo/runs/gen.ckpt.safetensors", T) &&
              exists("%s/repo/runs/judge_orm-zs.safetensors", T) && exists("%s/repo/runs/judge_orm-zs.curve.csv", T),
          "default outputs are not under runs/");
    CHECK(sh("cd %s/repo && ./parm train vq --steps 1 --batch 2 --width 8 --dim 4 --codes 16 --eval-every 0 --quiet "
             "--out weights/vq.safetensors && git status --porcelain | grep -q 'M weights/vq.safetensors'", T) == 0,
          "an explicit --out weights/vq.safetensors must write it");
}

int main(void) {
    if (!mkdtemp(T)) { perror("mkdtemp"); printf("0 passed, 1 failed\n"); return 1; }
    test_shell_dir = T;
    if (access("./parm", X_OK)) { fprintf(stderr, "./parm is not built (run make test)\n"); printf("0 passed, 1 failed\n"); return 1; }
    RUN(test_help);
    RUN(test_render_and_prompts);
    RUN(test_bench_and_grade);
    RUN(test_gen_flag_every_method);
    RUN(test_alt_judges);
    RUN(test_grade_bad_input);
    RUN(test_judge_cli);
    RUN(test_dpo_cli);
    RUN(test_other_working_directory);
    RUN(test_wrong_tokenizer);
    RUN(test_shipped_generators);
    RUN(test_train_leaves_repo_clean);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", T);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", T);
    return TEST_SUMMARY();
}
