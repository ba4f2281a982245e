/* test_placement_pages.c: page counts on a kernel whose base page is not 4 KiB (arm64 and
 * ppc64 kernels use 16 or 64 KiB): every count is in units of sysconf(_SC_PAGESIZE), and
 * numa_maps counts are scaled from each mapping's kernelpagesize_kB to that unit. Linked with
 * -Wl,--wrap=sysconf answering 16384 for _SC_PAGESIZE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FAKE_PAGE 16384L

long __real_sysconf(int name);
long __wrap_sysconf(int name);
long __wrap_sysconf(int name)
{
    return name == _SC_PAGESIZE ? FAKE_PAGE : __real_sysconf(name);
}

/* A 16 KiB-page machine: 64 base pages, and one 32 MiB hugetlbfs page (2048 base pages). */
static void numa_maps_counts_in_the_base_page_size(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    assert_int_equal(cdn_place_page_size(), FAKE_PAGE);
    FILE *f = fopen(FIXTURES "/numa_maps_16k", "r");
    assert_non_null(f);
    struct cdn_place_range r[] = {
        {(void *)0xffff80004000, 64 * FAKE_PAGE},
        {(void *)0xffff80200000, 32 << 20},
    };
    struct cdn_place_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(cdn_place_parse_numa_maps(f, r, 2, &res, err), 0);
    fclose(f);
    assert_int_equal(res.per_node[0], 64 + 2048);
    assert_true(res.exact);
}

static void pages_and_page_size_in_the_answer(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    /* an address range nothing is mapped at: no page present, the size still counted */
    struct cdn_place_range r = {(void *)0x10000000, 8 * FAKE_PAGE};
    struct cdn_place_result res;
    assert_int_equal(cdn_place_query_with(CDN_PLACE_NUMA_MAPS, &r, 1, &res, err), 0);
    assert_int_equal(res.pages, 8);
    assert_int_equal(res.not_present, 8);
    json_t *j = cdn_place_to_json(&res, 1);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "page_size")), FAKE_PAGE);
    assert_int_equal(json_integer_value(json_object_get(j, "pages")), 8);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numa_maps_counts_in_the_base_page_size),
        cmocka_unit_test(pages_and_page_size_in_the_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
