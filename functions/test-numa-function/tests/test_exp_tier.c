/* test_exp_tier.c: unit tests for the tiered-memory parameters and plan: policy, nodes,
 * migrate_to, resample_ms, measure and sweep from the query and the JSON body, every refusal with its
 * status and text, the plan's mbind mode and target, the checks against the cpuset, the process's
 * bind, the kernel's weighted interleave, free memory and the LLC, and the sweep's nodes; the vmstat
 * parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exp.h"
#include "exp_fixture.h"

#include <numaif.h>
#include <stdio.h>
#include <string.h>

static int parse(const struct fn_pair *q, size_t nq, const char *body, struct exp_params *p, char *err)
{
    struct fn_request r = request(q, nq, body);
    return exp_params_parse(&r, p, err);
}

static void parses_query_and_body(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct exp_params p;
    assert_int_equal(parse(NULL, 0, "", &p, err), 0);
    assert_int_equal(p.tier.policy, EXP_MPOL_NONE);
    assert_int_equal(p.tier.migrate_to, -1);
    assert_int_equal(p.tier.resample_ms, 0);
    assert_int_equal(p.tier.measure, 0);
    assert_false(p.tier.sweep);
    struct fn_pair q[] = {{"policy", "weighted-interleave"}, {"nodes", "0,2"}, {"hold_ms", "1000"},
                          {"resample_ms", "100"}, {"measure", "latency,bandwidth"}, {"sweep", "true"},
                          {"migrate_to", "2"}};
    assert_int_equal(parse(q, 7, "", &p, err), 0);
    assert_int_equal(p.tier.policy, EXP_MPOL_WEIGHTED_INTERLEAVE);
    assert_int_equal(p.tier.nodes, 0x5);
    assert_int_equal(p.tier.resample_ms, 100);
    assert_int_equal(p.tier.measure, EXP_MEASURE_LATENCY | EXP_MEASURE_BANDWIDTH);
    assert_true(p.tier.sweep);
    assert_int_equal(p.tier.migrate_to, 2);
    const char *body = "{\"policy\": \"preferred\", \"nodes\": [0, 1], \"measure\": [\"bandwidth\"], "
                       "\"migrate_to\": 1}";
    assert_int_equal(parse(NULL, 0, body, &p, err), 0);
    assert_int_equal(p.tier.policy, EXP_MPOL_PREFERRED);
    assert_int_equal(p.tier.nodes, 0x3);
    assert_int_equal(p.tier.measure, EXP_MEASURE_BANDWIDTH);
    assert_int_equal(p.tier.migrate_to, 1);
    assert_int_equal(parse(NULL, 0, "{\"policy\": \"bind\", \"nodes\": \"1-2\"}", &p, err), 0);
    assert_int_equal(p.tier.nodes, 0x6);
    assert_int_equal(exp_mpol_mode(EXP_MPOL_PREFERRED, 0x1), MPOL_PREFERRED);
    assert_int_equal(exp_mpol_mode(EXP_MPOL_PREFERRED, 0x3), 5);   /* MPOL_PREFERRED_MANY */
    assert_int_equal(exp_mpol_mode(EXP_MPOL_WEIGHTED_INTERLEAVE, 0x5), 6);
    assert_int_equal(exp_mpol_mode(EXP_MPOL_INTERLEAVE, 0x5), MPOL_INTERLEAVE);
}

static void refuses_bad_input(void **state)
{
    (void)state;
    const struct refusal cases[] = {
        {"policy", "weighted", "", "policy: \"weighted\" is not one of bind, preferred, interleave"},
        {NULL, NULL, "{\"policy\": 6}", "policy: expected a string"},
        {"policy", "bind", "", "policy=bind needs nodes"},
        {"nodes", "0,2", "", "nodes needs a policy"},
        {"nodes", "0;2", "{\"policy\": \"bind\"}", "nodes: \"0;2\" is not a node list"},
        {"nodes", "", "{\"policy\": \"bind\"}", "nodes: the list is empty"},
        {NULL, NULL, "{\"policy\": \"bind\", \"nodes\": [0, \"2\"]}", "nodes: item 1 is not a node id"},
        {NULL, NULL, "{\"policy\": \"bind\", \"nodes\": [64]}", "nodes: item 0 is not a node id 0..63"},
        {NULL, NULL, "{\"policy\": \"bind\", \"nodes\": []}", "nodes: the list is empty"},
        {"node", "1", "{\"policy\": \"bind\", \"nodes\": [1]}", "node=1 and policy=bind both set"},
        {"alloc", "malloc", "{\"policy\": \"interleave\", \"nodes\": [0, 1]}", "use alloc=mmap"},
        {"migrate_to", "x", "", "migrate_to: \"x\" is not a whole number"},
        {"migrate_to", "64", "", "migrate_to: 64 is out of range 0..63"},
        {"migrate_to", "1", "{\"touch\": false}", "migrate_to needs touch=true"},
        {"resample_ms", "5", "{\"hold_ms\": 100}", "resample_ms: 5 is out of range 10..60000"},
        {"resample_ms", "100", "", "resample_ms re-reads placement while the buffers are held"},
        {"resample_ms", "10", "{\"hold_ms\": 60000}", "hold_ms/resample_ms = 6000 samples, more than 600"},
        {"measure", "speed", "", "measure: \"speed\" is not latency or bandwidth"},
        {"measure", "latency,", "", "ends with a comma"},
        {"measure", "", "", "measure: expected latency, bandwidth"},
        {NULL, NULL, "{\"measure\": [1]}", "measure: item 0 is not a string"},
        {NULL, NULL, "{\"measure\": []}", "measure: the list is empty"},
        {"measure", "latency", "{\"touch\": false}", "measure needs touch=true"},
        {"sweep", "yes", "", "sweep: \"yes\" is not true/false/1/0"},
        {"sweep", "true", "", "sweep=true repeats the measurement: give measure"},
        {"policy", "bind", "{\"policy\": \"bind\"}", "policy: given more than once"},
    };
    expect_refusals(cases, sizeof cases / sizeof cases[0]);
}

/* The tiered guest: the 3-node machine with kernel tiering fields; weighted interleave when wi. */
static struct exp_world world(int mode, cdn_nodeset policy_nodes, cdn_nodeset allowed, bool wi)
{
    struct exp_world w = world3(mode, policy_nodes, allowed);
    for (int n = 0; n < 3; n++)
        w.tiers.node[n].wi_weight = wi ? 1 : -1;
    snprintf(w.tiers.kernel, sizeof w.tiers.kernel, "%s", wi ? "6.12.95+deb12-amd64" : "6.1.0-57-amd64");
    w.tiers.have_wi = wi;
    w.tiers.nodes = 0x7;
    w.llc_bytes = 16 * EXP_MIB;
    w.cpu_nodes = 0x3;
    return w;
}

static int plan_query(const struct exp_world *w, const struct fn_pair *q, size_t nq, struct exp_plan *out,
                      char *err)
{
    struct exp_params p;
    int rc = parse(q, nq, "{\"iterations\": 64}", &p, err);
    return rc ? rc : exp_plan_make(&p, w, &limits, out, err);
}

static void plans_policies(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct exp_plan pl;
    struct exp_world w = world(MPOL_DEFAULT, 0, 0x7, true);
    struct fn_pair wi[] = {{"policy", "weighted-interleave"}, {"nodes", "0,2"}};
    assert_int_equal(plan_query(&w, wi, 2, &pl, err), 0);
    assert_int_equal(pl.mbind_mode, 6);
    assert_int_equal(pl.mbind_nodes, 0x5);
    assert_int_equal(pl.target, 0x5);
    assert_string_equal(pl.target_policy, "weighted-interleave");
    struct fn_pair bind[] = {{"policy", "bind"}, {"nodes", "2"}};
    assert_int_equal(plan_query(&w, bind, 2, &pl, err), 0);
    assert_int_equal(pl.mbind_mode, MPOL_BIND);
    assert_string_equal(pl.target_policy, "bind");
    struct fn_pair none[] = {{"chunk_mb", "2"}};
    assert_int_equal(plan_query(&w, none, 1, &pl, err), 0);
    assert_int_equal(pl.mbind_mode, -1);
    struct fn_pair node[] = {{"node", "1"}};
    assert_int_equal(plan_query(&w, node, 1, &pl, err), 0);
    assert_int_equal(pl.mbind_mode, MPOL_BIND);
    assert_int_equal(pl.mbind_nodes, 0x2);
}

static void refuses_plans(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct exp_plan pl;
    struct exp_world old = world(MPOL_DEFAULT, 0, 0x7, false);
    struct fn_pair wi[] = {{"policy", "weighted-interleave"}, {"nodes", "0,2"}};
    assert_int_equal(plan_query(&old, wi, 2, &pl, err), 422);
    assert_non_null(strstr(err, "MPOL_WEIGHTED_INTERLEAVE needs Linux 6.9 or later (this kernel: 6.1.0-57-amd64)"));
    struct exp_world bound = world(MPOL_BIND, 0x3, 0x7, true);
    struct fn_pair il[] = {{"policy", "interleave"}, {"nodes", "0,2"}};
    assert_int_equal(plan_query(&bound, il, 2, &pl, err), 422);
    assert_non_null(strstr(err, "node 2 is outside the process's bind policy"));
    struct fn_pair mig[] = {{"migrate_to", "2"}};
    assert_int_equal(plan_query(&bound, mig, 1, &pl, err), 422);
    assert_non_null(strstr(err, "node 2 is outside the process's bind policy"));
    struct exp_world pod = world(MPOL_DEFAULT, 0, 0x3, true);
    assert_int_equal(plan_query(&pod, il, 2, &pl, err), 422);
    assert_non_null(strstr(err, "the cpuset excludes it"));
    struct exp_world full = world(MPOL_DEFAULT, 0, 0x7, true);
    full.mem.mem_free[2] = 100 * EXP_MIB;
    assert_int_equal(plan_query(&full, mig, 1, &pl, err), 422);
    assert_non_null(strstr(err, "migrate_to=2: 134217728 bytes to move but node 2 has 104857600 bytes free"));
    struct fn_pair sweep[] = {{"measure", "latency"}, {"sweep", "true"}};
    assert_int_equal(plan_query(&full, sweep, 2, &pl, err), 422);
    assert_non_null(strstr(err, "sweep: 134217728 bytes do not fit on node 2"));
    struct exp_world small = world(MPOL_DEFAULT, 0, 0x7, true);
    small.llc_bytes = 256 * EXP_MIB;
    struct fn_pair lat[] = {{"measure", "latency"}};
    assert_int_equal(plan_query(&small, lat, 1, &pl, err), 422);
    assert_non_null(strstr(err, "larger than the last-level cache (268435456 bytes), not 134217728"));
    struct fn_pair bw[] = {{"measure", "bandwidth"}};
    assert_int_equal(plan_query(&small, bw, 1, &pl, err), 0);
}

static void plans_sweeps(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct exp_plan pl;
    struct fn_pair sweep[] = {{"measure", "latency,bandwidth"}, {"sweep", "1"}};
    struct exp_world w = world(MPOL_DEFAULT, 0, 0x7, true);
    assert_int_equal(plan_query(&w, sweep, 2, &pl, err), 0);
    assert_int_equal(pl.sweep_mem, 0x7);
    assert_int_equal(pl.sweep_cpu, 0x3);
    assert_int_equal(pl.llc_bytes, 16 * EXP_MIB);
    struct exp_world bound = world(MPOL_BIND, 0x6, 0x7, true);
    assert_int_equal(plan_query(&bound, sweep, 2, &pl, err), 0);
    assert_int_equal(pl.sweep_mem, 0x6);
    struct exp_world pod = world(MPOL_DEFAULT, 0, 0x3, true);
    pod.cpu_nodes = 0x2;
    assert_int_equal(plan_query(&pod, sweep, 2, &pl, err), 0);
    assert_int_equal(pl.sweep_mem, 0x3);
    assert_int_equal(pl.sweep_cpu, 0x2);
    pod.cpu_nodes = 0;
    assert_int_equal(plan_query(&pod, sweep, 2, &pl, err), 422);
    assert_non_null(strstr(err, "sweep: no CPU node is allowed"));
}

static void parses_vmstat(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    static const char text[] =
        "nr_free_pages 1000\npgpromote_success 3\npgpromote_candidate 9\npgdemote_kswapd 24189\n"
        "pgdemote_direct 4608\npgdemote_khugepaged 0\nnuma_hint_faults 7\nnuma_pages_migrated 9\n"
        "pgmigrate_success 28806\npgmigrate_fail 2\nthp_migration_success 1\nbogus\n";
    FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
    assert_non_null(f);
    struct exp_vmstat v;
    assert_int_equal(exp_vmstat_parse(f, &v, err), 0);
    fclose(f);
    assert_int_equal(v.n, 8);
    assert_string_equal(v.name[0], "pgpromote_success");
    assert_string_equal(v.name[2], "pgdemote_kswapd");
    assert_int_equal(v.value[2], 24189);
    assert_string_equal(v.name[5], "numa_pages_migrated");
    assert_string_equal(v.name[7], "pgmigrate_fail");
    assert_int_equal(v.value[7], 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_query_and_body),
        cmocka_unit_test(refuses_bad_input),
        cmocka_unit_test(plans_policies),
        cmocka_unit_test(refuses_plans),
        cmocka_unit_test(plans_sweeps),
        cmocka_unit_test(parses_vmstat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
