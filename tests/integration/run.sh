#!/usr/bin/env bash
# run.sh: the integration suite: named cases against the real binaries on 127.0.0.1, the sample
# function (the runtime's HTTP behaviour) and test-numa-function under numactl --membind (the
# experiment, every bad-input class, concurrency, SIGTERM, chunked bodies, startup failures).
# The cases are in cases.sh and shutdown.sh; each starts and stops its own server. Every wait is
# bounded: readiness polls (10 s), curl --max-time, stop_server (30 s), and `timeout` on the servers
# that must refuse to start.
# Usage: run.sh TEST_NUMA_SERVER SAMPLE_SERVER [CASE...]   every case, or the ones named
#        run.sh list                                       the case names, in order
# (make integration CASE=name runs one case; make integration CASE=list lists them.)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
# shellcheck source=cases.sh
. "$here/cases.sh"
# shellcheck source=shutdown.sh
. "$here/shutdown.sh"
CASES=(runtime startup experiment placement bad-input topology busy cap serial sigterm deadline quiesce nul)

if [ "${1:-}" = list ] || [ "${3:-}" = list ]; then
    printf '%s\n' "${CASES[@]}"
    exit 0
fi
SERVER=${1:?usage: run.sh TEST_NUMA_SERVER SAMPLE_SERVER [CASE...] | run.sh list}
SAMPLE=${2:?usage: run.sh TEST_NUMA_SERVER SAMPLE_SERVER [CASE...] | run.sh list}
shift 2
selected=("$@")
[ "${#selected[@]}" -gt 0 ] || selected=("${CASES[@]}")
for c in "${selected[@]}"; do
    if ! declare -F "case_${c//-/_}" >/dev/null; then
        echo "integration: no case '$c'; the cases: ${CASES[*]}" >&2
        exit 2
    fi
done

work=$(mktemp -d)
trap 'stop_server KILL; rm -rf "$work"' EXIT
NODE=$(cut -d, -f1 /sys/devices/system/node/has_memory | cut -d- -f1)
BIND=(numactl --membind "$NODE")
SMALL='iterations=64'   # 128 MiB: MemFree deltas well above background noise, quick

# start_fn NAME [VAR=VALUE...]: test-numa-function under $BIND on a free port with the extra
# environment, its log in $work/NAME.log; a server that does not become ready is a failure.
start_fn() {
    local name=$1
    shift
    PORT=$(free_port)
    start_server "$work/$name.log" env FN_PORT="$PORT" healthcheck_interval=0 "$@" "${BIND[@]}" "$SERVER" \
        && return 0
    cat "$work/$name.log"
    fail "test-numa-function starts ($name${*:+, $*})"
    return 1
}

# bad NAME STATUS PATTERN METHOD PATH [curl args]: the call answers STATUS with a JSON error
# matching PATTERN.
bad() {
    local name=$1 want=$2 pat=$3
    shift 3
    call "$@"
    if [ "$STATUS" = "$want" ] && printf '%s' "$BODY" | jq -e --arg p "$pat" '.error | test($p)' >/dev/null 2>&1; then
        ok "$name -> $want"
    else
        fail "$name -> $want (got $STATUS: $BODY)"
    fi
}

for c in "${selected[@]}"; do
    echo "# case $c"
    "case_${c//-/_}"
done
summary
