#!/usr/bin/env bash
# How soon a new Service's name resolves from a pod: 100 Services created one at a time through the API (as
# `kubectl expose` creates them), each timed from the create request to the first answer a pod gets from cluster
# DNS. The pod asks every 2 ms, so figures carry up to ~3 ms of polling granularity. Prints p50/p99/max.
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
# The watcher, inside the pod: asks for each name in turn every 2 ms over one UDP socket (a new dig per try
# would cost ~100 ms of process start-up) and prints when it first got an answer.
k exec client -- python3 -c "
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for i in range(1, $COUNT + 1):
    name = 'prop%d.default.svc.cluster.local' % i
    q = struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 0)
    q += b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\\x00' + struct.pack('>HH', 1, 1)
    while True:
        s.sendto(q, ('10.96.0.10', 53))
        try:
            r = s.recv(512)
        except socket.timeout:
            continue
        if struct.unpack('>H', r[:2])[0] == i and struct.unpack('>H', r[6:8])[0] > 0:
            break
        time.sleep(0.002)
    print(i, time.time_ns(), flush=True)
" > "$WORK/resolved" &
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
