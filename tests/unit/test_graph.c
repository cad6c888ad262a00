/* test_graph.c -- loading the graph: what is accepted, and every way a
 * user's input files can be wrong, with the message that must say where. */
#include "cp_test_files.h"

#include "cp_graph.h"
#include "cp_period.h"

static const char nodes_ok[] = "node,kind,region,unit,description,source\n"
                               "a,supply,World,u,,x\n"
                               "b,convert,World,u,,x\n"
                               "c,stock,World,u,,x\n";
static const char edges_ok[] = "from,to,role,weight,unit,source,note\n"
                               "a,b,in,2,,x,\n"
                               "b,c,in,,,x,\n";
static const char params_ok[] = "node,param,value,unit,source,source_year,note\n"
                                "b,factor,3,,x,2025,\n"
                                "c,initial,10,,x,2025,\n"
                                "c,lifetime,4,,x,2025,\n";
static const char series_ok[] = "node,period,value,unit,source,source_year,note\n"
                                "a,2026Q1,1,u,x,2025,\n"
                                "a,2026Q2,2,u,x,2025,\n"
                                "a,2026Q3,3,u,x,2025,\n"
                                "a,2026Q4,4,u,x,2025,\n"
                                "a,2027Q1,5,u,x,2025,beyond the horizon: ignored\n";
static const char metrics_ok[] = "metric,region,node,field,unit,description,source\n"
                                 "m,World,c,output,u,,x\n";

static char *dir;

static void write_all(const char *nodes, const char *edges, const char *params, const char *series,
                      const char *metrics)
{
    tf_write(dir, "nodes.csv", nodes);
    tf_write(dir, "edges.csv", edges);
    tf_write(dir, "params.csv", params);
    tf_write(dir, "series.csv", series);
    tf_write(dir, "metrics.csv", metrics);
}

static void setup(void)
{
    dir = tf_mkdtemp();
    write_all(nodes_ok, edges_ok, params_ok, series_ok, metrics_ok);
}

static void teardown(void)
{
    tf_rm_rf(dir);
    dir = NULL;
}

static int start(void)
{
    int q;
    cp_period_parse("2026Q1", &q, NULL);
    return q;
}

/* Loads and expects failure; returns the message for content checks. */
static const char *load_fails(cp_err *err)
{
    cp_graph g;
    int rc = cp_graph_load(dir, start(), 4, &g, err);
    cr_assert_neq(rc, CP_OK, "expected the load to fail");
    cr_assert_eq(g.n_nodes, 0, "a failed load leaves the graph empty");
    return err->msg;
}

/* Loads and expects success. */
static void load_ok(cp_graph *g)
{
    cp_err err;
    cr_assert_eq(cp_graph_load(dir, start(), 4, g, &err), CP_OK, "%s", err.msg);
}

TestSuite(graph, .init = setup, .fini = teardown);

Test(graph, loads_a_valid_graph)
{
    cp_graph g;
    cp_err err;
    cr_assert_eq(cp_graph_load(dir, start(), 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(g.n_nodes, 3);
    cr_assert_eq(g.n_edges, 2);
    cr_assert_eq(g.n_metrics, 1);
    int a = cp_graph_find(&g, "a"), b = cp_graph_find(&g, "b"), c = cp_graph_find(&g, "c");
    cr_assert(a >= 0 && b >= 0 && c >= 0);
    cr_assert_eq(cp_graph_find(&g, "zz"), -1);
    cr_assert_float_eq(g.nodes[b].param[0], 3.0, 0);
    cr_assert_float_eq(g.nodes[c].param[1], 4.0, 0);
    cr_assert_float_eq(g.nodes[a].series[3], 4.0, 0);
    /* a before b before c in the evaluation order */
    int pos[3];
    for (int k = 0; k < 3; k++)
        pos[g.order[k]] = k;
    cr_assert(pos[a] < pos[b] && pos[b] < pos[c]);
    cp_graph_free(&g);
}

Test(graph, defaults_apply_to_optional_parameters)
{
    write_all(nodes_ok, edges_ok,
              "node,param,value,unit,source,source_year,note\n"
              "c,initial,10,,x,2025,\nc,lifetime,4,,x,2025,\n",
              series_ok, metrics_ok);
    cp_graph g;
    cp_err err;
    cr_assert_eq(cp_graph_load(dir, start(), 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_float_eq(g.nodes[cp_graph_find(&g, "b")].param[0], 1.0, 0, "factor defaults to 1");
    cp_graph_free(&g);
}

Test(graph, reads_bom_and_crlf)
{
    tf_write(dir, "nodes.csv",
             "\xEF\xBB\xBFnode,kind,region,unit,description,source\r\n"
             "a,supply,World,u,,x\r\nb,convert,World,u,,x\r\nc,stock,World,u,,x\r\n");
    cp_graph g;
    cp_err err;
    cr_assert_eq(cp_graph_load(dir, start(), 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(g.n_nodes, 3);
    cp_graph_free(&g);
}

Test(graph, missing_file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    remove(path);
    cp_err err;
    load_fails(&err);
    cr_assert_eq(err.code, CP_EIO);
    TF_CONTAINS(err.msg, "metrics.csv");
}

Test(graph, unknown_kind)
{
    write_all("node,kind,region,unit,description,source\na,supply,World,u,,x\n"
              "b,convert,World,u,,x\nc,stok,World,u,,x\n",
              edges_ok, params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "nodes.csv:4", "field 'kind'", "unknown node kind 'stok'");
}

Test(graph, duplicate_node)
{
    write_all("node,kind,region,unit,description,source\na,supply,World,u,,x\n"
              "b,convert,World,u,,x\nc,stock,World,u,,x\nb,supply,World,u,,x\n",
              edges_ok, params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "nodes.csv:5", "field 'node'", "duplicate node 'b'", "line 3");
}

Test(graph, invalid_node_name)
{
    write_all("node,kind,region,unit,description,source\na,supply,World,u,,x\n"
              "b,convert,World,u,,x\nc.x,stock,World,u,,x\n",
              edges_ok, params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "nodes.csv:4", "'c.x' is not a valid node name");
}

Test(graph, missing_unit)
{
    write_all("node,kind,region,unit,description,source\na,supply,World,,,x\n"
              "b,convert,World,u,,x\nc,stock,World,u,,x\n",
              edges_ok, params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "nodes.csv:2", "field 'unit'");
}

Test(graph, wrong_column_count_names_file_and_line)
{
    write_all("node,kind,region,unit,description,source\na,supply,World,u,,x\n"
              "b,convert,World,u,x\nc,stock,World,u,,x\n",
              edges_ok, params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "nodes.csv:3", "expected 6 fields");
}

Test(graph, edge_to_unknown_node)
{
    write_all(nodes_ok, "from,to,role,weight,unit,source,note\na,b,in,2,,x,\nb,d,in,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:3", "field 'to'", "unknown node 'd'");
}

Test(graph, edge_from_unknown_node)
{
    write_all(nodes_ok, "from,to,role,weight,unit,source,note\nx,b,in,2,,x,\nb,c,in,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:2", "field 'from'", "unknown node 'x'");
}

Test(graph, unknown_role)
{
    write_all(nodes_ok, "from,to,role,weight,unit,source,note\na,b,input,2,,x,\nb,c,in,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:2", "field 'role'", "unknown role 'input'");
}

Test(graph, role_not_taken_by_kind)
{
    write_all(nodes_ok, "from,to,role,weight,unit,source,note\na,b,in,2,,x,\nb,c,price,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:3", "stock node 'c' takes no 'price' input");
}

/* A cap limits an assemble node's flow; on a sum it would mean nothing. */
Test(graph, cap_only_into_assemble)
{
    write_all(nodes_ok, "from,to,role,weight,unit,source,note\na,b,cap,2,,x,\nb,c,in,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:2", "convert node 'b' takes no 'cap' input");
}

/* An assemble node needs a flow to cap: caps alone are refused. */
Test(graph, assemble_needs_an_in_beside_its_caps)
{
    write_all("node,kind,region,unit,description,source\na,supply,World,u,,x\n"
              "b,assemble,World,u,,x\nc,stock,World,u,,x\n",
              "from,to,role,weight,unit,source,note\na,b,cap,,,x,\nb,c,in,,,x,\n",
              "node,param,value,unit,source,source_year,note\nc,initial,10,,x,2025,\n"
              "c,lifetime,4,,x,2025,\n",
              series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "assemble node 'b' needs at least 1 'in' input(s), has 0");
}

Test(graph, supply_takes_no_input)
{
    write_all(nodes_ok,
              "from,to,role,weight,unit,source,note\na,b,in,2,,x,\nb,c,in,,,x,\nc,a,in,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:4", "supply node 'a' takes no 'in' input");
}

Test(graph, missing_required_input)
{
    write_all(nodes_ok, "from,to,role,weight,unit,source,note\nb,c,in,,,x,\n", params_ok, series_ok,
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv", "convert node 'b' needs at least 1 'in'");
}

Test(graph, non_positive_weight)
{
    write_all(nodes_ok, "from,to,role,weight,unit,source,note\na,b,in,-2,,x,\nb,c,in,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:2", "field 'weight'", "must be > 0");
}

Test(graph, weight_not_a_number)
{
    write_all(nodes_ok, "from,to,role,weight,unit,source,note\na,b,in,two,,x,\nb,c,in,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:2", "field 'weight'", "'two' is not a number");
}

Test(graph, duplicate_edge)
{
    write_all(nodes_ok,
              "from,to,role,weight,unit,source,note\na,b,in,2,,x,\nb,c,in,,,x,\na,b,in,1,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:4", "duplicate edge", "line 2");
}

Test(graph, cycle_is_reported_with_its_path)
{
    write_all("node,kind,region,unit,description,source\na,supply,World,u,,x\n"
              "b,convert,World,u,,x\nc,stock,World,u,,x\nd,convert,World,u,,x\n",
              "from,to,role,weight,unit,source,note\na,b,in,,,x,\nb,c,in,,,x,\nc,d,in,,,x,\n"
              "d,b,in,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    const char *msg = load_fails(&err);
    TF_CONTAINS(msg, "edges.csv", "cycle", "b -> c -> d -> b");
    /* The line that closes it, and every edge's line (issue 14). */
    TF_CONTAINS(msg, "edges.csv:5: the graph has a cycle", "lines 3, 4, 5");
}

Test(graph, self_loop_is_a_cycle)
{
    write_all(nodes_ok,
              "from,to,role,weight,unit,source,note\na,b,in,,,x,\nb,c,in,,,x,\nc,c,in,,,x,\n",
              params_ok, series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "edges.csv:4", "cycle", "'c' feeds itself");
}

Test(graph, unknown_parameter)
{
    write_all(nodes_ok, edges_ok,
              "node,param,value,unit,source,source_year,note\nb,factr,3,,x,2025,\n"
              "c,initial,10,,x,2025,\nc,lifetime,4,,x,2025,\n",
              series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "params.csv:2", "field 'param'", "no parameter 'factr'");
}

Test(graph, negative_capacity_parameter)
{
    write_all(nodes_ok, edges_ok,
              "node,param,value,unit,source,source_year,note\nc,initial,-10,,x,2025,\n"
              "c,lifetime,4,,x,2025,\n",
              series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "params.csv:2", "field 'value'", "'initial'", ">= 0", "-10");
}

Test(graph, zero_lifetime)
{
    write_all(nodes_ok, edges_ok,
              "node,param,value,unit,source,source_year,note\nc,initial,10,,x,2025,\n"
              "c,lifetime,0,,x,2025,\n",
              series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "params.csv:3", "'lifetime'", "> 0");
}

Test(graph, nan_parameter)
{
    write_all(nodes_ok, edges_ok,
              "node,param,value,unit,source,source_year,note\nc,initial,NaN,,x,2025,\n"
              "c,lifetime,4,,x,2025,\n",
              series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "params.csv:2", "field 'value'", "not a finite number");
}

Test(graph, share_outside_zero_one)
{
    write_all("node,kind,region,unit,description,source\na,supply,World,u,,x\n"
              "b,split,World,u,,x\nc,stock,World,u,,x\n",
              "from,to,role,weight,unit,source,note\na,b,in,,,x,\nb,c,in,,,x,\n",
              "node,param,value,unit,source,source_year,note\nb,share,1.5,,x,2025,\n"
              "c,initial,10,,x,2025,\nc,lifetime,4,,x,2025,\n",
              series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "params.csv:2", "'share'", "[0, 1]", "1.5");
}

Test(graph, split_shares_adding_above_one)
{
    write_all("node,kind,region,unit,description,source\na,supply,World,u,,x\n"
              "b,split,World,u,,x\nc,stock,World,u,,x\nd,split,World,u,,x\n",
              "from,to,role,weight,unit,source,note\na,b,in,,,x,\nb,c,in,,,x,\na,d,in,,,x,\n",
              "node,param,value,unit,source,source_year,note\nb,share,0.6,,x,2025,\n"
              "d,share,0.5,,x,2025,\nc,initial,10,,x,2025,\nc,lifetime,4,,x,2025,\n",
              series_ok, metrics_ok);
    cp_err err;
    const char *msg = load_fails(&err);
    TF_CONTAINS(msg, "params.csv", "fed by 'a'", "1.1");
    /* The last share's line, and each share's (issue 14). */
    TF_CONTAINS(msg, "params.csv:3: field 'value'", "b 2, d 3");
}

Test(graph, missing_required_parameter)
{
    write_all(nodes_ok, edges_ok,
              "node,param,value,unit,source,source_year,note\nc,initial,10,,x,2025,\n", series_ok,
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "params.csv", "stock node 'c'", "needs parameter 'lifetime'");
}

Test(graph, duplicate_parameter)
{
    write_all(nodes_ok, edges_ok,
              "node,param,value,unit,source,source_year,note\nc,initial,10,,x,2025,\n"
              "c,lifetime,4,,x,2025,\nc,initial,11,,x,2025,\n",
              series_ok, metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "params.csv:4", "given twice", "line 2");
}

Test(graph, missing_quarter)
{
    write_all(nodes_ok, edges_ok, params_ok,
              "node,period,value,unit,source,source_year,note\na,2026Q1,1,u,x,2025,\n"
              "a,2026Q2,2,u,x,2025,\na,2026Q4,4,u,x,2025,\n",
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "series.csv", "'a'", "no value for 2026Q3");
}

Test(graph, duplicate_quarter)
{
    write_all(nodes_ok, edges_ok, params_ok,
              "node,period,value,unit,source,source_year,note\na,2026Q1,1,u,x,2025,\n"
              "a,2026Q2,2,u,x,2025,\na,2026Q3,3,u,x,2025,\na,2026Q4,4,u,x,2025,\n"
              "a,2026Q2,9,u,x,2025,\n",
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "series.csv:6", "second value for 2026Q2", "line 3");
}

Test(graph, malformed_period)
{
    write_all(nodes_ok, edges_ok, params_ok,
              "node,period,value,unit,source,source_year,note\na,2026-Q1,1,u,x,2025,\n",
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "series.csv:2", "field 'period'", "'2026-Q1'");
}

Test(graph, negative_series_value)
{
    write_all(nodes_ok, edges_ok, params_ok,
              "node,period,value,unit,source,source_year,note\na,2026Q1,-1,u,x,2025,\n",
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "series.csv:2", "field 'value'", ">= 0");
}

Test(graph, infinite_series_value)
{
    write_all(nodes_ok, edges_ok, params_ok,
              "node,period,value,unit,source,source_year,note\na,2026Q1,inf,u,x,2025,\n",
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "series.csv:2", "field 'value'", "not a finite number");
}

Test(graph, text_in_series_value)
{
    write_all(nodes_ok, edges_ok, params_ok,
              "node,period,value,unit,source,source_year,note\na,2026Q1,12 MW,u,x,2025,\n",
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "series.csv:2", "field 'value'", "'12 MW' is not a number");
}

Test(graph, series_for_a_non_supply_node)
{
    write_all(nodes_ok, edges_ok, params_ok,
              "node,period,value,unit,source,source_year,note\nb,2026Q1,1,u,x,2025,\n", metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "series.csv:2", "only supply nodes take a series");
}

Test(graph, unterminated_quote)
{
    write_all(nodes_ok, edges_ok, params_ok,
              "node,period,value,unit,source,source_year,note\na,2026Q1,1,u,\"x,2025,\n",
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "series.csv", "unterminated");
}

Test(graph, metric_with_unknown_field)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              "metric,region,node,field,unit,description,source\nm,World,c,outptu,u,,x\n");
    cp_err err;
    /* the list of known fields whole, from the first to the last */
    TF_CONTAINS(load_fails(&err), "metrics.csv:2", "field 'field'", "unknown field 'outptu'",
                "(known: output, compute,", "received_own_flops, received_new_flops)");
}

Test(graph, metric_field_the_kind_lacks)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              "metric,region,node,field,unit,description,source\nm,World,c,compute,u,,x\n");
    cp_err err;
    TF_CONTAINS(load_fails(&err), "metrics.csv:2", "stock node 'c' has no field 'compute'");
}

Test(graph, metric_units_disagree)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              "metric,region,node,field,unit,description,source\nm,World,c,output,u,,x\n"
              "m,World,b,output,v,,x\n");
    cp_err err;
    TF_CONTAINS(load_fails(&err), "metrics.csv:3", "unit 'v' differs from 'u'");
}

Test(graph, metric_terms_are_grouped_and_summed)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              "metric,region,node,field,unit,description,source\nm,World,c,output,u,,x\n"
              "n,World,a,output,u,,x\nm,World,b,output,u,,x\n");
    cp_graph g;
    cp_err err;
    cr_assert_eq(cp_graph_load(dir, start(), 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(g.n_metrics, 2);
    cr_assert_str_eq(g.metrics[0].metric, "m");
    cr_assert_eq(g.metrics[0].n_terms, 2);
    cr_assert_eq(g.metrics[1].n_terms, 1);
    cr_assert_eq(g.terms[g.metrics[1].first_term].node, cp_graph_find(&g, "a"));
    cp_graph_free(&g);
}

Test(graph, metric_scale_column)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              "metric,region,node,field,unit,description,source,scale\nm,World,c,output,u,,x,\n"
              "k,World,c,output,ku,,x,0.001\n");
    cp_graph g;
    cp_err err;
    cr_assert_eq(cp_graph_load(dir, start(), 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_float_eq(g.terms[0].scale, 1.0, 0, "an empty scale is 1");
    cr_assert_float_eq(g.terms[1].scale, 0.001, 0);
    cp_graph_free(&g);
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              "metric,region,node,field,unit,description,source,scale\nm,World,c,output,u,,x,-1\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:2", "field 'scale'", "must be > 0");
}

#define PER_HDR "metric,region,node,field,unit,description,source,per\n"

Test(graph, metric_per_names_its_divisor)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_HDR "r,World,c,output,u,,x,s\nr,Here,c,output,u,,x,s\ns,World,b,output,u,,x,\n"
                      "s,Here,a,output,u,,x,\nt,World,a,output,u,,x,\n");
    cp_graph g;
    load_ok(&g);
    cr_assert_eq(g.n_metrics, 5);
    /* r/World, r/Here, s/World, s/Here, t/World in order of appearance */
    cr_assert_eq(g.metrics[0].per, 2, "r in World is divided by s in World");
    cr_assert_eq(g.metrics[1].per, 3, "r in Here is divided by s in Here");
    cr_assert_eq(g.metrics[2].per, -1);
    cr_assert_eq(g.metrics[4].per, -1);
    cp_graph_free(&g);
}

Test(graph, metric_without_per_column_is_a_sum)
{
    cp_graph g;
    load_ok(&g);
    cr_assert_eq(g.metrics[0].per, -1);
    cp_graph_free(&g);
}

Test(graph, metric_per_errors_name_the_line_and_the_field)
{
    cp_err err;
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_HDR "s,World,b,output,u,,x,\nr,World,c,output,u,,x,nosuch\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:3", "field 'per'",
                "no metric 'nosuch' in region 'World'");
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_HDR "s,Here,b,output,u,,x,\nr,World,c,output,u,,x,s\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:3", "no metric 's' in region 'World'");
    write_all(nodes_ok, edges_ok, params_ok, series_ok, PER_HDR "r,World,c,output,u,,x,r\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:2", "field 'per'", "cannot be divided by itself");
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_HDR "s,World,b,output,u,,x,t\nt,World,a,output,u,,x,\n"
                      "r,World,c,output,u,,x,s\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:4", "'s' is itself a ratio (per 't')");
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_HDR "s,World,b,output,u,,x,\nt,World,a,output,u,,x,\n"
                      "r,World,c,output,u,,x,s\nr,World,a,output,u,,x,t\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:5", "field 'per'",
                "per 't' (region 'World') differs from 's' (region 'World') given earlier for "
                "metric 'r'");
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_HDR "s,World,b,output,u,,x,\nr,World,c,output,u,,x,\nr,World,a,output,u,,x,s\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:4", "per 's' (region 'World') differs from ''");
}

#define CUM_HDR "metric,region,node,field,unit,description,source,per,cumulative\n"

/* cumulative 1 numbers the running sums in order; 0 and empty are not. */
Test(graph, metric_cumulative_numbers_the_running_sums)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              CUM_HDR "s,World,a,output,u,,x,,\nc,World,b,output,u,,x,,1\n"
                      "z,World,c,output,u,,x,,0\nd,World,c,output,u,,x,,1\n"
                      "r,World,a,output,u,,x,d,\n");
    cp_graph g;
    load_ok(&g);
    cr_assert_eq(g.n_cumulative, 2);
    const int want[5] = {-1, 0, -1, 1, -1};
    for (int m = 0; m < 5; m++)
        cr_assert_eq(g.metrics[m].cumulative, want[m], "metric %d: %d", m, g.metrics[m].cumulative);
    cp_graph_free(&g);
}

Test(graph, metric_cumulative_errors_name_the_line_and_the_field)
{
    cp_err err;
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              CUM_HDR "s,World,a,output,u,,x,,\nc,World,b,output,u,,x,,yes\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:3", "field 'cumulative'",
                "cumulative must be 1 (a running sum over the quarters), 0 or empty (got 'yes')");
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              CUM_HDR "c,World,a,output,u,,x,,1\nc,World,b,output,u,,x,,\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:3", "field 'cumulative'",
                "cumulative 0 differs from 1 given earlier for metric 'c' in region 'World'");
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              CUM_HDR "s,World,a,output,u,,x,,\nr,World,b,output,u,,x,s,1\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:3", "field 'cumulative'",
                "metric 'r' is a ratio (per 's') and cannot be cumulative");
}

#define PER_REGION_HDR "metric,region,node,field,unit,description,source,per,per_region\n"

/* A share: each region's sum per the World's (per_region); an empty
 * per_region is the metric's own region. */
Test(graph, metric_per_region_names_the_divisor_region)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_REGION_HDR "s,World,a,output,u,,x,,\ns,Here,b,output,u,,x,,\n"
                             "share,Here,b,output,u,,x,s,World\nown,Here,c,output,u,,x,s,\n");
    cp_graph g;
    load_ok(&g);
    cr_assert_eq(g.metrics[2].per, 0, "share in Here is divided by s in World");
    cr_assert_eq(g.metrics[3].per, 1, "own in Here is divided by s in Here");
    cp_graph_free(&g);
}

Test(graph, metric_per_region_errors_name_the_line_and_the_field)
{
    cp_err err;
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_REGION_HDR "s,World,a,output,u,,x,,\nshare,Here,b,output,u,,x,s,Mars\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:3", "field 'per'", "no metric 's' in region 'Mars'");
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_REGION_HDR "s,World,a,output,u,,x,,\nshare,Here,b,output,u,,x,,World\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:3", "field 'per_region'",
                "per_region 'World' without per");
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              PER_REGION_HDR "s,World,a,output,u,,x,,\ns,Here,b,output,u,,x,,\n"
                             "share,Here,b,output,u,,x,s,World\nshare,Here,c,output,u,,x,s,\n");
    TF_CONTAINS(load_fails(&err), "metrics.csv:5",
                "per 's' (region 'Here') differs from 's' "
                "(region 'World')");
}

Test(graph, no_metrics)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              "metric,region,node,field,unit,description,source\n");
    cp_err err;
    TF_CONTAINS(load_fails(&err), "metrics.csv", "no metrics");
}

Test(graph, missing_column)
{
    write_all(nodes_ok, edges_ok, params_ok,
              "node,quarter,value,unit,source,source_year,note\na,2026Q1,1,u,x,2025,\n",
              metrics_ok);
    cp_err err;
    TF_CONTAINS(load_fails(&err), "series.csv", "'period'");
}

Test(graph, fully_sourced_inputs_give_no_warning)
{
    cp_graph g;
    cp_err err;
    cr_assert_eq(cp_graph_load(dir, start(), 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(g.n_warnings, 0, "first warning: %s", g.n_warnings ? g.warnings[0] : "");
    cp_graph_free(&g);
}

Test(graph, row_without_source_is_a_warning_naming_file_and_line)
{
    /* The empty source on line 3 (the second parameter) and an all-blank
     * one on line 3 of edges.csv: the load succeeds, each row is named. */
    write_all(nodes_ok, "from,to,role,weight,unit,source,note\na,b,in,2,,x,\nb,c,in,,,  ,\n",
              "node,param,value,unit,source,source_year,note\nb,factor,3,,x,2025,\n"
              "c,initial,10,,,2025,\nc,lifetime,4,,x,2025,\n",
              series_ok, metrics_ok);
    cp_graph g;
    cp_err err;
    cr_assert_eq(cp_graph_load(dir, start(), 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(g.n_warnings, 2);
    /* Files load in the order nodes, params, series, edges, metrics. */
    TF_CONTAINS(g.warnings[0], "params.csv:3: no source for this row", "'assumption'");
    TF_CONTAINS(g.warnings[1], "edges.csv:3: no source for this row");
    cp_graph_free(&g);
    cr_assert_eq(g.n_warnings, 0, "freeing clears the warnings");
    cr_assert_null(g.warnings);
}

Test(graph, file_without_source_column_warns_for_every_row)
{
    write_all(nodes_ok, edges_ok, params_ok, series_ok,
              "metric,region,node,field,unit,description\nm,World,c,output,u,\n"
              "n,World,a,output,u,\n");
    cp_graph g;
    cp_err err;
    cr_assert_eq(cp_graph_load(dir, start(), 4, &g, &err), CP_OK, "%s", err.msg);
    cr_assert_eq(g.n_warnings, 2);
    TF_CONTAINS(g.warnings[0], "metrics.csv:2: no source");
    TF_CONTAINS(g.warnings[1], "metrics.csv:3: no source");
    cp_graph_free(&g);
}

Test(graph, period_roundtrip)
{
    int q;
    char buf[16];
    cr_assert_eq(cp_period_parse("2030Q4", &q, NULL), CP_OK);
    cp_period_format(q, buf, sizeof buf);
    cr_assert_str_eq(buf, "2030Q4");
    int q1;
    cp_period_parse("2031Q1", &q1, NULL);
    cr_assert_eq(q1 - q, 1, "consecutive quarters are consecutive integers");
    cp_err err;
    cr_assert_neq(cp_period_parse("2030Q5", &q, &err), CP_OK);
    cr_assert_neq(cp_period_parse("2030q4", &q, &err), CP_OK);
    cr_assert_neq(cp_period_parse("30Q4", &q, &err), CP_OK);
    cr_assert_neq(cp_period_parse("", &q, &err), CP_OK);
}
