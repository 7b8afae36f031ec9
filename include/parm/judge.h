/* parm/judge.h — the judge: one small vision-language transformer that answers
 * yes/no questions about (prompt, image) with a probability — the role
 * LLaVA-OneVision plays in the paper (ORM, PRM, PARM clarity and potential).
 *
 * Sequence (T = 1 + text_len + 64 positions), full bidirectional attention
 * except that padding text keys are masked:
 *   [Q]      one question token: emb.question[q] (q = PARM_Q_*)
 *   text     [BOS] w1 … wn [PAD]…  (parm_text_encode, the generator's vocabulary)
 *   image    64 patches of 8×8 pixels (patch p = py·8+px covers pixels
 *            y = 8py..8py+7, x = 8px..8px+7); each pixel becomes its palette
 *            class (parm_pixel_class: 0 background, 1..10 colours) and the
 *            patch embedding is a linear map of the one-hot [8·8·11] patch —
 *            computed as Σ over its 64 pixels k = ky·8+kx of
 *            emb.patch[k·11 + class] (a gather-sum, exact and ~10× cheaper
 *            than the dense matmul). The world's images (and the VQ's decoded
 *            step images) are flat palette colours, so the class map loses
 *            nothing the grader can see.
 *   every position adds a learned emb.pos[t].
 * Answer: logit = head · LN_f(h_Q) + b, the final hidden state of the
 * question token; P(yes) = σ(logit). Training: BCE with logits.
 * Grounding (optional, head.ground; "Grounding" below): every patch's final
 * state also gives a grounding logit; trained to point at the object an
 * object question names, it answers relation questions geometrically
 * (soft-argmax centroids of the two objects and the grader's rule), which
 * the yes/no head never learned (docs/RESULTS.md, phases 2 and 3).
 *
 * Why one head + question tokens (not one head per question): the paper asks
 * one VLM several questions in words and reads its "yes" probability; here the
 * question is a token of the input and the yes/no readout is shared, so every
 * question reuses the same image-text matching features and a variant is just
 * different training data (a parm_judge_source). Each variant ships as its own
 * weights file (the CLI's judge_<variant>.safetensors), so fine-tuning one
 * never disturbs another.
 *
 * Weights: safetensors, config in metadata (model "parm-judge"). *
 * Thread safety: an instance owns its activation buffers, so one thread at a
 * time may use it (forward, backward, sampling; the calls parallelize
 * internally with OpenMP). Separate instances are independent: libparm has
 * no mutable global state besides read-only tables built once
 * (pthread_once), per-thread error messages and per-thread scratch. */
#ifndef PARM_JUDGE_H
#define PARM_JUDGE_H

#include <stdint.h>

#include "parm/nn.h"
#include "parm/pathset.h"
#include "parm/reflect.h"
#include "parm/train.h"
#include "parm/transformer.h"
#include "parm/world.h"

/* ---- questions ---- */
enum {
    PARM_Q_MATCH = 0,     /* ORM: does this image match the prompt? */
    PARM_Q_CLARITY = 1,   /* PARM: is this step clear enough to judge? */
    PARM_Q_POTENTIAL = 2, /* PARM: can this step still reach a matching image? */
    PARM_Q_STEP = 3,      /* PRM: is this step good (per-step score)? */
    PARM_JUDGE_NQ = 4
};
extern const char *const parm_judge_question_names[PARM_JUDGE_NQ]; /* "match", "clarity", "potential", "step" */
int parm_judge_question_index(const char *name);                  /* -1 if unknown */

#define PARM_JUDGE_PATCH 8                            /* patch side in pixels */
#define PARM_JUDGE_PATCHES 64                         /* (64/8)² */
#define PARM_JUDGE_CLASSES 11                         /* background + 10 palette colours */
#define PARM_JUDGE_PATCH_IN (PARM_JUDGE_PATCH * PARM_JUDGE_PATCH * PARM_JUDGE_CLASSES) /* 704 */

typedef struct {
    int L, C, NH, F;  /* transformer */
    int text_len;     /* text positions incl. BOS */
    float pos2d;      /* norm of the fixed 2-D position code added to every patch token (0 = none; see
                         parm_judge_pos2d) */
    int ground;       /* 1: the grounding head head.ground [1,C] exists (see "Grounding" below); 0: none */
} parm_judge_config;
parm_judge_config parm_judge_default_config(void); /* L 4, C 192, NH 6, F 768, text_len 16 */

typedef struct {
    parm_judge_config cfg;
    char variant[32];      /* what it was trained as ("orm-zs", …); "" if unknown */
    parm_slab p;
    parm_transformer tf;
    int q_emb, tok_emb, patch_emb, pos_emb, head_w, head_b; /* view indices */
    int ground_w;          /* view index of head.ground [1,C] (cfg.ground), else -1 */
    float *pos2d;          /* [64,C] the fixed 2-D position code (cfg.pos2d > 0), else NULL */
    int maxB, T;
    /* buffers for up to maxB sequences */
    float *x, *dx;         /* [B,T,C]; dx holds dx then dy: [2,B,T,C] */
    uint8_t *mask;         /* [B,T,T] */
    int *question;         /* [B] */
    int *text_ids;         /* [B,text_len] */
    uint16_t *pix_rows;    /* [B,64,64] row of emb.patch per (patch, pixel k) */
    float *hid, *dhid;     /* [B,C] final hidden state of the question token */
    float *logits, *dlogits; /* [B] */
    float *glog;           /* [B,64] the last forward's grounding logits g[b,p] (cfg.ground), else unused */
    long forwards;         /* sequences run through the transformer so far (every parm_judge_forward adds B) */
    const float *y;        /* [B,T,C] the last forward's final hidden states (owned by tf) */
    int atoms;             /* how a MATCH question about a prompt is answered (parm_judge_prob, the evaluations):
                              PARM_ATOMS_OFF (default) the prompt's text as is; PARM_ATOMS_PRODUCT / PARM_ATOMS_MIN
                              its atoms (world.h) asked one by one, their P(yes) multiplied / the least of them;
                              PARM_ATOMS_PROMPT_*: the same, each atom asked as its grammar prompt
                              (parm_atom_prompt: "a photo of a red star", the captions an orm-zs judge reads) */
    int tta;               /* test-time augmentation of parm_judge_prob: 0 or 1 = off; K in 2..PARM_JUDGE_MAX_TTA:
                              the logit is the mean over K fixed views of the (image, prompt) pair changed together
                              (parm_judge_augment: views 1-3 permute the palette, 4 mirrors left-right, 5 mirrors
                              and permutes, 6-7 the same with up-down; parm_judge_tta_view). A runtime setting, not
                              saved; measured in docs/RESULTS.md (phase 6): palette views help a little, mirrors hurt. */
    int as_match;          /* bit (1 << q): question q is answered as MATCH of the image it is asked of (scored by
                              `atoms`), not by its own question token; 0 (default): none. POTENTIAL (parm-atoms):
                              a clear step reads as the final image, so "will this path end correct" is "does this
                              image match"; STEP (prm-atoms): a step's label is the grader on the step image, i.e.
                              its match — an atoms judge answers both for unseen combinations */
} parm_judge;
/* The question actually asked of the judge for question q (j->as_match). */
int parm_judge_asked(const parm_judge *j, int q);
/* "none" | a comma list of "potential", "step" -> the as_match mask; -1 (error set) if not one of those. */
int parm_judge_as_match_parse(const char *s);
#define PARM_JUDGE_AS_MATCH_LIST "none, potential, step, potential,step"
enum { PARM_ATOMS_OFF = 0, PARM_ATOMS_PRODUCT = 1, PARM_ATOMS_MIN = 2, PARM_ATOMS_PROMPT_PRODUCT = 3,
       PARM_ATOMS_PROMPT_MIN = 4, PARM_ATOMS_OBJECTS_PRODUCT = 5, PARM_ATOMS_OBJECTS_MIN = 6, PARM_NATOMS_RULES = 7 };
/* "off", "product", "min", "prompt-product", "prompt-min", "objects-product", "objects-min"; objects-*: the
 * product / min over the object and count atoms only, relation atoms left out (for a judge that cannot read
 * relations: its relation answers are noise, docs/RESULTS.md phase 2) */
extern const char *const parm_atoms_rule_names[PARM_NATOMS_RULES];
#define PARM_ATOMS_RULES_LIST "off, product, min, prompt-product, prompt-min, objects-product, objects-min"
int parm_atoms_rule_index(const char *name);                       /* -1 if unknown */

int parm_judge_init(parm_judge *j, const parm_judge_config *cfg, uint64_t seed);
/* The fixed 2-D position code (no weights): patch p = (px, py) gets
 * f_k(px) on channels c ≡ k (mod 14) for k < 7 and f_(k-7)(py) for 7 <= k < 14,
 * f_k(u) = cos(π (k+1) (u + ½) / 8) (the 8-point DCT without its constant),
 * the sign alternating every 14 channels (so the code has ~zero mean over
 * channels, which LayerNorm would remove), scaled to norm `norm` per patch.
 * Why: a patch token is the sum of its 64 pixels' rows (norm ~10-20 once
 * trained) while the learned emb.pos rows stay ~0.5 — after LayerNorm a
 * patch barely knows where it is, and relations ("left of") are not learned
 * (docs/RESULTS.md, phase 2). Sets j->cfg.pos2d; norm 0 removes it. 0 / -1. */
int parm_judge_set_pos2d(parm_judge *j, float norm);
int parm_judge_alloc(parm_judge *j, int maxB);   /* buffers for batches up to maxB */
void parm_judge_free(parm_judge *j);
/* Load sets j->atoms from the file's "atoms" key (written by save when
 * j->atoms is set: the rule the judge was evaluated with in training), else
 * PARM_ATOMS_MIN for a variant named *atoms* (atoms, orm-atoms), else off — so
 * `parm bench --method orm --judge W` scores an atoms judge by its atoms;
 * and j->as_match from the "as_match" key (parm_judge_as_match_parse;
 * written when not 0; absent = 0). */
int parm_judge_load(parm_judge *j, const char *path);
int parm_judge_save(const parm_judge *j, const char *path, parm_dtype dtype);

/* Forward for B sequences: question [B] (PARM_Q_*), text_ids [B,text_len]
 * (BOS…PAD, from parm_text_encode), rgb [B,64,64,3]. Fills j->logits [B].
 * train = 1 keeps activations for parm_judge_loss_backward. */
int parm_judge_forward(parm_judge *j, const int *question, const int *text_ids, const uint8_t *rgb, int B, int train);
/* loss = (1/B) Σ_b w_b·BCE(σ(logit_b), label_b) (weights may be NULL = 1);
 * then the full backward, ACCUMULATING into j->p.g. Returns the loss (NAN on error). */
float parm_judge_loss_backward(parm_judge *j, const float *labels, const float *weights, int B);

/* Caption completion, the judge's auxiliary loss (LLaVA's caption alignment
 * in miniature): a matching caption with one content word replaced by
 * PARM_JUDGE_TOK_MASK; the word is predicted from that text position's final
 * hidden state through the transposed text embedding (tied, no new weights):
 * logits[v] = y[b, 1+t] · emb.text[v]. Its 84-way error signal teaches the
 * word-to-patch binding that the one-bit yes/no loss alone learns very slowly
 * (docs/RESULTS.md). word_targets [B,text_len]: the hidden word id at masked
 * positions, -1 elsewhere (NULL = none). Total loss = BCE (weights: per-example
 * BCE weights, NULL = 1; 0 for completion-only examples) + word_weight ·
 * mean CE over masked words; returns the BCE part, *word_loss the CE part.
 * The full backward ACCUMULATES into j->p.g. */
#define PARM_JUDGE_TOK_MASK 3 /* the text vocabulary's SEP token, which no prompt contains */
float parm_judge_loss_backward_aux(parm_judge *j, const float *labels, const float *weights, const int *word_targets,
                                   float word_weight, int B, float *word_loss);

/* ---- Grounding (docs/RESULTS.md, phase 3) ----
 * A judge with cfg.ground has one more parameter row, head.ground w [1,C]:
 * per patch p (the 8×8 grid above, p = row·8 + col) a grounding logit
 *   g[b,p] = y[b, 1+text_len+p] · w      (y: the final hidden states, after LN_f)
 * computed by every forward into j->glog. Training (optional loss): for an
 * example whose question names one object, a target distribution t[64]
 * over patches (the share of the object's rendered pixels in each patch)
 * and L_g = −Σ_p t_p · log softmax(g)_p. Inference: a relation atom
 * ("is the star left of the circle", question MATCH) is answered by a fixed
 * geometric readout instead of its own forward — both objects grounded by
 * running the judge on their object atoms' texts ("is there a star", "is
 * there a circle"), soft masks m = softmax(g), centroids c = Σ_p m_p ·
 * (8·col + 4, 8·row + 4) in pixels (y grows downward), r = c_A − c_B, and
 * the grader's rule (DESIGN §2, parm_relations): per axis the dead zone
 * m_k = sign(r_k)·max(|r_k| − δ, 0), δ = PARM_JUDGE_REL_DEAD = 0.1·(16 + 16)
 * px (the grader's 0.1·(side_A + side_B) with both sides taken as 16 px, the
 * canonical side and the free layout's mean: soft masks at patch resolution
 * give no sizes), (dx, dy) = m / (‖r‖ + 1e-3), and as a margin: left
 * dx < −½, right dx > ½, above dy < −½, below dy > ½, so
 *   logit = κ · (−dx − ½ | dx − ½ | −dy − ½ | dy − ½),   κ = PARM_JUDGE_REL_KAPPA
 * (no learned parameters in the readout; κ = 8 fixed, not tuned: a clear
 * relation, |d| = 1, gives P = σ(4) = 0.98). Every path that asks a relation atom — parm_judge_prob,
 * parm_judge_prob_atoms / _logit_atoms (both rules), the evaluations, the
 * reflections — goes through it; within one call a grounding forward
 * shared with an object atom of the same image is run once (j->forwards
 * counts what ran). Files without head.ground load with cfg.ground = 0 and
 * answer exactly as before. */
#define PARM_JUDGE_REL_KAPPA 8.0f
#define PARM_JUDGE_REL_DEAD 3.2f
/* The readout: grounding logits of the subject gA[64] and the reference
 * gB[64], relation rel (parm_rel) -> the relation atom's logit. */
float parm_judge_relation_logit(const float *gA, const float *gB, int rel);
/* Give a loaded or fresh judge without one the grounding head (head.ground
 * ~ N(0, 0.02), drawn from seed); every other tensor, the variant and the
 * rules are kept. A judge that has one is left as is. 0 / -1. */
int parm_judge_add_ground(parm_judge *j, uint64_t seed);
/* Deepen j by `extra` transformer blocks appended after its last one, each
 * starting as the identity (attention and MLP output projections zero, the
 * rest a fresh init from seed), so the grown judge answers exactly as j did
 * and fine-tuning has more capacity. Every old tensor is copied by name. 0 / -1. */
int parm_judge_grow(parm_judge *j, int extra, uint64_t seed);

/* The full objective with every auxiliary loss: BCE (weights as above) +
 * word_weight · caption completion (word_targets, as _aux) + the grounding
 * loss (1/B) Σ_b ground_w[b] · CE_b with CE_b = −Σ_p ground[b,p] ·
 * log softmax(g[b])_p (rows with ground_w 0 carry no target; needs cfg.ground
 * when any row has one). Returns the BCE part; a->word_loss, a->ground_loss
 * (the weighted mean above), a->ground_ce (Σ CE_b over rows with a target)
 * and a->ground_rows are filled. The backward ACCUMULATES into j->p.g. */
typedef struct {
    const int *word_targets; /* [B,text_len] or NULL */
    float word_weight;
    const float *ground;     /* [B,64] target distributions (each sums to 1) or NULL */
    const float *ground_w;   /* [B] */
    const float *dlogit_extra; /* [B] or NULL: the gradient of a further loss on the logits, added to BCE's */
    float word_loss, ground_loss; /* out */
    double ground_ce;        /* out */
    int ground_rows;         /* out */
} parm_judge_aux;
float parm_judge_loss_backward_ex(parm_judge *j, const float *labels, const float *weights, parm_judge_aux *a, int B);

/* P(yes) for n images: question for all; prompts[i] the text for image i
 * (nprompts == n), or one text for every image (nprompts == 1); rgb
 * [n,64,64,3]; probs [n] in [0,1]. Batches internally (allocates on first use). */
int parm_judge_prob(parm_judge *j, int question, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                    float *probs);

/* The same as logits (log-odds), the value parm_judge_prob takes the sigmoid of. */
int parm_judge_logit(parm_judge *j, int question, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                     float *logits);

/* P(yes) of "does image i match prompts[i]" scored by the prompt's atoms:
 * each atom's question text (parm_atom_text) asked with PARM_Q_MATCH, then
 * combined by rule (PARM_ATOMS_PRODUCT: Π P(atom); PARM_ATOMS_MIN: min;
 * PARM_ATOMS_PROMPT_*: each atom asked as its grammar prompt instead). The
 * prompts must parse (parm_prompt_parse). nprompts as parm_judge_prob; probs [n]. */
int parm_judge_prob_atoms(parm_judge *j, int rule, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                          float *probs);
/* The same as logits (log-odds of the combined P, computed in log space so a
 * product of small P keeps its order; clamped to +-80): logits [n]. */
int parm_judge_logit_atoms(parm_judge *j, int rule, const char *const *prompts, int nprompts, const uint8_t *rgb, int n,
                           float *logits);

/* PARM++'s reflection from the judge's atom answers (src/models/judge_reflect.c;
 * never the grader): every atom of p asked (MATCH question, atom texts);
 * rejected when any P(atom) < thresh (0.5), and then one clause per failing
 * atom, told apart by follow-up atom questions (object: the shape without
 * colour, then every other colour; count: the other counts 2..4; relation:
 * the other three). A failing relation between objects that fail themselves
 * writes no clause of its own. r->n = 0: accepted. *p_accept (may be NULL)
 * = the product of the atoms' P(yes); *calls (may be NULL) += the judge
 * forwards run (one per question; with the grounding head a relation costs
 * its two objects' forwards, shared with the same call's object atoms). 0 / -1. */
int parm_judge_reflect(parm_judge *j, const parm_prompt *p, const uint8_t *rgb, float thresh, parm_reflection *r,
                       float *p_accept, int *calls);

/* The judge's reflections against the grader's (parm_reflect_grader) on the
 * final images of a path set (`parm eval reflect`): accept/reject vs the
 * grader's verdict (balanced accuracy: the mean of the accuracies on
 * grader-accepted and grader-rejected images), and on images both reject the
 * text: exact match, "names a failing clause" (at least one of the grader's
 * clauses among the judge's), per-clause recall (grader clauses the judge
 * wrote) and precision (judge clauses the grader wrote), recall per kind. */
typedef struct {
    long n, accept_accept, accept_reject, reject_accept, reject_reject; /* grader x judge */
    double balanced_acc;
    long both_reject, exact, names;
    long grader_clauses, grader_hit, judge_clauses, judge_hit;
    long kind_n[PARM_NFAIL], kind_hit[PARM_NFAIL];
    long judge_calls;
    double seconds;
} parm_reflect_metrics;
int parm_reflect_evaluate_pathset(parm_judge *j, const parm_pathset *ps, float thresh, parm_reflect_metrics *m);

/* ---- training data: examples and the sources that make them ---- */
typedef struct {
    int question;                          /* PARM_Q_* */
    parm_prompt caption;                   /* the text the judge reads (atom examples: the atom's grammar prompt,
                                              parm_atom_prompt, whose verdict is the label) */
    char atom[64];                         /* atom examples: the question text the judge reads instead of
                                              caption.text (parm_atom_text); "" otherwise */
    parm_prompt prompt;                    /* what the image was made for (provenance; = caption when matching) */
    uint8_t rgb[PARM_IMG * PARM_IMG * 3];  /* the image */
    float label;                           /* 1 = yes, 0 = no (soft labels allowed) */
    int kind;                              /* negatives: parm_corrupt kind; -1 = matching caption */
    int has_ground;                        /* 1: ground holds a grounding target (the atoms source: a true object
                                              atom about an object the scene holds once); 0: none */
    float ground[PARM_JUDGE_PATCHES];      /* the share of that object's rendered pixels in each patch (sums to 1) */
    int rank_slot;                         /* 0, or a ranking pair's row (orm-atoms with rank_frac): 1 + 2·pair + side,
                                              side 0 = an atom of a correct final image, 1 = the same atom of an
                                              incorrect one of the same prompt (parm_rank_min_forward) */
} parm_judge_example;

struct parm_judge_train_opts;
/* A training-data source: one row per judge variant. next() fills a whole
 * batch ex[0..n) from rng (deterministic given the rng state, and stateless
 * between calls, so checkpoints resume exactly); a source may group examples
 * (the same image with several captions, the steps of one generation path).
 * open/close are optional; open() loads what the source reads (the path set
 * of o->data) and checks it, close() frees it.
 * Rows: orm-zs (GT renders, matching vs corrupted captions), orm (final
 * images of generator paths labeled by the grader, plus a share of orm-zs
 * pairs), orm-atoms (the atoms source on final images of paths, augmented), prm
 * (step images, step verdicts), parm (clarity, potential and
 * match in one judge), parm-atoms (clarity, and orm-atoms groups on final
 * and clear step images: potential answered as MATCH by atoms), prm-atoms
 * (orm-atoms groups on any step image: step answered as MATCH by atoms).
 * The data variants refuse a path set holding any TEST prompt (every
 * path's prompt is checked). */
typedef struct {
    const char *name, *help;
    int question;            /* the question it trains; -1 = several (parm) */
    int needs_data;          /* 1: reads a path set (--data), 0: reads none */
    int (*open)(void **ctx, const struct parm_judge_train_opts *o);
    int (*next)(void *ctx, parm_rng *rng, parm_judge_example *ex, int n);
    void (*close)(void *ctx);
    int as_match;            /* the trained judge's parm_judge.as_match (its data teach those questions as MATCH
                                of the image); 0 for the variants that train each question's own token */
} parm_judge_source;
/* The source of a variant name, or NULL with an error listing the valid ones. */
const parm_judge_source *parm_judge_source_find(const char *variant);
extern const parm_judge_source parm_judge_sources[];
extern const int parm_judge_nsources;

/* Zero-shot ORM examples (question MATCH), in pairs: a train-split prompt, a
 * ground-truth render of it, once with its own caption (label 1) and once
 * with a minimally corrupted caption (parm_prompt_corrupt, label 0) that is a
 * train prompt and that the image fails (parm_grade == 0) — so the image
 * alone never predicts the label. An odd n ends with one example of either
 * label. Never emits a test prompt, never generator output. ctx: the
 * source's open() context (its o->layout places the scenes), or NULL for
 * parm_layout_canonical. */
int parm_judge_next_orm_zs(void *ctx, parm_rng *rng, parm_judge_example *ex, int n);
/* The atoms source (zero-shot, question MATCH): a ground-truth render of a
 * train prompt asked atomic questions (world.h "atoms"), in groups of 4 per
 * image (prompts of the one-shape tags redrawn once half the time): 2 of the
 * prompt's own atoms (position: the relation first) and 2 hard negatives, a
 * kind drawn among those that apply, the binding errors weighted: colour
 * swapped between the two objects (3), relation flipped (left <-> right,
 * above <-> below) or subject and reference swapped (4; on two_object /
 * color_attr scenes a relation of the two shapes, true or false half the
 * time each), another shape, count +-1, a colour the object does not
 * have, an object that is absent (1 each). Every
 * label is parm_grade of the atom's prompt on the image (so a "negative"
 * that happens to hold is labeled yes); kind = -1 for yes, else the
 * nearest parm_corrupt kind. Drops every atom whose prompt is a test prompt
 * (relation atoms are position prompts). Grounding targets: an example
 * asking a true object atom whose object (its shape, and its colour when
 * named) the scene holds exactly once has has_ground = 1 and ground[p] =
 * the share of that object's rendered pixels in patch p; every other
 * example (and every other source's) has_ground = 0. No rng draw, so the
 * streams are those of the sources before it. ctx as parm_judge_next_orm_zs. */
int parm_judge_next_atoms(void *ctx, parm_rng *rng, parm_judge_example *ex, int n);
/* Consistent augmentation: image rgb and its prompt p changed together into
 * rgb_out / pout (formatted): PARM_AUG_MIRROR_X mirrors left <-> right and
 * swaps "left of" / "right of", PARM_AUG_MIRROR_Y mirrors up <-> down and
 * swaps "above" / "below", PARM_AUG_PALETTE maps every pixel to its palette
 * class (parm_pixel_class) recoloured perm[colour] and the prompt's colours
 * likewise (perm: a permutation of the 10 colours). The caller checks the
 * split (pout may be a test prompt) and regrades: a mirrored shape need not
 * read as the same shape. 0 / -1. */
enum { PARM_AUG_MIRROR_X = 1, PARM_AUG_MIRROR_Y = 2, PARM_AUG_PALETTE = 4 };
int parm_judge_augment(const parm_prompt *p, const uint8_t *rgb, int flags, const int *perm, parm_prompt *pout,
                       uint8_t *rgb_out);
/* View v (0 .. PARM_JUDGE_MAX_TTA-1) of the judge's test-time augmentation: the
 * parm_judge_augment flags and palette permutation perm[PARM_NCOLORS] (view 0 = identity;
 * fixed, so every run scores alike). 0 / -1 (v out of range). */
#define PARM_JUDGE_MAX_TTA 8
int parm_judge_tta_view(int v, int *flags, int *perm);
/* The text example e shows the judge: e->atom if set, else e->caption.text. */
const char *parm_judge_example_text(const parm_judge_example *e);
/* The generator-backed sources, directly (tests, tools): open with o->data
 * (and o->layout, o->zs_frac), next, close — the rows orm, prm and parm of
 * parm_judge_sources. Examples from a path set have kind -1 and caption =
 * prompt = the path's prompt. */

/* ---- evaluation ---- */
/* A fixed held-out set of ground-truth renders: n/2 images, each twice (its
 * caption, label 1; a corrupted caption failing on it, label 0). test = 1:
 * TEST prompts (tags position / color_attr, half each; captions may be any
 * prompt); test = 0: train prompts (fresh scenes; captions train prompts). */
typedef struct {
    int n;
    parm_judge_example *ex;
} parm_judge_evalset;
int parm_judge_evalset_gt(parm_judge_evalset *s, int test, int n, uint64_t seed, const parm_layout *layout);
/* The relation probe: n renders of random two_object train prompts (two
 * distinct shapes, random colours), each asked one of its relation atoms
 * ("is the star left of the circle"; e->atom), true for even i and false for
 * odd i (label = grader on the atom's prompt, kind RELATION when false). test
 * = 1: only atoms whose prompt is a TEST position prompt (the held-out
 * triples); 0: only train ones. Scored with atoms off (the text is an atom). */
int parm_judge_evalset_relations(parm_judge_evalset *s, int test, int n, uint64_t seed, const parm_layout *layout);
void parm_judge_evalset_free(parm_judge_evalset *s);

typedef struct {
    int n;
    double loss, acc, auc;      /* acc: P(yes) ≥ ½ ⇔ label ≥ ½ */
    double yes_rate, pred_yes_rate; /* fraction of labels that are yes; of answers P(yes) ≥ ½ */
    double acc_pos, acc_neg;    /* accuracy on matching / corrupted captions */
    double pair_acc;            /* per image: P(yes | own caption) > P(yes | corrupted) (paired sets) */
    long n_tag[PARM_NTAGS];     /* by the image's prompt tag */
    double acc_tag[PARM_NTAGS];
    long n_kind[PARM_NCORRUPT];  /* negatives by corruption kind */
    double acc_kind[PARM_NCORRUPT];
} parm_judge_metrics;
int parm_judge_evaluate(parm_judge *j, const parm_judge_evalset *s, parm_judge_metrics *m);
/* The judge against the grader's labels on a path set, for one question:
 *   match      final images, label = the final verdict (n = paths)
 *   step       every step image, label = that step's verdict (n = paths·T)
 *   clarity    every step image, label = reading-equal flag
 *   potential  every step image, label = the path's final verdict
 * acc_step[T], n_step[T] (may be NULL): accuracy and count per step (match:
 * only the last). bestofn (may be NULL; match only, else -1): per prompt,
 * the final verdict of the path the judge scores highest — the accuracy of
 * best-of-N selection with this judge — overall and per tag, and what the
 * judge misses, read off the grader's reason (parm_reflect_grader of the
 * final image; its first failing clause): the wrong picks of prompts that
 * had a correct path, and the rejected final images it accepts (P ≥ ½). */
typedef struct {
    double bestofn;   /* best-of-N by the judge */
    double mean;      /* mean final verdict (one random path) */
    double oracle;    /* a prompt counts when any of its paths is correct */
    long n_tag[PARM_NTAGS];                         /* prompts per tag */
    double bestofn_tag[PARM_NTAGS], oracle_tag[PARM_NTAGS];
    long wrong_picks;                               /* prompts with a correct path whose pick is wrong */
    long wrong_kind[PARM_NFAIL];                    /* those picks by the first failing clause's kind */
    long rejected_kind[PARM_NFAIL];                 /* rejected final images by that kind */
    long accepted_kind[PARM_NFAIL];                 /* of those, the ones the judge accepts (P ≥ ½) */
    /* within-prompt ranking, what best-of-N needs (the AUC above also pools
     * prompts of different difficulty): over every (correct, incorrect) pair
     * of final images of one prompt, the share the judge orders right (ties
     * ½); mixed = prompts with both verdicts, of which mixed_right picked right */
    long pairs, mixed, mixed_right;
    double paired_auc; /* -1 when no prompt has both verdicts */
} parm_judge_bestofn;
int parm_judge_evaluate_pathset(parm_judge *j, const parm_pathset *ps, int question, parm_judge_metrics *m,
                                double *acc_step, long *n_step, parm_judge_bestofn *bestofn);
void parm_judge_metrics_print(const parm_judge_metrics *m, FILE *f);
/* Every atom of every example's caption (or the example's atom) asked alone
 * (question MATCH, atoms rule ignored: the text is an atom), against the
 * grader on the atom's prompt: yes[truth][kind] = share answered P(yes) >= 1/2
 * (-1 where n is 0). The per-atom diagnostic of docs/RESULTS.md. */
typedef struct {
    long n[2][PARM_NATOM_KINDS]; /* [0 false, 1 true][parm_atom_kind] */
    double yes[2][PARM_NATOM_KINDS];
} parm_judge_atom_stats;
int parm_judge_atom_rates(parm_judge *j, const parm_judge_evalset *s, parm_judge_atom_stats *r);
void parm_judge_atom_rates_print(const parm_judge_atom_stats *r, FILE *f);
/* Area under the ROC curve (Mann-Whitney, ties count ½); labels ≥ ½ positive.
 * -1 if one class is empty. */
double parm_auc(const float *scores, const float *labels, int n);

/* ---- training ---- */
typedef struct parm_judge_train_opts {
    parm_judge_config cfg;
    parm_train_opts train; /* steps, batch, lr, …, paths (no defaults: the caller's; the checkpoint carries the
                              variant and config); train.init = start from these judge weights (their config
                              wins), fresh optimizer */
    const char *variant;   /* a parm_judge_sources name */
    int eval_n;            /* held-out examples per eval set */
    const char *data;      /* path set the orm / prm / parm sources read (train prompts only), or NULL */
    const char *eval_data; /* path set to evaluate on at each eval (may be TEST prompts), or NULL */
    parm_layout layout;    /* scenes of the orm-zs source (and orm's zero-shot share); default canonical */
    float zs_frac;         /* orm: share of each batch that is zero-shot GT pairs (default 0.25) */
    float rel_frac;        /* atoms (and orm-atoms' zero-shot share): share of atom groups that are relation
                              groups (parm_judge_next_atoms; default 0) */
    float free_frac;       /* atoms: share of atom groups rendered in the free layout instead (default 0) */
    float damage_frac;     /* atoms (and orm-atoms' zero-shot share): share of atom groups whose render has one object
                              damaged (the grader's perturbation family, or ragged edges), labels the grader's on it
                              (default 0) */
    float word_frac;       /* caption-completion rows added per batch, as a share of batch (default 0.5; 0 = off) */
    float word_weight;     /* weight of the caption-completion loss (default 1) */
    int eval_atoms;        /* how the held-out evals score a prompt (PARM_ATOMS_*); -1 (default): product for the
                              atoms variant, off otherwise */
    float ground_weight;   /* λ of the grounding loss on examples with a target (default 0 = off; > 0 gives an
                              --init judge without one the grounding head) */
    int grow_layers;       /* --init judge deepened by this many identity-initialized blocks (parm_judge_grow;
                              default 0) */
    float rank_frac;       /* orm-atoms: share of the path rows given to ranking pairs — every atom of a correct and
                              of an incorrect final image of one prompt, augmented alike (default 0 = none) */
    float rank_weight;     /* weight of the ranking loss on those pairs (parm_rank_min_forward on the atoms'
                              logits: the correct image's weakest atom above the incorrect one's; default 1) */
} parm_judge_train_opts;
parm_judge_train_opts parm_judge_train_defaults(void);

typedef struct {
    double loss_first, loss_last; /* mean loss of the first / last min(10, steps) steps of this run */
    long examples;                /* examples seen in this run */
    double seconds;
} parm_judge_train_stats;
/* st may be NULL. */
int parm_judge_train(const parm_judge_train_opts *o, parm_judge_train_stats *st);

#endif
