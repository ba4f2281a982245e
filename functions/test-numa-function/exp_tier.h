/* exp_tier.h: the experiment's tiered-memory stages: a per-request memory policy on the chunks
 * (exp_policy.c), moving the pages to a node (exp_migrate.c), re-reading placement while the
 * buffers are held (exp_resample.c), measuring access latency and bandwidth (exp_measure.c), the
 * sweep over memory and CPU nodes (exp_sweep.c), their parameters (exp_params_tier.c) and their
 * JSON (exp_tier_json.c). */
#ifndef CDN_EXP_TIER_H
#define CDN_EXP_TIER_H

#include "handler.h"

#include <stdbool.h>
#include <stddef.h>

/* policy=: the memory policy a request puts on its chunks (mbind). */
enum exp_mpol { EXP_MPOL_NONE = 0, EXP_MPOL_BIND, EXP_MPOL_PREFERRED, EXP_MPOL_INTERLEAVE,
                EXP_MPOL_WEIGHTED_INTERLEAVE };
#define EXP_MEASURE_LATENCY 1u
#define EXP_MEASURE_BANDWIDTH 2u
#define EXP_MAX_SAMPLES 600     /* resample: hold_ms / resample_ms at most */
#define EXP_MAX_COUNTERS 16     /* /proc/vmstat migration counters kept */

/* The parameters these stages add (inside struct exp_params). */
struct exp_tier_params {
    enum exp_mpol policy;       /* EXP_MPOL_NONE: none asked */
    cdn_nodeset nodes;          /* nodes= for policy */
    int migrate_to;             /* -1: no migration */
    int64_t resample_ms;        /* 0: none */
    unsigned measure;           /* EXP_MEASURE_* bits */
    bool sweep;
};

/* A field's value, from whichever side gave it. */
struct exp_value {
    const char *text;   /* query string side */
    json_t *json;       /* body side */
};

const char *exp_mpol_name(enum exp_mpol m);
/* The kernel's MPOL_* mode for m, with several nodes for preferred: MPOL_PREFERRED_MANY. */
int exp_mpol_mode(enum exp_mpol m, cdn_nodeset nodes);
/* Sets one of policy, nodes, migrate_to, resample_ms, measure, sweep. 0 or -1 with err. */
int exp_tier_param_set(struct exp_tier_params *t, const char *name, struct exp_value v,
                       char err[CDN_ERR_LEN]);
/* Checks the combination once every field is read (node and alloc are the base fields). 0 or -1. */
int exp_tier_params_check(const struct exp_tier_params *t, int node, int alloc_is_mmap, bool touch,
                          int64_t hold_ms, char err[CDN_ERR_LEN]);

/* /proc/vmstat counters of pages that move: pgdemote_*, pgpromote_*, numa_pages_migrated,
 * pgmigrate_success, pgmigrate_fail. */
struct exp_vmstat {
    int n;
    char name[EXP_MAX_COUNTERS][40];
    int64_t value[EXP_MAX_COUNTERS];
};
int exp_vmstat_read(const char *path, struct exp_vmstat *out, char err[CDN_ERR_LEN]);
int exp_vmstat_parse(FILE *f, struct exp_vmstat *out, char err[CDN_ERR_LEN]);

struct exp_sample {
    double t_ms;                        /* since the hold began */
    int64_t per_node[CDN_MAX_NODES];
    int64_t not_present;
    int64_t counters[EXP_MAX_COUNTERS]; /* change since the hold began, in exp_resample.start's order */
};
struct exp_resample {
    bool done;
    int n;
    struct exp_sample *samples;         /* malloc'd, n entries; free with exp_resample_free */
    struct exp_vmstat start, end;
    enum cdn_place_source source;
    double read_s;                      /* time spent reading placement */
};
/* Holds the buffers for hold_ms, reading their placement every every_ms (from 0 ms on) and the
 * migration counters at the start, at every sample and at the end. 0 or -1 with err. */
int exp_resample_hold(const struct cdn_place_range *r, size_t n, int64_t hold_ms, int64_t every_ms,
                      struct exp_resample *out, char err[CDN_ERR_LEN]);
void exp_resample_free(struct exp_resample *r);

struct exp_migration {
    bool done;
    int to;
    const char *method;                 /* "move_pages" or "mbind(MPOL_MF_MOVE)" */
    char fallback_reason[CDN_ERR_LEN];
    int64_t pages, moved, already, failed;
    int64_t errors[8];                  /* failed pages per errno: EBUSY, ENOMEM, EACCES, EFAULT, ENOENT, EIO, EINVAL, other */
    double seconds;
    struct cdn_place_result after;
};
/* Moves every page of the ranges to node `to` (move_pages; mbind(MPOL_MF_MOVE) where move_pages is
 * refused), `already` of them being there before. 0 or an HTTP status with err. */
int exp_migrate(const struct cdn_place_range *r, size_t n, int to, int64_t already,
                struct exp_migration *out, char err[CDN_ERR_LEN]);

struct exp_measure {
    bool latency, bandwidth;
    int cpu, cpu_node;                  /* where the measuring thread ran */
    int64_t llc_bytes;
    int64_t buffer_bytes;
    int64_t lines, loads;               /* pointer chase */
    double ns_per_load, chase_s;
    double read_mib_s, write_mib_s, read_s, write_s;
    struct cdn_virt_info virt;
};

struct exp_sweep_cell {
    int mem_node, cpu_node;
    int rc;                             /* 0, or the HTTP status of the cell's failure */
    char err[CDN_ERR_LEN];
    struct exp_measure m;
    struct cdn_place_result placement;      /* the cell's buffer, after measuring */
};
struct exp_sweep {
    bool done;
    int n, cap;
    struct exp_sweep_cell *cells;       /* malloc'd, cap entries; free with exp_sweep_free */
    struct cdn_virt_info virt;
};
void exp_sweep_free(struct exp_sweep *s);

/* Reads the size of the last-level cache of cpu0 under sysfs_root ("/sys"); -1 if unknown. */
int64_t exp_llc_bytes(const char *sysfs_root);
/* Measures over the ranges (every page touched): a dependent-load chase over one line in every
 * `stride` ... the lines of the ranges, then a streaming read and a streaming write. 0 or -1. */
int exp_measure_ranges(const struct cdn_place_range *r, size_t n, unsigned what, int64_t llc_bytes,
                       struct exp_measure *out, char err[CDN_ERR_LEN]);

#endif /* CDN_EXP_TIER_H */
