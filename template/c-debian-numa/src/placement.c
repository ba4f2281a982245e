/* placement.c: the exact node of every page in a set of address ranges. Sources, in order of
 * preference: move_pages(2) (refused by container seccomp profiles), per-page
 * get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR), and the process's own /proc/self/numa_maps (read in
 * numa_maps.c). Pages are counted in units of the base page size, sysconf(_SC_PAGESIZE). */
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

#define CDN_PLACE_BATCH 4096u   /* pages per move_pages call */

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

/* A node id from move_pages/get_mempolicy: negative is a page not faulted in (-ENOENT). */
static int count_node(struct cdn_place_result *res, int node, char err[CDN_ERR_LEN])
{
    if (node >= CDN_MAX_NODES)
        return cdn_err(err, 0, "a page is on node %d, above the largest id handled (%d)", node,
                       CDN_MAX_NODES - 1);
    if (node >= 0)
        res->per_node[node]++;
    else
        res->not_present++;
    return 0;
}

static int query_move_pages(const struct cdn_place_range *r, size_t n, struct cdn_place_result *res,
                            char err[CDN_ERR_LEN])
{
    void *pages[CDN_PLACE_BATCH];
    int status[CDN_PLACE_BATCH];
    size_t page = cdn_place_page_size();
    for (size_t i = 0; i < n; i++) {
        size_t total = r[i].len / page;
        for (size_t done = 0; done < total;) {
            size_t k = total - done < CDN_PLACE_BATCH ? total - done : CDN_PLACE_BATCH;
            for (size_t j = 0; j < k; j++)
                pages[j] = (char *)r[i].addr + (done + j) * page;
            if (move_pages(0, (unsigned long)k, pages, NULL, status, 0) != 0)
                return cdn_err(err, errno, "move_pages");
            for (size_t j = 0; j < k; j++)
                if (count_node(res, status[j], err) != 0)
                    return -1;
            done += k;
        }
    }
    return 0;
}

static int query_get_mempolicy(const struct cdn_place_range *r, size_t n, struct cdn_place_result *res,
                               char err[CDN_ERR_LEN])
{
    unsigned char resident[CDN_PLACE_BATCH];
    size_t page = cdn_place_page_size();
    for (size_t i = 0; i < n; i++) {
        size_t total = r[i].len / page;
        for (size_t done = 0; done < total;) {
            size_t k = total - done < CDN_PLACE_BATCH ? total - done : CDN_PLACE_BATCH;
            char *batch = (char *)r[i].addr + done * page;
            /* For a page not faulted in, MPOL_F_ADDR|MPOL_F_NODE would fault it in: ask first. */
            if (mincore(batch, k * page, resident) != 0)
                return cdn_err(err, errno, "mincore");
            for (size_t j = 0; j < k; j++) {
                int node = -1;
                if (resident[j] & 1 &&
                    get_mempolicy(&node, NULL, 0, batch + j * page, MPOL_F_NODE | MPOL_F_ADDR) != 0)
                    return cdn_err(err, errno, "get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR)");
                if (count_node(res, node, err) != 0)
                    return -1;
            }
            done += k;
        }
    }
    return 0;
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
    switch (src) {
    case CDN_PLACE_MOVE_PAGES: return query_move_pages(ranges, n, res, err);
    case CDN_PLACE_GET_MEMPOLICY: return query_get_mempolicy(ranges, n, res, err);
    case CDN_PLACE_NUMA_MAPS: return cdn_place_query_numa_maps(ranges, n, res, err);
    default: return cdn_err(err, EINVAL, "placement source %d", (int)src);
    }
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
        char key[8];
        snprintf(key, sizeof key, "%d", k);
        json_object_set_new(per_node, key, json_integer(r->per_node[k]));
        if (CDN_NODESET_HAS(target, k))
            on_target += r->per_node[k];
    }
    int64_t present = r->pages - r->not_present;
    double pct = present > 0 ? 100.0 * (double)on_target / (double)present : 0.0;
    return json_pack("{s:s, s:I, s:I, s:o, s:I, s:b, s:s, s:o, s:I, s:f}",
                     "source", cdn_place_source_name(r->source), "pages", (json_int_t)r->pages,
                     "page_size", (json_int_t)cdn_place_page_size(), "per_node", per_node,
                     "not_present", (json_int_t)r->not_present, "exact", r->exact,
                     "fallback_reason", r->fallback_reason, "policy_nodes", cdn_nodeset_json(target),
                     "on_policy_nodes", (json_int_t)on_target, "on_policy_nodes_pct", pct);
}
