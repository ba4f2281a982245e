/* exp_sweep.c: sweep=true. For every memory node of the plan, buffers of the plan's size are mapped,
 * bound there (mbind MPOL_BIND) and touched; then, from a thread pinned to the CPUs of every CPU node
 * the cpuset allows, latency and bandwidth are measured over them, and their pages located again:
 * a matrix of memory node x CPU node, each cell with its placement proof. */
#include "exp.h"

#include <errno.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct cell_job {
    const struct exp_plan *plan;
    struct cdn_place_range range;
    struct exp_sweep_cell *cell;
};

static void *cell_thread(void *arg)
{
    struct cell_job *job = arg;
    struct exp_sweep_cell *c = job->cell;
    if (exp_measure_ranges(&job->range, 1, job->plan->params.tier.measure, job->plan->llc_bytes,
                           &c->m, c->err) != 0)
        c->rc = 500;
    else if (cdn_place_query(&job->range, 1, &c->placement, c->err) != 0)
        c->rc = 500;
    return NULL;
}

/* Runs one cell on a thread whose affinity is the CPU node's CPUs the process may use. */
static void run_cell(struct cell_job *job, const cdn_cpuset *cpus, const cdn_cpuset *allowed)
{
    cpu_set_t *set = CPU_ALLOC(CDN_MAX_CPUS);
    size_t size = CPU_ALLOC_SIZE(CDN_MAX_CPUS);
    pthread_attr_t attr;
    pthread_t th;
    int e = set ? pthread_attr_init(&attr) : ENOMEM;
    if (e != 0) {
        job->cell->rc = (cdn_err(job->cell->err, e, "sweep thread attributes"), 500);
        CPU_FREE(set);
        return;
    }
    CPU_ZERO_S(size, set);
    for (int c = 0; c < CDN_MAX_CPUS; c++)
        if (cdn_cpuset_has(cpus, c) && cdn_cpuset_has(allowed, c))
            CPU_SET_S(c, size, set);
    e = pthread_attr_setaffinity_np(&attr, size, set);
    if (e == 0)
        e = pthread_create(&th, &attr, cell_thread, job);
    if (e == 0)
        e = pthread_join(th, NULL);
    if (e != 0)
        job->cell->rc = (cdn_err(job->cell->err, e, "sweep thread on node %d", job->cell->cpu_node), 500);
    pthread_attr_destroy(&attr);
    CPU_FREE(set);
}

/* Maps, binds to `node` and touches the plan's bytes; NULL with err. */
static char *bound_buffer(size_t len, int node, char err[CDN_ERR_LEN])
{
    char why[CDN_ERR_LEN];
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return cdn_err(err, errno, "sweep: mmap %zu bytes", len), NULL;
    if (madvise(p, len, MADV_NOHUGEPAGE) != 0 ||
        cdn_policy_mbind(p, len, MPOL_BIND, (cdn_nodeset)1 << node, 0, why) != 0) {
        cdn_err(err, errno, "sweep: madvise/mbind to node %d", node);
        munmap(p, len);
        return NULL;
    }
    for (size_t off = 0; off < len; off += 4096)
        p[off] = 1;
    return p;
}

static int sweep_node(const struct exp_plan *plan, int mem, const struct cdn_topo_snapshot *topo,
                      const struct cdn_proc_policy *pol, struct exp_sweep *out, char err[CDN_ERR_LEN])
{
    size_t len = (size_t)plan->total_bytes;
    char *buf = bound_buffer(len, mem, err);
    if (!buf)
        return 500;
    for (int i = 0; i < topo->n_nodes; i++) {
        if (!CDN_NODESET_HAS(plan->sweep_cpu, topo->nodes[i].id) || out->n >= out->cap)
            continue;
        struct exp_sweep_cell *c = &out->cells[out->n++];
        c->mem_node = mem;
        c->cpu_node = topo->nodes[i].id;
        struct cell_job job = {plan, {buf, len}, c};
        run_cell(&job, &topo->nodes[i].cpus, &pol->cpus_allowed);
    }
    munmap(buf, len);
    return 0;
}

int exp_sweep_run(const struct exp_plan *plan, struct exp_sweep *out, char err[CDN_ERR_LEN])
{
    memset(out, 0, sizeof *out);
    if (!plan->params.tier.sweep)
        return 0;
    int cap = cdn_nodeset_count(plan->sweep_mem) * cdn_nodeset_count(plan->sweep_cpu);
    struct cdn_topo_snapshot *topo = malloc(sizeof *topo);
    struct cdn_proc_policy *pol = malloc(sizeof *pol);
    out->cells = calloc((size_t)(cap > 0 ? cap : 1), sizeof *out->cells);
    out->cap = cap;
    int rc = topo && pol && out->cells ? 0 : (cdn_err(err, ENOMEM, "sweep"), 500);
    if (rc == 0 && (cdn_topo_read("/sys", topo, err) != 0 || cdn_policy_read("/proc/self/status", pol, err) != 0))
        rc = 500;
    out->done = rc == 0;
    for (int m = 0; rc == 0 && m < CDN_MAX_NODES; m++)
        if (CDN_NODESET_HAS(plan->sweep_mem, m))
            rc = sweep_node(plan, m, topo, pol, out, err);
    if (topo)
        cdn_topo_free(topo);
    free(topo);
    free(pol);
    cdn_virt_detect("/proc/cpuinfo", "/sys", &out->virt);
    return rc;
}

void exp_sweep_free(struct exp_sweep *s)
{
    free(s->cells);
    s->cells = NULL;
    s->n = 0;
}
