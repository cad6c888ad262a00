/* cp_fleet_market.c -- the market of cp_fleet.h (cp_fleet_market): capacity
 * shipped against its buyers' orders, pro rata when short and within each
 * buyer's import limit, and the pool of returned accelerators resold; the
 * fleets' quarters are in cp_fleet.c.  The loops over lanes are written,
 * as there, without branches so that they vectorize (CP_LANE_CLONES). */
#include "cp_fleet.h"
#include "cp_math.h" /* CP_LANE_CLONES */

#include <string.h>

#define TINY CP_FLEET_TINY

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

/* The market's loops over lanes, functions of their own with restrict
 * parameters so that they vectorize (as the fleet's). */

/* One buyer wants its orders up to its import limit (limited: a share
 * lim of the capacity): w; added to wanted. */
CP_LANE_CLONES static void buyer_wants(size_t n, int limited, double lim,
                                       const double *restrict capacity,
                                       const double *restrict orders, double *restrict w,
                                       double *restrict ordered, uint8_t *restrict capped,
                                       double *restrict wanted)
{
    for (size_t l = 0; l < n; l++) {
        const double cap = capacity[l] > 0 ? capacity[l] : 0;
        const double o = orders[l];
        const double ceiling = limited ? lim * cap : o;
        w[l] = o < ceiling ? o : ceiling;
        ordered[l] = o;
        capped[l] = w[l] < o;
        wanted[l] += w[l];
    }
}

/* The share of what each buyer wants that it gets. */
CP_LANE_CLONES static void market_share(size_t n, const double *restrict capacity,
                                        const double *restrict wanted, double *restrict share)
{
    for (size_t l = 0; l < n; l++) {
        const double cap = capacity[l] > 0 ? capacity[l] : 0;
        share[l] = wanted[l] > cap ? cap / wanted[l] : 1.0;
    }
}

/* One buyer's delivery: added to sent. */
CP_LANE_CLONES static void deliver(size_t n, const double *restrict w, const double *restrict share,
                                   double *restrict arrived, double *restrict sent)
{
    for (size_t l = 0; l < n; l++) {
        arrived[l] = w[l] * share[l];
        sent[l] += arrived[l];
    }
}

/* What shipped, and the idle capacity; sent_unsold holds what was sent
 * and is left at 0 (nothing unsold yet).  Idle capacity and unsold
 * accelerators below a billionth of the capacity are rounding, reported
 * as 0 (as the fleet's reports are). */
CP_LANE_CLONES static void market_reports(size_t n, const double *restrict capacity,
                                          double *restrict sent_unsold, double *restrict shipped,
                                          double *restrict idle)
{
    for (size_t l = 0; l < n; l++) {
        const double cap = capacity[l] > 0 ? capacity[l] : 0;
        const double left = cap - sent_unsold[l];
        shipped[l] = sent_unsold[l];
        idle[l] = left > TINY * cap ? left : 0;
        sent_unsold[l] = 0;
    }
}

/* Buyer by buyer over all lanes: each buyer wants its orders up to its
 * import limit; when they add up to more than the capacity, each gets the
 * same share of what it wants.  shipped, idle and unsold hold what is
 * wanted, each buyer's share and what is sent until the end. */
void cp_fleet_market(size_t t, size_t n, const double *capacity, cp_fleet *const *fleets,
                     const double *limit, size_t n_buyers, const double *surv, cp_fleet_pool *pool,
                     double *shipped, double *idle, double *unsold, double *want)
{
    const size_t L = n_buyers ? fleets[0]->lanes : 0;
    double *const wanted = shipped, *const share = idle, *const sent = unsold;
    memset(wanted, 0, n * sizeof *wanted);
    for (size_t i = 0; i < n_buyers; i++)
        buyer_wants(n, limit[i] < 1.0, limit[i], capacity, fleets[i]->orders, &want[i * L],
                    fleets[i]->ordered, fleets[i]->capped, wanted);
    market_share(n, capacity, wanted, share);
    memset(sent, 0, n * sizeof *sent);
    for (size_t i = 0; i < n_buyers; i++)
        deliver(n, &want[i * L], share, fleets[i]->arrived, sent);
    market_reports(n, capacity, sent, shipped, idle);
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
