#!/bin/bash
# A full disk under the volatile databases of one node (a small tmpfs), on 3 of our nodes:
# - a record migrating onto the full node (a fetch there) cannot be stored: the call fails for
#   its client with an error, the node forces a recovery (4.17 aborts the daemon here), and the
#   record's data, still on the node that sent it, stays the record's: nothing is lost;
# - that recovery cannot push the database to the full node either: its recoveries fail and it
#   is banned, while the other nodes recover and serve every record;
# - the daemon keeps running; once space is freed the node comes back with every record, every
#   volatile database file passes `tdbtool check`, and all nodes agree.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_disk_full_volatile
MNT=$H_TMP/v1/db/volatile
h_small_disk "$MNT" 3m
OURS=$CTDB_BUILD_DIR/ctdb
h_start_ours_cluster v "$H_TMP/v.reclock" 127.0.9.56 127.0.9.57 127.0.9.58 ||
  fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 v0 v1 v2 -- OK OK OK || h_finish
for n in v0 v1 v2; do h_ctdb "$n" setvar RecoveryBanPeriod 10 >/dev/null; done

# sum_of NODE KEY: a checksum of the record's value as a fetch on NODE returns it.
sum_of() { H_TOOL=$OURS h_ctdb "$1" readkey vol.tdb "$2" 2>&1 | md5sum | cut -d' ' -f1; }
tdb_checks() {
  local n f out bad=""
  for n in v0 v1 v2; do
    for f in "${H_DIR[$n]}"/db/volatile/vol.tdb.*; do
      out=$(timeout 30 tdbtool "$f" check 2>&1)
      [[ "$out" == *"Database integrity is OK"* ]] || bad="$bad $f: $out"
    done
  done
  [ -z "$bad" ] || { echo "$bad" >&2; return 1; }
}

h_ctdb v0 attach vol.tdb >/dev/null 2>&1 || fail "attach vol.tdb"
# Six 100 KB records written on v0 and v2: more than v1's file has free.
big=$(head -c 100000 /dev/zero | tr '\0' y)
KEYS=(b1 b2 b3 b4 b5 b6)
i=0
for k in "${KEYS[@]}"; do
  n=v$(((i % 2) * 2))
  check "write $k on $n" eval "H_TOOL=$OURS h_ctdb $n writekey vol.tdb $k \"\$big\" >/dev/null"
  i=$((i + 1))
done
want=$(sum_of v2 b1)
dd if=/dev/zero of="$MNT/filler" bs=64k >/dev/null 2>&1
check "v1's volatile file system is full" [ "$(df --output=avail "$MNT" | tail -n 1)" -lt 64 ]

# ---- migrations onto the full node: fetches on v1 until one cannot be stored there
failed=""
for k in "${KEYS[@]}"; do
  if ! out=$(H_TOOL=$OURS h_ctdb v1 readkey vol.tdb "$k" 2>&1); then
    failed=$k
    break
  fi
done
check "a fetch on v1 (full) fails for its client (${failed:-none did})" [ -n "$failed" ]
h_note "the fetch of $failed on v1 said: $(head -c 200 <<<"$out")"
check "fetch on v1: v1 logs why" \
  grep -q "cannot store a migrated record of vol.tdb" "${H_LOG[v1]}"
check "fetch on v1: v1 forces a recovery" \
  grep -q "A migrated record could not be stored: forcing a recovery" "${H_LOG[v1]}"
check "the recovery cannot push the database to v1: v1 is banned" \
  wait_for '[[ "$(h_node_flags v0 1)" == BANNED* ]]' 90 0.5
check "v1's daemon still runs" h_node_running v1
check "the others recover without v1" wait_for \
  'h_converged v0 v2 -- OK "BANNED[A-Z|]*" OK' 60 0.5
for k in "${KEYS[@]}"; do
  assert_eq "no data lost: $k reads the same on v2" "$want" "$(sum_of v2 "$k")"
done

# ---- space freed
rm -f "$MNT/filler"
h_wait_converged "space freed: v1 back, all OK" 90 v0 v1 v2 -- OK OK OK
for k in "${KEYS[@]}"; do
  assert_eq "space freed: $k reads the same on v1" "$want" "$(sum_of v1 "$k")"
done
check "every volatile database file passes tdbtool check" tdb_checks
h_finish
