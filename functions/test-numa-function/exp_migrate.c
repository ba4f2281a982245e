/* exp_migrate.c: migrate_to=N moves the experiment's pages to node N after the touch, with
 * move_pages(2) in batches (each page's outcome counted by errno), or, where a seccomp profile
 * refuses move_pages, with mbind(MPOL_BIND, MPOL_MF_MOVE) per range; then locates every page again
 * as the proof. Reports the pages moved, already there and failed, the time and the MiB/s. */
#include "exp.h"

#include <errno.h>
#include <numaif.h>
#include <string.h>

#define MIG_PAGE 4096u
#define MIG_BATCH 1024u

static int errno_bucket(int e)
{
    static const int known[7] = {EBUSY, ENOMEM, EACCES, EFAULT, ENOENT, EIO, EINVAL};
    for (int i = 0; i < 7; i++)
        if (e == known[i])
            return i;
    return 7;
}

/* move_pages over every page; -1 with errno set by the call when it is refused as a whole. */
static int by_move_pages(const struct cdn_place_range *r, size_t n, int to, struct exp_migration *m)
{
    void *pages[MIG_BATCH];
    int nodes[MIG_BATCH], status[MIG_BATCH];
    for (size_t j = 0; j < MIG_BATCH; j++)
        nodes[j] = to;
    for (size_t i = 0; i < n; i++) {
        size_t total = r[i].len / MIG_PAGE;
        for (size_t done = 0; done < total;) {
            size_t k = total - done < MIG_BATCH ? total - done : MIG_BATCH;
            for (size_t j = 0; j < k; j++)
                pages[j] = (char *)r[i].addr + (done + j) * MIG_PAGE;
            if (move_pages(0, (unsigned long)k, pages, nodes, status, MPOL_MF_MOVE) < 0)
                return -1;
            for (size_t j = 0; j < k; j++) {
                if (status[j] == to)
                    continue;
                m->failed++;
                m->errors[errno_bucket(status[j] < 0 ? -status[j] : 0)]++;
            }
            done += k;
        }
    }
    return 0;
}

static int by_mbind(const struct cdn_place_range *r, size_t n, int to, char err[CDN_ERR_LEN])
{
    char why[CDN_ERR_LEN];
    for (size_t i = 0; i < n; i++)
        if (cdn_policy_mbind(r[i].addr, r[i].len, MPOL_BIND, (cdn_nodeset)1 << to, MPOL_MF_MOVE, why) != 0)
            return cdn_err(err, errno, "mbind(MPOL_BIND %d, MPOL_MF_MOVE)", to);
    return 0;
}

int exp_migrate(const struct cdn_place_range *r, size_t n, int to, int64_t already,
                struct exp_migration *out, char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    out->done = true;
    out->to = to;
    out->method = "move_pages";
    out->already = already;
    double t = cdn_now();
    if (by_move_pages(r, n, to, out) != 0) {
        int e = errno;
        if (e != EPERM && e != ENOSYS)
            return cdn_err(err, e, "move_pages to node %d", to), e == EACCES || e == ENODEV ? 422 : 500;
        cdn_err(out->fallback_reason, e, "move_pages refused (a seccomp profile?), so mbind moved the pages");
        out->method = "mbind(MPOL_MF_MOVE)";
        memset(out->errors, 0, sizeof out->errors);
        out->failed = 0;
        if (by_mbind(r, n, to, err) != 0)
            return errno == EPERM ? 500 : 422;
    }
    out->seconds = cdn_now() - t;
    if (cdn_place_query(r, n, &out->after, err) != 0)
        return 500;
    out->pages = out->after.pages;
    out->moved = out->after.per_node[to] - already;
    if (out->moved < 0)
        out->moved = 0;
    if (strcmp(out->method, "move_pages") != 0)
        out->failed = out->pages - out->after.not_present - out->after.per_node[to];
    return 0;
}
