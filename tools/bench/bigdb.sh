#!/bin/bash
# Big databases side by side (issue 16): our 3-node cluster and the stock one, each filled with a
# volatile database of BENCH_BIG_RECORDS records and a persistent one of BENCH_BIG_PERSISTENT,
# then timed on recovery, catdb, vacuuming and memory. Prints "NAME ours=X stock=Y ratio=Z"
# (ratio > 1: ours is better; stock/ours for times and memory, ours/stock for rates).
#
# run_bench.sh sources this file once its clusters are up and calls
#   bigdb_main OURS_PREFIX STOCK_PREFIX COUNT     (nodes PREFIX0..PREFIX<COUNT-1> of harness.sh)
# Run directly (bash tools/bench/bigdb.sh) it starts the two clusters itself, as run_bench.sh
# does (BENCH_OURS_ADDRS / BENCH_STOCK_ADDRS, CTDB_BUILD_DIR), and calls bigdb_main.
#
# Knobs: BENCH_BIG_RECORDS (1000000), BENCH_BIG_PERSISTENT (200000), BENCH_VACUUM_RECORDS
# (500000), BENCH_RECOVER_STEPS ("250000 500000 1000000": volatile sizes at which recovery is
# also timed), BENCH_BIG_VALUE_SIZE (100 bytes), BENCH_WORKLOADS (parts to run: recover catdb
# vacuum memory; empty: all), CTDB_FILL (default $CTDB_BUILD_DIR/ctdb_fill).
# stdout: result lines only; stderr: "# " diagnostics (per-phase wall times among them). A part
# that fails on either side (error, timeout, lost record) prints no line and says why on stderr;
# bigdb_main then returns 1. The lines:
#   recover_rN           seconds from `ctdb recover`'s control reaching the leader to the leader
#                        logging the recovery done (NORMAL and "recovered" on every node), with
#                        N volatile records; the leaders' log lines are named at BIGDB_RECOVERY_LINES
#   recover_rN floor_ratio_ours=A floor_ratio_stock=B
#                        the least time libtdb alone allows for that recovery on this machine
#                        (bigdb_store_floor) over each side's time
#   recover              the same with BENCH_BIG_RECORDS volatile + BENCH_BIG_PERSISTENT persistent
#   catdb                records/s of the stock `ctdb catdb` of the volatile database
#   catdb_own_tool       the same with each daemon's own tool (ours: $CTDB_BUILD_DIR/ctdb)
#   vacuum               seconds from the end of BENCH_VACUUM_RECORDS smbd-style deletes until
#                        vacuuming is done: every deleted record gone from every node and every
#                        freelist below RepackLimit, or else the last change before vacuuming went
#                        quiet for two VacuumIntervals (4.17 may leave records for a full run)
#   vacuum_left_records  deleted records still present then, summed over the nodes (ratio stock/
#                        ours, "inf" when ours left none and stock some)
#   memory_idle_kib, memory_1m_kib   VmRSS summed over every process of the cluster's daemons,
#                        before the fill and with BENCH_BIG_RECORDS volatile records (after their
#                        recovery when recover runs)
#
# The volatile fill writes each key on its lmaster node straight into the local tdb under the
# chain lock, as a new record that node is dmaster of (see tools/bench/ctdb_fill.cpp); the
# persistent fill uses client transactions of BIGDB_BATCH records. Deletes are smbd's (empty
# record + SCHEDULE_FOR_DELETION without reply). Counts read each node's tdb without locks.

BIGDB_VOLATILE_DB=bigdb_volatile.tdb
BIGDB_PERSISTENT_DB=bigdb_persistent.tdb
BIGDB_BATCH=${BIGDB_BATCH:-10000}
BIGDB_STATUS=0

bigdb_note() { echo "# $*" >&2; }

# bigdb_wanted PART: BENCH_WORKLOADS is empty or lists PART.
bigdb_wanted() { [ -z "${BENCH_WORKLOADS:-}" ] || [[ " $BENCH_WORKLOADS " == *" $1 "* ]]; }

bigdb_now() { h_now_us; }
bigdb_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }

# bigdb_socks PREFIX: the Unix sockets of PREFIX0..PREFIX<COUNT-1>, one per line.
bigdb_socks() {
  local i
  for ((i = 0; i < BIGDB_COUNT; i++)); do printf '%s\n' "${H_SOCK[$1$i]}"; done
}

# bigdb_set_socks PREFIX: the sockets, as an array, in BIGDB_SOCKS.
bigdb_set_socks() { mapfile -t BIGDB_SOCKS < <(bigdb_socks "$1"); }

# bigdb_line NAME OURS STOCK HOW: prints the result line; HOW is "stock/ours" or "ours/stock".
# A zero denominator gives ratio=inf (1.00 when both are zero): counts of records left behind.
bigdb_line() {
  awk -v n="$1" -v o="$2" -v s="$3" -v how="$4" 'BEGIN {
    num = (how == "stock/ours") ? s : o; den = (how == "stock/ours") ? o : s
    r = (den > 0) ? sprintf("%.2f", num / den) : (num > 0 ? "inf" : "1.00")
    printf "%s ours=%s stock=%s ratio=%s\n", n, o, s, r }'
}

# bigdb_both FUNC ARGS...: "FUNC OURS_PREFIX ARGS" and "FUNC STOCK_PREFIX ARGS" at the same
# time (steps whose duration is not a figure, and the vacuum part: see bigdb_main); their
# stdout in BIGDB_BOTH_OURS / BIGDB_BOTH_STOCK. True when both succeed.
bigdb_both() {
  local fn=$1 po ps ro=0 rs=0
  shift
  "$fn" "$BIGDB_OURS" "$@" >"$H_TMP/bigdb.both.ours" &
  po=$!
  "$fn" "$BIGDB_STOCK" "$@" >"$H_TMP/bigdb.both.stock" &
  ps=$!
  wait "$po" || ro=1
  wait "$ps" || rs=1
  BIGDB_BOTH_OURS=$(cat "$H_TMP/bigdb.both.ours")
  BIGDB_BOTH_STOCK=$(cat "$H_TMP/bigdb.both.stock")
  [ $ro == 0 ] && [ $rs == 0 ]
}

# ---------------------------------------------------------------------------------------------
# Memory: VmRSS of every process in the daemons' process groups (stock: ctdb-recoverd,
# ctdb-eventd, helpers), summed over the cluster. On stderr beside it: the anonymous part (heap;
# the rest is mostly the tdb files' mapped pages) and Pss, since forked children share pages
# that RSS counts once per process.

bigdb_mem() {
  local prefix=$1 i pid v a p rss=0 anon=0 pss=0 procs=0 nodes=""
  for ((i = 0; i < BIGDB_COUNT; i++)); do
    local pg=${H_PID[$prefix$i]} node_rss=0 node_anon=0
    while read -r pid; do
      read -r v a < <(awk '$1 == "VmRSS:" { r = $2 } $1 == "RssAnon:" { a = $2 }
        END { print r, a }' "/proc/$pid/status" 2>/dev/null)
      [ -n "$v" ] || continue
      p=$(awk '$1 == "Pss:" { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null)
      node_rss=$((node_rss + v))
      node_anon=$((node_anon + ${a:-0}))
      pss=$((pss + ${p:-0}))
      procs=$((procs + 1))
    done < <(cat /proc/[0-9]*/stat 2>/dev/null |
      awk -v pg="$pg" '{ pid = $1; sub(/^.*\) /, ""); if ($3 == pg) print pid }')
    rss=$((rss + node_rss))
    anon=$((anon + node_anon))
    nodes+=",$prefix$i=$node_rss/$node_anon"
  done
  echo "$rss $pss $procs $anon ${nodes#,}"
}

# bigdb_mem_note LABEL: both sides' memory on stderr; sets BIGDB_MEM_OURS / BIGDB_MEM_STOCK (RSS).
bigdb_mem_note() {
  local o s
  read -r -a o < <(bigdb_mem "$BIGDB_OURS")
  read -r -a s < <(bigdb_mem "$BIGDB_STOCK")
  BIGDB_MEM_OURS=${o[0]}
  BIGDB_MEM_STOCK=${s[0]}
  bigdb_note "memory $1: ours RSS ${o[0]} KiB (anonymous ${o[3]}), PSS ${o[1]} KiB in ${o[2]}" \
    "processes; stock RSS ${s[0]} KiB (anonymous ${s[3]}), PSS ${s[1]} KiB in ${s[2]} processes;" \
    "per node RSS/anonymous KiB: ${o[4]} ${s[4]}"
}

# ---------------------------------------------------------------------------------------------
# Fill and verify

# bigdb_fill_volatile PREFIX FROM TO
bigdb_fill_volatile() {
  local prefix=$1 out
  bigdb_set_socks "$prefix"
  out=$("$CTDB_FILL" volatile --value-size="$BIGDB_VALUE_SIZE" "$BIGDB_VOLATILE_DB" "$2" "$3" \
    "${BIGDB_SOCKS[@]}" 2> >(sed "s/^#* */# $prefix: /" >&2)) || {
    bigdb_note "$prefix: volatile fill $2..$3 failed"
    return 1
  }
  bigdb_note "$prefix: $out"
}

# bigdb_fill_persistent PREFIX FROM TO
bigdb_fill_persistent() {
  local prefix=$1 out
  bigdb_set_socks "$prefix"
  out=$("$CTDB_FILL" persistent --value-size="$BIGDB_VALUE_SIZE" --batch="$BIGDB_BATCH" \
    "$BIGDB_PERSISTENT_DB" "$2" "$3" "${BIGDB_SOCKS[0]}" \
    2> >(sed "s/^#* */# $prefix: /" >&2)) || {
    bigdb_note "$prefix: persistent fill $2..$3 failed"
    return 1
  }
  bigdb_note "$prefix: $out"
}

# bigdb_fill_checked PREFIX FROM TO: bigdb_fill_volatile, then bigdb_check_volatile.
bigdb_fill_checked() {
  bigdb_fill_volatile "$1" "$2" "$3" && bigdb_check_volatile "$1" "$3" 0
}

# bigdb_persistent_checked PREFIX N: the persistent fill of N records, then its check.
bigdb_persistent_checked() {
  bigdb_fill_persistent "$1" 0 "$2" && bigdb_check_persistent "$1" "$2"
}

# bigdb_count PREFIX [ctdb_fill count options...] DB TO: one line per node.
bigdb_count() {
  local prefix=$1
  shift
  bigdb_set_socks "$prefix"
  "$CTDB_FILL" count --value-size="$BIGDB_VALUE_SIZE" "$@" "${BIGDB_SOCKS[@]}" \
    2> >(sed "s/^#* */# $prefix: /" >&2)
}

# bigdb_check_volatile PREFIX N EVERYWHERE [DELETED]: the volatile database holds keys 0..N-1
# (less the DELETED ones the vacuum part deleted) with the values written, each with exactly one
# copy whose node is its dmaster; with EVERYWHERE=1 (after a recovery) every node holds every
# record. Deleted records still present are reported (vacuuming may leave some), not failed.
bigdb_check_volatile() {
  local prefix=$1 n=$2 everywhere=$3 deleted=${4:-0} out
  out=$(bigdb_count "$prefix" --delete="$deleted" "$BIGDB_VOLATILE_DB" "$n") || {
    bigdb_note "$prefix: counting the volatile database failed"
    return 1
  }
  sed "s/^/#   $prefix /" <<<"$out" >&2
  awk -v n="$n" -v kept=$((n - deleted)) -v all="$everywhere" -v deleted="$deleted" \
    -v p="$prefix" '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      own += v["own_kept"]; bad += v["bad"]; left += v["deleted_present"]
      if (all == 1 && v["kept_live"] != kept) short = short " pnn" v["pnn"] "=" v["kept_live"]
      if (v["live"] > n) extra = 1 }
    END {
      err = ""
      if (own != kept) err = err " dmaster copies " own " (want " kept ");"
      if (bad) err = err " " bad " records with wrong values;"
      if (short != "") err = err " nodes without every record:" short ";"
      if (extra) err = err " a node holds more records than exist;"
      if (err != "") { print "# " p ": volatile check FAILED:" err > "/dev/stderr"; exit 1 }
      msg = kept " records" (all == 1 ? " on every node" : "")
      if (deleted) msg = msg ", " left " deleted records still present (summed over the nodes)"
      print "# " p ": volatile check ok: " msg > "/dev/stderr" }' <<<"$out"
}

# bigdb_check_persistent PREFIX N: every node holds all N records with the values written.
bigdb_check_persistent() {
  local prefix=$1 n=$2 out
  out=$(bigdb_count "$prefix" --persistent "$BIGDB_PERSISTENT_DB" "$n") || {
    bigdb_note "$prefix: counting the persistent database failed"
    return 1
  }
  sed "s/^/#   $prefix /" <<<"$out" >&2
  awk -v want="$n" -v p="$prefix" '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      if (v["live"] != want || v["bad"] != 0) err = err " pnn" v["pnn"] "=" v["live"] "/" v["bad"] }
    END {
      if (err != "") { print "# " p ": persistent check FAILED (records/bad):" err > "/dev/stderr"; exit 1 }
      print "# " p ": persistent check ok: " want " records on every node" > "/dev/stderr" }' <<<"$out"
}

# ---------------------------------------------------------------------------------------------
# Recovery

# bigdb_leader_node PREFIX: the node name of the cluster's leader.
bigdb_leader_node() {
  local pnn
  pnn=$(H_TOOL=/usr/bin/ctdb H_TOOL_TIMEOUT=10 h_ctdb "${1}0" leader 2>/dev/null) || return 1
  [[ "$pnn" =~ ^[0-9]+$ ]] || return 1
  echo "$1$pnn"
}

# After a recovery both daemons refuse another for RerecoveryTimeout (10 s) and log when they
# allow them again: enabled when the last "Disabling recoveries" line has a "Reenabling" after it.
bigdb_recoveries_enabled() {
  local log=${H_LOG[$1]} d r
  d=$(grep -n 'Disabling recoveries for' "$log" | tail -n 1 | cut -d: -f1)
  r=$(grep -n 'Reenabling recoveries' "$log" | tail -n 1 | cut -d: -f1)
  [ -z "$d" ] || { [ -n "$r" ] && [ "$r" -gt "$d" ]; }
}

# The stock daemons run with -i (harness.sh), which logs to stderr without timestamps; a
# follower stamps each line of a log as it arrives (2 ms polling; it ends with its parent or
# after 15 minutes). It runs for ours too, whose lines carry their own timestamps, to show the
# stamping lag.
BIGDB_STAMPER='
import os, sys, time
path, out = sys.argv[1], sys.argv[2]
f = open(path, "rb"); f.seek(0, os.SEEK_END)
o = open(out, "w", buffering=1)
buf = b""
parent, end = os.getppid(), time.time() + 900
while os.getppid() == parent and time.time() < end:
    chunk = f.read()
    if chunk:
        t = time.time(); buf += chunk
        *lines, buf = buf.split(b"\n")
        for l in lines: o.write("%.6f\t%s\n" % (t, l.decode("utf-8", "replace")))
    else:
        time.sleep(0.002)
'

# Finds the recovery's lines in a stamped log. Prints "control proper end end_own" in epoch
# seconds: control = "Recovery mode set to ACTIVE" (the tool's control arriving at the leader),
# proper = the leader starting the recovery, end = the leader's line once recovery mode is
# NORMAL everywhere and the "recovered" event ran on every node; end_own = the end from ours'
# own timestamp (empty for stock).
BIGDB_RECOVERY_LINES='
import sys, datetime
kind, path = sys.argv[1], sys.argv[2]
if kind == "ours":
    marks = {"control": "Recovery mode set to ACTIVE", "proper": "Recovery started on",
             "end": "Recovery complete, generation"}
else:
    marks = {"control": "Recovery mode set to ACTIVE", "proper": "Starting do_recovery",
             "end": "recovered event finished"}
found, own = {}, ""
for line in open(path, encoding="utf-8", errors="replace"):
    t, _, msg = line.rstrip("\n").partition("\t")
    for k, m in marks.items():
        if k not in found and m in msg:
            found[k] = float(t)
            if k == "end" and kind == "ours":
                ts = msg.split(" ", 1)[0]
                own = "%.6f" % datetime.datetime.fromisoformat(ts).timestamp()
if len(found) != 3:
    sys.exit("missing: " + ", ".join(k for k in marks if k not in found))
print("%.6f %.6f %.6f %s" % (found["control"], found["proper"], found["end"], own))
'

# bigdb_recover PREFIX LABEL: `ctdb recover` on the leader; prints "FROM_CONTROL PROPER OUTSIDE"
# in seconds (leader's log: control received -> recovered; recovery proper; tool start -> every
# node NORMAL with a new generation) and the details on stderr.
bigdb_recover() {
  local prefix=$1 label=$2 leader log gen0 stamp spid t0 t1 t2 out tool_rc lines
  leader=$(bigdb_leader_node "$prefix") || {
    bigdb_note "$prefix: no leader"
    return 1
  }
  log=${H_LOG[$leader]}
  if ! wait_for "bigdb_recoveries_enabled $leader" 30 0.2; then
    bigdb_note "$prefix: recoveries still disabled on $leader after 30 s"
    return 1
  fi
  bigdb_set_socks "$prefix"
  gen0=$("$CTDB_FILL" generation "${H_SOCK[$leader]}") || return 1
  stamp=$H_TMP/bigdb.stamp.$prefix
  : >"$stamp"
  /usr/bin/python3 -c "$BIGDB_STAMPER" "$log" "$stamp" &
  spid=$!
  h_track_pid "$spid"
  sleep 0.2
  t0=$(bigdb_now)
  H_TOOL=/usr/bin/ctdb H_TOOL_TIMEOUT=600 h_ctdb "$leader" recover >/dev/null \
    2>"$H_TMP/bigdb.recover.err" &
  local tool=$!
  out=$("$CTDB_FILL" wait-recovered --generation="$gen0" --timeout=600 "${BIGDB_SOCKS[@]}" \
    2> >(sed "s/^/# $prefix: /" >&2))
  local wait_rc=$?
  t1=$(bigdb_now)
  wait "$tool"
  tool_rc=$?
  t2=$(bigdb_now)
  sleep 0.3
  kill "$spid" 2>/dev/null
  wait "$spid" 2>/dev/null
  if [ $wait_rc != 0 ] || [ $tool_rc != 0 ]; then
    bigdb_note "$prefix: recovery failed (wait $wait_rc, ctdb recover $tool_rc):" \
      "$(cat "$H_TMP/bigdb.recover.err")"
    return 1
  fi
  lines=$(/usr/bin/python3 -c "$BIGDB_RECOVERY_LINES" "${H_KIND[$leader]}" "$stamp" 2>&1) || {
    bigdb_note "$prefix: recovery lines not found in $leader's log ($lines)"
    return 1
  }
  bigdb_note "$prefix $label: nodes polled during the recovery: $out"
  grep -o 'Recovered database .*' "$stamp" | sed "s/^/# $prefix $label: /" >&2
  local c p e own
  read -r c p e own <<<"$lines"
  awk -v c="$c" -v p="$p" -v e="$e" -v own="$own" -v t0="$t0" -v t1="$t1" -v t2="$t2" \
    -v who="$prefix $label (leader $leader)" 'BEGIN {
      printf "# %s: leader log: control->recovered %.3f s, recovery proper %.3f s" \
        " (detection %.3f s); outside: tool start->all NORMAL %.3f s, tool %.3f s", \
        who, e - c, e - p, p - c, (t1 - t0) / 1e6, (t2 - t0) / 1e6 > "/dev/stderr"
      if (own != "") printf "; stamping lag %.1f ms", (e - own) * 1000 > "/dev/stderr"
      printf "\n" > "/dev/stderr"
      printf "%.3f %.3f %.3f\n", e - c, e - p, (t1 - t0) / 1e6 }'
}

# bigdb_store_floor N: the least time a recovery of N volatile records can take on these
# BIGDB_COUNT nodes: each node must wipe its file, store the N records and commit, inside one
# libtdb transaction, and the nodes share this machine's CPUs. `ctdb_fill store-floor` times that
# work with libtdb alone (the least of two runs), starting from the records a node holds before
# the recovery (BIGDB_RECOVERED, what the last recovery left on every node, plus its share of the
# records filled since), and the floor is that time x nodes / CPUs the nodes can use at once.
# Prints the floor in seconds; details on stderr.
bigdb_store_floor() {
  local n=$1 i out per best="" cpus before
  before=$((BIGDB_RECOVERED + (n - BIGDB_RECOVERED) / BIGDB_COUNT))
  cpus=$(nproc)
  [ "$cpus" -lt "$BIGDB_COUNT" ] || cpus=$BIGDB_COUNT
  for i in 1 2; do
    out=$("$CTDB_FILL" store-floor --value-size="$BIGDB_VALUE_SIZE" --nodes="$BIGDB_COUNT" \
      --before="$before" "$n" "$H_TMP") || return 1
    bigdb_note "$out"
    per=$(sed -n 's/.* per_node_s=\([0-9.]*\).*/\1/p' <<<"$out")
    [ -n "$per" ] || return 1
    if [ -z "$best" ] || awk -v a="$per" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$per; fi
  done
  awk -v p="$best" -v n="$BIGDB_COUNT" -v c="$cpus" 'BEGIN { printf "%.3f\n", p * n / c }'
}

# bigdb_recover_both LABEL NAME N EXTRA_CHECK: times a recovery on each side, checks the volatile
# database (N records on every node; EXTRA_CHECK=persistent also checks the persistent one) and
# prints NAME. Without EXTRA_CHECK it also prints "NAME floor_ratio_ours=A floor_ratio_stock=B":
# bigdb_store_floor's time over each side's.
bigdb_recover_both() {
  local label=$1 name=$2 n=$3 extra=${4:-} side o s
  local -a r
  local -A res
  for side in "$BIGDB_OURS" "$BIGDB_STOCK"; do
    read -r -a r < <(bigdb_recover "$side" "$label") || true
    if [ ${#r[@]} != 3 ]; then
      res[$side]=""
      continue
    fi
    res[$side]=${r[0]}
    bigdb_check_volatile "$side" "$n" 1 "${BIGDB_DELETED:-0}" || res[$side]=""
    if [ "$extra" == persistent ]; then
      bigdb_check_persistent "$side" "$BIGDB_PERSISTENT_N" || res[$side]=""
    fi
  done
  o=${res[$BIGDB_OURS]}
  s=${res[$BIGDB_STOCK]}
  if [ -z "$o" ] || [ -z "$s" ]; then
    bigdb_note "$name: no figure (failed on at least one side; see above)"
    BIGDB_STATUS=1
    return 1
  fi
  bigdb_line "$name" "$o" "$s" stock/ours
  [ -z "$extra" ] || return 0
  local floor
  floor=$(bigdb_store_floor "$n")
  local floor_rc=$?
  BIGDB_RECOVERED=$n
  if [ $floor_rc == 0 ]; then
    bigdb_note "$name: libtdb store floor $floor s (${BIGDB_COUNT} nodes on $(nproc) CPUs)"
    awk -v n="$name" -v f="$floor" -v o="$o" -v s="$s" \
      'BEGIN { printf "%s floor_ratio_ours=%.2f floor_ratio_stock=%.2f\n", n, f / o, f / s }'
  else
    bigdb_note "$name: store-floor failed"
    BIGDB_STATUS=1
  fi
}

# ---------------------------------------------------------------------------------------------
# catdb: the stock tool against both daemons, output counted and thrown away; then, as an admin
# sees it, each daemon with its own tool (catdb_own_tool: our tool against ours).

# bigdb_catdb PREFIX N [TOOL]: prints records/s; checks that N records were dumped. TOOL: the
# ctdb tool to run (default the stock one).
bigdb_catdb() {
  local prefix=$1 n=$2 tool=${3:-/usr/bin/ctdb} t0 t1 counts rc
  t0=$(bigdb_now)
  counts=$(H_TOOL=$tool H_TOOL_TIMEOUT=600 h_ctdb "${prefix}0" catdb "$BIGDB_VOLATILE_DB" \
    2>"$H_TMP/bigdb.catdb.err" | grep -E '^(key\(|Dumped )' |
    awk '/^key\(/ { n++ } /^Dumped/ { d = $2 } END { print n + 0, d + 0 }')
  rc=${PIPESTATUS[0]}
  t1=$(bigdb_now)
  local keys dumped
  read -r keys dumped <<<"$counts"
  bigdb_note "$prefix: catdb ($tool) of $keys records (tool says $dumped) in" \
    "$(bigdb_secs "$t0" "$t1") s"
  if [ "$rc" != 0 ] || [ "$keys" != "$n" ] || [ "$dumped" != "$n" ]; then
    bigdb_note "$prefix: catdb failed (exit $rc, $keys records, $n expected):" \
      "$(head -c 300 "$H_TMP/bigdb.catdb.err")"
    return 1
  fi
  awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / ((b - a) / 1e6) }'
}

# ---------------------------------------------------------------------------------------------
# vacuum

# bigdb_vacuum PREFIX N D: deletes D of the N volatile records and watches; prints "SECONDS LEFT":
# the seconds from the end of the deletes until at most 0.1 % of the deleted records are left on
# any node and every node's freelist is below RepackLimit, and the deleted records still present
# (summed over the nodes) two vacuum intervals later, unless all went sooner.
bigdb_vacuum() {
  local prefix=$1 n=$2 d=$3 out i
  bigdb_set_socks "$prefix"
  local -A repacks0
  for ((i = 0; i < BIGDB_COUNT; i++)); do
    repacks0[$i]=$(grep -c "Repacking $BIGDB_VOLATILE_DB" "${H_LOG[$prefix$i]}")
  done
  bigdb_note "$prefix: deleting $d of $n records"
  out=$("$CTDB_FILL" vacuum --delete="$d" --timeout="$BIGDB_VACUUM_TIMEOUT" \
    --value-size="$BIGDB_VALUE_SIZE" "$BIGDB_VOLATILE_DB" "$n" "${BIGDB_SOCKS[@]}" \
    2> >(sed "s/^#* */# $prefix: /" >&2))
  local rc=$?
  bigdb_note "$prefix: $out"
  local repacks=""
  for ((i = 0; i < BIGDB_COUNT; i++)); do
    repacks+=" $prefix$i=$(($(grep -c "Repacking $BIGDB_VOLATILE_DB" "${H_LOG[$prefix$i]}") - \
      repacks0[$i]))"
  done
  bigdb_note "$prefix: \"Repacking\" lines logged meanwhile:$repacks"
  [ $rc == 0 ] || {
    bigdb_note "$prefix: vacuuming did not get there within $BIGDB_VACUUM_TIMEOUT s"
    return 1
  }
  sed -n 's/.* seconds=\([0-9.]*\) .* left=\([0-9]*\) .*/\1 \2/p' <<<"$out"
}

# bigdb_vacuum_checked PREFIX N D EVERYWHERE: bigdb_vacuum, then bigdb_check_volatile.
bigdb_vacuum_checked() {
  local r
  r=$(bigdb_vacuum "$1" "$2" "$3") && [ -n "$r" ] && bigdb_check_volatile "$1" "$2" "$4" "$3" &&
    echo "$r"
}

# ---------------------------------------------------------------------------------------------

# bigdb_main OURS_PREFIX STOCK_PREFIX COUNT
bigdb_main() {
  BIGDB_OURS=$1
  BIGDB_STOCK=$2
  BIGDB_COUNT=$3
  CTDB_FILL=${CTDB_FILL:-$CTDB_BUILD_DIR/ctdb_fill}
  BIGDB_VALUE_SIZE=${BENCH_BIG_VALUE_SIZE:-100}
  BIGDB_VACUUM_TIMEOUT=${BIGDB_VACUUM_TIMEOUT:-180}
  local big=${BENCH_BIG_RECORDS:-1000000}
  BIGDB_PERSISTENT_N=${BENCH_BIG_PERSISTENT:-200000}
  local deletes=${BENCH_VACUUM_RECORDS:-500000}
  local steps=${BENCH_RECOVER_STEPS-250000 500000 1000000}
  BIGDB_DELETED=0
  BIGDB_RECOVERED=0  # volatile records every node holds after the last recovery
  BIGDB_STATUS=0
  if [ ! -x "$CTDB_FILL" ]; then
    bigdb_note "bigdb: $CTDB_FILL missing (build the ctdb_fill target)"
    return 1
  fi
  if ! bigdb_wanted recover && ! bigdb_wanted catdb && ! bigdb_wanted vacuum &&
    ! bigdb_wanted memory; then
    return 0
  fi
  local t_start t_phase
  t_start=$(bigdb_now)
  bigdb_note "bigdb: $big volatile records, $BIGDB_PERSISTENT_N persistent, $deletes deleted;" \
    "recovery timed at: ${steps:-none}"

  # Idle memory: before anything is attached.
  bigdb_mem_note idle
  local idle_ours=$BIGDB_MEM_OURS idle_stock=$BIGDB_MEM_STOCK

  # Volatile fill, in steps with a timed recovery after each when recover is wanted.
  t_phase=$(bigdb_now)
  local targets=() s filled=0 fill_ok=1
  if bigdb_wanted recover; then
    for s in $steps; do [ "$s" -lt "$big" ] && targets+=("$s"); done
  fi
  targets+=("$big")
  for s in "${targets[@]}"; do
    bigdb_both bigdb_fill_checked "$filled" "$s" || fill_ok=0
    [ $fill_ok == 1 ] || break
    filled=$s
    if bigdb_wanted recover && [[ " $steps " == *" $s "* ]]; then
      bigdb_recover_both "r$s" "recover_r$s" "$s"
    fi
  done
  bigdb_note "phase volatile fill (+ recoveries): $(bigdb_secs "$t_phase" "$(bigdb_now)") s"
  if [ $fill_ok != 1 ]; then
    bigdb_note "bigdb: the volatile fill failed; nothing else is measured"
    return 1
  fi

  bigdb_mem_note "with $big records"
  if bigdb_wanted memory; then
    bigdb_line memory_idle_kib "$idle_ours" "$idle_stock" stock/ours
    bigdb_line memory_1m_kib "$BIGDB_MEM_OURS" "$BIGDB_MEM_STOCK" stock/ours
  fi

  if bigdb_wanted catdb; then
    t_phase=$(bigdb_now)
    local co cs
    co=$(bigdb_catdb "$BIGDB_OURS" "$big") || co=""
    cs=$(bigdb_catdb "$BIGDB_STOCK" "$big") || cs=""
    if [ -n "$co" ] && [ -n "$cs" ]; then
      bigdb_line catdb "$co" "$cs" ours/stock
      # The stock side of this line is the run above: the stock tool is stock's own.
      co=$(bigdb_catdb "$BIGDB_OURS" "$big" "$CTDB_BUILD_DIR/ctdb") || co=""
      if [ -n "$co" ]; then
        bigdb_line catdb_own_tool "$co" "$cs" ours/stock
      else
        bigdb_note "catdb_own_tool: no figure (failed with our tool; see above)"
        BIGDB_STATUS=1
      fi
    else
      bigdb_note "catdb: no figure (failed on at least one side; see above)"
      BIGDB_STATUS=1
    fi
    bigdb_note "phase catdb: $(bigdb_secs "$t_phase" "$(bigdb_now)") s"
  fi

  if bigdb_wanted recover; then
    t_phase=$(bigdb_now)
    local pok=1
    bigdb_both bigdb_persistent_checked "$BIGDB_PERSISTENT_N" || pok=0
    bigdb_note "phase persistent fill: $(bigdb_secs "$t_phase" "$(bigdb_now)") s"
    t_phase=$(bigdb_now)
    if [ $pok == 1 ]; then
      bigdb_recover_both full recover "$big" persistent
    else
      bigdb_note "recover: no figure (the persistent fill failed)"
      BIGDB_STATUS=1
    fi
    bigdb_note "phase full recovery: $(bigdb_secs "$t_phase" "$(bigdb_now)") s"
    bigdb_mem_note "after the full recovery"
  fi

  if bigdb_wanted vacuum; then
    t_phase=$(bigdb_now)
    # Where a recovery ran, every node holds every record (the leader as dmaster).
    local everywhere=0
    bigdb_wanted recover && everywhere=1
    local interval
    interval=$(H_TOOL=/usr/bin/ctdb h_ctdb "${BIGDB_OURS}0" getvar VacuumInterval 2>/dev/null |
      awk '{ print $NF }')/$(H_TOOL=/usr/bin/ctdb h_ctdb "${BIGDB_STOCK}0" getvar VacuumInterval \
      2>/dev/null | awk '{ print $NF }')
    bigdb_note "vacuum: VacuumInterval (ours/stock) $interval s, the defaults. A deleted record" \
      "whose lmaster is another node goes in two steps: VACUUM_FETCH to its lmaster in one run," \
      "deleted by a later run of the lmaster; so two or three intervals bound the figure from" \
      "below, and where a run starts relative to the end of the deletes is luck."
    local -a vo=() vs=()
    # Both sides at once: what bounds the figure is the daemons' vacuuming timers
    # (VacuumInterval), and one side after the other would take most of the time budget.
    bigdb_both bigdb_vacuum_checked "$big" "$deletes" "$everywhere"
    read -r -a vo <<<"$BIGDB_BOTH_OURS"
    read -r -a vs <<<"$BIGDB_BOTH_STOCK"
    BIGDB_DELETED=$deletes
    if [ ${#vo[@]} == 2 ] && [ ${#vs[@]} == 2 ]; then
      bigdb_line vacuum "${vo[0]}" "${vs[0]}" stock/ours
      bigdb_line vacuum_left_records "${vo[1]}" "${vs[1]}" stock/ours
    else
      bigdb_note "vacuum: no figure (failed on at least one side; see above)"
      BIGDB_STATUS=1
    fi
    bigdb_note "phase vacuum: $(bigdb_secs "$t_phase" "$(bigdb_now)") s"
    bigdb_mem_note "after vacuuming"
  fi
  bigdb_note "bigdb: total $(bigdb_secs "$t_start" "$(bigdb_now)") s"
  return $BIGDB_STATUS
}

# ---------------------------------------------------------------------------------------------
# Run directly: start both clusters as run_bench.sh does, then bigdb_main.

if [ "${BASH_SOURCE[0]}" == "$0" ]; then
  set -u
  CTDB_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  CTDB_BUILD_DIR=$(cd "${CTDB_BUILD_DIR:-./build}" 2>/dev/null && pwd) || {
    echo "bigdb.sh: build dir ${CTDB_BUILD_DIR:-./build} not found (set CTDB_BUILD_DIR)" >&2
    exit 2
  }
  export CTDB_SRC_DIR CTDB_BUILD_DIR
  BENCH_READY_DEADLINE=${BENCH_READY_DEADLINE:-90}
  read -r -a OURS_ADDRS <<<"${BENCH_OURS_ADDRS:-127.0.0.101 127.0.0.102 127.0.0.103}"
  read -r -a STOCK_ADDRS <<<"${BENCH_STOCK_ADDRS:-127.0.0.111 127.0.0.112 127.0.0.113}"
  for f in "$CTDB_BUILD_DIR/ctdbd" "${CTDB_FILL:-$CTDB_BUILD_DIR/ctdb_fill}" /usr/sbin/ctdbd \
    /usr/bin/ctdb; do
    [ -x "$f" ] || {
      echo "bigdb.sh: $f missing (build ctdbd and ctdb_fill; install package ctdb)" >&2
      exit 2
    }
  done
  if [ ${#OURS_ADDRS[@]} != ${#STOCK_ADDRS[@]} ]; then
    echo "bigdb.sh: BENCH_OURS_ADDRS and BENCH_STOCK_ADDRS must name as many nodes" >&2
    exit 2
  fi
  # shellcheck source=bench_harness.sh
  source "$CTDB_SRC_DIR/tools/bench/bench_harness.sh"
  h_init bigdb
  h_write_nodes "$H_TMP/ours.nodes" "${OURS_ADDRS[@]}"
  for i in "${!OURS_ADDRS[@]}"; do
    h_start_ours "ours$i" "${OURS_ADDRS[$i]}" "$H_TMP/ours.nodes" --reclock="$H_TMP/ours.reclock"
  done
  h_write_nodes "$H_TMP/stock.nodes" "${STOCK_ADDRS[@]}"
  for i in "${!STOCK_ADDRS[@]}"; do
    h_start_stock "stock$i" "${STOCK_ADDRS[$i]}" "$H_TMP/stock.nodes" "$H_TMP/stock.reclock"
  done
  for side in ours stock; do
    if ! wait_for "bench_cluster_ready $side ${#OURS_ADDRS[@]}" "$BENCH_READY_DEADLINE" 0.5; then
      echo "bigdb.sh: $side cluster not healthy after ${BENCH_READY_DEADLINE}s" >&2
      H_TOOL_TIMEOUT=5 h_ctdb "${side}0" status >&2
      H_FAIL=1
      exit 1
    fi
    h_note "$side cluster ready"
  done
  bigdb_main ours stock "${#OURS_ADDRS[@]}"
  rc=$?
  for n in "${H_NODES[@]}"; do
    h_node_running "$n" || {
      h_note "$n is no longer running"
      rc=1
    }
  done
  # shellcheck disable=SC2034  # read by harness.sh's EXIT trap
  [ $rc == 0 ] || H_FAIL=1
  exit $rc
fi
