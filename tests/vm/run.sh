#!/usr/bin/env bash
# tests/vm/run.sh: owns `make vm-test`. Fetches both kernels (cached): Debian 12's 6.1 for the plain
# 3-node machine and bookworm-backports' 6.12 for the tiered one (an HMAT, machine-tiered.sh), builds
# the initramfs around the server once, and boots both guests at the same time, each with its plan on
# its kernel command line (vmcases=, in order): the cases below on both kernels, the tiered-memory
# cases (guest/tiers.sh) on 6.12, what is absent and why on 6.1. Each console is judged against its
# plan: every planned case must report exactly once and pass, nothing unplanned may report, and the
# guest must finish with rc=0; tests/vm/seed-check.sh then asserts the seed scenario's attribution.
# Prints one line per case ("ok - vm[KERNEL]: ..." or "not ok - ..."), the wall time, and ends with
# "vm-test: N passed, N failed".
#   usage: tests/vm/run.sh SERVER_BINARY | tests/vm/run.sh --topology-only
#   env: VM_PROFILES ("6.1 6.12", the default, or one of them), VM_TIMEOUT (per guest, seconds)
# The consoles are kept in build/vm/console-test-6.1.log and build/vm/console-test-6.12.log.
set -euo pipefail
t0=$(date +%s%N)
cd "$(dirname "$0")/../.."
# shellcheck source=../lib.sh
. tests/lib.sh
# shellcheck source=seed-check.sh
. tests/vm/seed-check.sh
VM_DIR=build/vm
mkdir -p "$VM_DIR"
SERVER=${1:?usage: tests/vm/run.sh SERVER_BINARY | --topology-only}
# The plan. Every case but topology runs the server, the seed cases behind the real of-watchdog
# (guest/seed.sh; seed-check.sh asserts their attribution here); all of them must pass.
BASE=(topology server-topology membind-1 membind-2 preferred-2 interleave-0-1-2 libnuma-node-2
    errors touch-false cgroup-v2 seed-watchdog-unbound seed-watchdog-bound)
TIERED=(tier-topology weighted-interleave demotion migrate measure-sweep)
SEED=1
if [ "$SERVER" = --topology-only ]; then
    SERVER=""
    SEED=0
elif [ ! -x "$SERVER" ]; then
    echo "vm: $SERVER is not an executable (make build)" >&2
    exit 1
fi
VM_PROFILES=${VM_PROFILES:-6.1 6.12}
declare -A KERNEL=() RELEASE=() MACHINE=() PLAN=()
for p in $VM_PROFILES; do
    case $p in
        6.1) KERNEL[$p]=$(tests/vm/kernel.sh "$VM_DIR"); RELEASE[$p]=$VM_DIR/kernel-release
             MACHINE[$p]=plain; cases=("${BASE[@]}" tier-absent server-log) ;;
        6.12) KERNEL[$p]=$(tests/vm/kernel-bpo.sh "$VM_DIR/6.12"); RELEASE[$p]=$VM_DIR/6.12/kernel-release
              MACHINE[$p]=tiered; cases=("${BASE[@]}" "${TIERED[@]}" server-log) ;;
        *) echo "vm: unknown profile '$p' in VM_PROFILES (6.1, 6.12)" >&2; exit 2 ;;
    esac
    [ "$SEED" = 1 ] || cases=(topology)
    PLAN[$p]="${cases[*]}"
done
[ "$SEED" = 0 ] || { VM_FWATCHDOG=$(tests/vm/fwatchdog.sh); export VM_FWATCHDOG; }
initrd=$(tests/vm/initramfs.sh "$VM_DIR/initramfs-test.cpio.gz" $SERVER)

# Both guests at once: each is mostly one busy vCPU, and the host has two cores.
declare -A PID=()
for p in $VM_PROFILES; do
    echo "vm: booting the ${MACHINE[$p]} 3-node guest ($(cat "${RELEASE[$p]}"), TCG), console in $VM_DIR/console-test-$p.log"
    echo "vm[$p]: plan: ${PLAN[$p]}"
    (rc=0
     VM_MACHINE=${MACHINE[$p]} VM_TIMEOUT=${VM_TIMEOUT:-600} tests/vm/boot.sh "${KERNEL[$p]}" "$initrd" test \
         "vmcases=${PLAN[$p]// /,}" > "$VM_DIR/console-test-$p.log" || rc=$?
     echo "$rc" > "$VM_DIR/console-test-$p.rc") &
    PID[$p]=$!
done
for p in $VM_PROFILES; do wait "${PID[$p]}" || true; done

failed=0
# judge P: guest P's console against its plan: one result per planned case and per seed check, and a
# failure for anything else wrong with the guest's run; failed=1 on a failure.
judge() {
    local p=$1 LOG=$VM_DIR/console-test-$1.log MARKS=$VM_DIR/console-test-$1.marks
    local rc name status rest c passed=0 bad=0 missing=0 pfailed=0 guest_plan end_rc failed_before=$FAILED
    local -a cases
    read -r -a cases <<<"${PLAN[$p]}"
    local -A seen=()
    rc=$(cat "$VM_DIR/console-test-$p.rc" 2>/dev/null || echo '?')
    # Markers are looked for anywhere in a line: a kernel message may precede them.
    grep -o 'VM-[A-Z]* .*' "$LOG" > "$MARKS" || true
    for c in "${cases[@]}"; do seen[$c]=0; done
    while read -r _ name status rest; do
        if [ -z "$name" ] || [ -z "${seen[$name]+x}" ]; then
            fail "vm[$p]: '$name': reported, but not in the plan"
            bad=$((bad + 1))
            continue
        fi
        seen[$name]=$((seen[$name] + 1))
        if [ "${seen[$name]}" -gt 1 ]; then
            fail "vm[$p]: $name: reported more than once"
            bad=$((bad + 1))
        elif [ "$status" = ok ]; then
            ok "vm[$p]: $name $rest"
            passed=$((passed + 1))
        else
            fail "vm[$p]: $name $rest"
            bad=$((bad + 1))
        fi
    done < <(grep '^VM-RESULT ' "$MARKS" || true)
    for c in "${cases[@]}"; do
        if [ "${seen[$c]}" = 0 ]; then
            fail "vm[$p]: $c: never reported"
            missing=$((missing + 1))
        fi
    done
    if [ "$SEED" = 1 ]; then
        seed_check "$MARKS" "vm[$p]" || pfailed=1
    fi
    guest_plan=$(sed -n 's/^VM-PLAN //p' "$MARKS" | tail -n 1)
    if [ "$guest_plan" != "${#cases[@]} ${PLAN[$p]}" ]; then
        echo "vm[$p]: the guest's plan '${guest_plan:-none}' is not the host's '${#cases[@]} ${PLAN[$p]}'"
        pfailed=1
    fi
    end_rc=$(sed -n 's/^VM-END rc=\([0-9]*\).*/\1/p' "$MARKS" | tail -n 1)
    if [ -z "$end_rc" ]; then
        echo "vm[$p]: the guest did not finish its cases (qemu exit $rc)"
        pfailed=1
    elif [ "$end_rc" != 0 ]; then
        echo "vm[$p]: the guest's cases ended with rc=$end_rc"
        pfailed=1
    fi
    if [ "$passed" != "${#cases[@]}" ] || [ "$bad" != 0 ] || [ "$missing" != 0 ]; then
        echo "vm[$p]: ${passed} of ${#cases[@]} planned cases passed, $bad failed, $missing never reported"
        pfailed=1
    fi
    if [ "$pfailed" = 1 ]; then
        echo "vm[$p]: guest console (last 80 lines of $LOG):"
        tail -n 80 "$LOG" | sed 's/^/  | /'
        echo
    fi
    # A guest that failed without a failed result (its plan, its end) counts one failure.
    [ "$pfailed" = 0 ] || [ "$FAILED" -gt "$failed_before" ] || fail "vm[$p]: the guest's run (see above)"
    [ "$pfailed" = 0 ] || failed=1
}
for p in $VM_PROFILES; do judge "$p"; done
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
printf 'vm-test: wall time %d.%03d s (%s)\n' $((ms / 1000)) $((ms % 1000)) "$VM_PROFILES"
summary vm-test || failed=1
exit "$failed"
