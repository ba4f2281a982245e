/* test_tiers.c: unit tests for the tiered-memory readers on fixture trees: a 6.12 machine with an
 * HMAT (tiers, access0/access1, weighted-interleave weights, demotion, NUMA balancing), a 6.1 one
 * without HMAT or weighted interleave, a kernel with none of it, malformed files, their JSON with
 * the reasons for what is absent, and the virtualization reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"

#include <string.h>

static int read_fixture(const char *name, cdn_nodeset nodes, struct cdn_tier_snapshot *t, char *err)
{
    char sys[512], proc[512];
    snprintf(sys, sizeof sys, "%s/%s/sys", FIXTURES, name);
    snprintf(proc, sizeof proc, "%s/%s/proc", FIXTURES, name);
    return cdn_tier_read(sys, proc, nodes, t, err);
}

static void reads_a_tiered_machine(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN], why[CDN_ERR_LEN];
    struct cdn_tier_snapshot t;
    assert_int_equal(read_fixture("tiers-6.12", 0x7, &t, err), 0);
    assert_string_equal(t.kernel, "6.12.95+deb12-amd64");
    assert_true(t.have_tiers && t.have_hmat && t.have_wi);
    assert_int_equal(t.node[0].tier, 4);
    assert_int_equal(t.node[1].tier, 4);
    assert_int_equal(t.node[2].tier, 56);
    assert_int_equal(t.demotion, 1);
    assert_int_equal(t.numa_balancing, 2);
    assert_int_equal(t.node[0].wi_weight, 3);
    assert_int_equal(t.node[2].wi_weight, 1);
    const struct cdn_tier_access *a = &t.node[2].access[0];
    assert_true(a->have);
    assert_int_equal(a->initiators, 0x1);
    assert_int_equal(a->read_latency, 250);
    assert_int_equal(a->write_latency, 260);
    assert_int_equal(a->read_bandwidth, 10240);
    assert_int_equal(a->write_bandwidth, 8192);
    assert_int_equal(t.node[1].access[0].initiators, 0x2);
    assert_false(t.node[1].access[1].have);
    for (const char *f = "memory_tiers"; f; f = strcmp(f, "memory_tiers") == 0 ? "hmat" : NULL)
        assert_null(cdn_tier_absent(&t, f, why, sizeof why));
}

static void reads_an_older_kernel(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN], why[CDN_ERR_LEN];
    struct cdn_tier_snapshot t;
    assert_int_equal(read_fixture("tiers-6.1", 0x5, &t, err), 0);
    assert_int_equal(t.node[0].tier, 4);
    assert_int_equal(t.node[2].tier, 4);
    assert_int_equal(t.node[1].tier, -1);   /* not asked about */
    assert_false(t.have_hmat);
    assert_false(t.have_wi);
    assert_int_equal(t.node[2].wi_weight, -1);
    assert_int_equal(t.demotion, 0);
    assert_int_equal(t.numa_balancing, 1);
    assert_non_null(cdn_tier_absent(&t, "weighted_interleave", why, sizeof why));
    assert_non_null(strstr(why, "needs Linux 6.9 or later (this kernel: 6.1.0-57-amd64)"));
    assert_non_null(cdn_tier_absent(&t, "hmat", why, sizeof why));
    assert_non_null(strstr(why, "no ACPI HMAT"));
    assert_null(cdn_tier_absent(&t, "demotion_enabled", why, sizeof why));

    assert_int_equal(read_fixture("tiers-none", 0x1, &t, err), 0);
    assert_false(t.have_tiers);
    assert_int_equal(t.demotion, -1);
    assert_int_equal(t.numa_balancing, -1);
    assert_int_equal(t.node[0].tier, -1);
    assert_non_null(cdn_tier_absent(&t, "memory_tiers", why, sizeof why));
    assert_non_null(strstr(why, "memory tiers need Linux 6.1 or later (this kernel: 5.10.0-30-amd64)"));
    assert_non_null(cdn_tier_absent(&t, "demotion_enabled", why, sizeof why));
    assert_non_null(cdn_tier_absent(&t, "numa_balancing", why, sizeof why));
    assert_non_null(strstr(why, "CONFIG_NUMA_BALANCING"));
}

static void malformed_files_are_errors_naming_them(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    struct cdn_tier_snapshot t;
    assert_int_equal(read_fixture("tiers-bad", 0x1, &t, err), -1);
    assert_non_null(strstr(err, "demotion_enabled: \"maybe\" is neither true nor false"));
    assert_int_equal(read_fixture("tiers-bad-hmat", 0x1, &t, err), -1);
    assert_non_null(strstr(err, "access0/initiators/read_latency: \"80ns\" is not a whole number"));
}

/* A topology object as cdn_topo_to_json makes it, with the nodes asked about. */
static json_t *topology_with(int n)
{
    json_t *nodes = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(nodes, json_pack("{s:i}", "node", i));
    return json_pack("{s:o}", "nodes", nodes);
}

static void json_of_a_tiered_machine(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct cdn_tier_snapshot t;
    assert_int_equal(read_fixture("tiers-6.12", 0x7, &t, err), 0);
    json_t *topo = topology_with(3);
    assert_int_equal(cdn_tier_attach(topo, &t), 0);
    json_t *n2 = json_array_get(json_object_get(topo, "nodes"), 2);
    assert_int_equal(json_integer_value(json_object_get(n2, "memory_tier")), 56);
    assert_int_equal(json_integer_value(json_object_get(n2, "memory_tier_rank")), 1);
    assert_int_equal(json_integer_value(json_object_get(n2, "weighted_interleave_weight")), 1);
    json_t *a0 = json_object_get(json_object_get(n2, "hmat"), "access0");
    assert_int_equal(json_integer_value(json_object_get(a0, "read_latency_ns")), 250);
    assert_int_equal(json_integer_value(json_object_get(a0, "read_bandwidth_mb_s")), 10240);
    assert_null(json_object_get(n2, "absent"));
    json_t *n1 = json_array_get(json_object_get(topo, "nodes"), 1);
    assert_true(json_is_null(json_object_get(json_object_get(n1, "hmat"), "access1")));
    json_t *tiering = json_object_get(topo, "tiering");
    char *text = json_dumps(json_object_get(tiering, "memory_tiers"), JSON_COMPACT);
    assert_string_equal(text, "[{\"tier\":4,\"rank\":0,\"nodes\":[0,1]},{\"tier\":56,\"rank\":1,\"nodes\":[2]}]");
    free(text);
    assert_true(json_is_true(json_object_get(tiering, "demotion_enabled")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(tiering, "numa_balancing"), "mode")),
                        "memory_tiering");
    assert_int_equal(json_object_size(json_object_get(tiering, "absent")), 0);
    json_decref(topo);
}

static void json_says_why_fields_are_absent(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct cdn_tier_snapshot t;
    assert_int_equal(read_fixture("tiers-6.1", 0x1, &t, err), 0);
    json_t *topo = topology_with(1);
    assert_int_equal(cdn_tier_attach(topo, &t), 0);
    json_t *n0 = json_array_get(json_object_get(topo, "nodes"), 0);
    assert_true(json_is_null(json_object_get(n0, "hmat")));
    assert_true(json_is_null(json_object_get(n0, "weighted_interleave_weight")));
    json_t *absent = json_object_get(n0, "absent");
    assert_non_null(strstr(json_string_value(json_object_get(absent, "hmat")), "HMAT"));
    assert_non_null(strstr(json_string_value(json_object_get(absent, "weighted_interleave_weight")), "6.9"));
    assert_null(json_object_get(absent, "memory_tier"));
    json_t *tiering = json_object_get(topo, "tiering");
    assert_non_null(json_object_get(json_object_get(tiering, "absent"), "weighted_interleave"));
    assert_true(json_is_false(json_object_get(tiering, "demotion_enabled")));
    json_decref(topo);
}

static void virtualization_from_cpuinfo(void **state)
{
    (void)state;
    struct cdn_virt_info v;
    cdn_virt_detect(FIXTURES "/proc/cpuinfo-hypervisor", FIXTURES "/tiers-none/sys", &v);
    assert_true(v.cpu_flag);
    assert_true(v.virtualized);
    cdn_virt_detect(FIXTURES "/no-such-cpuinfo", FIXTURES "/tiers-none/sys", &v);
    assert_false(v.cpu_flag);
    assert_string_equal(v.dmi, "");
    json_t *j = cdn_virt_to_json(&v);
    assert_non_null(j);
    assert_non_null(json_object_get(j, "note"));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_a_tiered_machine),
        cmocka_unit_test(reads_an_older_kernel),
        cmocka_unit_test(malformed_files_are_errors_naming_them),
        cmocka_unit_test(json_of_a_tiered_machine),
        cmocka_unit_test(json_says_why_fields_are_absent),
        cmocka_unit_test(virtualization_from_cpuinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
