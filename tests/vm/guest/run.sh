#!/bin/bash
# tests/vm/guest/run.sh (guest /vm/run.sh): owns `make run-vm` inside the guest. Starts the server
# under `numactl --membind <node>` and runs one experiment; the answer is printed on one VM-JSON line
# for the host to format. The query and node come from the kernel command line (vmquery=, vmnode=;
# vmnode=none: no numactl).
set -euo pipefail
. /vm/lib.sh
query=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^vmquery=//p')
node=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^vmnode=//p')
query=${query:-iterations=256}
node=${node:-2}
echo "VM-INFO numactl --membind $node, GET /?$query"
if [ "$node" = none ]; then start_server; else start_server numactl --membind "$node"; fi
request "$query"
echo "VM-HTTP $CODE"
echo "VM-JSON $(jq -c . "$BODY" 2>/dev/null || tr -d '\n' < "$BODY")"
stop_server
