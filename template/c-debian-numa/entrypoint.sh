#!/bin/sh
# c-debian-numa entrypoint: checks that this container may set a NUMA memory policy, then runs the watchdog.
# Docker's and containerd's default seccomp profiles refuse set_mempolicy/mbind unless the container has
# CAP_SYS_NICE; without it `numactl --membind` in fprocess fails and the watchdog restarts forever.
# NUMA_WATCHDOG_BIND (e.g. "--membind 0"): numactl options that bind the watchdog itself too.
set -u

fail() { # one line, whatever numactl printed
    printf 'c-debian-numa: %s\n' "$(printf '%s' "$*" | tr '\n' ' ')" >&2
    exit 1
}

if ! err=$(numactl --localalloc true 2>&1); then
    fail "cannot set a NUMA memory policy (${err:-numactl failed}): the container needs CAP_SYS_NICE: docker run --cap-add SYS_NICE, or on Kubernetes securityContext.capabilities.add [\"SYS_NICE\"] (k8s/least-privilege.yaml)"
fi

# The numactl options of fprocess (up to the program path) must be accepted too, e.g. a node that the
# cpuset allows: say so now rather than through a crash loop.
proc=${function_process:-${fprocess:-}}
case "$proc" in
numactl\ *)
    # The options end at the program: the first word that is neither an option nor the value of one.
    opts="" want_value=0
    for w in ${proc#numactl }; do
        if [ "$want_value" = 1 ]; then
            opts="$opts $w" want_value=0
            continue
        fi
        case "$w" in
        -m | -N | -C | -i | -p | -P | -w | --membind | --cpunodebind | --physcpubind | --interleave | \
            --preferred | --preferred-many | --weighted-interleave) opts="$opts $w" want_value=1 ;;
        -*) opts="$opts $w" ;;
        *) break ;;
        esac
    done
    # shellcheck disable=SC2086
    if ! err=$(numactl $opts true 2>&1); then
        fail "fprocess's numactl options were refused (numactl$opts: ${err:-failed}); check the node against Mems_allowed (numactl -H)"
    fi
    ;;
esac

if [ -n "${NUMA_WATCHDOG_BIND:-}" ]; then
    # shellcheck disable=SC2086
    exec numactl $NUMA_WATCHDOG_BIND fwatchdog
fi
exec fwatchdog
