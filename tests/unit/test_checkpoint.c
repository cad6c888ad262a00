/* test_checkpoint.c -- checkpoints round-trip exactly and refuse to be
 * used for another run, or when damaged. */
#include "cp_test_files.h"

#include "cp_checkpoint.h"
#include "cp_stats.h"
#include "cp_xsum.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <bzlib.h>
#include <openssl/evp.h>

static char *dir;

static void setup(void)
{
    dir = tf_mkdtemp();
}

static void teardown(void)
{
    tf_rm_rf(dir);
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

enum { CELLS = 5, WIDTH = 4 };

static cp_run_identity identity(void)
{
    cp_run_identity id = {.seed = 42, .samples = 1000, .keep_samples = 2};
    strcpy(id.version, "0.1.0");
    strcpy(id.commit, "abc123");
    strcpy(id.scenario, "baseline");
    memset(id.scenario_sha256, 'a', 64);
    memset(id.inputs_sha256, 'b', 64);
    return id;
}

static cp_stats *some_stats(void)
{
    cp_stats *st = cp_stats_alloc(CELLS);
    double v[CELLS * 10];
    for (int i = 0; i < CELLS * 10; i++)
        v[i] = exp(0.1 * i) - 3.0;
    cp_err err;
    cr_assert_eq(cp_stats_add_block(st, v, 10, &err), CP_OK, "%s", err.msg);
    return st;
}

static void packed_equal(const cp_stats *a, const cp_stats *b)
{
    size_t na = cp_stats_packed_size(a), nb = cp_stats_packed_size(b);
    unsigned char *pa = malloc(na), *pb = malloc(nb);
    cp_stats_pack(a, pa);
    cp_stats_pack(b, pb);
    cr_assert(na == nb && memcmp(pa, pb, na) == 0, "statistics differ after the round trip");
    free(pa);
    free(pb);
}

static void write_one(const cp_run_identity *id, cp_stats *st)
{
    double kept[2 * WIDTH] = {0, 1.5, -2, 3, 1, 4, 5, 6};
    cp_checkpoint ck = {
        .next_chunk = 7, .stats = st, .kept = kept, .n_kept = 2, .kept_width = WIDTH};
    cp_err err;
    cr_assert_eq(cp_checkpoint_write(dir, id, &ck, &err), CP_OK, "%s", err.msg);
}

Test(checkpoint, round_trip)
{
    cp_run_identity id = identity();
    cp_stats *st = some_stats();
    cr_assert_not(cp_checkpoint_exists(dir));
    write_one(&id, st);
    cr_assert(cp_checkpoint_exists(dir));
    cp_stats *back = cp_stats_alloc(CELLS);
    cp_checkpoint ck = {.stats = back, .kept_width = WIDTH};
    cp_err err;
    cr_assert_eq(cp_checkpoint_read(dir, &id, &ck, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(ck.next_chunk, 7);
    cr_assert_eq(ck.n_kept, 2);
    cr_assert_float_eq(ck.kept[5], 4.0, 0);
    cr_assert_float_eq(ck.kept[2], -2.0, 0);
    packed_equal(st, back);
    free(ck.kept);
    cp_checkpoint_remove(dir);
    cr_assert_not(cp_checkpoint_exists(dir));
    cp_stats_free(st);
    cp_stats_free(back);
}

/* Reading as a run that differs in one field fails naming that field. */
static void refused_as(cp_run_identity other, const char *needle)
{
    cp_run_identity id = identity();
    cp_stats *st = some_stats();
    write_one(&id, st);
    cp_stats *back = cp_stats_alloc(CELLS);
    cp_checkpoint ck = {.stats = back, .kept_width = WIDTH};
    cp_err err;
    cr_assert_eq(cp_checkpoint_read(dir, &other, &ck, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "checkpoint.bin", "belongs to another run", needle);
    cp_stats_free(st);
    cp_stats_free(back);
}

Test(checkpoint, refuses_another_run)
{
    cp_run_identity o = identity();
    o.seed = 43;
    refused_as(o, "its seed is 42, this run's is 43");
    o = identity();
    o.samples = 2000;
    refused_as(o, "sample count is 1000");
    o = identity();
    o.keep_samples = 0;
    refused_as(o, "--keep-samples");
    o = identity();
    strcpy(o.version, "0.2.0");
    refused_as(o, "program version is 0.1.0, this run's is 0.2.0");
    o = identity();
    strcpy(o.commit, "def456");
    refused_as(o, "git commit");
    o = identity();
    o.scenario_sha256[3] = 'c';
    refused_as(o, "scenario file");
    o = identity();
    o.inputs_sha256[0] = 'c';
    refused_as(o, "input files");
}

Test(checkpoint, refuses_another_graph)
{
    cp_run_identity id = identity();
    cp_stats *st = some_stats();
    write_one(&id, st);
    cp_stats *back = cp_stats_alloc(CELLS + 1);
    cp_checkpoint ck = {.stats = back, .kept_width = WIDTH};
    cp_err err;
    cr_assert_eq(cp_checkpoint_read(dir, &id, &ck, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "another graph");
    cp_stats_free(st);
    cp_stats_free(back);
}

/* Statistics with label counts (a run's binding labels): the counts come
 * back exactly, and a reader expecting counts of another shape (a graph
 * with other deploy nodes or labels) is refused, naming the counts. */
Test(checkpoint, label_counts_round_trip_and_shape_refused)
{
    enum { GROUPS = 6, LABELS = 3 };
    cp_run_identity id = identity();
    cp_stats *st = cp_stats_alloc_counts(CELLS, GROUPS, LABELS);
    double v[CELLS * 10];
    uint8_t labels[GROUPS * 10];
    for (int i = 0; i < CELLS * 10; i++)
        v[i] = 0.5 * i;
    for (int i = 0; i < GROUPS * 10; i++)
        labels[i] = (uint8_t)((i * 7) % LABELS);
    cp_err err;
    cr_assert_eq(cp_stats_add_block(st, v, 10, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_stats_add_labels(st, labels, 10, 10, 0, 1, GROUPS, &err), CP_OK, "%s", err.msg);
    write_one(&id, st);
    cp_stats *back = cp_stats_alloc_like(st);
    cp_checkpoint ck = {.stats = back, .kept_width = WIDTH};
    cr_assert_eq(cp_checkpoint_read(dir, &id, &ck, &err), CP_OK, "%s", err.msg);
    free(ck.kept);
    for (size_t g = 0; g < GROUPS; g++)
        for (size_t k = 0; k < LABELS; k++)
            cr_assert_eq(cp_stats_count(back, g, k), cp_stats_count(st, g, k));
    cr_assert_eq(
        cp_stats_count(back, 0, 0) + cp_stats_count(back, 0, 1) + cp_stats_count(back, 0, 2), 10);
    packed_equal(st, back);
    cp_stats_free(back);
    back = cp_stats_alloc_counts(CELLS, GROUPS, LABELS + 1);
    cp_checkpoint other = {.stats = back, .kept_width = WIDTH};
    cr_assert_eq(cp_checkpoint_read(dir, &id, &other, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "checkpoint.bin", "label counts of 6 groups x 3 labels, expected 6 x 4");
    cr_assert_eq(cp_stats_samples(back), 0);
    cp_stats_free(back);
    cp_stats_free(st);
}

Test(checkpoint, refuses_damage)
{
    cp_run_identity id = identity();
    cp_stats *st = some_stats();
    write_one(&id, st);
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    FILE *fp = fopen(path, "r+b");
    fseek(fp, 0, SEEK_END);
    const long size = ftell(fp);
    /* Every byte, changed, must be caught: try a spread of positions. */
    for (long at = 0; at < size; at += size / 37 + 1) {
        fseek(fp, at, SEEK_SET);
        int c = fgetc(fp);
        fseek(fp, at, SEEK_SET);
        fputc(c ^ 0x20, fp);
        fflush(fp);
        cp_stats *back = cp_stats_alloc(CELLS);
        cp_checkpoint ck = {.stats = back, .kept_width = WIDTH};
        cp_err err;
        cr_assert_eq(cp_checkpoint_read(dir, &id, &ck, &err), CP_EINVAL, "byte %ld", at);
        TF_CONTAINS(err.msg, "corrupt");
        cp_stats_free(back);
        fseek(fp, at, SEEK_SET);
        fputc(c, fp);
        fflush(fp);
    }
    fclose(fp);
    cr_assert_eq(truncate(path, size - 1), 0);
    cp_stats *back = cp_stats_alloc(CELLS);
    cp_checkpoint ck = {.stats = back, .kept_width = WIDTH};
    cp_err err;
    cr_assert_eq(cp_checkpoint_read(dir, &id, &ck, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "corrupt");
    tf_write(dir, "checkpoint.bin", "");
    cr_assert_eq(cp_checkpoint_read(dir, &id, &ck, &err), CP_EINVAL);
    cp_stats_free(back);
    cp_stats_free(st);
}

/* ---- several sets of statistics (a comparison's) ---------------------- */

enum { SETS = 3 };

/* Sets of CELLS, 2 * CELLS and CELLS cells (a base, an option's paired
 * differences with their indicators, the option's own), each different. */
static void some_sets(cp_stats **sets)
{
    cp_err err;
    for (int k = 0; k < SETS; k++) {
        const size_t cells = k == 1 ? 2 * CELLS : CELLS;
        sets[k] = cp_stats_alloc(cells);
        double v[2 * CELLS * 10];
        for (size_t i = 0; i < cells * 10; i++)
            v[i] = sin(0.3 * (double)i + k) * (k + 1);
        cr_assert_eq(cp_stats_add_block(sets[k], v, 10, &err), CP_OK, "%s", err.msg);
    }
}

static void empty_sets(cp_stats **sets, size_t n)
{
    for (size_t k = 0; k < n; k++)
        sets[k] = cp_stats_alloc(k == 1 ? 2 * CELLS : CELLS);
}

static void free_sets(cp_stats **sets, size_t n)
{
    for (size_t k = 0; k < n; k++)
        cp_stats_free(sets[k]);
}

static cp_run_identity compare_identity(void)
{
    cp_run_identity id = identity();
    strcpy(id.kind, "compare");
    id.keep_samples = 0;
    return id;
}

static void write_sets(const cp_run_identity *id, cp_stats **sets)
{
    cp_checkpoint ck = {.next_chunk = 3, .sets = sets, .n_sets = SETS, .kept_width = WIDTH};
    cp_err err;
    cr_assert_eq(cp_checkpoint_write(dir, id, &ck, &err), CP_OK, "%s", err.msg);
}

/* A comparison's checkpoint of some_sets; returns its identity. */
static cp_run_identity write_some_sets(cp_stats **sets)
{
    const cp_run_identity id = compare_identity();
    some_sets(sets);
    write_sets(&id, sets);
    return id;
}

/* Reads with n empty sets (the second of 2 * CELLS cells unless cells_1 is
 * given); returns the code, leaves the message in err. */
static int read_sets(const cp_run_identity *id, size_t n, size_t cells_1, cp_err *err)
{
    cp_stats *back[SETS + 1];
    empty_sets(back, n);
    if (cells_1) {
        cp_stats_free(back[1]);
        back[1] = cp_stats_alloc(cells_1);
    }
    cp_checkpoint ck = {.sets = back, .n_sets = n, .kept_width = WIDTH};
    const int rc = cp_checkpoint_read(dir, id, &ck, err);
    free(ck.kept);
    free_sets(back, n);
    return rc;
}

Test(checkpoint, several_sets_round_trip)
{
    cp_stats *sets[SETS], *back[SETS];
    const cp_run_identity id = write_some_sets(sets);
    empty_sets(back, SETS);
    cp_checkpoint ck = {.sets = back, .n_sets = SETS, .kept_width = WIDTH};
    cp_err err;
    cr_assert_eq(cp_checkpoint_read(dir, &id, &ck, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(ck.next_chunk, 3);
    cr_assert_eq(ck.n_kept, 0);
    for (int k = 0; k < SETS; k++)
        packed_equal(sets[k], back[k]);
    /* Each set went to its own place: the second differs from the first. */
    cr_assert_neq(cp_stats_packed_size(back[0]), cp_stats_packed_size(back[1]));
    free(ck.kept);
    free_sets(sets, SETS);
    free_sets(back, SETS);
}

Test(checkpoint, several_sets_peek)
{
    cp_stats *sets[SETS];
    const cp_run_identity id = write_some_sets(sets);
    cp_run_identity seen;
    uint64_t next = 0;
    cp_err err;
    cr_assert_eq(cp_checkpoint_peek(dir, &seen, &next, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(next, 3);
    cr_assert_str_eq(seen.kind, "compare");
    char a[17], b[17];
    cp_checkpoint_run_id(&id, a);
    cp_checkpoint_run_id(&seen, b);
    cr_assert_str_eq(a, b);
    free_sets(sets, SETS);
}

Test(checkpoint, several_sets_refused_when_mismatched)
{
    cp_stats *sets[SETS];
    const cp_run_identity id = write_some_sets(sets);
    cp_err err;
    cr_assert_eq(read_sets(&id, SETS - 1, 0, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "checkpoint.bin", "holds 3 sets of statistics, this run has 2");
    cr_assert_eq(read_sets(&id, SETS + 1, 0, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "holds 3 sets of statistics, this run has 4");
    cr_assert_eq(read_sets(&id, SETS, CELLS, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "another graph (10 cells)");
    /* A run reading a comparison's checkpoint is told it is another command. */
    cp_run_identity as_run = id;
    strcpy(as_run.kind, "run");
    cr_assert_eq(read_sets(&as_run, 1, 0, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "belongs to another run", "its command is compare, this run's is run");
    cp_run_identity other = id;
    other.scenario_sha256[10] = 'f';
    cr_assert_eq(read_sets(&other, SETS, 0, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "scenario file");
    cr_assert_eq(read_sets(&id, SETS, 0, &err), CP_OK, "%s", err.msg);
    free_sets(sets, SETS);
}

Test(checkpoint, several_sets_refused_when_damaged)
{
    cp_stats *sets[SETS];
    const cp_run_identity id = write_some_sets(sets);
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    FILE *fp = fopen(path, "r+b");
    fseek(fp, 0, SEEK_END);
    const long size = ftell(fp);
    cp_err err;
    for (long at = 0; at < size; at += size / 41 + 1) {
        fseek(fp, at, SEEK_SET);
        const int c = fgetc(fp);
        fseek(fp, at, SEEK_SET);
        fputc(c ^ 0x01, fp);
        fflush(fp);
        cr_assert_eq(read_sets(&id, SETS, 0, &err), CP_EINVAL, "byte %ld", at);
        TF_CONTAINS(err.msg, "corrupt");
        fseek(fp, at, SEEK_SET);
        fputc(c, fp);
        fflush(fp);
    }
    fclose(fp);
    cr_assert_eq(read_sets(&id, SETS, 0, &err), CP_OK, "restored: %s", err.msg);
    cr_assert_eq(truncate(path, size / 2), 0);
    cr_assert_eq(read_sets(&id, SETS, 0, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "corrupt");
    free_sets(sets, SETS);
}

/* Issue 14: a checkpoint that cannot be written says why (here the file
 * size limit, as a full disk would: the system's reason, not only "cannot
 * write"). */
Test(checkpoint, write_failure_keeps_the_reason)
{
    signal(SIGXFSZ, SIG_IGN);
    const struct rlimit small = {4096, 4096};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    cp_run_identity id = identity();
    cp_stats *st = some_stats();
    /* Values that do not compress, so the file is bigger than the limit. */
    double kept[2 * 4096];
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < 2 * 4096; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        kept[i] = (double)(x >> 11);
    }
    const cp_checkpoint ck = {
        .next_chunk = 3, .stats = st, .kept = kept, .n_kept = 4096, .kept_width = 2};
    cp_err err;
    cr_assert_eq(cp_checkpoint_write(dir, &id, &ck, &err), CP_EIO);
    TF_CONTAINS(err.msg, "checkpoint", strerror(EFBIG));
    cp_stats_free(st);
}

/* ---- the compressed state ------------------------------------------------ */

/* The checkpoint's bytes (malloc'd, with a 0 after them for strstr on the
 * text header), *n of them. */
static unsigned char *slurp(size_t *n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    rewind(fp);
    unsigned char *buf = malloc(*n + 1);
    cr_assert_eq(fread(buf, 1, *n, fp), *n);
    buf[*n] = 0;
    fclose(fp);
    return buf;
}

/* Writes buf (n bytes, the last 32 a SHA-256 to be replaced) as the
 * checkpoint, signed afresh: what a file damaged behind its checksum, or
 * forged, looks like to the reader. */
static void resign(unsigned char *buf, size_t n)
{
    unsigned int len = 0;
    EVP_Digest(buf, n - 32, buf + n - 32, &len, EVP_sha256(), NULL);
    cr_assert_eq(len, 32);
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    FILE *fp = fopen(path, "wb");
    cr_assert_eq(fwrite(buf, 1, n, fp), n);
    fclose(fp);
}

/* Reads the checkpoint; if it is read, its statistics and kept rows must
 * be those of `same` and write_one's (when `same` is given). */
/* write_one of some_stats (returned in *st) as identity(), and its bytes. */
static unsigned char *written(cp_stats **st, size_t *n)
{
    const cp_run_identity id = identity();
    *st = some_stats();
    write_one(&id, *st);
    return slurp(n);
}

static int read_back(const cp_run_identity *id, const cp_stats *same, cp_err *err)
{
    cp_stats *back = cp_stats_alloc(CELLS);
    cp_checkpoint ck = {.stats = back, .kept_width = WIDTH};
    const int rc = cp_checkpoint_read(dir, id, &ck, err);
    if (rc == CP_OK && same) {
        packed_equal(same, back);
        cr_assert(ck.n_kept == 2 && ck.kept[5] == 4.0 && ck.kept[2] == -2.0);
    }
    free(ck.kept);
    cp_stats_free(back);
    return rc;
}

/* The binary state is bzip2's: the header says so, and a person can read
 * the header with head (it is not compressed). */
Test(checkpoint, header_is_text_and_names_the_encoding)
{
    cp_stats *st;
    size_t n;
    unsigned char *buf = written(&st, &n);
    const unsigned char *blank = (const unsigned char *)strstr((const char *)buf, "\n\n");
    cr_assert_not_null(blank);
    char header[4096];
    cr_assert_lt((size_t)(blank - buf), sizeof header);
    snprintf(header, sizeof header, "%.*s", (int)(blank - buf + 1), (const char *)buf);
    cr_assert_not_null(strstr(header, "\npayload=bzip2\n"));
    cr_assert_eq(memcmp(blank + 2, "BZh9", 4), 0, "a bzip2 stream follows the header");
    free(buf);
    cp_stats_free(st);
}

/* Damage behind a valid checksum (a forged or re-signed file) is still
 * refused: a changed byte of the compressed state (unless it is one bzip2
 * ignores -- a padding bit, a Huffman table no symbol uses -- when the
 * file reads back exactly as written: bzip2's CRCs let no other change
 * through), a stream cut short or with bytes after its end, and a header
 * that names more or fewer bytes than the stream gives. */
Test(checkpoint, refuses_a_damaged_payload_behind_a_valid_checksum)
{
    const cp_run_identity id = identity();
    cp_stats *st;
    size_t n;
    unsigned char *good = written(&st, &n);
    const size_t start = (size_t)((unsigned char *)strstr((char *)good, "\n\n") - good) + 2;
    unsigned char *buf = malloc(n + 8);
    cp_err err;
    int refused = 0, tried = 0;
    for (size_t at = start; at < n - 32; at += (n - 32 - start) / 23 + 1, tried++) {
        memcpy(buf, good, n);
        buf[at] ^= 0x10;
        resign(buf, n);
        const int rc = read_back(&id, st, &err);
        cr_assert(rc == CP_OK || rc == CP_EINVAL, "byte %zu", at);
        if (rc == CP_EINVAL)
            TF_CONTAINS(err.msg, "corrupt", "compressed state");
        refused += rc == CP_EINVAL;
    }
    cr_assert_gt(refused, tried / 2, "%d of %d changed bytes refused", refused, tried);
    /* cut short by 5 bytes */
    memcpy(buf, good, n);
    memmove(buf + n - 37, buf + n - 32, 32);
    resign(buf, n - 5);
    cr_assert_eq(read_back(&id, NULL, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "corrupt", "compressed state");
    /* bytes after the stream's end */
    memcpy(buf, good, n - 32);
    memcpy(buf + n - 32, "tail", 4);
    resign(buf, n + 4);
    cr_assert_eq(read_back(&id, NULL, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "corrupt", "compressed state");
    /* a header that claims one kept row more, or one fewer */
    const char *rows[2] = {"kept_rows=3", "kept_rows=1"};
    for (int k = 0; k < 2; k++) {
        memcpy(buf, good, n);
        char *line = strstr((char *)buf, "kept_rows=2");
        cr_assert_not_null(line);
        memcpy(line, rows[k], strlen(rows[k]));
        resign(buf, n);
        cr_assert_eq(read_back(&id, NULL, &err), CP_EINVAL, "%s", rows[k]);
        TF_CONTAINS(err.msg, "corrupt", "compressed state");
    }
    /* and the file as written still reads */
    resign(good, n);
    cr_assert_eq(read_back(&id, st, &err), CP_OK, "%s", err.msg);
    free(buf);
    free(good);
    cp_stats_free(st);
}

/* A checkpoint of the older, uncompressed format is refused as one this
 * version does not read (and names no other damage). */
Test(checkpoint, refuses_the_older_format)
{
    const cp_run_identity id = identity();
    cp_stats *st;
    size_t n;
    unsigned char *buf = written(&st, &n);
    cr_assert_eq(memcmp(buf, "chokepoint checkpoint 3\n", 24), 0);
    buf[22] = '2';
    resign(buf, n);
    cp_err err;
    cr_assert_eq(read_back(&id, NULL, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "not a chokepoint checkpoint this version reads");
    free(buf);
    cp_stats_free(st);
}

/* ---- statistics larger than a part: read as a stream ------------------ */

enum { BIG_CELLS = 3000, BIG_SAMPLES = 40, BIG_ROWS = 5000 };

/* Statistics of BIG_CELLS cells whose values spread over many buckets:
 * packed, several of the reader's parts (about 1 MiB each). */
static cp_stats *big_stats(int k)
{
    cp_stats *st = cp_stats_alloc(BIG_CELLS);
    double *v = malloc(BIG_CELLS * BIG_SAMPLES * sizeof *v);
    cr_assert(st && v);
    for (size_t i = 0; i < BIG_CELLS * BIG_SAMPLES; i++)
        v[i] = exp(4.0 * sin(0.37 * (double)i + k)) * (1.0 + (double)(i % 97));
    cp_err err;
    cr_assert_eq(cp_stats_add_block(st, v, BIG_SAMPLES, &err), CP_OK, "%s", err.msg);
    free(v);
    cr_assert_gt(cp_stats_packed_size(st), (size_t)3 << 20, "not several parts");
    return st;
}

static double *big_rows(void)
{
    double *rows = malloc(BIG_ROWS * WIDTH * sizeof *rows);
    cr_assert_not_null(rows);
    for (size_t i = 0; i < BIG_ROWS * WIDTH; i++)
        rows[i] = (double)i * 0.25 - 7.0;
    return rows;
}

/* Writes two big sets (a comparison's) with BIG_ROWS kept rows. */
static cp_run_identity write_big(cp_stats **sets, double **rows)
{
    cp_run_identity id = identity();
    sets[0] = big_stats(0);
    sets[1] = big_stats(1);
    *rows = big_rows();
    cp_checkpoint ck = {.next_chunk = 11,
                        .sets = sets,
                        .n_sets = 2,
                        .kept = *rows,
                        .n_kept = BIG_ROWS,
                        .kept_width = WIDTH};
    cp_err err;
    cr_assert_eq(cp_checkpoint_write(dir, &id, &ck, &err), CP_OK, "%s", err.msg);
    return id;
}

/* Reads the big checkpoint into fresh sets; on success they and the rows
 * must be what was written. */
static int read_big(const cp_run_identity *id, cp_stats *const *sets, const double *rows,
                    cp_err *err)
{
    cp_stats *back[2] = {cp_stats_alloc(BIG_CELLS), cp_stats_alloc(BIG_CELLS)};
    cp_checkpoint ck = {.sets = back, .n_sets = 2, .kept_width = WIDTH};
    const int rc = cp_checkpoint_read(dir, id, &ck, err);
    if (rc == CP_OK) {
        packed_equal(sets[0], back[0]);
        packed_equal(sets[1], back[1]);
        cr_assert_eq(ck.next_chunk, 11);
        cr_assert_eq(ck.n_kept, BIG_ROWS);
        cr_assert_eq(memcmp(ck.kept, rows, BIG_ROWS * WIDTH * sizeof *rows), 0);
    } else {
        cr_assert_null(ck.kept, "rows handed back from a refused checkpoint");
    }
    free(ck.kept);
    cp_stats_free(back[0]);
    cp_stats_free(back[1]);
    return rc;
}

/* Sets packed larger than the reader's parts, and many kept rows, come
 * back exactly: the reader merges the state as it decompresses it. */
Test(checkpoint, large_sets_round_trip_in_parts)
{
    cp_stats *sets[2];
    double *rows;
    const cp_run_identity id = write_big(sets, &rows);
    cp_err err;
    cr_assert_eq(read_big(&id, sets, rows, &err), CP_OK, "%s", err.msg);
    free(rows);
    cp_stats_free(sets[0]);
    cp_stats_free(sets[1]);
}

/* A big checkpoint as written: its sets, rows and identity, its bytes
 * (n of them) and where its compressed state starts. */
typedef struct big_file {
    cp_stats *sets[2];
    double *rows;
    cp_run_identity id;
    unsigned char *bytes;
    size_t n, start;
} big_file;

static void big_file_write(big_file *b)
{
    b->id = write_big(b->sets, &b->rows);
    b->bytes = slurp(&b->n);
    b->start = (size_t)((unsigned char *)strstr((char *)b->bytes, "\n\n") - b->bytes) + 2;
}

static void big_file_free(big_file *b)
{
    free(b->bytes);
    free(b->rows);
    cp_stats_free(b->sets[0]);
    cp_stats_free(b->sets[1]);
}

/* A large checkpoint damaged behind a valid checksum, deep in its stream
 * (after parts of the first set have been merged), or cut short there, is
 * refused as corrupt, whatever the merging saw first. */
Test(checkpoint, large_sets_damaged_deep_in_the_stream)
{
    big_file b;
    big_file_write(&b);
    const size_t n = b.n, start = b.start;
    cp_stats *const *sets = b.sets;
    const cp_run_identity *id = &b.id;
    unsigned char *good = b.bytes, *buf = malloc(n);
    cp_err err;
    for (int k = 1; k <= 3; k++) {
        const size_t at = start + (n - 32 - start) * (size_t)k / 4;
        memcpy(buf, good, n);
        buf[at] ^= 0x55;
        resign(buf, n);
        cr_assert_eq(read_big(id, sets, b.rows, &err), CP_EINVAL, "byte %zu", at);
        TF_CONTAINS(err.msg, "corrupt", "compressed state");
    }
    /* cut short half-way, re-signed */
    const size_t half = start + (n - 32 - start) / 2;
    memcpy(buf, good, half);
    memcpy(buf + half, good + n - 32, 32);
    resign(buf, half + 32);
    cr_assert_eq(read_big(id, sets, b.rows, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "corrupt", "compressed state");
    resign(good, n);
    cr_assert_eq(read_big(id, sets, b.rows, &err), CP_OK, "%s", err.msg);
    free(buf);
    big_file_free(&b);
}

/* A forged checkpoint whose stream is sound but whose second set holds a
 * malformed sketch is refused, naming the set and the cell, not the
 * stream. */
Test(checkpoint, a_forged_set_in_a_sound_stream_is_named)
{
    big_file b;
    big_file_write(&b);
    cp_stats *const *sets = b.sets;
    const double *rows = b.rows;
    const size_t start = b.start;
    /* The raw state: both sets packed, then the rows. */
    const size_t s0 = cp_stats_packed_size(sets[0]), s1 = cp_stats_packed_size(sets[1]);
    const size_t rb = BIG_ROWS * WIDTH * sizeof(double), raw_n = s0 + s1 + rb;
    unsigned char *raw = malloc(raw_n);
    cp_stats_pack(sets[0], raw);
    cp_stats_pack(sets[1], raw + s0);
    memcpy(raw + s0 + s1, rows, rb);
    /* The second set's first cell's sketch, its magic: after the set's
     * header (40 bytes) and the cell's two sums. */
    raw[s0 + 40 + 2 * (CP_XSUM_LIMBS * 8 + 4)] ^= 0xff;
    unsigned int clen = (unsigned int)(raw_n + raw_n / 100 + 600);
    unsigned char *file = malloc(start + clen + 32);
    memcpy(file, b.bytes, start);
    cr_assert_eq(BZ2_bzBuffToBuffCompress((char *)file + start, &clen, (char *)raw,
                                          (unsigned int)raw_n, 9, 0, 0),
                 BZ_OK);
    resign(file, start + clen + 32);
    cp_err err;
    cr_assert_eq(read_big(&b.id, sets, rows, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "checkpoint.bin: statistics 2", "cell 0");
    cr_assert_null(strstr(err.msg, "corrupt"), "%s", err.msg);
    free(file);
    free(raw);
    big_file_free(&b);
}
