#!/usr/bin/env bash
# tests/k8s/run.sh: applies every patch in k8s/ (and k8s/patch-function.sh) offline, with
# `kubectl patch --local --dry-run=client`, to a Deployment shaped like faas-netes', and checks the fields.
# It also prints the `docker run` flags equivalent to each resulting securityContext
# (tests/k8s/docker-flags.sh); with FLAGS_OUT set, it leaves them there for the image suite, which runs
# the function's image with each set for real and checks its memory lands on node 0
# (tests/image/containers.sh).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
. "$ROOT/tests/lib.sh"
FIX=$ROOT/tests/k8s/fixtures/deployment.yaml
PATCH=$ROOT/k8s/patch-function.sh
NAME=test-numa-function
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

check() { # check DESCRIPTION JSONFILE JQ-EXPR: the expression is true of the file
    if jq_files "$3" "$2"; then ok "$1"; else
        fail "$1"
        echo "     expected: $3" >&2
    fi
}
local_patch() { # local_patch PATCHFILE OUT: one k8s/ patch, placeholders filled, applied to the fixture
    sed -e "s|FUNCTION_NAME|$NAME|" -e 's|value: FPROCESS|value: "numactl --membind 1 /home/app/server"|' \
        -e 's|value: WATCHDOG_BIND|value: ""|' "$1" >"$tmp/p.yaml"
    timeout 60 kubectl patch --local --dry-run=client -o json -f "$FIX" --type strategic \
        --patch-file "$tmp/p.yaml" >"$2"
}
C='.spec.template.spec.containers[0]'
SC="$C.securityContext"

# Each patch file on its own.
local_patch "$ROOT/k8s/privileged.yaml" "$tmp/priv.json"
check "privileged.yaml: privileged" "$tmp/priv.json" "$SC.privileged == true"
check "privileged.yaml: allowPrivilegeEscalation no longer false (API refuses it with privileged)" \
    "$tmp/priv.json" "$SC.allowPrivilegeEscalation == true"
check "privileged.yaml: seccomp Unconfined (move_pages allowed)" "$tmp/priv.json" \
    "$SC.seccompProfile.type == \"Unconfined\""
check "privileged.yaml: one container, rest untouched" "$tmp/priv.json" \
    "(.spec.template.spec.containers|length) == 1 and $C.image == \"registry.example.com/test-numa-function:latest\" and $C.livenessProbe.httpGet.path == \"/_/health\""

local_patch "$ROOT/k8s/least-privilege.yaml" "$tmp/least.json"
check "least-privilege.yaml: adds SYS_NICE only" "$tmp/least.json" "$SC.capabilities.add == [\"SYS_NICE\"]"
check "least-privilege.yaml: drops ALL" "$tmp/least.json" "$SC.capabilities.drop == [\"ALL\"]"
check "least-privilege.yaml: not privileged, no escalation" "$tmp/least.json" \
    "$SC.privileged == false and $SC.allowPrivilegeEscalation == false"
check "least-privilege.yaml: runAsNonRoot with the image's uid/gid 1000" "$tmp/least.json" \
    "$SC.runAsNonRoot == true and $SC.runAsUser == 1000 and $SC.runAsGroup == 1000"
check "least-privilege.yaml: read-only root, emptyDir on /tmp" "$tmp/least.json" \
    "$SC.readOnlyRootFilesystem == true and ([$C.volumeMounts[] | select(.mountPath == \"/tmp\")] | length) == 1 and ([.spec.template.spec.volumes[] | select(.name == \"temp\" and .emptyDir != null)] | length) == 1"
check "least-privilege.yaml: RuntimeDefault seccomp" "$tmp/least.json" \
    "$SC.seccompProfile.type == \"RuntimeDefault\""

local_patch "$ROOT/k8s/node.yaml" "$tmp/node.json"
check "node.yaml: fprocess replaced in place, other env kept" "$tmp/node.json" \
    "([$C.env[] | select(.name == \"fprocess\")] | length) == 1 and ($C.env[] | select(.name == \"fprocess\") | .value) == \"numactl --membind 1 /home/app/server\" and ([$C.env[] | select(.name == \"exec_timeout\")] | length) == 1"
check "node.yaml: grace period covers healthcheck_interval + write_timeout" "$tmp/node.json" \
    ".spec.template.spec.terminationGracePeriodSeconds >= 127"

local_patch "$ROOT/k8s/node-selector.yaml" "$tmp/sel.json"
check "node-selector.yaml: NUMA-capable nodes" "$tmp/sel.json" \
    ".spec.template.spec.nodeSelector[\"feature.node.kubernetes.io/memory-numa\"] == \"true\""

# patch-function.sh, offline (--file). patch_function OUT ARGS...: its output in $tmp/OUT.yaml, and
# as JSON (through kubectl, as a cluster would read it) in $tmp/OUT.json.
patch_function() {
    local out=$1
    shift
    "$PATCH" "$@" >"$tmp/$out.yaml"
    timeout 60 kubectl patch --local --dry-run=client -o json -f "$tmp/$out.yaml" -p '{}' >"$tmp/$out.json"
}
patch_function s1 $NAME --node 1 --file "$FIX"
check "patch-function.sh --node 1: least privilege by default" "$tmp/s1.json" \
    "$SC.capabilities.add == [\"SYS_NICE\"] and ($SC.privileged // false) == false"
check "patch-function.sh --node 1: fprocess binds node 1" "$tmp/s1.json" \
    "($C.env[] | select(.name == \"fprocess\") | .value) == \"numactl --membind 1 /home/app/server\""
check "patch-function.sh: watchdog not bound by default, no nodeSelector" "$tmp/s1.json" \
    "($C.env[] | select(.name == \"NUMA_WATCHDOG_BIND\") | .value) == \"\" and .spec.template.spec.nodeSelector == null"

patch_function s2 $NAME --node 0 --cpunodebind 1 --privileged --bind-watchdog --node-selector --file "$FIX"
check "patch-function.sh --privileged: privileged, no capability list" "$tmp/s2.json" \
    "$SC.privileged == true and $SC.capabilities == null and $SC.allowPrivilegeEscalation == true"
check "patch-function.sh --cpunodebind 1: fprocess" "$tmp/s2.json" \
    "($C.env[] | select(.name == \"fprocess\") | .value) == \"numactl --membind 0 --cpunodebind 1 /home/app/server\""
check "patch-function.sh --bind-watchdog: NUMA_WATCHDOG_BIND" "$tmp/s2.json" \
    "($C.env[] | select(.name == \"NUMA_WATCHDOG_BIND\") | .value) == \"--membind 0\""
check "patch-function.sh --node-selector" "$tmp/s2.json" \
    ".spec.template.spec.nodeSelector[\"feature.node.kubernetes.io/memory-numa\"] == \"true\""

# Switching an already privileged Deployment back to least privilege.
patch_function s3 $NAME --node 1 --file "$tmp/s2.yaml"
check "privileged -> least privilege: privileged false, SYS_NICE only, RuntimeDefault" "$tmp/s3.json" \
    "$SC.privileged == false and $SC.capabilities.add == [\"SYS_NICE\"] and $SC.seccompProfile.type == \"RuntimeDefault\" and $SC.allowPrivilegeEscalation == false"

# --dry-run prints the commands for the namespace and touches nothing (no cluster here).
out=$(KUBECTL=false "$PATCH" $NAME --node 1 --namespace team-fn --dry-run)
if printf '%s\n' "$out" | grep -q '^false -n team-fn patch deployment test-numa-function --type strategic' &&
    printf '%s\n' "$out" | grep -q 'value: "numactl --membind 1 /home/app/server"'; then
    ok "patch-function.sh --dry-run: prints patches and commands for the namespace"
else fail "patch-function.sh --dry-run: prints patches and commands for the namespace"; fi

# Refusals.
for bad in "" "Bad_Name --node 0" "$NAME" "$NAME --node x" "$NAME --node 0 --cpunodebind a" \
    "$NAME --node 0 --namespace Bad_NS" "$NAME --node 0 --bogus"; do
    # shellcheck disable=SC2086
    if "$PATCH" $bad --dry-run >/dev/null 2>&1; then fail "patch-function.sh refuses: '$bad'"; else
        ok "patch-function.sh refuses: '$bad'"; fi
done

# The docker run equivalents of the two securityContexts (run for real by tests/image/containers.sh).
jq "$SC" "$tmp/least.json" | "$ROOT/tests/k8s/docker-flags.sh" /tmp >"$tmp/least.flags"
jq "$SC" "$tmp/priv.json" | "$ROOT/tests/k8s/docker-flags.sh" >"$tmp/priv.flags"
if [ "$(cat "$tmp/least.flags")" = "--cap-drop=ALL --cap-add=SYS_NICE --user=1000:1000 --security-opt=no-new-privileges --read-only --tmpfs=/tmp" ]; then
    ok "least-privilege as docker flags: $(cat "$tmp/least.flags")"; else fail "least-privilege as docker flags: $(cat "$tmp/least.flags")"; fi
if [ "$(cat "$tmp/priv.flags")" = "--privileged --security-opt=seccomp=unconfined" ]; then
    ok "privileged as docker flags: $(cat "$tmp/priv.flags")"; else fail "privileged as docker flags: $(cat "$tmp/priv.flags")"; fi

# template.yml's fprocess (sent at deploy time) must be the Dockerfile's (with NUMA_NODE's default),
# and the one stack.yml and node.yaml's default produce.
T=$ROOT/template/c-debian-numa
tfp=$(sed -n 's/^fprocess: //p' "$T/template.yml")
dnode=$(sed -n 's/^ARG NUMA_NODE=//p' "$T/Dockerfile")
dfp=$(sed -n 's/^ENV fprocess="\([^"]*\)".*/\1/p' "$T/Dockerfile" | sed "s/\${NUMA_NODE}/$dnode/")
sfp=$(sed -n 's/^    fprocess: //p' "$ROOT/stack.yml")
if [ -n "$tfp" ] && [ "$tfp" = "$dfp" ] && [ "$tfp" = "$sfp" ] &&
    [ "$tfp" = "numactl --membind 0 /home/app/server" ]; then
    ok "fprocess identical in template.yml, the Dockerfile and stack.yml: $tfp"
else fail "fprocess differs: template.yml '$tfp', Dockerfile '$dfp', stack.yml '$sfp'"; fi

# FLAGS_OUT: a folder where tests/image/containers.sh picks the two flag sets up.
if [ -n "${FLAGS_OUT:-}" ]; then
    mkdir -p "$FLAGS_OUT"
    cp "$tmp/least.flags" "$FLAGS_OUT/least-privilege.flags"
    cp "$tmp/priv.flags" "$FLAGS_OUT/privileged.flags"
fi

summary k8s-test
