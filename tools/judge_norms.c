/* judge_norms.c — a diagnostic of a judge's input embedding (docs/RESULTS.md,
 * "A judge that reads compositions, phase 2"): the mean norm of the text and
 * patch tokens entering the transformer, of the learned position rows
 * emb.pos of the patches and of the patch content (the pixel gather-sum,
 * without the learned and the fixed 2-D position),
 * the cosine of neighbouring vs far patches' position rows, and the norms of
 * the text position rows next to a few word rows. 32 GT renders of train
 * prompts (seed 5). Not part of libparm or the CLI; build from the repo root:
 *   cc -std=c11 -O2 -fopenmp -Iinclude -D_GNU_SOURCE tools/judge_norms.c build/libparm.a \
 *      -ldnnl -lopenblas -lpng -lcjson -lm -lcrypto -o build/judge_norms
 *   build/judge_norms WEIGHTS */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm.h"
#include "parm/judge.h"
#include "parm/text.h"

int main(int argc, char **argv) {
    enum { B = 32 };
    parm_judge j;
    parm_judge_evalset s;
    if (argc != 2) { fprintf(stderr, "usage: judge_norms WEIGHTS\n"); return 2; }
    if (parm_judge_load(&j, argv[1]) || parm_judge_evalset_gt(&s, 0, B, 5, &parm_layout_canonical) ||
        parm_judge_alloc(&j, B)) {
        fprintf(stderr, "judge_norms: %s\n", parm_last_error());
        return 1;
    }
    const int C = j.cfg.C, T = j.T, Tt = j.cfg.text_len, NP = PARM_JUDGE_PATCHES;
    int q[B], *ids = malloc(sizeof(int) * B * Tt);
    uint8_t *rgb = malloc((size_t)B * PARM_IMG * PARM_IMG * 3);
    for (int b = 0; b < B; b++) {
        q[b] = PARM_Q_MATCH;
        if (parm_text_encode(s.ex[b].caption.text, ids + b * Tt, Tt) < 0) return 1;
        memcpy(rgb + (size_t)b * PARM_IMG * PARM_IMG * 3, s.ex[b].rgb, PARM_IMG * PARM_IMG * 3);
    }
    if (parm_judge_forward(&j, q, ids, rgb, B, 0)) { fprintf(stderr, "judge_norms: %s\n", parm_last_error()); return 1; }
    const float *pe = parm_w(&j.p, j.pos_emb), *te = parm_w(&j.p, j.tok_emb);
    double nt = 0, np = 0, npos = 0, ncont = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            double a = 0, e = 0;
            for (int c = 0; c < C; c++) {
                double x = j.x[((size_t)b * T + t) * C + c], d = x - pe[(size_t)t * C + c];
                if (t > Tt && j.pos2d) d -= j.pos2d[(size_t)(t - Tt - 1) * C + c]; /* content: without any position */
                a += x * x;
                e += d * d;
            }
            if (t <= Tt) nt += sqrt(a) / (B * (Tt + 1));
            else { np += sqrt(a) / (B * NP); ncont += sqrt(e) / (B * NP); }
        }
    for (int t = Tt + 1; t < T; t++) {
        double a = 0;
        for (int c = 0; c < C; c++) a += (double)pe[(size_t)t * C + c] * pe[(size_t)t * C + c];
        npos += sqrt(a) / NP;
    }
    printf("%s: token norms: text %.3f, patch %.3f (learned position row %.3f, content %.3f; pos2d %g)\n", argv[1], nt, np,
           npos, ncont, j.cfg.pos2d);
    double near = 0, far = 0;
    int nn = 0, nf = 0;
    for (int p = 0; p < NP; p++)
        for (int r = 0; r < NP; r++) {
            if (p == r) continue;
            const float *u = pe + (size_t)(Tt + 1 + p) * C, *v = pe + (size_t)(Tt + 1 + r) * C;
            double a = 0, uu = 0, vv = 0;
            for (int c = 0; c < C; c++) { a += (double)u[c] * v[c]; uu += (double)u[c] * u[c]; vv += (double)v[c] * v[c]; }
            int d = abs(p % 8 - r % 8) + abs(p / 8 - r / 8);
            if (d == 1) { near += a / sqrt(uu * vv); nn++; }
            else if (d >= 6) { far += a / sqrt(uu * vv); nf++; }
        }
    printf("  patch position rows, cosine: neighbours %.3f, far (distance >= 6) %.3f\n", near / nn, far / nf);
    printf("  text position rows 1..8:");
    for (int t = 1; t <= 8; t++) {
        double a = 0;
        for (int c = 0; c < C; c++) a += (double)pe[(size_t)t * C + c] * pe[(size_t)t * C + c];
        printf(" %.3f", sqrt(a));
    }
    printf("\n  word rows:");
    const char *w[] = {"star", "circle", "left", "right", "above", "the", "is", "red"};
    for (int k = 0; k < 8; k++) {
        int id = parm_text_id(w[k]);
        double a = 0;
        for (int c = 0; c < C; c++) a += (double)te[(size_t)id * C + c] * te[(size_t)id * C + c];
        printf(" %s %.3f", w[k], sqrt(a));
    }
    printf("\n");
    free(ids);
    free(rgb);
    parm_judge_evalset_free(&s);
    parm_judge_free(&j);
    return 0;
}
