#!/bin/bash
# How often the leader of 3 of our nodes starts recoveries, as 4.17 paces them: a recovery that
# fails (a node frozen with SIGSTOP never answers) is retried from the main loop, so attempts
# start at least RecoverInterval apart and never back to back; after a recovery succeeds, the
# next one waits until RerecoveryTimeout has passed. Only lower bounds on gaps are asserted, so
# a slow machine cannot make the test fail. `ctdb recover` (the stock tool) on the leader asks
# for its recovery at once rather than at the main loop's next check.
source "$(dirname "$0")/../lib/harness.sh"

h_init recovery_pacing
H_RECLOCK=$H_TMP/p.reclock
RECOVER_INTERVAL=3
RERECOVERY_TIMEOUT=8
DISC='DISCONNECTED[A-Z|]*'

h_start_ours_cluster p "$H_RECLOCK" 127.0.0.155 127.0.0.156 127.0.0.157 ||
  fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 p0 p1 p2 -- OK OK OK || h_finish
leader=$H_CONVERGED_LEADER
frozen=$(((leader + 1) % 3))
killed=$(((leader + 2) % 3))
h_note "leader pnn $leader; frozen pnn $frozen; killed pnn $killed"

# Short recover timeouts so that attempts fail quickly; a frozen node stays connected for a
# minute (KeepaliveLimit) so that every attempt in the window includes it; no bans.
for n in p0 p1 p2; do
  for v in "RecoverInterval $RECOVER_INTERVAL" "RecoverTimeout 1" \
    "RerecoveryTimeout $RERECOVERY_TIMEOUT" "KeepaliveLimit 60" "EnableBans 0"; do
    # shellcheck disable=SC2086
    h_ctdb "$n" setvar $v >/dev/null 2>&1 || fail "setvar $v on $n"
  done
done

# starts_after SECONDS: epoch times (with fractions) of the leader's "Recovery started" log
# lines at or after SECONDS, one a line.
starts_after() {
  local since=$1 ts
  grep -a 'Recovery started' "${H_LOG[p$leader]}" | while read -r ts _; do
    ts=$(date -d "$ts" +%s.%N) || continue
    awk -v t="$ts" -v s="$since" 'BEGIN { exit !(t >= s) }' && echo "$ts"
  done
}

# min_gap TIMES...: the smallest difference between consecutive times.
min_gap() {
  printf '%s\n' "$@" | awk 'NR > 1 { g = $1 - p; if (m == "" || g < m) m = g } { p = $1 }
    END { printf "%.3f\n", m }'
}

# ---- failing recoveries: freeze one node, kill the other so that the leader needs a recovery
t0=$(date +%s.%N)
kill -STOP "${H_PID[p$frozen]}"
h_kill9_node "p$killed"
if wait_for '[ "$(starts_after "$t0" | wc -l)" -ge 4 ]' 60 0.5; then
  pass "frozen node: the leader retries the failed recovery"
else
  fail "frozen node: the leader retries the failed recovery" \
    "starts: $(starts_after "$t0" | tr '\n' ' ')"
fi
mapfile -t starts < <(starts_after "$t0")
gap=$(min_gap "${starts[@]}")
h_note "${#starts[@]} attempts, smallest gap ${gap}s"
check "frozen node: attempts start >= RecoverInterval ($RECOVER_INTERVAL s) apart (min ${gap}s)" \
  awk -v g="$gap" -v i="$RECOVER_INTERVAL" 'BEGIN { exit !(g >= i - 0.1) }'
failed=$(grep -ac 'Recovery failed' "${H_LOG[p$leader]}")
check "frozen node: the attempts failed ($failed failures logged)" [ "$failed" -ge 3 ]

# ---- the node thaws: the next attempt succeeds without the killed node
kill -CONT "${H_PID[p$frozen]}"
# shellcheck disable=SC2046
h_wait_converged "thawed: recovered without the killed node" 60 \
  $(for i in 0 1 2; do [ "$i" == "$killed" ] || echo "p$i"; done) -- \
  $(for i in 0 1 2; do if [ "$i" == "$killed" ]; then echo "$DISC"; else echo OK; fi; done)

# ---- after a success, a recovery needed at once waits for RerecoveryTimeout
done_line=$(grep -a 'Recovery complete' "${H_LOG[p$leader]}" | tail -n 1)
done_at=$(date -d "${done_line%% *}" +%s.%N)
h_restart_ours "p$killed" || fail "killed node restarted answers ping"
h_wait_converged "killed node back: all OK" 60 p0 p1 p2 -- OK OK OK
mapfile -t after < <(starts_after "$done_at")
if [ "${#after[@]}" -ge 1 ]; then
  wait_s=$(awk -v a="${after[0]}" -v d="$done_at" 'BEGIN { printf "%.3f\n", a - d }')
  check "rejoin: next recovery >= RerecoveryTimeout ($RERECOVERY_TIMEOUT s) later (${wait_s}s)" \
    awk -v g="$wait_s" -v r="$RERECOVERY_TIMEOUT" 'BEGIN { exit !(g >= r - 0.1) }'
else
  fail "rejoin: a recovery ran for the rejoined node" "$(tail -n 20 "${H_LOG[p$leader]}")"
fi

# ---- `ctdb recover` on the leader asks for a recovery at once, not at the main loop's next
# check (4.17's leader finds the recovery mode there, up to RecoverInterval later). The leader's
# log says which: the control's own path logs "recovery mode set to ACTIVE", the main loop's
# check "a node is in recovery mode"; the control always comes first.
recoveries_enabled() {
  local log=${H_LOG[p$leader]} d r
  d=$(grep -an 'Disabling recoveries for' "$log" | tail -n 1 | cut -d: -f1)
  r=$(grep -an 'Reenabling recoveries' "$log" | tail -n 1 | cut -d: -f1)
  [ -z "$d" ] || { [ -n "$r" ] && [ "$r" -gt "$d" ]; }
}
check "the leader's recoveries are enabled again (RerecoveryTimeout passed)" \
  wait_for recoveries_enabled $((RERECOVERY_TIMEOUT + 10))
gen_before=$(h_ctdb "p$leader" status | awk -F: '/^Generation/ { print $2 }')
before=$(grep -ac 'Recovery started' "${H_LOG[p$leader]}")
stock_recover() { H_TOOL=/usr/bin/ctdb H_TOOL_TIMEOUT=20 h_ctdb "p$leader" recover; }
check "stock ctdb recover on the leader returns within 20 s" stock_recover
after_count=$(grep -ac 'Recovery started' "${H_LOG[p$leader]}")
check "the leader ran one recovery for it" [ "$after_count" == $((before + 1)) ]
check "it was asked for by the recovery mode" \
  grep -aq 'Recovery needed: recovery mode set to ACTIVE' "${H_LOG[p$leader]}"
h_wait_converged "after ctdb recover: all OK" 20 p0 p1 p2 -- OK OK OK
gen_after=$(h_ctdb "p$leader" status | awk -F: '/^Generation/ { print $2 }')
check "the generation changed ($gen_before -> $gen_after)" [ "$gen_before" != "$gen_after" ]

h_finish
