#!/bin/bash
# Cluster start-up as an administrator sees it through the stock `ctdb` tool: 3 and then 5 of
# our nodes sharing a recovery lock all reach OK, leave recovery, agree on one generation and
# one leader (the holder of the recovery lock), and have every node as lmaster in the vnnmap.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_startup

# check_cluster PREFIX COUNT: the assertions of a freshly started cluster of COUNT nodes.
check_cluster() {
  local prefix=$1 count=$2 names=() flags=() i n
  for ((i = 0; i < count; i++)); do
    names+=("$prefix$i")
    flags+=(OK)
  done
  h_wait_converged "$count nodes: all OK, recovery NORMAL, one generation, one leader" 60 \
    "${names[@]}" -- "${flags[@]}" || return
  local leader=$H_CONVERGED_LEADER
  check "$count nodes: leader $leader is a node number" [ "$leader" -ge 0 ] 2>/dev/null &&
    [ "$leader" -lt "$count" ]
  assert_eq "$count nodes: the leader holds the recovery lock" "$prefix$leader" \
    "$(h_reclock_holder "$H_TMP/$prefix.reclock")"
  for n in "${names[@]}"; do
    local st lmasters want
    st=$(h_ctdb "$n" status)
    lmasters=$(sed -n 's/^hash:[0-9]* lmaster:\([0-9]*\)$/\1/p' <<<"$st" | sort -n | tr '\n' ' ')
    want=$(seq 0 $((count - 1)) | tr '\n' ' ')
    assert_eq "$count nodes: vnnmap on $n has every node as lmaster once" "$want" "$lmasters"
    assert_contains "$count nodes: status on $n shows the leader" "$st" "Leader:$leader"
    assert_eq "$count nodes: getreclock on $n" "$H_TMP/$prefix.reclock" "$(h_ctdb "$n" getreclock)"
    assert_eq "$count nodes: runstate on $n" RUNNING "$(h_ctdb "$n" runstate 2>&1)"
  done
  # The stock tool's own view: every node answers for itself and lists every other as OK.
  local nodestatus
  nodestatus=$(h_ctdb "$prefix$((count - 1))" nodestatus all 2>&1)
  assert_eq "$count nodes: nodestatus all exits 0 (all nodes OK)" 0 "$?"
  for ((i = 0; i < count; i++)); do
    assert_contains "$count nodes: nodestatus all lists pnn $i OK" "$nodestatus" "pnn:$i "
  done
}

h_start_ours_cluster t "$H_TMP/t.reclock" 127.0.0.121 127.0.0.122 127.0.0.123 ||
  fail "3 nodes answer ping"
check_cluster t 3
for n in t2 t1 t0; do h_stop_node "$n"; done
for n in t0 t1 t2; do
  assert_eq "3 nodes: $n exits 0 on SIGTERM" 0 "${H_EXIT[$n]}"
done

h_start_ours_cluster f "$H_TMP/f.reclock" 127.0.0.124 127.0.0.125 127.0.0.126 127.0.0.127 \
  127.0.0.128 || fail "5 nodes answer ping"
check_cluster f 5

h_finish
