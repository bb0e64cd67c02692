#!/bin/bash
# The long fuzzing campaign: every target for EXECS inputs (default 10,000,000) under nice -n 19,
# each from a fresh working corpus in a temp dir seeded with the committed one
# (tests/fuzz/corpus/<target>/). Prints per target the inputs run, exec/s, final corpus size,
# coverage (cov: edges, ft: features, from libFuzzer's last line) and crashes, as a Markdown
# table. An input that crashes, leaks, times out (10 s) or fails a check is copied into
# tests/fuzz/corpus/<target>/regress-<kind>-<hash>, so that the CI test replays it; after a
# crash the target goes on with the inputs it has left (at most 5 findings per target).
#
#   tests/fuzz/run_campaign.sh [EXECS]
#   CTDB_FUZZ_JOBS=2 tests/fuzz/run_campaign.sh     # two targets at a time
#   CTDB_FUZZ_TARGETS="fuzz_packet fuzz_message" tests/fuzz/run_campaign.sh 1000000
# Builds into ${CTDB_BUILD_DIR:-build}/fuzz like the CI test.
set -u
EXECS=${1:-10000000}
FUZZ_SRC=${CTDB_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FUZZ_DIR=${CTDB_BUILD_DIR:-$FUZZ_SRC/build}/fuzz
JOBS=${CTDB_FUZZ_JOBS:-1}
. "$FUZZ_SRC/tests/fuzz/fuzz_lib.sh"

fuzz_build || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctdb-fuzz-campaign.XXXXXX")
pids=()
cleanup() {
  # The fuzzers first (their pids are in $tmp/*.pid), then the shells that run them.
  for f in "$tmp"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# campaign TARGET: runs it to EXECS inputs and writes its table row to $tmp/TARGET.row.
campaign() {
  local t=$1 work=$tmp/$1 art=$tmp/$1.artifacts left=$EXECS done=0 findings=0 round=0
  local secs start rc f kind name n
  trap - EXIT INT TERM  # the main shell cleans up
  mkdir -p "$work" "$art"
  cp -r "$FUZZ_CORPUS/$t/." "$work/"
  start=$(date +%s)
  while [ "$left" -gt 0 ] && [ "$findings" -lt 5 ]; do
    round=$((round + 1))
    nice -n 19 "$FUZZ_DIR/$t" -runs="$left" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$art/" -print_final_stats=1 "$work" >"$tmp/$t.$round.log" 2>&1 &
    echo $! >"$tmp/$t.pid"
    wait $!
    rc=$?
    rm -f "$tmp/$t.pid"
    n=$(fuzz_stat "$tmp/$t.$round.log" execs)
    n=${n:-0}
    done=$((done + n))
    left=$((left - n))
    cp "$tmp/$t.$round.log" "$tmp/$t.log"
    if [ $rc = 0 ] && ! fuzz_log_has_finding "$tmp/$t.$round.log"; then break; fi
    for f in "$art"/*; do
      [ -f "$f" ] || continue
      kind=$(basename "$f" | cut -d- -f1)
      name="regress-$kind-$(sha1sum "$f" | cut -c1-12)"
      cp "$f" "$FUZZ_CORPUS/$t/$name"
      echo "$t: finding saved as tests/fuzz/corpus/$t/$name" >&2
      grep -E 'FUZZ CHECK|ERROR:|runtime error|SUMMARY' "$tmp/$t.$round.log" | head -n 5 >&2
      rm -f "$f"
      findings=$((findings + 1))
    done
    # A run that ends without progress or artifact would loop forever: stop there.
    if [ "$n" = 0 ]; then
      findings=$((findings + 1))
      break
    fi
  done
  secs=$(($(date +%s) - start))
  [ "$secs" -gt 0 ] || secs=1
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$done" "$((done / secs))" \
    "$(fuzz_stat "$tmp/$t.log" corp)" "$(fuzz_stat "$tmp/$t.log" cov)" \
    "$(fuzz_stat "$tmp/$t.log" ft)" "$findings" "$secs" >"$tmp/$t.row"
  cat "$tmp/$t.row"
}

targets=${CTDB_FUZZ_TARGETS:-$(fuzz_targets)}
echo "campaign: $EXECS inputs per target, $JOBS at a time, under nice -n 19 ($FUZZ_DIR)"
for t in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  campaign "$t" &
  pids+=($!)
done
wait

echo
echo "| target | execs | exec/s | corpus | cov | ft | crashes | seconds |"
echo "|---|---|---|---|---|---|---|---|"
total=0
for t in $targets; do
  cat "$tmp/$t.row" 2>/dev/null || echo "| $t | (no result) | | | | | | |"
  c=$(cut -d'|' -f8 "$tmp/$t.row" 2>/dev/null | tr -d ' ')
  total=$((total + ${c:-1}))
done
echo
echo "findings: $total"
[ "$total" = 0 ]
