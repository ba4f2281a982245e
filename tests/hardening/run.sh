#!/usr/bin/env bash
# run.sh: the hardening suite (make hardening-test): runs every section and fails if one fails.
# The fuzzer runs in the background during the sections that judge neither speed nor node-wide
# memory (valgrind, cgroup limit, faults, connections); the others run alone.
# Usage: run.sh TEST_NUMA_SERVER SAN_TEST_NUMA_SERVER SAN_SAMPLE_SERVER FUZZER NO_MEMPOLICY
set -euo pipefail
SERVER=$1
SAN_SERVER=$2
SAN_SAMPLE=$3
FUZZER=$4
NO_MEMPOLICY=$5
here=$(cd "$(dirname "$0")" && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
start=$(date +%s)
failed=()
work=$(mktemp -d)
fuzz_pid=""
trap '[ -n "$fuzz_pid" ] && kill "$fuzz_pid" 2>/dev/null; rm -rf "$work"' EXIT

# section NAME SCRIPT ARGS...: runs one section, prints its output and its wall time.
section() {
    local name=$1 t0 rc=0
    shift
    t0=$(date +%s)
    echo "## $name"
    "$@" || rc=$?
    echo "## $name: $([ "$rc" -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - t0)) s"
    [ "$rc" -eq 0 ] || failed+=("$name")
}

# The integration suite judges node MemFree, which the fuzzer's own memory would move: alone.
section sanitizers "$here/sanitizers.sh" "$SAN_SERVER" "$SAN_SAMPLE"
"$here/../fuzz/run.sh" "$FUZZER" "$FUZZ_SECONDS" >"$work/fuzz.out" 2>&1 &
fuzz_pid=$!
section valgrind "$here/valgrind.sh" "$SERVER"
section memory-limit "$here/memlimit.sh" "$SERVER"
section faults "$here/faults.sh" "$SERVER" "$NO_MEMPOLICY"
section connections "$here/conns.sh" "$SERVER"
echo "## fuzz (${FUZZ_SECONDS} s, alongside the sections above)"
rc=0
wait "$fuzz_pid" || rc=$?
fuzz_pid=""
cat "$work/fuzz.out"
[ "$rc" -eq 0 ] || failed+=(fuzz)
section load "$here/load.sh" "$SERVER"
section burst "$here/burst.sh" "$SERVER"

wall=$(($(date +%s) - start))
if [ "${#failed[@]}" -ne 0 ]; then
    echo "hardening: FAILED sections: ${failed[*]} (wall time $wall s)"
    exit 1
fi
echo "hardening: all sections passed (wall time $wall s)"
