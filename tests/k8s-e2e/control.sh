# tests/k8s-e2e/control.sh: the control plane of the single-node cluster, sourced by run.sh (lib.sh
# loaded): etcd, kube-apiserver, kube-controller-manager and kube-scheduler, each on 127.0.0.1 only, each
# started by start_daemon (PID recorded; teardown.sh stops them). control_up returns 1 when one of them
# does not become healthy within its bound.

api_ready() {
    curl -sf -m 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
        "https://127.0.0.1:$PORT_API/readyz" >/dev/null
}
healthz() { curl -skf -m 5 "https://127.0.0.1:$1/healthz" >/dev/null; }

control_up() {
    start_daemon etcd "$BIN/etcd" --name cdn-k8s-e2e --data-dir "$RUN/etcd" \
        --listen-client-urls "http://127.0.0.1:$PORT_ETCD" --advertise-client-urls "http://127.0.0.1:$PORT_ETCD" \
        --listen-peer-urls "http://127.0.0.1:$PORT_ETCD_PEER" \
        --initial-advertise-peer-urls "http://127.0.0.1:$PORT_ETCD_PEER" \
        --initial-cluster "cdn-k8s-e2e=http://127.0.0.1:$PORT_ETCD_PEER" --unsafe-no-fsync
    wait_for 60 curl -sf -m 2 "http://127.0.0.1:$PORT_ETCD/health" || { fail "etcd healthy within 60 s"; return 1; }
    figure "etcd healthy: $(since "$T_CLUSTER") s after start"

    start_daemon kube-apiserver "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$PORT_ETCD" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$PORT_API" \
        --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
        --client-ca-file "$PKI/ca.crt" \
        --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
        --service-account-issuer https://kubernetes.default.svc \
        --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
        --kubelet-client-key "$PKI/apiserver-kubelet-client.key" --kubelet-certificate-authority "$PKI/ca.crt" \
        --kubelet-preferred-address-types Hostname \
        --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged=true \
        --endpoint-reconciler-type none --service-cluster-ip-range 10.96.0.0/24 --profiling=false
    wait_for 120 api_ready || { fail "kube-apiserver ready within 120 s"; return 1; }
    figure "kube-apiserver ready: $(since "$T_CLUSTER") s after start"

    for c in controller-manager scheduler; do
        port=$PORT_CM; [ $c = scheduler ] && port=$PORT_SCHED
        extra=""
        [ $c = controller-manager ] && extra="--service-account-private-key-file $PKI/sa.key --root-ca-file $PKI/ca.crt --use-service-account-credentials=true"
        # shellcheck disable=SC2086
        start_daemon "kube-$c" "$BIN/kube-$c" --kubeconfig "$PKI/$c.kubeconfig" \
            --authentication-kubeconfig "$PKI/$c.kubeconfig" --authorization-kubeconfig "$PKI/$c.kubeconfig" \
            --leader-elect=false --bind-address 127.0.0.1 --secure-port "$port" $extra
    done
    wait_for 60 healthz "$PORT_CM" || { fail "kube-controller-manager healthy within 60 s"; return 1; }
    wait_for 60 healthz "$PORT_SCHED" || { fail "kube-scheduler healthy within 60 s"; return 1; }
    ok "control plane on 127.0.0.1: etcd :$PORT_ETCD, kube-apiserver :$PORT_API, controller-manager :$PORT_CM, scheduler :$PORT_SCHED"
}
