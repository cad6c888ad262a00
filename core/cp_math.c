/* cp_math.c -- see cp_math.h.
 *
 * exp: x = k ln2 + r with k = round(x / ln2) and |r| <= ln2 / 2 (Cody and
 * Waite: ln2 in two parts, the first with trailing zeros so that k * LN2_HI
 * is exact), exp(r) by its Taylor series to r^13 (the first term left out
 * is below 2^-60 of the sum), times 2^k made from its bits.
 *
 * log: x = 2^k m with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact),
 * s = f / (2 + f), log(1 + f) = 2 atanh(s) = f - (f^2/2 - s (f^2/2 + R))
 * with R = sum_j 2 s^2j / (2j + 1) to j = 10 (|s| <= 0.1716: the next term
 * is below 2^-56 of the sum); the split of the sum is fdlibm's and musl's,
 * which keeps the error near x = 1 relative.
 *
 * Both use the "shifter" 1.5 * 2^52 to move between doubles and small
 * integers by bits, which vectorizes where a conversion would not (there is
 * no double <-> int64 conversion below AVX-512). */
#include "cp_math.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define SHIFT 0x1.8p52
#define LN2_HI 0x1.62e42fee00000p-1 /* ln 2 to 32 bits: k * LN2_HI is exact */
#define LN2_LO 0x1.a39ef35793c76p-33
#define INV_LN2 0x1.71547652b82fep0
#define EXP_FAST 700.0 /* 2^k stays normal and p * 2^k finite */
#define SQRT_HALF_HI UINT64_C(0x3fe6a09e00000000)

static inline uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline double double_of(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* exp's Taylor coefficients 1/j!, j = 13 down to 2, and 2/(2j + 1),
 * j = 10 down to 1, for log's R: highest first, for Horner's rule. */
static const double exp_coef[] = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0,
                                  1.0 / 3628800.0,    1.0 / 362880.0,    1.0 / 40320.0,
                                  1.0 / 5040.0,       1.0 / 720.0,       1.0 / 120.0,
                                  1.0 / 24.0,         1.0 / 6.0,         0.5};
static const double log_coef[] = {2.0 / 21.0, 2.0 / 19.0, 2.0 / 17.0, 2.0 / 15.0, 2.0 / 13.0,
                                  2.0 / 11.0, 2.0 / 9.0,  2.0 / 7.0,  2.0 / 5.0,  2.0 / 3.0};

static inline double horner(const double *c, size_t n, double x)
{
    double p = c[0];
    /* Unrolled, so that the loops over lanes vectorize with the
     * coefficients as constants. */
#pragma GCC unroll 16
    for (size_t j = 1; j < n; j++)
        p = p * x + c[j];
    return p;
}

static inline double exp_fast(double x)
{
    const double t = x * INV_LN2 + SHIFT;
    const double kd = t - SHIFT;
    const double r = (x - kd * LN2_HI) - kd * LN2_LO;
    const size_t n = sizeof exp_coef / sizeof *exp_coef;
    const double p = (horner(exp_coef, n, r) * r + 1.0) * r + 1.0;
    /* The low bits of t hold k; 2^k's biased exponent is k + 1023. */
    const uint64_t k = bits_of(t) - bits_of(SHIFT);
    return p * double_of((k + 1023) << 52);
}

static inline double log_fast(double x)
{
    /* Moves the exponent so that the mantissa lands in [sqrt(1/2),
     * sqrt(2)) (musl's reduction, on the whole 64 bits). */
    const uint64_t u = bits_of(x) + (UINT64_C(0x3ff0000000000000) - SQRT_HALF_HI);
    const double dk = (double_of(UINT64_C(0x4330000000000000) | (u >> 52)) - 0x1p52) - 1023.0;
    const double m = double_of((u & UINT64_C(0x000fffffffffffff)) + SQRT_HALF_HI);
    const double f = m - 1.0;
    const double hfsq = 0.5 * f * f;
    const double s = f / (2.0 + f);
    const double z = s * s;
    const double R = horner(log_coef, sizeof log_coef / sizeof *log_coef, z) * z;
    return dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
}

/* The clones differ only in vector width: the same operations in the same
 * order on each lane, so the same bits.  The fast formula runs on every
 * lane, where it vectorizes, and the few lanes outside its range are then
 * done again by libm. */
CP_LANE_CLONES void cp_math_exp_n(const double *restrict x, double *restrict y, size_t n)
{
    int any = 0; /* rarely: test all first, in a loop that vectorizes */
    for (size_t i = 0; i < n; i++) {
        y[i] = exp_fast(x[i]);
        any |= !(fabs(x[i]) <= EXP_FAST);
    }
    for (size_t i = 0; any && i < n; i++)
        if (!(fabs(x[i]) <= EXP_FAST))
            y[i] = exp(x[i]);
}

CP_LANE_CLONES void cp_math_log_n(const double *restrict x, double *restrict y, size_t n)
{
    int any = 0; /* as in cp_math_exp_n */
    for (size_t i = 0; i < n; i++) {
        y[i] = log_fast(x[i]);
        any |= !(x[i] >= DBL_MIN && x[i] <= DBL_MAX);
    }
    for (size_t i = 0; any && i < n; i++)
        if (!(x[i] >= DBL_MIN && x[i] <= DBL_MAX))
            y[i] = log(x[i]);
}
