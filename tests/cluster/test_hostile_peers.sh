#!/bin/bash
# Hostile input on the node port, as an administrator sees it through the stock `ctdb` tool and
# the logs. Three of our nodes run from a four-line nodes file; the fourth node (pnn 3) never
# runs, so its address is free for an attacker to connect from (tests/tools/hostile_peer.py).
# * A connection from an address not in the nodes file is closed and logged.
# * From pnn 3's address: garbage, an oversized / too short / unaligned length, a wrong magic and
#   a wrong protocol version each close that link with the reason in the log; a packet of
#   another generation is dropped (as 4.17 drops it) and the link stays; a second connection
#   from a node whose link is up is refused; a half packet that never completes does not hold
#   up anything else and is closed after the stall timeout.
# * 1,000 connections a second from a stranger for a minute: no node ever shows DISCONNECTED.
# * An attacker holding a down node's slot does not keep that node out once it comes back.
# Throughout, nodes 0-2 stay OK, the generation stays the same (no recovery) and no log
# reports a real node's link down.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_hostile_peers
PEER=(python3 "$CTDB_SRC_DIR/tests/tools/hostile_peer.py")
ADDRS=(127.0.21.1 127.0.21.2 127.0.21.3 127.0.21.4)
STRANGER=127.0.21.9
NODE3=${ADDRS[3]}
DISC='DISCONNECTED[A-Z|]*'
FLOOD_SECONDS=${FLOOD_SECONDS:-60}

nodes=$H_TMP/p.nodes
h_write_nodes "$nodes" "${ADDRS[@]}"
for i in 0 1 2; do
  h_start_ours_args "p$i" "${ADDRS[$i]}" "$nodes" --reclock="$H_TMP/p.reclock"
done
ok=0
for i in 0 1 2; do h_wait_ping "p$i" || ok=1; done
[ "$ok" == 0 ] || fail "3 nodes answer ping"
h_wait_converged "start: nodes 0-2 OK, pnn 3 disconnected" 60 p0 p1 p2 -- OK OK OK "$DISC" ||
  h_finish
gen0=$H_CONVERGED_GENERATION
h_note "generation $gen0, leader $H_CONVERGED_LEADER"

# Byte offsets of the logs at the start: "no disturbance" looks at everything after them.
declare -A LOG0
for i in 0 1 2; do LOG0[p$i]=$(stat -c %s "${H_LOG[p$i]}"); done
log_since() { tail -c +"$((${2:-${LOG0[$1]}} + 1))" "${H_LOG[$1]}"; }

# no_disturbance LABEL: the three real nodes OK in the same generation as at the start, and no
# log line about a real node's link going down since the start.
no_disturbance() {
  local label=$1 i lines
  if h_converged p0 p1 p2 -- OK OK OK "$DISC" && [ "$H_CONVERGED_GENERATION" == "$gen0" ]; then
    pass "$label: nodes 0-2 OK, generation unchanged ($gen0)"
  else
    fail "$label: nodes 0-2 OK, generation unchanged ($gen0)" \
      "${H_CONVERGED_DETAIL:-generation is now $H_CONVERGED_GENERATION}"
  fi
  for i in 0 1 2; do
    lines=$(log_since "p$i" | grep -E "Link to node [012] down|Node [012] is now disconnected|dead count reached")
    assert_eq "$label: p$i logged no real node's link going down" "" "$lines"
  done
}

# attack SRC STEP...: runs the hostile peer against p0 from SRC; its output in $OUT.
attack() {
  local src=$1
  shift
  OUT=$(timeout 120 "${PEER[@]}" steps --from "$src" --to "${ADDRS[0]}" --log "${H_LOG[p0]}" \
    "$@" </dev/null 2>&1)
}

# ---- a stranger
attack "$STRANGER" send:keepalive expect-closed:10 \
  "wait-log:10:Refused connection from unknown node $STRANGER"
assert_contains "stranger: the connection is closed" "$OUT" "expect-closed:10: closed"
assert_contains "stranger: p0 logs the refusal" "$OUT" "Refused connection from unknown node $STRANGER: seen"

# ---- broken packets from pnn 3's address: that link closes, with the reason in the log
declare -A REASON=(
  [garbage]="bad packet length 3735928559"
  [oversized]="bad packet length 4294967280"
  [tiny-length]="bad packet length 8"
  [unaligned]="bad packet length 36"
  [bad-magic]="bad magic 0x12345678"
  [bad-version]="bad protocol version 2"
)
for c in garbage oversized tiny-length unaligned bad-magic bad-version; do
  attack "$NODE3" "send:$c" expect-closed:10 "wait-log:10:Link to node 3 down: ${REASON[$c]}"
  assert_contains "$c from pnn 3's address: p0 closes the connection" "$OUT" \
    "expect-closed:10: closed"
  assert_contains "$c from pnn 3's address: p0 logs why (${REASON[$c]})" "$OUT" \
    "${REASON[$c]}: seen"
done
no_disturbance "after broken packets"

# ---- a packet of another generation: dropped as 4.17 drops it, the link stays. The drop is
# logged at DEBUG; a bad magic on the same connection afterwards shows the link was still up.
wrong_gen=$((gen0 ^ 1))
check "setdebug DEBUG on p0" h_ctdb p0 setdebug DEBUG
before=$(stat -c %s "${H_LOG[p0]}")
attack "$NODE3" "send:wrong-generation=$wrong_gen" \
  "wait-log:10:dropping REQ_CALL from node 3 of generation $wrong_gen" \
  send:bad-magic "wait-log:10:Link to node 3 down: bad magic" expect-closed:10
check "setdebug NOTICE on p0" h_ctdb p0 setdebug NOTICE
assert_contains "wrong generation: p0 drops the packet and says so" "$OUT" \
  "of generation $wrong_gen: seen"
assert_contains "wrong generation: the link stays up for the next packet" "$OUT" \
  "Link to node 3 down: bad magic: seen"
assert_eq "wrong generation: the link went down once, for the bad magic" 1 \
  "$(log_since p0 "$before" | grep -c 'Link to node 3 down')"

# ---- a second connection from a node whose link is up (pnn 1 runs): refused, pnn 1 unharmed
attack "${ADDRS[1]}" send:keepalive expect-closed:10 \
  "wait-log:10:Incoming link from node 1 already active"
assert_contains "second link from pnn 1's address: closed" "$OUT" "expect-closed:10: closed"
assert_contains "second link from pnn 1's address: p0 logs the refusal" "$OUT" \
  "already active: seen"

# ---- a half packet that never completes: the reactor serves everyone meanwhile, and the
# stall timeout closes that link (pnn 3 is not connected, so no keepalive watches it).
"${PEER[@]}" steps --from "$NODE3" --to "${ADDRS[0]}" --log "${H_LOG[p0]}" send:half \
  "wait-log:40:Link to node 3 down: incomplete packet (32 bytes) stalled" expect-closed:10 \
  </dev/null >"$H_TMP/stall.out" 2>&1 &
stall_pid=$!
check "half packet: sent" wait_for "grep -q 'send:half: sent' '$H_TMP/stall.out'" 10
quiet_ping() { h_ctdb "$1" ping >/dev/null 2>&1; }
for i in 0 1 2; do
  check "half packet held: p$i answers ping" quiet_ping "p$i"
done
assert_eq "half packet held: p0 still sees pnn 1 OK" OK "$(h_node_flags p0 1)"
wait "$stall_pid"
stall=$(cat "$H_TMP/stall.out")
assert_contains "half packet: p0 closes the stalled link and says why" "$stall" \
  "stalled: seen"
assert_contains "half packet: the attacker sees the close" "$stall" "expect-closed:10: closed"
no_disturbance "after the stalled half packet"

# ---- a flood of connections from a stranger: keepalives keep flowing
flood_log=$(stat -c %s "${H_LOG[p0]}")
setsid "${PEER[@]}" flood --from "$STRANGER" --to "${ADDRS[0]}" --rate 1000 \
  --seconds "$FLOOD_SECONDS" </dev/null >"$H_TMP/flood.out" 2>&1 &
flood_pid=$!
h_track_pid "$flood_pid"
bad_seen=()
polls=0
while h_pid_running "$flood_pid"; do
  for i in 0 1 2; do
    st=$(h_ctdb "p$i" -t 10 status 2>&1)
    for n in 0 1 2; do
      if ! grep -Eq "^pnn:$n +[^ ]+ +OK( \(THIS NODE\))?\$" <<<"$st"; then
        bad_seen+=("p$i sees pnn $n: $(grep -E "^pnn:$n " <<<"$st" || echo "$st")")
      fi
    done
  done
  polls=$((polls + 1))
  sleep 1 # the polling pace; the loop ends with the flood
done
wait "$flood_pid" 2>/dev/null
flood=$(cat "$H_TMP/flood.out")
h_note "flood: $flood; $polls rounds of ctdb status on 3 nodes"
made=$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' <<<"$flood")
# A floor that shows the flood happened (a fifth of the rate asked for), not a speed test.
floor=$((FLOOD_SECONDS * 200))
check "flood: the flooder made at least $floor connections (${made:-none})" \
  [ "${made:-0}" -ge "$floor" ]
check "flood: ctdb status was polled during the flood ($polls rounds)" \
  [ "$polls" -ge $((FLOOD_SECONDS / 6)) ]
assert_eq "flood: no node was ever seen other than OK" "" "${bad_seen[*]}"
assert_contains "flood: p0 logs the refusals, throttled" "$(log_since p0 "$flood_log")" \
  "more since the last report"
refusals=$(log_since p0 "$flood_log" | grep -c "Refused connection from unknown node")
check "flood: refusal lines are throttled ($refusals lines for ${made:-0} connections)" \
  [ "$refusals" -le $((FLOOD_SECONDS + 5)) ]
no_disturbance "after the flood"

# ---- a real node's slot held by an attacker while that node is down (a connection from its
# address that sent a keepalive, then nothing): when the node comes back, it gets back in and
# the attacker's connection is closed. Usually the node's own connection replaces the
# attacker's at once (the node is not connected, so the slot proves nothing: unit test
# HostileNodeTest.ANewConnectionFromANodeThatIsNotConnectedReplacesTheOneBefore); if p0's
# outgoing link to it happens to connect first, the node's retries clear the slot instead.
h_kill9_node p2
h_wait_converged "pnn 2 killed: p0 and p1 recover without it" 40 p0 p1 -- OK OK "$DISC" "$DISC"
slot_log=$(stat -c %s "${H_LOG[p0]}")
"${PEER[@]}" steps --from "${ADDRS[2]}" --to "${ADDRS[0]}" send:keepalive expect-closed:60 \
  </dev/null >"$H_TMP/slot.out" 2>&1 &
slot_pid=$!
check "pnn 2's slot: the attacker's connection is up" \
  wait_for "grep -q 'send:keepalive: sent' '$H_TMP/slot.out'" 10
h_restart_ours p2 || fail "pnn 2 restarted answers ping"
h_wait_converged "pnn 2 restarted while its slot was held: all of nodes 0-2 OK again" 60 \
  p0 p1 p2 -- OK OK OK "$DISC"
wait "$slot_pid"
assert_contains "pnn 2's slot: p0 closed the attacker's link" "$(cat "$H_TMP/slot.out")" \
  "expect-closed:60: closed"
h_note "pnn 2's return as p0 logged it:" \
  "$(log_since p0 "$slot_log" | grep -E 'node 2|Node 2' | cut -d' ' -f4- | head -8)"

h_finish
