#!/bin/bash
# A rolling replacement of Debian's ctdbd by ours, node by node, in a running cluster:
# stock, stock, stock -> ours, stock, stock -> ours, ours, stock -> ours, ours, ours. Each of our
# daemons is started as a drop-in: the same CTDB_BASE the stock node ran from (its ctdb.conf,
# nodes, ctdb.tunables, database directories with the persistent database files the stock
# daemon wrote), no options but -i. After every step the cluster converges with one leader and
# a client on every node adds to a counter in a persistent database (g_lock + TRANS3_COMMIT);
# every node then reads the same value, the exact sum of every acknowledged increment.
source "$(dirname "$0")/../lib/harness.sh"

if [ ! -x "$H_STOCK_CTDBD" ]; then
  echo "SKIP: Debian's ctdbd is not installed"
  exit 77
fi
h_init interop_rolling_upgrade
COUNTER=$CTDB_BUILD_DIR/ctdb_lock_counter
ADDR=(127.0.24.61 127.0.24.62 127.0.24.63)
h_write_nodes "$H_TMP/r.nodes" "${ADDR[@]}"
LOCK=$H_TMP/r.lock
for i in 0 1 2; do h_start_stock "r$i" "${ADDR[$i]}" "$H_TMP/r.nodes" "$LOCK"; done
for i in 0 1 2; do h_wait_ping "r$i" || fail "r$i answers ping"; done

EXPECTED=0
# round LABEL: 4 increments through every node, then every node must read EXPECTED.
round() {
  local label=$1 i v ok=0
  for i in 0 1 2; do
    if "$COUNTER" -p "${H_SOCK[r$i]}" rolling.tdb counter 4 >"$H_TMP/counter.out" 2>&1; then
      EXPECTED=$((EXPECTED + 4))
    else
      fail "$label: 4 increments through r$i (${H_KIND[r$i]})" "$(cat "$H_TMP/counter.out")"
      ok=1
    fi
  done
  for i in 0 1 2; do
    v=$("$COUNTER" -p "${H_SOCK[r$i]}" rolling.tdb counter 0 2>&1)
    assert_eq "$label: r$i (${H_KIND[r$i]}) reads the counter" "$EXPECTED" "$v"
  done
  return $ok
}
kinds() { echo "${H_KIND[r0]},${H_KIND[r1]},${H_KIND[r2]}"; }

h_wait_converged "stock, stock, stock: all OK" 90 r0 r1 r2 -- OK OK OK || h_finish
h_ctdb r0 attach rolling.tdb persistent >/dev/null || fail "attach rolling.tdb persistent"
round "stock, stock, stock"

for i in 0 1 2; do
  h_stop_node "r$i"
  d=$H_TMP/r$i
  # The drop-in: Debian's CTDB_BASE as it is, our daemon with no options but -i (which logs
  # to stderr, as 4.17's -i does).
  CTDB_TEST_MODE=yes CTDB_BASE=$d setsid "$H_CTDBD" -i </dev/null >"$d/ours.log" 2>&1 &
  _h_register "r$i" ours "${ADDR[$i]}" "$d" "$d/run/ctdbd.socket" "$d/ours.log" "$d/ours.log" $!
  h_dedupe_nodes
  h_wait_ping "r$i" || fail "r$i (ours, from the stock node's CTDB_BASE) answers ping"
  h_wait_converged "$(kinds): all OK" 90 r0 r1 r2 -- OK OK OK || h_finish
  l=$H_CONVERGED_LEADER
  h_note "$(kinds): the leader is r$l (${H_KIND[r$l]})"
  check "$(kinds): r$i opened the stock node's persistent database file" \
    grep -q "rolling.tdb" <(h_ctdb "r$i" getdbmap 2>&1)
  round "$(kinds)"
done
assert_eq "after the rolling replacement: 4 rounds of 3 x 4 increments" 48 "$EXPECTED"
h_finish
