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

# 4.17's script.options and NN.name.options (Debian's /etc/ctdb), after the sysconfig.
new_case
base=$TEST_TMP/base
mkdir -p "$base/events/legacy"
cp "$CONFIG_DIR/functions" "$base/functions"
sysconfig 'FOO=sysconfig BAR=sysconfig'
echo 'FOO=script.options' >"$base/script.options"
echo 'BAR=own' >"$base/events/legacy/50.x.options"
printf '#!/bin/bash\n. "$CTDB_BASE/functions"\nloadconfig\necho "$FOO $BAR"\n' \
  >"$base/events/legacy/50.x.script"
run env CTDB_BASE="$base" bash "$base/events/legacy/50.x.script"
check "loadconfig: script.options, then the script's own NN.name.options, win over the sysconfig" \
  0 "script.options own"
run env CTDB_BASE="$base" bash -c '. "$CTDB_BASE/functions"; load_script_options legacy 50.x; echo "$FOO $BAR"'
check "load_script_options COMPONENT SCRIPT (4.17's form)" 0 "script.options own"
run env CTDB_BASE="$base" bash -c '. "$CTDB_BASE/functions"; load_script_options x'
check "load_script_options with one argument: usage" 1 "usage: load_script_options [ component script ]"

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

# --- CTDB_SCRIPT_VARDIR and warn --------------------------------------------------
new_case
fn 'echo "$CTDB_SCRIPT_VARDIR"'
check "CTDB_SCRIPT_VARDIR from the environment is kept" 0 "$CTDB_SCRIPT_VARDIR"
run env -u CTDB_SCRIPT_VARDIR bash -c '. "$CTDB_BASE/functions"; echo "$CTDB_SCRIPT_VARDIR"'
check "CTDB_SCRIPT_VARDIR defaults to /var/lib/ctdb/scripts" 0 "/var/lib/ctdb/scripts"
run env CTDB_SCRIPT_VARDIR= bash -c '. "$CTDB_BASE/functions"; echo "$CTDB_SCRIPT_VARDIR"'
check "CTDB_SCRIPT_VARDIR empty: the default" 0 "/var/lib/ctdb/scripts"

new_case
stub logger
fn 'warn "tgtd failed to start"; echo "rc=$?"'
check "warn prints a WARNING line" 0 "WARNING: tgtd failed to start
rc=0" ""
check_true "warn records the WARNING line with script_log" \
  grep -q "^[0-9/]* [0-9:]* bash: WARNING: tgtd failed to start\$" "$CTDB_LOGFILE"
check_true "warn: one log line" [ "$(wc -l <"$CTDB_LOGFILE")" -eq 1 ]

# --- systemd_is_init / service_restart -------------------------------------------
new_case
stub systemctl; stub service
fn 'systemd_is_init'
check "systemd_is_init: no /run/systemd/system" 1 "" ""
systemd_running
fn 'systemd_is_init'
check "systemd_is_init: /run/systemd/system and systemctl" 0 "" ""
unstub systemctl
fn 'systemd_is_init'
check "systemd_is_init: no systemctl" 1 "" ""

new_case
stub systemctl; stub service
mkdir -p "$CTDB_SYS_ETCDIR/init.d"
printf '#!/bin/bash\necho "initd $*" >>"$STUB_LOG"\n' >"$CTDB_SYS_ETCDIR/init.d/vsftpd"
chmod +x "$CTDB_SYS_ETCDIR/init.d/vsftpd"
systemd_running
fn 'service_restart vsftpd'
check "service_restart uses systemctl restart when systemd is init" 0 "" "systemctl restart vsftpd"
: >"$STUB_LOG"; rm -rf "$TEST_TMP/run/systemd"
fn 'service_restart vsftpd'
check "service_restart uses /etc/init.d/NAME restart without systemd" 0 "" "initd restart"
: >"$STUB_LOG"
fn 'service_restart apache2'
check "service_restart falls back to service NAME restart" 0 "" "service apache2 restart"
stub service 'echo "apache2: unrecognized service"; exit 1'
: >"$STUB_LOG"
fn 'service_restart apache2; echo "rc=$?"'
check "service_restart reports a failing restart" 0 "apache2: unrecognized service
ERROR: failed to restart service apache2 (exit code 1)
rc=1" "service apache2 restart"

# --- failcount_get / failcount_set ---------------------------------------------------
new_case
rm -rf "$CTDB_SCRIPT_VARDIR"
FC="$CTDB_SCRIPT_VARDIR/99.test/failcount"
fn "failcount_get '$FC'"
check "failcount_get: no file is 0" 0 "0" ""
fn "failcount_set '$FC' 3; echo \"rc=\$?\""
check "failcount_set N: quiet" 0 "rc=0" ""
check_true "failcount_set N: creates the directory and writes N" [ "$(cat "$FC")" = 3 ]
fn "failcount_get '$FC'"
check "failcount_get reads the count" 0 "3"
printf '12' >"$FC"
fn "failcount_get '$FC'"
check "failcount_get: a count without a newline" 0 "12"
for bad in garbage "" "-1" "3 4" "1.5"; do
  printf '%s\n' "$bad" >"$FC"
  fn "failcount_get '$FC'"
  check "failcount_get: '$bad' is 0" 0 "0"
done
echo 5 >"$FC"
fn "failcount_set '$FC' 0; echo \"rc=\$?\""
check "failcount_set 0: quiet" 0 "rc=0" ""
check_true "failcount_set 0 removes the file" [ ! -e "$FC" ]
fn "failcount_set '$FC' 0; echo \"rc=\$?\""
check "failcount_set 0 without a file is fine" 0 "rc=0" ""
: >"$TEST_TMP/notadir"
fn "failcount_set '$TEST_TMP/notadir/99.test/failcount' 1; echo not reached"
check "failcount_set: a count that cannot be recorded stops the script" 1 \
  "ERROR: cannot record the failure count in $TEST_TMP/notadir/99.test/failcount"
fn "failcount_set '$TEST_TMP/notadir/nfs.failcount' 2 'fail count of nfs'; echo not reached"
check "failcount_set WHAT: names what was not recorded" 1 \
  "ERROR: cannot record the fail count of nfs in $TEST_TMP/notadir/nfs.failcount"

# --- addresses and interface names ----------------------------------------------------
new_case
for a in 0.0.0.0 10.1.2.3 255.255.255.255 010.001.002.003; do
  fn "is_ipv4 '$a'"
  check "is_ipv4 '$a'" 0 ""
  fn "ip_family '$a'"
  check "ip_family '$a' is inet" 0 "inet"
done
for a in "" 10.1.2 10.1.2.3.4 256.1.1.1 10.1.2.1000 1.2.3.-4 "10.1.2.3 " a.b.c.d fd00::1 10.1.2.3/24; do
  fn "is_ipv4 '$a'"
  check "is_ipv4 rejects '$a'" 1 ""
done
for a in fd00::1 ::1 ::ffff:10.1.2.3; do
  fn "ip_family '$a'"
  check "ip_family '$a' is inet6" 0 "inet6"
done
for a in 256.1.1.1 10.1.2 fd00::g host; do
  fn "ip_family '$a'"
  check "ip_family rejects '$a'" 1 ""
done

for v in 10.0.0.0/8 192.168.1.0/24 0.0.0.0/0 10.1.2.3/32 10.1.2.3/08; do
  fn "ipv4_prefix '$v'"
  check "ipv4_prefix '$v'" 0 ""
done
for v in 10.0.0.0 10.0.0.0/ 10.0.0.0/33 10.0.0.0/024 10.0.0.0/x 256.0.0.0/8 /8 \
  10.0.0.0/8/8 fd00::/64 "10.0.0.0/8 "; do
  fn "ipv4_prefix '$v'"
  check "ipv4_prefix rejects '$v'" 1 ""
done

for n in eth0 eth0.100 bond0:1 br-lan ens1f0_x abcdefghijklmno ...; do
  fn "valid_iface_name '$n'"
  check "valid_iface_name '$n'" 0 ""
done
for n in "" . .. abcdefghijklmnop "eth 0" eth0/1 "eth0;x"; do
  fn "valid_iface_name '$n'"
  check "valid_iface_name rejects '$n'" 1 ""
done

# --- public_ips_of ------------------------------------------------------------------------
new_case
IPS='|Public IP|Node|
|10.0.0.1|1|
|10.0.0.2|0|
|fd00::1|1|
|10.0.0.3|-1|
|10.0.0.11|1|'
fn "public_ips_of 1 <<<'$IPS'"
check "public_ips_of: the addresses the node hosts, header left out" 0 "10.0.0.1
fd00::1
10.0.0.11"
fn "public_ips_of 0 <<<'$IPS'"
check "public_ips_of: another node" 0 "10.0.0.2"
fn "public_ips_of 2 <<<'$IPS'"
check "public_ips_of: a node hosting nothing" 0 ""
fn "public_ips_of 1 <<<'|Public IP|Node|
|10.0.0.1|1|
||1|
|10.0.0.2|1|'"
check "public_ips_of: an empty address is left out" 0 "10.0.0.1
10.0.0.2"
fn "public_ips_of 1 <<<'|Addr|1|
|10.0.0.1|1|'"
check "public_ips_of: the first line is always the header" 0 "10.0.0.1"

# --- send_gratarp ---------------------------------------------------------------------------
new_case
stub ctdb
fn 'send_gratarp 10.0.0.1 eth0; echo "rc=$?"'
check "send_gratarp: ctdb gratarp, quiet" 0 "rc=0" "ctdb gratarp 10.0.0.1 eth0"
stub ctdb 'echo "Control GRATIOUS_ARP failed"; exit 1'
: >"$STUB_LOG"
fn 'send_gratarp fd00::1 eth1; echo "rc=$?"'
check "send_gratarp: a failure is a WARNING line, not a failure" 0 \
  "WARNING: 'ctdb gratarp fd00::1 eth1' failed: Control GRATIOUS_ARP failed
rc=0" "ctdb gratarp fd00::1 eth1"
stub mytool
: >"$STUB_LOG"
CTDB=mytool fn 'send_gratarp 10.0.0.1 eth0'
check "send_gratarp uses \$CTDB" 0 "" "mytool gratarp 10.0.0.1 eth0"

# --- nfs_callout_init / nfs_callout_run ------------------------------------------------------
# The stub callout: "register" prints $STUB_STATE/ops (exits 1 when
# $STUB_STATE/register-fails exists); an operation named in $STUB_STATE/fail
# fails with exit code 3; any other prints the environment it was given.
stub nfs-callout 'if [ "$1" = register ]; then
  cat "$STUB_STATE/ops" 2>/dev/null; [ ! -e "$STUB_STATE/register-fails" ]; exit; fi
if grep -qxF -- "$1" "$STUB_STATE/fail" 2>/dev/null; then echo "$1 failed"; exit 3; fi
printf "%s\n" "$CTDB_BASE" "$CTDB_NFS_CALLOUT" "$CTDB_NFS_CALLOUT_STATE_DIR" \
  "${CTDB_NFS_STATE_FS_TYPE-unset}" "${CTDB_NFS_STATE_MNT-unset}"'
callout_case() {
  new_case
  rm -f "$STUB_STATE/ops" "$STUB_STATE/fail" "$STUB_STATE/register-fails"
  [ "$#" -eq 0 ] || printf '%s\n' "$@" >"$STUB_STATE/ops"
}
# nfs_fn CODE: fn with CTDB_NFS_CALLOUT=nfs-callout.
nfs_fn() { CTDB_NFS_CALLOUT=nfs-callout fn "$1"; }

callout_case
nfs_fn 'nfs_callout_init; echo "$nfs_callout"'
check "nfs_callout_init: CTDB_NFS_CALLOUT, nothing run" 0 "nfs-callout" ""
run env -u CTDB_NFS_CALLOUT bash -c '. "$CTDB_BASE/functions"; nfs_callout_init; echo "$nfs_callout"'
check "nfs_callout_init: default \$CTDB_BASE/nfs-linux-kernel-callout" 0 \
  "$CTDB_BASE/nfs-linux-kernel-callout" ""
CTDB_NFS_CALLOUT="$TEST_TMP/missing" fn 'nfs_callout_init; echo not reached'
check "nfs_callout_init: a missing callout stops the script" 1 \
  "ERROR: NFS callout '$TEST_TMP/missing' not found or not executable (CTDB_NFS_CALLOUT)" ""
: >"$TEST_TMP/not-executable"
CTDB_NFS_CALLOUT="$TEST_TMP/not-executable" fn 'nfs_callout_init; echo not reached'
check "nfs_callout_init: a callout that is not executable stops the script" 1 \
  "ERROR: NFS callout '$TEST_TMP/not-executable' not found or not executable (CTDB_NFS_CALLOUT)" ""

callout_case
nfs_fn 'nfs_callout_init; nfs_callout_run startup'
check "nfs_callout_run: the callout gets CTDB_BASE, itself, its state directory; state settings unset" 0 \
  "$CTDB_BASE
nfs-callout
$CTDB_SCRIPT_VARDIR/60.nfs/callout-state
unset
unset" "nfs-callout register
nfs-callout startup"
callout_case
nfs_fn 'CTDB_NFS_STATE_FS_TYPE=gpfs; CTDB_NFS_STATE_MNT=/gpfs/.nfs; nfs_callout_init
nfs_callout_run startup | tail -n 2'
check "nfs_callout_init exports CTDB_NFS_STATE_FS_TYPE and CTDB_NFS_STATE_MNT when set" 0 \
  "gpfs
/gpfs/.nfs"

callout_case startup shutdown releaseip
nfs_fn 'nfs_callout_init; nfs_callout_run takeip eth0 10.0.0.1 24; echo "rc=$?"
nfs_callout_run releaseip eth0 10.0.0.1 24 >/dev/null; echo "rc=$?"
nfs_callout_run releaseip-pre eth0 10.0.0.1 24; echo "rc=$?"'
check "nfs_callout_run: only registered operations run, register asked once" 0 "rc=0
rc=0
rc=0" "nfs-callout register
nfs-callout releaseip eth0 10.0.0.1 24"

callout_case
nfs_fn 'nfs_callout_init; nfs_callout_run takeip-pre eth0 10.0.0.1 24 >/dev/null
nfs_callout_run monitor-pre >/dev/null'
check "nfs_callout_run: a callout that registers nothing gets everything" 0 "" \
  "nfs-callout register
nfs-callout takeip-pre eth0 10.0.0.1 24
nfs-callout monitor-pre"

callout_case startup ALL
nfs_fn 'nfs_callout_init; nfs_callout_run monitor-post >/dev/null'
check "nfs_callout_run: a callout that registers ALL gets everything" 0 "" \
  "nfs-callout register
nfs-callout monitor-post"

callout_case startup
touch "$STUB_STATE/register-fails"
nfs_fn 'nfs_callout_init; nfs_callout_run monitor-post >/dev/null'
check "nfs_callout_run: a callout whose register fails gets everything" 0 "" \
  "nfs-callout register
nfs-callout monitor-post"

callout_case
echo takeip-pre >"$STUB_STATE/fail"
nfs_fn 'nfs_callout_init; nfs_callout_run takeip-pre eth0 10.0.0.1 24; echo "rc=$?"'
check "nfs_callout_run: a failing operation gives its output, an ERROR line and its exit code" 0 \
  "takeip-pre failed
ERROR: NFS callout nfs-callout failed at takeip-pre (exit code 3)
rc=3" "nfs-callout register
nfs-callout takeip-pre eth0 10.0.0.1 24"

finish
