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
# swift test's exit status is the script's (pipefail); the full log stays for a failed CI run.
swift test --skip-build 2>&1 | tee /tmp/podlab-test.log
