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
 * quarter).
 *
 * Events.  Each quarter an event not under way starts with its probability;
 * it then lasts ceil(duration) quarters (at least one) and removes a share
 * `severity` of each target.  Its draws come from its own stream too.
 *
 * Targets.  Shocks and events act through multiplier slots: one per targeted
 * node output or node parameter.  Slots start each quarter at 1 and every
 * shock or event on them multiplies in.
 */
#include "cp_model.h"
#include "cp_math.h"
#include "cp_rng.h"

#include <math.h>
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
    double keep;                   /* stock, deploy: 1 - 1/lifetime, unless a shock moves it */
} mnode;

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
    size_t first_slot, n_slots;
} mevent;

struct cp_model {
    const cp_scenario *sc;
    const cp_graph *g;
    size_t T, n_nodes, n_shocks, n_events, n_slots;
    mnode *nodes; /* in topological order */
    mshock *shocks;
    mevent *events;
    int *slot_refs; /* the slots each shock and event multiplies */
    size_t n_slot_refs;
    /* The graph's edges, flattened for the inner loop: where each input's
     * value is, its role, and its weight (for assemble, its reciprocal, so
     * the loop multiplies instead of dividing). */
    size_t *in_at;
    cp_role *in_role;
    double *in_weight;
    size_t n_stocks, n_delays, n_deploys;
    int *binding_node; /* binding row -> graph node index (deploy nodes in graph order) */
};

/* The workspace holds the state of CP_MODEL_LANES samples side by side:
 * every per-sample quantity is an array of lanes, x[item * LANES + lane], so
 * the evaluation of a node is a loop over lanes that the compiler can
 * vectorize, and the cost of walking the graph is shared by all lanes.
 * Lanes never interact, so a sample's values do not depend on which others
 * share its block.
 *
 * Deploy state is the accelerators waiting for power and the fleet with its
 * total FLOP/s and MW drawn.  Retirement is geometric, the same share of
 * every vintage, so totals stay exact without tracking vintages. */
#define LANES CP_MODEL_LANES

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
    cp_rng_block first[LANES]; /* each lane's first block of the stream being drawn */
    double *eps, *eps_next, *z, *shock_value; /* per shock */
    double *mult;                             /* per multiplier slot */
    double *value;         /* per node and field: (node * CP_FIELDS_MAX + field) */
    double *stock;         /* per stock node */
    double *delay_history; /* per delay node and quarter: (state * T + t) */
    double *waiting, *fleet, *flops, *power; /* per deploy node */
    int *event_left;                         /* per event */
    double *event_severity;
    double *acc, *scale, *tmp; /* scratch, one lane array each */
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
                                  "%s:%ld: [%s %s]: key 'targets': '%s.%s' is an initial "
                                  "condition, read before any shock, so a shock on it would "
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
        /* A shock drawn once still needs innovations every quarter when a
         * later shock is correlated with it through L. */
        s->needs_every_quarter = s->src->time != CP_TIME_ONCE;
        for (size_t i = j + 1; i < n; i++)
            if (sc->chol[i * n + j] != 0.0 && sc->shocks[i].time != CP_TIME_ONCE)
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
        int rc = resolve_targets(m, slots, ev->src->targets, ev->src->n_targets,
                                 ev->src->targets_file, ev->src->targets_line, "event",
                                 ev->src->name, &ev->first_slot, &ev->n_slots, err);
        if (rc)
            return rc;
    }
    return CP_OK;
}

static int build_inputs(cp_model *m, cp_err *err)
{
    const cp_graph *g = m->g;
    const size_t n = g->n_edges + 1;
    m->in_at = calloc(n, sizeof *m->in_at);
    m->in_role = calloc(n, sizeof *m->in_role);
    m->in_weight = calloc(n, sizeof *m->in_weight);
    if (!m->in_at || !m->in_role || !m->in_weight)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t e = 0; e < g->n_edges; e++) {
        const cp_edge *ed = &g->edges[e];
        m->in_at[e] = (size_t)ed->from * CP_FIELDS_MAX;
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
        if (n->kind == CP_NODE_STOCK)
            n->state = (int)m->n_stocks++;
        else if (n->kind == CP_NODE_DELAY)
            n->state = (int)m->n_delays++;
        else if (n->kind == CP_NODE_DEPLOY)
            n->state = (int)m->n_deploys++;
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
        rc = build_inputs(m, err);
    if (!rc) {
        m->n_slots = slots.n;
        build_nodes(m, &slots);
    }
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
    free(m->in_at);
    free(m->in_role);
    free(m->in_weight);
    free(m->binding_node);
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

/* Stub labels until the market model lands. */
static const char *const binding_labels[] = {"power", "chips", "orders"};
enum { LABEL_POWER, LABEL_CHIPS, LABEL_ORDERS, N_LABELS };

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
    (void)m;
    return N_LABELS;
}

const char *cp_model_binding_label(const cp_model *m, size_t k)
{
    (void)m;
    return binding_labels[k];
}

const uint8_t *cp_model_binding(const cp_workspace *w)
{
    return w->binding;
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
    w->eps = lanes_of(m->n_shocks);
    w->eps_next = lanes_of(m->n_shocks);
    w->z = lanes_of(m->n_shocks);
    w->shock_value = lanes_of(m->n_shocks);
    w->mult = lanes_of(m->n_slots);
    w->value = lanes_of(m->n_nodes * CP_FIELDS_MAX);
    w->stock = lanes_of(m->n_stocks);
    w->delay_history = lanes_of(m->n_delays * m->T);
    w->waiting = lanes_of(m->n_deploys);
    w->fleet = lanes_of(m->n_deploys);
    w->flops = lanes_of(m->n_deploys);
    w->power = lanes_of(m->n_deploys);
    w->event_left = calloc((m->n_events + 1) * LANES, sizeof *w->event_left);
    w->event_severity = lanes_of(m->n_events);
    w->acc = lanes_of(1);
    w->scale = lanes_of(1);
    w->tmp = lanes_of(1);
    w->binding = calloc((m->n_deploys * m->T + 1) * LANES, 1);
    if (!w->binding || !w->rng || !w->eps || !w->eps_next || !w->z || !w->shock_value || !w->mult ||
        !w->value || !w->stock || !w->delay_history || !w->waiting || !w->fleet || !w->flops ||
        !w->power || !w->event_left || !w->event_severity || !w->acc || !w->scale || !w->tmp) {
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
    free(w->eps);
    free(w->eps_next);
    free(w->z);
    free(w->shock_value);
    free(w->mult);
    free(w->value);
    free(w->stock);
    free(w->delay_history);
    free(w->waiting);
    free(w->fleet);
    free(w->flops);
    free(w->power);
    free(w->event_left);
    free(w->event_severity);
    free(w->acc);
    free(w->scale);
    free(w->tmp);
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
            if (nd->kind == CP_NODE_STOCK) {
                w->stock[at + l] = nd->param[0];
            } else if (nd->kind == CP_NODE_DEPLOY) {
                const double fleet = nd->param[3];
                w->waiting[at + l] = 0;
                w->fleet[at + l] = fleet;
                w->flops[at + l] = fleet * nd->param[4];
                w->power[at + l] = fleet * nd->param[5] * nd->param[0] / 1e6;
            }
        }
    }
    for (size_t i = 0; i < m->n_events * LANES; i++) {
        w->event_left[i] = 0;
        w->event_severity[i] = 0;
    }
}

static void multiply_slots(const cp_model *m, cp_workspace *w, size_t first_ref, size_t n_refs,
                           const double *factor, size_t n)
{
    for (size_t k = 0; k < n_refs; k++) {
        double *mult = &w->mult[(size_t)m->slot_refs[first_ref + k] * LANES];
        for (size_t l = 0; l < n; l++)
            mult[l] *= factor[l];
    }
}

/* A Box-Muller pair serves two quarters: quarters 2q and 2q + 1 of a shock
 * take the cos and the sin normal of the block at substream q, the second
 * kept in eps_next meanwhile.  Half the Philox blocks and logs. */
static void draw_innovations(const cp_model *m, cp_workspace *w, const block *b)
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
        cp_rng_first_blocks(w->seed, b->first, b->n, stream, (uint32_t)(b->t / 2), w->first);
        cp_rng_gaussians(w->first, b->n, eps, next);
    }
}

static void draw_shocks(const cp_model *m, cp_workspace *w, const block *b, double *extras,
                        size_t extras_width)
{
    const size_t ns = m->n_shocks;
    const double *L = m->sc->chol;
    draw_innovations(m, w, b);
    for (size_t j = 0; j < ns; j++) {
        const mshock *s = &m->shocks[j];
        double *z = &w->z[j * LANES], *x = &w->shock_value[j * LANES];
        if (!(b->t > 0 && s->src->time == CP_TIME_ONCE)) {
            const int ar1 = s->src->time == CP_TIME_AR1 && b->t > 0;
            for (size_t l = 0; l < b->n; l++) {
                double eta = 0;
                for (size_t k = 0; k <= j; k++)
                    eta += L[j * ns + k] * w->eps[k * LANES + l];
                z[l] = ar1 ? s->src->rho * z[l] + s->innovation_scale * eta : eta;
            }
            cp_dist_from_gaussian_n(&s->src->dist, z, x, w->tmp, b->n);
            /* A multiplier below zero has no meaning (negative supply). */
            for (size_t l = 0; l < b->n; l++)
                x[l] = x[l] > 0 ? x[l] : 0;
        }
        if (extras)
            for (size_t l = 0; l < b->n; l++)
                extras[l * extras_width + j * m->T + b->t] = x[l];
        multiply_slots(m, w, s->first_slot, s->n_slots, x, b->n);
    }
}

static void apply_events(const cp_model *m, cp_workspace *w, const block *b, double *extras,
                         size_t extras_width)
{
    double *factor = w->acc;
    for (size_t e = 0; e < m->n_events; e++) {
        const mevent *ev = &m->events[e];
        int *left = &w->event_left[e * LANES];
        double *severity = &w->event_severity[e * LANES];
        cp_rng_first_blocks(w->seed, b->first, b->n, ev->stream, (uint32_t)b->t, w->first);
        for (size_t l = 0; l < b->n; l++) {
            if (left[l] == 0) {
                /* The stream's first uniform decides; only a start, which
                 * is rare, needs the generator for the draws after it. */
                if (cp_rng_word_uniform(w->first[l].w[0]) < ev->src->probability) {
                    cp_rng_seek_filled(w->rng, b->first + l, ev->stream, (uint32_t)b->t,
                                       &w->first[l]);
                    (void)gsl_rng_uniform(w->rng); /* the draw just tested */
                    const double d = ceil(cp_dist_sample(&ev->src->duration, w->rng));
                    const double v = cp_dist_sample(&ev->src->severity, w->rng);
                    left[l] = d >= 1 ? (d < 1e6 ? (int)d : 1000000) : 1;
                    severity[l] = v < 0 ? 0 : (v > 1 ? 1 : v);
                }
            }
            double sev = 0;
            if (left[l] > 0) {
                sev = severity[l];
                left[l]--;
            }
            factor[l] = 1.0 - sev;
            if (extras)
                extras[l * extras_width + (m->n_shocks + e) * m->T + b->t] = sev;
        }
        multiply_slots(m, w, ev->first_slot, ev->n_slots, factor, b->n);
    }
}

/* A node's parameter p in lane l: its value times the multiplier of any
 * shock or event aimed at it. */
static inline double param(const mnode *nd, const double *mult, int p, size_t l)
{
    return nd->param_slot[p] < 0 ? nd->param[p]
                                 : nd->param[p] * mult[(size_t)nd->param_slot[p] * LANES + l];
}

static inline const double *input(const cp_model *m, const cp_workspace *w, size_t e)
{
    return &w->value[m->in_at[e] * LANES];
}

/* 1 - 1/lifetime, the share of a stock kept from one quarter to the next. */
static inline double keep_share(const mnode *nd, const double *mult, size_t l)
{
    return nd->param_slot[1] < 0 ? nd->keep : 1.0 - 1.0 / param(nd, mult, 1, l);
}

/* acc = the sum of the node's inputs of a role, lane by lane. */
static void sum_role(const cp_model *m, const cp_workspace *w, const mnode *nd, cp_role role,
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

static void eval_convert(const cp_model *m, cp_workspace *w, const mnode *nd, double *out, size_t n)
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

static void eval_assemble(const cp_model *m, cp_workspace *w, const mnode *nd, double *restrict out,
                          size_t n)
{
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
}

static void eval_stock(const cp_model *m, cp_workspace *w, const mnode *nd, double *out, size_t n)
{
    double *restrict s = &w->stock[(size_t)nd->state * LANES];
    sum_role(m, w, nd, CP_ROLE_IN, w->acc, n);
    for (size_t l = 0; l < n; l++) {
        s[l] = s[l] * keep_share(nd, w->mult, l) + w->acc[l];
        out[l] = s[l];
    }
}

static void eval_delay(const cp_model *m, cp_workspace *w, const mnode *nd, size_t t, double *out,
                       size_t n)
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

static void eval_elastic(const cp_model *m, cp_workspace *w, const mnode *nd, double *out, size_t n)
{
    double *restrict ratio = w->scale, *restrict t = w->tmp;
    sum_role(m, w, nd, CP_ROLE_FLOW, w->acc, n);
    sum_role(m, w, nd, CP_ROLE_PRICE, ratio, n);
    /* ratio^-e as exp(-e log(ratio)) over all lanes at once: libm's pow,
     * one call per lane, was a tenth of a run.  At the reference price the
     * log is 0 and the response exactly 1.  (A negative price, which no
     * input gives, would make NaN even for a whole e.) */
    for (size_t l = 0; l < n; l++)
        ratio[l] /= param(nd, w->mult, 0, l);
    cp_math_log_n(ratio, t, n);
    for (size_t l = 0; l < n; l++)
        ratio[l] = -param(nd, w->mult, 1, l) * t[l];
    cp_math_exp_n(ratio, t, n);
    for (size_t l = 0; l < n; l++)
        out[l] = w->acc[l] * t[l];
}

static void eval_deploy(const cp_model *m, cp_workspace *w, const mnode *nd, const double *mo,
                        size_t t, size_t n)
{
    const size_t at = (size_t)nd->state * LANES;
    double *waiting = &w->waiting[at], *fleet = &w->fleet[at];
    double *flops = &w->flops[at], *power = &w->power[at];
    const double *new_flops = NULL, *new_watts = NULL;
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
        if (m->in_role[e] == CP_ROLE_FLOPS)
            new_flops = input(m, w, e);
        else if (m->in_role[e] == CP_ROLE_WATTS)
            new_watts = input(m, w, e);
    }
    double *out = &w->value[(size_t)nd->index * CP_FIELDS_MAX * LANES];
    uint8_t *label = &w->binding[((size_t)nd->row * m->T + t) * LANES];
    sum_role(m, w, nd, CP_ROLE_UNITS, w->acc, n);
    sum_role(m, w, nd, CP_ROLE_POWER, w->scale, n);
    for (size_t l = 0; l < n; l++) {
        const double keep = keep_share(nd, w->mult, l);
        fleet[l] *= keep;
        flops[l] *= keep;
        power[l] *= keep;
        waiting[l] += w->acc[l];
        const double capacity = w->scale[l];
        const double mw_each = new_watts[l] * param(nd, w->mult, 0, l) / 1e6;
        const double headroom = capacity > power[l] ? capacity - power[l] : 0;
        double installed = waiting[l];
        if (mw_each > 0 && headroom / mw_each < installed)
            installed = headroom / mw_each;
        waiting[l] -= installed;
        fleet[l] += installed;
        flops[l] += installed * new_flops[l];
        power[l] += installed * mw_each;
        double loss = param(nd, w->mult, 2, l);
        loss = loss < 0 ? 0 : (loss > 1 ? 1 : loss);
        const double m_out = mo ? mo[l] : 1.0;
        label[l] = installed < waiting[l] + installed ? LABEL_POWER : LABEL_CHIPS;
        out[CP_FIELD_OUTPUT * LANES + l] = fleet[l] * m_out;
        out[CP_FIELD_COMPUTE * LANES + l] = flops[l] * (1.0 - loss) * m_out;
        out[CP_FIELD_POWER_USED * LANES + l] = power[l];
        out[CP_FIELD_WAITING * LANES + l] = waiting[l];
        out[CP_FIELD_DEPLOYED * LANES + l] = installed;
    }
}

static void eval_nodes(const cp_model *m, cp_workspace *w, const block *b)
{
    const size_t n = b->n;
    for (size_t k = 0; k < m->n_nodes; k++) {
        const mnode *nd = &m->nodes[k];
        double *out = &w->value[(size_t)nd->index * CP_FIELDS_MAX * LANES];
        const double *mo = nd->out_slot < 0 ? NULL : &w->mult[(size_t)nd->out_slot * LANES];
        switch (nd->kind) {
        case CP_NODE_SUPPLY:
            for (size_t l = 0; l < n; l++)
                out[l] = nd->series[b->t];
            break;
        case CP_NODE_CONVERT:
            eval_convert(m, w, nd, out, n);
            break;
        case CP_NODE_SPLIT: {
            const double *in = input(m, w, nd->first_in);
            for (size_t l = 0; l < n; l++)
                out[l] = param(nd, w->mult, 0, l) * in[l];
            break;
        }
        case CP_NODE_ASSEMBLE:
            eval_assemble(m, w, nd, out, n);
            break;
        case CP_NODE_STOCK:
            eval_stock(m, w, nd, out, n);
            break;
        case CP_NODE_DELAY:
            eval_delay(m, w, nd, b->t, out, n);
            break;
        case CP_NODE_ELASTIC:
            eval_elastic(m, w, nd, out, n);
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

static void record_metrics(const cp_model *m, const cp_workspace *w, const block *b, double *cells,
                           size_t row_stride)
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
            const double *restrict v =
                &w->value[((size_t)term->node * CP_FIELDS_MAX + term->field) * LANES];
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

void cp_model_begin(const cp_model *m, cp_workspace *w, uint64_t first, size_t n)
{
    w->b = (block){.first = first, .n = n < LANES ? n : LANES, .t = 0};
    reset_state(m, w, w->b.n);
}

void cp_model_step(const cp_model *m, cp_workspace *w, double *cells, size_t row_stride,
                   double *extras)
{
    const block b = w->b; /* a local copy: stores through w cannot change it */
    const size_t extras_width = cp_model_extras(m);
    for (size_t i = 0; i < m->n_slots * LANES; i++)
        w->mult[i] = 1.0;
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
