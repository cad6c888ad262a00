/* cp_model.c -- binding a scenario to a graph, and simulating one path.
 *
 * Shocks.  Each shock has a latent standard normal z that becomes its
 * multiplier through the shock's distribution (a Gaussian copula).  Every
 * quarter each shock draws an innovation eps from its own random stream
 * (seed, sample, shock name, quarter); the innovations are correlated by the
 * Cholesky factor L of the scenario's correlation matrix, eta = L eps, and
 * the time structure turns eta into z: once (z = eta of the first quarter,
 * held), quarterly (z = eta), ar1 (z = rho z' + sqrt(1 - rho^2) eta, which
 * keeps z standard normal in every quarter).
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
#include "cp_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

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
    mnode *nodes;          /* in topological order */
    mshock *shocks;
    mevent *events;
    int *slot_refs;        /* the slots each shock and event multiplies */
    size_t n_slot_refs;
    /* The graph's edges, flattened for the inner loop: where each input's
     * value is, its role, and its weight (for assemble, its reciprocal, so
     * the loop multiplies instead of dividing). */
    size_t *in_at;
    cp_role *in_role;
    double *in_weight;
    size_t n_stocks, n_delays, n_deploys;
};

/* Deploy state: accelerators waiting for power, and the fleet with its
 * total FLOP/s and MW drawn.  Retirement is geometric, the same share of
 * every vintage, so totals stay exact without tracking vintages. */
typedef struct deploy_state {
    double waiting, fleet, flops, power;
} deploy_state;

struct cp_workspace {
    gsl_rng *rng;
    double *eps, *z, *shock_value;
    double *mult;
    double *value; /* n_nodes * CP_FIELDS_MAX, indexed by graph node index */
    double *stock;
    double *delay_history; /* n_delays * T */
    deploy_state *deploy;
    int *event_left;
    double *event_severity;
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
                           size_t n_targets, long line, const char *what, const char *name,
                           size_t *first, size_t *count, cp_err *err)
{
    const cp_graph *g = m->g;
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
                              "%s:%ld: [%s %s]: key 'targets': unknown node '%s' (not in "
                              "%s/nodes.csv)",
                              m->sc->path, line, what, name, t->node, g->dir);
        int param = -1;
        if (t->param[0]) {
            param = cp_graph_param_index(g->nodes[node].kind, t->param);
            if (param < 0)
                return cp_err_set(err, CP_EINVAL,
                                  "%s:%ld: [%s %s]: key 'targets': %s node '%s' has no "
                                  "parameter '%s'",
                                  m->sc->path, line, what, name,
                                  cp_graph_kind_name(g->nodes[node].kind), t->node, t->param);
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(targets[k].node, t->node) == 0 && strcmp(targets[k].param, t->param) == 0)
                return cp_err_set(err, CP_EINVAL,
                                  "%s:%ld: [%s %s]: key 'targets': '%s%s%s' is listed twice",
                                  m->sc->path, line, what, name, t->node, t->param[0] ? "." : "",
                                  t->param);
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
        int rc = resolve_targets(m, slots, s->src->targets, s->src->n_targets,
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
                                 ev->src->targets_line, "event", ev->src->name, &ev->first_slot,
                                 &ev->n_slots, err);
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
    slot_table slots = {0};
    int rc = CP_OK;
    if (!m->nodes || !m->shocks || !m->events)
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

/* ---- workspace -------------------------------------------------------- */

cp_workspace *cp_workspace_alloc(const cp_model *m, uint64_t seed)
{
    cp_workspace *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    const size_t ns = m->n_shocks + 1;
    w->rng = cp_rng_alloc(seed);
    w->eps = calloc(ns, sizeof *w->eps);
    w->z = calloc(ns, sizeof *w->z);
    w->shock_value = calloc(ns, sizeof *w->shock_value);
    w->mult = calloc(m->n_slots + 1, sizeof *w->mult);
    w->value = calloc(m->n_nodes * CP_FIELDS_MAX, sizeof *w->value);
    w->stock = calloc(m->n_stocks + 1, sizeof *w->stock);
    w->delay_history = calloc(m->n_delays * m->T + 1, sizeof *w->delay_history);
    w->deploy = calloc(m->n_deploys + 1, sizeof *w->deploy);
    w->event_left = calloc(m->n_events + 1, sizeof *w->event_left);
    w->event_severity = calloc(m->n_events + 1, sizeof *w->event_severity);
    if (!w->rng || !w->eps || !w->z || !w->shock_value || !w->mult || !w->value || !w->stock ||
        !w->delay_history || !w->deploy || !w->event_left || !w->event_severity) {
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
    free(w->z);
    free(w->shock_value);
    free(w->mult);
    free(w->value);
    free(w->stock);
    free(w->delay_history);
    free(w->deploy);
    free(w->event_left);
    free(w->event_severity);
    free(w);
}

/* ---- simulation ------------------------------------------------------- */

static void reset_state(const cp_model *m, cp_workspace *w)
{
    for (size_t k = 0; k < m->n_nodes; k++) {
        const mnode *n = &m->nodes[k];
        if (n->kind == CP_NODE_STOCK) {
            w->stock[n->state] = n->param[0];
        } else if (n->kind == CP_NODE_DEPLOY) {
            deploy_state *d = &w->deploy[n->state];
            const double fleet = n->param[3];
            d->waiting = 0;
            d->fleet = fleet;
            d->flops = fleet * n->param[4];
            d->power = fleet * n->param[5] * n->param[0] / 1e6;
        }
    }
    for (size_t e = 0; e < m->n_events; e++) {
        w->event_left[e] = 0;
        w->event_severity[e] = 0;
    }
}

static void draw_shocks(const cp_model *m, cp_workspace *w, uint64_t sample, size_t t,
                        double *extras)
{
    const size_t n = m->n_shocks;
    const double *L = m->sc->chol;
    for (size_t j = 0; j < n; j++) {
        if (t > 0 && !m->shocks[j].needs_every_quarter)
            continue;
        cp_rng_seek(w->rng, sample, m->shocks[j].stream, (uint32_t)t);
        w->eps[j] = gsl_ran_gaussian_ziggurat(w->rng, 1.0);
    }
    for (size_t j = 0; j < n; j++) {
        const mshock *s = &m->shocks[j];
        if (t > 0 && s->src->time == CP_TIME_ONCE)
            continue;
        double eta = 0;
        for (size_t k = 0; k <= j; k++)
            eta += L[j * n + k] * w->eps[k];
        if (s->src->time == CP_TIME_AR1 && t > 0)
            w->z[j] = s->src->rho * w->z[j] + s->innovation_scale * eta;
        else
            w->z[j] = eta;
        double x = cp_dist_from_gaussian(&s->src->dist, w->z[j]);
        /* A multiplier below zero has no meaning (negative supply). */
        w->shock_value[j] = x > 0 ? x : 0;
    }
    if (extras)
        for (size_t j = 0; j < n; j++)
            extras[j * m->T + t] = w->shock_value[j];
    for (size_t j = 0; j < n; j++) {
        const mshock *s = &m->shocks[j];
        for (size_t k = 0; k < s->n_slots; k++)
            w->mult[m->slot_refs[s->first_slot + k]] *= w->shock_value[j];
    }
}

static void apply_events(const cp_model *m, cp_workspace *w, uint64_t sample, size_t t,
                         double *extras)
{
    for (size_t e = 0; e < m->n_events; e++) {
        const mevent *ev = &m->events[e];
        if (w->event_left[e] == 0) {
            cp_rng_seek(w->rng, sample, ev->stream, (uint32_t)t);
            if (gsl_rng_uniform(w->rng) < ev->src->probability) {
                double d = ceil(cp_dist_sample(&ev->src->duration, w->rng));
                double s = cp_dist_sample(&ev->src->severity, w->rng);
                w->event_left[e] = d >= 1 ? (d < 1e6 ? (int)d : 1000000) : 1;
                w->event_severity[e] = s < 0 ? 0 : (s > 1 ? 1 : s);
            }
        }
        double sev = 0;
        if (w->event_left[e] > 0) {
            sev = w->event_severity[e];
            w->event_left[e]--;
            for (size_t k = 0; k < ev->n_slots; k++)
                w->mult[m->slot_refs[ev->first_slot + k]] *= 1.0 - sev;
        }
        if (extras)
            extras[(m->n_shocks + e) * m->T + t] = sev;
    }
}

static inline double param(const mnode *n, const double *mult, int p)
{
    return n->param_slot[p] < 0 ? n->param[p] : n->param[p] * mult[n->param_slot[p]];
}

static inline double input(const cp_model *m, const double *value, size_t e)
{
    return value[m->in_at[e]];
}

/* 1 - 1/lifetime, the share of a stock kept from one quarter to the next. */
static inline double keep_share(const mnode *n, const double *mult)
{
    return n->param_slot[1] < 0 ? n->keep : 1.0 - 1.0 / param(n, mult, 1);
}

static double eval_convert(const cp_model *m, const mnode *n, const double *mult,
                           const double *value)
{
    double sum = 0, scale = 1;
    for (size_t e = n->first_in; e < n->first_in + n->n_in; e++) {
        if (m->in_role[e] == CP_ROLE_IN)
            sum += m->in_weight[e] * input(m, value, e);
        else
            scale *= input(m, value, e);
    }
    return param(n, mult, 0) * sum * scale;
}

static double eval_assemble(const cp_model *m, const mnode *n, const double *value)
{
    double out = INFINITY;
    for (size_t e = n->first_in; e < n->first_in + n->n_in; e++) {
        double v = input(m, value, e) * m->in_weight[e];
        if (v < out)
            out = v;
    }
    return out;
}

static double sum_inputs(const cp_model *m, const mnode *n, const double *value, cp_role role)
{
    double sum = 0;
    for (size_t e = n->first_in; e < n->first_in + n->n_in; e++)
        if (m->in_role[e] == role)
            sum += input(m, value, e);
    return sum;
}

static double eval_delay(const cp_model *m, const mnode *n, cp_workspace *w, size_t t,
                         double in)
{
    double *hist = &w->delay_history[(size_t)n->state * m->T];
    hist[t] = in;
    const double lead = param(n, w->mult, 0);
    const double before = n->param[1] >= 0 ? n->param[1] : hist[0];
    const double pos = (double)t - (lead > 0 ? lead : 0);
    const double i0 = floor(pos);
    const double frac = pos - i0;
    const double a = i0 < 0 ? before : hist[(size_t)i0];
    const double b = i0 + 1 < 0 ? before : (i0 + 1 <= (double)t ? hist[(size_t)(i0 + 1)] : a);
    return (1 - frac) * a + frac * b;
}

static void eval_deploy(const cp_model *m, const mnode *n, cp_workspace *w, double mo,
                        double *out)
{
    deploy_state *d = &w->deploy[n->state];
    const double *mult = w->mult;
    const double keep = keep_share(n, mult);
    double flops = 0, watts = 0;
    for (size_t e = n->first_in; e < n->first_in + n->n_in; e++) {
        if (m->in_role[e] == CP_ROLE_FLOPS)
            flops = input(m, w->value, e);
        else if (m->in_role[e] == CP_ROLE_WATTS)
            watts = input(m, w->value, e);
    }
    d->fleet *= keep;
    d->flops *= keep;
    d->power *= keep;
    d->waiting += sum_inputs(m, n, w->value, CP_ROLE_UNITS);
    const double capacity = sum_inputs(m, n, w->value, CP_ROLE_POWER);
    const double mw_each = watts * param(n, mult, 0) / 1e6;
    const double headroom = capacity > d->power ? capacity - d->power : 0;
    double installed = d->waiting;
    if (mw_each > 0 && headroom / mw_each < installed)
        installed = headroom / mw_each;
    d->waiting -= installed;
    d->fleet += installed;
    d->flops += installed * flops;
    d->power += installed * mw_each;
    double loss = param(n, mult, 2);
    loss = loss < 0 ? 0 : (loss > 1 ? 1 : loss);
    out[CP_FIELD_OUTPUT] = d->fleet * mo;
    out[CP_FIELD_COMPUTE] = d->flops * (1.0 - loss) * mo;
    out[CP_FIELD_POWER_USED] = d->power;
    out[CP_FIELD_WAITING] = d->waiting;
    out[CP_FIELD_DEPLOYED] = installed;
}

static void eval_nodes(const cp_model *m, cp_workspace *w, size_t t)
{
    double *value = w->value;
    const double *mult = w->mult;
    for (size_t k = 0; k < m->n_nodes; k++) {
        const mnode *n = &m->nodes[k];
        double *out = &value[(size_t)n->index * CP_FIELDS_MAX];
        const double mo = n->out_slot < 0 ? 1.0 : mult[n->out_slot];
        double v = 0;
        switch (n->kind) {
        case CP_NODE_SUPPLY:
            v = n->series[t];
            break;
        case CP_NODE_CONVERT:
            v = eval_convert(m, n, mult, value);
            break;
        case CP_NODE_SPLIT:
            v = param(n, mult, 0) * input(m, value, n->first_in);
            break;
        case CP_NODE_ASSEMBLE:
            v = eval_assemble(m, n, value);
            break;
        case CP_NODE_STOCK: {
            double *s = &w->stock[n->state];
            *s = *s * keep_share(n, mult) + sum_inputs(m, n, value, CP_ROLE_IN);
            v = *s;
            break;
        }
        case CP_NODE_DELAY:
            v = eval_delay(m, n, w, t, input(m, value, n->first_in));
            break;
        case CP_NODE_ELASTIC: {
            double price = sum_inputs(m, n, value, CP_ROLE_PRICE);
            v = sum_inputs(m, n, value, CP_ROLE_FLOW) *
                pow(price / param(n, mult, 0), -param(n, mult, 1));
            break;
        }
        case CP_NODE_DEPLOY:
            eval_deploy(m, n, w, mo, out);
            continue;
        default:
            break;
        }
        out[CP_FIELD_OUTPUT] = v * mo;
    }
}

static void record_metrics(const cp_model *m, const cp_workspace *w, size_t t, double *cells)
{
    const cp_graph *g = m->g;
    for (size_t i = 0; i < g->n_metrics; i++) {
        const cp_metric *mt = &g->metrics[i];
        double sum = 0;
        for (size_t k = mt->first_term; k < mt->first_term + mt->n_terms; k++)
            sum += w->value[(size_t)g->terms[k].node * CP_FIELDS_MAX + g->terms[k].field];
        cells[i * m->T + t] = sum;
    }
}

void cp_model_simulate(const cp_model *m, cp_workspace *w, uint64_t sample, double *cells,
                       double *extras)
{
    reset_state(m, w);
    for (size_t t = 0; t < m->T; t++) {
        for (size_t s = 0; s < m->n_slots; s++)
            w->mult[s] = 1.0;
        draw_shocks(m, w, sample, t, extras);
        apply_events(m, w, sample, t, extras);
        eval_nodes(m, w, t);
        record_metrics(m, w, t, cells);
    }
}
