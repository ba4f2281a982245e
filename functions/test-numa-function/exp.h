/* exp.h: the experiment's stages, each a struct in and a struct out:
 * parse (exp_params.c) -> plan (exp_plan.c) -> run and measure (exp_run.c) -> render (exp_render.c). */
#ifndef CDN_EXP_H
#define CDN_EXP_H

#include "handler.h"
#include "exp_attrib.h"
#include "exp_tier.h"

#include <stdbool.h>
#include <stddef.h>

#define EXP_MIB ((int64_t)1 << 20)

enum exp_alloc { EXP_ALLOC_MMAP = 0, EXP_ALLOC_MALLOC, EXP_ALLOC_LIBNUMA };

struct exp_params {
    int64_t chunk_mb;       /* 1..1024, default 2 */
    int64_t iterations;     /* 1..100000, default 1000 */
    enum exp_alloc alloc;   /* default mmap */
    int node;               /* -1: none (follow the process policy) */
    bool touch;             /* default true */
    bool thp;               /* default false */
    int64_t hold_ms;        /* 0..60000, default 0 */
    struct exp_tier_params tier;    /* policy, nodes, migrate_to, resample_ms, measure, sweep */
};

/* Limits read once from the environment at start (EXP_*). */
struct exp_limits {
    int64_t max_total_bytes;    /* EXP_MAX_TOTAL_MB */
    int64_t busy_wait_ms;       /* EXP_BUSY_WAIT_MS */
    int64_t reserve_bytes;      /* EXP_RESERVE_MB */
};

/* What the plan was made from: the world as it was when the request arrived. */
struct exp_world {
    struct proc_policy policy;
    struct meminfo_snapshot mem;
    struct cg_memory cgroup;
    struct tier_snapshot tiers;
    int64_t llc_bytes;          /* -1 if unknown */
    cdn_nodeset cpu_nodes;      /* nodes with CPUs this process may run on */
};

struct exp_plan {
    struct exp_params params;
    int64_t chunk_bytes;
    int64_t total_bytes;
    cdn_nodeset target;         /* nodes the pages should land on */
    const char *target_policy;  /* "bind" for a per-request node, else the process policy */
    int mbind_mode;             /* MPOL_* put on every chunk with mbind; -1: none */
    cdn_nodeset mbind_nodes;
    cdn_nodeset sweep_mem, sweep_cpu;   /* sweep=true: memory nodes x CPU nodes */
    int64_t llc_bytes;          /* the world's, for the pointer chase */
};

struct exp_chunk {
    void *map;          /* what to release: mmap base, malloc pointer or libnuma pointer */
    size_t map_len;
    void *user;                 /* the chunk's bytes as the allocator handed them out */
    size_t user_len;
    struct place_range pages;   /* every page the chunk's bytes lie on; all are touched */
};

/* Everything measured by one run. */
struct exp_result {
    struct meminfo_snapshot before, allocated, touched, released;
    struct place_result placement;
    struct place_result cross_check;
    bool have_cross_check;
    struct proc_policy policy_after;    /* read back on the running thread */
    struct attrib_snaps attrib;         /* node counters and processes at each phase point */
    struct exp_migration migration;     /* migrate_to */
    struct exp_measure measure;         /* measure= */
    struct exp_resample resample;       /* resample_ms */
    double allocate_s, touch_s, placement_s, cross_check_s, meminfo_s, total_s;
    double started_at, finished_at;     /* wall clock, Unix seconds */
};

int exp_limits_from_env(struct exp_limits *lim, char err[CDN_ERR_LEN]);
void exp_params_default(struct exp_params *p);
const char *exp_alloc_name(enum exp_alloc a);

/* Fills p from the query arguments and the JSON object body. Returns 0, or 400 with err. */
int exp_params_parse(const struct fn_request *req, struct exp_params *p, char err[CDN_ERR_LEN]);

/* Checks params against the world and the limits. Returns 0, or 400/422 with err. */
int exp_plan_make(const struct exp_params *p, const struct exp_world *w,
                  const struct exp_limits *lim, struct exp_plan *plan, char err[CDN_ERR_LEN]);

/* A node a request names: present, in Mems_allowed, inside a process bind. 0 or -1 with err. */
int exp_plan_check_node(int node, const struct exp_world *w, char err[CDN_ERR_LEN]);
/* The tiered-memory part of the plan (policy, migrate_to, measure, sweep). 0 or 422 with err. */
int exp_plan_tier(const struct exp_world *w, const struct exp_limits *lim, struct exp_plan *plan,
                  char err[CDN_ERR_LEN]);
/* Reads the world's tiered-memory part: tiers, the LLC size, the CPU nodes. 0 or 500 with err. */
int exp_tier_world_read(struct exp_world *w, char err[CDN_ERR_LEN]);

/* mbinds [addr, addr+len) with the plan's mbind_mode and mbind_nodes (nothing when -1).
 * 0, or 422 (the kernel refuses the mode or nodes) / 500 with err. */
int exp_policy_mbind(const struct exp_plan *plan, void *addr, size_t len, char err[CDN_ERR_LEN]);

/* After the touch and the placement: migrate_to, measure, and the hold with resample_ms.
 * 0 or an HTTP status with err. */
int exp_run_tier(const struct exp_plan *plan, const struct exp_chunk *chunks, int64_t n,
                 struct exp_result *res, char err[CDN_ERR_LEN]);

/* Reads the world: policy, per-node MemFree, cgroup memory. Returns 0 or 503/500 with err. */
int exp_world_read(struct exp_world *w, char err[CDN_ERR_LEN]);

/* Allocates, touches, measures and releases. Every buffer is released before it returns.
 * Returns 0, or an HTTP status with err. */
int exp_run(const struct exp_plan *plan, struct exp_result *res, char err[CDN_ERR_LEN]);

/* sweep=true: for every memory node of the plan, buffers of the plan's size bound there, measured
 * from a thread on every CPU node. Runs after exp_run, under the same lock. 0 or a status with err. */
int exp_sweep_run(const struct exp_plan *plan, struct exp_sweep *out, char err[CDN_ERR_LEN]);

/* Adds the tiered-memory sections to an answer (exp_tier_json.c); sweep may be NULL. 0 or -1. */
int exp_tier_attach(json_t *answer, const struct exp_plan *plan, const struct exp_world *w,
                    const struct exp_result *r, const struct exp_sweep *sweep);

/* The JSON answer; NULL on ENOMEM. */
json_t *exp_render(const struct exp_plan *plan, const struct exp_world *w,
                   const struct exp_result *res);

#endif /* CDN_EXP_H */
