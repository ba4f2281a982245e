#!/usr/bin/env bash
# tests/vm/test.sh: owns `make vm-test`. Fetches both kernels (cached): Debian 12's 6.1 for the plain
# 3-node machine and bookworm-backports' 6.12 for the tiered one (an HMAT, machine-tiered.sh), builds
# the initramfs around the server once, boots both guests at the same time, parses each guest's
# console (VM-PLAN, VM-RESULT, VM-END) and fails on any failed or missing case. The existing cases run
# on both kernels; the tiered-memory cases (guest/tiers.sh) on 6.12, what is absent and why on 6.1.
# Prints one line per case, prefixed with the kernel, the wall time, and ends with "N passed, N failed".
#   usage: tests/vm/test.sh SERVER_BINARY | tests/vm/test.sh --topology-only
#   env: VM_PROFILES ("6.1 6.12", the default, or one of them), VM_TIMEOUT (per guest, seconds)
# The consoles are kept in build/vm/console-test-6.1.log and build/vm/console-test-6.12.log.
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
VM_PROFILES=${VM_PROFILES:-6.1 6.12}
declare -A KERNEL=() RELEASE=() MACHINE=() TIER=()
for p in $VM_PROFILES; do
    case $p in
        6.1) KERNEL[$p]=$(tests/vm/kernel.sh "$VM_DIR"); RELEASE[$p]=$VM_DIR/kernel-release
             MACHINE[$p]=plain; TIER[$p]=0 ;;
        6.12) KERNEL[$p]=$(tests/vm/kernel-bpo.sh "$VM_DIR/6.12"); RELEASE[$p]=$VM_DIR/6.12/kernel-release
              MACHINE[$p]=tiered; TIER[$p]=1 ;;
        *) echo "vm: unknown profile '$p' in VM_PROFILES (6.1, 6.12)" >&2; exit 2 ;;
    esac
done
# The seed scenario (guest/seed.sh) runs the real of-watchdog; seed-check.sh asserts it here.
[ "$MODE" != test ] || { VM_FWATCHDOG=$(tests/vm/fwatchdog.sh); export VM_FWATCHDOG; }
initrd=$(tests/vm/initramfs.sh "$VM_DIR/initramfs-test.cpio.gz" $SERVER)

# Both guests at once: each is mostly one busy vCPU, and the host has two cores.
declare -A PID=()
for p in $VM_PROFILES; do
    echo "vm: booting the ${MACHINE[$p]} 3-node guest ($(cat "${RELEASE[$p]}"), TCG), console in $VM_DIR/console-test-$p.log"
    (rc=0
     VM_MACHINE=${MACHINE[$p]} VM_TIMEOUT=${VM_TIMEOUT:-420} tests/vm/boot.sh "${KERNEL[$p]}" "$initrd" "$MODE" \
         "vmtier=${TIER[$p]}" > "$VM_DIR/console-test-$p.log" || rc=$?
     echo "$rc" > "$VM_DIR/console-test-$p.rc") &
    PID[$p]=$!
done
for p in $VM_PROFILES; do wait "${PID[$p]}" || true; done

total_ok=0
total_bad=0
failed=0
# check_profile P: the cases of guest P; adds to total_ok/total_bad, sets failed=1 on a failure.
check_profile() {
    local p=$1 LOG=$VM_DIR/console-test-$1.log MARKS=$VM_DIR/console-test-$1.marks rc plan ok=0 bad=0
    local name status rest seed_ok=0 seed_bad=0 missing=0 pfailed=0
    rc=$(cat "$VM_DIR/console-test-$p.rc" 2>/dev/null || echo '?')
    # Markers are looked for anywhere in a line: a kernel message may precede them.
    grep -o 'VM-[A-Z]* .*' "$LOG" > "$MARKS" || true
    plan=$(sed -n 's/^VM-PLAN \([0-9]*\)$/\1/p' "$MARKS" | tail -n 1)
    while read -r _ name status rest; do
        if [ "$status" = ok ]; then
            echo "vm[$p]: $name $rest ok"
            ok=$((ok + 1))
        else
            echo "vm[$p]: $name $rest FAILED"
            bad=$((bad + 1))
        fi
    done < <(grep '^VM-RESULT ' "$MARKS" || true)
    grep '^VM-NOTE ' "$MARKS" | sed "s/^VM-NOTE /vm[$p]: note: /" || true
    if [ "$MODE" = test ]; then
        tests/vm/seed-check.sh "$MARKS" "$VM_DIR/seed-$p.counts" | sed "s/^vm: /vm[$p]: /" || pfailed=1
        read -r seed_ok seed_bad < "$VM_DIR/seed-$p.counts"
    fi
    if ! grep -q '^VM-END ' "$MARKS"; then
        echo "vm[$p]: the guest did not finish its cases (qemu exit $rc)"
        pfailed=1
    fi
    if [ -z "$plan" ] || [ "$ok" != "$plan" ] || [ "$bad" != 0 ]; then
        echo "vm[$p]: ${ok} of ${plan:-?} cases passed, $bad failed"
        pfailed=1
    fi
    if [ "$pfailed" = 1 ]; then
        echo "vm[$p]: guest console (last 80 lines of $LOG):"
        tail -n 80 "$LOG" | sed 's/^/  | /'
        echo
    fi
    # Cases planned but never reported count as failed.
    [ -z "$plan" ] || [ "$plan" -le $((ok + bad)) ] || missing=$((plan - ok - bad))
    [ "$pfailed" = 0 ] || [ $((bad + missing + seed_bad)) -gt 0 ] || missing=1
    total_ok=$((total_ok + ok + seed_ok))
    total_bad=$((total_bad + bad + missing + seed_bad))
    [ "$pfailed" = 0 ] || failed=1
}
for p in $VM_PROFILES; do check_profile "$p"; done
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
printf 'vm-test: wall time %d.%03d s (%s)\n' $((ms / 1000)) $((ms % 1000)) "$VM_PROFILES"
echo "$total_ok passed, $total_bad failed"
exit "$failed"
