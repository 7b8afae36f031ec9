/* parm/world.h — the pinned shapes world of shared/DESIGN.md §2:
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
extern const uint8_t parm_palette[PARM_NCOLORS][3];   /* DESIGN order: red … white */
extern const char *const parm_color_names[PARM_NCOLORS];
extern const char *const parm_shape_names[PARM_NSHAPES]; /* circle … arrow, DESIGN order */

typedef enum { PARM_TAG_SINGLE, PARM_TAG_TWO, PARM_TAG_COUNTING, PARM_TAG_COLORS, PARM_TAG_POSITION,
               PARM_TAG_COLOR_ATTR, PARM_NTAGS } parm_tag;
extern const char *const parm_tag_names[PARM_NTAGS];  /* "single_object", … */
typedef enum { PARM_REL_NONE = -1, PARM_REL_LEFT, PARM_REL_RIGHT, PARM_REL_ABOVE, PARM_REL_BELOW } parm_rel;

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
    int shape, color, x0, y0, s;   /* DESIGN §2 object */
} parm_object;

typedef struct {
    int n;
    parm_object obj[PARM_MAX_OBJECTS];
} parm_scene;

/* ---- prompts ---- */
/* Parse prompt text into metadata; text outside the grammar → -1 with an
 * error naming the offending word and what was accepted there. */
int parm_prompt_parse(const char *text, parm_prompt *p);
/* Fill p->text (and validate) from metadata fields. */
int parm_prompt_format(parm_prompt *p);
int parm_prompt_is_test(const parm_prompt *p);           /* FNV-1a rule */
/* All prompts of the grammar, in a fixed order; *out malloc'd. Returns count or -1. */
int parm_prompts_all(parm_prompt **out);
/* Sample a train-split prompt (never a test prompt), uniform over tags then within tag. */
void parm_prompt_sample_train(parm_rng *rng, parm_prompt *p);
/* GenEval metadata JSON line (no newline) into buf; returns 0/-1. */
int parm_prompt_to_json(const parm_prompt *p, char *buf, size_t n, int with_split);
/* Parse a metadata JSON line back (tag, prompt, include, exclude checked). */
int parm_prompt_from_json(const char *line, parm_prompt *p);
/* Load a JSONL metadata file (e.g. bench/geneval-shapes.jsonl). */
int parm_prompts_load(const char *path, parm_prompt **out, int *n);

/* ---- scenes and rendering ---- */
/* A ground-truth scene for the prompt (sizes, positions, free colours from rng). */
int parm_scene_sample(const parm_prompt *p, parm_rng *rng, parm_scene *scene);
/* Render to rgb[64*64*3] (row-major, y then x then channel). */
void parm_render(const parm_scene *scene, uint8_t *rgb);
int parm_shape_inside(int shape, float u, float v);

/* Pixel → palette class: 0 = background, 1 + colour index otherwise (nearest
 * of background and the 10 palette colours). For categorical decoders. */
int parm_pixel_class(const uint8_t *px);

/* ---- PNG ---- */
int parm_png_write(const char *path, const uint8_t *rgb, int w, int h);  /* atomic */
/* Reads 8-bit RGB/RGBA/gray/palette PNG into *rgb (malloc'd, RGB). */
int parm_png_read(const char *path, uint8_t **rgb, int *w, int *h);

/* ---- grader ---- */
typedef struct {
    int shape;          /* class */
    float conf;         /* class confidence in [0,1] */
    int color;          /* nearest palette colour of the median */
    int x0, y0, x1, y1; /* pixel box, inclusive */
    int area;
} parm_detection;
/* Detect objects in a 64x64 RGB image; returns count (≤ max). */
int parm_detect(const uint8_t *rgb, parm_detection *dets, int max);
/* GenEval rules: 1 = correct, 0 = incorrect; reason gets a short explanation. */
int parm_grade(const uint8_t *rgb, const parm_prompt *p, char *reason, size_t reason_len);

#endif
