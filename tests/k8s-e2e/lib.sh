# tests/k8s-e2e/lib.sh: the k8s-e2e suite's shared names and helpers, sourced by run.sh: where the cluster
# lives (BIN, RUN, PKI), its loopback ports, daemons started with setsid
# and stopped by their recorded PID, and bounded waits. Expects ROOT and K8S_OUT set.
BIN=$K8S_OUT/bin
RUN=$K8S_OUT/run
PKI=$RUN/pki
PIDS=$RUN/pids
LOGS=$RUN/logs
SOCK=$RUN/containerd/containerd.sock
FN=test-numa-function
NS=openfaas-fn
FN_IMAGE=cdn-k8s-e2e.local/$FN:latest
PAUSE_IMAGE=cdn-k8s-e2e.local/pause:3.10
PORT_ETCD=${K8S_E2E_PORT_ETCD:-23790}
PORT_ETCD_PEER=$((PORT_ETCD + 10))
PORT_API=${K8S_E2E_PORT_API:-26443}
PORT_KUBELET=${K8S_E2E_PORT_KUBELET:-20250}
PORT_KUBELET_HEALTHZ=$((PORT_KUBELET - 2))
PORT_CM=${K8S_E2E_PORT_CM:-20257}
PORT_SCHED=$((PORT_CM + 2))
export KUBECONFIG=$PKI/admin.kubeconfig KUBECACHEDIR=$RUN/kube-cache
export PATH=$BIN:$ROOT/build/openfaas:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

section() { echo "== $*"; }
note() { echo "     $*"; }

# start_daemon NAME COMMAND...: runs COMMAND in its own session (no terminal or group signal reaches it),
# output in $LOGS/NAME.log, PID in $PIDS/NAME. setsid execs in place, so the PID is the daemon's.
start_daemon() {
    name=$1; shift
    setsid "$@" </dev/null >"$LOGS/$name.log" 2>&1 &
    echo $! >"$PIDS/$name"
}
alive() { [ -f "$PIDS/$1" ] && kill -0 "$(cat "$PIDS/$1")" 2>/dev/null; }
# stop_daemon NAME [SECONDS]: SIGTERM to the recorded PID, SIGKILL after SECONDS (default 20); forgets it.
stop_daemon() {
    [ -f "$PIDS/$1" ] || return 0
    pid=$(cat "$PIDS/$1")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt $((${2:-20} * 10)) ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$pid" 2>/dev/null; then
            note "$1 (pid $pid) ignored SIGTERM for ${2:-20} s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    rm -f "$PIDS/$1"
}
# wait_for SECONDS COMMAND...: tests/lib.sh's wait_until, quiet and every 0.5 s (kubectl is not free).
wait_for() { local s=$1; shift; WAIT_POLL=0.5 wait_until "$s" quiet "$@"; }
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
k() { timeout 240 kubectl "$@"; } # every kubectl call bounded (rollout status has its own 180 s)
kn() { k -n "$NS" "$@"; }
log_tails() { # the last lines of each daemon's log, for a failure that must explain itself
    for f in "$LOGS"/*.log; do
        [ -f "$f" ] || continue
        echo "---- tail $(basename "$f")"
        tail -n "${1:-15}" "$f" | cut -c1-400
    done
}
