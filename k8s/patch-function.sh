#!/bin/sh
# patch-function.sh: gives an OpenFaaS function's Deployment what NUMA binding needs, which faas-netes
# (OpenFaaS CE) cannot set: CAP_SYS_NICE (or privileged), the node in fprocess, a NUMA-capable node.
#   k8s/patch-function.sh NAME --node N [--cpunodebind M] [--privileged] [--bind-watchdog]
#                         [--node-selector] [--namespace NS] [--dry-run | --file DEPLOYMENT.yaml]
#   --node N          memory node(s) for `numactl --membind` (e.g. 1, or 0,1)
#   --cpunodebind M   also run on node M's CPUs
#   --privileged      privileged.yaml instead of least-privilege.yaml (CAP_SYS_NICE only)
#   --bind-watchdog   bind the watchdog's memory too (NUMA_WATCHDOG_BIND)
#   --node-selector   node-selector.yaml: only nodes labelled feature.node.kubernetes.io/memory-numa=true
#   --namespace NS    default openfaas-fn
#   --dry-run         print the patches and the kubectl commands, change nothing
#   --file F          apply the patches to a Deployment manifest offline (kubectl patch --local) and print
#                     the result as YAML
# A later `faas-cli deploy` of the function may undo these changes: run this again after each deploy.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
KUBECTL=${KUBECTL:-kubectl}

usage() {
    sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
die() {
    echo "patch-function: $*" >&2
    exit 2
}

name="" node="" cpunode="" privileged=0 bindwd=0 selector=0 ns=openfaas-fn dryrun=0 file=""
while [ $# -gt 0 ]; do
    case "$1" in
    --node) [ $# -ge 2 ] || usage; node=$2; shift 2 ;;
    --cpunodebind) [ $# -ge 2 ] || usage; cpunode=$2; shift 2 ;;
    --namespace | -n) [ $# -ge 2 ] || usage; ns=$2; shift 2 ;;
    --file) [ $# -ge 2 ] || usage; file=$2; shift 2 ;;
    --privileged) privileged=1; shift ;;
    --bind-watchdog) bindwd=1; shift ;;
    --node-selector) selector=1; shift ;;
    --dry-run) dryrun=1; shift ;;
    -h | --help) usage ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$name" ] || die "one function name only"; name=$1; shift ;;
    esac
done
[ -n "$name" ] || usage
[ -n "$node" ] || die "--node N is required"
printf '%s' "$name" | grep -Eq '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' || die "invalid function name: $name"
printf '%s' "$ns" | grep -Eq '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' || die "invalid namespace: $ns"
nodes_ok() { printf '%s' "$1" | grep -Eq '^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$'; }
nodes_ok "$node" || die "invalid --node: $node (a node number or list, e.g. 1 or 0,1)"
[ -z "$cpunode" ] || nodes_ok "$cpunode" || die "invalid --cpunodebind: $cpunode"
[ -z "$file" ] || [ -r "$file" ] || die "cannot read $file"

fprocess="numactl --membind $node /home/app/server"
[ -z "$cpunode" ] || fprocess="numactl --membind $node --cpunodebind $cpunode /home/app/server"
wdbind=""
[ "$bindwd" = 0 ] || wdbind="--membind $node"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
patches=""
render() { # render SRC: the patch with its placeholders filled, comments dropped
    out="$tmp/$(basename "$1")"
    sed -e '/^#/d' -e "s|FUNCTION_NAME|$name|" -e "s|value: FPROCESS|value: \"$fprocess\"|" \
        -e "s|value: WATCHDOG_BIND|value: \"$wdbind\"|" "$1" >"$out"
    patches="$patches $out"
}
if [ "$privileged" = 1 ]; then render "$HERE/privileged.yaml"; else render "$HERE/least-privilege.yaml"; fi
render "$HERE/node.yaml"
[ "$selector" = 0 ] || render "$HERE/node-selector.yaml"

if [ -n "$file" ]; then
    cp "$file" "$tmp/current.yaml"
    for p in $patches; do
        "$KUBECTL" patch --local --dry-run=client -o yaml -f "$tmp/current.yaml" --type strategic \
            --patch-file "$p" >"$tmp/next.yaml"
        mv "$tmp/next.yaml" "$tmp/current.yaml"
    done
    cat "$tmp/current.yaml"
    exit 0
fi

for p in $patches; do
    if [ "$dryrun" = 1 ]; then
        echo "# $(basename "$p")"
        cat "$p"
        echo "$KUBECTL -n $ns patch deployment $name --type strategic --patch-file $(basename "$p")"
    else
        "$KUBECTL" -n "$ns" patch deployment "$name" --type strategic --patch-file "$p"
    fi
done
[ "$dryrun" = 1 ] || "$KUBECTL" -n "$ns" rollout status deployment "$name" --timeout=180s
