#!/bin/bash
# A leader that is stopped, banned or loses the leader role hands leadership over before the
# change shows: when the stock tool's `ctdb stop` / `ban` / `setleaderrole off` returns (stop
# waits until the node shows STOPPED), the node no longer leads, another node holds the recovery
# lock, and `ctdb continue` / `unban` / `setleaderrole on` straight after do not bring leadership
# back. Also without a recovery lock (election messages).
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_leader_handover
H_RECLOCK=$H_TMP/h.reclock
h_start_ours_cluster h "$H_RECLOCK" 127.0.9.31 127.0.9.32 127.0.9.33 || fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 h0 h1 h2 -- OK OK OK || h_finish

# leader_seen_by NAME: the leader node NAME knows of (stock `ctdb leader`).
leader_seen_by() { h_ctdb "$1" leader 2>/dev/null; }

# handover LABEL CHANGE_CMD UNDO_CMD FLAGS_WHILE_CHANGED: CHANGE_CMD (stock tool arguments, run
# on the leader), then what it shows at once; then UNDO_CMD at once and the cluster converges
# with another leader.
handover() {
  local label=$1 change=$2 undo=$3 while_flag=$4 old new i
  h_wait_converged "$label: converged before" 60 h0 h1 h2 -- OK OK OK || return
  old=$H_CONVERGED_LEADER
  # shellcheck disable=SC2086
  h_ctdb "h$old" $change >/dev/null 2>&1 || fail "$label: ctdb $change on leader pnn $old"
  # Right away, with no waiting: the old leader knows another node leads, and it does not
  # hold the lock.
  new=$(leader_seen_by "h$old")
  check "$label: when the tool returns, pnn $old knows another node leads (says $new)" \
    [ -n "$new" ] && [ "$new" != "$old" ]
  check "$label: when the tool returns, pnn $old does not hold the recovery lock" \
    [ "$(h_reclock_holder "$H_RECLOCK")" != "h$old" ]
  if [ -n "$while_flag" ]; then
    assert_contains "$label: pnn $old shows $while_flag" "$(h_node_flags "h$old" "$old")" \
      "$while_flag"
  fi
  # shellcheck disable=SC2086
  h_ctdb "h$old" $undo >/dev/null 2>&1 || fail "$label: ctdb $undo on pnn $old"
  h_wait_converged "$label: all OK again after '$undo'" 60 h0 h1 h2 -- OK OK OK
  check "$label: leadership did not come back to pnn $old (leader $H_CONVERGED_LEADER)" \
    [ "$H_CONVERGED_LEADER" != "$old" ]
  assert_eq "$label: the new leader holds the recovery lock" "h$H_CONVERGED_LEADER" \
    "$(h_reclock_holder "$H_RECLOCK")"
  for i in 0 1 2; do
    check "$label: pnn $i agrees on the leader" [ "$(leader_seen_by "h$i")" == "$H_CONVERGED_LEADER" ]
  done
}

handover "stop" stop continue STOPPED
handover "ban" "ban 60" unban BANNED
handover "leader role" "setleaderrole off" "setleaderrole on" ""

# ---- the same without a recovery lock
h_stop_all
H_NODES=()
h_start_ours_cluster n "" 127.0.9.34 127.0.9.35 127.0.9.36 || fail "3 nodes without a lock"
h_wait_converged "no lock: all OK" 60 n0 n1 n2 -- OK OK OK || h_finish
old=$H_CONVERGED_LEADER
h_ctdb "n$old" stop >/dev/null 2>&1 || fail "no lock: ctdb stop on leader pnn $old"
new=$(leader_seen_by "n$old")
check "no lock, stop: when the tool returns, pnn $old knows another node leads (says $new)" \
  [ -n "$new" ] && [ "$new" != "$old" ]
h_ctdb "n$old" continue >/dev/null 2>&1 || fail "no lock: ctdb continue"
h_wait_converged "no lock: all OK again after continue" 60 n0 n1 n2 -- OK OK OK
check "no lock: leadership did not come back to pnn $old (leader $H_CONVERGED_LEADER)" \
  [ "$H_CONVERGED_LEADER" != "$old" ]
h_finish
