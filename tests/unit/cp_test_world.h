/* cp_test_world.h -- a scenario and graph of four quarters (2026Q1-2026Q4)
 * written from CSV rows into a temporary directory, bound into a model,
 * for tests whose paths are worked out by hand.  Header-only (static
 * functions), for test_model.c and test_fleet.c. */
#ifndef CP_TEST_WORLD_H
#define CP_TEST_WORLD_H

#include "cp_test_files.h"

#include "cp_graph.h"
#include "cp_model.h"
#include "cp_scenario.h"

#include <math.h>

#include <gsl/gsl_errno.h>

static char *dir;

typedef struct world {
    cp_scenario sc;
    cp_graph g;
    cp_model *m;
    cp_workspace *w;
    double *cells, *extras;
} world;

static void setup(void)
{
    gsl_set_error_handler_off();
    dir = tf_mkdtemp();
}

static void teardown(void)
{
    tf_rm_rf(dir);
}

/* Series rows of node n (a string) for the four quarters, values a, b, c
 * and d written as they stand (numbers); TW_FLAT: one value in all four. */
#define TW_SERIES(n, a, b, c, d)                                                                   \
    n ",2026Q1," #a ",u,x,,\n" n ",2026Q2," #b ",u,x,,\n" n ",2026Q3," #c ",u,x,,\n" n             \
      ",2026Q4," #d ",u,x,,\n"
#define TW_FLAT(n, v) TW_SERIES(n, v, v, v, v)

static const char series_hdr[] = "node,period,value,unit,source,source_year,note\n";
static const char *metrics_hdr = "metric,region,node,field,unit,description,source\n";

/* Four quarters, 2026Q1-2026Q4, of the given rows.  nodes are rows of
 * node,kind,region,unit,description,source unless they start with a
 * header of their own (to add a constraint column). */
/* The five input files, each its header and the given rows. */
static void write_inputs(const char *nodes, const char *edges, const char *params,
                         const char *series, const char *metrics)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "%s%s",
             strncmp(nodes, "node,", 5) ? "node,kind,region,unit,description,source\n" : "", nodes);
    tf_write(dir, "nodes.csv", buf);
    snprintf(buf, sizeof buf, "from,to,role,weight,unit,source,note\n%s", edges);
    tf_write(dir, "edges.csv", buf);
    snprintf(buf, sizeof buf, "node,param,value,unit,source,source_year,note\n%s", params);
    tf_write(dir, "params.csv", buf);
    snprintf(buf, sizeof buf, "%s%s", series_hdr, series);
    tf_write(dir, "series.csv", buf);
    snprintf(buf, sizeof buf, "%s%s", metrics_hdr, metrics);
    tf_write(dir, "metrics.csv", buf);
}

static void build(world *x, const char *nodes, const char *edges, const char *params,
                  const char *series, const char *metrics, const char *shocks)
{
    char buf[8192];
    write_inputs(nodes, edges, params, series, metrics);
    snprintf(buf, sizeof buf, "[scenario]\ninputs = .\nstart = 2026Q1\nend = 2026Q4\n%s", shocks);
    tf_write(dir, "s.ini", buf);
    char path[4096];
    snprintf(path, sizeof path, "%s/s.ini", dir);
    cp_err err;
    cr_assert_eq(cp_scenario_load(path, &x->sc, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_graph_load(x->sc.inputs, x->sc.start, 4, &x->g, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(cp_model_build(&x->sc, &x->g, &x->m, &err), CP_OK, "%s", err.msg);
    x->w = cp_workspace_alloc(x->m, 7);
    cr_assert_not_null(x->w);
    x->cells = calloc(cp_model_cells(x->m), sizeof(double));
    x->extras = calloc(cp_model_extras(x->m) + 1, sizeof(double));
}

static void destroy(world *x)
{
    free(x->cells);
    free(x->extras);
    cp_workspace_free(x->w);
    cp_model_free(x->m);
    cp_graph_free(&x->g);
    cp_scenario_free(&x->sc);
}

static double cell(const world *x, size_t metric, size_t t)
{
    return x->cells[metric * 4 + t];
}

static inline void expect_metric(const world *x, size_t metric, const double *want)
{
    for (size_t t = 0; t < 4; t++)
        cr_assert_float_eq(cell(x, metric, t), want[t], 1e-12 * (1 + fabs(want[t])),
                           "metric %zu quarter %zu: %.17g, want %.17g", metric, t,
                           cell(x, metric, t), want[t]);
}

#endif
