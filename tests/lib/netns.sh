# Test hosts in network namespaces for the takeover tests (root only). Needs harness.sh first.
#
#   netns_available                 true when this machine can make namespaces and veths
#   netns_require [CMD...]          skips the test (exit 77, with the reason) unless namespaces
#                                   work here and every CMD is installed
#   netns_setup N                   N node hosts and one client host:
#       switch namespace $NS_SW with bridges brpriv and brpub (and nothing else);
#       node i: namespace ${NS_NODE[i]}, eth0 = $NS_PRIV_NET.(i+1)/24 on brpriv (the node
#               address), eth1 on brpub with no address (the public interface);
#       client: namespace $NS_CLIENT, eth1 = $NS_PUB_NET.250/24 on brpub.
#   netns_public_link NODE up|down  the node's public cable (its switch port)
#   netns_private_link NODE up|down the node's private cable
#   netns_delay_private NODE MS     replaces the node's private cable by one that delays every
#                                   frame by MS ms each way (tests/netns/delay_line.py: this
#                                   kernel has no tc netem)
#   netns_addrs NODE                the IPv4 addresses on the node's eth1, sorted, one line
#   netns_mac NODE                  the node's eth1 MAC address
#
# Everything is removed at exit (h_on_cleanup). Addresses are test-only ranges inside the
# namespaces; nothing touches the host's own network.

NS_PREFIX=${NS_PREFIX:-ct$$}
NS_SW=$NS_PREFIX-sw
NS_CLIENT=$NS_PREFIX-c
NS_PRIV_NET=${NS_PRIV_NET:-192.168.212}
NS_PUB_NET=${NS_PUB_NET:-10.212.0}
NS_NODE=()

netns_available() {
  [ "$(id -u)" == 0 ] || return 1
  ip netns add "$NS_PREFIX-probe" 2>/dev/null || return 1
  local ok=0
  ip -n "$NS_PREFIX-probe" link add probe0 type veth peer name probe1 2>/dev/null || ok=1
  ip netns del "$NS_PREFIX-probe"
  return $ok
}

netns_require() {
  local cmd
  if ! netns_available; then
    echo "SKIP: network namespaces are not available here (needs root, ip netns and veth)"
    exit 77
  fi
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null || {
      echo "SKIP: $cmd is not installed"
      exit 77
    }
  done
}

netns_teardown() {
  local ns
  for ns in "${NS_NODE[@]}" "$NS_CLIENT" "$NS_SW"; do
    ip netns del "$ns" 2>/dev/null
  done
  return 0
}

# _ns_cable NS IFACE PORT BRIDGE: a veth from IFACE in NS to PORT on BRIDGE in the switch.
_ns_cable() {
  ip -n "$1" link add "$2" type veth peer name "$3" netns "$NS_SW" &&
    ip -n "$NS_SW" link set "$3" master "$4" up &&
    ip -n "$1" link set "$2" up
}

netns_setup() {
  local n=$1 i
  h_on_cleanup netns_teardown
  ip netns add "$NS_SW" || return 1
  ip -n "$NS_SW" link set lo up
  for br in brpriv brpub; do
    ip -n "$NS_SW" link add "$br" type bridge || return 1
    # Forward at once: no STP listening delay on a fresh port.
    ip -n "$NS_SW" link set "$br" type bridge forward_delay 0 stp_state 0
    ip -n "$NS_SW" link set "$br" up
  done
  for ((i = 0; i < n; i++)); do
    NS_NODE[$i]=$NS_PREFIX-n$i
    ip netns add "${NS_NODE[$i]}" || return 1
    ip -n "${NS_NODE[$i]}" link set lo up
    _ns_cable "${NS_NODE[$i]}" eth0 "priv$i" brpriv || return 1
    _ns_cable "${NS_NODE[$i]}" eth1 "pub$i" brpub || return 1
    ip -n "${NS_NODE[$i]}" addr add "$NS_PRIV_NET.$((i + 1))/24" dev eth0 || return 1
  done
  ip netns add "$NS_CLIENT" || return 1
  ip -n "$NS_CLIENT" link set lo up
  _ns_cable "$NS_CLIENT" eth1 pubc brpub || return 1
  ip -n "$NS_CLIENT" addr add "$NS_PUB_NET.250/24" dev eth1
}

netns_delay_private() {
  local i=$1 ms=$2 line
  line=$(cd "$(dirname "${BASH_SOURCE[0]}")/../netns" && pwd)/delay_line.py
  ip -n "${NS_NODE[$i]}" link del eth0 || return 1
  coproc DELAY_LINE { exec /usr/bin/python3 "$line" "dla$i" "dlb$i" "$ms"; }
  h_track_pid "$DELAY_LINE_PID"
  read -r -t 10 line <&"${DELAY_LINE[0]}" && [ "$line" == ready ] || return 1
  ip link set "dla$i" netns "${NS_NODE[$i]}" &&
    ip -n "${NS_NODE[$i]}" link set "dla$i" name eth0 &&
    ip -n "${NS_NODE[$i]}" addr add "$NS_PRIV_NET.$((i + 1))/24" dev eth0 &&
    ip -n "${NS_NODE[$i]}" link set eth0 up &&
    ip link set "dlb$i" netns "$NS_SW" &&
    ip -n "$NS_SW" link set "dlb$i" master brpriv up
}

netns_public_link() { ip -n "$NS_SW" link set "pub$1" "$2"; }
netns_private_link() { ip -n "$NS_SW" link set "priv$1" "$2"; }

netns_addrs() {
  ip -n "${NS_NODE[$1]}" -4 -o addr show dev eth1 2>/dev/null |
    awk '{ sub("/.*", "", $4); print $4 }' | sort -t. -k4 -n | tr '\n' ' ' | sed 's/ $//'
}

# netns_hosts_of ADDR: the node indexes (0..2) whose eth1 really has ADDR, space separated.
netns_hosts_of() {
  local i out=""
  for i in 0 1 2; do
    [[ " $(netns_addrs "$i") " == *" $1 "* ]] && out+="$i "
  done
  echo "${out% }"
}
# netns_consistent ADDR...: every ADDR is on exactly one node's eth1, and it is the node that
# `ctdb ip all` on our node ${CHECK_VIA:-n0} names; sets DETAIL to the first difference.
netns_consistent() {
  local a o h
  for a in "$@"; do
    o=$(netns_ip_owner "$a" "${CHECK_VIA:-n0}")
    h=$(netns_hosts_of "$a")
    if [ -z "$o" ] || [ "$o" == -1 ] || [ "$h" != "$o" ]; then
      DETAIL="$a: ctdb ip says '$o', on the interfaces of '$h'"
      return 1
    fi
  done
  DETAIL=""
}
# netns_ip_owner ADDR [NODE]: the pnn `ctdb ip all` on our node NODE (default n0) shows for ADDR.
netns_ip_owner() { h_ctdb "${2:-n0}" ip all 2>/dev/null | awk -v a="$1" '$1 == a { print $2 }'; }

netns_mac() {
  ip -n "${NS_NODE[$1]}" -o link show eth1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}
