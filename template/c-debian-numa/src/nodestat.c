/* nodestat.c: what the kernel counts per node, read in one go: the nodeN/meminfo counters that
 * make up a node's used memory (AnonPages, FilePages, Shmem, PageTables, KernelStack, slab, ...),
 * the per-CPU free lists and counter drift from /proc/zoneinfo, the nodeN/numastat allocation
 * counters and the THP mode. Parsers take a FILE *, so fixtures test them. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Kernel numbers are text: each is capped (1 PiB, 2^40 counts) and sums saturate at 2^52 bytes,
 * so that differences and sums of them never overflow. */
#define CDN_NODESTAT_MAX_KB ((long long)1 << 40)
#define CDN_NODESTAT_SUM_CAP ((int64_t)1 << 52)

static void add_pages(int64_t *acc, long long pages, long page)
{
    int64_t b = (int64_t)pages * page;      /* pages < 2^40, page <= 2^24: fits */
    *acc = b > CDN_NODESTAT_SUM_CAP - *acc ? CDN_NODESTAT_SUM_CAP : *acc + b;
}

static const char *const field_names[CDN_NODESTAT_FIELDS] = {
    "MemTotal", "MemFree", "AnonPages", "FilePages", "Shmem", "PageTables", "SecPageTables",
    "KernelStack", "SReclaimable", "SUnreclaim", "AnonHugePages",
};
static const char *const numa_names[CDN_NODESTAT_NUMA_COUNTERS] = {
    "numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node",
};

const char *cdn_nodestat_field_name(enum cdn_nodestat_field f)
{
    return (unsigned)f < CDN_NODESTAT_FIELDS ? field_names[f] : "unknown";
}

const char *cdn_nodestat_numa_name(enum cdn_nodestat_numa c)
{
    return (unsigned)c < CDN_NODESTAT_NUMA_COUNTERS ? numa_names[c] : "unknown";
}

static int field_index(const char *key)
{
    for (int i = 0; i < CDN_NODESTAT_FIELDS; i++)
        if (strcmp(key, field_names[i]) == 0)
            return i;
    return -1;
}

int cdn_nodestat_parse_meminfo(FILE *f, int node, int64_t field[CDN_NODESTAT_FIELDS], uint32_t *seen,
                               char err[CDN_ERR_LEN])
{
    char line[256];
    *seen = 0;
    memset(field, 0, sizeof(int64_t) * CDN_NODESTAT_FIELDS);
    for (int i = 0; i < 200 && fgets(line, sizeof line, f); i++) {
        /* "Node 0 AnonPages:     253368 kB"; lines without kB (HugePages_*) are counts: skipped */
        int n;
        char key[64];
        long long kb;
        if (sscanf(line, "Node %d %63[^:]: %lld kB", &n, key, &kb) != 3 || n != node ||
            kb < 0 || kb > CDN_NODESTAT_MAX_KB || !strstr(line, " kB"))
            continue;
        int k = field_index(key);
        if (k >= 0) {
            field[k] = kb * 1024;
            *seen |= 1u << k;
        }
    }
    if (ferror(f))
        return cdn_err(err, EIO, "read node%d/meminfo", node);
    if (!(*seen & (1u << CDN_NODESTAT_MEM_TOTAL)) || !(*seen & (1u << CDN_NODESTAT_MEM_FREE)))
        return cdn_err(err, 0, "node%d/meminfo: no MemTotal/MemFree lines", node);
    return 0;
}

int cdn_nodestat_parse_numastat(FILE *f, int64_t numa[CDN_NODESTAT_NUMA_COUNTERS], char err[CDN_ERR_LEN])
{
    char line[128];
    int found = 0;
    memset(numa, 0, sizeof(int64_t) * CDN_NODESTAT_NUMA_COUNTERS);
    for (int i = 0; i < 64 && fgets(line, sizeof line, f); i++) {
        char key[32];
        long long v;
        if (sscanf(line, "%31s %lld", key, &v) != 2 || v < 0 || v > ((long long)1 << 52))
            continue;
        for (int c = 0; c < CDN_NODESTAT_NUMA_COUNTERS; c++)
            if (strcmp(key, numa_names[c]) == 0) {
                numa[c] = v;
                found |= 1 << c;
            }
    }
    if (ferror(f))
        return cdn_err(err, EIO, "read numastat");
    if (found != (1 << CDN_NODESTAT_NUMA_COUNTERS) - 1)
        return cdn_err(err, 0, "numastat: not every counter (numa_hit ... other_node) present");
    return 0;
}

/* Sums, per node, the pagesets' "count:" (free pages on per-CPU lists) and every
 * "vm stats threshold:" (how many pages each CPU may hold back from a counter before folding). */
int cdn_nodestat_parse_zoneinfo(FILE *f, int64_t pcp[CDN_MAX_NODES], int64_t drift[CDN_MAX_NODES],
                                char err[CDN_ERR_LEN])
{
    char line[256];
    int node = -1;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || page > (1L << 24))
        page = 4096;
    memset(pcp, 0, sizeof(int64_t) * CDN_MAX_NODES);
    memset(drift, 0, sizeof(int64_t) * CDN_MAX_NODES);
    for (long i = 0; i < 1000000 && fgets(line, sizeof line, f); i++) {
        int n;
        long long v;
        if (sscanf(line, "Node %d, zone", &n) == 1)
            node = n >= 0 && n < CDN_MAX_NODES ? n : -1;
        else if (node < 0 || sscanf(line, " %*[a-z ]: %lld", &v) != 1 || v <= 0 || v >= (1LL << 40))
            continue;
        else if (sscanf(line, " count: %lld", &v) == 1)
            add_pages(&pcp[node], v, page);
        else if (sscanf(line, " vm stats threshold: %lld", &v) == 1)
            add_pages(&drift[node], v, page);
    }
    if (ferror(f))
        return cdn_err(err, EIO, "read zoneinfo");
    return 0;
}

/* "always [madvise] never" -> "madvise" */
static void read_thp_mode(const char *sysfs_root, char *out, size_t len)
{
    char path[512], text[128];
    snprintf(path, sizeof path, "%s/kernel/mm/transparent_hugepage/enabled", sysfs_root);
    out[0] = '\0';
    if (cdn_read_small_file(path, text, sizeof text, NULL) != 0)
        return;
    char *lo = strchr(text, '['), *hi = lo ? strchr(lo, ']') : NULL;
    if (lo && hi && (size_t)(hi - lo - 1) < len)
        snprintf(out, len, "%.*s", (int)(hi - lo - 1), lo + 1);
}

static int read_node(const char *dir, int id, struct cdn_nodestat_snapshot *out, uint32_t *seen_all,
                     char err[CDN_ERR_LEN])
{
    char path[600];
    uint32_t seen;
    snprintf(path, sizeof path, "%s/node%d/meminfo", dir, id);
    FILE *f = fopen(path, "re");
    if (!f)
        return cdn_err(err, errno, "open %s", path);
    int rc = cdn_nodestat_parse_meminfo(f, id, out->field[id], &seen, err);
    fclose(f);
    if (rc != 0)
        return -1;
    *seen_all &= seen;
    snprintf(path, sizeof path, "%s/node%d/numastat", dir, id);
    f = fopen(path, "re");
    if (!f || cdn_nodestat_parse_numastat(f, out->numa[id], NULL) != 0)
        out->have_numastat = 0;
    if (f)
        fclose(f);
    return 0;
}

int cdn_nodestat_snapshot(const char *sysfs_root, const char *zoneinfo, struct cdn_nodestat_snapshot *out,
                          char err[CDN_ERR_LEN])
{
    char dir[512];
    memset(out, 0, sizeof *out);
    if (cdn_node_dirs(sysfs_root, dir, sizeof dir, &out->nodes, err) != 0)
        return -1;
    /* The per-CPU lists first, then MemFree right after: the two halves of "free" close in time. */
    FILE *f = zoneinfo ? fopen(zoneinfo, "re") : NULL;
    if (f) {
        out->have_pcp = cdn_nodestat_parse_zoneinfo(f, out->pcp_free, out->drift, NULL) == 0;
        fclose(f);
    }
    uint32_t seen_all = ~0u;
    out->have_numastat = 1;
    for (int id = 0; id < CDN_MAX_NODES; id++)
        if (CDN_NODESET_HAS(out->nodes, id) && read_node(dir, id, out, &seen_all, err) != 0)
            return -1;
    out->fields_seen = seen_all & ((1u << CDN_NODESTAT_FIELDS) - 1);
    read_thp_mode(sysfs_root, out->thp_mode, sizeof out->thp_mode);
    return 0;
}

int64_t cdn_nodestat_used(const struct cdn_nodestat_snapshot *s, int node, bool with_pcp)
{
    if (node < 0 || node >= CDN_MAX_NODES)
        return 0;
    const int64_t *v = s->field[node];
    return v[CDN_NODESTAT_MEM_TOTAL] - v[CDN_NODESTAT_MEM_FREE] - (with_pcp ? s->pcp_free[node] : 0);
}
