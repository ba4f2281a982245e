#!/usr/bin/env bash
# burst.sh: 20 experiments sent at once. Experiments are serialized: every answer is 200 or 429
# with a JSON body, the 200s never overlap in time (their timings.started_at/finished_at), the
# process survives, and its RSS and the node's MemFree come back to where they started.
# Size: chunk_mb=2 (the default) x 250 iterations = 500 MiB, not the default 1000 iterations:
# on this machine kind page faults run at 100-160 MiB/s, so one default experiment (2000 MiB)
# takes 12-21 s; 20 of them one at a time would take 4-7 minutes, and with the default
# EXP_BUSY_WAIT_MS only one would run. At 500 MiB (3-5 s) with EXP_BUSY_WAIT_MS=12000 several
# run back to back and the rest get 429, in about 15 s.
# Usage: burst.sh TEST_NUMA_SERVER
set -euo pipefail
SERVER=$1
. "$(dirname "$0")/common.sh"
N=${BURST_N:-20}
QUERY=${BURST_QUERY:-chunk_mb=2&iterations=250}
MEMFREE_SLACK_KB=$((64 * 1024))   # other processes move MemFree too
pids=()

PORT=$(free_port)
# In a child memory cgroup without a limit: its usage is the memory the kernel charges to this
# process alone, on every node, unlike MemFree, which other processes move too.
cg_create burst || fail "child memory cgroup"
start_server "$WORK/server.log" "${IN_CG[@]}" env FN_PORT="$PORT" healthcheck_interval=0 \
    EXP_BUSY_WAIT_MS=12000 "${BIND[@]}" "$SERVER" || fail "server starts"
# Warm-up: one full-size experiment, then a burst of small ones, so that the allocator's
# per-thread arenas exist before the starting level is read.
expect "warm-up experiment" 200 GET "/?$QUERY"
for i in $(seq 1 "$N"); do
    curl -s --max-time 60 -o /dev/null "http://127.0.0.1:$PORT/?iterations=4" &
    pids+=("$!")
done
for p in "${pids[@]}"; do wait "$p" || true; done
pids=()
sleep 0.5
rss_before=$(rss_kb "$SERVER_PID")
free_before=$(node_memfree_kb)
cg_before=$(cg_usage_kb); cg_node_before=$(cg_node_kb)

for i in $(seq 1 "$N"); do
    curl -s --max-time 120 -o "$WORK/burst-$i.json" -w '%{http_code}' \
        "http://127.0.0.1:$PORT/?$QUERY" >"$WORK/burst-$i.status" 2>/dev/null &
    pids+=("$!")
done
for p in "${pids[@]}"; do wait "$p" || true; done

n200=0; n429=0; nother=0; nonjson=0
for i in $(seq 1 "$N"); do
    s=$(cat "$WORK/burst-$i.status")
    case "$s" in 200) n200=$((n200 + 1)) ;; 429) n429=$((n429 + 1)) ;; *) nother=$((nother + 1)) ;; esac
    jq -e 'type == "object"' "$WORK/burst-$i.json" >/dev/null 2>&1 || nonjson=$((nonjson + 1))
done
echo "# burst of $N ($QUERY): $n200 x 200, $n429 x 429, $nother other, $nonjson without a JSON body"
check "burst: every answer is 200 or 429" [ "$nother" -eq 0 ]
check "burst: every answer has a JSON object body" [ "$nonjson" -eq 0 ]
check "burst: at least one experiment ran" [ "$n200" -ge 1 ]
check "burst: every 429 says busy" bash -c 'for f in "$@"; do
    [ "$(cat "${f%.json}.status")" = 429 ] || continue
    jq -e ".error | test(\"busy\")" "$f" >/dev/null || exit 1; done' _ "$WORK"/burst-*.json
# The 200s, in start order: each finishes before the next starts.
for i in $(seq 1 "$N"); do
    if [ "$(cat "$WORK/burst-$i.status")" = 200 ]; then cat "$WORK/burst-$i.json"; fi
done | jq -s '[.[] | .timings | {s: .started_at, f: .finished_at}] | sort_by(.s)' >"$WORK/intervals.json"
echo "# 200s (start, end): $(jq -c '[.[] | [(.s * 1000 | floor) % 100000, (.f * 1000 | floor) % 100000]]' "$WORK/intervals.json") ms"
check "burst: the 200s carry their start and end times" \
    jq_files 'length > 0 and all(.[]; (.s | type) == "number" and (.f | type) == "number" and .f >= .s)' "$WORK/intervals.json"
check "burst: the 200s never overlap (one experiment at a time)" \
    jq_files '[range(1; length) as $i | .[$i - 1].f <= .[$i].s] | all' "$WORK/intervals.json"
check "burst: the process survived" kill -0 "$SERVER_PID"

# Memory back to its starting level (bounded wait: the kernel frees pages asynchronously).
for i in $(seq 1 50); do
    free_after=$(node_memfree_kb); cg_after=$(cg_usage_kb); cg_node_after=$(cg_node_kb)
    [ "$free_after" -ge $((free_before - MEMFREE_SLACK_KB)) ] && [ "$cg_node_after" -le $((cg_node_before + 2048)) ] && break
    sleep 0.2
done
rss_after=$(rss_kb "$SERVER_PID")
echo "# RSS ${rss_before} -> ${rss_after} KiB; cgroup usage ${cg_before} -> ${cg_after} KiB, on node $NODE ${cg_node_before} -> ${cg_node_after} KiB; node $NODE MemFree ${free_before} -> ${free_after} KiB"
check "burst: RSS back to its starting level (+$((rss_after - rss_before)) KiB < 1 MiB)" \
    [ $((rss_after - rss_before)) -lt 1024 ]
check "burst: the process's memory on node $NODE (cgroup numa_stat) back within 2 MiB" \
    [ "$cg_node_after" -le $((cg_node_before + 2048)) ]
check "burst: the process's cgroup usage back within 2 MiB" [ "$cg_after" -le $((cg_before + 2048)) ]
# MemFree is the whole node's: a shortfall counts against the server only if its own pages on
# the node (checked just above) did not come back; otherwise another process took the memory.
if [ "$free_after" -ge $((free_before - MEMFREE_SLACK_KB)) ]; then
    ok "burst: node $NODE MemFree back within 64 MiB of its start"
elif [ "$cg_node_after" -le $((cg_node_before + 2048)) ]; then
    ok "burst: node $NODE MemFree $(((free_before - free_after) / 1024)) MiB lower, none of it this process's (other activity on the machine)"
else
    fail "burst: node $NODE MemFree back within 64 MiB of its start"
fi
expect "still serving after the burst" 200 GET '/?iterations=1'
stop_server TERM
check "SIGTERM after the burst exits 0" [ "$STOP_RC" = 0 ]
summary
