/* exp_params_tier.c: the tiered-memory parameters (policy, nodes, migrate_to, resample_ms,
 * measure, sweep), from the query string or the JSON body, parsed strictly, and the checks on how
 * they combine with each other and with the base parameters (400 on anything else). */
#include "exp_tier.h"

#include <errno.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>

#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif
#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6
#endif

static const char *const mpol_names[] = {"none", "bind", "preferred", "interleave",
                                         "weighted-interleave"};

const char *exp_mpol_name(enum exp_mpol m)
{
    return (unsigned)m < sizeof mpol_names / sizeof mpol_names[0] ? mpol_names[m] : "unknown";
}

int exp_mpol_mode(enum exp_mpol m, cdn_nodeset nodes)
{
    switch (m) {
    case EXP_MPOL_BIND: return MPOL_BIND;
    case EXP_MPOL_PREFERRED: return cdn_nodeset_count(nodes) > 1 ? MPOL_PREFERRED_MANY : MPOL_PREFERRED;
    case EXP_MPOL_INTERLEAVE: return MPOL_INTERLEAVE;
    case EXP_MPOL_WEIGHTED_INTERLEAVE: return MPOL_WEIGHTED_INTERLEAVE;
    default: return -1;
    }
}

static int int_value(const char *name, struct exp_value v, int64_t min, int64_t max, int64_t *out,
                     char err[CDN_ERR_LEN])
{
    if (v.json) {
        if (!json_is_integer(v.json))
            return cdn_err(err, 0, "%s: expected a whole number", name);
        *out = json_integer_value(v.json);
    } else {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(v.text, &end, 10);
        if (errno || end == v.text || *end)
            return cdn_err(err, 0, "%s: \"%.40s\" is not a whole number", name, v.text);
        *out = n;
    }
    if (*out < min || *out > max)
        return cdn_err(err, 0, "%s: %lld is out of range %lld..%lld", name, (long long)*out,
                       (long long)min, (long long)max);
    return 0;
}

static int policy_value(struct exp_value v, enum exp_mpol *out, char err[CDN_ERR_LEN])
{
    const char *s = v.json ? json_string_value(v.json) : v.text;
    if (!s)
        return cdn_err(err, 0, "policy: expected a string");
    for (size_t i = 1; i < sizeof mpol_names / sizeof mpol_names[0]; i++)
        if (strcmp(s, mpol_names[i]) == 0) {
            *out = (enum exp_mpol)i;
            return 0;
        }
    return cdn_err(err, 0, "policy: \"%.40s\" is not one of bind, preferred, interleave, "
                   "weighted-interleave", s);
}

/* nodes: "0,2" or "0-2" (query or JSON string), or a JSON array of node ids. */
static int nodes_value(struct exp_value v, cdn_nodeset *out, char err[CDN_ERR_LEN])
{
    char why[CDN_ERR_LEN];
    *out = 0;
    if (v.json && json_is_array(v.json)) {
        size_t i;
        json_t *e;
        json_array_foreach(v.json, i, e) {
            if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) >= CDN_MAX_NODES)
                return cdn_err(err, 0, "nodes: item %zu is not a node id 0..%d", i, CDN_MAX_NODES - 1);
            *out |= (cdn_nodeset)1 << json_integer_value(e);
        }
    } else {
        const char *s = v.json ? json_string_value(v.json) : v.text;
        if (!s)
            return cdn_err(err, 0, "nodes: expected a list like \"0,2\" or [0,2]");
        if (strchr(s, '\n') || cdn_nodeset_parse(s, out, why) != 0)
            return cdn_err(err, 0, "nodes: \"%.40s\" is not a node list like 0,2 or 0-2", s);
    }
    return *out ? 0 : cdn_err(err, 0, "nodes: the list is empty");
}

static int measure_word(const char *w, size_t len, unsigned *out, char err[CDN_ERR_LEN])
{
    if (len == 7 && strncmp(w, "latency", 7) == 0)
        *out |= EXP_MEASURE_LATENCY;
    else if (len == 9 && strncmp(w, "bandwidth", 9) == 0)
        *out |= EXP_MEASURE_BANDWIDTH;
    else
        return cdn_err(err, 0, "measure: \"%.*s\" is not latency or bandwidth", (int)(len > 40 ? 40 : len), w);
    return 0;
}

/* measure: "latency", "bandwidth", "latency,bandwidth", or a JSON array of those words. */
static int measure_value(struct exp_value v, unsigned *out, char err[CDN_ERR_LEN])
{
    *out = 0;
    if (v.json && json_is_array(v.json)) {
        size_t i;
        json_t *e;
        json_array_foreach(v.json, i, e) {
            const char *s = json_string_value(e);
            if (!s || measure_word(s, strlen(s), out, err) != 0)
                return s ? -1 : cdn_err(err, 0, "measure: item %zu is not a string", i);
        }
        return *out ? 0 : cdn_err(err, 0, "measure: the list is empty");
    }
    const char *s = v.json ? json_string_value(v.json) : v.text;
    if (!s || !*s)
        return cdn_err(err, 0, "measure: expected latency, bandwidth or latency,bandwidth");
    for (const char *p = s; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (measure_word(p, len, out, err) != 0)
            return -1;
        p += len + (comma ? 1 : 0);
        if (comma && !*p)
            return cdn_err(err, 0, "measure: \"%.40s\" ends with a comma", s);
    }
    return 0;
}

static int bool_value(const char *name, struct exp_value v, bool *out, char err[CDN_ERR_LEN])
{
    if (v.json) {
        if (!json_is_boolean(v.json))
            return cdn_err(err, 0, "%s: expected true or false", name);
        *out = json_is_true(v.json);
    } else if (strcmp(v.text, "true") == 0 || strcmp(v.text, "1") == 0) {
        *out = true;
    } else if (strcmp(v.text, "false") == 0 || strcmp(v.text, "0") == 0) {
        *out = false;
    } else {
        return cdn_err(err, 0, "%s: \"%.40s\" is not true/false/1/0", name, v.text);
    }
    return 0;
}

int exp_tier_param_set(struct exp_tier_params *t, const char *name, struct exp_value v,
                       char err[CDN_ERR_LEN])
{
    int64_t n = 0;
    if (strcmp(name, "policy") == 0)
        return policy_value(v, &t->policy, err);
    if (strcmp(name, "nodes") == 0)
        return nodes_value(v, &t->nodes, err);
    if (strcmp(name, "measure") == 0)
        return measure_value(v, &t->measure, err);
    if (strcmp(name, "sweep") == 0)
        return bool_value(name, v, &t->sweep, err);
    if (strcmp(name, "migrate_to") == 0) {
        if (int_value(name, v, 0, CDN_MAX_NODES - 1, &n, err) != 0)
            return -1;
        t->migrate_to = (int)n;
        return 0;
    }
    if (strcmp(name, "resample_ms") == 0) {
        if (int_value(name, v, 10, 60000, &n, err) != 0)
            return -1;
        t->resample_ms = n;
        return 0;
    }
    return cdn_err(err, 0, "%s: not a tiered-memory parameter", name);
}

int exp_tier_params_check(const struct exp_tier_params *t, int node, int alloc_is_mmap, bool touch,
                          int64_t hold_ms, char err[CDN_ERR_LEN])
{
    if (t->policy != EXP_MPOL_NONE && node >= 0)
        return cdn_err(err, 0, "node=%d and policy=%s both set where the chunks go: node=N is "
                       "policy=bind&nodes=N, give one of them", node, exp_mpol_name(t->policy));
    if (t->policy != EXP_MPOL_NONE && !t->nodes)
        return cdn_err(err, 0, "policy=%s needs nodes (e.g. nodes=0,2)", exp_mpol_name(t->policy));
    if (t->policy == EXP_MPOL_NONE && t->nodes)
        return cdn_err(err, 0, "nodes needs a policy (bind, preferred, interleave, weighted-interleave)");
    if (t->policy != EXP_MPOL_NONE && !alloc_is_mmap)
        return cdn_err(err, 0, "policy=%s mbinds mmap'd chunks: use alloc=mmap", exp_mpol_name(t->policy));
    if (t->migrate_to >= 0 && !touch)
        return cdn_err(err, 0, "migrate_to needs touch=true: untouched pages have no node to leave");
    if (t->measure && !touch)
        return cdn_err(err, 0, "measure needs touch=true: it times memory already placed");
    if (t->sweep && !t->measure)
        return cdn_err(err, 0, "sweep=true repeats the measurement: give measure=latency,bandwidth");
    if (t->resample_ms > 0 && hold_ms == 0)
        return cdn_err(err, 0, "resample_ms re-reads placement while the buffers are held: give hold_ms");
    if (t->resample_ms > 0 && hold_ms / t->resample_ms > EXP_MAX_SAMPLES)
        return cdn_err(err, 0, "hold_ms/resample_ms = %lld samples, more than %d",
                       (long long)(hold_ms / t->resample_ms), EXP_MAX_SAMPLES);
    return 0;
}
