/* cp_run.h -- `chokepoint run`: simulate a scenario's samples over the ranks,
 * reduce their distributions and write the output directory. */
#ifndef CP_RUN_H
#define CP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "cp_error.h"
#include "cp_model.h"
#include "cp_par.h"

typedef struct cp_run_options {
    uint64_t samples;
    uint64_t seed;
    uint64_t keep_samples; /* first K sample paths to samples.csv; 0: none */
    const char *out_dir;
    int force;               /* replace a previous run's files in out_dir */
    double progress_seconds; /* a progress line this often on stderr; 0: none */
    const char *command_line;
} cp_run_options;

/* Collective.  Returns the same code on every rank; err holds the message
 * (of the lowest failing rank) on every rank. */
int cp_run_execute(const cp_par *par, const cp_model *m, const cp_run_options *opt, cp_err *err);

#endif
