#!/usr/bin/env bash
# tests/vm/boot.sh: owns the emulated machine. Boots KERNEL + INITRD under QEMU/TCG as a 3-node NUMA
# machine (node 0: CPUs 0-1, node 1: CPUs 2-3, node 2: memory only, CXL-like; 1 GiB each; distances
# 0-1 21, 0-2 30, 1-2 30) and copies the serial console to stdout. The guest's /init powers it off;
# VM_TIMEOUT (seconds, default 240) bounds the whole run. no_timer_check: on a loaded host, TCG's
# timer can miss the kernel's IO-APIC timer check, which then panics at boot (seen). VM_MACHINE=tiered
# adds an ACPI HMAT (machine-tiered.sh) for the 6.12 kernel's memory tiers.
#   usage: tests/vm/boot.sh KERNEL INITRD MODE [KERNEL_ARGS...]   MODE: test | run
set -euo pipefail
KERNEL=$1
INITRD=$2
MODE=$3
shift 3
VM_TIMEOUT=${VM_TIMEOUT:-240}
VM_ACCEL=${VM_ACCEL:-tcg}
MACHINE_ARGS=()
# three_nodes NODE0_MIB [hmat]: sets MEM_ARGS and NUMA_ARGS for the three nodes, node 0 with NODE0_MIB
# and 1 GiB on the others; with hmat, each node names its initiator (node 2's is node 0), as an ACPI
# HMAT needs.
three_nodes() {
    local i0="" i1="" i2=""
    [ "${2:-}" != hmat ] || { i0=,initiator=0; i1=,initiator=1; i2=,initiator=0; }
    MEM_ARGS=(
        -m "$(($1 + 2048))M"
        -object "memory-backend-ram,size=$1M,id=m0"
        -object memory-backend-ram,size=1G,id=m1
        -object memory-backend-ram,size=1G,id=m2
    )
    NUMA_ARGS=(
        -numa "node,nodeid=0,cpus=0-1,memdev=m0$i0"
        -numa "node,nodeid=1,cpus=2-3,memdev=m1$i1"
        -numa "node,nodeid=2,memdev=m2$i2"
    )
}
if [ "${VM_MACHINE:-plain}" = tiered ]; then
    . "$(dirname "$0")/machine-tiered.sh"
else
    three_nodes 1024
fi
args=(
    -accel "$VM_ACCEL" -cpu max -smp 4 -nographic -no-reboot -nic none "${MACHINE_ARGS[@]}"
    "${MEM_ARGS[@]}" "${NUMA_ARGS[@]}"
    -numa dist,src=0,dst=1,val=21 -numa dist,src=1,dst=0,val=21
    -numa dist,src=0,dst=2,val=30 -numa dist,src=2,dst=0,val=30
    -numa dist,src=1,dst=2,val=30 -numa dist,src=2,dst=1,val=30
    -kernel "$KERNEL" -initrd "$INITRD"
    -append "console=ttyS0 quiet panic=-1 no_timer_check vmmode=$MODE $*"
)
# -k: a guest that ignores SIGTERM still stops. stdin is closed: the guest needs no input.
rc=0
timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 "${args[@]}" </dev/null | tr -d '\r' || rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "vm: the guest did not power off within ${VM_TIMEOUT}s" >&2
fi
exit "$rc"
