#!/usr/bin/env bash
# faults.sh: SIGTERM mid-experiment, a client that disconnects mid-experiment, a port already
# taken at start, and the memory-policy syscalls refused with EPERM by a seccomp filter
# (no_mempolicy) as Docker's default profile refuses them, with CAP_SYS_NICE (move_pages,
# migrate_pages) and without (get_mempolicy, mbind, set_mempolicy too).
# Usage: faults.sh TEST_NUMA_SERVER NO_MEMPOLICY
set -euo pipefail
SERVER=$1
NO_MEMPOLICY=$2
. "$(dirname "$0")/common.sh"
Q='iterations=64'   # 128 MiB

# ---- SIGTERM while an experiment runs: it completes with 200, the process exits 0 ----
PORT=$(free_port)
start_server "$WORK/term.log" env FN_PORT="$PORT" healthcheck_interval=0 write_timeout=30s \
    "${BIND[@]}" "$SERVER" || fail "server starts"
curl -s --max-time 60 -o "$WORK/term.json" -w '%{http_code}' "http://127.0.0.1:$PORT/?$Q&hold_ms=2000" \
    >"$WORK/term.status" &
c=$!
sleep 0.7
pid=$SERVER_PID
stop_server TERM
wait "$c" || true
expect "SIGTERM mid-experiment: exit status 0" [ "$STOP_RC" = 0 ]
expect "SIGTERM mid-experiment: the request completed with 200" [ "$(cat "$WORK/term.status")" = 200 ]
expect "SIGTERM mid-experiment: its buffers were released before the answer" \
    jq_files ".placement.per_node[\"$NODE\"] == 32768 and .memfree.released != null" "$WORK/term.json"
expect "SIGTERM mid-experiment: the process is gone" bash -c '! kill -0 "$0" 2>/dev/null' "$pid"

# ---- a client that goes away mid-experiment ----
cg_create faults || fail "child memory cgroup"
PORT=$(free_port)
start_server "$WORK/disc.log" "${IN_CG[@]}" env FN_PORT="$PORT" healthcheck_interval=0 \
    EXP_BUSY_WAIT_MS=15000 "${BIND[@]}" "$SERVER" || fail "server starts"
expect_status "warm-up" 200 GET '/?iterations=1'
base=$(cg_node_kb)
curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$PORT/?$Q&hold_ms=3000" || true
# The experiment goes on without its client: touching, then holding its 128 MiB for 3 s.
held=0
for i in $(seq 1 30); do
    now=$(cg_node_kb); [ "$now" -gt "$held" ] && held=$now
    [ $((held - base)) -ge $((100 * 1024)) ] && break
    sleep 0.1
done
echo "# node $NODE memory of the server: ${base} KiB before, ${held} KiB after the client left"
expect "disconnect: the experiment's memory was in use after the client left (+$((held - base)) KiB)" \
    [ $((held - base)) -ge $((100 * 1024)) ]
for i in $(seq 1 100); do
    [ "$(cg_node_kb)" -le $((base + 2048)) ] && break
    sleep 0.1
done
expect "disconnect: the memory was released ($(cg_node_kb) KiB, started at $base KiB)" \
    [ "$(cg_node_kb)" -le $((base + 2048)) ]
expect_status "disconnect: the next request is served" 200 GET "/?$Q"
expect "disconnect: the abandoned experiment still ran to its end and was logged" grep -Eq "^GET / 200 [3-9]\.[0-9]+s" "$WORK/disc.log"
expect "disconnect: the process is alive" kill -0 "$SERVER_PID"

# ---- a port already taken ----
env FN_PORT="$PORT" healthcheck_interval=0 "${BIND[@]}" "$SERVER" >"$WORK/taken.out" 2>"$WORK/taken.err" \
    && rc=0 || rc=$?
echo "# second server on port $PORT: exit $rc, stderr: $(cat "$WORK/taken.err")"
expect "port taken: non-zero exit" [ "$rc" -ne 0 ]
expect "port taken: exactly one line on stderr, naming the address and the reason" \
    bash -c '[ "$(wc -l <"$0")" -eq 1 ] && grep -q "127.0.0.1:$1.*Address already in use" "$0"' "$WORK/taken.err" "$PORT"
expect "port taken: the first server still serves" bash -c 'curl -fs --max-time 5 "http://127.0.0.1:$0/_/ready" >/dev/null' "$PORT"
stop_server TERM

# ---- Docker's default seccomp profile with CAP_SYS_NICE: move_pages, migrate_pages refused ----
PORT=$(free_port)
start_server "$WORK/seccomp-nice.log" env FN_PORT="$PORT" healthcheck_interval=0 "${BIND[@]}" \
    "$NO_MEMPOLICY" --with-sys-nice "$SERVER" || fail "server starts under the CAP_SYS_NICE profile"
call GET '/?iterations=2'
echo "# with CAP_SYS_NICE: $(printf '%s' "$BODY" | jq -c '{policy: .process.policy, placement: (.placement | {source, counting, exact, per_node, cross_check: (.cross_check | {source, fallback_reason, agrees})})}')"
expect "with CAP_SYS_NICE: 200, numa_maps counts every page, exact" \
    jq_true ".placement.source == \"numa_maps\" and .placement.exact and .placement.per_node[\"$NODE\"] == .placement.pages"
expect "with CAP_SYS_NICE: the sample falls back to get_mempolicy, saying why, and agrees" \
    jq_true '.placement.cross_check.source == "get_mempolicy" and .placement.cross_check.counting == "sample" and (.placement.cross_check.fallback_reason | test("move_pages")) and .placement.cross_check.agrees'
call GET '/?iterations=2&placement=full'
expect "with CAP_SYS_NICE, placement=full: get_mempolicy on every page, saying why, exact" \
    jq_true ".placement.source == \"get_mempolicy\" and .placement.counting == \"per_page\" and (.placement.fallback_reason | test(\"move_pages\")) and .placement.exact and .placement.per_node[\"$NODE\"] == .placement.pages"
expect "with CAP_SYS_NICE, placement=full: the numa_maps cross-check agrees" \
    jq_true '.placement.cross_check.source == "numa_maps" and .placement.cross_check.agrees'
expect "with CAP_SYS_NICE: the policy is read back (bind [$NODE])" \
    jq_true ".process.policy == \"bind\" and .process.policy_nodes == [$NODE] and .process.policy_reason == \"\""
call GET "/?iterations=2&node=$NODE"
expect "with CAP_SYS_NICE: a request's node is bound (chunk_policy bind [$NODE])" \
    jq_true ".placement.chunk_policy.policy == \"bind\" and .placement.chunk_policy.policy_nodes == [$NODE] and .placement.per_node[\"$NODE\"] == .placement.pages"
stop_server TERM

# ---- without CAP_SYS_NICE: mbind, set_mempolicy, get_mempolicy, move_pages, migrate_pages refused ----
PORT=$(free_port)
start_server "$WORK/seccomp.log" env FN_PORT="$PORT" healthcheck_interval=0 "${BIND[@]}" \
    "$NO_MEMPOLICY" "$SERVER" || fail "server starts under the filter"
call GET "/?iterations=2&node=$NODE"
echo "# node=$NODE under the filter: $STATUS $BODY"
expect "refused mbind (node=$NODE): 500 with JSON naming CAP_SYS_NICE" \
    bash -c '[ "$0" = 500 ] && printf "%s" "$1" | jq -e ".error | test(\"CAP_SYS_NICE\") and test(\"mbind\")" >/dev/null' "$STATUS" "$BODY"
call GET "/?iterations=2&alloc=libnuma&node=$NODE"
expect "refused mbind in numa_alloc_onnode: JSON naming CAP_SYS_NICE" \
    bash -c '[ "$0" -ge 400 ] && printf "%s" "$1" | jq -e ".error | test(\"CAP_SYS_NICE\")" >/dev/null' "$STATUS" "$BODY"
call GET '/?iterations=32'
echo "# without CAP_SYS_NICE: $STATUS $(printf '%s' "$BODY" | jq -c '{process: (.process | {policy, policy_nodes, policy_reason}), placement: (.placement | {source, fallback_reason, exact, pages, per_node, not_present, cross_check, chunk_policy: .chunk_policy.policy})}')"
expect "without CAP_SYS_NICE: 200, not 503" [ "$STATUS" = 200 ]
expect "without CAP_SYS_NICE: process.policy unknown, the reason names get_mempolicy and CAP_SYS_NICE" \
    jq_true '.process.policy == "unknown" and .process.policy_nodes == null and (.process.policy_reason | test("get_mempolicy") and test("CAP_SYS_NICE"))'
expect "without CAP_SYS_NICE: placement from numa_maps, every page on node $NODE; no per-page source to confirm it, so not exact, saying why" \
    jq_true ".placement.source == \"numa_maps\" and (.placement.fallback_reason | test(\"no sampled cross-check\") and test(\"move_pages\") and test(\"get_mempolicy\")) and .placement.exact == false and .placement.cross_check == null and .placement.pages == 16384 and .placement.not_present == 0 and .placement.per_node == {\"$NODE\": 16384}"
expect "without CAP_SYS_NICE: the rest of the answer is there (MemFree, deltas, timings, cgroup, topology)" \
    jq_true ".bytes == 67108864 and .memfree.touched[\"$NODE\"] > 0 and (.deltas.total | has(\"$NODE\")) and .timings.total_s > 0 and .timings.placement_s >= 0 and .cgroup.version != null and (.topology.node_ids | length) >= 1 and (.process.mems_allowed | length) >= 1"
expect "without CAP_SYS_NICE: the chunks' policy is unknown too, with the reason" \
    jq_true '.placement.chunk_policy.policy == "unknown" and (.placement.chunk_policy.policy_reason | test("CAP_SYS_NICE"))'
call GET '/?iterations=4&thp=true&hold_ms=0'
expect "without CAP_SYS_NICE: thp=true counted from numa_maps" \
    jq_true ".placement.source == \"numa_maps\" and .placement.counting == \"per_mapping\" and .placement.per_node[\"$NODE\"] == .placement.pages"
expect "under the filter the process is alive" kill -0 "$SERVER_PID"
stop_server TERM
expect "under the filter SIGTERM exits 0" [ "$STOP_RC" = 0 ]
summary
