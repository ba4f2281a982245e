/* test_cpulist.c: unit tests for CPU lists of any length: cdn_cpuset parse/format/count, the
 * topology's nodeN/cpulist and /proc/self/status's Cpus_allowed_list from fixtures far longer
 * than any fixed buffer (tests/fixtures/sys_long, status_long), and small kernel files that do
 * not fit their buffer (an error, never a value cut short). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fixture file's text without its trailing newline (malloc'd). */
static char *fixture_text(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, rel);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = NULL;
    size_t cap = 0;
    assert_true(getline(&text, &cap, f) > 0);
    fclose(f);
    text[strcspn(text, "\n")] = '\0';
    return text;
}

static void parse_format_count(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    cdn_cpuset s;
    assert_int_equal(cdn_cpuset_parse("0-3,8,10-11\n", &s, err), 0);
    assert_int_equal(cdn_cpuset_count(&s), 7);
    assert_true(cdn_cpuset_has(&s, 8));
    assert_false(cdn_cpuset_has(&s, 9));
    char *text = cdn_cpuset_format(&s);
    assert_string_equal(text, "0-3,8,10-11");
    free(text);
    assert_int_equal(cdn_cpuset_parse("8191", &s, err), 0);
    assert_true(cdn_cpuset_has(&s, CDN_MAX_CPUS - 1));
    assert_int_equal(cdn_cpuset_parse("", &s, err), 0);
    assert_int_equal(cdn_cpuset_count(&s), 0);
    text = cdn_cpuset_format(&s);
    assert_string_equal(text, "");
    free(text);
}

static void parse_refuses_what_is_not_a_cpulist(void **state)
{
    (void)state;
    static const struct { const char *text, *why; } bad[] = {
        {"8192", "above the largest id Linux allows (8191)"},
        {"0-9000", "above the largest id"},
        {"3-1", "malformed"}, {"1,,2", "malformed"}, {"-1", "malformed"}, {"a", "malformed"},
        {"1,", "unexpected ','"}, {"1 2", "unexpected ' '"}, {"0x10", "unexpected 'x'"},
        {"0-3\n4", "more than one line"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[CDN_ERR_LEN] = "";
        cdn_cpuset s;
        assert_int_equal(cdn_cpuset_parse(bad[i].text, &s, err), -1);
        if (!strstr(err, bad[i].why))
            fail_msg("\"%s\": \"%s\" does not say \"%s\"", bad[i].text, err, bad[i].why);
    }
}

/* nodeN/cpulist of ~9.7 KB each, with ids up to 8191: every CPU counted, printed back whole. */
static void topology_keeps_long_cpulists_whole(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct cdn_topo_snapshot t;
    assert_int_equal(cdn_topo_read(FIXTURES "/sys_long", &t, err), 0);
    assert_int_equal(t.n_nodes, 2);
    assert_int_equal(t.nodes[0].n_cpus, 2048);
    assert_int_equal(t.nodes[1].n_cpus, 2048 + 3192);
    assert_true(cdn_cpuset_has(&t.nodes[0].cpus, 4094));
    assert_true(cdn_cpuset_has(&t.nodes[1].cpus, 8191));
    json_t *j = cdn_topo_to_json(&t);
    assert_non_null(j);
    for (int n = 0; n < 2; n++) {
        char rel[128];
        snprintf(rel, sizeof rel, "sys_long/devices/system/node/node%d/cpulist", n);
        char *want = fixture_text(rel);
        json_t *node = json_array_get(json_object_get(j, "nodes"), (size_t)n);
        assert_string_equal(json_string_value(json_object_get(node, "cpus")), want);
        free(want);
    }
    json_decref(j);
    cdn_topo_free(&t);
}

/* A 13 KB Cpus_allowed_list line (2731 CPUs up to 8190): read whole, not as 4 KiB pieces. */
static void status_keeps_a_long_cpus_allowed_list_whole(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct cdn_proc_policy p;
    memset(&p, 0, sizeof p);
    assert_int_equal(cdn_policy_read_status(FIXTURES "/status_long", &p, err), 0);
    assert_int_equal(cdn_cpuset_count(&p.cpus_allowed), 2731);
    assert_true(cdn_cpuset_has(&p.cpus_allowed, 8190));
    assert_int_equal(p.mems_allowed, 0x3);
    assert_string_equal(p.mems_allowed_list, "0-1");
    char *text = cdn_cpuset_format(&p.cpus_allowed);
    FILE *f = fopen(FIXTURES "/status_long", "r");
    assert_non_null(f);
    char *l = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&l, &cap, f) > 0)
        found = strncmp(l, "Cpus_allowed_list:\t", 19) == 0;
    fclose(f);
    assert_true(found);
    l[strcspn(l, "\n")] = '\0';
    assert_string_equal(text, l + 19);
    free(l);
    free(text);
    assert_int_equal(cdn_policy_read_status(FIXTURES "/zoneinfo", &p, err), -1);
    assert_non_null(strstr(err, "no Mems_allowed_list line"));
}

/* A small kernel file longer than the buffer it is read into is an error, never cut short. */
static void small_file_longer_than_its_buffer(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN], buf[16];
    assert_int_equal(cdn_read_small_file(FIXTURES "/sys_long/devices/system/node/node0/cpulist",
                                         buf, sizeof buf, err), -1);
    assert_non_null(strstr(err, "longer than 15 bytes"));
    char exact[5]; /* "0-1\n" is 4 bytes: it fits with the NUL */
    assert_int_equal(cdn_read_small_file(FIXTURES "/sys_long/devices/system/node/possible",
                                         exact, sizeof exact, err), 0);
    assert_string_equal(exact, "0-1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_format_count),
        cmocka_unit_test(parse_refuses_what_is_not_a_cpulist),
        cmocka_unit_test(topology_keeps_long_cpulists_whole),
        cmocka_unit_test(status_keeps_a_long_cpus_allowed_list_whole),
        cmocka_unit_test(small_file_longer_than_its_buffer),
    };
    return cmocka_run_group_tests_name("cpulist", tests, NULL, NULL);
}
