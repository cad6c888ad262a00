/* cp_csv.c -- see cp_csv.h.
 *
 * libcsv does the quoting; this file does the bookkeeping libcsv cannot:
 * which line a record starts on.  The file is fed to libcsv one physical line
 * at a time (LF, CRLF and lone CR each end a line, as libcsv treats them), so
 * the line number is known whenever a callback fires.
 *
 * libcsv 3.0.3 behaviour this relies on (checked by tests/unit/test_csv.c):
 *  - rows holding only spaces, tabs, CR or LF are not reported (blank lines);
 *  - unquoted fields lose surrounding spaces and tabs, quoted ones keep them;
 *  - CSV_STRICT alone lets csv_fini accept an unterminated quote, passing the
 *    rest of the file as one field; CSV_STRICT_FINI makes it an error;
 *  - csv_fini clears the error status, and after a parse error it would
 *    submit the half-parsed field, so it is only called on a clean parse.
 */
#include "cp_csv.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <csv.h>

/* State shared with the libcsv callbacks, which cannot return an error:
 * once rc is set they do nothing and the reader stops after the line. */
typedef struct cp_csv_ctx {
    const char *path;
    cp_err *err;
    int rc;
    long line;        /* the physical line being fed to libcsv */
    long record_line; /* where the record in progress starts; 0 between records */
    long field_line;  /* where the field in progress starts */
    char **rec;       /* fields of the record in progress */
    size_t rec_n, rec_cap;
    int have_header;
    size_t rows_cap;
    cp_table tab;
} cp_csv_ctx;

static int cp_csv_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The start and length of s without surrounding whitespace. */
static const char *cp_csv_trim(const char *s, size_t *len)
{
    size_t n = strlen(s);
    while (n > 0 && cp_csv_is_space((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && cp_csv_is_space((unsigned char)s[n - 1]))
        n--;
    *len = n;
    return s;
}

static void cp_csv_trim_in_place(char *s)
{
    size_t n;
    const char *start = cp_csv_trim(s, &n);
    memmove(s, start, n);
    s[n] = '\0';
}

static int cp_csv_oom(cp_csv_ctx *ctx)
{
    ctx->rc = cp_err_set(ctx->err, CP_ENOMEM, "%s:%ld: out of memory", ctx->path, ctx->line);
    return ctx->rc;
}

/* ---- building the table ------------------------------------------------ */

static int cp_csv_push_field(cp_csv_ctx *ctx, const char *s, size_t len)
{
    if (ctx->rec_n == ctx->rec_cap) {
        size_t cap = ctx->rec_cap ? 2 * ctx->rec_cap : 16;
        char **rec = realloc(ctx->rec, cap * sizeof *rec);
        if (!rec)
            return cp_csv_oom(ctx);
        ctx->rec = rec;
        ctx->rec_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return cp_csv_oom(ctx);
    memcpy(copy, s, len);
    copy[len] = '\0';
    ctx->rec[ctx->rec_n++] = copy;
    return CP_OK;
}

static void cp_csv_drop_record(cp_csv_ctx *ctx)
{
    for (size_t i = 0; i < ctx->rec_n; i++)
        free(ctx->rec[i]);
    ctx->rec_n = 0;
}

static int cp_csv_take_header(cp_csv_ctx *ctx)
{
    const long line = ctx->record_line;
    if (ctx->rec_n > INT_MAX)
        return ctx->rc = cp_err_set(ctx->err, CP_EINVAL, "%s:%ld: header: too many columns (%zu)",
                                    ctx->path, line, ctx->rec_n);
    /* A file saved with another delimiter reads as one column whose name
     * holds the others; say so at the header, not as a field count below. */
    const char *other = ctx->rec_n == 1 ? strpbrk(ctx->rec[0], ";\t|") : NULL;
    if (other)
        return ctx->rc = cp_err_set(ctx->err, CP_EINVAL,
                                    "%s:%ld: header: the columns are separated by '%s', not by "
                                    "commas (save the file as comma-separated CSV)",
                                    ctx->path, line,
                                    *other == '\t' ? "\\t" : (*other == ';' ? ";" : "|"));
    /* Names are trimmed even when quoted: nobody means a column " node". */
    for (size_t i = 0; i < ctx->rec_n; i++) {
        cp_csv_trim_in_place(ctx->rec[i]);
        if (ctx->rec[i][0] == '\0')
            return ctx->rc =
                       cp_err_set(ctx->err, CP_EINVAL, "%s:%ld: header: column %zu has no name",
                                  ctx->path, line, i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(ctx->rec[j], ctx->rec[i]) == 0)
                return ctx->rc = cp_err_set(ctx->err, CP_EINVAL,
                                            "%s:%ld: header: duplicate column '%s' (columns %zu "
                                            "and %zu)",
                                            ctx->path, line, ctx->rec[i], j + 1, i + 1);
    }
    char **header = malloc(ctx->rec_n * sizeof *header);
    if (!header)
        return cp_csv_oom(ctx);
    memcpy(header, ctx->rec, ctx->rec_n * sizeof *header);
    ctx->tab.header = header;
    ctx->tab.n_cols = ctx->rec_n;
    ctx->rec_n = 0;
    ctx->have_header = 1;
    return CP_OK;
}

static int cp_csv_grow_rows(cp_csv_ctx *ctx)
{
    cp_table *t = &ctx->tab;
    size_t cap = ctx->rows_cap ? 2 * ctx->rows_cap : 64;
    if (cap > SIZE_MAX / t->n_cols / sizeof *t->cells)
        return cp_csv_oom(ctx);
    char **cells = realloc(t->cells, cap * t->n_cols * sizeof *cells);
    if (!cells)
        return cp_csv_oom(ctx);
    t->cells = cells;
    long *lines = realloc(t->line, cap * sizeof *lines);
    if (!lines)
        return cp_csv_oom(ctx);
    t->line = lines;
    ctx->rows_cap = cap;
    return CP_OK;
}

static int cp_csv_take_row(cp_csv_ctx *ctx)
{
    cp_table *t = &ctx->tab;
    if (ctx->rec_n != t->n_cols) {
        const char *hint =
            ctx->rec_n > t->n_cols ? "; a value containing a comma must be quoted" : "";
        return ctx->rc = cp_err_set(ctx->err, CP_EINVAL,
                                    "%s:%ld: expected %zu fields (as in the header), found %zu%s",
                                    ctx->path, ctx->record_line, t->n_cols, ctx->rec_n, hint);
    }
    if (t->n_rows == ctx->rows_cap && cp_csv_grow_rows(ctx) != CP_OK)
        return ctx->rc;
    memcpy(t->cells + t->n_rows * t->n_cols, ctx->rec, t->n_cols * sizeof *t->cells);
    t->line[t->n_rows] = ctx->record_line;
    t->n_rows++;
    ctx->rec_n = 0;
    return CP_OK;
}

/* ---- libcsv callbacks -------------------------------------------------- */

static void cp_csv_on_field(void *s, size_t len, void *data)
{
    cp_csv_ctx *ctx = data;
    if (ctx->rc != CP_OK)
        return;
    cp_csv_push_field(ctx, s ? s : "", s ? len : 0);
    /* A field ends at a comma or a line end; after a comma the next field
     * cannot start on a later line (a line end would end the record). */
    ctx->field_line = ctx->line;
}

static void cp_csv_on_record(int c, void *data)
{
    (void)c;
    cp_csv_ctx *ctx = data;
    if (ctx->rc == CP_OK) {
        if (ctx->have_header)
            cp_csv_take_row(ctx);
        else
            cp_csv_take_header(ctx);
    }
    ctx->record_line = 0;
}

/* ---- feeding lines ----------------------------------------------------- */

/* The name of column i for a parse error: the header's, when there is one. */
static void cp_csv_describe_column(const cp_csv_ctx *ctx, size_t i, char *buf, size_t size)
{
    if (ctx->have_header && i < ctx->tab.n_cols)
        snprintf(buf, size, "column %zu, '%s'", i + 1, ctx->tab.header[i]);
    else
        snprintf(buf, size, "column %zu", i + 1);
}

static int cp_csv_parse_error(cp_csv_ctx *ctx, int status)
{
    if (status == CSV_ENOMEM || status == CSV_ETOOBIG)
        return cp_csv_oom(ctx);
    char col[CP_ERR_MSG_MAX / 2];
    cp_csv_describe_column(ctx, ctx->rec_n, col, sizeof col);
    /* A quote left open earlier swallows lines until a later quote looks
     * malformed; the line where it opened is where the user must look. */
    if (ctx->field_line != ctx->line)
        return ctx->rc = cp_err_set(ctx->err, CP_EINVAL,
                                    "%s:%ld: malformed quoted field (%s; the quoted field opens "
                                    "on line %ld: is a quote missing there?)",
                                    ctx->path, ctx->line, col, ctx->field_line);
    return ctx->rc = cp_err_set(ctx->err, CP_EINVAL,
                                "%s:%ld: malformed quoted field (%s): a quote inside a value must "
                                "be doubled (\"\") and the whole value enclosed in quotes",
                                ctx->path, ctx->line, col);
}

/* Whether libcsv would start a record on this line: it skips exactly
 * spaces, tabs, CRs and LFs between records. */
static int cp_csv_has_content(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 1;
    return 0;
}

static int cp_csv_feed_line(cp_csv_ctx *ctx, struct csv_parser *p, const char *s, size_t n)
{
    ctx->line++;
    const char *nul = memchr(s, '\0', n);
    if (nul)
        return ctx->rc = cp_err_set(ctx->err, CP_EINVAL,
                                    "%s:%ld: NUL byte at byte %zu of the line (is the file "
                                    "binary, or UTF-16? save it as UTF-8 CSV)",
                                    ctx->path, ctx->line, (size_t)(nul - s) + 1);
    if (ctx->record_line == 0 && cp_csv_has_content(s, n))
        ctx->record_line = ctx->field_line = ctx->line;
    const size_t done = csv_parse(p, s, n, cp_csv_on_field, cp_csv_on_record, ctx);
    if (ctx->rc == CP_OK && done != n)
        cp_csv_parse_error(ctx, csv_error(p));
    return ctx->rc;
}

/* The end of the line starting at buf[start]: just past its LF, CRLF or CR. */
static size_t cp_csv_line_end(const char *buf, size_t len, size_t start)
{
    for (size_t i = start; i < len; i++) {
        if (buf[i] == '\n')
            return i + 1;
        if (buf[i] == '\r')
            return i + 1 < len && buf[i + 1] == '\n' ? i + 2 : i + 1;
    }
    return len;
}

/* Feeds what getline returned, which ends at an LF but may hold lone CRs. */
static int cp_csv_feed_chunk(cp_csv_ctx *ctx, struct csv_parser *p, const char *buf, size_t len)
{
    for (size_t start = 0; start < len && ctx->rc == CP_OK;) {
        size_t end = cp_csv_line_end(buf, len, start);
        cp_csv_feed_line(ctx, p, buf + start, end - start);
        start = end;
    }
    return ctx->rc;
}

/* Skips a UTF-8 byte-order mark; rejects UTF-16, whose NULs would otherwise
 * be reported as a puzzling "NUL byte". */
static int cp_csv_check_bom(cp_csv_ctx *ctx, const char **buf, size_t *len)
{
    const unsigned char *u = (const unsigned char *)*buf;
    if (*len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        *buf += 3;
        *len -= 3;
    } else if (*len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        ctx->rc = cp_err_set(ctx->err, CP_EINVAL,
                             "%s: file is UTF-16 encoded; save it as UTF-8 CSV", ctx->path);
    }
    return ctx->rc;
}

static int cp_csv_read_stream(cp_csv_ctx *ctx, FILE *f, struct csv_parser *p)
{
    char *buf = NULL;
    size_t size = 0;
    ssize_t got;
    int first = 1;
    while (ctx->rc == CP_OK && (got = getline(&buf, &size, f)) != -1) {
        const char *s = buf;
        size_t len = (size_t)got;
        if (first && cp_csv_check_bom(ctx, &s, &len) != CP_OK)
            break;
        first = 0;
        cp_csv_feed_chunk(ctx, p, s, len);
    }
    free(buf);
    /* getline also returns -1 when it cannot grow its buffer; only a real
     * end of file means the whole table was read. */
    if (ctx->rc == CP_OK && !feof(f))
        ctx->rc = cp_err_set(ctx->err, CP_EIO, "%s: cannot read: %s", ctx->path, strerror(errno));
    return ctx->rc;
}

static int cp_csv_finish(cp_csv_ctx *ctx, struct csv_parser *p)
{
    /* With CSV_STRICT_FINI, an open quote at end of file is its only failure. */
    if (csv_fini(p, cp_csv_on_field, cp_csv_on_record, ctx) != 0)
        return ctx->rc = cp_err_set(ctx->err, CP_EINVAL,
                                    "%s:%ld: unterminated quoted field (the quote opens on line "
                                    "%ld)",
                                    ctx->path, ctx->line, ctx->field_line);
    if (ctx->rc == CP_OK && !ctx->have_header)
        ctx->rc =
            cp_err_set(ctx->err, CP_EINVAL, "%s: file is empty, expected a header line", ctx->path);
    return ctx->rc;
}

static int cp_csv_parse_file(cp_csv_ctx *ctx, FILE *f)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return cp_csv_oom(ctx);
    if (cp_csv_read_stream(ctx, f, &p) == CP_OK)
        cp_csv_finish(ctx, &p);
    csv_free(&p);
    return ctx->rc;
}

int cp_table_read(const char *path, cp_table *t, cp_err *err)
{
    if (!t)
        return cp_err_set(err, CP_EINVAL, "cp_table_read: no table given");
    memset(t, 0, sizeof *t);
    if (!path)
        return cp_err_set(err, CP_EINVAL, "cp_table_read: no path given");

    cp_csv_ctx ctx = {.path = path, .err = err, .rc = CP_OK};
    FILE *f = fopen(path, "rb");
    if (!f)
        return cp_err_set(err, CP_EIO, "%s: cannot open: %s", path, strerror(errno));
    /* A directory opens for reading on Linux and reads as empty. */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return cp_err_set(err, CP_EIO, "%s: cannot read: %s (a CSV file is needed)", path,
                          strerror(EISDIR));
    }
    cp_csv_parse_file(&ctx, f);
    fclose(f);

    cp_csv_drop_record(&ctx);
    free(ctx.rec);
    if (ctx.rc == CP_OK && !(ctx.tab.path = strdup(path)))
        ctx.rc = cp_err_set(err, CP_ENOMEM, "%s: out of memory", path);
    if (ctx.rc != CP_OK) {
        cp_table_free(&ctx.tab);
        return ctx.rc;
    }
    *t = ctx.tab;
    return CP_OK;
}

void cp_table_free(cp_table *t)
{
    if (!t)
        return;
    if (t->header)
        for (size_t i = 0; i < t->n_cols; i++)
            free(t->header[i]);
    if (t->cells)
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
            free(t->cells[i]);
    free(t->header);
    free(t->cells);
    free(t->line);
    free(t->path);
    memset(t, 0, sizeof *t);
}

/* ---- lookups ----------------------------------------------------------- */

int cp_table_column(const cp_table *t, const char *name)
{
    if (!t || !t->header || !name)
        return -1;
    for (size_t i = 0; i < t->n_cols; i++)
        if (t->header[i] && strcmp(t->header[i], name) == 0)
            return (int)i;
    return -1;
}

/* "a, b, c" into buf, cut short if it does not fit. */
static void cp_csv_list_columns(const cp_table *t, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->n_cols && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", t->header[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int cp_table_require(const cp_table *t, const char *const *names, size_t n, int *idx, cp_err *err)
{
    if (!t || (n > 0 && (!names || !idx)))
        return cp_err_set(err, CP_EINVAL, "cp_table_require: bad arguments");
    for (size_t i = 0; i < n; i++) {
        idx[i] = cp_table_column(t, names[i]);
        if (idx[i] >= 0)
            continue;
        char have[CP_ERR_MSG_MAX / 2];
        cp_csv_list_columns(t, have, sizeof have);
        return cp_err_set(err, CP_EINVAL, "%s: header: no column '%s' (the columns are: %s)",
                          t->path ? t->path : "(table)", names[i] ? names[i] : "(null)", have);
    }
    return CP_OK;
}

const char *cp_table_cell(const cp_table *t, size_t row, int col)
{
    assert(t && row < t->n_rows && col >= 0 && (size_t)col < t->n_cols);
    if (!t || !t->cells || row >= t->n_rows || col < 0 || (size_t)col >= t->n_cols)
        return "";
    const char *s = t->cells[row * t->n_cols + (size_t)col];
    return s ? s : "";
}

/* ---- cell errors and numbers ------------------------------------------- */

static int cp_table_verror(const cp_table *t, size_t row, int col, cp_err *err, int code,
                           const char *fmt, va_list ap)
{
    /* Formatted whole, so that cp_err_set can shorten a long quoted cell
     * rather than cut the explanation after it. */
    char small[CP_ERR_MSG_MAX];
    va_list again;
    va_copy(again, ap);
    const int n = vsnprintf(small, sizeof small, fmt, ap);
    char *big = n >= (int)sizeof small ? malloc((size_t)n + 1) : NULL;
    if (big)
        vsnprintf(big, (size_t)n + 1, fmt, again);
    va_end(again);
    const char *msg = big ? big : small;
    const char *path = t && t->path ? t->path : "(table)";
    const long line = t && t->line && row < t->n_rows ? t->line[row] : 0;
    if (t && t->header && col >= 0 && (size_t)col < t->n_cols)
        cp_err_set(err, code, "%s:%ld: field '%s': %s", path, line, t->header[col], msg);
    else
        cp_err_set(err, code, "%s:%ld: field #%d: %s", path, line, col, msg);
    free(big);
    return code;
}

int cp_table_error(const cp_table *t, size_t row, int col, cp_err *err, int code, const char *fmt,
                   ...)
{
    va_list ap;
    va_start(ap, fmt);
    cp_table_verror(t, row, col, err, code, fmt, ap);
    va_end(ap);
    return code;
}

/* strtod also reads hex floats ("0x1p3"), nan(...) and infinity; nobody
 * writes those in an input table on purpose, so they are refused here. */
int cp_table_double(const cp_table *t, size_t row, int col, double *out, cp_err *err)
{
    size_t len;
    const char *text = cp_csv_trim(cp_table_cell(t, row, col), &len);
    const int n = len > INT_MAX ? INT_MAX : (int)len;
    if (len == 0)
        return cp_table_error(t, row, col, err, CP_EINVAL,
                              "'' is not a number (the field is empty)");
    if (memchr(text, 'x', len) || memchr(text, 'X', len))
        return cp_table_error(t, row, col, err, CP_EINVAL, "'%.*s' is not a number", n, text);

    char *end;
    errno = 0;
    const double v = strtod(text, &end);
    if (end != text + len)
        return cp_table_error(t, row, col, err, CP_EINVAL, "'%.*s' is not a number", n, text);
    if (errno == ERANGE && isinf(v))
        return cp_table_error(t, row, col, err, CP_EINVAL,
                              "'%.*s' is out of range (beyond %g in magnitude)", n, text, DBL_MAX);
    if (!isfinite(v))
        return cp_table_error(t, row, col, err, CP_EINVAL, "'%.*s' is not a finite number", n,
                              text);
    /* Underflow (ERANGE with a tiny result) is accepted: 1e-400 reads as 0. */
    *out = v;
    return CP_OK;
}
