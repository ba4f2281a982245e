#!/usr/bin/env bash
# memlimit.sh: the server in a child memory cgroup limited to 512 MiB is asked for 1 GiB: a JSON
# 422 naming the limit, no OOM kill (the process lives, memory.failcnt and the OOM counters stay
# at 0), and an experiment that fits still runs and reports the limit.
# Usage: memlimit.sh TEST_NUMA_SERVER
set -euo pipefail
SERVER=$1
. "$(dirname "$0")/common.sh"
LIMIT=$((512 << 20))

cg_create memlimit || { fail "a child memory cgroup can be created"; summary; exit 1; }
echo "# cgroup v$CG_VERSION: $CG"
echo "$LIMIT" >"$CG/$CG_LIMIT_FILE"
expect "limit set to 512 MiB ($CG_LIMIT_FILE)" [ "$(cat "$CG/$CG_LIMIT_FILE")" = "$LIMIT" ]
oom_kills() {
    if [ "$CG_VERSION" = 1 ]; then awk '/^oom_kill / {print $2}' "$CG/memory.oom_control"
    else awk '/^oom_kill / {print $2}' "$CG/memory.events"; fi
}
PORT=$(free_port)
start_server "$WORK/server.log" "${IN_CG[@]}" env FN_PORT="$PORT" healthcheck_interval=0 \
    "${BIND[@]}" "$SERVER" || fail "server starts in the cgroup"
expect "the server runs in the cgroup" grep -qx "$SERVER_PID" "$CG/cgroup.procs"

call GET '/?chunk_mb=2&iterations=512'
echo "# 1 GiB under a 512 MiB limit: $STATUS $BODY"
expect "1 GiB asked under a 512 MiB limit: 422" [ "$STATUS" = 422 ]
expect "the refusal is JSON naming the limit file and its value" \
    jq_true ".error | (contains(\"$CG_LIMIT_FILE\") and contains(\"$LIMIT\"))"
expect "the process is alive" kill -0 "$SERVER_PID"
call GET '/?chunk_mb=2&iterations=64'
expect "128 MiB under the same limit: 200" [ "$STATUS" = 200 ]
expect "the answer reports the cgroup limit" \
    jq_true ".cgroup.version == $CG_VERSION and .cgroup.limit == $LIMIT and .cgroup.headroom > 0"
expect "the process is alive after both" kill -0 "$SERVER_PID"
if [ "$CG_VERSION" = 1 ]; then
    echo "# memory.failcnt $(cat "$CG/memory.failcnt"); oom_control: $(tr '\n' ' ' <"$CG/memory.oom_control")"
    expect "memory.failcnt is 0 (the limit was never hit)" [ "$(cat "$CG/memory.failcnt")" = 0 ]
    expect "memory.oom_control: not under OOM" grep -qx 'under_oom 0' "$CG/memory.oom_control"
fi
expect "no OOM kill in the cgroup (oom_kill $(oom_kills))" [ "$(oom_kills)" = 0 ]
stop_server TERM
expect "SIGTERM exits 0 (not 137)" [ "$STOP_RC" = 0 ]
summary
