#!/usr/bin/env bash
# Rule programming benchmark: 1,000 and 5,000 Services x 3 endpoints in kube-proxy's nftables layout, loaded as
# a full sync by podlab (its model, then one libnftables transaction) and, as the peer in the same run, by
# `nft -f` loading the very same script; then one Service's endpoints changed at that size (podlab's partial
# sync against `nft -f` of the same change script). Each load happens in a throwaway network namespace.
#
#   sudo scripts/bench/rules.sh
#
# Environment (optional): PODLAB_BENCH (default: the release PodlabBench in .build-bench), SIZES="1000 5000".
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SIZES=${SIZES:-"1000 5000"}
die() { echo "error: $*" >&2; exit 1; }
(( $(id -u) == 0 )) || die "run as root (it creates network namespaces)"
command -v nft >/dev/null || die "nft is missing (apt-get install nftables)"
if [[ -z ${PODLAB_BENCH:-} ]]; then
    echo "building PodlabBench (release, --scratch-path .build-bench) ..."
    (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product PodlabBench) >/dev/null
    PODLAB_BENCH=$REPO/.build-bench/release/PodlabBench
fi
WORK=$(mktemp -d /tmp/podlab-bench-rules.XXXXXX)
NS=plbrules$$
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ip netns add "$NS"
now() { date +%s.%N; }
for n in $SIZES; do
    [[ $n =~ ^[1-9][0-9]*$ ]] && ((n <= 20000)) || die "sizes must be 1-20000, got '$n'"
    # podlab first: it writes the scripts the peer loads, and leaves the namespace empty.
    line=$(timeout 600 ip netns exec "$NS" "$PODLAB_BENCH" rules "$n" "$WORK")
    t0=$(now); timeout 600 ip netns exec "$NS" nft -f "$WORK/full.nft"; t1=$(now)
    timeout 60 ip netns exec "$NS" nft -f "$WORK/change.nft"; t2=$(now)
    ip netns exec "$NS" nft delete table ip kube-proxy
    peer_full=$(awk -v a="$t1" -v b="$t0" 'BEGIN {print a - b}')
    peer_change=$(awk -v a="$t2" -v b="$t1" 'BEGIN {print a - b}')
    echo "$line"
    echo "$line" | awk -v pf="$peer_full" -v pc="$peer_change" -v n="$n" '{
        for (i = 1; i <= NF; i++) {
            if ($i == "full" && $(i-1) == "model") mf = $(i+1)
            if ($i == "full" && $(i-1) == "libnftables") lf = $(i+1)
            if ($i == "change" && $(i-1) == "model") mc = $(i+1)
            if ($i == "change" && $(i-1) == "libnftables") lc = $(i+1)
        }
        printf "%5d services: full sync podlab %.3f s (model %.3f + kernel %.3f) vs nft -f %.3f s -> %.2fx\n", n, mf + lf, mf, lf, pf, (mf + lf) / pf
        printf "%5d services: one change podlab %.1f ms (model %.1f + kernel %.1f) vs nft -f %.1f ms -> %.2fx (goal < 50 ms)\n", n, (mc + lc) * 1000, mc * 1000, lc * 1000, pc * 1000, (mc + lc) / pc
    }'
done
