#!/usr/bin/env bash
# conns.sh: connections: 500 idle connections held open, a body and headers trickled one byte
# per second, connections past FN_MAX_CONNECTIONS (600 here), oversized headers, URI and bodies
# (Content-Length and chunked). The server keeps answering others throughout.
# Usage: conns.sh TEST_NUMA_SERVER
set -euo pipefail
SERVER=$1
. "$(dirname "$0")/common.sh"
MAXC=600
BODY_TIMEOUT=3

PORT=$(free_port)
start_server "$WORK/server.log" env FN_PORT="$PORT" healthcheck_interval=0 FN_MAX_CONNECTIONS=$MAXC \
    FN_BODY_TIMEOUT=$BODY_TIMEOUT FN_CONNECTION_TIMEOUT=30 "${BIND[@]}" "$SERVER" || fail "server starts"
timeout 120 python3 "$HARDENING_DIR/conns.py" "$PORT" 500 150 "$BODY_TIMEOUT" >"$WORK/conns.json"
echo "# $(cat "$WORK/conns.json")"
r() { jq -e "$1" "$WORK/conns.json" >/dev/null; }
expect "500 idle connections held open (500 established)" r '.idle_open == 500 and .established_with_idle >= 500'
expect "with 500 idle connections: /topology and an experiment answer 200" \
    r '.topology_while_idle[0] == 200 and .experiment_while_idle[0] == 200'
expect "a body sent 1 byte/s is dropped after FN_BODY_TIMEOUT=${BODY_TIMEOUT}s (within 2 s of it)" \
    r ".slow_body.dropped and .slow_body.after_s >= $BODY_TIMEOUT and .slow_body.after_s <= $((BODY_TIMEOUT + 2))"
# Headers trickled 1 byte/s are NOT bounded by FN_BODY_TIMEOUT (libmicrohttpd calls the handler
# only once the headers are complete; its timeout is an idle timeout): see SECURITY.md.
echo "# headers sent 1 byte/s: dropped=$(jq .slow_headers.dropped "$WORK/conns.json") after $(jq .slow_headers.after_s "$WORK/conns.json") s"
expect "while slow clients trickle, every other request is answered 200" \
    r '.others_during_slow.requests > 0 and .others_during_slow.ok == .others_during_slow.requests'
expect "never more than FN_MAX_CONNECTIONS=$MAXC established ($(jq .established_at_peak "$WORK/conns.json"))" \
    r ".established_at_peak <= $MAXC"
expect "past the limit the server closes new connections at once ($(jq .over_closed_by_server "$WORK/conns.json") of $(jq .over_opened "$WORK/conns.json"))" \
    r ".over_closed_by_server == (500 + .over_opened - $MAXC)"
expect "once the others close, new connections are served again" \
    r '.established_after_close <= 1 and .topology_after[0] == 200'
expect "the server logged the refusals" grep -q 'connection limit' "$WORK/server.log"

# Oversized request parts. libmicrohttpd answers these itself, in HTML.
big_header=$(head -c 40000 /dev/zero | tr '\0' a)
call GET /topology -H "X-Big: $big_header"
echo "# 40 KB header: $STATUS ${BODY:0:80}"
expect "oversized header (40 KB): 431" [ "$STATUS" = 431 ]
call GET "/topology?x=$(head -c 40000 /dev/zero | tr '\0' b)"
echo "# 40 KB URI: $STATUS"
expect "oversized URI (40 KB): 414" [ "$STATUS" = 414 ]
head -c $((3 << 20)) /dev/zero >"$WORK/3m"
expect_status "3 MiB body with Content-Length: 413" 413 POST / --data-binary @"$WORK/3m"
expect_status "3 MiB body with Content-Length, no Expect: 413" 413 POST / -H 'Expect:' --data-binary @"$WORK/3m"
expect_status "3 MiB chunked body: 413" 413 POST / -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/3m"
expect_status "still serving" 200 GET /topology
stop_server TERM
expect "SIGTERM exits 0" [ "$STOP_RC" = 0 ]
summary
