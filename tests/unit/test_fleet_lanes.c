/* test_fleet_lanes.c -- cp_fleet's shortcuts over lanes and cohorts, checked
 * against a walk over every cohort.
 *
 * The fleet's passes over waiting cohorts start at the oldest cohort any
 * lane of a block of lanes still has waiting, and a lane's oldest waiting
 * cohort (first_wait) moves past the cohorts it empties as it installs.
 * Both are shortcuts: what they skip must hold nothing.  Here one fleet
 * (its own accelerators and a thermal limit, 40 lanes: two blocks of 16
 * and a part block of 8) lives through 24 quarters of uneven power, with
 * dips that leave accelerators waiting for years in some lanes and none
 * in others, and every quarter
 *   - no cohort older than a lane's first_wait holds any accelerator, own
 *     or bought (the invariant the shortcuts rest on), and
 *   - the waiting count, its mean age and the own part that cp_fleet_step
 *     reports are the same bits as sums over every cohort from the first,
 *     in the same order (skipped cohorts add +0), and
 *   - the installed fleet, FLOP/s and watts its orders start from are
 *     the same bits as sums over every cohort of what it has installed.
 * A shortcut that skipped a cohort holding accelerators fails the first
 * or second check; one that summed lanes in another order, the second or
 * third.  A second walk has two fleets buy from one market whose pool
 * takes back what waits beyond a buffer and resells it, and checks the
 * first of these, and that no pool cohort older than the pool's first
 * holds anything.  The replacement walk, run once over 40 lanes and
 * once lane by lane, checks that a lane's results do not depend on the
 * others. */
#include <criterion/criterion.h>

#include "cp_fleet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QUARTERS 24
#define LANES 40
#define TINY 1e-9

/* A deterministic, uneven value in [0, 1) for lane l, quarter t, stream k
 * (no generator: the test must not depend on one). */
static double wobble(size_t l, size_t t, unsigned k)
{
    uint64_t z = (uint64_t)l * 0x9E3779B97F4A7C15u ^ (uint64_t)t * 0xBF58476D1CE4E5B9u ^
                 (uint64_t)k * 0x94D049BB133111EBu;
    z ^= z >> 31;
    z *= 0xD6E8FEEBDA3B9B9Bu;
    z ^= z >> 29;
    return (double)(z >> 11) / 9007199254740992.0;
}

typedef struct lanes_in {
    double units[LANES], power[LANES], flops[LANES], watts[LANES], pue[LANES];
    double own_units[LANES], own_flops[LANES], own_watts[LANES], liquid[LANES], needs[LANES];
} lanes_in;

typedef struct lanes_out {
    double fleet[LANES], flops[LANES], power_used[LANES], waiting[LANES], installed[LANES],
        orders[LANES], target[LANES], unfilled[LANES], waiting_age[LANES], received[LANES],
        waiting_own[LANES], received_own[LANES], replaced[LANES], received_own_flops[LANES],
        received_new_flops[LANES];
    uint8_t bound[LANES];
} lanes_out;

/* Quarter t's inputs: power that grows, with dips in some lanes (odd
 * lanes lose power from quarter 6 to 11, so their accelerators wait for
 * years), deliveries that come whatever the power, and a share of liquid
 * cooling that some lanes lack. */
static void inputs_at(size_t t, lanes_in *x)
{
    for (size_t l = 0; l < LANES; l++) {
        const double dip = (l % 2 && t >= 6 && t < 12) ? 0.4 + 0.3 * wobble(l, t, 1) : 1.0;
        x->power[l] = (20.0 + 4.0 * (double)t) * (0.8 + 0.4 * wobble(l, t, 2)) * dip; /* MW */
        x->units[l] = 2000.0 * (0.5 + wobble(l, t, 3));
        x->flops[l] = 1e15 * (1.0 + 0.1 * (double)t);
        x->watts[l] = 1000.0 * (1.0 + 0.02 * (double)t);
        x->pue[l] = 1.1 + 0.2 * wobble(l, t, 4);
        x->own_units[l] = l % 3 ? 500.0 * wobble(l, t, 5) : 0.0;
        x->own_flops[l] = x->own_units[l] * 4e14;
        x->own_watts[l] = x->own_units[l] * 600.0;
        x->liquid[l] = x->power[l] * (l % 5 == 0 ? 0.2 : 0.9);
        x->needs[l] = 0.3 + 0.05 * (double)t > 1 ? 1 : 0.3 + 0.05 * (double)t;
    }
}

/* A fleet's inputs over the arrays of a lanes_in: orders a quarter of
 * growth ahead and half a quarter of buffer; below: replace_below per
 * lane (NULL: no replacement). */
static cp_fleet_in fleet_in_of(const lanes_in *x, const double *below)
{
    return (cp_fleet_in){.units = x->units,
                         .power = x->power,
                         .flops = x->flops,
                         .watts = x->watts,
                         .pue = x->pue,
                         .own_units = x->own_units,
                         .own_flops = x->own_flops,
                         .own_watts = x->own_watts,
                         .liquid = x->liquid,
                         .needs = x->needs,
                         .horizon = 1,
                         .buffer = 0.5,
                         .replace_below = below};
}

/* A fleet whose accelerators retire by a Weibull of mean 16 quarters and
 * shape 2.5, with a starting fleet of two vintages, 10 and 6 quarters old;
 * surv holds QUARTERS + 2 values, surv_init twice as many. */
static cp_fleet_spec spec_of(double *surv, double *surv_init, int own, int thermal)
{
    cp_fleet_survival(16, 2.5, 0, QUARTERS + 2, surv);
    cp_fleet_survival(16, 2.5, 10, QUARTERS + 2, surv_init);
    cp_fleet_survival(16, 2.5, 6, QUARTERS + 2, surv_init + QUARTERS + 2);
    return (cp_fleet_spec){
        .T = QUARTERS,
        .surv = surv,
        .n_start = 2,
        .start = {{3000, 2e14, 400, surv_init}, {5000, 8e14, 900, surv_init + QUARTERS + 2}},
        .own = own,
        .thermal = thermal};
}

/* Every cohort older than first_wait holds nothing, bought or (if it has
 * any) its own. */
static void check_first_wait(const cp_fleet *f, size_t t)
{
    for (size_t l = 0; l < LANES; l++) {
        cr_assert_leq(f->first_wait[l], t + 1, "lane %zu quarter %zu: first_wait %u", l, t,
                      f->first_wait[l]);
        for (size_t c = 0; c < f->first_wait[l]; c++) {
            cr_assert(!(f->wait[c * LANES + l] > 0), "lane %zu quarter %zu: cohort %zu holds %g", l,
                      t, c, f->wait[c * LANES + l]);
            cr_assert(!(f->own_wait && f->own_wait[c * LANES + l] > 0),
                      "lane %zu quarter %zu: cohort %zu holds %g of its own", l, t, c,
                      f->own_wait ? f->own_wait[c * LANES + l] : 0.0);
        }
    }
}

/* A cp_fleet_out over the arrays of a lanes_out. */
#define OUT_OF(o)                                                                                  \
    {                                                                                              \
        .fleet = (o)->fleet, .flops = (o)->flops, .power_used = (o)->power_used,                   \
        .waiting = (o)->waiting, .installed = (o)->installed, .orders = (o)->orders,               \
        .target = (o)->target, .unfilled = (o)->unfilled, .waiting_age = (o)->waiting_age,         \
        .received = (o)->received, .waiting_own = (o)->waiting_own,                                \
        .received_own = (o)->received_own, .replaced = (o)->replaced,                              \
        .received_own_flops = (o)->received_own_flops,                                             \
        .received_new_flops = (o)->received_new_flops, .bound = (o)->bound                         \
    }

/* The waiting reports as sums over every cohort from the first, in the
 * order cp_fleet_step adds them (bought cohorts, then its own). */
static void check_waiting(const cp_fleet_spec *sp, const cp_fleet *f, size_t t, const lanes_out *o)
{
    for (size_t l = 0; l < LANES; l++) {
        double count = 0, age = 0, own = 0;
        for (size_t c = 0; c <= t; c++) {
            const double s = sp->surv[t - c], w = f->wait[c * LANES + l];
            count += s * w;
            age += s * w * (double)(t - c);
        }
        for (size_t c = 0; c <= t; c++) {
            const double s = sp->surv[t - c], w = f->own_wait[c * LANES + l];
            own += s * w;
            age += s * w * (double)(t - c);
        }
        count += own;
        age = count > 0 ? age / count : 0;
        const int dust = !(count > TINY * (o->fleet[l] + count));
        cr_assert_eq(o->waiting[l], dust ? 0 : count, "lane %zu quarter %zu: waiting %.17g, %.17g",
                     l, t, o->waiting[l], count);
        cr_assert_eq(o->waiting_age[l], dust ? 0 : age, "lane %zu quarter %zu: age %.17g, %.17g", l,
                     t, o->waiting_age[l], age);
        cr_assert_eq(o->waiting_own[l], dust ? 0 : own, "lane %zu quarter %zu: own %.17g, %.17g", l,
                     t, o->waiting_own[l], own);
    }
}

/* The installed sums at the start of quarter t (cp_fleet_plan's, before
 * the quarter installs anything) as sums over every cohort from the
 * first. */
static void check_installed(const cp_fleet_spec *sp, const cp_fleet *f, size_t t)
{
    for (size_t l = 0; l < LANES; l++) {
        double fleet = 0, flops = 0, watts = 0;
        for (size_t v = 0; v < sp->n_start; v++) {
            const cp_fleet_start *st = &sp->start[v];
            const double fleet0 = st->units * f->start[v * LANES + l];
            fleet += fleet0 * st->surv[t];
            flops += fleet0 * st->flops * st->surv[t];
            watts += fleet0 * st->watts * st->surv[t];
        }
        for (size_t c = 0; c < t; c++) {
            const double s = sp->surv[t - c];
            fleet += s * f->inst[c * LANES + l];
            flops += s * f->inst_flops[c * LANES + l];
            watts += s * f->inst_watts[c * LANES + l];
        }
        cr_assert_eq(f->sum_fleet[l], fleet, "lane %zu quarter %zu: fleet %.17g, %.17g", l, t,
                     f->sum_fleet[l], fleet);
        cr_assert_eq(f->sum_flops[l], flops, "lane %zu quarter %zu: FLOP/s", l, t);
        cr_assert_eq(f->sum_watts[l], watts, "lane %zu quarter %zu: watts", l, t);
    }
}

Test(fleet_lanes, shortcuts_skip_only_empty_cohorts)
{
    double surv[QUARTERS + 2], surv_init[2 * (QUARTERS + 2)];
    const cp_fleet_spec sp = spec_of(surv, surv_init, 1, 1);
    cp_fleet f;
    cr_assert_eq(cp_fleet_alloc(&f, QUARTERS, LANES, 1, 1), 0);
    cp_fleet_reset(&f);
    lanes_in *x = calloc(1, sizeof *x);
    lanes_out *o = calloc(1, sizeof *o);
    cr_assert(x && o);
    const cp_fleet_out out = OUT_OF(o);
    size_t long_waits = 0, empty_lanes = 0;
    for (size_t t = 0; t < QUARTERS; t++) {
        inputs_at(t, x);
        const cp_fleet_in in = fleet_in_of(x, NULL);
        /* As a market does: the orders first (and with them the sums
         * over installed cohorts), then the quarter. */
        cp_fleet_plan(&sp, &f, t, LANES, &in);
        check_installed(&sp, &f, t);
        cp_fleet_step(&sp, &f, t, LANES, &in, NULL, &out);
        check_first_wait(&f, t);
        check_waiting(&sp, &f, t, o);
        for (size_t l = 0; l < LANES; l++) {
            long_waits += (size_t)f.first_wait[l] + 4 <= t;
            empty_lanes += o->waiting[l] == 0;
        }
    }
    /* The walk covered what it is for: lanes whose oldest waiting cohort
     * is a year old or more, and lanes with nothing waiting. */
    cr_assert_gt(long_waits, 0, "no lane kept accelerators waiting for a year");
    cr_assert_gt(empty_lanes, 0, "no lane ever had nothing waiting");
    cp_fleet_free(&f);
    free(x);
    free(o);
}

/* Checks one quarter's installation in every lane against the cohorts
 * before it (inst0, wait0, own0: copies taken before cp_fleet_step):
 * oldest first, its own before bought ones of the same age.  Whatever a
 * lane installed from a cohort, every older cohort was emptied first,
 * and where it installed bought ones of a cohort, its own of that cohort
 * too.  Counts in *deep the installations from cohorts more than 3
 * quarters old (the fleet walks those lane by lane) and in *recent those
 * from the last 4 (all lanes side by side). */
static void check_oldest_first(const cp_fleet *f, size_t t, const double *inst0,
                               const double *wait0, const double *own0, size_t *deep,
                               size_t *recent)
{
    for (size_t l = 0; l < LANES; l++) {
        size_t newest = 0;
        int any = 0;
        for (size_t c = 0; c <= t; c++) {
            const size_t at = c * LANES + l;
            if (f->inst[at] > inst0[at]) {
                newest = c;
                any = 1;
                *deep += c + 3 < t;
                *recent += c + 3 >= t;
            }
        }
        for (size_t c = 0; any && c < newest; c++) {
            const size_t at = c * LANES + l;
            cr_assert(!(f->wait[at] > 0) && !(f->own_wait[at] > 0),
                      "lane %zu quarter %zu: cohort %zu still waits (%g bought, %g own; it had "
                      "%g, %g) while cohort %zu was installed",
                      l, t, c, f->wait[at], f->own_wait[at], wait0[at], own0[at], newest);
        }
        const size_t at = newest * LANES + l;
        cr_assert(!any || !(f->wait[at] < wait0[at]) || !(f->own_wait[at] > 0),
                  "lane %zu quarter %zu: bought ones of cohort %zu installed before its own", l, t,
                  newest);
    }
}

/* The walk of the first test without a thermal limit (under one, a cohort
 * that needs liquid-cooled racks may wait while a newer one that needs
 * fewer goes in): every quarter each lane installs oldest first, its own
 * before bought ones of the same age, both from cohorts years old and
 * from recent ones. */
Test(fleet_lanes, installation_takes_the_oldest_first)
{
    double surv[QUARTERS + 2], surv_init[2 * (QUARTERS + 2)];
    const cp_fleet_spec sp = spec_of(surv, surv_init, 1, 0);
    cp_fleet f;
    cr_assert_eq(cp_fleet_alloc(&f, QUARTERS, LANES, 1, 0), 0);
    cp_fleet_reset(&f);
    lanes_in *x = calloc(1, sizeof *x);
    lanes_out *o = calloc(1, sizeof *o);
    const size_t cells = (size_t)QUARTERS * LANES;
    double *inst0 = calloc(cells, sizeof *inst0), *wait0 = calloc(cells, sizeof *wait0),
           *own0 = calloc(cells, sizeof *own0);
    cr_assert(x && o && inst0 && wait0 && own0);
    const cp_fleet_out out = OUT_OF(o);
    size_t deep = 0, recent = 0;
    for (size_t t = 0; t < QUARTERS; t++) {
        inputs_at(t, x);
        const cp_fleet_in in = fleet_in_of(x, NULL);
        cp_fleet_plan(&sp, &f, t, LANES, &in);
        memcpy(inst0, f.inst, cells * sizeof *inst0);
        memcpy(wait0, f.wait, cells * sizeof *wait0);
        memcpy(own0, f.own_wait, cells * sizeof *own0);
        cp_fleet_step(&sp, &f, t, LANES, &in, NULL, &out);
        check_oldest_first(&f, t, inst0, wait0, own0, &deep, &recent);
        check_first_wait(&f, t);
    }
    cr_assert_gt(deep, 0, "no lane installed from a cohort a year old");
    cr_assert_gt(recent, 0, "no lane installed from a recent cohort");
    cp_fleet_free(&f);
    free(x);
    free(o);
    free(inst0);
    free(wait0);
    free(own0);
}

/* The replacement walks' inputs at quarter t: inputs_at's, and in every
 * fifth lane its own give 5e12 FLOP/s a W (bought ones 1e12-2.3e12), the
 * power stays near 8 MW and nothing is bought after quarter 5, so that
 * once the bought ones waiting are in, its own replace too (step 3c);
 * below: replace_below, 0.6 in most lanes and 0 (never) in every
 * seventh. */
static void replacement_inputs_at(size_t t, lanes_in *x, double *below)
{
    inputs_at(t, x);
    for (size_t l = 1; l < LANES; l += 5) {
        x->own_flops[l] = x->own_units[l] * 3e15;
        x->power[l] = 8.0 * (0.9 + 0.2 * wobble(l, t, 7));
        x->units[l] = t < 6 ? x->units[l] : 0;
    }
    for (size_t l = 0; l < LANES; l++)
        below[l] = l % 7 == 3 ? 0 : 0.6;
}

/* The same walk with replacement (replace_below 0.6: the starting fleet
 * becomes obsolete near quarter 8, the first cohorts near 10; 0 in every
 * seventh lane, which replaces nothing): the
 * shortcuts and the sums stay true, and every quarter in every lane the
 * fleet is what it started with, plus what it installed (never less
 * than 0, even where the power fell below the draw), less what it
 * replaced (to 1e-12); the power it draws is at most its power, or what
 * it drew before where the power fell below that; and replacement
 * happened, by its own too (step 3c, in every fifth lane), never more
 * than all the replacement the step reports. */
Test(fleet_lanes, replacement_keeps_the_sums_true)
{
    double surv[QUARTERS + 2], surv_init[2 * (QUARTERS + 2)];
    const cp_fleet_spec sp = spec_of(surv, surv_init, 1, 1);
    cp_fleet f;
    cr_assert_eq(cp_fleet_alloc(&f, QUARTERS, LANES, 1, 1), 0);
    cp_fleet_reset(&f);
    lanes_in *x = calloc(1, sizeof *x);
    lanes_out *o = calloc(1, sizeof *o);
    cr_assert(x && o);
    const cp_fleet_out out = OUT_OF(o);
    double replaced = 0, by_own = 0, below[LANES];
    for (size_t t = 0; t < QUARTERS; t++) {
        replacement_inputs_at(t, x, below);
        const cp_fleet_in in = fleet_in_of(x, below);
        cp_fleet_plan(&sp, &f, t, LANES, &in);
        check_installed(&sp, &f, t);
        double before[LANES], drew[LANES];
        for (size_t l = 0; l < LANES; l++) {
            before[l] = f.sum_fleet[l];
            drew[l] = f.sum_watts[l] * x->pue[l] / 1e6;
        }
        memset(f.own_replaced, 0, LANES * sizeof *f.own_replaced); /* scratch: 0 unless 3c ran */
        cp_fleet_step(&sp, &f, t, LANES, &in, NULL, &out);
        check_first_wait(&f, t);
        check_waiting(&sp, &f, t, o);
        for (size_t l = 0; l < LANES; l++) {
            cr_assert_geq(o->replaced[l], f.own_replaced[l], "lane %zu quarter %zu", l, t);
            by_own += f.own_replaced[l];
            const double want = before[l] + o->installed[l] - o->replaced[l];
            cr_assert(o->replaced[l] >= 0 && o->installed[l] >= 0,
                      "lane %zu quarter %zu: replaced %g, installed %g", l, t, o->replaced[l],
                      o->installed[l]);
            cr_assert_float_eq(o->fleet[l], want, 1e-12 * want,
                               "lane %zu quarter %zu: %.17g, %.17g", l, t, o->fleet[l], want);
            const double cap = x->power[l] > drew[l] ? x->power[l] : drew[l];
            cr_assert_leq(o->power_used[l], cap * (1 + 1e-12), "lane %zu quarter %zu: %g MW of %g",
                          l, t, o->power_used[l], cap);
            cr_assert(below[l] > 0 || o->replaced[l] == 0, "lane %zu quarter %zu: replaced %g", l,
                      t, o->replaced[l]);
            replaced += o->replaced[l];
        }
    }
    cr_assert_gt(replaced, 0, "nothing was replaced");
    cr_assert_gt(by_own, 0, "its own replaced nothing");
    cp_fleet_free(&f);
    free(x);
    free(o);
}

/* Lane l0 onwards of a fleet's inputs and outputs: the arrays of a fleet
 * of fewer lanes, which starts at lane l0 of these. */
static void from_lane(cp_fleet_in *in, cp_fleet_out *out, size_t l0)
{
    const double **ins[] = {&in->units,  &in->power,     &in->flops,        &in->watts,
                            &in->pue,    &in->own_units, &in->own_flops,    &in->own_watts,
                            &in->liquid, &in->needs,     &in->replace_below};
    for (size_t k = 0; k < sizeof ins / sizeof *ins; k++)
        *ins[k] = *ins[k] ? *ins[k] + l0 : NULL;
    double **outs[] = {&out->fleet,
                       &out->flops,
                       &out->power_used,
                       &out->waiting,
                       &out->installed,
                       &out->orders,
                       &out->target,
                       &out->unfilled,
                       &out->waiting_age,
                       &out->received,
                       &out->waiting_own,
                       &out->received_own,
                       &out->replaced,
                       &out->received_own_flops,
                       &out->received_new_flops};
    for (size_t k = 0; k < sizeof outs / sizeof *outs; k++)
        *outs[k] += l0;
    out->bound += l0;
}

/* The replacement walk of replacement_keeps_the_sums_true (its own five
 * times as efficient in every fifth lane, the power flat there and
 * nothing bought after quarter 5) for lanes l0 .. l0 + n - 1 in a fleet
 * of n lanes; their outputs for each quarter into out[t] at the same
 * lanes. */
static void replacement_walk(size_t l0, size_t n, lanes_out *out)
{
    double surv[QUARTERS + 2], surv_init[2 * (QUARTERS + 2)];
    const cp_fleet_spec sp = spec_of(surv, surv_init, 1, 1);
    cp_fleet f;
    cr_assert_eq(cp_fleet_alloc(&f, QUARTERS, n, 1, 1), 0);
    cp_fleet_reset(&f);
    lanes_in *x = calloc(1, sizeof *x);
    cr_assert(x);
    double below[LANES];
    for (size_t t = 0; t < QUARTERS; t++) {
        replacement_inputs_at(t, x, below);
        cp_fleet_in in = fleet_in_of(x, below);
        cp_fleet_out o = OUT_OF(&out[t]);
        from_lane(&in, &o, l0);
        cp_fleet_plan(&sp, &f, t, n, &in);
        cp_fleet_step(&sp, &f, t, n, &in, NULL, &o);
    }
    cp_fleet_free(&f);
    free(x);
}

/* A lane does not depend on the others: each lane of the replacement walk
 * above, as a fleet of one lane, gives the bits it gives among the 40.
 * The passes over lanes go as far as the lane that needs most (the
 * replacement's over cohorts until no lane wants more): a lane that wants
 * nothing more, or has no liquid-cooled room left, must not change on the
 * way. */
Test(fleet_lanes, a_lane_alone_gives_the_bits_it_gives_among_others)
{
    lanes_out *all = calloc(QUARTERS, sizeof *all), *alone = calloc(QUARTERS, sizeof *alone);
    cr_assert(all && alone);
    replacement_walk(0, LANES, all);
    for (size_t l = 0; l < LANES; l++)
        replacement_walk(l, 1, alone);
    for (size_t t = 0; t < QUARTERS; t++)
        for (size_t l = 0; l < LANES; l++) {
            const lanes_out *p = &all[t], *q = &alone[t];
            const double va[] = {p->fleet[l],        p->flops[l],      p->power_used[l],
                                 p->waiting[l],      p->installed[l],  p->orders[l],
                                 p->received[l],     p->replaced[l],   p->unfilled[l],
                                 p->received_own[l], p->waiting_own[l]};
            const double vb[] = {q->fleet[l],        q->flops[l],      q->power_used[l],
                                 q->waiting[l],      q->installed[l],  q->orders[l],
                                 q->received[l],     q->replaced[l],   q->unfilled[l],
                                 q->received_own[l], q->waiting_own[l]};
            for (size_t k = 0; k < sizeof va / sizeof *va; k++)
                cr_assert(memcmp(&va[k], &vb[k], sizeof va[k]) == 0,
                          "quarter %zu lane %zu field %zu: %.17g among 40, %.17g alone", t, l, k,
                          va[k], vb[k]);
            cr_assert_eq(p->bound[l], q->bound[l], "quarter %zu lane %zu: bound", t, l);
        }
    free(all);
    free(alone);
}

/* No cohort older than the pool's first holds anything returned. */
static void check_pool(const cp_fleet_pool *pool, size_t t)
{
    for (size_t c = 0; c < pool->first && c <= t; c++)
        for (size_t l = 0; l < LANES; l++)
            cr_assert(!(pool->units[c * LANES + l] > 0),
                      "quarter %zu: pool cohort %zu lane %zu holds %g", t, c, l,
                      pool->units[c * LANES + l]);
}

/* Two fleets buying from one market through 24 quarters: power that dips
 * and recovers out of step in the two, so that each returns accelerators
 * beyond its buffer to the pool and the market resells them to the
 * other.  Every quarter, in both fleets, no cohort older than a lane's
 * first_wait holds anything, and in the pool none older than its first. */
Test(fleet_lanes, returns_and_resale_keep_the_shortcuts_true)
{
    double surv[QUARTERS + 2], surv_init[2 * (QUARTERS + 2)];
    const cp_fleet_spec sp = spec_of(surv, surv_init, 0, 0);
    cp_fleet fa, fb;
    cr_assert_eq(cp_fleet_alloc(&fa, QUARTERS, LANES, 0, 0), 0);
    cr_assert_eq(cp_fleet_alloc(&fb, QUARTERS, LANES, 0, 0), 0);
    cp_fleet_reset(&fa);
    cp_fleet_reset(&fb);
    double *units = calloc((size_t)QUARTERS * LANES, sizeof *units);
    lanes_in *xa = calloc(1, sizeof *xa), *xb = calloc(1, sizeof *xb);
    lanes_out *oa = calloc(1, sizeof *oa), *ob = calloc(1, sizeof *ob);
    double *capacity = calloc(LANES, sizeof *capacity), *want = calloc(2 * LANES, sizeof *want);
    double *shipped = calloc(LANES, sizeof *shipped), *idle = calloc(LANES, sizeof *idle),
           *unsold = calloc(LANES, sizeof *unsold);
    cr_assert(units && xa && xb && oa && ob && capacity && want && shipped && idle && unsold);
    cp_fleet_pool pool = {.units = units, .first = QUARTERS};
    cp_fleet *const buyers[2] = {&fa, &fb};
    const double limit[2] = {1.0, 1.0};
    size_t returned = 0, resold = 0, long_waits = 0;
    for (size_t t = 0; t < QUARTERS; t++) {
        inputs_at(t, xa);
        inputs_at(t, xb);
        for (size_t l = 0; l < LANES; l++) {
            /* A's power falls in 2-5 and 12-15, B's in 7-10: each has a
             * surplus while the other has room. */
            const int a_dips = (t >= 2 && t < 6) || (t >= 12 && t < 16);
            const int b_dips = t >= 7 && t < 11;
            xa->power[l] *= a_dips ? 0.5 : 1.3;
            xb->power[l] *= b_dips && l % 4 ? 0.5 : 1.3;
            xa->units[l] = xb->units[l] = 0; /* everything comes through the market */
            capacity[l] = 30000.0 * (0.5 + wobble(l, t, 6));
        }
        const cp_fleet_in ina = {.units = xa->units,
                                 .power = xa->power,
                                 .flops = xa->flops,
                                 .watts = xa->watts,
                                 .pue = xa->pue,
                                 .horizon = 2,
                                 .buffer = 1};
        cp_fleet_in inb = ina;
        inb.units = xb->units;
        inb.power = xb->power;
        inb.pue = xb->pue;
        cp_fleet_plan(&sp, &fa, t, LANES, &ina);
        cp_fleet_plan(&sp, &fb, t, LANES, &inb);
        cp_fleet_market(t, LANES, capacity, buyers, limit, 2, surv, &pool, shipped, idle, unsold,
                        want);
        for (size_t l = 0; l < LANES; l++)
            resold += fa.resold[l] > 0 || fb.resold[l] > 0;
        check_first_wait(&fa, t);
        check_first_wait(&fb, t);
        check_pool(&pool, t);
        cp_fleet_step(&sp, &fa, t, LANES, &ina, &pool, &(cp_fleet_out)OUT_OF(oa));
        cp_fleet_step(&sp, &fb, t, LANES, &inb, &pool, &(cp_fleet_out)OUT_OF(ob));
        check_first_wait(&fa, t);
        check_first_wait(&fb, t);
        check_pool(&pool, t);
        for (size_t l = 0; l < LANES; l++) {
            returned += pool.first <= t && pool.units[t * LANES + l] > 0;
            long_waits += (size_t)fa.first_wait[l] + 4 <= t || (size_t)fb.first_wait[l] + 4 <= t;
        }
    }
    /* It covered what it is for. */
    cr_assert_gt(returned, 0, "nothing was returned to the pool");
    cr_assert_gt(resold, 0, "nothing was resold");
    cr_assert_gt(long_waits, 0, "no lane kept accelerators waiting for a year");
    cp_fleet_free(&fa);
    cp_fleet_free(&fb);
    free(units);
    free(xa);
    free(xb);
    free(oa);
    free(ob);
    free(capacity);
    free(want);
    free(shipped);
    free(idle);
    free(unsold);
}
