#!/bin/bash
# Hostile local clients (tests/tools/hostile_clients.py) against our daemons, as a user sees it:
# * the socket is the owner's only (mode 0700, as 4.17): nobody else may connect;
# * a client that never reads its replies is cut off at the backlog limit (16 MiB) with a log
#   line, while the daemon's peak RSS grows by far less than what the client asked for;
# * a client trickling a packet one byte a second holds up nobody;
# * 10,000 clients at once each get their answer (the daemon raised its soft descriptor limit
#   to the hard one at start-up), and the cluster stays OK;
# * a daemon whose descriptor table is nearly full closes the client connections it cannot
#   take (a clean close, no hang, no busy loop) and logs it, keeping the last quarter of the
#   table (at most 256) for its own work: it keeps serving the clients it has, its event
#   scripts still run, and it takes new clients again once descriptors are free. (Running out for
#   real, EMFILE in accept, is covered by the unit test
#   ClientServerTest.OutOfDescriptorsNewClientsAreClosedUnservedAndServingGoesOn.)
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_hostile_clients
CLIENTS=(python3 "$CTDB_SRC_DIR/tests/tools/hostile_clients.py")
RAW=$CTDB_SRC_DIR/tests/lib/ctdb_raw_client.py
MANY=${MANY:-10000}
MiB=$((1024 * 1024))

# The daemons start with a soft descriptor limit of 1024, as from a login shell; they raise it
# themselves. The hard limit must leave room for $MANY clients (root may raise it).
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((MANY + 1000)) ]; then
  ulimit -Hn $((MANY + 1000)) 2>/dev/null || h_note "hard descriptor limit $hard cannot be raised"
  hard=$(ulimit -Hn)
fi
ulimit -Sn 1024

h_start_ours_cluster c "$H_TMP/c.reclock" 127.0.22.1 127.0.22.2 || fail "2 nodes answer ping"
h_wait_converged "start: both nodes OK" 60 c0 c1 -- OK OK || h_finish

# field NAME KEY TEXT: the value of KEY=... in TEXT.
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
# status_kb PID KEY: a VmRSS / VmHWM line of /proc/PID/status, in kB.
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# ---- the socket is the owner's only
sock=${H_SOCK[c0]}
assert_eq "socket mode and owner" "srwx------ root" "$(stat -c '%A %U' "$sock")"
if [ "$(id -u)" == 0 ]; then
  chmod 0711 "$H_TMP"  # let others reach the socket: only its own mode may stop them
  as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  check "nobody can see the socket" "${as_nobody[@]}" test -S "$sock"
  out=$("${as_nobody[@]}" /usr/bin/python3 "$RAW" "$sock" pnn 2>&1)
  assert_contains "nobody cannot connect to it" "$out" "Permission denied"
  chmod 0700 "$H_TMP"
else
  h_note "not root: the connect attempt as another user is left out"
fi
assert_eq "the owner can" "ok 0" "$(python3 "$RAW" "$sock" pnn 2>&1)"

# ---- a client that never reads its replies
check "attach hostile.tdb" h_ctdb c0 attach hostile.tdb
dbid=$(h_ctdb c0 getdbmap | sed -n 's/.*dbid:\(0x[0-9a-f]*\) name:hostile.tdb .*/\1/p')
check "hostile.tdb has a database id ($dbid)" [ -n "$dbid" ]
value=$(head -c 100000 /dev/zero | tr '\0' x)
check "a 100 kB record" h_ctdb c0 writekey hostile.tdb big "$value"
pid0=${H_PID[c0]}
# Forget the peak so far: VmHWM then measures this part alone.
echo 5 >"/proc/$pid0/clear_refs" 2>/dev/null || h_note "cannot reset VmHWM; it may include earlier peaks"
rss_before=$(status_kb "$pid0" VmRSS)
log_at=$(stat -c %s "${H_LOG[c0]}")
out=$(timeout 120 "${CLIENTS[@]}" no-read "$sock" "$dbid" big --requests 2000 2>&1)
peak=$(status_kb "$pid0" VmHWM)
h_note "no-read: $out; RSS before ${rss_before} kB, peak during ${peak} kB"
requested=$(field requested_reply_bytes "$out")
assert_eq "no-read: the daemon cut the client off" yes "$(field closed "$out")"
check "no-read: the client asked for far more than 64 MiB of replies ($((${requested:-0} / MiB)) MiB)" \
  [ "${requested:-0}" -ge $((128 * MiB)) ]
check "no-read: the daemon's peak RSS grew by less than 64 MiB ($(((peak - rss_before) / 1024)) MiB)" \
  [ "$((peak - rss_before))" -lt $((64 * 1024)) ]
assert_contains "no-read: the log says why" "$(tail -c +"$((log_at + 1))" "${H_LOG[c0]}")" \
  "more than 16777216 bytes of output left unread, closing"
assert_eq "no-read: c0 still answers" "ok 0" "$(python3 "$RAW" "$sock" pnn 2>&1)"

# ---- a client trickling one byte a second
out=$(timeout 120 "${CLIENTS[@]}" trickle "$sock" --bystanders 5 --rounds 10 2>&1)
h_note "trickle: $out"
assert_eq "trickle: the other clients got all 50 replies" 50 "$(field bystander_replies "$out")"
check "trickle: ... while the slow packet was still incomplete" \
  [ "$(field trickled_when_done "$out")" -lt "$(field packet_bytes "$out")" ]
assert_contains "trickle: the slow client gets its answer in the end" "$out" "slow_reply=ok 0"

# ---- $MANY clients at once
limits=$(awk '/^Max open files/ { print $4, $5 }' "/proc/$pid0/limits")
assert_eq "c0 raised its soft descriptor limit to the hard one" "$hard $hard" "$limits"
hold=$H_TMP/many.hold
timeout 300 "${CLIENTS[@]}" many "$sock" "$MANY" --deadline 180 --hold-file "$hold" \
  >"$H_TMP/many.out" 2>&1 &
many_pid=$!
if wait_for "[ -s '$hold' ] || ! h_pid_running $many_pid" 240 0.2; then
  out=$(cat "$H_TMP/many.out")
  h_note "$MANY clients: $out"
  assert_eq "$MANY clients: all connected" "$MANY" "$(field connected "$out")"
  assert_eq "$MANY clients: none left without an answer or a clean close" 0 "$(field bad "$out")"
  assert_eq "$MANY clients: every one answered (pnn 0)" "$MANY 0" \
    "$(field replied "$out") $(field pnn "$out")"
  ping=$(h_ctdb c0 ping 2>&1)
  n=$(sed -n 's/.*(\([0-9]*\) clients).*/\1/p' <<<"$ping")
  check "$MANY clients: c0 counts them (${n:-?} clients)" [ "${n:-0}" -ge "$MANY" ]
else
  fail "$MANY clients: settled within 240 s" "$(cat "$H_TMP/many.out")"
fi
rm -f "$hold"
wait "$many_pid"
h_wait_converged "after $MANY clients: both nodes OK" 30 c0 c1 -- OK OK

# ---- a daemon at its descriptor limit: a node whose hard limit is 256. Clients may not take
# the last quarter of the table (the daemon's own work needs it); those beyond are closed at once.
cat >"$H_TMP/ctdbd-256" <<EOF
#!/bin/bash
ulimit -n 256
exec "$CTDB_BUILD_DIR/ctdbd" "\$@"
EOF
chmod +x "$H_TMP/ctdbd-256"
h_write_nodes "$H_TMP/l.nodes" 127.0.22.5
# An event script that notes each monitor event: the daemon's own work (a fork, a pipe, the
# script directory read) goes on at the limit only if descriptors were kept for it.
monitor_log=$H_TMP/l0.monitor
mkdir -p "$H_TMP/l0/events.d"
cat >"$H_TMP/l0/events.d/01.marker" <<EOF
#!/bin/sh
[ "\$1" = monitor ] && echo monitor >>"$monitor_log"
exit 0
EOF
chmod +x "$H_TMP/l0/events.d/01.marker"
H_CTDBD=$H_TMP/ctdbd-256 h_start_ours l0 127.0.22.5 "$H_TMP/l.nodes"
h_wait_ping l0 || fail "l0 answers ping"
h_wait_converged "l0 (256 descriptors) is OK" 60 l0 -- OK
check "l0: monitor every second" h_ctdb l0 setvar MonitorInterval 1
monitor_runs() { wc -l <"$monitor_log" 2>/dev/null || echo 0; }
lsock=${H_SOCK[l0]}
lpid=${H_PID[l0]}
assert_eq "l0 runs with 256 descriptors" "256 256" \
  "$(awk '/^Max open files/ { print $4, $5 }' "/proc/$lpid/limits")"
hold=$H_TMP/limit.hold
timeout 300 "${CLIENTS[@]}" many "$lsock" 1000 --deadline 60 --hold-file "$hold" \
  >"$H_TMP/limit.out" 2>&1 &
limit_pid=$!
if wait_for "[ -s '$hold' ] || ! h_pid_running $limit_pid" 120 0.2; then
  out=$(cat "$H_TMP/limit.out")
  h_note "1000 clients on l0: $out"
  assert_eq "at the limit: all 1000 connected" 1000 "$(field connected "$out")"
  assert_eq "at the limit: each answered or cleanly closed, none left hanging" 0 \
    "$(field bad "$out")"
  check "at the limit: the first ones were served ($(field replied "$out"))" \
    [ "$(field replied "$out")" -ge 100 ]
  check "at the limit: the rest were closed ($(field closed "$out"))" \
    [ "$(field closed "$out")" -ge 500 ]
  # Still at the limit: one more client is closed at once, not left waiting.
  one=$(timeout 60 "${CLIENTS[@]}" many "$lsock" 1 --deadline 30 2>&1)
  assert_contains "at the limit: one more client sees a clean close" "$one" \
    "connected=1 connect_failed=0 replied=0 closed=1 bad=0"
  # The node's own work goes on: monitor events keep running.
  runs=$(monitor_runs)
  check "at the limit: monitor events still run (after $runs)" \
    wait_for "[ \$(monitor_runs) -ge $((runs + 2)) ]" 30 0.2
  # No busy loop: over a few idle seconds at the limit, the daemon stays (nearly) idle.
  tck=$(getconf CLK_TCK)
  cpu() { awk '{ print $14 + $15 }' "/proc/$lpid/stat"; }
  c1=$(cpu)
  t1=$(h_now_us)
  sleep 3 # a measuring window, not a wait for a condition
  c2=$(cpu)
  t2=$(h_now_us)
  used_ms=$(((c2 - c1) * 1000 / tck))
  window_ms=$(((t2 - t1) / 1000))
  check "at the limit: no busy loop (${used_ms} ms CPU in ${window_ms} ms)" \
    [ "$used_ms" -lt $((window_ms / 2)) ]
else
  fail "at the limit: 1000 clients settled within 120 s" "$(cat "$H_TMP/limit.out")"
fi
log=$(cat "${H_LOG[l0]}")
assert_contains "at the limit: the log says so" "$log" "Too many clients"
assert_not_contains "at the limit: the daemon itself never ran out" "$log" "Too many open files"
rm -f "$hold"
wait "$limit_pid"
check "at the limit: l0 still runs" h_node_running l0
assert_eq "descriptors free again: l0 takes new clients" "ok 0" \
  "$(python3 "$RAW" "$lsock" pnn 2>&1)"
h_wait_converged "descriptors free again: l0 is OK" 30 l0 -- OK
h_wait_converged "at the end: both nodes of the cluster OK" 30 c0 c1 -- OK OK

h_finish
