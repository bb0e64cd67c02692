#!/bin/bash
# Split-brain protection by the recovery lock, as the stock `ctdb` tool shows it on 3 of our
# nodes: while the leader is frozen (SIGSTOP) long enough for the others to give up on it, its
# lock holder keeps the recovery lock, so no survivor may claim leadership, and at no sampled
# moment do two running nodes claim it; after SIGCONT the cluster converges on one leader.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_split_brain
H_RECLOCK=$H_TMP/s.reclock
STOP_SECONDS=15

h_start_ours_cluster s "$H_RECLOCK" 127.0.0.121 127.0.0.122 127.0.0.123 ||
  fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 s0 s1 s2 -- OK OK OK || h_finish
leader=$H_CONVERGED_LEADER
assert_eq "start: the leader pnn $leader holds the recovery lock" "s$leader" \
  "$(h_reclock_holder "$H_RECLOCK")"

# sample NODE...: asks each node at the same time who leads (`ctdb leader` prints the pnn whose
# leader broadcast reaches that node, UNKNOWN if none does within the 1 s tool timeout) and
# prints one line "node=answer ...". Each answer names its own node when that node claims.
sample() {
  local n pids=() out=()
  for n in "$@"; do
    h_ctdb "$n" -t 1 leader >"$H_TMP/sample.$n" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  for n in "$@"; do out+=("$n=$(tr -d '\n' <"$H_TMP/sample.$n")"); done
  echo "${out[*]}"
}

# claims LINE: the nodes that name themselves as leader in a sample line.
claims() {
  local w out=()
  for w in $1; do
    [ "s${w#*=}" == "${w%%=*}" ] && out+=("${w%%=*}")
  done
  echo "${out[*]}"
}

survivors=()
for i in 0 1 2; do [ "$i" == "$leader" ] || survivors+=("s$i"); done

kill -STOP "${H_PID[s$leader]}"
h_note "SIGSTOP leader pnn $leader at $(date +%T)"
start=$(h_now_us)
samples=0
double_claims=()
survivor_claims=()
answers=""
while [ $(($(h_now_us) - start)) -lt $((STOP_SECONDS * 1000000)) ]; do
  line=$(sample "${survivors[@]}")
  samples=$((samples + 1))
  answers+="$(((($(h_now_us) - start)) / 1000))ms $line"$'\n'
  c=$(claims "$line")
  [ -z "$c" ] || survivor_claims+=("$line")
  [ "$(wc -w <<<"$c")" -lt 2 ] || double_claims+=("$line")
  holder=$(h_reclock_holder "$H_RECLOCK")
  [ "$holder" == "s$leader" ] || survivor_claims+=("recovery lock held by '$holder'")
  sleep 0.5
done
h_note "$samples samples while pnn $leader was stopped; last: $line"
check "leader stopped: more than 5 samples taken" [ "$samples" -gt 5 ]
for n in "${survivors[@]}"; do
  f=$(h_node_flags "$n" "$leader")
  if [[ "$f" == DISCONNECTED* ]]; then pass "leader stopped: $n shows pnn $leader DISCONNECTED"
  else fail "leader stopped: $n shows pnn $leader DISCONNECTED" "$(h_ctdb "$n" status 2>&1)"; fi
done
assert_eq "leader stopped: no sample with two nodes claiming leadership" "" \
  "${double_claims[*]}"
if [ ${#survivor_claims[@]} == 0 ]; then
  pass "leader stopped: no survivor claims leadership while the stopped node holds the lock"
else
  fail "leader stopped: no survivor claims leadership while the stopped node holds the lock" \
    "${survivor_claims[@]}" "all samples:" "$answers"
fi

kill -CONT "${H_PID[s$leader]}"
h_note "SIGCONT leader pnn $leader at $(date +%T)"
# Until the cluster has converged, keep sampling every node for two claims at once.
double_claims=()
converged=0
start=$(h_now_us)
while [ $(($(h_now_us) - start)) -lt 60000000 ]; do
  line=$(sample s0 s1 s2)
  [ "$(wc -w <<<"$(claims "$line")")" -lt 2 ] || double_claims+=("$line")
  if h_converged s0 s1 s2 -- OK OK OK; then
    converged=1
    break
  fi
  sleep 0.5
done
assert_eq "after SIGCONT: no sample with two nodes claiming leadership" "" "${double_claims[*]}"
if [ "$converged" == 1 ]; then
  pass "after SIGCONT: all OK, one generation, one leader"
else
  fail "after SIGCONT: all OK, one generation, one leader" "$H_CONVERGED_DETAIL"
fi
final=$H_CONVERGED_LEADER
assert_eq "after SIGCONT: every node hears leader $final" "s0=$final s1=$final s2=$final" \
  "$(sample s0 s1 s2)"
assert_eq "after SIGCONT: the leader pnn $final holds the recovery lock" "s$final" \
  "$(h_reclock_holder "$H_RECLOCK")"

h_finish
