#!/usr/bin/env bash
# burst.sh: 20 experiments sent at once. Experiments are serialized: every answer is 200 or 429
# with a JSON body, the 200s never overlap in time (their timings.started_at/finished_at), the
# process survives, and three measures of memory come back to where they started, each judged on
# its own: the process's RSS, its memory on the node as its child cgroup counts it, and the node's
# memory in use as the kernel counts it (MemTotal - MemFree - per-CPU free lists), which sees
# memory the cgroup does not (a server outside the cgroup, memory charged elsewhere).
# Size: chunk_mb=2 (the default) x 250 iterations = 500 MiB, not the default 1000 iterations:
# on this machine kind page faults run at 100-160 MiB/s, so one default experiment (2000 MiB)
# takes 12-21 s; 20 of them one at a time would take 4-7 minutes, and with the default
# EXP_BUSY_WAIT_MS only one would run. At 500 MiB (3-5 s) with EXP_BUSY_WAIT_MS=12000 several
# run back to back and the rest get 429, in about 15 s.
# The node's memory is the whole machine's: other processes move it too. When it is not back
# after the burst, one more burst is measured from a fresh start; a server that keeps memory
# fails both.
# Usage: burst.sh TEST_NUMA_SERVER
set -euo pipefail
SERVER=$1
. "$(dirname "$0")/common.sh"
N=${BURST_N:-20}
QUERY=${BURST_QUERY:-chunk_mb=2&iterations=250}
NODE_SLACK_KB=$((64 * 1024))   # other processes move the node's memory too
pids=()

PORT=$(free_port)
# In a child memory cgroup without a limit: its usage is the memory the kernel charges to this
# process alone, on every node, unlike MemFree, which other processes move too.
cg_create burst || fail "child memory cgroup"
start_server "$WORK/server.log" "${IN_CG[@]}" env FN_PORT="$PORT" healthcheck_interval=0 \
    EXP_BUSY_WAIT_MS=12000 "${BIND[@]}" "$SERVER" || fail "server starts"
# Warm-up: one full-size experiment, then a burst of small ones, so that the allocator's
# per-thread arenas exist before the starting level is read.
expect_status "warm-up experiment" 200 GET "/?$QUERY"
for i in $(seq 1 "$N"); do
    curl -s --max-time 60 -o /dev/null "http://127.0.0.1:$PORT/?iterations=4" &
    pids+=("$!")
done
for p in "${pids[@]}"; do wait "$p" || true; done
pids=()
sleep 0.5
rss_before=$(rss_kb "$SERVER_PID")
cg_before=$(cg_usage_kb); cg_node_before=$(cg_node_kb)

# send_burst TAG: N experiments at once; answers in $WORK/TAG-i.json, statuses in TAG-i.status.
send_burst() {
    local tag=$1 i
    pids=()
    for i in $(seq 1 "$N"); do
        curl -s --max-time 120 -o "$WORK/$tag-$i.json" -w '%{http_code}' \
            "http://127.0.0.1:$PORT/?$QUERY" >"$WORK/$tag-$i.status" 2>/dev/null &
        pids+=("$!")
    done
    for p in "${pids[@]}"; do wait "$p" || true; done
    pids=()
}
# node_back BEFORE_KB: waits (at most 10 s: the kernel frees pages asynchronously) until the
# node's memory in use is within NODE_SLACK_KB of BEFORE_KB; leaves the last reading in USED_AFTER.
node_back() {
    local i
    for i in $(seq 1 50); do
        USED_AFTER=$(node_used_kb "$NODE")
        [ "$USED_AFTER" -le $(($1 + NODE_SLACK_KB)) ] && return 0
        sleep 0.2
    done
    return 1
}

expect "burst: the server runs in the child cgroup" grep -qx "$SERVER_PID" "$CG/cgroup.procs"
used_before=$(node_used_kb "$NODE")
send_burst burst

n200=0; n429=0; nother=0; nonjson=0
for i in $(seq 1 "$N"); do
    s=$(cat "$WORK/burst-$i.status")
    case "$s" in 200) n200=$((n200 + 1)) ;; 429) n429=$((n429 + 1)) ;; *) nother=$((nother + 1)) ;; esac
    jq -e 'type == "object"' "$WORK/burst-$i.json" >/dev/null 2>&1 || nonjson=$((nonjson + 1))
done
echo "# burst of $N ($QUERY): $n200 x 200, $n429 x 429, $nother other, $nonjson without a JSON body"
expect "burst: every answer is 200 or 429" [ "$nother" -eq 0 ]
expect "burst: every answer has a JSON object body" [ "$nonjson" -eq 0 ]
expect "burst: at least one experiment ran" [ "$n200" -ge 1 ]
expect "burst: every 429 says busy" bash -c 'for f in "$@"; do
    [ "$(cat "${f%.json}.status")" = 429 ] || continue
    jq -e ".error | test(\"busy\")" "$f" >/dev/null || exit 1; done' _ "$WORK"/burst-*.json
# The 200s, in start order: each finishes before the next starts.
for i in $(seq 1 "$N"); do
    if [ "$(cat "$WORK/burst-$i.status")" = 200 ]; then cat "$WORK/burst-$i.json"; fi
done | jq -s '[.[] | .timings | {s: .started_at, f: .finished_at}] | sort_by(.s)' >"$WORK/intervals.json"
echo "# 200s (start, end): $(jq -c '[.[] | [(.s * 1000 | floor) % 100000, (.f * 1000 | floor) % 100000]]' "$WORK/intervals.json") ms"
expect "burst: the 200s carry their start and end times" \
    jq_files 'length > 0 and all(.[]; (.s | type) == "number" and (.f | type) == "number" and .f >= .s)' "$WORK/intervals.json"
expect "burst: the 200s never overlap (one experiment at a time)" \
    jq_files '[range(1; length) as $i | .[$i - 1].f <= .[$i].s] | all' "$WORK/intervals.json"
expect "burst: the process survived" kill -0 "$SERVER_PID"

# The process's own memory: RSS and what its cgroup holds on the node (bounded wait).
node_ok=0
node_back "$used_before" && node_ok=1
for i in $(seq 1 50); do
    cg_node_after=$(cg_node_kb)
    [ "$cg_node_after" -le $((cg_node_before + 2048)) ] && break
    sleep 0.2
done
cg_after=$(cg_usage_kb)
rss_after=$(rss_kb "$SERVER_PID")
echo "# RSS ${rss_before} -> ${rss_after} KiB; cgroup usage ${cg_before} -> ${cg_after} KiB, on node $NODE ${cg_node_before} -> ${cg_node_after} KiB"
expect "burst: RSS back to its starting level (+$((rss_after - rss_before)) KiB < 1 MiB)" \
    [ $((rss_after - rss_before)) -lt 1024 ]
expect "burst: the process's memory on node $NODE (cgroup numa_stat) back within 2 MiB" \
    [ "$cg_node_after" -le $((cg_node_before + 2048)) ]
expect "burst: the process's cgroup usage back within 2 MiB" [ "$cg_after" -le $((cg_before + 2048)) ]

# The node's memory in use, judged alone.
echo "# node $NODE in use (MemTotal - MemFree - per-CPU free lists): ${used_before} -> ${USED_AFTER} KiB"
if [ "$node_ok" = 0 ]; then
    echo "# node $NODE: $(((USED_AFTER - used_before) / 1024)) MiB more in use after the burst; one more burst from a fresh start"
    used_before=$(node_used_kb "$NODE")
    send_burst again
    node_back "$used_before" && node_ok=1
    echo "# node $NODE in use, second burst: ${used_before} -> ${USED_AFTER} KiB"
fi
expect "burst: node $NODE memory in use back within 64 MiB of its start (+$(((USED_AFTER - used_before) / 1024)) MiB)" \
    [ "$node_ok" = 1 ]
expect_status "still serving after the burst" 200 GET '/?iterations=1'
stop_server TERM
expect "SIGTERM after the burst exits 0" [ "$STOP_RC" = 0 ]
summary
