/* cp_drive.h -- the chunk loop that `run` and `compare` share.
 *
 * Chunks of CP_PAR_CHUNK samples are simulated in lockstep rounds: in a
 * round of P ranks, rank r takes chunks C + r, C + r + P, ... (up to
 * four, fewer where a look or the end cuts the round), and then all ranks
 * agree, with one small collective, whether anyone failed, was asked to stop
 * by a signal, or is due a checkpoint.  Because the ranks move in step, the
 * chunks before C are all done at every round boundary, so a checkpoint is simply "the merged
 * statistics of chunks [0, C)".  Statistics merge exactly, so a run resumed
 * from a checkpoint (at any rank count) ends with the same bytes as one that
 * was never interrupted.
 *
 * The driver owns the rounds, the output directory's start (fresh, resumed
 * from a checkpoint, or already complete), checkpoint timing, the stop on a
 * signal and progress reports.  What a chunk is, how statistics merge and
 * what a checkpoint holds belong to the caller, through cp_drive_ops.
 *
 * All ranks take part in every collective step even after a local failure,
 * so a failure anywhere ends the run everywhere with one message.  Only
 * rank 0 touches files.
 */
#ifndef CP_DRIVE_H
#define CP_DRIVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cp_checkpoint.h"
#include "cp_error.h"
#include "cp_model.h"
#include "cp_par.h"
#include "cp_stats.h"

/* A chunk is one block of the model's lanes: run, compare and sensitivity
 * begin a chunk once and step it a quarter at a time (cp_model_step),
 * adding each quarter's cells while they are in cache. */
_Static_assert(CP_MODEL_LANES >= CP_PAR_CHUNK, "a chunk must be one block of lanes");

/* What the driver asks of the command it drives; ctx is the command's. */
typedef struct cp_drive_ops {
    /* This rank: simulates one chunk into its own statistics. */
    int (*simulate)(void *ctx, uint64_t chunk, cp_err *err);
    /* Collective: every rank's statistics since the last merge join rank
     * 0's; the other ranks start again from empty.  Returns the same code
     * on every rank. */
    int (*merge)(void *ctx, cp_err *err);
    /* Rank 0, just after a merge: writes the checkpoint of every chunk
     * before next_chunk. */
    int (*save)(void *ctx, uint64_t next_chunk, cp_err *err);
    /* Rank 0, before any chunk: merges the output directory's checkpoint
     * into rank 0's statistics and returns the chunk it continues at. */
    int (*load)(void *ctx, uint64_t *next_chunk, cp_err *err);
    /* Rank 0, just after a merge at one of cp_drive_options' looks (NULL
     * when there are none): sets *stop to end the run with the chunks
     * before next_chunk, as if it had been asked for that many samples. */
    int (*look)(void *ctx, uint64_t next_chunk, int *stop, cp_err *err);
} cp_drive_ops;

/* How a run or comparison starts, and when it checkpoints and reports:
 * what run, compare and batch share. */
typedef struct cp_drive_settings {
    int force;                   /* replace a previous run's files in out_dir */
    int resume;                  /* continue from out_dir's checkpoint, if any */
    uint64_t checkpoint_samples; /* a checkpoint every this many samples; 0: never */
    double checkpoint_seconds;   /* a checkpoint every this many seconds; 0: never */
    double progress_seconds;     /* a progress line this often on stderr; 0: none */
} cp_drive_settings;

typedef struct cp_drive_options {
    const char *out_dir;
    const char *run_id; /* rank 0: this run's id (cp_checkpoint_run_id) */
    const char *what;   /* "run" or "comparison", for messages */
    uint64_t samples;   /* per scenario */
    cp_drive_settings set;
    /* A stopping rule's looks (run --precision): chunk counts, ascending,
     * below the run's chunks.  Rounds end at each, where all ranks merge
     * and ops->look decides; so the statistics it sees, and those of a run
     * that stops there, are a fixed run's of that many samples. */
    const uint64_t *looks;
    size_t n_looks;
} cp_drive_options;

/* Where rank 0's time went in the rounds (for the manifest and the scale
 * figures in core/README.md): its chunks, the agreement that ends each
 * round (which includes waiting for the slowest rank), the merges to rank
 * 0 at the looks and at the end, and the checkpoints (their merges and
 * writing). */
typedef struct cp_drive_timing {
    uint64_t rounds, chunks;
    double simulate, simulate_sq; /* seconds over rank 0's chunks, and their squares */
    double agree, merge, checkpoint;
} cp_drive_timing;

/* What a run (or comparison) did, for the caller's report. */
typedef struct cp_drive_result {
    int already_complete;  /* --resume found it finished: nothing done */
    uint64_t first_sample; /* where this invocation started (0, or a checkpoint's) */
    uint64_t done;         /* samples complete when it returned */
    uint64_t stopped_at;   /* samples where a look stopped it; 0 if none did */
    double wall_seconds;
    cp_drive_timing timing;
    /* After a merge that succeeded: the most resident memory any rank had
     * reached (the kernel's peak, ru_maxrss), in KiB, for the manifest. */
    uint64_t peak_rss_kib;
} cp_drive_result;

/* Collective.  Prepares opt->out_dir (or resumes from its checkpoint, or
 * finds the run complete there), simulates every chunk not yet done, and
 * merges all statistics to rank 0, where the caller then writes its
 * outputs.  Fills res->already_complete and res->first_sample.  Returns the
 * same code on every rank; CP_ESTOPPED: a signal asked the run to stop and
 * a checkpoint was written. */
int cp_drive_execute(const cp_par *par, const cp_drive_ops *ops, void *ctx,
                     const cp_drive_options *opt, cp_drive_result *res, cp_err *err);

/* Writes t as the manifest's "rounds" member (with a comma and newline
 * after it): the counts, rank 0's seconds in each part, and the chunk's
 * mean and sd (the spread that makes the ranks wait at each round). */
void cp_drive_manifest_timing(FILE *fp, const cp_drive_timing *t);

/* The samples in chunks [0, chunk) of a run of `samples`. */
uint64_t cp_drive_samples_before(uint64_t samples, uint64_t chunk);

/* Collective: reduces sets[0..n) to rank 0 in order; on the other ranks
 * each is replaced by an empty one of the same shape (cells and label
 * counts), ready for the next chunks. */
int cp_drive_reduce_stats(const cp_par *par, cp_stats **sets, size_t n, cp_err *err);

/* The statistics of one scenario: m's cells, and the counts of its binding
 * labels with one group per binding row and quarter (group r * T + t, as
 * cp_model_binding lays them out).  NULL if allocation fails. */
cp_stats *cp_drive_stats_alloc(const cp_model *m);

/* Counts the binding labels of the n samples just simulated on w into st
 * (from cp_drive_stats_alloc): quarters t0 .. t0 + nt - 1 of every binding
 * row, so (0, T) after cp_model_simulate and (t, 1) after the cp_model_step
 * of quarter t.  A label the model does not name is CP_EINVAL. */
int cp_drive_count_binding(cp_stats *st, const cp_model *m, const cp_workspace *w, size_t n,
                           size_t t0, size_t nt, cp_err *err);

/* The identity of a run of models[0] (n = 1) or of a comparison of
 * models[0..n): the hashes cover every scenario file (bases included) and
 * every scenario's inputs, in order. */
int cp_drive_identify(const cp_model *const *models, size_t n, uint64_t seed, uint64_t samples,
                      uint64_t keep_samples, cp_run_identity *id, cp_err *err);

/* Not collective: what out_dir holds of the run with this identity,
 * without running anything.  *status is one of "complete", "checkpoint"
 * (with *done the samples finished), "other run" (the directory holds a
 * run of other settings) or "not started". */
int cp_drive_status(const char *out_dir, const cp_run_identity *id, const char **status,
                    uint64_t *done, cp_err *err);

#endif
