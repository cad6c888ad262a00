/* cp_dist.c -- see cp_dist.h.
 *
 * Conventions the header leaves open:
 *   - cp_dist_parse and cp_dist_copy treat their output as uninitialised: they
 *     do not free what it held.  On failure the output is left empty (no
 *     values), so cp_dist_free on it is always safe.
 *   - Quantiles accept u in [0, 1]: u = 0 and u = 1 give the ends of the
 *     support (possibly infinite); u outside [0, 1] or NaN gives NaN.
 *   - An empirical distribution without values samples and answers NaN.
 *   - Names are case-sensitive; numbers are read with strtod in the C locale
 *     (the program never calls setlocale).
 *   - The GSL error handler must be off (main does so): GSL reports an inverse
 *     CDF that failed to converge through it, and this file recovers from that.
 */
#include "cp_dist.h"
#include "cp_math.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_statistics_double.h>

/* Beyond 37 sd a normal tail probability underflows a double (Q(37.5) is
 * about 5e-308), so a truncation interval entirely past it has no computable
 * mass. */
#define CP_TN_TAIL_MAX 37.0

/* ------------------------------------------------------------------------ */
/* The table of distributions                                               */

typedef int (*cp_dist_check_fn)(const cp_dist *d, cp_err *err);

typedef struct cp_dist_desc {
    const char *name;
    size_t n_params;
    const char *params[4]; /* in the order of cp_dist.p */
    bool text;             /* parameters are text (file, column), not numbers */
    cp_dist_check_fn check;
} cp_dist_desc;

static int cp_check_constant(const cp_dist *d, cp_err *err);
static int cp_check_normal(const cp_dist *d, cp_err *err);
static int cp_check_lognormal(const cp_dist *d, cp_err *err);
static int cp_check_truncnormal(const cp_dist *d, cp_err *err);
static int cp_check_beta(const cp_dist *d, cp_err *err);
static int cp_check_modal(const cp_dist *d, cp_err *err);
static int cp_check_gamma(const cp_dist *d, cp_err *err);
static int cp_check_uniform(const cp_dist *d, cp_err *err);
static int cp_check_empirical(const cp_dist *d, cp_err *err);

static const cp_dist_desc cp_dist_table[] = {
    [CP_DIST_CONSTANT] = {"constant", 1, {"value"}, false, cp_check_constant},
    [CP_DIST_NORMAL] = {"normal", 2, {"mean", "sd"}, false, cp_check_normal},
    [CP_DIST_LOGNORMAL] = {"lognormal", 2, {"mu", "sigma"}, false, cp_check_lognormal},
    [CP_DIST_TRUNCNORMAL] =
        {"truncnormal", 4, {"mean", "sd", "min", "max"}, false, cp_check_truncnormal},
    [CP_DIST_BETA] = {"beta", 2, {"a", "b"}, false, cp_check_beta},
    [CP_DIST_PERT] = {"pert", 3, {"min", "mode", "max"}, false, cp_check_modal},
    [CP_DIST_TRIANGULAR] = {"triangular", 3, {"min", "mode", "max"}, false, cp_check_modal},
    [CP_DIST_GAMMA] = {"gamma", 2, {"shape", "scale"}, false, cp_check_gamma},
    [CP_DIST_UNIFORM] = {"uniform", 2, {"min", "max"}, false, cp_check_uniform},
    [CP_DIST_EMPIRICAL] = {"empirical", 2, {"file", "column"}, true, cp_check_empirical},
};

#define CP_DIST_N_KINDS (sizeof cp_dist_table / sizeof cp_dist_table[0])

/* The order in which error messages list the names (the header's order). */
static const cp_dist_kind cp_dist_listing[] = {
    CP_DIST_NORMAL,     CP_DIST_LOGNORMAL, CP_DIST_TRUNCNORMAL, CP_DIST_BETA,      CP_DIST_PERT,
    CP_DIST_TRIANGULAR, CP_DIST_GAMMA,     CP_DIST_UNIFORM,     CP_DIST_EMPIRICAL, CP_DIST_CONSTANT,
};

static const cp_dist_desc *cp_dist_desc_of(cp_dist_kind kind)
{
    if ((size_t)kind >= CP_DIST_N_KINDS)
        return NULL;
    return &cp_dist_table[kind];
}

const char *cp_dist_name(cp_dist_kind kind)
{
    const cp_dist_desc *desc = cp_dist_desc_of(kind);
    return desc ? desc->name : "unknown";
}

/* ------------------------------------------------------------------------ */
/* Validation                                                               */

/* The shortest %g that reads back to v, so messages say "-0.1", not
 * "-0.10000000000000001", yet never hide a difference.  Integers up to 17
 * digits start with enough precision to print without an exponent ("40",
 * not "4e+01"). */
static void cp_fmt_num(double v, char *buf, size_t cap)
{
    const double mag = fabs(v);
    int prec = 1;
    if (mag >= 1 && mag < 1e17)
        prec = 1 + (int)floor(log10(mag));
    for (; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int cp_need_positive(const char *dname, const char *pname, double v, cp_err *err)
{
    if (v > 0)
        return CP_OK;
    char s[32];
    cp_fmt_num(v, s, sizeof s);
    return cp_err_set(err, CP_EINVAL, "%s: parameter '%s' must be > 0 (got %s)", dname, pname, s);
}

static int cp_need_range(const char *dname, double lo, double hi, cp_err *err)
{
    char a[32], b[32];
    cp_fmt_num(lo, a, sizeof a);
    cp_fmt_num(hi, b, sizeof b);
    if (!(lo < hi))
        return cp_err_set(err, CP_EINVAL,
                          "%s: parameter 'min' must be < 'max' (got min=%s, max=%s)", dname, a, b);
    if (!isfinite(hi - lo))
        return cp_err_set(err, CP_EINVAL,
                          "%s: the range [min, max] = [%s, %s] is too wide (max - min overflows)",
                          dname, a, b);
    return CP_OK;
}

static int cp_check_constant(const cp_dist *d, cp_err *err)
{
    (void)d;
    (void)err;
    return CP_OK;
}

static int cp_check_normal(const cp_dist *d, cp_err *err)
{
    return cp_need_positive("normal", "sd", d->p[1], err);
}

static int cp_check_lognormal(const cp_dist *d, cp_err *err)
{
    return cp_need_positive("lognormal", "sigma", d->p[1], err);
}

static int cp_check_truncnormal(const cp_dist *d, cp_err *err)
{
    int rc = cp_need_positive("truncnormal", "sd", d->p[1], err);
    if (rc == CP_OK)
        rc = cp_need_range("truncnormal", d->p[2], d->p[3], err);
    if (rc != CP_OK)
        return rc;
    const double al = (d->p[2] - d->p[0]) / d->p[1], be = (d->p[3] - d->p[0]) / d->p[1];
    if (al < CP_TN_TAIL_MAX && be > -CP_TN_TAIL_MAX)
        return CP_OK;
    char lo[32], hi[32];
    cp_fmt_num(d->p[2], lo, sizeof lo);
    cp_fmt_num(d->p[3], hi, sizeof hi);
    return cp_err_set(err, CP_EINVAL,
                      "truncnormal: [min, max] = [%s, %s] lies more than %g sd from the mean, "
                      "where the normal has no representable probability",
                      lo, hi, CP_TN_TAIL_MAX);
}

static int cp_check_beta(const cp_dist *d, cp_err *err)
{
    int rc = cp_need_positive("beta", "a", d->p[0], err);
    return rc == CP_OK ? cp_need_positive("beta", "b", d->p[1], err) : rc;
}

/* pert and triangular: min <= mode <= max, min < max. */
static int cp_check_modal(const cp_dist *d, cp_err *err)
{
    const char *dname = cp_dist_name(d->kind);
    int rc = cp_need_range(dname, d->p[0], d->p[2], err);
    if (rc != CP_OK)
        return rc;
    if (d->p[0] <= d->p[1] && d->p[1] <= d->p[2])
        return CP_OK;
    char lo[32], mode[32], hi[32];
    cp_fmt_num(d->p[0], lo, sizeof lo);
    cp_fmt_num(d->p[1], mode, sizeof mode);
    cp_fmt_num(d->p[2], hi, sizeof hi);
    return cp_err_set(err, CP_EINVAL,
                      "%s: parameter 'mode' must be in [min, max] (got min=%s, mode=%s, max=%s)",
                      dname, lo, mode, hi);
}

static int cp_check_gamma(const cp_dist *d, cp_err *err)
{
    int rc = cp_need_positive("gamma", "shape", d->p[0], err);
    return rc == CP_OK ? cp_need_positive("gamma", "scale", d->p[1], err) : rc;
}

static int cp_check_uniform(const cp_dist *d, cp_err *err)
{
    return cp_need_range("uniform", d->p[0], d->p[1], err);
}

static int cp_check_empirical(const cp_dist *d, cp_err *err)
{
    if (!d->file[0])
        return cp_err_set(err, CP_EINVAL, "empirical: parameter 'file' is empty");
    if (!d->column[0])
        return cp_err_set(err, CP_EINVAL, "empirical: parameter 'column' is empty");
    return CP_OK;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

typedef struct cp_token {
    const char *s;
    size_t n;
    bool quoted;
} cp_token;

static const char *cp_skip_ws(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

static cp_token cp_read_ident(const char *s)
{
    size_t n = 0;
    if (isalpha((unsigned char)s[0]) || s[0] == '_')
        while (isalnum((unsigned char)s[n]) || s[n] == '_')
            n++;
    return (cp_token){s, n, false};
}

/* A value is "quoted text" or everything up to the next ',' or ')', trimmed. */
static int cp_read_value(const char **s, const char *dname, const char *pname, cp_token *tok,
                         cp_err *err)
{
    const char *p = *s;
    if (*p == '"') {
        const char *end = strchr(p + 1, '"');
        if (!end)
            return cp_err_set(err, CP_EINVAL, "%s: parameter '%s': unterminated quote", dname,
                              pname);
        *tok = (cp_token){p + 1, (size_t)(end - p - 1), true};
        *s = end + 1;
        return CP_OK;
    }
    const char *end = p + strcspn(p, ",)");
    *s = end;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    *tok = (cp_token){p, (size_t)(end - p), false};
    return CP_OK;
}

static int cp_param_index(const cp_dist_desc *desc, const cp_token *name)
{
    for (size_t i = 0; i < desc->n_params; i++)
        if (strlen(desc->params[i]) == name->n && !strncmp(desc->params[i], name->s, name->n))
            return (int)i;
    return -1;
}

static int cp_unknown_param(const cp_dist_desc *desc, const cp_token *name, cp_err *err)
{
    char expected[128] = "";
    for (size_t i = 0; i < desc->n_params; i++) {
        strcat(expected, i ? ", " : "");
        strcat(expected, desc->params[i]);
    }
    return cp_err_set(err, CP_EINVAL, "%s: unknown parameter '%.*s' (expected %s)", desc->name,
                      (int)name->n, name->s, expected);
}

static int cp_parse_number(const cp_token *t, const char *dname, const char *pname, double *out,
                           cp_err *err)
{
    if (t->quoted)
        return cp_err_set(err, CP_EINVAL, "%s: parameter '%s': '\"%.*s\"' is not a number", dname,
                          pname, (int)t->n, t->s);
    if (t->n == 0)
        return cp_err_set(err, CP_EINVAL, "%s: parameter '%s' has no value", dname, pname);
    /* The token is followed by a space, ',', ')' or the end, none of which
     * can continue a number, so strtod stops inside it or at its end. */
    char *end;
    const double v = strtod(t->s, &end);
    if (end != t->s + t->n)
        return cp_err_set(err, CP_EINVAL, "%s: parameter '%s': '%.*s' is not a number", dname,
                          pname, (int)t->n, t->s);
    if (!isfinite(v))
        return cp_err_set(err, CP_EINVAL, "%s: parameter '%s' must be a finite number (got '%.*s')",
                          dname, pname, (int)t->n, t->s);
    *out = v;
    return CP_OK;
}

static int cp_parse_text(const cp_token *t, const char *dname, const char *pname, char *out,
                         size_t cap, cp_err *err)
{
    if (!t->quoted && memchr(t->s, '"', t->n))
        return cp_err_set(err, CP_EINVAL, "%s: parameter '%s': a quote may only enclose the value",
                          dname, pname);
    if (t->n >= cap)
        return cp_err_set(err, CP_EINVAL, "%s: parameter '%s' is too long (max %zu characters)",
                          dname, pname, cap - 1);
    memcpy(out, t->s, t->n);
    out[t->n] = '\0';
    return CP_OK;
}

static int cp_store_param(cp_dist *d, const cp_dist_desc *desc, int i, const cp_token *value,
                          cp_err *err)
{
    const char *pname = desc->params[i];
    if (!desc->text)
        return cp_parse_number(value, desc->name, pname, &d->p[i], err);
    if (i == 0)
        return cp_parse_text(value, desc->name, pname, d->file, sizeof d->file, err);
    return cp_parse_text(value, desc->name, pname, d->column, sizeof d->column, err);
}

static int cp_lookup_kind(const cp_token *name, cp_dist_kind *kind, cp_err *err)
{
    for (size_t i = 0; i < CP_DIST_N_KINDS; i++) {
        const char *s = cp_dist_table[cp_dist_listing[i]].name;
        if (strlen(s) == name->n && !strncmp(s, name->s, name->n)) {
            *kind = cp_dist_listing[i];
            return CP_OK;
        }
    }
    char known[256] = "";
    for (size_t i = 0; i < CP_DIST_N_KINDS; i++) {
        strcat(known, i ? ", " : "");
        strcat(known, cp_dist_table[cp_dist_listing[i]].name);
    }
    return cp_err_set(err, CP_EINVAL, "unknown distribution '%.*s' (known: %s)", (int)name->n,
                      name->s, known);
}

/* One "name = value" at *s; seen[] records the parameters already given. */
static int cp_parse_param(const char **s, cp_dist *d, const cp_dist_desc *desc, bool *seen,
                          cp_err *err)
{
    const cp_token name = cp_read_ident(*s);
    if (name.n == 0)
        return cp_err_set(err, CP_EINVAL, "%s: expected a parameter name at '%.32s'", desc->name,
                          *s);
    const int i = cp_param_index(desc, &name);
    if (i < 0)
        return cp_unknown_param(desc, &name, err);
    if (seen[i])
        return cp_err_set(err, CP_EINVAL, "%s: duplicate parameter '%s'", desc->name,
                          desc->params[i]);
    seen[i] = true;
    const char *p = cp_skip_ws(*s + name.n);
    if (*p != '=')
        return cp_err_set(err, CP_EINVAL, "%s: expected '=' after parameter '%s'", desc->name,
                          desc->params[i]);
    p = cp_skip_ws(p + 1);
    cp_token value = {0};
    int rc = cp_read_value(&p, desc->name, desc->params[i], &value, err);
    if (rc == CP_OK)
        rc = cp_store_param(d, desc, i, &value, err);
    *s = p;
    return rc;
}

/* The parameter list after '(' up to and including ')'. */
static int cp_parse_params(const char **s, cp_dist *d, const cp_dist_desc *desc, cp_err *err)
{
    bool seen[4] = {false, false, false, false};
    const char *p = cp_skip_ws(*s);
    if (*p != ')') {
        for (;;) {
            int rc = cp_parse_param(&p, d, desc, seen, err);
            if (rc != CP_OK)
                return rc;
            p = cp_skip_ws(p);
            if (*p == ')')
                break;
            if (*p != ',')
                return *p ? cp_err_set(err, CP_EINVAL, "%s: expected ',' or ')' at '%.32s'",
                                       desc->name, p)
                          : cp_err_set(err, CP_EINVAL, "%s: missing ')'", desc->name);
            p = cp_skip_ws(p + 1);
        }
    }
    *s = p + 1;
    for (size_t i = 0; i < desc->n_params; i++)
        if (!seen[i])
            return cp_err_set(err, CP_EINVAL, "%s: missing parameter '%s'", desc->name,
                              desc->params[i]);
    return CP_OK;
}

static int cp_parse_spec(const char *spec, cp_dist *d, cp_err *err)
{
    const char *p = cp_skip_ws(spec);
    const cp_token name = cp_read_ident(p);
    if (name.n == 0)
        return cp_err_set(err, CP_EINVAL,
                          "expected a distribution NAME(param=value, ...), got '%s'", spec);
    int rc = cp_lookup_kind(&name, &d->kind, err);
    if (rc != CP_OK)
        return rc;
    const cp_dist_desc *desc = cp_dist_desc_of(d->kind);
    p = cp_skip_ws(p + name.n);
    if (*p != '(')
        return cp_err_set(err, CP_EINVAL, "%s: expected '(' after the name", desc->name);
    p++;
    rc = cp_parse_params(&p, d, desc, err);
    if (rc != CP_OK)
        return rc;
    p = cp_skip_ws(p);
    if (*p)
        return cp_err_set(err, CP_EINVAL, "%s: unexpected text after ')': '%s'", desc->name, p);
    return desc->check(d, err);
}

static void cp_dist_clear(cp_dist *d)
{
    memset(d, 0, sizeof *d);
    d->kind = CP_DIST_CONSTANT;
    d->values = NULL;
}

int cp_dist_parse(const char *spec, cp_dist *d, cp_err *err)
{
    if (!d)
        return cp_err_set(err, CP_EINVAL, "cp_dist_parse: no distribution to fill");
    cp_dist_clear(d);
    if (!spec)
        return cp_err_set(err, CP_EINVAL, "no distribution given");
    cp_dist parsed;
    cp_dist_clear(&parsed);
    const int rc = cp_parse_spec(spec, &parsed, err);
    if (rc == CP_OK)
        *d = parsed;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Ownership                                                                */

static int cp_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cp_dist_set_empirical(cp_dist *d, const double *values, size_t n, cp_err *err)
{
    if (!d || d->kind != CP_DIST_EMPIRICAL)
        return cp_err_set(err, CP_EINVAL, "%s: only an empirical distribution takes values",
                          d ? cp_dist_name(d->kind) : "(null)");
    if (n == 0 || !values)
        return cp_err_set(err, CP_EINVAL, "empirical: column '%s' of '%s' has no values", d->column,
                          d->file);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(values[i]))
            return cp_err_set(err, CP_EINVAL,
                              "empirical: value %zu of column '%s' of '%s' is not finite (%g)",
                              i + 1, d->column, d->file, values[i]);
    if (n > SIZE_MAX / sizeof *values)
        return cp_err_set(err, CP_ENOMEM, "empirical: %zu values do not fit in memory", n);
    double *copy = malloc(n * sizeof *copy);
    if (!copy)
        return cp_err_set(err, CP_ENOMEM, "empirical: out of memory for %zu values", n);
    memcpy(copy, values, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, cp_cmp_double);
    free(d->values);
    d->values = copy;
    d->n_values = n;
    return CP_OK;
}

void cp_dist_free(cp_dist *d)
{
    if (!d)
        return;
    free(d->values);
    d->values = NULL;
    d->n_values = 0;
}

int cp_dist_copy(cp_dist *dst, const cp_dist *src, cp_err *err)
{
    if (!dst || !src)
        return cp_err_set(err, CP_EINVAL, "cp_dist_copy: no distribution");
    if (dst == src)
        return CP_OK;
    *dst = *src;
    dst->values = NULL;
    dst->n_values = 0;
    if (!src->values || src->n_values == 0)
        return CP_OK;
    dst->values = malloc(src->n_values * sizeof *dst->values);
    if (!dst->values)
        return cp_err_set(err, CP_ENOMEM, "empirical: out of memory copying %zu values",
                          src->n_values);
    memcpy(dst->values, src->values, src->n_values * sizeof *dst->values);
    dst->n_values = src->n_values;
    return CP_OK;
}

/* ------------------------------------------------------------------------ */
/* Formatting                                                               */

/* A bounded output buffer that remembers whether everything fitted. */
typedef struct cp_outbuf {
    char *buf;
    size_t cap, len;
    bool ok;
} cp_outbuf;

static void cp_out(cp_outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void cp_out(cp_outbuf *o, const char *fmt, ...)
{
    if (!o->ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->ok = false;
    else
        o->len += (size_t)n;
}

/* Text that parses back unquoted must be non-empty, keep no edge spaces and
 * hold none of the characters that end or quote a value. */
static bool cp_text_needs_quotes(const char *s)
{
    const size_t n = strlen(s);
    return n == 0 || isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]) ||
           strpbrk(s, ",()=") != NULL;
}

/* The shortest %g spelling of x that reads back as x, so a scenario's 0.2
 * is shown as 0.2 and not 0.20000000000000001. */
static void cp_out_number(cp_outbuf *o, double x)
{
    char text[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, x);
        if (strtod(text, NULL) == x || digits == 17)
            break;
    }
    cp_out(o, "%s", text);
}

int cp_dist_format(const cp_dist *d, char *buf, size_t cap)
{
    const cp_dist_desc *desc = d ? cp_dist_desc_of(d->kind) : NULL;
    if (!desc || !buf || cap == 0)
        return CP_EINVAL;
    cp_outbuf o = {buf, cap, 0, true};
    buf[0] = '\0';
    cp_out(&o, "%s(", desc->name);
    for (size_t i = 0; i < desc->n_params; i++) {
        cp_out(&o, "%s%s=", i ? ", " : "", desc->params[i]);
        if (!desc->text) {
            cp_out_number(&o, d->p[i]);
            continue;
        }
        const char *text = i == 0 ? d->file : d->column;
        if (strchr(text, '"'))
            return CP_EINVAL; /* no spelling of it parses back */
        cp_out(&o, cp_text_needs_quotes(text) ? "\"%s\"" : "%s", text);
    }
    cp_out(&o, ")");
    return o.ok ? CP_OK : CP_EINVAL;
}

/* ------------------------------------------------------------------------ */
/* Inverse CDFs                                                             */
/*
 * Quantiles are computed from a pair (p, q) = (F(x), 1 - F(x)) in which the
 * smaller of the two is accurate: a quantile in the upper tail is found from
 * q, never from 1 - p, which would have lost it to rounding.
 */

typedef double (*cp_cdf_fn)(double x, double a, double b);

static uint64_t cp_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double cp_from_bits(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The x in [lo, hi] (lo >= 0) where the monotone cdf(x; a, b) crosses t,
 * resolved to adjacent doubles by bisecting the bit patterns, which order
 * non-negative doubles as their values: at most 64 steps however many
 * orders of magnitude [lo, hi] spans.  rising: cdf increases with x. */
static double cp_bisect(cp_cdf_fn cdf, double a, double b, double t, bool rising, double lo,
                        double hi)
{
    uint64_t ulo = cp_bits(lo), uhi = cp_bits(hi);
    while (uhi - ulo > 1) {
        const uint64_t umid = ulo + (uhi - ulo) / 2;
        const double f = cdf(cp_from_bits(umid), a, b);
        if (rising ? f < t : f > t)
            ulo = umid;
        else
            uhi = umid;
    }
    return cp_from_bits(rising ? uhi : ulo);
}

/* GSL's answer if the CDF confirms it, else bisection.  GSL's beta and
 * gamma inversions fail for small shapes, by NaN or, worse, silently (the
 * gamma Qinv at shape 0.01 is off by a third); one CDF evaluation catches
 * both. */
static double cp_checked_inverse(double x, cp_cdf_fn cdf, double a, double b, double t, bool rising,
                                 double hi)
{
    if (x >= 0 && x <= hi) {
        const double f = cdf(x, a, b);
        if (fabs(f - t) <= 1e-10 * t)
            return x;
    }
    return cp_bisect(cdf, a, b, t, rising, 0.0, hi);
}

/* Each tail is inverted in its own terms: the upper one from
 * gsl_cdf_beta_Q, not as 1 - (lower quantile of Beta(b, a)), which would
 * round a quantile near 0 (Beta(0.001, 5) has its 0.9 quantile near 1e-46)
 * to 1 - 1 = 0. */
static double cp_beta_quantile(double p, double q, double a, double b)
{
    if (p <= 0)
        return 0;
    if (q <= 0)
        return 1;
    if (p <= q)
        return cp_checked_inverse(gsl_cdf_beta_Pinv(p, a, b), gsl_cdf_beta_P, a, b, p, true, 1.0);
    return cp_checked_inverse(gsl_cdf_beta_Qinv(q, a, b), gsl_cdf_beta_Q, a, b, q, false, 1.0);
}

static double cp_gamma_quantile(double p, double q, double shape, double scale)
{
    if (p <= 0)
        return 0;
    if (q <= 0)
        return INFINITY;
    if (p <= q)
        return scale * cp_checked_inverse(gsl_cdf_gamma_Pinv(p, shape, 1.0), gsl_cdf_gamma_P, shape,
                                          1.0, p, true, DBL_MAX);
    return scale * cp_checked_inverse(gsl_cdf_gamma_Qinv(q, shape, 1.0), gsl_cdf_gamma_Q, shape,
                                      1.0, q, false, DBL_MAX);
}

static double cp_std_normal_quantile(double p, double q)
{
    return p <= q ? gsl_cdf_ugaussian_Pinv(p) : gsl_cdf_ugaussian_Qinv(q);
}

static double cp_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Phi(be) - Phi(al), taken from the tail the interval lies in. */
static double cp_tn_mass(double al, double be)
{
    if (al >= 0)
        return gsl_cdf_ugaussian_Q(al) - gsl_cdf_ugaussian_Q(be);
    if (be <= 0)
        return gsl_cdf_ugaussian_P(be) - gsl_cdf_ugaussian_P(al);
    return 1.0 - gsl_cdf_ugaussian_P(al) - gsl_cdf_ugaussian_Q(be);
}

static double cp_log_normal_Q(double x)
{
    return gsl_sf_log_erfc(x / M_SQRT2) - M_LN2;
}

/* x with log Q(x) = lq, for lq so small that Q(x) itself underflows
 * (x > 37).  Newton on log Q, which is concave and decreasing: started
 * from sqrt(-2 lq), beyond the root, the iterates approach it from above. */
static double cp_normal_Qinv_log(double lq)
{
    if (isinf(lq))
        return INFINITY;
    double x = sqrt(-2.0 * lq);
    for (int i = 0; i < 100; i++) {
        const double lqx = cp_log_normal_Q(x);
        const double slope = -exp(-0.5 * x * x - 0.5 * log(2 * M_PI) - lqx); /* -phi / Q */
        const double step = (lqx - lq) / slope;
        x -= step;
        if (!(fabs(step) > 4 * DBL_EPSILON * x))
            break;
    }
    return x;
}

/* x with Q(x) = Q(be) + m, m = w * z: the point with normal mass m between
 * it and be.  Far in the upper tail the sum can underflow even though w and
 * z do not; then it is formed as a logarithm. */
static double cp_normal_upper_point(double be, double qb, double w, double z)
{
    const double t = qb + w * z;
    if (t >= DBL_MIN)
        return gsl_cdf_ugaussian_Qinv(t);
    const double lm = log(w) + log(z), lqb = cp_log_normal_Q(be);
    const double big = fmax(lm, lqb), small = fmin(lm, lqb);
    return cp_normal_Qinv_log(big + log1p(exp(small - big)));
}

/* The standard normal restricted to [al, be] (al < be): its quantile.
 * Probabilities are taken from the tail the interval lies in, so an
 * interval far in a tail keeps its resolution; the lower tail is the upper
 * tail of -x. */
static double cp_tn_std_quantile(double al, double be, double p, double q)
{
    if (al >= 0) {
        const double qa = gsl_cdf_ugaussian_Q(al), qb = gsl_cdf_ugaussian_Q(be), z = qa - qb;
        if (p <= q)
            return gsl_cdf_ugaussian_Qinv(qa - p * z);
        return cp_normal_upper_point(be, qb, q, z);
    }
    if (be <= 0) {
        const double pa = gsl_cdf_ugaussian_P(al), pb = gsl_cdf_ugaussian_P(be), z = pb - pa;
        if (q < p)
            return gsl_cdf_ugaussian_Pinv(pb - q * z);
        return -cp_normal_upper_point(-al, pa, p, z);
    }
    const double pa = gsl_cdf_ugaussian_P(al), qb = gsl_cdf_ugaussian_Q(be);
    const double z = 1.0 - pa - qb;
    if (pa + p * z <= 0.5)
        return -cp_normal_upper_point(-al, pa, p, z);
    return cp_normal_upper_point(be, qb, q, z);
}

/* The distance from a bound of the standard normal to the point with mass m
 * between them, when that distance d is tiny: from
 * m = phi(b) (d - s b d^2 / 2 + O(d^3)), s = +1 at a lower bound, -1 at an
 * upper one.  Computing it this way keeps its relative precision, which
 * Phi^-1 near the bound minus the bound would lose entirely.  NaN when d is
 * not small enough for the expansion to be exact in double precision. */
static double cp_tn_bound_offset(double b, double m, double s)
{
    const double d = m / gsl_ran_ugaussian_pdf(b);
    if (!(d * (1.0 + fabs(b)) < 1e-8))
        return NAN;
    return d + s * b * d * d / 2;
}

static double cp_tn_quantile(const double *prm, double p, double q)
{
    const double mean = prm[0], sd = prm[1], lo = prm[2], hi = prm[3];
    if (p <= 0)
        return lo;
    if (q <= 0)
        return hi;
    const double al = (lo - mean) / sd, be = (hi - mean) / sd;
    const double mass = cp_tn_mass(al, be);
    double y;
    const double d =
        p <= q ? cp_tn_bound_offset(al, p * mass, 1) : cp_tn_bound_offset(be, q * mass, -1);
    if (!isnan(d)) {
        y = p <= q ? lo + sd * d : hi - sd * d;
    } else {
        const double x = cp_tn_std_quantile(al, be, p, q);
        /* From whichever of the bounds and the mean is nearest, to keep the
         * rounding small where the quantile is pressed against a bound. */
        if (x - al < fabs(x) && x - al <= be - x)
            y = lo + sd * (x - al);
        else if (be - x < fabs(x))
            y = hi - sd * (be - x);
        else
            y = mean + sd * x;
    }
    /* Rounding may still step just outside; the support is closed. */
    return cp_clamp(y, lo, hi);
}

static double cp_triangular_quantile(const double *prm, double p, double q)
{
    const double lo = prm[0], mode = prm[1], hi = prm[2];
    if (p < (mode - lo) / (hi - lo))
        return lo + sqrt(p * (hi - lo) * (mode - lo));
    return hi - sqrt(q * (hi - lo) * (hi - mode));
}

static double cp_empirical_quantile(const cp_dist *d, double p)
{
    if (d->n_values == 0)
        return NAN;
    const double i = floor(p * (double)d->n_values);
    return d->values[i >= (double)d->n_values ? d->n_values - 1 : (size_t)i];
}

static void cp_pert_shape(const double *prm, double *a, double *b)
{
    const double w = prm[2] - prm[0];
    *a = 1.0 + 4.0 * (prm[1] - prm[0]) / w;
    *b = 1.0 + 4.0 * (prm[2] - prm[1]) / w;
}

/* F^-1 given p = F(x) and q = 1 - F(x), the smaller one accurate. */
static double cp_quantile_pq(const cp_dist *d, double p, double q)
{
    if (!(p >= 0 && p <= 1 && q >= 0 && q <= 1))
        return NAN;
    const double *prm = d->p;
    double a, b;
    switch (d->kind) {
    case CP_DIST_CONSTANT:
        return prm[0];
    case CP_DIST_NORMAL:
        return prm[0] + prm[1] * cp_std_normal_quantile(p, q);
    case CP_DIST_LOGNORMAL:
        return exp(prm[0] + prm[1] * cp_std_normal_quantile(p, q));
    case CP_DIST_TRUNCNORMAL:
        return cp_tn_quantile(prm, p, q);
    case CP_DIST_BETA:
        return cp_beta_quantile(p, q, prm[0], prm[1]);
    case CP_DIST_PERT:
        cp_pert_shape(prm, &a, &b);
        return prm[0] + (prm[2] - prm[0]) * cp_beta_quantile(p, q, a, b);
    case CP_DIST_TRIANGULAR:
        return cp_triangular_quantile(prm, p, q);
    case CP_DIST_GAMMA:
        return cp_gamma_quantile(p, q, prm[0], prm[1]);
    case CP_DIST_UNIFORM:
        /* Not gsl_cdf_flat_Qinv: its (1 - Q) b + Q a rounds Q away near the
         * top and is not monotone there. */
        return p <= q ? prm[0] + p * (prm[1] - prm[0]) : prm[1] - q * (prm[1] - prm[0]);
    case CP_DIST_EMPIRICAL:
        return cp_empirical_quantile(d, p);
    }
    return NAN;
}

double cp_dist_quantile(const cp_dist *d, double u)
{
    /* Hot path of the copula: skip the pair for the two common kinds. */
    if (d->kind == CP_DIST_NORMAL)
        return d->p[0] + d->p[1] * gsl_cdf_ugaussian_Pinv(u);
    if (d->kind == CP_DIST_LOGNORMAL)
        return exp(d->p[0] + d->p[1] * gsl_cdf_ugaussian_Pinv(u));
    return cp_quantile_pq(d, u, 1.0 - u);
}

double cp_dist_from_gaussian(const cp_dist *d, double z)
{
    switch (d->kind) {
    case CP_DIST_CONSTANT:
        return d->p[0];
    case CP_DIST_NORMAL:
        return d->p[0] + d->p[1] * z;
    case CP_DIST_LOGNORMAL:
        return exp(d->p[0] + d->p[1] * z);
    default:
        break;
    }
    if (isnan(z))
        return NAN;
    if (z < 0) {
        const double p = gsl_cdf_ugaussian_P(z);
        return cp_quantile_pq(d, p, 1.0 - p);
    }
    const double q = gsl_cdf_ugaussian_Q(z);
    return cp_quantile_pq(d, 1.0 - q, q);
}

void cp_dist_from_gaussian_n(const cp_dist *d, const double *z, double *restrict x,
                             double *restrict scratch, size_t n)
{
    if (d->kind != CP_DIST_LOGNORMAL) {
        for (size_t i = 0; i < n; i++)
            x[i] = cp_dist_from_gaussian(d, z[i]);
        return;
    }
    for (size_t i = 0; i < n; i++)
        scratch[i] = d->p[0] + d->p[1] * z[i];
    cp_math_exp_n(scratch, x, n);
}

/* ------------------------------------------------------------------------ */
/* Sampling                                                                 */

static double cp_empirical_sample(const cp_dist *d, gsl_rng *r)
{
    if (d->n_values == 0)
        return NAN;
    /* gsl_rng_uniform_int is exactly uniform but limited to the generator's
     * range; beyond it (never, in practice) fall back on the quantile. */
    if (d->n_values <= gsl_rng_max(r) - gsl_rng_min(r))
        return d->values[gsl_rng_uniform_int(r, d->n_values)];
    return cp_empirical_quantile(d, gsl_rng_uniform(r));
}

double cp_dist_sample(const cp_dist *d, gsl_rng *r)
{
    const double *prm = d->p;
    double a, b, u;
    switch (d->kind) {
    case CP_DIST_CONSTANT:
        return prm[0];
    case CP_DIST_NORMAL:
        return prm[0] + gsl_ran_gaussian_ziggurat(r, prm[1]);
    case CP_DIST_LOGNORMAL:
        return gsl_ran_lognormal(r, prm[0], prm[1]);
    case CP_DIST_TRUNCNORMAL:
        u = gsl_rng_uniform_pos(r);
        return cp_tn_quantile(prm, u, 1.0 - u);
    case CP_DIST_BETA:
        return gsl_ran_beta(r, prm[0], prm[1]);
    case CP_DIST_PERT:
        cp_pert_shape(prm, &a, &b);
        return prm[0] + (prm[2] - prm[0]) * gsl_ran_beta(r, a, b);
    case CP_DIST_TRIANGULAR:
        u = gsl_rng_uniform(r);
        return cp_triangular_quantile(prm, u, 1.0 - u);
    case CP_DIST_GAMMA:
        return gsl_ran_gamma(r, prm[0], prm[1]);
    case CP_DIST_UNIFORM:
        return gsl_ran_flat(r, prm[0], prm[1]);
    case CP_DIST_EMPIRICAL:
        return cp_empirical_sample(d, r);
    }
    return NAN;
}

/* ------------------------------------------------------------------------ */
/* Moments                                                                  */

/* x phi(x), with the limit 0 at infinite x (where inf * 0 would be NaN). */
static double cp_xphi(double x)
{
    return isinf(x) ? 0.0 : x * gsl_ran_ugaussian_pdf(x);
}

/* Mean and variance of the standard normal on [c - h, c + h] for a narrow
 * interval (h <= 1/2, |c| h <= 1), where the closed form below cancels
 * catastrophically (variance ~ h^2 / 3 out of terms ~ 1).  With x = c + h s
 * the density is proportional to exp(-c h s - h^2 s^2 / 2) on [-1, 1], whose
 * Taylor coefficients are b_n = He_n(-c) h^n / n!; integrating term by term
 * gives the moments of s.  Under the bounds above, |b_n| <= 1.5^n / n!, so
 * 30 terms are beyond double precision. */
static void cp_tn_narrow_moments(double c, double h, double *mean, double *var)
{
    double i0 = 0, i1 = 0, i2 = 0;
    double bprev = 0, b = 1; /* b_{n-1}, b_n */
    for (int n = 0; n < 30; n++) {
        if (n % 2 == 0) {
            i0 += 2.0 * b / (n + 1);
            i2 += 2.0 * b / (n + 3);
        } else {
            i1 += 2.0 * b / (n + 2);
        }
        const double bnext = (-c * h * b - h * h * bprev) / (n + 1);
        bprev = b;
        b = bnext;
    }
    const double m1 = i1 / i0, m2 = i2 / i0;
    *mean = c + h * m1;
    *var = h * h * (m2 - m1 * m1);
}

static void cp_tn_std_moments(double al, double be, double *mean, double *var)
{
    const double h = 0.5 * (be - al);
    if (h <= 0.5 && fabs(0.5 * (al + be)) * h <= 1.0) {
        cp_tn_narrow_moments(0.5 * (al + be), h, mean, var);
        return;
    }
    const double z = cp_tn_mass(al, be);
    const double r = (gsl_ran_ugaussian_pdf(al) - gsl_ran_ugaussian_pdf(be)) / z;
    *mean = r;
    *var = fmax(0.0, 1.0 + (cp_xphi(al) - cp_xphi(be)) / z - r * r);
}

static void cp_tn_moments(const double *prm, double *mean, double *var)
{
    const double m = prm[0], sd = prm[1];
    double sm, sv;
    cp_tn_std_moments((prm[2] - m) / sd, (prm[3] - m) / sd, &sm, &sv);
    *mean = cp_clamp(m + sd * sm, prm[2], prm[3]);
    *var = sd * sd * sv;
}

static double cp_empirical_mean(const cp_dist *d)
{
    return d->n_values ? gsl_stats_mean(d->values, 1, d->n_values) : NAN;
}

double cp_dist_mean(const cp_dist *d)
{
    const double *prm = d->p;
    double a, b, m, v;
    switch (d->kind) {
    case CP_DIST_CONSTANT:
        return prm[0];
    case CP_DIST_NORMAL:
        return prm[0];
    case CP_DIST_LOGNORMAL:
        return exp(prm[0] + 0.5 * prm[1] * prm[1]);
    case CP_DIST_TRUNCNORMAL:
        cp_tn_moments(prm, &m, &v);
        return m;
    case CP_DIST_BETA:
        return prm[0] / (prm[0] + prm[1]);
    case CP_DIST_PERT:
        cp_pert_shape(prm, &a, &b);
        return prm[0] + (prm[2] - prm[0]) * a / (a + b);
    case CP_DIST_TRIANGULAR:
        return (prm[0] + prm[1] + prm[2]) / 3.0;
    case CP_DIST_GAMMA:
        return prm[0] * prm[1];
    case CP_DIST_UNIFORM:
        return 0.5 * prm[0] + 0.5 * prm[1];
    case CP_DIST_EMPIRICAL:
        return cp_empirical_mean(d);
    }
    return NAN;
}

static double cp_beta_variance(double a, double b)
{
    const double s = a + b;
    return a * b / (s * s * (s + 1.0));
}

double cp_dist_variance(const cp_dist *d)
{
    const double *prm = d->p;
    double a, b, m, v;
    switch (d->kind) {
    case CP_DIST_CONSTANT:
        return 0.0;
    case CP_DIST_NORMAL:
        return prm[1] * prm[1];
    case CP_DIST_LOGNORMAL:
        return expm1(prm[1] * prm[1]) * exp(2.0 * prm[0] + prm[1] * prm[1]);
    case CP_DIST_TRUNCNORMAL:
        cp_tn_moments(prm, &m, &v);
        return v;
    case CP_DIST_BETA:
        return cp_beta_variance(prm[0], prm[1]);
    case CP_DIST_PERT:
        cp_pert_shape(prm, &a, &b);
        return (prm[2] - prm[0]) * (prm[2] - prm[0]) * cp_beta_variance(a, b);
    case CP_DIST_TRIANGULAR:
        /* (a^2 + b^2 + c^2 - ab - ac - bc) / 18, written in differences so
         * a range far from zero does not cancel. */
        a = prm[1] - prm[0];
        b = prm[2] - prm[1];
        return (a * a + b * b + (a + b) * (a + b)) / 36.0;
    case CP_DIST_GAMMA:
        return prm[0] * prm[1] * prm[1];
    case CP_DIST_UNIFORM:
        return (prm[1] - prm[0]) * (prm[1] - prm[0]) / 12.0;
    case CP_DIST_EMPIRICAL:
        return d->n_values ? gsl_stats_variance_with_fixed_mean(d->values, 1, d->n_values,
                                                                cp_empirical_mean(d))
                           : NAN;
    }
    return NAN;
}
