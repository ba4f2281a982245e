/* errors.c: the one error path: "what: strerror(errno)" into the caller's buffer, and the
 * overrides of libnuma's numa_error/numa_warn so that libnuma never prints or exits. */
#include "handler.h"
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cdn_err(char err[CDN_ERR_LEN], int errno_value, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, CDN_ERR_LEN, fmt, ap);
    va_end(ap);
    if (n < 0)
        err[0] = '\0';
    if (errno_value != 0 && n >= 0 && n < CDN_ERR_LEN) {
        char ebuf[128];
        const char *etext = strerror_r(errno_value, ebuf, sizeof ebuf);
        snprintf(err + n, (size_t)(CDN_ERR_LEN - n), ": %s", etext);
    }
    return -1;
}

/* libnuma calls these (weak symbols in numa.h) on failure. The default numa_error prints and
 * numa_warn prints too; ours keep the text of the last message per thread so the caller can
 * put it in its own error, and leave errno as it was. */
static _Thread_local char libnuma_last[CDN_ERR_LEN];

void numa_error(char *where)
{
    int saved = errno;
    cdn_err(libnuma_last, saved, "libnuma: %s", where ? where : "?");
    errno = saved;
}

void numa_warn(int num, char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(libnuma_last, sizeof libnuma_last, "libnuma warning %d: ", num);
    if (n > 0 && (size_t)n < sizeof libnuma_last)
        vsnprintf(libnuma_last + n, sizeof libnuma_last - (size_t)n, fmt, ap);
    va_end(ap);
    errno = saved;
}

const char *cdn_libnuma_error(void)
{
    return libnuma_last;
}

void cdn_libnuma_error_clear(void)
{
    libnuma_last[0] = '\0';
}
