# watchdog.sh: the image suite's checks of the real of-watchdog in front of the function, through the
# container's port: /_/health and /_/ready before and after the upstream is ready, a request body through
# the watchdog, unprefixed logs, max_inflight's 429, SIGTERM with an experiment in flight, exec_timeout's
# 504 and the memory released after it. Sourced by tests/image/run.sh (tests/lib.sh and docker.sh loaded, IMAGE set).

# The watchdog's own answers carry this header (the function's never do).
internal() { [ "$STATUS" = "$1" ] && [ "$(header X-OpenFaaS-Internal)" = "$2" ]; }

section "of-watchdog: /_/health and /_/ready before and after the upstream is ready"
# The upstream starts only once /tmp/upstream-go exists (tests/image/gated-start.sh as fprocess).
start gated --cap-add SYS_NICE -v "$ROOT/tests/image/gated-start.sh:/usr/local/bin/gated-start:ro" \
    -e "fprocess=sh /usr/local/bin/gated-start"
if wait_status GET /_/health 200 60; then
    ok "before: GET /_/health 200 (the watchdog never asks the upstream)"
    call GET /_/ready
    expect "before: GET /_/ready $STATUS from the watchdog (nothing listens on upstream_url yet)" internal 500 of-watchdog
    call POST "/?$SMALL"
    expect "before: POST / $STATUS from the watchdog" internal 500 of-watchdog
    docker exec "$PREFIX-gated" touch /tmp/upstream-go
    if wait_status GET /_/ready 200 60; then
        expect "after: GET /_/ready 200, the function's own answer relayed (ready_path)" jq_true '.status == "ready"'
        call GET /_/health
        expect "after: GET /_/health 200" test "$STATUS" = 200
        call POST "/?$SMALL"
        expect "after: POST /?$SMALL 200" eval '[ "$STATUS" = 200 ] && exact_node0'
    else fail "after: no /_/ready 200 within 60 s (HTTP $STATUS)"; logs gated | tail -n 5; fi
else fail "before: no /_/health 200 within 60 s (HTTP $STATUS)"; logs gated | tail -n 5; fi
stop_rm gated

section "of-watchdog: request bodies reach the handler intact (body-probe)"
start_image probe body-probe:latest --cap-add SYS_NICE
head -c 700001 /dev/urandom >"$tmp/payload"
want=$(fnv1a64 "$tmp/payload")
if served probe body-probe POST /; then
    call POST / -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/payload"
    expect "chunked POST, 700001 bytes: 200, all of them in the handler, FNV-1a $want" \
        jq_true ".body_bytes == 700001 and .body_fnv1a64 == \"$want\" and .transfer_encoding == \"chunked\""
    call POST / --data-binary @"$tmp/payload"
    expect "POST with Content-Length: intact, and re-framed chunked by the watchdog" \
        jq_true ".body_bytes == 700001 and .body_fnv1a64 == \"$want\" and .transfer_encoding == \"chunked\" and .content_length == null"
    call POST / --data-binary ''
    expect "empty POST: 0 bytes, Content-Length: 0" jq_true '.body_bytes == 0 and .content_length == "0"'
    expect "body-probe runs under bind [0] (cdn_policy_read)" jq_true '.process.policy == "bind" and .process.policy_nodes == [0]'
    # prefix_logs=false: the function's lines reach docker logs as written, no date, no "stderr:".
    expect "docker logs: the handler's stdout line, unprefixed" \
        wait_log probe 10 "body-probe: 700001 bytes fnv1a64=$want policy=bind"
    expect "docker logs: the server's stderr lines, unprefixed" eval \
        'wait_log probe 10 "server: listening on http://127\.0\.0\.1:8082 \(pid [0-9]+\)" &&
         wait_log probe 10 "POST / 200 [0-9]+\.[0-9]{3}s"'
fi
stop_rm probe

section "of-watchdog: max_inflight=1, then SIGTERM (docker stop) with the experiment in flight"
# A 32 MiB experiment held 6 s; timeouts roomy enough for a loaded machine, docker stop's grace beyond them.
WRITE_TIMEOUT=40
start inflight --cap-add SYS_NICE -e max_inflight=1 -e healthcheck_interval=4s \
    -e exec_timeout=30s -e write_timeout=${WRITE_TIMEOUT}s
if served inflight max_inflight GET /_/ready; then
    curl -s -m 90 -o "$tmp/inflight" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/?iterations=16&hold_ms=6000" \
        >"$tmp/inflight.code" &
    cpid=$!
    if wait_status GET /_/ready 429 20; then
        ok "GET /_/ready 429 while the experiment runs"
        call POST "/?$SMALL"
        expect "a second request: the watchdog's 429 ($(printf '%s' "$BODY" | head -n 1))" eval \
            'internal 429 faas-middleware && [[ $BODY == "Concurrent request limit exceeded"* ]]'
    else fail "GET /_/ready never 429 (HTTP $STATUS)"; fi
    t0=$(now)
    docker stop -t 90 "$PREFIX-inflight" >/dev/null &
    spid=$!
    expect "after SIGTERM: GET /_/health 503 (during healthcheck_interval)" wait_status GET /_/health 503 10
    wait "$spid" || true
    took=$(since "$t0")
    wait "$cpid" || true
    code=$(docker inspect -f '{{.State.ExitCode}}' "$PREFIX-inflight")
    expect "SIGTERM: the container exits 0 (exit $code) within write_timeout ${WRITE_TIMEOUT}s ($took s)" \
        eval '[ "$code" = 0 ] && awk -v t="$took" -v w="$WRITE_TIMEOUT" "BEGIN { exit !(t < w) }"'
    expect "SIGTERM: the in-flight experiment got its 200" \
        eval '[ "$(cat "$tmp/inflight.code")" = 200 ] && jq -e ".params.hold_ms == 6000" "$tmp/inflight" >/dev/null'
    figure "docker stop with an experiment in flight: $took s"
fi
stop_rm inflight

section "of-watchdog: exec_timeout shorter than the experiment"
# The function's own memory on node 0 is its container's (memory cgroup numa_stat): exact, whatever else
# runs on the machine. Node 0's MemFree is printed beside it; other processes move that one.
# Only the held request outlasts exec_timeout: readiness is GET /_/ready and the request after it is a
# 2 MiB experiment, both quick on a loaded machine too.
start timeout --cap-add SYS_NICE -e exec_timeout=3s
if served timeout exec_timeout GET /_/ready; then
    anon0=$(container_node0_anon_kb timeout) used0=$(node_used_kb 0)
    call POST "/?chunk_mb=2&iterations=128&hold_ms=8000" # 256 MiB held 8 s: the watchdog gives up at 3 s
    expect "256 MiB held 8 s: the watchdog's 504 after exec_timeout=3s" internal 504 of-watchdog
    end=$((SECONDS + 60)) peak=0 used_peak=0
    while [ $SECONDS -lt $end ]; do # until the whole experiment is in place (touching may outlast the 504)
        anon=$(container_node0_anon_kb timeout); [ "$anon" -gt "$peak" ] && peak=$anon
        used=$(node_used_kb 0); [ "$used" -gt "$used_peak" ] && used_peak=$used
        [ $((peak - anon0)) -ge $((250 * 1024)) ] && break
        sleep 0.2
    done
    expect "after the 504 the function still holds it: its node 0 memory +$(((peak - anon0) / 1024)) MiB" \
        test $((peak - anon0)) -ge $((250 * 1024))
    expect "the next request is served (a 2 MiB experiment, 200)" eval \
        'wait_200 "/?iterations=1" 60 && jq_true ".params.iterations == 1"'
    end=$((SECONDS + 30))
    while [ $SECONDS -lt $end ]; do
        anon=$(container_node0_anon_kb timeout); [ "$anon" -ge 0 ] && [ $((anon - anon0)) -le $((16 * 1024)) ] && break
        sleep 0.5
    done
    used=$(node_used_kb 0)
    expect "the memory is released: the function's node 0 memory back to +$(((anon - anon0) / 1024)) MiB" \
        eval '[ "$anon" -ge 0 ] && [ $((anon - anon0)) -le $((16 * 1024)) ]'
    echo "     node 0 in use (MemTotal - MemFree - per-CPU lists), whole machine: before the request" \
        "$((used0 / 1024)) MiB, peak while held $((used_peak / 1024)) MiB, after release $((used / 1024)) MiB"
    echo "     server log: $(logs timeout | grep -E '^POST / 200 [0-9.]+s' | sort -t' ' -k4 -n | tail -n 1)"
fi
stop_rm timeout
