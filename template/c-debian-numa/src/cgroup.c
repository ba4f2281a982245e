/* cgroup.c: the memory limit and usage of the process's cgroup, v1 (memory.limit_in_bytes,
 * memory.usage_in_bytes) or v2 (memory.max, memory.current), found through /proc/self/cgroup. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads one number file; "max" means unlimited (-1). v1 reports unlimited as a huge number. */
static int read_bytes(const char *dir, const char *name, int64_t *out, char err[CDN_ERR_LEN])
{
    char path[700], buf[64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (cdn_read_small_file(path, buf, sizeof buf, err) != 0)
        return -1;
    if (strcmp(buf, "max") == 0) {
        *out = -1;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno || end == buf || *end)
        return cdn_err(err, 0, "%s: not a number: %s", path, buf);
    *out = v >= (1ULL << 62) ? -1 : (int64_t)v;
    return 0;
}

/* Tries the cgroup's own directory, then the root of the mount (inside a container whose
 * cgroup namespace hides the path, the container's cgroup is mounted at the root). */
static int try_dir(const char *root, const char *rel, const char *limit_file,
                   const char *usage_file, struct cg_memory *out)
{
    const char *cands[2] = {rel, ""};
    for (int i = 0; i < 2; i++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s%s", root, cands[i]);
        int64_t limit, usage;
        if (read_bytes(dir, limit_file, &limit, NULL) == 0 &&
            read_bytes(dir, usage_file, &usage, NULL) == 0) {
            snprintf(out->path, sizeof out->path, "%s", dir);
            out->limit = limit;
            out->usage = usage;
            out->limit_file = limit_file;
            return 0;
        }
    }
    return -1;
}

int cg_memory_read(const char *proc_cgroup, const char *cgroup_root, struct cg_memory *out,
                   char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    out->limit = -1;
    FILE *f = fopen(proc_cgroup, "re");
    if (!f)
        return cdn_err(err, errno, "open %s", proc_cgroup);
    char line[1024];
    char v1_path[512] = "", v2_path[512] = "";
    int have_v1 = 0, have_v2 = 0;
    for (int i = 0; i < 64 && fgets(line, sizeof line, f); i++) {
        line[strcspn(line, "\n")] = '\0';
        /* "hierarchy-ID:controller-list:cgroup-path" */
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        if (strcmp(line, "0") == 0 && *ctrls == '\0') {
            snprintf(v2_path, sizeof v2_path, "%s", strcmp(path, "/") ? path : "");
            have_v2 = 1;
        }
        char list[256];
        snprintf(list, sizeof list, ",%s,", ctrls);
        if (strstr(list, ",memory,")) {
            snprintf(v1_path, sizeof v1_path, "%s", strcmp(path, "/") ? path : "");
            have_v1 = 1;
        }
    }
    fclose(f);
    char root[600];
    if (have_v1) {
        snprintf(root, sizeof root, "%s/memory", cgroup_root);
        if (try_dir(root, v1_path, "memory.limit_in_bytes", "memory.usage_in_bytes", out) == 0) {
            out->version = 1;
            return 0;
        }
    }
    if (have_v2 && try_dir(cgroup_root, v2_path, "memory.max", "memory.current", out) == 0) {
        out->version = 2;
        return 0;
    }
    return 0; /* no memory controller visible: version 0, unlimited */
}

int64_t cg_memory_headroom(const struct cg_memory *m)
{
    if (m->version == 0 || m->limit < 0)
        return INT64_MAX;
    return m->limit > m->usage ? m->limit - m->usage : 0;
}

json_t *cg_memory_to_json(const struct cg_memory *m)
{
    int64_t h = cg_memory_headroom(m);
    return json_pack("{s:i, s:s, s:s?, s:I, s:I, s:I}", "version", m->version, "path", m->path,
                     "limit_file", m->limit_file, "limit", (json_int_t)m->limit,
                     "usage", (json_int_t)m->usage, "headroom", (json_int_t)(h == INT64_MAX ? -1 : h));
}
