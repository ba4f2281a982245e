/* listen.c: the server's settings from the FN_* environment, and its listening socket, bound
 * before anything slow so early connections wait in the backlog. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int cdn_srv_config_from_env(struct cdn_srv_config *cfg, char err[CDN_ERR_LEN])
{
    int64_t port;
    memset(cfg, 0, sizeof *cfg);
    cfg->addr = getenv("FN_ADDR") && *getenv("FN_ADDR") ? getenv("FN_ADDR") : "127.0.0.1";
    cfg->ready_path = "/_/ready";
    if (cdn_env_int64("FN_PORT", 8082, 1, 65535, &port, err) != 0 ||
        cdn_env_int64("FN_MAX_BODY_BYTES", 1 << 20, 0, (int64_t)1 << 32, &cfg->max_body_bytes, err) != 0 ||
        cdn_env_int64("FN_MAX_CONNECTIONS", 1024, 1, 65536, &cfg->max_connections, err) != 0 ||
        cdn_env_int64("FN_CONNECTION_TIMEOUT", 30, 1, 86400, &cfg->connection_timeout_s, err) != 0 ||
        cdn_env_int64("FN_BODY_TIMEOUT", 10, 1, 86400, &cfg->body_timeout_s, err) != 0)
        return -1;
    cfg->port = (int)port;
    return 0;
}

int cdn_srv_listen(const struct cdn_srv_config *cfg, char err[CDN_ERR_LEN])
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    if (inet_pton(AF_INET, cfg->addr, &sa.sin_addr) != 1)
        return cdn_err(err, 0, "FN_ADDR=%s: not an IPv4 address", cfg->addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cdn_err(err, errno, "socket");
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        close(fd);
        return cdn_err(err, e, "cannot listen on %s:%d", cfg->addr, cfg->port);
    }
    return fd;
}
