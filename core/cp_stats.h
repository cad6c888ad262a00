/* cp_stats.h -- the distribution of every output cell of a run.
 *
 * A cell is one (metric, region, quarter).  For each cell the accumulator
 * keeps a cp_sketch (quantiles, exact min/max) and exact sums of x and x^2
 * (cp_xsum), so mean and sd are the same bits whatever the rank count.
 *
 * Values arrive in blocks of consecutive samples.  Within a block, sums are
 * formed in sample order in double precision and the block's total is then
 * added exactly: the result depends only on how samples are grouped into
 * blocks, which the caller fixes by global sample index (never by rank).
 *
 * Optionally it also counts labels: G groups (e.g. one per binding row and
 * quarter) of K labels, an integer count per (group, label) of the samples
 * that carried that label.  Counts merge, pack and unpack with the rest, by
 * integer addition, so they too are the same whatever the rank count, and a
 * caller that moves statistics (MPI reduction, checkpoints) moves them with
 * no plumbing of its own.
 */
#ifndef CP_STATS_H
#define CP_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "cp_error.h"

typedef struct cp_stats cp_stats;

typedef struct cp_cell_summary {
    uint64_t n;
    double mean, sd; /* sd with divisor n - 1; 0 when n < 2 */
    double min, max; /* mean, min and max are NaN when n = 0 */
} cp_cell_summary;

/* NULL if allocation fails.  cp_stats_alloc keeps no label counts (0 groups
 * of 0 labels); cp_stats_alloc_counts also counts n_labels labels in each of
 * n_groups groups; cp_stats_alloc_like is an empty accumulator of st's shape
 * (cells, groups and labels). */
cp_stats *cp_stats_alloc(size_t n_cells);
cp_stats *cp_stats_alloc_counts(size_t n_cells, size_t n_groups, size_t n_labels);
cp_stats *cp_stats_alloc_like(const cp_stats *st);
void cp_stats_free(cp_stats *st);
size_t cp_stats_cells(const cp_stats *st);
uint64_t cp_stats_samples(const cp_stats *st);
size_t cp_stats_groups(const cp_stats *st);
size_t cp_stats_labels(const cp_stats *st);

/* Adds a block: values[s * n_cells + c] is cell c of the block's sample s,
 * for s in [0, n_samples).  A NaN or infinity fails with CP_EMODEL naming the
 * cell index and the sample offset in the block, and leaves st unchanged.
 * After CP_ENOMEM (a sketch could not grow) st holds part of the block and
 * is only fit to be freed. */
int cp_stats_add_block(cp_stats *st, const double *values, size_t n_samples, cp_err *err);

/* The same for a block stored by cell: values[c * stride + s] is cell c of
 * the block's sample s (stride >= n_samples).  This is the layout the
 * simulation writes, and it needs no transposition. */
int cp_stats_add_columns(cp_stats *st, const double *values, size_t n_samples, size_t stride,
                         cp_err *err);

/* A block a few cells at a time, for a caller that makes the values of a
 * block in parts (cp_model_step, a quarter at a time): adds, for k < count,
 * values[k * row_stride + s] (s < n_samples) to cell first + k * step.  All
 * of a block's values of a cell must come in one call, as its sums are
 * added as one block's; the result is then cp_stats_add_columns's once
 * every cell is in and cp_stats_count_samples has counted the block.  A NaN
 * or infinity fails with CP_EMODEL (naming the cell and the sample offset)
 * and leaves st as the earlier calls left it; cells out of range are
 * CP_EINVAL. */
int cp_stats_add_cells(cp_stats *st, const double *values, size_t n_samples, size_t row_stride,
                       size_t first, size_t step, size_t count, cp_err *err);
void cp_stats_count_samples(cp_stats *st, size_t n_samples);

/* Counts the labels of a block, a few groups at a time, as cp_stats_add_cells
 * takes cells: for k < count and s < n_samples, label labels[k * row_stride + s]
 * of the block's sample s adds 1 to count (first + k * step, label).  Samples
 * are counted by cp_stats_count_samples or the add_* of the block's values,
 * not here; a caller that labels every sample in every group keeps each
 * group's counts summing to cp_stats_samples.  Groups out of range, a stride
 * below n_samples or a label >= cp_stats_labels are CP_EINVAL with st
 * unchanged (every label is checked before any is counted). */
int cp_stats_add_labels(cp_stats *st, const uint8_t *labels, size_t n_samples, size_t row_stride,
                        size_t first, size_t step, size_t count, cp_err *err);

/* How many samples carried label in group (both in range). */
uint64_t cp_stats_count(const cp_stats *st, size_t group, size_t label);

/* Adds src into dst (same number of cells, groups and labels, else
 * CP_EINVAL with dst unchanged).  After
 * CP_ENOMEM dst is only fit to be freed. */
int cp_stats_merge(cp_stats *dst, const cp_stats *src, cp_err *err);

/* The mean, sd, min, max of a cell, and its quantiles at probs[0..n_probs)
 * written to q.  The mean is clamped to [min, max], so a constant cell
 * reports its value exactly (and sd 0).  Values so large that a block's
 * double sum of x or of x^2 overflows make mean or sd NaN. */
void cp_stats_summarize(const cp_stats *st, size_t cell, const double *probs, size_t n_probs,
                        cp_cell_summary *out, double *q);

/* Serialization of the whole accumulator (see cp_sketch_pack), label counts
 * included.  cp_stats_unpack_merge checks the whole buffer, which must hold
 * exactly one packed accumulator of dst's cells, groups and labels, before
 * merging anything: on CP_EINVAL dst is unchanged. */
size_t cp_stats_packed_size(const cp_stats *st);
size_t cp_stats_pack(const cp_stats *st, unsigned char *buf);
int cp_stats_unpack_merge(cp_stats *dst, const unsigned char *buf, size_t n, cp_err *err);

/* The packed form in parts, for a reduction that should hold a buffer of
 * bounded size rather than the whole (which grows with the samples): the
 * header, then runs of whole cells, each ending with the cell that takes
 * it to cap bytes or more (so below cap plus one cell), then the label
 * counts.  The parts, concatenated,
 * are cp_stats_pack's bytes.  A cp_stats_parts keeps the place, on the
 * packing side and on the merging side. */
typedef struct cp_stats_parts {
    int stage;        /* the header, the cells, the label counts, done */
    size_t cell;      /* the next cell */
    uint64_t samples; /* merging: the sample count the header gave */
} cp_stats_parts;

void cp_stats_parts_init(cp_stats_parts *pt);
int cp_stats_parts_done(const cp_stats_parts *pt);

/* The most bytes a part of statistics of st's shape can take, with parts of
 * about cap bytes: cap and one cell at its widest, or the label counts if
 * larger.  The same on every rank of a run. */
size_t cp_stats_part_bound(const cp_stats *st, size_t cap);

/* Writes st's next part at pt into buf (cp_stats_part_bound(st, cap)
 * bytes) and moves pt past it; returns the part's size.  Once pt is done,
 * writes nothing and returns 0.  (The label counts' part is empty when
 * there are none, so a size of 0 alone does not mean done.) */
size_t cp_stats_pack_part(const cp_stats *st, cp_stats_parts *pt, size_t cap, unsigned char *buf);

/* Checks the next part, n bytes at buf, as cp_stats_unpack_merge checks the
 * whole, and merges it into dst: on CP_EINVAL dst is unchanged by that part,
 * but the parts merged before it stay, so dst then holds part of another
 * accumulator and is fit only to be freed.  The sample count is added with
 * the last part. */
int cp_stats_merge_part(cp_stats *dst, cp_stats_parts *pt, const unsigned char *buf, size_t n,
                        cp_err *err);

/* For packed statistics read as a stream of bytes rather than received as
 * parts (a checkpoint's): sets *len to the length of the next part in the n
 * bytes at buf, the packed form's next bytes from pt on, for
 * cp_stats_merge_part.  The header and the label counts are their sizes
 * (with `last`, the counts are all n bytes, so that bytes beyond them are
 * refused); a run of cells is every cell whose bytes decide it: each that
 * begins at least cp_stats_part_bound(dst, 0) bytes before the end of buf,
 * or any when `last` says the packed form ends with the n bytes.  CP_EINVAL
 * for a cell that is malformed, or too few bytes for the next part. */
int cp_stats_part_length(const cp_stats *dst, const cp_stats_parts *pt, const unsigned char *buf,
                         size_t n, int last, size_t *len, cp_err *err);

#endif
