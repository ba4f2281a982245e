# docker.sh: the image suite's own helpers, sourced by tests/image/run.sh after tests/lib.sh:
# containers on loopback ports, polls of their answers, state and logs that all end by themselves,
# the suite's figures and timings.
# Expects PREFIX (container name prefix), tmp (scratch folder) and IMAGE (the default image to run).
declare -a FIGURES=()
CALL_TIMEOUT=150
CALL_HEADERS=$tmp/headers

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
answers() { call "$1" "$2"; [ "$STATUS" = "$3" ]; } # answers METHOD PATH STATUS
wait_status() { wait_until "$4" answers "$1" "$2" "$3"; } # wait_status METHOD PATH STATUS SECONDS
wait_200() { wait_status POST "$1" 200 "$2"; } # wait_200 PATH SECONDS
# served NAME LABEL [METHOD PATH STATUS]: container NAME answers (POST /?$SMALL, 200 by default) within
# 60 s; else a failure "LABEL: no 200", with the end of the container's log.
served() {
    wait_status "${3:-POST}" "${4:-/?$SMALL}" "${5:-200}" 60 && return 0
    fail "$2: no ${5:-200} (HTTP $STATUS)"
    logs "$1" | tail -n 5
    return 1
}
exact_node0() { # the answer's touched pages are all on node 0, exact
    jq_true '.placement.exact == true and .placement.per_node == {"0": (.placement.pages - .placement.not_present)}
         and .placement.pages > 0 and .placement.not_present == 0'
}
stopped() { [ "$(docker inspect -f '{{.State.Running}}' "$PREFIX-$1")" = false ]; } # stopped NAME
wait_exit() { wait_until "$2" stopped "$1"; } # wait_exit NAME SECONDS: 0 once the container stopped
logs() { docker logs "$PREFIX-$1" 2>&1; }
stop_rm() { docker rm -f "$PREFIX-$1" >/dev/null 2>&1 || true; }

logged() { logs "$1" | grep -Eqx -- "$2"; } # logged NAME EXTENDED-REGEX: a whole log line matches
wait_log() { wait_until "$2" logged "$1" "$3"; } # wait_log NAME SECONDS EXTENDED-REGEX
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
