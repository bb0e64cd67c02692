#!/bin/bash
# Tests events.d/00.ctdb: tunables at setup, persistent database check at
# init (on real tdb files made and corrupted with the real tdbtool), and the
# filesystem and memory checks at monitor.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/00.ctdb"
stub ctdb; stub df; stub logger
use_host_tool tdbtool
pdir="$TEST_TMP/persistent"

# make_tdb FILE: a real tdb with two records.
make_tdb() {
  printf 'create %s\nstore key1 value1\nstore key2 value2\nquit\n' "$1" | tdbtool >/dev/null 2>&1
  [ -f "$1" ] || { echo "could not create $1"; exit 1; }
}
# corrupt_tdb FILE: overwrites the key of a stored record, so the record no
# longer sits in the hash chain its key belongs to.
corrupt_tdb() {
  local off
  off=$(grep -obUa key1 "$1" | cut -d: -f1)
  printf 'XXXX' | dd of="$1" bs=1 seek="$off" conv=notrunc 2>/dev/null
}

new_case
check_quiet_events "$script" "no configuration, event is a no-op" "setup" "monitor" \
  "startup" "startrecovery" "recovered" "takeip eth0 10.0.0.1 24" \
  "releaseip eth0 10.0.0.1 24" "updateip eth0 eth1 10.0.0.1 24" "ipreallocated" "shutdown"

# --- init: persistent databases ------------------------------------------------
new_case
sysconfig "CTDB_DBDIR_PERSISTENT=$pdir"
run "$script" init
check "init: no persistent directory is fine" 0 "" ""
mkdir -p "$pdir"
make_tdb "$pdir/secrets.tdb.0"
make_tdb "$pdir/registry.tdb.0"
touch "$pdir/notes.txt"
run "$script" init
check "init: healthy persistent databases pass" 0 "" ""
check_true "precondition: real tdbtool accepts the healthy file" \
  grep -q "Database integrity is OK" <(tdbtool "$pdir/secrets.tdb.0" check 2>&1)

corrupt_tdb "$pdir/secrets.tdb.0"
check_true "precondition: real tdbtool reports the corruption" \
  grep -q "Integrity check for the opened database failed" <(tdbtool "$pdir/secrets.tdb.0" check 2>&1)
run "$script" init
first_line=$(tdbtool "$pdir/secrets.tdb.0" check 2>&1 | head -n 1)
check "init: a corrupt persistent database stops the start" 1 \
  "Persistent database $pdir/secrets.tdb.0 is corrupt: $first_line
ERROR: 1 corrupt persistent database(s) in $pdir (CTDB_MAX_PERSISTENT_CHECK_ERRORS=0); CTDB will not start"

sysconfig "CTDB_DBDIR_PERSISTENT=$pdir" CTDB_MAX_PERSISTENT_CHECK_ERRORS=1
run "$script" init
check "init: CTDB_MAX_PERSISTENT_CHECK_ERRORS=1 tolerates one corrupt database" 0 \
  "Persistent database $pdir/secrets.tdb.0 is corrupt: $first_line"
check_true "init: the tolerated corruption is logged" \
  grep -q "00.ctdb: WARNING: starting with 1 corrupt persistent database(s) (CTDB_MAX_PERSISTENT_CHECK_ERRORS=1)" "$CTDB_LOGFILE"

truncate -s 100 "$pdir/registry.tdb.0"
run "$script" init
check "init: two corrupt databases exceed CTDB_MAX_PERSISTENT_CHECK_ERRORS=1" 1 \
  "Persistent database $pdir/registry.tdb.0 is corrupt: $(tdbtool "$pdir/registry.tdb.0" check 2>&1 | head -n 1)
Persistent database $pdir/secrets.tdb.0 is corrupt: $first_line
ERROR: 2 corrupt persistent database(s) in $pdir (CTDB_MAX_PERSISTENT_CHECK_ERRORS=1); CTDB will not start"

sysconfig "CTDB_DBDIR_PERSISTENT=$pdir" CTDB_MAX_PERSISTENT_CHECK_ERRORS=many
run "$script" init
check "init: non-numeric CTDB_MAX_PERSISTENT_CHECK_ERRORS" 1 \
  "ERROR: CTDB_MAX_PERSISTENT_CHECK_ERRORS='many' is not a number"

sysconfig "CTDB_DBDIR_PERSISTENT=$pdir"
rm -f "$SYSBIN/tdbtool"
run "$script" init
check "init: without tdbtool the check is skipped with a logged warning" 0 ""
check_true "init: missing tdbtool is logged" \
  grep -q "WARNING: tdbtool not found; persistent databases in $pdir not checked" "$CTDB_LOGFILE"
use_host_tool tdbtool

mkdir -p "$CTDB_SCRIPT_VARDIR/00.ctdb"
touch "$CTDB_SCRIPT_VARDIR/00.ctdb/warned_memory"
rm -rf "$pdir"
run "$script" init
check_true "init: clears the script state left by an earlier run" \
  test ! -e "$CTDB_SCRIPT_VARDIR/00.ctdb"

# --- setup: tunables --------------------------------------------------------------
new_case
sysconfig CTDB_SET_MonitorInterval=20 CTDB_SET_RecoveryBanPeriod=600 CTDB_OTHER=1
run "$script" setup
check "setup: applies every CTDB_SET_ tunable with ctdb setvar" 0 "" \
  "ctdb setvar MonitorInterval 20
ctdb setvar RecoveryBanPeriod 600"
stub ctdb '[ "$2" = RecoveryBanPeriod ] && { echo "Unable to set tunable variable '"'"'RecoveryBanPeriod'"'"'"; exit 1; }'
: >"$STUB_LOG"
run "$script" setup
check "setup: a refused tunable fails the event" 1 \
  "ERROR: failed to set tunable RecoveryBanPeriod=600 (from CTDB_SET_RecoveryBanPeriod): Unable to set tunable variable 'RecoveryBanPeriod'"
stub ctdb
: >"$STUB_LOG"
run env CTDB=/bin/false "$script" setup
check "setup: uses \$CTDB as the ctdb tool" 1 \
  "ERROR: failed to set tunable MonitorInterval=20 (from CTDB_SET_MonitorInterval): " ""

# --- monitor: filesystem and memory ---------------------------------------------------
# df_usage PERCENT: what "df -kP DIR" reports.
df_usage() {
  stub df "printf 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 1000 500 500 $1%% \$3\n'"
}
new_case
mkdir -p "$TEST_TMP/data"
sysconfig "CTDB_MONITOR_FILESYSTEM_USAGE=\"$TEST_TMP/data:80:90\""
df_usage 50
run "$script" monitor
check "monitor: filesystem below thresholds" 0 "" "df -kP $TEST_TMP/data"
df_usage 85
run "$script" monitor
check "monitor: filesystem above the warning threshold stays healthy" 0 ""
check_true "monitor: the warning is logged" \
  grep -q "00.ctdb: WARNING: filesystem $TEST_TMP/data usage 85% >= warning threshold 80%" "$CTDB_LOGFILE"
run "$script" monitor
check_true "monitor: the warning is logged only once" \
  test "$(grep -c WARNING "$CTDB_LOGFILE")" = 1
df_usage 60
run "$script" monitor
check_true "monitor: the recovery is logged" \
  grep -q "NOTICE: filesystem $TEST_TMP/data usage 60% back below warning threshold 80%" "$CTDB_LOGFILE"
df_usage 90
run "$script" monitor
check "monitor: filesystem at the unhealthy threshold fails" 1 \
  "ERROR: filesystem $TEST_TMP/data usage 90% >= unhealthy threshold 90%"
sysconfig "CTDB_MONITOR_FILESYSTEM_USAGE=\"$TEST_TMP/data:95 $TEST_TMP/nowhere:90\""
run "$script" monitor
check "monitor: a missing directory is reported" 1 \
  "ERROR: CTDB_MONITOR_FILESYSTEM_USAGE: $TEST_TMP/nowhere is not a directory"
sysconfig "CTDB_MONITOR_FILESYSTEM_USAGE=\"$TEST_TMP/data:lots\""
run "$script" monitor
check "monitor: an invalid threshold is reported" 1 \
  "ERROR: invalid threshold 'lots' for filesystem $TEST_TMP/data (expected WARN[:UNHEALTHY] percentages)"
sysconfig "CTDB_MONITOR_FILESYSTEM_USAGE=\"$TEST_TMP/data:80\""
stub df 'echo "df: cannot read table of mounted file systems" >&2; exit 1'
run "$script" monitor
check "monitor: df failing is reported" 1 \
  "df: cannot read table of mounted file systems
ERROR: cannot read the usage of filesystem $TEST_TMP/data from df"

# meminfo TOTAL AVAILABLE: the case's /proc/meminfo (kB).
meminfo() { printf 'MemTotal: %s kB\nMemFree: 1 kB\nMemAvailable: %s kB\n' "$1" "$2" >"$CTDB_PROC_DIR/meminfo"; }
new_case
sysconfig 'CTDB_MONITOR_MEMORY_USAGE="80:95"'
meminfo 1000 500
run "$script" monitor
check "monitor: memory at 50% is fine" 0 "" ""
meminfo 1000 40
run "$script" monitor
check "monitor: memory at 96% makes the node unhealthy" 1 \
  "ERROR: memory usage 96% >= unhealthy threshold 95%"
meminfo 1000 150
run "$script" monitor
check "monitor: memory at 85% only warns" 0 ""
check_true "monitor: the memory warning is logged" \
  grep -q "WARNING: memory usage 85% >= warning threshold 80%" "$CTDB_LOGFILE"
rm "$CTDB_PROC_DIR/meminfo"
run "$script" monitor
check "monitor: unreadable meminfo is reported" 1 \
  "ERROR: cannot read memory usage from $CTDB_PROC_DIR/meminfo"

finish
