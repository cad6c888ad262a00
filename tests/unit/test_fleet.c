/* test_fleet.c -- the market and the fleets by vintage (cp_fleet, through
 * cp_model on tiny graphs): orders with and without headroom, allocation
 * when supply is short, when a region lacks power and under an import
 * limit, resale of returned accelerators, cohorts that keep their FLOP/s
 * and watts and retire on schedule, and what bound each path.  Every
 * expected value is worked out by hand in the comment above its test. */
#include "cp_test_world.h"

#include "cp_fleet.h"

TestSuite(fleet, .init = setup, .fini = teardown);

/* Survival that is 1 to double precision over four quarters: a Weibull of
 * mean 1000 quarters and shape 20 (S(3) = exp(-(3/1015)^20) = 1). */
#define FOREVER "d,lifetime,1000,,x,,\nd,lifetime_shape,20,,x,,\nd,pue,1,,x,,\n"

/* A fleet d under a thermal limit: market m ships capacity cap; power p,
 * FLOP/s f and watts w of what it ships; liquid-cooled power lq (which
 * binds as power:cooling) and the share q of the watts that need it. */
#define COOLED_NODES                                                                               \
    "node,kind,region,unit,description,source,constraint\n"                                        \
    "cap,supply,W,acc,,x,\nm,market,W,acc,,x,\np,supply,W,MW,,x,\nf,supply,W,FLOP/s,,x,\n"         \
    "w,supply,W,W,,x,\nlq,supply,W,MW,,x,power:cooling\nq,supply,W,share,,x,\n"                    \
    "d,deploy,W,acc,,x,\n"
#define COOLED_EDGES                                                                               \
    "cap,m,in,,,x,\nm,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n"              \
    "lq,d,liquid,,,x,\nq,d,needs_liquid,,,x,\n"

/* A fleet d buying from market m (capacity cap; power p, FLOP/s f and
 * watts w of what it ships) and taking its own from stream s (ou on offer,
 * each of sf FLOP/s and sw W). */
#define STREAM_NODES                                                                               \
    "cap,supply,W,acc,,x\nm,market,W,acc,,x\np,supply,W,MW,,x\nf,supply,W,FLOP/s,,x\n"             \
    "w,supply,W,W,,x\nd,deploy,W,acc,,x\nou,supply,W,acc,,x\nsf,supply,W,FLOP/s,,x\n"              \
    "sw,supply,W,W,,x\ns,stream,W,acc,,x\n"
#define STREAM_EDGES                                                                               \
    "cap,m,in,,,x,\nm,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n"              \
    "ou,s,in,,,x,\nsf,s,flops,,,x,\nsw,s,watts,,,x,\ns,d,units,,,x,\n"

static void expect_labels(const world *x, size_t row, const char *const want[4])
{
    const size_t T = cp_model_periods(x->m);
    const uint8_t *b = cp_model_binding(x->w);
    for (size_t t = 0; t < T; t++) {
        const char *got = cp_model_binding_label(x->m, b[(row * T + t) * CP_MODEL_LANES]);
        cr_assert_str_eq(got, want[t], "row %zu quarter %zu: bound by %s, want %s", row, t, got,
                         want[t]);
    }
}

Test(fleet, weibull_survival)
{
    double s[4], off[3];
    cp_fleet_survival(22, 3, 0, 4, s);
    const double lambda = 22 / tgamma(1 + 1.0 / 3);
    for (int a = 0; a < 4; a++)
        cr_assert_float_eq(s[a], exp(-pow(a / lambda, 3)), 1e-14, "S(%d)", a);
    /* A starting fleet 5 quarters old: S(5 + t) / S(5). */
    cp_fleet_survival(22, 3, 5, 3, off);
    for (int t = 0; t < 3; t++)
        cr_assert_float_eq(off[t], exp(-pow((5 + t) / lambda, 3)) / exp(-pow(5 / lambda, 3)), 1e-14,
                           "S(5 + %d) / S(5)", t);
}

/* One region, capacity 100 a quarter, 1 kW accelerators (PUE 1), order
 * horizon 1, buffer 0.5 quarter, nothing retires:
 *   q0: 0.01 MW free = 10; no growth seen yet -> orders 10, shipped 10,
 *       idle 90, all installed: the headroom is used up (power).
 *   q1: power flat, no headroom -> orders 0, idle 100 (power).
 *   q2: power 0.02, growth 0.01 MW: 10 free + horizon 10 + buffer 5 ->
 *       orders 25, 10 installed, 15 wait (the target).
 *   q3: no growth: target 0, orders 0; the 15 waiting go back to the
 *       market's pool (unsold shows them in the next quarter's market). */
Test(fleet, orders_follow_headroom_and_growth)
{
    world x;
    build(&x,
          "cap,supply,W,acc,,x\nm,market,W,acc,,x\np,supply,W,MW,,x\nf,supply,W,FLOP/s,,x\n"
          "w,supply,W,W,,x\nd,deploy,W,acc,,x\n",
          "cap,m,in,,,x,\nm,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n",
          FOREVER "d,order_horizon,1,,x,,\nd,inventory_target,0.5,,x,,\n",
          TW_FLAT("cap", 100) TW_SERIES("p", 0.01, 0.01, 0.02, 0.02) TW_FLAT("f", 1)
              TW_FLAT("w", 1000),
          "orders,W,d,orders,acc,,x\ntarget,W,d,target,acc,,x\nshipped,W,m,output,acc,,x\n"
          "idle,W,m,idle,acc,,x\nwaiting,W,d,waiting,acc,,x\nfleet,W,d,output,acc,,x\n"
          "received,W,d,received,acc,,x\nunfilled,W,d,unfilled,MW,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){10, 0, 25, 0});
    expect_metric(&x, 1, (double[]){0, 0, 15, 0});
    expect_metric(&x, 2, (double[]){10, 0, 25, 0});
    expect_metric(&x, 3, (double[]){90, 100, 75, 100});
    expect_metric(&x, 4, (double[]){0, 0, 15, 0});
    expect_metric(&x, 5, (double[]){10, 10, 20, 20});
    expect_metric(&x, 6, (double[]){10, 0, 25, 0});
    expect_metric(&x, 7, (double[]){0, 0, 0, 0});
    expect_labels(&x, 0, (const char *const[]){"power", "power", "power", "power"});
    destroy(&x);
}

/* Two regions a and b (1 kW accelerators, PUE 1, no horizon, no buffer),
 * capacity labelled chips:test.  a has 0.04 MW, b 0.02 MW:
 *   q0: orders 40 and 20, capacity 30 -> pro rata 20 and 10: both short
 *       of chips (chips:test), power left unfilled.
 *   q1: capacity 90: a orders 20 more, b 10 -> both served, 60 idle; both
 *       fill their power (power).
 *   q2: a's power falls to 0 (no headroom, orders 0); b gains 0.01 MW and
 *       orders 10; capacity 5 -> b gets 5 and is short (chips:test).
 *   q3: b orders the 5 it lacks and gets them: its power is full. */
Test(fleet, allocation_when_short_and_when_a_region_lacks_power)
{
    world x;
    build(&x,
          "node,kind,region,unit,description,source,constraint\n"
          "cap,supply,W,acc,,x,chips:test\nm,market,W,acc,,x,\npa,supply,A,MW,,x,\n"
          "pb,supply,B,MW,,x,\nf,supply,W,FLOP/s,,x,\nw,supply,W,W,,x,\na,deploy,A,acc,,x,\n"
          "b,deploy,B,acc,,x,\n",
          "cap,m,in,,,x,\nm,a,units,,,x,\nm,b,units,,,x,\npa,a,power,,,x,\npb,b,power,,,x,\n"
          "f,a,flops,,,x,\nw,a,watts,,,x,\nf,b,flops,,,x,\nw,b,watts,,,x,\n",
          "a,lifetime,1000,,x,,\na,lifetime_shape,20,,x,,\na,pue,1,,x,,\n"
          "b,lifetime,1000,,x,,\nb,lifetime_shape,20,,x,,\nb,pue,1,,x,,\n",
          TW_SERIES("cap", 30, 90, 5, 5) TW_SERIES("pa", 0.04, 0.04, 0, 0)
              TW_SERIES("pb", 0.02, 0.02, 0.03, 0.03) TW_FLAT("f", 1) TW_FLAT("w", 1000),
          "ra,A,a,received,acc,,x\nrb,B,b,received,acc,,x\nidle,W,m,idle,acc,,x\n"
          "oa,A,a,orders,acc,,x\nob,B,b,orders,acc,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){20, 20, 0, 0});
    expect_metric(&x, 1, (double[]){10, 10, 5, 5});
    expect_metric(&x, 2, (double[]){0, 60, 0, 0});
    expect_metric(&x, 3, (double[]){40, 20, 0, 0});
    expect_metric(&x, 4, (double[]){20, 10, 10, 5});
    expect_labels(&x, 0, (const char *const[]){"chips:test", "power", "power", "power"});
    expect_labels(&x, 1, (const char *const[]){"chips:test", "power", "chips:test", "power"});
    destroy(&x);
}

/* An import limit of a quarter of the capacity on a: capacity 40, orders
 * 40 (a) and 40 (b): a wants at most 10, b 40; 50 > 40, so each gets 0.8
 * of what it wants: a 8 (bound by the export limit), b 32 (short). */
Test(fleet, import_limit)
{
    world x;
    build(&x,
          "cap,supply,W,acc,,x\nm,market,W,acc,,x\np,supply,W,MW,,x\nf,supply,W,FLOP/s,,x\n"
          "w,supply,W,W,,x\na,deploy,A,acc,,x\nb,deploy,B,acc,,x\n",
          "cap,m,in,,,x,\nm,a,units,,,x,\nm,b,units,,,x,\np,a,power,,,x,\np,b,power,,,x,\n"
          "f,a,flops,,,x,\nw,a,watts,,,x,\nf,b,flops,,,x,\nw,b,watts,,,x,\n",
          "a,lifetime,1000,,x,,\na,lifetime_shape,20,,x,,\na,pue,1,,x,,\na,import_limit,0.25,,x,,\n"
          "b,lifetime,1000,,x,,\nb,lifetime_shape,20,,x,,\nb,pue,1,,x,,\n",
          TW_FLAT("cap", 40) TW_FLAT("p", 0.04) TW_FLAT("f", 1) TW_FLAT("w", 1000),
          "ra,A,a,received,acc,,x\nrb,B,b,received,acc,,x\n", "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    cr_assert_float_eq(cell(&x, 0, 0), 8, 1e-12);
    cr_assert_float_eq(cell(&x, 1, 0), 32, 1e-12);
    /* q1: a orders 32 more but may have 10 at most; b orders 8: 18 <= 40. */
    cr_assert_float_eq(cell(&x, 0, 1), 10, 1e-12);
    cr_assert_float_eq(cell(&x, 1, 1), 8, 1e-12);
    const uint8_t *bound = cp_model_binding(x.w);
    const size_t T = cp_model_periods(x.m);
    cr_assert_str_eq(cp_model_binding_label(x.m, bound[0]), "export");
    cr_assert_str_eq(cp_model_binding_label(x.m, bound[T * CP_MODEL_LANES]), "chips");
    cr_assert_str_eq(cp_model_binding_label(x.m, bound[1 * CP_MODEL_LANES]), "export");
    cr_assert_str_eq(cp_model_binding_label(x.m, bound[(T + 1) * CP_MODEL_LANES]), "power");
    destroy(&x);
}

/* What the power label says when power comes from a sum.  Grid power g
 * (power:grid, 0.010 MW a quarter) and on-site power os = min(ready r
 * (power:onsite, 0.004), turbines tb (power:turbines: 0.005, 0.003, 0.005,
 * 0.003)) flow into pa, an elastic of reference 1, elasticity 1 and
 * binds_below 0.9 (power:price) at prices 1, 1, 1, 2; a stock ps adds pa
 * up (lifetime 1e18 quarters: it keeps 1 - 1e-18, which is 1 in double
 * precision) for the deploy node (1 kW accelerators, PUE 1, supply plentiful, so
 * every quarter fills its power: bound by power).
 *   os = 4, 3, 4, 3 (thousandths of a MW); pa = 14, 13, 14, 6.5 (the
 *   price halves the flow in q3); ps = 14, 27, 41, 47.5: the fleet.
 * Labels, with tb as a cap:
 *   q0: nothing cut; the larger input, the grid: power:grid.
 *   q1: the turbines cut os (3 < 4): a cut beats the larger grid flow:
 *       power:turbines.
 *   q2: os is timed by its ready projects (4 < 5), not cut: power:grid.
 *   q3: the price cut pa by half (0.5 < 0.9): power:price.
 * With tb as an ordinary `in` input, q1 says power:grid: no input cut. */
static void build_power_sum(world *x, const char *turbine_role)
{
    char edges[512];
    snprintf(edges, sizeof edges,
             "g,pa,flow,,,x,\nos,pa,flow,,,x,\nr,os,in,,,x,\ntb,os,%s,,,x,\npr,pa,price,,,x,\n"
             "pa,ps,in,,,x,\nps,d,power,,,x,\ncap,m,in,,,x,\nm,d,units,,,x,\nf,d,flops,,,x,\n"
             "w,d,watts,,,x,\n",
             turbine_role);
    build(x,
          "node,kind,region,unit,description,source,constraint\n"
          "g,supply,W,MW,,x,power:grid\nr,supply,W,MW,,x,power:onsite\n"
          "tb,supply,W,MW,,x,power:turbines\nos,assemble,W,MW,,x,\npr,supply,W,USD,,x,\n"
          "pa,elastic,W,MW,,x,power:price\nps,stock,W,MW,,x,\ncap,supply,W,acc,,x,\n"
          "m,market,W,acc,,x,\nf,supply,W,FLOP/s,,x,\nw,supply,W,W,,x,\nd,deploy,W,acc,,x,\n",
          edges,
          FOREVER "pa,reference,1,,x,,\npa,elasticity,1,,x,,\npa,binds_below,0.9,,x,,\n"
                  "ps,initial,0,,x,,\nps,lifetime,1e18,,x,,\n",
          TW_FLAT("g", 0.01) TW_FLAT("r", 0.004) TW_SERIES("tb", 0.005, 0.003, 0.005, 0.003)
              TW_SERIES("pr", 1, 1, 1, 2) TW_FLAT("cap", 1000) TW_FLAT("f", 1) TW_FLAT("w", 1000),
          "onsite,W,os,output,MW,,x\npower,W,ps,output,MW,,x\nfleet,W,d,output,acc,,x\n", "");
    cp_model_simulate(x->m, x->w, 0, 1, x->cells, 1, NULL);
    expect_metric(x, 0, (double[]){0.004, 0.003, 0.004, 0.003});
    expect_metric(x, 1, (double[]){0.014, 0.027, 0.041, 0.0475});
    expect_metric(x, 2, (double[]){14, 27, 41, 47.5});
}

Test(fleet, a_cut_names_a_sum_before_its_largest_input)
{
    world x;
    build_power_sum(&x, "cap");
    expect_labels(
        &x, 0, (const char *const[]){"power:grid", "power:turbines", "power:grid", "power:price"});
    destroy(&x);
    build_power_sum(&x, "in");
    expect_labels(&x, 0,
                  (const char *const[]){"power:grid", "power:grid", "power:grid", "power:price"});
    destroy(&x);
}

/* A cohort shipped in q0 with 100 FLOP/s and 1 kW waits for power (none in
 * q0), is installed in q1 with q0's FLOP/s and watts although q1's
 * accelerators have 500 and 3 kW, and retires on schedule: a Weibull of
 * mean 2 quarters and shape 20 (lambda = 2 / Gamma(1.05)) keeps
 * S(1) = 1 - 6e-7, S(2) = 0.56 and S(3) = exp(-1951) = 0 of it.
 * It waits for a quarter: its mean age while waiting is 0 in q0. */
Test(fleet, a_cohort_keeps_its_flops_and_watts_and_retires_by_age)
{
    world x;
    build(&x,
          "u,supply,W,acc,,x\np,supply,W,MW,,x\nf,supply,W,FLOP/s,,x\nw,supply,W,W,,x\n"
          "d,deploy,W,acc,,x\n",
          "u,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n",
          "d,pue,1.5,,x,,\nd,lifetime,2,,x,,\nd,lifetime_shape,20,,x,,\n",
          TW_SERIES("u", 10, 0, 0, 0) TW_SERIES("p", 0, 1, 1, 1) TW_SERIES("f", 100, 500, 500, 500)
              TW_SERIES("w", 1000, 3000, 3000, 3000),
          "fleet,W,d,output,acc,,x\ncompute,W,d,compute,FLOP/s,,x\npower,W,d,power_used,MW,,x\n"
          "waiting,W,d,waiting,acc,,x\nage,W,d,waiting_age,quarters,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    const double lambda = 2 / tgamma(1.05);
    double s[4];
    for (int a = 0; a < 4; a++)
        s[a] = exp(-pow(a / lambda, 20));
    cr_assert(s[3] == 0 && s[2] > 0.5 && s[2] < 0.6 && s[1] > 0.999999);
    expect_metric(&x, 0, (double[]){0, 10 * s[1], 10 * s[2], 0});
    expect_metric(&x, 1, (double[]){0, 1000 * s[1], 1000 * s[2], 0});
    expect_metric(&x, 2, (double[]){0, 10 * s[1] * 1500 / 1e6, 10 * s[2] * 1500 / 1e6, 0});
    expect_metric(&x, 3, (double[]){10, 0, 0, 0});
    expect_metric(&x, 4, (double[]){0, 0, 0, 0});
    destroy(&x);
}

/* Returned accelerators are resold to a region that lacks them (a and b
 * 1 kW, PUE 1, nothing retires; a orders a quarter of growth ahead):
 *   q0: a has 0.02 MW, orders 20; b has no power.  Capacity 40: a gets 20.
 *   q1: a 0.04 MW, growth 20 -> orders 20 free + 20 ahead = 40: 20
 *       installed, 20 wait (its target).
 *   q2: a stays at 0.04: target 0, so its 20 waiting return to the pool;
 *       b gets 0.02 MW and orders 20, met by new production (capacity 40).
 *   q3: capacity 0; b gains 0.01 MW and orders 10: the pool resells 10 of
 *       a's q1 cohort (100 FLOP/s each, q3's are 7), and 10 stay unsold. */
/* The graph of returned_accelerators_are_resold: a market of capacity
 * cap, regions a and b of power pa and pb, both buying accelerators of
 * watts w; a's FLOP/s are f's, b's those of node b_chip (f, or its own
 * chip fc). */
static void build_resale(world *x, const char *b_chip, const char *metrics)
{
    char edges[512];
    snprintf(edges, sizeof edges,
             "cap,m,in,,,x,\nm,a,units,,,x,\nm,b,units,,,x,\npa,a,power,,,x,\npb,b,power,,,x,\n"
             "f,a,flops,,,x,\nw,a,watts,,,x,\n%s,b,flops,,,x,\nw,b,watts,,,x,\n",
             b_chip);
    build(x,
          "cap,supply,W,acc,,x\nm,market,W,acc,,x\npa,supply,A,MW,,x\npb,supply,B,MW,,x\n"
          "f,supply,W,FLOP/s,,x\nfc,supply,B,FLOP/s,,x\nw,supply,W,W,,x\n"
          "a,deploy,A,acc,,x\nb,deploy,B,acc,,x\n",
          edges,
          "a,lifetime,1000,,x,,\na,lifetime_shape,20,,x,,\na,pue,1,,x,,\na,order_horizon,1,,x,,\n"
          "b,lifetime,1000,,x,,\nb,lifetime_shape,20,,x,,\nb,pue,1,,x,,\n",
          TW_SERIES("cap", 40, 40, 40, 0) TW_SERIES("pa", 0.02, 0.04, 0.04, 0.04)
              TW_SERIES("pb", 0, 0, 0.02, 0.03) TW_SERIES("f", 1, 100, 3, 7)
                  TW_SERIES("fc", 1, 50, 2, 5) TW_FLAT("w", 1000),
          metrics, "");
}

Test(fleet, returned_accelerators_are_resold)
{
    world x;
    build_resale(&x, "f",
                 "wa,A,a,waiting,acc,,x\nrb,B,b,received,acc,,x\nfb,B,b,output,acc,,x\n"
                 "cb,B,b,compute,FLOP/s,,x\nunsold,W,m,unsold,acc,,x\n");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){0, 20, 0, 0});
    expect_metric(&x, 1, (double[]){0, 0, 20, 10});
    expect_metric(&x, 2, (double[]){0, 0, 20, 30});
    expect_metric(&x, 3, (double[]){0, 0, 20 * 3, 20 * 3 + 10 * 100});
    expect_metric(&x, 4, (double[]){0, 0, 0, 10});
    destroy(&x);
}

/* received_new_flops counts each buyer's new accelerators at the FLOP/s
 * of its own chip of the quarter, and not the resold ones (they were
 * counted when first shipped).  The graph of returned_accelerators_are_
 * resold, with b importing a chip of its own (fc: 1, 50, 2, 5 FLOP/s,
 * as China imports the licensable class):
 *   a: 20 new of 1 FLOP/s in q0, 40 of 100 in q1, none after.
 *   b: 20 new of 2 in q2; in q3 10 resold (a's q1 cohort) and none new:
 *      received 10, its new 0.
 * The World's sum of the two: 20, 4000, 40, 0. */
Test(fleet, new_flops_count_each_buyers_chip_and_not_the_resold)
{
    world x;
    build_resale(&x, "fc",
                 "na,A,a,received_new_flops,FLOP/s,,x\nnb,B,b,received_new_flops,FLOP/s,,x\n"
                 "rb,B,b,received,acc,,x\n"
                 "new,W,a,received_new_flops,FLOP/s,,x\nnew,W,b,received_new_flops,FLOP/s,,x\n");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){20, 4000, 0, 0});
    expect_metric(&x, 1, (double[]){0, 0, 40, 0});
    expect_metric(&x, 2, (double[]){0, 0, 20, 10});
    expect_metric(&x, 3, (double[]){20, 4000, 40, 0});
    destroy(&x);
}

/* A market without buyers, and one whose buyer's power depends on the
 * market, are refused with the reason. */
Test(fleet, market_mistakes_are_named)
{
    cp_err err;
    static const char series[] =
        "node,period,value,unit,source,source_year,note\ncap,2026Q1,1,u,x,,\n"
        "cap,2026Q2,1,u,x,,\ncap,2026Q3,1,u,x,,\ncap,2026Q4,1,u,x,,\nf,2026Q1,1,u,x,,\n"
        "f,2026Q2,1,u,x,,\nf,2026Q3,1,u,x,,\nf,2026Q4,1,u,x,,\n";
    tf_write(dir, "series.csv", series);
    tf_write(dir, "params.csv",
             "node,param,value,unit,source,source_year,note\nd,pue,1,,x,,\n"
             "d,lifetime,4,,x,,\n");
    tf_write(dir, "metrics.csv",
             "metric,region,node,field,unit,description,source\nshipped,W,m,output,acc,,x\n");
    tf_write(dir, "nodes.csv",
             "node,kind,region,unit,description,source\nm,market,W,acc,,x\ncap,supply,W,acc,,x\n"
             "c,convert,W,MW,,x\nf,supply,W,FLOP/s,,x\nd,deploy,W,acc,,x\n");
    /* d buys elsewhere: m has no buyers */
    tf_write(dir, "edges.csv",
             "from,to,role,weight,unit,source,note\ncap,m,in,,,x,\nm,c,in,,,x,\ncap,d,units,,,x,\n"
             "c,d,power,,,x,\nf,d,flops,,,x,\nf,d,watts,,,x,\n");
    tf_write(dir, "s.ini", "[scenario]\ninputs = .\nstart = 2026Q1\nend = 2026Q4\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/s.ini", dir);
    cp_scenario sc;
    cp_graph g;
    cp_model *m = NULL;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_graph_load(dir, sc.start, 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_model_build(&sc, &g, &m, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "market 'm' has no buyers", "'units' edges");
    const int start = sc.start;
    cp_graph_free(&g);
    cp_scenario_free(&sc);
    /* d buys from m, but its power comes from m's output */
    tf_write(dir, "edges.csv",
             "from,to,role,weight,unit,source,note\ncap,m,in,,,x,\nm,c,in,,,x,\nm,d,units,,,x,\n"
             "c,d,power,,,x,\nf,d,flops,,,x,\nf,d,watts,,,x,\n");
    cr_assert_eq(cp_graph_load(dir, start, 4, &g, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "market 'm'", "depends on the market itself");
}

/* Rounding dust is reported as 0: with capacity 3e6 a quarter, a buyer
 * ordering 3e6 (1 - 1e-12) leaves 3e-6 idle (below a billionth of the
 * capacity: reported 0) and one ordering 3e6 (1 - 1e-6) leaves 3 (idle
 * capacity, reported); 1e-10 returned accelerators left in the pool are
 * reported as 0 unsold, 5 as 5. */
Test(fleet, rounding_dust_is_reported_as_zero)
{
    cp_fleet f;
    cr_assert_eq(cp_fleet_alloc(&f, 4, 2, 0, 0), 0);
    cp_fleet *fleets[1] = {&f};
    const double capacity[2] = {3e6, 3e6}, limit[1] = {1.0}, surv[6] = {1, 1, 1, 1, 1, 1};
    f.orders[0] = 3e6 * (1 - 1e-12);
    f.orders[1] = 3e6 * (1 - 1e-6);
    double units[8] = {1e-10, 5};
    cp_fleet_pool pool = {.units = units, .first = 0};
    double shipped[2], idle[2], unsold[2], want[2];
    cp_fleet_market(1, 2, capacity, fleets, limit, 1, surv, &pool, shipped, idle, unsold, want);
    cr_assert_eq(idle[0], 0, "idle %g", idle[0]);
    cr_assert_float_eq(idle[1], 3, 1e-6);
    cr_assert_eq(unsold[0], 0, "unsold %g", unsold[0]);
    cr_assert_float_eq(unsold[1], 5, 0);
    cp_fleet_free(&f);
}

/* A stream of accelerators of its own (10 a quarter on offer in q0-q2, 10
 * FLOP/s and 2 MW each) beside a market's (1 FLOP/s and 1 MW each), PUE 1,
 * order horizon 1, no inventory target, nothing retires.  Needs and orders
 * count the market's accelerators of this quarter; its own count as the
 * market's that draw the same watts (one of its own: 2 MW, 2 bought ones):
 *   q0: 50 MW free, no growth seen: it wants 50; its own 10 on offer are
 *       worth 20 and it takes them all, ordering 30.  Its own go in first
 *       (20 MW), then the 30 bought (30 MW): fleet 40, compute 10 x 10 +
 *       30 x 1 = 130, received 40, nothing waits.
 *   q1: power 60 (growth 10): 10 free + 10 of horizon = 20 wanted, all of
 *       it its own 10 (worth 20): it orders nothing.  Only 5 of its own fit
 *       (10 MW): fleet 45, compute 180; its 5 waiting are worth 10, the
 *       buffer: nothing goes back (and its own never would).
 *   q2: power flat, nothing free, its 5 waiting worth 10: it wants nothing
 *       and takes none of its own on offer (received_own: 10, 10, 0, 0 in
 *       the four quarters); its own 5 stay.
 *   q3: power 70 (growth 10): 10 free + 10 of horizon - 10 waiting = 10
 *       ordered and shipped; its own 5 (q1's, older) take the 10 MW; the 10
 *       bought wait, as the buffer of 10 allows: fleet 50, compute 230,
 *       waiting 10 (none its own).
 * The power is used up in every quarter: power binds.  (Counted as
 * accelerators instead, q0 would order 40 and send 10 back, and q1 would
 * order 10 more than its power took.) */
Test(fleet, a_stream_is_taken_first_keeps_its_flops_and_watts_and_stays)
{
    world x;
    build(&x, STREAM_NODES, STREAM_EDGES, FOREVER "d,order_horizon,1,,x,,\n",
          TW_FLAT("cap", 100) TW_SERIES("p", 50, 60, 60, 70) TW_FLAT("f", 1) TW_FLAT("w", 1e6)
              TW_SERIES("ou", 10, 10, 10, 0) TW_FLAT("sf", 10) TW_FLAT("sw", 2e6),
          "orders,W,d,orders,acc,,x\nshipped,W,m,output,acc,,x\nfleet,W,d,output,acc,,x\n"
          "compute,W,d,compute,FLOP/s,,x\nwaiting,W,d,waiting,acc,,x\n"
          "received,W,d,received,acc,,x\nown,W,d,waiting_own,acc,,x\nstream,W,s,output,acc,,x\n"
          "taken,W,d,received_own,acc,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){30, 0, 0, 10});
    expect_metric(&x, 1, (double[]){30, 0, 0, 10});
    expect_metric(&x, 2, (double[]){40, 45, 45, 50});
    expect_metric(&x, 3, (double[]){130, 180, 180, 230});
    expect_metric(&x, 4, (double[]){0, 5, 5, 10});
    expect_metric(&x, 5, (double[]){40, 10, 0, 10});
    expect_metric(&x, 6, (double[]){0, 5, 5, 0});
    expect_metric(&x, 7, (double[]){10, 10, 10, 0});
    expect_metric(&x, 8, (double[]){10, 10, 0, 0});
    expect_labels(&x, 0, (const char *const[]){"power", "power", "power", "power"});
    destroy(&x);
}

/* A stream must name its FLOP/s and watts, and may not feed a market
 * (which would ship its accelerators as the market's own). */
/* Writes the inputs of a mistake test (one supply node u, a market m, a
 * deploy node d, and the given nodes.csv) and loads its scenario. */
static void load_small(const char *nodes, cp_scenario *sc)
{
    cp_err err;
    tf_write(dir, "series.csv",
             "node,period,value,unit,source,source_year,note\nu,2026Q1,1,u,x,,\n"
             "u,2026Q2,1,u,x,,\nu,2026Q3,1,u,x,,\nu,2026Q4,1,u,x,,\n");
    tf_write(dir, "params.csv",
             "node,param,value,unit,source,source_year,note\nd,pue,1,,x,,\nd,lifetime,4,,x,,\n");
    tf_write(dir, "metrics.csv",
             "metric,region,node,field,unit,description,source\nshipped,W,m,output,acc,,x\n");
    tf_write(dir, "nodes.csv", nodes);
    tf_write(dir, "s.ini", "[scenario]\ninputs = .\nstart = 2026Q1\nend = 2026Q4\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/s.ini", dir);
    cr_assert_eq(cp_scenario_load(path, sc, &err), CP_OK, "%s", err.msg);
}

Test(fleet, stream_mistakes_are_named)
{
    cp_err err;
    cp_scenario sc;
    cp_graph g;
    load_small("node,kind,region,unit,description,source\nm,market,W,acc,,x\nu,supply,W,acc,,x\n"
               "s,stream,W,acc,,x\nd,deploy,W,acc,,x\n",
               &sc);
    /* no watts */
    tf_write(dir, "edges.csv",
             "from,to,role,weight,unit,source,note\nu,s,in,,,x,\nu,s,flops,,,x,\nu,m,in,,,x,\n"
             "m,d,units,,,x,\ns,d,units,,,x,\nu,d,power,,,x,\nu,d,flops,,,x,\nu,d,watts,,,x,\n");
    cr_assert_eq(cp_graph_load(dir, sc.start, 4, &g, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "stream node 's' needs exactly 1 'watts' input(s), has 0");
    /* into a market */
    tf_write(dir, "edges.csv",
             "from,to,role,weight,unit,source,note\nu,s,in,,,x,\nu,s,flops,,,x,\nu,s,watts,,,x,\n"
             "s,m,in,,,x,\nm,d,units,,,x,\nu,d,power,,,x,\nu,d,flops,,,x,\nu,d,watts,,,x,\n");
    cr_assert_eq(cp_graph_load(dir, sc.start, 4, &g, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "edges.csv line 5", "stream 's' feeds market 'm'",
                "connect the stream to deploy nodes");
    cp_scenario_free(&sc);
}

/* The thermal limit.  Power 10, 16, 20, 24 MW; liquid-cooled power
 * (`liquid`, constraint power:cooling) 4, 4, 8, 10 MW; the share of each
 * quarter's accelerators that need it (`needs_liquid`) 0, 1, 1, 0.5;
 * accelerators of 1 MW and 1 FLOP/s, PUE 1, no horizon or buffer, nothing
 * retires:
 *   q0: nothing needs liquid: 10 free, 10 ordered and installed (air-cooled).
 *       Power used up: power.
 *   q1: 6 MW free, but the new accelerators need liquid and 4 MW of it are
 *       free (none drawn): it can fill 10 + 4 = 14 MW and orders 4; 4
 *       installed (liquid drawn 4), 2 MW left unfilled: power:cooling.
 *   q2: 6 free, liquid 8 - 4 = 4 free: 4 ordered and installed (liquid
 *       drawn 8), 2 unfilled: power:cooling.
 *   q3: 6 free, liquid 10 - 8 = 2 free, half of each new accelerator's
 *       watts need it: 2 / 0.5 = 4 ordered and installed (liquid drawn 10),
 *       2 unfilled: power:cooling.
 * Fleet 10, 14, 18, 22. */
Test(fleet, liquid_cooled_power_limits_what_needs_it)
{
    world x;
    build(&x, COOLED_NODES, COOLED_EDGES, FOREVER,
          TW_FLAT("cap", 100) TW_SERIES("p", 10, 16, 20, 24) TW_FLAT("f", 1) TW_FLAT("w", 1e6)
              TW_SERIES("lq", 4, 4, 8, 10) TW_SERIES("q", 0, 1, 1, 0.5),
          "orders,W,d,orders,acc,,x\nfleet,W,d,output,acc,,x\nunfilled,W,d,unfilled,MW,,x\n"
          "used,W,d,power_used,MW,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){10, 4, 4, 4});
    expect_metric(&x, 1, (double[]){10, 14, 18, 22});
    expect_metric(&x, 2, (double[]){0, 2, 2, 2});
    expect_metric(&x, 3, (double[]){10, 14, 18, 22});
    expect_labels(
        &x, 0, (const char *const[]){"power", "power:cooling", "power:cooling", "power:cooling"});
    destroy(&x);
}

/* The thermal limit with a stream: its own accelerators (1 on offer a
 * quarter, 2 MW and 10 FLOP/s each) take their quarter's needs_liquid, as
 * bought ones (1 MW, 1 FLOP/s) do.  Power 10 MW; liquid-cooled power 4, 4,
 * 8, 10; needs_liquid 1, 1, 1, 0.5; PUE 1, no horizon or buffer, nothing
 * retires:
 *   q0: 4 MW of liquid free: it can fill 4 and wants 4 bought ones' worth;
 *       its own one (worth 2) is taken, 2 ordered.  Its own goes in first
 *       (liquid 2 left), then the 2 bought (liquid used up): fleet 3,
 *       compute 12, 6 MW unfilled: power:cooling.
 *   q1: no liquid free: it can fill what it draws, wants nothing, takes
 *       none of its own: fleet 3, power:cooling.
 *   q2: liquid 8, 4 free: as q0: fleet 6, compute 24, 2 MW unfilled.
 *   q3: liquid 10, 2 free, half of the new watts need it: 4 MW usable but
 *       only 2 free: it wants 2, its own one (worth 2) fills it, no order;
 *       it takes the last 2 MW (liquid 1 MW left): fleet 7, compute 34,
 *       power binds. */
Test(fleet, a_stream_takes_its_quarters_liquid_need)
{
    world x;
    build(&x,
          COOLED_NODES "ou,supply,W,acc,,x,\nsf,supply,W,FLOP/s,,x,\nsw,supply,W,W,,x,\n"
                       "s,stream,W,acc,,x,\n",
          COOLED_EDGES "ou,s,in,,,x,\nsf,s,flops,,,x,\nsw,s,watts,,,x,\ns,d,units,,,x,\n", FOREVER,
          TW_FLAT("cap", 100) TW_FLAT("p", 10) TW_FLAT("f", 1) TW_FLAT("w", 1e6)
              TW_SERIES("lq", 4, 4, 8, 10) TW_SERIES("q", 1, 1, 1, 0.5) TW_FLAT("ou", 1)
                  TW_FLAT("sf", 10) TW_FLAT("sw", 2e6),
          "orders,W,d,orders,acc,,x\nfleet,W,d,output,acc,,x\ncompute,W,d,compute,FLOP/s,,x\n"
          "unfilled,W,d,unfilled,MW,,x\ntaken,W,d,received_own,acc,,x\n"
          "taken_flops,W,d,received_own_flops,FLOP/s,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 5, (double[]){10, 0, 10, 10});
    expect_metric(&x, 0, (double[]){2, 0, 2, 0});
    expect_metric(&x, 1, (double[]){3, 3, 6, 7});
    expect_metric(&x, 2, (double[]){12, 12, 24, 34});
    expect_metric(&x, 3, (double[]){6, 6, 2, 0});
    expect_metric(&x, 4, (double[]){1, 0, 1, 1});
    expect_labels(
        &x, 0, (const char *const[]){"power:cooling", "power:cooling", "power:cooling", "power"});
    destroy(&x);
}

/* The PUE follows the cooling mix: pue 1 where racks are liquid-cooled,
 * 1 + pue_air_extra 0.5 where they are not, weighted by the liquid-cooled
 * share of the power (10 MW).  Accelerators of 1 MW of IT power that need
 * no liquid:
 *   q0: liquid 5: PUE 1.25, each draws 1.25 MW: 8 ordered and installed.
 *   q1: liquid 10: PUE 1, the 8 draw 8 MW: 2 more.
 *   q2: liquid 10: nothing free.
 *   q3: liquid 0: PUE 1.5, the 10 draw 15 MW, more than the 10 there
 *       are; nothing is removed (power binds; power_used 15).
 * Fleet 8, 10, 10, 10; power used 10, 10, 10, 15. */
Test(fleet, pue_follows_the_cooling_mix)
{
    world x;
    build(&x,
          "cap,supply,W,acc,,x\nm,market,W,acc,,x\np,supply,W,MW,,x\nf,supply,W,FLOP/s,,x\n"
          "w,supply,W,W,,x\nlq,supply,W,MW,,x\nq,supply,W,share,,x\nd,deploy,W,acc,,x\n",
          "cap,m,in,,,x,\nm,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n"
          "lq,d,liquid,,,x,\nq,d,needs_liquid,,,x,\n",
          FOREVER "d,pue_air_extra,0.5,,x,,\n",
          TW_FLAT("cap", 100) TW_FLAT("p", 10) TW_FLAT("f", 1) TW_FLAT("w", 1e6)
              TW_SERIES("lq", 5, 10, 10, 0) TW_FLAT("q", 0),
          "fleet,W,d,output,acc,,x\nused,W,d,power_used,MW,,x\n", "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){8, 10, 10, 10});
    expect_metric(&x, 1, (double[]){10, 10, 10, 15});
    expect_labels(&x, 0, (const char *const[]){"power", "power", "power", "power"});
    destroy(&x);
}

/* The thermal limit needs both its inputs, on a deploy node, once each. */
Test(fleet, thermal_mistakes_are_named)
{
    cp_err err;
    cp_scenario sc;
    cp_graph g;
    load_small("node,kind,region,unit,description,source\nm,market,W,acc,,x\nu,supply,W,acc,,x\n"
               "c,convert,W,MW,,x\nd,deploy,W,acc,,x\n",
               &sc);
    const char *base = "from,to,role,weight,unit,source,note\nu,m,in,,,x,\nm,d,units,,,x,\n"
                       "u,c,in,,,x,\nu,d,power,,,x,\nu,d,flops,,,x,\nu,d,watts,,,x,\n";
    char edges[1024];
    /* liquid without needs_liquid */
    snprintf(edges, sizeof edges, "%su,d,liquid,,,x,\n", base);
    tf_write(dir, "edges.csv", edges);
    cr_assert_eq(cp_graph_load(dir, sc.start, 4, &g, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "edges.csv line 8", "deploy node 'd' has a 'liquid' input",
                "no 'needs_liquid'");
    /* needs_liquid without liquid */
    snprintf(edges, sizeof edges, "%su,d,needs_liquid,,,x,\n", base);
    tf_write(dir, "edges.csv", edges);
    cr_assert_eq(cp_graph_load(dir, sc.start, 4, &g, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "edges.csv line 8", "'needs_liquid' input but no 'liquid'");
    /* two liquid inputs */
    snprintf(edges, sizeof edges, "%su,d,liquid,,,x,\nc,d,liquid,,,x,\nu,d,needs_liquid,,,x,\n",
             base);
    tf_write(dir, "edges.csv", edges);
    cr_assert_eq(cp_graph_load(dir, sc.start, 4, &g, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "deploy node 'd'", "'liquid'");
    /* into a node that is not a deploy node */
    snprintf(edges, sizeof edges, "%su,c,liquid,,,x,\n", base);
    tf_write(dir, "edges.csv", edges);
    cr_assert_eq(cp_graph_load(dir, sc.start, 4, &g, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "edges.csv:8", "convert node 'c' takes no 'liquid' input");
    cp_scenario_free(&sc);
}

/* Replacement (replace_below 0.5): one region, PUE 1, nothing retires by
 * age, power 0.01 MW (10 kW) throughout, filled by a starting fleet of 10
 * accelerators of 100 FLOP/s and 1 kW; new ones draw 1 kW too.
 *   q0: new ones give 150 FLOP/s: 100 / 1000 W is not at most half of
 *       150 / 1000 W, so nothing is obsolete: no orders (power).
 *   q1: new ones give 300: the starting fleet is obsolete (100 <= 150):
 *       10 kW to replace, orders 10; the capacity is 4: they take the
 *       place of 4 old ones (replaced 4): fleet 10, compute 6 x 100 +
 *       4 x 300 = 1800.  Obsolete ones are left and nothing waits to
 *       replace them: the chips bound (chips:test), not the power.
 *   q2: 6 old ones left (6 kW): orders 6, shipped 6, all replaced: compute
 *       3000 (power).  q1's 300 FLOP/s are not obsolete (300 > 150).
 *   q3: nothing obsolete, no orders, compute 3000 (power). */
Test(fleet, obsolete_accelerators_make_room_for_new_ones)
{
    world x;
    build(&x,
          "node,kind,region,unit,description,source,constraint\n"
          "cap,supply,W,acc,,x,chips:test\nm,market,W,acc,,x,\np,supply,W,MW,,x,\n"
          "f,supply,W,FLOP/s,,x,\nw,supply,W,W,,x,\nd,deploy,W,acc,,x,\n",
          "cap,m,in,,,x,\nm,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n",
          FOREVER "d,initial_fleet,10,,x,,\nd,initial_flops,100,,x,,\nd,initial_watts,1000,,x,,\n"
                  "d,replace_below,0.5,,x,,\n",
          TW_SERIES("cap", 100, 4, 100, 100) TW_FLAT("p", 0.01) TW_SERIES("f", 150, 300, 300, 300)
              TW_FLAT("w", 1000),
          "orders,W,d,orders,acc,,x\nshipped,W,m,output,acc,,x\nreplaced,W,d,replaced,acc,,x\n"
          "fleet,W,d,output,acc,,x\ncompute,W,d,compute,FLOP/s,,x\nwaiting,W,d,waiting,acc,,x\n"
          "unfilled,W,d,unfilled,MW,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){0, 10, 6, 0});
    expect_metric(&x, 1, (double[]){0, 4, 6, 0});
    expect_metric(&x, 2, (double[]){0, 4, 6, 0});
    expect_metric(&x, 3, (double[]){10, 10, 10, 10});
    expect_metric(&x, 4, (double[]){1000, 1800, 3000, 3000});
    expect_metric(&x, 5, (double[]){0, 0, 0, 0});
    expect_metric(&x, 6, (double[]){0, 0, 0, 0});
    expect_labels(&x, 0, (const char *const[]){"power", "chips:test", "power", "power"});
    destroy(&x);
}

/* Without replace_below (0, the default) the same fleet keeps its old
 * accelerators: no orders, no replacement, compute 1000 throughout. */
Test(fleet, without_replace_below_old_accelerators_stay)
{
    world x;
    build(&x,
          "cap,supply,W,acc,,x\nm,market,W,acc,,x\np,supply,W,MW,,x\nf,supply,W,FLOP/s,,x\n"
          "w,supply,W,W,,x\nd,deploy,W,acc,,x\n",
          "cap,m,in,,,x,\nm,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n",
          FOREVER "d,initial_fleet,10,,x,,\nd,initial_flops,100,,x,,\nd,initial_watts,1000,,x,,\n",
          TW_FLAT("cap", 100) TW_FLAT("p", 0.01) TW_SERIES("f", 150, 300, 3000, 3000)
              TW_FLAT("w", 1000),
          "orders,W,d,orders,acc,,x\nreplaced,W,d,replaced,acc,,x\ncompute,W,d,compute,FLOP/s,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){0, 0, 0, 0});
    expect_metric(&x, 1, (double[]){0, 0, 0, 0});
    expect_metric(&x, 2, (double[]){1000, 1000, 1000, 1000});
    destroy(&x);
}

/* Replacement under the thermal limit: power 10 MW filled by a starting
 * fleet of 10 accelerators of 1 FLOP/s and 1 MW (in air-cooled halls: they
 * need no liquid-cooled racks); new ones draw 1 MW and all of their watts
 * need liquid-cooled racks; replace_below 0.5, PUE 1, nothing retires by
 * age.  Liquid-cooled power 0, 3, 3, 10 MW.
 *   q0: new ones give 1 FLOP/s: nothing obsolete, no orders (power).
 *   q1: new ones give 4: the 10 MW of the starting fleet are obsolete, but
 *       a new one needs 1 MW of liquid-cooled room and 3 are free: it
 *       orders 3, which replace 3 old ones (replaced 3, compute 7 + 12 =
 *       19).  The liquid-cooled room held the replacement back and is used
 *       up: power:cooling.
 *   q2: no liquid-cooled room: orders 0, nothing replaced (power:cooling).
 *   q3: 10 MW liquid-cooled, 7 free: the last 7 old ones are replaced:
 *       compute 40 (power). */
Test(fleet, liquid_cooled_room_limits_replacement)
{
    world x;
    build(&x, COOLED_NODES, COOLED_EDGES,
          FOREVER "d,initial_fleet,10,,x,,\nd,initial_flops,1,,x,,\nd,initial_watts,1e6,,x,,\n"
                  "d,replace_below,0.5,,x,,\n",
          TW_FLAT("cap", 100) TW_FLAT("p", 10) TW_SERIES("f", 1, 4, 4, 4) TW_FLAT("w", 1e6)
              TW_SERIES("lq", 0, 3, 3, 10) TW_FLAT("q", 1),
          "orders,W,d,orders,acc,,x\nreplaced,W,d,replaced,acc,,x\nfleet,W,d,output,acc,,x\n"
          "compute,W,d,compute,FLOP/s,,x\nunfilled,W,d,unfilled,MW,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){0, 3, 0, 7});
    expect_metric(&x, 1, (double[]){0, 3, 0, 7});
    expect_metric(&x, 2, (double[]){10, 10, 10, 10});
    expect_metric(&x, 3, (double[]){10, 19, 19, 40});
    expect_metric(&x, 4, (double[]){0, 0, 0, 0});
    expect_labels(&x, 0, (const char *const[]){"power", "power:cooling", "power:cooling", "power"});
    destroy(&x);
}

/* Its own accelerators replace, after the bought ones: power 10 MW filled
 * by a starting fleet of 10 accelerators of 100 FLOP/s and 1 MW;
 * replace_below 0.5, a quarter of growth ordered ahead, PUE 1, nothing
 * retires by age; the market ships nothing; a stream offers 4
 * accelerators of 1,000 FLOP/s and 1 MW in q1 only.
 *   q0: bought ones give 100 FLOP/s: nothing obsolete, no orders; nothing
 *       of its own on offer.
 *   q1: power 12 MW, growth 2: it wants 2 free + 2 ahead = 4, takes the 4
 *       of its own on offer, and orders the 10 MW of the (now obsolete)
 *       starting fleet: 10.  Two of its own fill the 2 MW; two wait.  No
 *       bought one waits, so its own replace: the starting fleet's 100
 *       FLOP/s a MW are at most half of its own 1,000, and 2 of them
 *       retire for the 2 waiting (replaced 2): fleet 12, compute
 *       8 x 100 + 4 x 1,000 = 4,800, none waiting.  The obsolete ones left
 *       have nothing waiting to replace them and the market shipped none
 *       of the 10 ordered: the supply bound (chips).
 *   q2, q3: power flat, 8 MW obsolete: orders 8, nothing shipped, nothing
 *       of its own on offer, nothing replaced. */
Test(fleet, its_own_accelerators_replace_after_the_bought_ones)
{
    world x;
    build(&x, STREAM_NODES, STREAM_EDGES,
          FOREVER "d,order_horizon,1,,x,,\nd,initial_fleet,10,,x,,\nd,initial_flops,100,,x,,\n"
                  "d,initial_watts,1e6,,x,,\nd,replace_below,0.5,,x,,\n",
          TW_FLAT("cap", 0) TW_SERIES("p", 10, 12, 12, 12) TW_SERIES("f", 100, 1000, 1000, 1000)
              TW_FLAT("w", 1e6) TW_SERIES("ou", 0, 4, 0, 0) TW_FLAT("sf", 1000) TW_FLAT("sw", 1e6),
          "orders,W,d,orders,acc,,x\nreplaced,W,d,replaced,acc,,x\nfleet,W,d,output,acc,,x\n"
          "compute,W,d,compute,FLOP/s,,x\nown,W,d,waiting_own,acc,,x\n"
          "taken,W,d,received_own,acc,,x\ninstalled,W,d,deployed,acc,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){0, 10, 8, 8});
    expect_metric(&x, 1, (double[]){0, 2, 0, 0});
    expect_metric(&x, 2, (double[]){10, 12, 12, 12});
    expect_metric(&x, 3, (double[]){1000, 4800, 4800, 4800});
    expect_metric(&x, 4, (double[]){0, 0, 0, 0});
    expect_metric(&x, 5, (double[]){0, 4, 0, 0});
    expect_metric(&x, 6, (double[]){0, 4, 0, 0});
    expect_labels(&x, 0, (const char *const[]){"power", "chips", "chips", "chips"});
    destroy(&x);
}

/* Its own on offer that it did not take replace what is obsolete against
 * them (not against the bought ones), oldest first, where the bought
 * cannot: power 10 MW, flat, filled by a starting fleet of 10
 * accelerators of 100 FLOP/s and 1 MW; bought ones give 1,000 FLOP/s a MW
 * but the market ships nothing (an import ban); a stream offers 5 of 1 MW
 * each quarter, of 400, 400, 700 and 900 FLOP/s; replace_below 0.5, PUE
 * 1, nothing retires by age, no growth: it takes none of its own for
 * growth.
 *   q0: 100 <= 0.5 x 400: the starting fleet is obsolete against its own;
 *       5 on offer untaken, 5 MW: 5 old ones retire, 5 of its own are
 *       taken and installed (replaced 5, taken 5): compute 5 x 100 +
 *       5 x 400 = 2,500.
 *   q1: the other 5 old ones: compute 4,000.
 *   q2: its own give 700: 400 > 0.5 x 700, nothing is obsolete against
 *       them (though everything is against the bought 1,000): nothing
 *       replaced or taken, compute 4,000.
 *   q3: its own give 900: 400 <= 450, the 10 of q0 and q1 are obsolete;
 *       5 on offer replace the oldest 5 (q0's): compute 5 x 400 +
 *       5 x 900 = 6,500.
 * Orders: the obsolete MW against the bought ones, 10 every quarter. */
Test(fleet, its_own_on_offer_replace_what_is_obsolete_against_them)
{
    world x;
    build(&x, STREAM_NODES, STREAM_EDGES,
          FOREVER "d,initial_fleet,10,,x,,\nd,initial_flops,100,,x,,\nd,initial_watts,1e6,,x,,\n"
                  "d,replace_below,0.5,,x,,\n",
          TW_FLAT("cap", 0) TW_FLAT("p", 10) TW_FLAT("f", 1000) TW_FLAT("w", 1e6) TW_FLAT("ou", 5)
              TW_SERIES("sf", 400, 400, 700, 900) TW_FLAT("sw", 1e6),
          "orders,W,d,orders,acc,,x\nreplaced,W,d,replaced,acc,,x\nfleet,W,d,output,acc,,x\n"
          "compute,W,d,compute,FLOP/s,,x\ntaken,W,d,received_own,acc,,x\n"
          "waiting,W,d,waiting,acc,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){10, 10, 10, 10});
    expect_metric(&x, 1, (double[]){5, 5, 0, 5});
    expect_metric(&x, 2, (double[]){10, 10, 10, 10});
    expect_metric(&x, 3, (double[]){2500, 4000, 4000, 6500});
    expect_metric(&x, 4, (double[]){5, 5, 0, 5});
    expect_metric(&x, 5, (double[]){0, 0, 0, 0});
    destroy(&x);
}

/* Bought ones waiting that give less FLOP/s per watt than its own on offer
 * do not keep its own from replacing: power 10 MW, then 12, filled by a
 * starting fleet of 10 accelerators of 100 FLOP/s and 1 MW; bought ones of
 * 150 FLOP/s and 1 MW (nothing obsolete against them: 100 > 0.5 x 150);
 * the market ships 4 in q1 only; a quarter of growth ordered ahead, no
 * inventory target; a stream offers 2 of 1,000 FLOP/s and 1 MW in q2 and
 * q3; replace_below 0.5, PUE 1, nothing retires by age.
 *   q1: growth 2: orders 2 free + 2 ahead = 4, all shipped; 2 installed,
 *       2 wait (the buffer: a quarter of growth); nothing of its own on
 *       offer.  Compute 10 x 100 + 2 x 150 = 1,300.
 *   q2: power used up, the 2 bought ones wait, 150 FLOP/s a MW against
 *       its own 1,000: they do not hold it back.  Its own takes none for
 *       growth, so the 2 on offer replace 2 of the starting fleet (obsolete
 *       against them: 100 and 150 <= 500; the oldest first) and are
 *       installed, not the 2 bought ones (replaced 2, taken 2): compute
 *       8 x 100 + 2 x 150 + 2 x 1,000 = 3,100.  The bought ones beyond
 *       the buffer (0: no growth) go back to the market: none waiting.
 *   q3: the same again, nothing bought waiting: compute 6 x 100 + 2 x 150
 *       + 4 x 1,000 = 4,900.
 * (With bought ones waiting keeping its own back, q2 replaced nothing:
 * compute 1,300 and 3,100.) */
Test(fleet, worse_bought_ones_waiting_do_not_keep_its_own_back)
{
    world x;
    build(&x, STREAM_NODES, STREAM_EDGES,
          FOREVER "d,order_horizon,1,,x,,\nd,initial_fleet,10,,x,,\nd,initial_flops,100,,x,,\n"
                  "d,initial_watts,1e6,,x,,\nd,replace_below,0.5,,x,,\n",
          TW_SERIES("cap", 0, 4, 0, 0) TW_SERIES("p", 10, 12, 12, 12) TW_FLAT("f", 150)
              TW_FLAT("w", 1e6) TW_SERIES("ou", 0, 0, 2, 2) TW_FLAT("sf", 1000) TW_FLAT("sw", 1e6),
          "replaced,W,d,replaced,acc,,x\ncompute,W,d,compute,FLOP/s,,x\n"
          "taken,W,d,received_own,acc,,x\nwaiting,W,d,waiting,acc,,x\nfleet,W,d,output,acc,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){0, 0, 2, 2});
    expect_metric(&x, 1, (double[]){1000, 1300, 3100, 4900});
    expect_metric(&x, 2, (double[]){0, 0, 2, 2});
    expect_metric(&x, 3, (double[]){0, 2, 0, 0});
    expect_metric(&x, 4, (double[]){10, 12, 12, 12});
    destroy(&x);
}

/* Nothing is removed where the power fell below the draw, its own on offer
 * or not: a starting fleet of 10 accelerators of 100 FLOP/s and 1 MW in
 * 10 MW; the power falls to 8 MW in q1 and q2 and comes back to 10 in q3;
 * a stream offers 5 of 1,000 FLOP/s and 1 MW every quarter; the market
 * ships nothing; replace_below 0.5, PUE 1, nothing retires by age.
 *   q0: power used up, the 10 obsolete against its own: 5 replaced (the
 *       5 untaken on offer), compute 5 x 100 + 5 x 1,000 = 5,500.
 *   q1, q2: 8 MW under a draw of 10: nothing removed or installed, none of
 *       its own taken, compute 5,500 (the fleet draws 10 MW).
 *   q3: 10 MW again, used up: the other 5 replaced: compute 10,000. */
Test(fleet, nothing_is_replaced_below_the_draw)
{
    world x;
    build(&x, STREAM_NODES, STREAM_EDGES,
          FOREVER "d,initial_fleet,10,,x,,\nd,initial_flops,100,,x,,\nd,initial_watts,1e6,,x,,\n"
                  "d,replace_below,0.5,,x,,\n",
          TW_FLAT("cap", 0) TW_SERIES("p", 10, 8, 8, 10) TW_FLAT("f", 100) TW_FLAT("w", 1e6)
              TW_FLAT("ou", 5) TW_FLAT("sf", 1000) TW_FLAT("sw", 1e6),
          "replaced,W,d,replaced,acc,,x\ncompute,W,d,compute,FLOP/s,,x\n"
          "taken,W,d,received_own,acc,,x\nused,W,d,power_used,MW,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){5, 0, 0, 5});
    expect_metric(&x, 1, (double[]){5500, 5500, 5500, 10000});
    expect_metric(&x, 2, (double[]){5, 0, 0, 5});
    expect_metric(&x, 3, (double[]){10, 10, 10, 10});
    destroy(&x);
}
