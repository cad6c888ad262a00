/* cp_batch.c -- see cp_batch.h. */
#include "cp_batch.h"
#include "cp_args.h"
#include "cp_csv.h"
#include "cp_graph.h"
#include "cp_par.h" /* CP_PAR_CHUNK */
#include "cp_precision.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A whole number >= 0 written in digits (no signs, no exponents: a batch
 * file is typed by hand, and 1e6 vs 1000000 is a needless ambiguity). */
static int cell_count(const cp_table *t, size_t r, int col, uint64_t max, uint64_t *out,
                      cp_err *err)
{
    const char *s = cp_table_cell(t, r, col);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || (errno && errno != ERANGE) || s[0] == '-' || s[0] == '+')
        return cp_table_error(t, r, col, err, CP_EINVAL, "'%s' is not a whole number", s);
    if (errno == ERANGE || v > max)
        return cp_table_error(t, r, col, err, CP_EINVAL, "'%s' is too large (at most %s)", s,
                              max == CP_SAMPLES_MAX ? CP_SAMPLES_MAX_TEXT
                                                    : "18446744073709551615 (2^64-1)");
    *out = v;
    return CP_OK;
}

/* A path as written in the batch file (s, len bytes), made relative to
 * the batch file's directory.  0 if it does not fit. */
static int resolve_path(const cp_batch *b, const char *s, size_t len, char *out, size_t cap)
{
    const char *slash = strrchr(b->path, '/');
    int n = s[0] == '/' || !slash
                ? snprintf(out, cap, "%.*s", (int)len, s)
                : snprintf(out, cap, "%.*s/%.*s", (int)(slash - b->path), b->path, (int)len, s);
    return n >= 0 && (size_t)n < cap;
}

static int cell_path(const cp_batch *b, const cp_table *t, size_t r, int col, char *out, size_t cap,
                     cp_err *err)
{
    const char *s = cp_table_cell(t, r, col);
    if (!*s)
        return cp_table_error(t, r, col, err, CP_EINVAL, "a path is required");
    if (!resolve_path(b, s, strlen(s), out, cap))
        return cp_table_error(t, r, col, err, CP_EINVAL, "path too long");
    return CP_OK;
}

/* One option of a compare cell: s[0..len) with surrounding blanks, which
 * must name a readable file (a typo found at 3 a.m. wastes a night). */
static int add_option(const cp_batch *b, const cp_table *t, size_t r, int col, const char *s,
                      size_t len, cp_batch_entry *e, cp_err *err)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (!len)
        return cp_table_error(t, r, col, err, CP_EINVAL,
                              "an empty option path (paths are separated by ';')");
    char path[4096];
    if (!resolve_path(b, s, len, path, sizeof path))
        return cp_table_error(t, r, col, err, CP_EINVAL, "path too long");
    if (access(path, R_OK) != 0)
        return cp_table_error(t, r, col, err, CP_EINVAL, "option '%.*s' (%s): cannot read: %s",
                              (int)len, s, path, strerror(errno));
    if (!(e->options[e->n_options] = strdup(path)))
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    e->n_options++;
    return CP_OK;
}

/* The compare cell: option scenarios separated by ';'. */
static int read_options(const cp_batch *b, const cp_table *t, size_t r, int col, cp_batch_entry *e,
                        cp_err *err)
{
    const char *s = cp_table_cell(t, r, col);
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ';';
    e->options = calloc(n, sizeof *e->options);
    if (!e->options)
        return cp_err_set(err, CP_ENOMEM, "out of memory");
    for (const char *p = s;;) {
        const char *end = strchr(p, ';');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        int rc = add_option(b, t, r, col, p, len, e, err);
        if (rc || !end)
            return rc;
        p = end + 1;
    }
}

static void free_entry(cp_batch_entry *e)
{
    for (size_t k = 0; k < e->n_options; k++)
        free(e->options[k]);
    free(e->options);
    e->options = NULL;
    e->n_options = 0;
}

/* The precision and samples_max cells (c[7], c[8]): both or neither, a
 * rule that parses, and samples (the first look) a multiple of the chunk
 * and at most the cap. */
static int read_stopping_rule(const cp_table *t, size_t r, const int *c, cp_batch_entry *e,
                              cp_err *err)
{
    const char *spec = c[7] >= 0 ? cp_table_cell(t, r, c[7]) : "";
    const int has_max = c[8] >= 0 && *cp_table_cell(t, r, c[8]);
    int rc;
    if (has_max && (rc = cell_count(t, r, c[8], CP_SAMPLES_MAX, &e->samples_max, err)))
        return rc;
    if (!*spec) {
        if (has_max)
            return cp_table_error(t, r, c[8], err, CP_EINVAL,
                                  "samples_max is only for an entry with a precision");
        return CP_OK;
    }
    if (e->n_options)
        return cp_table_error(t, r, c[7], err, CP_EINVAL,
                              "a comparison takes no precision (it is a run's stopping rule)");
    if (strlen(spec) >= sizeof e->precision)
        return cp_table_error(t, r, c[7], err, CP_EINVAL, "too long");
    cp_precision p;
    if ((rc = cp_precision_parse(spec, &p, err))) {
        char why[CP_ERR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        return cp_table_error(t, r, c[7], err, rc, "%s", why);
    }
    snprintf(e->precision, sizeof e->precision, "%s", spec);
    if (!has_max || e->samples_max == 0)
        return cp_table_error(t, r, c[7], err, CP_EINVAL,
                              "a precision needs samples_max, the most samples to take");
    if (e->samples % CP_PAR_CHUNK)
        return cp_table_error(t, r, c[2], err, CP_EINVAL,
                              "with a precision, samples is the first look and must be a multiple "
                              "of %d (the chunk)",
                              CP_PAR_CHUNK);
    if (e->samples > e->samples_max)
        return cp_table_error(t, r, c[8], err, CP_EINVAL,
                              "samples_max %llu is below samples, the first look (%llu)",
                              (unsigned long long)e->samples_max, (unsigned long long)e->samples);
    return CP_OK;
}

static int read_entry(const cp_batch *b, const cp_table *t, size_t r, const int *c,
                      cp_batch_entry *e, cp_err *err)
{
    const char *name = cp_table_cell(t, r, c[0]);
    if (!cp_name_valid(name))
        return cp_table_error(t, r, c[0], err, CP_EINVAL,
                              "'%s' is not a valid name (letters, digits, _ and -)", name);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->line = t->line[r];
    int rc;
    if ((rc = cell_path(b, t, r, c[1], e->scenario, sizeof e->scenario, err)) ||
        (rc = cell_count(t, r, c[2], CP_SAMPLES_MAX, &e->samples, err)) ||
        (rc = cell_count(t, r, c[3], UINT64_MAX, &e->seed, err)) ||
        (rc = cell_path(b, t, r, c[4], e->out, sizeof e->out, err)))
        return rc;
    if (e->samples == 0)
        return cp_table_error(t, r, c[2], err, CP_EINVAL, "samples must be at least 1");
    if (c[5] >= 0 && *cp_table_cell(t, r, c[5]) &&
        (rc = cell_count(t, r, c[5], CP_SAMPLES_MAX, &e->keep_samples, err)))
        return rc;
    if (c[6] >= 0 && *cp_table_cell(t, r, c[6])) {
        if ((rc = read_options(b, t, r, c[6], e, err)))
            return rc;
        if (e->keep_samples)
            return cp_table_error(t, r, c[5], err, CP_EINVAL,
                                  "a comparison keeps no samples (leave it empty or 0)");
    }
    if ((rc = read_stopping_rule(t, r, c, e, err)))
        return rc;
    if (c[9] >= 0 && *cp_table_cell(t, r, c[9])) {
        const char *design = cp_table_cell(t, r, c[9]);
        if (e->n_options || e->keep_samples)
            return cp_table_error(t, r, c[9], err, CP_EINVAL,
                                  "a sensitivity analysis is neither a comparison nor keeps "
                                  "samples (leave compare and keep_samples empty)");
        if (strlen(design) >= sizeof e->sensitivity)
            return cp_table_error(t, r, c[9], err, CP_EINVAL, "too long");
        snprintf(e->sensitivity, sizeof e->sensitivity, "%s", design);
        e->is_sensitivity = 1;
    }
    if (c[10] >= 0 && *cp_table_cell(t, r, c[10])) {
        const char *v = cp_table_cell(t, r, c[10]);
        if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
            return cp_table_error(t, r, c[10], err, CP_EINVAL, "'%s' is not yes, no or empty", v);
        e->tornado = v[0] == 'y';
        if (e->tornado && (e->n_options || e->is_sensitivity))
            return cp_table_error(t, r, c[10], err, CP_EINVAL,
                                  "a tornado is a run's (not a comparison's or a sensitivity "
                                  "analysis's)");
    }
    if (e->is_sensitivity && e->precision[0])
        return cp_table_error(t, r, c[7], err, CP_EINVAL,
                              "a sensitivity analysis has no stopping rule (leave precision "
                              "empty)");
    for (size_t k = 0; k < b->n; k++) {
        if (strcmp(b->entries[k].name, e->name) == 0)
            return cp_table_error(t, r, c[0], err, CP_EINVAL,
                                  "name '%s' is used twice (first on line %ld)", e->name,
                                  b->entries[k].line);
        if (strcmp(b->entries[k].out, e->out) == 0)
            return cp_table_error(t, r, c[4], err, CP_EINVAL,
                                  "output directory used twice (first on line %ld): two runs "
                                  "would overwrite each other",
                                  b->entries[k].line);
    }
    return CP_OK;
}

int cp_batch_load(const char *path, cp_batch *b, cp_err *err)
{
    memset(b, 0, sizeof *b);
    snprintf(b->path, sizeof b->path, "%s", path);
    cp_table t = {0};
    int rc = cp_table_read(path, &t, err);
    if (rc)
        return rc;
    static const char *const cols[] = {"name", "scenario", "samples", "seed", "out"};
    int c[11];
    if ((rc = cp_table_require(&t, cols, 5, c, err)))
        goto out;
    c[5] = cp_table_column(&t, "keep_samples");
    c[6] = cp_table_column(&t, "compare");
    c[7] = cp_table_column(&t, "precision");
    c[8] = cp_table_column(&t, "samples_max");
    c[9] = cp_table_column(&t, "sensitivity");
    c[10] = cp_table_column(&t, "tornado");
    if (t.n_rows == 0) {
        rc = cp_err_set(err, CP_EINVAL, "%s: the batch has no runs", path);
        goto out;
    }
    b->entries = calloc(t.n_rows, sizeof *b->entries);
    if (!b->entries) {
        rc = cp_err_set(err, CP_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t r = 0; r < t.n_rows; r++) {
        if ((rc = read_entry(b, &t, r, c, &b->entries[r], err))) {
            free_entry(&b->entries[r]); /* its options, if it got that far */
            goto out;
        }
        b->n++;
    }
out:
    cp_table_free(&t);
    if (rc)
        cp_batch_free(b);
    return rc;
}

void cp_batch_free(cp_batch *b)
{
    for (size_t i = 0; b->entries && i < b->n; i++)
        free_entry(&b->entries[i]);
    free(b->entries);
    b->entries = NULL;
    b->n = 0;
}
