/* test_cgroup.c: unit tests of cgroup.c (cdn_cg_memory_read, cdn_cg_memory_headroom, cdn_cg_memory_to_json)
 * against fixture trees for cgroup v1, v2, a v2 namespace that hides the path, no memory
 * controller, limits on the parents (a Kubernetes pod's cgroup above the container's: parent
 * smaller, child smaller, a busy sibling), and malformed limit and usage files
 * (tests/fixtures/cgroup-*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Reads fixture tree name: FIXTURES/name/proc-cgroup under FIXTURES/name/root. */
static int read_fixture(const char *name, struct cdn_cg_memory *m, char err[CDN_ERR_LEN])
{
    char proc[512], root[512];
    snprintf(proc, sizeof proc, "%s/%s/proc-cgroup", FIXTURES, name);
    snprintf(root, sizeof root, "%s/%s/root", FIXTURES, name);
    return cdn_cg_memory_read(proc, root, m, err);
}

/* One tree with several processes in it: FIXTURES/tree/proc-NAME under FIXTURES/tree/root. */
static int read_tree(const char *tree, const char *proc, struct cdn_cg_memory *m, char err[CDN_ERR_LEN])
{
    char p[512], root[512];
    snprintf(p, sizeof p, "%s/%s/proc-%s", FIXTURES, tree, proc);
    snprintf(root, sizeof root, "%s/%s/root", FIXTURES, tree);
    err[0] = '\0';
    return cdn_cg_memory_read(p, root, m, err);
}

static void ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    assert_true(a >= b);
    assert_string_equal(s + a - b, suffix);
}

static void test_v1_limit(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN] = "";
    assert_int_equal(read_fixture("cgroup-v1", &m, err), 0);
    assert_int_equal(m.version, 1);
    assert_int_equal(m.limit, 536870912);
    assert_int_equal(m.usage, 134217728);
    ends_with(m.limit_file, "cgroup-v1/root/memory/kubepods/pod1/c1/memory.limit_in_bytes");
    ends_with(m.path, "cgroup-v1/root/memory/kubepods/pod1/c1");
    assert_int_equal(cdn_cg_memory_headroom(&m), 536870912 - 134217728);
}

/* v1 writes "unlimited" as a page-rounded LONG_MAX. */
static void test_v1_unlimited(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN] = "";
    assert_int_equal(read_fixture("cgroup-v1-unlimited", &m, err), 0);
    assert_int_equal(m.version, 1);
    assert_int_equal(m.limit, -1);
    assert_int_equal(m.usage, 8400896);
    ends_with(m.path, "cgroup-v1-unlimited/root/memory");
    assert_true(cdn_cg_memory_headroom(&m) == INT64_MAX);
}

/* usage above the limit (v2 allows it briefly): headroom is 0, never negative. */
static void test_v2_limit_over_usage(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN] = "";
    assert_int_equal(read_fixture("cgroup-v2", &m, err), 0);
    assert_int_equal(m.version, 2);
    assert_int_equal(m.limit, 1073741824);
    assert_int_equal(m.usage, 1100000000);
    ends_with(m.limit_file, "cgroup-v2/root/kubepods.slice/pod2.slice/c2.scope/memory.max");
    ends_with(m.path, "cgroup-v2/root/kubepods.slice/pod2.slice/c2.scope");
    assert_int_equal(cdn_cg_memory_headroom(&m), 0);
}

static void test_v2_max(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN] = "";
    assert_int_equal(read_fixture("cgroup-v2-max", &m, err), 0);
    assert_int_equal(m.version, 2);
    assert_int_equal(m.limit, -1);
    assert_int_equal(m.usage, 4096);
    assert_true(cdn_cg_memory_headroom(&m) == INT64_MAX);
}

/* In a cgroup namespace /proc/self/cgroup names a path the mount does not have: the
 * container's own cgroup is the mount's root. */
static void test_v2_namespaced_root(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN] = "";
    assert_int_equal(read_fixture("cgroup-v2-namespaced", &m, err), 0);
    assert_int_equal(m.version, 2);
    assert_int_equal(m.limit, 268435456);
    assert_int_equal(m.usage, 1048576);
    ends_with(m.path, "cgroup-v2-namespaced/root");
    assert_int_equal(cdn_cg_memory_headroom(&m), 268435456 - 1048576);
}

static void test_no_memory_controller(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN] = "";
    assert_int_equal(read_fixture("cgroup-none", &m, err), 0);
    assert_int_equal(m.version, 0);
    assert_int_equal(m.limit, -1);
    assert_true(cdn_cg_memory_headroom(&m) == INT64_MAX);
}

/* A limit file that is not a number is an error naming it, never "unlimited". */
static void test_malformed_limit(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN] = "";
    assert_int_equal(read_fixture("cgroup-malformed", &m, err), -1);
    assert_non_null(strstr(err, "cgroup-malformed/root/bad/memory.max: malformed"));
    assert_non_null(strstr(err, "\"12ab\""));
}

/* v1, the pod's limit (256 MiB, 200 MiB used) below the container's (512 MiB): the pod's binds. */
static void test_v1_parent_smaller(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN];
    assert_int_equal(read_tree("cgroup-v1-tree", "pod1", &m, err), 0);
    assert_int_equal(m.version, 1);
    assert_int_equal(m.limit, 268435456);
    assert_int_equal(m.usage, 209715200);
    ends_with(m.limit_file, "cgroup-v1-tree/root/memory/kubepods/pod1/memory.limit_in_bytes");
    ends_with(m.path, "cgroup-v1-tree/root/memory/kubepods/pod1/c1");
    assert_int_equal(cdn_cg_memory_headroom(&m), 268435456 - 209715200);
}

/* v1, the container's limit (256 MiB) below the pod's (1 GiB): the container's binds. */
static void test_v1_child_smaller(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN];
    assert_int_equal(read_tree("cgroup-v1-tree", "pod2", &m, err), 0);
    assert_int_equal(m.version, 1);
    assert_int_equal(m.limit, 268435456);
    assert_int_equal(m.usage, 104857600);
    ends_with(m.limit_file, "cgroup-v1-tree/root/memory/kubepods/pod2/c1/memory.limit_in_bytes");
    assert_int_equal(cdn_cg_memory_headroom(&m), 268435456 - 104857600);
}

/* v1 never writes "max", and a negative number is no byte count: errors naming the file, whether
 * on a parent (pod3) or on the process's own cgroup (pod4). */
static void test_v1_malformed_on_the_path(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN];
    assert_int_equal(read_tree("cgroup-v1-tree", "pod3", &m, err), -1);
    assert_non_null(strstr(err, "cgroup-v1-tree/root/memory/kubepods/pod3/memory.limit_in_bytes: malformed"));
    assert_int_equal(read_tree("cgroup-v1-tree", "pod4", &m, err), -1);
    assert_non_null(strstr(err, "kubepods/pod4/c1/memory.limit_in_bytes: malformed"));
    assert_non_null(strstr(err, "\"-1\""));
}

/* v2, the pod's memory.max (256 MiB) and a container without one: the pod's binds. */
static void test_v2_parent_smaller(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN];
    assert_int_equal(read_tree("cgroup-v2-tree", "small", &m, err), 0);
    assert_int_equal(m.version, 2);
    assert_int_equal(m.limit, 268435456);
    assert_int_equal(m.usage, 104857600);
    ends_with(m.limit_file, "cgroup-v2-tree/root/kubepods.slice/pod-small.slice/memory.max");
    ends_with(m.path, "cgroup-v2-tree/root/kubepods.slice/pod-small.slice/c1.scope");
    assert_int_equal(cdn_cg_memory_headroom(&m), 268435456 - 104857600);
}

/* v2, the container's 512 MiB below the pod's 1 GiB (300 MiB used): the container's binds. */
static void test_v2_child_smaller(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN];
    assert_int_equal(read_tree("cgroup-v2-tree", "big", &m, err), 0);
    assert_int_equal(m.limit, 536870912);
    assert_int_equal(m.usage, 104857600);
    ends_with(m.limit_file, "pod-big.slice/c1.scope/memory.max");
    assert_int_equal(cdn_cg_memory_headroom(&m), 536870912 - 104857600);
}

/* v2, same limits but other containers of the pod use 800 MiB of its 1 GiB: the pod leaves the
 * least room (124 MiB), so it binds although the container's limit is the smaller one. */
static void test_v2_busy_sibling(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN];
    assert_int_equal(read_tree("cgroup-v2-tree", "busy", &m, err), 0);
    assert_int_equal(m.limit, 1073741824);
    assert_int_equal(m.usage, 943718400);
    ends_with(m.limit_file, "pod-busy.slice/memory.max");
    assert_int_equal(cdn_cg_memory_headroom(&m), 1073741824 - 943718400);
}

/* v2, a malformed memory.max on the pod and an empty memory.current: errors naming the file. */
static void test_v2_malformed_on_the_path(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN];
    assert_int_equal(read_tree("cgroup-v2-tree", "bad", &m, err), -1);
    assert_non_null(strstr(err, "kubepods.slice/pod-bad.slice/memory.max: malformed"));
    assert_int_equal(read_tree("cgroup-v2-tree", "badu", &m, err), -1);
    assert_non_null(strstr(err, "kubepods.slice/pod-badu.slice/memory.current: malformed"));
}

static void test_missing_proc_file(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN] = "";
    assert_int_equal(cdn_cg_memory_read(FIXTURES "/cgroup-absent/proc-cgroup", FIXTURES, &m, err), -1);
    assert_non_null(strstr(err, "cgroup-absent/proc-cgroup"));
    assert_non_null(strstr(err, "No such file"));
}

static void test_json(void **state)
{
    (void)state;
    struct cdn_cg_memory m;
    char err[CDN_ERR_LEN] = "";
    assert_int_equal(read_fixture("cgroup-v1", &m, err), 0);
    json_t *j = cdn_cg_memory_to_json(&m);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "limit")), 536870912);
    assert_int_equal(json_integer_value(json_object_get(j, "usage")), 134217728);
    assert_int_equal(json_integer_value(json_object_get(j, "headroom")), 536870912 - 134217728);
    ends_with(json_string_value(json_object_get(j, "limit_file")), "c1/memory.limit_in_bytes");
    json_decref(j);

    assert_int_equal(read_fixture("cgroup-none", &m, err), 0);
    j = cdn_cg_memory_to_json(&m);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "limit")), -1);
    assert_int_equal(json_integer_value(json_object_get(j, "headroom")), -1);
    assert_true(json_is_null(json_object_get(j, "limit_file")) || !json_object_get(j, "limit_file"));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_limit),
        cmocka_unit_test(test_v1_unlimited),
        cmocka_unit_test(test_v2_limit_over_usage),
        cmocka_unit_test(test_v2_max),
        cmocka_unit_test(test_v2_namespaced_root),
        cmocka_unit_test(test_no_memory_controller),
        cmocka_unit_test(test_malformed_limit),
        cmocka_unit_test(test_v1_parent_smaller),
        cmocka_unit_test(test_v1_child_smaller),
        cmocka_unit_test(test_v1_malformed_on_the_path),
        cmocka_unit_test(test_v2_parent_smaller),
        cmocka_unit_test(test_v2_child_smaller),
        cmocka_unit_test(test_v2_busy_sibling),
        cmocka_unit_test(test_v2_malformed_on_the_path),
        cmocka_unit_test(test_missing_proc_file),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
