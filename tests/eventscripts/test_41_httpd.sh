#!/bin/bash
# Tests events.d/41.httpd: the Apache web server managed by CTDB, its port
# watched with a count of consecutive failures kept between monitor events.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/41.httpd"
stub systemctl; stub service
COUNT="$CTDB_SCRIPT_VARDIR/41.httpd/failcount"

fresh() {
  new_case
  rm -rf "$CTDB_SCRIPT_VARDIR"
  stub systemctl
  systemd_running
  sysconfig CTDB_MANAGES_HTTPD=yes "$@"
}
log() { cat "$TEST_TMP/log.ctdb" 2>/dev/null | sed -e 's/^[0-9/]* [0-9:]* //'; }

new_case
check_quiet_events "$script" "unmanaged (unset), every event is a no-op" "${ALL_EVENTS[@]}"
sysconfig CTDB_MANAGES_HTTPD=no
check_quiet_events "$script" "CTDB_MANAGES_HTTPD=no, every event is a no-op" "${ALL_EVENTS[@]}"

new_case
sysconfig CTDB_MANAGES_HTTPD=maybe
run "$script" monitor
check "invalid CTDB_MANAGES_HTTPD fails with a clear message" 1 \
  "ERROR: CTDB_MANAGES_HTTPD='maybe' is not a yes/no value" ""

# --- startup and shutdown -------------------------------------------------------------
fresh
mkdir -p "${COUNT%/*}"
echo 3 >"$COUNT"
run "$script" startup
check "startup starts apache2 (Debian's name)" 0 "" "systemctl start apache2"
check_true "startup forgets earlier failures" [ ! -e "$COUNT" ]
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown stops apache2" 0 "" "systemctl stop apache2"
check_quiet_events "$script" "managed, event not handled" "init" "setup" "startrecovery" \
  "recovered" "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24" \
  "updateip eth0 eth1 10.0.0.1 24" "ipreallocated"

fresh CTDB_SERVICE_HTTPD=httpd
rm -rf "$CTDB_SYS_RUNDIR/systemd"
run "$script" startup
check "CTDB_SERVICE_HTTPD names the service (service(8) without systemd)" 0 "" \
  "service httpd start"

fresh
stub systemctl 'echo "Job for apache2.service failed because the control process exited with error code."; exit 1'
run "$script" startup
check "startup fails when apache2 does not start" 1 \
  "Job for apache2.service failed because the control process exited with error code.
ERROR: failed to start service apache2 (exit code 1)" "systemctl start apache2"
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown fails when apache2 does not stop" 1 \
  "Job for apache2.service failed because the control process exited with error code.
ERROR: failed to stop service apache2 (exit code 1)" "systemctl stop apache2"

# --- monitor ---------------------------------------------------------------------------
fresh
ss_listens 0.0.0.0:22 '[::]:80'
run "$script" monitor
check "monitor: apache2 listening on port 80" 0 "" "ss -ltn"
check_true "monitor: no failure recorded" [ ! -e "$COUNT" ]

fresh
ss_listens 0.0.0.0:8080 0.0.0.0:443
run "$script" monitor
check "monitor: 1st failure only warns" 0 \
  "WARNING: apache2 not listening on TCP port 80 (1 consecutive failure)" "ss -ltn"
check_true "monitor: the failure is counted" [ "$(cat "$COUNT")" = 1 ]
: >"$STUB_LOG"
run "$script" monitor
check "monitor: 2nd failure restarts apache2, still healthy" 0 "" "ss -ltn
systemctl stop apache2
systemctl start apache2"
check_true "monitor: the restart is logged" [ "$(log)" = \
  "41.httpd: WARNING: apache2 not listening on TCP port 80 (2 consecutive failures): restarting apache2" ]
for n in 3 4; do
  : >"$STUB_LOG"
  run "$script" monitor
  check "monitor: failure $n warns, no restart" 0 \
    "WARNING: apache2 not listening on TCP port 80 ($n consecutive failures)" "ss -ltn"
done
for n in 5 6; do
  : >"$STUB_LOG"
  run "$script" monitor
  check "monitor: failure $n restarts apache2 and makes the node unhealthy" 1 \
    "ERROR: apache2 not listening on TCP port 80 ($n consecutive failures): restarting apache2" \
    "ss -ltn
systemctl stop apache2
systemctl start apache2"
done
ss_listens 0.0.0.0:80
: >"$STUB_LOG"
run "$script" monitor
check "monitor: listening again, healthy" 0 "" "ss -ltn"
check_true "monitor: the count starts over" [ ! -e "$COUNT" ]
ss_listens
run "$script" monitor
check "monitor: a new failure is the 1st again" 0 \
  "WARNING: apache2 not listening on TCP port 80 (1 consecutive failure)"

fresh CTDB_SERVICE_HTTPD=httpd
ss_listens
mkdir -p "${COUNT%/*}"
echo 4 >"$COUNT"
stub systemctl '[ "$1" = start ] && { echo "Job for httpd.service failed."; exit 1; }'
run "$script" monitor
check "monitor: a restart that fails shows why" 1 \
  "ERROR: httpd not listening on TCP port 80 (5 consecutive failures): restarting httpd
Job for httpd.service failed.
ERROR: failed to start service httpd (exit code 1)" "ss -ltn
systemctl stop httpd
systemctl start httpd"

fresh
mkdir -p "${COUNT%/*}"
echo garbage >"$COUNT"
ss_listens
run "$script" monitor
check "monitor: an unreadable count starts from nothing" 0 \
  "WARNING: apache2 not listening on TCP port 80 (1 consecutive failure)"

fresh
unstub ss
run "$script" monitor
check "monitor: no tool to list listeners counts as a failure, with the reason" 0 \
  "WARNING: neither ss nor netstat is available to list TCP listeners (1 consecutive failure)" ""

fresh
ss_listens
: >"$TEST_TMP/notadir"
CTDB_SCRIPT_VARDIR="$TEST_TMP/notadir" run "$script" monitor
check "monitor: the count cannot be kept" 1 \
  "ERROR: cannot record the failure count in $TEST_TMP/notadir/41.httpd/failcount" "ss -ltn"

fresh
ss_listens 0.0.0.0:80
run env CTDB_BASE= "$script" monitor
check "CTDB_BASE unset: found from the script's own location" 0 ""
ss_listens
run bash -u "$script" monitor
check "bash -u: monitor" 0 "WARNING: apache2 not listening on TCP port 80 (1 consecutive failure)"

finish
