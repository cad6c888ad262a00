/* cp_error.h -- error codes and messages that carry their context upward.
 *
 * Every call that can fail returns an int: CP_OK (0) or one of the codes
 * below, and fills a caller-owned cp_err with a message.  Callers that add
 * context (a file name, a scenario key) call cp_err_wrap() on the way up, so
 * the message the user finally reads names where the problem is and what is
 * wrong, e.g. "inputs/nodes.csv:12: field 'kind': unknown node kind 'stok'".
 */
#ifndef CP_ERROR_H
#define CP_ERROR_H

#include <stddef.h>

enum {
    CP_OK = 0,
    CP_EINVAL = 1,  /* bad input: data, scenario, options */
    CP_EIO = 2,     /* a file could not be read or written */
    CP_ENOMEM = 3,  /* an allocation failed */
    CP_EMODEL = 4,  /* the model produced a non-finite number */
    CP_EMPI = 5,    /* the parallel layer failed */
    CP_ESTOPPED = 6 /* stopped on request (a signal) after writing a checkpoint */
};

#define CP_ERR_MSG_MAX 1024

typedef struct cp_err {
    int code;
    char msg[CP_ERR_MSG_MAX];
} cp_err;

/* Clears err (code CP_OK, empty message). */
void cp_err_clear(cp_err *err);

/* Sets code and a printf-style message; returns code so callers can write
 * `return cp_err_set(err, CP_EINVAL, "...", ...);`.  err may be NULL. */
int cp_err_set(cp_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepends printf-style context and ": " to the message already in err;
 * returns err->code.  err may be NULL (returns CP_EINVAL). */
int cp_err_wrap(cp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A short name for a code ("bad input", "I/O error", ...). */
const char *cp_err_name(int code);

#endif
