#!/bin/bash
# Network partitions: five of our nodes in network namespaces, the recovery lock on a directory
# every namespace shares (the host's filesystem: fcntl locks are host-wide, so the lock really is
# one lock). nftables DROP rules inside the namespaces cut the cluster in two for 30 s, first
# both ways (3 nodes with the lock / 2 without), then one way only (packets from the lock side
# to the other side dropped; the lock side is the 2-node group this time: the lock decides, not
# the head count). Clients on every node keep incrementing counters all the while: persistent
# records in transactions, volatile records under fetch-lock; each attempt is logged with its
# exit status (0: acknowledged; anything else, a timeout included: indeterminate, it may or may
# not have been applied).
#
# What the cluster promises, and what this test asserts:
# * During the partition the side holding the lock has exactly one leader, the lock holder; it
#   converges (its nodes OK, the others DISCONNECTED) and serves: its clients' transactions and
#   fetch-locks are acknowledged, and a record can be deleted there. The other side sees the
#   lock side DISCONNECTED (in the one-way case too: a node that hears nothing from a peer for
#   KeepaliveLimit intervals drops it, as 4.17's ctdb_keepalive.c), has no leader (`ctdb leader`
#   says UNKNOWN: no node broadcasts a leadership) and runs no recovery of its own (its
#   generation stays the one from before the cut); it is in recovery mode, so it acknowledges no
#   persistent transaction and moves no record (as 4.17, whose nodes enter recovery mode at each
#   election attempt).
# * After healing, all five nodes converge (one leader, one generation, all OK) and the clients
#   on both sides are acknowledged again.
# * Persistent records (recovery takes the whole database from the node with the highest
#   __db_sequence_number__): on every node, for every counter, acknowledged <= value <=
#   acknowledged + indeterminate, every node holds the same value and sequence number; a record
#   deleted on the lock side during the partition stays deleted; a commit that started on the
#   other side right after the cut (it held the g_lock when the link went) is never reported as
#   done unless every node has it.
# * Volatile records are caches (4.17 recovery keeps, per record, the copy with the highest
#   RSN of all the nodes it pulls from). A record whose dmaster was on the lock side at the cut
#   is changed only there (the other side cannot migrate it): after healing its value on every
#   node is within [acknowledged, acknowledged + indeterminate] over all attempts. A record
#   whose dmaster was on the other side is still served there to local clients (a fetch-lock
#   of a record this node is dmaster of never reaches the daemon, as in 4.17), while the lock
#   side works from its own older copy: after healing one of the two histories wins and
#   increments acknowledged on the other side during the partition may be gone. For it the test
#   asserts only that every node then agrees and the value is no more than all attempts could
#   make. A volatile record deleted (`ctdb deletekey`) on the lock side and vacuumed away there
#   during the partition does not come back from the older copy a node of the other side kept.
NS_PRIV_NET=192.168.213
NS_PUB_NET=10.213.0
NS_PREFIX=ctpart$$
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/netns.sh"

h_init partition_netns
netns_require nft
COUNTER=$CTDB_BUILD_DIR/ctdb_lock_counter
[ -x "$COUNTER" ] || { fail "test client $COUNTER built"; h_finish; }
PDB=part_pers.tdb
PDB2=part_pers2.tdb  # its g_lock record stays on the other side at the cut
VDB=part_vol.tdb
PART_SECONDS=30
CLIENT_TIMEOUT=6  # seconds one client attempt may take before it counts as indeterminate
NODES=(n0 n1 n2 n3 n4)
ALL_OK=(OK OK OK OK OK)

netns_setup 5 || { fail "namespaces, bridges and cables are set up"; h_finish; }
mkdir -p "$H_TMP/shared"
RECLOCK=$H_TMP/shared/reclock
h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET".{1,2,3,4,5}
for i in 0 1 2 3 4; do
  H_NS[n$i]=${NS_NODE[$i]}
  h_start_ours_args "n$i" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" --reclock="$RECLOCK"
done
for n in "${NODES[@]}"; do h_wait_ping "$n" || fail "$n answers ping"; done
h_wait_converged "start: five nodes OK" 90 "${NODES[@]}" -- "${ALL_OK[@]}" || h_finish
# Deleted volatile records are vacuumed within seconds, so that a deletion during the
# partition really removes the record from the lock side.
for n in "${NODES[@]}"; do h_ctdb "$n" setvar VacuumInterval 2 >/dev/null; done

check "attach $PDB persistent" h_ctdb n0 attach "$PDB" persistent
check "attach $PDB2 persistent" h_ctdb n0 attach "$PDB2" persistent
check "attach $VDB" h_ctdb n0 attach "$VDB"
attached_everywhere() {
  local n
  for n in "${NODES[@]}"; do
    h_ctdb "$n" getdbmap 2>/dev/null | grep -q "name:$PDB " || return 1
    h_ctdb "$n" getdbmap 2>/dev/null | grep -q "name:$VDB " || return 1
    h_ctdb "$n" getdbmap 2>/dev/null | grep -q "name:$PDB2 " || return 1
  done
}
check "both databases attached on every node" wait_for attached_everywhere 30 0.2

# ---- clients
# Every attempt appends "ID KEY RC START_US END_US" to $H_TMP/attempts.
ATTEMPTS=$H_TMP/attempts
: >"$ATTEMPTS"
cat >"$H_TMP/loop.sh" <<'EOF'
# loop.sh NODE SOCKET p|v DB STOPFILE KEY...: one increment of each KEY in turn until STOPFILE.
node=$1 sock=$2 mode=$3 db=$4 stop=$5
shift 5
flag=()
[ "$mode" == p ] && flag=(-p)
seq=0
while [ ! -e "$stop" ]; do
  for key in "$@"; do
    seq=$((seq + 1))
    t0=${EPOCHREALTIME/./}
    timeout -k 2 "$CLIENT_TIMEOUT" "$COUNTER" "${flag[@]}" "$sock" "$db" "$key" 1 \
      >/dev/null 2>>"$ATTEMPTS.err"
    rc=$?
    echo "$node.$mode.$seq $key $rc $t0 ${EPOCHREALTIME/./}" >>"$ATTEMPTS"
    [ -e "$stop" ] && break
  done
done
EOF
export COUNTER ATTEMPTS CLIENT_TIMEOUT
LOOP_PIDS=()
# start_loops MODE DB STOPFILE KEY...: one client loop on every node.
start_loops() {
  local mode=$1 db=$2 stop=$3 n
  shift 3
  for n in "${NODES[@]}"; do
    setsid bash "$H_TMP/loop.sh" "$n" "${H_SOCK[$n]}" "$mode" "$db" "$stop" "$@" </dev/null &
    LOOP_PIDS+=($!)
    h_track_pid $!
  done
}
stop_loops() {
  local stop=$1 p
  touch "$stop"
  for p in "${LOOP_PIDS[@]}"; do
    wait_for "! h_pid_running $p" $((CLIENT_TIMEOUT + 10)) 0.2 || h_kill_pid "$p"
    wait "$p" 2>/dev/null
  done
  LOOP_PIDS=()
}
# once NODE p|v DB KEY: one logged increment (the seeds that place a record's dmaster).
once() {
  local t0=${EPOCHREALTIME/./} rc flag=()
  [ "$2" == p ] && flag=(-p)
  timeout -k 2 "$CLIENT_TIMEOUT" "$COUNTER" "${flag[@]}" "${H_SOCK[$1]}" "$3" "$4" 1 \
    >/dev/null 2>>"$ATTEMPTS.err"
  rc=$?
  echo "seed.$1 $4 $rc $t0 ${EPOCHREALTIME/./}" >>"$ATTEMPTS"
  return $rc
}
# acked KEY / tried KEY: acknowledged / all attempts on KEY so far.
acked() { awk -v k="$1" '$2 == k && $3 == 0' "$ATTEMPTS" | wc -l; }
tried() { awk -v k="$1" '$2 == k' "$ATTEMPTS" | wc -l; }
# acked_on NODES KEY_RE FROM_US TO_US: attempts from those nodes' loops on matching keys that
# started after FROM_US, ended before TO_US and were acknowledged.
acked_on() {
  awk -v nodes=" $1 " -v k="$2" -v from="$3" -v to="$4" '
    { split($1, id, ".") }
    index(nodes, " " id[1] " ") && $2 ~ k && $3 == 0 && $4 >= from && $5 <= to' "$ATTEMPTS" |
    wc -l
}
tried_on() {
  awk -v nodes=" $1 " -v k="$2" -v from="$3" -v to="$4" '
    { split($1, id, ".") }
    index(nodes, " " id[1] " ") && $2 ~ k && $4 >= from && $4 <= to' "$ATTEMPTS" | wc -l
}

pvalue() { timeout 30 "$COUNTER" -p "${H_SOCK[$1]}" "${3:-$PDB}" "$2" 0 2>&1; }
vvalue() { timeout 30 "$COUNTER" "${H_SOCK[$1]}" "$VDB" "$2" 0 2>&1; }
seqnum() { h_ctdb "$1" getdbseqnum "${2:-$PDB}" 2>/dev/null | awk '{ print $NF }'; }
# sample_status NAME: "GENERATION RECMODE LEADER" as `ctdb status` on NAME shows them (the stock
# tool waits its timeout, 1 s here, for a leader broadcast and says UNKNOWN when none comes).
sample_status() {
  h_ctdb "$1" -t 1 status 2>/dev/null | awk -F: '/^Generation:/ { g = $2 }
    /^Recovery mode:/ { split($2, m, " "); r = m[1] } /^Leader:/ { l = $2 }
    END { print (g == "" ? "-" : g), (r == "" ? "-" : r), (l == "" ? "-" : l) }'
}

# ---- the cut
# cut both|oneway "A..." "B...": drop packets between the nodes of A and of B (both ways), or
# only those from A to B, with nftables in the namespaces. heal: remove every rule.
cut() {
  local how=$1 a=$2 b=$3 i j addrs
  for i in $a; do
    addrs=""
    for j in $b; do addrs+="${addrs:+, }$NS_PRIV_NET.$((j + 1))"; done
    ip netns exec "${NS_NODE[$i]}" nft -f - <<EOF || return 1
table inet partition {
  chain out { type filter hook output priority 0; policy accept; ip daddr { $addrs } drop; }
  chain in { type filter hook input priority 0; policy accept;
    $([ "$how" == both ] && echo "ip saddr { $addrs } drop;") }
}
EOF
  done
  [ "$how" == both ] || return 0
  for i in $b; do
    addrs=""
    for j in $a; do addrs+="${addrs:+, }$NS_PRIV_NET.$((j + 1))"; done
    ip netns exec "${NS_NODE[$i]}" nft -f - <<EOF || return 1
table inet partition {
  chain out { type filter hook output priority 0; policy accept; ip daddr { $addrs } drop; }
  chain in { type filter hook input priority 0; policy accept; ip saddr { $addrs } drop; }
}
EOF
  done
}
heal() {
  local i
  for i in 0 1 2 3 4; do
    ip netns exec "${NS_NODE[$i]}" nft delete table inet partition 2>/dev/null
  done
  return 0
}
h_on_cleanup heal
# A node can really not reach the other side (and, one way, the other side can reach it).
reach() { ip netns exec "${NS_NODE[$1]}" ping -c 1 -W 1 -q "$NS_PRIV_NET.$(($2 + 1))" >/dev/null 2>&1; }

names_of() {
  local p out=""
  for p in $1; do out+="n$p "; done
  echo "${out% }"
}
# flags_for LOCKSIDE: the flags the lock side's `ctdb status` should show, by pnn.
flags_for() {
  local p out=()
  for p in 0 1 2 3 4; do
    if [[ " $1 " == *" $p "* ]]; then out+=(OK); else out+=('DISCONNECTED[A-Z|]*'); fi
  done
  echo "${out[*]}"
}
# sees_disconnected NAME PNNS: NAME's `ctdb status` shows each of PNNS DISCONNECTED.
sees_disconnected() {
  local p st
  st=$(h_ctdb "$1" -t 1 status 2>/dev/null)
  for p in $2; do grep -Eq "^pnn:$p +[^ ]+ +DISCONNECTED" <<<"$st" || return 1; done
}

# ---- one partition
# run_partition LABEL both|oneway LOCKSIDE_SIZE PHASE held|-
# With "held", clients commit all along and one commit is held open on the other side over the
# cut. A node whose commit fails on the lock side's nodes stays in recovery mode until the heal,
# and with it every commit of the other side. Without "held", no commit is in flight at the cut
# (persistent clients start once both sides have settled): the other side then refuses commits
# because it has no leader (it entered recovery mode when it lost the leader), not because a
# commit failed.
run_partition() {
  local label=$1 how=$2 size=$3 phase=$4 held=$5
  local leader lock="" other="" p stop=$H_TMP/stop.$phase gen0 t_cut t_heal t
  h_converged "${NODES[@]}" -- "${ALL_OK[@]}" || {
    fail "$label: converged before the cut" "$H_CONVERGED_DETAIL"
    return
  }
  leader=$H_CONVERGED_LEADER
  gen0=$H_CONVERGED_GENERATION
  # The lock side: the leader (it holds the lock) and the next pnns.
  for ((p = 0; p < 5; p++)); do
    if [ $(((p - leader + 5) % 5)) -lt "$size" ]; then lock+="$p "; else other+="$p "; fi
  done
  lock=${lock% } other=${other% }
  local lock_n other_n a b
  lock_n=$(names_of "$lock") other_n=$(names_of "$other")
  a=${lock%% *} b=${other%% *}
  local a2=${lock##* } b2=${other##* }
  h_note "$label: leader pnn $leader; lock side: $lock; other side: $other"
  assert_eq "$label: the leader pnn $leader holds the recovery lock" "n$leader" \
    "$(h_reclock_holder "$RECLOCK")"

  # Seeds. Volatile: vlock$phase's dmaster on the lock side; vfar$phase's on the other side,
  # with an older copy on the lock side. vdel$phase: written on the other side, then on the
  # lock side (the other side keeps the older copy, data included).
  check "$label: seed vlock$phase on pnn $a" once "n$a" v "$VDB" "vlock$phase"
  check "$label: seed vfar$phase on pnn $a" once "n$a" v "$VDB" "vfar$phase"
  check "$label: seed vfar$phase on pnn $b" once "n$b" v "$VDB" "vfar$phase"
  check "$label: writekey vdel$phase on pnn $b" h_ctdb "n$b" writekey "$VDB" "vdel$phase" old-copy
  check "$label: writekey vdel$phase on pnn $a" h_ctdb "n$a" writekey "$VDB" "vdel$phase" doomed
  check "$label: pstore pdel$phase" h_ctdb "n$a" pstore "$PDB" "pdel$phase" doomed

  # Persistent clients from now on, and a commit held open on the other side until just after
  # the cut (it holds the g_lock at the cut); or, without "held", no commit in flight at the cut.
  [ "$held" != held ] || start_loops p "$PDB" "$stop" pc0 pc1
  local go=$H_TMP/go.$phase held_out=$H_TMP/held.$phase held_pid=""
  if [ "$held" == held ]; then
    CTDB_COUNTER_WAIT_FILE=$go setsid timeout -k 2 150 "$COUNTER" -p "${H_SOCK[n$b2]}" "$PDB" \
      "pheld$phase" 1 >"$held_out" 2>&1 </dev/null &
    held_pid=$!
    h_track_pid "$held_pid"
    wait_for "grep -q stored '$held_out'" 60 0.05 ||
      fail "$label: the held transaction on pnn $b2 has the g_lock" "$(cat "$held_out")"
  fi
  # $PDB2 has had no client but this one, which holds its g_lock at the cut and then dies
  # without committing: its g_lock record is on pnn $b, free for a client there to take.
  local left_out=$H_TMP/left.$phase
  CTDB_COUNTER_WAIT_FILE=$H_TMP/never setsid timeout -k 2 150 "$COUNTER" -p "${H_SOCK[n$b]}" \
    "$PDB2" "pfar$phase" 1 >"$left_out" 2>&1 </dev/null &
  local left_pid=$!
  h_track_pid "$left_pid"
  wait_for "grep -q stored '$left_out'" 60 0.05 ||
    fail "$label: a transaction on pnn $b has the g_lock of $PDB2" "$(cat "$left_out")"

  # ---- cut
  cut "$how" "$lock" "$other" || fail "$label: nftables rules in place"
  t_cut=$(h_now_us)
  touch "$go"
  h_kill_pid "$left_pid"
  echo "left.n$b pfar$phase 137 $t_cut $(h_now_us)" >>"$ATTEMPTS"
  h_note "$label: cut ($how) at $(date +%T)"
  start_loops v "$VDB" "$stop" "vlock$phase" "vfar$phase"
  if [ "$how" == both ]; then
    check "$label: pnn $a cannot reach pnn $b" eval "! reach $a $b"
    check "$label: pnn $b cannot reach pnn $a" eval "! reach $b $a"
  else
    check "$label: pnn $a cannot reach pnn $b (its packets to the other side are dropped)" \
      eval "! reach $a $b"
  fi

  # The lock side converges with one leader, the lock holder.
  local want
  read -r -a want <<<"$(flags_for "$lock")"
  if h_wait_converged "$label: the lock side ($lock) converges, the others DISCONNECTED" \
    $((PART_SECONDS - 5)) $lock_n -- "${want[@]}"; then
    t=$(h_now_us)
    h_note "$label: lock side converged $(((t - t_cut) / 1000)) ms after the cut"
    CONVERGE_SPLIT+=("$label: $(((t - t_cut) / 1000)) ms")
    assert_eq "$label: the lock side's leader is the lock holder" "n$H_CONVERGED_LEADER" \
      "$(h_reclock_holder "$RECLOCK")"
    check "$label: the lock side's leader is pnn $leader or another lock-side node" \
      eval "[[ ' $lock ' == *' $H_CONVERGED_LEADER '* ]]"
  fi
  local t_lock=$(h_now_us)
  # It serves: a deletion in a transaction, a deletekey.
  check "$label: pdelete pdel$phase on the lock side" h_ctdb "n$a" pdelete "$PDB" "pdel$phase"
  check "$label: deletekey vdel$phase on the lock side" h_ctdb "n$a" deletekey "$VDB" "vdel$phase"

  # The other side sees the lock side DISCONNECTED.
  local n
  for n in $other_n; do
    check "$label: $n shows the lock side ($lock) DISCONNECTED" \
      wait_for "sees_disconnected $n '$lock'" 20 0.5
  done
  local t_other=$(h_now_us)
  # Now that both sides have settled, clients everywhere on $PDB2.
  start_loops p "$PDB2" "$stop" "pfar$phase"
  [ "$held" == held ] || start_loops p "$PDB" "$stop" pc0 pc1
  # Until the heal: no leader on the other side, no recovery there (same generation as before
  # the cut), recovery mode; the deleted volatile record vacuumed away on the lock side.
  local claims=() gens=() modes=() samples=0 vacuumed=0 g m l spids
  while [ $(($(h_now_us) - t_cut)) -lt $((PART_SECONDS * 1000000)) ]; do
    samples=$((samples + 1))
    spids=()
    for n in $other_n; do
      sample_status "$n" >"$H_TMP/sample.$n" &
      spids+=($!)
    done
    wait "${spids[@]}"
    for n in $other_n; do
      read -r g m l <"$H_TMP/sample.$n"
      [ "$l" == UNKNOWN ] || claims+=("$n: leader '$l'")
      [ "$g" == "$gen0" ] || gens+=("$n: generation '$g', before the cut $gen0")
      [ "$m" == RECOVERY ] || modes+=("$n: recovery mode '$m'")
    done
    if [ $vacuumed == 0 ]; then
      vacuumed=1
      for n in $lock_n; do
        ! h_ctdb "$n" cattdb "$VDB" 2>/dev/null | grep -q "\"vdel$phase\"" || vacuumed=0
      done
    fi
    sleep 0.5
  done
  check "$label: more than 3 samples of the other side" [ "$samples" -gt 3 ]
  assert_eq "$label: the other side never names a leader ($samples samples)" "" "${claims[*]}"
  assert_eq "$label: the other side runs no recovery of its own" "" "${gens[*]}"
  assert_eq "$label: the other side stays in recovery mode" "" "${modes[*]}"
  check "$label: vdel$phase vacuumed away on the lock side during the partition" \
    [ "$vacuumed" == 1 ]
  # What the clients saw during the partition (after each side had settled).
  local now=$(h_now_us) lp lv op ov opt
  lp=$(acked_on "$lock_n" '^pc' "$t_lock" "$now")
  lv=$(acked_on "$lock_n" "^vlock$phase\$" "$t_lock" "$now")
  op=$(acked_on "$other_n" '^pc' "$t_other" "$now")
  opt=$(tried_on "$other_n" '^pc' "$t_other" "$now")
  ov=$(tried_on "$other_n" "^vlock$phase\$" "$t_lock" "$now")
  h_note "$label: during the partition: lock side acknowledged $lp transactions and $lv" \
    "fetch-lock increments of vlock$phase; the other side tried $opt transactions" \
    "(acknowledged $op) and $ov increments of vlock$phase"
  FIGURES+=("$label: lock side acknowledged $lp transactions and $lv fetch-lock increments; other side tried $opt transactions ($op acknowledged), $ov increments of vlock$phase ($(acked_on "$other_n" "^vlock$phase\$" "$t_lock" "$now") acknowledged)")
  check "$label: lock-side clients' transactions are acknowledged during the partition" \
    [ "$lp" -gt 0 ]
  check "$label: lock-side clients' fetch-lock increments are acknowledged" [ "$lv" -gt 0 ]
  check "$label: other-side clients keep trying transactions" [ "$opt" -gt 0 ]
  assert_eq "$label: no transaction acknowledged on the other side once it saw the cut" 0 "$op"
  assert_eq "$label: no transaction on $PDB2 acknowledged on the other side" 0 \
    "$(acked_on "$other_n" "^pfar$phase\$" "$t_other" "$now")"
  check "$label: lock-side clients' transactions on $PDB2 are acknowledged" \
    [ "$(acked_on "$lock_n" "^pfar$phase\$" "$t_other" "$now")" -gt 0 ]
  assert_eq "$label: no increment of vlock$phase acknowledged on the other side" 0 \
    "$(acked_on "$other_n" "^vlock$phase\$" "$t_lock" "$now")"

  # ---- heal
  heal
  t_heal=$(h_now_us)
  h_note "$label: healed at $(date +%T)"
  if h_wait_converged "$label: after healing, five nodes OK, one leader" 90 "${NODES[@]}" -- \
    "${ALL_OK[@]}"; then
    t=$(h_now_us)
    CONVERGE_HEAL+=("$label: $(((t - t_heal) / 1000)) ms")
    h_note "$label: converged $(((t - t_heal) / 1000)) ms after healing"
    assert_eq "$label: after healing, the leader holds the recovery lock" \
      "n$H_CONVERGED_LEADER" "$(h_reclock_holder "$RECLOCK")"
  fi
  local t_conv=$(h_now_us)
  for n in $other_n; do
    check "$label: after healing, a transaction on $n is acknowledged" \
      wait_for "[ \$(acked_on $n '^pc' $t_conv \$(h_now_us)) -gt 0 ]" 60 0.5
  done
  stop_loops "$stop"
  if [ -z "$held_pid" ]; then
    :
  elif wait_for "! h_pid_running $held_pid" 60 0.2; then
    wait "$held_pid"
    local rc=$?
    echo "held.n$b2 pheld$phase $rc $t_cut $(h_now_us)" >>"$ATTEMPTS"
    h_note "$label: the commit held over the cut ended with status $rc: $(tr '\n' ' ' <"$held_out")"
    HELD+=("$label: $rc")
  else
    fail "$label: the commit held over the cut ends once the cluster has healed"
    h_kill_pid "$held_pid"
  fi

  # ---- what every node holds
  check_persistent "$label" "$PDB" pc0 pc1 ${held_pid:+"pheld$phase"}
  check_persistent "$label" "$PDB2" "pfar$phase"
  local s v
  for n in "${NODES[@]}"; do
    v=$(h_ctdb "$n" pfetch "$PDB" "pdel$phase" 2>&1)
    assert_not_contains "$label: pdel$phase stays deleted on $n" "$v" doomed
    v=$(h_ctdb "$n" readkey "$VDB" "vdel$phase" 2>&1)
    if [[ "$v" == *doomed* ]] || [[ "$v" == *old-copy* ]]; then
      fail "$label: vdel$phase stays deleted on $n" "$v"
    else
      pass "$label: vdel$phase stays deleted on $n"
    fi
  done
  check_volatile_exact "$label" "vlock$phase"
  check_volatile_agree "$label" "vfar$phase"
}

# check_persistent LABEL DB KEY...: bounds on every node, same value and sequence number.
check_persistent() {
  local label=$1 db=$2 key n v lo hi vals seqs
  shift 2
  for key in "$@"; do
    lo=$(acked "$key") hi=$(tried "$key") vals=""
    for n in "${NODES[@]}"; do
      v=$(pvalue "$n" "$key" "$db")
      vals+="$v "
      if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$lo" ] && [ "$v" -le "$hi" ]; then
        pass "$label: persistent $key on $n: $lo acknowledged <= $v <= $hi attempted"
      else
        fail "$label: persistent $key on $n: $lo acknowledged <= value <= $hi attempted" \
          "value: $v"
      fi
    done
    assert_eq "$label: every node has the same $key" 1 "$(tr ' ' '\n' <<<"${vals% }" | sort -u | wc -l)"
  done
  seqs=""
  for n in "${NODES[@]}"; do seqs+="$(seqnum "$n" "$db") "; done
  assert_eq "$label: every node has the same sequence number of $db ($seqs)" 1 \
    "$(tr ' ' '\n' <<<"${seqs% }" | sort -u | wc -l)"
}

check_volatile_exact() {
  local label=$1 key=$2 n v lo hi
  lo=$(acked "$key") hi=$(tried "$key")
  for n in "${NODES[@]}"; do
    v=$(vvalue "$n" "$key")
    if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$lo" ] && [ "$v" -le "$hi" ]; then
      pass "$label: volatile $key (dmaster on the lock side) on $n: $lo <= $v <= $hi"
    else
      fail "$label: volatile $key (dmaster on the lock side) on $n: $lo <= value <= $hi" \
        "value: $v"
    fi
  done
}

check_volatile_agree() {
  local label=$1 key=$2 n v vals="" hi
  hi=$(tried "$key")
  for n in "${NODES[@]}"; do
    v=$(vvalue "$n" "$key")
    vals+="$v "
  done
  h_note "$label: $key (dmaster on the other side at the cut): $(acked "$key") acknowledged," \
    "$hi attempted, value after healing: ${vals% }"
  assert_eq "$label: every node reads the same $key" 1 "$(tr ' ' '\n' <<<"${vals% }" | sort -u | wc -l)"
  v=${vals%% *}
  check "$label: $key is no more than all attempts could make ($v <= $hi)" \
    eval "[[ '$v' =~ ^[0-9]+\$ ]] && [ '$v' -le '$hi' ]"
}

CONVERGE_SPLIT=() CONVERGE_HEAL=() FIGURES=() HELD=()
run_partition "symmetric 3/2" both 3 1 held
run_partition "one-way 2/3" oneway 2 2 -
h_note "lock side converged after the cut: ${CONVERGE_SPLIT[*]}"
h_note "five nodes converged after healing: ${CONVERGE_HEAL[*]}"
for f in "${FIGURES[@]}"; do h_note "$f"; done
h_note "commits held over the cut ended with: ${HELD[*]}"
h_note "attempts: $(wc -l <"$ATTEMPTS"), acknowledged $(awk '$3 == 0' "$ATTEMPTS" | wc -l)"
h_finish
