/* policy.c: the calling thread's memory policy read back from the kernel (get_mempolicy), the
 * cpuset's Mems_allowed_list/Cpus_allowed_list, and the CPU and node a request runs on. */
#include "internal.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#ifndef MPOL_LOCAL
#define MPOL_LOCAL 4
#endif
#ifndef MPOL_F_STATIC_NODES
#define MPOL_F_STATIC_NODES (1 << 15)
#endif
#ifndef MPOL_F_RELATIVE_NODES
#define MPOL_F_RELATIVE_NODES (1 << 14)
#endif
#define MODE_FLAGS (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)
#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif

const char *policy_mode_name(int mode)
{
    switch (mode & ~MODE_FLAGS) {
    case MPOL_DEFAULT: return "default";
    case MPOL_PREFERRED: return "preferred";
    case MPOL_BIND: return "bind";
    case MPOL_INTERLEAVE: return "interleave";
    case MPOL_LOCAL: return "local";
    case MPOL_PREFERRED_MANY: return "preferred_many";
    default: return "unknown";
    }
}

/* Takes one "Key:\tvalue" line of /proc/PID/status if it is Mems_allowed_list or
 * Cpus_allowed_list. Lines are read whole (getline), so no list is ever cut short. */
static int status_line(const char *path, const char *line, struct proc_policy *out, int *found,
                       char err[CDN_ERR_LEN])
{
    char why[CDN_ERR_LEN];
    const char *v = strchr(line, ':');
    if (!v)
        return 0;
    for (v++; *v == ' ' || *v == '\t'; v++)
        ;
    if (strncmp(line, "Mems_allowed_list:", 18) == 0) {
        if (cdn_nodeset_parse(v, &out->mems_allowed, why) != 0)
            return cdn_err(err, 0, "%s: Mems_allowed_list: %s", path, why);
        cdn_nodeset_format(out->mems_allowed, out->mems_allowed_list, sizeof out->mems_allowed_list);
        *found |= 1;
    } else if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
        if (cdn_cpuset_parse(v, &out->cpus_allowed, why) != 0)
            return cdn_err(err, 0, "%s: Cpus_allowed_list: %s", path, why);
        *found |= 2;
    }
    return 0;
}

int policy_read_status(const char *proc_status, struct proc_policy *out, char err[CDN_ERR_LEN])
{
    FILE *f = fopen(proc_status, "re");
    if (!f)
        return cdn_err(err, errno, "open %s", proc_status);
    char *line = NULL;
    size_t cap = 0;
    int found = 0, rc = 0;
    for (int i = 0; i < 200 && rc == 0 && found != 3 && getline(&line, &cap, f) > 0; i++)
        rc = status_line(proc_status, line, out, &found, err);
    free(line);
    fclose(f);
    if (rc == 0 && found != 3)
        rc = cdn_err(err, 0, "%s: no %s line", proc_status,
                     found & 1 ? "Cpus_allowed_list" : "Mems_allowed_list");
    return rc;
}

static int read_thread_policy(struct proc_policy *out, char err[CDN_ERR_LEN])
{
    unsigned long mask[CDN_MAX_NODES / (8 * sizeof(unsigned long)) + 1];
    int mode = 0;
    memset(mask, 0, sizeof mask);
    if (get_mempolicy(&mode, mask, CDN_MAX_NODES + 1, NULL, 0) != 0)
        return cdn_err(err, errno, "get_mempolicy");
    out->mode = mode;
    out->mode_name = policy_mode_name(mode);
    out->nodes = (cdn_nodeset)mask[0];
    return 0;
}

int policy_read(const char *proc_status, struct proc_policy *out, char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    if (read_thread_policy(out, err) != 0)
        return -1;
    if (policy_read_status(proc_status, out, err) != 0)
        return -1;
    out->cpu = sched_getcpu();
    out->cpu_node = (out->cpu >= 0 && numa_available() >= 0) ? numa_node_of_cpu(out->cpu) : -1;
    return 0;
}

cdn_nodeset policy_target_nodes(const struct proc_policy *p)
{
    int mode = p->mode & ~MODE_FLAGS;
    if ((mode == MPOL_BIND || mode == MPOL_INTERLEAVE || mode == MPOL_PREFERRED ||
         mode == MPOL_PREFERRED_MANY) && p->nodes)
        return p->nodes & (p->mems_allowed ? p->mems_allowed : p->nodes);
    return p->mems_allowed;
}

json_t *policy_to_json(const struct proc_policy *p)
{
    return json_pack("{s:s, s:o, s:o, s:s, s:o, s:i, s:i}", "policy", p->mode_name,
                     "policy_nodes", cdn_nodeset_json(p->nodes),
                     "mems_allowed", cdn_nodeset_json(p->mems_allowed),
                     "mems_allowed_list", p->mems_allowed_list,
                     "cpus_allowed_list", cdn_cpuset_list_json(&p->cpus_allowed), "cpu", p->cpu,
                     "cpu_node", p->cpu_node);
}
