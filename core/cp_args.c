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

int cp_args_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                   const char *cmd)
{
    int index = -1;
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
