#!/bin/sh
# base-images.sh: makes, once, what the image build needs when no container registry can be reached.
#   debian:bookworm-slim                  debootstrap --variant=minbase bookworm, then docker import
#   ghcr.io/openfaas/of-watchdog:0.11.6   FROM scratch + /fwatchdog built from source (CGO_ENABLED=0)
#   $BIN/faas-cli                         faas-cli 0.18.12 built from source
#   $STANDIN_IMAGE                        only when of-watchdog cannot be built: the test stand-in from
#                                         tests/image/watchdog-standin (see its main.go)
# Whatever already exists is kept: a second run rebuilds nothing. On a machine that can pull images
# none of this is needed; the template's Dockerfile does not depend on it.
# A Go module that the module proxy refuses is reported and skipped (the caller checks what exists).
# Environment: BIN (default ./build/bin), DEBIAN_MIRROR (default: first Debian URI in apt's sources).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
WATCHDOG_IMAGE=ghcr.io/openfaas/of-watchdog:0.11.6
WATCHDOG_COMMIT=9bdadb1e8c68ae1016ac1a35906cd2acaa53169a   # of-watchdog tag 0.11.6
FAAS_CLI_COMMIT=c8191b71e7edf10be3b660ddcaee52c11de79238   # faas-cli tag 0.18.12
DEBIAN_IMAGE=debian:bookworm-slim
STANDIN_IMAGE=${STANDIN_IMAGE:-c-debian-numa/watchdog-standin:test}

log() { echo "base-images: $*"; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
# scratch_image DIR TAG: DIR/fwatchdog alone in a FROM scratch image, as the watchdog images are.
scratch_image() {
    printf 'FROM scratch\nCOPY fwatchdog /fwatchdog\nENTRYPOINT ["/fwatchdog"]\n' >"$1/Dockerfile"
    docker build -q -t "$2" "$1" >/dev/null
}

mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -n -e 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]*$/\1/p' \
               -e 's/^deb[[:space:]]\{1,\}\(http[^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\1/p' | head -n 1)
    echo "${m:-http://deb.debian.org/debian}"
}

gobuild() { # gobuild MODULE@COMMIT OUTDIR: a static binary; 1 with the go command's reason on failure
    mkdir -p "$2"
    if ! out=$(CGO_ENABLED=0 GOBIN="$2" GOFLAGS=-buildvcs=false timeout 900 "$GO" install -trimpath \
        -ldflags "-s -w" "$1" 2>&1); then
        log "cannot build $1: $(printf '%s' "$out" | tr '\n\t' '  ' | cut -c1-400)"
        return 1
    fi
}

mkdir -p "$BIN"

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

if have_image "$WATCHDOG_IMAGE"; then
    log "$WATCHDOG_IMAGE present"
else
    log "building of-watchdog $WATCHDOG_COMMIT"
    work=$(mktemp -d /tmp/watchdog.XXXXXX)
    trap 'rm -rf "$work"' EXIT INT TERM
    if gobuild "github.com/openfaas/of-watchdog@$WATCHDOG_COMMIT" "$work"; then
        mv "$work/of-watchdog" "$work/fwatchdog"
        scratch_image "$work" "$WATCHDOG_IMAGE"
        log "$WATCHDOG_IMAGE made"
    else
        log "$WATCHDOG_IMAGE unavailable"
    fi
    rm -rf "$work"; trap - EXIT INT TERM
fi

if ! have_image "$WATCHDOG_IMAGE"; then
    if have_image "$STANDIN_IMAGE"; then
        log "$STANDIN_IMAGE present"
    else
        log "building the test stand-in $STANDIN_IMAGE"
        work=$(mktemp -d /tmp/standin.XXXXXX)
        trap 'rm -rf "$work"' EXIT INT TERM
        (cd "$ROOT/tests/image/watchdog-standin" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
            timeout 300 "$GO" build -trimpath -ldflags "-s -w" -o "$work/fwatchdog" .)
        scratch_image "$work" "$STANDIN_IMAGE"
        rm -rf "$work"; trap - EXIT INT TERM
    fi
fi

if [ -x "$BIN/faas-cli" ]; then
    log "faas-cli present"
else
    log "building faas-cli $FAAS_CLI_COMMIT"
    gobuild "github.com/openfaas/faas-cli@$FAAS_CLI_COMMIT" "$BIN" || log "faas-cli unavailable"
fi
exit 0
