#!/bin/bash
# Node failures as an administrator sees them through the stock `ctdb` tool, on 3 of our nodes
# sharing a recovery lock: a non-leader killed with SIGKILL shows DISCONNECTED on the others and
# a recovery makes a new generation without it; a node restarted with the same directories
# rejoins; a node frozen with SIGSTOP is DISCONNECTED once its keepalives stop and OK again after
# SIGCONT; killing the leader gives the survivors a new leader that holds the recovery lock.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_failures
H_RECLOCK=$H_TMP/c.reclock
# What `ctdb status` shows for a node this node has no link to.
DISC='DISCONNECTED[A-Z|]*'

h_start_ours_cluster c "$H_RECLOCK" 127.0.0.121 127.0.0.122 127.0.0.123 ||
  fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 c0 c1 c2 -- OK OK OK || h_finish
gen0=$H_CONVERGED_GENERATION
leader=$H_CONVERGED_LEADER
victim=$(((leader + 1) % 3))
other=$(((leader + 2) % 3))
h_note "leader is pnn $leader; generation $gen0; victim pnn $victim"

# flags_with PNN FLAG: OK for every node except PNN, which gets FLAG.
flags_with() {
  local i out=()
  for i in 0 1 2; do
    if [ "$i" == "$1" ]; then out+=("$2"); else out+=(OK); fi
  done
  echo "${out[@]}"
}

# no_pgroup PID: no process of the process group PID remains (helpers of a killed daemon).
no_pgroup() { ! pgrep -g "$1" >/dev/null 2>&1; }

# ---- kill -9 of a node that is not the leader
h_kill9_node "c$victim"
# shellcheck disable=SC2046
h_wait_converged "SIGKILL of pnn $victim: DISCONNECTED on the others, recovered without it" 40 \
  "c$leader" "c$other" -- $(flags_with "$victim" "$DISC")
gen1=$H_CONVERGED_GENERATION
check "SIGKILL of pnn $victim: a new generation ($gen0 -> $gen1)" [ "$gen1" != "$gen0" ]
assert_eq "SIGKILL of pnn $victim: the leader is unchanged" "$leader" "$H_CONVERGED_LEADER"

# ---- restart with the same directories
h_restart_ours "c$victim" || fail "restarted pnn $victim answers ping"
h_wait_converged "restart of pnn $victim: all OK again" 40 c0 c1 c2 -- OK OK OK
gen2=$H_CONVERGED_GENERATION
check "restart of pnn $victim: a new generation ($gen1 -> $gen2)" [ "$gen2" != "$gen1" ]
assert_eq "restart of pnn $victim: the leader is unchanged" "$leader" "$H_CONVERGED_LEADER"

# ---- SIGSTOP: silent but its sockets stay open; only keepalives can tell
kill -STOP "${H_PID[c$victim]}"
stopped_at=$(h_now_us)
if wait_for '[[ "$(h_node_flags c$leader $victim)" == DISCONNECTED* ]] &&
  [[ "$(h_node_flags c$other $victim)" == DISCONNECTED* ]]' 30 0.5; then
  pass "SIGSTOP of pnn $victim: DISCONNECTED on both others"
  h_note "seen DISCONNECTED $((($(h_now_us) - stopped_at) / 1000)) ms after SIGSTOP"
else
  fail "SIGSTOP of pnn $victim: DISCONNECTED on both others" \
    "$(h_ctdb "c$leader" status 2>&1)" "$(h_ctdb "c$other" status 2>&1)"
fi
# shellcheck disable=SC2046
h_wait_converged "SIGSTOP of pnn $victim: survivors recovered without it" 40 \
  "c$leader" "c$other" -- $(flags_with "$victim" "$DISC")
gen3=$H_CONVERGED_GENERATION
check "SIGSTOP of pnn $victim: a new generation ($gen2 -> $gen3)" [ "$gen3" != "$gen2" ]
kill -CONT "${H_PID[c$victim]}"
h_wait_converged "SIGCONT of pnn $victim: all OK again" 40 c0 c1 c2 -- OK OK OK
gen4=$H_CONVERGED_GENERATION
check "SIGCONT of pnn $victim: a new generation ($gen3 -> $gen4)" [ "$gen4" != "$gen3" ]
assert_eq "SIGCONT of pnn $victim: the leader is unchanged" "$leader" "$H_CONVERGED_LEADER"
assert_eq "before killing the leader: pnn $leader holds the recovery lock" "c$leader" \
  "$(h_reclock_holder "$H_RECLOCK")"

# ---- kill -9 of the leader
old_pgid=${H_PID[c$leader]}
h_kill9_node "c$leader"
# shellcheck disable=SC2046
h_wait_converged "SIGKILL of leader pnn $leader: survivors recovered without it" 60 \
  "c$victim" "c$other" -- $(flags_with "$leader" "$DISC")
new_leader=$H_CONVERGED_LEADER
check "SIGKILL of leader pnn $leader: a new leader ($new_leader) among the survivors" \
  [ "$new_leader" == "$victim" -o "$new_leader" == "$other" ]
check "SIGKILL of leader pnn $leader: the killed daemon's lock holder has exited" \
  wait_for "no_pgroup $old_pgid" 10
# The recovery lock is held by the new leader's lock holder, and by nobody else.
if wait_for '[ "$(h_reclock_holder "$H_RECLOCK")" == "c$new_leader" ]' 10 0.2; then
  pass "SIGKILL of leader pnn $leader: the new leader holds the recovery lock"
else
  fail "SIGKILL of leader pnn $leader: the new leader holds the recovery lock" \
    "holder: $(h_reclock_holder "$H_RECLOCK")" "$(cat /proc/locks)"
fi
for n in "c$victim" "c$other"; do
  assert_eq "SIGKILL of leader: getreclock on $n" "$H_RECLOCK" "$(h_ctdb "$n" getreclock 2>&1)"
done

# ---- the old leader comes back: it joins, and leadership stays where the lock is
h_restart_ours "c$leader" || fail "restarted old leader answers ping"
h_wait_converged "restart of old leader pnn $leader: all OK again" 40 c0 c1 c2 -- OK OK OK
assert_eq "restart of old leader: the leader stays pnn $new_leader" "$new_leader" \
  "$H_CONVERGED_LEADER"
assert_eq "restart of old leader: pnn $new_leader still holds the recovery lock" \
  "c$new_leader" "$(h_reclock_holder "$H_RECLOCK")"

# ---- `ctdb stop` of the leader: the command succeeds (its closing takeover run too), the
# stopped node steps down, and another node leads and holds the lock; continue brings it back.
stopped=$new_leader
stop_at=$(h_now_us)
check "ctdb stop of leader pnn $stopped" h_ctdb "c$stopped" stop
rest=()
for i in 0 1 2; do [ "$i" == "$stopped" ] || rest+=("c$i"); done
h_wait_converged "leader pnn $stopped stopped: the others agree on a leader without it" 30 \
  "${rest[@]}" -- $(flags_with "$stopped" 'STOPPED[A-Z|]*')
h_note "a new leader $((($(h_now_us) - stop_at) / 1000)) ms after stop"
check "leader pnn $stopped stopped: the new leader (pnn $H_CONVERGED_LEADER) is another node" \
  [ "$H_CONVERGED_LEADER" != "$stopped" ]
wait_for '[ "$(h_reclock_holder "$H_RECLOCK")" == "c$H_CONVERGED_LEADER" ]' 10 0.2
assert_eq "leader pnn $stopped stopped: the new leader holds the recovery lock" \
  "c$H_CONVERGED_LEADER" "$(h_reclock_holder "$H_RECLOCK")"
check "ctdb continue of pnn $stopped" h_ctdb "c$stopped" continue
h_wait_converged "pnn $stopped continued: all OK" 40 c0 c1 c2 -- OK OK OK

h_finish
