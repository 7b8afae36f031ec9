/* text_vocab.c — the word-level text tokenizer shared by the generator and
 * the judge: special tokens, the prompt grammar's words, and the words a
 * PARM++ reflection uses ("the star is green, not red", "missing", …).
 * Ids are fixed forever once weights ship: append new words at the end. */
#include <ctype.h>
#include <string.h>

#include "parm/base.h"
#include "parm/text.h"

static const char *const vocab[] = {
    "[PAD]", "[BOS]", "[EOS]", "[SEP]",
    /* grammar */
    "a", "an", "photo", "of", "and", "two", "three", "four", "left", "right", "above", "below",
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white",
    "circle", "square", "triangle", "diamond", "star", "hexagon", "cross", "ring", "semicircle", "heart",
    "crescent", "arrow",
    "circles", "squares", "triangles", "diamonds", "stars", "hexagons", "crosses", "rings", "semicircles", "hearts",
    "crescents", "arrows",
    /* reserved for reflections (PARM++) */
    "the", "is", "are", "not", "no", "missing", "extra", "too", "many", "few", "there", "one", "only", "should",
    "be", "it", "wrong", "colour", "shape", "position", "count", "instead", "but", "in", "place", "five", "six",
    "zero", "none", "correct", "image", "matches", "[REFL]", "[IMG]",
};
#define NV ((int)(sizeof vocab / sizeof vocab[0]))

int parm_text_vocab_size(void) { return NV; }
const char *parm_text_word(int id) { return id >= 0 && id < NV ? vocab[id] : NULL; }
int parm_text_id(const char *w) {
    for (int i = 0; i < NV; i++)
        if (!strcmp(vocab[i], w)) return i;
    return -1;
}

int parm_text_encode(const char *text, int *ids, int max_len) {
    if (max_len < 2) return PARM_ERR("text length %d too small", max_len);
    int n = 0;
    ids[n++] = PARM_TOK_BOS;
    const char *s = text;
    while (*s) {
        while (*s == ' ') s++;
        if (!*s) break;
        char w[64];
        int k = 0;
        while (*s && *s != ' ') {
            if (k < 63) w[k++] = (char)tolower((unsigned char)*s);
            s++;
        }
        w[k] = 0;
        int id = parm_text_id(w);
        if (id < PARM_TOK_SEP + 1)
            return PARM_ERR("unknown word '%s' in '%s' (the text vocabulary is the prompt grammar's words; see "
                            "`parm prompts --split all`)", w, text);
        if (n >= max_len) return PARM_ERR("text '%s' has more than %d words", text, max_len - 1);
        ids[n++] = id;
    }
    int used = n;
    while (n < max_len) ids[n++] = PARM_TOK_PAD;
    return used;
}
