/* cp_sensitivity.h -- `chokepoint sensitivity`: first-order and total Sobol
 * indices of a scenario's inputs by Saltelli's pick-freeze design, over the
 * ranks through the shared chunk loop (cp_drive), with the estimators in
 * cp_sobol.
 *
 * Inputs are the scenario's shocks and events (named shock_NAME and
 * event_NAME, as samples.csv names them), each drawing from its own random
 * stream, and the groups given with --group.  Sample i of matrix A is
 * sample i of the scenario (sample key i for every input); of matrix B,
 * every input drawn with key i + 2^62 (independent of A); of AB_k, input k
 * (or every member of group k) with key i + 2^62 and every other input with
 * key i (cp_model_set_keys).  So N samples cost N (K + 2) model
 * evaluations for K inputs and groups.  A shock's index is that of its own
 * independent innovations: where shocks are correlated ([correlation]),
 * taking shock k from B moves every shock that its innovation reaches
 * through the Cholesky factor, and the index measures the share of
 * variance carried by that innovation; a group of the correlated shocks
 * gives the index of the set as a whole, which is the interpretable one.
 *
 * Sums are formed per chunk of CP_PAR_CHUNK samples (by global index) and
 * added exactly (cp_xsum), so sensitivity.csv is byte-identical at any rank
 * count and after a checkpoint and resume.
 */
#ifndef CP_SENSITIVITY_H
#define CP_SENSITIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "cp_drive.h"
#include "cp_error.h"
#include "cp_model.h"
#include "cp_par.h"

#define CP_SENSITIVITY_METRIC "frontier_compute_h100e"
#define CP_SENSITIVITY_PERIODS "2028Q4,2030Q4,2035Q4"
/* The key offset of matrix B. */
#define CP_SENSITIVITY_B_OFFSET (UINT64_C(1) << 62)

typedef struct cp_sensitivity_options {
    uint64_t samples; /* N: base samples; the model runs N (K + 2) times */
    uint64_t seed;
    const char *out_dir;
    const char *metric;        /* NULL: CP_SENSITIVITY_METRIC */
    const char *region;        /* NULL: every region of the metric */
    const char *periods;       /* comma-separated quarters; NULL: CP_SENSITIVITY_PERIODS */
    const char *const *groups; /* "NAME=input,input,..." each */
    size_t n_groups;
    cp_drive_settings drive; /* start, checkpoints, progress */
    const char *command_line;
} cp_sensitivity_options;

/* Not collective, runs nothing: checks the design against the model (the
 * metric, region and quarters exist; every --group is NAME=a,b with a
 * valid, unused name and known, distinct inputs).  CP_EINVAL with a
 * message naming what is wrong and what there is. */
int cp_sensitivity_check(const cp_model *m, const cp_sensitivity_options *opt, cp_err *err);

/* The number of model evaluations per base sample: K + 2 (0 if the design
 * is invalid). */
size_t cp_sensitivity_evaluations_per_sample(const cp_model *m, const cp_sensitivity_options *opt);

/* Collective.  Writes out_dir/sensitivity.csv and out_dir/manifest.json
 * (last), out_dir/checkpoint.bin on the way.  Returns the same code on
 * every rank; CP_ESTOPPED: a signal asked it to stop and a checkpoint was
 * written. */
int cp_sensitivity_execute(const cp_par *par, const cp_model *m, const cp_sensitivity_options *opt,
                           cp_drive_result *res, cp_err *err);

/* Not collective: what opt->out_dir holds of this analysis (see
 * cp_drive_status). */
int cp_sensitivity_status(const cp_model *m, const cp_sensitivity_options *opt, const char **status,
                          uint64_t *done, cp_err *err);

#endif
