/* cp_run.h -- `chokepoint run`: simulate a scenario's samples over the ranks,
 * reduce their distributions and write the output directory; checkpoint on
 * the way, resume from a checkpoint, and stop cleanly on a signal. */
#ifndef CP_RUN_H
#define CP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "cp_drive.h"
#include "cp_error.h"
#include "cp_model.h"
#include "cp_par.h"
#include "cp_precision.h"

typedef struct cp_run_options {
    uint64_t samples;
    uint64_t seed;
    uint64_t keep_samples; /* first K sample paths to samples.csv; 0: none */
    const char *out_dir;
    cp_drive_settings drive; /* start, checkpoints, progress */
    const char *command_line;
    /* The stopping rule (run --precision; NULL: none).  With it, samples
     * is the cap (--samples-max) and first_look the first look's samples
     * (a multiple of CP_PAR_CHUNK); the rule is looked at at first_look,
     * twice that, ... and the run ends at the first look where every
     * target is met, with the outputs of a fixed run of that many samples
     * (cp_precision.h).  precision_text is the specification as given. */
    const cp_precision *precision;
    const char *precision_text;
    uint64_t first_look;
    /* The tornado (run --tornado; cp_tornado.h): tornado.csv over these
     * comma-separated metrics, regions and quarters ("" or NULL: the
     * defaults). */
    int tornado;
    const char *tornado_metrics, *tornado_regions, *tornado_periods;
} cp_run_options;

/* What a run did, for the caller's report (see cp_drive.h). */
typedef cp_drive_result cp_run_result;

/* Collective.  Returns the same code on every rank; err holds the message
 * (of the lowest failing rank) on every rank.  CP_ESTOPPED: a signal asked
 * the run to stop and a checkpoint was written. */
int cp_run_execute(const cp_par *par, const cp_model *m, const cp_run_options *opt,
                   cp_run_result *res, cp_err *err);

/* Not collective: what opt->out_dir holds of this run, without running
 * anything.  *status is one of "complete", "checkpoint" (with *done the
 * samples finished), "other run" (the directory holds a run of other
 * settings) or "not started". */
int cp_run_status(const cp_model *m, const cp_run_options *opt, const char **status, uint64_t *done,
                  cp_err *err);

#endif
