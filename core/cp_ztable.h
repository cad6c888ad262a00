/* cp_ztable.h -- a distribution at a normal score, fast: x = F^-1(Phi(z))
 * for the kinds whose exact inversion is slow (beta and pert, about 2 us
 * each through GSL's iterations).
 *
 * A table of the beta variable y(z) at 1/64 steps of z over [-8, 8] (exact
 * quantiles, and dy/dz = phi(z) / f(y)) gives a cubic Hermite guess; one
 * Newton step on GSL's exact CDF, from the tail that keeps its precision,
 * takes it to the quantile.  Where the guess's CDF misses Phi(z) by more
 * than 1e-8 of the tail probability (beyond the table, or a shape the
 * table cannot follow), the exact cp_dist_from_gaussian is used instead.
 * Every step is plain IEEE arithmetic and GSL: the same bits on every
 * machine and compiler, and within a few ulp of cp_dist_from_gaussian. */
#ifndef CP_ZTABLE_H
#define CP_ZTABLE_H

#include "cp_dist.h"

#include <stddef.h>

typedef struct cp_ztable {
    double a, b;     /* the beta shape (pert's, from min, mode and max) */
    double lo, span; /* x = lo + span y (beta: 0 and 1) */
    double lnbeta;   /* ln B(a, b), for the density */
    double *y, *dy;  /* at z = -8 + k / 64, k = 0 .. CP_ZTABLE_STEPS; NULL: no table */
} cp_ztable;

#define CP_ZTABLE_STEPS 1024

/* Builds d's table; for a kind that gains nothing (every kind but beta
 * and pert) leaves t without one, which cp_ztable_map then passes to
 * cp_dist_from_gaussian.  CP_ENOMEM on failure. */
int cp_ztable_init(cp_ztable *t, const cp_dist *d);
void cp_ztable_free(cp_ztable *t);

/* x[i] = F^-1(Phi(z[i])) of d (the distribution t was built from) for
 * i < n.  Returns how many took the exact path (for the tests). */
size_t cp_ztable_map(const cp_ztable *t, const cp_dist *d, const double *z, double *restrict x,
                     size_t n);

#endif
