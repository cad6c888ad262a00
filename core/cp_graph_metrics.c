/* cp_graph_metrics.c -- metrics.csv of the graph loader (see cp_graph.h):
 * what a run reports, each metric the sum of its terms (or that sum per
 * another metric, or its running sum over the quarters), grouped by
 * sorting so that large files load in O(n log n). */
#include "cp_graph.h"
#include "cp_graph_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_field(const char *s, cp_field *field)
{
    for (int f = 0; f < CP_FIELD_COUNT; f++)
        if (strcmp(cp_graph_field_name((cp_field)f), s) == 0) {
            *field = (cp_field)f;
            return 1;
        }
    return 0;
}

/* The field names, comma separated, for an error message: from the table
 * the names come from, so that the list cannot fall behind it. */
static void known_fields(char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int f = 0; f < CP_FIELD_COUNT && at < size; f++) {
        const int k =
            snprintf(buf + at, size - at, "%s%s", f ? ", " : "", cp_graph_field_name((cp_field)f));
        at += k > 0 ? (size_t)k : 0;
    }
}

static int read_metric_row(cp_graph *g, const cp_table *t, size_t r, const int *c, cp_err *err)
{
    const char *metric = cp_table_cell(t, r, c[0]);
    const char *region = cp_table_cell(t, r, c[1]);
    const char *unit = cp_table_cell(t, r, c[4]);
    if (!cp_name_valid(metric))
        return cp_table_error(t, r, c[0], err, CP_EINVAL, "'%s' is not a valid metric name",
                              metric);
    if (!cp_name_valid(region))
        return cp_table_error(t, r, c[1], err, CP_EINVAL, "'%s' is not a valid region name",
                              region);
    if (!*unit || strlen(unit) >= CP_UNIT_MAX)
        return cp_table_error(t, r, c[4], err, CP_EINVAL,
                              "a unit is required (at most %d characters)", CP_UNIT_MAX - 1);
    int node;
    int rc = cp_graph_find_cell(g, t, r, c[2], &node, err);
    if (rc)
        return rc;
    cp_field field;
    const char *fname = cp_table_cell(t, r, c[3]);
    if (!parse_field(fname, &field)) {
        char known[512];
        known_fields(known, sizeof known);
        return cp_table_error(t, r, c[3], err, CP_EINVAL, "unknown field '%s' (known: %s)", fname,
                              known);
    }
    if (!cp_graph_has_field(g->nodes[node].kind, field))
        return cp_table_error(t, r, c[3], err, CP_EINVAL, "%s node '%s' has no field '%s'",
                              cp_graph_kind_name(g->nodes[node].kind), g->nodes[node].name, fname);
    double scale = 1.0;
    if (c[5] >= 0 && *cp_table_cell(t, r, c[5])) {
        int rc2 = cp_table_double(t, r, c[5], &scale, err);
        if (rc2)
            return rc2;
        if (!(scale > 0))
            return cp_table_error(t, r, c[5], err, CP_EINVAL, "scale must be > 0 (got %g)", scale);
    }
    g->terms[r].node = node;
    g->terms[r].field = field;
    g->terms[r].scale = scale;
    return CP_OK;
}

/* Rows of metrics.csv sorted by (metric, region, row): each metric's
 * rows together, its first row first. */
typedef struct metric_ref {
    const char *metric, *region;
    size_t row;
} metric_ref;

/* Compares (metric, region) only: the key of a metric, whose row may then
 * hold its index (resolve_ratios). */
static int metric_name_cmp(const void *a, const void *b)
{
    const metric_ref *x = a, *y = b;
    const int c = strcmp(x->metric, y->metric);
    return c ? c : strcmp(x->region, y->region);
}

static int metric_ref_cmp(const void *a, const void *b)
{
    const metric_ref *x = a, *y = b;
    const int c = metric_name_cmp(a, b);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Groups the rows into metrics, numbered in order of first appearance,
 * each with one unit: O(rows log rows) (a search of the metrics so far
 * for every row was quadratic).  The unit mismatch reported is the one
 * met first going down the file. */
static int group_metrics(cp_graph *g, const cp_table *t, const int *c, int *metric_of_row,
                         cp_err *err)
{
    const size_t n = t->n_rows;
    metric_ref *refs = malloc(n * sizeof *refs);
    size_t *first = malloc(n * sizeof *first); /* per row: its metric's first row */
    if (!refs || !first) {
        free(refs);
        free(first);
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    }
    for (size_t r = 0; r < n; r++)
        refs[r] = (metric_ref){cp_table_cell(t, r, c[0]), cp_table_cell(t, r, c[1]), r};
    qsort(refs, n, sizeof *refs, metric_ref_cmp);
    size_t bad = n;
    for (size_t k = 0, head = 0; k < n; k++) {
        if (k && metric_name_cmp(&refs[k], &refs[head]) != 0)
            head = k;
        first[refs[k].row] = refs[head].row;
        if (strcmp(cp_table_cell(t, refs[k].row, c[4]), cp_table_cell(t, refs[head].row, c[4])) &&
            refs[k].row < bad)
            bad = refs[k].row;
    }
    free(refs);
    int rc = CP_OK;
    if (bad < n)
        rc = cp_table_error(t, bad, c[4], err, CP_EINVAL,
                            "unit '%s' differs from '%s' given earlier for metric '%s' in "
                            "region '%s'",
                            cp_table_cell(t, bad, c[4]), cp_table_cell(t, first[bad], c[4]),
                            cp_table_cell(t, bad, c[0]), cp_table_cell(t, bad, c[1]));
    for (size_t r = 0; !rc && r < n; r++) {
        if (first[r] != r) {
            metric_of_row[r] = metric_of_row[first[r]];
            continue;
        }
        const int m = (int)g->n_metrics++;
        cp_metric *mm = &g->metrics[m];
        snprintf(mm->metric, sizeof mm->metric, "%s", cp_table_cell(t, r, c[0]));
        snprintf(mm->region, sizeof mm->region, "%s", cp_table_cell(t, r, c[1]));
        snprintf(mm->unit, sizeof mm->unit, "%s", cp_table_cell(t, r, c[4]));
        mm->per = -1;
        mm->cumulative = -1;
        metric_of_row[r] = m;
    }
    free(first);
    return rc;
}

/* The `per` of row r ("" without the column). */
static const char *per_of(const cp_table *t, size_t r, const int *c)
{
    return c[6] >= 0 ? cp_table_cell(t, r, c[6]) : "";
}

/* The region of row r's divisor: its `per_region`, else its own region. */
static const char *per_region_of(const cp_table *t, size_t r, const int *c)
{
    const char *pr = c[7] >= 0 ? cp_table_cell(t, r, c[7]) : "";
    return *pr ? pr : cp_table_cell(t, r, c[1]);
}

/* The metric (name, region) among the sorted refs; -1 if there is none. */
static int find_metric(const metric_ref *sorted, size_t n, const char *name, const char *region)
{
    const metric_ref key = {name, region, 0};
    const metric_ref *hit = bsearch(&key, sorted, n, sizeof *sorted, metric_name_cmp);
    return hit ? (int)hit->row : -1;
}

/* Checks one ratio metric's divisor: it exists (in the same region unless
 * per_region names another), is not the metric itself and is not a ratio
 * (a sum, so that the model can form every divisor before any quotient).
 * Returns its index in *d. */
static int check_divisor(const cp_graph *g, const cp_table *t, size_t r, const int *c,
                         const metric_ref *sorted, const size_t *row_of, int m, int *d, cp_err *err)
{
    const char *per = per_of(t, r, c), *region = per_region_of(t, r, c);
    *d = find_metric(sorted, g->n_metrics, per, region);
    if (*d < 0)
        return cp_table_error(t, r, c[6], err, CP_EINVAL,
                              "no metric '%s' in region '%s' to divide by (a ratio's divisor "
                              "is a metric of its own region, or of per_region)",
                              per, region);
    if (*d == m)
        return cp_table_error(t, r, c[6], err, CP_EINVAL, "metric '%s' cannot be divided by itself",
                              per);
    if (*per_of(t, row_of[*d], c))
        return cp_table_error(t, r, c[6], err, CP_EINVAL,
                              "metric '%s' is itself a ratio (per '%s'): a divisor must be a sum",
                              per, per_of(t, row_of[*d], c));
    return CP_OK;
}

/* Whether rows r and q name the same divisor (per and its region). */
static int same_divisor(const cp_table *t, size_t r, size_t q, const int *c)
{
    return strcmp(per_of(t, r, c), per_of(t, q, c)) == 0 &&
           strcmp(per_region_of(t, r, c), per_region_of(t, q, c)) == 0;
}

/* Reads the optional `per` and `per_region` columns: every row of a metric
 * names the same divisor (or none), which must pass check_divisor. */
static int resolve_ratios(cp_graph *g, const cp_table *t, const int *c, const int *metric_of_row,
                          cp_err *err)
{
    for (size_t r = 0; c[7] >= 0 && r < t->n_rows; r++)
        if (*cp_table_cell(t, r, c[7]) && !*per_of(t, r, c))
            return cp_table_error(t, r, c[7], err, CP_EINVAL,
                                  "per_region '%s' without per: name the metric to divide by",
                                  cp_table_cell(t, r, c[7]));
    if (c[6] < 0)
        return CP_OK;
    const size_t M = g->n_metrics;
    size_t *row_of = malloc(M * sizeof *row_of);     /* each metric's first row */
    metric_ref *sorted = malloc(M * sizeof *sorted); /* row: the metric's index */
    int rc = CP_OK;
    if (!row_of || !sorted)
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t m = 0; !rc && m < M; m++) {
        row_of[m] = t->n_rows;
        sorted[m] = (metric_ref){g->metrics[m].metric, g->metrics[m].region, m};
    }
    for (size_t r = 0; !rc && r < t->n_rows; r++) {
        const int m = metric_of_row[r];
        if (row_of[m] == t->n_rows)
            row_of[m] = r;
        else if (!same_divisor(t, r, row_of[m], c))
            rc = cp_table_error(t, r, c[6], err, CP_EINVAL,
                                "per '%s' (region '%s') differs from '%s' (region '%s') given "
                                "earlier for metric '%s' in region '%s'",
                                per_of(t, r, c), per_region_of(t, r, c), per_of(t, row_of[m], c),
                                per_region_of(t, row_of[m], c), g->metrics[m].metric,
                                g->metrics[m].region);
    }
    if (!rc)
        qsort(sorted, M, sizeof *sorted, metric_name_cmp); /* (metric, region) are unique */
    for (size_t m = 0; !rc && m < M; m++) {
        if (!*per_of(t, row_of[m], c))
            continue;
        int d = -1;
        rc = check_divisor(g, t, row_of[m], c, sorted, row_of, (int)m, &d, err);
        if (!rc)
            g->metrics[m].per = d;
    }
    free(row_of);
    free(sorted);
    return rc;
}

/* Reads the optional `cumulative` column: empty or 0 (the quarter's value)
 * or 1 (the running sum over the quarters so far), the same in every row
 * of a metric, never with `per`; numbers the cumulative metrics in order. */
static int resolve_cumulative(cp_graph *g, const cp_table *t, const int *c,
                              const int *metric_of_row, cp_err *err)
{
    if (c[8] < 0)
        return CP_OK;
    int *flag = malloc((g->n_metrics + 1) * sizeof *flag);
    if (!flag)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (size_t m = 0; m < g->n_metrics; m++)
        flag[m] = -1;
    int rc = CP_OK;
    for (size_t r = 0; !rc && r < t->n_rows; r++) {
        const char *v = cp_table_cell(t, r, c[8]);
        const int on = strcmp(v, "1") == 0, m = metric_of_row[r];
        if (!on && *v && strcmp(v, "0") != 0)
            rc = cp_table_error(t, r, c[8], err, CP_EINVAL,
                                "cumulative must be 1 (a running sum over the quarters), 0 or "
                                "empty (got '%s')",
                                v);
        else if (flag[m] >= 0 && flag[m] != on)
            rc = cp_table_error(t, r, c[8], err, CP_EINVAL,
                                "cumulative %d differs from %d given earlier for metric '%s' in "
                                "region '%s'",
                                on, flag[m], g->metrics[m].metric, g->metrics[m].region);
        else if (on && *per_of(t, r, c))
            rc = cp_table_error(t, r, c[8], err, CP_EINVAL,
                                "metric '%s' is a ratio (per '%s') and cannot be cumulative: "
                                "divide cumulative metrics instead",
                                g->metrics[m].metric, per_of(t, r, c));
        flag[m] = on;
    }
    for (size_t m = 0; !rc && m < g->n_metrics; m++)
        if (flag[m] == 1)
            g->metrics[m].cumulative = (int)g->n_cumulative++;
    free(flag);
    return rc;
}

/* Terms are stored grouped by metric (in order of first appearance), so each
 * metric's terms are one contiguous run. */
int cp_graph_load_metrics(cp_graph *g, cp_err *err)
{
    cp_table t = {0};
    int rc = cp_graph_open_table(g->dir, "metrics.csv", &t, err);
    if (rc)
        return rc;
    static const char *const cols[] = {"metric", "region", "node", "field", "unit"};
    int c[9];
    int *metric_of_row = NULL;
    cp_metric_term *raw = NULL;
    size_t *at = NULL;
    if ((rc = cp_table_require(&t, cols, 5, c, err)) || (rc = cp_graph_warn_unsourced(g, &t, err)))
        goto out;
    c[5] = cp_table_column(&t, "scale");
    c[6] = cp_table_column(&t, "per");
    c[7] = cp_table_column(&t, "per_region");
    c[8] = cp_table_column(&t, "cumulative");
    if (t.n_rows == 0) {
        rc = cp_err_set(err, CP_EINVAL, "%s: no metrics: a run would have nothing to report",
                        t.path);
        goto out;
    }
    g->metrics = calloc(t.n_rows, sizeof *g->metrics);
    g->terms = calloc(t.n_rows, sizeof *g->terms);
    raw = calloc(t.n_rows, sizeof *raw);
    metric_of_row = calloc(t.n_rows, sizeof *metric_of_row);
    at = calloc(t.n_rows + 1, sizeof *at);
    if (!g->metrics || !g->terms || !raw || !metric_of_row || !at) {
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t r = 0; r < t.n_rows; r++)
        if ((rc = read_metric_row(g, &t, r, c, err)))
            goto out;
    if ((rc = group_metrics(g, &t, c, metric_of_row, err)) ||
        (rc = resolve_ratios(g, &t, c, metric_of_row, err)) ||
        (rc = resolve_cumulative(g, &t, c, metric_of_row, err)))
        goto out;
    memcpy(raw, g->terms, t.n_rows * sizeof *raw);
    /* A counting sort by metric, stable in row order. */
    for (size_t r = 0; r < t.n_rows; r++)
        at[metric_of_row[r] + 1]++;
    for (size_t m = 0; m < g->n_metrics; m++) {
        at[m + 1] += at[m];
        g->metrics[m].first_term = at[m];
        g->metrics[m].n_terms = at[m + 1] - at[m];
    }
    for (size_t r = 0; r < t.n_rows; r++)
        g->terms[at[metric_of_row[r]]++] = raw[r];
    g->n_terms = t.n_rows;
out:
    free(at);
    free(raw);
    free(metric_of_row);
    cp_table_free(&t);
    return rc;
}
