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

#include <bzlib.h>
#include <openssl/evp.h>

/* 2: a kind line, and one stats line per set of statistics.  3: the binary
 * state compressed with bzip2 (a "payload=bzip2" line says so). */
#define MAGIC "chokepoint checkpoint 3\n"
#define PAYLOAD "bzip2"
#define DIGEST 32
/* bzip2's largest blocks (900 kB): the best ratio it has.  Its lengths are
 * unsigned ints, so buffers go to it in pieces of at most this. */
#define BZ_LEVEL 9
#define BZ_PIECE ((size_t)1 << 30)

/* Bytes written to the file and to the running digest alike. */
typedef struct hashed_out {
    FILE *fp;
    EVP_MD_CTX *md;
    int ok;
    int error; /* errno of the first failed write, for the message */
} hashed_out;

static void put(hashed_out *o, const void *p, size_t n)
{
    if (!o->ok || n == 0)
        return;
    errno = 0;
    o->ok = fwrite(p, 1, n, o->fp) == n && EVP_DigestUpdate(o->md, p, n);
    if (!o->ok && !o->error)
        o->error = errno ? errno : EIO;
}

static void put_line(hashed_out *o, const char *key, const char *value)
{
    char line[1200];
    int n = snprintf(line, sizeof line, "%s=%s\n", key, value);
    put(o, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

static void put_u64(hashed_out *o, const char *key, uint64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64, value);
    put_line(o, key, text);
}

/* The statistics of ck as one list: a run's single set, or a comparison's. */
static cp_stats *const *sets_of(const cp_checkpoint *ck, size_t *n)
{
    *n = ck->n_sets ? ck->n_sets : 1;
    return ck->n_sets ? ck->sets : &ck->stats;
}

/* One "stats=CELLS,BYTES" line per set of statistics, in order: the reader
 * checks the count and the cells before merging anything. */
static void write_header(hashed_out *o, const cp_run_identity *id, const cp_checkpoint *ck)
{
    put(o, MAGIC, strlen(MAGIC));
    put_line(o, "kind", id->kind);
    put_line(o, "version", id->version);
    put_line(o, "commit", id->commit);
    put_line(o, "scenario", id->scenario);
    put_line(o, "scenario_sha256", id->scenario_sha256);
    put_line(o, "inputs_sha256", id->inputs_sha256);
    put_u64(o, "seed", id->seed);
    put_u64(o, "samples", id->samples);
    put_u64(o, "keep_samples", id->keep_samples);
    if (id->design[0])
        put_line(o, "design", id->design);
    if (id->options[0])
        put_line(o, "options", id->options);
    for (const char *f = id->files; *f;) {
        const size_t len = strcspn(f, "\n");
        char line[4400];
        if (len < sizeof line - 8) {
            snprintf(line, sizeof line, "file=%.*s\n", (int)len, f);
            put(o, line, strlen(line));
        }
        f += len + (f[len] == '\n');
    }
    put_u64(o, "next_chunk", ck->next_chunk);
    size_t n_sets;
    cp_stats *const *sets = sets_of(ck, &n_sets);
    for (size_t i = 0; i < n_sets; i++) {
        char text[64];
        snprintf(text, sizeof text, "%zu,%zu", cp_stats_cells(sets[i]),
                 cp_stats_packed_size(sets[i]));
        put_line(o, "stats", text);
    }
    put_u64(o, "kept_rows", ck->n_kept);
    put_u64(o, "kept_width", ck->kept_width);
    put_line(o, "payload", PAYLOAD);
    put(o, "\n", 1);
}

/* Writes through o what the compressor gives for action: until it has
 * taken all its input (BZ_RUN) or ended the stream (BZ_FINISH).  0 if
 * bzip2 fails. */
static int drain(hashed_out *o, bz_stream *z, int action)
{
    unsigned char out[1 << 16];
    for (;;) {
        z->next_out = (char *)out;
        z->avail_out = sizeof out;
        const int rc = BZ2_bzCompress(z, action);
        put(o, out, sizeof out - z->avail_out);
        if (action == BZ_RUN ? rc != BZ_RUN_OK : rc != BZ_FINISH_OK && rc != BZ_STREAM_END)
            return 0;
        if (action == BZ_RUN ? z->avail_in == 0 : rc == BZ_STREAM_END)
            return 1;
    }
}

/* Compresses n bytes at p into o. */
static int feed(hashed_out *o, bz_stream *z, const unsigned char *p, size_t n)
{
    for (size_t at = 0; at < n; at += BZ_PIECE) {
        z->next_in = (char *)(p + at); /* bzip2 only reads through it */
        z->avail_in = (unsigned)(n - at < BZ_PIECE ? n - at : BZ_PIECE);
        if (!drain(o, z, BZ_RUN))
            return 0;
    }
    return 1;
}

/* The statistics go to the compressor in parts of about this many bytes
 * (cp_stats_pack_part), so that writing holds one part, not the whole
 * packed form (22 MB for the baseline at 100,000 samples). */
#define PACK_PART ((size_t)1 << 20)

/* Every set packed, one after the other, part by part into o through z,
 * with room for a part at part. */
static int feed_sets(hashed_out *o, bz_stream *z, const cp_checkpoint *ck, unsigned char *part)
{
    size_t n_sets;
    cp_stats *const *sets = sets_of(ck, &n_sets);
    for (size_t i = 0; i < n_sets; i++) {
        cp_stats_parts pt;
        cp_stats_parts_init(&pt);
        while (!cp_stats_parts_done(&pt))
            if (!feed(o, z, part, cp_stats_pack_part(sets[i], &pt, PACK_PART, part)))
                return 0;
    }
    return 1;
}

/* The binary state -- the packed statistics, then the kept rows --
 * compressed: sketch counts are mostly small and zero, and bzip2 makes a
 * checkpoint a sixth of their size (tests/e2e/resume.sh checks a fifth). */
static int put_payload(hashed_out *o, const cp_checkpoint *ck, unsigned char *part)
{
    bz_stream z;
    memset(&z, 0, sizeof z);
    if (BZ2_bzCompressInit(&z, BZ_LEVEL, 0, 0) != BZ_OK)
        return 0;
    const int ok = feed_sets(o, &z, ck, part) &&
                   feed(o, &z, (const unsigned char *)ck->kept,
                        ck->n_kept * ck->kept_width * sizeof(double)) &&
                   drain(o, &z, BZ_FINISH);
    BZ2_bzCompressEnd(&z);
    return ok;
}

/* Room for a part of any of the sets (malloc'd). */
static unsigned char *part_room(const cp_checkpoint *ck)
{
    size_t n_sets, bound = 1;
    cp_stats *const *sets = sets_of(ck, &n_sets);
    for (size_t i = 0; i < n_sets; i++) {
        const size_t b = cp_stats_part_bound(sets[i], PACK_PART);
        bound = b > bound ? b : bound;
    }
    return malloc(bound);
}

int cp_checkpoint_write(const char *dir, const cp_run_identity *id, const cp_checkpoint *ck,
                        cp_err *err)
{
    unsigned char *part = part_room(ck);
    if (!part)
        return cp_err_set(err, CP_ENOMEM, "out of memory packing the checkpoint");
    cp_outfile f;
    int rc = cp_outfile_open(&f, dir, CP_CHECKPOINT_FILE, err);
    if (rc) {
        free(part);
        return rc;
    }
    hashed_out o = {f.fp, EVP_MD_CTX_new(), 1, 0};
    o.ok = o.md && EVP_DigestInit_ex(o.md, EVP_sha256(), NULL);
    write_header(&o, id, ck);
    const int compressed = put_payload(&o, ck, part);
    o.ok = o.ok && compressed;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    o.ok = o.ok && EVP_DigestFinal_ex(o.md, digest, &len) && len == DIGEST;
    put(&o, digest, o.ok ? DIGEST : 0);
    EVP_MD_CTX_free(o.md);
    free(part);
    if (!o.ok) {
        cp_outfile_abandon(&f);
        return cp_err_set(err, CP_EIO, "%s/%s: cannot write the checkpoint: %s", dir,
                          CP_CHECKPOINT_FILE,
                          o.error      ? strerror(o.error)
                          : compressed ? "the SHA-256 digest failed"
                                       : "bzip2 failed (out of memory?)");
    }
    return cp_outfile_commit(&f, err);
}

/* ---- reading ---------------------------------------------------------- */

/* A file is read twice, in pieces, never whole: once to check its digest
 * and read its header, then to merge its state as it is decompressed, so
 * that resuming holds no more than a run does (a comparison's checkpoint
 * is hundreds of megabytes unpacked). */
#define READ_PIECE ((size_t)1 << 16)
/* A header longer than this is not one this version writes (a few dozen
 * lines of at most 4,400 bytes, and a line for each set of statistics). */
#define HEADER_MAX ((size_t)1 << 20)

/* What reading a file can meet besides success. */
enum { READ_OK, READ_SHRANK, READ_FAILED };

/* Reads n bytes into buf: READ_OK, READ_SHRANK if the file ends first, or
 * READ_FAILED (errno in *error). */
static int read_exactly(FILE *fp, unsigned char *buf, size_t n, int *error)
{
    errno = 0;
    if (fread(buf, 1, n, fp) == n)
        return READ_OK;
    *error = errno ? errno : EIO;
    return ferror(fp) ? READ_FAILED : READ_SHRANK;
}

/* The n bytes from fp's place on join md, through piece (READ_PIECE). */
static int hash_bytes(FILE *fp, EVP_MD_CTX *md, uint64_t n, unsigned char *piece, int *error)
{
    while (n > 0) {
        const size_t want = n < READ_PIECE ? (size_t)n : READ_PIECE;
        const int how = read_exactly(fp, piece, want, error);
        if (how != READ_OK)
            return how;
        EVP_DigestUpdate(md, piece, want);
        n -= want;
    }
    return READ_OK;
}

/* The message for a read that did not succeed. */
static int read_error(const char *path, int how, int error, cp_err *err)
{
    if (how == READ_SHRANK)
        return cp_err_set(err, CP_EIO, "%s: cannot read: it shrank while being read", path);
    return cp_err_set(err, CP_EIO, "%s: cannot read: %s", path, strerror(error));
}

/* The first pass over the open checkpoint of `size` bytes: its first
 * bytes, up to HEADER_MAX, into head (with READ_PIECE bytes of room after
 * them), *n_head of them; the SHA-256 of all but its last DIGEST bytes
 * into digest; *sound if those bytes are that digest. */
static int first_pass(const char *path, FILE *fp, uint64_t size, unsigned char *head,
                      size_t *n_head, unsigned char digest[DIGEST], int *sound, cp_err *err)
{
    *n_head = 0;
    *sound = 0;
    if (size < DIGEST)
        return CP_OK;
    const uint64_t body = size - DIGEST;
    *n_head = body < HEADER_MAX ? (size_t)body : HEADER_MAX;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        return cp_err_set(err, CP_ENOMEM, "out of memory reading %s", path);
    }
    unsigned char stored[DIGEST];
    int error = 0, how = read_exactly(fp, head, *n_head, &error);
    if (how == READ_OK) {
        EVP_DigestUpdate(md, head, *n_head);
        how = hash_bytes(fp, md, body - *n_head, head + HEADER_MAX, &error);
    }
    if (how == READ_OK)
        how = read_exactly(fp, stored, DIGEST, &error);
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const int done = how == READ_OK && EVP_DigestFinal_ex(md, full, &len) && len == DIGEST;
    EVP_MD_CTX_free(md);
    if (how != READ_OK)
        return read_error(path, how, error, err);
    memcpy(digest, full, DIGEST);
    *sound = done && memcmp(digest, stored, DIGEST) == 0;
    return CP_OK;
}

/* The header as parsed: text values and numbers.  The (cells, bytes) pairs
 * of the stats lines go to the caller's room for cap_stats of them; all
 * are counted, so a file with more sets than expected is caught. */
typedef struct header {
    cp_run_identity id;
    uint64_t next_chunk, kept_rows, kept_width;
    char payload[16]; /* how the binary state is encoded: PAYLOAD */
    uint64_t (*stats)[2];
    size_t n_stats, cap_stats;
    size_t length; /* bytes up to and including the blank line */
} header;

static int number_ok(const char *text, char **end)
{
    errno = 0;
    (void)strtoull(text, end, 10);
    return *text >= '0' && *text <= '9' && errno == 0;
}

/* "CELLS,BYTES" of one set. */
static int set_stats(header *h, const char *value)
{
    char *comma, *end;
    if (!number_ok(value, &comma) || *comma != ',' || !number_ok(comma + 1, &end) || *end)
        return 0;
    if (h->n_stats < h->cap_stats) {
        h->stats[h->n_stats][0] = strtoull(value, NULL, 10);
        h->stats[h->n_stats][1] = strtoull(comma + 1, NULL, 10);
    }
    h->n_stats++;
    return 1;
}

static int set_field(header *h, const char *key, const char *value)
{
    struct {
        const char *key;
        char *text;
        size_t cap;
    } texts[] = {{"kind", h->id.kind, sizeof h->id.kind},
                 {"version", h->id.version, sizeof h->id.version},
                 {"commit", h->id.commit, sizeof h->id.commit},
                 {"scenario", h->id.scenario, sizeof h->id.scenario},
                 {"scenario_sha256", h->id.scenario_sha256, sizeof h->id.scenario_sha256},
                 {"inputs_sha256", h->id.inputs_sha256, sizeof h->id.inputs_sha256},
                 {"design", h->id.design, sizeof h->id.design},
                 {"options", h->id.options, sizeof h->id.options},
                 {"payload", h->payload, sizeof h->payload}};
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
                   {"kept_rows", &h->kept_rows},
                   {"kept_width", &h->kept_width}};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (strcmp(key, numbers[i].key) == 0) {
            char *end;
            errno = 0;
            *numbers[i].value = strtoull(value, &end, 10);
            return *value && !*end && errno == 0;
        }
    if (strcmp(key, "file") == 0) {
        const size_t used = strlen(h->id.files);
        snprintf(h->id.files + used, sizeof h->id.files - used, "%s\n", value);
        return 1;
    }
    return strcmp(key, "stats") == 0 && set_stats(h, value);
}

static int parse_header(const unsigned char *buf, size_t n, uint64_t (*stats)[2], size_t cap_stats,
                        header *h)
{
    memset(h, 0, sizeof *h);
    h->stats = stats;
    h->cap_stats = cap_stats;
    const size_t magic = strlen(MAGIC);
    if (n < magic || memcmp(buf, MAGIC, magic) != 0)
        return 0;
    size_t at = magic;
    while (at < n && buf[at] != '\n') {
        const unsigned char *nl = memchr(buf + at, '\n', n - at);
        if (!nl || nl - (buf + at) >= 4400)
            return 0;
        char line[4400];
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
    return strcmp(h->payload, PAYLOAD) == 0;
}

/* Which file made the hashes differ: one whose hash changed, one read by
 * only one of the two runs; 0 if the lists do not say (an older file). */
static int name_changed_file(const char *ck_path, const cp_run_identity *theirs,
                             const cp_run_identity *ours, cp_err *err)
{
    const cp_run_identity *lists[2] = {ours, theirs};
    for (int k = 0; k < 2; k++)
        for (const char *f = lists[k]->files; *f;) {
            const size_t len = strcspn(f, "\n");
            char path[4200], a[65], b[65];
            if (len > 65 && len - 65 < sizeof path) {
                snprintf(path, sizeof path, "%.*s", (int)(len - 65), f + 65);
                snprintf(a, sizeof a, "%.64s", f);
                const char *other = cp_output_hash_lookup(lists[1 - k]->files, path, b) ? b : NULL;
                if (!other && k == 0)
                    return cp_err_set(err, CP_EINVAL,
                                      "%s belongs to another run: this run reads %s, which the "
                                      "checkpoint's did not (start afresh with --force)",
                                      ck_path, path);
                if (!other)
                    return cp_err_set(err, CP_EINVAL,
                                      "%s belongs to another run: it read %s, which this run "
                                      "does not (start afresh with --force)",
                                      ck_path, path);
                if (strcmp(a, other) != 0)
                    return cp_err_set(err, CP_EINVAL,
                                      "%s belongs to another run: %s has changed since the "
                                      "checkpoint was written (SHA-256 %.12s..., was %.12s...); "
                                      "restore it, or start afresh with --force",
                                      ck_path, path, a, other);
            }
            f += len + (f[len] == '\n');
        }
    return 0;
}

/* The first way in which a checkpoint's run differs from this one. */
static int same_run(const char *path, const cp_run_identity *a, const cp_run_identity *b,
                    cp_err *err)
{
    struct {
        const char *what, *theirs, *ours;
    } texts[] = {{"command", a->kind, b->kind},
                 {"program version", a->version, b->version},
                 {"git commit", a->commit, b->commit},
                 {"scenario file (SHA-256)", a->scenario_sha256, b->scenario_sha256},
                 {"input files (SHA-256)", a->inputs_sha256, b->inputs_sha256},
                 {"sensitivity design (--metric, --region, --periods, --group; SHA-256)", a->design,
                  b->design},
                 {"options (stopping rule, tornado)", a->options, b->options}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (strcmp(texts[i].theirs, texts[i].ours) != 0) {
            if (i >= 3 && i <= 4 && name_changed_file(path, a, b, err))
                return CP_EINVAL;
            return cp_err_set(err, CP_EINVAL,
                              "%s belongs to another run: its %s is %s, this run's is %s "
                              "(start afresh with --force, or use the same %s)",
                              path, texts[i].what, texts[i].theirs, texts[i].ours, texts[i].what);
        }
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

/* The header's sets against the caller's: as many, each of as many cells. */
static int check_sets(const char *path, const header *h, cp_stats *const *sets, size_t n_sets,
                      uint64_t *stats_bytes, cp_err *err)
{
    if (h->n_stats != n_sets)
        return cp_err_set(err, CP_EINVAL,
                          "%s: holds %zu sets of statistics, this run has %zu (made for another "
                          "comparison)",
                          path, h->n_stats, n_sets);
    *stats_bytes = 0;
    for (size_t i = 0; i < n_sets; i++) {
        if (h->stats[i][0] != cp_stats_cells(sets[i]))
            return cp_err_set(err, CP_EINVAL, "%s: made for another graph (%" PRIu64 " cells)",
                              path, h->stats[i][0]);
        if (h->stats[i][1] > UINT64_MAX - *stats_bytes)
            return cp_err_set(err, CP_EINVAL, "%s: sizes in the header do not match the file",
                              path);
        *stats_bytes += h->stats[i][1];
    }
    return CP_OK;
}

/* ---- the second pass: the state, merged as it is decompressed ---------- */

/* The compressed state, read from the file and decompressed piece by
 * piece.  The bytes read join a digest of the file, which must come out
 * as the first pass's: else the file changed between the passes. */
typedef struct inflow {
    FILE *fp;
    EVP_MD_CTX *md;
    bz_stream z;
    uint64_t left; /* compressed bytes not yet read from the file */
    int rc;        /* bzip2's last answer; BZ_IO_ERROR when the file failed */
    unsigned char in[READ_PIECE];
} inflow;

/* Up to want bytes of the state into out; returns how many.  Fewer only
 * when the stream has ended (f->rc BZ_STREAM_END) or failed (f->rc
 * neither that nor BZ_OK: cut short, damaged, or the file unreadable). */
static size_t inflow_read(inflow *f, unsigned char *out, size_t want)
{
    size_t have = 0;
    while (have < want && f->rc == BZ_OK) {
        if (f->z.avail_in == 0 && f->left > 0) {
            const size_t give = f->left < READ_PIECE ? (size_t)f->left : READ_PIECE;
            if (fread(f->in, 1, give, f->fp) != give) {
                f->rc = BZ_IO_ERROR;
                break;
            }
            EVP_DigestUpdate(f->md, f->in, give);
            f->left -= give;
            f->z.next_in = (char *)f->in; /* bzip2 only reads through it */
            f->z.avail_in = (unsigned)give;
        }
        const size_t room = want - have < BZ_PIECE ? want - have : BZ_PIECE;
        f->z.next_out = (char *)(out + have);
        f->z.avail_out = (unsigned)room;
        f->rc = BZ2_bzDecompress(&f->z);
        have += room - f->z.avail_out;
        if (f->rc == BZ_OK && f->z.avail_in == 0 && f->left == 0 && f->z.avail_out > 0)
            f->rc = BZ_UNEXPECTED_EOF; /* no more input, and it wants some */
    }
    return have;
}

/* Reads the stream to its end, dropping what it gives into room (size
 * bytes): 1 if it ends soundly there, with no bytes after it in the file;
 * *more says whether it gave any. */
static int inflow_finish(inflow *f, unsigned char *room, size_t size, int *more)
{
    *more = 0;
    while (f->rc == BZ_OK)
        *more |= inflow_read(f, room, size) > 0;
    return f->rc == BZ_STREAM_END && f->z.avail_in == 0 && f->left == 0;
}

/* Merges one set of statistics, the next `bytes` of the stream, into st,
 * part by part through buf (room bytes, at least a part's bound).  Sets
 * *short_read when the stream gives fewer bytes than that. */
static int merge_set(inflow *f, cp_stats *st, uint64_t bytes, unsigned char *buf, size_t room,
                     int *short_read, cp_err *err)
{
    cp_stats_parts pt;
    cp_stats_parts_init(&pt);
    size_t have = 0; /* bytes of the set in buf, not yet merged */
    while (!cp_stats_parts_done(&pt)) {
        const size_t want = (bytes < room ? (size_t)bytes : room) - have;
        const size_t got = inflow_read(f, buf + have, want);
        have += got;
        if (got < want) {
            *short_read = 1;
            return cp_err_set(err, CP_EINVAL, "packed statistics truncated");
        }
        size_t len = 0;
        int rc = cp_stats_part_length(st, &pt, buf, have, have == bytes, &len, err);
        if (!rc)
            rc = cp_stats_merge_part(st, &pt, buf, len, err);
        if (rc)
            return rc;
        memmove(buf, buf + len, have - len);
        have -= len;
        bytes -= len;
    }
    if (bytes > 0)
        return cp_err_set(err, CP_EINVAL, "packed statistics: %" PRIu64 " bytes after them", bytes);
    return CP_OK;
}

/* The kept rows, the next `bytes` of the stream, into *rows (malloc'd),
 * which grows with what the stream gives: a header that claims more than
 * the stream holds costs no more memory than it gives.  Sets *short_read
 * when the stream gives fewer. */
static int read_rows(inflow *f, uint64_t bytes, double **rows, int *short_read)
{
    unsigned char *out = malloc(1);
    size_t cap = 0, have = 0;
    while (out && have < bytes) {
        if (have == cap) {
            const size_t grow = cap ? 2 * cap : (size_t)1 << 20;
            cap = grow < bytes ? grow : (size_t)bytes;
            unsigned char *bigger = realloc(out, cap);
            if (!bigger) {
                free(out);
                out = NULL;
                break;
            }
            out = bigger;
        }
        const size_t got = inflow_read(f, out + have, cap - have);
        if (got < cap - have)
            *short_read = 1;
        have += got;
        if (*short_read)
            break;
    }
    *rows = (double *)out;
    return out ? CP_OK : CP_ENOMEM;
}

/* Room for a part of any of the sets, and how many bytes (malloc'd). */
static unsigned char *merge_room(cp_stats *const *sets, size_t n_sets, size_t *room)
{
    *room = READ_PIECE;
    for (size_t i = 0; i < n_sets; i++) {
        const size_t b = cp_stats_part_bound(sets[i], PACK_PART);
        *room = b > *room ? b : *room;
    }
    return malloc(*room);
}

/* Merges the state that follows header h from f: every set into ck's, and
 * the kept rows into ck->kept (malloc'd).  The stream is to blame (the
 * file is corrupt) if it fails, ends early or late; a set's own message
 * stands only when the stream is sound. */
static int merge_state(const char *path, const header *h, inflow *f, cp_checkpoint *ck,
                       uint64_t kept_bytes, cp_err *err)
{
    size_t n_sets, room;
    cp_stats *const *sets = sets_of(ck, &n_sets);
    unsigned char *buf = merge_room(sets, n_sets, &room);
    if (!buf || kept_bytes > SIZE_MAX) {
        free(buf);
        return cp_err_set(err, CP_ENOMEM, "out of memory reading %s", path);
    }
    int rc = CP_OK, short_read = 0, more = 0;
    for (size_t i = 0; !rc && i < n_sets; i++)
        if ((rc = merge_set(f, sets[i], h->stats[i][1], buf, room, &short_read, err)))
            cp_err_wrap(err, "%s: statistics %zu", path, i + 1);
    if (!rc && (rc = read_rows(f, kept_bytes, &ck->kept, &short_read)))
        cp_err_set(err, CP_ENOMEM, "out of memory reading %s", path);
    const int sound = inflow_finish(f, buf, room, &more);
    free(buf);
    if (!sound || short_read || (!rc && more))
        return cp_err_set(err, CP_EINVAL,
                          "%s is corrupt (its compressed state does not give the sizes its "
                          "header names); remove it to start afresh",
                          path);
    return rc;
}

/* The header's sets and kept rows against the caller's; *kept_bytes: the
 * kept rows' size. */
static int check_content(const char *path, const header *h, const cp_checkpoint *ck,
                         uint64_t *kept_bytes, cp_err *err)
{
    size_t n_sets;
    cp_stats *const *sets = sets_of(ck, &n_sets);
    uint64_t stats_bytes = 0;
    const int rc = check_sets(path, h, sets, n_sets, &stats_bytes, err);
    if (rc)
        return rc;
    if (h->kept_width != ck->kept_width)
        return cp_err_set(err, CP_EINVAL, "%s: made for another graph (%" PRIu64 " kept values)",
                          path, h->kept_width);
    const uint64_t row_bytes = h->kept_width * sizeof(double);
    if (row_bytes && h->kept_rows > (UINT64_MAX - stats_bytes) / row_bytes)
        return cp_err_set(err, CP_EINVAL, "%s: sizes in the header do not match the file", path);
    *kept_bytes = h->kept_rows * row_bytes;
    return CP_OK;
}

/* The second pass over fp (size bytes, its header h): the header's bytes
 * hashed again, then the state merged as it is decompressed, then the
 * digest, which must be the first pass's. */
static int second_pass(const char *path, FILE *fp, uint64_t size, const header *h,
                       const unsigned char digest[DIGEST], unsigned char *piece, cp_checkpoint *ck,
                       cp_err *err)
{
    uint64_t kept_bytes = 0;
    int rc = check_content(path, h, ck, &kept_bytes, err);
    if (rc)
        return rc;
    inflow *f = calloc(1, sizeof *f);
    if (!f || !(f->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(f->md, EVP_sha256(), NULL) ||
        BZ2_bzDecompressInit(&f->z, 0, 0) != BZ_OK) {
        if (f)
            EVP_MD_CTX_free(f->md);
        free(f);
        return cp_err_set(err, CP_ENOMEM, "out of memory reading %s", path);
    }
    f->fp = fp;
    f->left = size - DIGEST - h->length;
    int error = 0, how = fseek(fp, 0, SEEK_SET) == 0 ? READ_OK : READ_FAILED;
    if (how == READ_OK)
        how = hash_bytes(fp, f->md, h->length, piece, &error);
    if (how == READ_OK)
        rc = merge_state(path, h, f, ck, kept_bytes, err);
    if (how == READ_OK) /* what the stream left unread */
        how = hash_bytes(fp, f->md, f->left, piece, &error);
    unsigned char again[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const int same = how == READ_OK && EVP_DigestFinal_ex(f->md, again, &len) && len == DIGEST &&
                     memcmp(again, digest, DIGEST) == 0;
    BZ2_bzDecompressEnd(&f->z);
    EVP_MD_CTX_free(f->md);
    free(f);
    if (how != READ_OK)
        return read_error(path, how, error ? error : errno, err);
    if (!same)
        return cp_err_set(err, CP_EIO,
                          "%s changed while it was being read (is another run writing to %s?)",
                          path, path);
    return rc;
}

int cp_checkpoint_read(const char *dir, const cp_run_identity *expect, cp_checkpoint *ck,
                       cp_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, CP_CHECKPOINT_FILE);
    ck->kept = NULL;
    size_t n_sets;
    sets_of(ck, &n_sets);
    uint64_t(*stats)[2] = malloc((n_sets ? n_sets : 1) * sizeof *stats);
    unsigned char *head = malloc(HEADER_MAX + READ_PIECE);
    FILE *fp = stats && head ? fopen(path, "rb") : NULL;
    struct stat sb;
    int rc;
    if (!stats || !head)
        rc = cp_err_set(err, CP_ENOMEM, "out of memory reading %s", path);
    else if (!fp)
        rc = cp_err_set(err, CP_EIO, "%s: cannot open: %s", path, strerror(errno));
    else if (fstat(fileno(fp), &sb) != 0 || sb.st_size < 0)
        rc = cp_err_set(err, CP_EIO, "%s: cannot read: %s", path, strerror(errno));
    else {
        const uint64_t size = (uint64_t)sb.st_size;
        unsigned char digest[DIGEST];
        size_t n_head = 0;
        int sound = 0;
        header h;
        rc = first_pass(path, fp, size, head, &n_head, digest, &sound, err);
        if (!rc && !sound)
            rc = cp_err_set(err, CP_EINVAL,
                            "%s is corrupt (its checksum does not match: cut short or changed); "
                            "remove it to start afresh",
                            path);
        else if (!rc && !parse_header(head, n_head, stats, n_sets, &h))
            rc = cp_err_set(err, CP_EINVAL, "%s is not a chokepoint checkpoint this version reads",
                            path);
        else if (!rc && !(rc = same_run(path, &h.id, expect, err)))
            rc = second_pass(path, fp, size, &h, digest, head + HEADER_MAX, ck, err);
        if (!rc) {
            ck->next_chunk = h.next_chunk;
            ck->n_kept = h.kept_rows;
        }
    }
    if (rc) {
        free(ck->kept);
        ck->kept = NULL;
    }
    if (fp)
        fclose(fp);
    free(head);
    free(stats);
    return rc;
}

/* The header is at the start; this much holds it with room for hundreds
 * of sets of statistics. */
#define PEEK_BYTES 65536

int cp_checkpoint_peek(const char *dir, cp_run_identity *id, uint64_t *next_chunk, cp_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, CP_CHECKPOINT_FILE);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cp_err_set(err, CP_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char *buf = malloc(PEEK_BYTES);
    const size_t n = buf ? fread(buf, 1, PEEK_BYTES, fp) : 0;
    fclose(fp);
    if (!buf)
        return cp_err_set(err, CP_ENOMEM, "out of memory reading %s", path);
    header h;
    const int ok = parse_header(buf, n, NULL, 0, &h);
    free(buf);
    if (!ok)
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
    char text[1600];
    int n = snprintf(text, sizeof text, "%s|%s|%s|%s|%s|%" PRIu64 "|%" PRIu64 "|%" PRIu64, id->kind,
                     id->version, id->commit, id->scenario_sha256, id->inputs_sha256, id->seed,
                     id->samples, id->keep_samples);
    if (id->design[0] && n > 0 && (size_t)n < sizeof text)
        n += snprintf(text + n, sizeof text - (size_t)n, "|%s", id->design);
    /* Only when set, so a plain run's id is unchanged. */
    if (id->options[0] && n > 0 && (size_t)n < sizeof text)
        n += snprintf(text + n, sizeof text - (size_t)n, "|%s", id->options);
    if (n >= (int)sizeof text)
        n = (int)sizeof text - 1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text, (size_t)n, digest, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}
