/* placement.c: the exact node of every page in a set of address ranges. Sources, in order of
 * preference: move_pages(2) (refused by container seccomp profiles), per-page
 * get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR), and the process's own /proc/self/numa_maps (read in
 * numa_maps.c). The per-page sources ask once per transparent huge page where smaps shows every
 * resident page in one (cdn_place_step, smaps.c). Pages are counted in units of the base page size,
 * sysconf(_SC_PAGESIZE). */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CDN_PLACE_BATCH 1024u   /* pages per move_pages call, and per counting batch */

size_t cdn_place_page_size(void)
{
    /* Never fails on Linux: the kernel hands every process its page size (AT_PAGESZ). */
    return (size_t)sysconf(_SC_PAGESIZE);
}

const char *cdn_place_source_name(enum cdn_place_source s)
{
    static const char *const names[CDN_PLACE_SOURCE_COUNT] = {"move_pages", "get_mempolicy", "numa_maps"};
    return (unsigned)s < CDN_PLACE_SOURCE_COUNT ? names[s] : "unknown";
}

const char *cdn_place_counting_name(enum cdn_place_counting c)
{
    static const char *const names[CDN_PLACE_COUNTING_COUNT] = {"per_page", "per_huge_page",
                                                             "per_mapping", "sample",
                                                             "sample_per_huge_page"};
    return (unsigned)c < CDN_PLACE_COUNTING_COUNT ? names[c] : "unknown";
}

/* weight pages on a node from move_pages/get_mempolicy: negative is not faulted in (-ENOENT). */
static int count_node(struct cdn_place_result *res, int node, int64_t weight, char err[CDN_ERR_LEN])
{
    if (node >= CDN_MAX_NODES)
        return cdn_err(err, 0, "a page is on node %d, above the largest id handled (%d)", node,
                       CDN_MAX_NODES - 1);
    if (node >= 0)
        res->per_node[node] += weight;
    else
        res->not_present += weight;
    return 0;
}

static int nodes_move_pages(void **pages, size_t n, int *nodes, char err[CDN_ERR_LEN])
{
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CDN_PLACE_BATCH ? n - done : CDN_PLACE_BATCH;
        if (move_pages(0, (unsigned long)k, pages + done, NULL, nodes + done, 0) != 0)
            return cdn_err(err, errno, "move_pages");
        done += k;
    }
    return 0;
}

/* For a page not faulted in, MPOL_F_ADDR|MPOL_F_NODE would fault it in: mincore asks first,
 * once for each run of consecutive pages. */
static int nodes_get_mempolicy(void **pages, size_t n, int *nodes, char err[CDN_ERR_LEN])
{
    unsigned char resident[CDN_PLACE_BATCH];
    size_t page = cdn_place_page_size();
    for (size_t i = 0; i < n;) {
        size_t run = 1;
        while (i + run < n && run < CDN_PLACE_BATCH && (char *)pages[i + run] == (char *)pages[i] + run * page)
            run++;
        if (mincore(pages[i], run * page, resident) != 0)
            return cdn_err(err, errno, "mincore");
        for (size_t j = 0; j < run; j++) {
            nodes[i + j] = -1;
            if (resident[j] & 1 &&
                get_mempolicy(&nodes[i + j], NULL, 0, pages[i + j], MPOL_F_NODE | MPOL_F_ADDR) != 0)
                return cdn_err(err, errno, "get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR)");
        }
        i += run;
    }
    return 0;
}

int cdn_place_nodes(enum cdn_place_source src, void **pages, size_t n, int *nodes, char err[CDN_ERR_LEN])
{
    switch (src) {
    case CDN_PLACE_MOVE_PAGES: return nodes_move_pages(pages, n, nodes, err);
    case CDN_PLACE_GET_MEMPOLICY: return nodes_get_mempolicy(pages, n, nodes, err);
    default: return cdn_err(err, EINVAL, "%s is no per-page source", cdn_place_source_name(src));
    }
}

/* Pages waiting to be asked, each standing for weight base pages. */
struct batch {
    void *addr[CDN_PLACE_BATCH];
    int64_t weight[CDN_PLACE_BATCH];
    int node[CDN_PLACE_BATCH];
    size_t k;
};

static int flush(enum cdn_place_source src, struct batch *b, struct cdn_place_result *res, char err[CDN_ERR_LEN])
{
    if (b->k && cdn_place_nodes(src, b->addr, b->k, b->node, err) != 0)
        return -1;
    for (size_t j = 0; j < b->k; j++)
        if (count_node(res, b->node[j], b->weight[j], err) != 0)
            return -1;
    b->k = 0;
    return 0;
}

/* Asks every page, or with step > page one page per step-aligned block that lies wholly inside a
 * range (where cdn_place_step found every resident page in a PMD-mapped huge page). */
static int query_per_page(enum cdn_place_source src, const struct cdn_place_range *r, size_t n, size_t step,
                          struct cdn_place_result *res, char err[CDN_ERR_LEN])
{
    size_t page = cdn_place_page_size();
    struct batch *b = malloc(sizeof *b);
    if (!b)
        return cdn_err(err, ENOMEM, "placement batch");
    b->k = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *at = r[i].addr, *end = at + r[i].len / page * page;
        while (rc == 0 && at < end) {
            size_t w = step > page && (uintptr_t)at % step == 0 && (size_t)(end - at) >= step ? step : page;
            b->addr[b->k] = at;
            b->weight[b->k++] = (int64_t)(w / page);
            at += w;
            if (b->k == CDN_PLACE_BATCH)
                rc = flush(src, b, res, err);
        }
    }
    if (rc == 0)
        rc = flush(src, b, res, err);
    free(b);
    return rc;
}

int cdn_place_query_with(enum cdn_place_source src, const struct cdn_place_range *ranges, size_t n,
                     struct cdn_place_result *res, char err[CDN_ERR_LEN])
{
    int64_t pages = 0;
    size_t page = cdn_place_page_size();
    for (size_t i = 0; i < n; i++)
        pages += (int64_t)(ranges[i].len / page);
    memset(res, 0, sizeof *res);
    res->source = src;
    res->pages = pages;
    res->exact = 1;
    if (src == CDN_PLACE_NUMA_MAPS) {
        res->counting = CDN_PLACE_PER_MAPPING;
        return cdn_place_query_numa_maps(ranges, n, res, err);
    }
    if (src != CDN_PLACE_MOVE_PAGES && src != CDN_PLACE_GET_MEMPOLICY)
        return cdn_err(err, EINVAL, "placement source %d", (int)src);
    size_t step = cdn_place_step(ranges, n);
    res->counting = step > page ? CDN_PLACE_PER_HUGE_PAGE : CDN_PLACE_PER_PAGE;
    return query_per_page(src, ranges, n, step, res, err);
}

/* Appends "; text" (or text) to buf, cutting what does not fit. */
static void append_reason(char *buf, size_t len, const char *text)
{
    size_t used = strlen(buf);
    const char *parts[2] = {used ? "; " : "", text};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(parts[i]);
        if (used + n >= len)
            n = len - 1 - used;
        memcpy(buf + used, parts[i], n);
        used += n;
        buf[used] = '\0';
    }
}

int cdn_place_query(const struct cdn_place_range *ranges, size_t n, struct cdn_place_result *res,
                char err[CDN_ERR_LEN])
{
    char why[CDN_ERR_LEN] = "";
    for (int s = 0; s < CDN_PLACE_SOURCE_COUNT; s++) {
        char e[CDN_ERR_LEN];
        if (cdn_place_query_with((enum cdn_place_source)s, ranges, n, res, e) == 0) {
            snprintf(res->fallback_reason, sizeof res->fallback_reason, "%s", why);
            return 0;
        }
        append_reason(why, sizeof why, e);
    }
    return cdn_err(err, 0, "no placement source answered: %s", why);
}

json_t *cdn_place_to_json(const struct cdn_place_result *r, cdn_nodeset target)
{
    json_t *per_node = json_object();
    int64_t on_target = 0;
    for (int k = 0; per_node && k < CDN_MAX_NODES; k++) {
        if (r->per_node[k] == 0)
            continue;
        cdn_json_set_node(per_node, k, json_integer(r->per_node[k]));
        if (CDN_NODESET_HAS(target, k))
            on_target += r->per_node[k];
    }
    int64_t present = r->pages - r->not_present;
    double pct = present > 0 ? 100.0 * (double)on_target / (double)present : 0.0;
    return json_pack("{s:s, s:s, s:I, s:I, s:o, s:I, s:b, s:s, s:o, s:I, s:f}",
                     "source", cdn_place_source_name(r->source), "counting", cdn_place_counting_name(r->counting),
                     "pages", (json_int_t)r->pages,
                     "page_size", (json_int_t)cdn_place_page_size(), "per_node", per_node,
                     "not_present", (json_int_t)r->not_present, "exact", r->exact,
                     "fallback_reason", r->fallback_reason, "policy_nodes", cdn_nodeset_json(target),
                     "on_policy_nodes", (json_int_t)on_target, "on_policy_nodes_pct", pct);
}
