# cases.sh: the integration cases on the sample function (the runtime's HTTP behaviour, startup
# failures) and on test-numa-function (the experiment, every bad-input class, topology, one
# experiment at a time, the size cap, SIGTERM mid-experiment). Sourced by run.sh, which names the
# cases and provides SERVER, SAMPLE, NODE, BIND, SMALL, work, start_fn and bad; each case starts
# and stops its own server.

# The runtime's HTTP behaviour, through the sample function.
case_runtime() {
    PORT=$(free_port)
    start_server "$work/sample.log" env FN_PORT="$PORT" FN_MAX_BODY_BYTES=1000 healthcheck_interval=0 "$SAMPLE" \
        || { cat "$work/sample.log"; fail "sample server starts"; }
    call GET /_/ready
    expect "readiness path answers 200" [ "$STATUS" = 200 ]
    call GET '/hello?x=1'
    expect "GET passes the path to the handler" jq_true '.path == "/hello" and .method == "GET"'
    call GET '/text?name=numa'
    expect "a text answer: the handler's bytes" [ "$STATUS $BODY" = "200 Hello, numa"$'\n' ]
    call DELETE /
    expect "a method the handler refuses: 405 JSON naming it" jq_true '.error | test("DELETE not allowed")'
    call POST / -H 'Transfer-Encoding: chunked' --data-binary 'abcdefghij'
    expect "chunked body without Content-Length reaches the handler (10 bytes)" jq_true '.body_bytes == 10'
    call POST / -H 'Expect: 100-continue' --data-binary 'abc'
    expect "Expect: 100-continue is answered" jq_true '.body_bytes == 3'
    head -c 5000 /dev/zero | tr '\0' a >"$work/big"
    call POST / -H 'Transfer-Encoding: chunked' --data-binary @"$work/big"
    expect "chunked body over FN_MAX_BODY_BYTES gets 413 JSON" \
        bash -c '[ "$0" = 413 ] && printf "%s" "$1" | jq -e ".error|test(\"FN_MAX_BODY_BYTES\")" >/dev/null' "$STATUS" "$BODY"
    call POST / --data-binary @"$work/big"
    expect "Content-Length over the limit gets 413" [ "$STATUS" = 413 ]
    call GET /
    expect "server still serves after 413s" [ "$STATUS" = 200 ]
    expect "one log line per request (method, path, status, duration)" \
        bash -c 'grep -Eq "^GET /hello 200 [0-9.]+s$" "$0" && grep -Eq "^POST / 413 [0-9.]+s$" "$0"' "$work/sample.log"
    stop_server TERM
    expect "SIGTERM on an idle server exits 0" [ "$STOP_RC" = 0 ]
}

# Startup failures: a server that should refuse to start but serves instead is stopped after
# 10 s (timeout: 124).
case_startup() {
    PORT=$(free_port)
    timeout -k 5 10 env FN_PORT=abc "$SAMPLE" >"$work/badenv.log" 2>&1; rc=$?
    expect "bad env exits non-zero at once with a one-line reason (exit $rc)" \
        bash -c '[ "$0" -ne 0 ] && [ "$0" -ne 124 ] && [ "$0" -ne 137 ] && grep -q "FN_PORT=abc" "$1" &&
            [ "$(wc -l <"$1")" -eq 1 ]' "$rc" "$work/badenv.log"
    start_server "$work/first.log" env FN_PORT="$PORT" healthcheck_interval=0 "$SAMPLE"; rc=$?
    expect "a first server starts and holds the port" [ "$rc" = 0 ]
    timeout -k 5 10 env FN_PORT="$PORT" "$SAMPLE" >"$work/taken.log" 2>&1; rc=$?
    expect "port taken: a second server exits non-zero at once naming the address (exit $rc)" \
        bash -c '[ "$0" -ne 0 ] && [ "$0" -ne 124 ] && [ "$0" -ne 137 ] &&
            grep -q "cannot listen on 127.0.0.1:$2: Address already in use" "$1"' "$rc" "$work/taken.log" "$PORT"
    stop_server
}

# The default experiment and every allocator, THP, touch=false and a chunked JSON body.
case_experiment() {
    start_fn exp EXP_BUSY_WAIT_MS=300 EXP_MAX_TOTAL_MB=$((1 << 30)) || return 0
    # MemFree is system-wide: other processes move it while the experiment runs. Placement must be
    # exact on every attempt; the MemFree deltas must hold on one of at most three attempts.
    for attempt in 1 2 3; do
        call POST /
        [ "$STATUS" = 200 ] || break
        jq_true ".deltas.total[\"$NODE\"] >= 0.95 * .bytes and .deltas.release[\"$NODE\"] >= 0.90 * .bytes" && break
        echo "# attempt $attempt: MemFree moved by other activity: $(printf '%s' "$BODY" | jq -c '{total: .deltas.total, release: .deltas.release}')"
        jq_true ".placement.per_node[\"$NODE\"] == 512000" || break
    done
    expect "default experiment answers 200" [ "$STATUS" = 200 ]
    expect "default experiment: 1000 x 2 MiB" jq_true '.params.chunk_mb == 2 and .params.iterations == 1000 and .bytes == 2097152000'
    expect "default experiment: every touched page on node $NODE" \
        jq_true ".placement.pages == 512000 and .placement.not_present == 0 and .placement.per_node[\"$NODE\"] == 512000 and .placement.on_policy_nodes_pct == 100"
    expect_memfree "default experiment: node $NODE MemFree fell by >= 95% of the bytes" jq_true ".deltas.total[\"$NODE\"] >= 0.95 * .bytes"
    expect_memfree "default experiment: node $NODE MemFree back on release (>= 90% of the bytes)" jq_true ".deltas.release[\"$NODE\"] >= 0.90 * .bytes"
    expect "policy read back as bind on node $NODE" jq_true ".process.policy == \"bind\" and .process.policy_nodes == [$NODE]"
    expect "placement cross-check agrees" jq_true '.placement.cross_check.agrees == true'
    expect "default placement: numa_maps counts the arena, exactly" \
        jq_true '.params.placement == "sample" and .placement.source == "numa_maps" and .placement.counting == "per_mapping" and .placement.exact == true'
    expect "default cross-check: a sample of one page per chunk and 1024 random, on the node numa_maps names" \
        jq_true ".placement.cross_check.counting == \"sample\" and .placement.cross_check.sample.per_chunk == 1000 and .placement.cross_check.sample.random == 1024 and .placement.cross_check.pages == 2024 and .placement.cross_check.per_node == {\"$NODE\": 2024} and (.placement.cross_check.source | test(\"^(move_pages|get_mempolicy)\$\"))"
    expect "default: the seed drawn is in the answer" jq_true '.params.seed == null and (.placement.cross_check.sample.seed | type) == "number"'
    expect "timings and throughput present" jq_true '.timings.alloc_touch_s > 0 and .timings.throughput_mib_s > 0 and .timings.placement_s >= 0'
    echo "# default experiment: $(printf '%s' "$BODY" | jq -c '{placement: .placement.per_node, source: .placement.source, delta_total: .deltas.total, timings: {alloc_touch_s: .timings.alloc_touch_s, placement_s: .timings.placement_s}}')"

    # glibc raises its mmap threshold after the first free of a 2 MiB block, so a second malloc run
    # would reuse heap pages already faulted in (near-zero deltas); the function pins the threshold.
    for alloc in malloc malloc mmap; do
        for attempt in 1 2 3; do
            call POST "/?$SMALL&alloc=$alloc"
            jq_true ".deltas.total[\"$NODE\"] >= 0.9 * .bytes" && break
        done
        expect "alloc=$alloc: all pages on node $NODE" jq_true ".placement.per_node[\"$NODE\"] == .placement.pages"
        expect_memfree "alloc=$alloc: a real MemFree delta (no reuse of freed heap)" \
            jq_true ".deltas.total[\"$NODE\"] >= 0.9 * .bytes"
    done
    call POST / -d "{\"iterations\":16,\"alloc\":\"libnuma\",\"node\":$NODE}"
    expect "alloc=libnuma node=$NODE (JSON body): all pages on the node" jq_true ".params.alloc == \"libnuma\" and .placement.per_node[\"$NODE\"] == .placement.pages"
    call GET "/?$SMALL&thp=true"
    expect "thp=true: all pages on node $NODE" jq_true ".params.thp == true and .placement.per_node[\"$NODE\"] == .placement.pages"
    call GET "/?$SMALL&touch=false"
    expect "touch=false: nothing faulted in (every page not present)" \
        jq_true ".placement.pages == 32768 and .placement.not_present == .placement.pages"
    expect_memfree "touch=false: MemFree unmoved (< 5%)" jq_true "(.deltas.allocate[\"$NODE\"] | fabs) < 0.05 * .bytes"
    call POST / -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary '{"iterations": 8, "chunk_mb": 1}'
    expect "chunked JSON body is parsed" jq_true '.params.iterations == 8 and .params.chunk_mb == 1 and .bytes == 8388608'
    stop_server
}

# placement=full (every page, once per huge page where THP backs the arena), the sample's seed
# reproducing the draw, and the placement parameters' refusals.
case_placement() {
    start_fn placement || return 0
    call GET "/?$SMALL&placement=full"
    expect "placement=full: every page asked of a per-page source, numa_maps agrees" \
        jq_true ".placement.counting == \"per_page\" and (.placement.source | test(\"^(move_pages|get_mempolicy)\$\")) and .placement.per_node[\"$NODE\"] == .placement.pages and .placement.exact and .placement.cross_check.source == \"numa_maps\" and .placement.cross_check.agrees and .placement.cross_check.sample == null"
    call GET "/?$SMALL&thp=true&placement=full"
    expect "thp=true placement=full: asked once per huge page where smaps shows only huge pages" \
        jq_true ".placement.per_node[\"$NODE\"] == .placement.pages and (.placement.counting == \"per_huge_page\" or .placement.counting == \"per_page\") and .placement.cross_check.agrees"
    local full_counting
    full_counting=$(printf '%s' "$BODY" | jq -r .placement.counting)
    echo "# thp=true placement=full: counting $full_counting"
    call GET "/?$SMALL&thp=true"
    expect "thp=true: the sample agrees; get_mempolicy asks it once per huge page where placement=full steps" \
        jq_true ".placement.cross_check.agrees and .placement.cross_check.pages == 64 + 1024 and .placement.cross_check.counting == (if \"$full_counting\" == \"per_huge_page\" and .placement.cross_check.source == \"get_mempolicy\" then \"sample_per_huge_page\" else \"sample\" end)"
    echo "# thp=true: the sample's counting $(printf '%s' "$BODY" | jq -r .placement.cross_check.counting)"
    local d1 d2 d3 bad
    call GET "/?$SMALL&seed=99&sample=64"
    d1=$(printf '%s' "$BODY" | jq -r '.placement.cross_check.sample | "\(.seed) \(.random) \(.digest)"')
    call GET "/?$SMALL&seed=99&sample=64"
    d2=$(printf '%s' "$BODY" | jq -r '.placement.cross_check.sample | "\(.seed) \(.random) \(.digest)"')
    call GET "/?$SMALL&seed=100&sample=64"
    d3=$(printf '%s' "$BODY" | jq -r '.placement.cross_check.sample | "\(.seed) \(.random) \(.digest)"')
    expect "seed=99 twice: the same sample ($d1)" [ "$d1" = "$d2" -a "${d1%% *}" = 99 -a "$(echo "$d1" | cut -d' ' -f2)" = 64 ]
    expect "seed=100: another sample ($d3)" [ "${d3##* }" != "${d1##* }" ]
    for bad in "placement=some" "sample=65537" "seed=-1" "seed=9007199254740992"; do
        call GET "/?$bad"
        expect "$bad: 400 naming the parameter" jq_true ".error | test(\"${bad%%=*}\")"
        expect "$bad: status 400" [ "$STATUS" = 400 ]
    done
    stop_server
}

# Every class of bad input: a JSON error naming the problem, the right status.
case_bad_input() {
    start_fn bad EXP_MAX_TOTAL_MB=$((1 << 30)) || return 0
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
    expect "server still serves after every bad input" [ "$STATUS" = 200 ]
    stop_server
}

# /topology, and policy, migrate_to, measure and resample on this machine.
case_topology() {
    start_fn topology || return 0
    call GET /topology
    expect "GET /topology lists this machine's nodes" \
        jq_true "(.node_ids | length) == $(ls -d /sys/devices/system/node/node[0-9]* | wc -l) and (.distances | length) == (.node_ids | length)"
    expect "GET /topology: every node's tier fields, and the kernel's tiering" \
        jq_true '(.tiering.kernel | length > 0) and ([.nodes[] | has("memory_tier") and has("hmat") and has("weighted_interleave_weight")] | all)'
    call GET "/?iterations=8&policy=bind&nodes=0&migrate_to=0&measure=bandwidth&hold_ms=200&resample_ms=50"
    expect "policy, migrate_to, measure and resample on this machine" \
        jq_true '.policy.policy == "bind" and .migration.failed == 0 and .migration.per_node_after == {"0": 4096}
                 and .measure.bandwidth.read_mib_s > 0 and .resample.samples >= 2
                 and ([.resample.series[] | .per_node["0"]] | all(. == 4096))'
    stop_server
}

# Two experiments at once: the second waits EXP_BUSY_WAIT_MS (300 ms) then gets 429.
case_busy() {
    start_fn busy EXP_BUSY_WAIT_MS=300 || return 0
    curl -s --max-time 60 "http://127.0.0.1:$PORT/?$SMALL&hold_ms=2000" >"$work/a.json" &
    a=$!
    sleep 0.5
    call GET "/?$SMALL"
    wait "$a"
    expect "concurrent experiment while one runs: 429 busy JSON" \
        bash -c '[ "$0" = 429 ] && printf "%s" "$1" | jq -e ".error|test(\"busy\")" >/dev/null' "$STATUS" "$BODY"
    expect "the running experiment completed" jq_files '.placement.pages == 32768' "$work/a.json"
    stop_server
}

# The EXP_MAX_TOTAL_MB cap (default 4096 MiB).
case_cap() {
    start_fn cap EXP_MAX_TOTAL_MB=64 || return 0
    bad "above EXP_MAX_TOTAL_MB" 422 'EXP_MAX_TOTAL_MB' GET '/?iterations=33'
    call GET '/?iterations=32'
    expect "at EXP_MAX_TOTAL_MB: accepted" [ "$STATUS" = 200 ]
    stop_server
}

# With a long enough wait both run, one after the other.
case_serial() {
    start_fn serial EXP_BUSY_WAIT_MS=20000 || return 0
    curl -s --max-time 60 "http://127.0.0.1:$PORT/?$SMALL&hold_ms=1000" >"$work/a.json" &
    a=$!
    curl -s --max-time 60 "http://127.0.0.1:$PORT/?$SMALL&hold_ms=1000" >"$work/b.json" &
    b=$!
    wait "$a" "$b"
    expect "two concurrent experiments both answer 200" jq_files -s '.[0].placement.pages == 32768 and .[1].placement.pages == 32768' "$work/a.json" "$work/b.json"
    expect "two concurrent experiments both complete and never overlap" \
        jq_files -s '(.[0].timings.finished_at <= .[1].timings.started_at) or (.[1].timings.finished_at <= .[0].timings.started_at)' "$work/a.json" "$work/b.json"
    stop_server
}

# SIGTERM during an experiment: the experiment completes, the process exits 0.
case_sigterm() {
    start_fn sigterm || return 0
    curl -s --max-time 60 "http://127.0.0.1:$PORT/?$SMALL&hold_ms=1500" >"$work/c.json" &
    c=$!
    sleep 0.5
    pid=$SERVER_PID
    stop_server TERM
    wait "$c"
    expect "SIGTERM mid-experiment: exit status 0" [ "$STOP_RC" = 0 ]
    expect "SIGTERM mid-experiment: the experiment answered 200 and released its memory" \
        jq_files ".placement.pages == 32768 and .placement.per_node[\"$NODE\"] == 32768 and .memfree.released != null" "$work/c.json"
    expect "SIGTERM mid-experiment: process gone" bash -c '! kill -0 "$0" 2>/dev/null' "$pid"
}
