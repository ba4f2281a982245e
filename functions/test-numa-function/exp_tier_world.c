/* exp_tier_world.c: the part of the world the tiered-memory stages plan with: the kernel's tier
 * view (tiers.c), the size of the last-level cache and the nodes whose CPUs this process may use. */
#include "exp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest cache level of cpu0 (cache/indexN/level and size, "16384K"). */
int64_t exp_llc_bytes(const char *sysfs_root)
{
    int64_t best = -1;
    int best_level = -1;
    for (int i = 0; i < 16; i++) {
        char path[512], buf[64];
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu0/cache/index%d/level", sysfs_root, i);
        FILE *f = fopen(path, "re");
        if (!f)
            break;
        int level = -1;
        if (fscanf(f, "%d", &level) != 1)
            level = -1;
        fclose(f);
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu0/cache/index%d/size", sysfs_root, i);
        f = fopen(path, "re");
        if (!f)
            continue;
        char unit = 0;
        long long size = -1;
        int got = fgets(buf, sizeof buf, f) ? sscanf(buf, "%lld%c", &size, &unit) : 0;
        fclose(f);
        if (got < 1 || size <= 0 || level < best_level)
            continue;
        int64_t mult = unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : unit == 'G' ? 1024LL << 20 : 1;
        best = size * mult;
        best_level = level;
    }
    return best;
}

int exp_tier_world_read(struct exp_world *w, char err[CDN_ERR_LEN])
{
    if (cdn_tier_read("/sys", "/proc", w->mem.nodes, &w->tiers, err) != 0)
        return 500;
    w->llc_bytes = exp_llc_bytes("/sys");
    w->cpu_nodes = 0;
    for (int i = 0; w->have_topo && i < w->topo.n_nodes; i++)
        for (int c = 0; c < CDN_MAX_CPUS; c++)
            if (cdn_cpuset_has(&w->topo.nodes[i].cpus, c) && cdn_cpuset_has(&w->policy.cpus_allowed, c)) {
                w->cpu_nodes |= (cdn_nodeset)1 << w->topo.nodes[i].id;
                break;
            }
    return 0;
}
