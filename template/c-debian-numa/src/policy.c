/* policy.c: memory policies read back from the kernel (get_mempolicy) and set on a range (mbind),
 * every mode and mode flag Linux 6.12 knows, with node masks sized for the kernel; the cpuset's
 * Mems_allowed_list/Cpus_allowed_list; and the CPU and node a request runs on. A seccomp profile
 * that refuses get_mempolicy (a container without CAP_SYS_NICE) makes the policy "unknown", with
 * the reason, rather than an error. */
#include "internal.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

/* Linux's uapi/linux/mempolicy.h; numaif.h of numactl 2.0.16 lacks the newer ones. */
#define CDN_POLICY_LOCAL 4
#define CDN_POLICY_PREFERRED_MANY 5
#define CDN_POLICY_WEIGHTED_INTERLEAVE 6
#define CDN_POLICY_F_STATIC_NODES (1 << 15)
#define CDN_POLICY_F_RELATIVE_NODES (1 << 14)
#define CDN_POLICY_F_NUMA_BALANCING (1 << 13)
#define CDN_POLICY_MODE_FLAGS (CDN_POLICY_F_STATIC_NODES | CDN_POLICY_F_RELATIVE_NODES | CDN_POLICY_F_NUMA_BALANCING)

#define CDN_POLICY_CAP_HINT "a container's seccomp profile allows the memory-policy calls only with " \
    "CAP_SYS_NICE (docker run --cap-add SYS_NICE, or k8s/least-privilege.yaml)"

int cdn_policy_mode_base(int mode)
{
    return mode < 0 ? mode : mode & ~CDN_POLICY_MODE_FLAGS;
}

const char *cdn_policy_mode_name(int mode)
{
    switch (cdn_policy_mode_base(mode)) {
    case MPOL_DEFAULT: return "default";
    case MPOL_PREFERRED: return "preferred";
    case MPOL_BIND: return "bind";
    case MPOL_INTERLEAVE: return "interleave";
    case CDN_POLICY_LOCAL: return "local";
    case CDN_POLICY_PREFERRED_MANY: return "preferred_many";
    case CDN_POLICY_WEIGHTED_INTERLEAVE: return "weighted_interleave";
    default: return "unknown";
    }
}

/* ["static_nodes", "relative_nodes", "numa_balancing"]: the mode flags set in mode. */
static json_t *mode_flags_json(int mode)
{
    static const struct { int flag; const char *name; } flags[] = {
        {CDN_POLICY_F_STATIC_NODES, "static_nodes"}, {CDN_POLICY_F_RELATIVE_NODES, "relative_nodes"},
        {CDN_POLICY_F_NUMA_BALANCING, "numa_balancing"},
    };
    json_t *arr = json_array();
    for (size_t i = 0; arr && mode >= 0 && i < sizeof flags / sizeof flags[0]; i++)
        if ((mode & flags[i].flag) && json_array_append_new(arr, json_string(flags[i].name)) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

int cdn_policy_numa_available(char err[CDN_ERR_LEN])
{
    if (get_mempolicy(NULL, NULL, 0, NULL, 0) == 0 || errno == EPERM)
        return 0;   /* refused by seccomp is not absent */
    return cdn_err(err, errno, "NUMA is not available on this kernel: get_mempolicy");
}

/* get_mempolicy into a kernel-sized mask. On EPERM: mode CDN_POLICY_UNKNOWN, reason filled, 0. */
static int get_policy(const void *addr, int *mode, cdn_nodeset *nodes, char reason[CDN_ERR_LEN],
                      char err[CDN_ERR_LEN])
{
    struct cdn_kmask mask;
    const char *what = addr ? "get_mempolicy(MPOL_F_ADDR)" : "get_mempolicy";
    *mode = CDN_POLICY_UNKNOWN;
    *nodes = 0;
    reason[0] = '\0';
    if (cdn_kmask_alloc(0, &mask, err) != 0)
        return -1;
    int rc = get_mempolicy(mode, mask.words, mask.maxnode, (void *)addr, addr ? MPOL_F_ADDR : 0);
    int e = errno;
    if (rc != 0 && e == EPERM) {
        *mode = CDN_POLICY_UNKNOWN;
        cdn_err(reason, 0, "%s: Operation not permitted (%s)", what, CDN_POLICY_CAP_HINT);
        rc = 0;
    } else if (rc != 0) {
        *mode = CDN_POLICY_UNKNOWN;
        rc = cdn_err(err, e, "%s", what);
    } else if (cdn_kmask_to_nodeset(&mask, nodes, err) != 0) {
        rc = -1;
    } else if (strcmp(cdn_policy_mode_name(*mode), "unknown") == 0) {
        cdn_err(reason, 0, "%s: mode %#x is not one Linux 6.12 knows", what, (unsigned)*mode);
    }
    cdn_kmask_free(&mask);
    return rc;
}

/* Takes one "Key:\tvalue" line of /proc/PID/status if it is Mems_allowed_list or
 * Cpus_allowed_list. Lines are read whole (getline), so no list is ever cut short. */
static int status_line(const char *path, const char *line, struct cdn_proc_policy *out, int *found,
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

int cdn_policy_read_status(const char *proc_status, struct cdn_proc_policy *out, char err[CDN_ERR_LEN])
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

int cdn_policy_read(const char *proc_status, struct cdn_proc_policy *out, char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    if (get_policy(NULL, &out->mode, &out->nodes, out->reason, err) != 0)
        return -1;
    out->mode_name = cdn_policy_mode_name(out->mode);
    if (cdn_policy_read_status(proc_status, out, err) != 0)
        return -1;
    out->cpu = sched_getcpu();
    /* numa_node_of_cpu reads sysfs only: it works where seccomp refuses the policy calls. */
    out->cpu_node = out->cpu >= 0 && cdn_policy_numa_available(NULL) == 0 ? numa_node_of_cpu(out->cpu) : -1;
    return 0;
}

int cdn_policy_read_addr(const void *addr, struct cdn_addr_policy *out, char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    if (get_policy(addr, &out->mode, &out->nodes, out->reason, err) != 0)
        return -1;
    out->mode_name = cdn_policy_mode_name(out->mode);
    return 0;
}

int cdn_policy_mbind(void *addr, size_t len, int mode, cdn_nodeset nodes, unsigned flags,
                     char err[CDN_ERR_LEN])
{
    struct cdn_kmask mask;
    if (cdn_kmask_alloc(nodes, &mask, err) != 0)
        return -1;
    int rc = mbind(addr, len, mode, mask.words, mask.maxnode, flags);
    int e = errno;
    cdn_kmask_free(&mask);
    if (rc == 0)
        return 0;
    cdn_err(err, e, "mbind");
    errno = e;  /* for callers that tell EPERM from EINVAL */
    return -1;
}

cdn_nodeset cdn_policy_target_nodes(const struct cdn_proc_policy *p)
{
    int mode = cdn_policy_mode_base(p->mode);
    if ((mode == MPOL_BIND || mode == MPOL_INTERLEAVE || mode == MPOL_PREFERRED ||
         mode == CDN_POLICY_PREFERRED_MANY || mode == CDN_POLICY_WEIGHTED_INTERLEAVE) && p->nodes)
        return p->nodes & (p->mems_allowed ? p->mems_allowed : p->nodes);
    return p->mems_allowed;
}

/* {"policy": name, "policy_nodes": [..] or null when unknown, "policy_flags": [..], "policy_reason": ""} */
static json_t *mode_json(int mode, cdn_nodeset nodes, const char *reason)
{
    int known = mode != CDN_POLICY_UNKNOWN;
    return json_pack("{s:s, s:o, s:o, s:s}", "policy", cdn_policy_mode_name(mode),
                     "policy_nodes", known ? cdn_nodeset_json(nodes) : json_null(),
                     "policy_flags", mode_flags_json(mode), "policy_reason", reason);
}

json_t *cdn_policy_addr_to_json(const struct cdn_addr_policy *p)
{
    return mode_json(p->mode, p->nodes, p->reason);
}

json_t *cdn_policy_to_json(const struct cdn_proc_policy *p)
{
    json_t *j = mode_json(p->mode, p->nodes, p->reason);
    json_t *rest = json_pack("{s:o, s:s, s:o, s:i, s:i}",
                             "mems_allowed", cdn_nodeset_json(p->mems_allowed),
                             "mems_allowed_list", p->mems_allowed_list,
                             "cpus_allowed_list", cdn_cpuset_list_json(&p->cpus_allowed), "cpu", p->cpu,
                             "cpu_node", p->cpu_node);
    if (!j || !rest || json_object_update(j, rest) != 0) {
        json_decref(j);
        j = NULL;
    }
    json_decref(rest);
    return j;
}
