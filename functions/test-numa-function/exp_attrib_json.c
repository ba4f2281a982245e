/* exp_attrib_json.c: renders the attribution and the diagnosis into the experiment's answer
 * (layout in docs/answer.md): builds the context from the plan and the result, runs the
 * arithmetic and the diagnosis, and adds "attribution" and "diagnosis". */
#include "exp.h"

#include <numaif.h>
#include <stdlib.h>

static json_t *per_node(const int64_t *v, cdn_nodeset nodes)
{
    json_t *o = json_object();
    for (int n = 0; o && n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(nodes, n) && cdn_json_set_node(o, n, json_integer(v[n])) != 0)
            return json_decref(o), NULL;
    return o;
}

/* json_object_set_new that remembers a failure in *ok (the value is consumed either way). */
static void put(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (!obj || !value || json_object_set_new(obj, key, value) != 0)
        *ok = false;
}

static json_t *cell_json(const struct attrib_cell *x, uint32_t fields)
{
    bool ok = true;
    json_t *counters = json_object(), *shares = json_object();
    for (int f = CDN_NODESTAT_ANON_PAGES; f < CDN_NODESTAT_FIELDS; f++)
        if ((fields >> f) & 1)
            put(counters, cdn_nodestat_field_name((enum cdn_nodestat_field)f), json_integer(x->counter[f]), &ok);
    put(counters, "not_in_counters", json_integer(x->not_in_counters), &ok);
    for (int k = 0; k < ATTRIB_SHARES; k++)
        put(shares, attrib_share_name((enum attrib_share)k),
            x->have_share[k] ? json_integer(x->share[k]) : json_null(), &ok);
    if (!ok) {
        json_decref(counters);
        json_decref(shares);
        return NULL;
    }
    return json_pack("{s:I, s:o, s:o, s:I, s:I, s:o}", "used_change", (json_int_t)x->used_change,
                     "counters", counters, "shares", shares, "explained", (json_int_t)x->explained,
                     "unexplained", (json_int_t)x->unexplained, "unexplained_pct",
                     x->unexplained_pct < 0 ? json_null() : json_real(x->unexplained_pct));
}

static json_t *phases_json(const struct attrib_result *a)
{
    json_t *phases = json_object();
    for (int p = 0; phases && p < ATTRIB_PHASES; p++) {
        json_t *nodes = json_object();
        for (int n = 0; nodes && n < CDN_MAX_NODES; n++)
            if (CDN_NODESET_HAS(a->nodes, n) && cdn_json_set_node(nodes, n, cell_json(&a->cell[p][n], a->fields)) != 0)
                json_decref(nodes), nodes = NULL;
        if (!nodes || json_object_set_new(phases, attrib_phase_name((enum attrib_phase)p), nodes) != 0)
            json_decref(phases), phases = NULL;
    }
    return phases;
}

static json_t *numastat_json(const struct attrib_result *a)
{
    if (!a->have_numastat)
        return json_null();
    bool ok = true;
    json_t *o = json_object();
    for (int n = 0; ok && n < CDN_MAX_NODES; n++) {
        if (!CDN_NODESET_HAS(a->nodes, n))
            continue;
        json_t *c = json_object();
        for (int k = 0; k < CDN_NODESTAT_NUMA_COUNTERS; k++)
            put(c, cdn_nodestat_numa_name((enum cdn_nodestat_numa)k), json_integer(a->numastat[n][k]), &ok);
        ok = cdn_json_set_node(o, n, c) == 0 && ok;
    }
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

/* One process as seen when the experiment's pages were touched. */
static json_t *proc_json(const struct cdn_procstat *p, cdn_nodeset nodes)
{
    if (!p->readable)
        return json_pack("{s:b, s:s, s:i}", "readable", 0, "reason", p->reason, "pid", p->pid);
    return json_pack("{s:b, s:i, s:s, s:s, s:o, s:o, s:I}", "readable", 1, "pid", p->pid,
                     "comm", p->comm, "policy", p->policy, "anon", per_node(p->anon, nodes),
                     "file", per_node(p->file, nodes), "vm_pte", (json_int_t)p->vm_pte);
}

static json_t *attribution_json(const struct attrib_snaps *s, const struct attrib_result *a)
{
    const struct attrib_snap *t = &s->at[ATTRIB_TOUCHED];
    bool ok = true;
    json_t *unplaced = json_object();
    for (int p = 0; p < ATTRIB_PHASES; p++)
        put(unplaced, attrib_phase_name((enum attrib_phase)p), json_integer(a->pte_unplaced[p]), &ok);
    if (!ok)
        json_decref(unplaced), unplaced = NULL;
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:f}",
                     "used", a->with_pcp ? "MemTotal - MemFree - per-CPU free lists" : "MemTotal - MemFree",
                     "phases", phases_json(a), "page_tables_unplaced", unplaced,
                     "numastat", numastat_json(a), "process", proc_json(&t->self, a->nodes),
                     "parent", proc_json(&t->parent, a->nodes),
                     "counter_drift", per_node(t->node.drift, a->nodes), "snapshot_s", s->snapshot_s);
}

static json_t *diagnosis_json(const struct attrib_reason *r, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++)
        if (json_array_append_new(list, json_pack("{s:s, s:o, s:I, s:s}", "reason", attrib_why_name(r[i].why),
                                                  "node", r[i].node >= 0 ? json_integer(r[i].node) : json_null(),
                                                  "bytes", (json_int_t)r[i].bytes, "text", r[i].text)) != 0)
            json_decref(list), list = NULL;
    return list;
}

static struct attrib_context context(const struct exp_plan *plan, const struct exp_result *res)
{
    bool request_node = plan->params.node >= 0;
    return (struct attrib_context){
        .target = plan->target, .policy_mode = request_node ? MPOL_BIND : res->policy_after.mode,
        .policy_name = plan->target_policy, .task_nodes = cdn_policy_target_nodes(&res->policy_after),
        .mems_allowed = res->policy_after.mems_allowed,
        .mems_allowed_list = res->policy_after.mems_allowed_list, .bytes = plan->total_bytes,
        .thp = plan->params.thp, .touch = plan->params.touch, .placement_pages = res->placement.per_node};
}

int exp_attrib_attach(json_t *answer, const struct exp_plan *plan, const struct exp_result *res)
{
    struct attrib_context c = context(plan, res);
    struct attrib_result *a = calloc(1, sizeof *a);
    struct attrib_reason *why = calloc(ATTRIB_MAX_REASONS, sizeof *why);
    char err[CDN_ERR_LEN];
    json_t *attribution = NULL, *diagnosis = NULL;
    if (a && why && attrib_compute(&res->attrib, &c, a, err) != 0) {
        attribution = json_pack("{s:s}", "error", err);
        diagnosis = json_array();
    } else if (a && why) {
        attribution = attribution_json(&res->attrib, a);
        diagnosis = diagnosis_json(why, attrib_diagnose(&res->attrib, &c, a, why, ATTRIB_MAX_REASONS));
    }
    free(a);
    free(why);
    if (!attribution || !diagnosis) {
        json_decref(attribution);
        json_decref(diagnosis);
        return -1;
    }
    int rc = json_object_set_new(answer, "attribution", attribution);    /* consumes it, even on error */
    return json_object_set_new(answer, "diagnosis", diagnosis) != 0 || rc != 0 ? -1 : 0;
}
