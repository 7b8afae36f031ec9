/* parm/reflect.h — PARM++ reflections (issue 16): what is wrong with an
 * image for a prompt, as a structured reason and as text in a fixed grammar.
 *
 * A reflection is 0..PARM_REFL_MAX clauses (0 = accepted: text "correct"),
 * joined by "; ". One clause per failing atom of the prompt (world.h atoms),
 * in atom order. The clause forms (the whole grammar):
 *   colour    "the star is green, not red"            (seen colour, wanted colour)
 *   count     "there are three circles, not four"     (seen 0..6 or many, wanted 2..4;
 *             "there is one circle, not four", "there are no circles, not four",
 *             "there are many circles, not four" for 7 or more)
 *   relation  "the square is above the circle, not left of it" (seen, wanted relation)
 *   missing   "missing: a blue diamond", "missing: a diamond"
 *   extra     "extra: a circle", "extra: a red circle"
 * parm_reflection_parse is the exact inverse of parm_reflection_text (tested
 * for every kind). The text's words are the text vocabulary's (parm/text.h):
 * parm_reflection_encode tokenizes it for the generator's reflection segment
 * (',' and ':' dropped, ';' -> [SEP]; models layer, src/models/judge_reflect.c,
 * with the tokenizer; the grammar and the grader's reason are world layer,
 * src/world/reflect.c).
 *
 * Two authors of a reflection:
 *   parm_reflect_grader  the grader's detector reading (train-time labels:
 *                        correction data and the reference of `parm eval reflect`);
 *                        its verdict is parm_grade's, and it writes no clause
 *                        exactly when the image is correct;
 *   parm_judge_reflect   the learned judge's atom answers (parm/judge.h; what
 *                        PARM++ uses at generation time: never the grader). */
#ifndef PARM_REFLECT_H
#define PARM_REFLECT_H

#include <stddef.h>
#include <stdint.h>

#include "parm/world.h"

typedef enum { PARM_FAIL_COLOR, PARM_FAIL_COUNT, PARM_FAIL_RELATION, PARM_FAIL_MISSING, PARM_FAIL_EXTRA,
               PARM_NFAIL } parm_fail_kind;
extern const char *const parm_fail_names[PARM_NFAIL]; /* "colour", "count", "relation", "missing", "extra" */
#define PARM_REFL_MAX 3
#define PARM_REFL_MANY 7 /* a seen count of 7 or more reads "many" */
#define PARM_REFL_TOKENS 24 /* the generator's reflection segment: [BOS] + two clauses of any kind fit */

typedef struct {
    int kind;       /* parm_fail_kind */
    int shape;      /* the object (relation: the subject) */
    int color;      /* colour: the colour seen; missing/extra: the object's colour or -1 */
    int want_color; /* colour: the prompt's colour; else -1 */
    int count;      /* count: seen, 0..PARM_REFL_MANY (7 = many); else 1 */
    int want_count; /* count: the prompt's 2..4; else 1 */
    int rel;        /* relation: seen parm_rel; else -1 */
    int want_rel;   /* relation: the prompt's parm_rel; else -1 */
    int ref_shape;  /* relation: the reference object; else -1 */
} parm_clause;

typedef struct {
    int n;                         /* 0 = accepted */
    parm_clause c[PARM_REFL_MAX];
} parm_reflection;

/* A clause with every field at its "unused" value (-1 / 1), kind and shape set. */
parm_clause parm_clause_make(int kind, int shape);
int parm_clause_equal(const parm_clause *a, const parm_clause *b);
int parm_reflection_equal(const parm_reflection *a, const parm_reflection *b);
/* Text of one clause / of a reflection ("correct" when n = 0). 0, or -1 with
 * an error when a field is out of range or buf is too small. */
int parm_clause_text(const parm_clause *c, char *buf, size_t n);
int parm_reflection_text(const parm_reflection *r, char *buf, size_t n);
/* Inverse of parm_reflection_text; -1 with an error quoting the clause that
 * is not in the grammar and listing the forms. */
int parm_reflection_parse(const char *text, parm_reflection *r);
/* Reflection text as text-vocabulary ids: [BOS] words … [PAD]… (',' ':'
 * dropped, ';' as [SEP]); returns the non-pad count or -1 (too long, unknown word). */
int parm_reflection_encode(const char *text, int *ids, int max_len);

/* The grader's reason as a reflection: the detector's reading judged atom by
 * atom with parm_grade's thresholds (counting: the count found, the colour of
 * the most confident object of a shape, the relation of the most confident
 * subject to the most confident reference by the larger centre offset).
 * Returns parm_grade's verdict (1 correct, 0 not); r->n = 0 exactly when 1. */
int parm_reflect_grader(const uint8_t *rgb, const parm_prompt *p, parm_reflection *r);
int parm_reflect_grader_dets(const parm_detection *d, int n, const parm_prompt *p, parm_reflection *r);

#endif
