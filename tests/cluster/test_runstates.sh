#!/bin/bash
# Run states and the start-up events of our ctdbd, one single-node cluster per case: a fresh node
# runs init, setup, startrecovery, recovered, startup, monitor in that order and reaches RUNNING;
# a failing startup event keeps it in STARTUP and UNHEALTHY until the script passes; a failing
# init event makes a daemonizing ctdbd exit 1 with a message, a failing setup event makes it exit
# 1; `ctdb shutdown` runs the shutdown event while the daemon still answers; without test mode
# startup waits RerecoveryTimeout + 3 s after the last recovery; the repository's own event
# scripts (events.d, config/functions) apply the sysconfig's tunables and keep a node OK; a
# missing script directory is logged and the node runs without scripts; bad script requests
# (unknown names and events, wrong arguments) fail with a message and leave the node up.
source "$(dirname "$0")/../lib/harness.sh"

h_init runstates
unset CTDB_BASE CTDB_SOCKET CTDB_SYSCONFIG CTDB_TEST_MODE CTDB_DEBUG_HUNG_SCRIPT
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
STOCK_TOOL=/usr/bin/ctdb
DATE_RE='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}'

# ss_re NAME STATUS: the regex of one `scriptstatus` line (the name in 20 columns, the duration,
# ctime(3) of the start).
ss_re() {
  local pad
  pad=$(printf '%-20s' "$1")
  echo "${pad//./\\.} Status:$2    Duration:[0-9]+\\.[0-9]{3} $DATE_RE"
}

# getvar NAME VAR: `ctdb getvar VAR` on NAME with runs of blanks squeezed.
getvar() { H_TOOL=$OURS_TOOL h_ctdb "$1" getvar "$2" 2>&1 | tr -s ' '; }

# no_answer SOCKET: nothing answers `ctdb ping` on SOCKET.
no_answer() { ! CTDB_SOCKET=$1 timeout 10 "$OURS_TOOL" ping >/dev/null 2>&1; }

# log_script DIR: 10.log appends "EVENT SECONDS.NANOSECONDS" to $CTDB_BASE/events; at shutdown
# it also records the run state the daemon reports then. Flag files in $CTDB_BASE make an event
# fail: fail_init, fail_setup, fail_startup.
log_script() {
  mkdir -p "$1"
  cat >"$1/10.log" <<EOF
#!/bin/bash
echo "\$1 \$(date +%s.%N)" >>"\$CTDB_BASE/events"
if [ -e "\$CTDB_BASE/fail_\$1" ]; then
  echo "ERROR: \$1 refused by the flag file"
  exit 2
fi
if [ "\$1" = shutdown ]; then
  echo "runstate during shutdown: \$("$OURS_TOOL" runstate 2>&1)" >>"\$CTDB_BASE/shutdown.txt"
fi
exit 0
EOF
  chmod 755 "$1/10.log"
}

# events NAME: the events node NAME's scripts saw, space separated.
events() { awk '{ print $1 }' "${H_DIR[$1]}/events" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# flag_of TOOL NAME: the status word of pnn 0 on single-node NAME.
flag_of() { H_TOOL=$1 h_node_flags "$2" 0; }

# both_tools LABEL NAME WANT_RUNSTATE WANT_FLAG: runstate and status of both tools.
both_tools() {
  local label=$1 n=$2 rs=$3 flag=$4 t
  for t in ours stock; do
    run_tool "$t" "$n" runstate
    assert_eq "$label: $t tool runstate" "0[$rs]" "${RC}[$OUT]"
    local tool=$OURS_TOOL
    [ "$t" == ours ] || tool=$STOCK_TOOL
    assert_eq "$label: $t tool status" "$flag" "$(flag_of "$tool" "$n")"
  done
}

runstate_is() { [ "$(H_TOOL=$OURS_TOOL h_ctdb "$1" runstate 2>/dev/null)" == "$2" ]; }

# ---- start everything that takes time at once
# r4: no test mode, so startup waits RerecoveryTimeout + 3 s after the last recovery.
log_script "$H_TMP/r4/events.d"
h_write_nodes "$H_TMP/r4.nodes" 127.0.0.138
H_OURS_TEST_MODE='' h_start_ours r4 127.0.0.138 "$H_TMP/r4.nodes"
# r0: a fresh node with the logging script.
log_script "$H_TMP/r0/events.d"
h_write_nodes "$H_TMP/r0.nodes" 127.0.0.134
h_start_ours r0 127.0.0.134 "$H_TMP/r0.nodes"
# r1: its startup event fails until the flag file goes.
log_script "$H_TMP/r1/events.d"
touch "$H_TMP/r1/fail_startup"
h_write_nodes "$H_TMP/r1.nodes" 127.0.0.135
h_start_ours r1 127.0.0.135 "$H_TMP/r1.nodes"
# r5: the repository's scripts in their own CTDB_BASE, configured by a sysconfig file, with our
# tool first on PATH for the scripts' `ctdb`.
B=$H_TMP/r5base
mkdir -p "$B/events.d" "$B/vardir"
cp "$CTDB_SRC_DIR"/events.d/* "$B/events.d/"
chmod 755 "$B"/events.d/*
cp "$CTDB_SRC_DIR/config/functions" "$B/functions"
cat >"$H_TMP/r5.sysconfig" <<EOF
CTDB_SET_MonitorInterval=7
CTDB_MANAGES_SAMBA=no
CTDB_SCRIPT_VARDIR=$B/vardir
CTDB_DBDIR_PERSISTENT=$H_TMP/r5/db/persistent
CTDB_LOGFILE=$B/scripts.log
EOF
h_write_nodes "$H_TMP/r5.nodes" 127.0.0.139
CTDB_BASE=$B CTDB_SYSCONFIG=$H_TMP/r5.sysconfig PATH="$CTDB_BUILD_DIR:$PATH" \
  h_start_ours r5 127.0.0.139 "$H_TMP/r5.nodes" --event-script-dir="$B/events.d"
# r6: its event script directory does not exist (a typo in --event-script-dir).
h_write_nodes "$H_TMP/r6.nodes" 127.0.0.143
h_start_ours r6 127.0.0.143 "$H_TMP/r6.nodes" --event-script-dir="$H_TMP/no/such/dir"
for n in r4 r0 r1 r5 r6; do h_wait_ping "$n" || fail "$n answers ping"; done

# ---- r4 (checked first, while it waits): recovered, but not yet started up
rerec=$(H_TOOL=$OURS_TOOL h_ctdb r4 getvar RerecoveryTimeout 2>/dev/null | awk '{ print $3 }')
[ -n "$rerec" ] || { fail "getvar RerecoveryTimeout on r4"; rerec=10; }
h_note "RerecoveryTimeout on r4: $rerec"
check "no test mode: the first recovery ends" \
  wait_for 'grep -q "^recovered " "${H_DIR[r4]}/events" 2>/dev/null' 30 0.2
both_tools "no test mode, recovered, before startup" r4 STARTUP UNHEALTHY
assert_not_contains "no test mode: no startup event yet" "$(events r4)" startup

# ---- r0: a fresh node
check "fresh node: runstate reaches RUNNING" wait_for "runstate_is r0 RUNNING" 30 0.2
check "fresh node: status OK" wait_for '[ "$(flag_of "$OURS_TOOL" r0)" == OK ]' 30 0.2
both_tools "fresh node" r0 RUNNING OK
check "fresh node: a monitor event ran" wait_for '[[ "$(events r0)" == *monitor* ]]' 10 0.2
ev=$(events r0)
# As a stock 4.17 node: the takeover run after the first recovery runs ipreallocated before
# startup (and another follows the first health change).
assert_eq "fresh node: the first events in order" \
  "init setup startrecovery recovered ipreallocated startup monitor" \
  "$(cut -d' ' -f1-7 <<<"$ev")"
rest=$(cut -d' ' -f8- <<<"$ev" | tr ' ' '\n' | grep -v -x -e monitor -e startrecovery \
  -e recovered -e ipreallocated -e '' | tr '\n' ' ')
assert_eq "fresh node: later only monitor, recovery and takeover events" "" "$rest"
run_tool ours r0 scriptstatus startup
want_re="^1 scripts were executed last startup cycle
$(ss_re 10.log OK)\$"
if [ "$RC" == 0 ] && [[ "$OUT" =~ $want_re ]]; then
  pass "fresh node: scriptstatus startup"
else
  fail "fresh node: scriptstatus startup" "rc $RC" "$OUT" "$ERR"
fi
assert_eq "fresh node: MonitorInterval default (not the sysconfig's)" "MonitorInterval = 15" \
  "$(getvar r0 MonitorInterval)"

# ---- r0: ctdb shutdown runs the shutdown event, then the daemon exits
run_tool ours r0 shutdown
assert_eq "ctdb shutdown: exit 0" 0 "$RC"
if wait_for "! h_node_running r0" 20 0.2; then
  pass "ctdb shutdown: the daemon exits"
  wait "${H_PID[r0]}" 2>/dev/null
  H_EXIT[r0]=$?
  assert_eq "ctdb shutdown: exit status 0" 0 "${H_EXIT[r0]}"
else
  fail "ctdb shutdown: the daemon exits"
fi
assert_eq "ctdb shutdown: the last event is shutdown" shutdown "$(events r0 | awk '{ print $NF }')"
assert_eq "ctdb shutdown: shutdown ran once" 1 "$(grep -c '^shutdown ' "${H_DIR[r0]}/events")"
assert_eq "ctdb shutdown: the daemon answered during the shutdown event" \
  "runstate during shutdown: SHUTDOWN" "$(cat "${H_DIR[r0]}/shutdown.txt" 2>&1)"

# ---- r1: a failing startup event
check "failing startup: the startup event is retried" \
  wait_for '[ "$(grep -c "^startup " "${H_DIR[r1]}/events")" -ge 2 ]' 30 0.2
both_tools "failing startup" r1 STARTUP UNHEALTHY
run_tool ours r1 scriptstatus startup
want_re="^1 scripts were executed last startup cycle
$(ss_re 10.log ERROR)
   OUTPUT:ERROR: startup refused by the flag file
?\$"
if [ "$RC" == 0 ] && [[ "$OUT" =~ $want_re ]]; then
  pass "failing startup: scriptstatus startup shows the error"
else
  fail "failing startup: scriptstatus startup shows the error" "rc $RC" "$OUT" "$ERR"
fi
assert_not_contains "failing startup: no monitor event ran" "$(events r1)" monitor
rm -f "$H_TMP/r1/fail_startup"
check "startup fixed: runstate RUNNING" wait_for "runstate_is r1 RUNNING" 30 0.2
check "startup fixed: status OK" wait_for '[ "$(flag_of "$OURS_TOOL" r1)" == OK ]' 30 0.2
both_tools "startup fixed" r1 RUNNING OK

# ---- r2: a failing init event, ctdbd daemonizing (no -i)
d=$H_TMP/r2
log_script "$d/events.d"
touch "$d/fail_init"
mkdir -p "$d/db/volatile" "$d/db/persistent" "$d/db/state"
h_write_nodes "$d/nodes" 127.0.0.136
out=$(CTDB_TEST_MODE=1 timeout 60 "$H_CTDBD" --nlist="$d/nodes" --listen=127.0.0.136 \
  --socket="$d/ctdbd.socket" --dbdir="$d/db/volatile" --dbdir-persistent="$d/db/persistent" \
  --dbdir-state="$d/db/state" --logfile="$d/log.ctdb" -d NOTICE --pidfile="$d/ctdbd.pid" \
  --event-script-dir="$d/events.d" --nosetsched 2>&1 </dev/null)
rc=$?
daemon_pid=$(cat "$d/ctdbd.pid" 2>/dev/null)
[ -z "$daemon_pid" ] || h_track_pid "$daemon_pid"
assert_eq "failing init: ctdbd exits 1" 1 "$rc"
assert_contains "failing init: its message names the init event" "$out" "init event"
h_note "failing init: ctdbd printed: $out"
check "failing init: the log says so" grep -q "Failed to run init event" "$d/log.ctdb"
check "failing init: the log has the script's output" \
  grep -q "10.log: ERROR: init refused by the flag file" "$d/log.ctdb"
check "failing init: the daemon process is gone" \
  wait_for '[ -z "$daemon_pid" ] || ! h_pid_running "$daemon_pid"' 20 0.2
check "failing init: the pid file is removed" wait_for "[ ! -e '$d/ctdbd.pid' ]" 20 0.2
check "failing init: nothing answers on its socket" no_answer "$d/ctdbd.socket"
# 4.17 exits at once (ctdb_die); ours also runs the shutdown event. Either way nothing else.
init_events=$(awk '{ print $1 }' "$d/events" | tr '\n' ' ' | sed 's/ $//')
h_note "failing init: events run: $init_events"
assert_eq "failing init: no event after init but shutdown" init "${init_events% shutdown}"

# ---- r3: a failing setup event (-i)
log_script "$H_TMP/r3/events.d"
touch "$H_TMP/r3/fail_setup"
h_write_nodes "$H_TMP/r3.nodes" 127.0.0.137
h_start_ours r3 127.0.0.137 "$H_TMP/r3.nodes"
if wait_for "! h_node_running r3" 30 0.2; then
  wait "${H_PID[r3]}" 2>/dev/null
  H_EXIT[r3]=$?
  assert_eq "failing setup: ctdbd exits 1" 1 "${H_EXIT[r3]}"
else
  fail "failing setup: ctdbd exits"
fi
check "failing setup: the log says so" grep -q "Failed to run setup event" "${H_LOG[r3]}"
check "failing setup: the log has the script's output" \
  grep -q "10.log: ERROR: setup refused by the flag file" "${H_LOG[r3]}"
assert_eq "failing setup: the events run" "init setup" \
  "$(events r3 | sed 's/ shutdown$//')"

# ---- r5: the repository's scripts
check "repository scripts: status OK" wait_for '[ "$(flag_of "$OURS_TOOL" r5)" == OK ]' 60 0.2
assert_eq "repository scripts: MonitorInterval from CTDB_SET_MonitorInterval" \
  "MonitorInterval = 7" "$(getvar r5 MonitorInterval)"
mapfile -t repo_scripts < <(cd "$CTDB_SRC_DIR/events.d" && ls)
for ev in setup monitor; do
  run_tool ours r5 scriptstatus "$ev"
  want_re="^${#repo_scripts[@]} scripts were executed last $ev cycle"
  for s in "${repo_scripts[@]}"; do want_re+=$'\n'"$(ss_re "$s" OK)"; done
  want_re+="\$"
  if [ "$RC" == 0 ] && [[ "$OUT" =~ $want_re ]]; then
    pass "repository scripts: scriptstatus $ev lists all ${#repo_scripts[@]} scripts OK"
  else
    fail "repository scripts: scriptstatus $ev lists all ${#repo_scripts[@]} scripts OK" "rc $RC" "$OUT" "$ERR"
  fi
done
both_tools "repository scripts" r5 RUNNING OK

# ---- r6: a missing event script directory is logged; the node runs without scripts
check "missing script dir: status OK" wait_for '[ "$(flag_of "$OURS_TOOL" r6)" == OK ]' 30 0.2
both_tools "missing script dir" r6 RUNNING OK
assert_contains "missing script dir: the log names it" "$(cat "${H_LOG[r6]}")" \
  "Event script directory $H_TMP/no/such/dir does not exist"
run_tool ours r6 scriptstatus
assert_eq "missing script dir: scriptstatus" "0[0 scripts were executed last monitor cycle]" \
  "${RC}[$OUT]"
# Bad requests about scripts get an error and leave the node up.
run_tool ours r6 enablescript 10.none
assert_eq "missing script dir: enablescript fails" \
  "1[Unable to enable script 10.none on node 0]" "${RC}[${ERR##*$'\n'}]"
run_tool ours r6 event run 5 legacy bogus
assert_eq "event run of an unknown event" "1[Failed to run event bogus in legacy: unknown event bogus]" \
  "${RC}[$OUT]"
run_tool ours r6 scriptstatus bogus
assert_eq "scriptstatus of an unknown event" "1[Unknown event type bogus]" "${RC}[$ERR]"
run_tool ours r6 event run 5 legacy monitor extra
assert_eq "event run monitor with an argument" \
  "1[Failed to run event monitor in legacy: wrong arguments for event monitor]" "${RC}[$OUT]"
both_tools "after bad script requests" r6 RUNNING OK

# ---- r4: startup waits RerecoveryTimeout + 3 s after the last recovery (no test mode)
check "no test mode: the startup event runs" \
  wait_for 'grep -q "^startup " "${H_DIR[r4]}/events"' $((rerec + 60)) 0.2
gap=$(awk '$1 == "recovered" { r = $2 } $1 == "startup" { printf "%.3f", $2 - r; exit }' \
  "${H_DIR[r4]}/events")
check "no test mode: startup ${gap}s after the last recovered event, >= $rerec + 3" \
  awk -v g="$gap" -v r="$rerec" 'BEGIN { exit !(g != "" && g >= r + 3) }'
check "no test mode: status OK after startup" \
  wait_for '[ "$(flag_of "$OURS_TOOL" r4)" == OK ]' 30 0.2
both_tools "no test mode, after startup" r4 RUNNING OK

h_finish
