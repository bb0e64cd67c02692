# Shared by test_fuzz_targets.sh and run_campaign.sh: where things are, building the targets
# with clang, and reading libFuzzer's output. Source it after setting FUZZ_SRC (the repository)
# and FUZZ_DIR (the fuzz build directory).

FUZZ_HERE="$FUZZ_SRC/tests/fuzz"
FUZZ_CORPUS="$FUZZ_HERE/corpus"

# The targets, in the order tests/fuzz/CMakeLists.txt declares them (the one list).
fuzz_targets() {
  sed -n 's/^ctdb_fuzz_target(\([a-z_]*\) .*/\1/p' "$FUZZ_HERE/CMakeLists.txt"
}

# Configures (once) and builds the targets into $FUZZ_DIR with clang; incremental after the
# first time. Prints why and returns 1 if that is impossible.
fuzz_build() {
  local cc cxx
  cc=$(command -v clang) || true
  cxx=$(command -v clang++) || true
  if [ -z "$cc" ] || [ -z "$cxx" ]; then
    echo "FAIL clang/clang++ not found: tools/setup.sh installs clang and libfuzzer-14-dev"
    return 1
  fi
  if [ ! -f "$FUZZ_DIR/CMakeCache.txt" ]; then
    mkdir -p "$FUZZ_DIR"
    if ! CC="$cc" CXX="$cxx" cmake -S "$FUZZ_HERE" -B "$FUZZ_DIR" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$FUZZ_DIR/configure.log" 2>&1; then
      cat "$FUZZ_DIR/configure.log"
      echo "FAIL configuring the fuzz targets (is libfuzzer-14-dev installed?)"
      return 1
    fi
  fi
  if ! cmake --build "$FUZZ_DIR" -j"$(nproc)" >"$FUZZ_DIR/build.log" 2>&1; then
    tail -n 40 "$FUZZ_DIR/build.log"
    echo "FAIL building the fuzz targets"
    return 1
  fi
}

# fuzz_stat LOG FIELD: a figure from libFuzzer's last status line ("#123 DONE cov: 45 ft: 67
# corp: 8/90b ... exec/s: 1234"). FIELD is one of execs, cov, ft, corp, execs_per_sec.
fuzz_stat() {
  local line
  line=$(grep -E '^#[0-9]+' "$1" | tail -n 1)
  case $2 in
    execs) sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$line" ;;
    cov) sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line" ;;
    ft) sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line" ;;
    corp) sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$line" ;;
    execs_per_sec) sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$line" ;;
  esac
}

# True when a libFuzzer log shows a finding: a crash, a sanitizer report, a leak, a timeout,
# or one of our own failed checks.
fuzz_log_has_finding() {
  # Anchored where libFuzzer and the sanitizers print them, so that a dictionary entry quoted
  # in a status line ('DE: "ERROR"') is not taken for a finding.
  grep -qE '^==[0-9]+== ?ERROR: |^SUMMARY: [A-Za-z]+Sanitizer|: runtime error: |^FUZZ CHECK FAILED |^ALARM: working on the last Unit' "$1"
}
