/* cp_compare.h -- `chokepoint compare`: a base scenario and options on
 * common random numbers.  Sample i of every scenario is simulated with the
 * same seed and sample index, so every shock or event that two scenarios
 * share by name sees the same draws, and the per-sample difference
 * option - base is the option's effect, not noise.  The distribution of
 * those paired differences is reduced like a run's cells (cp_stats), over
 * the same chunks of global sample indices, so the result is byte-identical
 * at any rank count. */
#ifndef CP_COMPARE_H
#define CP_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "cp_drive.h"
#include "cp_error.h"
#include "cp_model.h"
#include "cp_par.h"

typedef struct cp_compare_options {
    uint64_t samples; /* per scenario */
    uint64_t seed;
    const char *out_dir;
    cp_drive_settings drive; /* start, checkpoints, progress */
    const char *command_line;
} cp_compare_options;

/* Collective.  models[0] is the base, models[1..n) the options; all must
 * have the same metrics and horizon (else CP_EINVAL, nothing written).
 * Writes out_dir/compare.csv, out_dir/NAME/summary.csv and
 * out_dir/NAME/binding.csv for each scenario and out_dir/manifest.json (last), and
 * out_dir/checkpoint.bin on the way. Returns the same code on every rank; CP_ESTOPPED: a signal
 * asked it to stop and a checkpoint was written. */
int cp_compare_execute(const cp_par *par, const cp_model *const *models, size_t n,
                       const cp_compare_options *opt, cp_drive_result *res, cp_err *err);

/* Not collective: what opt->out_dir holds of this comparison, without
 * running anything (see cp_drive_status). */
int cp_compare_status(const cp_model *const *models, size_t n, const cp_compare_options *opt,
                      const char **status, uint64_t *done, cp_err *err);

#endif
