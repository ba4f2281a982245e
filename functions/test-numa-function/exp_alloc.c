/* exp_alloc.c: the experiment's chunks, from allocation to release.
 * alloc=mmap: one arena, a PROT_NONE reservation whose chunks are carved out in order with
 * MAP_FIXED (2 MiB-aligned for thp), leaving a PROT_NONE guard page on each side, so the chunks
 * can never merge with a neighbouring mapping and numa_maps counts exactly them.
 * alloc=malloc: malloc'd blocks, each its own mapping (fn_init pins glibc's mmap threshold and
 * count). alloc=libnuma: numa_alloc_onnode. A per-request node binds every chunk with mbind
 * (moving the page malloc already wrote its header to); thp sets MADV_HUGEPAGE or MADV_NOHUGEPAGE
 * on every chunk. */
#include "exp.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_ALIGN ((size_t)2 << 20)

/* Every page that [p, p+len) lies on: for malloc this starts at the mapping, like numa_maps. */
static struct cdn_place_range covering_pages(void *p, size_t len)
{
    uintptr_t page = cdn_place_page_size();
    uintptr_t lo = (uintptr_t)p & ~(page - 1);
    uintptr_t hi = ((uintptr_t)p + len + page - 1) & ~(page - 1);
    return (struct cdn_place_range){(void *)lo, hi - lo};
}

static void set_chunk(struct exp_chunk *c, void *map, size_t map_len, void *user, size_t user_len)
{
    c->map = map;
    c->map_len = map_len;
    c->user = user;
    c->user_len = user_len;
    c->pages = covering_pages(user, user_len);
}

int exp_policy_error(char err[CDN_ERR_LEN], int e, const char *what)
{
    if (e == EPERM)
        cdn_err(err, e, "%s: setting a memory policy needs CAP_SYS_NICE here (docker run "
                "--cap-add SYS_NICE, or k8s/least-privilege.yaml)", what);
    else
        cdn_err(err, e, "%s", what);
    return e == EINVAL ? 422 : 500;
}

/* Reserves total bytes (aligned for thp) with a guard page on each side; nothing is accessible
 * until chunks are carved out. The reservation costs address space, not memory. */
static int reserve_arena(const struct exp_plan *plan, struct exp_chunks *c, char err[CDN_ERR_LEN])
{
    size_t page = cdn_place_page_size();
    size_t align = plan->params.thp ? HUGE_ALIGN : page;
    size_t total = (size_t)plan->total_bytes;
    size_t len = page + (align - page) + total + page;
    char *base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return cdn_err(err, errno, "mmap an arena of %zu bytes", len), 500;
    c->arena = base;
    c->arena_len = len;
    uintptr_t start = ((uintptr_t)base + page + align - 1) & ~(uintptr_t)(align - 1);
    c->span = (struct cdn_place_range){(void *)start, total};
    return 0;
}

/* Chunk i of the arena, made readable and writable in place. */
static int carve_chunk(const struct exp_plan *plan, struct exp_chunks *c, int64_t i,
                       char err[CDN_ERR_LEN])
{
    size_t len = (size_t)plan->chunk_bytes;
    char *at = (char *)c->span.addr + (size_t)i * len;
    char *p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED)
        return cdn_err(err, errno, "mmap chunk %lld of the arena (%zu bytes)", (long long)i, len), 500;
    set_chunk(&c->chunk[i], p, len, p, len);
    return 0;
}

static int libnuma_chunk(const struct exp_plan *plan, struct exp_chunk *ch, char err[CDN_ERR_LEN])
{
    size_t len = (size_t)plan->chunk_bytes;
    /* numa_alloc_onnode returns unbound memory when mbind fails: errors.c's numa_error override
     * records the failure, so it is caught here instead of silently measured. */
    cdn_libnuma_error_clear();
    void *p = numa_alloc_onnode(len, plan->params.node);
    if (!p)
        return cdn_err(err, ENOMEM, "numa_alloc_onnode(%zu, %d)", len, plan->params.node), 500;
    set_chunk(ch, p, len, p, len);
    if (cdn_libnuma_error()[0]) {
        cdn_err(err, 0, "numa_alloc_onnode: %s", cdn_libnuma_error());
        return strstr(err, "not permitted") ? exp_policy_error(err, EPERM, "numa_alloc_onnode (mbind)") : 500;
    }
    return 0;
}

static int alloc_chunk(const struct exp_plan *plan, struct exp_chunks *c, int64_t i, char err[CDN_ERR_LEN])
{
    size_t len = (size_t)plan->chunk_bytes;
    switch (plan->params.alloc) {
    case EXP_ALLOC_MALLOC: {
        void *p = malloc(len);
        if (!p)
            return cdn_err(err, errno, "malloc %zu bytes", len), 500;
        set_chunk(&c->chunk[i], p, len, p, len);
        return 0;
    }
    case EXP_ALLOC_LIBNUMA:
        return libnuma_chunk(plan, &c->chunk[i], err);
    case EXP_ALLOC_MMAP:
    default:
        return carve_chunk(plan, c, i, err);
    }
}

/* A per-request node or policy binds the chunk's pages (exp_policy.c); numa_alloc_onnode bound
 * its own. */
static int bind_chunk(const struct exp_plan *plan, struct exp_chunk *ch, char err[CDN_ERR_LEN])
{
    if (plan->params.alloc == EXP_ALLOC_LIBNUMA)
        return 0;
    return exp_policy_mbind(plan, ch->pages.addr, ch->pages.len, err);   /* exp_policy.c */
}

/* thp=true asks for transparent huge pages (alloc=mmap only: exp_params refuses the rest);
 * thp=false refuses them, because with THP "always" (Debian's default) the kernel would back
 * the chunks' aligned parts with huge pages anyway. */
static int advise_chunk(const struct exp_plan *plan, struct exp_chunk *ch, char err[CDN_ERR_LEN])
{
    int advice = plan->params.thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE;
    if (madvise(ch->pages.addr, ch->pages.len, advice) != 0)
        return cdn_err(err, errno, "madvise(%s)", plan->params.thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE"), 500;
    return 0;
}

int exp_chunks_alloc(const struct exp_plan *plan, struct exp_chunks *c, char err[CDN_ERR_LEN])
{
    memset(c, 0, sizeof *c);
    c->chunk = calloc((size_t)plan->params.iterations, sizeof *c->chunk);
    if (!c->chunk)
        return cdn_err(err, ENOMEM, "chunk table"), 500;
    int rc = plan->params.alloc == EXP_ALLOC_MMAP ? reserve_arena(plan, c, err) : 0;
    for (int64_t i = 0; rc == 0 && i < plan->params.iterations; i++) {
        rc = alloc_chunk(plan, c, i, err);
        if (c->chunk[i].map)
            c->n = i + 1;
        if (rc == 0)
            rc = bind_chunk(plan, &c->chunk[i], err);
        if (rc == 0)
            rc = advise_chunk(plan, &c->chunk[i], err);
    }
    if (rc == 0 && c->n > 0 && cdn_policy_read_addr(c->chunk[0].pages.addr, &c->first_policy, err) != 0)
        rc = 500;
    return rc;
}

/* Writes one byte on every page, inside the chunk's own bytes (the first page of a malloc
 * chunk starts with the allocator's header). */
void exp_chunks_touch(const struct exp_chunks *c)
{
    size_t page = cdn_place_page_size();
    for (int64_t i = 0; i < c->n; i++) {
        const struct exp_chunk *ch = &c->chunk[i];
        char *lo = ch->user, *end = lo + ch->user_len;
        volatile char *at = ch->pages.addr;
        for (size_t off = 0; off < ch->pages.len; off += page) {
            volatile char *p = at + off < (volatile char *)lo ? (volatile char *)lo : at + off;
            if (p < (volatile char *)end)
                *p = (char)(off / page);
        }
    }
}

struct cdn_place_range *exp_chunks_ranges(const struct exp_chunks *c, size_t *n, char err[CDN_ERR_LEN])
{
    size_t k = c->arena ? 1 : (size_t)c->n;
    struct cdn_place_range *r = malloc((k ? k : 1) * sizeof *r);
    if (!r)
        return cdn_err(err, ENOMEM, "page ranges"), NULL;
    if (c->arena)
        r[0] = c->span;
    for (size_t i = 0; !c->arena && i < k; i++)
        r[i] = c->chunk[i].pages;
    *n = k;
    return r;
}

struct cdn_place_range *exp_chunks_each(const struct exp_chunks *c, size_t *n, char err[CDN_ERR_LEN])
{
    struct cdn_place_range *r = malloc((c->n ? (size_t)c->n : 1) * sizeof *r);
    if (!r)
        return cdn_err(err, ENOMEM, "page ranges of %lld chunks", (long long)c->n), NULL;
    for (int64_t i = 0; i < c->n; i++)
        r[i] = c->chunk[i].pages;
    *n = (size_t)c->n;
    return r;
}

void exp_chunks_release(const struct exp_plan *plan, struct exp_chunks *c)
{
    for (int64_t i = 0; !c->arena && i < c->n; i++) {
        if (plan->params.alloc == EXP_ALLOC_MALLOC)
            free(c->chunk[i].map);
        else
            numa_free(c->chunk[i].map, c->chunk[i].map_len);
    }
    if (c->arena)
        munmap(c->arena, c->arena_len);
    free(c->chunk);
    memset(c, 0, sizeof *c);
}
