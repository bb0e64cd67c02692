#!/bin/bash
# Public IP takeover side by side with Debian's stock 4.17: three stock nodes and three of ours
# (CTDB_TEST_MODE, the same 7 public addresses on lo, managed logically), driven step by step
# with the stock ctdb tool. After every step the stock tool must show the same addresses on the
# same nodes (`ip all`, `-X ip all`, `-v ip`, `ipinfo`, `ifaces`, `gettickles`) with the same
# exit codes: start-up, disable/enable, stop/continue, moveip, a node's link down, addip/delip,
# reloadips, tickles, NoIPFailback, a killed node, and LCP2 from the same state.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/lib.sh"

h_init takeover_stock
PUBLIC=(10.201.0.1 10.201.0.2 10.201.0.3 10.201.0.4 10.201.0.5 10.201.0.6 10.201.0.7)
for ip in "${PUBLIC[@]}"; do echo "$ip/24 lo"; done >"$H_TMP/public_addresses"

# Both sides use the deterministic algorithm first: ours by the seed's default
# (DeterministicIPs=1), stock by IPAllocAlgorithm=0.
H_STOCK_PUBLIC_ADDRESSES=$H_TMP/public_addresses H_STOCK_TUNABLES="IPAllocAlgorithm=0" \
  h_start_cluster stock k 127.0.3.1 127.0.3.2 127.0.3.3 || fail "stock nodes answer ping"
h_write_nodes "$H_TMP/o.nodes" 127.0.3.4 127.0.3.5 127.0.3.6
for i in 0 1 2; do
  h_start_ours_args "o$i" "127.0.3.$((i + 4))" "$H_TMP/o.nodes" --reclock="$H_TMP/o.reclock" \
    --public-addresses="$H_TMP/public_addresses"
done
for i in 0 1 2; do h_wait_ping "o$i" || fail "o$i answers ping"; done
h_wait_converged "stock: all OK" 90 k0 k1 k2 -- OK OK OK || h_finish
h_wait_converged "ours: all OK" 90 o0 o1 o2 -- OK OK OK || h_finish

# assigned NODE COUNT: `ip all` on NODE shows COUNT addresses with a node.
assigned() { [ "$(h_ctdb "$1" ip all 2>/dev/null | awk 'NR > 1 && $2 != -1' | wc -l)" == "$2" ]; }
for c in k o; do
  check "$c: all 7 addresses are hosted" wait_for "assigned ${c}0 7" 60 0.5
done

# compare LABEL ARGS...: the stock tool's output and exit code on k0 and o0 must match.
compare() {
  local label=$1
  shift
  ix_compare_pair "$label" k0 o0 -- "$@"
}
# show LABEL: the views of the addresses that must match after a step.
show() {
  compare "$1: ip all" ip all
  compare "$1: -X ip all" -X ip all
  compare "$1: -v ip on node 0" -v ip
  compare "$1: ip on node 2" -n 2 ip
}
# both ARGS...: the same stock tool command on k0 and o0, with the same exit code.
both() {
  local rk ro
  h_ctdb k0 "$@" >/dev/null 2>&1
  rk=$?
  h_ctdb o0 "$@" >/dev/null 2>&1
  ro=$?
  assert_eq "ctdb $*: same exit code on both" "$rk" "$ro"
}

show "start"
compare "start: ipinfo of an address" ipinfo 10.201.0.3
compare "start: ipinfo of an address not public" ipinfo 10.9.9.9
compare "start: ifaces" ifaces
compare "start: -X ifaces" -X ifaces

both -n 1 disable
show "node 1 disabled"
both -n 1 enable
show "node 1 enabled again"
both -n 2 stop
show "node 2 stopped"
both -n 2 continue
show "node 2 continued"
h_wait_converged "stock: all OK after continue" 60 k0 k1 k2 -- OK OK OK
h_wait_converged "ours: all OK after continue" 60 o0 o1 o2 -- OK OK OK

compare "moveip to node 1" moveip 10.201.0.1 1
show "after moveip"
compare "moveip to a node that does not exist" moveip 10.201.0.1 7
compare "moveip of an address that is not public" moveip 10.9.9.9 1
compare "ipreallocate" ipreallocate
show "after ipreallocate"

# A node whose public link goes down can host nothing.
compare "setifacelink lo down on node 1" -n 1 setifacelink lo down
compare "ifaces on node 1 with the link down" -n 1 ifaces
compare "ipreallocate with node 1's link down" ipreallocate
show "node 1's link down"
compare "setifacelink of an unknown interface" -n 1 setifacelink eth9 up
compare "setifacelink lo up on node 1" -n 1 setifacelink lo up
compare "ipreallocate with the link up" ipreallocate
show "node 1's link up"

# Addresses added and deleted at run time.
compare "addip on node 0" addip 10.201.0.8/24 lo
compare "addip of an address node 0 knows" addip 10.201.0.8/24 lo
compare "addip of a bad address" addip 10.201.0/24 lo
for n in 1 2; do compare "addip on node $n" -n "$n" addip 10.201.0.8/24 lo; done
compare "ipreallocate after addip" ipreallocate
show "after addip"
compare "ipinfo of the added address" ipinfo 10.201.0.8
for n in 0 1 2; do compare "delip on node $n" -n "$n" delip 10.201.0.8; done
compare "delip of an address node 0 does not know" delip 10.201.0.8
compare "ipreallocate after delip" ipreallocate
show "after delip"

# reloadips: every node re-reads its file (the same file, grown by one address).
for c in k o; do
  for i in 0 1 2; do
    f=${H_DIR[$c$i]}/public_addresses
    [ "$c" == o ] && f=$H_TMP/public_addresses
    grep -q 10.201.0.9 "$f" || echo "10.201.0.9/24 lo" >>"$f"
  done
done
compare "reloadips all" reloadips all
show "after reloadips"

# Tickles: connections recorded for an address are listed the same way.
compare "addtickle" addtickle 10.1.1.1:40000 10.201.0.2:445
compare "addtickle again" addtickle 10.1.1.2:40001 10.201.0.2:445
compare "gettickles" gettickles 10.201.0.2
compare "gettickles by port" gettickles 10.201.0.2 445
compare "-X gettickles" -X gettickles 10.201.0.2
compare "deltickle" deltickle 10.1.1.1:40000 10.201.0.2:445
compare "gettickles after deltickle" gettickles 10.201.0.2
compare "gettickles of an address that is not public" gettickles 10.9.9.9

# Tunables are per node, and the leader's count: every node gets them.
setvar_all() {
  local c=$1 n
  shift
  for n in 0 1 2; do h_ctdb "${c}0" -n "$n" setvar "$@" >/dev/null || return 1; done
}
# LCP2 from the same state on both sides.
check "IPAllocAlgorithm=2 on every stock node" setvar_all k IPAllocAlgorithm 2
check "DeterministicIPs=0 on every node of ours" setvar_all o DeterministicIPs 0
compare "ipreallocate with LCP2" ipreallocate
show "LCP2"
both -n 2 disable
show "LCP2, node 2 disabled"
both -n 2 enable
compare "ipreallocate with LCP2, node 2 back" ipreallocate
show "LCP2, node 2 back"

# NoIPFailback (with LCP2, which honours it): a node that comes back gets nothing back by
# itself.
check "NoIPFailback=1 on every stock node" setvar_all k NoIPFailback 1
check "NoIPFailback=1 on every node of ours" setvar_all o NoIPFailback 1
both -n 1 disable
show "NoIPFailback, node 1 disabled"
both -n 1 enable
show "NoIPFailback, node 1 enabled: nothing fails back"
assert_eq "NoIPFailback: node 1 hosts nothing after coming back" "" \
  "$(h_ctdb o0 ip all | awk 'NR > 1 && $2 == 1')"
compare "NoIPFailback: moveip still moves an address" moveip 10.201.0.1 1
show "NoIPFailback, after moveip"
check "NoIPFailback=0 on every stock node" setvar_all k NoIPFailback 0
check "NoIPFailback=0 on every node of ours" setvar_all o NoIPFailback 0
compare "ipreallocate with failback allowed again" ipreallocate
show "failback allowed again"

# A killed node's addresses move to the survivors.
h_kill9_node k1
h_kill9_node o1
for c in k o; do
  check "$c: node 1's addresses move to the survivors" \
    wait_for "[ \"\$(h_ctdb ${c}0 ip all 2>/dev/null | awk 'NR > 1 && (\$2 == 0 || \$2 == 2)' | wc -l)\" == 8 ]" \
    60 0.2
done
show "node 1 killed"

h_finish
