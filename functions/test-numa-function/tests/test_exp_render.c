/* test_exp_render.c: unit tests for the render stage on fixture inputs: a plan, a world (the
 * topology read from a fixture sysfs tree) and a result built by hand. Render reads no kernel
 * interface, so every number in the answer is the fixture's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exp.h"

#include <numaif.h>
#include <stdlib.h>
#include <string.h>

#define MIB EXP_MIB

struct fixture {
    struct exp_plan plan;
    struct exp_world world;
    struct exp_result res;
};

/* Two nodes (0 and 2, as the fixture tree has them), 1 GiB each; 8 MiB touched on node 2. */
static void mem(struct cdn_meminfo_snapshot *s, int64_t free0, int64_t free2)
{
    memset(s, 0, sizeof *s);
    s->nodes = 0x5;
    s->mem_total[0] = s->mem_total[2] = 1024 * MIB;
    s->mem_free[0] = free0;
    s->mem_free[2] = free2;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char err[CDN_ERR_LEN];
    exp_params_default(&f->plan.params);
    f->plan.params.iterations = 4;
    f->plan.chunk_bytes = 2 * MIB;
    f->plan.total_bytes = 8 * MIB;
    f->plan.target = 0x4;
    f->plan.target_policy = "bind";
    f->world.policy = (struct cdn_proc_policy){.mode = MPOL_BIND, .mode_name = "bind", .nodes = 0x4,
                                           .mems_allowed = 0x5, .cpu = 1, .cpu_node = 0};
    f->world.cgroup = (struct cdn_cg_memory){.version = 2, .limit = 512 * MIB, .usage = 64 * MIB};
    f->world.pid = 4242;
    f->world.have_topo = cdn_topo_read(FIXTURES "/sys_gaps", &f->world.topo, err) == 0;
    assert_true(f->world.have_topo);
    struct exp_result *r = &f->res;
    mem(&r->before, 800 * MIB, 800 * MIB);
    mem(&r->allocated, 800 * MIB, 800 * MIB);
    mem(&r->touched, 800 * MIB, 792 * MIB);
    mem(&r->released, 800 * MIB, 800 * MIB);
    r->policy_after = f->world.policy;
    r->placement = (struct cdn_place_result){.source = CDN_PLACE_NUMA_MAPS, .counting = CDN_PLACE_PER_MAPPING,
                                         .pages = 2048, .exact = 1};
    r->placement.per_node[2] = 2048;
    /* placement=sample: one page of each of the 4 chunks and 2 random ones */
    r->cross_check = (struct cdn_place_result){.source = CDN_PLACE_GET_MEMPOLICY, .counting = CDN_PLACE_SAMPLED,
                                           .pages = 6, .exact = 1, .fallback_reason = "move_pages: refused"};
    r->cross_check.per_node[2] = 6;
    r->have_cross_check = true;
    r->agrees = true;
    r->sample = (struct place_sample_info){.drawn = true, .seed = 42, .digest = 0xabcdef,
                                          .per_chunk = 4, .random = 2};
    r->chunk_policy = (struct cdn_addr_policy){.mode = MPOL_BIND, .mode_name = "bind", .nodes = 0x4};
    r->allocate_s = 0.25;
    r->touch_s = 0.75;
    r->total_s = 1.5;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    exp_world_free(&f->world);
    free(f);
    return 0;
}

static json_t *at(json_t *root, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *j = root;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); j && k; k = strtok_r(NULL, ".", &save))
        j = json_object_get(j, k);
    return j;
}

static void answer_carries_the_fixture_numbers(void **state)
{
    struct fixture *f = *state;
    json_t *a = exp_render(&f->plan, &f->world, &f->res);
    assert_non_null(a);
    assert_int_equal(json_integer_value(at(a, "bytes")), 8 * MIB);
    assert_int_equal(json_integer_value(at(a, "params.iterations")), 4);
    assert_true(json_is_null(at(a, "params.node")));
    assert_int_equal(json_integer_value(at(a, "process.pid")), 4242);
    assert_string_equal(json_string_value(at(a, "process.policy")), "bind");
    assert_int_equal(json_integer_value(at(a, "memfree.before.2")), 800 * MIB);
    assert_true(json_is_null(at(a, "memfree.per_cpu_lists")));     /* have_pcp 0 */
    assert_int_equal(json_integer_value(at(a, "deltas.touch.2")), 8 * MIB);
    assert_int_equal(json_integer_value(at(a, "deltas.touch.0")), 0);
    assert_int_equal(json_integer_value(at(a, "deltas.release.2")), 8 * MIB);
    assert_int_equal(json_integer_value(at(a, "placement.per_node.2")), 2048);
    assert_int_equal(json_integer_value(at(a, "placement.on_policy_nodes")), 2048);
    assert_string_equal(json_string_value(at(a, "placement.source")), "numa_maps");
    assert_string_equal(json_string_value(at(a, "placement.cross_check.source")), "get_mempolicy");
    assert_true(json_is_true(at(a, "placement.cross_check.agrees")));
    assert_string_equal(json_string_value(at(a, "placement.counting")), "per_mapping");
    assert_string_equal(json_string_value(at(a, "placement.cross_check.counting")), "sample");
    assert_int_equal(json_integer_value(at(a, "placement.cross_check.pages")), 6);
    assert_int_equal(json_integer_value(at(a, "placement.cross_check.per_node.2")), 6);
    assert_string_equal(json_string_value(at(a, "placement.cross_check.fallback_reason")), "move_pages: refused");
    assert_int_equal(json_integer_value(at(a, "placement.cross_check.sample.seed")), 42);
    assert_int_equal(json_integer_value(at(a, "placement.cross_check.sample.per_chunk")), 4);
    assert_int_equal(json_integer_value(at(a, "placement.cross_check.sample.random")), 2);
    assert_string_equal(json_string_value(at(a, "placement.cross_check.sample.digest")), "0000000000abcdef");
    assert_string_equal(json_string_value(at(a, "params.placement")), "sample");
    assert_int_equal(json_integer_value(at(a, "params.sample")), CDN_PLACE_SAMPLE_DEFAULT);
    assert_true(json_is_null(at(a, "params.seed")));           /* drawn from the clock */
    assert_string_equal(json_string_value(at(a, "placement.chunk_policy.policy")), "bind");
    assert_true(json_number_value(at(a, "timings.alloc_touch_s")) == 1.0);
    assert_true(json_number_value(at(a, "timings.throughput_mib_s")) == 8.0);   /* 8 MiB in 1 s */
    assert_int_equal(json_integer_value(at(a, "cgroup.limit")), 512 * MIB);
    json_t *nodes = at(a, "topology.nodes");
    assert_int_equal(json_array_size(nodes), 2);                       /* node ids 0 and 2 */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(nodes, 1), "node")), 2);
    assert_non_null(at(a, "attribution"));
    assert_true(json_is_array(at(a, "diagnosis")));
    json_decref(a);
}

static void disagreement_untouched_and_no_topology(void **state)
{
    struct fixture *f = *state;
    f->res.cross_check.per_node[2] = 5;
    f->res.cross_check.per_node[0] = 1;
    f->res.agrees = cdn_place_sample_agrees(&f->res.placement, &f->res.cross_check);   /* node 0 holds none */
    f->plan.params.placement_full = true;
    f->plan.params.seed = 7;
    f->plan.params.touch = false;
    exp_world_free(&f->world);      /* sysfs unreadable when the world was read */
    json_t *a = exp_render(&f->plan, &f->world, &f->res);
    assert_non_null(a);
    assert_true(json_is_false(at(a, "placement.cross_check.agrees")));
    assert_string_equal(json_string_value(at(a, "params.placement")), "full");
    assert_int_equal(json_integer_value(at(a, "params.seed")), 7);
    assert_true(json_is_null(at(a, "timings.throughput_mib_s")));      /* nothing was written */
    assert_true(json_is_null(at(a, "topology")));
    json_decref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(answer_carries_the_fixture_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(disagreement_untouched_and_no_topology, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
