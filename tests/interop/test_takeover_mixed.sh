#!/bin/bash
# A mixed cluster: two of our nodes and Debian's stock 4.17 ctdbd as the third, sharing one
# recovery lock and six public addresses (CTDB_TEST_MODE, on lo, managed logically), driven with
# the stock tool. Every node must show the same layout with every address hosted, whichever
# daemon leads: at start, after the stock node is killed and comes back (its addresses move to
# our nodes and fail back), moveip onto the stock node, disable/enable of one of ours, after the
# leader is killed (the others take over its role and addresses), and with the stock node as
# leader (ours give up the role) moving our nodes' addresses; records written through one kind
# of node are read through the other.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/lib.sh"

h_init takeover_mixed
PUBLIC=(10.205.0.1 10.205.0.2 10.205.0.3 10.205.0.4 10.205.0.5 10.205.0.6)
for ip in "${PUBLIC[@]}"; do echo "$ip/24 lo"; done >"$H_TMP/public_addresses"
ADDR=(127.0.5.1 127.0.5.2 127.0.5.3)
h_write_nodes "$H_TMP/m.nodes" "${ADDR[@]}"
LOCK=$H_TMP/m.lock
for i in 0 1; do
  h_start_ours_args "m$i" "${ADDR[$i]}" "$H_TMP/m.nodes" --reclock="$LOCK" \
    --public-addresses="$H_TMP/public_addresses"
done
# The stock node allocates as ours does by default (deterministic: the seed's DeterministicIPs=1).
start_stock() {
  H_STOCK_PUBLIC_ADDRESSES=$H_TMP/public_addresses H_STOCK_TUNABLES="IPAllocAlgorithm=0" \
    h_start_stock m2 "${ADDR[2]}" "$H_TMP/m.nodes" "$LOCK"
}
start_stock
for i in 0 1 2; do h_wait_ping "m$i" || fail "m$i answers ping"; done
h_wait_converged "start: all OK" 90 m0 m1 m2 -- OK OK OK || h_finish

# layout NODE: `ctdb -X ip all` on NODE, addresses with their host.
layout() { h_ctdb "$1" -X ip all 2>/dev/null | awk -F'|' 'NR > 1 { print $2, $3 }'; }
# agreed NODE...: every named node shows the same layout, and every address has a host among
# the named nodes' pnns; sets DETAIL.
agreed() {
  local first="" n l pnns=" " a h
  for n in "$@"; do pnns+="${n#m} "; done
  for n in "$@"; do
    l=$(layout "$n")
    [ -n "$l" ] || { DETAIL="$n shows no addresses"; return 1; }
    if [ -n "$first" ] && [ "$l" != "$first" ]; then
      DETAIL="$n shows: $(echo $l) / first: $(echo $first)"
      return 1
    fi
    first=$l
  done
  while read -r a h; do
    [[ "$pnns" == *" $h "* ]] || { DETAIL="$a on '$h', not one of$pnns"; return 1; }
  done <<<"$first"
  [ "$(wc -l <<<"$first")" == ${#PUBLIC[@]} ] || { DETAIL="not ${#PUBLIC[@]} addresses"; return 1; }
  DETAIL=""
}
check_agreed() {  # LABEL NODE...
  local label=$1
  shift
  if wait_for "agreed $*" 30 0.2; then pass "$label"; else fail "$label" "$DETAIL"; fi
}
# hosts PNN: how many addresses the layout on m0 gives PNN.
hosts() { layout "${2:-m0}" | awk -v p="$1" '$2 == p' | wc -l; }

check_agreed "start: the three nodes show one layout, every address hosted" m0 m1 m2
assert_eq "start: the stock node hosts its share (2 of 6)" 2 "$(hosts 2)"
leader=$H_CONVERGED_LEADER
h_note "leader is pnn $leader"

# ---- records: written through the stock node, read through ours, and back
h_ctdb m2 attach mixed.tdb >/dev/null
check "writekey through the stock node" h_ctdb m2 writekey mixed.tdb k1 "from-stock"
assert_eq "readkey through our node 0" "Data: size:10 ptr:[from-stock]" \
  "$(h_ctdb m0 readkey mixed.tdb k1 2>&1)"
check "writekey through our node 1" h_ctdb m1 writekey mixed.tdb k1 "from-ours"
assert_eq "readkey through the stock node" "Data: size:9 ptr:[from-ours]" \
  "$(h_ctdb m2 readkey mixed.tdb k1 2>&1)"

# ---- the stock node dies: its addresses move to ours; it comes back: they fail back
h_kill9_node m2
h_wait_converged "stock node killed: ours recover without it" 60 m0 m1 -- \
  OK OK 'DISCONNECTED[A-Z|]*'
check_agreed "stock node killed: its addresses are on our nodes" m0 m1
start_stock
h_wait_ping m2 || fail "the stock node answers ping again"
h_wait_converged "stock node back: all OK" 90 m0 m1 m2 -- OK OK OK
check_agreed "stock node back: one layout on all three" m0 m1 m2
check "stock node back: it hosts its share again (deterministic)" \
  wait_for '[ "$(hosts 2)" == 2 ]' 30 0.2

# ---- moveip onto the stock node, by the stock tool through our node
A=$(layout m0 | awk '$2 == 0 { print $1; exit }')
check "moveip $A (on our node 0) to the stock node" h_ctdb m0 moveip "$A" 2
check_agreed "after moveip: one layout" m0 m1 m2
assert_eq "after moveip: $A is on the stock node, seen from ours" 2 \
  "$(layout m1 | awk -v a="$A" '$1 == a { print $2 }')"
check "ipreallocate" h_ctdb m2 ipreallocate
check_agreed "after ipreallocate: one layout" m0 m1 m2

# ---- disable one of ours (through the stock node): its addresses go to the others
check "disable our node 1 through the stock node" h_ctdb m2 -n 1 disable
check_agreed "node 1 disabled: one layout, node 1 hosts nothing" m0 m2
assert_eq "node 1 disabled: hosts nothing" 0 "$(hosts 1 m2)"
check "enable our node 1" h_ctdb m2 -n 1 enable
h_wait_converged "node 1 enabled: all OK" 60 m0 m1 m2 -- OK OK OK
check "node 1 enabled: it hosts addresses again" wait_for '[ "$(hosts 1)" -gt 0 ]' 30 0.2
check_agreed "node 1 enabled: one layout" m0 m1 m2

# ---- the leader dies (ours or the stock node, whichever leads); the others take over
h_wait_converged "before killing the leader" 60 m0 m1 m2 -- OK OK OK
leader=$H_CONVERGED_LEADER
h_kill9_node "m$leader"
rest=()
flags=()
for i in 0 1 2; do
  if [ "$i" == "$leader" ]; then flags+=('DISCONNECTED[A-Z|]*'); else rest+=("m$i"); flags+=(OK); fi
done
h_wait_converged "leader pnn $leader killed: the others recover" 60 "${rest[@]}" -- "${flags[@]}"
h_note "new leader: pnn $H_CONVERGED_LEADER (pnn 2 is the stock node)"
check_agreed "leader killed: its addresses are on the others" "${rest[@]}"
assert_eq "leader killed: the record survives on the others" "Data: size:9 ptr:[from-ours]" \
  "$(h_ctdb "${rest[0]}" readkey mixed.tdb k1 2>&1)"

# ---- the stock node leads (ours give up the leader role) and runs the takeover runs that
# move our nodes' addresses
if [ "$leader" == 2 ]; then start_stock; else h_restart_ours "m$leader"; fi
h_wait_ping "m$leader" || fail "the old leader answers ping again"
h_wait_converged "old leader back: all OK" 90 m0 m1 m2 -- OK OK OK
for i in 0 1; do check "setleaderrole off on our node $i" h_ctdb "m$i" setleaderrole off; done
check "the stock node becomes leader" \
  wait_for '[ "$(h_ctdb m0 leader)" == 2 ] && [ "$(h_ctdb m2 leader)" == 2 ]' 30 0.2
h_wait_converged "stock leader: all OK" 60 m0 m1 m2 -- OK OK OK
check_agreed "stock leader: one layout" m0 m1 m2
check "stock leader: disable our node 0" h_ctdb m0 -n 0 disable
check_agreed "stock leader, node 0 disabled: one layout" m1 m2
assert_eq "stock leader, node 0 disabled: it hosts nothing" 0 "$(hosts 0 m2)"
check "stock leader: enable our node 0" h_ctdb m0 -n 0 enable
check "stock leader, node 0 enabled: it hosts addresses again" \
  wait_for '[ "$(hosts 0 m2)" -gt 0 ]' 30 0.2
h_kill9_node m1
h_wait_converged "stock leader, our node 1 killed: recovered without it" 60 m0 m2 -- \
  OK 'DISCONNECTED[A-Z|]*' OK
check_agreed "stock leader, our node 1 killed: its addresses are on node 0 and the stock node" \
  m0 m2

h_finish
