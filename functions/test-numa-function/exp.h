/* exp.h: the experiment's stages, each a struct in and a struct out:
 * parse (exp_params.c) -> plan (exp_plan.c) -> run and measure (exp_run.c, its chunks in
 * exp_alloc.c) -> render (exp_render.c). */
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
    bool placement_full;    /* placement=full: every page asked; default sample (numa_maps counts) */
    int64_t sample;         /* 0..CDN_PLACE_SAMPLE_MAX random pages cross-checked, default CDN_PLACE_SAMPLE_DEFAULT */
    int64_t seed;           /* the sample's seed; -1 (default): drawn from the clock at the run */
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
    struct cdn_proc_policy policy;
    struct cdn_meminfo_snapshot mem;
    struct cdn_cg_memory cgroup;
    struct cdn_tier_snapshot tiers;
    int64_t llc_bytes;          /* -1 if unknown */
    cdn_nodeset cpu_nodes;      /* nodes with CPUs this process may run on */
    struct cdn_topo_snapshot topo;  /* the machine as GET /topology shows it; free with exp_world_free */
    bool have_topo;             /* false when sysfs could not be read: the answer's topology is null */
    long pid;                   /* this process, for the answer */
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
    void *map;          /* what to release: malloc pointer or libnuma pointer (in the arena: its bytes) */
    size_t map_len;
    void *user;                 /* the chunk's bytes as the allocator handed them out */
    size_t user_len;
    struct cdn_place_range pages;   /* every page the chunk's bytes lie on; all are touched */
};

/* The chunks of one run. */
struct exp_chunks {
    struct exp_chunk *chunk;    /* params.iterations entries */
    int64_t n;                  /* allocated so far */
    char *arena;                /* alloc=mmap: the reservation holding every chunk, guards included */
    size_t arena_len;
    struct cdn_place_range span;    /* alloc=mmap: every chunk's pages, one range between the guards */
    struct cdn_addr_policy first_policy;    /* the first chunk's own policy, read back */
};

/* Everything measured by one run. */
struct exp_result {
    struct cdn_meminfo_snapshot before, allocated, touched, released;
    struct cdn_place_result placement;
    struct cdn_place_result cross_check;
    bool have_cross_check;
    bool agrees;                        /* placement and cross_check agree (README: the rule) */
    struct place_sample_info {          /* placement=sample: what was drawn */
        bool drawn;
        uint64_t seed, digest;
        int64_t per_chunk, random;
    } sample;
    struct cdn_proc_policy policy_after;    /* read back on the running thread */
    struct attrib_snaps attrib;         /* node counters and processes at each phase point */
    struct exp_migration migration;     /* migrate_to */
    struct exp_measure measure;         /* measure= */
    struct exp_resample resample;       /* resample_ms */
    struct cdn_addr_policy chunk_policy;    /* the first chunk's, read back (get_mempolicy(MPOL_F_ADDR)) */
    double allocate_s, touch_s, placement_s, cross_check_s, meminfo_s, total_s;
    double numa_maps_read_s;            /* the shared read after the touch: counted in placement_s
                                         * (placement=sample) or cross_check_s (full) */
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
int exp_run_tier(const struct exp_plan *plan, const struct exp_chunks *chunks,
                 struct exp_result *res, char err[CDN_ERR_LEN]);

/* Reads the world, the only kernel reads before the run: policy, per-node MemFree, cgroup memory,
 * topology, pid. Parse, plan and render read nothing else. Returns 0 or 503/500 with err; call
 * exp_world_free either way. */
int exp_world_read(struct exp_world *w, char err[CDN_ERR_LEN]);
void exp_world_free(struct exp_world *w);

/* Allocates, touches, measures and releases. Every buffer is released before it returns.
 * Returns 0, or an HTTP status with err. */
int exp_run(const struct exp_plan *plan, struct exp_result *res, char err[CDN_ERR_LEN]);

/* sweep=true: for every memory node of the plan, buffers of the plan's size bound there, measured
 * from a thread on every CPU node. Runs after exp_run, under the same lock. 0 or a status with err. */
int exp_sweep_run(const struct exp_plan *plan, struct exp_sweep *out, char err[CDN_ERR_LEN]);

/* Adds the tiered-memory sections to an answer (exp_tier_json.c); sweep may be NULL. 0 or -1. */
int exp_tier_attach(json_t *answer, const struct exp_plan *plan, const struct exp_world *w,
                    const struct exp_result *r, const struct exp_sweep *sweep);
/* exp_alloc.c. Allocates every chunk of the plan, binds and advises it. Returns 0, or an HTTP
 * status with err; either way c holds what was allocated, for exp_chunks_release. */
int exp_chunks_alloc(const struct exp_plan *plan, struct exp_chunks *c, char err[CDN_ERR_LEN]);
void exp_chunks_touch(const struct exp_chunks *c);
/* The ranges to locate (malloc'd, *n of them): the arena's one span, or every chunk's pages. */
struct cdn_place_range *exp_chunks_ranges(const struct exp_chunks *c, size_t *n, char err[CDN_ERR_LEN]);
/* Every chunk's pages, one range per chunk (malloc'd, *n of them). */
struct cdn_place_range *exp_chunks_each(const struct exp_chunks *c, size_t *n, char err[CDN_ERR_LEN]);
void exp_chunks_release(const struct exp_plan *plan, struct exp_chunks *c);
/* exp_locate.c. Counts the touched pages per node into res->placement and cross-checks them
 * (placement=sample or full), numa_maps from the text read after the touch (read again if its
 * buf is NULL). 0, or 500 with err. */
int exp_locate(const struct exp_plan *plan, const struct exp_chunks *c, const struct cdn_text *numa_maps,
               struct exp_result *res, char err[CDN_ERR_LEN]);
/* err for a refused policy call (names CAP_SYS_NICE for EPERM); returns 422 for EINVAL, else 500. */
int exp_policy_error(char err[CDN_ERR_LEN], int e, const char *what);

/* The JSON answer; NULL on ENOMEM. */
json_t *exp_render(const struct exp_plan *plan, const struct exp_world *w,
                   const struct exp_result *res);

#endif /* CDN_EXP_H */
