/* numa_toolkit.h: the NUMA toolkit any c-debian-numa function may call (handler.h includes it):
 * topology, the process's memory policy and cpuset, per-node MemFree snapshots, the per-node
 * counters and numastat (nodestat), a process's pages per node (procstat), exact page placement,
 * cgroup memory headroom, memory tiers and virtualization, plus strict environment knobs, clocks
 * and the error helper. Every name carries the cdn_ (CDN_) prefix, so none can clash with a
 * function's own names or with libnuma's numa_ ones.
 *
 * Conventions: a fallible call returns 0 (or a pointer) on success and -1 (or NULL) on failure,
 * writing "what: strerror(errno)" into the caller's char err[CDN_ERR_LEN]. Nothing here prints
 * or exits. Byte counts are int64_t. Node ids are ints and may have gaps. */
#ifndef CDN_NUMA_TOOLKIT_H
#define CDN_NUMA_TOOLKIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CDN_ERR_LEN 256
#define CDN_MAX_NODES 64   /* node ids 0..63; libnuma's default nodemask size */

/* Environment knobs, parsed strictly: a malformed value is an error, never
 * a silent default. */
int cdn_env_int64(const char *name, int64_t def, int64_t min, int64_t max,
                  int64_t *out, char err[CDN_ERR_LEN]);
/* Seconds or a Go duration ("90", "90s", "2m", "1m30s", "500ms"), as the
 * watchdog reads read_timeout/write_timeout; result in milliseconds. */
int cdn_env_duration_ms(const char *name, int64_t def_ms, int64_t *out_ms,
                        char err[CDN_ERR_LEN]);

/* A /proc file read whole into memory (text.c), for parsers that share one read: open it with
 * cdn_text_open (a read-only FILE over the bytes; fclose it), release it with cdn_text_free. */
struct cdn_text {
    char *buf;      /* NUL-terminated; NULL before a read and after a failed one */
    size_t len;
};
int cdn_text_read(const char *path, struct cdn_text *t, char err[CDN_ERR_LEN]);
FILE *cdn_text_open(const struct cdn_text *t, char err[CDN_ERR_LEN]);
void cdn_text_free(struct cdn_text *t);

/* Clocks, in seconds: cdn_now() is monotonic (for durations), cdn_wall_now() is Unix time. */
double cdn_now(void);
double cdn_wall_now(void);

/* Writes "fmt...: strerror(errno_value)" (or just fmt when errno_value is 0)
 * into err, which may be NULL. Returns -1 so callers can `return cdn_err(...)`. */
int cdn_err(char err[CDN_ERR_LEN], int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* libnuma reports failures through numa_error()/numa_warn(); the runtime overrides both so
 * nothing is printed and the text of the calling thread's last report is kept here. Clear it
 * before a libnuma call whose failure you must not miss (numa_alloc_onnode returns unbound
 * memory when its mbind fails), then check it. */
void cdn_libnuma_error_clear(void);
const char *cdn_libnuma_error(void);   /* "" when nothing was reported */

/* A set of node ids, as a plain bit set (bit n = node n). */
typedef uint64_t cdn_nodeset;
#define CDN_NODESET_HAS(set, n) ((n) >= 0 && (n) < CDN_MAX_NODES && (((set) >> (n)) & 1u))
int cdn_nodeset_count(cdn_nodeset set);
/* Parses a kernel list ("0-2,5"); returns -1 on malformed text or ids >= 64. */
int cdn_nodeset_parse(const char *text, cdn_nodeset *out, char err[CDN_ERR_LEN]);
/* Renders "0-2,5" into buf (always NUL-terminated). */
void cdn_nodeset_format(cdn_nodeset set, char *buf, size_t len);
json_t *cdn_nodeset_json(cdn_nodeset set);   /* [0,1,2]; NULL on ENOMEM */
/* Sets obj["<node>"] = value, taking value in every case (it is released on failure, or when obj
 * is NULL); 0, or -1 when value is NULL or the set fails. Per-node answers are keyed this way. */
int cdn_json_set_node(json_t *obj, int node, json_t *value);

/* A set of CPU ids as a bitmap: CDN_MAX_CPUS is the largest NR_CPUS any Linux configuration
 * allows, so a kernel cpulist always fits and is never cut short. */
#define CDN_MAX_CPUS 8192
typedef struct {
    uint64_t bits[CDN_MAX_CPUS / 64];
} cdn_cpuset;
/* Parses a kernel cpulist ("0-3,8", "" for none, one trailing newline allowed); -1 on
 * malformed text or an id >= CDN_MAX_CPUS. */
int cdn_cpuset_parse(const char *text, cdn_cpuset *out, char err[CDN_ERR_LEN]);
/* Reads and parses a cpulist file of any length (sysfs nodeN/cpulist); errors name the file. */
int cdn_cpuset_read(const char *path, cdn_cpuset *out, char err[CDN_ERR_LEN]);
int cdn_cpuset_has(const cdn_cpuset *set, int cpu);
int cdn_cpuset_count(const cdn_cpuset *set);
char *cdn_cpuset_format(const cdn_cpuset *set);         /* "0-3,8", malloc'd; NULL on ENOMEM */
json_t *cdn_cpuset_list_json(const cdn_cpuset *set);    /* "0-3,8" as a JSON string */

/* ---- topology (topology.c) ---- */
struct cdn_topo_node {
    int id;
    int64_t mem_total;      /* bytes, from nodeN/meminfo */
    int64_t mem_free;       /* bytes */
    cdn_cpuset cpus;        /* nodeN/cpulist, empty for a memory-only node */
    int n_cpus;
    int distance[CDN_MAX_NODES]; /* distance[j] to node j, -1 if unknown */
};
struct cdn_topo_pci {
    char address[32];       /* "0000:00:1f.2" */
    char class_code[16];    /* "0x010601" */
    int numa_node;          /* -1 = no locality */
};
struct cdn_topo_snapshot {
    int n_nodes;
    struct cdn_topo_node nodes[CDN_MAX_NODES];
    cdn_nodeset present;
    int n_pci;
    struct cdn_topo_pci *pci;   /* malloc'd; free with cdn_topo_free() */
};
/* sysfs_root is normally "/sys" (tests pass a fixture tree). */
int cdn_topo_read(const char *sysfs_root, struct cdn_topo_snapshot *out, char err[CDN_ERR_LEN]);
void cdn_topo_free(struct cdn_topo_snapshot *t);
json_t *cdn_topo_to_json(const struct cdn_topo_snapshot *t);  /* like `numactl -H`; NULL on ENOMEM */

/* ---- memory policies, cpuset and position (policy.c) ---- */
#define CDN_POLICY_UNKNOWN (-1)     /* mode when get_mempolicy was refused (seccomp without CAP_SYS_NICE) */
struct cdn_proc_policy {
    int mode;               /* MPOL_DEFAULT, MPOL_BIND, ... with its mode flags; CDN_POLICY_UNKNOWN */
    const char *mode_name;  /* "default", "bind", "interleave", "preferred", "local", ..., "unknown" */
    cdn_nodeset nodes;      /* policy nodes read back with get_mempolicy */
    char reason[CDN_ERR_LEN];   /* why the mode is "unknown"; "" when it was read */
    cdn_nodeset mems_allowed;   /* /proc/self/status Mems_allowed_list */
    char mems_allowed_list[256];    /* mems_allowed printed as a list (fits: ids are < 64) */
    cdn_cpuset cpus_allowed;        /* /proc/self/status Cpus_allowed_list */
    int cpu;                /* CPU this thread runs on (sched_getcpu) */
    int cpu_node;           /* its node, -1 if unknown */
};
/* The policy of the mapping at an address (get_mempolicy(MPOL_F_ADDR)): its own from mbind, or
 * "default" when it has none and the thread's policy applies. */
struct cdn_addr_policy {
    int mode;
    const char *mode_name;
    cdn_nodeset nodes;
    char reason[CDN_ERR_LEN];
};
/* 0 if the kernel has NUMA, even when a seccomp profile refuses the policy calls (EPERM);
 * -1 with err when it has none. Use it instead of numa_available(), which says -1 for both. */
int cdn_policy_numa_available(char err[CDN_ERR_LEN]);
/* Reads the calling thread's policy (the process's, unless the thread set its own) and
 * /proc/self/status. proc_status is normally "/proc/self/status". A refused get_mempolicy
 * (EPERM) is not an error: mode is CDN_POLICY_UNKNOWN and reason says why. */
int cdn_policy_read(const char *proc_status, struct cdn_proc_policy *out, char err[CDN_ERR_LEN]);
int cdn_policy_read_addr(const void *addr, struct cdn_addr_policy *out, char err[CDN_ERR_LEN]);
/* mbind(2) with a node mask sized for the kernel's possible nodes; err "mbind: <errno text>",
 * errno kept. */
int cdn_policy_mbind(void *addr, size_t len, int mode, cdn_nodeset nodes, unsigned flags,
                     char err[CDN_ERR_LEN]);
/* {"policy", "policy_nodes" (null when unknown), "policy_flags", "policy_reason", "mems_allowed",
 * "mems_allowed_list", "cpus_allowed_list", "cpu", "cpu_node"} */
json_t *cdn_policy_to_json(const struct cdn_proc_policy *p);
json_t *cdn_policy_addr_to_json(const struct cdn_addr_policy *p);   /* the first four of the above */
/* The mode without its flags (MPOL_F_STATIC_NODES, MPOL_F_RELATIVE_NODES, MPOL_F_NUMA_BALANCING),
 * the one place flags are masked off. */
int cdn_policy_mode_base(int mode);
const char *cdn_policy_mode_name(int mode);
/* The nodes a buffer placed under policy p should land on: the policy nodes
 * for bind/interleave/preferred, else every allowed node. */
cdn_nodeset cdn_policy_target_nodes(const struct cdn_proc_policy *p);

/* ---- per-node MemFree snapshots (meminfo.c) ---- */
struct cdn_meminfo_snapshot {
    cdn_nodeset nodes;
    int64_t mem_free[CDN_MAX_NODES];   /* bytes, valid for ids in nodes */
    int64_t mem_total[CDN_MAX_NODES];
    /* Free pages held on per-CPU lists (/proc/zoneinfo pagesets "count:"), which MemFree does
     * not include. Since Linux 6.7 these lists tune themselves up to hundreds of MiB per CPU,
     * so freed memory can vanish from MemFree and a later allocation can come from them
     * without MemFree moving. */
    int64_t pcp_free[CDN_MAX_NODES];
    int have_pcp;                      /* 1 if pcp_free was read */
};
/* Reads every node's meminfo under sysfs_root ("/sys") and, when zoneinfo is not NULL
 * ("/proc/zoneinfo"), the per-CPU free lists; an unreadable zoneinfo leaves have_pcp 0. */
int cdn_meminfo_snapshot(const char *sysfs_root, const char *zoneinfo, struct cdn_meminfo_snapshot *out,
                         char err[CDN_ERR_LEN]);
json_t *cdn_meminfo_free_json(const struct cdn_meminfo_snapshot *s);        /* MemFree: {"0": bytes, ...} */
json_t *cdn_meminfo_pcp_json(const struct cdn_meminfo_snapshot *s);         /* per-CPU lists, or null */
/* {"0": bytes, ...}: memory that left the free pool between a and b, as the change in
 * MemTotal - (MemFree + per-CPU free lists), so neither memory onlined in between nor pages
 * parked on per-CPU lists hide the use. */
json_t *cdn_meminfo_delta_json(const struct cdn_meminfo_snapshot *a, const struct cdn_meminfo_snapshot *b);

/* ---- what each node's used memory is made of (nodestat.c) ---- */
/* nodeN/meminfo counters kept, in bytes. FilePages includes Shmem; AnonPages includes
 * AnonHugePages. The sum AnonPages + FilePages + PageTables + SecPageTables + KernelStack +
 * SReclaimable + SUnreclaim is what the kernel accounts per node; the rest of the used memory
 * (vmalloc, hugetlb pools, driver pages, ...) has no per-node counter. */
enum cdn_nodestat_field {
    CDN_NODESTAT_MEM_TOTAL = 0, CDN_NODESTAT_MEM_FREE, CDN_NODESTAT_ANON_PAGES, CDN_NODESTAT_FILE_PAGES,
    CDN_NODESTAT_SHMEM, CDN_NODESTAT_PAGE_TABLES, CDN_NODESTAT_SEC_PAGE_TABLES, CDN_NODESTAT_KERNEL_STACK,
    CDN_NODESTAT_SRECLAIMABLE, CDN_NODESTAT_SUNRECLAIM, CDN_NODESTAT_ANON_HUGE_PAGES, CDN_NODESTAT_FIELDS
};
/* nodeN/numastat counters: allocations (a huge page counts once), not bytes. */
enum cdn_nodestat_numa {
    CDN_NODESTAT_NUMA_HIT = 0, CDN_NODESTAT_NUMA_MISS, CDN_NODESTAT_NUMA_FOREIGN, CDN_NODESTAT_INTERLEAVE_HIT,
    CDN_NODESTAT_LOCAL_NODE, CDN_NODESTAT_OTHER_NODE, CDN_NODESTAT_NUMA_COUNTERS
};
struct cdn_nodestat_snapshot {
    cdn_nodeset nodes;
    uint32_t fields_seen;       /* bit f: field f was present in every node's meminfo */
    int64_t field[CDN_MAX_NODES][CDN_NODESTAT_FIELDS];     /* bytes; 0 where absent */
    int have_pcp;               /* 1 if /proc/zoneinfo was read */
    int64_t pcp_free[CDN_MAX_NODES];    /* free pages on per-CPU lists, bytes */
    /* The most any one counter of the node may lag: every CPU keeps up to its "vm stats
     * threshold" pages per counter before folding them in (bytes, summed over CPUs and zones). */
    int64_t drift[CDN_MAX_NODES];
    int have_numastat;          /* 1 if every node's numastat was read */
    int64_t numa[CDN_MAX_NODES][CDN_NODESTAT_NUMA_COUNTERS];
    char thp_mode[32];          /* the selected word of transparent_hugepage/enabled, "" if unknown */
};
const char *cdn_nodestat_field_name(enum cdn_nodestat_field f);    /* "AnonPages", ... as in meminfo */
const char *cdn_nodestat_numa_name(enum cdn_nodestat_numa c);      /* "numa_hit", ... as in numastat */
/* Reads every node's meminfo and numastat under sysfs_root ("/sys"), the per-CPU lists from
 * zoneinfo ("/proc/zoneinfo", may be NULL) and the THP mode. Fails only if a meminfo cannot be read. */
int cdn_nodestat_snapshot(const char *sysfs_root, const char *zoneinfo, struct cdn_nodestat_snapshot *out,
                          char err[CDN_ERR_LEN]);
/* MemTotal - MemFree, minus the per-CPU free lists when with_pcp. */
int64_t cdn_nodestat_used(const struct cdn_nodestat_snapshot *s, int node, bool with_pcp);

/* ---- page placement (placement.c, numa_maps.c) ---- */
struct cdn_place_range {
    void *addr;             /* page-aligned */
    size_t len;             /* bytes, a multiple of the page size */
};
enum cdn_place_source {
    CDN_PLACE_MOVE_PAGES = 0,   /* move_pages(2), every page */
    CDN_PLACE_GET_MEMPOLICY,    /* get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR), every page */
    CDN_PLACE_NUMA_MAPS,        /* /proc/self/numa_maps, the mappings inside the ranges */
    CDN_PLACE_SOURCE_COUNT
};
/* How a count was made: every page asked, one page per PMD-mapped transparent huge page (its
 * subpages share one node), per mapping (numa_maps), a sample of pages, or a sample whose pages
 * were asked once per huge page they lie in. */
enum cdn_place_counting {
    CDN_PLACE_PER_PAGE = 0, CDN_PLACE_PER_HUGE_PAGE, CDN_PLACE_PER_MAPPING, CDN_PLACE_SAMPLED,
    CDN_PLACE_SAMPLED_PER_HUGE_PAGE, CDN_PLACE_COUNTING_COUNT
};
struct cdn_place_result {
    enum cdn_place_source source;
    enum cdn_place_counting counting;
    int64_t pages;          /* pages asked about, in units of cdn_place_page_size() */
    int64_t per_node[CDN_MAX_NODES];
    int64_t not_present;    /* pages not faulted in (never touched) */
    /* 1 if the counts are of exactly the ranges asked about: always for the per-page sources;
     * for numa_maps only when the mappings start at each range's start and a mapping starts at
     * its end (guard pages), so that no mapping reaching outside the ranges was counted. */
    int exact;
    char fallback_reason[CDN_ERR_LEN]; /* why earlier sources were skipped, "" if none */
};
/* The base page size, sysconf(_SC_PAGESIZE): the unit of every page count here. */
size_t cdn_place_page_size(void);
const char *cdn_place_source_name(enum cdn_place_source s);
/* Counts the node of every page in ranges, trying move_pages, then per-page
 * get_mempolicy (both asking once per huge page where cdn_place_step allows), then numa_maps;
 * res->source and res->counting say which answered and how. */
int cdn_place_query(const struct cdn_place_range *ranges, size_t n, struct cdn_place_result *res,
                    char err[CDN_ERR_LEN]);
/* Same with one named source only (for cross-checks and tests). */
int cdn_place_query_with(enum cdn_place_source src, const struct cdn_place_range *ranges, size_t n,
                         struct cdn_place_result *res, char err[CDN_ERR_LEN]);
/* numa_maps text (/proc/self/numa_maps read once with cdn_text_read, or a fixture) counted as
 * cdn_place_query_with counts it: res->pages from the ranges, not_present the rest, exact as above. */
int cdn_place_count_numa_maps(FILE *f, const struct cdn_place_range *ranges, size_t n,
                              struct cdn_place_result *res, char err[CDN_ERR_LEN]);
json_t *cdn_place_to_json(const struct cdn_place_result *r, cdn_nodeset target);
const char *cdn_place_counting_name(enum cdn_place_counting c);

/* ---- a sample of pages and the transparent huge page step (place_sample.c, smaps.c) ---- */
#define CDN_PLACE_SAMPLE_DEFAULT 1024   /* random pages beside the one per range */
#define CDN_PLACE_SAMPLE_MAX 65536
struct cdn_place_sample {
    uint64_t seed;
    size_t per_range;       /* pages[0..per_range): one page of each range, at a seeded offset */
    size_t random;          /* then this many drawn uniformly over every page of the ranges */
    void **pages;           /* per_range + random addresses; cdn_place_sample_free releases them */
    uint64_t digest;        /* FNV-1a of the pages' indices among every page of the ranges: the
                             * same ranges and seed give the same digest, wherever they lie */
};
/* Draws the sample: the same ranges and seed give the same pages. 0, or -1 with err (ENOMEM, or
 * ranges holding no page). */
int cdn_place_sample_make(const struct cdn_place_range *ranges, size_t n, size_t random, uint64_t seed,
                          struct cdn_place_sample *s, char err[CDN_ERR_LEN]);
void cdn_place_sample_free(struct cdn_place_sample *s);
/* The node of each page (negative: not faulted in) by move_pages or get_mempolicy. 0 or -1. */
int cdn_place_nodes(enum cdn_place_source src, void **pages, size_t n, int *nodes, char err[CDN_ERR_LEN]);
/* Counts the sample's pages with move_pages, else get_mempolicy; res->pages is the sample's
 * size, res->fallback_reason why move_pages was skipped. move_pages asks every sampled page in one
 * call (CDN_PLACE_SAMPLED). get_mempolicy costs a call a page: given huge_ranges (the ranges the
 * sample was drawn from, whole, or NULL) that cdn_place_step finds all transparent huge pages, it
 * asks each huge page holding sampled pages once and counts its node for each of them
 * (CDN_PLACE_SAMPLED_PER_HUGE_PAGE). */
int cdn_place_query_sample(const struct cdn_place_sample *s, const struct cdn_place_range *huge_ranges,
                           size_t n, struct cdn_place_result *res, char err[CDN_ERR_LEN]);
/* The agreement rule: every node the sample found a page on holds pages in counts, and a
 * sampled page not faulted in means counts has pages not faulted in too. */
bool cdn_place_sample_agrees(const struct cdn_place_result *counts, const struct cdn_place_result *sample);
/* The step a per-page source may take over the ranges: the PMD huge page size when every resident
 * page in them is part of a PMD-mapped transparent huge page (/proc/self/smaps: AnonHugePages
 * equals Rss, mappings inside the ranges), else the base page size. */
size_t cdn_place_step(const struct cdn_place_range *ranges, size_t n);

/* ---- one process's memory per node (procstat.c) ---- */
struct cdn_procstat {
    int readable;               /* 1 if status and numa_maps were read */
    char reason[CDN_ERR_LEN];   /* why not, "" if readable */
    int pid, ppid;
    char comm[32];              /* status Name: */
    char policy[48];            /* the policy numa_maps shows for the first mapping: "default", "bind:1" */
    int64_t in_ranges[CDN_MAX_NODES];  /* bytes of the mappings that start inside the ranges */
    int64_t anon[CDN_MAX_NODES];       /* bytes of the other anonymous mappings (heap, stacks, ...) */
    int64_t file[CDN_MAX_NODES];       /* bytes of the other file-backed mappings */
    int64_t vm_pte;             /* page tables, bytes (status VmPTE); -1 if unknown */
};
/* Reads proc_dir/status and proc_dir/numa_maps (proc_dir "/proc/self", "/proc/1234"). On failure
 * out->reason says why (as err does) and out->readable is 0. */
int cdn_procstat_read(const char *proc_dir, const struct cdn_place_range *ranges, size_t n,
                      struct cdn_procstat *out, char err[CDN_ERR_LEN]);
/* The same with numa_maps already read (NULL: read proc_dir/numa_maps). */
int cdn_procstat_read_with(const char *proc_dir, FILE *numa_maps, const struct cdn_place_range *ranges,
                           size_t n, struct cdn_procstat *out, char err[CDN_ERR_LEN]);

/* ---- cgroup memory headroom (cgroup.c) ---- */
/* The limit that binds the process: of its own memory cgroup and every parent up to the mount's
 * root (a Kubernetes pod's limit sits on the pod's cgroup, the container's below it), the one
 * that leaves the least room (limit - usage; with equal usage, the smallest limit). */
struct cdn_cg_memory {
    int version;            /* 1 or 2; 0 if no memory controller was found */
    char path[512];         /* the process's own cgroup directory */
    int64_t limit;          /* bytes; -1 = no limit anywhere on the path */
    int64_t usage;          /* bytes in use in the cgroup that set limit (own cgroup's if none) */
    char limit_file[640];   /* the file that set limit ("" if none), e.g.
                             * /sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/memory.max */
};
/* Finds the calling process's memory cgroup from proc_cgroup ("/proc/self/cgroup") under
 * cgroup_root ("/sys/fs/cgroup") and reads the limits on its path. A limit or usage file that
 * exists but does not hold one byte count is an error naming the file. */
int cdn_cg_memory_read(const char *proc_cgroup, const char *cgroup_root, struct cdn_cg_memory *out,
                       char err[CDN_ERR_LEN]);
/* limit - usage, or INT64_MAX when unlimited. */
int64_t cdn_cg_memory_headroom(const struct cdn_cg_memory *m);
json_t *cdn_cg_memory_to_json(const struct cdn_cg_memory *m);

/* ---- memory tiers, HMAT access attributes, weighted interleave, demotion (tiers.c) ---- */
/* One HMAT access class of a node as sysfs shows it (nodeN/access0: the best initiator of any
 * kind; access1: the best CPU initiator). Latency in ns, bandwidth in MB/s, as the kernel prints. */
struct cdn_tier_access {
    int have;               /* 1 if nodeN/accessK/initiators exists */
    cdn_nodeset initiators; /* the nodeX links in it */
    int64_t read_latency, write_latency, read_bandwidth, write_bandwidth;   /* -1 if absent */
};
struct cdn_tier_node {
    int tier;               /* memory_tierN holding the node; -1 if none */
    struct cdn_tier_access access[2];
    int64_t wi_weight;      /* weighted_interleave/nodeN; -1 if absent */
};
struct cdn_tier_snapshot {
    char kernel[128];       /* osrelease */
    cdn_nodeset nodes;      /* the nodes asked about */
    int have_tiers;         /* /sys/devices/virtual/memory_tiering exists */
    int have_hmat;          /* some node has access0 */
    int have_wi;            /* /sys/kernel/mm/mempolicy/weighted_interleave exists */
    int demotion;           /* /sys/kernel/mm/numa/demotion_enabled: 1, 0, -1 if absent */
    int numa_balancing;     /* /proc/sys/kernel/numa_balancing: 0..3, -1 if absent */
    struct cdn_tier_node node[CDN_MAX_NODES];
};
/* Reads what the kernel shows under sysfs_root ("/sys") and proc_root ("/proc") for the nodes in
 * `nodes`. Files that do not exist are absences (cdn_tier_absent says why); a file that exists but
 * does not hold what the kernel writes there is an error naming it. */
int cdn_tier_read(const char *sysfs_root, const char *proc_root, cdn_nodeset nodes,
                  struct cdn_tier_snapshot *out, char err[CDN_ERR_LEN]);
/* Why a field is absent ("memory_tiers", "hmat", "weighted_interleave", "demotion_enabled",
 * "numa_balancing"), in words naming the kernel release; NULL when it is present. */
const char *cdn_tier_absent(const struct cdn_tier_snapshot *t, const char *field, char *buf, size_t len);
/* Adds the tier fields to a cdn_topo_to_json() object: per node "memory_tier", "hmat",
 * "weighted_interleave_weight" (and "absent": reasons), and a "tiering" object. 0 or -1 (ENOMEM). */
int cdn_tier_attach(json_t *topology, const struct cdn_tier_snapshot *t);
/* One node's HMAT figures as JSON ({"access0": {...}, "access1": {...}}), null if none. */
json_t *cdn_tier_hmat_json(const struct cdn_tier_snapshot *t, int node);

/* ---- is this machine virtual (virt.c) ---- */
struct cdn_virt_info {
    int virtualized;        /* 1 if any sign says so */
    int cpu_flag;           /* /proc/cpuinfo "hypervisor" flag */
    char hypervisor[16];    /* CPUID 0x40000000 signature ("KVMKVMKVM", "TCGTCGTCGTCG"), "" if none */
    char dmi[160];          /* /sys/class/dmi/id sys_vendor and product_name, "" if unreadable */
};
/* Reads proc_cpuinfo ("/proc/cpuinfo"), the CPUID hypervisor leaf and sysfs_root's DMI names. */
void cdn_virt_detect(const char *proc_cpuinfo, const char *sysfs_root, struct cdn_virt_info *out);
json_t *cdn_virt_to_json(const struct cdn_virt_info *v);

#endif /* CDN_NUMA_TOOLKIT_H */
