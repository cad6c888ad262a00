/* cp_ztable.c -- see cp_ztable.h. */
#include "cp_ztable.h"
#include "cp_error.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>

#define INV_SQRT_2PI 0.39894228040143267794
#define Z_MAX 8.0
#define Z_STEP (2.0 * Z_MAX / CP_ZTABLE_STEPS) /* 1/64: exact in binary */
/* The guess is taken when its CDF is this close (relative to the tail
 * probability): one Newton step then leaves an error of order its square,
 * below rounding. */
#define GUESS_TOLERANCE 1e-8

/* The beta density at y in (0, 1); 0 or infinite at the ends. */
static double density(const cp_ztable *t, double y)
{
    return exp((t->a - 1.0) * log(y) + (t->b - 1.0) * log1p(-y) - t->lnbeta);
}

int cp_ztable_init(cp_ztable *t, const cp_dist *d)
{
    *t = (cp_ztable){.a = 0};
    if (d->kind == CP_DIST_BETA) {
        t->a = d->p[0];
        t->b = d->p[1];
        t->lo = 0;
        t->span = 1;
    } else if (d->kind == CP_DIST_PERT) {
        const double w = d->p[2] - d->p[0];
        t->a = 1.0 + 4.0 * (d->p[1] - d->p[0]) / w;
        t->b = 1.0 + 4.0 * (d->p[2] - d->p[1]) / w;
        t->lo = d->p[0];
        t->span = w;
    } else
        return CP_OK;
    t->lnbeta = gsl_sf_lnbeta(t->a, t->b);
    t->y = malloc(2 * (CP_ZTABLE_STEPS + 1) * sizeof *t->y);
    if (!t->y)
        return CP_ENOMEM;
    t->dy = t->y + CP_ZTABLE_STEPS + 1;
    for (size_t k = 0; k <= CP_ZTABLE_STEPS; k++) {
        const double z = -Z_MAX + (double)k * Z_STEP;
        const double y = (cp_dist_from_gaussian(d, z) - t->lo) / t->span;
        const double slope = INV_SQRT_2PI * exp(-0.5 * z * z) / density(t, y);
        t->y[k] = y;
        /* At an end where the density is infinite or 0 the slope is not
         * usable; the guess there fails its check and the exact path runs. */
        t->dy[k] = isfinite(slope) ? slope : 0.0;
    }
    return CP_OK;
}

void cp_ztable_free(cp_ztable *t)
{
    free(t->y);
    *t = (cp_ztable){.a = 0};
}

/* The table's guess at z, |z| < Z_MAX: cubic Hermite on the interval. */
static double guess(const cp_ztable *t, double z)
{
    const double u = (z + Z_MAX) / Z_STEP;
    size_t k = (size_t)u;
    k = k < CP_ZTABLE_STEPS ? k : CP_ZTABLE_STEPS - 1;
    const double s = u - (double)k, s2 = s * s, s3 = s2 * s;
    const double h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2,
                 h11 = s3 - s2;
    return h00 * t->y[k] + h10 * Z_STEP * t->dy[k] + h01 * t->y[k + 1] +
           h11 * Z_STEP * t->dy[k + 1];
}

/* y from one Newton step off the guess, or NAN if the guess is not close
 * enough.  Below the median from the lower tail (P), above from the upper
 * (Q), as cp_dist_from_gaussian inverts them. */
static double refine(const cp_ztable *t, double z)
{
    if (!(fabs(z) < Z_MAX))
        return NAN;
    const double y0 = guess(t, z);
    if (!(y0 > 0 && y0 < 1))
        return NAN;
    const double f = density(t, y0);
    double y1;
    if (z < 0) {
        const double p = gsl_cdf_ugaussian_P(z), r = gsl_cdf_beta_P(y0, t->a, t->b) - p;
        if (!(fabs(r) <= GUESS_TOLERANCE * p))
            return NAN;
        y1 = y0 - r / f;
    } else {
        const double q = gsl_cdf_ugaussian_Q(z), r = gsl_cdf_beta_Q(y0, t->a, t->b) - q;
        if (!(fabs(r) <= GUESS_TOLERANCE * q))
            return NAN;
        y1 = y0 + r / f;
    }
    return y1 >= 0 && y1 <= 1 ? y1 : NAN;
}

size_t cp_ztable_map(const cp_ztable *t, const cp_dist *d, const double *z, double *restrict x,
                     size_t n)
{
    size_t exact = 0;
    for (size_t i = 0; i < n; i++) {
        const double y = t->y ? refine(t, z[i]) : NAN;
        if (isnan(y)) {
            x[i] = cp_dist_from_gaussian(d, z[i]);
            exact++;
        } else
            x[i] = t->lo + t->span * y;
    }
    return exact;
}
