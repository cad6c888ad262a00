/* cp_fleet.c -- see cp_fleet.h; the equations are in inputs/README.md. */
#include "cp_fleet.h"

#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shares below this are rounding, not accelerators: a fleet whose headroom
 * is used up to this share of its power is bound by power. */
#define TINY 1e-9

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

/* The per-lane arrays of a fleet, for allocation and reset alike. */
#define LANE_ARRAYS(f)                                                                           \
    {&(f)->power_prev, &(f)->orders,    &(f)->buffer,         &(f)->arrived,                    \
     &(f)->resold,     &(f)->ordered,   &(f)->sum_fleet,      &(f)->sum_flops,                  \
     &(f)->sum_watts,  &(f)->sum_watts_next, &(f)->sum_waiting}
#define N_LANE_ARRAYS 11

int cp_fleet_alloc(cp_fleet *f, size_t T, size_t lanes)
{
    memset(f, 0, sizeof *f);
    f->T = T;
    f->lanes = lanes;
    const size_t cohorts = (T ? T : 1) * lanes;
    f->inst = calloc(cohorts, sizeof *f->inst);
    f->wait = calloc(cohorts, sizeof *f->wait);
    f->flops = calloc(cohorts, sizeof *f->flops);
    f->watts = calloc(cohorts, sizeof *f->watts);
    f->capped = calloc(lanes, sizeof *f->capped);
    int ok = f->inst && f->wait && f->flops && f->watts && f->capped;
    double **arrays[N_LANE_ARRAYS] = LANE_ARRAYS(f);
    for (size_t k = 0; k < N_LANE_ARRAYS; k++)
        ok = ok && (*arrays[k] = calloc(lanes, sizeof **arrays[k])) != NULL;
    if (!ok) {
        cp_fleet_free(f);
        return -1;
    }
    return 0;
}

void cp_fleet_free(cp_fleet *f)
{
    free(f->inst);
    free(f->wait);
    free(f->flops);
    free(f->watts);
    free(f->capped);
    double **arrays[N_LANE_ARRAYS] = LANE_ARRAYS(f);
    for (size_t k = 0; k < N_LANE_ARRAYS; k++)
        free(*arrays[k]);
    memset(f, 0, sizeof *f);
}

void cp_fleet_reset(cp_fleet *f)
{
    const size_t cohorts = f->T * f->lanes;
    memset(f->inst, 0, cohorts * sizeof *f->inst);
    memset(f->wait, 0, cohorts * sizeof *f->wait);
    memset(f->flops, 0, cohorts * sizeof *f->flops);
    memset(f->watts, 0, cohorts * sizeof *f->watts);
    memset(f->capped, 0, f->lanes * sizeof *f->capped);
    double **arrays[N_LANE_ARRAYS] = LANE_ARRAYS(f);
    for (size_t k = 0; k < N_LANE_ARRAYS; k++)
        memset(*arrays[k], 0, f->lanes * sizeof **arrays[k]);
    f->planned = 0;
}

/* Deliveries join cohort t, which takes this quarter's FLOP/s and watts. */
static void receive(cp_fleet *f, size_t t, size_t n, const cp_fleet_in *in, double *received)
{
    const size_t L = f->lanes;
    for (size_t l = 0; l < n; l++) {
        const double a = f->arrived[l] + (in->units ? in->units[l] : 0.0);
        f->wait[t * L + l] += a;
        f->flops[t * L + l] = in->flops[l];
        f->watts[t * L + l] = in->watts[l];
        received[l] = a + f->resold[l]; /* resold ones joined their own cohorts */
    }
}

/* The installed fleet before this quarter's installations: accelerators,
 * FLOP/s, watts, and the watts still alive next quarter. */
static void installed_sums(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, size_t n,
                           double *restrict fleet, double *restrict flops, double *restrict watts,
                           double *restrict watts_next)
{
    const size_t L = f->lanes;
    const double si = sp->surv_init[t], si1 = sp->surv_init[t + 1];
    for (size_t l = 0; l < n; l++) {
        fleet[l] = sp->fleet0 * si;
        flops[l] = sp->fleet0 * sp->flops0 * si;
        watts[l] = sp->fleet0 * sp->watts0 * si;
        watts_next[l] = sp->fleet0 * sp->watts0 * si1;
    }
    for (size_t c = 0; c < t; c++) {
        const double s = sp->surv[t - c], s1 = sp->surv[t - c + 1];
        const double *restrict inst = &f->inst[c * L];
        const double *restrict fl = &f->flops[c * L];
        const double *restrict wt = &f->watts[c * L];
        for (size_t l = 0; l < n; l++) {
            const double alive = s * inst[l], iw = inst[l] * wt[l];
            fleet[l] += alive;
            flops[l] += alive * fl[l];
            watts[l] += s * iw;
            watts_next[l] += s1 * iw;
        }
    }
}

/* Installs lane l's waiting accelerators, oldest cohort first, while the
 * headroom lasts.  Returns the accelerators installed; updates the sums and
 * the headroom. */
static double install_lane(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t l,
                           double mw_per_watt, double *headroom, double *fleet, double *flops,
                           double *watts, double *watts_next)
{
    const size_t L = f->lanes;
    double installed = 0;
    for (size_t c = 0; c <= t && *headroom > 0; c++) {
        const double w = f->wait[c * L + l];
        if (!(w > 0))
            continue;
        const double s = sp->surv[t - c];
        const double units = w * s, mw = f->watts[c * L + l] * mw_per_watt;
        const double k = mw > 0 && *headroom / mw < units ? *headroom / mw : units;
        *headroom = k == units ? *headroom - k * mw : 0;
        f->wait[c * L + l] = k == units ? 0 : w - k / s;
        f->inst[c * L + l] += k / s;
        installed += k;
        *fleet += k;
        *flops += k * f->flops[c * L + l];
        *watts += k * f->watts[c * L + l];
        *watts_next += k * f->watts[c * L + l] * sp->surv[t - c + 1] / s;
    }
    return installed;
}

/* Accelerators waiting now, and their mean age in quarters. */
static void waiting_sums(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, size_t n,
                         double *restrict waiting, double *restrict age)
{
    const size_t L = f->lanes;
    for (size_t l = 0; l < n; l++)
        waiting[l] = age[l] = 0;
    for (size_t c = 0; c <= t; c++) {
        const double s = sp->surv[t - c], quarters = (double)(t - c);
        const double *restrict w = &f->wait[c * L];
        for (size_t l = 0; l < n; l++) {
            waiting[l] += s * w[l];
            age[l] += s * w[l] * quarters;
        }
    }
    for (size_t l = 0; l < n; l++)
        age[l] = waiting[l] > 0 ? age[l] / waiting[l] : 0;
}

/* Waiting accelerators beyond what lane l wants left waiting go back to
 * the market's pool, a share of every cohort. */
static void return_surplus(cp_fleet *f, size_t t, size_t l, double share, double *pool)
{
    const size_t L = f->lanes;
    for (size_t c = 0; c <= t; c++) {
        const double moved = f->wait[c * L + l] * share;
        f->wait[c * L + l] -= moved;
        pool[c * L + l] += moved;
    }
}

void cp_fleet_plan(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                   const cp_fleet_in *in)
{
    installed_sums(sp, f, t, n, f->sum_fleet, f->sum_flops, f->sum_watts, f->sum_watts_next);
    double *age = f->orders; /* scratch until the orders are written */
    waiting_sums(sp, f, t, n, f->sum_waiting, age);
    for (size_t l = 0; l < n; l++) {
        const double power = in->power[l], mw_per_watt = in->pue[l] / 1e6;
        const double growth = t > 0 && power > f->power_prev[l] ? power - f->power_prev[l] : 0;
        f->power_prev[l] = power;
        const double draw = f->sum_watts[l] * mw_per_watt;
        const double retiring = (f->sum_watts[l] - f->sum_watts_next[l]) * mw_per_watt;
        const double mw_new = in->watts[l] * mw_per_watt;
        double orders = 0, buffer = 0;
        if (mw_new > 0) {
            /* Accelerators for the power free now, for the growth expected
             * within the horizon, and a buffer of expected installations
             * (growth and replacements). */
            const double free_now = power > draw ? power - draw : 0;
            buffer = (in->horizon * growth + in->buffer * (growth + retiring)) / mw_new;
            orders = free_now / mw_new + buffer - f->sum_waiting[l];
        }
        f->buffer[l] = buffer;
        f->orders[l] = orders > 0 ? orders : 0;
    }
    f->planned = t + 1;
}

void cp_fleet_step(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                   const cp_fleet_in *in, double *pool, const cp_fleet_out *out)
{
    if (f->planned != t + 1)
        cp_fleet_plan(sp, f, t, n, in);
    receive(f, t, n, in, out->received);
    double *watts_next = out->surplus; /* reused: watts alive next quarter, then the surplus */
    for (size_t l = 0; l < n; l++) {
        const double mw_per_watt = in->pue[l] / 1e6;
        const double power = in->power[l];
        out->fleet[l] = f->sum_fleet[l];
        out->flops[l] = f->sum_flops[l];
        out->power_used[l] = f->sum_watts[l];
        watts_next[l] = f->sum_watts_next[l];
        double headroom = power - out->power_used[l] * mw_per_watt;
        out->installed[l] = install_lane(sp, f, t, l, mw_per_watt, &headroom, &out->fleet[l],
                                         &out->flops[l], &out->power_used[l], &watts_next[l]);
        if (!(headroom > TINY * power))
            out->bound[l] = CP_FLEET_BOUND_POWER;
        else if (!in->has_market)
            out->bound[l] = CP_FLEET_BOUND_SHORT;
        else if (f->ordered[l] - f->arrived[l] - f->resold[l] > TINY * (1.0 + f->ordered[l]))
            out->bound[l] = f->capped[l] ? CP_FLEET_BOUND_CAPPED : CP_FLEET_BOUND_SHORT;
        else
            out->bound[l] = CP_FLEET_BOUND_ORDERS;
        out->power_used[l] *= mw_per_watt; /* W to MW, with the halls' overhead */
        out->unfilled[l] = power > out->power_used[l] ? power - out->power_used[l] : 0;
    }
    waiting_sums(sp, f, t, n, out->waiting, out->waiting_age);
    for (size_t l = 0; l < n; l++) {
        double surplus = 0;
        if (pool && out->waiting[l] > f->buffer[l]) {
            surplus = out->waiting[l] - f->buffer[l];
            return_surplus(f, t, l, surplus / out->waiting[l], pool);
            out->waiting[l] = f->buffer[l];
        }
        out->target[l] = f->buffer[l];
        out->orders[l] = f->orders[l];
        f->arrived[l] = f->resold[l] = 0;
        out->surplus[l] = surplus;
    }
}

/* Lane l's resale: what buyers still want after new production is shared
 * is met from the pool, pro rata, a share of every cohort. */
static double resell_lane(size_t t, size_t l, cp_fleet *const *fleets, const double *want,
                          size_t n_buyers, const double *surv, double *pool, size_t L)
{
    double in_pool = 0, unmet = 0;
    for (size_t c = 0; c < t; c++)
        in_pool += pool[c * L + l] * surv[t - c];
    for (size_t i = 0; i < n_buyers; i++)
        unmet += want[i * L + l] - fleets[i]->arrived[l];
    if (!(in_pool > 0) || !(unmet > TINY * in_pool))
        return in_pool;
    const double sold = unmet < in_pool ? unmet : in_pool;
    for (size_t i = 0; i < n_buyers; i++) {
        const double r = (want[i * L + l] - fleets[i]->arrived[l]) * sold / unmet;
        const double share = r / in_pool;
        for (size_t c = 0; c < t; c++)
            fleets[i]->wait[c * L + l] += pool[c * L + l] * share;
        fleets[i]->resold[l] = r;
    }
    const double keep = 1.0 - sold / in_pool;
    for (size_t c = 0; c < t; c++)
        pool[c * L + l] *= keep;
    return in_pool - sold;
}

void cp_fleet_market(size_t t, size_t n, const double *capacity, cp_fleet *const *fleets,
                     const double *limit, size_t n_buyers,
                     const double *surv, double *pool, double *shipped, double *idle,
                     double *unsold, double *want)
{
    const size_t L = n_buyers ? fleets[0]->lanes : 0;
    for (size_t l = 0; l < n; l++) {
        const double cap = capacity[l] > 0 ? capacity[l] : 0;
        double wanted = 0;
        for (size_t i = 0; i < n_buyers; i++) {
            cp_fleet *f = fleets[i];
            const double o = f->orders[l];
            const double ceiling = limit[i] < 1.0 ? limit[i] * cap : INFINITY;
            const double w = o < ceiling ? o : ceiling;
            f->ordered[l] = o;
            f->capped[l] = limit[i] < 1.0 && w < o; /* an import limit, not the whole supply */
            want[i * L + l] = w;
            wanted += w;
        }
        const double share = wanted > cap ? cap / wanted : 1.0;
        double sent = 0;
        for (size_t i = 0; i < n_buyers; i++) {
            fleets[i]->arrived[l] = want[i * L + l] * share;
            sent += fleets[i]->arrived[l];
        }
        shipped[l] = sent;
        idle[l] = cap > sent ? cap - sent : 0;
        unsold[l] = resell_lane(t, l, fleets, want, n_buyers, surv, pool, L);
    }
}
