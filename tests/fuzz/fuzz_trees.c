/* fuzz_trees.c: the part of the parsers' libFuzzer target that feeds parsers reading kernel
 * files. A scratch tree under $TMPDIR stands in for /sys and /proc: each input rewrites the files
 * its parser reads, then the parser runs on the tree through the runtime's public entry points
 * (cdn_meminfo_parse_file, cdn_meminfo_snapshot, cdn_nodestat_snapshot, cdn_cg_memory_read, cdn_topo_read,
 * cdn_policy_read), and the answer is checked, where the function renders one, through that JSON.
 * The tree is removed at exit. */
#include "exp.h"
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX - 128];   /* the scratch tree; "" until fuzz_trees_init */

/* What each file of the tree holds now: a file is rewritten only when its text changes (most
 * inputs change one part), which keeps the executions per second up. */
#define TREE_FILES 32
#define TREE_TEXT_MAX 4096      /* run.sh's -max_len: no part is longer */
static struct tree_file {
    const char *rel;            /* a string literal of this file */
    size_t len;
    unsigned char text[TREE_TEXT_MAX];
} files[TREE_FILES];

/* 1 if rel already holds exactly data; otherwise remembers data as its text (when it fits). */
static int unchanged(const char *rel, const void *data, size_t len)
{
    struct tree_file *f = NULL;
    for (size_t i = 0; i < TREE_FILES && !f; i++)
        if (!files[i].rel || strcmp(files[i].rel, rel) == 0)
            f = &files[i];
    if (!f)
        return 0;
    if (f->rel && f->len == len && memcmp(f->text, data, len) == 0)
        return 1;
    f->rel = len <= TREE_TEXT_MAX ? rel : NULL;
    f->len = len;
    if (f->rel)
        memcpy(f->text, data, len);
    return 0;
}

/* Writes len bytes to root/rel, replacing what was there. */
static void put_file(const char *rel, const void *data, size_t len)
{
    if (unchanged(rel, data, len))
        return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fuzz_fail(path);
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, (const char *)data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fuzz_fail(path);
        done += (size_t)n;
    }
    if (close(fd) != 0)
        fuzz_fail(path);
}

static void put_text(const char *rel, const char *text)
{
    put_file(rel, text, strlen(text));
}

static void put_part(const char *rel, struct fuzz_part p)
{
    put_file(rel, p.data, p.len);
}

/* A file of the scratch tree and the part of the input it gets. */
struct input_file {
    const char *rel;
    int part;
};

/* Splits an input into four NUL-separated parts and writes each of the n files its part. */
static void put_input(const uint8_t *data, size_t size, struct fuzz_part part[4],
                      const struct input_file *inputs, size_t n)
{
    fuzz_split(data, size, part, 4);
    for (size_t i = 0; i < n; i++)
        put_part(inputs[i].rel, part[inputs[i].part]);
}

/* path = root/rel. */
static void tree_path(char path[PATH_MAX], const char *rel)
{
    snprintf(path, PATH_MAX, "%s/%s", root, rel);
}

static int make_dirs(const char *const *rels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", root, rels[i]);
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void remove_tree(void)
{
    if (root[0])
        (void)nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#define NODE_MEMINFO(n) "Node " #n " MemTotal: 1048576 kB\nNode " #n " MemFree: 524288 kB\n"
static const char v1_root_limit[] = "9223372036854771712\n";   /* v1 "no limit" at the root */

int fuzz_trees_init(void)
{
    static const char *const dirs[] = {
        "mem", "mem/devices", "mem/devices/system", "mem/devices/system/node",
        "mem/devices/system/node/node0", "mem/devices/system/node/node1", "mem/kernel",
        "mem/kernel/mm", "mem/kernel/mm/transparent_hugepage",
        "topo", "topo/devices", "topo/devices/system", "topo/devices/system/node",
        "topo/devices/system/node/node0", "topo/devices/system/node/node1",
        "topo/devices/system/node/node2", "topo/bus", "topo/bus/pci", "topo/bus/pci/devices",
        "topo/bus/pci/devices/0000:00:01.0",
        "cg", "cg/memory", "cg/memory/pod", "cg/memory/pod/ctr", "cg/pod", "cg/pod/ctr",
    };
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/cdn-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        root[0] = '\0';
        return -1;
    }
    if (atexit(remove_tree) != 0 || make_dirs(dirs, sizeof dirs / sizeof dirs[0]) != 0)
        return -1;
    put_text("mem/devices/system/node/node1/meminfo", NODE_MEMINFO(1));
    put_text("mem/devices/system/node/node1/numastat", "numa_hit 5\nnuma_miss 0\nnuma_foreign 0\n"
             "interleave_hit 1\nlocal_node 5\nother_node 0\n");
    put_text("topo/devices/system/node/node1/meminfo", NODE_MEMINFO(1));
    put_text("topo/devices/system/node/node2/meminfo", NODE_MEMINFO(2));
    put_text("topo/devices/system/node/node0/meminfo", NODE_MEMINFO(0));
    put_text("topo/devices/system/node/node1/distance", "21 10 30\n");
    put_text("topo/devices/system/node/node2/cpulist", "\n");
    put_text("topo/devices/system/node/node2/distance", "30 30 10\n");
    put_text("topo/bus/pci/devices/0000:00:01.0/class", "0x010601\n");
    put_text("cg/memory/memory.limit_in_bytes", v1_root_limit);
    put_text("cg/memory/memory.usage_in_bytes", "734003200\n");
    return 0;
}

/* A meminfo snapshot of the two-node tree: nothing left the free pool between it and itself. */
static void check_meminfo_snapshot(const char *sys, const char *zone)
{
    struct cdn_meminfo_snapshot s;
    char err[CDN_ERR_LEN];
    if (cdn_meminfo_snapshot(sys, zone, &s, err) != 0)
        return;
    if (s.nodes != 3)
        fuzz_fail("cdn_meminfo_snapshot: nodes other than node0 and node1");
    json_t *d = cdn_meminfo_delta_json(&s, &s), *v;
    const char *key;
    if (!d || json_object_size(d) != 2)
        fuzz_fail("cdn_meminfo_delta_json: one member per node");
    json_object_foreach(d, key, v)
        if (json_integer_value(v) != 0)
            fuzz_fail("cdn_meminfo_delta_json: a snapshot differs from itself");
    json_decref(d);
    json_t *f = cdn_meminfo_free_json(&s), *p = cdn_meminfo_pcp_json(&s);
    if (!f || !p)
        fuzz_fail("cdn_meminfo_free_json/cdn_meminfo_pcp_json: NULL");
    json_decref(f);
    json_decref(p);
}

/* A nodestat snapshot of the same tree: two nodes, and the THP mode is the bracketed word of the
 * enabled file (or "" when it has none). */
static void check_nodestat_snapshot(const char *sys, const char *zone, struct fuzz_part thp)
{
    static struct cdn_nodestat_snapshot s;
    char err[CDN_ERR_LEN];
    if (cdn_nodestat_snapshot(sys, zone, &s, err) != 0) {
        check_err(err, "cdn_nodestat_snapshot: failed without error text");
        return;
    }
    if (s.nodes != 3 || !memchr(s.thp_mode, '\0', sizeof s.thp_mode))
        fuzz_fail("cdn_nodestat_snapshot: nodes other than node0 and node1, or a THP mode not a string");
    char *text = fuzz_dup_text(thp.data, thp.len), word[sizeof s.thp_mode + 2];
    snprintf(word, sizeof word, "[%s]", s.thp_mode);
    if (s.thp_mode[0] && !strstr(text, word))
        fuzz_fail("cdn_nodestat_snapshot: a THP mode the enabled file does not select");
    free(text);
    (void)cdn_nodestat_used(&s, 0, true);
    (void)cdn_nodestat_used(&s, 1, false);
}

/* Input: "node0/meminfo\0/proc/zoneinfo\0node0/numastat\0transparent_hugepage/enabled" for a
 * two-node tree (node 1's files fixed): one meminfo file alone, then both kinds of snapshot. */
void fuzz_meminfo(const uint8_t *data, size_t size)
{
    static const struct input_file inputs[] = {
        {"mem/devices/system/node/node0/meminfo", 0}, {"mem/zoneinfo", 1},
        {"mem/devices/system/node/node0/numastat", 2}, {"mem/kernel/mm/transparent_hugepage/enabled", 3},
    };
    struct fuzz_part part[4];
    put_input(data, size, part, inputs, sizeof inputs / sizeof inputs[0]);
    char path[PATH_MAX], zone[PATH_MAX], err[CDN_ERR_LEN];
    tree_path(path, "mem/devices/system/node/node0/meminfo");
    tree_path(zone, "mem/zoneinfo");
    int64_t total = 0, free_b = 0;
    if (cdn_meminfo_parse_file(path, &total, &free_b, err) == 0 && (total < 0 || free_b < 0))
        fuzz_fail("cdn_meminfo_parse_file: a negative MemTotal or MemFree");
    tree_path(path, "mem");
    check_meminfo_snapshot(path, zone);
    check_nodestat_snapshot(path, zone, part[3]);
}

/* The value a limit file's text can stand for: its leading number, or none. */
static int limit_candidate(struct fuzz_part p, int64_t *out)
{
    char *text = fuzz_dup_text(p.data, p.len), *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    int ok = end != text && errno == 0 && v < (1ULL << 62);
    free(text);
    *out = (int64_t)v;
    return ok;
}

/* Input: "/proc/self/cgroup text\0container limit\0pod limit\0usage". The tree holds a v1
 * hierarchy (cg/memory/pod/ctr, memory.limit_in_bytes) and a v2 one (cg/pod/ctr, memory.max): the
 * container's limit file gets the first limit, its parent (the pod) the second. */
void fuzz_cgroup(const uint8_t *data, size_t size)
{
    static const struct input_file inputs[] = {
        {"proc-cgroup", 0},
        {"cg/memory/pod/ctr/memory.limit_in_bytes", 1}, {"cg/memory/pod/memory.limit_in_bytes", 2},
        {"cg/memory/pod/ctr/memory.usage_in_bytes", 3}, {"cg/memory/pod/memory.usage_in_bytes", 3},
        {"cg/pod/ctr/memory.max", 1}, {"cg/pod/memory.max", 2},
        {"cg/pod/ctr/memory.current", 3}, {"cg/pod/memory.current", 3},
    };
    struct fuzz_part part[4];
    put_input(data, size, part, inputs, sizeof inputs / sizeof inputs[0]);

    char proc[PATH_MAX], cg[PATH_MAX], err[CDN_ERR_LEN];
    tree_path(proc, "proc-cgroup");
    tree_path(cg, "cg");
    struct cdn_cg_memory m;
    if (cdn_cg_memory_read(proc, cg, &m, err) != 0) {
        check_err(err, "cdn_cg_memory_read: failed without error text");
        return;
    }
    json_t *j = cdn_cg_memory_to_json(&m);
    if (!j)
        fuzz_fail("cdn_cg_memory_to_json: NULL");
    json_int_t version = json_integer_value(json_object_get(j, "version"));
    json_int_t limit = json_integer_value(json_object_get(j, "limit"));
    json_int_t headroom = json_integer_value(json_object_get(j, "headroom"));
    const char *path = json_string_value(json_object_get(j, "path"));
    if (version < 0 || version > 2)
        fuzz_fail("cdn_cg_memory_read: a cgroup version other than 0, 1 or 2");
    if (limit < -1 || (limit >= 0 && (headroom < 0 || headroom > limit)))
        fuzz_fail("cdn_cg_memory_read: limit below -1, or headroom outside 0..limit");
    /* A limit comes from a limit file: it is the number one of them holds. (A path that climbs
     * out of the tree with ".." may reach the machine's own files: not judged.) */
    int64_t c1, c2;
    int in_tree = path && strncmp(path, cg, strlen(cg)) == 0 && !strstr(path, "..");
    if (limit >= 0 && in_tree && !(limit_candidate(part[1], &c1) && c1 == limit) &&
        !(limit_candidate(part[2], &c2) && c2 == limit))
        fuzz_fail("cdn_cg_memory_read: a limit that no limit file holds");
    json_decref(j);
}

/* row i of the JSON distance matrix equals want[0..2]. */
static int row_is(json_t *rows, size_t i, const int want[3])
{
    json_t *row = json_array_get(rows, i);
    if (json_array_size(row) != 3)
        return 0;
    for (size_t k = 0; k < 3; k++)
        if (json_integer_value(json_array_get(row, k)) != want[k])
            return 0;
    return 1;
}

/* Input: "node0 cpulist\0node1 cpulist\0node0 distance\0PCI numa_node" for a three-node tree
 * (node 2 memory-only; its and node 1's distances fixed). */
void fuzz_topology(const uint8_t *data, size_t size)
{
    static const struct input_file inputs[] = {
        {"topo/devices/system/node/node0/cpulist", 0}, {"topo/devices/system/node/node1/cpulist", 1},
        {"topo/devices/system/node/node0/distance", 2}, {"topo/bus/pci/devices/0000:00:01.0/numa_node", 3},
    };
    struct fuzz_part part[4];
    put_input(data, size, part, inputs, sizeof inputs / sizeof inputs[0]);

    char sys[PATH_MAX], err[CDN_ERR_LEN];
    tree_path(sys, "topo");
    struct cdn_topo_snapshot t;
    if (cdn_topo_read(sys, &t, err) != 0) {
        check_err(err, "cdn_topo_read: failed without error text");
        return;
    }
    json_t *j = cdn_topo_to_json(&t);
    cdn_topo_free(&t);
    if (!fuzz_json_usable(j, part, 4, "cdn_topo_to_json: NULL for ASCII text"))
        return;
    json_t *ids = json_object_get(j, "node_ids"), *nodes = json_object_get(j, "nodes");
    json_t *rows = json_object_get(j, "distances");
    static const int d1[3] = {21, 10, 30}, d2[3] = {30, 30, 10};
    if (json_array_size(ids) != 3 || json_array_size(nodes) != 3 || json_array_size(rows) != 3 ||
        json_array_size(json_object_get(j, "pci")) != 1)
        fuzz_fail("cdn_topo_read: not the tree's three nodes and one PCI device");
    if (!row_is(rows, 1, d1) || !row_is(rows, 2, d2))
        fuzz_fail("cdn_topo_read: node 0's distance text changed another node's distances");
    for (size_t i = 0; i < 3; i++)
        if (json_integer_value(json_object_get(json_array_get(nodes, i), "n_cpus")) < 0)
            fuzz_fail("cdn_topo_read: a negative CPU count");
    if (json_integer_value(json_object_get(json_array_get(nodes, 2), "n_cpus")) != 0)
        fuzz_fail("cdn_topo_read: the memory-only node has CPUs");
    json_decref(j);
}

/* Input: a /proc/self/status text (Mems_allowed_list, Cpus_allowed_list). */
void fuzz_status(const uint8_t *data, size_t size)
{
    put_file("status", data, size);
    char path[PATH_MAX], err[CDN_ERR_LEN];
    tree_path(path, "status");
    struct cdn_proc_policy p;
    if (cdn_policy_read(path, &p, err) != 0) {
        check_err(err, "cdn_policy_read: failed without error text");
        return;
    }
    json_t *j = cdn_policy_to_json(&p);
    struct fuzz_part whole = {data, size};
    if (!fuzz_json_usable(j, &whole, 1, "cdn_policy_to_json: NULL for ASCII text"))
        return;
    /* The allowed nodes answered are the ones the list answered says. */
    const char *list = json_string_value(json_object_get(j, "mems_allowed_list"));
    json_t *arr = json_object_get(j, "mems_allowed"), *v;
    cdn_nodeset from_list = 0, from_arr = 0;
    size_t i;
    if (!list || cdn_nodeset_parse(list, &from_list, err) != 0)
        fuzz_fail("cdn_policy_read: a mems_allowed_list that does not parse");
    json_array_foreach(arr, i, v) {
        json_int_t n = json_integer_value(v);
        if (n < 0 || n >= CDN_MAX_NODES)
            fuzz_fail("cdn_policy_read: a node id out of range");
        from_arr |= (cdn_nodeset)1 << n;
    }
    if (from_arr != from_list)
        fuzz_fail("cdn_policy_read: mems_allowed differs from mems_allowed_list");
    json_decref(j);
}
