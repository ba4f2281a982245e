/* cdn_place_sample.c: the cross-check's sample of pages, asked of a per-page source, and the rule by
 * which it agrees with a count of every page (numa_maps). The sample holds one page of each range
 * (each chunk of an experiment), at a seeded offset, and a seeded set drawn uniformly over every
 * page of the ranges; repeats are kept, so each draw is independent. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: a full-period generator whose every seed, 0 included, gives a good sequence. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* FNV-1a over the 8 bytes of a page index. */
static uint64_t digest_add(uint64_t h, uint64_t v)
{
    for (int b = 0; b < 8; b++) {
        h ^= (v >> (8 * b)) & 0xff;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* The page with index `at` among every page of the ranges; start[k] is range k's first index. */
static void *page_at(const struct cdn_place_range *r, const int64_t *start, size_t n, int64_t at, size_t page)
{
    size_t lo = 0, hi = n;  /* the range k with start[k] <= at < start[k + 1] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (start[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    return (char *)r[lo].addr + (size_t)(at - start[lo]) * page;
}

static void draw(const struct cdn_place_range *r, size_t n, const int64_t *start, struct cdn_place_sample *s)
{
    size_t page = cdn_place_page_size(), k = 0;
    uint64_t state = s->seed;
    s->digest = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t pages = r[i].len / page;
        if (pages == 0)
            continue;
        uint64_t at = next_random(&state) % pages;
        s->pages[k++] = (char *)r[i].addr + (size_t)at * page;
        s->digest = digest_add(s->digest, (uint64_t)start[i] + at);
    }
    s->per_range = k;
    for (size_t j = 0; j < s->random; j++) {
        uint64_t at = next_random(&state) % (uint64_t)start[n];
        s->pages[k++] = page_at(r, start, n, (int64_t)at, page);
        s->digest = digest_add(s->digest, at);
    }
}

int cdn_place_sample_make(const struct cdn_place_range *ranges, size_t n, size_t random, uint64_t seed,
                      struct cdn_place_sample *s, char err[CDN_ERR_LEN])
{
    size_t page = cdn_place_page_size();
    memset(s, 0, sizeof *s);
    if (random > CDN_PLACE_SAMPLE_MAX)
        return cdn_err(err, EINVAL, "a sample of %zu random pages (at most %d)", random, CDN_PLACE_SAMPLE_MAX);
    int64_t *start = calloc(n + 1, sizeof *start);
    if (!start)
        return cdn_err(err, ENOMEM, "%zu address ranges", n);
    for (size_t i = 0; i < n; i++)
        start[i + 1] = start[i] + (int64_t)(ranges[i].len / page);
    if (start[n] == 0) {
        free(start);
        return cdn_err(err, EINVAL, "a sample of ranges holding no page");
    }
    s->seed = seed;
    s->random = random;
    s->pages = malloc((n + random) * sizeof *s->pages);
    if (!s->pages) {
        free(start);
        return cdn_err(err, ENOMEM, "a sample of %zu pages", n + random);
    }
    draw(ranges, n, start, s);
    free(start);
    return 0;
}

void cdn_place_sample_free(struct cdn_place_sample *s)
{
    free(s->pages);
    memset(s, 0, sizeof *s);
}

static int cmp_addr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return x < y ? -1 : x > y;
}

/* The node of each sampled page, asking each huge page (step bytes, aligned) that holds sampled
 * pages once: the sample's pages reduced to their huge pages, sorted and made unique, asked, and
 * each page given its huge page's node. */
static int nodes_per_huge_page(enum cdn_place_source src, const struct cdn_place_sample *s, size_t step,
                               int *nodes, char err[CDN_ERR_LEN])
{
    size_t n = s->per_range + s->random, u = 0;
    void **huge = malloc(n * sizeof *huge);
    int *huge_nodes = malloc(n * sizeof *huge_nodes);
    int rc = -1;
    if (!huge || !huge_nodes) {
        cdn_err(err, ENOMEM, "huge pages of %zu sampled pages", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        huge[i] = (void *)((uintptr_t)s->pages[i] & ~(uintptr_t)(step - 1));
    qsort(huge, n, sizeof *huge, cmp_addr);
    for (size_t i = 0; i < n; i++)
        if (u == 0 || huge[u - 1] != huge[i])
            huge[u++] = huge[i];
    if (cdn_place_nodes(src, huge, u, huge_nodes, err) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        void *key = (void *)((uintptr_t)s->pages[i] & ~(uintptr_t)(step - 1));
        void **at = bsearch(&key, huge, u, sizeof *huge, cmp_addr);
        nodes[i] = huge_nodes[at - huge];   /* every key is among huge[] by construction */
    }
    rc = 0;
out:
    free(huge);
    free(huge_nodes);
    return rc;
}

static int count_sample(enum cdn_place_source src, const struct cdn_place_sample *s, size_t step,
                        struct cdn_place_result *res, char err[CDN_ERR_LEN])
{
    size_t n = s->per_range + s->random;
    int *nodes = malloc((n ? n : 1) * sizeof *nodes);
    if (!nodes)
        return cdn_err(err, ENOMEM, "nodes of %zu sampled pages", n);
    int rc = n == 0 ? 0
           : res->counting == CDN_PLACE_SAMPLED_PER_HUGE_PAGE ? nodes_per_huge_page(src, s, step, nodes, err)
           : cdn_place_nodes(src, s->pages, n, nodes, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (nodes[i] >= CDN_MAX_NODES)
            rc = cdn_err(err, 0, "a page is on node %d, above the largest id handled (%d)", nodes[i],
                         CDN_MAX_NODES - 1);
        else if (nodes[i] >= 0)
            res->per_node[nodes[i]]++;
        else
            res->not_present++;
    }
    free(nodes);
    return rc;
}

int cdn_place_query_sample(const struct cdn_place_sample *s, const struct cdn_place_range *huge_ranges,
                           size_t n, struct cdn_place_result *res, char err[CDN_ERR_LEN])
{
    static const enum cdn_place_source order[2] = {CDN_PLACE_MOVE_PAGES, CDN_PLACE_GET_MEMPOLICY};
    char e[2][CDN_ERR_LEN];
    for (size_t i = 0; i < 2; i++) {
        /* smaps is read only when get_mempolicy must answer: it walks every page of the ranges */
        size_t step = i == 1 && huge_ranges ? cdn_place_step(huge_ranges, n) : cdn_place_page_size();
        memset(res, 0, sizeof *res);
        res->source = order[i];
        res->counting = step > cdn_place_page_size() && (step & (step - 1)) == 0
                        ? CDN_PLACE_SAMPLED_PER_HUGE_PAGE : CDN_PLACE_SAMPLED;
        res->pages = (int64_t)(s->per_range + s->random);
        res->exact = 1;
        if (count_sample(order[i], s, step, res, e[i]) == 0) {
            memcpy(res->fallback_reason, i ? e[0] : "", i ? CDN_ERR_LEN : 1);
            return 0;
        }
    }
    return cdn_err(err, 0, "no per-page source answered: %s; %s", e[0], e[1]);
}

bool cdn_place_sample_agrees(const struct cdn_place_result *counts, const struct cdn_place_result *sample)
{
    for (int k = 0; k < CDN_MAX_NODES; k++)
        if (sample->per_node[k] > 0 && counts->per_node[k] == 0)
            return false;
    return sample->not_present == 0 || counts->not_present > 0;
}
