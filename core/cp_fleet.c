/* cp_fleet.c -- see cp_fleet.h; the equations are in inputs/README.md.
 *
 * Speed.  A fleet's sums run over every cohort shipped so far (installed
 * accelerators retire by age, so no running total can replace them): the
 * loops over lanes are the whole cost, kept free of branches so they
 * vectorize, and compiled for the widest vectors the machine has
 * (CP_LANE_CLONES; every lane does the same operations in the same order
 * whatever the width, so the results are the same bits).  They run in
 * blocks of SUM_BLOCK lanes whose sums stay in registers over the pass.
 * Waiting accelerators are few and recent: a block's passes over them
 * start at the oldest cohort any of its lanes still has waiting, and a
 * lane's oldest waiting cohort moves on past those it empties.
 * Installation goes lane by lane (install_lane): cohort by cohort over
 * every lane, without branches, was slower (tried twice, last on
 * 2 Dec 2026: the model 7% slower), as each lane then walks every cohort
 * its block has waiting, where lane by lane it stops when its headroom
 * is used up.
 */
#include "cp_fleet.h"
#include "cp_math.h"

#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shares below this are rounding, not accelerators: a fleet whose headroom
 * is used up to this share of its power is bound by power. */
#define TINY 1e-9

/* A helper of a CP_LANE_CLONES function is inlined into each clone only
 * when it must be (GCC will not inline across instruction sets otherwise). */
#if defined(__GNUC__)
#define LANE_INLINE __attribute__((always_inline)) static inline
#else
#define LANE_INLINE static inline
#endif

void cp_fleet_survival(double mean, double shape, double offset, size_t n, double *out)
{
    /* Weibull: S(a) = exp(-(a / lambda)^k), mean = lambda * Gamma(1 + 1/k). */
    const double lambda = mean / gsl_sf_gamma(1.0 + 1.0 / shape);
    const double s0 = exp(-pow(offset / lambda, shape));
    for (size_t a = 0; a < n; a++) {
        const double s = exp(-pow((offset + (double)a) / lambda, shape));
        out[a] = s0 > 0 ? s / s0 : 0.0;
    }
}

/* ---- state ------------------------------------------------------------- */

#define COHORT_ARRAYS(f)                                                                           \
    {                                                                                              \
        &(f)->inst, &(f)->inst_flops, &(f)->inst_watts, &(f)->wait, &(f)->flops, &(f)->watts       \
    }
#define N_COHORT_ARRAYS 6
#define LANE_ARRAYS(f)                                                                             \
    {                                                                                              \
        &(f)->power_prev, &(f)->orders, &(f)->buffer, &(f)->arrived, &(f)->resold, &(f)->ordered,  \
            &(f)->sum_fleet, &(f)->sum_flops, &(f)->sum_watts, &(f)->sum_watts_next,               \
            &(f)->sum_waiting, &(f)->start                                                         \
    }
#define N_LANE_ARRAYS 12
#define OWN_ARRAYS(f)                                                                              \
    {                                                                                              \
        &(f)->own_wait, &(f)->own_flops, &(f)->own_watts                                           \
    }
#define N_OWN_ARRAYS 3

int cp_fleet_alloc(cp_fleet *f, size_t T, size_t lanes, int own, int thermal)
{
    memset(f, 0, sizeof *f);
    f->T = T;
    f->lanes = lanes;
    double **cohort[N_COHORT_ARRAYS] = COHORT_ARRAYS(f);
    double **lane[N_LANE_ARRAYS] = LANE_ARRAYS(f);
    int ok = (f->capped = calloc(lanes, sizeof *f->capped)) != NULL &&
             (f->first_wait = calloc(lanes, sizeof *f->first_wait)) != NULL && T < UINT16_MAX;
    for (size_t k = 0; k < N_COHORT_ARRAYS; k++)
        ok = ok && (*cohort[k] = calloc((T ? T : 1) * lanes, sizeof **cohort[k])) != NULL;
    for (size_t k = 0; k < N_LANE_ARRAYS; k++)
        ok = ok && (*lane[k] = calloc(lanes, sizeof **lane[k])) != NULL;
    ok = ok && (f->own_share = calloc(lanes, sizeof *f->own_share)) != NULL &&
         (f->own_waiting = calloc(lanes, sizeof *f->own_waiting)) != NULL &&
         (f->own_eq = calloc(lanes, sizeof *f->own_eq)) != NULL;
    double **own_arrays[N_OWN_ARRAYS] = OWN_ARRAYS(f);
    for (size_t k = 0; own && k < N_OWN_ARRAYS; k++)
        ok = ok && (*own_arrays[k] = calloc((T ? T : 1) * lanes, sizeof **own_arrays[k])) != NULL;
    if (thermal)
        ok = ok && (f->need = calloc((T ? T : 1) * lanes, sizeof *f->need)) != NULL &&
             (f->sum_liquid = calloc(lanes, sizeof *f->sum_liquid)) != NULL &&
             (f->hostable = calloc(lanes, sizeof *f->hostable)) != NULL &&
             (f->liquid_room = calloc(lanes, sizeof *f->liquid_room)) != NULL;
    if (!ok) {
        cp_fleet_free(f);
        return -1;
    }
    return 0;
}

void cp_fleet_free(cp_fleet *f)
{
    double **cohort[N_COHORT_ARRAYS] = COHORT_ARRAYS(f);
    double **lane[N_LANE_ARRAYS] = LANE_ARRAYS(f);
    for (size_t k = 0; k < N_COHORT_ARRAYS; k++)
        free(*cohort[k]);
    for (size_t k = 0; k < N_LANE_ARRAYS; k++)
        free(*lane[k]);
    double **own_arrays[N_OWN_ARRAYS] = OWN_ARRAYS(f);
    for (size_t k = 0; k < N_OWN_ARRAYS; k++)
        free(*own_arrays[k]);
    free(f->need);
    free(f->sum_liquid);
    free(f->hostable);
    free(f->liquid_room);
    free(f->own_share);
    free(f->own_waiting);
    free(f->own_eq);
    free(f->capped);
    free(f->first_wait);
    memset(f, 0, sizeof *f);
}

void cp_fleet_reset(cp_fleet *f)
{
    double **cohort[N_COHORT_ARRAYS] = COHORT_ARRAYS(f);
    double **lane[N_LANE_ARRAYS] = LANE_ARRAYS(f);
    for (size_t k = 0; k < N_COHORT_ARRAYS; k++)
        memset(*cohort[k], 0, f->T * f->lanes * sizeof **cohort[k]);
    for (size_t k = 0; k < N_LANE_ARRAYS; k++)
        memset(*lane[k], 0, f->lanes * sizeof **lane[k]);
    double **own_arrays[N_OWN_ARRAYS] = OWN_ARRAYS(f);
    for (size_t k = 0; f->own_wait && k < N_OWN_ARRAYS; k++)
        memset(*own_arrays[k], 0, f->T * f->lanes * sizeof **own_arrays[k]);
    if (f->need)
        memset(f->need, 0, f->T * f->lanes * sizeof *f->need);
    memset(f->own_share, 0, f->lanes * sizeof *f->own_share);
    memset(f->capped, 0, f->lanes * sizeof *f->capped);
    memset(f->first_wait, 0, f->lanes * sizeof *f->first_wait);
    f->planned = 0;
}

/* ---- sums over cohorts -------------------------------------------------- */

/* Lanes are summed in blocks of SUM_BLOCK whose running sums stay in
 * registers over the whole pass over the cohorts: a pass lane by lane
 * (cohorts outer, lanes inner) loads and stores every sum once a cohort,
 * and those loads and stores, not the arithmetic, were its cost.  Each
 * lane's sum still adds the cohorts oldest first: the same bits. */
#define SUM_BLOCK 16

/* installed_sums for lanes l0 .. l0 + m - 1 (m at most SUM_BLOCK; the
 * compiler specialises the always-inlined body for m == SUM_BLOCK). */
LANE_INLINE void installed_block(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, size_t l0,
                                 size_t m, double *restrict fleet, double *restrict flops,
                                 double *restrict watts, double *restrict watts_next,
                                 double *restrict liquid)
{
    const size_t L = f->lanes;
    const double si = sp->surv_init[t], si1 = sp->surv_init[t + 1];
    double a[SUM_BLOCK], b[SUM_BLOCK], w[SUM_BLOCK], w1[SUM_BLOCK], q[SUM_BLOCK];
    for (size_t l = 0; l < m; l++) {
        const double fleet0 = sp->fleet0 * f->start[l0 + l]; /* exact when start is 1 */
        a[l] = fleet0 * si;
        b[l] = fleet0 * sp->flops0 * si;
        w[l] = fleet0 * sp->watts0 * si;
        w1[l] = fleet0 * sp->watts0 * si1;
        q[l] = 0;
    }
    for (size_t c = 0; c < t; c++) {
        const double s = sp->surv[t - c], s1 = sp->surv[t - c + 1];
        const double *restrict inst = &f->inst[c * L + l0];
        const double *restrict fl = &f->inst_flops[c * L + l0];
        const double *restrict wt = &f->inst_watts[c * L + l0];
        for (size_t l = 0; l < m; l++) {
            a[l] += s * inst[l];
            b[l] += s * fl[l];
            w[l] += s * wt[l];
            w1[l] += s1 * wt[l];
        }
        const double *restrict need = liquid ? &f->need[c * L + l0] : NULL;
        for (size_t l = 0; liquid && l < m; l++)
            q[l] += s * wt[l] * need[l];
    }
    for (size_t l = 0; l < m; l++) {
        fleet[l0 + l] = a[l];
        flops[l0 + l] = b[l];
        watts[l0 + l] = w[l];
        watts_next[l0 + l] = w1[l];
    }
    for (size_t l = 0; liquid && l < m; l++)
        liquid[l0 + l] = q[l];
}

/* The installed fleet at the start of quarter t: accelerators, FLOP/s,
 * watts, the watts still alive next quarter, and with a thermal limit
 * (liquid not NULL) the watts that need liquid-cooled racks (the starting
 * fleet needs none: it stays in the halls it is in), in the same pass
 * over the cohorts. */
CP_LANE_CLONES static void installed_sums(const cp_fleet_spec *sp, const cp_fleet *f, size_t t,
                                          size_t n, double *restrict fleet, double *restrict flops,
                                          double *restrict watts, double *restrict watts_next,
                                          double *restrict liquid)
{
    size_t l0 = 0;
    for (; l0 + SUM_BLOCK <= n; l0 += SUM_BLOCK)
        installed_block(sp, f, t, l0, SUM_BLOCK, fleet, flops, watts, watts_next, liquid);
    if (l0 < n)
        installed_block(sp, f, t, l0, n - l0, fleet, flops, watts, watts_next, liquid);
}

/* The oldest cohort any of lanes l0 .. l0 + m - 1 has waiting: older
 * cohorts hold nothing in those lanes (not more than 0), so the passes
 * over waiting cohorts start there, block by block.  Waiting accelerators
 * are few and recent in most lanes, but a lane bound by power keeps some
 * for years: one start for all lanes made every block walk that lane's
 * cohorts (15.5 cohorts a pass in the baseline, against 3.8 a lane). */
LANE_INLINE size_t block_first(const cp_fleet *f, size_t l0, size_t m)
{
    size_t first = f->T;
    for (size_t l = l0; l < l0 + m; l++)
        first = f->first_wait[l] < first ? f->first_wait[l] : first;
    return first;
}

/* waiting_count for lanes l0 .. l0 + m - 1. */
LANE_INLINE void count_block(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, size_t l0,
                             size_t m, const double *restrict watts_in, double *restrict waiting)
{
    const size_t L = f->lanes, c0 = block_first(f, l0, m);
    double a[SUM_BLOCK], e[SUM_BLOCK];
    for (size_t l = 0; l < m; l++)
        a[l] = e[l] = 0;
    for (size_t c = c0; c <= t; c++) {
        const double s = sp->surv[t - c];
        const double *restrict w = &f->wait[c * L + l0];
        for (size_t l = 0; l < m; l++)
            a[l] += s * w[l];
    }
    if (!f->own_wait) {
        for (size_t l = 0; l < m; l++)
            waiting[l0 + l] = a[l];
        return;
    }
    for (size_t c = c0; c <= t; c++) {
        const double s = sp->surv[t - c];
        const double *restrict w = &f->own_wait[c * L + l0], *restrict each =
                                                                 &f->own_watts[c * L + l0];
        for (size_t l = 0; l < m; l++)
            e[l] += s * w[l] * each[l];
    }
    for (size_t l = 0; l < m; l++) {
        const double wt = watts_in[l0 + l];
        const double eq = wt > 0 ? e[l] / wt : 0;
        waiting[l0 + l] = a[l] + eq;
    }
}

/* Accelerators waiting at quarter t, bought and its own (these counted as
 * the accelerators of this quarter's market that draw the same watts,
 * watts_in each: its own may draw far less or far more than a bought
 * one); the orders need no ages. */
CP_LANE_CLONES static void waiting_count(const cp_fleet_spec *sp, const cp_fleet *f, size_t t,
                                         size_t n, const double *restrict watts_in,
                                         double *restrict waiting)
{
    size_t l0 = 0;
    for (; l0 + SUM_BLOCK <= n; l0 += SUM_BLOCK)
        count_block(sp, f, t, l0, SUM_BLOCK, watts_in, waiting);
    if (l0 < n)
        count_block(sp, f, t, l0, n - l0, watts_in, waiting);
}

/* waiting_sums for lanes l0 .. l0 + m - 1: the bought cohorts' ages are
 * summed before its own, as one sum. */
LANE_INLINE void waiting_block(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, size_t l0,
                               size_t m, const double *restrict watts_in, double *restrict waiting,
                               double *restrict age, double *restrict own, double *restrict eq)
{
    const size_t L = f->lanes, c0 = block_first(f, l0, m);
    double a[SUM_BLOCK], g[SUM_BLOCK], o[SUM_BLOCK], e[SUM_BLOCK];
    for (size_t l = 0; l < m; l++)
        a[l] = g[l] = o[l] = e[l] = 0;
    for (size_t c = c0; c <= t; c++) {
        const double s = sp->surv[t - c], quarters = (double)(t - c);
        const double *restrict w = &f->wait[c * L + l0];
        for (size_t l = 0; l < m; l++) {
            a[l] += s * w[l];
            g[l] += s * w[l] * quarters;
        }
    }
    for (size_t c = c0; own && c <= t; c++) {
        const double s = sp->surv[t - c], quarters = (double)(t - c);
        const double *restrict w = &f->own_wait[c * L + l0], *restrict each =
                                                                 &f->own_watts[c * L + l0];
        for (size_t l = 0; l < m; l++) {
            o[l] += s * w[l];
            g[l] += s * w[l] * quarters;
            e[l] += s * w[l] * each[l];
        }
    }
    for (size_t l = 0; own && l < m; l++) {
        const double wt = watts_in[l0 + l];
        a[l] += o[l];
        own[l0 + l] = o[l];
        eq[l0 + l] = wt > 0 ? e[l] / wt : 0;
    }
    for (size_t l = 0; l < m; l++) {
        waiting[l0 + l] = a[l];
        age[l0 + l] = a[l] > 0 ? g[l] / a[l] : 0;
    }
}

/* Accelerators waiting at quarter t and their mean age in quarters; own
 * (NULL: it has none): those of them that are its own, and eq the same
 * counted as bought ones of watts_in each (as in waiting_count). */
CP_LANE_CLONES static void waiting_sums(const cp_fleet_spec *sp, const cp_fleet *f, size_t t,
                                        size_t n, const double *restrict watts_in,
                                        double *restrict waiting, double *restrict age,
                                        double *restrict own, double *restrict eq)
{
    size_t l0 = 0;
    for (; l0 + SUM_BLOCK <= n; l0 += SUM_BLOCK)
        waiting_block(sp, f, t, l0, SUM_BLOCK, watts_in, waiting, age, own, eq);
    if (l0 < n)
        waiting_block(sp, f, t, l0, n - l0, watts_in, waiting, age, own, eq);
}

/* ---- a fleet's quarter -------------------------------------------------- */

/* The liquid-cooled MW it can count on: what its power inputs say, up to
 * its power. */
LANE_INLINE double liquid_mw(const cp_fleet_in *in, size_t l)
{
    const double liquid = in->liquid[l] > 0 ? in->liquid[l] : 0;
    return liquid < in->power[l] ? liquid : in->power[l];
}

/* The share of this quarter's watts that need liquid-cooled racks. */
LANE_INLINE double need_now(const cp_fleet_in *in, size_t l)
{
    const double q = in->needs[l];
    return q > 0 ? (q < 1 ? q : 1) : 0;
}

/* With a thermal limit: the power it can fill this quarter (f->hostable,
 * MW): its power, less the free power that only air-cooled racks could
 * use when this quarter's accelerators need liquid-cooled ones (the
 * liquid-cooled power not yet drawn, divided by the share that needs it,
 * is all the new accelerators can use).  Its orders follow it.  Reads the
 * sums installed_sums left in f. */
CP_LANE_CLONES static void hostable_power(cp_fleet *f, size_t n, const cp_fleet_in *in)
{
    const double *restrict sum_watts = f->sum_watts, *restrict sum_liquid = f->sum_liquid,
                           *restrict pue = in->pue, *restrict power = in->power;
    double *restrict hostable = f->hostable;
    for (size_t l = 0; l < n; l++) {
        const double mw_per_watt = pue[l] / 1e6;
        const double draw = sum_watts[l] * mw_per_watt, liquid_draw = sum_liquid[l] * mw_per_watt;
        const double free_liquid = liquid_mw(in, l) - liquid_draw, q = need_now(in, l);
        const double spare = power[l] - draw;
        const double usable = q > 0 ? (free_liquid > 0 ? free_liquid : 0) / q : spare;
        hostable[l] = usable < spare ? draw + usable : power[l];
    }
}

/* The loop over lanes is free of branches (both sides computed, one kept)
 * and its arrays are restrict, so that it vectorizes. */
CP_LANE_CLONES void cp_fleet_plan(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                                  const cp_fleet_in *in)
{
    if (t == 0) /* the starting fleet, which a shock on initial_fleet may scale */
        for (size_t l = 0; l < n; l++)
            f->start[l] = in->start ? (in->start[l] > 0 ? in->start[l] : 0) : 1.0;
    installed_sums(sp, f, t, n, f->sum_fleet, f->sum_flops, f->sum_watts, f->sum_watts_next,
                   sp->thermal ? f->sum_liquid : NULL);
    waiting_count(sp, f, t, n, in->watts, f->sum_waiting);
    if (sp->thermal)
        hostable_power(f, n, in);
    const double *restrict power_in = sp->thermal ? f->hostable : in->power,
                           *restrict pue = in->pue, *restrict watts_in = in->watts;
    const double *restrict sum_watts = f->sum_watts, *restrict sum_watts_next = f->sum_watts_next,
                           *restrict sum_waiting = f->sum_waiting;
    double *restrict power_prev = f->power_prev, *restrict buffer_out = f->buffer,
                     *restrict orders_out = f->orders;
    const double horizon = in->horizon, target = in->buffer;
    if (t == 0) /* no growth in the first quarter: as if last quarter's were this one's */
        for (size_t l = 0; l < n; l++)
            power_prev[l] = power_in[l];
    /* Its own accelerators on offer (none without streams) meet its needs
     * first, counted as the market's accelerators of this quarter that draw
     * the same watts (as its orders, buffer and waiting are counted): it
     * takes the share own_share of them. */
    double *restrict own_share = f->own_share;
    const double *restrict offered = in->own_watts;
    for (size_t l = 0; l < n; l++) {
        const double power = power_in[l], mw_per_watt = pue[l] / 1e6;
        const double rise = power - power_prev[l];
        const double growth = power > power_prev[l] ? rise : 0;
        power_prev[l] = power;
        const double draw = sum_watts[l] * mw_per_watt;
        const double retiring = (sum_watts[l] - sum_watts_next[l]) * mw_per_watt;
        const double mw_new = watts_in[l] * mw_per_watt;
        const double spare = power - draw;
        const double free_now = power > draw ? spare : 0;
        const double b = (horizon * growth + target * (growth + retiring)) / mw_new;
        const double want = free_now / mw_new + b - sum_waiting[l];
        const double need = mw_new > 0 && want > 0 ? want : 0;
        const double offer =
            offered && offered[l] > 0 && watts_in[l] > 0 ? offered[l] / watts_in[l] : 0;
        const double take = offer < need ? offer : need;
        own_share[l] = offer > 0 ? take / offer : 0;
        const double o = want - take;
        const double orders = mw_new > 0 ? o : 0, buffer = mw_new > 0 ? b : 0;
        buffer_out[l] = buffer;
        orders_out[l] = orders > 0 ? orders : 0;
    }
    f->planned = t + 1;
}

/* Deliveries join cohort t, which takes this quarter's FLOP/s and watts. */
LANE_INLINE void receive(cp_fleet *f, size_t t, size_t n, const cp_fleet_in *in,
                         double *restrict received, double *restrict received_own)
{
    const size_t L = f->lanes;
    double *restrict wait = &f->wait[t * L], *restrict flops = &f->flops[t * L],
                     *restrict watts = &f->watts[t * L];
    const double *restrict arrived = f->arrived, *restrict units = in->units,
                           *restrict resold = f->resold, *restrict flops_in = in->flops,
                           *restrict watts_in = in->watts;
    for (size_t l = 0; l < n; l++) {
        const double a = arrived[l] + units[l];
        wait[l] += a;
        flops[l] = flops_in[l];
        watts[l] = watts_in[l];
        received[l] = a + resold[l]; /* resold ones joined their own cohorts */
        received_own[l] = 0;
    }
    for (size_t l = 0; f->need && l < n; l++)
        f->need[t * L + l] = need_now(in, l);
    if (!f->own_wait || !in->own_units)
        return;
    /* Its own accelerators, the share it took of those on offer: one
     * cohort of the quarter's mix of streams. */
    double *restrict own_wait = &f->own_wait[t * L], *restrict own_flops = &f->own_flops[t * L],
                     *restrict own_watts = &f->own_watts[t * L];
    const double *restrict u = in->own_units, *restrict fl = in->own_flops,
                           *restrict wt = in->own_watts, *restrict share = f->own_share;
    for (size_t l = 0; l < n; l++) {
        const double offer = u[l] > 0 ? u[l] : 0, k = offer * share[l];
        own_wait[l] += k;
        own_flops[l] = offer > 0 ? fl[l] / offer : 0;
        own_watts[l] = offer > 0 ? wt[l] / offer : 0;
        received[l] += k;
        received_own[l] = k;
    }
}

/* Takes from one waiting part of a cohort (wait: age-0 units, s its
 * survival, each the W of one) what the headroom h allows; returns how
 * many, and sets *age0 to them in age-0 units. */
static double take(double *wait, double s, double each, double *h, double *age0)
{
    const double w = *wait, units = w * s;
    double k;
    if (!(each > 0) || (*h >= 1.0 && units * each < *h * (1.0 - 1e-9))) {
        /* The whole cohort fits (no division needed: with a margin far
         * beyond rounding, h / each > units, so the test below would
         * take units too). */
        k = units;
        *age0 = w;
        *h = *h - k * each;
        *wait = 0;
    } else {
        k = *h / each < units ? *h / each : units;
        *age0 = k == units ? w : k / s; /* in age-0 units */
        *h = k == units ? *h - k * each : 0;
        *wait = k == units ? 0 : w - *age0;
    }
    return k;
}

/* take() under a thermal limit: a share q of the cohort's watts also needs
 * the liquid-cooled headroom *hl (W), so the cohort may use at most *hl / q
 * of the headroom *h. */
static double take_cooled(double *wait, double s, double each, double q, double *h, double *hl,
                          double *age0)
{
    const double by_liquid = q > 0 ? *hl / q : INFINITY;
    if (!(by_liquid < *h)) {
        const double k = take(wait, s, each, h, age0);
        const double left = *hl - k * each * q;
        *hl = left > 0 ? left : 0;
        return k;
    }
    double room = by_liquid;
    const double k = take(wait, s, each, &room, age0);
    const double left = *h - k * each;
    *h = left > 0 ? left : 0;
    *hl = room > 0 ? *hl - k * each * q : 0; /* used up when the cohort did not fit */
    return k;
}

/* Installs lane l's waiting accelerators, oldest cohort first (its own
 * before bought ones of the same age), while the headroom (W) lasts, and
 * with a thermal limit (hl: the liquid-cooled headroom, W; else NULL)
 * while that lasts for the cohorts that need it; adds them to the sums.
 * Returns how many.  Scalar: each cohort's share depends on what the
 * older ones left. */
static double install_lane(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t l,
                           double *headroom, double *hl, double *fleet, double *flops,
                           double *watts)
{
    const size_t L = f->lanes;
    double *const own = f->own_wait;
    double installed = 0, h = *headroom, fl = *fleet, fp = *flops, wt = *watts;
    size_t c = f->first_wait[l];
    while (c < t && !(f->wait[c * L + l] > 0) && !(own && own[c * L + l] > 0))
        c++;
    /* Older cohorts are empty in this lane, and so are those it empties
     * now, oldest first: later passes start after them. */
    size_t first = c;
    for (; c <= t && h > 0; c++) {
        const size_t at = c * L + l;
        const double s = sp->surv[t - c];
        double age0;
        if (own && own[at] > 0) {
            const double each = f->own_watts[at], per = f->own_flops[at];
            const double k = hl ? take_cooled(&own[at], s, each, f->need[at], &h, hl, &age0)
                                : take(&own[at], s, each, &h, &age0);
            f->inst[at] += age0;
            f->inst_flops[at] += age0 * per;
            f->inst_watts[at] += age0 * each;
            installed += k;
            fl += k;
            fp += k * per;
            wt += k * each;
        }
        if (f->wait[at] > 0 && h > 0) {
            const double each = f->watts[at];
            const double k = hl ? take_cooled(&f->wait[at], s, each, f->need[at], &h, hl, &age0)
                                : take(&f->wait[at], s, each, &h, &age0);
            f->inst[at] += age0;
            f->inst_flops[at] += age0 * f->flops[at];
            f->inst_watts[at] += age0 * each;
            installed += k;
            fl += k;
            fp += k * f->flops[at];
            wt += k * each;
        }
        const int emptied = !(f->wait[at] > 0) && !(own && own[at] > 0);
        first = first == c && c < t && emptied ? c + 1 : first;
    }
    f->first_wait[l] = (uint16_t)first;
    *headroom = h;
    *fleet = fl;
    *flops = fp;
    *watts = wt;
    return installed;
}

/* Waiting accelerators beyond the buffer go back to the pool, the same
 * share of every cohort. */
static void return_surplus(cp_fleet *f, size_t t, size_t l, double share, cp_fleet_pool *pool)
{
    const size_t L = f->lanes;
    for (size_t c = f->first_wait[l]; c <= t; c++) {
        const double moved = f->wait[c * L + l] * share;
        f->wait[c * L + l] -= moved;
        pool->units[c * L + l] += moved;
    }
    pool->first = f->first_wait[l] < pool->first ? f->first_wait[l] : pool->first;
}

/* The loops over lanes vectorize (compiled for the widest vectors, every
 * lane doing the same operations as a scalar loop would); only the
 * installation, oldest first, and the return of a surplus go lane by lane. */
CP_LANE_CLONES void cp_fleet_step(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                                  const cp_fleet_in *in, cp_fleet_pool *pool,
                                  const cp_fleet_out *out)
{
    if (f->planned != t + 1)
        cp_fleet_plan(sp, f, t, n, in);
    receive(f, t, n, in, out->received, out->received_own);
    /* In watts until the end: the halls' overhead multiplies once.  The
     * headroom and the watts live in unfilled and power_used meanwhile.
     * Local restrict pointers: the compiler cannot know that the struct's
     * arrays do not overlap, and would not vectorize. */
    double *restrict headroom = out->unfilled, *restrict watts = out->power_used;
    double *restrict fleet = out->fleet, *restrict flops = out->flops;
    const double *restrict pue = in->pue, *restrict power = in->power;
    const double *restrict sum_fleet = f->sum_fleet, *restrict sum_flops = f->sum_flops,
                           *restrict sum_watts = f->sum_watts;
    for (size_t l = 0; l < n; l++) {
        const double w_per_mw = 1e6 / pue[l], power_w = power[l] * w_per_mw;
        fleet[l] = sum_fleet[l];
        flops[l] = sum_flops[l];
        watts[l] = sum_watts[l];
        headroom[l] = power_w - watts[l];
    }
    /* The liquid-cooled headroom (W): liquid-cooled power less the watts
     * installed that need it. */
    double *restrict room = f->liquid_room;
    for (size_t l = 0; sp->thermal && l < n; l++) {
        const double w_per_mw = 1e6 / pue[l];
        const double r = liquid_mw(in, l) * w_per_mw - f->sum_liquid[l];
        room[l] = r > 0 ? r : 0;
    }
    for (size_t l = 0; l < n; l++)
        out->installed[l] = install_lane(sp, f, t, l, &headroom[l], sp->thermal ? &room[l] : NULL,
                                         &fleet[l], &flops[l], &watts[l]);
    /* What bound: the power (headroom used up), else a supply short of the
     * orders (its import limit, or the capacity), else the orders. */
    const int has_market = pool != NULL;
    const double *restrict ordered = f->ordered, *restrict arrived = f->arrived,
                           *restrict resold = f->resold;
    const uint8_t *restrict capped_by = f->capped;
    uint8_t *restrict bound = out->bound;
    /* Without branches (& and | rather than && and ||), so it vectorizes. */
    for (size_t l = 0; l < n; l++) {
        const double w_per_mw = 1e6 / pue[l], power_w = power[l] * w_per_mw;
        const int by_power = !(headroom[l] > TINY * power_w);
        const int is_short =
            !has_market | (ordered[l] - arrived[l] - resold[l] > TINY * (1.0 + ordered[l]));
        const int capped = has_market & (capped_by[l] != 0);
        /* power, else orders, else capped or short, as arithmetic */
        bound[l] = (uint8_t)((1 - by_power) *
                             (CP_FLEET_BOUND_ORDERS -
                              is_short * (CP_FLEET_BOUND_ORDERS - CP_FLEET_BOUND_SHORT - capped)));
    }
    /* Under a thermal limit, power left while the liquid-cooled power is
     * used up (and this quarter's accelerators need it) bound the fleet:
     * its orders followed the power it could fill. */
    for (size_t l = 0; sp->thermal && l < n; l++) {
        const double power_w = power[l] * 1e6 / pue[l];
        const int cooled = !(room[l] > TINY * power_w) & (need_now(in, l) > 0);
        bound[l] = bound[l] != CP_FLEET_BOUND_POWER && cooled ? CP_FLEET_BOUND_COOLING : bound[l];
    }
    /* Reports (unfilled power, the waiting and their age) below a billionth
     * of their scale are rounding left by differences of near-equal
     * numbers, not megawatts or accelerators: they are reported as 0. */
    for (size_t l = 0; l < n; l++) {
        const double w_per_mw = 1e6 / pue[l];
        const double used = watts[l] / w_per_mw;
        const double spare = power[l] - used;
        watts[l] = used;                                   /* now power_used */
        headroom[l] = spare > TINY * power[l] ? spare : 0; /* now unfilled */
    }
    double *const own = f->own_wait ? f->own_waiting : NULL;
    waiting_sums(sp, f, t, n, in->watts, out->waiting, out->waiting_age, own, f->own_eq);
    for (size_t l = 0; pool && !own && l < n; l++)
        if (out->waiting[l] > f->buffer[l]) {
            return_surplus(f, t, l, (out->waiting[l] - f->buffer[l]) / out->waiting[l], pool);
            out->waiting[l] = f->buffer[l];
        }
    /* Its own accelerators stay: only bought ones go back to the pool.  Its
     * own count against the buffer by their watts (own_eq), as in its
     * orders. */
    for (size_t l = 0; pool && own && l < n; l++) {
        const double bought = out->waiting[l] - own[l];
        const double excess = bought + f->own_eq[l] - f->buffer[l];
        const double moved = excess < bought ? excess : bought;
        if (moved > 0 && bought > 0) {
            return_surplus(f, t, l, moved / bought, pool);
            out->waiting[l] -= moved;
        }
    }
    double *restrict waiting = out->waiting, *restrict age = out->waiting_age,
                     *restrict waiting_own = out->waiting_own;
    const double *restrict own_now = own;
    for (size_t l = 0; l < n; l++) {
        const int dust = !(waiting[l] > TINY * (fleet[l] + waiting[l]));
        waiting[l] = dust ? 0 : waiting[l];
        age[l] = dust ? 0 : age[l];
        waiting_own[l] = dust || !own_now ? 0 : own_now[l];
    }
    double *restrict target = out->target, *restrict orders = out->orders;
    double *restrict arrived_next = f->arrived, *restrict resold_next = f->resold;
    const double *restrict buffer = f->buffer, *restrict ordered_now = f->orders;
    for (size_t l = 0; l < n; l++) {
        target[l] = buffer[l];
        orders[l] = ordered_now[l];
        arrived_next[l] = resold_next[l] = 0;
    }
}

/* ---- the market --------------------------------------------------------- */

/* What the pool holds at quarter t, lane by lane (cohort by cohort over
 * all lanes, so the loop vectorizes). */
CP_LANE_CLONES static void pool_sums(size_t t, size_t n, size_t L, const double *surv,
                                     const cp_fleet_pool *pool, double *restrict in_pool)
{
    for (size_t l = 0; l < n; l++)
        in_pool[l] = 0;
    for (size_t c = pool->first; c < t; c++) {
        const double s = surv[t - c];
        const double *restrict u = &pool->units[c * L];
        for (size_t l = 0; l < n; l++)
            in_pool[l] += u[l] * s;
    }
}

/* Lane l's resale: what buyers still want after new production is shared
 * is met from the pool (holding in_pool), pro rata, the same share of
 * every cohort.  Returns what stays unsold. */
static double resell_lane(size_t t, size_t l, cp_fleet *const *fleets, const double *want,
                          size_t n_buyers, double in_pool, cp_fleet_pool *pool, size_t L)
{
    double unmet = 0;
    for (size_t i = 0; i < n_buyers; i++)
        unmet += want[i * L + l] - fleets[i]->arrived[l];
    if (!(unmet > TINY * in_pool))
        return in_pool;
    const double sold = unmet < in_pool ? unmet : in_pool;
    for (size_t i = 0; i < n_buyers; i++) {
        cp_fleet *f = fleets[i];
        const double r = (want[i * L + l] - f->arrived[l]) * sold / unmet;
        const double share = r / in_pool;
        for (size_t c = pool->first; c < t; c++)
            f->wait[c * L + l] += pool->units[c * L + l] * share;
        f->first_wait[l] =
            pool->first < f->first_wait[l] ? (uint16_t)pool->first : f->first_wait[l];
        f->resold[l] = r;
    }
    const double keep = 1.0 - sold / in_pool;
    for (size_t c = pool->first; c < t; c++)
        pool->units[c * L + l] *= keep;
    return in_pool - sold;
}

/* Buyer by buyer over all lanes, so the loops vectorize: each buyer wants
 * its orders up to its import limit; when they add up to more than the
 * capacity, each gets the same share of what it wants. */
void cp_fleet_market(size_t t, size_t n, const double *capacity, cp_fleet *const *fleets,
                     const double *limit, size_t n_buyers, const double *surv, cp_fleet_pool *pool,
                     double *shipped, double *idle, double *unsold, double *want)
{
    const size_t L = n_buyers ? fleets[0]->lanes : 0;
    double *restrict wanted = shipped, *restrict share = idle; /* until the end */
    for (size_t l = 0; l < n; l++)
        wanted[l] = 0;
    for (size_t i = 0; i < n_buyers; i++) {
        cp_fleet *f = fleets[i];
        double *restrict w = &want[i * L];
        const int limited = limit[i] < 1.0;
        for (size_t l = 0; l < n; l++) {
            const double cap = capacity[l] > 0 ? capacity[l] : 0;
            const double o = f->orders[l];
            const double ceiling = limited ? limit[i] * cap : o;
            w[l] = o < ceiling ? o : ceiling;
            f->ordered[l] = o;
            f->capped[l] = w[l] < o;
            wanted[l] += w[l];
        }
    }
    for (size_t l = 0; l < n; l++) {
        const double cap = capacity[l] > 0 ? capacity[l] : 0;
        share[l] = wanted[l] > cap ? cap / wanted[l] : 1.0;
    }
    double *restrict sent = unsold; /* until the end */
    for (size_t l = 0; l < n; l++)
        sent[l] = 0;
    for (size_t i = 0; i < n_buyers; i++) {
        double *restrict arrived = fleets[i]->arrived;
        const double *restrict w = &want[i * L];
        for (size_t l = 0; l < n; l++) {
            arrived[l] = w[l] * share[l];
            sent[l] += arrived[l];
        }
    }
    /* Idle capacity and unsold accelerators below a billionth of the
     * capacity are rounding, reported as 0 (as the fleet's reports are). */
    for (size_t l = 0; l < n; l++) {
        const double cap = capacity[l] > 0 ? capacity[l] : 0;
        const double left = cap - sent[l];
        shipped[l] = sent[l];
        idle[l] = left > TINY * cap ? left : 0;
        unsold[l] = 0;
    }
    if (pool->first >= t) /* nothing was ever returned */
        return;
    pool_sums(t, n, L, surv, pool, unsold);
    for (size_t l = 0; l < n; l++)
        if (unsold[l] > 0) {
            const double cap = capacity[l] > 0 ? capacity[l] : 0;
            const double kept = resell_lane(t, l, fleets, want, n_buyers, unsold[l], pool, L);
            unsold[l] = kept > TINY * cap ? kept : 0;
        }
}
