/* cp_fleet.c -- see cp_fleet.h; the equations are in inputs/README.md.
 *
 * Speed.  A fleet's sums run over every cohort shipped so far (installed
 * accelerators retire by age, so no running total can replace them): the
 * loops over lanes are the whole cost, kept free of branches so they
 * vectorize, and compiled for the widest vectors the machine has
 * (CP_LANE_CLONES; every lane does the same operations in the same order
 * whatever the width, so the results are the same bits).  Waiting
 * accelerators are few and recent: loops over them start at the oldest
 * cohort any lane still has waiting.
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

#define COHORT_ARRAYS(f) {&(f)->inst, &(f)->inst_flops, &(f)->inst_watts, &(f)->wait, &(f)->flops, &(f)->watts}
#define N_COHORT_ARRAYS 6
#define LANE_ARRAYS(f)                                                                             \
    {&(f)->power_prev, &(f)->orders,    &(f)->buffer,    &(f)->arrived,                            \
     &(f)->resold,     &(f)->ordered,   &(f)->sum_fleet, &(f)->sum_flops,                          \
     &(f)->sum_watts,  &(f)->sum_watts_next, &(f)->sum_waiting}
#define N_LANE_ARRAYS 11

int cp_fleet_alloc(cp_fleet *f, size_t T, size_t lanes)
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
    memset(f->capped, 0, f->lanes * sizeof *f->capped);
    memset(f->first_wait, 0, f->lanes * sizeof *f->first_wait);
    f->planned = 0;
}

/* ---- sums over cohorts -------------------------------------------------- */

/* The installed fleet at the start of quarter t: accelerators, FLOP/s,
 * watts, and the watts still alive next quarter. */
CP_LANE_CLONES static void installed_sums(const cp_fleet_spec *sp, const cp_fleet *f, size_t t,
                                          size_t n, double *restrict fleet,
                                          double *restrict flops, double *restrict watts,
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
        const double *restrict fl = &f->inst_flops[c * L];
        const double *restrict wt = &f->inst_watts[c * L];
        for (size_t l = 0; l < n; l++) {
            fleet[l] += s * inst[l];
            flops[l] += s * fl[l];
            watts[l] += s * wt[l];
            watts_next[l] += s1 * wt[l];
        }
    }
}

/* The oldest cohort any lane has waiting. */
static size_t first_waiting(const cp_fleet *f, size_t n)
{
    size_t first = f->T;
    for (size_t l = 0; l < n; l++)
        first = f->first_wait[l] < first ? f->first_wait[l] : first;
    return first;
}

/* Accelerators waiting at quarter t, and their mean age in quarters. */
CP_LANE_CLONES static void waiting_sums(const cp_fleet_spec *sp, const cp_fleet *f, size_t t,
                                        size_t n, double *restrict waiting, double *restrict age)
{
    const size_t L = f->lanes;
    for (size_t l = 0; l < n; l++)
        waiting[l] = age[l] = 0;
    for (size_t c = first_waiting(f, n); c <= t; c++) {
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

/* ---- a fleet's quarter -------------------------------------------------- */

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
            const double free_now = power > draw ? power - draw : 0;
            buffer = (in->horizon * growth + in->buffer * (growth + retiring)) / mw_new;
            orders = free_now / mw_new + buffer - f->sum_waiting[l];
        }
        f->buffer[l] = buffer;
        f->orders[l] = orders > 0 ? orders : 0;
    }
    f->planned = t + 1;
}

/* Deliveries join cohort t, which takes this quarter's FLOP/s and watts. */
static void receive(cp_fleet *f, size_t t, size_t n, const cp_fleet_in *in, double *received)
{
    const size_t L = f->lanes;
    for (size_t l = 0; l < n; l++) {
        const double a = f->arrived[l] + in->units[l];
        f->wait[t * L + l] += a;
        f->flops[t * L + l] = in->flops[l];
        f->watts[t * L + l] = in->watts[l];
        received[l] = a + f->resold[l]; /* resold ones joined their own cohorts */
    }
}

/* Installs lane l's waiting accelerators, oldest cohort first, while the
 * headroom (W) lasts; adds them to the sums.  Returns how many. */
static double install_lane(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t l,
                           double *headroom, double *fleet, double *flops, double *watts,
                           double *watts_next)
{
    const size_t L = f->lanes;
    double installed = 0;
    size_t c = f->first_wait[l];
    while (c < t && !(f->wait[c * L + l] > 0))
        c++;
    f->first_wait[l] = (uint16_t)c; /* older cohorts are empty in this lane */
    for (; c <= t && *headroom > 0; c++) {
        const size_t at = c * L + l;
        const double w = f->wait[at];
        if (!(w > 0))
            continue;
        const double s = sp->surv[t - c], units = w * s, each = f->watts[at];
        const double k = each > 0 && *headroom / each < units ? *headroom / each : units;
        const double age0 = k == units ? w : k / s; /* in age-0 units */
        *headroom = k == units ? *headroom - k * each : 0;
        f->wait[at] = k == units ? 0 : w - age0;
        f->inst[at] += age0;
        f->inst_flops[at] += age0 * f->flops[at];
        f->inst_watts[at] += age0 * each;
        installed += k;
        *fleet += k;
        *flops += k * f->flops[at];
        *watts += k * each;
        *watts_next += age0 * each * sp->surv[t - c + 1];
    }
    return installed;
}

static uint8_t bound_of(const cp_fleet *f, size_t l, double headroom_w, double power_w,
                        int has_market)
{
    if (!(headroom_w > TINY * power_w))
        return CP_FLEET_BOUND_POWER;
    if (!has_market)
        return CP_FLEET_BOUND_SHORT; /* it installed all that came */
    if (f->ordered[l] - f->arrived[l] - f->resold[l] > TINY * (1.0 + f->ordered[l]))
        return f->capped[l] ? CP_FLEET_BOUND_CAPPED : CP_FLEET_BOUND_SHORT;
    return CP_FLEET_BOUND_ORDERS;
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

void cp_fleet_step(const cp_fleet_spec *sp, cp_fleet *f, size_t t, size_t n,
                   const cp_fleet_in *in, cp_fleet_pool *pool, const cp_fleet_out *out)
{
    if (f->planned != t + 1)
        cp_fleet_plan(sp, f, t, n, in);
    receive(f, t, n, in, out->received);
    for (size_t l = 0; l < n; l++) {
        /* In watts until the end: the halls' overhead multiplies once. */
        const double w_per_mw = 1e6 / in->pue[l], power_w = in->power[l] * w_per_mw;
        double fleet = f->sum_fleet[l], flops = f->sum_flops[l], watts = f->sum_watts[l];
        double watts_next = f->sum_watts_next[l];
        double headroom = power_w - watts;
        out->installed[l] =
            install_lane(sp, f, t, l, &headroom, &fleet, &flops, &watts, &watts_next);
        out->bound[l] = bound_of(f, l, headroom, power_w, pool != NULL);
        out->fleet[l] = fleet;
        out->flops[l] = flops;
        out->power_used[l] = watts / w_per_mw;
        out->unfilled[l] = in->power[l] > out->power_used[l] ? in->power[l] - out->power_used[l] : 0;
    }
    waiting_sums(sp, f, t, n, out->waiting, out->waiting_age);
    for (size_t l = 0; l < n; l++) {
        if (pool && out->waiting[l] > f->buffer[l]) {
            return_surplus(f, t, l, (out->waiting[l] - f->buffer[l]) / out->waiting[l], pool);
            out->waiting[l] = f->buffer[l];
        }
        out->target[l] = f->buffer[l];
        out->orders[l] = f->orders[l];
        f->arrived[l] = f->resold[l] = 0;
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
        f->first_wait[l] = pool->first < f->first_wait[l] ? (uint16_t)pool->first : f->first_wait[l];
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
                     const double *limit, size_t n_buyers, const double *surv,
                     cp_fleet_pool *pool, double *shipped, double *idle, double *unsold,
                     double *want)
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
    for (size_t l = 0; l < n; l++) {
        const double cap = capacity[l] > 0 ? capacity[l] : 0;
        shipped[l] = sent[l];
        idle[l] = cap > sent[l] ? cap - sent[l] : 0;
        unsold[l] = 0;
    }
    if (pool->first >= t) /* nothing was ever returned */
        return;
    pool_sums(t, n, L, surv, pool, unsold);
    for (size_t l = 0; l < n; l++)
        if (unsold[l] > 0)
            unsold[l] = resell_lane(t, l, fleets, want, n_buyers, unsold[l], pool, L);
}
