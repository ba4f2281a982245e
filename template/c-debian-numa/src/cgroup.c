/* cgroup.c: the memory limit that binds the process, v1 (memory.limit_in_bytes,
 * memory.usage_in_bytes) or v2 (memory.max, memory.current). The process's cgroup comes from
 * /proc/self/cgroup; every cgroup from it up to the mount's root counts, because a Kubernetes
 * pod's limit sits on the pod's cgroup and the container's own is below it. The one that leaves
 * the least room is reported, with the file that set it. A malformed file is an error naming it. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CG_MAX_DEPTH 64     /* cgroups on one path; the kernel's default limit is far higher,
                             * but no real hierarchy comes near it */

/* One hierarchy: where it is mounted and the files it uses. */
struct cg_kind {
    int version;
    char root[600];         /* the mount */
    const char *rel;        /* the process's cgroup below it ("" for the root) */
    const char *limit_name, *usage_name;
};

/* Reads one number file. For a limit (limit_version 1 or 2) no limit is -1: v2 writes "max", v1 a
 * page-rounded LONG_MAX, so from 2^62 up. A usage (limit_version 0) is a plain count. Returns 0,
 * 1 when the file does not exist, or -1 with err naming the file when it cannot be read or does
 * not hold exactly one number. */
static int read_bytes(const char *path, int limit_version, int64_t *out, char err[CDN_ERR_LEN])
{
    char buf[64];
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return 1;
    if (cdn_read_small_file(path, buf, sizeof buf, err) != 0)
        return -1;
    if (limit_version == 2 && strcmp(buf, "max") == 0) {
        *out = -1;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = buf[0] >= '0' && buf[0] <= '9' ? strtoull(buf, &end, 10) : 0;
    if (!end || errno || *end || (!limit_version && v > (unsigned long long)INT64_MAX))
        return cdn_err(err, 0, "%s: malformed, not a byte count: \"%.40s\"", path, buf);
    *out = limit_version && v >= (1ULL << 62) ? -1 : (int64_t)v;
    return 0;
}

/* The process's own cgroup directory: the path from /proc/self/cgroup under the mount, or the
 * mount's root when that path is not there (a cgroup namespace mounts the container's own cgroup
 * at the root) or climbs out of it. */
static int own_dir(const struct cg_kind *k, char *dir, size_t len, char err[CDN_ERR_LEN])
{
    struct stat sb;
    int n = snprintf(dir, len, "%s%s", k->root, k->rel);
    if (n < 0 || (size_t)n >= len)
        return cdn_err(err, 0, "cgroup path too long: %s%.80s", k->root, k->rel);
    if (strstr(k->rel, "/..") || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        snprintf(dir, len, "%s", k->root);
    return 0;
}

/* Looks at one cgroup: when it has a limit, keeps it if it leaves less room than the best so far.
 * Returns 0, or -1 with err. *seen is set when the cgroup has the limit file at all. */
static int visit(const struct cg_kind *k, const char *dir, int leaf, struct cdn_cg_memory *out,
                 int *seen, char err[CDN_ERR_LEN])
{
    char lpath[sizeof out->limit_file], upath[sizeof out->limit_file];
    int64_t limit = -1, usage = 0;
    snprintf(lpath, sizeof lpath, "%s/%s", dir, k->limit_name);
    snprintf(upath, sizeof upath, "%s/%s", dir, k->usage_name);
    int rc = read_bytes(lpath, k->version, &limit, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    *seen = 1;
    rc = read_bytes(upath, 0, &usage, err);
    if (rc != 0)
        return rc < 0 ? -1 : cdn_err(err, ENOENT, "%s (beside %s)", upath, lpath);
    if (leaf && out->limit < 0)
        out->usage = usage;     /* reported while no limit is found */
    if (limit < 0)
        return 0;
    /* On a tie the cgroup nearer the process stays. */
    int64_t room = limit > usage ? limit - usage : 0;
    if (out->limit >= 0 && room >= (out->limit > out->usage ? out->limit - out->usage : 0))
        return 0;
    out->limit = limit;
    out->usage = usage;
    snprintf(out->limit_file, sizeof out->limit_file, "%s", lpath);
    return 0;
}

/* Visits the process's cgroup and each parent up to the mount's root. Returns 1 when some cgroup
 * on the way has the limit file (the controller is there), 0 when none has, -1 with err. */
static int walk(const struct cg_kind *k, struct cdn_cg_memory *out, char err[CDN_ERR_LEN])
{
    char dir[sizeof out->path];
    int seen = 0;
    size_t root_len = strlen(k->root);
    if (own_dir(k, dir, sizeof dir, err) != 0)
        return -1;
    snprintf(out->path, sizeof out->path, "%s", dir);
    for (int depth = 0; depth < CG_MAX_DEPTH; depth++) {
        if (visit(k, dir, depth == 0, out, &seen, err) != 0)
            return -1;
        char *slash = strrchr(dir, '/');
        if (strlen(dir) <= root_len || !slash || (size_t)(slash - dir) < root_len)
            break;
        *slash = '\0';
    }
    return seen;
}

/* Finds the memory controller's lines in /proc/self/cgroup: v1 ("N:...,memory,...:/path") and
 * v2 ("0::/path"). */
static int parse_proc_cgroup(const char *proc_cgroup, char v1[512], int *have_v1, char v2[512],
                             int *have_v2, char err[CDN_ERR_LEN])
{
    FILE *f = fopen(proc_cgroup, "re");
    if (!f)
        return cdn_err(err, errno, "open %s", proc_cgroup);
    char line[1024];
    for (int i = 0; i < 64 && fgets(line, sizeof line, f); i++) {
        line[strcspn(line, "\n")] = '\0';
        /* "hierarchy-ID:controller-list:cgroup-path" */
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        if (strcmp(line, "0") == 0 && *ctrls == '\0') {
            snprintf(v2, 512, "%s", strcmp(path, "/") ? path : "");
            *have_v2 = 1;
        }
        char list[256];
        snprintf(list, sizeof list, ",%s,", ctrls);
        if (strstr(list, ",memory,")) {
            snprintf(v1, 512, "%s", strcmp(path, "/") ? path : "");
            *have_v1 = 1;
        }
    }
    fclose(f);
    return 0;
}

int cdn_cg_memory_read(const char *proc_cgroup, const char *cgroup_root, struct cdn_cg_memory *out,
                       char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    out->limit = -1;
    char v1_path[512] = "", v2_path[512] = "";
    int have_v1 = 0, have_v2 = 0;
    if (parse_proc_cgroup(proc_cgroup, v1_path, &have_v1, v2_path, &have_v2, err) != 0)
        return -1;
    struct cg_kind kinds[2] = {
        {1, "", v1_path, "memory.limit_in_bytes", "memory.usage_in_bytes"},
        {2, "", v2_path, "memory.max", "memory.current"},
    };
    snprintf(kinds[0].root, sizeof kinds[0].root, "%s/memory", cgroup_root);
    snprintf(kinds[1].root, sizeof kinds[1].root, "%s", cgroup_root);
    int have[2] = {have_v1, have_v2};
    for (int i = 0; i < 2; i++) {
        if (!have[i])
            continue;
        struct cdn_cg_memory m = {.limit = -1};
        int rc = walk(&kinds[i], &m, err);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            *out = m;
            out->version = kinds[i].version;
            return 0;
        }
    }
    return 0; /* no memory controller visible: version 0, unlimited */
}

int64_t cdn_cg_memory_headroom(const struct cdn_cg_memory *m)
{
    if (m->version == 0 || m->limit < 0)
        return INT64_MAX;
    return m->limit > m->usage ? m->limit - m->usage : 0;
}

json_t *cdn_cg_memory_to_json(const struct cdn_cg_memory *m)
{
    int64_t h = cdn_cg_memory_headroom(m);
    return json_pack("{s:i, s:s, s:s?, s:I, s:I, s:I}", "version", m->version, "path", m->path,
                     "limit_file", m->limit_file[0] ? m->limit_file : NULL,
                     "limit", (json_int_t)m->limit, "usage", (json_int_t)m->usage,
                     "headroom", (json_int_t)(h == INT64_MAX ? -1 : h));
}
