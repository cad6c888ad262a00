/* cp_batch.c -- see cp_batch.h. */
#include "cp_batch.h"
#include "cp_csv.h"
#include "cp_graph.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole number >= 0 written in digits (no signs, no exponents: a batch
 * file is typed by hand, and 1e6 vs 1000000 is a needless ambiguity). */
static int cell_count(const cp_table *t, size_t r, int col, uint64_t *out, cp_err *err)
{
    const char *s = cp_table_cell(t, r, col);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || s[0] == '+')
        return cp_table_error(t, r, col, err, CP_EINVAL, "'%s' is not a whole number", s);
    *out = v;
    return CP_OK;
}

static int cell_path(const cp_batch *b, const cp_table *t, size_t r, int col, char *out, size_t cap,
                     cp_err *err)
{
    const char *s = cp_table_cell(t, r, col);
    if (!*s)
        return cp_table_error(t, r, col, err, CP_EINVAL, "a path is required");
    const char *slash = strrchr(b->path, '/');
    int n = s[0] == '/' || !slash
                ? snprintf(out, cap, "%s", s)
                : snprintf(out, cap, "%.*s/%s", (int)(slash - b->path), b->path, s);
    if (n < 0 || (size_t)n >= cap)
        return cp_table_error(t, r, col, err, CP_EINVAL, "path too long");
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
        (rc = cell_count(t, r, c[2], &e->samples, err)) ||
        (rc = cell_count(t, r, c[3], &e->seed, err)) ||
        (rc = cell_path(b, t, r, c[4], e->out, sizeof e->out, err)))
        return rc;
    if (e->samples == 0)
        return cp_table_error(t, r, c[2], err, CP_EINVAL, "samples must be at least 1");
    if (c[5] >= 0 && *cp_table_cell(t, r, c[5]) &&
        (rc = cell_count(t, r, c[5], &e->keep_samples, err)))
        return rc;
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
    int c[6];
    if ((rc = cp_table_require(&t, cols, 5, c, err)))
        goto out;
    c[5] = cp_table_column(&t, "keep_samples");
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
        if ((rc = read_entry(b, &t, r, c, &b->entries[r], err)))
            goto out;
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
    free(b->entries);
    b->entries = NULL;
    b->n = 0;
}
