/* cmd_generate.c — `parm generate`: text → image with the shipped generator and
 * VQ, MaskGIT step-by-step decoding; optional trace strip of the step images.
 * With --method, one image chosen among N paths by a test-time verifier
 * (parm/search.h): which path won, per-path verdicts and the costs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parm.h"
#include "parm/gen.h"

#define SZ (PARM_IMG * PARM_IMG * 3)

static void usage(FILE *f) {
    fprintf(f,
            "usage: parm generate --prompt TEXT -o OUT.png [options]\n"
            "Generate images for a prompt of the shapes world (see `parm prompts`).\n\n"
            "  --prompt TEXT      e.g. \"a photo of a red star and a blue circle\"\n"
            "  -o, --out PATH     output PNG (N images side by side, 4 px apart; - for stdout, without\n"
            "                     --method); the grader's verdict of each image is printed\n"
            "  -n N               number of images (paths), default 1; image i uses seed S+i\n");
    cli_sample_usage(f);
    fprintf(f,
            "  --seed S           base seed (default 0)\n"
            "  --trace PATH       PNG grid of every step's image (rows = images, columns = step numbers)\n"
            "  --scale K          write the PNGs enlarged K x (nearest-neighbour, 1..16; default 1)\n"
            "  --json             print one JSON object (per image: seed, the grader's verdict and reason)\n"
            "  --gen PATH         generator weights (default weights/gen.safetensors; parm++ with --rounds > 0:\n"
            "                     weights/gen_sc.safetensors, the self-correction one)\n"
            "  --vq PATH          tokenizer weights (default weights/vq.safetensors)\n\n"
            "Test-time verification: one image, chosen among N paths (path k uses seed S+%d*k)\n"
            "  --method M         ",
            PARM_SEARCH_SEED_STRIDE);
    for (int m = 0; m < PARM_SEARCH_NMETHODS; m++) fprintf(f, "%s%s", m ? "|" : "", parm_search_methods[m].name);
    fprintf(f, "\n");
    for (int m = 0; m < PARM_SEARCH_NMETHODS; m++)
        fprintf(f, "                       %-9s %s\n", parm_search_methods[m].name, parm_search_methods[m].help);
    fprintf(f, "  -n N               paths (default 10 with --method; baseline always 1)\n"
               "  --judge PATH       judge weights (default DIR/judge_<method>.safetensors)\n"
               "  --judge-dir DIR    folder of the default judge weights (default weights)\n");
    cli_parm_gate_usage(f, "  ");
    cli_parmpp_usage(f, "  ");
    fprintf(f, "  -o writes the chosen image; --trace every path's step images (rows = paths, labelled\n"
               "  k, 'x' when terminated; the chosen path framed green; steps a terminated path never ran\n"
               "  stay black). Prints the winner, the grader's verdict on it and the costs: generator\n"
               "  forward passes (one per path and step), judge calls, seconds. With --method parm++,\n"
               "  --trace shows every round: its chosen image and the judge's reflection on it.\n");
}

static const uint8_t GREEN[3] = {30, 160, 60}, GREY[3] = {150, 150, 150};
/* trace grid margins: step numbers above, row labels on the left */
#define TRACE_TOP 11
#define TRACE_LEFT 24

/* the grader's verdict of image i: a line of text ("chosen image: path i" when last), or a
 * JSON object (", " before all but the first; "]" after the last) */
static void print_verdict(FILE *f, const uint8_t *img, const parm_prompt *p, int i, uint64_t seed, int json, int last) {
    char reason[256] = "";
    const int ok = parm_grade(img, p, reason, sizeof reason) == 1;
    if (json) {
        fprintf(f, "%s{\"index\": %d, \"seed\": %llu, \"correct\": %s, \"reason\": \"", i ? ", " : "", i,
               (unsigned long long)seed, ok ? "true" : "false");
        for (const char *c = reason; *c; c++) fprintf(f, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
        fprintf(f, "\"}%s", last ? "]" : "");
    } else fprintf(f, "%s %d (seed %llu): grader says %s%s%s%s\n", last ? "chosen image: path" : "image", i,
                  (unsigned long long)seed, ok ? "correct" : "incorrect",
                  *reason ? " (" : "", reason, *reason ? ")" : "");
}

static int run_search(const parm_prompt *p, parm_gen *g, parm_vq *vq, const parm_search_opts *o, uint64_t seed,
                      const char *out, const char *trace, int scale, int json);

int cmd_generate(int argc, char **argv) {
    const char *text = NULL, *out = NULL, *trace = NULL, *genp = cli_shipped(CLI_GEN),
               *vqp = cli_shipped(CLI_VQ), *judge = NULL, *judge_dir = NULL;
    long n = 1, seed = 0, scale = 1;
    int method = -1, n_given = 0, gen_given = 0, json = 0;
    parm_search_opts gate = parm_search_defaults(PARM_SEARCH_PARM);
    parm_sample_opts so = parm_sample_defaults();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (!(val = cli_value(argc, argv, i))) return 2;
        i++;
        if (!strcmp(a, "--prompt")) text = val;
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = val;
        else if (!strcmp(a, "--trace")) trace = val;
        else if (!strcmp(a, "--gen")) { genp = val; gen_given = 1; }
        else if (!strcmp(a, "--vq")) vqp = val;
        else if (!strcmp(a, "--judge")) judge = val;
        else if (!strcmp(a, "--judge-dir")) judge_dir = val;
        else if (!strcmp(a, "--method")) {
            if ((method = parm_search_method_find(val)) < 0) {
                fprintf(stderr, "parm generate: error: %s\n", parm_last_error());
                return 2;
            }
        } else if (!strcmp(a, "-n")) { if (cli_int(a, val, 1, 256, &n)) return 2; n_given = 1; }
        else if (!strcmp(a, "--seed")) { if (cli_int(a, val, 0, 0x7fffffffL, &seed)) return 2; }
        else if (!strcmp(a, "--scale")) { if (cli_scale_opt(a, val, &scale) < 0) return 2; }
        else {
            int k = cli_sample_opt(a, val, &so);
            if (!k) k = cli_parm_gate_opt(a, val, &gate);
            if (!k) k = cli_parmpp_opt(a, val, &gate);
            if (k < 0) return 2;
            if (!k) return cli_unknown("generate", a);
        }
    }
    if (!text || !out) { usage(stderr); return 2; }
    if (!gen_given && method == PARM_SEARCH_PARMPP && gate.rounds > 0)
        genp = cli_shipped(CLI_GEN_SC); /* PARM++ needs the self-correction generator */
    if (method >= 0 && !strcmp(out, "-")) {
        fprintf(stderr, "parm generate: error: -o - with --method: stdout carries the per-path table; give a file name\n");
        return 2;
    }
    cli_out oo, ot;
    if (cli_output(&oo, "-o", out, CLI_OUT_STDOUT) || cli_output(&ot, "--trace", trace, 0)) {
        cli_output_done(&oo, 1);
        return 2;
    }
    out = oo.path;
    parm_prompt p;
    if (parm_prompt_parse(text, &p)) return cli_fail();
    parm_gen g;
    parm_vq vq;
    if (cli_load_gen_vq(&g, &vq, genp, vqp)) return cli_output_done(&oo, cli_fail());
    if (method >= 0) {
        parm_search_opts o = parm_search_defaults(method);
        if (n_given && method != PARM_SEARCH_BASELINE) o.n = (int)n;
        o.sample = so;
        o.judge = judge;
        o.judge_dir = judge_dir ? judge_dir : cli_shipped(CLI_JUDGE_DIR);
        o.clarity_thresh = gate.clarity_thresh;
        o.potential_thresh = gate.potential_thresh;
        o.keep = gate.keep;
        o.rounds = gate.rounds;
        o.reflect_thresh = gate.reflect_thresh;
        o.reflect_judge = gate.reflect_judge;
        int rc = run_search(&p, &g, &vq, &o, (uint64_t)seed, out, trace, (int)scale, json);
        parm_gen_free(&g);
        parm_vq_free(&vq);
        return rc;
    }
    if (judge || judge_dir) {
        parm_gen_free(&g);
        parm_vq_free(&vq);
        fprintf(stderr, "parm generate: error: --judge/--judge-dir need --method (one of orm-zs, orm, prm, parm)\n");
        return cli_output_done(&oo, 2);
    }
    uint64_t *seeds = parm_malloc(sizeof(uint64_t) * n);
    static uint8_t one[SZ];
    cli_grid strip = {0}, tr = {0};
    int rc = !seeds || cli_grid_init(&strip, (int)n, 1, 0, 0);
    if (trace && !rc) {
        so.step_images = 1;
        rc = cli_grid_init(&tr, so.steps, (int)n, TRACE_TOP, TRACE_LEFT);
        cli_grid_col_labels(&tr, 1);
        for (long i = 0; i < n && !rc; i++) {
            char lab[16];
            snprintf(lab, sizeof lab, "%d", (int)i);
            cli_grid_row_label(&tr, (int)i, lab, NULL);
        }
    }
    parm_sample_run r;
    if (!rc) {
        for (long i = 0; i < n; i++) seeds[i] = parm_seed_of((uint64_t)seed, (uint64_t)i, 0);
        rc = parm_sample_begin(&g, &r, &p, (int)n, seeds, &so);
    }
    if (!rc) {
        int st;
        while ((st = parm_sample_step(&g, &vq, &r)) >= 0) {
            if (trace)
                for (long i = 0; i < n; i++) cli_grid_put(&tr, r.step - 1, (int)i, r.images + i * SZ);
            if (st == 1) break;
        }
        rc = st < 0;
        for (long i = 0; i < n && !rc; i++) cli_grid_put(&strip, (int)i, 0, r.images + i * SZ);
        if (!rc) memcpy(one, r.images, SZ);
        if (!rc) {
            fprintf(stderr, "generated %ld image(s) in %d steps, %ld generator forward passes\n", n, so.steps,
                    r.total_forwards);
            FILE *msg = cli_output_msg(&oo); /* stderr when the PNG goes to stdout (-o -) */
            if (json) {
                fprintf(msg, "{\"prompt\": \"%s\", \"tag\": \"%s\", \"out\": \"%s\", \"steps\": %d, \"gen_forwards\": %ld, "
                        "\"images\": [", p.text, parm_tag_names[p.tag], out, so.steps, r.total_forwards);
                for (long i = 0; i < n; i++) print_verdict(msg, r.images + i * SZ, &p, (int)i, seeds[i], 1, i == n - 1);
                fprintf(msg, "}\n");
            } else
                for (long i = 0; i < n; i++) print_verdict(msg, r.images + i * SZ, &p, (int)i, seeds[i], 0, 0);
        }
        parm_sample_end(&r);
    }
    /* a single image: exactly 64x64 (times scale), no border */
    if (!rc && n == 1) rc = cli_png_write_scaled(out, one, PARM_IMG, PARM_IMG, (int)scale);
    else if (!rc) rc = cli_grid_write(&strip, out, (int)scale);
    if (!rc && trace) rc = cli_grid_write(&tr, trace, (int)scale);
    free(seeds);
    cli_grid_free(&strip);
    cli_grid_free(&tr);
    parm_gen_free(&g);
    parm_vq_free(&vq);
    return cli_output_done(&oo, rc ? cli_fail() : 0);
}

/* --method parm++ with --trace: one row per round (its chosen image, the
 * judge's reflection on it, one clause per line; the returned round framed green) */
static int parmpp_trace(const parm_search_result *r, const uint8_t *round_rgb, const char *path, int scale) {
    static const uint8_t BLACK[3] = {0, 0, 0};
    int maxw = 0;
    for (int k = 0; k <= r->rounds; k++) {
        char buf[200];
        snprintf(buf, sizeof buf, "reflection: %s", r->reflection[k]);
        for (char *c = strtok(buf, ";"); c; c = strtok(NULL, ";")) {
            int w = parm_text_width(c, 1);
            if (w > maxw) maxw = w;
        }
    }
    cli_grid g;
    const int cols = 1 + (maxw + PARM_IMG + CLI_GRID_GAP - 1) / (PARM_IMG + CLI_GRID_GAP);
    if (cli_grid_init(&g, cols, r->rounds + 1, 0, TRACE_LEFT)) return -1;
    for (int k = 0; k <= r->rounds; k++) {
        char lab[16], buf[200];
        snprintf(lab, sizeof lab, "r%d", k);
        cli_grid_row_label(&g, k, lab, k == r->rounds ? GREEN : NULL);
        cli_grid_put(&g, 0, k, round_rgb + (size_t)SZ * k);
        const int x = TRACE_LEFT + 2 * CLI_GRID_GAP + PARM_IMG, y0 = CLI_GRID_GAP + k * (PARM_IMG + CLI_GRID_GAP) + 4;
        if (r->reflection[k][0]) snprintf(buf, sizeof buf, "reflection: %s", r->reflection[k]);
        else snprintf(buf, sizeof buf, "%s", k == r->rounds ? "returned (not reflected on)" : "");
        int line = 0;
        for (char *c = strtok(buf, ";"); c; c = strtok(NULL, ";"), line++)
            parm_draw_text(g.rgb, g.w, g.h, x, y0 + 10 * line, c + (*c == ' '), BLACK, 1, 0);
    }
    cli_grid_frame(&g, 0, r->rounds, GREEN);
    return cli_grid_write(&g, path, scale);
}

/* --method: one image chosen among o->n paths; per-path verdicts, the grader's verdict and costs on stdout */
static int run_search(const parm_prompt *p, parm_gen *g, parm_vq *vq, const parm_search_opts *o, uint64_t seed,
                      const char *out, const char *trace, int scale, int json) {
    parm_searcher s;
    if (parm_search_open(&s, g, vq, o)) return cli_fail();
    const int n = o->method == PARM_SEARCH_BASELINE ? 1 : o->n, T = o->sample.steps;
    parm_search_result *r = parm_malloc(sizeof *r);
    const int pp = o->method == PARM_SEARCH_PARMPP;
    uint8_t img[SZ], *tr = trace && !pp ? parm_calloc((size_t)n * T * SZ, 1) : NULL;
    uint8_t *rr = pp ? parm_calloc((size_t)(o->rounds + 1) * SZ, 1) : NULL;
    int rc = !r || (trace && !pp && !tr) || (pp && !rr);
    if (!rc && pp) rc = parm_search_parmpp(&s, p, seed, img, r, rr);
    else if (!rc) rc = parm_search_run(&s, p, 1, &seed, img, r, tr);
    if (!rc && pp && trace) rc = parmpp_trace(r, rr, trace, scale);
    if (!rc) rc = cli_png_write_scaled(out, img, PARM_IMG, PARM_IMG, scale);
    if (!rc && tr) { /* rows = paths (k, 'x' = terminated), columns = steps; the chosen path framed */
        cli_grid grid;
        rc = cli_grid_init(&grid, T, n, TRACE_TOP, TRACE_LEFT);
        if (!rc) {
            cli_grid_col_labels(&grid, 1);
            for (int k = 0; k < n; k++) {
                char lab[16];
                const int stopped = r->path[k].stop_step >= 0;
                snprintf(lab, sizeof lab, "%d%s", k, stopped ? "x" : "");
                cli_grid_row_label(&grid, k, lab, k == r->chosen ? GREEN : stopped ? GREY : NULL);
                for (int t = 0; t < T; t++) cli_grid_put(&grid, t, k, tr + SZ * ((size_t)k * T + t));
            }
            for (int t = 0; t < T; t++) cli_grid_frame(&grid, t, r->chosen, GREEN);
            rc = cli_grid_write(&grid, trace, scale);
        }
    }
    const char *m = parm_search_methods[o->method].name;
    const int off = pp ? r->rounds * n : 0; /* PARM++: the paths of the last round are k + rounds·n */
    if (!rc && json) {
        char *frag = bench_image_json(r, seed);
        printf("{\"prompt\": \"%s\", \"tag\": \"%s\", \"out\": \"%s\", %s, \"grader\": ", p->text,
               parm_tag_names[p->tag], out, frag ? frag : "\"seed\": null");
        free(frag);
        print_verdict(stdout, img, p, 0, parm_seed_of(seed, 0, r->chosen), 1, 0);
        printf("}\n");
    } else if (!rc) {
        printf("method %s, %d path(s) x %d steps, seed %llu%s\n", m, n, T, (unsigned long long)seed,
               parm_search_methods[o->method].upper_bound ? " (upper bound: the grader picks)" : "");
        if (s.has_judge) printf("judge %s (trained as '%s')\n", s.judge_path, s.judge.variant[0] ? s.judge.variant : "?");
        if (n > 1) {
            printf("%5s %10s %6s %6s %6s %10s %8s\n", "path", "seed", "steps", "judge", "clear", "potential",
                   o->method == PARM_SEARCH_ORACLE ? "correct" : "score");
            for (int k = 0; k < n; k++) {
                const parm_search_path *v = &r->path[k];
                char clear[16] = "-", pot[16] = "-", score[16] = "-";
                if (v->clear_step >= 0) snprintf(clear, sizeof clear, "%d", v->clear_step);
                if (v->potential == v->potential) snprintf(pot, sizeof pot, "%.4f", v->potential);
                if (o->method == PARM_SEARCH_ORACLE) snprintf(score, sizeof score, "%s", v->correct == 1 ? "yes" : "no");
                else if (v->score == v->score) snprintf(score, sizeof score, "%.4f", v->score);
                printf("%5d %10llu %6d %6d %6s %10s %8s%s%s\n", k,
                       (unsigned long long)parm_seed_of((uint64_t)seed, 0, k + off), v->forwards, v->judge_calls,
                       clear, pot, score, v->stop_step >= 0 ? "  terminated" : "", k == r->chosen ? "  <- chosen" : "");
            }
        }
        if (pp) {
            if (s.has_reflect) printf("reflecting judge %s\n", s.reflect_path);
            for (int k = 0; k <= r->rounds; k++)
                printf("round %d: %ld generator forward passes, %ld judge calls; reflection: %s\n", k,
                       r->round_forwards[k], r->round_judge_calls[k], r->reflection[k][0] ? r->reflection[k] : "(not asked)");
            printf("%d correction round(s); %s\n", r->rounds,
                   r->accepted == 1 ? "the judge accepted the returned image" : "returned the last round's image");
        }
        if (o->method == PARM_SEARCH_PARM || pp)
            printf("survivors %d of %d%s\n", r->survivors, n,
                   r->fallback ? "; none survived: fallback to the highest P(potential), run to completion" : "");
        printf("chose path %d (seed %llu); cost: %ld generator forward passes (all paths to the end: %d), "
               "%ld judge calls, %.2f s\n", r->chosen + off,
               (unsigned long long)parm_seed_of((uint64_t)seed, 0, r->chosen + off), r->gen_forwards,
               n * T * (pp ? r->rounds + 1 : 1), r->judge_calls, r->seconds);
        print_verdict(stdout, img, p, r->chosen + off, parm_seed_of(seed, 0, r->chosen + off), 0, 1);
    }
    free(r);
    free(tr);
    free(rr);
    parm_search_close(&s);
    return rc ? cli_fail() : 0;
}
