# tests/k8s-e2e/scenarios-patch.sh: k8s/patch-function.sh against the real API server, sourced by run.sh
# (lib.sh, node.sh, checks.sh loaded), on the kubelet with seccompDefault: true. Each mode in turn
# (least privilege, --privileged, --cpunodebind, --node-selector, --bind-watchdog): the rollout completes,
# the new pod's container is inspected from inside, and a request answers 200 with every page on node 0
# under the bind policy. Then the grace period (a pod deleted with an experiment in flight answers it and
# exits 0) and the memory limit (422, no OOM kill).
PATCH_LINES=""

# patch MODE EXPECT-SECCOMP EXPECT-SOURCE FPROCESS PATCH-ARGS...: one mode, checked; sets POD
patch() {
    mode=$1 want_seccomp=$2 want_source=$3 want_fprocess=$4; shift 4
    section "k8s/patch-function.sh $FN $*"
    t0=$(now)
    if KUBECTL=kubectl "$ROOT/k8s/patch-function.sh" "$FN" "$@" >"$LOGS/patch.log" 2>&1; then
        ok "$mode: patched, rollout complete ($(tail -n 1 "$LOGS/patch.log"))"
        figure "rollout of patch-function.sh $*: $(since "$t0") s"
    else fail "$mode: patch-function.sh $* and its rollout"; cat "$LOGS/patch.log"; describe_pods; return 1; fi
    POD=$(fn_pod)
    [ -n "$POD" ] || { fail "$mode: a ready pod after the rollout"; describe_pods; return 1; }
    inspect "$POD"
    line="$mode: $(status_line)uid=$(field uid | cut -d' ' -f1) rootfs=$(field rootfs)"
    PATCH_LINES="$PATCH_LINES   $line
"
    note "in the pod: $INSPECT" | tr '\n' ' '; echo
    expect "$mode: Seccomp $want_seccomp, user 1000, /tmp writable" \
        eval '[ "$(field Seccomp)" = "$want_seccomp" ] && [ "$(field uid)" = "1000 gid=1000" ] && [ "$(field tmp_write)" = ok ]'
    expect "$mode: read-only root (the root mount ro; writing the app's home refused: $(field root_write))" \
        eval '[ "$(field rootfs)" = ro ] && [ "$(field root_write)" = "refused: Read-only file system" ]'
    expect "$mode: fprocess '$want_fprocess', the server runs under its bind ($(field server | sed 's/^[0-9]* //'))" \
        eval '[ "$(field fprocess)" = "$want_fprocess" ] && field server | grep -q "cmdline=/home/app/server policy=bind:0$"'
    pod_call "$POD" "iterations=64"
    expect "$mode: POST /?iterations=64 through port-forward answers 200, every page on node 0, policy bind [0], counted by numa_maps, sampled by $want_source" \
        eval '[ "$STATUS" = 200 ] && placed_on_node0 && counted_and_sampled_by "$want_source"'
    [ "$STATUS" = 200 ] || note "HTTP $STATUS: $(printf '%s' "$BODY" | cut -c1-300)"
}

least_caps() { # CAP_SYS_NICE alone in the bounding set, nothing effective (uid 1000)
    [ "$(field CapBnd)" = 0000000000800000 ] && [ "$(field CapEff)" = 0000000000000000 ]
}
all_caps() { # the bounding set holds every capability this shell has
    host=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
    pod=$(field CapBnd)
    [ -n "$pod" ] && [ $((0x$pod & 0x$host)) = $((0x$host)) ]
}
WANT_FP="numactl --membind 0 /home/app/server"

scenario_patches() {
    patch "least privilege (--node 0)" 2 get_mempolicy "$WANT_FP" --node 0 &&
        expect "least privilege: CapBnd 0x800000 (SYS_NICE only), CapEff 0 (uid 1000)" least_caps
    patch "--privileged" 0 move_pages "$WANT_FP" --node 0 --privileged &&
        expect "--privileged: the bounding set holds every capability the host's root has ($(field CapBnd))" all_caps
    patch "--cpunodebind 0" 2 get_mempolicy "numactl --membind 0 --cpunodebind 0 /home/app/server" \
        --node 0 --cpunodebind 0 &&
        expect "--cpunodebind 0: back to least privilege, the server on node 0's CPUs" \
            eval 'least_caps && jq_true ".process.cpu_node == 0"'
    k label node "$NODE" feature.node.kubernetes.io/memory-numa=true --overwrite >/dev/null ||
        fail "label node $NODE feature.node.kubernetes.io/memory-numa=true"
    patch "--node-selector" 2 get_mempolicy "$WANT_FP" --node 0 --node-selector &&
        expect "--node-selector: the pod asks for memory-numa=true nodes and runs on $NODE" \
            eval '[ "$(pod_json "$POD" | jq -r ".spec.nodeSelector[\"feature.node.kubernetes.io/memory-numa\"] + \" \" + .spec.nodeName")" = "true $NODE" ]'
    patch "--bind-watchdog" 2 get_mempolicy "$WANT_FP" --node 0 --bind-watchdog &&
        expect "--bind-watchdog: NUMA_WATCHDOG_BIND '--membind 0', the watchdog (PID 1) bound too ($(field pid1))" \
            eval '[ "$(field NUMA_WATCHDOG_BIND)" = "--membind 0" ] && field pid1 | grep -q "^fwatchdog policy=bind:0$"'
    [ -n "${POD:-}" ] && scenario_grace "$POD"
    scenario_limit
}

restarts() { pod_json "$1" | jq -r '.status.containerStatuses[0] | "\(.restartCount) \(.lastState.terminated.reason // "none")"'; }
# scenario_limit: the stack's 3Gi (seen in the first answer) would need more free memory than a busy
# node may have, so the Deployment's limit is lowered to 384Mi; asking 640 MiB is then a 422 naming the
# limit, and no OOM kill follows.
scenario_limit() {
    section "the pod's memory limit: limits.memory 384Mi, an experiment of 640 MiB"
    if kn set resources "deployment/$FN" -c "$FN" --limits=memory=384Mi --requests=memory=256Mi >/dev/null &&
        kn rollout status "deployment/$FN" --timeout=180s >"$LOGS/rollout.log" 2>&1; then
        ok "limits.memory 384Mi set, rollout complete"
    else fail "limits.memory 384Mi and its rollout"; describe_pods; return 1; fi
    lpod=$(fn_pod)
    before=$(restarts "$lpod")
    pod_call "$lpod" "chunk_mb=2&iterations=320"
    note "HTTP $STATUS: $(printf '%s' "$BODY" | cut -c1-300)"
    expect "640 MiB above the 384Mi limit: 422 naming the cgroup limit, 402653184 bytes" \
        eval '[ "$STATUS" = 422 ] && jq_true ".error | test(\"cgroup memory limit \") and test(\" = 402653184 bytes\")"'
    pod_call "$lpod" "chunk_mb=2&iterations=64"
    expect "128 MiB under the same limit: 200, the answer's cgroup limit 402653184" \
        eval '[ "$STATUS" = 200 ] && jq_true ".cgroup.limit == 402653184" && placed_on_node0'
    expect "no OOM kill: restarts and last termination unchanged ($before -> $(restarts "$lpod"))" \
        eval '[ "$(restarts "$lpod")" = "$before" ] && [ "${before#* }" != OOMKilled ]'
}

scenario_grace() { # scenario_grace POD: deleted with a 35 s experiment in flight
    section "terminationGracePeriodSeconds 135 (node.yaml): a pod deleted with an experiment in flight"
    cid=$(pod_json "$1" | jq -r '.status.containerStatuses[0].containerID | sub("^containerd://"; "")')
    grace=$(pod_json "$1" | jq -r '.spec.terminationGracePeriodSeconds')
    ctr -a "$SOCK" -n k8s.io events >"$RUN/events" 2>&1 &
    ev=$!
    forward "$1" || { fail "grace: port-forward"; kill "$ev"; return 1; }
    curl -s -m 150 -o "$RUN/grace-body" -w '%{http_code}' -X POST \
        "http://127.0.0.1:$FWD_PORT/?iterations=16&hold_ms=35000" >"$RUN/grace-status" 2>&1 &
    cpid=$!
    sleep 3
    t0=$(now)
    kn delete pod "$1" --wait=false >/dev/null
    wait "$cpid" || true
    note "answered $(since "$t0") s after the delete: HTTP $(cat "$RUN/grace-status")"
    unforward
    exited() { grep " /tasks/exit " "$RUN/events" | grep -q "\"id\":\"$cid\""; }
    wait_for 60 exited || true
    kill "$ev" 2>/dev/null || true
    wait "$ev" 2>/dev/null || true
    exit_line=$(grep " /tasks/exit " "$RUN/events" | grep "\"id\":\"$cid\"" | head -n 1 | sed 's/^.* \({.*}\)$/\1/')
    note "containerd: /tasks/exit $exit_line"
    BODY=$(cat "$RUN/grace-body" 2>/dev/null || true)
    expect "grace $grace s from the patch; the request in flight at the delete answers 200 after its 35 s hold" \
        eval '[ "$grace" = 135 ] && [ "$(cat "$RUN/grace-status")" = 200 ] && jq_true ".params.hold_ms == 35000"'
    expect "the container's task exits 0 (containerd's /tasks/exit; exit_status omitted means 0)" \
        eval '[ -n "$exit_line" ] && [ "$(printf "%s" "$exit_line" | jq ".exit_status // 0")" = 0 ]'
}
