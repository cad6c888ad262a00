/* cp_run.c -- the driver of `chokepoint run`: one scenario's chunks
 * through the shared chunk loop (cp_drive), its statistics and kept sample
 * rows merged to rank 0, which writes summary.csv, binding.csv, samples.csv
 * and the manifest.
 */
#include "cp_run.h"
#include "cp_args.h"
#include "cp_checkpoint.h"
#include "cp_drive.h"
#include "cp_graph.h"
#include "cp_output.h"
#include "cp_period.h"
#include "cp_stats.h"
#include "cp_tornado.h"
#include "cp_version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct run_state {
    const cp_par *par;
    const cp_model *m;
    const cp_run_options *opt;
    cp_run_identity id;
    char run_id[17];
    int root;
    cp_stats *st; /* this rank's since the last merge; on rank 0, everything so far */
    double *kept; /* this rank's kept rows since the last merge (id first) */
    size_t n_kept, cap_kept;
    double *all_kept; /* rank 0: every kept row so far */
    size_t n_all_kept;
    double *block, *extras;
    cp_workspace *w;
    uint64_t first_sample; /* where this invocation started */
    double wall_start;
    time_t started;
    uint64_t peak_rss_kib;
    uint64_t looks[CP_PRECISION_LOOKS_MAX]; /* the stopping rule's, in chunks */
    size_t n_looks;
    uint64_t stopped_at;    /* samples where the rule stopped the run; 0: it did not */
    cp_drive_timing timing; /* rank 0's, from cp_drive */
    cp_tornado *tornado;    /* run --tornado: its statistics, as st; else NULL */
} run_state;

static size_t kept_width(const cp_model *m)
{
    return 1 + cp_model_cells(m) + cp_model_extras(m);
}

static uint64_t samples_before(const run_state *rs, uint64_t chunk)
{
    return cp_drive_samples_before(rs->opt->samples, chunk);
}

/* ---- identity and checkpoints ---------------------------------------- */

static int make_identity(run_state *rs, cp_err *err)
{
    int rc = cp_drive_identify(&rs->m, 1, rs->opt->seed, rs->opt->samples, rs->opt->keep_samples,
                               &rs->id, err);
    if (!rc && rs->opt->precision)
        cp_precision_identity(rs->opt->precision_text, rs->opt->first_look, rs->id.options,
                              sizeof rs->id.options);
    if (!rc && rs->tornado) {
        const size_t used = strlen(rs->id.options);
        if (used)
            rs->id.options[used] = ';';
        cp_tornado_identity(rs->tornado, rs->id.options + used + (used > 0),
                            sizeof rs->id.options - used - (used > 0));
    }
    if (!rc)
        cp_checkpoint_run_id(&rs->id, rs->run_id);
    return rc;
}

/* The statistics a checkpoint holds: the run's, then the tornado's if any
 * (malloc'd list; *n of them), or NULL without a tornado. */
static cp_stats **all_sets(const run_state *rs, size_t *n)
{
    *n = 1;
    if (!rs->tornado)
        return NULL;
    size_t nt;
    cp_stats **t = cp_tornado_sets(rs->tornado, &nt);
    cp_stats **all = malloc((1 + nt) * sizeof *all);
    if (all) {
        all[0] = rs->st;
        memcpy(all + 1, t, nt * sizeof *all);
        *n = 1 + nt;
    }
    return all;
}

static int save_checkpoint(void *ctx, uint64_t next_chunk, cp_err *err)
{
    const run_state *rs = ctx;
    size_t n_sets;
    cp_stats **sets = all_sets(rs, &n_sets);
    if (rs->tornado && !sets)
        return cp_err_set(err, CP_ENOMEM, "out of memory writing the checkpoint");
    const cp_checkpoint ck = {.next_chunk = next_chunk,
                              .stats = rs->st,
                              .sets = sets,
                              .n_sets = sets ? n_sets : 0,
                              .kept = rs->all_kept,
                              .n_kept = rs->n_all_kept,
                              .kept_width = kept_width(rs->m)};
    const int rc = cp_checkpoint_write(rs->opt->out_dir, &rs->id, &ck, err);
    free(sets);
    return rc;
}

static int load_checkpoint(void *ctx, uint64_t *next_chunk, cp_err *err)
{
    run_state *rs = ctx;
    size_t n_sets;
    cp_stats **sets = all_sets(rs, &n_sets);
    if (rs->tornado && !sets)
        return cp_err_set(err, CP_ENOMEM, "out of memory reading the checkpoint");
    cp_checkpoint ck = {.stats = rs->st,
                        .sets = sets,
                        .n_sets = sets ? n_sets : 0,
                        .kept_width = kept_width(rs->m)};
    int rc = cp_checkpoint_read(rs->opt->out_dir, &rs->id, &ck, err);
    free(sets);
    if (rc)
        return rc;
    *next_chunk = ck.next_chunk;
    rs->all_kept = ck.kept;
    rs->n_all_kept = ck.n_kept;
    return CP_OK;
}

/* ---- the stopping rule ------------------------------------------------ */

/* Rank 0, at a look: stops when every target is met, saying so on the
 * progress stream. */
static int look(void *ctx, uint64_t next_chunk, int *stop, cp_err *err)
{
    (void)err;
    const run_state *rs = ctx;
    cp_precision_status status[CP_PRECISION_TARGETS_MAX];
    *stop = cp_precision_check(rs->opt->precision, rs->st, status);
    if (rs->opt->drive.progress_seconds > 0)
        cp_precision_report(stderr, rs->opt->precision, status, cp_stats_samples(rs->st),
                            *stop ? 0 : samples_before(rs, 2 * next_chunk));
    return CP_OK;
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
static int simulate_by_quarter(run_state *rs, uint64_t lo, size_t n, cp_err *err)
{
    const size_t T = cp_model_periods(rs->m), M = cp_model_graph(rs->m)->n_metrics;
    cp_model_begin(rs->m, rs->w, lo, n);
    for (size_t t = 0; t < T; t++) {
        cp_model_step(rs->m, rs->w, rs->block, CP_PAR_CHUNK, rs->tornado ? rs->extras : NULL);
        int rc = cp_stats_add_cells(rs->st, rs->block, n, CP_PAR_CHUNK, t, T, M, err);
        if (!rc && rs->tornado)
            rc = cp_tornado_add(rs->tornado, t, rs->block, CP_PAR_CHUNK, cp_model_latent(rs->w),
                                rs->extras, n, err);
        if (rc == CP_EMODEL)
            return name_bad_value(rs, rs->block, CP_PAR_CHUNK, lo, n, t, T, M, err);
        if (!rc)
            rc = cp_drive_count_binding(rs->st, rs->m, rs->w, n, t, 1, err);
        if (rc)
            return rc;
    }
    cp_stats_count_samples(rs->st, n);
    return CP_OK;
}

/* cp_model_simulate of lanes first .. first + n - 1 into cells (by cell,
 * CP_PAR_CHUNK apart), a quarter at a time as it does, with each quarter's
 * latent shocks and extras going to the tornado while they are there. */
static int simulate_with_tornado(run_state *rs, uint64_t first, size_t n, double *cells,
                                 cp_err *err)
{
    const size_t T = cp_model_periods(rs->m);
    cp_model_begin(rs->m, rs->w, first, n);
    for (size_t t = 0; t < T; t++) {
        double *at = cells + t * CP_PAR_CHUNK;
        cp_model_step(rs->m, rs->w, at, T * CP_PAR_CHUNK, rs->extras);
        const int rc = cp_tornado_add(rs->tornado, t, at, T * CP_PAR_CHUNK, cp_model_latent(rs->w),
                                      rs->extras, n, err);
        if (rc)
            return rc;
    }
    return CP_OK;
}

static int simulate_chunk(void *ctx, uint64_t chunk, cp_err *err)
{
    run_state *rs = ctx;
    const uint64_t lo = chunk * CP_PAR_CHUNK;
    const uint64_t hi = samples_before(rs, chunk + 1);
    if (lo >= rs->opt->keep_samples)
        return simulate_by_quarter(rs, lo, (size_t)(hi - lo), err);
    for (uint64_t first = lo; first < hi; first += CP_MODEL_LANES) {
        const size_t n = (size_t)(hi - first < CP_MODEL_LANES ? hi - first : CP_MODEL_LANES);
        const int keep = first < rs->opt->keep_samples;
        if (rs->tornado) {
            const int rc = simulate_with_tornado(rs, first, n, rs->block + (first - lo), err);
            if (rc)
                return rc;
        } else {
            cp_model_simulate(rs->m, rs->w, first, n, rs->block + (first - lo), CP_PAR_CHUNK,
                              keep ? rs->extras : NULL);
        }
        if (keep && keep_rows(rs, first, n))
            return cp_err_set(err, CP_ENOMEM, "out of memory keeping sample paths");
        const int rc =
            cp_drive_count_binding(rs->st, rs->m, rs->w, n, 0, cp_model_periods(rs->m), err);
        if (rc)
            return rc;
    }
    int rc = cp_stats_add_columns(rs->st, rs->block, (size_t)(hi - lo), CP_PAR_CHUNK, err);
    if (rc == CP_EMODEL)
        /* a clearer message, if it can */
        name_bad_value(rs, rs->block, CP_PAR_CHUNK, lo, (size_t)(hi - lo), 0, 1,
                       cp_model_cells(rs->m), err);
    return rc;
}

/* ---- merging ---------------------------------------------------------- */

/* Collective: every rank's statistics and kept rows since the last merge
 * join rank 0's.  The other ranks start again from empty. */
static int merge_to_root(void *ctx, cp_err *err)
{
    run_state *rs = ctx;
    int rc = cp_drive_reduce_stats(rs->par, &rs->st, 1, err);
    if (!rc && rs->tornado) {
        size_t n;
        cp_stats **sets = cp_tornado_sets(rs->tornado, &n);
        rc = cp_drive_reduce_stats(rs->par, sets, n, err);
    }
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

static int write_manifest(const run_state *rs, cp_err *err)
{
    const cp_run_options *opt = rs->opt;
    cp_outfile f;
    int rc = cp_outfile_open(&f, opt->out_dir, "manifest.json", err);
    if (rc)
        return rc;
    const cp_scenario *sc = cp_model_scenario(rs->m);
    const cp_graph *g = cp_model_graph(rs->m);
    char a[16], b[16];
    cp_period_format(sc->start, a, sizeof a);
    cp_period_format(sc->end, b, sizeof b);
    const double wall = cp_par_time() - rs->wall_start;
    const uint64_t samples = cp_stats_samples(rs->st); /* fewer than opt's if a rule stopped it */
    const uint64_t here = samples - rs->first_sample;
    FILE *fp = f.fp;
    fputs("{\n  \"program\": \"chokepoint\",\n", fp);
    cp_output_manifest_provenance(fp, rs->run_id, opt->command_line, sc, g, rs->id.files);
    fprintf(fp,
            "  \"seed\": %llu,\n  \"samples\": %llu,\n  \"keep_samples\": %llu,\n"
            "  \"periods\": {\"start\": \"%s\", \"end\": \"%s\", \"quarters\": %zu},\n"
            "  \"ranks\": %d,\n  \"chunk_samples\": %d,\n  \"resumed_at_sample\": %llu,\n"
            "  \"quantile_definition\": \"inverse empirical CDF, x_(k) with k = ceil(p n)\",\n"
            "  \"quantile_relative_error_bound\": %.6g,\n",
            (unsigned long long)opt->seed, (unsigned long long)samples,
            (unsigned long long)(opt->keep_samples < samples ? opt->keep_samples : samples), a, b,
            cp_model_periods(rs->m), cp_par_size(rs->par), CP_PAR_CHUNK,
            (unsigned long long)rs->first_sample, 1.0 / 2049.0);
    cp_output_manifest_cost(fp, rs->started, wall, "samples_per_second", here, rs->peak_rss_kib);
    if (opt->precision)
        cp_precision_manifest(fp, opt->precision, opt->precision_text, opt->first_look,
                              opt->samples, rs->st, rs->stopped_at);
    if (rs->tornado) {
        char what[1024];
        cp_tornado_identity(rs->tornado, what, sizeof what);
        fputs("  \"tornado\": ", fp);
        cp_output_json_string(fp, what + strlen("tornado="));
        fputs(",\n", fp);
    }
    cp_drive_manifest_timing(fp, &rs->timing);
    fprintf(fp, "  \"files\": [\"summary.csv\", \"binding.csv\"%s%s]\n}\n",
            opt->keep_samples ? ", \"samples.csv\"" : "", rs->tornado ? ", \"tornado.csv\"" : "");
    return cp_outfile_commit(&f, err);
}

static int write_outputs(run_state *rs, cp_err *err)
{
    const cp_run_options *opt = rs->opt;
    int rc = cp_output_write_summary(opt->out_dir, rs->m, rs->st, err);
    if (!rc)
        rc = cp_output_write_binding(opt->out_dir, rs->m, rs->st, err);
    if (!rc && rs->tornado)
        rc = cp_tornado_write(opt->out_dir, rs->tornado, err);
    if (!rc && opt->keep_samples) {
        double *rows = order_kept(rs);
        rc = rows ? cp_output_write_samples(opt->out_dir, rs->m, rows, rs->n_all_kept, err)
                  : cp_err_set(err, CP_ENOMEM, "out of memory ordering kept samples");
        free(rows);
    }
    if (!rc)
        rc = write_manifest(rs, err);
    if (!rc) {
        cp_checkpoint_remove(opt->out_dir);
        cp_output_clear_leftovers(opt->out_dir);
    }
    return rc;
}

/* ---- status without running ------------------------------------------- */

/* The samples a finished run's manifest.json records (a stopping rule's
 * may be fewer than its cap), or fallback if it says none. */
static uint64_t manifest_samples(const char *dir, uint64_t fallback)
{
    char path[4200], line[512];
    unsigned long long n;
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return fallback;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, " \"samples\": %llu", &n) == 1) {
            fallback = n;
            break;
        }
    fclose(fp);
    return fallback;
}

int cp_run_status(const cp_model *m, const cp_run_options *opt, const char **status, uint64_t *done,
                  cp_err *err)
{
    run_state rs = {.m = m, .opt = opt};
    *done = 0;
    *status = "not started";
    int rc = opt->tornado ? cp_tornado_build(m, opt->tornado_metrics, opt->tornado_regions,
                                             opt->tornado_periods, &rs.tornado, err)
                          : CP_OK;
    if (!rc)
        rc = make_identity(&rs, err);
    if (!rc)
        rc = cp_drive_status(opt->out_dir, &rs.id, status, done, err);
    if (!rc && opt->precision && strcmp(*status, "complete") == 0)
        *done = manifest_samples(opt->out_dir, *done);
    cp_tornado_free(rs.tornado);
    return rc;
}

/* ---- the run ---------------------------------------------------------- */

static int allocate(run_state *rs, cp_err *err)
{
    const size_t cells = cp_model_cells(rs->m);
    rs->st = cp_drive_stats_alloc(rs->m);
    rs->block = malloc(CP_PAR_CHUNK * cells * sizeof *rs->block);
    rs->extras = malloc((CP_MODEL_LANES * cp_model_extras(rs->m) + 1) * sizeof *rs->extras);
    rs->w = cp_workspace_alloc(rs->m, rs->opt->seed);
    if (!rs->st || !rs->block || !rs->extras || !rs->w)
        return cp_err_set(err, CP_ENOMEM, "out of memory for the simulation buffers");
    if (rs->opt->tornado)
        return cp_tornado_build(rs->m, rs->opt->tornado_metrics, rs->opt->tornado_regions,
                                rs->opt->tornado_periods, &rs->tornado, err);
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
    cp_tornado_free(rs->tornado);
}

static const cp_drive_ops run_ops = {.simulate = simulate_chunk,
                                     .merge = merge_to_root,
                                     .save = save_checkpoint,
                                     .load = load_checkpoint,
                                     .look = look};

/* The stopping rule's looks in chunks (the last, the cap, is the run's
 * end and needs none); CP_EINVAL if the counts do not make looks. */
static int plan_looks(run_state *rs, cp_err *err)
{
    const cp_run_options *opt = rs->opt;
    if (!opt->precision)
        return CP_OK;
    uint64_t looks[CP_PRECISION_LOOKS_MAX];
    const size_t n =
        cp_precision_looks(opt->first_look, opt->samples, looks, CP_PRECISION_LOOKS_MAX);
    if (n == 0)
        return cp_err_set(err, CP_EINVAL,
                          "--precision: the first look (--samples %llu) must be a multiple of %d "
                          "and at most --samples-max (%llu)",
                          (unsigned long long)opt->first_look, CP_PAR_CHUNK,
                          (unsigned long long)opt->samples);
    for (size_t i = 0; i + 1 < n; i++)
        rs->looks[rs->n_looks++] = looks[i] / CP_PAR_CHUNK;
    return CP_OK;
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
                    .wall_start = cp_par_time(),
                    .started = time(NULL)};
    if (opt->samples == 0 || opt->samples > CP_SAMPLES_MAX)
        cp_err_set(err, CP_EINVAL, "--samples must be from 1 to %s", CP_SAMPLES_MAX_TEXT);
    else if (!plan_looks(&rs, err) && !allocate(&rs, err) && rs.root)
        make_identity(&rs, err);
    int rc = cp_par_share_err(par, err);
    const cp_drive_options dopt = {.out_dir = opt->out_dir,
                                   .run_id = rs.run_id,
                                   .what = "run",
                                   .samples = opt->samples,
                                   .set = opt->drive,
                                   .looks = rs.looks,
                                   .n_looks = rs.n_looks};
    if (!rc)
        rc = cp_drive_execute(par, &run_ops, &rs, &dopt, res, err);
    rs.first_sample = res->first_sample;
    rs.stopped_at = res->stopped_at;
    rs.timing = res->timing;
    if (!rc && !res->already_complete) {
        rs.peak_rss_kib = res->peak_rss_kib;
        if (rs.root)
            write_outputs(&rs, err);
        rc = cp_par_share_err(par, err);
    }
    if (rc == CP_OK)
        res->done = res->stopped_at ? res->stopped_at : opt->samples;
    res->wall_seconds = cp_par_time() - rs.wall_start;
    release(&rs);
    return rc;
}
