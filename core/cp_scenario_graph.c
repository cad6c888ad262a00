/* cp_scenario_graph.c -- the scenario sections that change the graph:
 * [param NODE] (a parameter), [series NODE] (quarters of a series, or a
 * ramp), [node NODE] and [edge FROM -> TO] (nodes and edges added).  They
 * are read into sc->overrides, in file order, and checked against the graph
 * when it is loaded (cp_graph_load_with): here only what a file alone can
 * say (names, numbers, kinds, roles, a key given twice).
 */
#include "cp_period.h"
#include "cp_scenario_parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The first three node keys and the first edge key are required. */
static const char *const node_keys[] = {"kind", "region", "unit", "description",
                                        "note", "source", NULL};
static const char *const edge_keys[] = {"role", "weight", "unit", "note", "source", NULL};

/* Appends an override of the node c->item, from the line being read, with
 * the file and key marks that go with it; NULL (the error set) if out of
 * memory. */
static cp_graph_override *add_override(parse_ctx *c, cp_override_kind kind)
{
    cp_scenario *sc = c->sc;
    cp_graph_override *grown = realloc(sc->overrides, (sc->n_overrides + 1) * sizeof *grown);
    int *grown_files =
        grown ? realloc(c->override_file, (sc->n_overrides + 1) * sizeof(int)) : NULL;
    if (grown)
        sc->overrides = grown;
    if (grown_files)
        c->override_file = grown_files;
    key_marks *grown_marks =
        grown_files ? realloc(c->override_marks, (sc->n_overrides + 1) * sizeof *grown_marks)
                    : NULL;
    if (!grown || !grown_files || !grown_marks) {
        cp_scenario_fail(c, "out of memory");
        return NULL;
    }
    c->override_marks = grown_marks;
    memset(&c->override_marks[sc->n_overrides], 0, sizeof *grown_marks);
    c->override_file[sc->n_overrides] = c->cur_file;
    cp_graph_override *o = &sc->overrides[sc->n_overrides++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    memcpy(o->node, c->item, sizeof o->node);
    o->line = c->line;
    return o;
}

/* [param NODE]: name = value.  Whether NODE has the parameter, and its
 * range, are checked against the graph (cp_graph_load_with). */
static int handle_param(parse_ctx *c, const char *name, const char *value)
{
    if (!cp_name_valid(name))
        return cp_scenario_fail(c, "[param %s]: '%s' is not a parameter name", c->item, name);
    double v;
    if (!cp_scenario_parse_number(value, &v))
        return cp_scenario_fail(c, "[param %s]: key '%s': '%s' is not a number", c->item, name,
                                value);
    /* Once per file, as every other key; a child may override its base's. */
    for (size_t i = 0; i < c->sc->n_overrides; i++) {
        const cp_graph_override *p = &c->sc->overrides[i];
        if (c->override_file[i] == c->cur_file && p->kind == CP_OVERRIDE_PARAM &&
            strcmp(p->node, c->item) == 0 && strcmp(p->param, name) == 0)
            return cp_scenario_fail(c, "[param %s]: key '%s' given twice (first on line %ld)",
                                    c->item, name, p->line);
    }
    cp_graph_override *o = add_override(c, CP_OVERRIDE_PARAM);
    if (!o)
        return 0;
    snprintf(o->param, sizeof o->param, "%s", name);
    o->value = v;
    return 1;
}

/* One "PERIOD:VALUE" point of a ramp. */
static int parse_point(parse_ctx *c, char *tok, int *period, double *v)
{
    while (isspace((unsigned char)*tok))
        tok++;
    char *end = tok + strlen(tok);
    while (end > tok && isspace((unsigned char)end[-1]))
        *--end = '\0';
    char *colon = strchr(tok, ':');
    cp_err e;
    if (!colon)
        return cp_scenario_fail(c, "[series %s]: key 'ramp': '%s' should be PERIOD:VALUE", c->item,
                                tok);
    *colon = '\0';
    if (cp_period_parse(tok, period, &e))
        return cp_scenario_fail(c, "[series %s]: key 'ramp': %s", c->item, e.msg);
    if (!cp_scenario_parse_number(colon + 1, v))
        return cp_scenario_fail(c, "[series %s]: key 'ramp': '%s' is not a number", c->item,
                                colon + 1);
    return 1;
}

/* A [series NODE] key (a quarter, or a ramp when ramp) once per section, as
 * every other key: its overrides are told apart by their span, one quarter
 * for a quarter's key and more for a ramp's (whose quarters must increase).
 * The section itself may come again, its changes applied in order: that is
 * how --print-resolved writes a ramp of many points (a section per segment)
 * and a base's and a child's changes to one node. */
static int series_key_once(parse_ctx *c, const char *name, int ramp, int period)
{
    for (size_t i = c->section_overrides; i < c->sc->n_overrides; i++) {
        const cp_graph_override *p = &c->sc->overrides[i];
        const int same =
            ramp ? p->period < p->period_end : p->period == period && p->period_end == period;
        if (same)
            return cp_scenario_fail(c, "[series %s]: key '%s' given twice (first on line %ld)",
                                    c->item, name, p->line);
    }
    return 1;
}

/* ramp = P1:V1, P2:V2, ...: one override a segment, linear between its
 * points. */
static int handle_ramp(parse_ctx *c, const char *value)
{
    char copy[CP_TEXT_MAX];
    snprintf(copy, sizeof copy, "%s", value);
    char *save = NULL;
    int prev_period = 0, n = 0;
    double prev_v = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
        int at = 0;
        double v = 0;
        if (!parse_point(c, tok, &at, &v))
            return 0;
        if (n && at <= prev_period)
            return cp_scenario_fail(c, "[series %s]: key 'ramp': quarters must increase", c->item);
        if (n) {
            cp_graph_override *o = add_override(c, CP_OVERRIDE_SERIES);
            if (!o)
                return 0;
            o->period = prev_period;
            o->period_end = at;
            o->value = prev_v;
            o->value_end = v;
        }
        prev_period = at;
        prev_v = v;
    }
    if (n < 2)
        return cp_scenario_fail(c, "[series %s]: key 'ramp' needs at least two PERIOD:VALUE points",
                                c->item);
    return 1;
}

/* [series NODE]: PERIOD = value, or ramp = P1:V1, P2:V2, ... (linear
 * between points, quarters outside [P1, Pn] unchanged). */
static int handle_series(parse_ctx *c, const char *name, const char *value)
{
    const int ramp = strcmp(name, "ramp") == 0;
    int period = 0;
    cp_err e;
    if (!ramp && cp_period_parse(name, &period, &e))
        return cp_scenario_fail(
            c, "[series %s]: key '%s' is neither a quarter (e.g. 2030Q1) nor 'ramp'", c->item,
            name);
    if (!series_key_once(c, name, ramp, period))
        return 0;
    if (!ramp) {
        double v;
        if (!cp_scenario_parse_number(value, &v))
            return cp_scenario_fail(c, "[series %s]: key '%s': '%s' is not a number", c->item, name,
                                    value);
        cp_graph_override *o = add_override(c, CP_OVERRIDE_SERIES);
        if (!o)
            return 0;
        o->period = o->period_end = period;
        o->value = o->value_end = v;
        return 1;
    }
    return handle_ramp(c, value);
}

/* [node NODE]: a node added to the graph.  Names, kinds and roles are
 * checked here, against the graph (duplicates, edges) when it is loaded. */
static int handle_node(parse_ctx *c, const char *name, const char *value, const char *section)
{
    if (!cp_scenario_mark_key(c, node_keys, &c->override_marks[c->cur_override], name, section))
        return 0;
    cp_graph_override *o = &c->sc->overrides[c->cur_override];
    if (strcmp(name, "kind") == 0) {
        if (!cp_graph_kind_parse(value, &o->node_kind))
            return cp_scenario_fail(
                c,
                "[%s]: key 'kind': unknown node kind '%s' (known: supply, convert, split, "
                "assemble, stock, delay, elastic, deploy, market, stream)",
                section, value);
        return 1;
    }
    if (strcmp(name, "region") == 0) {
        if (!cp_name_valid(value))
            return cp_scenario_fail(c, "[%s]: key 'region': '%s' is not a valid region name",
                                    section, value);
        snprintf(o->region, sizeof o->region, "%s", value);
        return 1;
    }
    if (strcmp(name, "unit") == 0) {
        if (!*value || strlen(value) >= CP_UNIT_MAX)
            return cp_scenario_fail(c,
                                    "[%s]: key 'unit': a unit is required (at most %d characters)",
                                    section, CP_UNIT_MAX - 1);
        snprintf(o->unit, sizeof o->unit, "%s", value);
        return 1;
    }
    return 1; /* description, note, source: documentation only */
}

/* [edge FROM -> TO]: an edge added to the graph. */
static int handle_edge(parse_ctx *c, const char *name, const char *value, const char *section)
{
    if (!cp_scenario_mark_key(c, edge_keys, &c->override_marks[c->cur_override], name, section))
        return 0;
    cp_graph_override *o = &c->sc->overrides[c->cur_override];
    if (strcmp(name, "role") == 0) {
        if (!cp_graph_role_parse(value, &o->role))
            return cp_scenario_fail(
                c,
                "[%s]: key 'role': unknown role '%s' (known: in, scale, flow, price, "
                "units, power, flops, watts)",
                section, value);
        return 1;
    }
    if (strcmp(name, "weight") == 0) {
        if (!cp_scenario_parse_number(value, &o->weight) || !(o->weight > 0))
            return cp_scenario_fail(c, "[%s]: key 'weight': '%s' is not a number > 0", section,
                                    value);
        return 1;
    }
    return 1; /* unit, note, source: documentation only */
}

/* Finds or appends the [node] or [edge] named by c->item (and
 * c->item_to).  As for shocks, a child's section replaces the keys it gives
 * and a second header in one file is an error. */
static int enter_addition(parse_ctx *c, cp_override_kind kind, const char *section)
{
    cp_scenario *sc = c->sc;
    for (size_t i = 0; i < sc->n_overrides; i++) {
        cp_graph_override *o = &sc->overrides[i];
        if (o->kind != kind || strcmp(o->node, c->item) != 0 ||
            (kind == CP_OVERRIDE_EDGE && strcmp(o->to, c->item_to) != 0))
            continue;
        key_marks *m = &c->override_marks[i];
        if (m->header_file == c->cur_file && m->header_line != c->section_line) {
            return cp_scenario_fail_at_header(c, "[%s] appears twice (first on line %ld)", section,
                                              m->header_line);
        }
        if (m->header_file != c->cur_file) {
            m->header_file = c->cur_file;
            m->header_line = c->section_line;
            m->here = 0;
            c->override_file[i] = c->cur_file; /* errors now point at the child */
            o->line = c->section_line;
        }
        c->cur_override = i;
        return 1;
    }
    cp_graph_override *o = add_override(c, kind);
    if (!o)
        return 0;
    snprintf(o->to, sizeof o->to, "%s", c->item_to);
    o->weight = 1.0;
    o->line = c->section_line;
    c->cur_override = sc->n_overrides - 1;
    c->override_marks[c->cur_override].header_file = c->cur_file;
    c->override_marks[c->cur_override].header_line = c->section_line;
    return 1;
}

/* Copies a name out of s[0..len), without surrounding blanks, into out;
 * 0 if it is not a valid name. */
static int take_name(const char *s, size_t len, char *out)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len >= CP_NAME_MAX)
        return 0;
    memcpy(out, s, len);
    out[len] = '\0';
    return cp_name_valid(out);
}

static int enter_graph_section(parse_ctx *c, const char *section, int is_node)
{
    const char *rest = section + 5;
    if (is_node) {
        c->item_to[0] = '\0';
        if (!take_name(rest, strlen(rest), c->item))
            return cp_scenario_fail_at_header(
                c, "[%s]: '%s' is not a valid node name (letters, digits, _ and -)", section, rest);
        c->sec = SEC_NODE;
        return enter_addition(c, CP_OVERRIDE_NODE, section);
    }
    const char *arrow = strstr(rest, "->");
    if (!arrow || !take_name(rest, (size_t)(arrow - rest), c->item) ||
        !take_name(arrow + 2, strlen(arrow + 2), c->item_to))
        return cp_scenario_fail_at_header(c, "[%s]: expected [edge FROM -> TO] with two node names",
                                          section);
    c->sec = SEC_EDGE;
    return enter_addition(c, CP_OVERRIDE_EDGE, section);
}

/* [param NODE] or [series NODE]: the node's name. */
static int enter_node_section(parse_ctx *c, const char *section, int is_param)
{
    const char *node = section + (is_param ? 6 : 7);
    while (*node == ' ')
        node++;
    if (!cp_name_valid(node))
        return cp_scenario_fail_at_header(c, "[%s]: '%s' is not a valid node name", section, node);
    snprintf(c->item, sizeof c->item, "%s", node);
    c->sec = is_param ? SEC_PARAM : SEC_SERIES;
    return 1;
}

/* ---- shared with cp_scenario.c ------------------------------------------ */

int cp_scenario_graph_enter(parse_ctx *c, const char *section)
{
    const int is_param = strncmp(section, "param ", 6) == 0;
    if (is_param || strncmp(section, "series ", 7) == 0)
        return enter_node_section(c, section, is_param);
    const int is_node = strncmp(section, "node ", 5) == 0;
    if (is_node || strncmp(section, "edge ", 5) == 0)
        return enter_graph_section(c, section, is_node);
    return -1;
}

int cp_scenario_graph_key(parse_ctx *c, const char *name, const char *value, const char *section)
{
    switch (c->sec) {
    case SEC_PARAM:
        return handle_param(c, name, value);
    case SEC_SERIES:
        return handle_series(c, name, value);
    case SEC_NODE:
        return handle_node(c, name, value, section);
    case SEC_EDGE:
        return handle_edge(c, name, value, section);
    default:
        return cp_scenario_fail(c, "key '%s' outside any section", name);
    }
}

int cp_scenario_graph_check_required(parse_ctx *c)
{
    const cp_scenario *sc = c->sc;
    for (size_t i = 0; i < sc->n_overrides; i++) {
        const cp_graph_override *o = &sc->overrides[i];
        const key_marks *m = &c->override_marks[i];
        c->line = m->header_line;
        c->cur_file = m->header_file;
        for (int k = 0; o->kind == CP_OVERRIDE_NODE && k < 3; k++)
            if (!(m->seen & (1u << k)))
                return cp_scenario_fail(c, "[node %s]: key '%s' is required", o->node,
                                        node_keys[k]);
        if (o->kind == CP_OVERRIDE_EDGE && !(m->seen & 1u))
            return cp_scenario_fail(c, "[edge %s -> %s]: key 'role' is required", o->node, o->to);
    }
    return 1;
}
