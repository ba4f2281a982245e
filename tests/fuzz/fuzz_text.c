/* fuzz_text.c: the part of the parsers' libFuzzer target that feeds kernel text held in memory
 * (fmemopen) to the parsers that take a FILE *: numa_maps for placement (cdn_place_parse_numa_maps) and
 * for a process's memory (cdn_procstat_parse_numa_maps), /proc/PID/status (cdn_procstat_parse_status),
 * /proc/zoneinfo (cdn_nodestat_parse_zoneinfo), a node's meminfo counters
 * and numastat (cdn_nodestat_parse_meminfo, cdn_nodestat_parse_numastat), and smaps for the huge page
 * step (cdn_place_parse_smaps). */
#include "exp.h"
#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEXT_CAP ((int64_t)1 << 52)    /* the parsers' own saturation: no count goes above */

static const struct cdn_place_range ranges[] = {
    {(void *)(uintptr_t)0x7f0000000000ull, (size_t)1 << 30},
    {(void *)(uintptr_t)0x400000ull, 0x200000},
};

/* A read-only stream over part p; NULL for an empty part (fmemopen refuses size 0). */
static FILE *open_part(struct fuzz_part p)
{
    if (p.len == 0)
        return NULL;
    FILE *f = fmemopen((void *)p.data, p.len, "r");
    if (!f)
        fuzz_fail("fmemopen");
    return f;
}

static void in_range(const int64_t *v, size_t n, int64_t hi, const char *who)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0 || v[i] > hi)
            fuzz_fail(who);
}

void fuzz_numa_maps(const uint8_t *data, size_t size)
{
    FILE *f = open_part((struct fuzz_part){data, size});
    if (!f)
        return;
    struct cdn_place_result res;
    memset(&res, 0, sizeof res);
    char err[CDN_ERR_LEN];
    if (cdn_place_parse_numa_maps(f, ranges, 2, &res, err) == 0) {
        in_range(res.per_node, CDN_MAX_NODES, TEXT_CAP, "cdn_place_parse_numa_maps: a count out of 0..2^52");
        json_t *j = cdn_place_to_json(&res, 1);
        if (!j)
            fuzz_fail("cdn_place_to_json: NULL");
        json_decref(j);
    } else {
        check_err(err, "cdn_place_parse_numa_maps: failed without error text");
    }
    fclose(f);
}

/* smaps: the sums stay within 0..2^52 kB, and inside is 0 or 1. */
void fuzz_smaps(const uint8_t *data, size_t size)
{
    FILE *f = open_part((struct fuzz_part){data, size});
    if (!f)
        return;
    struct cdn_place_smaps sm;
    char err[CDN_ERR_LEN];
    if (cdn_place_parse_smaps(f, ranges, 2, &sm, err) == 0) {
        int64_t v[2] = {sm.rss_kb, sm.anon_huge_kb};
        in_range(v, 2, TEXT_CAP, "cdn_place_parse_smaps: a sum out of 0..2^52 kB");
        if (sm.inside != 0 && sm.inside != 1)
            fuzz_fail("cdn_place_parse_smaps: inside neither 0 nor 1");
    } else {
        check_err(err, "cdn_place_parse_smaps: failed without error text");
    }
    fclose(f);
}

/* The zoneinfo parser (both snapshots use it): per-CPU free bytes and counter drift within
 * 0..2^52, per-CPU free bytes whole pages. */
void fuzz_zoneinfo(const uint8_t *data, size_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    int64_t pcp[CDN_MAX_NODES], drift[CDN_MAX_NODES];
    char err[CDN_ERR_LEN];
    FILE *f = open_part((struct fuzz_part){data, size});
    if (!f)
        return;
    if (cdn_nodestat_parse_zoneinfo(f, pcp, drift, err) == 0) {
        in_range(pcp, CDN_MAX_NODES, TEXT_CAP, "cdn_nodestat_parse_zoneinfo: per-CPU free out of 0..2^52");
        in_range(drift, CDN_MAX_NODES, TEXT_CAP, "cdn_nodestat_parse_zoneinfo: drift out of 0..2^52");
        for (int k = 0; k < CDN_MAX_NODES; k++)
            if (pcp[k] % page != 0)
                fuzz_fail("cdn_nodestat_parse_zoneinfo: per-CPU free bytes not whole pages");
    }
    fclose(f);
}

/* Input: "nodeN/meminfo text\0nodeN/numastat text". */
void fuzz_nodestat(const uint8_t *data, size_t size)
{
    struct fuzz_part part[2];
    fuzz_split(data, size, part, 2);
    int64_t field[CDN_NODESTAT_FIELDS], numa[CDN_NODESTAT_NUMA_COUNTERS];
    uint32_t seen = 0;
    char err[CDN_ERR_LEN];
    FILE *f = open_part(part[0]);
    if (f) {
        memset(field, 0, sizeof field);
        if (cdn_nodestat_parse_meminfo(f, 0, field, &seen, err) == 0) {
            in_range(field, CDN_NODESTAT_FIELDS, TEXT_CAP, "cdn_nodestat_parse_meminfo: a counter out of 0..2^52");
            if (seen >> CDN_NODESTAT_FIELDS)
                fuzz_fail("cdn_nodestat_parse_meminfo: a field seen that does not exist");
        } else {
            check_err(err, "cdn_nodestat_parse_meminfo: failed without error text");
        }
        fclose(f);
    }
    if ((f = open_part(part[1])) != NULL) {
        memset(numa, 0, sizeof numa);
        if (cdn_nodestat_parse_numastat(f, numa, err) == 0)
            in_range(numa, CDN_NODESTAT_NUMA_COUNTERS, TEXT_CAP, "cdn_nodestat_parse_numastat: out of 0..2^52");
        else
            check_err(err, "cdn_nodestat_parse_numastat: failed without error text");
        fclose(f);
    }
}

/* Input: "/proc/PID/numa_maps text\0/proc/PID/status text". */
void fuzz_procstat(const uint8_t *data, size_t size)
{
    struct fuzz_part part[2];
    fuzz_split(data, size, part, 2);
    struct cdn_procstat ps;
    char err[CDN_ERR_LEN];
    memset(&ps, 0, sizeof ps);
    FILE *f = open_part(part[0]);
    if (f) {
        if (cdn_procstat_parse_numa_maps(f, ranges, 2, &ps, err) == 0) {
            in_range(ps.in_ranges, CDN_MAX_NODES, TEXT_CAP, "procstat: bytes in ranges out of 0..2^52");
            in_range(ps.anon, CDN_MAX_NODES, TEXT_CAP, "procstat: anonymous bytes out of 0..2^52");
            in_range(ps.file, CDN_MAX_NODES, TEXT_CAP, "procstat: file bytes out of 0..2^52");
            if (!memchr(ps.policy, '\0', sizeof ps.policy))
                fuzz_fail("cdn_procstat_parse_numa_maps: policy not a string");
        } else {
            check_err(err, "cdn_procstat_parse_numa_maps: failed without error text");
        }
        fclose(f);
    }
    if ((f = open_part(part[1])) != NULL) {
        if (cdn_procstat_parse_status(f, &ps, err) == 0) {
            if (ps.pid <= 0 || ps.ppid < 0 || ps.vm_pte < -1 || !memchr(ps.comm, '\0', sizeof ps.comm))
                fuzz_fail("cdn_procstat_parse_status: pid, ppid, VmPTE or name out of range");
        } else {
            check_err(err, "cdn_procstat_parse_status: failed without error text");
        }
        fclose(f);
    }
}
