/* exp_attrib.c: the attribution arithmetic. For every node and phase: the change in used memory
 * (MemTotal - MemFree - per-CPU free lists), the change of each nodeN/meminfo counter, and the
 * named shares: the experiment's own pages, this process's other anonymous pages, its page tables
 * (VmPTE, placed where the nodes' PageTables moved) and the parent's anonymous pages; what they do
 * not explain is `unexplained`. Pure: snapshots in, numbers out, no kernel reads. */
#include "exp_attrib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_BYTES 4096

static const char *const phase_names[ATTRIB_PHASES] = {"allocate", "touch", "release"};
static const char *const share_names[ATTRIB_SHARES] = {"experiment", "process_other",
                                                       "process_page_tables", "parent"};

const char *attrib_phase_name(enum attrib_phase p)
{
    return (unsigned)p < ATTRIB_PHASES ? phase_names[p] : "unknown";
}

const char *attrib_share_name(enum attrib_share s)
{
    return (unsigned)s < ATTRIB_SHARES ? share_names[s] : "unknown";
}

bool attrib_field_adds_up(enum cdn_nodestat_field f)
{
    switch (f) {
    case CDN_NODESTAT_ANON_PAGES: case CDN_NODESTAT_FILE_PAGES: case CDN_NODESTAT_PAGE_TABLES:
    case CDN_NODESTAT_SEC_PAGE_TABLES: case CDN_NODESTAT_KERNEL_STACK: case CDN_NODESTAT_SRECLAIMABLE:
    case CDN_NODESTAT_SUNRECLAIM:
        return true;
    default:
        return false;
    }
}

/* The experiment's bytes on node n at snapshot at; false when unknown. Nothing is mapped before
 * allocating or after releasing. */
static bool experiment_at(const struct attrib_snaps *s, const struct attrib_context *c,
                          enum attrib_at at, int n, int64_t *out)
{
    *out = 0;
    if (at == ATTRIB_BEFORE || at == ATTRIB_RELEASED)
        return true;
    if (at == ATTRIB_TOUCHED && c->placement_pages) {
        *out = c->placement_pages[n] * PAGE_BYTES;
        return true;
    }
    *out = s->at[at].self.in_ranges[n];
    return s->at[at].self.readable;
}

/* The parent's anonymous bytes on node n at a and b, if the same parent was read both times. */
static bool parent_change(const struct cdn_procstat *a, const struct cdn_procstat *b, int n, int64_t *out)
{
    *out = 0;
    if (!a->readable || !b->readable || a->pid != b->pid)
        return false;
    *out = b->anon[n] - a->anon[n];
    return true;
}

/* Places the change d of this process's page tables. The kernel allocates them under the task's
 * policy, so they lie on the nodes that policy allows (task_nodes); when that is one node, there.
 * Otherwise on the allowed nodes whose PageTables counter moved the same way, in proportion, never
 * more than a node's own counter moved: the kernel counts page tables per node but not per process
 * and node. What no node shows stays unplaced. */
static void split_page_tables(int64_t d, const int64_t dpt[CDN_MAX_NODES], cdn_nodeset task_nodes,
                              int64_t share[CDN_MAX_NODES], int64_t *unplaced)
{
    int64_t w[CDN_MAX_NODES] = {0}, total = 0, given = 0;
    int big = -1;
    memset(share, 0, sizeof(int64_t) * CDN_MAX_NODES);
    *unplaced = d;
    if (d == 0)
        return;
    if (cdn_nodeset_count(task_nodes) == 1) {
        share[__builtin_ctzll(task_nodes)] = d;
        *unplaced = 0;
        return;
    }
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        if (!CDN_NODESET_HAS(task_nodes, n) || (d > 0 ? dpt[n] <= 0 : dpt[n] >= 0))
            continue;
        w[n] = dpt[n];
        total += w[n];
        if (big < 0 || llabs(w[n]) > llabs(w[big]))
            big = n;
    }
    if (total == 0)
        return;
    bool all = llabs(d) >= llabs(total);
    for (int n = 0; n < CDN_MAX_NODES; n++) {
        if (!w[n])
            continue;
        share[n] = all ? w[n] : (int64_t)((__int128)d * w[n] / total);  /* |d| < |total|: fits */
        given += share[n];
    }
    if (!all)
        share[big] += d - given;    /* the rounding remainder */
    *unplaced = all ? d - total : 0;
}

/* The change of every counter and the used memory between snapshots a and b. */
static void counters(const struct cdn_nodestat_snapshot *a, const struct cdn_nodestat_snapshot *b, int n,
                     bool with_pcp, uint32_t fields, struct attrib_cell *cell)
{
    cell->used_change = cdn_nodestat_used(b, n, with_pcp) - cdn_nodestat_used(a, n, with_pcp);
    int64_t sum = 0;
    for (int f = 0; f < CDN_NODESTAT_FIELDS; f++) {
        cell->counter[f] = (fields >> f) & 1 ? b->field[n][f] - a->field[n][f] : 0;
        if (attrib_field_adds_up((enum cdn_nodestat_field)f))
            sum += cell->counter[f];
    }
    cell->not_in_counters = cell->used_change - sum;
}

static void shares(const struct attrib_snaps *s, const struct attrib_context *c, enum attrib_phase p,
                   int n, int64_t pte_share, bool pte_known, struct attrib_cell *cell)
{
    const struct attrib_snap *a = &s->at[p], *b = &s->at[p + 1];
    int64_t ea, eb;
    cell->have_share[ATTRIB_EXPERIMENT] = experiment_at(s, c, (enum attrib_at)p, n, &ea) &&
                                          experiment_at(s, c, (enum attrib_at)(p + 1), n, &eb);
    cell->share[ATTRIB_EXPERIMENT] = cell->have_share[ATTRIB_EXPERIMENT] ? eb - ea : 0;
    cell->have_share[ATTRIB_PROCESS_OTHER] = a->self.readable && b->self.readable;
    cell->share[ATTRIB_PROCESS_OTHER] =
        cell->have_share[ATTRIB_PROCESS_OTHER] ? b->self.anon[n] - a->self.anon[n] : 0;
    cell->have_share[ATTRIB_PAGE_TABLES] = pte_known;
    cell->share[ATTRIB_PAGE_TABLES] = pte_share;
    cell->have_share[ATTRIB_PARENT] = parent_change(&a->parent, &b->parent, n, &cell->share[ATTRIB_PARENT]);
    cell->explained = 0;
    for (int k = 0; k < ATTRIB_SHARES; k++)
        if (cell->have_share[k])
            cell->explained += cell->share[k];
    cell->unexplained = cell->used_change - cell->explained;
    cell->unexplained_pct = cell->used_change == 0 ? -1.0
        : 100.0 * (double)llabs(cell->unexplained) / (double)llabs(cell->used_change);
}

static void phase(const struct attrib_snaps *s, const struct attrib_context *c, enum attrib_phase p,
                  struct attrib_result *out)
{
    const struct attrib_snap *a = &s->at[p], *b = &s->at[p + 1];
    int64_t dpt[CDN_MAX_NODES] = {0}, pte[CDN_MAX_NODES];
    for (int n = 0; n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(out->nodes, n)) {
            counters(&a->node, &b->node, n, out->with_pcp, out->fields, &out->cell[p][n]);
            dpt[n] = out->cell[p][n].counter[CDN_NODESTAT_PAGE_TABLES];
        }
    bool pte_known = a->self.readable && b->self.readable && a->self.vm_pte >= 0 && b->self.vm_pte >= 0;
    split_page_tables(pte_known ? b->self.vm_pte - a->self.vm_pte : 0, dpt, c->task_nodes & out->nodes, pte,
                      &out->pte_unplaced[p]);
    for (int n = 0; n < CDN_MAX_NODES; n++)
        if (CDN_NODESET_HAS(out->nodes, n))
            shares(s, c, p, n, pte[n], pte_known, &out->cell[p][n]);
}

int attrib_compute(const struct attrib_snaps *s, const struct attrib_context *c,
                   struct attrib_result *out, char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    out->nodes = ~(cdn_nodeset)0;
    out->fields = ~0u;
    out->with_pcp = out->have_numastat = true;
    for (int i = 0; i < ATTRIB_SNAPS; i++) {
        if (!s->at[i].taken)
            return cdn_err(err, EINVAL, "attribution: snapshot %d was not taken", i);
        out->nodes &= s->at[i].node.nodes;
        out->fields &= s->at[i].node.fields_seen;
        out->with_pcp = out->with_pcp && s->at[i].node.have_pcp;
        out->have_numastat = out->have_numastat && s->at[i].node.have_numastat;
    }
    for (int p = 0; p < ATTRIB_PHASES; p++)
        phase(s, c, (enum attrib_phase)p, out);
    const struct cdn_nodestat_snapshot *first = &s->at[ATTRIB_BEFORE].node, *last = &s->at[ATTRIB_RELEASED].node;
    for (int n = 0; out->have_numastat && n < CDN_MAX_NODES; n++)
        for (int k = 0; CDN_NODESET_HAS(out->nodes, n) && k < CDN_NODESTAT_NUMA_COUNTERS; k++)
            out->numastat[n][k] = last->numa[n][k] - first->numa[n][k];
    return 0;
}
