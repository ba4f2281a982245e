#!/usr/bin/env bash
# load.sh: wrk on loopback for LOAD_SECONDS (30) after a warm-up: one wrk sends /topology and
# invalid requests on many connections, another small experiments on a few. Zero 5xx, zero
# socket errors, server RSS growth under 1 MiB across the measured run.
# Usage: load.sh TEST_NUMA_SERVER
set -euo pipefail
SERVER=$1
. "$(dirname "$0")/common.sh"
LOAD_SECONDS=${LOAD_SECONDS:-30}
WARMUP_SECONDS=${WARMUP_SECONDS:-5}
LUA="$HARDENING_DIR/load.lua"

PORT=$(free_port)
start_server "$WORK/server.log" env FN_PORT="$PORT" healthcheck_interval=0 "${BIND[@]}" "$SERVER" \
    || fail "server starts"
URL="http://127.0.0.1:$PORT/"

# run_load SECONDS TAG: both wrk processes at once; outputs in $WORK/TAG-{cheap,exp}.out.
run_load() {
    local secs=$1 tag=$2
    timeout $((secs + 30)) wrk -t2 -c32 -d"${secs}s" --timeout 10s -s "$LUA" "$URL" -- cheap \
        >"$WORK/$tag-cheap.out" 2>&1 &
    local a=$!
    timeout $((secs + 30)) wrk -t1 -c4 -d"${secs}s" --timeout 10s -s "$LUA" "$URL" -- experiments \
        >"$WORK/$tag-exp.out" 2>&1 &
    local b=$!
    local rc=0
    wait "$a" || rc=1
    wait "$b" || rc=1
    return "$rc"
}

expect "warm-up (${WARMUP_SECONDS}s) runs" run_load "$WARMUP_SECONDS" warmup
sleep 1
rss_before=$(rss_kb "$SERVER_PID")
expect "load run (${LOAD_SECONDS}s) runs" run_load "$LOAD_SECONDS" load
sleep 1
rss_after=$(rss_kb "$SERVER_PID")

total=0; rps=0; c5=0; sock=0
for f in "$WORK"/load-cheap.out "$WORK"/load-exp.out; do
    sed 's/^/# /' "$f"
    n=$(awk '/requests in/ {print $1}' "$f"); total=$((total + ${n:-0}))
    r=$(awk '/^Requests\/sec:/ {printf "%d", $2}' "$f"); rps=$((rps + ${r:-0}))
    s5=$(sed -n 's/.*5xx=\([0-9]*\).*/\1/p' "$f"); c5=$((c5 + ${s5:-1}))
    # wrk prints "Socket errors: connect N, read N, write N, timeout N" only when there are some.
    se=$(awk -F'[ ,]+' '/Socket errors/ {print $4 + $6 + $8 + $10}' "$f"); sock=$((sock + ${se:-0}))
done
echo "# load: $total requests in ${LOAD_SECONDS}s, $rps req/s, 5xx $c5, socket errors $sock, RSS ${rss_before} KiB -> ${rss_after} KiB ($((rss_after - rss_before)) KiB)"
expect "load: requests were served ($total)" [ "$total" -gt 0 ]
expect "load: zero 5xx" [ "$c5" -eq 0 ]
expect "load: zero socket errors (connect, read, write, timeout)" [ "$sock" -eq 0 ]
expect "load: server RSS grew by less than 1 MiB ($((rss_after - rss_before)) KiB)" \
    [ $((rss_after - rss_before)) -lt 1024 ]
expect "load: no 5xx in the server's log" bash -c '! grep -Eq "^[A-Z]+ [^ ]+ 5[0-9][0-9] " "$0"' "$WORK/server.log"
expect_status "still serving after the load" 200 GET '/?iterations=1'
stop_server TERM
expect "SIGTERM after the load exits 0" [ "$STOP_RC" = 0 ]
summary
