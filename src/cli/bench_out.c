/* bench_out.c — `parm bench`'s output folder, so that runs never mix:
 *   - a non-empty folder is refused unless --overwrite (clears it; only a
 *     folder parm bench made, i.e. one holding BENCH_MANIFEST) or --resume;
 *   - every run writes DIR/run.json first ({"status": "running",
 *     "resume_key": {its options}}; bench_provenance.c rewrites it whole at
 *     the end, resume_key kept): one file says what the folder is; --resume
 *     continues only a run with the same resume_key, after removing the temp
 *     files a killed run leaves (*.tmp.<pid>). A folder of an older parm
 *     (bench-run.json) can still be cleared with --overwrite;
 *   - a work unit (one prompt's images for batch methods, else one image) is
 *     complete when its PNGs read back as 64×64 images and, for a batch unit,
 *     its cost file DIR/<NNNNN>/cost.txt ("forwards judge_calls") exists: a
 *     resumed run skips complete units and adds their recorded costs, so it
 *     ends with the same images, results.jsonl and costs as one uninterrupted
 *     run (only the measured seconds differ). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "parm.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)flag; (void)ftw;
    return remove(path) ? -1 : 0;
}

/* Remove every entry of dir (not dir itself); 0 or -1 with an error. */
static int clear_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return PARM_ERR("cannot open folder '%s': %s", dir, strerror(errno));
    int rc = 0;
    for (struct dirent *e; !rc && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS)) rc = PARM_ERR("cannot remove '%s': %s", p, strerror(errno));
    }
    closedir(d);
    return rc;
}

/* Remove "*.tmp.*" files anywhere under dir (what a killed run leaves). */
static int rm_tmp(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    if (flag == FTW_F && strstr(path + ftw->base, ".tmp.")) remove(path);
    return 0;
}

/* Entries of dir (-1 if it cannot be read), "." and ".." not counted. */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* the resume_key object of run.json's text (NULL if none) */
static cJSON *resume_key(const char *run_json, cJSON **root) {
    *root = run_json ? cJSON_Parse(run_json) : NULL;
    cJSON *k = cJSON_GetObjectItemCaseSensitive(*root, "resume_key");
    return cJSON_IsObject(k) ? k : NULL;
}

int bench_out_prepare(const char *dir, const char *manifest, int overwrite, int resume, int commit) {
    if (overwrite && resume) {
        fprintf(stderr, "parm bench: error: --overwrite and --resume exclude each other\n");
        return 2;
    }
    struct stat st;
    char mpath[1100], legacy[1100];
    snprintf(mpath, sizeof mpath, "%s/%s", dir, BENCH_MANIFEST);
    snprintf(legacy, sizeof legacy, "%s/bench-run.json", dir);
    if (lstat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            fprintf(stderr, "parm bench: error: --out '%s' exists and is not a folder\n", dir);
            return 2;
        }
        int n = count_entries(dir);
        if (n < 0) { fprintf(stderr, "parm bench: error: cannot read folder '%s': %s\n", dir, strerror(errno)); return 2; }
        if (n > 0) {
            char *have = NULL;
            cJSON *root = NULL, *key = NULL;
            if (parm_read_file(mpath, &have, NULL) == 0) key = resume_key(have, &root);
            int ours = key != NULL || (overwrite && access(legacy, F_OK) == 0); /* an older parm's folder */
            parm_clear_error();
            int rc = 0;
            if (!overwrite && !resume) {
                fprintf(stderr, "parm bench: error: output folder '%s' is not empty (%d entries); give --overwrite to "
                                "clear it or --resume to continue %s\n", dir, n,
                        ours ? "its interrupted run" : "an interrupted run");
                rc = 2;
            } else if (!ours) {
                fprintf(stderr, "parm bench: error: %s '%s': the folder has no %s with a resume_key, so this parm's "
                                "bench did not make it; refusing to %s it (empty it yourself)\n",
                        overwrite ? "--overwrite" : "--resume", dir, BENCH_MANIFEST, overwrite ? "clear" : "continue");
                rc = 2;
            } else if (commit && overwrite && clear_dir(dir)) rc = cli_fail();
            else if (resume) {
                cJSON *want = cJSON_Parse(manifest);
                const cJSON *w;
                cJSON_ArrayForEach(w, want) { /* name the first option that differs */
                    const cJSON *h = cJSON_GetObjectItemCaseSensitive(key, w->string);
                    if (h && cJSON_Compare(h, w, 1)) continue;
                    char *hs = h ? cJSON_PrintUnformatted(h) : NULL, *ws = cJSON_PrintUnformatted(w);
                    fprintf(stderr, "parm bench: error: --resume '%s': it was made by a different run (\"%s\": %s there, "
                                    "%s now; see resume_key in %s)\n", dir, w->string, hs ? hs : "absent",
                            ws ? ws : "?", mpath);
                    free(hs);
                    free(ws);
                    rc = 2;
                    break;
                }
                cJSON_Delete(want);
                if (!rc && commit) nftw(dir, rm_tmp, 16, FTW_PHYS);
            }
            cJSON_Delete(root);
            free(have);
            if (rc) return rc;
        }
    } else if (commit && parm_mkdirs(dir)) return cli_fail();
    if (!commit) return 0;
    parm_atomic_file af;
    if (parm_atomic_open(&af, mpath)) return cli_fail();
    fprintf(af.f, "{\"status\": \"running\", \"resume_key\": %s}\n", manifest);
    if (parm_atomic_commit(&af)) return cli_fail();
    return 0;
}

/* DIR/<NNNNN>/cost.txt */
static void cost_path(char *buf, size_t n, const char *dir, int i) { snprintf(buf, n, "%s/%05d/cost.txt", dir, i); }

int bench_unit_done(const char *dir, int i, long j0, long n, int batch, long *forwards, long *judge_calls) {
    *forwards = *judge_calls = 0;
    for (long j = j0; j < j0 + n; j++) {
        char p[1100];
        uint8_t *rgb = NULL;
        int w, h;
        if (parm_geneval_sample_path(p, sizeof p, dir, i, (int)j) || access(p, F_OK)) return 0;
        int ok = parm_png_read(p, &rgb, &w, &h) == 0 && w == PARM_IMG && h == PARM_IMG;
        free(rgb);
        if (!ok) return 0;
    }
    parm_clear_error();
    if (!batch) return 1;
    char p[1100], *d = NULL;
    cost_path(p, sizeof p, dir, i);
    if (access(p, F_OK) || parm_read_file(p, &d, NULL)) { parm_clear_error(); return 0; }
    int ok = sscanf(d, "%ld %ld", forwards, judge_calls) == 2 && *forwards >= 0 && *judge_calls >= 0;
    free(d);
    return ok;
}

int bench_unit_cost_write(const char *dir, int i, long forwards, long judge_calls) {
    char p[1100];
    cost_path(p, sizeof p, dir, i);
    parm_atomic_file af;
    if (parm_atomic_open(&af, p)) return -1;
    fprintf(af.f, "%ld %ld\n", forwards, judge_calls);
    return parm_atomic_commit_nosync(&af);
}
