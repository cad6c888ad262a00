/* cp_tornado.c -- see cp_tornado.h. */
#include "cp_tornado.h"
#include "cp_graph.h"
#include "cp_output.h"
#include "cp_period.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cp_tornado {
    const cp_model *m;
    size_t n_rows, *rows;       /* the chosen (metric, region) rows of the graph's metrics */
    size_t n_periods, *periods; /* the chosen quarters (indices into the horizon) */
    int *slot;                  /* per quarter of the horizon: its place in periods, or -1 */
    size_t n_shocks, n_inputs;  /* the scenario's shocks, then its events */
    cp_stats **sets;            /* (period, input, class) at (p * n_inputs + i) * 2 + class */
    size_t n_sets;
    size_t *idx;    /* scratch: a class's lanes */
    double *gather; /* scratch: their values, row by row, CP_MODEL_LANES apart */
    char identity[1024];
};

/* Calls f(ctx, item, len) for each item of a comma-separated list, blanks
 * trimmed; stops at the first non-zero return. */
static int each_item(const char *list, int (*f)(void *, const char *, size_t, cp_err *), void *ctx,
                     cp_err *err)
{
    for (const char *p = list;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        int rc = len ? f(ctx, s, len, err)
                     : cp_err_set(err, CP_EINVAL, "--tornado: an empty name in '%s'", list);
        if (rc || !end)
            return rc;
        p = end + 1;
    }
}

typedef struct choosing {
    cp_tornado *tn;
    const cp_graph *g;
    const char *metrics, *regions; /* lists, or NULL for every region */
    int strict;                    /* quarters outside the horizon are errors (not defaults) */
} choosing;

static int name_is(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && strncmp(name, s, len) == 0;
}

/* Whether list holds name (item by item). */
static int listed(const char *list, const char *name)
{
    const size_t n = strlen(name);
    for (const char *p = list; p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static int check_metric(void *ctx, const char *s, size_t len, cp_err *err)
{
    const choosing *c = ctx;
    for (size_t i = 0; i < c->g->n_metrics; i++)
        if (name_is(c->g->metrics[i].metric, s, len))
            return CP_OK;
    return cp_err_set(err, CP_EINVAL,
                      "--tornado: no metric '%.*s' in %s/metrics.csv (choose with "
                      "--tornado-metrics)",
                      (int)len, s, c->g->dir);
}

static int check_region(void *ctx, const char *s, size_t len, cp_err *err)
{
    const choosing *c = ctx;
    for (size_t i = 0; i < c->g->n_metrics; i++)
        if (listed(c->metrics, c->g->metrics[i].metric) && name_is(c->g->metrics[i].region, s, len))
            return CP_OK;
    return cp_err_set(err, CP_EINVAL,
                      "--tornado: region '%.*s': none of the metrics %s has it in %s/metrics.csv",
                      (int)len, s, c->metrics, c->g->dir);
}

static int add_period(void *ctx, const char *s, size_t len, cp_err *err)
{
    choosing *c = ctx;
    cp_tornado *tn = c->tn;
    char text[32];
    int q;
    snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1), s);
    if (cp_period_parse(text, &q, err))
        return cp_err_set(err, CP_EINVAL, "--tornado-periods: '%s' is not a quarter such as 2030Q4",
                          text);
    const int T = c->g->n_periods;
    if (q < c->g->start || q >= c->g->start + T) {
        if (!c->strict)
            return CP_OK;
        char a[16], b[16];
        cp_period_format(c->g->start, a, sizeof a);
        cp_period_format(c->g->start + T - 1, b, sizeof b);
        return cp_err_set(err, CP_EINVAL,
                          "--tornado-periods: %s is outside the scenario's horizon, %s to %s", text,
                          a, b);
    }
    const size_t t = (size_t)(q - c->g->start);
    if (tn->slot[t] < 0) {
        tn->slot[t] = (int)tn->n_periods;
        tn->periods[tn->n_periods++] = t;
    }
    return CP_OK;
}

static int choose(cp_tornado *tn, const cp_graph *g, const char *metrics, const char *regions,
                  const char *periods, cp_err *err)
{
    choosing c = {.tn = tn,
                  .g = g,
                  .metrics = metrics && *metrics ? metrics : CP_TORNADO_METRICS_DEFAULT,
                  .regions = regions && *regions ? regions : NULL,
                  .strict = periods && *periods};
    int rc = each_item(c.metrics, check_metric, &c, err);
    if (!rc && c.regions)
        rc = each_item(c.regions, check_region, &c, err);
    if (!rc)
        rc = each_item(c.strict ? periods : CP_TORNADO_PERIODS_DEFAULT, add_period, &c, err);
    if (rc)
        return rc;
    if (tn->n_periods == 0) { /* no default quarter in the horizon: its last */
        tn->periods[tn->n_periods++] = (size_t)g->n_periods - 1;
        tn->slot[g->n_periods - 1] = 0;
    }
    for (size_t i = 0; i < g->n_metrics; i++)
        if (listed(c.metrics, g->metrics[i].metric) &&
            (!c.regions || listed(c.regions, g->metrics[i].region)))
            tn->rows[tn->n_rows++] = i;
    int n = snprintf(tn->identity, sizeof tn->identity, "tornado=%s|%s|", c.metrics,
                     c.regions ? c.regions : "*");
    for (size_t p = 0; p < tn->n_periods && n > 0 && (size_t)n < sizeof tn->identity; p++) {
        char text[16];
        cp_period_format(g->start + (int)tn->periods[p], text, sizeof text);
        n +=
            snprintf(tn->identity + n, sizeof tn->identity - (size_t)n, "%s%s", p ? "," : "", text);
    }
    return CP_OK;
}

int cp_tornado_build(const cp_model *m, const char *metrics, const char *regions,
                     const char *periods, cp_tornado **out, cp_err *err)
{
    *out = NULL;
    const cp_graph *g = cp_model_graph(m);
    const cp_scenario *sc = cp_model_scenario(m);
    cp_tornado *tn = calloc(1, sizeof *tn);
    if (!tn)
        return cp_err_set(err, CP_ENOMEM, "out of memory for the tornado");
    tn->m = m;
    tn->n_shocks = sc->n_shocks;
    tn->n_inputs = sc->n_shocks + sc->n_events;
    tn->rows = calloc(g->n_metrics + 1, sizeof *tn->rows);
    tn->periods = calloc((size_t)g->n_periods + 1, sizeof *tn->periods);
    tn->slot = malloc(((size_t)g->n_periods + 1) * sizeof *tn->slot);
    int rc =
        tn->rows && tn->periods && tn->slot ? CP_OK : cp_err_set(err, CP_ENOMEM, "out of memory");
    for (int t = 0; !rc && t < g->n_periods; t++)
        tn->slot[t] = -1;
    if (!rc)
        rc = choose(tn, g, metrics, regions, periods, err);
    if (!rc) {
        tn->n_sets = tn->n_periods * tn->n_inputs * 2;
        tn->sets = calloc(tn->n_sets + 1, sizeof *tn->sets);
        tn->idx = malloc(CP_MODEL_LANES * sizeof *tn->idx);
        tn->gather = malloc(CP_MODEL_LANES * tn->n_rows * sizeof *tn->gather + 1);
        rc =
            tn->sets && tn->idx && tn->gather ? CP_OK : cp_err_set(err, CP_ENOMEM, "out of memory");
        for (size_t k = 0; !rc && k < tn->n_sets; k++)
            if (!(tn->sets[k] = cp_stats_alloc(tn->n_rows)))
                rc = cp_err_set(err, CP_ENOMEM, "out of memory for the tornado");
    }
    if (rc) {
        cp_tornado_free(tn);
        return rc;
    }
    *out = tn;
    return CP_OK;
}

void cp_tornado_free(cp_tornado *tn)
{
    if (!tn)
        return;
    for (size_t k = 0; tn->sets && k < tn->n_sets; k++)
        cp_stats_free(tn->sets[k]);
    free(tn->sets);
    free(tn->rows);
    free(tn->periods);
    free(tn->slot);
    free(tn->idx);
    free(tn->gather);
    free(tn);
}

cp_stats **cp_tornado_sets(cp_tornado *tn, size_t *n)
{
    *n = tn->n_sets;
    return tn->sets;
}

void cp_tornado_identity(const cp_tornado *tn, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", tn->identity);
}

/* The lanes of class cls (0 low, 1 high) of input i in quarter t. */
static size_t members(const cp_tornado *tn, size_t i, int cls, size_t t, const double *latent,
                      const double *extras, size_t n)
{
    size_t k = 0;
    if (i < tn->n_shocks) {
        const double *z = latent + i * CP_MODEL_LANES;
        for (size_t s = 0; s < n; s++)
            if (cls ? z[s] > CP_TORNADO_Z10 : z[s] < -CP_TORNADO_Z10)
                tn->idx[k++] = s;
        return k;
    }
    const size_t width = cp_model_extras(tn->m), T = cp_model_periods(tn->m);
    const double *loss = extras + i * T + t;
    for (size_t s = 0; s < n; s++)
        if (cls ? loss[s * width] > 0 : !(loss[s * width] > 0))
            tn->idx[k++] = s;
    return k;
}

int cp_tornado_add(cp_tornado *tn, size_t t, const double *values, size_t row_stride,
                   const double *latent, const double *extras, size_t n, cp_err *err)
{
    if (t >= cp_model_periods(tn->m) || tn->slot[t] < 0 || n == 0)
        return CP_OK;
    const size_t p = (size_t)tn->slot[t];
    for (size_t i = 0; i < tn->n_inputs; i++)
        for (int cls = 0; cls < 2; cls++) {
            const size_t k = members(tn, i, cls, t, latent, extras, n);
            if (k == 0)
                continue;
            for (size_t r = 0; r < tn->n_rows; r++) {
                const double *v = values + tn->rows[r] * row_stride;
                double *dst = tn->gather + r * CP_MODEL_LANES;
                for (size_t q = 0; q < k; q++)
                    dst[q] = v[tn->idx[q]];
            }
            cp_stats *st = tn->sets[(p * tn->n_inputs + i) * 2 + (size_t)cls];
            const int rc =
                cp_stats_add_cells(st, tn->gather, k, CP_MODEL_LANES, 0, 1, tn->n_rows, err);
            if (rc)
                return cp_err_wrap(err, "tornado");
            cp_stats_count_samples(st, k);
        }
    return CP_OK;
}

/* ---- tornado.csv ------------------------------------------------------ */

typedef struct bar {
    size_t input;
    double p50[2], mean[2], swing;
    uint64_t n[2];
} bar;

/* |swing| descending, an undefined swing last, then the scenario's order. */
static int by_swing(const void *a, const void *b)
{
    const bar *x = a, *y = b;
    const int xn = isnan(x->swing), yn = isnan(y->swing);
    if (xn != yn)
        return xn - yn;
    if (!xn && fabs(x->swing) != fabs(y->swing))
        return fabs(x->swing) < fabs(y->swing) ? 1 : -1;
    return x->input < y->input ? -1 : x->input > y->input;
}

static void put_value(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, ",%.10g", v);
    else
        fputs(",", fp);
}

/* A text field, quoted if it needs to be. */
static void put_text(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static void input_name(const cp_scenario *sc, size_t i, char *buf, size_t cap)
{
    if (i < sc->n_shocks)
        snprintf(buf, cap, "shock_%s", sc->shocks[i].name);
    else
        snprintf(buf, cap, "event_%s", sc->events[i - sc->n_shocks].name);
}

int cp_tornado_write(const char *dir, const cp_tornado *tn, cp_err *err)
{
    const cp_graph *g = cp_model_graph(tn->m);
    const cp_scenario *sc = cp_model_scenario(tn->m);
    bar *bars = calloc(tn->n_inputs + 1, sizeof *bars);
    if (!bars)
        return cp_err_set(err, CP_ENOMEM, "out of memory writing tornado.csv");
    cp_outfile f;
    int rc = cp_outfile_open(&f, dir, "tornado.csv", err);
    if (rc) {
        free(bars);
        return rc;
    }
    fputs("scenario,metric,region,period,input,low_p50,high_p50,low_mean,high_mean,swing_p50,"
          "low_samples,high_samples,unit\n",
          f.fp);
    const double half = 0.5;
    for (size_t r = 0; r < tn->n_rows; r++) {
        const cp_metric *mt = &g->metrics[tn->rows[r]];
        for (size_t p = 0; p < tn->n_periods; p++) {
            char period[16];
            cp_period_format(g->start + (int)tn->periods[p], period, sizeof period);
            for (size_t i = 0; i < tn->n_inputs; i++) {
                bar *b = &bars[i];
                b->input = i;
                for (int cls = 0; cls < 2; cls++) {
                    const cp_stats *st = tn->sets[(p * tn->n_inputs + i) * 2 + (size_t)cls];
                    cp_cell_summary s;
                    cp_stats_summarize(st, r, &half, 1, &s, &b->p50[cls]);
                    b->mean[cls] = s.mean;
                    b->n[cls] = s.n;
                }
                b->swing = b->p50[1] - b->p50[0];
            }
            qsort(bars, tn->n_inputs, sizeof *bars, by_swing);
            for (size_t i = 0; i < tn->n_inputs; i++) {
                const bar *b = &bars[i];
                char name[96];
                input_name(sc, b->input, name, sizeof name);
                fprintf(f.fp, "%s,%s,%s,%s,%s", sc->name, mt->metric, mt->region, period, name);
                put_value(f.fp, b->p50[0]);
                put_value(f.fp, b->p50[1]);
                put_value(f.fp, b->mean[0]);
                put_value(f.fp, b->mean[1]);
                put_value(f.fp, b->swing);
                fprintf(f.fp, ",%llu,%llu,", (unsigned long long)b->n[0],
                        (unsigned long long)b->n[1]);
                put_text(f.fp, mt->unit);
                fputc('\n', f.fp);
            }
        }
    }
    free(bars);
    return cp_outfile_commit(&f, err);
}
