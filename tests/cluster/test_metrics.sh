#!/bin/bash
# The Prometheus endpoint (--metrics-listen; ctdb.conf [metrics] listen) on three of our nodes,
# scraped and parsed with prometheus_client's own parser (tests/tools/scrape_metrics.py) while
# the cluster changes state; each value is compared with what the stock tool shows:
# - nodes OK, leader, generation, recovery mode, run state, clients;
# - a record written: the database's record count and its migrations;
# - a node disabled and enabled again: its flags, as every node sees them;
# - a forced recovery: a new generation, one more recovery and its time counted;
# - an event script's result; a control's call count going up;
# - bad input: an unknown path (404), a POST, a malformed request, a bad --metrics-listen value
#   and a port already in use (clear errors; the node keeps serving).
source "$(dirname "$0")/../lib/harness.sh"

PY=/usr/bin/python3
SCRAPE=$CTDB_SRC_DIR/tests/tools/scrape_metrics.py
if ! "$PY" -c 'import prometheus_client.parser' 2>/dev/null; then
  echo "SKIP: python3-prometheus-client is not installed"
  exit 77
fi
h_init cluster_metrics
ADDRS=(127.0.24.41 127.0.24.42 127.0.24.43)
PORT=9417
h_write_nodes "$H_TMP/nodes" "${ADDRS[@]}"
for i in 0 1 2; do
  mkdir -p "$H_TMP/m$i/events.d"
  printf '#!/bin/sh\nexit 0\n' >"$H_TMP/m$i/events.d/00.probe"
  chmod +x "$H_TMP/m$i/events.d/00.probe"
  # m2 gets its endpoint from ctdb.conf, the others from the command line.
  if [ "$i" == 2 ]; then
    printf '[metrics]\n\tlisten = %s:%s\n' "${ADDRS[2]}" "$PORT" >"$H_TMP/m2/ctdb.conf"
    h_start_ours_args m2 "${ADDRS[2]}" "$H_TMP/nodes" --reclock="$H_TMP/reclock"
  else
    h_start_ours_args "m$i" "${ADDRS[$i]}" "$H_TMP/nodes" --reclock="$H_TMP/reclock" \
      --metrics-listen="${ADDRS[$i]}:$PORT"
  fi
done
for i in 0 1 2; do h_wait_ping "m$i" || fail "m$i answers ping"; done
h_wait_converged "all OK" 60 m0 m1 m2 -- OK OK OK || h_finish

url() { echo "http://${ADDRS[$1]}:$PORT/metrics"; }
# metric NODE NAME [LABEL=VALUE...]: the sample's value on node NODE (0-2), empty if none.
metric() {
  local n=$1
  shift
  "$PY" "$SCRAPE" "$(url "$n")" "$@" 2>/dev/null
}

for i in 0 1 2; do
  check "m$i: the endpoint parses as Prometheus text" "$PY" "$SCRAPE" "$(url "$i")"
done
assert_eq "m2 serves from ctdb.conf's [metrics] listen" "1" "$(metric 2 ctdb_info pnn=2)"
for p in 0 1 2; do
  assert_eq "m0: node $p OK" 1 "$(metric 0 ctdb_node_ok pnn=$p)"
done
assert_eq "leader as ctdb leader says" "$H_CONVERGED_LEADER" "$(metric 1 ctdb_leader_pnn)"
assert_eq "ctdb_is_leader on the leader" 1 "$(metric "$H_CONVERGED_LEADER" ctdb_is_leader)"
assert_eq "generation as ctdb status says" "$H_CONVERGED_GENERATION" "$(metric 0 ctdb_generation)"
assert_eq "recovery mode NORMAL" 0 "$(metric 0 ctdb_recovery_mode)"
assert_eq "run state RUNNING" 1 "$(metric 0 ctdb_runstate state=RUNNING)"
assert_eq "vnnmap size 3" 3 "$(metric 0 ctdb_vnnmap_size)"
check "the monitor event's script result is there" \
  wait_for "[ \"\$(metric 0 ctdb_event_script_status event=monitor script=00.probe)\" == 0 ]" 30

# ---- a control's calls are counted
before=$(metric 0 ctdb_control_calls_total control=GET_PNN)
for _ in 1 2 3; do h_ctdb m0 pnn >/dev/null; done
after=$(metric 0 ctdb_control_calls_total control=GET_PNN)
check "three ctdb pnn: GET_PNN counted three more times ($before -> $after)" \
  [ "$after" -ge $((${before:-0} + 3)) ]

# ---- records
h_ctdb m0 attach metrics_test.tdb >/dev/null || fail "attach metrics_test.tdb"
for k in a b c; do
  h_ctdb m0 writekey metrics_test.tdb "key-$k" "value-$k" >/dev/null || fail "writekey key-$k"
done
check "m0 counts the three records of metrics_test.tdb" \
  wait_for "[ \"\$(metric 0 ctdb_db_records db=metrics_test.tdb)\" == 3 ]" 30 0.5
h_ctdb m1 writekey metrics_test.tdb key-a moved >/dev/null || fail "writekey key-a on m1"
check "a record migrated to m1 is counted there" \
  wait_for "[ \"\$(metric 1 ctdb_db_migrations_total db=metrics_test.tdb)\" -ge 1 ]" 30 0.5

# ---- a node disabled, then enabled
h_ctdb m1 disable >/dev/null || fail "ctdb disable m1"
for i in 0 1 2; do
  check "disabled: m$i shows node 1 disabled" \
    wait_for "[ \"\$(metric $i ctdb_node_flag pnn=1 flag=disabled)\" == 1 ]" 30 0.3
done
assert_eq "disabled: node 1 not OK" 0 "$(metric 0 ctdb_node_ok pnn=1)"
assert_eq "disabled: as the Disabled column of ctdb -X status" \
  "$(h_ctdb m0 -X status |
    awk -F'|' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "Disabled") c = i } $2 == 1 { print $c }')" \
  "$(metric 0 ctdb_node_flag pnn=1 flag=disabled)"
h_ctdb m1 enable >/dev/null || fail "ctdb enable m1"
h_wait_converged "enabled: all OK" 60 m0 m1 m2 -- OK OK OK
check "enabled: m0 shows node 1 OK" wait_for "[ \"\$(metric 0 ctdb_node_ok pnn=1)\" == 1 ]" 30 0.3

# ---- a forced recovery
leader=$H_CONVERGED_LEADER
gen=$H_CONVERGED_GENERATION
recs=$(metric "$leader" ctdb_recoveries_total)
seen=$(metric 0 ctdb_recovery_mode_changes_total)
h_ctdb m0 recover >/dev/null || fail "ctdb recover"
check "recovered: a new generation" \
  wait_for "h_converged m0 m1 m2 -- OK OK OK && [ \"\$H_CONVERGED_GENERATION\" != $gen ]" 60 0.5
assert_eq "recovered: the metric's generation is the new one" "$H_CONVERGED_GENERATION" \
  "$(metric 2 ctdb_generation)"
check "recovered: the leader counted one more recovery" \
  [ "$(metric "$leader" ctdb_recoveries_total)" -gt "$recs" ]
check "recovered: m0 went through one more recovery" \
  [ "$(metric 0 ctdb_recovery_mode_changes_total)" -gt "$seen" ]
check "recovered: its duration is known" \
  "$PY" -c "import sys; sys.exit(0 if float('$(metric 0 ctdb_last_recovery_seconds)') > 0 else 1)"

# ---- bad input
code() { curl -s -o /dev/null -w '%{http_code}' "$@" 2>/dev/null || true; }
if command -v curl >/dev/null; then
  assert_eq "an unknown path: 404" 404 "$(code "http://${ADDRS[0]}:$PORT/nope")"
  check "a POST is refused" [ "$(code -X POST -d x "$(url 0)")" != 200 ]
fi
"$PY" - "${ADDRS[0]}" "$PORT" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"\x00\xffGARBAGE \r\n\r\n" + b"A" * 70000)
try:
    s.recv(100)
except OSError:
    pass
s.close()
EOF
check "after bad requests m0 still serves metrics" "$PY" "$SCRAPE" "$(url 0)"
check "after bad requests m0 still answers ping" h_ctdb m0 ping
out=$("$H_CTDBD" -i --metrics-listen=nonsense --socket="$H_TMP/x.sock" 2>&1)
assert_contains "--metrics-listen=nonsense: a clear error" "$out" \
  "--metrics-listen: not ADDRESS:PORT: 'nonsense'"
h_write_nodes "$H_TMP/busy.nodes" 127.0.24.44
h_start_ours busy 127.0.24.44 "$H_TMP/busy.nodes" --metrics-listen="${ADDRS[0]}:$PORT"
check "a port already in use: the daemon exits" wait_for "! h_node_running busy" 30 0.2
assert_contains "a port already in use: the log says so" "$(cat "${H_LOG[busy]}")" \
  "cannot listen for metrics on ${ADDRS[0]}:$PORT"
h_finish
