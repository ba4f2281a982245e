# lib.sh: the image suite's helpers, sourced by tests/image/run.sh: pass/fail counters and figures,
# containers on loopback ports, HTTP calls and polls that all end by themselves.
# Expects PREFIX (container name prefix), tmp (scratch folder) and IMAGE (the default image to run).
pass=0 fail=0
declare -a FIGURES=()

ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
expect() { # expect DESCRIPTION COMMAND...: ok when the command succeeds
    local d=$1; shift
    if "$@"; then ok "$d"; else ko "$d"; fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
figure() { FIGURES+=("$1"); echo "     figure: $1"; }

start_image() { # start_image NAME IMAGE DOCKER-RUN-FLAGS...: detached, port 8080 on loopback; sets PORT
    local name=$1 image=$2; shift 2
    docker run -d --name "$PREFIX-$name" -p 127.0.0.1::8080 "$@" "$image" >/dev/null
    port_of "$name"
}
start() { local n=$1; shift; start_image "$n" "$IMAGE" "$@"; } # start NAME FLAGS...: runs $IMAGE
port_of() { # port_of NAME: sets PORT to the container's loopback port for 8080 (1 when it has none)
    PORT=$(docker port "$PREFIX-$1" 8080/tcp 2>/dev/null | head -n 1 | sed 's/.*://') || true
    PORT=${PORT:-1} # an exited container has no port: calls then fail (connection refused)
}
call() { # call METHOD PATH [CURL-ARGS]: sets STATUS, BODY and HEADERS (bounded by 150 s)
    local out
    rm -f "$tmp/body" "$tmp/headers"
    out=$(curl -s -m 150 -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}' -X "$1" \
        "http://127.0.0.1:$PORT$2" "${@:3}") || true
    STATUS=${out:-000}; BODY=$(cat "$tmp/body" 2>/dev/null || true)
    HEADERS=$(tr -d '\r' <"$tmp/headers" 2>/dev/null || true)
}
header() { printf '%s\n' "$HEADERS" | sed -n "s/^$1: //Ip" | head -n 1; } # header NAME: from the last call
wait_status() { # wait_status METHOD PATH STATUS SECONDS: polls until the call answers STATUS
    local end=$((SECONDS + $4))
    while [ $SECONDS -lt $end ]; do
        call "$1" "$2"; [ "$STATUS" = "$3" ] && return 0
        sleep 0.1
    done
    return 1
}
wait_200() { wait_status POST "$1" 200 "$2"; } # wait_200 PATH SECONDS
jqt() { printf '%s' "$BODY" | jq -e "$1" >/dev/null 2>&1; }
exact_node0() { # the answer's touched pages are all on node 0, exact
    jqt '.placement.exact == true and .placement.per_node == {"0": (.placement.pages - .placement.not_present)}
         and .placement.pages > 0 and .placement.not_present == 0'
}
wait_exit() { # wait_exit NAME SECONDS: 0 once the container stopped
    local end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        [ "$(docker inspect -f '{{.State.Running}}' "$PREFIX-$1")" = false ] && return 0
        sleep 0.2
    done
    return 1
}
logs() { docker logs "$PREFIX-$1" 2>&1; }
stop_rm() { docker rm -f "$PREFIX-$1" >/dev/null 2>&1 || true; }

# Node 0's memory in use, KiB: MemTotal - (MemFree + the pages parked on per-CPU free lists, the
# pagesets' "count:" in /proc/zoneinfo). MemFree alone leaves those lists out, and MemTotal grows while
# memory is onlined lazily after boot: this difference is what a process's allocations move.
node0_used_kb() {
    local total free pcp
    total=$(awk '$3 == "MemTotal:" { print $4 }' /sys/devices/system/node/node0/meminfo)
    free=$(awk '$3 == "MemFree:" { print $4 }' /sys/devices/system/node/node0/meminfo)
    pcp=$(awk '$1 == "Node" { node = $2 } node == "0," && $1 == "count:" { n += $2 } END { print n + 0 }' \
        /proc/zoneinfo)
    echo $((total - free - pcp * $(getconf PAGESIZE) / 1024))
}
wait_log() { # wait_log NAME SECONDS EXTENDED-REGEX: 0 once a whole line of the container's log matches
    local end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        logs "$1" | grep -Eqx -- "$3" && return 0
        sleep 0.2
    done
    return 1
}
fnv1a64() { # fnv1a64 FILE: the 64-bit FNV-1a hash of the file, 16 hex digits
    python3 -c 'import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$1"
}
# container_node0_anon_kb NAME: the container's anonymous memory on node 0, KiB, from its memory cgroup's
# numa_stat as the container sees it (v1: "anon=PAGES N0=PAGES", v2: "anon N0=BYTES"). Other processes on
# the machine do not move it.
container_node0_anon_kb() {
    docker exec "$PREFIX-$1" sh -c 'cat /sys/fs/cgroup/memory/memory.numa_stat 2>/dev/null ||
        cat /sys/fs/cgroup/memory.numa_stat' |
        awk -v ps="$(getconf PAGESIZE)" '
            $1 ~ /^anon(=|$)/ { for (i = 2; i <= NF; i++) if ($i ~ /^N0=/) v = substr($i, 4)
                                print int(($1 == "anon" ? v : v * ps) / 1024); found = 1; exit }
            END { if (!found) print -1 }'
}
section() { echo "== $1 [$(since "$started") s]"; } # section TITLE: a heading with the suite's elapsed time
