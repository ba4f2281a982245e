#!/usr/bin/env bash
# tests/vm/fwatchdog.sh: owns getting the real of-watchdog for the guest: $VM_FWATCHDOG if set, else
# the static binary built offline from the upstream sources in ../shared/third_party/openfaas
# (relative to the repository) into build/openfaas/. Prints its path.
#   usage: tests/vm/fwatchdog.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "${VM_FWATCHDOG:-}" ]; then
    [ -x "$VM_FWATCHDOG" ] || { echo "vm: VM_FWATCHDOG=$VM_FWATCHDOG is not an executable" >&2; exit 1; }
    echo "$VM_FWATCHDOG"
    exit 0
fi
BUILD=$ROOT/../shared/third_party/openfaas/build.sh
if [ ! -x "$BUILD" ]; then
    echo "vm: the seed scenario needs the real of-watchdog: set VM_FWATCHDOG to a static fwatchdog," \
        "or provide $BUILD (it builds of-watchdog 0.11.6 offline)" >&2
    exit 1
fi
if [ ! -x "$ROOT/build/openfaas/fwatchdog" ]; then
    echo "vm: building of-watchdog with $BUILD (once)" >&2
    "$BUILD" "$ROOT/build/openfaas" >&2
fi
echo "$ROOT/build/openfaas/fwatchdog"
