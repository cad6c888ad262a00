/* cp_sketch.c -- see cp_sketch.h.
 *
 * The key of |x| is its IEEE bit pattern shifted right by 42: the biased
 * exponent and the top 10 mantissa bits, so keys grow with |x| and one octave
 * is 1024 consecutive keys.  Each sign keeps a dense count array over a range
 * of whole octaves; values outside it grow the array to the octave that
 * holds them.
 *
 * Subnormals go into the keys of biased exponent 0 like any other value:
 * their buckets are [j, j + 1) * 2^-1032, so the relative error bound does
 * not hold for them (a value below 2^-1032 reports as 0 before clamping to
 * [min, max]).  They cannot arise from the model's quantities.
 */
#include "cp_sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cp_math.h" /* CP_LANE_CLONES */

#define MANT_BITS 52
#define KEY_SHIFT (MANT_BITS - CP_SKETCH_SUBBITS)
#define OCTAVE (1 << CP_SKETCH_SUBBITS)
#define ABS_MASK (~(UINT64_C(1) << 63))
#define INF_BITS (UINT64_C(0x7ff) << MANT_BITS)
/* One past the largest key of a finite value. */
#define KEY_LIMIT ((int64_t)(INF_BITS >> KEY_SHIFT))
/* The most buckets a side keeps (CP_SKETCH_MAX_OCTAVES whole octaves). */
#define CAP ((int64_t)CP_SKETCH_MAX_OCTAVES * OCTAVE)

#define PACK_MAGIC "CPSK"
#define PACK_VERSION 1u
/* magic, version, total, zeros, min, max, then (lo, n) for pos and neg. */
#define PACK_HEADER 56
#define VARINT_MAX 10

/* cp_sketch_add_strided works on chunks of this many values. */
#define ADD_CHUNK 256

static uint64_t double_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

void cp_sketch_init(cp_sketch *s)
{
    memset(s, 0, sizeof *s);
    /* The identities of min and max, so that updates need no test for an
     * empty sketch. */
    s->min = INFINITY;
    s->max = -INFINITY;
}

/* Frees a block of carries and sets its pointer to NULL. */
static void free_block(cp_sketch_carries **block)
{
    if (*block)
        free((*block)->high);
    free(*block);
    *block = NULL;
}

/* Frees a side's blocks of carries and sets them to NULL. */
static void free_carries(cp_sketch_side *sd)
{
    for (int b = 0; b < CP_SKETCH_MAX_OCTAVES; b++)
        free_block(&sd->carry[b]);
}

void cp_sketch_free(cp_sketch *s)
{
    if (!s)
        return;
    free(s->pos.count);
    free(s->neg.count);
    free_carries(&s->pos);
    free_carries(&s->neg);
    free(s->pos.over);
    free(s->neg.over);
    cp_sketch_init(s);
}

size_t cp_sketch_memory(const cp_sketch *s)
{
    size_t bytes = 0;
    const cp_sketch_side *const side[2] = {&s->pos, &s->neg};
    for (int k = 0; k < 2; k++) {
        bytes += side[k]->n * (sizeof *side[k]->count + (side[k]->over ? sizeof(uint64_t) : 0));
        for (int b = 0; b < CP_SKETCH_MAX_OCTAVES; b++) {
            const cp_sketch_carries *block = side[k]->carry[b];
            bytes += block ? sizeof *block + (block->high ? OCTAVE * sizeof *block->high : 0) : 0;
        }
    }
    return bytes;
}

/* The 256s of bucket i of sd. */
static uint32_t carry_of(const cp_sketch_side *sd, size_t i)
{
    const cp_sketch_carries *k = sd->carry[i >> CP_SKETCH_SUBBITS];
    const size_t j = i & (OCTAVE - 1);
    return k ? k->low[j] + (k->high ? (uint32_t)k->high[j] << 8 : 0) : 0;
}

/* Sets the 256s of bucket i of sd to v, below 2^24, for which need_carry
 * has made room (nothing to do for 0 where there is no block). */
static void carry_set(cp_sketch_side *sd, size_t i, uint32_t v)
{
    cp_sketch_carries *k = sd->carry[i >> CP_SKETCH_SUBBITS];
    const size_t j = i & (OCTAVE - 1);
    if (!k)
        return;
    k->low[j] = (uint8_t)v;
    if (k->high)
        k->high[j] = (uint16_t)(v >> 8);
}

/* Makes room for a carry of v at bucket i of sd: its octave's block if v
 * is not 0, and the block's plane of 65,536s if v passes 255.  After a
 * failure the counts are as they were (a block may have been added). */
static int need_carry(cp_sketch_side *sd, size_t i, uint32_t v, cp_err *err)
{
    cp_sketch_carries **const block = &sd->carry[i >> CP_SKETCH_SUBBITS];
    if (v && !*block && !(*block = calloc(1, sizeof **block)))
        return cp_err_set(err, CP_ENOMEM, "sketch: cannot allocate %d carries", OCTAVE);
    if (v >> 8 && !(*block)->high && !((*block)->high = calloc(OCTAVE, sizeof *(*block)->high)))
        return cp_err_set(err, CP_ENOMEM, "sketch: cannot allocate %d carries", OCTAVE);
    return CP_OK;
}

/* Whether sd is at its cap: a key below its lowest then counts in that
 * bucket (the floor) rather than growing it. */
static int side_capped(const cp_sketch_side *sd)
{
    return (int64_t)sd->n == CAP;
}

/* The key a value of key `key` is counted under in sd: its own, or the
 * floor's when it is below a capped side. */
static int64_t side_key(const cp_sketch_side *sd, int64_t key)
{
    return key < sd->lo && side_capped(sd) ? sd->lo : key;
}

/* The lowest key of a capped side whose highest key is `last`: the
 * CP_SKETCH_MAX_OCTAVES octaves that end with last's. */
static int64_t floor_of(int64_t last)
{
    return last - last % OCTAVE - (CAP - OCTAVE);
}

/* With sd's range starting at key lo instead (a whole octave above its
 * own, when a capped side moves up): the count of the bucket at lo, the
 * floor, which its own keys and those below it join; 0 if nothing joins. */
static uint64_t floor_count(const cp_sketch_side *sd, int64_t lo)
{
    const int64_t old_end = (int64_t)sd->lo + sd->n;
    uint64_t sum = 0; /* at most 2^32 - 1 in count and carry (in_count): no overflow */
    for (int64_t key = sd->lo; sd->lo < lo && key <= lo && key < old_end; key++) {
        const size_t i = (size_t)(key - sd->lo);
        sum += sd->count[i] + ((uint64_t)carry_of(sd, i) << 8);
    }
    return sum;
}

/* The blocks of carries of sd as they sit in a range that starts at key
 * lo (whole octaves): moved, not copied; those of octaves below lo are
 * left out (floor_count takes their counts). */
static void move_carries(const cp_sketch_side *sd, int64_t lo, cp_sketch_carries **blk)
{
    const int64_t shift = ((int64_t)sd->lo - lo) / OCTAVE; /* old octave q is new q + shift */
    for (int64_t q = 0; q < (int64_t)sd->n / OCTAVE; q++)
        if (q + shift >= 0)
            blk[q + shift] = sd->carry[q];
}

/* Frees the blocks of carries of sd's octaves below key lo. */
static void free_carries_below(cp_sketch_side *sd, int64_t lo)
{
    for (int64_t q = 0; q < (int64_t)sd->n / OCTAVE && sd->lo + q * OCTAVE < lo; q++)
        free_block(&sd->carry[q]);
}

/* Moves sd's bytes and 64-bit counts into c and o (zeroed; o NULL if sd has
 * none) of a range that starts at key lo and holds sd's highest key: the
 * keys from lo up as they are, those below lo added into lo's (the floor,
 * whose count is floor, and whose carry, in blk[0], exists if it is not 0). */
static void move_counts(const cp_sketch_side *sd, int64_t lo, uint8_t *c, uint64_t *o,
                        cp_sketch_carries *const *blk, uint64_t floor)
{
    const int64_t old_end = (int64_t)sd->lo + sd->n;
    const int64_t from = sd->lo > lo ? sd->lo : lo; /* the first key kept as it is */
    if (from < old_end) {
        const size_t to = (size_t)(from - lo), at = (size_t)(from - sd->lo);
        const size_t n = (size_t)(old_end - from);
        memcpy(c + to, sd->count + at, n * sizeof *c);
        if (o)
            memcpy(o + to, sd->over + at, n * sizeof *o);
    }
    if (sd->lo >= lo)
        return; /* nothing joins the floor */
    uint64_t over = 0;
    for (int64_t key = sd->lo; key <= lo && key < old_end; key++)
        over += sd->over ? sd->over[key - sd->lo] : 0;
    c[0] = (uint8_t)floor;
    if (blk[0]) {
        blk[0]->low[0] = (uint8_t)(floor >> 8);
        if (blk[0]->high)
            blk[0]->high[0] = (uint16_t)(floor >> 16);
    }
    if (o)
        o[0] = over;
}

/* Grows sd to whole octaves covering keys [klo, khi] as well as its current
 * range, but to at most CAP keys: the highest octaves are kept, and the
 * counts of the keys below them join the lowest kept key (the floor), as
 * later values below it do.  So each value ends in the bucket of its key or
 * in the floor of the final range -- whatever the order of the values and
 * of the merges -- and the quantiles at or above the floor keep their
 * bound.  Counts are unchanged otherwise; on failure sd is unchanged. */
static int side_cover(cp_sketch_side *sd, int64_t klo, int64_t khi, cp_err *err)
{
    int64_t lo = klo - klo % OCTAVE;
    int64_t end = khi - khi % OCTAVE + OCTAVE;
    const int64_t old_end = (int64_t)sd->lo + sd->n;
    if (sd->n) {
        if (side_key(sd, klo) >= sd->lo && khi < old_end)
            return CP_OK;
        lo = lo < sd->lo ? lo : sd->lo;
        end = end > old_end ? end : old_end;
    }
    lo = end - lo > CAP ? end - CAP : lo;
    const size_t n = (size_t)(end - lo);
    cp_sketch_carries *blk[CP_SKETCH_MAX_OCTAVES] = {NULL};
    move_carries(sd, lo, blk);
    /* The floor's carry needs a block, and its plane of 65,536s, if the
     * counts that join it pass 255 or 65,535: made before anything moves. */
    const uint64_t floor = floor_count(sd, lo);
    cp_sketch_carries *extra = floor >> 8 && !blk[0] ? calloc(1, sizeof *extra) : NULL;
    blk[0] = extra ? extra : blk[0];
    uint16_t *high = floor >> 16 && blk[0] && !blk[0]->high ? calloc(OCTAVE, sizeof *high) : NULL;
    uint8_t *c = calloc(n, sizeof *c);
    uint64_t *o = sd->over ? calloc(n, sizeof *o) : NULL;
    if (!c || (sd->over && !o) || (floor >> 8 && !blk[0]) ||
        (floor >> 16 && !blk[0]->high && !high)) {
        free(c);
        free(o);
        free(extra);
        free(high);
        return cp_err_set(err, CP_ENOMEM, "sketch: cannot grow to %zu buckets", n);
    }
    if (high)
        blk[0]->high = high;
    if (sd->n)
        move_counts(sd, lo, c, o, blk, floor);
    free_carries_below(sd, lo);
    free(sd->count);
    free(sd->over);
    sd->count = c;
    memcpy(sd->carry, blk, sizeof blk);
    sd->over = o;
    sd->lo = (int32_t)lo;
    sd->n = (uint32_t)n;
    return CP_OK;
}

/* Moves every count (byte and carry) into the 64-bit ones (allocating
 * them), so that counting in them can go on.  On failure the counts are
 * unchanged. */
static int spill(cp_sketch *s, cp_err *err)
{
    cp_sketch_side *const side[2] = {&s->pos, &s->neg};
    for (int k = 0; k < 2; k++)
        if (!side[k]->over && side[k]->n) {
            side[k]->over = calloc(side[k]->n, sizeof *side[k]->over);
            if (!side[k]->over)
                return cp_err_set(err, CP_ENOMEM, "sketch: cannot widen %u buckets",
                                  (unsigned)side[k]->n);
        }
    for (int k = 0; k < 2; k++) {
        for (uint32_t i = 0; i < side[k]->n; i++) {
            side[k]->over[i] += side[k]->count[i] + ((uint64_t)carry_of(side[k], i) << 8);
            side[k]->count[i] = 0;
        }
        free_carries(side[k]);
    }
    s->in_count = 0;
    return CP_OK;
}

/* Makes room for n more in count and carry (see cp_sketch_side). */
static int reserve_counts(cp_sketch *s, uint64_t n, cp_err *err)
{
    return n <= UINT32_MAX - s->in_count ? CP_OK : spill(s, err);
}

static int bad_value(double x, cp_err *err)
{
    return cp_err_set(err, CP_EINVAL, "sketch: non-finite value %g", x);
}

int cp_sketch_add(cp_sketch *s, double x, cp_err *err)
{
    const uint64_t bits = double_bits(x);
    const uint64_t a = bits & ABS_MASK;
    if (a >= INF_BITS)
        return bad_value(x, err);
    if (a == 0) {
        s->zeros++;
        x = 0.0; /* -0.0 would make min and max depend on order */
    } else {
        cp_sketch_side *sd = bits >> 63 ? &s->neg : &s->pos;
        int64_t key = side_key(sd, (int64_t)(a >> KEY_SHIFT));
        if ((uint64_t)(key - sd->lo) >= sd->n) {
            const int rc = side_cover(sd, key, key, err);
            if (rc)
                return rc;
            key = side_key(sd, key); /* the floor, if the cap moved it */
        }
        const size_t i = (size_t)(key - sd->lo);
        int rc = reserve_counts(s, 1, err);
        if (!rc && sd->count[i] == UINT8_MAX)
            rc = need_carry(sd, i, carry_of(sd, i) + 1, err);
        if (rc)
            return rc;
        if (++sd->count[i] == 0)
            carry_set(sd, i, carry_of(sd, i) + 1);
        s->in_count++;
    }
    s->total++;
    s->min = x < s->min ? x : s->min;
    s->max = x > s->max ? x : s->max;
    return CP_OK;
}

/* Takes back the counts of the first n values of a strided add. */
static void unadd_strided(cp_sketch *s, const double *x, size_t n, size_t stride)
{
    for (size_t i = 0; i < n; i++) {
        const uint64_t bits = double_bits(x[i * stride]);
        const uint64_t a = bits & ABS_MASK;
        if (a == 0)
            continue;
        cp_sketch_side *sd = bits >> 63 ? &s->neg : &s->pos;
        const size_t k = (size_t)(side_key(sd, (int64_t)(a >> KEY_SHIFT)) - sd->lo);
        if (sd->count[k]-- == 0) /* a borrow from the 256s, whose block exists */
            carry_set(sd, k, carry_of(sd, k) - 1);
        s->in_count--;
    }
}

/* A strided add works on chunks of contiguous values in two passes.  The
 * first (chunk_scan) has no branch per value, so that the compiler
 * vectorizes it: it finds each value's counter, checks that every value is
 * finite and inside the arrays, and takes the chunk's min and max and its
 * number of zeros.  The second adds 1 to each counter and the sums, one
 * value at a time in index order.  Values a chunk's scan rejects (an octave
 * not seen yet, or not finite: its key is beyond every array) are rare and
 * go to chunk_grow, after which the scan starts over. */
typedef struct chunk {
    /* Each value's counter as an address; a zero's is its own sink, so that
     * zeros need no branch and do not wait on one another's increments. */
    uintptr_t slot[ADD_CHUNK];
    uint8_t sink[ADD_CHUNK];
    double buf[ADD_CHUNK]; /* the values of a strided chunk, made contiguous */
    size_t zeros;
    double lo, hi; /* the chunk's min and max */
    /* The counters whose byte wrapped round while counting the chunk (at
     * most one wrap per value), whose carries are added afterwards
     * (apply_wraps): a block of carries is allocated there, out of the
     * counting loop, where failing can still take the chunk back. */
    uintptr_t wrap[ADD_CHUNK];
    size_t n_wraps;
    int one_bucket, each; /* how chunk_count counted */
} chunk;

/* One side's counters as a scan selects them: the address of key 0 (as an
 * integer, as the counters of keys below lo do not exist), the first key
 * and the last (-1 if none), and the floor: the key below which values
 * count at it (lo for a capped side, else 0: none). */
typedef struct side_view {
    int64_t lo, last;
    uint64_t key0, floor;
} side_view;

static side_view side_view_of(const cp_sketch_side *sd)
{
    return (side_view){.lo = sd->lo,
                       .last = (int64_t)sd->n - 1,
                       .key0 = (uintptr_t)sd->count - (uintptr_t)sd->lo,
                       .floor = side_capped(sd) ? (uint64_t)sd->lo : 0};
}

/* The bits of a double as a signed integer in the order of the doubles (a
 * NaN aside; -0.0 just below +0.0): negative ones count down from -1.  The
 * compiler vectorizes integer min and max, not those of doubles. */
static int64_t ordered(uint64_t bits)
{
    return (int64_t)(bits ^ ((0 - (bits >> 63)) >> 1));
}

static double from_ordered(int64_t o)
{
    const uint64_t bits = (uint64_t)o ^ ((0 - ((uint64_t)o >> 63)) >> 1);
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* Fills ch from x[0..n), n <= ADD_CHUNK; returns whether every value is
 * finite and inside the arrays (ch is then complete).  Integer arithmetic
 * only: every clone gives the same slots, and min and max are the same
 * values in any order (a zero extreme may come out as -0.0, which the
 * caller turns into +0.0, as the one-by-one add does).  A value is inside
 * its side's keys [lo, last] when neither key - lo nor last - key is
 * negative: the sign bits of both, or-ed over the chunk, say whether any
 * value is outside.  A key below a capped side's floor is the floor's. */
CP_LANE_CLONES static int chunk_scan(const side_view *pos, const side_view *neg, const double *x,
                                     size_t n, chunk *ch)
{
    const uint64_t plo = (uint64_t)pos->lo, dlo = plo ^ (uint64_t)neg->lo;
    const uint64_t plast = (uint64_t)pos->last, dlast = plast ^ (uint64_t)neg->last;
    const uint64_t pk = pos->key0, dk = pk ^ neg->key0;
    const uint64_t pfl = pos->floor, dfl = pfl ^ neg->floor;
    const uint64_t sink = (uintptr_t)ch->sink;
    uintptr_t *const slot = ch->slot;
    uint64_t bad = 0, zeros = 0;
    int64_t lo = ordered(double_bits(INFINITY)), hi = ordered(double_bits(-INFINITY));
    uint64_t zslot = sink; /* a running address: fewer vector operations than sink + 4 i */
    for (size_t i = 0; i < n; i++, zslot++) {
        const uint64_t bits = double_bits(x[i]);
        const uint64_t a = bits & ABS_MASK;
        const uint64_t neg_mask = 0 - (bits >> 63);
        const uint64_t zero = 0 - (uint64_t)(a == 0);
        const uint64_t raw = a >> KEY_SHIFT, fl = pfl ^ (dfl & neg_mask);
        const uint64_t key = raw < fl ? fl : raw;
        const uint64_t idx = key - (plo ^ (dlo & neg_mask));
        bad |= (idx | ((plast ^ (dlast & neg_mask)) - idx)) & ~zero;
        const uint64_t at = (pk ^ (dk & neg_mask)) + key;
        slot[i] = (at & ~zero) | (zslot & zero);
        zeros -= zero;
        const int64_t o = ordered(bits);
        lo = o < lo ? o : lo;
        hi = o > hi ? o : hi;
    }
    ch->zeros = zeros;
    ch->lo = from_ordered(lo);
    ch->hi = from_ordered(hi);
    return !(bad >> 63);
}

/* chunk_scan for a sketch without negative values so far, which is most of
 * them: a negative value is then outside the arrays anyway, so there is no
 * side to choose.  The key taken with the sign bit puts a negative value
 * beyond every array; and min and max can compare the bits as they are, as
 * nonnegative doubles order as their bits do, and -0.0 (the bits of the
 * most negative integer) can only be an extreme that is a zero. */
CP_LANE_CLONES static int chunk_scan_pos(const side_view *pos, const double *x, size_t n, chunk *ch)
{
    const uint64_t plo = (uint64_t)pos->lo, plast = (uint64_t)pos->last, pk = pos->key0;
    const uint64_t fl = pos->floor;
    const uint64_t sink = (uintptr_t)ch->sink;
    uintptr_t *const slot = ch->slot;
    uint64_t bad = 0, zeros = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    uint64_t zslot = sink;
    for (size_t i = 0; i < n; i++, zslot++) {
        const uint64_t bits = double_bits(x[i]);
        const uint64_t zero = 0 - (uint64_t)(bits << 1 == 0);
        const uint64_t raw = bits >> KEY_SHIFT, key = raw < fl ? fl : raw;
        const uint64_t idx = key - plo;
        bad |= (idx | (plast - idx)) & ~zero;
        const uint64_t at = pk + key;
        slot[i] = (at & ~zero) | (zslot & zero);
        zeros -= zero;
        const int64_t o = (int64_t)bits;
        lo = o < lo ? o : lo;
        hi = o > hi ? o : hi;
    }
    ch->zeros = zeros;
    memcpy(&ch->lo, &lo, sizeof lo);
    memcpy(&ch->hi, &hi, sizeof hi);
    return !(bad >> 63);
}

/* The index of the first of x[0], x[stride], ... x[(n - 1) * stride] that
 * is a NaN or infinite; n if none. */
static size_t first_nonfinite(const double *x, size_t n, size_t stride)
{
    for (size_t i = 0; i < n; i++)
        if ((double_bits(x[i * stride]) & ABS_MASK) >= INF_BITS)
            return i;
    return n;
}

/* Grows s to cover every value of x[0..n), of which chunk_scan rejected
 * some, or fails if one is not finite.  Each side grows once, to its
 * smallest and largest keys in x: side_cover gives the same range, and
 * the same floor, as covering the values one at a time would (the range
 * is the cap's end below the largest key, or the smallest key if higher),
 * with one reallocation instead of one for each new octave. */
static int chunk_grow(cp_sketch *s, const double *x, size_t n, cp_err *err)
{
    int64_t lo[2] = {KEY_LIMIT, KEY_LIMIT}, hi[2] = {-1, -1}; /* [0] positive, [1] negative */
    for (size_t i = 0; i < n; i++) {
        const uint64_t bits = double_bits(x[i]);
        const uint64_t a = bits & ABS_MASK;
        if (a >= INF_BITS)
            return bad_value(x[i], err);
        const int k = (int)(bits >> 63);
        const int64_t key = (int64_t)(a >> KEY_SHIFT);
        lo[k] = a != 0 && key < lo[k] ? key : lo[k];
        hi[k] = a != 0 && key > hi[k] ? key : hi[k];
    }
    cp_sketch_side *const side[2] = {&s->pos, &s->neg};
    for (int k = 0; k < 2; k++) {
        const int rc = hi[k] >= 0 ? side_cover(side[k], lo[k], hi[k], err) : CP_OK;
        if (rc)
            return rc;
    }
    return CP_OK;
}

/* Adds c (at most 256) to the byte at address at, one of the counters, and
 * notes a wrap round (at most one: the byte was at most 255).  Rare (a byte
 * wraps once in 256 adds), so out of the counting loop's way; a sink never
 * wraps (it counts one zero at most). */
static __attribute__((noinline)) void add_carry(chunk *ch, uintptr_t at, unsigned c)
{
    uint8_t *const byte = (uint8_t *)at;
    const unsigned sum = *byte + c;
    *byte = (uint8_t)sum;
    if (sum >> 8)
        ch->wrap[ch->n_wraps++] = at;
}

/* Adds 1 to the counter at address at: its byte, and a wrap noted when the
 * byte wraps round. */
static inline void count_one(chunk *ch, uintptr_t at)
{
    uint8_t *const byte = (uint8_t *)at;
    if (__builtin_expect(*byte == UINT8_MAX, 0))
        add_carry(ch, at, 1);
    else
        ++*byte;
}

/* Adds 1 to the counter of each of the n values of ch and, if sums is not
 * NULL, each value and its square to the sums, in index order. */
static void chunk_count(chunk *ch, const double *x, size_t n, double *sums)
{
    ch->n_wraps = 0;
    if (ch->zeros)
        memset(ch->sink, 0, n * sizeof *ch->sink);
    /* Values all in one bucket (a constant column) would wait on each
     * increment of the same counter in turn, so they are added at once.
     * Keys grow with |x|, so min and max of one sign in one bucket put every
     * value there. */
    const uint64_t blo = double_bits(ch->lo), bhi = double_bits(ch->hi);
    const int one_bucket = ch->zeros == 0 && (blo >> KEY_SHIFT) == (bhi >> KEY_SHIFT);
    const int each = ch->zeros < n && !one_bucket;
    ch->one_bucket = one_bucket;
    ch->each = each;
    if (one_bucket)
        add_carry(ch, ch->slot[0], (unsigned)n);
    /* The counters are mostly a cache miss each (the sketches of a run
     * are many times a core's cache): asked for all at once first, they
     * arrive together, where the counting loop waited on each in turn
     * (the reduction 10.5 to 8.5 us a sample in the baseline, the fastest of
     * five alternating runs). */
    for (size_t i = 0; each && i < n; i++)
        __builtin_prefetch((const void *)ch->slot[i], 1, 3);
    if (sums && each) {
        double s1 = sums[0], s2 = sums[1];
        for (size_t i = 0; i < n; i++) {
            const double v = x[i];
            s1 += v;
            s2 += v * v;
            count_one(ch, ch->slot[i]);
        }
        sums[0] = s1;
        sums[1] = s2;
    } else if (sums) {
        double s1 = sums[0], s2 = sums[1];
        for (size_t i = 0; i < n; i++) {
            const double v = x[i];
            s1 += v;
            s2 += v * v;
        }
        sums[0] = s1;
        sums[1] = s2;
    } else if (each) {
        size_t i = 0;
        /* Four at a time: the loop's own instructions were as many as the
         * increments'. */
        for (; i + 4 <= n; i += 4) {
            count_one(ch, ch->slot[i]);
            count_one(ch, ch->slot[i + 1]);
            count_one(ch, ch->slot[i + 2]);
            count_one(ch, ch->slot[i + 3]);
        }
        for (; i < n; i++)
            count_one(ch, ch->slot[i]);
    }
}

/* The side of s whose counters hold address at, and the bucket's index. */
static cp_sketch_side *side_of(cp_sketch *s, uintptr_t at, size_t *i)
{
    cp_sketch_side *sd = at - (uintptr_t)s->pos.count < s->pos.n ? &s->pos : &s->neg;
    *i = at - (uintptr_t)sd->count;
    return sd;
}

/* Adds 1 to the carry of each counter that wrapped while counting ch,
 * allocating first every block of carries they need; on failure no carry
 * has changed. */
static int apply_wraps(cp_sketch *s, const chunk *ch, cp_err *err)
{
    size_t i;
    for (size_t w = 0; w < ch->n_wraps; w++) {
        cp_sketch_side *sd = side_of(s, ch->wrap[w], &i);
        const int rc = need_carry(sd, i, carry_of(sd, i) + 1, err);
        if (rc)
            return rc;
    }
    for (size_t w = 0; w < ch->n_wraps; w++) {
        cp_sketch_side *sd = side_of(s, ch->wrap[w], &i);
        carry_set(sd, i, carry_of(sd, i) + 1);
    }
    return CP_OK;
}

/* Takes back what chunk_count added to the bytes of ch's n values (their
 * carries not yet added): bytes wrap round both ways. */
static void chunk_uncount(const chunk *ch, size_t n)
{
    if (ch->one_bucket)
        *(uint8_t *)ch->slot[0] -= (uint8_t)n;
    for (size_t i = 0; ch->each && i < n; i++)
        --*(uint8_t *)ch->slot[i];
}

int cp_sketch_add_strided(cp_sketch *s, const double *x, size_t n, size_t stride, double *sums,
                          cp_err *err)
{
    /* At most n more counts, so none of them can wrap. */
    const int rc0 = reserve_counts(s, n, err);
    if (rc0)
        return rc0;
    chunk ch;
    double lo = s->min, hi = s->max;
    double sum[2] = {sums ? sums[0] : 0.0, sums ? sums[1] : 0.0};
    uint64_t zeros = 0;
    int rest_checked = 0;
    for (size_t i = 0; i < n; i += ADD_CHUNK) {
        const size_t m = n - i < ADD_CHUNK ? n - i : ADD_CHUNK;
        const double *v = x + i * stride;
        if (stride != 1) {
            for (size_t j = 0; j < m; j++)
                ch.buf[j] = v[j * stride];
            v = ch.buf;
        }
        for (;;) {
            const side_view pos = side_view_of(&s->pos), neg = side_view_of(&s->neg);
            if (s->neg.n ? chunk_scan(&pos, &neg, v, m, &ch) : chunk_scan_pos(&pos, v, m, &ch))
                break;
            /* Growing can move a capped side's floor, which no unadd takes
             * back: so every value still to come is checked first, and a
             * NaN or infinity fails before anything grows. */
            const size_t bad = rest_checked ? n : first_nonfinite(x + i * stride, n - i, stride);
            rest_checked = 1;
            if (bad < n - i) {
                unadd_strided(s, x, i, stride);
                return bad_value(x[(i + bad) * stride], err);
            }
            const int rc = chunk_grow(s, v, m, err);
            if (rc) {
                unadd_strided(s, x, i, stride);
                return rc;
            }
        }
        chunk_count(&ch, v, m, sums ? sum : NULL);
        const int rc = apply_wraps(s, &ch, err);
        if (rc) {
            chunk_uncount(&ch, m);
            unadd_strided(s, x, i, stride);
            return rc;
        }
        s->in_count += m - ch.zeros; /* as unadd_strided takes them back */
        zeros += ch.zeros;
        lo = ch.lo < lo ? ch.lo : lo;
        hi = ch.hi > hi ? ch.hi : hi;
    }
    s->zeros += zeros;
    s->total += n;
    /* -0.0 == 0.0, so a zero extreme may be either; store +0.0. */
    s->min = lo == 0 ? 0.0 : lo;
    s->max = hi == 0 ? 0.0 : hi;
    if (sums) {
        sums[0] = sum[0];
        sums[1] = sum[1];
    }
    return CP_OK;
}

/* The first and one past the last nonzero index of sd; both 0 if none. */
static void side_used(const cp_sketch_side *sd, uint32_t *first, uint32_t *end)
{
    uint32_t f = 0, e = sd->n;
    while (f < e && cp_sketch_bucket(sd, f) == 0)
        f++;
    while (e > f && cp_sketch_bucket(sd, e - 1) == 0)
        e--;
    /* A side of zeros only (grown for an add that then failed) has none. */
    *first = f == e ? 0 : f;
    *end = f == e ? 0 : e;
}

/* Grows dst to cover the nonzero counts of src. */
static int side_reserve(cp_sketch_side *dst, const cp_sketch_side *src, cp_err *err)
{
    uint32_t f, e;
    side_used(src, &f, &e);
    if (f == e)
        return CP_OK;
    return side_cover(dst, (int64_t)src->lo + f, (int64_t)src->lo + e - 1, err);
}

/* Adds c to bucket i of dst: to its byte and carry while the sketch's
 * count and carry stay below 2^32 (tracked by *in_count), else to the
 * 64-bit count, which reserve_counts has made.  A carry that becomes
 * nonzero has its block (carry_room saw to it). */
static void bucket_add(cp_sketch_side *dst, int64_t i, uint64_t c, uint64_t *in_count)
{
    if (c <= UINT32_MAX - *in_count) {
        /* At most 2^32 - 1 in all, so the carry cannot overflow. */
        const uint64_t sum = dst->count[i] + ((uint64_t)carry_of(dst, (size_t)i) << 8) + c;
        dst->count[i] = (uint8_t)sum;
        if (sum >> 8)
            carry_set(dst, (size_t)i, (uint32_t)(sum >> 8));
        *in_count += c;
    } else {
        dst->over[i] += c;
    }
}

/* Allocates the block of carries that bucket j of dst needs if adding c
 * in all to it makes its carry nonzero. */
static int carry_room(cp_sketch_side *dst, int64_t j, uint64_t c, cp_err *err)
{
    const uint64_t sum = dst->count[j] + ((uint64_t)carry_of(dst, (size_t)j) << 8) + c;
    return need_carry(dst, (size_t)j, (uint32_t)(sum >> 8), err);
}

/* carry_room for a count c added at bucket j of dst; at bucket 0, or below
 * it (a floor), c is added to *floor instead: the counts that join bucket 0
 * are checked together (floor_room). */
static int room_for(cp_sketch_side *dst, int64_t j, uint64_t c, uint64_t *floor, cp_err *err)
{
    if (j > 0)
        return carry_room(dst, j, c, err);
    *floor += c;
    return CP_OK;
}

/* carry_room for bucket 0, once every count that joins it is in floor. */
static int floor_room(cp_sketch_side *dst, uint64_t floor, cp_err *err)
{
    return floor ? carry_room(dst, 0, floor, err) : CP_OK;
}

/* The blocks of carries that adding src's counts to dst (side_add) needs. */
static int side_room(cp_sketch_side *dst, const cp_sketch_side *src, cp_err *err)
{
    uint32_t f, e;
    side_used(src, &f, &e);
    const int64_t at = (int64_t)src->lo - dst->lo;
    uint64_t floor = 0;
    for (uint32_t i = f; i < e; i++) {
        const int rc = room_for(dst, at + i, cp_sketch_bucket(src, i), &floor, err);
        if (rc)
            return rc;
    }
    return floor_room(dst, floor, err);
}

/* Adds src's counts to dst, whose range covers src's (side_cover), keys
 * below a capped dst's floor at the floor. */
static void side_add(cp_sketch_side *dst, const cp_sketch_side *src, uint64_t *in_count)
{
    uint32_t f, e;
    side_used(src, &f, &e);
    const int64_t at = (int64_t)src->lo - dst->lo;
    for (uint32_t i = f; i < e; i++)
        bucket_add(dst, at + i < 0 ? 0 : at + i, cp_sketch_bucket(src, i), in_count);
}

int cp_sketch_merge(cp_sketch *dst, const cp_sketch *src, cp_err *err)
{
    /* Grow both sides before adding anything, so failure changes no count. */
    int rc = side_reserve(&dst->pos, &src->pos, err);
    if (!rc)
        rc = side_reserve(&dst->neg, &src->neg, err);
    if (!rc)
        rc = reserve_counts(dst, src->total - src->zeros, err);
    if (!rc)
        rc = side_room(&dst->pos, &src->pos, err);
    if (!rc)
        rc = side_room(&dst->neg, &src->neg, err);
    if (rc)
        return rc;
    side_add(&dst->pos, &src->pos, &dst->in_count);
    side_add(&dst->neg, &src->neg, &dst->in_count);
    dst->zeros += src->zeros;
    dst->total += src->total;
    dst->min = src->min < dst->min ? src->min : dst->min;
    dst->max = src->max > dst->max ? src->max : dst->max;
    return CP_OK;
}

/* k = max(1, ceil(p * n)) computed exactly for the double p: the product is
 * rounded, and only when it rounds to an integer can the exact product lie
 * above it, which the fma residual tells. */
static uint64_t rank_of(double p, uint64_t n)
{
    const double dn = (double)n;
    const double prod = p * dn;
    double c = ceil(prod);
    if (c == prod && fma(p, dn, -prod) > 0)
        c += 1;
    if (c < 1)
        return 1;
    return c >= dn ? n : (uint64_t)c;
}

/* The point of the bucket of key that is at the same relative distance
 * 1/(2049 + 2j) from both of its edges [a, b): r = 2ab / (a + b). */
static double bucket_point(int64_t key)
{
    const int64_t bexp = key >> CP_SKETCH_SUBBITS;
    const int64_t j = key & (OCTAVE - 1);
    /* a = ma * 2^e and b = (ma + 1) * 2^e with small integers ma, ma + 1. */
    const double ma = (double)(bexp ? OCTAVE + j : j);
    const int e = (int)(bexp ? bexp : 1) - 1023 - CP_SKETCH_SUBBITS;
    return ldexp(2.0 * ma * (ma + 1.0) / (2.0 * ma + 1.0), e);
}

static double clamp(double r, const cp_sketch *s)
{
    return r < s->min ? s->min : r > s->max ? s->max : r;
}

/* Quantiles as cp_sketch_quantiles, at most QUANTILE_BATCH of them: the
 * ranks in increasing order, each reported at the first bucket (in the
 * order of the values) where the cumulative count reaches it, as a walk
 * for that rank alone would. */
#define QUANTILE_BATCH 16
static void quantile_batch(const cp_sketch *s, const double *p, size_t n, double *q)
{
    uint64_t k[QUANTILE_BATCH];
    size_t order[QUANTILE_BATCH], m = 0;
    for (size_t i = 0; i < n; i++) {
        if (s->total == 0 || !(p[i] >= 0.0 && p[i] <= 1.0)) {
            q[i] = NAN;
            continue;
        }
        k[i] = rank_of(p[i], s->total);
        /* The extremes are known exactly. */
        if (k[i] == 1 || k[i] == s->total) {
            q[i] = k[i] == 1 ? s->min : s->max;
            continue;
        }
        size_t j = m++;
        for (; j > 0 && k[order[j - 1]] > k[i]; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    size_t next = 0;
    uint64_t cum = 0;
    for (uint32_t i = s->neg.n; next < m && i-- > 0;) {
        cum += cp_sketch_bucket(&s->neg, i);
        if (cum < k[order[next]])
            continue;
        const double v = clamp(-bucket_point((int64_t)s->neg.lo + i), s);
        while (next < m && cum >= k[order[next]])
            q[order[next++]] = v;
    }
    cum += s->zeros;
    while (next < m && cum >= k[order[next]])
        q[order[next++]] = 0.0;
    for (uint32_t i = 0; next < m && i < s->pos.n; i++) {
        cum += cp_sketch_bucket(&s->pos, i);
        if (cum < k[order[next]])
            continue;
        const double v = clamp(bucket_point((int64_t)s->pos.lo + i), s);
        while (next < m && cum >= k[order[next]])
            q[order[next++]] = v;
    }
    while (next < m) /* unreachable while total is the sum of the counts */
        q[order[next++]] = s->max;
}

void cp_sketch_quantiles(const cp_sketch *s, const double *p, size_t n, double *q)
{
    for (size_t i = 0; i < n; i += QUANTILE_BATCH)
        quantile_batch(s, p + i, n - i < QUANTILE_BATCH ? n - i : QUANTILE_BATCH, q + i);
}

double cp_sketch_quantile(const cp_sketch *s, double p)
{
    double q;
    quantile_batch(s, &p, 1, &q);
    return q;
}

/* ---- serialization ----
 *
 * Layout (host byte order): "CPSK", u32 version, u64 total, u64 zeros,
 * f64 min, f64 max, i32 lo and u32 n of the positive side, the same of the
 * negative side, then the n counts of each side as LEB128 varints.  Each side
 * is trimmed to its first and last nonzero count (lo = n = 0 if none), so
 * equal sketches pack to equal bytes whatever their growth history. */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >>= 7)
        n++;
    return n;
}

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static unsigned char *put_bytes(unsigned char *p, const void *v, size_t n)
{
    memcpy(p, v, n);
    return p + n;
}

size_t cp_sketch_packed_size(const cp_sketch *s)
{
    size_t size = PACK_HEADER;
    const cp_sketch_side *sides[2] = {&s->pos, &s->neg};
    for (int k = 0; k < 2; k++) {
        uint32_t f, e;
        side_used(sides[k], &f, &e);
        for (uint32_t i = f; i < e; i++)
            size += varint_size(cp_sketch_bucket(sides[k], i));
    }
    return size;
}

size_t cp_sketch_packed_max(void)
{
    return PACK_HEADER + 2 * (size_t)CAP * VARINT_MAX;
}

static unsigned char *put_side_range(unsigned char *p, const cp_sketch_side *sd)
{
    uint32_t f, e;
    side_used(sd, &f, &e);
    const int32_t lo = f < e ? sd->lo + (int32_t)f : 0;
    const uint32_t n = e - f;
    p = put_bytes(p, &lo, sizeof lo);
    return put_bytes(p, &n, sizeof n);
}

static unsigned char *put_side_counts(unsigned char *p, const cp_sketch_side *sd)
{
    uint32_t f, e;
    side_used(sd, &f, &e);
    for (uint32_t i = f; i < e; i++)
        p = put_varint(p, cp_sketch_bucket(sd, i));
    return p;
}

size_t cp_sketch_pack(const cp_sketch *s, unsigned char *buf)
{
    const uint32_t version = PACK_VERSION;
    unsigned char *p = put_bytes(buf, PACK_MAGIC, 4);
    p = put_bytes(p, &version, sizeof version);
    p = put_bytes(p, &s->total, sizeof s->total);
    p = put_bytes(p, &s->zeros, sizeof s->zeros);
    p = put_bytes(p, &s->min, sizeof s->min);
    p = put_bytes(p, &s->max, sizeof s->max);
    p = put_side_range(p, &s->pos);
    p = put_side_range(p, &s->neg);
    p = put_side_counts(p, &s->pos);
    p = put_side_counts(p, &s->neg);
    return (size_t)(p - buf);
}

/* A packed sketch, parsed and checked but not yet added anywhere. */
typedef struct packed {
    uint64_t total, zeros;
    double min, max;
    int32_t lo[2]; /* [0] positive, [1] negative side */
    uint32_t n[2];
    const unsigned char *counts[2]; /* the varints of each side */
    const unsigned char *end;       /* one past the last varint */
    size_t size;                    /* bytes of the whole packed sketch */
} packed;

/* Reads one varint from [*p, end); 0 if truncated, overlong or too big. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < VARINT_MAX && *p < end; i++) {
        const uint64_t byte = *(*p)++;
        if (i == VARINT_MAX - 1 && byte > 1)
            return 0;
        x |= (byte & 0x7f) << (7 * i);
        if (byte < 0x80) {
            *v = x;
            return i == 0 || byte != 0; /* no redundant trailing zero byte */
        }
    }
    return 0;
}

/* Checks one side's range and counts, adds their sum to *sum. */
static int parse_side(packed *pk, int k, const unsigned char **p, const unsigned char *end,
                      uint64_t *sum, cp_err *err)
{
    static const char *const name[2] = {"positive", "negative"};
    const int64_t lo = pk->lo[k], n = pk->n[k];
    if ((n == 0 && lo != 0) || lo < 0 || lo + n > KEY_LIMIT || n > CAP)
        return cp_err_set(err, CP_EINVAL, "packed sketch: bad %s key range [%lld, %lld)", name[k],
                          (long long)lo, (long long)(lo + n));
    pk->counts[k] = *p;
    for (int64_t i = 0; i < n; i++) {
        uint64_t c;
        if (!get_varint(p, end, &c))
            return cp_err_set(err, CP_EINVAL, "packed sketch: %s count %lld of %lld %s", name[k],
                              (long long)i, (long long)n, *p >= end ? "truncated" : "malformed");
        if ((i == 0 || i == n - 1) && c == 0)
            return cp_err_set(err, CP_EINVAL, "packed sketch: %s range not trimmed", name[k]);
        if (c > UINT64_MAX - *sum)
            return cp_err_set(err, CP_EINVAL, "packed sketch: counts overflow");
        *sum += c;
    }
    return CP_OK;
}

static int64_t key_of(double x)
{
    return (int64_t)((double_bits(x) & ABS_MASK) >> KEY_SHIFT);
}

/* Whether x is in the bucket of key on the side of sign neg. */
static int in_bucket(double x, int neg, int64_t key)
{
    return (neg ? x < 0 : x > 0) && key_of(x) == key;
}

/* The smallest value must fall in the first nonempty bucket of the order
 * (negatives by decreasing magnitude, zeros, positives), the largest in the
 * last one. */
/* Whether x, of the sign of side k, is in the side's smallest bucket: in
 * its key, or below it when that bucket is the floor of a capped side
 * (the smallest key is then CP_SKETCH_MAX_OCTAVES octaves below the
 * largest's). */
static int in_smallest(const packed *pk, int k, double x)
{
    const int64_t lo = pk->lo[k], last = lo + pk->n[k] - 1;
    if (in_bucket(x, k, lo))
        return 1;
    return (k ? x < 0 : x > 0) && key_of(x) < lo && lo == floor_of(last);
}

static int min_fits(const packed *pk)
{
    if (pk->n[1])
        return in_bucket(pk->min, 1, (int64_t)pk->lo[1] + pk->n[1] - 1);
    if (pk->zeros)
        return double_bits(pk->min) == 0;
    return in_smallest(pk, 0, pk->min);
}

static int max_fits(const packed *pk)
{
    if (pk->n[0])
        return in_bucket(pk->max, 0, (int64_t)pk->lo[0] + pk->n[0] - 1);
    if (pk->zeros)
        return double_bits(pk->max) == 0;
    return in_smallest(pk, 1, pk->max);
}

static int check_extremes(const packed *pk, cp_err *err)
{
    if (pk->total == 0) {
        if (pk->min != INFINITY || pk->max != -INFINITY)
            return cp_err_set(err, CP_EINVAL, "packed sketch: empty but min/max set");
        return CP_OK;
    }
    if (!isfinite(pk->min) || !isfinite(pk->max) || pk->min > pk->max || !min_fits(pk) ||
        !max_fits(pk))
        return cp_err_set(err, CP_EINVAL, "packed sketch: min %g / max %g do not fit the counts",
                          pk->min, pk->max);
    return CP_OK;
}

static int parse(packed *pk, const unsigned char *buf, size_t avail, cp_err *err)
{
    if (avail < PACK_HEADER)
        return cp_err_set(err, CP_EINVAL, "packed sketch truncated: %zu bytes, header needs %d",
                          avail, PACK_HEADER);
    uint32_t version;
    memcpy(&version, buf + 4, sizeof version);
    if (memcmp(buf, PACK_MAGIC, 4) != 0 || version != PACK_VERSION)
        return cp_err_set(err, CP_EINVAL, "not a packed sketch (bad magic or version %u)",
                          (unsigned)version);
    const unsigned char *p = buf + 8;
    memcpy(&pk->total, p, 8);
    memcpy(&pk->zeros, p + 8, 8);
    memcpy(&pk->min, p + 16, 8);
    memcpy(&pk->max, p + 24, 8);
    for (int k = 0; k < 2; k++) {
        memcpy(&pk->lo[k], p + 32 + 8 * k, 4);
        memcpy(&pk->n[k], p + 36 + 8 * k, 4);
    }
    p = buf + PACK_HEADER;
    const unsigned char *const end = buf + avail;
    uint64_t sum = pk->zeros;
    for (int k = 0; k < 2; k++) {
        const int rc = parse_side(pk, k, &p, end, &sum, err);
        if (rc)
            return rc;
    }
    if (sum != pk->total)
        return cp_err_set(err, CP_EINVAL, "packed sketch: total %llu but counts sum to %llu",
                          (unsigned long long)pk->total, (unsigned long long)sum);
    pk->end = p;
    pk->size = (size_t)(p - buf);
    return check_extremes(pk, err);
}

int cp_sketch_unpack_check(const unsigned char *buf, size_t avail, size_t *used, uint64_t *total,
                           cp_err *err)
{
    packed pk;
    const int rc = parse(&pk, buf, avail, err);
    if (rc)
        return rc;
    if (used)
        *used = pk.size;
    if (total)
        *total = pk.total;
    return CP_OK;
}

/* The blocks of carries that add_counts needs. */
static int counts_room(cp_sketch_side *sd, const packed *pk, int k, cp_err *err)
{
    const unsigned char *p = pk->counts[k];
    const int64_t at = (int64_t)pk->lo[k] - sd->lo;
    uint64_t floor = 0;
    for (uint32_t i = 0; i < pk->n[k]; i++) {
        uint64_t c = 0;
        get_varint(&p, pk->end, &c); /* checked by parse */
        const int rc = room_for(sd, at + i, c, &floor, err);
        if (rc)
            return rc;
    }
    return floor_room(sd, floor, err);
}

static void add_counts(cp_sketch_side *sd, const packed *pk, int k, uint64_t *in_count)
{
    const unsigned char *p = pk->counts[k];
    const int64_t at = (int64_t)pk->lo[k] - sd->lo;
    for (uint32_t i = 0; i < pk->n[k]; i++) {
        uint64_t c = 0;
        get_varint(&p, pk->end, &c);                          /* checked by parse */
        bucket_add(sd, at + i < 0 ? 0 : at + i, c, in_count); /* below a floor: at it */
    }
}

int cp_sketch_unpack_merge(cp_sketch *dst, const unsigned char *buf, size_t avail, size_t *used,
                           cp_err *err)
{
    packed pk;
    int rc = parse(&pk, buf, avail, err);
    if (rc)
        return rc;
    if (pk.total > UINT64_MAX - dst->total)
        return cp_err_set(err, CP_EINVAL, "packed sketch: total count overflows");
    cp_sketch_side *const side[2] = {&dst->pos, &dst->neg};
    for (int k = 0; k < 2; k++) {
        if (pk.n[k] == 0)
            continue;
        rc = side_cover(side[k], pk.lo[k], (int64_t)pk.lo[k] + pk.n[k] - 1, err);
        if (rc)
            return rc;
    }
    rc = reserve_counts(dst, pk.total - pk.zeros, err);
    for (int k = 0; !rc && k < 2; k++)
        rc = counts_room(side[k], &pk, k, err);
    if (rc)
        return rc;
    for (int k = 0; k < 2; k++)
        add_counts(side[k], &pk, k, &dst->in_count);
    dst->zeros += pk.zeros;
    dst->total += pk.total;
    dst->min = pk.min < dst->min ? pk.min : dst->min;
    dst->max = pk.max > dst->max ? pk.max : dst->max;
    if (used)
        *used = pk.size;
    return CP_OK;
}
