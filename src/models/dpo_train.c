/* dpo_train.c — the DPO trainer (parm/dpo.h) for the training loop
 * (train.h): ctx = the policy being trained, the frozen reference, the VQ
 * (eval only) and the preference pairs. A step takes the next B pairs of a
 * per-epoch shuffle (a function of the seed and the step, so a resumed run
 * sees the same pairs), draws one MaskGIT-ratio mask per pair from the loop's
 * rng (shared by chosen and rejected), scores both grids under the reference
 * (forward only) and the policy (one batch of 2B), and backpropagates the
 * DPO loss. The CSV logs the DPO and SFT terms, the implicit reward accuracy
 * and margin, and the likelihood drift from the reference (mean π − ρ on the
 * chosen and on the rejected grids), averaged since the previous row. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/dpo.h"
#include "parm/sample.h"

#define NTOK PARM_VQ_TOKENS

parm_dpo_train_opts parm_dpo_train_defaults(void) {
    parm_dpo_train_opts o = {0};
    o.train = parm_train_defaults();
    o.train.steps = 0;       /* one epoch */
    o.train.batch = 8;       /* pairs */
    o.train.lr = 1e-5f;      /* the paper's code */
    o.train.lr_min = 1e-6f;
    o.train.warmup = 20;
    o.train.weight_decay = 0.0f;
    o.train.ckpt_every = 100;
    o.train.eval_every = 0;
    o.train.log_every = 10;
    o.beta = 0.1f;
    o.sft = 0.0f;
    o.epochs = 1.0f;
    o.eval_prompts = 48;
    return o;
}

typedef struct {
    const parm_dpo_train_opts *o;
    parm_gen policy, ref;
    parm_vq vq;
    parm_prefset set;
    parm_pref_pair *pairs;
    int npairs;
    int *perm;            /* [npairs] the current epoch's order */
    long perm_epoch;      /* which epoch perm holds (-1 none) */
    int *text, *input, *targets; /* [2B,text_len], [2B,256] ×2 */
    float *ref_logp;      /* [2B] */
    parm_dpo_stats sum;   /* summed since the last CSV row */
    long nsum;
    double eval_acc, eval_fill;
    parm_dpo_stats last;  /* the means of the last CSV row */
} dpo_trainer;

/* the order of epoch e: a Fisher-Yates shuffle from (seed, e) */
static void epoch_perm(dpo_trainer *t, long e) {
    parm_rng r;
    parm_rng_seed(&r, t->o->train.seed * 1000003u + (uint64_t)e, PARM_STREAM_TRAIN);
    for (int i = 0; i < t->npairs; i++) t->perm[i] = i;
    for (int i = t->npairs - 1; i > 0; i--) {
        int j = parm_rng_int(&r, 0, i), tmp = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = tmp;
    }
    t->perm_epoch = e;
}

/* every pair's mask is drawn; the shard's pairs [lo, hi) are rows 0..n-1 (chosen) and n..2n-1 (rejected) */
static int dpo_step(void *ctx, parm_rng *rng, long step, parm_shard *sh, float *loss) {
    dpo_trainer *t = ctx;
    const int B = t->o->train.batch, Tt = t->policy.cfg.text_len, K = t->policy.cfg.ncodes, n = sh->hi - sh->lo;
    for (int b = 0; b < B; b++) {
        long k = step * B + b, e = k / t->npairs;
        if (e != t->perm_epoch) epoch_perm(t, e);
        const parm_pref_pair *pp = &t->pairs[t->perm[k % t->npairs]];
        /* one MaskGIT-ratio mask per pair (gen_train.c's draw) */
        int perm[NTOK], nm = parm_gen_draw_mask(rng, perm), r = b - sh->lo;
        if (b < sh->lo || b >= sh->hi) continue;
        if (parm_text_encode(t->set.prompt[pp->chosen].text, t->text + r * Tt, Tt) < 0) return -1;
        memcpy(t->text + (n + r) * Tt, t->text + r * Tt, sizeof(int) * Tt);
        for (int side = 0; side < 2; side++) {
            const int row = side ? n + r : r, path = side ? pp->rejected : pp->chosen;
            const uint16_t *tk = t->set.tokens + (size_t)path * NTOK;
            int *in = t->input + row * NTOK, *tg = t->targets + row * NTOK;
            for (int i = 0; i < NTOK; i++) { in[i] = tk[i]; tg[i] = -1; }
            for (int i = 0; i < nm; i++) { in[perm[i]] = K; tg[perm[i]] = tk[perm[i]]; }
        }
    }
    if (parm_gen_forward(&t->ref, t->text, t->input, 2 * n, 0) ||
        parm_gen_seq_logp(&t->ref, t->targets, 2 * n, t->ref_logp) ||
        parm_gen_forward(&t->policy, t->text, t->input, 2 * n, 1))
        return -1;
    parm_dpo_stats st;
    *loss = parm_gen_dpo_loss_backward(&t->policy, t->targets, t->ref_logp, n, t->o->beta, t->o->sft, &st);
    if (isnan(*loss)) return -1;
    /* the batch means, as the shards' sums weighted by their share of the batch */
    const double f = (double)n / B, v[6] = {st.dpo, st.sft, st.acc, st.margin, st.drift_c, st.drift_r};
    for (int i = 0; i < 6; i++) sh->stats[i] = n == B ? v[i] : f * v[i];
    return 0;
}

static void dpo_shard_stats(void *ctx, const double *s) {
    dpo_trainer *t = ctx;
    t->sum.dpo += s[0]; t->sum.sft += s[1]; t->sum.acc += s[2]; t->sum.margin += s[3];
    t->sum.drift_c += s[4]; t->sum.drift_r += s[5];
    t->nsum++;
}

static void dpo_describe(void *ctx, char *buf, size_t n) {
    dpo_trainer *t = ctx;
    const double k = t->nsum ? (double)t->nsum : 1.0;
    snprintf(buf, n, "acc %.2f drift %+.1f/%+.1f", t->sum.acc / k, t->sum.drift_c / k, t->sum.drift_r / k);
}

static int dpo_eval(void *ctx, long step, int quiet) {
    (void)step;
    dpo_trainer *t = ctx;
    parm_sample_opts so = parm_sample_defaults();
    if (parm_gen_evaluate(&t->policy, &t->vq, t->o->eval_prompts, 777, &so, &t->eval_acc, &t->eval_fill, NULL)) return -1;
    if (!quiet)
        fprintf(stderr, " grader %.3f on %d train prompts, non-background pixels %.3f\n", t->eval_acc,
                t->o->eval_prompts, t->eval_fill);
    /* the sampler's forwards overwrote the policy's activations; the next step recomputes them (buffers only grow) */
    return parm_gen_alloc(&t->policy, 2 * t->o->train.batch);
}

static void dpo_log_row(void *ctx, int evaluated, char *buf, size_t n) {
    dpo_trainer *t = ctx;
    const double k = t->nsum ? (double)t->nsum : 1.0;
    parm_dpo_stats m = {.dpo = t->sum.dpo / k, .sft = t->sum.sft / k, .acc = t->sum.acc / k,
                        .margin = t->sum.margin / k, .drift_c = t->sum.drift_c / k, .drift_r = t->sum.drift_r / k};
    snprintf(buf, n, "%.5f,%.5f,%.4f,%.5f,%.4f,%.4f,%.4f", m.dpo, m.sft, m.acc, m.margin, m.drift_c, m.drift_r,
             evaluated ? t->eval_acc : -1.0);
    t->last = m;
    memset(&t->sum, 0, sizeof t->sum);
    t->nsum = 0;
}

static int dpo_save(void *ctx, const char *path) {
    return parm_gen_save(&((dpo_trainer *)ctx)->policy, path, PARM_F16);
}

/* VQ, policy (init), reference (ref or init), the set and its pairs; every pair of files checked against the others */
static int dpo_models(dpo_trainer *t) {
    const parm_dpo_train_opts *o = t->o;
    const char *init = o->train.init, *ref = o->ref && o->ref[0] ? o->ref : init;
    if (!init || !init[0]) return PARM_ERR("train dpo: no --init generator (the model DPO starts from)");
    if (!o->data || !o->data[0]) return PARM_ERR("train dpo: no --data preference set (make one with `parm pairs`)");
    if (!o->vq_path || !o->vq_path[0]) return PARM_ERR("train dpo: no VQ tokenizer path given");
    if (!(o->beta > 0) || !(o->sft >= 0) || !(o->epochs > 0))
        return PARM_ERR("train dpo: beta %g must be > 0, sft %g >= 0, epochs %g > 0", o->beta, o->sft, o->epochs);
    if (parm_vq_load(&t->vq, o->vq_path)) return -1;
    if (parm_gen_load(&t->policy, init) || parm_gen_check_vq(&t->policy, &t->vq, init, o->vq_path)) return -1;
    if (parm_gen_load(&t->ref, ref) || parm_gen_check_vq(&t->ref, &t->vq, ref, o->vq_path)) return -1;
    if (memcmp(&t->policy.cfg, &t->ref.cfg, sizeof t->ref.cfg))
        return PARM_ERR("train dpo: reference '%s' and policy '%s' have different model sizes", ref, init);
    if (parm_prefset_load(&t->set, o->data)) return -1;
    if (t->set.ncodes != t->policy.cfg.ncodes || t->set.vq_fingerprint != parm_vq_fingerprint(&t->vq))
        return PARM_ERR("train dpo: '%s' holds tokens of another tokenizer (%d codes, fingerprint %016llx; '%s' has %d, "
                        "%016llx)", o->data, t->set.ncodes, (unsigned long long)t->set.vq_fingerprint, o->vq_path,
                        t->vq.cfg.ncodes, (unsigned long long)parm_vq_fingerprint(&t->vq));
    t->npairs = parm_prefset_pairs(&t->set, o->max_pairs_per_prompt, &t->pairs);
    if (t->npairs < 0) return -1;
    if (t->npairs == 0)
        return PARM_ERR("train dpo: '%s' has no (correct, incorrect) pair of one prompt (%d prompts x %d paths)",
                        o->data, t->set.n_prompts, t->set.paths_per_prompt);
    t->policy.vq_fingerprint = parm_vq_fingerprint(&t->vq);
    return 0;
}

int parm_dpo_train(const parm_dpo_train_opts *o, parm_dpo_result *res) {
    if (o->train.batch < 1) return PARM_ERR("bad training options: batch %d", o->train.batch);
    dpo_trainer t = {.o = o, .perm_epoch = -1};
    const int B = o->train.batch;
    int rc = -1;
    if (dpo_models(&t)) goto done;
    parm_dpo_train_opts run = *o; /* steps 0 → the epochs' worth */
    if (run.train.steps <= 0) run.train.steps = (long)ceil(o->epochs * t.npairs / B);
    t.o = &run;
    const int Tt = t.policy.cfg.text_len;
    t.perm = parm_malloc(sizeof(int) * t.npairs);
    t.text = parm_malloc(sizeof(int) * 2 * B * Tt);
    t.input = parm_malloc(sizeof(int) * 2 * B * NTOK);
    t.targets = parm_malloc(sizeof(int) * 2 * B * NTOK);
    t.ref_logp = parm_malloc(sizeof(float) * 2 * B);
    if (!t.perm || !t.text || !t.input || !t.targets || !t.ref_logp || parm_gen_alloc(&t.policy, 2 * B) ||
        parm_gen_alloc(&t.ref, 2 * B))
        goto done;
    if (!run.train.quiet)
        fprintf(stderr, "train dpo: %d pairs from %d prompts x %d paths; %ld steps of %d pairs (%.2f epochs); beta %g "
                "sft %g lr %g\n", t.npairs, t.set.n_prompts, t.set.paths_per_prompt, run.train.steps, B,
                (double)run.train.steps * B / t.npairs, o->beta, o->sft, o->train.lr);
    char beta[32], sft[32];
    snprintf(beta, sizeof beta, "%g", o->beta);
    snprintf(sft, sizeof sft, "%g", o->sft);
    const char *meta[] = {"dpo_beta", beta, "dpo_sft", sft};
    parm_trainer tr = {.label = "train dpo", .unit = "pairs", .params = &t.policy.p, .ctx = &t, .ckpt_meta = meta,
                       .nmeta = 2, .log_columns = "dpo,sft,reward_acc,margin,drift_chosen,drift_rejected,eval_acc",
                       .step = dpo_step, .shard_stats = dpo_shard_stats, .describe = dpo_describe, .evaluate = dpo_eval, .log_row = dpo_log_row,
                       .save = dpo_save};
    parm_train_stats st;
    rc = parm_train(&run.train, &tr, &st);
    if (!rc && res) {
        res->pairs = t.npairs;
        res->steps = st.step;
        res->seconds = st.seconds;
        res->loss_first = st.loss_first;
        res->loss_last = st.loss_last;
        res->last_acc = t.last.acc;
        res->last_drift_c = t.last.drift_c;
        res->last_drift_r = t.last.drift_r;
    }
done:
    free(t.perm); free(t.text); free(t.input); free(t.targets); free(t.ref_logp); free(t.pairs);
    parm_prefset_free(&t.set);
    parm_gen_free(&t.policy);
    parm_gen_free(&t.ref);
    parm_vq_free(&t.vq);
    return rc;
}
