# tests/k8s-e2e/checks.sh: how the suite looks at the function in the cluster, sourced by run.sh (lib.sh
# loaded): the Deployment's current pod, a request through a fresh `kubectl port-forward` on 127.0.0.1 for
# each call (retried once when the forward broke), and one `kubectl exec` that reports what the container
# really got: capabilities, seccomp mode, user, root and /tmp writability, fprocess, the running server's
# command line and memory policy (from its numa_maps), the watchdog's policy.

fn_pod() { # the Deployment's pod that is ready and not being deleted (newest first)
    kn get pods -l "faas_function=$FN" -o json | jq -r '[.items[] | select(.metadata.deletionTimestamp == null)
        | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))]
        | sort_by(.metadata.creationTimestamp) | last | .metadata.name // empty'
}
pod_json() { kn get pod "$1" -o json; }
describe_pods() { # what a failing rollout or pod needs explained: describe, events, daemon logs
    kn describe pods -l "faas_function=$FN" 2>&1 | tail -n 60
    kn get events --sort-by=.lastTimestamp 2>&1 | tail -n 20
    log_tails 15
}

# forward POD: kubectl port-forward on a port kubectl picks on 127.0.0.1; sets FWD_PID, FWD_PORT
forward() {
    FWD_PORT=""
    out=$RUN/forward.$$.out
    : >"$out"
    kubectl -n "$NS" port-forward --address 127.0.0.1 "pod/$1" :8080 >"$out" 2>&1 &
    FWD_PID=$!
    i=0
    while [ $i -lt 60 ] && [ -z "$FWD_PORT" ] && kill -0 "$FWD_PID" 2>/dev/null; do
        FWD_PORT=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) -> 8080.*/\1/p' "$out" | head -n 1)
        [ -n "$FWD_PORT" ] || sleep 0.5
        i=$((i + 1))
    done
    [ -n "$FWD_PORT" ] || { note "port-forward to $1 did not start: $(cat "$out")"; unforward; return 1; }
}
unforward() {
    [ -n "${FWD_PID:-}" ] || return 0
    kill "$FWD_PID" 2>/dev/null || true
    wait "$FWD_PID" 2>/dev/null || true
    FWD_PID=""
}
# pod_call POD QUERY [SECONDS]: POST /?QUERY through a fresh forward; sets STATUS and BODY ($RUN/body)
pod_call() {
    for try in 1 2; do
        STATUS=000
        if forward "$1"; then
            STATUS=$(curl -s -m "${3:-150}" -o "$RUN/body" -w '%{http_code}' -X POST \
                "http://127.0.0.1:$FWD_PORT/?$2") || STATUS=000
            unforward
        fi
        [ "$STATUS" = 000 ] || break
        note "call $1 ?$2: no answer (try $try)"
    done
    BODY=$(cat "$RUN/body" 2>/dev/null || true)
}
placed_on_node0() { # the answer's every touched page on node 0, exactly, under the bind policy
    jq_true '.process.policy == "bind" and .process.policy_nodes == [0] and .placement.exact == true
         and .placement.pages > 0 and .placement.not_present == 0
         and .placement.per_node == {"0": .placement.pages}'
}
# counted_and_sampled_by SOURCE: numa_maps counted the pages, a sample asked of SOURCE agrees
counted_and_sampled_by() {
    jq_true ".placement.source == \"numa_maps\" and .placement.cross_check.source == \"$1\"
             and .placement.cross_check.counting == \"sample\" and .placement.cross_check.agrees == true
             and .placement.cross_check.per_node == {\"0\": .placement.cross_check.pages}"
}

# inspect POD: key=value lines from inside the container, into $RUN/inspect and INSPECT
inspect() {
    # shellcheck disable=SC2016
    script='for k in CapEff CapBnd Seccomp; do echo "$k=$(sed -n "s/^$k:[[:space:]]*//p" /proc/1/status)"; done
echo "uid=$(id -u) gid=$(id -g)"
echo "rootfs=$(awk '\''$2 == "/" { split($4, o, ","); print o[1] }'\'' /proc/mounts)"
if e=$(touch /home/app/.rootfs-probe 2>&1); then echo "root_write=ok"; rm -f /home/app/.rootfs-probe
else echo "root_write=refused: ${e##*: }"; fi
if touch /tmp/.tmp-probe 2>/dev/null && rm -f /tmp/.tmp-probe; then echo tmp_write=ok; else echo tmp_write=refused; fi
echo "fprocess=$fprocess"
echo "NUMA_WATCHDOG_BIND=$NUMA_WATCHDOG_BIND"
args() { tr "\0" " " <"$1/cmdline" | sed "s/ \$//"; }
echo "pid1=$(args /proc/1) policy=$(awk "NR == 1 { print \$2 }" /proc/1/numa_maps)"
for p in /proc/[0-9]*; do
  c=$(args $p 2>/dev/null) || continue
  case "$c" in /home/app/server*) echo "server=${p#/proc/} cmdline=$c policy=$(awk "NR == 1 { print \$2 }" $p/numa_maps)";; esac
done'
    kn exec "$1" -c "$FN" -- sh -c "$script" >"$RUN/inspect" 2>&1 || true
    INSPECT=$(cat "$RUN/inspect")
}
field() { printf '%s\n' "$INSPECT" | sed -n "s/^$1=//p" | head -n 1; } # field KEY: from the last inspect
status_line() { printf '%s\n' "$INSPECT" | grep -E '^(CapEff|CapBnd|Seccomp)=' | tr '\n' ' '; }
