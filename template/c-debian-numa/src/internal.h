/* internal.h: declarations shared between the runtime's own files, its unit tests and the fuzzer; not
 * for function authors (they include handler.h). */
#ifndef CDN_INTERNAL_H
#define CDN_INTERNAL_H

#include "handler.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Reads a whole small file (sysfs, procfs) into buf, NUL-terminated, trailing newline removed.
 * A file that does not fit in len - 1 bytes is an error (EFBIG), never cut short. */
int cdn_read_small_file(const char *path, char *buf, size_t len, char err[CDN_ERR_LEN]);

/* util.c: the ids of the nodeN entries of dir (node directories, or HMAT's initiator links),
 * 0..CDN_MAX_NODES-1; -1 with errno when dir cannot be opened, leaving *nodes as it was. */
int cdn_node_entries(const char *dir, cdn_nodeset *nodes);
/* util.c: the node ids that have a nodeN directory under sysfs_root/devices/system/node
 * (written to dir). Ids may have gaps. */
int cdn_node_dirs(const char *sysfs_root, char *dir, size_t dir_len, cdn_nodeset *nodes,
                  char err[CDN_ERR_LEN]);

/* policy.c: Mems_allowed_list and Cpus_allowed_list from a /proc/PID/status file into out. */
int cdn_policy_read_status(const char *proc_status, struct cdn_proc_policy *out, char err[CDN_ERR_LEN]);

/* Parsers of kernel text, each reading an open stream (or one file) so unit tests and the fuzzer
 * can feed them fixtures; functions get the same data from the snapshots in numa_toolkit.h. */
/* meminfo.c */
/* Parses one nodeN/meminfo file. */
int cdn_meminfo_parse_file(const char *path, int64_t *mem_total, int64_t *mem_free, char err[CDN_ERR_LEN]);
/* nodestat.c */
int cdn_nodestat_parse_meminfo(FILE *f, int node, int64_t field[CDN_NODESTAT_FIELDS], uint32_t *seen,
                               char err[CDN_ERR_LEN]);
int cdn_nodestat_parse_numastat(FILE *f, int64_t numa[CDN_NODESTAT_NUMA_COUNTERS], char err[CDN_ERR_LEN]);
int cdn_nodestat_parse_zoneinfo(FILE *f, int64_t pcp[CDN_MAX_NODES], int64_t drift[CDN_MAX_NODES],
                                char err[CDN_ERR_LEN]);
/* numa_maps.c */
/* Parses numa_maps text from f, adding to res the N<id>= counts (in base pages) of the mappings
 * that start inside the ranges, and setting res->exact as for cdn_place_result.exact. */
int cdn_place_parse_numa_maps(FILE *f, const struct cdn_place_range *ranges, size_t n,
                              struct cdn_place_result *res, char err[CDN_ERR_LEN]);
/* smaps.c: resident memory of the mappings overlapping the ranges, from smaps text. */
struct cdn_place_smaps {
    int64_t rss_kb, anon_huge_kb;   /* sums of Rss: and AnonHugePages: */
    int inside;                     /* 1 if every such mapping lies inside the ranges */
};
int cdn_place_parse_smaps(FILE *f, const struct cdn_place_range *ranges, size_t n,
                          struct cdn_place_smaps *out, char err[CDN_ERR_LEN]);
/* procstat.c */
int cdn_procstat_parse_numa_maps(FILE *f, const struct cdn_place_range *ranges, size_t n,
                                 struct cdn_procstat *out, char err[CDN_ERR_LEN]);
int cdn_procstat_parse_status(FILE *f, struct cdn_procstat *out, char err[CDN_ERR_LEN]);

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

/* numa_maps.c: cdn_place_query_with(CDN_PLACE_NUMA_MAPS, ...) on /proc/self/numa_maps. */
int cdn_place_query_numa_maps(const struct cdn_place_range *r, size_t n, struct cdn_place_result *res,
                              char err[CDN_ERR_LEN]);

/* listen.c and http_server.c */
struct cdn_srv_config {
    const char *addr;           /* "127.0.0.1" */
    int port;
    int64_t max_body_bytes;
    int64_t max_connections;
    int64_t connection_timeout_s;
    int64_t body_timeout_s;
    const char *ready_path;     /* "/_/ready" */
};
struct cdn_srv;
/* listen.c: reads the FN_* environment (see docs/answer.md). */
int cdn_srv_config_from_env(struct cdn_srv_config *cfg, char err[CDN_ERR_LEN]);
/* bind() + listen() now, so early connections wait in the backlog. Returns the fd or -1. */
int cdn_srv_listen(const struct cdn_srv_config *cfg, char err[CDN_ERR_LEN]);
/* http_server.c: starts serving listen_fd (taken over) with the function state. */
struct cdn_srv *cdn_srv_start(const struct cdn_srv_config *cfg, int listen_fd, void *fn_state, char err[CDN_ERR_LEN]);
/* Stops accepting: no new connections, and a request that starts on a kept-alive connection
 * gets 503 (Connection: close) without reaching the function. Requests in progress go on. */
void cdn_srv_quiesce(struct cdn_srv *s);
/* Requests started and not yet completed. */
int64_t cdn_srv_in_flight(const struct cdn_srv *s);
/* Closes every connection and frees the server. Waits for handlers still running: call it only
 * once cdn_srv_in_flight() is 0 after cdn_srv_quiesce(). */
void cdn_srv_stop(struct cdn_srv *s);
/* Gives up on the requests still in flight: logs each with its real outcome ("not delivered"
 * when no answer was queued, and none will be), and silences their later log lines. Returns
 * how many there were. The caller must then end the process (_exit): handlers still run. */
int64_t cdn_srv_abandon(struct cdn_srv *s, const char *why);

/* render.c */
/* JSON text of value (compact, malloc'd) or NULL. */
char *cdn_render_json(const json_t *value, size_t *len);
/* {"error": text} as malloc'd JSON text. Never NULL unless out of memory. */
char *cdn_render_error(const char *text, size_t *len);

/* response.c */
struct cdn_resp_out {
    int status;
    char *body;                 /* malloc'd; the caller frees it */
    size_t len;
    const char *content_type;   /* static, or the handler's */
};
/* Turns one fn_handle() outcome into a response: rc 0 renders res (json, else text; status 0 is
 * 200, an invalid status is a 500), any other rc becomes {"error": err} with rc as the status (500
 * outside 400..599). res->json and res->text are consumed. -1 only when out of memory. */
int cdn_resp_build(int rc, struct fn_response *res, const char *err, struct cdn_resp_out *out);

#endif /* CDN_INTERNAL_H */
