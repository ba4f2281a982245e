/* internal.h: declarations shared between the runtime's own files; not for function authors. */
#ifndef CDN_INTERNAL_H
#define CDN_INTERNAL_H

#include "handler.h"

#include <stdbool.h>
#include <stdint.h>

/* Reads a whole small file (sysfs, procfs) into buf, NUL-terminated, trailing newline removed.
 * A file that does not fit in len - 1 bytes is an error (EFBIG), never cut short. */
int cdn_read_small_file(const char *path, char *buf, size_t len, char err[CDN_ERR_LEN]);

/* util.c: the node ids that have a nodeN directory under sysfs_root/devices/system/node
 * (written to dir). Ids may have gaps. */
int cdn_node_dirs(const char *sysfs_root, char *dir, size_t dir_len, cdn_nodeset *nodes,
                  char err[CDN_ERR_LEN]);

/* policy.c: Mems_allowed_list and Cpus_allowed_list from a /proc/PID/status file into out. */
int policy_read_status(const char *proc_status, struct proc_policy *out, char err[CDN_ERR_LEN]);

/* nodeset.c: a node mask as get_mempolicy(2) and mbind(2) take it, with one bit for every node the
 * kernel can have (numa_num_possible_nodes(): 1024 on Debian's kernels), not just the 64 of a
 * cdn_nodeset; pass maxnode as is (bits + 1, as libnuma does). */
struct cdn_kmask {
    unsigned long *words;
    size_t n_words;
    unsigned long maxnode;
};
int cdn_kmask_alloc(cdn_nodeset set, struct cdn_kmask *m, char err[CDN_ERR_LEN]);
/* Fails, naming the node, when a node id above CDN_MAX_NODES - 1 is set. */
int cdn_kmask_to_nodeset(const struct cdn_kmask *m, cdn_nodeset *out, char err[CDN_ERR_LEN]);
void cdn_kmask_free(struct cdn_kmask *m);

/* numa_maps.c: place_query_with(PLACE_NUMA_MAPS, ...) on /proc/self/numa_maps. */
int place_query_numa_maps(const struct place_range *r, size_t n, struct place_result *res,
                          char err[CDN_ERR_LEN]);

/* listen.c and http_server.c */
struct srv_config {
    const char *addr;           /* "127.0.0.1" */
    int port;
    int64_t max_body_bytes;
    int64_t max_connections;
    int64_t connection_timeout_s;
    int64_t body_timeout_s;
    const char *ready_path;     /* "/_/ready" */
};
struct srv;
/* listen.c: reads the FN_* environment (see docs/answer.md). */
int srv_config_from_env(struct srv_config *cfg, char err[CDN_ERR_LEN]);
/* bind() + listen() now, so early connections wait in the backlog. Returns the fd or -1. */
int srv_listen(const struct srv_config *cfg, char err[CDN_ERR_LEN]);
/* http_server.c: starts serving listen_fd (taken over) with the function state. */
struct srv *srv_start(const struct srv_config *cfg, int listen_fd, void *fn_state, char err[CDN_ERR_LEN]);
/* Stops accepting: no new connections, and a request that starts on a kept-alive connection
 * gets 503 (Connection: close) without reaching the function. Requests in progress go on. */
void srv_quiesce(struct srv *s);
/* Requests started and not yet completed. */
int64_t srv_in_flight(const struct srv *s);
/* Closes every connection and frees the server. Waits for handlers still running: call it only
 * once srv_in_flight() is 0 after srv_quiesce(). */
void srv_stop(struct srv *s);
/* Gives up on the requests still in flight: logs each with its real outcome ("not delivered"
 * when no answer was queued, and none will be), and silences their later log lines. Returns
 * how many there were. The caller must then end the process (_exit): handlers still run. */
int64_t srv_abandon(struct srv *s, const char *why);

/* render.c */
/* JSON text of value (compact, malloc'd) or NULL. */
char *render_json(const json_t *value, size_t *len);
/* {"error": text} as malloc'd JSON text. Never NULL unless out of memory. */
char *render_error(const char *text, size_t *len);

/* response.c */
struct resp_out {
    int status;
    char *body;                 /* malloc'd; the caller frees it */
    size_t len;
    const char *content_type;   /* static, or the handler's */
};
/* Turns one fn_handle() outcome into a response: rc 0 renders res (json, else text; status 0 is
 * 200, an invalid status is a 500), any other rc becomes {"error": err} with rc as the status (500
 * outside 400..599). res->json and res->text are consumed. -1 only when out of memory. */
int resp_build(int rc, struct fn_response *res, const char *err, struct resp_out *out);

#endif /* CDN_INTERNAL_H */
