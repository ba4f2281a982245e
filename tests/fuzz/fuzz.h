/* fuzz.h: what the three files of the parsers' libFuzzer target share: splitting an input into
 * NUL-separated parts, the scratch tree of kernel files, and one fuzz entry per parser. */
#ifndef CDN_FUZZ_H
#define CDN_FUZZ_H

#include "internal.h"

#include <stddef.h>
#include <stdint.h>

/* Parts of an input separated by NUL bytes: at most max parts, the last one takes the rest
 * (NULs included). Returns the number of parts (at least 1). */
struct fuzz_part {
    const uint8_t *data;
    size_t len;
};
size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t max);

/* A malloc'd NUL-terminated copy; aborts when out of memory. */
char *fuzz_dup_text(const uint8_t *data, size_t size);

/* 1 if every byte of every part is ASCII, as everything the kernel writes in these files is.
 * (Other bytes copied into a JSON string can make the renderers return NULL, which the callers
 * answer with 500.) */
int fuzz_is_ascii(const struct fuzz_part *parts, size_t n);

/* 1 when a renderer's JSON j is there to check; 0 when it is NULL for input that is not all ASCII
 * (parts), which the callers answer with 500; a NULL for ASCII input is a finding: fuzz_fail(who). */
int fuzz_json_usable(const json_t *j, const struct fuzz_part *parts, size_t n, const char *who);

/* An error text is a non-empty string inside its buffer; otherwise fuzz_fail(who). */
void check_err(const char err[CDN_ERR_LEN], const char *who);

/* An invariant does not hold: report it and abort (libFuzzer keeps the input). */
void fuzz_fail(const char *what) __attribute__((noreturn));

/* fuzz_text.c: the parsers of kernel text in memory. */
void fuzz_numa_maps(const uint8_t *data, size_t size);  /* cdn_place_parse_numa_maps */
void fuzz_zoneinfo(const uint8_t *data, size_t size);   /* cdn_nodestat_parse_zoneinfo */
void fuzz_nodestat(const uint8_t *data, size_t size);   /* nodeN/meminfo counters + numastat */
void fuzz_procstat(const uint8_t *data, size_t size);   /* /proc/PID/numa_maps + status */
void fuzz_smaps(const uint8_t *data, size_t size);      /* cdn_place_parse_smaps */

/* fuzz_trees.c: builds the scratch tree once (under $TMPDIR), removed at exit. */
int fuzz_trees_init(void);

/* The parsers that read kernel files, fed through the scratch tree. */
void fuzz_meminfo(const uint8_t *data, size_t size);    /* meminfo + nodestat snapshots */
void fuzz_cgroup(const uint8_t *data, size_t size);     /* /proc/self/cgroup + limit files */
void fuzz_topology(const uint8_t *data, size_t size);   /* cpulist, distance, meminfo, PCI */
void fuzz_status(const uint8_t *data, size_t size);     /* /proc/self/status cpu/mem lists */

#endif /* CDN_FUZZ_H */
