/* test_events.c -- what an event's timing keys and a trend shock mean:
 * events that happen once or on a date, the recovery ramp and the loss
 * that lasts, a trend whose spread grows with time, and a shock on the
 * starting fleet.  Exact paths are worked out by hand; statistical checks
 * use z = 5 standard errors of the estimator named at each (false failure
 * below 1e-6 per check). */
#include "cp_test_world.h"

#include <gsl/gsl_statistics_double.h>

#define Z 5.0

TestSuite(events, .init = setup, .fini = teardown);

/* One supply node a = 1 in every quarter, its output the only metric. */
static const char one_node[] = "a,supply,W,u,,x\n";
static const char one_series[] = "a,2026Q1,1,u,x,,\na,2026Q2,1,u,x,,\na,2026Q3,1,u,x,,\n"
                                 "a,2026Q4,1,u,x,,\n";
static const char one_metric[] = "a,W,a,output,u,,x\n";

static void build_one(world *x, const char *sections)
{
    build(x, one_node, "", "", one_series, one_metric, sections);
}

/* The event's loss in quarters 0-3 of n samples: v[i * 4 + t]. */
static double *losses(world *x, size_t n)
{
    const size_t width = cp_model_extras(x->m);
    double *v = malloc(n * 4 * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        cp_model_simulate(x->m, x->w, i, 1, x->cells, 1, x->extras);
        for (size_t t = 0; t < 4; t++)
            v[i * 4 + t] = x->extras[width - 4 + t];
    }
    return v;
}

Test(events, recurring_event_restarts_but_once_event_does_not)
{
    /* Duration 1, probability 1: a recurring event is under way in every
     * quarter; declared once, only in the first. */
    world x;
    build_one(&x, "[event e]\nprobability = 1\nduration = constant(value=1)\n"
                  "severity = constant(value=0.5)\ntargets = a\n");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, x.extras);
    for (size_t t = 0; t < 4; t++)
        cr_assert_float_eq(x.cells[t], 0.5, 0, "recurring: quarter %zu", t);
    destroy(&x);
    build_one(&x, "[event e]\nprobability = 1\nonce = true\nduration = constant(value=1)\n"
                  "severity = constant(value=0.5)\ntargets = a\n");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, x.extras);
    const double want[4] = {0.5, 1, 1, 1};
    for (size_t t = 0; t < 4; t++)
        cr_assert_float_eq(x.cells[t], want[t], 0, "once: quarter %zu", t);
    destroy(&x);
}

Test(events, once_event_has_at_most_one_onset_with_the_right_frequency)
{
    world x;
    build_one(&x, "[event e]\nprobability = 0.3\nonce = true\nduration = constant(value=1)\n"
                  "severity = constant(value=0.5)\ntargets = a\n");
    const size_t n = 20000;
    double *v = losses(&x, n);
    size_t with_onset = 0;
    for (size_t i = 0; i < n; i++) {
        int onsets = 0;
        for (size_t t = 0; t < 4; t++)
            onsets += v[i * 4 + t] > 0;
        cr_assert_leq(onsets, 1, "sample %zu has %d onsets", i, onsets);
        with_onset += onsets;
    }
    /* P(an onset in 4 quarters) = 1 - 0.7^4; binomial standard error. */
    const double p = 1 - pow(0.7, 4), share = (double)with_onset / (double)n;
    const double tol = Z * sqrt(p * (1 - p) / (double)n);
    cr_assert(fabs(share - p) < tol, "onset in %g of paths, want %g +- %g", share, p, tol);
    free(v);
    destroy(&x);
}

Test(events, dated_event_starts_in_its_quarter_only)
{
    world x;
    build_one(&x, "[event e]\nstart = 2026Q2\nduration = constant(value=2)\n"
                  "severity = constant(value=0.25)\ntargets = a\n");
    cr_assert_eq(x.sc.events[0].once, 1, "a date implies once");
    cr_assert_float_eq(x.sc.events[0].probability, 1, 0, "a date without probability happens");
    const size_t n = 50;
    double *v = losses(&x, n);
    for (size_t i = 0; i < n; i++) {
        const double want[4] = {0, 0.25, 0.25, 0};
        for (size_t t = 0; t < 4; t++)
            cr_assert_float_eq(v[i * 4 + t], want[t], 0, "sample %zu quarter %zu", i, t);
    }
    free(v);
    destroy(&x);
}

Test(events, dated_event_with_a_probability)
{
    world x;
    build_one(&x, "[event e]\nstart = 2026Q3\nprobability = 0.4\nduration = constant(value=1)\n"
                  "severity = constant(value=1)\ntargets = a\n");
    const size_t n = 20000;
    double *v = losses(&x, n);
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t t = 0; t < 4; t++)
            if (t != 2)
                cr_assert_float_eq(v[i * 4 + t], 0, 0, "sample %zu: loss off its date", i);
        hits += v[i * 4 + 2] > 0;
    }
    const double p = 0.4, share = (double)hits / (double)n;
    const double tol = Z * sqrt(p * (1 - p) / (double)n);
    cr_assert(fabs(share - p) < tol, "onset in %g of paths, want %g +- %g", share, p, tol);
    free(v);
    destroy(&x);
}

Test(events, recovery_ramps_down_to_the_lasting_loss)
{
    /* Severity 0.6, half of it lasting, recovery over 2 quarters: the loss
     * is 0.6, then 0.3 + 0.3 (1 - 1/3) = 0.5 and 0.3 + 0.3 (1 - 2/3) = 0.4,
     * then 0.3 for good (held, and no second onset: once). */
    world x;
    build_one(&x, "[event e]\nprobability = 1\nonce = true\nduration = constant(value=1)\n"
                  "severity = constant(value=0.6)\nrecovery = constant(value=2)\n"
                  "lasting = constant(value=0.5)\ntargets = a\n");
    cp_model_simulate(x.m, x.w, 3, 1, x.cells, 1, x.extras);
    const double want[4] = {0.4, 0.5, 0.6, 0.7};
    for (size_t t = 0; t < 4; t++) {
        cr_assert_float_eq(x.cells[t], want[t], 1e-15, "output in quarter %zu", t);
        cr_assert_float_eq(x.extras[t], 1 - want[t], 1e-15, "loss in quarter %zu", t);
    }
    destroy(&x);
}

Test(events, lasting_loss_compounds_when_the_event_recurs)
{
    /* Recurring, duration 1, severity 0.5 of which all lasts: after each
     * quarter half of what was left is gone for good. */
    world x;
    build_one(&x, "[event e]\nprobability = 1\nduration = constant(value=1)\n"
                  "severity = constant(value=0.5)\nlasting = constant(value=1)\ntargets = a\n");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, x.extras);
    const double want[4] = {0.5, 0.25, 0.125, 0.0625};
    for (size_t t = 0; t < 4; t++)
        cr_assert_float_eq(x.cells[t], want[t], 1e-15, "quarter %zu", t);
    destroy(&x);
}

Test(events, lasting_probability_is_the_share_of_paths_with_a_lasting_loss)
{
    world x;
    build_one(&x, "[event e]\nprobability = 1\nonce = true\nduration = constant(value=1)\n"
                  "severity = constant(value=0.8)\nlasting = constant(value=0.5)\n"
                  "lasting_probability = 0.25\ntargets = a\n");
    const size_t n = 20000;
    double *v = losses(&x, n);
    size_t lasting = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_float_eq(v[i * 4], 0.8, 0);
        const double after = v[i * 4 + 3];
        cr_assert(after == 0 || fabs(after - 0.4) < 1e-15, "sample %zu keeps %g", i, after);
        lasting += after > 0;
    }
    const double p = 0.25, share = (double)lasting / (double)n;
    const double tol = Z * sqrt(p * (1 - p) / (double)n);
    cr_assert(fabs(share - p) < tol, "lasting in %g of paths, want %g +- %g", share, p, tol);
    free(v);
    destroy(&x);
}

Test(events, adding_recovery_to_one_event_leaves_another_unchanged)
{
    /* Common random numbers: the keys an event does not give draw nothing,
     * and each event has its own stream. */
    static const char other[] = "[event f]\nprobability = 0.3\nduration = uniform(min=1, max=3)\n"
                                "severity = uniform(min=0, max=1)\ntargets = a\n";
    char with[1024], without[1024];
    snprintf(without, sizeof without,
             "[event e]\nprobability = 0.2\nduration = constant(value=1)\n"
             "severity = constant(value=0.5)\ntargets = a\n%s",
             other);
    snprintf(with, sizeof with,
             "[event e]\nprobability = 0.2\nduration = constant(value=1)\n"
             "severity = constant(value=0.5)\nrecovery = constant(value=3)\n"
             "lasting = uniform(min=0, max=1)\ntargets = a\n%s",
             other);
    world x, y;
    build_one(&x, without);
    build_one(&y, with);
    const size_t n = 500;
    double *a = losses(&x, n), *b = losses(&y, n);
    for (size_t i = 0; i < 4 * n; i++)
        cr_assert_float_eq(a[i], b[i], 0, "event f differs at %zu", i);
    free(a);
    free(b);
    destroy(&x);
    destroy(&y);
}

Test(events, trend_spread_grows_in_proportion_to_time)
{
    world x;
    build_one(&x, "[shock g]\ndistribution = lognormal(mu=0.1, sigma=0.2)\ntime = trend\n"
                  "targets = a\n");
    const size_t n = 20000;
    double *logs[4];
    for (size_t t = 0; t < 4; t++)
        logs[t] = malloc(n * sizeof **logs);
    for (size_t i = 0; i < n; i++) {
        cp_model_simulate(x.m, x.w, i, 1, x.cells, 1, x.extras);
        cr_assert_float_eq(x.extras[0], 1, 0, "the first quarter is the series");
        for (size_t t = 0; t < 4; t++) {
            cr_assert_float_eq(x.cells[t], x.extras[t], 1e-15, "the shock multiplies a");
            logs[t][i] = log(x.extras[t]);
        }
        /* One draw per path: log x_t / log x_1 = t. */
        for (size_t t = 2; t < 4; t++)
            cr_assert_float_eq(logs[t][i], (double)t * logs[1][i], 1e-12);
    }
    /* log x_t is normal with mean (t/4) mu and sd (t/4) sigma: standard
     * errors sd / sqrt(N) of the mean and sd / sqrt(2N) of the sd. */
    for (size_t t = 1; t < 4; t++) {
        const double k = (double)t / 4, sd = 0.2 * k;
        const double m = gsl_stats_mean(logs[t], 1, n), s = gsl_stats_sd(logs[t], 1, n);
        cr_assert(fabs(m - 0.1 * k) < Z * sd / sqrt((double)n), "mean %g in quarter %zu", m, t);
        cr_assert(fabs(s - sd) < Z * sd / sqrt(2.0 * n), "sd %g in quarter %zu", s, t);
    }
    for (size_t t = 0; t < 4; t++)
        free(logs[t]);
    destroy(&x);
}

Test(events, trend_correlates_with_other_shocks_through_its_first_draw)
{
    /* The copula applies to the trend's one draw: with correlation 0.8 the
     * log of the trend at any quarter and a once-drawn normal correlate at
     * 0.8 (standard error of r about (1 - r^2) / sqrt(N)). */
    world x;
    build(&x, "a,supply,W,u,,x\nb,supply,W,u,,x\n", "", "", TW_FLAT("a", 1) TW_FLAT("b", 1),
          "a,W,a,output,u,,x\nb,W,b,output,u,,x\n",
          "[shock g]\ndistribution = lognormal(mu=0, sigma=0.2)\ntime = trend\ntargets = a\n"
          "[shock h]\ndistribution = normal(mean=5, sd=1)\ntime = once\ntargets = b\n"
          "[correlation]\ng, h = 0.8\n");
    const size_t n = 20000;
    double *g = malloc(n * sizeof *g), *h = malloc(n * sizeof *h);
    for (size_t i = 0; i < n; i++) {
        cp_model_simulate(x.m, x.w, i, 1, x.cells, 1, x.extras);
        g[i] = log(x.extras[3]);
        h[i] = x.extras[4 + 3];
    }
    const double r = gsl_stats_correlation(g, 1, h, 1, n);
    cr_assert(fabs(r - 0.8) < Z * (1 - 0.64) / sqrt((double)n), "correlation %g", r);
    free(g);
    free(h);
    destroy(&x);
}

Test(events, a_shock_on_initial_fleet_scales_the_starting_fleet)
{
    /* A deploy node with a starting fleet of 100 (lifetime long enough
     * that survival over a quarter is near 1) and no power for more: the
     * fleet is the starting fleet times the shock's first-quarter value. */
    static const char nodes[] =
        "u,supply,W,acc,,x\np,supply,W,MW,,x\nf,supply,W,FLOP/s,,x\nw,supply,W,W,,x\n"
        "d,deploy,W,acc,,x\n";
    static const char edges[] = "u,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n";
    static const char params[] = "d,pue,1,,x,,\nd,lifetime,400,,x,,\nd,initial_fleet,100,,x,,\n"
                                 "d,initial_flops,1,,x,,\nd,initial_watts,1000,,x,,\n";
    static const char series[] = TW_FLAT("u", 0) TW_FLAT("p", 1) TW_FLAT(
        "f",
        1) "w,2026Q1,1000,u,x,,\nw,2026Q2,1000,u,x,,\nw,2026Q3,1000,u,x,,\nw,2026Q4,1000,u,x,,\n";
    static const char metrics[] = "fleet,W,d,output,acc,,x\n";
    world x, y;
    build(&x, nodes, edges, params, series, metrics, "");
    build(&y, nodes, edges, params, series, metrics,
          "[shock s]\ndistribution = lognormal(mu=0, sigma=0.3)\ntime = quarterly\n"
          "targets = d.initial_fleet\n");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, x.extras);
    for (uint64_t i = 0; i < 20; i++) {
        cp_model_simulate(y.m, y.w, i, 1, y.cells, 1, y.extras);
        const double first = y.extras[0]; /* the shock in quarter 0 */
        for (size_t t = 0; t < 4; t++)
            cr_assert_float_eq(y.cells[t], first * x.cells[t], 1e-12 * x.cells[t],
                               "sample %llu quarter %zu: the first quarter's draw scales it",
                               (unsigned long long)i, t);
    }
    destroy(&x);
    destroy(&y);
}

Test(events, a_target_exposed_in_part_takes_that_share_of_the_loss)
{
    /* Severity 0.8: a fully exposed target keeps 0.2, one exposed at 0.25
     * keeps 1 - 0.25 x 0.8 = 0.8. */
    world x;
    build(&x, "a,supply,W,u,,x\nb,supply,W,u,,x\n", "", "", TW_FLAT("a", 1) TW_FLAT("b", 1),
          "a,W,a,output,u,,x\nb,W,b,output,u,,x\n",
          "[event e]\nstart = 2026Q2\nduration = constant(value=1)\n"
          "severity = constant(value=0.8)\ntargets = a, b\nexposure = b:0.25\n");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, x.extras);
    const double a[4] = {1, 0.2, 1, 1}, b[4] = {1, 0.8, 1, 1};
    for (size_t t = 0; t < 4; t++) {
        cr_assert_float_eq(x.cells[t], a[t], 1e-15, "a in quarter %zu", t);
        cr_assert_float_eq(x.cells[4 + t], b[t], 1e-15, "b in quarter %zu", t);
    }
    destroy(&x);
}

Test(events, shocks_on_constants_and_markets_are_refused)
{
    /* order_horizon, inventory_target and import_limit of a deploy node and
     * binds_below of an elastic node are read as constants; a market's
     * output only reports what was shipped: a shock on any of them would
     * change nothing, so it is refused, naming the target. */
    static const char nodes[] =
        "u,supply,W,acc,,x\np,supply,W,MW,,x\nf,supply,W,FLOP/s,,x\nw,supply,W,W,,x\n"
        "m,market,W,acc,,x\nd,deploy,W,acc,,x\n";
    static const char edges[] = "u,m,in,,,x,\nm,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\n"
                                "w,d,watts,,,x,\n";
    static const char params[] = "d,pue,1,,x,,\nd,lifetime,40,,x,,\n";
    static const char series[] = TW_FLAT("u", 1) TW_FLAT("p", 1)
        TW_FLAT("f", 1) "w,2026Q1,1,u,x,,\nw,2026Q2,1,u,x,,\nw,2026Q3,1,u,x,,\nw,2026Q4,1,u,x,,\n";
    const char *targets[] = {"d.import_limit", "d.order_horizon", "d.inventory_target", "m"};
    const char *said[] = {"'d.import_limit' is read once", "'d.order_horizon' is read once",
                          "'d.inventory_target' is read once", "'m' is a market"};
    for (size_t k = 0; k < 4; k++) {
        char shocks[256];
        snprintf(shocks, sizeof shocks,
                 "[shock s]\ndistribution = constant(value=0)\ntime = once\ntargets = %s\n",
                 targets[k]);
        write_inputs(nodes, edges, params, series, "fleet,W,d,output,acc,,x\n");
        char buf[512];
        snprintf(buf, sizeof buf, "[scenario]\ninputs = .\nstart = 2026Q1\nend = 2026Q4\n%s",
                 shocks);
        tf_write(dir, "s.ini", buf);
        char path[4096];
        snprintf(path, sizeof path, "%s/s.ini", dir);
        cp_scenario sc;
        cp_graph g;
        cp_model *m = NULL;
        cp_err err;
        cr_assert_eq(cp_scenario_load(path, &sc, &err), CP_OK, "%s", err.msg);
        cr_assert_eq(cp_graph_load(sc.inputs, sc.start, 4, &g, &err), CP_OK, "%s", err.msg);
        cr_assert_neq(cp_model_build(&sc, &g, &m, &err), CP_OK, "a shock on %s", targets[k]);
        TF_CONTAINS(err.msg, "s.ini:8", said[k]);
        cp_graph_free(&g);
        cp_scenario_free(&sc);
    }
}
