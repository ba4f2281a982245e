/* bare_loop.c: the limit for the experiment: N anonymous mmaps of CHUNK MiB, one write per
 * 4 KiB page, timed in-process, with no HTTP, JSON or accounting around it.
 *
 *   bare_loop [-n ITERATIONS] [-c CHUNK_MB] [-t]
 *     -n  chunks to map (1-100000, default 1000)
 *     -c  chunk size in MiB (1-1024, default 2)
 *     -t  transparent huge pages: each chunk 2 MiB-aligned (over-map and trim when the kernel
 *         did not align it) and madvise(MADV_HUGEPAGE)
 *
 * Phases as in test-numa-function: map every chunk, then write every page, then unmap.
 * Prints one JSON line: {"allocate_s":..,"touch_s":..,"alloc_touch_s":..,"release_s":..,
 * "anon_huge_bytes":..,"chunks":..,"chunk_bytes":..,"thp":..}. anon_huge_bytes is the
 * process's AnonHugePages after touching (from /proc/self/smaps_rollup). Exit 1 on any error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define BARE_PAGE 4096UL
#define BARE_HUGE (2UL * 1024 * 1024)
#define BARE_MAX_LINES 4096

struct bare_opts {
    long iterations;
    long chunk_mb;
    int thp;
};

static int parse_args(int argc, char **argv, struct bare_opts *o)
{
    o->iterations = 1000;
    o->chunk_mb = 2;
    o->thp = 0;
    int c;
    while ((c = getopt(argc, argv, "n:c:t")) != -1) {
        switch (c) {
        case 'n':
            if (parse_long(optarg, 1, 100000, &o->iterations) != 0)
                return -1;
            break;
        case 'c':
            if (parse_long(optarg, 1, 1024, &o->chunk_mb) != 0)
                return -1;
            break;
        case 't':
            o->thp = 1;
            break;
        default:
            return -1;
        }
    }
    return optind == argc ? 0 : -1;
}

static int now(double *out)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        return -1;
    }
    *out = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    return 0;
}

/* Maps len bytes 2 MiB-aligned: the plain mapping when the kernel aligned it already,
 * else an over-sized mapping trimmed at both ends. NULL on error (message printed). */
static char *map_aligned(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return NULL;
    }
    if (((uintptr_t)p & (BARE_HUGE - 1)) == 0)
        return p;
    if (munmap(p, len) != 0) {
        perror("munmap");
        return NULL;
    }
    size_t over = len + BARE_HUGE;
    char *raw = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        perror("mmap");
        return NULL;
    }
    uintptr_t start = ((uintptr_t)raw + BARE_HUGE - 1) & ~(uintptr_t)(BARE_HUGE - 1);
    size_t head = start - (uintptr_t)raw;
    size_t tail = over - head - len;
    if (head > 0 && munmap(raw, head) != 0) {
        perror("munmap");
        return NULL;
    }
    if (tail > 0 && munmap((char *)start + len, tail) != 0) {
        perror("munmap");
        return NULL;
    }
    return (char *)start;
}

/* AnonHugePages of this process in bytes, or -1 when smaps_rollup is unreadable. */
static long long anon_huge_bytes(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long long kb = -1;
    for (int i = 0; i < BARE_MAX_LINES && fgets(line, sizeof line, f) != NULL; i++) {
        if (sscanf(line, "AnonHugePages: %lld kB", &kb) == 1)
            break;
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return -1;
    return kb < 0 ? -1 : kb * 1024;
}

/* Maps one chunk: 2 MiB-aligned with MADV_HUGEPAGE for thp, else a plain mapping. NULL on error. */
static char *map_chunk(size_t len, int thp)
{
    if (thp) {
        char *p = map_aligned(len);
        if (p != NULL && madvise(p, len, MADV_HUGEPAGE) != 0) {
            perror("madvise(MADV_HUGEPAGE)");
            munmap(p, len);
            return NULL;
        }
        return p;
    }
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return NULL;
    }
    return p;
}

/* Unmaps the first n chunks; 0, or -1 after the first failure (the rest are still unmapped). */
static int unmap_chunks(char **chunks, long n, size_t len)
{
    int rc = 0;
    for (long i = 0; i < n; i++) {
        if (munmap(chunks[i], len) != 0) {
            perror("munmap");
            rc = -1;
        }
    }
    return rc;
}

/* The loop under test: map every chunk, touch every page, unmap; prints one JSON line. */
static int run(const struct bare_opts *o, char **chunks)
{
    size_t len = (size_t)o->chunk_mb * 1024 * 1024;
    long mapped = 0;
    double t0, t1, t2, t3, r0;
    if (now(&t0) != 0)
        return 1;
    for (; mapped < o->iterations; mapped++)
        if ((chunks[mapped] = map_chunk(len, o->thp)) == NULL)
            return unmap_chunks(chunks, mapped, len), 1;
    if (now(&t1) != 0)
        return unmap_chunks(chunks, mapped, len), 1;
    for (long i = 0; i < o->iterations; i++) {
        volatile char *p = chunks[i];
        for (size_t off = 0; off < len; off += BARE_PAGE)
            p[off] = 1;
    }
    if (now(&t2) != 0)
        return unmap_chunks(chunks, mapped, len), 1;
    long long huge = anon_huge_bytes();
    if (now(&r0) != 0 || unmap_chunks(chunks, mapped, len) != 0 || now(&t3) != 0)
        return 1;
    printf("{\"allocate_s\":%.6f,\"touch_s\":%.6f,\"alloc_touch_s\":%.6f,\"release_s\":%.6f,"
           "\"anon_huge_bytes\":%lld,\"chunks\":%ld,\"chunk_bytes\":%zu,\"thp\":%s}\n",
           t1 - t0, t2 - t1, t2 - t0, t3 - r0, huge, o->iterations, len,
           o->thp ? "true" : "false");
    if (fflush(stdout) != 0) {
        perror("stdout");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct bare_opts o;
    if (parse_args(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: bare_loop [-n ITERATIONS 1-100000] [-c CHUNK_MB 1-1024] [-t]\n");
        return 2;
    }
    char **chunks = calloc((size_t)o.iterations, sizeof *chunks);
    if (chunks == NULL) {
        perror("calloc");
        return 1;
    }
    int rc = run(&o, chunks);
    free(chunks);
    return rc;
}
