/* exp_plan_tier.c: the tiered-memory part of a plan: a request's policy over `nodes` (each node
 * present, allowed by the cpuset and inside the process's bind; weighted interleave only where the
 * kernel has it), the node of migrate_to (the same checks, and room for the buffers), a pointer
 * chase larger than the last-level cache, and the sweep's memory and CPU nodes. Pure: no syscalls.
 * Refusals are 422 with the reason. */
#include "exp.h"

#include <numaif.h>
#include <stdio.h>

static int check_nodes(cdn_nodeset nodes, const struct exp_world *w, char err[CDN_ERR_LEN])
{
    for (int n = 0; n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(nodes, n) && exp_plan_check_node(n, w, err) != 0)
            return -1;
    return 0;
}

static int plan_policy(const struct exp_world *w, struct exp_plan *plan, char err[CDN_ERR_LEN])
{
    const struct exp_tier_params *t = &plan->params.tier;
    char why[CDN_ERR_LEN];
    if (t->policy == EXP_MPOL_NONE)
        return 0;
    if (check_nodes(t->nodes, w, err) != 0)
        return 422;
    if (t->policy == EXP_MPOL_WEIGHTED_INTERLEAVE && cdn_tier_absent(&w->tiers, "weighted_interleave", why, sizeof why))
        return cdn_err(err, 0, "policy=weighted-interleave: %s", why), 422;
    plan->mbind_mode = exp_mpol_mode(t->policy, t->nodes);
    plan->mbind_nodes = t->nodes;
    plan->target = t->nodes;
    plan->target_policy = exp_mpol_name(t->policy);
    return 0;
}

static int plan_migrate(const struct exp_world *w, const struct exp_limits *lim,
                        const struct exp_plan *plan, char err[CDN_ERR_LEN])
{
    int to = plan->params.tier.migrate_to;
    if (to < 0)
        return 0;
    if (exp_plan_check_node(to, w, err) != 0)
        return 422;
    int64_t room = w->mem.mem_free[to] - lim->reserve_bytes;
    if (plan->total_bytes > room)
        return cdn_err(err, 0, "migrate_to=%d: %lld bytes to move but node %d has %lld bytes free "
                       "(EXP_RESERVE_MB keeps %lld back)", to, (long long)plan->total_bytes, to,
                       (long long)w->mem.mem_free[to], (long long)lim->reserve_bytes), 422;
    return 0;
}

static int plan_measure(const struct exp_world *w, struct exp_plan *plan, char err[CDN_ERR_LEN])
{
    plan->llc_bytes = w->llc_bytes;
    if (!(plan->params.tier.measure & EXP_MEASURE_LATENCY) || w->llc_bytes <= 0)
        return 0;
    if (plan->total_bytes <= w->llc_bytes)
        return cdn_err(err, 0, "measure=latency: the pointer chase needs buffers larger than the "
                       "last-level cache (%lld bytes), not %lld: raise chunk_mb or iterations",
                       (long long)w->llc_bytes, (long long)plan->total_bytes), 422;
    return 0;
}

/* Every allowed memory node (inside a process bind) that can hold the buffers, from every node
 * whose CPUs the cpuset allows. */
static int plan_sweep(const struct exp_world *w, const struct exp_limits *lim, struct exp_plan *plan,
                      char err[CDN_ERR_LEN])
{
    if (!plan->params.tier.sweep)
        return 0;
    cdn_nodeset mem = w->mem.nodes & w->policy.mems_allowed;
    if ((w->policy.mode & 0xff) == MPOL_BIND)
        mem &= w->policy.nodes;
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        if (!CDN_NODESET_HAS(mem, n) || w->mem.mem_free[n] - lim->reserve_bytes >= plan->total_bytes)
            continue;
        return cdn_err(err, 0, "sweep: %lld bytes do not fit on node %d (%lld bytes free, "
                       "EXP_RESERVE_MB keeps %lld back)", (long long)plan->total_bytes, n,
                       (long long)w->mem.mem_free[n], (long long)lim->reserve_bytes), 422;
    }
    if (!mem || !w->cpu_nodes)
        return cdn_err(err, 0, "sweep: no %s node is allowed", mem ? "CPU" : "memory"), 422;
    plan->sweep_mem = mem;
    plan->sweep_cpu = w->cpu_nodes;
    return 0;
}

int exp_plan_tier(const struct exp_world *w, const struct exp_limits *lim, struct exp_plan *plan,
                  char err[CDN_ERR_LEN])
{
    int rc = plan_policy(w, plan, err);
    if (rc == 0)
        rc = plan_migrate(w, lim, plan, err);
    if (rc == 0)
        rc = plan_measure(w, plan, err);
    if (rc == 0)
        rc = plan_sweep(w, lim, plan, err);
    return rc;
}
