/* cp_drive.c -- see cp_drive.h. */
#include "cp_drive.h"
#include "cp_graph.h"
#include "cp_output.h"
#include "cp_signal.h"
#include "cp_version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum { FLAG_ERROR = 1, FLAG_STOP = 2, FLAG_CHECKPOINT = 4 };

typedef struct drive {
    const cp_par *par;
    const cp_drive_ops *ops;
    void *ctx;
    const cp_drive_options *opt;
    int root;
    uint64_t chunks, start_chunk;
    uint64_t saved;      /* samples the output directory's checkpoint holds */
    uint64_t stopped_at; /* samples where a look stopped the run; 0: none did */
    double wall_start, last_checkpoint, last_progress;
    int progress_on_tty;
    cp_drive_timing timing;
} drive;

/* Collective: the most resident memory any rank has reached, in KiB. */
static uint64_t peak_rss_kib(const cp_par *par)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return cp_par_max_u64(par, (uint64_t)ru.ru_maxrss);
}

uint64_t cp_drive_samples_before(uint64_t samples, uint64_t chunk)
{
    const uint64_t s = chunk * CP_PAR_CHUNK;
    return s < samples ? s : samples;
}

static uint64_t samples_before(const drive *d, uint64_t chunk)
{
    return cp_drive_samples_before(d->opt->samples, chunk);
}

/* ---- starting: a fresh directory, a checkpoint, or nothing to do ------ */

/* The run id recorded in dir/manifest.json, or "" if there is none. */
static void manifest_run_id(const char *dir, char out[17])
{
    char path[4200], line[512];
    out[0] = '\0';
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, " \"run_id\": \"%16[0-9a-f]\"", out) == 1)
            break;
    fclose(fp);
}

/* The first file the manifest in dir lists (its "files" line) that is
 * not there, in missing; 0 if all are.  A finished run whose summary.csv
 * was deleted is not complete. */
static int manifest_file_missing(const char *dir, char *missing, size_t cap)
{
    char path[4200], line[8192];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, fp)) {
        /* The top-level list (a comparison's scenarios list files too). */
        const char *p = strncmp(line, "  \"files\": [", 12) == 0 ? line : NULL;
        if (!p)
            continue;
        for (p = strchr(p, '[') + 1; !found && (p = strchr(p, '"'));) {
            const char *end = strchr(p + 1, '"');
            if (!end)
                break;
            snprintf(missing, cap, "%.*s", (int)(end - p - 1), p + 1);
            snprintf(path, sizeof path, "%s/%s", dir, missing);
            found = access(path, F_OK) != 0;
            p = end + 1;
        }
    }
    fclose(fp);
    return found;
}

/* Rank 0: decides where the run starts.  Returns the first chunk through
 * *start, or sets *complete when --resume finds the run already done. */
static int open_out_dir(const drive *d, uint64_t *start, int *complete, cp_err *err)
{
    const cp_drive_options *opt = d->opt;
    *start = 0;
    *complete = 0;
    if (!opt->set.resume)
        return cp_output_prepare_dir(opt->out_dir, opt->set.force, err);
    int rc = cp_output_check_writable(opt->out_dir, err);
    if (rc)
        return rc;
    cp_output_clear_leftovers(opt->out_dir);
    if (cp_checkpoint_exists(opt->out_dir))
        return d->ops->load(d->ctx, start, err);
    char found[17], missing[256];
    manifest_run_id(opt->out_dir, found);
    if (found[0] && strcmp(found, opt->run_id) == 0) {
        if (manifest_file_missing(opt->out_dir, missing, sizeof missing))
            return cp_err_set(err, CP_EINVAL,
                              "%s holds this %s's manifest.json but not %s, which it lists: "
                              "the %s is not complete; use --force to run it again",
                              opt->out_dir, opt->what, missing, opt->what);
        *complete = 1;
        return CP_OK;
    }
    if (found[0])
        return cp_err_set(err, CP_EINVAL,
                          "%s holds a finished %s of other settings (run id %s, this one is "
                          "%s); use --force to replace it",
                          opt->out_dir, opt->what, found, opt->run_id);
    /* Nothing to resume: start afresh.  Files that are neither a
     * checkpoint nor a finished run's are not this program's to replace
     * unless --force says so (the temporary files of a killed run are). */
    rc = cp_output_prepare_dir(opt->out_dir, opt->set.force, err);
    if (rc == CP_EINVAL && !opt->set.force)
        return cp_err_set(err, CP_EINVAL,
                          "%s holds files but neither a checkpoint nor a finished %s's "
                          "manifest, so there is nothing to resume; use --force to replace "
                          "them",
                          opt->out_dir, opt->what);
    return rc;
}

/* ---- checkpoints and progress ----------------------------------------- */

static int write_checkpoint(drive *d, uint64_t next_chunk, cp_err *err)
{
    const double t0 = cp_par_time();
    int rc = d->ops->merge(d->ctx, err);
    if (rc)
        return rc;
    if (d->root) {
        d->ops->save(d->ctx, next_chunk, err);
        d->last_checkpoint = cp_par_time();
    }
    rc = cp_par_share_err(d->par, err);
    if (!rc)
        d->saved = samples_before(d, next_chunk);
    d->timing.checkpoint += cp_par_time() - t0;
    return rc;
}

/* Whether a sample-count checkpoint falls between two round boundaries:
 * the same on every rank, with no communication. */
static int checkpoint_due(const drive *d, uint64_t from_chunk, uint64_t to_chunk)
{
    const uint64_t every = d->opt->set.checkpoint_samples;
    return every && samples_before(d, from_chunk) / every != samples_before(d, to_chunk) / every;
}

static void format_duration(double s, char *buf, size_t cap)
{
    if (!(s >= 0) || s > 1e9)
        snprintf(buf, cap, "?");
    else if (s >= 3600)
        snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else if (s >= 60)
        snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, cap, "%.0fs", s);
}

/* Rank 0: samples done over all ranks (exact: the ranks move in step),
 * the rate of this invocation and the time left.  A live bar on a
 * terminal; one plain line per interval otherwise (no carriage returns in
 * a log). */
static void report_progress(drive *d, uint64_t next_chunk, int final)
{
    const double now = cp_par_time();
    const double every = d->progress_on_tty ? 0.5 : d->opt->set.progress_seconds;
    if (!d->root || d->opt->set.progress_seconds <= 0 || (!final && now - d->last_progress < every))
        return;
    d->last_progress = now;
    const uint64_t done = samples_before(d, next_chunk), total = d->opt->samples;
    const double rate =
        (double)(done - samples_before(d, d->start_chunk)) / fmax(now - d->wall_start, 1e-9);
    char eta[32];
    format_duration(rate > 0 ? (double)(total - done) / rate : -1, eta, sizeof eta);
    const double pct = 100.0 * (double)done / (double)total;
    if (d->progress_on_tty) {
        char bar[31];
        const int filled = (int)(pct * 30 / 100);
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %5.1f%% %llu/%llu samples, %.0f/s, %s left  %s", bar, pct,
                (unsigned long long)done, (unsigned long long)total, rate, eta, final ? "\n" : "");
    } else {
        fprintf(stderr, "progress: %llu/%llu samples (%.1f%%), %.0f samples/s, %s left\n",
                (unsigned long long)done, (unsigned long long)total, pct, rate, eta);
    }
    fflush(stderr);
}

/* ---- the rounds ------------------------------------------------------- */

/* The chunks each rank simulates in a round (fewer at a look or the end):
 * rank r takes chunks C + r, C + r + P, ... of the round's
 * ROUND_CHUNKS * P, so a chunk goes to the same rank as it would in rounds
 * of one chunk each.  Several a round because a round waits for its slowest
 * rank: the spread of k chunks' sum grows as sqrt(k), their time as k, so
 * the wait is a smaller share of the round (core/README.md, "Scale").  Four
 * keep a round short (tens of ms) for a signal, an error or a look to take
 * effect, and a checkpoint falls at most one round after it is due. */
#define ROUND_CHUNKS 4

/* This round's flags, or'ed over all ranks. */
static int agree_flags(const drive *d, int failed)
{
    int flags = failed ? FLAG_ERROR : 0;
    if (cp_signal_received())
        flags |= FLAG_STOP;
    /* Only rank 0's clock counts, so every rank decides alike. */
    if (d->root && d->opt->set.checkpoint_seconds > 0 &&
        cp_par_time() - d->last_checkpoint >= d->opt->set.checkpoint_seconds)
        flags |= FLAG_CHECKPOINT;
    return cp_par_or_flags(d->par, flags);
}

static int stop_after(drive *d, uint64_t next, cp_err *err)
{
    report_progress(d, next, 1);
    return cp_err_set(err, CP_ESTOPPED,
                      "stopped on a signal after %llu of %llu samples; the checkpoint in %s "
                      "continues it with --resume",
                      (unsigned long long)samples_before(d, next),
                      (unsigned long long)d->opt->samples, d->opt->out_dir);
}

/* The first look after chunk, or the run's end. */
static uint64_t next_look(const drive *d, uint64_t chunk)
{
    for (size_t i = 0; i < d->opt->n_looks; i++)
        if (d->opt->looks[i] > chunk && d->opt->looks[i] < d->chunks)
            return d->opt->looks[i];
    return d->chunks;
}

/* Collective, at a look: everything merged to rank 0, which decides; 1 in
 * *stop on every rank if the run ends here. */
static int look_at(drive *d, uint64_t next, int *stop, cp_err *err)
{
    const double t0 = cp_par_time();
    int rc = d->ops->merge(d->ctx, err), decided = 0;
    d->timing.merge += cp_par_time() - t0;
    if (rc)
        return rc;
    if (d->root)
        d->ops->look(d->ctx, next, &decided, err);
    rc = cp_par_share_err(d->par, err);
    *stop = (int)cp_par_bcast_u64(d->par, (uint64_t)decided);
    if (!rc && *stop) {
        d->stopped_at = samples_before(d, next);
        d->chunks = next;
    }
    return rc;
}

static int is_look(const drive *d, uint64_t chunk)
{
    for (size_t i = 0; i < d->opt->n_looks; i++)
        if (d->opt->looks[i] == chunk)
            return 1;
    return 0;
}

static int run_rounds(drive *d, cp_err *err)
{
    const uint64_t P = (uint64_t)cp_par_size(d->par);
    const uint64_t me = (uint64_t)cp_par_rank(d->par);
    int local = CP_OK, stop = 0;
    /* Resumed at a look: decide before going on (the checkpoint may have
     * been written there before the look). */
    if (d->start_chunk > 0 && d->start_chunk < d->chunks && is_look(d, d->start_chunk)) {
        int rc = look_at(d, d->start_chunk, &stop, err);
        if (rc)
            return rc;
    }
    for (uint64_t C = d->start_chunk; C < d->chunks;) {
        /* A round ends early at a look, so the look sees exactly its chunks. */
        const uint64_t look = next_look(d, C);
        const uint64_t next = look - C > ROUND_CHUNKS * P ? C + ROUND_CHUNKS * P : look;
        for (uint64_t c = C + me; !local && c < next; c += P) {
            const double t0 = cp_par_time();
            local = d->ops->simulate(d->ctx, c, err);
            const double took = cp_par_time() - t0;
            d->timing.chunks++;
            d->timing.simulate += took;
            d->timing.simulate_sq += took * took;
        }
        const double t1 = cp_par_time();
        const int flags = agree_flags(d, local);
        d->timing.agree += cp_par_time() - t1;
        d->timing.rounds++;
        if (flags & FLAG_ERROR)
            return cp_par_share_err(d->par, err);
        if (next >= d->chunks)
            break; /* the end: finishing beats checkpointing */
        if (next == look) {
            int rc = look_at(d, next, &stop, err);
            if (rc)
                return rc;
            if (stop)
                break;
        }
        if ((flags & (FLAG_STOP | FLAG_CHECKPOINT)) || checkpoint_due(d, C, next)) {
            int rc = write_checkpoint(d, next, err);
            if (rc)
                return rc;
            if (flags & FLAG_STOP)
                return stop_after(d, next, err);
        }
        report_progress(d, next, 0);
        C = next;
    }
    report_progress(d, d->chunks, 1);
    return CP_OK;
}

int cp_drive_execute(const cp_par *par, const cp_drive_ops *ops, void *ctx,
                     const cp_drive_options *opt, cp_drive_result *res, cp_err *err)
{
    drive d = {.par = par,
               .ops = ops,
               .ctx = ctx,
               .opt = opt,
               .root = cp_par_rank(par) == 0,
               /* not (samples + CHUNK - 1) / CHUNK, which wraps near 2^64 */
               .chunks = opt->samples / CP_PAR_CHUNK + (opt->samples % CP_PAR_CHUNK != 0),
               .wall_start = cp_par_time(),
               .progress_on_tty = isatty(STDERR_FILENO)};
    d.last_checkpoint = d.last_progress = d.wall_start;
    uint64_t start = 0;
    int complete = 0;
    if (d.root)
        open_out_dir(&d, &start, &complete, err);
    int rc = cp_par_share_err(par, err);
    d.start_chunk = cp_par_bcast_u64(par, start);
    res->first_sample = d.saved = samples_before(&d, d.start_chunk);
    res->already_complete = (int)cp_par_bcast_u64(par, (uint64_t)complete);
    if (rc || res->already_complete)
        return rc;
    rc = run_rounds(&d, err);
    const double t0 = cp_par_time();
    if (!rc)
        rc = ops->merge(ctx, err);
    d.timing.merge += cp_par_time() - t0;
    res->timing = d.timing;
    if (!rc) /* the merge's code is every rank's: all of them reach this */
        res->peak_rss_kib = peak_rss_kib(par);
    /* What the directory holds if this ends here: its checkpoint's. */
    res->done = d.saved;
    res->stopped_at = d.stopped_at;
    return rc;
}

/* ---- helpers the commands share --------------------------------------- */

void cp_drive_manifest_timing(FILE *fp, const cp_drive_timing *t)
{
    const double n = (double)t->chunks;
    const double mean = n > 0 ? t->simulate / n : 0;
    const double var = n > 1 ? (t->simulate_sq - n * mean * mean) / (n - 1) : 0;
    fprintf(fp,
            "  \"rounds\": {\"count\": %llu, \"rank0_chunks\": %llu, "
            "\"rank0_chunk_seconds_mean\": %.6f, \"rank0_chunk_seconds_sd\": %.6f, "
            "\"rank0_simulate_seconds\": %.3f, \"rank0_agree_seconds\": %.4f, "
            "\"rank0_merge_seconds\": %.4f, \"rank0_checkpoint_seconds\": %.4f},\n",
            (unsigned long long)t->rounds, (unsigned long long)t->chunks, mean,
            var > 0 ? sqrt(var) : 0.0, t->simulate, t->agree, t->merge, t->checkpoint);
}

int cp_drive_reduce_stats(const cp_par *par, cp_stats **sets, size_t n, cp_err *err)
{
    for (size_t k = 0; k < n; k++) {
        int rc = cp_par_reduce_stats(par, sets[k], err);
        if (!rc && cp_par_rank(par) != 0) {
            /* cp_par leaves a sender's statistics unspecified: start anew,
             * of the same shape (cells and label counts). */
            cp_stats *fresh = cp_stats_alloc_like(sets[k]);
            cp_stats_free(sets[k]);
            sets[k] = fresh;
            if (!sets[k])
                cp_err_set(err, CP_ENOMEM, "out of memory for statistics");
        }
        if (!rc)
            rc = cp_par_share_err(par, err);
        if (rc)
            return rc;
    }
    return CP_OK;
}

cp_stats *cp_drive_stats_alloc(const cp_model *m)
{
    return cp_stats_alloc_counts(cp_model_cells(m), cp_model_binding_rows(m) * cp_model_periods(m),
                                 cp_model_binding_labels(m));
}

/* One add per binding row: a row's quarters t0 .. t0 + nt - 1 are groups in
 * a row, their labels CP_MODEL_LANES apart. */
int cp_drive_count_binding(cp_stats *st, const cp_model *m, const cp_workspace *w, size_t n,
                           size_t t0, size_t nt, cp_err *err)
{
    const size_t T = cp_model_periods(m);
    const uint8_t *labels = cp_model_binding(w);
    for (size_t r = 0; r < cp_model_binding_rows(m); r++) {
        const size_t g = r * T + t0;
        const int rc =
            cp_stats_add_labels(st, labels + g * CP_MODEL_LANES, n, CP_MODEL_LANES, g, 1, nt, err);
        if (rc)
            return cp_err_wrap(err, "binding of node %s", cp_model_binding_node(m, r));
    }
    return CP_OK;
}

/* Appends "SHA256 PATH" to a files list (cp_run_identity.files), once per
 * path: a comparison's scenarios share their inputs and baseline.  A path
 * that does not fit is left out, and a manifest hashes it when written. */
static void list_file(char *files, size_t cap, const char *hex, const char *path)
{
    char seen[65];
    const size_t used = strlen(files);
    if (!cp_output_hash_lookup(files, path, seen) && used + 66 + strlen(path) < cap)
        snprintf(files + used, cap - used, "%s %s\n", hex, path);
}

/* A scenario's own hash: of its file, or of the hashes of its files and
 * the data files of its empirical distributions when it has more (a
 * checkpoint must not survive an edit to any of them); and the hash of its
 * five input files' hashes, in order.  Every file is listed in files. */
static int hash_model(const cp_model *m, char scenario[65], char inputs[65], char *files,
                      size_t cap, cp_err *err)
{
    const cp_scenario *sc = cp_model_scenario(m);
    const cp_graph *g = cp_model_graph(m);
    const size_t n = sc->n_files + sc->n_data_files;
    char *all = calloc(n * 64 + 1, 1);
    if (!all)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    int rc = CP_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *path = i < sc->n_files ? sc->files[i] : sc->data_files[i - sc->n_files];
        rc = cp_output_sha256(path, all + 64 * i, err);
        char hex[65];
        snprintf(hex, sizeof hex, "%.64s", all + 64 * i);
        if (!rc)
            list_file(files, cap, hex, path);
    }
    if (!rc && n > 1)
        cp_output_sha256_text(all, scenario);
    else if (!rc)
        snprintf(scenario, 65, "%.64s", all);
    free(all);
    char joined[5 * 64 + 1] = "";
    for (int i = 0; !rc && i < 5; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", g->dir, cp_graph_files[i]);
        rc = cp_output_sha256(path, joined + 64 * i, err);
        char hex[65];
        snprintf(hex, sizeof hex, "%.64s", joined + 64 * i);
        if (!rc)
            list_file(files, cap, hex, path);
    }
    if (!rc)
        cp_output_sha256_text(joined, inputs);
    return rc;
}

/* A comparison's hashes: of every scenario's hashes, in order (base
 * first), so that changing, adding, removing or reordering an option
 * makes another comparison. */
static int hash_models(const cp_model *const *models, size_t n, char scenario[65], char inputs[65],
                       char *files, size_t cap, cp_err *err)
{
    char *sc_all = calloc(n * 64 + 1, 1), *in_all = calloc(n * 64 + 1, 1);
    int rc = sc_all && in_all ? CP_OK : cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < n; k++)
        rc = hash_model(models[k], sc_all + 64 * k, in_all + 64 * k, files, cap, err);
    if (!rc) {
        cp_output_sha256_text(sc_all, scenario);
        cp_output_sha256_text(in_all, inputs);
    }
    free(sc_all);
    free(in_all);
    return rc;
}

int cp_drive_identify(const cp_model *const *models, size_t n, uint64_t seed, uint64_t samples,
                      uint64_t keep_samples, cp_run_identity *id, cp_err *err)
{
    memset(id, 0, sizeof *id);
    snprintf(id->kind, sizeof id->kind, "%s", n == 1 ? "run" : "compare");
    snprintf(id->version, sizeof id->version, "%s", cp_version());
    snprintf(id->commit, sizeof id->commit, "%s", cp_git_commit());
    snprintf(id->scenario, sizeof id->scenario, "%s", cp_model_scenario(models[0])->name);
    id->seed = seed;
    id->samples = samples;
    id->keep_samples = keep_samples;
    return n == 1 ? hash_model(models[0], id->scenario_sha256, id->inputs_sha256, id->files,
                               sizeof id->files, err)
                  : hash_models(models, n, id->scenario_sha256, id->inputs_sha256, id->files,
                                sizeof id->files, err);
}

int cp_drive_status(const char *out_dir, const cp_run_identity *id, const char **status,
                    uint64_t *done, cp_err *err)
{
    char mine[17], found[17];
    cp_checkpoint_run_id(id, mine);
    *done = 0;
    *status = "not started";
    manifest_run_id(out_dir, found);
    if (found[0]) {
        char missing[256];
        const int same = strcmp(found, mine) == 0;
        const int whole = same && !manifest_file_missing(out_dir, missing, sizeof missing);
        *status = !same ? "other run" : whole ? "complete" : "incomplete";
        *done = whole ? id->samples : 0;
        return CP_OK;
    }
    if (!cp_checkpoint_exists(out_dir))
        return CP_OK;
    cp_run_identity theirs;
    uint64_t next;
    int rc = cp_checkpoint_peek(out_dir, &theirs, &next, err);
    if (rc)
        return rc;
    char their_id[17];
    cp_checkpoint_run_id(&theirs, their_id);
    const int same = strcmp(their_id, mine) == 0;
    *status = same ? "checkpoint" : "other run";
    *done = same ? cp_drive_samples_before(id->samples, next) : 0;
    return CP_OK;
}
