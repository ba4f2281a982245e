#!/usr/bin/env bash
# tests/image/run.sh: the OpenFaaS packaging with the real faas-cli 0.18.12 and of-watchdog 0.11.6,
# built from their release source (tests/image/base-images.sh); it fails when they cannot be built.
#   faas-cli.sh    template pull of a clone of this repository's committed HEAD, new, build --shrinkwrap,
#                  build, local-run, a second function with a cmocka test, build -f stack.yml
#   containers.sh  test-numa-function's image under Docker: SYS_NICE, default seccomp, --privileged,
#                  no capability, --memory, read-only root, non-root, NUMA_WATCHDOG_BIND, the k8s flags
#   watchdog.sh    of-watchdog's behaviour: readiness, bodies, logs, max_inflight, SIGTERM, exec_timeout
# Prints the figures at the end, then "image-test: N passed, N failed".
# Environment:
#   IMAGE_TEST_WORKTREE=1   use the working tree's template instead of the committed HEAD (development)
#   IMAGE_TEST_DEFAULT=0    skip the default (2 GiB) experiment
#   IMAGE_TEST_COLD=1       also rebuild with --no-cache (the cold figure where the layer cache is warm)
#   OPENFAAS_OUT, OPENFAAS_SRC  see base-images.sh
# Containers are named cdn-image-test-<pid>-*, loopback ports only, all removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export OPENFAAS_OUT=${OPENFAAS_OUT:-$ROOT/build/openfaas}
PREFIX=cdn-image-test-$$
SMALL='iterations=64'
IMAGE=""
tmp=$(mktemp -d /tmp/image-test.XXXXXX)
FAAS_CLI_VERSION="" WATCHDOG_VERSION="" WATCHDOG_SHA="" STEP2_SMALL=""
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
# shellcheck source=tests/image/docker.sh
. "$ROOT/tests/image/docker.sh"
started=$(now)

finish() { # the figures and the counts, however the suite ends; exit 1 when anything failed
    local rc=$?
    local ids
    ids=$(docker ps -aq --filter "name=^/$PREFIX-" 2>/dev/null || true)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
    rm -rf "$tmp"
    [ "$rc" = 0 ] || [ "$FAILED" != 0 ] || fail "the suite stopped early (exit $rc)"
    echo "== figures (faas-cli ${FAAS_CLI_VERSION%% *}, of-watchdog ${WATCHDOG_VERSION%% *})"
    for f in "${FIGURES[@]}"; do echo "   $f"; done
    echo "   suite wall time: $(since "$started") s"
    summary image-test || exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

section "base images, faas-cli and of-watchdog"
"$ROOT/tests/image/base-images.sh" || { fail "base images, faas-cli or of-watchdog could not be made"; exit 1; }
export PATH="$OPENFAAS_OUT:$PATH"
[ "$(command -v faas-cli)" = "$OPENFAAS_OUT/faas-cli" ] || { fail "faas-cli is not $OPENFAAS_OUT/faas-cli"; exit 1; }
FAAS_CLI_VERSION=$(faas-cli version --warn-update=false 2>&1 | sed 's/\x1b\[[0-9;]*m//g' |
    awk '/commit:/ { c = $2 } /version:/ { v = $2 } END { print v, c }')
WATCHDOG_VERSION=$(fwatchdog --version 2>&1 | sed -n 's/.*Version: *\([^ \t]*\)[ \t]*SHA: *\([0-9a-f]*\).*/\1 \2/p')
WATCHDOG_SHA=$(sha256sum "$OPENFAAS_OUT/fwatchdog" | cut -d' ' -f1)
echo "faas-cli version --warn-update=false: ${FAAS_CLI_VERSION:-none} ($OPENFAAS_OUT/faas-cli)"
echo "fwatchdog --version: ${WATCHDOG_VERSION:-none} ($OPENFAAS_OUT/fwatchdog, image ghcr.io/openfaas/of-watchdog:0.11.6)"
expect "faas-cli is 0.18.12, commit c8191b71" test "$FAAS_CLI_VERSION" = "0.18.12 c8191b71e7edf10be3b660ddcaee52c11de79238"
expect "fwatchdog is 0.11.6, commit 9bdadb1e" test "$WATCHDOG_VERSION" = "0.11.6 9bdadb1e8c68ae1016ac1a35906cd2acaa53169a"

# shellcheck source=tests/image/faas-cli.sh
. "$ROOT/tests/image/faas-cli.sh"
# shellcheck source=tests/image/containers.sh
. "$ROOT/tests/image/containers.sh"
# shellcheck source=tests/image/watchdog.sh
. "$ROOT/tests/image/watchdog.sh"

section "the answer to POST /?$SMALL"
printf '%s\n' "${STEP2_SMALL:-}" | jq -c . 2>/dev/null | cut -c1-4000 || true
