/* test_attrib.c: unit tests for the attribution arithmetic and its JSON, on fixture snapshots of a
 * two-node machine (attrib_fixture.h): the seed scenario (256 MiB under --membind 1, the parent
 * unbound on node 0), positive, negative and zero changes, unknown shares, page tables split over
 * nodes, the per-CPU list correction and missing snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exp.h"

#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib_fixture.h"

static void seed_touch_and_release_on_node_1(void **state)
{
    (void)state;
    struct attrib_context c = seed(&snaps);
    compute(&c);
    assert_int_equal(res.nodes, 0x3);
    assert_true(res.with_pcp);
    const struct attrib_cell *t = &res.cell[ATTRIB_TOUCH][1];
    assert_int_equal(t->used_change, EXP_BYTES + 64 * KIB + 512 * KIB);
    assert_int_equal(t->counter[CDN_NODESTAT_ANON_PAGES], EXP_BYTES + 64 * KIB);
    assert_int_equal(t->counter[CDN_NODESTAT_PAGE_TABLES], 512 * KIB);
    assert_int_equal(t->not_in_counters, 0);
    assert_int_equal(t->share[ATTRIB_EXPERIMENT], EXP_BYTES);
    assert_int_equal(t->share[ATTRIB_PAGE_TABLES], 512 * KIB);
    assert_int_equal(t->share[ATTRIB_PROCESS_OTHER], 0);
    assert_int_equal(t->share[ATTRIB_PARENT], 0);
    assert_int_equal(t->explained, EXP_BYTES + 512 * KIB);
    assert_int_equal(t->unexplained, 64 * KIB);
    assert_float_equal(t->unexplained_pct, 100.0 * 64 / (256 * 1024 + 576), 1e-9);
    /* negative: memory returned; 8 MiB of it on per-CPU lists, which count as free */
    const struct attrib_cell *r = &res.cell[ATTRIB_RELEASE][1];
    assert_int_equal(r->used_change, -EXP_BYTES - 512 * KIB);
    assert_int_equal(r->share[ATTRIB_EXPERIMENT], -EXP_BYTES);
    assert_int_equal(r->share[ATTRIB_PAGE_TABLES], -512 * KIB);
    assert_int_equal(r->unexplained, 0);
    assert_float_equal(r->unexplained_pct, 0.0, 1e-12);
    assert_int_equal(res.pte_unplaced[ATTRIB_TOUCH], 0);
}

static void seed_node_0_and_zero_changes(void **state)
{
    (void)state;
    struct attrib_context c = seed(&snaps);
    compute(&c);
    const struct attrib_cell *t = &res.cell[ATTRIB_TOUCH][0];
    assert_int_equal(t->used_change, 2 * MIB + 128 * KIB);
    assert_int_equal(t->counter[CDN_NODESTAT_FILE_PAGES], 2 * MIB);
    assert_int_equal(t->share[ATTRIB_PARENT], 128 * KIB);
    assert_int_equal(t->share[ATTRIB_EXPERIMENT], 0);
    assert_int_equal(t->unexplained, 2 * MIB);
    for (int p = 0; p < ATTRIB_PHASES; p++)
        for (int k = 0; k < ATTRIB_SHARES; k++)
            assert_true(res.cell[p][0].have_share[k]);
    /* nothing moved while allocating: zero everywhere, no share of a zero change */
    for (int n = 0; n < 2; n++) {
        const struct attrib_cell *a = &res.cell[ATTRIB_ALLOCATE][n];
        assert_int_equal(a->used_change, 0);
        assert_int_equal(a->explained, 0);
        assert_int_equal(a->unexplained, 0);
        assert_true(a->unexplained_pct < 0);
    }
    assert_int_equal(res.cell[ATTRIB_RELEASE][0].used_change, 0);
    assert_true(res.have_numastat);
    assert_int_equal(res.numastat[1][CDN_NODESTAT_NUMA_HIT], 3000);  /* before -> released */
}

static void unknown_shares_are_not_summed(void **state)
{
    (void)state;
    struct attrib_context c = seed(&snaps);
    snaps.at[ATTRIB_TOUCHED].parent = (struct cdn_procstat){.readable = 0, .reason = "open: Permission denied"};
    snaps.at[ATTRIB_RELEASED].parent.pid = 77;    /* another parent: the process was re-parented */
    snaps.at[ATTRIB_ALLOCATED].self.readable = 0;
    c.placement_pages = NULL;                      /* the experiment from numa_maps */
    compute(&c);
    const struct attrib_cell *t0 = &res.cell[ATTRIB_TOUCH][0];
    assert_false(t0->have_share[ATTRIB_PARENT]);
    assert_int_equal(t0->share[ATTRIB_PARENT], 0);
    assert_int_equal(t0->unexplained, 2 * MIB + 128 * KIB);
    assert_false(res.cell[ATTRIB_RELEASE][0].have_share[ATTRIB_PARENT]);
    assert_true(res.cell[ATTRIB_ALLOCATE][0].have_share[ATTRIB_PARENT]);
    /* self unreadable at allocated: its shares and page tables unknown in allocate and touch */
    const struct attrib_cell *t1 = &res.cell[ATTRIB_TOUCH][1];
    assert_false(t1->have_share[ATTRIB_EXPERIMENT]);
    assert_false(t1->have_share[ATTRIB_PROCESS_OTHER]);
    assert_false(t1->have_share[ATTRIB_PAGE_TABLES]);
    assert_int_equal(t1->unexplained, t1->used_change);
    assert_true(res.cell[ATTRIB_RELEASE][1].have_share[ATTRIB_EXPERIMENT]);
    assert_int_equal(res.cell[ATTRIB_RELEASE][1].share[ATTRIB_EXPERIMENT], -EXP_BYTES);
}

static void page_tables_over_several_nodes(void **state)
{
    (void)state;
    struct attrib_context c = seed(&snaps);
    c.task_nodes = 0x3;      /* a default policy: page tables may go to either node */
    base(&snaps);
    use(&snaps, ATTRIB_ALLOCATED, ATTRIB_RELEASED, 0, CDN_NODESTAT_PAGE_TABLES, 100000);
    use(&snaps, ATTRIB_ALLOCATED, ATTRIB_RELEASED, 1, CDN_NODESTAT_PAGE_TABLES, 300000);
    for (int i = ATTRIB_ALLOCATED; i < ATTRIB_SNAPS; i++)
        snaps.at[i].self.vm_pte += 300000;         /* touch: the node counters moved 400000 */
    use(&snaps, ATTRIB_TOUCHED, ATTRIB_RELEASED, 0, CDN_NODESTAT_PAGE_TABLES, -70000);
    for (int i = ATTRIB_TOUCHED; i < ATTRIB_SNAPS; i++)
        snaps.at[i].self.vm_pte -= 90000;          /* more than any node's counter fell */
    use(&snaps, ATTRIB_RELEASED, ATTRIB_RELEASED, 1, CDN_NODESTAT_PAGE_TABLES, 5000);
    snaps.at[ATTRIB_RELEASED].self.vm_pte -= 8000;   /* no counter fell at all */
    compute(&c);
    assert_int_equal(res.cell[ATTRIB_ALLOCATE][0].share[ATTRIB_PAGE_TABLES], 75000);
    assert_int_equal(res.cell[ATTRIB_ALLOCATE][1].share[ATTRIB_PAGE_TABLES], 225000);
    assert_int_equal(res.pte_unplaced[ATTRIB_ALLOCATE], 0);
    assert_int_equal(res.cell[ATTRIB_TOUCH][0].share[ATTRIB_PAGE_TABLES], -70000);
    assert_int_equal(res.cell[ATTRIB_TOUCH][1].share[ATTRIB_PAGE_TABLES], 0);
    assert_int_equal(res.pte_unplaced[ATTRIB_TOUCH], -20000);
    assert_int_equal(res.cell[ATTRIB_RELEASE][1].share[ATTRIB_PAGE_TABLES], 0);
    assert_int_equal(res.pte_unplaced[ATTRIB_RELEASE], -8000);
    /* a remainder of the split goes to the node with the largest move */
    base(&snaps);
    use(&snaps, ATTRIB_ALLOCATED, ATTRIB_RELEASED, 0, CDN_NODESTAT_PAGE_TABLES, 3);
    use(&snaps, ATTRIB_ALLOCATED, ATTRIB_RELEASED, 1, CDN_NODESTAT_PAGE_TABLES, 3);
    for (int i = ATTRIB_ALLOCATED; i < ATTRIB_SNAPS; i++)
        snaps.at[i].self.vm_pte += 5;
    compute(&c);
    assert_int_equal(res.cell[ATTRIB_ALLOCATE][0].share[ATTRIB_PAGE_TABLES] +
                     res.cell[ATTRIB_ALLOCATE][1].share[ATTRIB_PAGE_TABLES], 5);
}

static void per_cpu_lists_and_missing_snapshots(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct attrib_context c = seed(&snaps);
    snaps.at[ATTRIB_TOUCHED].node.have_pcp = 0;    /* zoneinfo unreadable once: MemFree alone */
    compute(&c);
    assert_false(res.with_pcp);
    assert_int_equal(res.cell[ATTRIB_RELEASE][1].used_change, -EXP_BYTES - 512 * KIB + 8 * MIB);
    snaps.at[ATTRIB_ALLOCATED].node.fields_seen &= ~(1u << CDN_NODESTAT_SEC_PAGE_TABLES);
    snaps.at[ATTRIB_ALLOCATED].node.have_numastat = 0;
    compute(&c);
    assert_false(res.fields & (1u << CDN_NODESTAT_SEC_PAGE_TABLES));
    assert_false(res.have_numastat);
    snaps.at[ATTRIB_RELEASED].taken = false;
    assert_int_equal(attrib_compute(&snaps, &c, &res, err), -1);
    assert_string_equal(err, "attribution: snapshot 3 was not taken: Invalid argument");
}

static void answer_json(void **state)
{
    (void)state;
    seed(&snaps);
    struct exp_plan plan = {.target = 0x2, .target_policy = "bind", .total_bytes = EXP_BYTES};
    exp_params_default(&plan.params);
    struct exp_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->attrib = snaps;
    r->placement.per_node[1] = EXP_BYTES / 4096;
    r->policy_after = (struct cdn_proc_policy){.mode = MPOL_BIND, .mode_name = "bind", .nodes = 0x2,
                                           .mems_allowed = 0x3, .mems_allowed_list = "0-1"};
    r->attrib.at[ATTRIB_RELEASED].parent = (struct cdn_procstat){.reason = "gone"};
    json_t *answer = json_object();
    assert_int_equal(exp_attrib_attach(answer, &plan, r), 0);
    json_t *t1 = json_object_get(json_object_get(json_object_get(json_object_get(answer, "attribution"),
                                                                 "phases"), "touch"), "1");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(t1, "shares"), "experiment")), EXP_BYTES);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(t1, "counters"), "AnonPages")),
                     EXP_BYTES + 64 * KIB);
    assert_int_equal(json_integer_value(json_object_get(t1, "unexplained")), 64 * KIB);
    json_t *r0 = json_object_get(json_object_get(json_object_get(json_object_get(answer, "attribution"),
                                                                 "phases"), "release"), "0");
    assert_true(json_is_null(json_object_get(json_object_get(r0, "shares"), "parent")));
    assert_true(json_is_null(json_object_get(r0, "unexplained_pct")));
    json_t *parent = json_object_get(json_object_get(answer, "attribution"), "parent");
    assert_string_equal(json_string_value(json_object_get(parent, "comm")), "fwatchdog");
    json_t *d = json_object_get(answer, "diagnosis");
    assert_int_equal(json_array_size(d), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "reason")), "parent_unbound");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(d, 0), "node")), 0);
    json_decref(answer);
    r->attrib.at[ATTRIB_BEFORE].taken = false;
    answer = json_object();
    assert_int_equal(exp_attrib_attach(answer, &plan, r), 0);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(answer, "attribution"), "error")),
                           "snapshot 0 was not taken"));
    assert_int_equal(json_array_size(json_object_get(answer, "diagnosis")), 0);
    json_decref(answer);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_touch_and_release_on_node_1),
        cmocka_unit_test(seed_node_0_and_zero_changes),
        cmocka_unit_test(unknown_shares_are_not_summed),
        cmocka_unit_test(page_tables_over_several_nodes),
        cmocka_unit_test(per_cpu_lists_and_missing_snapshots),
        cmocka_unit_test(answer_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
