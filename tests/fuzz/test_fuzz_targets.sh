#!/bin/bash
# Every libFuzzer target (tests/fuzz/fuzz_*.cpp) first replays its committed corpus
# (tests/fuzz/corpus/<target>/: seeds and every input that once failed, regress-*), then fuzzes
# for a short fixed time from it. Any crash, sanitizer report, leak, failed check or input
# taking more than 10 s fails the test. Builds the targets with clang into $CTDB_BUILD_DIR/fuzz
# first (incremental). Nothing is written to the source tree: the working corpus and any
# crash-*/leak-*/timeout-* files go under the build directory.
set -u
FUZZ_SRC=${CTDB_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FUZZ_DIR=${CTDB_BUILD_DIR:-$FUZZ_SRC/build}/fuzz
SECONDS_PER_TARGET=${CTDB_FUZZ_SECONDS:-15}
. "$FUZZ_SRC/tests/fuzz/fuzz_lib.sh"

start=$(date +%s)
if ! fuzz_build; then
  echo "0 passed, 1 failed"
  exit 1
fi
echo "built the fuzz targets in $(($(date +%s) - start)) s ($FUZZ_DIR)"

passed=0 failed=0
for t in $(fuzz_targets); do
  bin=$FUZZ_DIR/$t
  corpus=$FUZZ_CORPUS/$t
  work=$FUZZ_DIR/work/$t
  art=$FUZZ_DIR/artifacts/$t
  rm -rf "$work" "$art"
  mkdir -p "$work" "$art"
  if [ ! -x "$bin" ] || [ ! -d "$corpus" ]; then
    echo "FAIL $t: no binary ($bin) or no committed corpus ($corpus)"
    failed=$((failed + 1))
    continue
  fi
  ninputs=$(find "$corpus" -type f | wc -l)
  # 1. Regression: every committed input once.
  "$bin" -runs=0 -timeout=10 -artifact_prefix="$art/" "$corpus" >"$art/replay.log" 2>&1
  rc=$?
  if [ $rc != 0 ] || fuzz_log_has_finding "$art/replay.log"; then
    grep -E 'FUZZ CHECK|ERROR|runtime error|SUMMARY|Test unit written' "$art/replay.log" | head -n 20
    echo "FAIL $t: replaying the committed corpus ($ninputs inputs) failed (rc=$rc, log $art/replay.log)"
    failed=$((failed + 1))
    continue
  fi
  # 2. A short run from the committed corpus; new inputs go to the working corpus only.
  "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$art/" -print_final_stats=1 "$work" "$corpus" >"$art/fuzz.log" 2>&1
  rc=$?
  execs=$(fuzz_stat "$art/fuzz.log" execs)
  corp=$(fuzz_stat "$art/fuzz.log" corp)
  cov=$(fuzz_stat "$art/fuzz.log" cov)
  if [ $rc != 0 ] || fuzz_log_has_finding "$art/fuzz.log"; then
    grep -E 'FUZZ CHECK|ERROR|runtime error|SUMMARY|Test unit written' "$art/fuzz.log" | head -n 20
    echo "FAIL $t: execs ${execs:-?}, corpus ${corp:-?}, cov ${cov:-?}: a finding (rc=$rc, log $art/fuzz.log)"
    echo "     add the input to tests/fuzz/corpus/$t/regress-<name> once the decoder is fixed"
    failed=$((failed + 1))
    continue
  fi
  if [ -z "$execs" ] || [ "$execs" -le 0 ]; then
    echo "FAIL $t: libFuzzer ran no input (log $art/fuzz.log)"
    failed=$((failed + 1))
    continue
  fi
  echo "PASS $t: replayed $ninputs inputs, execs $execs, corpus $corp, cov $cov"
  passed=$((passed + 1))
done
echo "fuzz suite took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
