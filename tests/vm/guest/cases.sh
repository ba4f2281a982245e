#!/bin/bash
# tests/vm/guest/cases.sh (guest /vm/cases.sh): owns the cases run inside the emulated 3-node machine.
# Each experiment case asserts the function's JSON answer and cross-checks it against the kernel's
# /proc/PID/numa_maps of the server, read while the experiment holds its buffers (hold_ms).
# The host decides which cases run: their names, comma-separated, in `vmcases=` on the kernel
# command line. Prints VM-PLAN <n> <names...>, then one VM-RESULT line per case, in that order; a
# name it does not know, or a case whose server (/srv/server) or of-watchdog is missing, fails.
#   usage: cases.sh
set -euo pipefail
. /vm/lib.sh
. /vm/tiers.sh    # the tiered-memory cases
. /vm/seed.sh

# 64 x 2 MiB = 128 MiB = 32768 pages: ~1 s to touch under TCG; hold 3 s for the numa_maps reader.
CHUNK_MB=2
ITER=64
HOLD_MS=3000
BYTES=$((CHUNK_MB * ITER * 1048576))
PAGES=$((BYTES / 4096))
Q="chunk_mb=$CHUNK_MB&iterations=$ITER&hold_ms=$HOLD_MS"

abs_lt() { local v=$1; [ "$v" -lt 0 ] && v=$((-v)); [ "$v" -lt "$2" ]; }
ge() { [ "$1" -ge "$2" ]; }

# Pages on node K from numa_maps: every buffer page on K (1% slack for the reader's timing), the other
# nodes within 5% of the experiment (the server's own small allocations).
nm_all_on() {
    local k=$1 n
    expect "numa_maps read during the hold" is_true "$NM_IN_HOLD"
    expect "numa_maps N$k >= 99% of $PAGES pages" ge "${NM[k]}" $((PAGES * 99 / 100))
    for ((n = 0; n < NODES; n++)); do
        [ "$n" = "$k" ] && continue
        expect "numa_maps N$n small" abs_lt "${NM[n]}" $((PAGES / 20))
    done
}

# The answer's placement.per_node and the numa_maps reading agree on every node (within 1% of the
# pages: the reader also sees the server's own small allocations).
json_matches_nm() {
    local n
    for ((n = 0; n < NODES; n++)); do
        jexpect "placement.per_node[$n] = numa_maps N$n (${NM[n]}) within 1%" \
            "((.placement.per_node[\"$n\"] // 0) - ${NM[n]}) | (if . < 0 then -. else . end) <= \$pages / 100"
    done
}

# JSON (queued; jrun evaluates): the experiment's size, every touched page on node $k.
json_all_on() {
    jexpect "bytes = $BYTES" '.bytes == $b'
    jexpect "placement.pages = $PAGES" '.placement.pages == $pages'
    jexpect "placement.per_node: 100% on node $JK" \
        '(.placement.per_node[$k] // 0) == .placement.pages and ([.placement.per_node[]] | add) == .placement.pages'
    jexpect "placement.not_present = 0" '.placement.not_present == 0'
    jexpect "placement.cross_check.agrees" '.placement.cross_check.agrees == true'
    jexpect "placement.exact" '.placement.exact == true'
}

# deltas.total: node $k consumed >= 95% of bytes, every other node moved < 10% of bytes.
json_deltas_on() {
    jexpect "deltas.total[$JK] >= 95% of bytes" '(.deltas.total[$k] // 0) >= 0.95 * $b'
    jexpect "other nodes' deltas.total < 10% of bytes" \
        '[.deltas.total | to_entries[] | select(.key != $k) | .value | if . < 0 then -. else . end]
         | all(. < 0.10 * $b)'
}

case_topology() {
    begin_case topology
    local h
    h=$(numactl -H | sed 's/[[:space:]][[:space:]]*/ /g; s/ $//')
    printf '%s\n' "$h" | sed 's/^/VM-INFO   /'
    expect "3 nodes" grep -qx 'available: 3 nodes (0-2)' <<<"$h"
    expect "node 0 cpus 0 1" grep -qx 'node 0 cpus: 0 1' <<<"$h"
    expect "node 1 cpus 2 3" grep -qx 'node 1 cpus: 2 3' <<<"$h"
    expect "node 2 without CPUs" grep -qx 'node 2 cpus:' <<<"$h"
    expect "distances from 0: 10 21 30" grep -qx ' \?0: 10 21 30' <<<"$h"
    expect "distances from 1: 21 10 30" grep -qx ' \?1: 21 10 30' <<<"$h"
    expect "distances from 2: 30 30 10" grep -qx ' \?2: 30 30 10' <<<"$h"
    local sizes
    sizes=$(sed -n 's/^node \([0-9]\) size: \([0-9]*\) MB$/N\1=\2MB/p' <<<"$h" | tr '\n' ' ')
    end_case "numactl -H: 3 nodes, cpus 0-1/2-3/none, sizes ${sizes% }"
}

# The function's own /topology sees the same machine.
case_server_topology() {
    begin_case server-topology
    if start_server; then
        get_topology
        jexpect "node_ids [0,1,2]" '.node_ids == [0,1,2]'
        jexpect "node 2 without CPUs" '[.nodes[] | select(.node == 2) | .n_cpus] == [0]'
        jexpect "CPUs 0-1 on node 0, 2-3 on node 1" '[.nodes[] | .cpus] | .[0:2] == ["0-1","2-3"]'
        jexpect "distances" '.distances == [[10,21,30],[21,10,30],[30,30,10]]'
        jrun '"GET /topology: nodes \(.node_ids | tojson) cpus \([.nodes[] | .cpus] | tojson) distances \(.distances | tojson)"'
    else
        ERRS="server did not start"
    fi
    stop_server
    end_case "$JSUM"
}

PLACEMENT='"placement \(.placement.per_node | tojson)"'

# on_one_node NAME K QUERY CHECKS [SERVER_PREFIX...]: a case whose every page must land on node K, by
# the answer and by numa_maps read during the hold, with the server run under SERVER_PREFIX (e.g.
# numactl --membind K). CHECKS names a function that queues the case's own jexpects; SUMMARY_EXTRA
# (jq string text) is appended to the case's summary.
on_one_node() {
    local name=$1 query=$3 checks=$4
    JK=$2
    shift 4
    begin_case "$name"
    if start_server "$@"; then
        held_request "$query" "$PAGES"
        expect "HTTP 200 (got $CODE)" code_is 200
        json_all_on
        "$checks"
        nm_all_on "$JK"
        json_matches_nm
        jrun "$PLACEMENT"' + " numa_maps '"$NM_TEXT${SUMMARY_EXTRA:-}"'"'
    else
        ERRS="server did not start"
    fi
    stop_server
    end_case "$JSUM"
}

# --membind K: every page on K, with the node's MemFree deltas.
bind_checks() {
    json_deltas_on
    jexpect "process.policy bind [$JK]" '.process.policy == "bind" and .process.policy_nodes == [$k | tonumber]'
}
case_bind() {
    SUMMARY_EXTRA=' deltas.total \(.deltas.total | tojson)' on_one_node "membind-$1" "$1" "$Q" bind_checks \
        numactl --membind "$1"
}

# --preferred 2: every page on node 2 (it has room).
preferred_checks() { jexpect "process.policy preferred" '.process.policy | test("prefer")'; }
case_preferred() { on_one_node preferred-2 2 "$Q" preferred_checks numactl --preferred 2; }

# Shares of each node between 28.3% and 38.3% (an even split +- 5 points).
share_ok() { [ "$(($1 * 1000 / $2))" -ge 283 ] && [ "$(($1 * 1000 / $2))" -le 383 ]; }
case_interleave() {
    begin_case interleave-0-1-2
    local n
    if start_server numactl --interleave 0,1,2; then
        held_request "$Q" "$PAGES"
        expect "HTTP 200 (got $CODE)" code_is 200
        jexpect "placement.pages = $PAGES" '.placement.pages == $pages'
        jexpect "each node 28.3-38.3% of the pages" \
            '.placement as $pl | [range(0;3) | tostring as $n | ($pl.per_node[$n] // 0) / $pl.pages]
             | all(. >= 0.283 and . <= 0.383)'
        jexpect "placement sums to the pages" '([.placement.per_node[]] | add) == .placement.pages'
        jexpect "process.policy interleave" '.process.policy | test("interleave")'
        jexpect "placement.cross_check.agrees" '.placement.cross_check.agrees == true'
        jexpect "placement.exact" '.placement.exact == true'
        expect "numa_maps read during the hold" is_true "$NM_IN_HOLD"
        for ((n = 0; n < NODES; n++)); do
            expect "numa_maps N$n 28.3-38.3% of the total" share_ok "${NM[n]}" "$NM_TOTAL"
        done
        expect "numa_maps total >= 99% of $PAGES" ge "$NM_TOTAL" $((PAGES * 99 / 100))
        json_matches_nm
        jrun "$PLACEMENT"' + " numa_maps '"$NM_TEXT"'"'
    else
        ERRS="server did not start"
    fi
    stop_server
    end_case "$JSUM"
}

# Process policy default, the request asks libnuma for node 2.
libnuma_checks() {
    jexpect "process.policy default" '.process.policy == "default"'
    jexpect "placement.policy_nodes [2]" '.placement.policy_nodes == [2]'
}
case_libnuma() { on_one_node libnuma-node-2 2 "$Q&alloc=libnuma&node=2" libnuma_checks; }

# error_json WHAT: a 4xx with {"error": "..."}; JSUM: "<code> <error>".
error_json() {
    expect "$1: 4xx (got $CODE)" code_4xx
    jexpect "$1: JSON error field" '.error | type == "string" and length > 0'
}
ERROR_SUMMARY='.error | tojson'
case_errors() {
    begin_case errors
    local e1="" e2="" e3=""
    if start_server; then
        request "chunk_mb=2&iterations=4&node=7"
        error_json "node=7"
        jrun "$ERROR_SUMMARY"
        e1="node=7 -> $CODE $JSUM"
        request "chunk_mb=2&iterations=4&alloc=libnuma"
        expect "alloc=libnuma without node: 400 (got $CODE)" code_is 400
        jexpect "alloc=libnuma without node: the error asks for a node" '.error | test("node")'
        jrun "$ERROR_SUMMARY"
        e1+="; alloc=libnuma without node -> $CODE $JSUM"
    else
        ERRS="server did not start"
    fi
    stop_server
    if start_server numactl --membind 1; then
        request "chunk_mb=2&iterations=4&node=2"
        error_json "--membind 1, node=2"
        jrun "$ERROR_SUMMARY"
        e2="membind 1 + node=2 -> $CODE $JSUM"
        request "chunk_mb=2&iterations=1000"
        expect "2000 MiB in a 1 GiB node: 422 (got $CODE)" code_is 422
        jexpect "2000 MiB in a 1 GiB node: the error speaks of free memory" '.error | test("free"; "i")'
        jrun "$ERROR_SUMMARY"
        e2+="; 2000 MiB on node 1 -> $CODE $JSUM"
        request "chunk_mb=2&iterations=4"
        expect "a valid request afterwards: 200 (got $CODE)" code_is 200
        jexpect "a valid request afterwards: all on node 1" \
            '(.placement.per_node["1"] // 0) == .placement.pages and .placement.pages == 2048'
        jrun "$PLACEMENT"
        e3="then valid -> $CODE $JSUM"
        request "" '{"chunk_mb":2,"iterations":4,"node":1}'
        expect "a valid POST afterwards: 200 (got $CODE)" code_is 200
        jexpect "a valid POST afterwards: all on node 1, params from the body" \
            '(.placement.per_node["1"] // 0) == .placement.pages and .placement.pages == 2048 and .params.node == 1'
        jrun "$PLACEMENT"
        e3+="; POST {node:1} -> $CODE $JSUM"
    else
        ERRS="server did not start"
    fi
    stop_server
    end_case "$e1; $e2; $e3"
}

case_no_touch() {
    begin_case touch-false
    if start_server; then
        held_request "$Q&touch=false" 0
        expect "HTTP 200 (got $CODE)" code_is 200
        jexpect "deltas.allocate < 5% of bytes on every node" \
            '[.deltas.allocate[] | if . < 0 then -. else . end] | length == 3 and all(. < 0.05 * $b)'
        jexpect "placement.not_present = pages = $PAGES" \
            '.placement.not_present == .placement.pages and .placement.pages == $pages'
        jexpect "placement.cross_check.agrees" '.placement.cross_check.agrees == true'
        jexpect "placement.exact" '.placement.exact == true'
        expect "numa_maps read during the hold" is_true "$NM_IN_HOLD"
        expect "numa_maps: fewer than 5% of the pages present ($NM_TOTAL)" abs_lt "$NM_TOTAL" $((PAGES / 20))
        jrun '"not_present \(.placement.not_present)/\(.placement.pages) deltas.allocate \(.deltas.allocate | tojson)"'" + \" numa_maps $NM_TEXT\""
    else
        ERRS="server did not start"
    fi
    stop_server
    end_case "$JSUM"
}

# A cgroup v2 child like a Memory-Manager-pinned pod: cpuset.mems 0-1, memory.max 256M.
case_cgroup() {
    begin_case cgroup-v2
    local cg=/sys/fs/cgroup/fn e0="" e1="" e2=""
    mkdir -p /sys/fs/cgroup
    grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
    echo "+memory +cpuset" > /sys/fs/cgroup/cgroup.subtree_control
    mkdir -p "$cg"
    echo 0-3 > "$cg/cpuset.cpus"
    echo 0-1 > "$cg/cpuset.mems"
    echo 256M > "$cg/memory.max"
    if start_server; then
        echo "$SPID" > "$cg/cgroup.procs"
        request "chunk_mb=2&iterations=4"
        expect "HTTP 200 (got $CODE)" code_is 200
        jexpect "process.mems_allowed [0,1]" '.process.mems_allowed == [0,1]'
        jexpect "cgroup version 2, limit 268435456" '.cgroup.version == 2 and .cgroup.limit == 268435456'
        jrun '"mems_allowed \(.process.mems_allowed | tojson) cgroup v\(.cgroup.version) limit \(.cgroup.limit)"'
        e0=$JSUM
        request "chunk_mb=2&iterations=4&node=2"
        error_json "node=2 outside the cpuset"
        jexpect "node=2: the error mentions the cpuset" '.error | test("cpuset"; "i")'
        jrun "$ERROR_SUMMARY"
        e1="node=2 -> $CODE $JSUM"
        request "chunk_mb=2&iterations=256"
        expect "512 MiB: 422 (got $CODE)" code_is 422
        jexpect "512 MiB: the error names the limit" '.error | test("limit|memory\\.max|268435456|256 ?MiB"; "i")'
        jrun "$ERROR_SUMMARY"
        e2="512 MiB -> $CODE $JSUM"
    else
        ERRS="server did not start"
    fi
    stop_server
    end_case "$e0; $e1; $e2"
}

case_server_log() {
    begin_case server-log
    expect "no sanitizer or crash report in the server's log" \
        eval '! grep -qiE "AddressSanitizer|runtime error|segmentation|abort" /tmp/server.log'
    end_case "$(wc -l < /tmp/server.log 2>/dev/null || echo 0) lines"
}

# run_case NAME: one case of the host's plan. Every case but topology needs the server binary.
run_case() {
    local name=$1
    if [ "$name" != topology ] && [ ! -x "$SERVER" ]; then
        begin_case "$name"
        ERRS="no server binary at $SERVER in the guest"
        end_case ""
        return 0
    fi
    case $name in
        topology) case_topology ;;
        server-topology) case_server_topology ;;
        membind-[0-9]) case_bind "${name#membind-}" ;;
        preferred-2) case_preferred ;;
        interleave-0-1-2) case_interleave ;;
        libnuma-node-2) case_libnuma ;;
        errors) case_errors ;;
        touch-false) case_no_touch ;;
        cgroup-v2) case_cgroup ;;
        seed-watchdog-unbound | seed-watchdog-bound)
            if [ -x /usr/bin/fwatchdog ]; then
                case_seed "${name#seed-watchdog-}"
            else
                begin_case "$name"; ERRS="no of-watchdog at /usr/bin/fwatchdog in the guest"; end_case ""
            fi ;;
        tier-topology) case_tier_topology ;;
        weighted-interleave) case_weighted_interleave ;;
        demotion) case_demotion ;;
        migrate) case_migrate ;;
        measure-sweep) case_measure_sweep ;;
        tier-absent) case_tier_absent ;;
        server-log) case_server_log ;;
        *) begin_case "$name"; ERRS="no such case in the guest"; end_case "" ;;
    esac
}

plan=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^vmcases=//p' | tail -n 1)
IFS=, read -r -a CASES <<<"$plan"
echo "VM-PLAN ${#CASES[@]} ${CASES[*]}"
if [ "${#CASES[@]}" = 0 ]; then
    echo "VM-INFO no vmcases= on the kernel command line: nothing to run"
    exit 1
fi
for name in "${CASES[@]}"; do
    run_case "$name"
done
echo "VM-SUMMARY passed=$PASSED failed=$FAILED"
[ "$FAILED" = 0 ]
