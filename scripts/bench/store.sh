#!/usr/bin/env bash
# Store durability benchmark: ClusterStore creates with fdatasync per write (.fsync, the default) against the same
# store without syncing (.none), interleaved in one run; prints creates/s for each and the ratio fsync/none.
#
#   sudo scripts/bench/store.sh            (root is not required; the README's figures were made this way)
#
# Environment (optional): CREATES=2000 per store, BLOCK=100 creates per alternation, DIR=/var/tmp (must be a real
# disk, not tmpfs, or a sync costs nothing).
set -euo pipefail

CREATES=${CREATES:-2000}
BLOCK=${BLOCK:-100}
DIR=${DIR:-/var/tmp}
REPO=$(cd "$(dirname "$0")/../.." && pwd)

die() { echo "error: $*" >&2; exit 1; }
for n in CREATES BLOCK; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer, got '${!n}'"
done
((CREATES <= 100000)) || die "CREATES is capped at 100000"
[[ $(stat -f -c %T "$DIR") != tmpfs ]] || die "$DIR is tmpfs: fsync would cost nothing there; set DIR to a disk"

echo "building PodlabBench (release, --scratch-path .build-bench) ..."
(cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product PodlabBench) >/dev/null

WORK=$(mktemp -d "$DIR/podlab-bench-store.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "filesystem: $(stat -f -c %T "$DIR") ($(df --output=source "$DIR" | tail -1)), $(nproc) vCPU"
timeout 600 "$REPO/.build-bench/release/PodlabBench" "$CREATES" "$BLOCK" "$WORK"
