/* placement.c: the exact node of every page in a set of address ranges. Sources, in order of
 * preference: move_pages(2) (refused by container seccomp profiles), per-page
 * get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR), and the process's own /proc/self/numa_maps. */
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

#define PLACE_PAGE 4096u
#define PLACE_BATCH 4096u   /* pages per move_pages call */

const char *place_source_name(enum place_source s)
{
    static const char *const names[PLACE_SOURCE_COUNT] = {"move_pages", "get_mempolicy", "numa_maps"};
    return (unsigned)s < PLACE_SOURCE_COUNT ? names[s] : "unknown";
}

static void count_node(struct place_result *res, int node)
{
    if (node >= 0 && node < CDN_MAX_NODES)
        res->per_node[node]++;
    else
        res->not_present++;
}

static int query_move_pages(const struct place_range *r, size_t n, struct place_result *res,
                            char err[CDN_ERR_LEN])
{
    void *pages[PLACE_BATCH];
    int status[PLACE_BATCH];
    for (size_t i = 0; i < n; i++) {
        size_t total = r[i].len / PLACE_PAGE;
        for (size_t done = 0; done < total;) {
            size_t k = total - done < PLACE_BATCH ? total - done : PLACE_BATCH;
            for (size_t j = 0; j < k; j++)
                pages[j] = (char *)r[i].addr + (done + j) * PLACE_PAGE;
            if (move_pages(0, (unsigned long)k, pages, NULL, status, 0) != 0)
                return cdn_err(err, errno, "move_pages");
            for (size_t j = 0; j < k; j++)
                count_node(res, status[j]); /* -ENOENT: not faulted in */
            done += k;
        }
    }
    return 0;
}

static int query_get_mempolicy(const struct place_range *r, size_t n, struct place_result *res,
                               char err[CDN_ERR_LEN])
{
    unsigned char resident[PLACE_BATCH];
    for (size_t i = 0; i < n; i++) {
        size_t total = r[i].len / PLACE_PAGE;
        for (size_t done = 0; done < total;) {
            size_t k = total - done < PLACE_BATCH ? total - done : PLACE_BATCH;
            char *batch = (char *)r[i].addr + done * PLACE_PAGE;
            /* For a page not faulted in, MPOL_F_ADDR|MPOL_F_NODE would fault it in: ask first. */
            if (mincore(batch, k * PLACE_PAGE, resident) != 0)
                return cdn_err(err, errno, "mincore");
            for (size_t j = 0; j < k; j++) {
                int node = -1;
                if (!(resident[j] & 1)) {
                    res->not_present++;
                    continue;
                }
                if (get_mempolicy(&node, NULL, 0, batch + j * PLACE_PAGE, MPOL_F_NODE | MPOL_F_ADDR) != 0)
                    return cdn_err(err, errno, "get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR)");
                count_node(res, node);
            }
            done += k;
        }
    }
    return 0;
}

static int in_ranges(uintptr_t addr, const struct place_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uintptr_t lo = (uintptr_t)r[i].addr;
        if (addr >= lo && addr < lo + r[i].len)
            return 1;
    }
    return 0;
}

/* numa_maps numbers are text: a negative count is ignored and sums stop at 2^48 pages (1 EiB),
 * so that no later sum of them (64 nodes, place_to_json) can overflow. */
#define PLACE_PAGES_CAP ((int64_t)1 << 48)
static int64_t add_capped(int64_t acc, long long pages, int64_t scale)
{
    int64_t prod;
    if (pages < 0)
        return acc;
    if (__builtin_mul_overflow((int64_t)pages, scale, &prod) || prod > PLACE_PAGES_CAP - acc)
        return PLACE_PAGES_CAP;
    return acc + prod;
}

/* Adds the N<id>=<pages> tokens of one numa_maps line; pages are scaled to 4 KiB units. */
static void add_numa_maps_line(char *line, struct place_result *res)
{
    int64_t counts[CDN_MAX_NODES] = {0};
    int64_t scale = 1;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
        int node;
        long long pages, kb;
        if (sscanf(tok, "N%d=%lld", &node, &pages) == 2 && node >= 0 && node < CDN_MAX_NODES)
            counts[node] = add_capped(counts[node], pages, 1);
        else if (sscanf(tok, "kernelpagesize_kB=%lld", &kb) == 1 && kb >= 4)
            scale = kb / 4;
    }
    for (int k = 0; k < CDN_MAX_NODES; k++)
        res->per_node[k] = add_capped(res->per_node[k], counts[k], scale);
}

int place_parse_numa_maps(FILE *f, const struct place_range *ranges, size_t n,
                          struct place_result *res, char err[CDN_ERR_LEN])
{
    char line[4096];
    for (long i = 0; i < 1000000 && fgets(line, sizeof line, f); i++) {
        char *end;
        errno = 0;
        unsigned long long addr = strtoull(line, &end, 16);
        if (errno || end == line || *end != ' ')
            continue;
        if (in_ranges((uintptr_t)addr, ranges, n))
            add_numa_maps_line(end, res);
    }
    if (ferror(f))
        return cdn_err(err, EIO, "read numa_maps");
    return 0;
}

static int query_numa_maps(const struct place_range *r, size_t n, struct place_result *res,
                           char err[CDN_ERR_LEN])
{
    FILE *f = fopen("/proc/self/numa_maps", "re");
    if (!f)
        return cdn_err(err, errno, "open /proc/self/numa_maps");
    int rc = place_parse_numa_maps(f, r, n, res, err);
    fclose(f);
    if (rc != 0)
        return -1;
    int64_t present = 0;
    for (int k = 0; k < CDN_MAX_NODES; k++)
        present += res->per_node[k];
    /* numa_maps counts whole mappings: exact only if they cover the ranges and nothing else. */
    res->not_present = res->pages > present ? res->pages - present : 0;
    res->exact = present <= res->pages;
    return 0;
}

int place_query_with(enum place_source src, const struct place_range *ranges, size_t n,
                     struct place_result *res, char err[CDN_ERR_LEN])
{
    int64_t pages = 0;
    for (size_t i = 0; i < n; i++)
        pages += (int64_t)(ranges[i].len / PLACE_PAGE);
    memset(res, 0, sizeof *res);
    res->source = src;
    res->pages = pages;
    res->exact = 1;
    switch (src) {
    case PLACE_MOVE_PAGES: return query_move_pages(ranges, n, res, err);
    case PLACE_GET_MEMPOLICY: return query_get_mempolicy(ranges, n, res, err);
    case PLACE_NUMA_MAPS: return query_numa_maps(ranges, n, res, err);
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

int place_query(const struct place_range *ranges, size_t n, struct place_result *res,
                char err[CDN_ERR_LEN])
{
    char why[CDN_ERR_LEN] = "";
    for (int s = 0; s < PLACE_SOURCE_COUNT; s++) {
        char e[CDN_ERR_LEN];
        if (place_query_with((enum place_source)s, ranges, n, res, e) == 0) {
            snprintf(res->fallback_reason, sizeof res->fallback_reason, "%s", why);
            return 0;
        }
        append_reason(why, sizeof why, e);
    }
    return cdn_err(err, 0, "no placement source answered: %s", why);
}

json_t *place_to_json(const struct place_result *r, cdn_nodeset target)
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
    return json_pack("{s:s, s:I, s:i, s:o, s:I, s:b, s:s, s:o, s:I, s:f}",
                     "source", place_source_name(r->source), "pages", (json_int_t)r->pages,
                     "page_size", (int)PLACE_PAGE, "per_node", per_node,
                     "not_present", (json_int_t)r->not_present, "exact", r->exact,
                     "fallback_reason", r->fallback_reason, "policy_nodes", cdn_nodeset_json(target),
                     "on_policy_nodes", (json_int_t)on_target, "on_policy_nodes_pct", pct);
}
