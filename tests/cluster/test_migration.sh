#!/bin/bash
# Volatile record migration between 3 of our nodes, as smbd and the stock `ctdb` tool use it:
# - a record written on one node is read (`ctdb readkey`, which fetch-locks and so migrates the
#   record) on each other node, with the stock tool; after each read the reader's copy is the
#   current one (dmaster = the reader, RSN higher than before) and `ctdb cattdb` on the old
#   dmaster shows it no longer holds it;
# - 3 clients per node increment one shared counter concurrently under fetch-lock: the final
#   value is exactly clients x increments (no lost update, no stale copy winning);
# - the counter survives `ctdb recover` (dmaster copies win the merge) and keeps counting;
# - a client holding a record's chain lock for seconds does not stall calls on other records;
# - read-only delegations (`ctdb setdbreadonly`): read-only fetches on two nodes get copies
#   while the dmaster keeps the record (flags HAVE_DELEGATIONS / HAVE_READONLY in cattdb); a
#   write elsewhere revokes the copies first, so no reader sees the old value afterwards;
# - sticky records (`ctdb setdbsticky`, HopcountMakeSticky 1): a hot record is made sticky and
#   concurrent increments still count exactly;
# - a node killed while the counter migrates: the survivors finish their increments and the
#   counter equals every increment that completed minus nothing (volatile records kept by the
#   survivors stay, and an older copy never overwrites a newer one).
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_migration
DB=mig.tdb
COUNTER=$CTDB_BUILD_DIR/ctdb_lock_counter
[ -x "$COUNTER" ] || fail "test client $COUNTER built"

h_start_ours_cluster m "$H_TMP/m.reclock" 127.0.0.171 127.0.0.172 127.0.0.173 ||
  fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 m0 m1 m2 -- OK OK OK || h_finish

check "attach $DB" h_ctdb m0 attach "$DB"
for n in m1 m2; do
  check "$n lists $DB" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$DB '" 10
done

# header_field NODE KEY FIELD: dmaster or rsn of KEY in NODE's own tdb copy (cattdb).
header_field() {
  h_ctdb "$1" cattdb "${DB}" 2>/dev/null | awk -v k="key(${#2}) = \"$2\"" -v f="$3" '
    $0 == k { found = 1; next }
    found && $1 == f ":" { print $2; exit }
    /^key\(/ { found = 0 }'
}

# ---- one record read around the cluster
check "writekey on m0" h_ctdb m0 writekey "$DB" alpha one
assert_eq "readkey alpha on m0" 'Data: size:3 ptr:[one]' "$(h_ctdb m0 readkey "$DB" alpha 2>&1)"
prev_rsn=$(header_field m0 alpha rsn)
for n in m1 m2 m0; do
  assert_eq "readkey alpha on $n (record migrates there)" 'Data: size:3 ptr:[one]' \
    "$(h_ctdb "$n" readkey "$DB" alpha 2>&1)"
  assert_eq "$n is dmaster of alpha afterwards" "${n#m}" "$(header_field "$n" alpha dmaster)"
  rsn=$(header_field "$n" alpha rsn)
  if [ -n "$rsn" ] && [ -n "$prev_rsn" ] && [ "$rsn" -gt "$prev_rsn" ]; then
    pass "RSN grows with the migration to $n ($prev_rsn -> $rsn)"
  else
    fail "RSN grows with the migration to $n" "before: '$prev_rsn' after: '$rsn'"
  fi
  prev_rsn=$rsn
done
d=$(header_field m1 alpha dmaster)
if [ -n "$d" ] && [ "$d" != 1 ]; then pass "m1's copy of alpha no longer claims it (dmaster $d)"; else
  fail "m1's copy of alpha no longer claims it" "dmaster '$d'"
fi
check "writekey alpha on m2 (migrates it from m0)" h_ctdb m2 writekey "$DB" alpha two
for n in m0 m1 m2; do
  assert_eq "readkey alpha on $n sees the new value" 'Data: size:3 ptr:[two]' \
    "$(h_ctdb "$n" readkey "$DB" alpha 2>&1)"
done

# ---- concurrent increments under fetch-lock
CLIENTS=3 COUNT=200
counter_round() {  # LABEL KEY: CLIENTS clients on each node, COUNT increments each
  local label=$1 key=$2 pids=() n i rc=0
  for n in m0 m1 m2; do
    for ((i = 0; i < CLIENTS; i++)); do
      timeout 120 "$COUNTER" "${H_SOCK[$n]}" "$DB" "$key" "$COUNT" 2>>"$H_TMP/counter.err" &
      pids+=($!)
    done
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  if [ $rc == 0 ]; then pass "$label: every client finished"; else
    fail "$label: every client finished" "$(tail -5 "$H_TMP/counter.err")"
  fi
}
counter_round "3x3 clients, 200 increments each" counter
want=$((3 * CLIENTS * COUNT))
for n in m0 m1 m2; do
  assert_eq "counter read on $n" "$want" "$(timeout 30 "$COUNTER" "${H_SOCK[$n]}" "$DB" counter 0 2>&1)"
done
calls=$(h_ctdb m1 statistics 2>/dev/null | awk '/req_dmaster/ { print $2; exit }')
if [ -n "$calls" ] && [ "$calls" -gt 0 ]; then pass "m1 counted REQ_DMASTER packets ($calls)"; else
  fail "m1 counted REQ_DMASTER packets" "statistics: '$calls'"
fi

# ---- through a recovery
check "ctdb recover" h_ctdb m0 recover
h_wait_converged "after recover: all OK" 60 m0 m1 m2 -- OK OK OK
for n in m0 m1 m2; do
  assert_eq "counter after recovery on $n" "$want" \
    "$(timeout 30 "$COUNTER" "${H_SOCK[$n]}" "$DB" counter 0 2>&1)"
done
counter_round "increments after the recovery" counter
want=$((want + 3 * CLIENTS * COUNT))
assert_eq "counter after the second round" "$want" \
  "$(timeout 30 "$COUNTER" "${H_SOCK[m2]}" "$DB" counter 0 2>&1)"

# ---- a held chain lock does not stall other records
timeout 60 "$COUNTER" "${H_SOCK[m0]}" "$DB" held 1 4000 >"$H_TMP/holder.out" &
holder=$!
# (Not cattdb: its traverse would wait for the very chain the client holds.)
check "m0's client holds the chain of 'held'" wait_for "grep -q 'locked 1' '$H_TMP/holder.out'" 10
start=$(h_now_us)
for n in m1 m2; do
  check "$n increments another record while m0's client holds 'held'" \
    timeout 10 "$COUNTER" "${H_SOCK[$n]}" "$DB" other 20
done
took=$((($(h_now_us) - start) / 1000))
if [ "$took" -lt 3500 ]; then pass "other records moved while the lock was held (${took} ms)"; else
  fail "other records moved while the lock was held" "took ${took} ms"
fi
# ctdb statistics on m0 counts the call that waits for the chain, as 4.17 counts its lock helper.
lock_stat() { h_ctdb "$1" statistics 2>/dev/null | awk -v f="$2" '$1 == f { print $2; exit }'; }
lock_buckets() { h_ctdb "$1" statistics 2>/dev/null | sed -n 's/^ *lock_buckets://p'; }
calls_before=$(lock_stat m0 num_calls)
timeout 20 "$COUNTER" "${H_SOCK[m1]}" "$DB" held 1 &
waiter=$!
check "while m1's call waits for the held chain, m0's statistics show it pending" \
  wait_for "[ \"\$(lock_stat m0 num_pending)\" == 1 ]" 10
check "the holder still holds the chain meanwhile" h_pid_running "$holder"
wait "$waiter" && pass "a call on the held record from m1 waits, then succeeds" ||
  fail "a call on the held record from m1 waits, then succeeds"
wait "$holder" && pass "the holder finished" || fail "the holder finished"
assert_eq "after the wait: no lock wait pending on m0" 0 "$(lock_stat m0 num_pending)"
calls_after=$(lock_stat m0 num_calls)
check "m0 counted the lock wait (num_calls $calls_before -> $calls_after)" \
  [ "${calls_after:-0}" -gt "${calls_before:-0}" ]
read -r -a buckets <<<"$(lock_buckets m0)"
check "the wait of more than 100 ms is in a bucket of 100 ms or more (${buckets[*]})" \
  [ $((${buckets[3]:-0} + ${buckets[4]:-0} + ${buckets[5]:-0})) -ge 1 ]
max=$(h_ctdb m0 statistics 2>/dev/null | awk '/locks_latency/ { split($NF == "of" ? "" : $3, a, "/")
  for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+\/[0-9.]+\/[0-9.]+$/) { split($i, a, "/"); print a[3] } }')
check "locks_latency's maximum is the wait, over 0.1 s ($max)" awk -v m="$max" 'BEGIN { exit !(m > 0.1) }'
db_calls=$(h_ctdb m0 dbstatistics "$DB" 2>/dev/null | awk '$1 == "num_calls" { print $2; exit }')
check "dbstatistics $DB on m0 counts the lock wait ($db_calls)" [ "${db_calls:-0}" -ge 1 ]
assert_eq "held counted both increments" 2 \
  "$(timeout 30 "$COUNTER" "${H_SOCK[m2]}" "$DB" held 0 2>&1)"

# ---- read-only delegations
RO=mig_ro.tdb
check "attach $RO" h_ctdb m0 attach "$RO"
# As in 4.17, the flag is set per node (`ctdb setdbreadonly` asks one node).
for n in m0 m1 m2; do
  check "$n knows $RO" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$RO '" 10
  check "setdbreadonly $RO on $n" h_ctdb "$n" setdbreadonly "$RO"
  check "$n shows $RO READONLY" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$RO .*READONLY'" 10
done
ro_read() { timeout 30 "$COUNTER" -r "${H_SOCK[$1]}" "$RO" rokey 0 2>&1; }
rw_add() { timeout 30 "$COUNTER" "${H_SOCK[$1]}" "$RO" rokey "$2" 2>&1; }
ro_flags() {
  h_ctdb "$1" cattdb "$RO" 2>/dev/null | awk '$0 == "key(5) = \"rokey\"" { f = 1; next }
    f && $1 == "flags:" { print $2; exit }'
}
check "5 increments of rokey on m0" rw_add m0 5
assert_eq "read-only fetch on m1" 5 "$(ro_read m1)"
assert_eq "read-only fetch on m2" 5 "$(ro_read m2)"
assert_eq "m0 is still dmaster of rokey" 0 "$(DB=$RO header_field m0 rokey dmaster)"
assert_eq "m0's copy has delegations out" 0x01000000 "$(ro_flags m0)"
assert_eq "m1 holds a read-only copy" 0x02000000 "$(ro_flags m1)"
check "an increment on m2 (revokes the copies first)" rw_add m2 1
assert_eq "read-only fetch on m1 sees the new value" 6 "$(ro_read m1)"
assert_eq "fetch-lock on m0 sees the new value" 6 "$(timeout 30 "$COUNTER" "${H_SOCK[m0]}" "$RO" rokey 0 2>&1)"
revokes=$(h_ctdb m2 statistics 2>/dev/null | awk '/total_ro_revokes/ { print $2; exit }')
delegs=$(h_ctdb m0 statistics 2>/dev/null | awk '/total_ro_delegations/ { print $2; exit }')
if [ "${delegs:-0}" -ge 2 ]; then pass "m0 counted its delegations ($delegs)"; else
  fail "m0 counted its delegations" "total_ro_delegations '$delegs'"
fi

# ---- sticky records
ST=mig_sticky.tdb
check "attach $ST" h_ctdb m0 attach "$ST"
for n in m0 m1 m2; do
  check "$n knows $ST" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$ST '" 10
  check "setdbsticky $ST on $n" h_ctdb "$n" setdbsticky "$ST"
done
for n in m0 m1 m2; do check "HopcountMakeSticky 1 on $n" h_ctdb "$n" setvar HopcountMakeSticky 1; done
pids=() rc=0
for n in m0 m1 m2; do
  timeout 120 "$COUNTER" "${H_SOCK[$n]}" "$ST" hot 100 2>>"$H_TMP/counter.err" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[ $rc == 0 ] && pass "increments on a sticky database finish" ||
  fail "increments on a sticky database finish" "$(tail -3 "$H_TMP/counter.err")"
# Round-robin increments leave stale copies behind, so requests get redirected (hop count >= 1).
for ((i = 0; i < 5; i++)); do
  for n in m0 m1 m2; do timeout 30 "$COUNTER" "${H_SOCK[$n]}" "$ST" hot 1 || rc=1; done
done
assert_eq "sticky counter exact" 315 "$(timeout 30 "$COUNTER" "${H_SOCK[m1]}" "$ST" hot 0 2>&1)"
if grep -q "Make record sticky" "${H_DIR[m0]}/log.ctdb" "${H_DIR[m1]}/log.ctdb" "${H_DIR[m2]}/log.ctdb"; then
  pass "a hot record was made sticky (log)"
else
  fail "a hot record was made sticky (log)"
fi

# ---- a node killed while the counter migrates
before=$(timeout 30 "$COUNTER" "${H_SOCK[m0]}" "$DB" counter 0 2>&1)
pids=()
for n in m0 m1; do
  timeout 120 "$COUNTER" "${H_SOCK[$n]}" "$DB" counter 300 2>>"$H_TMP/counter.err" &
  pids+=($!)
done
timeout 120 "$COUNTER" "${H_SOCK[m2]}" "$DB" counter 100000 2>/dev/null &
victim_client=$!
req_dmasters() { h_ctdb m1 statistics 2>/dev/null | awk '/req_dmaster/ { print $2; exit }'; }
base=$(req_dmasters)
wait_for '[ "$(req_dmasters)" -gt $((base + 50)) ]' 20
h_kill9_node m2
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
wait "$victim_client" 2>/dev/null
if [ $rc == 0 ]; then pass "clients on the survivors finish after m2 is killed mid-migration"; else
  fail "clients on the survivors finish after m2 is killed mid-migration" \
    "$(tail -5 "$H_TMP/counter.err")"
fi
h_wait_converged "m2 disconnected, m0 and m1 OK" 60 m0 m1 -- OK OK 'DISCONNECTED[A-Z|]*'
after=$(timeout 30 "$COUNTER" "${H_SOCK[m0]}" "$DB" counter 0 2>&1)
if [[ "$after" =~ ^[0-9]+$ ]] && [ "$after" -ge "$before" ]; then
  pass "the counter did not go back past its value before the kill ($before -> $after)"
else
  fail "the counter did not go back past its value before the kill" "before $before after '$after'"
fi
for n in m0 m1; do
  timeout 60 "$COUNTER" "${H_SOCK[$n]}" "$DB" counter 100 || fail "increments on $n after the kill"
done
assert_eq "exactly 200 more increments after the kill" $((after + 200)) \
  "$(timeout 30 "$COUNTER" "${H_SOCK[m1]}" "$DB" counter 0 2>&1)"

h_finish
