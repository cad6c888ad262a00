/* cp_model_build.c -- binding a scenario to a graph: multiplier slots for
 * the shocks' and events' targets, the nodes in topological order with
 * their inputs flattened, the binding labels, markets and their buyers,
 * the fleets' survival tables; the model's accessors; the workspace. */
#include "cp_model_impl.h"
#include "cp_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building --------------------------------------------------------- */

typedef struct slot_key {
    int node, param; /* param -1: output */
} slot_key;

typedef struct slot_table {
    slot_key *keys;
    size_t n, cap;
} slot_table;

static int slot_for(slot_table *t, int node, int param)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->keys[i].node == node && t->keys[i].param == param)
            return (int)i;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        slot_key *grown = realloc(t->keys, cap * sizeof *grown);
        if (!grown)
            return -1;
        t->keys = grown;
        t->cap = cap;
    }
    t->keys[t->n] = (slot_key){node, param};
    return (int)t->n++;
}

static int resolve_targets(cp_model *m, slot_table *slots, const cp_target *targets,
                           size_t n_targets, int file, long line, const char *what,
                           const char *name, size_t *first, size_t *count, cp_err *err)
{
    const cp_graph *g = m->g;
    /* The file that gave the targets: a base scenario's, or the child's. */
    const char *path = m->sc->files ? m->sc->files[file] : m->sc->path;
    int *grown = realloc(m->slot_refs, (m->n_slot_refs + n_targets) * sizeof *grown);
    if (!grown)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    m->slot_refs = grown;
    *first = m->n_slot_refs;
    *count = n_targets;
    for (size_t i = 0; i < n_targets; i++) {
        const cp_target *t = &targets[i];
        int node = cp_graph_find(g, t->node);
        if (node < 0)
            return cp_err_set(err, CP_EINVAL,
                              "%s:%ld: [%s %s]: key 'targets': unknown node '%s' (neither in "
                              "%s/nodes.csv nor added by a [node] section)",
                              path, line, what, name, t->node, g->dir);
        int param = -1;
        if (!t->param[0] && g->nodes[node].kind == CP_NODE_MARKET)
            return cp_err_set(err, CP_EINVAL,
                              "%s:%ld: [%s %s]: key 'targets': '%s' is a market, whose output "
                              "reports what its buyers received, so a multiplier on it would "
                              "change a number and nothing else; target its capacity (the "
                              "node feeding it) instead",
                              path, line, what, name, t->node);
        if (t->param[0]) {
            param = cp_graph_param_index(g->nodes[node].kind, t->param);
            if (param < 0)
                return cp_err_set(err, CP_EINVAL,
                                  "%s:%ld: [%s %s]: key 'targets': %s node '%s' has no "
                                  "parameter '%s'",
                                  path, line, what, name, cp_graph_kind_name(g->nodes[node].kind),
                                  t->node, t->param);
            if (cp_graph_param_is_initial(g->nodes[node].kind, param))
                return cp_err_set(err, CP_EINVAL,
                                  "%s:%ld: [%s %s]: key 'targets': '%s.%s' is read once, "
                                  "before any shock (an initial condition, the lifetime "
                                  "distribution of a deploy node, or a constant of its "
                                  "ordering or price response), so a shock on it would "
                                  "have no effect; set it with [param %s]%s",
                                  path, line, what, name, t->node, t->param, t->node,
                                  g->nodes[node].kind == CP_NODE_VINTAGE
                                      ? ", or target the vintage node itself to scale its "
                                        "accelerators"
                                      : "");
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(targets[k].node, t->node) == 0 && strcmp(targets[k].param, t->param) == 0)
                return cp_err_set(err, CP_EINVAL,
                                  "%s:%ld: [%s %s]: key 'targets': '%s%s%s' is listed twice", path,
                                  line, what, name, t->node, t->param[0] ? "." : "", t->param);
        int slot = slot_for(slots, node, param);
        if (slot < 0)
            return cp_err_set(err, CP_ENOMEM, "out of memory");
        m->slot_refs[m->n_slot_refs++] = slot;
    }
    return CP_OK;
}

/* Two names hashing to one stream would silently share random numbers. */
static int check_streams(const cp_model *m, cp_err *err)
{
    size_t n = m->n_shocks + m->n_events;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            uint32_t a = i < m->n_shocks ? m->shocks[i].stream : m->events[i - m->n_shocks].stream;
            uint32_t b = j < m->n_shocks ? m->shocks[j].stream : m->events[j - m->n_shocks].stream;
            if (a == b)
                return cp_err_set(err, CP_EINVAL,
                                  "%s: two shocks or events hash to the same random stream; "
                                  "rename one of them",
                                  m->sc->path);
        }
    return CP_OK;
}

/* Every shock and then every event multiplies its slots every quarter, in
 * the order of slot_refs; a slot's first ref writes its factor, where
 * multiplying a slot of 1.0 by it would give the same bits, so the slots
 * need no filling with 1.0 each quarter. */
static int mark_first_refs(cp_model *m, size_t n_slots, cp_err *err)
{
    m->ref_first = calloc(m->n_slot_refs + 1, sizeof *m->ref_first);
    uint8_t *seen = calloc(n_slots + 1, 1);
    if (!m->ref_first || !seen) {
        free(seen);
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < m->n_slot_refs; k++) {
        m->ref_first[k] = !seen[m->slot_refs[k]];
        seen[m->slot_refs[k]] = 1;
    }
    free(seen);
    return CP_OK;
}

static uint32_t stream_of(const char *prefix, const char *name)
{
    char key[2 * CP_NAME_MAX];
    snprintf(key, sizeof key, "%s:%s", prefix, name);
    return cp_rng_stream_id(key);
}

static int build_shocks(cp_model *m, slot_table *slots, cp_err *err)
{
    const cp_scenario *sc = m->sc;
    size_t n = sc->n_shocks;
    for (size_t j = 0; j < n; j++) {
        mshock *s = &m->shocks[j];
        s->src = &sc->shocks[j];
        s->stream = stream_of("shock", s->src->name);
        s->innovation_scale = sqrt(1.0 - s->src->rho * s->src->rho);
        if (cp_ztable_init(&s->table, &s->src->dist))
            return cp_err_set(err, CP_ENOMEM, "out of memory");
        /* A shock drawn once still needs innovations every quarter when a
         * later shock is correlated with it through L. */
        s->needs_every_quarter = !cp_shock_drawn_once(s->src->time);
        for (size_t i = j + 1; i < n; i++)
            if (sc->chol[i * n + j] != 0.0 && !cp_shock_drawn_once(sc->shocks[i].time))
                s->needs_every_quarter = 1;
        int rc = resolve_targets(m, slots, s->src->targets, s->src->n_targets, s->src->targets_file,
                                 s->src->targets_line, "shock", s->src->name, &s->first_slot,
                                 &s->n_slots, err);
        if (rc)
            return rc;
    }
    return CP_OK;
}

static int build_events(cp_model *m, slot_table *slots, cp_err *err)
{
    for (size_t e = 0; e < m->n_events; e++) {
        mevent *ev = &m->events[e];
        ev->src = &m->sc->events[e];
        ev->stream = stream_of("event", ev->src->name);
        ev->start = ev->src->start < 0 ? -1 : (long)ev->src->start - m->sc->start;
        for (size_t k = 0; k < ev->src->n_targets; k++)
            ev->partial |= ev->src->exposure[k] != 1.0;
        int rc = resolve_targets(m, slots, ev->src->targets, ev->src->n_targets,
                                 ev->src->targets_file, ev->src->targets_line, "event",
                                 ev->src->name, &ev->first_slot, &ev->n_slots, err);
        if (rc)
            return rc;
    }
    return CP_OK;
}

/* Only deploy and market nodes have fields beyond `output`, so only they
 * get CP_FIELDS_MAX items of the value array: the array stays small enough
 * to stay in cache. */
static int has_fields(cp_node_kind kind)
{
    return kind == CP_NODE_DEPLOY || kind == CP_NODE_MARKET;
}

static int build_inputs(cp_model *m, cp_err *err)
{
    const cp_graph *g = m->g;
    const size_t n = g->n_edges + 1;
    m->in_at = calloc(n, sizeof *m->in_at);
    m->in_role = calloc(n, sizeof *m->in_role);
    m->in_weight = calloc(n, sizeof *m->in_weight);
    m->in_kind = calloc(n, sizeof *m->in_kind);
    m->in_from = calloc(n, sizeof *m->in_from);
    m->node_base = calloc(g->n_nodes + 1, sizeof *m->node_base);
    if (!m->in_at || !m->in_role || !m->in_weight || !m->in_kind || !m->in_from || !m->node_base)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_nodes; i++) {
        m->node_base[i] = m->n_values;
        m->n_values += has_fields(g->nodes[i].kind) ? CP_FIELDS_MAX : 1;
    }
    for (size_t e = 0; e < g->n_edges; e++) {
        const cp_edge *ed = &g->edges[e];
        m->in_at[e] = m->node_base[ed->from];
        m->in_from[e] = ed->from;
        m->in_kind[e] = g->nodes[ed->from].kind;
        m->in_role[e] = ed->role;
        m->in_weight[e] = g->nodes[ed->to].kind == CP_NODE_ASSEMBLE ? 1.0 / ed->weight : ed->weight;
    }
    return CP_OK;
}

static void build_nodes(cp_model *m, const slot_table *slots)
{
    const cp_graph *g = m->g;
    for (size_t k = 0; k < m->n_nodes; k++) {
        const int i = g->order[k];
        const cp_node *src = &g->nodes[i];
        mnode *n = &m->nodes[k];
        n->kind = src->kind;
        n->index = i;
        memcpy(n->param, src->param, sizeof n->param);
        n->series = src->series;
        n->first_in = src->first_in;
        n->n_in = src->n_in;
        n->out_slot = -1;
        for (int p = 0; p < CP_PARAMS_MAX; p++)
            n->param_slot[p] = -1;
        for (size_t s = 0; s < slots->n; s++) {
            if (slots->keys[s].node != i)
                continue;
            if (slots->keys[s].param < 0)
                n->out_slot = (int)s;
            else
                n->param_slot[slots->keys[s].param] = (int)s;
        }
        n->state = -1;
        n->keep = 1.0 - 1.0 / n->param[1];
        n->base = m->node_base[i];
        n->market = -1;
        if (n->kind == CP_NODE_STOCK)
            n->state = (int)m->n_stocks++;
        else if (n->kind == CP_NODE_DELAY)
            n->state = (int)m->n_delays++;
        else if (n->kind == CP_NODE_DEPLOY)
            n->state = (int)m->n_deploys++;
        else if (n->kind == CP_NODE_MARKET)
            n->state = (int)m->n_markets++;
    }
    size_t row = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].kind == CP_NODE_DEPLOY)
            m->binding_node[row++] = (int)i;
    for (size_t k = 0; k < m->n_nodes; k++)
        for (size_t r = 0; r < m->n_deploys; r++)
            if (m->binding_node[r] == m->nodes[k].index)
                m->nodes[k].row = (int)r;
}

/* The labels of what binds: four that the deploy and market rules give,
 * then each distinct `constraint` of nodes.csv in node order. */
static const char *const fixed_labels[LABEL_FIXED] = {"orders", "export", "power", "chips"};

static int label_index(const cp_model *m, const char *name)
{
    for (size_t k = 0; k < m->n_labels; k++)
        if (strcmp(m->labels[k], name) == 0)
            return (int)k;
    return -1;
}

static int build_labels(cp_model *m, cp_err *err)
{
    const cp_graph *g = m->g;
    m->labels = calloc(LABEL_FIXED + g->n_nodes, sizeof *m->labels);
    if (!m->labels)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t k = 0; k < LABEL_FIXED; k++)
        snprintf(m->labels[m->n_labels++], CP_LABEL_MAX, "%s", fixed_labels[k]);
    for (size_t i = 0; i < g->n_nodes; i++) {
        const char *c = g->nodes[i].constraint;
        if (*c && label_index(m, c) < 0)
            snprintf(m->labels[m->n_labels++], CP_LABEL_MAX, "%s", c);
    }
    if (m->n_labels >= NO_LABEL)
        return cp_err_set(err, CP_EINVAL, "%s/nodes.csv: more than %d distinct constraints", g->dir,
                          NO_LABEL - LABEL_FIXED - 1);
    for (size_t k = 0; k < m->n_nodes; k++) {
        mnode *nd = &m->nodes[k];
        const char *c = g->nodes[nd->index].constraint;
        nd->label = *c ? label_index(m, c) : -1;
        const cp_role role = nd->kind == CP_NODE_ELASTIC ? CP_ROLE_FLOW : CP_ROLE_IN;
        int carriers = 0;
        nd->label_from = -1;
        for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++)
            if (m->in_role[e] == role && carriers++ == 0)
                nd->label_from = m->in_from[e];
        if (carriers != 1)
            nd->label_from = -1;
    }
    return CP_OK;
}

/* Labels are read only along what feeds a deploy node's power and units
 * (through the roles that carry a flow: in, flow and cap; a market's capacity),
 * so only the nodes there compute them. */
static void mark_labelled(cp_model *m)
{
    const cp_graph *g = m->g;
    int *pos = calloc(g->n_nodes + 1, sizeof *pos);
    if (!pos) { /* without the map, label everything: slower, same result */
        for (size_t k = 0; k < m->n_nodes; k++)
            m->nodes[k].labelled = 1;
        return;
    }
    for (size_t k = 0; k < m->n_nodes; k++)
        pos[m->nodes[k].index] = (int)k;
    /* Downstream first (reverse topological order), so a node's readers are
     * marked before it. */
    for (size_t k = m->n_nodes; k-- > 0;) {
        mnode *nd = &m->nodes[k];
        if (nd->kind == CP_NODE_DEPLOY)
            nd->labelled = 1;
        if (!nd->labelled)
            continue;
        for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
            const cp_role r = m->in_role[e];
            if (r == CP_ROLE_IN || r == CP_ROLE_FLOW || r == CP_ROLE_CAP || r == CP_ROLE_POWER ||
                r == CP_ROLE_UNITS || r == CP_ROLE_LIQUID)
                m->nodes[pos[m->in_from[e]]].labelled = 1;
        }
    }
    free(pos);
}

/* Whether elastic nodes a and b take the same price inputs (the same
 * nodes, in the same order, so their sums are the same bits) with the same
 * reference and elasticity, neither of them shocked. */
static int same_response(const cp_model *m, const mnode *a, const mnode *b)
{
    if (a->param_slot[0] >= 0 || a->param_slot[1] >= 0 || b->param_slot[0] >= 0 ||
        b->param_slot[1] >= 0 || memcmp(&a->param[0], &b->param[0], sizeof a->param[0]) != 0 ||
        memcmp(&a->param[1], &b->param[1], sizeof a->param[1]) != 0)
        return 0;
    size_t i = a->first_in, j = b->first_in;
    const size_t a_end = a->first_in + a->n_in, b_end = b->first_in + b->n_in;
    for (;;) {
        while (i < a_end && m->in_role[i] != CP_ROLE_PRICE)
            i++;
        while (j < b_end && m->in_role[j] != CP_ROLE_PRICE)
            j++;
        if (i == a_end || j == b_end)
            return i == a_end && j == b_end;
        if (m->in_from[i++] != m->in_from[j++])
            return 0;
    }
}

/* An elastic node's price response, ratio^-e, depends on its price inputs,
 * reference and elasticity only; where several nodes have the same ones
 * (the four regions' build-out responding to one cost of a MW), the first
 * in topological order computes it (a log and an exp per lane) and the
 * others read it: the same bits, as every input is final by then. */
static void share_responses(cp_model *m)
{
    for (size_t k = 0; k < m->n_nodes; k++) {
        mnode *nd = &m->nodes[k];
        nd->response = -1;
        if (nd->kind != CP_NODE_ELASTIC)
            continue;
        for (size_t j = 0; j < k; j++) {
            mnode *first = &m->nodes[j];
            if (first->kind != CP_NODE_ELASTIC || !same_response(m, first, nd))
                continue;
            if (first->response < 0) {
                first->response = (int)m->n_responses++;
                first->response_first = 1;
            }
            nd->response = first->response;
            break;
        }
    }
}

static const mnode *node_by_index(const cp_model *m, int index)
{
    for (size_t k = 0; k < m->n_nodes; k++)
        if (m->nodes[k].index == index)
            return &m->nodes[k];
    return NULL;
}

/* Where an edge was declared, for messages. */
static void edge_where(const cp_model *m, const cp_edge *e, char *buf, size_t cap)
{
    if (e->added < 0)
        snprintf(buf, cap, "%s/edges.csv:%ld", m->g->dir, e->line);
    else
        snprintf(buf, cap, "a scenario's [edge] at line %ld", e->line);
}

/* A market's buyers are the deploy nodes its `units` edges feed; each
 * buyer has one market at most, and the buyers of a market share one
 * lifetime (the pool of returned accelerators ages as they do). */
static int build_market_buyers(cp_model *m, mnode *mk, size_t *n_buyers, cp_err *err)
{
    const cp_graph *g = m->g;
    mmarket *mm = &m->markets[mk->state];
    mm->first_buyer = *n_buyers;
    for (size_t e = 0; e < g->n_edges; e++) {
        const cp_edge *ed = &g->edges[e];
        if (ed->from != mk->index)
            continue;
        mnode *buyer = (mnode *)node_by_index(m, ed->to);
        char where[512];
        edge_where(m, ed, where, sizeof where);
        if (ed->role != CP_ROLE_UNITS && ed->role != CP_ROLE_IN)
            continue;
        if (ed->role == CP_ROLE_UNITS && buyer->kind != CP_NODE_DEPLOY)
            return cp_err_set(err, CP_EINVAL,
                              "%s: market '%s' feeds '%s' as 'units', but only deploy nodes "
                              "buy from a market",
                              where, g->nodes[mk->index].name, g->nodes[ed->to].name);
        if (ed->role != CP_ROLE_UNITS)
            continue;
        if (buyer->market >= 0)
            return cp_err_set(err, CP_EINVAL, "%s: deploy node '%s' buys from a second market",
                              where, g->nodes[ed->to].name);
        buyer->market = mk->state;
        m->buyers[*n_buyers] = buyer->state;
        m->buyer_node[*n_buyers] = (int)(buyer - m->nodes);
        m->buyer_limit[*n_buyers] = buyer->param[10];
        (*n_buyers)++;
        mm->n_buyers++;
    }
    if (mm->n_buyers == 0)
        return cp_err_set(err, CP_EINVAL,
                          "%s/edges.csv: market '%s' has no buyers: connect it to deploy nodes "
                          "with 'units' edges",
                          g->dir, g->nodes[mk->index].name);
    return CP_OK;
}

static int check_buyers_share_lifetime(const cp_model *m, const mnode *mk, cp_err *err)
{
    const mnode *first = NULL;
    for (size_t k = 0; k < m->n_nodes; k++) {
        const mnode *b = &m->nodes[k];
        if (b->kind != CP_NODE_DEPLOY || b->market != mk->state)
            continue;
        if (!first) {
            first = b;
            continue;
        }
        if (b->param[1] != first->param[1] || b->param[6] != first->param[6])
            return cp_err_set(err, CP_EINVAL,
                              "%s/params.csv: deploy nodes '%s' and '%s' buy from market '%s' "
                              "but differ in lifetime or lifetime_shape; the market's pool of "
                              "returned accelerators needs one lifetime",
                              m->g->dir, m->g->nodes[first->index].name, m->g->nodes[b->index].name,
                              m->g->nodes[mk->index].name);
    }
    return CP_OK;
}

static int build_markets(cp_model *m, cp_err *err)
{
    const size_t n_edges = m->g->n_edges + 1;
    m->markets = calloc(m->n_markets + 1, sizeof *m->markets);
    m->buyers = calloc(n_edges, sizeof *m->buyers);
    m->buyer_node = calloc(n_edges, sizeof *m->buyer_node);
    m->buyer_limit = calloc(n_edges, sizeof *m->buyer_limit);
    if (!m->markets || !m->buyers || !m->buyer_node || !m->buyer_limit)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    size_t n_buyers = 0;
    for (size_t k = 0; k < m->n_nodes; k++) {
        if (m->nodes[k].kind != CP_NODE_MARKET)
            continue;
        int rc = build_market_buyers(m, &m->nodes[k], &n_buyers, err);
        m->n_buyers = n_buyers;
        if (!rc)
            rc = check_buyers_share_lifetime(m, &m->nodes[k], err);
        if (rc)
            return rc;
    }
    return CP_OK;
}

/* Whether a deploy node has a 'units' input from a stream node. */
static int has_role(const cp_model *m, const mnode *nd, cp_role role)
{
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++)
        if (m->in_role[e] == role)
            return 1;
    return 0;
}

static int receives_streams(const cp_model *m, const mnode *nd)
{
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++)
        if (m->in_role[e] == CP_ROLE_UNITS && m->in_kind[e] == CP_NODE_STREAM)
            return 1;
    return 0;
}

/* A starting vintage as build_fleet_specs collects it. */
typedef struct start_vintage {
    double units, flops, watts, age;
    int slot;     /* the multiplier slot of its node's output, -1: none */
    size_t given; /* 0: the deploy node's own, then its 'start' inputs in order */
} start_vintage;

/* Oldest first; among vintages of one age, in the order given. */
static int start_vintage_cmp(const void *a, const void *b)
{
    const start_vintage *x = a, *y = b;
    if (x->age != y->age)
        return x->age > y->age ? -1 : 1;
    return (x->given > y->given) - (x->given < y->given);
}

_Static_assert(CP_GRAPH_VINTAGES_MAX + 1 == CP_FLEET_STARTS,
               "a fleet holds the deploy node's own starting vintage and its 'start' inputs");

/* A deploy node's starting vintages, oldest first (its own, described by
 * its initial_* parameters, and its 'start' inputs); returns how many. */
static size_t start_vintages(const cp_model *m, const mnode *nd, start_vintage *v)
{
    size_t n = 0;
    v[n++] = (start_vintage){nd->param[3], nd->param[4], nd->param[5], nd->param[7], -1, 0};
    /* cp_graph allows CP_GRAPH_VINTAGES_MAX 'start' inputs: n stays in v */
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in && n < CP_FLEET_STARTS; e++) {
        if (m->in_role[e] != CP_ROLE_START)
            continue;
        const mnode *from = node_by_index(m, m->in_from[e]);
        v[n] = (start_vintage){from->param[0], from->param[1], from->param[2],
                               from->param[3], from->out_slot, n};
        n++;
    }
    qsort(v, n, sizeof *v, start_vintage_cmp);
    return n;
}

/* Each deploy node's survival tables: its cohorts' and each starting
 * vintage's (which is its age quarters old at the start). */
static int build_fleet_specs(cp_model *m, cp_err *err)
{
    const size_t len = m->T + 2, tables = 1 + CP_FLEET_STARTS;
    m->fleet_spec = calloc(m->n_deploys + 1, sizeof *m->fleet_spec);
    m->survival = calloc(tables * len * (m->n_deploys + 1), sizeof *m->survival);
    m->start_slot = calloc(CP_FLEET_STARTS * (m->n_deploys + 1), sizeof *m->start_slot);
    if (!m->fleet_spec || !m->survival || !m->start_slot)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t k = 0; k < m->n_nodes; k++) {
        const mnode *nd = &m->nodes[k];
        if (nd->kind != CP_NODE_DEPLOY)
            continue;
        double *surv = &m->survival[tables * len * (size_t)nd->state];
        cp_fleet_survival(nd->param[1], nd->param[6], 0.0, len, surv);
        cp_fleet_spec *sp = &m->fleet_spec[nd->state];
        *sp = (cp_fleet_spec){.T = m->T,
                              .surv = surv,
                              .own = receives_streams(m, nd),
                              .thermal = has_role(m, nd, CP_ROLE_LIQUID)};
        start_vintage v[CP_FLEET_STARTS];
        sp->n_start = start_vintages(m, nd, v);
        int *slot = &m->start_slot[CP_FLEET_STARTS * (size_t)nd->state];
        for (size_t i = 0; i < CP_FLEET_STARTS; i++) {
            slot[i] = i < sp->n_start ? v[i].slot : -1;
            if (i >= sp->n_start)
                continue;
            double *si = surv + (1 + i) * len;
            cp_fleet_survival(nd->param[1], nd->param[6], v[i].age, len, si);
            sp->start[i] = (cp_fleet_start){v[i].units, v[i].flops, v[i].watts, si};
        }
    }
    return CP_OK;
}

int cp_model_build(const cp_scenario *sc, const cp_graph *g, cp_model **out, cp_err *err)
{
    *out = NULL;
    cp_model *m = calloc(1, sizeof *m);
    if (!m)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    m->sc = sc;
    m->g = g;
    m->T = (size_t)g->n_periods;
    m->n_nodes = g->n_nodes;
    m->n_shocks = sc->n_shocks;
    m->n_events = sc->n_events;
    m->nodes = calloc(m->n_nodes, sizeof *m->nodes);
    m->shocks = calloc(m->n_shocks + 1, sizeof *m->shocks);
    m->events = calloc(m->n_events + 1, sizeof *m->events);
    m->binding_node = calloc(m->n_nodes + 1, sizeof *m->binding_node);
    slot_table slots = {0};
    int rc = CP_OK;
    if (!m->nodes || !m->shocks || !m->events || !m->binding_node)
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
    if (!rc)
        rc = build_shocks(m, &slots, err);
    if (!rc)
        rc = build_events(m, &slots, err);
    if (!rc)
        rc = check_streams(m, err);
    if (!rc)
        rc = mark_first_refs(m, slots.n, err);
    if (!rc)
        rc = build_inputs(m, err);
    if (!rc) {
        m->n_slots = slots.n;
        build_nodes(m, &slots);
        share_responses(m);
        rc = build_labels(m, err);
        mark_labelled(m);
    }
    if (!rc)
        rc = build_markets(m, err);
    if (!rc)
        rc = build_fleet_specs(m, err);
    free(slots.keys);
    if (rc) {
        cp_model_free(m);
        return rc;
    }
    *out = m;
    return CP_OK;
}

void cp_model_free(cp_model *m)
{
    if (!m)
        return;
    free(m->nodes);
    for (size_t j = 0; m->shocks && j < m->n_shocks; j++)
        cp_ztable_free(&m->shocks[j].table);
    free(m->shocks);
    free(m->events);
    free(m->slot_refs);
    free(m->ref_first);
    free(m->in_at);
    free(m->in_role);
    free(m->in_weight);
    free(m->binding_node);
    free(m->in_kind);
    free(m->in_from);
    free(m->node_base);
    free(m->fleet_spec);
    free(m->survival);
    free(m->start_slot);
    free(m->markets);
    free(m->buyers);
    free(m->buyer_node);
    free(m->buyer_limit);
    free(m->labels);
    free(m);
}

size_t cp_model_periods(const cp_model *m)
{
    return m->T;
}

size_t cp_model_cells(const cp_model *m)
{
    return m->g->n_metrics * m->T;
}

size_t cp_model_extras(const cp_model *m)
{
    return (m->n_shocks + m->n_events) * m->T;
}

const cp_graph *cp_model_graph(const cp_model *m)
{
    return m->g;
}

const cp_scenario *cp_model_scenario(const cp_model *m)
{
    return m->sc;
}

size_t cp_model_binding_rows(const cp_model *m)
{
    return m->n_deploys;
}

const char *cp_model_binding_node(const cp_model *m, size_t row)
{
    return m->g->nodes[m->binding_node[row]].name;
}

const char *cp_model_binding_region(const cp_model *m, size_t row)
{
    return m->g->nodes[m->binding_node[row]].region;
}

size_t cp_model_binding_labels(const cp_model *m)
{
    return m->n_labels;
}

const char *cp_model_binding_label(const cp_model *m, size_t k)
{
    return m->labels[k];
}

const uint8_t *cp_model_binding(const cp_workspace *w)
{
    return w->binding;
}

const double *cp_model_latent(const cp_workspace *w)
{
    return w->z;
}

/* ---- workspace -------------------------------------------------------- */

static double *lanes_of(size_t items)
{
    return calloc((items ? items : 1) * LANES, sizeof(double));
}

cp_workspace *cp_workspace_alloc(const cp_model *m, uint64_t seed)
{
    cp_workspace *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->rng = cp_rng_alloc(seed);
    w->seed = seed;
    w->key_offset = calloc(m->n_shocks + m->n_events + 1, sizeof *w->key_offset);
    w->eps = lanes_of(m->n_shocks);
    w->eps_next = lanes_of(m->n_shocks);
    w->z = lanes_of(m->n_shocks);
    w->shock_value = lanes_of(m->n_shocks);
    w->mult = lanes_of(m->n_slots);
    w->value = lanes_of(m->n_values);
    w->stock = lanes_of(m->n_stocks);
    w->cum = lanes_of(m->g->n_cumulative);
    w->delay_history = lanes_of(m->n_delays * m->T);
    w->fleets = calloc(m->n_deploys + 1, sizeof *w->fleets);
    w->market_fleets = calloc(m->g->n_edges + 1, sizeof *w->market_fleets);
    w->pool_units = lanes_of(m->n_markets * m->T);
    w->pools = calloc(m->n_markets + 1, sizeof *w->pools);
    w->want = lanes_of(m->g->n_edges);
    w->units = lanes_of(1);
    w->own_units = lanes_of(1);
    w->own_flops = lanes_of(1);
    w->own_watts = lanes_of(1);
    w->power_in = lanes_of(1);
    w->pue = lanes_of(1);
    w->replace = lanes_of(1);
    w->label = calloc((m->n_nodes + 1) * LANES, 1);
    int fleets_ok = w->fleets != NULL;
    for (size_t d = 0; fleets_ok && d < m->n_deploys; d++) {
        fleets_ok = cp_fleet_alloc(&w->fleets[d], m->T, LANES, m->fleet_spec[d].own,
                                   m->fleet_spec[d].thermal) == 0;
        w->n_fleets += fleets_ok;
    }
    for (size_t b = 0; fleets_ok && w->market_fleets && b < m->n_buyers; b++)
        w->market_fleets[b] = &w->fleets[m->buyers[b]];
    int32_t **const ints[] = {&w->ev.left, &w->ev.recover_left, &w->ev.recover_len, &w->ev.started};
    int events_ok = 1;
    for (size_t k = 0; k < sizeof ints / sizeof *ints; k++)
        events_ok &= (*ints[k] = calloc((m->n_events + 1) * LANES, sizeof(int32_t))) != NULL;
    w->ev.severity = lanes_of(m->n_events);
    w->ev.lasting = lanes_of(m->n_events);
    w->ev.held = lanes_of(m->n_events);
    w->acc = lanes_of(1);
    w->scale = lanes_of(1);
    w->tmp = lanes_of(1);
    w->response = lanes_of(m->n_responses);
    w->binding = calloc((m->n_deploys * m->T + 1) * LANES, 1);
    if (!w->binding || !w->rng || !w->eps || !w->eps_next || !w->z || !w->shock_value || !w->mult ||
        !w->value || !w->stock || !w->cum || !w->delay_history || !fleets_ok || !w->market_fleets ||
        !w->pool_units || !w->pools || !w->want || !w->units || !w->power_in || !w->pue ||
        !w->replace || !w->own_units || !w->own_flops || !w->own_watts || !w->label || !events_ok ||
        !w->ev.severity || !w->ev.lasting || !w->ev.held || !w->acc || !w->scale || !w->tmp ||
        !w->key_offset || !w->response) {
        cp_workspace_free(w);
        return NULL;
    }
    return w;
}

void cp_workspace_free(cp_workspace *w)
{
    if (!w)
        return;
    if (w->rng)
        gsl_rng_free(w->rng);
    free(w->key_offset);
    free(w->eps);
    free(w->eps_next);
    free(w->z);
    free(w->shock_value);
    free(w->mult);
    free(w->value);
    free(w->stock);
    free(w->cum);
    free(w->delay_history);
    for (size_t d = 0; w->fleets && d < w->n_fleets; d++)
        cp_fleet_free(&w->fleets[d]);
    free(w->fleets);
    free(w->market_fleets);
    free(w->pool_units);
    free(w->pools);
    free(w->want);
    free(w->units);
    free(w->own_units);
    free(w->own_flops);
    free(w->own_watts);
    free(w->power_in);
    free(w->pue);
    free(w->replace);
    free(w->label);
    free(w->ev.left);
    free(w->ev.recover_left);
    free(w->ev.recover_len);
    free(w->ev.started);
    free(w->ev.severity);
    free(w->ev.lasting);
    free(w->ev.held);
    free(w->acc);
    free(w->scale);
    free(w->tmp);
    free(w->response);
    free(w->binding);
    free(w);
}
