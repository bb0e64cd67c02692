#!/bin/bash
# Debian's stock `ctdb` tool running the same database sequence against a 3-node cluster of
# ours and a 3-node stock cluster (CTDB_TEST_MODE), both with a recovery lock: attach, volatile
# records migrating between nodes (writekey/readkey, catdb/cattdb with dmaster and RSN),
# persistent pstore/pfetch/ptrans/pdelete with sequence numbers, wipedb, backupdb/restoredb/
# dumpdbbackup, getdbstatus/dbstatistics, a stock cluster's backup restored into ours, and the
# error cases. Node i of one cluster is compared with node i of the other: same normalised
# stdout, stderr and exit code.
source "$(dirname "$0")/lib.sh"

h_init stock_tool_databases
# This suite's daemons and files live under /tmp/idb-* (a prefix of its own, so that its
# directories never meet those of suites run next to it).
rmdir "$H_TMP"
H_TMP=$(mktemp -d /tmp/idb-stock_tool_databases.XXXXXX) || exit 2
h_note "temp dir moved to $H_TMP"

SUBJ_ADDRS=(127.0.0.191 127.0.0.192 127.0.0.193)
REF_ADDRS=(127.0.0.194 127.0.0.195 127.0.0.196)

h_start_cluster stock ref "${REF_ADDRS[@]}" || {
  fail "stock cluster answers ping"
  h_finish
}
h_start_ours_cluster subj "$H_TMP/subj.reclock" "${SUBJ_ADDRS[@]}" || {
  fail "our cluster answers ping"
  h_finish
}
h_wait_converged "stock cluster converged" 90 ref0 ref1 ref2 -- OK OK OK || h_finish
h_wait_converged "our cluster converged" 90 subj0 subj1 subj2 -- OK OK OK || h_finish

# Other nodes' addresses by index (ix_normalise already hides each node's own address); the
# per-side backup directory. Everything else (dmaster, RSN, seqnum, db ids, record order)
# must be the same on both sides.
IX_SED="s/127\\.0\\.0\\.19([14])/NODE0/g; s/127\\.0\\.0\\.19([25])/NODE1/g;
s/127\\.0\\.0\\.19([36])/NODE2/g;
s/@ [0-9]{4}\\/[0-9]{2}\\/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\$/@ <TIME>/"
BAK=$H_TMP/bak-%SIDE%
mkdir -p "$H_TMP/bak-ref" "$H_TMP/bak-subj"

# cmp_on I NAME [--stdin FILE] ARGS...: the command on node I of both clusters.
cmp_on() {
  local i=$1 name=$2
  shift 2
  ix_compare_pair "$name" "ref$i" "subj$i" "$@"
}
# cmp_all NAME ARGS...: the command on nodes 0, 1 and 2 in turn.
cmp_all() {
  local name=$1 i
  shift
  for i in 0 1 2; do cmp_on "$i" "$name (node $i)" "$@"; done
}

# Vacuuming runs on a timer (VacuumInterval) and changes what the local tdbs hold (empty
# records, RSNs, dmasters), so it is held off on both clusters for the whole sequence: a
# database attached from now on gets its first run an hour later.
# Recoveries (after a failed restore) are spaced by RerecoveryTimeout; shorten it.
for n in ref0 ref1 ref2 subj0 subj1 subj2; do
  h_ctdb "$n" setvar VacuumInterval 3600 >/dev/null || fail "setvar VacuumInterval on $n"
  h_ctdb "$n" setvar RerecoveryTimeout 1 >/dev/null || fail "setvar RerecoveryTimeout on $n"
done

# settle LABEL: both clusters back out of recovery. wipedb and restoredb freeze the database
# on every node, and a failing one (see the volatile restores below) sets the recovery mode to
# ACTIVE before it exits, so the next command must wait for the recovery that follows.
settle() {
  h_wait_converged "stock cluster settled after $1" 90 ref0 ref1 ref2 -- OK OK OK
  h_wait_converged "our cluster settled after $1" 90 subj0 subj1 subj2 -- OK OK OK
}

# -- attach ------------------------------------------------------------------------------------
cmp_on 0 "attach a volatile db" attach vol.tdb
cmp_on 0 "attach a persistent db" attach per.tdb persistent
cmp_on 1 "attach again from another node" attach vol.tdb
cmp_on 0 "attach a persistent db again as volatile" attach per.tdb
cmp_all "getdbmap" getdbmap
cmp_on 2 "getdbmap -X" -X getdbmap
cmp_all "getdbstatus volatile" getdbstatus vol.tdb
cmp_all "getdbstatus persistent" getdbstatus per.tdb

# -- volatile records migrate ------------------------------------------------------------------
# Several keys so that the lmasters differ (the lmaster is the key hash modulo the vnnmap).
for k in k1 k2 k3 k4; do
  cmp_on 0 "writekey $k on node 0" writekey vol.tdb "$k" "value-$k"
done
for i in 1 2; do
  for k in k1 k2 k3 k4; do
    cmp_on "$i" "readkey $k on node $i (record migrates)" readkey vol.tdb "$k"
  done
done
cmp_on 2 "readkey of a missing key" readkey vol.tdb nokey
cmp_all "catdb volatile after migration" --filter ix_sort_records catdb vol.tdb
cmp_all "cattdb volatile after migration" cattdb vol.tdb
cmp_on 1 "writekey k1 on node 1 (overwrite)" writekey vol.tdb k1 newer
cmp_on 0 "readkey k1 on node 0 after overwrite" readkey vol.tdb k1
cmp_on 2 "writekey a hex key and value" writekey vol.tdb 0x6b35 0x00ff41
cmp_all "catdb volatile after overwrite" --filter ix_sort_records catdb vol.tdb
cmp_all "cattdb volatile after overwrite" cattdb vol.tdb
cmp_on 1 "deletekey k2 on node 1" deletekey vol.tdb k2
cmp_all "catdb volatile after deletekey" --filter ix_sort_records catdb vol.tdb
cmp_all "cattdb volatile after deletekey" cattdb vol.tdb

# -- persistent records ------------------------------------------------------------------------
cmp_all "getdbseqnum of an empty persistent db" getdbseqnum per.tdb
cmp_on 1 "pstore on node 1" pstore per.tdb pk1 pv1
for i in 0 2; do cmp_on "$i" "pfetch pk1 on node $i" pfetch per.tdb pk1; done
cmp_all "getdbseqnum after pstore" getdbseqnum per.tdb
cmp_on 2 "pstore overwrite on node 2" pstore per.tdb pk1 pv1-second
cmp_all "pfetch pk1 after overwrite" pfetch per.tdb pk1
cmp_all "getdbseqnum after a second pstore" getdbseqnum per.tdb
printf '"pk2" "pv2"\n"pk3" "pv3"\n"pk4" "value with spaces"\n"pk1" "pv1-ptrans"\n' \
  >"$H_TMP/ptrans.in"
cmp_on 0 "ptrans of four keys on node 0" --stdin "$H_TMP/ptrans.in" ptrans per.tdb
for i in 1 2; do
  for k in pk1 pk2 pk3 pk4; do cmp_on "$i" "pfetch $k after ptrans" pfetch per.tdb "$k"; done
done
cmp_all "getdbseqnum after ptrans" getdbseqnum per.tdb
cmp_all "catdb persistent after ptrans" catdb per.tdb
cmp_all "cattdb persistent after ptrans" cattdb per.tdb
cmp_on 0 "pdelete pk3 on node 0" pdelete per.tdb pk3
cmp_all "pfetch of the deleted key" pfetch per.tdb pk3
cmp_all "getdbseqnum after pdelete" getdbseqnum per.tdb
cmp_all "catdb persistent after pdelete" catdb per.tdb
cmp_on 1 "pdelete of a missing key" pdelete per.tdb nokey
cmp_on 1 "getdbseqnum after pdelete of a missing key" getdbseqnum per.tdb
cmp_on 2 "pfetch of a missing key" pfetch per.tdb nokey
cmp_on 2 "ptrans from a file" ptrans per.tdb "$H_TMP/ptrans.in"
cmp_on 2 "getdbseqnum after ptrans from a file" getdbseqnum per.tdb

# -- statistics and status ---------------------------------------------------------------------
cmp_all "getdbstatus volatile with records" getdbstatus vol.tdb
cmp_all "getdbstatus persistent with records" getdbstatus per.tdb
VOL_ID=$(h_ctdb ref0 -X getdbmap | awk -F'|' '$3 == "vol.tdb" { print $2 }')
cmp_on 0 "getdbstatus by db id" getdbstatus "$VOL_ID"
cmp_all "dbstatistics persistent" dbstatistics per.tdb

# -- backup, wipe, restore ---------------------------------------------------------------------
# wipedb and restoredb freeze the database on every active node outside recovery mode
# (DB_FREEZE), then DB_TRANSACTION_START, WIPE_DATABASE, [DB_PUSH_START, records as messages,
# DB_PUSH_CONFIRM], DB_SET_HEALTHY, DB_TRANSACTION_COMMIT, DB_THAW. These checks assert what
# 4.17 does, including its quirks (a pushed record is stored by the migration store rules, so a
# volatile restore can fail with rc 0); see the comments at xfer-vol below.
cmp_on 1 "backupdb persistent on node 1" backupdb per.tdb "$BAK/per.bak"
cmp_on 1 "backupdb volatile on node 1" backupdb vol.tdb "$BAK/vol.bak"
cmp_on 0 "dumpdbbackup persistent" dumpdbbackup "$BAK/per.bak"
cmp_on 0 "dumpdbbackup volatile" dumpdbbackup "$BAK/vol.bak"
cmp_on 2 "wipedb persistent" wipedb per.tdb
settle "wipedb persistent"
cmp_all "catdb persistent after wipedb" catdb per.tdb
cmp_all "getdbseqnum after wipedb" getdbseqnum per.tdb
cmp_on 0 "wipedb volatile" wipedb vol.tdb
settle "wipedb volatile"
cmp_all "catdb volatile after wipedb" --filter ix_sort_records catdb vol.tdb
cmp_on 1 "restoredb persistent on node 1" restoredb "$BAK/per.bak"
settle "restoredb persistent on node 1"
cmp_all "catdb persistent after restoredb" catdb per.tdb
cmp_all "getdbseqnum after restoredb" getdbseqnum per.tdb
cmp_all "pfetch pk4 after restoredb" pfetch per.tdb pk4
# Fails on the stock cluster too (rc 0, "Node N received 0 of M records"): see xfer-vol below.
cmp_on 2 "restoredb volatile on node 2" restoredb "$BAK/vol.bak"
settle "restoredb volatile on node 2"
cmp_all "catdb volatile after restoredb" --filter ix_sort_records catdb vol.tdb
cmp_all "cattdb volatile after restoredb" cattdb vol.tdb
cmp_on 0 "restoredb into a new name" restoredb "$BAK/per.bak" copy.tdb
settle "restoredb into a new name"
cmp_all "catdb of the restored copy" catdb copy.tdb
cmp_on 1 "getdbstatus of the restored copy" getdbstatus copy.tdb

# A backup the stock tool took from the stock cluster, restored into both clusters.
cp "$H_TMP/bak-ref/per.bak" "$H_TMP/stock-per.bak"
cp "$H_TMP/bak-ref/vol.bak" "$H_TMP/stock-vol.bak"
cmp_on 0 "restoredb of the stock cluster's persistent backup" \
  restoredb "$H_TMP/stock-per.bak" xfer-per.tdb
settle "restoring the stock persistent backup"
cmp_all "catdb of the stock persistent backup, restored" catdb xfer-per.tdb
cmp_all "pfetch from the stock persistent backup" pfetch xfer-per.tdb pk1
# Node 1's copy of vol.tdb holds empty records of which other nodes are neither dmaster nor
# lmaster: 4.17 stores a pushed record by the same rules as a migrated one, so those nodes
# "delete" it, which fails on the wiped tdb, and they count none of the buffer's records. The
# tool then prints "Node N received 0 of 5 records", yet exits 0, and starts a recovery.
cmp_on 2 "restoredb of the stock cluster's volatile backup" \
  restoredb "$H_TMP/stock-vol.bak" xfer-vol.tdb
settle "restoring the stock volatile backup"
cmp_all "catdb of the stock volatile backup, restored" --filter ix_sort_records catdb xfer-vol.tdb
cmp_all "readkey from the stock volatile backup" readkey xfer-vol.tdb k3
# A volatile database written through node 0 only: node 0's copy holds every record with its
# data, which every node keeps when pushed, so this backup restores everywhere.
cmp_on 0 "attach a volatile db written from node 0 only" attach src.tdb
for k in s1 s2 s3 s4 s5; do
  cmp_on 0 "writekey $k into src.tdb" writekey src.tdb "$k" "data-$k"
done
cmp_on 0 "backupdb of src.tdb on node 0" backupdb src.tdb "$BAK/src.bak"
cp "$H_TMP/bak-ref/src.bak" "$H_TMP/stock-src.bak"
cmp_on 1 "restoredb of the stock cluster's backup of src.tdb" \
  restoredb "$H_TMP/stock-src.bak" xfer-src.tdb
settle "restoring the stock backup of src.tdb"
cmp_all "catdb of the stock src.tdb backup, restored" --filter ix_sort_records catdb xfer-src.tdb
cmp_all "cattdb of the stock src.tdb backup, restored" cattdb xfer-src.tdb
cmp_all "readkey from the stock src.tdb backup" readkey xfer-src.tdb s2
cmp_all "catdb after readkey of a restored record" --filter ix_sort_records catdb xfer-src.tdb

# The same, said plainly: our nodes show the records of the stock cluster's backups.
for i in 0 1 2; do
  assert_contains "our node $i shows the stock persistent backup's records" \
    "$(h_ctdb "subj$i" catdb xfer-per.tdb 2>&1)" 'data(10) = "pv1-ptrans"'
  assert_contains "our node $i shows the stock volatile backup's records" \
    "$(h_ctdb "subj$i" catdb xfer-src.tdb 2>&1)" 'data(7) = "data-s4"'
done

# -- errors ------------------------------------------------------------------------------------
cmp_on 0 "catdb of an unknown db" catdb nosuch.tdb
cmp_on 1 "cattdb of an unknown db" cattdb nosuch.tdb
cmp_on 2 "readkey of an unknown db" readkey nosuch.tdb k1
cmp_on 0 "pfetch of an unknown db" pfetch nosuch.tdb k1
cmp_on 0 "getdbseqnum of an unknown db" getdbseqnum nosuch.tdb
cmp_on 0 "getdbstatus of an unknown db" getdbstatus nosuch.tdb
cmp_on 0 "dbstatistics of an unknown db" dbstatistics nosuch.tdb
cmp_on 0 "wipedb of an unknown db" wipedb nosuch.tdb
cmp_on 0 "backupdb of an unknown db" backupdb nosuch.tdb "$BAK/nosuch.bak"
cmp_on 1 "readkey on a persistent db" readkey per.tdb pk1
cmp_on 1 "writekey on a persistent db" writekey per.tdb pk1 x
cmp_on 1 "deletekey on a persistent db" deletekey per.tdb pk1
cmp_on 2 "pstore on a volatile db" pstore vol.tdb k1 x
cmp_on 2 "pfetch on a volatile db" pfetch vol.tdb k1
cmp_on 2 "pdelete on a volatile db" pdelete vol.tdb k1
cmp_on 2 "ptrans on a volatile db" --stdin "$H_TMP/ptrans.in" ptrans vol.tdb
cmp_on 2 "getdbseqnum of a volatile db" getdbseqnum vol.tdb
printf '"pk9" "v"\n"pk10 "x"\n' >"$H_TMP/ptrans.bad"
cmp_on 0 "ptrans with a malformed line" --stdin "$H_TMP/ptrans.bad" ptrans per.tdb
cmp_on 0 "getdbseqnum after the malformed ptrans" getdbseqnum per.tdb
cmp_on 0 "restoredb of a missing file" restoredb "$H_TMP/no-such.bak"
settle "restoredb of a missing file"
head -c 50 /dev/zero >"$H_TMP/zero.bak"
cmp_on 1 "restoredb of a file of zeros" restoredb "$H_TMP/zero.bak"
settle "restoredb of a file of zeros"
head -c 200 "$H_TMP/stock-per.bak" >"$H_TMP/truncated.bak"
cmp_on 2 "restoredb of a truncated backup" restoredb "$H_TMP/truncated.bak" trunc.tdb
settle "restoredb of a truncated backup"
cmp_on 2 "dumpdbbackup of a truncated backup" dumpdbbackup "$H_TMP/truncated.bak"
cmp_on 0 "dumpdbbackup of a missing file" dumpdbbackup "$H_TMP/no-such.bak"
cmp_on 0 "getdbmap after the errors" getdbmap

# Both clusters are still settled after all of this.
h_wait_converged "stock cluster still converged" 60 ref0 ref1 ref2 -- OK OK OK
h_wait_converged "our cluster still converged" 60 subj0 subj1 subj2 -- OK OK OK

h_finish
