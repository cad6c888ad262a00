/* cp_error.c -- see cp_error.h. */
#include "cp_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cp_err_clear(cp_err *err)
{
    if (!err)
        return;
    err->code = CP_OK;
    err->msg[0] = '\0';
}

/* Removes text[from, to) in place. */
static void cut(char *text, size_t from, size_t to)
{
    memmove(text + from, text + to, strlen(text + to) + 1);
}

/* Fits a message into the buffer without losing its point: a value quoted
 * at length ('...' of a 5,000-character cell) is shortened to its start,
 * and if the message is still too long its middle goes, not its end,
 * which is where the explanation usually is. */
static void shorten(char *text, size_t cap)
{
    enum { KEEP = 40 };
    static const char more[] = "[...]";
    for (char *open = strchr(text, '\''); open && strlen(text) >= cap;) {
        char *close = strchr(open + 1, '\'');
        if (!close)
            break;
        const size_t len = (size_t)(close - open - 1);
        if (len > KEEP + sizeof more) {
            memcpy(open + 1 + KEEP, more, sizeof more - 1);
            cut(text, (size_t)(open + 1 + KEEP + sizeof more - 1 - text), (size_t)(close - text));
            close = open + 1 + KEEP + sizeof more - 1;
        }
        open = strchr(close + 1, '\'');
    }
    const size_t n = strlen(text);
    if (n >= cap) {
        const size_t head = cap / 2 - sizeof more, tail = cap - head - sizeof more - 1;
        memcpy(text + head, more, sizeof more - 1);
        cut(text, head + sizeof more - 1, n - tail);
    }
}

int cp_err_set(cp_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    const int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    char *full = n >= (int)sizeof err->msg ? malloc((size_t)n + 1) : NULL;
    if (full) {
        vsnprintf(full, (size_t)n + 1, fmt, again);
        shorten(full, sizeof err->msg);
        snprintf(err->msg, sizeof err->msg, "%s", full);
        free(full);
    }
    va_end(again);
    return code;
}

int cp_err_wrap(cp_err *err, const char *fmt, ...)
{
    if (!err)
        return CP_EINVAL;
    char prefix[CP_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Truncation keeps the start of the message, where the context is. */
    size_t plen = strlen(prefix);
    if (plen > sizeof err->msg - 3)
        plen = sizeof err->msg - 3;
    size_t mlen = strlen(err->msg);
    if (plen + 2 + mlen >= sizeof err->msg)
        mlen = sizeof err->msg - plen - 3;
    memmove(err->msg + plen + 2, err->msg, mlen);
    err->msg[plen + 2 + mlen] = '\0';
    memcpy(err->msg, prefix, plen);
    err->msg[plen] = ':';
    err->msg[plen + 1] = ' ';
    if (err->code == CP_OK)
        err->code = CP_EINVAL;
    return err->code;
}

const char *cp_err_name(int code)
{
    switch (code) {
    case CP_OK:
        return "ok";
    case CP_EINVAL:
        return "bad input";
    case CP_EIO:
        return "I/O error";
    case CP_ENOMEM:
        return "out of memory";
    case CP_EMODEL:
        return "model error";
    case CP_EMPI:
        return "MPI error";
    case CP_ESTOPPED:
        return "stopped";
    default:
        return "error";
    }
}
