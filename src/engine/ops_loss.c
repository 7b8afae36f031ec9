/* ops_loss.c — losses on logits.
 *
 *   crossentropy:      logits [N,V], targets [N], weights [N]|NULL → scalar
 *                      Σ_kept w_i·(−log softmax(logits_i)[t_i]) / Σ_kept w_i; probs [N,V] saved
 *   logsoftmax_gather: logits [N,V], targets [N] → out [N] = log softmax(logits_i)[t_i]; lse [N] saved
 *   bce_logits:        x [N], y [N], w [N]|NULL → (1/N)·Σ w_i·BCE(σ(x_i), y_i)
 *
 * Rows with target == ignore_index are skipped (for crossentropy their probs
 * row is not written). Each row of logits is read in one max pass and one
 * exp+sum pass (which writes the probs); per-row losses are summed serially in
 * double, so results do not depend on the thread count. */
#include <math.h>

#include "ops_internal.h"
#include "parm/base.h"
#include "parm/ops.h"

static inline float row_max(const float *x, int V) {
    float mx = x[0];
#pragma omp simd reduction(max : mx)
    for (int v = 1; v < V; v++) mx = x[v] > mx ? x[v] : mx;
    return mx;
}

float parm_crossentropy_forward(float *probs, const float *logits, const int *targets, const float *weights, int N, int V,
                           int ignore_index) {
    float *rl = parm_scratch(OPS_SCRATCH_A, (size_t)N); /* per-row weighted loss */
    if (!rl) {
        PARM_ERR("cross-entropy: out of memory for %d row losses", N);
        return NAN;
    }
#pragma omp parallel for if ((long)N * V > 32768)
    for (int i = 0; i < N; i++) {
        int t = targets[i];
        if (t == ignore_index) {
            rl[i] = 0.0f;
            continue;
        }
        const float *x = logits + (size_t)i * V;
        float *p = probs + (size_t)i * V;
        float mx = row_max(x, V), sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int v = 0; v < V; v++) {
            float e = parm_expf(x[v] - mx);
            p[v] = e;
            sum += e;
        }
        float inv = 1.0f / sum;
        for (int v = 0; v < V; v++) p[v] *= inv;
        rl[i] = (weights ? weights[i] : 1.0f) * -(x[t] - mx - logf(sum));
    }
    double L = 0.0, W = 0.0;
    for (int i = 0; i < N; i++) {
        if (targets[i] == ignore_index) continue;
        L += rl[i];
        W += weights ? weights[i] : 1.0f;
    }
    return W != 0.0 ? (float)(L / W) : 0.0f;
}

void parm_crossentropy_backward(float *dlogits, float dloss, const float *probs, const int *targets, const float *weights,
                           int N, int V, int ignore_index) {
    if (!dlogits) return;
    double W = 0.0;
    for (int i = 0; i < N; i++)
        if (targets[i] != ignore_index) W += weights ? weights[i] : 1.0f;
    if (W == 0.0) return;
    float invW = (float)(1.0 / W);
#pragma omp parallel for if ((long)N * V > 32768)
    for (int i = 0; i < N; i++) {
        int t = targets[i];
        if (t == ignore_index) continue;
        float c = dloss * (weights ? weights[i] : 1.0f) * invW;
        const float *p = probs + (size_t)i * V;
        float *d = dlogits + (size_t)i * V;
        for (int v = 0; v < V; v++) d[v] += c * p[v];
        d[t] -= c;
    }
}

void parm_logsoftmax_gather_forward(float *out, float *lse, const float *logits, const int *targets, int N, int V,
                               int ignore_index) {
#pragma omp parallel for if ((long)N * V > 32768)
    for (int i = 0; i < N; i++) {
        int t = targets[i];
        if (t == ignore_index) {
            out[i] = 0.0f;
            if (lse) lse[i] = 0.0f;
            continue;
        }
        const float *x = logits + (size_t)i * V;
        float mx = row_max(x, V), sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int v = 0; v < V; v++) sum += parm_expf(x[v] - mx);
        float l = mx + logf(sum);
        out[i] = x[t] - l;
        if (lse) lse[i] = l;
    }
}

void parm_logsoftmax_gather_backward(float *dlogits, const float *dout, const float *logits, const float *lse,
                                const int *targets, int N, int V, int ignore_index) {
    if (!dlogits) return;
#pragma omp parallel for if ((long)N * V > 32768)
    for (int i = 0; i < N; i++) {
        int t = targets[i];
        if (t == ignore_index) continue;
        const float *x = logits + (size_t)i * V;
        float *d = dlogits + (size_t)i * V;
        float g = dout[i], l = lse[i];
        for (int v = 0; v < V; v++) d[v] -= g * parm_expf(x[v] - l);
        d[t] += g;
    }
}

/* BCE(σ(x), y) = max(x,0) − x·y + log(1 + e^−|x|) */
float parm_bce_logits_forward(const float *x, const float *y, const float *w, int N) {
    double L = 0.0;
    for (int i = 0; i < N; i++) {
        double xi = x[i];
        double l = (xi > 0 ? xi : 0) - xi * y[i] + log1p(exp(-fabs(xi)));
        L += (w ? w[i] : 1.0f) * l;
    }
    return N > 0 ? (float)(L / N) : 0.0f;
}

void parm_bce_logits_backward(float *dx, float dloss, const float *x, const float *y, const float *w, int N) {
    if (!dx || N <= 0) return;
    float c = dloss / N;
    for (int i = 0; i < N; i++) {
        float s = 1.0f / (1.0f + expf(-x[i]));
        dx[i] += c * (w ? w[i] : 1.0f) * (s - y[i]);
    }
}

/* argmin row of pair p's side s (-1: the side has no row) */
static int rank_side_min(const float *x, const int *slot, int N, int p, int s) {
    int arg = -1;
    for (int i = 0; i < N; i++)
        if (slot[i] == 1 + 2 * p + s && (arg < 0 || x[i] < x[arg])) arg = i;
    return arg;
}

static int rank_max_pair(const int *slot, int N) {
    int P = 0;
    for (int i = 0; i < N; i++)
        if (slot[i] > 0 && (slot[i] - 1) / 2 + 1 > P) P = (slot[i] - 1) / 2 + 1;
    return P;
}

float parm_rank_min_forward(const float *x, const int *slot, int N, int *npairs) {
    double L = 0;
    int n = 0;
    for (int p = 0, P = rank_max_pair(slot, N); p < P; p++) {
        int a = rank_side_min(x, slot, N, p, 0), b = rank_side_min(x, slot, N, p, 1);
        if (a < 0 || b < 0) continue;
        double z = (double)x[b] - x[a]; /* softplus(z), stable */
        L += (z > 0 ? z : 0) + log1p(exp(-fabs(z)));
        n++;
    }
    if (npairs) *npairs = n;
    return n ? (float)(L / n) : 0.0f;
}

void parm_rank_min_backward(float *dx, float dloss, const float *x, const int *slot, int N) {
    int n, P = rank_max_pair(slot, N);
    parm_rank_min_forward(x, slot, N, &n);
    if (!dx || !n) return;
    for (int p = 0; p < P; p++) {
        int a = rank_side_min(x, slot, N, p, 0), b = rank_side_min(x, slot, N, p, 1);
        if (a < 0 || b < 0) continue;
        float g = dloss / n / (1.0f + expf(-(x[b] - x[a]))); /* σ(m_1 − m_0) / n */
        dx[b] += g;
        dx[a] -= g;
    }
}
