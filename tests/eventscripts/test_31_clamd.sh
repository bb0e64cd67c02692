#!/bin/bash
# Tests events.d/31.clamd: the ClamAV daemon managed by CTDB.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/31.clamd"
stub systemctl; stub service; stub ss

new_case
check_quiet_events "$script" "unmanaged (unset), every event is a no-op" "${ALL_EVENTS[@]}"
sysconfig CTDB_MANAGES_CLAMD=no CTDB_CLAMD_SOCKET=/run/clamav/clamd.ctl
check_quiet_events "$script" "CTDB_MANAGES_CLAMD=no, every event is a no-op" "${ALL_EVENTS[@]}"

new_case
sysconfig CTDB_MANAGES_CLAMD=maybe
run "$script" monitor
check "invalid CTDB_MANAGES_CLAMD fails with a clear message" 1 \
  "ERROR: CTDB_MANAGES_CLAMD='maybe' is not a yes/no value" ""

new_case
systemd_running
sysconfig CTDB_MANAGES_CLAMD=yes CTDB_CLAMD_SOCKET=/run/clamav/clamd.ctl
run "$script" startup
check "startup starts clamav-daemon" 0 "" "systemctl start clamav-daemon"
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown stops clamav-daemon" 0 "" "systemctl stop clamav-daemon"
check_quiet_events "$script" "managed, event not handled" "init" "setup" "startrecovery" \
  "recovered" "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24" \
  "updateip eth0 eth1 10.0.0.1 24" "ipreallocated"

new_case
systemd_running
sysconfig CTDB_MANAGES_CLAMD=yes CTDB_SERVICE_CLAMD=clamd CTDB_CLAMD_SOCKET=/run/clamav/clamd.ctl
run "$script" startup
check "CTDB_SERVICE_CLAMD names the service" 0 "" "systemctl start clamd"

new_case
sysconfig CTDB_MANAGES_CLAMD=yes CTDB_CLAMD_SOCKET=/run/clamav/clamd.ctl
stub service 'echo "clamav-daemon: start failed"; exit 1'
run "$script" startup
check "startup fails when the service does not start" 1 \
  "clamav-daemon: start failed
ERROR: failed to start service clamav-daemon (exit code 1)" "service clamav-daemon start"
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown fails when the service does not stop" 1 \
  "clamav-daemon: start failed
ERROR: failed to stop service clamav-daemon (exit code 1)" "service clamav-daemon stop"

new_case
sysconfig CTDB_MANAGES_CLAMD=yes CTDB_CLAMD_SOCKET=/run/clamav/clamd.ctl
ss_listens 0.0.0.0:22 /run/clamav/clamd.ctl
run "$script" monitor
check "monitor: clamd listening on its socket" 0 "" "ss -lxn"
ss_listens 0.0.0.0:22 /run/other.sock
: >"$STUB_LOG"
run "$script" monitor
check "monitor: socket not listening makes the node unhealthy" 1 \
  "ERROR: clamd not listening on Unix socket /run/clamav/clamd.ctl" "ss -lxn"
sysconfig CTDB_MANAGES_CLAMD=yes
: >"$STUB_LOG"
run "$script" monitor
check "monitor: CTDB_CLAMD_SOCKET unset" 1 \
  "ERROR: CTDB_MANAGES_CLAMD=yes but CTDB_CLAMD_SOCKET is not set" ""

finish
