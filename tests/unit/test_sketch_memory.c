/* test_sketch_memory.c -- what a sketch holds in memory: a byte a bucket,
 * a block of carries only in an octave where a count passes 255, and its
 * plane of 65,536s only where one passes 65,535; and
 * that no allocation failure, wherever it falls, changes a sketch.
 *
 * This binary is linked with -Wl,--wrap=calloc (tests/CMakeLists.txt), so
 * every calloc of the library comes through __wrap_calloc below, which can
 * make the k-th one from now fail.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cp_sketch.h"
#include "cp_test_sketch.h"

#define OCTAVE_BUCKETS 1024
#define BLOCK_BYTES sizeof(cp_sketch_carries)
#define HIGH_BYTES (OCTAVE_BUCKETS * sizeof(uint16_t))

/* 0: no failure; k > 0: the k-th calloc from now fails.  Each Criterion
 * test runs in its own process, so the tests do not share it. */
static long calloc_countdown;
static long calloc_failed;

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

void *__wrap_calloc(size_t n, size_t size)
{
    if (calloc_countdown > 0 && --calloc_countdown == 0) {
        calloc_failed++;
        return NULL;
    }
    return __real_calloc(n, size);
}

static void add_many(cp_sketch *s, double x, size_t n)
{
    double *v = malloc(n * sizeof *v);
    cr_assert_not_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = x;
    cp_err err;
    cr_assert_eq(cp_sketch_add_strided(s, v, n, 1, NULL, &err), CP_OK, "%s", err.msg);
    free(v);
}

static unsigned char *pack(const cp_sketch *s, size_t *len)
{
    *len = cp_sketch_packed_size(s);
    unsigned char *buf = malloc(*len);
    cr_assert_not_null(buf);
    cr_assert_eq(cp_sketch_pack(s, buf), *len);
    return buf;
}

/* a and b hold the same counts, min and max: they pack to the same bytes. */
static void assert_same(const cp_sketch *a, const cp_sketch *b, const char *what)
{
    size_t na, nb;
    unsigned char *pa = pack(a, &na), *pb = pack(b, &nb);
    cr_assert(na == nb && memcmp(pa, pb, na) == 0, "%s: packed sketches differ", what);
    free(pa);
    free(pb);
}

/* The number of blocks of carries s holds, from its memory. */
static size_t blocks_of(const cp_sketch *s)
{
    const size_t counts = s->pos.n + s->neg.n;
    const size_t bytes = cp_sketch_memory(s);
    cr_assert_geq(bytes, counts);
    cr_assert_eq((bytes - counts) % BLOCK_BYTES, 0, "%zu bytes for %zu buckets", bytes, counts);
    return (bytes - counts) / BLOCK_BYTES;
}

/* Values spread over ten octaves, 10,000 of them in 10,240 buckets: no
 * count can reach 256, so no block; 300 equal values then make exactly
 * one, and the counts still add up. */
Test(sketch_memory, carries_only_where_a_count_passes_255)
{
    cp_sketch s;
    cp_sketch_init(&s);
    double v[10000];
    for (int i = 0; i < 10000; i++)
        v[i] = exp2(10.0 * i / 10000.0);
    cp_err err;
    cr_assert_eq(cp_sketch_add_strided(&s, v, 10000, 1, NULL, &err), CP_OK);
    cr_assert_eq(blocks_of(&s), 0);
    cr_assert_eq(cp_sketch_memory(&s), s.pos.n);
    add_many(&s, 3.0, 255); /* one bucket at most 256 (one value of v there, or none) */
    const size_t before = blocks_of(&s);
    cr_assert_leq(before, 1);
    add_many(&s, 3.0, 300);
    cr_assert_eq(blocks_of(&s), 1);
    cr_assert_eq(ts_counts_sum(&s), s.total);
    /* a value at a time counts the same */
    cp_sketch t;
    cp_sketch_init(&t);
    for (int i = 0; i < 10000; i++)
        cr_assert_eq(cp_sketch_add(&t, v[i], &err), CP_OK);
    for (int i = 0; i < 555; i++)
        cr_assert_eq(cp_sketch_add(&t, 3.0, &err), CP_OK);
    cr_assert_eq(blocks_of(&t), 1);
    assert_same(&s, &t, "one at a time");
    cp_sketch_free(&s);
    cp_sketch_free(&t);
}

/* The bound the header states: two sides of at most
 * CP_SKETCH_MAX_OCTAVES octaves, a byte, a block of carries (a byte a
 * bucket and a pointer), two bytes and eight bytes a bucket. */
Test(sketch_memory, bounded_whatever_the_values)
{
    cp_sketch s;
    cp_sketch_init(&s);
    for (int e = -40; e <= 40; e++) {
        add_many(&s, ldexp(1.0, e), 300);
        add_many(&s, -ldexp(1.0, e), 300);
    }
    const size_t bound =
        2 * CP_SKETCH_MAX_OCTAVES * (OCTAVE_BUCKETS * (1 + 2 + 8) + sizeof(cp_sketch_carries));
    cr_assert_leq(cp_sketch_memory(&s), bound);
    cr_assert_eq(blocks_of(&s), 2 * CP_SKETCH_MAX_OCTAVES);
    cr_assert_eq(ts_counts_sum(&s), s.total);
    cp_sketch_free(&s);
}

/* A capped side moving up folds the octaves below its new floor into the
 * floor's bucket: 600 values there need a carry, in a block the floor's
 * octave did not have.  The same values in the other order (the largest
 * first, so that they fall below the floor as they come) give the same
 * sketch, and so does a merge of the two halves. */
Test(sketch_memory, the_floor_takes_the_carries_it_folds)
{
    cp_sketch s, t, u;
    cp_sketch_init(&s);
    cp_sketch_init(&t);
    cp_sketch_init(&u);
    add_many(&s, 1.0, 300);
    add_many(&s, 1.5, 300);
    cr_assert_eq(blocks_of(&s), 1);
    cp_err err;
    const double big = ldexp(1.0, 20);
    cr_assert_eq(cp_sketch_add(&s, big, &err), CP_OK);
    cr_assert_eq(s.pos.n, CP_SKETCH_MAX_OCTAVES * OCTAVE_BUCKETS);
    cr_assert_eq(cp_sketch_bucket(&s.pos, 0), 600, "the floor holds the 600 below it");
    cr_assert_eq(blocks_of(&s), 1, "the floor's block; the old one freed");
    cr_assert_eq(ts_counts_sum(&s), s.total);
    cr_assert_eq(cp_sketch_add(&t, big, &err), CP_OK);
    add_many(&t, 1.5, 300);
    add_many(&t, 1.0, 300);
    assert_same(&s, &t, "largest first");
    cp_sketch a, b;
    cp_sketch_init(&a);
    cp_sketch_init(&b);
    add_many(&a, 1.0, 300);
    add_many(&b, 1.5, 300);
    cr_assert_eq(cp_sketch_add(&b, big, &err), CP_OK);
    cr_assert_eq(cp_sketch_merge(&u, &a, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_sketch_merge(&u, &b, &err), CP_OK, "%s", err.msg);
    assert_same(&s, &u, "merged");
    cp_sketch_free(&a);
    cp_sketch_free(&b);
    cp_sketch_free(&s);
    cp_sketch_free(&t);
    cp_sketch_free(&u);
}

/* Two sketches of 200 equal values have no block each; their merge (and
 * the unpacking of one into the other) has 400 there, and its block. */
Test(sketch_memory, a_merge_allocates_what_its_sums_need)
{
    cp_sketch a, b, c;
    cp_sketch_init(&a);
    cp_sketch_init(&b);
    cp_sketch_init(&c);
    add_many(&a, 3.0, 200);
    add_many(&b, 3.0, 200);
    add_many(&c, 3.0, 200);
    cr_assert_eq(blocks_of(&a) + blocks_of(&b), 0);
    cp_err err;
    cr_assert_eq(cp_sketch_merge(&a, &b, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(blocks_of(&a), 1);
    cr_assert_eq(ts_counts_sum(&a), 400);
    size_t len;
    unsigned char *buf = pack(&b, &len);
    cr_assert_eq(cp_sketch_unpack_merge(&c, buf, len, NULL, &err), CP_OK, "%s", err.msg);
    assert_same(&a, &c, "unpacked");
    cr_assert_eq(blocks_of(&c), 1);
    free(buf);
    cp_sketch_free(&a);
    cp_sketch_free(&b);
    cp_sketch_free(&c);
}

/* The largest count of a bucket of sd. */
static uint64_t largest_bucket(const cp_sketch_side *sd)
{
    uint64_t most = 0;
    for (uint32_t i = 0; i < sd->n; i++)
        most = cp_sketch_bucket(sd, i) > most ? cp_sketch_bucket(sd, i) : most;
    return most;
}

/* The plane of 65,536s: none while every count of an octave is at most
 * 65,535, one (2 KiB) once one passes, in strided and one-by-one adds,
 * merges and unpacking, with every count exact; and a strided add that
 * fails takes its counts back across it (a borrow from the 65,536s). */
Test(sketch_memory, a_plane_of_65536s_only_where_a_count_passes_65535)
{
    cp_sketch s, t, a, b, c;
    cp_sketch_init(&s);
    cp_sketch_init(&t);
    cp_sketch_init(&a);
    cp_sketch_init(&b);
    cp_sketch_init(&c);
    add_many(&s, 3.0, 65535);
    cr_assert_eq(cp_sketch_memory(&s), s.pos.n + BLOCK_BYTES, "no plane at 65,535");
    add_many(&s, 3.0, 1);
    cr_assert_eq(cp_sketch_memory(&s), s.pos.n + BLOCK_BYTES + HIGH_BYTES, "a plane at 65,536");
    add_many(&s, 3.0, 70000);
    cr_assert_eq(largest_bucket(&s.pos), 135536, "3.0's bucket");
    cr_assert_eq(ts_counts_sum(&s), s.total);
    cp_err err;
    for (int i = 0; i < 135536; i++)
        cr_assert_eq(cp_sketch_add(&t, 3.0, &err), CP_OK);
    assert_same(&s, &t, "one at a time");
    cr_assert_eq(cp_sketch_memory(&t), cp_sketch_memory(&s));
    /* 40,000 and 40,000: neither has a plane, their sum needs one. */
    add_many(&a, 3.0, 40000);
    add_many(&b, 3.0, 40000);
    add_many(&c, 3.0, 40000);
    cr_assert_eq(cp_sketch_memory(&a), a.pos.n + BLOCK_BYTES);
    cr_assert_eq(cp_sketch_merge(&a, &b, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_sketch_memory(&a), a.pos.n + BLOCK_BYTES + HIGH_BYTES);
    cr_assert_eq(ts_counts_sum(&a), 80000);
    size_t len;
    unsigned char *buf = pack(&b, &len);
    cr_assert_eq(cp_sketch_unpack_merge(&c, buf, len, NULL, &err), CP_OK, "%s", err.msg);
    assert_same(&a, &c, "unpacked");
    free(buf);
    /* 65,600 there, then 300 more and a NaN: refused, and the borrow
     * back below 65,536 restores the counts. */
    cp_sketch_free(&t);
    cp_sketch_init(&t);
    add_many(&t, 3.0, 65600);
    size_t nb, na;
    unsigned char *before = pack(&t, &nb);
    double v[301];
    for (int i = 0; i < 300; i++)
        v[i] = 3.0;
    v[300] = NAN;
    cr_assert_eq(cp_sketch_add_strided(&t, v, 301, 1, NULL, &err), CP_EINVAL);
    unsigned char *after = pack(&t, &na);
    cr_assert(na == nb && memcmp(before, after, na) == 0, "a failed add changed the counts");
    cr_assert_eq(largest_bucket(&t.pos), 65600);
    free(before);
    free(after);
    cp_sketch_free(&s);
    cp_sketch_free(&t);
    cp_sketch_free(&a);
    cp_sketch_free(&b);
    cp_sketch_free(&c);
}

/* A floor that folds more than 65,535 counts takes a plane of 65,536s
 * with its block; the same values largest first give the same sketch. */
Test(sketch_memory, the_floor_takes_the_65536s_it_folds)
{
    cp_sketch s, t;
    cp_sketch_init(&s);
    cp_sketch_init(&t);
    add_many(&s, 1.0, 70000);
    cp_err err;
    const double big = ldexp(1.0, 20);
    cr_assert_eq(cp_sketch_add(&s, big, &err), CP_OK);
    cr_assert_eq(cp_sketch_bucket(&s.pos, 0), 70000, "the floor holds the 70,000 below it");
    cr_assert_eq(cp_sketch_memory(&s), s.pos.n + BLOCK_BYTES + HIGH_BYTES);
    cr_assert_eq(cp_sketch_add(&t, big, &err), CP_OK);
    add_many(&t, 1.0, 70000);
    assert_same(&s, &t, "largest first");
    cp_sketch_free(&s);
    cp_sketch_free(&t);
}

/* ---- allocation faults ------------------------------------------------ */

typedef struct fault_case {
    const char *name;
    void (*build)(cp_sketch *s, cp_sketch *other); /* the sketch, and what op uses */
    int (*op)(cp_sketch *s, const cp_sketch *other, cp_err *err);
} fault_case;

/* Within the cap (from 2^-1 to 2^14), so that growing moves no floor. */
static void build_wide(cp_sketch *s, cp_sketch *other)
{
    add_many(s, 3.0, 200);
    add_many(s, 1e3, 1);
    add_many(other, 3.0, 100);
    add_many(other, 1.0, 300);
    add_many(other, 1e4, 1);
    add_many(other, -1e-3, 300); /* a side s does not have yet */
}

/* other reaches 2^29: merged into s, its floor moves up past s's values. */
static void build_beyond_cap(cp_sketch *s, cp_sketch *other)
{
    build_wide(s, other);
    add_many(other, 1e9, 1);
}

static void build_255(cp_sketch *s, cp_sketch *other)
{
    add_many(s, 3.0, 255);
    (void)other;
}

static void build_65535(cp_sketch *s, cp_sketch *other)
{
    add_many(s, 3.0, 65535);
    add_many(other, 3.0, 40000);
}

/* 70,000 at 1.0, 2^20 below the cap: adding 2^20 folds them into the
 * floor, whose carry needs a block and a plane of 65,536s. */
static void build_floor_65536s(cp_sketch *s, cp_sketch *other)
{
    add_many(s, 1.0, 70000);
    (void)other;
}

static int op_add_big(cp_sketch *s, const cp_sketch *other, cp_err *err)
{
    (void)other;
    return cp_sketch_add(s, ldexp(1.0, 20), err);
}

/* 150 more in s's bucket of 200 (a block: the first chunk's wrap), a new
 * octave above (growing), one below and a side it does not have, all
 * within the cap. */
static int op_add_strided(cp_sketch *s, const cp_sketch *other, cp_err *err)
{
    (void)other;
    double v[303];
    for (int i = 0; i < 300; i++)
        v[i] = i % 2 ? 3.0 : 3.5; /* two buckets: counted one by one */
    v[300] = 1e4;
    v[301] = 0.6;
    v[302] = -2.0;
    return cp_sketch_add_strided(s, v, 303, 1, NULL, err);
}

/* The 256th value of a bucket: its block. */
static int op_add_one(cp_sketch *s, const cp_sketch *other, cp_err *err)
{
    (void)other;
    return cp_sketch_add(s, 3.0, err);
}

/* 2^30 moves the cap up: the floor folds 300 values and needs a block. */
static int op_move_floor(cp_sketch *s, const cp_sketch *other, cp_err *err)
{
    (void)other;
    int rc = cp_sketch_add(s, 1.0, err);
    for (int i = 0; !rc && i < 299; i++)
        rc = cp_sketch_add(s, 1.0, err);
    return rc ? rc : cp_sketch_add(s, ldexp(1.0, 30), err);
}

static int op_merge(cp_sketch *s, const cp_sketch *other, cp_err *err)
{
    return cp_sketch_merge(s, other, err);
}

static int op_unpack(cp_sketch *s, const cp_sketch *other, cp_err *err)
{
    size_t len;
    unsigned char *buf = pack(other, &len);
    const int rc = cp_sketch_unpack_merge(s, buf, len, NULL, err);
    free(buf);
    return rc;
}

/* For k = 1, 2, ...: the k-th allocation of op fails.  Each failure must
 * be CP_ENOMEM and leave the sketch packing to the bytes it had, and the
 * op, run again without a fault, must give what it gives on a fresh
 * sketch; until a k so large that op runs through.  Where op moves a
 * capped side's floor (whole 0), a failure after the move keeps it (as the
 * header says: it is where the op would have put it), and op_move_floor
 * is several adds, each whole or nothing: for these the counts must still
 * add up, and the next k is tried. */
static void check_faults(const fault_case *fc, int whole)
{
    cp_sketch want, other;
    cp_sketch_init(&want);
    cp_sketch_init(&other);
    fc->build(&want, &other);
    cp_err err;
    cr_assert_eq(fc->op(&want, &other, &err), CP_OK, "%s: %s", fc->name, err.msg);
    long k = 1, failures = 0;
    for (;; k++) {
        cp_sketch s, unused; /* build makes other again: once is enough */
        cp_sketch_init(&s);
        cp_sketch_init(&unused);
        fc->build(&s, &unused);
        cp_sketch_free(&unused);
        size_t n0;
        unsigned char *before = pack(&s, &n0);
        calloc_countdown = k;
        const int rc = fc->op(&s, &other, &err);
        const int hit = calloc_countdown == 0;
        calloc_countdown = 0;
        if (rc == CP_OK) {
            cr_assert(!hit, "%s: allocation %ld failed but the op succeeded", fc->name, k);
            assert_same(&s, &want, fc->name);
            free(before);
            cp_sketch_free(&s);
            break;
        }
        failures++;
        cr_assert_eq(rc, CP_ENOMEM, "%s, allocation %ld: %s", fc->name, k, err.msg);
        cr_assert_eq(ts_counts_sum(&s), s.total, "%s, allocation %ld", fc->name, k);
        if (whole) {
            size_t n1;
            unsigned char *after = pack(&s, &n1);
            cr_assert(n0 == n1 && memcmp(before, after, n0) == 0,
                      "%s: allocation %ld failed and the sketch changed", fc->name, k);
            free(after);
            cr_assert_eq(fc->op(&s, &other, &err), CP_OK, "%s: retry: %s", fc->name, err.msg);
            assert_same(&s, &want, fc->name);
        }
        free(before);
        cp_sketch_free(&s);
    }
    cr_assert_gt(failures, 0, "%s: no allocation to fail", fc->name);
    cp_sketch_free(&want);
    cp_sketch_free(&other);
}

Test(sketch_memory, an_allocation_failure_changes_nothing)
{
    const fault_case whole[] = {{"add_strided", build_wide, op_add_strided},
                                {"add", build_255, op_add_one},
                                {"merge", build_wide, op_merge},
                                {"unpack_merge", build_wide, op_unpack},
                                {"add past 65,535", build_65535, op_add_one},
                                {"merge past 65,535", build_65535, op_merge},
                                {"unpack_merge past 65,535", build_65535, op_unpack},
                                {"a floor past 65,535", build_floor_65536s, op_add_big}};
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
        check_faults(&whole[i], 1);
    const fault_case moved[] = {{"move_floor", build_255, op_move_floor},
                                {"merge beyond the cap", build_beyond_cap, op_merge},
                                {"unpack_merge beyond the cap", build_beyond_cap, op_unpack}};
    for (size_t i = 0; i < sizeof moved / sizeof *moved; i++)
        check_faults(&moved[i], 0);
    cr_assert_gt(calloc_failed, 0);
}
