#!/usr/bin/env bash
# The main job: installs what is missing, builds mockmcu and the reference
# client, and runs every conformance scenario against the reference client,
# writing reports/junit.xml and reports/results.json. (Debug builds: they
# share the test build, and the suite's time is spent waiting on the protocol.)
# Arguments go to `mockmcu run`, e.g.
#   ./Scripts/suite.sh --run 'expiry/*' --trace
# To test your own client instead: .build/debug/mockmcu run -- <your command>
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/setup.sh
echo "Building mockmcu and pexip-client…" >&2
swift build --product mockmcu >&2
swift build --product pexip-client >&2
mkdir -p reports
exec .build/debug/mockmcu run --junit reports/junit.xml --json reports/results.json "$@" \
    -- .build/debug/pexip-client --driver
