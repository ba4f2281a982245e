/* http_server.c: the HTTP/1.1 server on libmicrohttpd. Owns per-request state, the body limit
 * and the body deadline, the readiness path, the request log line (with the real outcome: what
 * was answered and whether it reached the client), the call to fn_handle(), and the stop:
 * quiesce, then stop or abandon what is still in flight. */
#include "internal.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SRV_MAX_PAIRS 128    /* headers or query arguments passed to the handler */

/* req_state.status before an answer is queued, and once cdn_srv_abandon() has given up on it. */
#define STATUS_NONE 0
#define STATUS_ABANDONED (-1)

/* One request, from its first access-handler call to MHD's completion callback. */
struct req_state {
    double start;
    char *body;
    size_t len, cap;
    int refuse_status;          /* 413 over the body limit, 503 after quiesce; the body is drained */
    atomic_int status;          /* the answer queued (STATUS_NONE until then), for the log line */
    const char *dropped;        /* why the server closed the connection without answering */
    char method[16];
    char path[128];
    struct fn_pair pairs[SRV_MAX_PAIRS];
    size_t n_pairs;
    int bad_pairs;              /* a query argument with a NUL byte, or more than SRV_MAX_PAIRS */
    struct req_state *prev, *next;  /* in srv.live while in flight */
};

struct cdn_srv {
    struct MHD_Daemon *daemon;
    struct cdn_srv_config cfg;
    void *fn_state;
    atomic_int_fast64_t in_flight;
    atomic_bool closing;        /* quiesced: requests that start now get 503 */
    pthread_mutex_t lock;       /* guards live and abandoned */
    struct req_state *live;     /* requests in flight */
    bool abandoned;             /* cdn_srv_abandon() logged them; the process is exiting */
};

/* Keeps a query argument or header for the handler. A value the handler would see cut short
 * (a decoded NUL byte: "%00") or one pair too many is refused, never passed on truncated. */
static enum MHD_Result collect_pair(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct req_state *st = cls;
    if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
        st->bad_pairs = 1;
        return MHD_NO;
    }
    if (st->n_pairs >= SRV_MAX_PAIRS) {
        st->bad_pairs = 2;
        return MHD_NO;
    }
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
    if (ok == MHD_YES && status == MHD_HTTP_SERVICE_UNAVAILABLE)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    /* Once cdn_srv_abandon() has logged this request as never answered, it stays never answered. */
    int none = STATUS_NONE;
    if (ok == MHD_YES && !atomic_compare_exchange_strong(&st->status, &none, status))
        ok = MHD_NO;
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result queue_error(struct MHD_Connection *c, struct req_state *st, int status,
                                   const char *text)
{
    size_t len = 0;
    char *body = cdn_render_error(text, &len);
    if (!body)
        return MHD_NO;
    return queue_text(c, st, status, body, len, "application/json", NULL, 0);
}

/* Hands the complete request to the function and queues what it answers. */
static enum MHD_Result run_handler(struct cdn_srv *s, struct MHD_Connection *c, struct req_state *st,
                                   const char *url, const char *method)
{
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, collect_pair, st);
    size_t n_query = st->n_pairs;
    if (!st->bad_pairs)
        MHD_get_connection_values_n(c, MHD_HEADER_KIND, collect_pair, st);
    if (st->bad_pairs == 1)
        return queue_error(c, st, 400, "a query argument contains a NUL byte (%00)");
    if (st->bad_pairs)
        return queue_error(c, st, 400, "more than 128 query arguments and headers");
    struct fn_request req = {
        .method = method, .path = url,
        .query = st->pairs, .n_query = n_query,
        .headers = st->pairs + n_query, .n_headers = st->n_pairs - n_query,
        .body = st->body ? st->body : "", .body_len = st->len,
    };
    struct fn_response res = {0};
    char err[CDN_ERR_LEN] = "";
    int rc = fn_handle(s->fn_state, &req, &res, err);
    struct cdn_resp_out out;
    if (cdn_resp_build(rc, &res, err, &out) != 0)
        return MHD_NO;
    /* The handler's headers go with the handler's own answer only. */
    return queue_text(c, st, out.status, out.body, out.len, out.content_type, res.headers,
                      rc == 0 ? res.n_headers : 0);
}

/* Appends a piece of the body, or records 413 once the limit is passed (the rest is drained). */
static int take_body(const struct cdn_srv *s, struct req_state *st, const char *data, size_t n)
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

/* First call of a request: its state, counted in flight and listed until it completes. */
static struct req_state *begin_request(struct cdn_srv *s, struct MHD_Connection *c, const char *url,
                                       const char *method)
{
    struct req_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->start = cdn_now();
    atomic_init(&st->status, STATUS_NONE);
    snprintf(st->method, sizeof st->method, "%s", method);
    snprintf(st->path, sizeof st->path, "%s", url);
    pthread_mutex_lock(&s->lock);
    st->next = s->live;
    if (s->live)
        s->live->prev = st;
    s->live = st;
    pthread_mutex_unlock(&s->lock);
    /* Counted before closing is read: cdn_srv_quiesce() sets closing before the drain reads the
     * count, so either the drain waits for this request or the request sees closing. */
    atomic_fetch_add(&s->in_flight, 1);
    if (atomic_load(&s->closing))
        st->refuse_status = MHD_HTTP_SERVICE_UNAVAILABLE;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!st->refuse_status && cl && strtoll(cl, NULL, 10) > s->cfg.max_body_bytes)
        st->refuse_status = MHD_HTTP_CONTENT_TOO_LARGE;
    return st;
}

static enum MHD_Result refuse(const struct cdn_srv *s, struct MHD_Connection *c, struct req_state *st)
{
    char msg[CDN_ERR_LEN];
    if (st->refuse_status == MHD_HTTP_SERVICE_UNAVAILABLE)
        snprintf(msg, sizeof msg, "shutting down: no new requests are taken");
    else
        snprintf(msg, sizeof msg, "request body larger than FN_MAX_BODY_BYTES (%lld bytes)",
                 (long long)s->cfg.max_body_bytes);
    return queue_error(c, st, st->refuse_status, msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **req_cls)
{
    (void)version;
    struct cdn_srv *s = cls;
    struct req_state *st = *req_cls;
    if (!st) { /* first call: headers only; answering now would cost keep-alive */
        *req_cls = begin_request(s, c, url, method);
        return *req_cls ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        if (cdn_now() - st->start > (double)s->cfg.body_timeout_s) {
            st->dropped = "dropped: body not received within FN_BODY_TIMEOUT";
            return MHD_NO;
        }
        if (take_body(s, st, upload_data, *upload_size) != 0) {
            st->dropped = "dropped: no memory for the body";
            return MHD_NO;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->refuse_status)
        return refuse(s, c, st);
    if (strcmp(url, s->cfg.ready_path) == 0 && strcmp(method, "GET") == 0) {
        char *text = strdup("{\"status\":\"ready\"}");
        return text ? queue_text(c, st, 200, text, strlen(text), "application/json", NULL, 0) : MHD_NO;
    }
    return run_handler(s, c, st, url, method);
}

/* Why an answer did not reach the client, from MHD's termination code; NULL if it did. */
static const char *not_delivered_reason(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK: return NULL;
    case MHD_REQUEST_TERMINATED_WITH_ERROR: return "connection error";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return "connection timed out";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return "server shut down";
    case MHD_REQUEST_TERMINATED_READ_ERROR: return "read error";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return "client closed the connection";
    }
    return "unknown termination";
}

/* One line per request: "GET /x 200 0.012s", then the outcome when the client did not get the
 * answer ("not delivered (why)"). "-" when no answer was queued. The path is cut at 128 bytes
 * and never carries the query. */
static void log_request(const struct req_state *st, int status, const char *outcome)
{
    char code[16] = "-";
    if (status > 0)
        snprintf(code, sizeof code, "%d", status);
    fprintf(stderr, "%s %s %s %.3fs%s%s\n", st->method, st->path, code, cdn_now() - st->start,
            outcome ? " " : "", outcome ? outcome : "");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct cdn_srv *s = cls;
    struct req_state *st = *req_cls;
    if (!st)
        return;
    (void)c;
    const char *why = not_delivered_reason(toe);
    char outcome[CDN_ERR_LEN];
    snprintf(outcome, sizeof outcome, "not delivered (%s)", st->dropped ? st->dropped : why ? why : "");
    pthread_mutex_lock(&s->lock);
    if (st->prev)
        st->prev->next = st->next;
    else
        s->live = st->next;
    if (st->next)
        st->next->prev = st->prev;
    if (!s->abandoned) /* else cdn_srv_abandon() already logged it */
        log_request(st, atomic_load(&st->status), why ? outcome : NULL);
    pthread_mutex_unlock(&s->lock);
    free(st->body);
    free(st);
    *req_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

struct cdn_srv *cdn_srv_start(const struct cdn_srv_config *cfg, int listen_fd, void *fn_state, char err[CDN_ERR_LEN])
{
    struct cdn_srv *s = calloc(1, sizeof *s);
    int e = s ? pthread_mutex_init(&s->lock, NULL) : ENOMEM;
    if (e != 0) {
        free(s);
        close(listen_fd);
        cdn_err(err, e, "server state");
        return NULL;
    }
    s->cfg = *cfg;
    s->fn_state = fn_state;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->closing, false);
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
        pthread_mutex_destroy(&s->lock);
        free(s);
        cdn_err(err, 0, "MHD_start_daemon failed on %s:%d", cfg->addr, cfg->port);
        return NULL;
    }
    return s;
}

void cdn_srv_quiesce(struct cdn_srv *s)
{
    atomic_store(&s->closing, true);
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

int64_t cdn_srv_in_flight(const struct cdn_srv *s)
{
    return atomic_load(&((struct cdn_srv *)s)->in_flight);
}

int64_t cdn_srv_abandon(struct cdn_srv *s, const char *why)
{
    int64_t n = 0;
    char text[CDN_ERR_LEN];
    pthread_mutex_lock(&s->lock);
    s->abandoned = true;
    for (struct req_state *st = s->live; st; st = st->next, n++) {
        int none = STATUS_NONE;
        if (atomic_compare_exchange_strong(&st->status, &none, STATUS_ABANDONED)) {
            snprintf(text, sizeof text, "not delivered (abandoned at shutdown: %s before an answer)", why);
            log_request(st, STATUS_NONE, text);
        } else {
            snprintf(text, sizeof text, "abandoned at shutdown while sending (%s): delivery unknown", why);
            log_request(st, none, text);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

void cdn_srv_stop(struct cdn_srv *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
