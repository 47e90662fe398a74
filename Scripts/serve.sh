#!/usr/bin/env bash
# Installs what is missing, builds, and runs a mock node (default: 127.0.0.1:8080
# with the built-in conferences). Arguments go to `mockmcu serve`, e.g.
#   ./Scripts/serve.sh --port 9000 --config conferences.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/setup.sh
swift build -c release --product mockmcu --static-swift-stdlib >&2  # static: starts in about 15 ms, not 22
exec .build/release/mockmcu serve "$@"
