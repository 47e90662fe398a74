#!/usr/bin/env bash
# The instruction budget: instructions per request of the node (valgrind's callgrind,
# the same count for the same binary and input on any load), against the budget in
# Scripts/bench/instructions-budget.json; fails when a figure is more than 10% over.
# Installs valgrind, nginx and python3 if missing and builds a release mockmcu.
#
#   ./Scripts/instructions.sh                  # check against the budget (CI runs this)
#   ./Scripts/instructions.sh --write-budget Scripts/bench/instructions-budget.json
#   ./Scripts/instructions.sh --compare OTHER  # another build's figures in the same table
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/setup.sh valgrind nginx-light python3
# (The filter drops SwiftPM's notes on a dependency's CMake files and the linker's note on the
# static Foundation's own use of mktemp: neither is about this project's code.)
swift build -c release --product mockmcu --static-swift-stdlib 2>&1 \
    | grep -vE "^warning: 'swift-distributed-tracing'|CMakeLists.txt$|the use of \`mktemp' is dangerous" || true
[ -x .build/release/mockmcu ] || { echo "instructions: the release build failed" >&2; exit 1; }
if [ $# -eq 0 ]; then
    set -- --budget Scripts/bench/instructions-budget.json
fi
exec python3 Scripts/bench/instructions.py --mockmcu .build/release/mockmcu "$@"
