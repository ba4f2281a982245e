/* handler.h: the one header a c-debian-numa function author includes.
 *
 * The runtime (an HTTP server on libmicrohttpd behind of-watchdog) calls fn_init() once,
 * fn_handle() for every request and fn_fini() at shutdown; the request and response types and
 * the request helpers are here. The NUMA toolkit (cdn_* names: topology, memory policy,
 * MemFree snapshots, page placement, cgroup headroom, ...) comes with it from numa_toolkit.h. */
#ifndef CDN_HANDLER_H
#define CDN_HANDLER_H

#include "numa_toolkit.h"

#include <jansson.h>
#include <stddef.h>

struct fn_pair {
    const char *key;
    const char *value;      /* NULL for a query key without '=' */
};

/* What the runtime hands to fn_handle(). Everything is owned by the runtime
 * and valid only during the call. body is NUL-terminated (body_len excludes
 * the NUL) and is at most FN_MAX_BODY_BYTES long. */
struct fn_request {
    const char *method;     /* "GET", "POST", ... */
    const char *path;       /* "/topology" (no query string) */
    const struct fn_pair *query;    /* decoded query arguments, in order */
    size_t n_query;
    const struct fn_pair *headers;  /* request headers, names as sent */
    size_t n_headers;
    const char *body;
    size_t body_len;
};

#define FN_MAX_HEADERS 8

/* What fn_handle() fills in. Set json (the runtime renders it compactly and
 * decrefs it) or text (malloc'd; the runtime frees it). status 0 means 200. */
struct fn_response {
    int status;
    json_t *json;
    char *text;
    size_t text_len;
    const char *content_type;       /* default: application/json or text/plain */
    struct fn_pair headers[FN_MAX_HEADERS]; /* static strings or owned by state */
    size_t n_headers;
};

/* Called once before the server accepts its first request. Return the
 * function's state (handed back to every call), or NULL with err filled to
 * make the server exit non-zero. A function with no state returns a non-NULL
 * dummy, e.g. a pointer to a static const object. */
void *fn_init(char err[CDN_ERR_LEN]);

/* Called for every request, from several threads at once. Return 0 with res
 * filled, or an HTTP status (4xx/5xx) with err filled: the runtime answers
 * {"error": err} with that status and frees anything put in res. */
int fn_handle(void *state, const struct fn_request *req,
              struct fn_response *res, char err[CDN_ERR_LEN]);

/* Called once after the last request has finished. */
void fn_fini(void *state);

/* Helpers for handlers. */
const char *fn_header(const struct fn_request *req, const char *name); /* case-insensitive, NULL if absent */
const char *fn_query(const struct fn_request *req, const char *key);   /* first value, NULL if absent */
int fn_is_method(const struct fn_request *req, const char *method);

#endif /* CDN_HANDLER_H */
