#!/usr/bin/env bash
# tests/vm/run-vm.sh: owns `make run-vm`. Boots the emulated 3-node machine, runs one experiment of
# the server bound (numactl --membind) to node VM_NODE (default 2, the memory-only node) and prints
# its JSON answer with jq. The default experiment (2 MiB x 1000 = 2000 MiB) cannot fit in a 1 GiB
# node: VM_QUERY defaults to iterations=256 (512 MiB). VM_PROFILE=6.12 boots the tiered machine
# (bookworm-backports' 6.12 kernel, an HMAT) instead of Debian 12's 6.1; VM_NODE=none runs the server
# without numactl.
#   usage: tests/vm/run-vm.sh SERVER_BINARY      env: VM_QUERY, VM_NODE, VM_PROFILE, VM_TIMEOUT
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVER=${1:?usage: tests/vm/run-vm.sh SERVER_BINARY}
VM_DIR=build/vm
VM_QUERY_SET=${VM_QUERY:-}
VM_QUERY=${VM_QUERY:-iterations=256}
VM_NODE=${VM_NODE:-2}
case $VM_QUERY$VM_NODE in *[[:space:]]*) echo "vm: VM_QUERY/VM_NODE must not contain spaces" >&2; exit 2 ;; esac
VM_PROFILE=${VM_PROFILE:-6.1}
case $VM_PROFILE in
    6.1) vmlinux=$(tests/vm/kernel.sh "$VM_DIR"); export VM_MACHINE=plain ;;
    6.12) vmlinux=$(tests/vm/kernel-bpo.sh "$VM_DIR/6.12"); export VM_MACHINE=tiered ;;
    *) echo "vm: VM_PROFILE is 6.1 or 6.12, not '$VM_PROFILE'" >&2; exit 2 ;;
esac
initrd=$(tests/vm/initramfs.sh "$VM_DIR/initramfs-run.cpio.gz" "$SERVER")
LOG=$VM_DIR/console-run.log
echo "vm: 3-node $VM_MACHINE guest ($VM_PROFILE), numactl --membind $VM_NODE, GET /?$VM_QUERY (console in $LOG)"
[ -n "${VM_QUERY_SET:-}" ] ||
    echo "vm: the default experiment (2 MiB x 1000 = 2000 MiB) cannot fit in a 1 GiB node: 2 MiB x 256 = 512 MiB"
rc=0
VM_TIMEOUT=${VM_TIMEOUT:-240} tests/vm/boot.sh "$vmlinux" "$initrd" run "vmquery=$VM_QUERY" "vmnode=$VM_NODE" \
    > "$LOG" || rc=$?
code=$(sed -n 's/.*VM-HTTP \([0-9]*\)$/\1/p' "$LOG" | tail -n 1)
json=$(sed -n 's/.*VM-JSON //p' "$LOG" | tail -n 1)
if [ -z "$json" ]; then
    echo "vm: no answer (qemu exit $rc); console:" >&2
    tail -n 40 "$LOG" | sed 's/^/  | /' >&2
    exit 1
fi
echo "vm: HTTP $code"
jq . <<<"$json" || printf '%s\n' "$json"
[ "$code" = 200 ]
