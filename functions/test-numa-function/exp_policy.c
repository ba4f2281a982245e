/* exp_policy.c: puts the plan's per-request memory policy on one chunk with mbind(2): bind,
 * preferred (MPOL_PREFERRED_MANY for several nodes), interleave, or MPOL_WEIGHTED_INTERLEAVE (Linux
 * 6.9+, mode 6, which numactl 2.0.16 does not know), or bind to a per-request node. A kernel that
 * refuses the mode is a 422. */
#include "exp.h"

#include <errno.h>
#include <numaif.h>

int exp_policy_mbind(const struct exp_plan *plan, void *addr, size_t len, char err[CDN_ERR_LEN])
{
    if (plan->mbind_mode < 0)
        return 0;
    /* node=N: MPOL_MF_MOVE moves the page malloc already wrote its header to (a fresh mmap chunk
     * has none). */
    unsigned flags = plan->params.node >= 0 ? MPOL_MF_MOVE | MPOL_MF_STRICT : 0;
    char why[CDN_ERR_LEN];
    if (cdn_policy_mbind(addr, len, plan->mbind_mode, plan->mbind_nodes, flags, why) == 0)
        return 0;
    int e = errno;
    char list[128];
    cdn_nodeset_format(plan->mbind_nodes, list, sizeof list);
    if (e == EPERM) {
        cdn_err(err, e, "mbind(%s, %s): setting a memory policy needs CAP_SYS_NICE here (docker "
                "run --cap-add SYS_NICE, or k8s/least-privilege.yaml)", plan->target_policy, list);
        return 500;
    }
    if (e == EINVAL && plan->mbind_mode == 6)
        cdn_err(err, e, "mbind(MPOL_WEIGHTED_INTERLEAVE, %s): this kernel does not know the mode "
                "(it needs Linux 6.9 or later)", list);
    else
        cdn_err(err, e, "mbind(%s, %s)", plan->target_policy, list);
    return e == EINVAL ? 422 : 500;
}
