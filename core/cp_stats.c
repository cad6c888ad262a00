/* cp_stats.c -- see cp_stats.h. */
#include "cp_stats.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cp_math.h" /* CP_LANE_CLONES */
#include "cp_sketch.h"
#include "cp_xsum.h"

typedef struct cp_stats_cell {
    cp_sketch sketch;
    cp_xsum sum, sumsq;
} cp_stats_cell;

struct cp_stats {
    size_t n_cells;
    uint64_t samples;
    cp_stats_cell *cell;
    size_t n_groups, n_labels;
    uint64_t *counts; /* counts[group * n_labels + label] */
};

#define PACK_MAGIC "CPST"
/* 2: the label counts' shape in the header and the counts after the cells. */
#define PACK_VERSION 2u
/* magic, version, n_cells, samples, n_groups, n_labels */
#define PACK_HEADER 40
/* A normalized cp_xsum: its limbs and the nonfinite flag. */
#define XSUM_PACKED (CP_XSUM_LIMBS * 8 + 4)
/* add_block works on tiles of this many cells (a cache line of one
 * sample's values) by this many samples. */
#define TILE_CELLS 8
#define TILE_SAMPLES 256
/* Values are checked for finiteness this many at a time, a chunk the
 * compiler can vectorize whole. */
#define CHECK_CHUNK 256
/* add_rows forms the sums of this many rows before adding any of them (the
 * model adds fewer cells at a time), and row_sums this many side by side
 * (the lanes of the widest vector). */
#define SUM_BATCH 64
#define SUM_LANES 4

cp_stats *cp_stats_alloc(size_t n_cells)
{
    return cp_stats_alloc_counts(n_cells, 0, 0);
}

cp_stats *cp_stats_alloc_counts(size_t n_cells, size_t n_groups, size_t n_labels)
{
    /* Labels are uint8_t indices (cp_stats_add_labels), so more than 256
     * could never be counted. */
    if (n_labels > 256 || (n_labels && n_groups > SIZE_MAX / sizeof(uint64_t) / n_labels))
        return NULL;
    cp_stats *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->cell = calloc(n_cells ? n_cells : 1, sizeof *st->cell);
    const size_t n_counts = n_groups * n_labels;
    st->counts = calloc(n_counts ? n_counts : 1, sizeof *st->counts);
    if (!st->cell || !st->counts) {
        free(st->cell);
        free(st->counts);
        free(st);
        return NULL;
    }
    st->n_cells = n_cells;
    st->n_groups = n_groups;
    st->n_labels = n_labels;
    for (size_t c = 0; c < n_cells; c++) {
        cp_sketch_init(&st->cell[c].sketch);
        cp_xsum_init(&st->cell[c].sum);
        cp_xsum_init(&st->cell[c].sumsq);
    }
    return st;
}

cp_stats *cp_stats_alloc_like(const cp_stats *st)
{
    return cp_stats_alloc_counts(st->n_cells, st->n_groups, st->n_labels);
}

void cp_stats_free(cp_stats *st)
{
    if (!st)
        return;
    for (size_t c = 0; c < st->n_cells; c++)
        cp_sketch_free(&st->cell[c].sketch);
    free(st->cell);
    free(st->counts);
    free(st);
}

size_t cp_stats_cells(const cp_stats *st)
{
    return st->n_cells;
}

uint64_t cp_stats_samples(const cp_stats *st)
{
    return st->samples;
}

size_t cp_stats_groups(const cp_stats *st)
{
    return st->n_groups;
}

size_t cp_stats_labels(const cp_stats *st)
{
    return st->n_labels;
}

/* 1 if the biased exponent of x is all ones (infinity or NaN).  Integer
 * arithmetic only, so that a loop of it vectorizes with plain SSE2. */
static uint64_t exponent_full(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return (((b >> 52) & 0x7ff) + 1) >> 11;
}

/* The index of the first non-finite value of v[0..n), or n if none. */
static size_t first_nonfinite(const double *v, size_t n)
{
    size_t i = 0;
    for (; i + CHECK_CHUNK <= n; i += CHECK_CHUNK) {
        uint64_t bad = 0;
        for (size_t j = 0; j < CHECK_CHUNK; j++)
            bad |= exponent_full(v[i + j]);
        if (bad)
            break;
    }
    for (; i < n; i++)
        if (exponent_full(v[i]))
            return i;
    return n;
}

/* Adds cells [c0, c0 + w) of the block, w <= TILE_CELLS.  Tiles of the
 * block are copied out column by column first: reading the columns in place
 * would touch a new cache line and page for every value, eight times over.
 * Each cell's sums of x and x^2 run on in sample order across the tiles and
 * are then added exactly. */
static int add_cells(cp_stats *st, const double *values, size_t n_samples, size_t c0, size_t w,
                     cp_err *err)
{
    double tile[TILE_CELLS][TILE_SAMPLES];
    double sums[TILE_CELLS][2] = {{0.0}};
    for (size_t s0 = 0; s0 < n_samples; s0 += TILE_SAMPLES) {
        const size_t m = n_samples - s0 < TILE_SAMPLES ? n_samples - s0 : TILE_SAMPLES;
        const double *row = values + s0 * st->n_cells + c0;
        for (size_t s = 0; s < m; s++, row += st->n_cells)
            for (size_t k = 0; k < w; k++)
                tile[k][s] = row[k];
        for (size_t k = 0; k < w; k++) {
            const int rc =
                cp_sketch_add_strided(&st->cell[c0 + k].sketch, tile[k], m, 1, sums[k], err);
            if (rc)
                return cp_err_wrap(err, "cell %zu", c0 + k);
        }
    }
    for (size_t k = 0; k < w; k++) {
        cp_xsum_add(&st->cell[c0 + k].sum, sums[k][0]);
        cp_xsum_add(&st->cell[c0 + k].sumsq, sums[k][1]);
    }
    return CP_OK;
}

int cp_stats_add_block(cp_stats *st, const double *values, size_t n_samples, cp_err *err)
{
    const size_t n_cells = st->n_cells;
    if (n_samples == 0 || n_cells == 0) {
        st->samples += n_samples;
        return CP_OK;
    }
    if (n_samples > SIZE_MAX / n_cells)
        return cp_err_set(err, CP_EINVAL, "block of %zu samples x %zu cells too large", n_samples,
                          n_cells);
    const size_t bad = first_nonfinite(values, n_samples * n_cells);
    if (bad < n_samples * n_cells)
        return cp_err_set(err, CP_EMODEL, "cell %zu, sample %zu of the block: value %g not finite",
                          bad % n_cells, bad / n_cells, values[bad]);
    for (size_t c = 0; c < n_cells; c += TILE_CELLS) {
        const size_t w = n_cells - c < TILE_CELLS ? n_cells - c : TILE_CELLS;
        const int rc = add_cells(st, values, n_samples, c, w, err);
        if (rc)
            return rc;
    }
    st->samples += n_samples;
    return CP_OK;
}

/* Checks the values of cells first, first + step, ... (count of them) whose
 * rows are row_stride apart, before any is added. */
static int check_rows(const double *values, size_t n_samples, size_t row_stride, size_t first,
                      size_t step, size_t count, cp_err *err)
{
    for (size_t k = 0; k < count; k++) {
        const double *row = values + k * row_stride;
        const size_t bad = first_nonfinite(row, n_samples);
        if (bad < n_samples)
            return cp_err_set(err, CP_EMODEL,
                              "cell %zu, sample %zu of the block: value %g not finite",
                              first + k * step, bad, row[bad]);
    }
    return CP_OK;
}

/* Four doubles, one per row of a group in row_sums (a vector type of GCC and
 * clang, lowered to whatever vectors the target has). */
typedef double sum_lanes __attribute__((vector_size(SUM_LANES * sizeof(double))));

/* The sums of x and x^2 of rows k < count (row_stride apart, n_samples
 * each) into sums[k], each in sample order in double, as cp_sketch would
 * form them.  SUM_LANES rows go side by side, a row to a vector lane, so
 * that one vector operation adds a sample of each: every lane still adds its
 * own row's values one at a time in order, so the sums are the same bits in
 * every clone.  The rows are read SUM_LANES samples at a time and transposed
 * (the compiler's own vectorization of this loop shuffled twice as much). */
CP_LANE_CLONES static void row_sums(const double *values, size_t n_samples, size_t row_stride,
                                    size_t count, double (*sums)[2])
{
    _Static_assert(SUM_LANES == 4, "the transposition is of 4 x 4 values");
    size_t k0 = 0;
    for (; k0 + SUM_LANES <= count; k0 += SUM_LANES) {
        const double *const r = values + k0 * row_stride;
        sum_lanes s1 = {0.0}, s2 = {0.0};
        size_t s = 0;
        for (; s + SUM_LANES <= n_samples; s += SUM_LANES) {
            sum_lanes a, b, c, d;
            memcpy(&a, r + s, sizeof a);
            memcpy(&b, r + row_stride + s, sizeof b);
            memcpy(&c, r + 2 * row_stride + s, sizeof c);
            memcpy(&d, r + 3 * row_stride + s, sizeof d);
            const sum_lanes ab0 = __builtin_shufflevector(a, b, 0, 4, 2, 6);
            const sum_lanes ab1 = __builtin_shufflevector(a, b, 1, 5, 3, 7);
            const sum_lanes cd0 = __builtin_shufflevector(c, d, 0, 4, 2, 6);
            const sum_lanes cd1 = __builtin_shufflevector(c, d, 1, 5, 3, 7);
            const sum_lanes x0 = __builtin_shufflevector(ab0, cd0, 0, 1, 4, 5);
            const sum_lanes x1 = __builtin_shufflevector(ab1, cd1, 0, 1, 4, 5);
            const sum_lanes x2 = __builtin_shufflevector(ab0, cd0, 2, 3, 6, 7);
            const sum_lanes x3 = __builtin_shufflevector(ab1, cd1, 2, 3, 6, 7);
            s1 += x0;
            s2 += x0 * x0;
            s1 += x1;
            s2 += x1 * x1;
            s1 += x2;
            s2 += x2 * x2;
            s1 += x3;
            s2 += x3 * x3;
        }
        for (; s < n_samples; s++)
            for (size_t k = 0; k < SUM_LANES; k++) {
                const double v = r[k * row_stride + s];
                s1[k] += v;
                s2[k] += v * v;
            }
        for (size_t k = 0; k < SUM_LANES; k++) {
            sums[k0 + k][0] = s1[k];
            sums[k0 + k][1] = s2[k];
        }
    }
    for (; k0 < count; k0++) {
        const double *row = values + k0 * row_stride;
        double s1 = 0.0, s2 = 0.0;
        for (size_t s = 0; s < n_samples; s++) {
            s1 += row[s];
            s2 += row[s] * row[s];
        }
        sums[k0][0] = s1;
        sums[k0][1] = s2;
    }
}

/* Adds the rows (see check_rows) after checking them.  The sums of a batch
 * of rows, formed before any of them is added, find a non-finite value
 * too: it leaves the sum of x NaN or infinite, as nothing finite added
 * after it can undo.  So only a batch whose sum is not finite needs
 * check_rows (and finite values that overflow the sum pass it); with more
 * rows than a batch, all are checked first. */
static int add_rows(cp_stats *st, const double *values, size_t n_samples, size_t row_stride,
                    size_t first, size_t step, size_t count, cp_err *err)
{
    if (count > SUM_BATCH) {
        const int rc = check_rows(values, n_samples, row_stride, first, step, count, err);
        if (rc)
            return rc;
    }
    double sums[SUM_BATCH][2];
    for (size_t k0 = 0; k0 < count; k0 += SUM_BATCH) {
        const size_t w = count - k0 < SUM_BATCH ? count - k0 : SUM_BATCH;
        const double *rows = values + k0 * row_stride;
        row_sums(rows, n_samples, row_stride, w, sums);
        int finite = 1;
        for (size_t k = 0; k < w; k++)
            finite &= isfinite(sums[k][0]);
        if (!finite) {
            const int rc = check_rows(rows, n_samples, row_stride, first + k0 * step, step, w, err);
            if (rc)
                return rc;
        }
        /* The exact sums' limbs are a cache miss each: asked for now, they
         * arrive while the sketches count. */
        for (size_t k = 0; k < w; k++) {
            const size_t c = first + (k0 + k) * step;
            cp_xsum_prefetch(&st->cell[c].sum, sums[k][0]);
            cp_xsum_prefetch(&st->cell[c].sumsq, sums[k][1]);
        }
        for (size_t k = 0; k < w; k++) {
            const size_t c = first + (k0 + k) * step;
            const int rc = cp_sketch_add_strided(&st->cell[c].sketch, rows + k * row_stride,
                                                 n_samples, 1, NULL, err);
            if (rc)
                return cp_err_wrap(err, "cell %zu", c);
            cp_xsum_add(&st->cell[c].sum, sums[k][0]);
            cp_xsum_add(&st->cell[c].sumsq, sums[k][1]);
        }
    }
    return CP_OK;
}

int cp_stats_add_columns(cp_stats *st, const double *values, size_t n_samples, size_t stride,
                         cp_err *err)
{
    if (stride < n_samples)
        return cp_err_set(err, CP_EINVAL, "column stride %zu below the %zu samples", stride,
                          n_samples);
    const int rc = add_rows(st, values, n_samples, stride, 0, 1, st->n_cells, err);
    if (!rc)
        st->samples += n_samples;
    return rc;
}

/* A part of a block (cp_stats_add_cells, cp_stats_add_labels): rows
 * row_stride apart that hold n_samples each, for items first, first + step,
 * ... (count of them) of the limit there are; what names the items.  The
 * range arithmetic avoids overflow. */
static int check_part(size_t n_samples, size_t row_stride, size_t first, size_t step, size_t count,
                      size_t limit, const char *what, cp_err *err)
{
    if (row_stride < n_samples)
        return cp_err_set(err, CP_EINVAL, "row stride %zu below the %zu samples", row_stride,
                          n_samples);
    if (count > 0 && (step == 0 || first >= limit || (count - 1) > (limit - 1 - first) / step))
        return cp_err_set(err, CP_EINVAL, "%s %zu + %zu x %zu beyond the %zu %s", what, first,
                          count, step, limit, what);
    return CP_OK;
}

int cp_stats_add_cells(cp_stats *st, const double *values, size_t n_samples, size_t row_stride,
                       size_t first, size_t step, size_t count, cp_err *err)
{
    const int rc = check_part(n_samples, row_stride, first, step, count, st->n_cells, "cells", err);
    return rc ? rc : add_rows(st, values, n_samples, row_stride, first, step, count, err);
}

void cp_stats_count_samples(cp_stats *st, size_t n_samples)
{
    st->samples += n_samples;
}

/* The largest label of each row, in one pass the compiler can vectorize;
 * checked before any is counted, so a bad label changes nothing. */
static int check_labels(const cp_stats *st, const uint8_t *labels, size_t n_samples,
                        size_t row_stride, size_t first, size_t step, size_t count, cp_err *err)
{
    for (size_t k = 0; k < count; k++) {
        const uint8_t *row = labels + k * row_stride;
        uint8_t top = 0;
        for (size_t s = 0; s < n_samples; s++)
            top = row[s] > top ? row[s] : top;
        if (n_samples && top >= st->n_labels)
            return cp_err_set(err, CP_EINVAL, "label group %zu: label %u, but only %zu labels",
                              first + k * step, (unsigned)top, st->n_labels);
    }
    return CP_OK;
}

int cp_stats_add_labels(cp_stats *st, const uint8_t *labels, size_t n_samples, size_t row_stride,
                        size_t first, size_t step, size_t count, cp_err *err)
{
    int rc =
        check_part(n_samples, row_stride, first, step, count, st->n_groups, "label groups", err);
    if (!rc)
        rc = check_labels(st, labels, n_samples, row_stride, first, step, count, err);
    if (rc)
        return rc;
    for (size_t k = 0; k < count; k++) {
        const uint8_t *row = labels + k * row_stride;
        uint64_t *counts = st->counts + (first + k * step) * st->n_labels;
        /* Mostly one label for all samples: each increment of the same
         * counter would wait on the one before, so such a row is counted at
         * once (the range in a loop that vectorizes). */
        uint8_t lo = UINT8_MAX, hi = 0;
        for (size_t s = 0; s < n_samples; s++) {
            lo = row[s] < lo ? row[s] : lo;
            hi = row[s] > hi ? row[s] : hi;
        }
        if (n_samples && lo == hi) {
            counts[lo] += n_samples;
            continue;
        }
        for (size_t s = 0; s < n_samples; s++)
            counts[row[s]]++;
    }
    return CP_OK;
}

uint64_t cp_stats_count(const cp_stats *st, size_t group, size_t label)
{
    return st->counts[group * st->n_labels + label];
}

/* CP_EINVAL unless statistics of n_cells cells and n_groups x n_labels
 * label counts (from src, or read from a packed buffer: hence uint64_t)
 * have dst's shape; what says which. */
static int check_shape(const cp_stats *dst, uint64_t n_cells, uint64_t n_groups, uint64_t n_labels,
                       const char *what, cp_err *err)
{
    if (n_cells != dst->n_cells)
        return cp_err_set(err, CP_EINVAL, "%s: %" PRIu64 " cells, expected %zu", what, n_cells,
                          dst->n_cells);
    if (n_groups != dst->n_groups || n_labels != dst->n_labels)
        return cp_err_set(err, CP_EINVAL,
                          "%s: label counts of %" PRIu64 " groups x %" PRIu64
                          " labels, expected %zu x %zu",
                          what, n_groups, n_labels, dst->n_groups, dst->n_labels);
    return CP_OK;
}

int cp_stats_merge(cp_stats *dst, const cp_stats *src, cp_err *err)
{
    const int bad = check_shape(dst, src->n_cells, src->n_groups, src->n_labels,
                                "cannot merge statistics", err);
    if (bad)
        return bad;
    for (size_t i = 0; i < dst->n_groups * dst->n_labels; i++)
        dst->counts[i] += src->counts[i];
    for (size_t c = 0; c < dst->n_cells; c++) {
        const int rc = cp_sketch_merge(&dst->cell[c].sketch, &src->cell[c].sketch, err);
        if (rc)
            return cp_err_wrap(err, "cell %zu", c);
        cp_xsum_merge(&dst->cell[c].sum, &src->cell[c].sum);
        cp_xsum_merge(&dst->cell[c].sumsq, &src->cell[c].sumsq);
    }
    dst->samples += src->samples;
    return CP_OK;
}

/* sd from the exact sums, in long double so that sum^2 / n keeps the bits
 * that the subtraction cancels. */
static double sd_of(const cp_stats_cell *cell, uint64_t n)
{
    if (n < 2 || cell->sketch.min == cell->sketch.max)
        return 0.0;
    const long double s1 = cp_xsum_value(&cell->sum);
    const long double s2 = cp_xsum_value(&cell->sumsq);
    const long double ln = (long double)n;
    long double var = (s2 - s1 * s1 / ln) / (ln - 1.0L);
    if (var < 0)
        var = 0;
    return (double)sqrtl(var);
}

void cp_stats_summarize(const cp_stats *st, size_t cell, const double *probs, size_t n_probs,
                        cp_cell_summary *out, double *q)
{
    const cp_stats_cell *cl = &st->cell[cell];
    const uint64_t n = st->samples;
    out->n = n;
    out->sd = sd_of(cl, n);
    if (n == 0) {
        out->mean = out->min = out->max = NAN;
    } else {
        out->min = cl->sketch.min;
        out->max = cl->sketch.max;
        /* The rounded mean could stray outside [min, max] by an ulp. */
        const double mean = cp_xsum_value(&cl->sum) / (double)n;
        out->mean = mean < out->min ? out->min : mean > out->max ? out->max : mean;
    }
    cp_sketch_quantiles(&cl->sketch, probs, n_probs, q);
}

/* ---- serialization ----
 *
 * Layout (host byte order): "CPST", u32 version, u64 n_cells, u64 samples,
 * u64 n_groups, u64 n_labels, then for each cell its sum of x and of x^2
 * (each normalized: 68 i64 limbs and a u32 nonfinite flag) and its packed
 * sketch, then the n_groups x n_labels u64 label counts. */

static size_t counts_bytes(const cp_stats *st)
{
    return st->n_groups * st->n_labels * sizeof *st->counts;
}

size_t cp_stats_packed_size(const cp_stats *st)
{
    size_t size = PACK_HEADER + st->n_cells * 2 * XSUM_PACKED + counts_bytes(st);
    for (size_t c = 0; c < st->n_cells; c++)
        size += cp_sketch_packed_size(&st->cell[c].sketch);
    return size;
}

static unsigned char *put_xsum(unsigned char *p, const cp_xsum *s)
{
    cp_xsum t = *s;
    cp_xsum_normalize(&t);
    memcpy(p, t.limb, sizeof t.limb);
    memcpy(p + sizeof t.limb, &t.nonfinite, sizeof t.nonfinite);
    return p + XSUM_PACKED;
}

static unsigned char *pack_cell(const cp_stats *st, size_t c, unsigned char *p)
{
    p = put_xsum(p, &st->cell[c].sum);
    p = put_xsum(p, &st->cell[c].sumsq);
    return p + cp_sketch_pack(&st->cell[c].sketch, p);
}

static void pack_header(const cp_stats *st, unsigned char *buf)
{
    const uint32_t version = PACK_VERSION;
    const uint64_t n_cells = st->n_cells, n_groups = st->n_groups, n_labels = st->n_labels;
    memcpy(buf, PACK_MAGIC, 4);
    memcpy(buf + 4, &version, 4);
    memcpy(buf + 8, &n_cells, 8);
    memcpy(buf + 16, &st->samples, 8);
    memcpy(buf + 24, &n_groups, 8);
    memcpy(buf + 32, &n_labels, 8);
}

size_t cp_stats_pack(const cp_stats *st, unsigned char *buf)
{
    pack_header(st, buf);
    unsigned char *p = buf + PACK_HEADER;
    for (size_t c = 0; c < st->n_cells; c++)
        p = pack_cell(st, c, p);
    memcpy(p, st->counts, counts_bytes(st));
    return (size_t)(p + counts_bytes(st) - buf);
}

/* Reads a packed cp_xsum, checking that it is normalized. */
static int get_xsum(const unsigned char *p, cp_xsum *s, cp_err *err)
{
    cp_xsum_init(s);
    memcpy(s->limb, p, sizeof s->limb);
    memcpy(&s->nonfinite, p + sizeof s->limb, sizeof s->nonfinite);
    for (int i = 0; i < CP_XSUM_LIMBS - 1; i++)
        if (s->limb[i] < 0 || s->limb[i] > (int64_t)UINT32_MAX)
            return cp_err_set(err, CP_EINVAL, "exact sum: limb %d out of range", i);
    if (s->nonfinite > 1)
        return cp_err_set(err, CP_EINVAL, "exact sum: bad flag %u", (unsigned)s->nonfinite);
    return CP_OK;
}

/* Checks one packed cell starting at buf; *used receives its size. */
static int check_cell(const unsigned char *buf, size_t avail, uint64_t samples, size_t *used,
                      cp_err *err)
{
    if (avail < 2 * XSUM_PACKED)
        return cp_err_set(err, CP_EINVAL, "truncated");
    cp_xsum s;
    int rc = get_xsum(buf, &s, err);
    if (!rc)
        rc = get_xsum(buf + XSUM_PACKED, &s, err);
    if (rc)
        return rc;
    size_t sk_used;
    uint64_t total;
    rc = cp_sketch_unpack_check(buf + 2 * XSUM_PACKED, avail - 2 * XSUM_PACKED, &sk_used, &total,
                                err);
    if (rc)
        return rc;
    if (total != samples)
        return cp_err_set(err, CP_EINVAL, "sketch holds %llu values, accumulator %llu samples",
                          (unsigned long long)total, (unsigned long long)samples);
    *used = 2 * XSUM_PACKED + sk_used;
    return CP_OK;
}

/* The packed label counts, the last n bytes: exactly dst's shape of them,
 * and none that would overflow when added to dst's. */
static int check_counts(const cp_stats *dst, const unsigned char *p, size_t n, cp_err *err)
{
    if (n < counts_bytes(dst))
        return cp_err_set(err, CP_EINVAL, "packed statistics: label counts truncated");
    if (n > counts_bytes(dst))
        return cp_err_set(err, CP_EINVAL, "packed statistics: %zu trailing bytes",
                          n - counts_bytes(dst));
    for (size_t i = 0; i < dst->n_groups * dst->n_labels; i++) {
        uint64_t c;
        memcpy(&c, p + i * sizeof c, sizeof c);
        if (c > UINT64_MAX - dst->counts[i])
            return cp_err_set(err, CP_EINVAL, "packed statistics: label count %zu overflows", i);
    }
    return CP_OK;
}

/* Checks a packed header (n bytes at buf, at least PACK_HEADER) against
 * dst's shape; *samples receives its sample count. */
static int check_header(const cp_stats *dst, const unsigned char *buf, uint64_t *samples,
                        cp_err *err)
{
    uint32_t version;
    uint64_t n_cells, n_groups, n_labels;
    memcpy(&version, buf + 4, 4);
    memcpy(&n_cells, buf + 8, 8);
    memcpy(samples, buf + 16, 8);
    memcpy(&n_groups, buf + 24, 8);
    memcpy(&n_labels, buf + 32, 8);
    if (memcmp(buf, PACK_MAGIC, 4) != 0 || version != PACK_VERSION)
        return cp_err_set(err, CP_EINVAL, "not packed statistics (bad magic or version %u)",
                          (unsigned)version);
    const int bad = check_shape(dst, n_cells, n_groups, n_labels, "packed statistics", err);
    if (bad)
        return bad;
    if (*samples > UINT64_MAX - dst->samples)
        return cp_err_set(err, CP_EINVAL, "packed statistics: sample count overflows");
    return CP_OK;
}

static int check_packed(const cp_stats *dst, const unsigned char *buf, size_t n, uint64_t *samples,
                        cp_err *err)
{
    if (n < PACK_HEADER)
        return cp_err_set(err, CP_EINVAL, "packed statistics truncated: %zu bytes", n);
    const int bad = check_header(dst, buf, samples, err);
    if (bad)
        return bad;
    size_t off = PACK_HEADER;
    for (size_t c = 0; c < dst->n_cells; c++) {
        size_t used = 0;
        const int rc = check_cell(buf + off, n - off, *samples, &used, err);
        if (rc)
            return cp_err_wrap(err, "packed statistics: cell %zu", c);
        off += used;
    }
    return check_counts(dst, buf + off, n - off, err);
}

/* Merges count checked cells, from cell first on, read at buf + *off (n
 * bytes in all), moving *off past them.  Fails only with CP_ENOMEM. */
static int merge_cells(cp_stats *dst, size_t first, size_t count, const unsigned char *buf,
                       size_t n, size_t *off, cp_err *err)
{
    for (size_t c = first; c < first + count; c++) {
        cp_xsum s;
        get_xsum(buf + *off, &s, err);
        cp_xsum_merge(&dst->cell[c].sum, &s);
        get_xsum(buf + *off + XSUM_PACKED, &s, err);
        cp_xsum_merge(&dst->cell[c].sumsq, &s);
        *off += 2 * XSUM_PACKED;
        size_t used = 0;
        const int rc =
            cp_sketch_unpack_merge(&dst->cell[c].sketch, buf + *off, n - *off, &used, err);
        if (rc)
            return cp_err_wrap(err, "packed statistics: cell %zu", c);
        *off += used;
    }
    return CP_OK;
}

/* Adds checked packed label counts. */
static void add_counts(cp_stats *dst, const unsigned char *p)
{
    for (size_t i = 0; i < dst->n_groups * dst->n_labels; i++, p += sizeof(uint64_t)) {
        uint64_t c;
        memcpy(&c, p, sizeof c);
        dst->counts[i] += c;
    }
}

int cp_stats_unpack_merge(cp_stats *dst, const unsigned char *buf, size_t n, cp_err *err)
{
    /* Check everything first, so a malformed buffer changes nothing. */
    uint64_t samples = 0;
    int rc = check_packed(dst, buf, n, &samples, err);
    if (rc)
        return rc;
    size_t off = PACK_HEADER;
    rc = merge_cells(dst, 0, dst->n_cells, buf, n, &off, err);
    if (rc)
        return rc;
    add_counts(dst, buf + off);
    dst->samples += samples;
    return CP_OK;
}

/* ---- the packed form in parts ---- */

enum { PART_HEADER, PART_CELLS, PART_COUNTS, PART_DONE };

void cp_stats_parts_init(cp_stats_parts *pt)
{
    *pt = (cp_stats_parts){.stage = PART_HEADER};
}

int cp_stats_parts_done(const cp_stats_parts *pt)
{
    return pt->stage == PART_DONE;
}

/* The stage after the header, or after the last cell. */
static int after_cells(const cp_stats *st, size_t cell)
{
    return cell < st->n_cells ? PART_CELLS : PART_COUNTS;
}

size_t cp_stats_part_bound(const cp_stats *st, size_t cap)
{
    const size_t cells = cap + 2 * XSUM_PACKED + cp_sketch_packed_max();
    const size_t bound = counts_bytes(st) > PACK_HEADER ? counts_bytes(st) : PACK_HEADER;
    return cells > bound ? cells : bound;
}

size_t cp_stats_pack_part(const cp_stats *st, cp_stats_parts *pt, size_t cap, unsigned char *buf)
{
    switch (pt->stage) {
    case PART_HEADER:
        pack_header(st, buf);
        pt->stage = after_cells(st, 0);
        return PACK_HEADER;
    case PART_CELLS: {
        /* Whole cells until the part reaches cap bytes: packed where they
         * go, without sizing each first (a walk over its buckets). */
        unsigned char *p = buf;
        do
            p = pack_cell(st, pt->cell++, p);
        while (pt->cell < st->n_cells && (size_t)(p - buf) < cap);
        pt->stage = after_cells(st, pt->cell);
        return (size_t)(p - buf);
    }
    case PART_COUNTS:
        memcpy(buf, st->counts, counts_bytes(st));
        pt->stage = PART_DONE;
        return counts_bytes(st);
    default:
        return 0;
    }
}

/* Checks the cells of a part, from pt->cell on, to its end: at least one,
 * none past dst's last. */
static int check_cells_part(const cp_stats *dst, const cp_stats_parts *pt, const unsigned char *buf,
                            size_t n, size_t *count, cp_err *err)
{
    size_t off = 0, c = pt->cell;
    do {
        if (c == dst->n_cells)
            return cp_err_set(err, CP_EINVAL, "packed statistics: %zu bytes after the last cell",
                              n - off);
        size_t used = 0;
        if (check_cell(buf + off, n - off, pt->samples, &used, err))
            return cp_err_wrap(err, "packed statistics: cell %zu", c);
        off += used;
        c++;
    } while (off < n);
    *count = c - pt->cell;
    return CP_OK;
}

int cp_stats_part_length(const cp_stats *dst, const cp_stats_parts *pt, const unsigned char *buf,
                         size_t n, int last, size_t *len, cp_err *err)
{
    *len = 0;
    if (pt->stage == PART_HEADER || (pt->stage == PART_COUNTS && !last)) {
        const size_t want = pt->stage == PART_HEADER ? PACK_HEADER : counts_bytes(dst);
        if (n < want)
            return cp_err_set(err, CP_EINVAL, "packed statistics truncated: %zu bytes", n);
        *len = want;
        return CP_OK;
    }
    if (pt->stage != PART_CELLS) { /* the counts, to the end: merging checks their size */
        *len = n;
        return CP_OK;
    }
    /* A cell that begins this far before the end is decided by the bytes
     * there: whole, or malformed; nearer the end, more may be to come. */
    const size_t widest = cp_stats_part_bound(dst, 0);
    size_t off = 0;
    for (size_t c = pt->cell; c < dst->n_cells && off < n && (last || n - off >= widest); c++) {
        size_t used = 0;
        if (check_cell(buf + off, n - off, pt->samples, &used, err))
            return cp_err_wrap(err, "packed statistics: cell %zu", c);
        off += used;
    }
    if (off == 0)
        return cp_err_set(err, CP_EINVAL, "packed statistics truncated: %zu bytes", n);
    *len = off;
    return CP_OK;
}

int cp_stats_merge_part(cp_stats *dst, cp_stats_parts *pt, const unsigned char *buf, size_t n,
                        cp_err *err)
{
    int rc;
    size_t count = 0, off = 0;
    switch (pt->stage) {
    case PART_HEADER:
        if (n != PACK_HEADER)
            return cp_err_set(err, CP_EINVAL, "packed statistics: a header of %zu bytes", n);
        if ((rc = check_header(dst, buf, &pt->samples, err)))
            return rc;
        pt->stage = after_cells(dst, 0);
        return CP_OK;
    case PART_CELLS:
        if ((rc = check_cells_part(dst, pt, buf, n, &count, err)))
            return rc;
        if ((rc = merge_cells(dst, pt->cell, count, buf, n, &off, err)))
            return rc;
        pt->cell += count;
        pt->stage = after_cells(dst, pt->cell);
        return CP_OK;
    case PART_COUNTS:
        if ((rc = check_counts(dst, buf, n, err)))
            return rc;
        add_counts(dst, buf);
        dst->samples += pt->samples;
        pt->stage = PART_DONE;
        return CP_OK;
    default:
        return cp_err_set(err, CP_EINVAL, "packed statistics: a part after the last");
    }
}
