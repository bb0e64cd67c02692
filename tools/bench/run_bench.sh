#!/bin/bash
# Side-by-side benchmark: our 3-node cluster and Debian's stock 3-node cluster on loopback,
# the same ctdb_bench workloads against each; prints "WORKLOAD ours=X stock=Y ratio=Z".
#
# Builds nothing. Environment:
#   CTDB_BUILD_DIR   build dir holding ctdbd and ctdb_bench (default ./build)
#   CTDB_BENCH       the benchmark client (default $CTDB_BUILD_DIR/ctdb_bench)
#   BENCH_TIME       seconds per measured run (default 10)
#   BENCH_RUNS       runs per workload and side; the median is printed (default 3)
#   BENCH_TOKENS     messages / tokens circulating at once in the ring workloads (default 1)
#   BENCH_WORKLOADS  workloads to run (default: all that `ctdb_bench --list` knows)
#   BENCH_OURS_ADDRS / BENCH_STOCK_ADDRS  node addresses (default 127.0.0.101-103 / .111-113)
#   BENCH_READY_DEADLINE  seconds for a cluster to become healthy (default 90)
# Workloads that report how much a node's tdb file grew (delete_churn: whether vacuuming keeps
# up) also print "WORKLOAD_growth_kib ours=X stock=Y ratio=Z" (smaller is better there).
# stdout carries only the result lines; progress and per-run figures go to stderr.
# A workload that fails on either side (not available, error, timeout) prints no line.

set -u
CTDB_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTDB_BUILD_DIR=$(cd "${CTDB_BUILD_DIR:-./build}" 2>/dev/null && pwd) || {
  echo "run_bench.sh: build dir ${CTDB_BUILD_DIR:-./build} not found (set CTDB_BUILD_DIR)" >&2
  exit 2
}
export CTDB_SRC_DIR CTDB_BUILD_DIR
CTDB_BENCH=${CTDB_BENCH:-$CTDB_BUILD_DIR/ctdb_bench}
BENCH_TIME=${BENCH_TIME:-10}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_TOKENS=${BENCH_TOKENS:-1}
BENCH_READY_DEADLINE=${BENCH_READY_DEADLINE:-90}
read -r -a OURS_ADDRS <<<"${BENCH_OURS_ADDRS:-127.0.0.101 127.0.0.102 127.0.0.103}"
read -r -a STOCK_ADDRS <<<"${BENCH_STOCK_ADDRS:-127.0.0.111 127.0.0.112 127.0.0.113}"

for f in "$CTDB_BUILD_DIR/ctdbd" "$CTDB_BENCH" /usr/sbin/ctdbd /usr/bin/ctdb; do
  [ -x "$f" ] || {
    echo "run_bench.sh: $f missing (build ctdbd and ctdb_bench; install package ctdb)" >&2
    exit 2
  }
done

# The harness starts and stops daemons by PID and cleans up on EXIT; its notes go to stderr
# here so that stdout holds the result lines only.
# shellcheck source=../../tests/lib/harness.sh
source "$CTDB_SRC_DIR/tests/lib/harness.sh"
h_note() { echo "# $*" >&2; }
h_dump_logs() { _bench_dump_logs "$@" >&2; }
_bench_dump_logs() {
  local n f
  for n in "${H_NODES[@]}"; do
    for f in "${H_LOG[$n]}" "${H_OUT[$n]}"; do
      [ -s "$f" ] || continue
      echo "----- $n (${H_KIND[$n]} ${H_ADDR[$n]}): last $H_LOG_LINES lines of $f"
      tail -n "$H_LOG_LINES" "$f"
    done
  done
}
h_init bench

# ready PREFIX COUNT: every node's `ctdb status` lists COUNT nodes, all OK, recovery NORMAL.
ready() {
  local prefix=$1 count=$2 i out
  for ((i = 0; i < count; i++)); do
    out=$(H_TOOL_TIMEOUT=5 h_ctdb "$prefix$i" status 2>/dev/null) || return 1
    [ "$(grep -cE '^pnn:[0-9]+ +[^ ]+ +OK' <<<"$out")" == "$count" ] || return 1
    grep -q '^Recovery mode:NORMAL' <<<"$out" || return 1
  done
}

start_clusters() {
  local i
  h_write_nodes "$H_TMP/ours.nodes" "${OURS_ADDRS[@]}"
  for i in "${!OURS_ADDRS[@]}"; do
    h_start_ours "ours$i" "${OURS_ADDRS[$i]}" "$H_TMP/ours.nodes" --reclock="$H_TMP/ours.reclock"
  done
  h_write_nodes "$H_TMP/stock.nodes" "${STOCK_ADDRS[@]}"
  for i in "${!STOCK_ADDRS[@]}"; do
    h_start_stock "stock$i" "${STOCK_ADDRS[$i]}" "$H_TMP/stock.nodes" "$H_TMP/stock.reclock"
  done
  local side n=${#OURS_ADDRS[@]} m=${#STOCK_ADDRS[@]}
  for side in "ours $n" "stock $m"; do
    set -- $side
    if ! wait_for "ready $1 $2" "$BENCH_READY_DEADLINE" 0.5; then
      echo "run_bench.sh: $1 cluster not healthy after ${BENCH_READY_DEADLINE}s" >&2
      H_TOOL_TIMEOUT=5 h_ctdb "${1}0" status >&2
      H_FAIL=1
      exit 1
    fi
    h_note "$1 cluster ready"
  done
}

sockets() {
  local prefix=$1 count=$2 i
  for ((i = 0; i < count; i++)); do printf '%s\n' "${H_SOCK[$prefix$i]}"; done
}

# cpu_ticks PREFIX COUNT: CPU clock ticks used so far by the daemons of a cluster, with every
# process in their process groups (stock's recovery and event daemons, helpers).
cpu_ticks() {
  local prefix=$1 count=$2 i pgrps=""
  for ((i = 0; i < count; i++)); do pgrps+=" ${H_PID[$prefix$i]}"; done
  # /proc/PID/stat: the command may hold spaces, so fields count from the last ')'.
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v pg="$pgrps" '
    BEGIN { n = split(pg, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    { sub(/^.*\) /, ""); if ($3 in want) t += $12 + $13 } END { print t + 0 }'
}

# one_run WORKLOAD PREFIX COUNT: prints the rate and, when the workload reports it, the file
# growth in KiB ("-" otherwise); nothing (and returns 1) on failure.
one_run() {
  local wl=$1 prefix=$2 count=$3 out rc t0 t1 ops
  local -a socks
  mapfile -t socks < <(sockets "$prefix" "$count")
  t0=$(cpu_ticks "$prefix" "$count")
  out=$("$CTDB_BENCH" --time="$BENCH_TIME" --tokens="$BENCH_TOKENS" "$wl" "${socks[@]}" 2>"$H_TMP/bench.err")
  rc=$?
  t1=$(cpu_ticks "$prefix" "$count")
  sed 's/^/#   /' "$H_TMP/bench.err" >&2
  ops=$(sed -n 's/.* ops=\([0-9]*\) .*/\1/p' <<<"$out")
  [ -z "$ops" ] || awk -v p="$prefix" -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v o="$ops" \
    'BEGIN { printf "#   %s daemons_cpu=%.2fs (%.1f us/op)\n", p, d / hz, (o > 0 ? d / hz * 1e6 / o : 0) }' >&2
  if [ $rc != 0 ]; then
    h_note "$wl on $prefix failed (exit $rc)"
    return 1
  fi
  local rate growth
  rate=$(sed -n 's/.* rate=\([0-9.]*\) .*/\1/p' <<<"$out")
  growth=$(sed -n 's/.* growth_kib=\([0-9.-]*\).*/\1/p' <<<"$out")
  [ -n "$rate" ] || return 1
  echo "$rate ${growth:--}"
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

start_clusters
if [ -n "${BENCH_WORKLOADS:-}" ]; then
  read -r -a WORKLOADS <<<"$BENCH_WORKLOADS"
else
  mapfile -t WORKLOADS < <("$CTDB_BENCH" --list)
fi
known=" $("$CTDB_BENCH" --list | tr '\n' ' ') "

for wl in "${WORKLOADS[@]}"; do
  if [[ "$known" != *" $wl "* ]]; then
    h_note "$wl: not a workload of $CTDB_BENCH; skipped"
    continue
  fi
  ours=() stock=() ours_growth=() stock_growth=() ok=1
  # Interleaved so that drift in the machine's load hits both sides alike.
  for ((r = 1; r <= BENCH_RUNS && ok; r++)); do
    read -r o og < <(one_run "$wl" ours "${#OURS_ADDRS[@]}" || echo fail)
    read -r s sg < <(one_run "$wl" stock "${#STOCK_ADDRS[@]}" || echo fail)
    [ "$o" != fail ] && [ "$s" != fail ] && [ -n "$o" ] && [ -n "$s" ] || ok=0
    [ $ok == 1 ] || break
    h_note "$wl run $r: ours=$o stock=$s (file growth KiB: ours=$og stock=$sg)"
    ours+=("$o")
    stock+=("$s")
    [ "$og" == - ] || ours_growth+=("$og")
    [ "$sg" == - ] || stock_growth+=("$sg")
  done
  if [ $ok != 1 ]; then
    h_note "$wl: no figure (failed on at least one side; see above)"
    continue
  fi
  mo=$(median "${ours[@]}")
  ms=$(median "${stock[@]}")
  awk -v w="$wl" -v o="$mo" -v s="$ms" \
    'BEGIN { printf "%s ours=%s stock=%s ratio=%.2f\n", w, o, s, (s > 0 ? o / s : 0) }'
  if [ "$wl" == delete_churn ] && [ ${#ours_growth[@]} -gt 0 ] && [ ${#stock_growth[@]} -gt 0 ]; then
    awk -v w="${wl}_growth_kib" -v o="$(median "${ours_growth[@]}")" \
      -v s="$(median "${stock_growth[@]}")" \
      'BEGIN { printf "%s ours=%s stock=%s ratio=%.2f\n", w, o, s, (s > 0 ? o / s : 0) }'
  fi
done

# A daemon that died during the runs means the figures are suspect: say so in the exit status.
for n in "${H_NODES[@]}"; do
  h_node_running "$n" || {
    h_note "$n is no longer running"
    H_FAIL=1
  }
done
exit 0
