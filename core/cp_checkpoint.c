/* cp_checkpoint.c -- see cp_checkpoint.h. */
#include "cp_checkpoint.h"
#include "cp_output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define MAGIC "chokepoint checkpoint 1\n"
#define DIGEST 32

/* Bytes written to the file and to the running digest alike. */
typedef struct hashed_out {
    FILE *fp;
    EVP_MD_CTX *md;
    int ok;
} hashed_out;

static void put(hashed_out *o, const void *p, size_t n)
{
    if (!o->ok || n == 0)
        return;
    o->ok = fwrite(p, 1, n, o->fp) == n && EVP_DigestUpdate(o->md, p, n);
}

static void put_line(hashed_out *o, const char *key, const char *value)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%s=%s\n", key, value);
    put(o, line, (size_t)n);
}

static void put_u64(hashed_out *o, const char *key, uint64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64, value);
    put_line(o, key, text);
}

static void write_header(hashed_out *o, const cp_run_identity *id, const cp_checkpoint *ck,
                         size_t stats_bytes)
{
    put(o, MAGIC, strlen(MAGIC));
    put_line(o, "version", id->version);
    put_line(o, "commit", id->commit);
    put_line(o, "scenario", id->scenario);
    put_line(o, "scenario_sha256", id->scenario_sha256);
    put_line(o, "inputs_sha256", id->inputs_sha256);
    put_u64(o, "seed", id->seed);
    put_u64(o, "samples", id->samples);
    put_u64(o, "keep_samples", id->keep_samples);
    put_u64(o, "next_chunk", ck->next_chunk);
    put_u64(o, "cells", cp_stats_cells(ck->stats));
    put_u64(o, "stats_bytes", stats_bytes);
    put_u64(o, "kept_rows", ck->n_kept);
    put_u64(o, "kept_width", ck->kept_width);
    put(o, "\n", 1);
}

int cp_checkpoint_write(const char *dir, const cp_run_identity *id, const cp_checkpoint *ck,
                        cp_err *err)
{
    const size_t stats_bytes = cp_stats_packed_size(ck->stats);
    unsigned char *packed = malloc(stats_bytes ? stats_bytes : 1);
    if (!packed)
        return cp_err_set(err, CP_ENOMEM, "out of memory packing the checkpoint");
    cp_stats_pack(ck->stats, packed);
    cp_outfile f;
    int rc = cp_outfile_open(&f, dir, CP_CHECKPOINT_FILE, err);
    if (rc) {
        free(packed);
        return rc;
    }
    hashed_out o = {f.fp, EVP_MD_CTX_new(), 1};
    o.ok = o.md && EVP_DigestInit_ex(o.md, EVP_sha256(), NULL);
    write_header(&o, id, ck, stats_bytes);
    put(&o, packed, stats_bytes);
    put(&o, ck->kept, ck->n_kept * ck->kept_width * sizeof(double));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    o.ok = o.ok && EVP_DigestFinal_ex(o.md, digest, &len) && len == DIGEST &&
           fwrite(digest, 1, DIGEST, f.fp) == DIGEST;
    EVP_MD_CTX_free(o.md);
    free(packed);
    if (!o.ok) {
        cp_outfile_abandon(&f);
        return cp_err_set(err, CP_EIO, "%s/%s: cannot write the checkpoint", dir,
                          CP_CHECKPOINT_FILE);
    }
    return cp_outfile_commit(&f, err);
}

/* ---- reading ---------------------------------------------------------- */

static int read_all(const char *path, unsigned char **buf, size_t *n, cp_err *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cp_err_set(err, CP_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || sb.st_size < 0) {
        fclose(fp);
        return cp_err_set(err, CP_EIO, "%s: cannot read: %s", path, strerror(errno));
    }
    *n = (size_t)sb.st_size;
    *buf = malloc(*n ? *n : 1);
    int ok = *buf && fread(*buf, 1, *n, fp) == *n;
    fclose(fp);
    if (!ok) {
        free(*buf);
        *buf = NULL;
        return cp_err_set(err, CP_EIO, "%s: cannot read", path);
    }
    return CP_OK;
}

static int digest_ok(const unsigned char *buf, size_t n)
{
    if (n < DIGEST)
        return 0;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(md, buf, n - DIGEST) && EVP_DigestFinal_ex(md, digest, &len) &&
             len == DIGEST && memcmp(digest, buf + n - DIGEST, DIGEST) == 0;
    EVP_MD_CTX_free(md);
    return ok;
}

/* The header as parsed: text values and numbers. */
typedef struct header {
    cp_run_identity id;
    uint64_t next_chunk, cells, stats_bytes, kept_rows, kept_width;
    size_t length; /* bytes up to and including the blank line */
} header;

static int set_field(header *h, const char *key, const char *value)
{
    struct {
        const char *key;
        char *text;
        size_t cap;
    } texts[] = {{"version", h->id.version, sizeof h->id.version},
                 {"commit", h->id.commit, sizeof h->id.commit},
                 {"scenario", h->id.scenario, sizeof h->id.scenario},
                 {"scenario_sha256", h->id.scenario_sha256, sizeof h->id.scenario_sha256},
                 {"inputs_sha256", h->id.inputs_sha256, sizeof h->id.inputs_sha256}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (strcmp(key, texts[i].key) == 0)
            return snprintf(texts[i].text, texts[i].cap, "%s", value) < (int)texts[i].cap;
    struct {
        const char *key;
        uint64_t *value;
    } numbers[] = {{"seed", &h->id.seed},
                   {"samples", &h->id.samples},
                   {"keep_samples", &h->id.keep_samples},
                   {"next_chunk", &h->next_chunk},
                   {"cells", &h->cells},
                   {"stats_bytes", &h->stats_bytes},
                   {"kept_rows", &h->kept_rows},
                   {"kept_width", &h->kept_width}};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (strcmp(key, numbers[i].key) == 0) {
            char *end;
            errno = 0;
            *numbers[i].value = strtoull(value, &end, 10);
            return *value && !*end && errno == 0;
        }
    return 0;
}

static int parse_header(const unsigned char *buf, size_t n, header *h)
{
    memset(h, 0, sizeof *h);
    const size_t magic = strlen(MAGIC);
    if (n < magic || memcmp(buf, MAGIC, magic) != 0)
        return 0;
    size_t at = magic;
    while (at < n && buf[at] != '\n') {
        const unsigned char *nl = memchr(buf + at, '\n', n - at);
        if (!nl || nl - (buf + at) >= 256)
            return 0;
        char line[256];
        memcpy(line, buf + at, (size_t)(nl - (buf + at)));
        line[nl - (buf + at)] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            return 0;
        *eq = '\0';
        if (!set_field(h, line, eq + 1))
            return 0;
        at = (size_t)(nl - buf) + 1;
    }
    if (at >= n)
        return 0;
    h->length = at + 1;
    return 1;
}

/* The first way in which a checkpoint's run differs from this one. */
static int same_run(const char *path, const cp_run_identity *a, const cp_run_identity *b,
                    cp_err *err)
{
    struct {
        const char *what, *theirs, *ours;
    } texts[] = {{"program version", a->version, b->version},
                 {"git commit", a->commit, b->commit},
                 {"scenario file (SHA-256)", a->scenario_sha256, b->scenario_sha256},
                 {"input files (SHA-256)", a->inputs_sha256, b->inputs_sha256}};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(texts[i].theirs, texts[i].ours) != 0)
            return cp_err_set(err, CP_EINVAL,
                              "%s belongs to another run: its %s is %s, this run's is %s "
                              "(start afresh with --force, or use the same %s)",
                              path, texts[i].what, texts[i].theirs, texts[i].ours, texts[i].what);
    struct {
        const char *what;
        uint64_t theirs, ours;
    } numbers[] = {{"seed", a->seed, b->seed},
                   {"sample count", a->samples, b->samples},
                   {"--keep-samples", a->keep_samples, b->keep_samples}};
    for (size_t i = 0; i < 3; i++)
        if (numbers[i].theirs != numbers[i].ours)
            return cp_err_set(err, CP_EINVAL,
                              "%s belongs to another run: its %s is %" PRIu64
                              ", this run's is %" PRIu64 " (start afresh with --force)",
                              path, numbers[i].what, numbers[i].theirs, numbers[i].ours);
    return CP_OK;
}

static int load_content(const char *path, const unsigned char *buf, size_t n, const header *h,
                        cp_checkpoint *ck, cp_err *err)
{
    const size_t payload = n - DIGEST - h->length;
    const uint64_t kept_bytes = h->kept_rows * h->kept_width * sizeof(double);
    if (h->cells != cp_stats_cells(ck->stats) || h->kept_width != ck->kept_width)
        return cp_err_set(err, CP_EINVAL, "%s: made for another graph (%" PRIu64 " cells)", path,
                          h->cells);
    if (h->stats_bytes > payload || kept_bytes != payload - h->stats_bytes)
        return cp_err_set(err, CP_EINVAL, "%s: sizes in the header do not match the file", path);
    const unsigned char *p = buf + h->length;
    int rc = cp_stats_unpack_merge(ck->stats, p, h->stats_bytes, err);
    if (rc)
        return cp_err_wrap(err, "%s", path);
    ck->next_chunk = h->next_chunk;
    ck->n_kept = h->kept_rows;
    ck->kept = malloc(kept_bytes ? kept_bytes : 1);
    if (!ck->kept)
        return cp_err_set(err, CP_ENOMEM, "out of memory reading %s", path);
    memcpy(ck->kept, p + h->stats_bytes, kept_bytes);
    return CP_OK;
}

int cp_checkpoint_read(const char *dir, const cp_run_identity *expect, cp_checkpoint *ck,
                       cp_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, CP_CHECKPOINT_FILE);
    unsigned char *buf = NULL;
    size_t n = 0;
    int rc = read_all(path, &buf, &n, err);
    if (rc)
        return rc;
    header h;
    if (!digest_ok(buf, n))
        rc = cp_err_set(err, CP_EINVAL,
                        "%s is corrupt (its checksum does not match: cut short or changed); "
                        "remove it to start afresh",
                        path);
    else if (!parse_header(buf, n - DIGEST, &h))
        rc = cp_err_set(err, CP_EINVAL, "%s is not a chokepoint checkpoint this version reads",
                        path);
    else if (!(rc = same_run(path, &h.id, expect, err)))
        rc = load_content(path, buf, n, &h, ck, err);
    free(buf);
    return rc;
}

int cp_checkpoint_peek(const char *dir, cp_run_identity *id, uint64_t *next_chunk, cp_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, CP_CHECKPOINT_FILE);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cp_err_set(err, CP_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char buf[4096];
    const size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    header h;
    if (!parse_header(buf, n, &h))
        return cp_err_set(err, CP_EINVAL, "%s is not a chokepoint checkpoint", path);
    *id = h.id;
    *next_chunk = h.next_chunk;
    return CP_OK;
}

int cp_checkpoint_exists(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, CP_CHECKPOINT_FILE);
    return access(path, F_OK) == 0;
}

void cp_checkpoint_remove(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, CP_CHECKPOINT_FILE);
    unlink(path);
}

void cp_checkpoint_run_id(const cp_run_identity *id, char out[17])
{
    char text[512];
    int n = snprintf(text, sizeof text, "%s|%s|%s|%s|%" PRIu64 "|%" PRIu64 "|%" PRIu64, id->version,
                     id->commit, id->scenario_sha256, id->inputs_sha256, id->seed, id->samples,
                     id->keep_samples);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text, (size_t)n, digest, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}
