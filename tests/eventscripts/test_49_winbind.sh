#!/bin/bash
# Tests events.d/49.winbind: winbindd managed by CTDB.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/49.winbind"
stub systemctl; stub service; stub wbinfo

new_case
check_quiet_events "$script" "unmanaged (unset), every event is a no-op" "${ALL_EVENTS[@]}"
sysconfig CTDB_MANAGES_WINBIND=off
check_quiet_events "$script" "CTDB_MANAGES_WINBIND=off, every event is a no-op" "${ALL_EVENTS[@]}"

new_case
sysconfig CTDB_MANAGES_WINBIND=sure
run "$script" startup
check "invalid CTDB_MANAGES_WINBIND fails with a clear message" 1 \
  "ERROR: CTDB_MANAGES_WINBIND='sure' is not a yes/no value" ""

new_case
systemd_running
sysconfig CTDB_MANAGES_WINBIND=yes
run "$script" startup
check "startup starts winbind" 0 "" "systemctl start winbind"
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown stops winbind" 0 "" "systemctl stop winbind"
check_quiet_events "$script" "managed, event not handled" "init" "setup" "startrecovery" \
  "recovered" "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24" \
  "updateip eth0 eth1 10.0.0.1 24" "ipreallocated"

new_case
sysconfig CTDB_MANAGES_WINBIND=TRUE CTDB_SERVICE_WINBIND=winbindd
run "$script" startup
check "CTDB_SERVICE_WINBIND names the service (service(8) without systemd)" 0 "" \
  "service winbindd start"

new_case
systemd_running
sysconfig CTDB_MANAGES_WINBIND=yes
stub systemctl 'echo "Job for winbind.service failed because the control process exited."; exit 1'
run "$script" startup
check "startup fails when winbind does not start" 1 \
  "Job for winbind.service failed because the control process exited.
ERROR: failed to start service winbind (exit code 1)" "systemctl start winbind"

new_case
sysconfig CTDB_MANAGES_WINBIND=yes
stub wbinfo 'echo "Ping to winbindd succeeded"'
run "$script" monitor
check "monitor: wbinfo -p succeeds" 0 "" "wbinfo -p"
stub wbinfo 'echo "could not ping winbindd!"; echo "Ping to winbindd failed" >&2; exit 1'
: >"$STUB_LOG"
run "$script" monitor
check "monitor: wbinfo -p failing makes the node unhealthy, with its message" 1 \
  "ERROR: winbind is not answering: wbinfo -p failed: could not ping winbindd!
Ping to winbindd failed" "wbinfo -p"

finish
