#!/bin/bash
# --torture (seed option): the daemon cuts its links to other nodes at random. A 2-node
# cluster under torture must notice, reconnect and recover back to all OK.
source "$(dirname "$0")/../lib/harness.sh"
h_init torture
h_write_nodes "$H_TMP/nodes" 127.0.0.141 127.0.0.142
h_start_ours t0 127.0.0.141 "$H_TMP/nodes" --torture --reclock="$H_TMP/reclock"
h_start_ours t1 127.0.0.142 "$H_TMP/nodes" --torture --reclock="$H_TMP/reclock"
h_wait_ping t0 && h_wait_ping t1 || { fail "both nodes answer ping"; h_finish; }
logs="$H_TMP/t0/log.ctdb $H_TMP/t1/log.ctdb"
if wait_for "grep -q 'torture: cutting the links' $logs" 45; then
  pass "a torture cut happened"
else
  fail "a torture cut happened"
fi
if wait_for "grep -q 'Link to node . down' $logs" 5; then pass "the link went down"; else
  fail "the link went down"
fi
all_ok() {
  local st
  st=$(h_ctdb t0 status 2>/dev/null) || return 1
  [[ "$st" == *"Size:2"* && "$st" == *"Recovery mode:NORMAL"* ]] &&
    [ "$(grep -c '^pnn:[01] .* OK' <<<"$st")" -eq 2 ]
}
if wait_for all_ok 45; then pass "the cluster is back to all OK"; else
  fail "the cluster is back to all OK" "$(h_ctdb t0 status 2>&1)"
fi
h_finish
