# tests/k8s-e2e/node.sh: the node side of the single-node cluster, sourced by run.sh (lib.sh loaded): a
# second containerd (Debian's, with its own config, root, state, socket and runc root; Docker's is never
# touched) in a private mount namespace (node-ns.sh), the CNI plugins (loopback, host-local, cni-inpod),
# the static pause image imported as the sandbox image, and the kubelet, started and restarted with one
# of two seccomp defaults. Images go in with `ctr images import`, retried and checked.

node_config() { # the containerd configuration and the CNI network, in $RUN
    mkdir -p "$RUN/containerd/root" "$RUN/containerd/state" "$RUN/containerd/runc" "$RUN/containerd/opt" \
        "$RUN/cni/bin" "$RUN/cni/conf" "$RUN/cni/ipam" "$RUN/sysctl" "$RUN/pod-logs" "$RUN/kubelet"
    cp "$BIN/loopback" "$BIN/host-local" "$HERE/cni-inpod" "$RUN/cni/bin/"
    cat >"$RUN/containerd/config.toml" <<EOF
version = 2
root = "$RUN/containerd/root"
state = "$RUN/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$SOCK"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$RUN/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$RUN/containerd/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$RUN/cni/bin"
    conf_dir = "$RUN/cni/conf"
EOF
    cat >"$RUN/cni/conf/10-cdn-k8s-e2e.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "cdn-k8s-e2e",
 "plugins": [{"type": "cni-inpod",
              "ipam": {"type": "host-local", "dataDir": "$RUN/cni/ipam",
                       "ranges": [[{"subnet": "10.244.0.0/24"}]]}}]}
EOF
    echo "nameserver 127.0.0.1" >"$RUN/resolv.conf"
}

ctr_() { timeout 300 ctr -a "$SOCK" -n k8s.io "$@"; }
image_present() { ctr_ images ls -q | grep -Fxq "$1"; }
# import_image NAME TAR: ctr images import, up to 3 tries, then the image must be listed
import_image() {
    for try in 1 2 3; do
        if ctr_ images import "$2" >"$LOGS/import.log" 2>&1 && image_present "$1"; then return 0; fi
        note "ctr images import $1: try $try failed: $(tail -n 2 "$LOGS/import.log" | tr '\n' ' ')"
        sleep 2
    done
    return 1
}

pause_image() { # the static pause program in a FROM scratch image, saved to $RUN/pause.tar
    mkdir -p "$RUN/pause"
    cp "$HERE/pause/Dockerfile" "$RUN/pause/"
    gcc -std=c11 -Wall -Wextra -Werror -O2 -static -o "$RUN/pause/pause" "$HERE/pause/pause.c" &&
        docker build -q -t "$PAUSE_IMAGE" "$RUN/pause" >"$LOGS/pause-build.log" 2>&1 &&
        docker save -o "$RUN/pause.tar" "$PAUSE_IMAGE"
}

node_up() {
    node_config
    start_daemon containerd unshare --mount --propagation private -- \
        sh "$HERE/node-ns.sh" "$RUN/sysctl" containerd --config "$RUN/containerd/config.toml"
    wait_for 60 ctr_ version || { fail "containerd answers on $SOCK within 60 s"; return 1; }
    NODE_MNT_NS=$(readlink "/proc/$(cat "$PIDS/containerd")/ns/mnt")
    echo "$NODE_MNT_NS" >"$RUN/node-mnt-ns"
    if [ "$NODE_MNT_NS" = "$(readlink /proc/self/ns/mnt)" ]; then
        fail "containerd runs in a mount namespace of its own"; return 1
    fi
    ok "containerd $(containerd --version | awk '{print $3}') in a private mount namespace ($NODE_MNT_NS), socket $SOCK"
    if pause_image && import_image "$PAUSE_IMAGE" "$RUN/pause.tar"; then
        ok "sandbox image $PAUSE_IMAGE (static pause, FROM scratch) imported into containerd"
    else fail "sandbox image $PAUSE_IMAGE built and imported"; return 1; fi
}

# node_ready_since EPOCH: the node is Ready by a heartbeat of a kubelet started at EPOCH or later
node_ready_since() {
    curl -sf -m 2 "http://127.0.0.1:$PORT_KUBELET_HEALTHZ/healthz" >/dev/null || return 1
    c=$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}')
    [ "${c%% *}" = True ] && [ "$(date -d "${c#* }" +%s)" -ge "$1" ]
}
# kubelet_start SECCOMP_DEFAULT (false|true): the kubelet in the node's mount namespace, waits for Ready
kubelet_start() {
    cfg=$RUN/kubelet-seccomp-$1.yaml
    cat >"$cfg" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $PORT_KUBELET
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $PORT_KUBELET_HEALTHZ
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
containerRuntimeEndpoint: unix://$SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
makeIPTablesUtilChains: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
seccompDefault: $1
podLogsDir: $RUN/pod-logs
resolvConf: $RUN/resolv.conf
nodeStatusUpdateFrequency: 4s
syncFrequency: 10s
maxPods: 20
serializeImagePulls: false
EOF
    t0=$(now) t0s=$(date +%s)
    start_daemon kubelet nsenter --mount="/proc/$(cat "$PIDS/containerd")/ns/mnt" -- \
        "$BIN/kubelet" --config "$cfg" --kubeconfig "$PKI/kubelet.kubeconfig" --root-dir "$RUN/kubelet" \
        --hostname-override "$NODE" --v 1
    if wait_for 120 node_ready_since "$t0s"; then
        ok "kubelet (seccompDefault: $1): node $NODE Ready"
        figure "kubelet start (seccompDefault: $1) to node Ready: $(since "$t0") s"
    else fail "kubelet (seccompDefault: $1): node $NODE Ready within 120 s"; return 1; fi
}
kubelet_stop() { stop_daemon kubelet 30; }
