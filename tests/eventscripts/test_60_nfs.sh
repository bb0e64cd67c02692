#!/bin/bash
# Tests events.d/60.nfs (NFS managed by CTDB) and the Linux kernel NFS
# callout, config/nfs-linux-kernel-callout, with the shipped nfs-checks.d.
#
# 60.nfs runs $CTDB_BASE/statd-callout, so the cases use a CTDB_BASE of
# their own: the real functions, callout and checks, and a stub
# statd-callout. Most event cases use a stub callout ("nfs-callout", as
# CTDB_NFS_CALLOUT); the callout's own cases run the real one with stub
# systemctl/service. Work 60.nfs leaves to the background (restarts,
# statd-callout notify) is held by a gate that a case opens only after the
# event returned, which shows that the event did not wait for it.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/60.nfs"
callout="$CONFIG_DIR/nfs-linux-kernel-callout"

export CTDB_BASE="$TEST_TMP/base"
mkdir -p "$CTDB_BASE"
ln -s "$CONFIG_DIR/functions" "$CTDB_BASE/functions"
ln -s "$callout" "$CTDB_BASE/nfs-linux-kernel-callout"
ln -s "$CONFIG_DIR/nfs-checks.d" "$CTDB_BASE/nfs-checks.d"
ln -s "$STUBS/statd-callout" "$CTDB_BASE/statd-callout"
STATE="$CTDB_SCRIPT_VARDIR/60.nfs"
GATE="$STUB_STATE/gate"

# gated_stub NAME WHEN [SNIPPET]: a stub that, when the shell condition
# WHEN holds for its arguments, first (even before logging its call) waits up
# to 10 s for the gate to open.
gated_stub() {
  stub "$1" "${3:-}"
  {
    echo '#!/bin/bash'
    echo "if $2; then"
    cat <<'EOF'
  i=0
  while [ ! -e "$STUB_STATE/gate" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  [ -e "$STUB_STATE/gate" ] || echo "${0##*/}: the gate never opened (run in the foreground?)" >>"$STUB_LOG"
fi
printf '%s\n' "${0##*/}${*:+ $*}" >>"$STUB_LOG"
[ -r "$STUB_STATE/${0##*/}.sh" ] && . "$STUB_STATE/${0##*/}.sh"
exit 0
EOF
  } >"$STUBS/$1"
}

# wait_for DESC CMD...: CMD becomes true within 10 s (background work).
wait_for() {
  local desc="$1" i
  shift
  for ((i = 0; i < 200; i++)); do
    "$@" && { pass "$desc"; return; }
    sleep 0.05
  done
  fail "$desc" "still false after 10 s: $*"
}
logged_line() { [ "$(logged | grep -cxF -- "$1")" -ge "${2:-1}" ]; }
called() { [ "$(grep -cxF -- "$1" "$STUB_LOG")" -ge "${2:-1}" ]; }

# The log without timestamps.
logged() { sed -E 's|^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} ||' "$CTDB_LOGFILE" 2>/dev/null; }
check_log() {
  if [ "$(logged)" = "$2" ]; then pass "$1"; else fail "$1" "log: want:" "$2" "got:" "$(logged)"; fi
}

# The stub callout: "register" prints $STUB_STATE/ops (nothing: everything),
# operations print their name; $STUB_STATE/fail_OP makes OP fail with its
# content as exit code.
CALLOUT_SNIPPET='op="$1"
if [ "$op" = register ]; then cat "$STUB_STATE/ops" 2>/dev/null; exit 0; fi
if [ -r "$STUB_STATE/fail_$op" ]; then echo "$op failed"; exit "$(cat "$STUB_STATE/fail_$op")"; fi
[ "$op" = start ] && echo "Starting $2: OK"
[ "$op" = monitor-list-shares ] && cat "$STUB_STATE/shares" 2>/dev/null
:'
# "start" is only run by restarts, in the background: it waits for the gate.
callout_stub() { gated_stub nfs-callout '[ "$1" = start ]' "$CALLOUT_SNIPPET"; }

# release DESC LOGLINE [N]: opens the gate, waits until LOGLINE is logged
# (N times), then closes the gate again.
release() {
  touch "$GATE"
  wait_for "$1" logged_line "$2" "${3:-1}"
  rm -f "$GATE"
}
# lines FILE LINE...: FILE holds the LINEs (none: empty).
lines() {
  local f="$1"
  shift
  if [ "$#" -gt 0 ]; then printf '%s\n' "$@" >"$f"; else : >"$f"; fi
}
callout_ops() { lines "$STUB_STATE/ops" "$@"; }
callout_fails() { echo "$2" >"$STUB_STATE/fail_$1"; }
shares() { lines "$STUB_STATE/shares" "$@"; }

# ctdb: this node is PNN 0 and hosts the addresses in $STUB_STATE/my_ips;
# tickles come from $STUB_STATE/tickles ("IP|CLIENT|CPORT|SERVER|SPORT");
# addtickle/deltickle log what they read.
ctdb_stub() {
  stub ctdb "${1:-}"'
case "$*" in
  pnn) echo 0 ;;
  "-X ip")
    echo "|Public IP|Node|"
    while read -r ip; do echo "|$ip|0|"; done <"$STUB_STATE/my_ips"
    echo "|10.0.0.9|1|"
    ;;
  "-X gettickles "*)
    echo "|Source IP|Port|Destiation IP|Port|"
    grep "^$3|" "$STUB_STATE/tickles" | cut -d"|" -f2- | sed "s/^/|/; s/\$/|/"
    ;;
  addtickle | deltickle) sed "s/^/  /" >>"$STUB_LOG" ;;
esac'
  : >"$STUB_STATE/tickles"
}
my_ips() { lines "$STUB_STATE/my_ips" "$@"; }

# rpcinfo: every program answers except those given to rpc_down.
stub rpcinfo 'prog="$4" ver="${5:-}"
if grep -qxF -- "$prog" "$STUB_STATE/rpc_down" 2>/dev/null; then
  echo "rpcinfo: RPC: Program not registered"
  echo "program $prog${ver:+ version $ver} is not available"
  exit 1
fi
echo "program $prog${ver:+ version $ver} ready and waiting"'
rpc_down() { lines "$STUB_STATE/rpc_down" "$@"; }

# Established connections ss reports ("LOCAL PEER" lines).
ss_conns() { lines "$STUB_STATE/conns" "$@"; }
stub ss 'cat "$STUB_STATE/conns" 2>/dev/null | while read -r l p; do echo "0      0      $l $p"; done'

stub statd-callout
stub systemctl; stub service; stub pkill; stub pgrep; stub exportfs; stub rpc.mountd; stub rpc.rquotad

# nfs_case: a managed case with the stub callout, no shares, no public
# addresses here and every RPC service up.
nfs_case() {
  new_case
  rm -rf "$CTDB_SCRIPT_VARDIR" "$GATE" "$STUB_STATE"/fail_* "$STUB_STATE/ops"
  sysconfig CTDB_MANAGES_NFS=yes CTDB_NFS_CALLOUT=nfs-callout "$@"
  callout_stub
  ctdb_stub
  my_ips
  shares
  rpc_down
  ss_conns
  stub statd-callout
  stub exportfs
}

# The calls of a monitor event in nfs_case before the RPC checks, and the checks.
MON_PRE="nfs-callout register
nfs-callout monitor-pre
nfs-callout monitor-list-shares
ctdb pnn
ctdb -X ip
statd-callout update"
RPC_ALL="rpcinfo -T tcp 127.0.0.1 portmapper
rpcinfo -T tcp 127.0.0.1 status 1
rpcinfo -T tcp 127.0.0.1 nfs 3
rpcinfo -T tcp 127.0.0.1 nlockmgr 4
rpcinfo -T tcp 127.0.0.1 mountd 1"

# --- not managed, configuration errors ----------------------------------------
new_case
check_quiet_events "$script" "unmanaged (unset), every event is a no-op" "${ALL_EVENTS[@]}"
sysconfig CTDB_MANAGES_NFS=no CTDB_NFS_CALLOUT=/nonexistent
check_quiet_events "$script" "CTDB_MANAGES_NFS=no, every event is a no-op" "${ALL_EVENTS[@]}"

new_case
sysconfig CTDB_MANAGES_NFS=maybe
run "$script" monitor
check "invalid CTDB_MANAGES_NFS fails with a clear message" 1 \
  "ERROR: CTDB_MANAGES_NFS='maybe' is not a yes/no value" ""

nfs_case
sysconfig CTDB_MANAGES_NFS=yes CTDB_NFS_CALLOUT="$TEST_TMP/no-such-callout"
for ev in startup monitor "takeip eth0 10.0.0.1 24"; do
  # shellcheck disable=SC2086
  run "$script" $ev
  check "missing callout: ${ev%% *} fails" 1 \
    "ERROR: NFS callout '$TEST_TMP/no-such-callout' not found or not executable (CTDB_NFS_CALLOUT)" ""
done
touch "$TEST_TMP/not-executable"
sysconfig CTDB_MANAGES_NFS=yes CTDB_NFS_CALLOUT="$TEST_TMP/not-executable"
run "$script" monitor
check "callout that is not executable: monitor fails" 1 \
  "ERROR: NFS callout '$TEST_TMP/not-executable' not found or not executable (CTDB_NFS_CALLOUT)" ""

nfs_case
check_quiet_events "$script" "managed, event not handled" "setup" "startrecovery" "recovered" \
  "updateip eth0 eth1 10.0.0.1 24"
run "$script" ipreallocated
check "managed: ipreallocated without a moved address does nothing" 0 "" ""

# --- init, startup, shutdown ----------------------------------------------------
nfs_case
mkdir -p "$STATE/statd-callout"
echo 3 >"$STATE/nfs.failcount"
run "$script" init
check "init: quiet, no command" 0 "" ""
check_true "init: removes the state directory" test ! -e "$STATE"

nfs_case
mkdir -p "$STATE"
echo 3 >"$STATE/nfs.failcount"
echo 1 >"$STATE/status.failcount"
run "$script" startup
check "startup: attaches ctdb.tdb and runs the callout's startup" 0 "" \
  "ctdb attach ctdb.tdb persistent
nfs-callout register
nfs-callout startup"
check_true "startup: fail counts are reset" test ! -e "$STATE/nfs.failcount" -a ! -e "$STATE/status.failcount"

nfs_case
stub ctdb 'echo "Failed to attach DB ctdb.tdb" >&2; exit 1'
run "$script" startup
check "startup: ctdb.tdb not attached fails (callout not run)" 1 \
  "ERROR: cannot attach the persistent database ctdb.tdb for NFS lock clients: Failed to attach DB ctdb.tdb" \
  "ctdb attach ctdb.tdb persistent"

nfs_case
callout_fails startup 3
run "$script" startup
check "startup: a failing callout fails with its exit code" 3 "startup failed
ERROR: NFS callout nfs-callout failed at startup (exit code 3)"

nfs_case
run "$script" shutdown
check "shutdown: runs the callout's shutdown" 0 "" "nfs-callout register
nfs-callout shutdown"
callout_fails shutdown 1
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown: a failing callout fails" 1 "shutdown failed
ERROR: NFS callout nfs-callout failed at shutdown (exit code 1)"

nfs_case
callout_ops monitor-pre monitor-post
run "$script" startup
check "startup: an operation the callout does not register is not run" 0 "" \
  "ctdb attach ctdb.tdb persistent
nfs-callout register"

nfs_case
stub nfs-callout '[ "$1" = register ] && exit 0
printf "%s\n" "$CTDB_BASE" "$CTDB_NFS_CALLOUT" "$CTDB_NFS_CALLOUT_STATE_DIR" \
  "${CTDB_NFS_STATE_FS_TYPE-unset}" "${CTDB_NFS_STATE_MNT-unset}" >"$STUB_STATE/env"'
sysconfig CTDB_MANAGES_NFS=yes CTDB_NFS_CALLOUT=nfs-callout CTDB_NFS_STATE_FS_TYPE=gpfs \
  CTDB_NFS_STATE_MNT=/gpfs/.nfs
run "$script" shutdown
# shellcheck disable=SC2034 # OUT is what check compares
OUT=$(cat "$STUB_STATE/env")
check "the callout gets CTDB_BASE, the callout, its state directory and the shared state settings" 0 \
  "$CTDB_BASE
nfs-callout
$STATE/callout-state
gpfs
/gpfs/.nfs"

# --- takeip, releaseip, ipreallocated ------------------------------------------------
nfs_case
run "$script" takeip eth0 10.0.0.1 24
check "takeip: runs the callout's takeip" 0 "" "nfs-callout register
nfs-callout takeip eth0 10.0.0.1 24"
check_true "takeip: NFS needs reconfiguring" test -e "$STATE/need_reconfigure"
: >"$STUB_LOG"
run "$script" monitor
check "takeip then monitor: no reconfiguring at monitor" 0 "" "*"
check_true "takeip then monitor: still needs reconfiguring" test -e "$STATE/need_reconfigure"
gated_stub statd-callout true 'echo "notified 2 clients"'
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated after takeip: reconfigures, statd-callout notify in the background" 0 \
  'Reconfiguring service "nfs"...' ""
check_true "ipreallocated: the flag is cleared" test ! -e "$STATE/need_reconfigure"
touch "$GATE"
wait_for "ipreallocated: statd-callout notify ran and its output is logged" \
  logged_line "60.nfs: statd-callout notify: notified 2 clients"
check "ipreallocated: statd-callout notify is the only command" 0 "*" "statd-callout notify"
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated again: nothing left to do" 0 "" ""

nfs_case
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: runs the callout's releaseip" 0 "" "nfs-callout register
nfs-callout releaseip eth0 10.0.0.1 24"
stub statd-callout 'echo "ptrans failed" >&2; exit 1'
run "$script" ipreallocated
check "ipreallocated after releaseip: reconfigures" 0 'Reconfiguring service "nfs"...'
wait_for "a failing statd-callout notify is logged with its exit code" \
  logged_line "60.nfs: statd-callout notify: failed (exit code 1)"
check_log "the failing notify's output and status are logged" \
  "60.nfs: statd-callout notify: ptrans failed
60.nfs: statd-callout notify: failed (exit code 1)"

nfs_case
callout_fails takeip 2
run "$script" takeip eth0 10.0.0.1 24
check "takeip: a failing callout fails with its exit code" 2 "takeip failed
ERROR: NFS callout nfs-callout failed at takeip (exit code 2)"
check_true "takeip failed: no reconfiguring" test ! -e "$STATE/need_reconfigure"
callout_fails releaseip 1
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: a failing callout fails" 1 "releaseip failed
ERROR: NFS callout nfs-callout failed at releaseip (exit code 1)"

nfs_case
callout_ops startup shutdown
run "$script" takeip eth0 10.0.0.1 24
check "takeip: a callout without takeip is not run for it, but NFS is reconfigured" 0 "" \
  "nfs-callout register"
check_true "takeip without callout op: NFS needs reconfiguring" test -e "$STATE/need_reconfigure"

nfs_case
run "$script" takeip eth0 10.0.0.300 24
check "takeip: a bad address fails before anything runs" 1 \
  "ERROR: takeip: '10.0.0.300' is not an IPv4 or IPv6 address" ""
run "$script" releaseip eth0 10.0.0.1
check "releaseip: missing mask bits" 1 \
  "ERROR: releaseip expects IFACE IP MASKBITS, got 2 argument(s): eth0 10.0.0.1" ""

nfs_case
rm -f "$CTDB_BASE/statd-callout"
run "$script" takeip eth0 10.0.0.1 24
run "$script" ipreallocated
check "ipreallocated without statd-callout: reconfigures" 0 'Reconfiguring service "nfs"...'
check_log "ipreallocated without statd-callout: the missing notification is logged" \
  "60.nfs: WARNING: $CTDB_BASE/statd-callout is missing: NFS lock clients are not notified"
: >"$STUB_LOG"
run "$script" monitor
check "monitor without statd-callout: no update, still healthy" 0 "" "$(grep -v statd-callout <<<"$MON_PRE")
$RPC_ALL
nfs-callout monitor-post"
ln -s "$STUBS/statd-callout" "$CTDB_BASE/statd-callout"

# --- monitor: callout hooks, shares -----------------------------------------------------
nfs_case
run "$script" monitor
check "monitor: everything up" 0 "" "$MON_PRE
$RPC_ALL
nfs-callout monitor-post"
check_log "monitor: everything up logs nothing" ""

nfs_case
callout_fails monitor-pre 1
run "$script" monitor
check "monitor: a failing monitor-pre fails at once" 1 "monitor-pre failed
ERROR: NFS callout nfs-callout failed at monitor-pre (exit code 1)" "nfs-callout register
nfs-callout monitor-pre"

nfs_case
callout_fails monitor-post 4
run "$script" monitor
check "monitor: a failing monitor-post fails" 4 "monitor-post failed
ERROR: NFS callout nfs-callout failed at monitor-post (exit code 4)" "$MON_PRE
$RPC_ALL
nfs-callout monitor-post"

nfs_case
mkdir -p "$TEST_TMP/exports/a" "$TEST_TMP/exports/b c"
shares "$TEST_TMP/exports/a" "$TEST_TMP/exports/b c" "/srv/%u"
run "$script" monitor
check "monitor: every exported directory exists (% entries skipped)" 0 "" "*"
shares "$TEST_TMP/exports/a" "$TEST_TMP/exports/gone" "$TEST_TMP/exports/b c"
: >"$STUB_LOG"
run "$script" monitor
check "monitor: a missing exported directory makes the node unhealthy" 1 \
  "ERROR: nfs directory \"$TEST_TMP/exports/gone\" not available" "nfs-callout register
nfs-callout monitor-pre
nfs-callout monitor-list-shares"
callout_fails monitor-list-shares 1
: >"$STUB_LOG"
run "$script" monitor
check "monitor: the callout failing to list the shares fails" 1 "monitor-list-shares failed
ERROR: NFS callout nfs-callout failed at monitor-list-shares (exit code 1)" "nfs-callout register
nfs-callout monitor-pre
nfs-callout monitor-list-shares"

nfs_case CTDB_NFS_SKIP_SHARE_CHECK=yes
shares "$TEST_TMP/exports/gone"
run "$script" monitor
check "monitor: CTDB_NFS_SKIP_SHARE_CHECK=yes does not list the shares" 0 "" \
  "$(grep -v monitor-list-shares <<<"$MON_PRE")
$RPC_ALL
nfs-callout monitor-post"
nfs_case CTDB_NFS_SKIP_SHARE_CHECK=perhaps
run "$script" monitor
check "monitor: invalid CTDB_NFS_SKIP_SHARE_CHECK" 1 \
  "ERROR: CTDB_NFS_SKIP_SHARE_CHECK='perhaps' is not a yes/no value" "nfs-callout register
nfs-callout monitor-pre"

# --- monitor: tickles and lock clients -------------------------------------------------
nfs_case
my_ips 10.0.0.1 fd00::1
ss_conns "10.0.0.1:2049 10.1.0.5:901" "10.0.0.1:2049 10.1.0.6:902" "[fd00::1]:2049 [fd00::77]:777"
printf '%s\n' "10.0.0.1|10.1.0.5|901|10.0.0.1|2049" "10.0.0.1|10.1.0.4|900|10.0.0.1|2049" \
  >"$STUB_STATE/tickles"
run "$script" monitor
check "monitor: tickles added for new NFS connections, removed for gone ones" 0 "" \
  "nfs-callout register
nfs-callout monitor-pre
nfs-callout monitor-list-shares
ctdb pnn
ctdb -X ip
ss -t -n -H state established ( src 10.0.0.1 or src [fd00::1] ) ( sport = :2049 )
ctdb -X gettickles 10.0.0.1 2049
ctdb -X gettickles fd00::1 2049
ctdb addtickle
  10.1.0.6:902 10.0.0.1:2049
  fd00::77:777 fd00::1:2049
ctdb deltickle
  10.1.0.4:900 10.0.0.1:2049
statd-callout update
$RPC_ALL
nfs-callout monitor-post"

nfs_case
my_ips 10.0.0.1
ss_conns "10.0.0.1:2049 10.1.0.5:901"
echo "10.0.0.1|10.1.0.5|901|10.0.0.1|2049" >"$STUB_STATE/tickles"
run "$script" monitor
check "monitor: tickles already up to date: no addtickle/deltickle" 0 "" "nfs-callout register
nfs-callout monitor-pre
nfs-callout monitor-list-shares
ctdb pnn
ctdb -X ip
ss -t -n -H state established ( src 10.0.0.1 ) ( sport = :2049 )
ctdb -X gettickles 10.0.0.1 2049
statd-callout update
$RPC_ALL
nfs-callout monitor-post"

nfs_case
my_ips 10.0.0.1
ss_conns "10.0.0.1:2049 10.1.0.5:901"
ctdb_stub '[ "$1" = addtickle ] && { echo "Failed to add 1 tickles" >&2; exit 1; }'
run "$script" monitor
check "monitor: addtickle failing is only logged" 0 ""
check_log "monitor: the addtickle failure is logged" \
  "60.nfs: WARNING: 'ctdb addtickle' failed: Failed to add 1 tickles"

nfs_case
ctdb_stub '[ "$*" = "-X ip" ] && { echo "connection to daemon failed" >&2; exit 1; }'
run "$script" monitor
check "monitor: ctdb -X ip failing: tickles not updated, still healthy" 0 "" "nfs-callout register
nfs-callout monitor-pre
nfs-callout monitor-list-shares
ctdb pnn
ctdb -X ip
statd-callout update
$RPC_ALL
nfs-callout monitor-post"
check_log "monitor: the tickle failure is logged" \
  "60.nfs: WARNING: NFS tickles not updated: connection to daemon failed"

nfs_case
ctdb_stub '[ "$1" = pnn ] && { echo "Failed to get pnn" >&2; exit 1; }'
run "$script" monitor
check "monitor: ctdb pnn failing: tickles not updated" 0 "" "*"
check_log "monitor: the pnn failure is logged" \
  "60.nfs: WARNING: NFS tickles not updated: 'ctdb pnn' failed: Failed to get pnn"

nfs_case
my_ips 10.0.0.1
ctdb_stub '[ "$2" = gettickles ] && { echo "Failed to get list of connections" >&2; exit 1; }'
run "$script" monitor
check "monitor: gettickles failing is only logged" 0 ""
check_log "monitor: the gettickles failure is logged" \
  "60.nfs: WARNING: NFS tickles not updated: 'ctdb -X gettickles 10.0.0.1 2049' failed: Failed to get list of connections"

nfs_case
stub statd-callout 'echo "ERROR: NFS_HOSTNAME is not configured"; exit 1'
run "$script" monitor
check "monitor: statd-callout update failing keeps the node healthy" 0 "" "$MON_PRE
$RPC_ALL
nfs-callout monitor-post"
check_log "monitor: the update failure is logged" \
  "60.nfs: WARNING: statd-callout update failed: ERROR: NFS_HOSTNAME is not configured"

# --- monitor: RPC checks, fail counts, restarts (shipped check files) ------------------
nfs_case
rpc_down portmapper
run "$script" monitor
check "monitor: rpcbind down makes the node unhealthy at once, later checks skipped" 1 \
  "ERROR: portmapper failed RPC check:
rpcinfo: RPC: Program not registered
program portmapper is not available" "$MON_PRE
rpcinfo -T tcp 127.0.0.1 portmapper"

# nfs: unhealthy after 2 failures, restarted at every 10th.
nfs_case
rpc_down nfs
stub pgrep '[ "$2" = nfsd ] && printf "%s\n" 1001 1002 1003'
mkdir -p "$CTDB_PROC_DIR/1001" "$CTDB_PROC_DIR/1003"
printf '%s\n' "[<0>] nfsd_svc" "[<0>] kthread" >"$CTDB_PROC_DIR/1001/stack"
echo "[<0>] nfsd_svc" >"$CTDB_PROC_DIR/1003/stack"
run "$script" monitor
check "nfs down once: still healthy" 0 "" "$MON_PRE
rpcinfo -T tcp 127.0.0.1 portmapper
rpcinfo -T tcp 127.0.0.1 status 1
rpcinfo -T tcp 127.0.0.1 nfs 3
rpcinfo -T tcp 127.0.0.1 nlockmgr 4
rpcinfo -T tcp 127.0.0.1 mountd 1
nfs-callout monitor-post"
check_log "nfs down once: the failure is logged" \
  "60.nfs: WARNING: nfs check failed 1 time(s) in a row: nfs failed RPC check: / rpcinfo: RPC: Program not registered / program nfs version 3 is not available"
NFS_ERR="ERROR: nfs failed RPC check:
rpcinfo: RPC: Program not registered
program nfs version 3 is not available"
NFS_FAIL_CALLS="$MON_PRE
rpcinfo -T tcp 127.0.0.1 portmapper
rpcinfo -T tcp 127.0.0.1 status 1
rpcinfo -T tcp 127.0.0.1 nfs 3"
for i in 2 3 4 5 6 7 8 9; do
  : >"$STUB_LOG"
  run "$script" monitor
  check "nfs down $i times: unhealthy, no restart yet" 1 "$NFS_ERR" "$NFS_FAIL_CALLS"
done
check_true "nfs down 9 times: the count is kept" test "$(cat "$STATE/nfs.failcount")" = 9
: >"$STUB_LOG"
run "$script" monitor
check "nfs down 10 times: unhealthy, restarted (stop, stack traces; start in the background)" 1 \
  "$NFS_ERR
Trying to restart service \"nfs\"...
Stack trace for nfsd[1001]:
[<0>] nfsd_svc
[<0>] kthread
Stack trace for nfsd[1003]:
[<0>] nfsd_svc" "$NFS_FAIL_CALLS
nfs-callout stop nfs
pgrep -x nfsd"
touch "$GATE"
wait_for "nfs restart: the start's output is logged" logged_line "60.nfs: restart of nfs: Starting nfs: OK"
check "nfs restart: the start ran after the event" 1 "*" "$NFS_FAIL_CALLS
nfs-callout stop nfs
pgrep -x nfsd
nfs-callout start nfs"
rpc_down
rm -f "$GATE"
: >"$STUB_LOG"
run "$script" monitor
check "nfs back: healthy again" 0 "" "$MON_PRE
$RPC_ALL
nfs-callout monitor-post"
check_true "nfs back: the fail count is reset" test ! -e "$STATE/nfs.failcount"

# status: restarted at every 2nd failure, unhealthy after 6; a restart
# below the threshold is logged, not shown.
nfs_case
rpc_down status
stub pgrep
callout_fails stop 1
STATUS_ERR="status failed RPC check:
rpcinfo: RPC: Program not registered
program status version 1 is not available"
run "$script" monitor
check "status down once: healthy" 0 "" "*"
: >"$STUB_LOG"
: >"$CTDB_LOGFILE"
run "$script" monitor
check "status down twice: healthy, restarted (start not yet run)" 0 "" "$MON_PRE
rpcinfo -T tcp 127.0.0.1 portmapper
rpcinfo -T tcp 127.0.0.1 status 1
nfs-callout stop status
pgrep -x rpc.statd
rpcinfo -T tcp 127.0.0.1 nfs 3
rpcinfo -T tcp 127.0.0.1 nlockmgr 4
rpcinfo -T tcp 127.0.0.1 mountd 1
nfs-callout monitor-post"
release "status restart: the start's output is logged" "60.nfs: restart of status: Starting status: OK"
check_log "status restart below the threshold: logged (the stop's failure too)" \
  "60.nfs: WARNING: status check failed 2 time(s) in a row: ${STATUS_ERR//$'\n'/ / }
60.nfs: Trying to restart service \"status\"...
60.nfs: stop failed
60.nfs: restart of status: Starting status: OK"
touch "$GATE"
for i in 3 4 5; do run "$script" monitor; done
check "status down 5 times: still healthy" 0 ""
release "status down 4 times: restarted again" "60.nfs: restart of status: Starting status: OK" 2
: >"$STUB_LOG"
run "$script" monitor
check "status down 6 times: unhealthy and restarted" 1 "ERROR: $STATUS_ERR
Trying to restart service \"status\"...
stop failed" "$MON_PRE
rpcinfo -T tcp 127.0.0.1 portmapper
rpcinfo -T tcp 127.0.0.1 status 1
nfs-callout stop status
pgrep -x rpc.statd"
release "status restart at 6: done" "60.nfs: restart of status: Starting status: OK" 3
check "status restart at 6: the start ran after the event" 1 "*" "$MON_PRE
rpcinfo -T tcp 127.0.0.1 portmapper
rpcinfo -T tcp 127.0.0.1 status 1
nfs-callout stop status
pgrep -x rpc.statd
nfs-callout start status"

nfs_case
rpc_down nlockmgr
touch "$GATE"
run "$script" monitor
run "$script" monitor
check "nlockmgr down twice: healthy, restarted (no debug command)" 0 "" "*"
wait_for "nlockmgr restart: start nlockmgr" logged_line "60.nfs: restart of nlockmgr: Starting nlockmgr: OK"
check_true "nlockmgr restart: stopped first, no stack traces" \
  grep -qxF "nfs-callout stop nlockmgr" "$STUB_LOG"
check_true "nlockmgr restart: no pgrep" test "$(grep -c pgrep "$STUB_LOG")" = 0

nfs_case
rpc_down mountd
callout_fails start 1
touch "$GATE"
run "$script" monitor
run "$script" monitor
check "mountd down twice: healthy, restarted" 0 ""
wait_for "mountd restart: a failing start is logged" \
  logged_line "60.nfs: restart of mountd: failed (exit code 1)"
check_true "mountd restart: its output is logged" logged_line "60.nfs: restart of mountd: start failed"

# The state directory cannot be written (a file in its place).
nfs_case
rpc_down nfs
mkdir -p "$CTDB_SCRIPT_VARDIR"
touch "$STATE"
run "$script" monitor
check "monitor: a fail count that cannot be kept fails" 1 \
  "ERROR: cannot record the fail count of nfs in $STATE/nfs.failcount" "*"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: the reconfigure flag cannot be set" 1 \
  "ERROR: cannot create $STATE/need_reconfigure: NFS lock clients would not be notified" "*"
rm -f "$STATE"

# --- monitor: check files of one's own (CTDB_NFS_CHECKS_DIR) ----------------------------
CHECKS="$TEST_TMP/checks"
checks() { rm -rf "$CHECKS"; mkdir -p "$CHECKS"; }
check_file() { printf '%s\n' "${@:2}" >"$CHECKS/$1"; }

nfs_case "CTDB_NFS_CHECKS_DIR=$CHECKS" CTDB_RPCINFO_LOCALHOST=192.168.1.1 CTDB_RPCINFO_LOCALHOST6=fd00::10
checks
check_file 10.nfs.check "# comment" "" '  family="tcp udp6"  ' "version='3 4'"
check_file 10.nfs.check~ "bogus=1"
check_file 20.mountd.check.disabled "bogus=1"
check_file README "Not a check"
check_file 30.rquotad.check "family=udp"
run "$script" monitor
check "checks dir: families and versions, backups/disabled/README ignored, CTDB_RPCINFO_LOCALHOST(6)" 0 "" \
  "$MON_PRE
rpcinfo -T tcp 192.168.1.1 nfs 3
rpcinfo -T tcp 192.168.1.1 nfs 4
rpcinfo -T udp6 fd00::10 nfs 3
rpcinfo -T udp6 fd00::10 nfs 4
rpcinfo -T udp 192.168.1.1 rquotad
nfs-callout monitor-post"

rpc_down rquotad
: >"$STUB_LOG"
run "$script" monitor
check "checks dir: the first failing transport/version ends the service's check" 1 \
  "ERROR: rquotad failed RPC check:
rpcinfo: RPC: Program not registered
program rquotad is not available" "$MON_PRE
rpcinfo -T tcp 192.168.1.1 nfs 3
rpcinfo -T tcp 192.168.1.1 nfs 4
rpcinfo -T udp6 fd00::10 nfs 3
rpcinfo -T udp6 fd00::10 nfs 4
rpcinfo -T udp 192.168.1.1 rquotad"
check_file 30.rquotad.check "family='udp tcp'" "version='1 2'"
: >"$STUB_LOG"
run "$script" monitor
check "checks dir: several families and versions, stops at the first failure" 1 \
  "ERROR: rquotad failed RPC check:
rpcinfo: RPC: Program not registered
program rquotad version 1 is not available" "$MON_PRE
rpcinfo -T tcp 192.168.1.1 nfs 3
rpcinfo -T tcp 192.168.1.1 nfs 4
rpcinfo -T udp6 fd00::10 nfs 3
rpcinfo -T udp6 fd00::10 nfs 4
rpcinfo -T udp 192.168.1.1 rquotad 1"

nfs_case "CTDB_NFS_CHECKS_DIR=$CHECKS"
checks
check_file 10.statd.check 'service_check_cmd="checker $CTDB_NFS_CALLOUT statd"' unhealthy_after=2 \
  restart_every=1 'service_stop_cmd="$CTDB_NFS_CALLOUT stop status; echo stopped"' \
  "service_start_cmd='\$CTDB_NFS_CALLOUT start status'" "service_debug_cmd=echo debugging"
stub checker
run "$script" monitor
check "service_check_cmd instead of rpcinfo, variables expanded" 0 "" "$MON_PRE
checker nfs-callout statd
nfs-callout monitor-post"
stub checker 'echo "statd is not answering"; exit 1'
: >"$STUB_LOG"
run "$script" monitor
check "service_check_cmd failing once: restarted (restart_every=1), healthy" 0 "" "$MON_PRE
checker nfs-callout statd
nfs-callout stop status
nfs-callout monitor-post"
release "service_check_cmd restart: started" "60.nfs: restart of statd: Starting status: OK"
check_log "service_check_cmd: failure, restart, stop and debug output logged" \
  '60.nfs: WARNING: statd check failed 1 time(s) in a row: monitoring service "statd" failed / statd is not answering
60.nfs: Trying to restart service "statd"...
60.nfs: stopped
60.nfs: debugging
60.nfs: restart of statd: Starting status: OK'
rm -f "$CTDB_LOGFILE"
: >"$STUB_LOG"
run "$script" monitor
check "service_check_cmd failing twice: unhealthy, with the command's output" 1 \
  'ERROR: monitoring service "statd" failed
statd is not answering
Trying to restart service "statd"...
stopped
debugging' "$MON_PRE
checker nfs-callout statd
nfs-callout stop status"
release "restart at the 2nd failure: started" "60.nfs: restart of statd: Starting status: OK"

nfs_case "CTDB_NFS_CHECKS_DIR=$CHECKS"
checks
check_file 10.nfs.check unhealthy_after=0 version=3
rpc_down nfs
for i in 1 2 3; do run "$script" monitor; done
check "unhealthy_after=0: never unhealthy" 0 ""
check_true "unhealthy_after=0: each failure is logged" \
  test "$(logged | grep -c 'WARNING: nfs check failed')" = 3

bad_check() {
  local desc="$1" want="$2"
  shift 2
  nfs_case "CTDB_NFS_CHECKS_DIR=$CHECKS"
  checks
  check_file 10.nfs.check "$@"
  run "$script" monitor
  check "bad check file: $desc" 1 "$want" "$MON_PRE"
}
bad_check "unknown variable" "ERROR: Unknown variable for nfs in $CHECKS/10.nfs.check: restart_evrey=2" \
  version=3 restart_evrey=2
bad_check "unhealthy_after not a number" \
  "ERROR: $CHECKS/10.nfs.check: unhealthy_after 'two' is not a number" unhealthy_after=two
bad_check "restart_every not a number" \
  "ERROR: $CHECKS/10.nfs.check: restart_every '-1' is not a number" restart_every=-1
bad_check "restart_every without commands" \
  "ERROR: $CHECKS/10.nfs.check: restart_every needs service_stop_cmd and service_start_cmd" \
  restart_every=2 'service_stop_cmd="x"'
bad_check "bad family" \
  "ERROR: $CHECKS/10.nfs.check: family 'tcp sctp' is not a list of tcp, udp, tcp6, udp6" 'family="tcp sctp"'
bad_check "bad version" "ERROR: $CHECKS/10.nfs.check: version '3;4' is not a list of numbers" 'version=3;4'

nfs_case "CTDB_NFS_CHECKS_DIR=$TEST_TMP/no-checks"
run "$script" monitor
check "CTDB_NFS_CHECKS_DIR missing" 1 \
  "ERROR: NFS checks directory $TEST_TMP/no-checks does not exist (CTDB_NFS_CHECKS_DIR)" "$MON_PRE"

nfs_case "CTDB_NFS_CHECKS_DIR=$CHECKS"
checks
mkdir "$CHECKS/10.nfs.check"
run "$script" monitor
check "a check file that cannot be read" 1 "ERROR: cannot read NFS check file $CHECKS/10.nfs.check" \
  "$MON_PRE"
rm -r "$CHECKS/10.nfs.check"
ln -s "$TEST_TMP/nowhere" "$CHECKS/10.nfs.check"
run "$script" monitor
check "a check file that is a dangling link is skipped" 0 "" "*"

# --- with the real callout (CTDB_NFS_CALLOUT unset) ---------------------------------------
real_case() {
  nfs_case
  sysconfig CTDB_MANAGES_NFS=yes
  systemd_running
}

real_case
run "$script" startup
check "real callout: startup stops, then starts rpcbind, rpc-statd, nfs-server" 0 "" \
  "ctdb attach ctdb.tdb persistent
systemctl stop nfs-server
systemctl stop rpc-statd
systemctl start rpcbind
systemctl start rpc-statd
systemctl start nfs-server"
: >"$STUB_LOG"
run "$script" shutdown
check "real callout: shutdown stops nfs-server and rpc-statd" 0 "" "systemctl stop nfs-server
systemctl stop rpc-statd"

real_case
stub exportfs "printf '%s\n' '$TEST_TMP/exports/a	10.0.0.0/24(rw,sync)'"
mkdir -p "$TEST_TMP/exports/a"
run "$script" monitor
check "real callout: monitor" 0 "" "exportfs -v
ctdb pnn
ctdb -X ip
statd-callout update
$RPC_ALL"
stub exportfs "printf '%s\n' '$TEST_TMP/exports/gone	10.0.0.0/24(rw,sync)'"
: >"$STUB_LOG"
run "$script" monitor
check "real callout: a missing export" 1 "ERROR: nfs directory \"$TEST_TMP/exports/gone\" not available" \
  "exportfs -v"

real_case
rpc_down nfs
mkdir -p "$STATE"
echo 9 >"$STATE/nfs.failcount"
gated_stub systemctl '[ "$1" = start ]'
: >"$STUB_LOG"
run "$script" monitor
check "real callout: nfs down 10 times: stop (threads to 0, services, nfsd killed), restart in the background" 1 \
  "$NFS_ERR
Trying to restart service \"nfs\"..." "exportfs -v
ctdb pnn
ctdb -X ip
statd-callout update
rpcinfo -T tcp 127.0.0.1 portmapper
rpcinfo -T tcp 127.0.0.1 status 1
rpcinfo -T tcp 127.0.0.1 nfs 3
systemctl stop nfs-server
systemctl stop rpc-statd
pkill -9 -x nfsd
pgrep -x nfsd"
touch "$GATE"
wait_for "real callout restart: the services are started again" called "systemctl start nfs-server"
check "real callout restart: the stop's services, then the start's" 1 "*" "exportfs -v
ctdb pnn
ctdb -X ip
statd-callout update
rpcinfo -T tcp 127.0.0.1 portmapper
rpcinfo -T tcp 127.0.0.1 status 1
rpcinfo -T tcp 127.0.0.1 nfs 3
systemctl stop nfs-server
systemctl stop rpc-statd
pkill -9 -x nfsd
pgrep -x nfsd
systemctl start rpc-statd
systemctl start nfs-server"
stub systemctl

# --- the kernel callout's operations ---------------------------------------------------------
# ccase [SYSCONFIG...]: the callout run by hand (CTDB_BASE from the environment).
ccase() {
  new_case
  sysconfig "$@"
  stub systemctl; stub service; stub pkill; stub exportfs; stub rpc.mountd; stub rpc.rquotad
  unstub nfsconf
}

ccase
run "$callout" register
check "callout register: the operations it handles" 0 "startup
shutdown
stop
start
monitor-list-shares
monitor-post
releaseip" ""
for op in monitor-pre "takeip eth0 10.0.0.1 24" "takeip-pre eth0 10.0.0.1 24" "releaseip-pre eth0 10.0.0.1 24"; do
  # shellcheck disable=SC2086
  run "$callout" $op
  check "callout ${op%% *}: nothing to do" 0 "" ""
done
USAGE="usage: nfs-linux-kernel-callout startup | shutdown | register
       nfs-linux-kernel-callout stop | start  nfs | nlockmgr | status | mountd | rquotad
       nfs-linux-kernel-callout monitor-list-shares | monitor-post
       nfs-linux-kernel-callout releaseip IFACE IP MASKBITS"
run "$callout" restart
check "callout: unknown operation" 1 "$USAGE" ""
run "$callout" stop portmapper
check "callout stop: unknown service" 1 "$USAGE" ""
run "$callout" start
check "callout start: no service" 1 "$USAGE" ""

ccase
run "$callout" startup
check "callout startup without systemd: Debian's init scripts through service(8)" 0 "" \
  "service nfs-kernel-server stop
service nfs-common stop
service rpcbind start
service nfs-common start
service nfs-kernel-server start"
mkdir -p "$CTDB_SYS_ETCDIR/init.d"
printf '#!/bin/bash\necho "init.d/nfs-kernel-server $*" >>"$STUB_LOG"\n' >"$CTDB_SYS_ETCDIR/init.d/nfs-kernel-server"
chmod +x "$CTDB_SYS_ETCDIR/init.d/nfs-kernel-server"
: >"$STUB_LOG"
run "$callout" shutdown
check "callout shutdown without systemd: /etc/init.d script when present" 0 "" \
  "init.d/nfs-kernel-server stop
service nfs-common stop"

ccase CTDB_SERVICE_NFS=nfs CTDB_SERVICE_NFS_STATD=nfslock CTDB_SERVICE_RQUOTAD=quotarpc
systemd_running
run "$callout" startup
check "callout startup: CTDB_SERVICE_NFS/NFS_STATD/RQUOTAD name the services" 0 "" \
  "systemctl stop quotarpc
systemctl stop nfs
systemctl stop nfslock
systemctl start rpcbind
systemctl start nfslock
systemctl start nfs
systemctl start quotarpc"
: >"$STUB_LOG"
run "$callout" shutdown
check "callout shutdown: rquotad, nfs, statd" 0 "" "systemctl stop quotarpc
systemctl stop nfs
systemctl stop nfslock"

ccase
systemd_running
stub systemctl '[ "$1 $2" = "start nfs-server" ] && { echo "Job for nfs-server.service failed."; exit 1; }
[ "$1" = stop ] && { echo "not loaded"; exit 5; }; :'
run "$callout" startup
check "callout startup: nfs-server failing to start fails (the stop's failures do not)" 1 \
  "Job for nfs-server.service failed.
ERROR: failed to start service nfs-server (exit code 1)" "systemctl stop nfs-server
systemctl stop rpc-statd
systemctl start rpcbind
systemctl start rpc-statd
systemctl start nfs-server"
: >"$STUB_LOG"
run "$callout" shutdown
check "callout shutdown: every service is tried, a failure fails" 1 "not loaded
ERROR: failed to stop service nfs-server (exit code 5)
not loaded
ERROR: failed to stop service rpc-statd (exit code 5)" "systemctl stop nfs-server
systemctl stop rpc-statd"
stub systemctl '[ "$2" = rpcbind ] && { echo "Unit rpcbind.service not found."; exit 5; }; :'
: >"$STUB_LOG"
run "$callout" startup
check "callout startup: rpcbind failing to start fails" 1 "Unit rpcbind.service not found.
ERROR: failed to start service rpcbind (exit code 5)" "systemctl stop nfs-server
systemctl stop rpc-statd
systemctl start rpcbind"

ccase
systemd_running
mkdir -p "$CTDB_PROC_DIR/fs/nfsd"
echo 8 >"$CTDB_PROC_DIR/fs/nfsd/threads"
stub systemctl 'echo "failing"; exit 1'
stub pkill 'exit 1'
run "$callout" stop nfs
check "callout stop nfs: threads to 0, services stopped (failures ignored), nfsd killed" 0 "" \
  "systemctl stop nfs-server
systemctl stop rpc-statd
pkill -9 -x nfsd"
check_true "callout stop nfs: nfsd told to run no thread" test "$(cat "$CTDB_PROC_DIR/fs/nfsd/threads")" = 0
stub systemctl
: >"$STUB_LOG"
run "$callout" start nfs
check "callout start nfs: rpc-statd, nfs-server" 0 "" "systemctl start rpc-statd
systemctl start nfs-server"

ccase
systemd_running
for svc in "nlockmgr rpc-statd" "status rpc-statd" "mountd nfs-mountd"; do
  : >"$STUB_LOG"
  run "$callout" stop "${svc% *}"
  check "callout stop ${svc% *} (systemd): ${svc#* }" 0 "" "systemctl stop ${svc#* }"
  : >"$STUB_LOG"
  run "$callout" start "${svc% *}"
  check "callout start ${svc% *} (systemd): ${svc#* }" 0 "" "systemctl start ${svc#* }"
done
stub systemctl 'echo "Failed to stop rpc-statd.service"; exit 1'
: >"$STUB_LOG"
run "$callout" stop nlockmgr
check "callout stop nlockmgr: a failure is ignored" 0 "" "systemctl stop rpc-statd"
: >"$STUB_LOG"
run "$callout" start nlockmgr
check "callout start nlockmgr: a failure fails" 1 "Failed to stop rpc-statd.service
ERROR: failed to start service rpc-statd (exit code 1)" "systemctl start rpc-statd"
: >"$STUB_LOG"
run "$callout" stop status
check "callout stop status: a failure fails" 1 "Failed to stop rpc-statd.service
ERROR: failed to stop service rpc-statd (exit code 1)" "systemctl stop rpc-statd"

ccase
mkdir -p "$CTDB_SYS_ETCDIR/default"
echo 'RPCMOUNTDOPTS="--manage-gids -p 32767"' >"$CTDB_SYS_ETCDIR/default/nfs-kernel-server"
echo 'RPCRQUOTADOPTS="-p 32769"' >"$CTDB_SYS_ETCDIR/default/quota"
run "$callout" stop nlockmgr
check "callout stop nlockmgr (init scripts): nfs-kernel-server" 0 "" "service nfs-kernel-server stop"
: >"$STUB_LOG"
run "$callout" start status
check "callout start status (init scripts): nfs-common" 0 "" "service nfs-common start"
: >"$STUB_LOG"
run "$callout" stop mountd
check "callout stop mountd (init scripts): killed" 0 "" "pkill -9 -x rpc.mountd"
: >"$STUB_LOG"
run "$callout" start mountd
check "callout start mountd (init scripts): run with RPCMOUNTDOPTS" 0 "" \
  "rpc.mountd --manage-gids -p 32767"
: >"$STUB_LOG"
run "$callout" stop rquotad
check "callout stop rquotad (no service): killed" 0 "" "pkill -9 -x rpc.rquotad"
: >"$STUB_LOG"
run "$callout" start rquotad
check "callout start rquotad (no service): run with RPCRQUOTADOPTS" 0 "" "rpc.rquotad -p 32769"
stub rpc.rquotad 'echo "cannot bind"; exit 1'
: >"$STUB_LOG"
run "$callout" start rquotad
check "callout start rquotad: failing" 1 "cannot bind
ERROR: failed to start rpc.rquotad (exit code 1)" "rpc.rquotad -p 32769"
rm -f "$CTDB_SYS_ETCDIR/default/quota"
stub rpc.rquotad
: >"$STUB_LOG"
run "$callout" start rquotad
check "callout start rquotad: no /etc/default/quota, no options" 0 "" "rpc.rquotad"
sysconfig CTDB_SERVICE_RQUOTAD=quotarpc
: >"$STUB_LOG"
run "$callout" start rquotad
check "callout start rquotad: CTDB_SERVICE_RQUOTAD" 0 "" "service quotarpc start"

# monitor-list-shares
ccase
stub exportfs "cat <<'EOF'
/srv/home     	10.0.0.0/24(sync,wdelay,hide,no_subtree_check,sec=sys,rw,secure,root_squash)
/srv/home     	10.1.0.0/24(sync,wdelay,hide,no_subtree_check,sec=sys,ro,secure,root_squash)
/srv/a/very/long/path/that/does/not/fit
		<world>(sync,wdelay,hide,no_subtree_check,sec=sys,ro,secure,root_squash)
/srv/with\\040space	host.example.com(rw)
/srv/pub      	<world>(ro)
EOF
echo 'exportfs: /etc/exports [3]: Neither subtree_check or no_subtree_check specified' >&2"
run "$callout" monitor-list-shares
check "callout monitor-list-shares: exported directories from exportfs -v" 0 "/srv/a/very/long/path/that/does/not/fit
/srv/home
/srv/pub
/srv/with space" "exportfs -v"
stub exportfs 'echo "exportfs: could not open /var/lib/nfs/.etab.lock for locking: errno 13 (Permission denied)" >&2; exit 1'
: >"$STUB_LOG"
run "$callout" monitor-list-shares
check "callout monitor-list-shares: exportfs failing" 1 \
  "ERROR: exportfs -v failed: exportfs: could not open /var/lib/nfs/.etab.lock for locking: errno 13 (Permission denied)" \
  "exportfs -v"
stub exportfs
: >"$STUB_LOG"
run "$callout" monitor-list-shares
check "callout monitor-list-shares: nothing exported" 0 "" "exportfs -v"

# monitor-post: the number of nfsd threads
ccase
run "$callout" monitor-post
check "callout monitor-post: no thread count configured, no nfsconf: nothing" 0 "" ""
mkdir -p "$CTDB_SYS_ETCDIR/default" "$CTDB_PROC_DIR/fs/nfsd"
echo 'RPCNFSDCOUNT=8' >"$CTDB_SYS_ETCDIR/default/nfs-kernel-server"
echo 8 >"$CTDB_PROC_DIR/fs/nfsd/threads"
run "$callout" monitor-post
check "callout monitor-post: 8 threads as configured" 0 "" ""
echo 5 >"$CTDB_PROC_DIR/fs/nfsd/threads"
run "$callout" monitor-post
check "callout monitor-post: 5 threads of 8" 0 "" ""
check_true "callout monitor-post: nfsd told to run 8" test "$(cat "$CTDB_PROC_DIR/fs/nfsd/threads")" = 8
check_log "callout monitor-post: the correction is logged" \
  "nfs-linux-kernel-callout: Attempting to correct number of nfsd threads from 5 to 8"
echo 'USE_KERNEL_NFSD_NUMBER=4' >"$CTDB_SYS_ETCDIR/default/nfs-kernel-server"
run "$callout" monitor-post
check_true "callout monitor-post: USE_KERNEL_NFSD_NUMBER, fewer threads too" \
  test "$(cat "$CTDB_PROC_DIR/fs/nfsd/threads")" = 4
rm "$CTDB_SYS_ETCDIR/default/nfs-kernel-server"
stub nfsconf 'echo 16'
run "$callout" monitor-post
check "callout monitor-post: nfs.conf's threads through nfsconf" 0 "" "nfsconf --get nfsd threads"
check_true "callout monitor-post: nfsd told to run 16" test "$(cat "$CTDB_PROC_DIR/fs/nfsd/threads")" = 16
stub nfsconf 'echo lots'
run "$callout" monitor-post
check "callout monitor-post: a configured count that is no number" 1 \
  "ERROR: configured number of nfsd threads 'lots' is not a number"
stub nfsconf 'echo 8'
rm "$CTDB_PROC_DIR/fs/nfsd/threads"
rm -f "$CTDB_LOGFILE"
run "$callout" monitor-post
check "callout monitor-post: no threads file: healthy" 0 ""
check_log "callout monitor-post: no threads file: logged" \
  "nfs-linux-kernel-callout: WARNING: cannot read $CTDB_PROC_DIR/fs/nfsd/threads; nfsd threads not checked"
# /proc/version reads fine but cannot be written, even by root.
ln -s /proc/version "$CTDB_PROC_DIR/fs/nfsd/threads"
run "$callout" monitor-post
check "callout monitor-post: the threads file cannot be written" 1 \
  "ERROR: cannot set the number of nfsd threads to 8 in $CTDB_PROC_DIR/fs/nfsd/threads"

# releaseip: NLM locks held through the address are dropped
ccase
run "$callout" releaseip eth0 10.0.0.1 24
check "callout releaseip: no unlock_ip file: nothing" 0 "" ""
mkdir -p "$CTDB_PROC_DIR/fs/nfsd"
: >"$CTDB_PROC_DIR/fs/nfsd/unlock_ip"
run "$callout" releaseip eth0 fd00::1 64
check "callout releaseip: quiet" 0 "" ""
check_true "callout releaseip: the address is written to unlock_ip" \
  test "$(cat "$CTDB_PROC_DIR/fs/nfsd/unlock_ip")" = fd00::1
rm "$CTDB_PROC_DIR/fs/nfsd/unlock_ip"
ln -s /proc/version "$CTDB_PROC_DIR/fs/nfsd/unlock_ip"
run "$callout" releaseip eth0 10.0.0.1 24
check "callout releaseip: unlock_ip failing does not fail the release" 0 "" ""
check_log "callout releaseip: the failure is logged" \
  "nfs-linux-kernel-callout: WARNING: could not release NFS locks held through 10.0.0.1 ($CTDB_PROC_DIR/fs/nfsd/unlock_ip)"

# 60.nfs with CTDB_BASE unset (source tree): the callout beside functions.
new_case
systemd_running
sysconfig CTDB_MANAGES_NFS=yes
stub ctdb
run env -u CTDB_BASE "$script" shutdown
check "CTDB_BASE unset: the source tree's callout" 0 "" "systemctl stop nfs-server
systemctl stop rpc-statd"

finish
