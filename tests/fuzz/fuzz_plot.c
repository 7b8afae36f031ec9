/* fuzz_plot.c — the rows `parm plot --json FILE` reads (plot_row_parse in
 * src/cli/cmd_plot.c), one per line as cmd_plot splits them. */
#include "../../src/cli/cli.h"
#include "fuzz.h"

int fuzz_plot(const uint8_t *d, size_t n) {
    char *s = fuzz_str(d, n);
    if (!s) return -1;
    int rc = 0, line = 0;
    for (char *q = s; q && *q;) {
        char *e = strchr(q, '\n');
        if (e) *e = 0;
        char where[32];
        snprintf(where, sizeof where, "fuzz:%d", ++line);
        plot_row r;
        if (*q && plot_row_parse(q, where, &r) == 0) {
            if (!r.method[0] || r.n < 1 || !(r.overall >= 0 && r.overall <= 1)) abort();
        } else if (*q) rc = -1;
        q = e ? e + 1 : NULL;
    }
    free(s);
    return rc;
}
#ifdef PARM_LIBFUZZER
FUZZ_ENTRY(plot)
#endif
