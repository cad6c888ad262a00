/* test_stats.c -- the per-cell accumulator: moments against direct
 * computation, bit-identical results however blocks are spread over ranks,
 * atomic rejection of bad input, serialization. */
#include <criterion/criterion.h>
#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cp_sketch.h"
#include "cp_stats.h"
#include "cp_xsum.h"

static const double probs[] = {0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0};
#define N_PROBS (sizeof probs / sizeof probs[0])

static uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cr_assert_not_null(r);
    gsl_rng_set(r, seed);
    return r;
}

static cp_stats *stats_new(size_t n_cells)
{
    cp_stats *st = cp_stats_alloc(n_cells);
    cr_assert_not_null(st);
    return st;
}

static void add_block(cp_stats *st, const double *v, size_t n_samples)
{
    cp_err err;
    cr_assert_eq(cp_stats_add_block(st, v, n_samples, &err), CP_OK, "%s", err.msg);
}

static size_t packed(const cp_stats *st, unsigned char **buf)
{
    const size_t size = cp_stats_packed_size(st);
    *buf = malloc(size);
    cr_assert_not_null(*buf);
    cr_assert_eq(cp_stats_pack(st, *buf), size);
    return size;
}

/* Summaries and quantiles of every cell, and the packed bytes, identical. */
static void assert_same_stats(const cp_stats *a, const cp_stats *b)
{
    cr_assert_eq(cp_stats_cells(a), cp_stats_cells(b));
    cr_assert_eq(cp_stats_samples(a), cp_stats_samples(b));
    for (size_t c = 0; c < cp_stats_cells(a); c++) {
        cp_cell_summary sa, sb;
        double qa[N_PROBS], qb[N_PROBS];
        cp_stats_summarize(a, c, probs, N_PROBS, &sa, qa);
        cp_stats_summarize(b, c, probs, N_PROBS, &sb, qb);
        cr_assert_eq(sa.n, sb.n);
        cr_assert_eq(bits_of(sa.mean), bits_of(sb.mean), "cell %zu mean %a vs %a", c, sa.mean,
                     sb.mean);
        cr_assert_eq(bits_of(sa.sd), bits_of(sb.sd), "cell %zu sd", c);
        cr_assert_eq(bits_of(sa.min), bits_of(sb.min));
        cr_assert_eq(bits_of(sa.max), bits_of(sb.max));
        for (size_t i = 0; i < N_PROBS; i++)
            cr_assert_eq(bits_of(qa[i]), bits_of(qb[i]), "cell %zu p %g", c, probs[i]);
    }
    unsigned char *pa, *pb;
    const size_t na = packed(a, &pa), nb = packed(b, &pb);
    cr_assert_eq(na, nb);
    cr_assert(memcmp(pa, pb, na) == 0, "packed bytes differ");
    free(pa);
    free(pb);
}

Test(stats, empty_accumulator)
{
    cp_stats *st = stats_new(3);
    cr_assert_eq(cp_stats_cells(st), 3);
    cr_assert_eq(cp_stats_samples(st), 0);
    cp_cell_summary s;
    double q[N_PROBS];
    cp_stats_summarize(st, 2, probs, N_PROBS, &s, q);
    cr_assert_eq(s.n, 0);
    cr_assert(isnan(s.mean) && isnan(s.min) && isnan(s.max));
    cr_assert_eq(s.sd, 0.0);
    for (size_t i = 0; i < N_PROBS; i++)
        cr_assert(isnan(q[i]));
    add_block(st, NULL, 0);
    cr_assert_eq(cp_stats_samples(st), 0);
    cp_stats_free(st);
    cp_stats_free(NULL);
}

/* Multiples of 1/8 below 2^20: every partial sum and square is exact, so
 * mean must be the correctly rounded S1/n, and sd follows from exact
 * integers.  The reference var = (n K2 - K1^2) / (64 n (n - 1)) with
 * K1 = sum 8x, K2 = sum (8x)^2 is exact in __int128; sd's only errors are
 * the long double steps (relative 2^-63 each, amplified by
 * S2 / (n var) <= 10 for this data) and the final rounding to double
 * (2^-53): below DBL_EPSILON = 2^-52 in all. */
Test(stats, mean_and_sd_exact_on_dyadic_data)
{
    enum { CELLS = 4, SAMPLES = 37 };
    gsl_rng *r = rng_new(31);
    double v[SAMPLES * CELLS];
    for (size_t i = 0; i < SAMPLES * CELLS; i++)
        v[i] = (double)((long)gsl_rng_uniform_int(r, 4001) - 1000 * (long)(i % CELLS)) / 8;
    cp_stats *st = stats_new(CELLS);
    add_block(st, v, 10);
    add_block(st, v + 10 * CELLS, SAMPLES - 10);
    for (size_t c = 0; c < CELLS; c++) {
        __int128 k1 = 0, k2 = 0;
        for (size_t s = 0; s < SAMPLES; s++) {
            const __int128 k = (__int128)(v[s * CELLS + c] * 8);
            k1 += k;
            k2 += k * k;
        }
        const __int128 num = SAMPLES * k2 - k1 * k1;
        const __int128 den = (__int128)64 * SAMPLES * (SAMPLES - 1);
        const double mean_ref = (double)k1 / 8 / SAMPLES;
        const double sd_ref = (double)sqrtl((long double)num / (long double)den);
        cp_cell_summary sum;
        cp_stats_summarize(st, c, NULL, 0, &sum, NULL);
        cr_assert_eq(sum.n, SAMPLES);
        cr_assert_eq(bits_of(sum.mean), bits_of(mean_ref), "cell %zu: %a vs %a", c, sum.mean,
                     mean_ref);
        cr_assert(fabs(sum.sd - sd_ref) <= sd_ref * DBL_EPSILON, "cell %zu: sd %.17g vs %.17g", c,
                  sum.sd, sd_ref);
    }
    cp_stats_free(st);
    gsl_rng_free(r);
}

/* Positive lognormal data in blocks of m samples: each block's double sums
 * are off by at most gamma = (m - 1) u times the sum (u = 2^-53), the exact
 * total adds nothing, and the final roundings a few u.  So the mean is
 * within (m + 2) u * mean, and var's numerator S2 - S1^2/n within about
 * (m + 2) u * 3 S2, and since that numerator is (n - 1) var, sd (half the
 * relative error of var) within (m + 2) u * 3 S2 / (2 (n - 1) var) * sd
 * plus a few u.  The reference is a two-pass long double computation. */
Test(stats, mean_and_sd_match_direct_computation)
{
    enum { CELLS = 3, SAMPLES = 2000, M = 256 };
    gsl_rng *r = rng_new(32);
    double *v = malloc(SAMPLES * CELLS * sizeof *v);
    cr_assert_not_null(v);
    for (size_t i = 0; i < SAMPLES * CELLS; i++)
        v[i] = gsl_ran_lognormal(r, (double)(i % CELLS), 0.5 + 0.5 * (double)(i % CELLS));
    cp_stats *st = stats_new(CELLS);
    for (size_t s0 = 0; s0 < SAMPLES; s0 += M)
        add_block(st, v + s0 * CELLS, SAMPLES - s0 < M ? SAMPLES - s0 : M);
    const double u = DBL_EPSILON / 2;
    for (size_t c = 0; c < CELLS; c++) {
        long double s1 = 0, s2 = 0;
        for (size_t s = 0; s < SAMPLES; s++)
            s1 += v[s * CELLS + c];
        const long double mean = s1 / SAMPLES;
        long double dev2 = 0;
        for (size_t s = 0; s < SAMPLES; s++) {
            const long double d = v[s * CELLS + c] - mean;
            dev2 += d * d;
            s2 += (long double)v[s * CELLS + c] * v[s * CELLS + c];
        }
        const long double var = dev2 / (SAMPLES - 1);
        const double sd = (double)sqrtl(var);
        cp_cell_summary sum;
        cp_stats_summarize(st, c, NULL, 0, &sum, NULL);
        const double mean_tol = (double)((M + 2) * u * mean);
        const double sd_tol =
            (double)((M + 2) * u * 3 * s2 / (2 * (SAMPLES - 1) * var)) * sd + 4 * u * sd;
        cr_assert(fabs(sum.mean - (double)mean) <= mean_tol, "cell %zu mean %.17g vs %.17Lg", c,
                  sum.mean, mean);
        cr_assert(fabs(sum.sd - sd) <= sd_tol, "cell %zu sd %.17g vs %.17g (tol %g)", c, sum.sd, sd,
                  sd_tol);
    }
    free(v);
    cp_stats_free(st);
    gsl_rng_free(r);
}

Test(stats, constant_cell_has_zero_sd_and_exact_mean)
{
    enum { CELLS = 2, SAMPLES = 1000 };
    double v[SAMPLES * CELLS];
    for (size_t s = 0; s < SAMPLES; s++) {
        v[s * CELLS] = 0.1;
        v[s * CELLS + 1] = -7.3e-5;
    }
    cp_stats *st = stats_new(CELLS);
    add_block(st, v, 300);
    add_block(st, v + 300 * CELLS, SAMPLES - 300);
    const double want[] = {0.1, -7.3e-5};
    for (size_t c = 0; c < CELLS; c++) {
        cp_cell_summary sum;
        double q[N_PROBS];
        cp_stats_summarize(st, c, probs, N_PROBS, &sum, q);
        cr_assert_eq(sum.sd, 0.0);
        cr_assert_eq(bits_of(sum.mean), bits_of(want[c]));
        for (size_t i = 0; i < N_PROBS; i++)
            cr_assert_eq(bits_of(q[i]), bits_of(want[c]));
    }
    cp_stats_free(st);
}

/* The reference for one cell: a sketch of the same values, and the exact
 * sum of each block's sample-order double sums. */
Test(stats, matches_per_cell_reference_at_tile_edges)
{
    gsl_rng *r = rng_new(33);
    const size_t cell_counts[] = {1, 7, 8, 9, 17};
    const size_t block_sizes[] = {1, 255, 256, 257, 600};
    for (size_t ci = 0; ci < 5; ci++) {
        const size_t n_cells = cell_counts[ci];
        cp_stats *st = stats_new(n_cells);
        cp_sketch *sk = malloc(n_cells * sizeof *sk);
        cp_xsum *x1 = malloc(n_cells * sizeof *x1);
        for (size_t c = 0; c < n_cells; c++) {
            cp_sketch_init(&sk[c]);
            cp_xsum_init(&x1[c]);
        }
        for (size_t bi = 0; bi < 5; bi++) {
            const size_t ns = block_sizes[bi];
            double *v = malloc(ns * n_cells * sizeof *v);
            for (size_t i = 0; i < ns * n_cells; i++)
                v[i] = gsl_rng_uniform(r) < 0.1 ? 0.0 : gsl_ran_gaussian(r, 1.0 + (double)i);
            add_block(st, v, ns);
            for (size_t c = 0; c < n_cells; c++) {
                double s1 = 0;
                cp_err err;
                for (size_t s = 0; s < ns; s++) {
                    s1 += v[s * n_cells + c];
                    cr_assert_eq(cp_sketch_add(&sk[c], v[s * n_cells + c], &err), CP_OK);
                }
                cp_xsum_add(&x1[c], s1);
            }
            free(v);
        }
        for (size_t c = 0; c < n_cells; c++) {
            cp_cell_summary sum;
            double q[N_PROBS];
            cp_stats_summarize(st, c, probs, N_PROBS, &sum, q);
            cr_assert_eq(sum.n, sk[c].total);
            cr_assert_eq(bits_of(sum.min), bits_of(sk[c].min));
            cr_assert_eq(bits_of(sum.max), bits_of(sk[c].max));
            double mean = cp_xsum_value(&x1[c]) / (double)sum.n;
            mean = mean < sum.min ? sum.min : mean > sum.max ? sum.max : mean;
            cr_assert_eq(bits_of(sum.mean), bits_of(mean), "cells %zu cell %zu", n_cells, c);
            for (size_t i = 0; i < N_PROBS; i++)
                cr_assert_eq(bits_of(q[i]), bits_of(cp_sketch_quantile(&sk[c], probs[i])));
            cp_sketch_free(&sk[c]);
        }
        free(sk);
        free(x1);
        cp_stats_free(st);
    }
    gsl_rng_free(r);
}

/* ---- ranks ---- */

enum { R_CELLS = 13, R_BLOCKS = 24 };

typedef struct blocks {
    double *v[R_BLOCKS];
    size_t n[R_BLOCKS];
} blocks;

/* Blocks of uneven sizes; cells of mixed sign, zeros, huge and tiny
 * magnitudes, so that double sums round and the order would show. */
static void blocks_make(blocks *b, gsl_rng *r)
{
    for (size_t k = 0; k < R_BLOCKS; k++) {
        b->n[k] = 1 + gsl_rng_uniform_int(r, 300);
        b->v[k] = malloc(b->n[k] * R_CELLS * sizeof(double));
        cr_assert_not_null(b->v[k]);
        for (size_t i = 0; i < b->n[k] * R_CELLS; i++) {
            const size_t c = i % R_CELLS;
            double x = gsl_ran_lognormal(r, 0.0, 0.5 + 0.25 * (double)c);
            if (c % 3 == 1 && gsl_rng_uniform(r) < 0.5)
                x = -x;
            if (c % 4 == 2 && gsl_rng_uniform(r) < 0.3)
                x = 0.0;
            if (c == 12)
                x = gsl_rng_uniform(r) < 0.5 ? 1e150 * x : -1e-150 / x;
            b->v[k][i] = x;
        }
    }
}

static void blocks_free(blocks *b)
{
    for (size_t k = 0; k < R_BLOCKS; k++)
        free(b->v[k]);
}

/* Adds the blocks to n_ranks accumulators as assign[] says, in the order
 * given by order[], then merges the ranks into a fresh accumulator in the
 * order merge[] (half directly, half through packed bytes). */
static cp_stats *run_ranks(const blocks *b, size_t n_ranks, const size_t *assign,
                           const size_t *order, const size_t *merge)
{
    cp_stats *rank[4];
    for (size_t q = 0; q < n_ranks; q++)
        rank[q] = stats_new(R_CELLS);
    for (size_t i = 0; i < R_BLOCKS; i++) {
        const size_t k = order[i];
        add_block(rank[assign[k]], b->v[k], b->n[k]);
    }
    cp_stats *all = stats_new(R_CELLS);
    cp_err err;
    for (size_t i = 0; i < n_ranks; i++) {
        const size_t q = merge[i];
        if (i % 2) {
            cr_assert_eq(cp_stats_merge(all, rank[q], &err), CP_OK, "%s", err.msg);
        } else {
            unsigned char *buf;
            const size_t n = packed(rank[q], &buf);
            cr_assert_eq(cp_stats_unpack_merge(all, buf, n, &err), CP_OK, "%s", err.msg);
            free(buf);
        }
        cp_stats_free(rank[q]);
    }
    return all;
}

Test(stats, bit_identical_across_rank_layouts)
{
    gsl_rng *r = rng_new(34);
    blocks b;
    blocks_make(&b, r);
    size_t identity[R_BLOCKS], zeros[R_BLOCKS];
    for (size_t k = 0; k < R_BLOCKS; k++) {
        identity[k] = k;
        zeros[k] = 0;
    }
    const size_t one[] = {0};
    cp_stats *ref = run_ranks(&b, 1, zeros, identity, one);
    for (size_t n_ranks = 1; n_ranks <= 4; n_ranks++)
        for (int layout = 0; layout < 4; layout++) {
            size_t assign[R_BLOCKS], order[R_BLOCKS], merge[4];
            for (size_t k = 0; k < R_BLOCKS; k++) {
                /* round robin, contiguous ranges, random, all on the last */
                const size_t choices[] = {k % n_ranks, k * n_ranks / R_BLOCKS,
                                          gsl_rng_uniform_int(r, n_ranks), n_ranks - 1};
                assign[k] = choices[layout];
                order[k] = k;
            }
            gsl_ran_shuffle(r, order, R_BLOCKS, sizeof *order);
            for (size_t q = 0; q < n_ranks; q++)
                merge[q] = q;
            gsl_ran_shuffle(r, merge, n_ranks, sizeof *merge);
            cp_stats *all = run_ranks(&b, n_ranks, assign, order, merge);
            assert_same_stats(all, ref);
            cp_stats_free(all);
        }
    cp_stats_free(ref);
    blocks_free(&b);
    gsl_rng_free(r);
}

/* ---- rejection ---- */

static void assert_unchanged_by(cp_stats *st, const double *v, size_t n_samples, size_t cell,
                                size_t sample)
{
    unsigned char *before, *after;
    const size_t nb = packed(st, &before);
    cp_err err;
    cp_err_clear(&err);
    cr_assert_eq(cp_stats_add_block(st, v, n_samples, &err), CP_EMODEL);
    char want[64];
    snprintf(want, sizeof want, "cell %zu, sample %zu", cell, sample);
    cr_assert(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
    const size_t na = packed(st, &after);
    cr_assert(na == nb && memcmp(before, after, na) == 0, "accumulator changed");
    free(before);
    free(after);
}

Test(stats, nonfinite_rejected_and_accumulator_unchanged)
{
    enum { CELLS = 11, SAMPLES = 300 };
    gsl_rng *r = rng_new(35);
    double *v = malloc(SAMPLES * CELLS * sizeof *v);
    for (size_t i = 0; i < SAMPLES * CELLS; i++)
        v[i] = gsl_ran_gaussian(r, 10.0);
    cp_stats *st = stats_new(CELLS);
    add_block(st, v, SAMPLES);
    const double specials[] = {NAN, INFINITY, -INFINITY, -NAN};
    const size_t where[][2] = {{0, 0}, {CELLS - 1, SAMPLES - 1}, {3, 5}, {10, 256}};
    for (int k = 0; k < 4; k++) {
        /* Values that would grow the sketches come before the bad one. */
        for (size_t i = 0; i < SAMPLES * CELLS; i++)
            v[i] = gsl_ran_gaussian(r, 1e100);
        const size_t c = where[k][0], s = where[k][1];
        v[s * CELLS + c] = specials[k];
        assert_unchanged_by(st, v, SAMPLES, c, s);
        /* A second bad value later: the first one is named. */
        v[(SAMPLES - 1) * CELLS + CELLS - 1] = NAN;
        assert_unchanged_by(st, v, SAMPLES, c, s);
    }
    cr_assert_eq(cp_stats_samples(st), SAMPLES);
    free(v);
    cp_stats_free(st);
    gsl_rng_free(r);
}

Test(stats, merge_rejects_other_cell_count)
{
    cp_stats *a = stats_new(3), *b = stats_new(4);
    cp_err err;
    cr_assert_eq(cp_stats_merge(a, b, &err), CP_EINVAL);
    unsigned char *buf;
    const size_t n = packed(b, &buf);
    cr_assert_eq(cp_stats_unpack_merge(a, buf, n, &err), CP_EINVAL);
    free(buf);
    cp_stats_free(a);
    cp_stats_free(b);
}

/* ---- serialization ---- */

static cp_stats *sample_stats(void)
{
    gsl_rng *r = rng_new(36);
    blocks b;
    blocks_make(&b, r);
    cp_stats *st = stats_new(R_CELLS);
    for (size_t k = 0; k < 3; k++)
        add_block(st, b.v[k], b.n[k]);
    blocks_free(&b);
    gsl_rng_free(r);
    return st;
}

Test(stats, pack_unpack_roundtrip)
{
    cp_stats *st = sample_stats();
    unsigned char *buf;
    const size_t n = packed(st, &buf);
    cp_stats *back = stats_new(R_CELLS);
    cp_err err;
    cr_assert_eq(cp_stats_unpack_merge(back, buf, n, &err), CP_OK, "%s", err.msg);
    assert_same_stats(back, st);
    /* Unpacking twice is merging twice. */
    cr_assert_eq(cp_stats_unpack_merge(back, buf, n, &err), CP_OK);
    cp_stats *twice = stats_new(R_CELLS);
    cr_assert_eq(cp_stats_merge(twice, st, &err), CP_OK);
    cr_assert_eq(cp_stats_merge(twice, st, &err), CP_OK);
    assert_same_stats(back, twice);
    free(buf);
    cp_stats_free(st);
    cp_stats_free(back);
    cp_stats_free(twice);
}

static void assert_unpack_rejected(const unsigned char *buf, size_t n, const char *what)
{
    cp_stats *dst = stats_new(R_CELLS);
    double row[R_CELLS];
    for (size_t c = 0; c < R_CELLS; c++)
        row[c] = (double)c - 6.5;
    add_block(dst, row, 1);
    unsigned char *before, *after;
    const size_t nb = packed(dst, &before);
    cp_err err;
    cp_err_clear(&err);
    cr_assert_eq(cp_stats_unpack_merge(dst, buf, n, &err), CP_EINVAL, "%s: accepted", what);
    cr_assert_neq(err.msg[0], '\0');
    const size_t na = packed(dst, &after);
    cr_assert(na == nb && memcmp(before, after, na) == 0, "%s: dst changed", what);
    free(before);
    free(after);
    cp_stats_free(dst);
}

Test(stats, unpack_rejects_truncated_and_corrupted)
{
    cp_stats *st = sample_stats();
    unsigned char *buf;
    const size_t n = packed(st, &buf);
    /* Every truncation, through a buffer of exactly that size (ASan). */
    for (size_t len = 0; len < n; len += 1 + len / 64) {
        unsigned char *cut = malloc(len ? len : 1);
        memcpy(cut, buf, len);
        assert_unpack_rejected(cut, len, "truncated");
        free(cut);
    }
    unsigned char *c = malloc(n + 1);
    memcpy(c, buf, n);
    c[n] = 0;
    assert_unpack_rejected(c, n + 1, "trailing byte");
    memcpy(c, buf, n);
    c[1] ^= 0x20;
    assert_unpack_rejected(c, n, "magic");
    /* The sample count no longer matches the sketches. */
    uint64_t samples;
    memcpy(&samples, buf + 16, 8);
    samples++;
    memcpy(c, buf, n);
    memcpy(c + 16, &samples, 8);
    assert_unpack_rejected(c, n, "sample count");
    /* A limb out of the normalized range (the first cell's first limb,
     * after the 40-byte header). */
    memcpy(c, buf, n);
    c[40 + 7] = 0x80;
    assert_unpack_rejected(c, n, "limb");
    /* A corrupted total in the last cell's sketch (found late: nothing may
     * have been merged by then). */
    memcpy(c, buf, n);
    const size_t last = n - 1;
    c[last] ^= 0x01;
    assert_unpack_rejected(c, n, "last sketch");
    free(c);
    free(buf);
    cp_stats_free(st);
}

/* Values whose squares overflow: sd cannot be computed and says so. */
Test(stats, overflowing_squares_give_nan_sd)
{
    const double v[] = {1e200, 2e200, 3e200};
    cp_stats *st = stats_new(1);
    add_block(st, v, 3);
    cp_cell_summary sum;
    cp_stats_summarize(st, 0, NULL, 0, &sum, NULL);
    cr_assert(fabs(sum.mean - 2e200) <= 2e200 * DBL_EPSILON);
    cr_assert(isnan(sum.sd));
    cp_stats_free(st);
}

/* A block stored by cell gives exactly the statistics of the same block
 * stored by sample, with any stride, and a non-finite value in it is
 * rejected by cell and sample without touching the accumulator. */
Test(stats, columns_equal_rows)
{
    enum { CELLS = 13, SAMPLES = 300, STRIDE = 317 };
    gsl_rng *r = rng_new(99);
    double *rows = malloc(CELLS * SAMPLES * sizeof *rows);
    double *cols = calloc(CELLS * STRIDE, sizeof *cols);
    cr_assert(rows && cols);
    for (size_t s = 0; s < SAMPLES; s++)
        for (size_t c = 0; c < CELLS; c++) {
            const double v = c % 3 == 0 ? 0.0 : (gsl_rng_uniform(r) - 0.3) * pow(10.0, (double)c);
            rows[s * CELLS + c] = v;
            cols[c * STRIDE + s] = v;
        }
    cp_stats *a = stats_new(CELLS), *b = stats_new(CELLS);
    cp_err err;
    for (size_t half = 0; half < 2; half++) {
        add_block(a, rows + half * 150 * CELLS, 150);
        cr_assert_eq(cp_stats_add_columns(b, cols + half * 150, 150, STRIDE, &err), CP_OK, "%s",
                     err.msg);
    }
    assert_same_stats(a, b);
    unsigned char *before, *after;
    const size_t nb = packed(b, &before);
    cols[7 * STRIDE + 123] = NAN;
    cr_assert_eq(cp_stats_add_columns(b, cols, SAMPLES, STRIDE, &err), CP_EMODEL);
    cr_assert(strstr(err.msg, "cell 7, sample 123"), "%s", err.msg);
    const size_t na = packed(b, &after);
    cr_assert(na == nb && memcmp(before, after, na) == 0, "accumulator changed");
    cr_assert_eq(cp_stats_add_columns(b, cols, SAMPLES, SAMPLES - 1, &err), CP_EINVAL);
    free(before);
    free(after);
    free(rows);
    free(cols);
    cp_stats_free(a);
    cp_stats_free(b);
    gsl_rng_free(r);
}

/* A block added a quarter at a time (cells t, t + T, ...) and then counted
 * equals the block added by cp_stats_add_columns, to the packed byte. */
Test(stats, add_cells_by_quarter_equals_add_columns)
{
    enum { T = 5, M = 7, CELLS = T * M, NS = 300 };
    gsl_rng *r = rng_new(41);
    static double v[CELLS * NS], q[M * NS];
    for (size_t i = 0; i < CELLS * NS; i++)
        v[i] = gsl_rng_uniform(r) < 0.1 ? 0.0 : gsl_ran_gaussian(r, 1.0 + (double)(i % 9));
    cp_stats *a = stats_new(CELLS), *b = stats_new(CELLS);
    cp_err err;
    cr_assert_eq(cp_stats_add_columns(a, v, NS, NS, &err), CP_OK, "%s", err.msg);
    for (size_t t = 0; t < T; t++) {
        for (size_t i = 0; i < M; i++)
            memcpy(q + i * NS, v + (i * T + t) * NS, NS * sizeof *q);
        cr_assert_eq(cp_stats_add_cells(b, q, NS, NS, t, T, M, &err), CP_OK, "%s", err.msg);
    }
    cp_stats_count_samples(b, NS);
    const size_t na = cp_stats_packed_size(a), nb = cp_stats_packed_size(b);
    unsigned char *pa = malloc(na), *pb = malloc(nb);
    cr_assert_eq(cp_stats_pack(a, pa), na);
    cr_assert_eq(cp_stats_pack(b, pb), nb);
    cr_assert(na == nb && memcmp(pa, pb, na) == 0, "packed statistics differ");
    /* Cells past the end, and a non-finite value naming its cell. */
    cr_assert_eq(cp_stats_add_cells(b, q, NS, NS, T, T, M, &err), CP_EINVAL);
    q[2 * NS + 17] = NAN;
    cr_assert_eq(cp_stats_add_cells(b, q, NS, NS, 0, T, M, &err), CP_EMODEL);
    cr_assert(strstr(err.msg, "cell 10, sample 17") != NULL, "%s", err.msg);
    free(pa);
    free(pb);
    cp_stats_free(a);
    cp_stats_free(b);
    gsl_rng_free(r);
}

/* ---- label counts ---- */

enum { L_CELLS = 3, L_GROUPS = 6, L_LABELS = 4, L_T = 3, L_ROWS = 2, L_LANES = 16 };

static cp_stats *counts_new(size_t groups, size_t labels)
{
    cp_stats *st = cp_stats_alloc_counts(L_CELLS, groups, labels);
    cr_assert_not_null(st);
    return st;
}

/* A block of ns samples' labels laid out as cp_model_binding's: group
 * g = row * L_T + t of lane s at labels[g * L_LANES + s]. */
static void random_labels(gsl_rng *r, uint8_t *labels, size_t ns)
{
    for (size_t g = 0; g < L_GROUPS; g++)
        for (size_t s = 0; s < ns; s++)
            labels[g * L_LANES + s] = (uint8_t)gsl_rng_uniform_int(r, L_LABELS);
}

/* A block of ns samples: its labels, and cell values (all 1) so that the
 * sketches agree with the sample count when packed. */
static void add_labels(cp_stats *st, const uint8_t *labels, size_t ns)
{
    static double ones[L_CELLS * L_LANES];
    for (size_t i = 0; i < L_CELLS * L_LANES; i++)
        ones[i] = 1.0;
    cp_err err;
    cr_assert_eq(cp_stats_add_labels(st, labels, ns, L_LANES, 0, 1, L_GROUPS, &err), CP_OK, "%s",
                 err.msg);
    add_block(st, ones, ns);
}

static void assert_same_counts(const cp_stats *a, const cp_stats *b)
{
    cr_assert_eq(cp_stats_groups(a), cp_stats_groups(b));
    cr_assert_eq(cp_stats_labels(a), cp_stats_labels(b));
    for (size_t g = 0; g < cp_stats_groups(a); g++)
        for (size_t k = 0; k < cp_stats_labels(a); k++)
            cr_assert_eq(cp_stats_count(a, g, k), cp_stats_count(b, g, k), "group %zu label %zu", g,
                         k);
}

/* Counts by hand: a quarter at a time (groups t, t + T, ...) as run's
 * quarter path adds them, the whole block at once as its chunk path does. */
Test(stats, label_counts_add)
{
    uint8_t labels[L_GROUPS * L_LANES];
    uint64_t want[L_GROUPS][L_LABELS] = {{0}};
    for (size_t g = 0; g < L_GROUPS; g++)
        for (size_t s = 0; s < L_LANES; s++) {
            labels[g * L_LANES + s] = (uint8_t)((g + s * s) % L_LABELS);
            want[g][(g + s * s) % L_LABELS] += 2; /* added twice below */
        }
    cp_stats *whole = counts_new(L_GROUPS, L_LABELS), *quarters = counts_new(L_GROUPS, L_LABELS);
    cr_assert_eq(cp_stats_groups(whole), L_GROUPS);
    cr_assert_eq(cp_stats_labels(whole), L_LABELS);
    cp_err err;
    for (int twice = 0; twice < 2; twice++) {
        add_labels(whole, labels, L_LANES);
        for (size_t t = 0; t < L_T; t++)
            cr_assert_eq(cp_stats_add_labels(quarters, labels + t * L_LANES, L_LANES, L_T * L_LANES,
                                             t, L_T, L_ROWS, &err),
                         CP_OK, "%s", err.msg);
        cp_stats_count_samples(quarters, L_LANES);
    }
    for (size_t g = 0; g < L_GROUPS; g++) {
        uint64_t sum = 0;
        for (size_t k = 0; k < L_LABELS; k++) {
            cr_assert_eq(cp_stats_count(whole, g, k), want[g][k], "group %zu label %zu", g, k);
            sum += cp_stats_count(whole, g, k);
        }
        cr_assert_eq(sum, cp_stats_samples(whole), "group %zu sums to %llu", g,
                     (unsigned long long)sum);
    }
    assert_same_counts(whole, quarters);
    /* Only the first n_samples lanes count. */
    cp_stats *part = counts_new(L_GROUPS, L_LABELS);
    cr_assert_eq(cp_stats_add_labels(part, labels, 3, L_LANES, 0, 1, L_GROUPS, &err), CP_OK);
    uint64_t total = 0;
    for (size_t k = 0; k < L_LABELS; k++)
        total += cp_stats_count(part, 5, k);
    cr_assert_eq(total, 3);
    cp_stats_free(whole);
    cp_stats_free(quarters);
    cp_stats_free(part);
}

/* (a + b) + c, a + (b + c), one accumulator fed everything, and the same
 * through pack/unpack: the same counts and the same packed bytes. */
Test(stats, label_counts_merge_associatively)
{
    gsl_rng *r = rng_new(51);
    static uint8_t blk[3][L_GROUPS * L_LANES];
    const size_t ns[3] = {L_LANES, 5, 11};
    cp_stats *one = counts_new(L_GROUPS, L_LABELS), *part[3];
    for (size_t i = 0; i < 3; i++) {
        random_labels(r, blk[i], ns[i]);
        part[i] = counts_new(L_GROUPS, L_LABELS);
        add_labels(part[i], blk[i], ns[i]);
        add_labels(one, blk[i], ns[i]);
    }
    cp_err err;
    cp_stats *left = counts_new(L_GROUPS, L_LABELS), *right = counts_new(L_GROUPS, L_LABELS);
    cp_stats *bc = counts_new(L_GROUPS, L_LABELS);
    cr_assert_eq(cp_stats_merge(left, part[0], &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_stats_merge(left, part[1], &err), CP_OK);
    cr_assert_eq(cp_stats_merge(left, part[2], &err), CP_OK);
    cr_assert_eq(cp_stats_merge(bc, part[1], &err), CP_OK);
    cr_assert_eq(cp_stats_merge(bc, part[2], &err), CP_OK);
    cr_assert_eq(cp_stats_merge(right, part[0], &err), CP_OK);
    cr_assert_eq(cp_stats_merge(right, bc, &err), CP_OK);
    assert_same_counts(one, left);
    assert_same_counts(one, right);
    assert_same_stats(left, right);
    assert_same_stats(one, left);
    cr_assert_eq(cp_stats_samples(one), L_LANES + 5 + 11);
    for (size_t i = 0; i < 3; i++)
        cp_stats_free(part[i]);
    cp_stats_free(one);
    cp_stats_free(left);
    cp_stats_free(right);
    cp_stats_free(bc);
    gsl_rng_free(r);
}

Test(stats, label_counts_pack_unpack_roundtrip)
{
    gsl_rng *r = rng_new(52);
    uint8_t labels[L_GROUPS * L_LANES];
    random_labels(r, labels, L_LANES);
    cp_stats *st = counts_new(L_GROUPS, L_LABELS);
    double row[L_CELLS] = {1.0, -2.0, 3.5};
    add_block(st, row, 1);
    cp_err err;
    cr_assert_eq(cp_stats_add_labels(st, labels, L_LANES, L_LANES, 0, 1, L_GROUPS, &err), CP_OK);
    unsigned char *buf;
    const size_t n = packed(st, &buf);
    cp_stats *back = cp_stats_alloc_like(st);
    cr_assert_not_null(back);
    cr_assert_eq(cp_stats_unpack_merge(back, buf, n, &err), CP_OK, "%s", err.msg);
    assert_same_counts(back, st);
    assert_same_stats(back, st);
    /* Unpacking again doubles every count. */
    cr_assert_eq(cp_stats_unpack_merge(back, buf, n, &err), CP_OK, "%s", err.msg);
    for (size_t g = 0; g < L_GROUPS; g++)
        for (size_t k = 0; k < L_LABELS; k++)
            cr_assert_eq(cp_stats_count(back, g, k), 2 * cp_stats_count(st, g, k));
    /* A count that would overflow the destination's is refused. */
    unsigned char *c = malloc(n);
    memcpy(c, buf, n);
    const uint64_t huge = UINT64_MAX;
    memcpy(c + n - 8, &huge, 8);
    cr_assert_eq(cp_stats_unpack_merge(back, c, n, &err), CP_EINVAL);
    cr_assert(strstr(err.msg, "overflows"), "%s", err.msg);
    free(c);
    free(buf);
    cp_stats_free(st);
    cp_stats_free(back);
    gsl_rng_free(r);
}

/* Statistics of another shape of counts: merge and unpack refused with a
 * message naming both shapes, the destination untouched. */
Test(stats, label_counts_shape_mismatch_refused)
{
    const size_t shapes[3][2] = {{L_GROUPS + 1, L_LABELS}, {L_GROUPS, L_LABELS - 1}, {0, 0}};
    uint8_t labels[L_GROUPS * L_LANES] = {0};
    labels[3] = 2;
    cp_stats *dst = counts_new(L_GROUPS, L_LABELS);
    add_labels(dst, labels, L_LANES);
    unsigned char *before;
    const size_t nb = packed(dst, &before);
    for (size_t i = 0; i < 3; i++) {
        cp_stats *src = counts_new(shapes[i][0], shapes[i][1]);
        cp_err err;
        cp_err_clear(&err);
        cr_assert_eq(cp_stats_merge(dst, src, &err), CP_EINVAL, "shape %zu merged", i);
        cr_assert(strstr(err.msg, "label counts"), "%s", err.msg);
        unsigned char *buf;
        const size_t n = packed(src, &buf);
        cp_err_clear(&err);
        cr_assert_eq(cp_stats_unpack_merge(dst, buf, n, &err), CP_EINVAL, "shape %zu unpacked", i);
        char want[64];
        snprintf(want, sizeof want, "%zu groups x %zu labels, expected %d x %d", shapes[i][0],
                 shapes[i][1], L_GROUPS, L_LABELS);
        cr_assert(strstr(err.msg, want), "%s", err.msg);
        unsigned char *after;
        const size_t na = packed(dst, &after);
        cr_assert(na == nb && memcmp(before, after, na) == 0, "dst changed");
        free(after);
        free(buf);
        cp_stats_free(src);
    }
    /* The counts cut short, or a byte too many. */
    unsigned char *buf;
    const size_t n = packed(dst, &buf);
    cp_stats *other = counts_new(L_GROUPS, L_LABELS);
    cp_err err;
    cr_assert_eq(cp_stats_unpack_merge(other, buf, n - 8, &err), CP_EINVAL);
    cr_assert(strstr(err.msg, "truncated"), "%s", err.msg);
    cr_assert_eq(cp_stats_count(other, 0, 2), 0);
    free(buf);
    free(before);
    cp_stats_free(other);
    cp_stats_free(dst);
}

/* A label beyond the K the statistics count, or a group beyond G: refused
 * (CP_EINVAL), nothing counted, nothing written out of bounds (ASan). */
Test(stats, label_out_of_range_refused)
{
    uint8_t labels[L_GROUPS * L_LANES] = {0};
    cp_stats *st = counts_new(L_GROUPS, L_LABELS);
    cp_err err;
    labels[4 * L_LANES + 9] = L_LABELS;
    cr_assert_eq(cp_stats_add_labels(st, labels, L_LANES, L_LANES, 0, 1, L_GROUPS, &err),
                 CP_EINVAL);
    cr_assert(strstr(err.msg, "label group 4: label 4, but only 4 labels"), "%s", err.msg);
    labels[4 * L_LANES + 9] = 255;
    cr_assert_eq(cp_stats_add_labels(st, labels, L_LANES, L_LANES, 0, 1, L_GROUPS, &err),
                 CP_EINVAL);
    for (size_t g = 0; g < L_GROUPS; g++)
        for (size_t k = 0; k < L_LABELS; k++)
            cr_assert_eq(cp_stats_count(st, g, k), 0, "group %zu counted", g);
    /* A bad label past n_samples is not read. */
    cr_assert_eq(cp_stats_add_labels(st, labels, 9, L_LANES, 0, 1, L_GROUPS, &err), CP_OK, "%s",
                 err.msg);
    cr_assert_eq(cp_stats_count(st, 4, 0), 9);
    /* Groups past the end, a zero step, a stride below the samples. */
    cr_assert_eq(cp_stats_add_labels(st, labels, 9, L_LANES, 1, 1, L_GROUPS, &err), CP_EINVAL);
    cr_assert(strstr(err.msg, "beyond the 6 label groups"), "%s", err.msg);
    cr_assert_eq(cp_stats_add_labels(st, labels, 9, L_LANES, 0, 0, 2, &err), CP_EINVAL);
    cr_assert_eq(cp_stats_add_labels(st, labels, 9, 8, 0, 1, 1, &err), CP_EINVAL);
    /* Labels are bytes: statistics of more than 256 could never be filled. */
    cr_assert_null(cp_stats_alloc_counts(1, 1, 257));
    /* Statistics without counts count nothing. */
    cp_stats *none = stats_new(L_CELLS);
    cr_assert_eq(cp_stats_add_labels(none, labels, 1, L_LANES, 0, 1, 1, &err), CP_EINVAL);
    cp_stats_free(none);
    cp_stats_free(st);
}

/* cp_stats_add_cells forms the sums of many cells side by side (vector
 * lanes), cp_stats_add_block one cell at a time in cp_sketch: the same bits,
 * for cell counts around the lanes and the batch (cells beyond a batch are
 * checked first), with zeros, negatives and values whose sums overflow
 * (finite values, accepted) among them; a non-finite value in any batch
 * leaves the accumulator unchanged and is named. */
Test(stats, add_cells_sums_equal_add_block)
{
    enum { NS = 260, MAXC = 70 };
    static const size_t widths[] = {1, 7, 8, 9, 17, 64, 65, MAXC};
    static double cols[MAXC * NS], rows[NS * MAXC];
    gsl_rng *r = rng_new(43);
    cp_err err;
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++) {
        const size_t M = widths[wi];
        for (size_t c = 0; c < M; c++)
            for (size_t s = 0; s < NS; s++) {
                const double u = gsl_rng_uniform(r);
                const double v = c % 5 == 1   ? 1e300 * (1.0 + u)
                                 : c % 5 == 2 ? (u < 0.5 ? 0.0 : -u)
                                              : gsl_ran_gaussian(r, 1.0 + (double)c);
                cols[c * NS + s] = v;
                rows[s * M + c] = v;
            }
        cp_stats *a = stats_new(M), *b = stats_new(M);
        add_block(a, rows, NS);
        cr_assert_eq(cp_stats_add_cells(b, cols, NS, NS, 0, 1, M, &err), CP_OK, "%s", err.msg);
        cp_stats_count_samples(b, NS);
        assert_same_stats(a, b);
        unsigned char *before, *after;
        const size_t nb = packed(b, &before);
        const size_t bad = M - 1 - M / 3;
        cols[bad * NS + 100] = wi % 2 ? INFINITY : NAN;
        cr_assert_eq(cp_stats_add_cells(b, cols, NS, NS, 0, 1, M, &err), CP_EMODEL);
        char want[64];
        snprintf(want, sizeof want, "cell %zu, sample 100", bad);
        cr_assert(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
        const size_t na = packed(b, &after);
        cr_assert(na == nb && memcmp(before, after, na) == 0, "accumulator changed");
        free(before);
        free(after);
        cp_stats_free(a);
        cp_stats_free(b);
    }
    gsl_rng_free(r);
}

/* ---- the packed form in parts (cp_par's reduction) ---- */

/* Statistics with cells and label counts: a sample_stats-like spread of
 * values over L_CELLS cells, and labels. */
static cp_stats *parts_stats(unsigned long seed)
{
    gsl_rng *r = rng_new(seed);
    cp_stats *st = counts_new(L_GROUPS, L_LABELS);
    uint8_t labels[L_GROUPS * L_LANES];
    double v[L_CELLS * L_LANES];
    for (int k = 0; k < 20; k++) {
        random_labels(r, labels, L_LANES);
        for (size_t i = 0; i < L_CELLS * L_LANES; i++)
            v[i] = gsl_ran_lognormal(r, 3.0 * (double)(i % L_CELLS), 1.0 + (double)(i % L_CELLS));
        cp_err err;
        cr_assert_eq(cp_stats_add_labels(st, labels, L_LANES, L_LANES, 0, 1, L_GROUPS, &err),
                     CP_OK);
        add_block(st, v, L_LANES);
    }
    gsl_rng_free(r);
    return st;
}

/* The parts of st with parts of about cap bytes, concatenated into
 * *out (malloc'd); their number in *n_parts. */
static size_t parts_of(const cp_stats *st, size_t cap, unsigned char **out, size_t *n_parts)
{
    const size_t bound = cp_stats_part_bound(st, cap);
    cr_assert_geq(bound, cap);
    unsigned char *part = malloc(bound);
    *out = malloc(cp_stats_packed_size(st));
    cr_assert(part && *out);
    cp_stats_parts pt;
    cp_stats_parts_init(&pt);
    size_t len = 0;
    *n_parts = 0;
    while (!cp_stats_parts_done(&pt)) {
        const size_t n = cp_stats_pack_part(st, &pt, cap, part);
        cr_assert_leq(n, bound, "a part of %zu bytes, bound %zu", n, bound);
        cr_assert_leq(len + n, cp_stats_packed_size(st));
        memcpy(*out + len, part, n);
        len += n;
        ++*n_parts;
    }
    /* Once done, nothing more. */
    cr_assert_eq(cp_stats_pack_part(st, &pt, cap, part), 0);
    free(part);
    return len;
}

/* The parts, concatenated, are the packed form, whatever their size: one
 * cell a part when cap is tiny, all cells in one when it is large. */
Test(stats, parts_concatenate_to_the_packed_form)
{
    cp_stats *with_counts = parts_stats(61), *without = sample_stats();
    const cp_stats *sts[2] = {with_counts, without};
    const size_t caps[4] = {1, 200, 3000, (size_t)1 << 30};
    for (int s = 0; s < 2; s++) {
        unsigned char *whole;
        const size_t n = packed(sts[s], &whole);
        for (int c = 0; c < 4; c++) {
            unsigned char *cat;
            size_t n_parts;
            const size_t len = parts_of(sts[s], caps[c], &cat, &n_parts);
            cr_assert(len == n && memcmp(cat, whole, n) == 0, "stats %d cap %zu: other bytes", s,
                      caps[c]);
            /* The header, the cells, the counts. */
            if (caps[c] == 1)
                cr_assert_eq(n_parts, 2 + cp_stats_cells(sts[s]));
            if (caps[c] == (size_t)1 << 30)
                cr_assert_eq(n_parts, 3);
            free(cat);
        }
        free(whole);
    }
    cp_stats_free(with_counts);
    cp_stats_free(without);
}

/* Merges st into dst part by part, parts of about cap bytes. */
static void merge_by_parts(cp_stats *dst, const cp_stats *st, size_t cap)
{
    unsigned char *part = malloc(cp_stats_part_bound(st, cap));
    cr_assert_not_null(part);
    cp_stats_parts out, in;
    cp_stats_parts_init(&out);
    cp_stats_parts_init(&in);
    cp_err err;
    while (!cp_stats_parts_done(&out)) {
        const size_t n = cp_stats_pack_part(st, &out, cap, part);
        cr_assert(!cp_stats_parts_done(&in));
        cr_assert_eq(cp_stats_merge_part(dst, &in, part, n, &err), CP_OK, "%s", err.msg);
    }
    cr_assert(cp_stats_parts_done(&in), "the merging side not done with the packing side");
    free(part);
}

/* Merging part by part is merging: the same statistics, counts and sample
 * count, into an empty accumulator and into a full one. */
Test(stats, merge_by_parts_equals_merge)
{
    cp_stats *a = parts_stats(62), *b = parts_stats(63);
    cp_err err;
    for (size_t cap = 1; cap < ((size_t)1 << 20); cap *= 37) {
        cp_stats *by_parts = cp_stats_alloc_like(a), *direct = cp_stats_alloc_like(a);
        cr_assert(by_parts && direct);
        merge_by_parts(by_parts, a, cap);
        merge_by_parts(by_parts, b, cap);
        cr_assert_eq(cp_stats_merge(direct, a, &err), CP_OK);
        cr_assert_eq(cp_stats_merge(direct, b, &err), CP_OK);
        assert_same_stats(by_parts, direct);
        assert_same_counts(by_parts, direct);
        cr_assert_eq(cp_stats_samples(by_parts), cp_stats_samples(a) + cp_stats_samples(b));
        cp_stats_free(by_parts);
        cp_stats_free(direct);
    }
    cp_stats_free(a);
    cp_stats_free(b);
}

/* Expects merging buf as the next part at *pt to fail with CP_EINVAL and
 * a message, leaving dst's bytes as they were. */
static void assert_part_rejected(cp_stats *dst, cp_stats_parts *pt, const unsigned char *buf,
                                 size_t n, const char *what)
{
    unsigned char *before, *after;
    const size_t nb = packed(dst, &before);
    cp_err err;
    cp_err_clear(&err);
    cr_assert_eq(cp_stats_merge_part(dst, pt, buf, n, &err), CP_EINVAL, "%s: accepted", what);
    cr_assert_neq(err.msg[0], '\0', "%s: no message", what);
    const size_t na = packed(dst, &after);
    cr_assert(na == nb && memcmp(before, after, na) == 0, "%s: dst changed", what);
    free(before);
    free(after);
}

/* Every part is checked before any of it is merged: a bad header, a cell
 * cut short or corrupted, cells past the last, label counts of the wrong
 * length, a part after the last.  Parts merged before a bad one stay. */
Test(stats, merge_part_rejects_bad_parts)
{
    cp_stats *src = parts_stats(64), *dst = parts_stats(65);
    unsigned char *whole;
    const size_t n = packed(src, &whole);
    const size_t header = 40;
    size_t cell[L_CELLS + 1] = {header}; /* where each cell starts, and the counts */
    {
        unsigned char *part = malloc(cp_stats_part_bound(src, 1));
        cp_stats_parts pt;
        cp_stats_parts_init(&pt);
        cp_stats_pack_part(src, &pt, 1, part);
        for (size_t c = 0; c < L_CELLS; c++)
            cell[c + 1] = cell[c] + cp_stats_pack_part(src, &pt, 1, part);
        free(part);
    }
    cp_stats_parts pt;
    cp_stats_parts_init(&pt);
    assert_part_rejected(dst, &pt, whole, header - 1, "a short header");
    assert_part_rejected(dst, &pt, whole, header + 1, "a long header");
    unsigned char *c = malloc(n);
    memcpy(c, whole, n);
    c[8] ^= 1; /* the cell count */
    assert_part_rejected(dst, &pt, c, header, "another shape");
    cp_err err;
    cr_assert_eq(cp_stats_merge_part(dst, &pt, whole, header, &err), CP_OK, "%s", err.msg);
    /* The first cell, alone, then the rest cut short by a byte. */
    cr_assert_eq(cp_stats_merge_part(dst, &pt, whole + header, cell[1] - header, &err), CP_OK);
    assert_part_rejected(dst, &pt, whole + cell[1], n - cell[1] - 1, "cells and counts as cells");
    assert_part_rejected(dst, &pt, whole + cell[1], cell[L_CELLS] - cell[1] - 1, "a cut cell");
    memcpy(c, whole, n);
    c[cell[L_CELLS] - 1] ^= 1; /* the last cell's sketch */
    assert_part_rejected(dst, &pt, c + cell[1], cell[L_CELLS] - cell[1], "a corrupted cell");
    cr_assert_eq(cp_stats_merge_part(dst, &pt, whole + cell[1], cell[L_CELLS] - cell[1], &err),
                 CP_OK, "%s", err.msg);
    assert_part_rejected(dst, &pt, whole + cell[L_CELLS], n - cell[L_CELLS] - 1, "short counts");
    assert_part_rejected(dst, &pt, whole + cell[L_CELLS] - 1, n - cell[L_CELLS] + 1, "long counts");
    cr_assert_eq(cp_stats_merge_part(dst, &pt, whole + cell[L_CELLS], n - cell[L_CELLS], &err),
                 CP_OK, "%s", err.msg);
    cr_assert(cp_stats_parts_done(&pt));
    assert_part_rejected(dst, &pt, whole, header, "a part after the last");
    /* All that got through is src, merged once. */
    cp_stats *want = parts_stats(65);
    cr_assert_eq(cp_stats_merge(want, src, &err), CP_OK);
    assert_same_stats(dst, want);
    assert_same_counts(dst, want);
    free(c);
    free(whole);
    cp_stats_free(want);
    cp_stats_free(src);
    cp_stats_free(dst);
}

/* Merges the packed bytes whole[0 .. n) into dst as a stream reader does
 * (cp_checkpoint's): a window of room bytes, refilled from the stream;
 * each part the length cp_stats_part_length gives, merged, then dropped
 * from the window.  Returns the first failure's code (message in err),
 * and in *parts how many parts were merged. */
static int merge_streamed(cp_stats *dst, const unsigned char *whole, size_t n, size_t room,
                          size_t *parts, cp_err *err)
{
    unsigned char *win = malloc(room);
    cr_assert_not_null(win);
    cp_stats_parts pt;
    cp_stats_parts_init(&pt);
    size_t at = 0, have = 0; /* bytes of the stream consumed, bytes in win */
    int rc = CP_OK;
    *parts = 0;
    while (!rc && !cp_stats_parts_done(&pt)) {
        const size_t left = n - at, fill = (left < room ? left : room) - have;
        memcpy(win + have, whole + at + have, fill);
        have += fill;
        size_t len = 0;
        rc = cp_stats_part_length(dst, &pt, win, have, have == left, &len, err);
        if (!rc)
            rc = cp_stats_merge_part(dst, &pt, win, len, err);
        if (!rc) {
            cr_assert_leq(len, have);
            memmove(win, win + len, have - len);
            have -= len;
            at += len;
            ++*parts;
        }
    }
    free(win);
    return rc;
}

/* Read as a stream, through a window of any size from the widest cell
 * up, the packed form merges as cp_stats_unpack_merge merges it: the same
 * statistics, counts and samples, in more parts the smaller the window. */
Test(stats, part_length_reads_a_stream)
{
    cp_stats *src = parts_stats(66), *sketchy = sample_stats();
    const cp_stats *sts[2] = {src, sketchy};
    for (int s = 0; s < 2; s++) {
        unsigned char *whole;
        const size_t n = packed(sts[s], &whole);
        const size_t widest = cp_stats_part_bound(sts[s], 0);
        size_t last_parts = SIZE_MAX;
        for (size_t extra = 0; extra < 4 * n; extra = 3 * extra + 101) {
            cp_stats *by_stream = cp_stats_alloc_like(sts[s]),
                     *direct = cp_stats_alloc_like(sts[s]);
            cp_err err;
            size_t parts = 0;
            cr_assert_eq(merge_streamed(by_stream, whole, n, widest + extra, &parts, &err), CP_OK,
                         "stats %d, window %zu: %s", s, widest + extra, err.msg);
            cr_assert_eq(cp_stats_unpack_merge(direct, whole, n, &err), CP_OK);
            assert_same_stats(by_stream, direct);
            assert_same_counts(by_stream, direct);
            cr_assert_eq(cp_stats_samples(by_stream), cp_stats_samples(direct));
            cr_assert_leq(parts, last_parts, "a wider window, more parts");
            cr_assert_geq(parts, 3, "the header, cells, the counts");
            last_parts = parts;
            cp_stats_free(by_stream);
            cp_stats_free(direct);
        }
        /* The widest window holds everything: three parts. */
        cr_assert_eq(last_parts, 3, "stats %d: %zu parts through a window of it all", s,
                     last_parts);
        free(whole);
    }
    cp_stats_free(src);
    cp_stats_free(sketchy);
}

/* A stream that ends inside the header or a cell, a cell damaged where
 * its bytes decide it, or bytes after the label counts: refused, with a
 * message. */
Test(stats, part_length_refuses_a_bad_stream)
{
    cp_stats *src = parts_stats(67);
    unsigned char *whole;
    const size_t n = packed(src, &whole);
    const size_t widest = cp_stats_part_bound(src, 0);
    unsigned char *c = malloc(n + 8);
    cr_assert_not_null(c);
    struct {
        size_t len;
        size_t at; /* a byte to change, or SIZE_MAX */
        const char *what;
    } bad[] = {{20, SIZE_MAX, "ends in the header"},
               {40 + 10, SIZE_MAX, "ends in the first cell"},
               {n - 9, SIZE_MAX, "ends in the label counts"},
               {n + 8, SIZE_MAX, "bytes after the label counts"},
               {n, 40 + 2 * (CP_XSUM_LIMBS * 8 + 4), "the first cell's sketch damaged"},
               {n, 8, "another cell count"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memcpy(c, whole, n);
        memset(c + n, 0, 8);
        if (bad[k].at != SIZE_MAX)
            c[bad[k].at] ^= 0xff;
        for (size_t room = widest; room < widest + 2 * n; room += n) {
            cp_stats *dst = cp_stats_alloc_like(src);
            cp_err err;
            cp_err_clear(&err);
            size_t parts = 0;
            const int rc = merge_streamed(dst, c, bad[k].len, room, &parts, &err);
            cr_assert_eq(rc, CP_EINVAL, "%s, window %zu: accepted", bad[k].what, room);
            cr_assert_neq(err.msg[0], '\0', "%s: no message", bad[k].what);
            cp_stats_free(dst);
        }
    }
    free(c);
    free(whole);
    cp_stats_free(src);
}
