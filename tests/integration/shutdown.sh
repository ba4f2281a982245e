# shutdown.sh: the integration cases of the stop after SIGTERM (sourced by run.sh, like cases.sh):
# bounded by healthcheck_interval + write_timeout even when an experiment cannot finish in time
# (abandoned, and logged as not delivered), and requests that start on a kept-alive connection
# after the grace get 503 without reaching the function. Also query and body bytes that a handler
# would see cut short at a NUL.

# ms_since T0_NS: milliseconds elapsed since a `date +%s%N` reading.
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# An experiment longer than the stop's deadline is abandoned; the exit comes by the deadline.
case_deadline() {
    start_fn bounded write_timeout=1 healthcheck_interval=1 || return 0
    curl -s --max-time 60 -o "$work/bounded.body" -w '%{http_code}' \
        "http://127.0.0.1:$PORT/?iterations=4&hold_ms=20000" >"$work/bounded.status" 2>/dev/null &
    c=$!
    sleep 1   # the experiment is holding its buffers now (20 s)
    t0=$(date +%s%N)
    stop_server TERM
    elapsed=$(ms_since "$t0")
    wait "$c"
    echo "# write_timeout=1 healthcheck_interval=1, a 20 s experiment in flight: exit $STOP_RC after $elapsed ms"
    expect "SIGTERM with a 20 s experiment, write_timeout=1, healthcheck_interval=1: exit 0" [ "$STOP_RC" = 0 ]
    # The bound is 1 s + 1 s; the margin only separates "by the deadline" from "when the experiment ends".
    expect "... the process exits by the deadline, not when the experiment ends ($elapsed ms < 10000)" \
        [ "$elapsed" -lt 10000 ]
    expect "... the client got no answer" [ "$(cat "$work/bounded.status")" = 000 ]
    expect "... the log says it was not delivered (and no 200 for it)" \
        bash -c 'grep -Eq "^GET / - [0-9.]+s not delivered \(abandoned at shutdown: write_timeout passed before an answer\)$" "$0" \
            && ! grep -Eq "^GET / 200 " "$0" && grep -q "1 request(s) in flight: abandoned" "$0"' "$work/bounded.log"
}

# After the grace, a kept-alive connection gets 503; the drain lets the running one finish.
case_quiesce() {
    start_fn quiesce write_timeout=30 EXP_BUSY_WAIT_MS=0 || return 0
    curl -s --max-time 60 -o "$work/long.json" "http://127.0.0.1:$PORT/?$SMALL&hold_ms=3000" &
    c=$!
    timeout 30 python3 - "$PORT" "$SERVER_PID" >"$work/keepalive.out" 2>&1 <<'EOF'
import http.client, os, signal, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
conn.request("GET", "/topology")
r = conn.getresponse(); r.read()
print("first", r.status)
time.sleep(0.5)                 # the experiment on the other connection is running
os.kill(pid, signal.SIGTERM)
time.sleep(0.5)                 # healthcheck_interval=0: quiesced, draining the experiment
conn.request("GET", "/topology")
r = conn.getresponse()
print("second", r.status, r.getheader("Connection"), r.read().decode())
EOF
    wait "$c"
    stop_server TERM
    echo "# keep-alive: $(tr '\n' ' ' <"$work/keepalive.out")"
    expect "kept-alive connection before SIGTERM: 200" grep -qx 'first 200' "$work/keepalive.out"
    expect "kept-alive connection after the grace: 503 JSON 'shutting down', Connection: close" \
        grep -Eq '^second 503 close \{"error":"shutting down' "$work/keepalive.out"
    expect "the experiment in flight at SIGTERM finished within write_timeout with 200" \
        jq_files ".placement.pages == 32768" "$work/long.json"
    expect "... and the process then exited 0" [ "$STOP_RC" = 0 ]
    expect "... its log line says 200, delivered" grep -Eq '^GET / 200 [0-9.]+s$' "$work/quiesce.log"
}

# Bytes a handler would see cut short at a NUL.
case_nul() {
    start_fn nul || return 0
    bad "NUL byte in a query value (%00)" 400 'NUL byte' GET '/?iterations=1%00'
    bad "NUL byte in a query key (%00)" 400 'NUL byte' GET '/?iterations%00x=1'
    printf '{"iterations":1}\0' >"$work/nul-after"
    bad "raw NUL after the JSON value" 400 'NUL byte at offset 16' POST / --data-binary @"$work/nul-after"
    printf '{"alloc":"mmap\0"}' >"$work/nul-inside"
    bad "raw NUL inside a JSON string" 400 'NUL byte at offset 14' POST / --data-binary @"$work/nul-inside"
    printf ' \0 ' >"$work/nul-blank"
    bad "raw NUL among blanks (not an empty body)" 400 'NUL byte at offset 1' POST / \
        -H 'Transfer-Encoding: chunked' --data-binary @"$work/nul-blank"
    call GET '/?iterations=1'
    expect "server still serves after NUL bytes" [ "$STATUS" = 200 ]
    stop_server TERM
}
