/* cp_sketch.h -- a mergeable quantile sketch with bounded relative error.
 *
 * Values go into log-linear buckets: the IEEE exponent picks an octave and
 * the top 10 bits of the mantissa one of 1024 equal sub-buckets inside it,
 * so a bucket's width is at most 1/1024 of its lower edge.  Reporting the
 * point of a bucket that splits the relative error evenly gives quantiles
 * within 0.05% of the exact sample quantile (bound: 1/2049).  Counts are
 * integers, so merging sketches in any order gives identical results.
 * Memory depends on the range of values (octaves seen: a byte a bucket)
 * and on where the counts pass 255 and 65,535 (1 KiB, then 2 KiB more, of
 * carries for such an octave),
 * and is bounded: each sign keeps at most CP_SKETCH_MAX_OCTAVES octaves,
 * those of its largest magnitudes.  A value
 * more than that below the largest of its sign counts in the lowest bucket
 * kept (the floor; the DDSketch collapse), so a quantile that falls there
 * is reported as that bucket's point: for positive values an upper bound
 * on the true quantile and at most 2^-15 of the largest value (for
 * negative values the same for the magnitude).  Every quantile at least
 * 2^-15 times the largest magnitude of its sign keeps the bound.  The
 * result is the same in any order of adding and merging (each value ends
 * in its own bucket or in the floor of the final range).  Zeros and
 * negative values are kept too.  Subnormal
 * values share the buckets of biased exponent 0, which are absolute rather
 * than relative (width 2^-1032), so the bound does not hold for them.
 *
 * Quantile definition: the inverse of the empirical CDF,
 * Q(p) = x_(k) with k = max(1, ceil(p * n)) over the sorted values x_(1..n).
 * The reported value is clamped to the exact [min, max] seen, so a cell whose
 * values are all equal reports that value exactly.
 */
#ifndef CP_SKETCH_H
#define CP_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "cp_error.h"

#define CP_SKETCH_SUBBITS 10 /* 1024 sub-buckets per octave */
#define CP_SKETCH_REL_ERROR (1.0 / 2049.0)
/* Each sign keeps at most this many octaves: those of its largest values
 * (|x| within a factor 2^16 = 65,536 of the largest, at least), so a
 * sketch's memory is bounded whatever the values and their number. */
#define CP_SKETCH_MAX_OCTAVES 16

/* An octave's carries, the 256s of its buckets' counts, in two planes:
 * bucket j's is low[j] + 256 high[j].  The plane of 65,536s is allocated
 * when a carry in the octave first passes 255 (a count 65,535), which
 * few octaves' do, so a carry mostly costs a byte. */
typedef struct cp_sketch_carries {
    uint8_t low[1 << CP_SKETCH_SUBBITS];
    uint16_t *high; /* NULL while all are 0 */
} cp_sketch_carries;

/* One sign's buckets: counts for keys [lo, lo + n), lo a whole octave.
 * Adding a value increments a byte, count[i], and only when that byte
 * wraps round does it touch the count's 256s, in its octave's block of
 * carries (carry[i >> CP_SKETCH_SUBBITS], 1024 of them): the counters that
 * adding walks through at random (the sketches of a run are many times a
 * core's cache) take a quarter of the lines 32-bit counts would, and adding
 * is bound by those lines.  An octave's block is allocated when a count in
 * it first passes 255, which most never do (the sparse tails of a cell, the
 * wide sketches of paired differences): so a bucket costs one byte, plus
 * one in the octaves that need them and two more in those whose counts
 * pass 65,535.  Once a sketch holds more than 2^32 - 1 values in count and
 * carry (so a carry is below 2^24), they move into over (64-bit, allocated
 * then) and start again from zero, so bucket i holds count[i] + 256 carry +
 * over[i] (cp_sketch_bucket). */
typedef struct cp_sketch_side {
    int32_t lo;
    uint32_t n;
    uint8_t *count;
    cp_sketch_carries *carry[CP_SKETCH_MAX_OCTAVES]; /* NULL while an octave's are all 0 */
    uint64_t *over;                                  /* NULL until needed */
} cp_sketch_side;

typedef struct cp_sketch {
    cp_sketch_side pos, neg; /* neg holds |x| of negative values */
    uint64_t zeros;
    uint64_t total;
    uint64_t in_count; /* what both sides' count and carry hold, at most 2^32 - 1 */
    double min, max;   /* +inf and -inf while empty; a zero is +0.0 */
} cp_sketch;

/* The count of bucket i of sd. */
static inline uint64_t cp_sketch_bucket(const cp_sketch_side *sd, uint32_t i)
{
    const cp_sketch_carries *k = sd->carry[i >> CP_SKETCH_SUBBITS];
    const uint32_t j = i & ((1u << CP_SKETCH_SUBBITS) - 1);
    const uint64_t carry = k ? k->low[j] + (k->high ? (uint64_t)k->high[j] << 8 : 0) : 0;
    return sd->count[i] + (carry << 8) + (sd->over ? sd->over[i] : 0);
}

/* The bytes a sketch's arrays hold (its counts, the blocks of carries it
 * has with their planes of 65,536s, and the 64-bit counts if any), not
 * counting the struct itself: at most 2 CP_SKETCH_MAX_OCTAVES (1024 (1 + 2
 * + 8) + sizeof (cp_sketch_carries)) bytes. */
size_t cp_sketch_memory(const cp_sketch *s);

void cp_sketch_init(cp_sketch *s);
void cp_sketch_free(cp_sketch *s);

/* Adds x.  Allocates only when x falls in an octave outside those seen so
 * far (which stops after the first few values of a run) or its bucket's
 * count passes 255 in an octave without carries yet.  Fails with CP_EINVAL
 * for NaN or infinity, CP_ENOMEM if an allocation fails (the counts then
 * as they were, but a growth may have moved the floor of a side at its
 * cap, where the add would have put it). */
int cp_sketch_add(cp_sketch *s, double x, cp_err *err);

/* Adds the n values x[0], x[stride], ..., x[(n - 1) * stride]: the same as n
 * calls of cp_sketch_add, but faster.  If sums is not NULL, each value is
 * also added to sums[0] and its square to sums[1], one at a time in index
 * order in double (cp_stats needs these sums, and one pass over the values
 * costs less than two).  A NaN or infinity anywhere fails with CP_EINVAL
 * and changes neither the sketch nor sums (the arrays may have grown, which
 * changes no result).  After CP_ENOMEM the counts are as they were, but a
 * growth may have moved the floor of a side at its cap. */
int cp_sketch_add_strided(cp_sketch *s, const double *x, size_t n, size_t stride, double *sums,
                          cp_err *err);

/* Adds every count of src into dst.  On failure dst's counts are
 * unchanged, but a growth may have moved the floor of a side at its cap
 * (where the merge would have put it). */
int cp_sketch_merge(cp_sketch *dst, const cp_sketch *src, cp_err *err);

/* Q(p) for p in [0, 1] as defined above; NaN for an empty sketch or p
 * outside [0, 1].  k is computed from the exact product of p and n; ranks 1
 * and n report the exact min and max. */
double cp_sketch_quantile(const cp_sketch *s, double p);

/* q[i] = cp_sketch_quantile(s, p[i]) for i < n, the same values, in one walk
 * over the buckets rather than one for each p (a run's summary asks for nine
 * quantiles of each of thousands of cells). */
void cp_sketch_quantiles(const cp_sketch *s, const double *p, size_t n, double *q);

/* Serialization, for MPI reductions and checkpoints: a self-describing byte
 * string of the sketch (little-endian host layout; not meant to cross
 * architectures).  cp_sketch_pack writes at most cp_sketch_packed_size bytes
 * and returns how many it wrote.  cp_sketch_unpack_merge adds a packed
 * sketch into dst, reading from buf at most avail bytes; *used receives how
 * many it consumed; a truncated or malformed buffer is CP_EINVAL, which
 * leaves dst unchanged, and after CP_ENOMEM its counts are unchanged (as
 * for cp_sketch_merge).  Sketches with equal contents
 * pack to equal bytes, whatever their history. */
size_t cp_sketch_packed_size(const cp_sketch *s);
/* The most cp_sketch_packed_size can be, for any sketch (each side's 16
 * octaves of counts at the widest). */
size_t cp_sketch_packed_max(void);
size_t cp_sketch_pack(const cp_sketch *s, unsigned char *buf);
int cp_sketch_unpack_merge(cp_sketch *dst, const unsigned char *buf, size_t avail, size_t *used,
                           cp_err *err);

/* Checks a packed sketch as cp_sketch_unpack_merge does, without adding it
 * anywhere; *used (if not NULL) receives its size and *total (if not NULL)
 * its number of values. */
int cp_sketch_unpack_check(const unsigned char *buf, size_t avail, size_t *used, uint64_t *total,
                           cp_err *err);

#endif
