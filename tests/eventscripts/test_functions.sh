#!/bin/bash
# Tests config/functions, the helpers every event script shares.
. "$(dirname "$0")/lib.sh"

# fn CODE: runs CODE in a fresh bash that has sourced the functions file.
fn() { run bash -c ". \"\$CTDB_BASE/functions\"; $1"; }

# --- loadconfig --------------------------------------------------------------
new_case
sysconfig 'FOO=from-ctdb-sysconfig'
fn 'loadconfig; echo "$FOO"'
check "loadconfig reads \$CTDB_SYSCONFIG" 0 "from-ctdb-sysconfig"

new_case
mkdir -p "$CTDB_SYS_ETCDIR/sysconfig" "$CTDB_SYS_ETCDIR/default"
echo 'FOO=sysconfig' >"$CTDB_SYS_ETCDIR/sysconfig/ctdb"
echo 'FOO=default' >"$CTDB_SYS_ETCDIR/default/ctdb"
CTDB_SYSCONFIG='' fn 'loadconfig; echo "$FOO"'
check "loadconfig prefers /etc/sysconfig/ctdb over /etc/default/ctdb" 0 "sysconfig"
rm "$CTDB_SYS_ETCDIR/sysconfig/ctdb"
CTDB_SYSCONFIG='' fn 'loadconfig; echo "$FOO"'
check "loadconfig falls back to /etc/default/ctdb" 0 "default"
rm "$CTDB_SYS_ETCDIR/default/ctdb"
CTDB_SYSCONFIG='' fn 'loadconfig; echo "ok:${FOO:-unset}"'
check "loadconfig without any sysconfig keeps defaults" 0 "ok:unset"
CTDB_SYSCONFIG="$TEST_TMP/missing" fn 'loadconfig; echo not reached'
check "loadconfig fails on a missing explicit CTDB_SYSCONFIG" 1 \
  "ERROR: cannot read sysconfig file $TEST_TMP/missing"

# --- yes/no settings ---------------------------------------------------------
new_case
for v in yes YES True on ON 1; do
  fn "is_yes '$v'"
  check "is_yes '$v' is yes" 0 ""
done
for v in no No FALSE off 0 ""; do
  fn "is_yes '$v'"
  check "is_yes '$v' is no" 1 ""
done
fn "is_yes maybe"
check "is_yes 'maybe' is invalid" 2 ""
fn 'CTDB_MANAGES_X=Yes; setting_enabled CTDB_MANAGES_X && echo on'
check "setting_enabled on" 0 "on"
fn 'setting_enabled CTDB_MANAGES_X || echo off'
check "setting_enabled unset is off" 0 "off"
fn 'CTDB_MANAGES_X=maybe; setting_enabled CTDB_MANAGES_X; echo not reached'
check "setting_enabled stops on an invalid value" 1 "ERROR: CTDB_MANAGES_X='maybe' is not a yes/no value"

# --- ctdb_get_pnn --------------------------------------------------------------
new_case
stub ctdb 'echo 2'
fn 'ctdb_get_pnn'
check "ctdb_get_pnn prints the number from 'ctdb pnn'" 0 "2" "ctdb pnn"
stub ctdb 'echo PNN:3'
fn 'ctdb_get_pnn'
check "ctdb_get_pnn accepts the old 'PNN:N' form" 0 "3"
stub ctdb 'echo "connection refused"; exit 1'
fn 'ctdb_get_pnn'
check "ctdb_get_pnn reports a failing ctdb" 1 "ERROR: 'ctdb pnn' failed: connection refused"
stub ctdb 'echo hello'
fn 'ctdb_get_pnn'
check "ctdb_get_pnn rejects garbage" 1 "ERROR: unexpected output from 'ctdb pnn': hello"
stub mytool 'echo 7'
: >"$STUB_LOG"
CTDB=mytool fn 'ctdb_get_pnn'
check "ctdb_get_pnn uses \$CTDB" 0 "7" "mytool pnn"

# --- service_start / service_stop ----------------------------------------------
new_case
stub systemctl; stub service
mkdir -p "$CTDB_SYS_ETCDIR/init.d"
printf '#!/bin/bash\necho "initd $*" >>"$STUB_LOG"\n' >"$CTDB_SYS_ETCDIR/init.d/smbd"
chmod +x "$CTDB_SYS_ETCDIR/init.d/smbd"
systemd_running
fn 'service_start smbd'
check "service_start uses systemctl when systemd is init" 0 "" "systemctl start smbd"
: >"$STUB_LOG"; rm -rf "$TEST_TMP/run/systemd"
fn 'service_stop smbd'
check "service_stop uses /etc/init.d/NAME without systemd" 0 "" "initd stop"
: >"$STUB_LOG"
fn 'service_start winbind'
check "service_start falls back to service(8)" 0 "" "service winbind start"
: >"$STUB_LOG"; systemd_running; unstub systemctl
fn 'service_start winbind'
check "service_start does not need systemctl to exist" 0 "" "service winbind start"
stub systemctl 'echo "Job for smbd.service failed."; exit 1'
: >"$STUB_LOG"
fn 'service_start smbd; echo "rc=$?"'
check "service_start reports a failing start" 0 \
  "Job for smbd.service failed.
ERROR: failed to start service smbd (exit code 1)
rc=1" "systemctl start smbd"

# --- TCP ports -------------------------------------------------------------------
new_case
ss_listens 0.0.0.0:445 '[::]:139' 127.0.0.1:1445
fn 'check_tcp_ports samba 445 139'
check "check_tcp_ports: all ports listening (IPv4 and IPv6)" 0 "" "ss -ltn"
fn 'check_tcp_ports samba 445 1139'
check "check_tcp_ports: missing port named" 1 "ERROR: samba not listening on TCP port 1139"
ss_listens 127.0.0.1:1445
fn 'check_tcp_ports samba 445'
check "check_tcp_ports: 1445 does not count as 445" 1 "ERROR: samba not listening on TCP port 445"
unstub ss
stub netstat "printf 'Active Internet connections (only servers)\nProto Recv-Q Send-Q Local Address Foreign Address State\ntcp 0 0 0.0.0.0:445 0.0.0.0:* LISTEN\ntcp6 0 0 :::139 :::* LISTEN\n'"
: >"$STUB_LOG"
fn 'check_tcp_ports samba 445 139'
check "check_tcp_ports falls back to netstat" 0 "" "netstat -ltn"
fn 'check_tcp_ports samba 445 80'
check "check_tcp_ports with netstat: missing port" 1 "ERROR: samba not listening on TCP port 80"
unstub netstat
fn 'check_tcp_ports samba 445'
check "check_tcp_ports without ss or netstat" 1 \
  "ERROR: neither ss nor netstat is available to list TCP listeners"

# --- Unix sockets ------------------------------------------------------------------
new_case
ss_listens /run/clamav/clamd.ctl 0.0.0.0:22
fn 'check_unix_socket clamd /run/clamav/clamd.ctl'
check "check_unix_socket: listening" 0 "" "ss -lxn"
fn 'check_unix_socket clamd /run/clamav/clamd'
check "check_unix_socket: other path" 1 "ERROR: clamd not listening on Unix socket /run/clamav/clamd"

# --- tunables ---------------------------------------------------------------------
new_case
stub ctdb
fn 'CTDB_SET_MonitorInterval=20; CTDB_SET_EnableBans=0; apply_tunables'
check "apply_tunables sets every CTDB_SET_ variable" 0 "" \
  "ctdb setvar EnableBans 0
ctdb setvar MonitorInterval 20"
stub ctdb 'echo "Unable to set tunable variable '"'"'NoSuch'"'"'"; exit 1'
: >"$STUB_LOG"
fn 'CTDB_SET_NoSuch=1; CTDB_SET_Zzz=2; apply_tunables; echo "rc=$?"'
check "apply_tunables stops at a refused tunable" 0 \
  "ERROR: failed to set tunable NoSuch=1 (from CTDB_SET_NoSuch): Unable to set tunable variable 'NoSuch'
rc=1" "ctdb setvar NoSuch 1"
: >"$STUB_LOG"
fn 'apply_tunables'
check "apply_tunables without CTDB_SET_ does nothing" 0 "" ""

# --- script_log -------------------------------------------------------------------
new_case
stub logger
fn 'script_log hello world'
check "script_log appends to CTDB_LOGFILE" 0 "" ""
check_true "script_log line in the log file" grep -q "^[0-9/]* [0-9:]* bash: hello world\$" "$CTDB_LOGFILE"
fn 'CTDB_SYSLOG=yes; script_log hello'
check "script_log uses logger with CTDB_SYSLOG=yes" 0 "" "logger -t ctdbd-eventscript -- bash: hello"
CTDB_LOGFILE=/nonexistent/dir/log fn 'script_log hello'
check "script_log falls back to stderr" 0 "bash: hello"

finish
