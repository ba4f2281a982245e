# tests/k8s-e2e/scenarios-base.sh: the function before any patch, sourced by run.sh (lib.sh, node.sh,
# checks.sh loaded): its image built by the real faas-cli from stack.yml and imported into containerd; the
# Deployment faas-netes would make; on the kubelet's default (seccompDefault: false) it runs unpatched with
# placement from move_pages; on seccompDefault: true it crash-loops with the line naming CAP_SYS_NICE.

scenario_image() {
    section "the function's image: faas-cli build -f stack.yml, imported with ctr"
    if ! timeout 2400 "$ROOT/tests/image/base-images.sh" >"$LOGS/base-images.log" 2>&1; then
        fail "base images, faas-cli and of-watchdog (tests/image/base-images.sh)"; tail -n 20 "$LOGS/base-images.log"
        return 1
    fi
    src=$RUN/fn-src
    rm -rf "$src" && mkdir -p "$src"
    cp -R "$ROOT/template" "$ROOT/functions" "$ROOT/stack.yml" "$src/"
    rm -rf "$src/template/c-debian-numa/build"
    t0=$(now)
    if (cd "$src" && REGISTRY=cdn-k8s-e2e.local timeout 1800 faas-cli build -f stack.yml) \
        >"$LOGS/faas-cli-build.log" 2>&1 && docker image inspect "$FN_IMAGE" >/dev/null 2>&1; then
        ok "faas-cli build -f stack.yml with REGISTRY=cdn-k8s-e2e.local: $FN_IMAGE"
        figure "faas-cli build -f stack.yml: $(since "$t0") s"
    else fail "faas-cli build -f stack.yml"; tail -n 30 "$LOGS/faas-cli-build.log"; return 1; fi
    t0=$(now)
    if docker save -o "$RUN/fn.tar" "$FN_IMAGE" && import_image "$FN_IMAGE" "$RUN/fn.tar"; then
        ok "docker save | ctr -n k8s.io images import: $FN_IMAGE listed by ctr images ls"
        figure "docker save + ctr images import of the function: $(since "$t0") s"
    else fail "$FN_IMAGE imported into the cluster's containerd"; return 1; fi
    rm -f "$RUN/fn.tar"
}

scenario_deploy() {
    section "the Deployment faas-netes makes (namespace $NS), unpatched, kubelet seccompDefault: false"
    (cd "$RUN/fn-src" && REGISTRY=cdn-k8s-e2e.local faas-cli generate -f stack.yml) >"$RUN/function.yaml" &&
        python3 "$HERE/deployment.py" "$RUN/fn-src/stack.yml" "$FN" <"$RUN/function.yaml" >"$RUN/deployment.json" ||
        { fail "faas-cli generate -f stack.yml -> deployment.py"; return 1; }
    C='.spec.template.spec.containers[0]'
    if jq -e "(.spec.template.metadata.labels.faas_function == \"$FN\") and ($C.name == \"$FN\")
        and ($C.image == \"$FN_IMAGE\") and ($C.imagePullPolicy == \"Never\")
        and ($C.ports == [{\"name\": \"http\", \"containerPort\": 8080, \"protocol\": \"TCP\"}])
        and ($C.livenessProbe.exec.command == [\"cat\", \"/tmp/.lock\"]) and ($C.readinessProbe.exec.command == [\"cat\", \"/tmp/.lock\"])
        and ($C.env[0] == {\"name\": \"fprocess\", \"value\": \"numactl --membind 0 /home/app/server\"})
        and ([$C.env[] | select(.name == \"write_timeout\")][0].value == \"125s\")
        and ($C.resources == {\"limits\": {\"memory\": \"3Gi\"}, \"requests\": {\"memory\": \"256Mi\"}})
        and ($C.securityContext == {\"allowPrivilegeEscalation\": false, \"readOnlyRootFilesystem\": false})" \
        "$RUN/deployment.json" >/dev/null; then
        ok "Deployment from the stack: labels faas_function, container $FN on 8080, exec probes cat /tmp/.lock, fprocess first, stack env, limits 3Gi / requests 256Mi, pull Never"
    else fail "Deployment shape"; jq -c "$C" "$RUN/deployment.json"; fi
    k create namespace "$NS" >/dev/null || { fail "namespace $NS"; return 1; }
    t0=$(now)
    kn apply -f "$RUN/deployment.json" >/dev/null || { fail "kubectl apply the Deployment"; return 1; }
    if ! kn rollout status "deployment/$FN" --timeout=180s >"$LOGS/rollout.log" 2>&1; then
        fail "unpatched Deployment rolled out within 180 s"; describe_pods; return 1
    fi
    pod=$(fn_pod)
    pod_call "$pod" "iterations=64"
    if [ "$STATUS" = 200 ]; then
        ok "unpatched, seccompDefault false: POST /?iterations=64 answers 200 ($pod)"
        figure "Deployment applied to first 200: $(since "$t0") s"
    else fail "unpatched, seccompDefault false: 200 (HTTP $STATUS: $(printf '%s' "$BODY" | cut -c1-300))"; describe_pods; return 1; fi
    expect "unpatched: every page on node 0 under the fprocess bind, sampled by move_pages (pod Unconfined)" \
        eval 'placed_on_node0 && counted_and_sampled_by move_pages'
    expect "unpatched: the function sees the pod's 3Gi memory limit in its cgroup ($(printf '%s' "$BODY" | jq -r '.cgroup.limit_file'))" \
        jq_true '.cgroup.limit == 3221225472'
    inspect "$pod"
    LINES_UNPATCHED="$(status_line)uid=$(field uid | cut -d' ' -f1) rootfs=$(field rootfs)"
    note "in the pod (unpatched, seccompDefault false): $LINES_UNPATCHED"
    expect "unpatched, seccompDefault false: Seccomp 0 (Unconfined), user 1000, root writable (faas-netes' default)" \
        eval '[ "$(field Seccomp)" = 0 ] && [ "$(field uid)" = "1000 gid=1000" ] && [ "$(field rootfs)" = rw ]'
}

crash_looping() { # the newest pod restarted after exit 1
    kn get pods -l "faas_function=$FN" -o json | jq -e '[.items[] | select(.metadata.deletionTimestamp == null)
        | .status.containerStatuses[0]? | select(.restartCount >= 1 and .lastState.terminated.exitCode == 1)]
        | length >= 1' >/dev/null
}
scenario_seccomp_default() {
    section "kubelet seccompDefault: true (RuntimeDefault for every pod): the unpatched function crash-loops"
    kubelet_stop
    kubelet_start true || return 1
    kn delete pods -l "faas_function=$FN" --wait=false >/dev/null
    if wait_for 180 crash_looping; then
        # The kubelet keeps one dead container per pod and removes the older one when the next attempt
        # dies; until the pod's status names that attempt, the kubelet answers "unable to retrieve
        # container logs" (with success): read again, bounded, until the line is there.
        i=0
        while [ $i -lt 15 ]; do
            pod=$(kn get pods -l "faas_function=$FN" -o json | jq -r '[.items[] | select(.metadata.deletionTimestamp == null)
                | select(.status.containerStatuses[0].restartCount >= 1)][0].metadata.name')
            kn logs "$pod" -c "$FN" --previous >"$RUN/previous.log" 2>&1 &&
                grep -q "CAP_SYS_NICE" "$RUN/previous.log" && break
            i=$((i + 1)); sleep 2
        done
        note "kubectl logs --previous: $(cat "$RUN/previous.log")"
        expect "seccompDefault true, unpatched: exit 1, restarted; kubectl logs --previous is one line naming CAP_SYS_NICE" \
            eval '[ "$(wc -l <"$RUN/previous.log")" = 1 ] && grep -q "^c-debian-numa: cannot set a NUMA memory policy .*CAP_SYS_NICE" "$RUN/previous.log"'
    else fail "seccompDefault true, unpatched: the pod restarts after exit 1 within 180 s"; describe_pods; fi
}
