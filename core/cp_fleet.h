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
 * Each quarter a fleet orders (cp_fleet_plan) what the power it has and
 * expects can take, a market ships capacity against its buyers' orders and
 * resells what buyers returned (cp_fleet_market), and the fleet installs
 * what the power allows, oldest first, returning what waits beyond its
 * buffer to the market's pool (cp_fleet_step).  When the power is used up,
 * accelerators far less efficient than this quarter's bought ones
 * (replace_below) are retired early to make room for the bought ones
 * waiting: a power-bound operator fills its megawatts with the newest
 * chips it can get.  The equations are in inputs/README.md.
 *
 * A fleet may also receive accelerators of its own (from `stream` nodes:
 * a domestic chain, a buyer's custom chips) with FLOP/s and watts of their
 * own.  It takes them first, as far as its orders would go (counting them
 * as the bought accelerators of the quarter that draw the same watts),
 * and orders the rest from its market; they wait in cohorts of their own beside the
 * bought ones, are installed first among accelerators of the same age,
 * and never go back to the market's pool.  Where the power is used up and
 * no bought accelerator waits that is as good per watt as its own, its
 * own (waiting, then those on offer it did not take) replace what is far
 * less efficient than this quarter's own ones.
 *
 * Under a thermal limit (liquid-cooled power and the share of each
 * quarter's watts that need it, kept per cohort), accelerators that need
 * liquid-cooled racks are installed only within the liquid-cooled
 * headroom, and the fleet orders for the power it can fill.
 *
 * Pure functions of their arguments: no allocation after cp_fleet_alloc.
 */
#ifndef CP_FLEET_H
#define CP_FLEET_H

#include <stddef.h>
#include <stdint.h>

/* Shares below this are rounding left by differences of near-equal
 * numbers, not accelerators or megawatts: reports under it are 0. */
#define CP_FLEET_TINY 1e-9

/* The most vintages a starting fleet has: the deploy node's own and up to
 * three from `vintage` nodes. */
#define CP_FLEET_STARTS 4

/* One vintage of the starting fleet, a0 quarters old at the start. */
typedef struct cp_fleet_start {
    double units, flops, watts; /* accelerators, FLOP/s and W each */
    const double *surv;         /* S(a0 + t) / S(a0), t = 0 .. T + 1 */
} cp_fleet_start;

/* What a fleet's quarter depends on that does not vary by lane. */
typedef struct cp_fleet_spec {
    size_t T;           /* quarters */
    const double *surv; /* S(a), a = 0 .. T + 1 */
    size_t n_start;     /* vintages of the starting fleet, 1 .. CP_FLEET_STARTS */
    /* The starting fleet, oldest first (the order replacement retires it in). */
    cp_fleet_start start[CP_FLEET_STARTS];
    int own;     /* 1: it receives accelerators of its own (streams) */
    int thermal; /* 1: a thermal limit (liquid-cooled MW and the share that need them) */
} cp_fleet_spec;

/* Survival of a Weibull lifetime with the given mean (quarters) and shape,
 * at ages offset + 0, 1, .. n - 1, relative to the age offset. */
void cp_fleet_survival(double mean, double shape, double offset, size_t n, double *out);

/* One fleet's state, lanes side by side ([c * lanes + l] for cohorts). */
typedef struct cp_fleet {
    double *inst;          /* installed, age-0 units, per cohort */
    double *inst_flops;    /* inst x the cohort's FLOP/s each */
    double *inst_watts;    /* inst x the cohort's W each */
    double *wait;          /* waiting for power, age-0 units, per cohort */
    double *flops, *watts; /* FLOP/s and W of one accelerator of the cohort */
    /* Its own accelerators (NULL without streams): waiting, age-0 units,
     * and the FLOP/s and W of one, per cohort. */
    double *own_wait, *own_flops, *own_watts;
    /* The share of a cohort's watts that need liquid-cooled racks (NULL
     * without a thermal limit), per cohort; its own share their cohort's. */
    double *need;
    double *own_share;    /* per lane: the share it takes of its own on offer this quarter */
    double *own_waiting;  /* per lane: its own accelerators waiting (scratch of a quarter) */
    double *own_eq;       /* per lane: the same, as bought ones of equal watts (scratch) */
    uint16_t *first_wait; /* per lane: nothing waits in older cohorts */
    /* per vintage and lane ([v * lanes + l]): the starting vintage's
     * multiplier (of its units), less what was replaced */
    double *start;
    /* Replacement's scratch, per lane: the waiting watts it may make room
     * for, the watts it freed, the liquid-cooled room left for it. */
    double *renew_want, *renew_freed, *renew_budget;
    double *renew_end; /* per lane: 1 + its newest obsolete cohort (0: none), from the plan */
    /* Replacement by its own, per lane (from the plan to the step): the
     * FLOP/s and W of one of its own on offer, the W installed that they
     * make obsolete and 1 + the newest such cohort (0: none), the watts
     * of its own waiting, and how many it retired. */
    double *own_each_flops, *own_each_watts, *own_obsolete, *own_end, *own_waiting_w, *own_replaced;
    /* The installation's scratch, per lane: the oldest cohort with any
     * waiting, 1 while every cohort walked so far was empty, and for the
     * cohort at hand 1 where the walk goes on and where it skips it. */
    double *walk_first, *walk_skip, *walk_go, *walk_still;
    double *obsolete;   /* per lane: W of installed accelerators this quarter's make
                         * obsolete (replace_below) that can be replaced, less those
                         * replaced so far */
    double *power_prev; /* power available last quarter (MW), per lane */
    double *orders;     /* this quarter's orders, per lane (>= 0) */
    double *buffer;     /* what it wants left waiting at the end of the quarter */
    double *arrived;    /* new accelerators the market delivered this quarter */
    double *resold;     /* returned accelerators the market resold to it */
    double *ordered;    /* what it asked the market for */
    uint8_t *capped;    /* 1: its import limit cut this quarter's delivery */
    /* The fleet at the start of the quarter, per lane: accelerators
     * installed, their FLOP/s and watts, the watts still alive next
     * quarter, and the accelerators waiting. */
    double *sum_fleet, *sum_flops, *sum_watts, *sum_watts_next, *sum_waiting;
    /* With a thermal limit (else NULL), per lane: the installed watts that
     * need liquid-cooled racks at the start of the quarter; the MW it can
     * fill this quarter (its power, less what only air-cooled racks could
     * use); the liquid-cooled headroom (W, scratch of cp_fleet_step). */
    double *sum_liquid, *hostable, *liquid_room;
    /* With a thermal limit and replacement, per lane: 1 where the
     * liquid-cooled room held back this quarter's replacements. */
    uint8_t *renew_cut;
    size_t planned; /* t + 1 once quarter t's orders are placed */
    size_t lanes, T;
} cp_fleet;

/* own, thermal: as in cp_fleet_spec. */
int cp_fleet_alloc(cp_fleet *f, size_t T, size_t lanes, int own, int thermal);
void cp_fleet_free(cp_fleet *f);
/* The starting state: nothing waiting and nothing installed but the
 * starting fleet (which cp_fleet_spec describes). */
void cp_fleet_reset(cp_fleet *f);

/* A market's pool of accelerators returned by its buyers, not yet resold:
 * age-0 units per cohort, [c * lanes + l]. */
typedef struct cp_fleet_pool {
    double *units;
    size_t first; /* no lane has anything in older cohorts */
} cp_fleet_pool;

/* A deploy node's inputs in quarter t, lane by lane. */
typedef struct cp_fleet_in {
    const double *units; /* delivered this quarter by inputs other than a market */
    const double *power; /* MW of AI power available */
    const double *flops; /* FLOP/s of an accelerator shipped this quarter */
    const double *watts; /* W of one */
    const double *pue;   /* PUE of the halls (per lane: it may be shocked) */
    /* The starting fleet's multipliers, read in quarter 0 (NULL: 1): the
     * whole fleet's, and each vintage's (as cp_fleet_spec orders them). */
    const double *start, *start_each[CP_FLEET_STARTS];
    /* Its own accelerators on offer this quarter (NULL without streams):
     * how many, and their FLOP/s and W in all. */
    const double *own_units, *own_flops, *own_watts;
    /* The thermal limit (NULL without one): MW of its power that can host
     * liquid-cooled racks, and the share of this quarter's accelerators'
     * watts that need them (its own too). */
    const double *liquid, *needs;
    double horizon; /* order_horizon: quarters of power growth ordered ahead */
    double buffer;  /* inventory_target: quarters of expected installations */
    /* replace_below, per lane (NULL: never): an installed cohort whose
     * FLOP/s per watt is at most this share of this quarter's bought
     * accelerators' is replaced by bought ones waiting when power is
     * short, and then one at most this share of its own on offer by its
     * own (0: never). */
    const double *replace_below;
} cp_fleet_in;

typedef struct cp_fleet_out {
    double *fleet, *flops, *power_used, *waiting, *installed, *orders, *target, *unfilled,
        *waiting_age, *received, *waiting_own, *received_own, *replaced,
        *received_own_flops, /* FLOP/s of its own taken this quarter */
        *received_new_flops; /* FLOP/s of the new bought ones delivered (not resold ones) */
    uint8_t *bound;          /* CP_FLEET_BOUND_* */
} cp_fleet_out;

/* What limited a fleet's installations in a quarter: the power (headroom
 * used up), a supply short of its orders, its import limit, its orders,
 * the liquid-cooled power (used up while power is left). */
enum {
    CP_FLEET_BOUND_POWER,
    CP_FLEET_BOUND_SHORT,
    CP_FLEET_BOUND_CAPPED,
    CP_FLEET_BOUND_ORDERS,
    CP_FLEET_BOUND_COOLING
};

/* Places quarter t's orders (f->orders): the accelerators that fill the
 * power free now and replace the obsolete installed ones, plus `horizon`
 * quarters of the power's last growth and a buffer of `buffer` quarters of
 * expected installations, less what waits.
 * cp_fleet_step calls it if the market has not. */
void cp_fleet_plan(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n, const cp_fleet_in *in);

/* Quarter t: deliveries join, accelerators are installed oldest first
 * while the power lasts (then in place of obsolete ones, which retire
 * early), and what waits beyond the buffer goes back to
 * pool (NULL for a fleet without a market: there it keeps waiting). */
void cp_fleet_step(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n, const cp_fleet_in *in,
                   cp_fleet_pool *pool, const cp_fleet_out *out);

/* A market's quarter t: ships capacity[l] against its buyers' orders
 * (fleets[i]->orders, placed by cp_fleet_plan), each buyer's share capped
 * at limit[i] x capacity (no cap when limit[i] is 1) and all shared pro
 * rata when short; what is still short is filled from the pool.  Sets
 * each buyer's arrived, resold, ordered and capped, and moves resold
 * cohorts into the buyers' waiting cohorts.  surv: the buyers' survival
 * (they share one).  want: scratch of n_buyers x lanes. */
void cp_fleet_market(size_t t, size_t n, const double *capacity, cp_fleet *const *fleets,
                     const double *limit, size_t n_buyers, const double *surv, cp_fleet_pool *pool,
                     double *shipped, double *idle, double *unsold, double *want);

#endif
