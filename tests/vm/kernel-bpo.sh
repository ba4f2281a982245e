#!/usr/bin/env bash
# tests/vm/kernel-bpo.sh: owns the tiered guest's kernel: Debian's bookworm-backports 6.12 kernel
# (memory tiers with HMAT-based abstract distance, MPOL_WEIGHTED_INTERLEAVE, demotion, NUMA
# balancing's tiering mode). The system's apt sources are not touched: a private sources.list names
# bookworm-backports on the mirror the system already uses, with its own lists and cache under
# VM_DIR/apt. The package is fetched with `apt-get download` once (cached) and unpacked with
# `dpkg-deb -x`; nothing is installed on the host. Its bzImage is zstd-compressed: QEMU boots it as is.
#   usage: tests/vm/kernel-bpo.sh [VM_DIR]     prints the path of the vmlinuz (VM_DIR/kernel-release too)
set -euo pipefail
VM_DIR=${1:-build/vm/6.12}
mkdir -p "$VM_DIR"
VM_DIR=$(cd "$VM_DIR" && pwd)
VMLINUZ=$VM_DIR/vmlinuz
if [ -s "$VMLINUZ" ] && [ -s "$VM_DIR/kernel-release" ]; then
    echo "$VMLINUZ"
    exit 0
fi

# The Debian mirror of the system's own sources (deb822 .sources or one-line lists).
mirror() {
    {
        cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *\([^ ]*\).*/\1/p'
        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p'
    } | grep -v -e security -e '^$' | head -n 1
}
APT=$VM_DIR/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
m=$(mirror || true)
[ -n "$m" ] || m=http://deb.debian.org/debian
echo "deb $m bookworm-backports main" > "$APT/sources.list"
OPTS=(-o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache")
# The package backports' linux-image-amd64 points at (linux-image-6.12.*+deb12-amd64).
pick_package() {
    apt-cache "${OPTS[@]}" depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-6\.[0-9]*\.[0-9]*+[a-z0-9]*-amd64\)$/\1/p' | head -n 1
}
deb=$(ls "$VM_DIR"/linux-image-6.*-amd64_*.deb 2>/dev/null | grep -v -- '-unsigned_' | head -n 1 || true)
if [ -z "$deb" ]; then
    echo "vm: fetching bookworm-backports' package list from $m (private lists in $APT)" >&2
    timeout 300 apt-get -q "${OPTS[@]}" update >&2
    pkg=$(pick_package)
    [ -n "$pkg" ] || { echo "vm: no linux-image-6.x+deb12-amd64 in bookworm-backports" >&2; exit 1; }
    echo "vm: downloading $pkg" >&2
    (cd "$VM_DIR" && timeout 600 apt-get -q "${OPTS[@]}" -o APT::Sandbox::User=root download "$pkg" >&2)
    deb=$(ls "$VM_DIR"/"$pkg"_*.deb | head -n 1)
fi

tmp=$VM_DIR/kernel.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
# Only the kernel image is needed: the guest loads no modules.
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
bz=$(ls "$tmp"/boot/vmlinuz-* | head -n 1)
[ -s "$bz" ] || { echo "vm: no vmlinuz in $deb" >&2; exit 1; }
mv "$bz" "$VMLINUZ.tmp"
mv "$VMLINUZ.tmp" "$VMLINUZ"
basename "$bz" | sed 's/^vmlinuz-//' > "$VM_DIR/kernel-release"
rm -rf "$tmp"
echo "$VMLINUZ"
