/* text.h — parm's word-level text tokenizer: the prompt grammar's words plus
 * the reflection words, shared by the generator's and the judge's text
 * segments (one vocabulary, so a caption means the same ids to both). */
#ifndef PARM_TEXT_H
#define PARM_TEXT_H

enum { PARM_TOK_PAD = 0, PARM_TOK_BOS = 1, PARM_TOK_EOS = 2, PARM_TOK_SEP = 3 };
int parm_text_vocab_size(void);
const char *parm_text_word(int id);          /* NULL if out of range */
int parm_text_id(const char *word);          /* -1 if unknown */
/* Tokenize: ids[0] = BOS, then words, then PAD up to max_len. Unknown word or
 * too long → -1 with an error naming the word. Returns number of non-pad tokens. */
int parm_text_encode(const char *text, int *ids, int max_len);

#endif
