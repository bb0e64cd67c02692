#!/bin/bash
# Tests config/debug-hung-script.sh, run by ctdbd with "PID EVENT" when an
# event script times out.
. "$(dirname "$0")/lib.sh"
script="$CONFIG_DIR/debug-hung-script.sh"
stub ctdb 'echo "50.samba             Status:TIMEDOUT"'

# A stub pstree for a hung "50.samba monitor" with two children.
stub pstree "printf '%s\n' '50.samba,4001 /etc/ctdb/events.d/50.samba monitor' \
  '  |-testparm,4002 -s' '  \`-sleep,4003 100'"

new_case
mkdir -p "$CTDB_PROC_DIR/4001" "$CTDB_PROC_DIR/4003"
printf '[<0>] do_wait+0x1/0x2\n' >"$CTDB_PROC_DIR/4001/stack"
echo 50.samba >"$CTDB_PROC_DIR/4001/comm"
printf '[<0>] hrtimer_nanosleep+0x1/0x2\n' >"$CTDB_PROC_DIR/4003/stack"
echo sleep >"$CTDB_PROC_DIR/4003/comm"
run "$script" 4001 monitor
check "monitor: banner, process tree, kernel stacks, scriptstatus" 0 \
'===== Start of hung script debug for PID="4001", event="monitor" =====
pstree -p -a 4001:
50.samba,4001 /etc/ctdb/events.d/50.samba monitor
  |-testparm,4002 -s
  `-sleep,4003 100
---- Kernel stack of PID 4001 (50.samba) ----
[<0>] do_wait+0x1/0x2
---- Kernel stack of PID 4003 (sleep) ----
[<0>] hrtimer_nanosleep+0x1/0x2
---- ctdb scriptstatus monitor: ----
50.samba             Status:TIMEDOUT
===== End of hung script debug for PID="4001", event="monitor" =====' \
"pstree -p -a 4001
ctdb scriptstatus monitor"

: >"$STUB_LOG"
run "$script" 4001 init
check "init: no ctdb scriptstatus (the daemon is not serving yet)" 0 "*" "pstree -p -a 4001"

: >"$STUB_LOG"
log="$TEST_TMP/hung.log"
echo "earlier report" >"$log"
run env CTDB_DEBUG_HUNG_SCRIPT_LOGFILE="$log" "$script" 4001 startup
check "CTDB_DEBUG_HUNG_SCRIPT_LOGFILE: nothing on stdout" 0 "" "pstree -p -a 4001
ctdb scriptstatus startup"
check_true "CTDB_DEBUG_HUNG_SCRIPT_LOGFILE: report appended to the file" \
  test "$(head -n 2 "$log")" = 'earlier report
===== Start of hung script debug for PID="4001", event="startup" ====='
check_true "CTDB_DEBUG_HUNG_SCRIPT_LOGFILE: report complete" \
  test "$(tail -n 1 "$log")" = '===== End of hung script debug for PID="4001", event="startup" ====='

run "$script" 4001
check "missing event argument" 1 "usage: debug-hung-script.sh PID EVENT"

# The real pstree and /proc against a real hung process tree.
new_case
use_host_tool pstree
export CTDB_PROC_DIR=/proc
setsid bash -c 'sleep 300 & wait' </dev/null >/dev/null 2>&1 &
leader=$!
CLEANUP_PIDS+=("$leader")
deadline=$((SECONDS + 10))
until [ -n "$(PATH="$HOST_PATH" pgrep -P "$leader" sleep)" ] || [ "$SECONDS" -ge "$deadline" ]; do
  sleep 0.05
done
child=$(PATH="$HOST_PATH" pgrep -P "$leader" sleep)
CLEANUP_PIDS+=("$child")
run "$script" "$leader" takeip
check "real process tree: exit 0" 0 "*"
check_true "real process tree: pstree shows the hung child" \
  grep -q "sleep,$child 300" <<<"$OUT"
if [ -r "/proc/$child/stack" ] && cat "/proc/$child/stack" >/dev/null 2>&1; then
  check_true "real process tree: the child's kernel stack is shown" \
    grep -q -- "---- Kernel stack of PID $child (sleep) ----" <<<"$OUT"
else
  echo "NOTE: /proc/PID/stack not readable here; kernel stack check skipped"
fi
kill "$child" "$leader" 2>/dev/null

finish
