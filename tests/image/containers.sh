# containers.sh: the image suite's checks of test-numa-function's image under the Docker engine, behind
# the real of-watchdog: --cap-add SYS_NICE (first 200, placement, default seccomp, health, non-root user,
# the default experiment), --privileged, no capability, a node outside the allowed ones, --memory 512m,
# a read-only root, NUMA_WATCHDOG_BIND, and the Kubernetes patches' securityContexts as docker flags.
# Sourced by tests/image/run.sh (tests/lib.sh and docker.sh loaded, IMAGE set); sets STEP2_SMALL.

section "docker run --cap-add SYS_NICE"
t0=$(now)
start main --cap-add SYS_NICE
if wait_status GET /_/ready 200 60; then
    ok "first 200 through the watchdog (GET /_/ready, the function's answer)"
    figure "container start to first 200 (docker run to GET /_/ready): $(since "$t0") s"
else fail "no 200 within 60 s (HTTP $STATUS)"; logs main | tail -n 20; exit 1; fi
call POST "/?$SMALL"
STEP2_SMALL=$BODY
expect "POST /?$SMALL: 200 JSON" jq_true '.params.iterations == 64'
expect "every touched page on node 0, exact" exact_node0
expect "policy bind to [0] (read back)" jq_true '.process.policy == "bind" and .process.policy_nodes == [0] and .placement.policy == "bind"'
expect "default seccomp: numa_maps counts, a get_mempolicy sample cross-checks (move_pages refused)" \
    jq_true '.placement.source == "numa_maps" and .placement.cross_check.source == "get_mempolicy" and .placement.cross_check.agrees'
echo "     cross-check source: $(printf '%s' "$BODY" | jq -r '.placement.cross_check.source') (fallback: $(printf '%s' "$BODY" | jq -r '.placement.cross_check.fallback_reason'))"
call GET /_/health; expect "GET /_/health 200" test "$STATUS" = 200
call GET /_/ready; expect "GET /_/ready 200 (relayed from the server's ready_path)" test "$STATUS" = 200
end=$((SECONDS + 30)); health=""
while [ $SECONDS -lt $end ]; do
    health=$(docker inspect -f '{{.State.Health.Status}}' "$PREFIX-main")
    [ "$health" = healthy ] && break
    sleep 0.5
done
expect "HEALTHCHECK: healthy (was: $health)" test "$health" = healthy
srv=$(docker exec "$PREFIX-main" sh -c 'for p in /proc/[0-9]*; do
        if tr "\0" " " <"$p/cmdline" 2>/dev/null | grep -q "^/home/app/server"; then
            awk "/^Uid:/ { print \$2 }" "$p/status"; fi; done' | head -n 1)
expect "the watchdog (pid 1) is the fwatchdog built from source (sha256 ${WATCHDOG_SHA:0:12})" eval \
    '[ "$(docker exec "$PREFIX-main" sha256sum /usr/bin/fwatchdog | cut -d" " -f1)" = "$WATCHDOG_SHA" ] &&
     [ "$(docker exec "$PREFIX-main" cat /proc/1/cmdline | tr "\0" " ")" = "fwatchdog " ]'
expect "the server process runs as app (uid ${srv:-none})" test "$(docker exec "$PREFIX-main" id -un "${srv:-x}" 2>/dev/null)" = app
if [ "${IMAGE_TEST_DEFAULT:-1}" = 1 ]; then
    t0=$(now); call POST /
    STEP2_DEFAULT=$BODY
    expect "POST / (default experiment, $(printf '%s' "$BODY" | jq -r '.bytes // "?"') bytes): 200, exact on node 0" \
        eval '[ "$STATUS" = 200 ] && exact_node0'
    figure "default experiment through the watchdog: $(since "$t0") s"
fi
stop_rm main

section "--privileged"
start priv --privileged
if served priv privileged; then
    expect "privileged: 200, exact on node 0" exact_node0
    expect "privileged: the sample is asked of move_pages" jq_true '.placement.cross_check.source == "move_pages"'
fi
stop_rm priv

section "no capability"
start nocap
if wait_exit nocap 30; then
    code=$(docker inspect -f '{{.State.ExitCode}}' "$PREFIX-nocap")
    expect "no capability: the container exits non-zero (exit $code)" test "$code" != 0
    expect "no capability: its log names CAP_SYS_NICE" eval 'logs nocap | grep -q CAP_SYS_NICE'
    echo "     log: $(logs nocap | grep CAP_SYS_NICE | head -n 1)"
    expect "no capability: one line" test "$(logs nocap | wc -l)" = 1
else fail "no capability: the container is still running after 30 s"; fi
stop_rm nocap

section "a node outside the allowed ones (fprocess override)"
start badnode --cap-add SYS_NICE -e fprocess="numactl --membind 7 /home/app/server"
if wait_exit badnode 30; then
    expect "fprocess --membind 7: exits non-zero, says so" eval '[ "$(docker inspect -f "{{.State.ExitCode}}" "$PREFIX-badnode")" != 0 ] && logs badnode | grep -q "numactl options were refused"'
else fail "fprocess --membind 7: still running after 30 s"; fi
stop_rm badnode

section "--memory 512m"
start mem --cap-add SYS_NICE --memory 512m
if served mem "memory limit"; then
    call POST "/?chunk_mb=2&iterations=512"
    expect "1 GiB under a 512 MiB limit: 422 JSON refusal ($(printf '%s' "$BODY" | jq -r '.error // empty' | cut -c1-100))" \
        eval '[ "$STATUS" = 422 ] && jq_true ".error | length > 0"'
    call POST "/?$SMALL"
    expect "still serving after the refusal" test "$STATUS" = 200
    expect "the container was not OOM-killed" test "$(docker inspect -f '{{.State.OOMKilled}} {{.State.Running}}' "$PREFIX-mem")" = "false true"
fi
stop_rm mem

section "--read-only --tmpfs /tmp"
start ro --cap-add SYS_NICE --read-only --tmpfs /tmp
if served ro "read-only root"; then expect "read-only root: 200, exact on node 0" exact_node0; fi
stop_rm ro

section "NUMA_WATCHDOG_BIND=\"--membind 0\""
start wd --cap-add SYS_NICE -e NUMA_WATCHDOG_BIND="--membind 0"
if served wd "watchdog bind"; then
    expect "watchdog bound too: 200, exact on node 0" exact_node0
    expect "the watchdog (pid 1) runs under bind:0" eval 'docker exec "$PREFIX-wd" grep -q " bind:0 " /proc/1/numa_maps'
fi
stop_rm wd

section "the Kubernetes patches' securityContexts as docker flags"
FLAGS_OUT=$tmp/flags "$ROOT/tests/k8s/run.sh" >"$tmp/k8s.log" || { cat "$tmp/k8s.log"; fail "tests/k8s/run.sh"; }
for f in least-privilege privileged; do
    read -r -a flags <"$tmp/flags/$f.flags"
    start "k8s-$f" "${flags[@]}"
    if served "k8s-$f" "$f.yaml as \`${flags[*]}\`"; then
        expect "$f.yaml as \`${flags[*]}\`: 200, exact on node 0 (cross-check $(printf '%s' "$BODY" | jq -r .placement.cross_check.source))" exact_node0
    fi
    stop_rm "k8s-$f"
done

