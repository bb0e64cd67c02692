#!/bin/bash
# Persistent-database transactions on 3 of our nodes (g_lock in the volatile g_lock.tdb, whose
# records migrate between nodes, then TRANS3_COMMIT to every active node):
# - 2 clients per node increment one shared counter in transactions concurrently: the final
#   value is exactly clients x transactions on every node, and every node's
#   __db_sequence_number__ (`ctdb getdbseqnum`) advanced by exactly that many commits;
# - the stock tool's pstore/pfetch across nodes see one another's writes;
# - a node killed while commits run: the survivors' clients finish, and every surviving node
#   holds the same counter, equal to the number of sequence numbers added (each commit is
#   whole on every node or on none), also after the recovery that follows.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_persistent
DB=pers_counter.tdb
COUNTER=$CTDB_BUILD_DIR/ctdb_lock_counter
[ -x "$COUNTER" ] || fail "test client $COUNTER built"

h_start_ours_cluster p "$H_TMP/p.reclock" 127.0.0.174 127.0.0.175 127.0.0.176 ||
  fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 p0 p1 p2 -- OK OK OK || h_finish

check "attach $DB persistent" h_ctdb p0 attach "$DB" persistent
for n in p1 p2; do
  check "$n lists $DB" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$DB '" 10
done

seqnum() { local s; s=$(h_ctdb "$1" getdbseqnum "$DB" 2>/dev/null | awk '{ print $NF }'); echo $((s)); }
value() { timeout 60 "$COUNTER" -p "${H_SOCK[$1]}" "$DB" counter 0 2>&1; }

# ---- concurrent transactions
CLIENTS=2 COUNT=40
seq0=$(seqnum p0)
pids=()
for n in p0 p1 p2; do
  for ((i = 0; i < CLIENTS; i++)); do
    timeout 300 "$COUNTER" -p "${H_SOCK[$n]}" "$DB" counter "$COUNT" 2>>"$H_TMP/counter.err" &
    pids+=($!)
  done
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
if [ $rc == 0 ]; then pass "6 clients finished $COUNT transactions each"; else
  fail "6 clients finished $COUNT transactions each" "$(tail -5 "$H_TMP/counter.err")"
fi
want=$((3 * CLIENTS * COUNT))
for n in p0 p1 p2; do
  assert_eq "counter on $n" "$want" "$(value "$n")"
  assert_eq "sequence number on $n advanced by one per commit" $((seq0 + want)) "$(seqnum "$n")"
done

# ---- the stock tool across nodes
if [ -x /usr/bin/ctdb ]; then
  H_TOOL=/usr/bin/ctdb check "stock pstore on p1" h_ctdb p1 pstore "$DB" stockkey stockvalue
  for n in p0 p2; do
    assert_eq "stock pfetch on $n" stockvalue "$(H_TOOL=/usr/bin/ctdb h_ctdb "$n" pfetch "$DB" stockkey 2>&1)"
  done
fi

# ---- a node killed while commits run
seq1=$(seqnum p0)
v1=$(value p0)
pids=()
for n in p0 p1; do
  timeout 300 "$COUNTER" -p "${H_SOCK[$n]}" "$DB" counter 30 2>>"$H_TMP/counter.err" &
  pids+=($!)
done
timeout 300 "$COUNTER" -p "${H_SOCK[p2]}" "$DB" counter 100000 2>/dev/null &
victim_client=$!
wait_for '[ "$(seqnum p0)" -ge $((seq1 + 10)) ]' 60
h_kill9_node p2
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
wait "$victim_client" 2>/dev/null
if [ $rc == 0 ]; then pass "clients on the survivors finish after p2 is killed"; else
  fail "clients on the survivors finish after p2 is killed" "$(tail -5 "$H_TMP/counter.err")"
fi
h_wait_converged "p2 disconnected, p0 and p1 OK" 60 p0 p1 -- OK OK 'DISCONNECTED[A-Z|]*'
s0=$(seqnum p0) s1=$(seqnum p1)
assert_eq "p0 and p1 have the same sequence number" "$s0" "$s1"
for n in p0 p1; do
  assert_eq "counter on $n equals the commits made (no half transaction)" \
    $((v1 + s0 - seq1)) "$(value "$n")"
done
if [ $((s0 - seq1)) -ge 60 ]; then pass "the survivors' 60 commits are all there ($((s0 - seq1)))"; else
  fail "the survivors' 60 commits are all there" "only $((s0 - seq1)) commits"
fi

h_finish
