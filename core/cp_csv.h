/* cp_csv.h -- read a whole CSV file into memory, with line numbers kept for
 * error messages.  Parsing is libcsv's; this module adds what a user needs
 * when a file is wrong: the file, the line and the field in every message.
 *
 * Rules: the first record is the header (names trimmed, non-empty, unique);
 * every record has as many fields as the header; blank lines are skipped; a
 * UTF-8 byte-order mark and CRLF line endings (Excel exports) are accepted;
 * an unterminated quote is an error naming the line where the quote opened.
 */
#ifndef CP_CSV_H
#define CP_CSV_H

#include <stddef.h>

#include "cp_error.h"

typedef struct cp_table {
    char *path; /* as given to cp_table_read, for messages */
    size_t n_cols;
    char **header; /* n_cols names */
    size_t n_rows; /* data rows, header excluded */
    char **cells;  /* n_rows * n_cols strings, row-major, trimmed, never NULL */
    long *line;    /* n_rows: line number (1-based) where each row starts */
} cp_table;

/* Reads path into t (which the caller then frees with cp_table_free). */
int cp_table_read(const char *path, cp_table *t, cp_err *err);
void cp_table_free(cp_table *t);

/* The index of a column, or -1 if the header has no such name. */
int cp_table_column(const cp_table *t, const char *name);

/* Finds each of names[0..n) in the header, writing their indices to idx;
 * fails naming the file and the first missing column. */
int cp_table_require(const cp_table *t, const char *const *names, size_t n, int *idx, cp_err *err);

/* The text of a cell (never NULL; "" when empty). */
const char *cp_table_cell(const cp_table *t, size_t row, int col);

/* Parses a cell as a finite double: the whole field must be a number
 * ("1e3", "-0.5"); empty text, "nan", "inf", "1,000" or "12 MW" are errors
 * whose message reads "PATH:LINE: field 'COL': 'TEXT' is not a number". */
int cp_table_double(const cp_table *t, size_t row, int col, double *out, cp_err *err);

/* Sets err to "PATH:LINE: field 'COL': " followed by the printf-style message,
 * and returns code.  For checks the caller makes on a cell's value. */
int cp_table_error(const cp_table *t, size_t row, int col, cp_err *err, int code, const char *fmt,
                   ...) __attribute__((format(printf, 6, 7)));

#endif
