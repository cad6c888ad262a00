/* cp_precision.c -- see cp_precision.h. */
#include "cp_precision.h"
#include "cp_graph.h"
#include "cp_output.h" /* cp_output_json_string */
#include "cp_par.h"    /* CP_PAR_CHUNK: a header of constants and prototypes only */
#include "cp_period.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A number that is the whole of text, or 0. */
static int a_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    return end != text && !*end && !errno && isfinite(*out);
}

/* "pXX" or "mean". */
static int parse_stat(cp_precision_target *t, const char *s, size_t len, cp_err *err)
{
    snprintf(t->stat, sizeof t->stat, "%.*s", (int)(len < sizeof t->stat ? len : 0), s);
    if (len == 4 && strncmp(s, "mean", 4) == 0) {
        t->is_mean = 1;
        return CP_OK;
    }
    char num[32];
    double pct;
    if (len < 2 || len > sizeof num || s[0] != 'p' || !isdigit((unsigned char)s[1]))
        return cp_err_set(err, CP_EINVAL,
                          "--precision: target '%s': statistic '%.*s' is neither 'mean' nor a "
                          "quantile such as p05 or p50",
                          t->text, (int)len, s);
    snprintf(num, sizeof num, "%.*s", (int)len - 1, s + 1);
    if (!a_number(num, &pct) || !(pct > 0 && pct < 100))
        return cp_err_set(err, CP_EINVAL,
                          "--precision: target '%s': quantile '%.*s' must be p followed by a "
                          "percentage strictly between 0 and 100",
                          t->text, (int)len, s);
    t->prob = pct / 100.0;
    return CP_OK;
}

static int parse_tolerance(cp_precision_target *t, const char *s, cp_err *err)
{
    char num[64];
    const size_t len = strlen(s);
    t->relative = len > 0 && s[len - 1] == '%';
    snprintf(num, sizeof num, "%.*s", (int)(len - (size_t)t->relative), s);
    double v;
    if (len >= sizeof num || !a_number(num, &v) || !(v > 0))
        return cp_err_set(err, CP_EINVAL,
                          "--precision: target '%s': tolerance '%s' is not a positive number "
                          "(relative to the statistic with a trailing %%, e.g. 0.5%%, or "
                          "absolute in the metric's unit, e.g. 2e6)",
                          t->text, s);
    t->tolerance = t->relative ? v / 100.0 : v;
    return CP_OK;
}

/* One target, text[0..len). */
static int parse_target(cp_precision_target *t, const char *text, size_t len, cp_err *err)
{
    memset(t, 0, sizeof *t);
    if (len == 0)
        return cp_err_set(err, CP_EINVAL,
                          "--precision: an empty target (targets are separated by ';')");
    if (len >= sizeof t->text)
        return cp_err_set(err, CP_EINVAL, "--precision: target '%.40s...' is too long", text);
    memcpy(t->text, text, len);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", t->text);
    char *eq = strchr(buf, '=');
    if (!eq)
        return cp_err_set(err, CP_EINVAL,
                          "--precision: target '%s' has no '=TOLERANCE' (expected "
                          "STAT:METRIC:REGION:PERIOD=TOLERANCE, e.g. "
                          "p05:frontier_compute_h100e:World:2030Q4=0.5%%)",
                          t->text);
    *eq = '\0';
    char *field[4];
    size_t n = 0, colons = 0;
    for (const char *c = buf; *c; c++)
        colons += *c == ':';
    for (char *p = buf; n < 4;) {
        field[n++] = p;
        char *colon = strchr(p, ':');
        if (!colon)
            break;
        *colon = '\0';
        p = colon + 1;
    }
    if (n != 4 || colons != 3)
        return cp_err_set(err, CP_EINVAL,
                          "--precision: target '%s' is not STAT:METRIC:REGION:PERIOD=TOLERANCE "
                          "(four fields separated by ':', e.g. "
                          "p05:frontier_compute_h100e:World:2030Q4=0.5%%)",
                          t->text);
    int rc = parse_stat(t, field[0], strlen(field[0]), err);
    if (rc)
        return rc;
    for (int k = 1; k < 4; k++)
        if (!*field[k])
            return cp_err_set(err, CP_EINVAL, "--precision: target '%s': the %s is empty", t->text,
                              k == 1   ? "metric"
                              : k == 2 ? "region"
                                       : "period");
    if (strlen(field[1]) >= sizeof t->metric || strlen(field[2]) >= sizeof t->region ||
        strlen(field[3]) >= sizeof t->period)
        return cp_err_set(err, CP_EINVAL, "--precision: target '%s': a name is too long", t->text);
    snprintf(t->metric, sizeof t->metric, "%s", field[1]);
    snprintf(t->region, sizeof t->region, "%s", field[2]);
    snprintf(t->period, sizeof t->period, "%s", field[3]);
    int q;
    cp_err perr;
    if (cp_period_parse(t->period, &q, &perr))
        return cp_err_set(err, CP_EINVAL,
                          "--precision: target '%s': period '%s' is not a "
                          "quarter such as 2030Q4",
                          t->text, t->period);
    return parse_tolerance(t, eq + 1, err);
}

int cp_precision_parse(const char *spec, cp_precision *out, cp_err *err)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        return cp_err_set(err, CP_EINVAL, "--precision: the specification is empty");
    for (const char *p = spec;;) {
        const char *end = strchr(p, ';');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        if (out->n == CP_PRECISION_TARGETS_MAX)
            return cp_err_set(err, CP_EINVAL, "--precision: more than %d targets",
                              CP_PRECISION_TARGETS_MAX);
        int rc = parse_target(&out->t[out->n], p, len, err);
        if (rc)
            return rc;
        out->n++;
        if (!end)
            return CP_OK;
        p = end + 1;
    }
}

int cp_precision_resolve(cp_precision *p, const cp_model *m, cp_err *err)
{
    const cp_graph *g = cp_model_graph(m);
    const size_t T = cp_model_periods(m);
    for (size_t k = 0; k < p->n; k++) {
        cp_precision_target *t = &p->t[k];
        size_t i = 0;
        int metric_seen = 0;
        for (; i < g->n_metrics; i++) {
            metric_seen |= strcmp(g->metrics[i].metric, t->metric) == 0;
            if (strcmp(g->metrics[i].metric, t->metric) == 0 &&
                strcmp(g->metrics[i].region, t->region) == 0)
                break;
        }
        if (i == g->n_metrics)
            return cp_err_set(err, CP_EINVAL,
                              metric_seen ? "--precision: target '%s': metric '%s' has no region "
                                            "'%s' in %s/metrics.csv"
                                          : "--precision: target '%s': no metric '%s' (region "
                                            "'%s') in %s/metrics.csv",
                              t->text, t->metric, t->region, g->dir);
        int q;
        cp_err perr;
        cp_period_parse(t->period, &q, &perr);
        if (q < g->start || q >= g->start + (int)T) {
            char a[16], b[16];
            cp_period_format(g->start, a, sizeof a);
            cp_period_format(g->start + (int)T - 1, b, sizeof b);
            return cp_err_set(err, CP_EINVAL,
                              "--precision: target '%s': %s is outside the scenario's horizon, "
                              "%s to %s",
                              t->text, t->period, a, b);
        }
        t->cell = i * T + (size_t)(q - g->start);
    }
    return CP_OK;
}

/* x_(k), the k-th smallest of the cell's n values (1 <= k <= n), from the
 * sketch: Q(p) is x_(ceil(p n)), and (k - 1/2) / n lands safely inside. */
static double order_stat(const cp_stats *st, size_t cell, uint64_t n, uint64_t k)
{
    const double p = ((double)k - 0.5) / (double)n;
    cp_cell_summary s;
    double q;
    cp_stats_summarize(st, cell, &p, 1, &s, &q);
    return q;
}

static void check_one(const cp_precision_target *t, const cp_stats *st, cp_precision_status *s)
{
    cp_cell_summary cs;
    const uint64_t n = cp_stats_samples(st);
    const double dn = (double)n;
    s->lo = -INFINITY;
    s->hi = INFINITY;
    if (t->is_mean) {
        cp_stats_summarize(st, t->cell, NULL, 0, &cs, NULL);
        s->value = cs.mean;
        if (n >= 2) {
            const double h = CP_PRECISION_Z * cs.sd / sqrt(dn);
            s->lo = cs.mean - h;
            s->hi = cs.mean + h;
        }
    } else {
        double q;
        cp_stats_summarize(st, t->cell, &t->prob, 1, &cs, &q);
        s->value = q;
        const double h = CP_PRECISION_Z * sqrt(dn * t->prob * (1 - t->prob));
        const double l = floor(dn * t->prob - h), u = ceil(dn * t->prob + h);
        if (n > 0 && l >= 1 && u <= dn) {
            s->lo = order_stat(st, t->cell, n, (uint64_t)l);
            s->hi = order_stat(st, t->cell, n, (uint64_t)u);
        }
    }
    s->half_width = isfinite(s->lo) && isfinite(s->hi) ? (s->hi - s->lo) / 2 : INFINITY;
    s->relative_half =
        fabs(s->value) > 0 ? s->half_width / fabs(s->value) : (s->half_width == 0 ? 0 : INFINITY);
    s->met = (t->relative ? s->relative_half : s->half_width) <= t->tolerance;
}

int cp_precision_check(const cp_precision *p, const cp_stats *st, cp_precision_status *st_out)
{
    int all = 1;
    for (size_t k = 0; k < p->n; k++) {
        cp_precision_status s;
        check_one(&p->t[k], st, &s);
        all &= s.met;
        if (st_out)
            st_out[k] = s;
    }
    return all;
}

size_t cp_precision_looks(uint64_t first, uint64_t max, uint64_t *looks, size_t cap)
{
    if (first < CP_PAR_CHUNK || first % CP_PAR_CHUNK || max < first)
        return 0;
    size_t n = 0;
    for (uint64_t at = first; at < max && n + 1 < cap; at *= 2) {
        looks[n++] = at;
        if (at > max / 2)
            break;
    }
    if (n < cap)
        looks[n++] = max;
    return n;
}

void cp_precision_describe(const cp_precision_target *t, const cp_precision_status *s, char *buf,
                           size_t cap)
{
    char tol[32], half[48];
    if (t->relative)
        snprintf(tol, sizeof tol, "%g%%", t->tolerance * 100);
    else
        snprintf(tol, sizeof tol, "%g", t->tolerance);
    if (!isfinite(s->half_width))
        snprintf(half, sizeof half, "(too few samples for an interval)");
    else if (t->relative)
        snprintf(half, sizeof half, "+- %.3g%%", s->relative_half * 100);
    else
        snprintf(half, sizeof half, "+- %.4g", s->half_width);
    snprintf(buf, cap, "%s %s %s %s = %.6g %s (target %s)%s", t->stat, t->metric, t->region,
             t->period, s->value, half, tol, s->met ? ", met" : "");
}

void cp_precision_identity(const char *spec, uint64_t first, char *buf, size_t cap)
{
    snprintf(buf, cap, "precision=%s;first=%llu", spec, (unsigned long long)first);
}

void cp_precision_report(FILE *fp, const cp_precision *p, const cp_precision_status *status,
                         uint64_t n, uint64_t next)
{
    char line[512];
    for (size_t k = 0; k < p->n; k++) {
        cp_precision_describe(&p->t[k], &status[k], line, sizeof line);
        fprintf(fp, "precision at %llu samples: %s\n", (unsigned long long)n, line);
    }
    if (next)
        fprintf(fp, "precision at %llu samples: not met; continuing to %llu samples\n",
                (unsigned long long)n, (unsigned long long)next);
    else
        fprintf(fp, "precision at %llu samples: met; stopping\n", (unsigned long long)n);
    fflush(fp);
}

/* A number for JSON: finite, or null. */
static void json_number(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, "%.10g", v);
    else
        fputs("null", fp);
}

void cp_precision_manifest(FILE *fp, const cp_precision *p, const char *spec, uint64_t first,
                           uint64_t max, const cp_stats *st, uint64_t stopped_at)
{
    const uint64_t n = cp_stats_samples(st);
    cp_precision_status status[CP_PRECISION_TARGETS_MAX];
    const int met = cp_precision_check(p, st, status);
    uint64_t looks[CP_PRECISION_LOOKS_MAX];
    const size_t n_looks = cp_precision_looks(first, max, looks, CP_PRECISION_LOOKS_MAX);
    fputs("  \"stopping_rule\": {\"precision\": ", fp);
    cp_output_json_string(fp, spec);
    fprintf(fp, ", \"first_look\": %llu, \"samples_max\": %llu, \"looks\": [",
            (unsigned long long)first, (unsigned long long)max);
    for (size_t i = 0, said = 0; i < n_looks && looks[i] <= n; i++)
        fprintf(fp, "%s%llu", said++ ? ", " : "", (unsigned long long)looks[i]);
    fprintf(fp, "],\n    \"stopped_at\": %llu, \"stopped_because\": \"%s\", \"met\": %s,\n",
            (unsigned long long)n,
            stopped_at ? "precision met"
            : met      ? "reached samples_max (where the precision is met)"
                       : "reached samples_max; precision not met",
            met ? "true" : "false");
    fputs("    \"targets\": [\n", fp);
    for (size_t k = 0; k < p->n; k++) {
        const cp_precision_target *t = &p->t[k];
        const cp_precision_status *s = &status[k];
        fputs("      {\"target\": ", fp);
        cp_output_json_string(fp, t->text);
        fputs(", \"value\": ", fp);
        json_number(fp, s->value);
        fputs(", \"ci95_low\": ", fp);
        json_number(fp, s->lo);
        fputs(", \"ci95_high\": ", fp);
        json_number(fp, s->hi);
        fputs(", \"half_width\": ", fp);
        json_number(fp, s->half_width);
        fputs(", \"relative_half_width\": ", fp);
        json_number(fp, s->relative_half);
        fprintf(fp, ", \"tolerance\": %.10g, \"tolerance_is_relative\": %s, \"met\": %s}%s\n",
                t->tolerance, t->relative ? "true" : "false", s->met ? "true" : "false",
                k + 1 < p->n ? "," : "");
    }
    fputs("    ]},\n", fp);
}
