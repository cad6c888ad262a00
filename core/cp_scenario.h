/* cp_scenario.h -- a scenario file: the horizon, where the inputs are, the
 * shocks with their distributions, time structure and correlations, and the
 * disruption events.  The format is INI (read with inih) and is documented in
 * scenarios/README.md.
 *
 * Loading checks the file on its own terms: known sections and keys (no
 * silent typos), no key twice, distributions and their parameters, numbers
 * in range, and a symmetric positive-definite correlation matrix.  Whether
 * targets name real nodes is checked when the scenario is bound to a graph
 * (cp_model_build).  Every error names the file and the line.
 */
#ifndef CP_SCENARIO_H
#define CP_SCENARIO_H

#include <stddef.h>

#include "cp_dist.h"
#include "cp_error.h"
#include "cp_graph.h"

#define CP_PATH_MAX 4096
#define CP_TARGETS_MAX 32
#define CP_TEXT_MAX 512

typedef enum cp_time_kind {
    CP_TIME_ONCE,      /* one draw per path, held for every quarter */
    CP_TIME_QUARTERLY, /* an independent draw each quarter */
    CP_TIME_AR1,       /* persistent: the latent normal follows an AR(1) */
    CP_TIME_TREND      /* one draw per path of a one-year lognormal multiplier x; in
                        * quarter t of the horizon the multiplier is x^(t/4), so the
                        * spread of its log grows in proportion to time */
} cp_time_kind;

/* What a shock or an event acts on: a node's output, or one of its
 * parameters when param is non-empty ("interconnect_US.lead"). */
typedef struct cp_target {
    char node[CP_NAME_MAX];
    char param[CP_NAME_MAX];
} cp_target;

typedef struct cp_shock {
    char name[CP_NAME_MAX];
    cp_dist dist; /* of the multiplier */
    cp_time_kind time;
    double rho; /* AR(1) coefficient, for CP_TIME_AR1 */
    size_t n_targets;
    cp_target targets[CP_TARGETS_MAX];
    long line;         /* of the [shock NAME] header */
    long targets_line; /* of its targets key */
    int file;          /* index in cp_scenario.files of the file that gave the header */
    int targets_file;  /* ... and of the file that gave targets (a base or a child) */
} cp_shock;

typedef struct cp_event {
    char name[CP_NAME_MAX];
    double probability;         /* of onset, per quarter, while not already under way; with
                                 * `start`, of onset in that quarter */
    cp_dist duration;           /* quarters, rounded up, at least one */
    cp_dist severity;           /* share of each target lost while under way, clamped to [0, 1] */
    int once;                   /* 1: at most one onset per path */
    int start;                  /* a quarter index: the only quarter it can start in; -1: any */
    int has_recovery;           /* recovery given */
    cp_dist recovery;           /* quarters (rounded up) of a linear return after the duration */
    int has_lasting;            /* lasting given */
    cp_dist lasting;            /* share of the loss never recovered, clamped to [0, 1] */
    double lasting_probability; /* of a lasting loss, given an onset (1 if not given) */
    /* Per target: the share of the event's loss it takes (1 unless the key
     * `exposure` says otherwise), and the exposure list as written, which
     * is matched to the targets once every file is read. */
    double exposure[CP_TARGETS_MAX];
    size_t n_exposed;
    cp_target exposed[CP_TARGETS_MAX];
    double exposed_share[CP_TARGETS_MAX];
    size_t n_targets;
    cp_target targets[CP_TARGETS_MAX];
    long line;
    long targets_line;
    int file; /* as in cp_shock */
    int targets_file;
} cp_event;

#define CP_BASE_DEPTH 16 /* longest chain of base scenarios */

typedef struct cp_scenario {
    char path[CP_PATH_MAX];
    /* Every file read, the scenario's own first, then its bases in the order
     * they were read (a base named by a base comes after it). */
    size_t n_files;
    char (*files)[CP_PATH_MAX];
    /* The data files of empirical(...) distributions, as resolved, each
     * once: results depend on them, so they are hashed like the rest. */
    size_t n_data_files;
    char (*data_files)[CP_PATH_MAX];
    char name[CP_NAME_MAX];
    char description[CP_TEXT_MAX];
    char inputs[CP_PATH_MAX]; /* the inputs directory, relative paths resolved */
    int start, end;           /* first and last quarter index, inclusive */
    size_t n_shocks;
    cp_shock *shocks;
    size_t n_events;
    cp_event *events;
    double *corr; /* n_shocks x n_shocks, row-major; identity where not given */
    double *chol; /* its lower Cholesky factor, same layout */
    /* [option]: what a sovereignty option costs, for CaR per unit of cost;
     * NAN when the scenario is not an option or gives no cost. */
    double cost_usd;
    size_t cost_file; /* the index in files of the file that gave cost_usd */
    /* [param NODE] and [series NODE]: changes to the inputs, in the order
     * read (bases first), applied by cp_graph_load_with. */
    size_t n_overrides;
    cp_graph_override *overrides;
    size_t n_warnings;
    char **warnings; /* things that are allowed but probably unintended */
} cp_scenario;

/* Reads and checks a scenario file.  A file may name a base scenario
 * ([scenario] base = other.ini, relative to the file, as its first key): the
 * base is read first and the file's sections are applied on top of it (keys
 * it gives replace the base's, sections it adds are added).  On failure sc
 * is left empty. */
int cp_scenario_load(const char *path, cp_scenario *sc, cp_err *err);
void cp_scenario_free(cp_scenario *sc);

/* Whether option's cost prices its difference from base: 1 if option has a
 * cost, is built on base, and reads no file beyond base's but its own and
 * the one that gave the cost (so the difference is the option's alone,
 * not also a stress it was built on); else 0, and why says why not (one
 * clause, no trailing period). */
int cp_scenario_priced_against(const cp_scenario *option, const cp_scenario *base, char *why,
                               size_t cap);

const char *cp_scenario_time_name(cp_time_kind time);

#endif
