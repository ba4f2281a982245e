/* procstat.c: one process's memory per node, from /proc/PID/numa_maps and /proc/PID/status:
 * the pages of the mappings that start inside given address ranges, its other anonymous and
 * file-backed pages, its page tables (VmPTE), its parent's pid and its name. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROCSTAT_MAX_LINE 65536     /* longer numa_maps lines (absurd paths) are skipped */
#define PROCSTAT_PAGE 4096

static int cmp_range(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const struct cdn_place_range *)a)->addr;
    uintptr_t y = (uintptr_t)((const struct cdn_place_range *)b)->addr;
    return x < y ? -1 : x > y;
}

/* ranges sorted by address: is addr inside one of them? */
static bool in_sorted(uintptr_t addr, const struct cdn_place_range *r, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)r[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && addr - (uintptr_t)r[lo - 1].addr < r[lo - 1].len;
}

/* numa_maps counts are text: negative ones are ignored and every sum stops at 2^50 bytes. */
#define PROCSTAT_CAP ((int64_t)1 << 50)
static void add_bytes(int64_t *acc, long long pages, int64_t page_bytes)
{
    int64_t b;
    if (pages < 0)
        return;
    if (__builtin_mul_overflow((int64_t)pages, page_bytes, &b) || b > PROCSTAT_CAP - *acc)
        *acc = PROCSTAT_CAP;
    else
        *acc += b;
}

/* One numa_maps line after its address: "policy [file=...|heap|stack|anon=..] ... N0=12 ...". */
static void add_line(char *rest, bool in_range, struct cdn_procstat *out)
{
    long long counts[CDN_MAX_NODES] = {0};
    int64_t page_bytes = PROCSTAT_PAGE;
    bool file = false;
    char *save = NULL;
    char *policy = strtok_r(rest, " \n", &save);
    if (policy && !out->policy[0])
        snprintf(out->policy, sizeof out->policy, "%s", policy);
    for (char *tok = strtok_r(NULL, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
        int node;
        long long v;
        if (strncmp(tok, "file=", 5) == 0)
            file = true;
        else if (sscanf(tok, "N%d=%lld", &node, &v) == 2 && node >= 0 && node < CDN_MAX_NODES && v > 0)
            counts[node] = v;
        else if (sscanf(tok, "kernelpagesize_kB=%lld", &v) == 1 && v >= 4 && v <= (1LL << 24))
            page_bytes = (int64_t)v * 1024;
    }
    int64_t *dest = in_range ? out->in_ranges : file ? out->file : out->anon;
    for (int k = 0; k < CDN_MAX_NODES; k++)
        if (counts[k])
            add_bytes(&dest[k], counts[k], page_bytes);
}

int cdn_procstat_parse_numa_maps(FILE *f, const struct cdn_place_range *ranges, size_t n,
                             struct cdn_procstat *out, char err[CDN_ERR_LEN])
{
    struct cdn_place_range *sorted = NULL;
    if (n > 0) {
        sorted = malloc(n * sizeof *sorted);
        if (!sorted)
            return cdn_err(err, ENOMEM, "numa_maps ranges");
        memcpy(sorted, ranges, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, cmp_range);
    }
    memset(out->anon, 0, sizeof out->anon);
    memset(out->file, 0, sizeof out->file);
    memset(out->in_ranges, 0, sizeof out->in_ranges);
    out->policy[0] = '\0';
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    for (long i = 0; i < 1000000 && (len = getline(&line, &cap, f)) > 0; i++) {
        char *end;
        errno = 0;
        unsigned long long addr = strtoull(line, &end, 16);
        if (len > PROCSTAT_MAX_LINE || errno || end == line || *end != ' ')
            continue;
        add_line(end + 1, in_sorted((uintptr_t)addr, sorted, n), out);
    }
    int e = ferror(f) ? EIO : 0;
    free(line);
    free(sorted);
    if (e)
        return cdn_err(err, e, "read numa_maps");
    return 0;
}

int cdn_procstat_parse_status(FILE *f, struct cdn_procstat *out, char err[CDN_ERR_LEN])
{
    char line[512];
    int found = 0;
    out->vm_pte = -1;
    for (int i = 0; i < 200 && fgets(line, sizeof line, f); i++) {
        long long v;
        if (sscanf(line, "Pid: %lld", &v) == 1 && v > 0 && v <= INT32_MAX)
            out->pid = (int)v, found |= 1;
        else if (sscanf(line, "PPid: %lld", &v) == 1 && v >= 0 && v <= INT32_MAX)
            out->ppid = (int)v, found |= 2;
        else if (sscanf(line, "VmPTE: %lld kB", &v) == 1 && v >= 0 && v < (1LL << 40))
            out->vm_pte = v * 1024;
        else if (strncmp(line, "Name:", 5) == 0) {
            const char *name = line + 5 + strspn(line + 5, " \t");
            snprintf(out->comm, sizeof out->comm, "%.*s", (int)strcspn(name, "\n"), name);
        }
    }
    if (ferror(f))
        return cdn_err(err, EIO, "read status");
    if (found != 3)
        return cdn_err(err, 0, "status: no Pid/PPid lines");
    return 0;
}

static FILE *open_in(const char *dir, const char *name, char err[CDN_ERR_LEN])
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "re");
    if (!f)
        cdn_err(err, errno, "open %s", path);
    return f;
}

int cdn_procstat_read_with(const char *proc_dir, FILE *numa_maps, const struct cdn_place_range *ranges,
                       size_t n, struct cdn_procstat *out, char err[CDN_ERR_LEN])
{
    char e[CDN_ERR_LEN] = "";
    memset(out, 0, sizeof *out);
    out->vm_pte = -1;
    FILE *f = open_in(proc_dir, "status", e);
    int rc = f ? cdn_procstat_parse_status(f, out, e) : -1;
    if (f)
        fclose(f);
    if (rc == 0 && numa_maps) {
        rc = cdn_procstat_parse_numa_maps(numa_maps, ranges, n, out, e);
    } else if (rc == 0 && (f = open_in(proc_dir, "numa_maps", e)) != NULL) {
        rc = cdn_procstat_parse_numa_maps(f, ranges, n, out, e);
        fclose(f);
    } else {
        rc = -1;
    }
    if (rc != 0) {
        snprintf(out->reason, sizeof out->reason, "%s", e);
        return cdn_err(err, 0, "%s", e);
    }
    out->readable = 1;
    return 0;
}

int cdn_procstat_read(const char *proc_dir, const struct cdn_place_range *ranges, size_t n,
                  struct cdn_procstat *out, char err[CDN_ERR_LEN])
{
    return cdn_procstat_read_with(proc_dir, NULL, ranges, n, out, err);
}
