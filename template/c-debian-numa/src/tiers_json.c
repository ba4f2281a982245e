/* tiers_json.c: renders a cdn_tier_snapshot (tiers.c) into the topology's JSON: per node its memory
 * tier, HMAT access attributes and weighted-interleave weight, and a "tiering" object with the
 * tiers, demotion and NUMA balancing; every absent field is null with the reason beside it. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static json_t *num_or_null(int64_t v)
{
    return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

static json_t *access_json(const struct cdn_tier_access *a)
{
    if (!a->have)
        return json_null();
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "initiators", cdn_nodeset_json(a->initiators),
                     "read_latency_ns", num_or_null(a->read_latency),
                     "write_latency_ns", num_or_null(a->write_latency),
                     "read_bandwidth_mb_s", num_or_null(a->read_bandwidth),
                     "write_bandwidth_mb_s", num_or_null(a->write_bandwidth));
}

json_t *cdn_tier_hmat_json(const struct cdn_tier_snapshot *t, int node)
{
    if (node < 0 || node >= CDN_MAX_NODES || !t->node[node].access[0].have)
        return json_null();
    return json_pack("{s:o, s:o}", "access0", access_json(&t->node[node].access[0]),
                     "access1", access_json(&t->node[node].access[1]));
}

/* The rank of tier id among the tiers present: 0 is the fastest (the lowest id). */
static int cdn_tier_rank(const struct cdn_tier_snapshot *t, int tier)
{
    int64_t seen_below = 0;
    int rank = 0;
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        int other = t->node[n].tier;
        if (!CDN_NODESET_HAS(t->nodes, n) || other < 0 || other >= tier || other >= 63)
            continue;
        if (!(seen_below & ((int64_t)1 << other)))
            rank++;
        seen_below |= (int64_t)1 << other;
    }
    return rank;
}

/* {"memory_tier": "...", ...}: why each null field of a node is null; NULL if none is. */
static json_t *node_absent(const struct cdn_tier_snapshot *t, int n)
{
    char buf[CDN_ERR_LEN];
    json_t *why = json_object();
    const struct cdn_tier_node *nd = &t->node[n];
    if (!why)
        return NULL;
    if (nd->tier < 0)
        json_object_set_new(why, "memory_tier", json_string(cdn_tier_absent(t, "memory_tiers", buf, sizeof buf)
            ? buf : "the node is in no memory_tierN/nodelist (a node without memory)"));
    if (!nd->access[0].have)
        json_object_set_new(why, "hmat", json_string(cdn_tier_absent(t, "hmat", buf, sizeof buf)
            ? buf : "no access0 for this node: the HMAT names no initiator for it"));
    if (nd->wi_weight < 0)
        json_object_set_new(why, "weighted_interleave_weight",
            json_string(cdn_tier_absent(t, "weighted_interleave", buf, sizeof buf)
            ? buf : "no weighted_interleave/nodeN file for this node"));
    return why;
}

static int attach_node(json_t *o, const struct cdn_tier_snapshot *t, int n)
{
    const struct cdn_tier_node *nd = &t->node[n];
    json_t *why = node_absent(t, n);
    if (!why)
        return -1;
    int rc = json_object_set_new(o, "memory_tier", nd->tier >= 0 ? json_integer(nd->tier) : json_null()) |
             json_object_set_new(o, "memory_tier_rank", nd->tier >= 0 ? json_integer(cdn_tier_rank(t, nd->tier))
                                                                      : json_null()) |
             json_object_set_new(o, "hmat", cdn_tier_hmat_json(t, n)) |
             json_object_set_new(o, "weighted_interleave_weight", num_or_null(nd->wi_weight));
    if (json_object_size(why) > 0)
        return rc | json_object_set_new(o, "absent", why);
    json_decref(why);
    return rc;
}

/* [{"tier": 4, "rank": 0, "nodes": [0,1]}, ...] in order of tier id. */
static json_t *tiers_json(const struct cdn_tier_snapshot *t)
{
    json_t *arr = json_array();
    int last = -1;
    for (int step = 0; arr && step < CDN_MAX_NODES; step++) {
        int next = -1;
        cdn_nodeset set = 0;
        for (int n = 0; n < CDN_MAX_NODES; n++) {
            int id = CDN_NODESET_HAS(t->nodes, n) ? t->node[n].tier : -1;
            if (id > last && (next < 0 || id < next))
                next = id;
        }
        if (next < 0)
            break;
        for (int n = 0; n < CDN_MAX_NODES; n++)
            if (CDN_NODESET_HAS(t->nodes, n) && t->node[n].tier == next)
                set |= (cdn_nodeset)1 << n;
        if (json_array_append_new(arr, json_pack("{s:i, s:i, s:o}", "tier", next, "rank", step,
                                                 "nodes", cdn_nodeset_json(set))) != 0)
            json_decref(arr), arr = NULL;
        last = next;
    }
    return arr;
}

static const char *balancing_mode(int v)
{
    static const char *const names[4] = {"off", "normal", "memory_tiering", "normal+memory_tiering"};
    return v >= 0 && v < 4 ? names[v] : "unknown";
}

static json_t *tiering_json(const struct cdn_tier_snapshot *t)
{
    static const char *const fields[] = {"memory_tiers", "hmat", "weighted_interleave",
                                         "demotion_enabled", "numa_balancing"};
    char buf[CDN_ERR_LEN];
    json_t *absent = json_object();
    for (size_t i = 0; absent && i < sizeof fields / sizeof fields[0]; i++)
        if (cdn_tier_absent(t, fields[i], buf, sizeof buf))
            json_object_set_new(absent, fields[i], json_string(buf));
    return json_pack("{s:s, s:o, s:b, s:o, s:o, s:o}", "kernel", t->kernel,
                     "memory_tiers", t->have_tiers ? tiers_json(t) : json_null(),
                     "hmat", t->have_hmat,
                     "demotion_enabled", t->demotion >= 0 ? json_boolean(t->demotion) : json_null(),
                     "numa_balancing", t->numa_balancing >= 0
                         ? json_pack("{s:i, s:s}", "value", t->numa_balancing, "mode",
                                     balancing_mode(t->numa_balancing))
                         : json_null(),
                     "absent", absent);
}

int cdn_tier_attach(json_t *topology, const struct cdn_tier_snapshot *t)
{
    json_t *nodes = json_object_get(topology, "nodes");
    size_t i;
    json_t *o;
    json_array_foreach(nodes, i, o) {
        json_int_t n = json_integer_value(json_object_get(o, "node"));
        if (n >= 0 && n < CDN_MAX_NODES && attach_node(o, t, (int)n) != 0)
            return -1;
    }
    json_t *tiering = tiering_json(t);
    return tiering ? json_object_set_new(topology, "tiering", tiering) : -1;
}
