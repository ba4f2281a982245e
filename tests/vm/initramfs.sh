#!/usr/bin/env bash
# tests/vm/initramfs.sh: owns the guest's root filesystem. Builds a gzip'd newc initramfs holding
# busybox-static, bash, numactl, curl, jq, the server under test (optional) and every shared library
# ldd names for them, plus the guest scripts of tests/vm/guest/ (/init and the cases).
#   usage: tests/vm/initramfs.sh OUT.cpio.gz [SERVER_BINARY]      env: VM_FWATCHDOG (see below)
# Without SERVER_BINARY (or VM_FWATCHDOG) every case that needs it fails in the guest.
set -euo pipefail
OUT=$1
SERVER=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT_DIR=$(cd "$(dirname "$OUT")" && pwd)
ROOT=$OUT_DIR/$(basename "$OUT").root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,run,etc,root,vm,srv} "$ROOT"/usr/{bin,sbin} \
    "$ROOT"/usr/lib/x86_64-linux-gnu "$ROOT"/usr/lib64
# usr-merged layout, as on Debian 12: ldd's /lib/... and /usr/lib/... paths both resolve.
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"

need() { command -v "$1" >/dev/null 2>&1 || { echo "vm: $1 is missing (make deps)" >&2; exit 1; }; }
for t in busybox numactl memhog curl jq bash ldd cpio gzip; do need "$t"; done
BUSYBOX=/bin/busybox
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$BUSYBOX" || { echo "vm: $BUSYBOX is not busybox-static" >&2; exit 1; }

# Programs go to their guest path; the libraries ldd names for them are gathered and copied once per
# directory (forks are the cost here), /lib* paths to /usr/lib* (the layout is usr-merged).
declare -A LIBS_BY_DIR=()
add_prog() {
    local src=$1 dest=$2 out lib dir
    cp -L "$src" "$ROOT$dest"
    if ! out=$(ldd "$src" 2>/dev/null); then
        return 0  # static
    fi
    if grep -q 'not found' <<<"$out"; then
        echo "vm: $src has unresolved libraries:" >&2
        grep 'not found' <<<"$out" >&2
        exit 1
    fi
    # ldd lines: "libx.so => /path (0x..)" or "/lib64/ld-linux-x86-64.so.2 (0x..)".
    while read -r lib; do
        [ -n "$lib" ] || continue
        dir=${lib%/*}
        case $dir in /lib|/lib/*|/lib64|/lib64/*) dir=/usr$dir ;; esac
        LIBS_BY_DIR[$dir]+=" $lib"
    done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out")
}

cp "$BUSYBOX" "$ROOT/bin/busybox"
add_prog "$(command -v bash)" /usr/bin/bash
ln -s ../usr/bin/bash "$ROOT/bin/bash"
add_prog "$(command -v numactl)" /usr/bin/numactl
add_prog "$(command -v memhog)" /usr/bin/memhog    # the second process that presses on a node
add_prog "$(command -v curl)" /usr/bin/curl
add_prog "$(command -v jq)" /usr/bin/jq
if [ -n "$SERVER" ]; then
    [ -x "$SERVER" ] || { echo "vm: $SERVER is not an executable" >&2; exit 1; }
    add_prog "$SERVER" /srv/server
fi
# VM_FWATCHDOG: a static of-watchdog for the seed scenario (guest/seed.sh), with the template's entrypoint.
if [ -n "${VM_FWATCHDOG:-}" ]; then
    file_is_static "$VM_FWATCHDOG" || { echo "vm: $VM_FWATCHDOG is not a static binary" >&2; exit 1; }
    install -D -m 0755 "$VM_FWATCHDOG" "$ROOT/usr/bin/fwatchdog"
    install -D -m 0755 "$HERE/../../template/c-debian-numa/entrypoint.sh" "$ROOT/usr/local/bin/c-debian-numa-entrypoint"
fi
for dir in "${!LIBS_BY_DIR[@]}"; do
    mkdir -p "$ROOT$dir"
    # shellcheck disable=SC2086 # a list of absolute paths without spaces
    cp -L $(tr ' ' '\n' <<<"${LIBS_BY_DIR[$dir]}" | sort -u) "$ROOT$dir/"
done
chmod 0755 "$ROOT"/usr/bin/* "$ROOT"/bin/busybox

install -m 0755 "$HERE/guest/init" "$ROOT/init"
install -m 0755 "$HERE"/guest/*.sh "$ROOT/vm/"
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$ROOT/etc/passwd"
printf 'root:x:0:\n' > "$ROOT/etc/group"
printf '127.0.0.1 localhost\n' > "$ROOT/etc/hosts"

(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -6 > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
rm -rf "$ROOT"
echo "$OUT"
