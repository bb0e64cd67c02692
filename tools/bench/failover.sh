#!/bin/bash
# Side-by-side failover benchmark (root, network namespaces): three node hosts and a client on
# two bridges, first with three of our ctdbd, then with three stock 4.17 ctdbd (Debian's
# 10.interface.script), each node running a small TCP service. For each case a node hosting
# public address A dies and a client tries new connections to A every few milliseconds (with
# a fresh ARP lookup each time) until a surviving node accepts one:
#   failover               kill -9 of a non-leader's ctdbd and its public cable pulled
#   failover_leader        the same for the leader
#   failover_dead_machine  both cables of a non-leader pulled (detection by keepalive)
# Prints "CASE ours=SECONDS stock=SECONDS ratio=STOCK/OURS" (ratio > 1: ours is faster), the
# median of BENCH_RUNS runs (default 3); per-run figures go to stderr.
#
# Both sides run with CTDB_TEST_MODE (the stock daemon needs it for per-node paths on one
# host), so neither sends gratuitous ARPs; the client's fresh ARP lookups make that equal.
set -u
CTDB_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTDB_BUILD_DIR=$(cd "${CTDB_BUILD_DIR:-$CTDB_SRC_DIR/build}" && pwd) || exit 2
export CTDB_SRC_DIR CTDB_BUILD_DIR
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CASES=${BENCH_CASES:-failover failover_leader failover_dead_machine}
PORT=7000
PY=/usr/bin/python3
SERVICE=$CTDB_SRC_DIR/tests/netns/tcp_service.py

source "$CTDB_SRC_DIR/tests/lib/harness.sh"
h_note() { echo "# $*" >&2; }
source "$CTDB_SRC_DIR/tests/lib/netns.sh"
h_init failover_bench
netns_available || { echo "failover.sh: needs root and network namespaces" >&2; exit 2; }
netns_setup 3 || { echo "failover.sh: cannot build the namespaces" >&2; exit 2; }
A=$NS_PUB_NET.101
for i in 101 102 103 104 105 106; do echo "$NS_PUB_NET.$i/24 eth1"; done >"$H_TMP/public_addresses"
h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET.1" "$NS_PRIV_NET.2" "$NS_PRIV_NET.3"

start_node() {  # SIDE I
  local side=$1 i=$2 name=$1$2
  H_NS[$name]=${NS_NODE[$i]}
  if [ "$side" == ours ]; then
    mkdir -p "$H_TMP/$name/events.d"
    ln -sf "$CTDB_SRC_DIR/events.d/10.interface" "$H_TMP/$name/events.d/10.interface"
    H_OURS_TEST_MODE=1 h_start_ours_args "$name" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" \
      --reclock="$H_TMP/ours.reclock" --public-addresses="$H_TMP/public_addresses"
  else
    mkdir -p "$H_TMP/$name/events/legacy"
    ln -sf /usr/share/ctdb/events/legacy/10.interface.script "$H_TMP/$name/events/legacy/"
    H_STOCK_PUBLIC_ADDRESSES=$H_TMP/public_addresses H_STOCK_TUNABLES="IPAllocAlgorithm=0" \
      h_start_stock "$name" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" "$H_TMP/stock.reclock"
  fi
}

# owner SIDE: the node `ctdb ip all` names for A (from a node that runs).
owner() {
  local n
  for n in 0 1 2; do
    h_node_running "$1$n" || continue
    h_ctdb "$1$n" ip all 2>/dev/null | awk -v a="$A" '$1 == a { print $2 }' && return
  done
}
settled() {  # SIDE: all OK, A hosted and answering
  local st
  st=$(h_ctdb "${1}0" status 2>/dev/null) || return 1
  [ "$(grep -c ' OK' <<<"$st")" == 3 ] && [[ "$st" == *"Recovery mode:NORMAL"* ]] || return 1
  local o
  o=$(owner "$1")
  [ -n "$o" ] && [ "$o" != -1 ] || return 1
  ip netns exec "$NS_CLIENT" "$PY" "$SERVICE" ask "$A" "$PORT" 2>/dev/null | grep -qx "node$o"
}

services() {
  local i
  for i in 0 1 2; do
    ip netns exec "${NS_NODE[$i]}" setsid "$PY" "$SERVICE" serve "node$i" "$PORT" \
      "${H_SOCK[$1$i]}" /dev/null </dev/null >/dev/null 2>&1 &
    h_track_pid $!
  done
}

# one_case SIDE CASE: prints the seconds from the node's death to the first connection a
# surviving node accepts.
one_case() {
  local side=$1 case=$2 x leader t0 out
  wait_for "settled $side" 90 0.5 || { h_note "$side did not settle"; return 1; }
  leader=$(h_ctdb "${side}0" leader 2>/dev/null)
  x=$(owner "$side")
  if [ "$case" == failover_leader ] && [ "$x" != "$leader" ]; then
    h_ctdb "${side}0" moveip "$A" "$leader" >/dev/null 2>&1 || return 1
    x=$leader
  elif [ "$case" != failover_leader ] && [ "$x" == "$leader" ]; then
    x=$(((leader + 1) % 3))
    h_ctdb "${side}0" moveip "$A" "$x" >/dev/null 2>&1 || return 1
  fi
  wait_for "[ \"\$(owner $side)\" == $x ]" 30 0.1 || return 1
  # The prober starts before the node dies and reports the first accepted connection from
  # another node.
  ip netns exec "$NS_CLIENT" "$PY" "$SERVICE" probe "$A" "$PORT" "node$x" 60 \
    >"$H_TMP/probe.out" 2>&1 &
  local probe=$!
  sleep 0.3  # the prober's first answers come from the live node
  t0=${EPOCHREALTIME/[.,]/}
  if [ "$case" == failover_dead_machine ]; then
    netns_public_link "$x" down
    netns_private_link "$x" down
  else
    kill -KILL "${H_PID[$side$x]}"
    netns_public_link "$x" down
  fi
  wait "$probe"
  out=$(tail -n 1 "$H_TMP/probe.out")
  # Bring the node back for the next run.
  h_kill9_node "$side$x"
  kill -KILL -- "-${H_PID[$side$x]}" 2>/dev/null
  netns_public_link "$x" up
  netns_private_link "$x" up
  # Its addresses stay behind on the dead node's eth1: a fresh start clears them.
  ip -n "${NS_NODE[$x]}" addr flush dev eth1
  if [ "$side" == ours ]; then
    h_restart_ours "$side$x" >/dev/null
  else
    unset "H_EXIT[$side$x]"
    start_node stock "$x"
    h_wait_ping "$side$x" >/dev/null
  fi
  [[ "$out" == accepted* ]] || { h_note "$side $case: $out"; return 1; }
  awk -v t="${out#accepted }" -v t0="$t0" 'BEGIN { printf "%.3f\n", t - t0 / 1e6 }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A RESULTS
HOST_PATH=$PATH
for side in ours stock; do
  # Our scripts find config/functions through CTDB_BASE and our tool on PATH; the stock
  # daemons set their own CTDB_BASE and use Debian's tool.
  if [ "$side" == ours ]; then
    export CTDB_BASE=$CTDB_SRC_DIR CTDB_SYSCONFIG=/dev/null PATH=$CTDB_BUILD_DIR:$HOST_PATH
  else
    unset CTDB_BASE CTDB_SYSCONFIG
    export PATH=$HOST_PATH
  fi
  for i in 0 1 2; do start_node "$side" "$i"; done
  for i in 0 1 2; do h_wait_ping "$side$i" || exit 1; done
  services "$side"
  for case in $BENCH_CASES; do
    for ((r = 1; r <= BENCH_RUNS; r++)); do
      s=$(one_case "$side" "$case") || { h_note "$side $case run $r failed"; continue; }
      h_note "$case run $r: $side=${s}s"
      RESULTS[$side.$case]+=" $s"
    done
  done
  for i in 0 1 2; do h_stop_node "$side$i"; done
  for i in 0 1 2; do ip -n "${NS_NODE[$i]}" addr flush dev eth1; done
done
for case in $BENCH_CASES; do
  read -r -a o <<<"${RESULTS[ours.$case]:-}"
  read -r -a s <<<"${RESULTS[stock.$case]:-}"
  [ ${#o[@]} -gt 0 ] && [ ${#s[@]} -gt 0 ] || { h_note "$case: no figure"; continue; }
  awk -v c="$case" -v o="$(median "${o[@]}")" -v s="$(median "${s[@]}")" \
    'BEGIN { printf "%s ours=%s stock=%s ratio=%.2f\n", c, o, s, (o > 0 ? s / o : 0) }'
done
H_FAIL=0
H_PASS=1
exit 0
