#!/bin/bash
# Tests events.d/40.vsftpd: vsftpd managed by CTDB, restarted after address
# changes, its port watched with one failed check tolerated.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/40.vsftpd"
stub systemctl; stub service
STATE="$CTDB_SCRIPT_VARDIR/40.vsftpd"
COUNT="$STATE/failcount"
FLAG="$STATE/restart-needed"

fresh() {
  new_case
  rm -rf "$CTDB_SCRIPT_VARDIR"
  stub systemctl
  systemd_running
  sysconfig CTDB_MANAGES_VSFTPD=yes "$@"
}
log() { cat "$TEST_TMP/log.ctdb" 2>/dev/null | sed -e 's/^[0-9/]* [0-9:]* //'; }

new_case
check_quiet_events "$script" "unmanaged (unset), every event is a no-op" "${ALL_EVENTS[@]}"
sysconfig CTDB_MANAGES_VSFTPD=false
check_quiet_events "$script" "CTDB_MANAGES_VSFTPD=false, every event is a no-op" "${ALL_EVENTS[@]}"
check_true "unmanaged: no state kept" [ ! -e "$STATE" ]

new_case
sysconfig CTDB_MANAGES_VSFTPD=yess
run "$script" startup
check "invalid CTDB_MANAGES_VSFTPD fails with a clear message" 1 \
  "ERROR: CTDB_MANAGES_VSFTPD='yess' is not a yes/no value" ""

# --- startup and shutdown ---------------------------------------------------------------
fresh
mkdir -p "$STATE"
echo 1 >"$COUNT"
run "$script" startup
check "startup stops any vsftpd the system started, then starts it" 0 "" \
  "systemctl stop vsftpd
systemctl start vsftpd"
check_true "startup forgets earlier failures" [ ! -e "$COUNT" ]
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown stops vsftpd" 0 "" "systemctl stop vsftpd"
check_quiet_events "$script" "managed, event not handled" "init" "setup" "startrecovery" \
  "recovered" "updateip eth0 eth1 10.0.0.1 24"

fresh CTDB_SERVICE_VSFTPD=vsftpd-ctdb
rm -rf "$CTDB_SYS_RUNDIR/systemd"
stub service '[ "$2" = stop ] && { echo "vsftpd-ctdb: not running"; exit 1; }'
run "$script" startup
check "startup: the first stop failing is fine; CTDB_SERVICE_VSFTPD, service(8)" 0 "" \
  "service vsftpd-ctdb stop
service vsftpd-ctdb start"
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown fails when vsftpd does not stop" 1 "vsftpd-ctdb: not running
ERROR: failed to stop service vsftpd-ctdb (exit code 1)" "service vsftpd-ctdb stop"
stub service

fresh
stub systemctl '[ "$1" = start ] && { echo "Job for vsftpd.service failed."; exit 1; }'
run "$script" startup
check "startup fails when vsftpd does not start" 1 "Job for vsftpd.service failed.
ERROR: failed to start service vsftpd (exit code 1)" "systemctl stop vsftpd
systemctl start vsftpd"

# --- address changes -------------------------------------------------------------------
fresh
run "$script" ipreallocated
check "ipreallocated without address changes: nothing" 0 "" ""
run "$script" takeip eth0 10.0.0.1 24
check "takeip only notes that a restart is needed" 0 "" ""
run "$script" releaseip eth0 10.0.0.2 24
check "releaseip only notes that a restart is needed" 0 "" ""
check_true "the note is kept" [ -e "$FLAG" ]
mkdir -p "$STATE"
echo 1 >"$COUNT"
run "$script" ipreallocated
check "ipreallocated after address changes restarts vsftpd once" 0 \
  "Restarting vsftpd: public addresses changed" "systemctl restart vsftpd"
check_true "the note is gone" [ ! -e "$FLAG" ]
check_true "the restart forgets earlier failures" [ ! -e "$COUNT" ]
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated again: nothing" 0 "" ""

fresh
run "$script" releaseip eth0 10.0.0.2 24
stub systemctl 'echo "Job for vsftpd.service failed."; exit 1'
run "$script" ipreallocated
check "ipreallocated: a restart that fails is reported, not an event failure" 0 \
  "Restarting vsftpd: public addresses changed
Job for vsftpd.service failed.
ERROR: failed to restart service vsftpd (exit code 1)" "systemctl restart vsftpd"
check_true "failed restart: logged" [ "$(log)" = "40.vsftpd: WARNING: restarting vsftpd after public addresses changed failed: Job for vsftpd.service failed.
ERROR: failed to restart service vsftpd (exit code 1)" ]

fresh
: >"$TEST_TMP/notadir"
CTDB_SCRIPT_VARDIR="$TEST_TMP/notadir" run "$script" takeip eth0 10.0.0.1 24
check "takeip: the note cannot be kept" 1 \
  "ERROR: cannot record that vsftpd needs a restart in $TEST_TMP/notadir/40.vsftpd/restart-needed" ""

# --- monitor -------------------------------------------------------------------------------
fresh
ss_listens 0.0.0.0:21
run "$script" monitor
check "monitor: vsftpd listening on port 21" 0 "" "ss -ltn"

fresh
ss_listens 0.0.0.0:2121 0.0.0.0:22
run "$script" monitor
check "monitor: a 1st failure only warns" 0 \
  "WARNING: vsftpd not listening on TCP port 21 (1 consecutive failure; unhealthy at the 2nd)" "ss -ltn"
check_true "monitor: the failure is counted" [ "$(cat "$COUNT")" = 1 ]
for n in 2 3; do
  run "$script" monitor
  check "monitor: failure $n makes the node unhealthy" 1 \
    "ERROR: vsftpd not listening on TCP port 21 ($n consecutive failures)"
done
ss_listens '[::]:21'
run "$script" monitor
check "monitor: listening again (IPv6), healthy" 0 ""
check_true "monitor: the count starts over" [ ! -e "$COUNT" ]
ss_listens
run "$script" monitor
check "monitor: the next failure only warns again" 0 \
  "WARNING: vsftpd not listening on TCP port 21 (1 consecutive failure; unhealthy at the 2nd)"

fresh
ss_listens
: >"$TEST_TMP/notadir"
CTDB_SCRIPT_VARDIR="$TEST_TMP/notadir" run "$script" monitor
check "monitor: the count cannot be kept" 1 \
  "ERROR: cannot record the failure count in $TEST_TMP/notadir/40.vsftpd/failcount" "ss -ltn"

fresh
ss_listens 0.0.0.0:21
run env CTDB_BASE= "$script" monitor
check "CTDB_BASE unset: found from the script's own location" 0 ""
ss_listens
run bash -u "$script" monitor
check "bash -u: monitor" 0 \
  "WARNING: vsftpd not listening on TCP port 21 (1 consecutive failure; unhealthy at the 2nd)"

finish
