/* test_exp.c: unit tests for the experiment's parse and plan stages: defaults, query and JSON
 * parameters, every refusal with its status and text, and the fit checks against free memory,
 * the cpuset, the bind policy, the cgroup headroom and EXP_MAX_TOTAL_MB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exp.h"
#include "exp_fixture.h"

#include <numaif.h>
#include <string.h>

static void defaults(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct exp_params p;
    struct fn_request r = request(NULL, 0, "  \n");
    assert_int_equal(exp_params_parse(&r, &p, err), 0);
    assert_int_equal(p.chunk_mb, 2);
    assert_int_equal(p.iterations, 1000);
    assert_int_equal(p.alloc, EXP_ALLOC_MMAP);
    assert_int_equal(p.node, -1);
    assert_true(p.touch);
    assert_false(p.thp);
    assert_int_equal(p.hold_ms, 0);
}

static void query_and_body_together(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct exp_params p;
    struct fn_pair q[] = {{"chunk_mb", "4"}, {"thp", "true"}, {"node", "2"}};
    struct fn_request r = request(q, 3, "{\"iterations\": 10, \"alloc\": \"mmap\", \"touch\": false}");
    assert_int_equal(exp_params_parse(&r, &p, err), 0);
    assert_int_equal(p.chunk_mb, 4);
    assert_int_equal(p.iterations, 10);
    assert_int_equal(p.alloc, EXP_ALLOC_MMAP);
    assert_int_equal(p.node, 2);
    assert_false(p.touch);
    assert_true(p.thp);
    struct fn_request r2 = request(NULL, 0, "{\"node\": null}");
    assert_int_equal(exp_params_parse(&r2, &p, err), 0);
    assert_int_equal(p.node, -1);
}

static void refusals(void **state)
{
    (void)state;
    const struct refusal cases[] = {
        {NULL, NULL, "{\"bogus\": 1}", "unknown field \"bogus\""},
        {"nodez", "1", "", "unknown parameter \"nodez\""},
        {NULL, NULL, "{\"iterations\": 5,", "malformed JSON body"},
        {NULL, NULL, "[1]", "must be an object"},
        {NULL, NULL, "{\"iterations\": 1, \"iterations\": 2}", "duplicate"},
        {"iterations", "2", "{\"iterations\": 3}", "iterations: given more than once"},
        {"iterations", "12abc", "", "iterations: \"12abc\" is not a whole number"},
        {"iterations", "0", "", "iterations: 0 is out of range 1..100000"},
        {"chunk_mb", "1025", "", "chunk_mb: 1025 is out of range 1..1024"},
        {NULL, NULL, "{\"chunk_mb\": 2.5}", "chunk_mb: expected a whole number"},
        {NULL, NULL, "{\"touch\": \"yes\"}", "touch: expected true or false"},
        {"thp", "maybe", "", "thp: \"maybe\" is not true/false/1/0"},
        {"alloc", "calloc", "", "alloc: \"calloc\" is not one of mmap, malloc, libnuma"},
        {NULL, NULL, "{\"alloc\": 1}", "alloc: expected a string"},
        {"alloc", "libnuma", "", "alloc=libnuma needs a node"},
        /* huge pages need 2 MiB-aligned chunks: only the arena has them */
        {"thp", "true", "{\"alloc\": \"malloc\"}", "thp=true needs alloc=mmap: malloc chunks"},
        {"thp", "1", "{\"alloc\": \"libnuma\", \"node\": 0}", "thp=true needs alloc=mmap: libnuma chunks"},
        {"node", "64", "", "node: 64 is out of range 0..63"},
        {"hold_ms", "60001", "", "hold_ms: 60001 is out of range 0..60000"},
    };
    expect_refusals(cases, sizeof cases / sizeof cases[0]);
}

static int plan(const struct exp_world *w, int node, int64_t iterations, struct exp_plan *out, char *err)
{
    struct exp_params p;
    exp_params_default(&p);
    p.node = node;
    p.iterations = iterations;
    return exp_plan_make(&p, w, &limits, out, err);
}

static void plan_targets(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct exp_plan pl;
    struct exp_world bind2 = world3(MPOL_BIND, 0x4, 0x7);
    assert_int_equal(plan(&bind2, -1, 100, &pl, err), 0);
    assert_int_equal(pl.target, 0x4);
    assert_string_equal(pl.target_policy, "bind");
    assert_int_equal(pl.total_bytes, 200 * EXP_MIB);
    struct exp_world dflt = world3(MPOL_DEFAULT, 0, 0x7);
    assert_int_equal(plan(&dflt, 2, 100, &pl, err), 0);
    assert_int_equal(pl.target, 0x4);
    assert_string_equal(pl.target_policy, "bind");
    assert_int_equal(plan(&dflt, -1, 100, &pl, err), 0);
    assert_int_equal(pl.target, 0x7);
    assert_string_equal(pl.target_policy, "default");
    struct exp_world il = world3(MPOL_INTERLEAVE, 0x7, 0x7);
    assert_int_equal(plan(&il, -1, 100, &pl, err), 0);
    assert_string_equal(pl.target_policy, "interleave");
}

static void plan_refusals(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct exp_plan pl;
    struct exp_world dflt = world3(MPOL_DEFAULT, 0, 0x7);
    assert_int_equal(plan(&dflt, 7, 1, &pl, err), 422);
    assert_string_equal(err, "node 7 does not exist on this machine (nodes 0-2)");
    struct exp_world pod = world3(MPOL_DEFAULT, 0, 0x3);
    assert_int_equal(plan(&pod, 2, 1, &pl, err), 422);
    assert_string_equal(err, "node 2 is not in this process's Mems_allowed (0-1): the cpuset excludes it");
    struct exp_world bind1 = world3(MPOL_BIND, 0x2, 0x7);
    assert_int_equal(plan(&bind1, 2, 1, &pl, err), 422);
    assert_non_null(strstr(err, "outside the process's bind policy (nodes 1"));
    /* bound to node 1 (1 GiB free, 64 MiB reserve): 480 chunks fit, 481 do not */
    assert_int_equal(plan(&bind1, -1, 480, &pl, err), 0);
    assert_int_equal(plan(&bind1, -1, 481, &pl, err), 422);
    assert_non_null(strstr(err, "node(s) 1 have 1073741824 bytes free"));
    /* default policy may use every allowed node: 3 GiB */
    assert_int_equal(plan(&dflt, -1, 1000, &pl, err), 0);
    assert_int_equal(plan(&dflt, -1, 2100, &pl, err), 422);
    assert_non_null(strstr(err, "EXP_MAX_TOTAL_MB"));
    struct exp_world cg = world3(MPOL_DEFAULT, 0, 0x7);
    cg.cgroup = (struct cdn_cg_memory){.version = 2, .limit = 512 * EXP_MIB, .usage = 10 * EXP_MIB,
                                   .limit_file = "memory.max"};
    assert_int_equal(plan(&cg, -1, 512, &pl, err), 422);
    assert_non_null(strstr(err, "cgroup memory limit (memory.max = 536870912 bytes"));
    assert_int_equal(plan(&cg, -1, 200, &pl, err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(query_and_body_together),
        cmocka_unit_test(refusals),
        cmocka_unit_test(plan_targets),
        cmocka_unit_test(plan_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
