#!/usr/bin/env bash
# Pod start benchmark: N pods Running and Ready (their nginx responder answering its readiness check) through
# kubectl against podlab, compared in the same run with a shell script that does only the kernel part of a pod
# (netns + veth on a bridge + address + default route) with `ip -batch`, as measured in the data-plane notes.
# Also prints podlabd's RSS at 10 and at N pods.
#
#   sudo scripts/bench/pods.sh
#
# Environment (optional): PODS=100 (at most 250), PODLAB_BIN (default: a release build in .build-bench),
# KUBECTL (default: kubectl on PATH, else /opt/podlab/venv/bin/kubectl).
set -euo pipefail

PODS=${PODS:-100}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "error: $*" >&2; exit 1; }
[[ $PODS =~ ^[1-9][0-9]*$ ]] && ((PODS <= 250)) || die "PODS must be 1-250, got '$PODS'"
(( $(id -u) == 0 )) || die "run as root (it creates network namespaces)"
KUBECTL=${KUBECTL:-$(command -v kubectl || echo /opt/podlab/venv/bin/kubectl)}
[[ -x $KUBECTL ]] || die "no kubectl found; set KUBECTL"

if [[ -z ${PODLAB_BIN:-} ]]; then
    echo "building podlab (release, --scratch-path .build-bench) ..."
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product podlab) >/dev/null
    PODLAB_BIN=$REPO/.build-bench/release/podlab
fi

WORK=$(mktemp -d /tmp/podlab-bench-pods.XXXXXX)
PREFIX=plbench$$
IPB=plbipb$$
cleanup() {
    "$PODLAB_BIN" down --state-dir "$WORK/state" >/dev/null 2>&1 || true
    for ns in $(ip netns list | awk '{print $1}' | grep "^$IPB" || true); do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }

# --- Peer: the kernel steps of N pods with ip -batch (1 netns batch, 1 node batch, 1 small batch per pod).
ip_batch() {
    local t0 t1
    t0=$(now)
    {
        echo "netns add ${IPB}-node"
        for i in $(seq 1 "$PODS"); do echo "netns add ${IPB}-p$i"; done
    } | ip -batch -
    {
        echo "link add cni0 type bridge"
        echo "addr add 10.250.0.1/24 dev cni0"
        echo "link set cni0 up"
        for i in $(seq 1 "$PODS"); do
            echo "link add v$i type veth peer name eth0 netns ${IPB}-p$i"
            echo "link set v$i master cni0"
            echo "link set v$i up"
        done
    } | ip -n "${IPB}-node" -batch -
    for i in $(seq 1 "$PODS"); do
        printf 'addr add 10.250.%d.%d/16 dev eth0\nlink set eth0 up\nlink set lo up\nroute add default via 10.250.0.1\n' \
            $((i / 250)) $((i % 250 + 2)) | ip -n "${IPB}-p$i" -batch -
    done
    t1=$(now)
    awk -v a="$t1" -v b="$t0" 'BEGIN {print a - b}'
}

echo "peer: $PODS pods' kernel steps with ip -batch ..."
PEER=$(ip_batch)
for ns in $(ip netns list | awk '{print $1}' | grep "^$IPB"); do ip netns del "$ns"; done

echo "podlab: up, then $PODS nginx pods through kubectl until all are Ready ..."
HOME=$WORK/home
mkdir -p "$HOME"
export HOME KUBECONFIG=$WORK/state/kubeconfig
timeout 120 "$PODLAB_BIN" up --state-dir "$WORK/state" --api-port 0 --net-prefix "$PREFIX" >/dev/null
PID=$(cat "$WORK/state/podlabd.pid")
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PID/status"; }
ready_count() {
    "$KUBECTL" get pods -o jsonpath='{range .items[*]}{.status.containerStatuses[0].ready} {end}' | tr ' ' '\n' | grep -c true || true
}
wait_ready() {  # bounded: 300 s
    local want=$1 deadline=$((SECONDS + 300))
    while (( $(ready_count) < want )); do
        (( SECONDS < deadline )) || die "only $(ready_count) of $want pods Ready after 300 s"
        sleep 0.1
    done
}
"$KUBECTL" create deployment warm --image=nginx --replicas=10 >/dev/null
wait_ready 10
RSS10=$(rss)
"$KUBECTL" delete deployment warm >/dev/null
while [[ -n $("$KUBECTL" get pods -o name) ]]; do sleep 0.1; done

t0=$(now)
"$KUBECTL" create deployment bench --image=nginx --replicas="$PODS" >/dev/null
wait_ready "$PODS"
t1=$(now)
POD_TIME=$(awk -v a="$t1" -v b="$t0" 'BEGIN {print a - b}')
RSSN=$(rss)

printf '\n%-46s %10s\n' "measure ($PODS pods, $(nproc) vCPU)" "seconds"
printf '%-46s %10.2f\n' "ip -batch: netns+veth+address+route only" "$PEER"
printf '%-46s %10.2f\n' "podlab: kubectl create to all Running+Ready" "$POD_TIME"
printf '%-46s %10.2f\n' "ratio podlab / ip -batch (goal < 0.5)" "$(awk -v a="$POD_TIME" -v b="$PEER" 'BEGIN {print a / b}')"
printf '%-46s %8s MiB\n' "podlabd RSS at 10 pods" "$RSS10"
printf '%-46s %8s MiB\n' "podlabd RSS at $PODS pods (goal < 150 MB)" "$RSSN"
