#!/bin/bash
# Public IP takeover for real: three node hosts and a client host in network namespaces (a
# private and a public bridge), one ctdbd per node with events.d/10.interface putting the
# public addresses on eth1. Checks what a client sees: every address on exactly one healthy
# node; a dead node's addresses (ctdbd killed, public cable pulled) move, the client's ARP
# cache follows the gratuitous ARP without the client sending anything, a long-lived idle
# connection is reset by a tickle, and new connections reach the new host; the node comes back
# and its addresses fail back; moveip, disable/enable, stop/continue, an unhealthy node, a
# pulled public cable seen by the monitor event, an address deleted by hand from its host,
# addip/delip, an IPv6 address (duplicate address
# detection, unsolicited neighbour advertisement), NoIPFailback.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/netns.sh"

h_init takeover_netns
netns_require
PY=/usr/bin/python3
SERVICE=$(cd "$(dirname "$0")" && pwd)/tcp_service.py
PORT=7000
netns_setup 3 || { fail "namespaces, bridges and cables are set up"; h_finish; }
PUBLIC=()
for i in 101 102 103 104 105 106; do PUBLIC+=("$NS_PUB_NET.$i"); done
for ip in "${PUBLIC[@]}"; do echo "$ip/24 eth1"; done >"$H_TMP/public_addresses"
printf 'CTDB_PUBLIC_ADDRESSES=%s\n' "$H_TMP/public_addresses" >"$H_TMP/sysconfig"
# The scripts find config/functions through CTDB_BASE and our tool on PATH; no test mode:
# every node checks its host for real.
export CTDB_BASE=$CTDB_SRC_DIR CTDB_SYSCONFIG=$H_TMP/sysconfig PATH=$CTDB_BUILD_DIR:$PATH
h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET.1" "$NS_PRIV_NET.2" "$NS_PRIV_NET.3"
for i in 0 1 2; do
  H_NS[n$i]=${NS_NODE[$i]}
  mkdir -p "$H_TMP/n$i/events.d"
  ln -s "$CTDB_SRC_DIR/events.d/10.interface" "$H_TMP/n$i/events.d/10.interface"
  # 20.health fails the monitor event while its flag file exists (an unhealthy service).
  printf '#!/bin/sh\n[ "$1" = monitor ] && [ -e %s ] && { echo "service down"; exit 1; }\nexit 0\n' \
    "$H_TMP/n$i/unhealthy" >"$H_TMP/n$i/events.d/20.health"
  chmod +x "$H_TMP/n$i/events.d/20.health"
  H_OURS_TEST_MODE="" h_start_ours_args "n$i" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" \
    --reclock="$H_TMP/reclock" --public-addresses="$H_TMP/public_addresses"
done
for i in 0 1 2; do h_wait_ping "n$i" || fail "n$i answers ping"; done
h_wait_converged "all OK" 90 n0 n1 n2 -- OK OK OK || h_finish

# owned_by PNN: the addresses `ctdb ip all` on n0 shows on PNN.
owned_by() { h_ctdb n0 ip all 2>/dev/null | awk -v p="$1" 'NR > 1 && $2 == p { print $1 }'; }
# consistent [NODE]: every public address is on exactly one node's eth1, and it is the node
# `ctdb ip all` names; sets DETAIL to the first difference.
consistent() { netns_consistent "${PUBLIC[@]}" "$@"; }
check_consistent() {
  if wait_for "consistent $2" 30 0.3; then pass "$1"; else fail "$1" "$DETAIL"; fi
}

check_consistent "start: every address on exactly one node, the one ctdb ip names"
for i in 0 1 2; do
  check "n$i hosts some addresses" [ -n "$(netns_addrs "$i")" ]
done

# ---- a TCP service on every node; the client reaches each address's host
for i in 0 1 2; do
  ip netns exec "${NS_NODE[$i]}" setsid "$PY" "$SERVICE" serve "node$i" "$PORT" \
    "${H_SOCK[n$i]}" "$H_TMP/service.$i.log" </dev/null >"$H_TMP/service.$i.out" 2>&1 &
  h_track_pid $!
done
for a in "${PUBLIC[@]}"; do
  check "the service answers on $a" wait_for \
    "ip netns exec $NS_CLIENT $PY $SERVICE ask $a $PORT >/dev/null" 20 0.2
  assert_eq "a client connecting to $a reaches the node ctdb ip names" "node$(netns_ip_owner "$a")" \
    "$(ip netns exec "$NS_CLIENT" "$PY" "$SERVICE" ask "$a" "$PORT")"
done

# ---- a dead node: ctdbd killed and its public cable pulled
A=${PUBLIC[0]}
X=$(netns_ip_owner "$A")
others=()
for i in 0 1 2; do [ "$i" == "$X" ] || others+=("$i"); done
VIA=n${others[0]}
# A long-lived, idle client connection to A, registered by the service on node X.
ip netns exec "$NS_CLIENT" setsid "$PY" "$SERVICE" client "$A" "$PORT" "$H_TMP/client.out" \
  </dev/null >"$H_TMP/client.err" 2>&1 &
CLIENT_PID=$!
h_track_pid "$CLIENT_PID"
check "the idle client is connected to $A on node $X" \
  wait_for "grep -q '^connected node$X ' $H_TMP/client.out" 20 0.2
CONN=$(awk '$1 == "connected" { print $4 }' "$H_TMP/client.out")
check "node $X registered the idle connection $CONN with ctdbd (TCP_CLIENT status 0)" \
  wait_for "grep -qx 'registered $CONN -> $A:$PORT status 0' $H_TMP/service.$X.log" 20 0.2
check "node $VIA knows the idle connection $CONN (gettickles)" \
  wait_for "h_ctdb $VIA gettickles $A | grep -q '^SRC: $CONN   DST: $A:$PORT\$'" 20 0.2
assert_eq "the client's ARP entry for $A is node $X's MAC" "$(netns_mac "$X")" \
  "$(ip -n "$NS_CLIENT" neigh show "$A" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')"

h_kill9_node "n$X"
netns_public_link "$X" down
killed_at=$(h_now_us)
CHECK_VIA=$VIA
check "$A moves to a surviving node's eth1" \
  wait_for "[ -n \"\$(netns_hosts_of $A)\" ] && [ \"\$(netns_hosts_of $A)\" != $X ]" 30 0.05
moved_at=$(h_now_us)
Y=$(netns_hosts_of "$A" | tr ' ' '\n' | grep -vx "$X")
h_note "node $X killed: $A on node $Y's eth1 after $(((moved_at - killed_at) / 1000)) ms"
h_wait_converged "the survivors: node $X disconnected" 60 "n${others[0]}" "n${others[1]}" -- \
  $([ "$X" == 0 ] && echo 'DISCONNECTED[A-Z|]*' || echo OK) \
  $([ "$X" == 1 ] && echo 'DISCONNECTED[A-Z|]*' || echo OK) \
  $([ "$X" == 2 ] && echo 'DISCONNECTED[A-Z|]*' || echo OK)
# Node X's eth1 still has its old addresses (its host "died" with them); the survivors are
# checked.
alive_consistent() {
  local a o h
  for a in "${PUBLIC[@]}"; do
    o=$(netns_ip_owner "$a" "$VIA")
    h=$(netns_hosts_of "$a")
    h=$(tr ' ' '\n' <<<"$h" | grep -vx "$X" | tr '\n' ' ')
    if [ "$o" == "$X" ] || [ "${h% }" != "$o" ]; then
      DETAIL="$a: ctdb ip says '$o', on the survivors' interfaces '${h% }'"
      return 1
    fi
  done
}
if wait_for alive_consistent 30 0.3; then
  pass "every address is on exactly one survivor, the one ctdb ip names"
else
  fail "every address is on exactly one survivor, the one ctdb ip names" "$DETAIL"
fi
check "the client's ARP entry for $A now names node $Y (gratuitous ARP, nothing sent)" \
  wait_for "ip -n $NS_CLIENT neigh show $A | grep -q 'lladdr $(netns_mac "$Y")'" 10 0.1
check "the idle client connection is reset (a tickle ACK from node $Y)" \
  wait_for "grep -q '^reset ' $H_TMP/client.out" 15 0.05
reset_s=$(awk '$1 == "reset" { print $2 }' "$H_TMP/client.out")
reset_ms=$(awk -v r="$reset_s" -v m="$moved_at" 'BEGIN { printf "%d", r * 1000 - m / 1000 }')
# The client sends nothing, so only a tickle can reset it (no retransmission timeout); how
# soon is a figure, not a check: the failover benchmark measures the takeover's speed.
h_note "client reset $reset_ms ms after $A was seen on node $Y"
assert_eq "a new connection to $A reaches node $Y" "node$Y" \
  "$(ip netns exec "$NS_CLIENT" "$PY" "$SERVICE" ask "$A" "$PORT")"

# ---- the node comes back: cable in, ctdbd restarted; its addresses fail back
netns_public_link "$X" up
h_restart_ours "n$X" || fail "n$X restarts"
CHECK_VIA=n0
h_wait_converged "node $X back: all OK" 90 n0 n1 n2 -- OK OK OK
check_consistent "node $X back: every address on exactly one node again"
check "$A fails back to node $X (deterministic IPs)" wait_for "[ \"\$(netns_hosts_of $A)\" == $X ]" 30 0.2

# ---- moveip
Z=${others[0]}
check "moveip $A $Z" h_ctdb n0 moveip "$A" "$Z"
check_consistent "after moveip: consistent"
assert_eq "after moveip: $A is on node $Z's eth1 only" "$Z" "$(netns_hosts_of "$A")"
check "ipreallocate" h_ctdb n0 ipreallocate
check_consistent "after ipreallocate: consistent"

# ---- disable / enable, stop / continue
for pair in "disable enable" "stop continue"; do
  set -- $pair
  check "ctdb -n 1 $1" h_ctdb n0 -n 1 "$1"
  check_consistent "node 1 after $1: consistent"
  assert_eq "node 1 after $1: no address on its eth1" "" "$(netns_addrs 1)"
  check "ctdb -n 1 $2" h_ctdb n0 -n 1 "$2"
  h_wait_converged "node 1 after $2: all OK" 60 n0 n1 n2 -- OK OK OK
  check_consistent "node 1 after $2: consistent"
  check "node 1 after $2: hosts addresses again" wait_for "[ -n \"\$(netns_addrs 1)\" ]" 30 0.2
done

# ---- an unhealthy node loses its addresses, and gets them back once healthy
touch "$H_TMP/n2/unhealthy"
check "node 2 becomes UNHEALTHY" wait_for '[ "$(h_node_flags n0 2)" == UNHEALTHY ]' 40 0.2
check "unhealthy node 2: no address on its eth1" wait_for '[ -z "$(netns_addrs 2)" ]' 30 0.2
check_consistent "unhealthy node 2: consistent"
rm -f "$H_TMP/n2/unhealthy"
check "node 2 is OK again" wait_for '[ "$(h_node_flags n0 2)" == OK ]' 40 0.2
check "healthy node 2 hosts addresses again" wait_for '[ -n "$(netns_addrs 2)" ]' 30 0.2
check_consistent "healthy node 2: consistent"

# ---- a pulled public cable: 10.interface's monitor sees the link down, the node is
# UNHEALTHY and its addresses move; cable back in, all back.
netns_public_link 1 down
check "node 1's public link down: UNHEALTHY" wait_for '[ "$(h_node_flags n0 1)" == UNHEALTHY ]' 40 0.2
check "node 1's link down: ctdb ifaces shows eth1 down" \
  wait_for "h_ctdb n1 ifaces | grep -q '^name:eth1 link:down'" 20 0.2
check "node 1's link down: its addresses are on the other nodes" \
  wait_for '[ -z "$(owned_by 1)" ] && [ -z "$(netns_addrs 1)" ]' 30 0.2
netns_public_link 1 up
check "node 1's link up: OK again" wait_for '[ "$(h_node_flags n0 1)" == OK ]' 40 0.2
check_consistent "node 1's link up: consistent"

# ---- the host and the plan disagree (no test mode: every node checks its interfaces): an
# address taken off its host's eth1 by hand comes back.
L=$(owned_by 0 | head -n 1)
ip -n "${NS_NODE[0]}" addr del "$L/24" dev eth1
check "an address deleted by hand ($L on node 0) is back where ctdb ip says" \
  wait_for "[ -n \"\$(netns_hosts_of $L)\" ] && [ \"\$(netns_hosts_of $L)\" == \"\$(netns_ip_owner $L)\" ]" 30 0.2
check_consistent "after the manual delete: consistent"
# ... and an address added by hand to a node that should not host it is taken off again.
S=$(owned_by 0 | head -n 1)
ip -n "${NS_NODE[2]}" addr add "$S/24" dev eth1
if wait_for "[ \"\$(netns_hosts_of $S)\" == 0 ]" 30 0.2; then
  pass "an address added by hand ($S on node 2, hosted by node 0) leaves node 2"
else
  fail "an address added by hand ($S on node 2, hosted by node 0) leaves node 2" \
    "on the interfaces of '$(netns_hosts_of "$S")'; node 2's ctdb ip all: $(h_ctdb n2 ip all | tr '\n' ';')"
fi
check_consistent "after the stray address: consistent"

# ---- addip / delip on every node
NEW=$NS_PUB_NET.110
for i in 0 1 2; do check "addip $NEW/24 eth1 on node $i" h_ctdb n0 -n "$i" addip "$NEW/24" eth1; done
check "ipreallocate after addip" h_ctdb n0 ipreallocate
check_consistent "after addip: the new address is on exactly one node" "$NEW"
for i in 0 1 2; do check "delip $NEW on node $i" h_ctdb n0 -n "$i" delip "$NEW"; done
check "ipreallocate after delip" h_ctdb n0 ipreallocate
check "after delip: the address is on no node's eth1" wait_for "[ -z \"\$(netns_hosts_of $NEW)\" ]" 30 0.2
assert_eq "after delip: ctdb ip no longer lists it" "" "$(netns_ip_owner "$NEW")"

# ---- IPv6: an address added at run time is on exactly one node's eth1 (past duplicate address
# detection) and the client reaches it; after moveip the client's neighbour entry names the new
# host without the client asking (unsolicited neighbour advertisement), and it still answers.
V6=fd00:212::110
ip -n "$NS_CLIENT" addr add fd00:212::250/64 dev eth1 nodad
# v6_hosts: the nodes (pnn) that have $V6 on eth1, each followed by a space.
v6_hosts() {
  local i
  for i in 0 1 2; do
    ip -n "${NS_NODE[$i]}" -6 -o addr show dev eth1 scope global | grep -q " $V6/64 " &&
      printf '%s ' "$i"
  done
}
for i in 0 1 2; do check "addip $V6/64 eth1 on node $i" h_ctdb n0 -n "$i" addip "$V6/64" eth1; done
check "ipreallocate after addip of $V6" h_ctdb n0 ipreallocate
check "$V6 is on exactly one node's eth1, the one ctdb ip names" \
  wait_for '[ -n "$(netns_ip_owner $V6)" ] && [ "$(v6_hosts)" == "$(netns_ip_owner $V6) " ]' 30 0.2
H6=$(netns_ip_owner "$V6")
check "$V6 on node $H6 is past duplicate address detection" \
  wait_for "! ip -n ${NS_NODE[$H6]} -6 -o addr show dev eth1 | grep ' $V6/64 ' | grep -q tentative" \
  10 0.2
check "the client reaches $V6 (node $H6)" \
  wait_for "ip netns exec $NS_CLIENT ping -6 -n -c 1 -W 1 $V6 >/dev/null" 15 0.2
T6=$(((H6 + 1) % 3))
check "moveip $V6 $T6" h_ctdb n0 moveip "$V6" "$T6"
check "$V6 is on node $T6's eth1 only" wait_for "[ \"\$(v6_hosts)\" == '$T6 ' ]" 30 0.2
check "the client's neighbour entry for $V6 names node $T6 (unsolicited NA, nothing sent)" \
  wait_for "ip -n $NS_CLIENT -6 neigh show $V6 dev eth1 | grep -q '$(netns_mac "$T6")'" 10 0.2
check "the client reaches $V6 on node $T6" \
  wait_for "ip netns exec $NS_CLIENT ping -6 -n -c 1 -W 1 $V6 >/dev/null" 15 0.2
for i in 0 1 2; do check "delip $V6 on node $i" h_ctdb n0 -n "$i" delip "$V6"; done
check "ipreallocate after delip of $V6" h_ctdb n0 ipreallocate
check "after delip: $V6 is on no node's eth1" wait_for '[ -z "$(v6_hosts)" ]' 30 0.2

# ---- NoIPFailback (with LCP2; the deterministic algorithm ignores it, as 4.17's): a node that
# comes back gets nothing back by itself, moveip still gives it an address.
for i in 0 1 2; do
  check "node $i: DeterministicIPs=0, NoIPFailback=1" \
    eval "h_ctdb n$i setvar DeterministicIPs 0 && h_ctdb n$i setvar NoIPFailback 1"
done
check "NoIPFailback: ctdb -n 1 disable" h_ctdb n0 -n 1 disable
assert_eq "NoIPFailback: node 1 disabled hosts nothing" "" "$(netns_addrs 1)"
check "NoIPFailback: ctdb -n 1 enable" h_ctdb n0 -n 1 enable
check "NoIPFailback: ipreallocate" h_ctdb n0 ipreallocate
check_consistent "NoIPFailback: node 1 enabled: consistent"
assert_eq "NoIPFailback: node 1 enabled gets nothing back" "" "$(owned_by 1)"
assert_eq "NoIPFailback: nothing on node 1's eth1" "" "$(netns_addrs 1)"
B=$(owned_by 0 | head -n 1)
check "NoIPFailback: moveip $B 1" h_ctdb n0 moveip "$B" 1
check_consistent "NoIPFailback: after moveip: consistent"
assert_eq "NoIPFailback: after moveip: $B is on node 1's eth1 only" 1 "$(netns_hosts_of "$B")"

h_finish
