#!/bin/bash
# 4.17's configuration on our daemon. Three nodes are started as Debian's ctdb.service starts
# ctdbd: no options at all, everything from CTDB_BASE (ctdb.conf, nodes, public_addresses,
# notify.sh, events/legacy/*.script; socket and pid file in run/, CTDB_TEST_MODE). The cluster
# lock is `!HELPER ARGS`: first Debian's own ctdb_mutex_fcntl_helper, then ours.
# - ctdbd detaches and exits 0; the pid file and socket are where 4.17 puts them; the stock tool
#   finds the node from CTDB_BASE alone; `ctdb getreclock` shows the helper command;
# - the leader's lock is held by the helper (a child of the leader's ctdbd, seen in /proc/locks);
#   killing the helper makes the leader give up and the cluster elect again; stopping the leader
#   hands the lock to another node, and the old helper goes away;
# - with our helper and a 1-second re-check, removing the lock file makes the leader step down;
# - `ctdbd --dump-config` prints what Debian's `ctdb-config dump` prints for the same file, and
#   bad files are refused with the stock tool's error lines, before anything starts.
source "$(dirname "$0")/../lib/harness.sh"

DEBIAN_HELPER=/usr/libexec/ctdb/ctdb_mutex_fcntl_helper
CTDB_CONFIG=/usr/libexec/ctdb/ctdb-config
if [ ! -x "$DEBIAN_HELPER" ] || [ ! -x "$CTDB_CONFIG" ]; then
  echo "SKIP: Debian's ctdb package (ctdb_mutex_fcntl_helper, ctdb-config) is not installed"
  exit 77
fi
OUR_HELPER=$CTDB_BUILD_DIR/ctdb_mutex_fcntl_helper

h_init cluster_ctdb_conf
mkdir -p "$H_TMP/shared"
nodes=$H_TMP/c.nodes
ADDRS=(127.0.24.1 127.0.24.2 127.0.24.3)
h_write_nodes "$nodes" "${ADDRS[@]}"

# write_base DIR ADDR CLUSTER_LOCK: a CTDB_BASE as Debian lays it out.
write_base() {
  local d=$1 addr=$2 lock=$3
  mkdir -p "$d/db/volatile" "$d/db/persistent" "$d/db/state" "$d/events/legacy" "$d/run"
  cp "$nodes" "$d/nodes"
  cat >"$d/ctdb.conf" <<EOF
# written by test_ctdb_conf.sh
[logging]
	location = file:$d/log.ctdb
	log level = NOTICE
[cluster]
	node address = $addr
	cluster lock = $lock
[database]
	volatile database directory = $d/db/volatile
	persistent database directory = $d/db/persistent
	state database directory = $d/db/state
EOF
  echo "127.0.24.100/32 lo" >"$d/public_addresses"
  printf '#!/bin/sh\necho "$1" >>%s/notify.log\n' "$d" >"$d/notify.sh"
  printf '#!/bin/sh\n[ "$1" != monitor ] || echo monitored >%s/monitored\n' "$d" \
    >"$d/events/legacy/00.probe.script"
  chmod 755 "$d/notify.sh" "$d/events/legacy/00.probe.script"
}

# start_node NAME: `ctdbd` with no options; it detaches once started.
start_node() {
  local name=$1 d=$H_TMP/$1 out rc pid
  out=$(cd / && CTDB_TEST_MODE=yes CTDB_BASE=$d timeout 60 "$H_CTDBD" 2>&1 </dev/null)
  rc=$?
  pid=$(cat "$d/run/ctdbd.pid" 2>/dev/null)
  assert_eq "$name: ctdbd with no options detaches and exits 0" "0" "$rc"
  [ -z "$out" ] || h_note "$name: ctdbd printed: $out"
  if [ -z "$pid" ] || ! h_pid_running "$pid"; then
    fail "$name: run/ctdbd.pid names the running daemon" "pid file: '${pid}'"
    return 1
  fi
  _h_register "$name" ours "${ADDRS[${name#c}]}" "$d" "$d/run/ctdbd.socket" "$d/log.ctdb" \
    /dev/null "$pid"
  h_wait_ping "$name" || fail "$name answers ping on run/ctdbd.socket"
}

# lock_pid FILE: the process holding a POSIX lock on FILE (from /proc/locks).
lock_pid() {
  local ino
  ino=$(stat -c %i "$1" 2>/dev/null) || return 0
  awk -v ino="$ino" '$2 == "POSIX" { split($6, f, ":"); if (f[3] == ino) print $5 }' /proc/locks
}

start_cluster() {
  local lock=$1 i
  for i in 0 1 2; do write_base "$H_TMP/c$i" "${ADDRS[$i]}" "$lock"; done
  for i in 0 1 2; do start_node "c$i"; done
}

# ---- Debian's helper
LOCK=$H_TMP/shared/cluster.lock
start_cluster "!$DEBIAN_HELPER $LOCK 1"
h_wait_converged "Debian's helper: all OK" 60 c0 c1 c2 -- OK OK OK || h_finish
leader=$H_CONVERGED_LEADER
assert_eq "the stock tool finds the node from CTDB_BASE alone (run/ctdbd.socket)" "1" \
  "$(CTDB_TEST_MODE=yes CTDB_BASE=$H_TMP/c1 timeout 10 /usr/bin/ctdb pnn 2>&1)"
assert_eq "stock getreclock shows the helper command" "!$DEBIAN_HELPER $LOCK 1" \
  "$(h_ctdb c0 getreclock 2>&1)"
assert_eq "the leader holds the cluster lock (through its helper)" "c$leader" \
  "$(h_reclock_holder "$LOCK")"
holder=$(lock_pid "$LOCK")
assert_eq "the holder is Debian's helper" "$DEBIAN_HELPER" "$(readlink "/proc/$holder/exe")"
assert_contains "public_addresses from CTDB_BASE" "$(h_ctdb c0 ip all 2>&1)" "127.0.24.100"
# [database] tdb mutexes is true by default, as in 4.17: volatile databases use robust mutexes
# (TDB_MUTEX_LOCKING, 0x1000) on top of 4.17's other flags, and DB_OPEN_FLAGS tells clients so.
h_ctdb c0 attach conf_mutex.tdb >/dev/null 2>&1
check "a volatile database is attached with mutex locking (flags 0x1c41)" \
  wait_for "grep -q \"conf_mutex.tdb.0' with flags 0x1c41\" '$H_TMP/c0/log.ctdb'" 10
check "notify.sh from CTDB_BASE got startup" wait_for "grep -qx startup '$H_TMP/c0/notify.log'" 30
check "events/legacy/00.probe.script ran for monitor" wait_for "[ -e '$H_TMP/c2/monitored' ]" 30
assert_contains "scriptstatus names it without .script" \
  "$(CTDB_SOCKET=$H_TMP/c2/run/ctdbd.socket "$CTDB_BUILD_DIR/ctdb" scriptstatus 2>&1)" \
  "00.probe             Status:OK"

# The helper dies: the leader loses the lock and a leader (maybe the same node) takes it again.
gen=$H_CONVERGED_GENERATION
kill -KILL "$holder"
check "helper killed: the leader says the lock is lost" \
  wait_for "grep -q 'recovery lock lost' '${H_LOG[c$leader]}'" 30
check "helper killed: a new generation with the lock held again" wait_for \
  "h_converged c0 c1 c2 -- OK OK OK && [ \"\$H_CONVERGED_GENERATION\" != $gen ] && [ -n \"\$(lock_pid '$LOCK')\" ]" 60 0.5
check "helper killed: the old helper is gone" eval "! h_pid_running $holder"

# The leader stops: its helper is told to let go and another node takes the lock.
leader=$H_CONVERGED_LEADER
holder=$(lock_pid "$LOCK")
h_stop_node "c$leader"
rest=()
for i in 0 1 2; do [ "$i" == "$leader" ] || rest+=("c$i"); done
flags=(OK OK OK)
flags[$leader]="DISCONNECTED|UNHEALTHY|INACTIVE"
h_wait_converged "leader stopped: the others converge" 60 "${rest[@]}" -- "${flags[@]}"
check "leader stopped: its helper is gone" wait_for "! h_pid_running $holder" 10
assert_eq "leader stopped: the new leader holds the lock" "c$H_CONVERGED_LEADER" \
  "$(h_reclock_holder "$LOCK")"
for i in 0 1 2; do h_stop_node "c$i"; done
check "stopped: no pid file left" eval "! ls $H_TMP/c?/run/ctdbd.pid 2>/dev/null"
h_dedupe_nodes

# ---- our helper, re-checking the lock file every second
LOCK2=$H_TMP/shared/cluster2.lock
for i in 0 1 2; do unset "H_EXIT[c$i]"; done
start_cluster "!$OUR_HELPER $LOCK2 1"
h_dedupe_nodes
h_wait_converged "our helper: all OK" 60 c0 c1 c2 -- OK OK OK || h_finish
leader=$H_CONVERGED_LEADER
gen=$H_CONVERGED_GENERATION
holder=$(lock_pid "$LOCK2")
assert_eq "our helper holds the lock for the leader" "$OUR_HELPER c$leader" \
  "$(readlink "/proc/$holder/exe") $(h_reclock_holder "$LOCK2")"
rm -f "$LOCK2"
check "lock file removed: the leader steps down" \
  wait_for "grep -q 'Giving up leadership: recovery lock lost' '${H_LOG[c$leader]}'" 30
check "lock file removed: a new generation with a new lock file held" wait_for \
  "h_converged c0 c1 c2 -- OK OK OK && [ \"\$H_CONVERGED_GENERATION\" != $gen ] && [ -n \"\$(lock_pid '$LOCK2')\" ]" 60 0.5
for i in 0 1 2; do h_stop_node "c$i"; done

# ---- --dump-config against Debian's ctdb-config, and bad files
P=$H_TMP/parity
mkdir -p "$P/vol"
printf '#!/bin/sh\n' >"$P/hung.sh"
chmod 755 "$P/hung.sh"
cat >"$P/ctdb.conf" <<EOF
[logging]
  location = syslog
  log level = INFO
[cluster]
  recovery lock = /shared/lock
  leader timeout = 0x0A
  leader capability = No
[database]
  volatile database directory = $P/vol
  tdb mutexes = false
[event]
  debug script = hung.sh
[failover]
  disabled = yes
[legacy]
  realtime scheduling = false
  start as stopped = TRUE
  script log level = NOTICE
EOF
stock=$(CTDB_TEST_MODE=yes CTDB_BASE=$P "$CTDB_CONFIG" dump 2>&1)
ours=$(CTDB_TEST_MODE=yes CTDB_BASE=$P "$H_CTDBD" --dump-config 2>&1 | sed '/^# Settings with no/,$d')
assert_eq "--dump-config prints what ctdb-config dump prints" "$stock" "$ours"

bad() {
  local label=$1 text=$2 want=$3 out rc
  printf '%b' "$text" >"$P/ctdb.conf"
  stock=$(CTDB_TEST_MODE=yes CTDB_BASE=$P "$CTDB_CONFIG" validate 2>&1)
  assert_contains "$label: Debian's ctdb-config says" "$stock" "$want"
  out=$(CTDB_TEST_MODE=yes CTDB_BASE=$P timeout 20 "$H_CTDBD" --socket="$P/s" 2>&1)
  rc=$?
  assert_eq "$label: ctdbd refuses to start" 1 "$rc"
  assert_contains "$label: ctdbd says the same" "$out" "$want"
}
bad "unknown key" '[cluster]\nbogus = 1\n' 'conf: unknown option [cluster] -> "bogus"'
bad "unknown section" '[clusters]\n' 'conf: unknown section [clusters]'
bad "bad boolean" '[legacy]\nstart as stopped = maybe\n' \
  'conf: invalid value [legacy] -> "start as stopped" = "maybe"'
bad "bad transport" '[cluster]\ntransport = ib\n' 'Invalid value for [cluster] -> transport = ib'
bad "missing directory" "[database]\nstate database directory = $P/none\n" \
  "state database directory \"$P/none\" does not exist"
check "bad files: no daemon was left running" eval "! [ -S '$P/s' ]"
h_finish
