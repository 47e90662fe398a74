#!/usr/bin/env bash
# The test suite under ThreadSanitizer and AddressSanitizer (not part of
# ./Scripts/test.sh: each needs its own build, several minutes on 2 cores).
#   ./Scripts/sanitize.sh            # both
#   ./Scripts/sanitize.sh thread     # one; further arguments go to swift test (e.g. --filter MockNodeTests)
# Each builds in its own folder (.build-thread, .build-address) and writes its
# log to sanitize-out/<name>.log, and every process's reports to
# sanitize-out/<name>-reports.<pid>. Suppressions, each with its reason, are in
# Scripts/sanitize/thread.supp (none needed today). Exit status: 0 when every run is clean.
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/setup.sh
mkdir -p sanitize-out
kinds=(thread address)
if [[ $# -gt 0 && ( $1 == thread || $1 == address ) ]]; then kinds=("$1"); shift; fi
status=0
for kind in "${kinds[@]}"; do
    folder=".build-$kind"
    log="sanitize-out/$kind.log"
    echo "── $kind sanitizer: building in $folder …" >&2
    swift build --build-tests --sanitize="$kind" --build-path "$folder" >"$log" 2>&1 || { echo "build failed, see $log" >&2; status=1; continue; }
    echo "── $kind sanitizer: testing …" >&2
    # Every process (the test bundle and the programs it runs) writes its reports to
    # sanitize-out/<kind>-reports.<pid>; none written means a clean run.
    rm -f sanitize-out/"$kind"-reports.*
    export TSAN_OPTIONS="suppressions=$PWD/Scripts/sanitize/thread.supp halt_on_error=0 second_deadlock_stack=1 log_path=$PWD/sanitize-out/$kind-reports"
    # Leak checking is off (docs/hardening.md): at the end of an XCTest bundle LeakSanitizer
    # lists what the harness, Foundation's Process and Pipe objects, URLSession's libcurl
    # handles, swift-log's global handler and libdispatch's timers keep until exit, about
    # 4 MB in all and none of it growing per request; growth is what Scripts/soak.sh measures.
    export ASAN_OPTIONS="detect_leaks=0 halt_on_error=0 log_path=$PWD/sanitize-out/$kind-reports"
    export SWIFT_BACKTRACE=enable=no  # the crash backtracer reads other stacks, which ASan reports
    # The test suite's children (pexip-client, broken-client, mockmcu) come from the same build.
    if swift test --skip-build --sanitize="$kind" --build-path "$folder" "$@" >>"$log" 2>&1; then
        result="tests passed"
    else
        result="tests FAILED"; status=1
    fi
    reports=$(cat sanitize-out/"$kind"-reports.* 2>/dev/null | grep -c "WARNING: ThreadSanitizer\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer" || true)
    [[ $reports -gt 0 ]] && status=1
    echo "── $kind sanitizer: $result, $reports report(s); log: $log, reports: sanitize-out/$kind-reports.*" >&2
done
exit $status
