# common.sh: what the hardening scripts share beyond tests/lib.sh (which it sources):
# a work folder removed on exit, the node to bind to, sanitizer options, a set of mixed requests
# with their expected statuses, and small readers of /proc. Source it after `set -euo pipefail`.
HARDENING_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$HARDENING_DIR/../lib.sh"

WORK=$(mktemp -d)
BG_PIDS=()
CGROUPS=()
hd_cleanup() {
    local p
    for p in "${BG_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    stop_server KILL
    for p in "${CGROUPS[@]:-}"; do [ -n "$p" ] && rmdir "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap hd_cleanup EXIT

# The first node with memory, and the binding the function runs under.
NODE=$(cut -d, -f1 /sys/devices/system/node/has_memory | cut -d- -f1)
BIND=(numactl --membind "$NODE")

# Sanitizer findings stop the process and are also written to files in $WORK/sanitizer/.
mkdir -p "$WORK/sanitizer"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$WORK/sanitizer/report"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$WORK/sanitizer/report"
# san_findings: the sanitizer reports written so far (none: empty output).
san_findings() { cat "$WORK"/sanitizer/report* 2>/dev/null || true; }

# expect_status NAME STATUS METHOD PATH [curl args...]: one request, its status, a JSON body.
expect_status() {
    local name=$1 want=$2; shift 2
    call "$@"
    if [ "$STATUS" = "$want" ] && printf '%s' "$BODY" | jq -e 'type == "object"' >/dev/null 2>&1; then
        ok "$name -> $want"
    else
        fail "$name -> $want (got $STATUS: ${BODY:0:200})"
    fi
}

# mixed_requests: small experiments, /topology, and bad input of every kind. The server must
# run with FN_MAX_BODY_BYTES=4096.
mixed_requests() {
    head -c 8192 /dev/zero | tr '\0' a >"$WORK/big-body"
    expect_status "small mmap experiment" 200 GET '/?iterations=4'
    expect_status "small experiment, JSON body" 200 POST / -d '{"iterations":2,"chunk_mb":1,"thp":true}'
    expect_status "small malloc experiment" 200 GET '/?iterations=2&alloc=malloc'
    expect_status "small libnuma experiment on node $NODE" 200 GET "/?iterations=2&alloc=libnuma&node=$NODE"
    expect_status "small experiment with mbind to node $NODE" 200 GET "/?iterations=2&node=$NODE"
    expect_status "untouched experiment" 200 GET '/?iterations=2&touch=false'
    expect_status "topology" 200 GET /topology
    expect_status "unknown parameter" 400 GET '/?bogus=1'
    expect_status "malformed JSON" 400 POST / -d '{"iterations":'
    expect_status "JSON array" 400 POST / -d '[1,{"a":[]}]'
    expect_status "duplicate key" 400 POST / -d '{"iterations":1,"iterations":1}'
    expect_status "wrong type" 400 POST / -d '{"alloc":12}'
    expect_status "out of range" 400 GET '/?chunk_mb=4096'
    expect_status "node absent" 422 GET '/?iterations=1&node=63'
    expect_status "too big for the node" 422 GET '/?chunk_mb=1024&iterations=100000'
    expect_status "wrong method" 405 DELETE /
    expect_status "unknown path" 404 GET '/no/such/path'
    expect_status "body over the limit, Content-Length" 413 POST / --data-binary @"$WORK/big-body"
    expect_status "body over the limit, chunked" 413 POST / -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/big-body"
    expect_status "readiness" 200 GET /_/ready
}

# established PORT: TCP connections established to the server's port (server side).
established() { ss -Htn state established "( sport = :$1 )" | wc -l; }

# ---- a child memory cgroup (v1 here, v2 where the host runs it) ----
# cg_create NAME: creates a child of this shell's own memory cgroup, removed on exit; sets CG
# (its directory), IN_CG, CG_VERSION, CG_LIMIT_FILE and CG_USAGE_FILE.
cg_create() {
    local rel root
    if rel=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup) && [ -n "$rel" ] \
        && [ -d /sys/fs/cgroup/memory ]; then
        root=/sys/fs/cgroup/memory; CG_VERSION=1
        CG_LIMIT_FILE=memory.limit_in_bytes; CG_USAGE_FILE=memory.usage_in_bytes
    else
        rel=$(awk -F: '$1 == "0" {print $3; exit}' /proc/self/cgroup); root=/sys/fs/cgroup; CG_VERSION=2
        CG_LIMIT_FILE=memory.max; CG_USAGE_FILE=memory.current
    fi
    CG="$root${rel%/}/$1-$$"
    mkdir "$CG" || return 1
    CGROUPS+=("$CG")
    # A command prefix that enters $CG and execs the rest (same pid, so start_server's
    # SERVER_PID is the server's).
    IN_CG=(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG")
}
# cg_usage_kb / cg_node_kb: memory charged to $CG, in total and on $NODE (v1 memory.numa_stat).
cg_usage_kb() { echo $(($(cat "$CG/$CG_USAGE_FILE") / 1024)); }
cg_node_kb() {
    if [ "$CG_VERSION" = 1 ]; then
        awk -v n="N$NODE" '/^total=/ {for (i = 2; i <= NF; i++) {split($i, a, "="); if (a[1] == n) print a[2] * 4}}' "$CG/memory.numa_stat"
    else
        awk -v n="N$NODE" '/^anon / {for (i = 2; i <= NF; i++) {split($i, a, "="); if (a[1] == n) print int(a[2] / 1024)}}' "$CG/memory.numa_stat"
    fi
}
