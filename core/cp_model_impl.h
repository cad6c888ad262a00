/* cp_model_impl.h -- what cp_model_build.c (binding a scenario to a graph,
 * the workspace) and cp_model.c (simulating a path) share: the model and
 * workspace structures.  Private to those two files; the public interface
 * is cp_model.h. */
#ifndef CP_MODEL_IMPL_H
#define CP_MODEL_IMPL_H

#include "cp_fleet.h"
#include "cp_model.h"
#include "cp_rng.h"
#include "cp_ztable.h"

#include <stddef.h>
#include <stdint.h>

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
    cp_ztable table;         /* its distribution at a normal score, fast (beta, pert) */
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
/* The state of every event in every lane, a field at a time ([event *
 * LANES + lane]), so that a quarter's losses are a loop over lanes without
 * branches: left, the quarters still at full severity; recover_left of
 * recover_len, the quarters of recovery; started, whether it ever began;
 * lasting, the share that stays once it is over; held, the product of what
 * stayed from the onsets that are over. */
typedef struct event_lanes {
    int32_t *left, *recover_left, *recover_len, *started;
    double *severity, *lasting, *held;
} event_lanes;

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
    size_t *node_base;     /* per graph node: where its fields start in the value array */
    int *in_from;          /* per edge: the graph index of the node it comes from */
    cp_node_kind *in_kind; /* per edge: the kind of node it comes from (a market's buyer reads
                            * no value; a stream's carries its own FLOP/s and watts) */
    cp_role *in_role;
    double *in_weight;
    size_t n_stocks, n_delays, n_deploys, n_markets;
    int *binding_node; /* binding row -> graph node index (deploy nodes in graph order) */
    size_t n_values;   /* items of the value array: one field per node, all for deploy, market */
    cp_fleet_spec *fleet_spec; /* per deploy node (state index) */
    double *survival;          /* the specs' tables: per deploy, (1 + CP_FLEET_STARTS) x (T + 2) */
    int *start_slot;           /* per deploy, CP_FLEET_STARTS: the multiplier slot of each starting
                                * vintage's node (as its spec orders them), -1: none */
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
    uint8_t start[LANES];      /* whether each lane starts the event being drawn */
    double *eps, *eps_next, *z, *shock_value;  /* per shock */
    double *mult;                              /* per multiplier slot */
    double *value;                             /* per node and field: (base + field) * LANES */
    double *stock;                             /* per stock node */
    double *cum;                               /* per cumulative metric: its running sum */
    double *delay_history;                     /* per delay node and quarter: (state * T + t) */
    cp_fleet *fleets;                          /* per deploy node */
    cp_fleet **market_fleets;                  /* the buyers of each market, in turn */
    cp_fleet_pool *pools;                      /* per market: returned accelerators */
    double *pool_units;                        /* the pools' cohorts */
    double *want;                              /* scratch for the market: buyers x lanes */
    double *units, *power_in, *pue, *replace;  /* scratch: a deploy node's inputs */
    double *own_units, *own_flops, *own_watts; /* scratch: its streams' arrivals and totals */
    uint8_t *label;                            /* per node and lane: what limits its output */
    size_t n_fleets;
    event_lanes ev;            /* per event and lane */
    double *acc, *scale, *tmp; /* scratch, one lane array each */
    double *response;          /* per shared price response */
    uint8_t *binding;          /* per binding row, quarter and lane */
};

/* The labels of what binds: four that the deploy and market rules give,
 * then each distinct `constraint` of nodes.csv in node order. */
enum { LABEL_ORDERS, LABEL_EXPORT, LABEL_POWER, LABEL_CHIPS, LABEL_FIXED };
#define NO_LABEL 0x7F
/* A label's high bit: the constraint cut a flow (an elastic node below
 * binds_below, an assemble node's cap where it is the smallest input).  A
 * sum names a cut before the largest of its inputs; binding.csv drops the
 * bit. */
#define LABEL_CUT 0x80

/* Shocks whose latent normal is drawn in the first quarter only (once, and
 * trend, which raises that draw's one-year multiplier to t / 4). */
LANE_INLINE int cp_shock_drawn_once(cp_time_kind time)
{
    return time == CP_TIME_ONCE || time == CP_TIME_TREND;
}

#endif
