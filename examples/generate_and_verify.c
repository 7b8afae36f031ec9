/* generate_and_verify.c — libparm embedded in a program of its own: load the
 * shipped generator, tokenizer and fine-tuned ORM judge, generate 4 paths for
 * one prompt, let the judge pick one (best-of-4), and grade the pick with the
 * world's grader. Everything through include/parm.h; file locations are the
 * program's business (the library has no default paths).
 *
 *   build/examples/generate_and_verify WEIGHTS_DIR "a photo of a red star" [OUT.png]
 *
 * Prints the judge's score of each path, the chosen path and the grader's
 * verdict; exits 0 when the run worked (whatever the verdict), 1 on error. */
#include <stdio.h>
#include <stdlib.h>

#include "parm.h"

static int fail(const char *what) {
    fprintf(stderr, "generate_and_verify: %s: %s\n", what, parm_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s WEIGHTS_DIR PROMPT [OUT.png]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1], *text = argv[2], *out = argc > 3 ? argv[3] : NULL;
    char genp[1024], vqp[1024];
    snprintf(genp, sizeof genp, "%s/gen.safetensors", dir);
    snprintf(vqp, sizeof vqp, "%s/vq.safetensors", dir);

    if (parm_init()) return fail("init"); /* threads and matmul backend; optional (lazy), but explicit is clearer */
    parm_prompt p;
    if (parm_prompt_parse(text, &p)) return fail("prompt");
    parm_gen g;
    parm_vq vq;
    if (parm_gen_load(&g, genp)) return fail("generator");
    if (parm_vq_load(&vq, vqp)) return fail("tokenizer");
    if (parm_gen_check_vq(&g, &vq, genp, vqp)) return fail("pairing");

    parm_search_opts o = parm_search_defaults(PARM_SEARCH_ORM);
    o.n = 4;
    o.judge_dir = dir; /* <dir>/judge_orm.safetensors */
    parm_searcher s;
    if (parm_search_open(&s, &g, &vq, &o)) return fail("judge");

    const uint64_t seed = parm_seed_of(0, 0, 0);
    uint8_t rgb[PARM_IMG * PARM_IMG * 3];
    parm_search_result r;
    if (parm_search_run(&s, &p, 1, &seed, rgb, &r, NULL)) return fail("search");
    for (int k = 0; k < r.n; k++)
        printf("path %d (seed %llu): P(match) %.3f%s\n", k, (unsigned long long)parm_seed_of(seed, 0, k),
               r.path[k].score, k == r.chosen ? "  <- chosen" : "");
    char reason[256];
    int ok = parm_grade(rgb, &p, reason, sizeof reason);
    printf("prompt \"%s\": judge picked path %d, grader says %s%s%s%s; %ld generator forwards, %ld judge calls\n",
           p.text, r.chosen, ok == 1 ? "correct" : "wrong", reason[0] ? " (" : "", reason, reason[0] ? ")" : "",
           r.gen_forwards, r.judge_calls);
    int rc = 0;
    if (out && parm_png_write(out, rgb, PARM_IMG, PARM_IMG)) rc = fail("write");
    parm_search_close(&s);
    parm_gen_free(&g);
    parm_vq_free(&vq);
    return ok < 0 ? fail("grade") : rc;
}
