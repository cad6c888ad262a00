/* test_sketch.c -- the quantile sketch: accuracy against exact order
 * statistics, exact merging, bounded memory, and a hostile unpacker.
 *
 * The accuracy tolerance, derived: a value x in bucket [a, b) is reported as
 * r = 2ab / (a + b), and |r - x| / x <= (b - a) / (a + b) <= 1/2049 =
 * CP_SKETCH_REL_ERROR (see cp_sketch.h).  The computed r carries one
 * rounding of a quotient of exact small integers (relative 2^-53), then an
 * exact scaling; clamping to [min, max] only moves r towards x.  In the
 * test, |q - x| is exact (q and x are within a factor of 2, Sterbenz), and
 * the bound x * (REL + eps) carries roundings of order 2^-53 / 2049.  So
 * |q - x| <= |x| * (CP_SKETCH_REL_ERROR + DBL_EPSILON) must hold exactly,
 * DBL_EPSILON = 2^-52 covering 2^-53 (1 + 1/2049) plus those roundings.
 * Subnormal values are outside the bound by design (cp_sketch.c) and are
 * not used in the accuracy tests. */
#include <criterion/criterion.h>
#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cp_sketch.h"
#include "cp_test_sketch.h"

static const double probs[] = {0.0, 1e-5, 0.001, 0.01, 0.1,  0.25,  0.3,
                               0.5, 0.7,  0.75,  0.9,  0.99, 0.999, 1.0};
#define N_PROBS (sizeof probs / sizeof probs[0])

static uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cr_assert_not_null(r);
    gsl_rng_set(r, seed);
    return r;
}

static size_t packed(const cp_sketch *s, unsigned char **buf)
{
    const size_t size = cp_sketch_packed_size(s);
    *buf = malloc(size);
    cr_assert_not_null(*buf);
    const size_t wrote = cp_sketch_pack(s, *buf);
    cr_assert_eq(wrote, size, "pack wrote %zu of %zu", wrote, size);
    return size;
}

/* The counts add up, and the sketch survives packing: unpacked into an
 * empty sketch it packs to the same bytes. */
static void assert_consistent(const cp_sketch *s)
{
    const uint64_t sum = ts_counts_sum(s);
    cr_assert_eq(sum, s->total, "counts sum to %llu, total %llu", (unsigned long long)sum,
                 (unsigned long long)s->total);
    unsigned char *a, *b;
    const size_t na = packed(s, &a);
    cp_sketch t;
    cp_sketch_init(&t);
    cp_err err;
    size_t used = 0;
    cr_assert_eq(cp_sketch_unpack_merge(&t, a, na, &used, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(used, na);
    const size_t nb = packed(&t, &b);
    cr_assert(na == nb && memcmp(a, b, na) == 0, "roundtrip changed the bytes");
    cp_sketch_free(&t);
    free(a);
    free(b);
}

/* k = max(1, ceil(p * n)) for the exact product of the double p and n,
 * computed in integers: p = m * 2^-s with a 53-bit m. */
static uint64_t exact_rank(double p, uint64_t n)
{
    if (p == 0)
        return 1;
    int e;
    const double frac = frexp(p, &e);
    const unsigned __int128 m = (unsigned __int128)ldexp(frac, 53);
    const int s = 53 - e;
    const unsigned __int128 prod = m * n;
    uint64_t k;
    if (s >= 120)
        k = prod != 0;
    else
        k = (uint64_t)(prod >> s) + ((prod & (((unsigned __int128)1 << s) - 1)) != 0);
    if (k < 1)
        k = 1;
    return k > n ? n : k;
}

static void assert_close(double q, double x, const char *what, size_t n, double p)
{
    const double tol = fabs(x) * (CP_SKETCH_REL_ERROR + DBL_EPSILON);
    cr_assert(fabs(q - x) <= tol, "%s n=%zu p=%g: sketch %.17g, exact %.17g, rel err %g", what, n,
              p, q, x, fabs(q - x) / fabs(x));
}

/* The lower edge of the floor of the side of x's sign in a sketch of the
 * sorted data: CP_SKETCH_MAX_OCTAVES - 1 octaves below the octave of the
 * largest magnitude of that sign. */
static double floor_edge(const double *sorted, size_t n, double x)
{
    int e;
    frexp(x > 0 ? sorted[n - 1] : -sorted[0], &e); /* magnitude in [2^(e-1), 2^e) */
    return ldexp(1.0, e - CP_SKETCH_MAX_OCTAVES);
}

/* A reported quantile q of true value x: within the bound, or, when x is
 * below its side's floor, the floor's point (of x's sign, at least |x| and
 * within the floor's bucket, 2^-10 of its edge). */
static void assert_quantile(double q, double x, const double *sorted, size_t n, const char *what,
                            double p)
{
    if (x == 0 || q == x || fabs(x) >= floor_edge(sorted, n, x)) { /* q == x: an extreme */
        assert_close(q, x, what, n, p);
        return;
    }
    const double edge = floor_edge(sorted, n, x);
    cr_assert((q > 0) == (x > 0) && fabs(q) >= fabs(x) && fabs(q) >= edge &&
                  fabs(q) < edge * (1 + 1.0 / 1024),
              "%s n=%zu p=%g: %.17g below the floor %g, reported %.17g", what, n, p, x, edge, q);
}

/* Checks every quantile of the grid, and of every rank for small n, against
 * the sorted data (below a side's floor, see assert_quantile); the
 * extremes must be exact. */
static void check_quantiles(const cp_sketch *s, const double *data, size_t n, const char *what)
{
    double *sorted = malloc(n * sizeof *sorted);
    cr_assert_not_null(sorted);
    memcpy(sorted, data, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    cr_assert_eq(s->total, n);
    cr_assert_eq(bits_of(s->min), bits_of(sorted[0] == 0 ? 0.0 : sorted[0]));
    cr_assert_eq(bits_of(s->max), bits_of(sorted[n - 1] == 0 ? 0.0 : sorted[n - 1]));
    for (size_t i = 0; i < N_PROBS; i++) {
        const double p = probs[i];
        const double x = sorted[exact_rank(p, n) - 1];
        assert_quantile(cp_sketch_quantile(s, p), x, sorted, n, what, p);
    }
    if (n <= 200)
        for (size_t k = 1; k <= n; k++) {
            /* p = k/n and its neighbours straddle the step of the ECDF. */
            const double pk = (double)k / (double)n;
            const double ps[] = {pk, nextafter(pk, 0.0), nextafter(pk, 1.0)};
            for (int j = 0; j < 3; j++) {
                if (ps[j] > 1.0)
                    continue;
                const double x = sorted[exact_rank(ps[j], n) - 1];
                assert_quantile(cp_sketch_quantile(s, ps[j]), x, sorted, n, what, ps[j]);
            }
        }
    cr_assert_eq(bits_of(cp_sketch_quantile(s, 0.0)), bits_of(s->min));
    cr_assert_eq(bits_of(cp_sketch_quantile(s, 1.0)), bits_of(s->max));
    assert_consistent(s);
    free(sorted);
}

typedef double (*draw_fn)(gsl_rng *r);

static double draw_lognormal(gsl_rng *r)
{
    return gsl_ran_lognormal(r, 0.0, 1.0);
}

static double draw_uniform_signed(gsl_rng *r)
{
    return gsl_ran_flat(r, -1.0, 3.0);
}

/* Magnitudes 2^-1000 .. 2^1000 of either sign. */
static double draw_octaves(gsl_rng *r)
{
    const double m = exp2(gsl_ran_flat(r, -1000.0, 1000.0));
    return gsl_rng_uniform(r) < 0.4 ? -m : m;
}

/* 20% zeros, 30% negative, the rest a wide lognormal. */
static double draw_mixed(gsl_rng *r)
{
    const double u = gsl_rng_uniform(r);
    if (u < 0.2)
        return u < 0.1 ? 0.0 : -0.0;
    const double x = gsl_ran_lognormal(r, 2.0, 3.0);
    return u < 0.5 ? -x : x;
}

/* Few distinct values: ties everywhere. */
static double draw_ties(gsl_rng *r)
{
    return floor(gsl_ran_flat(r, -3.0, 5.0));
}

static const struct {
    const char *name;
    draw_fn draw;
} dists[] = {{"lognormal", draw_lognormal},
             {"uniform(-1,3)", draw_uniform_signed},
             {"octaves", draw_octaves},
             {"mixed", draw_mixed},
             {"ties", draw_ties}};

static const size_t sizes[] = {1, 2, 3, 5, 10, 100, 1000, 10000, 100000};

/* Adds data one by one or strided, half and half, to exercise both paths. */
static void add_all(cp_sketch *s, const double *data, size_t n, int strided)
{
    cp_err err;
    if (strided) {
        cr_assert_eq(cp_sketch_add_strided(s, data, n, 1, NULL, &err), CP_OK, "%s", err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(cp_sketch_add(s, data[i], &err), CP_OK, "%s", err.msg);
}

Test(sketch, quantiles_within_relative_error)
{
    gsl_rng *r = rng_new(21);
    for (size_t d = 0; d < sizeof dists / sizeof dists[0]; d++)
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            const size_t n = sizes[z];
            double *data = malloc(n * sizeof *data);
            cr_assert_not_null(data);
            for (size_t i = 0; i < n; i++)
                data[i] = dists[d].draw(r);
            cp_sketch s;
            cp_sketch_init(&s);
            add_all(&s, data, n, (int)(z % 2));
            check_quantiles(&s, data, n, dists[d].name);
            cp_sketch_free(&s);
            free(data);
        }
    gsl_rng_free(r);
}

/* The bound is reached: x at a bucket's lower edge with j = 0.  This also
 * shows the tolerance above is not vacuous. */
Test(sketch, error_bound_is_tight)
{
    const double data[] = {0.5, 1.0, 4.0};
    cp_sketch s;
    cp_sketch_init(&s);
    add_all(&s, data, 3, 0);
    const double q = cp_sketch_quantile(&s, 0.5);
    cr_assert_gt(fabs(q - 1.0), 0.999 * CP_SKETCH_REL_ERROR);
    assert_close(q, 1.0, "edge", 3, 0.5);
    cr_assert(fabs(cp_sketch_quantile(&s, 0.5) - 2050.0 / 2049.0) <= DBL_EPSILON);
    cp_sketch_free(&s);
}

Test(sketch, constant_values_are_exact)
{
    const double values[] = {3.7, -2.1, 0.0, 1e-300, -1e300, DBL_MAX, -DBL_MAX, DBL_MIN};
    double column[1000];
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        cp_sketch s, t;
        cp_sketch_init(&s);
        cp_sketch_init(&t);
        cp_err err;
        for (int i = 0; i < 1000; i++) {
            cr_assert_eq(cp_sketch_add(&s, values[v], &err), CP_OK);
            column[i] = values[v];
        }
        /* The strided path adds a constant chunk at once. */
        cr_assert_eq(cp_sketch_add_strided(&t, column, 1000, 1, NULL, &err), CP_OK);
        for (size_t i = 0; i < N_PROBS; i++) {
            cr_assert_eq(bits_of(cp_sketch_quantile(&s, probs[i])), bits_of(values[v]),
                         "value %g p %g", values[v], probs[i]);
            cr_assert_eq(bits_of(cp_sketch_quantile(&t, probs[i])), bits_of(values[v]));
        }
        assert_consistent(&s);
        assert_consistent(&t);
        cp_sketch_free(&s);
        cp_sketch_free(&t);
    }
}

Test(sketch, empty_and_invalid_p)
{
    cp_sketch s;
    cp_sketch_init(&s);
    cr_assert(isnan(cp_sketch_quantile(&s, 0.5)));
    cp_err err;
    cp_sketch_add(&s, 1.0, &err);
    cr_assert(isnan(cp_sketch_quantile(&s, -0.1)));
    cr_assert(isnan(cp_sketch_quantile(&s, 1.5)));
    cr_assert(isnan(cp_sketch_quantile(&s, NAN)));
    cp_sketch_free(&s);
}

/* ceil(p * n) must use the exact product: fl(p * n) can round onto an
 * integer from above.  Data 1 + i/1024 fall in buckets of their own, and
 * neighbours differ by more than twice the tolerance, so every rank is
 * distinguishable. */
Test(sketch, rank_uses_exact_product)
{
    int tricky = 0;
    for (uint64_t n = 1; n <= 300; n++) {
        cp_sketch s;
        cp_sketch_init(&s);
        cp_err err;
        for (uint64_t i = 0; i < n; i++)
            cp_sketch_add(&s, 1.0 + (double)i / 1024, &err);
        for (uint64_t k = 1; k <= n; k++) {
            const double pk = (double)k / (double)n;
            const double ps[] = {pk, nextafter(pk, 0.0), nextafter(pk, 1.0)};
            for (int j = 0; j < 3; j++) {
                if (ps[j] > 1.0)
                    continue;
                const uint64_t rank = exact_rank(ps[j], n);
                tricky += ceil(ps[j] * (double)n) != (double)rank && rank > 1;
                const double want = 1.0 + (double)(rank - 1) / 1024;
                assert_close(cp_sketch_quantile(&s, ps[j]), want, "steps", n, ps[j]);
            }
        }
        cp_sketch_free(&s);
    }
    cr_assert_gt(tricky, 0, "no case where fl(p * n) misleads: test is vacuous");
}

static void assert_same_sketch(const cp_sketch *a, const cp_sketch *b)
{
    for (size_t i = 0; i < N_PROBS; i++)
        cr_assert_eq(bits_of(cp_sketch_quantile(a, probs[i])),
                     bits_of(cp_sketch_quantile(b, probs[i])), "p %g", probs[i]);
    for (int k = 1; k < 100; k++) {
        const double p = k / 100.0;
        cr_assert_eq(bits_of(cp_sketch_quantile(a, p)), bits_of(cp_sketch_quantile(b, p)));
    }
    unsigned char *pa, *pb;
    const size_t na = packed(a, &pa), nb = packed(b, &pb);
    cr_assert_eq(na, nb);
    cr_assert(memcmp(pa, pb, na) == 0, "packed bytes differ");
    free(pa);
    free(pb);
}

Test(sketch, merge_of_split_data_equals_whole)
{
    gsl_rng *r = rng_new(22);
    enum { N = 50000, PIECES = 9 };
    double *data = malloc(N * sizeof *data);
    cr_assert_not_null(data);
    /* Pieces from different distributions, so they grow differently. */
    for (size_t i = 0; i < N; i++)
        data[i] = dists[(i * PIECES / N) % 5].draw(r);
    cp_sketch whole;
    cp_sketch_init(&whole);
    add_all(&whole, data, N, 0);
    cp_err err;
    for (int trial = 0; trial < 6; trial++) {
        cp_sketch piece[PIECES];
        size_t order[PIECES];
        for (size_t k = 0; k < PIECES; k++) {
            cp_sketch_init(&piece[k]);
            add_all(&piece[k], data + k * N / PIECES, (k + 1) * N / PIECES - k * N / PIECES,
                    (int)((k + (size_t)trial) % 2));
            order[k] = k;
        }
        gsl_ran_shuffle(r, order, PIECES, sizeof *order);
        cp_sketch merged;
        cp_sketch_init(&merged);
        for (size_t k = 0; k < PIECES; k++) {
            /* Alternate plain merges and merges through packed bytes. */
            if ((k + (size_t)trial) % 2) {
                cr_assert_eq(cp_sketch_merge(&merged, &piece[order[k]], &err), CP_OK);
            } else {
                unsigned char *buf;
                const size_t n = packed(&piece[order[k]], &buf);
                size_t used = 0;
                cr_assert_eq(cp_sketch_unpack_merge(&merged, buf, n, &used, &err), CP_OK, "%s",
                             err.msg);
                cr_assert_eq(used, n);
                free(buf);
            }
        }
        assert_same_sketch(&merged, &whole);
        for (size_t k = 0; k < PIECES; k++)
            cp_sketch_free(&piece[k]);
        cp_sketch_free(&merged);
    }
    cp_sketch_free(&whole);
    free(data);
    gsl_rng_free(r);
}

/* Growth history differs (up, down, rolled back); content and bytes not. */
Test(sketch, packing_is_canonical)
{
    cp_err err;
    cp_sketch a, b;
    cp_sketch_init(&a);
    cp_sketch_init(&b);
    const double v[] = {1e10, 1.0, -3.0, 0.0, -0.0, 1e-10, -7e7};
    for (int i = 0; i < 7; i++)
        cp_sketch_add(&a, v[i], &err);
    for (int i = 6; i >= 0; i--)
        cp_sketch_add(&b, v[i], &err);
    assert_same_sketch(&a, &b);
    /* A strided add with a NaN fails before it grows b to 1e300 (which
     * would move the positive side's floor) and takes the counts back:
     * still the same bytes. */
    const double bad[] = {1e300, -1e-300, 5.0, NAN};
    cr_assert_eq(cp_sketch_add_strided(&b, bad, 4, 1, NULL, &err), CP_EINVAL);
    assert_same_sketch(&a, &b);
    cp_sketch_free(&a);
    cp_sketch_free(&b);
}

/* Log-uniform on +-[2^-10, 2^10): 40 (sign, octave) cells of probability
 * 1/40 each.  The chance that 10^4 values miss any of them is at most
 * 40 (39/40)^10^4 < 10^-100, so the allocation is complete after 10^4
 * values (the 16 highest octaves of each sign: the cap) and cannot grow
 * after that. */
Test(sketch, memory_does_not_grow_with_count)
{
    gsl_rng *r = rng_new(23);
    cp_sketch s;
    cp_sketch_init(&s);
    cp_err err;
    size_t buckets_1e4 = 0;
    double chunk[1000];
    for (int round = 0; round < 1000; round++) {
        for (int i = 0; i < 1000; i++) {
            const double m = exp2(gsl_ran_flat(r, -10.0, 10.0));
            chunk[i] = gsl_rng_uniform(r) < 0.5 ? -m : m;
        }
        cr_assert_eq(cp_sketch_add_strided(&s, chunk, 1000, 1, NULL, &err), CP_OK);
        if (round == 9)
            buckets_1e4 = s.pos.n + s.neg.n;
    }
    cr_assert_eq(s.total, 1000000);
    /* 20 octaves of each sign seen; the cap keeps the top 16 */
    cr_assert_eq(buckets_1e4, 2 * CP_SKETCH_MAX_OCTAVES * 1024);
    cr_assert_eq(s.pos.n + s.neg.n, buckets_1e4);
    cp_sketch_free(&s);
    gsl_rng_free(r);
}

Test(sketch, nonfinite_rejected_and_sketch_unchanged)
{
    cp_sketch s;
    cp_sketch_init(&s);
    cp_err err;
    const double ok[] = {1.0, -2.0, 0.0, 1e5};
    add_all(&s, ok, 4, 0);
    unsigned char *before;
    const size_t nb = packed(&s, &before);
    const double specials[] = {NAN, -NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 4; k++) {
        cp_err_clear(&err);
        cr_assert_eq(cp_sketch_add(&s, specials[k], &err), CP_EINVAL);
        cr_assert_neq(err.msg[0], '\0');
        double block[300];
        for (int i = 0; i < 300; i++)
            block[i] = 1e-3 * i - 0.1;
        block[3 + 97 * k] = specials[k];
        double sums[2] = {1.0, 2.0};
        cr_assert_eq(cp_sketch_add_strided(&s, block, 300, 1, sums, &err), CP_EINVAL);
        cr_assert(sums[0] == 1.0 && sums[1] == 2.0, "sums changed on failure");
    }
    unsigned char *after;
    const size_t na = packed(&s, &after);
    cr_assert_eq(na, nb);
    cr_assert(memcmp(before, after, na) == 0);
    cr_assert_eq(s.total, 4);
    free(before);
    free(after);
    cp_sketch_free(&s);
}

Test(sketch, strided_equals_single_adds_and_sums_in_order)
{
    gsl_rng *r = rng_new(24);
    enum { CELLS = 7, SAMPLES = 1000 };
    double *m = malloc(CELLS * SAMPLES * sizeof *m);
    cr_assert_not_null(m);
    for (size_t i = 0; i < CELLS * SAMPLES; i++)
        m[i] = draw_mixed(r);
    cp_err err;
    for (size_t c = 0; c < CELLS; c++) {
        cp_sketch a, b;
        cp_sketch_init(&a);
        cp_sketch_init(&b);
        double s1 = 0.25, s2 = 0.5;
        for (size_t i = 0; i < SAMPLES; i++) {
            const double x = m[i * CELLS + c];
            cr_assert_eq(cp_sketch_add(&a, x, &err), CP_OK);
            s1 += x;
            s2 += x * x;
        }
        double sums[2] = {0.25, 0.5};
        cr_assert_eq(cp_sketch_add_strided(&b, m + c, SAMPLES, CELLS, sums, &err), CP_OK);
        cr_assert_eq(bits_of(sums[0]), bits_of(s1));
        cr_assert_eq(bits_of(sums[1]), bits_of(s2));
        assert_same_sketch(&a, &b);
        cp_sketch_free(&a);
        cp_sketch_free(&b);
    }
    free(m);
    gsl_rng_free(r);
}

Test(sketch, signed_zeros_are_one_zero)
{
    cp_sketch s;
    cp_sketch_init(&s);
    cp_err err;
    cp_sketch_add(&s, -0.0, &err);
    cp_sketch_add(&s, 0.0, &err);
    cr_assert_eq(s.zeros, 2);
    cr_assert_eq(bits_of(s.min), 0);
    cr_assert_eq(bits_of(s.max), 0);
    const double z[] = {-0.0, -0.0};
    cp_sketch t;
    cp_sketch_init(&t);
    cp_sketch_add_strided(&t, z, 2, 1, NULL, &err);
    cr_assert_eq(bits_of(t.min), 0);
    cr_assert_eq(bits_of(cp_sketch_quantile(&t, 0.5)), 0);
    cp_sketch_free(&s);
    cp_sketch_free(&t);
}

Test(sketch, extreme_and_subnormal_values)
{
    cp_sketch s;
    cp_sketch_init(&s);
    const double v[] = {DBL_MAX, -DBL_MAX, nextafter(DBL_MAX, 0), DBL_MIN, 0x1p-1074, -0x1p-1060};
    add_all(&s, v, 6, 1);
    cr_assert_eq(s.min, -DBL_MAX);
    cr_assert_eq(s.max, DBL_MAX);
    for (int k = 0; k <= 100; k++) {
        const double q = cp_sketch_quantile(&s, k / 100.0);
        cr_assert(isfinite(q) && q >= -DBL_MAX && q <= DBL_MAX);
    }
    /* The top bucket's upper edge is infinity; its point must be finite and
     * within the bound. */
    assert_close(cp_sketch_quantile(&s, 0.75), nextafter(DBL_MAX, 0), "top", 6, 0.75);
    cp_sketch_free(&s);
}

/* ---- the unpacker ---- */

/* A few octaves of each sign and zeros: small enough that trying every
 * corruption of its bytes stays quick. */
static size_t sample_packed(unsigned char **buf, cp_sketch *s)
{
    gsl_rng *r = rng_new(25);
    cp_sketch_init(s);
    cp_err err;
    for (int i = 0; i < 500; i++) {
        const double u = gsl_rng_uniform(r);
        const double x = u < 0.2 ? 0.0 : gsl_ran_lognormal(r, 0.0, u < 0.5 ? 0.3 : 1.0);
        cr_assert_eq(cp_sketch_add(s, u < 0.5 ? -x : x, &err), CP_OK);
    }
    gsl_rng_free(r);
    return packed(s, buf);
}

/* dst must not change when unpacking fails. */
static void assert_rejected(const unsigned char *buf, size_t n, const char *what)
{
    cp_sketch dst;
    cp_sketch_init(&dst);
    cp_err err;
    cp_sketch_add(&dst, 42.0, &err);
    cp_sketch_add(&dst, -1.0, &err);
    unsigned char *before;
    const size_t nb = packed(&dst, &before);
    cp_err_clear(&err);
    size_t used = 12345;
    const int rc = cp_sketch_unpack_merge(&dst, buf, n, &used, &err);
    cr_assert_eq(rc, CP_EINVAL, "%s: accepted", what);
    cr_assert_neq(err.msg[0], '\0', "%s: no message", what);
    cr_assert_eq(cp_sketch_unpack_check(buf, n, NULL, NULL, &err), CP_EINVAL, "%s", what);
    unsigned char *after;
    const size_t na = packed(&dst, &after);
    cr_assert(na == nb && memcmp(before, after, na) == 0, "%s: dst changed", what);
    free(before);
    free(after);
    cp_sketch_free(&dst);
}

Test(sketch, unpack_rejects_every_truncation)
{
    cp_sketch s;
    unsigned char *buf;
    const size_t n = sample_packed(&buf, &s);
    for (size_t len = 0; len < n; len++) {
        /* A copy of exactly len bytes, so ASan sees any read past it. */
        unsigned char *cut = malloc(len ? len : 1);
        memcpy(cut, buf, len);
        assert_rejected(cut, len, "truncated");
        free(cut);
    }
    cp_sketch_free(&s);
    free(buf);
}

Test(sketch, unpack_consumes_exactly_and_ignores_trailing)
{
    cp_sketch s;
    unsigned char *buf;
    const size_t n = sample_packed(&buf, &s);
    unsigned char *two = malloc(2 * n);
    memcpy(two, buf, n);
    memcpy(two + n, buf, n);
    cp_sketch dst;
    cp_sketch_init(&dst);
    cp_err err;
    size_t used = 0;
    cr_assert_eq(cp_sketch_unpack_merge(&dst, two, 2 * n, &used, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(used, n);
    cr_assert_eq(cp_sketch_unpack_merge(&dst, two + used, 2 * n - used, &used, &err), CP_OK);
    cr_assert_eq(dst.total, 2 * s.total);
    cp_sketch_free(&dst);
    cp_sketch_free(&s);
    free(two);
    free(buf);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put_u64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Header offsets of the documented layout. */
enum { OFF_VERSION = 4, OFF_TOTAL = 8, OFF_ZEROS = 16, OFF_MIN = 24, OFF_MAX = 32 };
enum { OFF_POS_LO = 40, OFF_POS_N = 44, OFF_NEG_LO = 48, OFF_NEG_N = 52, OFF_COUNTS = 56 };

Test(sketch, unpack_rejects_structural_corruption)
{
    cp_sketch s;
    unsigned char *buf;
    const size_t n = sample_packed(&buf, &s);
    unsigned char *c = malloc(n + 16);
    uint32_t pos_n, neg_n;
    memcpy(&pos_n, buf + OFF_POS_N, 4);
    memcpy(&neg_n, buf + OFF_NEG_N, 4);
    cr_assert(pos_n > 0 && neg_n > 0);
    memcpy(c, buf, n);
    c[0] ^= 1;
    assert_rejected(c, n, "magic");
    memcpy(c, buf, n);
    put_u32(c + OFF_VERSION, 2);
    assert_rejected(c, n, "version");
    memcpy(c, buf, n);
    put_u64(c + OFF_TOTAL, s.total + 1);
    assert_rejected(c, n, "total + 1");
    memcpy(c, buf, n);
    put_u64(c + OFF_ZEROS, s.zeros - 1);
    assert_rejected(c, n, "zeros - 1");
    memcpy(c, buf, n);
    put_u32(c + OFF_POS_LO, (uint32_t)-5);
    assert_rejected(c, n, "negative lo");
    memcpy(c, buf, n);
    put_u32(c + OFF_POS_LO, 2047u * 1024u - 3);
    assert_rejected(c, n, "range beyond the finite keys");
    memcpy(c, buf, n);
    put_u32(c + OFF_NEG_N, UINT32_MAX);
    assert_rejected(c, n, "huge n");
    memcpy(c, buf, n);
    put_u32(c + OFF_POS_N, pos_n + 1);
    assert_rejected(c, n, "n + 1");
    memcpy(c, buf, n);
    put_u32(c + OFF_POS_N, 0);
    assert_rejected(c, n, "n = 0 with lo set");
    memcpy(c, buf, n);
    double bad = NAN;
    memcpy(c + OFF_MIN, &bad, 8);
    assert_rejected(c, n, "NaN min");
    memcpy(c, buf, n);
    bad = s.min * 2; /* finite, but not in the first bucket */
    memcpy(c + OFF_MIN, &bad, 8);
    assert_rejected(c, n, "min outside its bucket");
    memcpy(c, buf, n);
    bad = -s.max;
    memcpy(c + OFF_MAX, &bad, 8);
    assert_rejected(c, n, "max of the wrong sign");
    memcpy(c, buf, n);
    /* The first positive count is nonzero; make it an overlong varint. */
    memmove(c + OFF_COUNTS + 2, buf + OFF_COUNTS + 1, n - OFF_COUNTS - 1);
    c[OFF_COUNTS] |= 0x80;
    c[OFF_COUNTS + 1] = 0x00;
    assert_rejected(c, n + 1, "overlong varint");
    /* Untrimmed: a zero count in front of the positive range.  Neither
     * min (negative) nor the total notice; only the canonical form does. */
    memcpy(c, buf, n);
    int32_t pos_lo;
    memcpy(&pos_lo, buf + OFF_POS_LO, 4);
    put_u32(c + OFF_POS_LO, (uint32_t)(pos_lo - 1));
    put_u32(c + OFF_POS_N, pos_n + 1);
    c[OFF_COUNTS] = 0x00;
    memcpy(c + OFF_COUNTS + 1, buf + OFF_COUNTS, n - OFF_COUNTS);
    assert_rejected(c, n + 1, "untrimmed range");
    /* An eleven-byte varint. */
    memcpy(c, buf, n);
    memset(c + OFF_COUNTS, 0xff, 10);
    c[OFF_COUNTS + 10] = 0x01;
    assert_rejected(c, n, "varint over 64 bits");
    free(c);
    free(buf);
    cp_sketch_free(&s);
}

/* Any single corrupted byte outside min and max is rejected: every other
 * field is tied to the counts (total, ranges, trimming, canonical varints).
 * A corrupted min or max may still lie in its bucket and be accepted; the
 * result must then be a sketch that packs and unpacks.  Never a crash or a
 * read past the buffer (ASan build). */
Test(sketch, unpack_detects_every_byte_corruption)
{
    cp_sketch s;
    unsigned char *buf;
    const size_t n = sample_packed(&buf, &s);
    unsigned char *c = malloc(n);
    const unsigned char masks[] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            memcpy(c, buf, n);
            c[i] ^= masks[k];
            const int in_extremes = i >= OFF_MIN && i < OFF_MAX + 8;
            if (!in_extremes) {
                assert_rejected(c, n, "corrupted byte");
                continue;
            }
            cp_sketch dst;
            cp_sketch_init(&dst);
            cp_err err;
            size_t used;
            if (cp_sketch_unpack_merge(&dst, c, n, &used, &err) == CP_OK) {
                unsigned char *again;
                const size_t m = packed(&dst, &again);
                cp_sketch dst2;
                cp_sketch_init(&dst2);
                cr_assert_eq(cp_sketch_unpack_merge(&dst2, again, m, &used, &err), CP_OK);
                cp_sketch_free(&dst2);
                free(again);
            }
            cp_sketch_free(&dst);
        }
    free(c);
    free(buf);
    cp_sketch_free(&s);
}

/* Counts beyond 32 bits: doubling a sketch by merges takes each bucket to
 * 2^33, through the 64-bit counts; quantiles are those of the same values
 * once each, adding on top and packing still work, and a packed sketch of
 * such counts unpacks into an empty one (assert_consistent). */
Test(sketch, counts_beyond_32_bits)
{
    const double v[] = {-1.0, 0.0, 1.0, 2.0, 2.0};
    cp_sketch a, once;
    cp_sketch_init(&a);
    cp_sketch_init(&once);
    cp_err err;
    cr_assert_eq(cp_sketch_add_strided(&a, v, 5, 1, NULL, &err), CP_OK);
    cr_assert_eq(cp_sketch_add_strided(&once, v, 5, 1, NULL, &err), CP_OK);
    for (int i = 0; i < 33; i++) {
        cp_sketch b;
        cp_sketch_init(&b);
        cr_assert_eq(cp_sketch_merge(&b, &a, &err), CP_OK, "%s", err.msg);
        cr_assert_eq(cp_sketch_merge(&a, &b, &err), CP_OK, "%s", err.msg);
        cp_sketch_free(&b);
    }
    cr_assert_eq(a.total, UINT64_C(5) << 33);
    cr_assert_eq(a.zeros, UINT64_C(1) << 33);
    cr_assert_not_null(a.pos.over);
    cr_assert_leq(a.in_count, UINT32_MAX);
    for (int k = 1; k < 100; k++)
        cr_assert_eq(bits_of(cp_sketch_quantile(&a, k / 100.0)),
                     bits_of(cp_sketch_quantile(&once, k / 100.0)), "p %d%%", k);
    assert_consistent(&a);
    double ones[1000];
    for (size_t i = 0; i < 1000; i++)
        ones[i] = 1.0;
    cr_assert_eq(cp_sketch_add_strided(&a, ones, 1000, 1, NULL, &err), CP_OK);
    cr_assert_eq(cp_sketch_add(&a, -1.0, &err), CP_OK);
    cr_assert_eq(a.total, (UINT64_C(5) << 33) + 1001);
    assert_consistent(&a);
    cp_sketch_free(&a);
    cp_sketch_free(&once);
}

/* Values that take every branch of the one-by-one add: both signs, both
 * zeros, subnormals (key 0 too), octaves far from the others, the largest
 * and smallest doubles. */
static double draw_awkward(gsl_rng *r)
{
    static const double special[] = {0.0,      -0.0,      DBL_MIN, -DBL_MIN,
                                     4.9e-324, -4.9e-324, 1e-310,  DBL_MAX,
                                     -DBL_MAX, 1.0,       -1.0,    0x1.fffffffffffffp-1};
    const double u = gsl_rng_uniform(r);
    if (u < 0.3)
        return special[gsl_rng_uniform_int(r, sizeof special / sizeof *special)];
    const double m = exp2(gsl_ran_flat(r, -1074.0, 1023.0));
    return u < 0.5 ? -m : u < 0.8 ? m : 1.0 + gsl_rng_uniform(r);
}

/* The strided add (a vectorized scan for each chunk, then counting) agrees
 * with one-by-one adds value by value: counts, min, max and sums, for runs
 * of awkward values, runs of positive values only (the scan without a
 * negative side) into which negatives then come, zeros among them, constant
 * runs and runs in one bucket, at lengths around the chunk size and with a
 * stride. */
Test(sketch, strided_scan_agrees_with_single_adds)
{
    gsl_rng *r = rng_new(25);
    static const size_t lengths[] = {1, 3, 4, 7, 255, 256, 257, 600};
    enum { KINDS = 7, MAXLEN = 600, STRIDE = 3 };
    static double x[MAXLEN * STRIDE];
    cp_err err;
    for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++)
        for (int kind = 0; kind < KINDS; kind++)
            for (size_t stride = 1; stride <= STRIDE; stride += STRIDE - 1) {
                cp_sketch a, b;
                cp_sketch_init(&a);
                cp_sketch_init(&b);
                double s1 = 0.0, s2 = 0.0, sums[2] = {0.0, 0.0};
                /* Rounds: the later ones find the arrays grown. */
                for (int round = 0; round < 3; round++) {
                    const size_t n = lengths[li];
                    for (size_t i = 0; i < n; i++) {
                        const double u = gsl_rng_uniform(r);
                        double v;
                        switch (kind) {
                        case 0:
                            v = draw_awkward(r);
                            break;
                        case 1:
                            v = 1.0 + u * 1e3;
                            break;
                        case 2:
                            v = u < 0.3 ? 0.0 : u < 0.4 ? -0.0 : 1.0 + u;
                            break;
                        case 3:
                            v = round == 2 && u < 0.1 ? -u : 2.0 + u;
                            break;
                        case 4:
                            v = 3.25;
                            break;
                        case 5:
                            v = 1.0 + u / 2048;
                            break;
                        default:
                            v = u < 0.5 ? -0.0 : 0.0;
                            break;
                        }
                        x[i * stride] = v;
                        cr_assert_eq(cp_sketch_add(&a, v, &err), CP_OK);
                        s1 += v;
                        s2 += v * v;
                    }
                    cr_assert_eq(cp_sketch_add_strided(&b, x, n, stride, sums, &err), CP_OK, "%s",
                                 err.msg);
                    cr_assert_eq(bits_of(sums[0]), bits_of(s1), "kind %d n %zu", kind, n);
                    cr_assert_eq(bits_of(sums[1]), bits_of(s2), "kind %d n %zu", kind, n);
                    cr_assert_eq(bits_of(b.min), bits_of(a.min), "kind %d n %zu", kind, n);
                    cr_assert_eq(bits_of(b.max), bits_of(a.max), "kind %d n %zu", kind, n);
                    cr_assert_eq(b.zeros, a.zeros);
                    cr_assert_eq(b.in_count, a.in_count);
                    assert_same_sketch(&a, &b);
                }
                cp_sketch_free(&a);
                cp_sketch_free(&b);
            }
    gsl_rng_free(r);
}

/* A non-finite value fails the strided add with the one-by-one add's
 * message, wherever it is in a chunk and whatever comes before it (values
 * in new octaves, negatives into a sketch of positives only). */
Test(sketch, strided_nonfinite_message_as_single_add)
{
    static const double specials[] = {NAN, -NAN, INFINITY, -INFINITY};
    double x[300];
    for (int k = 0; k < 4; k++)
        for (size_t at = 0; at < 300; at += 37) {
            cp_sketch a, b;
            cp_sketch_init(&a);
            cp_sketch_init(&b);
            cp_err ea, eb;
            cp_err_clear(&ea);
            cp_err_clear(&eb);
            for (size_t i = 0; i < 300; i++)
                x[i] = i % 5 == 0 ? -1e-3 * (double)i : i % 7 == 0 ? 0.0 : 1e9 * (double)i;
            x[at] = specials[k];
            const double one = 2.0;
            cr_assert_eq(cp_sketch_add_strided(&b, &one, 1, 1, NULL, &eb), CP_OK);
            cr_assert_eq(cp_sketch_add(&a, x[at], &ea), CP_EINVAL);
            cr_assert_eq(cp_sketch_add_strided(&b, x, 300, 1, NULL, &eb), CP_EINVAL);
            cr_assert_str_eq(eb.msg, ea.msg);
            cr_assert_eq(b.total, 1);
            cr_assert_eq(b.in_count, 1);
            cr_assert_eq(b.min, 2.0);
            cp_sketch_free(&a);
            cp_sketch_free(&b);
        }
}

/* A bucket's count is a byte plus a carry of 256s (cp_sketch_side): counts
 * that wrap the byte, by one-by-one adds, strided adds value by value, a
 * chunk in one bucket added at once, and merges, all hold the exact
 * count; and a strided add that fails takes its counts back across a carry
 * (a borrow), leaving the sketch as it was. */
Test(sketch, byte_counts_carry_and_borrow)
{
    enum { N = 1000 };
    static double x[N];
    cp_err err;
    cp_sketch a, b, c;
    cp_sketch_init(&a);
    cp_sketch_init(&b);
    cp_sketch_init(&c);
    /* Two buckets in turn (value by value) and one bucket per chunk (at once). */
    for (size_t i = 0; i < N; i++)
        x[i] = i % 2 ? -3.0 : 5.0;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < N; i++)
            cr_assert_eq(cp_sketch_add(&a, x[i], &err), CP_OK);
        cr_assert_eq(cp_sketch_add_strided(&b, x, N, 1, NULL, &err), CP_OK, "%s", err.msg);
        cr_assert_eq(cp_sketch_add_strided(&c, x, N / 2, 2, NULL, &err), CP_OK, "%s", err.msg);
        cr_assert_eq(cp_sketch_add_strided(&c, x + 1, N / 2, 2, NULL, &err), CP_OK, "%s", err.msg);
    }
    assert_consistent(&a);
    assert_same_sketch(&a, &b);
    assert_same_sketch(&a, &c);
    cr_assert_eq(cp_sketch_quantile(&b, 0.5), -3.0);
    cr_assert_eq(b.in_count, 3 * N);
    /* A merge into a sketch whose bytes are part full. */
    cr_assert_eq(cp_sketch_merge(&c, &b, &err), CP_OK);
    cr_assert_eq(cp_sketch_merge(&a, &b, &err), CP_OK);
    assert_same_sketch(&a, &c);
    assert_consistent(&c);
    /* 1500 counts in 5.0's bucket: a failing add of 300 more there (then a
     * NaN) must borrow back through the carry. */
    unsigned char *before;
    const size_t nb = packed(&b, &before);
    for (size_t i = 0; i < 300; i++)
        x[i] = 5.0;
    x[300] = NAN;
    cr_assert_eq(cp_sketch_add_strided(&b, x, 301, 1, NULL, &err), CP_EINVAL);
    unsigned char *after;
    const size_t na = packed(&b, &after);
    cr_assert(na == nb && memcmp(before, after, na) == 0, "a failed add changed the counts");
    cr_assert_eq(b.in_count, 3 * N);
    free(before);
    free(after);
    cp_sketch_free(&a);
    cp_sketch_free(&b);
    cp_sketch_free(&c);
}

/* Many quantiles in one walk are the one-at-a-time quantiles, bit for bit:
 * probabilities in any order, repeated, at the extremes, outside [0, 1] and
 * NaN, more of them than one batch, on sketches with negatives, zeros and
 * positives, and on an empty one. */
Test(sketch, quantiles_in_one_walk_as_one_at_a_time)
{
    gsl_rng *r = rng_new(31);
    enum { NP = 40 };
    double p[NP], q[NP];
    cp_err err;
    for (int kind = 0; kind < 3; kind++) {
        cp_sketch s;
        cp_sketch_init(&s);
        for (int i = 0; kind > 0 && i < 5000; i++) {
            const double u = gsl_rng_uniform(r);
            const double v = kind == 1 ? exp(10 * u) : u < 0.2 ? 0.0 : u < 0.5 ? -1.0 / u : u;
            cr_assert_eq(cp_sketch_add(&s, v, &err), CP_OK);
        }
        for (size_t i = 0; i < NP; i++)
            p[i] = i < N_PROBS ? probs[N_PROBS - 1 - i] : gsl_rng_uniform(r);
        p[NP - 1] = p[3];
        p[NP - 2] = -0.5;
        p[NP - 3] = 1.5;
        p[NP - 4] = NAN;
        for (size_t n = 1; n <= NP; n += 13) {
            cp_sketch_quantiles(&s, p, n, q);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(bits_of(q[i]), bits_of(cp_sketch_quantile(&s, p[i])), "p %g", p[i]);
        }
        cp_sketch_quantiles(&s, p, NP, q);
        for (size_t i = 0; i < NP; i++)
            cr_assert_eq(bits_of(q[i]), bits_of(cp_sketch_quantile(&s, p[i])), "p %g", p[i]);
        cp_sketch_free(&s);
    }
    gsl_rng_free(r);
}

/* ---- the cap ------------------------------------------------------------ */

/* Magnitudes 2^-200 .. 2^200 of both signs, far beyond the cap: the same
 * bytes whether added one by one in order, in reverse in strided chunks,
 * or split into 7 sketches merged in another order, directly or packed --
 * each value ends in its bucket or the final floor, whatever the history
 * of the floor -- and each side keeps at most CP_SKETCH_MAX_OCTAVES. */
Test(sketch, capped_result_is_order_independent)
{
    gsl_rng *r = rng_new(31);
    enum { N = 20000, PARTS = 7 };
    double *v = malloc(N * sizeof *v);
    for (size_t i = 0; i < N; i++) {
        const double m = exp2(gsl_ran_flat(r, -200.0, 200.0));
        v[i] = gsl_rng_uniform(r) < 0.3 ? -m : m;
    }
    cp_err err;
    cp_sketch a, b, c, d, part[PARTS];
    cp_sketch_init(&a);
    cp_sketch_init(&b);
    cp_sketch_init(&c);
    cp_sketch_init(&d);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(cp_sketch_add(&a, v[i], &err), CP_OK);
    double *rev = malloc(N * sizeof *rev);
    for (size_t i = 0; i < N; i++)
        rev[i] = v[N - 1 - i];
    for (size_t i = 0; i < N; i += 500) /* reverse order, strided adds of 500 */
        cr_assert_eq(cp_sketch_add_strided(&b, rev + i, 500, 1, NULL, &err), CP_OK);
    free(rev);
    for (int k = 0; k < PARTS; k++) {
        cp_sketch_init(&part[k]);
        for (size_t i = (size_t)k; i < N; i += PARTS)
            cr_assert_eq(cp_sketch_add(&part[k], v[i], &err), CP_OK);
    }
    for (int k = PARTS - 1; k >= 0; k--)
        cr_assert_eq(cp_sketch_merge(&c, &part[(k * 3) % PARTS], &err), CP_OK);
    for (int k = 0; k < PARTS; k++) {
        unsigned char *buf;
        const size_t len = packed(&part[k], &buf);
        cr_assert_eq(cp_sketch_unpack_merge(&d, buf, len, NULL, &err), CP_OK, "%s", err.msg);
        free(buf);
        cp_sketch_free(&part[k]);
    }
    cr_assert_leq(a.pos.n, CP_SKETCH_MAX_OCTAVES * 1024);
    cr_assert_leq(a.neg.n, CP_SKETCH_MAX_OCTAVES * 1024);
    assert_same_sketch(&a, &b);
    assert_same_sketch(&a, &c);
    assert_same_sketch(&a, &d);
    check_quantiles(&a, v, N, "capped");
    cp_sketch_free(&a);
    cp_sketch_free(&b);
    cp_sketch_free(&c);
    cp_sketch_free(&d);
    free(v);
    gsl_rng_free(r);
}

/* A packed side wider than the cap cannot come from a sketch, and a
 * smallest value below the first bucket fits only when that bucket is the
 * floor of a capped side: both refused. */
Test(sketch, unpack_refuses_what_the_cap_rules_out)
{
    cp_err err;
    cp_sketch s, t;
    cp_sketch_init(&s);
    cp_sketch_init(&t);
    /* 1.0 (twice) and 2^16: 17 octaves; the floor is 2^1's octave, holding
     * the 1.0s, the median */
    cr_assert_eq(cp_sketch_add(&s, 1.0, &err), CP_OK);
    cr_assert_eq(cp_sketch_add(&s, 1.0, &err), CP_OK);
    cr_assert_eq(cp_sketch_add(&s, 65536.0, &err), CP_OK);
    cr_assert_eq(s.pos.n, CP_SKETCH_MAX_OCTAVES * 1024);
    cr_assert_float_eq(cp_sketch_quantile(&s, 0.5), 2.0, 2.0 / 1024, "1.0 reported at the floor");
    unsigned char *buf;
    size_t len = packed(&s, &buf);
    cr_assert_eq(cp_sketch_unpack_merge(&t, buf, len, NULL, &err), CP_OK, "%s", err.msg);
    /* min 1.0 below a first bucket that is not a floor: 2^15 and 2^16 only */
    cp_sketch u;
    cp_sketch_init(&u);
    cr_assert_eq(cp_sketch_add(&u, 32768.0, &err), CP_OK);
    cr_assert_eq(cp_sketch_add(&u, 65536.0, &err), CP_OK);
    unsigned char *ub;
    const size_t ulen = packed(&u, &ub);
    const double one = 1.0;
    memcpy(ub + 24, &one, sizeof one); /* min, after magic, version, total, zeros */
    cr_assert_eq(cp_sketch_unpack_check(ub, ulen, NULL, NULL, &err), CP_EINVAL);
    cr_assert_not_null(strstr(err.msg, "do not fit the counts"), "%s", err.msg);
    /* a side of CAP + 1 keys, every count 1 */
    const size_t n = CP_SKETCH_MAX_OCTAVES * 1024 + 1;
    unsigned char *wide = calloc(56 + n, 1);
    memcpy(wide, buf, 56);
    const uint64_t total = n;
    const int32_t lo = 1023 << 10; /* 1.0's key */
    const uint32_t width = (uint32_t)n;
    const double lo_v = 1.0, hi_v = ldexp(1.0, CP_SKETCH_MAX_OCTAVES) * (1 + 1.0 / 2048);
    memcpy(wide + 8, &total, 8);
    memcpy(wide + 24, &lo_v, 8);
    memcpy(wide + 32, &hi_v, 8);
    memcpy(wide + 40, &lo, 4);
    memcpy(wide + 44, &width, 4);
    memset(wide + 48, 0, 8);
    memset(wide + 56, 1, n);
    cr_assert_eq(cp_sketch_unpack_check(wide, 56 + n, NULL, NULL, &err), CP_EINVAL);
    cr_assert_not_null(strstr(err.msg, "key range"), "%s", err.msg);
    /* one key fewer is a valid capped side */
    const uint32_t cap = (uint32_t)(n - 1);
    const uint64_t total1 = n - 1;
    const double hi1 = ldexp(1.0, CP_SKETCH_MAX_OCTAVES) * (1 - 1.0 / 4096);
    memcpy(wide + 8, &total1, 8);
    memcpy(wide + 32, &hi1, 8);
    memcpy(wide + 44, &cap, 4);
    cr_assert_eq(cp_sketch_unpack_check(wide, 56 + n - 1, NULL, NULL, &err), CP_OK, "%s", err.msg);
    free(wide);
    free(ub);
    free(buf);
    cp_sketch_free(&u);
    cp_sketch_free(&s);
    cp_sketch_free(&t);
}
