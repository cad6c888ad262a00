/* cp_batch.h -- a batch file: the runs of an overnight batch, one per row.
 *
 *   name,scenario,samples,seed,out[,keep_samples][,compare][,precision,samples_max]
 *
 * Paths are relative to the batch file's directory.  Names and output
 * directories must be unique (two runs writing one directory would spoil
 * each other).  An entry whose `compare` cell names option scenarios
 * (paths separated by ';') is a comparison, `compare SCENARIO OPTION...`;
 * each option file must be readable when the batch is read, and such an
 * entry keeps no samples.  An entry with a non-empty `sensitivity` cell is
 * `sensitivity SCENARIO` with that cell's design options (--metric M,
 * --region R, --periods P1,P2, --group NAME=a,b, separated by blanks; `-`
 * for the defaults), checked by the caller; it is neither a comparison nor
 * keeps samples.
 * entry keeps no samples.  An entry with a `precision` cell is `run
 * --precision PRECISION --samples SAMPLES --samples-max SAMPLES_MAX`
 * (samples is then the first look; cp_precision.h), checked here.  An
 * entry whose `tornado` cell is `yes` is a run with --tornado (its default
 * cells); `no` or empty: without.
 * Format and use in jobs/README.md.
 */
#ifndef CP_BATCH_H
#define CP_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "cp_error.h"

typedef struct cp_batch_entry {
    char name[64];
    char scenario[4096];
    char out[4096];
    uint64_t samples, seed, keep_samples;
    char precision[1024]; /* a stopping rule (run --precision), "" if none */
    uint64_t samples_max; /* its cap; 0 without one */
    int tornado;          /* 1: run --tornado (its default cells) */
    char **options;       /* a comparison's option scenarios (n_options > 0), else NULL */
    size_t n_options;
    int is_sensitivity;     /* a sensitivity analysis: */
    char sensitivity[1024]; /* its design options as written ("-": the defaults) */
    long line;
} cp_batch_entry;

typedef struct cp_batch {
    char path[4096];
    size_t n;
    cp_batch_entry *entries;
} cp_batch;

/* Reads and checks a batch file; errors name the file, line and field. */
int cp_batch_load(const char *path, cp_batch *b, cp_err *err);
void cp_batch_free(cp_batch *b);

#endif
