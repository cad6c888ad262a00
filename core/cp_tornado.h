/* cp_tornado.h -- a tornado from an ordinary run (`run --tornado`): for
 * each input (every shock and event of the scenario) and each chosen
 * output cell, the output's median and mean among the samples whose input
 * was low and among those whose input was high.  From the samples the run
 * draws anyway: no extra model evaluations.
 *
 * Classes, decided per sample in the output's own quarter, with no pass
 * over the data (so the same at any rank count and after a resume):
 *  - a shock by its latent standard normal z (cp_model_latent), whose
 *    deciles are known: low if z < -1.2816 (its bottom 10%), high if
 *    z > 1.2816 (its top 10%).  The multiplier is a non-decreasing function
 *    of z, so these are the multiplier's bottom and top deciles.  Shocks
 *    correlated through the scenario's copula move with it: the swing of a
 *    shock is that of the shock and what comes with it, not of the shock
 *    alone (which Sobol indices of groups address);
 *  - an event by its share lost in that quarter (the model's extras):
 *    low if 0 (not under way, no lasting loss), high if above 0.
 *
 * Each (quarter, input, class) keeps a cp_stats over the chosen (metric,
 * region) rows, fed with the chunk's members of that class in sample
 * order: quantiles from integer bucket counts and means from exact sums,
 * merged, reduced and checkpointed like the run's own statistics.
 *
 * Pure: no MPI, no global state.  Adding allocates nothing.
 */
#ifndef CP_TORNADO_H
#define CP_TORNADO_H

#include <stddef.h>
#include <stdint.h>

#include "cp_error.h"
#include "cp_model.h"
#include "cp_stats.h"

#define CP_TORNADO_METRICS_DEFAULT "frontier_compute_h100e"
#define CP_TORNADO_PERIODS_DEFAULT "2028Q4,2030Q4,2035Q4"
#define CP_TORNADO_Z10 1.2815515655446004 /* the standard normal's 90% quantile */

typedef struct cp_tornado cp_tornado;

/* The tornado of m over the metrics, regions and quarters named in the
 * comma-separated lists (NULL or "": the defaults -- the metric above, every
 * region it has, and of the default quarters those in the horizon, or the
 * last quarter if none is).  A name that is not in m (metric, region of
 * none of the metrics, quarter outside the horizon) is CP_EINVAL naming
 * it. */
int cp_tornado_build(const cp_model *m, const char *metrics, const char *regions,
                     const char *periods, cp_tornado **out, cp_err *err);
void cp_tornado_free(cp_tornado *tn);

/* The statistics, for merging, reducing and checkpointing: *n sets, which
 * a caller may replace by empty ones of the same shape. */
cp_stats **cp_tornado_sets(cp_tornado *tn, size_t *n);

/* The selection as resolved, for a run's identity: "tornado=M,..|R,..|P,.." */
void cp_tornado_identity(const cp_tornado *tn, char *buf, size_t cap);

/* Adds the n samples (lanes) of quarter t just simulated by cp_model_step:
 * metric i of lane s at values[i * row_stride + s], the shocks' latent z
 * at latent[j * CP_MODEL_LANES + s], the extras at
 * extras[s * cp_model_extras(m) + k].  Nothing if t is not a chosen
 * quarter.  A non-finite value is CP_EMODEL. */
int cp_tornado_add(cp_tornado *tn, size_t t, const double *values, size_t row_stride,
                   const double *latent, const double *extras, size_t n, cp_err *err);

/* Writes dir/tornado.csv (atomically):
 *   scenario,metric,region,period,input,low_p50,high_p50,low_mean,high_mean,
 *   swing_p50,low_samples,high_samples,unit
 * per chosen row and quarter, the inputs by |swing_p50| descending (ties
 * and empty classes, whose statistics are empty fields, in the scenario's
 * order). */
int cp_tornado_write(const char *dir, const cp_tornado *tn, cp_err *err);

#endif
