#!/bin/bash
# The LVS group and its leader as `ctdb lvs leader|list|status` and the seed's `ctdb lvsmaster`
# show them. Without an LVS nodes file the group is every node started with --lvs (the seed);
# with one (4.17's lvs_nodes, CTDB_LVS_NODES) it is the nodes the file names, "follower-only"
# ones never leading. Disabled, stopped, banned and disconnected nodes drop out of the group's
# usable list and the leader moves; the stock tool's own LVS helper, run against our daemons,
# shows the same as our tool.
# The NAT-GW group (`ctdb natgw leader|list|status`, the seed-era `natgwlist`) comes from the
# natgw_nodes file (CTDB_NATGW_NODES, in the environment or the sysconfig) and follows the same
# rules, checked the same way against the stock tool's NAT-GW helper.
source "$(dirname "$0")/../lib/harness.sh"

h_init lvs
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
nodes=$H_TMP/l.nodes
h_write_nodes "$nodes" 127.0.7.1 127.0.7.2 127.0.7.3
# pnn 0 as the seed's init script starts an LVS node (CTDB_LVS_PUBLIC_IP, CTDB_PUBLIC_INTERFACE).
h_start_ours_args l0 127.0.7.1 "$nodes" --reclock="$H_TMP/l.reclock" --lvs \
  --single-public-ip=127.0.7.100 --public-interface=lo
h_start_ours_args l1 127.0.7.2 "$nodes" --reclock="$H_TMP/l.reclock" --lvs
h_start_ours_args l2 127.0.7.3 "$nodes" --reclock="$H_TMP/l.reclock"
for n in l0 l1 l2; do h_wait_ping "$n" || fail "$n answers ping"; done
h_wait_converged "all OK" 60 l0 l1 l2 -- OK OK OK || h_finish
unset CTDB_LVS_NODES

# lvs NAME ARGS...: our `ctdb lvs ARGS` on NAME; sets OUT, ERR, RC.
lvs() {
  local n=$1
  shift
  run_tool ours "$n" lvs "$@"
}

# ---- the seed's form: nodes 0 and 1 have --lvs
assert_contains "getcapabilities of pnn 0 shows LVS" "$(H_TOOL=$OURS_TOOL h_ctdb l0 -X getcapabilities)" "|1|1|"
run_tool stock l0 ifaces
assert_eq "the single public address's interface is listed, link up (stock tool)" \
  $'Interfaces on node 0\nname:lo link:up references:0' "$OUT"
lvs l2 list
assert_eq "lvs list: the two --lvs nodes" $'0 127.0.7.1\n1 127.0.7.2' "$OUT"
run_tool ours l2 lvs
assert_eq "the seed's bare lvs: the set as PNN:IP, exit 0" $'0|0:127.0.7.1\n1:127.0.7.2' "$RC|$OUT"
lvs l2 leader
assert_eq "lvs leader: pnn 0" "0" "$OUT"
run_tool ours l2 lvsmaster
assert_eq "lvsmaster: node 0" "Node 0 is LVS master" "$OUT"
lvs l2 status
assert_eq "lvs status: the two --lvs nodes, OK" $'pnn:0 127.0.7.1 OK\npnn:1 127.0.7.2 OK' \
  "$(tr -s ' ' <<<"$OUT")"
lvs l1 status
assert_contains "lvs status on pnn 1 marks it" "$OUT" "OK (THIS NODE)"

# leader_is NAME WANT: our `ctdb lvs leader` on NAME prints WANT (empty: nothing, exit 255).
leader_is() {
  lvs "$1" leader
  if [ -z "$2" ]; then [ -z "$OUT" ] && [ "$RC" == 255 ]; else [ "$OUT" == "$2" ] && [ "$RC" == 0 ]; fi
}

H_TOOL=$OURS_TOOL h_ctdb l0 disable >/dev/null
check "pnn 0 disabled: pnn 1 leads" wait_for "leader_is l2 1" 30 0.2
lvs l2 list
assert_eq "pnn 0 disabled: only pnn 1 listed" "1 127.0.7.2" "$OUT"
run_tool ours l2 lvs
assert_eq "pnn 0 disabled: the seed's lvs lists pnn 1 only" "1:127.0.7.2" "$OUT"
H_TOOL=$OURS_TOOL h_ctdb l0 enable >/dev/null
check "pnn 0 enabled: it leads again" wait_for "leader_is l2 0" 30 0.2

H_TOOL=$OURS_TOOL h_ctdb l0 stop >/dev/null
check "pnn 0 stopped: pnn 1 leads" wait_for "leader_is l2 1" 30 0.2
H_TOOL=$OURS_TOOL h_ctdb l0 continue >/dev/null
check "pnn 0 continued: it leads again" wait_for "leader_is l2 0" 30 0.2

H_TOOL=$OURS_TOOL h_ctdb l1 ban 300 >/dev/null
H_TOOL=$OURS_TOOL h_ctdb l0 stop >/dev/null
check "pnn 1 banned, pnn 0 stopped: no leader (exit 255, no output)" wait_for "leader_is l2 ''" 30 0.2
run_tool ours l2 lvsmaster
assert_eq "lvsmaster: none" "There is no LVS master" "$OUT"
lvs l2 list
assert_eq "no usable node: empty list, exit 0" "0:" "$RC:$OUT"
H_TOOL=$OURS_TOOL h_ctdb l1 unban >/dev/null
H_TOOL=$OURS_TOOL h_ctdb l0 continue >/dev/null
h_wait_converged "all OK again" 60 l0 l1 l2 -- OK OK OK

h_kill9_node l0
check "pnn 0 killed: pnn 1 leads" wait_for "leader_is l2 1" 30 0.2
lvs l2 status
assert_eq "lvs status: the live --lvs node only" "1" "$(grep -c '^pnn:' <<<"$OUT")"
h_restart_ours l0 || fail "l0 restarts"
h_wait_converged "pnn 0 back" 60 l0 l1 l2 -- OK OK OK

# ---- 4.17's form: an lvs_nodes file names pnn 2 and pnn 1 (follower-only)
lvsfile=$H_TMP/lvs_nodes
printf '# the LVS group\n127.0.7.3\n127.0.7.2 follower-only\n' >"$lvsfile"
export CTDB_LVS_NODES=$lvsfile
lvs l0 list
assert_eq "file: lvs list names the file's nodes" $'1 127.0.7.2\n2 127.0.7.3' "$OUT"
lvs l0 leader
assert_eq "file: the follower-only node never leads" "2" "$OUT"
H_TOOL=$OURS_TOOL h_ctdb l2 stop >/dev/null
check "file: pnn 2 stopped, no leader" wait_for "leader_is l0 ''" 30 0.2
lvs l0 list
assert_eq "file: pnn 2 stopped, pnn 1 still serves" "1 127.0.7.2" "$OUT"

# same_as_stock LABEL NAME CMD: `ctdb CMD leader|list|status` (lvs, natgw) on NAME print the same
# and exit the same with the stock tool (which runs 4.17's helper for CMD) as with ours.
same_as_stock() {
  local sub o_out o_rc
  for sub in leader list status; do
    run_tool ours "$2" "$3" "$sub"
    o_out=$OUT o_rc=$RC
    run_tool stock "$2" "$3" "$sub"
    assert_eq "$1: stock tool's $3 $sub equals ours" "$o_rc:$o_out" "$RC:$OUT"
  done
}

# The stock tool's helper reads the same file through `ctdb -X nodestatus all` on our daemon.
for n in l0 l1 l2; do cp /etc/ctdb/functions "${H_DIR[$n]}/" 2>/dev/null; done
same_as_stock "file, pnn 2 stopped" l0 lvs
H_TOOL=$OURS_TOOL h_ctdb l2 continue >/dev/null
check "file: pnn 2 continued, it leads" wait_for "leader_is l0 2" 30 0.2
same_as_stock "file, all OK" l0 lvs

printf '127.0.7.3 leader-please\n' >"$lvsfile"
lvs l0 list
assert_eq "file: a bad option is an error (exit 10)" "10" "$RC"
assert_contains "file: the error names the file and line" "$ERR" "$lvsfile:1: invalid line"
check "the daemon is still up" h_wait_ping l0
unset CTDB_LVS_NODES

# ---- NAT-GW: pnn 1 follower-only
natgw() {
  local n=$1
  shift
  run_tool ours "$n" natgw "$@"
}
natgwfile=$H_TMP/natgw_nodes
export CTDB_NATGW_NODES=$natgwfile
natgw l0 leader
assert_eq "natgw: no nodes file is an error (exit 1)" "1:" "$RC:$OUT"
assert_eq "natgw: the error names the file" \
  "ctdb natgw: NAT gateway nodes file \"$natgwfile\" not found" "$ERR"
printf '127.0.7.1\n127.0.7.2 follower-only\n127.0.7.3\n' >"$natgwfile"
natgw l2 leader
assert_eq "natgw leader: pnn 0 with its address" "0:0 127.0.7.1" "$RC:$OUT"
natgw l2 list
assert_eq "natgw list: the file's nodes, the leader annotated" \
  $'127.0.7.1\tLEADER\n127.0.7.2\tfollower-only\n127.0.7.3' "$OUT"
natgw l2 status
assert_eq "natgw status: the group's nodes" \
  $'pnn:0 127.0.7.1 OK\npnn:1 127.0.7.2 OK\npnn:2 127.0.7.3 OK (THIS NODE)' "$(tr -s ' ' <<<"$OUT")"
run_tool ours l2 natgwlist
assert_eq "natgwlist (seed era): the gateway, then the group as ctdb status shows it" \
  $'0 127.0.7.1\nNumber of nodes:3\npnn:0 127.0.7.1 OK\npnn:1 127.0.7.2 OK\npnn:2 127.0.7.3 OK (THIS NODE)' \
  "$(tr -s ' ' <<<"$OUT")"

same_as_stock "natgw, all OK" l2 natgw

# natgw_leader_is NAME WANT: `ctdb natgw leader` on NAME prints WANT (empty: nothing, exit 2).
natgw_leader_is() {
  natgw "$1" leader
  if [ -z "$2" ]; then [ -z "$OUT" ] && [ "$RC" == 2 ]; else [ "$OUT" == "$2" ] && [ "$RC" == 0 ]; fi
}
H_TOOL=$OURS_TOOL h_ctdb l0 disable >/dev/null
check "natgw: pnn 0 disabled, pnn 2 (not the follower-only pnn 1) leads" \
  wait_for "natgw_leader_is l2 '2 127.0.7.3'" 30 0.2
same_as_stock "natgw, pnn 0 disabled" l2 natgw
H_TOOL=$OURS_TOOL h_ctdb l2 stop >/dev/null
check "natgw: pnn 0 disabled and pnn 2 stopped, no gateway (exit 2, no output)" \
  wait_for "natgw_leader_is l1 ''" 30 0.2
natgw l1 list
assert_eq "natgw list without a gateway: nothing annotated" \
  $'127.0.7.1\n127.0.7.2\tfollower-only\n127.0.7.3' "$OUT"
run_tool ours l1 natgwlist
assert_eq "natgwlist without a gateway: -1 0.0.0.0" "-1 0.0.0.0" "$(head -1 <<<"$OUT")"
H_TOOL=$OURS_TOOL h_ctdb l2 continue >/dev/null
H_TOOL=$OURS_TOOL h_ctdb l0 enable >/dev/null
check "natgw: pnn 0 enabled again leads" wait_for "natgw_leader_is l1 '0 127.0.7.1'" 30 0.2

# Two groups in one cluster (a node in one group only): pnn 0 and 1, and pnn 2 alone.
printf '127.0.7.1\n127.0.7.2 follower-only\n' >"$natgwfile"
printf '127.0.7.3\n' >"$H_TMP/natgw_nodes.b"
CTDB_NATGW_NODES=$H_TMP/natgw_nodes.b run_tool ours l2 natgw leader
assert_eq "natgw, second group: pnn 2 is its gateway" "0:2 127.0.7.3" "$RC:$OUT"
natgw l0 leader
assert_eq "natgw, first group: pnn 0 its gateway" "0:0 127.0.7.1" "$RC:$OUT"
natgw l0 status
assert_eq "natgw, first group: status lists its two nodes only" "2" "$(grep -c '^pnn:' <<<"$OUT")"

# The file named in the sysconfig, as the event script and an admin running the tool see it.
unset CTDB_NATGW_NODES
printf '127.0.7.3\n' >"$H_TMP/natgw_nodes.2"
printf '# NAT-GW\nCTDB_NATGW_NODES="%s"\n' "$H_TMP/natgw_nodes.2" >"$H_TMP/sysconfig"
natgw_sysconfig() { CTDB_SYSCONFIG=$H_TMP/sysconfig run_tool ours l0 natgw leader; }
natgw_sysconfig
assert_eq "natgw: CTDB_NATGW_NODES from the sysconfig" "0:2 127.0.7.3" "$RC:$OUT"
printf '127.0.7.3 gateway\n' >"$H_TMP/natgw_nodes.2"
natgw_sysconfig
assert_eq "natgw: a bad option is an error (exit 1)" "1" "$RC"
assert_contains "natgw: the error names the file and line" "$ERR" "natgw_nodes.2:1: invalid line"
check "the daemon is still up" h_wait_ping l0

h_finish
