/* cmd_report.c — `parm report DIR [-o report.html]`: one self-contained HTML
 * page of a `parm bench` folder (single method, or --method all with one
 * sub-folder per method), opened from disk with no network:
 *   - provenance: command line, parm version, times, files with sha256 (run.json);
 *   - the methods table from run.json's rows: per-category scores, overall
 *     with its 95 % interval, generator forwards / judge calls / seconds per image;
 *   - the scaling curves (overall vs N, overall vs generator forwards per image)
 *     as inline PNGs drawn by cmd_plot.c (--method all);
 *   - per-category bars with interval whiskers (each method at its largest n);
 *   - a gallery: one card per image (prompt, seed), each method's chosen image
 *     enlarged nearest-neighbour (CSS pixelated), the grader's verdict and
 *     reason, the chosen path and every path's verifier decisions (clear step,
 *     potential, stop step, score; a compact data-p attribute "fwd,clear,
 *     potential,stop,score;…" per path, drawn as a table by the page's script
 *     when opened), from results.jsonl; filters by category,
 *     by correct/incorrect (under a chosen method); the filter state is the
 *     URL hash (#tag=counting&verdict=incorrect&method=parm; &paths=open opens
 *     every path table, &paths=parm those of one method; &img=all loads every
 *     image at once instead of as cards scroll into view), so a link shows
 *     the same cards;
 *   - each path table row shows that path's step images (a crop of the
 *     image's step strip DIR/strips/…, written by bench --strips), the steps
 *     after a PARM stop greyed out and the first clear step framed;
 *   - a size cap (--max-mb, default 5): a gallery that would make the page
 *     larger keeps every k-th image (smallest such k; stated on the page).
 * Images are inline data: URIs, each distinct PNG once (methods often pick
 * the same path). Machine-checkable: rows carry data-method / data-n and
 * cells class names (tests/check_browser.sh reads the rendered DOM). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "parm.h"

/* ---- a growable string ---- */
typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;
static void sb_put(sbuf *b, const char *s, size_t k) {
    if (b->oom) return;
    if (b->n + k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->n + k + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) { b->oom = 1; return; }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, k);
    b->n += k;
    b->s[b->n] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[2048];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k >= (int)sizeof tmp) { /* longer: format again into the heap */
        char *big = malloc((size_t)k + 1);
        if (big) vsnprintf(big, (size_t)k + 1, fmt, ap2);
        if (big) sb_put(b, big, (size_t)k); else b->oom = 1;
        free(big);
    } else if (k > 0) sb_put(b, tmp, (size_t)k);
    va_end(ap2);
}
/* HTML-escaped text */
static void sb_esc(sbuf *b, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': sb_str(b, "&lt;"); break;
        case '>': sb_str(b, "&gt;"); break;
        case '&': sb_str(b, "&amp;"); break;
        case '"': sb_str(b, "&quot;"); break;
        default: sb_put(b, s, 1);
        }
    }
}
static void sb_base64(sbuf *b, const unsigned char *d, size_t n) {
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
        q[0] = T[v >> 18 & 63];
        q[1] = T[v >> 12 & 63];
        q[2] = i + 1 < n ? T[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? T[v & 63] : '=';
        sb_put(b, q, 4);
    }
}

/* ---- the bench folder ---- */
typedef struct {
    char name[64];
    cJSON **rows; /* results.jsonl rows */
    int n;
} rmethod;

static int load_results(const char *path, rmethod *m) { return cli_results_load(path, &m->rows, &m->n); }

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}
static double jnum(const cJSON *o, const char *k, double dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* ---- distinct images: each PNG's bytes once, as a JS array of data URIs ---- */
typedef struct {
    uint64_t *hash;
    int *slot; /* table → image index, -1 empty */
    size_t tsize;
    sbuf js;   /* "data:…","data:…",… */
    int count;
    long bytes; /* PNG bytes inlined */
} imgset;

static uint64_t fnv64(const unsigned char *d, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ d[i]) * 1099511628211ULL;
    return h ^ n;
}
/* the index of the PNG at path (added if new); -1 on error */
static int img_index(imgset *s, const char *path) {
    char *d = NULL;
    size_t n = 0;
    if (parm_read_file(path, &d, &n)) return -1;
    uint64_t h = fnv64((unsigned char *)d, n);
    size_t i = h & (s->tsize - 1);
    while (s->slot[i] >= 0 && s->hash[i] != h) i = (i + 1) & (s->tsize - 1);
    if (s->slot[i] >= 0) { free(d); return s->slot[i]; }
    s->hash[i] = h;
    s->slot[i] = s->count;
    sb_str(&s->js, s->count ? ",\n\"data:image/png;base64," : "\"data:image/png;base64,");
    sb_base64(&s->js, (unsigned char *)d, n);
    sb_str(&s->js, "\"");
    s->bytes += (long)n;
    free(d);
    return s->count++;
}

/* a PNG file as an inline <img> */
static int inline_png(sbuf *b, const char *path, const char *alt, const char *cls) {
    char *d = NULL;
    size_t n = 0;
    if (parm_read_file(path, &d, &n)) return -1;
    sb_printf(b, "<img class=\"%s\" alt=\"", cls);
    sb_esc(b, alt);
    sb_str(b, "\" src=\"data:image/png;base64,");
    sb_base64(b, (unsigned char *)d, n);
    sb_str(b, "\">");
    free(d);
    return 0;
}

static const char *STYLE =
    "body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#222;background:#fff}"
    "h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd}"
    ".meta{color:#555;font-size:12px}.meta code{background:#f3f3f3;padding:1px 4px;word-break:break-all}"
    "table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;"
    "white-space:nowrap}#methods th{white-space:normal;vertical-align:bottom}"
    ".wrap{overflow-x:auto}th{background:#f6f6f6}td.method,th.method{text-align:left}.ci{color:#777;font-size:11px;display:block}"
    "tr.ub td{color:#777;font-style:italic}.files td{text-align:left;font-size:12px}"
    ".curves img{margin:0 12px 12px 0;border:1px solid #ddd}"
    ".bars{display:flex;flex-wrap:wrap;gap:18px}.cat{min-width:300px}.cat h3{font-size:14px;margin:4px 0}"
    ".bar{display:flex;align-items:center;gap:6px;font-size:12px;margin:2px 0}.bar .lab{width:70px}"
    ".track{position:relative;width:180px;height:12px;background:#f0f0f0}"
    ".fill{position:absolute;left:0;top:0;bottom:0;background:#4a7bd0}"
    ".whisk{position:absolute;top:5px;height:2px;background:#111}"
    ".controls{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd;z-index:1}"
    ".controls label{margin-right:14px}"
    ".gallery{display:flex;flex-wrap:wrap;gap:12px;margin-top:10px}"
    ".card{border:1px solid #ccc;border-radius:6px;padding:8px;width:max-content;max-width:100%}"
    ".card .p{font-weight:600}.card .sub{color:#666;font-size:12px}"
    ".tiles{display:flex;gap:10px;margin-top:6px}.tile{width:150px;font-size:12px}"
    ".tile img{width:128px;height:128px;image-rendering:pixelated;image-rendering:crisp-edges;border:3px solid #bbb;"
    "display:block}.big .tile{width:200px}.big .tile img{width:192px;height:192px}.tile.ok img{border-color:#2a9d3a}.tile.bad img{border-color:#d0342c}"
    ".v{font-weight:600}.ok .v{color:#1f7a2c}.bad .v{color:#b3261e}.reason{color:#555;word-break:break-word}"
    "details{font-size:11px}details table{font-size:10px;width:100%}details td,details th{padding:0 2px}"
    "tr.chosen td{background:#fff4c2}tr.stopped td{color:#999}"
    ".tile:has(details[open]){width:auto}details[open]{width:max-content}"
    "th.steps{text-align:left}th.steps span{display:inline-block;text-align:center;font-weight:400}"
    "td.st{padding:1px 2px}.strip{position:relative;overflow:hidden}.tile .strip img.sk{display:block;image-rendering:pixelated;border:0;max-width:none}"
    ".strip i{position:absolute;top:0;bottom:0}.strip .cut{right:0;background:rgba(255,255,255,.75)}"
    ".strip .clr{box-sizing:border-box;border:2px solid #2a9d3a}";

/* The page's script: filters (state in the URL hash), images set from IMG[]
 * only when their card comes near the viewport (IntersectionObserver; #img=all
 * sets every one at once), path tables (with each path's step strip: a crop of
 * the strip PNG per row, the steps after a PARM stop greyed, the first clear
 * step framed) drawn when their <details> opens (#paths=open: all). */
static const char *SCRIPT =
    "function apply(){var t=document.getElementById('f-tag').value,v=document.getElementById('f-verdict').value,"
    "m=document.getElementById('f-method').value,shown=0,cards=document.querySelectorAll('.card');"
    "cards.forEach(function(c){var ok=(c.dataset.ok||'').split(',').indexOf(m+':1')>=0,"
    "vis=(t==='all'||c.dataset.tag===t)&&(v==='all'||(v==='correct')===ok);c.style.display=vis?'':'none';"
    "if(vis)shown++;});document.getElementById('shown').textContent=shown;"
    "var h='tag='+t+'&verdict='+v+'&method='+m+(Q.paths?'&paths='+Q.paths:'')+(Q.img?'&img='+Q.img:'');"
    "if(location.hash.slice(1)!==h)history.replaceState(null,'','#'+h);}"
    "function fill(c){c.querySelectorAll('img[data-k]').forEach(function(i){if(!i.src)i.src=IMG[+i.dataset.k];});}"
    "var Q={};function init(){"
    "location.hash.slice(1).split('&').forEach(function(kv){var p=kv.split('=');if(p.length===2)"
    "Q[p[0]]=decodeURIComponent(p[1]);});['tag','verdict','method'].forEach(function(k){var e="
    "document.getElementById('f-'+k);if(Q[k]&&[].some.call(e.options,function(o){return o.value===Q[k];}))"
    "e.value=Q[k];e.addEventListener('change',apply);});var cards=document.querySelectorAll('.card');"
    "if(Q.img==='all'||!window.IntersectionObserver)cards.forEach(fill);else{var io=new IntersectionObserver("
    "function(es){es.forEach(function(e){if(e.isIntersecting){fill(e.target);io.unobserve(e.target);}});},"
    "{rootMargin:'800px'});apply();cards.forEach(function(c){var r=c.getBoundingClientRect();"
    "if(r.height&&r.top<innerHeight+800)fill(c);else io.observe(c);});}"
    "if(Q.paths)document.querySelectorAll(Q.paths==='open'?'details[data-p]':'.tile[data-method=\"'+Q.paths.replace("
    "/[^a-z0-9@.\\/-]/g,'')+'\"] details[data-p]').forEach(function(d){d.open=true;paths(d);});apply();"
    "document.getElementById('ready-ms').textContent=Math.round(performance.now());}"
    "function paths(d){if(d.dataset.done)return;d.dataset.done=1;var s=+d.dataset.s,c=+d.dataset.c,"
    "st=d.dataset.strip,px=+d.dataset.px,h='<table><tr><th>k</th><th>fwd</th><th>clear</th><th>pot.</th><th>stop</th>"
    "<th>score</th>';if(st){h+='<th class=\"steps\">';for(var t=0;t<STEPS;t++)h+='<span style=\"width:'+px+'px\">'+"
    "t+'</span>';h+='</th>';}h+='</tr>';"
    "var rs=d.dataset.p.split(';'),n=rs.length;rs.forEach(function(r,k){var f=r.split(',');h+='<tr class=\"'+(k===c?'chosen':'')+"
    "(f[3]!=='-'?' stopped':'')+'\" title=\"seed '+(s+4096*k)+'\"><td>'+k+'</td><td>'+f.join('</td><td>')+'</td>';"
    "if(st){h+='<td class=\"st\"><div class=\"strip\" style=\"width:'+STEPS*px+'px;height:'+px+'px\"><img class=\"sk\" "
    "alt=\"path '+k+' steps\" src=\"'+IMG[+st]+'\" style=\"margin-top:'+(-k*px)+'px;width:'+STEPS*px+'px;height:'+n*px+'px\">';"
    "if(f[1]!=='-')h+='<i class=\"clr\" title=\"first clear step\" style=\"left:'+(+f[1])*px+'px;width:'+px+'px\"></i>';"
    "if(f[3]!=='-')h+='<i class=\"cut\" title=\"stopped after step '+f[3]+'\" style=\"left:'+(+f[3]+1)*px+'px\"></i>';"
    "h+='</div></td>';}h+='</tr>';});"
    "d.insertAdjacentHTML('beforeend',h+'</table>');}"
    "document.addEventListener('toggle',function(e){if(e.target.dataset&&e.target.dataset.p)paths(e.target);},true);"
    "document.addEventListener('DOMContentLoaded',init);";

static void usage(FILE *f) {
    fprintf(f, "usage: parm report DIR [-o FILE.html] [--max-cards K]\n\n"
               "Write one self-contained HTML page (images inline, no network; opens from disk) of\n"
               "a `parm bench` folder: provenance (DIR/run.json), the methods table with costs and\n"
               "95%% intervals, the scaling curves (--method all), per-category bars and a gallery\n"
               "of every image (chosen image enlarged, the grader's verdict and reason, each path's\n"
               "verifier decisions next to its step images from DIR/strips, stops greyed) with filters\n"
               "by category and correct/incorrect; images load as their cards scroll into view.\n"
               "  -o, --out FILE   the page (default DIR/report.html; written atomically)\n"
               "  --max-cards K    at most K gallery cards: every k-th image, k = ceil(images/K) (the prompts\n"
               "                   come in category blocks, so every category stays in; default 0: all)\n"
               "  --max-mb M       keep the page under M MB (default 5; 0 = no limit): if it would be\n"
               "                   larger, the gallery keeps every k-th image with the smallest such k\n"
               "                   (the table, curves and bars always cover every image)\n"
               "  DIR must come from this parm's `bench` (it needs DIR/run.json).\n");
}

/* the methods table from run.json's rows */
static void methods_table(sbuf *b, const cJSON *rows) {
    sb_str(b, "<div class=\"wrap\"><table id=\"methods\"><thead><tr><th class=\"method\">method</th><th>n</th>");
    for (int t = 0; t < PARM_NTAGS; t++) sb_printf(b, "<th>%s</th>", parm_tag_names[t]);
    sb_str(b, "<th>overall</th><th>95% interval</th><th>gen forwards / image</th><th>judge calls / image</th>"
              "<th>s / image</th></tr></thead><tbody>\n");
    const cJSON *r;
    cJSON_ArrayForEach(r, rows) {
        const int ub = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "upper_bound"));
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(r, "ci");
        sb_printf(b, "<tr class=\"mrow%s\" data-method=\"", ub ? " ub" : "");
        sb_esc(b, jstr(r, "method"));
        sb_printf(b, "\" data-n=\"%d\"><td class=\"method\">", (int)jnum(r, "n", 0));
        sb_esc(b, jstr(r, "method"));
        sb_printf(b, "%s</td><td class=\"n\">%d</td>", ub ? " (upper bound)" : "", (int)jnum(r, "n", 0));
        for (int t = 0; t < PARM_NTAGS; t++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, parm_tag_names[t]);
            const cJSON *iv = cJSON_GetObjectItemCaseSensitive(ci, parm_tag_names[t]);
            if (!cJSON_IsNumber(v)) { sb_printf(b, "<td class=\"tag\" data-tag=\"%s\">-</td>", parm_tag_names[t]); continue; }
            sb_printf(b, "<td class=\"tag\" data-tag=\"%s\">%.3f", parm_tag_names[t], v->valuedouble);
            if (cJSON_GetArraySize(iv) == 2)
                sb_printf(b, "<span class=\"ci\">[%.3f, %.3f]</span>", cJSON_GetArrayItem(iv, 0)->valuedouble,
                          cJSON_GetArrayItem(iv, 1)->valuedouble);
            sb_str(b, "</td>");
        }
        const cJSON *ov = cJSON_GetObjectItemCaseSensitive(ci, "overall");
        sb_printf(b, "<td class=\"overall\"><b>%.3f</b></td><td class=\"overall-ci\">", jnum(r, "overall", -1));
        if (cJSON_GetArraySize(ov) == 2)
            sb_printf(b, "[%.3f, %.3f]", cJSON_GetArrayItem(ov, 0)->valuedouble, cJSON_GetArrayItem(ov, 1)->valuedouble);
        sb_printf(b, "</td><td class=\"fwd\">%.1f</td><td class=\"judge\">%.1f</td><td class=\"sec\">%.3f%s</td></tr>\n",
                  jnum(r, "gen_forwards_per_image", 0), jnum(r, "judge_calls_per_image", 0),
                  jnum(r, "seconds_per_image", 0),
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "seconds_estimated")) ? " (est.)" : "");
    }
    sb_str(b, "</tbody></table></div>\n");
}

/* the two scaling curves as inline PNGs (when some method has rows at two n) */
static int curves(sbuf *b, const cJSON *rows, const char *tmpdir) {
    int nrows = cJSON_GetArraySize(rows), nmulti = 0, rc = 0;
    plot_row *pr = parm_calloc(nrows ? nrows : 1, sizeof *pr);
    if (!pr) return -1;
    for (int i = 0; i < nrows && !rc; i++) {
        char *line = cJSON_PrintUnformatted(cJSON_GetArrayItem(rows, i));
        rc = !line || plot_row_parse(line, "run.json row", &pr[i]);
        free(line);
    }
    for (int i = 0; i < nrows && !rc; i++) /* a curve needs a method with two n */
        for (int j = 0; j < i; j++) nmulti += !strcmp(pr[i].method, pr[j].method) && pr[i].n != pr[j].n;
    if (!rc && nmulti) {
        char path[1100];
        snprintf(path, sizeof path, "%s/curve.png", tmpdir);
        sb_str(b, "<h2>Scaling curves</h2><div class=\"curves\">");
        for (int k = 0; k < 2 && !rc; k++) {
            rc = plot_rows_png_x(pr, nrows, k ? "overall score vs generator forwards per image" : NULL, path, 640, 420, k);
            if (!rc) rc = inline_png(b, path, k ? "overall score vs generator forwards" : "overall score vs N", k ? "curve fwd" : "curve n");
            unlink(path);
        }
        sb_str(b, "</div><p class=\"meta\">Baseline: one path whatever N (dashed). Oracle: the grader picks (an upper "
                  "bound, not a method). Forwards: generator forward passes per image, one per path and step.</p>\n");
    }
    free(pr);
    return rc;
}

/* per-category bars: each method at its largest n, with its interval */
static void bars(sbuf *b, const cJSON *rows) {
    sb_str(b, "<h2>Per category (each method at its largest n; whisker = 95% interval)</h2><div class=\"bars\">");
    for (int t = 0; t < PARM_NTAGS; t++) {
        int any = 0;
        const cJSON *q0;
        cJSON_ArrayForEach(q0, rows) any |= cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(q0, parm_tag_names[t]));
        if (!any) continue;
        sb_printf(b, "<div class=\"cat\" data-tag=\"%s\"><h3>%s</h3>", parm_tag_names[t], parm_tag_names[t]);
        const cJSON *r;
        cJSON_ArrayForEach(r, rows) {
            const char *m = jstr(r, "method");
            int last = 1; /* the row with the largest n of its method */
            const cJSON *q;
            cJSON_ArrayForEach(q, rows) if (!strcmp(jstr(q, "method"), m) && jnum(q, "n", 0) > jnum(r, "n", 0)) last = 0;
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, parm_tag_names[t]);
            if (!last || !cJSON_IsNumber(v)) continue;
            const cJSON *iv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "ci"), parm_tag_names[t]);
            double lo = v->valuedouble, hi = v->valuedouble;
            if (cJSON_GetArraySize(iv) == 2) { lo = cJSON_GetArrayItem(iv, 0)->valuedouble; hi = cJSON_GetArrayItem(iv, 1)->valuedouble; }
            sb_str(b, "<div class=\"bar\"><span class=\"lab\">");
            sb_esc(b, m);
            sb_printf(b, "</span><span class=\"track\"><span class=\"fill\" style=\"width:%.1f%%\"></span>"
                         "<span class=\"whisk\" style=\"left:%.1f%%;width:%.1f%%\"></span></span><span>%.3f [%.3f, %.3f]"
                         "</span></div>",
                      100 * v->valuedouble, 100 * lo, 100 * (hi - lo) < 0.5 ? 0.5 : 100 * (hi - lo), v->valuedouble, lo, hi);
        }
        sb_str(b, "</div>");
    }
    sb_str(b, "</div>\n");
}

/* one method's tile of a card: its chosen image, verdict, reason, path table */
static int tile(sbuf *b, imgset *is, const char *dir, int strip_px, const char *method, const cJSON *row) {
    const int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "correct"));
    const int k = img_index(is, jstr(row, "filename"));
    if (k < 0) return -1;
    sb_printf(b, "<div class=\"tile %s\" data-method=\"", ok ? "ok" : "bad");
    sb_esc(b, method);
    sb_printf(b, "\"><img data-k=\"%d\" alt=\"", k);
    sb_esc(b, method);
    sb_str(b, "\"><div><b>");
    sb_esc(b, method);
    sb_printf(b, "</b> <span class=\"v\">%s</span></div>", ok ? "correct" : "incorrect");
    const char *reason = jstr(row, "reason");
    if (*reason) { sb_str(b, "<div class=\"reason\">"); sb_esc(b, reason); sb_str(b, "</div>"); }
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(row, "paths");
    const int chosen = (int)jnum(row, "chosen", -1);
    if (cJSON_IsArray(paths)) {
        const double sc = jnum(row, "score", NAN);
        sb_printf(b, "<div class=\"sub\">path %d of %d (seed %.0f)", chosen, cJSON_GetArraySize(paths),
                  jnum(row, "chosen_seed", 0));
        if (sc == sc) sb_printf(b, ", score %.3f", sc);
        sb_printf(b, "; %.0f fwd, %.0f judge</div>", jnum(row, "gen_forwards", 0), jnum(row, "judge_calls", 0));
        if (cJSON_GetArraySize(paths) > 1) { /* compact: the script draws the table when opened */
            const char *strip = jstr(row, "strip");
            int sk = -1;
            if (*strip && strip_px > 0) { /* every path's step images, one PNG shared by the methods */
                char sp[1400];
                snprintf(sp, sizeof sp, "%s/%s", dir, strip);
                if ((sk = img_index(is, sp)) < 0) return -1;
            }
            sb_printf(b, "<details data-s=\"%.0f\" data-c=\"%d\"", jnum(row, "seed", 0), chosen);
            if (sk >= 0) sb_printf(b, " data-strip=\"%d\" data-px=\"%d\"", sk, strip_px);
            sb_str(b, " data-p=\"");
            int j = 0;
            const cJSON *p;
            cJSON_ArrayForEach(p, paths) {
                const int stop = (int)jnum(p, "stop_step", -1), clear = (int)jnum(p, "clear_step", -1);
                const double pot = jnum(p, "potential", NAN), s = jnum(p, "score", NAN);
                const cJSON *cor = cJSON_GetObjectItemCaseSensitive(p, "correct");
                sb_printf(b, "%s%.0f,", j++ ? ";" : "", jnum(p, "forwards", 0));
                if (clear >= 0) sb_printf(b, "%d,", clear); else sb_str(b, "-,");
                if (pot == pot) sb_printf(b, "%.3f,", pot); else sb_str(b, "-,");
                if (stop >= 0) sb_printf(b, "%d,", stop); else sb_str(b, "-,");
                if (cJSON_IsBool(cor)) sb_str(b, cJSON_IsTrue(cor) ? "yes" : "no");
                else if (s == s) sb_printf(b, "%.3f", s);
                else sb_str(b, "-");
            }
            sb_str(b, "\"><summary>paths</summary></details>");
        }
    } else if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(row, "seed")))
        sb_printf(b, "<div class=\"sub\">seed %.0f</div>", jnum(row, "seed", 0));
    sb_str(b, "</div>");
    return 0;
}

static int gallery(sbuf *b, imgset *is, const rmethod *ms, int nm, int step, const char *dir, int strip_px,
                   const char *why) {
    const int n = ms[0].n;
    for (int m = 1; m < nm; m++)
        if (ms[m].n != n) return PARM_ERR("method folders hold different numbers of images (%s %d, %s %d)", ms[0].name, n, ms[m].name, ms[m].n);
    const char *deflt = ms[nm - 1].name; /* the filter's default method: parm if present, else the last */
    for (int m = 0; m < nm; m++)
        if (!strcmp(ms[m].name, "parm")) deflt = ms[m].name;
    int ncards = (n + step - 1) / step;
    sb_printf(b, "<h2>Gallery</h2><div class=\"controls\"><label>category <select id=\"f-tag\"><option value=\"all\">all"
                 "</option>");
    for (int t = 0; t < PARM_NTAGS; t++) sb_printf(b, "<option value=\"%s\">%s</option>", parm_tag_names[t], parm_tag_names[t]);
    sb_str(b, "</select></label><label>verdict <select id=\"f-verdict\"><option value=\"all\">all</option><option "
              "value=\"correct\">correct</option><option value=\"incorrect\">incorrect</option></select></label>"
              "<label>by method <select id=\"f-method\">");
    for (int m = 0; m < nm; m++) {
        sb_str(b, "<option value=\"");
        sb_esc(b, ms[m].name);
        sb_printf(b, "\"%s>", ms[m].name == deflt ? " selected" : "");
        sb_esc(b, ms[m].name);
        sb_str(b, "</option>");
    }
    sb_printf(b, "</select></label><span><span id=\"shown\">%d</span> of %d cards shown</span></div>\n", ncards, ncards);
    if (step > 1)
        sb_printf(b, "<p class=\"meta\" id=\"subset\">Gallery: every %d-th of the %d images in benchmark order (%d cards; "
                     "the prompts come in category blocks, so every category keeps about 1/%d of its images), %s. The "
                     "table, curves and bars above cover all %d images.</p>\n", step, n, ncards, step, why, n);
    sb_str(b, "<div class=\"gallery\">\n");
    for (int k = 0; k < n; k += step) {
        const cJSON *r0 = ms[0].rows[k];
        for (int m = 1; m < nm; m++)
            if (strcmp(jstr(ms[m].rows[k], "prompt"), jstr(r0, "prompt")))
                return PARM_ERR("image %d: %s has prompt '%s', %s '%s' (folders of different runs?)", k, ms[0].name,
                                jstr(r0, "prompt"), ms[m].name, jstr(ms[m].rows[k], "prompt"));
        sb_printf(b, "<div class=\"card\" data-k=\"%d\" data-tag=\"", k);
        sb_esc(b, jstr(r0, "tag"));
        sb_str(b, "\" data-ok=\"");
        for (int m = 0; m < nm; m++)
            sb_printf(b, "%s%s:%d", m ? "," : "", ms[m].name, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ms[m].rows[k], "correct")));
        sb_str(b, "\"><div class=\"p\">");
        sb_esc(b, jstr(r0, "prompt"));
        sb_str(b, "</div><div class=\"sub\">");
        sb_esc(b, jstr(r0, "tag"));
        const char *fn = jstr(r0, "filename"), *tail = strstr(fn, "/samples/");
        const char *slash = tail; /* prompt folder/sample name */
        while (slash && slash > fn && slash[-1] != '/') slash--;
        if (slash) { sb_str(b, " · "); sb_esc(b, slash); }
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r0, "seed"))) sb_printf(b, " · seed %.0f", jnum(r0, "seed", 0));
        sb_printf(b, "</div><div class=\"tiles%s\">", nm == 1 ? " big" : "");
        for (int m = 0; m < nm; m++)
            if (tile(b, is, dir, strip_px, ms[m].name, ms[m].rows[k])) return -1;
        sb_str(b, "</div></div>\n");
    }
    sb_str(b, "</div>\n");
    return 0;
}

int cmd_report(int argc, char **argv) {
    const char *dir = NULL, *out = NULL;
    long max_cards = 0;
    double max_mb = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "-o") || !strcmp(a, "--out")) { if (!(out = cli_value(argc, argv, i++))) return 2; }
        else if (!strcmp(a, "--max-cards")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_int(a, v, 0, 100000000, &max_cards)) return 2;
        } else if (!strcmp(a, "--max-mb")) {
            if (!(v = cli_value(argc, argv, i++)) || cli_float(a, v, 0, 1e6, &max_mb)) return 2;
        } else if (a[0] == '-') return cli_unknown("report", a);
        else if (!dir) dir = a;
        else { fprintf(stderr, "parm report: error: one DIR only ('%s' and '%s')\n", dir, a); return 2; }
    }
    if (!dir) { usage(stderr); return 2; }
    char path[1200], outbuf[1200];
    snprintf(path, sizeof path, "%s/run.json", dir);
    if (access(path, R_OK)) {
        fprintf(stderr, "parm report: error: '%s' has no run.json (is it a folder written by `parm bench`?)\n", dir);
        return 1;
    }
    if (!out) { snprintf(outbuf, sizeof outbuf, "%s/report.html", dir); out = outbuf; }
    char *txt = NULL;
    if (parm_read_file(path, &txt, NULL)) return cli_fail();
    cJSON *run = cJSON_Parse(txt);
    free(txt);
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(run, "rows");
    if (!cJSON_IsArray(rows) || !cJSON_GetArraySize(rows)) {
        cJSON_Delete(run);
        fprintf(stderr, "parm report: error: '%s' has no \"rows\" (not written by this parm's bench?)\n", path);
        return 1;
    }
    const int all = !strcmp(jstr(run, "method"), "all");
    rmethod ms[PARM_SEARCH_NMETHODS + 2];
    int nm = 0, rc = 0, steps = 0, cards = 0;
    memset(ms, 0, sizeof ms);
    const cJSON *r;
    cJSON_ArrayForEach(r, rows) { /* methods in the rows' order, each once; sweep rows have no folder */
        const char *m = jstr(r, "method");
        int seen = 0;
        for (int i = 0; i < nm; i++) seen |= !strcmp(ms[i].name, m);
        if (seen || strchr(m, '@') || nm == (int)(sizeof ms / sizeof ms[0])) continue;
        snprintf(ms[nm].name, sizeof ms[nm].name, "%s", m);
        if (all) snprintf(path, sizeof path, "%s/%s/results.jsonl", dir, m);
        else snprintf(path, sizeof path, "%s/results.jsonl", dir);
        if ((rc = load_results(path, &ms[nm++]))) break;
        if (!all) break;
    }
    imgset is = {0};
    sbuf b = {0};
    char tmpdir[] = "/tmp/parm-report-XXXXXX";
    const int have_tmp = mkdtemp(tmpdir) != NULL;
    if (!rc && !have_tmp) rc = PARM_ERR("cannot make a temp folder for the plots");
    if (!rc) {
        is.tsize = 1024;
        long total = (long)nm * (nm ? ms[0].n : 0);
        while ((long)is.tsize < 2 * total) is.tsize *= 2;
        is.hash = parm_malloc(sizeof *is.hash * is.tsize);
        is.slot = parm_malloc(sizeof *is.slot * is.tsize);
        if (!is.hash || !is.slot) rc = -1;
        else for (size_t i = 0; i < is.tsize; i++) is.slot[i] = -1;
    }
    double t0 = parm_now();
    if (!rc) {
        sb_str(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>parm report: ");
        sb_esc(&b, dir);
        sb_str(&b, "</title><style>");
        sb_str(&b, STYLE);
        sb_str(&b, "</style></head><body>\n<h1>parm bench report: ");
        sb_esc(&b, jstr(run, "method"));
        sb_str(&b, "</h1>\n<div class=\"meta\" id=\"provenance\"><div>command: <code>");
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(run, "command")) {
            sb_esc(&b, cJSON_IsString(a) ? a->valuestring : "?");
            sb_str(&b, " ");
        }
        sb_str(&b, "</code></div><div>parm <code id=\"version\">");
        sb_esc(&b, jstr(run, "parm_version"));
        sb_str(&b, "</code> · start ");
        sb_esc(&b, jstr(run, "start"));
        sb_str(&b, " · end ");
        sb_esc(&b, jstr(run, "end"));
        sb_printf(&b, " (%.0f s) · %d images per method</div>", jnum(run, "seconds", 0), nm ? ms[0].n : 0);
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(run, "intervals");
        sb_str(&b, "<div>95% intervals: ");
        sb_esc(&b, jstr(ci, "method"));
        if (jnum(ci, "resamples", 0) > 0) /* a run.json of an older parm */
            sb_printf(&b, " (%.0f resamples, seed %.0f)", jnum(ci, "resamples", 0), jnum(ci, "seed", 0));
        sb_str(&b, "</div></div>\n");
        sb_str(&b, "<h2>Methods</h2>\n");
        methods_table(&b, rows);
        rc = curves(&b, rows, tmpdir);
    }
    if (!rc) {
        bars(&b, rows);
        const cJSON *opt = cJSON_GetObjectItemCaseSensitive(run, "options");
        const int div = (int)jnum(opt, "strip_div", 0), n = nm ? ms[0].n : 0;
        const int strip_px = div > 0 ? (2 * PARM_IMG / div > PARM_IMG ? PARM_IMG : 2 * PARM_IMG / div) : 0; /* shown 2x, ≤ 64 */
        steps = (int)jnum(cJSON_GetObjectItemCaseSensitive(opt, "sampler"), "steps", 0);
        int step = max_cards > 0 && n > max_cards ? (int)((n + max_cards - 1) / max_cards) : 1;
        char why[128];
        snprintf(why, sizeof why, "--max-cards %ld", max_cards);
        const size_t head = b.n, budget = (size_t)(max_mb * 1e6);
        for (;;) { /* the smallest k (from --max-cards' on) whose page fits --max-mb */
            b.n = head;
            is.js.n = 0;
            is.count = 0;
            is.bytes = 0;
            for (size_t i = 0; i < is.tsize; i++) is.slot[i] = -1;
            if ((rc = gallery(&b, &is, ms, nm, step, dir, strip_px, why)) || b.oom || is.js.oom) break;
            const size_t total = b.n + is.js.n + 64 * 1024; /* + the files, options and script */
            if (!budget || total <= budget || step >= n) break;
            int next = (int)((double)step * total / budget * 1.02) + 1;
            step = next > step ? next : step + 1;
            snprintf(why, sizeof why, "to keep the page under --max-mb %g MB", max_mb);
        }
        cards = (n + step - 1) / step;
    }
    if (!rc) {
        sb_str(&b, "<h2>Files</h2><table class=\"files\"><tr><th>role</th><th>path</th><th>bytes</th><th>sha256</th></tr>");
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(run, "files")) {
            sb_str(&b, "<tr><td>");
            sb_esc(&b, jstr(f, "role"));
            sb_str(&b, "</td><td>");
            sb_esc(&b, jstr(f, "path"));
            sb_printf(&b, "</td><td>%.0f</td><td><code>", jnum(f, "bytes", 0));
            sb_esc(&b, jstr(f, "sha256"));
            sb_str(&b, "</code></td></tr>");
        }
        sb_str(&b, "</table>\n<h2>Options</h2><pre id=\"options\">");
        char *opt = cJSON_Print(cJSON_GetObjectItemCaseSensitive(run, "options"));
        sb_esc(&b, opt ? opt : "");
        free(opt);
        sb_str(&b, "</pre>\n<p class=\"meta\">report of ");
        sb_esc(&b, dir);
        sb_printf(&b, " written by parm %s; page ready <span id=\"ready-ms\">?</span> ms after navigation start (this "
                      "browser)</p>\n<script>var STEPS=%d,IMG=[", cli_version(), steps);
        sb_put(&b, is.js.s ? is.js.s : "", is.js.n);
        sb_str(&b, "];\n");
        sb_str(&b, SCRIPT);
        sb_str(&b, "</script>\n</body></html>\n");
        if (b.oom || is.js.oom) rc = PARM_ERR("report: out of memory");
    }
    if (!rc) {
        parm_atomic_file af;
        rc = parm_atomic_open(&af, out);
        if (!rc) {
            fwrite(b.s, 1, b.n, af.f);
            rc = parm_atomic_commit(&af);
        }
    }
    if (!rc)
        printf("report: %s (%.2f MB: %d of %d images as cards, %d distinct PNGs inlined, %.2f MB of PNG; %d method%s; "
               "%.2f s)\n", out, b.n / 1e6, cards, nm ? ms[0].n : 0, is.count, is.bytes / 1e6, nm, nm == 1 ? "" : "s",
               parm_now() - t0);
    if (have_tmp) rmdir(tmpdir);
    for (int m = 0; m < nm; m++) cli_results_free(ms[m].rows, ms[m].n);
    free(is.hash);
    free(is.slot);
    free(is.js.s);
    free(b.s);
    cJSON_Delete(run);
    return rc ? cli_fail() : 0;
}
