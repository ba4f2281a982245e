/* meminfo.c: per-node MemTotal/MemFree from /sys/devices/system/node/nodeN/meminfo, snapshots
 * and the deltas between two snapshots. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdbool.h>

int cdn_meminfo_parse_file(const char *path, int64_t *mem_total, int64_t *mem_free, char err[CDN_ERR_LEN])
{
    FILE *f = fopen(path, "re");
    if (!f)
        return cdn_err(err, errno, "open %s", path);
    char line[256];
    int found = 0;
    *mem_total = *mem_free = -1;
    for (int i = 0; i < 200 && fgets(line, sizeof line, f); i++) {
        /* "Node 0 MemFree:        1234 kB" */
        int node;
        char key[64];
        long long kb;
        if (sscanf(line, "Node %d %63[^:]: %lld kB", &node, key, &kb) != 3 ||
            kb < 0 || kb > INT64_MAX / 1024)
            continue;
        if (strcmp(key, "MemTotal") == 0) { *mem_total = kb * 1024; found |= 1; }
        else if (strcmp(key, "MemFree") == 0) { *mem_free = kb * 1024; found |= 2; }
    }
    int ferr = ferror(f);
    fclose(f);
    if (ferr)
        return cdn_err(err, EIO, "read %s", path);
    if (found != 3)
        return cdn_err(err, 0, "%s: no MemTotal/MemFree lines", path);
    return 0;
}

int cdn_meminfo_snapshot(const char *sysfs_root, const char *zoneinfo, struct cdn_meminfo_snapshot *out,
                         char err[CDN_ERR_LEN])
{
    char dir[512];
    memset(out, 0, sizeof *out);
    if (cdn_node_dirs(sysfs_root, dir, sizeof dir, &out->nodes, err) != 0)
        return -1;
    for (int id = 0; id < CDN_MAX_NODES; id++) {
        if (!CDN_NODESET_HAS(out->nodes, id))
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/node%d/meminfo", dir, id);
        if (cdn_meminfo_parse_file(path, &out->mem_total[id], &out->mem_free[id], err) != 0)
            return -1;
    }
    FILE *f = zoneinfo ? fopen(zoneinfo, "re") : NULL;
    if (f) {
        int64_t drift[CDN_MAX_NODES];   /* the same parse as nodestat's; drift unused here */
        out->have_pcp = cdn_nodestat_parse_zoneinfo(f, out->pcp_free, drift, NULL) == 0;
        fclose(f);
    }
    return 0;
}

/* Per node: a[n], or with b the memory that left the free pool between snapshot a and b:
 * (free_a - free_b) + (total_b - total_a). The MemTotal term keeps memory onlined meanwhile
 * (hotplug, a CXL expander coming up, lazily initialised zones) from hiding the use. */
static json_t *per_node_json(cdn_nodeset nodes, const struct cdn_meminfo_snapshot *a,
                             const struct cdn_meminfo_snapshot *b)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        if (!CDN_NODESET_HAS(nodes, n))
            continue;
        int64_t v = a->mem_free[n];
        if (b) {
            bool pcp = a->have_pcp && b->have_pcp;
            int64_t free_a = a->mem_free[n] + (pcp ? a->pcp_free[n] : 0);
            int64_t free_b = b->mem_free[n] + (pcp ? b->pcp_free[n] : 0);
            v = (free_a - free_b) + (b->mem_total[n] - a->mem_total[n]);
        }
        if (cdn_json_set_node(obj, n, json_integer(v)) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *cdn_meminfo_free_json(const struct cdn_meminfo_snapshot *s)
{
    return per_node_json(s->nodes, s, NULL);
}

json_t *cdn_meminfo_pcp_json(const struct cdn_meminfo_snapshot *s)
{
    if (!s->have_pcp)
        return json_null();
    json_t *obj = json_object();
    for (int n = 0; obj && n < CDN_MAX_NODES; n++) {
        if (CDN_NODESET_HAS(s->nodes, n) && cdn_json_set_node(obj, n, json_integer(s->pcp_free[n])) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *cdn_meminfo_delta_json(const struct cdn_meminfo_snapshot *a, const struct cdn_meminfo_snapshot *b)
{
    return per_node_json(a->nodes & b->nodes, a, b);
}
