#!/bin/bash
# Tests config/ctdb.init: sysconfig variables to ctdbd options, start/stop/
# status/restart/condrestart with a stub ctdbd that "daemonizes" a sleep.
. "$(dirname "$0")/lib.sh"
init="$CONFIG_DIR/ctdb.init"
export CTDBD="$STUBS/ctdbd"
export CTDB_PROC_DIR=/proc          # the stand-in daemons are real processes
export CTDB_PIDFILE="$TEST_TMP/pid/ctdbd.pid"
unset CTDB_LOGFILE                  # would become --logfile
trap 'for p in $(cat "$STUB_STATE/daemons" 2>/dev/null); do kill "$p" 2>/dev/null; done; cleanup' EXIT

# ctdbd stub: records its arguments and environment; fails like a real
# ctdbd whose initialisation failed when $STUB_STATE/ctdbd_fail exists;
# otherwise leaves a stand-in daemon running and writes its PID file.
stub ctdbd '
printf "%s\n" "$@" >"$STUB_STATE/ctdbd.args"
env | grep -E "^CTDB_(BASE|SYSCONFIG|SOCKET)=" | sort >"$STUB_STATE/ctdbd.env"
if [ -e "$STUB_STATE/ctdbd_fail" ]; then echo "ctdbd: cannot read nodes file /etc/ctdb/nodes" >&2; exit 1; fi
for a in "$@"; do case "$a" in --pidfile=*) pidfile="${a#--pidfile=}" ;; esac; done
sleep 300 </dev/null >/dev/null 2>&1 &
echo $! >>"$STUB_STATE/daemons"
echo $! >"$pidfile"'
# ctdb stub: "shutdown" stops the stand-in daemon unless told otherwise.
stub ctdb '
if [ "$1" = shutdown ]; then
  [ -e "$STUB_STATE/shutdown_fail" ] && { echo "connection refused"; exit 1; }
  [ -e "$STUB_STATE/shutdown_ignored" ] || kill "$(cat "$CTDB_PIDFILE")"
fi'

args() { cat "$STUB_STATE/ctdbd.args"; }
daemon_pid() { cat "$CTDB_PIDFILE"; }
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(cut -d" " -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# --- start / status / stop ---------------------------------------------------------
new_case
run "$init" status
check "status before start: not running, LSB 3" 3 "ctdbd is not running" ""
run "$init" start
check "start with an empty sysconfig" 0 "Starting ctdbd: $CTDBD --pidfile=$CTDB_PIDFILE" "ctdbd --pidfile=$CTDB_PIDFILE"
check_true "empty sysconfig: only --pidfile is passed" test "$(args)" = "--pidfile=$CTDB_PIDFILE"
pid=$(daemon_pid)
run "$init" status
check "status: running" 0 "ctdbd is running (pid $pid)"
: >"$STUB_LOG"
run "$init" start
check "start when running does nothing" 0 "ctdbd is already running (pid $pid)" ""
run "$init" stop
check "stop uses ctdb shutdown" 0 "Stopping ctdbd (pid $pid)" "ctdb shutdown"
check_true "stop: the daemon is gone" gone "$pid"
check_true "stop: the pid file is removed" test ! -e "$CTDB_PIDFILE"
: >"$STUB_LOG"
run "$init" stop
check "stop when not running" 0 "ctdbd is not running" ""

mkdir -p "${CTDB_PIDFILE%/*}"
echo 999999999 >"$CTDB_PIDFILE"
run "$init" status
check "status with a stale pid file: LSB 1" 1 \
  "ctdbd is not running but the pid file $CTDB_PIDFILE exists"
rm -f "$CTDB_PIDFILE"

# --- start failures -------------------------------------------------------------------
new_case
touch "$STUB_STATE/ctdbd_fail"
run "$init" start
check "start reports ctdbd exiting 1" 1 \
  "Starting ctdbd: $CTDBD --pidfile=$CTDB_PIDFILE
ERROR: ctdbd failed to start: ctdbd: cannot read nodes file /etc/ctdb/nodes"
run "$init" status
check "status after the failed start" 3 "ctdbd is not running"
rm "$STUB_STATE/ctdbd_fail"

# --- stop fallbacks ---------------------------------------------------------------------
new_case
"$init" start >/dev/null
pid=$(daemon_pid)
touch "$STUB_STATE/shutdown_fail"
run "$init" stop
check "stop falls back to SIGTERM when ctdb shutdown fails" 0 \
  "Stopping ctdbd (pid $pid)
ctdb shutdown did not stop ctdbd; sending SIGTERM to pid $pid"
check_true "stop fallback: the daemon is gone" gone "$pid"
rm "$STUB_STATE/shutdown_fail"

"$init" start >/dev/null
pid=$(daemon_pid)
touch "$STUB_STATE/shutdown_ignored"
sysconfig CTDB_SHUTDOWN_TIMEOUT=1
run "$init" stop
check "stop falls back to SIGTERM after CTDB_SHUTDOWN_TIMEOUT" 0 \
  "Stopping ctdbd (pid $pid)
ctdb shutdown did not stop ctdbd; sending SIGTERM to pid $pid"
check_true "stop after timeout: the daemon is gone" gone "$pid"
rm "$STUB_STATE/shutdown_ignored"

# --- restart / condrestart / force-reload -------------------------------------------------
new_case
run "$init" condrestart
check "condrestart when stopped does nothing" 0 "ctdbd is not running" ""
"$init" start >/dev/null
for action in restart force-reload condrestart try-restart; do
  old=$(daemon_pid)
  : >"$STUB_LOG"
  run "$init" "$action"
  new=$(daemon_pid)
  check "$action stops and starts" 0 "Stopping ctdbd (pid $old)
Starting ctdbd: $CTDBD --pidfile=$CTDB_PIDFILE" "ctdb shutdown
ctdbd --pidfile=$CTDB_PIDFILE"
  check_true "$action: a new daemon runs" test "$old" != "$new" -a -n "$new"
done
"$init" stop >/dev/null

run "$init" reload-everything
check "unknown action: usage, LSB 2" 2 \
  "Usage: $init {start|stop|restart|force-reload|condrestart|try-restart|status}"

# --- option translation ------------------------------------------------------------------
# start_args LINES...: starts with this sysconfig, stops again, leaves the
# arguments ctdbd got in ARGS and the start's exit code in RC.
start_args() {
  new_case
  rm -f "$STUB_STATE/ctdbd.args"
  sysconfig "$@"
  run "$init" start
  ARGS=$(cat "$STUB_STATE/ctdbd.args" 2>/dev/null)
  "$init" stop >/dev/null 2>&1
}

start_args \
  CTDB_NODES=/etc/ctdb/nodes.test \
  'CTDB_RECOVERY_LOCK="/cluster fs/.ctdb/reclock"' \
  CTDB_PUBLIC_ADDRESSES=/etc/ctdb/pa \
  CTDB_PUBLIC_INTERFACE=eth1 \
  CTDB_SINGLE_PUBLIC_IP=10.0.0.5 \
  CTDB_DBDIR=/srv/ctdb \
  CTDB_DBDIR_PERSISTENT=/srv/ctdb/persistent \
  CTDB_DBDIR_STATE=/srv/ctdb/state \
  CTDB_EVENT_SCRIPT_DIR=/srv/events.d \
  CTDB_NOTIFY_SCRIPT=/etc/ctdb/notify.sh \
  CTDB_SOCKET=/srv/ctdb.socket \
  CTDB_LOGFILE=/srv/log.ctdb \
  CTDB_NODE_ADDRESS=127.0.0.2 \
  CTDB_TRANSPORT=tcp \
  CTDB_DEBUGLEVEL=INFO \
  CTDB_SYSLOG=yes \
  CTDB_NOSETSCHED=yes \
  CTDB_START_AS_DISABLED=yes \
  CTDB_START_AS_STOPPED=true \
  CTDB_CAPABILITY_LMASTER=no \
  CTDB_CAPABILITY_RECMASTER=no \
  'CTDB_OPTIONS="--torture --interactive"' \
  CTDB_NATGW_PUBLIC_IP=10.0.0.227/24 CTDB_MANAGES_SAMBA=yes CTDB_SET_MonitorInterval=5
check "every variable: start succeeds" 0 "*"
check_true "every variable becomes its ctdbd option, CTDB_OPTIONS last, others ignored" \
  test "$ARGS" = "--nlist=/etc/ctdb/nodes.test
--reclock=/cluster fs/.ctdb/reclock
--public-addresses=/etc/ctdb/pa
--public-interface=eth1
--single-public-ip=10.0.0.5
--dbdir=/srv/ctdb
--dbdir-persistent=/srv/ctdb/persistent
--dbdir-state=/srv/ctdb/state
--event-script-dir=/srv/events.d
--notification-script=/etc/ctdb/notify.sh
--socket=/srv/ctdb.socket
--logfile=/srv/log.ctdb
--listen=127.0.0.2
--transport=tcp
-d
INFO
--syslog
--nosetsched
--start-as-disabled
--start-as-stopped
--no-lmaster
--no-recmaster
--pidfile=$CTDB_PIDFILE
--torture
--interactive"

start_args CTDB_LVS_PUBLIC_IP=10.0.0.237 CTDB_SINGLE_PUBLIC_IP=10.0.0.5
check_true "CTDB_LVS_PUBLIC_IP gives --lvs and wins the single public IP" \
  test "$ARGS" = "--lvs
--single-public-ip=10.0.0.237
--pidfile=$CTDB_PIDFILE"

start_args CTDB_LVS_PUBLIC_IP=10.0.0.237 CTDB_LVS_PUBLIC_IFACE=eth1
check_true "CTDB_LVS_PUBLIC_IFACE names the LVS address's interface" \
  test "$ARGS" = "--public-interface=eth1
--lvs
--single-public-ip=10.0.0.237
--pidfile=$CTDB_PIDFILE"
start_args CTDB_LVS_PUBLIC_IP=10.0.0.237 CTDB_LVS_PUBLIC_IFACE=eth1 CTDB_PUBLIC_INTERFACE=eth2
check_true "CTDB_PUBLIC_INTERFACE still wins for every address" \
  test "$ARGS" = "--public-interface=eth2
--lvs
--single-public-ip=10.0.0.237
--pidfile=$CTDB_PIDFILE"

start_args CTDB_SYSLOG=no CTDB_NOSETSCHED=off CTDB_START_AS_DISABLED=0 \
  CTDB_START_AS_STOPPED= CTDB_CAPABILITY_LMASTER=yes CTDB_CAPABILITY_RECMASTER=YES \
  CTDB_NODES= CTDB_OPTIONS=
check_true "no/empty values add no option" test "$ARGS" = "--pidfile=$CTDB_PIDFILE"

start_args CTDB_SYSLOG=perhaps
check "invalid yes/no value stops the start" 1 "ERROR: CTDB_SYSLOG='perhaps' is not a yes/no value"
check_true "invalid yes/no value: ctdbd not run" test -z "$ARGS"
start_args CTDB_CAPABILITY_RECMASTER=nope
check "invalid capability value stops the start" 1 \
  "ERROR: CTDB_CAPABILITY_RECMASTER='nope' is not a yes/no value"

# --- environment for the event scripts -----------------------------------------------------
start_args CTDB_SOCKET=/srv/ctdb.socket
check_true "ctdbd inherits CTDB_BASE, CTDB_SYSCONFIG and CTDB_SOCKET" \
  test "$(cat "$STUB_STATE/ctdbd.env")" = "CTDB_BASE=$CONFIG_DIR
CTDB_SOCKET=/srv/ctdb.socket
CTDB_SYSCONFIG=$CTDB_SYSCONFIG"

new_case
mkdir -p "$CTDB_SYS_ETCDIR/default"
echo CTDB_DBDIR=/from/default >"$CTDB_SYS_ETCDIR/default/ctdb"
CTDB_SYSCONFIG='' run "$init" start
check "without CTDB_SYSCONFIG, /etc/default/ctdb is read" 0 "*"
check_true "the file found is exported as CTDB_SYSCONFIG" \
  grep -qx "CTDB_SYSCONFIG=$CTDB_SYS_ETCDIR/default/ctdb" "$STUB_STATE/ctdbd.env"
check_true "its settings are used" grep -qx -- "--dbdir=/from/default" "$STUB_STATE/ctdbd.args"
"$init" stop >/dev/null

run env CTDB_BASE="$TEST_TMP/nowhere" "$init" start
check "missing functions file" 1 "ctdb: cannot load $TEST_TMP/nowhere/functions"

finish
