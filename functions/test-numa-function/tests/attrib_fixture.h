/* attrib_fixture.h: the fixture snapshots the attribution tests share (test_attrib.c,
 * test_diagnosis.c): a two-node machine where nothing moves, and the seed scenario on it. Test
 * code only: every definition is static, one copy per test program. */
#ifndef CDN_ATTRIB_FIXTURE_H
#define CDN_ATTRIB_FIXTURE_H

#define KIB ((int64_t)1 << 10)
#define MIB ((int64_t)1 << 20)
#define GIB ((int64_t)1 << 30)
#define EXP_BYTES (256 * MIB)

/* Both nodes: 1 GiB, 900 MiB free, 4 MiB on per-CPU lists, some of every counter; this process
 * (pid 10) with 1 MiB of anonymous memory on node 0 and 2 MiB on node 1, its parent (pid 1) with
 * 6 MiB on node 0. All four snapshots alike: nothing moves. */
static void base(struct attrib_snaps *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < ATTRIB_SNAPS; i++) {
        struct attrib_snap *x = &s->at[i];
        x->taken = true;
        x->node.nodes = 0x3;
        x->node.fields_seen = (1u << CDN_NODESTAT_FIELDS) - 1;
        x->node.have_pcp = x->node.have_numastat = 1;
        for (int n = 0; n < 2; n++) {
            int64_t *f = x->node.field[n];
            f[CDN_NODESTAT_MEM_TOTAL] = GIB;
            f[CDN_NODESTAT_MEM_FREE] = 900 * MIB;
            f[CDN_NODESTAT_ANON_PAGES] = 50 * MIB;
            f[CDN_NODESTAT_FILE_PAGES] = 30 * MIB;
            f[CDN_NODESTAT_SHMEM] = 10 * MIB;
            f[CDN_NODESTAT_PAGE_TABLES] = MIB;
            f[CDN_NODESTAT_KERNEL_STACK] = 512 * KIB;
            f[CDN_NODESTAT_SRECLAIMABLE] = 8 * MIB;
            f[CDN_NODESTAT_SUNRECLAIM] = 4 * MIB;
            x->node.pcp_free[n] = 4 * MIB;
            x->node.numa[n][CDN_NODESTAT_NUMA_HIT] = 1000 * (i + 1);
        }
        x->self = (struct cdn_procstat){.readable = 1, .pid = 10, .ppid = 1, .comm = "server",
                                    .policy = "bind:1", .vm_pte = 200 * KIB};
        x->self.anon[0] = MIB;
        x->self.anon[1] = 2 * MIB;
        x->parent = (struct cdn_procstat){.readable = 1, .pid = 1, .comm = "fwatchdog", .policy = "default",
                                      .vm_pte = 100 * KIB};
        x->parent.anon[0] = 6 * MIB;
    }
}

/* Snapshots from..to: counter f of node n grows by d and MemFree shrinks as much. */
static void use(struct attrib_snaps *s, int from, int to, int n, enum cdn_nodestat_field f, int64_t d)
{
    for (int i = from; i <= to; i++) {
        s->at[i].node.field[n][f] += d;
        s->at[i].node.field[n][CDN_NODESTAT_MEM_FREE] -= d;
    }
}

static int64_t placement[CDN_MAX_NODES];

/* --membind 1, 256 MiB: at touched the experiment holds 256 MiB on node 1 (and 64 KiB of somebody
 * else's anonymous memory came too) with 512 KiB of page tables; node 0 gained 2 MiB of page cache
 * and the parent 128 KiB. On release the freed pages leave MemFree alone for 8 MiB of them: they
 * sit on node 1's per-CPU lists. */
static struct attrib_context seed(struct attrib_snaps *s)
{
    base(s);
    use(s, ATTRIB_TOUCHED, ATTRIB_RELEASED, 1, CDN_NODESTAT_ANON_PAGES, EXP_BYTES + 64 * KIB);
    use(s, ATTRIB_TOUCHED, ATTRIB_TOUCHED, 1, CDN_NODESTAT_PAGE_TABLES, 512 * KIB);
    s->at[ATTRIB_TOUCHED].self.vm_pte += 512 * KIB;
    s->at[ATTRIB_TOUCHED].self.in_ranges[1] = EXP_BYTES;
    use(s, ATTRIB_RELEASED, ATTRIB_RELEASED, 1, CDN_NODESTAT_ANON_PAGES, -EXP_BYTES);
    s->at[ATTRIB_RELEASED].node.field[1][CDN_NODESTAT_MEM_FREE] -= 8 * MIB;
    s->at[ATTRIB_RELEASED].node.pcp_free[1] += 8 * MIB;
    use(s, ATTRIB_TOUCHED, ATTRIB_RELEASED, 0, CDN_NODESTAT_FILE_PAGES, 2 * MIB);
    use(s, ATTRIB_TOUCHED, ATTRIB_RELEASED, 0, CDN_NODESTAT_ANON_PAGES, 128 * KIB);
    for (int i = ATTRIB_TOUCHED; i < ATTRIB_SNAPS; i++)
        s->at[i].parent.anon[0] += 128 * KIB;
    memset(placement, 0, sizeof placement);
    placement[1] = EXP_BYTES / 4096;
    return (struct attrib_context){.target = 0x2, .policy_mode = MPOL_BIND, .policy_name = "bind",
                                   .task_nodes = 0x2, .mems_allowed = 0x3, .mems_allowed_list = "0-1",
                                   .bytes = EXP_BYTES, .touch = true, .placement_pages = placement};
}

static struct attrib_snaps snaps;
static struct attrib_result res;

static void compute(const struct attrib_context *c)
{
    char err[CDN_ERR_LEN];
    assert_int_equal(attrib_compute(&snaps, c, &res, err), 0);
}

#endif /* CDN_ATTRIB_FIXTURE_H */
