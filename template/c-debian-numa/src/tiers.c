/* tiers.c: what the kernel says about tiered memory: the memory tier of every node
 * (/sys/devices/virtual/memory_tiering), HMAT access attributes (nodeN/access0, access1), the
 * weighted-interleave weights (/sys/kernel/mm/mempolicy/weighted_interleave), whether demotion
 * (/sys/kernel/mm/numa/demotion_enabled) and NUMA balancing (/proc/sys/kernel/numa_balancing) are
 * on, and why each is absent. Rendering is in tiers_json.c. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* 1 if path does not exist (an absence, not an error). */
static int missing(const char *path)
{
    struct stat st;
    return stat(path, &st) != 0 && errno == ENOENT;
}

/* A file holding one whole number. 1 if read, 0 if it does not exist, -1 on anything else. */
static int read_number(const char *path, int64_t *out, char err[CDN_ERR_LEN])
{
    char buf[64];
    if (missing(path))
        return 0;
    if (cdn_read_small_file(path, buf, sizeof buf, err) != 0)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno || end == buf || *end)
        return cdn_err(err, 0, "%s: \"%.32s\" is not a whole number", path, buf);
    *out = v;
    return 1;
}

/* memory_tierN/nodelist for every tier: the tier id of each node. */
static int read_tiers(const char *sysfs_root, struct cdn_tier_snapshot *t, char err[CDN_ERR_LEN])
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/devices/virtual/memory_tiering", sysfs_root);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : cdn_err(err, errno, "opendir %s", dir);
    t->have_tiers = 1;
    struct dirent *e;
    int rc = 0;
    for (int i = 0; rc == 0 && i < 4096 && (e = readdir(d)) != NULL; i++) {
        char *end, path[800], buf[256], why[CDN_ERR_LEN];
        if (strncmp(e->d_name, "memory_tier", 11) != 0)
            continue;
        long id = strtol(e->d_name + 11, &end, 10);
        if (end == e->d_name + 11 || *end || id < 0 || id > 1000000)
            continue;
        cdn_nodeset set = 0;
        snprintf(path, sizeof path, "%s/%s/nodelist", dir, e->d_name);
        if (cdn_read_small_file(path, buf, sizeof buf, err) != 0)
            rc = -1;
        else if (cdn_nodeset_parse(buf, &set, why) != 0)
            rc = cdn_err(err, 0, "%s: %s", path, why);
        for (int n = 0; rc == 0 && n < CDN_MAX_NODES; n++)
            if (CDN_NODESET_HAS(set, n))
                t->node[n].tier = (int)id;
    }
    closedir(d);
    return rc;
}

static const char *const access_files[4] = {"read_latency", "write_latency", "read_bandwidth",
                                            "write_bandwidth"};

static int read_access(const char *node_dir, int k, struct cdn_tier_access *a, char err[CDN_ERR_LEN])
{
    char dir[700], path[800];
    int64_t *vals[4] = {&a->read_latency, &a->write_latency, &a->read_bandwidth, &a->write_bandwidth};
    for (int i = 0; i < 4; i++)
        *vals[i] = -1;
    snprintf(dir, sizeof dir, "%s/access%d/initiators", node_dir, k);
    if (!is_dir(dir))
        return 0;
    a->have = 1;
    cdn_node_entries(dir, &a->initiators);  /* its nodeX entries; none when unreadable */
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, access_files[i]);
        if (read_number(path, vals[i], err) < 0)
            return -1;
    }
    return 0;
}

static int read_node(const char *sysfs_root, int n, struct cdn_tier_snapshot *t, char err[CDN_ERR_LEN])
{
    char node_dir[600], path[700];
    struct cdn_tier_node *nd = &t->node[n];
    snprintf(node_dir, sizeof node_dir, "%s/devices/system/node/node%d", sysfs_root, n);
    for (int k = 0; k < 2; k++) {
        if (read_access(node_dir, k, &nd->access[k], err) != 0)
            return -1;
    }
    t->have_hmat |= nd->access[0].have;
    snprintf(path, sizeof path, "%s/kernel/mm/mempolicy/weighted_interleave/node%d", sysfs_root, n);
    return read_number(path, &nd->wi_weight, err) < 0 ? -1 : 0;
}

/* demotion_enabled holds "true" or "false". */
static int read_demotion(const char *sysfs_root, struct cdn_tier_snapshot *t, char err[CDN_ERR_LEN])
{
    char path[512], buf[16];
    snprintf(path, sizeof path, "%s/kernel/mm/numa/demotion_enabled", sysfs_root);
    if (missing(path))
        return 0;
    if (cdn_read_small_file(path, buf, sizeof buf, err) != 0)
        return -1;
    if (strcmp(buf, "true") == 0 || strcmp(buf, "1") == 0)
        t->demotion = 1;
    else if (strcmp(buf, "false") == 0 || strcmp(buf, "0") == 0)
        t->demotion = 0;
    else
        return cdn_err(err, 0, "%s: \"%.15s\" is neither true nor false", path, buf);
    return 0;
}

static int read_globals(const char *sysfs_root, const char *proc_root, struct cdn_tier_snapshot *t,
                        char err[CDN_ERR_LEN])
{
    char path[512];
    int64_t v = -1;
    snprintf(path, sizeof path, "%s/sys/kernel/osrelease", proc_root);
    if (cdn_read_small_file(path, t->kernel, sizeof t->kernel, NULL) != 0)
        snprintf(t->kernel, sizeof t->kernel, "unknown");
    snprintf(path, sizeof path, "%s/kernel/mm/mempolicy/weighted_interleave", sysfs_root);
    t->have_wi = is_dir(path);
    snprintf(path, sizeof path, "%s/sys/kernel/numa_balancing", proc_root);
    int rc = read_number(path, &v, err);
    if (rc < 0)
        return -1;
    if (rc == 1 && (v < 0 || v > 255))
        return cdn_err(err, 0, "%s: %lld is not a numa_balancing mode", path, (long long)v);
    t->numa_balancing = rc == 1 ? (int)v : -1;
    return read_demotion(sysfs_root, t, err);
}

int cdn_tier_read(const char *sysfs_root, const char *proc_root, cdn_nodeset nodes,
                  struct cdn_tier_snapshot *out, char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    out->nodes = nodes;
    out->demotion = -1;
    out->numa_balancing = -1;
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        out->node[n].tier = -1;
        out->node[n].wi_weight = -1;
    }
    if (read_globals(sysfs_root, proc_root, out, err) != 0 || read_tiers(sysfs_root, out, err) != 0)
        return -1;
    for (int n = 0; n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(nodes, n) && read_node(sysfs_root, n, out, err) != 0)
            return -1;
    return 0;
}

const char *cdn_tier_absent(const struct cdn_tier_snapshot *t, const char *field, char *buf, size_t len)
{
    if (strcmp(field, "memory_tiers") == 0 && !t->have_tiers)
        snprintf(buf, len, "no /sys/devices/virtual/memory_tiering: memory tiers need Linux 6.1 "
                 "or later (this kernel: %s)", t->kernel);
    else if (strcmp(field, "hmat") == 0 && !t->have_hmat)
        snprintf(buf, len, "no nodeN/access0 on any node: the firmware declares no HMAT access "
                 "attributes (no ACPI HMAT), or the kernel does not report them "
                 "(CONFIG_HMEM_REPORTING; this kernel: %s)", t->kernel);
    else if (strcmp(field, "weighted_interleave") == 0 && !t->have_wi)
        snprintf(buf, len, "no /sys/kernel/mm/mempolicy/weighted_interleave: "
                 "MPOL_WEIGHTED_INTERLEAVE needs Linux 6.9 or later (this kernel: %s)", t->kernel);
    else if (strcmp(field, "demotion_enabled") == 0 && t->demotion < 0)
        snprintf(buf, len, "no /sys/kernel/mm/numa/demotion_enabled: demotion needs Linux 5.15 "
                 "or later (this kernel: %s)", t->kernel);
    else if (strcmp(field, "numa_balancing") == 0 && t->numa_balancing < 0)
        snprintf(buf, len, "no /proc/sys/kernel/numa_balancing: the kernel (%s) is built without "
                 "CONFIG_NUMA_BALANCING", t->kernel);
    else
        return NULL;
    return buf;
}
