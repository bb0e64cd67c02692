#!/bin/bash
# Regenerates tests/golden/*.hex: starts one stock ctdbd 4.17 in CTDB_TEST_MODE, runs the
# stock ctdb tool through capture_proxy.py, and saves chosen request/reply packets as hex.
#
#   capture_golden.sh [OUTDIR]      (default: tests/golden next to this script)
# Env: GOLDEN_DIR (scratch dir, default /tmp/golden-capture), GOLDEN_ADDR (node address,
# default 127.0.0.51). Needs /usr/sbin/ctdbd, /usr/bin/ctdb, python3 and strace.
# The packets hold a generation, pids and times of the run that made them, so after
# regenerating, the expected values in tests/unit/test_golden.cpp must be updated too.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../golden}
D=${GOLDEN_DIR:-/tmp/golden-capture}
ADDR=${GOLDEN_ADDR:-127.0.0.51}
B=$D/node.0
PROXY="python3 $HERE/capture_proxy.py"
CAP=$D/cap
DAEMON_PID=
PROXY_PID=

cleanup() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
  if [ -S "$B/run/ctdbd.socket" ]; then
    CTDB_SOCKET=$B/run/ctdbd.socket timeout 10 ctdb shutdown >/dev/null 2>&1
  fi
  # shutdown is asynchronous: wait for the daemon we started to go away.
  if [ -n "$DAEMON_PID" ]; then
    for _ in $(seq 1 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$DAEMON_PID" 2>/dev/null && kill "$DAEMON_PID"
  fi
}
trap cleanup EXIT

die() { echo "capture_golden: $*" >&2; exit 1; }

rm -rf "$D"
mkdir -p "$B/db/volatile" "$B/db/persistent" "$B/db/state" "$B/events/legacy" "$B/run" \
  "$D/shared" "$OUT"
echo "$ADDR" >"$B/nodes"
# Public addresses are only bookkeeping here: no event scripts, nothing touches an interface.
printf '192.168.251.1/24 lo\n192.168.251.2/24 lo\n' >"$B/public_addresses"
cp /etc/ctdb/functions "$B/"
cat >"$B/ctdb.conf" <<EOC
[logging]
	location = file:$B/log.ctdb
	log level = NOTICE
[cluster]
	cluster lock = $D/shared/cluster.lock
	node address = $ADDR
[database]
	volatile database directory = $B/db/volatile
	persistent database directory = $B/db/persistent
	state database directory = $B/db/state
[failover]
	disabled = false
EOC
CTDB_TEST_MODE=yes CTDB_BASE=$B /usr/sbin/ctdbd || die "ctdbd did not start"
DAEMON_PID=$(cat "$B/run/ctdbd.pid")
ok=
for _ in $(seq 1 120); do
  CTDB_SOCKET=$B/run/ctdbd.socket ctdb ping >/dev/null 2>&1 && { ok=1; break; }
  sleep 0.25
done
[ -n "$ok" ] || die "ctdbd does not answer ping"
# Wait for the first recovery and takeover run so that the public IPs are hosted.
for _ in $(seq 1 120); do
  CTDB_SOCKET=$B/run/ctdbd.socket ctdb ip 2>/dev/null | grep -q '192.168.251.1 0' && break
  sleep 0.25
done

$PROXY serve --listen "$D/proxy.sock" --upstream "$B/run/ctdbd.socket" --out "$CAP" &
PROXY_PID=$!
for _ in $(seq 1 40); do [ -S "$D/proxy.sock" ] && break; sleep 0.1; done

# Each ctdb invocation is one proxy connection, numbered from 1 in this order.
conn=0
run() {
  conn=$((conn + 1))
  echo "== connection $conn: ctdb $*" >>"$D/commands.txt"
  CTDB_SOCKET=$D/proxy.sock CTDB_BASE=$B ctdb "$@" >>"$D/commands.txt" 2>&1
  echo "rc=$?" >>"$D/commands.txt"
  # The proxy writes a connection's files when both directions have closed.
  for _ in $(seq 1 50); do [ -f "$CAP/conn-$conn.log" ] && return; sleep 0.1; done
  die "no capture for connection $conn"
}
: >"$D/commands.txt"
run ping                                   # 1
run status                                 # 2
run attach test.tdb                        # 3
run attach ptest.tdb persistent            # 4
run getdbmap                               # 5
run getvar RecoverTimeout                  # 6
run statistics                             # 7
run getcapabilities                        # 8
run ip                                     # 9
run ipinfo 192.168.251.1                   # 10
run uptime                                 # 11
run getdbseqnum ptest.tdb                  # 12
run pstore ptest.tdb key1 value1           # 13
run getpid                                 # 14
run getdebug                               # 15
run setvar RecoverTimeout 30               # 16
printf '"key2" "v2"\n"key3" "value3x"\n' >"$D/ptrans.in"
conn=$((conn + 1))                         # 17
echo "== connection $conn: ctdb ptrans ptest.tdb" >>"$D/commands.txt"
CTDB_SOCKET=$D/proxy.sock ctdb ptrans ptest.tdb <"$D/ptrans.in" >>"$D/commands.txt" 2>&1
for _ in $(seq 1 50); do [ -f "$CAP/conn-$conn.log" ] && break; sleep 0.1; done
run ipinfo 192.168.251.9                   # 18 (not a public address: error reply)
run ipreallocate                           # 19

# The recovery daemon is the only client that sends GET_ALL_TUNABLES (once a second).
RECD_PID=$(pgrep -P "$DAEMON_PID" ctdb_recoverd | head -1)
[ -n "$RECD_PID" ] || die "no recovery daemon"
timeout 2.5 strace -p "$RECD_PID" -e trace=read,write -xx -s 65536 -o "$D/recd.strace" 2>/dev/null
RECD_FD=$(grep -oE '^write\([0-9]+, "\\x[0-9a-f]{2}\\x00\\x00\\x00\\x42\\x44\\x54\\x43' \
  "$D/recd.strace" | head -1 | sed -E 's/write\(([0-9]+).*/\1/')
[ -n "$RECD_FD" ] || die "no ctdb packets in recoverd trace"
$PROXY from-strace "$D/recd.strace" "$RECD_FD" "$CAP" 100

pick() { $PROXY pick "$CAP" "$1" "$2" "$OUT/$3" || die "pick $*"; }
pick 1 control=35 get_pnn
pick 1 control=23 register_srvid
pick 1 control=3 ping
pick 2 control=91 get_nodemap
pick 2 control=138 get_runstate
pick 2 control=5 getvnnmap
pick 2 control=15 get_recmode
pick 2 control=124 get_ifaces
pick 2 d2c-message=0xf101000000000000 leader_message
pick 3 control=18 db_attach
pick 3 control=4 getdbpath
pick 3 control=122 db_get_health
pick 3 control=149 db_open_flags
pick 4 control=61 db_attach_persistent
pick 5 control=9 get_dbmap
pick 5 control=25 get_dbname
pick 6 control=50 list_tunables
pick 6 control=49 get_tunable
pick 7 control=1 statistics
pick 8 control=80 get_capabilities
pick 9 control=90 get_public_ips
pick 10 control=123 get_public_ip_info
pick 11 control=69 uptime
pick 12 control=120 get_db_seqnum
pick 13 call g_lock_fetch
pick 13 control=119 trans3_commit
pick 13 control=128 schedule_for_deletion
pick 14 control=30 get_pid
pick 15 control=7 get_debug
pick 16 control=48 set_tunable
pick 17 control=119 trans3_commit_two
pick 18 control=123 get_public_ip_info_unknown
pick 19 message=0xfb00000000000000 takeover_run_message
pick 19 d2c-message=0xce* takeover_run_reply_message
pick 100 control=53 get_all_tunables
pick 100 message=0xf101000000000000 recd_leader_broadcast
cp "$D/commands.txt" "$OUT/commands.txt"
for f in "$CAP"/conn-*.log; do
  n=$(basename "$f" .log)
  echo "== $n"
  cat "$f"
done >"$OUT/capture.log"
echo "capture_golden: wrote $(ls "$OUT"/*.hex | wc -l) packets to $OUT"
