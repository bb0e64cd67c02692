#!/bin/bash
# Tests events.d/91.lvs: the single LVS address on lo (hidden from ARP) or, on
# the LVS leader, on the public interface with ipvsadm virtual services.
#
# ipvsadm and ip only log their calls ("addr del" fails as for an absent
# address); ctdb answers "lvs leader", "lvs list" and "pnn" from ctdb_says.
# Interfaces are directories of a fake /sys/class/net.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/91.lvs"
export CTDB_SYS_CLASS_NET="$TEST_TMP/sys/class/net"
VIP=10.0.0.100

# ip_stub [SNIPPET]: the fake ip, with SNIPPET run first (to make a command
# fail).
ip_stub() {
  stub ip "${1:-}
case \"\$1 \$2\" in
  'addr del') echo 'Error: ipv4: Address not found.' >&2; exit 2 ;;
esac"
}

# ipvsadm_stub [SNIPPET]: the fake ipvsadm; deleting a service fails as when
# there is none.
ipvsadm_stub() {
  stub ipvsadm "${1:-}
case \"\$1\" in
  -D) echo 'Memory allocation problem' >&2; exit 2 ;;
esac"
}

# ctdb_says PNN LEADER [LVS_PNN LVS_ADDRESS]...: the ctdb tool of node PNN;
# LEADER is the LVS leader ("-": none, so exit 255 without output) and the
# pairs are what "lvs list" prints. The stub records CTDB_LVS_NODES as seen.
ctdb_says() {
  local me="$1" leader="$2" list=""
  shift 2
  while [ "$#" -ge 2 ]; do
    list+="$1 $2\\n"
    shift 2
  done
  stub ctdb "echo \"\${CTDB_LVS_NODES-unset}\" >'$STUB_STATE/lvs_nodes_env'
case \"\$1 \${2:-}\" in
  'lvs leader') [ '$leader' = - ] && exit 255; echo '$leader' ;;
  'lvs list') printf '$list' ;;
  'pnn ') echo '$me' ;;
esac"
}

# link NAME OPERSTATE [FLAGS]: an interface in the fake sysfs.
link() {
  local d="$CTDB_SYS_CLASS_NET/$1"
  mkdir -p "$d"
  echo "$2" >"$d/operstate"
  echo "${3:-0x1003}" >"$d/flags"
}

# proc_file PATH VALUE: a file of the fake /proc.
proc_file() {
  mkdir -p "$(dirname "$CTDB_PROC_DIR/$1")"
  echo "$2" >"$CTDB_PROC_DIR/$1"
}
# shellcheck disable=SC2317  # called through check_true
has() { [ "$(cat "$1")" = "$2" ] || { echo "      $1 is: $(cat "$1")" && false; }; }

# fresh [SYSCONFIG_LINES...]: a new case, LVS configured as given (default:
# the original variable names), default fakes, route cache files in /proc.
fresh() {
  new_case
  rm -rf "${TEST_TMP:?}/sys" "$STUB_STATE/lvs_nodes_env"
  if [ "$#" -gt 0 ]; then sysconfig "$@"; else sysconfig "CTDB_LVS_PUBLIC_IP=$VIP" CTDB_PUBLIC_INTERFACE=eth0; fi
  ip_stub
  ipvsadm_stub
  ctdb_says 1 1 0 10.0.0.1 1 10.0.0.2 2 10.0.0.3
  proc_file sys/net/ipv4/route/flush 0
  proc_file sys/net/ipv6/route/flush 0
  unset CTDB
}

CLEAR="ipvsadm -D -t $VIP
ipvsadm -D -u $VIP
ip addr del $VIP/32 dev eth0
ip addr del $VIP/32 dev lo"
HIDE="ip addr add $VIP/32 dev lo scope host"
# leader_calls IFACE REAL_SERVER...: what the leader does after clearing.
leader_calls() {
  local iface="$1" a g
  shift
  echo "ipvsadm -A -t $VIP -p 1999999 -s lc"
  echo "ipvsadm -A -u $VIP -p 1999999 -s lc"
  for a in "$@" 127.0.0.1; do
    [ "$a" = 127.0.0.1 ] && g="" || g=" -g"
    echo "ipvsadm -a -t $VIP -r $a$g"
    echo "ipvsadm -a -u $VIP -r $a$g"
  done
  echo "ip addr add $VIP/32 dev $iface"
  echo "ctdb gratarp $VIP $iface"
}

# --- not configured -----------------------------------------------------------------------
fresh ""
check_quiet_events "$script" "not configured, every event is a no-op" "${ALL_EVENTS[@]}" \
  "unknownevent" ""
sysconfig CTDB_PUBLIC_INTERFACE=eth0 CTDB_LVS_PUBLIC_IFACE=eth0 CTDB_LVS_NODES=/etc/ctdb/lvs_nodes
check_quiet_events "$script" "interface but no CTDB_LVS_PUBLIC_IP, every event is a no-op" \
  "${ALL_EVENTS[@]}"

# --- configuration errors -----------------------------------------------------------------
fresh "CTDB_LVS_PUBLIC_IP=$VIP"
for ev in setup startup shutdown monitor ipreallocated; do
  : >"$STUB_LOG"
  run "$script" "$ev"
  check "CTDB_LVS_PUBLIC_IP without an interface: $ev fails" 1 \
    "ERROR: CTDB_LVS_PUBLIC_IP is set but no public interface is: set CTDB_LVS_PUBLIC_IFACE (or CTDB_PUBLIC_INTERFACE)" ""
done
check_quiet_events "$script" "CTDB_LVS_PUBLIC_IP without an interface, events it ignores" \
  "init" "startrecovery" "recovered" "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24" \
  "updateip eth0 eth1 10.0.0.1 24"

fresh CTDB_LVS_PUBLIC_IP=10.0.0 CTDB_PUBLIC_INTERFACE=eth0
run "$script" startup
check "CTDB_LVS_PUBLIC_IP not an address fails" 1 \
  "ERROR: CTDB_LVS_PUBLIC_IP='10.0.0' is not an IPv4 address" ""
fresh CTDB_LVS_PUBLIC_IP=2001:db8::100 CTDB_PUBLIC_INTERFACE=eth0
run "$script" ipreallocated
check "CTDB_LVS_PUBLIC_IP IPv6 fails (LVS here is IPv4)" 1 \
  "ERROR: CTDB_LVS_PUBLIC_IP='2001:db8::100' is not an IPv4 address" ""
fresh CTDB_LVS_PUBLIC_IP=10.0.0.256 CTDB_PUBLIC_INTERFACE=eth0
run "$script" monitor
check "CTDB_LVS_PUBLIC_IP with an octet over 255 fails" 1 \
  "ERROR: CTDB_LVS_PUBLIC_IP='10.0.0.256' is not an IPv4 address" ""

fresh
run "$script" setup
check "setup with a valid configuration does nothing" 0 "" ""
check_quiet_events "$script" "configured, events it ignores" "init" "startrecovery" "recovered" \
  "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24" "updateip eth0 eth1 10.0.0.1 24" \
  "unknownevent"

# --- startup ------------------------------------------------------------------------------
fresh
proc_file sys/net/ipv4/conf/all/arp_ignore 0
proc_file sys/net/ipv4/conf/all/arp_announce 0
run "$script" startup
check "startup: leftovers cleared, the address on lo with host scope" 0 "" "$CLEAR
$HIDE"
check_true "startup: arp_ignore=1" has "$CTDB_PROC_DIR/sys/net/ipv4/conf/all/arp_ignore" 1
check_true "startup: arp_announce=2" has "$CTDB_PROC_DIR/sys/net/ipv4/conf/all/arp_announce" 2

fresh
run "$script" startup
check "startup: a kernel without the ARP settings is fine" 0 "" "$CLEAR
$HIDE"
check_true "startup: no ARP setting file created" \
  test ! -e "$CTDB_PROC_DIR/sys/net/ipv4/conf/all/arp_ignore"

fresh
ip_stub "[ \"\$1 \$2\" = 'addr add' ] && { echo 'RTNETLINK answers: Operation not permitted' >&2; exit 2; }"
run "$script" startup
check "startup: adding the address to lo fails" 1 \
  "ERROR: failed to add LVS address $VIP/32 to lo: RTNETLINK answers: Operation not permitted" \
  "$CLEAR
$HIDE"

fresh
unstub ipvsadm
run "$script" startup
check "startup: ipvsadm not installed fails" 1 \
  "ERROR: LVS is configured (CTDB_LVS_PUBLIC_IP=$VIP) but ipvsadm is not installed" ""

# --- shutdown -----------------------------------------------------------------------------
fresh
run "$script" shutdown
check "shutdown: services and addresses removed, failures of absent ones silent" 0 "" "$CLEAR"
check_true "shutdown: IPv4 route cache flushed" has "$CTDB_PROC_DIR/sys/net/ipv4/route/flush" 1
check_true "shutdown: IPv6 route cache flushed" has "$CTDB_PROC_DIR/sys/net/ipv6/route/flush" 1

fresh
unstub ipvsadm
run "$script" shutdown
check "shutdown without ipvsadm removes the addresses" 0 "" "ip addr del $VIP/32 dev eth0
ip addr del $VIP/32 dev lo"

# --- ipreallocated --------------------------------------------------------------------------
fresh
run "$script" ipreallocated
check "ipreallocated, leader: services with the other members and itself, address on eth0" 0 "" \
  "ctdb lvs leader
ctdb pnn
ctdb lvs list
$CLEAR
$(leader_calls eth0 10.0.0.1 10.0.0.3)"
check_true "ipreallocated, leader: IPv4 route cache flushed" \
  has "$CTDB_PROC_DIR/sys/net/ipv4/route/flush" 1
check_true "ipreallocated, leader: CTDB_LVS_NODES not set for ctdb" \
  has "$STUB_STATE/lvs_nodes_env" unset

fresh "CTDB_LVS_PUBLIC_IP=$VIP" CTDB_LVS_PUBLIC_IFACE=eth1 CTDB_LVS_NODES=/etc/ctdb/my_lvs_nodes
run "$script" ipreallocated
check "ipreallocated, leader: 4.17's CTDB_LVS_PUBLIC_IFACE" 0 "" "ctdb lvs leader
ctdb pnn
ctdb lvs list
ipvsadm -D -t $VIP
ipvsadm -D -u $VIP
ip addr del $VIP/32 dev eth1
ip addr del $VIP/32 dev lo
$(leader_calls eth1 10.0.0.1 10.0.0.3)"
check_true "ipreallocated: CTDB_LVS_NODES from the sysconfig reaches ctdb" \
  has "$STUB_STATE/lvs_nodes_env" /etc/ctdb/my_lvs_nodes

fresh "CTDB_LVS_PUBLIC_IP=$VIP" CTDB_LVS_PUBLIC_IFACE=eth1 CTDB_PUBLIC_INTERFACE=eth0
run "$script" ipreallocated
check "ipreallocated, leader: CTDB_LVS_PUBLIC_IFACE wins over CTDB_PUBLIC_INTERFACE" 0 "" \
  "ctdb lvs leader
ctdb pnn
ctdb lvs list
ipvsadm -D -t $VIP
ipvsadm -D -u $VIP
ip addr del $VIP/32 dev eth1
ip addr del $VIP/32 dev lo
$(leader_calls eth1 10.0.0.1 10.0.0.3)"

fresh
ctdb_says 1 1 1 10.0.0.2
run "$script" ipreallocated
check "ipreallocated, leader alone in the LVS set: only itself as real server" 0 "" \
  "ctdb lvs leader
ctdb pnn
ctdb lvs list
$CLEAR
$(leader_calls eth0)"

fresh
stub ctdb "case \"\$1 \$2\" in
  'lvs leader') echo 0 ;;
  'lvs list') printf '0 10.0.0.1\n\n  2   10.0.0.3  \n' ;;
  pnn*) echo 0 ;;
esac"
run "$script" ipreallocated
check "ipreallocated, leader: blank lines and extra blanks in 'ctdb lvs list' are fine" 0 "" \
  "ctdb lvs leader
ctdb pnn
ctdb lvs list
$CLEAR
$(leader_calls eth0 10.0.0.3)"

fresh
ctdb_says 2 0 0 10.0.0.1 1 10.0.0.2 2 10.0.0.3
run "$script" ipreallocated
check "ipreallocated, not the leader: the address on lo only" 0 "" "ctdb lvs leader
ctdb pnn
$CLEAR
$HIDE"

fresh
ctdb_says 1 -
run "$script" ipreallocated
check "ipreallocated, no leader (ctdb exits 255): the address on lo only" 0 "" "ctdb lvs leader
$CLEAR
$HIDE"
check_true "ipreallocated, not the leader: no route cache flush" \
  has "$CTDB_PROC_DIR/sys/net/ipv4/route/flush" 0

fresh
ctdb_says 2 0
ip_stub "[ \"\$1 \$2\" = 'addr add' ] && { echo 'RTNETLINK answers: File exists' >&2; exit 2; }"
run "$script" ipreallocated
check "ipreallocated, not the leader: adding to lo fails" 1 \
  "ERROR: failed to add LVS address $VIP/32 to lo: RTNETLINK answers: File exists" "*"

fresh
stub ctdb "case \"\$1\" in
  gratarp) echo 'Unable to send gratuitous ARP on eth0' >&2; exit 1 ;;
  lvs) [ \"\$2\" = leader ] && echo 1 || echo '1 10.0.0.2' ;;
  pnn) echo 1 ;;
esac"
run "$script" ipreallocated
check "ipreallocated, leader: gratarp failing is only a warning" 0 \
  "WARNING: 'ctdb gratarp $VIP eth0' failed: Unable to send gratuitous ARP on eth0" \
  "ctdb lvs leader
ctdb pnn
ctdb lvs list
$CLEAR
$(leader_calls eth0)"
check_true "ipreallocated, leader: route cache flushed after a failed gratarp" \
  has "$CTDB_PROC_DIR/sys/net/ipv4/route/flush" 1

fresh
ipvsadm_stub "[ \"\$1 \$2\" = '-A -u' ] && { echo 'Protocol not available' >&2; exit 2; }"
run "$script" ipreallocated
check "ipreallocated, leader: ipvsadm -A failing stops with an error" 1 \
  "ERROR: 'ipvsadm -A -u $VIP -p 1999999 -s lc' failed: Protocol not available" \
  "ctdb lvs leader
ctdb pnn
ctdb lvs list
$CLEAR
ipvsadm -A -t $VIP -p 1999999 -s lc
ipvsadm -A -u $VIP -p 1999999 -s lc"

fresh
ipvsadm_stub "[ \"\$1 \$5\" = '-a 10.0.0.3' ] && { echo 'Memory allocation problem' >&2; exit 2; }"
run "$script" ipreallocated
check "ipreallocated, leader: ipvsadm -a failing stops with an error" 1 \
  "ERROR: 'ipvsadm -a -t $VIP -r 10.0.0.3 -g' failed: Memory allocation problem" \
  "ctdb lvs leader
ctdb pnn
ctdb lvs list
$CLEAR
ipvsadm -A -t $VIP -p 1999999 -s lc
ipvsadm -A -u $VIP -p 1999999 -s lc
ipvsadm -a -t $VIP -r 10.0.0.1 -g
ipvsadm -a -u $VIP -r 10.0.0.1 -g
ipvsadm -a -t $VIP -r 10.0.0.3 -g"

fresh
ip_stub "[ \"\$1 \$2\" = 'addr add' ] && { echo 'Cannot find device \"eth0\"' >&2; exit 1; }"
run "$script" ipreallocated
check "ipreallocated, leader: adding the address to the interface fails" 1 \
  "ERROR: failed to add LVS address $VIP/32 to interface eth0: Cannot find device \"eth0\"" \
  "ctdb lvs leader
ctdb pnn
ctdb lvs list
$CLEAR
$(leader_calls eth0 10.0.0.1 10.0.0.3 | grep -v gratarp)"

fresh
unstub ipvsadm
run "$script" ipreallocated
check "ipreallocated, leader without ipvsadm fails before changing anything" 1 \
  "ERROR: LVS is configured (CTDB_LVS_PUBLIC_IP=$VIP) but ipvsadm is not installed" \
  "ctdb lvs leader
ctdb pnn"
fresh
unstub ipvsadm
ctdb_says 2 0
run "$script" ipreallocated
check "ipreallocated, not the leader, without ipvsadm: the address on lo" 0 "" "ctdb lvs leader
ctdb pnn
ip addr del $VIP/32 dev eth0
ip addr del $VIP/32 dev lo
$HIDE"

fresh
stub ctdb "echo 'ctdb lvs: cannot read LVS nodes file \"/etc/ctdb/lvs_nodes\": Permission denied' >&2; exit 10"
run "$script" ipreallocated
check "ipreallocated: 'ctdb lvs leader' failing changes nothing" 1 \
  "ERROR: 'ctdb lvs leader' failed (exit code 10): ctdb lvs: cannot read LVS nodes file \"/etc/ctdb/lvs_nodes\": Permission denied" \
  "ctdb lvs leader"
stub ctdb "exit 255"
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated: exit 255 without output is 'no leader'" 0 "" "ctdb lvs leader
$CLEAR
$HIDE"
stub ctdb "echo 'connection to ctdbd refused'; exit 255"
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated: exit 255 with a message is a failure" 1 \
  "ERROR: 'ctdb lvs leader' failed (exit code 255): connection to ctdbd refused" "ctdb lvs leader"
stub ctdb "echo 'Node 1 is LVS master'"
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated: 'ctdb lvs leader' printing no number fails" 1 \
  "ERROR: unexpected output from 'ctdb lvs leader': Node 1 is LVS master" "ctdb lvs leader"

fresh
stub ctdb "case \"\$1\" in lvs) echo 1 ;; pnn) echo 'connection refused'; exit 1 ;; esac"
run "$script" ipreallocated
check "ipreallocated: 'ctdb pnn' failing changes nothing" 1 \
  "ERROR: 'ctdb pnn' failed: connection refused" "ctdb lvs leader
ctdb pnn"

fresh
stub ctdb "case \"\$1 \$2\" in
  'lvs leader') echo 1 ;;
  'lvs list') echo 'Unable to get capabilities from node 2' >&2; exit 10 ;;
  pnn*) echo 1 ;;
esac"
run "$script" ipreallocated
check "ipreallocated, leader: 'ctdb lvs list' failing changes nothing" 1 \
  "ERROR: 'ctdb lvs list' failed: Unable to get capabilities from node 2" "ctdb lvs leader
ctdb pnn
ctdb lvs list"
stub ctdb "case \"\$1 \$2\" in
  'lvs leader') echo 1 ;;
  'lvs list') printf '0 10.0.0.1\n\n1 node-b\n' ;;
  pnn*) echo 1 ;;
esac"
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated, leader: a malformed 'ctdb lvs list' line changes nothing" 1 \
  "ERROR: unexpected line from 'ctdb lvs list': 1 node-b" "ctdb lvs leader
ctdb pnn
ctdb lvs list"

fresh
unstub ctdb
stub myctdb "case \"\$1\" in lvs) [ \"\$2\" = leader ] && echo 3 || echo '3 10.0.0.4' ;; pnn) echo 3 ;; esac"
export CTDB=myctdb
run "$script" ipreallocated
unset CTDB
check "ipreallocated: the tool is \$CTDB" 0 "" "myctdb lvs leader
myctdb pnn
myctdb lvs list
$CLEAR
$(leader_calls eth0 | sed 's/^ctdb /myctdb /')"

# --- monitor ------------------------------------------------------------------------------
fresh
link eth0 up
run "$script" monitor
check "monitor: public interface up" 0 "" ""

fresh
link eth0 down
run "$script" monitor
check "monitor: public interface down fails" 1 "ERROR: public network interface eth0 is down" ""

fresh
link eth0 down 0x1002
run "$script" monitor
check "monitor: an interface nobody brought up is brought up once, still down fails" 1 \
  "ERROR: public network interface eth0 is down" "ip link set eth0 up"

fresh "CTDB_LVS_PUBLIC_IP=$VIP" CTDB_LVS_PUBLIC_IFACE=eth1 CTDB_PUBLIC_INTERFACE=eth0
link eth0 up
run "$script" monitor
check "monitor: checks CTDB_LVS_PUBLIC_IFACE, here missing" 1 \
  "ERROR: public network interface eth1 does not exist" ""
link eth1 up
run "$script" monitor
check "monitor: CTDB_LVS_PUBLIC_IFACE up" 0 "" ""

fresh
link eth0 up
unstub ipvsadm
run "$script" monitor
check "monitor: ipvsadm not installed makes the node unhealthy" 1 \
  "ERROR: LVS is configured (CTDB_LVS_PUBLIC_IP=$VIP) but ipvsadm is not installed" ""

# --- how the script is run ----------------------------------------------------------------
fresh
link eth0 up
run env -u CTDB_BASE "$script" monitor
check "CTDB_BASE unset: functions found from the script's own location" 0 ""
run bash -u "$script" ipreallocated
check "bash -u: ipreallocated as leader" 0 "" "*"
ctdb_says 1 -
run bash -u "$script" ipreallocated
check "bash -u: ipreallocated without leader" 0 ""
fresh ""
run bash -u "$script" monitor
check "bash -u: not configured" 0 "" ""

finish
