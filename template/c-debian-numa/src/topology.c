/* topology.c: the machine's NUMA layout read from sysfs: nodes, their CPUs (cpulists of any
 * length) and memory, the distance matrix, and the NUMA locality of PCI devices (what
 * `numactl -H` shows, as data). */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_distances(const char *node_dir, struct cdn_topo_node *node, char err[CDN_ERR_LEN])
{
    char path[600], buf[1024];
    snprintf(path, sizeof path, "%s/distance", node_dir);
    for (int j = 0; j < CDN_MAX_NODES; j++)
        node->distance[j] = -1;
    if (cdn_read_small_file(path, buf, sizeof buf, err) != 0)
        return -1;
    /* The list is in order of the online nodes; the caller remaps it to node ids. */
    char *p = buf;
    for (int j = 0; j < CDN_MAX_NODES && *p; j++) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        node->distance[j] = (int)v;
        p = end;
    }
    return 0;
}

static int read_node(const char *dir, int id, struct cdn_topo_node *node, char err[CDN_ERR_LEN])
{
    char node_dir[560], path[600];
    snprintf(node_dir, sizeof node_dir, "%s/node%d", dir, id);
    node->id = id;
    snprintf(path, sizeof path, "%s/cpulist", node_dir);
    if (cdn_cpuset_read(path, &node->cpus, err) != 0)
        return -1;
    node->n_cpus = cdn_cpuset_count(&node->cpus);
    snprintf(path, sizeof path, "%s/meminfo", node_dir);
    if (cdn_meminfo_parse_file(path, &node->mem_total, &node->mem_free, err) != 0)
        return -1;
    return read_distances(node_dir, node, err);
}

/* sysfs lists distances in the order of node ids present; turn column k into node id. */
static void remap_distances(struct cdn_topo_snapshot *t)
{
    for (int i = 0; i < t->n_nodes; i++) {
        int by_index[CDN_MAX_NODES];
        memcpy(by_index, t->nodes[i].distance, sizeof by_index);
        for (int j = 0; j < CDN_MAX_NODES; j++)
            t->nodes[i].distance[j] = -1;
        for (int k = 0; k < t->n_nodes; k++)
            t->nodes[i].distance[t->nodes[k].id] = by_index[k];
    }
}

static int read_pci(const char *sysfs_root, struct cdn_topo_snapshot *t)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bus/pci/devices", sysfs_root);
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* no PCI bus (containers, some VMs): not an error */
    int cap = 0;
    struct dirent *e;
    for (int i = 0; i < 4096 && (e = readdir(d)) != NULL; i++) {
        if (e->d_name[0] == '.')
            continue;
        if (t->n_pci == cap) {
            int ncap = cap ? cap * 2 : 16;
            struct cdn_topo_pci *np = realloc(t->pci, (size_t)ncap * sizeof *np);
            if (!np) {
                closedir(d);
                return -1;
            }
            t->pci = np;
            cap = ncap;
        }
        struct cdn_topo_pci *p = &t->pci[t->n_pci];
        char path[800], buf[64];
        snprintf(p->address, sizeof p->address, "%.31s", e->d_name);
        snprintf(path, sizeof path, "%s/%s/numa_node", dir, e->d_name);
        p->numa_node = cdn_read_small_file(path, buf, sizeof buf, NULL) == 0 ? atoi(buf) : -1;
        snprintf(path, sizeof path, "%s/%s/class", dir, e->d_name);
        if (cdn_read_small_file(path, buf, sizeof buf, NULL) != 0)
            buf[0] = '\0';
        snprintf(p->class_code, sizeof p->class_code, "%s", buf);
        t->n_pci++;
    }
    closedir(d);
    return 0;
}

int cdn_topo_read(const char *sysfs_root, struct cdn_topo_snapshot *out, char err[CDN_ERR_LEN])
{
    char dir[512];
    memset(out, 0, sizeof *out);
    if (cdn_node_dirs(sysfs_root, dir, sizeof dir, &out->present, err) != 0)
        return -1;
    int ids[CDN_MAX_NODES], n = 0;
    for (int id = 0; id < CDN_MAX_NODES; id++)
        if (CDN_NODESET_HAS(out->present, id))
            ids[n++] = id;
    for (int i = 0; i < n; i++) {
        if (read_node(dir, ids[i], &out->nodes[i], err) != 0)
            return -1;
    }
    out->n_nodes = n;
    remap_distances(out);
    if (read_pci(sysfs_root, out) != 0) {
        cdn_topo_free(out);
        return cdn_err(err, ENOMEM, "PCI device list");
    }
    return 0;
}

void cdn_topo_free(struct cdn_topo_snapshot *t)
{
    free(t->pci);
    t->pci = NULL;
    t->n_pci = 0;
}

static json_t *nodes_json(const struct cdn_topo_snapshot *t)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < t->n_nodes; i++) {
        const struct cdn_topo_node *nd = &t->nodes[i];
        json_t *o = json_pack("{s:i, s:o, s:i, s:I, s:I}", "node", nd->id,
                              "cpus", cdn_cpuset_list_json(&nd->cpus),
                              "n_cpus", nd->n_cpus, "mem_total", (json_int_t)nd->mem_total,
                              "mem_free", (json_int_t)nd->mem_free);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *distances_json(const struct cdn_topo_snapshot *t)
{
    json_t *rows = json_array();
    for (int i = 0; rows && i < t->n_nodes; i++) {
        json_t *row = json_array();
        for (int k = 0; row && k < t->n_nodes; k++)
            if (json_array_append_new(row, json_integer(t->nodes[i].distance[t->nodes[k].id])) != 0) {
                json_decref(row);
                row = NULL;
            }
        if (!row || json_array_append_new(rows, row) != 0) {
            json_decref(rows);
            return NULL;
        }
    }
    return rows;
}

static json_t *pci_json(const struct cdn_topo_snapshot *t)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < t->n_pci; i++) {
        json_t *o = json_pack("{s:s, s:s, s:i}", "address", t->pci[i].address,
                              "class", t->pci[i].class_code, "numa_node", t->pci[i].numa_node);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *cdn_topo_to_json(const struct cdn_topo_snapshot *t)
{
    return json_pack("{s:o, s:o, s:o, s:o}", "node_ids", cdn_nodeset_json(t->present),
                     "nodes", nodes_json(t), "distances", distances_json(t), "pci", pci_json(t));
}
