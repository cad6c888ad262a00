/* test_vintage.c -- a starting fleet kept by vintage (`vintage` nodes
 * feeding a deploy node as 'start'), through cp_model on tiny graphs:
 * each vintage is counted with its own FLOP/s and watts, ages on its own
 * survival, is replaced oldest first and only when obsolete, and is scaled
 * by a shock on its node or on the deploy node's initial_fleet; and the
 * mistakes a graph can make with vintages are named.  Every expected value
 * is worked out by hand in the comment above its test. */
#include "cp_test_world.h"

TestSuite(vintage, .init = setup, .fini = teardown);

/* Survival that is 1 to double precision over four quarters (a Weibull of
 * mean 1000 quarters and shape 20), PUE 1. */
#define FOREVER "d,lifetime,1000,,x,,\nd,lifetime_shape,20,,x,,\nd,pue,1,,x,,\n"

/* A market m (capacity cap, constraint chips:test) and a deploy node d
 * with power p, the FLOP/s f and watts w of what it ships, and two
 * vintages besides its own starting accelerators: vo (older) and vn. */
#define NODES                                                                                      \
    "node,kind,region,unit,description,source,constraint\n"                                        \
    "cap,supply,W,acc,,x,chips:test\nm,market,W,acc,,x,\np,supply,W,MW,,x,\n"                      \
    "f,supply,W,FLOP/s,,x,\nw,supply,W,W,,x,\nd,deploy,W,acc,,x,\nvo,vintage,W,acc,,x,\n"          \
    "vn,vintage,W,acc,,x,\n"
#define EDGES                                                                                      \
    "cap,m,in,,,x,\nm,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n"              \
    "vo,d,start,,,x,\nvn,d,start,,,x,\n"
/* Its own: 4 of 200 FLOP/s and 1 kW, new; vo: 3 of 100 FLOP/s and 1 kW,
 * 8 quarters old; vn: 3 of 400 FLOP/s and 1 kW, 1 quarter old. */
#define VINTAGES                                                                                   \
    "d,initial_fleet,4,,x,,\nd,initial_flops,200,,x,,\nd,initial_watts,1000,,x,,\n"                \
    "vo,units,3,,x,,\nvo,flops,100,,x,,\nvo,watts,1000,,x,,\nvo,age,8,,x,,\n"                      \
    "vn,units,3,,x,,\nvn,flops,400,,x,,\nvn,watts,1000,,x,,\nvn,age,1,,x,,\n"

/* Power 0.01 MW (10 kW), filled by the 10 starting accelerators (compute
 * 4 x 200 + 3 x 100 + 3 x 400 = 2,300); replace_below 0.5; new ones draw
 * 1 kW; the market ships at most 2 a quarter after the first.
 *   q0: new ones give 150: obsolete at most 75: none; no orders (power).
 *   q1: new ones give 300: obsolete at most 150: vo's 3 (3 kW): orders 3,
 *       2 shipped, which replace 2 of vo's: compute 2,300 - 200 + 600 =
 *       2,700 (chips:test: obsolete ones are left).
 *   q2: new ones give 500: obsolete at most 250: vo's last 1 and its own
 *       4 (q1's 300 are not): orders 5, 2 shipped; oldest first: vo's 1
 *       (8 quarters old at the start), then 1 of its own (new at the
 *       start): compute 2,700 - 100 - 200 + 1,000 = 3,400 (chips:test).
 *       Newest first would have given 3,300.
 *   q3: its own 3 left are obsolete: orders 3, 2 shipped: compute 3,400 -
 *       400 + 1,000 = 4,000.  vn (400) is never obsolete.
 * The vintage nodes' output is their starting accelerators: 3. */
Test(vintage, vintages_count_their_own_flops_and_are_replaced_oldest_first)
{
    world x;
    build(&x, NODES, EDGES, FOREVER VINTAGES "d,replace_below,0.5,,x,,\n",
          TW_SERIES("cap", 100, 2, 2, 2) TW_FLAT("p", 0.01) TW_SERIES("f", 150, 300, 500, 500)
              TW_FLAT("w", 1000),
          "orders,W,d,orders,acc,,x\nreplaced,W,d,replaced,acc,,x\nfleet,W,d,output,acc,,x\n"
          "compute,W,d,compute,FLOP/s,,x\nused,W,d,power_used,MW,,x\nold,W,vo,output,acc,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){0, 3, 5, 3});
    expect_metric(&x, 1, (double[]){0, 2, 2, 2});
    expect_metric(&x, 2, (double[]){10, 10, 10, 10});
    expect_metric(&x, 3, (double[]){2300, 2700, 3400, 4000});
    expect_metric(&x, 4, (double[]){0.01, 0.01, 0.01, 0.01});
    expect_metric(&x, 5, (double[]){3, 3, 3, 3});
    destroy(&x);
}

/* Each vintage survives from its own age: a Weibull of mean 6 quarters
 * and shape 2 (lambda = 6 / Gamma(1.5)); nothing shipped, power ample.
 * The fleet at the start of quarter t is
 *   4 S(t) / S(0) + 3 S(8 + t) / S(8) + 3 S(1 + t) / S(1),
 * and its FLOP/s the same sum weighted by 200, 100 and 400. */
Test(vintage, each_vintage_ages_from_its_own_age)
{
    world x;
    build(&x, NODES, EDGES, "d,lifetime,6,,x,,\nd,lifetime_shape,2,,x,,\nd,pue,1,,x,,\n" VINTAGES,
          TW_FLAT("cap", 0) TW_FLAT("p", 1) TW_FLAT("f", 150) TW_FLAT("w", 1000),
          "fleet,W,d,output,acc,,x\ncompute,W,d,compute,FLOP/s,,x\n", "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    const double lambda = 6 / tgamma(1.5);
#define S(a) exp(-pow((a) / lambda, 2))
    for (size_t t = 0; t < 4; t++) {
        const double own = S(t) / S(0), vo = S(8.0 + t) / S(8), vn = S(1.0 + t) / S(1);
        const double fleet = 4 * own + 3 * vo + 3 * vn;
        const double compute = 800 * own + 300 * vo + 1200 * vn;
        cr_assert_float_eq(cell(&x, 0, t), fleet, 1e-12 * fleet, "quarter %zu: fleet %.17g, %.17g",
                           t, cell(&x, 0, t), fleet);
        cr_assert_float_eq(cell(&x, 1, t), compute, 1e-12 * compute, "quarter %zu: compute", t);
    }
#undef S
    cr_assert(cell(&x, 0, 3) < 9.5, "the vintages retire: %g", cell(&x, 0, 3));
    destroy(&x);
}

/* A shock on a vintage node scales that vintage (and its output); one on
 * the deploy node's initial_fleet scales every vintage.  Nothing shipped,
 * nothing retires: the fleet's FLOP/s in every quarter is
 *   800 a + 300 a b + 1200 a,
 * with a the initial_fleet draw and b vo's (1 where there is none). */
Test(vintage, shocks_scale_a_vintage_or_the_whole_starting_fleet)
{
    const char *series = TW_FLAT("cap", 0) TW_FLAT("p", 1) TW_FLAT("f", 150) TW_FLAT("w", 1000);
    const char *metrics = "compute,W,d,compute,FLOP/s,,x\nold,W,vo,output,acc,,x\n";
    world x;
    build(&x, NODES, EDGES, FOREVER VINTAGES, series, metrics,
          "[shock b]\ndistribution = lognormal(mu=0, sigma=0.3)\ntime = once\ntargets = vo\n");
    for (uint64_t i = 0; i < 10; i++) {
        cp_model_simulate(x.m, x.w, i, 1, x.cells, 1, x.extras);
        const double b = cell(&x, 1, 0) / 3;
        cr_assert(fabs(b - 1) > 1e-6, "sample %llu: the draw moved vo", (unsigned long long)i);
        for (size_t t = 0; t < 4; t++)
            cr_assert_float_eq(cell(&x, 0, t), 2000 + 300 * b, 1e-12 * 3000,
                               "sample %llu quarter %zu", (unsigned long long)i, t);
    }
    destroy(&x);
    world y;
    build(&y, NODES, EDGES, FOREVER VINTAGES, series, metrics,
          "[shock a]\ndistribution = lognormal(mu=0, sigma=0.3)\ntime = once\n"
          "targets = d.initial_fleet\n");
    for (uint64_t i = 0; i < 10; i++) {
        cp_model_simulate(y.m, y.w, i, 1, y.cells, 1, y.extras);
        const double a = y.extras[0];
        cr_assert(fabs(a - 1) > 1e-6, "sample %llu: the draw moved the fleet",
                  (unsigned long long)i);
        for (size_t t = 0; t < 4; t++)
            cr_assert_float_eq(cell(&y, 0, t), 2300 * a, 1e-12 * 2300 * a,
                               "sample %llu quarter %zu", (unsigned long long)i, t);
    }
    destroy(&y);
}

/* Loads the graph of NODES with the given edges (and VINTAGES' params):
 * the error it fails with. */
static void expect_graph_error(const char *nodes, const char *edges, const char *params,
                               cp_err *err)
{
    write_inputs(nodes, edges, params,
                 TW_FLAT("cap", 0) TW_FLAT("p", 1) TW_FLAT("f", 1) TW_FLAT("w", 1),
                 "fleet,W,d,output,acc,,x\n");
    tf_write(dir, "s.ini", "[scenario]\ninputs = .\nstart = 2026Q1\nend = 2026Q4\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/s.ini", dir);
    cp_scenario sc;
    cr_assert_eq(cp_scenario_load(path, &sc, err), CP_OK, "%s", err->msg);
    cp_graph g;
    cr_assert_eq(cp_graph_load(dir, sc.start, 4, &g, err), CP_EINVAL, "loaded; want an error");
    cp_scenario_free(&sc);
}

Test(vintage, vintage_mistakes_are_named)
{
    cp_err err;
    const char *base = "cap,m,in,,,x,\nm,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\n"
                       "w,d,watts,,,x,\n";
    char edges[1024];
    /* a vintage that feeds nothing */
    snprintf(edges, sizeof edges, "%svo,d,start,,,x,\n", base);
    expect_graph_error(NODES, edges, FOREVER VINTAGES, &err);
    TF_CONTAINS(err.msg, "nodes.csv line 9", "vintage 'vn' feeds no deploy node");
    /* a vintage as units */
    snprintf(edges, sizeof edges, "%svo,d,start,,,x,\nvn,d,units,,,x,\n", base);
    expect_graph_error(NODES, edges, FOREVER VINTAGES, &err);
    TF_CONTAINS(err.msg, "edges.csv line", "vintage 'vn' feeds 'd' as 'units'", "role 'start'");
    /* a start from a supply */
    snprintf(edges, sizeof edges, "%svo,d,start,,,x,\nvn,d,start,,,x,\nf,d,start,,,x,\n", base);
    expect_graph_error(NODES, edges, FOREVER VINTAGES, &err);
    TF_CONTAINS(err.msg, "'f' feeds 'd' as 'start', but it is a supply node");
    /* one vintage in two fleets */
    snprintf(edges, sizeof edges,
             "%svo,d,start,,,x,\nvn,d,start,,,x,\ncap,m2,in,,,x,\nm2,d2,units,,,x,\n"
             "p,d2,power,,,x,\nf,d2,flops,,,x,\nw,d2,watts,,,x,\nvo,d2,start,,,x,\n",
             base);
    expect_graph_error(NODES "m2,market,W,acc,,x,\nd2,deploy,W,acc,,x,\n", edges,
                       FOREVER VINTAGES "d2,pue,1,,x,,\nd2,lifetime,4,,x,,\n", &err);
    TF_CONTAINS(err.msg, "vintage 'vo' feeds a second deploy node");
    /* four vintages beside its own */
    snprintf(edges, sizeof edges,
             "%svo,d,start,,,x,\nvn,d,start,,,x,\nv3,d,start,,,x,\nv4,d,start,,,x,\n", base);
    expect_graph_error(NODES "v3,vintage,W,acc,,x,\nv4,vintage,W,acc,,x,\n", edges,
                       FOREVER VINTAGES "v3,units,1,,x,,\nv3,flops,1,,x,,\nv3,watts,1,,x,,\n"
                                        "v4,units,1,,x,,\nv4,flops,1,,x,,\nv4,watts,1,,x,,\n",
                       &err);
    TF_CONTAINS(err.msg, "deploy node 'd' takes at most 3 'start' input(s), has 4");
    /* a vintage without its FLOP/s */
    snprintf(edges, sizeof edges, "%svo,d,start,,,x,\nvn,d,start,,,x,\n", base);
    expect_graph_error(NODES, edges,
                       FOREVER "vo,units,3,,x,,\nvo,watts,1,,x,,\nvn,units,3,,x,,\n"
                               "vn,flops,1,,x,,\nvn,watts,1,,x,,\n",
                       &err);
    TF_CONTAINS(err.msg, "vintage", "'vo'", "flops");
}

/* A shock on a vintage's units is refused (they are read once): target
 * the node. */
Test(vintage, a_shock_on_a_vintages_units_is_refused)
{
    write_inputs(NODES, EDGES, FOREVER VINTAGES,
                 TW_FLAT("cap", 0) TW_FLAT("p", 1) TW_FLAT("f", 1) TW_FLAT("w", 1),
                 "fleet,W,d,output,acc,,x\n");
    tf_write(dir, "s.ini",
             "[scenario]\ninputs = .\nstart = 2026Q1\nend = 2026Q4\n[shock b]\n"
             "distribution = lognormal(mu=0, sigma=0.3)\ntime = once\ntargets = vo.units\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/s.ini", dir);
    cp_err err;
    cp_scenario sc;
    cp_graph g;
    cp_model *m;
    cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_graph_load(sc.inputs, sc.start, 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_model_build(&sc, &g, &m, &err), CP_EINVAL);
    TF_CONTAINS(err.msg, "s.ini:", "'vo.units' is read once", "target the vintage node itself");
    cp_graph_free(&g);
    cp_scenario_free(&sc);
}
