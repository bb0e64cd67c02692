#!/bin/bash
# The cluster lock in etcd (tools/ctdb_etcd_lock, `--reclock='!ctdb_etcd_lock -c FILE'`) on three
# of our nodes and a real etcd server (Debian's etcd-server, on loopback, started here):
# - the leader holds the lock: one key under _ctdb/ with the leader's lease, held by the helper
#   its ctdbd started; the other nodes' helpers answered "contended" and exited;
# - the lease revoked in etcd (as when it expires): the leader's helper exits, the leader gives
#   up leadership ("recovery lock lost") and a leader takes the lock again under a new lease;
# - etcd frozen (SIGSTOP) for longer than the lease TTL: the leader's helper cannot renew, gives
#   the lock up, the leader steps down and no node leads; once etcd runs again a node takes the
#   lock and the cluster recovers;
# - the leader stopped: its helper revokes the lease on SIGTERM, so another node takes the lock.
source "$(dirname "$0")/../lib/harness.sh"

if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
  echo "SKIP: etcd-server / etcd-client are not installed"
  exit 77
fi
h_init cluster_etcd_lock
EADDR=127.0.24.20
EURL=http://$EADDR:23790
etcdctl_() { ETCDCTL_API=3 timeout 10 etcdctl --endpoints "$EURL" "$@"; }

setsid etcd --name ctdbtest --data-dir "$H_TMP/etcd.data" --listen-client-urls "$EURL" \
  --advertise-client-urls "$EURL" --listen-peer-urls "http://$EADDR:23800" \
  --initial-advertise-peer-urls "http://$EADDR:23800" \
  --initial-cluster "ctdbtest=http://$EADDR:23800" >"$H_TMP/etcd.log" 2>&1 </dev/null &
ETCD_PID=$!
h_track_pid "$ETCD_PID"
check "etcd answers" wait_for "etcdctl_ endpoint health >/dev/null 2>&1" 30 0.2 || h_finish

cat >"$H_TMP/etcd.conf" <<EOF
host = $EADDR
port = 23790
lock_ttl = 10
refresh = 1
locks_dir = _ctdb
cluster = testcluster
EOF
HELPER="!$CTDB_SRC_DIR/tools/ctdb_etcd_lock -c $H_TMP/etcd.conf"
nodes=$H_TMP/e.nodes
h_write_nodes "$nodes" 127.0.24.21 127.0.24.22 127.0.24.23
for i in 0 1 2; do h_start_ours_args "e$i" "127.0.24.2$((i + 1))" "$nodes" --reclock="$HELPER"; done
for i in 0 1 2; do h_wait_ping "e$i" || fail "e$i answers ping"; done
h_wait_converged "start: all OK" 60 e0 e1 e2 -- OK OK OK || h_finish

# lock_lease: the lease (hex) of the lock key, empty if there is no key.
lock_lease() {
  etcdctl_ get _ctdb/testcluster -w json 2>/dev/null |
    python3 -c 'import json,sys; kv=json.load(sys.stdin).get("kvs",[]); print("%x" % kv[0]["lease"] if kv else "")' 2>/dev/null
}
# helpers_of NAME: the PIDs of ctdb_etcd_lock processes whose parent is NAME's ctdbd.
helpers_of() {
  local pid
  for pid in $(pgrep -f "ctdb_etcd_lock -c $H_TMP/etcd.conf"); do
    [ "$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status" 2>/dev/null)" != "${H_PID[$1]}" ] ||
      echo "$pid"
  done
}
# claims: the nodes that say they lead (`ctdb leader` answers their own pnn).
claims() {
  local i out=()
  for i in 0 1 2; do
    h_node_running "e$i" || continue
    [ "$(H_TOOL_TIMEOUT=3 h_ctdb "e$i" -t 2 leader 2>/dev/null)" == "$i" ] && out+=("$i")
  done
  echo "${out[*]}"
}
# converged_anew GENERATION LEASE: all OK in another generation, the lock under another lease.
converged_anew() {
  local l
  h_converged e0 e1 e2 -- OK OK OK && [ "$H_CONVERGED_GENERATION" != "$1" ] || return 1
  l=$(lock_lease)
  [ -n "$l" ] && [ "$l" != "$2" ]
}

leader=$H_CONVERGED_LEADER
gen=$H_CONVERGED_GENERATION
lease=$(lock_lease)
check "the lock key exists with a lease" [ -n "$lease" ]
check "the leader's ctdbd runs the helper that holds it" [ -n "$(helpers_of "e$leader")" ]
for i in 0 1 2; do
  [ "$i" == "$leader" ] && continue
  check "e$i: no helper left running (contended, exited)" wait_for "[ -z \"\$(helpers_of e$i)\" ]" 10
done
assert_contains "the lease has lock_ttl 10" "$(etcdctl_ lease timetolive "$lease")" \
  "granted with TTL(10s)"

# ---- the lease revoked (expired) in etcd
etcdctl_ lease revoke "$lease" >/dev/null || fail "etcdctl lease revoke $lease"
check "lease revoked: the leader gives up leadership" \
  wait_for "grep -q 'Giving up leadership: recovery lock lost' '${H_LOG[e$leader]}'" 30
check "lease revoked: a new generation under a new lease" \
  wait_for "converged_anew $gen $lease" 60 0.5
assert_eq "lease revoked: one node leads" 1 "$(wc -w <<<"$(claims)")"

# ---- etcd frozen past the TTL
leader=$H_CONVERGED_LEADER
gen=$H_CONVERGED_GENERATION
lease=$(lock_lease)
lost_before=$(grep -c 'Giving up leadership: recovery lock lost' "${H_LOG[e$leader]}")
kill -STOP "$ETCD_PID"
check "etcd frozen: the leader's helper gives the lock up and the leader steps down" wait_for \
  "[ \$(grep -c 'Giving up leadership: recovery lock lost' '${H_LOG[e$leader]}') -gt $lost_before ]" 30
check "etcd frozen: no node leads" wait_for '[ -z "$(claims)" ]' 30 0.5
kill -CONT "$ETCD_PID"
check "etcd back: a new generation with the lock held under a new lease" \
  wait_for "converged_anew $gen $lease" 90 0.5

# ---- the leader stopped: its helper revokes the lease on SIGTERM (within 6 s; left to expire,
# the lease would live on for its 10 s TTL)
leader=$H_CONVERGED_LEADER
lease=$(lock_lease)
h_stop_node "e$leader"
check "leader stopped: its lease is revoked at once (not left to expire)" \
  wait_for "! etcdctl_ lease timetolive $lease | grep -q remaining" 6 0.1
rest=()
for i in 0 1 2; do [ "$i" == "$leader" ] || rest+=("e$i"); done
flags=(OK OK OK)
flags[$leader]="DISCONNECTED|UNHEALTHY|INACTIVE"
h_wait_converged "leader stopped: the others converge" 60 "${rest[@]}" -- "${flags[@]}"
check "leader stopped: the new leader's helper holds the lock" \
  [ -n "$(helpers_of "e$H_CONVERGED_LEADER")" ]
h_finish
