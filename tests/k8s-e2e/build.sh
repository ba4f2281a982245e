#!/bin/sh
# tests/k8s-e2e/build.sh OUT: builds the single-node cluster's programs from their Go modules into OUT/bin:
# kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kubectl (k8s.io/kubernetes), etcd
# (go.etcd.io/etcd/server/v3) and the CNI plugins loopback and host-local (containernetworking/plugins).
# k8s.io/kubernetes cannot be `go install`ed (its go.mod points the staging modules at ./staging), so a
# scratch module requires it and replaces every staging module by its published v0.MINOR.PATCH.
# The module cache and GOCACHE stay where Go keeps them, so a second build takes seconds. OUT/bin/.stamp
# names the versions; a matching stamp skips the build. OUT/bin/.built says how long the build took.
set -eu
K8S_VERSION=${K8S_VERSION:-v1.35.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.8}
CNI_VERSION=${CNI_VERSION:-v1.9.1}
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
GO=${GO:-/usr/local/go/bin/go}
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
stamp="k8s $K8S_VERSION etcd $ETCD_VERSION cni $CNI_VERSION"
if [ -f "$OUT/bin/.stamp" ] && [ "$(cat "$OUT/bin/.stamp")" = "$stamp" ]; then
    echo "k8s-e2e build: cached ($stamp)"
    exit 0
fi
mkdir -p "$OUT/bin" "$OUT/mod"
start=$(date +%s)

# Kubernetes: a scratch module pinning the staging modules.
m=$OUT/mod/kubernetes
rm -rf "$m" && mkdir -p "$m"
gomod=$(cd "$m" && "$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
[ -f "$gomod" ] || { echo "k8s-e2e build: no go.mod for k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
staging_v=v0.${K8S_VERSION#v1.}
{
    echo "module cdn.local/k8s-e2e-cluster"
    grep -E '^(go|godebug) ' "$gomod"
    echo "require k8s.io/kubernetes $K8S_VERSION"
    sed -n 's|^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*$|\1|p' "$gomod" | sort -u |
        while read -r mod; do echo "replace $mod => $mod $staging_v"; done
} >"$m/go.mod"
cat >"$m/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ld=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done
(cd "$m" && "$GO" mod tidy -e >/dev/null 2>&1 || true
 cd "$m" && "$GO" build -trimpath -tags selinux,notest,tools -ldflags "-s -w$ld" -o "$OUT/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl)

# etcd and the CNI plugins: plain modules.
for spec in "etcd go.etcd.io/etcd/server/v3@$ETCD_VERSION go.etcd.io/etcd/server/v3" \
            "cni github.com/containernetworking/plugins@$CNI_VERSION github.com/containernetworking/plugins/plugins/main/loopback github.com/containernetworking/plugins/plugins/ipam/host-local"; do
    set -- $spec
    d=$OUT/mod/$1 mod=$2; shift 2
    rm -rf "$d" && mkdir -p "$d"
    (cd "$d" && "$GO" mod init "cdn.local/k8s-e2e-$(basename "$d")" >/dev/null 2>&1 &&
        { "$GO" get "$mod" >"$d/get.log" 2>&1 || { cat "$d/get.log" >&2; false; }; } && "$GO" build -trimpath -ldflags "-s -w" -o "$OUT/bin/" "$@")
done
[ -x "$OUT/bin/server" ] && mv "$OUT/bin/server" "$OUT/bin/etcd"
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl etcd loopback host-local; do
    [ -x "$OUT/bin/$b" ] || { echo "k8s-e2e build: $b was not built" >&2; exit 1; }
done
echo "$stamp" >"$OUT/bin/.stamp"
took=$(( $(date +%s) - start ))
echo "$stamp built in $took s on $(date -u +%Y-%m-%dT%H:%MZ)" >"$OUT/bin/.built"
echo "k8s-e2e build: $stamp in $took s"
