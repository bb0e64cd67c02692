#!/bin/bash
# Debian's own event scripts on our daemon: three of our nodes in network namespaces, each with
# a CTDB_BASE laid out as Debian's package lays it out (functions from /etc/ctdb, events/legacy
# holding symlinks to /usr/share/ctdb/events/legacy/00.ctdb.script and 10.interface.script,
# public_addresses, ctdb.conf), the stock ctdb tool on PATH for the scripts. Checks:
# - the monitor event passes (all OK) and scriptstatus lists both scripts OK;
# - Debian's 10.interface.script puts every public address on exactly one node's eth1, the one
#   `ctdb ip all` names;
# - moveip, a disabled node and an enabled one move addresses for real (releaseip/takeip);
# - a public cable pulled makes Debian's monitor fail the node (UNHEALTHY) and its addresses
#   move away; with the cable back, the node is healthy.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/netns.sh"

h_init debian_scripts_netns
DEBIAN_EVENTS=/usr/share/ctdb/events/legacy
if [ ! -x /usr/bin/ctdb ] || [ ! -e "$DEBIAN_EVENTS/10.interface.script" ] ||
  [ ! -e /etc/ctdb/functions ]; then
  echo "SKIP: Debian's ctdb package (event scripts, functions, tool) is not installed"
  exit 77
fi
netns_require iptables flock
netns_setup 3 || { fail "namespaces, bridges and cables are set up"; h_finish; }
PUBLIC=()
for i in 121 122 123 124 125 126; do PUBLIC+=("$NS_PUB_NET.$i"); done
h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET.1" "$NS_PRIV_NET.2" "$NS_PRIV_NET.3"
for i in 0 1 2; do
  b=$H_TMP/n$i
  mkdir -p "$b/events/legacy" "$b/scripts"
  cp /etc/ctdb/functions "$b/functions"
  for s in 00.ctdb 10.interface; do ln -s "$DEBIAN_EVENTS/$s.script" "$b/events/legacy/$s.script"; done
  for ip in "${PUBLIC[@]}"; do echo "$ip/24 eth1"; done >"$b/public_addresses"
  H_NS[n$i]=${NS_NODE[$i]}
  # Each node's scripts keep their state in a directory of their own (Debian's default is one
  # per host); PATH finds the stock tool, never ours.
  CTDB_BASE=$b CTDB_SCRIPT_VARDIR=$b/scripts PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    H_OURS_TEST_MODE="" h_start_ours_args "n$i" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" \
    --reclock="$H_TMP/reclock" --event-script-dir="$b/events/legacy"
done
for i in 0 1 2; do h_wait_ping "n$i" || fail "n$i answers ping"; done
h_wait_converged "Debian's scripts: all OK" 120 n0 n1 n2 -- OK OK OK || h_finish

for i in 0 1 2; do
  st=$(CTDB_SOCKET=${H_SOCK[n$i]} "$CTDB_BUILD_DIR/ctdb" scriptstatus 2>&1)
  assert_contains "n$i: 00.ctdb ran OK in the monitor event" "$st" "00.ctdb              Status:OK"
  assert_contains "n$i: 10.interface ran OK in the monitor event" "$st" \
    "10.interface         Status:OK"
done

# consistent: every address on exactly one node's eth1, the node `ctdb ip all` names.
consistent() { netns_consistent "${PUBLIC[@]}"; }
check_consistent() {
  if wait_for consistent 45 0.3; then pass "$1"; else fail "$1" "$DETAIL"; fi
}
check_consistent "10.interface.script: every address on exactly one node's eth1, as ctdb ip says"
for i in 0 1 2; do check "n$i hosts some addresses" [ -n "$(netns_addrs "$i")" ]; done

# ---- moveip: Debian's releaseip on one node, takeip on the other
A=${PUBLIC[0]}
from=$(netns_ip_owner "$A")
to=$(((from + 1) % 3))
h_ctdb n0 moveip "$A" "$to" >/dev/null 2>&1 || fail "ctdb moveip $A $to"
check "moveip: $A is on node $to's eth1 only" wait_for "[ \"\$(netns_hosts_of $A)\" == $to ]" 30 0.2
check_consistent "moveip: consistent"

# ---- a disabled node gives its addresses up; enabled, it takes some back
h_ctdb n2 disable >/dev/null 2>&1 || fail "ctdb disable on n2"
check "disabled: node 2's eth1 has no public address" \
  wait_for '[ -z "$(netns_addrs 2)" ]' 45 0.3
check_consistent "disabled: every address on n0 or n1, as ctdb ip says"
h_ctdb n2 enable >/dev/null 2>&1 || fail "ctdb enable on n2"
h_wait_converged "enabled: all OK" 60 n0 n1 n2 -- OK OK OK
h_ctdb n0 ipreallocate >/dev/null 2>&1
check_consistent "enabled: consistent"

# ---- n1's public cable pulled (no carrier: Debian's script brings a downed interface back up
# itself): its monitor fails, the node is UNHEALTHY (still in the vnnmap) and its addresses
# move away
netns_public_link 1 down
H_VNNMAP_SIZE=3 h_wait_converged "no link on n1: UNHEALTHY" 90 n0 n1 n2 -- OK UNHEALTHY OK
check "no link on n1: none of the addresses is served from n1" wait_for \
  "[ -z \"\$(h_ctdb n0 ip all | awk 'NR > 1 && \$2 == 1')\" ]" 45 0.3
assert_contains "no link on n1: Debian's script says why" "$(cat "${H_LOG[n1]}")" \
  "No link on the public network interface eth1"
netns_public_link 1 up
h_wait_converged "link back on n1: all OK again" 90 n0 n1 n2 -- OK OK OK
h_ctdb n0 ipreallocate >/dev/null 2>&1
check_consistent "link back: consistent"
h_finish
