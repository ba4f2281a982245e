/* exp_render.c: the experiment's JSON answer (layout documented in docs/answer.md), from the plan,
 * the world read before it and the run's result. Pure: it reads no kernel interface, so it is
 * unit-tested on fixture inputs (tests/test_exp_render.c). */
#include "exp.h"

#include <stdio.h>
#include <string.h>

static json_t *params_json(const struct exp_params *p)
{
    return json_pack("{s:I, s:I, s:s, s:o, s:b, s:b, s:I, s:s, s:I, s:o}", "chunk_mb", (json_int_t)p->chunk_mb,
                     "iterations", (json_int_t)p->iterations, "alloc", exp_alloc_name(p->alloc),
                     "node", p->node >= 0 ? json_integer(p->node) : json_null(),
                     "touch", p->touch, "thp", p->thp, "hold_ms", (json_int_t)p->hold_ms,
                     "placement", p->placement_full ? "full" : "sample", "sample", (json_int_t)p->sample,
                     "seed", p->seed >= 0 ? json_integer((json_int_t)p->seed) : json_null());
}

static json_t *phases_json(json_t *(*per_node)(const struct cdn_meminfo_snapshot *),
                           const struct exp_result *r)
{
    return json_pack("{s:o, s:o, s:o, s:o}", "before", per_node(&r->before),
                     "allocated", per_node(&r->allocated), "touched", per_node(&r->touched),
                     "released", per_node(&r->released));
}

/* MemFree per phase, and the free pages parked on per-CPU lists that MemFree leaves out. */
static json_t *memfree_json(const struct exp_result *r)
{
    json_t *m = phases_json(cdn_meminfo_free_json, r);
    if (m && (json_object_set_new(m, "source", json_string("/sys/devices/system/node/nodeN/meminfo")) ||
              json_object_set_new(m, "per_cpu_lists", r->before.have_pcp ? phases_json(cdn_meminfo_pcp_json, r)
                                                                          : json_null()))) {
        json_decref(m);
        return NULL;
    }
    return m;
}

/* Positive numbers are bytes that left the free pool (allocate, touch, total) or came back
 * to it (release). */
static json_t *deltas_json(const struct exp_result *r)
{
    return json_pack("{s:o, s:o, s:o, s:o}",
                     "allocate", cdn_meminfo_delta_json(&r->before, &r->allocated),
                     "touch", cdn_meminfo_delta_json(&r->allocated, &r->touched),
                     "total", cdn_meminfo_delta_json(&r->before, &r->touched),
                     "release", cdn_meminfo_delta_json(&r->released, &r->touched));
}

/* placement=sample: what was drawn, so that the same seed draws the same pages again. */
static json_t *sample_json(const struct exp_result *r)
{
    if (!r->sample.drawn)
        return json_null();
    char digest[24];
    snprintf(digest, sizeof digest, "%016llx", (unsigned long long)r->sample.digest);
    return json_pack("{s:I, s:I, s:I, s:s}", "seed", (json_int_t)r->sample.seed,
                     "per_chunk", (json_int_t)r->sample.per_chunk, "random", (json_int_t)r->sample.random,
                     "digest", digest);
}

static json_t *cross_check_json(const struct exp_plan *plan, const struct exp_result *r)
{
    if (!r->have_cross_check)
        return json_null();
    json_t *full = cdn_place_to_json(&r->cross_check, plan->target);
    json_t *cc = full ? json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:o, s:b}",
                                  "source", cdn_place_source_name(r->cross_check.source),
                                  "counting", cdn_place_counting_name(r->cross_check.counting),
                                  "pages", json_object_get(full, "pages"),
                                  "per_node", json_object_get(full, "per_node"),
                                  "not_present", json_object_get(full, "not_present"),
                                  "fallback_reason", json_object_get(full, "fallback_reason"),
                                  "sample", sample_json(r), "agrees", r->agrees)
                      : NULL;
    json_decref(full);
    return cc;
}

static json_t *placement_json(const struct exp_plan *plan, const struct exp_result *r)
{
    json_t *pl = cdn_place_to_json(&r->placement, plan->target);
    if (!pl)
        return NULL;
    json_object_set_new(pl, "policy", json_string(plan->target_policy));
    json_object_set_new(pl, "chunk_policy", cdn_policy_addr_to_json(&r->chunk_policy));
    json_t *cc = cross_check_json(plan, r);
    if (!cc || json_object_set_new(pl, "cross_check", cc) != 0) {
        json_decref(pl);
        return NULL;
    }
    return pl;
}

static json_t *timings_json(const struct exp_plan *plan, const struct exp_result *r)
{
    double at = r->allocate_s + r->touch_s;
    double mib = (double)plan->total_bytes / (double)EXP_MIB;
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o}",
                     "started_at", r->started_at, "finished_at", r->finished_at,
                     "allocate_s", r->allocate_s,
                     "touch_s", r->touch_s, "alloc_touch_s", at, "placement_s", r->placement_s,
                     "cross_check_s", r->cross_check_s, "meminfo_s", r->meminfo_s,
                     "total_s", r->total_s,
                     /* without touching nothing was written: no memory throughput to report */
                     "throughput_mib_s", plan->params.touch && at > 0 ? json_real(mib / at) : json_null());
}

json_t *exp_render(const struct exp_plan *plan, const struct exp_world *w,
                   const struct exp_result *r)
{
    json_t *process = cdn_policy_to_json(&r->policy_after);
    if (process)
        json_object_set_new(process, "pid", json_integer((json_int_t)w->pid));
    json_t *topology = w->have_topo ? cdn_topo_to_json(&w->topo) : json_null();
    json_t *answer = json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "params", params_json(&plan->params), "bytes", (json_int_t)plan->total_bytes,
                     "process", process, "memfree", memfree_json(r), "deltas", deltas_json(r),
                     "placement", placement_json(plan, r), "timings", timings_json(plan, r),
                     "cgroup", cdn_cg_memory_to_json(&w->cgroup), "topology", topology);
    if (answer && exp_attrib_attach(answer, plan, r) != 0)
        json_decref(answer), answer = NULL;
    return answer;
}
