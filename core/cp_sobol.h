/* cp_sobol.h -- Sobol indices from a pick-freeze design: the sums and the
 * estimators, a pure module (no MPI, no files).
 *
 * The design (Saltelli 2010): matrices A and B are two independent sets of
 * draws of every input; AB_k is A with input k (or group k) taken from B.
 * For a sample i, f_A, f_B and f_ABk are the output of one cell under each.
 * With every value first shifted by a constant c of the cell (any value
 * fixed before the run, e.g. f_A of sample 0; it makes the sums below well
 * conditioned and changes no estimator's expectation), let, per sample,
 *
 *   a = f_A - c,  b = f_B - c,  d_k = f_ABk - c,
 *   y1_k = b (d_k - a)        (Saltelli 2010, first order)
 *   y2_k = (a - d_k)^2        (Jansen 1999, total effect)
 *   g1 = a + b,  g2 = a^2 + b^2.
 *
 * The accumulator keeps, per cell, exact sums (cp_xsum) of g1, g2, g1^2,
 * g2^2, g1 g2 and, per cell and input, of y, y^2, y g1, y g2 for y1 and
 * y2: every mean and covariance the estimators and their delta-method
 * variances need.  Sums are formed per block of samples in sample order in
 * double precision and each block's total is added exactly, so the result
 * depends only on how samples are grouped into blocks (the caller fixes
 * blocks by global sample index), never on the order blocks arrive in or
 * on which process summed them.
 *
 * Estimates: V = mean(g2) / 2 - (mean(g1) / 2)^2 (the variance of f over
 * the 2N values of A and B), S_k = mean(y1_k) / V, ST_k = mean(y2_k) / (2V).
 * Each is a smooth function of three means, so its variance is, to first
 * order (delta method), grad' Sigma grad / N with Sigma the covariance of
 * (y, g1, g2) over samples; the interval is the estimate +- z sd.
 */
#ifndef CP_SOBOL_H
#define CP_SOBOL_H

#include <stddef.h>
#include <stdint.h>

#include "cp_error.h"

/* The normal quantile of a two-sided 95% interval. */
#define CP_SOBOL_Z95 1.959963984540054

typedef struct cp_sobol cp_sobol;

/* An accumulator for n_cells output cells and n_inputs inputs (or groups).
 * NULL if allocation fails. */
cp_sobol *cp_sobol_alloc(size_t n_cells, size_t n_inputs);
void cp_sobol_free(cp_sobol *s);
size_t cp_sobol_cells(const cp_sobol *s);
size_t cp_sobol_inputs(const cp_sobol *s);
uint64_t cp_sobol_samples(const cp_sobol *s);

/* Back to empty (same shape). */
void cp_sobol_reset(cp_sobol *s);

/* Adds one block of n samples (in sample order):
 *   fa[c * stride + i], fb[c * stride + i]   cell c of sample i under A, B
 *   fab[(k * n_cells + c) * stride + i]      cell c of sample i under AB_k
 * shifted by shift[c].  A NaN or infinity (in a value or a product) fails
 * with CP_EMODEL naming the cell and input, and leaves s unchanged. */
int cp_sobol_add(cp_sobol *s, const double *fa, const double *fb, const double *fab, size_t n,
                 size_t stride, const double *shift, cp_err *err);

/* dst += src (same shape, else CP_EINVAL). */
int cp_sobol_merge(cp_sobol *dst, const cp_sobol *src, cp_err *err);

/* The accumulator as doubles (exact: every normalized limb of an exact sum
 * is an integer below 2^53 in magnitude), to move through an MPI gather of
 * doubles or a checkpoint's rows.  cp_sobol_unpack_merge checks the shape
 * and every value before merging anything: on CP_EINVAL dst is unchanged. */
size_t cp_sobol_packed_len(const cp_sobol *s);
int cp_sobol_pack(const cp_sobol *s, double *out, cp_err *err);
int cp_sobol_unpack_merge(cp_sobol *dst, const double *in, size_t n, cp_err *err);

typedef struct cp_sobol_index {
    uint64_t n;   /* samples */
    double var;   /* V, the variance of the cell */
    double first; /* S_k, Saltelli 2010 */
    double first_lo, first_hi;
    double total; /* ST_k, Jansen 1999 */
    double total_lo, total_hi;
} cp_sobol_index;

/* The indices of input k in cell c with intervals est +- z sd (z =
 * CP_SOBOL_Z95 for 95%).  With fewer than 2 samples, or a cell whose
 * variance V is 0 (or below 1e-24 of the mean square of its shifted
 * values: rounding, not variation), every index is NaN. */
void cp_sobol_estimate(const cp_sobol *s, size_t cell, size_t k, double z, cp_sobol_index *out);

#endif
