/* cp_model.c -- binding a scenario to a graph, and simulating one path.
 *
 * Shocks.  Each shock has a latent standard normal z that becomes its
 * multiplier through the shock's distribution (a Gaussian copula).  Every
 * quarter each shock draws an innovation eps from its own random stream
 * (seed, sample, shock name, quarter): one of the two Box-Muller normals of
 * the first Philox block of substream quarter / 2 (cp_rng_gaussians: the
 * cos one in even quarters, the sin one in odd), all lanes at once.  The
 * innovations are correlated by the Cholesky factor L of the scenario's
 * correlation matrix, eta = L eps, and the time structure turns eta into
 * z: once (z = eta of the first quarter, held), quarterly (z = eta), ar1
 * (z = rho z' + sqrt(1 - rho^2) eta, which keeps z standard normal in every
 * quarter), trend (z held as for once; the multiplier in quarter t is
 * exp((t / 4)(mu + sigma z)), a one-year lognormal raised to t / 4).
 *
 * Events.  Each quarter an event not under way starts with its probability
 * (a dated event only in its quarter; an event that happens once, not
 * after its first onset); it then lasts ceil(duration) quarters (at least
 * one) and removes a share `severity` of each target, then recovers in a
 * straight line over ceil(recovery) quarters to the part that lasts, which
 * is held for the rest of the path.  It is under way until its recovery
 * ends.  Its draws come from its own stream too.
 *
 * Targets.  Shocks and events act through multiplier slots: one per targeted
 * node output or node parameter.  Slots start each quarter at 1 and every
 * shock or event on them multiplies in.
 */
#include "cp_model.h"
#include "cp_fleet.h"
#include "cp_math.h"
#include "cp_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A node as the simulation needs it: the kind, its parameters, where its
 * inputs are, and which multiplier slots apply to it. */
typedef struct mnode {
    cp_node_kind kind;
    int index; /* in the graph, which is also its place in the value array */
    double param[CP_PARAMS_MAX];
    const double *series;
    int out_slot;                  /* -1: no multiplier on the output */
    int param_slot[CP_PARAMS_MAX]; /* -1: none on that parameter */
    size_t first_in, n_in;         /* into the graph's edges */
    int state;                     /* index of this node's state (stock, delay, deploy) */
    int row;                       /* deploy: its binding row */
    double keep;                   /* stock: 1 - 1/lifetime, unless a shock moves it */
    size_t base;                   /* where its fields are in the value array (items) */
    int label;                     /* its constraint label, -1 if none */
    int market;                    /* deploy: the market it buys from (state index), or -1 */
    int labelled;                  /* 1 if a deploy node's binding can read its label */
    int label_from;                /* its only input carrying the flow (graph index), or -1 */
    int response;                  /* elastic: its shared price response (index), or -1 */
    int response_first;            /* 1 if it computes that response, 0 if it reads it */
} mnode;

/* A market: its buyers (deploy state indices), their first-quarter weights
 * and import limits. */
typedef struct mmarket {
    size_t first_buyer, n_buyers; /* into cp_model.buyers */
} mmarket;

typedef struct mshock {
    const cp_shock *src;
    uint32_t stream;
    double innovation_scale; /* sqrt(1 - rho^2) for ar1 */
    int needs_every_quarter; /* an innovation each quarter (not only the first) */
    size_t first_slot, n_slots;
} mshock;

typedef struct mevent {
    const cp_event *src;
    uint32_t stream;
    long start;  /* the quarter (from 0) a dated event starts in; -1: any */
    int partial; /* 1 if a target's exposure is below 1 */
    size_t first_slot, n_slots;
} mevent;

/* An event in one lane: the quarters left of its outage and of its
 * recovery, the loss at onset, the part of it that lasts, and what earlier
 * onsets left lost for good. */
typedef struct event_lane {
    int left, recover_left, recover_len, started;
    double severity, lasting, held;
} event_lane;

struct cp_model {
    const cp_scenario *sc;
    const cp_graph *g;
    size_t T, n_nodes, n_shocks, n_events, n_slots;
    mnode *nodes; /* in topological order */
    mshock *shocks;
    mevent *events;
    int *slot_refs;     /* the slots each shock and event multiplies */
    uint8_t *ref_first; /* per slot ref: 1 if it is its slot's first (mark_first_refs) */
    size_t n_slot_refs;
    /* The graph's edges, flattened for the inner loop: where each input's
     * value is, its role, and its weight (for assemble, its reciprocal, so
     * the loop multiplies instead of dividing). */
    size_t *in_at;
    size_t *node_base; /* per graph node: where its fields start in the value array */
    int *in_from;      /* per edge: the graph index of the node it comes from */
    int *in_market;    /* per edge: 1 if it comes from a market (its buyer reads no value) */
    cp_role *in_role;
    double *in_weight;
    size_t n_stocks, n_delays, n_deploys, n_markets;
    int *binding_node; /* binding row -> graph node index (deploy nodes in graph order) */
    size_t n_values;   /* items of the value array: one field per node, all for deploy, market */
    cp_fleet_spec *fleet_spec; /* per deploy node (state index) */
    double *survival;          /* the specs' tables: per deploy, 2 x (T + 2) */
    mmarket *markets;          /* per market node (state index) */
    int *buyers;               /* deploy state indices, markets' buyers in turn */
    size_t n_buyers;
    int *buyer_node; /* the buyers' places in `nodes` */
    double *buyer_limit;
    char (*labels)[CP_LABEL_MAX];
    size_t n_labels;
    size_t n_responses; /* price responses shared by elastic nodes (share_responses) */
};

/* The workspace holds the state of CP_MODEL_LANES samples side by side:
 * every per-sample quantity is an array of lanes, x[item * LANES + lane], so
 * the evaluation of a node is a loop over lanes that the compiler can
 * vectorize, and the cost of walking the graph is shared by all lanes.
 * Lanes never interact, so a sample's values do not depend on which others
 * share its block.
 *
 * A deploy node's state is a cp_fleet: its accelerators by cohort (quarter
 * of shipment), waiting or installed, each retiring by age; a market's is
 * its pool of returned accelerators (cp_fleet.h). */
#define LANES CP_MODEL_LANES

/* The loops over lanes of a quarter's evaluation are compiled for the
 * widest vectors the CPU has: cp_model_step is CP_LANE_CLONES, and GCC inlines a helper into a
 * clone built for another instruction set only when it must (always_inline), so every helper they
 * call is.  Every lane does the same operations in the same order whatever
 * the width: the same bits from each clone. */
#if defined(__GNUC__)
#define LANE_INLINE __attribute__((always_inline)) static inline
#else
#define LANE_INLINE static inline
#endif

/* The block being simulated: samples first .. first + n - 1, one per lane. */
typedef struct block {
    uint64_t first;
    size_t n;
    size_t t;
} block;

struct cp_workspace {
    block b; /* the samples being simulated and the next quarter */
    gsl_rng *rng;
    uint64_t seed;
    uint64_t *key_offset;      /* per shock, then event: added to the sample key (see
                                  cp_model_set_keys); all 0 unless a design sets them */
    cp_rng_block first[LANES]; /* each lane's first block of the stream being drawn */
    double *eps, *eps_next, *z, *shock_value; /* per shock */
    double *mult;                             /* per multiplier slot */
    double *value;                            /* per node and field: (base + field) * LANES */
    double *stock;                            /* per stock node */
    double *delay_history;                    /* per delay node and quarter: (state * T + t) */
    cp_fleet *fleets;                         /* per deploy node */
    cp_fleet **market_fleets;                 /* the buyers of each market, in turn */
    cp_fleet_pool *pools;                     /* per market: returned accelerators */
    double *pool_units;                       /* the pools' cohorts */
    double *want;                             /* scratch for the market: buyers x lanes */
    double *units, *power_in, *pue;           /* scratch: a deploy node's inputs */
    uint8_t *label;                           /* per node and lane: what limits its output */
    size_t n_fleets;
    event_lane *events;        /* per event and lane */
    double *acc, *scale, *tmp; /* scratch, one lane array each */
    double *response;          /* per shared price response */
    uint8_t *binding;          /* per binding row, quarter and lane */
};

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
                                  "have no effect; set it with [param %s]",
                                  path, line, what, name, t->node, t->param, t->node);
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

/* Shocks whose latent normal is drawn in the first quarter only. */
static int drawn_once(cp_time_kind time)
{
    return time == CP_TIME_ONCE || time == CP_TIME_TREND;
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
        /* A shock drawn once still needs innovations every quarter when a
         * later shock is correlated with it through L. */
        s->needs_every_quarter = !drawn_once(s->src->time);
        for (size_t i = j + 1; i < n; i++)
            if (sc->chol[i * n + j] != 0.0 && !drawn_once(sc->shocks[i].time))
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
    m->in_market = calloc(n, sizeof *m->in_market);
    m->in_from = calloc(n, sizeof *m->in_from);
    m->node_base = calloc(g->n_nodes + 1, sizeof *m->node_base);
    if (!m->in_at || !m->in_role || !m->in_weight || !m->in_market || !m->in_from || !m->node_base)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_nodes; i++) {
        m->node_base[i] = m->n_values;
        m->n_values += has_fields(g->nodes[i].kind) ? CP_FIELDS_MAX : 1;
    }
    for (size_t e = 0; e < g->n_edges; e++) {
        const cp_edge *ed = &g->edges[e];
        m->in_at[e] = m->node_base[ed->from];
        m->in_from[e] = ed->from;
        m->in_market[e] = g->nodes[ed->from].kind == CP_NODE_MARKET;
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
enum { LABEL_ORDERS, LABEL_EXPORT, LABEL_POWER, LABEL_CHIPS, LABEL_FIXED };
static const char *const fixed_labels[LABEL_FIXED] = {"orders", "export", "power", "chips"};
#define NO_LABEL 255

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
 * (through the roles that carry a flow: in and flow; a market's capacity),
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
            if (r == CP_ROLE_IN || r == CP_ROLE_FLOW || r == CP_ROLE_POWER || r == CP_ROLE_UNITS)
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

/* Each deploy node's survival tables: its cohorts' and its starting
 * fleet's (which is initial_age quarters old at the start). */
static int build_fleet_specs(cp_model *m, cp_err *err)
{
    const size_t len = m->T + 2;
    m->fleet_spec = calloc(m->n_deploys + 1, sizeof *m->fleet_spec);
    m->survival = calloc(2 * len * (m->n_deploys + 1), sizeof *m->survival);
    if (!m->fleet_spec || !m->survival)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t k = 0; k < m->n_nodes; k++) {
        const mnode *nd = &m->nodes[k];
        if (nd->kind != CP_NODE_DEPLOY)
            continue;
        double *surv = &m->survival[2 * len * (size_t)nd->state];
        cp_fleet_survival(nd->param[1], nd->param[6], 0.0, len, surv);
        cp_fleet_survival(nd->param[1], nd->param[6], nd->param[7], len, surv + len);
        m->fleet_spec[nd->state] = (cp_fleet_spec){.T = m->T,
                                                   .surv = surv,
                                                   .surv_init = surv + len,
                                                   .fleet0 = nd->param[3],
                                                   .flops0 = nd->param[4],
                                                   .watts0 = nd->param[5]};
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
    free(m->shocks);
    free(m->events);
    free(m->slot_refs);
    free(m->ref_first);
    free(m->in_at);
    free(m->in_role);
    free(m->in_weight);
    free(m->binding_node);
    free(m->in_market);
    free(m->in_from);
    free(m->node_base);
    free(m->fleet_spec);
    free(m->survival);
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
    w->delay_history = lanes_of(m->n_delays * m->T);
    w->fleets = calloc(m->n_deploys + 1, sizeof *w->fleets);
    w->market_fleets = calloc(m->g->n_edges + 1, sizeof *w->market_fleets);
    w->pool_units = lanes_of(m->n_markets * m->T);
    w->pools = calloc(m->n_markets + 1, sizeof *w->pools);
    w->want = lanes_of(m->g->n_edges);
    w->units = lanes_of(1);
    w->power_in = lanes_of(1);
    w->pue = lanes_of(1);
    w->label = calloc((m->n_nodes + 1) * LANES, 1);
    int fleets_ok = w->fleets != NULL;
    for (size_t d = 0; fleets_ok && d < m->n_deploys; d++) {
        fleets_ok = cp_fleet_alloc(&w->fleets[d], m->T, LANES) == 0;
        w->n_fleets += fleets_ok;
    }
    for (size_t b = 0; fleets_ok && w->market_fleets && b < m->n_buyers; b++)
        w->market_fleets[b] = &w->fleets[m->buyers[b]];
    w->events = calloc((m->n_events + 1) * LANES, sizeof *w->events);
    w->acc = lanes_of(1);
    w->scale = lanes_of(1);
    w->tmp = lanes_of(1);
    w->response = lanes_of(m->n_responses);
    w->binding = calloc((m->n_deploys * m->T + 1) * LANES, 1);
    if (!w->binding || !w->rng || !w->eps || !w->eps_next || !w->z || !w->shock_value || !w->mult ||
        !w->value || !w->stock || !w->delay_history || !fleets_ok || !w->market_fleets ||
        !w->pool_units || !w->pools || !w->want || !w->units || !w->power_in || !w->pue ||
        !w->label || !w->events || !w->acc || !w->scale || !w->tmp || !w->key_offset ||
        !w->response) {
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
    free(w->delay_history);
    for (size_t d = 0; w->fleets && d < w->n_fleets; d++)
        cp_fleet_free(&w->fleets[d]);
    free(w->fleets);
    free(w->market_fleets);
    free(w->pool_units);
    free(w->pools);
    free(w->want);
    free(w->units);
    free(w->power_in);
    free(w->pue);
    free(w->label);
    free(w->events);
    free(w->acc);
    free(w->scale);
    free(w->tmp);
    free(w->response);
    free(w->binding);
    free(w);
}

/* ---- simulation ------------------------------------------------------- */

static void reset_state(const cp_model *m, cp_workspace *w, size_t n)
{
    for (size_t k = 0; k < m->n_nodes; k++) {
        const mnode *nd = &m->nodes[k];
        const size_t at = (size_t)(nd->state < 0 ? 0 : nd->state) * LANES;
        for (size_t l = 0; l < n; l++) {
            if (nd->kind == CP_NODE_STOCK)
                w->stock[at + l] = nd->param[0];
        }
    }
    for (size_t d = 0; d < m->n_deploys; d++)
        cp_fleet_reset(&w->fleets[d]);
    for (size_t i = 0; i < m->n_markets * m->T * LANES; i++)
        w->pool_units[i] = 0;
    for (size_t k = 0; k < m->n_markets; k++)
        w->pools[k] = (cp_fleet_pool){.units = &w->pool_units[k * m->T * LANES], .first = m->T};
    for (size_t i = 0; i < m->n_events * LANES; i++)
        w->events[i] = (event_lane){.held = 1.0};
}

LANE_INLINE void multiply_slots(const cp_model *m, cp_workspace *w, size_t first_ref, size_t n_refs,
                                const double *factor, size_t n)
{
    for (size_t k = 0; k < n_refs; k++) {
        double *restrict mult = &w->mult[(size_t)m->slot_refs[first_ref + k] * LANES];
        if (m->ref_first[first_ref + k])
            memcpy(mult, factor, n * sizeof *mult); /* 1.0 * factor */
        else
            for (size_t l = 0; l < n; l++)
                mult[l] *= factor[l];
    }
}

/* A Box-Muller pair serves two quarters: quarters 2q and 2q + 1 of a shock
 * take the cos and the sin normal of the block at substream q, the second
 * kept in eps_next meanwhile.  Half the Philox blocks and logs. */
LANE_INLINE void draw_innovations(const cp_model *m, cp_workspace *w, const block *b)
{
    for (size_t j = 0; j < m->n_shocks; j++) {
        if (b->t > 0 && !m->shocks[j].needs_every_quarter)
            continue;
        double *eps = &w->eps[j * LANES], *next = &w->eps_next[j * LANES];
        if (b->t % 2) {
            memcpy(eps, next, b->n * sizeof *eps);
            continue;
        }
        const uint32_t stream = m->shocks[j].stream;
        cp_rng_first_blocks(w->seed, b->first + w->key_offset[j], b->n, stream,
                            (uint32_t)(b->t / 2), w->first);
        cp_rng_gaussians(w->first, b->n, eps, next);
    }
}

LANE_INLINE void draw_shocks(const cp_model *m, cp_workspace *w, const block *b, double *extras,
                             size_t extras_width)
{
    const size_t ns = m->n_shocks;
    const double *L = m->sc->chol;
    draw_innovations(m, w, b);
    for (size_t j = 0; j < ns; j++) {
        const mshock *s = &m->shocks[j];
        double *z = &w->z[j * LANES], *x = &w->shock_value[j * LANES];
        const int held_z = s->src->time == CP_TIME_ONCE || s->src->time == CP_TIME_TREND;
        if (!(b->t > 0 && held_z)) {
            const int ar1 = s->src->time == CP_TIME_AR1 && b->t > 0;
            /* eta = L eps, a row of L at a time over all lanes (so the
             * loops vectorize), each lane's terms added in the same order
             * from 0 as a loop over k per lane would. */
            double *restrict eta = w->acc;
            for (size_t l = 0; l < b->n; l++)
                eta[l] = 0;
            for (size_t k = 0; k <= j; k++) {
                const double c = L[j * ns + k];
                const double *restrict e = &w->eps[k * LANES];
                for (size_t l = 0; l < b->n; l++)
                    eta[l] += c * e[l];
            }
            const double rho = s->src->rho, scale = s->innovation_scale;
            for (size_t l = 0; l < b->n; l++)
                z[l] = ar1 ? rho * z[l] + scale * eta[l] : eta[l];
            if (s->src->time != CP_TIME_TREND) {
                cp_dist_from_gaussian_n(&s->src->dist, z, x, w->tmp, b->n);
                /* A multiplier below zero has no meaning (negative supply). */
                for (size_t l = 0; l < b->n; l++)
                    x[l] = x[l] > 0 ? x[l] : 0;
            }
        }
        if (s->src->time == CP_TIME_TREND) {
            /* x^(t/4) of the one-year lognormal x = exp(mu + sigma z). */
            const double years = (double)b->t / 4.0, mu = s->src->dist.p[0],
                         sigma = s->src->dist.p[1];
            double *restrict arg = w->tmp;
            for (size_t l = 0; l < b->n; l++)
                arg[l] = years * (mu + sigma * z[l]);
            cp_math_exp_n(arg, x, b->n);
        }
        if (extras)
            for (size_t l = 0; l < b->n; l++)
                extras[l * extras_width + j * m->T + b->t] = x[l];
        multiply_slots(m, w, s->first_slot, s->n_slots, x, b->n);
    }
}

/* Quarters from a duration or recovery draw: rounded up, within [lo, 1e6]. */
static int quarters_of(double d, int lo)
{
    d = ceil(d);
    return d >= lo ? (d < 1e6 ? (int)d : 1000000) : lo;
}

static double share_of(double v)
{
    return v < 0 ? 0 : (v > 1 ? 1 : v);
}

/* An onset: the draws after the uniform that decided it, in a fixed order
 * (the keys a scenario does not give draw nothing, so adding recovery or
 * lasting to one event leaves every other draw as it was). */
static void start_event(const cp_event *src, gsl_rng *rng, event_lane *s)
{
    (void)gsl_rng_uniform(rng); /* the draw just tested */
    s->left = quarters_of(cp_dist_sample(&src->duration, rng), 1);
    s->severity = share_of(cp_dist_sample(&src->severity, rng));
    s->recover_len = src->has_recovery ? quarters_of(cp_dist_sample(&src->recovery, rng), 0) : 0;
    s->lasting = 0;
    if (src->has_lasting) {
        const double u = gsl_rng_uniform(rng);
        const double share = share_of(cp_dist_sample(&src->lasting, rng));
        s->lasting = u < src->lasting_probability ? s->severity * share : 0;
    }
    s->started = 1;
}

/* The share lost this quarter: the severity while under way, then a
 * straight line down to the lasting part over the recovery, which is then
 * held for the rest of the path. */
static double event_loss(event_lane *s)
{
    double loss = 0;
    if (s->left > 0) {
        loss = s->severity;
        if (--s->left == 0)
            s->recover_left = s->recover_len;
    } else if (s->recover_left > 0) {
        const int k = s->recover_len - s->recover_left + 1;
        loss = s->lasting + (s->severity - s->lasting) * (1.0 - (double)k / (s->recover_len + 1));
        s->recover_left--;
    } else {
        return 0;
    }
    if (s->left == 0 && s->recover_left == 0) { /* over: what lasts is held */
        s->held *= 1.0 - s->lasting;
        s->lasting = 0;
    }
    return loss;
}

static void apply_events(const cp_model *m, cp_workspace *w, const block *b, double *extras,
                         size_t extras_width)
{
    double *factor = w->acc;
    for (size_t e = 0; e < m->n_events; e++) {
        const mevent *ev = &m->events[e];
        const cp_event *src = ev->src;
        event_lane *st = &w->events[e * LANES];
        int may_start = ev->start < 0 || (long)b->t == ev->start;
        if (may_start && src->once) { /* once every lane has started, none can */
            size_t l = 0;
            while (l < b->n && st[l].started)
                l++;
            may_start = l < b->n;
        }
        /* The uniforms are drawn only where an onset is possible: a quarter
         * that cannot start the event draws nothing, and changes nothing. */
        const uint64_t key = b->first + w->key_offset[m->n_shocks + e];
        if (may_start)
            cp_rng_first_blocks(w->seed, key, b->n, ev->stream, (uint32_t)b->t, w->first);
        for (size_t l = 0; l < b->n; l++) {
            event_lane *s = &st[l];
            const int idle = s->left == 0 && s->recover_left == 0 && !(src->once && s->started);
            /* The stream's first uniform decides; only a start, which is
             * rare, needs the generator for the draws after it. */
            if (idle && may_start && cp_rng_word_uniform(w->first[l].w[0]) < src->probability) {
                cp_rng_seek_filled(w->rng, key + l, ev->stream, (uint32_t)b->t, &w->first[l]);
                start_event(src, w->rng, s);
            }
            const double held = s->held; /* before this quarter's end adds to it */
            const double loss = event_loss(s);
            factor[l] = held * (1.0 - loss);
            if (extras)
                extras[l * extras_width + (m->n_shocks + e) * m->T + b->t] =
                    held == 1.0 ? loss : 1.0 - factor[l];
        }
        if (!ev->partial) {
            multiply_slots(m, w, ev->first_slot, ev->n_slots, factor, b->n);
            continue;
        }
        /* A target exposed in part takes that share of the loss. */
        double *part = w->scale;
        for (size_t k = 0; k < ev->n_slots; k++) {
            const double x = src->exposure[k];
            for (size_t l = 0; l < b->n; l++)
                part[l] = x == 1.0 ? factor[l] : 1.0 - x * (1.0 - factor[l]);
            multiply_slots(m, w, ev->first_slot + k, 1, part, b->n);
        }
    }
}

/* A node's parameter p in lane l: its value times the multiplier of any
 * shock or event aimed at it. */
LANE_INLINE double param(const mnode *nd, const double *mult, int p, size_t l)
{
    return nd->param_slot[p] < 0 ? nd->param[p]
                                 : nd->param[p] * mult[(size_t)nd->param_slot[p] * LANES + l];
}

LANE_INLINE const double *input(const cp_model *m, const cp_workspace *w, size_t e)
{
    return &w->value[m->in_at[e] * LANES];
}

/* 1 - 1/lifetime, the share of a stock kept from one quarter to the next. */
LANE_INLINE double keep_share(const mnode *nd, const double *mult, size_t l)
{
    return nd->param_slot[1] < 0 ? nd->keep : 1.0 - 1.0 / param(nd, mult, 1, l);
}

/* acc = the sum of the node's inputs of a role, lane by lane. */
LANE_INLINE void sum_role(const cp_model *m, const cp_workspace *w, const mnode *nd, cp_role role,
                          double *restrict acc, size_t n)
{
    for (size_t l = 0; l < n; l++)
        acc[l] = 0;
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
        if (m->in_role[e] != role)
            continue;
        const double *restrict in = input(m, w, e);
        for (size_t l = 0; l < n; l++)
            acc[l] += in[l];
    }
}

/* ---- what binds -------------------------------------------------------- */

LANE_INLINE uint8_t *labels_of(const cp_model *m, const cp_workspace *w, int node)
{
    (void)m;
    return &w->label[(size_t)node * LANES];
}

/* A node's label, lane by lane: `own` (its constraint) if it has one;
 * otherwise that of its input of the role that carries the flow (`in`, or
 * `flow` for elastic), the largest where there are several. */
LANE_INLINE void pass_label_as(const cp_model *m, cp_workspace *w, const mnode *nd, int own,
                               size_t n)
{
    if (!nd->labelled)
        return;
    uint8_t *restrict lab = labels_of(m, w, nd->index);
    if (own >= 0) {
        memset(lab, own, n);
        return;
    }
    if (nd->label_from >= 0) {
        memcpy(lab, labels_of(m, w, nd->label_from), n);
        return;
    }
    const cp_role role = nd->kind == CP_NODE_ELASTIC ? CP_ROLE_FLOW : CP_ROLE_IN;
    double best[LANES];
    for (size_t l = 0; l < n; l++) {
        best[l] = -INFINITY;
        lab[l] = NO_LABEL;
    }
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
        if (m->in_role[e] != role)
            continue;
        const double *restrict in = input(m, w, e);
        const uint8_t *restrict from = labels_of(m, w, m->in_from[e]);
        for (size_t l = 0; l < n; l++) {
            lab[l] = in[l] > best[l] ? from[l] : lab[l];
            best[l] = in[l] > best[l] ? in[l] : best[l];
        }
    }
}

LANE_INLINE void pass_label(const cp_model *m, cp_workspace *w, const mnode *nd, size_t n)
{
    pass_label_as(m, w, nd, nd->label, n);
}

LANE_INLINE void eval_convert(const cp_model *m, cp_workspace *w, const mnode *nd, double *out,
                              size_t n)
{
    double *restrict acc = w->acc, *restrict scale = w->scale;
    for (size_t l = 0; l < n; l++) {
        acc[l] = 0;
        scale[l] = 1;
    }
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
        const double *restrict in = input(m, w, e);
        if (m->in_role[e] == CP_ROLE_IN) {
            const double weight = m->in_weight[e];
            for (size_t l = 0; l < n; l++)
                acc[l] += weight * in[l];
        } else {
            for (size_t l = 0; l < n; l++)
                scale[l] *= in[l];
        }
    }
    for (size_t l = 0; l < n; l++)
        out[l] = param(nd, w->mult, 0, l) * acc[l] * scale[l];
}

/* Leontief: the smallest input decides, and so names what binds (unless
 * the node has a constraint of its own). */
LANE_INLINE void eval_assemble(const cp_model *m, cp_workspace *w, const mnode *nd,
                               double *restrict out, size_t n)
{
    if (!nd->labelled) {
        for (size_t l = 0; l < n; l++)
            out[l] = INFINITY;
        for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
            const double *restrict in = input(m, w, e);
            const double per_unit = m->in_weight[e];
            for (size_t l = 0; l < n; l++) {
                const double v = in[l] * per_unit;
                out[l] = v < out[l] ? v : out[l];
            }
        }
        return;
    }
    uint8_t *restrict lab = labels_of(m, w, nd->index);
    for (size_t l = 0; l < n; l++) {
        out[l] = INFINITY;
        lab[l] = NO_LABEL;
    }
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
        const double *restrict in = input(m, w, e);
        const uint8_t *restrict from = labels_of(m, w, m->in_from[e]);
        const double per_unit = m->in_weight[e];
        for (size_t l = 0; l < n; l++) {
            const double v = in[l] * per_unit;
            lab[l] = v < out[l] ? from[l] : lab[l];
            out[l] = v < out[l] ? v : out[l];
        }
    }
    if (nd->label >= 0)
        memset(lab, nd->label, n);
}

LANE_INLINE void eval_stock(const cp_model *m, cp_workspace *w, const mnode *nd, double *out,
                            size_t n)
{
    double *restrict s = &w->stock[(size_t)nd->state * LANES];
    sum_role(m, w, nd, CP_ROLE_IN, w->acc, n);
    for (size_t l = 0; l < n; l++) {
        s[l] = s[l] * keep_share(nd, w->mult, l) + w->acc[l];
        out[l] = s[l];
    }
}

LANE_INLINE void eval_delay(const cp_model *m, cp_workspace *w, const mnode *nd, size_t t,
                            double *out, size_t n)
{
    double *hist = &w->delay_history[(size_t)nd->state * m->T * LANES];
    const double *in = input(m, w, nd->first_in);
    for (size_t l = 0; l < n; l++)
        hist[t * LANES + l] = in[l];
    for (size_t l = 0; l < n; l++) {
        const double lead = param(nd, w->mult, 0, l);
        const double before = nd->param[1] >= 0 ? nd->param[1] : hist[l];
        const double pos = (double)t - (lead > 0 ? lead : 0);
        const double i0 = floor(pos);
        const double frac = pos - i0;
        const double a = i0 < 0 ? before : hist[(size_t)i0 * LANES + l];
        const double b =
            i0 + 1 < 0 ? before : (i0 + 1 <= (double)t ? hist[(size_t)(i0 + 1) * LANES + l] : a);
        out[l] = (1 - frac) * a + frac * b;
    }
}

/* t = ratio^-e of an elastic node's price inputs, as exp(-e log(ratio)) over
 * all lanes at once: libm's pow, one call per lane, was a tenth of a run.
 * At the reference price the log is 0 and the response exactly 1.  (A
 * negative price, which no input gives, would make NaN even for a whole
 * e.) */
LANE_INLINE void price_response(const cp_model *m, cp_workspace *w, const mnode *nd,
                                double *restrict t, size_t n)
{
    double *restrict ratio = w->scale;
    sum_role(m, w, nd, CP_ROLE_PRICE, ratio, n);
    if (nd->param_slot[0] < 0) { /* no shock on the reference: one value for all lanes */
        const double reference = nd->param[0];
        for (size_t l = 0; l < n; l++)
            ratio[l] /= reference;
    } else {
        for (size_t l = 0; l < n; l++)
            ratio[l] /= param(nd, w->mult, 0, l);
    }
    cp_math_log_n(ratio, t, n);
    for (size_t l = 0; l < n; l++)
        ratio[l] = -param(nd, w->mult, 1, l) * t[l];
    cp_math_exp_n(ratio, t, n);
}

LANE_INLINE void eval_elastic(const cp_model *m, cp_workspace *w, const mnode *nd, double *out,
                              size_t n)
{
    /* A response shared with an earlier node (share_responses) is there
     * already. */
    double *restrict t = nd->response < 0 ? w->tmp : &w->response[(size_t)nd->response * LANES];
    if (nd->response < 0 || nd->response_first)
        price_response(m, w, nd, t, n);
    sum_role(m, w, nd, CP_ROLE_FLOW, w->acc, n);
    for (size_t l = 0; l < n; l++)
        out[l] = w->acc[l] * t[l];
    /* Its constraint binds where the price cuts the flow below binds_below;
     * elsewhere the flow's own label passes through. */
    pass_label_as(m, w, nd, -1, n);
    if (nd->label >= 0 && nd->labelled) {
        /* Rarely below: test all lanes first, in a loop that vectorizes. */
        const double below = nd->param[2];
        int any = 0;
        for (size_t l = 0; l < n; l++)
            any |= t[l] < below;
        uint8_t *lab = labels_of(m, w, nd->index);
        for (size_t l = 0; any && l < n; l++)
            lab[l] = t[l] < below ? (uint8_t)nd->label : lab[l];
    }
}

/* ---- markets and fleets ----------------------------------------------- */

/* A deploy node's inputs in this quarter, gathered into the workspace's
 * scratch: deliveries from inputs other than a market, the power, the
 * PUE, and the FLOP/s and watts of this quarter's accelerators. */
LANE_INLINE cp_fleet_in deploy_inputs(const cp_model *m, cp_workspace *w, const mnode *nd, size_t n)
{
    cp_fleet_in in = {.units = w->units,
                      .power = w->power_in,
                      .pue = w->pue,
                      .horizon = nd->param[8],
                      .buffer = nd->param[9],
                      .start = nd->param_slot[3] < 0 ? NULL
                                                     : &w->mult[(size_t)nd->param_slot[3] * LANES]};
    for (size_t l = 0; l < n; l++) {
        w->units[l] = w->power_in[l] = 0;
        w->pue[l] = param(nd, w->mult, 0, l);
    }
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
        const double *v = input(m, w, e);
        if (m->in_role[e] == CP_ROLE_FLOPS)
            in.flops = v;
        else if (m->in_role[e] == CP_ROLE_WATTS)
            in.watts = v;
        else if (m->in_role[e] == CP_ROLE_POWER)
            for (size_t l = 0; l < n; l++)
                w->power_in[l] += v[l];
        else if (m->in_role[e] == CP_ROLE_UNITS && !m->in_market[e])
            for (size_t l = 0; l < n; l++) /* a market delivers through the fleet */
                w->units[l] += v[l];
    }
    return in;
}

/* The buyers place their orders (their inputs other than the market's
 * deliveries are evaluated before the market: cp_graph orders it so),
 * then the market ships. */
LANE_INLINE void eval_market(const cp_model *m, cp_workspace *w, const mnode *nd, size_t t,
                             size_t n)
{
    const mmarket *mk = &m->markets[nd->state];
    for (size_t b = mk->first_buyer; b < mk->first_buyer + mk->n_buyers; b++) {
        const mnode *buyer = &m->nodes[m->buyer_node[b]];
        const cp_fleet_in in = deploy_inputs(m, w, buyer, n);
        cp_fleet_plan(&m->fleet_spec[buyer->state], &w->fleets[buyer->state], t, n, &in);
    }
    double *out = &w->value[nd->base * LANES];
    sum_role(m, w, nd, CP_ROLE_IN, w->acc, n);
    cp_fleet_market(t, n, w->acc, &w->market_fleets[mk->first_buyer],
                    &m->buyer_limit[mk->first_buyer], mk->n_buyers,
                    m->fleet_spec[m->buyers[mk->first_buyer]].surv, &w->pools[nd->state],
                    &out[CP_FIELD_OUTPUT * LANES], &out[CP_FIELD_IDLE * LANES],
                    &out[CP_FIELD_UNSOLD * LANES], w->want);
    pass_label(m, w, nd, n);
}

/* The label of what bound a deploy node in each lane: power (the label of
 * its power input), a short supply (its market's, or its units inputs'),
 * an import limit, or its own orders. */
LANE_INLINE void binding_labels(const cp_model *m, const cp_workspace *w, const mnode *nd,
                                const uint8_t *bound, uint8_t *out, size_t n)
{
    const uint8_t *power = NULL, *chips = NULL;
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
        if (m->in_role[e] == CP_ROLE_POWER && !power)
            power = labels_of(m, w, m->in_from[e]);
        else if (m->in_role[e] == CP_ROLE_UNITS && (!chips || m->in_market[e]))
            chips = labels_of(m, w, m->in_from[e]);
    }
    for (size_t l = 0; l < n; l++) {
        uint8_t k;
        switch (bound[l]) {
        case CP_FLEET_BOUND_POWER:
            k = power && power[l] != NO_LABEL ? power[l] : LABEL_POWER;
            break;
        case CP_FLEET_BOUND_SHORT:
            k = chips && chips[l] != NO_LABEL ? chips[l] : LABEL_CHIPS;
            break;
        case CP_FLEET_BOUND_CAPPED:
            k = LABEL_EXPORT;
            break;
        default:
            k = LABEL_ORDERS;
        }
        out[l] = k;
    }
}

LANE_INLINE void eval_deploy(const cp_model *m, cp_workspace *w, const mnode *nd, const double *mo,
                             size_t t, size_t n)
{
    double *out = &w->value[nd->base * LANES];
    const cp_fleet_in in = deploy_inputs(m, w, nd, n);
    const cp_fleet_out fo = {.fleet = &out[CP_FIELD_OUTPUT * LANES],
                             .flops = &out[CP_FIELD_COMPUTE * LANES],
                             .power_used = &out[CP_FIELD_POWER_USED * LANES],
                             .waiting = &out[CP_FIELD_WAITING * LANES],
                             .installed = &out[CP_FIELD_DEPLOYED * LANES],
                             .orders = &out[CP_FIELD_ORDERS * LANES],
                             .target = &out[CP_FIELD_TARGET * LANES],
                             .unfilled = &out[CP_FIELD_UNFILLED * LANES],
                             .waiting_age = &out[CP_FIELD_WAITING_AGE * LANES],
                             .received = &out[CP_FIELD_RECEIVED * LANES],
                             .bound = labels_of(m, w, nd->index)};
    cp_fleet_pool *pool = nd->market >= 0 ? &w->pools[nd->market] : NULL;
    cp_fleet_step(&m->fleet_spec[nd->state], &w->fleets[nd->state], t, n, &in, pool, &fo);
    binding_labels(m, w, nd, fo.bound, &w->binding[((size_t)nd->row * m->T + t) * LANES], n);
    /* Failures take a share of the compute; a multiplier on the node is an
     * outage of the fleet in service, not a change of its state. */
    for (size_t l = 0; l < n; l++) {
        double loss = param(nd, w->mult, 2, l);
        loss = loss < 0 ? 0 : (loss > 1 ? 1 : loss);
        const double m_out = mo ? mo[l] : 1.0;
        fo.fleet[l] *= m_out;
        fo.flops[l] *= (1.0 - loss) * m_out;
    }
}

LANE_INLINE void eval_nodes(const cp_model *m, cp_workspace *w, const block *b)
{
    const size_t n = b->n;
    for (size_t k = 0; k < m->n_nodes; k++) {
        const mnode *nd = &m->nodes[k];
        double *out = &w->value[nd->base * LANES];
        const double *mo = nd->out_slot < 0 ? NULL : &w->mult[(size_t)nd->out_slot * LANES];
        switch (nd->kind) {
        case CP_NODE_SUPPLY:
            for (size_t l = 0; l < n; l++)
                out[l] = nd->series[b->t];
            if (nd->labelled)
                memset(labels_of(m, w, nd->index), nd->label >= 0 ? nd->label : NO_LABEL, n);
            break;
        case CP_NODE_CONVERT:
            eval_convert(m, w, nd, out, n);
            pass_label(m, w, nd, n);
            break;
        case CP_NODE_SPLIT: {
            const double *in = input(m, w, nd->first_in);
            for (size_t l = 0; l < n; l++)
                out[l] = param(nd, w->mult, 0, l) * in[l];
            pass_label(m, w, nd, n);
            break;
        }
        case CP_NODE_ASSEMBLE:
            eval_assemble(m, w, nd, out, n);
            break;
        case CP_NODE_STOCK:
            eval_stock(m, w, nd, out, n);
            pass_label(m, w, nd, n);
            break;
        case CP_NODE_DELAY:
            eval_delay(m, w, nd, b->t, out, n);
            pass_label(m, w, nd, n);
            break;
        case CP_NODE_ELASTIC:
            eval_elastic(m, w, nd, out, n);
            break;
        case CP_NODE_MARKET:
            eval_market(m, w, nd, b->t, n);
            break;
        case CP_NODE_DEPLOY:
            eval_deploy(m, w, nd, mo, b->t, n);
            continue; /* applies its own multiplier to the right fields */
        default:
            break;
        }
        if (mo)
            for (size_t l = 0; l < n; l++)
                out[l] *= mo[l];
    }
}

LANE_INLINE void record_metrics(const cp_model *m, const cp_workspace *w, const block *b,
                                double *cells, size_t row_stride)
{
    const cp_graph *g = m->g;
    for (size_t i = 0; i < g->n_metrics; i++) {
        const cp_metric *mt = &g->metrics[i];
        double *restrict acc = &cells[i * row_stride];
        if (mt->n_terms == 0)
            for (size_t l = 0; l < b->n; l++)
                acc[l] = 0;
        /* The first term is added to 0.0 as it is written, rather than to a
         * row of zeros written first: the same sums (0.0 + -0.0 is +0.0)
         * with one pass less.  Scales of 1 multiply exactly. */
        for (size_t k = mt->first_term; k < mt->first_term + mt->n_terms; k++) {
            const cp_metric_term *term = &g->terms[k];
            const double *restrict v = &w->value[(m->node_base[term->node] + term->field) * LANES];
            const double scale = term->scale;
            if (k == mt->first_term)
                for (size_t l = 0; l < b->n; l++)
                    acc[l] = 0.0 + scale * v[l];
            else
                for (size_t l = 0; l < b->n; l++)
                    acc[l] += scale * v[l];
        }
    }
}

size_t cp_model_inputs(const cp_model *m)
{
    return m->n_shocks + m->n_events;
}

int cp_model_input_name(const cp_model *m, size_t k, char *buf, size_t cap)
{
    const int n = k < m->n_shocks
                      ? snprintf(buf, cap, "shock_%s", m->shocks[k].src->name)
                      : snprintf(buf, cap, "event_%s", m->events[k - m->n_shocks].src->name);
    return n >= 0 && (size_t)n < cap ? CP_OK : CP_EINVAL;
}

void cp_model_set_keys(const cp_model *m, cp_workspace *w, const uint64_t *offsets)
{
    for (size_t k = 0; k < m->n_shocks + m->n_events; k++)
        w->key_offset[k] = offsets ? offsets[k] : 0;
}

void cp_model_begin(const cp_model *m, cp_workspace *w, uint64_t first, size_t n)
{
    w->b = (block){.first = first, .n = n < LANES ? n : LANES, .t = 0};
    reset_state(m, w, w->b.n);
}

CP_LANE_CLONES void cp_model_step(const cp_model *m, cp_workspace *w, double *cells,
                                  size_t row_stride, double *extras)
{
    const block b = w->b; /* a local copy: stores through w cannot change it */
    const size_t extras_width = cp_model_extras(m);
    draw_shocks(m, w, &b, extras, extras_width);
    apply_events(m, w, &b, extras, extras_width);
    eval_nodes(m, w, &b);
    record_metrics(m, w, &b, cells, row_stride);
    w->b.t++;
}

void cp_model_simulate(const cp_model *m, cp_workspace *w, uint64_t first, size_t n, double *cells,
                       size_t stride, double *extras)
{
    cp_model_begin(m, w, first, n);
    for (size_t t = 0; t < m->T; t++)
        cp_model_step(m, w, cells + t * stride, m->T * stride, extras);
}
