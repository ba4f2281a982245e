/* exp_run.c: runs a plan against the kernel: allocate every chunk (mmap, malloc or libnuma;
 * mbind for a per-request node; THP on 2 MiB-aligned chunks), snapshot MemFree, touch every
 * page, snapshot, locate every page, optionally hold, release everything, snapshot. */
#include "exp.h"

#include <errno.h>
#include <stdbool.h>
#include <numa.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define HUGE_ALIGN ((size_t)2 << 20)

int exp_world_read(struct exp_world *w, char err[CDN_ERR_LEN])
{
    memset(w, 0, sizeof *w);
    if (numa_available() < 0) {
        cdn_err(err, ENOSYS, "NUMA is not available on this kernel");
        return 503;
    }
    if (policy_read("/proc/self/status", &w->policy, err) != 0 ||
        meminfo_snapshot("/sys", "/proc/zoneinfo", &w->mem, err) != 0 ||
        cg_memory_read("/proc/self/cgroup", "/sys/fs/cgroup", &w->cgroup, err) != 0)
        return 500;
    return exp_tier_world_read(w, err);
}

/* Every page that [p, p+len) lies on: for malloc this starts at the mapping, like numa_maps. */
static struct place_range covering_pages(void *p, size_t len)
{
    uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + len + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    return (struct place_range){(void *)lo, hi - lo};
}

static void set_chunk(struct exp_chunk *c, void *map, size_t map_len, void *user, size_t user_len)
{
    c->map = map;
    c->map_len = map_len;
    c->user = user;
    c->user_len = user_len;
    c->pages = covering_pages(user, user_len);
}

static int policy_error(char err[CDN_ERR_LEN], int e, const char *what)
{
    if (e == EPERM)
        cdn_err(err, e, "%s: setting a memory policy needs CAP_SYS_NICE here (docker run "
                "--cap-add SYS_NICE, or k8s/least-privilege.yaml)", what);
    else
        cdn_err(err, e, "%s", what);
    return e == EINVAL ? 422 : 500;
}

/* An anonymous read-write mapping of len bytes, 2 MiB-aligned when huge is set. The kernel
 * usually hands out 2 MiB mappings aligned already; over-allocating and trimming the slack is
 * the fallback. NULL with err on failure, nothing left mapped. */
static char *map_anon(size_t len, bool huge, char err[CDN_ERR_LEN])
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return cdn_err(err, errno, "mmap %zu bytes", len), NULL;
    if (!huge || ((uintptr_t)p & (HUGE_ALIGN - 1)) == 0)
        return p;
    if (munmap(p, len) != 0)
        return cdn_err(err, errno, "munmap"), NULL;
    char *base = mmap(NULL, len + HUGE_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return cdn_err(err, errno, "mmap %zu bytes", len + HUGE_ALIGN), NULL;
    p = (char *)(((uintptr_t)base + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1));
    size_t head = (size_t)(p - base), tail = HUGE_ALIGN - head;
    if ((head && munmap(base, head) != 0) || (tail && munmap(p + len, tail) != 0)) {
        cdn_err(err, errno, "munmap alignment slack");
        munmap(base, len + HUGE_ALIGN);
        return NULL;
    }
    return p;
}

/* Maps one chunk with mmap (2 MiB-aligned for thp) and mbinds it for a per-request node. */
static int map_chunk(const struct exp_plan *plan, struct exp_chunk *c, char err[CDN_ERR_LEN])
{
    size_t len = (size_t)plan->chunk_bytes;
    char *p = map_anon(len, plan->params.thp, err);
    if (!p)
        return 500;
    set_chunk(c, p, len, p, len);
    return exp_policy_mbind(plan, p, len, err);
}

static int alloc_chunk(const struct exp_plan *plan, struct exp_chunk *c, char err[CDN_ERR_LEN])
{
    size_t len = (size_t)plan->chunk_bytes;
    switch (plan->params.alloc) {
    case EXP_ALLOC_MALLOC:
        /* fn_init pins M_MMAP_THRESHOLD, so every chunk is its own mapping, returned on free. */
    {
        void *p = malloc(len);
        if (!p)
            return cdn_err(err, errno, "malloc %zu bytes", len), 500;
        set_chunk(c, p, len, p, len);
        return 0;
    }
    case EXP_ALLOC_LIBNUMA: {
        /* numa_alloc_onnode returns unbound memory when mbind fails: errors.c's numa_error
         * override records the failure, so it is caught here instead of silently measured. */
        cdn_libnuma_error_clear();
        void *p = numa_alloc_onnode(len, plan->params.node);
        if (!p)
            return cdn_err(err, ENOMEM, "numa_alloc_onnode(%zu, %d)", len, plan->params.node), 500;
        set_chunk(c, p, len, p, len);
        if (cdn_libnuma_error()[0]) {
            cdn_err(err, 0, "numa_alloc_onnode: %s", cdn_libnuma_error());
            return strstr(err, "not permitted") ? policy_error(err, EPERM, "numa_alloc_onnode (mbind)") : 500;
        }
        return 0;
    }
    case EXP_ALLOC_MMAP:
    default:
        return map_chunk(plan, c, err);
    }
}

/* thp=true asks for transparent huge pages; thp=false refuses them, because with THP "always"
 * (Debian's default) adjacent chunks merge into one mapping whose aligned parts the kernel
 * would back with huge pages anyway. */
static int set_huge_pages(const struct exp_plan *plan, struct exp_chunk *c, char err[CDN_ERR_LEN])
{
    int advice = plan->params.thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE;
    if (madvise(c->pages.addr, c->pages.len, advice) != 0)
        return cdn_err(err, errno, "madvise(%s)", plan->params.thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE"), 500;
    return 0;
}

static void release_chunks(const struct exp_plan *plan, struct exp_chunk *chunks, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (!chunks[i].map)
            continue;
        if (plan->params.alloc == EXP_ALLOC_MALLOC)
            free(chunks[i].map);
        else if (plan->params.alloc == EXP_ALLOC_LIBNUMA)
            numa_free(chunks[i].map, chunks[i].map_len);
        else
            munmap(chunks[i].map, chunks[i].map_len);
        chunks[i].map = NULL;
    }
}

/* Writes one byte on every page, inside the chunk's own bytes (the first page of a malloc
 * chunk starts with the allocator's header). */
static void touch_chunks(struct exp_chunk *chunks, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        char *lo = chunks[i].user, *end = lo + chunks[i].user_len;
        volatile char *page = chunks[i].pages.addr;
        for (size_t off = 0; off < chunks[i].pages.len; off += PAGE) {
            volatile char *at = page + off < (volatile char *)lo ? (volatile char *)lo : page + off;
            if (at < (volatile char *)end)
                *at = (char)(off >> 12);
        }
    }
}

static int snapshot(struct meminfo_snapshot *s, struct exp_result *res, char err[CDN_ERR_LEN])
{
    double t = cdn_now();
    int rc = meminfo_snapshot("/sys", "/proc/zoneinfo", s, err);
    res->meminfo_s += cdn_now() - t;
    return rc == 0 ? 0 : 500;
}

/* Locates every touched page, and cross-checks with a second source. */
static int locate(struct exp_chunk *chunks, int64_t n, struct exp_result *res, char err[CDN_ERR_LEN])
{
    struct place_range *ranges = malloc((size_t)n * sizeof *ranges);
    if (!ranges)
        return cdn_err(err, ENOMEM, "page ranges"), 500;
    for (int64_t i = 0; i < n; i++)
        ranges[i] = chunks[i].pages;
    double t = cdn_now();
    int rc = place_query(ranges, (size_t)n, &res->placement, err);
    res->placement_s = cdn_now() - t;
    if (rc == 0) {
        enum place_source second = res->placement.source == PLACE_NUMA_MAPS ? PLACE_GET_MEMPOLICY
                                                                            : PLACE_NUMA_MAPS;
        char e2[CDN_ERR_LEN];
        t = cdn_now();
        res->have_cross_check = place_query_with(second, ranges, (size_t)n, &res->cross_check, e2) == 0;
        res->cross_check_s = cdn_now() - t;
    }
    free(ranges);
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
    int64_t n = plan->params.iterations;
    struct exp_chunk *chunks = calloc((size_t)n, sizeof *chunks);
    if (!chunks)
        return cdn_err(err, ENOMEM, "chunk table"), 500;
    res->started_at = cdn_wall_now();
    double start = cdn_now();
    int rc = snapshot(&res->before, res, err);
    if (rc == 0)
        rc = exp_attrib_snap(&res->attrib, ATTRIB_BEFORE, NULL, 0, err);
    double t = cdn_now();
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        rc = alloc_chunk(plan, &chunks[i], err);
        if (rc == 0)
            rc = set_huge_pages(plan, &chunks[i], err);
    }
    res->allocate_s = cdn_now() - t;
    if (rc == 0)
        rc = snapshot(&res->allocated, res, err);
    if (rc == 0)
        rc = exp_attrib_snap(&res->attrib, ATTRIB_ALLOCATED, chunks, n, err);
    if (rc == 0 && plan->params.touch) {
        t = cdn_now();
        touch_chunks(chunks, n);
        res->touch_s = cdn_now() - t;
    }
    if (rc == 0)
        rc = snapshot(&res->touched, res, err);
    if (rc == 0)
        rc = exp_attrib_snap(&res->attrib, ATTRIB_TOUCHED, chunks, n, err);
    if (rc == 0 && policy_read("/proc/self/status", &res->policy_after, err) != 0)
        rc = 500;
    if (rc == 0)
        rc = locate(chunks, n, res, err);
    if (rc == 0)
        rc = exp_run_tier(plan, chunks, n, res, err);
    if (rc == 0 && plan->params.tier.resample_ms == 0)
        hold(plan->params.hold_ms);
    release_chunks(plan, chunks, n);
    free(chunks);
    if (rc == 0)
        rc = snapshot(&res->released, res, err);
    if (rc == 0)
        rc = exp_attrib_snap(&res->attrib, ATTRIB_RELEASED, NULL, 0, err);
    res->total_s = cdn_now() - start;
    res->finished_at = cdn_wall_now();
    return rc;
}
