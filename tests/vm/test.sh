#!/usr/bin/env bash
# tests/vm/test.sh: owns `make vm-test`. Fetches the kernel (cached), builds the initramfs around the
# server, boots the emulated 3-node machine with the plan on its kernel command line (vmcases=, the
# cases below, in order) and judges the guest's console against that plan: every planned case must
# report exactly once and pass, nothing unplanned may report, and the guest must finish with rc=0;
# tests/vm/seed-check.sh then asserts the seed scenario's attribution. Prints one line per case,
# the wall time, and ends with "N passed, N failed".
#   usage: tests/vm/test.sh SERVER_BINARY | tests/vm/test.sh --topology-only
# The console is kept in build/vm/console-test.log.
set -euo pipefail
t0=$(date +%s%N)
cd "$(dirname "$0")/../.."
VM_DIR=build/vm
mkdir -p "$VM_DIR"
SERVER=${1:?usage: tests/vm/test.sh SERVER_BINARY | --topology-only}
# The plan. Every case but topology runs the server, the seed cases behind the real of-watchdog
# (guest/seed.sh; seed-check.sh asserts their attribution here); all of them must pass.
CASES=(topology server-topology membind-1 membind-2 preferred-2 interleave-0-1-2 libnuma-node-2
    errors touch-false cgroup-v2 seed-watchdog-unbound seed-watchdog-bound server-log)
SEED=1
if [ "$SERVER" = --topology-only ]; then
    CASES=(topology)
    SERVER=""
    SEED=0
elif [ ! -x "$SERVER" ]; then
    echo "vm: $SERVER is not an executable (make build)" >&2
    exit 1
fi
PLAN="${#CASES[@]} ${CASES[*]}"
vmlinux=$(tests/vm/kernel.sh "$VM_DIR")
[ "$SEED" = 0 ] || { VM_FWATCHDOG=$(tests/vm/fwatchdog.sh); export VM_FWATCHDOG; }
initrd=$(tests/vm/initramfs.sh "$VM_DIR/initramfs-test.cpio.gz" $SERVER)
LOG=$VM_DIR/console-test.log
echo "vm: booting the 3-node guest ($(cat "$VM_DIR/kernel-release"), TCG), console in $LOG"
echo "vm: plan: $PLAN"
rc=0
VM_TIMEOUT=${VM_TIMEOUT:-360} tests/vm/boot.sh "$vmlinux" "$initrd" test \
    "vmcases=$(IFS=,; echo "${CASES[*]}")" > "$LOG" || rc=$?

# Markers are looked for anywhere in a line: a kernel message may precede them.
MARKS=$VM_DIR/console-test.marks
grep -o 'VM-[A-Z]* .*' "$LOG" > "$MARKS" || true
declare -A seen=()
for c in "${CASES[@]}"; do seen[$c]=0; done
ok=0
bad=0
while read -r _ name status rest; do
    if [ -z "$name" ] || [ -z "${seen[$name]+x}" ]; then
        echo "vm: '$name': reported, but not in the plan FAILED"
        bad=$((bad + 1))
        continue
    fi
    seen[$name]=$((seen[$name] + 1))
    if [ "${seen[$name]}" -gt 1 ]; then
        echo "vm: $name: reported more than once FAILED"
        bad=$((bad + 1))
    elif [ "$status" = ok ]; then
        echo "vm: $name $rest ok"
        ok=$((ok + 1))
    else
        echo "vm: $name $rest FAILED"
        bad=$((bad + 1))
    fi
done < <(grep '^VM-RESULT ' "$MARKS" || true)
missing=0
for c in "${CASES[@]}"; do
    if [ "${seen[$c]}" = 0 ]; then
        echo "vm: $c: never reported FAILED"
        missing=$((missing + 1))
    fi
done
failed=0
seed_ok=0
seed_bad=0
if [ "$SEED" = 1 ]; then
    tests/vm/seed-check.sh "$MARKS" "$VM_DIR/seed.counts" || failed=1
    read -r seed_ok seed_bad < "$VM_DIR/seed.counts"
fi
guest_plan=$(sed -n 's/^VM-PLAN //p' "$MARKS" | tail -n 1)
if [ "$guest_plan" != "$PLAN" ]; then
    echo "vm: the guest's plan '${guest_plan:-none}' is not the host's '$PLAN'"
    failed=1
fi
end_rc=$(sed -n 's/^VM-END rc=\([0-9]*\).*/\1/p' "$MARKS" | tail -n 1)
if [ -z "$end_rc" ]; then
    echo "vm: the guest did not finish its cases (qemu exit $rc)"
    failed=1
elif [ "$end_rc" != 0 ]; then
    echo "vm: the guest's cases ended with rc=$end_rc"
    failed=1
fi
if [ "$ok" != "${#CASES[@]}" ] || [ "$bad" != 0 ] || [ "$missing" != 0 ]; then
    echo "vm: ${ok} of ${#CASES[@]} planned cases passed, $bad failed, $missing never reported"
    failed=1
fi
if [ "$failed" = 1 ]; then
    echo "vm: guest console (last 80 lines of $LOG):"
    tail -n 80 "$LOG" | sed 's/^/  | /'
    echo
fi
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
nfail=$((bad + missing + seed_bad))
[ "$failed" = 0 ] || [ "$nfail" -gt 0 ] || nfail=1
printf 'vm-test: wall time %d.%03d s\n' $((ms / 1000)) $((ms % 1000))
echo "$((ok + seed_ok)) passed, $nfail failed"
exit "$failed"
