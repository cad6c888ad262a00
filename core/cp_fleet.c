/* cp_fleet.c -- see cp_fleet.h; the equations are in inputs/README.md.
 *
 * Speed.  A fleet's sums run over every cohort shipped so far (installed
 * accelerators retire by age, so no running total can replace them): the
 * loops over lanes are the whole cost, kept free of branches and written
 * as functions with restrict parameters so they vectorize, and compiled
 * for the widest vectors the machine has
 * (CP_LANE_CLONES; every lane does the same operations in the same order
 * whatever the width, so the results are the same bits).  They run in
 * blocks of SUM_BLOCK lanes whose sums stay in registers over the pass.
 * Waiting accelerators are few and recent: a block's passes over them
 * start at the oldest cohort any of its lanes still has waiting, and a
 * lane's oldest waiting cohort moves on past those it empties.
 * Installation goes lane by lane (install_lane) over cohorts more than
 * RECENT - 1 quarters old, then every lane side by side over the last
 * RECENT (install_recent): most waiting accelerators are recent, but most
 * lanes keep a thin tail of older cohorts (a return to the pool takes
 * the same share of each), so a walk side by side over every cohort any
 * lane has waiting was slower (tried twice, last on 2 Dec 2026: the model
 * 7% slower), and lane by lane over every cohort was too (3 Dec 2026: the
 * model 1-2 us a sample slower than with RECENT 4, which beat 2, 8 and
 * 16).  The side-by-side walk is the scalar one's operations as selects:
 * the same bits.
 */
#include "cp_fleet.h"
#include "cp_math.h"

#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* install_lanes: the cohorts installed every lane side by side. */
#define RECENT 4

/* (CP_FLEET_TINY: a fleet whose headroom is used up to this share of its
 * power is bound by power.) */
#define TINY CP_FLEET_TINY

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
            &(f)->sum_waiting, &(f)->obsolete, &(f)->renew_want, &(f)->renew_freed,                \
            &(f)->renew_budget, &(f)->renew_end, &(f)->walk_first, &(f)->walk_skip, &(f)->walk_go, \
            &(f)->walk_still, &(f)->own_each_flops, &(f)->own_each_watts, &(f)->own_waiting_w,     \
            &(f)->own_replaced, &(f)->own_obsolete, &(f)->own_end                                  \
    }
#define N_LANE_ARRAYS 26
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
             (f->first_wait = calloc(lanes, sizeof *f->first_wait)) != NULL &&
             (f->start = calloc(CP_FLEET_STARTS * lanes, sizeof *f->start)) != NULL &&
             T < UINT16_MAX;
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
             (f->liquid_room = calloc(lanes, sizeof *f->liquid_room)) != NULL &&
             (f->renew_cut = calloc(lanes, sizeof *f->renew_cut)) != NULL;
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
    free(f->renew_cut);
    free(f->own_share);
    free(f->own_waiting);
    free(f->own_eq);
    free(f->capped);
    free(f->first_wait);
    free(f->start);
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
    if (f->renew_cut)
        memset(f->renew_cut, 0, f->lanes * sizeof *f->renew_cut);
    memset(f->own_share, 0, f->lanes * sizeof *f->own_share);
    memset(f->capped, 0, f->lanes * sizeof *f->capped);
    memset(f->first_wait, 0, f->lanes * sizeof *f->first_wait);
    memset(f->start, 0, CP_FLEET_STARTS * f->lanes * sizeof *f->start);
    f->planned = 0;
}

/* ---- sums over cohorts -------------------------------------------------- */

/* Lanes are summed in blocks of SUM_BLOCK whose running sums stay in
 * registers over the whole pass over the cohorts: a pass lane by lane
 * (cohorts outer, lanes inner) loads and stores every sum once a cohort,
 * and those loads and stores, not the arithmetic, were its cost.  Each
 * lane's sum still adds the cohorts oldest first: the same bits. */
#define SUM_BLOCK 16

/* Which installed accelerators this quarter's make obsolete: those whose
 * FLOP/s per watt is at most below[l] of a new one's (flops_in / watts_in);
 * watts_out receives their watts, per lane. */
typedef struct obsolete_test {
    const double *below;
    const double *flops_in, *watts_in;
    double *watts_out;
    double *end_out; /* per lane: 1 + the newest obsolete cohort (0: none) */
} obsolete_test;

/* Whether lane l's accelerators of `flops` FLOP/s and `watts` W in all
 * (or each) are obsolete: without a division, and never when a new one
 * draws nothing. */
LANE_INLINE int obsolete_by(double below, double flops_in, double watts_in, double flops,
                            double watts)
{
    return (watts_in > 0) & (below > 0) & (flops * watts_in <= below * watts * flops_in);
}

LANE_INLINE int is_obsolete(const obsolete_test *ob, size_t l, double flops, double watts)
{
    return obsolete_by(ob->below[l], ob->flops_in[l], ob->watts_in[l], flops, watts);
}

/* Adds cohort c's installed watts wt (FLOP/s fl; survival s) to *o where
 * ob finds them obsolete in lane l, and makes *e 1 + c there. */
LANE_INLINE void add_obsolete(const obsolete_test *ob, size_t l, size_t c, double s, double fl,
                              double wt, double *o, double *e)
{
    const int old = is_obsolete(ob, l, fl, wt) & (wt > 0);
    *o += old ? s * wt : 0;
    *e = old ? (double)(c + 1) : *e;
}

/* The starting fleet's sums for lanes l0 .. l0 + m - 1, vintage by
 * vintage (into arrays of its own: adding the vintages into
 * installed_block's sums kept those out of registers, a microsecond a
 * sample).  The obsolete watts (o against the bought ones, ob not NULL; p
 * against its own, own not NULL) in loops of their own, so that no loop
 * tests a pointer lane by lane (which kept it scalar); o and p start at
 * 0 (0 + x is x: the same bits) and stay 0 where there is no test. */
LANE_INLINE void start_obsolete(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, size_t l0,
                                size_t m, const obsolete_test *ob, double *restrict o)
{
    const double *restrict below = ob->below + l0, *restrict fin = ob->flops_in + l0,
                           *restrict win = ob->watts_in + l0;
    for (size_t v = 0; v < sp->n_start; v++) {
        const cp_fleet_start *st = &sp->start[v];
        const double units = st->units, fl = st->flops, wt = st->watts, si = st->surv[t];
        const double *restrict mult = &f->start[v * f->lanes + l0];
        for (size_t l = 0; l < m; l++) {
            const double wv = units * mult[l] * wt * si;
            o[l] += obsolete_by(below[l], fin[l], win[l], fl, wt) ? wv : 0;
        }
    }
}

LANE_INLINE void start_sums(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, size_t l0,
                            size_t m, const obsolete_test *ob, const obsolete_test *own,
                            double *restrict a, double *restrict b, double *restrict w,
                            double *restrict w1, double *restrict o, double *restrict p)
{
    for (size_t v = 0; v < sp->n_start; v++) {
        const cp_fleet_start *st = &sp->start[v];
        const double units = st->units, fl = st->flops, wt = st->watts;
        const double si = st->surv[t], si1 = st->surv[t + 1];
        const double *restrict mult = &f->start[v * f->lanes + l0];
        for (size_t l = 0; l < m; l++) {
            const double fleet0 = units * mult[l]; /* exact when the multiplier is 1 */
            const double wv = fleet0 * wt * si;
            a[l] = v ? a[l] + fleet0 * si : fleet0 * si;
            b[l] = v ? b[l] + fleet0 * fl * si : fleet0 * fl * si;
            w[l] = v ? w[l] + wv : wv;
            w1[l] = v ? w1[l] + fleet0 * wt * si1 : fleet0 * wt * si1;
        }
    }
    for (size_t l = 0; l < m; l++)
        o[l] = p[l] = 0;
    if (ob)
        start_obsolete(sp, f, t, l0, m, ob, o);
    if (own)
        start_obsolete(sp, f, t, l0, m, own, p);
}

/* installed_sums for lanes l0 .. l0 + m - 1 (m at most SUM_BLOCK; the
 * compiler specialises the always-inlined body for m == SUM_BLOCK). */
LANE_INLINE void installed_block(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, size_t l0,
                                 size_t m, double *restrict fleet, double *restrict flops,
                                 double *restrict watts, double *restrict watts_next,
                                 double *restrict liquid, const obsolete_test *ob,
                                 const obsolete_test *own)
{
    const size_t L = f->lanes;
    double a[SUM_BLOCK], b[SUM_BLOCK], w[SUM_BLOCK], w1[SUM_BLOCK], q[SUM_BLOCK], o[SUM_BLOCK],
        e[SUM_BLOCK], p[SUM_BLOCK], pe[SUM_BLOCK];
    double sa[SUM_BLOCK], sb[SUM_BLOCK], sw[SUM_BLOCK], sw1[SUM_BLOCK], so[SUM_BLOCK],
        sp_[SUM_BLOCK];
    start_sums(sp, f, t, l0, m, ob, own, sa, sb, sw, sw1, so, sp_);
    for (size_t l = 0; l < m; l++) {
        a[l] = sa[l];
        b[l] = sb[l];
        w[l] = sw[l];
        w1[l] = sw1[l];
        q[l] = 0;
        o[l] = so[l];
        e[l] = 0;
        p[l] = sp_[l];
        pe[l] = 0;
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
        /* both tests in one loop where there are two (two loops were
         * slower) */
        for (size_t l = 0; ob && !own && l < m; l++)
            add_obsolete(ob, l0 + l, c, s, fl[l], wt[l], &o[l], &e[l]);
        for (size_t l = 0; ob && own && l < m; l++) {
            add_obsolete(ob, l0 + l, c, s, fl[l], wt[l], &o[l], &e[l]);
            add_obsolete(own, l0 + l, c, s, fl[l], wt[l], &p[l], &pe[l]);
        }
    }
    for (size_t l = 0; l < m; l++) {
        fleet[l0 + l] = a[l];
        flops[l0 + l] = b[l];
        watts[l0 + l] = w[l];
        watts_next[l0 + l] = w1[l];
    }
    for (size_t l = 0; liquid && l < m; l++)
        liquid[l0 + l] = q[l];
    for (size_t l = 0; ob && l < m; l++) {
        ob->watts_out[l0 + l] = o[l];
        ob->end_out[l0 + l] = e[l];
    }
    for (size_t l = 0; own && l < m; l++) {
        own->watts_out[l0 + l] = p[l];
        own->end_out[l0 + l] = pe[l];
    }
}

/* The installed fleet at the start of quarter t: accelerators, FLOP/s,
 * watts, the watts still alive next quarter, with a thermal limit
 * (liquid not NULL) the watts that need liquid-cooled racks (the starting
 * fleet needs none: it stays in the halls it is in), and with replacement
 * (ob not NULL) the watts of the obsolete ones, and with its own on offer
 * (own not NULL) those obsolete against its own, in the same pass over
 * the cohorts. */
CP_LANE_CLONES static void installed_sums(const cp_fleet_spec *sp, const cp_fleet *f, size_t t,
                                          size_t n, double *restrict fleet, double *restrict flops,
                                          double *restrict watts, double *restrict watts_next,
                                          double *restrict liquid, const obsolete_test *ob,
                                          const obsolete_test *own)
{
    size_t l0 = 0;
    for (; l0 + SUM_BLOCK <= n; l0 += SUM_BLOCK)
        installed_block(sp, f, t, l0, SUM_BLOCK, fleet, flops, watts, watts_next, liquid, ob, own);
    if (l0 < n)
        installed_block(sp, f, t, l0, n - l0, fleet, flops, watts, watts_next, liquid, ob, own);
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
LANE_INLINE double liquid_mw(const double *restrict liquid_in, const double *restrict power,
                             size_t l)
{
    const double liquid = liquid_in[l] > 0 ? liquid_in[l] : 0;
    return liquid < power[l] ? liquid : power[l];
}

/* The share of this quarter's watts that need liquid-cooled racks. */
LANE_INLINE double need_now(const double *restrict needs, size_t l)
{
    const double q = needs[l];
    return q > 0 ? (q < 1 ? q : 1) : 0;
}

/* With a thermal limit: the power it can fill this quarter (hostable,
 * MW): its power, less the free power that only air-cooled racks could
 * use when this quarter's accelerators need liquid-cooled ones (the
 * liquid-cooled power not yet drawn, divided by the share that needs it,
 * is all the new accelerators can use).  Its orders follow it.  From the
 * sums installed_sums left in the fleet. */
CP_LANE_CLONES static void hostable_power(size_t n, const double *restrict sum_watts,
                                          const double *restrict sum_liquid,
                                          const double *restrict pue, const double *restrict power,
                                          const double *restrict liquid,
                                          const double *restrict needs, double *restrict hostable)
{
    for (size_t l = 0; l < n; l++) {
        const double mw_per_watt = pue[l] / 1e6;
        const double draw = sum_watts[l] * mw_per_watt, liquid_draw = sum_liquid[l] * mw_per_watt;
        const double free_liquid = liquid_mw(liquid, power, l) - liquid_draw,
                     q = need_now(needs, l);
        const double spare = power[l] - draw;
        const double usable = q > 0 ? (free_liquid > 0 ? free_liquid : 0) / q : spare;
        hostable[l] = usable < spare ? draw + usable : power[l];
    }
}

/* With a thermal limit and replacement: the obsolete watts that new
 * accelerators can replace, at most what the liquid-cooled room left after
 * the power it can fill (hostable) allows, each W of the new needing q of
 * it.  A W retired frees its own share of liquid-cooled racks too, but
 * replacement, oldest first, is sure to reach only this much (each W costs
 * at most q of the room), so the orders do not outrun it. */
CP_LANE_CLONES static void
replaceable_power(size_t n, const double *restrict sum_watts, const double *restrict sum_liquid,
                  const double *restrict pue, const double *restrict power,
                  const double *restrict liquid, const double *restrict needs,
                  const double *restrict hostable, double *restrict obsolete, uint8_t *restrict cut)
{
    for (size_t l = 0; l < n; l++) {
        const double w_per_mw = 1e6 / pue[l];
        const double q = need_now(needs, l), draw_w = sum_watts[l];
        const double fill_w = hostable[l] * w_per_mw - draw_w;
        const double liquid_w = liquid_mw(liquid, power, l) * w_per_mw - sum_liquid[l];
        const double left = liquid_w - (fill_w > 0 ? fill_w : 0) * q;
        const double cap = q > 0 ? (left > 0 ? left : 0) / q : INFINITY;
        cut[l] = obsolete[l] > cap;
        obsolete[l] = obsolete[l] < cap ? obsolete[l] : cap;
    }
}

/* The orders of lanes 0 .. n - 1 (see cp_fleet_plan); offered: its own
 * accelerators' watts on offer (NULL: none). */
LANE_INLINE void order_lanes(size_t n, double horizon, double target, int has_offer,
                             const double *restrict power_in, const double *restrict pue,
                             const double *restrict watts_in, const double *restrict sum_watts,
                             const double *restrict sum_watts_next,
                             const double *restrict sum_waiting, double *restrict obsolete,
                             const double *restrict offered, double *restrict power_prev,
                             double *restrict own_share, double *restrict buffer_out,
                             double *restrict orders_out)
{
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
            has_offer && offered[l] > 0 && watts_in[l] > 0 ? offered[l] / watts_in[l] : 0;
        const double take = offer < need ? offer : need;
        own_share[l] = offer > 0 ? take / offer : 0;
        /* Replacements of obsolete accelerators are ordered from the
         * market (its own replace only what the bought ones cannot, after
         * them: replace_by_own); none when the power fell below the draw
         * (nothing is installed then, and nothing replaced). */
        obsolete[l] = power >= draw ? obsolete[l] : 0;
        const double renew = obsolete[l] * mw_per_watt / mw_new;
        const double o = want + renew - take;
        const double orders = mw_new > 0 ? o : 0, buffer = mw_new > 0 ? b : 0;
        buffer_out[l] = buffer;
        orders_out[l] = orders > 0 ? orders : 0;
    }
}

/* order_lanes with restrict parameters (see start_lanes), specialised on
 * whether anything is on offer rather than testing it in every lane. */
CP_LANE_CLONES static void
place_orders(size_t n, double horizon, double target, const double *restrict power_in,
             const double *restrict pue, const double *restrict watts_in,
             const double *restrict sum_watts, const double *restrict sum_watts_next,
             const double *restrict sum_waiting, double *restrict obsolete,
             const double *restrict offered, double *restrict power_prev,
             double *restrict own_share, double *restrict buffer_out, double *restrict orders_out)
{
    if (offered)
        order_lanes(n, horizon, target, 1, power_in, pue, watts_in, sum_watts, sum_watts_next,
                    sum_waiting, obsolete, offered, power_prev, own_share, buffer_out, orders_out);
    else
        order_lanes(n, horizon, target, 0, power_in, pue, watts_in, sum_watts, sum_watts_next,
                    sum_waiting, obsolete, NULL, power_prev, own_share, buffer_out, orders_out);
}

CP_LANE_CLONES void cp_fleet_plan(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                                  const cp_fleet_in *in)
{
    if (t == 0) /* the starting fleet, which shocks on initial_fleet and its vintages may scale */
        for (size_t v = 0; v < sp->n_start; v++) {
            const double *each = in->start_each[v];
            for (size_t l = 0; l < n; l++) {
                const double all = in->start ? (in->start[l] > 0 ? in->start[l] : 0) : 1.0;
                const double one = each ? (each[l] > 0 ? each[l] : 0) : 1.0;
                f->start[v * f->lanes + l] = all * one;
            }
        }
    const obsolete_test ob = {.below = in->replace_below,
                              .flops_in = in->flops,
                              .watts_in = in->watts,
                              .watts_out = f->obsolete,
                              .end_out = f->renew_end};
    /* its own on offer, one each (replace_by_own) */
    const int own_test = in->replace_below && f->own_wait && in->own_units;
    for (size_t l = 0; own_test && l < n; l++) {
        const double offer = in->own_units[l] > 0 ? in->own_units[l] : 0;
        f->own_each_flops[l] = offer > 0 ? in->own_flops[l] / offer : 0;
        f->own_each_watts[l] = offer > 0 ? in->own_watts[l] / offer : 0;
    }
    const obsolete_test own = {.below = in->replace_below,
                               .flops_in = f->own_each_flops,
                               .watts_in = f->own_each_watts,
                               .watts_out = f->own_obsolete,
                               .end_out = f->own_end};
    installed_sums(sp, f, t, n, f->sum_fleet, f->sum_flops, f->sum_watts, f->sum_watts_next,
                   sp->thermal ? f->sum_liquid : NULL, in->replace_below ? &ob : NULL,
                   own_test ? &own : NULL);
    waiting_count(sp, f, t, n, in->watts, f->sum_waiting);
    if (sp->thermal)
        hostable_power(n, f->sum_watts, f->sum_liquid, in->pue, in->power, in->liquid, in->needs,
                       f->hostable);
    if (sp->thermal && in->replace_below)
        replaceable_power(n, f->sum_watts, f->sum_liquid, in->pue, in->power, in->liquid, in->needs,
                          f->hostable, f->obsolete, f->renew_cut);
    const double *power_in = sp->thermal ? f->hostable : in->power;
    if (t == 0) /* no growth in the first quarter: as if last quarter's were this one's */
        for (size_t l = 0; l < n; l++)
            f->power_prev[l] = power_in[l];
    /* Its own accelerators on offer (none without streams) meet its needs
     * first, counted as the market's accelerators of this quarter that draw
     * the same watts (as its orders, buffer and waiting are counted): it
     * takes the share own_share of them. */
    place_orders(n, in->horizon, in->buffer, power_in, in->pue, in->watts, f->sum_watts,
                 f->sum_watts_next, f->sum_waiting, f->obsolete, in->own_watts, f->power_prev,
                 f->own_share, f->buffer, f->orders);
    f->planned = t + 1;
}

/* Deliveries join a cohort (wait, flops, watts: its entries), which takes
 * this quarter's FLOP/s and watts. */
CP_LANE_CLONES static void
receive_bought(size_t n, const double *restrict arrived, const double *restrict units,
               const double *restrict resold, const double *restrict flops_in,
               const double *restrict watts_in, double *restrict wait, double *restrict flops,
               double *restrict watts, double *restrict received, double *restrict received_own,
               double *restrict received_own_flops, double *restrict received_new_flops)
{
    for (size_t l = 0; l < n; l++) {
        const double a = arrived[l] + units[l];
        wait[l] += a;
        flops[l] = flops_in[l];
        watts[l] = watts_in[l];
        received[l] = a + resold[l]; /* resold ones joined their own cohorts */
        received_own[l] = 0;
        received_own_flops[l] = 0;
        received_new_flops[l] = a * flops_in[l]; /* what the cohort will count */
    }
}

/* Its own accelerators, the share it took of those on offer: one cohort
 * of the quarter's mix of streams. */
CP_LANE_CLONES static void
receive_own(size_t n, const double *restrict units, const double *restrict flops_in,
            const double *restrict watts_in, const double *restrict share, double *restrict wait,
            double *restrict flops, double *restrict watts, double *restrict received,
            double *restrict received_own, double *restrict received_own_flops)
{
    for (size_t l = 0; l < n; l++) {
        const double offer = units[l] > 0 ? units[l] : 0, k = offer * share[l];
        wait[l] += k;
        flops[l] = offer > 0 ? flops_in[l] / offer : 0;
        watts[l] = offer > 0 ? watts_in[l] / offer : 0;
        received[l] += k;
        received_own[l] = k;
        received_own_flops[l] = k * flops[l]; /* what the cohort will count */
    }
}

/* Deliveries join cohort t: bought ones, and with a thermal limit the
 * share of their watts that need liquid-cooled racks, and its own. */
LANE_INLINE void receive(cp_fleet *f, size_t t, size_t n, const cp_fleet_in *in,
                         const cp_fleet_out *out)
{
    const size_t at = t * f->lanes;
    receive_bought(n, f->arrived, in->units, f->resold, in->flops, in->watts, &f->wait[at],
                   &f->flops[at], &f->watts[at], out->received, out->received_own,
                   out->received_own_flops, out->received_new_flops);
    for (size_t l = 0; f->need && l < n; l++)
        f->need[at + l] = need_now(in->needs, l);
    if (f->own_wait && in->own_units)
        receive_own(n, in->own_units, in->own_flops, in->own_watts, f->own_share, &f->own_wait[at],
                    &f->own_flops[at], &f->own_watts[at], out->received, out->received_own,
                    out->received_own_flops);
}

/* Takes from one waiting part of a cohort (w: age-0 units, s its
 * survival, each the W of one) what the headroom h allows; returns how
 * many, and sets *age0 to them in age-0 units, *h_out to the headroom
 * left and *wait_out to what still waits.  Without branches, so that
 * lanes side by side vectorize: both ways are computed and selects choose
 * (the whole cohort fits where, with a margin far beyond rounding,
 * h / each > units). */
LANE_INLINE double take_lanes(double w, double s, double each, double h, double *h_out,
                              double *wait_out, double *age0)
{
    const double units = w * s;
    const int whole = (!(each > 0)) | ((h >= 1.0) & (units * each < h * (1.0 - 1e-9)));
    const double by_h = h / each, k_part = by_h < units ? by_h : units;
    const int all = k_part == units;
    const double k = whole ? units : k_part;
    *age0 = whole | all ? w : k_part / s;
    *h_out = whole | all ? h - k * each : 0;
    *wait_out = whole | all ? 0 : w - *age0;
    return k;
}

/* take_lanes under a thermal limit: a share q of the cohort's watts also
 * needs the liquid-cooled headroom hl (W), so the cohort may use at most
 * hl / q of the headroom h; *hl_out: the liquid-cooled headroom left (0
 * when the cohort did not fit in it). */
LANE_INLINE double take_cooled_lanes(double w, double s, double each, double q, double h, double hl,
                                     double *h_out, double *hl_out, double *wait_out, double *age0)
{
    const double by_liquid = q > 0 ? hl / q : INFINITY;
    const int by_power = !(by_liquid < h);
    double room;
    const double k = take_lanes(w, s, each, by_power ? h : by_liquid, &room, wait_out, age0);
    const double hl_left = hl - k * each * q, h_left = h - k * each;
    *h_out = by_power ? room : (h_left > 0 ? h_left : 0);
    const double kept = by_power ? hl_left : room; /* hl_left is kept where this is above 0 */
    *hl_out = kept > 0 ? hl_left : 0;
    return k;
}

/* The running sums of a lane's installation: the headroom (W), the
 * liquid-cooled headroom (W; NULL without a thermal limit), and the
 * fleet's accelerators, FLOP/s and watts. */
typedef struct lane_sums {
    double h, *hl, fleet, flops, watts;
} lane_sums;

/* Installs from one waiting part of cohort c (wait: age-0 units, each
 * the W and per the FLOP/s of one) what the headroom allows; adds them to
 * the cohort's installed and to the sums, and returns how many. */
static double install_part(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t c, size_t l,
                           double *wait, double each, double per, lane_sums *ls)
{
    const size_t at = c * f->lanes + l;
    const double s = sp->surv[t - c];
    double age0, h, hl = 0, left;
    const double k = ls->hl ? take_cooled_lanes(*wait, s, each, f->need[at], ls->h, *ls->hl, &h,
                                                &hl, &left, &age0)
                            : take_lanes(*wait, s, each, ls->h, &h, &left, &age0);
    *wait = left;
    ls->h = h;
    if (ls->hl)
        *ls->hl = hl;
    f->inst[at] += age0;
    f->inst_flops[at] += age0 * per;
    f->inst_watts[at] += age0 * each;
    ls->fleet += k;
    ls->flops += k * per;
    ls->watts += k * each;
    return k;
}

/* The watts still waiting in lane l's cohorts c .. t of wait (age-0
 * units per cohort) whose accelerators draw watts each, and with flops
 * not NULL (FLOP/s each) their FLOP/s in *flops_out: for the bought ones
 * (f->wait, f->watts) what replacement by bought ones may make room for,
 * for its own (f->own_wait, f->own_watts) what replacement by its own
 * may.  Waiting accelerators are recent (a third of a quarter old in the
 * baseline's median), so these cohorts are few. */
static double waiting_watts(const cp_fleet_spec *sp, const cp_fleet *f, const double *wait,
                            const double *watts, const double *flops, size_t t, size_t c, size_t l,
                            double *flops_out)
{
    const size_t L = f->lanes;
    double w = 0, fl = 0;
    for (; c <= t; c++) {
        const size_t at = c * L + l;
        const double k = wait[at] > 0 ? sp->surv[t - c] * wait[at] : 0;
        w += k * watts[at];
        fl += flops ? k * flops[at] : 0;
    }
    if (flops)
        *flops_out = fl;
    return w;
}

/* What an installation pass takes of the waiting: both (the quarter's
 * installation), the bought ones only (after their replacement: its own
 * wait), its own only (after its own's replacement: the bought ones wait). */
enum { TAKE_BOUGHT = 1, TAKE_OWN = 2, TAKE_ALL = TAKE_BOUGHT | TAKE_OWN };

/* Whether lane l's bought accelerators waiting (cohorts c .. t) keep its
 * own from replacing: where some wait that give at least the FLOP/s per
 * watt of its own on offer (flops and watts each).  Bought ones waiting
 * that give less do not: an operator who could retire an old chip for one
 * of its own twice as good per watt does not wait to install an import
 * half as good (China's H200s under an export ceiling). */
static int bought_keep_waiting(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, size_t c,
                               size_t l, double flops, double watts)
{
    double fl = 0;
    const double w = waiting_watts(sp, f, f->wait, f->watts, f->flops, t, c, l, &fl);
    return w > 0 && !(fl * watts < flops * w);
}

/* Installs lane l's waiting accelerators (take: which) in its cohorts
 * older than split (all of them: split > t), oldest cohort first (its own
 * before bought ones of the same age), while the headroom (W) lasts, and
 * with a thermal limit (ls->hl not NULL: the liquid-cooled headroom, W)
 * while that lasts for the cohorts that need it; keeps the sums in ls.  Returns how many it
 * installed; *skipping: 1 where every cohort it looked at was empty, so
 * that the walk has not begun (install_recent goes on from split).  Scalar:
 * each cohort's share depends on what the older ones left. */
static double install_lane(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t l, lane_sums *ls,
                           int take, size_t split, int *skipping)
{
    const size_t L = f->lanes, stop = split < t ? split : t;
    double *const own = f->own_wait;
    double *const own_now = take & TAKE_OWN ? own : NULL; /* its own, installed in this pass */
    const int bought_now = take & TAKE_BOUGHT;
    double installed = 0;
    size_t c = f->first_wait[l];
    while (c < stop && !(f->wait[c * L + l] > 0) && !(own && own[c * L + l] > 0))
        c++;
    *skipping = c >= split;
    /* Older cohorts are empty in this lane, and so are those it empties
     * now, oldest first: later passes start after them. */
    size_t first = c;
    for (; c < split && c <= t && ls->h > 0; c++) {
        const size_t at = c * L + l;
        if (own_now && own_now[at] > 0)
            installed +=
                install_part(sp, f, t, c, l, &own_now[at], f->own_watts[at], f->own_flops[at], ls);
        if (bought_now && f->wait[at] > 0 && ls->h > 0)
            installed += install_part(sp, f, t, c, l, &f->wait[at], f->watts[at], f->flops[at], ls);
        const int emptied = !(f->wait[at] > 0) && !(own && own[at] > 0);
        first = first == c && c < t && emptied ? c + 1 : first;
    }
    f->first_wait[l] = (uint16_t)first;
    return installed;
}

/* The lane state of install_recent: the headroom, the liquid-cooled
 * headroom (W), the sums, and install_lane's first and *skipping (as
 * doubles, so that the loops hold doubles only). */
typedef struct recent_lanes {
    double *h, *hl;
    double *fleet, *flops, *watts, *installed;
    double *first, *skip;
} recent_lanes;

/* The lane sums install_part_lanes keeps: the headroom and the
 * liquid-cooled headroom (W), the fleet's accelerators, FLOP/s and watts,
 * and how many it installed. */
#define SUMS_PARAMS                                                                                \
    double *restrict h, double *restrict hl, double *restrict fleet, double *restrict flops,       \
        double *restrict watts, double *restrict installed
#define SUMS_ARGS h, hl, fleet, flops, watts, installed

/* install_part for lane l where go is 1, as selects: one waiting part of
 * a cohort (wait: age-0 units; each, per: the W and FLOP/s of one; need:
 * the share of its watts that needs liquid cooling) into the cohort's
 * installed (inst, inst_flops, inst_watts). */
LANE_INLINE void install_part_lanes(size_t l, int cooled, double s, int go, double *restrict wait,
                                    const double *restrict each_of, const double *restrict per_of,
                                    const double *restrict need, double *restrict inst,
                                    double *restrict inst_flops, double *restrict inst_watts,
                                    SUMS_PARAMS)
{
    const double each = each_of[l], per = per_of[l];
    double h_out, hl_out = 0, left, age0;
    const double k = cooled ? take_cooled_lanes(wait[l], s, each, need[l], h[l], hl[l], &h_out,
                                                &hl_out, &left, &age0)
                            : take_lanes(wait[l], s, each, h[l], &h_out, &left, &age0);
    wait[l] = go ? left : wait[l];
    inst[l] = go ? inst[l] + age0 : inst[l];
    inst_flops[l] = go ? inst_flops[l] + age0 * per : inst_flops[l];
    inst_watts[l] = go ? inst_watts[l] + age0 * each : inst_watts[l];
    fleet[l] = go ? fleet[l] + k : fleet[l];
    flops[l] = go ? flops[l] + k * per : flops[l];
    watts[l] = go ? watts[l] + k * each : watts[l];
    installed[l] = go ? installed[l] + k : installed[l];
    h[l] = go ? h_out : h[l];
    if (cooled)
        hl[l] = go ? hl_out : hl[l];
}

/* install_lane's walk over one cohort (c: cur; older: c < t; s: its
 * survival) for lanes 0 .. n - 1 side by side, without branches (cooled:
 * a thermal limit; own: accelerators of its own; constants where it is
 * inlined, so that each case vectorizes; own_now, bought_now: which of the
 * waiting this pass installs); first, skip: install_lane's first and
 * *skipping, as doubles. */
LANE_INLINE void install_row_body(size_t n, int cooled, int own, int own_now, int bought_now,
                                  double s, double cur, double older, double *restrict wait,
                                  const double *restrict each, const double *restrict per,
                                  double *restrict own_wait, const double *restrict own_each,
                                  const double *restrict own_per, const double *restrict need,
                                  double *restrict inst, double *restrict inst_flops,
                                  double *restrict inst_watts, double *restrict first,
                                  double *restrict skip, double *restrict walks,
                                  double *restrict skips, SUMS_PARAMS)
{
    /* Four passes, each reading what the one before stored: in one pass
     * GCC's partial redundancy elimination turns a test of a value just
     * selected into a select between two tests, which does not vectorize. */
    int busy = 0;
    for (size_t l = 0; l < n; l++) {
        /* (comparisons and their &, | and ! only, and no integer stored
         * as a double: GCC vectorizes those masks, not ints) */
        const int skipping = skip[l] > 0, at_first = first[l] == cur;
        const int empty = !(wait[l] > 0) & !(own && own_wait[l] > 0);
        /* an empty cohort at the start of the walk is skipped, whatever the
         * headroom; the walk begins at the first that is not (or at t) */
        const int still = skipping & at_first & empty & (older > 0);
        const int begins = skipping & at_first & !still;
        skip[l] = (skipping & !begins) ? 1.0 : 0.0;
        const int walking = ((!skipping) | begins) & (h[l] > 0);
        walks[l] = walking ? 1.0 : 0.0;
        skips[l] = still ? 1.0 : 0.0;
        busy |= walking & !empty;
    }
    /* where no lane walking has any waiting in the cohort, nothing is
     * installed from it (the common case in the replacement's pass) */
    for (size_t l = 0; busy && own && own_now && l < n; l++)
        install_part_lanes(l, cooled, s, (walks[l] > 0) & (own_wait[l] > 0), own_wait, own_each,
                           own_per, need, inst, inst_flops, inst_watts, SUMS_ARGS);
    for (size_t l = 0; busy && bought_now && l < n; l++)
        install_part_lanes(l, cooled, s, (walks[l] > 0) & (wait[l] > 0) & (h[l] > 0), wait, each,
                           per, need, inst, inst_flops, inst_watts, SUMS_ARGS);
    for (size_t l = 0; l < n; l++) {
        const int emptied = !(wait[l] > 0) & !(own && own_wait[l] > 0);
        const int moves =
            (skips[l] > 0) | ((walks[l] > 0) & (first[l] == cur) & (older > 0) & emptied);
        first[l] = moves ? cur + 1 : first[l];
    }
}

#define ROW_PARAMS                                                                                 \
    double *restrict wait, const double *restrict each, const double *restrict per,                \
        double *restrict own_wait, const double *restrict own_each,                                \
        const double *restrict own_per, const double *restrict need, double *restrict inst,        \
        double *restrict inst_flops, double *restrict inst_watts, double *restrict first,          \
        double *restrict skip, double *restrict walks, double *restrict skips, SUMS_PARAMS
#define ROW_ARGS                                                                                   \
    wait, each, per, own_wait, own_each, own_per, need, inst, inst_flops, inst_watts, first, skip, \
        walks, skips, SUMS_ARGS

/* install_row_body in each case, a function of its own so that its
 * restrict parameters hold (inlined, they did not: the loop needed more
 * run-time alias tests than GCC makes, and stayed scalar). */
CP_LANE_CLONES static void install_row(size_t n, int cooled, int own, int own_now, int bought_now,
                                       double s, double cur, double older, ROW_PARAMS)
{
    if (cooled && own)
        install_row_body(n, 1, 1, own_now, bought_now, s, cur, older, ROW_ARGS);
    else if (cooled)
        install_row_body(n, 1, 0, 0, bought_now, s, cur, older, ROW_ARGS);
    else if (own)
        install_row_body(n, 0, 1, own_now, bought_now, s, cur, older, ROW_ARGS);
    else
        install_row_body(n, 0, 0, 0, bought_now, s, cur, older, ROW_ARGS);
}

/* The walk of install_lane over the recent cohorts split .. t, every lane
 * side by side (r: where each lane's walk over the older ones left it). */
static void install_recent(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n, size_t split,
                           int take, const recent_lanes *r)
{
    const int own = f->own_wait != NULL;
    const int own_now = (take & TAKE_OWN) != 0, bought_now = (take & TAKE_BOUGHT) != 0;
    for (size_t c = split; c <= t; c++) {
        const size_t at = c * f->lanes;
        install_row(n, sp->thermal, own, own_now, bought_now, sp->surv[t - c], (double)c,
                    c < t ? 1.0 : 0.0, &f->wait[at], &f->watts[at], &f->flops[at],
                    own ? &f->own_wait[at] : NULL, own ? &f->own_watts[at] : NULL,
                    own ? &f->own_flops[at] : NULL, sp->thermal ? &f->need[at] : NULL, &f->inst[at],
                    &f->inst_flops[at], &f->inst_watts[at], r->first, r->skip, f->walk_go,
                    f->walk_still, r->h, r->hl, r->fleet, r->flops, r->watts, r->installed);
    }
}

/* The installation: each lane's waiting accelerators, oldest first, while
 * its headroom lasts.  The last RECENT cohorts hold nearly all of them
 * (waiting accelerators are a third of a quarter old in the baseline's
 * median), so those go every lane side by side (install_recent) after
 * each lane's walk over any older ones (install_lane).  A walk over every
 * cohort any lane has waiting, side by side, was slower (tried twice: a
 * few lanes keep old cohorts waiting, and every lane then walks them). */
static void install_lanes(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n, int take,
                          const double *only, double *headroom, double *watts, double *fleet,
                          double *flops, double *installed)
{
    const size_t split = t >= RECENT - 1 ? t - (RECENT - 1) : 0;
    for (size_t l = 0; l < n; l++) {
        const int taking = !only || only[l] > 0;
        int skipping = 1;
        installed[l] = 0;
        if (taking && f->first_wait[l] < split) {
            lane_sums ls = {.h = headroom[l],
                            .hl = sp->thermal ? &f->liquid_room[l] : NULL,
                            .fleet = fleet[l],
                            .flops = flops[l],
                            .watts = watts[l]};
            installed[l] = install_lane(sp, f, t, l, &ls, take, split, &skipping);
            headroom[l] = ls.h;
            fleet[l] = ls.fleet;
            flops[l] = ls.flops;
            watts[l] = ls.watts;
        }
        /* a lane left out never begins its walk: no cohort is its first */
        f->walk_skip[l] = skipping;
        f->walk_first[l] = taking ? f->first_wait[l] : -1.0;
    }
    const recent_lanes r = {.h = headroom,
                            .hl = sp->thermal ? f->liquid_room : NULL,
                            .fleet = fleet,
                            .flops = flops,
                            .watts = watts,
                            .installed = installed,
                            .first = f->walk_first,
                            .skip = f->walk_skip};
    install_recent(sp, f, t, n, split, take, &r);
    for (size_t l = 0; l < n; l++)
        f->first_wait[l] = f->walk_first[l] >= 0 ? (uint16_t)f->walk_first[l] : f->first_wait[l];
}

/* One cohort's step of replace_lanes (c: the cohort; s: its survival;
 * cooled: whether there is a thermal limit, a constant where it is inlined,
 * so that each case has a loop without branches, which vectorizes; ends:
 * per lane, 1 + the newest cohort it found obsolete at the quarter's start,
 * the last it may replace). */
LANE_INLINE void replace_cohort(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n, size_t c,
                                int cooled, const double *restrict below,
                                const double *restrict flops_in, const double *restrict watts_in,
                                const double *restrict ends, const double *restrict needs,
                                const double *restrict want, double *restrict room,
                                double *restrict budget, double *restrict freed,
                                double *restrict fleet, double *restrict flops,
                                double *restrict watts, double *restrict replaced)
{
    const size_t L = f->lanes;
    const double s = sp->surv[t - c];
    double *restrict inst = &f->inst[c * L], *restrict fl = &f->inst_flops[c * L],
                     *restrict wt = &f->inst_watts[c * L];
    const double *restrict need = cooled ? &f->need[c * L] : NULL;
    const double cohort = (double)c;
    for (size_t l = 0; l < n; l++) {
        const double q = cooled ? need_now(needs, l) : 0, qc = cooled ? need[l] : 0;
        const double w = s * wt[l], left = want[l] - freed[l];
        const int old = (w > 0) & (left > 0) & (cohort < ends[l]) &
                        obsolete_by(below[l], flops_in[l], watts_in[l], fl[l], wt[l]);
        const double cap = q > qc ? budget[l] / (q - qc) : INFINITY;
        const double r0 = left < w ? left : w;
        /* old ? min : 0, as a product: GCC threads the select into
         * branches where cap is INFINITY (no thermal limit), and the loop
         * no longer vectorizes; + 0.0 turns the product's -0 into 0. */
        const double m = r0 < cap ? r0 : cap;
        const double r = (m > 0 ? m : 0) * old + 0.0;
        const double part = r > 0 ? (r < w ? r / w : 1.0) : 0, units = s * inst[l];
        fleet[l] -= units * part;
        flops[l] -= s * fl[l] * part;
        watts[l] -= w * part;
        const double keep = 1.0 - part;
        inst[l] *= keep;
        fl[l] *= keep;
        wt[l] *= keep;
        budget[l] -= r * (q - qc);
        freed[l] += r;
        replaced[l] += units * part;
        if (cooled)
            room[l] += r * qc;
    }
}

/* replace_lanes' pass over one vintage of the starting fleet (mult: its
 * multipliers, per lane), which is older than every cohort; cooled as in
 * replace_cohort (needs is read only under a thermal limit).  Written as
 * replace_cohort is, without branches: the vintage's figures are read
 * into locals and the selects are products, so that the loop vectorizes
 * (scalar, it was half of replace_lanes' time). */
LANE_INLINE void replace_start(const cp_fleet_start *st, double *restrict mult, size_t t, size_t n,
                               int cooled, const double *restrict below,
                               const double *restrict flops_in, const double *restrict watts_in,
                               const double *restrict needs, const double *restrict want,
                               double *restrict budget, double *restrict freed,
                               double *restrict fleet, double *restrict flops,
                               double *restrict watts, double *restrict replaced)
{
    const double si = st->surv[t], each = st->units, st_flops = st->flops, st_watts = st->watts;
    for (size_t l = 0; l < n; l++) {
        const double q = cooled ? need_now(needs, l) : 0;
        const double units = each * mult[l] * si, w0 = units * st_watts;
        const double left = want[l] - freed[l];
        const int old = (w0 > 0) & (left > 0) &
                        obsolete_by(below[l], flops_in[l], watts_in[l], st_flops, st_watts);
        const double cap = q > 0 ? budget[l] / q : INFINITY;
        const double r0 = left < w0 ? left : w0;
        const double m = r0 < cap ? r0 : cap;
        const double r = (m > 0 ? m : 0) * old + 0.0; /* as in replace_cohort */
        const double part = r > 0 ? (r < w0 ? r / w0 : 1.0) : 0;
        fleet[l] -= units * part;
        flops[l] -= units * st_flops * part;
        watts[l] -= w0 * part;
        mult[l] = part < 1.0 ? mult[l] * (1.0 - part) : 0;
        budget[l] -= r * q;
        freed[l] += r;
        replaced[l] += units * part;
    }
}

/* Replacement, for lanes 0 .. n - 1 after the installation (inputs/README.md,
 * step 3b): where the headroom is used up, installed accelerators whose
 * FLOP/s per watt is at most below[l] of this quarter's bought ones
 * (flops_in / watts_in) are retired, oldest first (the starting fleet's
 * vintages first, oldest first), as far as want[l] (the waiting watts, at most the obsolete ones
 * the orders counted) and, under a thermal limit (room not NULL), the
 * liquid-cooled room allow (each W of the new needs q of it, each W
 * retired frees its own cohort's share), and no further than ends[l]
 * (cohorts before it: those the quarter's plan found obsolete, the
 * starting fleet's vintages always).  freed: the watts freed, per
 * lane; the sums (fleet, flops, watts) lose what retires and replaced
 * counts it.  Cohort by cohort over all lanes, so that it vectorizes: a
 * pass lane by lane, over cohorts strided by the lanes, missed the cache
 * at every cohort (the model twice as slow).  The waiting that the
 * freed power takes are installed by install_lane after it. */
CP_LANE_CLONES static void
replace_lanes(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
              const double *restrict below, const double *restrict flops_in,
              const double *restrict watts_in, const double *restrict ends,
              const double *restrict needs, const double *restrict want, double *restrict room,
              double *restrict budget, double *restrict freed, double *restrict fleet,
              double *restrict flops, double *restrict watts, double *restrict replaced)
{
    for (size_t l = 0; l < n; l++) {
        budget[l] = room ? room[l] : INFINITY;
        freed[l] = replaced[l] = 0;
    }
    for (size_t v = 0; v < sp->n_start; v++) {
        double *const mult = &f->start[v * f->lanes];
        if (room)
            replace_start(&sp->start[v], mult, t, n, 1, below, flops_in, watts_in, needs, want,
                          budget, freed, fleet, flops, watts, replaced);
        else
            replace_start(&sp->start[v], mult, t, n, 0, below, flops_in, watts_in, needs, want,
                          budget, freed, fleet, flops, watts, replaced);
    }
    /* ends[l] <= t: cohorts before this quarter's */
    for (size_t c = 0; c < t; c++) {
        /* Lanes that still want room and may replace cohort c.  Not only
         * those with liquid-cooled room left: a cohort whose share needing
         * liquid is at least this quarter's frees as much of it as its
         * replacement takes, so it is replaced where the room is used up
         * (replace_cohort).  Stopping at the room, as this did until 4 Dec
         * 2026, made a lane's replacement depend on whether another lane
         * in its chunk kept the walk going: a sample depended on its
         * neighbours.  So did the walk's end, the newest obsolete cohort of
         * any lane, until 5 Dec: a cohort installed from the queue this
         * quarter, past a lane's own end, was replaced only where another
         * lane's end reached it; each lane now stops at its own. */
        const double cohort = (double)c;
        int more = 0;
        for (size_t l = 0; l < n; l++)
            more |= (want[l] - freed[l] > 0) & (cohort < ends[l]);
        if (!more)
            break;
        if (room)
            replace_cohort(sp, f, t, n, c, 1, below, flops_in, watts_in, ends, needs, want, room,
                           budget, freed, fleet, flops, watts, replaced);
        else
            replace_cohort(sp, f, t, n, c, 0, below, flops_in, watts_in, ends, needs, want, room,
                           budget, freed, fleet, flops, watts, replaced);
    }
}

/* After a replacement, the waiting accelerators (take: which) installed
 * where power was freed (f->renew_freed above 0),
 * counted in out->installed; the replacement's budget is scratch by then. */
static void install_freed(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n, int take,
                          double *headroom, double *watts, const cp_fleet_out *out)
{
    const double *const freed = f->renew_freed;
    double *const more = f->renew_budget;
    install_lanes(sp, f, t, n, take, freed, headroom, watts, out->fleet, out->flops, more);
    for (size_t l = 0; l < n; l++)
        out->installed[l] = freed[l] > 0 ? out->installed[l] + more[l] : out->installed[l];
}

/* Replacement after the installation, for the lanes whose headroom is used
 * up while accelerators wait and obsolete ones are installed (rest: the
 * watts left waiting, per lane): obsolete ones retire (replace_lanes) and
 * the bought ones waiting take their power (install_lane again, its own
 * left waiting).  Returns 0 where nothing was replaced, else 1. */
static int replace_and_install(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                               const cp_fleet_in *in, double *headroom, double *watts,
                               const cp_fleet_out *out)
{
    double *const want = f->renew_want, *const freed = f->renew_freed;
    int any = 0;

    for (size_t l = 0; l < n; l++) {
        /* want holds what install_lane left waiting */
        const double w = f->obsolete[l] < want[l] ? f->obsolete[l] : want[l];
        want[l] = headroom[l] >= 0 && w > 0 ? w : 0;
        any |= want[l] > 0;
    }
    if (!any)
        return 0;
    replace_lanes(sp, f, t, n, in->replace_below, in->flops, in->watts, f->renew_end, in->needs,
                  want, sp->thermal ? f->liquid_room : NULL, f->renew_budget, freed, out->fleet,
                  out->flops, watts, out->replaced);
    for (size_t l = 0; l < n; l++)
        if (freed[l] > 0) {
            f->obsolete[l] -= freed[l];
            headroom[l] = headroom[l] + freed[l];
        }
    install_freed(sp, f, t, n, TAKE_BOUGHT, headroom, watts, out);
    return 1;
}

/* Replacement by its own accelerators (inputs/README.md, step 3c), after
 * the bought ones' and only where the headroom is used up while no bought
 * accelerator waits that is as good per watt as its own
 * (bought_keep_waiting): installed ones whose FLOP/s per watt is at most
 * below[l] of this quarter's own (on offer) retire, oldest first, for its
 * own waiting and then for those on offer this quarter that it did not
 * take, which it now takes (they join cohort t); the bought ones waiting
 * stay waiting.  Its own are judged against their own FLOP/s per watt,
 * not the bought ones': an operator swaps an old chip for one of its own
 * only where its own earns the swap.  Bought ones go first, as they do in
 * the orders (the obsolete MW are ordered from the market): a domestic
 * chip that took a replacement's place would crowd out an import that
 * gives more FLOP/s per watt. */
static void replace_by_own(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                           const cp_fleet_in *in, double *headroom, double *watts,
                           const cp_fleet_out *out)
{
    double *const want = f->renew_want, *const freed = f->renew_freed;
    const double *const each_flops = f->own_each_flops, *const each_watts = f->own_each_watts;
    const size_t at = t * f->lanes;
    int any = 0;
    for (size_t l = 0; l < n; l++) {
        /* what is obsolete against its own at the start of the quarter (the
         * plan's sums: the bought ones may have replaced some of it since) */
        const double cap = f->own_obsolete[l];
        /* the power used up, not below the draw (then nothing is removed);
         * the bought ones waiting looked at last, where all else allows */
        const int full = cap > 0 && headroom[l] == 0;
        f->own_waiting_w[l] = full ? waiting_watts(sp, f, f->own_wait, f->own_watts, NULL, t,
                                                   f->first_wait[l], l, NULL)
                                   : 0;
        const double offer = in->own_units[l] > 0 ? in->own_units[l] : 0;
        const double untaken = offer * (1.0 - f->own_share[l]);
        const double w = full ? f->own_waiting_w[l] + untaken * each_watts[l] : 0;
        const int free_to = w > 0 && !bought_keep_waiting(sp, f, t, f->first_wait[l], l,
                                                          each_flops[l], each_watts[l]);
        want[l] = !free_to ? 0 : w < cap ? w : cap;
        any |= want[l] > 0;
    }
    if (!any)
        return;
    replace_lanes(sp, f, t, n, in->replace_below, each_flops, each_watts, f->own_end, in->needs,
                  want, sp->thermal ? f->liquid_room : NULL, f->renew_budget, freed, out->fleet,
                  out->flops, watts, f->own_replaced);
    for (size_t l = 0; l < n; l++) {
        if (!(freed[l] > 0))
            continue;
        /* what its own waiting cannot fill, those on offer it did not take */
        const double extra = freed[l] > f->own_waiting_w[l] ? freed[l] - f->own_waiting_w[l] : 0;
        const double k = extra / each_watts[l];
        f->own_wait[at + l] += k;
        out->received[l] += k;
        out->received_own[l] += k;
        out->received_own_flops[l] += k * each_flops[l];
        out->replaced[l] += f->own_replaced[l];
        headroom[l] += freed[l];
        /* for what bound (bound_lanes): what it retired was, for the most
         * part, obsolete against the bought ones too */
        f->obsolete[l] = f->obsolete[l] > freed[l] ? f->obsolete[l] - freed[l] : 0;
    }
    install_freed(sp, f, t, n, TAKE_OWN, headroom, watts, out);
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

/* The loops over lanes of a fleet's quarter are functions of their own,
 * their arrays restrict parameters, so that the compiler sees that the
 * arrays do not overlap and vectorizes them (restrict pointers taken from
 * a struct's members did not show it, and the loops stayed scalar).  Every
 * lane does the same operations as a scalar loop would. */

/* The quarter starts from the installed sums; the headroom is in watts
 * until the end, so that the halls' overhead multiplies once. */
CP_LANE_CLONES static void
start_lanes(size_t n, const double *restrict pue, const double *restrict power,
            const double *restrict sum_fleet, const double *restrict sum_flops,
            const double *restrict sum_watts, double *restrict fleet, double *restrict flops,
            double *restrict watts, double *restrict headroom)
{
    for (size_t l = 0; l < n; l++) {
        const double w_per_mw = 1e6 / pue[l], power_w = power[l] * w_per_mw;
        fleet[l] = sum_fleet[l];
        flops[l] = sum_flops[l];
        watts[l] = sum_watts[l];
        headroom[l] = power_w - watts[l];
    }
}

/* The liquid-cooled headroom (W): liquid-cooled power less the watts
 * installed that need it. */
CP_LANE_CLONES static void liquid_room(size_t n, const double *restrict pue,
                                       const double *restrict power, const double *restrict liquid,
                                       const double *restrict sum_liquid, double *restrict room)
{
    for (size_t l = 0; l < n; l++) {
        const double w_per_mw = 1e6 / pue[l];
        const double r = liquid_mw(liquid, power, l) * w_per_mw - sum_liquid[l];
        room[l] = r > 0 ? r : 0;
    }
}

/* What bound: the power (headroom used up, unless obsolete accelerators
 * are left to replace and nothing waits to replace them: then the chips
 * did), else a supply short of the orders (its import limit, or the
 * capacity), else the orders; without a market (has_market 0) the supply
 * is what it is.  Without branches (& and | rather than && and ||). */
CP_LANE_CLONES static void
bound_lanes(size_t n, int has_market, const double *restrict pue, const double *restrict power,
            const double *restrict headroom, const double *restrict ordered,
            const double *restrict arrived, const double *restrict resold,
            const uint8_t *restrict capped_by, const double *restrict obsolete,
            const double *restrict waiting, const double *restrict fleet, uint8_t *restrict bound)
{
    for (size_t l = 0; l < n; l++) {
        const double w_per_mw = 1e6 / pue[l], power_w = power[l] * w_per_mw;
        const int renewing = (obsolete[l] > TINY * power_w) & (headroom[l] > -TINY * power_w) &
                             !(waiting[l] > TINY * (fleet[l] + waiting[l]));
        const int by_power = !(headroom[l] > TINY * power_w) & !renewing;
        const int is_short =
            !has_market | (ordered[l] - arrived[l] - resold[l] > TINY * (1.0 + ordered[l]));
        const int capped = has_market & (capped_by[l] != 0);
        /* power, else orders, else capped or short, as arithmetic */
        bound[l] = (uint8_t)((1 - by_power) *
                             (CP_FLEET_BOUND_ORDERS -
                              is_short * (CP_FLEET_BOUND_ORDERS - CP_FLEET_BOUND_SHORT - capped)));
    }
}

/* Under a thermal limit, power left while the liquid-cooled power is used
 * up (and this quarter's accelerators need it) bound the fleet: its
 * orders followed the power it could fill. */
CP_LANE_CLONES static void cooling_bound(size_t n, const double *restrict pue,
                                         const double *restrict power, const double *restrict room,
                                         const double *restrict needs,
                                         const uint8_t *restrict renew_cut, uint8_t *restrict bound)
{
    for (size_t l = 0; l < n; l++) {
        const double power_w = power[l] * 1e6 / pue[l];
        const int cooled = !(room[l] > TINY * power_w) & (need_now(needs, l) > 0);
        /* with the power used up, the liquid-cooled room still binds where
         * it held back the replacement of obsolete accelerators */
        const int held = (bound[l] == CP_FLEET_BOUND_POWER) & (renew_cut[l] != 0);
        bound[l] = ((bound[l] != CP_FLEET_BOUND_POWER) | held) & cooled ? CP_FLEET_BOUND_COOLING
                                                                        : bound[l];
    }
}

/* Back to MW: the power used, and the unfilled power.  Reports (unfilled
 * power, the waiting and their age) below a billionth of their scale are
 * rounding left by differences of near-equal numbers, not megawatts or
 * accelerators: they are reported as 0. */
CP_LANE_CLONES static void power_reports(size_t n, const double *restrict pue,
                                         const double *restrict power, double *restrict watts,
                                         double *restrict headroom)
{
    for (size_t l = 0; l < n; l++) {
        const double w_per_mw = 1e6 / pue[l];
        const double used = watts[l] / w_per_mw;
        const double spare = power[l] - used;
        watts[l] = used;                                   /* now power_used */
        headroom[l] = spare > TINY * power[l] ? spare : 0; /* now unfilled */
    }
}

/* The waiting reports (own: its own waiting, NULL if it has none), dust
 * as 0; the quarter's target and orders; nothing arrived yet for the next
 * quarter. */
CP_LANE_CLONES static void end_lanes(size_t n, const double *restrict fleet,
                                     const double *restrict own, const double *restrict buffer,
                                     const double *restrict ordered_now, double *restrict waiting,
                                     double *restrict age, double *restrict waiting_own,
                                     double *restrict target, double *restrict orders,
                                     double *restrict arrived_next, double *restrict resold_next)
{
    for (size_t l = 0; l < n; l++) {
        const int dust = !(waiting[l] > TINY * (fleet[l] + waiting[l]));
        waiting[l] = dust ? 0 : waiting[l];
        age[l] = dust ? 0 : age[l];
        waiting_own[l] = dust || !own ? 0 : own[l];
    }
    for (size_t l = 0; l < n; l++) {
        target[l] = buffer[l];
        orders[l] = ordered_now[l];
        arrived_next[l] = resold_next[l] = 0;
    }
}

/* Only the installation's older cohorts and the return of a surplus go
 * lane by lane. */
CP_LANE_CLONES void cp_fleet_step(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                                  const cp_fleet_in *in, cp_fleet_pool *pool,
                                  const cp_fleet_out *out)
{
    if (f->planned != t + 1)
        cp_fleet_plan(sp, f, t, n, in);
    receive(f, t, n, in, out);
    /* The headroom and the watts live in unfilled and power_used until
     * power_reports. */
    double *const headroom = out->unfilled, *const watts = out->power_used;
    start_lanes(n, in->pue, in->power, f->sum_fleet, f->sum_flops, f->sum_watts, out->fleet,
                out->flops, watts, headroom);
    if (sp->thermal)
        liquid_room(n, in->pue, in->power, in->liquid, f->sum_liquid, f->liquid_room);
    install_lanes(sp, f, t, n, TAKE_ALL, NULL, headroom, watts, out->fleet, out->flops,
                  out->installed);
    /* With replacement, what is left waiting where the headroom ran out:
     * all that waits from the oldest left. */
    double *const rest = in->replace_below ? f->renew_want : NULL;
    for (size_t l = 0; rest && l < n; l++) {
        const int wanted = in->replace_below[l] > 0 && f->obsolete[l] > 0;
        rest[l] = wanted && !(headroom[l] > 0)
                      ? waiting_watts(sp, f, f->wait, f->watts, NULL, t, f->first_wait[l], l, NULL)
                      : 0;
    }
    if (!rest || !replace_and_install(sp, f, t, n, in, headroom, watts, out))
        memset(out->replaced, 0, n * sizeof *out->replaced);
    if (rest && f->own_wait && in->own_units)
        replace_by_own(sp, f, t, n, in, headroom, watts, out);
    double *const own = f->own_wait ? f->own_waiting : NULL;
    waiting_sums(sp, f, t, n, in->watts, out->waiting, out->waiting_age, own, f->own_eq);
    bound_lanes(n, pool != NULL, in->pue, in->power, headroom, f->ordered, f->arrived, f->resold,
                f->capped, f->obsolete, out->waiting, out->fleet, out->bound);
    if (sp->thermal)
        cooling_bound(n, in->pue, in->power, f->liquid_room, in->needs, f->renew_cut, out->bound);
    power_reports(n, in->pue, in->power, watts, headroom);
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
    end_lanes(n, out->fleet, own, f->buffer, f->orders, out->waiting, out->waiting_age,
              out->waiting_own, out->target, out->orders, f->arrived, f->resold);
}
