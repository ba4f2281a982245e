/* test_nodestat.c: unit tests for the attribution readers: nodeN/meminfo counters, nodeN/numastat,
 * the per-CPU lists and counter drift of /proc/zoneinfo, a whole node snapshot (files from the
 * emulated 3-node machine's Linux 6.1), and a process's numa_maps and status (procstat). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KB 1024LL

static FILE *text_file(const char *text)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    return f;
}

static void meminfo_counters_of_a_real_node(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    int64_t field[CDN_NODESTAT_FIELDS];
    uint32_t seen;
    FILE *f = fopen(FIXTURES "/nodestat/devices/system/node/node1/meminfo", "r");
    assert_non_null(f);
    assert_int_equal(cdn_nodestat_parse_meminfo(f, 1, field, &seen, err), 0);
    fclose(f);
    assert_int_equal(seen, (1u << CDN_NODESTAT_FIELDS) - 1);   /* 6.1 has every counter, SecPageTables too */
    assert_int_equal(field[CDN_NODESTAT_MEM_TOTAL], 1031520 * KB);
    assert_int_equal(field[CDN_NODESTAT_MEM_FREE], 1015784 * KB);
    assert_int_equal(field[CDN_NODESTAT_ANON_PAGES], 972 * KB);
    assert_int_equal(field[CDN_NODESTAT_KERNEL_STACK], 788 * KB);
    assert_int_equal(field[CDN_NODESTAT_PAGE_TABLES], 112 * KB);
    assert_int_equal(field[CDN_NODESTAT_SRECLAIMABLE], 276 * KB);
    assert_int_equal(field[CDN_NODESTAT_SUNRECLAIM], 4092 * KB);
    assert_string_equal(cdn_nodestat_field_name(CDN_NODESTAT_SUNRECLAIM), "SUnreclaim");
    assert_string_equal(cdn_nodestat_field_name(CDN_NODESTAT_FIELDS), "unknown");
}

static void meminfo_refusals_and_gaps(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    int64_t field[CDN_NODESTAT_FIELDS];
    uint32_t seen;
    /* another node's lines, counts without kB, a negative and an absurd value are skipped */
    FILE *f = text_file("Node 3 MemTotal: 100 kB\nNode 0 MemTotal: 200 kB\nNode 0 MemFree: 50 kB\n"
                        "Node 0 HugePages_Total: 7\nNode 0 AnonPages: -5 kB\n"
                        "Node 0 FilePages: 99999999999999999 kB\n");
    assert_int_equal(cdn_nodestat_parse_meminfo(f, 0, field, &seen, err), 0);
    fclose(f);
    assert_int_equal(field[CDN_NODESTAT_MEM_TOTAL], 200 * KB);
    assert_int_equal(field[CDN_NODESTAT_ANON_PAGES], 0);
    assert_int_equal(field[CDN_NODESTAT_FILE_PAGES], 0);
    assert_int_equal(seen, (1u << CDN_NODESTAT_MEM_TOTAL) | (1u << CDN_NODESTAT_MEM_FREE));
    f = text_file("Node 0 MemTotal: 200 kB\n");
    assert_int_equal(cdn_nodestat_parse_meminfo(f, 0, field, &seen, err), -1);
    fclose(f);
    assert_string_equal(err, "node0/meminfo: no MemTotal/MemFree lines");
}

static void numastat_counters(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    int64_t numa[CDN_NODESTAT_NUMA_COUNTERS];
    FILE *f = fopen(FIXTURES "/nodestat/devices/system/node/node1/numastat", "r");
    assert_non_null(f);
    assert_int_equal(cdn_nodestat_parse_numastat(f, numa, err), 0);
    fclose(f);
    assert_int_equal(numa[CDN_NODESTAT_NUMA_HIT], 3034);
    assert_int_equal(numa[CDN_NODESTAT_INTERLEAVE_HIT], 223);
    assert_int_equal(numa[CDN_NODESTAT_LOCAL_NODE], 2130);
    assert_int_equal(numa[CDN_NODESTAT_OTHER_NODE], 904);
    assert_string_equal(cdn_nodestat_numa_name(CDN_NODESTAT_OTHER_NODE), "other_node");
    f = text_file("numa_hit 1\nnuma_miss 2\n");
    assert_int_equal(cdn_nodestat_parse_numastat(f, numa, err), -1);
    fclose(f);
    assert_non_null(strstr(err, "not every counter"));
}

static void zoneinfo_lists_and_drift(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    int64_t pcp[CDN_MAX_NODES], drift[CDN_MAX_NODES];
    FILE *f = fopen(FIXTURES "/nodestat/zoneinfo", "r");
    assert_non_null(f);
    assert_int_equal(cdn_nodestat_parse_zoneinfo(f, pcp, drift, err), 0);
    fclose(f);
    /* Sums of "count:" and "vm stats threshold:" per node (4 CPUs; node 0 has DMA and DMA32) */
    assert_int_equal(pcp[0], 3037 * 4096);
    assert_int_equal(pcp[1], 1052 * 4096);
    assert_int_equal(pcp[2], 2588 * 4096);
    assert_int_equal(drift[0], 120 * 4096);
    assert_int_equal(drift[1], 96 * 4096);
    assert_int_equal(drift[3], 0);
    /* the older fixture: thresholds once per zone */
    f = fopen(FIXTURES "/zoneinfo", "r");
    assert_non_null(f);
    assert_int_equal(cdn_nodestat_parse_zoneinfo(f, pcp, drift, err), 0);
    fclose(f);
    assert_int_equal(pcp[0], 42 * 4096);
    assert_int_equal(drift[0], 28 * 4096);
    assert_int_equal(pcp[2], 7 * 4096);
}

static void snapshot_of_a_fixture_tree(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct cdn_nodestat_snapshot s;
    assert_int_equal(cdn_nodestat_snapshot(FIXTURES "/nodestat", FIXTURES "/nodestat/zoneinfo", &s, err), 0);
    assert_int_equal(s.nodes, 0x3);
    assert_true(s.have_pcp);
    assert_true(s.have_numastat);
    assert_string_equal(s.thp_mode, "always");
    assert_int_equal(s.field[0][CDN_NODESTAT_SHMEM], 30656 * KB);
    assert_int_equal(s.numa[0][CDN_NODESTAT_NUMA_HIT], 95413);
    /* used = MemTotal - MemFree - per-CPU lists */
    assert_int_equal(cdn_nodestat_used(&s, 1, true), (1031520 - 1015784) * KB - 1052 * 4096);
    assert_int_equal(cdn_nodestat_used(&s, 1, false), (1031520 - 1015784) * KB);
    assert_int_equal(cdn_nodestat_used(&s, 64, true), 0);
    /* a tree without numastat files or THP: still a snapshot, saying what is missing */
    assert_int_equal(cdn_nodestat_snapshot(FIXTURES "/sys_gaps", NULL, &s, err), 0);
    assert_int_equal(s.nodes, 0x5);
    assert_false(s.have_numastat);
    assert_false(s.have_pcp);
    assert_string_equal(s.thp_mode, "");
    assert_int_equal(s.fields_seen, (1u << CDN_NODESTAT_MEM_TOTAL) | (1u << CDN_NODESTAT_MEM_FREE));
    assert_int_equal(cdn_nodestat_snapshot(FIXTURES "/missing", NULL, &s, err), -1);
    assert_non_null(strstr(err, "No such file or directory"));
}

static void procstat_of_a_real_process(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct cdn_procstat p;
    /* `numactl --membind 1 sleep` in the guest: busybox's text on node 0, its data on node 1 */
    assert_int_equal(cdn_procstat_read(FIXTURES "/proc/130", NULL, 0, &p, err), 0);
    assert_true(p.readable);
    assert_int_equal(p.pid, 130);
    assert_int_equal(p.ppid, 1);
    assert_string_equal(p.comm, "sleep");
    assert_string_equal(p.policy, "bind:1");
    assert_int_equal(p.vm_pte, 28 * KB);
    assert_int_equal(p.anon[1], (3 + 2 + 3) * 4096);        /* anon, heap, stack */
    assert_int_equal(p.anon[0], 0);
    assert_int_equal(p.file[0], (1 + 255 + 86 + 5) * 4096);
    assert_int_equal(p.file[1], (2 + 3) * 4096);            /* copies inside file mappings */
    /* a range: the mapping starting at 0x3aab2000 (the heap) is the experiment's */
    struct cdn_place_range r = {(void *)0x3aab2000, 4096};
    assert_int_equal(cdn_procstat_read(FIXTURES "/proc/130", &r, 1, &p, err), 0);
    assert_int_equal(p.in_ranges[1], 2 * 4096);
    assert_int_equal(p.anon[1], (3 + 3) * 4096);
    assert_int_equal(cdn_procstat_read(FIXTURES "/proc/999", NULL, 0, &p, err), -1);
    assert_false(p.readable);
    assert_non_null(strstr(p.reason, "/proc/999/status: No such file or directory"));
    assert_string_equal(p.reason, err);
}

static void numa_maps_edge_lines(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct cdn_procstat p;
    memset(&p, 0, sizeof p);
    /* a path longer than any fixed line buffer, THP and hugetlb scaling, unsorted ranges,
     * garbage and negative counts */
    size_t long_len = 9000;
    char *text = malloc(long_len + 512);
    assert_non_null(text);
    int n = snprintf(text, 512, "7f0000400000 default file=/");
    memset(text + n, 'a', long_len);
    snprintf(text + n + long_len, 512,
             " mapped=3 N0=3 kernelpagesize_kB=4\n"
             "7f0000000000 bind:1 anon=512 dirty=512 N1=512 kernelpagesize_kB=4\n"
             "7f0000200000 bind:1 huge anon=1 N1=1 kernelpagesize_kB=2048\n"
             "7f0000600000 default anon=2 N0=-2 N2=2 N70=5 kernelpagesize_kB=4\n"
             "not an address N0=100\n"
             "7fff00000000 default stack anon=3 N0=3 kernelpagesize_kB=4\n");
    struct cdn_place_range r[] = {{(void *)0x7f0000200000, 2 << 20}, {(void *)0x7f0000000000, 2 << 20}};
    FILE *f = text_file(text);
    assert_int_equal(cdn_procstat_parse_numa_maps(f, r, 2, &p, err), 0);
    fclose(f);
    free(text);
    assert_int_equal(p.file[0], 3 * 4096);
    assert_int_equal(p.in_ranges[1], 512 * 4096 + 2048 * KB);
    assert_int_equal(p.anon[0], 3 * 4096);
    assert_int_equal(p.anon[2], 2 * 4096);
    assert_string_equal(p.policy, "default");
    f = text_file("Name:\tx\nVmPTE:\t 4 kB\n");
    assert_int_equal(cdn_procstat_parse_status(f, &p, err), -1);
    fclose(f);
    assert_string_equal(err, "status: no Pid/PPid lines");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(meminfo_counters_of_a_real_node),
        cmocka_unit_test(meminfo_refusals_and_gaps),
        cmocka_unit_test(numastat_counters),
        cmocka_unit_test(zoneinfo_lists_and_drift),
        cmocka_unit_test(snapshot_of_a_fixture_tree),
        cmocka_unit_test(procstat_of_a_real_process),
        cmocka_unit_test(numa_maps_edge_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
