#!/usr/bin/env bash
# Soak (not part of the tests): 1,000 simulated clients join, refresh, chat and
# leave against one release-built node for 60 s; passes with no errors, no lost
# events and the node's memory flat after the first 10 s. Arguments go to
# Scripts/soak/soak.py (--clients, --seconds, --conferences, --expires).
# Report: stdout and soak-out/soak.json.
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/setup.sh python3
swift build -c release --product mockmcu --static-swift-stdlib >&2  # as serve.sh builds it
ulimit -n "$(ulimit -Hn)"
exec python3 Scripts/soak/soak.py --mockmcu .build/release/mockmcu "$@"
