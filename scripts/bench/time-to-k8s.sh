#!/usr/bin/env bash
# time-to-k8s as minikube's benchmark measures it: from `podlab up` to a Deployment answering HTTP through its
# Service and the Service's name resolving from a pod. Each run starts a cluster of its own (state in a temp dir,
# namespaces prefixed plbttk), creates nginx + a Service + a busybox client with kubectl, and polls from the client
# every 20 ms (inside the client pod's network namespace) until cluster DNS answers web.default.svc.cluster.local and
# nginx's page comes back from that address; then takes the cluster down.
# The published anchors (minikube v1.36's time-to-k8s page: k3d 19.9 s, kind 33.0 s, minikube 50.8 s) need a
# Docker engine, which these machines lack, so the ratios are against those published figures, not a same-run peer.
# Then times `podlab lab run --all` on a fresh cluster.
#
#   sudo scripts/bench/time-to-k8s.sh
#
# Environment (optional): PODLAB_BIN (default: the release podlab in .build-bench, built), RUNS=5, LABS=1 (0 skips
# the lab run).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-5}
LABS=${LABS:-1}
die() { echo "error: $*" >&2; exit 1; }
(( $(id -u) == 0 )) || die "run as root (it starts clusters)"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] && ((RUNS <= 20)) || die "RUNS must be 1-20"
if [[ -z ${PODLAB_BIN:-} ]]; then
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product podlab >/dev/null)
    PODLAB_BIN=$REPO/.build-bench/release/podlab
fi
KUBECTL=${KUBECTL:-$(command -v kubectl || echo /opt/podlab/venv/bin/kubectl)}
WORK=$(mktemp -d /tmp/podlab-bench-ttk.XXXXXX)
STATE=$WORK/state
cleanup() {
    "$PODLAB_BIN" down --state-dir "$STATE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
k() { KUBECONFIG=$STATE/kubeconfig HOME=$WORK "$KUBECTL" "$@"; }

results=()
for run in $(seq 1 "$RUNS"); do
    "$PODLAB_BIN" down --state-dir "$STATE" >/dev/null 2>&1 || true
    rm -rf "$STATE"
    t0=$(now)
    "$PODLAB_BIN" up --state-dir "$STATE" --net-prefix plbttk --api-port 0 >/dev/null
    t_up=$(now)
    k create deployment web --image=nginx >/dev/null
    k expose deployment web --port 80 >/dev/null
    k run client --image=busybox -- sleep 1000000 >/dev/null
    ok=0
    # The poll runs in the client pod's network namespace (pinned by podlab as plbttk_default_client), asking cluster
    # DNS for the Service's name and fetching the page from the address it gives: no kubectl exec round trip in
    # the loop, so the figure is the cluster's, not the client's.
    for _ in $(seq 1 1500); do   # at most 1,500 polls (30 s at 20 ms)
        if ip netns exec plbttk_default_client sh -c \
            'a=$(dig +time=1 +tries=1 +short @10.96.0.10 web.default.svc.cluster.local) && [ -n "$a" ] && curl -s -m 1 "http://$a/" | grep -q "Welcome to nginx"' \
            >/dev/null 2>&1; then ok=1; break; fi
        sleep 0.02
    done
    t1=$(now)
    ((ok)) || die "run $run: the Deployment did not answer by name within the polling bound"
    total=$(calc "$t1 - $t0")
    up=$(calc "$t_up - $t0")
    printf 'run %d: podlab up %.2f s, up to answering by name %.2f s\n' "$run" "$up" "$total"
    results+=("$total")
done
median=$(printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
printf '\ntime-to-k8s median of %d: %.2f s\n' "$RUNS" "$median"
for anchor in "k3d 19.9" "kind 33.0" "minikube 50.8"; do
    set -- $anchor
    printf '  podlab/%s (published %s s): %.3f\n' "$1" "$2" "$(calc "$median / $2")"
done

if [[ $LABS == 1 ]]; then
    "$PODLAB_BIN" down --state-dir "$STATE" >/dev/null 2>&1 || true
    rm -rf "$STATE"
    "$PODLAB_BIN" up --state-dir "$STATE" --net-prefix plbttk --api-port 0 >/dev/null
    t0=$(now)
    PODLAB_LABS=$REPO/labs HOME=$WORK "$PODLAB_BIN" lab run --all --format tap --state-dir "$STATE" > "$WORK/labs.tap" \
        || { tail -n 40 "$WORK/labs.tap"; die "a lab failed"; }
    t1=$(now)
    printf '\npodlab lab run --all: %s checks passed in %.1f s\n' "$(grep -c '^ok ' "$WORK/labs.tap")" "$(calc "$t1 - $t0")"
fi
