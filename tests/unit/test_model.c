/* test_model.c -- propagation through small graphs whose paths can be
 * worked out by hand, and the random structure of shocks and events
 * (determinism, copula correlation, persistence, event frequency).
 * Statistical tolerances are z = 5 standard errors (false-failure
 * probability below 1e-6 per check) of the estimator named at each test. */
#include "cp_test_world.h"

#include <gsl/gsl_statistics_double.h>

#define Z 5.0

TestSuite(model, .init = setup, .fini = teardown);

static const char series_ab[] = "a,2026Q1,1,u,x,,\na,2026Q2,2,u,x,,\na,2026Q3,3,u,x,,\n"
                                "a,2026Q4,4,u,x,,\nb,2026Q1,10,u,x,,\nb,2026Q2,10,u,x,,\n"
                                "b,2026Q3,10,u,x,,\nb,2026Q4,10,u,x,,\n";

Test(model, convert_assemble_split)
{
    world x;
    build(&x,
          "a,supply,W,u,,x\nb,supply,W,u,,x\nc,convert,W,u,,x\nd,assemble,W,u,,x\n"
          "e,split,W,u,,x\nf,convert,W,u,,x\n",
          "a,c,in,3,,x,\na,d,in,1,,x,\nb,d,in,4,,x,\nb,e,in,,,x,\na,f,in,,,x,\nb,f,in,,,x,\n"
          "a,f,scale,,,x,\n",
          "c,factor,2,,x,,\ne,share,0.25,,x,,\n", series_ab,
          "c,W,c,output,u,,x\nd,W,d,output,u,,x\ne,W,e,output,u,,x\nf,W,f,output,u,,x\n", "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){6, 12, 18, 24});      /* 2 * 3a */
    expect_metric(&x, 1, (double[]){1, 2, 2.5, 2.5});     /* min(a, b/4) */
    expect_metric(&x, 2, (double[]){2.5, 2.5, 2.5, 2.5}); /* b/4 */
    expect_metric(&x, 3, (double[]){11, 24, 39, 56});     /* (a + b) * a */
    destroy(&x);
}

Test(model, metric_terms_are_scaled_and_summed)
{
    world x;
    metrics_hdr = "metric,region,node,field,unit,description,source,scale\n";
    build(&x, "a,supply,W,u,,x\nb,supply,W,u,,x\n", "", "", series_ab,
          "m,W,a,output,u,,x,1000\nm,W,b,output,u,,x,0.5\nn,W,a,output,u,,x,\n", "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){1005, 2005, 3005, 4005}); /* 1000 a + b / 2 */
    expect_metric(&x, 1, (double[]){1, 2, 3, 4});
    destroy(&x);
}

/* A ratio (metrics.csv's per) divides its sum by the divisor's, sample by
 * sample, whichever of the two comes first in the file; 0 where the
 * divisor is not above 0.  Series: a = 1, 2, 3, 4; b = 10; z = 0, 2, 0, 5. */
Test(model, ratio_metric_divides_by_its_divisor_per_sample)
{
    world x;
    metrics_hdr = "metric,region,node,field,unit,description,source,scale,per\n";
    build(&x, "a,supply,W,u,,x\nb,supply,W,u,,x\nz,supply,W,u,,x\n", "", "",
          TW_SERIES("a", 1, 2, 3, 4) TW_FLAT("b", 10) TW_SERIES("z", 0, 2, 0, 5),
          "r,W,b,output,u,,x,3,s\nr,W,a,output,u,,x,,s\n" /* (3b + a) / (a + b) */
          "s,W,a,output,u,,x,,\ns,W,b,output,u,,x,,\n"
          "q,W,a,output,u,,x,,zz\nzz,W,z,output,u,,x,,\n", /* a / z, 0 where z is 0 */
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){31.0 / 11, 32.0 / 12, 33.0 / 13, 34.0 / 14});
    expect_metric(&x, 1, (double[]){11, 12, 13, 14});
    expect_metric(&x, 2, (double[]){0, 1, 0, 0.8});
    expect_metric(&x, 3, (double[]){0, 2, 0, 5});
    destroy(&x);
}

/* A cumulative metric (metrics.csv's cumulative 1) is the running sum of
 * its scaled terms over the quarters so far; a ratio may divide by one;
 * a second path (a new block) starts its sums from 0 again.  Series:
 * a = 1, 2, 3, 4; b = 10. */
Test(model, cumulative_metric_is_a_running_sum_from_the_first_quarter)
{
    world x;
    metrics_hdr = "metric,region,node,field,unit,description,source,scale,per,cumulative\n";
    build(&x, "a,supply,W,u,,x\nb,supply,W,u,,x\n", "", "",
          TW_SERIES("a", 1, 2, 3, 4) TW_FLAT("b", 10),
          "r,W,a,output,u,,x,,c,\n"                            /* a / c */
          "c,W,a,output,u,,x,0.25,,1\nc,W,b,output,u,,x,,,1\n" /* running a / 4 + b */
          "a,W,a,output,u,,x,,,0\n",
          "");
    const double c[4] = {10.25, 20.75, 31.5, 42.5};
    for (int pass = 0; pass < 2; pass++) {
        cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
        expect_metric(&x, 0, (double[]){1 / c[0], 2 / c[1], 3 / c[2], 4 / c[3]});
        expect_metric(&x, 1, c);
        expect_metric(&x, 2, (double[]){1, 2, 3, 4});
    }
    destroy(&x);
}

Test(model, stock_retires_a_share_each_quarter)
{
    world x;
    build(&x, "a,supply,W,u,,x\nb,supply,W,u,,x\ns,stock,W,u,,x\n", "a,s,in,,,x,\n",
          "s,initial,10,,x,,\ns,lifetime,4,,x,,\n", series_ab, "s,W,s,output,u,,x\n", "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){8.5, 8.375, 9.28125, 10.9609375});
    destroy(&x);
}

Test(model, delay_with_fractional_lead_and_history)
{
    world x;
    build(&x, "a,supply,W,u,,x\nb,supply,W,u,,x\nd,delay,W,u,,x\ne,delay,W,u,,x\n",
          "a,d,in,,,x,\na,e,in,,,x,\n", "d,lead,1.5,,x,,\nd,history,0,,x,,\ne,lead,1.5,,x,,\n",
          series_ab, "d,W,d,output,u,,x\ne,W,e,output,u,,x\n", "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){0, 0.5, 1.5, 2.5});
    /* Without 'history', the input level before the start is the first
     * quarter's. */
    expect_metric(&x, 1, (double[]){1, 1, 1.5, 2.5});
    destroy(&x);
}

Test(model, elastic_price_response)
{
    world x;
    build(&x, "a,supply,W,u,,x\nb,supply,W,u,,x\np,supply,W,USD,,x\ne,elastic,W,u,,x\n",
          "a,e,flow,,,x,\np,e,price,,,x,\n", "e,reference,100,,x,,\ne,elasticity,0.5,,x,,\n",
          TW_SERIES("a", 1, 2, 3, 4) TW_FLAT("b", 1) TW_SERIES("p", 50, 100, 200, 100),
          "e,W,e,output,u,,x\n", "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    expect_metric(&x, 0, (double[]){sqrt(2.0), 2, 3 / sqrt(2.0), 4});
    destroy(&x);
}

/* A deploy node without a market: deliveries wait for power and are
 * installed oldest first; each cohort keeps its quarter's FLOP/s and
 * retires by age with the survival S(a) = exp(-a / 4) of a Weibull of
 * shape 1 and mean 4 quarters, counted from shipment.  Worked by hand
 * (s_a = S(a)):
 *   q0: 10 arrive; 0.01 MW fits 10 at 1 kW each: all installed.
 *   q1: cohort 0 draws 10 s1 kW; 10 (1 - s1) of cohort 1 fit; 10 s1 wait.
 *   q2: fleet 10 s2 + 10 (1 - s1) s1 = 10 s1; 0.03 MW fits 30 - 10 s1, more
 *       than the 10 s1^2 + 10 waiting: all installed.
 *   q3: cohorts 0, 1, 2 hold 10 age-0 units each: 10 (s3 + s2 + s1), and
 *       the 10 of cohort 3 fit. */
Test(model, deploy_limited_by_power_with_retirement)
{
    world x;
    build(&x,
          "u,supply,W,acc,,x\np,supply,W,MW,,x\nf,supply,W,FLOP/s,,x\nw,supply,W,W,,x\n"
          "d,deploy,W,acc,,x\n",
          "u,d,units,,,x,\np,d,power,,,x,\nf,d,flops,,,x,\nw,d,watts,,,x,\n",
          "d,pue,1,,x,,\nd,lifetime,4,,x,,\nd,failure_loss,0.1,,x,,\n",
          TW_FLAT("u", 10) TW_SERIES("p", 0.01, 0.01, 0.03, 0.03) TW_SERIES("f", 100, 100, 200, 200)
              TW_FLAT("w", 1000),
          "fleet,W,d,output,acc,,x\ncompute,W,d,compute,FLOP/s,,x\nwaiting,W,d,waiting,acc,,x\n"
          "new,W,d,deployed,acc,,x\npower,W,d,power_used,MW,,x\n",
          "");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, NULL);
    const double s1 = exp(-0.25), s2 = exp(-0.5), s3 = exp(-0.75);
    const double k1 = 10 * (1 - s1);
    const double fleet2 = 10 * s1 + 10 * s1 * s1 + 10, fleet3 = 10 * (s1 + s2 + s3) + 10;
    expect_metric(&x, 0, (double[]){10, 10, fleet2, fleet3});
    expect_metric(&x, 1,
                  (double[]){900, 900,
                             0.9 * (100 * 10 * s2 + 100 * (k1 * s1 + 10 * s1 * s1) + 2000),
                             0.9 * (100 * 10 * s3 + 100 * 10 * s2 + 200 * 10 * s1 + 2000)});
    expect_metric(&x, 2, (double[]){0, 10 * s1, 0, 0});
    expect_metric(&x, 3, (double[]){10, k1, 10 * s1 * s1 + 10, 10});
    expect_metric(&x, 4, (double[]){0.01, 0.01, fleet2 / 1000, fleet3 / 1000});
    destroy(&x);
}

static const char chain_nodes[] = "a,supply,W,u,,x\nb,supply,W,u,,x\nd,delay,W,u,,x\n";
static const char chain_edges[] = "a,d,in,,,x,\n";
static const char chain_params[] = "d,lead,0.75,,x,,\nd,history,0,,x,,\n";
static const char chain_metrics[] = "a,W,a,output,u,,x\nd,W,d,output,u,,x\n";

Test(model, shocks_multiply_outputs_and_parameters)
{
    world x;
    build(&x, chain_nodes, chain_edges, chain_params, series_ab, chain_metrics,
          "[shock twice]\ndistribution = constant(value=2)\ntime = once\ntargets = a, d.lead\n"
          "[shock half]\ndistribution = constant(value=0.5)\ntime = quarterly\ntargets = a\n");
    cp_model_simulate(x.m, x.w, 3, 1, x.cells, 1, x.extras);
    expect_metric(&x, 0, (double[]){1, 2, 3, 4}); /* a * 2 * 0.5 */
    /* lead 0.75 * 2 = 1.5 quarters, on the shocked input a */
    expect_metric(&x, 1, (double[]){0, 0.5, 1.5, 2.5});
    for (size_t t = 0; t < 4; t++) {
        cr_assert_float_eq(x.extras[t], 2.0, 0);
        cr_assert_float_eq(x.extras[4 + t], 0.5, 0);
    }
    destroy(&x);
}

Test(model, certain_event_removes_its_severity)
{
    world x;
    build(&x, chain_nodes, chain_edges, chain_params, series_ab, chain_metrics,
          "[event outage]\nprobability = 1\nduration = constant(value=1)\n"
          "severity = constant(value=0.25)\ntargets = a\n");
    cp_model_simulate(x.m, x.w, 0, 1, x.cells, 1, x.extras);
    expect_metric(&x, 0, (double[]){0.75, 1.5, 2.25, 3});
    for (size_t t = 0; t < 4; t++)
        cr_assert_float_eq(x.extras[t], 0.25, 0);
    destroy(&x);
}

Test(model, event_lasts_its_duration)
{
    world x;
    /* With probability 1 and a duration of 3, the event starts in quarter
     * 0, lasts quarters 0-2 and starts again in quarter 3. */
    build(&x, chain_nodes, chain_edges, chain_params, series_ab, chain_metrics,
          "[event e]\nprobability = 1\nduration = constant(value=2.2)\n"
          "severity = uniform(min=0.1, max=0.9)\ntargets = a\n");
    cp_model_simulate(x.m, x.w, 11, 1, x.cells, 1, x.extras);
    cr_assert_float_eq(x.extras[0], x.extras[1], 0, "same severity for the whole event");
    cr_assert_float_eq(x.extras[0], x.extras[2], 0);
    cr_assert(x.extras[0] >= 0.1 && x.extras[0] <= 0.9);
    cr_assert_float_eq(cell(&x, 0, 0), 1 - x.extras[0], 1e-15);
    destroy(&x);
}

static const char noisy_shocks[] =
    "[shock s1]\ndistribution = normal(mean=10, sd=1)\ntime = quarterly\ntargets = a\n"
    "[shock s2]\ndistribution = normal(mean=10, sd=1)\ntime = quarterly\ntargets = b\n"
    "[shock s3]\ndistribution = normal(mean=10, sd=1)\ntime = ar1\nrho = 0.7\ntargets = d\n"
    "[shock s4]\ndistribution = lognormal(mu=0, sigma=0.3)\ntime = once\ntargets = a\n"
    "[event e]\nprobability = 0.2\nduration = constant(value=1)\n"
    "severity = constant(value=0.5)\ntargets = b\n"
    "[correlation]\ns1, s2 = 0.6\n";

static void build_noisy(world *x, const char *shocks)
{
    build(x, chain_nodes, chain_edges, chain_params, series_ab, chain_metrics, shocks);
}

Test(model, a_sample_depends_only_on_seed_and_index)
{
    world x;
    build_noisy(&x, noisy_shocks);
    const size_t n = 200, width = cp_model_extras(x.m);
    double *fwd = calloc(n * width, sizeof(double));
    for (size_t i = 0; i < n; i++)
        cp_model_simulate(x.m, x.w, i, 1, x.cells, 1, fwd + i * width);
    /* A fresh workspace, visiting samples backwards ("another rank"). */
    cp_workspace *w2 = cp_workspace_alloc(x.m, 7);
    for (size_t i = n; i-- > 0;) {
        cp_model_simulate(x.m, w2, i, 1, x.cells, 1, x.extras);
        cr_assert_arr_eq(x.extras, fwd + i * width, width * sizeof(double), "sample %zu", i);
    }
    /* Another seed gives other draws. */
    cp_workspace *w3 = cp_workspace_alloc(x.m, 8);
    cp_model_simulate(x.m, w3, 0, 1, x.cells, 1, x.extras);
    cr_assert_neq(x.extras[0], fwd[0]);
    cp_workspace_free(w2);
    cp_workspace_free(w3);
    free(fwd);
    destroy(&x);
}

Test(model, samples_simulated_together_equal_samples_simulated_alone)
{
    world x;
    build_noisy(&x, noisy_shocks);
    const size_t n = 150, nc = cp_model_cells(x.m), ne = cp_model_extras(x.m);
    double *alone_c = calloc(n * nc, sizeof(double)), *alone_e = calloc(n * ne, sizeof(double));
    double *blk_c = calloc(n * nc, sizeof(double)), *blk_e = calloc(n * ne, sizeof(double));
    /* Alone, one sample at a time, each written as a column of width 1 ... */
    for (size_t i = 0; i < n; i++) {
        cp_model_simulate(x.m, x.w, 1000 + i, 1, x.cells, 1, alone_e + i * ne);
        for (size_t c = 0; c < nc; c++)
            alone_c[c * n + i] = x.cells[c];
    }
    /* ... and together, in uneven blocks into columns of width n. */
    const size_t sizes[] = {7, CP_MODEL_LANES, 1, 13, CP_MODEL_LANES, 2, 63};
    size_t done = 0;
    for (size_t k = 0; done < n; k = (k + 1) % 7) {
        size_t b = sizes[k] < n - done ? sizes[k] : n - done;
        cp_model_simulate(x.m, x.w, 1000 + done, b, blk_c + done, n, blk_e + done * ne);
        done += b;
    }
    cr_assert_arr_eq(blk_c, alone_c, n * nc * sizeof(double));
    cr_assert_arr_eq(blk_e, alone_e, n * ne * sizeof(double));
    free(alone_c);
    free(alone_e);
    free(blk_c);
    free(blk_e);
    destroy(&x);
}

/* cp_model_begin and a cp_model_step per quarter write what one
 * cp_model_simulate call does. */
Test(model, stepping_by_quarter_equals_simulate)
{
    world x;
    build_noisy(&x, noisy_shocks);
    const size_t n = 37, nc = cp_model_cells(x.m), ne = cp_model_extras(x.m);
    const size_t T = cp_model_periods(x.m), M = nc / T;
    /* One allocation: the whole call's cells and extras, the steps' and a
     * quarter's rows. */
    double *whole = calloc(2 * (nc + ne) * n + M * n, sizeof(double));
    cr_assert_not_null(whole);
    double *whole_e = whole + nc * n, *steps = whole_e + ne * n, *steps_e = steps + nc * n;
    double *q = steps_e + ne * n;
    cp_model_simulate(x.m, x.w, 500, n, whole, n, whole_e);
    cp_model_begin(x.m, x.w, 500, n);
    for (size_t t = 0; t < T; t++) {
        cp_model_step(x.m, x.w, q, n, steps_e);
        for (size_t i = 0; i < M; i++)
            memcpy(steps + (i * T + t) * n, q + i * n, n * sizeof(double));
    }
    cr_assert_arr_eq(steps, whole, nc * n * sizeof(double));
    cr_assert_arr_eq(steps_e, whole_e, n * ne * sizeof(double));
    free(whole);
    destroy(&x);
}

/* cp_model_draw makes the draws cp_model_step makes, quarter by quarter
 * (the benchmark's floor of the variates draws what a run draws), and an
 * event that a draw started goes on in the quarters the draw skipped. */
Test(model, drawing_alone_draws_what_stepping_draws)
{
    world x;
    build_noisy(&x, noisy_shocks);
    const size_t n = 37, ne = cp_model_extras(x.m), T = cp_model_periods(x.m);
    const size_t M = cp_model_cells(x.m) / T;
    double *stepped = calloc(2 * ne * n + M * n, sizeof(double));
    cr_assert_not_null(stepped);
    double *drawn = stepped + ne * n, *q = drawn + ne * n;
    cp_model_begin(x.m, x.w, 800, n);
    for (size_t t = 0; t < T; t++)
        cp_model_step(x.m, x.w, q, n, stepped);
    cp_model_begin(x.m, x.w, 800, n);
    for (size_t t = 0; t < T; t++)
        cp_model_draw(x.m, x.w, drawn);
    cr_assert_arr_eq(drawn, stepped, ne * n * sizeof(double));
    /* The event (probability 0.2 a quarter) started in some lane. */
    size_t started = 0;
    for (size_t l = 0; l < n; l++)
        for (size_t t = 0; t < T; t++)
            started += drawn[l * ne + (ne - T) + t] > 0;
    cr_assert_gt(started, 0);
    free(stepped);
    destroy(&x);
}

/* A pert shock's multiplier is its distribution at the shock's latent
 * normal score (the fast map of cp_ztable, within its tolerance of the
 * exact inverse: see test_ztable.c). */
Test(model, a_pert_shock_is_its_quantile_at_the_latent_score)
{
    world x;
    build_noisy(&x, "[shock p]\ndistribution = pert(min=0.2, mode=0.8, max=3)\ntime = once\n"
                    "targets = a\n");
    const size_t n = 200, ne = cp_model_extras(x.m), T = cp_model_periods(x.m);
    const size_t M = cp_model_cells(x.m) / T;
    double *extras = calloc(ne * n + M * n, sizeof(double)), *q = extras + ne * n;
    cr_assert_not_null(extras);
    cp_dist d;
    cp_err err;
    cp_err_clear(&err);
    cr_assert_eq(cp_dist_parse("pert(min=0.2, mode=0.8, max=3)", &d, &err), CP_OK);
    cp_model_begin(x.m, x.w, 0, n);
    cp_model_step(x.m, x.w, q, n, extras);
    const double *z = cp_model_latent(x.w);
    for (size_t l = 0; l < n; l++)
        cr_assert_leq(fabs(extras[l * ne] - cp_dist_from_gaussian(&d, z[l])), 4e-13 * 2.8,
                      "lane %zu", l);
    cp_dist_free(&d);
    free(extras);
    destroy(&x);
}

Test(model, adding_a_shock_leaves_the_others_draws_unchanged)
{
    world x, y;
    build_noisy(&x, noisy_shocks);
    double base[64];
    cp_model_simulate(x.m, x.w, 5, 1, x.cells, 1, base);
    destroy(&x);
    char more[4096];
    snprintf(more, sizeof more,
             "[shock new]\ndistribution = lognormal(mu=0, sigma=1)\ntime = quarterly\n"
             "targets = b\n%s[event other]\nprobability = 0.5\nduration = constant(value=1)\n"
             "severity = constant(value=0.1)\ntargets = a\n",
             noisy_shocks);
    build_noisy(&y, more);
    cp_model_simulate(y.m, y.w, 5, 1, y.cells, 1, y.extras);
    /* In y the new shock comes first: s1..s4 are shocks 1..4, e is event 0. */
    for (size_t j = 0; j < 4; j++)
        cr_assert_arr_eq(y.extras + (j + 1) * 4, base + j * 4, 4 * sizeof(double),
                         "shock s%zu changed", j + 1);
    cr_assert_arr_eq(y.extras + 5 * 4, base + 4 * 4, 4 * sizeof(double), "event e changed");
    destroy(&y);
}

/* Shock values of many samples: v[s][k], k = shock*4 + quarter. */
static double *draw_many(world *x, size_t n)
{
    const size_t width = cp_model_extras(x->m);
    double *v = malloc(n * width * sizeof *v);
    for (size_t i = 0; i < n; i++)
        cp_model_simulate(x->m, x->w, i, 1, x->cells, 1, v + i * width);
    return v;
}

Test(model, copula_correlates_shocks)
{
    world x;
    build_noisy(&x, noisy_shocks);
    const size_t n = 20000, width = cp_model_extras(x.m);
    double *v = draw_many(&x, n);
    /* s1 and s2 in every quarter: n * 4 independent pairs. */
    double *a = malloc(4 * n * sizeof *a), *b = malloc(4 * n * sizeof *b);
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < 4; t++) {
            a[i * 4 + t] = v[i * width + t];
            b[i * 4 + t] = v[i * width + 4 + t];
        }
    const double r = gsl_stats_correlation(a, 1, b, 1, 4 * n);
    /* Standard error of Pearson's r for bivariate normals: (1 - rho^2)/sqrt(N). */
    const double tol = Z * (1 - 0.36) / sqrt(4.0 * n);
    cr_assert(fabs(r - 0.6) < tol, "correlation %g, want 0.6 +- %g", r, tol);
    /* s1 against s3 (uncorrelated): standard error 1/sqrt(N). */
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < 4; t++)
            b[i * 4 + t] = v[i * width + 8 + t];
    const double r0 = gsl_stats_correlation(a, 1, b, 1, 4 * n);
    cr_assert(fabs(r0) < Z / sqrt(4.0 * n), "uncorrelated shocks have r = %g", r0);
    /* Marginal of s1: mean 10, sd 1; standard error of the mean 1/sqrt(N). */
    const double mean = gsl_stats_mean(a, 1, 4 * n);
    cr_assert(fabs(mean - 10) < Z / sqrt(4.0 * n), "mean %g", mean);
    free(a);
    free(b);
    free(v);
    destroy(&x);
}

Test(model, ar1_persistence_and_once)
{
    world x;
    build_noisy(&x, noisy_shocks);
    const size_t n = 20000, width = cp_model_extras(x.m);
    double *v = draw_many(&x, n);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    for (size_t t = 0; t + 1 < 4; t++) {
        for (size_t i = 0; i < n; i++) {
            a[i] = v[i * width + 8 + t];
            b[i] = v[i * width + 8 + t + 1];
        }
        const double r = gsl_stats_correlation(a, 1, b, 1, n);
        const double tol = Z * (1 - 0.49) / sqrt((double)n);
        cr_assert(fabs(r - 0.7) < tol, "lag-1 correlation %g in quarter %zu, want 0.7 +- %g", r, t,
                  tol);
        /* The AR(1) keeps the marginal: sd 1 in every quarter (standard
         * error of a normal sample's sd: sd / sqrt(2N)). */
        const double sd = gsl_stats_sd(b, 1, n);
        cr_assert(fabs(sd - 1) < Z / sqrt(2.0 * n), "sd %g in quarter %zu", sd, t + 1);
    }
    /* A shock drawn once holds its value; a quarterly one does not. */
    for (size_t i = 0; i < 100; i++) {
        for (size_t t = 1; t < 4; t++)
            cr_assert_float_eq(v[i * width + 12 + t], v[i * width + 12], 0);
        cr_assert_neq(v[i * width + 1], v[i * width]);
    }
    free(a);
    free(b);
    free(v);
    destroy(&x);
}

Test(model, event_frequency)
{
    world x;
    build_noisy(&x, noisy_shocks);
    const size_t n = 20000, width = cp_model_extras(x.m);
    double *v = draw_many(&x, n);
    size_t active = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < 4; t++)
            active += v[i * width + 16 + t] > 0;
    /* With a one-quarter duration each quarter is an independent Bernoulli(p). */
    const double p = 0.2, N = 4.0 * n, share = (double)active / N;
    const double tol = Z * sqrt(p * (1 - p) / N);
    cr_assert(fabs(share - p) < tol, "event active in %g of quarters, want %g +- %g", share, p,
              tol);
    free(v);
    destroy(&x);
}

Test(model, unknown_target_node_names_the_scenario_line)
{
    tf_write(dir, "x", "");
    world x;
    char buf[512];
    write_inputs(chain_nodes, chain_edges, chain_params, series_ab, chain_metrics);
    const char *cases[][2] = {
        {"targets = a, zz\n", "unknown node 'zz'"},
        {"targets = d.leed\n", "delay node 'd' has no parameter 'leed'"},
        {"targets = a, a\n", "'a' is listed twice"},
        /* Read before any shock: a shock could not change it. */
        {"targets = d.history\n", "'d.history' is read once, before any shock"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        snprintf(buf, sizeof buf,
                 "[scenario]\ninputs = .\nend = 2026Q4\n[shock s]\n"
                 "distribution = constant(value=1)\ntime = once\n%s",
                 cases[k][0]);
        tf_write(dir, "s.ini", buf);
        char path[4096];
        snprintf(path, sizeof path, "%s/s.ini", dir);
        cp_err err;
        cr_assert_eq(cp_scenario_load(path, &x.sc, &err), CP_OK, "%s", err.msg);
        cr_assert_eq(cp_graph_load(x.sc.inputs, x.sc.start, 4, &x.g, &err), CP_OK, "%s", err.msg);
        cr_assert_neq(cp_model_build(&x.sc, &x.g, &x.m, &err), CP_OK);
        TF_CONTAINS(err.msg, "s.ini:7", cases[k][1]);
        cp_graph_free(&x.g);
        cp_scenario_free(&x.sc);
    }
}
