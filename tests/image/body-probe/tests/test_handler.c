/* test_handler.c: body-probe's unit tests, run by the image's build stage (make unit): the
 * FNV-1a vectors, the answer's fields for a chunked request, and the 405 for a GET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"
#include "probe.h"

#include <numaif.h>
#include <string.h>

static void probe_fnv1a64_known_vectors(void **state)
{
    (void)state;
    assert_true(probe_fnv1a64("", 0) == UINT64_C(0xcbf29ce484222325));
    assert_true(probe_fnv1a64("a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(probe_fnv1a64("foobar", 6) == UINT64_C(0x85944171f73967e8));
}

static void probe_answer_reports_body_and_policy(void **state)
{
    (void)state;
    const struct fn_pair headers[] = {{"Transfer-Encoding", "chunked"}, {"Host", "x"}};
    const struct fn_request req = {.method = "POST", .path = "/", .headers = headers,
                                   .n_headers = 2, .body = "foobar", .body_len = 6};
    struct cdn_proc_policy pol = {.mode = MPOL_BIND, .mode_name = "bind", .nodes = 1,
                              .mems_allowed = 1, .mems_allowed_list = "0", .cpu = 1, .cpu_node = 0};
    char err[CDN_ERR_LEN];
    assert_int_equal(cdn_cpuset_parse("0-1", &pol.cpus_allowed, err), 0);
    json_t *a = probe_answer(&req, &pol);
    assert_non_null(a);
    assert_int_equal(json_integer_value(json_object_get(a, "body_bytes")), 6);
    assert_string_equal(json_string_value(json_object_get(a, "body_fnv1a64")), "85944171f73967e8");
    assert_string_equal(json_string_value(json_object_get(a, "transfer_encoding")), "chunked");
    assert_true(json_is_null(json_object_get(a, "content_length")));
    json_t *p = json_object_get(a, "process");
    assert_string_equal(json_string_value(json_object_get(p, "policy")), "bind");
    assert_int_equal(json_array_size(json_object_get(p, "policy_nodes")), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(p, "policy_nodes"), 0)), 0);
    json_decref(a);
}

static void fn_handle_refuses_get(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    const struct fn_request req = {.method = "GET", .path = "/", .body = "", .body_len = 0};
    struct fn_response res = {0};
    void *st = fn_init(err);
    assert_non_null(st);
    assert_int_equal(fn_handle(st, &req, &res, err), 405);
    assert_string_equal(err, "GET: only POST is served");
    assert_null(res.json);
    fn_fini(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(probe_fnv1a64_known_vectors),
        cmocka_unit_test(probe_answer_reports_body_and_policy),
        cmocka_unit_test(fn_handle_refuses_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
