/* numa_maps.c: page counts per node from /proc/self/numa_maps for a set of address ranges.
 * numa_maps gives each mapping's start only. The kernel lists mappings in address order and they
 * never overlap, so a mapping ends at or before the next one starts. The counts are exact when
 * every contiguous span of the ranges starts a mapping and a mapping starts exactly at the span's
 * end: then every mapping that starts inside the span lies inside it, and none from outside reaches
 * in. PROT_NONE guard pages on both sides of an arena make that true whatever its neighbours are;
 * a mapping merged with a neighbour makes it false, and the answer says so. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUMA_MAPS_MAX_LINES 1000000L

struct span {
    uintptr_t lo, hi;       /* [lo, hi) */
    int seen_lo, seen_hi;   /* a mapping starts at lo / at hi */
};

static int cmp_span(const void *a, const void *b)
{
    uintptr_t x = ((const struct span *)a)->lo, y = ((const struct span *)b)->lo;
    return x < y ? -1 : x > y;
}

/* The ranges sorted and merged (overlapping or touching) into disjoint spans. */
static struct span *make_spans(const struct cdn_place_range *r, size_t n, size_t *n_spans,
                               char err[CDN_ERR_LEN])
{
    struct span *s = calloc(n ? n : 1, sizeof *s);
    if (!s)
        return cdn_err(err, ENOMEM, "%zu address ranges", n), NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uintptr_t lo = (uintptr_t)r[i].addr;
        if (r[i].len == 0)
            continue;
        s[k].lo = lo;
        s[k++].hi = r[i].len > UINTPTR_MAX - lo ? UINTPTR_MAX : lo + r[i].len;
    }
    qsort(s, k, sizeof *s, cmp_span);
    size_t m = 0;
    for (size_t i = 1; i < k; i++) {
        if (s[i].lo <= s[m].hi)
            s[m].hi = s[i].hi > s[m].hi ? s[i].hi : s[m].hi;
        else
            s[++m] = s[i];
    }
    *n_spans = k ? m + 1 : 0;
    return s;
}

/* The span with lo <= addr <= hi (its end included), or NULL. */
static struct span *find_span(struct span *s, size_t n, uintptr_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && addr <= s[lo - 1].hi ? &s[lo - 1] : NULL;
}

/* numa_maps numbers are text: a negative count is ignored and sums stop at 2^48 pages (1 EiB),
 * so that no later sum of them (64 nodes, cdn_place_to_json) can overflow. */
#define CDN_PLACE_PAGES_CAP ((int64_t)1 << 48)
static int64_t add_capped(int64_t acc, long long pages, int64_t scale)
{
    int64_t prod;
    if (pages < 0)
        return acc;
    if (__builtin_mul_overflow((int64_t)pages, scale, &prod) || prod > CDN_PLACE_PAGES_CAP - acc)
        return CDN_PLACE_PAGES_CAP;
    return acc + prod;
}

/* Adds the N<id>=<pages> tokens of one numa_maps line, scaled from the mapping's
 * kernelpagesize_kB to base pages: a transparent huge page is already counted in base pages
 * (kernelpagesize_kB=4 on x86-64), a hugetlbfs page ("huge", kernelpagesize_kB=2048) is not.
 * Returns 0, or -1 for pages on a node id a cdn_nodeset cannot hold. */
static int add_line(char *line, size_t page, struct cdn_place_result *res)
{
    int64_t counts[CDN_MAX_NODES] = {0};
    int64_t scale = 1;
    int beyond = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
        int node;
        long long pages, kb;
        if (sscanf(tok, "N%d=%lld", &node, &pages) == 2) {
            if (node >= 0 && node < CDN_MAX_NODES)
                counts[node] = add_capped(counts[node], pages, 1);
            else if (pages > 0)
                beyond = 1;
        } else if (sscanf(tok, "kernelpagesize_kB=%lld", &kb) == 1 && kb > 0 && kb <= (1LL << 40) &&
                   (uint64_t)kb * 1024 >= page) {
            scale = (int64_t)((uint64_t)kb * 1024 / page);
        }
    }
    for (int k = 0; k < CDN_MAX_NODES; k++)
        res->per_node[k] = add_capped(res->per_node[k], counts[k], scale);
    return beyond ? -1 : 0;
}

/* One line into buf; *cut is set when it did not fit (the rest is skipped). 0 at the end. */
static int read_line(FILE *f, char *buf, size_t len, int *cut)
{
    if (!fgets(buf, (int)len, f))
        return 0;
    size_t used = strlen(buf);
    *cut = used > 0 && buf[used - 1] != '\n' && !feof(f);
    for (int c = 0; *cut && c != EOF && c != '\n';)
        c = getc(f);
    return 1;
}

/* Adds the counts of the mappings that start inside the spans; 1 if the lines allow exact counts. */
static int parse_lines(FILE *f, struct span *spans, size_t n_spans, struct cdn_place_result *res)
{
    char line[4096];
    size_t page = cdn_place_page_size();
    int exact = 1, cut = 0, any = 0;
    uintptr_t prev = 0;
    long i = 0;
    for (; i < NUMA_MAPS_MAX_LINES && read_line(f, line, sizeof line, &cut); i++) {
        char *end;
        errno = 0;
        unsigned long long addr = strtoull(line, &end, 16);
        if (errno || end == line || *end != ' ')
            continue;
        if (any && (uintptr_t)addr <= prev)
            exact = 0;  /* not in address order: the argument above does not hold */
        any = 1;
        prev = (uintptr_t)addr;
        struct span *sp = find_span(spans, n_spans, (uintptr_t)addr);
        if (!sp)
            continue;
        if ((uintptr_t)addr == sp->hi) {
            sp->seen_hi = 1;
            continue;
        }
        sp->seen_lo |= (uintptr_t)addr == sp->lo;
        if (add_line(end, page, res) != 0 || cut)
            exact = 0;
    }
    if (i == NUMA_MAPS_MAX_LINES)
        exact = 0;
    for (size_t k = 0; k < n_spans; k++)
        if (!spans[k].seen_lo || !spans[k].seen_hi)
            exact = 0;
    return exact;
}

int cdn_place_parse_numa_maps(FILE *f, const struct cdn_place_range *ranges, size_t n,
                          struct cdn_place_result *res, char err[CDN_ERR_LEN])
{
    size_t n_spans = 0;
    struct span *spans = make_spans(ranges, n, &n_spans, err);
    if (!spans)
        return -1;
    int exact = parse_lines(f, spans, n_spans, res);
    free(spans);
    if (ferror(f))
        return cdn_err(err, EIO, "read numa_maps");
    res->exact = exact;
    return 0;
}

int cdn_place_count_numa_maps(FILE *f, const struct cdn_place_range *r, size_t n, struct cdn_place_result *res,
                          char err[CDN_ERR_LEN])
{
    size_t page = cdn_place_page_size();
    res->pages = 0;
    for (size_t i = 0; i < n; i++)
        res->pages += (int64_t)(r[i].len / page);
    if (cdn_place_parse_numa_maps(f, r, n, res, err) != 0)
        return -1;
    int64_t present = 0;
    for (int k = 0; k < CDN_MAX_NODES; k++)
        present += res->per_node[k];
    res->not_present = res->pages > present ? res->pages - present : 0;
    res->exact = res->exact && present <= res->pages;
    return 0;
}

int cdn_place_query_numa_maps(const struct cdn_place_range *r, size_t n, struct cdn_place_result *res,
                          char err[CDN_ERR_LEN])
{
    FILE *f = fopen("/proc/self/numa_maps", "re");
    if (!f)
        return cdn_err(err, errno, "open /proc/self/numa_maps");
    int rc = cdn_place_count_numa_maps(f, r, n, res, err);
    fclose(f);
    return rc;
}
