/* test_toolkit.c: unit tests for the parsers of the NUMA toolkit: node lists, environment
 * knobs, nodeN/meminfo, the sysfs topology (node ids with gaps, PCI locality) and numa_maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

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

/* Per-node keys: "<id>"; the value is taken whether or not it could be set. */
static void json_keys_per_node(void **state)
{
    (void)state;
    json_t *o = json_object();
    assert_int_equal(cdn_json_set_node(o, 3, json_integer(7)), 0);
    assert_int_equal(cdn_json_set_node(o, 12, json_string("x")), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "3")), 7);
    assert_string_equal(json_string_value(json_object_get(o, "12")), "x");
    assert_int_equal(json_object_size(o), 2);
    assert_int_equal(cdn_json_set_node(o, 4, NULL), -1);
    assert_int_equal(cdn_json_set_node(NULL, 4, json_integer(1)), -1);    /* released, not leaked */
    assert_int_equal(json_object_size(o), 2);
    json_decref(o);
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
    assert_int_equal(cdn_meminfo_parse_file(FIXTURES "/sys_gaps/devices/system/node/node0/meminfo",
                                            &total, &free_b, err), 0);
    assert_int_equal(total, 8000000LL * 1024);
    assert_int_equal(free_b, 6000000LL * 1024);
    assert_int_equal(cdn_meminfo_parse_file(FIXTURES "/meminfo_bad", &total, &free_b, err), -1);
    assert_non_null(strstr(err, "no MemTotal/MemFree"));
    assert_int_equal(cdn_meminfo_parse_file(FIXTURES "/missing", &total, &free_b, err), -1);
    assert_non_null(strstr(err, "No such file or directory"));
}

static void meminfo_snapshot_and_delta(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct cdn_meminfo_snapshot a, b;
    assert_int_equal(cdn_meminfo_snapshot(FIXTURES "/sys_gaps", FIXTURES "/zoneinfo", &a, err), 0);
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
    json_t *d = cdn_meminfo_delta_json(&a, &b);
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
    struct cdn_topo_snapshot t;
    assert_int_equal(cdn_topo_read(FIXTURES "/sys_gaps", &t, err), 0);
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
    json_t *j = cdn_topo_to_json(&t);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(strstr(text, "\"node_ids\":[0,2]"));
    assert_non_null(strstr(text, "\"distances\":[[10,30],[30,10]]"));
    free(text);
    json_decref(j);
    cdn_topo_free(&t);
    assert_int_equal(cdn_topo_read(FIXTURES "/nowhere", &t, err), -1);
}

static struct cdn_place_result parse_fixture(const char *name, const struct cdn_place_range *r, size_t n)
{
    char err[CDN_ERR_LEN];
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    struct cdn_place_result res;
    memset(&res, 0, sizeof res);
    if (cdn_place_parse_numa_maps(f, r, n, &res, err) != 0)
        fail_msg("%s: %s", name, err);
    fclose(f);
    return res;
}

/* Guarded ranges: an anonymous mapping backed by two transparent huge pages (counted in 4 KiB
 * pages by the kernel, kernelpagesize_kB=4), a hugetlbfs mapping (2 huge pages, "huge",
 * kernelpagesize_kB=2048) and an interleaved 4 KiB mapping. */
#define RANGE_THP {(void *)0x7f0000200000, 0x400000}
#define RANGE_HUGETLBFS {(void *)0x7f0000800000, 0x400000}
#define RANGE_INTERLEAVE {(void *)0x7f0001001000, 300 * 4096}

static void numa_maps_thp_mapping_counts_base_pages(void **state)
{
    (void)state;
    struct cdn_place_range r[] = {RANGE_THP};
    struct cdn_place_result res = parse_fixture("numa_maps_guarded", r, 1);
    assert_int_equal(res.per_node[1], 1024);   /* AnonHugePages 4096 kB, already in 4 KiB units */
    assert_int_equal(res.per_node[0], 0);
    assert_true(res.exact);
}

static void numa_maps_hugetlbfs_mapping_scales_huge_pages(void **state)
{
    (void)state;
    struct cdn_place_range r[] = {RANGE_HUGETLBFS};
    struct cdn_place_result res = parse_fixture("numa_maps_guarded", r, 1);
    assert_int_equal(res.per_node[1], 2 * 512); /* two 2 MiB pages */
    assert_true(res.exact);
}

static void numa_maps_counts_only_the_ranges(void **state)
{
    (void)state;
    /* unsorted, and the THP range given as two touching halves: one span */
    struct cdn_place_range r[] = {
        RANGE_INTERLEAVE, {(void *)0x7f0000400000, 0x200000}, RANGE_HUGETLBFS,
        {(void *)0x7f0000200000, 0x200000},
    };
    struct cdn_place_result res = parse_fixture("numa_maps_guarded", r, 4);
    assert_int_equal(res.per_node[0], 100);
    assert_int_equal(res.per_node[1], 1024 + 1024 + 100);
    assert_int_equal(res.per_node[2], 100);
    assert_true(res.exact);
}

/* A mapping that runs past the range's end (no mapping starts there), or one that starts
 * before the range and reaches into it: numa_maps cannot split them, so not exact. */
static void numa_maps_merged_mappings_are_not_exact(void **state)
{
    (void)state;
    struct cdn_place_range past_end[] = {{(void *)0x7f0000200000, 0x400000}};
    struct cdn_place_result res = parse_fixture("numa_maps_merged", past_end, 1);
    assert_int_equal(res.per_node[0], 1536);
    assert_false(res.exact);
    struct cdn_place_range inside[] = {{(void *)0x7f0000c00000, 0x200000}};
    res = parse_fixture("numa_maps_merged", inside, 1);
    assert_int_equal(res.per_node[0], 0);
    assert_false(res.exact);
    struct cdn_place_range whole[] = {{(void *)0x7f0000200000, 0x600000}};
    res = parse_fixture("numa_maps_merged", whole, 1);
    assert_int_equal(res.per_node[0], 1536);
    assert_true(res.exact);
    /* lines out of address order: no mapping's end can be inferred */
    char text[] = "7f0000800000 default\n7f0000200000 default anon=4 N0=4 kernelpagesize_kB=4\n"
                  "7f0000000000 default\n";
    FILE *f = fmemopen(text, strlen(text), "r");
    assert_non_null(f);
    char err[CDN_ERR_LEN];
    memset(&res, 0, sizeof res);
    assert_int_equal(cdn_place_parse_numa_maps(f, whole, 1, &res, err), 0);
    fclose(f);
    assert_int_equal(res.per_node[0], 4);
    assert_false(res.exact);
}

/* len bytes between two PROT_NONE guard pages, so the kernel cannot merge the buffer's
 * mapping with a neighbour and numa_maps describes exactly this buffer. */
static char *guarded_buffer(size_t len)
{
    size_t page = cdn_place_page_size();
    char *g = mmap(NULL, len + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g != MAP_FAILED);
    assert_int_equal(mprotect(g + page, len, PROT_READ | PROT_WRITE), 0);
    return g + page;
}

static int64_t present_pages(const struct cdn_place_result *r)
{
    int64_t present = 0;
    for (int n = 0; n < CDN_MAX_NODES; n++)
        present += r->per_node[n];
    return present;
}

/* Counts the present pages of a half-touched buffer with every source this process may use:
 * container seccomp profiles refuse move_pages, and get_mempolicy without CAP_SYS_NICE, so a
 * refused source must fail with EPERM and the others must agree page for page. */
static void placement_of_a_real_buffer(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    size_t page = cdn_place_page_size(), len = 64 * page;
    char *p = guarded_buffer(len);
    assert_int_equal(madvise(p, len, MADV_NOHUGEPAGE), 0);
    for (size_t i = 0; i < 32 * page; i += page)
        p[i] = 1; /* half the pages touched */
    struct cdn_place_range r = {p, len};
    struct cdn_place_result res[CDN_PLACE_SOURCE_COUNT];
    int answered = 0;
    for (int s = 0; s < CDN_PLACE_SOURCE_COUNT; s++) {
        if (cdn_place_query_with((enum cdn_place_source)s, &r, 1, &res[s], err) != 0) {
            assert_true(s != CDN_PLACE_NUMA_MAPS);
            assert_non_null(strstr(err, "Operation not permitted"));
            res[s].pages = -1;
            continue;
        }
        answered++;
        assert_int_equal(res[s].pages, 64);
        assert_int_equal(present_pages(&res[s]), 32);
        assert_int_equal(res[s].not_present, 32);
        assert_true(res[s].exact);
        for (int q = 0; q < s; q++)
            if (res[q].pages == 64)
                assert_memory_equal(res[q].per_node, res[s].per_node, sizeof res[s].per_node);
    }
    assert_true(answered >= 1);
    munmap(p - page, len + 2 * page);
}

/* Two adjacent read-write mappings, which the kernel merges into one: numa_maps has a single
 * line for both, so a count for the first alone cannot be exact (16 pages of each touched). */
static void numa_maps_of_a_buffer_merged_with_its_neighbour(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    size_t page = cdn_place_page_size(), len = 64 * page;
    char *p = guarded_buffer(2 * len);
    assert_int_equal(madvise(p, 2 * len, MADV_NOHUGEPAGE), 0);
    for (size_t i = 0; i < 16; i++)
        p[i * page] = p[len + i * page] = 1;
    struct cdn_place_range first = {p, len}, second = {p + len / 2, len};
    struct cdn_place_result res;
    assert_int_equal(cdn_place_query_with(CDN_PLACE_NUMA_MAPS, &first, 1, &res, err), 0);
    assert_int_equal(res.pages, 64);
    assert_int_equal(present_pages(&res), 32);  /* the neighbour's 16 pages are in the line */
    assert_false(res.exact);
    /* a range that starts inside the mapping: its line is not counted at all */
    assert_int_equal(cdn_place_query_with(CDN_PLACE_NUMA_MAPS, &second, 1, &res, err), 0);
    assert_int_equal(present_pages(&res), 0);
    assert_false(res.exact);
    struct cdn_place_range both = {p, 2 * len};
    assert_int_equal(cdn_place_query_with(CDN_PLACE_NUMA_MAPS, &both, 1, &res, err), 0);
    assert_int_equal(present_pages(&res), 32);
    assert_true(res.exact);
    munmap(p - page, 2 * len + 2 * page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nodeset_parses_ranges_and_lists),
        cmocka_unit_test(nodeset_refuses_bad_text),
        cmocka_unit_test(json_keys_per_node),
        cmocka_unit_test(env_int_and_duration),
        cmocka_unit_test(meminfo_parses_node_file),
        cmocka_unit_test(meminfo_snapshot_and_delta),
        cmocka_unit_test(topology_with_gaps_and_pci),
        cmocka_unit_test(numa_maps_thp_mapping_counts_base_pages),
        cmocka_unit_test(numa_maps_hugetlbfs_mapping_scales_huge_pages),
        cmocka_unit_test(numa_maps_counts_only_the_ranges),
        cmocka_unit_test(numa_maps_merged_mappings_are_not_exact),
        cmocka_unit_test(numa_maps_of_a_buffer_merged_with_its_neighbour),
        cmocka_unit_test(placement_of_a_real_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
