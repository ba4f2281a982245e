/* nodeset.c: sets of NUMA node ids as 64-bit masks: parse and print kernel lists ("0-2,5"), and
 * convert to and from the node masks of get_mempolicy(2)/mbind(2), sized for the kernel. */
#include "internal.h"

#include <errno.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>

int cdn_nodeset_count(cdn_nodeset set)
{
    return __builtin_popcountll(set);
}

int cdn_nodeset_parse(const char *text, cdn_nodeset *out, char err[CDN_ERR_LEN])
{
    cdn_nodeset set = 0;
    const char *p = text;
    if (!p)
        return cdn_err(err, EINVAL, "node list");
    while (*p == ' ' || *p == '\t')
        p++;
    for (int items = 0; *p && *p != '\n' && items < CDN_MAX_NODES * 2; items++) {
        char *end = NULL;
        errno = 0;
        long lo = strtol(p, &end, 10);
        if (errno || end == p || lo < 0 || lo >= CDN_MAX_NODES)
            return cdn_err(err, 0, "node list \"%s\": bad or too large id", text);
        long hi = lo;
        p = end;
        if (*p == '-') {
            p++;
            errno = 0;
            hi = strtol(p, &end, 10);
            if (errno || end == p || hi < lo || hi >= CDN_MAX_NODES)
                return cdn_err(err, 0, "node list \"%s\": bad range", text);
            p = end;
        }
        for (long n = lo; n <= hi; n++)
            set |= (cdn_nodeset)1 << n;
        if (*p == ',')
            p++;
        else if (*p && *p != '\n')
            return cdn_err(err, 0, "node list \"%s\": unexpected '%c'", text, *p);
    }
    *out = set;
    return 0;
}

void cdn_nodeset_format(cdn_nodeset set, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        if (!CDN_NODESET_HAS(set, n))
            continue;
        int hi = n;
        while (hi + 1 < CDN_MAX_NODES && CDN_NODESET_HAS(set, hi + 1))
            hi++;
        int w = hi > n ? snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", n, hi)
                       : snprintf(buf + used, len - used, "%s%d", used ? "," : "", n);
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
        n = hi;
    }
}

json_t *cdn_nodeset_json(cdn_nodeset set)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        if (CDN_NODESET_HAS(set, n) && json_array_append_new(arr, json_integer(n)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

int cdn_json_set_node(json_t *obj, int node, json_t *value)
{
    char key[16];
    snprintf(key, sizeof key, "%d", node);
    return value && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

#define KMASK_WORD_BITS (8 * sizeof(unsigned long))

/* numa_bitmask_alloc() would do, but it exits the process when out of memory. */
int cdn_kmask_alloc(cdn_nodeset set, struct cdn_kmask *m, char err[CDN_ERR_LEN])
{
    int possible = numa_num_possible_nodes();
    if (possible < 1)
        return cdn_err(err, EINVAL, "numa_num_possible_nodes() = %d", possible);
    size_t bits = (size_t)possible > CDN_MAX_NODES ? (size_t)possible : CDN_MAX_NODES;
    m->n_words = (bits + KMASK_WORD_BITS - 1) / KMASK_WORD_BITS;
    m->words = calloc(m->n_words, sizeof *m->words);
    if (!m->words)
        return cdn_err(err, ENOMEM, "node mask of %zu bits", bits);
    m->maxnode = (unsigned long)bits + 1;   /* the kernel reads maxnode - 1 bits */
    for (int n = 0; n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(set, n))
            m->words[(size_t)n / KMASK_WORD_BITS] |= 1UL << ((size_t)n % KMASK_WORD_BITS);
    return 0;
}

int cdn_kmask_to_nodeset(const struct cdn_kmask *m, cdn_nodeset *out, char err[CDN_ERR_LEN])
{
    cdn_nodeset set = 0;
    size_t bits = (size_t)m->maxnode - 1;
    for (size_t n = 0; n < bits; n++) {
        if (!((m->words[n / KMASK_WORD_BITS] >> (n % KMASK_WORD_BITS)) & 1))
            continue;
        if (n >= CDN_MAX_NODES)
            return cdn_err(err, 0, "node %zu is in the mask, above the largest id handled (%d)", n,
                           CDN_MAX_NODES - 1);
        set |= (cdn_nodeset)1 << n;
    }
    *out = set;
    return 0;
}

void cdn_kmask_free(struct cdn_kmask *m)
{
    free(m->words);
    m->words = NULL;
    m->n_words = 0;
    m->maxnode = 0;
}
