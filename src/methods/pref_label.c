/* pref_label.c — reward-model labels for preference sets (guided rounds of
 * iterative DPO, issue 15): a searcher's verifier replayed over the K paths
 * of one prompt (the same decisions `parm bench --method orm|parm -n K` makes
 * on those paths), turned into the prefset's verdicts by the rules of
 * PARM_PREF_LABEL_* (parm/prefset.h). The grader is never called here. */
#include "parm/search.h"
#include "parm/prefset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int parm_search_pref_label(void *ctx, const parm_prompt *p, int K, int T, const uint8_t *steps, uint8_t *verdict) {
    parm_searcher *s = ctx;
    const int m = s->o.method;
    if (m != PARM_SEARCH_ORM && m != PARM_SEARCH_ORM_ZS && m != PARM_SEARCH_PARM)
        return PARM_ERR("preference labels: method '%s' is not a reward model (orm-zs, orm or parm)",
                        parm_search_methods[m].name);
    if (K < 1 || K > PARM_SEARCH_MAX_PATHS) return PARM_ERR("preference labels: %d paths (at most %d)", K,
                                                            PARM_SEARCH_MAX_PATHS);
    parm_search_record rec;
    memset(&rec, 0, sizeof rec);
    rec.prompt = *p;
    rec.N = K;
    rec.T = T;
    rec.steps = (uint8_t *)steps; /* borrowed: only read by the replay, never freed here */
    uint8_t rgb[PARM_IMG * PARM_IMG * 3];
    parm_search_result res;
    int rc = parm_search_replay(s, &rec, K, rgb, &res);
    for (int k = 0; k < PARM_SEARCH_NMETHODS; k++) free(rec.verdict[k]);
    if (rc) return -1;
    for (int k = 0; k < K; k++) {
        const float sc = res.path[k].score;
        if (m == PARM_SEARCH_PARM)
            verdict[k] = k == res.chosen && !res.fallback && !isnan(sc) && sc >= 0.5f;
        else
            verdict[k] = !isnan(sc) && sc >= 0.5f;
    }
    return 0;
}
