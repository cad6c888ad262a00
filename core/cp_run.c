/* cp_run.c -- the driver of `chokepoint run`.
 *
 * Every rank simulates its chunks (see cp_par.h) into its own statistics;
 * the statistics are then merged on rank 0, which alone writes files.  All
 * ranks take part in every collective step even after a local failure, so a
 * failure anywhere ends the run everywhere with one message.
 */
#include "cp_run.h"
#include "cp_output.h"
#include "cp_period.h"
#include "cp_stats.h"
#include "cp_version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct run_state {
    cp_stats *st;
    double *kept; /* my kept samples: (1 + cells + extras) doubles each, id first */
    size_t n_kept;
    double wall_start;
    time_t started;
    uint64_t peak_rss_kib; /* the largest over ranks */
} run_state;

static size_t kept_width(const cp_model *m)
{
    return 1 + cp_model_cells(m) + cp_model_extras(m);
}

static uint64_t chunk_count(uint64_t samples)
{
    return (samples + CP_PAR_CHUNK - 1) / CP_PAR_CHUNK;
}

/* How many of the first `keep` samples fall in this rank's chunks. */
static size_t count_my_kept(const cp_par *par, uint64_t samples, uint64_t keep)
{
    size_t n = 0;
    const uint64_t chunks = chunk_count(samples < keep ? samples : keep);
    for (uint64_t c = (uint64_t)cp_par_rank(par); c < chunks; c += (uint64_t)cp_par_size(par)) {
        uint64_t lo = c * CP_PAR_CHUNK, hi = lo + CP_PAR_CHUNK;
        if (hi > keep)
            hi = keep;
        if (hi > samples)
            hi = samples;
        n += (size_t)(hi - lo);
    }
    return n;
}

/* Names the first non-finite cell of a block, so the user learns which
 * metric, region and quarter went wrong rather than a cell number.  Called
 * only after the statistics found one. */
static int check_block(const cp_model *m, const double *block, uint64_t first, size_t n,
                       cp_err *err)
{
    const size_t cells = cp_model_cells(m), T = cp_model_periods(m);
    const cp_graph *g = cp_model_graph(m);
    for (size_t s = 0; s < n; s++)
        for (size_t c = 0; c < cells; c++) {
            double v = block[c * CP_PAR_CHUNK + s];
            if (isfinite(v))
                continue;
            char period[16];
            cp_period_format(g->start + (int)(c % T), period, sizeof period);
            const cp_metric *mt = &g->metrics[c / T];
            return cp_err_set(err, CP_EMODEL,
                              "sample %llu: metric '%s' in region '%s' for %s is %g; an input "
                              "of it is zero where it divides, or infinite (check the nodes "
                              "feeding it and the shock multipliers)",
                              (unsigned long long)(first + s), mt->metric, mt->region, period, v);
        }
    return CP_OK;
}

static void report_progress(const cp_par *par, const cp_run_options *opt, uint64_t done_local,
                            double started, double *next_report)
{
    double now = cp_par_time();
    if (opt->progress_seconds <= 0 || cp_par_rank(par) != 0 || now < *next_report)
        return;
    *next_report = now + opt->progress_seconds;
    /* Rank 0 sees only its own share; the ranks run at the same pace, so
     * its count times the rank count is a fair estimate of the total. */
    double done = (double)done_local * cp_par_size(par);
    if (done > (double)opt->samples)
        done = (double)opt->samples;
    double rate = done / (now - started > 1e-9 ? now - started : 1e-9);
    fprintf(stderr, "progress: %.0f of %llu samples (%.1f%%), %.0f samples/s, about %.0f s left\n",
            done, (unsigned long long)opt->samples, 100.0 * done / (double)opt->samples, rate,
            rate > 0 ? ((double)opt->samples - done) / rate : 0.0);
}

/* Copies the kept samples of a simulated block into their rows: the id,
 * the cells, then the extras. */
static void keep_rows(const cp_model *m, run_state *rs, size_t *k, uint64_t first, size_t n,
                      uint64_t keep, const double *cells, const double *extras)
{
    const size_t nc = cp_model_cells(m), ne = cp_model_extras(m), width = kept_width(m);
    for (size_t s = 0; s < n && first + s < keep; s++) {
        double *row = rs->kept + (*k)++ * width;
        row[0] = (double)(first + s);
        for (size_t c = 0; c < nc; c++)
            row[1 + c] = cells[c * CP_PAR_CHUNK + s];
        memcpy(row + 1 + nc, extras + s * ne, ne * sizeof *row);
    }
}

static int simulate_chunks(const cp_par *par, const cp_model *m, const cp_run_options *opt,
                           run_state *rs, cp_err *err)
{
    const size_t cells = cp_model_cells(m);
    const uint64_t chunks = chunk_count(opt->samples);
    rs->n_kept = count_my_kept(par, opt->samples, opt->keep_samples);
    double *block = malloc(CP_PAR_CHUNK * cells * sizeof *block);
    double *extras = malloc((CP_MODEL_LANES * cp_model_extras(m) + 1) * sizeof *extras);
    rs->kept = malloc((rs->n_kept ? rs->n_kept : 1) * kept_width(m) * sizeof *rs->kept);
    cp_workspace *w = cp_workspace_alloc(m, opt->seed);
    int rc = CP_OK;
    if (!block || !extras || !rs->kept || !w)
        rc = cp_err_set(err, CP_ENOMEM, "out of memory for the simulation buffers");
    double next_report = rs->wall_start + opt->progress_seconds;
    uint64_t done = 0;
    size_t k = 0;
    for (uint64_t c = (uint64_t)cp_par_rank(par); !rc && c < chunks;
         c += (uint64_t)cp_par_size(par)) {
        const uint64_t lo = c * CP_PAR_CHUNK;
        const uint64_t hi = lo + CP_PAR_CHUNK < opt->samples ? lo + CP_PAR_CHUNK : opt->samples;
        for (uint64_t first = lo; first < hi; first += CP_MODEL_LANES) {
            const size_t n = (size_t)(hi - first < CP_MODEL_LANES ? hi - first : CP_MODEL_LANES);
            const int keep = first < opt->keep_samples;
            double *out = block + (first - lo);
            cp_model_simulate(m, w, first, n, out, CP_PAR_CHUNK, keep ? extras : NULL);
            if (keep)
                keep_rows(m, rs, &k, first, n, opt->keep_samples, out, extras);
        }
        rc = cp_stats_add_columns(rs->st, block, (size_t)(hi - lo), CP_PAR_CHUNK, err);
        if (rc == CP_EMODEL && check_block(m, block, lo, (size_t)(hi - lo), err) == CP_OK)
            rc = CP_EMODEL; /* not found again: the statistics' own message stands */
        done += hi - lo;
        report_progress(par, opt, done, rs->wall_start, &next_report);
    }
    cp_workspace_free(w);
    free(extras);
    free(block);
    return rc;
}

/* Puts the gathered kept rows in sample order (they arrive in rank order)
 * and drops the id column. */
static double *order_kept(const cp_model *m, const double *all, size_t n)
{
    const size_t width = kept_width(m);
    double *rows = malloc((n ? n : 1) * (width - 1) * sizeof *rows);
    if (!rows)
        return NULL;
    for (size_t r = 0; r < n; r++) {
        const double *src = all + r * width;
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

static int write_manifest(const cp_par *par, const cp_model *m, const cp_run_options *opt,
                          const run_state *rs, cp_err *err)
{
    cp_outfile f;
    int rc = cp_outfile_open(&f, opt->out_dir, "manifest.json", err);
    if (rc)
        return rc;
    const cp_scenario *sc = cp_model_scenario(m);
    const cp_graph *g = cp_model_graph(m);
    char started[32], finished[32], a[16], b[16], hex[65];
    iso_time(rs->started, started, sizeof started);
    iso_time(time(NULL), finished, sizeof finished);
    cp_period_format(sc->start, a, sizeof a);
    cp_period_format(sc->end, b, sizeof b);
    const double wall = cp_par_time() - rs->wall_start;
    FILE *fp = f.fp;
    fprintf(fp, "{\n  \"program\": \"chokepoint\",\n  \"version\": ");
    cp_output_json_string(fp, cp_version());
    fputs(",\n  \"git_commit\": ", fp);
    cp_output_json_string(fp, cp_git_commit());
    fputs(",\n  \"command\": ", fp);
    cp_output_json_string(fp, opt->command_line ? opt->command_line : "");
    fputs(",\n  \"scenario\": {\"name\": ", fp);
    cp_output_json_string(fp, sc->name);
    fputs(", \"path\": ", fp);
    cp_output_json_string(fp, sc->path);
    fputs(", \"sha256\": ", fp);
    cp_output_json_string(fp, cp_output_sha256(sc->path, hex, err) ? "unreadable" : hex);
    fputs("},\n  \"inputs\": [\n", fp);
    for (int i = 0; i < 5; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", g->dir, cp_graph_files[i]);
        hash_entry(fp, path, i == 4);
    }
    fprintf(fp,
            "  ],\n  \"seed\": %llu,\n  \"samples\": %llu,\n  \"keep_samples\": %llu,\n"
            "  \"periods\": {\"start\": \"%s\", \"end\": \"%s\", \"quarters\": %zu},\n"
            "  \"ranks\": %d,\n  \"chunk_samples\": %d,\n"
            "  \"quantile_definition\": \"inverse empirical CDF, x_(k) with k = ceil(p n)\",\n"
            "  \"quantile_relative_error_bound\": %.6g,\n"
            "  \"started_utc\": \"%s\",\n  \"finished_utc\": \"%s\",\n"
            "  \"wall_seconds\": %.3f,\n  \"samples_per_second\": %.1f,\n"
            "  \"peak_rss_kib_per_rank\": %llu,\n"
            "  \"files\": [\"summary.csv\"%s]\n}\n",
            (unsigned long long)opt->seed, (unsigned long long)opt->samples,
            (unsigned long long)opt->keep_samples, a, b, cp_model_periods(m), cp_par_size(par),
            CP_PAR_CHUNK, 1.0 / 2049.0, started, finished, wall,
            wall > 0 ? (double)opt->samples / wall : 0.0, (unsigned long long)rs->peak_rss_kib,
            opt->keep_samples ? ", \"samples.csv\"" : "");
    cp_err_clear(err);
    return cp_outfile_commit(&f, err);
}

static int write_outputs(const cp_par *par, const cp_model *m, const cp_run_options *opt,
                         run_state *rs, const double *gathered, size_t n_gathered, cp_err *err)
{
    int rc = cp_output_write_summary(opt->out_dir, m, rs->st, err);
    if (!rc && opt->keep_samples) {
        double *rows = order_kept(m, gathered, n_gathered);
        rc = rows ? cp_output_write_samples(opt->out_dir, m, rows, n_gathered, err)
                  : cp_err_set(err, CP_ENOMEM, "out of memory ordering kept samples");
        free(rows);
    }
    if (!rc)
        rc = write_manifest(par, m, opt, rs, err);
    return rc;
}

int cp_run_execute(const cp_par *par, const cp_model *m, const cp_run_options *opt, cp_err *err)
{
    cp_err_clear(err);
    run_state rs = {.wall_start = cp_par_time(), .started = time(NULL)};
    const int root = cp_par_rank(par) == 0;
    if (opt->samples == 0)
        cp_err_set(err, CP_EINVAL, "--samples must be at least 1");
    else if (root)
        cp_output_prepare_dir(opt->out_dir, opt->force, err);
    if (cp_par_share_err(par, err))
        return err->code;

    rs.st = cp_stats_alloc(cp_model_cells(m));
    if (!rs.st)
        cp_err_set(err, CP_ENOMEM, "out of memory for statistics");
    else
        simulate_chunks(par, m, opt, &rs, err);
    int rc = cp_par_share_err(par, err);
    if (!rc)
        rc = cp_par_reduce_stats(par, rs.st, err);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    rs.peak_rss_kib = cp_par_max_u64(par, (uint64_t)ru.ru_maxrss);

    double *gathered = NULL;
    size_t n_gathered = 0;
    if (!rc && opt->keep_samples) {
        cp_par_gather_rows(par, rs.kept, rs.n_kept, kept_width(m), &gathered, &n_gathered, err);
        rc = cp_par_share_err(par, err);
    }
    if (!rc) {
        if (root)
            write_outputs(par, m, opt, &rs, gathered, n_gathered, err);
        rc = cp_par_share_err(par, err);
    }
    free(gathered);
    free(rs.kept);
    cp_stats_free(rs.st);
    return rc;
}
