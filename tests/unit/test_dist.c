/* test_dist.c -- distributions: parsing and its errors, formatting, the
 * analytic moments (against formulas and numbers computed independently
 * here), the moments of draws through each of the three paths (sampler,
 * quantile of a uniform, from_gaussian of a normal), and the quantile as the
 * inverse of the CDF, tails included.
 *
 * Statistical tolerances.  With N draws of a distribution with variance
 * sigma^2 and fourth central moment mu4, the sample mean has standard error
 * sqrt(sigma^2 / N) and the (unbiased) sample variance sqrt((mu4 - sigma^4) / N)
 * to leading order.  Each check allows z standard errors with
 * z = Qinv(1e-6 / 2) ~ 4.89: a correct implementation fails a check with
 * probability about 1e-6 for a random seed (seeds here are fixed, so the
 * tests are deterministic).  mu4 comes from the exact excess kurtosis of each
 * family, written out below, or for truncnormal from numerical integration
 * of its density. */
#include <criterion/criterion.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#include "cp_dist.h"
#include "cp_rng.h"

static void setup(void)
{
    gsl_set_error_handler_off();
}

TestSuite(dist, .init = setup);

static double z_tol(void)
{
    return gsl_cdf_ugaussian_Qinv(1e-6 / 2);
}

static cp_dist parse_ok(const char *spec)
{
    cp_dist d;
    cp_err err;
    cp_err_clear(&err);
    const int rc = cp_dist_parse(spec, &d, &err);
    cr_assert_eq(rc, CP_OK, "%s: %s", spec, err.msg);
    return d;
}

static bool close_rel(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

/* The distributions every generic test runs over.  Chosen to reach every
 * branch: truncation in the upper tail, the lower tail, straddling the mean,
 * narrow and far out; beta shapes below 1 (where GSL's inverse fails and the
 * bisection takes over) and above; a PERT with its mode at an end. */
static const char *const cases[] = {
    "normal(mean=2, sd=3)",
    "normal(mean=-1000, sd=0.001)",
    "lognormal(mu=0.5, sigma=0.4)",
    "lognormal(mu=-2, sigma=0.1)",
    "truncnormal(mean=1, sd=2, min=0, max=5)",
    "truncnormal(mean=0, sd=1, min=0, max=1e6)",
    "truncnormal(mean=0, sd=1, min=3, max=4)",
    "truncnormal(mean=10, sd=1, min=-50, max=9)",
    "truncnormal(mean=0.1, sd=0.05, min=0, max=1)",
    "truncnormal(mean=0, sd=1, min=30, max=1000)",
    "truncnormal(mean=5, sd=2, min=4.99, max=5.02)",
    "beta(a=2, b=3)",
    "beta(a=0.5, b=0.5)",
    "beta(a=0.3, b=4)",
    "pert(min=0, mode=1, max=4)",
    "pert(min=10, mode=10, max=20)",
    "triangular(min=0, mode=1, max=3)",
    "triangular(min=-5, mode=5, max=5)",
    "gamma(shape=2, scale=3)",
    "gamma(shape=0.5, scale=1)",
    "gamma(shape=40, scale=0.25)",
    "uniform(min=1, max=4)",
    "constant(value=3.25)",
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* ------------------------------------------------------------------------ */
/* Reference moments, computed here independently of cp_dist.c              */

typedef struct ref_moments {
    double mean, var, mu4; /* mu4: fourth central moment */
} ref_moments;

static double beta_excess_kurtosis(double a, double b)
{
    const double s = a + b;
    return 6.0 * ((a - b) * (a - b) * (s + 1) - a * b * (s + 2)) / (a * b * (s + 2) * (s + 3));
}

static ref_moments from_kurtosis(double mean, double var, double excess)
{
    return (ref_moments){mean, var, (excess + 3.0) * var * var};
}

/* Truncated normal by quadrature of its density.  The density is scaled by
 * exp(z0^2 / 2), z0 the standardised bound nearest the mean, so that
 * intervals far in a tail do not underflow. */
typedef struct tn_integrand {
    double mean, sd, z0, centre;
    int power;
} tn_integrand;

static double tn_f(double x, void *vp)
{
    const tn_integrand *t = vp;
    const double z = (x - t->mean) / t->sd;
    return pow(x - t->centre, t->power) * exp(-0.5 * (z * z - t->z0 * t->z0));
}

static double tn_integral(tn_integrand *t, double lo, double hi, int power, double centre)
{
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    gsl_function f = {tn_f, t};
    double r, abserr;
    t->power = power;
    t->centre = centre;
    gsl_integration_qag(&f, lo, hi, 0, 1e-13, 1000, GSL_INTEG_GAUSS61, w, &r, &abserr);
    gsl_integration_workspace_free(w);
    return r;
}

static ref_moments tn_reference(const cp_dist *d)
{
    const double m = d->p[0], s = d->p[1];
    const double lo = fmax(d->p[2], m - 40 * s), hi = fmin(d->p[3], m + 40 * s);
    const double al = (d->p[2] - m) / s, be = (d->p[3] - m) / s;
    tn_integrand t = {m, s, al > 0 ? al : be < 0 ? be : 0, 0, 0};
    const double mid = 0.5 * (lo + hi);
    const double i0 = tn_integral(&t, lo, hi, 0, mid);
    const double mean = mid + tn_integral(&t, lo, hi, 1, mid) / i0;
    const double var = tn_integral(&t, lo, hi, 2, mean) / i0;
    return (ref_moments){mean, var, tn_integral(&t, lo, hi, 4, mean) / i0};
}

static ref_moments reference(const cp_dist *d)
{
    const double *p = d->p;
    double a, b, w, mean, var;
    switch (d->kind) {
    case CP_DIST_CONSTANT:
        return (ref_moments){p[0], 0, 0};
    case CP_DIST_NORMAL:
        return from_kurtosis(p[0], p[1] * p[1], 0);
    case CP_DIST_LOGNORMAL:
        w = exp(p[1] * p[1]);
        return from_kurtosis(exp(p[0] + p[1] * p[1] / 2), (w - 1) * exp(2 * p[0] + p[1] * p[1]),
                             w * w * w * w + 2 * w * w * w + 3 * w * w - 6);
    case CP_DIST_TRUNCNORMAL:
        return tn_reference(d);
    case CP_DIST_BETA:
        a = p[0];
        b = p[1];
        return from_kurtosis(a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1)),
                             beta_excess_kurtosis(a, b));
    case CP_DIST_PERT:
        w = p[2] - p[0];
        a = 1 + 4 * (p[1] - p[0]) / w;
        b = 1 + 4 * (p[2] - p[1]) / w;
        mean = (p[0] + 4 * p[1] + p[2]) / 6;
        return from_kurtosis(mean, (mean - p[0]) * (p[2] - mean) / 7, beta_excess_kurtosis(a, b));
    case CP_DIST_TRIANGULAR:
        var = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] - p[0] * p[1] - p[0] * p[2] - p[1] * p[2]) /
              18;
        return from_kurtosis((p[0] + p[1] + p[2]) / 3, var, -0.6);
    case CP_DIST_GAMMA:
        return from_kurtosis(p[0] * p[1], p[0] * p[1] * p[1], 6 / p[0]);
    case CP_DIST_UNIFORM:
        return from_kurtosis((p[0] + p[1]) / 2, (p[1] - p[0]) * (p[1] - p[0]) / 12, -1.2);
    case CP_DIST_EMPIRICAL:
        break;
    }
    mean = 0;
    for (size_t i = 0; i < d->n_values; i++)
        mean += d->values[i] / (double)d->n_values;
    ref_moments r = {mean, 0, 0};
    for (size_t i = 0; i < d->n_values; i++) {
        const double e = d->values[i] - mean;
        r.var += e * e / (double)d->n_values;
        r.mu4 += e * e * e * e / (double)d->n_values;
    }
    return r;
}

/* ------------------------------------------------------------------------ */
/* Moments of draws                                                         */

typedef struct moments {
    double n, mean, m2; /* Welford */
} moments;

static void mom_add(moments *m, double x)
{
    m->n += 1;
    const double delta = x - m->mean;
    m->mean += delta / m->n;
    m->m2 += delta * (x - m->mean);
}

static void check_moments(const char *what, const char *spec, const moments *m, const cp_dist *d)
{
    const double mean = cp_dist_mean(d), var = cp_dist_variance(d);
    const double mu4 = reference(d).mu4, z = z_tol(), n = m->n;
    const double svar = m->m2 / (n - 1);
    const double tol_mean = z * sqrt(var / n), tol_var = z * sqrt(fmax(mu4 - var * var, 0) / n);
    /* The last term covers rounding in the accumulation. */
    cr_assert_leq(fabs(m->mean - mean), tol_mean + 1e-13 * fabs(mean),
                  "%s %s: mean %.10g, expected %.10g +- %.3g", what, spec, m->mean, mean, tol_mean);
    cr_assert_leq(fabs(svar - var), tol_var + 1e-12 * var,
                  "%s %s: variance %.10g, expected %.10g +- %.3g", what, spec, svar, var, tol_var);
}

#define N_DRAWS 200000

typedef enum path { PATH_SAMPLE, PATH_QUANTILE, PATH_GAUSSIAN } path;

static double draw(const cp_dist *d, gsl_rng *r, path how)
{
    switch (how) {
    case PATH_SAMPLE:
        return cp_dist_sample(d, r);
    case PATH_QUANTILE:
        return cp_dist_quantile(d, gsl_rng_uniform_pos(r));
    case PATH_GAUSSIAN:
        return cp_dist_from_gaussian(d, gsl_ran_gaussian_ziggurat(r, 1.0));
    }
    return NAN;
}

static void check_path(path how, const char *what)
{
    for (size_t i = 0; i < N_CASES; i++) {
        cp_dist d = parse_ok(cases[i]);
        gsl_rng *r = cp_rng_alloc(1000 + i);
        cp_rng_seek(r, 0, cp_rng_stream_id(what), 0);
        moments m = {0, 0, 0};
        for (long k = 0; k < N_DRAWS; k++)
            mom_add(&m, draw(&d, r, how));
        check_moments(what, cases[i], &m, &d);
        gsl_rng_free(r);
        cp_dist_free(&d);
    }
}

Test(dist, sampler_moments)
{
    check_path(PATH_SAMPLE, "sample");
}

Test(dist, quantile_of_uniform_moments)
{
    check_path(PATH_QUANTILE, "quantile");
}

Test(dist, from_gaussian_moments)
{
    check_path(PATH_GAUSSIAN, "from_gaussian");
}

Test(dist, draws_stay_in_the_support)
{
    for (size_t i = 0; i < N_CASES; i++) {
        cp_dist d = parse_ok(cases[i]);
        const double lo = cp_dist_quantile(&d, 0), hi = cp_dist_quantile(&d, 1);
        gsl_rng *r = cp_rng_alloc(77);
        for (int k = 0; k < 20000; k++)
            for (path how = PATH_SAMPLE; how <= PATH_GAUSSIAN; how++) {
                const double x = draw(&d, r, how);
                cr_assert(x >= lo && x <= hi, "%s: %g outside [%g, %g]", cases[i], x, lo, hi);
            }
        gsl_rng_free(r);
        cp_dist_free(&d);
    }
}

/* ------------------------------------------------------------------------ */
/* Analytic moments                                                         */

Test(dist, analytic_moments_match_reference_formulas)
{
    for (size_t i = 0; i < N_CASES; i++) {
        cp_dist d = parse_ok(cases[i]);
        const ref_moments ref = reference(&d);
        const double rel = d.kind == CP_DIST_TRUNCNORMAL ? 1e-9 : 1e-12;
        cr_assert(close_rel(cp_dist_mean(&d), ref.mean, rel), "%s: mean %.17g vs %.17g", cases[i],
                  cp_dist_mean(&d), ref.mean);
        cr_assert(close_rel(cp_dist_variance(&d), ref.var, rel), "%s: variance %.17g vs %.17g",
                  cases[i], cp_dist_variance(&d), ref.var);
        cp_dist_free(&d);
    }
}

/* Values worked out by hand (and in Python's math module), not by any code
 * under test. */
Test(dist, analytic_moments_hand_values)
{
    static const struct {
        const char *spec;
        double mean, var;
    } hand[] = {
        {"normal(mean=2, sd=3)", 2, 9},
        {"lognormal(mu=0, sigma=1)", 1.6487212707001282, 4.670774270471604},
        {"lognormal(mu=0.5, sigma=0.4)", 1.7860384307500734, 0.5534881011446781},
        {"truncnormal(mean=0, sd=1, min=0, max=1e6)", 0.7978845608028654, 0.3633802276324186},
        {"truncnormal(mean=5, sd=1, min=4, max=6)", 5, 0.29112509477279314},
        {"truncnormal(mean=1, sd=2, min=0, max=5)", 1.8914875565450298, 1.5063753445473431},
        {"beta(a=2, b=3)", 0.4, 0.04},
        {"beta(a=1, b=1)", 0.5, 1.0 / 12},
        {"pert(min=0, mode=1, max=4)", 4.0 / 3, 32.0 / 63},
        {"pert(min=0, mode=5, max=10)", 5, 25.0 / 7},
        {"triangular(min=0, mode=1, max=3)", 4.0 / 3, 7.0 / 18},
        {"triangular(min=1000000, mode=1000000, max=1000003)", 1000001, 0.5},
        {"gamma(shape=2, scale=3)", 6, 18},
        {"gamma(shape=1, scale=0.5)", 0.5, 0.25},
        {"uniform(min=1, max=4)", 2.5, 0.75},
        {"constant(value=-7.5)", -7.5, 0},
    };
    for (size_t i = 0; i < sizeof hand / sizeof hand[0]; i++) {
        cp_dist d = parse_ok(hand[i].spec);
        cr_assert(close_rel(cp_dist_mean(&d), hand[i].mean, 1e-12), "%s: mean %.17g", hand[i].spec,
                  cp_dist_mean(&d));
        cr_assert(close_rel(cp_dist_variance(&d), hand[i].var, 1e-12), "%s: variance %.17g",
                  hand[i].spec, cp_dist_variance(&d));
        cp_dist_free(&d);
    }
}

/* Where the textbook truncated-normal formula cancels: narrow intervals
 * (variance ~ width^2 / 12 out of terms ~ 1) and intervals deep in a tail. */
Test(dist, truncnormal_moments_in_hard_places)
{
    static const char *const hard[] = {
        "truncnormal(mean=0, sd=1, min=0, max=1e-9)",
        "truncnormal(mean=0, sd=1, min=-1e-12, max=1e-12)",
        "truncnormal(mean=3, sd=2, min=10, max=10.0001)",
        "truncnormal(mean=0, sd=1, min=36, max=36.5)",
        "truncnormal(mean=0, sd=1, min=-36.5, max=-36)",
        "truncnormal(mean=0, sd=1, min=20, max=1e300)",
        "truncnormal(mean=0, sd=1, min=-1e300, max=-20)",
        "truncnormal(mean=0, sd=1, min=1.9, max=2.1)",
        "truncnormal(mean=0, sd=1, min=2.9, max=3.5)",
        "truncnormal(mean=100, sd=1e-3, min=100.0005, max=100.0015)",
        "truncnormal(mean=0, sd=1, min=-1e300, max=1e300)",
    };
    for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++) {
        cp_dist d = parse_ok(hard[i]);
        const ref_moments ref = reference(&d);
        const double mean = cp_dist_mean(&d), var = cp_dist_variance(&d);
        cr_assert(mean >= d.p[2] && mean <= d.p[3], "%s: mean %.17g outside", hard[i], mean);
        /* The mean to a small fraction of the spread, the variance to 1e-7. */
        cr_assert_leq(fabs(mean - ref.mean), 1e-8 * sqrt(ref.var) + 1e-15 * fabs(ref.mean),
                      "%s: mean %.17g vs %.17g", hard[i], mean, ref.mean);
        cr_assert(close_rel(var, ref.var, 1e-7), "%s: variance %.17g vs %.17g", hard[i], var,
                  ref.var);
        cp_dist_free(&d);
    }
}

/* ------------------------------------------------------------------------ */
/* Quantile and CDF                                                         */

static double log_Q(double x)
{
    return gsl_sf_log_erfc(x / M_SQRT2) - M_LN2;
}

/* The CDF (upper: the survival function), computed here from GSL's CDFs and
 * closed forms.  For truncnormal in a tail, as ratios to the tail mass at the
 * bound nearest the mean, formed from logarithms so that they survive where
 * the masses themselves underflow. */
static double tn_cdf(const double *p, double x, bool upper)
{
    const double al = (p[2] - p[0]) / p[1], be = (p[3] - p[0]) / p[1];
    const double z = (fmin(fmax(x, p[2]), p[3]) - p[0]) / p[1];
    if (al >= 0) {
        const double rz = exp(log_Q(z) - log_Q(al)), rb = exp(log_Q(be) - log_Q(al));
        return upper ? (rz - rb) / (1 - rb) : (1 - rz) / (1 - rb);
    }
    if (be <= 0) {
        const double rz = exp(log_Q(-z) - log_Q(-be)), ra = exp(log_Q(-al) - log_Q(-be));
        return upper ? (1 - rz) / (1 - ra) : (rz - ra) / (1 - ra);
    }
    const double P_al = gsl_cdf_ugaussian_P(al), Q_be = gsl_cdf_ugaussian_Q(be);
    const double P_z = gsl_cdf_ugaussian_P(z), Q_z = gsl_cdf_ugaussian_Q(z);
    const double mass = 1 - P_al - Q_be;
    if (upper)
        return z >= 0 ? (Q_z - Q_be) / mass : (1 - P_z - Q_be) / mass;
    return z <= 0 ? (P_z - P_al) / mass : (1 - Q_z - P_al) / mass;
}

static double tri_cdf(const double *p, double x, bool upper)
{
    const double a = p[0], c = p[1], b = p[2];
    x = fmin(fmax(x, a), b);
    const double lower = x <= c && c > a ? (x - a) * (x - a) / ((b - a) * (c - a)) : NAN;
    const double up = x >= c && b > c ? (b - x) * (b - x) / ((b - a) * (b - c)) : NAN;
    if (upper)
        return isnan(up) ? 1 - lower : up;
    return isnan(lower) ? 1 - up : lower;
}

static double ref_cdf(const cp_dist *d, double x, bool upper)
{
    const double *p = d->p;
    double a, b, w;
    switch (d->kind) {
    case CP_DIST_NORMAL:
        return upper ? gsl_cdf_gaussian_Q(x - p[0], p[1]) : gsl_cdf_gaussian_P(x - p[0], p[1]);
    case CP_DIST_LOGNORMAL:
        return upper ? gsl_cdf_lognormal_Q(x, p[0], p[1]) : gsl_cdf_lognormal_P(x, p[0], p[1]);
    case CP_DIST_TRUNCNORMAL:
        return tn_cdf(p, x, upper);
    case CP_DIST_BETA:
        return upper ? gsl_cdf_beta_Q(x, p[0], p[1]) : gsl_cdf_beta_P(x, p[0], p[1]);
    case CP_DIST_PERT:
        w = p[2] - p[0];
        a = 1 + 4 * (p[1] - p[0]) / w;
        b = 1 + 4 * (p[2] - p[1]) / w;
        x = (x - p[0]) / w;
        return upper ? gsl_cdf_beta_Q(x, a, b) : gsl_cdf_beta_P(x, a, b);
    case CP_DIST_TRIANGULAR:
        return tri_cdf(p, x, upper);
    case CP_DIST_GAMMA:
        return upper ? gsl_cdf_gamma_Q(x, p[0], p[1]) : gsl_cdf_gamma_P(x, p[0], p[1]);
    case CP_DIST_UNIFORM:
        return upper ? gsl_cdf_flat_Q(x, p[0], p[1]) : gsl_cdf_flat_P(x, p[0], p[1]);
    default:
        return NAN;
    }
}

/* Kinds whose quantile is location + scale * (standard quantile) cannot be
 * resolved more finely than the rounding of that sum: a few ulps of
 * |location| + scale.  The others (beta, gamma, lognormal) are held to a
 * purely relative precision, down to the smallest denormal. */
static double location_scale_slack(const cp_dist *d)
{
    const ref_moments ref = reference(d);
    switch (d->kind) {
    case CP_DIST_NORMAL:
    case CP_DIST_TRUNCNORMAL:
    case CP_DIST_PERT:
    case CP_DIST_TRIANGULAR:
    case CP_DIST_UNIFORM:
        return 4 * DBL_EPSILON * (fabs(ref.mean) + sqrt(ref.var) + fabs(d->p[0]));
    default:
        return 0;
    }
}

/* x is the quantile of tail probability prob (lower, or upper if `upper`) to
 * a relative 1e-9 in x: the CDF brackets prob at x -+ 1e-9 |x|.  Checking in
 * x, not in probability, leaves room for the rounding of x itself (a beta
 * quantile just below 1 cannot be closer to it than an ulp; one below the
 * smallest denormal is 0 or a few of them). */
static void check_inverse(const char *spec, const cp_dist *d, double x, double prob, bool upper)
{
    const double dx =
        1e-9 * fabs(x) + location_scale_slack(d) + 16 * DBL_TRUE_MIN * fmax(1, fabs(d->p[1]));
    double below = ref_cdf(d, x - dx, upper), above = ref_cdf(d, x + dx, upper);
    if (upper) {
        const double t = below;
        below = above;
        above = t;
    }
    cr_assert(below <= prob * (1 + 1e-12) && above >= prob * (1 - 1e-12),
              "%s: %s tail %.3g: x = %.17g brackets [%.17g, %.17g]", spec,
              upper ? "upper" : "lower", prob, x, below, above);
}

static const double tail_probs[] = {1e-300, 1e-100, 1e-30, 1e-12, 1e-6, 1e-3,
                                    0.01,   0.1,    0.25,  0.4,   0.49, 0.5};
#define N_TAIL_PROBS (sizeof tail_probs / sizeof tail_probs[0])

/* Both tails, through cp_dist_quantile (lower) and cp_dist_from_gaussian
 * (both: z = -+Qinv(prob) carries the probability without rounding it
 * against 1). */
static void check_inverse_everywhere(const char *spec)
{
    cp_dist d = parse_ok(spec);
    for (size_t j = 0; j < N_TAIL_PROBS; j++) {
        const double prob = tail_probs[j];
        check_inverse(spec, &d, cp_dist_quantile(&d, prob), prob, false);
        const double z = gsl_cdf_ugaussian_Qinv(prob);
        check_inverse(spec, &d, cp_dist_from_gaussian(&d, -z), gsl_cdf_ugaussian_P(-z), false);
        check_inverse(spec, &d, cp_dist_from_gaussian(&d, z), gsl_cdf_ugaussian_Q(z), true);
    }
    cp_dist_free(&d);
}

Test(dist, quantile_inverts_the_cdf_in_both_tails)
{
    for (size_t i = 0; i < N_CASES; i++)
        if (strncmp(cases[i], "constant", 8) != 0)
            check_inverse_everywhere(cases[i]);
}

/* Shapes where GSL's own beta and gamma inversions return NaN or, for the
 * gamma upper tail, a wrong number without complaint. */
Test(dist, quantile_inverts_the_cdf_for_extreme_shapes)
{
    static const char *const extreme[] = {
        "beta(a=0.01, b=0.01)",      "beta(a=0.001, b=5)",         "beta(a=50, b=0.05)",
        "beta(a=1e4, b=1e4)",        "gamma(shape=0.01, scale=1)", "gamma(shape=0.05, scale=3)",
        "gamma(shape=1e5, scale=1)", "pert(min=0, mode=0, max=1)", "pert(min=0, mode=1, max=1)",
    };
    for (size_t i = 0; i < sizeof extreme / sizeof extreme[0]; i++)
        check_inverse_everywhere(extreme[i]);
}

Test(dist, quantile_of_cdf_returns_x)
{
    for (size_t i = 0; i < N_CASES; i++) {
        cp_dist d = parse_ok(cases[i]);
        if (d.kind == CP_DIST_CONSTANT) {
            cp_dist_free(&d);
            continue;
        }
        const double lo = cp_dist_quantile(&d, 1e-4), hi = cp_dist_quantile(&d, 1 - 1e-4);
        for (int k = 1; k < 100; k++) {
            const double x = lo + (hi - lo) * k / 100.0;
            const double p = ref_cdf(&d, x, false), q = ref_cdf(&d, x, true);
            /* From the smaller tail, as a caller that cares would. */
            const double back = p <= q ? cp_dist_quantile(&d, p)
                                       : cp_dist_from_gaussian(&d, gsl_cdf_ugaussian_Qinv(q));
            cr_assert_leq(fabs(back - x), 1e-9 * (fabs(x) + (hi - lo)),
                          "%s: quantile(cdf(%.17g)) = %.17g", cases[i], x, back);
        }
        cp_dist_free(&d);
    }
}

Test(dist, quantile_is_monotone_and_in_the_support)
{
    for (size_t i = 0; i < N_CASES; i++) {
        cp_dist d = parse_ok(cases[i]);
        const double lo = cp_dist_quantile(&d, 0), hi = cp_dist_quantile(&d, 1);
        double prev = -INFINITY;
        for (int k = 1; k < 10000; k++) {
            const double x = cp_dist_quantile(&d, k / 10000.0);
            cr_assert(x >= prev, "%s: quantile(%g) = %.17g < %.17g", cases[i], k / 10000.0, x,
                      prev);
            cr_assert(x >= lo && x <= hi, "%s: %g outside the support", cases[i], x);
            prev = x;
        }
        prev = -INFINITY;
        for (double z = -40; z <= 40; z += 0.01) {
            const double x = cp_dist_from_gaussian(&d, z);
            cr_assert(x >= prev, "%s: from_gaussian(%g) = %.17g < %.17g", cases[i], z, x, prev);
            cr_assert(x >= lo && x <= hi, "%s: %g outside the support", cases[i], x);
            prev = x;
        }
        cp_dist_free(&d);
    }
}

Test(dist, medians)
{
    static const struct {
        const char *spec;
        double median;
    } m[] = {
        {"normal(mean=2, sd=3)", 2},
        {"lognormal(mu=0.5, sigma=0.4)", 1.6487212707001282},
        {"truncnormal(mean=5, sd=2, min=3, max=7)", 5},
        {"beta(a=2.5, b=2.5)", 0.5},
        {"pert(min=0, mode=5, max=10)", 5},
        {"triangular(min=0, mode=1, max=3)", 1.2679491924311228}, /* 3 - sqrt(3) */
        {"triangular(min=0, mode=2, max=2)", 1.4142135623730951}, /* sqrt(2) */
        {"gamma(shape=1, scale=2)", 1.3862943611198906},          /* 2 ln 2 */
        {"uniform(min=1, max=4)", 2.5},
        {"constant(value=9)", 9},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        cp_dist d = parse_ok(m[i].spec);
        const double x = cp_dist_quantile(&d, 0.5), y = cp_dist_from_gaussian(&d, 0);
        cr_assert_leq(fabs(x - m[i].median), 1e-12 * fmax(1, fabs(m[i].median)), "%s: %.17g",
                      m[i].spec, x);
        cr_assert_leq(fabs(y - m[i].median), 1e-12 * fmax(1, fabs(m[i].median)), "%s: %.17g",
                      m[i].spec, y);
        cp_dist_free(&d);
    }
}

Test(dist, quantile_edges_and_outside)
{
    static const struct {
        const char *spec;
        double at0, at1;
    } e[] = {
        {"normal(mean=0, sd=1)", -INFINITY, INFINITY},
        {"lognormal(mu=0, sigma=1)", 0, INFINITY},
        {"truncnormal(mean=0, sd=1, min=-2, max=3)", -2, 3},
        {"beta(a=2, b=3)", 0, 1},
        {"pert(min=-1, mode=0, max=2)", -1, 2},
        {"triangular(min=-1, mode=0, max=2)", -1, 2},
        {"gamma(shape=2, scale=1)", 0, INFINITY},
        {"uniform(min=-1, max=2)", -1, 2},
    };
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
        cp_dist d = parse_ok(e[i].spec);
        cr_assert_eq(cp_dist_quantile(&d, 0), e[i].at0, "%s at 0", e[i].spec);
        cr_assert_eq(cp_dist_quantile(&d, 1), e[i].at1, "%s at 1", e[i].spec);
        cr_assert(isnan(cp_dist_quantile(&d, -0.1)), "%s at -0.1", e[i].spec);
        cr_assert(isnan(cp_dist_quantile(&d, 1.1)), "%s at 1.1", e[i].spec);
        cr_assert(isnan(cp_dist_quantile(&d, NAN)), "%s at NaN", e[i].spec);
        cr_assert(isnan(cp_dist_from_gaussian(&d, NAN)), "%s from NaN", e[i].spec);
        cr_assert_eq(cp_dist_from_gaussian(&d, -INFINITY), e[i].at0, "%s from -inf", e[i].spec);
        cr_assert_eq(cp_dist_from_gaussian(&d, INFINITY), e[i].at1, "%s from +inf", e[i].spec);
        cp_dist_free(&d);
    }
}

/* Pressed against a bound, the quantile keeps its relative distance from
 * it: to first order in p, x = min + sd p Z / phi(alpha), Z the mass of the
 * interval (max - sd q Z / phi(beta) at the upper end). */
Test(dist, truncnormal_quantile_near_a_bound)
{
    static const double mean = 1, sd = 2, lo = 0, hi = 5;
    cp_dist d = parse_ok("truncnormal(mean=1, sd=2, min=0, max=5)");
    const double al = (lo - mean) / sd, be = (hi - mean) / sd;
    const double mass = gsl_cdf_ugaussian_P(be) - gsl_cdf_ugaussian_P(al);
    for (double p = 1e-300; p < 1e-12; p *= 1e7) {
        const double want = lo + sd * p * mass / gsl_ran_ugaussian_pdf(al);
        cr_assert(close_rel(cp_dist_quantile(&d, p), want, 1e-10), "p=%g: %.17g vs %.17g", p,
                  cp_dist_quantile(&d, p), want);
        const double z = gsl_cdf_ugaussian_Qinv(p), q = gsl_cdf_ugaussian_Q(z);
        const double top = sd * q * mass / gsl_ran_ugaussian_pdf(be);
        cr_assert(close_rel(hi - cp_dist_from_gaussian(&d, z), top, 1e-3) || top < 1e-15,
                  "q=%g: %.17g", q, cp_dist_from_gaussian(&d, z));
    }
    cp_dist_free(&d);
}

/* Far out in a truncation that is itself far out: the 1 - 1e-300 quantile of
 * the normal beyond 30 sd, where Q(x) ~ 1e-498 underflows. */
Test(dist, truncnormal_quantile_beyond_underflow)
{
    cp_dist d = parse_ok("truncnormal(mean=0, sd=1, min=30, max=1000)");
    const double z = gsl_cdf_ugaussian_Qinv(1e-300);
    const double x = cp_dist_from_gaussian(&d, z);
    /* log Q(x) = log(Q(z)) + log Q(30) */
    const double want_log = log(gsl_cdf_ugaussian_Q(z)) + log_Q(30);
    cr_assert(x > 40 && x < 100, "%.17g", x);
    cr_assert(close_rel(log_Q(x), want_log, 1e-13), "log Q(%.17g) = %.17g vs %.17g", x, log_Q(x),
              want_log);
    cp_dist mirror = parse_ok("truncnormal(mean=0, sd=1, min=-1000, max=-30)");
    cr_assert_eq(cp_dist_from_gaussian(&mirror, -z), -x);
    cp_dist_free(&mirror);
    cp_dist_free(&d);
}

/* ------------------------------------------------------------------------ */
/* from_gaussian                                                            */

Test(dist, from_gaussian_is_exact_for_normal_and_lognormal)
{
    cp_dist n = parse_ok("normal(mean=1.5, sd=0.25)");
    cp_dist ln = parse_ok("lognormal(mu=-0.5, sigma=0.75)");
    for (double z = -40; z <= 40; z += 0.37) {
        cr_assert_eq(cp_dist_from_gaussian(&n, z), 1.5 + 0.25 * z);
        cr_assert_eq(cp_dist_from_gaussian(&ln, z), exp(-0.5 + 0.75 * z));
    }
    cp_dist_free(&n);
    cp_dist_free(&ln);
}

/* The batch form: the scalar's bits, but for a lognormal cp_math's exp,
 * within 2 ulp of libm's. */
Test(dist, from_gaussian_n_matches_the_scalar_form)
{
    enum { N = 217 };
    const char *specs[] = {"normal(mean=1.5, sd=0.25)", "lognormal(mu=-0.5, sigma=0.75)",
                           "uniform(min=2, max=3)", "gamma(shape=2, scale=2)"};
    double z[N], x[N], scratch[N];
    for (size_t i = 0; i < N; i++)
        z[i] = -40.0 + 0.37 * (double)i;
    for (size_t k = 0; k < 4; k++) {
        cp_dist d = parse_ok(specs[k]);
        cp_dist_from_gaussian_n(&d, z, x, scratch, N);
        for (size_t i = 0; i < N; i++) {
            const double want = cp_dist_from_gaussian(&d, z[i]);
            if (d.kind != CP_DIST_LOGNORMAL) {
                cr_assert(x[i] == want || (isnan(x[i]) && isnan(want)), "%s z %g", specs[k], z[i]);
                continue;
            }
            const double ulp = nextafter(want, INFINITY) - want;
            cr_assert(fabs(x[i] - want) <= 2 * ulp, "%s z %g: %a vs %a", specs[k], z[i], x[i],
                      want);
        }
        cp_dist_free(&d);
    }
}

Test(dist, from_gaussian_agrees_with_quantile_of_phi)
{
    for (size_t i = 0; i < N_CASES; i++) {
        cp_dist d = parse_ok(cases[i]);
        for (double z = -3; z <= 3; z += 0.25) {
            const double a = cp_dist_from_gaussian(&d, z);
            const double b = cp_dist_quantile(&d, gsl_cdf_ugaussian_P(z));
            const double scale = fabs(cp_dist_mean(&d)) + sqrt(cp_dist_variance(&d));
            cr_assert_leq(fabs(a - b), 1e-9 * scale, "%s at z=%g: %.17g vs %.17g", cases[i], z, a,
                          b);
        }
        cp_dist_free(&d);
    }
}

/* Where quantile(Phi(z)) would have lost z to rounding (Phi(9) == 1 in
 * double), from_gaussian still resolves it. */
Test(dist, from_gaussian_keeps_the_upper_tail)
{
    cp_dist wide = parse_ok("truncnormal(mean=0, sd=1, min=-1e6, max=1e6)");
    for (double z = -37; z <= 37; z += 0.5)
        cr_assert(close_rel(cp_dist_from_gaussian(&wide, z), z, 1e-9) || fabs(z) < 1e-12,
                  "z=%g -> %.17g", z, cp_dist_from_gaussian(&wide, z));
    cp_dist_free(&wide);
    cp_dist g = parse_ok("gamma(shape=3, scale=2)");
    double prev = 0;
    for (double z = 8; z <= 37; z += 1) {
        const double x = cp_dist_from_gaussian(&g, z);
        cr_assert_gt(x, prev, "gamma at z=%g not above z-1", z);
        cr_assert(close_rel(gsl_cdf_gamma_Q(x, 3, 2), gsl_cdf_ugaussian_Q(z), 1e-8), "z=%g", z);
        prev = x;
    }
    cp_dist_free(&g);
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

Test(dist, parse_reads_every_kind)
{
    static const struct {
        const char *spec;
        cp_dist_kind kind;
        double p[4];
    } ok[] = {
        {"constant(value=3)", CP_DIST_CONSTANT, {3}},
        {"normal(mean=1, sd=2)", CP_DIST_NORMAL, {1, 2}},
        {"lognormal(mu=-1, sigma=0.5)", CP_DIST_LOGNORMAL, {-1, 0.5}},
        {"truncnormal(mean=1, sd=2, min=-3, max=4)", CP_DIST_TRUNCNORMAL, {1, 2, -3, 4}},
        {"beta(a=2, b=5)", CP_DIST_BETA, {2, 5}},
        {"pert(min=1, mode=2, max=6)", CP_DIST_PERT, {1, 2, 6}},
        {"triangular(min=1, mode=1, max=6)", CP_DIST_TRIANGULAR, {1, 1, 6}},
        {"gamma(shape=2, scale=0.5)", CP_DIST_GAMMA, {2, 0.5}},
        {"uniform(min=-1, max=1)", CP_DIST_UNIFORM, {-1, 1}},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cp_dist d = parse_ok(ok[i].spec);
        cr_assert_eq(d.kind, ok[i].kind, "%s", ok[i].spec);
        for (int j = 0; j < 4; j++)
            cr_assert_eq(d.p[j], ok[i].p[j], "%s p[%d]", ok[i].spec, j);
        cr_assert_null(d.values);
        const char *name = cp_dist_name(d.kind);
        cr_assert(!strncmp(ok[i].spec, name, strlen(name)) && ok[i].spec[strlen(name)] == '(',
                  "%s: name %s", ok[i].spec, name);
        cp_dist_free(&d);
    }
}

Test(dist, parse_tolerates_whitespace_and_any_order)
{
    cp_dist d = parse_ok(" \t truncnormal ( max = 5 ,\n min=0,sd =2 , mean= 1 )  \n");
    cr_assert_eq(d.kind, CP_DIST_TRUNCNORMAL);
    cr_assert_eq(d.p[0], 1);
    cr_assert_eq(d.p[1], 2);
    cr_assert_eq(d.p[2], 0);
    cr_assert_eq(d.p[3], 5);
    cp_dist_free(&d);
    d = parse_ok("normal(sd=1e-3,mean=-.5)");
    cr_assert_eq(d.p[0], -0.5);
    cr_assert_eq(d.p[1], 1e-3);
    cp_dist_free(&d);
    d = parse_ok("normal(mean=+2E2, sd=0x1p-2)");
    cr_assert_eq(d.p[0], 200);
    cr_assert_eq(d.p[1], 0.25);
    cp_dist_free(&d);
}

Test(dist, parse_empirical_text)
{
    cp_dist d = parse_ok("empirical( file = data/prices.csv , column = euv price )");
    cr_assert_eq(d.kind, CP_DIST_EMPIRICAL);
    cr_assert_str_eq(d.file, "data/prices.csv");
    cr_assert_str_eq(d.column, "euv price");
    cr_assert_eq(d.n_values, 0);
    cp_dist_free(&d);
    d = parse_ok("empirical(column=\" x, (y) \", file=\"a,b).csv\")");
    cr_assert_str_eq(d.file, "a,b).csv");
    cr_assert_str_eq(d.column, " x, (y) ");
    cp_dist_free(&d);
}

static void expect_error(const char *spec, const char *const *words)
{
    cp_dist d;
    cp_err err;
    cp_err_clear(&err);
    const int rc = cp_dist_parse(spec, &d, &err);
    cr_assert_eq(rc, CP_EINVAL, "'%s' parsed (rc %d)", spec ? spec : "(null)", rc);
    cr_assert_eq(err.code, CP_EINVAL);
    for (size_t i = 0; words[i]; i++)
        cr_assert_not_null(strstr(err.msg, words[i]), "'%s': message '%s' lacks '%s'",
                           spec ? spec : "(null)", err.msg, words[i]);
    cr_assert_null(d.values);
    cp_dist_free(&d);
}

#define EXPECT_ERROR(spec, ...) expect_error(spec, (const char *const[]){__VA_ARGS__, NULL})

Test(dist, parse_errors_name_the_distribution_and_parameter)
{
    EXPECT_ERROR("lognormal(mu=0, sigma=-0.1)",
                 "lognormal: parameter 'sigma' must be > 0 (got -0.1)");
    EXPECT_ERROR("lognormale(mu=0, sigma=1)", "unknown distribution 'lognormale'",
                 "(known: normal, lognormal, truncnormal, beta, pert, triangular, gamma, uniform, "
                 "empirical, constant)");
    EXPECT_ERROR("Normal(mean=0, sd=1)", "unknown distribution 'Normal'");
    EXPECT_ERROR("normal(mean=0)", "normal: missing parameter 'sd'");
    EXPECT_ERROR("normal()", "normal: missing parameter 'mean'");
    EXPECT_ERROR("beta(alpha=1, b=2)", "beta: unknown parameter 'alpha' (expected a, b)");
    EXPECT_ERROR("truncnormal(mean=0, sd=1, min=0, max=1, mode=0)",
                 "truncnormal: unknown parameter 'mode' (expected mean, sd, min, max)");
    EXPECT_ERROR("uniform(min=abc, max=1)", "uniform: parameter 'min': 'abc' is not a number");
    EXPECT_ERROR("uniform(min=0, max=1x)", "uniform: parameter 'max': '1x' is not a number");
    EXPECT_ERROR("uniform(min=0, max=1 2)", "'1 2' is not a number");
    EXPECT_ERROR("normal(mean=\"1\", sd=1)", "normal: parameter 'mean'", "is not a number");
    EXPECT_ERROR("normal(mean=, sd=1)", "normal: parameter 'mean' has no value");
    EXPECT_ERROR("normal(mean=0, sd=1, sd=2)", "normal: duplicate parameter 'sd'");
    EXPECT_ERROR("normal(mean 0, sd=1)", "normal: expected '=' after parameter 'mean'");
    EXPECT_ERROR("normal(mean=0, sd=1,)", "normal: expected a parameter name");
    EXPECT_ERROR("normal(=0, sd=1)", "normal: expected a parameter name");
    EXPECT_ERROR("normal(mean=0, sd=1", "normal: missing ')'");
    EXPECT_ERROR("normal mean=0, sd=1", "normal: expected '(' after the name");
    EXPECT_ERROR("normal", "normal: expected '('");
    EXPECT_ERROR("", "expected a distribution NAME(param=value, ...)");
    EXPECT_ERROR("   ", "expected a distribution");
    EXPECT_ERROR("(mean=0)", "expected a distribution");
    EXPECT_ERROR("3.5", "expected a distribution");
    EXPECT_ERROR(NULL, "no distribution");
}

Test(dist, parse_rejects_nan_infinity_and_overflow)
{
    EXPECT_ERROR("normal(mean=nan, sd=1)", "normal: parameter 'mean' must be a finite number",
                 "nan");
    EXPECT_ERROR("normal(mean=0, sd=NAN)", "normal: parameter 'sd'", "finite", "NAN");
    EXPECT_ERROR("normal(mean=inf, sd=1)", "normal: parameter 'mean'", "finite");
    EXPECT_ERROR("normal(mean=-Infinity, sd=1)", "'mean'", "finite", "-Infinity");
    EXPECT_ERROR("normal(mean=1e999, sd=1)", "'mean'", "finite", "1e999");
    EXPECT_ERROR("uniform(min=0, max=nan(123))", "uniform: parameter 'max'");
}

Test(dist, parse_rejects_trailing_garbage)
{
    EXPECT_ERROR("normal(mean=0, sd=1) x", "normal: unexpected text after ')': 'x'");
    EXPECT_ERROR("normal(mean=0, sd=1))", "unexpected text after ')'");
    EXPECT_ERROR("normal(mean=0, sd=1); normal(mean=0, sd=1)", "unexpected text after ')'");
    EXPECT_ERROR("empirical(file=\"a.csv\" junk, column=x)", "empirical: expected ',' or ')'");
}

Test(dist, parse_checks_ranges)
{
    EXPECT_ERROR("normal(mean=0, sd=0)", "normal: parameter 'sd' must be > 0 (got 0)");
    EXPECT_ERROR("normal(mean=0, sd=-1e-300)", "(got -1e-300)");
    EXPECT_ERROR("beta(a=1, b=0)", "beta: parameter 'b' must be > 0 (got 0)");
    EXPECT_ERROR("beta(a=-2, b=1)", "beta: parameter 'a' must be > 0 (got -2)");
    EXPECT_ERROR("gamma(shape=0, scale=1)", "gamma: parameter 'shape' must be > 0 (got 0)");
    EXPECT_ERROR("gamma(shape=1, scale=-2)", "gamma: parameter 'scale' must be > 0 (got -2)");
    EXPECT_ERROR("uniform(min=2, max=1)",
                 "uniform: parameter 'min' must be < 'max' (got min=2, max=1)");
    EXPECT_ERROR("uniform(min=1, max=1)", "uniform: parameter 'min' must be < 'max'");
    /* The message keeps the digits that tell the two apart. */
    EXPECT_ERROR("uniform(min=1.0000000000000002, max=1)", "min=1.0000000000000002, max=1)");
    EXPECT_ERROR("uniform(min=-1e308, max=1e308)", "uniform:", "too wide");
    EXPECT_ERROR("triangular(min=0, mode=5, max=4)",
                 "triangular: parameter 'mode' must be in [min, max] (got min=0, mode=5, max=4)");
    EXPECT_ERROR("pert(min=0, mode=-1, max=4)", "pert: parameter 'mode' must be in [min, max]");
    EXPECT_ERROR("pert(min=3, mode=3, max=3)", "pert: parameter 'min' must be < 'max'");
    EXPECT_ERROR("truncnormal(mean=0, sd=0, min=0, max=1)",
                 "truncnormal: parameter 'sd' must be > 0");
    EXPECT_ERROR("truncnormal(mean=0, sd=1, min=1, max=0)",
                 "truncnormal: parameter 'min' must be < 'max'");
    EXPECT_ERROR("truncnormal(mean=0, sd=1, min=40, max=41)", "truncnormal:", "[40, 41]", "37 sd");
    EXPECT_ERROR("truncnormal(mean=0, sd=1, min=-41, max=-40)", "truncnormal:", "37 sd");
}

Test(dist, parse_checks_empirical_text)
{
    EXPECT_ERROR("empirical(file=a.csv)", "empirical: missing parameter 'column'");
    EXPECT_ERROR("empirical(file=, column=x)", "empirical: parameter 'file' is empty");
    EXPECT_ERROR("empirical(file=a.csv, column=\"\")", "empirical: parameter 'column' is empty");
    EXPECT_ERROR("empirical(file=\"a.csv, column=x)", "empirical: parameter 'file'",
                 "unterminated quote");
    EXPECT_ERROR("empirical(file=a\"b.csv, column=x)", "empirical: parameter 'file'", "quote");
    EXPECT_ERROR("empirical(file=a.csv, column=x, sheet=1)",
                 "empirical: unknown parameter 'sheet' (expected file, column)");
    char spec[CP_DIST_PATH_MAX + 64];
    snprintf(spec, sizeof spec, "empirical(file=%0*d, column=x)", CP_DIST_PATH_MAX, 0);
    EXPECT_ERROR(spec, "empirical: parameter 'file' is too long (max 511 characters)");
    snprintf(spec, sizeof spec, "empirical(file=a, column=%0*d)", CP_DIST_NAME_MAX, 0);
    EXPECT_ERROR(spec, "empirical: parameter 'column' is too long");
    /* The longest that fit. */
    snprintf(spec, sizeof spec, "empirical(file=%0*d, column=x)", CP_DIST_PATH_MAX - 1, 0);
    cp_dist d = parse_ok(spec);
    cr_assert_eq(strlen(d.file), CP_DIST_PATH_MAX - 1);
    cp_dist_free(&d);
}

/* ------------------------------------------------------------------------ */
/* Formatting                                                               */

static void check_roundtrip(const char *spec)
{
    cp_dist d = parse_ok(spec), back;
    char buf[2048], again[2048];
    cr_assert_eq(cp_dist_format(&d, buf, sizeof buf), CP_OK, "%s", spec);
    cp_err err;
    cr_assert_eq(cp_dist_parse(buf, &back, &err), CP_OK, "%s -> %s: %s", spec, buf, err.msg);
    cr_assert_eq(back.kind, d.kind, "%s -> %s", spec, buf);
    cr_assert_eq(memcmp(back.p, d.p, sizeof d.p), 0, "%s -> %s: parameters differ", spec, buf);
    cr_assert_str_eq(back.file, d.file);
    cr_assert_str_eq(back.column, d.column);
    cr_assert_eq(cp_dist_format(&back, again, sizeof again), CP_OK);
    cr_assert_str_eq(buf, again);
    cp_dist_free(&d);
    cp_dist_free(&back);
}

Test(dist, format_parses_back_identically)
{
    for (size_t i = 0; i < N_CASES; i++)
        check_roundtrip(cases[i]);
    check_roundtrip("normal(mean=0.1, sd=0.30000000000000004)");
    check_roundtrip("normal(mean=-0, sd=4.9406564584124654e-324)");
    check_roundtrip("uniform(min=-1.7976931348623157e308, max=-1e308)");
    check_roundtrip("pert(min=-3.141592653589793, mode=2.718281828459045, max=123456789.123)");
    check_roundtrip("gamma(shape=1e-300, scale=1e300)");
    check_roundtrip("empirical(file=data/a.csv, column=price)");
    check_roundtrip("empirical(file=\"a, b (2).csv\", column=\" spaced \")");
    check_roundtrip("empirical(file=x=y.csv, column=z)");
}

Test(dist, format_writes_the_canonical_form)
{
    cp_dist d = parse_ok("  normal( sd = 2 , mean=1 ) ");
    char buf[128];
    cr_assert_eq(cp_dist_format(&d, buf, sizeof buf), CP_OK);
    cr_assert_str_eq(buf, "normal(mean=1, sd=2)");
    cp_dist_free(&d);
    d = parse_ok("lognormal(mu=0.1, sigma=1)");
    cr_assert_eq(cp_dist_format(&d, buf, sizeof buf), CP_OK);
    cr_assert_str_eq(buf, "lognormal(mu=0.1, sigma=1)", "the shortest exact spelling");
    cp_dist_free(&d);
    /* A number that needs all 17 digits keeps them. */
    d = parse_ok("lognormal(mu=0.10000000000000002, sigma=1)");
    cr_assert_eq(cp_dist_format(&d, buf, sizeof buf), CP_OK);
    cr_assert_str_eq(buf, "lognormal(mu=0.10000000000000002, sigma=1)");
    cp_dist_free(&d);
}

Test(dist, format_reports_a_short_buffer)
{
    cp_dist d = parse_ok("normal(mean=1, sd=2)");
    char buf[32];
    const size_t need = strlen("normal(mean=1, sd=2)");
    for (size_t cap = 1; cap <= need; cap++) {
        memset(buf, 'x', sizeof buf);
        cr_assert_eq(cp_dist_format(&d, buf, cap), CP_EINVAL, "cap %zu", cap);
        cr_assert_lt(strlen(buf), cap, "cap %zu: not terminated", cap);
    }
    cr_assert_eq(cp_dist_format(&d, buf, need + 1), CP_OK);
    cr_assert_eq(cp_dist_format(&d, buf, 0), CP_EINVAL);
    cp_dist_free(&d);
    d = parse_ok("empirical(file=a, column=b)");
    strcpy(d.file, "a\"b");
    cr_assert_eq(cp_dist_format(&d, buf, sizeof buf), CP_EINVAL);
    cp_dist_free(&d);
}

Test(dist, names)
{
    cr_assert_str_eq(cp_dist_name(CP_DIST_CONSTANT), "constant");
    cr_assert_str_eq(cp_dist_name(CP_DIST_NORMAL), "normal");
    cr_assert_str_eq(cp_dist_name(CP_DIST_LOGNORMAL), "lognormal");
    cr_assert_str_eq(cp_dist_name(CP_DIST_TRUNCNORMAL), "truncnormal");
    cr_assert_str_eq(cp_dist_name(CP_DIST_BETA), "beta");
    cr_assert_str_eq(cp_dist_name(CP_DIST_PERT), "pert");
    cr_assert_str_eq(cp_dist_name(CP_DIST_TRIANGULAR), "triangular");
    cr_assert_str_eq(cp_dist_name(CP_DIST_GAMMA), "gamma");
    cr_assert_str_eq(cp_dist_name(CP_DIST_UNIFORM), "uniform");
    cr_assert_str_eq(cp_dist_name(CP_DIST_EMPIRICAL), "empirical");
    cr_assert_str_eq(cp_dist_name((cp_dist_kind)99), "unknown");
}

/* ------------------------------------------------------------------------ */
/* Empirical                                                                */

static cp_dist empirical_with(const double *v, size_t n)
{
    cp_dist d = parse_ok("empirical(file=prices.csv, column=p)");
    cp_err err;
    cr_assert_eq(cp_dist_set_empirical(&d, v, n, &err), CP_OK, "%s", err.msg);
    return d;
}

Test(dist, empirical_sorts_and_has_moments_with_divisor_n)
{
    const double v[] = {5, 1, 4, 2, 3, 3};
    cp_dist d = empirical_with(v, 6);
    cr_assert_eq(d.n_values, 6);
    const double sorted[] = {1, 2, 3, 3, 4, 5};
    cr_assert_eq(memcmp(d.values, sorted, sizeof sorted), 0);
    cr_assert_neq(d.values, v);
    cr_assert_eq(cp_dist_mean(&d), 3);
    cr_assert(close_rel(cp_dist_variance(&d), 10.0 / 6, 1e-15));
    cp_dist_free(&d);
    cr_assert_null(d.values);
    cr_assert_eq(d.n_values, 0);
}

Test(dist, empirical_quantile_picks_the_sorted_value_at_floor_un)
{
    const double v[] = {50, 10, 40, 20, 30};
    cp_dist d = empirical_with(v, 5);
    cr_assert_eq(cp_dist_quantile(&d, 0), 10);
    cr_assert_eq(cp_dist_quantile(&d, 1e-300), 10);
    cr_assert_eq(cp_dist_quantile(&d, 0.2 - 1e-12), 10);
    cr_assert_eq(cp_dist_quantile(&d, 0.2), 20);
    cr_assert_eq(cp_dist_quantile(&d, 0.5), 30);
    cr_assert_eq(cp_dist_quantile(&d, 0.8 - 1e-12), 40);
    cr_assert_eq(cp_dist_quantile(&d, 1 - 1e-16), 50);
    cr_assert_eq(cp_dist_quantile(&d, 1), 50);
    cr_assert(isnan(cp_dist_quantile(&d, 1.5)));
    cr_assert_eq(cp_dist_from_gaussian(&d, -40), 10);
    cr_assert_eq(cp_dist_from_gaussian(&d, 40), 50);
    cr_assert_eq(cp_dist_from_gaussian(&d, 0), 30);
    cp_dist_free(&d);
}

Test(dist, empirical_resampling_moments_and_frequencies)
{
    double v[40];
    for (int i = 0; i < 40; i++)
        v[i] = (i * 37 % 40) * (i % 3 ? 1.0 : 10.0) - 50.0; /* skewed, with ties */
    cp_dist d = empirical_with(v, 40);
    for (path how = PATH_SAMPLE; how <= PATH_GAUSSIAN; how++) {
        gsl_rng *r = cp_rng_alloc(5 + how);
        moments m = {0, 0, 0};
        unsigned long count[40] = {0};
        for (long k = 0; k < N_DRAWS; k++) {
            const double x = draw(&d, r, how);
            size_t j = 0;
            while (j < 40 && d.values[j] != x)
                j++;
            cr_assert_lt(j, 40, "draw %g is not a stored value", x);
            count[j]++;
            mom_add(&m, x);
        }
        check_moments("empirical", "resampling", &m, &d);
        /* Every stored value equally likely: chi-square over the 40 slots
         * after merging ties into their first slot, alpha 1e-6. */
        double x2 = 0;
        int bins = 0;
        for (size_t j = 0; j < 40;) {
            size_t k = j;
            unsigned long c = 0;
            while (k < 40 && d.values[k] == d.values[j])
                c += count[k++];
            const double e = (double)N_DRAWS * (double)(k - j) / 40.0;
            x2 += (c - e) * (c - e) / e;
            bins++;
            j = k;
        }
        cr_assert_lt(x2, gsl_cdf_chisq_Qinv(1e-6, bins - 1), "path %d: chi-square %g", how, x2);
        gsl_rng_free(r);
    }
    cp_dist_free(&d);
}

Test(dist, empirical_single_value_and_no_values)
{
    const double one = 7.5;
    cp_dist d = empirical_with(&one, 1);
    gsl_rng *r = cp_rng_alloc(1);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(cp_dist_sample(&d, r), 7.5);
    cr_assert_eq(cp_dist_quantile(&d, 0.3), 7.5);
    cr_assert_eq(cp_dist_variance(&d), 0);
    cp_dist_free(&d);
    d = parse_ok("empirical(file=a.csv, column=b)");
    cr_assert(isnan(cp_dist_sample(&d, r)));
    cr_assert(isnan(cp_dist_quantile(&d, 0.5)));
    cr_assert(isnan(cp_dist_mean(&d)));
    cr_assert(isnan(cp_dist_variance(&d)));
    gsl_rng_free(r);
    cp_dist_free(&d);
}

Test(dist, empirical_set_errors)
{
    cp_dist d = parse_ok("empirical(file=prices.csv, column=p)");
    cp_err err;
    const double bad[] = {1, NAN, 3}, inf[] = {INFINITY}, good[] = {2, 1};
    cr_assert_eq(cp_dist_set_empirical(&d, good, 0, &err), CP_EINVAL);
    cr_assert_not_null(strstr(err.msg, "no values"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "prices.csv"), "%s", err.msg);
    cr_assert_eq(cp_dist_set_empirical(&d, bad, 3, &err), CP_EINVAL);
    cr_assert_not_null(strstr(err.msg, "value 2"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "not finite"), "%s", err.msg);
    cr_assert_eq(cp_dist_set_empirical(&d, inf, 1, &err), CP_EINVAL);
    cr_assert_null(d.values);
    /* Setting twice replaces (and frees: ASan would see a leak). */
    cr_assert_eq(cp_dist_set_empirical(&d, good, 2, &err), CP_OK);
    cr_assert_eq(cp_dist_set_empirical(&d, bad, 1, &err), CP_OK);
    cr_assert_eq(d.n_values, 1);
    cr_assert_eq(d.values[0], 1);
    cp_dist_free(&d);
    cp_dist n = parse_ok("normal(mean=0, sd=1)");
    cr_assert_eq(cp_dist_set_empirical(&n, good, 2, &err), CP_EINVAL);
    cr_assert_not_null(strstr(err.msg, "normal"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "empirical"), "%s", err.msg);
    cp_dist_free(&n);
}

/* ------------------------------------------------------------------------ */
/* Copy                                                                     */

Test(dist, copy_is_deep)
{
    const double v[] = {3, 1, 2};
    cp_dist src = empirical_with(v, 3), dst;
    cp_err err;
    cr_assert_eq(cp_dist_copy(&dst, &src, &err), CP_OK);
    cr_assert_neq(dst.values, src.values);
    cr_assert_eq(dst.n_values, 3);
    cr_assert_str_eq(dst.file, "prices.csv");
    cr_assert_str_eq(dst.column, "p");
    src.values[0] = 99;
    cp_dist_free(&src);
    cr_assert_eq(dst.values[0], 1);
    cr_assert_eq(dst.values[2], 3);
    cr_assert_eq(cp_dist_mean(&dst), 2);
    cp_dist_free(&dst);

    cp_dist a = parse_ok("pert(min=1, mode=2, max=5)"), b;
    cr_assert_eq(cp_dist_copy(&b, &a, &err), CP_OK);
    cr_assert_eq(b.kind, CP_DIST_PERT);
    cr_assert_eq(memcmp(a.p, b.p, sizeof a.p), 0);
    cr_assert_null(b.values);
    cr_assert_eq(cp_dist_copy(&a, &a, &err), CP_OK);
    cp_dist_free(&a);
    cp_dist_free(&b);
}

/* ------------------------------------------------------------------------ */
/* Determinism through the generator                                        */

Test(dist, samples_are_a_function_of_the_position)
{
    cp_dist d = parse_ok("gamma(shape=0.7, scale=2)");
    gsl_rng *a = cp_rng_alloc(3), *b = cp_rng_alloc(3);
    double first[50];
    cp_rng_seek(a, 10, 20, 30);
    for (int i = 0; i < 50; i++)
        first[i] = cp_dist_sample(&d, a);
    for (int i = 0; i < 17; i++)
        cp_dist_sample(&d, b);
    cp_rng_seek(b, 10, 20, 30);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(cp_dist_sample(&d, b), first[i]);
    gsl_rng_free(a);
    gsl_rng_free(b);
    cp_dist_free(&d);
}
