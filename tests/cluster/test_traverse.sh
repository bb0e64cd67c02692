#!/bin/bash
# Cluster-wide traverse (`ctdb catdb`) on 3 of our nodes, with the stock tool and ours: every
# record once, from whichever node (a volatile record comes from the node its header names as
# dmaster, a persistent database is read on one node); a big traverse while the daemon keeps
# answering; a reader slower than the traverse (24 MB held for it, not cut off); a client killed
# mid-traverse (TRAVERSE_KILL); TraverseTimeout; a node that dies mid-traverse. Records with a
# chosen dmaster are written straight into each node's .tdb file (through libtdb, as `ctdb
# tstore` does) besides `ctdb writekey`.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_traverse
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
VOL=tv_vol.tdb
PER=tv_per.tdb
BIG=tv_big.tdb

# tdbput.py: writes records with a given ltdb header into a tdb file a daemon has open, or holds
# every lock of such a file (as a client such as smbd may) until its stdin ends.
cat >"$H_TMP/tdbput.py" <<'EOF'
import ctypes, os, struct, sys

class TDB_DATA(ctypes.Structure):
    _fields_ = [("dptr", ctypes.c_char_p), ("dsize", ctypes.c_size_t)]

lib = ctypes.CDLL("libtdb.so.1")
lib.tdb_open.restype = ctypes.c_void_p
lib.tdb_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_uint]
for f in ("tdb_transaction_start", "tdb_transaction_commit", "tdb_lockall", "tdb_unlockall",
          "tdb_close"):
    getattr(lib, f).argtypes = [ctypes.c_void_p]
lib.tdb_store.argtypes = [ctypes.c_void_p, TDB_DATA, TDB_DATA, ctypes.c_int]

def datum(b):
    return TDB_DATA(b, len(b))

mode, path = sys.argv[1], sys.argv[2].encode()
tdb = lib.tdb_open(path, 0, 0, os.O_RDWR, 0)
if not tdb:  # a file that uses robust mutexes only opens with TDB_MUTEX_LOCKING
    tdb = lib.tdb_open(path, 0, 0x1000, os.O_RDWR, 0)
if not tdb:
    sys.exit("cannot open %s" % path)
if mode == "lock":
    if lib.tdb_lockall(tdb) != 0:
        sys.exit("tdb_lockall failed")
    print("locked", flush=True)
    sys.stdin.read()
    lib.tdb_unlockall(tdb)
    lib.tdb_close(tdb)
    sys.exit(0)
if lib.tdb_transaction_start(tdb) != 0:
    sys.exit("tdb_transaction_start failed")
if mode == "put":      # stdin lines: KEY RSN DMASTER [VALUE]
    rows = [l.split() for l in sys.stdin if l.strip()]
elif mode == "gen":    # PREFIX COUNT RSN DMASTER [SIZE]: keys PREFIX-1.. with value val-N
    prefix, count, rsn, dm = sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
    size = int(sys.argv[7]) if len(sys.argv) > 7 else 0  # values padded with x to SIZE bytes
    rows = [["%s-%d" % (prefix, i), rsn, dm, ("val-%d" % i).ljust(size, "x")]
            for i in range(1, count + 1)]
for row in rows:
    value = row[3].encode() if len(row) > 3 else b""
    rec = struct.pack("<QIIII", int(row[1]), int(row[2]), 0, 0, 0) + value
    if lib.tdb_store(tdb, datum(row[0].encode()), datum(rec), 0) != 0:
        sys.exit("tdb_store failed")
if lib.tdb_transaction_commit(tdb) != 0:
    sys.exit("tdb_transaction_commit failed")
lib.tdb_close(tdb)
EOF

# smbd_traverse.py SOCKET DBNAME: a traverse as smbd runs it (source3 ctdbd_traverse): the old
# TRAVERSE_START on its own connection, where the control's reply must come before any record.
# Prints "reply-first N" (N records before the end marker), or what went wrong.
cat >"$H_TMP/smbd_traverse.py" <<'EOF'
import os, socket, struct, sys

HDR = struct.Struct("<IIIIIIII")
sock = socket.socket(socket.AF_UNIX)
sock.connect(sys.argv[1])
srvid = 0xBE00000000000000 | os.getpid()

def send_control(opcode, reqid, data=b"", srvid_field=0):
    body = struct.pack("<IIQIII", opcode, 0, srvid_field, 0, 0, len(data)) + data
    length = HDR.size + len(body)
    pad = (8 - length % 8) % 8
    sock.sendall(HDR.pack(length + pad, 0x43544442, 1, 0, 7, 0xF0000001, 0, reqid) + body +
                 b"\0" * pad)

def read_packet():
    buf = b""
    while len(buf) < 4:
        buf += sock.recv(4 - len(buf)) or sys.exit("connection closed")
    (length,) = struct.unpack("<I", buf)
    while len(buf) < length:
        buf += sock.recv(length - len(buf)) or sys.exit("connection closed")
    return HDR.unpack(buf[:32]), buf[32:]

def reply(reqid):
    hdr, body = read_packet()
    if hdr[4] != 8 or hdr[7] != reqid:
        sys.exit("expected the reply to reqid %d, got operation %d reqid %d" %
                 (reqid, hdr[4], hdr[7]))
    status, dlen = struct.unpack("<iI", body[:8])
    return status, body[12:12 + dlen]

send_control(23, 1, srvid_field=srvid)                 # REGISTER_SRVID
if reply(1)[0] != 0:
    sys.exit("REGISTER_SRVID failed")
send_control(18, 2, sys.argv[2].encode() + b"\0")      # DB_ATTACH: gives the db_id
status, data = reply(2)
if status != 0 or len(data) != 4:
    sys.exit("DB_ATTACH failed")
(db_id,) = struct.unpack("<I", data)
send_control(20, 3, struct.pack("<IIQ", db_id, 77, srvid))  # TRAVERSE_START, reqid 77
if reply(3)[0] != 0:
    sys.exit("TRAVERSE_START failed")
count = 0
while True:
    hdr, body = read_packet()
    if hdr[4] != 5:
        sys.exit("got operation %d, expected a message" % hdr[4])
    msrvid, mlen = struct.unpack("<QI", body[:12])
    length, reqid, klen, dlen = struct.unpack("<IIII", body[12:28])
    if msrvid != srvid or length != mlen or reqid != 77 or length != 16 + klen + dlen:
        sys.exit("bad traverse message")
    if klen == 0 and dlen == 0:
        break
    count += 1
print("reply-first", count)
EOF

# TRAVERSE_SUBJECT=stock runs the same on three stock daemons: every check must then pass too,
# which is how the expectations here were checked against 4.17.
if [ "${TRAVERSE_SUBJECT:-ours}" == stock ]; then
  h_start_cluster stock t 127.0.0.161 127.0.0.162 127.0.0.163 || fail "3 nodes answer ping"
else
  h_start_ours_cluster t "$H_TMP/t.reclock" 127.0.0.161 127.0.0.162 127.0.0.163 ||
    fail "3 nodes answer ping"
fi
h_wait_converged "start: all OK" 60 t0 t1 t2 -- OK OK OK || h_finish
# A recovery moves every record to the leader. One that a node's late join left pending (held
# back by RerecoveryTimeout after the first recovery) must not land after the records below are
# planted, so run one now and wait for it.
generation() { h_ctdb "$1" status 2>/dev/null | sed -n 's/^Generation://p'; }
gen0=$(generation t0)
check "ctdb recover before planting records" h_ctdb t0 recover
check "the recovery ran (new generation)" wait_for '[ "$(generation t0)" != "$gen0" ]' 30
h_wait_converged "settled: all OK" 60 t0 t1 t2 -- OK OK OK || h_finish

# tool_ctdb stock|ours NODE ARGS...
tool_ctdb() {
  local tool=$1
  shift
  if [ "$tool" == ours ]; then H_TOOL=$OURS_TOOL h_ctdb "$@"; else h_ctdb "$@"; fi
}

ping_ok() { h_ctdb "$1" ping >/dev/null 2>&1; }

# pairs: stdin is catdb output; prints "key=data" a line, sorted.
pairs() {
  awk '/^key\([0-9]+\) = / { k = $0; sub(/^key\([0-9]+\) = "/, "", k); sub(/"$/, "", k) }
       /^data\([0-9]+\) = / { d = $0; sub(/^data\([0-9]+\) = "/, "", d); sub(/"$/, "", d)
                              print k "=" d }' | sort
}

# dbfile NODE DB: the node's path of DB.
dbfile() { h_ctdb "$1" getdbmap | sed -n "s/.*name:$2 path:\([^ ]*\).*/\1/p"; }

# attach_everywhere DB [persistent]
attach_everywhere() {
  local n
  check "attach $1 on t0" h_ctdb t0 attach "$@"
  for n in t1 t2; do
    check "$n lists $1" wait_for "h_ctdb $n getdbmap 2>/dev/null | grep -q 'name:$1 '" 10
  done
}

# check_catdb LABEL DB WANT_PAIRS WANT_COUNT: catdb DB from every node, with both tools, shows
# exactly WANT_PAIRS ("key=data" lines, sorted) and says it dumped WANT_COUNT records.
check_catdb() {
  local label=$1 db=$2 want=$3 count=$4 tool n out
  for tool in stock ours; do
    for n in t0 t1 t2; do
      out=$(tool_ctdb "$tool" "$n" catdb "$db" 2>&1)
      assert_eq "$label: $tool catdb on $n: records" "$want" "$(pairs <<<"$out")"
      assert_eq "$label: $tool catdb on $n: count" "Dumped $count records" "$(tail -n 1 <<<"$out")"
    done
  done
}

# ---- volatile: records of every node, each once
attach_everywhere "$VOL"
for i in 0 1 2; do
  check "writekey w$i on t$i" h_ctdb "t$i" writekey "$VOL" "w$i" "wv$i"
done
# On node i: own-i-1..4 with dmaster i; an older copy (lower RSN, another value) of node
# (i+1)'s records that still names that node as dmaster (a stale copy the lmaster or a former
# dmaster keeps); an empty record (deleted, header only) with dmaster i.
for i in 0 1 2; do
  j=$(((i + 1) % 3))
  {
    for r in 1 2 3 4; do echo "own-$i-$r 10 $i v-$i-$r"; done
    for r in 1 2 3 4; do echo "own-$j-$r 5 $j stale"; done
    echo "deleted-$i 7 $i"
  } | python3 "$H_TMP/tdbput.py" put "$(dbfile "t$i" "$VOL")"
  check "records written into t$i's copy of $VOL" test "${PIPESTATUS[1]}" == 0
done
WANT=$( {
  for i in 0 1 2; do echo "w$i=wv$i"; for r in 1 2 3 4; do echo "own-$i-$r=v-$i-$r"; done; done
} | sort)
check_catdb "volatile" "$VOL" "$WANT" 15
for n in t0 t2; do
  assert_eq "volatile: smbd's TRAVERSE_START on $n: the reply, then 15 records" \
    "reply-first 15" "$(timeout 30 python3 "$H_TMP/smbd_traverse.py" "${H_SOCK[$n]}" "$VOL" 2>&1)"
done

# ---- persistent: read on one node, each record once
attach_everywhere "$PER" persistent
printf '"pk1" "pv1"\n"pk2" "pv2"\n"pk3" "pv3"\n' >"$H_TMP/ptrans.in"
check "ptrans 3 records into $PER on t1" h_ctdb t1 ptrans "$PER" "$H_TMP/ptrans.in"
out=$(h_ctdb t0 catdb "$PER" 2>&1)
assert_eq "persistent: stock catdb on t0 shows pk1..pk3 once" \
  "$(printf 'pk1=pv1\npk2=pv2\npk3=pv3')" "$(pairs <<<"$out" | grep '^pk')"
# Whatever else a persistent database holds (the sequence number record), every node shows it.
WANT_PER=$(pairs <<<"$out")
check_catdb "persistent" "$PER" "$WANT_PER" "$(grep -c . <<<"$WANT_PER")"

# ---- a big traverse while the daemon keeps serving
attach_everywhere "$BIG"
for i in 0 1 2; do
  check "20000 records with dmaster $i in t$i's copy of $BIG" \
    python3 "$H_TMP/tdbput.py" gen "$(dbfile "t$i" "$BIG")" "big$i" 20000 3 "$i"
done
# The catdb output goes into a pipe nobody reads until the gate FIFO opens, so the tool is
# still inside its traverse while ping runs on a second connection.
mkfifo "$H_TMP/gate"
CTDB_SOCKET=${H_SOCK[t0]} setsid bash -c '"$0" catdb "$1" 2>&1 | { read -r _ <"$2"; cat; } >"$3"' \
  "$H_TOOL" "$BIG" "$H_TMP/gate" "$H_TMP/big.out" </dev/null &
catdb_pid=$!
h_track_pid "$catdb_pid"
pings_ok=1
for k in 1 2 3 4 5; do
  h_ctdb t0 -t 5 ping >/dev/null 2>&1 || pings_ok=0
done
check "ping on t0 answers 5 times during a catdb of 60000 records" test "$pings_ok" == 1
check "that catdb is still running (its output held)" h_pid_running "$catdb_pid"
echo go >"$H_TMP/gate"
wait_for "! h_pid_running $catdb_pid" 60
assert_eq "big catdb with the stock tool on t0: every record once" "Dumped 60000 records" \
  "$(tail -n 1 "$H_TMP/big.out")"
assert_eq "big catdb: 60000 distinct keys" 60000 \
  "$(pairs <"$H_TMP/big.out" | cut -d= -f1 | sort -u | grep -c .)"
out=$(H_TOOL=$OURS_TOOL h_ctdb t1 catdb "$BIG" | pairs)
assert_eq "big catdb with our tool on t1: 60000 distinct keys" 60000 \
  "$(cut -d= -f1 <<<"$out" | sort -u | grep -c .)"

# ---- a reader slower than the traverse: 24 MB of records from the three nodes wait in t0 until
# the client reads them; it is not cut off as a client that never reads would be (16 MiB).
WIDE=tv_wide.tdb
attach_everywhere "$WIDE"
for i in 0 1 2; do
  check "4000 records of 2000 bytes with dmaster $i in t$i's copy of $WIDE" \
    python3 "$H_TMP/tdbput.py" gen "$(dbfile "t$i" "$WIDE")" "wide$i" 4000 3 "$i" 2000
done
mkfifo "$H_TMP/wide.gate"
wide_log=$(stat -c %s "${H_LOG[t0]}")
CTDB_SOCKET=${H_SOCK[t0]} setsid bash -c '"$0" catdb "$1" 2>&1 | { read -r _ <"$2"; cat; } >"$3"' \
  "$H_TOOL" "$WIDE" "$H_TMP/wide.gate" "$H_TMP/wide.out" </dev/null &
catdb_pid=$!
h_track_pid "$catdb_pid"
wide_log_since() { tail -c +"$((wide_log + 1))" "${H_LOG[t0]}"; }
check "slow reader: every node's part is in while the client reads nothing" \
  wait_for "wide_log_since | grep -q 'Ending traverse on DB $WIDE'" 60
check "slow reader: the client is still connected" h_pid_running "$catdb_pid"
echo go >"$H_TMP/wide.gate"
wait_for "! h_pid_running $catdb_pid" 60
assert_eq "slow reader: the stock tool dumps every record" "Dumped 12000 records" \
  "$(tail -n 1 "$H_TMP/wide.out")"
assert_eq "slow reader: 12000 distinct keys, each with its 2000-byte value" 12000 \
  "$(pairs <"$H_TMP/wide.out" | grep -E '^wide[012]-[0-9]+=val-[0-9]+x+$' | awk -F= 'length($2) == 2000' |
    cut -d= -f1 | sort -u | grep -c .)"
assert_eq "slow reader: t0 cut no client off" "" "$(wide_log_since | grep 'left unread')"

# ---- a client killed mid-traverse: every node stops its part (TRAVERSE_KILL)
# traverse_children NODE: how many traverse children (named ctdb_traverse, as 4.17's) the
# node's daemon has.
traverse_children() { ps --ppid "${H_PID[$1]}" -o comm= | grep -c '^ctdb_traverse$'; }

# lock_big: a client holds every lock of t2's copy of $BIG, so t2's walk waits for it.
lock_big() {
  coproc LOCKER { python3 "$H_TMP/tdbput.py" lock "$(dbfile t2 "$BIG")"; }
  local line=""
  read -r -t 10 line <&"${LOCKER[0]}"
  assert_eq "$1: a client holds every lock of t2's copy of $BIG" locked "$line"
}
unlock_big() {
  local pid=$LOCKER_PID
  exec {LOCKER[1]}>&-
  wait "$pid"
}

# start_catdb OUTFILE: the stock tool's catdb of $BIG on t0 in the background; sets catdb_pid.
start_catdb() {
  CTDB_SOCKET=${H_SOCK[t0]} setsid "$H_TOOL" catdb "$BIG" >"$1" 2>&1 </dev/null &
  catdb_pid=$!
  h_track_pid "$catdb_pid"
}

lock_big "kill"
start_catdb "$H_TMP/kill.out"
check "kill: t2 walks its copy in a child" wait_for '[ "$(traverse_children t2)" == 1 ]' 10
check "kill: the walks of t0 and t1 are over" \
  wait_for '[ "$(traverse_children t0)" == 0 ] && [ "$(traverse_children t1)" == 0 ]' 20
check "kill: catdb waits for t2's records" h_pid_running "$catdb_pid"
kill -KILL "$catdb_pid"
wait "$catdb_pid" 2>/dev/null
check "kill: t2's child is gone once the client is" \
  wait_for '[ "$(traverse_children t2)" == 0 ]' 10
check "kill: t0 logged the cancel" \
  grep -q "Traverse cancelled by client disconnect for database:0x" "${H_LOG[t0]}"
check "kill: t0 answers ping" ping_ok t0
unlock_big
assert_eq "kill: the next catdb on t0 shows every record" "Dumped 60000 records" \
  "$(h_ctdb t0 catdb "$BIG" 2>&1 | tail -n 1)"

# ---- TraverseTimeout: the client gets what arrived, then the end; the late node stops
check "setvar TraverseTimeout 3 on t0" h_ctdb t0 setvar TraverseTimeout 3
lock_big "timeout"
out=$(h_ctdb t0 catdb "$BIG" 2>&1)
rc=$?
assert_eq "timeout: catdb ends with the records of t0 and t1" "Dumped 40000 records" \
  "$(tail -n 1 <<<"$out")"
assert_eq "timeout: catdb exit code" 0 "$rc"
assert_eq "timeout: no record of t2" "" "$(pairs <<<"$out" | grep '^big2-' | head -n 1)"
check "timeout: t0 logged it" grep -q "Traverse all timeout on database:$BIG" "${H_LOG[t0]}"
check "timeout: t2's child is stopped (TRAVERSE_KILL)" \
  wait_for '[ "$(traverse_children t2)" == 0 ]' 10
unlock_big

# ---- a node dies mid-traverse: the traverse still ends, with the records that arrived
check "setvar TraverseTimeout 5 on t0" h_ctdb t0 setvar TraverseTimeout 5
lock_big "node death"
start_catdb "$H_TMP/death.out"
check "node death: t2 walks its copy in a child" wait_for '[ "$(traverse_children t2)" == 1 ]' 10
check "node death: the walks of t0 and t1 are over" \
  wait_for '[ "$(traverse_children t0)" == 0 ] && [ "$(traverse_children t1)" == 0 ]' 20
h_kill9_node t2
check "node death: catdb on t0 ends" wait_for "! h_pid_running $catdb_pid" 30
wait "$catdb_pid"
assert_eq "node death: catdb exit code" 0 "$?"
assert_eq "node death: catdb shows the records of t0 and t1" "Dumped 40000 records" \
  "$(tail -n 1 "$H_TMP/death.out")"
unlock_big
check "node death: t0 answers ping" ping_ok t0
check "node death: t1 answers ping" ping_ok t1

h_finish
