#!/bin/bash
# Every event script we ship, installed as an admin installs them (copies of events.d/, all
# executable) on two nodes with an empty sysconfig: the nodes start and become OK, every
# script runs at every event without doing anything it was not configured for, and
# `ctdb scriptstatus` lists each one, OK; disablescript / enablescript switch one off and on.
source "$(dirname "$0")/../lib/harness.sh"

h_init event_scripts
OURS_TOOL=$CTDB_BUILD_DIR/ctdb
mapfile -t SCRIPTS < <(cd "$CTDB_SRC_DIR/events.d" && ls)
# The scripts find config/functions through CTDB_BASE and our tool on PATH.
export CTDB_BASE=$CTDB_SRC_DIR CTDB_SYSCONFIG=$H_TMP/sysconfig PATH=$CTDB_BUILD_DIR:$PATH
h_write_nodes "$H_TMP/nodes" 127.0.7.11 127.0.7.12
for i in 0 1; do
  d=$H_TMP/e$i
  mkdir -p "$d/events.d" "$d/scripts/00.ctdb"
  touch "$d/scripts/00.ctdb/left-from-last-run"  # 00.ctdb's init clears its state
  cp -p "$CTDB_SRC_DIR"/events.d/* "$d/events.d/"
  # Only where the node keeps its files: no script may look at the host's own.
  printf 'CTDB_DBDIR_PERSISTENT=%s\nCTDB_LOGFILE=%s\n' "$d/db/persistent" "$d/scripts.log" \
    >"$H_TMP/sysconfig.$i"
  CTDB_SYSCONFIG=$H_TMP/sysconfig.$i CTDB_SCRIPT_VARDIR=$d/scripts \
    h_start_ours_args "e$i" "127.0.7.1$((i + 1))" "$H_TMP/nodes" --reclock="$H_TMP/reclock"
done
for i in 0 1; do h_wait_ping "e$i" || fail "e$i answers ping"; done
h_wait_converged "every script installed: both nodes OK" 60 e0 e1 -- OK OK || h_finish

# scriptstatus_of NAME: `ctdb scriptstatus` on NAME as "SCRIPT STATUS" lines.
scriptstatus_of() {
  H_TOOL=$OURS_TOOL h_ctdb "$1" scriptstatus 2>&1 | awk '$2 ~ /^Status:/ { sub("Status:", "", $2); print $1, $2 }'
}
want=$(printf '%s OK\n' "${SCRIPTS[@]}")
check "scriptstatus lists all ${#SCRIPTS[@]} scripts, each OK" \
  wait_for "[ \"\$(scriptstatus_of e0)\" == \"\$want\" ]" 30 0.3
assert_eq "the same on node 1" "$want" "$(scriptstatus_of e1)"
assert_eq "nothing logged by any script" "" "$(cat "$H_TMP"/e*/scripts.log 2>/dev/null)"
assert_eq "no script keeps state, 00.ctdb's from the last run cleared" "" \
  "$(ls -A "$H_TMP/e0/scripts" "$H_TMP/e1/scripts" | grep -v '^/\|^$')"

run_tool ours e0 disablescript 91.lvs
assert_eq "disablescript 91.lvs" "0:" "$RC:$OUT"
check "91.lvs shown DISABLED" wait_for \
  "scriptstatus_of e0 | grep -qx '91.lvs DISABLED'" 30 0.3
run_tool ours e0 enablescript 91.lvs
check "enablescript 91.lvs: OK again" wait_for "[ \"\$(scriptstatus_of e0)\" == \"\$want\" ]" 30 0.3
h_wait_converged "both nodes still OK" 30 e0 e1 -- OK OK

h_finish
