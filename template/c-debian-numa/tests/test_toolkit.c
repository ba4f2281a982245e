/* test_toolkit.c: unit tests for the parsers of the NUMA toolkit: node lists, environment
 * knobs, nodeN/meminfo, the sysfs topology (node ids with gaps, PCI locality) and numa_maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void nodeset_parses_ranges_and_lists(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    cdn_nodeset s = 0;
    assert_int_equal(cdn_nodeset_parse("0-2,5", &s, err), 0);
    assert_int_equal(s, 0x27);
    assert_int_equal(cdn_nodeset_count(s), 4);
    char buf[64];
    cdn_nodeset_format(s, buf, sizeof buf);
    assert_string_equal(buf, "0-2,5");
    assert_int_equal(cdn_nodeset_parse("", &s, err), 0);
    assert_int_equal(s, 0);
    assert_int_equal(cdn_nodeset_parse("3\n", &s, err), 0);
    assert_int_equal(s, 8);
}

static void nodeset_refuses_bad_text(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    cdn_nodeset s = 0;
    assert_int_equal(cdn_nodeset_parse("2-1", &s, err), -1);
    assert_non_null(strstr(err, "bad range"));
    assert_int_equal(cdn_nodeset_parse("64", &s, err), -1);
    assert_int_equal(cdn_nodeset_parse("1;2", &s, err), -1);
    assert_non_null(strstr(err, "unexpected ';'"));
    assert_int_equal(cdn_nodeset_parse("-1", &s, err), -1);
}

static void env_int_and_duration(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    int64_t v = 0;
    unsetenv("T_INT");
    assert_int_equal(cdn_env_int64("T_INT", 7, 0, 10, &v, err), 0);
    assert_int_equal(v, 7);
    setenv("T_INT", "12", 1);
    assert_int_equal(cdn_env_int64("T_INT", 7, 0, 10, &v, err), -1);
    assert_non_null(strstr(err, "out of range 0..10"));
    setenv("T_INT", "3x", 1);
    assert_int_equal(cdn_env_int64("T_INT", 7, 0, 10, &v, err), -1);
    assert_non_null(strstr(err, "T_INT=3x: not a whole number"));
    const struct { const char *text; int64_t ms; } ok[] = {
        {"90", 90000}, {"90s", 90000}, {"2m", 120000}, {"1m30s", 90000}, {"500ms", 500}, {"1h", 3600000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        setenv("T_DUR", ok[i].text, 1);
        assert_int_equal(cdn_env_duration_ms("T_DUR", 1, &v, err), 0);
        assert_int_equal(v, ok[i].ms);
    }
    setenv("T_DUR", "10 s", 1);
    assert_int_equal(cdn_env_duration_ms("T_DUR", 1, &v, err), -1);
    assert_non_null(strstr(err, "not a duration"));
    setenv("T_DUR", "-5s", 1);
    assert_int_equal(cdn_env_duration_ms("T_DUR", 1, &v, err), -1);
}

static void meminfo_parses_node_file(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    int64_t total, free_b;
    assert_int_equal(meminfo_parse_file(FIXTURES "/sys_gaps/devices/system/node/node0/meminfo",
                                        &total, &free_b, err), 0);
    assert_int_equal(total, 8000000LL * 1024);
    assert_int_equal(free_b, 6000000LL * 1024);
    assert_int_equal(meminfo_parse_file(FIXTURES "/meminfo_bad", &total, &free_b, err), -1);
    assert_non_null(strstr(err, "no MemTotal/MemFree"));
    assert_int_equal(meminfo_parse_file(FIXTURES "/missing", &total, &free_b, err), -1);
    assert_non_null(strstr(err, "No such file or directory"));
}

static void meminfo_snapshot_and_delta(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct meminfo_snapshot a, b;
    assert_int_equal(meminfo_snapshot(FIXTURES "/sys_gaps", FIXTURES "/zoneinfo", &a, err), 0);
    assert_int_equal(a.nodes, 0x5); /* nodes 0 and 2: the gap at 1 is kept */
    assert_true(a.have_pcp);
    assert_int_equal(a.pcp_free[0], (12 + 30) * 4096);  /* two zones, two CPUs */
    assert_int_equal(a.pcp_free[2], 7 * 4096);
    b = a;
    b.mem_free[0] -= 1000;      /* 1000 bytes used ... */
    b.mem_total[2] += 4096;     /* ... and 4096 bytes onlined on node 2, all free */
    b.mem_free[2] += 4096;
    b.mem_free[2] -= 8192;      /* 2 pages freed to node 2's per-CPU lists: not used */
    b.pcp_free[2] += 8192;
    json_t *d = meminfo_delta_json(&a, &b);
    assert_non_null(d);
    assert_int_equal(json_integer_value(json_object_get(d, "0")), 1000);
    assert_int_equal(json_integer_value(json_object_get(d, "2")), 0);
    assert_null(json_object_get(d, "1"));
    json_decref(d);
}

static void topology_with_gaps_and_pci(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct topo_snapshot t;
    assert_int_equal(topo_read(FIXTURES "/sys_gaps", &t, err), 0);
    assert_int_equal(t.n_nodes, 2);
    assert_int_equal(t.nodes[0].id, 0);
    assert_int_equal(t.nodes[1].id, 2);
    assert_int_equal(t.nodes[0].n_cpus, 2);
    assert_int_equal(t.nodes[1].n_cpus, 0); /* memory-only, like a CXL expander */
    assert_int_equal(t.nodes[0].distance[2], 30);
    assert_int_equal(t.nodes[1].distance[0], 30);
    assert_int_equal(t.nodes[1].distance[2], 10);
    assert_int_equal(t.n_pci, 1);
    assert_int_equal(t.pci[0].numa_node, 2);
    assert_string_equal(t.pci[0].class_code, "0x010601");
    json_t *j = topo_to_json(&t);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(strstr(text, "\"node_ids\":[0,2]"));
    assert_non_null(strstr(text, "\"distances\":[[10,30],[30,10]]"));
    free(text);
    json_decref(j);
    topo_free(&t);
    assert_int_equal(topo_read(FIXTURES "/nowhere", &t, err), -1);
}

static void numa_maps_counts_only_ranges_and_scales_thp(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    FILE *f = fopen(FIXTURES "/numa_maps", "r");
    assert_non_null(f);
    struct place_range r[2] = {
        {(void *)0x7f0000000000, 0x400000},  /* the 4 KiB mapping and the THP mapping */
        {(void *)0x7f0000400000, 300 * 4096},
    };
    struct place_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(place_parse_numa_maps(f, r, 2, &res, err), 0);
    fclose(f);
    assert_int_equal(res.per_node[0], 100);
    assert_int_equal(res.per_node[1], 512 + 512 + 100); /* one 2 MiB page counts as 512 */
    assert_int_equal(res.per_node[2], 100);
}

/* len bytes between two PROT_NONE guard pages, so the kernel cannot merge the buffer's
 * mapping with a neighbour and numa_maps describes exactly this buffer. */
static char *guarded_buffer(size_t len)
{
    char *g = mmap(NULL, len + 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g != MAP_FAILED);
    assert_int_equal(mprotect(g + 4096, len, PROT_READ | PROT_WRITE), 0);
    return g + 4096;
}

/* Counts the present pages of a half-touched buffer with every source this process may use:
 * container seccomp profiles refuse move_pages, and get_mempolicy without CAP_SYS_NICE, so a
 * refused source must fail with EPERM and the others must agree page for page. */
static void placement_of_a_real_buffer(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    size_t len = 64 * 4096;
    char *p = guarded_buffer(len);
    assert_int_equal(madvise(p, len, MADV_NOHUGEPAGE), 0);
    for (size_t i = 0; i < 32 * 4096; i += 4096)
        p[i] = 1; /* half the pages touched */
    struct place_range r = {p, len};
    struct place_result res[PLACE_SOURCE_COUNT];
    int answered = 0;
    for (int s = 0; s < PLACE_SOURCE_COUNT; s++) {
        if (place_query_with((enum place_source)s, &r, 1, &res[s], err) != 0) {
            assert_true(s != PLACE_NUMA_MAPS);
            assert_non_null(strstr(err, "Operation not permitted"));
            res[s].pages = -1;
            continue;
        }
        answered++;
        assert_int_equal(res[s].pages, 64);
        int64_t present = 0;
        for (int n = 0; n < CDN_MAX_NODES; n++)
            present += res[s].per_node[n];
        assert_int_equal(present, 32);
        assert_int_equal(res[s].not_present, 32);
        for (int q = 0; q < s; q++)
            if (res[q].pages == 64)
                assert_memory_equal(res[q].per_node, res[s].per_node, sizeof res[s].per_node);
    }
    assert_true(answered >= 1);
    munmap(p - 4096, len + 2 * 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nodeset_parses_ranges_and_lists),
        cmocka_unit_test(nodeset_refuses_bad_text),
        cmocka_unit_test(env_int_and_duration),
        cmocka_unit_test(meminfo_parses_node_file),
        cmocka_unit_test(meminfo_snapshot_and_delta),
        cmocka_unit_test(topology_with_gaps_and_pci),
        cmocka_unit_test(numa_maps_counts_only_ranges_and_scales_thp),
        cmocka_unit_test(placement_of_a_real_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
