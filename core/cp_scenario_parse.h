/* cp_scenario_parse.h -- what the scenario reader's files share
 * (cp_scenario.c: the file, its sections and the checks after reading;
 * cp_scenario_graph.c: the sections that change the graph, [param],
 * [series], [node] and [edge]); not for other modules, which use
 * cp_scenario.h. */
#ifndef CP_SCENARIO_PARSE_H
#define CP_SCENARIO_PARSE_H

#include <stdio.h>

#include "cp_scenario.h"

typedef enum section_kind {
    SEC_NONE,
    SEC_SCENARIO,
    SEC_SHOCK,
    SEC_EVENT,
    SEC_CORR,
    SEC_OPTION,
    SEC_PARAM,  /* [param NODE] */
    SEC_SERIES, /* [series NODE] */
    SEC_NODE,   /* [node NODE] */
    SEC_EDGE    /* [edge FROM -> TO] */
} section_kind;

typedef struct corr_pair {
    char a[CP_NAME_MAX], b[CP_NAME_MAX];
    double r;
    long line;
    int file;
} corr_pair;

/* Which keys of a section were given, and on which lines. */
#define KEYS_MAX 16 /* the most keys a section accepts */

typedef struct key_marks {
    unsigned seen; /* in this file or a base */
    unsigned here; /* in the file being read */
    long line[KEYS_MAX];
    int file[KEYS_MAX];
    int header_file; /* the file whose [section] header was last entered */
    long header_line;
} key_marks;

typedef struct parse_ctx {
    cp_scenario *sc;
    int cur_file;                 /* index in sc->files of the file being read */
    int depth;                    /* of cur_file in the chain of bases, 0 for the scenario */
    int chain[CP_BASE_DEPTH + 1]; /* files being read, outermost first */
    int keys_here;                /* keys handled in the file being read */
    FILE *file;
    char buf[4096];
    long line;
    long section_line;  /* line of the latest [section] header */
    long overlong_line; /* first line too long for inih, 0 if none */
    int indented;       /* the line just read starts with white space */
    cp_err *err;
    int failed;
    section_kind sec;
    long sec_header; /* section_line when the current section was entered */
    void *cur;       /* the cp_shock or cp_event being filled */
    key_marks *cur_marks;
    key_marks scenario_marks;
    key_marks option_marks;
    key_marks *shock_marks; /* parallel to sc->shocks */
    key_marks *event_marks; /* parallel to sc->events */
    char inputs_raw[CP_PATH_MAX];
    corr_pair *pairs;
    size_t n_pairs;
    char item[CP_NAME_MAX];    /* the NODE of [param NODE], [series NODE], [node NODE] */
    char item_to[CP_NAME_MAX]; /* the TO of [edge NODE -> TO] */
    int *override_file;        /* parallel to sc->overrides: index in sc->files */
    key_marks *override_marks; /* parallel to sc->overrides: keys of [node] and [edge] */
    size_t cur_override;       /* the [node] or [edge] being filled */
    size_t section_overrides;  /* sc->n_overrides when the current section began */
} parse_ctx;

/* Records the error at the line being read, naming its file, and returns 0
 * (inih's "stop"); keeps the first error only: later ones are often its
 * consequences. */
int cp_scenario_fail(parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for a mistake in a [section] header itself: at the header's line. */
int cp_scenario_fail_at_header(parse_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A finite decimal number, the whole of s (no hex floats); 1 if it is one. */
int cp_scenario_parse_number(const char *s, double *out);
/* Marks key name of a section whose keys are keys[] as given, in m; fails
 * for an unknown key or one given twice in one file. */
int cp_scenario_mark_key(parse_ctx *c, const char *const *keys, key_marks *m, const char *name,
                         const char *section);

/* Enters a [param NODE], [series NODE], [node NODE] or [edge FROM -> TO]
 * section, setting c->sec: 1 on success, 0 after an error, -1 if section is
 * none of them. */
int cp_scenario_graph_enter(parse_ctx *c, const char *section);
/* A key of the graph section c->sec is in. */
int cp_scenario_graph_key(parse_ctx *c, const char *name, const char *value, const char *section);
/* After reading: each [node] has its kind, region and unit, each [edge] its
 * role. */
int cp_scenario_graph_check_required(parse_ctx *c);

#endif
