/* internal.h: declarations shared between the runtime's own files; not for function authors. */
#ifndef CDN_INTERNAL_H
#define CDN_INTERNAL_H

#include "handler.h"

#include <stdbool.h>
#include <stdint.h>

/* Reads a whole small file (sysfs, procfs) into buf, NUL-terminated, trailing newline removed. */
int cdn_read_small_file(const char *path, char *buf, size_t len, char err[CDN_ERR_LEN]);

/* util.c: the node ids that have a nodeN directory under sysfs_root/devices/system/node
 * (written to dir). Ids may have gaps. */
int cdn_node_dirs(const char *sysfs_root, char *dir, size_t dir_len, cdn_nodeset *nodes,
                  char err[CDN_ERR_LEN]);

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

/* http_server.c */
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
/* Reads the FN_* environment (see docs/answer.md). */
int srv_config_from_env(struct srv_config *cfg, char err[CDN_ERR_LEN]);
/* bind() + listen() now, so early connections wait in the backlog. Returns the fd or -1. */
int srv_listen(const struct srv_config *cfg, char err[CDN_ERR_LEN]);
/* Starts serving listen_fd (taken over) with the function state. */
struct srv *srv_start(const struct srv_config *cfg, int listen_fd, void *fn_state, char err[CDN_ERR_LEN]);
/* Stops accepting new connections; requests in progress go on. */
void srv_quiesce(struct srv *s);
/* Requests started and not yet completed. */
int64_t srv_in_flight(const struct srv *s);
/* Closes every connection and frees the server. */
void srv_stop(struct srv *s);

/* render.c */
/* JSON text of value (compact, malloc'd) or NULL. */
char *render_json(const json_t *value, size_t *len);
/* {"error": text} as malloc'd JSON text. Never NULL unless out of memory. */
char *render_error(const char *text, size_t *len);

#endif /* CDN_INTERNAL_H */
