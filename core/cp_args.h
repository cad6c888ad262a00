/* cp_args.h -- reading the command line: counts with one documented
 * maximum and a message that says whether a value is malformed or too
 * large, and long options accepted only under their exact names (getopt
 * would take `--sample 10` for `--samples 10`, or `--s` for whichever
 * option it happens to abbreviate uniquely today). */
#ifndef CP_ARGS_H
#define CP_ARGS_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

/* The most sample paths a run, comparison or batch entry may ask for:
 * 2^53, the largest count every double (a kept sample's index, a rate, a
 * share's denominator) holds exactly.  README.md documents it. */
#define CP_SAMPLES_MAX (UINT64_C(1) << 53)
#define CP_SAMPLES_MAX_TEXT "9007199254740992 (2^53)"

typedef enum cp_count_status {
    CP_COUNT_OK = 0,
    CP_COUNT_MALFORMED, /* not digits, nor a whole number like 1e6 */
    CP_COUNT_TOO_LARGE  /* a whole number above max */
} cp_count_status;

/* A whole number >= 0: digits, or a number like 1e6 that is whole; at
 * most max. */
cp_count_status cp_args_count(const char *text, uint64_t max, uint64_t *out);

/* "N" samples or "Ns" seconds: 1 if text is either (N > 0). */
int cp_args_interval(const char *text, uint64_t *samples, double *seconds);

/* getopt_long that refuses abbreviations: a long option given other than
 * by its full name is reported on stderr ("chokepoint CMD: unknown
 * option ...", with the name it abbreviates) and returns '?'. */
int cp_args_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                   const char *cmd);

#endif
