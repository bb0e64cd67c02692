#!/bin/bash
# Nodes of different Samba versions cannot share a cluster (4.17's keepalive version check): a
# node started as another version (CTDB_TEST_SAMBA_VERSION, 4.17's test override) hears the
# running nodes' keepalives, logs the mismatch and leaves with exit status 0, while the running
# nodes keep going and show it DISCONNECTED. With AllowMixedVersions=1 (from ctdb.tunables in
# CTDB_BASE at start-up, and `ctdb setvar` on the running nodes) the same node joins.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_version_check
DISC='DISCONNECTED[A-Z|]*'
nodes=$H_TMP/v.nodes
h_write_nodes "$nodes" 127.0.9.11 127.0.9.12 127.0.9.13
h_start_ours_args v0 127.0.9.11 "$nodes"
h_start_ours_args v1 127.0.9.12 "$nodes"
h_wait_ping v0 && h_wait_ping v1 || fail "2 nodes answer ping"
h_wait_converged "2 of 3 nodes up: OK OK DISCONNECTED" 60 v0 v1 -- OK OK "$DISC" || h_finish

# ---- a node of another version (4.18) joins: it leaves, the others stay
v418=$(((4 << 16) | 18))
CTDB_TEST_SAMBA_VERSION=$v418 h_start_ours v2 127.0.9.13 "$nodes"
if wait_for '! h_node_running v2' 40 0.5; then
  pass "4.18 node: exits on its own"
else
  fail "4.18 node: exits on its own" "$(tail -n 20 "${H_LOG[v2]}")"
fi
h_stop_node v2
assert_eq "4.18 node: exit status 0, as 4.17" 0 "${H_EXIT[v2]}"
log=$(cat "${H_LOG[v2]}")
assert_contains "4.18 node: logs the mismatch" "$log" \
  "Keepalive version mismatch 0x00040012 != 0x00040011 from node "
assert_contains "4.18 node: logs why it cannot continue" "$log" \
  "CTDB Cluster with mixed versions, cannot continue"
assert_contains "4.18 node: runs its shutdown sequence" "$log" "Shutdown sequence complete"
check "running nodes: both still run" h_node_running v0
check "running nodes: v1 still runs" h_node_running v1
# (The 4.18 node was connected for a moment: the leader may have recovered with it and again
# without it, so the generation may change, as on a 4.17 cluster.)
h_wait_converged "running nodes: OK OK DISCONNECTED, as before" 40 v0 v1 -- OK OK "$DISC"
for n in v0 v1; do
  assert_not_contains "$n: logs no version mismatch of its own" "$(cat "${H_LOG[$n]}")" \
    "cannot continue"
done

# ---- AllowMixedVersions=1 everywhere: the same node joins
for n in v0 v1; do
  h_ctdb "$n" setvar AllowMixedVersions 1 >/dev/null 2>&1 || fail "$n: setvar AllowMixedVersions 1"
done
mkdir -p "$H_TMP/v2.base"
printf '# mixed versions for a rolling upgrade\nAllowMixedVersions=1\n' \
  >"$H_TMP/v2.base/ctdb.tunables"
echo "# ---- restarted at $(date '+%T.%N') ----" >>"${H_LOG[v2]}"
unset "H_EXIT[v2]"
CTDB_BASE=$H_TMP/v2.base CTDB_TEST_SAMBA_VERSION=$v418 h_start_ours v2 127.0.9.13 "$nodes"
h_dedupe_nodes
h_wait_ping v2 || fail "4.18 node with AllowMixedVersions=1 answers ping"
assert_eq "4.18 node: AllowMixedVersions=1 read from CTDB_BASE/ctdb.tunables" \
  "AllowMixedVersions         = 1" "$(h_ctdb v2 getvar AllowMixedVersions 2>&1)"
h_wait_converged "AllowMixedVersions=1: all 3 OK" 60 v0 v1 v2 -- OK OK OK
check "AllowMixedVersions=1: the 4.18 node is still running" h_node_running v2

# ---- a bad line in ctdb.tunables is logged; the node starts with the other values
h_stop_node v2
printf 'AllowMixedVersions=1\nNoSuchTunable=3\n' >"$H_TMP/v2.base/ctdb.tunables"
unset "H_EXIT[v2]"
CTDB_BASE=$H_TMP/v2.base CTDB_TEST_SAMBA_VERSION=$v418 h_start_ours v2 127.0.9.13 "$nodes"
h_dedupe_nodes
h_wait_ping v2 || fail "node with a bad ctdb.tunables line answers ping"
assert_contains "bad ctdb.tunables line: logged with file and line" "$(cat "${H_LOG[v2]}")" \
  "$H_TMP/v2.base/ctdb.tunables:2: "
assert_eq "bad ctdb.tunables line: the good line still applies" \
  "AllowMixedVersions         = 1" "$(h_ctdb v2 getvar AllowMixedVersions 2>&1)"
h_wait_converged "bad ctdb.tunables line: all 3 OK" 60 v0 v1 v2 -- OK OK OK
h_finish
