#!/usr/bin/env bash
# Data-path benchmark: wrk requests/s through a Service's ClusterIP (from a pod) and through its NodePort (from a
# node), each as a ratio to the same requests sent straight to the pod IP from the same place, in the same run.
# One nginx pod behind the Service, so every path ends at the same responder; runs alternate ABAB.
#
#   sudo scripts/bench/datapath.sh
#
# Environment (optional): PODLAB_BIN (default: a release build in .build-bench), KUBECTL, DURATION=5 (<= 30 s).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${DURATION:-5}
die() { echo "error: $*" >&2; exit 1; }
[[ $DURATION =~ ^[1-9][0-9]*$ ]] && ((DURATION <= 30)) || die "DURATION must be 1-30 seconds"
(( $(id -u) == 0 )) || die "run as root (it creates network namespaces)"
command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk)"
KUBECTL=${KUBECTL:-$(command -v kubectl || echo /opt/podlab/venv/bin/kubectl)}
if [[ -z ${PODLAB_BIN:-} ]]; then
    echo "building podlab (release, --scratch-path .build-bench) ..."
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product podlab) >/dev/null
    PODLAB_BIN=$REPO/.build-bench/release/podlab
fi
WORK=$(mktemp -d /tmp/podlab-bench-datapath.XXXXXX)
cleanup() { "$PODLAB_BIN" down --state-dir "$WORK/state" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
export HOME=$WORK/home KUBECONFIG=$WORK/state/kubeconfig
mkdir -p "$HOME"
timeout 120 "$PODLAB_BIN" up --state-dir "$WORK/state" --api-port 0 --net-prefix "plbdp$$" >/dev/null
k() { timeout 60 "$KUBECTL" "$@"; }
k create deployment web --image=nginx >/dev/null
k expose deployment web --port 80 --type NodePort >/dev/null
k run client --image=busybox --command -- sleep 100000 >/dev/null
k wait --for=condition=Ready pod -l app=web --timeout=60s >/dev/null
k wait --for=condition=Ready pod/client --timeout=60s >/dev/null
POD=$(k get pods -l app=web -o jsonpath='{.items[0].status.podIP}')
NODE=$(k get pods -l app=web -o jsonpath='{.items[0].spec.nodeName}')
CIP=$(k get svc web -o jsonpath='{.spec.clusterIP}')
NP=$(k get svc web -o jsonpath='{.spec.ports[0].nodePort}')
NODEIP=$(k get node "$NODE" -o jsonpath='{.status.addresses[0].address}')
# The NodePort is measured from the other node, so both paths cross the wire.
OTHER=$(k get nodes -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' | grep -vx "$NODE" | head -1)
sleep 1
rps() { awk '/Requests\/sec/ {print $2}'; }
from_pod() { k exec client -- wrk -t1 -c20 -d"${DURATION}s" "$1" 2>/dev/null | rps; }
from_node() { timeout 60 "$PODLAB_BIN" shell --state-dir "$WORK/state" "$OTHER" -- wrk -t1 -c20 -d"${DURATION}s" "$1" 2>/dev/null | rps; }
declare -A R
for round in 1 2; do
    R[pod$round]=$(from_pod "http://$POD/"); R[cip$round]=$(from_pod "http://$CIP/")
    R[npod$round]=$(from_node "http://$POD/"); R[np$round]=$(from_node "http://$NODEIP:$NP/")
done
avg() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", (a + b) / 2}'; }
P=$(avg "${R[pod1]}" "${R[pod2]}"); C=$(avg "${R[cip1]}" "${R[cip2]}")
NPD=$(avg "${R[npod1]}" "${R[npod2]}"); N=$(avg "${R[np1]}" "${R[np2]}")
printf '\n%-44s %10s  %s\n' "path (wrk -t1 -c20, 2 x ${DURATION} s each)" "req/s" "runs"
printf '%-44s %10s  %s/%s\n' "pod -> pod IP (direct)" "$P" "${R[pod1]}" "${R[pod2]}"
printf '%-44s %10s  %s/%s\n' "pod -> ClusterIP" "$C" "${R[cip1]}" "${R[cip2]}"
printf '%-44s %10s  %s/%s\n' "node $OTHER -> pod IP (direct)" "$NPD" "${R[npod1]}" "${R[npod2]}"
printf '%-44s %10s  %s/%s\n' "node $OTHER -> NodePort on $NODE" "$N" "${R[np1]}" "${R[np2]}"
awk -v c="$C" -v p="$P" -v n="$N" -v d="$NPD" 'BEGIN {
    printf "ratio ClusterIP / direct  %.3f (goal >= 0.95)\nratio NodePort / direct   %.3f (goal >= 0.90)\n", c / p, n / d }'
