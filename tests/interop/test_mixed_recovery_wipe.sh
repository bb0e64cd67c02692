#!/bin/bash
# A recovery led by our daemon empties every node's copy before pushing the recovered one, as
# 4.17's recovery helper does (WIPE_DATABASE inside the recovery transaction): a 4.17 node's
# DB_PUSH_START adds records to what its file holds, so without the wipe a record that the
# recovered copy does not have would stay on the stock nodes of a mixed cluster.
# One of our nodes (the leader) and two stock nodes; a record is written straight into one
# stock node's persistent database file (a copy the others never had), then `ctdb recover`.
source "$(dirname "$0")/../lib/harness.sh"

if [ ! -x "$H_STOCK_CTDBD" ]; then
  echo "SKIP: Debian's ctdbd is not installed"
  exit 77
fi
h_init interop_mixed_recovery_wipe
ADDR=(127.0.24.71 127.0.24.72 127.0.24.73)
h_write_nodes "$H_TMP/m.nodes" "${ADDR[@]}"
LOCK=$H_TMP/m.lock
# Ours first and alone, so that it holds the cluster lock and leads when the others join.
h_start_ours m0 "${ADDR[0]}" "$H_TMP/m.nodes" --reclock="$LOCK"
h_wait_ping m0 || fail "m0 (ours) answers ping"
check "m0 (ours) leads while alone" wait_for "[ \"\$(h_ctdb m0 leader 2>/dev/null)\" == 0 ]" 30
for i in 1 2; do h_start_stock "m$i" "${ADDR[$i]}" "$H_TMP/m.nodes" "$LOCK"; done
h_wait_converged "ours, stock, stock: all OK" 90 m0 m1 m2 -- OK OK OK || h_finish
assert_eq "the leader is m0 (ours)" "0" "$H_CONVERGED_LEADER"

h_ctdb m0 attach mixed.tdb persistent >/dev/null || fail "attach mixed.tdb persistent"
check "pstore 'kept' through m0" h_ctdb m0 pstore mixed.tdb kept value-of-kept
for i in 0 1 2; do
  check "m$i (${H_KIND[m$i]}) reads 'kept'" wait_for \
    "[ \"\$(h_ctdb m$i pfetch mixed.tdb kept 2>/dev/null)\" == value-of-kept ]" 10
done

# A record only m2's file has, written as a client would write a persistent record (24-byte
# header, rsn 1), without touching the database's sequence number.
F=$(ls "${H_DIR[m2]}"/db/persistent/mixed.tdb.* 2>/dev/null | head -n 1)
check "m2 has its persistent file" [ -f "$F" ]
/usr/bin/python3 - "$F" <<'EOF' || fail "write 'stale' into m2's file"
import os, struct, sys, tdb
t = tdb.Tdb(sys.argv[1], 0, tdb.DEFAULT, os.O_RDWR)
t[b"stale"] = struct.pack("<QIIII", 1, 2, 0, 0, 0) + b"only-on-m2"
t.close()
EOF
in_file() { tdbdump "$1" 2>/dev/null | grep -qF 'key(5) = "stale"'; }
check "before the recovery m2's file holds 'stale'" in_file "$F"

gen=$H_CONVERGED_GENERATION
h_ctdb m0 recover >/dev/null 2>&1 || fail "ctdb recover through m0"
check "a new generation, all OK" wait_for \
  "h_converged m0 m1 m2 -- OK OK OK && [ \"\$H_CONVERGED_GENERATION\" != $gen ]" 60 0.5
assert_eq "the recovery was led by m0 (ours)" "0" "$H_CONVERGED_LEADER"
check "after the recovery m2's file no longer holds 'stale'" eval "! in_file '$F'"
for i in 0 1 2; do
  assert_eq "m$i (${H_KIND[m$i]}) still reads 'kept'" "value-of-kept" \
    "$(h_ctdb m$i pfetch mixed.tdb kept 2>&1)"
  assert_eq "m$i (${H_KIND[m$i]}) has no 'stale'" "" "$(h_ctdb m$i pfetch mixed.tdb stale 2>/dev/null)"
done
h_finish
