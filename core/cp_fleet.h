/* cp_fleet.h -- accelerators by vintage, and the market that ships them.
 *
 * A fleet is one deploy node's accelerators for CP_MODEL_LANES samples side
 * by side, kept by cohort: the quarter c in which they were shipped.  Each
 * cohort keeps the FLOP/s and watts of its quarter, ages from shipment
 * whether it waits for power or is installed, and survives to age a with
 * the probability S(a) of a Weibull lifetime (cp_fleet_survival).  Counts
 * are kept in age-0 units (a cohort's surviving accelerators divided by
 * S(age)), so ageing needs no update: the accelerators alive at t are the
 * stored count times S(t - c).
 *
 * A market ships a capacity against its buyers' orders of the quarter
 * before, shares it when short, and resells what buyers return
 * (cp_fleet_market).  The equations are in inputs/README.md.
 *
 * Pure functions of their arguments: no allocation after cp_fleet_alloc.
 */
#ifndef CP_FLEET_H
#define CP_FLEET_H

#include <stddef.h>
#include <stdint.h>

/* What a fleet's quarter depends on that does not vary by lane. */
typedef struct cp_fleet_spec {
    size_t T;                /* quarters */
    const double *surv;      /* S(a), a = 0 .. T + 1 */
    const double *surv_init; /* the starting fleet: S(a0 + t) / S(a0), t = 0 .. T + 1 */
    double fleet0, flops0, watts0; /* the starting fleet: accelerators, FLOP/s and W each */
} cp_fleet_spec;

/* Survival of a Weibull lifetime with the given mean (quarters) and shape,
 * at ages offset + 0, 1, .. n - 1, relative to the age offset. */
void cp_fleet_survival(double mean, double shape, double offset, size_t n, double *out);

/* One fleet's state, lanes side by side ([c * lanes + l] for cohorts). */
typedef struct cp_fleet {
    double *inst;        /* installed, age-0 units, per cohort */
    double *wait;        /* waiting for power, age-0 units, per cohort */
    double *flops;       /* FLOP/s of one accelerator of the cohort */
    double *watts;       /* W of one accelerator of the cohort */
    double *power_prev;  /* power available last quarter (MW), per lane */
    double *orders;      /* this quarter's orders, per lane (>= 0) */
    double *buffer;      /* what it wants left waiting at the end of the quarter */
    /* The installed fleet at the start of the quarter, per lane: its
     * accelerators, FLOP/s, watts, the watts still alive next quarter, and
     * the accelerators waiting. */
    double *sum_fleet, *sum_flops, *sum_watts, *sum_watts_next, *sum_waiting;
    size_t planned;      /* t + 1 once quarter t's orders are placed */
    double *arrived;     /* new accelerators delivered by the market this quarter, per lane */
    double *resold;      /* returned accelerators it resold to this fleet this quarter */
    double *ordered;     /* what the market was asked for this quarter, per lane */
    uint8_t *capped;     /* 1: the import limit cut this quarter's delivery */
    size_t lanes, T;
} cp_fleet;

int cp_fleet_alloc(cp_fleet *f, size_t T, size_t lanes);
void cp_fleet_free(cp_fleet *f);
/* The starting state: nothing waiting, nothing installed but the starting
 * fleet (which cp_fleet_spec describes). */
void cp_fleet_reset(cp_fleet *f);

/* A deploy node's inputs in quarter t, lane by lane. */
typedef struct cp_fleet_in {
    const double *units;    /* delivered this quarter by inputs other than a market */
    const double *power;    /* MW of AI power available */
    const double *flops;    /* FLOP/s of an accelerator shipped this quarter */
    const double *watts;    /* W of one */
    const double *pue;      /* PUE of the halls (per lane: it may be shocked) */
    double horizon;         /* order_horizon, quarters */
    double buffer;          /* inventory_target, quarters of expected installations */
    int has_market;         /* 0: surplus stays waiting */
} cp_fleet_in;

typedef struct cp_fleet_out {
    double *fleet, *flops, *power_used, *waiting, *installed, *orders, *target, *unfilled,
        *waiting_age, *received;
    double *surplus; /* accelerators returned to the market (age-0 units go to pool) */
    uint8_t *bound;  /* CP_FLEET_BOUND_* */
} cp_fleet_out;

enum { CP_FLEET_BOUND_POWER, CP_FLEET_BOUND_SHORT, CP_FLEET_BOUND_CAPPED, CP_FLEET_BOUND_ORDERS };

/* Places quarter t's orders (f->orders): what the power available now and
 * the growth expected within the horizon can take, plus the buffer, less
 * what waits.  cp_fleet_step calls it if the market has not. */
void cp_fleet_plan(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                   const cp_fleet_in *in);

/* Quarter t: deliveries join, accelerators are installed oldest first while
 * the power lasts, and what waits beyond the buffer goes back to the pool
 * of the market (age-0 units per cohort, [c * lanes + l]); pool is NULL
 * without a market. */
void cp_fleet_step(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                   const cp_fleet_in *in, double *pool, const cp_fleet_out *out);

/* A market's quarter t: ships capacity[l] against its buyers' orders
 * (fleets[i]->orders, placed by cp_fleet_plan), each buyer's share capped
 * at limit[i] x capacity and all shared pro rata when short; what is still
 * short is filled from the pool of returned accelerators.  Sets each
 * buyer's arrived, resold, ordered and capped, and moves resold cohorts
 * from pool into the buyers' waiting cohorts.  surv: the buyers' survival
 * (they share one).  want: scratch of n_buyers x lanes. */
void cp_fleet_market(size_t t, size_t n, const double *capacity, cp_fleet *const *fleets,
                     const double *limit, size_t n_buyers,
                     const double *surv, double *pool, double *shipped, double *idle,
                     double *unsold, double *scratch);

#endif
