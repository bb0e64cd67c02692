#!/bin/bash
# Node health from event scripts on 3 of our nodes sharing a recovery lock, as an administrator
# sees it with our tool and the stock one: a failing monitor script makes its node UNHEALTHY on
# every node (`status`, `-X status`) with its output in `scriptstatus`, and healthy again once it
# passes; a hung monitor script is TIMEDOUT, its process group killed after the debug hook ran;
# disablescript/enablescript change what runs; the notification script hears the health changes
# in order; DisableWhenUnhealthy leaves the node DISABLED until `ctdb enable`; a script leaving a
# child that holds its output does not keep the event stuck. Also: the scripts' environment
# (CTDB_BASE, CTDB_SOCKET, CTDB_EVENT_SCRIPT_DIR) and that the last --event-script-dir wins.
source "$(dirname "$0")/../lib/harness.sh"

h_init monitoring
# The scripts' CTDB_BASE must be the daemon's choice (the parent of the script directory).
unset CTDB_BASE CTDB_SOCKET CTDB_SYSCONFIG
H_RECLOCK=$H_TMP/m.reclock
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
STOCK_TOOL=/usr/bin/ctdb
A=(127.0.0.131 127.0.0.132 127.0.0.133)
XHDR='|Node|IP|Disconnected|Unknown|Banned|Disabled|Unhealthy|Stopped|Inactive|'
XHDR+='PartiallyOnline|ThisNode|'
# The start time `scriptstatus` prints: ctime(3).
DATE_RE='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}'

# ss_re NAME STATUS: the regex of one `scriptstatus` line (the old tool's layout: the name in 20
# columns; a duration unless TIMEDOUT; then ctime(3) of the start).
ss_re() {
  local name=$1 status=$2 pad
  pad=$(printf '%-20s' "$name")
  pad=${pad//./\\.}
  if [ "$status" == TIMEDOUT ]; then
    echo "$pad Status:$status    $DATE_RE"
  else
    echo "$pad Status:$status    Duration:[0-9]+\\.[0-9]{3} $DATE_RE"
  fi
}

# Every test script appends its event to $CTDB_BASE/calls.NAME, then does what its flag files
# in $CTDB_BASE ask for at the monitor event.
write_script() {
  local file=$1 body=$2
  {
    echo '#!/bin/bash'
    echo 'echo "$1" >>"$CTDB_BASE/calls.${0##*/}"'
    echo "$body"
    echo 'exit 0'
  } >"$file"
  chmod 755 "$file"
}

install_scripts() {
  local dir=$1
  mkdir -p "$dir"
  # 10.flag: fails the monitor event while $CTDB_BASE/fail_monitor exists.
  write_script "$dir/10.flag" '
if [ "$1" = monitor ]; then
  echo "CTDB_BASE=$CTDB_BASE CTDB_SOCKET=$CTDB_SOCKET" \
    "CTDB_EVENT_SCRIPT_DIR=$CTDB_EVENT_SCRIPT_DIR" >"$CTDB_BASE/env.txt"
  if [ -e "$CTDB_BASE/fail_monitor" ]; then
    echo "ERROR: flag file $CTDB_BASE/fail_monitor says fail"
    exit 3
  fi
fi'
  # 15.count: only counts its calls (for disablescript/enablescript).
  write_script "$dir/15.count" ''
  # 20.hang: hangs (with a child) while $CTDB_BASE/hang_monitor exists.
  write_script "$dir/20.hang" '
if [ "$1" = monitor ] && [ -e "$CTDB_BASE/hang_monitor" ]; then
  echo $$ >>"$CTDB_BASE/hang.pids"
  echo "hanging now"
  sleep 1000 &
  echo $! >>"$CTDB_BASE/hang_children.pids"
  wait
fi'
  # 30.fork: leaves a long-lived child holding its stdout while $CTDB_BASE/fork_monitor exists.
  write_script "$dir/30.fork" '
if [ "$1" = monitor ] && [ -e "$CTDB_BASE/fork_monitor" ]; then
  sleep 300 &
  echo $! >>"$CTDB_BASE/fork.pids"
fi'
}

# flags_seen TOOL NAME: the status words of pnn 0..2 in NAME's `ctdb status`, space separated.
flags_seen() {
  H_TOOL=$1 h_ctdb "$2" -t 2 status 2>/dev/null | awk '$1 ~ /^pnn:/ { w = w sep $3; sep = " " }
    END { print w }'
}

# flags_everywhere WANT...: every node shows these flags for pnn 0..2 (our tool).
flags_everywhere() {
  local n want="$*"
  for n in m0 m1 m2; do
    [ "$(flags_seen "$OURS_TOOL" "$n")" == "$want" ] || return 1
  done
}

# assert_flags LABEL WANT...: flags_everywhere within 30 s, then the same for both tools on
# every node, and `-X status` of both tools identical to the expected table.
assert_flags() {
  local label=$1 want n t i line
  shift
  want="$*"
  # shellcheck disable=SC2034  # read by the wait_for condition
  FE_WANT=("$@")
  if wait_for 'flags_everywhere "${FE_WANT[@]}"' 30 0.2; then
    pass "$label: every node shows $want"
  else
    fail "$label: every node shows $want" "$(for n in m0 m1 m2; do
      echo "$n: $(flags_seen "$OURS_TOOL" "$n")"; done)"
  fi
  local -a words=("$@")
  for n in m0 m1 m2; do
    for t in ours stock; do
      local tool=$OURS_TOOL
      [ "$t" == ours ] || tool=$STOCK_TOOL
      assert_eq "$label: $t tool status on $n" "$want" "$(flags_seen "$tool" "$n")"
      local x="$XHDR"
      for i in 0 1 2; do
        local this=N dis=0 unh=0
        [ "m$i" == "$n" ] && this=Y
        [[ "${words[$i]}" == *DISABLED* ]] && dis=1
        [[ "${words[$i]}" == *UNHEALTHY* ]] && unh=1
        line="|$i|${A[$i]}|0|0|0|$dis|$unh|0|0|0|$this|"
        x+=$'\n'"$line"
      done
      run_tool "$t" "$n" -X status
      assert_eq "$label: $t tool -X status on $n" "$x" "$OUT"
    done
  done
}

# count FILE: its number of lines (0 when missing).
count() { if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# monitor_runs NAME: how many monitor events reached 10.flag on node NAME.
monitor_runs() { grep -c '^monitor$' "${H_DIR[$1]}/calls.10.flag" 2>/dev/null || echo 0; }

# wait_monitor_runs NAME K: until K more monitor events than now reached 10.flag.
wait_monitor_runs() {
  local target=$(($(monitor_runs "$1") + $2))
  wait_for "[ \$(monitor_runs $1) -ge $target ]" 30 0.2
}

# scriptstatus_line NAME SCRIPT: the line of SCRIPT in NAME's monitor scriptstatus (our tool).
scriptstatus_line() {
  H_TOOL=$OURS_TOOL h_ctdb "$1" scriptstatus 2>&1 | grep "^$2 "
}

# ---- the notification script of node 1 logs each event it hears
NOTIFY=$H_TMP/notify.sh
printf '#!/bin/bash\necho "$1" >>"%s"\n' "$H_TMP/notify.log" >"$NOTIFY"
chmod 755 "$NOTIFY"
# ---- the debug hook for hung scripts: reports in its output (the node log) and a calls file
DEBUG_HUNG=$H_TMP/debug-hung.sh
cat >"$DEBUG_HUNG" <<EOF
#!/bin/bash
alive=no
kill -0 "\$1" 2>/dev/null && alive=yes
echo "debug-hung called: pid=\$1 event=\$2 alive=\$alive"
echo "\$1 \$2 \$alive" >>"$H_TMP/debug-hung.calls"
EOF
chmod 755 "$DEBUG_HUNG"
export CTDB_DEBUG_HUNG_SCRIPT=$DEBUG_HUNG

install_scripts "$H_TMP/m0/events.d"
install_scripts "$H_TMP/m1/events.d"
# Node 2 names its own script directory after the harness's one (the last option wins); the
# harness's directory holds a script that would make it UNHEALTHY if it ran.
install_scripts "$H_TMP/m2/scripts"
mkdir -p "$H_TMP/m2/events.d"
write_script "$H_TMP/m2/events.d/10.wrong" '[ "$1" != monitor ] || exit 1'

h_write_nodes "$H_TMP/m.nodes" "${A[@]}"
h_start_ours_args m0 "${A[0]}" "$H_TMP/m.nodes" --reclock="$H_RECLOCK"
h_start_ours_args m1 "${A[1]}" "$H_TMP/m.nodes" --reclock="$H_RECLOCK" \
  --notification-script="$NOTIFY"
h_start_ours_args m2 "${A[2]}" "$H_TMP/m.nodes" --reclock="$H_RECLOCK" \
  --event-script-dir="$H_TMP/m2/scripts"
for n in m0 m1 m2; do h_wait_ping "$n" || fail "$n answers ping"; done
h_wait_converged "start: all OK" 60 m0 m1 m2 -- OK OK OK || h_finish
for n in m0 m1 m2; do
  H_TOOL=$OURS_TOOL h_ctdb "$n" setvar MonitorInterval 1 >/dev/null ||
    fail "setvar MonitorInterval 1 on $n"
done

# ---- the script environment, and which directory node 2 runs
check "node 2: the scripts of the last --event-script-dir ran" wait_monitor_runs m2 1
check "node 2: the harness's events.d did not run" [ ! -e "$H_TMP/m2/calls.10.wrong" ]
assert_eq "node 2: environment of its scripts" \
  "CTDB_BASE=$H_TMP/m2 CTDB_SOCKET=${H_SOCK[m2]} CTDB_EVENT_SCRIPT_DIR=$H_TMP/m2/scripts" \
  "$(cat "$H_TMP/m2/env.txt" 2>&1)"
wait_monitor_runs m0 1
assert_eq "node 0: environment of its scripts" \
  "CTDB_BASE=$H_TMP/m0 CTDB_SOCKET=${H_SOCK[m0]} CTDB_EVENT_SCRIPT_DIR=$H_TMP/m0/events.d" \
  "$(cat "$H_TMP/m0/env.txt" 2>&1)"
run_tool ours m0 scriptstatus
want_re="^4 scripts were executed last monitor cycle
$(ss_re 10.flag OK)
$(ss_re 15.count OK)
$(ss_re 20.hang OK)
$(ss_re 30.fork OK)\$"
if [ "$RC" == 0 ] && [[ "$OUT" =~ $want_re ]]; then
  pass "healthy: scriptstatus lists 4 scripts OK"
else
  fail "healthy: scriptstatus lists 4 scripts OK" "rc $RC" "$OUT" "$ERR"
fi

# ---- a failing monitor script on node 1
touch "$H_TMP/m1/fail_monitor"
assert_flags "failing monitor on pnn 1" OK UNHEALTHY OK
run_tool ours m1 scriptstatus
want_re="^1 scripts were executed last monitor cycle
$(ss_re 10.flag ERROR)
   OUTPUT:ERROR: flag file $H_TMP/m1/fail_monitor says fail
?\$"
if [ "$RC" == 0 ] && [[ "$OUT" =~ $want_re ]]; then
  pass "failing monitor: scriptstatus shows 10.flag ERROR with its output"
else
  fail "failing monitor: scriptstatus shows 10.flag ERROR with its output" "rc $RC" "$OUT" "$ERR"
fi
run_tool ours m1 -X scriptstatus
xre='^\|Type\|Name\|Code\|Status\|Start\|End\|Error Output\.\.\.\|
\|monitor\|10\.flag\|3\|ERROR\|[0-9]+\.[0-9]{6}\|[0-9]+\.[0-9]{6}\|ERROR: flag file [^|]* says fail'
if [ "$RC" == 0 ] && [[ "$OUT" =~ $xre ]]; then
  pass "failing monitor: -X scriptstatus shows code 3 and the output"
else
  fail "failing monitor: -X scriptstatus shows code 3 and the output" "rc $RC" "$OUT" "$ERR"
fi
check "failing monitor: the node log names the script and its output" \
  grep -q "10.flag: ERROR: flag file $H_TMP/m1/fail_monitor says fail" "${H_LOG[m1]}"

rm -f "$H_TMP/m1/fail_monitor"
assert_flags "monitor passes again on pnn 1" OK OK OK
wait_for '[[ "$(scriptstatus_line m1 10.flag)" == *Status:OK* ]]' 10 0.2
assert_eq "healthy again: scriptstatus of node 1 back to 4 scripts" \
  "4 scripts were executed last monitor cycle" \
  "$(H_TOOL=$OURS_TOOL h_ctdb m1 scriptstatus 2>&1 | head -n 1)"

# ---- the notification script of node 1
want_notify="init setup startup healthy unhealthy healthy"
if wait_for '[ "$(count "$H_TMP/notify.log")" -ge 6 ]' 15 0.2; then :; fi
assert_eq "notification script heard the events in order" "$want_notify" \
  "$(tr '\n' ' ' <"$H_TMP/notify.log" 2>/dev/null | sed 's/ $//')"

# ---- a hung monitor script on node 2: one timeout makes it UNHEALTHY
for v in "MonitorTimeoutCount 1" "EventScriptTimeout 3"; do
  # shellcheck disable=SC2086
  H_TOOL=$OURS_TOOL h_ctdb m2 setvar $v >/dev/null || fail "setvar $v on m2"
done
# An event keeps the timeout it started with: hang only events begun after the setvar.
check "hung monitor: a monitor event starts after the new EventScriptTimeout" \
  wait_monitor_runs m2 1
touch "$H_TMP/m2/hang_monitor"
hang_started=$(h_now_us)
assert_flags "hung monitor on pnn 2" OK OK UNHEALTHY
h_note "UNHEALTHY seen $((($(h_now_us) - hang_started) / 1000)) ms after the hang flag"
run_tool ours m2 scriptstatus
want_re="^3 scripts were executed last monitor cycle
$(ss_re 10.flag OK)
$(ss_re 15.count OK)
$(ss_re 20.hang TIMEDOUT)
   OUTPUT:hanging now
?\$"
if [ "$RC" == 0 ] && [[ "$OUT" =~ $want_re ]]; then
  pass "hung monitor: scriptstatus shows 20.hang TIMEDOUT"
else
  fail "hung monitor: scriptstatus shows 20.hang TIMEDOUT" "rc $RC" "$OUT" "$ERR"
fi
run_tool ours m2 -X scriptstatus
dur=$(awk -F'|' '$3 == "20.hang" { printf "%.3f", $7 - $6 }' <<<"$OUT")
check "hung monitor: -X scriptstatus: 20.hang -62 TIMEDOUT after EventScriptTimeout (${dur}s)" \
  awk -F'|' -v d="$dur" '$3 == "20.hang" { found = ($4 == -62 && $5 == "TIMEDOUT" &&
    d >= 2.9 && d < 10) } END { exit !found }' <<<"$OUT"
rm -f "$H_TMP/m2/hang_monitor"
assert_flags "hung script passes again on pnn 2" OK OK OK
# Every hung run: the debug script saw it alive, as "PID monitor", then its group was killed.
mapfile -t hung_pids <"$H_TMP/m2/hang.pids"
mapfile -t hung_children <"$H_TMP/m2/hang_children.pids"
h_note "hung runs: ${hung_pids[*]} (children ${hung_children[*]})"
want_debug=$(for p in "${hung_pids[@]}"; do echo "$p monitor yes"; done)
check "hung monitor: the debug script ran once per hung run" \
  wait_for '[ "$(count "$H_TMP/debug-hung.calls")" -ge ${#hung_pids[@]} ]' 10 0.2
assert_eq "hung monitor: debug script called as 'PID monitor' while the script was alive" \
  "$want_debug" "$(cat "$H_TMP/debug-hung.calls" 2>&1)"
check "hung monitor: the debug script's output is in the node log" \
  grep -q "debug script: debug-hung called: pid=${hung_pids[0]} event=monitor alive=yes" \
  "${H_LOG[m2]}"
check "hung monitor: the node log names the hung script" \
  grep -q "monitor event timed out after 3 s in script 20.hang (pid ${hung_pids[0]})" \
  "${H_LOG[m2]}"
all_gone() {
  local p
  for p in "$@"; do ! h_pid_running "$p" || return 1; done
  for p in "${hung_pids[@]}"; do ! pgrep -g "$p" >/dev/null || return 1; done
}
check "hung monitor: the hung scripts, their children and process groups are gone" \
  wait_for 'all_gone "${hung_pids[@]}" "${hung_children[@]}"' 10 0.2
H_TOOL=$OURS_TOOL h_ctdb m2 setvar EventScriptTimeout 20 >/dev/null

# ---- disablescript / enablescript on node 0
d0=$H_TMP/m0/events.d
run_tool ours m0 disablescript 15.count
assert_eq "disablescript 15.count: exit 0, no output" "0[][]" "${RC}[$OUT][$ERR]"
assert_eq "disablescript 15.count: mode" "-rw-r--r--" "$(stat -c %A "$d0/15.count")"
check "disablescript: scriptstatus shows 15.count DISABLED" wait_for \
  '[[ "$(scriptstatus_line m0 15.count)" =~ ^15\.count\ +Status:DISABLED\ +$ ]]' 15 0.2
c_before=$(count "$H_TMP/m0/calls.15.count")
check "disablescript: two more monitor events run" wait_monitor_runs m0 2
assert_eq "disablescript: 15.count no longer runs" "$c_before" "$(count "$H_TMP/m0/calls.15.count")"
assert_eq "disablescript: 3 scripts executed" "3 scripts were executed last monitor cycle" \
  "$(H_TOOL=$OURS_TOOL h_ctdb m0 scriptstatus 2>&1 | head -n 1)"
assert_eq "disabled script: node 0 stays OK" OK "$(h_node_flags m0 0)"
run_tool ours m0 enablescript 15.count
assert_eq "enablescript 15.count: exit 0, no output" "0[][]" "${RC}[$OUT][$ERR]"
assert_eq "enablescript 15.count: mode" "-rwxr-xr-x" "$(stat -c %A "$d0/15.count")"
check "enablescript: 15.count runs again" \
  wait_for "[ \$(count '$H_TMP/m0/calls.15.count') -gt $c_before ]" 15 0.2
check "enablescript: scriptstatus shows 15.count OK" wait_for \
  '[[ "$(scriptstatus_line m0 15.count)" == *Status:OK* ]]' 15 0.2
for verb in disable enable; do
  run_tool ours m0 "${verb}script" 99.nosuch
  assert_eq "${verb}script of an unknown script fails: exit 1, last stderr line" \
    "1[][Unable to $verb script 99.nosuch on node 0]" "${RC}[$OUT][${ERR##*$'\n'}]"
done
run_tool ours m0 disablescript ../nodes
check "disablescript of a path outside the directory fails" [ "$RC" != 0 ]
assert_eq "the nodes file was not touched" "-rw-r--r--" "$(stat -c %A "$H_TMP/m0/nodes")"

# ---- DisableWhenUnhealthy on node 1
H_TOOL=$OURS_TOOL h_ctdb m1 setvar DisableWhenUnhealthy 1 >/dev/null ||
  fail "setvar DisableWhenUnhealthy 1 on m1"
touch "$H_TMP/m1/fail_monitor"
assert_flags "DisableWhenUnhealthy: failing pnn 1" OK "DISABLED|UNHEALTHY" OK
rm -f "$H_TMP/m1/fail_monitor"
assert_flags "DisableWhenUnhealthy: pnn 1 healthy but still" OK DISABLED OK
check "DisableWhenUnhealthy: monitor keeps passing on a DISABLED node" wait_monitor_runs m1 2
assert_eq "DisableWhenUnhealthy: still DISABLED after more monitor events" DISABLED \
  "$(h_node_flags m0 1)"
run_tool ours m1 enable
assert_eq "ctdb enable on pnn 1: exit 0" 0 "$RC"
assert_flags "ctdb enable clears DISABLED" OK OK OK
H_TOOL=$OURS_TOOL h_ctdb m1 setvar DisableWhenUnhealthy 0 >/dev/null
if wait_for '[ "$(count "$H_TMP/notify.log")" -ge 8 ]' 15 0.2; then :; fi
assert_eq "notification script after DisableWhenUnhealthy" "$want_notify unhealthy healthy" \
  "$(tr '\n' ' ' <"$H_TMP/notify.log" 2>/dev/null | sed 's/ $//')"

# ---- 4.17's `ctdb event` commands, answered by our daemon, on node 0
EV_RE='[A-Za-z0-9.]+ +OK +[0-9]+\.[0-9]{3} '"$DATE_RE"
for form in "legacy monitor" "monitor"; do
  # shellcheck disable=SC2086
  run_tool ours m0 event status $form
  assert_eq "event status $form: exit 0" 0 "$RC"
  check "event status $form: one 4.17-style line per script, all OK" \
    [ "$(grep -cE "^$EV_RE\$" <<<"$OUT")" -eq 4 -a "$(wc -l <<<"$OUT")" -eq 4 ]
done
run_tool ours m0 event status legacy takeip
assert_eq "event status of an event never run" "22[Event takeip has never run in legacy]" \
  "${RC}[$OUT]"
run_tool ours m0 event status nosuch monitor
assert_eq "event status of another component" "2[Event dir for nosuch does not exist]" \
  "${RC}[$OUT]"
run_tool ours m0 event run 10 legacy ipreallocated
assert_eq "event run ipreallocated: exit 0" "0[]" "${RC}[$OUT]"
assert_eq "event run ipreallocated: 15.count heard it" ipreallocated \
  "$(tail -n 1 "$H_TMP/m0/calls.15.count")"
run_tool ours m0 event status legacy ipreallocated
check "event status ipreallocated: 4 scripts OK" [ "$(grep -cE "^$EV_RE\$" <<<"$OUT")" -eq 4 ]
run_tool ours m0 event run 10 legacy takeip eth0
assert_eq "event run takeip with a missing argument fails" \
  "1[Failed to run event takeip in legacy: wrong arguments for event takeip]" "${RC}[$OUT]"
run_tool ours m0 event script disable legacy 15.count
assert_eq "event script disable: exit 0, mode" "0 -rw-r--r--" "$RC $(stat -c %A "$d0/15.count")"
run_tool ours m0 event script enable legacy 15.count
assert_eq "event script enable: exit 0, mode" "0 -rwxr-xr-x" "$RC $(stat -c %A "$d0/15.count")"

fork_children_gone() {
  local p
  for p in $(cat "$H_TMP/m0/fork.pids"); do ! h_pid_running "$p" || return 1; done
}

# ---- a monitor script leaving a child that holds its stdout, on node 0
touch "$H_TMP/m0/fork_monitor"
check "forking script: three monitor events with a child left behind" \
  wait_for '[ "$(count "$H_TMP/m0/fork.pids")" -ge 3 ]' 30 0.2
for p in $(cat "$H_TMP/m0/fork.pids"); do h_track_pid "$p"; done
rm -f "$H_TMP/m0/fork_monitor"
check "forking script: its first child still runs" \
  h_pid_running "$(head -n 1 "$H_TMP/m0/fork.pids")"
check "forking script: a later monitor event completes" wait_monitor_runs m0 1
check "forking script: scriptstatus shows 30.fork OK" wait_for \
  '[[ "$(scriptstatus_line m0 30.fork)" == *Status:OK* ]]' 10 0.2
assert_eq "forking script: 4 scripts executed" "4 scripts were executed last monitor cycle" \
  "$(H_TOOL=$OURS_TOOL h_ctdb m0 scriptstatus 2>&1 | head -n 1)"
assert_flags "forking script: all OK" OK OK OK
for p in $(cat "$H_TMP/m0/fork.pids"); do kill "$p" 2>/dev/null; done
check "forking script: its children are stopped" wait_for fork_children_gone 10 0.2

h_finish
