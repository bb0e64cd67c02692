#!/bin/bash
# A remote node: four node hosts in network namespaces, the fourth started with --no-lmaster
# and --no-recmaster on a cable that delays every frame by 50 ms each way (a node at another
# site; tests/netns/delay_line.py, as this kernel has no tc netem).
# It shows both capabilities off (the stock tool shows the same as for a stock 4.17 node with
# the same configuration), it is never in the vnnmap and never leader, through recoveries and
# elections after the leader dies; it still serves clients: records written on it migrate to
# the other nodes and back with their latest value, and survive the recoveries.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/netns.sh"

h_init remote_node_netns
netns_require
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
H_VNNMAP_SIZE=3  # the remote node is OK but has no lmaster capability
netns_setup 4 || { fail "namespaces, bridges and cables are set up"; h_finish; }
# 50 ms out of the remote host and 50 ms into it.
netns_delay_private 3 50 || { fail "the remote node's cable delays its frames"; h_finish; }
rtt=$(ip netns exec "${NS_NODE[0]}" ping -c 3 -i 0.2 -q "$NS_PRIV_NET.4" |
  sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
h_note "round trip to the remote node: ${rtt} ms"
check "the remote node's link is delayed (round trip of 100 ms or more)" \
  awk -v r="$rtt" 'BEGIN { exit !(r >= 100) }'

h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET.1" "$NS_PRIV_NET.2" "$NS_PRIV_NET.3" "$NS_PRIV_NET.4"
for i in 0 1 2 3; do
  H_NS[n$i]=${NS_NODE[$i]}
  extra=()
  [ "$i" != 3 ] || extra=(--no-lmaster --no-recmaster)
  h_start_ours_args "n$i" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" \
    --reclock="$H_TMP/reclock" "${extra[@]}"
done
for i in 0 1 2 3; do h_wait_ping "n$i" || fail "n$i answers ping"; done
h_wait_converged "all OK" 90 n0 n1 n2 n3 -- OK OK OK OK || h_finish

# ---- capabilities, as the stock tool shows them
run_tool stock n3 getcapabilities
assert_eq "stock tool: the remote node has neither capability" \
  $'0:LEADER: NO\nLMASTER: NO' "$RC:$OUT"
run_tool ours n3 getcapabilities
assert_eq "our tool: the same" $'LEADER: NO\nLMASTER: NO' "$OUT"
run_tool stock n0 getcapabilities
assert_eq "stock tool: an ordinary node has both" $'LEADER: YES\nLMASTER: YES' "$OUT"
remote_x=$(H_TOOL=/usr/bin/ctdb h_ctdb n3 -X getcapabilities)
# A stock 4.17 node configured the same way, for comparison.
h_write_nodes "$H_TMP/stock.nodes" 127.0.8.1
H_STOCK_CONF=$'[legacy]\n\tlmaster capability = false\n[cluster]\n\tleader capability = false' \
  h_start_stock s0 127.0.8.1 "$H_TMP/stock.nodes"
if h_wait_ping s0; then
  run_tool stock s0 getcapabilities
  assert_eq "a stock node with the same configuration shows the same" \
    $'LEADER: NO\nLMASTER: NO' "$OUT"
  assert_eq "and the same with -X" "$(H_TOOL=/usr/bin/ctdb h_ctdb s0 -X getcapabilities)" \
    "$remote_x"
else
  fail "the stock node with both capabilities off answers ping"
fi
h_stop_node s0

# ---- never in the vnnmap, never leader
# vnnmap_pnns NAME: the pnns of the vnnmap `ctdb status` on NAME shows, space separated.
vnnmap_pnns() {
  h_ctdb "$1" status 2>/dev/null | awk -F 'lmaster:' '/^hash:/ { printf "%s ", $2 }'
}
leader_of() { h_ctdb "$1" leader 2>/dev/null; }
# remote_excluded PNNS NAME...: every named node's vnnmap is PNNS (comma separated: the live
# lmaster-capable nodes), and every named node names the same leader, not the remote node.
remote_excluded() {
  local want="${1//,/ } " n l="" ln
  shift
  for n in "$@"; do
    [ "$(vnnmap_pnns "$n")" == "$want" ] || { DETAIL="$n vnnmap: $(vnnmap_pnns "$n")"; return 1; }
    ln=$(leader_of "$n")
    [ -n "$ln" ] && [ "$ln" != 3 ] || { DETAIL="$n leader: '$ln'"; return 1; }
    [ -z "$l" ] || [ "$l" == "$ln" ] || { DETAIL="leaders differ: $l $ln"; return 1; }
    l=$ln
  done
}
check_excluded() {
  if wait_for "remote_excluded $*" 60 0.3; then pass "$DESC"; else fail "$DESC" "$DETAIL"; fi
}
DESC="start: vnnmap 0 1 2 on every node, one leader, not the remote node"
check_excluded 0,1,2 n0 n1 n2 n3

# ---- records migrate to and from the remote node
DB=remote.tdb
H_TOOL=$OURS_TOOL h_ctdb n0 attach "$DB" >/dev/null || fail "attach $DB"
attached_everywhere() {
  local n
  for n in n0 n1 n2 n3; do h_ctdb "$n" getdbmap 2>/dev/null | grep -q "name:$DB " || return 1; done
}
check "the database is attached on every node, the remote one too" wait_for attached_everywhere 30 0.2
# value_is NAME KEY WANT: `ctdb readkey` on NAME shows the value WANT.
value_is() {
  local out
  out=$(h_ctdb "$1" readkey "$DB" "$2" 2>&1)
  [[ "$out" == *"ptr:[$3]"* ]] || { echo "# $1 readkey $2: $out"; return 1; }
}
# dmaster_is NAME KEY PNN: NAME's own copy of KEY says PNN is its dmaster.
dmaster_is() {
  H_TOOL=$OURS_TOOL h_ctdb "$1" cattdb "$DB" 2>/dev/null |
    awk -v k="key(${#2}) = \"$2\"" -v p="dmaster: $3" \
      'BEGIN { r = 1 } $0 == k { f = 1 } f && /dmaster:/ { r = !($0 == p); exit } END { exit r }'
}
H_TOOL=$OURS_TOOL h_ctdb n3 writekey "$DB" k1 v-from-remote >/dev/null || fail "writekey on n3"
check "written on the remote node: it is the record's dmaster" dmaster_is n3 k1 3
check "read on pnn 0: the remote node's value" value_is n0 k1 v-from-remote
check "the record migrated to pnn 0" dmaster_is n0 k1 0
H_TOOL=$OURS_TOOL h_ctdb n1 writekey "$DB" k1 v-from-pnn1 >/dev/null || fail "writekey on n1"
check "updated on pnn 1, read on the remote node: the new value" value_is n3 k1 v-from-pnn1
check "the record migrated back to the remote node" dmaster_is n3 k1 3
for i in 0 1 2 3 4 5 6 7; do
  H_TOOL=$OURS_TOOL h_ctdb "n$((i % 4))" writekey "$DB" "key$i" "val$i" >/dev/null ||
    fail "writekey key$i on n$((i % 4))"
done
all_values() {
  local i n
  for n in "$@"; do
    for i in 0 1 2 3 4 5 6 7; do value_is "$n" "key$i" "val$i" || return 1; done
  done
}
check "eight keys written round the cluster read back on the remote node and pnn 2" \
  all_values n3 n2

# ---- recoveries still finish, and the remote node stays out
gen_of() { h_ctdb "$1" status 2>/dev/null | awk '/^Generation:/ { print $1 }'; }
gen0=$(gen_of n0)
H_TOOL=$OURS_TOOL h_ctdb n3 recover >/dev/null
check "ctdb recover from the remote node: a new generation, all OK" \
  wait_for "[ \"\$(gen_of n0)\" != '$gen0' ] && h_converged n0 n1 n2 n3 -- OK OK OK OK" 60 0.3
DESC="after the recovery: vnnmap 0 1 2, leader not the remote node"
check_excluded 0,1,2 n0 n1 n2 n3
check "after the recovery: the records read back on the remote node" all_values n3

leader=$(leader_of n0)
h_note "killing the leader, pnn $leader"
h_kill9_node "n$leader"
live=()
lm=""
for i in 0 1 2; do
  [ "$i" == "$leader" ] || { live+=("n$i"); lm+="$i "; }
done
DESC="leader killed: a new leader, not the remote node; vnnmap ${lm% } everywhere"
lm=${lm% }
check_excluded "${lm// /,}" "${live[@]}" n3
check "leader killed: the records still read back on the remote node" all_values n3
h_restart_ours "n$leader" || fail "n$leader restarts"
h_wait_converged "the old leader back: all OK" 90 n0 n1 n2 n3 -- OK OK OK OK
DESC="the old leader back: vnnmap 0 1 2"
check_excluded 0,1,2 n0 n1 n2 n3

# Over the whole run the remote node never took the recovery lock or the leader role.
assert_not_contains "the remote node's log: never leader" "$(cat "${H_DIR[n3]}/log.ctdb")" \
  "is now the leader"
assert_not_contains "the remote node's log: never took the lock" \
  "$(cat "${H_DIR[n3]}/log.ctdb")" "Took recovery lock"

h_finish
