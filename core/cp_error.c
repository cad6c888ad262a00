/* cp_error.c -- see cp_error.h. */
#include "cp_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cp_err_clear(cp_err *err)
{
    if (!err)
        return;
    err->code = CP_OK;
    err->msg[0] = '\0';
}

int cp_err_set(cp_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
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
