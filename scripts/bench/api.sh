#!/usr/bin/env bash
# API benchmark: podlab's LIST (kubectl's Table form) and CREATE against nginx serving the same bytes over the
# same mTLS, measured with the same client in the same run. Figures are ratios to that peer, never absolute targets.
#
#   sudo scripts/bench/api.sh
#
# Environment (all optional):
#   PODLAB=path      the podlab binary (default: the tree's release build in .build-bench, brought up to date here)
#   PODS=1000        pods created before LIST (bounded, via the API)
#   LISTS=200        LIST requests per peer            CREATES=1000  ConfigMap POSTs per peer
#   CLIENTS=10       parallel connections (curl --parallel-max)
#
# Everything is on 127.0.0.1: podlab on a port it picks (--api-port 0), nginx on a free port found here, each in
# this run's temp directory. The trap stops both even on failure: nginx (a child) by its PID, podlabd (detached by
# `podlab up`) with `podlab down --state-dir`, which stops it by the PID in its state dir.
set -euo pipefail

PODS=${PODS:-1000}
LISTS=${LISTS:-200}
CREATES=${CREATES:-1000}
CLIENTS=${CLIENTS:-10}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TABLE_ACCEPT='application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'

die() { echo "error: $*" >&2; exit 1; }
for n in PODS LISTS CREATES CLIENTS; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer, got '${!n}'"
done
# Bounds: a load test must not grow without limit.
((PODS <= 5000 && LISTS <= 5000 && CREATES <= 5000 && CLIENTS <= 50)) \
    || die "PODS, LISTS and CREATES are capped at 5000 and CLIENTS at 50"
[[ $(id -u) == 0 ]] || die "run as root (podlab up needs it): sudo $0"

missing=()
for tool in curl jq nginx python3 bc; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
    pkgs=()
    for tool in "${missing[@]}"; do [[ $tool == nginx ]] && pkgs+=(nginx-light) || pkgs+=("$tool"); done
    echo "installing ${pkgs[*]} ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null
fi

if [[ -z ${PODLAB:-} ]]; then
    PODLAB=$REPO/.build-bench/release/podlab
    echo "building podlab (release, --scratch-path .build-bench) ..."
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product podlab) >/dev/null
fi
[[ -x $PODLAB ]] || die "no podlab binary at $PODLAB"

WORK=$(mktemp -d /tmp/podlab-bench-api.XXXXXX)
STATE=$WORK/state
NGINX_PID=
cleanup() {
    local rc=$?
    [[ -n ${CURL_PID:-} ]] && kill "$CURL_PID" 2>/dev/null
    if [[ -n $NGINX_PID ]] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    if [[ -d $STATE ]]; then
        env -u SUDO_USER KUBECONFIG="$WORK/kubeconfig" "$PODLAB" down --state-dir "$STATE" >/dev/null 2>&1 \
            || echo "warning: podlab down --state-dir $STATE failed" >&2
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The kubeconfig merge goes to a throwaway file, so this run never touches the caller's `podlab` context.
echo "starting podlab ($PODLAB) ..."
env -u SUDO_USER KUBECONFIG="$WORK/kubeconfig" "$PODLAB" up --state-dir "$STATE" --api-port 0 >/dev/null
PODLAB_PORT=$(cat "$STATE/api-port")
PODLAB_PID=$(cat "$STATE/podlabd.pid")
PKI=$STATE/pki
TLS=(--cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key")

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
declare -A RSS
RSS[start]=$(rss_kb "$PODLAB_PID")

api() { curl -sS --http1.1 --max-time 30 "${TLS[@]}" -H 'Content-Type: application/json' "$@"; }
code=$(api -o /dev/null -w '%{http_code}' -X POST "https://127.0.0.1:$PODLAB_PORT/api/v1/namespaces" \
    -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}')
[[ $code == 201 ]] || die "creating namespace bench answered HTTP $code"

# run_batch CONFIG OUT: runs one curl --parallel batch from a config file, writes "code seconds new-connections"
# per transfer to OUT and sets BATCH_WALL to the batch's wall-clock seconds. Bounded: each transfer 30 s, the batch
# 600 s. curl runs in the background and is waited for, so an interrupt reaches the trap at once.
CURL_PID=
BATCH_WALL=
run_batch() {
    local config=$1 out=$2 t0 t1 rc=0
    t0=$(date +%s.%N)
    timeout 600 curl -sS --no-progress-meter --parallel --parallel-max "$CLIENTS" --parallel-immediate -K "$config" \
        >"$out" &
    CURL_PID=$!
    wait "$CURL_PID" || rc=$?
    CURL_PID=
    ((rc == 0)) || die "curl batch $config failed (exit $rc)"
    t1=$(date +%s.%N)
    BATCH_WALL=$(echo "$t1 - $t0" | bc -l)
}

# write_config FILE PORT KIND FIRST COUNT: a curl config with COUNT transfers. KIND list = GET the pod Table;
# cm = POST ConfigMaps named cm-FIRST... ; pod = POST pods named pod-FIRST...
write_config() {
    local file=$1 port=$2 kind=$3 first=$4 count=$5 i
    {
        for ((i = first; i < first + count; i++)); do
            ((i > first)) && echo next
            printf 'http1.1\nsilent\nshow-error\nmax-time = 30\ncacert = "%s"\ncert = "%s"\nkey = "%s"\n' \
                "$PKI/ca.crt" "$PKI/admin.crt" "$PKI/admin.key"
            printf 'output = "/dev/null"\nwrite-out = "%%{http_code} %%{time_total} %%{num_connects}\\n"\n'
            case $kind in
            list)
                printf 'header = "Accept: %s"\nurl = "https://127.0.0.1:%s/api/v1/namespaces/bench/pods"\n' \
                    "$TABLE_ACCEPT" "$port"
                ;;
            cm)
                printf 'header = "Content-Type: application/json"\n'
                printf 'data = "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"ConfigMap\\",\\"metadata\\":{\\"name\\":\\"cm-%d\\",\\"labels\\":{\\"app\\":\\"bench\\"}},\\"data\\":{\\"greeting\\":\\"hello from podlab\\",\\"index\\":\\"%d\\"}}"\n' "$i" "$i"
                printf 'url = "https://127.0.0.1:%s/api/v1/namespaces/bench/configmaps"\n' "$port"
                ;;
            pod)
                printf 'header = "Content-Type: application/json"\n'
                printf 'data = "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"Pod\\",\\"metadata\\":{\\"name\\":\\"pod-%d\\",\\"labels\\":{\\"app\\":\\"bench\\"}},\\"spec\\":{\\"containers\\":[{\\"name\\":\\"web\\",\\"image\\":\\"nginx\\",\\"ports\\":[{\\"containerPort\\":80}]}]}}"\n' "$i"
                printf 'url = "https://127.0.0.1:%s/api/v1/namespaces/bench/pods"\n' "$port"
                ;;
            esac
        done
    } >"$file"
}

# check_codes OUT WANT LABEL: every transfer must have answered WANT.
check_codes() {
    local bad
    bad=$(awk -v want="$2" '$1 != want' "$1" | sort | uniq -c | sort -rn | head -5)
    [[ -z $bad ]] || die "$3: transfers not answering $2 (count code seconds):"$'\n'"$bad"
}

echo "creating $PODS pods (setup, $CLIENTS clients) ..."
write_config "$WORK/pods.cfg" "$PODLAB_PORT" pod 0 "$PODS"
run_batch "$WORK/pods.cfg" "$WORK/pods.out"
POD_WALL=$BATCH_WALL
check_codes "$WORK/pods.out" 201 "pod creation"
RSS[pods]=$(rss_kb "$PODLAB_PID")

# The exact Table bytes podlab answers, for nginx to serve.
mkdir -p "$WORK/www/api/v1/namespaces/bench"
api -H "Accept: $TABLE_ACCEPT" -o "$WORK/www/api/v1/namespaces/bench/pods" \
    "https://127.0.0.1:$PODLAB_PORT/api/v1/namespaces/bench/pods"
TABLE_BYTES=$(stat -c %s "$WORK/www/api/v1/namespaces/bench/pods")
ROWS=$(jq '.rows | length' "$WORK/www/api/v1/namespaces/bench/pods")
[[ $ROWS == "$PODS" ]] || die "the pod Table has $ROWS rows, expected $PODS"

# The peer: nginx with the same server certificate, CA and client-certificate check, HTTP/1.1 keep-alive as
# podlab. POSTs get a 201 with a body the size of podlab's ConfigMap answer.
NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CM_BODY='{"apiVersion":"v1","data":{"greeting":"hello from podlab","index":"0"},"kind":"ConfigMap","metadata":{"creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"bench"},"name":"cm-0","namespace":"bench","resourceVersion":"1","uid":"00000000-0000-0000-0000-000000000000"}}'
cat >"$WORK/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    types { }
    default_type application/json;
    etag off;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $PKI/apiserver.crt;
        ssl_certificate_key $PKI/apiserver.key;
        ssl_client_certificate $PKI/ca.crt;
        ssl_verify_client on;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $WORK/www;
        location = /api/v1/namespaces/bench/configmaps {
            if (\$request_method = POST) { return 201 '$CM_BODY'; }
            return 405;
        }
        location / { add_header Cache-Control "no-cache, private"; }
    }
}
EOF
chmod 755 "$WORK" && chmod -R a+rX "$WORK/www"   # nginx workers run as nobody
nginx -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
for _ in $(seq 50); do
    curl -s --http1.1 -o /dev/null "${TLS[@]}" "https://127.0.0.1:$NGINX_PORT/" && break
    kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited: $(tail -3 "$WORK/nginx-error.log")"
    sleep 0.1
done
cmp -s <(api -H "Accept: $TABLE_ACCEPT" "https://127.0.0.1:$NGINX_PORT/api/v1/namespaces/bench/pods") \
    "$WORK/www/api/v1/namespaces/bench/pods" || die "nginx does not serve podlab's Table bytes"

# cpu_ticks PID...: user + system clock ticks the processes have used (all their threads).
cpu_ticks() { local p; for p in "$@"; do awk '{print $14 + $15}' "/proc/$p/stat"; done | awk '{s += $1} END {print s}'; }
NGINX_WORKERS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
declare -A WALL CPU
# measure PEER PORT KIND FIRST COUNT: one batch appended to the peer's results; wall time and the server's CPU
# time (podlabd, or nginx's workers) summed.
measure() {
    local peer=$1 port=$2 kind=$3 first=$4 count=$5 w c0 c1 pids
    [[ $peer == podlab ]] && pids=$PODLAB_PID || pids=$NGINX_WORKERS
    write_config "$WORK/$peer-$kind.cfg" "$port" "$kind" "$first" "$count"
    c0=$(cpu_ticks $pids)
    run_batch "$WORK/$peer-$kind.cfg" "$WORK/batch.out"
    w=$BATCH_WALL
    c1=$(cpu_ticks $pids)
    cat "$WORK/batch.out" >>"$WORK/$peer-$kind.out"
    WALL[$peer-$kind]=$(echo "${WALL[$peer-$kind]:-0} + $w" | bc -l)
    CPU[$peer-$kind]=$(( ${CPU[$peer-$kind]:-0} + c1 - c0 ))
}

echo "LIST: $LISTS Table GETs per peer, $CLIENTS clients, peers alternating (ABBA) ..."
for peer_port in "podlab $PODLAB_PORT" "nginx $NGINX_PORT"; do   # warm-up, not counted
    set -- $peer_port
    write_config "$WORK/warm.cfg" "$2" list 0 "$CLIENTS"
    run_batch "$WORK/warm.cfg" "$WORK/warm.out"
done
half=$((LISTS / 2))
measure podlab "$PODLAB_PORT" list 0 "$half"
measure nginx "$NGINX_PORT" list 0 "$half"
measure nginx "$NGINX_PORT" list 0 $((LISTS - half))
measure podlab "$PODLAB_PORT" list 0 $((LISTS - half))
check_codes "$WORK/podlab-list.out" 200 "podlab LIST"
check_codes "$WORK/nginx-list.out" 200 "nginx LIST"
RSS[list]=$(rss_kb "$PODLAB_PID")

echo "CREATE: $CREATES ConfigMap POSTs per peer, $CLIENTS clients, peers alternating (ABBA) ..."
half=$((CREATES / 2))
measure podlab "$PODLAB_PORT" cm 0 "$half"
measure nginx "$NGINX_PORT" cm 0 "$half"
measure nginx "$NGINX_PORT" cm "$half" $((CREATES - half))
measure podlab "$PODLAB_PORT" cm "$half" $((CREATES - half))
check_codes "$WORK/podlab-cm.out" 201 "podlab CREATE"
check_codes "$WORK/nginx-cm.out" 201 "nginx CREATE"
RSS[create]=$(rss_kb "$PODLAB_PID")

# stats FILE: p50 p90 p99 in milliseconds (nearest rank) over the transfers that reused a kept-alive connection,
# the number of transfers, and the median of those that opened a connection (TCP + TLS handshake with the client
# certificate + the request): CLIENTS per batch, kept apart so the handshakes do not become the tail percentiles.
stats() {
    sort -k2,2n "$1" | awk '
        $3 == 0 { v[++n] = $2; next }
        { c[++m] = $2 }
        END {
            split("0.50 0.90 0.99", q, " ")
            for (i = 1; i <= 3; i++) {
                r = int(q[i] * n + 0.999999); if (r < 1) r = 1
                if (n) printf "%.2f ", v[r] * 1000; else printf "n/a "
            }
            r = int(0.5 * m + 0.999999); if (r < 1) r = 1
            if (m) printf "%d %.2f\n", n + m, c[r] * 1000; else printf "%d n/a\n", n + m
        }'
}

# row LABEL PEER KIND: one line of the table, and the figures kept for the ratio line.
declare -A FIG
row() {
    local label=$1 key=$2-$3 p50 p90 p99 n conn rate cpu
    read -r p50 p90 p99 n conn < <(stats "$WORK/$key.out")
    rate=$(echo "$n / ${WALL[$key]}" | bc -l)
    cpu=$(echo "${CPU[$key]} * 1000 / $(getconf CLK_TCK) / $n" | bc -l)
    FIG[$key]="$p50 $p90 $p99 $rate $conn $cpu"
    printf '%-16s %8s %8s %8s %10.0f %12s %14.2f\n' "$label" "$p50" "$p90" "$p99" "$rate" "$conn" "$cpu"
}
# ratio A B: A/B with one decimal and an x, or n/a when either side has no figure (a run too small to have
# kept-alive requests, or a CPU time below the clock tick).
ratio() {
    if [[ $1 == n/a || $2 == n/a || $(echo "$2 == 0" | bc -l) == 1 ]]; then echo n/a; return; fi
    printf '%.1fx' "$(echo "$1 / $2" | bc -l)"
}
ratio_line() {
    local kind=$1 a b
    read -r -a a <<<"${FIG[podlab-$kind]}"
    read -r -a b <<<"${FIG[nginx-$kind]}"
    printf '%-16s %8s %8s %8s %10.3f %12s %14s  (podlab/nginx)\n' "ratio" \
        "$(ratio "${a[0]}" "${b[0]}")" "$(ratio "${a[1]}" "${b[1]}")" "$(ratio "${a[2]}" "${b[2]}")" \
        "$(echo "${a[3]} / ${b[3]}" | bc -l)" "$(ratio "${a[4]}" "${b[4]}")" "$(ratio "${a[5]}" "${b[5]}")"
}

echo
echo "podlab $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?') ($PODLAB) vs nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(nproc) vCPU," \
    "curl $(curl --version | awk 'NR==1 {print $2}') HTTP/1.1 keep-alive, $CLIENTS clients, mTLS"
echo "latency percentiles over kept-alive requests; new-conn p50 = requests that opened a connection (TLS incl.);"
echo "srv CPU = user+system time of podlabd (all threads) or nginx's workers, per request"
echo "setup: $PODS pods created in $(printf '%.1f' "$POD_WALL") s; pod Table $TABLE_BYTES bytes ($ROWS rows)"
echo
printf '%-16s %8s %8s %8s %10s %12s %14s\n' "LIST pods Table" "p50 ms" "p90 ms" "p99 ms" "req/s" "new-conn p50" "srv CPU ms/req"
row "  podlab" podlab list
row "  nginx" nginx list
ratio_line list
echo
printf '%-16s %8s %8s %8s %10s %12s %14s\n' "CREATE cm" "p50 ms" "p90 ms" "p99 ms" "creates/s" "new-conn p50" "srv CPU ms/req"
row "  podlab" podlab cm
row "  nginx" nginx cm
ratio_line cm
echo
printf 'podlabd VmRSS: start %d MiB, after %d pods %d MiB, after LIST %d MiB, after CREATE %d MiB\n' \
    $((RSS[start] / 1024)) "$PODS" $((RSS[pods] / 1024)) $((RSS[list] / 1024)) $((RSS[create] / 1024))
