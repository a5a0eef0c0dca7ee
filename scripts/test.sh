#!/usr/bin/env bash
# Runs podlab's tests: the unit tests, and (as root) the integration tests that drive a real `podlab up`
# with every real kubectl found (the gcloud dispatcher's 1.31 and PyPI's 1.37 in /opt/podlab/venv).
#   sudo scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests
export PODLAB_BIN="$(swift build --show-bin-path)/podlab"
if [ "$(id -u)" -ne 0 ]; then
    echo "note: not root, so the privileged integration tests are skipped (run: sudo scripts/test.sh)"
fi
log=$(mktemp /tmp/podlab-test.XXXXXX.log)
# A hung test must not hang CI: the whole run is bounded (it takes a few minutes), and clusters that a killed
# run left behind (their state dirs are newer than this marker) are taken down by their own state dir.
marker=$(mktemp /tmp/podlab-test-start.XXXXXX)
# Two phases: the suites that bring up clusters of their own and keep them busy for minutes (the labs, the
# NetworkPolicy truth tables) run after the others, so the others' time-bounded checks (a DNS answer changing
# within 5 s of a pod's readiness, an endpoint back within a second) do not share the two cores with them.
heavy='LabTests|NetworkPolicyTests'
limit=${PODLAB_TEST_TIMEOUT:-1500}
set +e
timeout --kill-after=30 "$limit" swift test --skip-build --skip "$heavy" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The two heavy suites one after the other too: together they kept cluster DNS from answering within seconds.
for suite in LabTests NetworkPolicyTests; do
    [ "$status" -eq 124 ] || [ "$status" -eq 137 ] && break
    timeout --kill-after=30 "$limit" swift test --skip-build --filter "$suite" 2>&1 | tee -a "$log"
    next=${PIPESTATUS[0]}
    [ "$status" -eq 0 ] && status=$next
done
set -e
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "swift test did not finish within ${limit}s; taking down what it left"
    find /tmp -maxdepth 1 -name 'pltest-*' -newer "$marker" -type d | while read -r dir; do
        [ -d "$dir/state" ] && "$PODLAB_BIN" down --state-dir "$dir/state" || true
        rm -rf "$dir"
    done
fi
rm -f "$marker"
# One plain closing line: Swift Testing's totals of both phases, less the tests that recorded a failure.
total=$(grep -oE 'Test run with [0-9]+ tests?' "$log" | grep -oE '[0-9]+' | awk '{ n += $1 } END { print n + 0 }')
failed=$(grep -E '^✘ Test .* failed after' "$log" | grep -vc '^✘ Test run with' || true)
echo "podlab: $((total - failed)) passed, $failed failed"
[ "$status" -eq 0 ] || echo "swift test failed (exit $status); the full log is $log"
exit "$status"
