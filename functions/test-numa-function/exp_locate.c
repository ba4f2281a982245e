/* exp_locate.c: where the touched pages are. placement=sample (the default): numa_maps of the
 * chunks' ranges counts every page, exactly when the ranges are bounded by mappings of their own
 * (the guarded arena of alloc=mmap), and a per-page source cross-checks a seeded sample of them
 * (one page per chunk and `sample` random pages). placement=full, or numa_maps not exact for the
 * ranges (malloc and libnuma chunks): every page asked of move_pages, else get_mempolicy (once per
 * huge page where the chunks are THP-backed), with numa_maps of every page as the cross-check.
 * Either way exact holds only when the count and its cross-check agree.
 * numa_maps is the text exp_run read once after the touch; that read's time is added to the
 * timing of whichever count used it. */
#include "exp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEED_MASK ((UINT64_C(1) << 53) - 1)   /* seeds stay exact as JSON numbers */

/* A seed nobody asked for: the clock's nanoseconds, reported so the run can be repeated. */
static uint64_t clock_seed(void)
{
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) & SEED_MASK;
}

static bool same_counts(const struct cdn_place_result *a, const struct cdn_place_result *b)
{
    return memcmp(a->per_node, b->per_node, sizeof a->per_node) == 0;
}

/* Prefixes why to res->fallback_reason ("why; earlier reason"). */
static void say_why(struct cdn_place_result *res, const char *why)
{
    char old[CDN_ERR_LEN];
    memcpy(old, res->fallback_reason, sizeof old);
    cdn_err(res->fallback_reason, 0, "%s%s%.200s", why, old[0] ? "; " : "", old);
}

/* numa_maps' count of the ranges, from the text read after the touch, or read now. */
static int count_numa_maps(const struct cdn_text *text, const struct cdn_place_range *ranges, size_t n,
                           struct cdn_place_result *res, char err[CDN_ERR_LEN])
{
    if (!text->buf)
        return cdn_place_query_with(CDN_PLACE_NUMA_MAPS, ranges, n, res, err);
    memset(res, 0, sizeof *res);
    res->source = CDN_PLACE_NUMA_MAPS;
    res->counting = CDN_PLACE_PER_MAPPING;
    FILE *f = cdn_text_open(text, err);
    if (!f)
        return -1;
    int rc = cdn_place_count_numa_maps(f, ranges, n, res, err);
    fclose(f);
    return rc;
}

/* read_counted: the shared read's time is in placement_s already (the sample path fell back). */
static int locate_full(const struct cdn_place_range *ranges, size_t n, const struct cdn_text *text,
                       bool read_counted, struct exp_result *res, char err[CDN_ERR_LEN])
{
    double t = cdn_now();
    int rc = cdn_place_query(ranges, n, &res->placement, err);
    res->placement_s += cdn_now() - t;
    if (rc != 0)
        return 500;
    enum cdn_place_source second = res->placement.source == CDN_PLACE_NUMA_MAPS ? CDN_PLACE_GET_MEMPOLICY
                                                                        : CDN_PLACE_NUMA_MAPS;
    char e2[CDN_ERR_LEN];
    t = cdn_now();
    res->have_cross_check = (second == CDN_PLACE_NUMA_MAPS ? count_numa_maps(text, ranges, n, &res->cross_check, e2)
                             : cdn_place_query_with(second, ranges, n, &res->cross_check, e2)) == 0;
    res->cross_check_s = cdn_now() - t + (text->buf && !read_counted ? res->numa_maps_read_s : 0);
    res->agrees = res->have_cross_check && same_counts(&res->placement, &res->cross_check);
    res->placement.exact = res->placement.exact && res->agrees;
    if (!res->have_cross_check) {
        char why[CDN_ERR_LEN];
        cdn_err(why, 0, "no cross-check, so not exact: %.200s", e2);
        say_why(&res->placement, why);
    }
    return 0;
}

/* The sample over every chunk's pages, asked of a per-page source (get_mempolicy once per huge page
 * where the chunks' ranges, as numa_maps counted them, are all transparent huge pages). */
static void cross_check_sample(const struct exp_plan *plan, const struct exp_chunks *c,
                               const struct cdn_place_range *ranges, size_t nranges, struct exp_result *res)
{
    char e[CDN_ERR_LEN];
    size_t n = 0;
    struct cdn_place_range *each = exp_chunks_each(c, &n, e);
    struct cdn_place_sample s;
    uint64_t seed = plan->params.seed >= 0 ? (uint64_t)plan->params.seed : clock_seed();
    double t = cdn_now();
    if (each && cdn_place_sample_make(each, n, (size_t)plan->params.sample, seed, &s, e) == 0) {
        res->sample = (struct place_sample_info){true, seed, s.digest, (int64_t)s.per_range,
                                                 (int64_t)s.random};
        /* With thp=false the arena is MADV_NOHUGEPAGE: no huge page to ask once for. */
        res->have_cross_check = cdn_place_query_sample(&s, plan->params.thp ? ranges : NULL, nranges,
                                                       &res->cross_check, e) == 0;
        cdn_place_sample_free(&s);
    }
    res->cross_check_s = cdn_now() - t;
    free(each);
    res->agrees = res->have_cross_check && cdn_place_sample_agrees(&res->placement, &res->cross_check);
    if (!res->have_cross_check) {
        char why[CDN_ERR_LEN];
        cdn_err(why, 0, "no sampled cross-check, so not exact: %.200s", e);
        say_why(&res->placement, why);
    }
    res->placement.exact = res->placement.exact && res->agrees;
}

int exp_locate(const struct exp_plan *plan, const struct exp_chunks *c, const struct cdn_text *numa_maps,
               struct exp_result *res, char err[CDN_ERR_LEN])
{
    size_t n = 0;
    struct cdn_place_range *ranges = exp_chunks_ranges(c, &n, err);
    if (!ranges)
        return 500;
    int rc = 0;
    if (plan->params.placement_full) {
        rc = locate_full(ranges, n, numa_maps, false, res, err);
    } else {
        char e[CDN_ERR_LEN] = "";
        double t = cdn_now();
        int nm = count_numa_maps(numa_maps, ranges, n, &res->placement, e);
        res->placement_s = cdn_now() - t + (numa_maps->buf ? res->numa_maps_read_s : 0);
        if (nm == 0 && res->placement.exact) {
            cross_check_sample(plan, c, ranges, n, res);
        } else {
            rc = locate_full(ranges, n, numa_maps, true, res, err);
            if (rc == 0)
                say_why(&res->placement, nm == 0 ? "numa_maps cannot count these chunks exactly (they "
                        "are not one guarded arena): every page asked" : e);
        }
    }
    free(ranges);
    return rc;
}
