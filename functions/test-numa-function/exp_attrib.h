/* exp_attrib.h: what moved on each node during the experiment, and why. The run stage takes a
 * snapshot at each phase point (exp_attrib_snap.c: node counters, this process, its parent);
 * pure arithmetic splits every node's change phase by phase (exp_attrib.c) and names the
 * reasons it differs from the policy (exp_diagnosis.c); exp_attrib_json.c renders both. */
#ifndef CDN_EXP_ATTRIB_H
#define CDN_EXP_ATTRIB_H

#include "handler.h"

#include <stdbool.h>
#include <stddef.h>

enum attrib_at { ATTRIB_BEFORE = 0, ATTRIB_ALLOCATED, ATTRIB_TOUCHED, ATTRIB_RELEASED, ATTRIB_SNAPS };
/* Phase p runs from snapshot p to snapshot p + 1. */
enum attrib_phase { ATTRIB_ALLOCATE = 0, ATTRIB_TOUCH, ATTRIB_RELEASE, ATTRIB_PHASES };

struct attrib_snap {
    bool taken;
    struct cdn_nodestat_snapshot node;
    struct cdn_procstat self;       /* in_ranges = the experiment's mappings */
    struct cdn_procstat parent;     /* PPid's; parent.reason says why when unreadable */
};

/* What exp_run keeps: one snapshot per phase point. */
struct attrib_snaps {
    struct attrib_snap at[ATTRIB_SNAPS];
    double snapshot_s;          /* time spent taking them */
};

/* Reads the kernel: node counters, /proc/self (the chunks' pages told apart) and /proc/PPID.
 * chunks is NULL before allocating and after releasing; self_numa_maps, when not NULL and read,
 * is this process's numa_maps already read (else it is read here). Fails (500) only when the node
 * counters cannot be read. */
struct exp_chunks;
int exp_attrib_snap(struct attrib_snaps *s, enum attrib_at at, const struct exp_chunks *chunks,
                    const struct cdn_text *self_numa_maps, char err[CDN_ERR_LEN]);

/* Besides the snapshots, what the arithmetic and the diagnosis look at. */
struct attrib_context {
    cdn_nodeset target;         /* nodes the pages should land on */
    int policy_mode;            /* MPOL_* the pages were placed under (MPOL_BIND for a request node) */
    const char *policy_name;
    cdn_nodeset task_nodes;     /* nodes the process's own policy allows (where its page tables go) */
    cdn_nodeset mems_allowed;   /* the cpuset */
    const char *mems_allowed_list;
    int64_t bytes;              /* the experiment's size */
    bool thp, touch;
    /* 4 KiB pages of the experiment per node when touched (the answer's placement), or NULL to
     * take them from numa_maps of the experiment's ranges. */
    const int64_t *placement_pages;
};

enum attrib_share { ATTRIB_EXPERIMENT = 0, ATTRIB_PROCESS_OTHER, ATTRIB_PAGE_TABLES, ATTRIB_PARENT, ATTRIB_SHARES };

/* One node in one phase, in bytes; changes are "after - before" (memory returned is negative). */
struct attrib_cell {
    int64_t used_change;                /* MemTotal - MemFree - per-CPU lists */
    int64_t counter[CDN_NODESTAT_FIELDS];   /* change of every meminfo counter */
    int64_t not_in_counters;            /* used_change minus the counters that add up */
    int64_t share[ATTRIB_SHARES];
    bool have_share[ATTRIB_SHARES];     /* false: unknown (unreadable), not summed */
    int64_t explained, unexplained;     /* sum of the known shares; used_change - explained */
    double unexplained_pct;             /* 100 |unexplained| / |used_change|; -1 if used_change is 0 */
};

struct attrib_result {
    cdn_nodeset nodes;
    bool with_pcp;                      /* the per-CPU lists were counted as free */
    uint32_t fields;                    /* counters present in every snapshot */
    struct attrib_cell cell[ATTRIB_PHASES][CDN_MAX_NODES];
    int64_t pte_unplaced[ATTRIB_PHASES];    /* page-table change no node's counter shows */
    bool have_numastat;
    int64_t numastat[CDN_MAX_NODES][CDN_NODESTAT_NUMA_COUNTERS];   /* before -> released */
};

const char *attrib_phase_name(enum attrib_phase p);     /* "allocate", "touch", "release" */
const char *attrib_share_name(enum attrib_share s);     /* "experiment", ... */
/* The counters whose changes add up to a node's used memory (FilePages includes Shmem). */
bool attrib_field_adds_up(enum cdn_nodestat_field f);

/* Pure arithmetic: every snapshot must be taken. Returns 0, or -1 with err. */
int attrib_compute(const struct attrib_snaps *s, const struct attrib_context *c,
                   struct attrib_result *out, char err[CDN_ERR_LEN]);

/* The fixed set of reasons (docs/answer.md, "diagnosis"). */
enum attrib_why {
    WHY_CPUSET_NARROWED = 0, WHY_PREFERRED_FALLBACK, WHY_INTERLEAVE_UNEVEN, WHY_THP_NOT_GRANTED,
    WHY_PARENT_UNBOUND, WHY_PAGE_CACHE, WHY_KERNEL_MEMORY, WHY_OTHER_PROCESSES, WHY_PER_CPU_LISTS,
    WHY_MEMORY_ONLINED, WHY_UNEXPLAINED, WHY_COUNT
};
#define ATTRIB_FLOOR_BYTES ((int64_t)1 << 20)  /* node movements below this (or the counters' drift) are noise */
#define ATTRIB_UNEXPLAINED_PCT 5.0
#define ATTRIB_MAX_REASONS 64

struct attrib_reason {
    enum attrib_why why;
    int node;                   /* -1 when the reason is not about one node */
    int64_t bytes;
    char text[400];
};
const char *attrib_why_name(enum attrib_why w);         /* "cpuset_narrowed", ... */

/* Pure: fills out[] (at most max) with the reasons that apply, in enum order. */
size_t attrib_diagnose(const struct attrib_snaps *s, const struct attrib_context *c,
                       const struct attrib_result *a, struct attrib_reason *out, size_t max);

/* {"attribution": ..., "diagnosis": [...]} members added to answer; -1 on ENOMEM. */
struct exp_plan;
struct exp_result;
int exp_attrib_attach(json_t *answer, const struct exp_plan *plan, const struct exp_result *res);

#endif /* CDN_EXP_ATTRIB_H */
