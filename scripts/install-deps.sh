#!/bin/sh
# install-deps.sh: installs the Debian packages named as arguments that are not installed yet.
# Runs `apt-get update` once, only when something is missing. A package named `kubectl` is
# satisfied by any kubectl on PATH, else installed from Debian's kubernetes-client.
set -eu
missing=""
for p in "$@"; do
    if [ "$p" = kubectl ]; then
        command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
        continue
    fi
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages:$missing (run as root, or install them)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
