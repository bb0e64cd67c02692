#!/bin/bash
# LVS for real, but for the kernel's IPVS table (this kernel has none): three node hosts in
# network namespaces started as the seed's init script starts LVS nodes (--lvs,
# --single-public-ip, --public-interface), each running events.d/91.lvs with ipvsadm replaced
# by a stand-in that keeps the virtual service table in a file. The LVS master holds the
# address on its public interface and a virtual service whose real servers are the other
# usable nodes (direct routing) and itself; the others hide the address on lo and never answer
# ARP for it, so a client reaches the master. An unhealthy or disabled node leaves the real
# servers at the next takeover run; the master dies and another node becomes master, the client following it.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/netns.sh"

h_init lvs_netns
netns_require
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
netns_setup 3 || { fail "namespaces, bridges and cables are set up"; h_finish; }
LVS_IP=$NS_PUB_NET.100

# The stand-in for ipvsadm: -A/-a lines are kept in $IPVS_TABLE as given, -D -t|-u ADDR removes
# that service and its real servers; a real server for a missing service is refused as ipvsadm
# refuses it.
mkdir -p "$H_TMP/stubbin"
cat >"$H_TMP/stubbin/ipvsadm" <<'EOF'
#!/bin/bash
t=${IPVS_TABLE:?}
touch "$t"
case "$1" in
  -A) printf '%s\n' "$*" >>"$t" ;;
  -a) grep -q -- "^-A $2 $3 " "$t" || { echo "Service not defined" >&2; exit 1; }
      printf '%s\n' "$*" >>"$t" ;;
  -D) grep -q -- "^-A $2 $3 " "$t" || { echo "No such service" >&2; exit 1; }
      grep -v -- " $2 $3 " "$t" >"$t.new"; mv "$t.new" "$t" ;;
  *) echo "ipvsadm stand-in: unexpected arguments: $*" >&2; exit 2 ;;
esac
EOF
chmod +x "$H_TMP/stubbin/ipvsadm"

printf 'CTDB_LVS_PUBLIC_IP=%s\nCTDB_PUBLIC_INTERFACE=eth1\n' "$LVS_IP" >"$H_TMP/sysconfig"
export CTDB_BASE=$CTDB_SRC_DIR CTDB_SYSCONFIG=$H_TMP/sysconfig
export PATH=$H_TMP/stubbin:$CTDB_BUILD_DIR:$PATH
h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET.1" "$NS_PRIV_NET.2" "$NS_PRIV_NET.3"
for i in 0 1 2; do
  H_NS[n$i]=${NS_NODE[$i]}
  # The seed: each node still needs a permanent address of its own on the public network,
  # through which it answers clients.
  ip -n "${NS_NODE[$i]}" addr add "$NS_PUB_NET.$((11 + i))/24" dev eth1
  mkdir -p "$H_TMP/n$i/events.d"
  ln -s "$CTDB_SRC_DIR/events.d/91.lvs" "$H_TMP/n$i/events.d/91.lvs"
  # 20.health fails the monitor event while its flag file exists (an unhealthy service).
  printf '#!/bin/sh\n[ "$1" = monitor ] && [ -e %s ] && { echo "service down"; exit 1; }\nexit 0\n' \
    "$H_TMP/n$i/unhealthy" >"$H_TMP/n$i/events.d/20.health"
  chmod +x "$H_TMP/n$i/events.d/20.health"
  IPVS_TABLE=$H_TMP/n$i/ipvs H_OURS_TEST_MODE="" \
    h_start_ours_args "n$i" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" --reclock="$H_TMP/reclock" \
    --lvs --single-public-ip="$LVS_IP" --public-interface=eth1
done
for i in 0 1 2; do h_wait_ping "n$i" || fail "n$i answers ping"; done
h_wait_converged "all OK" 90 n0 n1 n2 -- OK OK OK || h_finish

# table_of NODE: the node's virtual service table, sorted.
table_of() { sort "$H_TMP/n$1/ipvs" 2>/dev/null; }
# want_table PNN...: the table a master has with real servers PNN... (other nodes) and itself.
want_table() {
  local p proto
  for proto in -t -u; do
    echo "-A $proto $LVS_IP -p 1999999 -s lc"
    for p in "$@"; do echo "-a $proto $LVS_IP -r $NS_PRIV_NET.$((p + 1)) -g"; done
    echo "-a $proto $LVS_IP -r 127.0.0.1"
  done | sort
}
on_lo() { ip -n "${NS_NODE[$1]}" -o addr show dev lo | grep -q "inet $LVS_IP/32 scope host"; }
on_eth1() { ip -n "${NS_NODE[$1]}" -o addr show dev eth1 | grep -q "inet $LVS_IP/32"; }
# client_reaches NODE: the client's ping to the LVS address is answered, and the client's
# neighbour table has NODE's MAC address for it.
client_reaches() {
  ip netns exec "$NS_CLIENT" ping -c 1 -W 1 "$LVS_IP" >/dev/null 2>&1 &&
    [ "$(ip -n "$NS_CLIENT" neigh show "$LVS_IP" | sed -n 's/.* lladdr \([^ ]*\).*/\1/p')" == "$(netns_mac "$1")" ]
}
# master_is PNN NODES... -- SERVERS...: `ctdb lvsmaster` names PNN; PNN has the address on eth1
# and the table with real servers SERVERS; every other live node has it on lo (host scope) and
# no table; the client reaches PNN. DETAIL says what differs.
master_is() {
  local want=$1 i nodes=() servers=()
  shift
  while [ "$1" != -- ]; do nodes+=("$1"); shift; done
  shift
  servers=("$@")
  local m
  m=$(H_TOOL=$OURS_TOOL h_ctdb "n${nodes[0]}" lvsmaster 2>&1)
  [ "$m" == "Node $want is LVS master" ] || { DETAIL="lvsmaster: $m"; return 1; }
  for i in "${nodes[@]}"; do
    if [ "$i" == "$want" ]; then
      on_eth1 "$i" || { DETAIL="$i: the address is not on eth1"; return 1; }
      ! on_lo "$i" || { DETAIL="$i: the address is on lo too"; return 1; }
      [ "$(table_of "$i")" == "$(want_table "${servers[@]}")" ] ||
        { DETAIL="$i table: $(table_of "$i")"; return 1; }
    else
      on_lo "$i" || { DETAIL="$i: the address is not on lo"; return 1; }
      ! on_eth1 "$i" || { DETAIL="$i: the address is on eth1"; return 1; }
      [ -z "$(table_of "$i")" ] || { DETAIL="$i table: $(table_of "$i")"; return 1; }
    fi
  done
  client_reaches "$want" || {
    DETAIL="the client does not reach $want (its neighbour entry: $(ip -n "$NS_CLIENT" neigh show "$LVS_IP"); $want has $(netns_mac "$want"))"
    return 1
  }
  DETAIL=""
}
check_master() {
  local desc=$1
  shift
  if wait_for "master_is $*" 30 0.3; then pass "$desc"; else fail "$desc" "$DETAIL"; fi
}

check_master "pnn 0 is master: the address on eth1, real servers pnn 1 and 2 and itself" \
  0 0 1 2 -- 1 2
for i in 1 2; do
  assert_eq "pnn $i never answers ARP for addresses on other interfaces (arp_ignore=1)" "1 2" \
    "$(ip netns exec "${NS_NODE[$i]}" cat /proc/sys/net/ipv4/conf/all/arp_ignore \
      /proc/sys/net/ipv4/conf/all/arp_announce | tr '\n' ' ' | sed 's/ $//')"
done

touch "$H_TMP/n1/unhealthy"
check_master "pnn 1 unhealthy: the healthy pnn 2 is the only other real server" 0 0 1 2 -- 2
rm "$H_TMP/n1/unhealthy"
check_master "pnn 1 healthy again: a real server again" 0 0 1 2 -- 1 2

H_TOOL=$OURS_TOOL h_ctdb n2 disable >/dev/null
check_master "pnn 2 disabled: it is no longer a real server" 0 0 1 2 -- 1
H_TOOL=$OURS_TOOL h_ctdb n2 enable >/dev/null
check_master "pnn 2 enabled: a real server again" 0 0 1 2 -- 1 2

t0=$(h_now_us)
h_kill9_node n0
netns_public_link 0 down
netns_private_link 0 down
check_master "master dead: pnn 1 is master, real servers pnn 2 and itself; the client follows" \
  1 1 2 -- 2
h_note "the client reached the new master $((($(h_now_us) - t0) / 1000)) ms after the old one died"

h_finish
