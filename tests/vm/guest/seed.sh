#!/bin/bash
# tests/vm/guest/seed.sh (guest /vm/seed.sh, sourced by cases.sh after lib.sh): owns the seed
# scenario: the real of-watchdog as a child of PID 1 on node 0's CPUs, fprocess="numactl --membind 1
# /srv/server", the watchdog's memory unbound (case seed-watchdog-unbound) or bound too through the
# template's entrypoint and NUMA_WATCHDOG_BIND="--membind 1" (seed-watchdog-bound), one 256 MiB experiment
# through the watchdog's port 8080. Each case prints one VM-RESULT line (the guest-side checks) and
# one "VM-SEED <case> <json>" line: the answer's placement, attribution and diagnosis with what the
# guest saw itself (pids, parents, the watchdog's policy and pages, nodes' used memory from before the
# watchdog started). tests/vm/seed-check.sh asserts the attribution on the host.
set -euo pipefail

SEED_PORT=8080
SEED_QUERY="chunk_mb=2&iterations=128"  # 256 MiB: ~2 s to touch under TCG
WATCHDOG=/usr/bin/fwatchdog
ENTRYPOINT=/usr/local/bin/c-debian-numa-entrypoint

# node_used: "u0 u1 u2", bytes per node of MemTotal - MemFree - free pages on per-CPU lists.
node_used() {
    awk -v nodes="$NODES" '
        FILENAME == "/proc/zoneinfo" {
            if ($1 == "Node") { node = $2 + 0 } else if ($1 == "count:") { pcp[node] += $2 }
            next
        }
        $3 == "MemTotal:" { total[$2] = $4 } $3 == "MemFree:" { free[$2] = $4 }
        END { for (n = 0; n < nodes; n++) printf "%d%s", (total[n] - free[n]) * 1024 - pcp[n] * 4096, (n + 1 < nodes ? " " : "\n") }
    ' /proc/zoneinfo /sys/devices/system/node/node*/meminfo
}

# status_of PID KEY: one field of /proc/PID/status.
status_of() { awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status" 2>/dev/null || true; }
# policy_of PID: the policy numa_maps shows for PID's first mapping ("default", "bind:1").
policy_of() { awk 'NR == 1 { print $2 }' "/proc/$1/numa_maps" 2>/dev/null || true; }

# child_named PARENT NAME: the pid of PARENT's child called NAME (empty if none), in one awk run.
child_named() {
    awk -v parent="$1" -v name="$2" '
        FNR == 1 { n = "" } $1 == "Name:" { n = $2 }
        $1 == "PPid:" && $2 == parent && n == name { split(FILENAME, p, "/"); print p[3]; exit }
    ' /proc/[0-9]*/status 2>/dev/null || true
}

# start_watchdog BIND: starts the entrypoint (which execs the watchdog, under `numactl BIND` when BIND
# is not empty) from a subshell that exits at once, so the watchdog's parent is PID 1. WPID is its
# pid. Both runs get node 0's CPUs (numactl --cpunodebind 0, no memory policy): the watchdog then
# lives on node 0 as a pod's cpuset or the scheduler may place it, deterministically, and the
# function's memory is still bound to node 1 by fprocess. Note: healthcheck_interval must not be 0:
# of-watchdog 0.11.6 waits on time.Tick(0), a nil channel, and never exits after SIGTERM.
# Waits (at most 40 s) for /_/ready through the watchdog, which asks the server.
start_watchdog() {
    local i
    rm -f /tmp/wd.pid /tmp/.lock
    (env fprocess="numactl --membind 1 /srv/server" mode=http upstream_url=http://127.0.0.1:8082 \
        port=$SEED_PORT ready_path=/_/ready prefix_logs=false read_timeout=120s write_timeout=125s \
        exec_timeout=120s healthcheck_interval=1s NUMA_WATCHDOG_BIND="$1" \
        numactl --cpunodebind 0 "$ENTRYPOINT" >> /tmp/watchdog.log 2>&1 &
     echo $! > /tmp/wd.pid)
    WPID=$(cat /tmp/wd.pid)
    for i in $(seq 1 400); do
        if curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$SEED_PORT/_/ready" 2>/dev/null; then return 0; fi
        kill -0 "$WPID" 2>/dev/null || break
        sleep 0.1
    done
    info "the watchdog (pid $WPID) did not become ready; its log:"
    tail -n 20 /tmp/watchdog.log | sed 's/^/VM-INFO   /'
    return 1
}

# gone PID: the process has exited (or is a zombie waiting for PID 1 to reap it).
gone() { [ ! -e "/proc/$1" ] || [ "$(status_of "$1" State)" = Z ]; }

# stop_watchdog [SERVER_PID]: SIGTERM to the watchdog (it forwards it to the server), at most 15 s
# for both to exit (WD_CLEAN=1 if they did), then SIGKILL.
stop_watchdog() {
    local i p
    WD_CLEAN=0
    [ -n "${WPID:-}" ] || return 0
    kill -TERM "$WPID" 2>/dev/null || true
    for i in $(seq 1 150); do
        if gone "$WPID" && { [ -z "${1:-}" ] || gone "$1"; }; then WD_CLEAN=1; break; fi
        sleep 0.1
    done
    for p in "$WPID" ${1:-}; do
        if ! gone "$p"; then
            info "pid $p did not exit within 15 s of SIGTERM, killing it"
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    WPID=""
}

# case_seed unbound|bound
case_seed() {
    local mode=$1 bind="" used0 used1 wd_anon wpid="" spid="" wd_ppid="" s_ppid="" wd_policy="" s_policy="" wd_cpus=""
    [ "$mode" = bound ] && bind="--membind 1"
    begin_case "seed-watchdog-$mode"
    used0=$(node_used)
    if start_watchdog "$bind"; then
        wpid=$WPID
        wd_ppid=$(status_of "$WPID" PPid)
        spid=$(child_named "$WPID" server)
        wd_policy=$(policy_of "$WPID")
        wd_cpus=$(status_of "$WPID" Cpus_allowed_list)
        [ -z "$spid" ] || { s_ppid=$(status_of "$spid" PPid); s_policy=$(policy_of "$spid"); }
        expect "the watchdog is PID 1's child (PPid $wd_ppid)" test "$wd_ppid" = 1
        expect "the server (pid ${spid:-none}) is the watchdog's child" test -n "$spid"
        CODE=$(curl -sS -m 150 -o "$BODY" -w '%{http_code}' "http://127.0.0.1:$SEED_PORT/?$SEED_QUERY" \
            2>/tmp/curl.err) || CODE=000
        expect "HTTP 200 through the watchdog's port $SEED_PORT (got $CODE)" code_is 200
        wd_anon=$(anon_pages "$WPID" 2>/dev/null) || wd_anon="0 0 0"
        used1=$(node_used)
        local facts
        facts=$(printf '{"watchdog_pid":%d,"watchdog_ppid":%d,"watchdog_policy":"%s","watchdog_cpus":"%s","watchdog_anon_pages":[%s],'`
            `'"server_pid":%d,"server_ppid":%d,"server_policy":"%s","used_before_watchdog":[%s],"used_after_call":[%s]}' \
            "$WPID" "${wd_ppid:-0}" "$wd_policy" "$wd_cpus" "${wd_anon// /,}" "${spid:-0}" "${s_ppid:-0}" "$s_policy" \
            "${used0// /,}" "${used1// /,}")
        if jq -c --argjson guest "$facts" '{bytes, total_s: .timings.total_s, placement: (.placement | {pages, per_node, source}),
                process: (.process | {pid, policy, policy_nodes}), attribution, diagnosis, guest: $guest}' \
                "$BODY" > /tmp/seed.line 2>/dev/null; then
            echo "VM-SEED $mode $(cat /tmp/seed.line)"
        else
            ERRS+="${ERRS:+; }the answer is not JSON"
        fi
        stop_watchdog "$spid"
        expect "the watchdog and the server exited within 15 s of SIGTERM" is_true "$WD_CLEAN"
    else
        ERRS="the watchdog did not start"
        stop_watchdog
    fi
    end_case "watchdog ${wpid:-?} policy ${wd_policy:-?} (PPid ${wd_ppid:-?}), server ${spid:-?} policy ${s_policy:-?}, HTTP $CODE"
}
