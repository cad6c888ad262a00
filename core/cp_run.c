/* cp_run.c -- the driver of `chokepoint run`.
 *
 * Chunks of CP_PAR_CHUNK samples are simulated in rounds: in a round, rank r
 * takes chunk C + r, and then all ranks agree, with one small collective,
 * whether anyone failed, was asked to stop by a signal, or is due a
 * checkpoint.  Because the ranks move in step, the chunks before C are all
 * done at every round boundary, so a checkpoint is simply "the merged
 * statistics of chunks [0, C)".  Statistics merge exactly, so a run resumed
 * from a checkpoint (at any rank count) ends with the same bytes as one that
 * was never interrupted.
 *
 * Only rank 0 touches files.  All ranks take part in every collective step
 * even after a local failure, so a failure anywhere ends the run everywhere
 * with one message.
 */
#include "cp_run.h"
#include "cp_checkpoint.h"
#include "cp_graph.h"
#include "cp_output.h"
#include "cp_period.h"
#include "cp_signal.h"
#include "cp_stats.h"
#include "cp_version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { FLAG_ERROR = 1, FLAG_STOP = 2, FLAG_CHECKPOINT = 4 };

typedef struct run_state {
    const cp_par *par;
    const cp_model *m;
    const cp_run_options *opt;
    cp_run_identity id;
    char run_id[17];
    int root;
    uint64_t chunks;
    cp_stats *st; /* this rank's since the last merge; on rank 0, everything so far */
    double *kept; /* this rank's kept rows since the last merge (id first) */
    size_t n_kept, cap_kept;
    double *all_kept; /* rank 0: every kept row so far */
    size_t n_all_kept;
    double *block, *extras;
    cp_workspace *w;
    uint64_t start_chunk;
    double wall_start, last_checkpoint, last_progress;
    time_t started;
    uint64_t peak_rss_kib;
    int progress_on_tty;
} run_state;

static size_t kept_width(const cp_model *m)
{
    return 1 + cp_model_cells(m) + cp_model_extras(m);
}

static uint64_t samples_before(const run_state *rs, uint64_t chunk)
{
    const uint64_t s = chunk * CP_PAR_CHUNK;
    return s < rs->opt->samples ? s : rs->opt->samples;
}

/* ---- identity --------------------------------------------------------- */

static int make_identity(run_state *rs, cp_err *err)
{
    const cp_scenario *sc = cp_model_scenario(rs->m);
    const cp_graph *g = cp_model_graph(rs->m);
    cp_run_identity *id = &rs->id;
    memset(id, 0, sizeof *id);
    snprintf(id->version, sizeof id->version, "%s", cp_version());
    snprintf(id->commit, sizeof id->commit, "%s", cp_git_commit());
    snprintf(id->scenario, sizeof id->scenario, "%s", sc->name);
    id->seed = rs->opt->seed;
    id->samples = rs->opt->samples;
    id->keep_samples = rs->opt->keep_samples;
    /* The scenario's identity covers its bases too: a checkpoint must not
     * survive an edit to any file the scenario was built from. */
    int rc = cp_output_sha256(sc->path, id->scenario_sha256, err);
    if (!rc && sc->n_files > 1) {
        char *all = calloc(sc->n_files * 64 + 1, 1);
        if (!all)
            return cp_err_set(err, CP_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < sc->n_files; i++)
            rc = cp_output_sha256(sc->files[i], all + 64 * i, err);
        if (!rc)
            cp_output_sha256_text(all, id->scenario_sha256);
        free(all);
    }
    /* The inputs' identity: the hash of their five hashes, in order. */
    char joined[5 * 64 + 1] = "";
    for (int i = 0; !rc && i < 5; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", g->dir, cp_graph_files[i]);
        rc = cp_output_sha256(path, joined + 64 * i, err);
    }
    if (rc)
        return rc;
    cp_output_sha256_text(joined, id->inputs_sha256);
    cp_checkpoint_run_id(id, rs->run_id);
    return CP_OK;
}

/* ---- starting: a fresh directory, or a checkpoint --------------------- */

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

/* Rank 0: decides where the run starts.  Returns the first chunk through
 * *start, or sets *complete when --resume finds the run already done. */
static int open_run(run_state *rs, uint64_t *start, int *complete, cp_err *err)
{
    const cp_run_options *opt = rs->opt;
    *start = 0;
    *complete = 0;
    int rc = make_identity(rs, err);
    if (rc || !opt->resume)
        return rc ? rc : cp_output_prepare_dir(opt->out_dir, opt->force, err);
    if (cp_checkpoint_exists(opt->out_dir)) {
        cp_checkpoint ck = {.stats = rs->st, .kept_width = kept_width(rs->m)};
        rc = cp_checkpoint_read(opt->out_dir, &rs->id, &ck, err);
        if (rc)
            return rc;
        *start = ck.next_chunk;
        rs->all_kept = ck.kept;
        rs->n_all_kept = ck.n_kept;
        return CP_OK;
    }
    char found[17];
    manifest_run_id(opt->out_dir, found);
    if (found[0] && strcmp(found, rs->run_id) == 0) {
        *complete = 1;
        return CP_OK;
    }
    if (found[0])
        return cp_err_set(err, CP_EINVAL,
                          "%s holds a finished run of other settings (run id %s, this one is "
                          "%s); use --force to replace it",
                          opt->out_dir, found, rs->run_id);
    /* Nothing to resume: start afresh, clearing what a killed run left. */
    return cp_output_prepare_dir(opt->out_dir, 1, err);
}

/* ---- simulating ------------------------------------------------------- */

static int keep_rows(run_state *rs, uint64_t first, size_t n)
{
    const size_t nc = cp_model_cells(rs->m), ne = cp_model_extras(rs->m);
    const size_t width = kept_width(rs->m);
    for (size_t s = 0; s < n && first + s < rs->opt->keep_samples; s++) {
        if (rs->n_kept == rs->cap_kept) {
            size_t cap = rs->cap_kept ? 2 * rs->cap_kept : CP_PAR_CHUNK;
            double *grown = realloc(rs->kept, cap * width * sizeof *grown);
            if (!grown)
                return CP_ENOMEM;
            rs->kept = grown;
            rs->cap_kept = cap;
        }
        double *row = rs->kept + rs->n_kept++ * width;
        row[0] = (double)(first + s);
        for (size_t c = 0; c < nc; c++)
            row[1 + c] = rs->block[c * CP_PAR_CHUNK + (first + s) % CP_PAR_CHUNK];
        memcpy(row + 1 + nc, rs->extras + s * ne, ne * sizeof *row);
    }
    return CP_OK;
}

/* Names the first non-finite value of samples first .. first + n - 1, so
 * the user learns which metric, region and quarter went wrong rather than
 * a cell number; row k of values (row_stride apart) holds cell
 * cell0 + k * step.  Called only after the statistics found one; leaves err
 * alone if it finds none. */
static int name_bad_value(const run_state *rs, const double *values, size_t row_stride,
                          uint64_t first, size_t n, size_t cell0, size_t step, size_t rows,
                          cp_err *err)
{
    const size_t T = cp_model_periods(rs->m);
    const cp_graph *g = cp_model_graph(rs->m);
    for (size_t s = 0; s < n; s++)
        for (size_t k = 0; k < rows; k++) {
            const double v = values[k * row_stride + s];
            if (isfinite(v))
                continue;
            const size_t c = cell0 + k * step;
            char period[16];
            cp_period_format(g->start + (int)(c % T), period, sizeof period);
            const cp_metric *mt = &g->metrics[c / T];
            return cp_err_set(err, CP_EMODEL,
                              "sample %llu: metric '%s' in region '%s' for %s is %g; an input "
                              "of it is zero where it divides, or infinite (check the nodes "
                              "feeding it and the shock multipliers)",
                              (unsigned long long)(first + s), mt->metric, mt->region, period, v);
        }
    return CP_EMODEL;
}

/* A chunk none of whose rows is kept is simulated a quarter at a time and
 * each quarter's cells go to the statistics at once, while they are still
 * in cache: writing the whole chunk's cells (cells x CP_PAR_CHUNK doubles,
 * more than a core's L2) and reading them back cost 5% of a baseline run.  A chunk
 * is one block of lanes, so each cell's values come in one piece and the
 * statistics are the same as from the whole chunk. */
_Static_assert(CP_MODEL_LANES >= CP_PAR_CHUNK, "a chunk must be one block of lanes");

static int simulate_by_quarter(run_state *rs, uint64_t lo, size_t n, cp_err *err)
{
    const size_t T = cp_model_periods(rs->m), M = cp_model_graph(rs->m)->n_metrics;
    cp_model_begin(rs->m, rs->w, lo, n);
    for (size_t t = 0; t < T; t++) {
        cp_model_step(rs->m, rs->w, rs->block, CP_PAR_CHUNK, NULL);
        const int rc = cp_stats_add_cells(rs->st, rs->block, n, CP_PAR_CHUNK, t, T, M, err);
        if (rc == CP_EMODEL)
            return name_bad_value(rs, rs->block, CP_PAR_CHUNK, lo, n, t, T, M, err);
        if (rc)
            return rc;
    }
    cp_stats_count_samples(rs->st, n);
    return CP_OK;
}

static int simulate_chunk(run_state *rs, uint64_t chunk, cp_err *err)
{
    const uint64_t lo = chunk * CP_PAR_CHUNK;
    const uint64_t hi = samples_before(rs, chunk + 1);
    if (lo >= rs->opt->keep_samples)
        return simulate_by_quarter(rs, lo, (size_t)(hi - lo), err);
    for (uint64_t first = lo; first < hi; first += CP_MODEL_LANES) {
        const size_t n = (size_t)(hi - first < CP_MODEL_LANES ? hi - first : CP_MODEL_LANES);
        const int keep = first < rs->opt->keep_samples;
        cp_model_simulate(rs->m, rs->w, first, n, rs->block + (first - lo), CP_PAR_CHUNK,
                          keep ? rs->extras : NULL);
        if (keep && keep_rows(rs, first, n))
            return cp_err_set(err, CP_ENOMEM, "out of memory keeping sample paths");
    }
    int rc = cp_stats_add_columns(rs->st, rs->block, (size_t)(hi - lo), CP_PAR_CHUNK, err);
    if (rc == CP_EMODEL)
        /* a clearer message, if it can */
        name_bad_value(rs, rs->block, CP_PAR_CHUNK, lo, (size_t)(hi - lo), 0, 1,
                       cp_model_cells(rs->m), err);
    return rc;
}

/* ---- merging, checkpoints and progress -------------------------------- */

/* Collective: every rank's statistics and kept rows since the last merge
 * join rank 0's.  The other ranks start again from empty. */
static int merge_to_root(run_state *rs, cp_err *err)
{
    int rc = cp_par_reduce_stats(rs->par, rs->st, err);
    if (!rc && !rs->root) {
        cp_stats_free(rs->st);
        rs->st = cp_stats_alloc(cp_model_cells(rs->m));
        if (!rs->st)
            cp_err_set(err, CP_ENOMEM, "out of memory for statistics");
    }
    if (!rc)
        rc = cp_par_share_err(rs->par, err);
    if (rc || rs->opt->keep_samples == 0)
        return rc;
    double *gathered = NULL;
    size_t n = 0;
    const size_t width = kept_width(rs->m);
    cp_par_gather_rows(rs->par, rs->kept, rs->n_kept, width, &gathered, &n, err);
    rs->n_kept = 0;
    if (rs->root && gathered && n) {
        double *grown = realloc(rs->all_kept, (rs->n_all_kept + n) * width * sizeof *grown);
        if (!grown)
            cp_err_set(err, CP_ENOMEM, "out of memory gathering kept samples");
        else {
            memcpy(grown + rs->n_all_kept * width, gathered, n * width * sizeof *grown);
            rs->all_kept = grown;
            rs->n_all_kept += n;
        }
    }
    free(gathered);
    return cp_par_share_err(rs->par, err);
}

static int write_checkpoint(run_state *rs, uint64_t next_chunk, cp_err *err)
{
    int rc = merge_to_root(rs, err);
    if (rc)
        return rc;
    if (rs->root) {
        const cp_checkpoint ck = {.next_chunk = next_chunk,
                                  .stats = rs->st,
                                  .kept = rs->all_kept,
                                  .n_kept = rs->n_all_kept,
                                  .kept_width = kept_width(rs->m)};
        cp_checkpoint_write(rs->opt->out_dir, &rs->id, &ck, err);
        rs->last_checkpoint = cp_par_time();
    }
    return cp_par_share_err(rs->par, err);
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
static void report_progress(run_state *rs, uint64_t next_chunk, int final)
{
    const double now = cp_par_time();
    const double every = rs->progress_on_tty ? 0.5 : rs->opt->progress_seconds;
    if (!rs->root || rs->opt->progress_seconds <= 0 || (!final && now - rs->last_progress < every))
        return;
    rs->last_progress = now;
    const uint64_t done = samples_before(rs, next_chunk), total = rs->opt->samples;
    const double rate =
        (double)(done - samples_before(rs, rs->start_chunk)) / fmax(now - rs->wall_start, 1e-9);
    char eta[32];
    format_duration(rate > 0 ? (double)(total - done) / rate : -1, eta, sizeof eta);
    const double pct = 100.0 * (double)done / (double)total;
    if (rs->progress_on_tty) {
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

/* Whether a sample-count checkpoint falls between two round boundaries:
 * the same on every rank, with no communication. */
static int checkpoint_due(const run_state *rs, uint64_t from_chunk, uint64_t to_chunk)
{
    const uint64_t every = rs->opt->checkpoint_samples;
    return every && samples_before(rs, from_chunk) / every != samples_before(rs, to_chunk) / every;
}

static int simulate_all(run_state *rs, cp_err *err)
{
    const uint64_t P = (uint64_t)cp_par_size(rs->par);
    const uint64_t me = (uint64_t)cp_par_rank(rs->par);
    int local = CP_OK;
    for (uint64_t C = rs->start_chunk; C < rs->chunks;) {
        if (!local && C + me < rs->chunks)
            local = simulate_chunk(rs, C + me, err);
        const uint64_t next = C + P;
        int flags = local ? FLAG_ERROR : 0;
        if (cp_signal_received())
            flags |= FLAG_STOP;
        if (rs->root && rs->opt->checkpoint_seconds > 0 &&
            cp_par_time() - rs->last_checkpoint >= rs->opt->checkpoint_seconds)
            flags |= FLAG_CHECKPOINT;
        flags = cp_par_or_flags(rs->par, flags);
        if (flags & FLAG_ERROR)
            return cp_par_share_err(rs->par, err);
        if (next >= rs->chunks)
            break; /* the end: finishing beats checkpointing */
        if ((flags & (FLAG_STOP | FLAG_CHECKPOINT)) || checkpoint_due(rs, C, next)) {
            int rc = write_checkpoint(rs, next, err);
            if (rc)
                return rc;
            if (flags & FLAG_STOP) {
                report_progress(rs, next, 1);
                return cp_err_set(err, CP_ESTOPPED,
                                  "stopped on a signal after %llu of %llu samples; the "
                                  "checkpoint in %s continues it with --resume",
                                  (unsigned long long)samples_before(rs, next),
                                  (unsigned long long)rs->opt->samples, rs->opt->out_dir);
            }
        }
        report_progress(rs, next, 0);
        C = next;
    }
    report_progress(rs, rs->chunks, 1);
    return CP_OK;
}

/* ---- writing the results ---------------------------------------------- */

/* Puts the kept rows in sample order (they arrive in rank order) and drops
 * the id column. */
static double *order_kept(const run_state *rs)
{
    const size_t width = kept_width(rs->m), n = rs->n_all_kept;
    double *rows = malloc((n ? n : 1) * (width - 1) * sizeof *rows);
    if (!rows)
        return NULL;
    for (size_t r = 0; r < n; r++) {
        const double *src = rs->all_kept + r * width;
        size_t id = (size_t)src[0];
        memcpy(rows + id * (width - 1), src + 1, (width - 1) * sizeof *rows);
    }
    return rows;
}

static void iso_time(time_t t, char *buf, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void hash_entry(FILE *fp, const char *path, int last)
{
    char hex[65];
    cp_err e;
    fputs("    {\"path\": ", fp);
    cp_output_json_string(fp, path);
    fputs(", \"sha256\": ", fp);
    cp_output_json_string(fp, cp_output_sha256(path, hex, &e) ? "unreadable" : hex);
    fputs(last ? "}\n" : "},\n", fp);
}

static int write_manifest(const run_state *rs, cp_err *err)
{
    const cp_run_options *opt = rs->opt;
    cp_outfile f;
    int rc = cp_outfile_open(&f, opt->out_dir, "manifest.json", err);
    if (rc)
        return rc;
    const cp_scenario *sc = cp_model_scenario(rs->m);
    const cp_graph *g = cp_model_graph(rs->m);
    char started[32], finished[32], a[16], b[16];
    iso_time(rs->started, started, sizeof started);
    iso_time(time(NULL), finished, sizeof finished);
    cp_period_format(sc->start, a, sizeof a);
    cp_period_format(sc->end, b, sizeof b);
    const double wall = cp_par_time() - rs->wall_start;
    const uint64_t here = opt->samples - samples_before(rs, rs->start_chunk);
    FILE *fp = f.fp;
    fprintf(fp, "{\n  \"program\": \"chokepoint\",\n  \"version\": ");
    cp_output_json_string(fp, cp_version());
    fputs(",\n  \"git_commit\": ", fp);
    cp_output_json_string(fp, cp_git_commit());
    fprintf(fp, ",\n  \"run_id\": \"%s\",\n  \"command\": ", rs->run_id);
    cp_output_json_string(fp, opt->command_line ? opt->command_line : "");
    fputs(",\n  \"scenario\": {\"name\": ", fp);
    cp_output_json_string(fp, sc->name);
    fputs(", \"path\": ", fp);
    cp_output_json_string(fp, sc->path);
    fputs("},\n  \"scenario_files\": [\n", fp);
    for (size_t i = 0; i < sc->n_files; i++)
        hash_entry(fp, sc->files[i], i + 1 == sc->n_files);
    fputs("  ],\n  \"inputs\": [\n", fp);
    for (int i = 0; i < 5; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", g->dir, cp_graph_files[i]);
        hash_entry(fp, path, i == 4);
    }
    fprintf(fp,
            "  ],\n  \"seed\": %llu,\n  \"samples\": %llu,\n  \"keep_samples\": %llu,\n"
            "  \"periods\": {\"start\": \"%s\", \"end\": \"%s\", \"quarters\": %zu},\n"
            "  \"ranks\": %d,\n  \"chunk_samples\": %d,\n  \"resumed_at_sample\": %llu,\n"
            "  \"quantile_definition\": \"inverse empirical CDF, x_(k) with k = ceil(p n)\",\n"
            "  \"quantile_relative_error_bound\": %.6g,\n"
            "  \"started_utc\": \"%s\",\n  \"finished_utc\": \"%s\",\n"
            "  \"wall_seconds\": %.3f,\n  \"samples_per_second\": %.1f,\n"
            "  \"peak_rss_kib_per_rank\": %llu,\n"
            "  \"files\": [\"summary.csv\"%s]\n}\n",
            (unsigned long long)opt->seed, (unsigned long long)opt->samples,
            (unsigned long long)opt->keep_samples, a, b, cp_model_periods(rs->m),
            cp_par_size(rs->par), CP_PAR_CHUNK,
            (unsigned long long)samples_before(rs, rs->start_chunk), 1.0 / 2049.0, started,
            finished, wall, wall > 0 ? (double)here / wall : 0.0,
            (unsigned long long)rs->peak_rss_kib, opt->keep_samples ? ", \"samples.csv\"" : "");
    return cp_outfile_commit(&f, err);
}

static int write_outputs(run_state *rs, cp_err *err)
{
    const cp_run_options *opt = rs->opt;
    int rc = cp_output_write_summary(opt->out_dir, rs->m, rs->st, err);
    if (!rc && opt->keep_samples) {
        double *rows = order_kept(rs);
        rc = rows ? cp_output_write_samples(opt->out_dir, rs->m, rows, rs->n_all_kept, err)
                  : cp_err_set(err, CP_ENOMEM, "out of memory ordering kept samples");
        free(rows);
    }
    if (!rc)
        rc = write_manifest(rs, err);
    if (!rc)
        cp_checkpoint_remove(opt->out_dir);
    return rc;
}

/* ---- status without running ------------------------------------------- */

int cp_run_status(const cp_model *m, const cp_run_options *opt, const char **status, uint64_t *done,
                  cp_err *err)
{
    run_state rs = {.m = m, .opt = opt};
    *done = 0;
    *status = "not started";
    int rc = make_identity(&rs, err);
    if (rc)
        return rc;
    char found[17];
    manifest_run_id(opt->out_dir, found);
    if (found[0]) {
        *status = strcmp(found, rs.run_id) == 0 ? "complete" : "other run";
        *done = strcmp(found, rs.run_id) == 0 ? opt->samples : 0;
        return CP_OK;
    }
    if (!cp_checkpoint_exists(opt->out_dir))
        return CP_OK;
    cp_run_identity theirs;
    uint64_t next;
    rc = cp_checkpoint_peek(opt->out_dir, &theirs, &next, err);
    if (rc)
        return rc;
    char their_id[17];
    cp_checkpoint_run_id(&theirs, their_id);
    *status = strcmp(their_id, rs.run_id) == 0 ? "checkpoint" : "other run";
    *done = strcmp(their_id, rs.run_id) == 0 ? samples_before(&rs, next) : 0;
    return CP_OK;
}

/* ---- the run ---------------------------------------------------------- */

static int allocate(run_state *rs, cp_err *err)
{
    const size_t cells = cp_model_cells(rs->m);
    rs->st = cp_stats_alloc(cells);
    rs->block = malloc(CP_PAR_CHUNK * cells * sizeof *rs->block);
    rs->extras = malloc((CP_MODEL_LANES * cp_model_extras(rs->m) + 1) * sizeof *rs->extras);
    rs->w = cp_workspace_alloc(rs->m, rs->opt->seed);
    if (!rs->st || !rs->block || !rs->extras || !rs->w)
        return cp_err_set(err, CP_ENOMEM, "out of memory for the simulation buffers");
    return CP_OK;
}

static void release(run_state *rs)
{
    cp_workspace_free(rs->w);
    free(rs->block);
    free(rs->extras);
    free(rs->kept);
    free(rs->all_kept);
    cp_stats_free(rs->st);
}

int cp_run_execute(const cp_par *par, const cp_model *m, const cp_run_options *opt,
                   cp_run_result *res, cp_err *err)
{
    cp_err_clear(err);
    memset(res, 0, sizeof *res);
    run_state rs = {.par = par,
                    .m = m,
                    .opt = opt,
                    .root = cp_par_rank(par) == 0,
                    .chunks = (opt->samples + CP_PAR_CHUNK - 1) / CP_PAR_CHUNK,
                    .wall_start = cp_par_time(),
                    .started = time(NULL),
                    .progress_on_tty = isatty(STDERR_FILENO)};
    rs.last_checkpoint = rs.last_progress = rs.wall_start;
    uint64_t start = 0;
    int complete = 0;
    if (opt->samples == 0)
        cp_err_set(err, CP_EINVAL, "--samples must be at least 1");
    else if (!allocate(&rs, err) && rs.root)
        open_run(&rs, &start, &complete, err);
    int rc = cp_par_share_err(par, err);
    rs.start_chunk = cp_par_bcast_u64(par, start);
    res->first_sample = samples_before(&rs, rs.start_chunk);
    res->already_complete = (int)cp_par_bcast_u64(par, (uint64_t)complete);
    if (!rc && !res->already_complete) {
        rc = simulate_all(&rs, err);
        if (!rc)
            rc = merge_to_root(&rs, err);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        rs.peak_rss_kib = cp_par_max_u64(par, (uint64_t)ru.ru_maxrss);
        if (!rc) {
            if (rs.root)
                write_outputs(&rs, err);
            rc = cp_par_share_err(par, err);
        }
    }
    res->done = rc == CP_OK ? opt->samples : 0;
    res->wall_seconds = cp_par_time() - rs.wall_start;
    release(&rs);
    return rc;
}
