#!/bin/bash
# A full disk under the persistent databases of one node (a small tmpfs), on 3 of our nodes:
# - a commit from another node that the full node cannot apply still succeeds for its client,
#   as in 4.17: the commit fails on the full node, a recovery follows, the full node cannot take
#   the recovered database either and is banned, and the others finish the commit;
# - a client of the full node gets a clear error and no hang;
# - the daemon keeps running, and every database file passes `tdbtool check` (nothing is
#   half-written);
# - once space is freed the node comes back, gets every committed record, and commits work again
#   from it; all nodes agree on every record.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_disk_full
MNT=$H_TMP/f1/db/persistent
h_small_disk "$MNT" 3m
OURS=$CTDB_BUILD_DIR/ctdb
h_start_ours_cluster f "$H_TMP/f.reclock" 127.0.9.51 127.0.9.52 127.0.9.53 ||
  fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 f0 f1 f2 -- OK OK OK || h_finish
for n in f0 f1 f2; do h_ctdb "$n" setvar RecoveryBanPeriod 10 >/dev/null; done

pstore() { H_TOOL=$OURS h_ctdb "$1" pstore df.tdb "$2" "$3"; }
pfetch() { H_TOOL=$OURS h_ctdb "$1" pfetch df.tdb "$2" 2>&1; }
# sum_of NODE KEY: a checksum of the record's value as NODE reads it (the big value is not printed).
sum_of() { pfetch "$1" "$2" | md5sum | cut -d' ' -f1; }
tdb_checks() {
  local n f out bad=""
  for n in f0 f1 f2; do
    for f in "${H_DIR[$n]}"/db/persistent/*.tdb.*; do
      [ -e "$f" ] || continue
      out=$(tdbtool "$f" check 2>&1)
      [[ "$out" == *"Database integrity is OK"* ]] || bad="$bad $f: $out"
    done
  done
  [ -z "$bad" ] || { echo "$bad" >&2; return 1; }
}

H_TOOL=$OURS h_ctdb f0 attach df.tdb persistent >/dev/null 2>&1 || fail "attach df.tdb"
check "pstore k1 before the disk fills" pstore f0 k1 before
dd if=/dev/zero of="$MNT/filler" bs=64k >/dev/null 2>&1
check "f1's persistent file system is full" [ "$(df --output=avail "$MNT" | tail -n 1)" -lt 64 ]

# ---- a commit from f0 that f1 cannot store
# 120 KB: more than the tdb file has free, less than one command-line argument may be.
big=$(head -c 120000 /dev/zero | tr '\0' x)
big_sum=$(printf '%s\n' "$big" | md5sum | cut -d' ' -f1)  # pfetch ends it with a newline
out=$(pstore f0 big "$big" 2>&1)
rc=$?
assert_eq "commit from f0: succeeds for its client ($out)" 0 "$rc"
check "commit from f0: f1 logs that it could not apply it" \
  grep -q "UPDATE_RECORD to db .* failed: transaction commit failed" "${H_LOG[f1]}"
check "commit from f0: f0 logs that f1 failed it and a recovery follows" \
  grep -q "A node failed to apply a persistent commit: forcing a recovery" "${H_LOG[f0]}"
check "commit from f0: f1 is banned (it cannot take the recovered database)" \
  wait_for '[[ "$(h_node_flags f0 1)" == BANNED* ]]' 60 0.5
assert_eq "commit from f0: f0 has the record" "$big_sum" "$(sum_of f0 big)"
assert_eq "commit from f0: f2 has the record" "$big_sum" "$(sum_of f2 big)"
check "f1's daemon still runs" h_node_running f1
check "every database file passes tdbtool check" tdb_checks

# ---- a client of the full node: while it is banned (or failing recoveries) its commits cannot
# go through; the tool gives up with an error (at worst its 30 s run limit), never hangs.
start=$(date +%s)
out=$(timeout 90 "$OURS" -T 30 --socket="${H_SOCK[f1]}" pstore df.tdb k2 from-f1 2>&1)
rc=$?
h_note "commit from f1 answered after $(($(date +%s) - start)) s (exit $rc): $out"
check "commit from f1 (full): fails (exit $rc), no hang" [ "$rc" != 0 ] && [ "$rc" != 124 ]
check "commit from f1 (full): the tool prints an error" [ -n "$out" ]
check "f1's daemon still runs after the refused commit" h_node_running f1
check "every database file still passes tdbtool check" tdb_checks

# ---- space freed
rm -f "$MNT/filler"
h_wait_converged "space freed: f1 back, all OK" 90 f0 f1 f2 -- OK OK OK
assert_eq "space freed: f1 has the record committed while it was full" "$big_sum" \
  "$(sum_of f1 big)"
check "space freed: commit from f1 works again" pstore f1 k3 after
for k in k1 k3; do
  want=$(pfetch f0 "$k")
  for n in f1 f2; do
    assert_eq "space freed: $n agrees on $k" "$want" "$(pfetch "$n" "$k")"
  done
done
# k2's commit failed for its client: whether it is in depends on when it failed (before or
# after the other nodes applied it), as 4.17's "indeterminate" commit; all nodes agree.
k2=$(pfetch f0 k2)
for n in f1 f2; do assert_eq "space freed: $n agrees on k2 ('$k2')" "$k2" "$(pfetch "$n" k2)"; done
check "every database file passes tdbtool check at the end" tdb_checks
h_finish
