#!/usr/bin/env bash
# run-local.sh: the main job on this machine: start test-numa-function under
# `numactl --membind <node>` on loopback, run the default experiment once, print the answer
# and a one-line verdict, stop the server. Usage: run-local.sh SERVER [NODE] [QUERY]
set -euo pipefail
server=$1
node=${2:-${NODE:-}}
query=${3:-${QUERY:-}}
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/lib.sh
. "$here/tests/lib.sh"

if [ -z "$node" ]; then
    # The first node that has memory: on a CXL-style machine node 0 may be CPU-only.
    node=$(cut -d, -f1 /sys/devices/system/node/has_memory 2>/dev/null | cut -d- -f1)
    node=${node:-0}
fi
PORT=$(free_port)
log=$(mktemp)
trap 'stop_server >/dev/null; rm -f "$log"' EXIT
echo "run: numactl --membind $node $server  (FN_PORT=$PORT, log $log)"
if ! start_server "$log" env FN_PORT="$PORT" healthcheck_interval=0 \
        numactl --membind "$node" "$server"; then
    cat "$log" >&2
    echo "run: the server did not become ready" >&2
    exit 1
fi
echo "run: POST http://127.0.0.1:$PORT/${query:+?$query}"
call POST "/${query:+?$query}"
if [ "$STATUS" != 200 ]; then
    echo "run: HTTP $STATUS: $BODY" >&2
    exit 1
fi
printf '%s\n' "$BODY" | jq .
# The verdict, rounded for people (the JSON above keeps full precision).
IFS=$'\t' read -r on_node present pct nodes source delta bytes secs < <(printf '%s\n' "$BODY" | jq -r --arg n "$node" '
  [.placement.per_node[$n] // 0, .placement.pages - .placement.not_present, .placement.on_policy_nodes_pct,
   (.placement.policy_nodes | map(tostring) | join(",")),
   .placement.source + (if .placement.cross_check.source then ", sampled by " + .placement.cross_check.source else "" end),
   .deltas.total[$n] // 0, .bytes,
   .timings.alloc_touch_s // 0] | @tsv')
gb() { awk -v b="$1" -v f="${2:-%.2f}" 'BEGIN { printf f " GB", b / 1e9 }'; }
printf 'run: %s of %s touched pages on node %s (%.1f%% on the policy nodes [%s], source %s); node %s used %s for %s allocated; allocate+touch %.2f s\n' \
    "$on_node" "$present" "$node" "$pct" "$nodes" "$source" "$node" "$(gb "$delta" %+.2f)" "$(gb "$bytes")" "$secs"
