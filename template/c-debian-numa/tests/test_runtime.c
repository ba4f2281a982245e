/* test_runtime.c: unit tests for the runtime's pure pieces: the request lookups a handler makes
 * (headers, query arguments, method), error rendering, the response built from a handler's outcome,
 * and the nodes a policy targets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <numaif.h>
#include <stdlib.h>
#include <string.h>

static const struct fn_pair query[] = {{"iterations", "64"}, {"flag", NULL}, {"iterations", "8"}};
static const struct fn_pair headers[] = {{"Content-Type", "application/json"}, {"X-Call-Id", "abc"}};
static const struct fn_request request = {
    .method = "POST", .path = "/x", .query = query, .n_query = 3,
    .headers = headers, .n_headers = 2, .body = "", .body_len = 0,
};

static void request_lookups(void **state)
{
    (void)state;
    assert_string_equal(fn_header(&request, "content-type"), "application/json");
    assert_string_equal(fn_header(&request, "X-CALL-ID"), "abc");
    assert_null(fn_header(&request, "Accept"));
    assert_string_equal(fn_query(&request, "iterations"), "64");   /* the first value wins */
    assert_string_equal(fn_query(&request, "flag"), "");           /* a key without '=' */
    assert_null(fn_query(&request, "Iterations"));                 /* query keys are case-sensitive */
    assert_true(fn_is_method(&request, "POST"));
    assert_false(fn_is_method(&request, "post"));
}

static void error_rendering(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = cdn_render_error("bad \x01value\xff", &len);
    assert_non_null(text);
    assert_string_equal(text, "{\"error\":\"bad ?value?\"}");
    assert_int_equal(len, strlen(text));
    free(text);
    text = cdn_render_error("", &len);
    assert_string_equal(text, "{\"error\":\"unknown error\"}");
    free(text);
    text = cdn_render_error(NULL, &len);
    assert_string_equal(text, "{\"error\":\"unknown error\"}");
    free(text);
}

static void response_from_json(void **state)
{
    (void)state;
    struct fn_response res = {.json = json_pack("{s:i}", "a", 1)};
    struct cdn_resp_out out;
    assert_int_equal(cdn_resp_build(0, &res, "", &out), 0);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.content_type, "application/json");
    assert_int_equal(out.len, strlen("{\"a\":1}"));
    assert_memory_equal(out.body, "{\"a\":1}", out.len);
    assert_null(res.json);
    free(out.body);
    res = (struct fn_response){.status = 201, .json = json_string("x"), .content_type = "application/x"};
    assert_int_equal(cdn_resp_build(0, &res, "", &out), 0);
    assert_int_equal(out.status, 201);
    assert_string_equal(out.content_type, "application/x");
    free(out.body);
}

static void response_from_text(void **state)
{
    (void)state;
    struct fn_response res = {.text = strdup("hi\n"), .text_len = 3};
    struct cdn_resp_out out;
    assert_int_equal(cdn_resp_build(0, &res, "", &out), 0);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.content_type, "text/plain");
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.body, "hi\n", 3);
    assert_null(res.text);
    free(out.body);
    res = (struct fn_response){.status = 204};
    assert_int_equal(cdn_resp_build(0, &res, "", &out), 0);
    assert_int_equal(out.status, 204);
    assert_int_equal(out.len, 0);
    free(out.body);
}

static void response_from_errors(void **state)
{
    (void)state;
    struct fn_response res = {.json = json_string("dropped")};
    struct cdn_resp_out out;
    assert_int_equal(cdn_resp_build(422, &res, "does not fit", &out), 0);
    assert_int_equal(out.status, 422);
    assert_string_equal(out.content_type, "application/json");
    assert_string_equal(out.body, "{\"error\":\"does not fit\"}");
    assert_null(res.json);
    free(out.body);
    res = (struct fn_response){0};
    assert_int_equal(cdn_resp_build(42, &res, "", &out), 0);          /* not an HTTP error status */
    assert_int_equal(out.status, 500);
    assert_string_equal(out.body, "{\"error\":\"handler failed\"}");
    free(out.body);
    res = (struct fn_response){.status = 1000, .text = strdup("x"), .text_len = 1};
    assert_int_equal(cdn_resp_build(0, &res, "", &out), 0);
    assert_int_equal(out.status, 500);
    assert_non_null(strstr(out.body, "invalid HTTP status"));
    free(out.body);
}

static void policy_targets(void **state)
{
    (void)state;
    struct cdn_proc_policy p = {.mode = MPOL_BIND, .nodes = 0x6, .mems_allowed = 0x7};
    assert_int_equal(cdn_policy_target_nodes(&p), 0x6);
    p.mems_allowed = 0x3;                      /* the cpuset narrows the policy */
    assert_int_equal(cdn_policy_target_nodes(&p), 0x2);
    p = (struct cdn_proc_policy){.mode = MPOL_INTERLEAVE, .nodes = 0x5, .mems_allowed = 0};
    assert_int_equal(cdn_policy_target_nodes(&p), 0x5);
    p = (struct cdn_proc_policy){.mode = MPOL_PREFERRED, .nodes = 0x4, .mems_allowed = 0x7};
    assert_int_equal(cdn_policy_target_nodes(&p), 0x4);
    p = (struct cdn_proc_policy){.mode = MPOL_DEFAULT, .nodes = 0, .mems_allowed = 0x7};
    assert_int_equal(cdn_policy_target_nodes(&p), 0x7);   /* no policy: every allowed node */
    p = (struct cdn_proc_policy){.mode = MPOL_BIND | (1 << 15) /* MPOL_F_STATIC_NODES */, .nodes = 0x2, .mems_allowed = 0x3};
    assert_int_equal(cdn_policy_target_nodes(&p), 0x2);   /* mode flags do not hide the mode */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_lookups),
        cmocka_unit_test(error_rendering),
        cmocka_unit_test(response_from_json),
        cmocka_unit_test(response_from_text),
        cmocka_unit_test(response_from_errors),
        cmocka_unit_test(policy_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
