/* judge_train.c — a judge variant's trainer for the training loop (train.h):
 * examples from the variant's parm_judge_source (fresh every step, drawn from
 * the training RNG), BCE on the yes/no logit plus caption completion; periodic
 * eval on two fixed held-out sets (ground-truth renders of TEST prompts, and
 * fresh renders of train prompts; for the atom variants also the relation
 * probe of held-out triples) and optionally on a path set (generator
 * paths labeled by the grader, e.g. of TEST prompts); a fresh start or one
 * from saved judge weights (init); checkpoints carry the variant and the
 * model config, so a resume needs neither. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parm/ops.h"
#include "parm/text.h"
#include "parm/judge.h"
#include "parm/train.h"

#define NPIX (PARM_IMG * PARM_IMG)
#define EVAL_SEED_TEST 1000 /* held-out sets: fixed, independent of --seed */
#define EVAL_SEED_TRAIN 2000
#define COLUMNS "acc,test_loss,test_acc,test_auc,train_loss,train_acc,train_auc,data_loss,data_acc,data_auc,rel_auc," \
                "rel_yes_true,rel_yes_false" /* + ",ground" (the grounding CE EMA) with --ground-weight, ",rank" (the
                                        ranking loss EMA) with --rank-frac */

parm_judge_train_opts parm_judge_train_defaults(void) {
    parm_judge_train_opts o = {0};
    o.cfg = parm_judge_default_config();
    o.train = parm_train_defaults(); /* lr 1e-3 as the generator's, which trains stably in this engine */
    o.variant = "orm-zs";
    o.eval_n = 512;
    o.layout = parm_layout_canonical;
    o.zs_frac = 0.25f;
    o.word_frac = 0.5f;
    o.word_weight = 1.0f;
    o.eval_atoms = -1;
    o.ground_weight = 0.0f;
    o.rank_weight = 1.0f;
    return o;
}

/* The checkpoint must be of the same variant (shapes are checked by the
 * load); *cfg gets its model config when it records one (checkpoints from
 * before --init do not: then the options' config stands). */
static int check_resume(const char *path, const char *variant, parm_judge_config *cfg, int *has_cfg) {
    parm_st_file f;
    if (parm_st_open(&f, path)) return -1;
    const char *v = parm_st_meta(&f, "judge_variant"), *c = parm_st_meta(&f, "judge_config");
    int bad = !v || strcmp(v, variant);
    if (bad) PARM_ERR("checkpoint '%s' is of judge variant '%s', not '%s'", path, v ? v : "?", variant);
    *has_cfg = 0;
    if (!bad && c) {
        parm_judge_config k = {0};
        char tail;
        int got = sscanf(c, "%d %d %d %d %d %f %d %c", &k.L, &k.C, &k.NH, &k.F, &k.text_len, &k.pos2d, &k.ground, &tail);
        /* pos2d: checkpoints from before the 2-D code have 5; ground: those without the grounding head 6 */
        if ((got != 5 && got != 6 && got != 7) || k.ground < 0 || k.ground > 1)
            bad = PARM_ERR("checkpoint '%s': metadata judge_config '%s' is not 'L C NH F text_len [pos2d [ground]]'",
                           path, c);
        else { *cfg = k; *has_cfg = 1; }
    }
    parm_st_close(&f);
    return bad ? -1 : 0;
}

/* A content word of a tokenized caption (colour, shape, number, relation:
 * everything but the template words), chosen with rng; -1 if none. */
static int pick_content_word(const int *ids, int Tt, parm_rng *rng) {
    static const char *const filler[] = {"a", "an", "photo", "of", "and", "is", "are", "there", "the", "only"};
    int cand[64], n = 0;
    for (int t = 1; t < Tt && t < 64; t++) {
        if (ids[t] <= PARM_JUDGE_TOK_MASK) continue; /* PAD, BOS, EOS, SEP */
        const char *w = parm_text_word(ids[t]);
        int fill = 0;
        for (size_t k = 0; k < sizeof filler / sizeof *filler; k++) fill |= w && !strcmp(w, filler[k]);
        if (!fill) cand[n++] = t;
    }
    return n ? cand[parm_rng_int(rng, 0, n - 1)] : -1;
}

/* Evaluate on the path set: the variant's question(s); fills the CSV fields
 * with the first (orm-zs / orm: match, prm: step, parm: potential). */
static int eval_pathset(parm_judge *j, const parm_pathset *ps, const parm_judge_source *src, int quiet,
                        parm_judge_metrics *first) {
    static const int parm_qs[3] = {PARM_Q_POTENTIAL, PARM_Q_CLARITY, PARM_Q_MATCH};
    const int one = src->question >= 0 ? src->question : PARM_Q_MATCH;
    const int *qs = src->question >= 0 ? &one : parm_qs, nq = src->question >= 0 ? 1 : 3;
    for (int k = 0; k < nq; k++) {
        parm_judge_metrics m;
        parm_judge_bestofn bon;
        if (parm_judge_evaluate_pathset(j, ps, qs[k], &m, NULL, NULL, &bon)) return -1;
        if (k == 0) *first = m;
        if (!quiet) {
            fprintf(stderr, " path set, question %s (%s prompts, grader labels):\n", parm_judge_question_names[qs[k]],
                    ps->split ? "TEST" : "train");
            parm_judge_metrics_print(&m, stderr);
            if (qs[k] == PARM_Q_MATCH)
                fprintf(stderr, "  best-of-%d by the judge %.4f   (one path %.4f, oracle %.4f)\n", ps->paths_per_prompt,
                        bon.bestofn, bon.mean, bon.oracle);
        }
    }
    return 0;
}

typedef struct {
    const parm_judge_train_opts *o;
    const parm_judge_source *src;
    void *src_ctx;
    parm_judge j;
    int W;                      /* caption-completion rows per step (at most) */
    parm_judge_example *ex;     /* [B] */
    uint8_t *rgb;               /* [B+W,64,64,3] */
    int *q, *ids, *words;       /* [B+W], [B+W,text_len] ×2 */
    float *labels, *bce_w;      /* [B+W] */
    float *gt, *gw;             /* [B+W,64] grounding targets, [B+W] their weights (0 = none) */
    long ran;                   /* steps run in this call (the EMAs start at its first) */
    double acc_ema, word_ema, ground_ema; /* ground_ema: mean grounding CE of the rows with a target (-1: none yet) */
    double rank_ema;            /* mean ranking loss per pair (-1: none yet) */
    int *slot;                  /* [B+W] the rows' rank_slot */
    float *dextra;              /* [B+W] the ranking loss's gradient on the logits */
    parm_judge_evalset ev_test, ev_train, ev_rel; /* ev_rel: the relation probe of held-out triples (atom variants) */
    parm_pathset eval_ps;
    parm_judge_metrics mt, mr, md, mrel; /* last eval: TEST GT, train GT, path set, relation probe */
} judge_trainer;

/* Row `from` of the step's buffers moved to row `to` (to <= from). */
static void move_row(judge_trainer *t, int to, int from) {
    const int Tt = t->j.cfg.text_len;
    if (to == from) return;
    t->q[to] = t->q[from];
    t->labels[to] = t->labels[from];
    t->bce_w[to] = t->bce_w[from];
    t->gw[to] = t->gw[from];
    memmove(t->gt + (size_t)to * PARM_JUDGE_PATCHES, t->gt + (size_t)from * PARM_JUDGE_PATCHES,
            sizeof(float) * PARM_JUDGE_PATCHES);
    memmove(t->rgb + (size_t)to * NPIX * 3, t->rgb + (size_t)from * NPIX * 3, NPIX * 3);
    memmove(t->ids + to * Tt, t->ids + from * Tt, sizeof(int) * Tt);
    memmove(t->words + to * Tt, t->words + from * Tt, sizeof(int) * Tt);
}

/* The whole batch is drawn (examples, then completion rows); a shard keeps
 * its examples [lo, hi) and their completion rows, moved to the front. */
static int judge_step(void *ctx, parm_rng *rng, long step, parm_shard *sh, float *loss) {
    (void)step;
    judge_trainer *t = ctx;
    const int B = t->o->train.batch, BW = B + t->W, Tt = t->j.cfg.text_len, lo = sh->lo, hi = sh->hi, n = hi - lo;
    parm_judge_example *ex = t->ex;
    int src[BW]; /* the example a completion row copies */
    for (int b = 0; b < B; b++) ex[b].rank_slot = 0; /* sources other than orm-atoms leave it */
    if (t->src->next(t->src_ctx, rng, ex, B)) return -1;
    for (int b = 0; b < B; b++) {
        t->q[b] = ex[b].question;
        t->labels[b] = ex[b].label;
        t->gw[b] = t->o->ground_weight > 0 && ex[b].has_ground; /* scaled below, once the shard's rows are known */
        if (t->gw[b]) memcpy(t->gt + (size_t)b * PARM_JUDGE_PATCHES, ex[b].ground, sizeof ex[b].ground);
        memcpy(t->rgb + (size_t)b * NPIX * 3, ex[b].rgb, NPIX * 3);
        if (parm_text_encode(parm_judge_example_text(&ex[b]), t->ids + b * Tt, Tt) < 0) return -1;
    }
    for (int i = 0; i < BW * Tt; i++) t->words[i] = -1;
    int nb = B; /* rows in this step: B examples + completion rows */
    for (int b = 0; b < B && nb < BW; b++) {
        if (ex[b].kind != -1 || ex[b].label < 0.5f || ex[b].question != PARM_Q_MATCH) continue;
        int w = pick_content_word(t->ids + b * Tt, Tt, rng);
        if (w < 0) continue;
        t->q[nb] = PARM_Q_MATCH;
        t->labels[nb] = 1.0f;
        t->bce_w[nb] = 0.0f;
        t->gw[nb] = 0.0f;
        memcpy(t->rgb + (size_t)nb * NPIX * 3, t->rgb + (size_t)b * NPIX * 3, NPIX * 3);
        memcpy(t->ids + nb * Tt, t->ids + b * Tt, sizeof(int) * Tt);
        t->words[nb * Tt + w] = t->ids[nb * Tt + w];
        t->ids[nb * Tt + w] = PARM_JUDGE_TOK_MASK;
        src[nb++] = b;
    }
    int rows = n; /* the shard's rows: its examples, then its completion rows */
    for (int b = lo; b < hi; b++) move_row(t, b - lo, b);
    for (int r = B; r < nb; r++)
        if (src[r] >= lo && src[r] < hi) move_row(t, rows++, r);
    if (parm_judge_forward(&t->j, t->q, t->ids, t->rgb, rows, 1)) return -1;
    int correct = 0;
    for (int b = 0; b < n; b++) correct += (t->j.logits[b] >= 0) == (t->labels[b] >= 0.5f);
    float wloss = 0;
    /* BCE is averaged over all rows (completion rows weigh 0): rescale to a mean over the n examples */
    for (int b = 0; b < n; b++) t->bce_w[b] = (float)rows / n;
    /* the grounding loss likewise: (λ/n) Σ CE over the shard's examples with a target */
    for (int b = 0; b < n; b++) t->gw[b] = t->gw[b] ? t->o->ground_weight * (float)rows / n : 0.0f;
    /* ranking pairs (whole pairs within the shard): w · mean softplus(weakest rejected − weakest chosen) */
    int npairs = 0;
    float rank_loss = 0;
    if (t->o->rank_frac > 0) {
        for (int b = 0; b < rows; b++) {
            t->slot[b] = b < n ? ex[lo + b].rank_slot : 0;
            t->dextra[b] = 0;
        }
        rank_loss = parm_rank_min_forward(t->j.logits, t->slot, rows, &npairs);
        parm_rank_min_backward(t->dextra, t->o->rank_weight, t->j.logits, t->slot, rows);
    }
    parm_judge_aux aux = {.word_targets = rows > n ? t->words : NULL, .word_weight = t->o->word_weight,
                          .ground = t->o->ground_weight > 0 ? t->gt : NULL, .ground_w = t->gw,
                          .dlogit_extra = npairs ? t->dextra : NULL};
    *loss = parm_judge_loss_backward_ex(&t->j, t->labels, t->bce_w, &aux, rows) + t->o->rank_weight * rank_loss;
    wloss = aux.word_loss;
    sh->stats[0] = correct;
    sh->stats[1] = n == B ? wloss : (double)wloss * n / B;
    sh->stats[2] = aux.ground_ce;
    sh->stats[3] = aux.ground_rows;
    sh->stats[4] = (double)rank_loss * npairs;
    sh->stats[5] = npairs;
    return 0;
}

/* the accuracy and completion-loss EMAs, over the whole batch */
static void judge_shard_stats(void *ctx, const double *s) {
    judge_trainer *t = ctx;
    const double acc = s[0] / t->o->train.batch;
    t->ran++;
    t->acc_ema = t->ran == 1 ? acc : 0.98 * t->acc_ema + 0.02 * acc;
    t->word_ema = t->ran == 1 ? s[1] : 0.98 * t->word_ema + 0.02 * s[1];
    if (s[3] > 0) t->ground_ema = t->ground_ema < 0 ? s[2] / s[3] : 0.98 * t->ground_ema + 0.02 * s[2] / s[3];
    if (s[5] > 0) t->rank_ema = t->rank_ema < 0 ? s[4] / s[5] : 0.98 * t->rank_ema + 0.02 * s[4] / s[5];
}

static void judge_describe(void *ctx, char *buf, size_t n) {
    judge_trainer *t = ctx;
    int k = snprintf(buf, n, "acc %.3f  words %.3f", t->acc_ema, t->word_ema);
    if (k > 0 && (size_t)k < n && t->o->ground_weight > 0) k += snprintf(buf + k, n - k, "  ground %.3f", t->ground_ema);
    if (k > 0 && (size_t)k < n && t->o->rank_frac > 0) snprintf(buf + k, n - k, "  rank %.3f", t->rank_ema);
}

static int judge_eval(void *ctx, long step, int quiet) {
    (void)step;
    judge_trainer *t = ctx;
    if (parm_judge_evaluate(&t->j, &t->ev_test, &t->mt) || parm_judge_evaluate(&t->j, &t->ev_train, &t->mr)) return -1;
    if (t->ev_rel.n && parm_judge_evaluate(&t->j, &t->ev_rel, &t->mrel)) return -1;
    if (!quiet) {
        fprintf(stderr, " held-out TEST prompts (GT renders):\n");
        parm_judge_metrics_print(&t->mt, stderr);
        fprintf(stderr, " held-out images of train prompts:\n");
        parm_judge_metrics_print(&t->mr, stderr);
        if (t->ev_rel.n) {
            fprintf(stderr, " relation probe, held-out triples (two-object renders, one relation atom each):\n");
            parm_judge_metrics_print(&t->mrel, stderr);
        }
    }
    return t->eval_ps.n ? eval_pathset(&t->j, &t->eval_ps, t->src, quiet, &t->md) : 0;
}

static void judge_log_row(void *ctx, int evaluated, char *buf, size_t n) {
    judge_trainer *t = ctx;
    if (!evaluated) {
        int k = t->o->ground_weight > 0 ? snprintf(buf, n, "%.4f,,,,,,,,,,,,,%.4f", t->acc_ema, t->ground_ema)
                                        : snprintf(buf, n, "%.4f,,,,,,,,,,,,", t->acc_ema);
        if (k > 0 && (size_t)k < n && t->o->rank_frac > 0) snprintf(buf + k, n - k, ",%.4f", t->rank_ema);
        return;
    }
    int k = snprintf(buf, n, "%.4f,%.5f,%.4f,%.4f,%.5f,%.4f,%.4f", t->acc_ema, t->mt.loss, t->mt.acc, t->mt.auc,
                     t->mr.loss, t->mr.acc, t->mr.auc);
    if (k < 0 || (size_t)k >= n) return;
    int k2 = t->eval_ps.n ? snprintf(buf + k, n - k, ",%.5f,%.4f,%.4f", t->md.loss, t->md.acc, t->md.auc)
                          : snprintf(buf + k, n - k, ",,,");
    if (k2 < 0 || (size_t)(k += k2) >= n) return;
    if (t->ev_rel.n) /* yes-rates: on true atoms = accuracy on them; on false = 1 - accuracy */
        k2 = snprintf(buf + k, n - k, ",%.4f,%.4f,%.4f", t->mrel.auc, t->mrel.acc_pos, 1 - t->mrel.acc_neg);
    else k2 = snprintf(buf + k, n - k, ",,,");
    if (k2 < 0 || (size_t)(k += k2) >= n) return;
    if (t->o->ground_weight > 0 && (k2 = snprintf(buf + k, n - k, ",%.4f", t->ground_ema)) > 0) k += k2;
    if ((size_t)k < n && t->o->rank_frac > 0) snprintf(buf + k, n - k, ",%.4f", t->rank_ema);
}

static int judge_save(void *ctx, const char *path) { return parm_judge_save(&((judge_trainer *)ctx)->j, path, PARM_F16); }

/* The model: when resuming, the checkpoint's config (its weights replace
 * whatever starts here); else init's weights (their config wins); else fresh. */
static int judge_model(judge_trainer *t) {
    const parm_judge_train_opts *o = t->o;
    const char *resume = o->train.resume && o->train.resume[0] ? o->train.resume : NULL;
    const char *init = o->train.init && o->train.init[0] ? o->train.init : NULL;
    parm_judge_config cfg = o->cfg;
    cfg.ground = o->ground_weight > 0;
    int ckpt_cfg = 0;
    if (resume && check_resume(resume, t->src->name, &cfg, &ckpt_cfg)) return -1;
    if (ckpt_cfg && o->ground_weight > 0 && !cfg.ground)
        return PARM_ERR("checkpoint '%s' has no grounding head, so --ground-weight %g cannot resume it (start from "
                        "its weights with --init instead)", resume, o->ground_weight);
    if (init && !ckpt_cfg ? parm_judge_load(&t->j, init) : parm_judge_init(&t->j, &cfg, o->train.seed)) return -1;
    if (init && !ckpt_cfg && o->cfg.pos2d > 0 && parm_judge_set_pos2d(&t->j, o->cfg.pos2d)) return -1;
    /* an --init judge without the grounding head gets one (head.ground ~ N(0, 0.02)) */
    if (init && !ckpt_cfg && o->ground_weight > 0 && parm_judge_add_ground(&t->j, o->train.seed)) return -1;
    if (o->grow_layers && !init && !ckpt_cfg) return PARM_ERR("--grow-layers %d deepens an --init judge; none given", o->grow_layers);
    if (init && !ckpt_cfg && parm_judge_grow(&t->j, o->grow_layers, o->train.seed ^ 0x6a09e667f3bcc908ULL)) return -1;
    if (init && !o->train.quiet && !ckpt_cfg)
        fprintf(stderr, "starting from %s (variant '%s'; L %d C %d NH %d F %d text_len %d pos2d %g)\n", init,
                t->j.variant, t->j.cfg.L, t->j.cfg.C, t->j.cfg.NH, t->j.cfg.F, t->j.cfg.text_len, t->j.cfg.pos2d);
    snprintf(t->j.variant, sizeof t->j.variant, "%s", t->src->name);
    t->j.atoms = o->eval_atoms >= 0 ? o->eval_atoms : strstr(t->src->name, "atoms") ? PARM_ATOMS_PRODUCT : PARM_ATOMS_OFF;
    t->j.as_match = t->src->as_match;
    return 0;
}

int parm_judge_train(const parm_judge_train_opts *o, parm_judge_train_stats *st) {
    if (o->train.batch < 1 || o->eval_n < 2)
        return PARM_ERR("bad options: batch %d eval_n %d", o->train.batch, o->eval_n);
    judge_trainer t = {.o = o, .src = parm_judge_source_find(o->variant)};
    if (!t.src) return -1;
    if (t.src->needs_data && !(o->data && o->data[0]))
        return PARM_ERR("judge variant '%s' trains on generator paths: give --data FILE, a path set of train prompts "
                        "(make one with `parm paths --prompts train`)", t.src->name);
    if (!t.src->needs_data && o->data && o->data[0])
        return PARM_ERR("judge variant '%s' trains on ground-truth renders and reads no --data (got '%s')", t.src->name,
                        o->data);
    if (t.src->open && t.src->open(&t.src_ctx, o)) return -1;
    if (judge_model(&t)) { if (t.src->close) t.src->close(t.src_ctx); return -1; }
    const int B = o->train.batch;
    /* caption-completion rows: copies of matching examples with one content word masked */
    t.W = (int)lroundf(o->word_frac * B);
    const int BW = B + t.W, Tt = t.j.cfg.text_len;
    int rc = -1;
    t.ex = parm_malloc(sizeof *t.ex * B);
    t.rgb = parm_malloc((size_t)BW * NPIX * 3);
    t.q = parm_malloc(sizeof(int) * BW);
    t.ids = parm_malloc(sizeof(int) * BW * Tt);
    t.words = parm_malloc(sizeof(int) * BW * Tt);
    t.labels = parm_malloc(sizeof(float) * BW);
    t.bce_w = parm_malloc(sizeof(float) * BW);
    t.gt = parm_malloc(sizeof(float) * BW * PARM_JUDGE_PATCHES);
    t.gw = parm_malloc(sizeof(float) * BW);
    t.slot = parm_malloc(sizeof(int) * BW);
    t.dextra = parm_malloc(sizeof(float) * BW);
    t.ground_ema = t.rank_ema = -1;
    if (!t.ex || !t.rgb || !t.q || !t.ids || !t.words || !t.labels || !t.bce_w || !t.gt || !t.gw || !t.slot || !t.dextra ||
        parm_judge_alloc(&t.j, BW))
        goto done;
    if (o->eval_data && o->eval_data[0] && parm_pathset_load(&t.eval_ps, o->eval_data)) goto done;
    if (o->train.eval_every > 0 && (parm_judge_evalset_gt(&t.ev_test, 1, o->eval_n, EVAL_SEED_TEST, &o->layout) ||
                                    parm_judge_evalset_gt(&t.ev_train, 0, o->eval_n, EVAL_SEED_TRAIN, &o->layout)))
        goto done;
    if (o->train.eval_every > 0 && strstr(t.src->name, "atoms") &&
        parm_judge_evalset_relations(&t.ev_rel, 1, o->eval_n, EVAL_SEED_TEST, &o->layout))
        goto done;
    char label[64], cfg_meta[128];
    snprintf(label, sizeof label, "train judge %s", t.src->name);
    snprintf(cfg_meta, sizeof cfg_meta, "%d %d %d %d %d %.9g", t.j.cfg.L, t.j.cfg.C, t.j.cfg.NH, t.j.cfg.F,
             t.j.cfg.text_len, t.j.cfg.pos2d);
    if (t.j.cfg.ground) /* only then, so checkpoints without the head keep their metadata */
        snprintf(cfg_meta + strlen(cfg_meta), sizeof cfg_meta - strlen(cfg_meta), " 1");
    const char *const ckpt_meta[] = {"judge_variant", t.src->name, "judge_config", cfg_meta};
    char columns[sizeof COLUMNS + 16];
    snprintf(columns, sizeof columns, "%s%s%s", COLUMNS, o->ground_weight > 0 ? ",ground" : "", o->rank_frac > 0 ? ",rank" : "");
    parm_trainer tr = {.label = label, .unit = "examples", .params = &t.j.p, .ctx = &t, .ckpt_meta = ckpt_meta,
                       .nmeta = 2, .log_columns = columns,
                       .step = judge_step, .shard_stats = judge_shard_stats, .describe = judge_describe, .evaluate = judge_eval,
                       .log_row = judge_log_row, .save = judge_save};
    parm_train_stats ts;
    rc = parm_train(&o->train, &tr, &ts);
    if (!rc && st) *st = (parm_judge_train_stats){ts.loss_first, ts.loss_last, ts.samples, ts.seconds};
done:
    free(t.ex); free(t.rgb); free(t.q); free(t.ids); free(t.words); free(t.labels); free(t.bce_w); free(t.gt); free(t.gw);
    free(t.slot); free(t.dextra);
    parm_judge_evalset_free(&t.ev_test);
    parm_judge_evalset_free(&t.ev_train);
    parm_judge_evalset_free(&t.ev_rel);
    parm_pathset_free(&t.eval_ps);
    parm_judge_free(&t.j);
    if (t.src->close) t.src->close(t.src_ctx);
    return rc;
}
