#!/usr/bin/env bash
# The test command: installs what is missing, builds, then runs every test
# (XCTest and Swift Testing) and ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/setup.sh
./Scripts/setup-browser.sh  # Chromium and Playwright, for the web bridge tests
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# A hung test fails the run after 20 minutes instead of holding CI for 90.
timeout --kill-after=30 1200 swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?
# XCTest's overall line, e.g. "Executed 89 tests, with 0 failures (0 unexpected) in 2.2 seconds"
# or "Executed 191 tests, with 1 test skipped and 0 failures (0 unexpected) in …".
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
    total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
    failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$summary")
    skipped=0
    grep -qE "[0-9]+ tests? skipped" <<<"$summary" && skipped=$(sed -E 's/.*with ([0-9]+) tests? skipped.*/\1/' <<<"$summary")
    echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
    # A skipped test says why in the log (e.g. PexRTC without PEXRTC_JS).
    grep -E "Test skipped - " "$log" | sed -E 's/.*Test skipped - /  /' || true
fi
[ "$status" -eq 124 ] && echo "tests: timed out after 20 minutes" >&2
exit "$status"
