/* cp_precision.h -- the stopping rule of `run --precision SPEC --samples-max N`.
 *
 * SPEC is one or more targets separated by ';', each
 *
 *   STAT:METRIC:REGION:PERIOD=TOLERANCE
 *
 * STAT is `mean` or a quantile `pXX` (XX a percentage strictly between 0
 * and 100: p05, p50, p99, p2.5); TOLERANCE is the largest half-width of the
 * statistic's 95% confidence interval that is accepted, relative to the
 * statistic with a trailing `%` (`0.5%`) or absolute, in the metric's unit
 * (`2e6`).  The run stops at the first look at which every target is met.
 *
 * Confidence intervals.  A mean's is mean +- 1.96 sd / sqrt(n).  A
 * quantile's is distribution-free, from order statistics: with
 * h = 1.96 sqrt(n p (1 - p)), the interval [x_(l), x_(u)] with
 * l = floor(n p - h) and u = ceil(n p + h) covers the p-quantile with
 * probability about 0.95 whatever the distribution (the binomial count of
 * samples below the quantile, in its normal approximation); the order
 * statistics come from the run's sketch (relative error below 1/2049, so a
 * tolerance under about 0.1% may never be met).  While l < 1 or u > n the
 * interval is unbounded and the target not met.
 *
 * Looks.  The rule is looked at only at fixed sample counts: the first
 * look F (a multiple of the chunk, 256), then 2F, 4F, ... below the cap M,
 * and M itself, where the run ends whatever the precision.  Statistics at a
 * look are those of a fixed run of that many samples, which are the same
 * at any rank count, so the decision and the outputs are too.
 *
 * Pure: no MPI, no global state.
 */
#ifndef CP_PRECISION_H
#define CP_PRECISION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cp_error.h"
#include "cp_model.h"
#include "cp_stats.h"

#define CP_PRECISION_TARGETS_MAX 8
#define CP_PRECISION_LOOKS_MAX 64
#define CP_PRECISION_FIRST_DEFAULT 16384
#define CP_PRECISION_Z 1.959963984540054 /* the normal's 97.5% quantile */

typedef struct cp_precision_target {
    char text[256]; /* the target as written */
    char stat[16];  /* its statistic as written: mean, p05 */
    int is_mean;    /* 1: mean; 0: the quantile prob */
    double prob;    /* in (0, 1) */
    char metric[64], region[64], period[16];
    double tolerance; /* > 0 */
    int relative;     /* tolerance is a share of the statistic */
    size_t cell;      /* set by cp_precision_resolve */
} cp_precision_target;

typedef struct cp_precision {
    size_t n;
    cp_precision_target t[CP_PRECISION_TARGETS_MAX];
} cp_precision;

/* Where a target stands at a look. */
typedef struct cp_precision_status {
    double value;         /* the statistic */
    double lo, hi;        /* its 95% confidence interval (infinite while unbounded) */
    double half_width;    /* (hi - lo) / 2 */
    double relative_half; /* half_width / |value| (infinite when value is 0) */
    int met;
} cp_precision_status;

/* Parses SPEC; CP_EINVAL with a message naming the target and what is
 * wrong with it (a usage error: nothing is read yet). */
int cp_precision_parse(const char *spec, cp_precision *out, cp_err *err);

/* Finds each target's cell in m (metric and region of the graph's metrics,
 * a quarter of the horizon); CP_EINVAL naming the target and the name that
 * is not there. */
int cp_precision_resolve(cp_precision *p, const cp_model *m, cp_err *err);

/* The status of target k in st (after cp_precision_resolve); returns 1 if
 * every target is met, with st_out[k] for each (st_out may be NULL). */
int cp_precision_check(const cp_precision *p, const cp_stats *st, cp_precision_status *st_out);

/* The looks of first (a multiple of 256, at least 256) and max (>= first):
 * first, 2 first, 4 first, ... below max, then max; at most cap of them.
 * Returns their count (0 if first or max is not so). */
size_t cp_precision_looks(uint64_t first, uint64_t max, uint64_t *looks, size_t cap);

/* A one-line description of target k's status, e.g.
 * "p05 frontier_compute_h100e World 2030Q4 = 1.234e+08 +- 0.41% (target 0.5%)". */
void cp_precision_describe(const cp_precision_target *t, const cp_precision_status *s, char *buf,
                           size_t cap);

/* What makes a run with this rule another run than one without, or with
 * another rule or first look: "precision=SPEC;first=F". */
void cp_precision_identity(const char *spec, uint64_t first, char *buf, size_t cap);

/* The progress line of a look at n samples: each target's status, then
 * "continuing to NEXT samples" (next > 0) or "stopping". */
void cp_precision_report(FILE *fp, const cp_precision *p, const cp_precision_status *status,
                         uint64_t n, uint64_t next);

/* manifest.json's "stopping_rule" member (a line of its own, with its
 * trailing comma): the rule, its looks up to the samples st holds, why the
 * run stopped (stopped_at > 0: the rule was met there; else the cap was
 * reached) and each target's achieved precision in st. */
void cp_precision_manifest(FILE *fp, const cp_precision *p, const char *spec, uint64_t first,
                           uint64_t max, const cp_stats *st, uint64_t stopped_at);

#endif
