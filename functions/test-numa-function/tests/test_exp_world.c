/* test_exp_world.c: the experiment where a container's seccomp profile refuses get_mempolicy
 * (Docker's default without CAP_SYS_NICE): the world is still read, the policy is "unknown" with
 * a reason naming CAP_SYS_NICE, and the plan targets every allowed node. ENOSYS (a kernel without
 * NUMA) is still 503. Linked with -Wl,--wrap=get_mempolicy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exp.h"

#include <errno.h>
#include <string.h>

long __wrap_get_mempolicy(int *mode, unsigned long *nmask, unsigned long maxnode, void *addr,
                          unsigned flags);
long __wrap_get_mempolicy(int *mode, unsigned long *nmask, unsigned long maxnode, void *addr,
                          unsigned flags)
{
    (void)mode; (void)nmask; (void)maxnode; (void)addr; (void)flags;
    errno = mock_type(int);
    return -1;
}

static void refused_policy_calls_still_give_a_world_and_a_plan(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    struct exp_world w;
    will_return_always(__wrap_get_mempolicy, EPERM);
    int rc = exp_world_read(&w, err);
    if (rc != 0)
        fail_msg("exp_world_read: %d %s", rc, err);
    assert_string_equal(w.policy.mode_name, "unknown");
    assert_non_null(strstr(w.policy.reason, "CAP_SYS_NICE"));
    assert_true(w.policy.mems_allowed != 0);
    assert_true(w.mem.nodes != 0);
    struct exp_limits lim = {.max_total_bytes = 64 * EXP_MIB, .busy_wait_ms = 0, .reserve_bytes = 0};
    struct exp_params p;
    exp_params_default(&p);
    p.iterations = 2;
    struct exp_plan plan;
    assert_int_equal(exp_plan_make(&p, &w, &lim, &plan, err), 0);
    assert_string_equal(plan.target_policy, "unknown");
    assert_int_equal(plan.target, w.policy.mems_allowed);
    exp_world_free(&w);
}

static void no_numa_is_503(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    struct exp_world w;
    will_return_always(__wrap_get_mempolicy, ENOSYS);
    assert_int_equal(exp_world_read(&w, err), 503);
    assert_non_null(strstr(err, "NUMA is not available"));
    exp_world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refused_policy_calls_still_give_a_world_and_a_plan),
        cmocka_unit_test(no_numa_is_503),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
