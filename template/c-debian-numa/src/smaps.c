/* smaps.c: whether a per-page source may ask once per transparent huge page. A PMD-mapped THP
 * covers one aligned block of hpage_pmd_size bytes whose subpages share one node, and smaps counts
 * exactly those pages as AnonHugePages. When the mappings covering a set of ranges lie inside them
 * and their AnonHugePages equals their Rss, every resident page there is in such a block, so each
 * aligned block wholly inside a range is either one huge page or not faulted in at all. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMAPS_MAX_LINES 4000000L
#define PMD_SIZE_FILE "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"

static int cmp_range(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const struct cdn_place_range *)a)->addr;
    uintptr_t y = (uintptr_t)((const struct cdn_place_range *)b)->addr;
    return x < y ? -1 : x > y;
}

/* 1 if [lo, hi) overlaps a range of r (sorted by address, disjoint); *inside is cleared when
 * it also reaches beyond the range it overlaps. */
static int overlaps(const struct cdn_place_range *r, size_t n, uintptr_t lo, uintptr_t hi, int *inside)
{
    size_t a = 0, b = n;    /* the last range starting below hi */
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if ((uintptr_t)r[mid].addr < hi)
            a = mid + 1;
        else
            b = mid;
    }
    if (a == 0)
        return 0;
    uintptr_t rlo = (uintptr_t)r[a - 1].addr, rhi = rlo + r[a - 1].len;
    if (rhi <= lo)
        return 0;
    if (lo < rlo || hi > rhi)
        *inside = 0;
    return 1;
}

/* Sums stop at SMAPS_KB_CAP (2^52 kB): text is not trusted to stay within int64_t. */
#define SMAPS_KB_CAP ((int64_t)1 << 52)
static int64_t add_kb(int64_t acc, long long kb)
{
    return kb <= 0 ? acc : kb >= SMAPS_KB_CAP - acc ? SMAPS_KB_CAP : acc + kb;
}

static void add_field(const char *line, struct cdn_place_smaps *out)
{
    long long kb;
    if (sscanf(line, "Rss: %lld kB", &kb) == 1)
        out->rss_kb = add_kb(out->rss_kb, kb);
    else if (sscanf(line, "AnonHugePages: %lld kB", &kb) == 1)
        out->anon_huge_kb = add_kb(out->anon_huge_kb, kb);
}

static int parse_sorted(FILE *f, const struct cdn_place_range *r, size_t n, struct cdn_place_smaps *out)
{
    char line[512];
    int in = 0;
    long i = 0;
    for (; i < SMAPS_MAX_LINES && fgets(line, sizeof line, f); i++) {
        unsigned long long lo, hi;
        int used = 0;
        if (sscanf(line, "%llx-%llx %n", &lo, &hi, &used) == 2 && used > 0 && lo < hi)
            in = overlaps(r, n, (uintptr_t)lo, (uintptr_t)hi, &out->inside);
        else if (in)
            add_field(line, out);
        if (!strchr(line, '\n'))    /* a longer line (a long path): skip the rest of it */
            for (int c = 0; c != EOF && c != '\n';)
                c = getc(f);
    }
    return i < SMAPS_MAX_LINES ? 0 : -1;
}

int cdn_place_parse_smaps(FILE *f, const struct cdn_place_range *ranges, size_t n, struct cdn_place_smaps *out,
                      char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    out->inside = 1;
    struct cdn_place_range *r = malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return cdn_err(err, ENOMEM, "%zu address ranges", n);
    memcpy(r, ranges, n * sizeof *r);
    qsort(r, n, sizeof *r, cmp_range);
    int rc = parse_sorted(f, r, n, out);
    free(r);
    if (rc != 0)
        return cdn_err(err, EFBIG, "smaps: more than %ld lines", SMAPS_MAX_LINES);
    if (ferror(f))
        return cdn_err(err, EIO, "read smaps");
    return 0;
}

static size_t pmd_size(void)
{
    FILE *f = fopen(PMD_SIZE_FILE, "re");
    unsigned long long v = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu", &v) != 1)
        v = 0;
    fclose(f);
    return (size_t)v;
}

size_t cdn_place_step(const struct cdn_place_range *ranges, size_t n)
{
    size_t page = cdn_place_page_size(), huge = pmd_size();
    struct cdn_place_smaps sm;
    if (huge <= page || huge % page != 0)
        return page;
    FILE *f = fopen("/proc/self/smaps", "re");
    if (!f)
        return page;
    int rc = cdn_place_parse_smaps(f, ranges, n, &sm, NULL);
    fclose(f);
    return rc == 0 && sm.inside && sm.rss_kb > 0 && sm.anon_huge_kb == sm.rss_kb ? huge : page;
}
