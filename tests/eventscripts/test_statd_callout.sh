#!/bin/bash
# Tests config/statd-callout: NFS lock clients recorded per public address
# (add-client/del-client), pushed into ctdb.tdb (update) and notified after
# a failover (notify).
#
# The stub ctdb keeps ctdb.tdb as a file of "KEY<TAB>VALUE" lines: ptrans
# stores (an empty value too, as the real one does), catdb prints them as
# 4.17 does. This node hosts the addresses of $STUB_STATE/ips with its PNN.
. "$(dirname "$0")/lib.sh"
callout="$CONFIG_DIR/statd-callout"
export CTDB_HELPER_BINDIR="$STUBS"
export CTDB_NFS_STATD_DIR="$TEST_TMP/var-lib-nfs"
PENDING="$CTDB_SCRIPT_VARDIR/60.nfs/statd-callout"
DB="$STUB_STATE/ctdb.tdb"

stub id 'echo 0'
stub date 'case "$1" in +%s) echo 123456789 ;; *) echo "2024/01/02 03:04:05" ;; esac'
stub sleep; stub smnotify; stub nfs-callout; stub nfsconf; unstub nfsconf
ctdb_stub() {
  stub ctdb "${1:-}"'
case "$*" in
  pnn) cat "$STUB_STATE/pnn" ;;
  "-X ip" | "-X ip all")
    echo "|Public IP|Node|"
    while read -r ip node; do echo "|$ip|$node|"; done <"$STUB_STATE/ips"
    ;;
  "ptrans ctdb.tdb")
    touch "$STUB_STATE/ctdb.tdb"
    while read -r line; do
      echo "  $line" >>"$STUB_LOG"
      k="${line%% *}" v="${line#* }"
      k="${k//\"/}" v="${v//\"/}"
      grep -v "^$k	" "$STUB_STATE/ctdb.tdb" >"$STUB_STATE/ctdb.tdb.new"
      printf "%s\t%s\n" "$k" "$v" >>"$STUB_STATE/ctdb.tdb.new"
      sort "$STUB_STATE/ctdb.tdb.new" >"$STUB_STATE/ctdb.tdb"
    done
    ;;
  "catdb ctdb.tdb")
    n=0
    while IFS="	" read -r k v; do
      printf "key(%d) = \"%s\"\ndmaster: 0\nrsn: 1\ndata(%d) = \"%s\"\n\n" "${#k}" "$k" "${#v}" "$v"
      n=$((n + 1))
    done <"$STUB_STATE/ctdb.tdb"
    echo "Dumped $n records"
    ;;
  *) echo "ctdb stub: unexpected: $*" >&2; exit 64 ;;
esac'
}

# sc_case [SYSCONFIG...]: PNN 0 hosting 10.0.0.1 and 10.0.0.2, PNN 1 10.0.0.3;
# empty ctdb.tdb, no pending record; NFS_HOSTNAME set unless overridden.
sc_case() {
  new_case
  rm -rf "$CTDB_SCRIPT_VARDIR" "$CTDB_NFS_STATD_DIR"
  sysconfig CTDB_NFS_CALLOUT=nfs-callout NFS_HOSTNAME=nfs.example.com "$@"
  echo 0 >"$STUB_STATE/pnn"
  printf '%s\n' "10.0.0.1 0" "10.0.0.2 0" "10.0.0.3 1" >"$STUB_STATE/ips"
  : >"$DB"
  ctdb_stub
  stub smnotify; stub nfs-callout; stub id 'echo 0'
}
# The pending records: "FILE: CONTENT" (pushing/ too).
pending() {
  (cd "$PENDING" 2>/dev/null && for f in statd-state@* pushing/*; do
    [ -e "$f" ] && echo "$f: $(cat "$f")"
  done)
}
records() { cat "$DB"; }
check_state() {
  local desc="$1" want="$2" got="$3"
  if [ "$want" = "$got" ]; then pass "$desc"; else fail "$desc" "want:" "$want" "got:" "$got"; fi
}
logged() { sed -E 's|^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} ||' "$CTDB_LOGFILE" 2>/dev/null; }

C1=192.168.123.45
C2=192.168.123.46

# --- add-client, del-client, update --------------------------------------------------------
sc_case
run "$callout" add-client "$C1" nfs.example.com
check "add-client: quiet" 0 "" "id -u
ctdb pnn
date +%s
ctdb -X ip"
check_state "add-client: one pending record per address hosted here" \
  "statd-state@10.0.0.1@$C1: \"statd-state@10.0.0.1@$C1\" \"123456789\"
statd-state@10.0.0.2@$C1: \"statd-state@10.0.0.2@$C1\" \"123456789\"" "$(pending)"
check_state "add-client: nothing in ctdb.tdb yet" "" "$(records)"
: >"$STUB_LOG"
run "$callout" update
check "update: pushes the pending records in one transaction" 0 "" "id -u
ctdb pnn
ctdb -X ip
ctdb ptrans ctdb.tdb
  \"statd-state@10.0.0.1@$C1\" \"123456789\"
  \"statd-state@10.0.0.2@$C1\" \"123456789\""
check_state "update: records in ctdb.tdb" "statd-state@10.0.0.1@$C1	123456789
statd-state@10.0.0.2@$C1	123456789" "$(records)"
check_state "update: nothing pending any more" "" "$(pending)"
: >"$STUB_LOG"
run "$callout" update
check "update with nothing pending: no ctdb call but the PNN" 0 "" "id -u
ctdb pnn"

run "$callout" add-client "$C2"
run "$callout" del-client "$C1"
: >"$STUB_LOG"
run "$callout" update
check "add-client, del-client, update: both pushed" 0 "" "id -u
ctdb pnn
ctdb -X ip
ctdb ptrans ctdb.tdb
  \"statd-state@10.0.0.1@$C1\" \"\"
  \"statd-state@10.0.0.1@$C2\" \"123456789\"
  \"statd-state@10.0.0.2@$C1\" \"\"
  \"statd-state@10.0.0.2@$C2\" \"123456789\""
check_state "del-client: the client's records emptied (deleted)" "statd-state@10.0.0.1@$C1	
statd-state@10.0.0.1@$C2	123456789
statd-state@10.0.0.2@$C1	
statd-state@10.0.0.2@$C2	123456789" "$(records)"

sc_case
run "$callout" add-client "$C1"
run "$callout" del-client "$C1"
check_state "add-client then del-client: the last one counts" \
  "statd-state@10.0.0.1@$C1: \"statd-state@10.0.0.1@$C1\" \"\"
statd-state@10.0.0.2@$C1: \"statd-state@10.0.0.2@$C1\" \"\"" "$(pending)"

sc_case
echo 1 >"$STUB_STATE/pnn"
run "$callout" add-client "$C1"
check_state "add-client on PNN 1: only its address" \
  "statd-state@10.0.0.3@$C1: \"statd-state@10.0.0.3@$C1\" \"123456789\"" "$(pending)"
echo 0 >"$STUB_STATE/pnn"
: >"$STUB_LOG"
run "$callout" update
check "update: records of an address hosted elsewhere now are dropped, not pushed" 0 "" "id -u
ctdb pnn
ctdb -X ip"
check_state "update: the dropped record is gone" "" "$(pending)$(records)"

sc_case
run "$callout" add-client "$C1"
ctdb_stub '[ "$1" = ptrans ] && { echo "Failed to start transaction" >&2; exit 1; }'
: >"$STUB_LOG"
run "$callout" update
check "update: ptrans failing fails (logged too)" 1 \
  "ERROR: statd-callout update: 'ctdb ptrans ctdb.tdb' failed: Failed to start transaction" "id -u
ctdb pnn
ctdb -X ip
ctdb ptrans ctdb.tdb
date +%Y/%m/%d %H:%M:%S"
check_state "update failed: the records stay pending" \
  "statd-state@10.0.0.1@$C1: \"statd-state@10.0.0.1@$C1\" \"123456789\"
statd-state@10.0.0.2@$C1: \"statd-state@10.0.0.2@$C1\" \"123456789\"" "$(pending)"
check_state "update failed: logged" \
  "statd-callout: ERROR: statd-callout update: 'ctdb ptrans ctdb.tdb' failed: Failed to start transaction" \
  "$(logged)"

# An update that died half-way: its records come back, unless statd wrote
# the same client again since.
sc_case
mkdir -p "$PENDING/pushing"
echo "\"statd-state@10.0.0.1@$C1\" \"100\"" >"$PENDING/pushing/statd-state@10.0.0.1@$C1"
echo "\"statd-state@10.0.0.2@$C1\" \"100\"" >"$PENDING/pushing/statd-state@10.0.0.2@$C1"
echo "\"statd-state@10.0.0.2@$C1\" \"\"" >"$PENDING/statd-state@10.0.0.2@$C1"
run "$callout" update
check "update after an interrupted one" 0 "" "id -u
ctdb pnn
ctdb -X ip
ctdb ptrans ctdb.tdb
  \"statd-state@10.0.0.1@$C1\" \"100\"
  \"statd-state@10.0.0.2@$C1\" \"\""
check_state "update after an interrupted one: nothing left" "" "$(pending)"

# --- notify --------------------------------------------------------------------------
notify_setup() {
  sc_case "$@"
  printf '%s\t%s\n' "statd-state@10.0.0.1@$C1" 100 "statd-state@10.0.0.1@$C2" 101 \
    "statd-state@10.0.0.2@192.168.123.47" "" "statd-state@10.0.0.3@192.168.123.48" 102 >"$DB"
  mkdir -p "$CTDB_NFS_STATD_DIR/sm" "$CTDB_NFS_STATD_DIR/sm.bak" "$PENDING"
  touch "$CTDB_NFS_STATD_DIR/sm/$C1" "$CTDB_NFS_STATD_DIR/sm.bak/old" "$CTDB_NFS_STATD_DIR/state"
  echo '"statd-state@10.0.0.1@10.9.9.9" "5"' >"$PENDING/statd-state@10.0.0.1@10.9.9.9"
  echo '"statd-state@10.0.0.3@10.9.9.9" "5"' >"$PENDING/statd-state@10.0.0.3@10.9.9.9"
}
SMNOTIFY_C1="smnotify --client=$C1 --ip=10.0.0.1 --server=10.0.0.1 --stateval=123456788
smnotify --client=$C1 --ip=10.0.0.1 --server=nfs.example.com --stateval=123456788
smnotify --client=$C1 --ip=10.0.0.1 --server=10.0.0.1 --stateval=123456789
smnotify --client=$C1 --ip=10.0.0.1 --server=nfs.example.com --stateval=123456789"
NOTIFY_PRE="id -u
ctdb pnn
nfs-callout stop nlockmgr
sleep 2
nfs-callout start nlockmgr
ctdb -X ip all
ctdb catdb ctdb.tdb"

notify_setup
run "$callout" notify
check "notify: lock manager restarted, clients of the addresses here notified (down, then up) and forgotten" \
  0 "" "$NOTIFY_PRE
date +%s
$SMNOTIFY_C1
${SMNOTIFY_C1//$C1/$C2}
ctdb ptrans ctdb.tdb
  \"statd-state@10.0.0.1@$C1\" \"\"
  \"statd-state@10.0.0.1@$C2\" \"\""
check_state "notify: the other node's client stays, ours are deleted" "statd-state@10.0.0.1@$C1	
statd-state@10.0.0.1@$C2	
statd-state@10.0.0.2@192.168.123.47	
statd-state@10.0.0.3@192.168.123.48	102" "$(records)"
check_state "notify: statd's own monitor lists are emptied, its state kept" \
  "$CTDB_NFS_STATD_DIR/state" "$(shopt -s nullglob; echo "$CTDB_NFS_STATD_DIR"/sm/* "$CTDB_NFS_STATD_DIR"/sm.bak/* "$CTDB_NFS_STATD_DIR"/state)"
check_state "notify: pending records of addresses elsewhere removed, ours kept" \
  "statd-state@10.0.0.1@10.9.9.9: \"statd-state@10.0.0.1@10.9.9.9\" \"5\"" "$(pending)"
: >"$STUB_LOG"
run "$callout" notify
check "notify again: no client left, nothing sent" 0 "" "$NOTIFY_PRE"

notify_setup
echo 1 >"$STUB_STATE/pnn"
run "$callout" notify
check "notify on PNN 1: its client only" 0 "" "${NOTIFY_PRE/ctdb pnn/ctdb pnn}
date +%s
smnotify --client=192.168.123.48 --ip=10.0.0.3 --server=10.0.0.3 --stateval=123456788
smnotify --client=192.168.123.48 --ip=10.0.0.3 --server=nfs.example.com --stateval=123456788
smnotify --client=192.168.123.48 --ip=10.0.0.3 --server=10.0.0.3 --stateval=123456789
smnotify --client=192.168.123.48 --ip=10.0.0.3 --server=nfs.example.com --stateval=123456789
ctdb ptrans ctdb.tdb
  \"statd-state@10.0.0.3@192.168.123.48\" \"\""

notify_setup
stub smnotify '[ "$1" = "--client='"$C2"'" ] && { echo "smnotify: cannot reach client"; exit 1; }; :'
run "$callout" notify
check "notify: smnotify failing for a client: warning, the others still notified, all forgotten" 0 \
  "smnotify: cannot reach client
smnotify: cannot reach client
smnotify: cannot reach client
smnotify: cannot reach client
WARNING: smnotify failed for some NFS lock clients" "$NOTIFY_PRE
date +%s
$SMNOTIFY_C1
${SMNOTIFY_C1//$C1/$C2}
ctdb ptrans ctdb.tdb
  \"statd-state@10.0.0.1@$C1\" \"\"
  \"statd-state@10.0.0.1@$C2\" \"\""

notify_setup
rm "$STUBS/smnotify"
run "$callout" notify
check "notify: no smnotify: fails, the clients are kept" 1 \
  "ERROR: statd-callout notify: $STUBS/smnotify not found (CTDB_HELPER_BINDIR; Debian package ctdb): NFS lock clients not notified" \
  "$NOTIFY_PRE
date +%Y/%m/%d %H:%M:%S"
check_state "notify without smnotify: ctdb.tdb unchanged" "statd-state@10.0.0.1@$C1	100" \
  "$(records | head -n 1)"
stub smnotify

notify_setup
stub nfs-callout 'echo "Job for rpc-statd.service failed."; exit 1'
run "$callout" notify
check "notify: the lock manager failing to restart is a warning" 0 \
  "WARNING: stopping the lock manager failed: Job for rpc-statd.service failed.
WARNING: starting the lock manager failed: Job for rpc-statd.service failed." "*"
check_true "notify: clients notified anyway" grep -q "^smnotify --client=$C1" "$STUB_LOG"

notify_setup CTDB_NFS_CALLOUT=other-callout
stub other-callout
run "$callout" notify
check "notify: the lock manager through CTDB_NFS_CALLOUT" 0 "" "*"
check_true "notify: CTDB_NFS_CALLOUT used" grep -qx "other-callout start nlockmgr" "$STUB_LOG"

notify_setup
ctdb_stub '[ "$1" = catdb ] && { echo "Failed to traverse" >&2; exit 1; }'
run "$callout" notify
check "notify: catdb failing fails" 1 "ERROR: statd-callout notify: 'ctdb catdb ctdb.tdb' failed: Failed to traverse"

notify_setup
ctdb_stub '[ "$1" = ptrans ] && { echo "Failed to commit" >&2; exit 1; }'
run "$callout" notify
check "notify: ptrans failing after the notifications fails" 1 \
  "ERROR: statd-callout notify: 'ctdb ptrans ctdb.tdb' failed: Failed to commit"

# --- NFS_HOSTNAME, root, usage, bad input ----------------------------------------------------
sc_case NFS_HOSTNAME=
mkdir -p "$CTDB_SYS_ETCDIR/default" "$CTDB_SYS_ETCDIR/sysconfig"
echo 'NFS_HOSTNAME=from-nfs-common.example.com' >"$CTDB_SYS_ETCDIR/default/nfs-common"
echo 'STATDOPTS="-p 32765"' >"$CTDB_SYS_ETCDIR/sysconfig/nfs"
echo "statd-state@10.0.0.1@$C1	1" >"$DB"
run "$callout" notify
check_true "NFS_HOSTNAME from /etc/default/nfs-common (an earlier file without it skipped)" \
  grep -q -- "--server=from-nfs-common.example.com" "$STUB_LOG"
mkdir -p "$CTDB_SYS_ETCDIR/sysconfig"
echo 'NFS_HOSTNAME=from-sysconfig-nfs.example.com' >"$CTDB_SYS_ETCDIR/sysconfig/nfs"
echo "statd-state@10.0.0.1@$C1	1" >"$DB"
: >"$STUB_LOG"
run "$callout" notify
check_true "NFS_HOSTNAME: /etc/sysconfig/nfs first" \
  grep -q -- "--server=from-sysconfig-nfs.example.com" "$STUB_LOG"
sysconfig NFS_HOSTNAME=from-ctdb.example.com CTDB_NFS_CALLOUT=nfs-callout
echo "statd-state@10.0.0.1@$C1	1" >"$DB"
: >"$STUB_LOG"
run "$callout" notify
check_true "NFS_HOSTNAME: CTDB's sysconfig wins" grep -q -- "--server=from-ctdb.example.com" "$STUB_LOG"

sc_case NFS_HOSTNAME=
stub nfsconf 'echo from-nfs-conf.example.com'
run "$callout" add-client "$C1"
check "NFS_HOSTNAME from nfs.conf through nfsconf" 0 "" "id -u
nfsconf --get statd name
ctdb pnn
date +%s
ctdb -X ip"
unstub nfsconf

sc_case NFS_HOSTNAME=
run "$callout" add-client "$C1"
check "NFS_HOSTNAME nowhere: fails (logged too)" 1 \
  "ERROR: NFS_HOSTNAME is not configured (CTDB sysconfig, /etc/default/nfs-common or nfs.conf [statd] name); statd-callout add-client failed" \
  "id -u
date +%Y/%m/%d %H:%M:%S"
check_state "NFS_HOSTNAME nowhere: logged" \
  "statd-callout: ERROR: NFS_HOSTNAME is not configured (CTDB sysconfig, /etc/default/nfs-common or nfs.conf [statd] name); statd-callout add-client failed" \
  "$(logged)"

sc_case
stub id 'echo 107'
stub sudo 'exit 7'
run "$callout" add-client "$C1" server
check "not root (rpc.statd runs as statd): again through sudo -n" 7 "" "id -u
sudo -n $callout add-client $C1 server"

sc_case
run "$callout"
check "no operation: usage" 1 "ERROR: usage: statd-callout add-client|del-client CLIENT | update | notify" \
  "id -u
date +%Y/%m/%d %H:%M:%S"
run "$callout" reboot
check "unknown operation: usage" 1 "ERROR: usage: statd-callout add-client|del-client CLIENT | update | notify"

sc_case
for bad in "" "a/b" 'x"y' "two words"; do
  : >"$STUB_LOG"
  run "$callout" add-client "$bad"
  check "add-client: invalid client name '$bad'" 1 "ERROR: statd-callout: invalid client name '$bad'"
done
check_state "invalid client names: nothing recorded" "" "$(pending)"
run "$callout" add-client "fe80::1%eth0"
check "add-client: an IPv6 client with a scope is fine" 0 ""
run "$callout" add-client "client-7.example.com"
check "add-client: a host name is fine" 0 ""

sc_case
ctdb_stub '[ "$1" = pnn ] && { echo "connection refused" >&2; exit 1; }'
run "$callout" add-client "$C1"
check "ctdb pnn failing" 1 "ERROR: statd-callout add-client: 'ctdb pnn' failed: connection refused"
ctdb_stub '[ "$*" = "-X ip" ] && { echo "connection refused" >&2; exit 1; }'
run "$callout" del-client "$C1"
check "ctdb -X ip failing" 1 "ERROR: statd-callout: 'ctdb -X ip' failed: connection refused"
run "$callout" update
check "update with nothing pending does not need the addresses" 0 ""

sc_case
run env -u CTDB_BASE "$callout" add-client "$C1"
check "CTDB_BASE unset: functions beside the callout" 0 ""

finish
