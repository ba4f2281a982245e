# lib.sh: shared helpers for the shell test suites: start the real server on loopback, wait
# for readiness (bounded), call it with curl (bounded), assert, and stop it. Source it.
# Each suite prints "ok - name" / "not ok - name" lines and ends with "N passed, N failed".

PASSED=0
FAILED=0
SERVER_PID=""
SERVER_LOG=""

ok()   { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
# check NAME COMMAND...: runs the command, records ok/not ok.
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
# MEMFREE_TAG ends the name of every check that judges node-wide MemFree, which other processes
# move too; such a check judges nothing else. Suites that run where other activity is expected
# (the sanitized run of this suite) may leave exactly these to the plain run.
MEMFREE_TAG=' # node-wide MemFree'
check_memfree() { local name=$1; shift; check "$name$MEMFREE_TAG" "$@"; }

summary() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# free_port: a TCP port nobody listens on, in 20000-39999.
free_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + (RANDOM % 20000)))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

# wait_ready PORT [TRIES] [PID]: polls /_/ready every 0.1 s; gives up early when PID has exited.
wait_ready() {
    local port=$1 tries=${2:-100} pid=${3:-} i
    for i in $(seq 1 "$tries"); do
        curl -fs --max-time 1 "http://127.0.0.1:$port/_/ready" >/dev/null 2>&1 && return 0
        [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# start_server LOG CMD...: starts CMD in the background (env FN_PORT must be exported or
# passed with env), records SERVER_PID, waits for readiness on $PORT (at most about 10 s, less
# if the process exits). Fails when the server is not ready.
start_server() {
    SERVER_LOG=$1; shift
    "$@" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    wait_ready "$PORT" 100 "$SERVER_PID"
}

# stop_server [SIGNAL]: signals the server and waits (at most 30 s); its exit status is left
# in STOP_RC (call it directly, not in $(...): only this shell can wait for the server).
STOP_RC=""
stop_server() {
    local sig=${1:-TERM} i
    [ -n "$SERVER_PID" ] || return 0
    kill -"$sig" "$SERVER_PID" 2>/dev/null || true
    for i in $(seq 1 300); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    STOP_RC=0
    wait "$SERVER_PID" 2>/dev/null || STOP_RC=$?
    SERVER_PID=""
}

# call METHOD PATH [curl args...]: sets STATUS and BODY.
call() {
    local method=$1 path=$2; shift 2
    local out
    out=$(curl -s --max-time "${CALL_TIMEOUT:-120}" -X "$method" -w '\n%{http_code}' "$@" \
          "http://127.0.0.1:$PORT$path") || true
    STATUS=${out##*$'\n'}
    BODY=${out%$'\n'*}
}

# jq_true EXPR: evaluates a jq boolean expression on $BODY.
jq_true() { [ "$(printf '%s' "$BODY" | jq -r "$1" 2>/dev/null)" = "true" ]; }

# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# jq_files [jq options] EXPR FILE...: true when jq -e says so, quietly.
jq_files() { jq -e "$@" >/dev/null 2>&1; }
