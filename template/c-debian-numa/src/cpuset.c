/* cpuset.c: sets of CPU ids as bitmaps of CDN_MAX_CPUS bits (every id a Linux kernel can have):
 * parse kernel cpulists ("0-3,8,10-11") of any length from text or a file, count them, and print
 * them back. Nothing is ever cut short: an id beyond the bitmap or malformed text is an error. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_BITS 64
#define CPULIST_MAX_BYTES (1 << 20)    /* far above the longest list of CDN_MAX_CPUS ids */

/* Reads a CPU id at *p (digits only: no sign, no blanks), advancing *p. -1 if there is none. */
static long cpu_id(const char **p)
{
    if (**p < '0' || **p > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(*p, &end, 10);
    if (errno)
        return -1;
    *p = end;
    return v;
}

int cdn_cpuset_parse(const char *text, cdn_cpuset *out, char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    if (!text)
        return cdn_err(err, EINVAL, "cpu list");
    const char *p = text;
    while (*p && *p != '\n') {
        long lo = cpu_id(&p), hi = lo;
        if (lo >= 0 && *p == '-') {
            p++;
            hi = cpu_id(&p);
        }
        if (lo < 0 || hi < lo)
            return cdn_err(err, 0, "cpu list \"%.60s\": malformed", text);
        if (hi >= CDN_MAX_CPUS)
            return cdn_err(err, 0, "cpu list \"%.60s\": CPU %ld is above the largest id Linux "
                           "allows (%d)", text, hi, CDN_MAX_CPUS - 1);
        for (long c = lo; c <= hi; c++)
            out->bits[c / WORD_BITS] |= (uint64_t)1 << (c % WORD_BITS);
        if (*p == ',' && p[1] && p[1] != '\n')
            p++;
        else if (*p && *p != '\n')
            return cdn_err(err, 0, "cpu list \"%.60s\": unexpected '%c'", text, *p);
    }
    if (*p == '\n' && p[1])
        return cdn_err(err, 0, "cpu list \"%.60s\": more than one line", text);
    return 0;
}

int cdn_cpuset_has(const cdn_cpuset *set, int cpu)
{
    return cpu >= 0 && cpu < CDN_MAX_CPUS && ((set->bits[cpu / WORD_BITS] >> (cpu % WORD_BITS)) & 1u);
}

int cdn_cpuset_count(const cdn_cpuset *set)
{
    int n = 0;
    for (size_t i = 0; i < sizeof set->bits / sizeof set->bits[0]; i++)
        n += __builtin_popcountll(set->bits[i]);
    return n;
}

/* Writes the list into buf (cap bytes), or only counts when buf is NULL. Returns its length. */
static size_t emit(const cdn_cpuset *set, char *buf, size_t cap)
{
    size_t used = 0;
    for (int c = 0; c < CDN_MAX_CPUS; c++) {
        if (!cdn_cpuset_has(set, c))
            continue;
        int hi = c;
        while (hi + 1 < CDN_MAX_CPUS && cdn_cpuset_has(set, hi + 1))
            hi++;
        char item[32];
        int w = hi > c ? snprintf(item, sizeof item, "%s%d-%d", used ? "," : "", c, hi)
                       : snprintf(item, sizeof item, "%s%d", used ? "," : "", c);
        if (buf && used + (size_t)w < cap)
            memcpy(buf + used, item, (size_t)w + 1);
        used += (size_t)w;
        c = hi;
    }
    return used;
}

char *cdn_cpuset_format(const cdn_cpuset *set)
{
    size_t len = emit(set, NULL, 0);
    char *text = malloc(len + 1);
    if (!text)
        return NULL;
    text[0] = '\0';
    emit(set, text, len + 1);
    return text;
}

json_t *cdn_cpuset_list_json(const cdn_cpuset *set)
{
    char *text = cdn_cpuset_format(set);
    json_t *j = text ? json_string(text) : NULL;
    free(text);
    return j;
}

int cdn_cpuset_read(const char *path, cdn_cpuset *out, char err[CDN_ERR_LEN])
{
    FILE *f = fopen(path, "re");
    if (!f)
        return cdn_err(err, errno, "open %s", path);
    char *text = NULL, why[CDN_ERR_LEN] = "";
    size_t cap = 0;
    errno = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f); /* the whole file, unless it holds a NUL */
    int e = errno, rc = 0;
    if (n < 0 && e != 0)
        rc = cdn_err(err, e, "read %s", path);
    else if (n > CPULIST_MAX_BYTES)
        rc = cdn_err(err, EFBIG, "read %s: longer than %d bytes", path, CPULIST_MAX_BYTES);
    else if (n > 0 && text[n - 1] == '\0')
        rc = cdn_err(err, 0, "%s: malformed, a NUL byte at offset %zd", path, n - 1);
    else if (cdn_cpuset_parse(n > 0 ? text : "", out, why) != 0)
        rc = cdn_err(err, 0, "%s: %s", path, why);
    free(text);
    fclose(f);
    return rc;
}
