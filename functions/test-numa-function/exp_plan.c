/* exp_plan.c: turns parameters and a snapshot of the world into a plan, or refuses it before
 * anything is allocated: a node that is absent, outside the cpuset or outside the process's bind
 * policy; a total above EXP_MAX_TOTAL_MB, above the free memory of the target nodes, or above
 * the cgroup's memory headroom (the tiered-memory parameters: exp_plan_tier.c). Pure: no syscalls, so it is tested on any machine. */
#include "exp.h"

#include <numaif.h>
#include <stdio.h>
#include <string.h>

int exp_plan_check_node(int node, const struct exp_world *w, char err[CDN_ERR_LEN])
{
    char have[128];
    if (!CDN_NODESET_HAS(w->mem.nodes, node)) {
        cdn_nodeset_format(w->mem.nodes, have, sizeof have);
        return cdn_err(err, 0, "node %d does not exist on this machine (nodes %s)", node, have);
    }
    if (!CDN_NODESET_HAS(w->policy.mems_allowed, node))
        return cdn_err(err, 0, "node %d is not in this process's Mems_allowed (%s): the cpuset "
                       "excludes it", node, w->policy.mems_allowed_list);
    if (cdn_policy_mode_base(w->policy.mode) == MPOL_BIND && !CDN_NODESET_HAS(w->policy.nodes, node)) {
        cdn_nodeset_format(w->policy.nodes, have, sizeof have);
        return cdn_err(err, 0, "node %d is outside the process's bind policy (nodes %s, set by "
                       "numactl --membind): a request may not leave it", node, have);
    }
    return 0;
}

static int64_t free_bytes(const struct cdn_meminfo_snapshot *m, cdn_nodeset nodes)
{
    int64_t sum = 0;
    for (int n = 0; n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(nodes & m->nodes, n))
            sum += m->mem_free[n];
    return sum;
}

static int check_fit(const struct exp_plan *plan, const struct exp_world *w,
                     const struct exp_limits *lim, char err[CDN_ERR_LEN])
{
    int64_t need = plan->total_bytes;
    if (need > lim->max_total_bytes)
        return cdn_err(err, 0, "%lld bytes requested is above EXP_MAX_TOTAL_MB (%lld bytes)",
                       (long long)need, (long long)lim->max_total_bytes);
    /* Bind (process or request) confines pages to the target; other policies may spill over
     * to any allowed node. */
    bool confined = plan->params.node >= 0 || strcmp(plan->target_policy, "bind") == 0;
    cdn_nodeset pool = confined ? plan->target : w->policy.mems_allowed;
    int64_t avail = free_bytes(&w->mem, pool) - lim->reserve_bytes;
    if (need > avail) {
        char list[128];
        cdn_nodeset_format(pool, list, sizeof list);
        return cdn_err(err, 0, "%lld bytes requested but node(s) %s have %lld bytes free "
                       "(EXP_RESERVE_MB keeps %lld back)", (long long)need, list,
                       (long long)free_bytes(&w->mem, pool), (long long)lim->reserve_bytes);
    }
    int64_t headroom = cdn_cg_memory_headroom(&w->cgroup);
    if (headroom != INT64_MAX && need > headroom - lim->reserve_bytes)
        return cdn_err(err, 0, "%lld bytes requested but the cgroup memory limit (%s = %lld "
                       "bytes, %lld in use) leaves %lld bytes; the request would be OOM-killed",
                       (long long)need, w->cgroup.limit_file, (long long)w->cgroup.limit,
                       (long long)w->cgroup.usage, (long long)headroom);
    return 0;
}

int exp_plan_make(const struct exp_params *p, const struct exp_world *w,
                  const struct exp_limits *lim, struct exp_plan *plan, char err[CDN_ERR_LEN])
{
    memset(plan, 0, sizeof *plan);
    plan->params = *p;
    plan->chunk_bytes = p->chunk_mb * EXP_MIB;
    plan->total_bytes = plan->chunk_bytes * p->iterations;
    if (p->node >= 0) {
        if (exp_plan_check_node(p->node, w, err) != 0)
            return 422;
        plan->target = (cdn_nodeset)1 << p->node;
        plan->target_policy = "bind";
        plan->mbind_mode = MPOL_BIND;
        plan->mbind_nodes = plan->target;
    } else {
        plan->target = cdn_policy_target_nodes(&w->policy);
        plan->target_policy = w->policy.mode_name;
        plan->mbind_mode = -1;
    }
    int rc = exp_plan_tier(w, lim, plan, err);
    if (rc != 0)
        return rc;
    if (check_fit(plan, w, lim, err) != 0)
        return 422;
    return 0;
}
