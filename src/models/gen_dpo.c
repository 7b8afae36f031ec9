/* gen_dpo.c — the DPO loss of the masked-token generator (parm/dpo.h):
 * sequence log-likelihoods over the masked positions (log-softmax gathered
 * at the true tokens), the pairwise −log σ(β·Δ) against a frozen reference,
 * plus λ·CE on the chosen grids, and the gradient into the generator's
 * logits, then parm_gen_backward.
 *
 * Gradient: with z_b = β·((π_c − π_r) − (ρ_c − ρ_r)) and Nc chosen masked tokens,
 *   ∂L/∂π_c = −(β/B)·σ(−z_b) − λ/Nc,   ∂L/∂π_r = +(β/B)·σ(−z_b)
 * per row of that sequence, through ∂π/∂logits = onehot(target) − softmax. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parm/dpo.h"
#include "parm/ops.h"

#define NTOK PARM_VQ_TOKENS

/* grid-order targets [B,256] → g->targets in (b,p,s) row order */
static void rows_of(parm_gen *g, const int *targets, int B) {
    for (int b = 0; b < B; b++)
        for (int p = 0; p < PARM_GEN_POS; p++)
            for (int s = 0; s < PARM_GEN_SLOTS; s++)
                g->targets[(b * PARM_GEN_POS + p) * PARM_GEN_SLOTS + s] = targets[b * NTOK + parm_gen_token_index(p, s)];
}

static int check_targets(const parm_gen *g, const int *targets, int B) {
    if (B < 1 || B > g->maxB) return PARM_ERR("sequence log-likelihood: batch %d outside [1, %d]", B, g->maxB);
    for (long i = 0; i < (long)B * NTOK; i++)
        if (targets[i] < -1 || targets[i] >= g->cfg.ncodes)
            return PARM_ERR("target %d at %ld outside [-1, %d)", targets[i], i, g->cfg.ncodes);
    return 0;
}

/* per-sequence sums of the gathered rows, in double */
static void seq_sums(const float *lp, int B, double *sum) {
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int r = 0; r < NTOK; r++) s += lp[(size_t)b * NTOK + r];
        sum[b] = s;
    }
}

int parm_gen_seq_logp(parm_gen *g, const int *targets, int B, float *out) {
    if (check_targets(g, targets, B)) return -1;
    const long N = (long)B * NTOK;
    float *lp = parm_malloc(sizeof(float) * N);
    double *sum = parm_malloc(sizeof(double) * B);
    if (!lp || !sum) { free(lp); free(sum); return -1; }
    rows_of(g, targets, B);
    parm_logsoftmax_gather_forward(lp, NULL, g->logits, g->targets, (int)N, g->cfg.ncodes, -1);
    seq_sums(lp, B, sum);
    for (int b = 0; b < B; b++) out[b] = (float)sum[b];
    free(lp);
    free(sum);
    return 0;
}

/* −log σ(z) = softplus(−z), stably */
static double neg_log_sigmoid(double z) { return z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z)); }
static double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z)); }

float parm_gen_dpo_loss_backward(parm_gen *g, const int *targets, const float *ref_logp, int B, float beta, float sft,
                                 parm_dpo_stats *st) {
    if (!(beta > 0) || !(sft >= 0)) { PARM_ERR("DPO: beta %g must be > 0 and sft weight %g >= 0", beta, sft); return NAN; }
    if (check_targets(g, targets, 2 * B)) return NAN;
    const int K = g->cfg.ncodes;
    const long N = 2L * B * NTOK;
    float *lp = parm_malloc(sizeof(float) * N), *lse = parm_malloc(sizeof(float) * N), *dout = parm_malloc(sizeof(float) * N);
    double *pi = parm_malloc(sizeof(double) * 2 * B);
    float loss = NAN;
    if (!lp || !lse || !dout || !pi) goto done;
    rows_of(g, targets, 2 * B);
    parm_logsoftmax_gather_forward(lp, lse, g->logits, g->targets, (int)N, K, -1);
    seq_sums(lp, 2 * B, pi);
    long nc = 0, masked = 0;
    double sft_sum = 0;
    for (long r = 0; r < N; r++) {
        if (g->targets[r] < 0) continue;
        masked++;
        if (r < (long)B * NTOK) { nc++; sft_sum -= lp[r]; }
    }
    parm_dpo_stats s = {0};
    s.masked = masked;
    s.sft = nc ? sft_sum / nc : 0.0;
    for (int b = 0; b < B; b++) {
        const double dc = pi[b] - ref_logp[b], dr = pi[B + b] - ref_logp[B + b], z = beta * (dc - dr);
        s.dpo += neg_log_sigmoid(z) / B;
        s.margin += z / B;
        s.acc += (z > 0) / (double)B;
        s.drift_c += dc / B;
        s.drift_r += dr / B;
        const float gz = (float)(beta * sigmoid(-z) / B); /* −∂L/∂π_c = ∂L/∂π_r */
        const float gsft = nc ? (float)(sft / nc) : 0.0f;
        for (int r = 0; r < NTOK; r++) {
            dout[(size_t)b * NTOK + r] = -gz - gsft;
            dout[(size_t)(B + b) * NTOK + r] = gz;
        }
    }
    s.loss = s.dpo + sft * s.sft;
    /* g->probs is free: it becomes dlogits (logits stay for the backward of the gather) */
    memset(g->probs, 0, sizeof(float) * N * K);
    parm_logsoftmax_gather_backward(g->probs, dout, g->logits, lse, g->targets, (int)N, K, -1);
    if (parm_gen_backward(g, g->probs, 2 * B)) goto done;
    if (st) *st = s;
    loss = (float)s.loss;
done:
    free(lp); free(lse); free(dout); free(pi);
    return loss;
}
