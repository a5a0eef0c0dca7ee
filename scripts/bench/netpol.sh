#!/usr/bin/env bash
# NetworkPolicy benchmarks. Part 1, rule programming: POLICIES policies over PODS pods (default 500 over 1,000), one node's
# `table inet podlab-netpol` loaded as a full sync by podlab (its model, then one libnftables transaction) and, as
# the peer in the same run, by `nft -f` loading the very same script; then one pod label change that moves the
# pod out of a peer set (podlab's element update against `nft -f` of the same change script). Each load happens in
# a throwaway network namespace.
# Part 2, enforcement latency (LATENCY=1, the default): on a cluster of its own, the time from the start of
# `kubectl apply` of a deny policy to the first connection a client pod sees blocked (a probe loop inside the pod
# opening a new connection every ~2 ms, same clock), p50/p99 over APPLIES applies, as a ratio to the time
# `kubectl apply` itself takes to return in the same runs.
# Part 3, data path (same cluster, WRK=1, the default): wrk requests/s from the client pod to the server pod with
# 100 policies isolating the server (the one that admits the client last) as a ratio to no policy, runs ABAB.
#
#   sudo scripts/bench/netpol.sh
#
# Environment (optional): PODLAB_BENCH (default: the release PodlabBench in .build-bench), POLICIES=500, PODS=1000,
# RUNS=3 (each run prints its own line; compare the ratios); LATENCY=0 skips part 2; PODLAB (default: the
# release podlab in .build-bench), APPLIES=50, KUBECTL=kubectl; WRK=0 skips part 3, DURATION=5 (seconds per wrk run, <= 30).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
POLICIES=${POLICIES:-500}
PODS=${PODS:-1000}
RUNS=${RUNS:-3}
LATENCY=${LATENCY:-1}
APPLIES=${APPLIES:-50}
KUBECTL=${KUBECTL:-kubectl}
WRK=${WRK:-1}
DURATION=${DURATION:-5}
die() { echo "error: $*" >&2; exit 1; }
[[ $POLICIES =~ ^[1-9][0-9]*$ ]] && ((POLICIES <= 5000)) || die "POLICIES must be 1-5000, got '$POLICIES'"
[[ $PODS =~ ^[1-9][0-9]*$ ]] && ((PODS >= 2 && PODS <= 10000)) || die "PODS must be 2-10000, got '$PODS'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] && ((RUNS <= 20)) || die "RUNS must be 1-20, got '$RUNS'"
[[ $APPLIES =~ ^[1-9][0-9]*$ ]] && ((APPLIES <= 200)) || die "APPLIES must be 1-200, got '$APPLIES'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] && ((DURATION <= 30)) || die "DURATION must be 1-30 seconds, got '$DURATION'"
((WRK == 0)) || command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk)"
(( $(id -u) == 0 )) || die "run as root (it creates network namespaces)"
command -v nft >/dev/null || die "nft is missing (apt-get install nftables)"
if [[ -z ${PODLAB_BENCH:-} ]]; then
    echo "building PodlabBench (release, --scratch-path .build-bench) ..."
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product PodlabBench) >/dev/null
    PODLAB_BENCH=$REPO/.build-bench/release/PodlabBench
fi
if ((LATENCY)) && [[ -z ${PODLAB:-} ]]; then
    echo "building podlab (release, --scratch-path .build-bench) ..."
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product podlab) >/dev/null
    PODLAB=$REPO/.build-bench/release/podlab
fi
WORK=$(mktemp -d /tmp/podlab-bench-netpol.XXXXXX)
NS=plbnetpol$$
STATE=$WORK/state
cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    # The cluster of part 2, stopped by the PID in its own state dir.
    [[ -d $STATE ]] && "$PODLAB" down --state-dir "$STATE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"
now() { date +%s.%N; }
for ((run = 1; run <= RUNS; run++)); do
    # podlab first: it writes the scripts the peer loads, and leaves the namespace empty.
    line=$(timeout 600 ip netns exec "$NS" "$PODLAB_BENCH" netpol "$POLICIES" "$PODS" "$WORK")
    t0=$(now); timeout 600 ip netns exec "$NS" nft -f "$WORK/full.nft"; t1=$(now)
    timeout 60 ip netns exec "$NS" nft -f "$WORK/change.nft"; t2=$(now)
    ip netns exec "$NS" nft delete table inet podlab-netpol
    peer_full=$(awk -v a="$t1" -v b="$t0" 'BEGIN {print a - b}')
    peer_change=$(awk -v a="$t2" -v b="$t1" 'BEGIN {print a - b}')
    echo "$line"
    echo "$line" | awk -v pf="$peer_full" -v pc="$peer_change" -v p="$POLICIES" -v n="$PODS" '{
        for (i = 1; i <= NF; i++) {
            if ($i == "full" && $(i-1) == "model") mf = $(i+1)
            if ($i == "full" && $(i-1) == "libnftables") lf = $(i+1)
            if ($i == "change" && $(i-1) == "model") mc = $(i+1)
            if ($i == "change" && $(i-1) == "libnftables") lc = $(i+1)
        }
        printf "%d policies / %d pods: full sync podlab %.3f s (model %.3f + kernel %.3f) vs nft -f %.3f s -> %.2fx\n", p, n, mf + lf, mf, lf, pf, (mf + lf) / pf
        printf "%d policies / %d pods: one pod label change podlab %.1f ms (model %.1f + kernel %.1f) vs nft -f %.1f ms -> %.2fx\n", p, n, (mc + lc) * 1000, mc * 1000, lc * 1000, pc * 1000, (mc + lc) / pc
    }'
done

((LATENCY)) || exit 0

# Part 2: apply -> first blocked connection.
[[ -x $PODLAB ]] || die "no podlab binary at $PODLAB"
timeout 120 "$PODLAB" up --state-dir "$STATE" --net-prefix "plbnp$$" --api-port 0 >/dev/null
export KUBECONFIG=$STATE/kubeconfig
k() { timeout 60 "$KUBECTL" "$@"; }
k create ns bench >/dev/null
k -n bench run server --image=nginx --labels=app=server >/dev/null
k -n bench run client --image=busybox --labels=app=client --command -- sleep 1000000 >/dev/null
k -n bench wait --for=condition=Ready pod/server pod/client --timeout=60s >/dev/null
IP=$(k -n bench get pod server -o jsonpath='{.status.podIP}')
cat >"$WORK/deny.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: bench}
spec: {podSelector: {matchLabels: {app: server}}}
YAML
# In the client: say ready, then open a new connection every ~2 ms (50 ms timeout) until one fails; print when
# that attempt started. Bounded to 15 s.
PROBE='import socket, sys, time
print("ready", flush=True)
end = time.time() + 15
while time.time() < end:
    t = time.time()
    try:
        socket.create_connection((sys.argv[1], 80), timeout=0.05).close()
    except OSError:
        print("blocked %.6f" % t, flush=True); sys.exit(0)
    time.sleep(0.002)
print("never", flush=True); sys.exit(1)'
# Until a connection succeeds again (after the policy is deleted). Bounded to 15 s.
OPEN='import socket, sys, time
end = time.time() + 15
while time.time() < end:
    try:
        socket.create_connection((sys.argv[1], 80), timeout=0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.01)
sys.exit(1)'
: >"$WORK/latency"
: >"$WORK/apply"
for ((i = 1; i <= APPLIES; i++)); do
    out=$WORK/probe.$i
    k -n bench exec client -- /usr/bin/python3 -c "$PROBE" "$IP" >"$out" 2>&1 &
    probe=$!
    for _ in $(seq 500); do grep -q ready "$out" 2>/dev/null && break; sleep 0.01; done
    grep -q ready "$out" || die "the probe did not start: $(cat "$out")"
    t0=$(now); k apply -f "$WORK/deny.yaml" >/dev/null; t1=$(now)
    wait "$probe" || die "no connection was blocked within 15 s: $(cat "$out")"
    blocked=$(awk '/^blocked/ {print $2}' "$out")
    awk -v b="$blocked" -v a="$t0" 'BEGIN {printf "%.6f\n", b - a}' >>"$WORK/latency"
    awk -v b="$t1" -v a="$t0" 'BEGIN {printf "%.6f\n", b - a}' >>"$WORK/apply"
    k -n bench delete networkpolicy deny >/dev/null
    k -n bench exec client -- /usr/bin/python3 -c "$OPEN" "$IP" || die "traffic did not come back after the delete"
done
pct() { sort -n "$1" | awk -v q="$2" '{v[NR] = $1} END {r = int(q * NR + 0.999999); if (r < 1) r = 1; print v[r]}'; }
l50=$(pct "$WORK/latency" 0.5); l99=$(pct "$WORK/latency" 0.99)
a50=$(pct "$WORK/apply" 0.5); a99=$(pct "$WORK/apply" 0.99)
awk -v l50="$l50" -v l99="$l99" -v a50="$a50" -v a99="$a99" -v n="$APPLIES" 'BEGIN {
    printf "apply -> first blocked connection over %d applies: p50 %.0f ms, p99 %.0f ms; kubectl apply itself p50 %.0f ms, p99 %.0f ms -> %.2fx / %.2fx\n", n, l50 * 1000, l99 * 1000, a50 * 1000, a99 * 1000, l50 / a50, l99 / a99
}'

((WRK)) || exit 0

# Part 3: wrk client -> server pod IP, no policy vs 100 policies isolating the server.
{
    for ((j = 1; j <= 99; j++)); do
        printf -- '---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p%d, namespace: bench}\n' "$j"
        printf 'spec:\n  podSelector: {matchLabels: {app: server}}\n'
        printf '  ingress: [{from: [{podSelector: {matchLabels: {app: other%d}}}], ports: [{port: 80}]}]\n' "$j"
    done
    printf -- '---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p100, namespace: bench}\n'
    printf 'spec:\n  podSelector: {matchLabels: {app: server}}\n'
    printf '  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: 80}]}]\n'
} >"$WORK/policies.yaml"
NODE=$(k -n bench get pod server -o jsonpath='{.spec.nodeName}')
rules() {
    timeout 30 "$PODLAB" shell --state-dir "$STATE" "$NODE" -- nft list chain inet podlab-netpol ingress-bench/server \
        2>/dev/null | grep -c 'return comment' || true
}
rps() { k -n bench exec client -- wrk -t1 -c20 -d"${DURATION}s" "http://$IP/" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
declare -A R
for round in 1 2; do
    R[none$round]=$(rps)
    k apply -f "$WORK/policies.yaml" >/dev/null
    for _ in $(seq 100); do (( $(rules) >= 100 )) && break; sleep 0.1; done
    (( $(rules) >= 100 )) || die "the 100 policies did not reach node $NODE"
    R[pol$round]=$(rps)
    k -n bench delete networkpolicy --all >/dev/null
    k -n bench exec client -- /usr/bin/python3 -c "$OPEN" "$IP" || die "traffic did not come back after the delete"
done
awk -v a1="${R[none1]}" -v a2="${R[none2]}" -v b1="${R[pol1]}" -v b2="${R[pol2]}" -v d="$DURATION" 'BEGIN {
    a = (a1 + a2) / 2; b = (b1 + b2) / 2
    printf "wrk -t1 -c20 pod -> pod, 2 x %d s each: no policy %.0f req/s (%s/%s), 100 policies %.0f req/s (%s/%s) -> %.3f (goal >= 0.95)\n", d, a, a1, a2, b, b1, b2, b / a
}'
