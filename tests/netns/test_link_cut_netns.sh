#!/bin/bash
# One broken link: three of our nodes in network namespaces; nftables drops every packet between
# the two nodes that do not lead (both ways), while both still reach the leader. This is what
# `--torture` does at random (it cuts one node's link to one peer), held long enough to see.
#
# What the cluster promises, and what this test asserts:
# * Each end of the broken link shows the other DISCONNECTED; the leader shows all OK.
# * Persistent commits stay serial and complete: sequential clients increment one counter, one
#   end of the broken link, then the other. A commit on one end cannot reach the other end,
#   which still serves clients; 4.17 leaves that node out of the commit, so a client there
#   reads the old value and its commit of the same bytes is taken as done: an acknowledged
#   increment is lost. Ours refuses a commit that cannot reach every node of the vnnmap, and
#   the client says why ("node N is disconnected"). (Calls and migrations that must cross the
#   broken link wait for it, as in 4.17; the test asserts nothing about the leader's commits
#   meanwhile.)
# * When the link is back the ends reconnect within seconds (a connect attempt whose SYN was
#   dropped gets one second, then starts again, as 4.17; left to TCP's backoff it took up to a
#   minute), and each end asks for a recovery, which sends the calls dropped on the link again:
#   all nodes are OK, every client is acknowledged again, and every node holds the same counter
#   and sequence number, with acknowledged <= value <= attempted.
NS_PRIV_NET=192.168.215
NS_PUB_NET=10.215.0
NS_PREFIX=ctcut$$
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/netns.sh"

h_init link_cut_netns
netns_require nft
COUNTER=$CTDB_BUILD_DIR/ctdb_lock_counter
[ -x "$COUNTER" ] || { fail "test client $COUNTER built"; h_finish; }
PDB=cut_pers.tdb
NODES=(n0 n1 n2)

netns_setup 3 || { fail "namespaces, bridges and cables are set up"; h_finish; }
h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET".{1,2,3}
for i in 0 1 2; do
  H_NS[n$i]=${NS_NODE[$i]}
  h_start_ours_args "n$i" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" --reclock="$H_TMP/reclock"
done
for n in "${NODES[@]}"; do h_wait_ping "$n" || fail "$n answers ping"; done
h_wait_converged "start: three nodes OK" 90 "${NODES[@]}" -- OK OK OK || h_finish
# A silent peer is dropped after 3 s instead of 25.
for n in "${NODES[@]}"; do
  h_ctdb "$n" setvar KeepaliveInterval 1 >/dev/null
  h_ctdb "$n" setvar KeepaliveLimit 3 >/dev/null
done
check "attach $PDB persistent" h_ctdb n0 attach "$PDB" persistent
check "$PDB attached on every node" \
  wait_for '! for n in n0 n1 n2; do h_ctdb $n getdbmap | grep -q "name:$PDB " || echo x; done | grep -q x' 30 0.2

leader=$H_CONVERGED_LEADER
ends=()
for p in 0 1 2; do [ "$p" == "$leader" ] || ends+=("$p"); done
a=${ends[0]} b=${ends[1]}
h_note "leader pnn $leader; the link between pnn $a and pnn $b is cut"

# Every attempt appends "NODE KEY RC" to $H_TMP/attempts.
ATTEMPTS=$H_TMP/attempts
: >"$ATTEMPTS"
increment() {
  local rc
  timeout -k 2 40 "$COUNTER" -p "${H_SOCK[n$1]}" "$PDB" pc 1 >/dev/null 2>>"$ATTEMPTS.err"
  rc=$?
  echo "n$1 pc $rc $2" >>"$ATTEMPTS"
}
acked() { awk -v p="$1" '$3 == 0 && $4 == p' "$ATTEMPTS" | wc -l; }
acked_by() { awk -v n="$1" -v p="$2" '$1 == n && $3 == 0 && $4 == p' "$ATTEMPTS" | wc -l; }
tried_by() { awk -v n="$1" -v p="$2" '$1 == n && $4 == p' "$ATTEMPTS" | wc -l; }

# Before the cut every node commits.
for round in 1 2 3; do for p in 0 1 2; do increment "$p" before; done; done
assert_eq "before the cut: all 9 increments acknowledged" 9 "$(acked before)"

cut_link() {
  local i j
  for i in "$a $b" "$b $a"; do
    read -r i j <<<"$i"
    ip netns exec "${NS_NODE[$i]}" nft -f - <<EOF || return 1
table inet linkcut {
  chain out { type filter hook output priority 0; policy accept; ip daddr $NS_PRIV_NET.$((j + 1)) drop; }
  chain in { type filter hook input priority 0; policy accept; ip saddr $NS_PRIV_NET.$((j + 1)) drop; }
}
EOF
  done
}
heal() {
  local i
  for i in 0 1 2; do ip netns exec "${NS_NODE[$i]}" nft delete table inet linkcut 2>/dev/null; done
  return 0
}
h_on_cleanup heal
# sees NAME PNN STATE: NAME's `ctdb status` shows PNN in STATE (a regex for the flags column).
sees() { h_ctdb "$1" -t 1 status 2>/dev/null | grep -Eq "^pnn:$2 +[^ ]+ +$3"; }

check "nftables rules in place" cut_link
check "pnn $a shows pnn $b DISCONNECTED" wait_for "sees n$a $b DISCONNECTED" 20 0.5
check "pnn $b shows pnn $a DISCONNECTED" wait_for "sees n$b $a DISCONNECTED" 20 0.5
for p in "$a" "$b"; do
  check "the leader shows pnn $p OK" sees "n$leader" "$p" 'OK( |$)'
done
# One end commits, then the other: with 4.17's rule the second reads the old value.
increment "$a" cut
increment "$b" cut
for p in "$a" "$b"; do
  check "pnn $p still shows the other end DISCONNECTED after its commit" \
    sees "n$p" "$([ "$p" == "$a" ] && echo "$b" || echo "$a")" DISCONNECTED
  assert_eq "no commit acknowledged on pnn $p while it cannot reach a node of the vnnmap" 0 \
    "$(acked_by "n$p" cut)"
done
assert_contains "the refused clients were told why" "$(cat "$ATTEMPTS.err")" "is disconnected"

heal
h_wait_converged "after healing (within 30 s: a connect gets a second, then starts again): three nodes OK" 30 "${NODES[@]}" -- OK OK OK
for round in 1 2; do for p in 0 1 2; do increment "$p" after; done; done
assert_eq "after healing: all 6 increments acknowledged" 6 "$(acked after)"

lo=$(awk '$3 == 0' "$ATTEMPTS" | wc -l)
hi=$(wc -l <"$ATTEMPTS")
vals="" seqs=""
for n in "${NODES[@]}"; do
  v=$(timeout 30 "$COUNTER" -p "${H_SOCK[$n]}" "$PDB" pc 0 2>&1)
  vals+="$v "
  seqs+="$(h_ctdb "$n" getdbseqnum "$PDB" 2>/dev/null | awk '{ print $NF }') "
  if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$lo" ] && [ "$v" -le "$hi" ]; then
    pass "pc on $n: $lo acknowledged <= $v <= $hi attempted"
  else
    fail "pc on $n: $lo acknowledged <= value <= $hi attempted" "value: $v"
  fi
done
assert_eq "every node has the same pc ($vals)" 1 "$(tr ' ' '\n' <<<"${vals% }" | sort -u | wc -l)"
assert_eq "every node has the same sequence number ($seqs)" 1 \
  "$(tr ' ' '\n' <<<"${seqs% }" | sort -u | wc -l)"
h_finish
