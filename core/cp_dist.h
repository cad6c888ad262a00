/* cp_dist.h -- the probability distributions a scenario can give a shock,
 * an event's duration or its severity.  Each is a plain value (cp_dist) with
 * functions over it: sample with any gsl_rng, the quantile function (for the
 * Gaussian copula), and the analytic mean and variance (for tests and docs).
 *
 * A distribution is written in a scenario as NAME(param=value, ...):
 *   normal(mean=, sd=)                    sd > 0
 *   lognormal(mu=, sigma=)                of log x; sigma > 0
 *   truncnormal(mean=, sd=, min=, max=)   normal restricted to [min, max]; min < max
 *   beta(a=, b=)                          on [0, 1]; a, b > 0
 *   pert(min=, mode=, max=)               beta-PERT (lambda 4); min <= mode <= max, min < max
 *   triangular(min=, mode=, max=)         min <= mode <= max, min < max
 *   gamma(shape=, scale=)                 shape, scale > 0
 *   uniform(min=, max=)                   min < max
 *   empirical(file=, column=)             resampling of the values in a CSV column
 *   constant(value=)                      always value
 * Sampling uses GSL's samplers (gsl_ran_*); quantiles use GSL's gsl_cdf_*_Pinv
 * where it has them.
 */
#ifndef CP_DIST_H
#define CP_DIST_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "cp_error.h"

typedef enum cp_dist_kind {
    CP_DIST_CONSTANT,
    CP_DIST_NORMAL,
    CP_DIST_LOGNORMAL,
    CP_DIST_TRUNCNORMAL,
    CP_DIST_BETA,
    CP_DIST_PERT,
    CP_DIST_TRIANGULAR,
    CP_DIST_GAMMA,
    CP_DIST_UNIFORM,
    CP_DIST_EMPIRICAL
} cp_dist_kind;

#define CP_DIST_PATH_MAX 512
#define CP_DIST_NAME_MAX 64

typedef struct cp_dist {
    cp_dist_kind kind;
    double p[4];                   /* parameters, in the order listed above */
    char file[CP_DIST_PATH_MAX];   /* empirical: the file as written */
    char column[CP_DIST_NAME_MAX]; /* empirical: the column */
    double *values;                /* empirical: sorted values, owned */
    size_t n_values;
} cp_dist;

/* Parses "NAME(k=v, ...)" into d.  Errors name the distribution and the
 * parameter: unknown name, unknown/missing/duplicate parameter, text where a
 * number belongs, NaN or infinity, a value out of range.  For empirical, only
 * file and column are recorded; the caller loads the values with
 * cp_dist_set_empirical.  d needs cp_dist_free afterwards. */
int cp_dist_parse(const char *spec, cp_dist *d, cp_err *err);

/* Gives an empirical distribution its values (copied and sorted); at least
 * one value, all finite. */
int cp_dist_set_empirical(cp_dist *d, const double *values, size_t n, cp_err *err);

void cp_dist_free(cp_dist *d);

/* A deep copy (empirical values included). */
int cp_dist_copy(cp_dist *dst, const cp_dist *src, cp_err *err);

/* One draw using GSL's sampler for the distribution. */
double cp_dist_sample(const cp_dist *d, gsl_rng *r);

/* The quantile function F^-1(u) for u in (0, 1). */
double cp_dist_quantile(const cp_dist *d, double u);

/* F^-1(Phi(z)): maps a standard normal z to the distribution (the Gaussian
 * copula's last step).  Exact and fast for normal (mean + sd z) and
 * lognormal (exp(mu + sigma z)); for the others Phi(z) is taken from the
 * tail that keeps its precision, so large |z| keeps its meaning. */
double cp_dist_from_gaussian(const cp_dist *d, double z);

/* x[i] = cp_dist_from_gaussian(d, z[i]) for i < n, for the model's lanes:
 * the same bits, except that a lognormal's exps are cp_math_exp_n's, all at
 * once (within 2 ulp of libm's, and the same on every machine).  scratch
 * holds n doubles; x and scratch overlap nothing. */
void cp_dist_from_gaussian_n(const cp_dist *d, const double *z, double *restrict x,
                             double *restrict scratch, size_t n);

/* The analytic mean and variance (for empirical: of the listed values,
 * variance with divisor n). */
double cp_dist_mean(const cp_dist *d);
double cp_dist_variance(const cp_dist *d);

/* The distribution's name as written in a scenario ("lognormal"). */
const char *cp_dist_name(cp_dist_kind kind);

/* Writes the distribution back as "NAME(k=v, ...)" (shortest numbers that read back exactly). */
int cp_dist_format(const cp_dist *d, char *buf, size_t cap);

#endif
