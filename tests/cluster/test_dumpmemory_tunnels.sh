#!/bin/bash
# Two 4.17 client features on 3 of our nodes, through the stock `ctdb` tool and a tunnel client:
# `ctdb dumpmemory` / `rddumpmemory` answer with a report of the daemon's memory use (process,
# heap, clients, links, databases), locally and for another node; tunnels (TUNNEL_REGISTER,
# REQ_TUNNEL) carry a client's packets to the owner of the same tunnel id on one node, on itself
# or on all nodes, with one owner per id and node, and nothing for an id a client does not own.
source "$(dirname "$0")/../lib/harness.sh"

h_init cluster_dumpmemory_tunnels
h_start_ours_cluster t "" 127.0.9.1 127.0.9.2 127.0.9.3 || fail "3 nodes answer ping"
h_wait_converged "start: all OK" 60 t0 t1 t2 -- OK OK OK || h_finish

# ---- dumpmemory
h_ctdb t0 attach dumpmem_test.tdb >/dev/null 2>&1 || fail "attach dumpmem_test.tdb"
out=$(h_ctdb t0 dumpmemory 2>&1)
assert_eq "dumpmemory exits 0" 0 $?
assert_contains "dumpmemory: first line names the daemon, pnn and pid" "$(head -n 1 <<<"$out")" \
  "full memory report on 'ctdbd' (pnn 0, pid ${H_PID[t0]}, total "
for section in "process              rss" "heap (malloc)" "clients              " \
  "node links           2 of 2 peers connected" "databases            "; do
  assert_contains "dumpmemory: the report has '$section'" "$out" "$section"
done
assert_contains "dumpmemory: the attached database is listed" "$out" "dumpmem_test.tdb"
out=$(h_ctdb t0 -n 2 dumpmemory 2>&1)
assert_contains "dumpmemory -n 2: node 2 answers with its own report" "$(head -n 1 <<<"$out")" \
  "full memory report on 'ctdbd' (pnn 2, pid ${H_PID[t2]}, total "
out=$(h_ctdb t1 rddumpmemory 2>&1)
assert_eq "rddumpmemory exits 0" 0 $?
assert_contains "rddumpmemory: the recovery daemon's report of node 1" "$(head -n 1 <<<"$out")" \
  "full memory report on 'ctdb-recoverd' (pnn 1, pid ${H_PID[t1]}, total "

# ---- tunnels
out=$(timeout 120 python3 "$CTDB_SRC_DIR/tests/tools/ctdb_tunnel_client.py" \
  "${H_SOCK[t0]}" "${H_SOCK[t1]}" "${H_SOCK[t2]}" 2>&1)
h_note "tunnel client transcript:"$'\n'"$out"
tid=0xffffffff00000007
other=0xffffffff00000008
expect=(
  "register pnn=0 id=$tid status=0"
  "register pnn=1 id=$tid status=0"
  "register pnn=2 id=$tid status=0"
  "register pnn=0 id=$tid status=-1"
  "recv pnn=1 from=0 id=$tid flags=0x1 reqid=4242 data=hello-1"
  "recv pnn=0 from=1 id=$tid flags=0x2 reqid=4242 data=reply-0"
  "recv pnn=2 from=2 id=$tid flags=0x1 reqid=77 data=self-2"
  "recv pnn=0 from=2 id=$tid flags=0x11 reqid=78 data=to-all"
  "recv pnn=1 from=2 id=$tid flags=0x11 reqid=78 data=to-all"
  "recv pnn=2 from=2 id=$tid flags=0x11 reqid=78 data=to-all"
  "recv pnn=1 from=0 id=$tid flags=0x1 reqid=6 data=after-drop"
  "deregister pnn=1 id=$tid status=0"
  "deregister pnn=1 id=$tid status=-1"
  "register pnn=1 id=$tid status=0"
  "recv pnn=1 from=0 id=$tid flags=0x1 reqid=8 data=to-late"
  "register pnn=2 id=$tid status=0"
  "register pnn=0 id=$other status=0"
  "closed pnn=0"
  "ping pnn=0 ok=0"
  "register pnn=0 id=$other status=0"
)
# The transcript is exactly these lines, in this order.
assert_eq "tunnels: the transcript of every step" "$(printf '%s\n' "${expect[@]}")" "$out"
assert_contains "tunnels: a packet on an id the client does not own is dropped and logged" \
  "$(cat "${H_LOG[t0]}")" "tunnel id $other not registered, dropping pkt"
assert_contains "tunnels: a packet for a deregistered id is logged where it arrives" \
  "$(cat "${H_LOG[t1]}")" "Tunnel id $tid not registered"
stats=$(h_ctdb t0 statistics 2>&1)
check "tunnels: node 0 counts its clients' tunnel packets" \
  grep -Eq "req_tunnel +[1-9]" <<<"$stats"
h_wait_converged "after the tunnel clients: all OK" 30 t0 t1 t2 -- OK OK OK
h_finish
