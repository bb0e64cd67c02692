#!/bin/bash
# Samba failover for real: three node hosts and a client host in network namespaces (as in
# test_takeover_netns), each node with events.d/10.interface and events.d/50.samba starting
# Debian's smbd (clustering = yes) at startup and checking it at every monitor event. What a
# Windows-style client sees through one public address: a file written before the node serving
# that address dies is read back through the same address afterwards; smbd registers its client
# connection with the daemon (TCP_CLIENT) and every node learns it as a tickle; the client's
# idle session to the dead node is reset by the new host at once; writes through the moved
# address are seen through the other nodes' addresses.
source "$(dirname "$0")/../lib/harness.sh"
NS_PRIV_NET=192.168.213 NS_PUB_NET=10.213.0
source "$(dirname "$0")/../lib/netns.sh"
source "$(dirname "$0")/../interop/smb_lib.sh"

h_init smb_failover_netns
netns_require
smb_have_tools /usr/sbin/smbd /usr/bin/smbclient || h_finish
netns_setup 3 || { fail "namespaces, bridges and cables are set up"; h_finish; }
PUBLIC=("$NS_PUB_NET.101" "$NS_PUB_NET.102" "$NS_PUB_NET.103")
CLIENT_ADDR=$NS_PUB_NET.250
for ip in "${PUBLIC[@]}"; do echo "$ip/24 eth1"; done >"$H_TMP/public_addresses"
SHARE=$H_TMP/share
mkdir -p "$SHARE"
# smbd serves the guest as "nobody", who must reach the share through the temp dir.
chmod 711 "$H_TMP"
chmod 777 "$SHARE"
: >"$H_TMP/client.conf"
{
  printf 'CTDB_PUBLIC_ADDRESSES=%s\n' "$H_TMP/public_addresses"
  printf 'CTDB_MANAGES_SAMBA=yes\nCTDB_SERVICE_SMB=smbd\nCTDB_SAMBA_CHECK_PORTS=445\n'
} >"$H_TMP/sysconfig"
# The scripts find config/functions through CTDB_BASE and our tool on PATH; no test mode.
export CTDB_BASE=$CTDB_SRC_DIR CTDB_SYSCONFIG=$H_TMP/sysconfig PATH=$CTDB_BUILD_DIR:$PATH
h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET.1" "$NS_PRIV_NET.2" "$NS_PRIV_NET.3"
for i in 0 1 2; do
  H_NS[n$i]=${NS_NODE[$i]}
  d=$H_TMP/n$i
  mkdir -p "$d/events.d" "$d/etc/init.d" "$d/run"
  ln -s "$CTDB_SRC_DIR/events.d/10.interface" "$d/events.d/10.interface"
  ln -s "$CTDB_SRC_DIR/events.d/50.samba" "$d/events.d/50.samba"
  H_SOCK[n$i]=$d/run/ctdbd.socket  # smb.conf names it before the daemon is registered
  conf=$(smb_conf "n$i" "n$i" "$NS_PUB_NET.0" 445 "$SHARE" guest "  bind interfaces only = no")
  # The node's smbd service, as 50.samba finds it: its own init script (CTDB_SYS_ETCDIR), no
  # systemd (CTDB_SYS_RUNDIR has none), run inside the node's namespace with the event.
  cat >"$d/etc/init.d/smbd" <<EOF
#!/bin/sh
pidfile=$H_TMP/smb-n$i/pid/smbd.pid
case "\$1" in
  start) exec /usr/sbin/smbd -D -s $conf ;;
  stop) [ -s "\$pidfile" ] && kill "\$(cat "\$pidfile")"; exit 0 ;;
esac
EOF
  chmod +x "$d/etc/init.d/smbd"
  CTDB_SYS_ETCDIR=$d/etc CTDB_SYS_RUNDIR=$d/run H_OURS_TEST_MODE="" \
    h_start_ours_args "n$i" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" \
    --reclock="$H_TMP/reclock" --public-addresses="$H_TMP/public_addresses"
done
for i in 0 1 2; do h_wait_ping "n$i" || fail "n$i answers ping"; done
# OK means every node's monitor event passed, 50.samba's port check included.
h_wait_converged "all OK (50.samba's monitor sees smbd on every node)" 120 n0 n1 n2 -- OK OK OK ||
  h_finish
for i in 0 1 2; do
  pidfile=$H_TMP/smb-n$i/pid/smbd.pid
  if wait_for "[ -s $pidfile ]" 10 0.2; then
    h_track_pid "$(cat "$pidfile")"
    pass "node $i: 50.samba's startup event started smbd"
  else
    fail "node $i: 50.samba's startup event started smbd"
  fi
  assert_contains "node $i: smbd listens on port 445 in the node's namespace" \
    "$(ip netns exec "${NS_NODE[$i]}" ss -ltn)" ":445 "
done

# on_eth1 NODE ADDR: the address is really configured on the node's public interface.
on_eth1() { [[ " $(netns_addrs "$1") " == *" $2 "* ]]; }
# smb ADDR COMMANDS: smbclient as guest from the client host; sets OUT and RC.
smb() {
  OUT=$(cd "$H_TMP" && timeout 60 ip netns exec "$NS_CLIENT" smbclient -s "$H_TMP/client.conf" \
    "//$1/share" -N -c "$2" 2>&1)
  RC=$?
}

check "every public address is hosted" \
  wait_for '[ -z "$(h_ctdb n0 ip all | awk "NR > 1 && \$2 == -1")" ]' 30 0.2
A=${PUBLIC[0]}
X=$(netns_ip_owner "$A")
check "$A is on node $X's eth1" wait_for "on_eth1 $X $A" 20 0.2

# ---- a file written through A while node X serves it
echo "written through $A (node $X) at $(date +%s.%N)" >"$H_TMP/before.txt"
smb "$A" "put before.txt before.txt"
assert_eq "put through $A (node $X): exit 0" 0 "$RC"

# ---- an idle session to A: smbd tells its daemon about the client (TCP_CLIENT), and every
# node learns the connection as a tickle for A.
mkfifo "$H_TMP/hold.in"
(cd "$H_TMP" && exec ip netns exec "$NS_CLIENT" smbclient -s "$H_TMP/client.conf" "//$A/share" \
  -N <"$H_TMP/hold.in" >"$H_TMP/hold.out" 2>&1) &
HOLD=$!
h_track_pid "$HOLD"
exec 7>"$H_TMP/hold.in"
echo "ls" >&7
session() { ip netns exec "$NS_CLIENT" ss -tn state established "dst $A" | grep -c ":445 *$"; }
check "the held session is established" wait_for '[ "$(session)" -ge 1 ]' 30 0.2
for i in 0 1 2; do
  check "node $i lists the client's connection to $A:445 as a tickle" \
    wait_for "h_ctdb n$i gettickles $A | grep -Eq 'SRC: $CLIENT_ADDR:[0-9]+ +DST: $A:445'" 40 0.5
done

# ---- node X dies: its public cable first, so that nothing it does afterwards (its smbd exits
# when its daemon goes, closing the session) reaches the client; then its daemon.
killed_at=$(h_now_us)
netns_public_link "$X" down
h_kill9_node "n$X"
survivors=()
for i in 0 1 2; do [ "$i" == "$X" ] || survivors+=("n$i"); done
S=${survivors[0]}
check "$A moves to a surviving node" \
  wait_for "o=\$(netns_ip_owner $A $S); [ -n \"\$o\" ] && [ \"\$o\" != $X ] && [ \"\$o\" != -1 ] && on_eth1 \$o $A" \
  30 0.1
Y=$(netns_ip_owner "$A" "$S")
h_note "node $X killed: $A on node $Y's eth1 after $((($(h_now_us) - killed_at) / 1000)) ms"
check "the idle session to the dead node is reset (tickle from node $Y)" \
  wait_for '[ "$(session)" == 0 ]' 10 0.1
h_note "session gone $((($(h_now_us) - killed_at) / 1000)) ms after the kill"
exec 7>&-

# ---- the client reconnects to the same address and reads its file back
smb "$A" "get before.txt before.back"
assert_eq "get through $A (now node $Y): exit 0" 0 "$RC"
assert_eq "the file written before the failover reads back the same through $A" \
  "$(cat "$H_TMP/before.txt")" "$(cat "$H_TMP/before.back" 2>&1)"
echo "written through $A (node $Y) at $(date +%s.%N)" >"$H_TMP/after.txt"
smb "$A" "put after.txt after.txt"
assert_eq "put through $A after the failover: exit 0" 0 "$RC"
for B in "${PUBLIC[@]}"; do
  [ "$B" != "$A" ] || continue
  rm -f "$H_TMP/after.back"
  smb "$B" "get after.txt after.back"
  assert_eq "get through $B (node $(netns_ip_owner "$B" "$S")): the file written after the failover" \
    "$(cat "$H_TMP/after.txt")" "$(cat "$H_TMP/after.back" 2>&1)"
done
check "the survivors stay OK" h_converged "${survivors[@]}" -- \
  $(for i in 0 1 2; do if [ "$i" == "$X" ]; then echo 'DISCONNECTED[A-Z|]*'; else echo OK; fi; done)
for i in 0 1 2; do
  [ "$i" == "$X" ] && continue
  assert_eq "node $i's smbd: no PANIC in its logs" 0 "$(smb_panics "n$i")"
done

h_finish
