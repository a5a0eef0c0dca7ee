#!/usr/bin/env bash
# Cluster DNS benchmark: podlab's CoreDNS against dnsmasq serving the same names (an addn-hosts file generated
# from the same Services), 10,000 and 100,000 records, same run, both pinned to CPU 0 with one thread, dnsperf on
# CPU 1. Everything stays on 127.0.0.1. For each server: queries per second (dnsperf, 10 s, 20 outstanding
# queries per client, 4 clients) and the p50/p99 latency of a 5 s run at a fixed 5,000 queries/s.
#
#   sudo scripts/bench/dns.sh
#
# Environment (optional): PODLAB_BENCH (default: the release PodlabBench in .build-bench), SIZES="10000 100000",
# SECONDS_PER_RUN=10.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SIZES=${SIZES:-"10000 100000"}
RUN=${SECONDS_PER_RUN:-10}
die() { echo "error: $*" >&2; exit 1; }
for tool in dnsperf dnsmasq taskset dig; do command -v $tool >/dev/null || die "$tool is missing (scripts/install.sh installs it)"; done
(( $(nproc) >= 2 )) || die "needs 2 CPUs (server on one, dnsperf on the other)"
if [[ -z ${PODLAB_BENCH:-} ]]; then
    echo "building PodlabBench (release, --scratch-path .build-bench) ..."
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product PodlabBench) >/dev/null
    PODLAB_BENCH=$REPO/.build-bench/release/PodlabBench
fi
WORK=$(mktemp -d /tmp/podlab-bench-dns.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
PODLAB_PORT=53531
DNSMASQ_PORT=53532

# qps SERVER_PORT: dnsperf's queries per second against 127.0.0.1:PORT.
qps() {
    timeout $((RUN + 30)) taskset -c 1 dnsperf -s 127.0.0.1 -p "$1" -d "$WORK/queries" -l "$RUN" -c 4 -q 80 \
        -S 0 2>/dev/null | awk '/Queries per second:/ {print $4}'
}
# latency SERVER_PORT: "p50 p99" in microseconds at a fixed rate, from dnsperf's per-query latencies.
latency() {
    timeout 40 taskset -c 1 dnsperf -s 127.0.0.1 -p "$1" -d "$WORK/queries" -l 5 -Q 5000 -v 2>/dev/null \
        | awk '$1 == ">" && $2 == "NOERROR" {print $NF * 1000000}' | sort -n \
        | awk '{a[NR] = $1} END {if (NR == 0) {print "- -"; exit} printf "%d %d\n", a[int(NR * 0.5)], a[int(NR * 0.99)]}'
}
wait_answers() { # PORT NAME
    for _ in $(seq 100); do
        dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 "$2" | grep -q . && return 0
        sleep 0.1
    done
    die "nothing answers on 127.0.0.1:$1"
}

for n in $SIZES; do
    [[ $n =~ ^[1-9][0-9]*$ ]] && ((n <= 200000)) || die "sizes must be 1-200000, got '$n'"
    rm -f "$WORK/ready"
    taskset -c 0 "$PODLAB_BENCH" dns "$n" "$WORK" "$PODLAB_PORT" > "$WORK/podlab.out" &
    PIDS+=($!); podlab_pid=$!
    for _ in $(seq 600); do [[ -e $WORK/ready ]] && break; sleep 0.1; done
    wait_answers "$PODLAB_PORT" svc-0.bench.svc.cluster.local
    p_qps=$(qps "$PODLAB_PORT"); read -r p_p50 p_p99 < <(latency "$PODLAB_PORT")
    p_rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$podlab_pid/status")
    kill "$podlab_pid"; wait "$podlab_pid" 2>/dev/null || true

    taskset -c 0 dnsmasq --keep-in-foreground --user=root --port="$DNSMASQ_PORT" --listen-address=127.0.0.1 \
        --bind-interfaces --no-resolv --no-hosts --addn-hosts="$WORK/hosts" --cache-size=0 \
        --pid-file="$WORK/dnsmasq.pid" --log-facility=- 2>/dev/null &
    PIDS+=($!); dnsmasq_pid=$!
    wait_answers "$DNSMASQ_PORT" svc-0.bench.svc.cluster.local
    d_qps=$(qps "$DNSMASQ_PORT"); read -r d_p50 d_p99 < <(latency "$DNSMASQ_PORT")
    d_rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$dnsmasq_pid/status")
    kill "$dnsmasq_pid"; wait "$dnsmasq_pid" 2>/dev/null || true

    cat "$WORK/podlab.out"
    awk -v n="$n" -v pq="$p_qps" -v dq="$d_qps" -v pp50="$p_p50" -v pp99="$p_p99" -v dp50="$d_p50" -v dp99="$d_p99" \
        -v pr="$p_rss" -v dr="$d_rss" 'BEGIN {
        printf "%6d records: podlab %.0f q/s vs dnsmasq %.0f q/s -> %.2fx (goal >= 1.0); p50/p99 at 5,000 q/s: podlab %s/%s us, dnsmasq %s/%s us; RSS %s vs %s MiB\n", n, pq, dq, pq / dq, pp50, pp99, dp50, dp99, pr, dr
    }'
done
echo "(context: CoreDNS's published figure is 33,669 q/s on 2 vCPU)"
