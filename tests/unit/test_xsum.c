/* test_xsum.c -- exact summation: exactness, rounding, order independence. */
#include <criterion/criterion.h>
#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cp_xsum.h"

#define N_RANDOM 100000

static uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static double from_bits(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* Bit-identical, so that -0.0 != 0.0 and NaN == NaN. */
static void assert_same(double got, double want)
{
    cr_assert_eq(bits_of(got), bits_of(want), "got %a, want %a", got, want);
}

static double sum_of(const double *x, size_t n)
{
    cp_xsum s;
    cp_xsum_init(&s);
    for (size_t i = 0; i < n; i++)
        cp_xsum_add(&s, x[i]);
    return cp_xsum_value(&s);
}

static void normalized(const cp_xsum *s, cp_xsum *out)
{
    *out = *s;
    cp_xsum_normalize(out);
}

/* Equal exact sums must normalize to the same limbs. */
static void assert_same_sum(const cp_xsum *a, const cp_xsum *b)
{
    cp_xsum na, nb;
    normalized(a, &na);
    normalized(b, &nb);
    cr_assert_eq(na.nonfinite, nb.nonfinite);
    cr_assert(memcmp(na.limb, nb.limb, sizeof na.limb) == 0, "limbs differ");
    assert_same(cp_xsum_value(a), cp_xsum_value(b));
}

static uint64_t rand64(gsl_rng *r)
{
    /* mt19937 gives 32 bits per call. */
    return (uint64_t)gsl_rng_get(r) << 32 | gsl_rng_get(r);
}

/* A finite double with random sign, mantissa and a biased exponent drawn
 * uniformly from [elo, ehi]. */
static double rand_double(gsl_rng *r, unsigned elo, unsigned ehi)
{
    const uint64_t e = elo + gsl_rng_uniform_int(r, ehi - elo + 1);
    const uint64_t b = (rand64(r) & 0x800fffffffffffffu) | e << 52;
    return from_bits(b);
}

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cr_assert_not_null(r);
    gsl_rng_set(r, seed);
    return r;
}

Test(xsum, empty_is_positive_zero)
{
    cp_xsum s;
    cp_xsum_init(&s);
    assert_same(cp_xsum_value(&s), 0.0);
    cp_xsum_add(&s, -0.0);
    assert_same(cp_xsum_value(&s), 0.0);
    cp_xsum_add(&s, 5.0);
    cp_xsum_add(&s, -5.0);
    assert_same(cp_xsum_value(&s), 0.0);
    cp_xsum_normalize(&s);
    for (int i = 0; i < CP_XSUM_LIMBS; i++)
        cr_assert_eq(s.limb[i], 0, "limb %d of x + (-x)", i);
}

Test(xsum, huge_range_cancels_exactly)
{
    const double a[] = {1e300, 1.0, -1e300};
    assert_same(sum_of(a, 3), 1.0);
    const double b[] = {DBL_MAX, 0x1p-1074, -DBL_MAX};
    assert_same(sum_of(b, 3), 0x1p-1074);
    const double c[] = {0x1p-1074, DBL_MAX, 1.0, -DBL_MAX, -1.0};
    assert_same(sum_of(c, 5), 0x1p-1074);
    const double d[] = {1e308, 1e308, -1e308, -1e308, -3.5};
    assert_same(sum_of(d, 5), -3.5);
    /* 2^1023 + 2^-1074: the result must keep the tiny part's sign. */
    const double e[] = {0x1p1023, -0x1p-1074, -0x1p1023};
    assert_same(sum_of(e, 3), -0x1p-1074);
}

Test(xsum, subnormals_are_exact)
{
    cp_xsum s;
    cp_xsum_init(&s);
    for (int i = 0; i < 1000; i++)
        cp_xsum_add(&s, 0x1p-1074);
    assert_same(cp_xsum_value(&s), 1000 * 0x1p-1074);
    /* Smallest normal = largest subnormal + one unit. */
    const double sub_max = from_bits(0x000fffffffffffffu);
    const double x[] = {sub_max, 0x1p-1074};
    assert_same(sum_of(x, 2), DBL_MIN);
    const double y[] = {DBL_MIN, -0x1p-1074};
    assert_same(sum_of(y, 2), sub_max);
}

Test(xsum, rounds_to_nearest_ties_to_even)
{
    const double tie_down[] = {1.0, 0x1p-53};
    assert_same(sum_of(tie_down, 2), 1.0);
    const double tie_up[] = {1.0 + 0x1p-52, 0x1p-53};
    assert_same(sum_of(tie_up, 2), 1.0 + 0x1p-51);
    const double sticky[] = {1.0, 0x1p-53, 0x1p-1074};
    assert_same(sum_of(sticky, 3), 1.0 + 0x1p-52);
    /* A sticky bit in the same digit as the rounding bit. */
    const double near_sticky[] = {1.0, 0x1p-53, 0x1p-60};
    assert_same(sum_of(near_sticky, 3), 1.0 + 0x1p-52);
    const double below[] = {1.0, 0x1p-53, -0x1p-1074};
    assert_same(sum_of(below, 3), 1.0);
    const double neg_tie[] = {-1.0 - 0x1p-52, -0x1p-53};
    assert_same(sum_of(neg_tie, 2), -1.0 - 0x1p-51);
    const double big[] = {0x1p53, 1.0};
    assert_same(sum_of(big, 2), 0x1p53);
    const double big3[] = {0x1p53, 3.0};
    assert_same(sum_of(big3, 2), 0x1p53 + 4.0);
    /* Rounding up carries into the next binade. */
    const double carry[] = {0x1p54 - 2.0, 1.0};
    assert_same(sum_of(carry, 2), 0x1p54);
    /* Exactly 2^53 - 1 units of 2^-1074: the largest result that needs
     * no rounding, at the subnormal end. */
    const double tiny[] = {from_bits(0x000fffffffffffffu), from_bits(0x0010000000000000u)};
    assert_same(sum_of(tiny, 2), from_bits(0x000fffffffffffffu) + DBL_MIN);
}

Test(xsum, overflows_to_infinity_like_ieee)
{
    const double two[] = {DBL_MAX, DBL_MAX};
    assert_same(sum_of(two, 2), INFINITY);
    const double ntwo[] = {-DBL_MAX, -DBL_MAX};
    assert_same(sum_of(ntwo, 2), -INFINITY);
    /* DBL_MAX + half an ulp is a tie; DBL_MAX is odd, so it rounds up. */
    const double tie[] = {DBL_MAX, 0x1p970};
    assert_same(sum_of(tie, 2), INFINITY);
    const double under[] = {DBL_MAX, 0x1p969};
    assert_same(sum_of(under, 2), DBL_MAX);
    const double back[] = {DBL_MAX, DBL_MAX, -DBL_MAX};
    assert_same(sum_of(back, 3), DBL_MAX);
}

Test(xsum, matches_int64_reference)
{
    gsl_rng *r = rng_new(11);
    cp_xsum s;
    cp_xsum_init(&s);
    int64_t ref = 0;
    for (int i = 0; i < N_RANDOM; i++) {
        /* |x| <= 2^44, so |sum| < 2^61 stays exact in int64, while the
         * double result needs rounding to 53 bits. */
        const int64_t x = (int64_t)(rand64(r) >> 19) - ((int64_t)1 << 44);
        ref += x;
        cp_xsum_add(&s, (double)x);
        if (i % 997 == 0)
            assert_same(cp_xsum_value(&s), (double)ref);
    }
    assert_same(cp_xsum_value(&s), (double)ref);
    gsl_rng_free(r);
}

/* Values m * 2^e, e in [-60, -30], span at most 2^-60 .. 2^40 over 10^5
 * additions: 100 bits, within the 113 of __float128, whose sum is then
 * exact and its conversion to double correctly rounded. */
Test(xsum, matches_float128_reference)
{
    gsl_rng *r = rng_new(12);
    for (int trial = 0; trial < 20; trial++) {
        cp_xsum s;
        cp_xsum_init(&s);
        __float128 ref = 0;
        const int n = trial == 0 ? N_RANDOM : 1 + (int)gsl_rng_uniform_int(r, 2000);
        for (int i = 0; i < n; i++) {
            const double m = (double)(rand64(r) >> 11);
            const int e = -60 + (int)gsl_rng_uniform_int(r, 31);
            const double x = (gsl_rng_uniform(r) < 0.5 ? -1 : 1) * ldexp(m, e);
            cp_xsum_add(&s, x);
            ref += x;
        }
        assert_same(cp_xsum_value(&s), (double)ref);
    }
    gsl_rng_free(r);
}

/* Large cancelling pairs hide a small sum that __float128 can check. */
Test(xsum, cancelling_pairs_leave_small_sum)
{
    gsl_rng *r = rng_new(13);
    double *x = malloc(2 * N_RANDOM * sizeof *x);
    cr_assert_not_null(x);
    __float128 ref = 0;
    for (int i = 0; i < N_RANDOM; i++) {
        if (i % 3) {
            const double big = rand_double(r, 1, 2046);
            x[2 * i] = big;
            x[2 * i + 1] = -big;
        } else {
            /* 53-bit mantissas times 2^-70, a third of 10^5 of them: the
             * sum spans 2^-70 .. 2^-1, exact in __float128. */
            const double small = ldexp((double)(rand64(r) >> 11), -70) * (i % 2 ? -1 : 1);
            x[2 * i] = small;
            x[2 * i + 1] = 0.0;
            ref += small;
        }
    }
    gsl_ran_shuffle(r, x, 2 * N_RANDOM, sizeof *x);
    assert_same(sum_of(x, 2 * N_RANDOM), (double)ref);
    free(x);
    gsl_rng_free(r);
}

Test(xsum, permutation_invariant)
{
    gsl_rng *r = rng_new(14);
    double *x = malloc(N_RANDOM * sizeof *x);
    cr_assert_not_null(x);
    for (int i = 0; i < N_RANDOM; i++)
        x[i] = i % 4 ? rand_double(r, 0, 2046) : rand_double(r, 1000, 1100);
    cp_xsum first;
    cp_xsum_init(&first);
    for (int i = 0; i < N_RANDOM; i++)
        cp_xsum_add(&first, x[i]);
    for (int p = 0; p < 8; p++) {
        gsl_ran_shuffle(r, x, N_RANDOM, sizeof *x);
        cp_xsum s;
        cp_xsum_init(&s);
        for (int i = 0; i < N_RANDOM; i++)
            cp_xsum_add(&s, x[i]);
        assert_same_sum(&s, &first);
    }
    free(x);
    gsl_rng_free(r);
}

/* Splits x[0..n) into random pieces, sums each, and merges the pieces in a
 * random order into one sum. */
static void merged_sum(gsl_rng *r, const double *x, size_t n, cp_xsum *out)
{
    enum { MAX_PIECES = 64 };
    cp_xsum piece[MAX_PIECES];
    size_t n_pieces = 1 + gsl_rng_uniform_int(r, MAX_PIECES);
    size_t cut[MAX_PIECES + 1];
    cut[0] = 0;
    cut[n_pieces] = n;
    for (size_t k = 1; k < n_pieces; k++)
        cut[k] = gsl_rng_uniform_int(r, n + 1);
    /* Sorting the inner cuts makes the pieces contiguous, some empty. */
    for (size_t k = 1; k < n_pieces; k++)
        for (size_t j = k; j > 1 && cut[j] < cut[j - 1]; j--) {
            const size_t t = cut[j];
            cut[j] = cut[j - 1];
            cut[j - 1] = t;
        }
    for (size_t k = 0; k < n_pieces; k++) {
        cp_xsum_init(&piece[k]);
        for (size_t i = cut[k]; i < cut[k + 1]; i++)
            cp_xsum_add(&piece[k], x[i]);
    }
    size_t order[MAX_PIECES];
    for (size_t k = 0; k < n_pieces; k++)
        order[k] = k;
    gsl_ran_shuffle(r, order, n_pieces, sizeof *order);
    cp_xsum_init(out);
    for (size_t k = 0; k < n_pieces; k++)
        cp_xsum_merge(out, &piece[order[k]]);
}

Test(xsum, merge_equals_sequential)
{
    gsl_rng *r = rng_new(15);
    double *x = malloc(N_RANDOM * sizeof *x);
    cr_assert_not_null(x);
    for (int i = 0; i < N_RANDOM; i++)
        x[i] = rand_double(r, 900, 1150);
    cp_xsum seq;
    cp_xsum_init(&seq);
    for (int i = 0; i < N_RANDOM; i++)
        cp_xsum_add(&seq, x[i]);
    for (int trial = 0; trial < 10; trial++) {
        cp_xsum m;
        merged_sum(r, x, N_RANDOM, &m);
        assert_same_sum(&m, &seq);
    }
    free(x);
    gsl_rng_free(r);
}

/* What an integer MPI_SUM over normalized sums does. */
Test(xsum, limbwise_add_of_normalized_equals_merge)
{
    gsl_rng *r = rng_new(16);
    enum { PARTS = 7 };
    cp_xsum part[PARTS], merged;
    cp_xsum_init(&merged);
    for (int k = 0; k < PARTS; k++) {
        cp_xsum_init(&part[k]);
        for (int i = 0; i < 5000; i++)
            cp_xsum_add(&part[k], rand_double(r, 0, 2046));
        cp_xsum_merge(&merged, &part[k]);
    }
    cp_xsum limbwise;
    cp_xsum_init(&limbwise);
    for (int k = 0; k < PARTS; k++) {
        cp_xsum_normalize(&part[k]);
        for (int i = 0; i < CP_XSUM_LIMBS - 1; i++)
            cr_assert(part[k].limb[i] >= 0 && part[k].limb[i] <= (int64_t)UINT32_MAX);
        for (int i = 0; i < CP_XSUM_LIMBS; i++)
            limbwise.limb[i] += part[k].limb[i];
    }
    assert_same_sum(&limbwise, &merged);
    gsl_rng_free(r);
}

/* The worst case of the normalized bound: what an integer MPI_SUM of 2^30
 * copies of -2^-1074 (every digit 2^32 - 1, top limb -1) holds.  It must
 * normalize without overflow to -2^30 * 2^-1074. */
Test(xsum, limbwise_sum_of_2_pow_30_normalized_sums)
{
    cp_xsum unit;
    cp_xsum_init(&unit);
    cp_xsum_add(&unit, -0x1p-1074);
    cp_xsum_normalize(&unit);
    cp_xsum big;
    cp_xsum_init(&big);
    for (int i = 0; i < CP_XSUM_LIMBS; i++)
        big.limb[i] = unit.limb[i] * ((int64_t)1 << 30);
    cr_assert_eq(big.limb[0], (int64_t)UINT32_MAX << 30);
    assert_same(cp_xsum_value(&big), -0x1p-1044);
    cp_xsum_normalize(&big);
    cp_xsum want;
    cp_xsum_init(&want);
    cp_xsum_add(&want, -0x1p-1044);
    assert_same_sum(&big, &want);
}

Test(xsum, canonical_after_normalize)
{
    cp_xsum a, b;
    cp_xsum_init(&a);
    cp_xsum_init(&b);
    cp_xsum_add(&a, 3.0);
    cp_xsum_add(&a, -1.0);
    cp_xsum_add(&a, 0x1p-1074);
    cp_xsum_add(&a, -0x1p-1074);
    cp_xsum_add(&b, 2.0);
    assert_same_sum(&a, &b);
    /* -1: every digit all ones, the top limb -1. */
    cp_xsum m;
    cp_xsum_init(&m);
    cp_xsum_add(&m, -0x1p-1074);
    cp_xsum_normalize(&m);
    for (int i = 0; i < CP_XSUM_LIMBS - 1; i++)
        cr_assert_eq(m.limb[i], (int64_t)UINT32_MAX, "limb %d", i);
    cr_assert_eq(m.limb[CP_XSUM_LIMBS - 1], -1);
    cr_assert_eq(m.pending, 0);
    assert_same(cp_xsum_value(&m), -0x1p-1074);
    /* Normalizing twice changes nothing. */
    cp_xsum m2 = m;
    cp_xsum_normalize(&m2);
    cr_assert(memcmp(&m, &m2, sizeof m) == 0);
}

Test(xsum, nonfinite_makes_nan)
{
    const double specials[] = {NAN, -NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 4; k++) {
        cp_xsum s;
        cp_xsum_init(&s);
        cp_xsum_add(&s, 1.0);
        cp_xsum_add(&s, specials[k]);
        cp_xsum_add(&s, 2.0);
        cr_assert_eq(s.nonfinite, 1);
        cr_assert(isnan(cp_xsum_value(&s)), "special %d", k);
    }
    cp_xsum inf_pair;
    cp_xsum_init(&inf_pair);
    cp_xsum_add(&inf_pair, INFINITY);
    cp_xsum_add(&inf_pair, -INFINITY);
    cr_assert(isnan(cp_xsum_value(&inf_pair)));
    /* Merging passes it on, in either direction. */
    cp_xsum fin, bad;
    cp_xsum_init(&fin);
    cp_xsum_init(&bad);
    cp_xsum_add(&fin, 1.0);
    cp_xsum_add(&bad, NAN);
    cp_xsum_merge(&fin, &bad);
    cr_assert(isnan(cp_xsum_value(&fin)));
    cp_xsum_init(&fin);
    cp_xsum_add(&fin, 1.0);
    cp_xsum_merge(&bad, &fin);
    cr_assert(isnan(cp_xsum_value(&bad)));
    /* The finite part is still summed exactly. */
    cp_xsum_normalize(&bad);
    cp_xsum one;
    cp_xsum_init(&one);
    cp_xsum_add(&one, 1.0);
    cp_xsum_normalize(&one);
    cr_assert(memcmp(bad.limb, one.limb, sizeof one.limb) == 0);
}

/* |limb| <= (pending + 1) * (2^32 - 1): what keeps deferred carries safe. */
static void assert_bounded(const cp_xsum *s)
{
    cr_assert_lt(s->pending, CP_XSUM_PENDING_MAX);
    const int64_t bound = ((int64_t)s->pending + 1) * (int64_t)UINT32_MAX;
    for (int i = 0; i < CP_XSUM_LIMBS - 1; i++)
        cr_assert(s->limb[i] <= bound && s->limb[i] >= -bound, "limb %d = %lld, pending %u", i,
                  (long long)s->limb[i], (unsigned)s->pending);
}

/* The value whose three digits are largest: a full mantissa at bit offset
 * 31 within a digit. */
static double three_digit_value(int digit)
{
    const double m = 0x1p53 - 1;
    return ldexp(m, 32 * digit + 31 - 1074);
}

Test(xsum, pending_normalization_crosses_threshold)
{
    const uint32_t n = 3 * CP_XSUM_PENDING_MAX + 5;
    const double x = three_digit_value(40);
    const double y = -three_digit_value(39);
    cp_xsum s;
    cp_xsum_init(&s);
    __float128 ref = 0;
    int normalizations = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t before = s.pending;
        const double v = i % 3 ? x : y;
        cp_xsum_add(&s, v);
        ref += v;
        normalizations += s.pending < before;
        if (i % 4096 == 0 || s.pending < 2)
            assert_bounded(&s);
    }
    cr_assert_eq(normalizations, 3, "normalized %d times", normalizations);
    assert_bounded(&s);
    assert_same(cp_xsum_value(&s), (double)ref);
}

Test(xsum, merge_crosses_threshold)
{
    const double x = three_digit_value(10);
    cp_xsum total;
    cp_xsum_init(&total);
    __float128 ref = 0;
    /* Each part has just under the threshold pending. */
    for (int k = 0; k < 5; k++) {
        cp_xsum part;
        cp_xsum_init(&part);
        for (uint32_t i = 0; i < CP_XSUM_PENDING_MAX - 1; i++)
            cp_xsum_add(&part, k % 2 ? -x : x);
        cr_assert_eq(part.pending, CP_XSUM_PENDING_MAX - 1);
        ref += (__float128)(k % 2 ? -x : x) * (CP_XSUM_PENDING_MAX - 1);
        cp_xsum_merge(&total, &part);
        assert_bounded(&total);
    }
    assert_same(cp_xsum_value(&total), (double)ref);
}

/* Normalized sums with every digit at its largest, merged again and again:
 * each merge must count towards the threshold. */
Test(xsum, merging_normalized_sums_counts_as_pending)
{
    cp_xsum unit;
    cp_xsum_init(&unit);
    cp_xsum_add(&unit, -0x1p-1074);
    cp_xsum_normalize(&unit);
    cp_xsum total;
    cp_xsum_init(&total);
    const uint32_t n = CP_XSUM_PENDING_MAX + 10;
    for (uint32_t i = 0; i < n; i++) {
        cp_xsum_merge(&total, &unit);
        if (i < 4 || i % 1024 == 0 || total.pending < 2)
            assert_bounded(&total);
    }
    assert_same(cp_xsum_value(&total), -(double)n * 0x1p-1074);
}

Test(xsum, largest_values_many_times)
{
    const uint32_t n = 2 * CP_XSUM_PENDING_MAX + 3;
    cp_xsum s;
    cp_xsum_init(&s);
    for (uint32_t i = 0; i < n; i++)
        cp_xsum_add(&s, DBL_MAX);
    assert_same(cp_xsum_value(&s), INFINITY);
    for (uint32_t i = 0; i < n; i++)
        cp_xsum_add(&s, -DBL_MAX);
    assert_same(cp_xsum_value(&s), 0.0);
    for (uint32_t i = 0; i < n; i++)
        cp_xsum_add(&s, -DBL_MAX);
    assert_same(cp_xsum_value(&s), -INFINITY);
    for (uint32_t i = 0; i < n - 1; i++)
        cp_xsum_add(&s, DBL_MAX);
    assert_same(cp_xsum_value(&s), -DBL_MAX);
}

/* cp_xsum_prefetch only asks for cache lines: the sum's bytes and value
 * stay as they were, for every kind of double, the extremes included. */
Test(xsum, prefetch_changes_nothing)
{
    const double xs[] = {0.0,      -0.0,     1.0, -3.5e-310, DBL_MIN, DBL_MAX,
                         -DBL_MAX, INFINITY, NAN, 1e-300,    2.5e300, 0x1p-1074};
    cp_xsum s, before;
    cp_xsum_init(&s);
    cp_xsum_add(&s, 12345.678);
    cp_xsum_add(&s, -1e200);
    memcpy(&before, &s, sizeof s);
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        cp_xsum_prefetch(&s, xs[i]);
        cr_assert(memcmp(&before, &s, sizeof s) == 0, "prefetch of %a changed the sum", xs[i]);
    }
    cp_xsum_add(&s, 1e200);
    cr_assert_eq(cp_xsum_value(&s), 12345.678, "the sum after prefetches: %a", cp_xsum_value(&s));
}
