# tests/vm/machine-tiered.sh (sourced by boot.sh when VM_MACHINE=tiered): owns the tiered machine's
# NUMA layout. The same three nodes as the plain machine (node 0: CPUs 0-1, node 1: CPUs 2-3, node 2:
# memory only, hanging off node 0), node 0 with 512 MiB (a socket short of DRAM: pressing on it with a
# second process takes seconds under TCG, not a minute) and 1 GiB on the others, plus an ACPI HMAT
# (QEMU's hmat=on) that declares a latency and a bandwidth for every initiator/target pair: local DRAM
# 80 ns / 40 GB/s, the other socket 130 ns / 20 GB/s, the memory-only node 250 ns / 10 GB/s from
# node 0 and 280 ns / 8 GB/s from node 1 (a CXL expander). From these Linux 6.12 computes abstract
# distances and puts node 2 in a lower memory tier.
# Sets MACHINE_ARGS, MEM_ARGS and NUMA_ARGS (arrays; the nodes through boot.sh's three_nodes).
MACHINE_ARGS=(-machine pc,hmat=on)
three_nodes 512 hmat
# hmat_pair INITIATOR TARGET LATENCY_NS BANDWIDTH
hmat_pair() {
    NUMA_ARGS+=(
        -numa "hmat-lb,initiator=$1,target=$2,hierarchy=memory,data-type=access-latency,latency=$3"
        -numa "hmat-lb,initiator=$1,target=$2,hierarchy=memory,data-type=access-bandwidth,bandwidth=$4"
    )
}
hmat_pair 0 0 80 40G
hmat_pair 0 1 130 20G
hmat_pair 0 2 250 10G
hmat_pair 1 0 130 20G
hmat_pair 1 1 80 40G
hmat_pair 1 2 280 8G
