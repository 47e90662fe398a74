#!/usr/bin/env bash
# Benchmarks the node on loopback against nginx (not part of the tests).
# Installs nginx, wrk, gcc and python3 if missing, builds a release mockmcu and
# the C stream load client, then runs Scripts/bench/bench.py. Results: a table
# on stdout and in bench-out/results.md (+ .json). Arguments go to bench.py,
# e.g. --seconds 5 --streams 2000.
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/setup.sh nginx-light wrk gcc python3
swift build -c release --product mockmcu --static-swift-stdlib  # as serve.sh builds it
mkdir -p bench-out
gcc -O2 -Wall -o bench-out/sseload Scripts/bench/sseload.c
# The stream test needs a file descriptor per stream on both sides.
ulimit -n "$(ulimit -Hn)"
exec python3 Scripts/bench/bench.py --sseload bench-out/sseload "$@"
