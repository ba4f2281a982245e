/* test_exp_stages.c: the tiered-memory stages against this machine's kernel, on small touched
 * buffers: the pointer chase is one cycle through every line, the streams cover every byte,
 * migrate_to the node the pages are on moves none and fails none, and a resampled hold gives one
 * sample per period with every page counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exp.h"

#include <numa.h>
#include <string.h>
#include <sys/mman.h>

#define LEN ((size_t)4 << 20)

static int setup(void **state)
{
    char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    memset(p, 1, LEN);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    return munmap(*state, LEN);
}

static void chase_is_one_cycle_over_every_line(void **state)
{
    char err[CDN_ERR_LEN];
    struct cdn_place_range r[2] = {{*state, LEN / 2}, {(char *)*state + LEN / 2, LEN / 2}};
    struct exp_measure m;
    assert_int_equal(exp_measure_ranges(r, 2, EXP_MEASURE_LATENCY, -1, &m, err), 0);
    assert_true(m.latency);
    assert_false(m.bandwidth);
    assert_int_equal(m.lines, LEN / 64);
    assert_int_equal(m.loads, LEN / 64);
    assert_true(m.ns_per_load > 0);
    assert_int_equal(m.buffer_bytes, LEN);
    /* The lines now hold the cycle: from line 0 it comes back after exactly every line. */
    void **start = *state, **p = start;
    int64_t steps = 0;
    do {
        assert_true((char *)p >= (char *)*state && (char *)p < (char *)*state + LEN);
        assert_int_equal(((uintptr_t)p - (uintptr_t)*state) % 64, 0);
        p = (void **)*p;
        steps++;
    } while (p != start && steps <= (int64_t)(LEN / 64));
    assert_int_equal(steps, LEN / 64);
}

static void streams_cover_every_byte(void **state)
{
    char err[CDN_ERR_LEN];
    struct cdn_place_range r = {*state, LEN};
    struct exp_measure m;
    assert_int_equal(exp_measure_ranges(&r, 1, EXP_MEASURE_BANDWIDTH, -1, &m, err), 0);
    assert_true(m.bandwidth);
    assert_true(m.read_mib_s > 0 && m.write_mib_s > 0);
    /* The write stream stored its range's byte (range 0: 0) everywhere. */
    const char *p = *state;
    assert_int_equal(p[0], 0);
    assert_int_equal(p[LEN - 1], 0);
    struct cdn_place_range tiny = {*state, 64};
    assert_int_equal(exp_measure_ranges(&tiny, 1, EXP_MEASURE_LATENCY, -1, &m, err), -1);
    assert_non_null(strstr(err, "too small"));
}

static void migrate_to_the_same_node_moves_nothing(void **state)
{
    char err[CDN_ERR_LEN];
    struct cdn_place_range r = {*state, LEN};
    struct cdn_place_result before;
    assert_int_equal(cdn_place_query(&r, 1, &before, err), 0);
    int node = -1;
    for (int k = 0; k < CDN_MAX_NODES && node < 0; k++)
        if (before.per_node[k] == (int64_t)(LEN / 4096))
            node = k;
    if (node < 0)
        skip();     /* the buffer spans nodes on this machine */
    struct exp_migration mig;
    int rc = exp_migrate(&r, 1, node, before.per_node[node], &mig, err);
    if (rc != 0 && strstr(err, "Operation not permitted"))
        skip();     /* a container's seccomp profile (an image build) refuses move_pages and mbind */
    if (rc != 0)
        fail_msg("exp_migrate: %d %s", rc, err);
    assert_true(mig.done);
    assert_int_equal(mig.pages, LEN / 4096);
    assert_int_equal(mig.moved, 0);
    assert_int_equal(mig.failed, 0);
    assert_int_equal(mig.already, LEN / 4096);
    assert_int_equal(mig.after.per_node[node], LEN / 4096);
}

static void resampled_hold_counts_every_page(void **state)
{
    char err[CDN_ERR_LEN];
    struct cdn_place_range r = {*state, LEN};
    struct exp_resample rs;
    double t = cdn_now();
    assert_int_equal(exp_resample_hold(&r, 1, 100, 20, &rs, err), 0);
    assert_true(cdn_now() - t >= 0.1);
    assert_true(rs.done);
    /* How many slots a loaded machine lets the loop take varies; the first is always taken. */
    assert_true(rs.n >= 1 && rs.n <= 6);
    for (int i = 0; i < rs.n; i++) {
        int64_t sum = rs.samples[i].not_present;
        for (int k = 0; k < CDN_MAX_NODES; k++)
            sum += rs.samples[i].per_node[k];
        assert_int_equal(sum, LEN / 4096);
        assert_int_equal(rs.samples[i].not_present, 0);
        if (i > 0)
            assert_true(rs.samples[i].t_ms > rs.samples[i - 1].t_ms);
    }
    assert_int_equal(rs.start.n, rs.end.n);
    exp_resample_free(&rs);
    assert_null(rs.samples);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(chase_is_one_cycle_over_every_line, setup, teardown),
        cmocka_unit_test_setup_teardown(streams_cover_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(migrate_to_the_same_node_moves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(resampled_hold_counts_every_page, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
