/* exp_fixture.h: what the parse and plan tests share (test_exp.c, test_exp_tier.c): a request made
 * of a query and a body, a table of refused inputs checked in one loop, the emulated 3-node machine
 * as a world, and the limits. Test code only: every definition is static, one copy per test program. */
#ifndef CDN_EXP_FIXTURE_H
#define CDN_EXP_FIXTURE_H

#include <string.h>

static inline struct fn_request request(const struct fn_pair *q, size_t nq, const char *body)
{
    return (struct fn_request){.method = "POST", .path = "/", .query = q, .n_query = nq,
                               .body = body, .body_len = strlen(body)};
}

/* A query of one pair (qk NULL: none) and a body that parsing must refuse (400) with text. */
struct refusal {
    const char *qk, *qv, *body, *text;
};
static inline void expect_refusals(const struct refusal *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char err[CDN_ERR_LEN] = "";
        struct exp_params p;
        struct fn_pair q = {cases[i].qk, cases[i].qv};
        struct fn_request r = request(&q, cases[i].qk ? 1 : 0, cases[i].body);
        assert_int_equal(exp_params_parse(&r, &p, err), 400);
        if (!strstr(err, cases[i].text))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].text);
    }
}

/* A 3-node machine like the emulated one: node 2 memory-only; 1 GiB free on each; no cgroup limit. */
static inline struct exp_world world3(int mode, cdn_nodeset policy_nodes, cdn_nodeset allowed)
{
    struct exp_world w;
    memset(&w, 0, sizeof w);
    w.policy.mode = mode;
    w.policy.mode_name = cdn_policy_mode_name(mode);
    w.policy.nodes = policy_nodes;
    w.policy.mems_allowed = allowed;
    cdn_nodeset_format(allowed, w.policy.mems_allowed_list, sizeof w.policy.mems_allowed_list);
    w.mem.nodes = 0x7;
    for (int n = 0; n < 3; n++) {
        w.mem.mem_total[n] = 2048 * EXP_MIB;
        w.mem.mem_free[n] = 1024 * EXP_MIB;
    }
    w.cgroup.limit = -1;
    return w;
}

static const struct exp_limits limits = {
    .max_total_bytes = 4096 * EXP_MIB, .busy_wait_ms = 10, .reserve_bytes = 64 * EXP_MIB};

#endif
