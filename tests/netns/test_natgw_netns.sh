#!/bin/bash
# NAT gateway for real: three node hosts in network namespaces without any public address and an
# "external" host on the public network; every node runs events.d/11.natgw. The group's gateway
# holds the NAT-GW address and masquerades the others, which route to it with metric 10; each
# node reaches the external host, which sees the NAT-GW address. The gateway machine dies (ctdbd
# killed, cables pulled): another node of the group becomes gateway and traffic flows again.
# removenatgw leaves each host's routes, addresses and firewall exactly as they were before
# ctdbd started; updatenatgw sets the gateway up again.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/netns.sh"

h_init natgw_netns
netns_require nft
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
netns_setup 3 || { fail "namespaces, bridges and cables are set up"; h_finish; }
EXTERNAL=$NS_PUB_NET.250 # the client namespace plays the external server
NATGW_IP=$NS_PUB_NET.200
PORT=7100

# The external service answers each connection with the address it came from.
cat >"$H_TMP/peer_echo.py" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(16)
print("listening", flush=True)
while True:
    c, peer = s.accept()
    c.sendall((peer[0] + "\n").encode())
    c.close()
EOF
coproc ECHO { exec ip netns exec "$NS_CLIENT" /usr/bin/python3 "$H_TMP/peer_echo.py" "$PORT"; }
h_track_pid "$ECHO_PID"
read -r -t 10 line <&"${ECHO[0]}" && [ "$line" == listening ] || fail "the external service starts"

# seen_from NODE: the source address the external service sees for a connection from NODE.
seen_from() {
  ip netns exec "${NS_NODE[$1]}" timeout 3 bash -c \
    "exec 3<>/dev/tcp/$EXTERNAL/$PORT && head -1 <&3" 2>/dev/null
}
# host_state NODE: the node host's IPv4 routes and addresses (NAT-GW is IPv4 only; IPv6
# link-local routes come and go with duplicate address detection) and its firewall.
host_state() {
  local ns=${NS_NODE[$1]}
  ip -n "$ns" -4 route show table all
  ip -n "$ns" -4 -o addr show | awk '{ print $2, $3, $4 }'
  ip netns exec "$ns" nft list ruleset
}

unreachable() { [ -z "$(seen_from "$1")" ]; }
check "before ctdbd: a node without a public address cannot reach the external host" unreachable 1
for i in 0 1 2; do host_state "$i" >"$H_TMP/before.$i"; done

printf '%s\n' "$NS_PRIV_NET.1" "$NS_PRIV_NET.2" "$NS_PRIV_NET.3" >"$H_TMP/natgw_nodes"
cat >"$H_TMP/sysconfig" <<EOF
CTDB_NATGW_PUBLIC_IP=$NATGW_IP/24
CTDB_NATGW_PUBLIC_IFACE=eth1
CTDB_NATGW_DEFAULT_GATEWAY=$EXTERNAL
CTDB_NATGW_PRIVATE_NETWORK=$NS_PRIV_NET.0/24
CTDB_NATGW_NODES=$H_TMP/natgw_nodes
EOF
# The scripts find config/functions through CTDB_BASE and our tool on PATH; no test mode.
export CTDB_BASE=$CTDB_SRC_DIR CTDB_SYSCONFIG=$H_TMP/sysconfig PATH=$CTDB_BUILD_DIR:$PATH
h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET.1" "$NS_PRIV_NET.2" "$NS_PRIV_NET.3"
for i in 0 1 2; do
  H_NS[n$i]=${NS_NODE[$i]}
  mkdir -p "$H_TMP/n$i/events.d" "$H_TMP/n$i/scripts"
  ln -s "$CTDB_SRC_DIR/events.d/11.natgw" "$H_TMP/n$i/events.d/11.natgw"
  # Each host keeps its own script state, as on separate machines.
  CTDB_SCRIPT_VARDIR=$H_TMP/n$i/scripts H_OURS_TEST_MODE="" \
    h_start_ours_args "n$i" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" --reclock="$H_TMP/reclock"
done
for i in 0 1 2; do h_wait_ping "n$i" || fail "n$i answers ping"; done
h_wait_converged "all OK" 90 n0 n1 n2 -- OK OK OK || h_finish

# has_natgw_ip NODE: the NAT-GW address is on the node's public interface.
has_natgw_ip() { [[ " $(netns_addrs "$1") " == *" $NATGW_IP "* ]]; }
# gateway_is PNN NODES...: ctdb natgw leader names PNN; only PNN has the address, the nft table
# and a default route to the external gateway; every other live node routes via PNN, metric 10;
# each live node reaches the external host as the NAT-GW address. DETAIL says what differs.
gateway_is() {
  local want=$1 i leader
  shift
  leader=$(H_TOOL=$OURS_TOOL h_ctdb "n$1" natgw leader 2>&1)
  [ "$leader" == "$want $NS_PRIV_NET.$((want + 1))" ] || { DETAIL="natgw leader: $leader"; return 1; }
  for i in "$@"; do
    if [ "$i" == "$want" ]; then
      has_natgw_ip "$i" || { DETAIL="$i lacks the address"; return 1; }
      ip netns exec "${NS_NODE[$i]}" nft list table ip ctdb_natgw >/dev/null 2>&1 ||
        { DETAIL="$i has no nft table"; return 1; }
      ip -n "${NS_NODE[$i]}" route show default | grep -q "via $EXTERNAL dev eth1" ||
        { DETAIL="$i: no default route via $EXTERNAL"; return 1; }
    else
      ! has_natgw_ip "$i" || { DETAIL="$i has the address too"; return 1; }
      ip -n "${NS_NODE[$i]}" route show default |
        grep -q "via $NS_PRIV_NET.$((want + 1)) dev eth0 metric 10" ||
        { DETAIL="$i: $(ip -n "${NS_NODE[$i]}" route show default)"; return 1; }
    fi
    [ "$(seen_from "$i")" == "$NATGW_IP" ] ||
      { DETAIL="$i: the external host sees '$(seen_from "$i")'"; return 1; }
  done
  DETAIL=""
}
check_gateway() {
  local desc=$1
  shift
  if wait_for "gateway_is $*" 30 0.3; then pass "$desc"; else fail "$desc" "$DETAIL"; fi
}

check_gateway "pnn 0 is the gateway; every node reaches the external host as $NATGW_IP" 0 0 1 2
nat_rules=$(ip netns exec "${NS_NODE[0]}" nft list table ip ctdb_natgw)
assert_contains "the gateway masquerades the private network" "$nat_rules" \
  "ip saddr $NS_PRIV_NET.0/24 ip daddr != $NS_PRIV_NET.0/24 masquerade"

# ---- the gateway machine dies
t0=$(h_now_us)
h_kill9_node n0
netns_public_link 0 down
netns_private_link 0 down
check_gateway "gateway dead: pnn 1 is the gateway, pnn 2 reaches the external host again" 1 1 2
# A figure for the record, not a check: it depends on this machine's speed.
h_note "traffic through the new gateway $((($(h_now_us) - t0) / 1000)) ms after the old one died"

# ---- removenatgw leaves nothing behind; updatenatgw sets up again
# natgw_event NODE EVENT: the admin runs 11.natgw by hand on the node (the seed's procedure).
natgw_event() {
  ip netns exec "${NS_NODE[$1]}" env CTDB_SCRIPT_VARDIR="$H_TMP/n$1/scripts" \
    CTDB_SOCKET="${H_SOCK[n$1]}" "$CTDB_SRC_DIR/events.d/11.natgw" "$2"
}
for i in 2 1; do
  natgw_event "$i" removenatgw >"$H_TMP/out" 2>&1
  assert_eq "removenatgw on pnn $i succeeds" "0" "$?"
  assert_eq "removenatgw on pnn $i: routes, addresses and firewall as before ctdbd started" \
    "$(cat "$H_TMP/before.$i")" "$(host_state "$i")"
done
check "after removenatgw pnn 2 no longer reaches the external host" unreachable 2
for i in 1 2; do
  natgw_event "$i" updatenatgw >"$H_TMP/out" 2>&1
  assert_eq "updatenatgw on pnn $i succeeds" "0:" "$?:$(grep ERROR "$H_TMP/out")"
done
check_gateway "after updatenatgw: pnn 1 is the gateway again, pnn 2 reaches the external host" 1 1 2

h_finish
