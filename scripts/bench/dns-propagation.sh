#!/usr/bin/env bash
# How soon a new Service's name resolves from a pod: 100 Services created one at a time through the API (as
# `kubectl expose` creates them), each timed from the create request to the first answer a pod gets from cluster
# DNS. The pod asks with dig every 5 ms, so figures carry up to ~10 ms of polling granularity. Prints p50/p99/max.
# Starts its own cluster (state in a temp dir, namespaces prefixed plbdns) and takes it down afterwards.
#
#   sudo scripts/bench/dns-propagation.sh
#
# Environment (optional): PODLAB_BIN (default: the release podlab in .build-bench, built), COUNT=100.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
COUNT=${COUNT:-100}
die() { echo "error: $*" >&2; exit 1; }
(( $(id -u) == 0 )) || die "run as root (it starts a cluster)"
[[ $COUNT =~ ^[1-9][0-9]*$ ]] && ((COUNT <= 1000)) || die "COUNT must be 1-1000"
if [[ -z ${PODLAB_BIN:-} ]]; then
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product podlab >/dev/null)
    PODLAB_BIN=$REPO/.build-bench/release/podlab
fi
KUBECTL=${KUBECTL:-$(command -v kubectl || echo /opt/podlab/venv/bin/kubectl)}
WORK=$(mktemp -d /tmp/podlab-bench-dnsprop.XXXXXX)
STATE=$WORK/state
cleanup() {
    [[ -n ${WATCHER:-} ]] && kill "$WATCHER" 2>/dev/null || true
    "$PODLAB_BIN" down --state-dir "$STATE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
"$PODLAB_BIN" up --state-dir "$STATE" --net-prefix plbdns --api-port 0 >/dev/null
export KUBECONFIG=$STATE/kubeconfig
PORT=$(cat "$STATE/api-port")
k() { timeout 60 "$KUBECTL" "$@"; }
k run client --image=nicolaka/netshoot --command -- sleep 100000 >/dev/null
for _ in $(seq 300); do
    [[ $(k get pod client -o jsonpath='{.status.phase}') == Running ]] && \
        [[ $(k -n kube-system get deploy coredns -o jsonpath='{.status.readyReplicas}') == 2 ]] && break
    sleep 0.2
done
# The watcher, inside the pod: waits for each name in turn and prints when it first resolved.
k exec client -- bash -c "for i in \$(seq $COUNT); do
    until dig +short +time=1 +tries=1 prop\$i.default.svc.cluster.local | grep -q .; do sleep 0.005; done
    echo \"\$i \$(date +%s%N)\"; done" > "$WORK/resolved" &
WATCHER=$!
sleep 1
PKI=$STATE/pki
for i in $(seq "$COUNT"); do
    body="{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"prop$i\"},\"spec\":{\"ports\":[{\"port\":80}],\"selector\":{\"app\":\"prop\"}}}"
    echo "$i $(date +%s%N)" >> "$WORK/created"
    curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" -H 'content-type: application/json' \
        -X POST "https://127.0.0.1:$PORT/api/v1/namespaces/default/services" -d "$body" >/dev/null
    sleep 0.2
done
for _ in $(seq 100); do [[ $(wc -l < "$WORK/resolved") -ge $COUNT ]] && break; sleep 0.1; done
awk 'NR == FNR {created[$1] = $2; next} ($1 in created) {print ($2 - created[$1]) / 1e6}' \
    "$WORK/created" "$WORK/resolved" | sort -n | awk -v n="$COUNT" '
    {a[NR] = $1} END {
        if (NR < n) { printf "only %d of %d names resolved\n", NR, n; exit 1 }
        printf "%d Services: create request to first answer in a pod: p50 %.1f ms, p99 %.1f ms, max %.1f ms (goal: within 100 ms)\n", NR, a[int(NR * 0.5)], a[int(NR * 0.99)], a[NR]
    }'
