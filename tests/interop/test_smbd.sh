#!/bin/bash
# Debian's stock smbd (clustering = yes) on two of our nodes, with smbclient as the user: a file
# written through one node is read through the other; files made, renamed and deleted through
# either node are seen by both; 2 x 20 files written through both nodes at once all arrive intact;
# smbstatus on either node lists the sessions and open files of both (smbd traverses its
# clustered databases through our daemons); smbd's volatile and persistent databases are attached
# on both nodes; both nodes stay OK throughout.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/smb_lib.sh"

h_init smbd
smb_have_tools /usr/sbin/smbd /usr/bin/smbclient /usr/bin/smbstatus || h_finish
ADDRS=(127.0.0.201 127.0.0.202)
PORT=4450
SHARE=$H_TMP/share
CLIENT_CONF=$H_TMP/client.conf
mkdir -p "$SHARE"
# smbd serves the guest as "nobody", who must reach the share through the temp dir.
chmod 711 "$H_TMP"
chmod 777 "$SHARE"
: >"$CLIENT_CONF"

h_start_ours_cluster s "$H_TMP/s.reclock" "${ADDRS[@]}" || fail "2 nodes answer ping"
h_wait_converged "start: both OK" 60 s0 s1 -- OK OK || h_finish

SMB_PIDS=()
for n in 0 1; do
  conf=$(smb_conf "s$n" "s$n" "${ADDRS[$n]}" "$PORT" "$SHARE" guest)
  smb_start "s$n" "$conf" "${ADDRS[$n]}" "$PORT"
  SMB_PIDS+=("${SMB_PID[s$n]:-}")
done

# smb N COMMANDS: smbclient as guest through node N; sets OUT and RC.
smb() {
  OUT=$(cd "$H_TMP" && timeout 60 smbclient -s "$CLIENT_CONF" "//${ADDRS[$1]}/share" -p "$PORT" \
    -N -c "$2" 2>&1)
  RC=$?
}

# names N: the file names smbclient lists through node N, sorted, space separated.
names() {
  smb "$1" ls
  awk '$1 != "." && $1 != ".." && NF >= 5 && $2 ~ /^[A-Z]+$/ { print $1 }' <<<"$OUT" | sort |
    tr '\n' ' ' | sed 's/ $//'
}

# ---- one file, written through node 0, read through node 1
echo "written through node 0 at $(date +%s.%N)" >"$H_TMP/f1.txt"
smb 0 "put f1.txt f1.txt"
assert_eq "put through node 0: exit 0" 0 "$RC"
smb 1 "get f1.txt f1.back"
assert_eq "get through node 1: exit 0" 0 "$RC"
assert_eq "node 1 reads what node 0 wrote" "$(cat "$H_TMP/f1.txt")" "$(cat "$H_TMP/f1.back" 2>&1)"

# ---- make, rename and delete through either node
smb 1 "mkdir dir1; rename f1.txt renamed.txt"
assert_eq "mkdir and rename through node 1: exit 0" 0 "$RC"
assert_eq "node 0 lists the renamed file and the directory" "dir1 renamed.txt" "$(names 0)"
smb 0 "del renamed.txt; rmdir dir1"
assert_eq "del and rmdir through node 0: exit 0" 0 "$RC"
assert_eq "node 1 lists nothing" "" "$(names 1)"

# ---- both nodes at once: 20 files each, written in parallel
writers=()
for i in $(seq -w 1 20); do
  for n in 0 1; do head -c $((1000 + 10#$i * 37)) /dev/urandom >"$H_TMP/n$n.$i"; done
done
for n in 0 1; do
  (
    cmds=""
    for i in $(seq -w 1 20); do cmds+="put n$n.$i n$n.$i; "; done
    cd "$H_TMP" && timeout 120 smbclient -s "$CLIENT_CONF" "//${ADDRS[$n]}/share" -p "$PORT" -N \
      -c "$cmds" >"$H_TMP/parallel.$n.out" 2>&1
    echo $? >"$H_TMP/parallel.$n.rc"
  ) &
  writers+=($!)
done
wait "${writers[@]}"  # not a bare wait: the daemons are children of this shell too
assert_eq "parallel puts: both clients exit 0" "0 0" \
  "$(cat "$H_TMP/parallel.0.rc" "$H_TMP/parallel.1.rc" | tr '\n' ' ' | sed 's/ $//')"
want=$(cd "$H_TMP" && ls n0.* n1.* | sort | tr '\n' ' ' | sed 's/ $//')
assert_eq "parallel puts: node 0 lists all 40 files" "$want" "$(names 0)"
assert_eq "parallel puts: node 1 lists all 40 files" "$want" "$(names 1)"
bad=0
for f in $want; do cmp -s "$H_TMP/$f" "$SHARE/$f" || bad=$((bad + 1)); done
assert_eq "parallel puts: every file arrived intact" 0 "$bad"
mkdir -p "$H_TMP/back"
cmds="lcd back; "
for f in $want; do cmds+="get $f; "; done
smb 1 "$cmds"
bad=0
for f in $want; do cmp -s "$H_TMP/$f" "$H_TMP/back/$f" || bad=$((bad + 1)); done
assert_eq "node 1 reads back all 40 files intact" "0 0" "$RC $bad"

# ---- a session held open on node 0 and a file open on each node: smbstatus sees them everywhere
mkfifo "$H_TMP/hold0" "$H_TMP/hold1"
(cd "$H_TMP" && exec smbclient -s "$CLIENT_CONF" "//${ADDRS[0]}/share" -p "$PORT" -N \
  <"$H_TMP/hold0" >"$H_TMP/hold0.out" 2>&1) &
hold_pid0=$!
(cd "$H_TMP" && exec smbclient -s "$CLIENT_CONF" "//${ADDRS[1]}/share" -p "$PORT" -N \
  <"$H_TMP/hold1" >"$H_TMP/hold1.out" 2>&1) &
hold_pid1=$!
h_track_pid "$hold_pid0"
h_track_pid "$hold_pid1"
# Read-write opens: they never block, and a client that died cannot SIGPIPE this script.
exec 7<>"$H_TMP/hold0" 8<>"$H_TMP/hold1"
# session_nodes TEXT: the nodes (vnn of "vnn:pid") of the guest sessions smbstatus -b lists.
session_nodes() {
  awk '$1 ~ /^[0-9]+:[0-9]+$/ && $2 == "nobody" { split($1, a, ":"); print a[1] }' <<<"$1" |
    sort -u | tr '\n' ' ' | sed 's/ $//'
}
# open_nodes TEXT: the nodes with an open of n0.01 that smbstatus -L lists, sorted, each once
# (smbd may hold a short internal open of the same file beside the client's).
open_nodes() {
  awk '$1 ~ /^[0-9]+:[0-9]+$/ && / n0\.01 / { split($1, a, ":"); print a[1] }' <<<"$1" | sort -u |
    tr '\n' ' ' | sed 's/ $//'
}
echo "open n0.01" >&7
echo "open n0.01" >&8
# smbclient's own output is buffered until it quits; smbstatus tells when both opens exist.
check "both held sessions have n0.01 open" wait_for \
  '[ "$(open_nodes "$(timeout 30 smbstatus -s "$H_TMP/smb-s0/smb.conf" -L 2>&1)")" == "0 1" ]' 30 0.5
for n in 0 1; do
  st=$(timeout 30 smbstatus -s "$H_TMP/smb-s$n/smb.conf" -b 2>&1)
  assert_eq "smbstatus -b on node $n lists the sessions on node 0 and node 1" "0 1" \
    "$(session_nodes "$st")"
  lk=$(timeout 30 smbstatus -s "$H_TMP/smb-s$n/smb.conf" -L 2>&1)
  assert_eq "smbstatus -L on node $n shows n0.01 open through node 0 and node 1" "0 1" \
    "$(open_nodes "$lk")"
done
echo "quit" >&7
echo "quit" >&8
exec 7>&- 8>&-
check "the held sessions end on quit" \
  wait_for "! h_pid_running $hold_pid0 && ! h_pid_running $hold_pid1" 20 0.2
for n in 0 1; do
  assert_contains "held session on node $n: smbclient opened n0.01" "$(cat "$H_TMP/hold$n.out")" \
    'open file \n0.01: for read/write fnum 1'
done
kill "$hold_pid0" "$hold_pid1" 2>/dev/null
wait "$hold_pid0" "$hold_pid1" 2>/dev/null

# ---- smbd's databases live in our cluster
for n in 0 1; do
  map=$(h_ctdb "s$n" getdbmap 2>&1)
  for db in locking.tdb brlock.tdb g_lock.tdb smbXsrv_session_global.tdb \
    smbXsrv_open_global.tdb; do
    check "getdbmap on node $n: smbd attached $db" grep -qE "name:$db path:[^ ]+\$" <<<"$map"
  done
  for db in secrets.tdb passdb.tdb; do
    check "getdbmap on node $n: smbd attached $db PERSISTENT" \
      grep -qE "name:$db path:[^ ]+ PERSISTENT\$" <<<"$map"
  done
done
h_wait_converged "after the smbd traffic: both OK" 30 s0 s1 -- OK OK
for n in 0 1; do
  assert_eq "node $n answered every control smbd sent (no unknown or refused control logged)" 0 \
    "$(grep -cE 'Unknown control|Control [A-Z0-9_]+ from .* refused' "${H_LOG[s$n]}")"
done
for n in 0 1; do
  check "smbd on node $n still runs" h_pid_running "${SMB_PIDS[$n]}"
  assert_eq "no smbd panic in node $n's smbd logs" 0 "$(smb_panics "s$n")"
done

h_finish
