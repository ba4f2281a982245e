/* test_handler.c: cmocka tests of the function's handler, called as the runtime calls it. The
 * image's build stage runs them (make unit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"

#include <stdlib.h>
#include <string.h>

static int call(const char *method, const char *path, const struct fn_pair *query, size_t n_query,
                const char *body, struct fn_response *res, char err[CDN_ERR_LEN])
{
    struct fn_request req = {.method = method, .path = path, .query = query, .n_query = n_query,
                             .body = body, .body_len = strlen(body)};
    memset(res, 0, sizeof *res);
    err[0] = '\0';
    return fn_handle(fn_init(err), &req, res, err);
}

static void text_route_greets(void **state)
{
    (void)state;
    struct fn_response res;
    char err[CDN_ERR_LEN];
    const struct fn_pair name = {"name", "numa"};
    assert_int_equal(call("GET", "/text", &name, 1, "", &res, err), 0);
    assert_string_equal(res.text, "Hello, numa\n");
    assert_int_equal(res.text_len, strlen("Hello, numa\n"));
    free(res.text);
}

static void echo_counts_the_body(void **state)
{
    (void)state;
    struct fn_response res;
    char err[CDN_ERR_LEN];
    assert_int_equal(call("POST", "/anything", NULL, 0, "abcdef", &res, err), 0);
    assert_int_equal(json_integer_value(json_object_get(res.json, "body_bytes")), 6);
    assert_string_equal(json_string_value(json_object_get(res.json, "path")), "/anything");
    json_decref(res.json);
}

static void other_methods_get_405(void **state)
{
    (void)state;
    struct fn_response res;
    char err[CDN_ERR_LEN];
    assert_int_equal(call("DELETE", "/text", NULL, 0, "", &res, err), 405);
    assert_non_null(strstr(err, "DELETE not allowed"));
    assert_null(res.json);
    assert_null(res.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_route_greets),
        cmocka_unit_test(echo_counts_the_body),
        cmocka_unit_test(other_methods_get_405),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
