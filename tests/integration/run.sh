#!/usr/bin/env bash
# run.sh: integration tests against the real binaries on 127.0.0.1: the sample function (HTTP
# behaviour of the runtime) and test-numa-function under numactl --membind (the experiment,
# every bad-input class, concurrency, SIGTERM, chunked bodies, startup failures).
# Every wait is bounded: readiness polls (about 10 s), curl --max-time, stop_server (30 s), and
# `timeout` on the servers that must refuse to start.
# Usage: run.sh TEST_NUMA_SERVER SAMPLE_SERVER
set -uo pipefail
SERVER=$1
SAMPLE=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
work=$(mktemp -d)
trap 'stop_server KILL; rm -rf "$work"' EXIT
NODE=$(cut -d, -f1 /sys/devices/system/node/has_memory | cut -d- -f1)
BIND=(numactl --membind "$NODE")
SMALL='iterations=64'   # 128 MiB: MemFree deltas well above background noise, quick

# ---- the runtime, through the sample function ----
PORT=$(free_port)
start_server "$work/sample.log" env FN_PORT="$PORT" FN_MAX_BODY_BYTES=1000 healthcheck_interval=0 "$SAMPLE" \
    || { cat "$work/sample.log"; fail "sample server starts"; }
call GET /_/ready
check "readiness path answers 200" [ "$STATUS" = 200 ]
call GET '/hello?x=1'
check "GET passes the path to the handler" jq_true '.path == "/hello" and .method == "GET"'
call GET '/text?name=numa'
check "a text answer: the handler's bytes" [ "$STATUS $BODY" = "200 Hello, numa"$'\n' ]
call DELETE /
check "a method the handler refuses: 405 JSON naming it" jq_true '.error | test("DELETE not allowed")'
call POST / -H 'Transfer-Encoding: chunked' --data-binary 'abcdefghij'
check "chunked body without Content-Length reaches the handler (10 bytes)" jq_true '.body_bytes == 10'
call POST / -H 'Expect: 100-continue' --data-binary 'abc'
check "Expect: 100-continue is answered" jq_true '.body_bytes == 3'
head -c 5000 /dev/zero | tr '\0' a >"$work/big"
call POST / -H 'Transfer-Encoding: chunked' --data-binary @"$work/big"
check "chunked body over FN_MAX_BODY_BYTES gets 413 JSON" \
    bash -c '[ "$0" = 413 ] && printf "%s" "$1" | jq -e ".error|test(\"FN_MAX_BODY_BYTES\")" >/dev/null' "$STATUS" "$BODY"
call POST / --data-binary @"$work/big"
check "Content-Length over the limit gets 413" [ "$STATUS" = 413 ]
call GET /
check "server still serves after 413s" [ "$STATUS" = 200 ]
check "one log line per request (method, path, status, duration)" \
    bash -c 'grep -Eq "^GET /hello 200 [0-9.]+s$" "$0" && grep -Eq "^POST / 413 [0-9.]+s$" "$0"' "$work/sample.log"
stop_server TERM
check "SIGTERM on an idle server exits 0" [ "$STOP_RC" = 0 ]

# ---- startup failures ----
# A server that should refuse to start but serves instead is stopped after 10 s (timeout: 124).
PORT=$(free_port)
timeout -k 5 10 env FN_PORT=abc "$SAMPLE" >"$work/badenv.log" 2>&1; rc=$?
check "bad env exits non-zero at once with a one-line reason (exit $rc)" \
    bash -c '[ "$0" -ne 0 ] && [ "$0" -ne 124 ] && [ "$0" -ne 137 ] && grep -q "FN_PORT=abc" "$1" &&
        [ "$(wc -l <"$1")" -eq 1 ]' "$rc" "$work/badenv.log"
start_server "$work/first.log" env FN_PORT="$PORT" healthcheck_interval=0 "$SAMPLE"; rc=$?
check "a first server starts and holds the port" [ "$rc" = 0 ]
timeout -k 5 10 env FN_PORT="$PORT" "$SAMPLE" >"$work/taken.log" 2>&1; rc=$?
check "port taken: a second server exits non-zero at once naming the address (exit $rc)" \
    bash -c '[ "$0" -ne 0 ] && [ "$0" -ne 124 ] && [ "$0" -ne 137 ] &&
        grep -q "cannot listen on 127.0.0.1:$2: Address already in use" "$1"' "$rc" "$work/taken.log" "$PORT"
stop_server

# ---- the experiment ----
PORT=$(free_port)
start_server "$work/exp.log" env FN_PORT="$PORT" healthcheck_interval=0 EXP_BUSY_WAIT_MS=300 \
    EXP_MAX_TOTAL_MB=$((1 << 30)) "${BIND[@]}" "$SERVER" \
    || { cat "$work/exp.log"; fail "test-numa-function starts"; }
# MemFree is system-wide: other processes move it while the experiment runs. Placement must be
# exact on every attempt; the MemFree deltas must hold on one of at most three attempts.
for attempt in 1 2 3; do
    call POST /
    [ "$STATUS" = 200 ] || break
    jq_true ".deltas.total[\"$NODE\"] >= 0.95 * .bytes and .deltas.release[\"$NODE\"] >= 0.90 * .bytes" && break
    echo "# attempt $attempt: MemFree moved by other activity: $(printf '%s' "$BODY" | jq -c '{total: .deltas.total, release: .deltas.release}')"
    jq_true ".placement.per_node[\"$NODE\"] == 512000" || break
done
check "default experiment answers 200" [ "$STATUS" = 200 ]
check "default experiment: 1000 x 2 MiB" jq_true '.params.chunk_mb == 2 and .params.iterations == 1000 and .bytes == 2097152000'
check "default experiment: every touched page on node $NODE" \
    jq_true ".placement.pages == 512000 and .placement.not_present == 0 and .placement.per_node[\"$NODE\"] == 512000 and .placement.on_policy_nodes_pct == 100"
check_memfree "default experiment: node $NODE MemFree fell by >= 95% of the bytes" jq_true ".deltas.total[\"$NODE\"] >= 0.95 * .bytes"
check_memfree "default experiment: node $NODE MemFree back on release (>= 90% of the bytes)" jq_true ".deltas.release[\"$NODE\"] >= 0.90 * .bytes"
check "policy read back as bind on node $NODE" jq_true ".process.policy == \"bind\" and .process.policy_nodes == [$NODE]"
check "placement cross-check agrees" jq_true '.placement.cross_check.agrees == true'
check "default placement: numa_maps counts the arena, exactly" \
    jq_true '.params.placement == "sample" and .placement.source == "numa_maps" and .placement.counting == "per_mapping" and .placement.exact == true'
check "default cross-check: a sample of one page per chunk and 1024 random, on the node numa_maps names" \
    jq_true ".placement.cross_check.counting == \"sample\" and .placement.cross_check.sample.per_chunk == 1000 and .placement.cross_check.sample.random == 1024 and .placement.cross_check.pages == 2024 and .placement.cross_check.per_node == {\"$NODE\": 2024} and (.placement.cross_check.source | test(\"^(move_pages|get_mempolicy)\$\"))"
check "default: the seed drawn is in the answer" jq_true '.params.seed == null and (.placement.cross_check.sample.seed | type) == "number"'
check "timings and throughput present" jq_true '.timings.alloc_touch_s > 0 and .timings.throughput_mib_s > 0 and .timings.placement_s >= 0'
echo "# default experiment: $(printf '%s' "$BODY" | jq -c '{placement: .placement.per_node, source: .placement.source, delta_total: .deltas.total, timings: {alloc_touch_s: .timings.alloc_touch_s, placement_s: .timings.placement_s}}')"

# glibc raises its mmap threshold after the first free of a 2 MiB block, so a second malloc run
# would reuse heap pages already faulted in (near-zero deltas); the function pins the threshold.
for alloc in malloc malloc mmap; do
    for attempt in 1 2 3; do
        call POST "/?$SMALL&alloc=$alloc"
        jq_true ".deltas.total[\"$NODE\"] >= 0.9 * .bytes" && break
    done
    check "alloc=$alloc: all pages on node $NODE" jq_true ".placement.per_node[\"$NODE\"] == .placement.pages"
    check_memfree "alloc=$alloc: a real MemFree delta (no reuse of freed heap)" \
        jq_true ".deltas.total[\"$NODE\"] >= 0.9 * .bytes"
done
call POST / -d "{\"iterations\":16,\"alloc\":\"libnuma\",\"node\":$NODE}"
check "alloc=libnuma node=$NODE (JSON body): all pages on the node" jq_true ".params.alloc == \"libnuma\" and .placement.per_node[\"$NODE\"] == .placement.pages"
call GET "/?$SMALL&thp=true"
check "thp=true: all pages on node $NODE" jq_true ".params.thp == true and .placement.per_node[\"$NODE\"] == .placement.pages"
call GET "/?$SMALL&placement=full"
check "placement=full: every page asked of a per-page source, numa_maps agrees" \
    jq_true ".placement.counting == \"per_page\" and (.placement.source | test(\"^(move_pages|get_mempolicy)\$\")) and .placement.per_node[\"$NODE\"] == .placement.pages and .placement.exact and .placement.cross_check.source == \"numa_maps\" and .placement.cross_check.agrees and .placement.cross_check.sample == null"
call GET "/?$SMALL&thp=true&placement=full"
check "thp=true placement=full: asked once per huge page where smaps shows only huge pages" \
    jq_true ".placement.per_node[\"$NODE\"] == .placement.pages and (.placement.counting == \"per_huge_page\" or .placement.counting == \"per_page\") and .placement.cross_check.agrees"
echo "# thp=true placement=full: counting $(printf '%s' "$BODY" | jq -r .placement.counting)"
call GET "/?$SMALL&seed=99&sample=64"
D1=$(printf '%s' "$BODY" | jq -r '.placement.cross_check.sample | "\(.seed) \(.random) \(.digest)"')
call GET "/?$SMALL&seed=99&sample=64"
D2=$(printf '%s' "$BODY" | jq -r '.placement.cross_check.sample | "\(.seed) \(.random) \(.digest)"')
call GET "/?$SMALL&seed=100&sample=64"
D3=$(printf '%s' "$BODY" | jq -r '.placement.cross_check.sample | "\(.seed) \(.random) \(.digest)"')
check "seed=99 twice: the same sample ($D1)" [ "$D1" = "$D2" -a "${D1%% *}" = 99 -a "$(echo "$D1" | cut -d' ' -f2)" = 64 ]
check "seed=100: another sample ($D3)" [ "${D3##* }" != "${D1##* }" ]
for bad in "placement=some" "sample=65537" "seed=-1" "seed=9007199254740992"; do
    call GET "/?$bad"
    check "$bad: 400 naming the parameter" jq_true ".error | test(\"${bad%%=*}\")"
    check "$bad: status 400" [ "$STATUS" = 400 ]
done
call GET "/?$SMALL&touch=false"
check "touch=false: nothing faulted in (every page not present)" \
    jq_true ".placement.pages == 32768 and .placement.not_present == .placement.pages"
check_memfree "touch=false: MemFree unmoved (< 5%)" jq_true "(.deltas.allocate[\"$NODE\"] | fabs) < 0.05 * .bytes"
call POST / -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary '{"iterations": 8, "chunk_mb": 1}'
check "chunked JSON body is parsed" jq_true '.params.iterations == 8 and .params.chunk_mb == 1 and .bytes == 8388608'

bad() { # bad NAME STATUS PATTERN METHOD PATH [curl args]
    local name=$1 want=$2 pat=$3; shift 3
    call "$@"
    if [ "$STATUS" = "$want" ] && printf '%s' "$BODY" | jq -e --arg p "$pat" '.error | test($p)' >/dev/null 2>&1; then
        ok "$name -> $want"
    else
        fail "$name -> $want (got $STATUS: $BODY)"
    fi
}
bad "unknown JSON field" 400 'unknown field "bogus"' POST / -d '{"bogus":1}'
bad "unknown query parameter" 400 'unknown parameter "nodez"' GET '/?nodez=1'
bad "malformed JSON" 400 'malformed JSON' POST / -d '{"iterations": 5,'
bad "JSON that is not an object" 400 'must be an object' POST / -d '[1,2]'
bad "duplicate JSON key" 400 'duplicate' POST / -d '{"iterations":1,"iterations":2}'
bad "key in query and body" 400 'more than once' POST '/?iterations=2' -d '{"iterations":3}'
bad "bad number" 400 'not a whole number' GET '/?iterations=12abc'
bad "number out of range" 400 'out of range' GET '/?iterations=0'
bad "wrong JSON type" 400 'touch: expected true or false' POST / -d '{"touch":"yes"}'
bad "unknown alloc" 400 'not one of mmap' GET '/?alloc=calloc'
bad "libnuma without node" 400 'needs a node' GET '/?alloc=libnuma'
bad "node that does not exist" 422 'node 7 does not exist' GET '/?iterations=1&node=7'
bad "more than the node's free memory" 422 'bytes free' GET '/?chunk_mb=1024&iterations=100000'
bad "policy without nodes" 400 'policy=bind needs nodes' GET '/?policy=bind'
bad "unknown policy" 400 'not one of bind, preferred' GET '/?policy=weighted&nodes=0'
bad "node and policy both" 400 'node=N is policy=bind&nodes=N' GET '/?node=0&policy=bind&nodes=0'
bad "resample_ms without hold_ms" 400 'give hold_ms' GET '/?resample_ms=100'
bad "measure word" 400 'not latency or bandwidth' GET '/?measure=speed'
bad "sweep without measure" 400 'give measure' GET '/?sweep=true'
bad "migrate_to a node that does not exist" 422 'node 7 does not exist' GET '/?iterations=1&migrate_to=7'
bad "wrong method" 405 'not allowed' DELETE /
bad "wrong method on /topology" 405 'not allowed' POST /topology
bad "unknown path" 404 'no such path' GET /nope
call GET "/?iterations=1"
check "server still serves after every bad input" [ "$STATUS" = 200 ]

call GET /topology
check "GET /topology lists this machine's nodes" \
    jq_true "(.node_ids | length) == $(ls -d /sys/devices/system/node/node[0-9]* | wc -l) and (.distances | length) == (.node_ids | length)"
check "GET /topology: every node's tier fields, and the kernel's tiering" \
    jq_true '(.tiering.kernel | length > 0) and ([.nodes[] | has("memory_tier") and has("hmat") and has("weighted_interleave_weight")] | all)'
call GET "/?iterations=8&policy=bind&nodes=0&migrate_to=0&measure=bandwidth&hold_ms=200&resample_ms=50"
check "policy, migrate_to, measure and resample on this machine" \
    jq_true '.policy.policy == "bind" and .migration.failed == 0 and .migration.per_node_after == {"0": 4096}
             and .measure.bandwidth.read_mib_s > 0 and .resample.samples >= 2
             and ([.resample.series[] | .per_node["0"]] | all(. == 4096))'

# Two experiments at once: the second waits EXP_BUSY_WAIT_MS (300 ms) then gets 429.
curl -s --max-time 60 "http://127.0.0.1:$PORT/?$SMALL&hold_ms=2000" >"$work/a.json" &
a=$!
sleep 0.5
call GET "/?$SMALL"
wait "$a"
check "concurrent experiment while one runs: 429 busy JSON" \
    bash -c '[ "$0" = 429 ] && printf "%s" "$1" | jq -e ".error|test(\"busy\")" >/dev/null' "$STATUS" "$BODY"
check "the running experiment completed" jq_files '.placement.pages == 32768' "$work/a.json"
stop_server

# The EXP_MAX_TOTAL_MB cap (default 4096 MiB).
PORT=$(free_port)
start_server "$work/cap.log" env FN_PORT="$PORT" healthcheck_interval=0 EXP_MAX_TOTAL_MB=64 "${BIND[@]}" "$SERVER" \
    || { cat "$work/cap.log"; fail "test-numa-function starts with EXP_MAX_TOTAL_MB=64"; }
bad "above EXP_MAX_TOTAL_MB" 422 'EXP_MAX_TOTAL_MB' GET '/?iterations=33'
call GET '/?iterations=32'
check "at EXP_MAX_TOTAL_MB: accepted" [ "$STATUS" = 200 ]
stop_server

# With a long enough wait both run, one after the other.
PORT=$(free_port)
start_server "$work/exp2.log" env FN_PORT="$PORT" healthcheck_interval=0 EXP_BUSY_WAIT_MS=20000 "${BIND[@]}" "$SERVER" \
    || { cat "$work/exp2.log"; fail "test-numa-function starts with EXP_BUSY_WAIT_MS=20000"; }
curl -s --max-time 60 "http://127.0.0.1:$PORT/?$SMALL&hold_ms=1000" >"$work/a.json" &
a=$!
curl -s --max-time 60 "http://127.0.0.1:$PORT/?$SMALL&hold_ms=1000" >"$work/b.json" &
b=$!
wait "$a" "$b"
check "two concurrent experiments both answer 200" jq_files -s '.[0].placement.pages == 32768 and .[1].placement.pages == 32768' "$work/a.json" "$work/b.json"
check "two concurrent experiments both complete and never overlap" \
    jq_files -s '(.[0].timings.finished_at <= .[1].timings.started_at) or (.[1].timings.finished_at <= .[0].timings.started_at)' "$work/a.json" "$work/b.json"

# SIGTERM during an experiment: the experiment completes, the process exits 0.
curl -s --max-time 60 "http://127.0.0.1:$PORT/?$SMALL&hold_ms=1500" >"$work/c.json" &
c=$!
sleep 0.5
pid=$SERVER_PID
stop_server TERM
wait "$c"
check "SIGTERM mid-experiment: exit status 0" [ "$STOP_RC" = 0 ]
check "SIGTERM mid-experiment: the experiment answered 200 and released its memory" \
    jq_files ".placement.pages == 32768 and .placement.per_node[\"$NODE\"] == 32768 and .memfree.released != null" "$work/c.json"
check "SIGTERM mid-experiment: process gone" bash -c '! kill -0 "$0" 2>/dev/null' "$pid"

# The stop's deadline, quiesce on kept-alive connections, NUL bytes in the query and the body.
# shellcheck source=shutdown.sh
. "$here/shutdown.sh"

summary
