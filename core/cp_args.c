/* cp_args.c -- see cp_args.h. */
#include "cp_args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cp_count_status cp_args_count(const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    if (text[0] >= '0' && text[0] <= '9') {
        errno = 0;
        const unsigned long long v = strtoull(text, &end, 10);
        if (!*end) {
            /* Digits that overflow are a number, just too large. */
            if (errno == ERANGE || v > max)
                return CP_COUNT_TOO_LARGE;
            *out = v;
            return CP_COUNT_OK;
        }
    }
    /* Decimal notation only: strtod would also take hex, "inf" and "nan". */
    if (strspn(text, "0123456789.eE+-") != strlen(text))
        return CP_COUNT_MALFORMED;
    errno = 0;
    const double d = strtod(text, &end);
    if (end == text || *end || !(d >= 0) || (errno && errno != ERANGE))
        return CP_COUNT_MALFORMED;
    if (isinf(d) || d >= 18446744073709551616.0 || (errno == ERANGE && d > 1))
        return CP_COUNT_TOO_LARGE;
    if (d != floor(d) || errno == ERANGE) /* a fraction, or an underflow such as 1e-400 */
        return CP_COUNT_MALFORMED;
    if ((uint64_t)d > max)
        return CP_COUNT_TOO_LARGE;
    *out = (uint64_t)d;
    return CP_COUNT_OK;
}

int cp_args_interval(const char *text, uint64_t *samples, double *seconds)
{
    const size_t n = strlen(text);
    if (n > 1 && text[n - 1] == 's') {
        char *end;
        errno = 0;
        const double s = strtod(text, &end);
        if (end != text + n - 1 || errno || !(s > 0) || isinf(s))
            return 0;
        *seconds = s;
        return 1;
    }
    return cp_args_count(text, CP_SAMPLES_MAX, samples) == CP_COUNT_OK && *samples > 0;
}

/* The long option that the next option word getopt will read abbreviates
 * (the shortest of those it is a prefix of), or NULL if that word is not a
 * long option or names one in full.  getopt reports a word that abbreviates
 * several as ambiguous in its own words; this finds it first. */
static const char *next_abbreviation(int argc, char **argv, const struct option *longopts,
                                     const char **word)
{
    for (int i = optind; i < argc; i++) {
        const char *w = argv[i];
        if (w[0] != '-' || !w[1])
            continue; /* a non-option, which GNU getopt passes over */
        if (w[1] != '-' || !w[2])
            return NULL; /* a short option, or "--" */
        const size_t len = strcspn(w + 2, "=");
        const char *best = NULL;
        for (const struct option *o = longopts; o->name; o++) {
            if (strlen(o->name) == len && strncmp(o->name, w + 2, len) == 0)
                return NULL;
            if (strlen(o->name) > len && strncmp(o->name, w + 2, len) == 0 &&
                (!best || strlen(o->name) < strlen(best)))
                best = o->name;
        }
        *word = w;
        return best;
    }
    return NULL;
}

int cp_args_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                   const char *cmd)
{
    int index = -1;
    const char *abbrev = NULL, *meant = next_abbreviation(argc, argv, longopts, &abbrev);
    if (meant) {
        const int saved = opterr;
        opterr = 0; /* getopt's message would call it ambiguous, or take it */
        (void)getopt_long(argc, argv, shortopts, longopts, &index);
        opterr = saved;
        fprintf(stderr,
                "chokepoint %s: unknown option '%.*s' (did you mean --%s? options are given by "
                "their full names)\n",
                cmd, (int)strcspn(abbrev, "="), abbrev, meant);
        return '?';
    }
    const int c = getopt_long(argc, argv, shortopts, longopts, &index);
    if (c == -1 || c == '?' || c == ':' || index < 0)
        return c;
    /* The option's own word: just before its argument when that was a
     * separate word (getopt has moved optind past both). */
    int at = optind - 1;
    if (optarg && at > 0 && optarg == argv[at])
        at--;
    const char *word = argv[at];
    const char *name = longopts[index].name;
    if (strncmp(word, "--", 2) == 0) {
        const size_t len = strcspn(word + 2, "=");
        if (len == strlen(name) && strncmp(word + 2, name, len) == 0)
            return c;
    }
    fprintf(stderr,
            "chokepoint %s: unknown option '%.*s' (did you mean --%s? options are given by "
            "their full names)\n",
            cmd, (int)strcspn(word, "="), word, name);
    return '?';
}
