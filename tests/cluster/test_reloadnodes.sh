#!/bin/bash
# `ctdb reloadnodes` on our nodes as 4.17 does it: a 4th node added to every nodes file joins the
# cluster (new generation, 4 vnnmap entries); a node commented out (`#addr`) while still connected
# is refused; once stopped it is DELETED and `ctdb status` hides it; the node can be undeleted
# again. Our tool and the stock tool each do one add/delete cycle. Error cases print 4.17's
# messages and exit codes: nodes files that differ, no change, a removed line, a changed address.
source "$(dirname "$0")/../lib/harness.sh"

h_init reloadnodes
H_RECLOCK=$H_TMP/c.reclock
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
STOCK_TOOL=/usr/bin/ctdb
A=(127.0.0.151 127.0.0.152 127.0.0.153 127.0.0.154)
DISC='DISCONNECTED[A-Z|]*'
# The header of `ctdb -X status`.
XHDR='|Node|IP|Disconnected|Unknown|Banned|Disabled|Unhealthy|Stopped|Inactive|'
XHDR+='PartiallyOnline|ThisNode|'

# expect_tool LABEL WANT_RC WANT_STDOUT WANT_STDERR ours|stock NAME ARGS...
expect_tool() {
  local label=$1 rc=$2 out=$3 err=$4
  shift 4
  run_tool "$@"
  if [ "$RC" == "$rc" ] && [ "$OUT" == "$out" ] && [ "$ERR" == "$err" ]; then
    pass "$label"
  else
    fail "$label" "want rc $rc, stdout [$out], stderr [$err]" \
      "got  rc $RC, stdout [$OUT], stderr [$ERR]"
  fi
}

# set_nodes_files LINE... : the same nodes file on every node started so far.
set_nodes_files() {
  local n
  for n in "${H_NODES[@]}"; do printf '%s\n' "$@" >"${H_DIR[$n]}/nodes"; done
}

# status_header NAME: the first line of `ctdb status` on NAME.
status_header() { h_ctdb "$1" status 2>&1 | head -n 1; }

h_start_ours_cluster c "$H_RECLOCK" "${A[0]}" "${A[1]}" "${A[2]}" || fail "3 nodes answer ping"
h_wait_converged "start: 3 nodes OK" 60 c0 c1 c2 -- OK OK OK || h_finish
gen0=$H_CONVERGED_GENERATION

# ---- nothing to do
for t in ours stock; do
  expect_tool "$t tool: unchanged nodes file" 0 "" \
    "No change in nodes file, skipping unnecessary reload" "$t" c0 reloadnodes
done

# ---- nodes files that differ between nodes
printf '%s\n' "${A[@]}" >"${H_DIR[c1]}/nodes"
for t in ours stock; do
  expect_tool "$t tool: nodes file of node 1 differs" 1 "" \
    "ERROR: Nodes file on node 1 differs from current node (0)" "$t" c0 reloadnodes
  expect_tool "$t tool: nodes file of node 0 differs (run on node 1)" 1 "" \
    "ERROR: Nodes file on node 0 differs from current node (1)" "$t" c1 reloadnodes
done
assert_eq "differing files: still 3 nodes" "Number of nodes:3" "$(status_header c0)"

# ---- cycle 1 (our tool): add 127.0.0.154 as pnn 3
set_nodes_files "${A[@]}"
h_start_ours_args c3 "${A[3]}" "${H_DIR[c0]}/nodes" --reclock="$H_RECLOCK"
h_wait_ping c3 || fail "new node 3 answers ping"
expect_tool "ours tool: add node 3" 0 "Node 3 is NEW" "" ours c0 reloadnodes
h_wait_converged "add node 3 (ours): 4 nodes OK, vnnmap of 4" 60 c0 c1 c2 c3 -- OK OK OK OK
gen1=$H_CONVERGED_GENERATION
check "add node 3 (ours): a new generation ($gen0 -> $gen1)" [ "$gen1" != "$gen0" ]
for n in c0 c1 c2 c3; do
  assert_eq "add node 3 (ours): $n shows 4 nodes" "Number of nodes:4" "$(status_header "$n")"
done
expect_tool "ours tool: nothing new after the add" 0 "" \
  "No change in nodes file, skipping unnecessary reload" ours c2 reloadnodes

# ---- deleting a node that is still connected is refused
set_nodes_files "${A[0]}" "${A[1]}" "${A[2]}" "#${A[3]}"
for t in ours stock; do
  expect_tool "$t tool: delete of connected node 3 refused" 1 "Node 3 is DELETED" \
    "ERROR: Node 3 is still connected
ERROR: Nodes will not be reloaded due to previous error" "$t" c0 reloadnodes
done
h_wait_converged "refused delete: still 4 nodes OK" 30 c0 c1 c2 c3 -- OK OK OK OK

# ---- stop node 3, then delete it
h_stop_node c3
# shellcheck disable=SC2046
h_wait_converged "node 3 stopped: DISCONNECTED, recovered without it" 60 c0 c1 c2 -- \
  OK OK OK "$DISC"
expect_tool "ours tool: delete disconnected node 3" 0 "Node 3 is DELETED" "" ours c0 reloadnodes
h_wait_converged "delete node 3 (ours): cluster OK" 30 c0 c1 c2 -- OK OK OK
for n in c0 c1 c2; do
  st=$(h_ctdb "$n" status 2>&1)
  assert_contains "delete node 3 (ours): $n counts the deleted node" "$st" \
    "Number of nodes:4 (including 1 deleted nodes)"
  assert_not_contains "delete node 3 (ours): $n hides pnn 3" "$st" "pnn:3"
  assert_eq "delete node 3 (ours): $n nodemap (-X status)" \
    "$XHDR
|0|${A[0]}|0|0|0|0|0|0|0|0|$([ "$n" == c0 ] && echo Y || echo N)|
|1|${A[1]}|0|0|0|0|0|0|0|0|$([ "$n" == c1 ] && echo Y || echo N)|
|2|${A[2]}|0|0|0|0|0|0|0|0|$([ "$n" == c2 ] && echo Y || echo N)|" "$(h_ctdb "$n" -X status 2>&1)"
done
assert_eq "delete node 3 (ours): listnodes" "$(printf '%s\n' "${A[0]}" "${A[1]}" "${A[2]}")" \
  "$(h_ctdb c0 listnodes 2>&1)"

# ---- file errors: a removed line, a changed address (a deleted node's address is 0.0.0.0)
set_nodes_files "${A[0]}" "${A[1]}" "${A[2]}"
for t in ours stock; do
  expect_tool "$t tool: line of deleted node 3 removed" 1 "" \
    "Node 3 (0.0.0.0) missing from nodes file
ERROR: Nodes will not be reloaded due to previous error" "$t" c0 reloadnodes
done
set_nodes_files "${A[0]}" "${A[1]}" 127.0.0.155 "#${A[3]}"
for t in ours stock; do
  expect_tool "$t tool: address of node 2 changed" 1 "" \
    "Node 2 has changed IP address (was ${A[2]}, now 127.0.0.155)
ERROR: Nodes will not be reloaded due to previous error" "$t" c0 reloadnodes
done

# ---- cycle 2 (stock tool): undelete node 3, then delete it again
set_nodes_files "${A[@]}"
h_restart_ours c3 || fail "node 3 restarted answers ping"
expect_tool "stock tool: undelete node 3" 0 "Node 3 is UNDELETED" "" stock c1 reloadnodes
h_wait_converged "undelete node 3 (stock): 4 nodes OK, vnnmap of 4" 60 c0 c1 c2 c3 -- \
  OK OK OK OK
gen2=$H_CONVERGED_GENERATION
check "undelete node 3 (stock): a new generation ($gen1 -> $gen2)" [ "$gen2" != "$gen1" ]
assert_eq "undelete node 3 (stock): node 3 shows 4 nodes" "Number of nodes:4" \
  "$(status_header c3)"
h_stop_node c3
# shellcheck disable=SC2046
h_wait_converged "node 3 stopped again: DISCONNECTED" 60 c0 c1 c2 -- OK OK OK "$DISC"
set_nodes_files "${A[0]}" "${A[1]}" "${A[2]}" "#${A[3]}"
expect_tool "stock tool: delete disconnected node 3" 0 "Node 3 is DELETED" "" stock c1 reloadnodes
h_wait_converged "delete node 3 (stock): cluster OK" 30 c0 c1 c2 -- OK OK OK
for n in c0 c1 c2; do
  assert_eq "delete node 3 (stock): $n status header" \
    "Number of nodes:4 (including 1 deleted nodes)" "$(status_header "$n")"
done
expect_tool "stock tool: nothing new after the delete" 0 "" \
  "No change in nodes file, skipping unnecessary reload" stock c2 reloadnodes

h_finish
