/* exp_run.c: runs a plan against the kernel: read the world, snapshot MemFree, allocate every
 * chunk (exp_alloc.c), snapshot, touch every page, snapshot (numa_maps read once for the snapshot
 * and the placement), locate every page and cross-check (exp_locate.c),
 * migrate, measure and resample (exp_run_tier.c), optionally hold, release everything, snapshot. */
#include "exp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int exp_world_read(struct exp_world *w, char err[CDN_ERR_LEN])
{
    memset(w, 0, sizeof *w);
    if (cdn_policy_numa_available(err) != 0)
        return 503;
    if (cdn_policy_read("/proc/self/status", &w->policy, err) != 0 ||
        cdn_meminfo_snapshot("/sys", "/proc/zoneinfo", &w->mem, err) != 0 ||
        cdn_cg_memory_read("/proc/self/cgroup", "/sys/fs/cgroup", &w->cgroup, err) != 0)
        return 500;
    w->have_topo = cdn_topo_read("/sys", &w->topo, NULL) == 0;
    w->pid = (long)getpid();
    return exp_tier_world_read(w, err);
}

void exp_world_free(struct exp_world *w)
{
    cdn_topo_free(&w->topo);
    w->have_topo = false;
}

static int snapshot(struct cdn_meminfo_snapshot *s, struct exp_result *res, char err[CDN_ERR_LEN])
{
    double t = cdn_now();
    int rc = cdn_meminfo_snapshot("/sys", "/proc/zoneinfo", s, err);
    res->meminfo_s += cdn_now() - t;
    return rc == 0 ? 0 : 500;
}

static void hold(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int exp_run(const struct exp_plan *plan, struct exp_result *res, char err[CDN_ERR_LEN])
{
    memset(res, 0, sizeof *res);
    struct exp_chunks chunks;
    memset(&chunks, 0, sizeof chunks);
    res->started_at = cdn_wall_now();
    double start = cdn_now();
    int rc = snapshot(&res->before, res, err);
    if (rc == 0)
        rc = exp_attrib_snap(&res->attrib, ATTRIB_BEFORE, NULL, NULL, err);
    double t = cdn_now();
    if (rc == 0)
        rc = exp_chunks_alloc(plan, &chunks, err);
    res->allocate_s = cdn_now() - t;
    res->chunk_policy = chunks.first_policy;
    if (rc == 0)
        rc = snapshot(&res->allocated, res, err);
    if (rc == 0)
        rc = exp_attrib_snap(&res->attrib, ATTRIB_ALLOCATED, &chunks, NULL, err);
    if (rc == 0 && plan->params.touch) {
        t = cdn_now();
        exp_chunks_touch(&chunks);
        res->touch_s = cdn_now() - t;
    }
    if (rc == 0)
        rc = snapshot(&res->touched, res, err);
    /* One read of numa_maps after the touch serves the attribution's snapshot and the placement
     * (exp_locate.c); if it fails, each reads the file itself. */
    struct cdn_text numa_maps = {NULL, 0};
    if (rc == 0) {
        t = cdn_now();
        cdn_text_read("/proc/self/numa_maps", &numa_maps, NULL);
        res->numa_maps_read_s = cdn_now() - t;
    }
    if (rc == 0)
        rc = exp_attrib_snap(&res->attrib, ATTRIB_TOUCHED, &chunks, &numa_maps, err);
    if (rc == 0 && cdn_policy_read("/proc/self/status", &res->policy_after, err) != 0)
        rc = 500;
    if (rc == 0)
        rc = exp_locate(plan, &chunks, &numa_maps, res, err);
    cdn_text_free(&numa_maps);
    if (rc == 0)
        rc = exp_run_tier(plan, &chunks, res, err);
    if (rc == 0 && plan->params.tier.resample_ms == 0)
        hold(plan->params.hold_ms);
    exp_chunks_release(plan, &chunks);
    if (rc == 0)
        rc = snapshot(&res->released, res, err);
    if (rc == 0)
        rc = exp_attrib_snap(&res->attrib, ATTRIB_RELEASED, NULL, NULL, err);
    res->total_s = cdn_now() - start;
    res->finished_at = cdn_wall_now();
    return rc;
}
