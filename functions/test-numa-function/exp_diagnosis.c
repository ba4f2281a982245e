/* exp_diagnosis.c: the reasons the experiment's placement, or a node's movement, differs from
 * the policy, from a fixed set (docs/answer.md, "diagnosis"), each in plain words with its
 * numbers. Pure: snapshots, context and attribution in, reasons out. "While the experiment ran"
 * is before -> touched (what `numactl -H` shows mid-run); the per-CPU lists and MemTotal are
 * looked at up to the release. */
#include "exp_attrib.h"

#include <numaif.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif
#define MODE(m) ((m) & 0xff)    /* without MPOL_F_STATIC_NODES / MPOL_F_RELATIVE_NODES */

static const char *const why_names[WHY_COUNT] = {
    "cpuset_narrowed", "preferred_fallback", "interleave_uneven", "thp_not_granted",
    "parent_unbound", "page_cache", "kernel_memory", "other_processes", "per_cpu_lists",
    "memory_onlined", "unexplained",
};

const char *attrib_why_name(enum attrib_why w)
{
    return (unsigned)w < WHY_COUNT ? why_names[w] : "unknown";
}

struct reasons {
    struct attrib_reason *out;
    size_t max, n;
};

__attribute__((format(printf, 5, 6)))
static void add(struct reasons *r, enum attrib_why why, int node, int64_t bytes, const char *fmt, ...)
{
    if (r->n >= r->max)
        return;
    struct attrib_reason *x = &r->out[r->n++];
    x->why = why;
    x->node = node;
    x->bytes = bytes;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->text, sizeof x->text, fmt, ap);
    va_end(ap);
}

static int64_t floor_bytes(const struct cdn_nodestat_snapshot *s, int n)
{
    return s->drift[n] > ATTRIB_FLOOR_BYTES ? s->drift[n] : ATTRIB_FLOOR_BYTES;
}

/* The change of a cell field summed over allocate and touch: before -> touched. */
#define RUNNING(a, n, expr) ((a)->cell[ATTRIB_ALLOCATE][n].expr + (a)->cell[ATTRIB_TOUCH][n].expr)

static void cpuset(struct reasons *r, const struct attrib_snaps *s, const struct attrib_context *c,
                   const struct attrib_result *a)
{
    cdn_nodeset excluded = a->nodes & ~c->mems_allowed;
    if (!c->mems_allowed || !excluded)
        return;
    char have[128], allowed[128], out[128], target[128];
    cdn_nodeset_format(a->nodes, have, sizeof have);
    cdn_nodeset_format(c->mems_allowed, allowed, sizeof allowed);
    cdn_nodeset_format(excluded, out, sizeof out);
    cdn_nodeset_format(c->target, target, sizeof target);
    int64_t bytes = 0;
    for (int n = 0; n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(excluded, n))
            bytes += s->at[ATTRIB_BEFORE].node.field[n][CDN_NODESTAT_MEM_TOTAL];
    add(r, WHY_CPUSET_NARROWED, -1, bytes, "the cpuset allows nodes %s of %s (Mems_allowed_list %s): "
        "the kernel narrows any memory policy to them without a word, so the policy read back "
        "(%s, nodes %s) may be narrower than the one asked for; node(s) %s (%lld bytes) cannot be used",
        allowed, have, c->mems_allowed_list ? c->mems_allowed_list : allowed, c->policy_name, target,
        out, (long long)bytes);
}

static void fallback(struct reasons *r, const struct attrib_snaps *s, const struct attrib_context *c,
                     const struct attrib_result *a)
{
    if (MODE(c->policy_mode) == MPOL_BIND)
        return;     /* bind never places a page outside its nodes */
    char target[128];
    cdn_nodeset_format(c->target, target, sizeof target);
    int64_t free_b = 0, foreign = 0;
    for (int n = 0; n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(c->target & a->nodes, n)) {
            free_b += s->at[ATTRIB_BEFORE].node.field[n][CDN_NODESTAT_MEM_FREE] + s->at[ATTRIB_BEFORE].node.pcp_free[n];
            foreign += a->numastat[n][CDN_NODESTAT_NUMA_FOREIGN];
        }
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        int64_t off = CDN_NODESET_HAS(c->target, n) ? 0 : a->cell[ATTRIB_TOUCH][n].share[ATTRIB_EXPERIMENT];
        if (!CDN_NODESET_HAS(a->nodes, n) || off <= 0)
            continue;
        add(r, WHY_PREFERRED_FALLBACK, n, off, "the %s policy names node(s) %s, yet %lld bytes of the "
            "experiment landed on node %d: the node(s) named had %lld bytes free when it started and the "
            "kernel falls back to other nodes when they run short (numa_foreign there: %+lld allocations)",
            c->policy_name, target, (long long)off, n, (long long)free_b, (long long)foreign);
    }
}

static void interleave(struct reasons *r, const struct attrib_snaps *s, const struct attrib_context *c,
                       const struct attrib_result *a)
{
    if (MODE(c->policy_mode) != MPOL_INTERLEAVE || cdn_nodeset_count(c->target & a->nodes) < 2)
        return;
    int64_t lo = INT64_MAX, hi = 0;
    char sizes[200] = "", pages[200] = "";
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        if (!CDN_NODESET_HAS(c->target & a->nodes, n))
            continue;
        int64_t t = s->at[ATTRIB_BEFORE].node.field[n][CDN_NODESTAT_MEM_TOTAL];
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
        size_t u = strlen(sizes), v = strlen(pages);
        snprintf(sizes + u, sizeof sizes - u, "%s%d:%lld", u ? " " : "", n, (long long)t);
        snprintf(pages + v, sizeof pages - v, "%s%d:%lld", v ? " " : "", n,
                 (long long)(a->cell[ATTRIB_TOUCH][n].share[ATTRIB_EXPERIMENT] / 4096));
    }
    if (lo <= 0 || hi * 10 <= lo * 11)
        return;     /* within 10%: even enough */
    add(r, WHY_INTERLEAVE_UNEVEN, -1, hi - lo, "interleave spreads pages evenly (pages by node %s) over "
        "nodes of different sizes (MemTotal %s bytes): the smallest fills first, then the kernel falls "
        "back to the others", pages, sizes);
}

static void thp(struct reasons *r, const struct attrib_snaps *s, const struct attrib_context *c,
                const struct attrib_result *a)
{
    if (!c->thp || !c->touch || !(a->fields & (1u << CDN_NODESTAT_ANON_HUGE_PAGES)))
        return;
    int64_t got = 0;
    for (int n = 0; n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(a->nodes, n))
            got += a->cell[ATTRIB_TOUCH][n].counter[CDN_NODESTAT_ANON_HUGE_PAGES];
    if (got * 10 >= c->bytes * 9)
        return;
    const char *mode = s->at[ATTRIB_TOUCHED].node.thp_mode;
    add(r, WHY_THP_NOT_GRANTED, -1, got, "transparent huge pages were asked for (thp=true), but "
        "AnonHugePages grew by %lld of %lld bytes while the pages were touched (THP mode \"%s\"): the rest "
        "are 4 KiB pages", (long long)got, (long long)c->bytes, mode[0] ? mode : "unknown");
}

static void parent(struct reasons *r, const struct attrib_snaps *s, const struct attrib_context *c,
                   const struct attrib_result *a)
{
    const struct cdn_procstat *p = &s->at[ATTRIB_TOUCHED].parent;
    if (!p->readable)
        return;
    char target[128];
    cdn_nodeset_format(c->target, target, sizeof target);
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        if (!CDN_NODESET_HAS(a->nodes, n) || CDN_NODESET_HAS(c->target, n) || p->anon[n] <= 0)
            continue;
        add(r, WHY_PARENT_UNBOUND, n, p->anon[n], "the parent process (pid %d, %s, policy %s) is not bound "
            "like the function: %lld bytes of its anonymous memory are on node %d, outside the policy "
            "nodes %s (%+lld while the experiment ran); numactl in fprocess binds only the function "
            "(NUMA_WATCHDOG_BIND binds the watchdog too)", p->pid, p->comm, p->policy,
            (long long)p->anon[n], n, target, (long long)RUNNING(a, n, share[ATTRIB_PARENT]));
    }
}

static void node_movements(struct reasons *r, const struct attrib_snaps *s, const struct attrib_result *a)
{
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        if (!CDN_NODESET_HAS(a->nodes, n))
            continue;
        int64_t fl = floor_bytes(&s->at[ATTRIB_TOUCHED].node, n);
        int64_t file = RUNNING(a, n, counter[CDN_NODESTAT_FILE_PAGES]);
        if (llabs(file) >= fl)
            add(r, WHY_PAGE_CACHE, n, file, "node %d's page cache (FilePages) changed by %+lld bytes "
                "while the experiment ran (Shmem %+lld): file pages stay on the node where they were "
                "first read, whatever the policy", n, (long long)file,
                (long long)RUNNING(a, n, counter[CDN_NODESTAT_SHMEM]));
        int64_t slab = RUNNING(a, n, counter[CDN_NODESTAT_SRECLAIMABLE]) + RUNNING(a, n, counter[CDN_NODESTAT_SUNRECLAIM]);
        int64_t stacks = RUNNING(a, n, counter[CDN_NODESTAT_KERNEL_STACK]);
        int64_t tables = RUNNING(a, n, counter[CDN_NODESTAT_PAGE_TABLES]) + RUNNING(a, n, counter[CDN_NODESTAT_SEC_PAGE_TABLES]) -
                         RUNNING(a, n, share[ATTRIB_PAGE_TABLES]);
        int64_t rest = RUNNING(a, n, not_in_counters);
        if (llabs(slab + stacks + tables + rest) >= fl)
            add(r, WHY_KERNEL_MEMORY, n, slab + stacks + tables + rest, "kernel memory on node %d changed "
                "by %+lld bytes while the experiment ran: slab %+lld, kernel stacks %+lld, page tables "
                "of other processes %+lld, in no per-node counter %+lld", n,
                (long long)(slab + stacks + tables + rest), (long long)slab, (long long)stacks,
                (long long)tables, (long long)rest);
        int64_t ours = 0;
        for (int k = 0; k < ATTRIB_SHARES; k++)
            if (k != ATTRIB_PAGE_TABLES)
                ours += RUNNING(a, n, share[k]);
        int64_t others = RUNNING(a, n, counter[CDN_NODESTAT_ANON_PAGES]) - ours;
        if (llabs(others) >= fl)
            add(r, WHY_OTHER_PROCESSES, n, others, "anonymous memory of other processes on node %d "
                "changed by %+lld bytes while the experiment ran (AnonPages %+lld, of which this "
                "process and its parent %+lld)", n, (long long)others,
                (long long)RUNNING(a, n, counter[CDN_NODESTAT_ANON_PAGES]), (long long)ours);
    }
}

static void free_lists(struct reasons *r, const struct attrib_snaps *s, const struct attrib_result *a)
{
    const struct cdn_nodestat_snapshot *first = &s->at[ATTRIB_BEFORE].node;
    for (int n = 0; a->with_pcp && n < CDN_MAX_NODES; n++) {
        if (!CDN_NODESET_HAS(a->nodes, n))
            continue;
        int64_t d = s->at[ATTRIB_RELEASED].node.pcp_free[n] - first->pcp_free[n];
        if (llabs(d) >= floor_bytes(first, n))
            add(r, WHY_PER_CPU_LISTS, n, d, "the free pages of node %d on per-CPU lists changed by %+lld "
                "bytes from before the experiment to after its release: MemFree (numactl -H) leaves "
                "them out, so it shows node %d that much %s than it is", n, (long long)d, n,
                d > 0 ? "fuller" : "emptier");
    }
}

static void onlined(struct reasons *r, const struct attrib_snaps *s, const struct attrib_result *a)
{
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        int64_t d = 0, t0 = s->at[ATTRIB_BEFORE].node.field[n][CDN_NODESTAT_MEM_TOTAL];
        for (int i = ATTRIB_ALLOCATED; CDN_NODESET_HAS(a->nodes, n) && i < ATTRIB_SNAPS; i++)
            if (llabs(s->at[i].node.field[n][CDN_NODESTAT_MEM_TOTAL] - t0) > llabs(d))
                d = s->at[i].node.field[n][CDN_NODESTAT_MEM_TOTAL] - t0;
        if (d != 0)
            add(r, WHY_MEMORY_ONLINED, n, d, "node %d's MemTotal changed by %+lld bytes during the "
                "experiment: memory was onlined or offlined (hotplug, a CXL expander, deferred "
                "initialisation); it is not counted as use", n, (long long)d);
    }
}

static void unexplained(struct reasons *r, const struct attrib_result *a)
{
    for (int p = ATTRIB_TOUCH; p <= ATTRIB_RELEASE; p++)
        for (int n = 0; n < CDN_MAX_NODES; n++) {
            const struct attrib_cell *x = &a->cell[p][n];
            if (!CDN_NODESET_HAS(a->nodes, n) || x->share[ATTRIB_EXPERIMENT] == 0 ||
                x->unexplained_pct <= ATTRIB_UNEXPLAINED_PCT)
                continue;
            add(r, WHY_UNEXPLAINED, n, x->unexplained, "on node %d, which carries the experiment, "
                "%+lld bytes (%.1f%%) of the %+lld-byte change during %s are explained neither by the "
                "experiment, this process nor its parent", n, (long long)x->unexplained,
                x->unexplained_pct, (long long)x->used_change, attrib_phase_name((enum attrib_phase)p));
        }
}

size_t attrib_diagnose(const struct attrib_snaps *s, const struct attrib_context *c,
                       const struct attrib_result *a, struct attrib_reason *out, size_t max)
{
    struct reasons r = {out, max, 0};
    cpuset(&r, s, c, a);
    fallback(&r, s, c, a);
    interleave(&r, s, c, a);
    thp(&r, s, c, a);
    parent(&r, s, c, a);
    node_movements(&r, s, a);
    free_lists(&r, s, a);
    onlined(&r, s, a);
    unexplained(&r, a);
    /* In the order of the set, node by node (a stable insertion sort: at most ATTRIB_MAX_REASONS). */
    for (size_t i = 1; i < r.n; i++) {
        struct attrib_reason x = out[i];
        size_t j = i;
        for (; j > 0 && (out[j - 1].why > x.why || (out[j - 1].why == x.why && out[j - 1].node > x.node)); j--)
            out[j] = out[j - 1];
        out[j] = x;
    }
    return r.n;
}
