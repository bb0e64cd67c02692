#!/bin/bash
# Tests events.d/11.natgw: the NAT gateway. The leader gets the NAT-GW address,
# a default (or static) route and its firewall (nftables table, or iptables
# rules without nft); followers route through the leader's private address.
#
# ctdb is a stub answering "pnn", "natgw leader" and "-X nodestatus" from
# files (node, leader); nft keeps what it was fed with "-f -" in $NFT_INPUT;
# iptables -C says the rule is absent; ip does nothing unless a case says so.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/11.natgw"
NODES="$TEST_TMP/natgw_nodes"
STATE="$CTDB_SCRIPT_VARDIR/11.natgw/state"
NFT_INPUT="$TEST_TMP/nft.input"
PUBADDRS="$TEST_TMP/public_addresses"
export CTDB_SYS_CLASS_NET="$TEST_TMP/sys/class/net"
export CTDB_PUBLIC_ADDRESSES="$PUBADDRS"

printf '%s\n' "# NAT gateway group" 192.168.1.21 192.168.1.22 \
  "192.168.1.23	follower-only" 192.168.1.24 >"$NODES"

CTDB_STUB='case "$*" in
  pnn) read -r pnn _ <"$STUB_STATE/node"; echo "$pnn" ;;
  "natgw leader")
    echo "$CTDB_NATGW_NODES" >"$STUB_STATE/nodes_seen"
    cat "$STUB_STATE/leader"
    exit "$(cat "$STUB_STATE/leader_rc")" ;;
  "-X nodestatus")
    read -r pnn ip rc <"$STUB_STATE/node"
    [ -n "$ip" ] && printf "|Node|IP|Disconnected|Unknown|Banned|Disabled|Unhealthy|Stopped|Inactive|PartiallyOnline|ThisNode|\n|%s|%s|0|0|0|0|0|0|0|0|Y|\n" "$pnn" "$ip"
    [ -z "$ip" ] && echo "connect() failed, errno=2" >&2
    exit "${rc:-0}" ;;
  "gratarp "*) ;;
  *) echo "ctdb stub: unexpected arguments: $*" >&2; exit 64 ;;
esac'
stub ctdb "$CTDB_STUB"
# The same behind another name, for $CTDB.
stub myctdb "$CTDB_STUB"
# node PNN [ADDRESS [NODESTATUS_RC]]: this node, for "ctdb pnn" and "-X nodestatus".
node() { echo "$*" >"$STUB_STATE/node"; }
# leader OUTPUT [RC]: what "ctdb natgw leader" prints and its exit code.
leader() { printf '%s' "${1:+$1$'\n'}" >"$STUB_STATE/leader"; echo "${2:-0}" >"$STUB_STATE/leader_rc"; }
nft_stub() { stub nft '[ "$*" = "-f -" ] && cat >>"$NFT_INPUT"'"${1:+; $1}"; }
iptables_stub() { stub iptables 'case "$1 $2 $3" in *-C*) exit 1 ;; esac'"${1:+; $1}"; }
export NFT_INPUT
stub ip
nft_stub
iptables_stub

# A case: empty call log, no state, the fake /proc and /sys of a node.
fresh() {
  new_case
  rm -rf "$CTDB_SCRIPT_VARDIR" "$CTDB_SYS_CLASS_NET" "$NFT_INPUT" "$PUBADDRS"
  mkdir -p "$CTDB_PROC_DIR/sys/net/ipv4/conf/all" "$CTDB_PROC_DIR/sys/net/ipv4/route" \
    "$CTDB_SYS_CLASS_NET/eth1"
  echo 0 >"$CTDB_PROC_DIR/sys/net/ipv4/ip_forward"
  echo 0 >"$CTDB_PROC_DIR/sys/net/ipv4/conf/all/arp_announce"
  : >"$CTDB_PROC_DIR/sys/net/ipv4/route/flush"
  echo up >"$CTDB_SYS_CLASS_NET/eth1/operstate"
  node 0 192.168.1.21
  leader "0 192.168.1.21"
}
# next: the following event of the same case.
next() { : >"$STUB_LOG"; rm -f "$NFT_INPUT" "$TEST_TMP/log.ctdb"; }

CONFIG=(CTDB_NATGW_PUBLIC_IP=10.1.1.121/24 CTDB_NATGW_PUBLIC_IFACE=eth1
  CTDB_NATGW_DEFAULT_GATEWAY=10.1.1.254 CTDB_NATGW_PRIVATE_NETWORK=192.168.1.0/24
  "CTDB_NATGW_NODES=$NODES")
# Without the public address (for follower-only nodes).
FOLLOWER_CONFIG=(CTDB_NATGW_PRIVATE_NETWORK=192.168.1.0/24 "CTDB_NATGW_NODES=$NODES")

has() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
no_state() { [ ! -e "$STATE" ]; }
state_complete() { [ "$(tail -n 1 "$STATE" 2>/dev/null)" = "set_complete=yes" ]; }
logged() { grep -qF -- "$1" "$TEST_TMP/log.ctdb" 2>/dev/null; }
not_logged() { [ ! -s "$TEST_TMP/log.ctdb" ]; }
forwarding_on() { has "$CTDB_PROC_DIR/sys/net/ipv4/ip_forward" 1; }
route_cache_flushed() { has "$CTDB_PROC_DIR/sys/net/ipv4/route/flush" 1; }

NFT_TABLE="table ip ctdb_natgw
delete table ip ctdb_natgw
table ip ctdb_natgw {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 192.168.1.0/24 ip daddr != 192.168.1.0/24 masquerade
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ip daddr 10.1.1.121 tcp flags & (fin | syn | rst | ack) == syn reject
	}
}"
ASK="ctdb natgw leader
ctdb pnn"
ADDR_ADD="ip link set eth1 up
ip -o addr show to 10.1.1.121/32
ip addr add 10.1.1.121/24 brd + dev eth1"
ADDR_DEL="ip -o -4 addr show dev eth1
ip addr del 10.1.1.121/24 dev eth1"
MASQ="-s 192.168.1.0/24 ! -d 192.168.1.0/24 -j MASQUERADE"
REJECT="-p tcp --syn -d 10.1.1.121/32 -j REJECT"
GRATARP="ctdb gratarp 10.1.1.121 eth1"
LEAD_NFT="nft -f -
$ADDR_ADD
ip route add 0.0.0.0/0 via 10.1.1.254 metric 10
$GRATARP"
CLEAR_LEAD_NFT="ip route del 0.0.0.0/0 via 10.1.1.254 metric 10
nft delete table ip ctdb_natgw
$ADDR_DEL"
LEAD_IPTABLES="iptables -t nat -C POSTROUTING $MASQ
iptables -t nat -A POSTROUTING $MASQ
iptables -C INPUT $REJECT
iptables -I INPUT $REJECT
$ADDR_ADD
ip route add 0.0.0.0/0 via 10.1.1.254 metric 10
$GRATARP"
CLEAR_LEAD_IPTABLES="ip route del 0.0.0.0/0 via 10.1.1.254 metric 10
iptables -t nat -D POSTROUTING $MASQ
iptables -D INPUT $REJECT
$ADDR_DEL"
FOLLOW="ip route add 0.0.0.0/0 via 192.168.1.22 metric 10"
CLEAR_FOLLOW="ip route del 0.0.0.0/0 via 192.168.1.22 metric 10"

# --- not configured ----------------------------------------------------------------------
fresh
check_quiet_events "$script" "not configured, every event is a no-op" "${ALL_EVENTS[@]}" \
  updatenatgw removenatgw
sysconfig CTDB_NATGW_PUBLIC_IP=10.1.1.121/24 CTDB_NATGW_PUBLIC_IFACE=eth1 "CTDB_NATGW_NODES=$NODES"
check_quiet_events "$script" "CTDB_NATGW_PRIVATE_NETWORK unset (the switch), every event is a no-op" \
  "${ALL_EVENTS[@]}" updatenatgw removenatgw
check_true "not configured: no state directory made" [ ! -e "$CTDB_SCRIPT_VARDIR/11.natgw" ]

# A set-up left from when NAT-GW was configured is removed at the next event.
for ev in monitor ipreallocated shutdown removenatgw setup; do
  fresh
  sysconfig "${CONFIG[@]}"
  run "$script" ipreallocated
  next
  sysconfig CTDB_NATGW_PUBLIC_IP=10.1.1.121/24 CTDB_NATGW_PUBLIC_IFACE=eth1
  run "$script" "$ev"
  check "configuration removed, set-up still recorded: $ev removes it" 0 "" "$CLEAR_LEAD_NFT"
  check_true "configuration removed: $ev logs it" logged \
    "11.natgw: NAT gateway no longer configured (CTDB_NATGW_PRIVATE_NETWORK is not set): removed what it had set up"
  check_true "configuration removed: $ev drops the state" no_state
done
check_quiet_events "$script" "configuration removed and cleared: quiet again" "${ALL_EVENTS[@]}"
fresh
sysconfig "${CONFIG[@]}"
run "$script" ipreallocated
next
sysconfig
check_quiet_events "$script" "configuration removed, set-up recorded: other events leave it" \
  init startrecovery recovered "takeip eth0 10.0.0.1 24"
check_true "configuration removed: the record stays until a handled event" state_complete

# --- configuration errors -------------------------------------------------------------------
bad_config() {
  local desc="$1" want="$2" calls="${3:-}" ev
  for ev in setup startup monitor ipreallocated updatenatgw; do
    next
    run "$script" "$ev"
    check "$desc ($ev)" 1 "$want" "$calls"
  done
}
fresh
sysconfig "${CONFIG[@]}" CTDB_NATGW_PRIVATE_NETWORK=192.168.1.0
bad_config "private network without mask bits" \
  "ERROR: CTDB_NATGW_PRIVATE_NETWORK='192.168.1.0' is not an IPv4 NETWORK/MASKBITS"
sysconfig "${CONFIG[@]}" CTDB_NATGW_PRIVATE_NETWORK=fd00::/64
bad_config "IPv6 private network" \
  "ERROR: CTDB_NATGW_PRIVATE_NETWORK='fd00::/64' is not an IPv4 NETWORK/MASKBITS"
sysconfig "${CONFIG[@]}" "CTDB_NATGW_NODES=$TEST_TMP/missing"
bad_config "nodes file missing" \
  "ERROR: NAT gateway nodes file $TEST_TMP/missing (CTDB_NATGW_NODES) is not readable"
sysconfig "${CONFIG[@]}" "CTDB_NATGW_NODES=$TEST_TMP"
bad_config "nodes file is a directory" \
  "ERROR: NAT gateway nodes file $TEST_TMP (CTDB_NATGW_NODES) is not readable"
sysconfig "${CONFIG[@]}" CTDB_NATGW_SLAVE_ONLY=maybe
bad_config "invalid CTDB_NATGW_SLAVE_ONLY" "ERROR: CTDB_NATGW_SLAVE_ONLY='maybe' is not a yes/no value"
sysconfig "${CONFIG[@]}" CTDB_NATGW_PUBLIC_IFACE=
bad_config "public IP without interface" \
  "ERROR: CTDB_NATGW_PUBLIC_IP is set but CTDB_NATGW_PUBLIC_IFACE is not"
sysconfig "${CONFIG[@]}" CTDB_NATGW_PUBLIC_IP=
bad_config "interface without public IP" \
  "ERROR: CTDB_NATGW_PUBLIC_IFACE is set but CTDB_NATGW_PUBLIC_IP is not"
sysconfig "${CONFIG[@]}" CTDB_NATGW_PUBLIC_IFACE=eth1 CTDB_NATGW_PUBLIC_IP= CTDB_NATGW_SLAVE_ONLY=yes
bad_config "interface without public IP, even follower-only" \
  "ERROR: CTDB_NATGW_PUBLIC_IFACE is set but CTDB_NATGW_PUBLIC_IP is not"
for bad in 10.1.1.121 10.1.1.300/24 10.1.1.121/33 10.1.1.121/ 2001:db8::5/64 10.1.1.121/24/1; do
  sysconfig "${CONFIG[@]}" "CTDB_NATGW_PUBLIC_IP=$bad"
  bad_config "public IP $bad" "ERROR: CTDB_NATGW_PUBLIC_IP='$bad' is not an IPv4 ADDRESS/MASKBITS"
done
for bad in eth/1 averyverylongname ..; do
  sysconfig "${CONFIG[@]}" "CTDB_NATGW_PUBLIC_IFACE=$bad"
  bad_config "interface name $bad" "ERROR: CTDB_NATGW_PUBLIC_IFACE='$bad' is not a valid interface name"
done
sysconfig "${CONFIG[@]}" CTDB_NATGW_DEFAULT_GATEWAY=router.example.com
bad_config "default gateway not an address" \
  "ERROR: CTDB_NATGW_DEFAULT_GATEWAY='router.example.com' is not an IPv4 address"
for bad in 10.2.0.0 10.2.0.0/16@ 10.2.0.0/16@gw 10.2.0.0/16@10.1.1.1@10.1.1.2 '*' default; do
  sysconfig "${CONFIG[@]}" "CTDB_NATGW_STATIC_ROUTES='10.3.0.0/16 $bad'"
  bad_config "static route $bad" \
    "ERROR: CTDB_NATGW_STATIC_ROUTES: '$bad' is not NETWORK/MASKBITS or NETWORK/MASKBITS@GATEWAY (IPv4)"
done
# Neither public IP nor interface: only a follower-only node may do without.
sysconfig "${FOLLOWER_CONFIG[@]}"
node 3 192.168.1.24
bad_config "no public IP on a node that can lead (4.17's rule)" \
  "ERROR: CTDB_NATGW_PUBLIC_IP and CTDB_NATGW_PUBLIC_IFACE are not set, but this node (192.168.1.24) can become the NAT gateway: set them, or mark the node follower-only in $NODES" \
  "ctdb -X nodestatus"
node 3
bad_config "no public IP, node address unknown" \
  "ERROR: cannot find this node's address with 'ctdb -X nodestatus': connect() failed, errno=2" \
  "ctdb -X nodestatus"
next
run env CTDB=myctdb "$script" monitor
check "\$CTDB names the tool" 1 \
  "ERROR: cannot find this node's address with 'myctdb -X nodestatus': connect() failed, errno=2" \
  "myctdb -X nodestatus"
sysconfig "${CONFIG[@]}" CTDB_NATGW_PUBLIC_IP=10.1.1.121
next
run "$script" shutdown
check "shutdown needs no valid configuration" 0 "" ""
run "$script" removenatgw
check "removenatgw needs no valid configuration" 0 "" ""

fresh
sysconfig "${CONFIG[@]}"
printf '%s\n' "10.0.0.1/24 eth0" "10.1.1.121/24 eth1" >"$PUBADDRS"
run "$script" startup
check "startup: the NAT-GW address must not be a public address" 1 \
  "ERROR: CTDB_NATGW_PUBLIC_IP address 10.1.1.121 is also a public address in $PUBADDRS" ""

# --- setup and startup ------------------------------------------------------------------------
fresh
sysconfig "${CONFIG[@]}"
printf '%s\n' "10.0.0.1/24 eth0" "10.1.1.12/24 eth1" >"$PUBADDRS"
run "$script" setup
check "setup: a valid configuration, nothing recorded" 0 "" ""
run "$script" startup
check "startup: valid configuration" 0 "" ""
check_true "startup: arp_announce=2" has "$CTDB_PROC_DIR/sys/net/ipv4/conf/all/arp_announce" 2
check_true "startup: nothing set up yet" no_state
check_quiet_events "$script" "configured, event not handled" init startrecovery recovered \
  "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24" "updateip eth0 eth1 10.0.0.1 24"

fresh
sysconfig "${CONFIG[@]}"
run "$script" ipreallocated
next
run "$script" setup
check "setup: a set-up left by an earlier daemon is removed" 0 "" "$CLEAR_LEAD_NFT"
check_true "setup: leftover removal logged" logged "removed the NAT gateway set-up left by an earlier run"
check_true "setup: record dropped" no_state

# --- leader, nftables ----------------------------------------------------------------------
fresh
sysconfig "${CONFIG[@]}"
run "$script" ipreallocated
check "leader (nft): firewall table, address, default route with metric 10" 0 "" "$ASK
$LEAD_NFT"
check_true "leader (nft): the table script fed to nft -f -" has "$NFT_INPUT" "$NFT_TABLE"
check_true "leader: IP forwarding switched on" forwarding_on
check_true "leader: route cache flushed" route_cache_flushed
check_true "leader: recorded complete" state_complete
check_true "leader: the tool is told the nodes file" has "$STUB_STATE/nodes_seen" "$NODES"
check_true "leader: nothing logged" not_logged

next
run "$script" ipreallocated
check "leader, same leader and configuration: nothing changed (as 4.17)" 0 "" "$ASK"

next
run "$script" updatenatgw
check "updatenatgw: set up anew even when nothing changed" 0 "" "$ASK
$CLEAR_LEAD_NFT
$LEAD_NFT"
check_true "updatenatgw: the same table again" has "$NFT_INPUT" "$NFT_TABLE"

next
run "$script" monitor
check "monitor, unchanged configuration, link up: nothing to do" 0 "" ""

next
echo down >"$CTDB_SYS_CLASS_NET/eth1/operstate"
run "$script" monitor
check "monitor: the NAT-GW interface without link makes the node unhealthy (4.17)" 1 \
  "ERROR: public network interface eth1 is down (CTDB_NATGW_PUBLIC_IFACE)" ""
rm -r "$CTDB_SYS_CLASS_NET/eth1"
next
run "$script" monitor
check "monitor: the NAT-GW interface missing" 1 \
  "ERROR: public network interface eth1 does not exist (CTDB_NATGW_PUBLIC_IFACE)" ""

next
run "$script" shutdown
check "shutdown: removes route, table and address" 0 "" "$CLEAR_LEAD_NFT"
check_true "shutdown: record dropped" no_state
next
run "$script" shutdown
check "shutdown again: nothing recorded, nothing to do" 0 "" ""

# --- leader, iptables ------------------------------------------------------------------------
fresh
unstub nft
sysconfig "${CONFIG[@]}"
run "$script" ipreallocated
check "leader (no nft): the two iptables rules of 4.17, address, route" 0 "" "$ASK
$LEAD_IPTABLES"
check_true "leader (iptables): IP forwarding on" forwarding_on
next
run "$script" removenatgw
check "removenatgw (iptables): exactly those rules, route and address removed" 0 "" \
  "$CLEAR_LEAD_IPTABLES"
check_true "removenatgw: record dropped" no_state

fresh
unstub nft
stub iptables
sysconfig "${CONFIG[@]}"
run "$script" ipreallocated
check "leader (iptables): rules already there are not added twice" 0 "" "$ASK
iptables -t nat -C POSTROUTING $MASQ
iptables -C INPUT $REJECT
$ADDR_ADD
ip route add 0.0.0.0/0 via 10.1.1.254 metric 10
$GRATARP"
iptables_stub

fresh
sysconfig "${CONFIG[@]}"
run "$script" ipreallocated
next
nft_stub
run "$script" shutdown
check "nft installed since the set-up: the recorded iptables rules are removed" 0 "" \
  "$CLEAR_LEAD_IPTABLES"

fresh
unstub nft
unstub iptables
sysconfig "${CONFIG[@]}"
run "$script" ipreallocated
check "leader without nft and iptables" 1 \
  "ERROR: this node is the NAT gateway, but neither nft nor iptables is installed" "$ASK"
check_true "no firewall tool: nothing recorded" no_state
nft_stub
iptables_stub

# --- followers and leader changes -------------------------------------------------------------
fresh
sysconfig "${CONFIG[@]}"
node 1 192.168.1.22
leader "0 192.168.1.21"
run "$script" ipreallocated
check "follower: default route with metric 10 via the leader's private address" 0 "" \
  "$ASK
ip route add 0.0.0.0/0 via 192.168.1.21 metric 10"
check_true "follower: IP forwarding left alone" has "$CTDB_PROC_DIR/sys/net/ipv4/ip_forward" 0
check_true "follower: recorded complete" state_complete

fresh
sysconfig "${CONFIG[@]}"
run "$script" ipreallocated
next
leader "1 192.168.1.22"
run "$script" ipreallocated
check "leader change: leader set-up removed, then follower of the new leader" 0 "" "$ASK
$CLEAR_LEAD_NFT
$FOLLOW"
next
run "$script" ipreallocated
check "follower, same leader: nothing changed" 0 "" "$ASK"
next
leader "0 192.168.1.21"
run "$script" ipreallocated
check "leader again: follower route removed, leader set up" 0 "" "$ASK
$CLEAR_FOLLOW
$LEAD_NFT"
next
leader "3 192.168.1.24"
run "$script" ipreallocated
next
run "$script" removenatgw
check "removenatgw as follower: the route via the leader it had" 0 "" \
  "ip route del 0.0.0.0/0 via 192.168.1.24 metric 10"

# --- no leader -------------------------------------------------------------------------------
fresh
sysconfig "${CONFIG[@]}"
leader "1 192.168.1.22"
run "$script" ipreallocated
next
leader "" 2
run "$script" ipreallocated
check "no leader (tool fails silently): error, current set-up kept (4.17)" 1 \
  "ERROR: there is no NAT gateway leader node" "ctdb natgw leader"
check_true "no leader: the follower set-up is still recorded" state_complete
next
leader "ctdb natgw: NAT gateway nodes file \"$NODES\" not found" 1
run "$script" updatenatgw
check "no leader (tool fails with a message)" 1 \
  "ERROR: there is no NAT gateway leader node: ctdb natgw: NAT gateway nodes file \"$NODES\" not found" \
  "ctdb natgw leader"
next
leader "-1 0.0.0.0"
run "$script" ipreallocated
check "no leader in the seed-era form -1 0.0.0.0" 1 "ERROR: there is no NAT gateway leader node" \
  "ctdb natgw leader"
for garbage in "0" "-2 0.0.0.0" "x 192.168.1.21" "0 192.168.1.21 extra"; do
  next
  leader "$garbage"
  run "$script" ipreallocated
  check "leader output '$garbage' rejected" 1 "ERROR: unexpected output from 'ctdb natgw leader': $garbage" \
    "ctdb natgw leader"
done
next
leader "0 192.168.1.21"
stub ctdb 'case "$*" in "natgw leader") echo "0 192.168.1.21" ;; pnn) echo "connect() failed" >&2; exit 1 ;; esac'
run "$script" ipreallocated
check "ctdb pnn failing" 1 "ERROR: 'ctdb pnn' failed: connect() failed" "$ASK"
check_true "ctdb pnn failing: follower set-up still recorded" state_complete
stub ctdb "$CTDB_STUB"
next
leader "2 192.168.1.23"
run env CTDB=myctdb "$script" ipreallocated
check "\$CTDB is the tool asked for the leader and the PNN" 0 "" "myctdb natgw leader
myctdb pnn
$CLEAR_FOLLOW
ip route add 0.0.0.0/0 via 192.168.1.23 metric 10"

# --- a failing step undoes the rest -------------------------------------------------------------
fresh
sysconfig "${CONFIG[@]}"
nft_stub 'echo "Error: Could not process rule: No such file or directory" >&2; exit 1'
run "$script" ipreallocated
check "nft -f failing: error, what was done is undone" 1 \
  "ERROR: failed to create the nftables table ip ctdb_natgw for the NAT gateway: Error: Could not process rule: No such file or directory" \
  "$ASK
nft -f -
$CLEAR_LEAD_NFT"
check_true "nft -f failing: nothing recorded" no_state
nft_stub

fresh
sysconfig "${CONFIG[@]}"
stub ip '[ "$1 $2" = "addr add" ] && { echo "RTNETLINK answers: Permission denied" >&2; exit 2; }'
run "$script" ipreallocated
check "address add failing" 1 \
  "ERROR: failed to add public address 10.1.1.121/24 to interface eth1: RTNETLINK answers: Permission denied" \
  "$ASK
nft -f -
$ADDR_ADD
$CLEAR_LEAD_NFT"
check_true "address add failing: nothing recorded" no_state

fresh
sysconfig "${CONFIG[@]}"
stub ip '[ "$1 $2" = "route add" ] && { echo "Error: Nexthop has invalid gateway." >&2; exit 2; }'
run "$script" ipreallocated
check "leader route add failing" 1 \
  "ERROR: failed to add NAT gateway route to 0.0.0.0/0 via 10.1.1.254: Error: Nexthop has invalid gateway." \
  "$ASK
${LEAD_NFT%$'\n'"$GRATARP"}
$CLEAR_LEAD_NFT"
next
leader "1 192.168.1.22"
stub ip '[ "$1 $2" = "route add" ] && { echo "RTNETLINK answers: File exists" >&2; exit 2; }'
run "$script" ipreallocated
check "follower route add failing" 1 \
  "ERROR: failed to add NAT gateway route to 0.0.0.0/0 via 192.168.1.22: RTNETLINK answers: File exists" \
  "$ASK
$FOLLOW
$CLEAR_FOLLOW"
check_true "follower route add failing: nothing recorded" no_state
stub ip '[ "$1 $2" = "route add" ] && [ "$3" = 10.3.0.0/16 ] && { echo "RTNETLINK answers: File exists" >&2; exit 2; }'
sysconfig "${CONFIG[@]}" "CTDB_NATGW_STATIC_ROUTES='10.2.0.0/16 10.3.0.0/16 10.4.0.0/16'"
next
run "$script" ipreallocated
check "second route failing: the first is removed again, the third never tried" 1 \
  "ERROR: failed to add NAT gateway route to 10.3.0.0/16 via 192.168.1.22: RTNETLINK answers: File exists" \
  "$ASK
ip route add 10.2.0.0/16 via 192.168.1.22 metric 10
ip route add 10.3.0.0/16 via 192.168.1.22 metric 10
ip route del 10.2.0.0/16 via 192.168.1.22 metric 10
ip route del 10.3.0.0/16 via 192.168.1.22 metric 10
ip route del 10.4.0.0/16 via 192.168.1.22 metric 10"
stub ip

fresh
unstub nft
sysconfig "${CONFIG[@]}"
iptables_stub '[ "$1 $2" = "-I INPUT" ] && { echo "iptables: No chain/target/match by that name." >&2; exit 1; }'
run "$script" ipreallocated
check "iptables rule failing" 1 \
  "ERROR: failed to add the NAT gateway's iptables rule rejecting connections to 10.1.1.121: iptables: No chain/target/match by that name." \
  "$ASK
iptables -t nat -C POSTROUTING $MASQ
iptables -t nat -A POSTROUTING $MASQ
iptables -C INPUT $REJECT
iptables -I INPUT $REJECT
$CLEAR_LEAD_IPTABLES"
iptables_stub '[ "$3" = "-A" ] && { echo "iptables v1.8.9 (nf_tables): CHAIN_ADD failed" >&2; exit 4; }'
next
run "$script" ipreallocated
check "iptables MASQUERADE rule failing" 1 \
  "ERROR: failed to add the NAT gateway's iptables MASQUERADE rule for 192.168.1.0/24: iptables v1.8.9 (nf_tables): CHAIN_ADD failed" \
  "$ASK
iptables -t nat -C POSTROUTING $MASQ
iptables -t nat -A POSTROUTING $MASQ
$CLEAR_LEAD_IPTABLES"
iptables_stub
nft_stub

fresh
sysconfig "${CONFIG[@]}"
touch "$TEST_TMP/vardir-file"
run env CTDB_SCRIPT_VARDIR="$TEST_TMP/vardir-file" "$script" ipreallocated
check "state file cannot be written: nothing set up" 1 \
  "ERROR: cannot write the NAT gateway state file $TEST_TMP/vardir-file/11.natgw/state" "$ASK"
rm "$TEST_TMP/vardir-file"

# --- configuration changes ----------------------------------------------------------------------
NEW_CONFIG=(CTDB_NATGW_PUBLIC_IP=10.5.5.5/16 CTDB_NATGW_PUBLIC_IFACE=eth2
  CTDB_NATGW_DEFAULT_GATEWAY=10.5.0.1 CTDB_NATGW_PRIVATE_NETWORK=192.168.0.0/16
  "CTDB_NATGW_NODES=$NODES")
LEAD_NEW="nft -f -
ip link set eth2 up
ip -o addr show to 10.5.5.5/32
ip addr add 10.5.5.5/16 brd + dev eth2
ip route add 0.0.0.0/0 via 10.5.0.1 metric 10
ctdb gratarp 10.5.5.5 eth2"
NFT_NEW="${NFT_TABLE//192.168.1.0\/24/192.168.0.0/16}"
NFT_NEW="${NFT_NEW//10.1.1.121/10.5.5.5}"

# The seed's procedure: removenatgw, change the configuration, updatenatgw.
fresh
sysconfig "${CONFIG[@]}"
run "$script" ipreallocated
next
sysconfig "${NEW_CONFIG[@]}"
run "$script" removenatgw
check "removenatgw after the configuration changed: the old set-up is removed" 0 "" "$CLEAR_LEAD_NFT"
next
run "$script" updatenatgw
check "updatenatgw: the new configuration is set up" 0 "" "$ASK
$LEAD_NEW"
check_true "updatenatgw: the new table" has "$NFT_INPUT" "$NFT_NEW"
check_true "updatenatgw after removenatgw: no change to report" not_logged
next
run "$script" shutdown
check "shutdown: the new set-up removed" 0 "" "ip route del 0.0.0.0/0 via 10.5.0.1 metric 10
nft delete table ip ctdb_natgw
ip -o -4 addr show dev eth2
ip addr del 10.5.5.5/16 dev eth2"

# Without removenatgw first: the old set-up is still removed as it was made.
for ev in updatenatgw ipreallocated monitor; do
  fresh
  sysconfig "${CONFIG[@]}"
  run "$script" ipreallocated
  next
  sysconfig "${NEW_CONFIG[@]}"
  mkdir -p "$CTDB_SYS_CLASS_NET/eth2"
  echo up >"$CTDB_SYS_CLASS_NET/eth2/operstate"
  run "$script" "$ev"
  check "$ev after a configuration change: old set-up removed, new one made" 0 "" "$ASK
$CLEAR_LEAD_NFT
$LEAD_NEW"
  check_true "$ev after a configuration change: logged" logged "11.natgw: NAT gateway configuration has changed"
  check_true "$ev after a configuration change: new table" has "$NFT_INPUT" "$NFT_NEW"
  check_true "$ev after a configuration change: recorded complete" state_complete
done
next
run "$script" monitor
check "monitor after the change was applied: nothing to do" 0 "" ""

fresh
sysconfig "${CONFIG[@]}"
node 1 192.168.1.22
run "$script" ipreallocated
next
sysconfig "${CONFIG[@]}" CTDB_NATGW_DEFAULT_GATEWAY=10.1.1.253
run "$script" monitor
check "monitor, follower, gateway changed: set up again with the current leader" 0 "" "$ASK
ip route del 0.0.0.0/0 via 192.168.1.21 metric 10
ip route add 0.0.0.0/0 via 192.168.1.21 metric 10"
next
leader "" 2
sysconfig "${CONFIG[@]}"
run "$script" monitor
check "monitor, configuration changed but no leader: error, set-up kept" 1 \
  "ERROR: there is no NAT gateway leader node" "ctdb natgw leader"
check_true "monitor without leader: the set-up still recorded" state_complete
next
sysconfig "${CONFIG[@]}" CTDB_NATGW_PUBLIC_IP=10.1.1.121
run "$script" monitor
check "monitor, configuration changed to an invalid one: error, nothing touched" 1 \
  "ERROR: CTDB_NATGW_PUBLIC_IP='10.1.1.121' is not an IPv4 ADDRESS/MASKBITS" ""
next
run "$script" removenatgw
check "removenatgw with an invalid configuration: the recorded set-up is removed" 0 "" \
  "ip route del 0.0.0.0/0 via 192.168.1.21 metric 10"

# --- follower-only ----------------------------------------------------------------------------
fresh
sysconfig "${FOLLOWER_CONFIG[@]}"
node 2 192.168.1.23
leader "1 192.168.1.22"
run "$script" ipreallocated
check "follower-only in the nodes file, no public IP: follower" 0 "" "ctdb -X nodestatus
$ASK
$FOLLOW"
next
run "$script" monitor
check "follower-only: monitor has no interface to check" 0 "" "ctdb -X nodestatus"
next
node 2 192.168.1.23 2
run "$script" monitor
check "follower-only: an unhealthy node's nodestatus (exit code 2) still gives its address" 0 "" \
  "ctdb -X nodestatus"
next
leader "2 192.168.1.23"
run "$script" ipreallocated
check "follower-only node chosen as leader: error, old set-up removed" 1 \
  "ERROR: this node (PNN 2) was chosen as NAT gateway, but CTDB_NATGW_PUBLIC_IP is not set" \
  "ctdb -X nodestatus
$ASK
$CLEAR_FOLLOW"
check_true "follower-only chosen as leader: nothing recorded" no_state

fresh
sysconfig "${FOLLOWER_CONFIG[@]}" CTDB_NATGW_SLAVE_ONLY=yes
node 3 192.168.1.24
leader "1 192.168.1.22"
run "$script" ipreallocated
check "CTDB_NATGW_SLAVE_ONLY=yes (older configurations): follower without public IP" 0 "" "$ASK
$FOLLOW"
next
leader "3 192.168.1.24"
run "$script" ipreallocated
check "CTDB_NATGW_SLAVE_ONLY=yes chosen as leader: error asking to mark it in the nodes file" 1 \
  "ERROR: this node (PNN 3) was chosen as NAT gateway, but CTDB_NATGW_SLAVE_ONLY=yes: mark it follower-only in $NODES" \
  "$ASK
$CLEAR_FOLLOW"

fresh
sysconfig "${CONFIG[@]}" CTDB_NATGW_SLAVE_ONLY=YES
run "$script" ipreallocated
check "CTDB_NATGW_SLAVE_ONLY=yes with a public IP still never leads" 1 \
  "ERROR: this node (PNN 0) was chosen as NAT gateway, but CTDB_NATGW_SLAVE_ONLY=yes: mark it follower-only in $NODES" \
  "$ASK"
sysconfig "${CONFIG[@]}" CTDB_NATGW_SLAVE_ONLY=no
next
run "$script" ipreallocated
check "CTDB_NATGW_SLAVE_ONLY=no: leads" 0 "" "$ASK
$LEAD_NFT"

# --- the gateway announces the address (not in 4.17): a failing gratarp is only a warning
fresh
sysconfig "${CONFIG[@]}"
stub ctdb "${CTDB_STUB/\"gratarp \"\*) ;;/\"gratarp \"*) echo \"ctdb: no such interface\"; exit 1 ;;}"
run "$script" ipreallocated
check "leader: a failing gratarp is a warning, the gateway still set up" 0 \
  "WARNING: 'ctdb gratarp 10.1.1.121 eth1' failed: ctdb: no such interface" "$ASK
$LEAD_NFT"
check_true "leader, gratarp failing: recorded complete" state_complete
stub ctdb "$CTDB_STUB"

# --- static routes and the default gateway -------------------------------------------------------
ROUTES="CTDB_NATGW_STATIC_ROUTES='10.2.0.0/16  10.3.0.0/16@10.1.1.253'"
fresh
sysconfig "${CONFIG[@]}" "$ROUTES"
run "$script" ipreallocated
check "leader, static routes: default gateway unless the entry names one" 0 "" "$ASK
nft -f -
$ADDR_ADD
ip route add 10.2.0.0/16 via 10.1.1.254 metric 10
ip route add 10.3.0.0/16 via 10.1.1.253 metric 10
$GRATARP"
next
leader "1 192.168.1.22"
run "$script" ipreallocated
check "static routes, leader to follower: all through the leader" 0 "" "$ASK
ip route del 10.2.0.0/16 via 10.1.1.254 metric 10
ip route del 10.3.0.0/16 via 10.1.1.253 metric 10
nft delete table ip ctdb_natgw
$ADDR_DEL
ip route add 10.2.0.0/16 via 192.168.1.22 metric 10
ip route add 10.3.0.0/16 via 192.168.1.22 metric 10"
next
run "$script" shutdown
check "static routes, follower: shutdown" 0 "" "ip route del 10.2.0.0/16 via 192.168.1.22 metric 10
ip route del 10.3.0.0/16 via 192.168.1.22 metric 10"

fresh
sysconfig "${CONFIG[@]}" CTDB_NATGW_DEFAULT_GATEWAY= "$ROUTES"
run "$script" ipreallocated
check "leader without default gateway: only routes with their own gateway (4.17)" 0 "" "$ASK
nft -f -
$ADDR_ADD
ip route add 10.3.0.0/16 via 10.1.1.253 metric 10
$GRATARP"
next
run "$script" removenatgw
check "leader without default gateway: removenatgw" 0 "" "ip route del 10.3.0.0/16 via 10.1.1.253 metric 10
nft delete table ip ctdb_natgw
$ADDR_DEL"

fresh
sysconfig "${CONFIG[@]}" CTDB_NATGW_DEFAULT_GATEWAY=
run "$script" ipreallocated
check "leader without default gateway and static routes: no route at all (4.17)" 0 "" "$ASK
nft -f -
$ADDR_ADD
$GRATARP"
fresh
sysconfig "${CONFIG[@]}" CTDB_NATGW_DEFAULT_GATEWAY=
node 1 192.168.1.22
leader "0 192.168.1.21"
run "$script" ipreallocated
check "follower without default gateway: default route via the leader (4.17)" 0 "" "$ASK
ip route add 0.0.0.0/0 via 192.168.1.21 metric 10"

# --- files and environment -------------------------------------------------------------------------
fresh
mkdir -p "$TEST_TMP/base"
ln -sf "$CONFIG_DIR/functions" "$TEST_TMP/base/functions"
sysconfig "${CONFIG[@]:0:4}"
run env CTDB_BASE="$TEST_TMP/base" "$script" startup
check "default nodes file \$CTDB_BASE/natgw_nodes, missing" 1 \
  "ERROR: NAT gateway nodes file $TEST_TMP/base/natgw_nodes (CTDB_NATGW_NODES) is not readable" ""
cp "$NODES" "$TEST_TMP/base/natgw_nodes"
run env CTDB_BASE="$TEST_TMP/base" "$script" ipreallocated
check "default nodes file: used" 0 "" "$ASK
$LEAD_NFT"
check_true "default nodes file: passed to the tool" has "$STUB_STATE/nodes_seen" "$TEST_TMP/base/natgw_nodes"
rm -rf "$TEST_TMP/base"

fresh
sysconfig "${CONFIG[@]}"
run env CTDB_BASE= "$script" ipreallocated
check "CTDB_BASE unset: functions found from the script's own location" 0 "" "$ASK
$LEAD_NFT"

fresh
sysconfig "${CONFIG[@]}" "$ROUTES"
run bash -u "$script" ipreallocated
check "bash -u: ipreallocated" 0 ""
run bash -u "$script" monitor
check "bash -u: monitor" 0 ""
run bash -u "$script" shutdown
check "bash -u: shutdown" 0 ""
sysconfig "${FOLLOWER_CONFIG[@]}" CTDB_NATGW_SLAVE_ONLY=on
node 1 192.168.1.22
leader "0 192.168.1.21"
for ev in setup startup ipreallocated monitor updatenatgw removenatgw; do
  run bash -u "$script" "$ev"
  check "bash -u: follower-only, $ev" 0 ""
done
sysconfig
for ev in "${ALL_EVENTS[@]}"; do
  # shellcheck disable=SC2086
  run bash -u "$script" $ev
  check "bash -u: not configured, ${ev%% *}" 0 ""
done

finish
