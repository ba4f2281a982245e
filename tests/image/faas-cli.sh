# faas-cli.sh: the image suite's faas-cli steps, each as a user types it, with the real faas-cli:
# template pull of a clone, new, build --shrinkwrap, build (then cached), local-run --print run with
# --cap-add SYS_NICE, a second function with its own cmocka test (passing, then failing), `faas-cli
# build -f stack.yml`, and last a build with --no-cache (the cold figure). Sourced by tests/image/run.sh (tests/lib.sh and docker.sh loaded); sets IMAGE.

section "faas-cli template pull, new"
git clone -q "$ROOT" "$tmp/repo"
if [ "${IMAGE_TEST_WORKTREE:-0}" = 1 ]; then
    # Development: the working tree's template, functions and stack, committed or not, in the clone.
    rm -rf "$tmp/repo/template" "$tmp/repo/functions"
    cp -R "$ROOT/template" "$ROOT/functions" "$ROOT/stack.yml" "$tmp/repo/"
    rm -rf "$tmp/repo/template/c-debian-numa/build"
    git -C "$tmp/repo" add -A && git -C "$tmp/repo" -c user.name=t -c user.email=t@t commit -qm worktree
fi
mkdir -p "$tmp/scratch" && cd "$tmp/scratch"
faas-cli template pull "$tmp/repo" >"$tmp/pull.log" 2>&1 || { cat "$tmp/pull.log"; fail "faas-cli template pull"; }
expect "template pull: template/c-debian-numa with template.yml and Dockerfile" \
    test -f template/c-debian-numa/template.yml -a -f template/c-debian-numa/Dockerfile
faas-cli new hello-numa --lang c-debian-numa >"$tmp/new.log" 2>&1 || { cat "$tmp/new.log"; fail "faas-cli new"; }
expect "new --lang c-debian-numa: ./hello-numa/handler.c and stack.yaml (lang, handler, image)" eval \
    'test -f hello-numa/handler.c && grep -qx "    lang: c-debian-numa" stack.yaml &&
     grep -qx "    handler: ./hello-numa" stack.yaml && grep -qx "    image: hello-numa:latest" stack.yaml'
expect "new: the welcome message names the next steps and CAP_SYS_NICE" grep -q 'CAP_SYS_NICE' "$tmp/new.log"

section "faas-cli build --shrinkwrap"
# As a user types it, so CI unset (CI=true or 1, as CI machines set it, makes faas-cli skip the 0700).
env -u CI faas-cli build -f stack.yaml --shrinkwrap >"$tmp/shrinkwrap.log" 2>&1 ||
    { cat "$tmp/shrinkwrap.log"; fail "build --shrinkwrap"; }
# The build context: the whole template folder, the handler folder over function/, both mode 0700.
expect "shrinkwrap: build/hello-numa is the template folder (Dockerfile, Makefile, handler.h, numa_toolkit.h, src/, tests/)" eval \
    'diff -r --exclude function template/c-debian-numa build/hello-numa >/dev/null &&
     test -f build/hello-numa/src/main.c -a -f build/hello-numa/numa_toolkit.h -a -f build/hello-numa/tests/test_toolkit.c'
expect "shrinkwrap: build/hello-numa/function is the handler folder" diff -r hello-numa build/hello-numa/function
expect "shrinkwrap: both folders mode 0700 (CI unset)" \
    test "$(stat -c %a build/hello-numa build/hello-numa/function | tr '\n' ' ')" = "700 700 "

section "faas-cli build"
# A plain build (fills the layer cache), then the same again: the cached figure. The cold figure
# (--no-cache) is this file's last build: while other builds of the same Dockerfile run on the same
# engine, the legacy builder's cache lookups pick the newest matching layer, which may still lack the
# next one, so a build right after a --no-cache build can miss the cache.
if ! faas-cli build -f stack.yaml >"$tmp/build-first.log" 2>&1; then
    fail "build hello-numa"; tail -n 30 "$tmp/build-first.log"; exit 1
fi
expect "the build ran the unit tests (make unit) in the image" grep -q 'test(s) run' "$tmp/build-first.log"
t0=$(now)
if faas-cli build -f stack.yaml >"$tmp/build-cached.log" 2>&1; then
    ok "build hello-numa again (cached)"; figure "build cached (unchanged function): $(since "$t0") s"
else fail "build hello-numa again (cached)"; fi

section "faas-cli local-run --print, run with --cap-add SYS_NICE"
faas-cli local-run hello-numa --print --build=false >"$tmp/local-run.txt" 2>&1 || fail "local-run --print"
# Printed as Go's exec.Cmd.String(): arguments joined with spaces, unquoted. fprocess comes last before
# the image, so everything from -e=fprocess= up to the last word is its value.
read -r -a words <<<"$(grep -E '^[^ ]*docker run ' "$tmp/local-run.txt" | head -n 1)"
[ ${#words[@]} -gt 2 ] || { cat "$tmp/local-run.txt"; fail "local-run --print printed no docker run"; exit 1; }
run_args=() lr_fprocess="" lr_image=${words[${#words[@]}-1]}
for ((i = 2; i < ${#words[@]} - 1; i++)); do
    case ${words[i]} in
    -e=fprocess=*) lr_fprocess="${words[*]:i:${#words[@]}-1-i}"; lr_fprocess=${lr_fprocess#-e=fprocess=}; break ;;
    --name) i=$((i + 1)); run_args+=(--name "$PREFIX-local-run") ;; # named for this suite's clean-up
    -p=*:8080) run_args+=(-p=127.0.0.1::8080) ;;                    # loopback only
    *) run_args+=("${words[i]}") ;;
    esac
done
expect "local-run --print: docker run of hello-numa:latest with template.yml's fprocess ($lr_fprocess)" eval \
    '[ "$lr_image" = hello-numa:latest ] && [ "${words[1]:-}" = run ] &&
     [ "$lr_fprocess" = "$(sed -n "s/^fprocess: //p" template/c-debian-numa/template.yml)" ]'
echo "     printed: $(grep -E '^[^ ]*docker run ' "$tmp/local-run.txt" | head -n 1)"
docker "${words[1]:-run}" -d --cap-add SYS_NICE "${run_args[@]}" -e "fprocess=$lr_fprocess" "$lr_image" >/dev/null ||
    fail "local-run's docker run"
port_of local-run
if served local-run "local-run + --cap-add SYS_NICE" POST /; then
    expect "local-run + --cap-add SYS_NICE: POST / 200 from hello-numa" jq_true '.message == "Hello from c-debian-numa"'
    call GET /policy
    expect "local-run: GET /policy: policy bind, nodes [0] (read back)" \
        jq_true '.policy == "bind" and .policy_nodes == [0]'
    expect "local-run: the container carries local-run's environment" \
        eval 'docker exec "$PREFIX-local-run" sh -c "[ \"\$OPENFAAS_NAME\" = hello-numa ]"'
fi
stop_rm local-run

section "a second function: faas-cli new body-probe, a handler on the NUMA toolkit with a cmocka test"
probe_function() { # probe_function NAME: faas-cli new NAME, then body-probe's handler, and its test over the sample's tests/test_handler.c
    faas-cli new "$1" --lang c-debian-numa --append stack.yaml >/dev/null 2>&1 &&
        rm -f "$1/handler.c" && cp -R "$ROOT/tests/image/body-probe/." "$1/"
}
probe_function body-probe || fail "faas-cli new body-probe --append stack.yaml"
if faas-cli build -f stack.yaml --filter body-probe >"$tmp/build-probe.log" 2>&1; then
    ok "build body-probe"
    expect "body-probe's cmocka test ran in the build stage (3 tests, passed)" eval \
        'grep -q "== build/tests/test_handler" "$tmp/build-probe.log" &&
         grep -q "OK \] probe_fnv1a64_known_vectors" "$tmp/build-probe.log" &&
         grep -A 12 "== build/tests/test_handler" "$tmp/build-probe.log" | grep -q "PASSED  \] 3 test(s)"'
else fail "build body-probe"; tail -n 30 "$tmp/build-probe.log"; fi

# The same function with one expected value broken: its test fails, so the build fails, no image.
probe_function body-probe-broken || fail "faas-cli new body-probe-broken --append stack.yaml"
sed -i 's/0xaf63dc4c8601ec8c/0xaf63dc4c8601ec8d/' body-probe-broken/tests/test_handler.c
docker image rm -f body-probe-broken:latest >/dev/null 2>&1 || true
if faas-cli build -f stack.yaml --filter body-probe-broken >"$tmp/build-broken.log" 2>&1; then
    fail "a failing function test fails faas-cli build (the build succeeded)"
else
    expect "a failing function test fails faas-cli build, named in its log, no image" eval \
        'grep -q "FAILED  \] probe_fnv1a64_known_vectors" "$tmp/build-broken.log" &&
         ! docker image inspect body-probe-broken:latest >/dev/null 2>&1'
    echo "     log: $(grep -m 1 'test_handler.c:[0-9]*: error' "$tmp/build-broken.log" | sed 's/\x1b\[[0-9;]*m//g')"
fi
# The legacy builder keeps the container of the step that failed: the last "Running in" of the log.
failed_step=$(sed -n 's/.*Running in \([0-9a-f]\{12,\}\).*/\1/p' "$tmp/build-broken.log" | tail -n 1)
[ -z "$failed_step" ] || docker rm -f "$failed_step" >/dev/null 2>&1 || true

section "faas-cli build -f stack.yml (test-numa-function)"
cd "$tmp/repo"
t0=$(now)
if faas-cli build -f stack.yml >"$tmp/build-fn.log" 2>&1; then
    IMAGE=$(sed -n 's/^Successfully tagged //p' "$tmp/build-fn.log" | tail -n 1)
    ok "build test-numa-function from stack.yml ($IMAGE)"; figure "build test-numa-function: $(since "$t0") s"
else fail "build test-numa-function"; tail -n 30 "$tmp/build-fn.log"; exit 1; fi
expect "the image is stack.yml's, with the default REGISTRY" test "$IMAGE" = localhost:5000/test-numa-function:latest
image_fprocess=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed -n 's/^fprocess=//p')
expect "the image's ENV fprocess is template.yml's ($image_fprocess)" \
    test "$image_fprocess" = "$(sed -n 's/^fprocess: //p' "$tmp/repo/template/c-debian-numa/template.yml")"
figure "image size $IMAGE: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.1f MB", $1 / 1e6 }')"

# Every Debian package of both stages installed again, when asked (IMAGE_TEST_COLD=1): on a fresh
# machine the first build above is already cold.
if [ "${IMAGE_TEST_COLD:-0}" = 1 ]; then
    cd "$tmp/scratch"
    t0=$(now)
    if faas-cli build -f stack.yaml --filter hello-numa --no-cache >"$tmp/build-cold.log" 2>&1; then
        ok "build hello-numa --no-cache"; figure "build cold (--no-cache): $(since "$t0") s"
    else fail "build hello-numa --no-cache"; tail -n 30 "$tmp/build-cold.log"; fi
fi
cd "$tmp"
