#!/usr/bin/env bash
# valgrind.sh: the plain server under valgrind's memcheck across mixed requests (small
# experiments, /topology, bad input of every kind), then SIGTERM: zero errors, no definite leak.
# Usage: valgrind.sh TEST_NUMA_SERVER
set -euo pipefail
SERVER=$1
. "$(dirname "$0")/common.sh"

PORT=$(free_port)
start_server "$WORK/server.log" env FN_PORT="$PORT" healthcheck_interval=0 FN_MAX_BODY_BYTES=4096 \
    "${BIND[@]}" valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
    --log-file="$WORK/valgrind.%p" "$SERVER" || wait_ready "$PORT" 20 || fail "server starts under valgrind"
mixed_requests
stop_server TERM
expect "under valgrind: SIGTERM exits 0 (status $STOP_RC; 99 = valgrind found errors)" [ "$STOP_RC" = 0 ]
vlog=$(cat "$WORK"/valgrind.*)
summary_line=$(printf '%s\n' "$vlog" | grep 'ERROR SUMMARY' | tail -n 1)
echo "# ${summary_line#==*== }"
printf '%s\n' "$vlog" | grep -E 'definitely lost|indirectly lost|possibly lost|still reachable|All heap blocks' | sed 's/^==[0-9]*==/#/'
expect "valgrind: ERROR SUMMARY: 0 errors" grep -q 'ERROR SUMMARY: 0 errors' <<<"$summary_line"
if ! grep -q 'ERROR SUMMARY: 0 errors' <<<"$summary_line"; then printf '%s\n' "$vlog" | head -n 80; fi
summary
