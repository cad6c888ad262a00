/* cp_checkpoint.h -- the state of a run part-way: everything needed to
 * finish it with exactly the results an uninterrupted run would give.
 *
 * A checkpoint holds the run's identity (the command, program version and
 * commit, the SHA-256 of the scenario and its inputs, seed, samples, kept
 * samples), the index of the next chunk to simulate, the merged statistics
 * of every chunk before it, and the kept sample rows drawn so far.  A run
 * has one set of statistics; a comparison has several (each scenario's own
 * and each option's paired differences), kept in one file of the same
 * format so that both are read, checked and refused by the same code.  The file is a few text
 * lines ("key=value", for a person with `head`), the binary state, and a
 * SHA-256 of everything before it; it is written to a temporary name and
 * renamed.  Reading refuses a file whose checksum fails, that is cut short,
 * or that belongs to another run, and says which.
 */
#ifndef CP_CHECKPOINT_H
#define CP_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "cp_error.h"
#include "cp_stats.h"

#define CP_CHECKPOINT_FILE "checkpoint.bin"

/* What makes two runs the same run. */
typedef struct cp_run_identity {
    char kind[16]; /* the command: "run", "compare" or "sensitivity" */
    char version[32];
    char commit[48];
    char scenario[64];        /* name (a comparison's base), for messages */
    char scenario_sha256[65]; /* of every file a scenario was read from (all scenarios') */
    char inputs_sha256[65];   /* of the five input files' hashes, in order (all scenarios') */
    uint64_t seed;
    uint64_t samples;
    uint64_t keep_samples;
    /* A sensitivity analysis's design (SHA-256 of its cells, inputs and
     * groups); "" for run and compare, whose files and ids it leaves as
     * they were. */
    char design[65];
    /* What else makes the run another: a run's stopping rule and tornado
     * ("precision=...;first=...", "tornado=..."), "" for a plain run (whose
     * run id is then what it always was). */
    char options[1024];
    /* Every file the result depends on, one "SHA256 PATH" line each
     * (scenarios, their bases, empirical data files, inputs): not part of
     * the run id (the hashes above cover them), but kept in a checkpoint
     * so that a refusal can say which file changed. */
    char files[16384];
} cp_run_identity;

/* A checkpoint's content.  The statistics are borrowed: written from, or
 * merged into on reading.  A run names its one set in `stats`; a
 * comparison names n_sets of them in `sets` (which then wins), in an order
 * of its choosing that reading must repeat. */
typedef struct cp_checkpoint {
    uint64_t next_chunk;
    cp_stats *stats;
    cp_stats *const *sets;
    size_t n_sets;
    double *kept; /* kept rows (id first), n_kept of kept_width doubles */
    size_t n_kept;
    size_t kept_width;
} cp_checkpoint;

/* Writes dir/checkpoint.bin (atomically). */
int cp_checkpoint_write(const char *dir, const cp_run_identity *id, const cp_checkpoint *ck,
                        cp_err *err);

/* Reads dir/checkpoint.bin into ck: checks the checksum and that the file
 * is of the run `expect`; merges its statistics into ck->stats or
 * ck->sets (which must be as many as were written, with the same cell
 * counts) and returns its kept rows in ck->kept (malloc'd).
 * ck->kept_width must be set by the caller.  The file is read in pieces
 * and its statistics merged as they are decompressed, so reading holds
 * about a megabyte of them, not the whole (bzip2's output can only be
 * checked as it comes: the checksum is checked first, in a pass of its
 * own).  On failure ck->kept is NULL and the statistics may hold part of
 * the file's: they are fit only to be freed. */
int cp_checkpoint_read(const char *dir, const cp_run_identity *expect, cp_checkpoint *ck,
                       cp_err *err);

/* Reads only the text header of dir/checkpoint.bin (no checksum check):
 * the run it belongs to and how far it got, for status reports. */
int cp_checkpoint_peek(const char *dir, cp_run_identity *id, uint64_t *next_chunk, cp_err *err);

/* 1 if dir holds a checkpoint file. */
int cp_checkpoint_exists(const char *dir);

/* Removes dir/checkpoint.bin (when the run it belongs to is complete). */
void cp_checkpoint_remove(const char *dir);

/* A short hex id of the run (first 16 hex digits of the SHA-256 of its
 * identity), for manifests and batch summaries. */
void cp_checkpoint_run_id(const cp_run_identity *id, char out[17]);

#endif
