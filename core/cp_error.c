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
    char joined[CP_ERR_MSG_MAX];
    snprintf(joined, sizeof joined, "%s: %s", prefix, err->msg);
    memcpy(err->msg, joined, sizeof joined);
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
    default:
        return "error";
    }
}
