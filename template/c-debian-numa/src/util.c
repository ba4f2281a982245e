/* util.c: small helpers shared by the toolkit: the clocks and reading small kernel files. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double cdn_now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

double cdn_wall_now(void)
{
    return clock_s(CLOCK_REALTIME);
}

int cdn_read_small_file(const char *path, char *buf, size_t len, char err[CDN_ERR_LEN])
{
    if (len == 0)
        return cdn_err(err, EINVAL, "read %s", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cdn_err(err, errno, "open %s", path);
    size_t used = 0;
    int ended = 0;
    for (int i = 0; i < 64 && !ended; i++) {
        char probe;
        int full = used + 1 >= len; /* then only ask whether anything is left */
        ssize_t n = full ? read(fd, &probe, 1) : read(fd, buf + used, len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return cdn_err(err, e, "read %s", path);
        }
        if (full && n > 0)
            break;
        ended = n == 0;
        used += (size_t)n;
    }
    close(fd);
    if (!ended) /* never a silently cut value */
        return cdn_err(err, EFBIG, "read %s: longer than %zu bytes", path, len - 1);
    buf[used] = '\0';
    while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
        buf[--used] = '\0';
    return 0;
}

int cdn_node_entries(const char *dir, cdn_nodeset *nodes)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    cdn_nodeset set = 0;
    struct dirent *e;
    for (int i = 0; i < 4096 && (e = readdir(d)) != NULL; i++) {
        char *end;
        if (strncmp(e->d_name, "node", 4) != 0)
            continue;
        long id = strtol(e->d_name + 4, &end, 10);
        if (end != e->d_name + 4 && !*end && id >= 0 && id < CDN_MAX_NODES)
            set |= (cdn_nodeset)1 << id;
    }
    closedir(d);
    *nodes = set;
    return 0;
}

int cdn_node_dirs(const char *sysfs_root, char *dir, size_t dir_len, cdn_nodeset *nodes,
                  char err[CDN_ERR_LEN])
{
    snprintf(dir, dir_len, "%s/devices/system/node", sysfs_root);
    cdn_nodeset set = 0;
    if (cdn_node_entries(dir, &set) != 0)
        return cdn_err(err, errno, "opendir %s", dir);
    if (set == 0)
        return cdn_err(err, 0, "%s: no nodeN entries", dir);
    *nodes = set;
    return 0;
}
