/* cp_compare.c -- the driver of `chokepoint compare`.
 *
 * The chunks go through the shared chunk loop (cp_drive), as `run`'s do.
 * For a chunk, every scenario's samples are simulated a quarter at a
 * time, in step (same seed, same sample indices: common random numbers),
 * and added to that scenario's statistics (its cells and the binding
 * labels of every sample), and for each option the per-sample differences
 * option - base and a 0/1 indicator "option > base" (whose mean is the
 * probability the option is higher) are added to the option's difference
 * statistics.
 * Statistics are formed per chunk and merge exactly, so the files do not
 * depend on the rank count, nor on where a run was checkpointed and
 * resumed: a checkpoint holds every one of those statistics.
 */
#include "cp_compare.h"
#include "cp_args.h"
#include "cp_checkpoint.h"
#include "cp_graph.h"
#include "cp_output.h"
#include "cp_period.h"
#include "cp_stats.h"
#include "cp_version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CP_PRICE_WHY 9000 /* two paths and a sentence */

typedef struct cmp_state {
    const cp_par *par;
    const cp_model *const *models;
    size_t n;
    const cp_compare_options *opt;
    size_t cells;
    int root;
    /* 2n - 1 sets, in the order they are merged and checkpointed: each
     * scenario's own cells (n), then each option's differences followed by
     * its indicators (n - 1 of 2 * cells).  See own() and diff(). */
    cp_stats **sets;
    double *blocks; /* n blocks of a quarter's metrics x CP_PAR_CHUNK, by cell */
    double *dblock; /* 2 x a quarter's metrics x CP_PAR_CHUNK */
    cp_workspace **w;
    /* Per option (index k, 0 unused), found before the first sample, while
     * the files are those the scenarios were read from: whether its cost
     * prices its difference from the base (cp_scenario_priced_against),
     * and if not, why. */
    unsigned char *priced;
    char (*unpriced)[CP_PRICE_WHY];
    cp_run_identity id;
    char run_id[17];
    uint64_t first_sample;  /* where this invocation started */
    cp_drive_timing timing; /* rank 0's, from cp_drive */
    time_t started;
    uint64_t peak_rss_kib; /* the most of any rank, when the statistics are merged */
} cmp_state;

static size_t n_sets(const cmp_state *cs)
{
    return 2 * cs->n - 1;
}

/* Scenario k's own statistics (k = 0: the base). */
static cp_stats *own(const cmp_state *cs, size_t k)
{
    return cs->sets[k];
}

/* Option k's paired differences (k >= 1). */
static cp_stats *diff(const cmp_state *cs, size_t k)
{
    return cs->sets[cs->n + k - 1];
}

static int check_compatible(const cmp_state *cs, cp_err *err)
{
    const cp_model *b = cs->models[0];
    const cp_graph *gb = cp_model_graph(b);
    for (size_t k = 1; k < cs->n; k++) {
        const cp_model *o = cs->models[k];
        const cp_graph *go = cp_model_graph(o);
        int same = cp_model_cells(o) == cs->cells && go->start == gb->start &&
                   go->n_metrics == gb->n_metrics;
        for (size_t i = 0; same && i < gb->n_metrics; i++)
            same = strcmp(go->metrics[i].metric, gb->metrics[i].metric) == 0 &&
                   strcmp(go->metrics[i].region, gb->metrics[i].region) == 0 &&
                   go->metrics[i].per == gb->metrics[i].per;
        if (!same)
            return cp_err_set(err, CP_EINVAL,
                              "%s: its metrics or horizon differ from the base %s; a paired "
                              "comparison needs the same cells",
                              cp_model_scenario(o)->path, cp_model_scenario(b)->path);
        for (size_t j = 0; j < k; j++)
            if (strcmp(cp_model_scenario(cs->models[j])->name, cp_model_scenario(o)->name) == 0)
                return cp_err_set(err, CP_EINVAL,
                                  "%s and %s have the same scenario name '%s' (each gets a "
                                  "directory of that name)",
                                  cp_model_scenario(cs->models[j])->path,
                                  cp_model_scenario(o)->path, cp_model_scenario(o)->name);
    }
    return CP_OK;
}

static int alloc_state(cmp_state *cs, cp_err *err)
{
    const size_t n = cs->n, cells = cs->cells;
    const size_t M = cp_model_graph(cs->models[0])->n_metrics;
    cs->sets = calloc(n_sets(cs), sizeof *cs->sets);
    cs->w = calloc(n, sizeof *cs->w);
    cs->blocks = malloc(n * M * CP_PAR_CHUNK * sizeof *cs->blocks);
    cs->dblock = malloc(2 * M * CP_PAR_CHUNK * sizeof *cs->dblock);
    cs->priced = calloc(n, 1);
    cs->unpriced = calloc(n, sizeof *cs->unpriced);
    if (!cs->sets || !cs->w || !cs->blocks || !cs->dblock || !cs->priced || !cs->unpriced)
        return cp_err_set(err, CP_ENOMEM, "out of memory for the comparison");
    for (size_t k = 1; k < n; k++)
        cs->priced[k] = (unsigned char)cp_scenario_priced_against(
            cp_model_scenario(cs->models[k]), cp_model_scenario(cs->models[0]), cs->unpriced[k],
            sizeof cs->unpriced[k]);
    for (size_t i = 0; i < n_sets(cs); i++)
        if (!(cs->sets[i] =
                  i < n ? cp_drive_stats_alloc(cs->models[i]) : cp_stats_alloc(2 * cells)))
            return cp_err_set(err, CP_ENOMEM, "out of memory for the comparison");
    for (size_t k = 0; k < n; k++)
        if (!(cs->w[k] = cp_workspace_alloc(cs->models[k], cs->opt->seed)))
            return cp_err_set(err, CP_ENOMEM, "out of memory for the comparison");
    return CP_OK;
}

static void free_state(cmp_state *cs)
{
    for (size_t i = 0; cs->sets && i < n_sets(cs); i++)
        cp_stats_free(cs->sets[i]);
    for (size_t k = 0; cs->w && k < cs->n; k++)
        cp_workspace_free(cs->w[k]);
    free(cs->sets);
    free(cs->w);
    free(cs->blocks);
    free(cs->dblock);
    free(cs->priced);
    free(cs->unpriced);
}

/* The paired differences option - base of one quarter's cells (M of
 * them, CP_PAR_CHUNK apart) and their indicators "option > base" after
 * them, in dblock. */
static void pair(const double *opt, const double *base, size_t M, size_t ns, double *dblock)
{
    for (size_t c = 0; c < M; c++)
        for (size_t s = 0; s < ns; s++) {
            const size_t i = c * CP_PAR_CHUNK + s;
            dblock[i] = opt[i] - base[i];
            dblock[(M + c) * CP_PAR_CHUNK + s] = opt[i] > base[i] ? 1.0 : 0.0;
        }
}

/* Every scenario is simulated a quarter at a time, in step, and each
 * quarter's cells go to the statistics while they are in cache, as `run`
 * does (cp_run.c: simulate_by_quarter): each cell's values of the chunk
 * still come in one piece, so the statistics are those of the whole
 * chunk's cells added at once. */
static int simulate_chunk(void *ctx, uint64_t chunk, cp_err *err)
{
    const cmp_state *cs = ctx;
    const cp_model *m0 = cs->models[0];
    const size_t T = cp_model_periods(m0), M = cp_model_graph(m0)->n_metrics;
    const uint64_t lo = chunk * CP_PAR_CHUNK;
    const size_t ns = (size_t)(cp_drive_samples_before(cs->opt->samples, chunk + 1) - lo);
    for (size_t k = 0; k < cs->n; k++)
        cp_model_begin(cs->models[k], cs->w[k], lo, ns);
    for (size_t t = 0; t < T; t++) {
        for (size_t k = 0; k < cs->n; k++) {
            double *q = cs->blocks + k * M * CP_PAR_CHUNK;
            cp_model_step(cs->models[k], cs->w[k], q, CP_PAR_CHUNK, NULL);
            int rc = cp_stats_add_cells(own(cs, k), q, ns, CP_PAR_CHUNK, t, T, M, err);
            if (!rc)
                rc = cp_drive_count_binding(own(cs, k), cs->models[k], cs->w[k], ns, t, 1, err);
            if (rc)
                return cp_err_wrap(err, "scenario %s", cp_model_scenario(cs->models[k])->name);
        }
        for (size_t k = 1; k < cs->n; k++) {
            pair(cs->blocks + k * M * CP_PAR_CHUNK, cs->blocks, M, ns, cs->dblock);
            int rc = cp_stats_add_cells(diff(cs, k), cs->dblock, ns, CP_PAR_CHUNK, t, T, M, err);
            if (!rc)
                rc = cp_stats_add_cells(diff(cs, k), cs->dblock + M * CP_PAR_CHUNK, ns,
                                        CP_PAR_CHUNK, cs->cells + t, T, M, err);
            if (rc)
                return cp_err_wrap(err, "option %s", cp_model_scenario(cs->models[k])->name);
        }
    }
    for (size_t i = 0; i < n_sets(cs); i++)
        cp_stats_count_samples(cs->sets[i], ns);
    return CP_OK;
}

/* ---- merging and checkpoints ------------------------------------------ */

/* Collective: every set, in a fixed order, joins rank 0's. */
static int merge_to_root(void *ctx, cp_err *err)
{
    cmp_state *cs = ctx;
    return cp_drive_reduce_stats(cs->par, cs->sets, n_sets(cs), err);
}

static int save_checkpoint(void *ctx, uint64_t next_chunk, cp_err *err)
{
    const cmp_state *cs = ctx;
    const cp_checkpoint ck = {.next_chunk = next_chunk, .sets = cs->sets, .n_sets = n_sets(cs)};
    return cp_checkpoint_write(cs->opt->out_dir, &cs->id, &ck, err);
}

static int load_checkpoint(void *ctx, uint64_t *next_chunk, cp_err *err)
{
    const cmp_state *cs = ctx;
    cp_checkpoint ck = {.sets = cs->sets, .n_sets = n_sets(cs)};
    int rc = cp_checkpoint_read(cs->opt->out_dir, &cs->id, &ck, err);
    free(ck.kept); /* a comparison keeps no sample rows: an empty allocation */
    *next_chunk = ck.next_chunk;
    return rc;
}

static int make_identity(cmp_state *cs, cp_err *err)
{
    int rc = cp_drive_identify(cs->models, cs->n, cs->opt->seed, cs->opt->samples, 0, &cs->id, err);
    if (!rc)
        cp_checkpoint_run_id(&cs->id, cs->run_id);
    return rc;
}

/* ---- writing ---------------------------------------------------------- */

static void put_number(FILE *fp, double v)
{
    fprintf(fp, ",%.10g", v);
}

/* compare.csv: one row per option, metric, region and quarter.  CaR(5%) is
 * the 5% quantile of a cell over samples; its change is option - base of
 * those quantiles (not the quantile of the differences), its shortfall the
 * base's median minus the option's CaR, and per cost the change per
 * billion dollars of the option's [option] cost_usd: only where that cost
 * prices the difference (cs->priced), else empty. */
static int write_compare(const cmp_state *cs, cp_err *err)
{
    cp_outfile f;
    int rc = cp_outfile_open(&f, cs->opt->out_dir, "compare.csv", err);
    if (rc)
        return rc;
    const cp_model *bm = cs->models[0];
    const cp_graph *g = cp_model_graph(bm);
    const size_t T = cp_model_periods(bm);
    fputs("option,metric,region,period,unit,samples,mean_diff,sd_diff,se_diff,p05_diff,p50_diff,"
          "p95_diff,prob_better,car05_base,car05_option,car05_change,car05_shortfall,cost_usd,"
          "car05_change_per_busd\n",
          f.fp);
    static const double probs[3] = {0.05, 0.5, 0.95};
    for (size_t k = 1; k < cs->n; k++) {
        const cp_scenario *sc = cp_model_scenario(cs->models[k]);
        for (size_t i = 0; i < g->n_metrics; i++) {
            const cp_metric *mt = &g->metrics[i];
            for (size_t t = 0; t < T; t++) {
                const size_t c = i * T + t;
                cp_cell_summary d, ind, sb, so;
                double q[3], qi[3], cb[2], co;
                cp_stats_summarize(diff(cs, k), c, probs, 3, &d, q);
                cp_stats_summarize(diff(cs, k), cs->cells + c, probs, 3, &ind, qi);
                cp_stats_summarize(own(cs, 0), c, probs, 2, &sb, cb);
                cp_stats_summarize(own(cs, k), c, probs, 1, &so, &co);
                char period[16];
                cp_period_format(g->start + (int)t, period, sizeof period);
                fprintf(f.fp, "%s,%s,%s,%s,%s,%llu", sc->name, mt->metric, mt->region, period,
                        mt->unit, (unsigned long long)d.n);
                put_number(f.fp, d.mean);
                put_number(f.fp, d.sd);
                put_number(f.fp, d.n ? d.sd / sqrt((double)d.n) : NAN);
                for (int j = 0; j < 3; j++)
                    put_number(f.fp, q[j]);
                put_number(f.fp, ind.mean);
                put_number(f.fp, cb[0]);
                put_number(f.fp, co);
                put_number(f.fp, co - cb[0]);
                put_number(f.fp, cb[1] - co); /* against the base's median */
                if (isnan(sc->cost_usd))
                    fputs(",,", f.fp);
                else {
                    put_number(f.fp, sc->cost_usd);
                    if (cs->priced[k])
                        put_number(f.fp,
                                   sc->cost_usd > 0 ? (co - cb[0]) / (sc->cost_usd / 1e9) : NAN);
                    else
                        fputc(',', f.fp);
                }
                fputc('\n', f.fp);
            }
        }
    }
    return cp_outfile_commit(&f, err);
}

static int write_manifest(const cmp_state *cs, double wall, cp_err *err)
{
    cp_outfile f;
    int rc = cp_outfile_open(&f, cs->opt->out_dir, "manifest.json", err);
    if (rc)
        return rc;
    FILE *fp = f.fp;
    fputs("{\n  \"program\": \"chokepoint\",\n  \"command_kind\": \"compare\",\n  \"version\": ",
          fp);
    cp_output_json_string(fp, cp_version());
    fputs(",\n  \"git_commit\": ", fp);
    cp_output_json_string(fp, cp_git_commit());
    fprintf(fp, ",\n  \"run_id\": \"%s\",\n  \"command\": ", cs->run_id);
    cp_output_json_string(fp, cs->opt->command_line ? cs->opt->command_line : "");
    fprintf(fp,
            ",\n  \"seed\": %llu,\n  \"samples\": %llu,\n  \"ranks\": %d,\n"
            "  \"chunk_samples\": %d,\n  \"resumed_at_sample\": %llu,\n",
            (unsigned long long)cs->opt->seed, (unsigned long long)cs->opt->samples,
            cp_par_size(cs->par), CP_PAR_CHUNK, (unsigned long long)cs->first_sample);
    fputs("  \"scenarios\": [\n", fp);
    for (size_t k = 0; k < cs->n; k++) {
        const cp_scenario *sc = cp_model_scenario(cs->models[k]);
        fputs("    {\"role\": ", fp);
        cp_output_json_string(fp, k ? "option" : "base");
        fputs(", \"name\": ", fp);
        cp_output_json_string(fp, sc->name);
        /* an option's cost, and whether compare.csv prices its CaR05 change */
        if (k && !isnan(sc->cost_usd)) {
            fprintf(fp, ", \"cost_usd\": %.10g, \"car05_change_priced\": %s", sc->cost_usd,
                    cs->priced[k] ? "true" : "false");
            if (!cs->priced[k]) {
                fputs(", \"not_priced_because\": ", fp);
                cp_output_json_string(fp, cs->unpriced[k]);
            }
        }
        fputs(", \"files\": [", fp);
        /* Every file the scenario was read from, base scenarios and the
         * data files of empirical distributions included. */
        for (size_t i = 0; i < sc->n_files + sc->n_data_files; i++) {
            fputs(i ? ", " : "", fp);
            cp_output_json_file(
                fp, i < sc->n_files ? sc->files[i] : sc->data_files[i - sc->n_files], cs->id.files);
        }
        /* and the graph's input files, as a run's manifest has them */
        fputs("], \"inputs\": [", fp);
        cp_output_json_inputs(fp, cp_model_graph(cs->models[k]), ", ", cs->id.files);
        fputs(k + 1 < cs->n ? "]},\n" : "]}\n", fp);
    }
    fputs("  ],\n", fp);
    const uint64_t here = cs->opt->samples - cs->first_sample;
    cp_output_manifest_cost(fp, cs->started, wall, "samples_per_second", here, cs->peak_rss_kib);
    cp_drive_manifest_timing(fp, &cs->timing);
    fputs("  \"files\": [\"compare.csv\"", fp);
    static const char *const per_scenario[] = {"summary.csv", "binding.csv"};
    for (size_t k = 0; k < cs->n; k++)
        for (size_t i = 0; i < 2; i++) {
            char path[CP_NAME_MAX + 32];
            snprintf(path, sizeof path, "%s/%s", cp_model_scenario(cs->models[k])->name,
                     per_scenario[i]);
            fputs(", ", fp);
            cp_output_json_string(fp, path);
        }
    fputs("]\n}\n", fp);
    return cp_outfile_commit(&f, err);
}

/* Rank 0: the files, manifest last; then the checkpoint is spent. */
static int write_all(const cmp_state *cs, double wall, cp_err *err)
{
    int rc = CP_OK;
    for (size_t k = 0; !rc && k < cs->n; k++) {
        char dir[4400];
        snprintf(dir, sizeof dir, "%s/%s", cs->opt->out_dir,
                 cp_model_scenario(cs->models[k])->name);
        rc = cp_output_prepare_dir(dir, 1, err);
        if (!rc)
            rc = cp_output_write_summary(dir, cs->models[k], own(cs, k), err);
        if (!rc)
            rc = cp_output_write_binding(dir, cs->models[k], own(cs, k), err);
    }
    if (!rc)
        rc = write_compare(cs, err);
    if (!rc)
        rc = write_manifest(cs, wall, err);
    if (!rc) {
        cp_checkpoint_remove(cs->opt->out_dir);
        cp_output_clear_leftovers(cs->opt->out_dir);
    }
    return rc;
}

static const cp_drive_ops compare_ops = {.simulate = simulate_chunk,
                                         .merge = merge_to_root,
                                         .save = save_checkpoint,
                                         .load = load_checkpoint};

/* Every rank: the buffers; rank 0: the identity.  Collective. */
static int start(cmp_state *cs, cp_err *err)
{
    if (cs->n < 2)
        cp_err_set(err, CP_EINVAL, "compare needs a base and at least one option");
    else if (cs->opt->samples == 0 || cs->opt->samples > CP_SAMPLES_MAX)
        cp_err_set(err, CP_EINVAL, "--samples must be from 1 to %s", CP_SAMPLES_MAX_TEXT);
    else if (!check_compatible(cs, err) && !alloc_state(cs, err) && cs->root)
        make_identity(cs, err);
    return cp_par_share_err(cs->par, err);
}

int cp_compare_execute(const cp_par *par, const cp_model *const *models, size_t n,
                       const cp_compare_options *opt, cp_drive_result *res, cp_err *err)
{
    cp_err_clear(err);
    memset(res, 0, sizeof *res);
    cmp_state cs = {.par = par,
                    .models = models,
                    .n = n,
                    .opt = opt,
                    .cells = cp_model_cells(models[0]),
                    .root = cp_par_rank(par) == 0,
                    .started = time(NULL)};
    const double wall_start = cp_par_time();
    const cp_drive_options dopt = {.out_dir = opt->out_dir,
                                   .run_id = cs.run_id,
                                   .what = "comparison",
                                   .samples = opt->samples,
                                   .set = opt->drive};
    int rc = start(&cs, err);
    if (!rc)
        rc = cp_drive_execute(par, &compare_ops, &cs, &dopt, res, err);
    cs.first_sample = res->first_sample;
    cs.timing = res->timing;
    if (!rc && !res->already_complete) {
        cs.peak_rss_kib = res->peak_rss_kib;
        if (cs.root)
            write_all(&cs, cp_par_time() - wall_start, err);
        rc = cp_par_share_err(par, err);
    }
    res->done = rc == CP_OK ? opt->samples : res->done;
    res->wall_seconds = cp_par_time() - wall_start;
    free_state(&cs);
    return rc;
}

int cp_compare_status(const cp_model *const *models, size_t n, const cp_compare_options *opt,
                      const char **status, uint64_t *done, cp_err *err)
{
    cmp_state cs = {.models = models, .n = n, .opt = opt};
    *done = 0;
    *status = "not started";
    int rc = n >= 2 ? make_identity(&cs, err)
                    : cp_err_set(err, CP_EINVAL, "compare needs a base and at least one option");
    return rc ? rc : cp_drive_status(opt->out_dir, &cs.id, status, done, err);
}
