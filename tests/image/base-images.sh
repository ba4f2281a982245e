#!/bin/sh
# base-images.sh: makes, once, what the image build and the image suite need where no container
# registry can be reached:
#   debian:bookworm-slim                 debootstrap --variant=minbase bookworm, then docker import
#   $OPENFAAS_OUT/faas-cli, fwatchdog    faas-cli 0.18.12 and of-watchdog 0.11.6, built offline from their
#   ghcr.io/openfaas/of-watchdog:0.11.6  release source by $OPENFAAS_SRC/build.sh (Go >= 1.26)
# Whatever already exists is kept: a second run rebuilds nothing. Exits non-zero when any of them cannot
# be made. On a machine that can pull images the Debian image is pulled as usual; the template's
# Dockerfile does not depend on this script.
# Environment: OPENFAAS_OUT (default build/openfaas), OPENFAAS_SRC (default third_party/openfaas of the
# shared folder beside the repository), DEBIAN_MIRROR (default: first Debian URI in apt's sources).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OPENFAAS_OUT=${OPENFAAS_OUT:-$ROOT/build/openfaas}
OPENFAAS_SRC=${OPENFAAS_SRC:-$ROOT/../shared/third_party/openfaas}
DEBIAN_IMAGE=debian:bookworm-slim

log() { echo "base-images: $*"; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -n -e 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]*$/\1/p' \
               -e 's/^deb[[:space:]]\{1,\}\(http[^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\1/p' | head -n 1)
    echo "${m:-http://deb.debian.org/debian}"
}

if have_image "$DEBIAN_IMAGE"; then
    log "$DEBIAN_IMAGE present"
else
    command -v debootstrap >/dev/null || { echo "base-images: debootstrap is missing" >&2; exit 1; }
    M=$(mirror)
    log "making $DEBIAN_IMAGE with debootstrap from $M"
    work=$(mktemp -d /tmp/debootstrap.XXXXXX)
    trap 'rm -rf "$work"' EXIT INT TERM
    timeout 1200 debootstrap --variant=minbase bookworm "$work/root" "$M" >"$work/log" 2>&1 ||
        { tail -n 20 "$work/log" >&2; exit 1; }
    # What the official slim image does: the deb822 sources (main, updates, security), no apt caches,
    # no documentation, manual pages or translations (now or in later installs).
    cat >"$work/root/etc/dpkg/dpkg.cfg.d/docker" <<CFG
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
CFG
    find "$work/root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    rm -rf "$work/root/usr/share/man/"* "$work/root/usr/share/info/"* "$work/root/usr/share/locale/"* \
        "$work/root/usr/share/groff/"* "$work/root/usr/share/lintian/"*
    rm -f "$work/root/etc/apt/sources.list"
    cat >"$work/root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$work/root/etc/apt/apt.conf.d/docker-clean"
    echo 'Acquire::Languages "none";' >"$work/root/etc/apt/apt.conf.d/docker-no-languages"
    rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* "$work/root/var/log/"*.log \
        "$work/root/debootstrap"
    tar -C "$work/root" --numeric-owner -c . |
        docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
    rm -rf "$work"; trap - EXIT INT TERM
    log "$DEBIAN_IMAGE made ($(docker image inspect -f '{{.Size}}' "$DEBIAN_IMAGE") bytes)"
fi

# faas-cli, fwatchdog and the watchdog image: build.sh skips the binaries it already built, and the
# image's layers come from Docker's cache when the binary is unchanged.
[ -x "$OPENFAAS_SRC/build.sh" ] || { echo "base-images: $OPENFAAS_SRC/build.sh is missing" >&2; exit 1; }
work=$(mktemp /tmp/openfaas-build.XXXXXX)
trap 'rm -f "$work"' EXIT INT TERM
if ! timeout 1800 "$OPENFAAS_SRC/build.sh" "$OPENFAAS_OUT" --image >"$work" 2>&1; then
    cat "$work" >&2
    echo "base-images: $OPENFAAS_SRC/build.sh failed: faas-cli and of-watchdog cannot be built" >&2
    exit 1
fi
sed -n 's/^build\.sh: /base-images: /p' "$work"
rm -f "$work"; trap - EXIT INT TERM
for f in faas-cli fwatchdog; do
    [ -x "$OPENFAAS_OUT/$f" ] || { echo "base-images: $OPENFAAS_OUT/$f was not built" >&2; exit 1; }
done
