/* test_exp_body.c: unit tests for the bytes of the experiment's JSON body: a raw NUL anywhere,
 * and every other byte the JSON grammar does not allow, is a 400; the bodies that JSON does
 * allow (whitespace around the object) are accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exp.h"

#include <stdio.h>
#include <string.h>

/* Parses a body of exactly len bytes (it may hold NULs). */
static int parse(const char *body, size_t len, struct exp_params *p, char err[CDN_ERR_LEN])
{
    struct fn_request r = {.method = "POST", .path = "/", .body = body, .body_len = len};
    err[0] = '\0';
    return exp_params_parse(&r, p, err);
}

static void raw_nul_anywhere_is_refused_by_offset(void **state)
{
    (void)state;
#define BODY(text) text, sizeof(text) - 1
    static const struct { const char *body; size_t len, offset; } cases[] = {
        {BODY("{\"iterations\":1}\0"), 16},                  /* after the value */
        {BODY("{\"iterations\":1}\n\0\n"), 17},              /* after the value and a newline */
        {BODY("{\"iterations\":1}\0{\"hold_ms\":1}"), 16},    /* smuggling a second value */
        {BODY("\0{\"iterations\":1}"), 0},                   /* before it */
        {BODY("{\"alloc\":\"mmap\0\"}"), 14},                /* inside a string */
        {BODY("{\"iter\0ations\":1}"), 6},                   /* inside a key */
        {BODY("{\"iterations\":\0 1}"), 14},                 /* between tokens */
        {BODY(" \0 "), 1},                                    /* among blanks: not an empty body */
        {BODY("\0"), 0},
    };
#undef BODY
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[CDN_ERR_LEN], want[64];
        struct exp_params p;
        assert_int_equal(parse(cases[i].body, cases[i].len, &p, err), 400);
        snprintf(want, sizeof want, "NUL byte at offset %zu", cases[i].offset);
        if (!strstr(err, want))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, want);
    }
}

/* Bytes other than NUL that JSON's grammar has no place for, in and around the object. */
static void other_bytes_outside_the_grammar_are_refused(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"iterations\":1}\x01",          /* a control character after the value */
        "\x0c{\"iterations\":1}",          /* form feed is not JSON whitespace */
        "{\"iterations\":1}\x0b",          /* nor is vertical tab */
        "\xef\xbb\xbf{\"iterations\":1}",  /* a byte order mark */
        "{\"alloc\":\"mm\x01" "ap\"}",     /* a raw control character in a string */
        "{\"alloc\":\"mm\xff" "ap\"}",     /* not UTF-8 */
        "{\"alloc\":\"mmap\\u0000\"}",     /* an escaped NUL (jansson without JSON_ALLOW_NUL) */
        "{\"iterations\":1} x",            /* text after the value */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char err[CDN_ERR_LEN];
        struct exp_params p;
        if (parse(bodies[i], strlen(bodies[i]), &p, err) != 400)
            fail_msg("body %zu accepted", i);
        assert_non_null(strstr(err, "malformed JSON body"));
    }
}

static void json_whitespace_is_accepted(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct exp_params p;
    const char *body = " \t\r\n{\"iterations\": 3}\r\n\t ";
    assert_int_equal(parse(body, strlen(body), &p, err), 0);
    assert_int_equal(p.iterations, 3);
    assert_int_equal(parse(" \n", 2, &p, err), 0);
    assert_int_equal(p.iterations, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raw_nul_anywhere_is_refused_by_offset),
        cmocka_unit_test(other_bytes_outside_the_grammar_are_refused),
        cmocka_unit_test(json_whitespace_is_accepted),
    };
    return cmocka_run_group_tests_name("exp_body", tests, NULL, NULL);
}
