/* cp_period.c -- see cp_period.h. */
#include "cp_error.h"
#include "cp_period.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int cp_period_parse(const char *text, int *index, cp_err *err)
{
    /* Strict form only: "2030q4", "2030-Q4" or "Q4 2030" are rejected rather
     * than guessed at, so a typo cannot shift a series by a year. */
    if (strlen(text) != 6 || text[4] != 'Q')
        return cp_err_set(err, CP_EINVAL, "'%s' is not a quarter (expected e.g. 2030Q4)", text);
    int year = 0;
    for (int i = 0; i < 4; i++) {
        if (!isdigit((unsigned char)text[i]))
            return cp_err_set(err, CP_EINVAL, "'%s' is not a quarter (expected e.g. 2030Q4)", text);
        year = year * 10 + (text[i] - '0');
    }
    int q = text[5] - '0';
    if (q < 1 || q > 4)
        return cp_err_set(err, CP_EINVAL, "'%s': quarter must be Q1 to Q4", text);
    if (year < 1900 || year > 2999)
        return cp_err_set(err, CP_EINVAL, "'%s': year out of range 1900-2999", text);
    *index = year * 4 + (q - 1);
    return CP_OK;
}

void cp_period_format(int index, char *buf, size_t cap)
{
    snprintf(buf, cap, "%04dQ%d", index / 4, index % 4 + 1);
}
