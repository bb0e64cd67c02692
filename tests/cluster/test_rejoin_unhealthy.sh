#!/bin/bash
# A node that drops out is DISCONNECTED *and* UNHEALTHY on the others, as on a stock cluster,
# and when it comes back it stays UNHEALTHY on every node until it has passed its own startup
# and monitor events: never shown (or used) as OK before. The stock cluster goes through the
# same steps side by side and must show the same flags at each.
source "$(dirname "$0")/../lib/harness.sh"

h_init rejoin_unhealthy
h_start_ours_cluster r "$H_TMP/r.reclock" 127.0.4.1 127.0.4.2 127.0.4.3 ||
  fail "our 3 nodes answer ping"
h_start_cluster stock k 127.0.4.4 127.0.4.5 127.0.4.6 || fail "the stock 3 nodes answer ping"
h_wait_converged "ours: all OK" 60 r0 r1 r2 -- OK OK OK || h_finish
h_wait_converged "stock: all OK" 90 k0 k1 k2 -- OK OK OK || h_finish

DISC='DISCONNECTED|UNHEALTHY|INACTIVE'

# ---- kill -9 of pnn 2: the others show it DISCONNECTED|UNHEALTHY|INACTIVE (both clusters)
h_kill9_node r2
h_kill9_node k2
for c in r k; do
  for n in ${c}0 ${c}1; do
    check "$c: $n shows the killed pnn 2 as $DISC" \
      wait_for "[ \"\$(h_node_flags $n 2)\" == '$DISC' ]" 30 0.2
  done
done

# ---- SIGSTOP pnn 1 until the others see it disconnected, then SIGCONT: as on stock, it is
# DISCONNECTED|UNHEALTHY while away and healthy again once back (its own view never changed).
for c in r k; do
  kill -STOP "${H_PID[${c}1]}"
  check "$c: ${c}0 shows the stopped pnn 1 as $DISC" \
    wait_for "[ \"\$(h_node_flags ${c}0 1)\" == '$DISC' ]" 30 0.2
  kill -CONT "${H_PID[${c}1]}"
done
h_wait_converged "ours: pnn 1 back, OK again" 60 r0 r1 -- OK OK "$DISC"
h_wait_converged "stock: pnn 1 back, OK again" 90 k0 k1 -- OK OK "$DISC"

# ---- pnn 2 restarts with a startup event that waits for a gate: until it has run, pnn 2 is
# UNHEALTHY on every node and never OK.
gate=$H_TMP/startup.gate
cat >"${H_DIR[r2]}/events.d/01.gate" <<EOF
#!/bin/sh
[ "\$1" = startup ] || exit 0
while [ ! -e "$gate" ]; do sleep 0.1; done
exit 0
EOF
chmod +x "${H_DIR[r2]}/events.d/01.gate"
h_restart_ours r2 || fail "r2 restarts"
check "r2 reached its startup event" wait_for "h_ctdb r2 runstate 2>/dev/null | grep -qx STARTUP" 60 0.2
seen_ok=""
samples=0
# Sampled for a while the gate holds: every sample on every node must say UNHEALTHY.
end=$(($(h_now_us) + 5000000))
while [ "$(h_now_us)" -lt "$end" ]; do
  for n in r0 r1 r2; do
    f=$(h_node_flags "$n" 2)
    samples=$((samples + 1))
    [[ "$f" == *UNHEALTHY* ]] || seen_ok+="$n:$f "
  done
done
assert_eq "while r2 waits in startup, no node ever shows pnn 2 healthy ($samples samples)" "" \
  "$seen_ok"
touch "$gate"
h_wait_converged "ours: pnn 2 healthy once its startup and monitor events passed" 60 r0 r1 r2 -- \
  OK OK OK
check "r2 is RUNNING" eval "h_ctdb r2 runstate | grep -qx RUNNING"

h_finish
