/* test_ztable.c -- the fast map from a normal score to beta and pert
 * (cp_ztable) against the exact one (cp_dist_from_gaussian).
 *
 * Tolerance.  Both answers are roots of the same GSL CDF: the exact path
 * iterates to it, the fast one takes one Newton step from a guess whose CDF
 * is within 1e-8 of the target, which leaves an error of order 1e-16 (the
 * square) plus the CDF's own rounding divided by the density.  Measured
 * over 200,001 scores in [-9, 9]: at most 9.2e-16 of the range on every
 * pert of scenarios/, and 6.5e-14 on beta(0.01, 5), whose quantiles span
 * 300 orders of magnitude.  The bound, 4e-13 of the range, is six times the
 * worst; an error of the guess or of the step gives 1e-8 or more. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cp_dist.h"
#include "cp_ztable.h"

#define TOLERANCE 4e-13

/* A distribution and its table, parsed from spec, and freed together. */
typedef struct fixture {
    cp_dist d;
    cp_ztable t;
} fixture;

static void open_fixture(const char *spec, fixture *f)
{
    cp_err err;
    cp_err_clear(&err);
    cr_assert_eq(cp_dist_parse(spec, &f->d, &err), CP_OK, "%s: %s", spec, err.msg);
    cr_assert_eq(cp_ztable_init(&f->t, &f->d), CP_OK);
}

static void close_fixture(fixture *f)
{
    cp_ztable_free(&f->t);
    cp_dist_free(&f->d);
}

static void setup(void)
{
    gsl_set_error_handler_off();
}

TestSuite(ztable, .init = setup);

/* Every pert of scenarios/ and betas from U-shaped to needle-thin. */
static const char *const shapes[] = {
    "pert(min=0.875, mode=1, max=1.15)",
    "pert(min=0.2, mode=0.8, max=3)",
    "pert(min=0.03, mode=0.1, max=0.3)",
    "pert(min=0.05, mode=0.12, max=0.3)",
    "pert(min=0.1, mode=0.3, max=1)",
    "pert(min=0.5, mode=0.9, max=1)",
    "pert(min=0.7, mode=0.95, max=1)",
    "pert(min=0, mode=0, max=1)",
    "pert(min=-2, mode=1, max=1)",
    "beta(a=2, b=5)",
    "beta(a=0.5, b=0.5)",
    "beta(a=0.01, b=5)",
    "beta(a=50, b=50)",
    "beta(a=1, b=1)",
    "beta(a=300, b=2)",
};

Test(ztable, agrees_with_the_exact_inverse_everywhere)
{
    const size_t n = 40001;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        fixture f;
        open_fixture(shapes[s], &f);
        cr_assert_not_null(f.t.y, "%s has a table", shapes[s]);
        for (size_t i = 0; i < n; i++) {
            const double z = -9.0 + 18.0 * (double)i / (double)(n - 1);
            double x;
            cp_ztable_map(&f.t, &f.d, &z, &x, 1);
            const double exact = cp_dist_from_gaussian(&f.d, z);
            cr_assert_leq(fabs(x - exact), TOLERANCE * f.t.span,
                          "%s at z = %.17g: %.17g, exact %.17g", shapes[s], z, x, exact);
        }
        close_fixture(&f);
    }
}

/* The shapes the scenarios use take the fast path over the central
 * 99.994% (|z| <= 4): the speed is not lost to the exact path. */
Test(ztable, scenario_shapes_take_the_table)
{
    const size_t n = 10001;
    double z[10001], x[10001];
    for (size_t i = 0; i < n; i++)
        z[i] = -4.0 + 8.0 * (double)i / (double)(n - 1);
    for (size_t s = 0; s < 7; s++) {
        fixture f;
        open_fixture(shapes[s], &f);
        cr_assert_eq(cp_ztable_map(&f.t, &f.d, z, x, n), 0, "%s: no score took the exact path",
                     shapes[s]);
        close_fixture(&f);
    }
}

/* Beyond the table, at its edges, and for scores that are not numbers,
 * the answer is the exact path's, bit for bit. */
Test(ztable, edges_and_non_finite_scores)
{
    fixture f;
    open_fixture("pert(min=0.2, mode=0.8, max=3)", &f);
    const double z[] = {-INFINITY, -12, -8, 8, 8.5, INFINITY, NAN};
    double x[7];
    cr_assert_eq(cp_ztable_map(&f.t, &f.d, z, x, 7), 7, "all seven by the exact path");
    for (size_t i = 0; i < 7; i++) {
        const double exact = cp_dist_from_gaussian(&f.d, z[i]);
        cr_assert(memcmp(&x[i], &exact, sizeof exact) == 0 || (isnan(x[i]) && isnan(exact)),
                  "z = %g: %.17g, exact %.17g", z[i], x[i], exact);
    }
    cr_assert_eq(x[0], 0.2);
    cr_assert_eq(x[5], 3.0);
    /* Just inside the edges, the table's last intervals. */
    const double in[] = {nextafter(-8, 0), -7.99, 7.99, nextafter(8, 0)};
    for (size_t i = 0; i < 4; i++) {
        double y;
        cp_ztable_map(&f.t, &f.d, &in[i], &y, 1);
        cr_assert_leq(fabs(y - cp_dist_from_gaussian(&f.d, in[i])), TOLERANCE * f.t.span,
                      "z = %.17g", in[i]);
    }
    close_fixture(&f);
}

/* The kinds whose inversion is already fast get no table, and the map is
 * cp_dist_from_gaussian's, bit for bit. */
Test(ztable, other_kinds_are_the_exact_path)
{
    const char *const others[] = {"lognormal(mu=0, sigma=0.3)",
                                  "normal(mean=1, sd=2)",
                                  "truncnormal(mean=1, sd=0.15, min=0.7, max=1.3)",
                                  "gamma(shape=4, scale=1)",
                                  "uniform(min=0.2, max=1.5)",
                                  "triangular(min=0, mode=1, max=3)",
                                  "constant(value=2)"};
    const double z[] = {-3, -0.5, 0, 0.7, 2.5};
    for (size_t s = 0; s < sizeof others / sizeof *others; s++) {
        fixture f;
        open_fixture(others[s], &f);
        cr_assert_null(f.t.y, "%s has no table", others[s]);
        double x[5];
        cr_assert_eq(cp_ztable_map(&f.t, &f.d, z, x, 5), 5);
        for (size_t i = 0; i < 5; i++) {
            const double exact = cp_dist_from_gaussian(&f.d, z[i]);
            cr_assert(memcmp(&x[i], &exact, sizeof exact) == 0, "%s at %g", others[s], z[i]);
        }
        close_fixture(&f);
    }
}
