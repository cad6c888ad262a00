/* cp_graph_order.c -- the order in which a graph's nodes are evaluated:
 * inputs before the nodes they feed (Kahn's algorithm with a queue), a
 * market after its buyers' other inputs and before the buyers, and a
 * cycle or a loop through a market reported as the path it takes. */
#include "cp_graph_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Depth-first search from a node left over by Kahn's algorithm walks only
 * through nodes on or upstream of a cycle, so it must come back to a node on
 * its path; that stretch of the path is the cycle reported. */
static int report_cycle(const cp_graph *g, const cp_graph_override *ov, const int *indeg,
                        cp_err *err)
{
    size_t n = g->n_nodes;
    int *path = calloc(n, sizeof *path);
    char *on_path = calloc(n, 1);
    if (!path || !on_path) {
        free(path);
        free(on_path);
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    }
    int v = -1;
    for (size_t i = 0; i < n && v < 0; i++)
        if (indeg[i] > 0)
            v = (int)i;
    size_t len = 0;
    while (!on_path[v]) {
        on_path[v] = 1;
        path[len++] = v;
        const cp_node *node = &g->nodes[v];
        for (size_t k = 0; k < node->n_in; k++) {
            int u = g->edges[node->first_in + k].from;
            if (indeg[u] > 0) {
                v = u;
                break;
            }
        }
    }
    char msg[CP_ERR_MSG_MAX] = "";
    size_t start = 0;
    while (path[start] != v)
        start++;
    /* The walk followed edges upstream: path[len-1] .. path[start] is the
     * cycle downstream.  Print it from the node listed first in nodes.csv,
     * so the message does not depend on where the search began. */
    const size_t m = len - start;
    size_t first = 0;
    for (size_t k = 1; k < m; k++)
        if (path[len - 1 - k] < path[len - 1 - first])
            first = k;
    /* Each step's edge: a scenario's closes the cycle and is named; else
     * the last line of edges.csv among them, with all of them listed. */
    char where[CP_ERR_MSG_MAX / 2] = "", lines[CP_ERR_MSG_MAX / 4] = "";
    long last = 0;
    for (size_t k = 0; k <= m; k++) {
        const int node = path[len - 1 - (first + k) % m];
        size_t used = strlen(msg);
        snprintf(msg + used, sizeof msg - used, "%s%s", k ? " -> " : "", g->nodes[node].name);
        const cp_node *to = &g->nodes[node];
        for (size_t e = 0; k && e < to->n_in; e++) {
            const cp_edge *in = &g->edges[to->first_in + e];
            if (in->from != path[len - 1 - (first + k - 1) % m])
                continue;
            if (in->added >= 0)
                cp_graph_edge_origin(g, ov, in, where, sizeof where);
            else {
                last = in->line > last ? in->line : last;
                used = strlen(lines);
                if (used + 24 < sizeof lines)
                    snprintf(lines + used, sizeof lines - used, "%s%ld", used ? ", " : "",
                             in->line);
            }
            break;
        }
    }
    free(path);
    free(on_path);
    if (where[0])
        return cp_err_set(err, CP_EINVAL, "%s: the graph has a cycle: %s", where, msg);
    return cp_err_set(err, CP_EINVAL,
                      "%s/edges.csv:%ld: the graph has a cycle: %s (its edges are on lines %s; "
                      "remove one of them)",
                      g->dir, last, msg, lines);
}

/* A market places its buyers' orders from their other inputs (power,
 * FLOP/s, watts, and the accelerators other inputs deliver), so it is
 * evaluated after those: each is a dependency (from -> market) besides
 * the edges.  Writes them to deps (pairs) if not
 * NULL; returns their count. */
static size_t market_deps(const cp_graph *g, int *deps)
{
    size_t count = 0;
    for (size_t e = 0; e < g->n_edges; e++) {
        const cp_edge *ed = &g->edges[e];
        if (g->nodes[ed->from].kind != CP_NODE_MARKET || ed->role != CP_ROLE_UNITS)
            continue;
        const cp_node *buyer = &g->nodes[ed->to];
        for (size_t k = 0; k < buyer->n_in; k++) {
            const cp_edge *in = &g->edges[buyer->first_in + k];
            if (in->role == CP_ROLE_UNITS && g->nodes[in->from].kind == CP_NODE_MARKET)
                continue;
            if (deps) {
                deps[2 * count] = in->from;
                deps[2 * count + 1] = ed->from;
            }
            count++;
        }
    }
    return count;
}

/* A market that a buyer's power, FLOP/s or watts depends on could not
 * place that buyer's orders. */
static int report_market_loop(const cp_graph *g, const char *placed, cp_err *err)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        if (!placed[i] && g->nodes[i].kind == CP_NODE_MARKET)
            return cp_err_set(err, CP_EINVAL,
                              "%s/edges.csv: market '%s' places its buyers' orders from their "
                              "power, flops and watts inputs, but one of those depends on the "
                              "market itself",
                              g->dir, g->nodes[i].name);
    return CP_OK;
}

/* Successors of every node over the graph's edges followed by the market
 * dependencies (pairs from, to): CSR arrays, start[n + 1] and the index
 * in `pairs` of each dependency, grouped by its `from`. */
typedef struct succ_list {
    size_t *start;
    size_t *dep;
} succ_list;

static int succ_build(size_t n, const int *pairs, size_t m, succ_list *s)
{
    s->start = calloc(n + 1, sizeof *s->start);
    s->dep = malloc((m ? m : 1) * sizeof *s->dep);
    if (!s->start || !s->dep)
        return 0;
    for (size_t k = 0; k < m; k++)
        s->start[pairs[2 * k] + 1]++;
    for (size_t i = 0; i < n; i++)
        s->start[i + 1] += s->start[i];
    size_t *fill = malloc((n ? n : 1) * sizeof *fill);
    if (!fill)
        return 0;
    memcpy(fill, s->start, n * sizeof *fill);
    for (size_t k = 0; k < m; k++)
        s->dep[fill[pairs[2 * k]]++] = k;
    free(fill);
    return 1;
}

static void succ_free(succ_list *s)
{
    free(s->start);
    free(s->dep);
}

/* Among the nodes Kahn's algorithm could not place: 1 if the edges alone
 * close a cycle (indeg is then each one's count of unplaced inputs left
 * after peeling those that are not on or behind it, as report_cycle needs),
 * 0 if only a market's orders do.  The first n_edges of the pairs are the
 * edges. */
static int has_edge_cycle(const cp_graph *g, const char *placed, int *indeg, const int *pairs,
                          const succ_list *s, int *queue)
{
    const size_t n = g->n_nodes;
    for (size_t i = 0; i < n; i++)
        indeg[i] = 0;
    for (size_t k = 0; k < g->n_edges; k++)
        if (!placed[pairs[2 * k]] && !placed[pairs[2 * k + 1]])
            indeg[pairs[2 * k + 1]]++;
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++)
        if (!placed[i] && indeg[i] == 0)
            queue[tail++] = (int)i;
    while (head < tail) {
        const int v = queue[head++];
        for (size_t j = s->start[v]; j < s->start[v + 1]; j++) {
            const size_t k = s->dep[j];
            const int to = pairs[2 * k + 1];
            if (k < g->n_edges && !placed[to] && --indeg[to] == 0)
                queue[tail++] = to;
        }
    }
    int left = 0;
    for (size_t i = 0; i < n; i++)
        left |= !placed[i] && indeg[i] > 0;
    return left;
}

/* The evaluation order is that of repeated passes over the nodes in file
 * order, each placing every node whose inputs are placed (stable, so
 * outputs listing nodes keep their order).  A node's pass is
 * max(1, max over its inputs u of pass(u) + [u comes after it]), since a
 * pass reaches u after the node exactly when u is later in the file; so
 * the passes are computed along any topological order (Kahn's, with a
 * queue) and the nodes sorted by (pass, index): O((n + e) log n) in all,
 * where placing pass by pass took O(n e). */
typedef struct placed_ref {
    size_t pass;
    int index;
} placed_ref;

static int placed_ref_cmp(const void *a, const void *b)
{
    const placed_ref *x = a, *y = b;
    if (x->pass != y->pass)
        return x->pass < y->pass ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

int cp_graph_sort(cp_graph *g, const cp_graph_override *ov, cp_err *err)
{
    const size_t n = g->n_nodes, n_deps = market_deps(g, NULL), m = g->n_edges + n_deps;
    int *pairs = malloc((2 * m + 2) * sizeof *pairs);
    int *indeg = calloc(n + 1, sizeof *indeg);
    int *queue = malloc((n + 1) * sizeof *queue);
    char *placed = calloc(n + 1, 1);
    placed_ref *refs = calloc(n + 1, sizeof *refs);
    succ_list s = {0};
    g->order = malloc((n + 1) * sizeof *g->order);
    int rc = CP_OK;
    if (!pairs || !indeg || !queue || !placed || !refs || !g->order) {
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < g->n_edges; k++) {
        pairs[2 * k] = g->edges[k].from;
        pairs[2 * k + 1] = g->edges[k].to;
    }
    market_deps(g, pairs + 2 * g->n_edges);
    if (!succ_build(n, pairs, m, &s)) {
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < m; k++)
        indeg[pairs[2 * k + 1]]++;
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++) {
        refs[i] = (placed_ref){1, (int)i};
        if (indeg[i] == 0)
            queue[tail++] = (int)i;
    }
    while (head < tail) {
        const int v = queue[head++];
        placed[v] = 1;
        for (size_t j = s.start[v]; j < s.start[v + 1]; j++) {
            const int to = pairs[2 * s.dep[j] + 1];
            const size_t pass = refs[v].pass + (v > to);
            if (pass > refs[to].pass)
                refs[to].pass = pass;
            if (--indeg[to] == 0)
                queue[tail++] = to;
        }
    }
    if (tail < n) {
        rc = has_edge_cycle(g, placed, indeg, pairs, &s, queue)
                 ? report_cycle(g, ov, indeg, err)
                 : report_market_loop(g, placed, err);
        goto out;
    }
    qsort(refs, n, sizeof *refs, placed_ref_cmp);
    for (size_t i = 0; i < n; i++)
        g->order[i] = refs[i].index;
out:
    succ_free(&s);
    free(pairs);
    free(indeg);
    free(queue);
    free(placed);
    free(refs);
    return rc;
}
