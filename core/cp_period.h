/* cp_period.h -- quarters as written in files ("2030Q4") and as integers.
 * A quarter index is year * 4 + (quarter - 1), so consecutive quarters are
 * consecutive integers and differences are durations in quarters. */
#ifndef CP_PERIOD_H
#define CP_PERIOD_H

#include <stddef.h>

#include "cp_error.h"

/* Parses "YYYYQn" (n in 1..4, year 1900..2999) into *index; CP_EINVAL with a
 * message naming the text otherwise. */
int cp_period_parse(const char *text, int *index, cp_err *err);

/* Writes "YYYYQn" for index into buf (at least 8 bytes). */
void cp_period_format(int index, char *buf, size_t cap);

#endif
