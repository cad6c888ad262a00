/* cp_scenario.c -- reading scenario files with inih.
 *
 * inih does not tell a handler which line it is on, so the file is fed to it
 * through a reader that counts lines; the handler runs synchronously after
 * each line is read, so the count is the line of the key being handled.
 *
 * Inheritance: a 'base' key (the first key of a file) reads the base file
 * right there, recursively, into the same scenario; the rest of the file is
 * then applied on top.  Per-file state (the open file, line, section) is
 * saved around the recursion; which keys a file has given is tracked per
 * file ("here"), so a child may give a key its base gave but not twice
 * itself.  Every value remembers the file that set it, so later errors point
 * at that file.
 *
 * The sections that change the graph ([param], [series], [node], [edge])
 * are read in cp_scenario_graph.c; cp_scenario_parse.h is what the two
 * files share (the parser's state and its error reporting).
 */
#include "cp_csv.h"
#include "cp_period.h"
#include "cp_scenario_parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <ini.h>

/* The keys each section accepts, in a fixed order: a key's position is its
 * bit in the section's "seen" mask. */
static const char *const scenario_keys[] = {"name", "description", "inputs", "start",
                                            "end",  "base",        NULL};
enum { SCENARIO_KEY_END = 4, SCENARIO_KEY_BASE = 5 };
static const char *const option_keys[] = {"cost_usd", "note", "source", NULL};
static const char *const shock_keys[] = {"distribution", "time",   "rho", "targets",
                                         "note",         "source", NULL};
static const char *const event_keys[] = {"probability",
                                         "duration",
                                         "severity",
                                         "targets",
                                         "note",
                                         "source",
                                         "once",
                                         "start",
                                         "recovery",
                                         "lasting",
                                         "lasting_probability",
                                         "exposure",
                                         NULL};
enum { EVENT_KEY_PROBABILITY = 0, EVENT_KEY_ONCE = 6, EVENT_KEY_START = 7 };

/* ---- errors and warnings ---------------------------------------------- */

/* Keeps the first error only: later ones are often its consequences. */
int cp_scenario_fail(parse_ctx *c, const char *fmt, ...)
{
    if (c->failed)
        return 0;
    char msg[CP_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *path = c->sc->n_files ? c->sc->files[c->cur_file] : c->sc->path;
    cp_err_set(c->err, CP_EINVAL, "%s:%ld: %s", path, c->line, msg);
    c->failed = 1;
    return 0;
}

/* For a mistake in a [section] header itself. */
int cp_scenario_fail_at_header(parse_ctx *c, const char *fmt, ...)
{
    char msg[CP_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->line = c->section_line;
    return cp_scenario_fail(c, "%s", msg);
}

static void warn(cp_scenario *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(cp_scenario *sc, const char *fmt, ...)
{
    char msg[CP_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char **grown = realloc(sc->warnings, (sc->n_warnings + 1) * sizeof *grown);
    if (!grown)
        return; /* a lost warning is not worth failing a run for */
    sc->warnings = grown;
    sc->warnings[sc->n_warnings] = strdup(msg);
    if (sc->warnings[sc->n_warnings])
        sc->n_warnings++;
}

/* ---- the line reader -------------------------------------------------- */

static char *read_line(char *str, int num, void *stream)
{
    parse_ctx *c = stream;
    if (c->overlong_line || !fgets(c->buf, sizeof c->buf, c->file))
        return NULL;
    c->line++;
    size_t len = strlen(c->buf);
    int complete = len > 0 && c->buf[len - 1] == '\n';
    if ((!complete && !feof(c->file)) || len >= (size_t)num) {
        c->overlong_line = c->line;
        return NULL;
    }
    const char *p = c->buf;
    while (*p == ' ' || *p == '\t')
        p++;
    c->indented = p != c->buf && *p && *p != '\n' && *p != '\r' && *p != ';' && *p != '#';
    if (*p == '[')
        c->section_line = c->line;
    memcpy(str, c->buf, len + 1);
    return str;
}

/* ---- small parsers ---------------------------------------------------- */

int cp_scenario_parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return 0;
    for (const char *p = s; *p; p++)
        if (*p == 'x' || *p == 'X')
            return 0; /* hex floats are never what a scenario means */
    *out = v;
    return 1;
}

static int key_index(const char *const *keys, const char *name)
{
    for (int i = 0; keys[i]; i++)
        if (strcmp(keys[i], name) == 0)
            return i;
    return -1;
}

static void list_keys(const char *const *keys, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int i = 0; keys[i]; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", keys[i]);
    }
}

/* Marks a key as seen in the current section; fails on the second time. */
int cp_scenario_mark_key(parse_ctx *c, const char *const *keys, key_marks *m, const char *name,
                         const char *section)
{
    int k = key_index(keys, name);
    if (k < 0) {
        char known[256];
        list_keys(keys, known, sizeof known);
        return cp_scenario_fail(c, "[%s]: unknown key '%s' (known: %s)", section, name, known);
    }
    if (m->here & (1u << k))
        return cp_scenario_fail(c, "[%s]: key '%s' given twice (first on line %ld)", section, name,
                                m->line[k]);
    m->seen |= 1u << k;
    m->here |= 1u << k;
    m->line[k] = c->line;
    m->file[k] = c->cur_file;
    c->keys_here++;
    return 1;
}

static int parse_targets(parse_ctx *c, const char *value, cp_target *targets, size_t *n,
                         const char *section)
{
    char copy[CP_TEXT_MAX];
    snprintf(copy, sizeof copy, "%s", value);
    *n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (*n == CP_TARGETS_MAX)
            return cp_scenario_fail(c, "[%s]: more than %d targets", section, CP_TARGETS_MAX);
        cp_target *t = &targets[*n];
        char *dot = strchr(tok, '.');
        if (dot)
            *dot = '\0';
        if (!cp_name_valid(tok) || (dot && !cp_name_valid(dot + 1)))
            return cp_scenario_fail(c,
                                    "[%s]: key 'targets': '%s%s%s' is not a node or node.parameter",
                                    section, tok, dot ? "." : "", dot ? dot + 1 : "");
        snprintf(t->node, sizeof t->node, "%s", tok);
        snprintf(t->param, sizeof t->param, "%s", dot ? dot + 1 : "");
        (*n)++;
    }
    if (*n == 0)
        return cp_scenario_fail(c, "[%s]: key 'targets' is empty", section);
    return 1;
}

/* Drops "." components and folds "DIR/.." into nothing, in place, so that
 * manifests and messages name "inputs/nodes.csv", not
 * "scenarios/../inputs/nodes.csv".  Only where DIR is a directory and not a
 * symbolic link: through a link, DIR/.. is the parent of the link's target,
 * which the shorter path would not name. */
static void tidy_path(char *path)
{
    char tidy[CP_PATH_MAX];
    const size_t root = path[0] == '/';
    size_t n = root; /* tidy[0 .. n) so far, each component followed by '/' */
    tidy[0] = '/';
    for (const char *in = path + root; *in;) {
        const size_t len = strcspn(in, "/");
        size_t last = n > root ? n - 1 : n; /* where the last component written begins */
        while (last > root && tidy[last - 1] != '/')
            last--;
        if (len == 2 && in[0] == '.' && in[1] == '.' && n > root &&
            strncmp(tidy + last, "../", 3) != 0) {
            struct stat st;
            tidy[n - 1] = '\0'; /* the path to the last component, to look at it */
            const int fold = lstat(tidy, &st) == 0 && S_ISDIR(st.st_mode);
            tidy[n - 1] = '/';
            if (fold) {
                n = last;
                in += len + (in[len] == '/');
                continue;
            }
        }
        if (len && !(len == 1 && in[0] == '.') && n + len + 1 < sizeof tidy) {
            memcpy(tidy + n, in, len);
            n += len;
            tidy[n++] = '/';
        }
        in += len + (in[len] == '/');
    }
    if (n > root)
        n--; /* the last '/' */
    tidy[n] = '\0';
    strcpy(path, n ? tidy : ".");
}

/* Resolves rel against the directory of the file being read, tidied; 0 if
 * it does not fit in cap. */
static int relative_to_file(parse_ctx *c, const char *rel, char *out, size_t cap)
{
    const char *here = c->sc->files[c->cur_file];
    const char *slash = strrchr(here, '/');
    int len = rel[0] == '/' || !slash
                  ? snprintf(out, cap, "%s", rel)
                  : snprintf(out, cap, "%.*s/%s", (int)(slash - here), here, rel);
    if (len < 0 || (size_t)len >= cap)
        return 0;
    tidy_path(out);
    return 1;
}

static int load_empirical(parse_ctx *c, cp_dist *d)
{
    char path[CP_PATH_MAX];
    if (!relative_to_file(c, d->file, path, sizeof path))
        return cp_scenario_fail(c, "empirical distribution: the file path is too long");
    cp_table t = {0};
    cp_err e;
    int rc = cp_table_read(path, &t, &e);
    int col = rc ? -1 : cp_table_column(&t, d->column);
    if (!rc && col < 0)
        rc = cp_err_set(&e, CP_EINVAL, "%s: no column '%s'", path, d->column);
    double *values = rc ? NULL : malloc((t.n_rows ? t.n_rows : 1) * sizeof *values);
    if (!rc && !values)
        rc = cp_err_set(&e, CP_ENOMEM, "out of memory");
    for (size_t r = 0; !rc && r < t.n_rows; r++)
        rc = cp_table_double(&t, r, col, &values[r], &e);
    if (!rc)
        rc = cp_dist_set_empirical(d, values, t.n_rows, &e);
    free(values);
    cp_table_free(&t);
    if (rc)
        return cp_scenario_fail(c, "empirical distribution: %s", e.msg);
    cp_scenario *sc = c->sc;
    for (size_t i = 0; i < sc->n_data_files; i++)
        if (strcmp(sc->data_files[i], path) == 0)
            return 1;
    char(*grown)[CP_PATH_MAX] = realloc(sc->data_files, (sc->n_data_files + 1) * sizeof *grown);
    if (!grown)
        return cp_scenario_fail(c, "out of memory");
    sc->data_files = grown;
    snprintf(sc->data_files[sc->n_data_files++], CP_PATH_MAX, "%s", path);
    return 1;
}

static int parse_dist(parse_ctx *c, const char *value, cp_dist *d, const char *section,
                      const char *key)
{
    cp_err e;
    cp_dist_free(d); /* a child replacing its base's distribution */
    if (cp_dist_parse(value, d, &e))
        return cp_scenario_fail(c, "[%s]: key '%s': %s", section, key, e.msg);
    if (d->kind == CP_DIST_EMPIRICAL)
        return load_empirical(c, d);
    return 1;
}

/* ---- sections --------------------------------------------------------- */

static int parse_file(parse_ctx *c, const char *path);

/* The same file, by device and inode (one file may be named by two
 * paths); by name when either cannot be looked at. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return strcmp(a, b) == 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Whether sc was read from path: its own file or one of its bases. */
static int reads(const cp_scenario *sc, const char *path)
{
    for (size_t i = 0; i < sc->n_files; i++)
        if (same_file(sc->files[i], path))
            return 1;
    return 0;
}

/* Reads one base of the file being read.  A base in the chain of files
 * being read is a loop; a base already read through another base (two
 * options that both build on the baseline) is not read again, or its keys
 * would undo the first base's changes to it. */
static int read_base(parse_ctx *c, const char *value)
{
    cp_scenario *sc = c->sc;
    char path[CP_PATH_MAX];
    if (!value[0] || !relative_to_file(c, value, path, sizeof path))
        return cp_scenario_fail(c, "[scenario]: key 'base': '%s' is not a usable path", value);
    if (access(path, R_OK) != 0)
        return cp_scenario_fail(c, "[scenario]: key 'base': cannot read '%s': %s", path,
                                strerror(errno));
    /* The same file under another path is found by device and inode. */
    for (int i = 0; i <= c->depth; i++) {
        if (!same_file(sc->files[c->chain[i]], path))
            continue;
        char chain[CP_ERR_MSG_MAX / 2] = "";
        for (int k = i; k <= c->depth; k++) {
            size_t used = strlen(chain);
            snprintf(chain + used, sizeof chain - used, "%.100s -> ", sc->files[c->chain[k]]);
        }
        size_t used = strlen(chain);
        snprintf(chain + used, sizeof chain - used, "%.100s", path);
        return cp_scenario_fail(c, "[scenario]: key 'base': a loop of base scenarios: %s", chain);
    }
    if (reads(sc, path))
        return 1;
    if (c->depth == CP_BASE_DEPTH)
        return cp_scenario_fail(c, "[scenario]: key 'base': more than %d nested base scenarios",
                                CP_BASE_DEPTH);
    /* The child's own marks for [scenario] survive the base's reading. */
    unsigned here = c->scenario_marks.here;
    int ok = parse_file(c, path);
    c->scenario_marks.here = here;
    return ok;
}

/* base = a.ini[, b.ini ...]: the bases are read in order, each applied on
 * top of the ones before, and the file's own keys on top of them all. */
static int handle_base(parse_ctx *c, const char *value)
{
    if (c->keys_here != 1)
        return cp_scenario_fail(
            c, "[scenario]: key 'base' must be the first key of the file (the base is "
               "read first and the file's keys applied on top)");
    char list[CP_TEXT_MAX];
    snprintf(list, sizeof list, "%s", value);
    char *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
        while (isspace((unsigned char)*tok))
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (!read_base(c, tok))
            return 0;
    }
    if (n == 0 || value[strlen(value) - 1] == ',')
        return cp_scenario_fail(c, "[scenario]: key 'base': '%s' is not a list of scenario files",
                                value);
    return 1;
}

static int handle_scenario(parse_ctx *c, const char *name, const char *value)
{
    cp_scenario *sc = c->sc;
    if (!cp_scenario_mark_key(c, scenario_keys, &c->scenario_marks, name, "scenario"))
        return 0;
    cp_err e;
    if (strcmp(name, "base") == 0)
        return handle_base(c, value);
    if (strcmp(name, "name") == 0) {
        if (!cp_name_valid(value))
            return cp_scenario_fail(
                c,
                "[scenario]: key 'name': '%s' is not a valid name (letters, digits, "
                "_ and -)",
                value);
        /* A scenario is named by its own file, never by its base's: two
         * scenarios sharing a name would share an output directory. */
        if (c->depth == 0)
            snprintf(sc->name, sizeof sc->name, "%s", value);
    } else if (strcmp(name, "description") == 0) {
        snprintf(sc->description, sizeof sc->description, "%s", value);
    } else if (strcmp(name, "inputs") == 0) {
        /* Relative to the file that says it, which may be a base elsewhere. */
        if (!relative_to_file(c, value, c->inputs_raw, sizeof c->inputs_raw))
            return cp_scenario_fail(c, "[scenario]: the inputs path is too long");
    } else if (strcmp(name, "start") == 0 || strcmp(name, "end") == 0) {
        int *dst = name[0] == 's' ? &sc->start : &sc->end;
        if (cp_period_parse(value, dst, &e))
            return cp_scenario_fail(c, "[scenario]: key '%s': %s", name, e.msg);
    }
    return 1;
}

static int handle_shock(parse_ctx *c, cp_shock *s, const char *name, const char *value,
                        const char *section)
{
    if (!cp_scenario_mark_key(c, shock_keys, c->cur_marks, name, section))
        return 0;
    if (strcmp(name, "distribution") == 0)
        return parse_dist(c, value, &s->dist, section, name);
    if (strcmp(name, "time") == 0) {
        for (int k = CP_TIME_ONCE; k <= CP_TIME_TREND; k++)
            if (strcmp(value, cp_scenario_time_name((cp_time_kind)k)) == 0) {
                s->time = (cp_time_kind)k;
                return 1;
            }
        return cp_scenario_fail(c,
                                "[%s]: key 'time': '%s' is not a time structure (known: once, "
                                "quarterly, ar1, trend)",
                                section, value);
    }
    if (strcmp(name, "rho") == 0) {
        if (!cp_scenario_parse_number(value, &s->rho))
            return cp_scenario_fail(c, "[%s]: key 'rho': '%s' is not a number", section, value);
        if (!(s->rho > -1 && s->rho < 1))
            return cp_scenario_fail(c, "[%s]: key 'rho': must be in (-1, 1) (got %g)", section,
                                    s->rho);
        return 1;
    }
    if (strcmp(name, "targets") == 0) {
        s->targets_line = c->line;
        s->targets_file = c->cur_file;
        return parse_targets(c, value, s->targets, &s->n_targets, section);
    }
    return 1; /* note, source: documentation only */
}

/* exposure = TARGET:SHARE, ...: the share of the event's loss a target
 * takes (a Taiwan blockade stops all of Taiwan's wafers, but only the part
 * of HBM whose base dies are made there). */
static int parse_exposure(parse_ctx *c, cp_event *ev, const char *value, const char *section)
{
    char copy[CP_TEXT_MAX];
    snprintf(copy, sizeof copy, "%s", value);
    ev->n_exposed = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon)
            return cp_scenario_fail(c, "[%s]: key 'exposure': '%s' should be TARGET:SHARE", section,
                                    tok);
        *colon = '\0';
        double share;
        if (!cp_scenario_parse_number(colon + 1, &share) || !(share >= 0 && share <= 1))
            return cp_scenario_fail(c, "[%s]: key 'exposure': '%s' is not a share in [0, 1]",
                                    section, colon + 1);
        size_t n = 0;
        cp_target t[CP_TARGETS_MAX];
        if (!parse_targets(c, tok, t, &n, section))
            return 0;
        if (ev->n_exposed == CP_TARGETS_MAX)
            return cp_scenario_fail(c, "[%s]: key 'exposure': more than %d targets", section,
                                    CP_TARGETS_MAX);
        ev->exposed[ev->n_exposed] = t[0];
        ev->exposed_share[ev->n_exposed++] = share;
    }
    if (ev->n_exposed == 0)
        return cp_scenario_fail(c, "[%s]: key 'exposure' is empty", section);
    return 1;
}

static int handle_event(parse_ctx *c, cp_event *ev, const char *name, const char *value,
                        const char *section)
{
    if (!cp_scenario_mark_key(c, event_keys, c->cur_marks, name, section))
        return 0;
    if (strcmp(name, "probability") == 0) {
        if (!cp_scenario_parse_number(value, &ev->probability))
            return cp_scenario_fail(c, "[%s]: key 'probability': '%s' is not a number", section,
                                    value);
        if (!(ev->probability >= 0 && ev->probability <= 1))
            return cp_scenario_fail(c, "[%s]: key 'probability': must be in [0, 1] (got %g)",
                                    section, ev->probability);
        return 1;
    }
    if (strcmp(name, "duration") == 0)
        return parse_dist(c, value, &ev->duration, section, name);
    if (strcmp(name, "severity") == 0)
        return parse_dist(c, value, &ev->severity, section, name);
    if (strcmp(name, "once") == 0) {
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
            ev->once = value[0] == 't';
            return 1;
        }
        return cp_scenario_fail(c, "[%s]: key 'once': '%s' is not true or false", section, value);
    }
    if (strcmp(name, "start") == 0) {
        cp_err e;
        if (cp_period_parse(value, &ev->start, &e))
            return cp_scenario_fail(c, "[%s]: key 'start': %s", section, e.msg);
        return 1;
    }
    if (strcmp(name, "recovery") == 0) {
        ev->has_recovery = 1;
        return parse_dist(c, value, &ev->recovery, section, name);
    }
    if (strcmp(name, "lasting") == 0) {
        ev->has_lasting = 1;
        return parse_dist(c, value, &ev->lasting, section, name);
    }
    if (strcmp(name, "exposure") == 0)
        return parse_exposure(c, ev, value, section);
    if (strcmp(name, "lasting_probability") == 0) {
        if (!cp_scenario_parse_number(value, &ev->lasting_probability) ||
            !(ev->lasting_probability >= 0 && ev->lasting_probability <= 1))
            return cp_scenario_fail(
                c, "[%s]: key 'lasting_probability': '%s' is not a number in [0, 1]", section,
                value);
        return 1;
    }
    if (strcmp(name, "targets") == 0) {
        ev->targets_line = c->line;
        ev->targets_file = c->cur_file;
        return parse_targets(c, value, ev->targets, &ev->n_targets, section);
    }
    return 1;
}

static int handle_option(parse_ctx *c, const char *name, const char *value)
{
    if (!cp_scenario_mark_key(c, option_keys, &c->option_marks, name, "option"))
        return 0;
    if (strcmp(name, "cost_usd") == 0) {
        double v;
        if (!cp_scenario_parse_number(value, &v) || !(v >= 0))
            return cp_scenario_fail(c, "[option]: key 'cost_usd': '%s' is not a number >= 0",
                                    value);
        c->sc->cost_usd = v;
        c->sc->cost_file = c->cur_file;
    }
    return 1; /* note, source: documentation only */
}

static int handle_correlation(parse_ctx *c, const char *name, const char *value)
{
    char copy[2 * CP_NAME_MAX + 8];
    snprintf(copy, sizeof copy, "%s", name);
    char *comma = strchr(copy, ',');
    if (!comma)
        return cp_scenario_fail(c, "[correlation]: '%s' should name two shocks as 'a, b = r'",
                                name);
    *comma = '\0';
    char *a = copy, *b = comma + 1;
    while (isspace((unsigned char)*b))
        b++;
    char *end = a + strlen(a);
    while (end > a && isspace((unsigned char)end[-1]))
        *--end = '\0';
    if (!cp_name_valid(a) || !cp_name_valid(b))
        return cp_scenario_fail(c, "[correlation]: '%s' should name two shocks as 'a, b = r'",
                                name);
    double r;
    if (!cp_scenario_parse_number(value, &r))
        return cp_scenario_fail(c, "[correlation]: '%s': '%s' is not a number", name, value);
    if (!(r >= -1 && r <= 1))
        return cp_scenario_fail(c, "[correlation]: '%s': a correlation must be in [-1, 1] (got %g)",
                                name, r);
    corr_pair *grown = realloc(c->pairs, (c->n_pairs + 1) * sizeof *grown);
    if (!grown)
        return cp_scenario_fail(c, "out of memory");
    c->pairs = grown;
    corr_pair *p = &c->pairs[c->n_pairs++];
    /* cp_name_valid() bounded both names to CP_NAME_MAX - 1 characters. */
    memcpy(p->a, a, strlen(a) + 1);
    memcpy(p->b, b, strlen(b) + 1);
    p->r = r;
    p->line = c->line;
    p->file = c->cur_file;
    return 1;
}

/* Finds or appends a shock or event named name.  A second [shock X] header
 * for the same X is an error, not a merge. */
static void *enter_item(parse_ctx *c, int is_shock, const char *item, const char *section)
{
    cp_scenario *sc = c->sc;
    size_t n = is_shock ? sc->n_shocks : sc->n_events;
    for (size_t i = 0; i < n; i++) {
        const char *nm = is_shock ? sc->shocks[i].name : sc->events[i].name;
        if (strcmp(nm, item) != 0)
            continue;
        key_marks *m = is_shock ? &c->shock_marks[i] : &c->event_marks[i];
        if (m->header_file == c->cur_file && m->header_line != c->section_line) {
            cp_scenario_fail_at_header(c, "[%s] appears twice (first on line %ld)", section,
                                       m->header_line);
            return NULL;
        }
        if (m->header_file != c->cur_file) {
            /* A child overriding its base's section: its keys replace. */
            m->header_file = c->cur_file;
            m->header_line = c->section_line;
            m->here = 0;
        }
        c->cur_marks = m;
        return is_shock ? (void *)&sc->shocks[i] : (void *)&sc->events[i];
    }
    key_marks **marks = is_shock ? &c->shock_marks : &c->event_marks;
    key_marks *grown_marks = realloc(*marks, (n + 1) * sizeof **marks);
    if (!grown_marks) {
        cp_scenario_fail(c, "out of memory");
        return NULL;
    }
    *marks = grown_marks;
    memset(&grown_marks[n], 0, sizeof grown_marks[n]);
    grown_marks[n].header_file = c->cur_file;
    grown_marks[n].header_line = c->section_line;
    c->cur_marks = &grown_marks[n];
    size_t size = is_shock ? sizeof(cp_shock) : sizeof(cp_event);
    void **arr = is_shock ? (void **)&sc->shocks : (void **)&sc->events;
    void *grown = realloc(*arr, (n + 1) * size);
    if (!grown) {
        cp_scenario_fail(c, "out of memory");
        return NULL;
    }
    *arr = grown;
    void *slot = (char *)grown + n * size;
    memset(slot, 0, size);
    if (is_shock) {
        cp_shock *s = slot;
        snprintf(s->name, sizeof s->name, "%s", item);
        s->line = c->section_line;
        s->file = c->cur_file;
        s->time = CP_TIME_QUARTERLY;
        sc->n_shocks++;
    } else {
        cp_event *e = slot;
        snprintf(e->name, sizeof e->name, "%s", item);
        e->start = -1;
        e->lasting_probability = 1;
        e->line = c->section_line;
        e->file = c->cur_file;
        sc->n_events++;
    }
    return slot;
}

static int enter_section(parse_ctx *c, const char *section)
{
    if (!section[0])
        return cp_scenario_fail(c, "a key comes before any [section]");
    c->sec_header = c->section_line;
    c->section_overrides = c->sc->n_overrides;
    c->cur = NULL;
    c->cur_marks = NULL;
    if (strcmp(section, "scenario") == 0) {
        c->sec = SEC_SCENARIO;
        return 1;
    }
    if (strcmp(section, "correlation") == 0) {
        c->sec = SEC_CORR;
        return 1;
    }
    if (strcmp(section, "option") == 0) {
        c->sec = SEC_OPTION;
        return 1;
    }
    const int graph = cp_scenario_graph_enter(c, section);
    if (graph >= 0)
        return graph;
    int is_shock = strncmp(section, "shock ", 6) == 0;
    int is_event = strncmp(section, "event ", 6) == 0;
    if (!is_shock && !is_event) {
        return cp_scenario_fail_at_header(
            c,
            "unknown section [%s] (known: [scenario], [shock NAME], [event NAME], "
            "[correlation], [option], [param NODE], [series NODE], [node NODE], "
            "[edge FROM -> TO])",
            section);
    }
    const char *item = section + 6;
    while (*item == ' ')
        item++;
    if (!cp_name_valid(item)) {
        return cp_scenario_fail_at_header(
            c, "[%s]: '%s' is not a valid %s name (letters, digits, _ and -)", section, item,
            is_shock ? "shock" : "event");
    }
    c->sec = is_shock ? SEC_SHOCK : SEC_EVENT;
    c->cur = enter_item(c, is_shock, item, section);
    return c->cur != NULL;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse_ctx *c = user;
    if (c->failed)
        return 0;
    if (c->indented)
        return cp_scenario_fail(
            c, "an indented line continues the previous value; multi-line values are "
               "not supported (remove the indentation)");
    if (c->sec == SEC_NONE || c->sec_header != c->section_line)
        if (!enter_section(c, section))
            return 0;
    switch (c->sec) {
    case SEC_SCENARIO:
        return handle_scenario(c, name, value);
    case SEC_SHOCK:
        return handle_shock(c, c->cur, name, value, section);
    case SEC_EVENT:
        return handle_event(c, c->cur, name, value, section);
    case SEC_CORR:
        return handle_correlation(c, name, value);
    case SEC_OPTION:
        return handle_option(c, name, value);
    default: /* [param], [series], [node], [edge] */
        return cp_scenario_graph_key(c, name, value, section);
    }
}

/* ---- checks after reading --------------------------------------------- */

/* An event on a date happens at most once, inside the horizon; each
 * exposure names one of its targets; a lasting probability needs a lasting
 * share. */
static int check_event_keys(parse_ctx *c, cp_event *e, const key_marks *marks)
{
    const int said_once = (marks->seen >> EVENT_KEY_ONCE) & 1u;
    if (e->start >= 0) {
        if (said_once && !e->once)
            return cp_scenario_fail(
                c,
                "[event %s]: once = false contradicts start (an event on a date "
                "happens at most once)",
                e->name);
        e->once = 1;
        if (e->start < c->sc->start || e->start > c->sc->end) {
            char a[16], b[16], d[16];
            cp_period_format(e->start, d, sizeof d);
            cp_period_format(c->sc->start, a, sizeof a);
            cp_period_format(c->sc->end, b, sizeof b);
            return cp_scenario_fail(c, "[event %s]: start %s is outside the horizon %s to %s",
                                    e->name, d, a, b);
        }
    }
    for (size_t k = 0; k < e->n_targets; k++)
        e->exposure[k] = 1.0;
    for (size_t j = 0; j < e->n_exposed; j++) {
        const cp_target *x = &e->exposed[j];
        size_t k = 0;
        while (k < e->n_targets && !(strcmp(e->targets[k].node, x->node) == 0 &&
                                     strcmp(e->targets[k].param, x->param) == 0))
            k++;
        if (k == e->n_targets)
            return cp_scenario_fail(
                c, "[event %s]: key 'exposure': '%s%s%s' is not one of its targets", e->name,
                x->node, x->param[0] ? "." : "", x->param);
        e->exposure[k] = e->exposed_share[j];
    }
    if (e->lasting_probability != 1 && !e->has_lasting)
        return cp_scenario_fail(
            c,
            "[event %s]: key 'lasting_probability' needs a key 'lasting' (the share "
            "of the loss that is never recovered)",
            e->name);
    return 1;
}

static int check_items(parse_ctx *c)
{
    cp_scenario *sc = c->sc;
    for (size_t i = 0; i < sc->n_shocks; i++) {
        cp_shock *s = &sc->shocks[i];
        c->line = c->shock_marks[i].header_line;
        c->cur_file = c->shock_marks[i].header_file;
        if (!s->n_targets)
            return cp_scenario_fail(c, "[shock %s]: key 'targets' is required", s->name);
        if (s->time == CP_TIME_AR1 && !(s->rho > -1 && s->rho < 1 && s->rho != 0))
            return cp_scenario_fail(c, "[shock %s]: time = ar1 needs a key 'rho' in (-1, 1), not 0",
                                    s->name);
        if (s->time != CP_TIME_AR1 && s->rho != 0)
            return cp_scenario_fail(c, "[shock %s]: key 'rho' only applies to time = ar1", s->name);
        if (s->time == CP_TIME_TREND && s->dist.kind != CP_DIST_LOGNORMAL)
            return cp_scenario_fail(
                c,
                "[shock %s]: time = trend needs a lognormal distribution (of the "
                "multiplier after one year, whose log then grows in proportion to time)",
                s->name);
        if (s->dist.kind == CP_DIST_NORMAL)
            warn(sc,
                 "%s:%ld: [shock %s]: a normal multiplier can fall below 0, where it is "
                 "clamped to 0; truncnormal or lognormal avoid that",
                 sc->files[c->cur_file], c->line, s->name);
    }
    for (size_t i = 0; i < sc->n_events; i++) {
        cp_event *e = &sc->events[i];
        c->line = c->event_marks[i].header_line;
        c->cur_file = c->event_marks[i].header_file;
        if (!e->n_targets)
            return cp_scenario_fail(c, "[event %s]: key 'targets' is required", e->name);
        if (!check_event_keys(c, e, &c->event_marks[i]))
            return 0;
    }
    return 1;
}

/* A shock section must have had a distribution and a time, an event its
 * probability, duration and severity. */
static int check_required(parse_ctx *c)
{
    cp_scenario *sc = c->sc;
    for (size_t i = 0; i < sc->n_shocks; i++) {
        c->line = c->shock_marks[i].header_line;
        c->cur_file = c->shock_marks[i].header_file;
        if (!(c->shock_marks[i].seen & 1u))
            return cp_scenario_fail(c, "[shock %s]: key 'distribution' is required",
                                    sc->shocks[i].name);
        if (!(c->shock_marks[i].seen & 2u))
            return cp_scenario_fail(
                c, "[shock %s]: key 'time' is required (once, quarterly, ar1 or trend)",
                sc->shocks[i].name);
    }
    for (size_t i = 0; i < sc->n_events; i++) {
        c->line = c->event_marks[i].header_line;
        c->cur_file = c->event_marks[i].header_file;
        /* An event on a date may leave its probability out: it then happens. */
        const unsigned dated = (c->event_marks[i].seen >> EVENT_KEY_START) & 1u;
        if (dated && !(c->event_marks[i].seen & (1u << EVENT_KEY_PROBABILITY)))
            sc->events[i].probability = 1;
        for (int k = dated ? 1 : 0; k < 3; k++)
            if (!(c->event_marks[i].seen & (1u << k)))
                return cp_scenario_fail(c, "[event %s]: key '%s' is required", sc->events[i].name,
                                        event_keys[k]);
    }
    return cp_scenario_graph_check_required(c);
}

static int resolve_pairs(parse_ctx *c)
{
    cp_scenario *sc = c->sc;
    size_t n = sc->n_shocks;
    sc->corr = calloc(n * n + 1, sizeof(double));
    sc->chol = calloc(n * n + 1, sizeof(double));
    long *set_line = calloc(n * n + 1, sizeof(long));
    int *set_file = calloc(n * n + 1, sizeof(int));
    if (!sc->corr || !sc->chol || !set_line || !set_file) {
        free(set_line);
        free(set_file);
        return cp_scenario_fail(c, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        sc->corr[i * n + i] = 1.0;
    int ok = 1;
    for (size_t k = 0; ok && k < c->n_pairs; k++) {
        const corr_pair *p = &c->pairs[k];
        c->line = p->line;
        c->cur_file = p->file;
        int ia = -1, ib = -1;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(sc->shocks[i].name, p->a) == 0)
                ia = (int)i;
            if (strcmp(sc->shocks[i].name, p->b) == 0)
                ib = (int)i;
        }
        if (ia < 0 || ib < 0)
            ok = cp_scenario_fail(c, "[correlation]: '%s' is not a shock of this scenario",
                                  ia < 0 ? p->a : p->b);
        else if (ia == ib)
            ok = cp_scenario_fail(
                c,
                "[correlation]: '%s, %s': a shock's correlation with itself is 1 and "
                "is not given",
                p->a, p->b);
        else if (set_line[(size_t)ia * n + (size_t)ib] &&
                 set_file[(size_t)ia * n + (size_t)ib] == p->file)
            ok = cp_scenario_fail(c, "[correlation]: '%s, %s' is given twice (first on line %ld)%s",
                                  p->a, p->b, set_line[(size_t)ia * n + (size_t)ib],
                                  sc->corr[(size_t)ia * n + (size_t)ib] != p->r
                                      ? " with another value: the matrix would not be symmetric"
                                      : "");
        else {
            sc->corr[(size_t)ia * n + (size_t)ib] = sc->corr[(size_t)ib * n + (size_t)ia] = p->r;
            /* Pairs come base first, so a child's value replaces its base's. */
            set_line[(size_t)ia * n + (size_t)ib] = set_line[(size_t)ib * n + (size_t)ia] = p->line;
            set_file[(size_t)ia * n + (size_t)ib] = set_file[(size_t)ib * n + (size_t)ia] = p->file;
        }
    }
    free(set_line);
    free(set_file);
    return ok;
}

static double smallest_eigenvalue(const double *a, size_t n)
{
    gsl_matrix *m = gsl_matrix_alloc(n, n);
    gsl_vector *ev = gsl_vector_alloc(n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(n);
    double min = NAN;
    if (m && ev && w) {
        for (size_t i = 0; i < n * n; i++)
            m->data[i / n * m->tda + i % n] = a[i];
        if (gsl_eigen_symm(m, ev, w) == GSL_SUCCESS)
            min = gsl_vector_min(ev);
    }
    gsl_eigen_symm_free(w);
    gsl_vector_free(ev);
    gsl_matrix_free(m);
    return min;
}

/* 1 if the correlations among the shocks marked in keep are positive
 * definite. */
static int kept_positive_definite(const double *corr, size_t n, const char *keep)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += keep[i] != 0;
    if (k == 0)
        return 1;
    gsl_matrix *m = gsl_matrix_alloc(k, k);
    if (!m)
        return 1;
    for (size_t i = 0, a = 0; i < n; i++) {
        if (!keep[i])
            continue;
        for (size_t j = 0, b = 0; j < n; j++)
            if (keep[j])
                gsl_matrix_set(m, a, b++, corr[i * n + j]);
        a++;
    }
    const int ok = gsl_linalg_cholesky_decomp1(m) == GSL_SUCCESS;
    gsl_matrix_free(m);
    return ok;
}

/* The matrix is not positive definite: find a smallest set of shocks whose
 * correlations already contradict each other (the shortest failing prefix,
 * then every shock whose removal keeps it failing removed), and name their
 * pairs with their lines, at the line of the last of them. */
static int report_contradiction(parse_ctx *c)
{
    cp_scenario *sc = c->sc;
    const size_t n = sc->n_shocks;
    char *keep = calloc(n, 1);
    if (!keep)
        return cp_scenario_fail(c, "out of memory");
    size_t end = 0;
    while (end < n && (keep[end] = 1) && kept_positive_definite(sc->corr, n, keep))
        end++;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        keep[i] = 0;
        if (kept_positive_definite(sc->corr, n, keep))
            keep[i] = 1;
    }
    char pairs[CP_ERR_MSG_MAX / 2] = "";
    const corr_pair *last = NULL;
    for (size_t k = 0; k < c->n_pairs; k++) {
        const corr_pair *p = &c->pairs[k];
        int ia = -1, ib = -1;
        for (size_t i = 0; i < n; i++) {
            ia = strcmp(sc->shocks[i].name, p->a) == 0 ? (int)i : ia;
            ib = strcmp(sc->shocks[i].name, p->b) == 0 ? (int)i : ib;
        }
        if (ia < 0 || ib < 0 || !keep[ia] || !keep[ib] || sc->corr[ia * (int)n + ib] != p->r)
            continue;
        const size_t used = strlen(pairs);
        snprintf(pairs + used, sizeof pairs - used, "%s%s, %s = %g (%s:%ld)", used ? "; " : "",
                 p->a, p->b, p->r, sc->files[p->file], p->line);
        last = p;
    }
    free(keep);
    c->line = last ? last->line : (c->n_pairs ? c->pairs[0].line : 0);
    c->cur_file = last ? last->file : (c->n_pairs ? c->pairs[0].file : 0);
    return cp_scenario_fail(
        c,
        "[correlation]: the correlation matrix is not positive definite (smallest "
        "eigenvalue %.3g): these correlations contradict each other: %s (a correlation "
        "of 1 makes two shocks one: give one shock both targets instead)",
        smallest_eigenvalue(sc->corr, n), pairs[0] ? pairs : "(pairs not found)");
}

static int factor_correlation(parse_ctx *c)
{
    cp_scenario *sc = c->sc;
    size_t n = sc->n_shocks;
    if (n == 0)
        return 1;
    gsl_matrix *m = gsl_matrix_alloc(n, n);
    if (!m)
        return cp_scenario_fail(c, "out of memory");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            gsl_matrix_set(m, i, j, sc->corr[i * n + j]);
    int status = gsl_linalg_cholesky_decomp1(m);
    if (status == GSL_SUCCESS)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j <= i; j++)
                sc->chol[i * n + j] = gsl_matrix_get(m, i, j);
    gsl_matrix_free(m);
    if (status != GSL_SUCCESS)
        return report_contradiction(c);
    return 1;
}

static int finish(parse_ctx *c)
{
    cp_scenario *sc = c->sc;
    if (!check_required(c) || !check_items(c))
        return 0;
    c->line = c->scenario_marks.line[SCENARIO_KEY_END];
    c->cur_file = c->scenario_marks.file[SCENARIO_KEY_END];
    if (sc->end < sc->start)
        return cp_scenario_fail(c, "[scenario]: end comes before start");
    if (sc->end - sc->start + 1 > 400)
        return cp_scenario_fail(c,
                                "[scenario]: a horizon of more than 400 quarters is not supported");
    c->cur_file = 0;
    c->line = 0;
    if (c->inputs_raw[0])
        snprintf(sc->inputs, sizeof sc->inputs, "%s", c->inputs_raw);
    else if (!relative_to_file(c, "../inputs", sc->inputs, sizeof sc->inputs))
        return cp_scenario_fail(c, "[scenario]: the inputs path is too long");
    const char *slash = strrchr(sc->path, '/');
    if (!sc->name[0]) {
        /* Default name: the file name without directory and extension. */
        const char *base = slash ? slash + 1 : sc->path;
        size_t stem = strcspn(base, ".");
        snprintf(sc->name, sizeof sc->name, "%.*s", (int)(stem < CP_NAME_MAX ? stem : 63), base);
    }
    return resolve_pairs(c) && factor_correlation(c);
}

/* ---- public ----------------------------------------------------------- */

/* Reads one file (the scenario or one of its bases) into c->sc.  The state
 * of the file being read when a base is met is kept here, on the stack. */
static int parse_file(parse_ctx *c, const char *path)
{
    cp_scenario *sc = c->sc;
    char(*grown)[CP_PATH_MAX] = realloc(sc->files, (sc->n_files + 1) * sizeof *grown);
    if (!grown)
        return cp_scenario_fail(c, "out of memory");
    sc->files = grown;
    snprintf(sc->files[sc->n_files], CP_PATH_MAX, "%s", path);
    parse_ctx saved = *c;
    c->cur_file = (int)sc->n_files++;
    if (sc->n_files > 1)
        c->chain[++c->depth] = c->cur_file;
    c->file = fopen(path, "r");
    /* A directory opens for reading on Linux and reads as an empty, valid
     * scenario: refuse it as what it is. */
    struct stat sb;
    if (c->file && fstat(fileno(c->file), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(c->file);
        c->file = NULL;
        errno = EISDIR;
    }
    c->line = c->section_line = c->overlong_line = 0;
    c->indented = 0;
    c->sec = SEC_NONE;
    c->sec_header = 0;
    c->cur = NULL;
    c->cur_marks = NULL;
    c->keys_here = 0;
    c->scenario_marks.here = 0;
    c->option_marks.here = 0;
    int rc = 0;
    if (!c->file)
        rc = -1;
    else {
        rc = ini_parse_stream(read_line, c, handler, c);
        fclose(c->file);
    }
    if (!c->file && !c->failed)
        cp_scenario_fail(c, "cannot open: %s", strerror(errno));
    if (!c->failed && c->overlong_line) {
        c->line = c->overlong_line;
        cp_scenario_fail(c, "line longer than 199 characters (the INI reader's limit): shorten it");
    }
    if (!c->failed && rc > 0) {
        c->line = rc;
        cp_scenario_fail(c, "syntax error: expected [section], key = value, or a ; comment");
    }
    if (!c->failed && rc < 0)
        cp_scenario_fail(c, "cannot read the file");
    /* Restore the including file's reading state; what was read stays. */
    c->cur_file = saved.cur_file;
    c->depth = saved.depth;
    c->file = saved.file;
    c->line = saved.line;
    c->section_line = saved.section_line;
    c->overlong_line = saved.overlong_line;
    c->indented = saved.indented;
    c->sec = saved.sec;
    c->sec_header = saved.sec_header;
    c->cur = saved.cur;
    c->cur_marks = saved.cur_marks;
    c->keys_here = saved.keys_here;
    return !c->failed;
}

int cp_scenario_load(const char *path, cp_scenario *sc, cp_err *err)
{
    memset(sc, 0, sizeof *sc);
    snprintf(sc->path, sizeof sc->path, "%s", path);
    cp_period_parse("2026Q1", &sc->start, NULL);
    cp_period_parse("2035Q4", &sc->end, NULL);
    sc->cost_usd = NAN;
    parse_ctx c = {.sc = sc, .err = err};
    FILE *probe = fopen(path, "r");
    if (!probe)
        return cp_err_set(err, CP_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    const int is_dir = fstat(fileno(probe), &sb) == 0 && S_ISDIR(sb.st_mode);
    fclose(probe);
    if (is_dir)
        return cp_err_set(err, CP_EIO, "%s: is a directory, not a scenario file", path);
    if (parse_file(&c, path))
        (void)finish(&c);
    /* sc->files no longer moves: point each override at its file. */
    for (size_t i = 0; !c.failed && i < sc->n_overrides; i++)
        sc->overrides[i].file = sc->files[c.override_file[i]];
    free(c.override_file);
    free(c.override_marks);
    free(c.pairs);
    free(c.shock_marks);
    free(c.event_marks);
    if (c.failed) {
        cp_scenario_free(sc);
        return err ? err->code : CP_EINVAL;
    }
    return CP_OK;
}

void cp_scenario_free(cp_scenario *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->n_shocks; i++)
        cp_dist_free(&sc->shocks[i].dist);
    for (size_t i = 0; i < sc->n_events; i++) {
        cp_dist_free(&sc->events[i].duration);
        cp_dist_free(&sc->events[i].severity);
        cp_dist_free(&sc->events[i].recovery);
        cp_dist_free(&sc->events[i].lasting);
    }
    for (size_t i = 0; i < sc->n_warnings; i++)
        free(sc->warnings[i]);
    free(sc->warnings);
    free(sc->files);
    free(sc->data_files);
    free(sc->overrides);
    free(sc->shocks);
    free(sc->events);
    free(sc->corr);
    free(sc->chol);
    memset(sc, 0, sizeof *sc);
}

const char *cp_scenario_time_name(cp_time_kind time)
{
    switch (time) {
    case CP_TIME_ONCE:
        return "once";
    case CP_TIME_QUARTERLY:
        return "quarterly";
    case CP_TIME_AR1:
        return "ar1";
    case CP_TIME_TREND:
        return "trend";
    }
    return "?";
}

int cp_scenario_priced_against(const cp_scenario *option, const cp_scenario *base, char *why,
                               size_t cap)
{
    if (isnan(option->cost_usd)) {
        snprintf(why, cap, "it gives no [option] cost_usd");
        return 0;
    }
    const char *cost = option->files[option->cost_file];
    if (!reads(option, base->files[0])) {
        snprintf(why, cap, "it is not built on %s, so its difference from it is not its own",
                 base->files[0]);
        return 0;
    }
    if (reads(base, cost)) {
        snprintf(why, cap, "%s already has its cost (from %s)", base->files[0], cost);
        return 0;
    }
    for (size_t i = 1; i < option->n_files; i++)
        if (!same_file(option->files[i], cost) && !reads(base, option->files[i])) {
            snprintf(why, cap,
                     "it is also built on %s, and %s is not: the difference carries that "
                     "file's changes too (compare it with a base built on that file)",
                     option->files[i], base->files[0]);
            return 0;
        }
    why[0] = '\0';
    return 1;
}
