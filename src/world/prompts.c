/* prompts.c — the prompt grammar of docs/WORLD.md in both directions
 * (metadata → text with parm_prompt_format, text → metadata with
 * parm_prompt_parse), the FNV-1a held-out split, enumeration of every prompt,
 * the benchmark list, train-prompt sampling, and GenEval metadata JSON. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "world_internal.h"

/* ---- metadata → text ---- */
static int item_plain(const parm_item *it, int count) {
    return it->count == count && it->color < 0 && it->rel == PARM_REL_NONE;
}
static int shape_ok(int s) { return s >= 0 && s < PARM_NSHAPES; }
static int color_ok(int c) { return c >= 0 && c < PARM_NCOLORS; }

int parm_prompt_format(parm_prompt *p) {
    const parm_item *a = &p->include[0], *b = &p->include[1];
    const char *tag = (unsigned)p->tag < PARM_NTAGS ? parm_tag_names[p->tag] : "?";
    int n = -1;
    char *t = p->text;
    size_t tn = sizeof p->text;
    switch (p->tag) {
    case PARM_TAG_SINGLE:
        if (p->ninclude != 1 || p->nexclude != 0 || !shape_ok(a->shape) || !item_plain(a, 1)) break;
        n = snprintf(t, tn, "a photo of %s %s", parm_article(parm_shape_names[a->shape]), parm_shape_names[a->shape]);
        break;
    case PARM_TAG_TWO:
        if (p->ninclude != 2 || p->nexclude != 0 || !shape_ok(a->shape) || !shape_ok(b->shape) ||
            a->shape == b->shape || !item_plain(a, 1) || !item_plain(b, 1))
            break;
        n = snprintf(t, tn, "a photo of %s %s and %s %s", parm_article(parm_shape_names[a->shape]),
                     parm_shape_names[a->shape], parm_article(parm_shape_names[b->shape]), parm_shape_names[b->shape]);
        break;
    case PARM_TAG_COUNTING: {
        const parm_item *e = &p->exclude[0];
        if (p->ninclude != 1 || p->nexclude != 1 || !shape_ok(a->shape) || a->count < 2 || a->count > 4 ||
            !item_plain(a, a->count) || e->shape != a->shape || !item_plain(e, a->count + 1))
            break;
        char pl[32];
        parm_plural(a->shape, pl, sizeof pl);
        n = snprintf(t, tn, "a photo of %s %s", parm_count_words[a->count], pl);
        break;
    }
    case PARM_TAG_COLORS:
        if (p->ninclude != 1 || p->nexclude != 0 || !shape_ok(a->shape) || !color_ok(a->color) || a->count != 1 ||
            a->rel != PARM_REL_NONE)
            break;
        n = snprintf(t, tn, "a photo of %s %s %s", parm_article(parm_color_names[a->color]),
                     parm_color_names[a->color], parm_shape_names[a->shape]);
        break;
    case PARM_TAG_POSITION:
        /* include = [{B, 1}, {A, 1, position: [rel, 0]}]: "a photo of a A rel a B" */
        if (p->ninclude != 2 || p->nexclude != 0 || !shape_ok(a->shape) || !shape_ok(b->shape) ||
            a->shape == b->shape || !item_plain(a, 1) || b->count != 1 || b->color >= 0 || b->rel < 0 || b->rel > 3 ||
            b->rel_ref != 0)
            break;
        n = snprintf(t, tn, "a photo of %s %s %s %s %s", parm_article(parm_shape_names[b->shape]),
                     parm_shape_names[b->shape], parm_rel_names[b->rel], parm_article(parm_shape_names[a->shape]),
                     parm_shape_names[a->shape]);
        break;
    case PARM_TAG_COLOR_ATTR:
        if (p->ninclude != 2 || p->nexclude != 0 || !shape_ok(a->shape) || !shape_ok(b->shape) ||
            a->shape == b->shape || !color_ok(a->color) || !color_ok(b->color) || a->color == b->color ||
            a->count != 1 || b->count != 1 || a->rel != PARM_REL_NONE || b->rel != PARM_REL_NONE)
            break;
        n = snprintf(t, tn, "a photo of %s %s %s and %s %s %s", parm_article(parm_color_names[a->color]),
                     parm_color_names[a->color], parm_shape_names[a->shape], parm_article(parm_color_names[b->color]),
                     parm_color_names[b->color], parm_shape_names[b->shape]);
        break;
    default:
        return PARM_ERR("unknown prompt tag %d; valid tags: single_object, two_object, counting, colors, position, "
                        "color_attr", (int)p->tag);
    }
    if (n < 0 || (size_t)n >= tn) {
        p->text[0] = 0;
        return PARM_ERR("metadata does not fit the %s template (see docs/WORLD.md: %s)", tag,
                        p->tag == PARM_TAG_SINGLE     ? "include [{class, count 1}]"
                        : p->tag == PARM_TAG_TWO      ? "include [{A,1},{B,1}], A != B"
                        : p->tag == PARM_TAG_COUNTING ? "include [{class, count 2..4}], exclude [{class, count+1}]"
                        : p->tag == PARM_TAG_COLORS   ? "include [{class, 1, color}]"
                        : p->tag == PARM_TAG_POSITION ? "include [{B,1},{A,1,position:[rel,0]}], A != B"
                                                      : "include [{A,1,c1},{B,1,c2}], A != B, c1 != c2");
    }
    return 0;
}

/* ---- text → metadata ---- */
#define MAXW 16
typedef struct {
    const char *text;
    char w[MAXW][24];
    int n;
} words;

static const char *EXP_SHAPE = "a shape (circle, square, triangle, diamond, star, hexagon, cross, ring, semicircle, "
                               "heart, crescent, arrow)";
static const char *EXP_COLOR_OR_SHAPE =
    "a colour (red, orange, yellow, green, blue, purple, pink, brown, black, white) or a shape (circle, square, "
    "triangle, diamond, star, hexagon, cross, ring, semicircle, heart, crescent, arrow)";
static const char *EXP_COLOR = "a colour (red, orange, yellow, green, blue, purple, pink, brown, black, white)";
static const char *EXP_PLURAL = "a plural shape (circles, squares, triangles, diamonds, stars, hexagons, crosses, "
                                "rings, semicircles, hearts, crescents, arrows)";

static int bad_word(const words *ws, int i, const char *expected) {
    if (i >= ws->n)
        return PARM_ERR("prompt \"%s\" ends too early (after '%s'): expected %s", ws->text, ws->n ? ws->w[ws->n - 1] : "",
                        expected);
    return PARM_ERR("prompt \"%s\": unexpected word '%s' (word %d): expected %s", ws->text, ws->w[i], i + 1, expected);
}
static const char *word_at(const words *ws, int i) { return i < ws->n ? ws->w[i] : NULL; }

/* article + optional colour + shape starting at *i. want_color: -1 either, 0 no, 1 yes. */
static int parse_object(const words *ws, int *i, int want_color, int *shape, int *color) {
    const char *art = word_at(ws, *i);
    if (!art || (strcmp(art, "a") && strcmp(art, "an"))) return bad_word(ws, *i, "'a' or 'an'");
    (*i)++;
    const char *w = word_at(ws, *i);
    *color = parm_color_index(w);
    *shape = -1;
    if (*color >= 0) {
        if (want_color == 0)
            return bad_word(ws, *i, "a shape without a colour here; position and two-object prompts name no colours, "
                                    "color_attr prompts colour both objects: " "circle, square, triangle, diamond, star, "
                                    "hexagon, cross, ring, semicircle, heart, crescent, arrow");
    } else {
        *shape = parm_shape_index(w);
        if (*shape < 0) return bad_word(ws, *i, want_color == 1 ? EXP_COLOR : want_color == 0 ? EXP_SHAPE : EXP_COLOR_OR_SHAPE);
        if (want_color == 1) return bad_word(ws, *i, EXP_COLOR);
    }
    if (strcmp(art, parm_article(w)))
        return PARM_ERR("prompt \"%s\": wrong article '%s' before '%s' (word %d): write '%s %s'", ws->text, art, w, *i,
                        parm_article(w), w);
    (*i)++;
    if (*color >= 0) {
        *shape = parm_shape_index(word_at(ws, *i));
        if (*shape < 0) return bad_word(ws, *i, EXP_SHAPE);
        (*i)++;
    }
    return 0;
}

int parm_prompt_parse(const char *text, parm_prompt *p) {
    words ws = {.text = text ? text : "", .n = 0};
    memset(p, 0, sizeof *p);
    p->include[0].rel = p->include[1].rel = p->exclude[0].rel = PARM_REL_NONE;
    p->include[0].color = p->include[1].color = p->exclude[0].color = -1;
    if (strlen(ws.text) >= sizeof p->text)
        return PARM_ERR("prompt \"%.60s...\" is too long (%zu bytes; prompts of the grammar are shorter than %zu)",
                        ws.text, strlen(ws.text), sizeof p->text);
    for (const char *s = ws.text; *s;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
        if (!*s) break;
        const char *e = s;
        while (*e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r') e++;
        if (ws.n == MAXW) return PARM_ERR("prompt \"%s\" has too many words (the grammar's longest has 11)", ws.text);
        size_t len = (size_t)(e - s);
        if (len >= sizeof ws.w[0]) len = sizeof ws.w[0] - 1;
        memcpy(ws.w[ws.n], s, len);
        ws.w[ws.n][len] = 0;
        ws.n++;
        s = e;
    }
    if (ws.n == 0) return PARM_ERR("empty prompt: expected \"a photo of ...\" (e.g. \"a photo of a red circle\")");
    static const char *const head[3] = {"a", "photo", "of"};
    for (int i = 0; i < 3; i++)
        if (!word_at(&ws, i) || strcmp(ws.w[i], head[i])) {
            char exp[80];
            snprintf(exp, sizeof exp, "'%s' (every prompt starts \"a photo of\")", head[i]);
            return bad_word(&ws, i, exp);
        }
    int i = 3;
    const char *w = word_at(&ws, i);
    int num = -1;
    for (int k = 2; k <= 4; k++)
        if (w && !strcmp(w, parm_count_words[k])) num = k;
    parm_item *a = &p->include[0], *b = &p->include[1];
    if (num > 0) { /* counting */
        i++;
        int shape = -1;
        for (int k = 0; k < PARM_NSHAPES && word_at(&ws, i); k++) {
            char pl[32];
            parm_plural(k, pl, sizeof pl);
            if (!strcmp(ws.w[i], pl)) shape = k;
        }
        if (shape < 0) return bad_word(&ws, i, EXP_PLURAL);
        i++;
        p->tag = PARM_TAG_COUNTING;
        p->ninclude = p->nexclude = 1;
        a->shape = shape; a->count = num;
        p->exclude[0].shape = shape; p->exclude[0].count = num + 1;
    } else {
        if (!w || (strcmp(w, "a") && strcmp(w, "an")))
            return bad_word(&ws, i, "'a', 'an', 'two', 'three' or 'four'");
        int s1, c1;
        if (parse_object(&ws, &i, -1, &s1, &c1)) return -1;
        w = word_at(&ws, i);
        int rel = -1;
        if (w && (!strcmp(w, "left") || !strcmp(w, "right"))) {
            const char *of = word_at(&ws, i + 1);
            if (!of || strcmp(of, "of")) return bad_word(&ws, i + 1, "'of' (relations: left of, right of, above, below)");
            rel = !strcmp(w, "left") ? PARM_REL_LEFT : PARM_REL_RIGHT;
        } else if (w && !strcmp(w, "above")) rel = PARM_REL_ABOVE;
        else if (w && !strcmp(w, "below")) rel = PARM_REL_BELOW;
        if (!w) { /* single_object or colors */
            p->tag = c1 >= 0 ? PARM_TAG_COLORS : PARM_TAG_SINGLE;
            p->ninclude = 1;
            a->shape = s1; a->count = 1; a->color = c1;
        } else if (rel >= 0) {
            if (c1 >= 0)
                return bad_word(&ws, i, "'and' or the end of the prompt (a coloured object cannot take a relation; "
                                        "position prompts name no colours)");
            i += (rel == PARM_REL_LEFT || rel == PARM_REL_RIGHT) ? 2 : 1;
            int s2, c2;
            if (parse_object(&ws, &i, 0, &s2, &c2)) return -1;
            if (s2 == s1)
                return PARM_ERR("prompt \"%s\": the two shapes must differ (both are '%s')", ws.text, parm_shape_names[s1]);
            p->tag = PARM_TAG_POSITION;
            p->ninclude = 2;
            a->shape = s2; a->count = 1;
            b->shape = s1; b->count = 1; b->rel = rel; b->rel_ref = 0;
        } else if (!strcmp(w, "and")) {
            i++;
            int s2, c2;
            if (parse_object(&ws, &i, c1 >= 0 ? 1 : 0, &s2, &c2)) return -1;
            if (s2 == s1)
                return PARM_ERR("prompt \"%s\": the two shapes must differ (both are '%s')", ws.text, parm_shape_names[s1]);
            if (c1 >= 0 && c1 == c2)
                return PARM_ERR("prompt \"%s\": the two colours must differ (both are '%s')", ws.text, parm_color_names[c1]);
            p->tag = c1 >= 0 ? PARM_TAG_COLOR_ATTR : PARM_TAG_TWO;
            p->ninclude = 2;
            a->shape = s1; a->count = 1; a->color = c1;
            b->shape = s2; b->count = 1; b->color = c2;
        } else {
            return bad_word(&ws, i, c1 >= 0 ? "'and' or the end of the prompt"
                                            : "'and', 'left of', 'right of', 'above', 'below' or the end of the prompt");
        }
    }
    if (i < ws.n) return bad_word(&ws, i, "the end of the prompt");
    if (parm_prompt_format(p)) return -1;
    if (strcmp(p->text, ws.text)) {
        char canon[sizeof p->text];
        strcpy(canon, p->text);
        p->text[0] = 0;
        return PARM_ERR("prompt \"%s\" must be written exactly as \"%s\" (single spaces, lower case)", ws.text, canon);
    }
    return 0;
}

/* ---- split ---- */
int parm_prompt_is_test_text(const char *text) { return parm_fnv1a32(text) % 5 == 0; }
int parm_prompt_is_test(const parm_prompt *p) {
    return (p->tag == PARM_TAG_POSITION || p->tag == PARM_TAG_COLOR_ATTR) && parm_prompt_is_test_text(p->text);
}

/* ---- enumeration ---- */
static void blank(parm_prompt *p, parm_tag tag) {
    memset(p, 0, sizeof *p);
    p->tag = tag;
    for (int k = 0; k < 2; k++) { p->include[k].color = -1; p->include[k].rel = PARM_REL_NONE; }
    p->exclude[0].color = -1; p->exclude[0].rel = PARM_REL_NONE;
}
static void mk_single(parm_prompt *p, int s) {
    blank(p, PARM_TAG_SINGLE); p->ninclude = 1; p->include[0].shape = s; p->include[0].count = 1;
}
static void mk_two(parm_prompt *p, int a, int b) {
    blank(p, PARM_TAG_TWO); p->ninclude = 2;
    p->include[0].shape = a; p->include[0].count = 1; p->include[1].shape = b; p->include[1].count = 1;
}
static void mk_counting(parm_prompt *p, int s, int n) {
    blank(p, PARM_TAG_COUNTING); p->ninclude = p->nexclude = 1;
    p->include[0].shape = s; p->include[0].count = n; p->exclude[0].shape = s; p->exclude[0].count = n + 1;
}
static void mk_colors(parm_prompt *p, int s, int c) {
    blank(p, PARM_TAG_COLORS); p->ninclude = 1;
    p->include[0].shape = s; p->include[0].count = 1; p->include[0].color = c;
}
static void mk_position(parm_prompt *p, int a, int b, int rel) { /* "a A rel a B" */
    blank(p, PARM_TAG_POSITION); p->ninclude = 2;
    p->include[0].shape = b; p->include[0].count = 1;
    p->include[1].shape = a; p->include[1].count = 1; p->include[1].rel = rel; p->include[1].rel_ref = 0;
}
static void mk_color_attr(parm_prompt *p, int a, int b, int c1, int c2) {
    mk_two(p, a, b); p->tag = PARM_TAG_COLOR_ATTR;
    p->include[0].color = c1; p->include[1].color = c2;
}

/* Number of prompts of a tag, and prompt k of that tag (enumeration order). */
static const int tag_counts[PARM_NTAGS] = {12, 66, 36, 120, 528, 11880};
static void prompt_of_tag(int tag, int k, parm_prompt *p) {
    switch (tag) {
    case PARM_TAG_SINGLE: mk_single(p, k); break;
    case PARM_TAG_TWO:
        for (int a = 0; a < PARM_NSHAPES; a++)
            for (int b = a + 1; b < PARM_NSHAPES; b++)
                if (k-- == 0) { mk_two(p, a, b); goto done; }
        break;
    case PARM_TAG_COUNTING: mk_counting(p, k / 3, 2 + k % 3); break;
    case PARM_TAG_COLORS: mk_colors(p, k / PARM_NCOLORS, k % PARM_NCOLORS); break;
    case PARM_TAG_POSITION: {
        int rel = k % 4, pair = k / 4, a = pair / 11, b = pair % 11;
        if (b >= a) b++;
        mk_position(p, a, b, rel);
        break;
    }
    case PARM_TAG_COLOR_ATTR: {
        int cp = k % 90, pair = k / 90, a = pair / 11, b = pair % 11, c1 = cp / 9, c2 = cp % 9;
        if (b >= a) b++;
        if (c2 >= c1) c2++;
        mk_color_attr(p, a, b, c1, c2);
        break;
    }
    }
done:
    parm_prompt_format(p);
}

int parm_prompts_all(parm_prompt **out) {
    parm_prompt *ps = parm_malloc(sizeof *ps * PARM_NPROMPTS_ALL);
    if (!ps) return -1;
    int n = 0;
    for (int t = 0; t < PARM_NTAGS; t++)
        for (int k = 0; k < tag_counts[t]; k++) prompt_of_tag(t, k, &ps[n++]);
    *out = ps;
    return n;
}

int parm_prompts_bench(uint64_t seed, parm_prompt **out) {
    parm_prompt *all;
    int nall = parm_prompts_all(&all);
    if (nall < 0) return -1;
    parm_prompt *ps = parm_malloc(sizeof *ps * PARM_BENCH_N);
    int *idx = parm_malloc(sizeof *idx * nall);
    if (!ps || !idx) { free(all); free(ps); free(idx); return -1; }
    int n = 0;
    for (int i = 0; i < nall; i++)
        if (all[i].tag <= PARM_TAG_COLORS) ps[n++] = all[i];
    parm_rng rng;
    parm_rng_seed(&rng, seed, PARM_STREAM_PROMPT);
    for (int tag = PARM_TAG_POSITION; tag <= PARM_TAG_COLOR_ATTR; tag++) {
        int m = 0;
        for (int i = 0; i < nall; i++)
            if ((int)all[i].tag == tag && parm_prompt_is_test(&all[i])) idx[m++] = i;
        if (m < 100) { free(all); free(ps); free(idx); return PARM_ERR("only %d test %s prompts (need 100)", m, parm_tag_names[tag]); }
        for (int i = 0; i < 100; i++) { /* partial Fisher-Yates */
            int j = parm_rng_int(&rng, i, m - 1);
            int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
            ps[n++] = all[idx[i]];
        }
    }
    free(all);
    free(idx);
    *out = ps;
    return n;
}

void parm_prompt_sample_train(parm_rng *rng, parm_prompt *p) {
    int tag = parm_rng_int(rng, 0, PARM_NTAGS - 1);
    do { /* rejection keeps it uniform over the tag's train prompts */
        prompt_of_tag(tag, parm_rng_int(rng, 0, tag_counts[tag] - 1), p);
    } while (parm_prompt_is_test(p));
}

/* ---- JSON ---- */
static int item_json(const parm_item *it, char *buf, size_t n) {
    int k = snprintf(buf, n, "{\"class\": \"%s\", \"count\": %d", parm_shape_names[it->shape], it->count);
    if (it->color >= 0) k += snprintf(buf + k, n > (size_t)k ? n - k : 0, ", \"color\": \"%s\"", parm_color_names[it->color]);
    if (it->rel != PARM_REL_NONE)
        k += snprintf(buf + k, n > (size_t)k ? n - k : 0, ", \"position\": [\"%s\", %d]", parm_rel_names[it->rel], it->rel_ref);
    k += snprintf(buf + k, n > (size_t)k ? n - k : 0, "}");
    return k;
}

int parm_prompt_to_json(const parm_prompt *p, char *buf, size_t n, int with_split) {
    char tmp[1024];
    size_t k = 0;
    k += snprintf(tmp + k, sizeof tmp - k, "{\"tag\": \"%s\", \"include\": [", parm_tag_names[p->tag]);
    for (int i = 0; i < p->ninclude; i++) {
        if (i) k += snprintf(tmp + k, sizeof tmp - k, ", ");
        k += item_json(&p->include[i], tmp + k, sizeof tmp - k);
    }
    k += snprintf(tmp + k, sizeof tmp - k, "]");
    if (p->nexclude) {
        k += snprintf(tmp + k, sizeof tmp - k, ", \"exclude\": [");
        for (int i = 0; i < p->nexclude; i++) {
            if (i) k += snprintf(tmp + k, sizeof tmp - k, ", ");
            k += item_json(&p->exclude[i], tmp + k, sizeof tmp - k);
        }
        k += snprintf(tmp + k, sizeof tmp - k, "]");
    }
    k += snprintf(tmp + k, sizeof tmp - k, ", \"prompt\": \"%s\"", p->text);
    if (with_split) k += snprintf(tmp + k, sizeof tmp - k, ", \"split\": \"%s\"", parm_prompt_is_test(p) ? "test" : "train");
    k += snprintf(tmp + k, sizeof tmp - k, "}");
    if (k >= sizeof tmp || k >= n) return PARM_ERR("metadata JSON of \"%s\" does not fit %zu bytes", p->text, n);
    memcpy(buf, tmp, k + 1);
    return 0;
}

static const char *VALID_TAGS = "single_object, two_object, counting, colors, position, color_attr";
static const char *VALID_SHAPES = "circle, square, triangle, diamond, star, hexagon, cross, ring, semicircle, heart, "
                                  "crescent, arrow";
static const char *VALID_COLORS = "red, orange, yellow, green, blue, purple, pink, brown, black, white";

static int json_item(const cJSON *o, parm_item *it, const char *where) {
    memset(it, 0, sizeof *it);
    it->color = -1;
    it->rel = PARM_REL_NONE;
    if (!cJSON_IsObject(o)) return PARM_ERR("%s: not an object (expected {\"class\": ..., \"count\": ...})", where);
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(o, "class");
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(o, "count");
    const cJSON *co = cJSON_GetObjectItemCaseSensitive(o, "color");
    const cJSON *po = cJSON_GetObjectItemCaseSensitive(o, "position");
    if (!cJSON_IsString(cl)) return PARM_ERR("%s: missing string \"class\"", where);
    if ((it->shape = parm_shape_index(cl->valuestring)) < 0)
        return PARM_ERR("%s: unknown class '%s'; valid classes: %s", where, cl->valuestring, VALID_SHAPES);
    if (!cJSON_IsNumber(cn) || !(cn->valuedouble >= 1 && cn->valuedouble <= PARM_MAX_OBJECTS) ||
        cn->valuedouble != (int)cn->valuedouble) /* range first: (int) of a huge double is undefined */
        return PARM_ERR("%s: \"count\" must be an integer in [1, %d]", where, PARM_MAX_OBJECTS);
    it->count = cn->valueint;
    if (co && !cJSON_IsNull(co)) {
        if (!cJSON_IsString(co) || (it->color = parm_color_index(co->valuestring)) < 0)
            return PARM_ERR("%s: unknown color '%s'; valid colors: %s", where, cJSON_IsString(co) ? co->valuestring : "?",
                            VALID_COLORS);
    }
    if (po && !cJSON_IsNull(po)) {
        const cJSON *r = cJSON_GetArrayItem(po, 0), *t = cJSON_GetArrayItem(po, 1);
        if (!cJSON_IsArray(po) || cJSON_GetArraySize(po) != 2 || !cJSON_IsString(r) || !cJSON_IsNumber(t))
            return PARM_ERR("%s: \"position\" must be [relation, index]", where);
        if ((it->rel = parm_rel_index(r->valuestring)) < 0)
            return PARM_ERR("%s: unknown relation '%s'; valid: left of, right of, above, below", where, r->valuestring);
        it->rel_ref = t->valueint;
    }
    return 0;
}

int parm_prompt_from_json(const char *line, parm_prompt *p) {
    memset(p, 0, sizeof *p);
    cJSON *j = cJSON_Parse(line);
    if (!j) {
        const char *e = cJSON_GetErrorPtr();
        return PARM_ERR("malformed JSON metadata near '%.20s' (expected one object per line: {\"tag\": ..., "
                        "\"include\": [...], \"prompt\": ...})", e && *e ? e : "end of line");
    }
    int rc = -1;
    const cJSON *tag = cJSON_GetObjectItemCaseSensitive(j, "tag");
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(j, "prompt");
    const cJSON *inc = cJSON_GetObjectItemCaseSensitive(j, "include");
    const cJSON *exc = cJSON_GetObjectItemCaseSensitive(j, "exclude");
    int t;
    if (!cJSON_IsObject(j)) { PARM_ERR("metadata is not a JSON object"); goto out; }
    if (!cJSON_IsString(tag)) { PARM_ERR("metadata has no string \"tag\" (valid tags: %s)", VALID_TAGS); goto out; }
    if ((t = parm_tag_index(tag->valuestring)) < 0) {
        PARM_ERR("unknown tag '%s'; valid tags: %s", tag->valuestring, VALID_TAGS);
        goto out;
    }
    if (!cJSON_IsString(pr)) { PARM_ERR("metadata has no string \"prompt\""); goto out; }
    if (!cJSON_IsArray(inc) || cJSON_GetArraySize(inc) < 1 || cJSON_GetArraySize(inc) > 2) {
        PARM_ERR("metadata \"include\" must be a list of 1 or 2 items");
        goto out;
    }
    if (exc && !cJSON_IsNull(exc) && (!cJSON_IsArray(exc) || cJSON_GetArraySize(exc) > 1)) {
        PARM_ERR("metadata \"exclude\" must be a list of at most 1 item");
        goto out;
    }
    p->tag = (parm_tag)t;
    p->ninclude = cJSON_GetArraySize(inc);
    p->nexclude = exc && cJSON_IsArray(exc) ? cJSON_GetArraySize(exc) : 0;
    for (int i = 0; i < p->ninclude; i++)
        if (json_item(cJSON_GetArrayItem(inc, i), &p->include[i], "metadata include item")) goto out;
    if (p->nexclude && json_item(cJSON_GetArrayItem(exc, 0), &p->exclude[0], "metadata exclude item")) goto out;
    if (!p->nexclude) { p->exclude[0].color = -1; p->exclude[0].rel = PARM_REL_NONE; }
    if (parm_prompt_format(p)) goto out;
    if (strcmp(p->text, pr->valuestring)) {
        PARM_ERR("metadata prompt \"%s\" does not match its tag and include/exclude (they give \"%s\")",
                 pr->valuestring, p->text);
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(j);
    return rc;
}

int parm_prompts_load(const char *path, parm_prompt **out, int *n) {
    char *data;
    size_t len;
    *out = NULL;
    *n = 0;
    if (parm_read_file(path, &data, &len)) return -1;
    int cap = 64, m = 0;
    parm_prompt *ps = parm_malloc(sizeof *ps * cap);
    if (!ps) { free(data); return -1; }
    int lineno = 0;
    for (char *s = data; s && *s;) {
        char *e = strchr(s, '\n');
        if (e) *e = 0;
        lineno++;
        char *q = s;
        while (*q == ' ' || *q == '\t' || *q == '\r') q++;
        if (*q) {
            if (m == cap) {
                parm_prompt *np = parm_realloc(ps, sizeof *ps * cap * 2);
                if (!np) { free(ps); free(data); return -1; }
                ps = np;
                cap *= 2;
            }
            if (parm_prompt_from_json(q, &ps[m])) {
                char msg[1024];
                snprintf(msg, sizeof msg, "%s", parm_last_error());
                free(ps);
                free(data);
                return PARM_ERR("%s:%d: %s", path, lineno, msg);
            }
            m++;
        }
        s = e ? e + 1 : NULL;
    }
    free(data);
    if (m == 0) { free(ps); return PARM_ERR("'%s' holds no metadata lines", path); }
    *out = ps;
    *n = m;
    return 0;
}
