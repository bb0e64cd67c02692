#!/bin/bash
# Starts (or stops) a local ctdbd cluster of N nodes on 127.0.0.1..N, each with
# its own directories and socket under $CTDB_CLUSTER_DIR (default
# /tmp/ctdb-local), then shows `ctdb status` and `ctdb ip` from node 0. The nodes run
# the repository's event scripts (events.d/, with config/functions) and read the
# sysconfig $CTDB_CLUSTER_DIR/sysconfig (made empty here: no services managed).
# Six public addresses (10.254.0.1-6) are spread over the nodes. All nodes share
# this one host, so they run in CTDB_TEST_MODE, where addresses are assigned but not
# checked on the host, and without 10.interface: nothing is put on an interface.
#   tools/local-cluster.sh start [N]     (default N=3)
#   tools/local-cluster.sh status
#   tools/local-cluster.sh stop
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CTDB_BUILD_DIR:-$top/build}
DIR=${CTDB_CLUSTER_DIR:-/tmp/ctdb-local}
CTDBD=$BUILD/ctdbd
CTDB=$BUILD/ctdb
cmd=${1:-start}
N=${2:-3}

node_socket() { echo "$DIR/node.$1/ctdbd.socket"; }

show() {
  echo "\$ ctdb status"
  CTDB_SOCKET=$(node_socket 0) "$CTDB" status
  echo "\$ ctdb ip"
  CTDB_SOCKET=$(node_socket 0) "$CTDB" ip
}

stop() {
  for pidfile in "$DIR"/node.*/ctdbd.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

case "$cmd" in
start)
  [ -x "$CTDBD" ] || { echo "build first: bash tools/setup.sh" >&2; exit 1; }
  stop
  rm -rf "$DIR"
  mkdir -p "$DIR"
  for i in $(seq 1 "$N"); do echo "127.0.0.$i"; done >"$DIR/nodes"
  for i in 1 2 3 4 5 6; do echo "10.254.0.$i/24 lo"; done >"$DIR/public_addresses"
  : >"$DIR/sysconfig"
  # The repository's scripts, all but 10.interface (see above).
  mkdir -p "$DIR/events.d"
  for script in "$top"/events.d/[0-9][0-9].*; do
    [ "$(basename "$script")" == 10.interface ] || ln -s "$script" "$DIR/events.d/"
  done
  for n in $(seq 0 $((N - 1))); do
    B=$DIR/node.$n
    mkdir -p "$B"
    # The scripts' own `ctdb` calls reach this node through CTDB_SOCKET, with our tool.
    CTDB_SYSCONFIG="$DIR/sysconfig" PATH="$BUILD:$PATH" CTDB_TEST_MODE=1 CTDB_BASE="$top" \
    "$CTDBD" --nlist="$DIR/nodes" --listen="127.0.0.$((n + 1))" \
      --event-script-dir="$DIR/events.d" --notification-script="$top/config/notify.sh" \
      --socket="$B/ctdbd.socket" --pidfile="$B/ctdbd.pid" --logfile="$B/log.ctdb" \
      --dbdir="$B/db/volatile" --dbdir-persistent="$B/db/persistent" \
      --dbdir-state="$B/db/state" --public-addresses="$DIR/public_addresses" \
      --reclock="$DIR/reclock" --nosetsched
  done
  # Wait (with a deadline) until every node answers.
  for n in $(seq 0 $((N - 1))); do
    ok=
    for _ in $(seq 1 100); do
      if CTDB_SOCKET=$(node_socket "$n") "$CTDB" ping >/dev/null 2>&1; then ok=1; break; fi
      sleep 0.1
    done
    [ -n "$ok" ] || { echo "node $n did not start; see $DIR/node.$n/log.ctdb" >&2; exit 1; }
  done
  # The nodes elect a leader, which recovers them into one cluster (recoveries are
  # RerecoveryTimeout = 10 s apart, so joining nodes can take that long); each node
  # then runs its startup event (at once in test mode) and is UNHEALTHY until its
  # first monitor event passes; the leader then places the public addresses.
  echo "waiting for the cluster to settle, the nodes to become healthy and the addresses to be placed..."
  for _ in $(seq 1 180); do
    st=$(CTDB_SOCKET=$(node_socket 0) "$CTDB" status 2>/dev/null) || st=""
    ips=$(CTDB_SOCKET=$(node_socket 0) "$CTDB" ip all 2>/dev/null) || ips=""
    if [[ "$st" == *"Size:$N"* && "$st" == *"Recovery mode:NORMAL"* ]] &&
      [ "$(grep -c ' OK' <<<"$st")" -eq "$N" ] &&
      [ "$(awk 'NR > 1 && $2 != -1' <<<"$ips" | wc -l)" -eq 6 ]; then
      break
    fi
    sleep 0.5
  done
  show
  echo
  echo "Sockets: $DIR/node.*/ctdbd.socket  (e.g. CTDB_SOCKET=$(node_socket 0) $CTDB status)"
  echo "Stop with: $0 stop"
  ;;
status) show ;;
stop) stop ;;
*) echo "usage: $0 start [N] | status | stop" >&2; exit 2 ;;
esac
