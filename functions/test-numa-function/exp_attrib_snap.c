/* exp_attrib_snap.c: the run stage's half of the attribution: at each phase point, the node
 * counters (nodestat), this process's pages with the experiment's ranges told apart, and its
 * parent's pages (procstat of /proc/PPID). Only this file of the attribution reads the kernel;
 * after the touch, this process's numa_maps comes read already (exp_run.c shares that one read
 * with the placement). */
#include "exp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_parent(int ppid, struct cdn_procstat *out)
{
    char dir[64];
    if (ppid <= 0) {
        memset(out, 0, sizeof *out);
        snprintf(out->reason, sizeof out->reason, "no parent process visible (PPid %d): this process "
                 "is the first of its PID namespace", ppid);
        return;
    }
    snprintf(dir, sizeof dir, "/proc/%d", ppid);
    if (cdn_procstat_read(dir, NULL, 0, out, NULL) != 0 && strstr(out->reason, "Permission denied"))
        snprintf(out->reason + strlen(out->reason), sizeof out->reason - strlen(out->reason),
                 " (reading another process's numa_maps needs the same user, or CAP_SYS_PTRACE)");
}

int exp_attrib_snap(struct attrib_snaps *s, enum attrib_at at, const struct exp_chunks *chunks,
                    const struct cdn_text *self_numa_maps, char err[CDN_ERR_LEN])
{
    if ((unsigned)at >= ATTRIB_SNAPS)
        return cdn_err(err, EINVAL, "attribution snapshot %d", (int)at), 500;
    size_t n = 0;
    struct cdn_place_range *ranges = NULL;
    if (chunks && !(ranges = exp_chunks_ranges(chunks, &n, err)))
        return 500;
    struct attrib_snap *x = &s->at[at];
    double t = cdn_now();
    memset(x, 0, sizeof *x);
    int rc = cdn_nodestat_snapshot("/sys", "/proc/zoneinfo", &x->node, err);
    if (rc == 0) {
        /* Unreadable processes are not errors: their reason is kept and their shares stay unknown. */
        FILE *nm = self_numa_maps && self_numa_maps->buf ? cdn_text_open(self_numa_maps, NULL) : NULL;
        cdn_procstat_read_with("/proc/self", nm, ranges, n, &x->self, NULL);
        if (nm)
            fclose(nm);
        read_parent(getppid(), &x->parent);
        x->taken = true;
    }
    s->snapshot_s += cdn_now() - t;
    free(ranges);
    return rc == 0 ? 0 : 500;
}
