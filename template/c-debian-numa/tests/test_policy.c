/* test_policy.c: the memory policy as read back from the kernel: every mode and mode flag Linux
 * 6.12 knows, node masks sized for the kernel's possible nodes rather than 64 bits, and a
 * get_mempolicy refused by a container's seccomp profile (EPERM without CAP_SYS_NICE).
 * Linked with -Wl,--wrap=get_mempolicy,--wrap=mbind,--wrap=numa_num_possible_nodes: a fake
 * kernel with more possible nodes than 64 checks the maxnode it is given, like the real one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"

#include <errno.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define T_WEIGHTED_INTERLEAVE 6
#define T_F_STATIC_NODES (1 << 15)
#define T_F_RELATIVE_NODES (1 << 14)
#define T_F_NUMA_BALANCING (1 << 13)

/* The fake kernel. Inactive: every call goes to the real one. */
struct fake_kernel {
    int active;
    int refuse;                 /* errno to fail every call with, 0 for none */
    int possible;               /* what numa_num_possible_nodes() answers, 0 for the real value */
    unsigned long nr_node_ids;  /* maxnode below this is EINVAL, as in kernel/mm/mempolicy.c */
    int mode;                   /* the policy get_mempolicy reports */
    int node;                   /* the one node in its mask */
    unsigned long seen_maxnode; /* the last maxnode passed in with a mask */
    cdn_nodeset seen_nodes;     /* the nodes of the last mbind mask (ids < 64) */
    int seen_high_node;         /* a node id >= 64 set in the last mbind mask, or -1 */
};
static struct fake_kernel fake;

int __real_numa_num_possible_nodes(void);
int __wrap_numa_num_possible_nodes(void);
int __wrap_numa_num_possible_nodes(void)
{
    return fake.active && fake.possible ? fake.possible : __real_numa_num_possible_nodes();
}

/* Like the kernel's get_nodes()/copy_nodes_to_user(): maxnode - 1 bits are read or written. */
static size_t mask_words(unsigned long maxnode)
{
    return (maxnode - 1 + 8 * sizeof(unsigned long) - 1) / (8 * sizeof(unsigned long));
}

long __real_get_mempolicy(int *mode, unsigned long *nmask, unsigned long maxnode, void *addr,
                          unsigned flags);
long __wrap_get_mempolicy(int *mode, unsigned long *nmask, unsigned long maxnode, void *addr,
                          unsigned flags);
long __wrap_get_mempolicy(int *mode, unsigned long *nmask, unsigned long maxnode, void *addr,
                          unsigned flags)
{
    if (!fake.active)
        return __real_get_mempolicy(mode, nmask, maxnode, addr, flags);
    if (nmask)
        fake.seen_maxnode = maxnode;
    if (fake.refuse)
        return errno = fake.refuse, -1;
    if (nmask && maxnode < fake.nr_node_ids)
        return errno = EINVAL, -1;
    if (mode)
        *mode = fake.mode;
    if (nmask) {
        const size_t bits = 8 * sizeof(unsigned long);
        memset(nmask, 0, mask_words(maxnode) * sizeof(unsigned long));
        nmask[fake.node / bits] |= 1UL << (fake.node % bits);
    }
    return 0;
}

long __real_mbind(void *addr, unsigned long len, int mode, const unsigned long *nmask,
                  unsigned long maxnode, unsigned flags);
long __wrap_mbind(void *addr, unsigned long len, int mode, const unsigned long *nmask,
                  unsigned long maxnode, unsigned flags);
long __wrap_mbind(void *addr, unsigned long len, int mode, const unsigned long *nmask,
                  unsigned long maxnode, unsigned flags)
{
    if (!fake.active)
        return __real_mbind(addr, len, mode, nmask, maxnode, flags);
    fake.seen_maxnode = maxnode;
    if (fake.refuse)
        return errno = fake.refuse, -1;
    if (maxnode - 1 < fake.nr_node_ids)
        return errno = EINVAL, -1;
    const size_t bits = 8 * sizeof(unsigned long);
    fake.seen_nodes = 0;
    fake.seen_high_node = -1;
    for (unsigned long n = 0; n < maxnode - 1; n++) {
        if (!(nmask[n / bits] >> (n % bits) & 1))
            continue;
        if (n < CDN_MAX_NODES)
            fake.seen_nodes |= (cdn_nodeset)1 << n;
        else
            fake.seen_high_node = (int)n;
    }
    return 0;
}

static int reset(void **state)
{
    (void)state;
    memset(&fake, 0, sizeof fake);
    return 0;
}

static void mode_names_cover_linux_6_12(void **state)
{
    (void)state;
    const struct { int mode; const char *name; } cases[] = {
        {MPOL_DEFAULT, "default"}, {MPOL_PREFERRED, "preferred"}, {MPOL_BIND, "bind"},
        {MPOL_INTERLEAVE, "interleave"}, {MPOL_LOCAL, "local"}, {MPOL_PREFERRED_MANY, "preferred_many"},
        {T_WEIGHTED_INTERLEAVE, "weighted_interleave"},
        {MPOL_BIND | T_F_NUMA_BALANCING, "bind"},
        {MPOL_PREFERRED | T_F_STATIC_NODES, "preferred"},
        {T_WEIGHTED_INTERLEAVE | T_F_RELATIVE_NODES, "weighted_interleave"},
        {MPOL_INTERLEAVE | T_F_STATIC_NODES | T_F_NUMA_BALANCING, "interleave"},
        {7, "unknown"}, {MPOL_BIND | (1 << 12), "unknown"}, {-1, "unknown"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(cdn_policy_mode_name(cases[i].mode), cases[i].name) != 0)
            fail_msg("mode %#x: \"%s\", want \"%s\"", (unsigned)cases[i].mode,
                     cdn_policy_mode_name(cases[i].mode), cases[i].name);
}

static void one_helper_splits_mode_and_flags(void **state)
{
    (void)state;
    assert_int_equal(cdn_policy_mode_base(MPOL_BIND | T_F_NUMA_BALANCING), MPOL_BIND);
    assert_int_equal(cdn_policy_mode_base(T_WEIGHTED_INTERLEAVE | T_F_STATIC_NODES), T_WEIGHTED_INTERLEAVE);
    struct cdn_proc_policy p = {.mode = MPOL_BIND | T_F_NUMA_BALANCING | T_F_STATIC_NODES, .nodes = 0x2,
                            .mems_allowed = 0x7};
    json_t *j = cdn_policy_to_json(&p);
    assert_non_null(j);
    char *text = json_dumps(json_object_get(j, "policy_flags"), JSON_COMPACT);
    assert_string_equal(text, "[\"static_nodes\",\"numa_balancing\"]");
    free(text);
    json_decref(j);
}

/* Mode flags (get_mempolicy reports them with the mode) must not hide the policy's nodes. */
static void target_nodes_ignore_mode_flags(void **state)
{
    (void)state;
    struct cdn_proc_policy p = {.mode = MPOL_BIND | T_F_NUMA_BALANCING, .nodes = 0x2, .mems_allowed = 0x7};
    assert_int_equal(cdn_policy_target_nodes(&p), 0x2);
    p.mode = T_WEIGHTED_INTERLEAVE;
    p.nodes = 0x3;
    assert_int_equal(cdn_policy_target_nodes(&p), 0x3);
    p.mode = MPOL_PREFERRED | T_F_STATIC_NODES;
    p.nodes = 0x4;
    assert_int_equal(cdn_policy_target_nodes(&p), 0x4);
    p.mode = MPOL_DEFAULT;
    assert_int_equal(cdn_policy_target_nodes(&p), 0x7);
}

/* A kernel built for 1024 possible nodes, of which 200 exist: a 65-bit mask is EINVAL there. */
static void policy_mask_sized_from_possible_nodes(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    fake = (struct fake_kernel){.active = 1, .possible = 1024, .nr_node_ids = 200, .mode = MPOL_BIND,
                                .node = 2};
    struct cdn_proc_policy p;
    if (cdn_policy_read("/proc/self/status", &p, err) != 0)
        fail_msg("cdn_policy_read: %s (maxnode %lu)", err, fake.seen_maxnode);
    assert_int_equal(fake.seen_maxnode, 1025);
    assert_string_equal(p.mode_name, "bind");
    assert_int_equal(p.nodes, 0x4);
}

/* A policy node the 64-bit node sets cannot hold is an error, never silently dropped. */
static void policy_node_above_63_is_an_error(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    fake = (struct fake_kernel){.active = 1, .possible = 1024, .nr_node_ids = 200, .mode = MPOL_BIND,
                                .node = 130};
    struct cdn_proc_policy p;
    assert_int_equal(cdn_policy_read("/proc/self/status", &p, err), -1);
    assert_non_null(strstr(err, "node 130"));
}

static void mbind_mask_sized_from_possible_nodes(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    fake = (struct fake_kernel){.active = 1, .possible = 1024, .nr_node_ids = 200};
    if (cdn_policy_mbind(p, page, MPOL_BIND, 0x5, 0, err) != 0)
        fail_msg("cdn_policy_mbind: %s (maxnode %lu)", err, fake.seen_maxnode);
    assert_int_equal(fake.seen_maxnode, 1025);
    assert_int_equal(fake.seen_nodes, 0x5);
    assert_int_equal(fake.seen_high_node, -1);
    fake.refuse = EPERM;
    assert_int_equal(cdn_policy_mbind(p, page, MPOL_BIND, 0x1, 0, err), -1);
    assert_string_equal(err, "mbind: Operation not permitted");
    munmap(p, page);
}

/* Docker's default seccomp profile without CAP_SYS_NICE refuses get_mempolicy: the policy is
 * "unknown" with the reason, and the rest of what cdn_policy_read gives is still there. */
static void refused_get_mempolicy_gives_unknown_with_reason(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    fake = (struct fake_kernel){.active = 1, .refuse = EPERM};
    struct cdn_proc_policy p;
    if (cdn_policy_read("/proc/self/status", &p, err) != 0)
        fail_msg("cdn_policy_read: %s", err);
    assert_string_equal(p.mode_name, "unknown");
    assert_non_null(strstr(p.reason, "get_mempolicy: Operation not permitted"));
    assert_non_null(strstr(p.reason, "CAP_SYS_NICE"));
    assert_true(p.mems_allowed != 0);
    assert_true(cdn_cpuset_count(&p.cpus_allowed) > 0);
    assert_int_equal(cdn_policy_target_nodes(&p), p.mems_allowed);
    json_t *j = cdn_policy_to_json(&p);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "policy")), "unknown");
    assert_true(json_is_null(json_object_get(j, "policy_nodes")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "policy_reason")), "CAP_SYS_NICE"));
    json_decref(j);
    assert_int_equal(cdn_policy_numa_available(err), 0);   /* refused is not absent */
    fake.refuse = ENOSYS;
    assert_int_equal(cdn_policy_numa_available(err), -1);
    assert_non_null(strstr(err, "Function not implemented"));
    assert_int_equal(cdn_policy_read("/proc/self/status", &p, err), -1);
}

/* The real kernel, unfaked: the reason is empty and the answer says so. */
static void real_policy_reads_back(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    struct cdn_proc_policy p;
    if (cdn_policy_numa_available(err) != 0)
        skip();
    assert_int_equal(cdn_policy_read("/proc/self/status", &p, err), 0);
    if (p.reason[0])   /* a seccomp profile refuses get_mempolicy here */
        assert_string_equal(p.mode_name, "unknown");
    else
        assert_string_not_equal(p.mode_name, "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(mode_names_cover_linux_6_12, reset),
        cmocka_unit_test_setup(one_helper_splits_mode_and_flags, reset),
        cmocka_unit_test_setup(target_nodes_ignore_mode_flags, reset),
        cmocka_unit_test_setup(policy_mask_sized_from_possible_nodes, reset),
        cmocka_unit_test_setup(policy_node_above_63_is_an_error, reset),
        cmocka_unit_test_setup(mbind_mask_sized_from_possible_nodes, reset),
        cmocka_unit_test_setup(refused_get_mempolicy_gives_unknown_with_reason, reset),
        cmocka_unit_test_setup(real_policy_reads_back, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
