/* cp_model.h -- a scenario bound to a graph, and the simulation of one
 * sample path.
 *
 * cp_model_build resolves every name (shock and event targets, parameters)
 * to indices once, so simulating a sample is arithmetic only: no lookups, no
 * allocation.  cp_model_simulate is a pure function of (model, seed, sample):
 * it writes the sample's metric cells, which the caller reduces into
 * statistics, and optionally the shocks and events drawn.
 *
 * Layouts, for T quarters, M metrics, S shocks and E events:
 *   cells  (M*T)      metric m in quarter t at m*T + t
 *   extras ((S+E)*T)  shock s's multiplier in quarter t at s*T + t, then
 *                     event e's severity at (S+e)*T + t (0 when not under way)
 */
#ifndef CP_MODEL_H
#define CP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "cp_error.h"
#include "cp_graph.h"
#include "cp_scenario.h"

typedef struct cp_model cp_model;
typedef struct cp_workspace cp_workspace;

/* Binds sc to g.  Both must outlive the model.  Errors (unknown target
 * node or parameter, a stream-name collision) name the scenario file and
 * line. */
int cp_model_build(const cp_scenario *sc, const cp_graph *g, cp_model **out, cp_err *err);
void cp_model_free(cp_model *m);

size_t cp_model_periods(const cp_model *m);
size_t cp_model_cells(const cp_model *m);  /* M * T */
size_t cp_model_extras(const cp_model *m); /* (S + E) * T */
const cp_graph *cp_model_graph(const cp_model *m);
const cp_scenario *cp_model_scenario(const cp_model *m);

/* Per-sample scratch space: generator, latent shock state, node state.  One
 * per thread of simulation.  NULL if allocation fails. */
cp_workspace *cp_workspace_alloc(const cp_model *m, uint64_t seed);
void cp_workspace_free(cp_workspace *w);

/* Samples simulated together by one call (see cp_model_simulate).  The
 * cost of walking the graph and of each node's loop set-up is shared by all
 * lanes, so more is faster while the lanes' state stays in cache: on the
 * baseline 256 (one chunk, CP_PAR_CHUNK) takes 4% less time than 64 and 128,
 * 32 more.  Results do not depend on it. */
#define CP_MODEL_LANES 256

/* Simulates samples first .. first + n - 1 (n at most CP_MODEL_LANES),
 * writing cell c of sample first + s at cells[c * stride + s] (by cell, as
 * cp_stats_add_columns reads them; stride >= n) and, unless extras is NULL,
 * the sample's shocks and events at extras[s * cp_model_extras(m) + k].
 * Each sample's values are the same whichever block it is simulated in. */
void cp_model_simulate(const cp_model *m, cp_workspace *w, uint64_t first, size_t n, double *cells,
                       size_t stride, double *extras);

/* Inputs of a pick-freeze design (cp_sensitivity): the S shocks, then the
 * E events, each with its own random stream.  cp_model_input_name writes
 * "shock_NAME" or "event_NAME" (as samples.csv names them); CP_EINVAL if
 * it does not fit in cap. */
size_t cp_model_inputs(const cp_model *m); /* S + E */
int cp_model_input_name(const cp_model *m, size_t k, char *buf, size_t cap);

/* Sample keys per input: after this, input k's streams draw sample i with
 * key i + offsets[k] (modulo 2^64) where they drew with key i, every other
 * draw unchanged; offsets has cp_model_inputs(m) entries, and NULL sets
 * them all back to 0, which is the default and changes nothing.  A key
 * offset of 2^62 gives an input draws independent of every sample < 2^62
 * (Saltelli's matrix B beside matrix A).  For a shock the offset moves its
 * independent innovations eps; correlated shocks then see it through
 * eta = L eps. */
void cp_model_set_keys(const cp_model *m, cp_workspace *w, const uint64_t *offsets);

/* cp_model_simulate a quarter at a time, so that a caller can take each
 * quarter's cells while they are in cache: cp_model_begin starts samples
 * first .. first + n - 1 at quarter 0, and each cp_model_step (T of them)
 * simulates the next quarter t, writing metric i of sample first + s at
 * cells[i * row_stride + s] and extras as cp_model_simulate does.  The
 * values are cp_model_simulate's. */
void cp_model_begin(const cp_model *m, cp_workspace *w, uint64_t first, size_t n);
void cp_model_step(const cp_model *m, cp_workspace *w, double *cells, size_t row_stride,
                   double *extras);

/* The next quarter's draws alone, as cp_model_step makes them (the
 * shocks' multipliers and the events', written to extras unless it is
 * NULL), without evaluating the graph: the floor a simulation cannot go
 * below (jobs/bench.sh).  The quarter counts as stepped; cells of a block
 * so drawn are not defined. */
void cp_model_draw(const cp_model *m, cp_workspace *w, double *extras);
/* What bound installed compute.  A model has R binding rows, one per deploy
 * node (in the graph's node order), and K constraint labels (e.g. "power:grid",
 * "chips:cowos", "orders"; the list depends on the graph, see inputs/README.md).
 * In every quarter every row of every sample gets exactly one label, so
 * the labels' shares sum to 1 per row and quarter. */
size_t cp_model_binding_rows(const cp_model *m);
const char *cp_model_binding_node(const cp_model *m, size_t row);   /* the deploy node's name */
const char *cp_model_binding_region(const cp_model *m, size_t row); /* and its region */
size_t cp_model_binding_labels(const cp_model *m);
const char *cp_model_binding_label(const cp_model *m, size_t k);

/* The labels of the block just simulated: after cp_model_simulate, or after
 * the cp_model_step of quarter t, the label of row r in quarter t of the
 * block's sample s (lane s) is
 *   cp_model_binding(w)[(r * T + t) * CP_MODEL_LANES + s],
 * an index below cp_model_binding_labels(m).  Valid until the next
 * cp_model_begin or cp_model_simulate on w. */
const uint8_t *cp_model_binding(const cp_workspace *w);

/* The latent standard normal z of every shock (see cp_model.c: its
 * multiplier is a non-decreasing function of it) in the quarter just
 * simulated by cp_model_step: shock j's in lane s at
 *   cp_model_latent(w)[j * CP_MODEL_LANES + s].
 * z is standard normal in every quarter for every time structure, so its
 * deciles are +-1.2816 (the tornado classifies samples by them).  Valid
 * until the next cp_model_step, cp_model_begin or cp_model_simulate. */
const double *cp_model_latent(const cp_workspace *w);

#endif
