#!/usr/bin/env bash
# Ingress benchmark: wrk from `outside` through podlab's ingress controller against nginx-light configured as the
# same reverse proxy to the same two backend pods, in the same run, and against the backends' ClusterIP reached
# from a pod with no proxy in between. Prints req/s and p99 for each and the ratios ingress/nginx.
#
#   sudo scripts/bench/ingress.sh
#
# Environment (all optional):
#   PODLAB=path     the podlab binary (default: the tree's release build in .build-bench, brought up to date)
#   DURATION=10     seconds per wrk run (capped at 60); each proxy gets two runs in the order podlab, nginx, nginx,
#                   podlab (ABBA), after a WARMUP-second run each (default 2)
#   CONNS=50        wrk connections (capped at 1000), on one wrk thread
#
# The cluster is one node (state dir /tmp/podlab-bench-ingress, net prefix plbi). Backends: two `nginx` pods
# (podlab's nginx responder) behind Service `web`. Proxy A: the ingress-nginx controller pod, one event loop
# (WORKER_PROCESSES=1), routing host bench.local to web:80. Proxy B: nginx-light with one worker, run by
# `kubectl exec` in a pod of its own on the same node, `upstream { keepalive 320; }`, the same forwarding headers,
# and an access log to a file as the controller writes its log. Both proxies sit behind a LoadBalancer Service
# with externalTrafficPolicy Local, so a request takes the same path to either; both are pinned to CPU 0, wrk to
# CPU 1. The trap stops what this script started (wrk and nginx by PID) and takes the cluster down.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-50}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
STATE=/tmp/podlab-bench-ingress
PREFIX=plbi

die() { echo "error: $*" >&2; exit 1; }
for n in DURATION WARMUP CONNS; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer, got '${!n}'"
done
((DURATION <= 60 && WARMUP <= 10 && CONNS <= 1000)) || die "DURATION is capped at 60, WARMUP at 10, CONNS at 1000"
[[ $(id -u) == 0 ]] || die "needs root (it starts a podlab cluster): sudo $0"
(($(nproc) >= 2)) || die "needs two CPUs (proxies on CPU 0, wrk on CPU 1); this machine has $(nproc)"
for tool in wrk nginx kubectl taskset; do command -v "$tool" >/dev/null || die "$tool is missing"; done

if [[ -z ${PODLAB:-} ]]; then
    PODLAB=$REPO/.build-bench/release/podlab
    echo "building podlab (release, --scratch-path .build-bench) ..."
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product podlab) >/dev/null
fi
[[ -x $PODLAB ]] || die "no podlab binary at $PODLAB"

WORK=$(mktemp -d /tmp/podlab-bench-ingress.XXXXXX)
chmod 755 "$WORK"
WRK_PID=
NGINX_EXEC_PID=
UP=
export KUBECONFIG=$STATE/kubeconfig
k() { kubectl "$@"; }
cleanup() {
    local rc=$?
    [[ -n $WRK_PID ]] && kill "$WRK_PID" 2>/dev/null || true
    if [[ -s $WORK/nginx.pid ]]; then kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; fi
    [[ -n $NGINX_EXEC_PID ]] && kill "$NGINX_EXEC_PID" 2>/dev/null || true
    [[ -n $UP ]] && "$PODLAB" down --state-dir "$STATE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "starting a one-node cluster ($STATE) ..."
UP=1
"$PODLAB" up --state-dir "$STATE" --net-prefix "$PREFIX" --api-port 0 --nodes 1 >/dev/null

k create deployment web --image=nginx --replicas=2 >/dev/null
k expose deployment web --port 80 >/dev/null
k create ingress bench --rule='bench.local/*=web:80' >/dev/null
k -n ingress-nginx set env deployment/ingress-nginx-controller WORKER_PROCESSES=1 >/dev/null
k run proxy --image=busybox --labels=app=nginx-peer --command -- sleep 1000000 >/dev/null
k expose pod proxy --name nginx-peer --type LoadBalancer --port 80 --target-port 8081 >/dev/null
k patch svc nginx-peer -p '{"spec":{"externalTrafficPolicy":"Local"}}' >/dev/null
k -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=120s >/dev/null
k rollout status deployment/web --timeout=120s >/dev/null
k wait --for=condition=Ready pod/proxy --timeout=120s >/dev/null

BACKENDS=$(k get pods -l app=web -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}')
[[ $(wc -l <<<"$BACKENDS") == 2 ]] || die "expected two backend pods, got: $BACKENDS"
CLUSTER_IP=$(k get svc web -o jsonpath='{.spec.clusterIP}')

# nginx-light as ingress-nginx configures its proxy: HTTP/1.1 to a keep-alive upstream, the same headers.
{
    echo "worker_processes 1;"
    echo "pid $WORK/nginx.pid;"
    echo "error_log $WORK/nginx-error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "    access_log $WORK/nginx-access.log;"
    echo "    keepalive_requests 1000000000;"
    echo "    upstream web {"
    while read -r ip; do echo "        server $ip:80;"; done <<<"$BACKENDS"
    echo "        keepalive 320;"
    echo "    }"
    echo "    server {"
    echo "        listen 8081;"
    echo "        location / {"
    echo "            proxy_pass http://web;"
    echo "            proxy_http_version 1.1;"
    echo "            proxy_set_header Connection \"\";"
    echo "            proxy_set_header Host \$host;"
    echo "            proxy_set_header X-Request-ID \$request_id;"
    echo "            proxy_set_header X-Real-IP \$remote_addr;"
    echo "            proxy_set_header X-Forwarded-For \$remote_addr;"
    echo "            proxy_set_header X-Forwarded-Host \$host;"
    echo "            proxy_set_header X-Forwarded-Port \$server_port;"
    echo "            proxy_set_header X-Forwarded-Proto \$scheme;"
    echo "            proxy_set_header X-Forwarded-Scheme \$scheme;"
    echo "            proxy_set_header X-Scheme \$scheme;"
    echo "        }"
    echo "    }"
    echo "}"
} >"$WORK/nginx.conf"
k exec proxy -- /usr/bin/taskset -c 0 /usr/sbin/nginx -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" \
    -g 'daemon off;' >"$WORK/nginx.out" 2>&1 &
NGINX_EXEC_PID=$!

# Pin the controller (its container process and every thread) to CPU 0, once the rollout has left one pod.
for i in $(seq 100); do
    [[ $(k -n ingress-nginx get pods -l app.kubernetes.io/component=controller -o name | wc -l) == 1 ]] && break
    sleep 0.2
done
POD_UID=$(k -n ingress-nginx get pods -l app.kubernetes.io/component=controller -o jsonpath='{.items[0].metadata.uid}')
SHIM_PID=$(cat "$STATE/pods/$POD_UID/controller/shim.pid")
taskset -a -p -c 0 "$SHIM_PID" >/dev/null

waitlb() {  # waitlb SVC NS: the Service's LoadBalancer IP once it answers HTTP from outside
    local ip="" i
    for i in $(seq 100); do
        ip=$(k -n "$2" get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
        if [[ -n $ip ]] && "$PODLAB" shell --state-dir "$STATE" outside -- /usr/bin/curl -s -m 1 -o /dev/null \
            -H 'Host: bench.local' "http://$ip/"; then
            echo "$ip"
            return 0
        fi
        sleep 0.2
    done
    die "LoadBalancer $2/$1 does not answer"
}
INGRESS_IP=$(waitlb ingress-nginx-controller ingress-nginx)
NGINX_IP=$(waitlb nginx-peer default)

# load NAME URL SECONDS: one wrk run from outside on CPU 1; its report in $WORK/NAME.
load() {
    timeout $(($3 + 30)) "$PODLAB" shell --state-dir "$STATE" outside -- /usr/bin/taskset -c 1 /usr/bin/wrk \
        -t1 -c"$CONNS" -d"$3"s --latency -H 'Host: bench.local' "$2" >"$WORK/$1" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || die "wrk failed: $(tail -3 "$WORK/$1")"
    WRK_PID=
    grep -q "Non-2xx" "$WORK/$1" && die "$1: non-2xx answers: $(grep Non-2xx "$WORK/$1")"
    return 0
}
rps() { awk '/^Requests\/sec/ {print $2}' "$WORK/$1"; }
# p99 in milliseconds from wrk's latency distribution.
p99() {
    awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }' "$WORK/$1"
}

echo "warming up ..."
load warm-ingress "http://$INGRESS_IP/" "$WARMUP"
load warm-nginx "http://$NGINX_IP/" "$WARMUP"
echo "measuring (${DURATION}s per run, $CONNS connections, ABBA) ..."
load ingress1 "http://$INGRESS_IP/" "$DURATION"
load nginx1 "http://$NGINX_IP/" "$DURATION"
load nginx2 "http://$NGINX_IP/" "$DURATION"
load ingress2 "http://$INGRESS_IP/" "$DURATION"

# The ClusterIP with no proxy: wrk in a pod (nodes have no route to Service addresses), kube-proxy's DNAT
# straight to the backends.
timeout $((DURATION + 30)) kubectl exec proxy -- /usr/bin/taskset -c 1 \
    /usr/bin/wrk -t1 -c"$CONNS" -d"$DURATION"s --latency "http://$CLUSTER_IP/" >"$WORK/clusterip" 2>&1 \
    || die "wrk to the ClusterIP failed: $(tail -3 "$WORK/clusterip")"

mean() { echo "scale=1; ($1 + $2) / 2" | bc; }
I_RPS=$(mean "$(rps ingress1)" "$(rps ingress2)")
N_RPS=$(mean "$(rps nginx1)" "$(rps nginx2)")
I_P99=$(mean "$(p99 ingress1)" "$(p99 ingress2)")
N_P99=$(mean "$(p99 nginx1)" "$(p99 nginx2)")
C_RPS=$(rps clusterip)
C_P99=$(p99 clusterip)
printf '\n%-40s %12s %10s\n' "path (from outside, Host bench.local)" "requests/s" "p99 ms"
printf '%-40s %12s %10s\n' "podlab ingress (1 event loop)" "$I_RPS" "$I_P99"
printf '%-40s %12s %10s\n' "nginx-light proxy (1 worker)" "$N_RPS" "$N_P99"
printf '%-40s %12s %10s\n' "ClusterIP, no proxy (from a pod)" "$C_RPS" "$C_P99"
printf '\ningress/nginx requests/s: %s   p99: %s\n' "$(echo "scale=2; $I_RPS / $N_RPS" | bc)" \
    "$(echo "scale=2; $I_P99 / $N_P99" | bc)"
printf 'ingress/ClusterIP requests/s: %s\n' "$(echo "scale=2; $I_RPS / $C_RPS" | bc)"
