/* exp_tier_json.c: the JSON of the tiered-memory stages (layout in docs/answer.md, "Tiered
 * memory"): the request's policy with the weights it used, the migration, the measurement next to
 * HMAT's declared figures, the resampled series with the migration counters, the sweep's matrix,
 * and the tier fields of the answer's topology. */
#include "exp.h"

#include <stdio.h>
#include <string.h>

static json_t *per_node_json(const int64_t per_node[CDN_MAX_NODES])
{
    json_t *o = json_object();
    for (int k = 0; o && k < CDN_MAX_NODES; k++)
        if (per_node[k] != 0 && cdn_json_set_node(o, k, json_integer((json_int_t)per_node[k])) != 0)
            json_decref(o), o = NULL;
    return o;
}

static json_t *policy_json(const struct exp_plan *plan, const struct exp_world *w)
{
    const struct exp_tier_params *t = &plan->params.tier;
    json_t *weights = json_null();
    if (t->policy == EXP_MPOL_WEIGHTED_INTERLEAVE) {
        int64_t wt[CDN_MAX_NODES] = {0};
        for (int k = 0; k < CDN_MAX_NODES; k++)
            if (CDN_NODESET_HAS(t->nodes, k))
                wt[k] = w->tiers.node[k].wi_weight;
        json_decref(weights);
        weights = per_node_json(wt);
    }
    return json_pack("{s:s, s:o, s:i, s:o}", "policy", exp_mpol_name(t->policy),
                     "nodes", cdn_nodeset_json(t->nodes), "mbind_mode", plan->mbind_mode,
                     "weights", weights);
}

static json_t *migration_json(const struct exp_migration *m)
{
    static const char *const names[8] = {"EBUSY", "ENOMEM", "EACCES", "EFAULT", "ENOENT", "EIO",
                                         "EINVAL", "other"};
    json_t *errors = json_object();
    for (int i = 0; errors && i < 8; i++)
        if (m->errors[i])
            json_object_set_new(errors, names[i], json_integer((json_int_t)m->errors[i]));
    double mib = (double)m->moved * 4096.0 / (double)EXP_MIB;
    return json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:f, s:o, s:o, s:I}", "to", m->to,
                     "method", m->method, "fallback_reason", m->fallback_reason,
                     "pages", (json_int_t)m->pages, "moved", (json_int_t)m->moved,
                     "already_there", (json_int_t)m->already, "failed", (json_int_t)m->failed,
                     "failed_by_errno", errors, "seconds", m->seconds,
                     "mib_s", m->seconds > 0 ? json_real(mib / m->seconds) : json_null(),
                     "per_node_after", per_node_json(m->after.per_node),
                     "not_present_after", (json_int_t)m->after.not_present);
}

/* HMAT's declared figures for every node holding pages of per_node. */
static json_t *hmat_for(const struct cdn_tier_snapshot *t, const int64_t per_node[CDN_MAX_NODES])
{
    json_t *o = json_object();
    for (int k = 0; o && k < CDN_MAX_NODES; k++)
        if (per_node[k] != 0)
            cdn_json_set_node(o, k, cdn_tier_hmat_json(t, k));
    return o;
}

static json_t *measure_json(const struct exp_measure *m)
{
    return json_pack("{s:i, s:i, s:I, s:I, s:o, s:o}", "cpu", m->cpu, "cpu_node", m->cpu_node,
                     "llc_bytes", (json_int_t)m->llc_bytes, "buffer_bytes", (json_int_t)m->buffer_bytes,
                     "latency", m->latency
                         ? json_pack("{s:f, s:I, s:I, s:f}", "ns_per_load", m->ns_per_load,
                                     "loads", (json_int_t)m->loads, "lines", (json_int_t)m->lines,
                                     "seconds", m->chase_s)
                         : json_null(),
                     "bandwidth", m->bandwidth
                         ? json_pack("{s:f, s:f, s:f, s:f}", "read_mib_s", m->read_mib_s,
                                     "write_mib_s", m->write_mib_s, "read_s", m->read_s,
                                     "write_s", m->write_s)
                         : json_null());
}

static json_t *measured_json(const struct exp_result *r, const struct exp_world *w)
{
    const int64_t *where = r->migration.done ? r->migration.after.per_node : r->placement.per_node;
    json_t *m = measure_json(&r->measure);
    if (m && (json_object_set_new(m, "per_node", per_node_json(where)) ||
              json_object_set_new(m, "hmat_declared", hmat_for(&w->tiers, where)) ||
              json_object_set_new(m, "virtualized", cdn_virt_to_json(&r->measure.virt))))
        json_decref(m), m = NULL;
    return m;
}

/* {name: change} for the counters that moved (all of them when all_counters). */
static json_t *counters_json(const struct exp_vmstat *names, const int64_t *delta, bool all_counters)
{
    json_t *o = json_object();
    for (int i = 0; o && i < names->n; i++)
        if (all_counters || delta[i] != 0)
            json_object_set_new(o, names->name[i], json_integer((json_int_t)delta[i]));
    return o;
}

static json_t *resample_json(const struct exp_plan *plan, const struct exp_resample *r)
{
    int64_t total[EXP_MAX_COUNTERS] = {0};
    for (int i = 0; i < r->start.n && i < r->end.n; i++)
        total[i] = r->end.value[i] - r->start.value[i];
    json_t *series = json_array();
    for (int i = 0; series && i < r->n; i++) {
        const struct exp_sample *s = &r->samples[i];
        if (json_array_append_new(series, json_pack("{s:f, s:o, s:I, s:o}", "t_ms", s->t_ms,
                "per_node", per_node_json(s->per_node), "not_present", (json_int_t)s->not_present,
                "counters", counters_json(&r->start, s->counters, false))) != 0)
            json_decref(series), series = NULL;
    }
    return json_pack("{s:I, s:I, s:s, s:i, s:f, s:o, s:o}", "resample_ms",
                     (json_int_t)plan->params.tier.resample_ms, "hold_ms", (json_int_t)plan->params.hold_ms,
                     "source", cdn_place_source_name(r->source), "samples", r->n, "read_s", r->read_s,
                     "series", series, "counters", counters_json(&r->start, total, true));
}

static json_t *cell_json(const struct exp_sweep_cell *c, const struct exp_world *w)
{
    const struct cdn_place_result *p = &c->placement;
    int64_t present = p->pages - p->not_present;
    double pct = present > 0 ? 100.0 * (double)p->per_node[c->mem_node] / (double)present : 0.0;
    json_t *m = c->rc == 0 ? measure_json(&c->m) : json_null();
    json_t *proof = c->rc == 0 ? json_pack("{s:s, s:I, s:o, s:I, s:f}", "source", cdn_place_source_name(p->source),
                                           "pages", (json_int_t)p->pages, "per_node", per_node_json(p->per_node),
                                           "not_present", (json_int_t)p->not_present, "on_mem_node_pct", pct)
                               : json_null();
    return json_pack("{s:i, s:i, s:o, s:o, s:o, s:s?}", "cpu_node", c->cpu_node, "mem_node", c->mem_node,
                     "measure", m, "placement", proof, "hmat_declared", cdn_tier_hmat_json(&w->tiers, c->mem_node),
                     "error", c->rc ? c->err : NULL);
}

/* One figure of every cell as rows (CPU nodes) of columns (memory nodes); null where not measured. */
static json_t *matrix_json(const struct exp_sweep *s, cdn_nodeset cpu, cdn_nodeset mem, int which)
{
    json_t *rows = json_array();
    for (int c = 0; rows && c < CDN_MAX_NODES; c++) {
        if (!CDN_NODESET_HAS(cpu, c))
            continue;
        json_t *row = json_array();
        for (int m = 0; row && m < CDN_MAX_NODES; m++) {
            if (!CDN_NODESET_HAS(mem, m))
                continue;
            json_t *v = json_null();
            for (int i = 0; i < s->n; i++) {
                const struct exp_sweep_cell *x = &s->cells[i];
                if (x->cpu_node != c || x->mem_node != m || x->rc != 0)
                    continue;
                double f = which == 0 ? x->m.ns_per_load : which == 1 ? x->m.read_mib_s : x->m.write_mib_s;
                bool have = which == 0 ? x->m.latency : x->m.bandwidth;
                if (have)
                    v = json_real(f);
            }
            json_array_append_new(row, v);
        }
        json_array_append_new(rows, row);
    }
    return rows;
}

static json_t *sweep_json(const struct exp_sweep *s, const struct exp_world *w)
{
    cdn_nodeset cpu = 0, mem = 0;
    json_t *cells = json_array();
    for (int i = 0; cells && i < s->n; i++) {
        cpu |= (cdn_nodeset)1 << s->cells[i].cpu_node;
        mem |= (cdn_nodeset)1 << s->cells[i].mem_node;
        if (json_array_append_new(cells, cell_json(&s->cells[i], w)) != 0)
            json_decref(cells), cells = NULL;
    }
    return json_pack("{s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o}}", "virtualized", cdn_virt_to_json(&s->virt),
                     "cpu_nodes", cdn_nodeset_json(cpu), "mem_nodes", cdn_nodeset_json(mem), "cells", cells,
                     "matrix", "latency_ns", matrix_json(s, cpu, mem, 0),
                     "read_mib_s", matrix_json(s, cpu, mem, 1), "write_mib_s", matrix_json(s, cpu, mem, 2));
}

int exp_tier_attach(json_t *answer, const struct exp_plan *plan, const struct exp_world *w,
                    const struct exp_result *r, const struct exp_sweep *sweep)
{
    const struct exp_tier_params *t = &plan->params.tier;
    json_t *topology = json_object_get(answer, "topology");
    int rc = json_is_object(topology) ? cdn_tier_attach(topology, &w->tiers) : 0;
    if (t->policy != EXP_MPOL_NONE)
        rc |= json_object_set_new(answer, "policy", policy_json(plan, w));
    if (r->migration.done)
        rc |= json_object_set_new(answer, "migration", migration_json(&r->migration));
    if (t->measure)
        rc |= json_object_set_new(answer, "measure", measured_json(r, w));
    if (r->resample.done)
        rc |= json_object_set_new(answer, "resample", resample_json(plan, &r->resample));
    if (sweep && sweep->done)
        rc |= json_object_set_new(answer, "sweep", sweep_json(sweep, w));
    return rc ? -1 : 0;
}
