/* util.c: small helpers shared by the toolkit: the monotonic clock and reading small kernel files. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double cdn_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cdn_read_small_file(const char *path, char *buf, size_t len, char err[CDN_ERR_LEN])
{
    if (len == 0)
        return cdn_err(err, EINVAL, "read %s", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cdn_err(err, errno, "open %s", path);
    size_t used = 0;
    for (int i = 0; i < 64 && used + 1 < len; i++) {
        ssize_t n = read(fd, buf + used, len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return cdn_err(err, e, "read %s", path);
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
        buf[--used] = '\0';
    return 0;
}
