#!/usr/bin/env bash
# tests/vm/test.sh: owns `make vm-test`. Fetches the kernel (cached), builds the initramfs around the
# server, boots the emulated 3-node machine, parses the guest's console (VM-PLAN, VM-RESULT, VM-END)
# and fails on any failed or missing case. Prints one line per case, the wall time, and ends with
# "N passed, N failed".
#   usage: tests/vm/test.sh SERVER_BINARY | tests/vm/test.sh --topology-only
# The console is kept in build/vm/console-test.log.
set -euo pipefail
t0=$(date +%s%N)
cd "$(dirname "$0")/../.."
VM_DIR=build/vm
mkdir -p "$VM_DIR"
SERVER=${1:?usage: tests/vm/test.sh SERVER_BINARY | --topology-only}
MODE=test
if [ "$SERVER" = --topology-only ]; then
    MODE=topology
    SERVER=""
fi
vmlinux=$(tests/vm/kernel.sh "$VM_DIR")
# The seed scenario (guest/seed.sh) runs the real of-watchdog; seed-check.sh asserts it here.
[ "$MODE" != test ] || { VM_FWATCHDOG=$(tests/vm/fwatchdog.sh); export VM_FWATCHDOG; }
initrd=$(tests/vm/initramfs.sh "$VM_DIR/initramfs-test.cpio.gz" $SERVER)
LOG=$VM_DIR/console-test.log
echo "vm: booting the 3-node guest ($(cat "$VM_DIR/kernel-release"), TCG), console in $LOG"
rc=0
VM_TIMEOUT=${VM_TIMEOUT:-360} tests/vm/boot.sh "$vmlinux" "$initrd" "$MODE" > "$LOG" || rc=$?

# Markers are looked for anywhere in a line: a kernel message may precede them.
MARKS=$VM_DIR/console-test.marks
grep -o 'VM-[A-Z]* .*' "$LOG" > "$MARKS" || true
plan=$(sed -n 's/^VM-PLAN \([0-9]*\)$/\1/p' "$MARKS" | tail -n 1)
ok=0
bad=0
while read -r _ name status rest; do
    if [ "$status" = ok ]; then
        echo "vm: $name $rest ok"
        ok=$((ok + 1))
    else
        echo "vm: $name $rest FAILED"
        bad=$((bad + 1))
    fi
done < <(grep '^VM-RESULT ' "$MARKS" || true)
grep '^VM-NOTE ' "$MARKS" | sed 's/^VM-NOTE /vm: note: /' || true
failed=0
seed_ok=0
seed_bad=0
if [ "$MODE" = test ]; then
    tests/vm/seed-check.sh "$MARKS" "$VM_DIR/seed.counts" || failed=1
    read -r seed_ok seed_bad < "$VM_DIR/seed.counts"
fi
if ! grep -q '^VM-END ' "$MARKS"; then
    echo "vm: the guest did not finish its cases (qemu exit $rc)"
    failed=1
fi
if [ -z "$plan" ] || [ "$ok" != "$plan" ] || [ "$bad" != 0 ]; then
    echo "vm: ${ok} of ${plan:-?} cases passed, $bad failed"
    failed=1
fi
if [ "$failed" = 1 ]; then
    echo "vm: guest console (last 80 lines of $LOG):"
    tail -n 80 "$LOG" | sed 's/^/  | /'
    echo
fi
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
# Cases planned but never reported count as failed.
missing=0
[ -z "$plan" ] || [ "$plan" -le $((ok + bad)) ] || missing=$((plan - ok - bad))
[ "$failed" = 0 ] || [ $((bad + missing + seed_bad)) -gt 0 ] || missing=1
printf 'vm-test: wall time %d.%03d s\n' $((ms / 1000)) $((ms % 1000))
echo "$((ok + seed_ok)) passed, $((bad + missing + seed_bad)) failed"
exit "$failed"
