#!/bin/bash
# Tests events.d/06.nfs: the NFS callout's takeip-pre / releaseip-pre hooks.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/06.nfs"

# The stub callout: "register" prints $STUB_STATE/ops (nothing: it handles
# everything); an operation named in $STUB_STATE/fail fails with exit code 3;
# the environment it got is kept in $STUB_STATE/env.
stub nfs-callout 'if [ "$1" = register ]; then cat "$STUB_STATE/ops" 2>/dev/null; exit 0; fi
printf "%s\n" "$CTDB_BASE" "$CTDB_NFS_CALLOUT" "$CTDB_NFS_CALLOUT_STATE_DIR" \
  "${CTDB_NFS_STATE_FS_TYPE-unset}" "${CTDB_NFS_STATE_MNT-unset}" >"$STUB_STATE/env"
if grep -qxF -- "$1" "$STUB_STATE/fail" 2>/dev/null; then echo "$1: cannot put the server in grace"; exit 3; fi
:'
ops() { printf '%s\n' "$@" >"$STUB_STATE/ops"; }
nfs_case() {
  new_case
  rm -f "$STUB_STATE/ops" "$STUB_STATE/fail" "$STUB_STATE/env"
  sysconfig CTDB_MANAGES_NFS=yes CTDB_NFS_CALLOUT=nfs-callout "$@"
}

new_case
check_quiet_events "$script" "unmanaged (unset), every event is a no-op" "${ALL_EVENTS[@]}"
sysconfig CTDB_MANAGES_NFS=no CTDB_NFS_CALLOUT=/nonexistent
check_quiet_events "$script" "CTDB_MANAGES_NFS=no, every event is a no-op" "${ALL_EVENTS[@]}"

new_case
sysconfig CTDB_MANAGES_NFS=sometimes
run "$script" takeip eth0 10.0.0.1 24
check "invalid CTDB_MANAGES_NFS fails with a clear message" 1 \
  "ERROR: CTDB_MANAGES_NFS='sometimes' is not a yes/no value" ""

nfs_case CTDB_NFS_CALLOUT=/nonexistent
check_quiet_events "$script" "managed, events other than takeip/releaseip do nothing (callout not even looked for)" \
  init setup startup monitor startrecovery recovered "updateip eth0 eth1 10.0.0.1 24" ipreallocated shutdown

nfs_case
run "$script" takeip eth0 10.0.0.1 24
check "takeip: a callout that registers nothing gets takeip-pre" 0 "" "nfs-callout register
nfs-callout takeip-pre eth0 10.0.0.1 24"
: >"$STUB_LOG"
run "$script" releaseip eth0 fd00::1 64
check "releaseip: releaseip-pre, IPv6" 0 "" "nfs-callout register
nfs-callout releaseip-pre eth0 fd00::1 64"

nfs_case
ops startup shutdown takeip-pre releaseip
run "$script" takeip eth0 10.0.0.1 24
check "takeip: registered takeip-pre is run" 0 "" "nfs-callout register
nfs-callout takeip-pre eth0 10.0.0.1 24"
: >"$STUB_LOG"
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: releaseip-pre not registered (only releaseip): not run" 0 "" "nfs-callout register"

nfs_case CTDB_NFS_STATE_FS_TYPE=gpfs CTDB_NFS_STATE_MNT=/gpfs/.nfs
run "$script" takeip eth0 10.0.0.1 24
# shellcheck disable=SC2034 # OUT is what check compares
OUT=$(cat "$STUB_STATE/env")
check "the callout gets CTDB_BASE, itself, its state directory and the shared state settings" 0 \
  "$CTDB_BASE
nfs-callout
$CTDB_SCRIPT_VARDIR/60.nfs/callout-state
gpfs
/gpfs/.nfs"
nfs_case
run "$script" takeip eth0 10.0.0.1 24
# shellcheck disable=SC2034 # OUT is what check compares
OUT=$(cat "$STUB_STATE/env")
check "shared state settings unset: not exported" 0 "$CTDB_BASE
nfs-callout
$CTDB_SCRIPT_VARDIR/60.nfs/callout-state
unset
unset"

nfs_case
echo takeip-pre >"$STUB_STATE/fail"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: a failing takeip-pre fails with its exit code" 3 "takeip-pre: cannot put the server in grace
ERROR: NFS callout nfs-callout failed at takeip-pre (exit code 3)" "nfs-callout register
nfs-callout takeip-pre eth0 10.0.0.1 24"
echo releaseip-pre >"$STUB_STATE/fail"
: >"$STUB_LOG"
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: a failing releaseip-pre fails" 3 "releaseip-pre: cannot put the server in grace
ERROR: NFS callout nfs-callout failed at releaseip-pre (exit code 3)"

nfs_case
stub broken-callout 'echo "usage: broken-callout ..."; exit 1'
sysconfig CTDB_MANAGES_NFS=yes CTDB_NFS_CALLOUT=broken-callout
run "$script" takeip eth0 10.0.0.1 24
check "a callout whose register fails is given everything (as 4.17)" 1 "usage: broken-callout ...
ERROR: NFS callout broken-callout failed at takeip-pre (exit code 1)" "broken-callout register
broken-callout takeip-pre eth0 10.0.0.1 24"

nfs_case CTDB_NFS_CALLOUT="$TEST_TMP/missing"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: missing callout" 1 \
  "ERROR: NFS callout '$TEST_TMP/missing' not found or not executable (CTDB_NFS_CALLOUT)" ""
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: missing callout" 1 \
  "ERROR: NFS callout '$TEST_TMP/missing' not found or not executable (CTDB_NFS_CALLOUT)" ""

nfs_case
run "$script" takeip eth0 10.0.0.1
check "takeip: missing mask bits" 1 \
  "ERROR: takeip expects IFACE IP MASKBITS, got 2 argument(s): eth0 10.0.0.1" ""
run "$script" releaseip 'eth 0' 10.0.0.1 24
check "releaseip: bad interface name" 1 "ERROR: releaseip: 'eth 0' is not a valid interface name" ""
run "$script" takeip eth0 10.0.0.1 33
check "takeip: bad mask bits" 1 \
  "ERROR: takeip: mask bits '33' of 10.0.0.1 are not a number from 0 to 32" ""

# The shipped kernel callout has nothing to do before an address moves.
new_case
sysconfig CTDB_MANAGES_NFS=yes
stub systemctl; stub service
run "$script" takeip eth0 10.0.0.1 24
check "kernel callout: takeip-pre not registered, nothing run" 0 "" ""
run "$script" releaseip eth0 10.0.0.1 24
check "kernel callout: releaseip-pre not registered, nothing run" 0 "" ""
run env -u CTDB_BASE "$script" takeip eth0 10.0.0.1 24
check "CTDB_BASE unset: the source tree's callout" 0 "" ""

finish
