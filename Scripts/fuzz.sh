#!/usr/bin/env bash
# Fuzzes the JSON parser, the SSE parser, the node's request path and the
# scenario and conference loaders with libFuzzer (swiftc -sanitize=fuzzer, with
# AddressSanitizer), each seeded with the project's own files. Not part of
# ./Scripts/test.sh (the tests replay the seeds once, without libFuzzer).
#   ./Scripts/fuzz.sh                 # every harness, 600 s each
#   FUZZ_SECONDS=60 ./Scripts/fuzz.sh json sse
# Builds in .build-fuzz; corpora, logs and any crashing input go to fuzz-out/.
# Exit status: 0 when no harness found a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/setup.sh
seconds=${FUZZ_SECONDS:-600}
harnesses=(json sse request scenario conference)
[[ $# -gt 0 ]] && harnesses=("$@")
folder=.build-fuzz
flags=(--product mockmcu-fuzz --sanitize=fuzzer --sanitize=address --build-path "$folder"
       -Xswiftc -DFUZZING -Xswiftc -parse-as-library -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp)
echo "Building the fuzz target in $folder …" >&2
swift build "${flags[@]}" >&2
bin="$(swift build "${flags[@]}" --show-bin-path)/mockmcu-fuzz"
out=fuzz-out
mkdir -p "$out"
status=0
for h in "${harnesses[@]}"; do
    corpus="$out/corpus/$h"
    mkdir -p "$corpus"
    case $h in
        json) cp Tests/PexipWireTests/Fixtures/*.json "$corpus"/ ;;
        scenario) for f in Scenarios/*/*.yaml; do cp "$f" "$corpus/$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
        sse|request|conference) cp Scripts/fuzz/seeds/"$h"/* "$corpus"/ ;;
        *) echo "unknown harness '$h' (json, sse, request, scenario, conference)" >&2; exit 2 ;;
    esac
    echo "── $h: ${seconds} s from $(ls "$corpus" | wc -l) input(s) …" >&2
    if SWIFT_BACKTRACE=enable=no MOCKMCU_FUZZ=$h "$bin" "$corpus" -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/crash-$h-" >"$out/$h.log" 2>&1; then
        result="no crash"
    else
        result="FOUND A CRASH ($(ls "$out"/crash-"$h"-* 2>/dev/null | head -1))"; status=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$h.log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$out/$h.log" | tail -1 || echo "?")
    echo "── $h: $result; $runs runs; $cov; log: $out/$h.log" | tee -a "$out/summary.txt" >&2
done
exit $status
