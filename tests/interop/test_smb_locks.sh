#!/bin/bash
# Byte-range locks as Windows applications rely on them: Debian's smbd 4.17 on 2 nodes of ours,
# two SMB2 clients (smb2_lock_client.py) on different nodes and on the same node. A lock taken
# by one blocks conflicting locks, reads and writes of the other, and is released for the other
# when its owner unlocks or disconnects. The same client runs against 2 stock 4.17 nodes too,
# which shows the checks hold for the reference.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/smb_lib.sh"

h_init smb_locks
smb_have_tools /usr/sbin/smbd /usr/bin/smbpasswd || h_finish
/usr/bin/python3 -c 'import impacket' 2>/dev/null || {
  fail "python3-impacket is installed"
  h_finish
}
smb_ensure_user || { fail "the test user $SMB_USER exists"; h_finish; }

PORT=4480
declare -A NODE_ADDR=([k0]=127.0.0.243 [k1]=127.0.0.244 [o0]=127.0.0.241 [o1]=127.0.0.242)
h_start_cluster stock k "${NODE_ADDR[k0]}" "${NODE_ADDR[k1]}" || fail "the stock 2 nodes answer ping"
h_start_ours_cluster o "$H_TMP/o.reclock" "${NODE_ADDR[o0]}" "${NODE_ADDR[o1]}" ||
  fail "our 2 nodes answer ping"
h_wait_converged "stock: both OK" 90 k0 k1 -- OK OK || h_finish
h_wait_converged "ours: both OK" 90 o0 o1 -- OK OK || h_finish

chmod 711 "$H_TMP"
for c in k o; do
  mkdir -p "$H_TMP/share-$c"
  chown "$SMB_USER" "$H_TMP/share-$c"
  for n in ${c}0 ${c}1; do
    conf=$(smb_conf "$n" "$n" "${NODE_ADDR[$n]}" "$PORT" "$H_TMP/share-$c" user)
    smb_start "$n" "$conf" "${NODE_ADDR[$n]}" "$PORT" || h_finish
  done
  smb_add_user "$H_TMP/smb-${c}0/smb.conf" || h_finish
done

# locks LABEL NODE_A NODE_B: smb2_lock_client.py with client A on NODE_A and B on NODE_B, each
# of its checks reported as this test's own. It makes 32 checks; fewer means it stopped early.
locks() {
  local label=$1 a=$2 b=$3 line checks=0
  while IFS= read -r line; do
    case "$line" in
      "PASS "*) pass "$label: ${line#PASS }"; checks=$((checks + 1)) ;;
      "FAIL "*) fail "$label: ${line#FAIL }"; checks=$((checks + 1)) ;;
      *) echo "$line" ;;
    esac
  done < <(timeout 300 /usr/bin/python3 "$(dirname "$0")/smb2_lock_client.py" \
    "${NODE_ADDR[$a]}" "${NODE_ADDR[$b]}" "$PORT" "$SMB_USER" "$SMB_PASSWORD" share 2>&1)
  assert_eq "$label: every check of the client ran" 32 "$checks"
}

# Across nodes, both ways; then two clients of one node's smbd (each client is served by its
# own smbd process, which caches lock lists until brlock.tdb's sequence number moves).
locks "stock, A on node 0, B on node 1" k0 k1
locks "ours, A on node 0, B on node 1" o0 o1
locks "ours, A on node 1, B on node 0" o1 o0
locks "stock, A and B on node 0" k0 k0
locks "ours, A and B on node 0" o0 o0
locks "ours, A and B on node 1" o1 o1

h_wait_converged "ours after the lock traffic: both OK" 60 o0 o1 -- OK OK
for n in o0 o1; do
  check "smbd $n still runs" h_pid_running "${SMB_PID[$n]}"
  assert_eq "no smbd panic in $n's smbd logs" 0 "$(smb_panics "$n")"
done

h_finish
