#!/bin/bash
# The second CI entry, run before each submission: every target built with AddressSanitizer and
# UBSan into build-asan/, then the cluster, netns and interop suites run on those daemons and
# tools (the unit tests always run under both sanitizers in the main entry). A sanitizer report
# aborts the process that made it, so the test that started it fails; the daemons' logs keep the
# report. Ends with ctest's summary line.
#   bash tools/ci-sanitize.sh            # all three suites
#   bash tools/ci-sanitize.sh cluster    # one suite (a ctest label)
set -eu
cd "$(dirname "$0")/.."
bash tools/setup.sh >/dev/null
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCTDB_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
# Leaks are reported at exit too; a report makes the daemon exit non-zero, which the harness's
# clean-shutdown check catches. Reports go to each daemon's captured output. The quarantine of
# freed memory (256 MB by default) is kept to 16 MB: the tests that bound a daemon's memory
# (a client that never reads) measure RSS, which a full quarantine would grow by 100 MB.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:print_summary=1:quarantine_size_mb=16}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
labels=${1:-cluster|netns|interop}
cd build-asan
ctest --output-on-failure -L "$labels" --timeout 900
