/* test_exp_run.c: the experiment run against this machine's kernel, watched from a second thread
 * while it holds its buffers (hold_ms): alloc=mmap chunks lie in one read-write region with a
 * PROT_NONE guard page on each side, thp=true gets transparent huge pages and thp=false none,
 * alloc=malloc with a node is really bound to it, and numa_maps counts are exact. Also: with the
 * function's malloc settings, chunks past glibc's default 65536 mappings are still mappings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exp.h"

#include <malloc.h>
#include <numaif.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif
#ifndef T_ASAN
#define T_ASAN 0
#endif

#define T_MAX_VMAS 200000

/* What the watcher saw of the experiment's memory. */
struct sight {
    size_t bytes;               /* the read-write region to look for: exactly this large */
    int node;                   /* a numa_maps line "bind:<node>" ... */
    long long bound_pages;      /* ... with at least this many pages on that node */
    atomic_int done;            /* set when exp_run returned */
    int seen;                   /* the region was found with every page present */
    int guard_before, guard_after;  /* PROT_NONE neighbours touching it */
    long long anon_huge_kb;     /* its AnonHugePages */
    int bound;                  /* the bind:<node> line was found */
};

struct vma {
    uintptr_t lo, hi;
    char perms[8];
    int anon;
    long long rss_kb, anon_huge_kb;
};

/* Every mapping of /proc/self/smaps, in order; *n of them. */
static struct vma *read_smaps(size_t *n)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    struct vma *v = calloc(T_MAX_VMAS, sizeof *v);
    assert_non_null(v);
    size_t k = 0;
    char line[4096];
    for (int i = 0; i < 10 * T_MAX_VMAS && fgets(line, sizeof line, f); i++) {
        unsigned long lo, hi;
        char perms[8];
        int end = 0;
        long long kb;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &lo, &hi, perms, &end) == 3 && end > 0) {
            if (k == T_MAX_VMAS)
                break;
            v[k] = (struct vma){.lo = lo, .hi = hi, .anon = line[end + strspn(line + end, " ")] == '\n'};
            snprintf(v[k++].perms, sizeof v->perms, "%s", perms);
        } else if (k && sscanf(line, "Rss: %lld kB", &kb) == 1) {
            v[k - 1].rss_kb = kb;
        } else if (k && sscanf(line, "AnonHugePages: %lld kB", &kb) == 1) {
            v[k - 1].anon_huge_kb = kb;
        }
    }
    fclose(f);
    *n = k;
    return v;
}

static void look_at_smaps(struct sight *s)
{
    size_t n;
    struct vma *v = read_smaps(&n);
    for (size_t i = 0; i < n; i++) {
        if (!v[i].anon || strcmp(v[i].perms, "rw-p") != 0 || v[i].hi - v[i].lo != s->bytes ||
            v[i].rss_kb * 1024 != (long long)s->bytes)
            continue;
        s->seen = 1;
        s->guard_before = i > 0 && v[i - 1].hi == v[i].lo && strcmp(v[i - 1].perms, "---p") == 0;
        s->guard_after = i + 1 < n && v[i + 1].lo == v[i].hi && strcmp(v[i + 1].perms, "---p") == 0;
        s->anon_huge_kb = v[i].anon_huge_kb;
    }
    free(v);
}

/* The pages on node of the numa_maps lines whose policy is "bind:<node>" (the unit tests do not
 * run under numactl, so only an mbind gives a mapping that policy). */
static void look_at_numa_maps(struct sight *s)
{
    FILE *f = fopen("/proc/self/numa_maps", "r");
    assert_non_null(f);
    char line[4096], want[32], key[32];
    snprintf(want, sizeof want, "bind:%d", s->node);
    snprintf(key, sizeof key, " N%d=", s->node);
    long long pages = 0;
    for (int i = 0; i < 10 * T_MAX_VMAS && fgets(line, sizeof line, f); i++) {
        char policy[64];
        const char *at = strstr(line, key);
        if (sscanf(line, "%*x %63s", policy) == 1 && strcmp(policy, want) == 0 && at)
            pages += atoll(at + strlen(key));
    }
    fclose(f);
    s->bound = pages >= s->bound_pages;
}

static void *watch(void *arg)
{
    struct sight *s = arg;
    struct timespec nap = {0, 5 * 1000 * 1000};
    for (int i = 0; i < 4000 && !atomic_load(&s->done); i++) {
        if (s->bytes && !s->seen)
            look_at_smaps(s);
        if (s->bound_pages && !s->bound)
            look_at_numa_maps(s);
        nanosleep(&nap, NULL);
    }
    return NULL;
}

/* Plans p on this machine and runs it while a thread watches. Returns exp_run's status; for 0,
 * checks what every run must give. */
static int run_watched(const struct exp_params *p, struct sight *s, struct exp_result *res,
                       char err[CDN_ERR_LEN])
{
    struct exp_world w;
    struct exp_plan plan;
    struct exp_limits lim = {.max_total_bytes = 1024 * EXP_MIB, .busy_wait_ms = 0, .reserve_bytes = 0};
    assert_int_equal(exp_world_read(&w, err), 0);
    int planned = exp_plan_make(p, &w, &lim, &plan, err);
    exp_world_free(&w);
    if (planned != 0)
        fail_msg("plan: %s", err);
    pthread_t t;
    atomic_init(&s->done, 0);
    assert_int_equal(pthread_create(&t, NULL, watch, s), 0);
    int rc = exp_run(&plan, res, err);
    atomic_store(&s->done, 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (rc != 0)
        return rc;
    int64_t present = 0;
    for (int n = 0; n < CDN_MAX_NODES; n++)
        present += res->placement.per_node[n];
    assert_int_equal(present + res->placement.not_present, res->placement.pages);
    /* exact needs a per-page source's agreement; a container without CAP_SYS_NICE allows none */
    assert_true(res->placement.exact == (res->have_cross_check && res->agrees));
    if (res->have_cross_check)
        assert_true(res->placement.exact);
    else
        assert_non_null(strstr(res->placement.fallback_reason, "cross-check, so not exact"));
    return 0;
}

/* numa_maps counted the arena exactly (placement=sample, the default), and the sample, one page
 * of each chunk and the default number of random ones, found its pages where numa_maps did, asked
 * page by page, or, by get_mempolicy, once per huge page when every page of the arena is a huge
 * page (all_huge). */
static void numa_maps_is_exact(const struct exp_result *res, int64_t chunks, bool all_huge)
{
    assert_int_equal(res->placement.source, CDN_PLACE_NUMA_MAPS);
    assert_int_equal(res->placement.counting, CDN_PLACE_PER_MAPPING);
    assert_true(res->sample.drawn);
    assert_int_equal(res->sample.random, CDN_PLACE_SAMPLE_DEFAULT);
    assert_int_equal(res->sample.per_chunk, chunks);
    if (!res->have_cross_check)
        return;
    bool stepped = all_huge && res->cross_check.source == CDN_PLACE_GET_MEMPOLICY;
    assert_int_equal(res->cross_check.counting, stepped ? CDN_PLACE_SAMPLED_PER_HUGE_PAGE : CDN_PLACE_SAMPLED);
    assert_int_equal(res->cross_check.pages, res->sample.per_chunk + res->sample.random);
    assert_int_equal(res->cross_check.not_present, 0);
    for (int k = 0; k < CDN_MAX_NODES; k++)
        if (res->cross_check.per_node[k] > 0)
            assert_true(res->placement.per_node[k] > 0);
    assert_true(res->agrees);
}

static struct exp_params params(int64_t chunk_mb, int64_t iterations, bool thp)
{
    struct exp_params p;
    exp_params_default(&p);
    p.chunk_mb = chunk_mb;
    p.iterations = iterations;
    p.thp = thp;
    p.hold_ms = 400;
    return p;
}

/* 5 chunks of 3 MiB: one 15 MiB read-write region between two PROT_NONE guard pages, counted
 * exactly by numa_maps as well as by the per-page source. */
static void mmap_chunks_lie_in_one_guarded_arena(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    struct exp_params p = params(3, 5, false);
    struct sight s = {.bytes = 15 * EXP_MIB};
    struct exp_result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    if (run_watched(&p, &s, res, err) != 0)
        fail_msg("exp_run: %s", err);
    assert_true(s.seen);
    assert_true(s.guard_before);
    assert_true(s.guard_after);
    assert_int_equal(s.anon_huge_kb, 0);    /* thp=false */
    assert_int_equal(res->placement.pages, 15 * EXP_MIB / (int64_t)cdn_place_page_size());
    assert_int_equal(res->placement.not_present, 0);
    numa_maps_is_exact(res, 5, false);
    free(res);
}

static int thp_enabled(void)
{
    char mode[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return 0;
    int ok = fgets(mode, sizeof mode, f) != NULL;
    fclose(f);
    return ok && !strstr(mode, "[never]");
}

/* thp=true: the arena is backed by transparent huge pages (at least one; all of them on a
 * machine with free memory), and the answer still counts 4 KiB pages exactly. */
static void thp_true_gets_huge_pages(void **state)
{
    (void)state;
    if (!thp_enabled())
        skip();
    char err[CDN_ERR_LEN] = "";
    struct exp_params p = params(2, 4, true);
    struct sight s = {.bytes = 8 * EXP_MIB};
    struct exp_result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    if (run_watched(&p, &s, res, err) != 0)
        fail_msg("exp_run: %s", err);
    assert_true(s.seen && s.guard_before && s.guard_after);
    print_message("thp=true: AnonHugePages %lld kB of %zu kB\n", s.anon_huge_kb, s.bytes / 1024);
    assert_true(s.anon_huge_kb >= 2048);
    numa_maps_is_exact(res, 4, s.anon_huge_kb == (long long)(s.bytes / 1024));
    free(res);
}

/* placement=full asks every page, once per huge page where every resident page is in one (all
 * of them here when the machine gave 8 MiB of huge pages), and numa_maps cross-checks the count. */
static void placement_full_steps_over_huge_pages(void **state)
{
    (void)state;
    if (!thp_enabled())
        skip();
    char err[CDN_ERR_LEN] = "";
    struct exp_params p = params(2, 4, true);
    p.placement_full = true;
    struct sight s = {.bytes = 8 * EXP_MIB};
    struct exp_result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    if (run_watched(&p, &s, res, err) != 0)
        fail_msg("exp_run: %s", err);
    assert_false(res->sample.drawn);
    if (res->placement.source == CDN_PLACE_NUMA_MAPS) {     /* no per-page source allowed here */
        free(res);
        skip();
    }
    print_message("placement=full, thp=true: counting %s, AnonHugePages %lld kB\n",
                  cdn_place_counting_name(res->placement.counting), s.anon_huge_kb);
    assert_int_equal(res->placement.counting, s.anon_huge_kb == 8 * 1024 ? CDN_PLACE_PER_HUGE_PAGE : CDN_PLACE_PER_PAGE);
    assert_int_equal(res->cross_check.source, CDN_PLACE_NUMA_MAPS);
    assert_true(res->agrees);
    assert_memory_equal(res->placement.per_node, res->cross_check.per_node, sizeof res->cross_check.per_node);
    free(res);
}

/* malloc'd chunks are mappings of their own, not one guarded arena: numa_maps counts them exactly
 * only when each chunk's mapping is followed directly by another one (glibc places them so, top
 * down); otherwise the default asks every page and says why. Either way every page is counted. */
static void malloc_chunks_counted_by_numa_maps_or_page_by_page(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    struct exp_params p = params(2, 3, false);
    p.alloc = EXP_ALLOC_MALLOC;
    struct sight s = {.bytes = 0};
    struct exp_result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    if (run_watched(&p, &s, res, err) != 0)
        fail_msg("exp_run: %s", err);
    print_message("alloc=malloc: %s, %s\n", cdn_place_source_name(res->placement.source),
                  res->sample.drawn ? "sampled" : res->placement.fallback_reason);
    if (res->sample.drawn) {
        assert_int_equal(res->placement.source, CDN_PLACE_NUMA_MAPS);
        assert_int_equal(res->sample.per_chunk, 3);
    } else {
        assert_non_null(strstr(res->placement.fallback_reason, "every page asked"));
        assert_true(res->placement.source == CDN_PLACE_NUMA_MAPS || res->placement.counting == CDN_PLACE_PER_PAGE);
    }
    assert_int_equal(res->placement.not_present, 0);
    free(res);
}

/* alloc=malloc with a node: the chunks are bound to it (mbind of the pages they lie on), and the
 * first chunk's policy reads back as bind. Where seccomp refuses the policy calls (no
 * CAP_SYS_NICE), the request fails naming the capability instead of running unbound. */
static void malloc_with_a_node_is_bound(void **state)
{
    (void)state;
    char err[CDN_ERR_LEN] = "";
    struct exp_world w;
    assert_int_equal(exp_world_read(&w, err), 0);
    exp_world_free(&w);
    int node = __builtin_ctzll(w.policy.mems_allowed);
    struct exp_params p = params(2, 4, false);
    p.alloc = EXP_ALLOC_MALLOC;
    p.node = node;
    struct sight s = {.node = node, .bound_pages = 4 * 2 * EXP_MIB / (int64_t)cdn_place_page_size()};
    struct exp_result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    int rc = run_watched(&p, &s, res, err);
    if (w.policy.mode == CDN_POLICY_UNKNOWN) {
        assert_int_equal(rc, 500);
        assert_non_null(strstr(err, "CAP_SYS_NICE"));
    } else {
        if (rc != 0)
            fail_msg("exp_run: %d %s", rc, err);
        assert_true(s.bound);
        assert_int_equal(res->placement.per_node[node], res->placement.pages);
        assert_string_equal(res->chunk_policy.mode_name, "bind");
        assert_int_equal(res->chunk_policy.nodes, (cdn_nodeset)1 << node);
    }
    free(res);
}

/* glibc serves at most M_MMAP_MAX (65536) blocks with mmap, then takes them from the heap: the
 * function lifts that limit with the threshold, so every chunk of a large alloc=malloc run is its
 * own mapping. 65600 blocks of 1 MiB (chunk_mb=1): glibc writes one page of each, 256 MiB. */
static void malloc_chunks_stay_mappings_past_65536(void **state)
{
    (void)state;
    if (T_ASAN)
        skip(); /* ASan's malloc is not glibc's: nothing to pin */
    enum { N = 65600 };
    void **blocks = calloc(N, sizeof *blocks);
    assert_non_null(blocks);
    size_t before = mallinfo2().hblks;
    for (int i = 0; i < N; i++)
        assert_non_null(blocks[i] = malloc(EXP_MIB));
    size_t mapped = mallinfo2().hblks - before;
    for (int i = 0; i < N; i++)
        free(blocks[i]);
    free(blocks);
    assert_int_equal(mapped, N);
}

/* The function's own start-up, as the server does it: its malloc settings hold for every test. */
static int start_function(void **state)
{
    char err[CDN_ERR_LEN] = "";
    *state = fn_init(err);
    if (!*state)
        print_error("fn_init: %s\n", err);
    return *state ? 0 : -1;
}

static int stop_function(void **state)
{
    fn_fini(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mmap_chunks_lie_in_one_guarded_arena),
        cmocka_unit_test(thp_true_gets_huge_pages),
        cmocka_unit_test(placement_full_steps_over_huge_pages),
        cmocka_unit_test(malloc_chunks_counted_by_numa_maps_or_page_by_page),
        cmocka_unit_test(malloc_with_a_node_is_bound),
        cmocka_unit_test(malloc_chunks_stay_mappings_past_65536),
    };
    return cmocka_run_group_tests(tests, start_function, stop_function);
}
