#!/bin/bash
# The recovery lock holder re-checks the lock file (--reclock-recheck-interval, 4.17's fcntl
# helper's second argument): on 3 of our nodes with a 1-second interval,
# - removing the lock file makes the leader notice, step down, and the cluster elect a leader
#   that locks a new lock file and recovers to a new generation;
# - moving the lock file's directory away leaves the cluster without a leader (logged: the lock
#   cannot be taken) until the directory comes back, then a leader holds the lock again and a
#   recovery makes a new generation.
# - the lock held by a process outside the cluster: no node leads, the nodes log that the lock
#   is held with no leader heard, and once that process lets go a node takes the lock;
# - the lock path unusable (a directory): no node leads, the nodes log why (open: Is a
#   directory), and once it is a file again a node leads.
# Throughout, no two nodes ever claim to lead at the same time.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_reclock_faults
LOCKDIR=$H_TMP/shared
mkdir -p "$LOCKDIR"
LOCK=$LOCKDIR/cluster.lock
nodes=$H_TMP/r.nodes
h_write_nodes "$nodes" 127.0.9.41 127.0.9.42 127.0.9.43
for i in 0 1 2; do
  h_start_ours_args "r$i" "127.0.9.4$((i + 1))" "$nodes" --reclock="$LOCK" \
    --reclock-recheck-interval=1
done
for i in 0 1 2; do h_wait_ping "r$i" || fail "r$i answers ping"; done
h_wait_converged "start: all OK" 60 r0 r1 r2 -- OK OK OK || h_finish
gen0=$H_CONVERGED_GENERATION
old=$H_CONVERGED_LEADER
assert_eq "start: the leader holds the lock" "r$old" "$(h_reclock_holder "$LOCK")"

# claims: the nodes that say they lead themselves (`ctdb leader` on each answers its own pnn).
claims() {
  local i out=()
  for i in 0 1 2; do
    [ "$(H_TOOL_TIMEOUT=3 h_ctdb "r$i" -t 2 leader 2>/dev/null)" == "$i" ] && out+=("$i")
  done
  echo "${out[*]}"
}
# watch_claims SECONDS: polls claims() for SECONDS (or until converged with a new generation);
# sets MAX_CLAIMS to the most nodes ever claiming at once.
watch_claims() {
  local until=$(($(date +%s) + $1)) c n
  MAX_CLAIMS=0
  while [ "$(date +%s)" -lt "$until" ]; do
    c=$(claims)
    n=$(wc -w <<<"$c")
    [ "$n" -le "$MAX_CLAIMS" ] || MAX_CLAIMS=$n
    [ "$n" -gt 1 ] && h_note "two leaders: $c"
    if h_converged r0 r1 r2 -- OK OK OK && [ "$H_CONVERGED_GENERATION" != "$GEN_BEFORE" ]; then
      return 0
    fi
  done
  return 1
}

# no_leader_for LABEL: no node claims to lead, now and for the next few seconds.
no_leader_for() {
  check "$1: no node leads" wait_for '[ -z "$(claims)" ]' 30 0.5
  check "$1: still no node leads a few seconds later" eval '! wait_for "[ -n \"\$(claims)\" ]" 8 1'
}

# ---- the lock file removed
rm -f "$LOCK"
GEN_BEFORE=$gen0
check "lock file removed: the cluster recovers to a new generation" watch_claims 60
check "lock file removed: never two leaders at once (at most $MAX_CLAIMS)" [ "$MAX_CLAIMS" -le 1 ]
assert_contains "lock file removed: pnn $old noticed and stepped down" \
  "$(cat "${H_LOG[r$old]}")" "Giving up leadership: recovery lock lost"
check "lock file removed: a new lock file exists" [ -e "$LOCK" ]
h_wait_converged "lock file removed: all OK" 30 r0 r1 r2 -- OK OK OK
gen1=$H_CONVERGED_GENERATION
assert_eq "lock file removed: the leader holds the new lock file" "r$H_CONVERGED_LEADER" \
  "$(h_reclock_holder "$LOCK")"

# ---- the lock file's directory moved away, then back
old=$H_CONVERGED_LEADER
lost_lines() { grep -c 'Giving up leadership: recovery lock lost' "${H_LOG[r$old]}"; }
lost_before=$(lost_lines)
mv "$LOCKDIR" "$LOCKDIR.away"
check "directory moved away: pnn $old steps down" wait_for '[ "$(lost_lines)" -gt "$lost_before" ]' 30 0.5
check "directory moved away: the nodes log that the lock cannot be taken" \
  wait_for "grep -q 'Unable to take recovery lock $LOCK' ${H_LOG[r0]} ${H_LOG[r1]} ${H_LOG[r2]}" \
  30 0.5
no_leader_for "directory moved away"
mv "$LOCKDIR.away" "$LOCKDIR"
GEN_BEFORE=$gen1
check "directory back: the cluster recovers to a new generation" watch_claims 60
check "directory back: never two leaders at once (at most $MAX_CLAIMS)" [ "$MAX_CLAIMS" -le 1 ]
h_wait_converged "directory back: all OK" 30 r0 r1 r2 -- OK OK OK
assert_eq "directory back: the leader holds the lock" "r$H_CONVERGED_LEADER" \
  "$(h_reclock_holder "$LOCK")"

# ---- the lock held by a process outside the cluster
gen2=$H_CONVERGED_GENERATION
mv "$LOCKDIR" "$LOCKDIR.away"
mkdir -p "$LOCKDIR"
cat >"$H_TMP/outside.py" <<'PYEOF'
# outside.py LOCK READY: locks LOCK's first byte as the nodes do, creates READY, holds it until
# stdin closes.
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 1, 0))
open(sys.argv[2], "w").close()
sys.stdin.read()
PYEOF
mkfifo "$H_TMP/outside.in"
python3 "$H_TMP/outside.py" "$LOCK" "$H_TMP/outside.ready" <"$H_TMP/outside.in" &
outside=$!
h_track_pid "$outside"
exec 7>"$H_TMP/outside.in"
check "an outside process holds the lock" wait_for "[ -e $H_TMP/outside.ready ]" 10
rm -rf "$LOCKDIR.away"
no_leader_for "lock held outside the cluster"
check "lock held outside the cluster: the nodes say so" \
  wait_for "grep -q 'Recovery lock $LOCK is held, but no node leads' ${H_LOG[r0]} ${H_LOG[r1]} ${H_LOG[r2]}" 40 0.5
exec 7>&-
check "the outside process let go" wait_for "! h_pid_running $outside" 10
GEN_BEFORE=$gen2
check "outside holder gone: the cluster recovers to a new generation" watch_claims 60
check "outside holder gone: never two leaders at once (at most $MAX_CLAIMS)" [ "$MAX_CLAIMS" -le 1 ]
h_wait_converged "outside holder gone: all OK" 30 r0 r1 r2 -- OK OK OK
assert_eq "outside holder gone: the leader holds the lock" "r$H_CONVERGED_LEADER" \
  "$(h_reclock_holder "$LOCK")"

# ---- the lock path unusable
gen3=$H_CONVERGED_GENERATION
rm -f "$LOCK"
mkdir "$LOCK"
no_leader_for "lock path a directory"
check "lock path a directory: the nodes log why" \
  wait_for "grep -q 'Unable to take recovery lock $LOCK: open: Is a directory' ${H_LOG[r0]} ${H_LOG[r1]} ${H_LOG[r2]}" 30 0.5
rmdir "$LOCK"
GEN_BEFORE=$gen3
check "lock path a file again: the cluster recovers to a new generation" watch_claims 60
h_wait_converged "lock path a file again: all OK" 30 r0 r1 r2 -- OK OK OK
assert_eq "lock path a file again: the leader holds the lock" "r$H_CONVERGED_LEADER" \
  "$(h_reclock_holder "$LOCK")"

# ---- a bad interval is refused at start-up
out=$("$H_CTDBD" --reclock="$LOCK" --reclock-recheck-interval=-3 2>&1)
assert_eq "--reclock-recheck-interval=-3: exit 1" 1 "$?"
assert_eq "--reclock-recheck-interval=-3: one clear line" \
  "ctdbd: --reclock-recheck-interval: must be 0 or more seconds, not -3" "$out"
h_finish
