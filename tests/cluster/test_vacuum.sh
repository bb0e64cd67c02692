#!/bin/bash
# Vacuuming of a volatile database on 3 of our nodes, as 4.17 does it:
# - records written on several nodes and read on every node (so each node keeps a copy), then
#   deleted with our `ctdb deletekey` and with the stock one, disappear from every node's tdb
#   file (cattdb and tdbdump) within a few vacuum intervals; records never deleted keep their
#   values;
# - `ctdb catdb` never shows a deleted record again, also after `ctdb recover`, and also when
#   the recovery comes before vacuuming got to the records;
# - a record whose chain a client holds on one node survives while vacuuming goes on (other
#   deleted records go), and is vacuumed by full runs once the lock is released; as in 4.17, a
#   fast run that finds a queued record's chain held skips it, and only a full run finds it
#   again (further fast runs leave it on every node, its lmaster included);
# - DB_VACUUM (the control 4.17's ctdb-db-test sends; the ctdb tool has no vacuum command)
#   runs a vacuum on demand: with scheduled vacuuming stalled, a few runs delete a record;
# - a churn of fresh keys leaves every deleted record behind while vacuuming is stalled, and
#   vacuuming then removes them all; a second churn of as many keys with vacuuming on leaves
#   nothing behind and grows no file beyond what the first needed (freed space is reused);
# - DatabaseMaxDead applies at attach: with 5 (the default) vacuumed records stay in their hash
#   chains as dead records for reuse, with 0 none do.
source "$(dirname "$0")/../lib/harness.sh"

# The harness names its temp dirs /tmp/ctdb-*; this test keeps to /tmp/vac-*.
H_TMP=$(mktemp -d /tmp/vac-cluster.XXXXXX) || exit 2
trap h_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
h_note "test cluster_vacuum, temp dir $H_TMP"

DB=vac.tdb
OURS=$CTDB_BUILD_DIR/ctdb
STOCK=/usr/bin/ctdb
NODES=(v0 v1 v2)

h_start_ours_cluster v "$H_TMP/v.reclock" 127.0.0.181 127.0.0.182 127.0.0.183 ||
  fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 v0 v1 v2 -- OK OK OK || h_finish

check "attach $DB" h_ctdb v0 attach "$DB"
for n in "${NODES[@]}"; do
  check "$n lists $DB" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$DB '" 10
done
DBID=$(h_ctdb v0 getdbmap | awk -v n="name:$DB" '$2 == n { sub("dbid:", "", $1); print $1 }')
for n in "${NODES[@]}"; do
  check "VacuumInterval 1 on $n" h_ctdb "$n" setvar VacuumInterval 1
done

tdb_file() { echo "${H_DIR[$1]}/db/volatile/$DB.${1#v}"; }
# has_key NODE KEY: KEY is in NODE's own tdb file (a copy of any kind, empty ones too).
has_key() { h_ctdb "$1" cattdb "$DB" 2>/dev/null | grep -qx "key(${#2}) = \"$2\""; }
# in_file NODE KEY: the same, read with tdbdump from the file itself.
in_file() { tdbdump "$(tdb_file "$1")" 2>/dev/null | grep -qF "key(${#2}) = \"$2\""; }
# on_any_node KEY...: some node still has one of the keys.
on_any_node() {
  local n k
  for n in "${NODES[@]}"; do
    for k in "$@"; do
      has_key "$n" "$k" && return 0
    done
  done
  return 1
}
catdb_keys() { h_ctdb "$1" catdb "$DB" 2>/dev/null | sed -n 's/^key([0-9]*) = "\(.*\)"$/\1/p'; }
# none_in_catdb KEY...: no node's catdb (the cluster-wide traverse) shows any of the keys.
none_in_catdb() {
  local n k
  for n in "${NODES[@]}"; do
    local shown
    shown=$(catdb_keys "$n")
    for k in "$@"; do
      if grep -qx "$k" <<<"$shown"; then
        echo "$n shows $k" >&2
        return 1
      fi
    done
  done
  return 0
}
# spread KEY...: each key written on one node (round robin), then read on every node, so that
# it migrates with data through all of them and each keeps a copy.
spread() {
  local i=0 k n
  for k in "$@"; do
    n=${NODES[$((i % 3))]}
    h_ctdb "$n" writekey "$DB" "$k" "value-$k" >/dev/null || return 1
    for n in "${NODES[@]}"; do
      h_ctdb "$n" readkey "$DB" "$k" >/dev/null || return 1
    done
    i=$((i + 1))
  done
}
# delete_keys KEY...: deletekey, alternating our tool and the stock tool and the node.
delete_keys() {
  local i=0 k n tool
  for k in "$@"; do
    n=${NODES[$(((i + 1) % 3))]}
    tool=$OURS
    [ $((i % 2)) == 1 ] && tool=$STOCK
    H_TOOL=$tool h_ctdb "$n" deletekey "$DB" "$k" || return 1
    i=$((i + 1))
  done
}

cat >"$H_TMP/dbvacuum.py" <<'EOF'
# dbvacuum.py SOCKET DBID: sends DB_VACUUM (u32 db_id, bool full) and prints the reply status.
import struct, sys
sys.path.insert(0, sys.argv[3])
import ctdb_raw_client as c
conn = c.Conn(sys.argv[1], 120)
rep = conn.control(155, struct.pack("<IB", int(sys.argv[2], 16), 0))
print("closed" if rep is None else rep[0])
EOF
dbvacuum() { python3 "$H_TMP/dbvacuum.py" "${H_SOCK[$1]}" "$DBID" "$CTDB_SRC_DIR/tests/lib"; }
sed 's/struct.pack("<IB", int(sys.argv\[2\], 16), 0)/struct.pack("<IB", int(sys.argv[2], 16), 1)/' \
  "$H_TMP/dbvacuum.py" >"$H_TMP/dbvacuum_full.py"
dbvacuum_full() { python3 "$H_TMP/dbvacuum_full.py" "${H_SOCK[$1]}" "$DBID" "$CTDB_SRC_DIR/tests/lib"; }
# full_rounds_until_gone KEY: up to 3 rounds of a full DB_VACUUM on every node (a full run finds
# an empty record by scanning; its lmaster may need a second run once it migrated there), until
# no node has KEY.
full_rounds_until_gone() {
  local round n
  for round in 1 2 3; do
    for n in "${NODES[@]}"; do dbvacuum_full "$n" >/dev/null; done
    on_any_node "$1" || return 0
  done
  return 1
}

# ---- deleted records leave every node
GONE=(a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12)
LIVE=(l1 l2 l3 l4)
check "write and spread ${#GONE[@]}+${#LIVE[@]} records" spread "${GONE[@]}" "${LIVE[@]}"
copies=0
for n in "${NODES[@]}"; do has_key "$n" a5 && copies=$((copies + 1)); done
assert_eq "every node holds a copy of a5 before the delete" 3 "$copies"
check "deletekey ${#GONE[@]} records (our tool and the stock tool)" delete_keys "${GONE[@]}"
check "catdb shows none of them" none_in_catdb "${GONE[@]}"
check "vacuuming removes them from every node's tdb" wait_for "! on_any_node ${GONE[*]}" 40 0.5
for n in "${NODES[@]}"; do
  left=$(for k in "${GONE[@]}"; do in_file "$n" "$k" && echo "$k"; done)
  assert_eq "tdbdump of $(basename "$(tdb_file "$n")") has none of them" "" "$left"
done
for k in "${LIVE[@]}"; do
  assert_eq "live $k still has its value" "Data: size:$((6 + ${#k})) ptr:[value-$k]" \
    "$(h_ctdb v2 readkey "$DB" "$k" 2>&1)"
done

check "ctdb recover" h_ctdb v0 recover
h_wait_converged "after recover: all OK" 60 v0 v1 v2 -- OK OK OK
check "catdb after the recovery shows none of them" none_in_catdb "${GONE[@]}"
check "no tdb has them after the recovery" eval "! on_any_node ${GONE[*]}"
for k in "${LIVE[@]}"; do
  assert_eq "live $k after the recovery" "Data: size:$((6 + ${#k})) ptr:[value-$k]" \
    "$(h_ctdb v1 readkey "$DB" "$k" 2>&1)"
done

# ---- a recovery before vacuuming got to the deleted records
check "stall vacuuming" eval 'for n in v0 v1 v2; do h_ctdb $n setvar VacuumInterval 3600 || exit 1; done'
EARLY=(b1 b2 b3 b4 b5 b6)
check "write and spread ${#EARLY[@]} records" spread "${EARLY[@]}"
check "deletekey them" delete_keys "${EARLY[@]}"
check "ctdb recover with the deletions not vacuumed" h_ctdb v1 recover
h_wait_converged "after the early recover: all OK" 60 v0 v1 v2 -- OK OK OK
check "catdb after the early recovery shows none of them" none_in_catdb "${EARLY[@]}"
for n in "${NODES[@]}"; do
  check "VacuumInterval 1 on $n again" h_ctdb "$n" setvar VacuumInterval 1
done
check "none of them is left in any tdb" wait_for "! on_any_node ${EARLY[*]}" 40 0.5
check "catdb still shows none of them" none_in_catdb "${EARLY[@]}"

# ---- a record held by a client survives, and goes once released
cat >"$H_TMP/hold.py" <<'EOF'
# hold.py TDB KEY READY HOLD: takes KEY's chain lock in TDB as smbd does (libtdb directly),
# creates READY, keeps the lock while the file HOLD exists.
import ctypes, os, sys, time
tdb = ctypes.CDLL("libtdb.so.1")
class TDB_DATA(ctypes.Structure):
    _fields_ = [("dptr", ctypes.c_char_p), ("dsize", ctypes.c_size_t)]
tdb.tdb_open.restype = ctypes.c_void_p
tdb.tdb_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_uint]
tdb.tdb_chainlock.argtypes = [ctypes.c_void_p, TDB_DATA]
tdb.tdb_chainunlock.argtypes = [ctypes.c_void_p, TDB_DATA]
path, key, ready, hold = sys.argv[1:5]
# TDB_MUTEX_LOCKING: what the daemon's DB_OPEN_FLAGS tells smbd for a volatile database.
h = tdb.tdb_open(path.encode(), 0, 0x1000, os.O_RDWR, 0)
if not h:
    sys.exit("cannot open " + path)
k = TDB_DATA(key.encode(), len(key))
if tdb.tdb_chainlock(h, k) != 0:
    sys.exit("cannot lock")
open(ready, "w").close()
while os.path.exists(hold):
    time.sleep(0.05)
tdb.tdb_chainunlock(h, k)
EOF
OTHERS=(c1 c2 c3 c4)
check "write and spread 'held' and ${#OTHERS[@]} others" spread held "${OTHERS[@]}"
: >"$H_TMP/hold"
timeout 300 python3 "$H_TMP/hold.py" "$(tdb_file v0)" held "$H_TMP/ready" "$H_TMP/hold" \
  2>"$H_TMP/hold.err" &
holder=$!
h_track_pid "$holder"
check "a client holds 'held' on v0" wait_for "[ -e $H_TMP/ready ]" 10
check "deletekey 'held' on v2 and the others" eval \
  "H_TOOL=$OURS h_ctdb v2 deletekey $DB held && delete_keys ${OTHERS[*]}"
# While the lock is held, anything that walks v0's tdb (cattdb, catdb, tdbdump) waits for it,
# as with the stock daemon; so v0 is looked at through the other nodes only.
on_v1_v2() { has_key v1 "$1" || has_key v2 "$1"; }
check "the others are vacuumed meanwhile (v1, v2)" \
  wait_for "! on_v1_v2 c1 && ! on_v1_v2 c2 && ! on_v1_v2 c3 && ! on_v1_v2 c4" 40 0.5
# v0 cannot drop its copy (or cannot take the record back, if it is the lmaster), so the
# lmaster's empty copy (on v1 or v2 then) must stay: dropping it would let v0's copy, which
# has the value, come back at the next recovery.
check "'held' survives on v1 or v2 (the lmaster's copy)" on_v1_v2 held
check "the daemon on v0 answers while the lock is held" h_ctdb v0 ping
rm -f "$H_TMP/hold"
check "the holder let go" wait_for "! h_pid_running $holder" 10
# Runs that found the chain held skipped the record; 4.17 leaves such records to a full run.
check "'held' is vacuumed once released, by full runs" full_rounds_until_gone held
check "the others are gone from v0 too" eval "! on_any_node ${OTHERS[*]}"
check "catdb does not show 'held'" none_in_catdb held

# ---- DB_VACUUM on demand, scheduled vacuuming stalled
check "stall vacuuming again" eval 'for n in v0 v1 v2; do h_ctdb $n setvar VacuumInterval 3600 || exit 1; done'
check "write and spread 'ondemand'" spread ondemand
check "deletekey 'ondemand' on v1" h_ctdb v1 deletekey "$DB" ondemand
has_key v1 ondemand && pass "no scheduled run took it" || fail "no scheduled run took it"
ok=0
for round in 1 2 3; do
  for n in "${NODES[@]}"; do
    st=$(dbvacuum "$n")
    [ "$st" == 0 ] || { ok=1; h_note "DB_VACUUM on $n: $st"; }
  done
done
assert_eq "DB_VACUUM answers 0 on every node" 0 "$ok"
check "three rounds of DB_VACUUM removed 'ondemand' everywhere" eval "! on_any_node ondemand"
assert_eq "DB_VACUUM of an unknown database fails" -1 \
  "$(python3 "$H_TMP/dbvacuum.py" "${H_SOCK[v0]}" 0x0badbeef "$CTDB_SRC_DIR/tests/lib")"

# An empty record nobody scheduled for deletion (as a crashed client would leave it) is found
# by a full run only: the fast path works from the delete queue alone.
cat >"$H_TMP/orphan.py" <<'PYEOF'
# orphan.py TDB KEY DMASTER: stores KEY as an empty record (header only, rsn 1) straight into
# the tdb file. orphan.py hash KEY: prints libtdb's Jenkins hash of KEY (CTDB's key hash).
import ctypes, os, struct, sys
tdb = ctypes.CDLL("libtdb.so.1")
class TDB_DATA(ctypes.Structure):
    _fields_ = [("dptr", ctypes.c_char_p), ("dsize", ctypes.c_size_t)]
tdb.tdb_jenkins_hash.argtypes = [ctypes.POINTER(TDB_DATA)]
tdb.tdb_jenkins_hash.restype = ctypes.c_uint
if sys.argv[1] == "hash":
    k = sys.argv[2].encode()
    print(tdb.tdb_jenkins_hash(ctypes.byref(TDB_DATA(k, len(k)))))
    sys.exit(0)
tdb.tdb_open.restype = ctypes.c_void_p
tdb.tdb_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_uint]
tdb.tdb_store.argtypes = [ctypes.c_void_p, TDB_DATA, TDB_DATA, ctypes.c_int]
path, key, dmaster = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
# TDB_MUTEX_LOCKING: what the daemon's DB_OPEN_FLAGS tells smbd for a volatile database.
h = tdb.tdb_open(path.encode(), 0, 0x1000, os.O_RDWR, 0)
header = struct.pack("<QIIII", 1, dmaster, 0, 0, 0)
if not h or tdb.tdb_store(h, TDB_DATA(key, len(key)), TDB_DATA(header, len(header)), 0) != 0:
    sys.exit("cannot store")
PYEOF
hash=$(python3 "$H_TMP/orphan.py" hash orphan)
lmaster=$(h_ctdb v0 status | awk -v h="hash:$((hash % 3))" '$1 == h { sub("lmaster:", "", $2); print $2 }')
L=v$lmaster
check "an empty record 'orphan' appears in $L's tdb (its lmaster)" \
  python3 "$H_TMP/orphan.py" "$(tdb_file "$L")" orphan "$lmaster"
assert_eq "a fast DB_VACUUM on $L" 0 "$(dbvacuum "$L")"
check "the fast run left 'orphan' alone" has_key "$L" orphan
assert_eq "a full DB_VACUUM on $L" 0 "$(dbvacuum_full "$L")"
check "the full run deleted 'orphan'" eval "! has_key $L orphan"

# ---- 4.17's rule for a held chain: a fast run that finds the chain of a queued record locked
# skips it and drops it from the queue; further fast runs do not see it, a full run does.
hash=$(python3 "$H_TMP/orphan.py" hash skipped)
lmaster=$(h_ctdb v0 status | awk -v h="hash:$((hash % 3))" '$1 == h { sub("lmaster:", "", $2); print $2 }')
L=v$lmaster
check "write and spread 'skipped'" spread skipped
check "deletekey 'skipped' on its lmaster $L" h_ctdb "$L" deletekey "$DB" skipped
rm -f "$H_TMP/ready"
: >"$H_TMP/hold"
timeout 300 python3 "$H_TMP/hold.py" "$(tdb_file "$L")" skipped "$H_TMP/ready" "$H_TMP/hold" \
  2>"$H_TMP/hold.err" &
holder=$!
h_track_pid "$holder"
check "a client holds 'skipped' on $L" wait_for "[ -e $H_TMP/ready ]" 10
assert_eq "a fast DB_VACUUM on $L while the chain is held" 0 "$(dbvacuum "$L")"
rm -f "$H_TMP/hold"
check "the holder let go" wait_for "! h_pid_running $holder" 10
for round in 1 2 3; do
  for n in "${NODES[@]}"; do dbvacuum "$n" >/dev/null; done
done
for n in "${NODES[@]}"; do
  check "after 3 more fast runs everywhere, $n still has 'skipped'" has_key "$n" skipped
done
check "catdb does not show 'skipped'" none_in_catdb skipped
check "full runs then vacuum 'skipped' everywhere" full_rounds_until_gone skipped

# ---- churn: what vacuuming guarantees whatever the machine's speed
# The same number of fresh keys is created and deleted twice. First with vacuuming stalled:
# every deleted key leaves its empty record behind, and the files grow to hold them all. Then
# vacuuming removes every one of them. Then the second churn runs with vacuuming on: at no time
# can more records be left than in the first, and the space vacuuming freed is reused, so the
# files end no bigger than the first churn made them (within one libtdb expansion step). How
# flat the files stay while a churn outruns vacuuming is a speed figure: the benchmark's
# delete_churn workload measures it (doc/PERFORMANCE.md).
CDB=churn.tdb
CHURN_KEYS=${CHURN_KEYS:-20}  # per loop; 2 loops per node
# DatabaseMaxDead 0: a deleted record goes straight to the freelist, where any chain can reuse
# it (with the default 5, below, each chain first keeps up to 5 for its own keys).
for n in "${NODES[@]}"; do
  h_ctdb "$n" setvar VacuumInterval 3600 >/dev/null
  h_ctdb "$n" setvar DatabaseHashSize 64 >/dev/null
  h_ctdb "$n" setvar DatabaseMaxDead 0 >/dev/null
done
# Attached after the interval went up, so that no vacuum run of it is scheduled earlier.
check "attach $CDB" h_ctdb v0 attach "$CDB"
for n in "${NODES[@]}"; do
  check "$n lists $CDB" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$CDB '" 10
done
# A small hash table and long keys: the file size follows the records it holds.
PAD=$(printf 'p%.0s' {1..1000})
churn() {  # NODE LOOP ROUND: writekey/deletekey of CHURN_KEYS fresh keys
  local n=$1 l=$2 round=$3 i tool
  for ((i = 0; i < CHURN_KEYS; i++)); do
    tool=$OURS
    [ $((i % 4)) == 3 ] && tool=$STOCK
    H_TOOL=$tool h_ctdb "$n" writekey "$CDB" "churn-$round-$n-$l-$i-$PAD" "x" >/dev/null || return 1
    H_TOOL=$tool h_ctdb "$n" deletekey "$CDB" "churn-$round-$n-$l-$i-$PAD" >/dev/null || return 1
  done
}
churn_all() {  # ROUND: both loops of every node at once; fails if any loop failed
  local pids=() p rc=0 n l
  for n in "${NODES[@]}"; do
    for l in a b; do
      churn "$n" "$l" "$1" &
      pids+=($!)
    done
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}
TOTAL=$((CHURN_KEYS * 2 * ${#NODES[@]}))
ctdb_file() { echo "${H_DIR[$1]}/db/volatile/$CDB.${1#v}"; }
sizes() { local n; for n in "${NODES[@]}"; do stat -c %s "$(ctdb_file "$n")"; done | paste -sd' '; }
records() { local n; for n in "${NODES[@]}"; do tdbdump "$(ctdb_file "$n")" | grep -c '^{'; done | paste -sd' '; }
sum() { echo $(($(tr ' ' '+' <<<"$1"))); }
most_records() { records | tr ' ' '\n' | sort -n | tail -1; }

check "churn 1: $TOTAL keys written and deleted, vacuuming stalled" churn_all 1
left=$(records)
# Each deleted key leaves at least its dmaster's empty record.
if [ "$(sum "$left")" -ge "$TOTAL" ]; then
  pass "churn 1: with vacuuming stalled the deleted records stay ($left per node)"
else
  fail "churn 1: with vacuuming stalled the deleted records stay" \
    "$left records per node for $TOTAL deleted keys"
fi
full_sizes=$(sizes)
for n in "${NODES[@]}"; do
  h_ctdb "$n" setvar VacuumInterval "${CHURN_VACUUM_INTERVAL:-1}" >/dev/null
done
check "vacuuming removes every record churn 1 left" wait_for '[ "$(most_records)" == 0 ]' 60 0.5
check "churn 2: $TOTAL more keys, vacuuming on" churn_all 2
check "vacuuming removes every record churn 2 left" wait_for '[ "$(most_records)" == 0 ]' 60 0.5
end_sizes=$(sizes)
h_note "tdb sizes after churn 1 (vacuuming stalled): $full_sizes; after churn 2: $end_sizes"
read -r -a full <<<"$full_sizes"
read -r -a fin <<<"$end_sizes"
for i in 0 1 2; do
  # libtdb grows a file by at least a quarter at a time.
  limit=$((full[i] + full[i] / 4))
  if [ "${fin[$i]}" -le "$limit" ]; then
    pass "v$i's tdb reused the space vacuuming freed (${full[$i]} -> ${fin[$i]} bytes)"
  else
    fail "v$i's tdb reused the space vacuuming freed" \
      "after churn 1 ${full[$i]} bytes, after churn 2 ${fin[$i]}"
  fi
done

# ---- DatabaseMaxDead, applied when a database is attached (as 4.17 does with
# tdb_set_max_dead): the records vacuuming deletes stay in their hash chains as dead records
# for the chain's next keys, at most DatabaseMaxDead per chain; with 0 none are kept.
dead_records() {  # NODE FILE: libtdb's count of dead records (tdbtool info)
  tdbtool "$2" info | awk -F': ' '/^Number of dead records/ { print $2 }'
}
for n in "${NODES[@]}"; do
  assert_eq "$n: DatabaseMaxDead 0 kept no dead record in $CDB" 0 \
    "$(dead_records "$n" "$(ctdb_file "$n")")"
  h_ctdb "$n" setvar DatabaseMaxDead 5 >/dev/null
done
CDB=churn5.tdb
check "attach $CDB with DatabaseMaxDead 5" h_ctdb v0 attach "$CDB"
for n in "${NODES[@]}"; do
  check "$n lists $CDB" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$CDB '" 10
done
check "churn 3: $TOTAL keys into $CDB, vacuuming on" churn_all 3
check "vacuuming removes every record churn 3 left" wait_for '[ "$(most_records)" == 0 ]' 60 0.5
for n in "${NODES[@]}"; do
  d=$(dead_records "$n" "$(ctdb_file "$n")")
  # 64 chains x 5; every node vacuumed some of the deleted records it held.
  if [ -n "$d" ] && [ "$d" -gt 0 ] && [ "$d" -le 320 ]; then
    pass "$n keeps vacuumed records of $CDB as dead records in their chains ($d)"
  else
    fail "$n keeps vacuumed records of $CDB as dead records in their chains" \
      "tdbtool info: '$d' dead records (expected 1-320)"
  fi
done

h_finish
