/* test_math.c -- cp_math's exp and log against long double references:
 * within 2 ulp of the exact value over the ranges the model uses and well
 * beyond, libm's results outside the fast range, and the same bits for a
 * value whatever the length of the array or its place in it (the clones
 * take a vector path for the body and scalar code for the tail). */
#include <criterion/criterion.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "cp_math.h"

enum { N = 4099 };

/* |got - want| in units of the last place of want (as a double). */
static double ulps(double got, long double want)
{
    const double w = (double)want;
    const double ulp = nextafter(fabs(w), INFINITY) - fabs(w);
    return (double)(fabsl((long double)got - want) / ulp);
}

static void check_exp(const double *x, size_t n)
{
    static double y[N];
    cp_math_exp_n(x, y, n);
    for (size_t i = 0; i < n; i++) {
        const double e = ulps(y[i], expl((long double)x[i]));
        cr_assert(e <= 2.0, "exp(%a) = %a: %.2f ulp", x[i], y[i], e);
    }
}

static void check_log(const double *x, size_t n)
{
    static double y[N];
    cp_math_log_n(x, y, n);
    for (size_t i = 0; i < n; i++) {
        if (x[i] == 1.0) {
            cr_assert_eq(y[i], 0.0);
            continue;
        }
        const double e = ulps(y[i], logl((long double)x[i]));
        cr_assert(e <= 2.0, "log(%a) = %a: %.2f ulp", x[i], y[i], e);
    }
}

Test(math, exp_within_2_ulp)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    static double x[N];
    const double widths[] = {1e-300, 1e-8, 0.35, 1.0, 5.0, 50.0, 700.0};
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (int rep = 0; rep < 20; rep++) {
            for (size_t i = 0; i < N; i++)
                x[i] = widths[w] * (2.0 * gsl_rng_uniform(r) - 1.0);
            check_exp(x, N);
        }
    /* Around the multiples of ln 2 / 2, where the reduction rounds. */
    for (size_t i = 0; i < N; i++)
        x[i] = ((double)(i % 4001) - 2000.0) * 0.34657359027997264 + 1e-17 * (double)(i % 7);
    check_exp(x, N);
    gsl_rng_free(r);
}

Test(math, log_within_2_ulp)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    static double x[N];
    for (int rep = 0; rep < 200; rep++) {
        for (size_t i = 0; i < N; i++) {
            const double u = gsl_rng_uniform_pos(r);
            /* Near 1, across a few octaves, and across the whole range. */
            x[i] = rep % 3 == 0   ? 1.0 + (u - 0.5) * 1e-3
                   : rep % 3 == 1 ? exp2(8.0 * (u - 0.5))
                                  : exp2(2040.0 * (u - 0.5));
        }
        check_log(x, N);
    }
    const double edges[] = {1.0,
                            DBL_MIN,
                            DBL_MAX,
                            0.7071067811865476,
                            1.4142135623730951,
                            nextafter(1.0, 0.0),
                            nextafter(1.0, 2.0),
                            2.0,
                            0.5};
    check_log(edges, sizeof edges / sizeof *edges);
    gsl_rng_free(r);
}

static uint64_t bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

Test(math, special_values_are_libms)
{
    const double xe[] = {NAN, INFINITY, -INFINITY, 700.5, -700.5, 710.0, -746.0, 0.0, -0.0};
    const double xl[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, -1.0, 0x1p-1074, 0x1p-1030};
    double y[9];
    cp_math_exp_n(xe, y, 9);
    for (size_t i = 0; i < 9; i++)
        cr_assert(bits(y[i]) == bits(exp(xe[i])) || (isnan(y[i]) && isnan(exp(xe[i]))),
                  "exp(%a) = %a", xe[i], y[i]);
    cp_math_log_n(xl, y, 8);
    for (size_t i = 0; i < 8; i++)
        cr_assert(bits(y[i]) == bits(log(xl[i])) || (isnan(y[i]) && isnan(log(xl[i]))),
                  "log(%a) = %a", xl[i], y[i]);
}

Test(math, a_value_gets_the_same_bits_at_any_place)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    static double x[N], all_e[N], all_l[N];
    for (size_t i = 0; i < N; i++)
        x[i] = 3.0 * gsl_rng_uniform_pos(r);
    cp_math_exp_n(x, all_e, N);
    cp_math_log_n(x, all_l, N);
    for (size_t i = 0; i < N; i += 37) {
        double e, l;
        cp_math_exp_n(x + i, &e, 1);
        cp_math_log_n(x + i, &l, 1);
        cr_assert_eq(bits(e), bits(all_e[i]));
        cr_assert_eq(bits(l), bits(all_l[i]));
    }
    gsl_rng_free(r);
}
