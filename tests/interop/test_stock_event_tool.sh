#!/bin/bash
# Debian's `ctdb event status|run` and `ctdb scriptstatus` (which run the ctdb-event helper on
# $CTDB_BASE/run/eventd.socket, 4.17's event daemon protocol) against one node of ours and one
# stock 4.17 node with the same scripts in events/legacy: the same output (durations and dates
# masked) and the same exit code for each step:
# - an event that never ran; a component that does not exist;
# - a failing monitor run (exit code, "failed", the script's output), then status and scriptstatus;
# - a disabled script (DISABLED in the list);
# - a script that hangs past the run's timeout (timed out, TIMEDOUT in the list).
source "$(dirname "$0")/../lib/harness.sh"

STOCK_TOOL=/usr/bin/ctdb
if [ ! -x "$STOCK_TOOL" ] || [ ! -x /usr/libexec/ctdb/ctdb-event ]; then
  echo "SKIP: Debian's ctdb package is not installed"
  exit 77
fi
h_init interop_stock_event_tool

# scripts DIR FLAGS: the same three scripts for both nodes, driven by flag files in FLAGS.
scripts() {
  local dir=$1 flags=$2
  mkdir -p "$dir" "$flags"
  cat >"$dir/00.probe.script" <<EOF
#!/bin/sh
[ "\$1" = monitor ] && [ -e $flags/fail ] && { echo "probe refuses \$1"; exit 3; }
exit 0
EOF
  cat >"$dir/10.off.script" <<EOF
#!/bin/sh
echo "should never run"
exit 1
EOF
  cat >"$dir/20.slow.script" <<EOF
#!/bin/sh
[ "\$1" = startup ] && [ -e $flags/hang ] && sleep 8
exit 0
EOF
  chmod 755 "$dir/00.probe.script" "$dir/20.slow.script"
  chmod 644 "$dir/10.off.script"
}

scripts "$H_TMP/o0/events/legacy" "$H_TMP/o0.flags"
h_write_nodes "$H_TMP/o.nodes" 127.0.24.31
h_start_ours o0 127.0.24.31 "$H_TMP/o.nodes" --event-script-dir="$H_TMP/o0/events/legacy"
scripts "$H_TMP/s0/events/legacy" "$H_TMP/s0.flags"
h_write_nodes "$H_TMP/s.nodes" 127.0.24.32
h_start_stock s0 127.0.24.32 "$H_TMP/s.nodes"
for n in o0 s0; do
  h_wait_ping "$n" || fail "$n answers ping"
  check "$n reaches RUNNING" wait_for "h_ctdb $n runstate 2>/dev/null | grep -q RUNNING" 60 0.2
done

# ev NAME ARGS...: the stock tool on node NAME as an admin runs it (CTDB_BASE, test mode); sets
# OUT (stdout and stderr, durations and dates masked) and RC.
ev() {
  local name=$1
  shift
  OUT=$(CTDB_TEST_MODE=yes CTDB_BASE=$H_TMP/$name timeout 30 "$STOCK_TOOL" "$@" 2>&1)
  RC=$?
  OUT=$(sed -E 's/ [0-9]+\.[0-9]{3} [A-Z][a-z]{2} [A-Z][a-z]{2} .*$/ DURATION DATE/;
                s/(TIMEDOUT  ) [A-Z][a-z]{2} [A-Z][a-z]{2} .*$/\1 DATE/' <<<"$OUT")
}
# same LABEL WANT_RC WANT_TEXT ARGS...: both nodes give WANT_RC and the same output, which
# contains WANT_TEXT.
same() {
  local label=$1 want_rc=$2 want=$3 stock_out stock_rc
  shift 3
  ev s0 "$@"
  stock_out=$OUT stock_rc=$RC
  ev o0 "$@"
  assert_eq "$label: exit code (stock $stock_rc)" "$want_rc $want_rc" "$stock_rc $RC"
  assert_eq "$label: output as on the stock node" "$stock_out" "$OUT"
  assert_contains "$label: output" "$OUT" "$want"
}

same "never run" 22 "Event takeip has never run in legacy" event status legacy takeip
same "no such component" 2 "Event dir for nosuch does not exist" event status nosuch monitor

touch "$H_TMP/o0.flags/fail" "$H_TMP/s0.flags/fail"
same "failing monitor run" 8 "Event monitor in legacy failed" event run 10 legacy monitor
same "status after the failure" 3 "  OUTPUT: probe refuses monitor" event status legacy monitor
same "scriptstatus after the failure" 0 "00.probe             ERROR      DURATION DATE" \
  scriptstatus
rm -f "$H_TMP/o0.flags/fail" "$H_TMP/s0.flags/fail"

same "startup run by hand" 0 "" event run 10 legacy startup
same "a disabled script is listed" 0 "10.off               DISABLED" event status legacy startup

touch "$H_TMP/o0.flags/hang" "$H_TMP/s0.flags/hang"
# 46: the stock tool's own exit code when its helper reports ETIMEDOUT.
same "a script past the run's timeout" 46 "Event startup in legacy timed out" \
  event run 1 legacy startup
same "status of the timed-out run" 46 "20.slow              TIMEDOUT   DATE" \
  event status legacy startup
rm -f "$H_TMP/o0.flags/hang" "$H_TMP/s0.flags/hang"

# ---- `ctdb event script list|enable|disable`: 4.17's tool does these in the file system; ours
# must list and change the same CTDB_BASE the same way (packaged scripts in share/ in test mode).
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
share=$H_TMP/o0/share/events/legacy
mkdir -p "$share"
for s in 30.pkg_a 40.pkg_b; do
  printf '#!/bin/sh\nexit 0\n' >"$share/$s.script"
  chmod 755 "$share/$s.script"
done
ln -s "$share/30.pkg_a.script" "$H_TMP/o0/events/legacy/30.pkg_a.script"
# lists TOOL: `event script list legacy` with TOOL in o0's CTDB_BASE.
lists() { CTDB_TEST_MODE=yes CTDB_BASE=$H_TMP/o0 timeout 30 "$1" event script list legacy 2>&1; }
stock_list=$(lists "$STOCK_TOOL")
assert_eq "script list: ours as the stock tool" "$stock_list" "$(lists "$OURS_TOOL")"
assert_contains "script list: the linked packaged script is enabled" "$stock_list" "* 30.pkg_a"
CTDB_TEST_MODE=yes CTDB_BASE=$H_TMP/o0 "$OURS_TOOL" event script enable legacy 40.pkg_b ||
  fail "our tool: event script enable legacy 40.pkg_b"
check "enable: ours linked the packaged script in" \
  [ "$(readlink "$H_TMP/o0/events/legacy/40.pkg_b.script")" == "$share/40.pkg_b.script" ]
assert_eq "enable: the stock tool lists what ours lists" "$(lists "$STOCK_TOOL")" "$(lists "$OURS_TOOL")"
CTDB_TEST_MODE=yes CTDB_BASE=$H_TMP/o0 "$STOCK_TOOL" event script disable legacy 30.pkg_a >/dev/null 2>&1
CTDB_TEST_MODE=yes CTDB_BASE=$H_TMP/o0 "$OURS_TOOL" event script disable legacy 20.slow ||
  fail "our tool: event script disable legacy 20.slow"
check "disable: a local script loses its executable bit" [ ! -x "$H_TMP/o0/events/legacy/20.slow.script" ]
assert_eq "disable: ours lists as the stock tool" "$(lists "$STOCK_TOOL")" "$(lists "$OURS_TOOL")"
ev o0 event script enable legacy 99.none
assert_contains "enable of a script that exists nowhere: the stock tool's words" "$OUT" \
  "Script 99.none does not exist in legacy"
out=$(CTDB_TEST_MODE=yes CTDB_BASE=$H_TMP/o0 "$OURS_TOOL" event script enable legacy 99.none 2>&1)
assert_eq "enable of a script that exists nowhere: ours says the same" "$OUT" "$out"

check "ours logged the runs that came through its event daemon socket" \
  grep -q "Running event startup from the event daemon socket" "${H_LOG[o0]}"
h_finish
