#!/usr/bin/env bash
# Responder benchmark: podlab's built-in nginx responder against the real nginx (nginx-light) serving the same
# page bytes, both on CPU 0, loaded by wrk on CPU 1, in the same run. Prints req/s and p99 latency for each and
# the ratios podlab/nginx, then each server's RSS. Figures are ratios to that peer, never absolute targets.
#
#   sudo scripts/bench/responder.sh
#
# Environment (all optional):
#   PODLAB_BENCH=path  the PodlabBench binary (default: the tree's release build in .build-bench, brought up to date)
#   DURATION=10        seconds per wrk run (capped at 60); each server gets two runs, in the order podlab, nginx,
#                      nginx, podlab (ABBA), after a WARMUP-second run each (default 2)
#   CONNS=50           wrk connections (capped at 1000), on THREADS=1 wrk threads
#
# Both servers do the same work per request: parse it, answer from memory or the page cache with the same headers
# and the same 521-byte page, and append a combined-format access-log line to a file with one write(2). nginx runs
# one worker process and podlab one event loop (NIO_SINGLETON_GROUP_LOOP_COUNT=1: NIO sizes its group by the
# cgroup's CPUs, not by taskset's mask, and two loops time-sliced on one CPU triple the p99). Only 127.0.0.1 is
# used. The trap stops the two servers this script started, by PID, and removes the run's temp directory.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-50}
THREADS=${THREADS:-1}
REPO=$(cd "$(dirname "$0")/../.." && pwd)

die() { echo "error: $*" >&2; exit 1; }
for n in DURATION WARMUP CONNS THREADS; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer, got '${!n}'"
done
# Bounds: every load is limited in time (wrk -d, and timeout around it) and in connections.
((DURATION <= 60 && WARMUP <= 10 && CONNS <= 1000 && THREADS <= CONNS && THREADS <= 8)) \
    || die "DURATION is capped at 60, WARMUP at 10, CONNS at 1000 and THREADS at 8 (and at CONNS)"
(($(nproc) >= 2)) || die "needs two CPUs (servers on CPU 0, wrk on CPU 1); this machine has $(nproc)"

missing=()
for tool in wrk nginx curl python3 taskset bc; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
    pkgs=()
    for tool in "${missing[@]}"; do
        case $tool in
        wrk) pkgs+=(wrk) ;;
        nginx) pkgs+=(nginx-light) ;;
        *) die "$tool is missing (install it: it is not one this script installs)" ;;
        esac
    done
    [[ $(id -u) == 0 ]] || die "${pkgs[*]} missing; run as root to have them installed: sudo $0"
    echo "installing ${pkgs[*]} ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null
fi

if [[ -z ${PODLAB_BENCH:-} ]]; then
    PODLAB_BENCH=$REPO/.build-bench/release/PodlabBench
    echo "building PodlabBench (release, --scratch-path .build-bench) ..."
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product PodlabBench) >/dev/null
fi
[[ -x $PODLAB_BENCH ]] || die "no PodlabBench binary at $PODLAB_BENCH"

WORK=$(mktemp -d /tmp/podlab-bench-responder.XXXXXX)
PODLAB_PID=
NGINX_PID=
WRK_PID=
stop() {   # stop PID: TERM one process this script started, and reap it
    [[ -n $1 ]] && kill -0 "$1" 2>/dev/null || return 0
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    stop "$WRK_PID"
    stop "$PODLAB_PID"
    stop "$NGINX_PID"   # the master stops its worker on TERM
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_http PORT PID LOG: until 127.0.0.1:PORT answers, or die when PID has exited or 10 s have passed.
wait_http() {
    local i
    for i in $(seq 100); do
        curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$1/" && return 0
        kill -0 "$2" 2>/dev/null || die "server on port $1 exited: $(tail -3 "$3" 2>/dev/null)"
        sleep 0.1
    done
    die "nothing answers on 127.0.0.1:$1 after 10 s"
}

# podlab: the nginx responder, logging to a file as the container shim does (one write per line).
PODLAB_PORT=$(free_port)
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 \
    "$PODLAB_BENCH" responder nginx --port "$PODLAB_PORT" --log "$WORK/podlab-access.log" 2>"$WORK/podlab.err" &
PODLAB_PID=$!
wait_http "$PODLAB_PORT" "$PODLAB_PID" "$WORK/podlab.err"

# nginx: the page podlab sends, with the welcome page's mtime, so the ETag and Last-Modified headers match too.
mkdir -p "$WORK/www"
curl -sS --max-time 5 -o "$WORK/www/index.html" "http://127.0.0.1:$PODLAB_PORT/"
touch -d @1744804871 "$WORK/www/index.html"
NGINX_PORT=$(free_port)
# As the nginx image's nginx.conf (sendfile on, the `main` log format, an unbuffered access log), with one worker
# and keep-alive connections never cut by a request count (podlab does not cut them either).
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 2048; }
http {
    types { text/html html; }
    default_type application/octet-stream;
    log_format main '\$remote_addr - \$remote_user [\$time_local] "\$request" '
                    '\$status \$body_bytes_sent "\$http_referer" '
                    '"\$http_user_agent" "\$http_x_forwarded_for"';
    access_log $WORK/nginx-access.log main;
    sendfile on;
    keepalive_timeout 65;
    keepalive_requests 1000000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
        index index.html;
    }
}
EOF
chmod 755 "$WORK" && chmod -R a+rX "$WORK/www"   # the worker runs as nobody when started by root
taskset -c 0 nginx -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
wait_http "$NGINX_PORT" "$NGINX_PID" "$WORK/nginx-error.log"

cmp -s <(curl -sS --max-time 5 "http://127.0.0.1:$NGINX_PORT/") "$WORK/www/index.html" \
    || die "nginx does not serve podlab's page bytes"
size() { curl -sS --max-time 5 -D - -o /dev/null "http://127.0.0.1:$1/" | wc -c; }
PODLAB_HEAD=$(size "$PODLAB_PORT")
NGINX_HEAD=$(size "$NGINX_PORT")
PAGE=$(stat -c %s "$WORK/www/index.html")

# load PORT SECONDS OUT: one wrk run on CPU 1 against 127.0.0.1:PORT, its report in OUT. wrk runs in the
# background and is waited for, so an interrupt reaches the trap at once.
load() {
    local rc=0
    taskset -c 1 timeout $(($2 + 30)) wrk -t "$THREADS" -c "$CONNS" -d "${2}s" --timeout 5s --latency \
        "http://127.0.0.1:$1/" >"$3" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=
    ((rc == 0)) || die "wrk against port $1 failed (exit $rc): $(tail -3 "$3")"
    ! grep -qE 'Non-2xx|Socket errors' "$3" \
        || die "wrk against port $1 saw errors: $(grep -E 'Non-2xx|Socket errors' "$3")"
}
# figures OUT: "req/s p99-in-microseconds" from a wrk report.
figures() {
    awk '
        /^Requests\/sec:/ { rate = $2 }
        $1 == "99%" {
            v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
            p99 = v * (unit == "us" ? 1 : unit == "ms" ? 1000 : unit == "s" ? 1000000 : 60000000)
        }
        END { if (rate == "" || p99 == "") exit 1; printf "%s %s\n", rate, p99 }' "$1" \
        || die "cannot read req/s and p99 from wrk report $1"
}

echo "warm-up: ${WARMUP} s each ..."
load "$PODLAB_PORT" "$WARMUP" "$WORK/warm-podlab.txt"
load "$NGINX_PORT" "$WARMUP" "$WORK/warm-nginx.txt"

declare -A RATE P99
run=0
for peer in podlab nginx nginx podlab; do
    run=$((run + 1))
    [[ $peer == podlab ]] && port=$PODLAB_PORT || port=$NGINX_PORT
    echo "run $run/4: $peer, ${DURATION} s ..."
    load "$port" "$DURATION" "$WORK/run$run-$peer.txt"
    read -r rate p99 < <(figures "$WORK/run$run-$peer.txt")
    RATE[$peer]="${RATE[$peer]:-} $rate"
    P99[$peer]="${P99[$peer]:-} $p99"
done

rss_kb() { awk '/^VmRSS:/ {s += $2} END {print s}' "${@/%//status}"; }
PODLAB_RSS=$(rss_kb "/proc/$PODLAB_PID")
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
[[ -n $NGINX_WORKER ]] || die "nginx has no worker process"
NGINX_WORKER_RSS=$(rss_kb "/proc/$NGINX_WORKER")
NGINX_MASTER_RSS=$(rss_kb "/proc/$NGINX_PID")
PODLAB_LINES=$(grep -c '"GET / HTTP/1.1" 200' "$WORK/podlab-access.log" || true)
NGINX_LINES=$(grep -c '"GET / HTTP/1.1" 200' "$WORK/nginx-access.log" || true)

mean() { echo "$@" | awk '{for (i = 1; i <= NF; i++) s += $i; printf "%.2f\n", s / NF}'; }
echo
echo "podlab $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?') ($PODLAB_BENCH responder nginx)" \
    "vs nginx $(nginx -v 2>&1 | sed 's/.*\///') (1 worker); servers on CPU 0," \
    "wrk $(wrk --version 2>&1 | awk 'NR==1 {print $2}') on CPU 1:" \
    "-t$THREADS -c$CONNS, 2 x ${DURATION} s per server (ABBA), HTTP/1.1 keep-alive GET /"
echo "response: $PAGE-byte page + headers (podlab $PODLAB_HEAD bytes, nginx $NGINX_HEAD bytes);" \
    "access-log lines written: podlab $PODLAB_LINES, nginx $NGINX_LINES"
echo
printf '%-8s %12s %12s %12s %12s\n' "" "req/s" "(runs)" "p99 us" "(runs)"
for peer in podlab nginx; do
    read -r r1 r2 <<<"${RATE[$peer]}"
    read -r l1 l2 <<<"${P99[$peer]}"
    printf '%-8s %12.0f %12s %12.0f %12s\n' "$peer" "$(mean $r1 $r2)" "$(printf '%.0f/%.0f' "$r1" "$r2")" \
        "$(mean $l1 $l2)" "$(printf '%.0f/%.0f' "$l1" "$l2")"
done
printf '%-8s %12.3f %12s %12.3f   (podlab/nginx; req/s above 1 and p99 below 1 favour podlab)\n' "ratio" \
    "$(echo "$(mean ${RATE[podlab]}) / $(mean ${RATE[nginx]})" | bc -l)" "" \
    "$(echo "$(mean ${P99[podlab]}) / $(mean ${P99[nginx]})" | bc -l)"
echo
printf 'VmRSS after the runs: podlab %.1f MiB; nginx worker %.1f MiB + master %.1f MiB = %.1f MiB\n' \
    "$(echo "$PODLAB_RSS / 1024" | bc -l)" "$(echo "$NGINX_WORKER_RSS / 1024" | bc -l)" \
    "$(echo "$NGINX_MASTER_RSS / 1024" | bc -l)" "$(echo "($NGINX_WORKER_RSS + $NGINX_MASTER_RSS) / 1024" | bc -l)"
