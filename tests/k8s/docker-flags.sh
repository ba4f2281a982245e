#!/bin/sh
# docker-flags.sh: prints the `docker run` flags equivalent to a container securityContext (JSON on stdin,
# as in a patched Deployment), plus a tmpfs for each emptyDir mount given as arguments (paths).
#   privileged -> --privileged; capabilities.drop/add -> --cap-drop/--cap-add; runAsUser/runAsGroup ->
#   --user; allowPrivilegeEscalation false -> --security-opt no-new-privileges; readOnlyRootFilesystem ->
#   --read-only; seccompProfile Unconfined -> --security-opt seccomp=unconfined (RuntimeDefault: Docker's
#   default profile, the same rules for these system calls).
set -eu
sc=$(cat)
jq -r --arg mounts "$*" '
  [ (if .privileged == true then "--privileged" else empty end),
    (.capabilities.drop // [] | .[] | "--cap-drop=" + .),
    (.capabilities.add // [] | .[] | "--cap-add=" + .),
    (if .runAsUser != null then "--user=" + (.runAsUser|tostring) + (if .runAsGroup != null then ":" + (.runAsGroup|tostring) else "" end) else empty end),
    (if .allowPrivilegeEscalation == false then "--security-opt=no-new-privileges" else empty end),
    (if .readOnlyRootFilesystem == true then "--read-only" else empty end),
    (if .seccompProfile.type == "Unconfined" then "--security-opt=seccomp=unconfined" else empty end),
    ($mounts | split(" ") | .[] | select(length > 0) | "--tmpfs=" + .)
  ] | join(" ")' <<JSON
$sc
JSON
