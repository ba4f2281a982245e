/* test_diagnosis.c: unit tests for the diagnosis on the fixture snapshots of attrib_fixture.h:
 * every reason of the fixed set, each with a case where it must not appear, their order, their
 * numbers and the cap on their count. */
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

static struct attrib_reason why[ATTRIB_MAX_REASONS];

/* The reasons diagnosed, as "name@node" joined by spaces. */
static const char *diagnose(const struct attrib_context *c)
{
    static char out[1024];
    compute(c);
    size_t n = attrib_diagnose(&snaps, c, &res, why, ATTRIB_MAX_REASONS);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        assert_true(strlen(why[i].text) > 20);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s@%d", i ? " " : "",
                 attrib_why_name(why[i].why), why[i].node);
    }
    return out;
}

static void diagnosis_of_the_seed(void **state)
{
    (void)state;
    struct attrib_context c = seed(&snaps);
    assert_string_equal(diagnose(&c), "parent_unbound@0 page_cache@0 per_cpu_lists@1");
    assert_int_equal(why[0].bytes, 6 * MIB + 128 * KIB);
    assert_non_null(strstr(why[0].text, "pid 1, fwatchdog, policy default"));
    assert_non_null(strstr(why[0].text, "+131072 while the experiment ran"));
    assert_int_equal(why[1].bytes, 2 * MIB);
    assert_int_equal(why[2].bytes, 8 * MIB);
    /* the parent bound too, no page cache, no parked pages: nothing differs */
    c = seed(&snaps);
    for (int i = 0; i < ATTRIB_SNAPS; i++) {
        snaps.at[i].parent.anon[1] = snaps.at[i].parent.anon[0];
        snaps.at[i].parent.anon[0] = 0;
    }
    use(&snaps, ATTRIB_TOUCHED, ATTRIB_RELEASED, 0, CDN_NODESTAT_FILE_PAGES, -2 * MIB);
    snaps.at[ATTRIB_RELEASED].node.pcp_free[1] -= 8 * MIB;
    snaps.at[ATTRIB_RELEASED].node.field[1][CDN_NODESTAT_MEM_FREE] += 8 * MIB;
    assert_string_equal(diagnose(&c), "");
}

static void diagnosis_of_policies(void **state)
{
    (void)state;
    struct attrib_context c = seed(&snaps);
    c.mems_allowed = 0x2;
    c.mems_allowed_list = "1";
    assert_non_null(strstr(diagnose(&c), "cpuset_narrowed@-1"));
    assert_int_equal(why[0].bytes, GIB);
    c = seed(&snaps);
    c.policy_mode = MPOL_PREFERRED;
    c.policy_name = "preferred";
    placement[1] -= 1000;
    placement[0] = 1000;
    assert_non_null(strstr(diagnose(&c), "preferred_fallback@0"));
    assert_int_equal(why[0].bytes, 1000 * 4096);
    c.policy_mode = MPOL_BIND;      /* bind cannot fall back: not a reason, whatever the counts */
    assert_null(strstr(diagnose(&c), "preferred_fallback"));
    c = seed(&snaps);
    c.policy_mode = MPOL_INTERLEAVE;
    c.target = 0x3;
    assert_null(strstr(diagnose(&c), "interleave_uneven"));   /* equal nodes */
    for (int i = 0; i < ATTRIB_SNAPS; i++)
        snaps.at[i].node.field[1][CDN_NODESTAT_MEM_TOTAL] = 2 * GIB;
    assert_non_null(strstr(diagnose(&c), "interleave_uneven@-1"));
    assert_int_equal(why[0].bytes, GIB);
    c = seed(&snaps);
    c.thp = true;
    assert_non_null(strstr(diagnose(&c), "thp_not_granted@-1"));
    assert_non_null(strstr(why[0].text, "THP mode \"unknown\""));
    for (int i = ATTRIB_TOUCHED; i < ATTRIB_SNAPS; i++)
        snaps.at[i].node.field[1][CDN_NODESTAT_ANON_HUGE_PAGES] += EXP_BYTES;
    assert_null(strstr(diagnose(&c), "thp_not_granted"));
}

static void diagnosis_of_node_movements(void **state)
{
    (void)state;
    struct attrib_context c = seed(&snaps);
    use(&snaps, ATTRIB_TOUCHED, ATTRIB_RELEASED, 0, CDN_NODESTAT_SUNRECLAIM, 3 * MIB);
    use(&snaps, ATTRIB_ALLOCATED, ATTRIB_RELEASED, 0, CDN_NODESTAT_ANON_PAGES, 5 * MIB);
    for (int i = ATTRIB_ALLOCATED; i < ATTRIB_SNAPS; i++) {
        snaps.at[i].node.field[1][CDN_NODESTAT_MEM_TOTAL] += 128 * MIB;     /* onlined, all free */
        snaps.at[i].node.field[1][CDN_NODESTAT_MEM_FREE] += 128 * MIB;
    }
    assert_string_equal(diagnose(&c), "parent_unbound@0 page_cache@0 kernel_memory@0 other_processes@0 "
                                      "per_cpu_lists@1 memory_onlined@1");
    assert_int_equal(why[2].bytes, 3 * MIB);
    assert_non_null(strstr(why[2].text, "slab +3145728"));
    assert_int_equal(why[3].bytes, 5 * MIB);
    assert_int_equal(why[5].bytes, 128 * MIB);
    assert_int_equal(res.cell[ATTRIB_ALLOCATE][1].used_change, 0);   /* onlined memory is not use */
    /* the counters' drift raises the floor: 3 MiB of slab is then noise */
    for (int i = 0; i < ATTRIB_SNAPS; i++)
        snaps.at[i].node.drift[0] = 6 * MIB;
    assert_null(strstr(diagnose(&c), "kernel_memory"));
}

static void diagnosis_of_unexplained_and_a_full_list(void **state)
{
    (void)state;
    struct attrib_context c = seed(&snaps);
    use(&snaps, ATTRIB_TOUCHED, ATTRIB_TOUCHED, 1, CDN_NODESTAT_FILE_PAGES, 20 * MIB);
    assert_string_equal(diagnose(&c), "parent_unbound@0 page_cache@0 page_cache@1 per_cpu_lists@1 "
                                      "unexplained@1 unexplained@1");
    assert_int_equal(why[4].bytes, 20 * MIB + 64 * KIB);     /* touch, then release gives it back */
    assert_non_null(strstr(why[4].text, "during touch"));
    assert_non_null(strstr(why[5].text, "during release"));
    size_t n = attrib_diagnose(&snaps, &c, &res, why, 2);
    assert_int_equal(n, 2);
    assert_int_equal(why[0].why, WHY_PARENT_UNBOUND);
    assert_string_equal(attrib_why_name(WHY_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diagnosis_of_the_seed),
        cmocka_unit_test(diagnosis_of_policies),
        cmocka_unit_test(diagnosis_of_node_movements),
        cmocka_unit_test(diagnosis_of_unexplained_and_a_full_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
