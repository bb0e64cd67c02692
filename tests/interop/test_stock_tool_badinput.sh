#!/bin/bash
# Broken clients against our daemon: truncated, oversized, garbage and unknown packets and
# clients that vanish mid-request. After each, the daemon (same PID) answers the stock tool's
# `ctdb ping`, a client connected all along still gets answers, and no data is lost.
#
# INTEROP_SUBJECT=stock runs the same against Debian's ctdbd (to check the test itself).
source "$(dirname "$0")/lib.sh"

SUBJECT=${INTEROP_SUBJECT:-ours}
RAW=(python3 "$H_LIB_DIR/ctdb_raw_client.py")
h_init stock_tool_badinput

if [ "$SUBJECT" == stock ]; then
  h_write_nodes "$H_TMP/nodes" 127.0.0.33
  h_start_stock n 127.0.0.33 "$H_TMP/nodes"
else
  if [ ! -x "$H_CTDBD" ]; then
    fail "our ctdbd is built" "no executable at $H_CTDBD"
    h_finish
  fi
  h_write_nodes "$H_TMP/nodes" 127.0.0.22
  h_start_ours n 127.0.0.22 "$H_TMP/nodes"
fi
if h_wait_ping n; then pass "daemon answers ping"; else
  fail "daemon answers ping"
  h_finish
fi
SOCK=${H_SOCK[n]}
PID=${H_PID[n]}

# Data that must survive everything below.
check "attach a volatile db" h_ctdb n attach keep.tdb
check "writekey" h_ctdb n writekey keep.tdb vkey volatile-value
check "attach a persistent db" h_ctdb n attach keep_p.tdb persistent
check "pstore" h_ctdb n pstore keep_p.tdb pkey persistent-value

# A client connected from the start to the end.
coproc BYSTANDER { exec "${RAW[@]}" "$SOCK" bystander; }
h_track_pid "$BYSTANDER_PID"
bystander_ok() {
  local answer
  echo pnn >&"${BYSTANDER[1]}" || return 1
  read -r -t 10 answer <&"${BYSTANDER[0]}" || return 1
  [ "$answer" == "ok 0" ]
}
check "bystander client gets an answer" bystander_ok

# daemon_fine WHAT: the same daemon process is alive, answers the stock tool and the bystander.
daemon_fine() {
  local what=$1 out
  if h_node_running n; then pass "$what: daemon still running"; else
    fail "$what: daemon still running" "daemon pid $PID has exited"
    return
  fi
  out=$(h_ctdb n ping 2>&1)
  assert_contains "$what: stock ctdb ping answered" "$out" "response from 0"
  assert_eq "$what: same daemon (getpid)" "$PID" "$(h_ctdb n getpid 2>&1)"
  check "$what: connected client unaffected" bystander_ok
}

# abuse CASE: send the broken input on a fresh connection and hold it open while checking the
# daemon, then close it and check again.
abuse() {
  local case=$1 fifo=$H_TMP/hold.$1 out=$H_TMP/out.$1 pid
  mkfifo "$fifo"
  setsid "${RAW[@]}" "$SOCK" "$case" --hold <"$fifo" >"$out" 2>&1 &
  pid=$!
  h_track_pid "$pid"
  exec 8>"$fifo"
  if wait_for "[ -s '$out' ]" 15; then
    h_note "$case: daemon reaction: $(cat "$out")"
  else
    fail "$case: client finished sending" "$(cat "$out")"
  fi
  daemon_fine "$case (client still connected)"
  exec 8>&-
  wait_for "! h_pid_running $pid" 15 || fail "$case: client exits"
  daemon_fine "$case (client gone)"
}

for c in truncated short-body oversized zero-length tiny-length bad-magic bad-version \
  unknown-operation garbage; do
  abuse "$c"
done

# An unknown control gets an error reply, and the connection stays usable.
out=$("${RAW[@]}" "$SOCK" unknown-control 2>&1)
h_note "unknown-control: $out"
if [[ "$out" =~ ^reply\ status=(-?[0-9]+) ]] && [ "${BASH_REMATCH[1]}" != 0 ]; then
  pass "unknown control: error reply"
else
  fail "unknown control: error reply" "got: $out"
fi
assert_contains "unknown control: connection still usable" "$out" "; then ok 0"
daemon_fine "unknown control"

out=$("${RAW[@]}" "$SOCK" disconnect-mid 2>&1)
assert_eq "disconnect mid-packet: client ran" "sent half a packet, closed" "$out"
daemon_fine "disconnect mid-packet"

out=$("${RAW[@]}" "$SOCK" disconnect-before-reply 2>&1)
assert_eq "disconnect before replies: client ran" "sent 200 requests, closed" "$out"
daemon_fine "disconnect before replies"

# Many broken clients at once, each closing immediately.
crowd=()
for i in $(seq 1 20); do
  setsid "${RAW[@]}" "$SOCK" disconnect-before-reply >/dev/null 2>&1 &
  crowd+=($!)
  setsid "${RAW[@]}" "$SOCK" --wait=0.2 garbage >/dev/null 2>&1 &
  crowd+=($!)
done
for p in "${crowd[@]}"; do
  h_track_pid "$p"
done
crowd_done() {
  local p
  for p in "${crowd[@]}"; do
    ! h_pid_running "$p" || return 1
  done
}
wait_for crowd_done 60 || fail "40 broken clients finish"
daemon_fine "40 broken clients at once"

assert_eq "volatile record intact" "Data: size:14 ptr:[volatile-value]" \
  "$(h_ctdb n readkey keep.tdb vkey 2>&1)"
assert_eq "persistent record intact" "persistent-value" "$(h_ctdb n pfetch keep_p.tdb pkey 2>&1)"

eval "exec ${BYSTANDER[1]}>&-"  # the bystander ends when its input does
h_finish
