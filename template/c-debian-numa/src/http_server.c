/* http_server.c: the HTTP/1.1 server on libmicrohttpd. Owns per-request state, the body limit
 * and the body deadline, the readiness path, the request log line, and the call to fn_handle(). */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SRV_MAX_PAIRS 128    /* headers or query arguments passed to the handler */

struct srv {
    struct MHD_Daemon *daemon;
    struct srv_config cfg;
    void *fn_state;
    atomic_int_fast64_t in_flight;
};

/* One request, from its first access-handler call to MHD's completion callback. */
struct req_state {
    double start;
    char *body;
    size_t len, cap;
    int refuse_status;          /* 413 once the body went over the limit; the rest is drained */
    int status;                 /* what was answered, for the log line */
    char method[16];
    char path[128];
    struct fn_pair pairs[SRV_MAX_PAIRS];
    size_t n_pairs;
};

int srv_config_from_env(struct srv_config *cfg, char err[CDN_ERR_LEN])
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

int srv_listen(const struct srv_config *cfg, char err[CDN_ERR_LEN])
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

static enum MHD_Result collect_pair(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    struct req_state *st = cls;
    if (st->n_pairs >= SRV_MAX_PAIRS)
        return MHD_NO;
    st->pairs[st->n_pairs].key = key;
    st->pairs[st->n_pairs].value = value;
    st->n_pairs++;
    return MHD_YES;
}

static enum MHD_Result queue_text(struct MHD_Connection *c, struct req_state *st, int status,
                                  char *text, size_t len, const char *type,
                                  const struct fn_pair *hdrs, size_t n_hdrs)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, text, &free);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    for (size_t i = 0; ok == MHD_YES && i < n_hdrs; i++)
        if (hdrs[i].key && hdrs[i].value)
            ok = MHD_add_response_header(r, hdrs[i].key, hdrs[i].value);
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    st->status = status;
    return ok;
}

static enum MHD_Result queue_error(struct MHD_Connection *c, struct req_state *st, int status,
                                   const char *text)
{
    size_t len = 0;
    char *body = render_error(text, &len);
    if (!body)
        return MHD_NO;
    return queue_text(c, st, status, body, len, "application/json", NULL, 0);
}

/* Hands the complete request to the function and queues what it answers. */
static enum MHD_Result run_handler(struct srv *s, struct MHD_Connection *c, struct req_state *st,
                                   const char *url, const char *method)
{
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_pair, st);
    size_t n_query = st->n_pairs;
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_pair, st);
    struct fn_request req = {
        .method = method, .path = url,
        .query = st->pairs, .n_query = n_query,
        .headers = st->pairs + n_query, .n_headers = st->n_pairs - n_query,
        .body = st->body ? st->body : "", .body_len = st->len,
    };
    struct fn_response res = {0};
    char err[CDN_ERR_LEN] = "";
    int rc = fn_handle(s->fn_state, &req, &res, err);
    struct resp_out out;
    if (resp_build(rc, &res, err, &out) != 0)
        return MHD_NO;
    /* The handler's headers go with the handler's own answer only. */
    return queue_text(c, st, out.status, out.body, out.len, out.content_type, res.headers,
                      rc == 0 ? res.n_headers : 0);
}

/* Appends a piece of the body, or records 413 once the limit is passed (the rest is drained). */
static int take_body(const struct srv *s, struct req_state *st, const char *data, size_t n)
{
    if (st->refuse_status)
        return 0;
    if ((int64_t)(st->len + n) > s->cfg.max_body_bytes) {
        st->refuse_status = MHD_HTTP_CONTENT_TOO_LARGE;
        free(st->body);
        st->body = NULL;
        st->len = st->cap = 0;
        return 0;
    }
    if (st->len + n + 1 > st->cap) {
        size_t ncap = st->cap ? st->cap : 4096;
        while (ncap < st->len + n + 1)
            ncap *= 2;
        char *nb = realloc(st->body, ncap);
        if (!nb)
            return -1;
        st->body = nb;
        st->cap = ncap;
    }
    memcpy(st->body + st->len, data, n);
    st->len += n;
    st->body[st->len] = '\0';
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **req_cls)
{
    (void)version;
    struct srv *s = cls;
    struct req_state *st = *req_cls;
    if (!st) { /* first call: headers only; answering now would cost keep-alive */
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        st->start = cdn_now();
        snprintf(st->method, sizeof st->method, "%s", method);
        snprintf(st->path, sizeof st->path, "%s", url);
        *req_cls = st;
        atomic_fetch_add(&s->in_flight, 1);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoll(cl, NULL, 10) > s->cfg.max_body_bytes)
            st->refuse_status = MHD_HTTP_CONTENT_TOO_LARGE;
        return MHD_YES;
    }
    if (*upload_size) {
        if (cdn_now() - st->start > (double)s->cfg.body_timeout_s)
            return MHD_NO; /* a client too slow to send its request is dropped */
        if (take_body(s, st, upload_data, *upload_size) != 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->refuse_status) {
        char msg[CDN_ERR_LEN];
        snprintf(msg, sizeof msg, "request body larger than FN_MAX_BODY_BYTES (%lld bytes)",
                 (long long)s->cfg.max_body_bytes);
        return queue_error(c, st, st->refuse_status, msg);
    }
    if (strcmp(url, s->cfg.ready_path) == 0 && strcmp(method, "GET") == 0) {
        char *text = strdup("{\"status\":\"ready\"}");
        return text ? queue_text(c, st, 200, text, strlen(text), "application/json", NULL, 0) : MHD_NO;
    }
    return run_handler(s, c, st, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct srv *s = cls;
    struct req_state *st = *req_cls;
    if (!st)
        return;
    (void)c;
    /* One line per request; the path is cut at 128 bytes and never carries the query. */
    fprintf(stderr, "%s %s %d %.3fs%s\n", st->method, st->path, st->status, cdn_now() - st->start,
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    free(st->body);
    free(st);
    *req_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

struct srv *srv_start(const struct srv_config *cfg, int listen_fd, void *fn_state, char err[CDN_ERR_LEN])
{
    struct srv *s = calloc(1, sizeof *s);
    if (!s) {
        close(listen_fd);
        cdn_err(err, ENOMEM, "server state");
        return NULL;
    }
    s->cfg = *cfg;
    s->fn_state = fn_state;
    atomic_init(&s->in_flight, 0);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1 << 20),
        MHD_OPTION_END);
    if (!s->daemon) {
        close(listen_fd);
        free(s);
        cdn_err(err, 0, "MHD_start_daemon failed on %s:%d", cfg->addr, cfg->port);
        return NULL;
    }
    return s;
}

void srv_quiesce(struct srv *s)
{
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

int64_t srv_in_flight(const struct srv *s)
{
    return atomic_load(&((struct srv *)s)->in_flight);
}

void srv_stop(struct srv *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
