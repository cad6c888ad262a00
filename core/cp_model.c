/* cp_model.c -- simulating sample paths of a model (cp_model_build.c binds it).
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
#include "cp_model_impl.h"
#include "cp_math.h"
#include "cp_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    memset(w->cum, 0, m->g->n_cumulative * LANES * sizeof *w->cum);
    for (size_t d = 0; d < m->n_deploys; d++)
        cp_fleet_reset(&w->fleets[d]);
    for (size_t i = 0; i < m->n_markets * m->T * LANES; i++)
        w->pool_units[i] = 0;
    for (size_t k = 0; k < m->n_markets; k++)
        w->pools[k] = (cp_fleet_pool){.units = &w->pool_units[k * m->T * LANES], .first = m->T};
    const size_t ne = m->n_events * LANES;
    memset(w->ev.left, 0, ne * sizeof *w->ev.left);
    memset(w->ev.recover_left, 0, ne * sizeof *w->ev.recover_left);
    memset(w->ev.recover_len, 0, ne * sizeof *w->ev.recover_len);
    memset(w->ev.started, 0, ne * sizeof *w->ev.started);
    for (size_t i = 0; i < ne; i++) {
        w->ev.severity[i] = w->ev.lasting[i] = 0;
        w->ev.held[i] = 1.0;
    }
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
        if (!(b->t > 0 && cp_shock_drawn_once(s->src->time))) {
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
                if (s->table.y)
                    cp_ztable_map(&s->table, &s->src->dist, z, x, b->n);
                else
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

/* An onset at index at (event and lane) of ev: the draws after the uniform that
 * decided it, in a fixed order (the keys a scenario does not give draw
 * nothing, so adding recovery or lasting to one event leaves every other
 * draw as it was). */
static void start_event(const cp_event *src, gsl_rng *rng, const event_lanes *ev, size_t at)
{
    (void)gsl_rng_uniform(rng); /* the draw just tested */
    ev->left[at] = quarters_of(cp_dist_sample(&src->duration, rng), 1);
    const double severity = share_of(cp_dist_sample(&src->severity, rng));
    ev->severity[at] = severity;
    ev->recover_len[at] =
        src->has_recovery ? quarters_of(cp_dist_sample(&src->recovery, rng), 0) : 0;
    ev->lasting[at] = 0;
    if (src->has_lasting) {
        const double u = gsl_rng_uniform(rng);
        const double share = share_of(cp_dist_sample(&src->lasting, rng));
        ev->lasting[at] = u < src->lasting_probability ? severity * share : 0;
    }
    ev->started[at] = 1;
}

/* Which lanes start the event this quarter: those where it is not under
 * way (nor over, for an event that happens once) and the stream's first
 * uniform falls below its probability.  Returns whether any does. */
CP_LANE_CLONES static int onsets(size_t n, const int32_t *restrict left,
                                 const int32_t *restrict recover_left,
                                 const int32_t *restrict started, int once,
                                 const cp_rng_block *first, double probability,
                                 uint8_t *restrict start)
{
    int any = 0;
    for (size_t l = 0; l < n; l++) {
        const int idle = (left[l] == 0) & (recover_left[l] == 0) & !(once & (started[l] != 0));
        start[l] = idle & (cp_rng_word_uniform(first[l].w[0]) < probability);
        any |= start[l];
    }
    return any;
}

/* The share of each target each lane keeps this quarter (factor), and the
 * quarter passed: the severity while under way, then a straight line down
 * to the lasting part over the recovery, which is then held for the rest
 * of the path (held, read before this quarter's end adds to it); and what
 * a tornado reports of it (reported: the loss, or with an earlier onset's
 * part held, the whole share lost).  Every lane computes every case and
 * keeps its own: no branch. */
CP_LANE_CLONES static void event_losses(size_t n, int32_t *restrict left,
                                        int32_t *restrict recover_left,
                                        const int32_t *restrict recover_len,
                                        const double *restrict severity, double *restrict lasting,
                                        double *restrict held, double *restrict factor,
                                        double *restrict reported)
{
    for (size_t l = 0; l < n; l++) {
        const int32_t lf = left[l], rl = recover_left[l], len = recover_len[l];
        const double sev = severity[l], last = lasting[l], h = held[l];
        const int32_t under = lf > 0, recovering = (lf <= 0) & (rl > 0);
        const int32_t lf2 = lf - under;
        /* the last quarter at full severity starts the recovery */
        const int32_t rl2 = (under & (lf2 == 0)) ? len : rl - recovering;
        const double k = (double)(len - rl + 1);
        const double ramp = last + (sev - last) * (1.0 - k / (double)(len + 1));
        const double loss = under ? sev : (recovering ? ramp : 0.0);
        const int32_t over = (under | recovering) & (lf2 == 0) & (rl2 == 0); /* lasting held */
        left[l] = lf2;
        recover_left[l] = rl2;
        held[l] = over ? h * (1.0 - last) : h;
        lasting[l] = over ? 0 : last;
        factor[l] = h * (1.0 - loss);
        reported[l] = h == 1.0 ? loss : 1.0 - factor[l];
    }
}

static void apply_events(const cp_model *m, cp_workspace *w, const block *b, double *extras,
                         size_t extras_width)
{
    double *factor = w->acc, *loss = w->tmp; /* loss: as reported */
    uint8_t *start = w->start;
    for (size_t e = 0; e < m->n_events; e++) {
        const mevent *ev = &m->events[e];
        const cp_event *src = ev->src;
        const size_t at = e * LANES;
        int may_start = ev->start < 0 || (long)b->t == ev->start;
        if (may_start && src->once) { /* once every lane has started, none can */
            size_t l = 0;
            while (l < b->n && w->ev.started[at + l])
                l++;
            may_start = l < b->n;
        }
        /* The uniforms are drawn only where an onset is possible: a quarter
         * that cannot start the event draws nothing, and changes nothing.
         * The stream's first uniform decides; only a start, which is rare,
         * needs the generator for the draws after it. */
        const uint64_t key = b->first + w->key_offset[m->n_shocks + e];
        if (may_start) {
            cp_rng_first_blocks(w->seed, key, b->n, ev->stream, (uint32_t)b->t, w->first);
            const int any =
                onsets(b->n, &w->ev.left[at], &w->ev.recover_left[at], &w->ev.started[at],
                       src->once, w->first, src->probability, start);
            for (size_t l = 0; any && l < b->n; l++)
                if (start[l]) {
                    cp_rng_seek_filled(w->rng, key + l, ev->stream, (uint32_t)b->t, &w->first[l]);
                    start_event(src, w->rng, &w->ev, at + l);
                }
        }
        event_losses(b->n, &w->ev.left[at], &w->ev.recover_left[at], &w->ev.recover_len[at],
                     &w->ev.severity[at], &w->ev.lasting[at], &w->ev.held[at], factor, loss);
        for (size_t l = 0; extras && l < b->n; l++)
            extras[l * extras_width + (m->n_shocks + e) * m->T + b->t] = loss[l];
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
 * `flow` for elastic).  Of several, a cut names the sum before a flow (a
 * quarter's turbines that cut on-site power say more than the grid queue
 * beside it, which only timed its flow), then the largest. */
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
            const int cut = from[l] >> 7, best_cut = lab[l] >> 7;
            const int better = cut > best_cut || (cut == best_cut && in[l] > best[l]);
            lab[l] = better ? from[l] : lab[l];
            best[l] = better ? in[l] : best[l];
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
 * the node has a constraint of its own); where that input is a cap, the
 * label says the cap cut the flow. */
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
        const uint8_t cut = m->in_role[e] == CP_ROLE_CAP ? LABEL_CUT : 0;
        for (size_t l = 0; l < n; l++) {
            const double v = in[l] * per_unit;
            const uint8_t k = from[l] == NO_LABEL ? NO_LABEL : (uint8_t)(from[l] | cut);
            lab[l] = v < out[l] ? k : lab[l];
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

/* A delay's output in each lane: its history read `lead` quarters back,
 * between quarters in a straight line, `before` (or the first quarter's
 * input, where use_first) before the first quarter.  A function with
 * restrict parameters and loads from valid quarters only, so that its loop
 * vectorizes (gathers). */
CP_LANE_CLONES static void delay_lanes(size_t n, size_t t, const double *restrict lead,
                                       double before0, int use_first, const double *restrict hist,
                                       double *restrict out)
{
    const double last = (double)t;
    for (size_t l = 0; l < n; l++) {
        const double pos = last - (lead[l] > 0 ? lead[l] : 0);
        const double i0 = floor(pos), i1 = i0 + 1;
        const double frac = pos - i0;
        /* Every load from a quarter in [0, t], chosen after: no branch. */
        const size_t q0 = (size_t)(i0 < 0 ? 0 : i0);
        const size_t q1 = (size_t)(i1 < 0 ? 0 : (i1 <= last ? i1 : last));
        const double first = hist[l], h0 = hist[q0 * LANES + l], h1 = hist[q1 * LANES + l];
        const double before = use_first ? first : before0;
        const double a = i0 < 0 ? before : h0;
        const double b = i1 < 0 ? before : (i1 <= last ? h1 : a);
        out[l] = (1 - frac) * a + frac * b;
    }
}

LANE_INLINE void eval_delay(const cp_model *m, cp_workspace *w, const mnode *nd, size_t t,
                            double *out, size_t n)
{
    double *hist = &w->delay_history[(size_t)nd->state * m->T * LANES];
    const double *in = input(m, w, nd->first_in);
    double *restrict lead = w->tmp;
    for (size_t l = 0; l < n; l++) {
        hist[t * LANES + l] = in[l];
        lead[l] = param(nd, w->mult, 0, l);
    }
    delay_lanes(n, t, lead, nd->param[1], !(nd->param[1] >= 0), hist, out);
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
            lab[l] = t[l] < below ? (uint8_t)(nd->label | LABEL_CUT) : lab[l];
    }
}

/* ---- markets and fleets ----------------------------------------------- */

/* units += v, flops += v fl, watts += v wt, lane by lane (a function with
 * restrict parameters, so that it vectorizes). */
CP_LANE_CLONES static void add_own(size_t n, const double *restrict v, const double *restrict fl,
                                   const double *restrict wt, double *restrict units,
                                   double *restrict flops, double *restrict watts)
{
    for (size_t l = 0; l < n; l++) {
        units[l] += v[l];
        flops[l] += v[l] * fl[l];
        watts[l] += v[l] * wt[l];
    }
}

/* Adds a stream's accelerators (from edge e, v of them) to the deploy
 * node's own arrivals, with the FLOP/s and watts of the stream's inputs. */
LANE_INLINE void add_stream(const cp_model *m, cp_workspace *w, size_t e, const double *v, size_t n)
{
    const cp_node *src = &m->g->nodes[m->in_from[e]];
    const double *fl = NULL, *wt = NULL;
    for (size_t k = src->first_in; k < src->first_in + src->n_in; k++) {
        if (m->in_role[k] == CP_ROLE_FLOPS)
            fl = input(m, w, k);
        else if (m->in_role[k] == CP_ROLE_WATTS)
            wt = input(m, w, k);
    }
    if (fl && wt)
        add_own(n, v, fl, wt, w->own_units, w->own_flops, w->own_watts);
}

/* A deploy node's inputs in this quarter, gathered into the workspace's
 * scratch: deliveries from inputs other than a market (a stream's as its
 * own accelerators), the power, the PUE, and the FLOP/s and watts of this
 * quarter's accelerators. */
LANE_INLINE cp_fleet_in deploy_inputs(const cp_model *m, cp_workspace *w, const mnode *nd, size_t n)
{
    cp_fleet_in in = {.units = w->units,
                      .power = w->power_in,
                      .pue = w->pue,
                      .horizon = nd->param[8],
                      .buffer = nd->param[9],
                      .start = nd->param_slot[3] < 0 ? NULL
                                                     : &w->mult[(size_t)nd->param_slot[3] * LANES]};
    const int *start_slot = &m->start_slot[CP_FLEET_STARTS * (size_t)nd->state];
    for (size_t v = 0; v < m->fleet_spec[nd->state].n_start; v++)
        in.start_each[v] = start_slot[v] < 0 ? NULL : &w->mult[(size_t)start_slot[v] * LANES];
    for (size_t l = 0; l < n; l++) {
        w->units[l] = w->power_in[l] = 0;
        w->pue[l] = param(nd, w->mult, 0, l);
    }
    /* Replacement, where the node has it (a value above 0, or a shock on
     * it): the share, clamped to [0, 0.99] (at 1 a fleet would churn
     * accelerators for their equals). */
    if (nd->param[12] > 0 || nd->param_slot[12] >= 0) {
        in.replace_below = w->replace;
        for (size_t l = 0; l < n; l++) {
            const double v = param(nd, w->mult, 12, l);
            w->replace[l] = v > 0 ? (v < 0.99 ? v : 0.99) : 0;
        }
    }
    if (m->fleet_spec[nd->state].own) {
        in.own_units = w->own_units;
        in.own_flops = w->own_flops;
        in.own_watts = w->own_watts;
        for (size_t l = 0; l < n; l++)
            w->own_units[l] = w->own_flops[l] = w->own_watts[l] = 0;
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
        else if (m->in_role[e] == CP_ROLE_LIQUID)
            in.liquid = v;
        else if (m->in_role[e] == CP_ROLE_NEEDS_LIQUID)
            in.needs = v;
        else if (m->in_role[e] == CP_ROLE_UNITS && m->in_kind[e] == CP_NODE_STREAM)
            add_stream(m, w, e, v, n);
        else if (m->in_role[e] == CP_ROLE_UNITS && m->in_kind[e] != CP_NODE_MARKET)
            for (size_t l = 0; l < n; l++) /* a market delivers through the fleet */
                w->units[l] += v[l];
    }
    /* The PUE follows the cooling mix of its power: pue where racks are
     * liquid-cooled, pue + pue_air_extra where they are not. */
    for (size_t l = 0; in.liquid && l < n; l++) {
        const double p = w->power_in[l], liquid = in.liquid[l];
        const double share = p > 0 && liquid < p ? (liquid > 0 ? liquid / p : 0) : 1;
        w->pue[l] += param(nd, w->mult, 11, l) * (1.0 - share);
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
    const uint8_t *power = NULL, *chips = NULL, *liquid = NULL;
    for (size_t e = nd->first_in; e < nd->first_in + nd->n_in; e++) {
        if (m->in_role[e] == CP_ROLE_POWER && !power)
            power = labels_of(m, w, m->in_from[e]);
        else if (m->in_role[e] == CP_ROLE_LIQUID)
            liquid = labels_of(m, w, m->in_from[e]);
        else if (m->in_role[e] == CP_ROLE_UNITS && (!chips || m->in_kind[e] == CP_NODE_MARKET))
            chips = labels_of(m, w, m->in_from[e]);
    }
    for (size_t l = 0; l < n; l++) {
        /* binding.csv names the constraint, not whether it cut a flow */
        const uint8_t p = power ? power[l] & ~LABEL_CUT : NO_LABEL;
        const uint8_t c = chips ? chips[l] & ~LABEL_CUT : NO_LABEL;
        const uint8_t cool = liquid ? liquid[l] & ~LABEL_CUT : NO_LABEL;
        uint8_t k;
        switch (bound[l]) {
        case CP_FLEET_BOUND_POWER:
            k = p != NO_LABEL ? p : LABEL_POWER;
            break;
        case CP_FLEET_BOUND_SHORT:
            k = c != NO_LABEL ? c : LABEL_CHIPS;
            break;
        case CP_FLEET_BOUND_CAPPED:
            k = LABEL_EXPORT;
            break;
        case CP_FLEET_BOUND_COOLING:
            k = cool != NO_LABEL ? cool : LABEL_POWER;
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
                             .waiting_own = &out[CP_FIELD_WAITING_OWN * LANES],
                             .received_own = &out[CP_FIELD_RECEIVED_OWN * LANES],
                             .replaced = &out[CP_FIELD_REPLACED * LANES],
                             .received_own_flops = &out[CP_FIELD_RECEIVED_OWN_FLOPS * LANES],
                             .received_new_flops = &out[CP_FIELD_RECEIVED_NEW_FLOPS * LANES],
                             .bound = labels_of(m, w, nd->index)};
    cp_fleet_pool *pool = nd->market >= 0 ? &w->pools[nd->market] : NULL;
    cp_fleet_step(&m->fleet_spec[nd->state], &w->fleets[nd->state], t, n, &in, pool, &fo);
    binding_labels(m, w, nd, fo.bound, &w->binding[((size_t)nd->row * m->T + t) * LANES], n);
    /* Failures take a share of the compute; a multiplier on the node is an
     * outage of the fleet in service, not a change of its state.  Two
     * loops: `mo ? mo[l] : 1.0` in one became a masked load merged through
     * the stack each lane, a fifth of the graph's time; x * 1.0 is x, so
     * the loop without an outage drops the product and no bit changes. */
    if (mo)
        for (size_t l = 0; l < n; l++) {
            const double loss = share_of(param(nd, w->mult, 2, l));
            fo.fleet[l] *= mo[l];
            fo.flops[l] *= (1.0 - loss) * mo[l];
        }
    else
        for (size_t l = 0; l < n; l++)
            fo.flops[l] *= 1.0 - share_of(param(nd, w->mult, 2, l));
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
        case CP_NODE_STREAM: /* a count; a deploy node reads its FLOP/s and watts */
            sum_role(m, w, nd, CP_ROLE_IN, out, n);
            pass_label(m, w, nd, n);
            break;
        case CP_NODE_VINTAGE: /* its accelerators at the start; the deploy node reads the rest */
            for (size_t l = 0; l < n; l++)
                out[l] = nd->param[0];
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

LANE_INLINE void record_metrics(const cp_model *m, cp_workspace *w, const block *b, double *cells,
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
            const double *restrict v = &w->value[(m->node_base[term->node] + term->field) * LANES];
            const double scale = term->scale;
            if (k == mt->first_term)
                for (size_t l = 0; l < b->n; l++)
                    acc[l] = 0.0 + scale * v[l];
            else
                for (size_t l = 0; l < b->n; l++)
                    acc[l] += scale * v[l];
        }
        if (mt->cumulative < 0)
            continue;
        /* A running sum: this quarter's value added to those before (a
         * divisor's too, before any quotient). */
        double *restrict run = &w->cum[(size_t)mt->cumulative * LANES];
        for (size_t l = 0; l < b->n; l++)
            acc[l] = run[l] += acc[l];
    }
    /* Ratios once every sum is formed (a divisor is never a ratio).  Where
     * the divisor is not above 0 there is nothing to divide by and the
     * ratio is 0; the divisor of 1 there keeps the discarded quotient
     * finite, so the loop needs no branch. */
    for (size_t i = 0; i < g->n_metrics; i++) {
        if (g->metrics[i].per < 0)
            continue;
        double *restrict acc = &cells[i * row_stride];
        const double *restrict den = &cells[(size_t)g->metrics[i].per * row_stride];
        for (size_t l = 0; l < b->n; l++) {
            const int some = den[l] > 0;
            const double q = acc[l] / (some ? den[l] : 1.0);
            acc[l] = some ? q : 0.0;
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

CP_LANE_CLONES void cp_model_draw(const cp_model *m, cp_workspace *w, double *extras)
{
    const block b = w->b;
    const size_t extras_width = cp_model_extras(m);
    draw_shocks(m, w, &b, extras, extras_width);
    apply_events(m, w, &b, extras, extras_width);
    w->b.t++;
}

void cp_model_simulate(const cp_model *m, cp_workspace *w, uint64_t first, size_t n, double *cells,
                       size_t stride, double *extras)
{
    cp_model_begin(m, w, first, n);
    for (size_t t = 0; t < m->T; t++)
        cp_model_step(m, w, cells + t * stride, m->T * stride, extras);
}
