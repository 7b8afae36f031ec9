/* fuzz.h — shared by the fuzz harnesses (tests/fuzz/fuzz_*.c).
 * Each harness defines `int fuzz_NAME(const uint8_t *data, size_t size)`:
 * feed the bytes to one parser of untrusted input, which must return 0 or -1
 * (never crash, hang, leak or read out of bounds). Built with
 * -DPARM_LIBFUZZER it is also LLVMFuzzerTestOneInput (make fuzz); without it,
 * tests/test_fuzz_replay.c calls every harness on the committed seed/ and
 * regress/ inputs (make test). Parsers that read a file get the bytes through
 * fuzz_file(): a per-process file under /dev/shm (or /tmp).
 * Harnesses: safetensors, checkpoint, pathset, png, metadata (GenEval JSONL),
 * prompt (the grammar), plot (bench --json rows), prefset (DPO preference
 * sets). A new parser gets fuzz_NAME.c here, seeds from make_seeds.c and a
 * line in test_fuzz_replay.c. */
#ifndef PARM_FUZZ_H
#define PARM_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parm.h"

#define FUZZ_ENTRY(name)                                                            \
    int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);                         \
    int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { fuzz_##name(d, n); return 0; }

/* Little-endian u32 and FNV-1a 32 (the path set's and preference set's
 * checksums), so harnesses can fix checksums up and reach the checks behind. */
static inline uint32_t fz_get32(const uint8_t *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline void fz_put32(uint8_t *b, uint32_t v) {
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t fz_fnv(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; }
    return h;
}

/* A copy of d[0..n) with the header checksum (bytes 60..63 over 0..59) and
 * every record's (172..175 over the rest; record size at bytes 32..35)
 * recomputed, as path sets and preference sets lay them out; malloc'd. */
static inline uint8_t *fuzz_fix_checksums(const uint8_t *d, size_t n) {
    uint8_t *c = malloc(n);
    if (!c) return NULL;
    memcpy(c, d, n);
    fz_put32(c + 60, fz_fnv(2166136261u, c, 60));
    size_t R = fz_get32(c + 32);
    if (R > 176)
        for (size_t off = 64; off + R <= n; off += R)
            fz_put32(c + off + 172, fz_fnv(fz_fnv(2166136261u, c + off, 172), c + off + 176, R - 176));
    return c;
}
/* The bytes written to a file (the same path every call of this process);
 * its path, or NULL if it could not be written. */
static inline const char *fuzz_file(const char *tag, const uint8_t *d, size_t n) {
    static char path[256];
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/parm-fuzz-%s.%d", dir, tag, (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    size_t w = n ? fwrite(d, 1, n, f) : 0;
    if (fclose(f) != 0 || w != n) return NULL;
    return path;
}
/* The bytes as a NUL-terminated malloc'd string (stops at an embedded NUL). */
static inline char *fuzz_str(const uint8_t *d, size_t n) {
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, d, n);
    s[n] = 0;
    return s;
}
#endif
