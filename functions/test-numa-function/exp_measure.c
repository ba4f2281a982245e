/* exp_measure.c: measure=latency,bandwidth over the experiment's touched buffers: a dependent-load
 * pointer chase through a random single cycle (Sattolo's shuffle, built in the buffers themselves)
 * over up to EXP_CHASE_LINES cache lines spread across all of them, so its working set exceeds the
 * last-level cache; then one streaming read and one streaming write of every byte. */
#include "exp.h"

#include <errno.h>
#include <numa.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define LINE 64u
#define EXP_CHASE_LINES ((int64_t)1 << 22)   /* 4 Mi lines: 256 MiB of working set at most */

/* Where line i (of `stride` lines apart) lies, through the ranges' running byte offsets. */
struct chase_map {
    const struct cdn_place_range *r;
    size_t n;
    int64_t stride;
    int64_t *start;     /* start[k]: the byte offset of range k; start[n]: the total */
};

static void **line_at(const struct chase_map *c, int64_t i)
{
    int64_t off = i * c->stride * (int64_t)LINE;
    size_t lo = 0, hi = c->n;   /* the range k with start[k] <= off < start[k + 1] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->start[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return (void **)((char *)c->r[lo].addr + (off - c->start[lo]));
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Sattolo: line i holds the index of the next line; every index is visited once per cycle.
 * Then the indices become addresses. */
static void build_cycle(const struct chase_map *c, int64_t k)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int64_t i = 0; i < k; i++)
        *(int64_t *)line_at(c, i) = i;
    for (int64_t i = k - 1; i > 0; i--) {
        int64_t j = (int64_t)(next_random(&seed) % (uint64_t)i);
        int64_t *a = (int64_t *)line_at(c, i), *b = (int64_t *)line_at(c, j), tmp = *a;
        *a = *b;
        *b = tmp;
    }
    for (int64_t i = 0; i < k; i++) {
        void **p = line_at(c, i);
        *p = line_at(c, *(int64_t *)p);
    }
}

static int chase(const struct cdn_place_range *r, size_t n, int64_t bytes, struct exp_measure *m,
                 char err[CDN_ERR_LEN])
{
    int64_t lines = bytes / LINE;
    struct chase_map c = {r, n, lines / EXP_CHASE_LINES + 1, calloc(n + 1, sizeof(int64_t))};
    int64_t k = lines / c.stride;
    if (!c.start)
        return cdn_err(err, ENOMEM, "pointer chase map");
    for (size_t i = 0; i < n; i++)
        c.start[i + 1] = c.start[i] + (int64_t)r[i].len;
    build_cycle(&c, k);
    void *volatile sink;
    void **p = line_at(&c, 0);
    double t = cdn_now();
    for (int64_t i = 0; i < k; i++)
        p = (void **)*p;
    m->chase_s = cdn_now() - t;
    sink = p;
    (void)sink;
    m->lines = k;
    m->loads = k;
    m->ns_per_load = m->chase_s * 1e9 / (double)k;
    m->latency = true;
    free(c.start);
    return 0;
}

static void stream(const struct cdn_place_range *r, size_t n, int64_t bytes, struct exp_measure *m)
{
    volatile uint64_t sink = 0;
    uint64_t sum = 0;
    double t = cdn_now();
    for (size_t k = 0; k < n; k++) {
        const uint64_t *w = r[k].addr;
        for (size_t i = 0; i < r[k].len / sizeof *w; i++)
            sum += w[i];
    }
    m->read_s = cdn_now() - t;
    sink = sum;
    (void)sink;
    t = cdn_now();
    for (size_t k = 0; k < n; k++)
        memset(r[k].addr, (int)(k & 0xff), r[k].len);
    m->write_s = cdn_now() - t;
    double mib = (double)bytes / (double)EXP_MIB;
    m->read_mib_s = m->read_s > 0 ? mib / m->read_s : 0;
    m->write_mib_s = m->write_s > 0 ? mib / m->write_s : 0;
    m->bandwidth = true;
}

int exp_measure_ranges(const struct cdn_place_range *r, size_t n, unsigned what, int64_t llc_bytes,
                       struct exp_measure *out, char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    int64_t bytes = 0;
    for (size_t k = 0; k < n; k++)
        bytes += (int64_t)r[k].len;
    if (bytes < (int64_t)(2 * LINE))
        return cdn_err(err, EINVAL, "measure: %lld bytes is too small to measure", (long long)bytes);
    out->cpu = sched_getcpu();
    out->cpu_node = out->cpu >= 0 && numa_available() >= 0 ? numa_node_of_cpu(out->cpu) : -1;
    out->llc_bytes = llc_bytes;
    out->buffer_bytes = bytes;
    if ((what & EXP_MEASURE_LATENCY) && chase(r, n, bytes, out, err) != 0)
        return -1;
    if (what & EXP_MEASURE_BANDWIDTH)
        stream(r, n, bytes, out);
    cdn_virt_detect("/proc/cpuinfo", "/sys", &out->virt);
    return 0;
}
