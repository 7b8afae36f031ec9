/* binfmt.h — little-endian integers and FNV-1a 32 checksums for parm's own
 * binary files (path sets, pathset.c; preference sets, prefset.c): both keep
 * a 64-byte header whose bytes 60..63 checksum bytes 0..59, then records of
 * R bytes whose bytes 172..175 checksum the rest of the record. Internal to
 * src/models (static inline: nothing exported). */
#ifndef PARM_MODELS_BINFMT_H
#define PARM_MODELS_BINFMT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "parm/base.h"
#include "parm/world.h"

static inline void put32(uint8_t *b, uint32_t v) {
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}
static inline void put64(uint8_t *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t get32(const uint8_t *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t get64(const uint8_t *b) { return (uint64_t)get32(b) | (uint64_t)get32(b + 4) << 32; }
static inline uint32_t fnv(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; }
    return h;
}
#define FNV0 2166136261u
/* checksum of a record of R bytes: every byte but its own field at 172..175 */
static inline uint32_t record_checksum(const uint8_t *rec, size_t R) {
    return fnv(fnv(FNV0, rec, 172), rec + 176, R - 176);
}
/* A record's prompt field (bytes 0..159, NUL-terminated printable ASCII that
 * parses as a prompt of the world) into *p; -1 with an error naming the
 * file and path i. The text is kept in text[160] for the caller's messages. */
static inline int record_prompt(const uint8_t *rec, const char *file, int i, parm_prompt *p, char *text) {
    if (!memchr(rec, 0, 160)) return PARM_ERR("'%s': path %d: prompt text is not NUL-terminated", file, i);
    memcpy(text, rec, 160);
    for (int k = 0; text[k]; k++)
        if ((unsigned char)text[k] < 32 || (unsigned char)text[k] > 126)
            return PARM_ERR("'%s': path %d: prompt text has a byte 0x%02x outside printable ASCII", file, i,
                            (unsigned char)text[k]);
    if (parm_prompt_parse(text, p)) {
        char why[512];
        snprintf(why, sizeof why, "%s", parm_last_error());
        return PARM_ERR("'%s': path %d: prompt '%s' is not a prompt of the world: %s", file, i, text, why);
    }
    return 0;
}
#endif
