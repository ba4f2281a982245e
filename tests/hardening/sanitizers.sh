#!/usr/bin/env bash
# sanitizers.sh: the servers built with SAN=1 (AddressSanitizer + UndefinedBehaviorSanitizer,
# leak detection at exit) run the integration suite, then mixed requests and SIGTERM: zero
# findings, exit status 0.
# Usage: sanitizers.sh SAN_TEST_NUMA_SERVER SAN_SAMPLE_SERVER
set -euo pipefail
SAN_SERVER=$1
SAN_SAMPLE=$2
. "$(dirname "$0")/common.sh"

# The integration suite also judges node-wide MemFree deltas, which other activity on the
# machine moves, all the more during the slower sanitized runs. Those checks, and only those, end
# with MEMFREE_TAG (tests/lib.sh) and judge nothing else: they are left to the plain
# `make integration`. Every other check must pass, on one of at most two runs.
integration() {
    "$HARDENING_DIR/../integration/run.sh" "$SAN_SERVER" "$SAN_SAMPLE" >"$WORK/integration.out" 2>&1 || true
    grep '^not ok' "$WORK/integration.out" | grep -v -- "$MEMFREE_TAG\$" >"$WORK/integration.failed" || true
    grep -q '^[0-9]* passed, [0-9]* failed' "$WORK/integration.out" && [ ! -s "$WORK/integration.failed" ]
}
if [ ! -x "$HARDENING_DIR/../integration/run.sh" ]; then
    fail "integration suite under ASan+UBSan: tests/integration/run.sh is missing"
elif integration || { [ -z "$(san_findings)" ] && sed 's/^/# first run: /' "$WORK/integration.failed" \
        && echo "# running the integration suite once more" && integration; }; then
    grep '^not ok' "$WORK/integration.out" | grep -- "$MEMFREE_TAG\$" | sed 's/^not ok - /# left to make integration: /' || true
    ok "integration suite under ASan+UBSan: $(tail -n 1 "$WORK/integration.out")"
else
    cat "$WORK/integration.failed"
    tail -n 5 "$WORK/integration.out"
    fail "integration suite under ASan+UBSan"
fi
expect "integration suite: no sanitizer finding" [ -z "$(san_findings)" ]

PORT=$(free_port)
start_server "$WORK/server.log" env FN_PORT="$PORT" healthcheck_interval=0 FN_MAX_BODY_BYTES=4096 \
    "${BIND[@]}" "$SAN_SERVER" || fail "sanitized server starts"
mixed_requests
stop_server TERM
expect "sanitized server: SIGTERM exits 0 (no leak at exit)" [ "$STOP_RC" = 0 ]
findings=$(san_findings)
[ -z "$findings" ] || printf '%s\n' "$findings" | head -n 40
expect "sanitized server: no ASan/UBSan/LSan finding" [ -z "$findings" ]
summary
