/* cp_compare.c -- the driver of `chokepoint compare`.
 *
 * Each rank takes chunks r, r + P, ... of CP_PAR_CHUNK global sample
 * indices, as `run` does.  For a chunk it simulates every scenario's samples
 * (same seed, same sample indices: common random numbers), adds each
 * scenario's cells to that scenario's statistics, and for each option adds
 * the per-sample differences option - base and a 0/1 indicator "option >
 * base" (whose mean is the probability the option is higher) to the
 * option's difference statistics.  Statistics are formed per chunk and
 * merge exactly, so the files do not depend on the rank count.  There is
 * no checkpointing: a comparison is meant to be short.
 */
#include "cp_compare.h"
#include "cp_graph.h"
#include "cp_output.h"
#include "cp_period.h"
#include "cp_stats.h"
#include "cp_version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct cmp_state {
    const cp_par *par;
    const cp_model *const *models;
    size_t n;
    const cp_compare_options *opt;
    size_t cells;
    cp_stats **own;  /* n: each scenario's cells */
    cp_stats **diff; /* n (0 unused): option - base cells, then indicator cells */
    double *blocks;  /* n blocks of cells x CP_PAR_CHUNK, by cell */
    double *dblock;  /* 2 * cells x CP_PAR_CHUNK */
    cp_workspace **w;
} cmp_state;

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
                   strcmp(go->metrics[i].region, gb->metrics[i].region) == 0;
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
    cs->own = calloc(n, sizeof *cs->own);
    cs->diff = calloc(n, sizeof *cs->diff);
    cs->w = calloc(n, sizeof *cs->w);
    cs->blocks = malloc(n * cells * CP_PAR_CHUNK * sizeof *cs->blocks);
    cs->dblock = malloc(2 * cells * CP_PAR_CHUNK * sizeof *cs->dblock);
    if (!cs->own || !cs->diff || !cs->w || !cs->blocks || !cs->dblock)
        return cp_err_set(err, CP_ENOMEM, "out of memory for the comparison");
    for (size_t k = 0; k < n; k++) {
        cs->own[k] = cp_stats_alloc(cells);
        cs->diff[k] = k ? cp_stats_alloc(2 * cells) : NULL;
        cs->w[k] = cp_workspace_alloc(cs->models[k], cs->opt->seed);
        if (!cs->own[k] || (k && !cs->diff[k]) || !cs->w[k])
            return cp_err_set(err, CP_ENOMEM, "out of memory for the comparison");
    }
    return CP_OK;
}

static void free_state(cmp_state *cs)
{
    for (size_t k = 0; k < cs->n; k++) {
        if (cs->own)
            cp_stats_free(cs->own[k]);
        if (cs->diff)
            cp_stats_free(cs->diff[k]);
        if (cs->w)
            cp_workspace_free(cs->w[k]);
    }
    free(cs->own);
    free(cs->diff);
    free(cs->w);
    free(cs->blocks);
    free(cs->dblock);
}

static int simulate_chunk(cmp_state *cs, uint64_t chunk, cp_err *err)
{
    const size_t cells = cs->cells;
    const uint64_t lo = chunk * CP_PAR_CHUNK;
    const uint64_t hi = lo + CP_PAR_CHUNK < cs->opt->samples ? lo + CP_PAR_CHUNK : cs->opt->samples;
    const size_t ns = (size_t)(hi - lo);
    for (size_t k = 0; k < cs->n; k++) {
        double *block = cs->blocks + k * cells * CP_PAR_CHUNK;
        for (uint64_t first = lo; first < hi; first += CP_MODEL_LANES) {
            const size_t m = (size_t)(hi - first < CP_MODEL_LANES ? hi - first : CP_MODEL_LANES);
            cp_model_simulate(cs->models[k], cs->w[k], first, m, block + (first - lo), CP_PAR_CHUNK,
                              NULL);
        }
        int rc = cp_stats_add_columns(cs->own[k], block, ns, CP_PAR_CHUNK, err);
        if (rc) {
            cp_err_wrap(err, "scenario %s", cp_model_scenario(cs->models[k])->name);
            return rc;
        }
    }
    const double *base = cs->blocks;
    for (size_t k = 1; k < cs->n; k++) {
        const double *opt = cs->blocks + k * cells * CP_PAR_CHUNK;
        for (size_t c = 0; c < cells; c++)
            for (size_t s = 0; s < ns; s++) {
                const size_t i = c * CP_PAR_CHUNK + s;
                cs->dblock[i] = opt[i] - base[i];
                cs->dblock[(cells + c) * CP_PAR_CHUNK + s] = opt[i] > base[i] ? 1.0 : 0.0;
            }
        int rc = cp_stats_add_columns(cs->diff[k], cs->dblock, ns, CP_PAR_CHUNK, err);
        if (rc)
            return rc;
    }
    return CP_OK;
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
 * billion dollars of the option's [option] cost_usd. */
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
                cp_stats_summarize(cs->diff[k], c, probs, 3, &d, q);
                cp_stats_summarize(cs->diff[k], cs->cells + c, probs, 3, &ind, qi);
                cp_stats_summarize(cs->own[0], c, probs, 2, &sb, cb);
                cp_stats_summarize(cs->own[k], c, probs, 1, &so, &co);
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
                    put_number(f.fp, sc->cost_usd > 0 ? (co - cb[0]) / (sc->cost_usd / 1e9) : NAN);
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
    fputs(",\n  \"command\": ", fp);
    cp_output_json_string(fp, cs->opt->command_line ? cs->opt->command_line : "");
    fprintf(fp, ",\n  \"seed\": %llu,\n  \"samples\": %llu,\n  \"ranks\": %d,\n",
            (unsigned long long)cs->opt->seed, (unsigned long long)cs->opt->samples,
            cp_par_size(cs->par));
    fputs("  \"scenarios\": [\n", fp);
    for (size_t k = 0; k < cs->n; k++) {
        const cp_scenario *sc = cp_model_scenario(cs->models[k]);
        fputs("    {\"role\": ", fp);
        cp_output_json_string(fp, k ? "option" : "base");
        fputs(", \"name\": ", fp);
        cp_output_json_string(fp, sc->name);
        fputs(", \"files\": [", fp);
        /* Every file the scenario was read from, base scenarios included. */
        for (size_t i = 0; i < sc->n_files; i++) {
            char hex[65];
            cp_err e;
            fputs(i ? ", {\"path\": " : "{\"path\": ", fp);
            cp_output_json_string(fp, sc->files[i]);
            fputs(", \"sha256\": ", fp);
            cp_output_json_string(fp, cp_output_sha256(sc->files[i], hex, &e) ? "unreadable" : hex);
            fputs("}", fp);
        }
        fputs(k + 1 < cs->n ? "]},\n" : "]}\n", fp);
    }
    fprintf(fp, "  ],\n  \"wall_seconds\": %.3f\n}\n", wall);
    return cp_outfile_commit(&f, err);
}

static int write_all(const cmp_state *cs, double wall, cp_err *err)
{
    int rc = cp_output_prepare_dir(cs->opt->out_dir, cs->opt->force, err);
    for (size_t k = 0; !rc && k < cs->n; k++) {
        char dir[4400];
        snprintf(dir, sizeof dir, "%s/%s", cs->opt->out_dir,
                 cp_model_scenario(cs->models[k])->name);
        rc = cp_output_prepare_dir(dir, 1, err);
        if (!rc)
            rc = cp_output_write_summary(dir, cs->models[k], cs->own[k], err);
    }
    if (!rc)
        rc = write_compare(cs, err);
    if (!rc)
        rc = write_manifest(cs, wall, err);
    return rc;
}

int cp_compare_execute(const cp_par *par, const cp_model *const *models, size_t n,
                       const cp_compare_options *opt, cp_err *err)
{
    cmp_state cs = {.par = par, .models = models, .n = n, .opt = opt};
    cs.cells = cp_model_cells(models[0]);
    const double start = cp_par_time();
    int rc = n >= 2 ? check_compatible(&cs, err)
                    : cp_err_set(err, CP_EINVAL, "compare needs a base and at least one option");
    if (!rc)
        rc = alloc_state(&cs, err);
    rc = cp_par_agree(par, rc) ? cp_par_share_err(par, err) : CP_OK;
    if (rc) {
        free_state(&cs);
        return rc ? rc : CP_EINVAL;
    }
    const uint64_t P = (uint64_t)cp_par_size(par), me = (uint64_t)cp_par_rank(par);
    const uint64_t chunks = (opt->samples + CP_PAR_CHUNK - 1) / CP_PAR_CHUNK;
    int local = CP_OK;
    for (uint64_t c = me; !local && c < chunks; c += P)
        local = simulate_chunk(&cs, c, err);
    rc = cp_par_agree(par, local) ? cp_par_share_err(par, err) : CP_OK;
    /* Reductions in a fixed order: every scenario's own, then each option's
     * differences. */
    for (size_t k = 0; !rc && k < n; k++) {
        rc = cp_par_reduce_stats(par, cs.own[k], err);
        if (!rc && k)
            rc = cp_par_reduce_stats(par, cs.diff[k], err);
        rc = cp_par_agree(par, rc) ? cp_par_share_err(par, err) : CP_OK;
    }
    if (!rc && cp_par_rank(par) == 0)
        rc = write_all(&cs, cp_par_time() - start, err);
    rc = cp_par_agree(par, rc) ? cp_par_share_err(par, err) : CP_OK;
    free_state(&cs);
    return rc;
}
