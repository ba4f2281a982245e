# tests/k8s-e2e/teardown.sh: what the cluster leaves outside its folder, and its removal, sourced by
# run.sh (lib.sh loaded). outside_before records which of the paths the kubelet and containerd write
# whatever their flags already exist; teardown (run.sh's EXIT trap, so also after a failure or Ctrl-C)
# deletes the pods, stops the node side first (kubelet, leftover CRI tasks, containerd, its shims), then
# the control plane, all by recorded PID, removes what the run created outside build/, and checks that no
# process, mount or cgroup is left.
# Only this cluster writes these (no other kubelet runs here); /var/run/netns and /run/containerd/s are
# shared with other runtimes, so only this run's own entries go there.
OUTSIDE="/var/lib/kubelet /var/lib/cni /var/log/containers /var/log/pods /etc/cni /opt/cni /etc/kubernetes"
CGROUP_NAMES="kubepods"

outside_before() {
    : >"$RUN/outside-before"
    for p in $OUTSIDE; do [ -e "$p" ] && echo "$p" >>"$RUN/outside-before"; done
    for c in /sys/fs/cgroup/*/; do
        for n in $CGROUP_NAMES; do [ -d "$c$n" ] && echo "$c$n" >>"$RUN/outside-before"; done
    done
    [ -d /var/run/netns ] && echo /var/run/netns >>"$RUN/outside-before"
    return 0
}
existed() { grep -Fxq "$1" "$RUN/outside-before" 2>/dev/null; }

node_ns_pids() { # PIDs of every process still in the node's mount namespace
    [ -s "$RUN/node-mnt-ns" ] || return 0
    ns=$(cat "$RUN/node-mnt-ns")
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
    done
    return 0
}
shim_pids() { # the shims of this run's containerd: their command line names its socket
    for p in /proc/[0-9]*; do
        { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q "containerd-shim.* -address $SOCK " && echo "${p#/proc/}"
    done
    return 0
}
kill_pids() { # kill_pids SIGNAL PID...: ignores the ones already gone
    s=$1; shift
    for p in "$@"; do kill "-$s" "$p" 2>/dev/null || true; done
}

teardown_pods() {
    alive kube-apiserver || return 0
    k delete deployment --all -n "$NS" --wait=false >/dev/null 2>&1 || true
    if alive kubelet; then
        k delete pods --all -n "$NS" --grace-period=5 --timeout=60s >/dev/null 2>&1 ||
            note "pods not deleted within 60 s"
    fi
}

teardown_node() {
    kubelet_stop
    if alive containerd; then
        for t in $(ctr_ tasks ls -q 2>/dev/null); do
            ctr_ tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
        done
        sleep 1
        for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$t" >/dev/null 2>&1 || true; done
    fi
    stop_daemon containerd 30
    shims=$(shim_pids)
    if [ -n "$shims" ]; then
        # shellcheck disable=SC2086
        kill_pids TERM $shims; sleep 2
        # shellcheck disable=SC2086
        kill_pids KILL $(shim_pids)
    fi
    left=$(node_ns_pids)
    if [ -n "$left" ]; then
        note "still in the node's mount namespace: $(for p in $left; do { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-80; echo; done)"
        # shellcheck disable=SC2086
        kill_pids KILL $left; sleep 1
    fi
}

teardown_outside() { # what this run created outside build/; names it in REMOVED
    REMOVED=""
    for c in /sys/fs/cgroup/*/; do
        for n in $CGROUP_NAMES; do
            [ -d "$c$n" ] && ! existed "$c$n" || continue
            REMOVED="$REMOVED $c$n"
            i=0
            while [ -d "$c$n" ] && [ $i -lt 20 ]; do
                find "$c$n" -depth -type d -exec rmdir {} + 2>/dev/null || sleep 0.5
                i=$((i + 1))
            done
        done
    done
    # A killed shim leaves its socket: /run/containerd/s/<sha256 of "ADDRESS/NAMESPACE/ID">, containerd
    # 1.6's name for it, where ID is each sandbox and container this containerd made (from its log).
    for id in $(sed -n 's/.*returns \(sandbox\|container\) id \\"\([0-9a-f]*\)\\".*/\2/p' "$LOGS/containerd.log" 2>/dev/null); do
        e=/run/containerd/s/$(printf '%s' "$SOCK/k8s.io/$id" | sha256sum | cut -d' ' -f1)
        if [ -e "$e" ]; then rm -f "$e"; REMOVED="$REMOVED $e"; fi
    done
    # containerd's CRI names its network namespaces cni-<uuid> and records them in its metadata
    for e in /var/run/netns/cni-*; do
        if [ -e "$e" ] && grep -aqF "${e#/var/run/netns/}" "$LOGS/containerd.log" "$LOGS/kubelet.log" \
            "$RUN/containerd/root/io.containerd.metadata.v1.bolt/meta.db" 2>/dev/null; then
            rm -f "$e"; REMOVED="$REMOVED $e"
        fi
    done
    if ! existed /var/run/netns && [ -d /var/run/netns ] && rmdir /var/run/netns 2>/dev/null; then
        REMOVED="$REMOVED /var/run/netns"
    fi
    for p in $OUTSIDE; do
        if [ -e "$p" ] && ! existed "$p"; then rm -rf "$p"; REMOVED="$REMOVED $p"; fi
    done
    # where /var/log/containers was there before, only the kubelet's links into this run's logs go
    for e in /var/log/containers/*.log; do
        case "$(readlink "$e" 2>/dev/null)" in "$RUN"/*) rm -f "$e"; REMOVED="$REMOVED $e" ;; esac
    done
    note "there before the run, left as they were: $(grep -v '^/sys/' "$RUN/outside-before" | tr '\n' ' ')$(grep -c '^/sys/' "$RUN/outside-before") cgroups"
    note "removed (absent before the run):${REMOVED:- nothing}"
}

teardown_check() { # prints what is left; 1 when anything is
    bad=0
    for f in "$PIDS"/*; do
        [ -f "$f" ] || continue
        if kill -0 "$(cat "$f")" 2>/dev/null; then echo "left: process $(basename "$f") pid $(cat "$f")"; bad=1; fi
    done
    for p in $(node_ns_pids) $(shim_pids); do echo "left: process $p in the node's namespace"; bad=1; done
    if grep -F "$RUN" /proc/self/mountinfo; then echo "left: mounts under $RUN"; bad=1; fi
    for c in /sys/fs/cgroup/*/; do
        for n in $CGROUP_NAMES; do
            if [ -d "$c$n" ] && ! existed "$c$n"; then echo "left: cgroup $c$n"; bad=1; fi
        done
    done
    for p in $OUTSIDE; do if [ -e "$p" ] && ! existed "$p"; then echo "left: $p"; bad=1; fi; done
    return $bad
}

teardown() {
    section "tear-down"
    teardown_pods
    teardown_node
    for d in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_daemon "$d" 30; done
    teardown_outside
    if teardown_check; then
        ok "tear-down: no recorded PID alive, no shim, no process in the node's mount namespace (its mounts went with it), no mount under $RUN, no kubepods cgroup, nothing new outside build/"
    else fail "tear-down left the above behind"; fi
    rm -rf "$RUN/containerd/root" "$RUN/etcd" "$RUN/kubelet" "$RUN/kube-cache"
}
