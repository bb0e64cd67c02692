#!/bin/bash
# Tests events.d/50.samba: smbd (and optionally nmbd) managed by CTDB.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/50.samba"
stub systemctl; stub service; stub ss
# testparm: "-s" checks smb.conf; "--parameter-name" prints one setting.
testparm_ok() {
  stub testparm "case \"\$*\" in
  *--parameter-name*) echo '$1' ;;
  *) echo 'Load smb config files from /etc/samba/smb.conf' >&2; echo '[global]' ;;
esac"
}

new_case
check_quiet_events "$script" "unmanaged (unset), every event is a no-op" "${ALL_EVENTS[@]}"
sysconfig CTDB_MANAGES_SAMBA=no CTDB_MANAGES_NMBD=yes
check_quiet_events "$script" "CTDB_MANAGES_SAMBA=no, every event is a no-op" "${ALL_EVENTS[@]}"

new_case
sysconfig CTDB_MANAGES_SAMBA=ja
run "$script" monitor
check "invalid CTDB_MANAGES_SAMBA fails with a clear message" 1 \
  "ERROR: CTDB_MANAGES_SAMBA='ja' is not a yes/no value" ""

new_case
systemd_running
sysconfig CTDB_MANAGES_SAMBA=yes
run "$script" startup
check "startup starts smbd only" 0 "" "systemctl start smbd"
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown stops smbd" 0 "" "systemctl stop smbd"
check_quiet_events "$script" "managed, event not handled" "init" "setup" "startrecovery" \
  "recovered" "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24" \
  "updateip eth0 eth1 10.0.0.1 24" "ipreallocated"

new_case
systemd_running
sysconfig CTDB_MANAGES_SAMBA=yes CTDB_MANAGES_NMBD=yes
run "$script" startup
check "CTDB_MANAGES_NMBD=yes: startup starts smbd then nmbd" 0 "" \
  "systemctl start smbd
systemctl start nmbd"
: >"$STUB_LOG"
run "$script" shutdown
check "CTDB_MANAGES_NMBD=yes: shutdown stops nmbd then smbd" 0 "" \
  "systemctl stop nmbd
systemctl stop smbd"

new_case
sysconfig CTDB_MANAGES_SAMBA=yes CTDB_MANAGES_NMBD=yes CTDB_SERVICE_SMB=smb CTDB_SERVICE_NMB=nmb
run "$script" startup
check "CTDB_SERVICE_SMB/NMB name the services" 0 "" "service smb start
service nmb start"

new_case
systemd_running
sysconfig CTDB_MANAGES_SAMBA=yes CTDB_MANAGES_NMBD=yes
stub systemctl '[ "$2" = smbd ] && { echo "Job for smbd.service failed."; exit 1; }'
run "$script" startup
check "startup fails when smbd does not start (nmbd not tried)" 1 \
  "Job for smbd.service failed.
ERROR: failed to start service smbd (exit code 1)" "systemctl start smbd"
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown still stops nmbd when smbd fails to stop" 1 \
  "Job for smbd.service failed.
ERROR: failed to stop service smbd (exit code 1)" "systemctl stop nmbd
systemctl stop smbd"

# --- monitor ---------------------------------------------------------------------
new_case
sysconfig CTDB_MANAGES_SAMBA=yes
testparm_ok "445 139"
ss_listens 0.0.0.0:445 '[::]:445' 0.0.0.0:139
run "$script" monitor
check "monitor: smb.conf valid and smbd on 445 and 139" 0 "" \
  "testparm -s
testparm -s --parameter-name=smb ports
ss -ltn"

new_case
sysconfig CTDB_MANAGES_SAMBA=yes
testparm_ok "445 139"
ss_listens 0.0.0.0:445
run "$script" monitor
check "monitor: smbd listens on 445 only" 1 "ERROR: samba not listening on TCP port 139"

new_case
sysconfig CTDB_MANAGES_SAMBA=yes
testparm_ok "445"
ss_listens 0.0.0.0:445
run "$script" monitor
check "monitor: ports from smb.conf's smb ports" 0 ""
testparm_ok "445, 1139"
run "$script" monitor
check "monitor: comma separated smb ports, one missing" 1 \
  "ERROR: samba not listening on TCP port 1139"
testparm_ok ""
run "$script" monitor
check "monitor: empty smb ports falls back to 445 139" 1 \
  "ERROR: samba not listening on TCP port 139"

new_case
sysconfig CTDB_MANAGES_SAMBA=yes 'CTDB_SAMBA_CHECK_PORTS="445"'
testparm_ok "445 139"
ss_listens 0.0.0.0:445
run "$script" monitor
check "monitor: CTDB_SAMBA_CHECK_PORTS overrides smb.conf" 0 "" "testparm -s
ss -ltn"

new_case
sysconfig CTDB_MANAGES_SAMBA=yes
stub testparm 'echo "Load smb config files from /etc/samba/smb.conf" >&2
echo "Unknown parameter encountered: \"clustring\"" >&2
echo "Error loading services." >&2; exit 1'
ss_listens 0.0.0.0:445 0.0.0.0:139
run "$script" monitor
check "monitor: testparm rejecting smb.conf makes the node unhealthy" 1 \
  "ERROR: testparm rejects the Samba configuration:
Load smb config files from /etc/samba/smb.conf
Unknown parameter encountered: \"clustring\"
Error loading services." "testparm -s"

new_case
sysconfig CTDB_MANAGES_SAMBA=yes
testparm_ok "445 139"
ss_listens 0.0.0.0:445 0.0.0.0:139
run env CTDB_BASE= "$script" monitor
check "CTDB_BASE unset: found from the script's own location" 0 ""

finish
