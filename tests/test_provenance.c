/* test_provenance.c — what `parm bench` leaves on disk (runs ./parm): run.json
 * has the command line, parm --version, the sha256 of every file read (equal
 * to sha256sum's), the options and seeds, start/end, a row equal to --json's
 * with 95 % intervals; results.jsonl rows carry the image seed, the chosen path
 * and its seed (seed + 4096·k), every path's verdicts and the forwards/judge
 * calls spent on that image; `parm compare` of a run with itself is exactly 0,
 * of gt against baseline positive with the count of images only gt got right;
 * `parm report` writes one page with one gallery card per image, no network
 * reference, its table values equal to run.json's. Also what a person sees:
 * --scale K enlarges PNGs K× nearest-neighbour, side-by-side images are 4 px
 * apart, generate prints the grader's verdict per image (and --json); bench
 * --prompts-file reads plain-text prompts and names a bad line. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parm.h"
#include "test.h"
#include "test_shell.h"

static char T[] = "/tmp/parm-test-prov-XXXXXX";

static cJSON *load_json(const char *fmt, const char *dir) {
    char p[1024], *d = NULL;
    snprintf(p, sizeof p, fmt, dir);
    if (parm_read_file(p, &d, NULL)) return NULL;
    cJSON *o = cJSON_Parse(d);
    free(d);
    return o;
}
static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }
static double num(const cJSON *o, const char *k) { const cJSON *v = get(o, k); return cJSON_IsNumber(v) ? v->valuedouble : -999; }

static void test_help(void) {
    const char *cmds[] = {"report", "compare"};
    for (int i = 0; i < 2; i++) {
        CHECK(sh("./parm %s --help", cmds[i]) == 0, "parm %s --help", cmds[i]);
        char *o = slurp("out");
        CHECK(strstr(o, "usage: parm ") && strstr(o, cmds[i]), "%s help: %s", cmds[i], o);
        free(o);
        CHECK(sh("./parm %s --bogus x", cmds[i]) == 2, "%s: unknown option exits 2", cmds[i]);
        char *e = slurp("err");
        CHECK(strstr(e, "--bogus") != NULL, "%s", e);
        free(e);
    }
}

static void test_version(void) {
    CHECK(sh("./parm --version") == 0, "parm --version");
    char *o = slurp("out");
    CHECK(!strncmp(o, "parm ", 5) && strlen(o) > 6 && lines(o) == 1, "'%s'", o);
    free(o);
}

static void test_run_json(void) {
    CHECK(sh("OMP_WAIT_POLICY=passive ./parm bench --method orm -n 3 --prompts 2 --images-per-prompt 2 --seed 5 -o %s/orm "
             "--json", T) == 0, "bench orm: %s", slurp("err"));
    char *line = slurp("out");
    cJSON *row = cJSON_Parse(line), *run = load_json("%s/orm/run.json", T);
    free(line);
    CHECK(run && row, "run.json and the --json row parse");
    if (!run || !row) { cJSON_Delete(run); cJSON_Delete(row); return; }
    sh("./parm --version");
    char *ver = slurp("out");
    ver[strcspn(ver, "\n")] = 0;
    const cJSON *v = get(run, "parm_version"), *cmd = get(run, "command");
    CHECK(cJSON_IsString(v) && !strcmp(ver + 5, v->valuestring), "version '%s' vs '%s'", ver, cJSON_IsString(v) ? v->valuestring : "?");
    free(ver);
    CHECK(cJSON_GetArraySize(cmd) == 15 && !strcmp(cJSON_GetArrayItem(cmd, 2)->valuestring, "--method") &&
              !strcmp(cJSON_GetArrayItem(cmd, 3)->valuestring, "orm"), "command line recorded");
    CHECK(cJSON_IsString(get(run, "start")) && cJSON_IsString(get(run, "end")) && num(run, "seconds") >= 0, "times");
    const cJSON *opt = get(run, "options");
    CHECK(num(opt, "seed") == 5 && num(opt, "n") == 3 && num(opt, "images_per_prompt") == 2 &&
              num(get(opt, "sampler"), "steps") == 12 && num(opt, "keep") == 0.3, "options");
    /* files: metadata, gen, vq, judge, each with sha256sum's digest */
    const cJSON *files = get(run, "files"), *f;
    int roles = 0;
    cJSON_ArrayForEach(f, files) {
        const char *role = get(f, "role")->valuestring, *path = get(f, "path")->valuestring;
        roles |= (!strcmp(role, "metadata")) | (!strcmp(role, "gen")) << 1 | (!strcmp(role, "vq")) << 2 |
                 (!strcmp(role, "judge")) << 3;
        CHECK(sh("sha256sum '%s'", path) == 0, "sha256sum %s", path);
        char *o = slurp("out");
        CHECK(!strncmp(o, get(f, "sha256")->valuestring, 64), "%s: run.json %s, sha256sum %.64s", path,
              get(f, "sha256")->valuestring, o);
        free(o);
        if (!strcmp(role, "judge")) CHECK(strstr(path, "judge_orm.safetensors") != NULL, "judge file %s", path);
    }
    CHECK(roles == 15, "roles metadata+gen+vq+judge: %d", roles);
    /* the row: as --json printed, with intervals holding the score */
    const cJSON *r = cJSON_GetArrayItem(get(run, "rows"), 0), *ci = get(r, "ci");
    CHECK(cJSON_GetArraySize(get(run, "rows")) == 1, "one row");
    CHECK(num(r, "overall") == num(row, "overall") && num(r, "gen_forwards_per_image") == 36 &&
              num(r, "judge_calls_per_image") == 3, "row: overall %g / %g, fwd %g", num(r, "overall"),
          num(row, "overall"), num(r, "gen_forwards_per_image"));
    const cJSON *ov = get(ci, "overall");
    CHECK(cJSON_GetArraySize(ov) == 2 && cJSON_GetArrayItem(ov, 0)->valuedouble <= num(r, "overall") &&
              cJSON_GetArrayItem(ov, 1)->valuedouble >= num(r, "overall"), "overall interval holds the score");
    CHECK(cJSON_IsNull(get(ci, "counting")), "absent category: null interval");
    CHECK(strstr(get(get(run, "intervals"), "method")->valuestring, "Wilson") != NULL, "interval method named");
    CHECK(!strcmp(get(run, "status")->valuestring, "complete") && cJSON_IsObject(get(run, "resume_key")) &&
              num(get(run, "resume_key"), "n") == 3, "status complete, resume_key kept");
    cJSON_Delete(run);
    cJSON_Delete(row);
    /* results.jsonl rows: seed, chosen path and its seed, every path */
    char p[600], *d = NULL;
    snprintf(p, sizeof p, "%s/orm/results.jsonl", T);
    CHECK(parm_read_file(p, &d, NULL) == 0, "%s", parm_last_error());
    int k = 0;
    for (char *l = d, *nl; d && *l; l = nl + 1, k++) {
        nl = strchr(l, '\n');
        *nl = 0;
        cJSON *o = cJSON_Parse(l);
        const double seed = num(o, "seed"), chosen = num(o, "chosen");
        CHECK(seed == 5 + k % 2, "row %d seed %g", k, seed);
        CHECK(chosen >= 0 && chosen < 3 && num(o, "chosen_seed") == seed + 4096 * chosen, "row %d chosen %g seed %g", k,
              chosen, num(o, "chosen_seed"));
        CHECK(num(o, "gen_forwards") == 36 && num(o, "judge_calls") == 3 && num(o, "n") == 3, "row %d costs", k);
        const cJSON *paths = get(o, "paths"), *q;
        CHECK(cJSON_GetArraySize(paths) == 3, "row %d: 3 paths", k);
        double best = -1;
        int j = 0, arg = -1;
        cJSON_ArrayForEach(q, paths) {
            CHECK(num(q, "seed") == seed + 4096 * j && num(q, "forwards") == 12 && num(q, "stop_step") == -1, "path %d", j);
            if (num(q, "score") > best) { best = num(q, "score"); arg = j; }
            j++;
        }
        CHECK(arg == chosen && best == num(o, "score"), "row %d: the chosen path has the best judge score", k);
        /* the step strip: 3 paths x 12 steps of 32x32 tiles, its last column = each path's final image */
        const cJSON *st = get(o, "strip");
        char sp[700];
        uint8_t *rgb = NULL;
        int w = 0, h = 0;
        snprintf(sp, sizeof sp, "%s/orm/%s", T, cJSON_IsString(st) ? st->valuestring : "?");
        CHECK(cJSON_IsString(st) && parm_png_read(sp, &rgb, &w, &h) == 0 && w == 12 * 32 && h == 3 * 32,
              "row %d: strip %s %dx%d", k, sp, w, h);
        free(rgb);
        cJSON_Delete(o);
    }
    CHECK(k == 4, "4 rows, got %d", k);
    free(d);
}

static void test_compare(void) {
    CHECK(sh("./parm compare %s/orm %s/orm/results.jsonl --json", T, T) == 0, "compare with itself: %s", slurp("err"));
    char *o = slurp("out");
    cJSON *j = cJSON_Parse(o);
    const cJSON *ov = get(j, "overall");
    /* adjusted (the default): 4 images cannot show two methods equal, so an interval around 0 */
    const double lo0 = cJSON_GetArrayItem(get(ov, "ci"), 0)->valuedouble, hi0 = cJSON_GetArrayItem(get(ov, "ci"), 1)->valuedouble;
    CHECK(num(ov, "diff") == 0 && lo0 < -0.1 && hi0 > 0.1 && fabs(lo0 + hi0) < 1e-9 && num(j, "images") == 4, "%s", o);
    cJSON_Delete(j);
    free(o);
    CHECK(sh("./parm compare %s/orm %s/orm --json --bootstrap", T, T) == 0, "--bootstrap: %s", slurp("err"));
    o = slurp("out");
    char *eb = slurp("err");
    j = cJSON_Parse(o);
    ov = get(j, "overall");
    CHECK(num(ov, "diff") == 0 && cJSON_GetArrayItem(get(ov, "ci"), 0)->valuedouble == 0 &&
              cJSON_GetArrayItem(get(ov, "ci"), 1)->valuedouble == 0 && strstr(eb, "too narrow"),
          "the bootstrap: exactly [0, 0], and a note that it is too narrow here: %s", o);
    cJSON_Delete(j);
    free(o);
    free(eb);
    /* gt (all correct) against baseline on the same 3 prompts (three categories) x 2 images */
    CHECK(sh("OMP_WAIT_POLICY=passive ./parm bench --method gt --every 100 --prompts 3 --images-per-prompt 2 -o %s/gt --json && "
             "OMP_WAIT_POLICY=passive ./parm bench --method baseline --every 100 --prompts 3 --images-per-prompt 2 -o %s/base "
             "--json", T, T) == 0, "bench gt, baseline: %s", slurp("err"));
    CHECK(sh("./parm compare %s/gt %s/base --json", T, T) == 0, "compare gt baseline: %s", slurp("err"));
    o = slurp("out");
    j = cJSON_Parse(o);
    ov = get(j, "overall");
    const double dd = num(ov, "diff");
    CHECK(num(ov, "a") == 1 && dd == 1 - num(ov, "b") && num(j, "b_only_correct") == 0 &&
              num(j, "images") == 6, "%s", o);
    CHECK(cJSON_GetArrayItem(get(ov, "ci"), 0)->valuedouble <= dd && cJSON_GetArrayItem(get(ov, "ci"), 1)->valuedouble >= dd,
          "interval holds the difference");
    cJSON_Delete(j);
    free(o);
    CHECK(sh("./parm compare %s/orm %s/nothing", T, T) == 1, "a missing file exits 1");
    CHECK(sh("./parm compare %s/orm", T) == 2, "one file exits 2");
    /* other prompts: refused */
    CHECK(sh("OMP_WAIT_POLICY=passive ./parm bench --method gt --prompts 3 --images-per-prompt 2 -o %s/gt2 --json", T) == 0,
          "bench gt2");
    CHECK(sh("./parm compare %s/gt %s/gt2", T, T) == 1, "different prompts are refused");
    char *e = slurp("err");
    CHECK(strstr(e, "not the same benchmark") != NULL, "%s", e);
    free(e);
}

static int count(const char *s, const char *what) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p++) n++;
    return n;
}

static void test_report(void) {
    CHECK(sh("./parm report %s/orm -o %s/r.html", T, T) == 0, "report: %s", slurp("err"));
    char p[600], *h = NULL;
    snprintf(p, sizeof p, "%s/r.html", T);
    CHECK(parm_read_file(p, &h, NULL) == 0, "%s", parm_last_error());
    if (!h) return;
    CHECK(count(h, "<div class=\"card\"") == 4, "one card per image: %d", count(h, "<div class=\"card\""));
    CHECK(count(h, "<tr class=\"mrow") == 1, "one table row");
    CHECK(!strstr(h, "src=\"http") && !strstr(h, "href=\"http") && !strstr(h, "url(http"), "no network references");
    cJSON *run = load_json("%s/orm/run.json", T);
    char want[64];
    snprintf(want, sizeof want, "<td class=\"overall\"><b>%.3f</b>", num(cJSON_GetArrayItem(get(run, "rows"), 0), "overall"));
    CHECK(strstr(h, want) != NULL, "table shows run.json's overall: %s", want);
    cJSON_Delete(run);
    free(h);
    CHECK(sh("./parm report %s/orm -o %s/r2.html --max-cards 2", T, T) == 0, "report --max-cards: %s", slurp("err"));
    snprintf(p, sizeof p, "%s/r2.html", T);
    CHECK(parm_read_file(p, &h, NULL) == 0 && count(h, "<div class=\"card\"") == 2 && count(h, "data-k=\"2\" data-tag") == 1,
          "--max-cards 2 of 4: images 0 and 2");
    free(h);
    CHECK(sh("./parm report %s/nothing", T) == 1, "no run.json exits 1");
    char *e = slurp("err");
    CHECK(strstr(e, "run.json") != NULL, "%s", e);
    free(e);
}

static int png_size(const char *fmt, const char *dir, int *w, int *h, uint8_t **rgb) {
    char p[600];
    snprintf(p, sizeof p, fmt, dir);
    return parm_png_read(p, rgb, w, h);
}

static void test_images(void) {
    int w, h;
    uint8_t *a = NULL, *b = NULL;
    CHECK(sh("./parm render --prompt 'a photo of a red star' -o %s/r1.png && ./parm render --prompt 'a photo of a red star' "
             "--scale 3 -o %s/r3.png", T, T) == 0, "render --scale: %s", slurp("err"));
    CHECK(png_size("%s/r1.png", T, &w, &h, &a) == 0 && w == 64 && h == 64, "64x64");
    CHECK(png_size("%s/r3.png", T, &w, &h, &b) == 0 && w == 192 && h == 192, "--scale 3: 192x192, got %dx%d", w, h);
    int same = a && b;
    for (int y = 0; y < 192 && same; y++)
        for (int x = 0; x < 192 && same; x++) same = !memcmp(b + (y * 192 + x) * 3, a + ((y / 3) * 64 + x / 3) * 3, 3);
    CHECK(same, "nearest-neighbour: pixel (x, y) = original (x/3, y/3)");
    free(a); free(b); a = b = NULL;
    CHECK(sh("./parm render --prompt 'a photo of a red star' --scale 0 -o %s/r0.png", T) == 2, "--scale 0 exits 2");
    CHECK(sh("OMP_WAIT_POLICY=passive ./parm generate --prompt 'a photo of a red star' -n 2 -o %s/g2.png --trace %s/t2.png",
             T, T) == 0, "generate -n 2: %s", slurp("err"));
    char *o = slurp("out");
    CHECK(strstr(o, "image 0 (seed 0): grader says ") && strstr(o, "image 1 (seed 1): grader says "), "verdicts: %s", o);
    free(o);
    CHECK(png_size("%s/g2.png", T, &w, &h, &a) == 0 && w == 2 * 64 + 3 * 4 && h == 64 + 2 * 4, "two images 4 px apart: %dx%d", w, h);
    free(a); a = NULL;
    CHECK(png_size("%s/t2.png", T, &w, &h, &a) == 0 && w == 24 + 12 * 68 + 4 && h == 11 + 2 * 68 + 4,
          "trace with labels: %dx%d", w, h);
    free(a); a = NULL;
    CHECK(sh("OMP_WAIT_POLICY=passive ./parm generate --prompt 'a photo of a red star' --method orm -n 2 -o %s/g.png --json",
             T) == 0, "generate --json: %s", slurp("err"));
    o = slurp("out");
    cJSON *j = cJSON_Parse(o);
    const cJSON *g = get(j, "grader");
    CHECK(j && cJSON_IsBool(get(g, "correct")) && cJSON_IsString(get(g, "reason")) && num(j, "chosen") >= 0 &&
              cJSON_GetArraySize(get(j, "paths")) == 2, "%s", o);
    cJSON_Delete(j);
    free(o);
}

static void test_prompts_file(void) {
    CHECK(sh("printf 'a photo of a red star\\n\\n# two\\na photo of two circles\\n' > %s/p.txt && OMP_WAIT_POLICY=passive "
             "./parm bench --method gt --prompts-file %s/p.txt -o %s/pf --json", T, T, T) == 0, "%s", slurp("err"));
    char *o = slurp("out");
    CHECK(strstr(o, "\"images\": 8") && strstr(o, "\"counting\": 1.0"), "two prompts x 4 images: %s", o);
    free(o);
    CHECK(sh("printf 'a photo of a red star\\na photo of a mauve star\\n' > %s/bad.txt && ./parm bench --method gt "
             "--prompts-file %s/bad.txt -o %s/pf2", T, T, T) == 1, "bad prompt exits 1");
    char *e = slurp("err");
    CHECK(strstr(e, "bad.txt:2") && strstr(e, "mauve"), "names the line: %s", e);
    free(e);
    CHECK(sh("./parm bench --method gt --prompts-file %s/p.txt --metadata x", T) == 2, "both exit 2");
}

int main(void) {
    if (!mkdtemp(T)) { perror("mkdtemp"); printf("0 passed, 1 failed\n"); return 1; }
    test_shell_dir = T;
    if (access("./parm", X_OK)) { fprintf(stderr, "./parm is not built (run make test)\n"); printf("0 passed, 1 failed\n"); return 1; }
    RUN(test_help);
    RUN(test_version);
    RUN(test_run_json);
    RUN(test_compare);
    RUN(test_report);
    RUN(test_images);
    RUN(test_prompts_file);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", T);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", T);
    return TEST_SUMMARY();
}
