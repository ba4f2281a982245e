#!/bin/bash
# tests/vm/guest/tiers.sh (guest /vm/tiers.sh, sourced by cases.sh after lib.sh): owns the
# tiered-memory cases, run when the host's plan names them. For the 6.12 kernel with an HMAT: the tiers and
# HMAT figures in GET /topology (tier-topology), a 3:1 weighted-interleave split counted by the
# answer and by numa_maps (weighted-interleave), pages demoted to the lower tier under memory
# pressure from a second process, in the resampled series and the vmstat counters (demotion), every
# page moved by migrate_to (migrate), latency/bandwidth over every memory x CPU node pair
# (measure-sweep). For the 6.1 kernel: what is absent and why, and the 422 for weighted interleave
# (tier-absent).
set -euo pipefail

# nm_anon PID: "N0 N1 N2" anonymous pages of PID now (lib.sh's anon_pages).
nm_anon() { anon_pages "$1"; }

# node_free_kb NODE: MemFree of the node in kB.
node_free_kb() { awk '$3 == "MemFree:" { print $4 }' "/sys/devices/system/node/node$1/meminfo"; }

# The answer's topology and the machine's HMAT, as machine-tiered.sh declares it.
case_tier_topology() {
    begin_case tier-topology
    if start_server; then
        get_topology
        jexpect "two tiers: [0,1] rank 0, [2] rank 1" \
            '[.tiering.memory_tiers[] | [.rank, .nodes]] == [[0,[0,1]],[1,[2]]]'
        jexpect "node 2's tier id above nodes 0-1's" '.nodes[2].memory_tier > .nodes[0].memory_tier'
        jexpect "node 2 access0 from node 0: 250 ns, 10240 MB/s" \
            '.nodes[2].hmat.access0 | .initiators == [0] and .read_latency_ns == 250 and .read_bandwidth_mb_s == 10240'
        jexpect "node 2 access1 (a CPU initiator): 250 ns" '.nodes[2].hmat.access1.read_latency_ns == 250'
        jexpect "nodes 0-1 local: 80 ns, 40960 MB/s" \
            '[.nodes[0,1].hmat.access0 | [.read_latency_ns, .write_bandwidth_mb_s]] == [[80,40960],[80,40960]]'
        jexpect "weighted-interleave weights 1 1 1" '[.nodes[].weighted_interleave_weight] == [1,1,1]'
        jexpect "demotion off, NUMA balancing 1 (normal)" \
            '.tiering.demotion_enabled == false and .tiering.numa_balancing == {"value":1,"mode":"normal"}'
        jexpect "nothing absent" '.tiering.absent == {} and ([.nodes[] | has("absent")] | any | not)'
        jrun '"tiers \(.tiering.memory_tiers | tojson) node2.access0 \(.nodes[2].hmat.access0 | tojson) kernel \(.tiering.kernel)"'
    else
        ERRS="server did not start"
    fi
    stop_server
    end_case "$JSUM"
}

# Weights node0=3, node2=1: 64 x 2 MiB = 32768 pages split 24576 / 8192, by the answer and numa_maps.
case_weighted_interleave() {
    begin_case weighted-interleave
    local wi=/sys/kernel/mm/mempolicy/weighted_interleave e1=""
    echo 3 > "$wi/node0"
    echo 1 > "$wi/node2"
    if start_server; then
        held_request "$Q&policy=weighted-interleave&nodes=0,2" "$PAGES"
        expect "HTTP 200 (got $CODE)" code_is 200
        jexpect "placement exactly 3:1: N0 = 24576, N2 = 8192" \
            '.placement.per_node == {"0": ($pages * 3 / 4), "2": ($pages / 4)}'
        jexpect "cross-check agrees" '.placement.cross_check.agrees == true'
        jexpect "policy weighted-interleave over [0,2], mode 6, weights {0:3, 2:1}" \
            '.policy == {"policy":"weighted-interleave","nodes":[0,2],"mbind_mode":6,"weights":{"0":3,"2":1}}'
        jexpect "placement.policy weighted-interleave" '.placement.policy == "weighted-interleave"'
        expect "numa_maps read during the hold" is_true "$NM_IN_HOLD"
        # (numa_maps counts the server's other anonymous pages too: 1% either way.)
        expect "numa_maps N0 = 24576 (+-1%): ${NM[0]}" in_range "${NM[0]}" $((PAGES * 3 / 4 - PAGES / 100)) $((PAGES * 3 / 4 + PAGES / 100))
        expect "numa_maps N2 = 8192 (+-1%): ${NM[2]}" in_range "${NM[2]}" $((PAGES / 4 - PAGES / 100)) $((PAGES / 4 + PAGES / 100))
        jrun '"placement \(.placement.per_node | tojson) weights \(.policy.weights | tojson)"'" + \" numa_maps $NM_TEXT\""
        local s1=$JSUM
    else
        ERRS="server did not start"
    fi
    stop_server
    echo 1 > "$wi/node0"
    echo 1 > "$wi/node2"
    # The operator's bind still limits what a request may ask.
    if start_server numactl --membind 0,1; then
        request "chunk_mb=2&iterations=4&policy=interleave&nodes=0,2"
        expect "--membind 0,1 and nodes=0,2: 422 (got $CODE)" code_is 422
        jexpect "the error names the bind" '.error | test("bind policy")'
        jrun '.error | tojson'
        e1="; --membind 0,1 + nodes=0,2 -> $CODE $JSUM"
    else
        ERRS+="${ERRS:+; }bound server did not start"
    fi
    stop_server
    end_case "${s1:-}$e1"
}
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
held_and_ge() { [ "$1" = 1 ] && [ "$2" -ge "$3" ]; }

# Demotion: 128 MiB preferred on node 0, held 25 s and resampled every 500 ms; meanwhile memhog,
# bound to node 0, asks for node 0's free memory and 64 MiB more. Reclaim demotes the experiment's
# cold pages to node 2, the lower tier. Node 0 is first shrunk to ~160 MiB free with a pool of
# 2 MiB huge pages (taken without being written, so in no time even under TCG): memhog then writes
# ~100 MiB, seconds of TCG time even on a loaded host, inside the hold.
case_demotion() {
    begin_case demotion
    local want free_kb mh_mb i cpid huge=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
    local -a before cur held=(0 0 0)
    echo true > /sys/kernel/mm/numa/demotion_enabled
    free_kb=$(node_free_kb 0)
    [ "$free_kb" -le $((160 * 1024)) ] || echo $(((free_kb - 160 * 1024) / 2048)) > "$huge"
    info "demotion: node 0 free ${free_kb} kB, $(cat "$huge") huge pages set aside, then $(node_free_kb 0) kB free"
    if start_server; then
        read -r -a before < <(nm_anon "$SPID")
        curl -sS -m 90 -o "$BODY" -w '%{http_code}' \
            "$BASE/?chunk_mb=2&iterations=$ITER&policy=preferred&nodes=0&hold_ms=25000&resample_ms=500" \
            > /tmp/code 2>/tmp/curl.err &
        cpid=$!
        want=$((PAGES * 99 / 100))
        for i in $(seq 1 200); do
            sleep 0.1
            read -r -a cur < <(nm_anon "$SPID")
            [ $((cur[0] - before[0])) -lt "$want" ] || break
        done
        free_kb=$(node_free_kb 0)
        mh_mb=$((free_kb / 1024 + 64))
        info "demotion: experiment on node 0 (N0 +$((cur[0] - before[0])) pages), node 0 free ${free_kb} kB, memhog ${mh_mb}m bound to node 0"
        timeout 60 numactl --membind 0 memhog -r1 "${mh_mb}m" > /tmp/memhog.log 2>&1 &
        local mpid=$! in_hold=0
        # numa_maps while the experiment holds its buffers: the last reading before it lets go.
        # (A reading that sees the experiment's pages on neither node is after the release.)
        for i in $(seq 1 120); do
            kill -0 "$cpid" 2>/dev/null || break
            read -r -a cur < <(nm_anon "$SPID")
            # Still held: every page of the experiment is there (released, they are gone at once).
            if [ $((cur[0] + cur[1] + cur[2] - before[0] - before[1] - before[2])) -ge "$want" ]; then
                in_hold=1
                held=("$((cur[0] - before[0]))" "$((cur[1] - before[1]))" "$((cur[2] - before[2]))")
            fi
            sleep 0.5
        done
        wait "$cpid" 2>/dev/null || true
        wait "$mpid" 2>/dev/null || info "memhog ended with $? ($(tail -c 200 /tmp/memhog.log | tr '\n' ' '))"
        CODE=$(cat /tmp/code 2>/dev/null || echo 000)
        expect "HTTP 200 (got $CODE)" code_is 200
        expect "numa_maps read during the hold" is_true "$in_hold"
        NM_TEXT="N0=${held[0]} N2=${held[2]}"
        expect "numa_maps in the hold: pages on node 2 ($NM_TEXT)" [ "${held[2]}" -gt 0 ]
        jexpect "at least 10 samples" '.resample.samples >= 10 and (.resample.series | length) == .resample.samples'
        jexpect "first sample: every page on node 0" '.resample.series[0].per_node == {"0": $pages}'
        jexpect "last sample: pages on node 2, fewer on node 0" \
            '.resample.series[-1] as $l | ($l.per_node["2"] // 0) > 0 and ($l.per_node["0"] // 0) < $pages'
        jexpect "node 2's count never falls (demotion goes one way)" \
            '[.resample.series[] | .per_node["2"] // 0] as $s | [range(1; $s | length) | $s[.] >= $s[. - 1]] | all'
        jexpect "pgdemote_* moved" '[.resample.counters | to_entries[] | select(.key | startswith("pgdemote_")) | .value] | add > 0'
        jexpect "pgmigrate_success moved" '.resample.counters.pgmigrate_success > 0'
        jexpect "demotion_enabled true in the topology" '.topology.tiering.demotion_enabled == true'
        jrun '"numa_maps in the hold '"$NM_TEXT"', series N0/N2 " + ([.resample.series[] | "\(.t_ms | floor)ms:\(.per_node["0"] // 0)/\(.per_node["2"] // 0)"] | join(" ")) + " counters \(.resample.counters | with_entries(select(.value != 0)) | tojson)"'
    else
        ERRS="server did not start"
    fi
    stop_server
    echo 0 > "$huge"
    echo false > /sys/kernel/mm/numa/demotion_enabled
    end_case "$JSUM"
}

# migrate_to=2: 64 MiB bound to node 0, then moved to node 2; every page ends there, by the answer
# and by numa_maps read during the 5 s hold that follows the move.
case_migrate() {
    begin_case migrate
    local i e1="" n2=0 PAGES=16384
    local -a before cur
    if start_server; then
        read -r -a before < <(nm_anon "$SPID")
        curl -sS -m 240 -o "$BODY" -w '%{http_code}' \
            "$BASE/?chunk_mb=2&iterations=32&hold_ms=5000&policy=bind&nodes=0&migrate_to=2" > /tmp/code 2>/tmp/curl.err &
        local cpid=$!
        for i in $(seq 1 2400); do
            sleep 0.1
            kill -0 "$cpid" 2>/dev/null || break
            read -r -a cur < <(nm_anon "$SPID")
            n2=$((cur[2] - before[2]))
            [ "$n2" -lt "$PAGES" ] || break
        done
        local in_hold=0
        kill -0 "$cpid" 2>/dev/null && in_hold=1
        wait "$cpid" 2>/dev/null || true
        CODE=$(cat /tmp/code 2>/dev/null || echo 000)
        expect "HTTP 200 (got $CODE)" code_is 200
        expect "numa_maps during the hold: every page on node 2 ($n2 of $PAGES)" \
            held_and_ge "$in_hold" "$n2" "$PAGES"
        jexpect "placement before: every page on node 0" '.placement.per_node == {"0": $pages}'
        jexpect "moved = pages, failed 0, method move_pages" \
            '.migration | .moved == $pages and .failed == 0 and .already_there == 0 and .method == "move_pages"'
        jexpect "after: every page on node 2" '.migration.per_node_after == {"2": $pages}'
        jexpect "time and MiB/s" '.migration.seconds > 0 and .migration.mib_s > 0'
        jrun '"moved \(.migration.moved) failed \(.migration.failed) in \(.migration.seconds * 1000 | floor) ms = \(.migration.mib_s | floor) MiB/s, after \(.migration.per_node_after | tojson)"'
    else
        ERRS="server did not start"
    fi
    stop_server
    if start_server numactl --membind 0,1; then
        request "chunk_mb=2&iterations=4&migrate_to=2"
        expect "--membind 0,1 and migrate_to=2: 422 (got $CODE)" code_is 422
        e1="; --membind 0,1 + migrate_to=2 -> $CODE"
    fi
    stop_server
    end_case "$JSUM$e1"
}

# measure and sweep: 32 MiB (twice the guest's 16 MiB LLC) on every memory node from every CPU node.
case_measure_sweep() {
    begin_case measure-sweep
    if start_server; then
        request "chunk_mb=2&iterations=16&measure=latency,bandwidth&sweep=true"
        expect "HTTP 200 (got $CODE)" code_is 200
        jexpect "measure: a chase over every line, both bandwidths" \
            '.measure | .latency.lines == 524288 and .latency.ns_per_load > 0 and .bandwidth.read_mib_s > 0 and .bandwidth.write_mib_s > 0'
        jexpect "virtualized, said so" '.measure.virtualized.virtualized == true and (.measure.virtualized.note | test("structure"))'
        jexpect "6 cells: memory nodes [0,1,2] x CPU nodes [0,1]" \
            '.sweep.mem_nodes == [0,1,2] and .sweep.cpu_nodes == [0,1] and (.sweep.cells | length) == 6'
        jexpect "every cell's pages on its memory node" \
            '[.sweep.cells[] | .placement.on_mem_node_pct == 100 and .placement.per_node == {(.mem_node | tostring): 8192}] | all'
        jexpect "every cell measured from its CPU node" '[.sweep.cells[] | .measure.cpu_node == .cpu_node] | all'
        jexpect "node 2's cells carry HMAT's 250 ns" \
            '[.sweep.cells[] | select(.mem_node == 2) | .hmat_declared.access0.read_latency_ns] == [250, 250]'
        jexpect "2 x 3 matrices" '[.sweep.matrix[] | length == 2 and all(length == 3)] | all'
        jrun '"latency_ns \(.sweep.matrix.latency_ns | map(map(floor)) | tojson) read_mib_s \(.sweep.matrix.read_mib_s | map(map(floor)) | tojson) hypervisor \(.sweep.virtualized.hypervisor)"'
    else
        ERRS="server did not start"
    fi
    stop_server
    end_case "$JSUM"
}

# 6.1: no HMAT, no weighted interleave, and why; weighted interleave is a 422.
case_tier_absent() {
    begin_case tier-absent
    local e1=""
    if start_server; then
        get_topology
        jexpect "weighted interleave absent: Linux 6.9" '.tiering.absent.weighted_interleave | test("6\\.9")'
        jexpect "HMAT absent, said why" '.tiering.hmat == false and (.tiering.absent.hmat | test("HMAT"))'
        jexpect "per node: hmat null with a reason" '[.nodes[] | .hmat == null and (.absent.hmat | length > 0)] | all'
        jrun '.tiering.absent | tojson'
        e1=$JSUM
        request "chunk_mb=2&iterations=4&policy=weighted-interleave&nodes=0,2"
        expect "weighted-interleave: 422 (got $CODE)" code_is 422
        jexpect "the 422 says the kernel is too old" '.error | test("6\\.9")'
        jrun '.error | tojson'
    else
        ERRS="server did not start"
    fi
    stop_server
    end_case "$e1; weighted-interleave -> $CODE $JSUM"
}
