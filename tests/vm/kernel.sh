#!/usr/bin/env bash
# tests/vm/kernel.sh: owns the guest kernel. Fetches Debian's linux-image-6.1.0-*-amd64 with
# `apt-get download` into build/vm/ (once; cached), unpacks it with `dpkg-deb -x` (nothing is installed
# on the host) and extracts the uncompressed vmlinux from the bzImage's xz payload, so QEMU boots it
# through its PVH entry (much faster under TCG than decompressing a bzImage).
#   usage: tests/vm/kernel.sh [VM_DIR]     prints the path of the vmlinux
set -euo pipefail
VM_DIR=${1:-build/vm}
mkdir -p "$VM_DIR"
VM_DIR=$(cd "$VM_DIR" && pwd)
VMLINUX=$VM_DIR/vmlinux
if [ -s "$VMLINUX" ]; then
    echo "$VMLINUX"
    exit 0
fi

# Which kernel package: the one Debian's linux-image-amd64 meta-package points at today.
pick_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1
}
deb=$(ls "$VM_DIR"/linux-image-6.1.0-*-amd64_*.deb 2>/dev/null | grep -v -- '-unsigned_' | head -n 1 || true)
if [ -z "$deb" ]; then
    pkg=$(pick_package)
    if [ -z "$pkg" ]; then
        echo "vm: no package list yet, running apt-get update" >&2
        timeout 300 apt-get update -q >&2
        pkg=$(pick_package)
    fi
    [ -n "$pkg" ] || { echo "vm: cannot find a linux-image-6.1.0-*-amd64 package" >&2; exit 1; }
    echo "vm: downloading $pkg" >&2
    (cd "$VM_DIR" && timeout 600 apt-get download -q "$pkg" >&2)
    deb=$(ls "$VM_DIR"/"$pkg"_*.deb | head -n 1)
fi

tmp=$VM_DIR/kernel.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
dpkg-deb -x "$deb" "$tmp"
bz=$(ls "$tmp"/boot/vmlinuz-* | head -n 1)
[ -s "$bz" ] || { echo "vm: no vmlinuz in $deb" >&2; exit 1; }
# The bzImage's payload is an xz stream: find its magic (FD 37 7A 58 5A 00) and decompress from there.
off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$bz" | head -n 1 | cut -d: -f1)
[ -n "$off" ] || { echo "vm: no xz payload in $bz" >&2; exit 1; }
# (--single-stream stops at the stream's end; the bzImage's trailer after it is ignored.)
xz -dc --single-stream < <(tail -c +"$((off + 1))" "$bz") > "$VMLINUX.tmp"
# Sanity: an ELF file.
[ "$(head -c 4 "$VMLINUX.tmp" | od -An -c | tr -d ' ')" = '177ELF' ] ||
    { echo "vm: extracted payload is not an ELF vmlinux" >&2; rm -f "$VMLINUX.tmp"; exit 1; }
mv "$VMLINUX.tmp" "$VMLINUX"
basename "$bz" | sed 's/^vmlinuz-//' > "$VM_DIR/kernel-release"
rm -rf "$tmp"
echo "$VMLINUX"
