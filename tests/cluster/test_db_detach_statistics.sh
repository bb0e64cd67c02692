#!/bin/bash
# Two database features of 4.17 on 3 of our nodes, through the stock `ctdb` tool:
# - `ctdb dbstatistics` after a fetch-lock ring (one record incremented in turn from every node)
#   shows the record's migrations: hop-count buckets, and the record as a hot key with its count.
# - `ctdb detach` is refused while AllowClientDBAttach=1 on any node, and otherwise detaches the
#   database on every node. A node where a client still has the database attached keeps it and
#   the tool reports the failure (4.17 detaches regardless and always answers success); the others
#   detach it, as 4.17's broadcast does.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_db_detach_statistics
h_start_ours_cluster d "" 127.0.9.21 127.0.9.22 127.0.9.23 || fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 d0 d1 d2 -- OK OK OK || h_finish
COUNTER=$CTDB_BUILD_DIR/ctdb_lock_counter

# ---- dbstatistics after a fetch-lock ring
key=ringkey
keyhex=$(printf '%s' "$key" | od -An -tx1 | tr -d ' \n')
for round in 1 2 3 4 5; do
  for n in d0 d1 d2; do
    "$COUNTER" "${H_SOCK[$n]}" ring.tdb "$key" 1 >/dev/null 2>&1 ||
      fail "ring round $round: increment on $n"
  done
done
assert_eq "ring: the counter is 15 on every read" "15" \
  "$("$COUNTER" "${H_SOCK[d1]}" ring.tdb "$key" 0 2>&1)"
hops_total=0
hot_seen=0
for n in d0 d1 d2; do
  st=$(h_ctdb "$n" dbstatistics ring.tdb 2>&1)
  h_note "$n dbstatistics:"$'\n'"$st"
  assert_contains "$n: dbstatistics names the database" "$st" "DB Statistics ring.tdb"
  buckets=$(sed -n 's/^ hop_count_buckets://p' <<<"$st")
  for b in $buckets; do hops_total=$((hops_total + b)); done
  assert_contains "$n: ten hot-key slots, as 4.17" "$st" " Num Hot Keys:     10"
  if grep -Eq "^     Count:[1-9][0-9]* Key:$keyhex\$" <<<"$st"; then hot_seen=$((hot_seen + 1)); fi
done
check "ring: calls that reached the dmaster are counted in the hop-count buckets ($hops_total)" \
  [ "$hops_total" -gt 0 ]
# Every node but the first fetched the record from another node at least once.
check "ring: the record is a hot key on at least 2 nodes ($hot_seen)" [ "$hot_seen" -ge 2 ]
check "ring: the first migration of the record is logged as a hot key" \
  grep -q "Added hot key database=ring.tdb key=$keyhex count=1" \
  "${H_LOG[d0]}" "${H_LOG[d1]}" "${H_LOG[d2]}"

# ---- detach
h_ctdb d0 attach det.tdb >/dev/null 2>&1 || fail "attach det.tdb"
h_ctdb d0 attach detp.tdb persistent >/dev/null 2>&1 || fail "attach detp.tdb persistent"
out=$(h_ctdb d0 detach det.tdb 2>&1)
rc=$?
assert_eq "detach with AllowClientDBAttach=1: refused by the tool" 1 "$rc"
assert_contains "detach with AllowClientDBAttach=1: says which node" "$out" \
  "Database access is still active on node 0. Set AllowclientDBAttach=0 on all nodes."
# A client (fetch-lock, then holding the lock) with the database attached on node 1.
"$COUNTER" "${H_SOCK[d1]}" det.tdb holder 1 600000 >"$H_TMP/holder.out" 2>&1 &
holder=$!
h_track_pid "$holder"
wait_for "grep -q ' $holder ' /proc/locks" 30 0.2 || fail "the holder client locks a record"
for n in d0 d1; do h_ctdb "$n" setvar AllowClientDBAttach 0 >/dev/null 2>&1; done
out=$(h_ctdb d0 detach det.tdb 2>&1)
assert_contains "detach with AllowClientDBAttach=1 on node 2 only: refused, naming it" "$out" \
  "Database access is still active on node 2."
h_ctdb d2 setvar AllowClientDBAttach 0 >/dev/null 2>&1
out=$(h_ctdb d0 detach det.tdb 2>&1)
rc=$?
assert_eq "detach while a client of node 1 has it attached: fails" 1 "$rc"
assert_contains "detach while a client has it attached: the tool says so" "$out" \
  "Database det.tdb detach failed"
assert_contains "detach while a client has it attached: node 1 logs why" \
  "$(cat "${H_LOG[d1]}")" "DB detach from database det.tdb denied: 1 client(s) still have it"
assert_contains "refused detach: node 1, where the client is, keeps det.tdb" \
  "$(h_ctdb d1 getdbmap 2>&1)" 'name:det.tdb'
for n in d0 d2; do
  assert_not_contains "refused detach: $n (no client there) detached det.tdb" \
    "$(h_ctdb "$n" getdbmap 2>&1)" 'name:det.tdb'
done
h_kill_pid "$holder"
out=$(h_ctdb d1 detach det.tdb 2>&1)
assert_eq "detach once the client is gone: exit 0" "0" "$?"
for n in d0 d1 d2; do
  assert_not_contains "detach: $n no longer has det.tdb" "$(h_ctdb "$n" getdbmap 2>&1)" \
    'name:det.tdb'
  assert_contains "detach: $n logs it" "$(cat "${H_LOG[$n]}")" "Detached from database 'det.tdb'"
done
assert_contains "detach: ring.tdb is still attached" "$(h_ctdb d2 getdbmap 2>&1)" 'name:ring.tdb'
out=$(h_ctdb d0 detach detp.tdb 2>&1)
assert_contains "detach of a persistent database: refused" "$out" \
  "Only volatile databases can be detached"
assert_contains "detach of a persistent database: still attached" "$(h_ctdb d2 getdbmap 2>&1)" \
  'name:detp.tdb'
h_wait_converged "after detach: all OK" 30 d0 d1 d2 -- OK OK OK
h_finish
