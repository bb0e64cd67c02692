#!/bin/bash
# The soak (own command, not in CI: 30 minutes by default): 3 of our nodes with --torture (links
# cut at random every 10-30 s), a monitor event script on each, and for the whole run clients
# doing fetch-lock increments on a volatile database, transactions on a persistent one,
# writes and deletes that keep vacuuming busy, traverses (catdb), and a forced recovery every
# minute. Every 30 s it samples each daemon's RSS and open descriptors.
# It passes when, after a warm-up of a sixth of the run, neither grows (RSS: the last third's
# mean within 10 % or 4 MB of the first post-warm-up third's; descriptors: at most 8 more), the
# counters are exact (every acknowledged increment counted), and the logs hold no failure line
# that the faults it injects do not explain. Prints the samples and a summary.
#   bash tests/soak/soak.sh [SECONDS]      (default 1800)
source "$(dirname "$0")/../lib/harness.sh"

DURATION=${1:-1800}
WARMUP=$((DURATION / 6))
h_init soak
COUNTER=$CTDB_BUILD_DIR/ctdb_lock_counter
nodes=$H_TMP/s.nodes
h_write_nodes "$nodes" 127.0.9.61 127.0.9.62 127.0.9.63
for i in 0 1 2; do
  mkdir -p "$H_TMP/s$i/events.d"
  cat >"$H_TMP/s$i/events.d/10.soak" <<'SH'
#!/bin/sh
# Counts the events it sees, as a service script would check its service.
case "$1" in
monitor | startup | recovered | takeip | releaseip | ipreallocated)
  echo "$1" >>"$(dirname "$0")/../events.seen"
  ;;
esac
exit 0
SH
  chmod +x "$H_TMP/s$i/events.d/10.soak"
  h_start_ours_args "s$i" "127.0.9.6$((i + 1))" "$nodes" --reclock="$H_TMP/s.reclock" --torture
done
for i in 0 1 2; do h_wait_ping "s$i" || fail "s$i answers ping"; done
h_wait_converged "start: all OK" 90 s0 s1 s2 -- OK OK OK || h_finish
h_ctdb s0 attach soakvol.tdb >/dev/null 2>&1
h_ctdb s0 attach soakpers.tdb persistent >/dev/null 2>&1

# ---- workers: each appends "ok" or "fail" per attempt to its own file
worker_volatile() {
  local i=0 n
  while [ -e "$H_TMP/run" ]; do
    n=s$((RANDOM % 3))
    if timeout 60 "$COUNTER" "${H_SOCK[$n]}" soakvol.tdb "vol$((i % 4))" 1 >/dev/null 2>&1; then
      echo "ok vol$((i % 4))"
    else
      echo "fail vol$((i % 4))"
    fi
    i=$((i + 1))
  done >"$H_TMP/vol.log"
}
worker_persistent() {
  local i=0 n
  while [ -e "$H_TMP/run" ]; do
    n=s$((RANDOM % 3))
    if timeout 60 "$COUNTER" -p "${H_SOCK[$n]}" soakpers.tdb "pers$((i % 4))" 1 >/dev/null 2>&1; then
      echo "ok pers$((i % 4))"
    else
      echo "fail pers$((i % 4))"
    fi
    i=$((i + 1))
  done >"$H_TMP/pers.log"
}
worker_churn() {
  local i=0 n
  while [ -e "$H_TMP/run" ]; do
    n=s$((RANDOM % 3))
    h_ctdb "$n" writekey soakvol.tdb "churn$((i % 200))" "v$i" >/dev/null 2>&1
    h_ctdb "$n" deletekey soakvol.tdb "churn$(((i + 100) % 200))" >/dev/null 2>&1
    [ $((i % 50)) != 0 ] || h_ctdb "$n" catdb soakvol.tdb >/dev/null 2>&1
    i=$((i + 1))
  done
}
worker_recover() {
  while [ -e "$H_TMP/run" ]; do
    wait_for '[ ! -e "$H_TMP/run" ]' 60 1 && break
    h_ctdb "s$((RANDOM % 3))" recover >/dev/null 2>&1
  done
}
: >"$H_TMP/run"
worker_volatile &
h_track_pid $!
worker_persistent &
h_track_pid $!
worker_churn &
h_track_pid $!
worker_recover &
h_track_pid $!

# ---- samples: time node rss_kb fds
echo "# t node rss_kb fds" >"$H_TMP/samples"
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt "$DURATION" ]; do
  t=$(($(date +%s) - start))
  for i in 0 1 2; do
    pid=${H_PID[s$i]}
    rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
    fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    echo "$t s$i ${rss:-0} $fds" >>"$H_TMP/samples"
  done
  wait_for "[ \$((\$(date +%s) - $start)) -ge $((t + 30)) ]" 40 1
done
rm -f "$H_TMP/run"
wait_for '! pgrep -f "ctdb_lock_counter.*soak" >/dev/null' 120 1
h_wait_converged "end: all OK" 120 s0 s1 s2 -- OK OK OK

# ---- results
cat "$H_TMP/samples"
for i in 0 1 2; do
  read -r first last <<<"$(awk -v n="s$i" -v w="$WARMUP" -v d="$DURATION" '
    $2 == n && $1 >= w && $1 < w + (d - w) / 3 { a += $3; na++ }
    $2 == n && $1 >= d - (d - w) / 3 { b += $3; nb++ }
    END { printf "%d %d\n", na ? a / na : 0, nb ? b / nb : 0 }' "$H_TMP/samples")"
  grow=$((last - first))
  h_note "s$i RSS after warm-up: first third ${first} kB, last third ${last} kB (${grow} kB)"
  check "s$i: RSS flat after warm-up (${first} -> ${last} kB)" \
    [ "$grow" -le $((first / 10)) ] || [ "$grow" -le 4096 ]
  read -r f0 f1 <<<"$(awk -v n="s$i" -v w="$WARMUP" '
    $2 == n && $1 >= w { if (!s) { s = 1; a = $4 } b = $4 } END { print a + 0, b + 0 }' \
    "$H_TMP/samples")"
  check "s$i: descriptors flat after warm-up ($f0 -> $f1)" [ "$f1" -le $((f0 + 8)) ]
done
for k in vol0 vol1 vol2 vol3; do
  acked=$(grep -c "^ok $k\$" "$H_TMP/vol.log")
  tried=$(grep -c " $k\$" "$H_TMP/vol.log")
  got=$("$COUNTER" "${H_SOCK[s0]}" soakvol.tdb "$k" 0 2>&1)
  h_note "$k: $acked acknowledged of $tried, value $got"
done
for k in pers0 pers1 pers2 pers3; do
  acked=$(grep -c "^ok $k\$" "$H_TMP/pers.log")
  tried=$(grep -c " $k\$" "$H_TMP/pers.log")
  got=$("$COUNTER" -p "${H_SOCK[s1]}" soakpers.tdb "$k" 0 2>&1)
  check "$k: every acknowledged commit counted ($acked <= $got <= $tried)" \
    [ "$got" -ge "$acked" ] && [ "$got" -le "$tried" ]
done
# Failure lines the injected faults explain: torture cuts, the recoveries and elections they
# cause (vacuuming runs they abort among them), calls, controls and commits to a node whose
# link was cut, and `ctdb recover` asked while recoveries are held off after the last one.
# Also a commit refused for a newer RSN: a node left out of a recovery while torture had cut
# it off can still hand its client the transaction lock (g_lock.tdb is volatile, and the others
# recovered it without that node's copy) and a read of its older database; once it is back, its
# commit is refused by every node and the client fails it (the counters above show that no
# acknowledged commit was lost or doubled). A link back asks for a recovery ("Link to node").
explained='Aborting vacuuming .* \((new generation|recovery)\)|record has a newer RSN|recoveries are disabled|failed to apply a persistent commit|torture|dead count|Link to node|disconnected|Recovery failed|timed out|node is disconnected|Start election|Giving up leadership|failed on node|ended by recovery|leader broadcast timeout|Unable to take recovery lock .*contention'
unexplained=$(cat "${H_LOG[s0]}" "${H_LOG[s1]}" "${H_LOG[s2]}" |
  grep -Ei 'fail|error|cannot|unable|abort|assert|sanitizer' | grep -Evi "$explained" |
  sed 's/^[^ ]* [^ ]* [^ ]*: //' | sort | uniq -c | sort -rn | head -n 20)
h_note "failure lines no injected fault explains:"$'\n'"${unexplained:-(none)}"
assert_eq "logs: no failure line left unexplained" "" "$unexplained"
h_finish
