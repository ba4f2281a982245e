#!/usr/bin/env bash
# run-local.sh: the main job on this machine: start test-numa-function under
# `numactl --membind <node>` on loopback, run the default experiment once, print the answer
# and a one-line verdict, stop the server. Usage: run-local.sh SERVER [NODE] [QUERY]
set -euo pipefail
server=$1
node=${2:-${NODE:-}}
query=${3:-${QUERY:-}}
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$here/tests/integration/lib.sh"

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
printf '%s\n' "$BODY" | jq -r --arg n "$node" '
  "run: \(.placement.per_node[$n] // 0) of \(.placement.pages - .placement.not_present) touched pages on node \($n) " +
  "(\(.placement.on_policy_nodes_pct)% on the policy nodes \(.placement.policy_nodes), source \(.placement.source)); " +
  "node \($n) MemFree fell by \(.deltas.total[$n]) bytes for \(.bytes) allocated; " +
  "allocate+touch \(.timings.alloc_touch_s) s"'
