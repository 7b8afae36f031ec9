/* parm/world.h — the pinned shapes world (docs/WORLD.md):
 * palette, shapes, prompt grammar (both directions), held-out split,
 * scene sampler, renderer, PNG I/O and the GenEval-rule grader. */
#ifndef PARM_WORLD_H
#define PARM_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "parm/base.h"

#define PARM_IMG 64                 /* canvas side */
#define PARM_NCOLORS 10
#define PARM_NSHAPES 12
#define PARM_MAX_OBJECTS 8
extern const uint8_t parm_background[3];              /* (128,128,128) */
extern const uint8_t parm_palette[PARM_NCOLORS][3];   /* docs/WORLD.md order: red … white */
extern const char *const parm_color_names[PARM_NCOLORS];
extern const char *const parm_shape_names[PARM_NSHAPES]; /* circle … arrow, docs/WORLD.md order */

typedef enum { PARM_TAG_SINGLE, PARM_TAG_TWO, PARM_TAG_COUNTING, PARM_TAG_COLORS, PARM_TAG_POSITION,
               PARM_TAG_COLOR_ATTR, PARM_NTAGS } parm_tag;
extern const char *const parm_tag_names[PARM_NTAGS];  /* "single_object", … */
typedef enum { PARM_REL_NONE = -1, PARM_REL_LEFT, PARM_REL_RIGHT, PARM_REL_ABOVE, PARM_REL_BELOW } parm_rel;
extern const char *const parm_rel_names[4];           /* "left of", "right of", "above", "below" */
extern const char *const parm_count_words[5];         /* [2]="two", [3]="three", [4]="four" */
#define PARM_SIZE_MIN 12                              /* object side s in [12, 20] */
#define PARM_SIZE_MAX 20
#define PARM_GAP 4                                    /* min gap between object boxes */
/* Enumeration sizes (parm_prompts_all): single 12, two 66, counting 36,
 * colors 120, position 528, color_attr 11880; total 12642. */
#define PARM_NPROMPTS_ALL 12642
#define PARM_BENCH_N 434
/* Tag name → index, or -1. Shape / colour / relation name → index, or -1. */
int parm_tag_index(const char *name);
int parm_shape_index(const char *name);
int parm_color_index(const char *name);
int parm_rel_index(const char *name);
/* "an" before a vowel, else "a" (docs/WORLD.md). */
const char *parm_article(const char *word);
/* Plural of a shape name into buf ("crosses" for cross, else + "s"). */
void parm_plural(int shape, char *buf, size_t n);

/* One include/exclude item of GenEval metadata. */
typedef struct {
    int shape;     /* class index */
    int count;
    int color;     /* colour index, -1 = any */
    int rel;       /* parm_rel, PARM_REL_NONE if no position */
    int rel_ref;   /* include index the relation refers to */
} parm_item;

typedef struct {
    parm_tag tag;
    char text[160];
    int ninclude, nexclude;
    parm_item include[2];
    parm_item exclude[1];
} parm_prompt;

typedef struct {
    int shape, color, x0, y0, s;   /* docs/WORLD.md object */
} parm_object;

typedef struct {
    int n;
    parm_object obj[PARM_MAX_OBJECTS];
} parm_scene;

/* ---- prompts ---- */
/* Parse prompt text into metadata; text outside the grammar → -1 with an
 * error naming the offending word and what was accepted there. Text must be
 * canonical (single spaces, lower case, right articles). two_object accepts
 * either shape order; parm_prompts_all lists A<B only. */
int parm_prompt_parse(const char *text, parm_prompt *p);
/* Fill p->text (and validate) from metadata fields. */
int parm_prompt_format(parm_prompt *p);
int parm_prompt_is_test(const parm_prompt *p);           /* FNV-1a rule */
int parm_prompt_is_test_text(const char *text);        /* FNV-1a(text) % 5 == 0 (the raw rule; tags other than position/color_attr are never test) */
/* All prompts of the grammar, in a fixed order; *out malloc'd. Returns count or -1.
 * Order: tags in enum order; single: shape order; two_object: pairs A<B in
 * shape order (A outer); counting: shape outer, two/three/four inner; colors:
 * shape outer, colour inner; position: subject A outer, reference B≠A, then
 * relation (left, right, above, below); color_attr: A, B≠A, c1, c2≠c1. */
int parm_prompts_all(parm_prompt **out);
/* The benchmark's 434 prompts in file order (single, two, counting, colors,
 * position, color_attr): all of the first four tags in parm_prompts_all order,
 * then 100 test position and 100 test color_attr prompts drawn with rng
 * (seed, PARM_STREAM_PROMPT) by a partial Fisher-Yates over each tag's test
 * prompts in enumeration order (for i in 0..99: j = parm_rng_int(i, n-1);
 * swap(i, j); keep [0, 100)), position first, the same rng continuing.
 * The committed bench/geneval-shapes.jsonl is this list with seed 0. */
int parm_prompts_bench(uint64_t seed, parm_prompt **out);
/* Sample a train-split prompt (never a test prompt), uniform over tags then within tag. */
void parm_prompt_sample_train(parm_rng *rng, parm_prompt *p);
/* GenEval metadata JSON line (no newline) into buf; returns 0/-1. */
int parm_prompt_to_json(const parm_prompt *p, char *buf, size_t n, int with_split);
/* Parse a metadata JSON line back (tag, prompt, include, exclude checked). */
int parm_prompt_from_json(const char *line, parm_prompt *p);
/* Load a JSONL metadata file (e.g. bench/geneval-shapes.jsonl). */
int parm_prompts_load(const char *path, parm_prompt **out, int *n);

/* ---- atoms: a prompt as atomic checks (TIFA / Davidsonian scene graph) ----
 * Every prompt is the conjunction of at most 3 atoms: single_object/colors →
 * one object atom; two_object/color_attr → two object atoms; counting → one
 * count atom (exactly N: N found and not N+1); position → the two object
 * atoms and one relation atom. Each atom is itself checked by a grammar
 * prompt (parm_atom_prompt: colors/single_object, counting, position), so
 * its grader verdict is parm_grade on that prompt, and an image is correct
 * for the prompt exactly when every atom is (tested). Held out: a relation
 * atom's prompt IS the position prompt it came from, so training data made
 * of atoms must check parm_prompt_is_test on each atom's prompt; object
 * atoms are colors/single_object prompts, which are never test prompts. */
typedef enum { PARM_ATOM_OBJECT, PARM_ATOM_COUNT, PARM_ATOM_RELATION, PARM_NATOM_KINDS } parm_atom_kind;
extern const char *const parm_atom_kind_names[PARM_NATOM_KINDS]; /* "object", "count", "relation" */
#define PARM_MAX_ATOMS 3
typedef struct {
    int kind;       /* parm_atom_kind */
    int shape;      /* object / counted shape; relation: the subject */
    int color;      /* object atoms: colour index or -1 */
    int count;      /* count atoms: 2..4 (object atoms 1) */
    int rel;        /* relation atoms: parm_rel of shape to ref_shape */
    int ref_shape;  /* relation atoms: the reference object; else -1 */
} parm_atom;
/* The atoms of p into atoms[PARM_MAX_ATOMS]; returns how many (1..3) or -1. */
int parm_prompt_atoms(const parm_prompt *p, parm_atom *atoms);
/* The grammar prompt that checks the atom (text formatted). 0 / -1. */
int parm_atom_prompt(const parm_atom *at, parm_prompt *out);
/* Question text: "is there a red star", "is there an arrow", "are there only
 * three circles", "is the star left of the circle" (judge-vocabulary words
 * only). parm_atom_parse is its inverse; -1 with an error listing the forms. */
int parm_atom_text(const parm_atom *at, char *buf, size_t n);
int parm_atom_parse(const char *text, parm_atom *at);

/* ---- scenes and rendering ---- */
/* A ground-truth scene for the prompt (sizes, positions, free colours from rng).
 * Generic over the include items: item i adds `count` objects of its shape
 * (its colour, or a random one); items with a relation are resampled until
 * every object of the item stands in that relation (parm_relations on the
 * painted boxes) to every object of item rel_ref. Exclude items are ignored.
 * Per object: colour (if free) = rng_int(0,9), s = rng_int(12,20), then up to
 * 100 tries of x0, y0 = rng_int(0, 64-s) until its box keeps the 4 px gap;
 * if one fails, or a relation fails, the whole scene restarts (≤ 10000). */
int parm_scene_sample(const parm_prompt *p, parm_rng *rng, parm_scene *scene);
/* Where objects may sit: corners on multiples of `step`, sides size_min,
 * size_min+size_step, … ≤ size_max. Every layout yields valid docs/WORLD.md
 * scenes. free = {1, 12, 20, 1}: the contract's full distribution (ground
 * truth, benchmark renders). canonical = {8, 16, 16, ·}: 16 px objects on the
 * generator's 8 px position grid — a curated training distribution, so each
 * object is a fixed 2×2 block of token groups (see docs/RESULTS.md). */
typedef struct { int step, size_min, size_max, size_step; } parm_layout;
extern const parm_layout parm_layout_free, parm_layout_canonical;
int parm_scene_sample_layout(const parm_prompt *p, const parm_layout *layout, parm_rng *rng, parm_scene *scene);
/* The valid scene of p on layout nearest to the image rgb[64*64*3] (fewest
 * pixels whose parm_pixel_class differs): the best of `tries` sampled
 * scenes, then coordinate descent (each object's corner over every layout
 * position, then its colour when the prompt leaves it free; then any two
 * objects trading places) while the gap and every relation still hold. Sides are not searched. PARM++'s
 * minimal-edit correction target of a failed image. 0 / -1. */
int parm_scene_nearest(const parm_prompt *p, const parm_layout *layout, const uint8_t *rgb, int tries, parm_rng *rng,
                       parm_scene *scene);
/* The scene for (prompt, seed) used by `parm render` and `parm bench --method gt`:
 * rng seeded (seed ^ (FNV-1a(text) << 32), PARM_STREAM_SCENE), so images of
 * different prompts with the same seed are independent. */
int parm_scene_for_seed(const parm_prompt *p, uint64_t seed, parm_scene *scene);
/* Render to rgb[64*64*3] (row-major, y then x then channel). Objects must have
 * s in [1, 64]; boxes may be clipped by the canvas. */
void parm_render(const parm_scene *scene, uint8_t *rgb);
/* n ground-truth images of random train-split prompts, drawn from rng in the
 * order (prompt, scene) per image: rgb [n,64,64,3]; prompts [n] optional. */
int parm_render_train_scenes(parm_rng *rng, int n, uint8_t *rgb, parm_prompt *prompts);
/* docs/WORLD.md inside-test, evaluated in double exactly as written there. */
int parm_shape_inside(int shape, double u, double v);
/* Painted-pixel box of an object (inclusive x0, y0, x1, y1), clipped to canvas;
 * returns the painted pixel count. */
int parm_object_box(const parm_object *o, int box[4]);
/* GenEval relations of box A to box B (inclusive pixel boxes; centre =
 * (x0+x1+1)/2, size = x1-x0+1): bit (1 << PARM_REL_*) set for each. */
int parm_relations(const int a[4], const int b[4]);

/* Pixel → palette class: 0 = background, 1 + colour index otherwise (nearest
 * of background and the 10 palette colours). For categorical decoders. */
int parm_pixel_class(const uint8_t *px);

/* ---- perturbations (tests, robustness checks, judge training data) ---- */
/* Scenes that differ from a correct one in exactly one respect. */
typedef enum {
    PARM_WRONG_SHAPE,     /* one object gets another shape (any tag) */
    PARM_WRONG_COLOR,     /* one coloured object gets another colour (colors, color_attr) */
    PARM_WRONG_COUNT,     /* counting: N' in [max(1,N-2), N+2], N' != N */
    PARM_WRONG_RELATION,  /* position: the opposite relation */
    PARM_WRONG_MISSING,   /* one named object left out */
    PARM_NWRONG
} parm_wrong;
extern const char *const parm_wrong_names[PARM_NWRONG];
/* 1 if `kind` applies to the prompt's tag. */
int parm_wrong_applies(const parm_prompt *p, int kind);
/* A scene for p changed in respect `kind` (error if it does not apply). */
int parm_scene_wrong(const parm_prompt *p, int kind, parm_rng *rng, parm_scene *scene);
/* The same on a layout (parm_scene_wrong = the free layout, same draws). */
int parm_scene_wrong_layout(const parm_prompt *p, int kind, const parm_layout *layout, parm_rng *rng,
                            parm_scene *scene);
/* Captions changed in exactly one respect (judge training: "minimally corrupted captions"). */
typedef enum {
    PARM_CORRUPT_COLOR,     /* one named colour → another (colors, color_attr; c1 ≠ c2 kept) */
    PARM_CORRUPT_SHAPE,     /* one shape → another (two shapes of a prompt stay distinct) */
    PARM_CORRUPT_COUNT,     /* single ↔ counting: N ∈ {1,2,3,4} → another N' (single_object, counting) */
    PARM_CORRUPT_RELATION,  /* position: the relation → one of the other three */
    PARM_CORRUPT_SWAP,      /* color_attr: the two colours swapped (the attribute-binding error) */
    PARM_NCORRUPT
} parm_corrupt;
extern const char *const parm_corrupt_names[PARM_NCORRUPT]; /* "colour", "shape", "count", "relation", "colour swap" */
/* A different prompt of the grammar that differs from p in one respect: a kind
 * uniform among those that apply to p's tag (single: shape, count; two: shape;
 * counting: shape, count; colors: colour, shape; position: shape, relation;
 * color_attr: colour, shape, swap), then a value uniform among the valid ones.
 * out is formatted (out->text set). Returns the kind, or -1 with an error.
 * It does not look at any image or at the split: a caller that needs "the
 * image does not satisfy it" grades (a count change to a smaller N, say, may
 * still hold), and a caller that trains rejects test prompts. */
int parm_prompt_corrupt(const parm_prompt *p, parm_rng *rng, parm_prompt *out);

/* In-place image perturbations of a 64×64 RGB image. */
void parm_image_noise(uint8_t *rgb, float sigma, parm_rng *rng);   /* + round(N(0, σ²)) per channel, clamped */
void parm_image_blur(uint8_t *rgb);  /* pixel = ½ itself + ½ mean of its in-canvas 3×3 neighbourhood, rounded */
/* Flip each pixel on an object/background border (4-neighbourhood) with probability prob. */
void parm_image_ragged(uint8_t *rgb, float prob, parm_rng *rng);
/* A stray speck: a 1..3 × 1..3 block of a random palette colour at a random place. */
void parm_image_speck(uint8_t *rgb, parm_rng *rng);

/* Objects damaged so that no class should be found (issue 13; docs/GRADER.md). */
typedef enum {
    PARM_DAMAGE_ERODE,   /* three random bites of ~A/10 pixels each eaten from the border */
    PARM_DAMAGE_DILATE,  /* three random lumps of ~A/10 pixels each grown outward */
    PARM_DAMAGE_NOTCH,   /* a 3-px slot from one box side to the centre, cutting >= A/10 pixels,
                          * with object on both sides along half its length (a walled slot) */
    PARM_DAMAGE_SPURS,   /* three 1-px rays of 5..8 px sticking out */
    PARM_DAMAGE_MERGE,   /* a same-colour object of any shape overlapping it (one component; neither inside the other) */
    PARM_DAMAGE_HALF,    /* left or right half erased (ring, crescent: top or bottom) */
    PARM_DAMAGE_BLOB,    /* replaced by a wandering random blob of the same area and colour */
    PARM_NDAMAGE
} parm_damage;
extern const char *const parm_damage_names[PARM_NDAMAGE];
/* Mask (64×64 bytes, 1 = painted) of object k of scene s damaged in `kind`;
 * damage stays 2 px clear of the other objects' boxes. */
int parm_damage_mask(const parm_scene *s, int k, int kind, parm_rng *rng, uint8_t *mask);
/* Render s with object k replaced by its damaged mask (its colour). */
int parm_render_damaged(const parm_scene *s, int k, int kind, parm_rng *rng, uint8_t *rgb);
/* Paint a wandering random blob of `area` pixels grown from (x, y) in palette colour `color`. */
void parm_image_blob(uint8_t *rgb, int x, int y, int area, int color, parm_rng *rng);

/* ---- PNG ---- */
int parm_png_write(const char *path, const uint8_t *rgb, int w, int h);  /* atomic */
/* Reads 8-bit RGB/RGBA/gray/palette PNG into *rgb (malloc'd, RGB). */
int parm_png_read(const char *path, uint8_t **rgb, int *w, int *h);

/* ---- grader ----
 * Detector: pixels whose RGB distance from the background exceeds
 * PARM_DET_SEED_DIST seed 8-connected components; per component the colour
 * is the nearest palette colour P of its pixels' per-channel median, the
 * mask is refined to pixels (within 1 px of the component) whose projection
 * onto bg→P is at least half way, components under PARM_DET_MIN_AREA pixels
 * are dropped; the shape class is the best IoU of the mask against the
 * rendered templates of every shape and side (8..32) fitted near its box;
 * confidence = parm_clarity: that IoU (1.0 for an exact render) when the fit
 * is clear, half of it otherwise (issue 13; docs/GRADER.md). */
#define PARM_DET_SEED_DIST 40
#define PARM_DET_MIN_AREA 12
#define PARM_DET_THRESH 0.70f    /* "found" (GenEval: 0.3; 0.60 before issue 13) */
#define PARM_COUNT_THRESH 0.75f  /* "found" for counting prompts (GenEval: 0.9) */
#define PARM_MAX_FOUND 16        /* per class, as GenEval */
typedef struct {
    int shape;          /* class */
    float conf;         /* class confidence in [0,1] */
    int color;          /* nearest palette colour of the median */
    int x0, y0, x1, y1; /* pixel box, inclusive */
    int area;
    /* the fit behind conf (appended fields: positional initialisers of the
     * first eight still work) */
    float iou;          /* best template IoU of the class (the confidence before issue 13) */
    float iou2;         /* best template IoU of any other class */
    int off1;           /* pixels more than 1 px off the fitted template (extra or missing) */
    int off2;           /* pixels more than 2 px off it */
    int side;           /* side s of the fitted template */
    int holes;          /* holes of the mask minus holes of the fitted template */
    int lump;           /* largest 8-connected piece of (mask XOR template) opened by a 2x2 square:
                           the biggest bite or lump >= 2 px thick (issue 13, session 7) */
    float edge;         /* fraction of the fitted template's pixels on its 1-px boundary (session 7) */
    int variant;        /* proportion variant of the fitted template: 0 = the world's shape; cross 1-8 =
                           one arm half as thick, arrow 1-3 = a shaft half as thick (session 12) */
} parm_detection;
/* The detector's confidence from a detection's fit (docs/GRADER.md): the
 * template IoU when the fit is clear — fitted side >= PARM_CLEAR_MIN_SIDE,
 * the mask has the template's holes (of >= 4 px), the best class beats every
 * other class's IoU by >= PARM_CLEAR_MARGIN, at most
 * PARM_CLEAR_OFF1·sqrt(area) pixels lie more than 1 px off the template,
 * and (session 7) the largest bite/lump (parm_detection.lump) is
 * <= PARM_CLEAR_LUMP px, and the template beats the mask's own bounding box
 * (IoU = area / box area) by PARM_CLEAR_MARGIN unless the class is the
 * square (whose template is a box), and 1 - IoU <= PARM_CLEAR_JITTER·edge
 * (the misfit is no more than 1-px edge jitter explains), and (session 12) a
 * proportion variant (parm_detection.variant > 0) fits with IoU >=
 * PARM_CLEAR_VARIANT_IOU — else PARM_UNCLEAR_SCALE × IoU (never "found": < PARM_DET_THRESH). */
#define PARM_CLEAR_MIN_SIDE 10
#define PARM_CLEAR_MARGIN 0.02f
#define PARM_CLEAR_OFF1 0.4f
#define PARM_CLEAR_LUMP 6
#define PARM_CLEAR_JITTER 0.4f
#define PARM_CLEAR_VARIANT_IOU 0.85f /* a proportion variant's fit must be this close (session 12) */
#define PARM_UNCLEAR_SCALE 0.5f
float parm_clarity(const parm_detection *d);
/* Detect objects in a 64x64 RGB image; returns count (≤ max). */
int parm_detect(const uint8_t *rgb, parm_detection *dets, int max);
/* GenEval rules: 1 = correct, 0 = incorrect; reason gets a short explanation. */
int parm_grade(const uint8_t *rgb, const parm_prompt *p, char *reason, size_t reason_len);
/* The same rules on given detections (reason may be NULL). */
int parm_grade_dets(const parm_detection *dets, int n, const parm_prompt *p, char *reason, size_t reason_len);
/* The grader's reading of an image for a prompt: the sorted multiset of
 * (shape, colour) of its detections with confidence >= PARM_DET_THRESH
 * (among the first PARM_READING_MAX detections, as parm_grade sees them), plus the parm_grade
 * verdict. Two readings are equal when both parts agree exactly (PARM's
 * clarity label: a step image reads as its path's final image does). */
#define PARM_READING_MAX 64
typedef struct {
    int n;                                 /* objects */
    uint8_t obj[PARM_READING_MAX][2];      /* (shape, colour), sorted ascending */
    int verdict;                           /* parm_grade: 1 correct, 0 incorrect */
} parm_reading;
void parm_grade_reading(const uint8_t *rgb, const parm_prompt *p, parm_reading *r);
int parm_reading_equal(const parm_reading *a, const parm_reading *b);

/* ---- scores and the GenEval folder layout (shared by grade and bench) ---- */
typedef struct {
    long n[PARM_NTAGS], correct[PARM_NTAGS];
} parm_score;
void parm_score_add(parm_score *sc, parm_tag tag, int correct);
double parm_score_tag(const parm_score *sc, int tag);   /* accuracy; -1 if no images */
double parm_score_overall(const parm_score *sc);        /* mean over tags with images */
long parm_score_images(const parm_score *sc);
void parm_score_print(const parm_score *sc, FILE *f);   /* the summary table */
/* {"single_object": x, …, "color_attr": x, "overall": x, "images": N}; null for absent tags. */
int parm_score_json(const parm_score *sc, char *buf, size_t n);

/* One image to grade: its PNG path and its prompt. */
typedef struct {
    char path[512];
    parm_prompt prompt;
} parm_grade_item;
/* Scan DIR in GenEval layout (<DIR>/<NNNNN>/metadata.jsonl, samples/<name>.png),
 * folders in numeric order, samples in name order; *items malloc'd. */
int parm_geneval_scan(const char *dir, parm_grade_item **items, int *n);
/* Grade items (OpenMP over images); write results JSONL atomically to
 * results_path (NULL = none): filename, tag, prompt, correct, reason. On any
 * error (unreadable PNG, wrong size) nothing is written and -1 returned. */
int parm_grade_items(const parm_grade_item *items, int n, const char *results_path, parm_score *sc);
/* <dir>/<%05d>/metadata.jsonl (+ samples/) for prompt i. */
int parm_geneval_write_prompt(const char *dir, int i, const parm_prompt *p);
/* "<dir>/<%05d>/samples/<%04d>.png" into buf. */
int parm_geneval_sample_path(char *buf, size_t n, const char *dir, int i, int j);

#endif
