/* test_sobol.c -- the Sobol estimators and their intervals against
 * functions whose indices are known in closed form (an additive function,
 * a product, Ishigami's), the intervals' coverage over repeated designs,
 * and the sums' exactness: merging, packing and block order.
 *
 * Tolerances: an estimate must be within 5 of its own delta-method standard
 * errors of the true index (a false failure has probability below 1e-6 per
 * check if the standard error is right); coverage is checked on 400
 * designs, where the count of intervals holding the truth is binomial
 * (400, 0.95) if they are exact: at least 360 (90%, 5.2 sd below 380). */
#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cp_sobol.h"

#define PI 3.14159265358979323846

#define BLOCK 256
#define KMAX 3

typedef double (*model_fn)(const double *x, const double *par);

/* Draws one input: k selects the distribution's parameters in par. */
typedef double (*draw_fn)(gsl_rng *r, size_t k, const double *par);

static double draw_normal(gsl_rng *r, size_t k, const double *par)
{
    return par[2 * k] + gsl_ran_gaussian(r, par[2 * k + 1]);
}

static double draw_uniform_pi(gsl_rng *r, size_t k, const double *par)
{
    (void)k;
    (void)par;
    return -PI + 2 * PI * gsl_rng_uniform(r);
}

/* A design of n samples of a function of k inputs, added in blocks of
 * BLOCK, with the given shift, into s (n_cells 1, n_inputs k). */
static void run_design(cp_sobol *s, model_fn f, draw_fn draw, const double *fpar,
                       const double *dpar, size_t k, size_t n, unsigned long seed, double shift)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double fa[BLOCK], fb[BLOCK], fab[KMAX * BLOCK];
    for (size_t done = 0; done < n;) {
        const size_t m = n - done < BLOCK ? n - done : BLOCK;
        for (size_t i = 0; i < m; i++) {
            double a[KMAX], b[KMAX], ab[KMAX];
            for (size_t j = 0; j < k; j++)
                a[j] = draw(r, j, dpar);
            for (size_t j = 0; j < k; j++)
                b[j] = draw(r, j, dpar);
            fa[i] = f(a, fpar);
            fb[i] = f(b, fpar);
            for (size_t j = 0; j < k; j++) {
                memcpy(ab, a, sizeof ab);
                ab[j] = b[j];
                fab[j * BLOCK + i] = f(ab, fpar);
            }
        }
        cp_err err;
        cr_assert_eq(cp_sobol_add(s, fa, fb, fab, m, BLOCK, &shift, &err), CP_OK, "%s", err.msg);
        done += m;
    }
    gsl_rng_free(r);
}

static double additive(const double *x, const double *a)
{
    return a[0] * x[0] + a[1] * x[1] + a[2] * x[2];
}

static double product(const double *x, const double *a)
{
    (void)a;
    return x[0] * x[1];
}

static double ishigami(const double *x, const double *p)
{
    const double s2 = sin(x[1]);
    return sin(x[0]) + p[0] * s2 * s2 + p[1] * pow(x[2], 4) * sin(x[0]);
}

static void assert_near(double got, double lo, double hi, double want, const char *what)
{
    const double sd = (hi - lo) / (2 * CP_SOBOL_Z95);
    cr_assert(fabs(got - want) <= 5 * sd + 1e-12, "%s: %.5f, want %.5f (sd %.5f)", what, got, want,
              sd);
}

static void check_indices(const cp_sobol *s, size_t k, const double *first, const double *total)
{
    for (size_t j = 0; j < k; j++) {
        cp_sobol_index ix;
        cp_sobol_estimate(s, 0, j, CP_SOBOL_Z95, &ix);
        assert_near(ix.first, ix.first_lo, ix.first_hi, first[j], "first order");
        assert_near(ix.total, ix.total_lo, ix.total_hi, total[j], "total");
        cr_assert(ix.first_hi - ix.first_lo < 0.1, "first-order interval too wide");
    }
}

Test(sobol, additive_of_independent_inputs)
{
    /* Y = 1 X1 + 2 X2 + 0 X3 with Var X = 1, 2.25, 1: S_i = a_i^2 Var X_i / Var Y, and no
     * interactions, so total = first order. */
    const double a[3] = {1, 2, 0}, d[6] = {5, 1, -3, 1.5, 0, 1};
    const double V = 1 + 4 * 2.25, S[3] = {1 / V, 9 / V, 0};
    cp_sobol *s = cp_sobol_alloc(1, 3);
    run_design(s, additive, draw_normal, a, d, 3, 40000, 1, 0.0);
    cr_assert_eq(cp_sobol_samples(s), 40000);
    check_indices(s, 3, S, S);
    cp_sobol_index ix;
    cp_sobol_estimate(s, 0, 0, CP_SOBOL_Z95, &ix);
    cr_assert(fabs(ix.var - V) < 0.05 * V, "variance %g, want %g", ix.var, V);
    /* An input that does nothing: both indices exactly 0. */
    cp_sobol_estimate(s, 0, 2, CP_SOBOL_Z95, &ix);
    cr_assert_eq(ix.first, 0.0);
    cr_assert_eq(ix.total, 0.0);
    cp_sobol_free(s);
}

Test(sobol, product_interaction_in_closed_form)
{
    /* Y = X1 X2, X_i ~ N(mu_i, s_i^2) independent: Var Y = mu1^2 s2^2 + mu2^2 s1^2 + s1^2 s2^2;
     * S1 = mu2^2 s1^2 / V, S2 = mu1^2 s2^2 / V, and the interaction s1^2 s2^2 / V is in both
     * totals. */
    const double d[6] = {2, 1, 1, 0.5, 0, 1};
    const double m1 = 2, s1 = 1, m2 = 1, s2 = 0.5;
    const double V = m1 * m1 * s2 * s2 + m2 * m2 * s1 * s1 + s1 * s1 * s2 * s2;
    const double inter = s1 * s1 * s2 * s2 / V;
    const double S[2] = {m2 * m2 * s1 * s1 / V, m1 * m1 * s2 * s2 / V};
    const double T[2] = {S[0] + inter, S[1] + inter};
    cp_sobol *s = cp_sobol_alloc(1, 2);
    run_design(s, product, draw_normal, NULL, d, 2, 60000, 2, 2.0);
    check_indices(s, 2, S, T);
    cp_sobol_free(s);
}

Test(sobol, ishigami)
{
    /* Ishigami (a = 7, b = 0.1) on uniform [-pi, pi]^3: the textbook values. */
    const double p[2] = {7, 0.1};
    const double a = 7, b = 0.1, pi4 = pow(PI, 4), pi8 = pi4 * pi4;
    const double V1 = 0.5 * pow(1 + b * pi4 / 5, 2), V2 = a * a / 8;
    const double V13 = b * b * pi8 * (1.0 / 18 - 1.0 / 50), V = V1 + V2 + V13;
    const double S[3] = {V1 / V, V2 / V, 0}, T[3] = {(V1 + V13) / V, V2 / V, V13 / V};
    cp_sobol *s = cp_sobol_alloc(1, 3);
    run_design(s, ishigami, draw_uniform_pi, p, NULL, 3, 60000, 3, 0.0);
    check_indices(s, 3, S, T);
    cp_sobol_free(s);
}

/* The share of 400 designs of n samples whose 95% intervals hold the
 * true indices, for input j of the product above. */
Test(sobol, interval_coverage)
{
    const double d[6] = {2, 1, 1, 0.5, 0, 1};
    const double V = 4 * 0.25 + 1 + 0.25, inter = 0.25 / V;
    const double S0 = 1 / V, T0 = S0 + inter;
    int first_in = 0, total_in = 0;
    const int reps = 400;
    for (int rep = 0; rep < reps; rep++) {
        cp_sobol *s = cp_sobol_alloc(1, 2);
        run_design(s, product, draw_normal, NULL, d, 2, 1000, 100 + (unsigned long)rep, 2.0);
        cp_sobol_index ix;
        cp_sobol_estimate(s, 0, 0, CP_SOBOL_Z95, &ix);
        first_in += ix.first_lo <= S0 && S0 <= ix.first_hi;
        total_in += ix.total_lo <= T0 && T0 <= ix.total_hi;
        cp_sobol_free(s);
    }
    cr_log_info("coverage of 95%% intervals over %d designs: first order %d, total %d", reps,
                first_in, total_in);
    cr_assert_geq(first_in, 360, "first-order coverage %d of %d", first_in, reps);
    cr_assert_geq(total_in, 360, "total coverage %d of %d", total_in, reps);
}

static uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static void assert_same_estimates(const cp_sobol *a, const cp_sobol *b, size_t k)
{
    for (size_t j = 0; j < k; j++) {
        cp_sobol_index x, y;
        cp_sobol_estimate(a, 0, j, CP_SOBOL_Z95, &x);
        cp_sobol_estimate(b, 0, j, CP_SOBOL_Z95, &y);
        cr_assert_eq(x.n, y.n);
        cr_assert_eq(bits_of(x.first), bits_of(y.first));
        cr_assert_eq(bits_of(x.first_lo), bits_of(y.first_lo));
        cr_assert_eq(bits_of(x.total), bits_of(y.total));
        cr_assert_eq(bits_of(x.total_hi), bits_of(y.total_hi));
    }
}

Test(sobol, merge_and_pack_are_exact_in_any_order)
{
    const double a[3] = {1, 2, 0.5}, d[6] = {5, 1, -3, 1.5, 0, 1};
    cp_sobol *all = cp_sobol_alloc(1, 3), *p = cp_sobol_alloc(1, 3), *q = cp_sobol_alloc(1, 3);
    run_design(all, additive, draw_normal, a, d, 3, 10 * BLOCK, 7, 1.0);
    /* The same design again, packed and unpacked into an empty one. */
    run_design(p, additive, draw_normal, a, d, 3, 10 * BLOCK, 7, 1.0);
    cp_err err;
    const size_t len = cp_sobol_packed_len(p);
    double *buf = malloc(len * sizeof *buf);
    cr_assert_eq(cp_sobol_pack(p, buf, &err), CP_OK);
    cr_assert_eq(cp_sobol_unpack_merge(q, buf, len, &err), CP_OK, "%s", err.msg);
    assert_same_estimates(all, q, 3);
    /* Merging two halves in either order gives the same bits. */
    cp_sobol *h1 = cp_sobol_alloc(1, 3), *h2 = cp_sobol_alloc(1, 3), *m12 = cp_sobol_alloc(1, 3),
             *m21 = cp_sobol_alloc(1, 3);
    run_design(h1, additive, draw_normal, a, d, 3, 5 * BLOCK, 8, 1.0);
    run_design(h2, additive, draw_normal, a, d, 3, 5 * BLOCK, 9, 1.0);
    cr_assert_eq(cp_sobol_merge(m12, h1, &err), CP_OK);
    cr_assert_eq(cp_sobol_merge(m12, h2, &err), CP_OK);
    cr_assert_eq(cp_sobol_merge(m21, h2, &err), CP_OK);
    cr_assert_eq(cp_sobol_merge(m21, h1, &err), CP_OK);
    assert_same_estimates(m12, m21, 3);
    cr_assert_eq(cp_sobol_samples(m12), 10 * BLOCK);
    /* A damaged or foreign buffer is refused and changes nothing. */
    const uint64_t before = cp_sobol_samples(q);
    buf[5] = 0.5;
    cr_assert_eq(cp_sobol_unpack_merge(q, buf, len, &err), CP_EINVAL);
    cr_assert_eq(cp_sobol_unpack_merge(q, buf, len - 1, &err), CP_EINVAL);
    cp_sobol *other = cp_sobol_alloc(2, 3);
    cr_assert_eq(cp_sobol_merge(other, q, &err), CP_EINVAL);
    cr_assert_eq(cp_sobol_samples(q), before);
    assert_same_estimates(all, q, 3);
    /* Reset empties it. */
    cp_sobol_reset(q);
    cr_assert_eq(cp_sobol_samples(q), 0);
    free(buf);
    cp_sobol_free(all);
    cp_sobol_free(p);
    cp_sobol_free(q);
    cp_sobol_free(h1);
    cp_sobol_free(h2);
    cp_sobol_free(m12);
    cp_sobol_free(m21);
    cp_sobol_free(other);
}

Test(sobol, constant_cell_and_too_few_samples_are_nan)
{
    cp_sobol *s = cp_sobol_alloc(2, 1);
    double fa[2 * 4] = {3, 3, 3, 3, 1, 2, 3, 4}, fb[2 * 4] = {3, 3, 3, 3, 4, 3, 2, 1};
    double fab[2 * 4] = {3, 3, 3, 3, 4, 2, 3, 1}, shift[2] = {3, 0};
    cp_err err;
    cr_assert_eq(cp_sobol_add(s, fa, fb, fab, 1, 4, shift, &err), CP_OK);
    cp_sobol_index ix;
    cp_sobol_estimate(s, 1, 0, CP_SOBOL_Z95, &ix);
    cr_assert(isnan(ix.first) && isnan(ix.total_hi), "one sample: NaN");
    cr_assert_eq(cp_sobol_add(s, fa + 1, fb + 1, fab + 1, 3, 4, shift, &err), CP_OK);
    cp_sobol_estimate(s, 0, 0, CP_SOBOL_Z95, &ix);
    cr_assert(isnan(ix.first) && isnan(ix.total), "a constant cell has no indices");
    cr_assert_eq(ix.var, 0.0);
    cp_sobol_estimate(s, 1, 0, CP_SOBOL_Z95, &ix);
    cr_assert(isfinite(ix.first) && isfinite(ix.total) && ix.var > 0);
    /* A non-finite value: CP_EMODEL naming the cell and input, nothing added. */
    fab[6] = NAN;
    cr_assert_eq(cp_sobol_add(s, fa, fb, fab, 4, 4, shift, &err), CP_EMODEL);
    cr_assert(strstr(err.msg, "cell 1, input 0"), "%s", err.msg);
    cr_assert_eq(cp_sobol_samples(s), 4);
    cp_sobol_free(s);
}
