# lib.sh: the shell test library every suite sources (bash): results (ok/fail/expect and the
# summary), JSON field checks with jq, a bounded wait, HTTP calls to 127.0.0.1 that end by
# themselves, and the real server started and stopped on loopback. Each suite keeps its own
# specifics in its own files. Every result is one line, "ok - NAME" or "not ok - NAME"; a suite
# ends with summary: "[LABEL: ]N passed, N failed".

PASSED=0
FAILED=0
ok()   { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
# expect NAME COMMAND...: runs the command; ok NAME when it succeeds, else not ok.
expect() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
# summary [LABEL]: the counts; fails when a check failed.
summary() {
    echo "${1:+$1: }$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
# MEMFREE_TAG ends the name of every check that judges node-wide memory, which other processes
# move too; such a check judges nothing else. A suite that runs where other activity is expected
# (the sanitized run of the integration suite) may leave exactly these to the plain run.
MEMFREE_TAG=' # node-wide MemFree'
expect_memfree() { local name=$1; shift; expect "$name$MEMFREE_TAG" "$@"; }

# ---- JSON ----
# jq_true EXPR: the jq boolean EXPR is true of $BODY (the last call's answer).
jq_true() { [ "$(printf '%s' "$BODY" | jq -r "$1" 2>/dev/null)" = true ]; }
# jq_files [jq options] EXPR FILE...: jq -e says so of the files, quietly.
jq_files() { jq -e "$@" >/dev/null 2>&1; }

# ---- waiting ----
# wait_until SECONDS COMMAND...: runs the command every 0.1 s until it succeeds (0) or SECONDS
# have passed (1). The command runs at least once.
wait_until() {
    local end=$((SECONDS + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# ---- HTTP on loopback ----
# call METHOD PATH [curl args...]: one request to 127.0.0.1:$PORT, bounded by CALL_TIMEOUT
# (120 s); sets STATUS (000 when there was no answer) and BODY (trailing newlines kept), and
# HEADERS (without CR) when CALL_HEADERS names a scratch file for them.
call() {
    local method=$1 path=$2 out
    shift 2
    [ -z "${CALL_HEADERS:-}" ] || : >"$CALL_HEADERS"
    out=$(curl -s --max-time "${CALL_TIMEOUT:-120}" -D "${CALL_HEADERS:-/dev/null}" -X "$method" \
          -w '\n%{http_code}' "$@" "http://127.0.0.1:$PORT$path") || true
    STATUS=${out##*$'\n'}
    STATUS=${STATUS:-000}
    BODY=${out%$'\n'*}
    [ -z "${CALL_HEADERS:-}" ] || HEADERS=$(tr -d '\r' <"$CALL_HEADERS" 2>/dev/null || true)
}
# header NAME: that header's value in the last call's answer (needs CALL_HEADERS).
header() { printf '%s\n' "$HEADERS" | sed -n "s/^$1: //Ip" | head -n 1; }

# free_port: a TCP port nobody listens on, below the kernel's ephemeral range (ip_local_port_range,
# 32768 by default), so that no client's outgoing connection holds it when the server binds.
free_port() {
    local p i lo=32768
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    [ "$lo" -gt 12000 ] 2>/dev/null || lo=32768
    for i in $(seq 1 50); do
        p=$((10000 + (RANDOM % (lo - 10000))))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

# ---- the real server on loopback ----
SERVER_PID=""
SERVER_LOG=""
# ready PORT [PID]: /_/ready answers; with PID, READY_RC is 2 once that process has exited.
ready() {
    READY_RC=0
    curl -fs --max-time 1 "http://127.0.0.1:$1/_/ready" >/dev/null 2>&1 && return 0
    READY_RC=1
    [ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || READY_RC=2
    return 1
}
ready_or_gone() { ready "$@" || [ "$READY_RC" = 2 ]; }
# wait_ready PORT [SECONDS] [PID]: polls readiness (10 s by default); gives up early when PID exits.
wait_ready() { wait_until "${2:-10}" ready_or_gone "$1" "${3:-}" && [ "$READY_RC" = 0 ]; }
# gone PID: the process has exited.
gone() { ! kill -0 "$1" 2>/dev/null; }
# start_server LOG CMD...: starts CMD in the background (FN_PORT set by the caller, e.g. with env),
# records SERVER_PID and waits for readiness on $PORT (at most 10 s, less if the process exits).
start_server() {
    SERVER_LOG=$1
    shift
    "$@" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    wait_ready "$PORT" 10 "$SERVER_PID"
}
# stop_server [SIGNAL]: signals the server and waits (at most 30 s, then KILL); its exit status
# is left in STOP_RC (call it directly, not in $(...): only this shell can wait for the server).
STOP_RC=""
stop_server() {
    local sig=${1:-TERM}
    [ -n "$SERVER_PID" ] || return 0
    kill -"$sig" "$SERVER_PID" 2>/dev/null || true
    wait_until 30 gone "$SERVER_PID" || true
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    STOP_RC=0
    wait "$SERVER_PID" 2>/dev/null || STOP_RC=$?
    SERVER_PID=""
}
# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# ---- this machine's memory ----
# node_used_kb NODE: the node's memory in use, KiB: MemTotal - (MemFree + the free pages parked on
# its per-CPU lists, /proc/zoneinfo pagesets "count:"). MemFree alone leaves those lists out (up to
# hundreds of MiB on recent kernels), and MemTotal grows while memory is onlined lazily after boot:
# this difference is what a process's allocations move.
node_used_kb() {
    local pcp
    pcp=$(awk -v n="$1" -v kb="$(($(getconf PAGESIZE) / 1024))" '
        /^Node / { on = ($2 == n ",") }
        on && $1 == "count:" { s += $2 }
        END { print s * kb }' /proc/zoneinfo)
    awk -v pcp="$pcp" '/MemTotal:/ { t = $4 } /MemFree:/ { f = $4 } END { print t - f - pcp }' \
        "/sys/devices/system/node/node$1/meminfo"
}
