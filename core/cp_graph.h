/* cp_graph.h -- the production-and-deployment graph, loaded from the CSV
 * files of an inputs directory (format in inputs/README.md):
 *
 *   nodes.csv    node,kind,region,unit,description,source
 *   edges.csv    from,to,role,weight,unit,source,note
 *   params.csv   node,param,value,unit,source,source_year,note
 *   series.csv   node,period,value,unit,source,source_year,note
 *   metrics.csv  metric,region,node,field,unit,description,source (+ optional scale, per,
 *                per_region)
 *
 * Loading checks everything that can be checked without a scenario: known
 * node kinds and roles, no duplicate nodes, edges between existing nodes, the
 * right number of inputs of each role, parameters present and in range,
 * supply series complete over the horizon, split shares summing to at most
 * one, no cycles.  Every error names the file, the line and the field.
 *
 * Every row must say where its numbers come from (inputs/README.md): a row
 * whose `source` cell is empty, or any row of a file without a `source`
 * column, is not an error but a warning, collected in g->warnings.
 */
#ifndef CP_GRAPH_H
#define CP_GRAPH_H

#include <stddef.h>

#include "cp_error.h"

#define CP_NAME_MAX 64
#define CP_UNIT_MAX 32
#define CP_PARAMS_MAX 13
#define CP_FIELDS_MAX 17
#define CP_LABEL_MAX 32
/* 'start' inputs a deploy node takes: vintages of its starting fleet
 * beside the one its own initial_* parameters describe. */
#define CP_GRAPH_VINTAGES_MAX 3

typedef enum cp_node_kind {
    CP_NODE_SUPPLY,   /* baseline series x multipliers */
    CP_NODE_CONVERT,  /* factor x weighted sum of 'in' x product of 'scale' */
    CP_NODE_SPLIT,    /* share x 'in' (a regional or other split) */
    CP_NODE_ASSEMBLE, /* Leontief: min over 'in' of input / units per output */
    CP_NODE_STOCK,    /* installed base: previous x (1 - 1/lifetime) + inflow */
    CP_NODE_DELAY,    /* 'in' lagged by a lead time in quarters (fractional ok) */
    CP_NODE_ELASTIC,  /* 'flow' x (price / reference)^-elasticity */
    CP_NODE_DEPLOY,   /* accelerators installed as power allows; compute */
    CP_NODE_MARKET,   /* capacity shipped against its buyers' orders and allocated */
    CP_NODE_STREAM,   /* accelerators of their own FLOP/s and watts, for a deploy node */
    CP_NODE_VINTAGE,  /* a vintage of a deploy node's starting fleet */
    CP_NODE_KIND_COUNT
} cp_node_kind;

typedef enum cp_role {
    CP_ROLE_IN,
    CP_ROLE_SCALE,
    CP_ROLE_FLOW,
    CP_ROLE_PRICE,
    CP_ROLE_UNITS,
    CP_ROLE_POWER,
    CP_ROLE_FLOPS,
    CP_ROLE_WATTS,
    CP_ROLE_CAP,          /* an assemble node's limit on its flow: where it binds, it cut */
    CP_ROLE_LIQUID,       /* deploy: MW of its power that can host liquid-cooled racks */
    CP_ROLE_NEEDS_LIQUID, /* deploy: share of this quarter's accelerators that need them */
    CP_ROLE_START,        /* deploy: a vintage of its starting fleet (from a vintage node) */
    CP_ROLE_COUNT
} cp_role;

/* Fields a metric can read.  Every node has 'output'; deploy nodes have
 * compute .. waiting_age, market nodes idle and unsold. */
typedef enum cp_field {
    CP_FIELD_OUTPUT,      /* deploy: accelerators installed (fleet) */
    CP_FIELD_COMPUTE,     /* deploy: FLOP/s of the fleet net of failures */
    CP_FIELD_POWER_USED,  /* deploy: MW drawn by the fleet (with PUE) */
    CP_FIELD_WAITING,     /* deploy: accelerators delivered, waiting for power */
    CP_FIELD_DEPLOYED,    /* deploy: accelerators installed this quarter */
    CP_FIELD_ORDERS,      /* deploy: accelerators ordered for next quarter (< 0: surplus offered) */
    CP_FIELD_TARGET,      /* deploy: accelerators it wants waiting (horizon + buffer) */
    CP_FIELD_UNFILLED,    /* deploy: MW of power with no accelerator in it */
    CP_FIELD_WAITING_AGE, /* deploy: mean age of the waiting accelerators, quarters */
    CP_FIELD_IDLE,        /* market: capacity not shipped this quarter */
    CP_FIELD_UNSOLD,      /* market: accelerators returned by buyers, not yet resold */
    CP_FIELD_RECEIVED,    /* deploy: accelerators delivered to it this quarter */
    CP_FIELD_WAITING_OWN, /* deploy: of the waiting, its own (from streams) */
    CP_FIELD_RECEIVED_OWN,       /* deploy: of the received, its own taken (from streams) */
    CP_FIELD_REPLACED,           /* deploy: accelerators retired early to make room for new ones */
    CP_FIELD_RECEIVED_OWN_FLOPS, /* deploy: FLOP/s of its own taken this quarter */
    CP_FIELD_RECEIVED_NEW_FLOPS, /* deploy: FLOP/s of the new bought ones delivered this quarter */
    CP_FIELD_COUNT
} cp_field;
_Static_assert(CP_FIELD_COUNT <= CP_FIELDS_MAX, "a node with fields holds every field");

typedef struct cp_edge {
    int from, to;
    cp_role role;
    double weight; /* convert 'in': multiplier; assemble 'in': units per output */
    long line;     /* in edges.csv, or in the scenario that added it */
    int added;     /* index of the scenario change that added it; -1: edges.csv */
} cp_edge;

typedef struct cp_node {
    char name[CP_NAME_MAX];
    char region[CP_NAME_MAX];
    char unit[CP_UNIT_MAX];
    cp_node_kind kind;
    double param[CP_PARAMS_MAX];   /* in the kind's parameter order */
    double *series;                /* supply nodes: one value per quarter */
    size_t first_in, n_in;         /* this node's inputs: g->edges[first_in ..] */
    long line;                     /* in nodes.csv, or in the scenario that added it */
    int added;                     /* index of the scenario change that added it; -1: nodes.csv */
    char constraint[CP_LABEL_MAX]; /* the chokepoint this node stands for ("" if none) */
} cp_node;

typedef struct cp_metric_term {
    int node;
    cp_field field;
    double scale; /* unit conversion, e.g. FLOP/s to H100-equivalents; default 1 */
} cp_metric_term;

/* One (metric, region) pair: the sum of its terms, or, for a ratio
 * (metrics.csv's `per`), that sum divided in each sample by the metric
 * `per` of the same region or of `per_region` (0 where that divisor is not
 * above 0). */
typedef struct cp_metric {
    char metric[CP_NAME_MAX];
    char region[CP_NAME_MAX];
    char unit[CP_UNIT_MAX];
    size_t first_term, n_terms;
    int per; /* the divisor's index in metrics, -1 if not a ratio; never itself a ratio */
    /* metrics.csv's `cumulative`: the index of its running sum over the
     * quarters so far (0 .. n_cumulative - 1), -1 if it is not one; never
     * a ratio. */
    int cumulative;
} cp_metric;

typedef struct cp_graph {
    char *dir;
    int start;     /* first quarter index */
    int n_periods; /* quarters in the horizon */
    size_t n_nodes;
    cp_node *nodes;
    int *order;   /* topological order of node indices */
    int *by_name; /* node indices sorted by name, for lookups */
    size_t n_edges;
    cp_edge *edges; /* sorted by (to, role, line) */
    size_t n_metrics;
    size_t n_cumulative; /* metrics that are running sums (cp_metric.cumulative) */
    cp_metric *metrics;
    cp_metric_term *terms;
    size_t n_terms;
    /* Problems that do not stop a run, such as a row without a source: one
     * message each, "PATH:LINE: ...", for the caller to print. */
    size_t n_warnings;
    char **warnings;
} cp_graph;

/* Loads dir/{nodes,edges,params,series,metrics}.csv for the quarters
 * [start, start + n_periods).  On failure g is left empty. */
int cp_graph_load(const char *dir, int start, int n_periods, cp_graph *g, cp_err *err);

/* A change to the inputs made by a scenario, applied after the CSV files
 * are read:
 *   CP_OVERRIDE_PARAM   [param NODE]: a parameter's value;
 *   CP_OVERRIDE_SERIES  [series NODE]: a supply series from quarter `period`
 *                       to `period_end` inclusive, linear from `value` to
 *                       `value_end` (one quarter: period == period_end);
 *   CP_OVERRIDE_NODE    [node NODE]: a node added, of `node_kind`, in
 *                       `region`, with output in `unit`;
 *   CP_OVERRIDE_EDGE    [edge NODE -> TO]: an edge added from `node` to
 *                       `to`, of `role`, with `weight`.
 * file and line are where the scenario said it, for errors. */
typedef enum cp_override_kind {
    CP_OVERRIDE_PARAM,
    CP_OVERRIDE_SERIES,
    CP_OVERRIDE_NODE,
    CP_OVERRIDE_EDGE
} cp_override_kind;

typedef struct cp_graph_override {
    cp_override_kind kind;
    char node[CP_NAME_MAX];
    char param[CP_NAME_MAX];
    int period, period_end;
    double value, value_end;
    cp_node_kind node_kind;
    char region[CP_NAME_MAX];
    char unit[CP_UNIT_MAX];
    char to[CP_NAME_MAX];
    cp_role role;
    double weight;
    const char *file;
    long line;
} cp_graph_override;

/* cp_graph_load with a scenario's changes: nodes added first, then
 * parameters and series set in order (a later one wins), then edges added,
 * all before the graph is checked, so every check (required parameters,
 * complete series, ranges, input counts, cycles, split shares) applies to
 * the result and names the scenario line responsible.  A node added by a
 * scenario must feed an edge or a metric: one that nothing reads would
 * change nothing, which is always a mistake. */
int cp_graph_load_with(const char *dir, int start, int n_periods, const cp_graph_override *ov,
                       size_t n_ov, cp_graph *g, cp_err *err);
void cp_graph_free(cp_graph *g);

/* 1 if s is a valid name of a node, region, metric, shock, event, scenario
 * or batch entry: letters, digits, '_' and '-', at most CP_NAME_MAX - 1
 * characters (no dots: "node.param" names a parameter). */
int cp_name_valid(const char *s);

/* The index of a node, or -1. */
int cp_graph_find(const cp_graph *g, const char *name);

/* Names of kinds, roles, fields and a kind's parameters, as written in the
 * input files.  cp_graph_param_index gives -1 for a parameter the kind does
 * not have. */
const char *cp_graph_kind_name(cp_node_kind kind);
const char *cp_graph_role_name(cp_role role);
const char *cp_graph_field_name(cp_field field);
int cp_graph_param_index(cp_node_kind kind, const char *param);
/* Parse a kind's or a role's name; 0 if it is not one. */
int cp_graph_kind_parse(const char *name, cp_node_kind *kind);
int cp_graph_role_parse(const char *name, cp_role *role);
const char *cp_graph_param_name(cp_node_kind kind, int index);
/* 1 if a kind's parameter is an initial condition (a stock's `initial`, a
 * delay's `history`, a deploy node's `initial_*`): read once, before any
 * shock, so a shock on it could have no effect. */
int cp_graph_param_is_initial(cp_node_kind kind, int index);

/* The input files a graph is loaded from (for hashing in the manifest). */
extern const char *const cp_graph_files[5];

#endif
