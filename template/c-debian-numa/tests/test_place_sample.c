/* test_place_sample.c: the cross-check's sample (which pages, the same for the same seed, inside
 * the ranges), the rule by which it agrees with numa_maps' counts (fixtures of both), smaps'
 * verdict on transparent huge pages (fixtures), one read of numa_maps shared by two counts, and
 * the per-page sources and the sample asking once per huge page (a real THP-backed buffer;
 * get_mempolicy calls and move_pages' pages are counted through -Wl,--wrap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler.h"
#include "internal.h"   /* the numa_maps and smaps parsers, for fixtures */

#include <errno.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static long get_mempolicy_calls;    /* counted by the wrapper */
long __real_get_mempolicy(int *mode, unsigned long *nmask, unsigned long maxnode, void *addr, unsigned flags);
long __wrap_get_mempolicy(int *mode, unsigned long *nmask, unsigned long maxnode, void *addr, unsigned flags);
long __wrap_get_mempolicy(int *mode, unsigned long *nmask, unsigned long maxnode, void *addr, unsigned flags)
{
    get_mempolicy_calls++;
    return __real_get_mempolicy(mode, nmask, maxnode, addr, flags);
}
static long move_pages_pages;       /* pages asked of move_pages, counted by the wrapper */
static int refuse_move_pages;       /* set: the wrapper answers EPERM, as a seccomp profile does */
long __real_move_pages(int pid, unsigned long count, void **pages, const int *nodes, int *status, int flags);
long __wrap_move_pages(int pid, unsigned long count, void **pages, const int *nodes, int *status, int flags);
long __wrap_move_pages(int pid, unsigned long count, void **pages, const int *nodes, int *status, int flags)
{
    if (refuse_move_pages) {
        errno = EPERM;
        return -1;
    }
    move_pages_pages += (long)count;
    return __real_move_pages(pid, count, pages, nodes, status, flags);
}

#define PAGE cdn_place_page_size()
#define BASE ((uintptr_t)1 << 40)   /* fake addresses: drawing a sample reads no memory */

/* 5 ranges of 1, 3, 0, 7 and 2 pages, the third empty, the last with a ragged end. */
static void five_ranges(struct cdn_place_range r[5])
{
    size_t pages[5] = {1, 3, 0, 7, 2};
    for (int i = 0; i < 5; i++) {
        r[i].addr = (void *)(BASE + (uintptr_t)i * 64 * PAGE);
        r[i].len = pages[i] * PAGE + (i == 4 ? PAGE / 2 : 0);
    }
}

static int range_of(const struct cdn_place_range r[5], const void *p)
{
    for (int i = 0; i < 5; i++) {
        uintptr_t lo = (uintptr_t)r[i].addr, hi = lo + r[i].len / PAGE * PAGE;
        if ((uintptr_t)p >= lo && (uintptr_t)p < hi && ((uintptr_t)p - lo) % PAGE == 0)
            return i;
    }
    return -1;
}

/* One page of each range that holds one, in order, then the random pages: every one a whole
 * page inside a range, and over 20000 draws every page of every range is drawn. */
static void sample_covers_every_chunk_and_stays_inside(void **state)
{
    (void)state;
    struct cdn_place_range r[5];
    struct cdn_place_sample s;
    char err[CDN_ERR_LEN];
    five_ranges(r);
    assert_int_equal(cdn_place_sample_make(r, 5, 20000, 7, &s, err), 0);
    assert_int_equal(s.per_range, 4);   /* the empty range has no page to give */
    assert_int_equal(s.random, 20000);
    assert_int_equal(s.seed, 7);
    int expect[4] = {0, 1, 3, 4};
    for (size_t i = 0; i < s.per_range; i++)
        assert_int_equal(range_of(r, s.pages[i]), expect[i]);
    int hits[5][8] = {{0}};
    for (size_t i = s.per_range; i < s.per_range + s.random; i++) {
        int k = range_of(r, s.pages[i]);
        assert_true(k >= 0);
        hits[k][((uintptr_t)s.pages[i] - (uintptr_t)r[k].addr) / PAGE]++;
    }
    size_t pages[5] = {1, 3, 0, 7, 2};
    for (int k = 0; k < 5; k++)
        for (size_t j = 0; j < pages[k]; j++)
            assert_true(hits[k][j] > 20000 / 13 / 2);   /* uniform: about 1538 each */
    cdn_place_sample_free(&s);
    assert_null(s.pages);
}

static void same_seed_same_pages(void **state)
{
    (void)state;
    struct cdn_place_range r[5];
    struct cdn_place_sample a, b, c;
    char err[CDN_ERR_LEN];
    five_ranges(r);
    assert_int_equal(cdn_place_sample_make(r, 5, 64, 12345, &a, err), 0);
    assert_int_equal(cdn_place_sample_make(r, 5, 64, 12345, &b, err), 0);
    assert_int_equal(cdn_place_sample_make(r, 5, 64, 12346, &c, err), 0);
    assert_memory_equal(a.pages, b.pages, (a.per_range + a.random) * sizeof *a.pages);
    assert_memory_not_equal(a.pages, c.pages, (a.per_range + a.random) * sizeof *a.pages);
    assert_true(a.digest == b.digest && a.digest != c.digest);
    for (int i = 0; i < 5; i++)     /* the same ranges elsewhere: other pages, the same digest */
        r[i].addr = (char *)r[i].addr + 4096 * PAGE;
    cdn_place_sample_free(&b);
    assert_int_equal(cdn_place_sample_make(r, 5, 64, 12345, &b, err), 0);
    assert_true(a.digest == b.digest && a.pages[0] != b.pages[0]);
    cdn_place_sample_free(&a);
    cdn_place_sample_free(&b);
    cdn_place_sample_free(&c);
}

static void sample_bounds(void **state)
{
    (void)state;
    struct cdn_place_range r[5], empty = {(void *)BASE, PAGE / 2};
    struct cdn_place_sample s;
    char err[CDN_ERR_LEN];
    five_ranges(r);
    assert_int_equal(cdn_place_sample_make(r, 5, CDN_PLACE_SAMPLE_MAX + 1, 1, &s, err), -1);
    assert_non_null(strstr(err, "at most 65536"));
    assert_null(s.pages);
    assert_int_equal(cdn_place_sample_make(&empty, 1, 10, 1, &s, err), -1);
    assert_non_null(strstr(err, "no page"));
    assert_int_equal(cdn_place_sample_make(r, 5, 0, 0, &s, err), 0);   /* seed 0 and no random pages */
    assert_int_equal(s.per_range + s.random, 4);
    cdn_place_sample_free(&s);
}

/* numa_maps' counts of a guarded arena (fixture numa_maps_guarded) against samples. */
static void agreement_rule(void **state)
{
    (void)state;
    struct cdn_place_result nm = {0}, smp = {0};
    nm.per_node[0] = 300;
    nm.per_node[1] = 212;
    smp.per_node[1] = 9;
    assert_true(cdn_place_sample_agrees(&nm, &smp));        /* a node numa_maps has pages on */
    smp.per_node[0] = 1;
    assert_true(cdn_place_sample_agrees(&nm, &smp));
    smp.per_node[2] = 1;
    assert_false(cdn_place_sample_agrees(&nm, &smp));       /* node 2 holds none in numa_maps */
    smp.per_node[2] = 0;
    smp.not_present = 1;
    assert_false(cdn_place_sample_agrees(&nm, &smp));       /* numa_maps says every page is present */
    nm.not_present = 10;
    assert_true(cdn_place_sample_agrees(&nm, &smp));
    struct cdn_place_result none = {0};
    assert_true(cdn_place_sample_agrees(&nm, &none));       /* an empty sample contradicts nothing */
}

/* The interleaved arena of fixture numa_maps_guarded (300 pages, 100 on each of nodes 0-2):
 * numa_maps counts it exactly, and samples are judged against those counts. */
static void agreement_with_a_numa_maps_fixture(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    FILE *f = fopen(FIXTURES "/numa_maps_guarded", "r");
    assert_non_null(f);
    struct cdn_place_range arena = {(void *)(uintptr_t)0x7f0001001000ull, 300 * 4096};
    struct cdn_place_result nm = {.pages = 300};
    assert_int_equal(cdn_place_parse_numa_maps(f, &arena, 1, &nm, err), 0);
    fclose(f);
    assert_true(nm.exact);
    assert_int_equal(nm.per_node[0] + nm.per_node[1] + nm.per_node[2], 300);
    struct cdn_place_result smp = {0};
    smp.per_node[0] = 1;
    smp.per_node[2] = 4;
    assert_true(cdn_place_sample_agrees(&nm, &smp));
    smp.per_node[3] = 1;
    assert_false(cdn_place_sample_agrees(&nm, &smp));
    smp.per_node[3] = 0;
    smp.not_present = 1;
    assert_false(cdn_place_sample_agrees(&nm, &smp));
}

/* One read of numa_maps serves two counts: each cdn_text_open starts from the beginning. An empty
 * file opens too (every page not present); a missing one is an error naming it. */
static void one_read_two_counts(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN];
    struct cdn_text t;
    struct cdn_place_range arena = {(void *)(uintptr_t)0x7f0001001000ull, 300 * 4096};
    assert_int_equal(cdn_text_read(FIXTURES "/numa_maps_guarded", &t, err), 0);
    for (int i = 0; i < 2; i++) {
        struct cdn_place_result res = {0};
        FILE *f = cdn_text_open(&t, err);
        assert_non_null(f);
        assert_int_equal(cdn_place_count_numa_maps(f, &arena, 1, &res, err), 0);
        fclose(f);
        assert_int_equal(res.pages, 300 * 4096 / (int64_t)PAGE);
        assert_int_equal(res.per_node[0] + res.per_node[1] + res.per_node[2], 300);
    }
    cdn_text_free(&t);
    assert_null(t.buf);
    assert_int_equal(cdn_text_read("/dev/null", &t, err), 0);
    assert_int_equal(t.len, 0);
    FILE *f = cdn_text_open(&t, err);
    assert_non_null(f);
    struct cdn_place_result none = {0};
    assert_int_equal(cdn_place_count_numa_maps(f, &arena, 1, &none, err), 0);
    fclose(f);
    assert_int_equal(none.not_present, none.pages);
    cdn_text_free(&t);
    assert_int_equal(cdn_text_read(FIXTURES "/no-such-file", &t, err), -1);
    assert_non_null(strstr(err, "no-such-file: No such file"));
    assert_null(cdn_text_open(&t, err));
}

static void smaps_fixture(const char *name, struct cdn_place_range r, struct cdn_place_smaps *out)
{
    char err[CDN_ERR_LEN], path[256];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(cdn_place_parse_smaps(f, &r, 1, out, err), 0);
    fclose(f);
}

static void smaps_says_which_ranges_are_thp_backed(void **state)
{
    (void)state;
    struct cdn_place_smaps sm;
    struct cdn_place_range arena = {(void *)(uintptr_t)0x7f0000001000ull, 8 << 20};
    smaps_fixture("smaps_thp", arena, &sm);
    assert_int_equal(sm.rss_kb, 8192);
    assert_int_equal(sm.anon_huge_kb, 8192);
    assert_true(sm.inside);
    struct cdn_place_range half = {(void *)(uintptr_t)0x7f0000001000ull, 4 << 20};
    smaps_fixture("smaps_thp", half, &sm);
    assert_false(sm.inside);                /* the mapping reaches past the range */
    smaps_fixture("smaps_mixed", arena, &sm);
    assert_int_equal(sm.rss_kb, 6144);
    assert_int_equal(sm.anon_huge_kb, 4096);    /* 2 MiB of 4 KiB pages: no stepping */
    assert_true(sm.inside);
    struct cdn_place_range elsewhere = {(void *)(uintptr_t)0x7f0000a00000ull, 1 << 20};
    smaps_fixture("smaps_thp", elsewhere, &sm);
    assert_int_equal(sm.rss_kb, 0);
    /* numbers past int64_t's reach saturate instead of overflowing; negative ones are ignored */
    char text[] = "7f0000000000-7f0000200000 rw-p 00000000 00:00 0\nRss: 9223372036854775807 kB\n"
                  "Rss: 9223372036854775807 kB\nAnonHugePages: -5 kB\n";
    char err[CDN_ERR_LEN];
    FILE *f = fmemopen(text, strlen(text), "r");
    assert_non_null(f);
    struct cdn_place_range big = {(void *)(uintptr_t)0x7f0000000000ull, 2 << 20};
    assert_int_equal(cdn_place_parse_smaps(f, &big, 1, &sm, err), 0);
    fclose(f);
    assert_int_equal(sm.rss_kb, (int64_t)1 << 52);
    assert_int_equal(sm.anon_huge_kb, 0);
}

static int thp_size(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char mode[128] = "";
    if (!f)
        return 0;
    int ok = fgets(mode, sizeof mode, f) != NULL && !strstr(mode, "[never]");
    fclose(f);
    return ok;
}

/* A 4 MiB buffer of transparent huge pages, 2 MiB-aligned inside *raw (THP_RAW bytes to unmap);
 * NULL when this machine gives none or a seccomp profile refuses get_mempolicy. */
#define THP_LEN ((size_t)4 << 20)
#define THP_RAW (THP_LEN + ((size_t)4 << 20))
static char *thp_buffer(char **raw)
{
    size_t huge = 2 << 20;
    int mode;
    if (!thp_size() || __real_get_mempolicy(&mode, NULL, 0, NULL, 0) != 0)
        return NULL;    /* no THP, or a seccomp profile refuses get_mempolicy (no CAP_SYS_NICE) */
    *raw = mmap(NULL, THP_RAW, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(*raw != MAP_FAILED);
    char *buf = (char *)(((uintptr_t)*raw + huge) & ~(uintptr_t)(huge - 1));
    assert_int_equal(madvise(buf, THP_LEN, MADV_HUGEPAGE), 0);
    memset(buf, 1, THP_LEN);
    struct cdn_place_range r = {buf, THP_LEN};
    if (cdn_place_step(&r, 1) == PAGE) {    /* the kernel gave 4 KiB pages after all */
        munmap(*raw, THP_RAW);
        return NULL;
    }
    return buf;
}

/* A 4 MiB THP-backed buffer is asked in 2 calls, and still counts 1024 pages. */
static void per_page_sources_step_over_huge_pages(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN], *raw = NULL, *buf = thp_buffer(&raw);
    if (!buf)
        skip();
    struct cdn_place_range r = {buf, THP_LEN};
    struct cdn_place_result res;
    get_mempolicy_calls = 0;
    assert_int_equal(cdn_place_query_with(CDN_PLACE_GET_MEMPOLICY, &r, 1, &res, err), 0);
    int64_t present = 0;
    for (int k = 0; k < CDN_MAX_NODES; k++)
        present += res.per_node[k];
    assert_int_equal(present, (int64_t)(THP_LEN / PAGE));
    assert_int_equal(res.counting, CDN_PLACE_PER_HUGE_PAGE);
    assert_int_equal(get_mempolicy_calls, 2);
    munmap(raw, THP_RAW);
}

/* query_sample: the sample asked with move_pages refused or not, huge_ranges given or not; the
 * pages asked of the source that answered in *asked. */
static struct cdn_place_result query_sample(const struct cdn_place_sample *s, int refuse,
                                            const struct cdn_place_range *huge_ranges, long *asked)
{
    char err[CDN_ERR_LEN];
    struct cdn_place_result res;
    get_mempolicy_calls = move_pages_pages = 0;
    refuse_move_pages = refuse;
    assert_int_equal(cdn_place_query_sample(s, huge_ranges, 1, &res, err), 0);
    refuse_move_pages = 0;
    *asked = res.source == CDN_PLACE_MOVE_PAGES ? move_pages_pages : get_mempolicy_calls;
    return res;
}

/* The sample (one page of the range and 100 drawn) over the same buffer: move_pages asks its 101
 * pages in one call; get_mempolicy, where move_pages is refused, asks the 2 huge pages they lie in
 * once each when given the ranges, else all 101; the counts are the same every way. */
static void sample_asks_each_huge_page_once(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN], *raw = NULL, *buf = thp_buffer(&raw);
    if (!buf)
        skip();
    struct cdn_place_range r = {buf, THP_LEN};
    struct cdn_place_sample s;
    long asked = 0;
    assert_int_equal(cdn_place_sample_make(&r, 1, 100, 42, &s, err), 0);
    struct cdn_place_result huge = query_sample(&s, 1, &r, &asked);
    assert_int_equal(huge.source, CDN_PLACE_GET_MEMPOLICY);
    assert_int_equal(huge.counting, CDN_PLACE_SAMPLED_PER_HUGE_PAGE);
    assert_int_equal(asked, 2);
    assert_int_equal(huge.pages, 101);
    assert_int_equal(huge.not_present, 0);
    struct cdn_place_result each = query_sample(&s, 1, NULL, &asked);
    assert_int_equal(each.counting, CDN_PLACE_SAMPLED);
    assert_int_equal(asked, 101);
    assert_memory_equal(huge.per_node, each.per_node, sizeof huge.per_node);
    struct cdn_place_result moved = query_sample(&s, 0, &r, &asked);
    if (moved.source == CDN_PLACE_MOVE_PAGES) {     /* a seccomp profile may refuse it for real */
        assert_int_equal(moved.counting, CDN_PLACE_SAMPLED);
        assert_int_equal(asked, 101);
        assert_memory_equal(moved.per_node, each.per_node, sizeof moved.per_node);
    }
    cdn_place_sample_free(&s);
    munmap(raw, THP_RAW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_covers_every_chunk_and_stays_inside),
        cmocka_unit_test(same_seed_same_pages),
        cmocka_unit_test(sample_bounds),
        cmocka_unit_test(agreement_rule),
        cmocka_unit_test(agreement_with_a_numa_maps_fixture),
        cmocka_unit_test(one_read_two_counts),
        cmocka_unit_test(smaps_says_which_ranges_are_thp_backed),
        cmocka_unit_test(per_page_sources_step_over_huge_pages),
        cmocka_unit_test(sample_asks_each_huge_page_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
