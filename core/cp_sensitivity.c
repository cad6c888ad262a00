/* cp_sensitivity.c -- the driver of `chokepoint sensitivity` (see
 * cp_sensitivity.h): the design (cells, inputs, groups and their key
 * offsets), a chunk of the pick-freeze design through cp_drive, the Sobol
 * sums (cp_sobol) merged to rank 0 and checkpointed, sensitivity.csv and
 * the manifest.
 *
 * The sums travel as doubles (cp_sobol_pack: exact integers): gathered to
 * rank 0 with cp_par_gather_rows, and kept in a checkpoint as its one
 * "kept row" beside an empty set of statistics, so merging and
 * checkpoints reuse cp_par and cp_checkpoint unchanged.
 */
#include "cp_sensitivity.h"
#include "cp_args.h"
#include "cp_checkpoint.h"
#include "cp_graph.h"
#include "cp_output.h"
#include "cp_period.h"
#include "cp_sobol.h"
#include "cp_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INPUT_NAME_MAX (CP_NAME_MAX + 8)

/* ---- the design ------------------------------------------------------- */

typedef struct design {
    size_t n_cells;
    size_t *cell;    /* the model's cell index (metric * T + quarter) */
    size_t n_base;   /* the model's inputs: shocks, then events */
    size_t n_inputs; /* n_base, then the groups */
    char (*name)[INPUT_NAME_MAX];
    uint64_t *offsets; /* per input, n_base key offsets: its matrix AB */
    char hash[65];     /* of the design's text */
} design;

static void design_free(design *d)
{
    free(d->cell);
    free(d->name);
    free(d->offsets);
    memset(d, 0, sizeof *d);
}

/* Appends to a growing text (the design's description, for its hash). */
typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void text_add(text *t, const char *a, const char *b)
{
    const size_t need = t->n + strlen(a) + strlen(b) + 2;
    if (need > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        while (cap < need)
            cap *= 2;
        char *grown = realloc(t->s, cap);
        if (!grown)
            return; /* the caller checks t->s */
        t->s = grown;
        t->cap = cap;
    }
    t->n += (size_t)snprintf(t->s + t->n, t->cap - t->n, "%s%s\n", a, b);
}

/* A list of what there is, for a message: "a, b, c". */
static void list_metrics(const cp_graph *g, const char *metric, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (size_t i = 0; i < g->n_metrics; i++) {
        const cp_metric *mt = &g->metrics[i];
        const char *item = metric ? mt->region : mt->metric;
        if (metric && strcmp(mt->metric, metric) != 0)
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = (metric ? strcmp(g->metrics[j].metric, metric) == 0 &&
                                 strcmp(g->metrics[j].region, item) == 0
                           : strcmp(g->metrics[j].metric, item) == 0);
        const size_t used = strlen(buf);
        if (!seen && used + strlen(item) + 3 < cap)
            snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", item);
    }
}

static int design_cells(const cp_model *m, const cp_sensitivity_options *opt, design *d, text *t,
                        cp_err *err)
{
    const cp_graph *g = cp_model_graph(m);
    const size_t T = cp_model_periods(m);
    const char *metric = opt->metric ? opt->metric : CP_SENSITIVITY_METRIC;
    const char *periods = opt->periods ? opt->periods : CP_SENSITIVITY_PERIODS;
    char have[4096];
    size_t n_metric = 0, n_region = 0;
    for (size_t i = 0; i < g->n_metrics; i++)
        if (strcmp(g->metrics[i].metric, metric) == 0) {
            n_metric++;
            n_region += !opt->region || strcmp(g->metrics[i].region, opt->region) == 0;
        }
    if (!n_metric) {
        list_metrics(g, NULL, have, sizeof have);
        return cp_err_set(err, CP_EINVAL, "--metric: '%s' is not a metric of %s (metrics: %s)",
                          metric, g->dir, have);
    }
    if (!n_region) {
        list_metrics(g, metric, have, sizeof have);
        return cp_err_set(err, CP_EINVAL, "--region: metric '%s' has no region '%s' (regions: %s)",
                          metric, opt->region, have);
    }
    /* The quarters, in the order given. */
    int q[256];
    size_t nq = 0;
    char buf[4096], first[16], last[16];
    snprintf(buf, sizeof buf, "%s", periods);
    cp_period_format(g->start, first, sizeof first);
    cp_period_format(g->start + g->n_periods - 1, last, sizeof last);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        int idx;
        cp_err perr;
        if (cp_period_parse(tok, &idx, &perr))
            return cp_err_set(err, CP_EINVAL, "--periods: %s", perr.msg);
        if (idx < g->start || idx >= g->start + g->n_periods)
            return cp_err_set(err, CP_EINVAL,
                              "--periods: %s is outside the scenario's horizon (%s to %s)", tok,
                              first, last);
        for (size_t k = 0; k < nq; k++)
            if (q[k] == idx)
                return cp_err_set(err, CP_EINVAL, "--periods: %s is listed twice", tok);
        if (nq == sizeof q / sizeof q[0])
            return cp_err_set(err, CP_EINVAL, "--periods: more than %zu quarters", nq);
        q[nq++] = idx;
    }
    if (!nq)
        return cp_err_set(err, CP_EINVAL, "--periods: no quarter given");
    d->cell = malloc(n_region * nq * sizeof *d->cell);
    if (!d->cell)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_metrics; i++) {
        const cp_metric *mt = &g->metrics[i];
        if (strcmp(mt->metric, metric) != 0 || (opt->region && strcmp(mt->region, opt->region)))
            continue;
        for (size_t k = 0; k < nq; k++) {
            d->cell[d->n_cells++] = i * T + (size_t)(q[k] - g->start);
            char p[16];
            cp_period_format(q[k], p, sizeof p);
            char line[3 * CP_NAME_MAX];
            snprintf(line, sizeof line, "%s,%s,%s", mt->metric, mt->region, p);
            text_add(t, "cell=", line);
        }
    }
    return CP_OK;
}

/* The input a --group member names: "shock_x", "event_x", or a bare shock
 * or event name that only one of them has. */
static long find_input(const design *d, const cp_model *m, const char *name)
{
    long found = -1;
    for (size_t k = 0; k < d->n_base; k++) {
        const char *full = d->name[k];
        const char *bare = strchr(full, '_') + 1;
        if (strcmp(full, name) == 0)
            return (long)k;
        if (strcmp(bare, name) == 0)
            found = found < 0 ? (long)k : -2; /* -2: a shock and an event share it */
    }
    (void)m;
    return found;
}

static int parse_group(const cp_model *m, design *d, size_t gi, const char *spec, text *t,
                       cp_err *err)
{
    const size_t nb = d->n_base;
    const char *eq = strchr(spec, '=');
    char name[INPUT_NAME_MAX];
    if (!eq || (size_t)(eq - spec) >= sizeof name)
        return cp_err_set(err, CP_EINVAL,
                          "--group '%s': expected NAME=input,input,... (e.g. "
                          "taiwan=event_taiwan_strait,shock_cowos_capacity)",
                          spec);
    snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
    if (!cp_name_valid(name))
        return cp_err_set(err, CP_EINVAL,
                          "--group '%s': '%s' is not a valid name (letters, digits, _ and -)", spec,
                          name);
    for (size_t k = 0; k < nb + gi; k++)
        if (strcmp(d->name[k], name) == 0)
            return cp_err_set(err, CP_EINVAL, "--group '%s': the name '%s' is taken by %s", spec,
                              name, k < nb ? "an input" : "another group");
    snprintf(d->name[nb + gi], INPUT_NAME_MAX, "%s", name);
    uint64_t *off = d->offsets + (nb + gi) * nb;
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", eq + 1);
    size_t members = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        for (size_t len = strlen(tok); len && tok[len - 1] == ' ';)
            tok[--len] = '\0';
        const long k = find_input(d, m, tok);
        if (k == -2)
            return cp_err_set(err, CP_EINVAL,
                              "--group %s: '%s' names both a shock and an event; write "
                              "shock_%s or event_%s",
                              name, tok, tok, tok);
        if (k < 0) {
            char have[4096] = "";
            for (size_t j = 0; j < nb; j++) {
                const size_t used = strlen(have);
                if (used + strlen(d->name[j]) + 3 < sizeof have)
                    snprintf(have + used, sizeof have - used, "%s%s", j ? ", " : "", d->name[j]);
            }
            return cp_err_set(err, CP_EINVAL,
                              "--group %s: '%s' is not an input of scenario %s (inputs: %s)", name,
                              tok, cp_model_scenario(m)->name, have);
        }
        if (off[k])
            return cp_err_set(err, CP_EINVAL, "--group %s: %s is listed twice", name, tok);
        off[k] = CP_SENSITIVITY_B_OFFSET;
        members++;
        text_add(t, "member=", d->name[k]);
    }
    if (!members)
        return cp_err_set(err, CP_EINVAL, "--group %s: no inputs listed", name);
    text_add(t, "group=", name);
    return CP_OK;
}

static int design_build(const cp_model *m, const cp_sensitivity_options *opt, design *d,
                        cp_err *err)
{
    memset(d, 0, sizeof *d);
    text t = {0};
    text_add(&t, "sobol-pick-freeze 1; B key offset 2^62; Saltelli 2010, Jansen 1999", "");
    int rc = design_cells(m, opt, d, &t, err);
    d->n_base = cp_model_inputs(m);
    d->n_inputs = d->n_base + opt->n_groups;
    if (!rc) {
        d->name = calloc(d->n_inputs + 1, sizeof *d->name);
        d->offsets = calloc(d->n_inputs * d->n_base + 1, sizeof *d->offsets);
        if (!d->name || !d->offsets)
            rc = cp_err_set(err, CP_ENOMEM, "out of memory");
    }
    for (size_t k = 0; !rc && k < d->n_base; k++) {
        if (cp_model_input_name(m, k, d->name[k], INPUT_NAME_MAX))
            rc = cp_err_set(err, CP_EINVAL, "input %zu: its name is too long", k);
        d->offsets[k * d->n_base + k] = CP_SENSITIVITY_B_OFFSET;
        text_add(&t, "input=", d->name[k]);
    }
    for (size_t gi = 0; !rc && gi < opt->n_groups; gi++)
        rc = parse_group(m, d, gi, opt->groups[gi], &t, err);
    if (!rc && d->n_inputs == 0)
        rc = cp_err_set(err, CP_EINVAL,
                        "scenario %s has no shocks or events: nothing to decompose the variance "
                        "into",
                        cp_model_scenario(m)->name);
    if (!rc && !t.s)
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
    if (!rc)
        cp_output_sha256_text(t.s, d->hash);
    free(t.s);
    if (rc)
        design_free(d);
    return rc;
}

int cp_sensitivity_check(const cp_model *m, const cp_sensitivity_options *opt, cp_err *err)
{
    design d;
    int rc = design_build(m, opt, &d, err);
    if (!rc)
        design_free(&d);
    return rc;
}

size_t cp_sensitivity_evaluations_per_sample(const cp_model *m, const cp_sensitivity_options *opt)
{
    return cp_model_inputs(m) + opt->n_groups + 2;
}

/* ---- the state of a run ----------------------------------------------- */

typedef struct sens_state {
    const cp_par *par;
    const cp_model *m;
    const cp_sensitivity_options *opt;
    design d;
    int root;
    cp_sobol *acc;   /* this rank's since the last merge; on rank 0, everything so far */
    cp_stats *empty; /* a checkpoint's statistics: none (the sums are its kept row) */
    cp_workspace *w;
    double *quarter;       /* a quarter's metrics of a block: n_metrics x CP_PAR_CHUNK */
    size_t last_quarter;   /* the latest quarter of a design cell: simulated up to it */
    double *fa, *fb, *fab; /* the design's cells: n_cells (x n_inputs) x CP_PAR_CHUNK */
    double *shift;         /* per design cell: f_A of sample 0 */
    uint64_t *b_keys;      /* every input from B */
    double *packed;        /* cp_sobol_packed_len */
    cp_run_identity id;
    char run_id[17];
    cp_drive_timing timing; /* rank 0's, from cp_drive */
    uint64_t first_sample;
    double wall_start;
    time_t started;
    uint64_t peak_rss_kib; /* the most of any rank, when the statistics are merged */
} sens_state;

static void free_state(sens_state *ss)
{
    design_free(&ss->d);
    cp_sobol_free(ss->acc);
    cp_stats_free(ss->empty);
    cp_workspace_free(ss->w);
    free(ss->quarter);
    free(ss->fa);
    free(ss->fb);
    free(ss->fab);
    free(ss->shift);
    free(ss->b_keys);
    free(ss->packed);
}

/* Simulates samples lo .. hi - 1 (one chunk, one block of lanes) with the
 * keys given (NULL: matrix A) and copies the design's cells to out
 * (n_cells x CP_PAR_CHUNK).  A quarter at a time, as run does, taking each
 * design cell as its quarter passes, and no further than the latest of
 * them: a quarter depends only on those before it, so the values are those
 * of the whole path (a design on 2030Q4 simulates 20 of 40 quarters). */
static void evaluate(sens_state *ss, const uint64_t *keys, uint64_t lo, uint64_t hi, double *out)
{
    const size_t T = cp_model_periods(ss->m), n = (size_t)(hi - lo);
    cp_model_set_keys(ss->m, ss->w, keys);
    cp_model_begin(ss->m, ss->w, lo, n);
    for (size_t t = 0; t <= ss->last_quarter; t++) {
        cp_model_step(ss->m, ss->w, ss->quarter, CP_PAR_CHUNK, NULL);
        for (size_t c = 0; c < ss->d.n_cells; c++)
            if (ss->d.cell[c] % T == t)
                memcpy(out + c * CP_PAR_CHUNK, ss->quarter + ss->d.cell[c] / T * CP_PAR_CHUNK,
                       n * sizeof *out);
    }
}

static int simulate_chunk(void *ctx, uint64_t chunk, cp_err *err)
{
    sens_state *ss = ctx;
    const design *d = &ss->d;
    const uint64_t lo = chunk * CP_PAR_CHUNK;
    const uint64_t hi = cp_drive_samples_before(ss->opt->samples, chunk + 1);
    evaluate(ss, NULL, lo, hi, ss->fa);
    evaluate(ss, ss->b_keys, lo, hi, ss->fb);
    for (size_t k = 0; k < d->n_inputs; k++)
        evaluate(ss, d->offsets + k * d->n_base, lo, hi, ss->fab + k * d->n_cells * CP_PAR_CHUNK);
    cp_model_set_keys(ss->m, ss->w, NULL);
    int rc = cp_sobol_add(ss->acc, ss->fa, ss->fb, ss->fab, (size_t)(hi - lo), CP_PAR_CHUNK,
                          ss->shift, err);
    if (rc)
        cp_err_wrap(err, "samples %llu to %llu", (unsigned long long)lo,
                    (unsigned long long)(hi - 1));
    return rc;
}

/* Collective: every rank's sums join rank 0's; the others start again. */
static int merge_to_root(void *ctx, cp_err *err)
{
    sens_state *ss = ctx;
    const size_t len = cp_sobol_packed_len(ss->acc);
    int rc = cp_sobol_pack(ss->acc, ss->packed, err);
    double *all = NULL;
    size_t n_all = 0;
    cp_err gerr;
    cp_err_clear(&gerr);
    const int grc = cp_par_gather_rows(ss->par, ss->packed, 1, len, &all, &n_all, &gerr);
    if (!rc && grc) {
        rc = grc;
        *err = gerr;
    }
    cp_sobol_reset(ss->acc);
    for (size_t r = 0; !rc && ss->root && r < n_all; r++)
        rc = cp_sobol_unpack_merge(ss->acc, all + r * len, len, err);
    free(all);
    (void)rc;
    return cp_par_share_err(ss->par, err);
}

static int save_checkpoint(void *ctx, uint64_t next_chunk, cp_err *err)
{
    sens_state *ss = ctx;
    int rc = cp_sobol_pack(ss->acc, ss->packed, err);
    if (rc)
        return rc;
    const cp_checkpoint ck = {.next_chunk = next_chunk,
                              .stats = ss->empty,
                              .kept = ss->packed,
                              .n_kept = 1,
                              .kept_width = cp_sobol_packed_len(ss->acc)};
    return cp_checkpoint_write(ss->opt->out_dir, &ss->id, &ck, err);
}

static int load_checkpoint(void *ctx, uint64_t *next_chunk, cp_err *err)
{
    sens_state *ss = ctx;
    const size_t len = cp_sobol_packed_len(ss->acc);
    cp_checkpoint ck = {.stats = ss->empty, .kept_width = len};
    int rc = cp_checkpoint_read(ss->opt->out_dir, &ss->id, &ck, err);
    if (!rc && ck.n_kept != 1)
        rc = cp_err_set(err, CP_EINVAL, "%s/%s: not a sensitivity analysis's checkpoint",
                        ss->opt->out_dir, CP_CHECKPOINT_FILE);
    if (!rc)
        rc = cp_sobol_unpack_merge(ss->acc, ck.kept, len, err);
    if (rc)
        cp_err_wrap(err, "%s/%s", ss->opt->out_dir, CP_CHECKPOINT_FILE);
    free(ck.kept);
    *next_chunk = ck.next_chunk;
    return rc;
}

static int make_identity(sens_state *ss, cp_err *err)
{
    int rc = cp_drive_identify(&ss->m, 1, ss->opt->seed, ss->opt->samples, 0, &ss->id, err);
    if (rc)
        return rc;
    snprintf(ss->id.kind, sizeof ss->id.kind, "sensitivity");
    snprintf(ss->id.design, sizeof ss->id.design, "%s", ss->d.hash);
    cp_checkpoint_run_id(&ss->id, ss->run_id);
    return CP_OK;
}

/* ---- writing ---------------------------------------------------------- */

static void put_number(FILE *fp, double v)
{
    fprintf(fp, ",%.10g", v);
}

static int write_csv(const sens_state *ss, cp_err *err)
{
    cp_outfile f;
    int rc = cp_outfile_open(&f, ss->opt->out_dir, "sensitivity.csv", err);
    if (rc)
        return rc;
    const cp_graph *g = cp_model_graph(ss->m);
    const size_t T = cp_model_periods(ss->m);
    const cp_scenario *sc = cp_model_scenario(ss->m);
    fputs("scenario,metric,region,period,input,first_order,first_order_lo,first_order_hi,total,"
          "total_lo,total_hi\n",
          f.fp);
    for (size_t c = 0; c < ss->d.n_cells; c++) {
        const cp_metric *mt = &g->metrics[ss->d.cell[c] / T];
        char period[16];
        cp_period_format(g->start + (int)(ss->d.cell[c] % T), period, sizeof period);
        for (size_t k = 0; k < ss->d.n_inputs; k++) {
            cp_sobol_index ix;
            cp_sobol_estimate(ss->acc, c, k, CP_SOBOL_Z95, &ix);
            fprintf(f.fp, "%s,%s,%s,%s,%s", sc->name, mt->metric, mt->region, period,
                    ss->d.name[k]);
            put_number(f.fp, ix.first);
            put_number(f.fp, ix.first_lo);
            put_number(f.fp, ix.first_hi);
            put_number(f.fp, ix.total);
            put_number(f.fp, ix.total_lo);
            put_number(f.fp, ix.total_hi);
            fputc('\n', f.fp);
        }
    }
    return cp_outfile_commit(&f, err);
}

static void json_list(FILE *fp, const char *key, const design *d, size_t from, size_t to)
{
    fprintf(fp, "  \"%s\": [", key);
    for (size_t k = from; k < to; k++) {
        fputs(k > from ? ", " : "", fp);
        cp_output_json_string(fp, d->name[k]);
    }
    fputs("],\n", fp);
}

static int write_manifest(const sens_state *ss, cp_err *err)
{
    const cp_sensitivity_options *opt = ss->opt;
    cp_outfile f;
    int rc = cp_outfile_open(&f, opt->out_dir, "manifest.json", err);
    if (rc)
        return rc;
    const cp_scenario *sc = cp_model_scenario(ss->m);
    const cp_graph *g = cp_model_graph(ss->m);
    const double wall = cp_par_time() - ss->wall_start;
    const uint64_t per = ss->d.n_inputs + 2;
    const uint64_t here = (opt->samples - ss->first_sample) * per;
    FILE *fp = f.fp;
    fputs("{\n  \"program\": \"chokepoint\",\n  \"command_kind\": \"sensitivity\",\n", fp);
    cp_output_manifest_provenance(fp, ss->run_id, opt->command_line, sc, g, ss->id.files);
    fputs("  \"method\": \"Sobol indices by pick-freeze (Saltelli 2010 design and first-order "
          "estimator, Jansen 1999 total-effect estimator), 95% intervals by the delta method\",\n",
          fp);
    fputs("  \"metric\": ", fp);
    cp_output_json_string(fp, opt->metric ? opt->metric : CP_SENSITIVITY_METRIC);
    fputs(",\n  \"region\": ", fp);
    cp_output_json_string(fp, opt->region ? opt->region : "all");
    fputs(",\n  \"periods\": ", fp);
    cp_output_json_string(fp, opt->periods ? opt->periods : CP_SENSITIVITY_PERIODS);
    fputs(",\n", fp);
    json_list(fp, "sampled_inputs", &ss->d, 0, ss->d.n_base);
    fputs("  \"groups\": [", fp);
    for (size_t k = 0; k < opt->n_groups; k++) {
        fputs(k ? ", " : "", fp);
        cp_output_json_string(fp, opt->groups[k]);
    }
    fprintf(fp,
            "],\n  \"design_sha256\": \"%s\",\n  \"seed\": %llu,\n  \"samples\": %llu,\n"
            "  \"evaluations_per_sample\": %llu,\n  \"model_evaluations\": %llu,\n"
            "  \"ranks\": %d,\n  \"chunk_samples\": %d,\n  \"resumed_at_sample\": %llu,\n",
            ss->d.hash, (unsigned long long)opt->seed, (unsigned long long)opt->samples,
            (unsigned long long)per, (unsigned long long)(opt->samples * per), cp_par_size(ss->par),
            CP_PAR_CHUNK, (unsigned long long)ss->first_sample);
    cp_output_manifest_cost(fp, ss->started, wall, "evaluations_per_second", here,
                            ss->peak_rss_kib);
    cp_drive_manifest_timing(fp, &ss->timing);
    fputs("  \"files\": [\"sensitivity.csv\"]\n}\n", fp);
    return cp_outfile_commit(&f, err);
}

/* ---- the command ------------------------------------------------------ */

static const cp_drive_ops sensitivity_ops = {.simulate = simulate_chunk,
                                             .merge = merge_to_root,
                                             .save = save_checkpoint,
                                             .load = load_checkpoint};

static int alloc_state(sens_state *ss, cp_err *err)
{
    const design *d = &ss->d;
    const size_t C = d->n_cells, T = cp_model_periods(ss->m);
    ss->acc = cp_sobol_alloc(C, d->n_inputs);
    ss->empty = cp_stats_alloc(0);
    ss->w = cp_workspace_alloc(ss->m, ss->opt->seed);
    ss->quarter = calloc(cp_model_graph(ss->m)->n_metrics * CP_PAR_CHUNK, sizeof *ss->quarter);
    for (size_t c = 0; c < C; c++)
        ss->last_quarter = d->cell[c] % T > ss->last_quarter ? d->cell[c] % T : ss->last_quarter;
    ss->fa = calloc(C * CP_PAR_CHUNK, sizeof *ss->fa);
    ss->fb = calloc(C * CP_PAR_CHUNK, sizeof *ss->fb);
    ss->fab = calloc(d->n_inputs * C * CP_PAR_CHUNK, sizeof *ss->fab);
    ss->shift = calloc(C + 1, sizeof *ss->shift);
    ss->b_keys = calloc(d->n_base + 1, sizeof *ss->b_keys);
    ss->packed = ss->acc ? malloc(cp_sobol_packed_len(ss->acc) * sizeof *ss->packed) : NULL;
    if (!ss->acc || !ss->empty || !ss->w || !ss->quarter || !ss->fa || !ss->fb || !ss->fab ||
        !ss->shift || !ss->b_keys || !ss->packed)
        return cp_err_set(err, CP_ENOMEM, "out of memory for the sensitivity analysis");
    for (size_t k = 0; k < d->n_base; k++)
        ss->b_keys[k] = CP_SENSITIVITY_B_OFFSET;
    /* The shift of every cell: its value in sample 0 of matrix A, the same
     * on every rank and in every invocation. */
    evaluate(ss, NULL, 0, 1, ss->fa);
    for (size_t c = 0; c < C; c++)
        ss->shift[c] = ss->fa[c * CP_PAR_CHUNK];
    return CP_OK;
}

static int start(sens_state *ss, cp_err *err)
{
    if (ss->opt->samples < 2 || ss->opt->samples > CP_SAMPLES_MAX)
        cp_err_set(err, CP_EINVAL, "--samples must be from 2 to %s", CP_SAMPLES_MAX_TEXT);
    else if (!design_build(ss->m, ss->opt, &ss->d, err) && !alloc_state(ss, err) && ss->root)
        make_identity(ss, err);
    return cp_par_share_err(ss->par, err);
}

/* Rank 0: the files, manifest last; then the checkpoint is spent. */
static int write_all(const sens_state *ss, cp_err *err)
{
    int rc = write_csv(ss, err);
    if (!rc)
        rc = write_manifest(ss, err);
    if (!rc) {
        cp_checkpoint_remove(ss->opt->out_dir);
        cp_output_clear_leftovers(ss->opt->out_dir);
    }
    return rc;
}

int cp_sensitivity_execute(const cp_par *par, const cp_model *m, const cp_sensitivity_options *opt,
                           cp_drive_result *res, cp_err *err)
{
    cp_err_clear(err);
    memset(res, 0, sizeof *res);
    sens_state ss = {.par = par,
                     .m = m,
                     .opt = opt,
                     .root = cp_par_rank(par) == 0,
                     .wall_start = cp_par_time(),
                     .started = time(NULL)};
    const cp_drive_options dopt = {.out_dir = opt->out_dir,
                                   .run_id = ss.run_id,
                                   .what = "sensitivity analysis",
                                   .samples = opt->samples,
                                   .set = opt->drive};
    int rc = start(&ss, err);
    if (!rc)
        rc = cp_drive_execute(par, &sensitivity_ops, &ss, &dopt, res, err);
    ss.first_sample = res->first_sample;
    ss.timing = res->timing;
    if (!rc && !res->already_complete) {
        ss.peak_rss_kib = res->peak_rss_kib;
        if (ss.root)
            write_all(&ss, err);
        rc = cp_par_share_err(par, err);
    }
    res->done = rc == CP_OK ? opt->samples : res->done;
    res->wall_seconds = cp_par_time() - ss.wall_start;
    free_state(&ss);
    return rc;
}

int cp_sensitivity_status(const cp_model *m, const cp_sensitivity_options *opt, const char **status,
                          uint64_t *done, cp_err *err)
{
    sens_state ss = {.m = m, .opt = opt};
    *done = 0;
    *status = "not started";
    int rc = design_build(m, opt, &ss.d, err);
    if (!rc)
        rc = make_identity(&ss, err);
    if (!rc)
        rc = cp_drive_status(opt->out_dir, &ss.id, status, done, err);
    design_free(&ss.d);
    return rc;
}
