/* test_additions.c -- nodes and edges added by a scenario ([node NAME],
 * [edge FROM -> TO]): what they compute on a graph small enough to follow
 * by hand, how a child changes its base's additions, and every mistake
 * (an edge to nowhere, a node nothing reads, a name taken, a series or a
 * parameter missing, a cycle, a split over 1) named with the scenario's
 * file and line. */
#include "cp_test_files.h"

#include "cp_graph.h"
#include "cp_model.h"
#include "cp_scenario.h"

#include <math.h>

#include <gsl/gsl_errno.h>

static char *dir;

static void setup(void)
{
    gsl_set_error_handler_off();
    dir = tf_mkdtemp();
    /* a = 1, 2, 3, 4; b = 10; c = a (convert); e = 0.25 b (split). */
    tf_write(dir, "nodes.csv",
             "node,kind,region,unit,description,source\n"
             "a,supply,W,u,,x\n"  /* line 2 */
             "b,supply,W,u,,x\n"  /* 3 */
             "c,convert,W,u,,x\n" /* 4 */
             "e,split,W,u,,x\n"); /* 5 */
    tf_write(dir, "edges.csv",
             "from,to,role,weight,unit,source,note\n"
             "a,c,in,,,x,\n"   /* line 2 */
             "b,e,in,,,x,\n"); /* 3 */
    tf_write(dir, "params.csv",
             "node,param,value,unit,source,source_year,note\ne,share,0.25,,x,,\n");
    tf_write(dir, "series.csv",
             "node,period,value,unit,source,source_year,note\n"
             "a,2026Q1,1,u,x,,\na,2026Q2,2,u,x,,\na,2026Q3,3,u,x,,\na,2026Q4,4,u,x,,\n"
             "b,2026Q1,10,u,x,,\nb,2026Q2,10,u,x,,\nb,2026Q3,10,u,x,,\nb,2026Q4,10,u,x,,\n");
    tf_write(dir, "metrics.csv",
             "metric,region,node,field,unit,description,source\n"
             "c,W,c,output,u,,x\ne,W,e,output,u,,x\n");
}

static void teardown(void)
{
    tf_rm_rf(dir);
}

TestSuite(additions, .init = setup, .fini = teardown);

/* The scenario header is 5 lines, so the body given starts on line 6. */
static void write_scenario(const char *name, const char *body)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "[scenario]\ninputs = .\nstart = 2026Q1\nend = 2026Q4\n\n%s", body);
    tf_write(dir, name, buf);
}

static int load(const char *name, cp_scenario *sc, cp_graph *g, cp_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = cp_scenario_load(path, sc, err);
    if (rc)
        return rc;
    rc = cp_graph_load_with(sc->inputs, sc->start, sc->end - sc->start + 1, sc->overrides,
                            sc->n_overrides, g, err);
    if (rc)
        cp_scenario_free(sc);
    return rc;
}

/* Loads body as a scenario and returns the c and e metrics of sample 0. */
static void run(const char *body, double c[4], double e[4])
{
    write_scenario("s.ini", body);
    cp_scenario sc;
    cp_graph g;
    cp_err err;
    cr_assert_eq(load("s.ini", &sc, &g, &err), CP_OK, "%s", err.msg);
    cp_model *m;
    cr_assert_eq(cp_model_build(&sc, &g, &m, &err), CP_OK, "%s", err.msg);
    cp_workspace *w = cp_workspace_alloc(m, 1);
    cr_assert_not_null(w);
    double cells[8];
    cr_assert_eq(cp_model_cells(m), 8);
    cp_model_simulate(m, w, 0, 1, cells, 1, NULL);
    for (int t = 0; t < 4; t++) {
        c[t] = cells[t];
        e[t] = cells[4 + t];
    }
    cp_workspace_free(w);
    cp_model_free(m);
    cp_graph_free(&g);
    cp_scenario_free(&sc);
}

static void expect4(const double *got, const double *want, const char *what)
{
    for (int t = 0; t < 4; t++)
        cr_assert_float_eq(got[t], want[t], 1e-12 * (1 + fabs(want[t])),
                           "%s quarter %d: %.17g, want %.17g", what, t, got[t], want[t]);
}

/* A plant: capacity p (0, 1, 2, 3) built with a lead time of one quarter
 * (q = 0, 0, 1, 2) feeding c alongside a. */
static const char plant[] = "[node p]\n"      /* 6 */
                            "kind = supply\n" /* 7 */
                            "region = W\n"    /* 8 */
                            "unit = u\n"      /* 9 */
                            "[series p]\n"    /* 10 */
                            "ramp = 2026Q1:0, 2026Q4:3\n"
                            "[node q]\n" /* 12 */
                            "kind = delay\n"
                            "region = W\n"
                            "unit = u\n"
                            "[param q]\n" /* 16 */
                            "lead = 1\n"
                            "history = 0\n"
                            "[edge p -> q]\n" /* 19 */
                            "role = in\n"
                            "[edge q -> c]\n" /* 21 */
                            "role = in\n"
                            "weight = 2\n"; /* 23 */

Test(additions, added_nodes_and_edges_are_evaluated)
{
    double c[4], e[4];
    run("", c, e);
    expect4(c, (double[]){1, 2, 3, 4}, "c without the plant");
    run(plant, c, e);
    expect4(c, (double[]){1, 2, 3 + 2 * 1, 4 + 2 * 2}, "c = a + 2 q");
    expect4(e, (double[]){2.5, 2.5, 2.5, 2.5}, "e untouched");
}

Test(additions, a_shock_on_an_added_lead_time)
{
    char body[4096];
    snprintf(body, sizeof body,
             "%s[shock overrun]\ndistribution = constant(value=2)\ntime = once\n"
             "targets = q.lead\n",
             plant);
    double c[4], e[4];
    run(body, c, e);
    expect4(c, (double[]){1, 2, 3, 4 + 2 * 1}, "c with a lead of 2 quarters");
}

Test(additions, a_child_changes_its_bases_additions)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "[scenario]\ninputs = .\nstart = 2026Q1\nend = 2026Q4\n\n%s", plant);
    tf_write(dir, "base.ini", buf);
    tf_write(dir, "child.ini",
             "[scenario]\nbase = base.ini\n"
             "[node p]\nunit = v\n" /* keys given replace the base's */
             "[edge q -> c]\nweight = 3\n"
             "[node r]\nkind = convert\nregion = W\nunit = u\n"
             "[edge a -> r]\nrole = in\n[edge r -> e]\nrole = in\n");
    cp_scenario sc;
    cp_graph g;
    cp_err err;
    cr_assert_eq(load("child.ini", &sc, &g, &err), CP_EINVAL, "r adds a second input to split e");
    TF_CONTAINS(err.msg, "child.ini:13: [edge r -> e]", "needs exactly 1 'in' input(s), has 2");
    tf_write(dir, "child.ini",
             "[scenario]\nbase = base.ini\n"
             "[node p]\nunit = v\n"
             "[edge q -> c]\nweight = 3\n");
    cr_assert_eq(load("child.ini", &sc, &g, &err), CP_OK, "%s", err.msg);
    const int p = cp_graph_find(&g, "p");
    cr_assert_geq(p, 0);
    cr_assert_str_eq(g.nodes[p].unit, "v");
    cr_assert_eq(g.nodes[p].kind, CP_NODE_SUPPLY, "the base's kind is kept");
    size_t edges_into_c = 0;
    for (size_t k = 0; k < g.n_edges; k++)
        if (g.edges[k].to == cp_graph_find(&g, "c")) {
            edges_into_c++;
            if (g.edges[k].from == cp_graph_find(&g, "q"))
                cr_assert_float_eq(g.edges[k].weight, 3, 0);
        }
    cr_assert_eq(edges_into_c, 2, "a child's section changes the edge, it does not add one");
    cp_graph_free(&g);
    cp_scenario_free(&sc);
}

/* body must fail to load, with each needle in the message. */
static void expect_error(const char *body, const char *const *needles)
{
    write_scenario("bad.ini", body);
    cp_scenario sc;
    cp_graph g;
    cp_err err;
    cr_assert_neq(load("bad.ini", &sc, &g, &err), CP_OK, "expected an error for:\n%s", body);
    tf_assert_contains(err.msg, needles);
}

#define EXPECT_ERROR(body, ...)                                                                    \
    do {                                                                                           \
        const char *const needles_[] = {__VA_ARGS__, NULL};                                        \
        expect_error((body), needles_);                                                            \
    } while (0)

static const char node_p[] = "[node p]\nkind = convert\nregion = W\nunit = u\n"; /* 6-9 */

Test(additions, an_edge_to_a_node_that_does_not_exist)
{
    char body[1024];
    snprintf(body, sizeof body, "%s[edge a -> p]\nrole = in\n[edge p -> nowhere]\nrole = in\n",
             node_p);
    EXPECT_ERROR(body, "bad.ini:12: [edge p -> nowhere]", "unknown node 'nowhere'",
                 "nor added by a [node] section");
}

Test(additions, a_node_that_nothing_reads)
{
    char body[1024];
    snprintf(body, sizeof body, "%s[edge a -> p]\nrole = in\n", node_p);
    EXPECT_ERROR(body, "bad.ini:6: [node p]", "nothing reads this node");
}

Test(additions, a_name_already_in_nodes_csv)
{
    EXPECT_ERROR("[node b]\nkind = supply\nregion = W\nunit = u\n", "bad.ini:6: [node b]",
                 "already exists", "nodes.csv line 3");
}

Test(additions, an_added_supply_needs_a_whole_series)
{
    const char *nodes = "[node s]\nkind = supply\nregion = W\nunit = u\n" /* 6-9 */
                        "[edge s -> c]\nrole = in\n";                     /* 10-11 */
    EXPECT_ERROR(nodes, "bad.ini:6: [node s]", "no value for 2026Q1", "[series s]");
    char body[1024];
    snprintf(body, sizeof body, "%s[series s]\nramp = 2026Q2:1, 2026Q4:1\n", nodes);
    EXPECT_ERROR(body, "bad.ini:6: [node s]", "no value for 2026Q1");
}

Test(additions, an_added_node_needs_its_required_parameters)
{
    EXPECT_ERROR("[node s]\nkind = split\nregion = W\nunit = u\n[edge a -> s]\nrole = in\n"
                 "[edge s -> c]\nrole = in\n",
                 "bad.ini:6: [node s]", "split node needs parameter 'share'", "[param s]");
}

Test(additions, section_mistakes_name_the_line)
{
    EXPECT_ERROR("[node s]\nregion = W\nunit = u\n", "bad.ini:6: [node s]: key 'kind' is required");
    EXPECT_ERROR("[node s]\nkind = stok\n",
                 "bad.ini:7: [node s]: key 'kind': unknown node kind 'stok'");
    EXPECT_ERROR("[node s]\nkind = supply\ncolour = red\n",
                 "bad.ini:8: [node s]: unknown key 'colour'");
    EXPECT_ERROR("[node s.x]\nkind = supply\n", "bad.ini:6: [node s.x]", "not a valid node name");
    EXPECT_ERROR("[edge a c]\nrole = in\n", "bad.ini:6: [edge a c]", "expected [edge FROM -> TO]");
    EXPECT_ERROR("[edge a -> c]\nweight = 2\n", "bad.ini:6: [edge a -> c]: key 'role' is required");
    EXPECT_ERROR("[edge a -> c]\nrole = input\n",
                 "bad.ini:7: [edge a -> c]: key 'role': unknown role 'input'");
    EXPECT_ERROR("[edge b -> c]\nrole = in\nweight = 0\n",
                 "bad.ini:8: [edge b -> c]: key 'weight'");
    EXPECT_ERROR("[node s]\nkind = supply\n[node s]\nunit = u\n",
                 "bad.ini:8: [node s] appears twice (first on line 6)");
}

Test(additions, edges_that_break_the_graphs_rules)
{
    /* A role the node does not take. */
    EXPECT_ERROR("[edge b -> a]\nrole = in\n", "bad.ini:6: [edge b -> a]",
                 "supply node 'a' takes no 'in' input");
    /* An edge edges.csv already has. */
    EXPECT_ERROR("[edge a -> c]\nrole = in\n", "bad.ini:6: [edge a -> c]", "duplicate edge",
                 "edges.csv line 2");
    /* A cycle closed by the scenario: c -> r -> c. */
    char body[1024];
    snprintf(body, sizeof body,
             "[node r]\nkind = convert\nregion = W\nunit = u\n"
             "[edge c -> r]\nrole = in\n[edge r -> c]\nrole = in\n");
    EXPECT_ERROR(body, "bad.ini:1", "[edge", "the graph has a cycle: c -> r -> c");
    /* Split shares over 1 because of the scenario's split. */
    EXPECT_ERROR("[node e2]\nkind = split\nregion = W\nunit = u\n[param e2]\nshare = 0.8\n"
                 "[edge b -> e2]\nrole = in\n",
                 "bad.ini:", "the split nodes fed by 'b' have shares that add up to 1.05");
}

Test(additions, a_share_override_over_one_names_the_scenario_line)
{
    EXPECT_ERROR("[node e2]\nkind = split\nregion = W\nunit = u\n[edge b -> e2]\nrole = in\n"
                 "[edge e2 -> c]\nrole = in\n[param e2]\nshare = 0.5\n[param e]\nshare = 0.6\n",
                 "bad.ini:17: the split nodes fed by 'b' have shares that add up to 1.1");
}
