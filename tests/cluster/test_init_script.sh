#!/bin/bash
# The LSB init script (config/ctdb.init) driving our real ctdbd as an administrator would: a
# two-node cluster (127.0.0.129, 127.0.0.130) started, inspected, restarted and stopped through
# it, each node configured by its own sysconfig and CTDB_BASE in the temp dir (repository
# functions and event scripts plus a logging script and a logging notification script); a broken
# sysconfig and a failing init event make `start` fail with a message and leave nothing running.
source "$(dirname "$0")/../lib/harness.sh"

h_init init_script
unset CTDB_BASE CTDB_SOCKET CTDB_SYSCONFIG CTDB_DEBUG_HUNG_SCRIPT CTDB_PIDFILE CTDB_LOGFILE
INIT=$CTDB_SRC_DIR/config/ctdb.init
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
STOCK_TOOL=/usr/bin/ctdb
export CTDBD=$CTDB_BUILD_DIR/ctdbd CTDB=$OURS_TOOL PATH="$CTDB_BUILD_DIR:$PATH" CTDB_TEST_MODE=1
ADDRS=(127.0.0.129 127.0.0.130)
NODES=$H_TMP/nodes
RECLOCK=$H_TMP/shared/reclock
h_write_nodes "$NODES" "${ADDRS[@]}"
mkdir -p "$H_TMP/shared"

# make_base NAME ADDR [EXTRA_SYSCONFIG_LINES]: CTDB_BASE $H_TMP/NAME with the repository's
# functions and event scripts, 99.log (appends each event to events.log; with the flag file
# fail_init the init event fails) and notify.sh (appends its argument to notify.log), and the
# sysconfig $H_TMP/NAME/sysconfig that keeps every file of the node inside the temp dir.
make_base() {
  local name=$1 addr=$2 extra=${3:-} b=$H_TMP/$1
  mkdir -p "$b/events.d" "$b/db/volatile" "$b/db/persistent" "$b/db/state" "$b/run" "$b/vardir"
  cp "$CTDB_SRC_DIR/config/functions" "$b/functions"
  cp "$CTDB_SRC_DIR"/events.d/* "$b/events.d/"
  cat >"$b/events.d/99.log" <<EOF
#!/bin/bash
echo "\$1" >>"$b/events.log"
if [ "\$1" = init ] && [ -e "$b/fail_init" ]; then
  echo "ERROR: init refused by the flag file"
  exit 1
fi
exit 0
EOF
  cat >"$b/notify.sh" <<EOF
#!/bin/bash
echo "\$1" >>"$b/notify.log"
EOF
  chmod 755 "$b"/events.d/* "$b/notify.sh"
  cat >"$b/sysconfig" <<EOF
CTDB_NODES=$NODES
CTDB_NODE_ADDRESS=$addr
CTDB_RECOVERY_LOCK=$RECLOCK
CTDB_DBDIR=$b/db/volatile
CTDB_DBDIR_PERSISTENT=$b/db/persistent
CTDB_DBDIR_STATE=$b/db/state
CTDB_SOCKET=$b/run/ctdbd.socket
CTDB_LOGFILE=$b/log.ctdb
CTDB_PIDFILE=$b/run/ctdbd.pid
CTDB_EVENT_SCRIPT_DIR=$b/events.d
CTDB_NOTIFY_SCRIPT=$b/notify.sh
CTDB_NOSETSCHED=yes
CTDB_DEBUGLEVEL=NOTICE
CTDB_SET_MonitorInterval=5
CTDB_SET_RerecoveryTimeout=2
CTDB_SCRIPT_VARDIR=$b/vardir
CTDB_MANAGES_SAMBA=no
CTDB_MANAGES_WINBIND=no
CTDB_MANAGES_CLAMD=no
CTDB_SHUTDOWN_TIMEOUT=20
$extra
EOF
  # Known to the harness (for h_ctdb and the logs shown on failure); the PID comes later.
  _h_register "$name" ours "$addr" "$b" "$b/run/ctdbd.socket" "$b/log.ctdb" "$b/init.out" ""
}

# init NAME ACTION [SYSCONFIG]: runs the init script for node NAME as root would run
# /etc/init.d/ctdb ACTION; sets OUT (stdout and stderr) and RC, appends both to NAME's init.out.
init() {
  local name=$1 action=$2 b=$H_TMP/$1
  local sysconfig=${3:-$b/sysconfig}
  OUT=$(CTDB_BASE=$b CTDB_SYSCONFIG=$sysconfig timeout 90 "$INIT" "$action" 2>&1)
  RC=$?
  printf '$ ctdb.init %s -> %s\n%s\n' "$action" "$RC" "$OUT" >>"$b/init.out"
}

# pidfile_pid NAME: the PID in NAME's pid file (empty if none).
pidfile_pid() { cat "$H_TMP/$1/run/ctdbd.pid" 2>/dev/null; }

# adopt NAME: the daemon the init script started becomes NAME's tracked PID, so that a failed
# test stops it too.
adopt() {
  local pid
  pid=$(pidfile_pid "$1")
  [ -n "$pid" ] || return 1
  H_PID[$1]=$pid
  h_track_pid "$pid"
}

# tool ours|stock NAME ARGS...: the tool against NAME's socket; sets TOUT (stdout and stderr), TRC.
tool() {
  local t=$OURS_TOOL
  [ "$1" == ours ] || t=$STOCK_TOOL
  TOUT=$(H_TOOL=$t h_ctdb "$2" "${@:3}" 2>&1)
  TRC=$?
}

# settled TOOL: both nodes answer TOOL's `ctdb status` with recovery mode NORMAL, one generation,
# pnn 0 OK and pnn 1 DISABLED (a disabled node stays an lmaster: vnnmap size 2). Sets SETTLED
# to the first difference.
settled() {
  local n st g gen=""
  for n in n0 n1; do
    st=$(H_TOOL=$1 h_ctdb "$n" -t 5 status 2>&1) || { SETTLED="$n: status failed: $st"; return 1; }
    g=$(sed -n 's/^Generation:\(.*\)$/\1/p' <<<"$st")
    if [[ "$st" != *"Recovery mode:NORMAL (0)"* ]] || [[ "$st" != *"Size:2"* ]] ||
      ! grep -Eq "^pnn:0 +${ADDRS[0]} +OK( \(THIS NODE\))?\$" <<<"$st" ||
      ! grep -Eq "^pnn:1 +${ADDRS[1]} +DISABLED( \(THIS NODE\))?\$" <<<"$st" ||
      [ -z "$g" ] || [ "$g" == INVALID ] || { [ -n "$gen" ] && [ "$g" != "$gen" ]; }; then
      SETTLED="$n (first generation seen: ${gen:-none}): $st"
      return 1
    fi
    gen=$g
  done
  SETTLED=""
}

# wait_settled LABEL TOOL DEADLINE
wait_settled() {
  if wait_for "settled $2" "$3" 0.2; then pass "$1"; else fail "$1" "$SETTLED"; fi
}

gone() { ! h_pid_running "$1"; }

runstate_is() { [ "$(H_TOOL=$OURS_TOOL h_ctdb "$1" runstate 2>/dev/null)" == "$2" ]; }
lines() { tr '\n' ' ' <"$1" 2>/dev/null | sed 's/ $//'; }

# stray_processes: PIDs of live processes whose command line names our temp dir (a daemon or
# event script the init script left behind). Only looked at, never signalled by this lookup.
stray_processes() {
  local f pid cmd
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    cmd=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
    if [[ "$cmd" == *"$H_TMP/"* ]] && h_pid_running "$pid"; then echo "$pid"; fi
  done
}

# no_answer SOCKET: nothing answers `ctdb ping` on SOCKET.
no_answer() { ! CTDB_SOCKET=$1 timeout 10 "$OURS_TOOL" ping >/dev/null 2>&1; }

# nothing_left LABEL NAME: no pid file, nothing answers on the socket, no process of ours.
nothing_left() {
  local label=$1 name=$2 strays p
  check "$label: no pid file" test ! -e "$H_TMP/$name/run/ctdbd.pid"
  check "$label: nothing answers on the socket" no_answer "$H_TMP/$name/run/ctdbd.socket"
  strays=$(stray_processes)
  for p in $strays; do h_track_pid "$p"; done
  assert_eq "$label: no process left running" "" "$strays"
}

make_base n0 "${ADDRS[0]}"
make_base n1 "${ADDRS[1]}" "CTDB_START_AS_DISABLED=yes
CTDB_CAPABILITY_RECMASTER=no"

# ---- status before anything runs
init n0 status
assert_eq "status before start: exit 3, not running" "3 ctdbd is not running" "$RC $OUT"

# ---- start both nodes
for n in n0 n1; do
  b=$H_TMP/$n
  init "$n" start
  adopt "$n" || true
  assert_eq "$n start: exit 0" 0 "$RC"
  first=$(head -n 1 <<<"$OUT")
  assert_contains "$n start: prints the Starting line" "$first" "Starting ctdbd: $CTDBD "
  want=(--nlist="$NODES" --reclock="$RECLOCK" --dbdir="$b/db/volatile"
    --dbdir-persistent="$b/db/persistent" --dbdir-state="$b/db/state"
    --event-script-dir="$b/events.d" --notification-script="$b/notify.sh"
    --socket="$b/run/ctdbd.socket" --logfile="$b/log.ctdb" --listen="${H_ADDR[$n]}"
    "-d NOTICE" --nosetsched --pidfile="$b/run/ctdbd.pid")
  [ "$n" == n0 ] || want+=(--start-as-disabled --no-recmaster)
  missing=()
  for o in "${want[@]}"; do [[ " $first " == *" $o "* ]] || missing+=("$o"); done
  assert_eq "$n start: the Starting line has every option from the sysconfig" "" "${missing[*]}"
  if [ "$n" == n0 ]; then
    assert_not_contains "n0 start: no --start-as-disabled" "$first" --start-as-disabled
    assert_not_contains "n0 start: no --no-recmaster" "$first" --no-recmaster
  fi
  pid=$(pidfile_pid "$n")
  check "$n start: the pid file names a running process" h_pid_running "$pid"
  init "$n" status
  assert_eq "$n status: exit 0, running" "0 ctdbd is running (pid $pid)" "$RC $OUT"
done

# ---- what the administrator sees once the cluster settled
for n in n0 n1; do
  check "$n: runstate RUNNING" wait_for "runstate_is $n RUNNING" 45 0.2
done
wait_settled "cluster settles: OK DISABLED (stock tool)" "$STOCK_TOOL" 45
wait_settled "cluster settles: OK DISABLED (our tool)" "$OURS_TOOL" 20
for t in ours stock; do
  for n in n0 n1; do
    tool "$t" "$n" status
    pnn=${n#n}
    st=$(grep -E '^pnn:' <<<"$TOUT" | sed 's/ (THIS NODE)//; s/  */ /g' | tr '\n' ';')
    assert_eq "$t tool, $n's view: ctdb status nodes" \
      "0 pnn:0 ${ADDRS[0]} OK;pnn:1 ${ADDRS[1]} DISABLED;" "$TRC $st"
    check "$t tool, $n's view: THIS NODE is pnn $pnn" \
      grep -Eq "^pnn:$pnn .*\(THIS NODE\)$" <<<"$TOUT"
    tool "$t" "$n" getvar MonitorInterval
    assert_eq "$t tool, $n: MonitorInterval from the sysconfig" "0 MonitorInterval = 5" \
      "$TRC $(tr -s ' ' <<<"$TOUT")"
    tool "$t" "$n" getvar RerecoveryTimeout
    assert_eq "$t tool, $n: RerecoveryTimeout from the sysconfig" "0 RerecoveryTimeout = 2" \
      "$TRC $(tr -s ' ' <<<"$TOUT")"
    tool "$t" "$n" getreclock
    assert_eq "$t tool, $n: getreclock" "0 $RECLOCK" "$TRC $TOUT"
    tool "$t" "$n" leader
    assert_eq "$t tool, $n: leader" "0 0" "$TRC $TOUT"
  done
  tool "$t" n1 getcapabilities
  assert_eq "$t tool: getcapabilities on n1 (CTDB_CAPABILITY_RECMASTER=no)" \
    "0 LEADER: NO LMASTER: YES" "$TRC ${TOUT//$'\n'/ }"
  tool "$t" n0 getcapabilities
  assert_eq "$t tool: getcapabilities on n0" "0 LEADER: YES LMASTER: YES" \
    "$TRC ${TOUT//$'\n'/ }"
done
first_notes() { head -n 3 "$H_TMP/$1/notify.log" 2>/dev/null | tr '\n' ' '; }
for n in n0 n1; do
  check "$n: the notification script saw init, setup, startup first" \
    wait_for "[ \"\$(first_notes $n)\" == 'init setup startup ' ]" 20 0.2
done
check "n0: the notification script then saw healthy" \
  wait_for "sed -n '4,\$p' '$H_TMP/n0/notify.log' | grep -qx healthy" 30 0.2
check "n0: 99.log saw a monitor event" wait_for "grep -qx monitor '$H_TMP/n0/events.log'" 30 0.2

# ---- start again: nothing happens
pid0=$(pidfile_pid n0)
init n0 start
assert_eq "start while running: exit 0, already running" \
  "0 ctdbd is already running (pid $pid0)" "$RC $OUT"
assert_eq "start while running: the same daemon" "$pid0" "$(pidfile_pid n0)"

# ---- restart n1 while it runs
pid1=$(pidfile_pid n1)
: >"$H_TMP/n1/events.log"
init n1 restart
adopt n1 || true
assert_eq "restart: exit 0" 0 "$RC"
assert_contains "restart: stops the old daemon" "$OUT" "Stopping ctdbd (pid $pid1)"
assert_contains "restart: starts a new one" "$OUT" "Starting ctdbd: $CTDBD "
newpid1=$(pidfile_pid n1)
check "restart: the old daemon is gone" gone "$pid1"
if [ -n "$newpid1" ] && [ "$newpid1" != "$pid1" ] && h_pid_running "$newpid1"; then
  pass "restart: a new daemon with a new pid runs"
else
  fail "restart: a new daemon with a new pid runs" "old $pid1, new '$newpid1'"
fi
check "restart: n1 RUNNING again" wait_for "runstate_is n1 RUNNING" 45 0.2
assert_eq "restart: 99.log saw shutdown, then init and setup" "shutdown init setup" \
  "$(head -n 3 "$H_TMP/n1/events.log" | tr '\n' ' ' | sed 's/ $//')"
check "restart: 99.log saw startup after them" \
  grep -qx startup <(sed -n '4,$p' "$H_TMP/n1/events.log")
wait_settled "restart: the cluster settles again: OK DISABLED" "$STOCK_TOOL" 45
init n1 status
assert_eq "restart: status running with the new pid" "0 ctdbd is running (pid $newpid1)" \
  "$RC $OUT"

# ---- stop both nodes (n1 first: n0 is the leader)
for n in n1 n0; do
  pid=$(pidfile_pid "$n")
  init "$n" stop
  assert_eq "$n stop: exit 0, Stopping line" "0 Stopping ctdbd (pid $pid)" "$RC $OUT"
  check "$n stop: the daemon is gone" gone "$pid"
  check "$n stop: the pid file is removed" test ! -e "$H_TMP/$n/run/ctdbd.pid"
  assert_eq "$n stop: 99.log saw shutdown last" shutdown "$(tail -n 1 "$H_TMP/$n/events.log")"
  init "$n" status
  assert_eq "$n status after stop: exit 3, not running" "3 ctdbd is not running" "$RC $OUT"
  init "$n" stop
  assert_eq "$n stop when stopped: exit 0, not running" "0 ctdbd is not running" "$RC $OUT"
done
nothing_left "after stop" n0

# ---- a broken sysconfig: the nodes file is missing
sed "s|^CTDB_NODES=.*|CTDB_NODES=$H_TMP/missing/nodes|" "$H_TMP/n0/sysconfig" \
  >"$H_TMP/n0/broken.sysconfig"
init n0 start "$H_TMP/n0/broken.sysconfig"
adopt n0 || true
assert_eq "missing nodes file: start exits 1" 1 "$RC"
assert_contains "missing nodes file: the Starting line" "$OUT" \
  "Starting ctdbd: $CTDBD --nlist=$H_TMP/missing/nodes "
assert_contains "missing nodes file: ERROR line" "$OUT" "ERROR: ctdbd failed to start: "
err=$(grep '^ERROR: ctdbd failed to start: ' <<<"$OUT")
assert_contains "missing nodes file: ctdbd's message names the file" "$err" \
  "$H_TMP/missing/nodes"
h_note "missing nodes file: $err"
nothing_left "missing nodes file" n0
init n0 status
assert_eq "missing nodes file: status exit 3" "3 ctdbd is not running" "$RC $OUT"

# ---- a failing init event
touch "$H_TMP/n0/fail_init"
: >"$H_TMP/n0/events.log"
init n0 start
adopt n0 || true
assert_eq "failing init event: start exits 1" 1 "$RC"
err=$(grep '^ERROR: ctdbd failed to start' <<<"$OUT")
assert_contains "failing init event: ERROR line names the init event" "$err" "init event"
h_note "failing init event: $err"
assert_eq "failing init event: 99.log ran init (then at most shutdown)" init \
  "$(lines "$H_TMP/n0/events.log" | sed 's/ shutdown$//')"
check "failing init event: the log has the script's output" \
  grep -q "init refused by the flag file" "$H_TMP/n0/log.ctdb"
check "failing init event: the daemon is gone" \
  wait_for '[ -z "$(stray_processes)" ]' 20 0.2
nothing_left "failing init event" n0
rm -f "$H_TMP/n0/fail_init"

h_finish
