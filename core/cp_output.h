/* cp_output.h -- the files a run writes, each written to a temporary name
 * in the output directory and renamed into place only when complete, so a
 * crashed run never leaves a file that looks finished.  manifest.json is
 * written last: its presence means the run completed.
 *
 *   summary.csv    scenario,metric,region,period,unit,samples,mean,sd,
 *                  p01,p05,p10,p25,p50,p75,p90,p95,p99,min,max,car05,
 *                  car05_shortfall
 *   binding.csv    scenario,node,region,period,constraint,samples,count,share
 *   samples.csv    scenario,sample,metric,region,period,unit,value
 *   manifest.json  how the result was made
 */
#ifndef CP_OUTPUT_H
#define CP_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cp_error.h"
#include "cp_model.h"
#include "cp_stats.h"

/* Creates dir (and parents) if needed.  A directory that holds anything is
 * refused unless force, in which case the files a run writes are removed
 * from it first (so no stale file survives next to new ones). */
int cp_output_prepare_dir(const char *dir, int force, cp_err *err);

/* Removes the temporary files (.NAME.tmp.PID) a killed run left in dir. */
void cp_output_clear_leftovers(const char *dir);

/* Before any work: whether dir can be written, or created where its
 * nearest existing parent is writable (an unwritable --out found after
 * the simulation would lose all of it). */
int cp_output_check_writable(const char *dir, cp_err *err);

/* An output file being written: dir/.NAME.tmp.PID until committed. */
typedef struct cp_outfile {
    FILE *fp;
    char tmp[4096];
    char final[4096];
} cp_outfile;

int cp_outfile_open(cp_outfile *f, const char *dir, const char *name, cp_err *err);
/* Flushes, syncs and renames into place; on any failure removes the
 * temporary file. */
int cp_outfile_commit(cp_outfile *f, cp_err *err);
/* Closes and removes the temporary file (for error paths). */
void cp_outfile_abandon(cp_outfile *f);

/* The probabilities of the summary's quantile columns. */
extern const double cp_output_probs[9];

int cp_output_write_summary(const char *dir, const cp_model *m, const cp_stats *st, cp_err *err);

/* binding.csv: what bound each deploy node's installed compute, one row per
 * (binding row, quarter, label) in that order, every label listed even when
 * no sample carried it.  st's label counts must be cp_drive_stats_alloc's
 * shape for m (one group per binding row and quarter), else CP_EINVAL and
 * nothing written. */
int cp_output_write_binding(const char *dir, const cp_model *m, const cp_stats *st, cp_err *err);

/* rows: n rows, for samples 0 .. n-1, each the sample's cells followed by
 * its extras (see cp_model_simulate). */
int cp_output_write_samples(const char *dir, const cp_model *m, const double *rows, size_t n,
                            cp_err *err);

/* The lowercase hex SHA-256 of a file's bytes (65 bytes with the NUL). */
int cp_output_sha256(const char *path, char hex[65], cp_err *err);

/* The lowercase hex SHA-256 of a string's bytes. */
void cp_output_sha256_text(const char *text, char hex[65]);

/* Writes s as a JSON string literal (quotes and escapes included). */
void cp_output_json_string(FILE *fp, const char *s);

/* Finds path's line in hashes ("SHA256 PATH" lines, as a run's identity
 * lists the files it read: cp_run_identity.files) and copies its hash to
 * hex: 1 if found, else 0. */
int cp_output_hash_lookup(const char *hashes, const char *path, char hex[65]);

/* Writes {"path": PATH, "sha256": HEX} for a file.  HEX is the file's hash
 * in hashes (taken when the run started, so that a manifest says what the
 * run read, not what the file became while it ran); a file not listed
 * there is hashed now, HEX "unreadable" if it cannot be read. */
void cp_output_json_file(FILE *fp, const char *path, const char *hashes);

/* Writes cp_output_json_file for each of g's five input files (nodes,
 * edges, params, series, metrics), in that order, with sep between. */
void cp_output_json_inputs(FILE *fp, const cp_graph *g, const char *sep, const char *hashes);

/* The part of a manifest that says how a result was made, as JSON members
 * each followed by ",\n": version, git_commit, run_id, command, scenario
 * (name, path), and the SHA-256 of every file read (scenario_files,
 * data_files, inputs), from hashes as cp_output_json_file takes them.
 * Shared by run and sensitivity; compare, with several scenarios, writes
 * the same files per scenario. */
void cp_output_manifest_provenance(FILE *fp, const char *run_id, const char *command_line,
                                   const cp_scenario *sc, const cp_graph *g, const char *hashes);

/* What a manifest says of its making's cost, as JSON members each followed
 * by ",\n": started_utc (from `started`) and finished_utc (now), both ISO
 * 8601 UTC, wall_seconds, `rate_key` with done / wall_seconds (the samples
 * or model evaluations this invocation did, a second; 0 if no time
 * passed), and peak_rss_kib_per_rank (the most any rank's resident memory
 * reached, in KiB).  Shared by run, compare and sensitivity. */
void cp_output_manifest_cost(FILE *fp, time_t started, double wall_seconds, const char *rate_key,
                             uint64_t done, uint64_t peak_rss_kib);

#endif
