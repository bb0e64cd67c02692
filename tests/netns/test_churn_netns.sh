#!/bin/bash
# Churn: five of our nodes in network namespaces sharing a recovery lock, and a history check
# of persistent-database transactions (tests/tools/ctdb_churn_checker.cpp).
#
# First a scripted case: a client holds the transaction lock on a node that is frozen
# (SIGSTOP) past the keepalive limit, a client elsewhere commits meanwhile, then the frozen
# node goes on and its client commits what it read before.
# Then, for CHURN_SECONDS (default 600), a random node is hit every 5-20 s (seeded: CHURN_SEED
# replays the choices) by one of: kill -9 then restart, SIGSTOP then SIGCONT, its private cable
# pulled then put back, its outgoing packets dropped by nftables then let through, a clean
# restart (SIGTERM, start), while CHURN_WORKERS (2) clients per node increment counters in
# transactions and log every attempt. Afterwards every fault is healed and the test asserts
# what a user relies on: the cluster converges (all OK, one generation, one leader), every
# client makes progress again, and the history checker finds every acknowledged increment on
# every node, none applied twice, and no two nodes differing.
#
# The driver faults one node at a time and heals it before picking the next, but does not wait
# for the cluster to converge in between: a node just healed may still be rejoining when the
# next fault hits another, so at most two of the five nodes are out at once (a minority, and
# the recovery lock keeps a single leader). Recoveries that overlap faults are part of the test.
NS_PRIV_NET=192.168.214
NS_PUB_NET=10.214.0
NS_PREFIX=ctchurn$$
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/netns.sh"

h_init churn_netns
netns_require
CHECKER=$CTDB_BUILD_DIR/ctdb_churn_checker
[ -x "$CHECKER" ] || { fail "the history checker is built ($CHECKER)"; h_finish; }
N=5
DURATION=${CHURN_SECONDS:-600}
SEED=${CHURN_SEED:-$(((RANDOM << 15) | RANDOM))}
KEYS=3
DB=churn.tdb
h_note "CHURN_SEED=$SEED CHURN_SECONDS=$DURATION (set CHURN_SEED=$SEED to replay the faults)"
RANDOM=$SEED

netns_setup "$N" || { fail "namespaces, bridges and cables are set up"; h_finish; }
ADDRS=()
for ((i = 0; i < N; i++)); do ADDRS+=("$NS_PRIV_NET.$((i + 1))"); done
h_write_nodes "$H_TMP/nodes" "${ADDRS[@]}"
NAMES=()
for ((i = 0; i < N; i++)); do
  NAMES+=("n$i")
  H_NS[n$i]=${NS_NODE[$i]}
  h_start_ours_args "n$i" "${ADDRS[$i]}" "$H_TMP/nodes" --reclock="$H_TMP/reclock"
done
for n in "${NAMES[@]}"; do h_wait_ping "$n" || fail "$n answers ping"; done
ALL_OK=()
for n in "${NAMES[@]}"; do ALL_OK+=(OK); done
h_wait_converged "start: all $N nodes OK" 120 "${NAMES[@]}" -- "${ALL_OK[@]}" || h_finish
check "the persistent database $DB is attached" h_ctdb n0 attach "$DB" persistent
for n in "${NAMES[@]}"; do
  check "$n has $DB" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$DB '" 30 0.2
done

# run_checker LABEL: dumps every node's copy and runs the history check on all histories so far.
run_checker() {
  local label=$1 n states=() rc
  for n in "${NAMES[@]}"; do
    if "$CHECKER" dump "${H_SOCK[$n]}" "$DB" >"$H_TMP/state.$n" 2>"$H_TMP/dump.$n.err"; then
      states+=("$n=$H_TMP/state.$n")
    else
      fail "$label: $DB can be read on $n" "$(cat "$H_TMP/dump.$n.err")"
    fi
  done
  "$CHECKER" check "$H_TMP"/history.* -- "${states[@]}" >"$H_TMP/check.out" 2>&1
  rc=$?
  sed 's/^/# /' "$H_TMP/check.out" | head -n 60
  assert_eq "$label: the history checker finds no lost, duplicated or diverging increment" 0 "$rc"
}

# ---- first, deterministically: a client holds the transaction lock (g_lock) on node V when V
# is frozen past the keepalive limit. The others recover without V; V's copy of the lock
# record, the newest, is out with it, so a client on another node takes the lock and commits.
# Then V goes on and its client commits what it read before: one commit behind, with the same
# sequence number + 1 as the database now has. It must not be acknowledged unless it is in.
# Not the leader: a frozen leader's lock holder keeps the recovery lock, so nobody would lead
# (cluster/test_split_brain.sh).
leader=$(h_ctdb n0 leader)
vi=$(((leader + 1) % N))
V=n$vi
O=n$(((vi + 1) % N))
DISC='DISCONNECTED[A-Z|]*'
WITHOUT_V=("${ALL_OK[@]}")
WITHOUT_V[vi]=$DISC
OTHERS=()
for n in "${NAMES[@]}"; do [ "$n" == "$V" ] || OTHERS+=("$n"); done
for n in "${NAMES[@]}"; do  # the lock record visits every node
  "$CHECKER" hold "${H_SOCK[$n]}" "$DB" "pre.$n" counter-0 0 "$H_TMP/history.pre" >/dev/null ||
    fail "an increment on $n is acknowledged"
done
setsid "$CHECKER" hold "${H_SOCK[$V]}" "$DB" stale.1 counter-0 3000 "$H_TMP/history.stale" \
  </dev/null >"$H_TMP/holder.out" 2>&1 &
h_track_pid "$!"
check "a client on $V holds the transaction lock" \
  wait_for "grep -qx locked $H_TMP/holder.out" 60 0.1
kill -STOP "${H_PID[$V]}"
h_wait_converged "$V frozen: the others recover without it" 90 "${OTHERS[@]}" -- \
  "${WITHOUT_V[@]}"
check "with $V frozen, an increment on $O is acknowledged" \
  timeout 120 "$CHECKER" hold "${H_SOCK[$O]}" "$DB" surv.1 counter-0 0 "$H_TMP/history.surv"
kill -CONT "${H_PID[$V]}"
# The holder prints the client library's messages, then "acknowledged" or "not acknowledged".
if wait_for "grep -q 'acknowledged\$' $H_TMP/holder.out" 180 0.5; then
  pass "$V goes on: its client's commit is answered ($(tail -n 1 "$H_TMP/holder.out"))"
else
  fail "$V goes on: its client's commit is answered" "$(cat "$H_TMP/history.stale")"
fi
sed 's/^/# holder on '"$V"': /' "$H_TMP/holder.out"
h_wait_converged "after the frozen lock holder: all $N nodes OK" 120 "${NAMES[@]}" -- \
  "${ALL_OK[@]}"
run_checker "after the frozen lock holder"

# ---- CHURN_WORKERS (default 2) workers per node, each on its node's socket (Unix sockets reach
# into namespaces); they contend for the database's transaction lock across the cluster.
STOP=$H_TMP/stop-workers
WORKERS=()
declare -A WORKER_PID
for n in "${NAMES[@]}"; do
  for ((w = 0; w < ${CHURN_WORKERS:-2}; w++)); do
    WORKERS+=("$n.$w")
    setsid "$CHECKER" worker "${H_SOCK[$n]}" "$DB" "${n}w$w" "$KEYS" "$STOP" \
      "$H_TMP/history.$n.$w" "$((SEED + 10 * ${n#n} + w))" </dev/null \
      >"$H_TMP/worker.$n.$w.out" 2>&1 &
    WORKER_PID[$n.$w]=$!
    h_track_pid "$!"
  done
done

# acked WORKER: the number of increments WORKER has had acknowledged so far.
acked() {
  local c
  c=$(grep -c '^ok ' "$H_TMP/history.$1" 2>/dev/null)
  echo "${c:-0}"
}
all_acked_more_than() {
  local w
  for w in "${WORKERS[@]}"; do
    [ "$(acked "$w")" -gt "${BEFORE[$w]:-0}" ] || return 1
  done
}
declare -A BEFORE
check "every worker has increments acknowledged before the churn starts" \
  wait_for all_acked_more_than 120 0.5

# ---- the fault driver
NFT_OK=0
ip netns exec "${NS_NODE[0]}" nft list tables >/dev/null 2>&1 && NFT_OK=1
KINDS=(kill9 sigstop partition oneway restart)
ONEWAY_RULES='table inet churn {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "eth0" drop
  }
}'

declare -A FAULTS_DONE
for k in "${KINDS[@]}"; do FAULTS_DONE[$k]=0; done
UNEXPECTED=0

# still_running: every node we did not take down must still run; one that died on its own is a
# failure (its log is kept), and it is started again so that the churn goes on.
still_running() {
  local n
  for n in "${NAMES[@]}"; do
    h_node_running "$n" && continue
    wait "${H_PID[$n]}" 2>/dev/null
    fail "$n died on its own during the churn (exit status $?)" "$(tail -n 20 "${H_LOG[$n]}")"
    UNEXPECTED=$((UNEXPECTED + 1))
    h_restart_ours "$n" || fail "$n starts again after dying"
  done
}

# hold MIN MAX: a random number of seconds in [MIN, MAX].
hold() { echo $(($1 + RANDOM % ($2 - $1 + 1))); }

start_us=$(h_now_us)
end_us=$((start_us + DURATION * 1000000))
nfault=0
while [ "$(h_now_us)" -lt "$end_us" ]; do
  gap=$(hold 5 20)
  victim=$((RANDOM % N))
  kind=${KINDS[$((RANDOM % ${#KINDS[@]}))]}
  d=$(hold 2 10)
  # The pause between faults is the schedule itself (5-20 s), not a wait for a condition.
  sleep "$gap"
  [ "$(h_now_us)" -lt "$end_us" ] || break
  still_running
  [ "$kind" != oneway ] || [ "$NFT_OK" == 1 ] || kind=partition
  nfault=$((nfault + 1))
  v=n$victim
  h_note "t=$((($(h_now_us) - start_us) / 1000000))s fault $nfault: $kind $v (${d}s)" \
    "acked so far: $(cat "$H_TMP"/history.* | grep -c '^ok ')"
  case $kind in
    kill9)
      h_kill9_node "$v"
      sleep "$d"
      h_restart_ours "$v" || fail "fault $nfault: $v starts again after kill -9"
      ;;
    sigstop)
      kill -STOP "${H_PID[$v]}"
      sleep "$d"
      kill -CONT "${H_PID[$v]}"
      ;;
    partition)
      netns_private_link "$victim" down || fail "fault $nfault: $v's private cable is pulled"
      sleep "$d"
      netns_private_link "$victim" up || fail "fault $nfault: $v's private cable is put back"
      ;;
    oneway)
      # The node hears the others but nothing it sends leaves its namespace.
      ip netns exec "${NS_NODE[$victim]}" nft -f - <<<"$ONEWAY_RULES" ||
        fail "fault $nfault: nftables drops $v's packets"
      sleep "$d"
      ip netns exec "${NS_NODE[$victim]}" nft delete table inet churn ||
        fail "fault $nfault: the nftables drop on $v is removed"
      ;;
    restart)
      h_stop_node "$v"
      assert_eq "fault $nfault: $v exits 0 on SIGTERM" 0 "${H_EXIT[$v]}"
      h_restart_ours "$v" || fail "fault $nfault: $v starts again after a clean stop"
      ;;
  esac
  FAULTS_DONE[$kind]=$((FAULTS_DONE[$kind] + 1))
done
still_running
summary=""
for k in "${KINDS[@]}"; do summary+=" $k=${FAULTS_DONE[$k]}"; done
h_note "churn over after $((($(h_now_us) - start_us) / 1000000))s: $nfault faults:$summary"
check "faults were injected ($nfault)" [ "$nfault" -gt 0 ]
assert_eq "no node died on its own during the churn" 0 "$UNEXPECTED"

# ---- everything healed: the cluster converges and every worker makes progress again
h_wait_converged "after the churn: all $N nodes OK, one generation, one leader" 300 \
  "${NAMES[@]}" -- "${ALL_OK[@]}"
for w in "${WORKERS[@]}"; do BEFORE[$w]=$(acked "$w"); done
if wait_for all_acked_more_than 180 0.5; then
  pass "after the churn: every worker has increments acknowledged again"
else
  for w in "${WORKERS[@]}"; do
    [ "$(acked "$w")" -gt "${BEFORE[$w]}" ] ||
      fail "after the churn: worker $w has increments acknowledged again" \
        "$(tail -n 3 "$H_TMP/history.$w")"
  done
fi
touch "$STOP"
for w in "${WORKERS[@]}"; do
  check "worker $w stops when told" wait_for "! h_pid_running ${WORKER_PID[$w]}" 180 0.5
done
h_wait_converged "with the workers stopped: all $N nodes OK" 120 "${NAMES[@]}" -- "${ALL_OK[@]}"

# ---- the history check on every node's copy
run_checker "after the churn"
acked_total=$(cat "$H_TMP"/history.n* | grep -c '^ok ')
check "increments were acknowledged during the run ($acked_total)" [ "$acked_total" -gt 0 ]
h_finish
