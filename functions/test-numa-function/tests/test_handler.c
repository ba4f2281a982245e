/* test_handler.c: test-numa-function's routes, called as the runtime calls fn_handle: the
 * topology answer, the 405s and the 404, and a small experiment end to end. Its name matches the
 * template's sample test, which faas-cli build would otherwise bring back into this function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exp.h"

#include <string.h>

static int setup(void **state)
{
    char err[CDN_ERR_LEN];
    *state = fn_init(err);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    fn_fini(*state);
    return 0;
}

static int call(void *st, const char *method, const char *path, const struct fn_pair *q, size_t nq,
                struct fn_response *res, char err[CDN_ERR_LEN])
{
    struct fn_request req = {.method = method, .path = path, .query = q, .n_query = nq, .body = ""};
    memset(res, 0, sizeof *res);
    err[0] = '\0';
    return fn_handle(st, &req, res, err);
}

static void topology_answers_the_nodes(void **state)
{
    struct fn_response res;
    char err[CDN_ERR_LEN];
    assert_int_equal(call(*state, "GET", "/topology", NULL, 0, &res, err), 0);
    assert_true(json_array_size(json_object_get(res.json, "nodes")) >= 1);
    assert_true(json_is_array(json_object_get(res.json, "node_ids")));
    json_decref(res.json);
}

static void wrong_methods_and_paths(void **state)
{
    struct fn_response res;
    char err[CDN_ERR_LEN];
    assert_int_equal(call(*state, "POST", "/topology", NULL, 0, &res, err), 405);
    assert_non_null(strstr(err, "use GET"));
    assert_int_equal(call(*state, "DELETE", "/", NULL, 0, &res, err), 405);
    assert_non_null(strstr(err, "use GET or POST"));
    assert_int_equal(call(*state, "GET", "/nowhere", NULL, 0, &res, err), 404);
    assert_non_null(strstr(err, "no such path"));
    assert_null(res.json);
}

static void small_experiment_places_every_page(void **state)
{
    struct fn_response res;
    char err[CDN_ERR_LEN];
    const struct fn_pair q[] = {{"iterations", "2"}};
    int rc = call(*state, "POST", "/", q, 1, &res, err);
    if (rc != 0)
        fail_msg("experiment: %d %s", rc, err);
    json_t *pl = json_object_get(res.json, "placement");
    assert_int_equal(json_integer_value(json_object_get(res.json, "bytes")), 4 * EXP_MIB);
    assert_int_equal(json_integer_value(json_object_get(pl, "pages")) * json_integer_value(json_object_get(pl, "page_size")),
                     4 * EXP_MIB);
    assert_int_equal(json_integer_value(json_object_get(pl, "not_present")), 0);
    json_decref(res.json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(topology_answers_the_nodes),
        cmocka_unit_test(wrong_methods_and_paths),
        cmocka_unit_test(small_experiment_places_every_page),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
