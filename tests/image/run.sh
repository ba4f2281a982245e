#!/usr/bin/env bash
# tests/image/run.sh: the OpenFaaS packaging, with the real programs: base images, the template pulled from
# a clone of this repository's committed HEAD, `faas-cli new` + `faas-cli build` of a new function, the
# repository's stack.yml (test-numa-function), then the built image under Docker: through the watchdog,
# default seccomp, --privileged, no capability, a memory limit, docker stop mid-experiment, a read-only
# root, the Kubernetes patches' securityContexts as docker flags. Prints the figures at the end.
# Environment:
#   IMAGE_TEST_WORKTREE=1   use the working tree's template instead of the committed HEAD (development)
#   IMAGE_TEST_DEFAULT=0    skip the default (2 GiB) experiment
# Containers are named cdn-image-test-<pid>-*, loopback ports only, all removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
WATCHDOG_IMAGE=ghcr.io/openfaas/of-watchdog:0.11.6
STANDIN_IMAGE=c-debian-numa/watchdog-standin:test
PREFIX=cdn-image-test-$$
SMALL='iterations=64'
pass=0 fail=0
declare -a FIGURES=()
tmp=$(mktemp -d /tmp/image-test.XXXXXX)

cleanup() {
    local ids
    ids=$(docker ps -aq --filter "name=^/$PREFIX-" 2>/dev/null || true)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
expect() { # expect DESCRIPTION COMMAND...: ok when the command succeeds
    local d=$1; shift
    if "$@"; then ok "$d"; else ko "$d"; fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
figure() { FIGURES+=("$1"); echo "     figure: $1"; }

# ---------------------------------------------------------------------------------------------------
echo "== base images"
"$ROOT/tests/image/base-images.sh"
BUILD_ARGS=()
if docker image inspect "$WATCHDOG_IMAGE" >/dev/null 2>&1; then
    WATCHDOG="of-watchdog 0.11.6 ($WATCHDOG_IMAGE)"
else
    # The real watchdog cannot be had here: build the test images with the stand-in (tests/image/
    # watchdog-standin), passed as a build argument; the Dockerfile's default stays the real image.
    WATCHDOG="the stand-in $STANDIN_IMAGE (of-watchdog unavailable on this machine)"
    BUILD_ARGS+=(--build-arg "WATCHDOG_IMAGE=${STANDIN_IMAGE%:*}" --build-arg "WATCHDOG_VERSION=${STANDIN_IMAGE##*:}")
fi
FAAS_CLI=$(command -v faas-cli || true)
[ -x "$BIN/faas-cli" ] && FAAS_CLI=$BIN/faas-cli
echo "watchdog: $WATCHDOG"
echo "faas-cli: ${FAAS_CLI:-unavailable on this machine: its documented steps are done with git and docker build}"

# faas-cli's steps. With faas-cli: the real commands. Without: what they do (docs/openfaas-facts.md):
# template pull = git clone + copy template/; new = copy function/ to ./NAME + stack file;
# build = build/NAME = template folder with the handler over function/, then plain docker build.
template_pull() { # template_pull REPO (in the current folder)
    if [ -n "$FAAS_CLI" ]; then "$FAAS_CLI" template pull "$1" >/dev/null; else
        git clone -q "$1" "$tmp/pulled" && mkdir -p template && cp -R "$tmp/pulled/template/." template/
        rm -rf "$tmp/pulled"
    fi
}
faas_new() { # faas_new NAME LANG (in the current folder)
    if [ -n "$FAAS_CLI" ]; then "$FAAS_CLI" new "$1" --lang "$2"; else
        [ ! -e stack.yaml ] && [ ! -e stack.yml ] || { echo "stack file exists" >&2; return 1; }
        cp -R "template/$2/function" "./$1" && chmod 0700 "./$1"
        printf 'version: 1.0\nprovider:\n  name: openfaas\n  gateway: http://127.0.0.1:8080\nfunctions:\n  %s:\n    lang: %s\n    handler: ./%s\n    image: %s:latest\n' \
            "$1" "$2" "$1" "$1" >stack.yaml
        sed -n '/^welcome_message:/,$p' "template/$2/template.yml" | sed '1d; s/^  //'
    fi
}
stack_field() { # stack_field FILE FUNCTION KEY: a function's scalar field from a stack file
    awk -v fn="  $2:" -v key="    $3:" '
        $0 == fn { infn = 1; next }
        infn && /^  [^ ]/ { infn = 0 }
        infn && index($0, key) == 1 { v = substr($0, length(key) + 1); sub(/^ +/, "", v); sub(/ +#.*$/, "", v)
                                      gsub(/^"|"$/, "", v); print v; exit }' "$1" | expand_env
}
expand_env() { # faas-cli's ${NAME:-default} substitution in stack files
    local line name def
    while IFS= read -r line; do
        while [[ $line =~ \$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\} ]]; do
            name=${BASH_REMATCH[1]}; def=${BASH_REMATCH[3]}
            line=${line/"${BASH_REMATCH[0]}"/${!name:-$def}}
        done
        printf '%s\n' "$line"
    done
}
faas_build() { # faas_build STACKFILE FUNCTION [--no-cache] (in the stack file's folder)
    local stack=$1 fn=$2 nocache=${3:-}
    if [ -n "$FAAS_CLI" ]; then
        local extra=()
        [ ${#BUILD_ARGS[@]} = 0 ] || extra=("${BUILD_ARGS[@]}")
        [ -z "$nocache" ] || extra+=(--no-cache)
        CI=true "$FAAS_CLI" build -f "$stack" --filter "$fn" "${extra[@]}"
        return
    fi
    local lang handler image
    lang=$(stack_field "$stack" "$fn" lang); handler=$(stack_field "$stack" "$fn" handler)
    image=$(stack_field "$stack" "$fn" image)
    [ -d "template/$lang" ] && [ -d "$handler" ] && [ -n "$image" ] || { echo "bad stack entry $fn" >&2; return 1; }
    rm -rf "build/$fn" && mkdir -p "build/$fn"
    cp -R "template/$lang/." "build/$fn/"
    mkdir -p "build/$fn/function" && cp -R "$handler/." "build/$fn/function/"
    (cd "build/$fn" && docker build --force-rm $nocache --build-arg ADDITIONAL_PACKAGE= "${BUILD_ARGS[@]}" --tag "$image" .)
}

# ---------------------------------------------------------------------------------------------------
echo "== (1) template pull, new, build"
git clone -q "$ROOT" "$tmp/repo"
if [ "${IMAGE_TEST_WORKTREE:-0}" = 1 ]; then
    # Development: the working tree's template and function, committed or not, in the clone.
    rm -rf "$tmp/repo/template" "$tmp/repo/functions"
    cp -R "$ROOT/template" "$ROOT/functions" "$ROOT/stack.yml" "$tmp/repo/"
    rm -rf "$tmp/repo/template/c-debian-numa/build"
    git -C "$tmp/repo" add -A && git -C "$tmp/repo" -c user.name=t -c user.email=t@t commit -qm worktree
fi
mkdir -p "$tmp/scratch" && cd "$tmp/scratch"
template_pull "$tmp/repo"
expect "template pull: template/c-debian-numa with template.yml and Dockerfile" \
    test -f template/c-debian-numa/template.yml -a -f template/c-debian-numa/Dockerfile
faas_new hello-numa c-debian-numa >"$tmp/new.log"
expect "new --lang c-debian-numa: ./hello-numa/handler.c and stack.yaml" test -f hello-numa/handler.c -a -f stack.yaml
expect "new: the welcome message names the next steps and CAP_SYS_NICE" grep -q 'CAP_SYS_NICE' "$tmp/new.log"
# Three builds: a plain one (fills the layer cache), the same again (the cached figure), --no-cache
# (the cold figure). --no-cache goes last: the legacy builder's cache lookups can miss layers after one.
if ! faas_build stack.yaml hello-numa >"$tmp/build-first.log" 2>&1; then
    ko "build hello-numa"; tail -n 30 "$tmp/build-first.log"; exit 1
fi
t0=$(now)
faas_build stack.yaml hello-numa >"$tmp/build-cached.log" 2>&1 && ok "build hello-numa again (cached)" &&
    figure "build cached (unchanged function): $(since "$t0") s" || ko "build hello-numa again (cached)"
t0=$(now)
if faas_build stack.yaml hello-numa --no-cache >"$tmp/build-cold.log" 2>&1; then
    ok "build hello-numa (no cache)"; figure "build cold (--no-cache): $(since "$t0") s"
    expect "the cold build ran the unit tests (make unit) in the image" grep -q 'test(s) run' "$tmp/build-cold.log"
else ko "build hello-numa (no cache)"; tail -n 30 "$tmp/build-cold.log"; fi

cd "$tmp/repo"
STACK_IMAGE=$(stack_field stack.yml test-numa-function image)
expect "stack.yml: test-numa-function, lang c-debian-numa" \
    test "$(stack_field stack.yml test-numa-function lang)" = c-debian-numa
t0=$(now)
if faas_build stack.yml test-numa-function >"$tmp/build-fn.log" 2>&1; then
    ok "build test-numa-function from stack.yml ($STACK_IMAGE)"; figure "build test-numa-function: $(since "$t0") s"
else ko "build test-numa-function"; tail -n 30 "$tmp/build-fn.log"; exit 1; fi
IMAGE=$STACK_IMAGE
image_fprocess=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed -n 's/^fprocess=//p')
expect "the image's ENV fprocess is template.yml's ($image_fprocess)" \
    test "$image_fprocess" = "$(sed -n 's/^fprocess: //p' "$tmp/repo/template/c-debian-numa/template.yml")"
figure "image size $IMAGE: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.1f MB", $1 / 1e6 }')"
cd "$tmp"

# ---------------------------------------------------------------------------------------------------
# Container helpers.
start() { # start NAME DOCKER-RUN-FLAGS...: runs $IMAGE detached on a loopback port; sets PORT
    local n=$PREFIX-$1; shift
    docker run -d --name "$n" -p 127.0.0.1::8080 "$@" "$IMAGE" >/dev/null
    PORT=$(docker port "$n" 8080/tcp 2>/dev/null | head -n 1 | sed 's/.*://') || true
    PORT=${PORT:-1} # an exited container has no port: calls then fail (connection refused)
}
call() { # call METHOD PATH [CURL-ARGS]: sets STATUS and BODY (bounded by 150 s)
    local out
    out=$(curl -s -m 150 -o "$tmp/body" -w '%{http_code}' -X "$1" "http://127.0.0.1:$PORT$2" "${@:3}") || true
    STATUS=${out:-000}; BODY=$(cat "$tmp/body" 2>/dev/null || true)
}
wait_200() { # wait_200 PATH SECONDS: polls until 200
    local end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        call POST "$1"; [ "$STATUS" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}
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

# ---------------------------------------------------------------------------------------------------
echo "== (2) docker run --cap-add SYS_NICE: through the watchdog"
t0=$(now)
start main --cap-add SYS_NICE
if wait_200 "/?$SMALL" 60; then
    ok "first 200 through the watchdog"; figure "container start to first 200: $(since "$t0") s"
else ko "no 200 within 60 s (HTTP $STATUS)"; logs main | tail -n 20; exit 1; fi
call POST "/?$SMALL"
STEP2_SMALL=$BODY
expect "POST /?$SMALL: 200 JSON" jqt '.params.iterations == 64'
expect "every touched page on node 0, exact" exact_node0
expect "policy bind to [0] (read back)" jqt '.process.policy == "bind" and .process.policy_nodes == [0] and .placement.policy == "bind"'
expect "(3) default seccomp: placement.source is not move_pages" jqt '.placement.source != "move_pages"'
echo "     placement.source: $(printf '%s' "$BODY" | jq -r '.placement.source') (fallback: $(printf '%s' "$BODY" | jq -r '.placement.fallback_reason'))"
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
expect "the server process runs as app (uid ${srv:-none})" test "$(docker exec "$PREFIX-main" id -un "${srv:-x}" 2>/dev/null)" = app
if [ "${IMAGE_TEST_DEFAULT:-1}" = 1 ]; then
    t0=$(now); call POST /
    STEP2_DEFAULT=$BODY
    expect "POST / (default experiment, $(printf '%s' "$BODY" | jq -r '.bytes // "?"') bytes): 200, exact on node 0" \
        eval '[ "$STATUS" = 200 ] && exact_node0'
    figure "default experiment through the watchdog: $(since "$t0") s"
fi
docker rm -f "$PREFIX-main" >/dev/null

echo "== (4) --privileged"
start priv --privileged
if wait_200 "/?$SMALL" 60; then
    expect "privileged: 200, exact on node 0" exact_node0
    expect "privileged: placement.source move_pages" jqt '.placement.source == "move_pages"'
else ko "privileged: no 200 (HTTP $STATUS)"; logs priv | tail -n 5; fi
docker rm -f "$PREFIX-priv" >/dev/null

echo "== (5) no capability"
start nocap
if wait_exit nocap 30; then
    code=$(docker inspect -f '{{.State.ExitCode}}' "$PREFIX-nocap")
    expect "no capability: the container exits non-zero (exit $code)" test "$code" != 0
    expect "no capability: its log names CAP_SYS_NICE" eval 'logs nocap | grep -q CAP_SYS_NICE'
    echo "     log: $(logs nocap | grep CAP_SYS_NICE | head -n 1)"
    expect "no capability: one line" test "$(logs nocap | wc -l)" = 1
else ko "no capability: the container is still running after 30 s"; fi
docker rm -f "$PREFIX-nocap" >/dev/null

echo "== a node outside the allowed ones (fprocess override)"
start badnode --cap-add SYS_NICE -e fprocess="numactl --membind 7 /home/app/server"
if wait_exit badnode 30; then
    expect "fprocess --membind 7: exits non-zero, says so" eval '[ "$(docker inspect -f "{{.State.ExitCode}}" "$PREFIX-badnode")" != 0 ] && logs badnode | grep -q "numactl options were refused"'
else ko "fprocess --membind 7: still running after 30 s"; fi
docker rm -f "$PREFIX-badnode" >/dev/null

echo "== (6) --memory 512m"
start mem --cap-add SYS_NICE --memory 512m
if wait_200 "/?$SMALL" 60; then
    call POST "/?chunk_mb=2&iterations=512"
    expect "1 GiB under a 512 MiB limit: 422 JSON refusal ($(printf '%s' "$BODY" | jq -r '.error // empty' | cut -c1-100))" \
        eval '[ "$STATUS" = 422 ] && jqt ".error | length > 0"'
    call POST "/?$SMALL"
    expect "still serving after the refusal" test "$STATUS" = 200
    expect "the container was not OOM-killed" test "$(docker inspect -f '{{.State.OOMKilled}} {{.State.Running}}' "$PREFIX-mem")" = "false true"
else ko "memory limit: no 200 (HTTP $STATUS)"; fi
docker rm -f "$PREFIX-mem" >/dev/null

echo "== (7) docker stop during an experiment"
start stop --cap-add SYS_NICE
if wait_200 "/?$SMALL" 60; then
    curl -s -m 60 -o "$tmp/inflight" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/?$SMALL&hold_ms=3000" >"$tmp/inflight.code" &
    cpid=$!
    sleep 1
    t0=$(now)
    docker stop -t 30 "$PREFIX-stop" >/dev/null
    took=$(since "$t0")
    wait "$cpid" || true
    code=$(docker inspect -f '{{.State.ExitCode}}' "$PREFIX-stop")
    expect "docker stop: exit 0 (exit $code) within the 30 s grace period ($took s)" \
        eval '[ "$code" = 0 ] && awk -v t="$took" "BEGIN { exit !(t < 30) }"'
    expect "the in-flight experiment completed with 200" \
        eval '[ "$(cat "$tmp/inflight.code")" = 200 ] && jq -e ".params.hold_ms == 3000" "$tmp/inflight" >/dev/null'
    figure "docker stop with an experiment in flight: $took s"
else ko "stop: no 200"; fi
docker rm -f "$PREFIX-stop" >/dev/null

echo "== --read-only --tmpfs /tmp"
start ro --cap-add SYS_NICE --read-only --tmpfs /tmp
if wait_200 "/?$SMALL" 60; then expect "read-only root: 200, exact on node 0" exact_node0
else ko "read-only root: no 200 (HTTP $STATUS)"; logs ro | tail -n 5; fi
docker rm -f "$PREFIX-ro" >/dev/null

echo "== NUMA_WATCHDOG_BIND=\"--membind 0\""
start wd --cap-add SYS_NICE -e NUMA_WATCHDOG_BIND="--membind 0"
if wait_200 "/?$SMALL" 60; then
    expect "watchdog bound too: 200, exact on node 0" exact_node0
    expect "the watchdog (pid 1) runs under bind:0" eval 'docker exec "$PREFIX-wd" grep -q " bind:0 " /proc/1/numa_maps'
else ko "watchdog bind: no 200 (HTTP $STATUS)"; logs wd | tail -n 5; fi
docker rm -f "$PREFIX-wd" >/dev/null

echo "== the Kubernetes patches' securityContexts as docker flags"
FLAGS_OUT=$tmp/flags "$ROOT/tests/k8s/run.sh" >"$tmp/k8s.log" || { cat "$tmp/k8s.log"; ko "tests/k8s/run.sh"; }
for f in least-privilege privileged; do
    read -r -a flags <"$tmp/flags/$f.flags"
    start "k8s-$f" "${flags[@]}"
    if wait_200 "/?$SMALL" 60; then
        expect "$f.yaml as \`${flags[*]}\`: 200, exact on node 0 (source $(printf '%s' "$BODY" | jq -r .placement.source))" exact_node0
    else ko "$f.yaml as \`${flags[*]}\`: no 200 (HTTP $STATUS)"; logs "k8s-$f" | tail -n 5; fi
    docker rm -f "$PREFIX-k8s-$f" >/dev/null
done

# ---------------------------------------------------------------------------------------------------
echo "== step 2's answer (POST /?$SMALL)"
printf '%s\n' "$STEP2_SMALL" | jq -c . | cut -c1-4000
echo "== figures (watchdog: $WATCHDOG)"
for f in "${FIGURES[@]}"; do echo "   $f"; done
echo "image-test: $pass passed, $fail failed"
[ "$fail" = 0 ]
