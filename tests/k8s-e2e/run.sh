#!/usr/bin/env bash
# tests/k8s-e2e/run.sh: test-numa-function on a real single-node Kubernetes on this machine (make k8s-e2e).
# Builds the cluster's programs (build.sh; cached), makes its keys (pki.sh), starts etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler (control.sh), a second containerd and the kubelet (node.sh),
# all on 127.0.0.1, then the scenarios (scenarios-base.sh, scenarios-patch.sh), and tears everything down
# by recorded PID on success, failure or Ctrl-C (teardown.sh). Ends with the figures, the in-pod
# capability and seccomp lines of each patch mode, and "k8s-e2e: N passed, N failed".
# Environment: K8S_OUT (default build/k8s-e2e), K8S_E2E_PORT_{ETCD,API,KUBELET,CM} (loopback ports).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/k8s-e2e
K8S_OUT=${K8S_OUT:-$ROOT/build/k8s-e2e}
mkdir -p "$K8S_OUT"
K8S_OUT=$(cd "$K8S_OUT" && pwd)
. "$ROOT/tests/lib.sh"
for f in lib control node teardown checks scenarios-base scenarios-patch; do
    # shellcheck disable=SC1090
    . "$HERE/$f.sh"
done
T_START=$(now)
LINES_UNPATCHED=""

section "the cluster's programs (tests/k8s-e2e/build.sh)"
[ "$(id -u)" = 0 ] || { fail "k8s-e2e runs as root (containerd, the kubelet, mount namespaces)"; exit 1; }
if ! timeout 2400 "$HERE/build.sh" "$K8S_OUT" >"$K8S_OUT/build.log" 2>&1; then
    tail -n 30 "$K8S_OUT/build.log"; fail "build.sh: the cluster's programs"; exit 1
fi
cat "$K8S_OUT/build.log"
note "$("$BIN/kubectl" version --client 2>/dev/null | head -n 1), $("$BIN/etcd" --version | head -n 1)"

# A run still alive (its PIDs recorded) is refused; otherwise the last run's folder is replaced.
for f in "$RUN"/pids/*; do
    if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
        fail "another k8s-e2e run is alive ($(basename "$f") pid $(cat "$f"))"; exit 1
    fi
done
if grep -qF "$RUN" /proc/self/mountinfo; then fail "mounts left under $RUN by an earlier run"; exit 1; fi
for p in $PORT_ETCD $PORT_ETCD_PEER $PORT_API $PORT_KUBELET $PORT_KUBELET_HEALTHZ $PORT_CM $PORT_SCHED; do
    port_free "$p" || { fail "port 127.0.0.1:$p is free (set K8S_E2E_PORT_*)"; exit 1; }
done
NODE=$(hostname | tr 'A-Z' 'a-z')
[ "$(getent ahostsv4 "$NODE" | awk 'NR == 1 { print $1 }')" = 127.0.0.1 ] || NODE=localhost
rm -rf "$RUN"
mkdir -p "$RUN" "$PIDS" "$LOGS"
outside_before

report() {
    echo "== figures"
    [ -f "$BIN/.built" ] && echo "   cluster programs: $(cat "$BIN/.built")"
    figures
    echo "   suite wall time: $(since "$T_START") s"
    echo "== in-pod /proc/1/status (the watchdog, uid 1000) per mode"
    [ -z "$LINES_UNPATCHED" ] || echo "   unpatched (seccompDefault false): $LINES_UNPATCHED"
    printf '%s' "$PATCH_LINES"
}
on_exit() {
    rc=$?
    trap - EXIT INT TERM
    unforward
    [ "$rc" = 0 ] || [ "$FAILED" != 0 ] || fail "the suite stopped early (exit $rc)"
    [ "$FAILED" = 0 ] || log_tails 10
    teardown
    report
    summary k8s-e2e || true
    [ "$FAILED" = 0 ] || exit 1
    exit 0
}
trap on_exit EXIT
trap 'exit 130' INT TERM

section "the cluster on 127.0.0.1 (node $NODE)"
"$HERE/pki.sh" "$PKI" "$NODE" "$PORT_API" || { fail "pki.sh: keys and kubeconfigs"; exit 1; }
T_CLUSTER=$(now)
control_up || exit 1
node_up || exit 1
kubelet_start false || exit 1
figure "cluster start to node Ready: $(since "$T_CLUSTER") s"

scenario_image || exit 1
scenario_deploy || exit 1
scenario_seccomp_default
scenario_patches
