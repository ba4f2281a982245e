#!/bin/bash
# tests/vm/guest/lib.sh (guest /vm/lib.sh): owns the helpers the guest's cases share: starting and
# stopping the server, HTTP requests, reading the server's /proc/PID/numa_maps during an experiment's
# hold, JSON assertions and the VM-RESULT lines the host parses.
set -euo pipefail
PORT=8082
BASE=http://127.0.0.1:$PORT
SERVER=/srv/server
NODES=3
SPID=""
BODY=/tmp/body
CODE=""

info() { echo "VM-INFO $*"; }

# start_server [PREFIX...]: runs PREFIX... /srv/server (e.g. numactl --membind 1) in the background
# and waits (at most 20 s) for /_/ready.
uptime_s() { cut -d. -f1 /proc/uptime; }
start_server() {
    local i deadline=$(($(uptime_s) + 20))
    env FN_PORT=$PORT FN_ADDR=127.0.0.1 healthcheck_interval=0 write_timeout=2 "$@" "$SERVER" \
        >> /tmp/server.log 2>&1 &
    SPID=$!
    for i in $(seq 1 200); do
        if curl -fsS -m 2 -o /dev/null "$BASE/_/ready" 2>/dev/null; then return 0; fi
        kill -0 "$SPID" 2>/dev/null || break
        [ "$(uptime_s)" -lt "$deadline" ] || break
        sleep 0.1
    done
    info "server ($*) did not become ready; its log:"
    tail -n 20 /tmp/server.log | sed 's/^/VM-INFO   /'
    return 1
}

# stop_server: SIGTERM, at most 5 s to exit, then SIGKILL.
stop_server() {
    local i
    [ -n "$SPID" ] || return 0
    kill -TERM "$SPID" 2>/dev/null || true
    for i in $(seq 1 50); do
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SPID" 2>/dev/null; then
        info "server $SPID ignored SIGTERM for 5 s, killing it"
        kill -KILL "$SPID" 2>/dev/null || true
    fi
    wait "$SPID" 2>/dev/null || true
    SPID=""
}

# request QUERY [JSON]: GET /?QUERY, or POST / with the JSON body; the answer lands in $BODY, the
# status in $CODE.
request() {
    local -a post=()
    [ -z "${2:-}" ] || post=(-H 'Content-Type: application/json' --data-binary "$2")
    CODE=$(curl -sS -m 60 -o "$BODY" -w '%{http_code}' "${post[@]}" "$BASE/?$1" 2>/tmp/curl.err) || CODE=000
}

# get_topology: GET /topology into $BODY, $CODE; the case expects a 200.
get_topology() {
    CODE=$(curl -sS -m 30 -o "$BODY" -w '%{http_code}' "$BASE/topology" 2>/tmp/curl.err) || CODE=000
    expect "HTTP 200 (got $CODE)" code_is 200
}

# anon_pages PID: the pages per node (0..NODES-1) of PID's mappings that are not file-backed.
anon_pages() {
    awk -v nodes="$NODES" '!/ file=/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^N[0-9]+=/) { split(substr($i, 2), a, "="); s[a[1]] += a[2] }
        }
        END { for (n = 0; n < nodes; n++) printf "%d%s", s[n] + 0, (n + 1 < nodes ? " " : "\n") }' \
        "/proc/$1/numa_maps"
}

# anon_huge_kb PID: kB of PID's anonymous memory backed by transparent huge pages.
anon_huge_kb() { awk '$1 == "AnonHugePages:" { print $2; f = 1 } END { if (!f) print 0 }' "/proc/$1/smaps_rollup"; }

# held_request QUERY WANT_PAGES: runs an experiment (QUERY must carry hold_ms) and, from here, reads the
# server's numa_maps while it holds its buffers: polls until WANT_PAGES more anonymous pages are
# present than before the request (or waits 1 s when WANT_PAGES is 0), reads once more, and leaves the
# per-node difference in NM[] (NM_TOTAL, NM_TEXT "N0=.. N1=.. N2=..") and NM_IN_HOLD=1 when the request
# was still running after that read. NM_THP_KB: the growth of AnonHugePages (smaps_rollup) meanwhile.
held_request() {
    local query=$1 want=$2 i n total cpid
    local -a before cur
    local thp_before
    read -r -a before < <(anon_pages "$SPID")
    thp_before=$(anon_huge_kb "$SPID")
    curl -sS -m 90 -o "$BODY" -w '%{http_code}' "$BASE/?$query" > /tmp/code 2>/tmp/curl.err &
    cpid=$!
    if [ "$want" -eq 0 ]; then
        # Nothing to wait for: allocating without touching takes milliseconds.
        sleep 1
    else
        for i in $(seq 1 300); do
            sleep 0.1
            kill -0 "$cpid" 2>/dev/null || break
            read -r -a cur < <(anon_pages "$SPID")
            total=0
            for ((n = 0; n < NODES; n++)); do total=$((total + cur[n] - before[n])); done
            [ "$total" -lt "$want" ] || break
        done
        sleep 0.2
    fi
    read -r -a cur < <(anon_pages "$SPID")
    NM_THP_KB=$(($(anon_huge_kb "$SPID") - thp_before))
    NM_IN_HOLD=0
    kill -0 "$cpid" 2>/dev/null && NM_IN_HOLD=1
    wait "$cpid" 2>/dev/null || true
    CODE=$(cat /tmp/code 2>/dev/null || true)
    [ -n "$CODE" ] || CODE=000
    NM=()
    NM_TOTAL=0
    NM_TEXT=""
    for ((n = 0; n < NODES; n++)); do
        NM[n]=$((cur[n] - before[n]))
        NM_TOTAL=$((NM_TOTAL + NM[n]))
        NM_TEXT+="${NM_TEXT:+ }N$n=${NM[n]}"
    done
    # thp=false advises MADV_NOHUGEPAGE on every chunk: none of it may become a huge page.
    local mode
    mode=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)
    case $query in
        *thp=true*) ;;
        *) expect "thp=false: no transparent huge pages ($NM_THP_KB kB, THP mode $mode)" \
               [ "$NM_THP_KB" -le 0 ] ;;
    esac
}

# Case bookkeeping: begin_case NAME; expect WHAT CMD...; end_case SUMMARY.
CASE=""
ERRS=""
FAILED=0
PASSED=0
begin_case() { CASE=$1; ERRS=""; info "case $CASE at $(cut -d' ' -f1 /proc/uptime)s"; }
expect() {
    local what=$1
    shift
    if ! "$@"; then ERRS+="${ERRS:+; }$what"; fi
}
end_case() {
    if [ -z "$ERRS" ]; then
        echo "VM-RESULT $CASE ok $*"
        PASSED=$((PASSED + 1))
    else
        echo "VM-RESULT $CASE FAIL $* -- failed: $ERRS"
        FAILED=$((FAILED + 1))
        if [ -s "$BODY" ]; then info "last answer ($CODE): $(head -c 1500 "$BODY")"; fi
    fi
}

# Batched JSON checks (each jq start costs ~0.5 s under TCG): jexpect WHAT EXPR queues a check that
# fails the case; jrun [SUMMARY_EXPR] evaluates the queue in one jq run over the last answer, with
# $k (JK), $b (BYTES) and $pages (PAGES) bound, and leaves the string SUMMARY_EXPR yields in JSUM.
JX=()
JE=()
JK=""
JSUM=""
jexpect() { JX+=("$1"); JE+=("$2"); }
jrun() {
    local summary=${1:-'""'} prog="([" i out=""
    local -a res=()
    for i in "${!JE[@]}"; do prog+="((try (${JE[i]}) catch false) == true),"; done
    prog="${prog%,}] | map(if . then \"1\" else \"0\" end) | join(\" \")), ($summary)"
    # (An error in SUMMARY_EXPR leaves the checks' line: jq prints it first.)
    out=$(jq -r --arg k "$JK" --argjson b "${BYTES:-0}" --argjson pages "${PAGES:-0}" "$prog" "$BODY" \
        2>/dev/null) || true
    read -r -a res <<<"$(head -n 1 <<<"$out")"
    JSUM=$(sed -n '2,$p' <<<"$out" | tr '\n' ' ')
    JSUM=${JSUM% }
    for i in "${!JE[@]}"; do
        [ "${res[i]:-0}" = 1 ] || ERRS+="${ERRS:+; }${JX[i]}"
    done
    JX=()
    JE=()
}

code_is() { [ "$CODE" = "$1" ]; }
code_4xx() { [ "${CODE:0:1}" = 4 ]; }
is_true() { [ "$1" = 1 ]; }
