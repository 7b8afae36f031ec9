/* fuzz_prompt.c — the prompt grammar parser (parm_prompt_parse) on arbitrary
 * text: an accepted prompt must format back to the same canonical text. */
#include "fuzz.h"

int fuzz_prompt(const uint8_t *d, size_t n) {
    char *s = fuzz_str(d, n);
    if (!s) return -1;
    parm_prompt p;
    int rc = parm_prompt_parse(s, &p);
    if (rc == 0) {
        parm_prompt q = p;
        if (parm_prompt_format(&q)) abort();
        parm_prompt r;
        if (parm_prompt_parse(q.text, &r) || strcmp(r.text, q.text)) abort();
        (void)parm_prompt_is_test(&p);
    }
    free(s);
    return rc;
}
#ifdef PARM_LIBFUZZER
FUZZ_ENTRY(prompt)
#endif
