/* test_placement_fallback.c: cdn_place_query when move_pages is refused with EPERM, as Docker's
 * default seccomp profile does: it must fall back to per-page get_mempolicy, say why, and
 * still count every page. Linked with -Wl,--wrap=move_pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"

#include <errno.h>
#include <stdlib.h>
#include <numaif.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

long __wrap_move_pages(int pid, unsigned long count, void **pages, const int *nodes, int *status, int flags);
long __wrap_move_pages(int pid, unsigned long count, void **pages, const int *nodes, int *status, int flags)
{
    (void)pid; (void)count; (void)pages; (void)nodes; (void)status; (void)flags;
    errno = mock_type(int);
    return -1;
}

/* len bytes between two PROT_NONE guard pages, so the kernel cannot merge the buffer's
 * mapping with a neighbour and numa_maps describes exactly this buffer. */
static char *guarded_buffer(size_t len)
{
    size_t page = cdn_place_page_size();
    char *g = mmap(NULL, len + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g != MAP_FAILED);
    assert_int_equal(mprotect(g + page, len, PROT_READ | PROT_WRITE), 0);
    return g + page;
}

/* Without CAP_SYS_NICE a container's seccomp profile refuses get_mempolicy too: then the
 * fallback goes one step further, to numa_maps, and says why for both. */
static bool get_mempolicy_allowed(void)
{
    int mode;
    return get_mempolicy(&mode, NULL, 0, NULL, 0) == 0;
}

static void falls_back_when_move_pages_is_refused(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    size_t page = cdn_place_page_size(), len = 16 * page;
    char *p = guarded_buffer(len);
    memset(p, 1, len);
    struct cdn_place_range r = {p, len};
    struct cdn_place_result res;
    will_return(__wrap_move_pages, EPERM);
    assert_int_equal(cdn_place_query(&r, 1, &res, err), 0);
    if (get_mempolicy_allowed()) {
        assert_int_equal(res.source, CDN_PLACE_GET_MEMPOLICY);
        assert_string_equal(res.fallback_reason, "move_pages: Operation not permitted");
    } else {
        assert_int_equal(res.source, CDN_PLACE_NUMA_MAPS);
        assert_string_equal(res.fallback_reason, "move_pages: Operation not permitted; "
                            "get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR): Operation not permitted");
    }
    int64_t present = 0;
    for (int n = 0; n < CDN_MAX_NODES; n++)
        present += res.per_node[n];
    assert_int_equal(present, 16);
    assert_int_equal(res.not_present, 0);
    json_t *j = cdn_place_to_json(&res, res.per_node[0] ? 1 : 0);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "source")), cdn_place_source_name(res.source));
    json_decref(j);
    assert_true(res.exact);
    munmap(p - page, len + 2 * page);
}

static void move_pages_only_reports_the_error(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    size_t page = cdn_place_page_size();
    char *p = guarded_buffer(page);
    struct cdn_place_range r = {p, page};
    struct cdn_place_result res;
    will_return(__wrap_move_pages, ENOSYS);
    assert_int_equal(cdn_place_query_with(CDN_PLACE_MOVE_PAGES, &r, 1, &res, err), -1);
    assert_string_equal(err, "move_pages: Function not implemented");
    munmap(p - page, 3 * page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(falls_back_when_move_pages_is_refused),
        cmocka_unit_test(move_pages_only_reports_the_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
