# Sourced by run_bench.sh and by bigdb.sh run alone: tests/lib/harness.sh (which starts and stops
# daemons by PID and cleans up on EXIT) with its notes and log dumps on stderr, so that stdout
# holds the result lines only. Needs CTDB_SRC_DIR.
# shellcheck source=../../tests/lib/harness.sh
source "$CTDB_SRC_DIR/tests/lib/harness.sh"
h_note() { echo "# $*" >&2; }
h_dump_logs() {
  local n f
  for n in "${H_NODES[@]}"; do
    for f in "${H_LOG[$n]}" "${H_OUT[$n]}"; do
      [ -s "$f" ] || continue
      echo "----- $n (${H_KIND[$n]} ${H_ADDR[$n]}): last $H_LOG_LINES lines of $f"
      tail -n "$H_LOG_LINES" "$f"
    done
  done >&2
}

# bench_cluster_ready PREFIX COUNT: every node's `ctdb status` lists COUNT nodes, all OK, and
# recovery mode NORMAL.
bench_cluster_ready() {
  local prefix=$1 count=$2 i out
  for ((i = 0; i < count; i++)); do
    out=$(H_TOOL_TIMEOUT=5 h_ctdb "$prefix$i" status 2>/dev/null) || return 1
    [ "$(grep -cE '^pnn:[0-9]+ +[^ ]+ +OK' <<<"$out")" == "$count" ] || return 1
    grep -q '^Recovery mode:NORMAL' <<<"$out" || return 1
  done
}
