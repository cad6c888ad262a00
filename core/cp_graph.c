/* cp_graph.c -- loading and checking the production-and-deployment graph.
 *
 * The kinds are described by a table (parameters with defaults and ranges,
 * how many inputs of each role, which fields), so the loader's checks and
 * the documentation in inputs/README.md come from one place.
 */
#include "cp_graph.h"
#include "cp_graph_load.h"
#include "cp_csv.h"
#include "cp_period.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cp_graph_files[5] = {"nodes.csv", "edges.csv", "params.csv", "series.csv",
                                       "metrics.csv"};

#define UNLIMITED 1000000
#define REQUIRED NAN /* a parameter default that means "must be given" */

typedef struct param_spec {
    const char *name;
    double def;    /* REQUIRED: no default */
    double lo, hi; /* allowed range */
    int lo_open;   /* 1: must be > lo rather than >= lo */
    int hi_open;   /* 1: must be < hi rather than <= hi */
    int initial;   /* 1: read before any multiplier (an initial condition) or as a
                    * constant, so a shock on it would change nothing */
} param_spec;

typedef struct kind_spec {
    const char *name;
    size_t n_params;
    param_spec params[CP_PARAMS_MAX];
    int role_min[CP_ROLE_COUNT];
    int role_max[CP_ROLE_COUNT];
    int has_series;
    unsigned fields; /* bit per cp_field */
} kind_spec;

#define F(x) (1u << (x))

static const kind_spec kinds[CP_NODE_KIND_COUNT] = {
    [CP_NODE_SUPPLY] = {.name = "supply", .has_series = 1, .fields = F(CP_FIELD_OUTPUT)},
    [CP_NODE_CONVERT] = {.name = "convert",
                         .n_params = 1,
                         .params = {{"factor", 1.0, 0, INFINITY, 0, 1, 0}},
                         .role_min = {[CP_ROLE_IN] = 1},
                         .role_max = {[CP_ROLE_IN] = UNLIMITED, [CP_ROLE_SCALE] = UNLIMITED},
                         .fields = F(CP_FIELD_OUTPUT)},
    [CP_NODE_SPLIT] = {.name = "split",
                       .n_params = 1,
                       .params = {{"share", REQUIRED, 0, 1, 0, 0, 0}},
                       .role_min = {[CP_ROLE_IN] = 1},
                       .role_max = {[CP_ROLE_IN] = 1},
                       .fields = F(CP_FIELD_OUTPUT)},
    [CP_NODE_ASSEMBLE] = {.name = "assemble",
                          .role_min = {[CP_ROLE_IN] = 1},
                          .role_max = {[CP_ROLE_IN] = UNLIMITED, [CP_ROLE_CAP] = UNLIMITED},
                          .fields = F(CP_FIELD_OUTPUT)},
    [CP_NODE_STOCK] = {.name = "stock",
                       .n_params = 2,
                       .params = {{"initial", REQUIRED, 0, INFINITY, 0, 1, 1},
                                  {"lifetime", REQUIRED, 0, INFINITY, 1, 0, 0}},
                       .role_max = {[CP_ROLE_IN] = UNLIMITED},
                       .fields = F(CP_FIELD_OUTPUT)},
    [CP_NODE_DELAY] = {.name = "delay",
                       .n_params = 2,
                       .params = {{"lead", REQUIRED, 0, 1000, 0, 0, 0},
                                  {"history", -1.0, -1, INFINITY, 0, 1, 1}},
                       .role_min = {[CP_ROLE_IN] = 1},
                       .role_max = {[CP_ROLE_IN] = 1},
                       .fields = F(CP_FIELD_OUTPUT)},
    [CP_NODE_ELASTIC] = {.name = "elastic",
                         .n_params = 3,
                         .params = {{"reference", REQUIRED, 0, INFINITY, 1, 1, 0},
                                    {"elasticity", REQUIRED, 0, 100, 0, 0, 0},
                                    {"binds_below", 0.0, 0, 1, 0, 0, 1}},
                         .role_min = {[CP_ROLE_FLOW] = 1, [CP_ROLE_PRICE] = 1},
                         .role_max = {[CP_ROLE_FLOW] = UNLIMITED, [CP_ROLE_PRICE] = 1},
                         .fields = F(CP_FIELD_OUTPUT)},
    [CP_NODE_DEPLOY] =
        {.name = "deploy",
         .n_params = 13,
         .params = {{"pue", REQUIRED, 1, 10, 0, 0, 0},
                    {"lifetime", REQUIRED, 0, 1000, 1, 0, 1},
                    {"failure_loss", 0.0, 0, 1, 0, 1, 0},
                    /* Not initial: the first quarter's multiplier scales it. */
                    {"initial_fleet", 0.0, 0, INFINITY, 0, 1, 0},
                    {"initial_flops", 0.0, 0, INFINITY, 0, 1, 1},
                    {"initial_watts", 0.0, 0, INFINITY, 0, 1, 1},
                    {"lifetime_shape", 1.0, 0.2, 20, 0, 0, 1},
                    {"initial_age", 0.0, 0, 1000, 0, 0, 1},
                    {"order_horizon", 0.0, 0, 40, 0, 0, 1},
                    {"inventory_target", 0.0, 0, 40, 0, 0, 1},
                    {"import_limit", 1.0, 0, 1, 0, 0, 1},
                    /* The PUE of the halls' air-cooled part less that of
                     * the liquid-cooled part ('pue'). */
                    {"pue_air_extra", 0.0, 0, 10, 0, 0, 0},
                    /* Replacement: a share of the newest's FLOP/s per watt
                     * (0: never); a multiplier may scale it (clamped). */
                    {"replace_below", 0.0, 0, 1, 0, 1, 0}},
         .role_min =
             {[CP_ROLE_UNITS] = 1, [CP_ROLE_POWER] = 1, [CP_ROLE_FLOPS] = 1, [CP_ROLE_WATTS] = 1},
         .role_max = {[CP_ROLE_UNITS] = UNLIMITED,
                      [CP_ROLE_POWER] = UNLIMITED,
                      [CP_ROLE_FLOPS] = 1,
                      [CP_ROLE_WATTS] = 1,
                      [CP_ROLE_LIQUID] = 1,
                      [CP_ROLE_NEEDS_LIQUID] = 1,
                      [CP_ROLE_START] = CP_GRAPH_VINTAGES_MAX},
         .fields = F(CP_FIELD_OUTPUT) | F(CP_FIELD_COMPUTE) | F(CP_FIELD_POWER_USED) |
                   F(CP_FIELD_WAITING) | F(CP_FIELD_DEPLOYED) | F(CP_FIELD_ORDERS) |
                   F(CP_FIELD_TARGET) | F(CP_FIELD_UNFILLED) | F(CP_FIELD_WAITING_AGE) |
                   F(CP_FIELD_RECEIVED) | F(CP_FIELD_WAITING_OWN) | F(CP_FIELD_RECEIVED_OWN) |
                   F(CP_FIELD_REPLACED) | F(CP_FIELD_RECEIVED_OWN_FLOPS) |
                   F(CP_FIELD_RECEIVED_NEW_FLOPS)},
    [CP_NODE_MARKET] = {.name = "market",
                        .n_params = 0,
                        .role_min = {[CP_ROLE_IN] = 1},
                        .role_max = {[CP_ROLE_IN] = UNLIMITED},
                        .fields = F(CP_FIELD_OUTPUT) | F(CP_FIELD_IDLE) | F(CP_FIELD_UNSOLD)},
    [CP_NODE_STREAM] =
        {.name = "stream",
         .role_min = {[CP_ROLE_IN] = 1, [CP_ROLE_FLOPS] = 1, [CP_ROLE_WATTS] = 1},
         .role_max = {[CP_ROLE_IN] = UNLIMITED, [CP_ROLE_FLOPS] = 1, [CP_ROLE_WATTS] = 1},
         .fields = F(CP_FIELD_OUTPUT)},
    /* Read once: a shock on the vintage node (its output) scales it, as
     * one on the deploy node's initial_fleet scales the whole fleet. */
    [CP_NODE_VINTAGE] = {.name = "vintage",
                         .n_params = 4,
                         .params = {{"units", REQUIRED, 0, INFINITY, 0, 1, 1},
                                    {"flops", REQUIRED, 0, INFINITY, 0, 1, 1},
                                    {"watts", REQUIRED, 0, INFINITY, 0, 1, 1},
                                    {"age", 0.0, 0, 1000, 0, 0, 1}},
                         .fields = F(CP_FIELD_OUTPUT)},
};

static const char *const role_names[CP_ROLE_COUNT] = {"in",    "scale",  "flow",         "price",
                                                      "units", "power",  "flops",        "watts",
                                                      "cap",   "liquid", "needs_liquid", "start"};
/* Indexed by field, so that a name cannot drift from its field. */
static const char *const field_names[CP_FIELD_COUNT] = {
    [CP_FIELD_OUTPUT] = "output",
    [CP_FIELD_COMPUTE] = "compute",
    [CP_FIELD_POWER_USED] = "power_used",
    [CP_FIELD_WAITING] = "waiting",
    [CP_FIELD_DEPLOYED] = "deployed",
    [CP_FIELD_ORDERS] = "orders",
    [CP_FIELD_TARGET] = "target",
    [CP_FIELD_UNFILLED] = "unfilled",
    [CP_FIELD_WAITING_AGE] = "waiting_age",
    [CP_FIELD_IDLE] = "idle",
    [CP_FIELD_UNSOLD] = "unsold",
    [CP_FIELD_RECEIVED] = "received",
    [CP_FIELD_WAITING_OWN] = "waiting_own",
    [CP_FIELD_RECEIVED_OWN] = "received_own",
    [CP_FIELD_REPLACED] = "replaced",
    [CP_FIELD_RECEIVED_OWN_FLOPS] = "received_own_flops",
    [CP_FIELD_RECEIVED_NEW_FLOPS] = "received_new_flops",
};

const char *cp_graph_kind_name(cp_node_kind kind)
{
    return kind < CP_NODE_KIND_COUNT ? kinds[kind].name : "?";
}

int cp_graph_has_field(cp_node_kind kind, cp_field field)
{
    return kind < CP_NODE_KIND_COUNT && field < CP_FIELD_COUNT && (kinds[kind].fields & F(field));
}

const char *cp_graph_role_name(cp_role role)
{
    return role < CP_ROLE_COUNT ? role_names[role] : "?";
}

const char *cp_graph_field_name(cp_field field)
{
    return field < CP_FIELD_COUNT ? field_names[field] : "?";
}

int cp_graph_param_index(cp_node_kind kind, const char *param)
{
    for (size_t i = 0; i < kinds[kind].n_params; i++)
        if (strcmp(kinds[kind].params[i].name, param) == 0)
            return (int)i;
    return -1;
}

int cp_graph_param_is_initial(cp_node_kind kind, int index)
{
    return index >= 0 && (size_t)index < kinds[kind].n_params && kinds[kind].params[index].initial;
}

const char *cp_graph_param_name(cp_node_kind kind, int index)
{
    if (index < 0 || (size_t)index >= kinds[kind].n_params)
        return "?";
    return kinds[kind].params[index].name;
}

/* ---- small helpers ---------------------------------------------------- */

int cp_name_valid(const char *s)
{
    if (!*s || strlen(s) >= CP_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!(*s == '_' || *s == '-' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
              (*s >= 'A' && *s <= 'Z')))
            return 0;
    return 1;
}

/* A constraint label may also hold ':' ("power:grid"). */
static int label_valid(const char *s)
{
    if (strlen(s) >= CP_LABEL_MAX)
        return 0;
    char copy[CP_LABEL_MAX];
    snprintf(copy, sizeof copy, "%s", s);
    for (char *p = copy; *p; p++)
        if (*p == ':')
            *p = '_';
    return cp_name_valid(copy);
}

int cp_graph_open_table(const char *dir, const char *file, cp_table *t, cp_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return cp_table_read(path, t, err);
}

/* Binary search of by_name[0 .. count). */
static int find_among(const cp_graph *g, size_t count, const char *name)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->nodes[g->by_name[mid]].name, name);
        if (c == 0)
            return g->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int cp_graph_find(const cp_graph *g, const char *name)
{
    return find_among(g, g->n_nodes, name);
}

/* Node indices sorted by name (ties by index, so duplicates sit together
 * with the first one given first): O(n log n), for graphs of any size. */
typedef struct name_ref {
    const char *name;
    int index;
} name_ref;

static int name_ref_cmp(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    const int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int sort_by_name(cp_graph *g, cp_err *err)
{
    name_ref *refs = malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *refs);
    if (!refs)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_nodes; i++)
        refs[i] = (name_ref){g->nodes[i].name, (int)i};
    qsort(refs, g->n_nodes, sizeof *refs, name_ref_cmp);
    for (size_t i = 0; i < g->n_nodes; i++)
        g->by_name[i] = refs[i].index;
    free(refs);
    return CP_OK;
}

/* After sort_by_name: the first node whose name an earlier node already
 * has (the lowest such index), with that earlier node; 0 if none. */
static int find_duplicate_name(const cp_graph *g, int *dup, int *first)
{
    *dup = -1;
    for (size_t k = 1; k < g->n_nodes; k++) {
        const int a = g->by_name[k - 1], b = g->by_name[k];
        if (strcmp(g->nodes[a].name, g->nodes[b].name) != 0)
            continue;
        /* Only a group's second member is reported: it is its first repeat. */
        if (k >= 2 && strcmp(g->nodes[g->by_name[k - 2]].name, g->nodes[a].name) == 0)
            continue;
        if (*dup < 0 || b < *dup) {
            *dup = b;
            *first = a;
        }
    }
    return *dup >= 0;
}

int cp_graph_find_cell(const cp_graph *g, const cp_table *t, size_t row, int col, int *node,
                       cp_err *err)
{
    const char *name = cp_table_cell(t, row, col);
    *node = cp_graph_find(g, name);
    if (*node < 0)
        return cp_table_error(t, row, col, err, CP_EINVAL, "unknown node '%s' (not in nodes.csv)",
                              name);
    return CP_OK;
}

static void describe_range(const param_spec *p, char *buf, size_t cap)
{
    if (isinf(p->hi))
        snprintf(buf, cap, "%s %g", p->lo_open ? ">" : ">=", p->lo);
    else
        snprintf(buf, cap, "in %c%g, %g%c", p->lo_open ? '(' : '[', p->lo, p->hi,
                 p->hi_open ? ')' : ']');
}

static int in_range(const param_spec *p, double v)
{
    if (p->lo_open ? !(v > p->lo) : !(v >= p->lo))
        return 0;
    if (p->hi_open ? !(v < p->hi) : !(v <= p->hi))
        return 0;
    return 1;
}

/* What loading needs besides the graph: the scenario's changes, and which
 * of them last set each parameter (so a check can name the scenario line
 * responsible rather than params.csv). */
typedef struct load_ctx {
    cp_graph *g;
    const cp_graph_override *ov;
    size_t n_ov;
    int *param_set_by; /* n_nodes x CP_PARAMS_MAX: index in ov, or -1 */
    long *param_line;  /* n_nodes x CP_PARAMS_MAX: line in params.csv, or 0 */
} load_ctx;

/* Where node i was defined, for messages: "DIR/nodes.csv line N" or
 * "SCENARIO:LINE [node NAME]". */
static void node_origin(const cp_graph *g, const cp_graph_override *ov, int i, char *buf,
                        size_t cap)
{
    const cp_node *n = &g->nodes[i];
    if (n->added >= 0)
        snprintf(buf, cap, "%s:%ld: [node %s]", ov[n->added].file, ov[n->added].line, n->name);
    else
        snprintf(buf, cap, "%s/nodes.csv line %ld", g->dir, n->line);
}

/* ---- provenance ------------------------------------------------------- */

/* An analyst must be able to trace every number to a publication (or to a
 * stated assumption), so a row without a source is reported.  It is a
 * warning, not an error: a scratch graph being explored should still run. */
int cp_graph_warn_unsourced(cp_graph *g, const cp_table *t, cp_err *err)
{
    const int col = cp_table_column(t, "source");
    for (size_t r = 0; r < t->n_rows; r++) {
        if (col >= 0 && *cp_table_cell(t, r, col))
            continue;
        char msg[4200];
        snprintf(msg, sizeof msg,
                 "%s:%ld: no source for this row (give publisher, title, year and where, or "
                 "'assumption' with the reasoning in note)",
                 t->path, t->line[r]);
        char **grown = realloc(g->warnings, (g->n_warnings + 1) * sizeof *grown);
        if (!grown)
            return cp_err_set(err, CP_ENOMEM, "out of memory");
        g->warnings = grown;
        if (!(g->warnings[g->n_warnings] = strdup(msg)))
            return cp_err_set(err, CP_ENOMEM, "out of memory");
        g->n_warnings++;
    }
    return CP_OK;
}

/* ---- nodes.csv -------------------------------------------------------- */

int cp_graph_kind_parse(const char *s, cp_node_kind *kind)
{
    for (int k = 0; k < CP_NODE_KIND_COUNT; k++)
        if (strcmp(kinds[k].name, s) == 0) {
            *kind = (cp_node_kind)k;
            return 1;
        }
    return 0;
}

static int load_nodes(cp_graph *g, size_t n_added, cp_err *err)
{
    cp_table t = {0};
    int rc = cp_graph_open_table(g->dir, "nodes.csv", &t, err);
    if (rc)
        return rc;
    static const char *const cols[] = {"node", "kind", "region", "unit"};
    int c[4];
    if ((rc = cp_table_require(&t, cols, 4, c, err)) || (rc = cp_graph_warn_unsourced(g, &t, err)))
        goto out;
    const int c_constraint = cp_table_column(&t, "constraint"); /* optional */
    if (t.n_rows == 0) {
        rc = cp_err_set(err, CP_EINVAL, "%s: no nodes", t.path);
        goto out;
    }
    g->nodes = calloc(t.n_rows + n_added, sizeof *g->nodes);
    g->by_name = calloc(t.n_rows + n_added, sizeof *g->by_name);
    if (!g->nodes || !g->by_name) {
        rc = cp_err_set(err, CP_ENOMEM, "out of memory reading %s", t.path);
        goto out;
    }
    for (size_t r = 0; r < t.n_rows; r++) {
        cp_node *n = &g->nodes[r];
        const char *name = cp_table_cell(&t, r, c[0]);
        if (!cp_name_valid(name)) {
            rc = cp_table_error(&t, r, c[0], err, CP_EINVAL,
                                "'%s' is not a valid node name (letters, digits, _ and -, "
                                "at most %d characters)",
                                name, CP_NAME_MAX - 1);
            goto out;
        }
        snprintf(n->name, sizeof n->name, "%s", name);
        const char *kind = cp_table_cell(&t, r, c[1]);
        if (!cp_graph_kind_parse(kind, &n->kind)) {
            rc = cp_table_error(&t, r, c[1], err, CP_EINVAL,
                                "unknown node kind '%s' (known: supply, convert, split, "
                                "assemble, stock, delay, elastic, deploy, market, stream, vintage)",
                                kind);
            goto out;
        }
        const char *region = cp_table_cell(&t, r, c[2]);
        if (!cp_name_valid(region)) {
            rc = cp_table_error(&t, r, c[2], err, CP_EINVAL, "'%s' is not a valid region name",
                                region);
            goto out;
        }
        snprintf(n->region, sizeof n->region, "%s", region);
        const char *unit = cp_table_cell(&t, r, c[3]);
        if (!*unit || strlen(unit) >= CP_UNIT_MAX) {
            rc = cp_table_error(&t, r, c[3], err, CP_EINVAL,
                                "a unit is required (at most %d characters)", CP_UNIT_MAX - 1);
            goto out;
        }
        snprintf(n->unit, sizeof n->unit, "%s", unit);
        const char *label = c_constraint >= 0 ? cp_table_cell(&t, r, c_constraint) : "";
        if (*label && !label_valid(label)) {
            rc = cp_table_error(&t, r, c_constraint, err, CP_EINVAL,
                                "'%s' is not a valid constraint label (letters, digits, _, - "
                                "and :, at most %d characters)",
                                label, CP_LABEL_MAX - 1);
            goto out;
        }
        snprintf(n->constraint, sizeof n->constraint, "%s", label);
        n->line = t.line[r];
        n->added = -1;
        const kind_spec *ks = &kinds[n->kind];
        for (size_t p = 0; p < CP_PARAMS_MAX; p++)
            n->param[p] = p < ks->n_params ? ks->params[p].def : 0.0;
        g->n_nodes++;
    }
    if ((rc = sort_by_name(g, err)))
        goto out;
    int dup, first;
    if (find_duplicate_name(g, &dup, &first))
        rc = cp_table_error(&t, (size_t)dup, c[0], err, CP_EINVAL,
                            "duplicate node '%s' (first on line %ld)", g->nodes[dup].name,
                            t.line[first]);
out:
    cp_table_free(&t);
    return rc;
}

/* ---- params.csv ------------------------------------------------------- */

static int load_params(load_ctx *lc, cp_err *err)
{
    cp_graph *g = lc->g;
    cp_table t = {0};
    int rc = cp_graph_open_table(g->dir, "params.csv", &t, err);
    if (rc)
        return rc;
    static const char *const cols[] = {"node", "param", "value"};
    int c[3];
    long *seen = lc->param_line = calloc(g->n_nodes * CP_PARAMS_MAX + 1, sizeof *seen);
    if (!seen) {
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = cp_table_require(&t, cols, 3, c, err)) || (rc = cp_graph_warn_unsourced(g, &t, err)))
        goto out;
    for (size_t r = 0; r < t.n_rows; r++) {
        int ni;
        if ((rc = cp_graph_find_cell(g, &t, r, c[0], &ni, err)))
            goto out;
        cp_node *n = &g->nodes[ni];
        const char *pname = cp_table_cell(&t, r, c[1]);
        int pi = cp_graph_param_index(n->kind, pname);
        if (pi < 0) {
            rc = cp_table_error(&t, r, c[1], err, CP_EINVAL, "%s node '%s' has no parameter '%s'",
                                kinds[n->kind].name, n->name, pname);
            goto out;
        }
        long *first = &seen[(size_t)ni * CP_PARAMS_MAX + (size_t)pi];
        if (*first) {
            rc = cp_table_error(&t, r, c[1], err, CP_EINVAL,
                                "parameter '%s' of '%s' given twice (first on line %ld)", pname,
                                n->name, *first);
            goto out;
        }
        *first = t.line[r];
        double v;
        if ((rc = cp_table_double(&t, r, c[2], &v, err)))
            goto out;
        const param_spec *ps = &kinds[n->kind].params[pi];
        if (!in_range(ps, v)) {
            char range[64];
            describe_range(ps, range, sizeof range);
            rc = cp_table_error(&t, r, c[2], err, CP_EINVAL,
                                "parameter '%s' of %s node '%s' must be %s (got %g)", pname,
                                kinds[n->kind].name, n->name, range, v);
            goto out;
        }
        n->param[pi] = v;
    }
out:
    cp_table_free(&t);
    return rc;
}

/* ---- series.csv ------------------------------------------------------- */

static int load_series(cp_graph *g, cp_err *err)
{
    cp_table t = {0};
    int rc = cp_graph_open_table(g->dir, "series.csv", &t, err);
    if (rc)
        return rc;
    static const char *const cols[] = {"node", "period", "value"};
    int c[3];
    const size_t T = (size_t)g->n_periods;
    long *seen = calloc(g->n_nodes * T, sizeof *seen);
    if (!seen) {
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = cp_table_require(&t, cols, 3, c, err)) || (rc = cp_graph_warn_unsourced(g, &t, err)))
        goto out;
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (!kinds[g->nodes[i].kind].has_series)
            continue;
        g->nodes[i].series = malloc(T * sizeof(double));
        if (!g->nodes[i].series) {
            rc = cp_err_set(err, CP_ENOMEM, "out of memory");
            goto out;
        }
        /* NAN marks a quarter no one gave (values are checked >= 0). */
        for (size_t k = 0; k < T; k++)
            g->nodes[i].series[k] = NAN;
    }
    for (size_t r = 0; r < t.n_rows; r++) {
        int ni, period;
        if ((rc = cp_graph_find_cell(g, &t, r, c[0], &ni, err)))
            goto out;
        cp_node *n = &g->nodes[ni];
        if (!n->series) {
            rc = cp_table_error(&t, r, c[0], err, CP_EINVAL,
                                "node '%s' is a %s node; only supply nodes take a series", n->name,
                                kinds[n->kind].name);
            goto out;
        }
        cp_err perr;
        if (cp_period_parse(cp_table_cell(&t, r, c[1]), &period, &perr)) {
            rc = cp_table_error(&t, r, c[1], err, CP_EINVAL, "%s", perr.msg);
            goto out;
        }
        double v;
        if ((rc = cp_table_double(&t, r, c[2], &v, err)))
            goto out;
        if (v < 0) {
            rc = cp_table_error(&t, r, c[2], err, CP_EINVAL,
                                "series values are quantities and must be >= 0 (got %g)", v);
            goto out;
        }
        int k = period - g->start;
        if (k < 0 || k >= g->n_periods)
            continue; /* history or projections beyond the horizon */
        long *first = &seen[(size_t)ni * T + (size_t)k];
        if (*first) {
            rc = cp_table_error(&t, r, c[1], err, CP_EINVAL,
                                "node '%s' has a second value for %s (first on line %ld)", n->name,
                                cp_table_cell(&t, r, c[1]), *first);
            goto out;
        }
        *first = t.line[r];
        n->series[k] = v;
    }
out:
    free(seen);
    cp_table_free(&t);
    return rc;
}

/* ---- edges.csv -------------------------------------------------------- */

int cp_graph_role_parse(const char *s, cp_role *role)
{
    for (int r = 0; r < CP_ROLE_COUNT; r++)
        if (strcmp(role_names[r], s) == 0) {
            *role = (cp_role)r;
            return 1;
        }
    return 0;
}

/* By node fed, role, then edges.csv before a scenario's (added -1 first)
 * and file order, so a node's inputs are in a stable order. */
static int edge_cmp(const void *a, const void *b)
{
    const cp_edge *x = a, *y = b;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    if (x->role != y->role)
        return x->role < y->role ? -1 : 1;
    if (x->added != y->added)
        return x->added < y->added ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

void cp_graph_edge_origin(const cp_graph *g, const cp_graph_override *ov, const cp_edge *e,
                          char *buf, size_t cap)
{
    if (e->added >= 0)
        snprintf(buf, cap, "%s:%ld: [edge %s -> %s]", ov[e->added].file, ov[e->added].line,
                 g->nodes[e->from].name, g->nodes[e->to].name);
    else
        snprintf(buf, cap, "%s/edges.csv line %ld", g->dir, e->line);
}

/* [edge FROM -> TO] of a scenario: the checks of an edges.csv row, with
 * the scenario's file and line in every message. */
static int add_edge(cp_graph *g, const cp_graph_override *ov, size_t i, cp_err *err)
{
    const cp_graph_override *o = &ov[i];
    const char *ends[2] = {o->node, o->to};
    int idx[2];
    for (int k = 0; k < 2; k++)
        if ((idx[k] = cp_graph_find(g, ends[k])) < 0)
            return cp_err_set(err, CP_EINVAL,
                              "%s:%ld: [edge %s -> %s]: unknown node '%s' (neither in "
                              "%s/nodes.csv nor added by a [node] section)",
                              o->file, o->line, o->node, o->to, ends[k], g->dir);
    const cp_node *to = &g->nodes[idx[1]];
    if (kinds[to->kind].role_max[o->role] == 0)
        return cp_err_set(
            err, CP_EINVAL, "%s:%ld: [edge %s -> %s]: %s node '%s' takes no '%s' input", o->file,
            o->line, o->node, o->to, kinds[to->kind].name, to->name, role_names[o->role]);
    if (idx[0] == idx[1])
        return cp_err_set(err, CP_EINVAL, "%s:%ld: [edge %s -> %s]: cycle: '%s' feeds itself",
                          o->file, o->line, o->node, o->to, to->name);
    cp_edge *e = &g->edges[g->n_edges++];
    e->from = idx[0];
    e->to = idx[1];
    e->role = o->role;
    e->weight = o->weight;
    e->line = o->line;
    e->added = (int)i;
    return CP_OK;
}

/* Where a wrong count of `role` inputs of node i comes from: a scenario
 * edge that added one too many, the scenario that added the node, or
 * edges.csv. */
static void role_count_origin(const cp_graph *g, const cp_graph_override *ov, int i, cp_role role,
                              int too_many, char *buf, size_t cap)
{
    const cp_node *n = &g->nodes[i];
    for (size_t k = n->n_in; too_many && k-- > 0;) {
        const cp_edge *e = &g->edges[n->first_in + k];
        if (e->role == role && e->added >= 0) {
            cp_graph_edge_origin(g, ov, e, buf, cap);
            return;
        }
    }
    if (n->added >= 0)
        node_origin(g, ov, i, buf, cap);
    else
        snprintf(buf, cap, "%s/edges.csv", g->dir);
}

static int read_edge(const cp_graph *g, const cp_table *t, size_t r, const int *c, cp_edge *e,
                     cp_err *err)
{
    int rc;
    if ((rc = cp_graph_find_cell(g, t, r, c[0], &e->from, err)) ||
        (rc = cp_graph_find_cell(g, t, r, c[1], &e->to, err)))
        return rc;
    const char *role = cp_table_cell(t, r, c[2]);
    if (!cp_graph_role_parse(role, &e->role))
        return cp_table_error(t, r, c[2], err, CP_EINVAL,
                              "unknown role '%s' (known: in, scale, flow, price, units, power, "
                              "flops, watts, cap)",
                              role);
    const cp_node *to = &g->nodes[e->to];
    if (kinds[to->kind].role_max[e->role] == 0)
        return cp_table_error(t, r, c[2], err, CP_EINVAL, "%s node '%s' takes no '%s' input",
                              kinds[to->kind].name, to->name, role);
    e->weight = 1.0;
    if (c[3] >= 0 && *cp_table_cell(t, r, c[3])) {
        if ((rc = cp_table_double(t, r, c[3], &e->weight, err)))
            return rc;
        if (!(e->weight > 0))
            return cp_table_error(t, r, c[3], err, CP_EINVAL, "weight must be > 0 (got %g)",
                                  e->weight);
    }
    if (e->from == e->to)
        return cp_table_error(t, r, c[1], err, CP_EINVAL, "cycle: '%s' feeds itself", to->name);
    e->line = t->line[r];
    return CP_OK;
}

static int check_role_counts(const cp_graph *g, const cp_graph_override *ov, cp_err *err)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        const cp_node *n = &g->nodes[i];
        int count[CP_ROLE_COUNT] = {0};
        for (size_t k = 0; k < n->n_in; k++)
            count[g->edges[n->first_in + k].role]++;
        const kind_spec *ks = &kinds[n->kind];
        for (int r = 0; r < CP_ROLE_COUNT; r++) {
            if (count[r] >= ks->role_min[r] && count[r] <= ks->role_max[r])
                continue;
            char path[CP_ERR_MSG_MAX / 2];
            role_count_origin(g, ov, (int)i, (cp_role)r, count[r] > ks->role_max[r], path,
                              sizeof path);
            if (ks->role_min[r] == ks->role_max[r])
                return cp_err_set(err, CP_EINVAL,
                                  "%s: %s node '%s' needs exactly %d '%s' input(s), has %d", path,
                                  ks->name, n->name, ks->role_min[r], role_names[r], count[r]);
            if (count[r] < ks->role_min[r])
                return cp_err_set(err, CP_EINVAL,
                                  "%s: %s node '%s' needs at least %d '%s' input(s), has %d", path,
                                  ks->name, n->name, ks->role_min[r], role_names[r], count[r]);
            return cp_err_set(err, CP_EINVAL,
                              "%s: %s node '%s' takes at most %d '%s' input(s), has %d", path,
                              ks->name, n->name, ks->role_max[r], role_names[r], count[r]);
        }
    }
    return CP_OK;
}

/* A stream's accelerators keep their FLOP/s and watts only on the way to
 * a deploy node's 'units'; a market would ship them as its own, with its
 * buyers' FLOP/s and watts. */
static int check_streams(const cp_graph *g, const cp_graph_override *ov, cp_err *err)
{
    for (size_t e = 0; e < g->n_edges; e++) {
        const cp_edge *ed = &g->edges[e];
        if (g->nodes[ed->from].kind != CP_NODE_STREAM || g->nodes[ed->to].kind != CP_NODE_MARKET)
            continue;
        char where[CP_ERR_MSG_MAX / 2];
        cp_graph_edge_origin(g, ov, ed, where, sizeof where);
        return cp_err_set(err, CP_EINVAL,
                          "%s: stream '%s' feeds market '%s', which would ship its accelerators "
                          "with its buyers' FLOP/s and watts: connect the stream to deploy nodes "
                          "as 'units'",
                          where, g->nodes[ed->from].name, g->nodes[ed->to].name);
    }
    return CP_OK;
}

/* A deploy node's liquid-cooled power means nothing without the share of
 * its accelerators that need it, and the share nothing without the power. */
static int check_thermal(const cp_graph *g, const cp_graph_override *ov, cp_err *err)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        const cp_node *n = &g->nodes[i];
        const cp_edge *liquid = NULL, *needs = NULL;
        for (size_t e = n->first_in; e < n->first_in + n->n_in; e++) {
            liquid = g->edges[e].role == CP_ROLE_LIQUID ? &g->edges[e] : liquid;
            needs = g->edges[e].role == CP_ROLE_NEEDS_LIQUID ? &g->edges[e] : needs;
        }
        if (!liquid == !needs)
            continue;
        char where[CP_ERR_MSG_MAX / 2];
        cp_graph_edge_origin(g, ov, liquid ? liquid : needs, where, sizeof where);
        return cp_err_set(err, CP_EINVAL,
                          "%s: deploy node '%s' has a '%s' input but no '%s' input: the thermal "
                          "limit needs both (the MW that can host liquid-cooled racks, and the "
                          "share of its accelerators that need them)",
                          where, n->name, liquid ? "liquid" : "needs_liquid",
                          liquid ? "needs_liquid" : "liquid");
    }
    return CP_OK;
}

/* A vintage is part of one deploy node's starting fleet: its one edge is
 * a 'start' to a deploy node, and a 'start' edge comes from a vintage.
 * (check_role_counts has kept 'start' edges to deploy nodes.) */
static int check_vintages(const cp_graph *g, const cp_graph_override *ov, cp_err *err)
{
    for (size_t e = 0; e < g->n_edges; e++) {
        const cp_edge *ed = &g->edges[e];
        const int from_vintage = g->nodes[ed->from].kind == CP_NODE_VINTAGE;
        if (from_vintage == (ed->role == CP_ROLE_START))
            continue;
        char where[CP_ERR_MSG_MAX / 2];
        cp_graph_edge_origin(g, ov, ed, where, sizeof where);
        if (from_vintage)
            return cp_err_set(err, CP_EINVAL,
                              "%s: vintage '%s' feeds '%s' as '%s': a vintage is part of a deploy "
                              "node's starting fleet, its edge's role 'start'",
                              where, g->nodes[ed->from].name, g->nodes[ed->to].name,
                              role_names[ed->role]);
        return cp_err_set(err, CP_EINVAL,
                          "%s: '%s' feeds '%s' as 'start', but it is a %s node: a starting "
                          "fleet's vintages are vintage nodes",
                          where, g->nodes[ed->from].name, g->nodes[ed->to].name,
                          kinds[g->nodes[ed->from].kind].name);
    }
    /* Each vintage's first and second edge out, in one pass over the edges
     * (the checks stay O(E) on a graph of many fleets). */
    const cp_edge **first = calloc(g->n_nodes + 1, sizeof *first);
    const cp_edge **second = calloc(g->n_nodes + 1, sizeof *second);
    int rc = first && second ? CP_OK : cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t e = 0; !rc && e < g->n_edges; e++) {
        const int from = g->edges[e].from;
        if (g->nodes[from].kind != CP_NODE_VINTAGE)
            continue;
        if (!first[from])
            first[from] = &g->edges[e];
        else if (!second[from])
            second[from] = &g->edges[e];
    }
    for (size_t i = 0; !rc && i < g->n_nodes; i++) {
        if (g->nodes[i].kind != CP_NODE_VINTAGE || (first[i] && !second[i]))
            continue;
        char where[CP_ERR_MSG_MAX / 2];
        if (!first[i]) {
            node_origin(g, ov, (int)i, where, sizeof where);
            rc = cp_err_set(err, CP_EINVAL,
                            "%s: vintage '%s' feeds no deploy node: give it one edge of role "
                            "'start' to the deploy node whose starting fleet it is part of",
                            where, g->nodes[i].name);
        } else {
            cp_graph_edge_origin(g, ov, second[i], where, sizeof where);
            rc = cp_err_set(err, CP_EINVAL,
                            "%s: vintage '%s' feeds a second deploy node: its accelerators are "
                            "in one fleet",
                            where, g->nodes[i].name);
        }
    }
    free(first);
    free(second);
    return rc;
}

/* Two edges of the same role between the same nodes.  Sorting copies by
 * (from, to, role, then edges.csv before a scenario's, file order) puts
 * each set of repeats together, first given first: O(E log E).  The
 * repeat reported is the earliest given, as a reader going down the file
 * would meet it.  Edges of edges.csv are its rows in order (r == index). */
typedef struct edge_ref {
    cp_edge e;
    size_t index;
} edge_ref;

static int edge_ref_cmp(const void *a, const void *b)
{
    const cp_edge *x = &((const edge_ref *)a)->e, *y = &((const edge_ref *)b)->e;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return edge_cmp(x, y); /* then as a node's inputs are ordered */
}

static int check_duplicate_edges(const cp_graph *g, const cp_graph_override *ov, const cp_table *t,
                                 const int *c, cp_err *err)
{
    edge_ref *refs = malloc((g->n_edges ? g->n_edges : 1) * sizeof *refs);
    if (!refs)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t k = 0; k < g->n_edges; k++)
        refs[k] = (edge_ref){g->edges[k], k};
    qsort(refs, g->n_edges, sizeof *refs, edge_ref_cmp);
    const edge_ref *dup = NULL, *first = NULL, *group = refs;
    for (size_t k = 1; k < g->n_edges; k++) {
        const cp_edge *x = &refs[k - 1].e, *y = &refs[k].e;
        if (x->from != y->from || x->to != y->to || x->role != y->role) {
            group = &refs[k];
            continue;
        }
        if (&refs[k] != group + 1)
            continue; /* a third or later repeat: the second is reported */
        if (!dup || y->added < dup->e.added ||
            (y->added == dup->e.added && y->line < dup->e.line)) {
            dup = &refs[k];
            first = group;
        }
    }
    int rc = CP_OK;
    if (dup && dup->e.added < 0)
        rc = cp_table_error(t, dup->index, c[1], err, CP_EINVAL,
                            "duplicate edge (first on line %ld)", first->e.line);
    else if (dup) {
        const cp_graph_override *o = &ov[dup->e.added];
        char where[CP_ERR_MSG_MAX / 2];
        cp_graph_edge_origin(g, ov, &first->e, where, sizeof where);
        rc = cp_err_set(err, CP_EINVAL,
                        "%s:%ld: [edge %s -> %s]: duplicate edge (already given at %s)", o->file,
                        o->line, o->node, o->to, where);
    }
    free(refs);
    return rc;
}

static int load_edges(cp_graph *g, const cp_graph_override *ov, size_t n_ov, cp_err *err)
{
    size_t n_added = 0;
    for (size_t i = 0; i < n_ov; i++)
        n_added += ov[i].kind == CP_OVERRIDE_EDGE;
    cp_table t = {0};
    int rc = cp_graph_open_table(g->dir, "edges.csv", &t, err);
    if (rc)
        return rc;
    static const char *const cols[] = {"from", "to", "role"};
    int c[4];
    if ((rc = cp_table_require(&t, cols, 3, c, err)) || (rc = cp_graph_warn_unsourced(g, &t, err)))
        goto out;
    c[3] = cp_table_column(&t, "weight");
    g->edges = calloc(t.n_rows + n_added + 1, sizeof *g->edges);
    if (!g->edges) {
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t r = 0; r < t.n_rows; r++) {
        if ((rc = read_edge(g, &t, r, c, &g->edges[r], err)))
            goto out;
        g->edges[r].added = -1;
        g->n_edges++;
    }
    if ((rc = check_duplicate_edges(g, ov, &t, c, err)))
        goto out;
    for (size_t i = 0; i < n_ov; i++)
        if (ov[i].kind == CP_OVERRIDE_EDGE && (rc = add_edge(g, ov, i, err)))
            goto out;
    if ((rc = check_duplicate_edges(g, ov, &t, c, err)))
        goto out;
    qsort(g->edges, g->n_edges, sizeof *g->edges, edge_cmp);
    for (size_t k = g->n_edges; k-- > 0;) {
        cp_node *n = &g->nodes[g->edges[k].to];
        n->first_in = k;
        n->n_in++;
    }
    if (!(rc = check_role_counts(g, ov, err)) && !(rc = check_streams(g, ov, err)) &&
        !(rc = check_thermal(g, ov, err)))
        rc = check_vintages(g, ov, err);
out:
    cp_table_free(&t);
    return rc;
}

/* ---- split shares ----------------------------------------------------- */

/* One pass over the edges sums the shares of the splits each node feeds
 * (O(e)); the message names the line that gave the last of those shares
 * (a scenario's, or params.csv's) and the lines of all of them. */
static int check_split_shares(const load_ctx *lc, cp_err *err)
{
    const cp_graph *g = lc->g;
    double *total = calloc(g->n_nodes + 1, sizeof *total);
    if (!total)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t k = 0; k < g->n_edges; k++)
        if (g->nodes[g->edges[k].to].kind == CP_NODE_SPLIT)
            total[g->edges[k].from] += g->nodes[g->edges[k].to].param[0];
    size_t src = 0;
    /* Shares are typed with a few decimals; allow their rounding. */
    while (src < g->n_nodes && !(total[src] > 1.0 + 1e-9))
        src++;
    const double sum = src < g->n_nodes ? total[src] : 0;
    free(total);
    if (src == g->n_nodes)
        return CP_OK;
    int latest = -1; /* the last scenario change among the splits' */
    long last = 0;   /* the last params.csv line among their shares */
    char lines[CP_ERR_MSG_MAX / 4] = "";
    for (size_t k = 0; k < g->n_edges; k++) {
        const cp_edge *e = &g->edges[k];
        const cp_node *to = &g->nodes[e->to];
        if (e->from != (int)src || to->kind != CP_NODE_SPLIT)
            continue;
        const size_t at = (size_t)e->to * CP_PARAMS_MAX;
        const int by[3] = {e->added, to->added, lc->param_set_by[at]};
        for (int b = 0; b < 3; b++)
            latest = by[b] > latest ? by[b] : latest;
        const long line = lc->param_set_by[at] < 0 ? lc->param_line[at] : 0;
        last = line > last ? line : last;
        size_t used = strlen(lines);
        if (line && used + 32 < sizeof lines)
            snprintf(lines + used, sizeof lines - used, "%s%s %ld", used ? ", " : "", to->name,
                     line);
    }
    char where[CP_ERR_MSG_MAX / 2];
    if (latest >= 0)
        snprintf(where, sizeof where, "%s:%ld", lc->ov[latest].file, lc->ov[latest].line);
    else
        snprintf(where, sizeof where, "%s/params.csv:%ld: field 'value'", g->dir, last);
    return cp_err_set(err, CP_EINVAL,
                      "%s: the split nodes fed by '%s' have shares that add up to %.6g, "
                      "more than 1 (shares in %s/params.csv: %s)",
                      where, g->nodes[src].name, sum, g->dir, lines[0] ? lines : "none");
}

/* ---- public ----------------------------------------------------------- */

/* [node NAME] of a scenario: appended after nodes.csv's nodes with the
 * kind's default parameters; [param] and [series] sections give the rest. */
static int add_nodes(cp_graph *g, const cp_graph_override *ov, size_t n_ov, cp_err *err)
{
    /* by_name covers the nodes of nodes.csv until the end; the few added
     * ones are compared one by one, and all sorted once. */
    const size_t n_csv = g->n_nodes;
    for (size_t i = 0; i < n_ov; i++) {
        const cp_graph_override *o = &ov[i];
        if (o->kind != CP_OVERRIDE_NODE)
            continue;
        int old = find_among(g, n_csv, o->node);
        for (size_t k = n_csv; old < 0 && k < g->n_nodes; k++)
            if (strcmp(g->nodes[k].name, o->node) == 0)
                old = (int)k;
        if (old >= 0) {
            char where[CP_ERR_MSG_MAX / 2];
            node_origin(g, ov, old, where, sizeof where);
            return cp_err_set(err, CP_EINVAL,
                              "%s:%ld: [node %s]: a node of that name already exists (%s); "
                              "choose another name, or change it with [param %s]",
                              o->file, o->line, o->node, where, o->node);
        }
        cp_node *n = &g->nodes[g->n_nodes];
        memset(n, 0, sizeof *n);
        snprintf(n->name, sizeof n->name, "%s", o->node);
        snprintf(n->region, sizeof n->region, "%s", o->region);
        snprintf(n->unit, sizeof n->unit, "%s", o->unit);
        n->kind = o->node_kind;
        n->line = o->line;
        n->added = (int)i;
        const kind_spec *ks = &kinds[n->kind];
        for (size_t p = 0; p < CP_PARAMS_MAX; p++)
            n->param[p] = p < ks->n_params ? ks->params[p].def : 0.0;
        g->n_nodes++;
    }
    return g->n_nodes > n_csv ? sort_by_name(g, err) : CP_OK;
}

static int apply_param(load_ctx *lc, size_t i, cp_node *n, cp_err *err)
{
    const cp_graph_override *o = &lc->ov[i];
    int pi = cp_graph_param_index(n->kind, o->param);
    if (pi < 0)
        return cp_err_set(err, CP_EINVAL, "%s:%ld: [param %s]: %s node '%s' has no parameter '%s'",
                          o->file, o->line, o->node, kinds[n->kind].name, n->name, o->param);
    const param_spec *ps = &kinds[n->kind].params[pi];
    if (!in_range(ps, o->value)) {
        char range[64];
        describe_range(ps, range, sizeof range);
        return cp_err_set(err, CP_EINVAL,
                          "%s:%ld: [param %s]: parameter '%s' of %s node '%s' must be %s (got %g)",
                          o->file, o->line, o->node, o->param, kinds[n->kind].name, n->name, range,
                          o->value);
    }
    n->param[pi] = o->value;
    lc->param_set_by[(size_t)(n - lc->g->nodes) * CP_PARAMS_MAX + (size_t)pi] = (int)i;
    return CP_OK;
}

static int apply_series(const cp_graph *g, const cp_graph_override *o, cp_node *n, cp_err *err)
{
    if (!n->series)
        return cp_err_set(
            err, CP_EINVAL,
            "%s:%ld: [series %s]: node '%s' is a %s node; only supply nodes take a series", o->file,
            o->line, o->node, n->name, kinds[n->kind].name);
    if (!(o->value >= 0) || !(o->value_end >= 0))
        return cp_err_set(err, CP_EINVAL,
                          "%s:%ld: [series %s]: series values are quantities and must be >= 0",
                          o->file, o->line, o->node);
    /* Quarters outside the horizon are ignored, as in series.csv. */
    for (int p = o->period; p <= o->period_end; p++) {
        int k = p - g->start;
        if (k < 0 || k >= g->n_periods)
            continue;
        double f = o->period_end > o->period
                       ? (double)(p - o->period) / (double)(o->period_end - o->period)
                       : 0.0;
        n->series[k] = o->value + f * (o->value_end - o->value);
    }
    return CP_OK;
}

static int apply_overrides(load_ctx *lc, cp_err *err)
{
    cp_graph *g = lc->g;
    for (size_t i = 0; i < lc->n_ov; i++) {
        const cp_graph_override *o = &lc->ov[i];
        if (o->kind != CP_OVERRIDE_PARAM && o->kind != CP_OVERRIDE_SERIES)
            continue;
        const char *sec = o->kind == CP_OVERRIDE_PARAM ? "param" : "series";
        int ni = cp_graph_find(g, o->node);
        if (ni < 0)
            return cp_err_set(err, CP_EINVAL,
                              "%s:%ld: [%s %s]: unknown node '%s' (neither in %s/nodes.csv nor "
                              "added by a [node] section)",
                              o->file, o->line, sec, o->node, o->node, g->dir);
        int rc = o->kind == CP_OVERRIDE_PARAM ? apply_param(lc, i, &g->nodes[ni], err)
                                              : apply_series(g, o, &g->nodes[ni], err);
        if (rc)
            return rc;
    }
    return CP_OK;
}

/* After the scenario's changes: every required parameter given, every
 * supply series complete over the horizon. */
static int check_complete(const cp_graph *g, const cp_graph_override *ov, cp_err *err)
{
    char a[16], b[16];
    cp_period_format(g->start, a, sizeof a);
    cp_period_format(g->start + g->n_periods - 1, b, sizeof b);
    for (size_t i = 0; i < g->n_nodes; i++) {
        const cp_node *n = &g->nodes[i];
        const kind_spec *ks = &kinds[n->kind];
        char where[CP_ERR_MSG_MAX / 2];
        node_origin(g, ov, (int)i, where, sizeof where);
        for (size_t p = 0; p < ks->n_params; p++) {
            if (!isnan(n->param[p]))
                continue;
            if (n->added >= 0)
                return cp_err_set(err, CP_EINVAL,
                                  "%s: a %s node needs parameter '%s' (give it in [param %s])",
                                  where, ks->name, ks->params[p].name, n->name);
            return cp_err_set(
                err, CP_EINVAL,
                "%s/params.csv: %s node '%s' (nodes.csv line %ld) needs parameter '%s'", g->dir,
                ks->name, n->name, n->line, ks->params[p].name);
        }
        for (int k = 0; n->series && k < g->n_periods; k++) {
            if (!isnan(n->series[k]))
                continue;
            char q[16];
            cp_period_format(g->start + k, q, sizeof q);
            if (n->added >= 0)
                return cp_err_set(err, CP_EINVAL,
                                  "%s: supply node has no value for %s (give [series %s] values "
                                  "for every quarter from %s to %s, e.g. ramp = %s:V, %s:V)",
                                  where, q, n->name, a, b, a, b);
            return cp_err_set(err, CP_EINVAL,
                              "%s/series.csv: supply node '%s' has no value for %s (a series must "
                              "cover every quarter from %s to %s)",
                              g->dir, n->name, q, a, b);
        }
    }
    return CP_OK;
}

/* A node a scenario adds but nothing reads is a mistake (an edge left out,
 * a name mistyped): it could not change any result. */
static int check_added_used(const cp_graph *g, const cp_graph_override *ov, cp_err *err)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].added < 0)
            continue;
        int used = 0;
        for (size_t k = 0; k < g->n_edges && !used; k++)
            used = g->edges[k].from == (int)i;
        for (size_t k = 0; k < g->n_terms && !used; k++)
            used = g->terms[k].node == (int)i;
        if (used)
            continue;
        char where[CP_ERR_MSG_MAX / 2];
        node_origin(g, ov, (int)i, where, sizeof where);
        return cp_err_set(err, CP_EINVAL,
                          "%s: nothing reads this node (no [edge %s -> NODE] and no metric), so "
                          "it would change no result",
                          where, g->nodes[i].name);
    }
    return CP_OK;
}

int cp_graph_load(const char *dir, int start, int n_periods, cp_graph *g, cp_err *err)
{
    return cp_graph_load_with(dir, start, n_periods, NULL, 0, g, err);
}

static int load_all(load_ctx *lc, cp_err *err)
{
    cp_graph *g = lc->g;
    size_t n_nodes_added = 0;
    for (size_t i = 0; i < lc->n_ov; i++)
        n_nodes_added += lc->ov[i].kind == CP_OVERRIDE_NODE;
    int rc;
    if ((rc = load_nodes(g, n_nodes_added, err)) || (rc = add_nodes(g, lc->ov, lc->n_ov, err)))
        return rc;
    lc->param_set_by = malloc(g->n_nodes * CP_PARAMS_MAX * sizeof *lc->param_set_by);
    if (!lc->param_set_by)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t k = 0; k < g->n_nodes * CP_PARAMS_MAX; k++)
        lc->param_set_by[k] = -1;
    if ((rc = load_params(lc, err)) || (rc = load_series(g, err)) ||
        (rc = apply_overrides(lc, err)) || (rc = check_complete(g, lc->ov, err)) ||
        (rc = load_edges(g, lc->ov, lc->n_ov, err)) || (rc = cp_graph_sort(g, lc->ov, err)) ||
        (rc = check_split_shares(lc, err)) || (rc = cp_graph_load_metrics(g, err)) ||
        (rc = check_added_used(g, lc->ov, err)))
        return rc;
    return CP_OK;
}

int cp_graph_load_with(const char *dir, int start, int n_periods, const cp_graph_override *ov,
                       size_t n_ov, cp_graph *g, cp_err *err)
{
    memset(g, 0, sizeof *g);
    if (n_periods < 1)
        return cp_err_set(err, CP_EINVAL, "the horizon must have at least one quarter");
    g->dir = strdup(dir);
    if (!g->dir)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    g->start = start;
    g->n_periods = n_periods;
    load_ctx lc = {.g = g, .ov = ov, .n_ov = n_ov};
    int rc = load_all(&lc, err);
    free(lc.param_set_by);
    free(lc.param_line);
    if (rc)
        cp_graph_free(g);
    return rc;
}

void cp_graph_free(cp_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_nodes; i++)
        free(g->nodes[i].series);
    free(g->nodes);
    free(g->by_name);
    free(g->order);
    free(g->edges);
    free(g->metrics);
    free(g->terms);
    for (size_t i = 0; i < g->n_warnings; i++)
        free(g->warnings[i]);
    free(g->warnings);
    free(g->dir);
    memset(g, 0, sizeof *g);
}
