#!/bin/bash
# Tests events.d/10.interface: public addresses added to and removed from
# interfaces, TCP connections killed and tickled, link monitoring.
#
# ip and ss are small fakes with state: addresses in $ADDRS ("IFACE FAMILY
# ADDRESS/BITS [FLAGS]"), connections in $CONNS ("STATE LOCAL PEER [stuck]"),
# interfaces are directories of a fake /sys/class/net. ctdb's "-X ifaces"
# prints what ifaces() wrote.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/10.interface"
export CTDB_SYS_CLASS_NET="$TEST_TMP/sys/class/net"
PUBADDRS="$TEST_TMP/public_addresses"
ADDRS="$STUB_STATE/addrs"
CONNS="$STUB_STATE/conns"

cat >"$TEST_TMP/fake_ip.sh" <<'EOF'
addrs="$STUB_STATE/addrs"
touch "$addrs"
# v4net ADDRESS BITS: the network number.
v4net() {
  local IFS=. a b c d
  read -r a b c d <<<"$1"
  echo $((((a << 24) | (b << 16) | (c << 8) | d) & ((0xffffffff << (32 - $2)) & 0xffffffff)))
}
same_subnet() { [ "${1#*/}" = "${2#*/}" ] && [ "$(v4net "${1%/*}" "${1#*/}")" = "$(v4net "${2%/*}" "${2#*/}")" ]; }
# Address lines on stdin, printed as "ip -o addr" does.
show() {
  local dev fam addr flags
  while read -r dev fam addr flags; do
    printf '2: %s    %s %s scope global %s%s\\       valid_lft forever preferred_lft forever\n' \
      "$dev" "$fam" "$addr" "${flags:+$flags }" "$dev"
  done
}
case "$*" in
  "link set "*" up")
    [ -d "$CTDB_SYS_CLASS_NET/$3" ] || { echo "Cannot find device \"$3\"" >&2; exit 1; }
    echo 0x1003 >"$CTDB_SYS_CLASS_NET/$3/flags"
    # after_up: the operstate the link reaches once brought up.
    if [ -e "$CTDB_SYS_CLASS_NET/$3/after_up" ]; then
      cp "$CTDB_SYS_CLASS_NET/$3/after_up" "$CTDB_SYS_CLASS_NET/$3/operstate"
    fi
    ;;
  "-o addr show to "*/*)
    awk -v w="${5%/*}" '{ split($3, a, "/") } a[1] == w' "$addrs" | show ;;
  "-o -4 addr show dev "*)
    awk -v d="$6" '$1 == d && $2 == "inet"' "$addrs" | show ;;
  "addr add "*" dev "*)
    new="$3" dev="${!#}" fam=inet flags=""
    [[ "$new" == *:* ]] && fam=inet6
    [ -d "$CTDB_SYS_CLASS_NET/$dev" ] || { echo "Cannot find device \"$dev\"" >&2; exit 1; }
    if awk -v d="$dev" -v w="${new%/*}" '{ split($3, a, "/") } $1 == d && a[1] == w { f = 1 } END { exit !f }' "$addrs"; then
      echo "Error: $fam: Address already assigned." >&2
      exit 2
    fi
    if [ "$fam" = inet ]; then
      # Secondary when a primary of the same subnet is already there.
      while read -r d f a fl; do
        [ "$d" = "$dev" ] && [ "$f" = inet ] && [ -z "$fl" ] && same_subnet "$a" "$new" && flags=secondary
      done <"$addrs"
    else
      flags=$(cat "$STUB_STATE/ipv6_flags" 2>/dev/null)
    fi
    echo "$dev $fam $new${flags:+ $flags}" >>"$addrs"
    ;;
  "addr del "*" dev "*)
    old="$3" dev="$5"
    line=$(awk -v d="$dev" -v w="$old" '$1 == d && $3 == w' "$addrs")
    [ -n "$line" ] || { echo "Error: ipv4: Address not found." >&2; exit 2; }
    primary=false
    [ "$line" = "$dev inet $old" ] && primary=true
    promote=$(cat "$CTDB_PROC_DIR/sys/net/ipv4/conf/$dev/promote_secondaries" 2>/dev/null)
    promoted=false
    # Like the kernel: deleting a primary drops the secondaries of its
    # subnet, or with promote_secondaries=1 makes the first one primary.
    while read -r d f a fl; do
      [ "$d $f $a${fl:+ $fl}" = "$line" ] && continue
      if $primary && [ "$d" = "$dev" ] && [ "$f" = inet ] && [ "$fl" = secondary ] && same_subnet "$a" "$old"; then
        [ "$promote" = 1 ] || continue
        $promoted || { fl="" promoted=true; }
      fi
      echo "$d $f $a${fl:+ $fl}"
    done <"$addrs" >"$addrs.new"
    mv "$addrs.new" "$addrs"
    ;;
  *) echo "ip stub: unexpected arguments: $*" >&2; exit 64 ;;
esac
exit 0
EOF

cat >"$TEST_TMP/fake_ss.sh" <<'EOF'
conns="$STUB_STATE/conns"
touch "$conns"
case "$*" in
  "-K -t -n -H state connected exclude time-wait "*) kill=true established=false ;;
  "-t -n -H state connected exclude time-wait "*) kill=false established=false ;;
  "-t -n -H state established "*) kill=false established=true ;;
  *) echo "ss stub: unexpected arguments: $*" >&2; exit 64 ;;
esac
want=$(awk '{ for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1) }' <<<"${!#}")
: >"$conns.new"
while read -r st loc peer extra; do
  match=false
  for w in $want; do [ "${loc%:*}" = "$w" ] && match=true; done
  $established && [ "$st" != ESTAB ] && match=false
  # A killing ss prints what it killed; some sockets cannot be destroyed.
  if $match && ! { $kill && [ "$extra" = stuck ]; }; then
    if $established; then
      # One state asked for: ss leaves out the state column.
      printf '0      0      %s %s\n' "$loc" "$peer"
    else
      printf '%-10s 0      0      %s %s\n' "$st" "$loc" "$peer"
    fi
    $kill && continue
  fi
  echo "$st $loc $peer${extra:+ $extra}" >>"$conns.new"
done <"$conns"
mv "$conns.new" "$conns"
exit 0
EOF

# ip_stub / ss_stub / ctdb_stub [SNIPPET]: the fake, with SNIPPET run first
# (to make one command fail).
ip_stub() { stub ip "${1:-}
. '$TEST_TMP/fake_ip.sh'"; }
ss_stub() { stub ss "${1:-}
. '$TEST_TMP/fake_ss.sh'"; }
ctdb_stub() {
  stub "${2:-ctdb}" "${1:-}
case \"\$1\" in
  -X) cat '$STUB_STATE/ifaces' ;;
  tickle) cat >'$STUB_STATE/tickle_in' ;;
esac"
}

# ifaces NAME:LINK...: what ctdbd reports for "ctdb -X ifaces".
ifaces() {
  local i
  if [ "$#" -eq 0 ]; then
    echo "No interfaces configured on node 0" >"$STUB_STATE/ifaces"
    return
  fi
  echo "|Name|LinkStatus|References|" >"$STUB_STATE/ifaces"
  for i in "$@"; do echo "|${i%%:*}|${i#*:}|1|" >>"$STUB_STATE/ifaces"; done
}

# link NAME OPERSTATE [FLAGS [CARRIER]]: an interface in the fake sysfs
# (no carrier file, as when the kernel refuses to read it, unless given).
link() {
  local d="$CTDB_SYS_CLASS_NET/$1"
  mkdir -p "$d"
  echo "$2" >"$d/operstate"
  echo "${3:-0x1003}" >"$d/flags"
  rm -f "$d/carrier"
  [ -z "${4:-}" ] || echo "$4" >"$d/carrier"
}

# proc_file PATH VALUE: a file of the fake /proc.
proc_file() {
  mkdir -p "$(dirname "$CTDB_PROC_DIR/$1")"
  echo "$2" >"$CTDB_PROC_DIR/$1"
}
proc_value() { cat "$CTDB_PROC_DIR/$1"; }

# addrs LINE...: the addresses on the interfaces; conns LINE...: connections.
lines() { [ "$#" -eq 0 ] || printf '%s\n' "$@"; }
addrs() { lines "$@" >"$ADDRS"; }
conns() { lines "$@" >"$CONNS"; }
pubaddrs() { lines "$@" >"$PUBADDRS"; }
has() { [ "$(cat "$1")" = "$2" ] || { echo "      $1 is:" && sed 's/^/        /' "$1" && false; }; }

# fresh: a new case with no addresses, connections, interfaces or
# public addresses file, and the default fakes.
fresh() {
  new_case
  rm -rf "${TEST_TMP:?}/sys" "$PUBADDRS" "$STUB_STATE/ipv6_flags" "$STUB_STATE/tickle_in"
  : >"$ADDRS"
  : >"$CONNS"
  ifaces
  ip_stub
  ss_stub
  ctdb_stub
  stub sleep
  unset CTDB
}

# --- events it ignores, and no public addresses ------------------------------------
fresh
check_quiet_events "$script" "no public addresses, quiet" "setup" "startrecovery" "recovered" \
  "ipreallocated" "init" "shutdown" "unknownevent" ""
run "$script" monitor
check "no public addresses: monitor asks ctdbd, finds none, does nothing" 0 "" "ctdb -X ifaces"
: >"$STUB_LOG"
run "$script" startup
check "no public addresses: startup does nothing" 0 "" "ctdb -X ifaces"

fresh
sysconfig "CTDB_PUBLIC_ADDRESSES=$TEST_TMP/missing"
run "$script" init
check "init: CTDB_PUBLIC_ADDRESSES naming a missing file does nothing" 0 "" ""

fresh
link eth0 up
pubaddrs "10.0.0.1/24 eth0"
sysconfig "CTDB_PUBLIC_ADDRESSES=$PUBADDRS"
ifaces eth0:1
check_quiet_events "$script" "with public addresses, event not handled" "setup" "startrecovery" \
  "recovered" "ipreallocated"

# --- takeip ----------------------------------------------------------------------
fresh
link eth0 up
proc_file sys/net/ipv4/route/flush 0
proc_file sys/net/ipv6/route/flush 0
run "$script" takeip eth0 10.0.0.1 24
check "takeip IPv4: link up, then ip addr add with broadcast" 0 "" "ip link set eth0 up
ip -o addr show to 10.0.0.1/32
ip addr add 10.0.0.1/24 brd + dev eth0"
check_true "takeip IPv4: the address is on eth0" has "$ADDRS" "eth0 inet 10.0.0.1/24"
check_true "takeip IPv4: route cache flushed" [ "$(proc_value sys/net/ipv4/route/flush)$(proc_value sys/net/ipv6/route/flush)" = 11 ]

fresh
link eth0 down 0x1002
run "$script" takeip eth0 2001:db8::10 64
check "takeip IPv6: no broadcast, duplicate address detection checked" 0 "" "ip link set eth0 up
ip -o addr show to 2001:db8::10/128
ip addr add 2001:db8::10/64 dev eth0
ip -o addr show to 2001:db8::10/128"
check_true "takeip IPv6: the address is on eth0" has "$ADDRS" "eth0 inet6 2001:db8::10/64"
check_true "takeip IPv6: eth0 was brought up" has "$CTDB_SYS_CLASS_NET/eth0/flags" 0x1003

fresh
link eth0 up
echo tentative >"$STUB_STATE/ipv6_flags"
# Duplicate address detection finishes during the first wait.
stub sleep "sed -i -e 's/ tentative\$//' '$ADDRS'"
run "$script" takeip eth0 2001:db8::10 64
check "takeip IPv6: waits while the address is tentative" 0 "" "ip link set eth0 up
ip -o addr show to 2001:db8::10/128
ip addr add 2001:db8::10/64 dev eth0
ip -o addr show to 2001:db8::10/128
sleep 0.5
ip -o addr show to 2001:db8::10/128"

fresh
link eth0 up
echo "tentative dadfailed" >"$STUB_STATE/ipv6_flags"
run "$script" takeip eth0 2001:db8::10 64
check "takeip IPv6: duplicate address detection failing fails, address removed" 1 \
  "ERROR: public address 2001:db8::10/64 on interface eth0 failed duplicate address detection: another host on the link has it" \
  "ip link set eth0 up
ip -o addr show to 2001:db8::10/128
ip addr add 2001:db8::10/64 dev eth0
ip -o addr show to 2001:db8::10/128
ip addr del 2001:db8::10/64 dev eth0"
check_true "takeip IPv6 dadfailed: the address is gone" has "$ADDRS" ""

fresh
link eth0 up
echo tentative >"$STUB_STATE/ipv6_flags"
run "$script" takeip eth0 2001:db8::10 64
check "takeip IPv6: still tentative after 10 waits of 0.5s fails" 1 \
  "ERROR: public address 2001:db8::10/64 on interface eth0 is still tentative after 5 seconds (duplicate address detection did not finish)"
check_true "takeip IPv6 tentative: 10 waits, then the address is removed" \
  [ "$(grep -c '^sleep 0.5$' "$STUB_LOG")" = 10 -a "$(tail -n 1 "$STUB_LOG")" = "ip addr del 2001:db8::10/64 dev eth0" ]

fresh
link eth0 up
ip_stub '[ "$1 $2" = "addr add" ] && { echo "RTNETLINK answers: Operation not permitted" >&2; exit 2; }'
run "$script" takeip eth0 10.0.0.1 24
check "takeip: ip addr add failing fails with the address, interface and ip's message" 1 \
  "ERROR: failed to add public address 10.0.0.1/24 to interface eth0: RTNETLINK answers: Operation not permitted" \
  "ip link set eth0 up
ip -o addr show to 10.0.0.1/32
ip addr add 10.0.0.1/24 brd + dev eth0"

fresh
run "$script" takeip eth9 10.0.0.1 24
check "takeip: a missing interface fails at ip link set" 1 \
  "ERROR: cannot bring up interface eth9 for public address 10.0.0.1/24: Cannot find device \"eth9\"" \
  "ip link set eth9 up"

fresh
link eth0 up
addrs "eth0 inet 10.0.0.1/24"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: an address already present is not an error" 0 \
  "Public address 10.0.0.1/24 is already on interface eth0" "ip link set eth0 up
ip -o addr show to 10.0.0.1/32"
addrs "eth0 inet 10.0.0.1/16"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: present with other mask bits gives a warning" 0 \
  "WARNING: public address 10.0.0.1 is already on interface eth0 as /16, not /24"

# --- releaseip -----------------------------------------------------------------------
fresh
link eth0 up
addrs "eth0 inet 10.0.0.1/24"
conns "ESTAB 10.0.0.1:445 10.0.0.9:51234" \
  "ESTAB [::ffff:10.0.0.1]:445 [::ffff:10.0.0.8]:40000" \
  "CLOSE-WAIT 10.0.0.1:2049 10.0.0.7:700" \
  "ESTAB 10.0.0.2:445 10.0.0.9:51235" \
  "ESTAB 10.0.0.10:445 10.0.0.9:51236" \
  "ESTAB [2001:db8::10]:445 [2001:db8::99]:1234"
proc_file sys/net/ipv4/route/flush 0
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: connections killed with ss -K (IPv4 and mapped), address deleted" 0 \
  "Killed 3/3 TCP connections to released IP 10.0.0.1" \
  "ip -o addr show to 10.0.0.1/32
ss -K -t -n -H state connected exclude time-wait ( src 10.0.0.1 or src [::ffff:10.0.0.1] )
ss -t -n -H state connected exclude time-wait ( src 10.0.0.1 or src [::ffff:10.0.0.1] )
ip -o -4 addr show dev eth0
ip addr del 10.0.0.1/24 dev eth0"
check_true "releaseip: the address is gone" has "$ADDRS" ""
check_true "releaseip: other addresses' connections survive" has "$CONNS" "ESTAB 10.0.0.2:445 10.0.0.9:51235
ESTAB 10.0.0.10:445 10.0.0.9:51236
ESTAB [2001:db8::10]:445 [2001:db8::99]:1234"
check_true "releaseip: route cache flushed" has "$CTDB_PROC_DIR/sys/net/ipv4/route/flush" 1

fresh
link eth0 up
addrs "eth0 inet 10.0.0.1/24"
conns "ESTAB 10.0.0.1:445 10.0.0.9:51234" "ESTAB 10.0.0.1:2049 10.0.0.7:700 stuck"
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: connections ss could not kill are listed" 0 \
  "Killed 1/2 TCP connections to released IP 10.0.0.1
Remaining connections:
  10.0.0.1:2049 10.0.0.7:700"
check_true "releaseip with a stuck connection: the address is still deleted" has "$ADDRS" ""

fresh
link eth0 up
addrs "eth0 inet 10.0.0.1/24"
conns "ESTAB 10.0.0.1:445 10.0.0.9:51234"
ss_stub '[ "$1" = -K ] && { echo "SOCK_DESTROY answers: Operation not permitted" >&2; exit 1; }'
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: ss -K failing is reported, the address still goes" 0 \
  "WARNING: 'ss -K' failed to kill TCP connections to 10.0.0.1 (exit code 1):
SOCK_DESTROY answers: Operation not permitted
Killed 0/1 TCP connections to released IP 10.0.0.1
Remaining connections:
  10.0.0.1:445 10.0.0.9:51234"
check_true "releaseip with ss -K failing: the address is gone" has "$ADDRS" ""

fresh
link eth0 up
addrs "eth0 inet6 2001:db8::10/64" "eth0 inet 10.0.0.1/24"
conns "ESTAB [2001:db8::10]:445 [2001:db8::99]:1234" "ESTAB 10.0.0.1:445 10.0.0.9:51234"
run "$script" releaseip eth0 2001:db8::10 64
check "releaseip IPv6: ss filter with brackets, ip addr del" 0 \
  "Killed 1/1 TCP connections to released IP 2001:db8::10" \
  "ip -o addr show to 2001:db8::10/128
ss -K -t -n -H state connected exclude time-wait ( src [2001:db8::10] )
ss -t -n -H state connected exclude time-wait ( src [2001:db8::10] )
ip addr del 2001:db8::10/64 dev eth0"
check_true "releaseip IPv6: IPv4 address kept" has "$ADDRS" "eth0 inet 10.0.0.1/24"
check_true "releaseip IPv6: IPv4 connection kept" has "$CONNS" "ESTAB 10.0.0.1:445 10.0.0.9:51234"

fresh
link eth0 up
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: an address already gone is not an error" 0 \
  "Public address 10.0.0.1 is not on any interface; nothing to remove" \
  "ip -o addr show to 10.0.0.1/32
ss -K -t -n -H state connected exclude time-wait ( src 10.0.0.1 or src [::ffff:10.0.0.1] )
ss -t -n -H state connected exclude time-wait ( src 10.0.0.1 or src [::ffff:10.0.0.1] )"

fresh
link eth0 up
link eth1 up
addrs "eth1 inet 10.0.0.1/16"
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: the address is removed where it really is, with warnings" 0 \
  "WARNING: public address 10.0.0.1 is on interface eth1, but ctdbd says eth0
WARNING: public address 10.0.0.1 has mask bits /16 on interface eth1, but ctdbd says /24"
check_true "releaseip elsewhere: deleted from eth1 with its /16" \
  [ "$(tail -n 1 "$STUB_LOG")" = "ip addr del 10.0.0.1/16 dev eth1" ]
addrs "eth1 inet 10.0.0.1/24"
run "$script" releaseip __none__ 10.0.0.1 24
check "releaseip: ctdbd's __none__ interface gives no warning" 0 ""
check_true "releaseip __none__: the address is gone" has "$ADDRS" ""

fresh
link eth0 up
addrs "eth0 inet 10.0.0.1/24"
ip_stub '[ "$1 $2" = "addr del" ] && { echo "RTNETLINK answers: Operation not permitted" >&2; exit 2; }'
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: ip addr del failing fails with ip's message" 1 \
  "ERROR: failed to delete public address 10.0.0.1/24 from interface eth0: RTNETLINK answers: Operation not permitted"

# --- secondary addresses ----------------------------------------------------------------
secondaries_setup() {
  fresh
  link eth0 up
  link eth1 up
  addrs "eth0 inet 10.0.0.1/24" "eth0 inet 10.0.1.1/24" "eth0 inet 10.0.0.2/24 secondary" \
    "eth0 inet 10.0.0.3/24 secondary" "eth0 inet 10.0.1.2/24 secondary" "eth1 inet 10.0.0.5/24"
}
secondaries_setup
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip of a primary: secondaries the kernel dropped are put back" 0 \
  "Put back secondary address 10.0.0.2/24 on interface eth0 (the kernel dropped it with 10.0.0.1/24)
Put back secondary address 10.0.0.3/24 on interface eth0 (the kernel dropped it with 10.0.0.1/24)" \
  "ip -o addr show to 10.0.0.1/32
ss -K -t -n -H state connected exclude time-wait ( src 10.0.0.1 or src [::ffff:10.0.0.1] )
ss -t -n -H state connected exclude time-wait ( src 10.0.0.1 or src [::ffff:10.0.0.1] )
ip -o -4 addr show dev eth0
ip addr del 10.0.0.1/24 dev eth0
ip -o -4 addr show dev eth0
ip addr add 10.0.0.2/24 brd + dev eth0
ip addr add 10.0.0.3/24 brd + dev eth0"
check_true "secondaries: all other addresses are there again" has "$ADDRS" "eth0 inet 10.0.1.1/24
eth0 inet 10.0.1.2/24 secondary
eth1 inet 10.0.0.5/24
eth0 inet 10.0.0.2/24
eth0 inet 10.0.0.3/24 secondary"

secondaries_setup
proc_file sys/net/ipv4/conf/eth0/promote_secondaries 0
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip of a primary with promote_secondaries: nothing to put back" 0 "" \
  "ip -o addr show to 10.0.0.1/32
ss -K -t -n -H state connected exclude time-wait ( src 10.0.0.1 or src [::ffff:10.0.0.1] )
ss -t -n -H state connected exclude time-wait ( src 10.0.0.1 or src [::ffff:10.0.0.1] )
ip -o -4 addr show dev eth0
ip addr del 10.0.0.1/24 dev eth0
ip -o -4 addr show dev eth0"
check_true "promote_secondaries was switched on for eth0" \
  has "$CTDB_PROC_DIR/sys/net/ipv4/conf/eth0/promote_secondaries" 1
check_true "promote_secondaries: the kernel promoted 10.0.0.2" has "$ADDRS" "eth0 inet 10.0.1.1/24
eth0 inet 10.0.0.2/24
eth0 inet 10.0.0.3/24 secondary
eth0 inet 10.0.1.2/24 secondary
eth1 inet 10.0.0.5/24"

secondaries_setup
run "$script" releaseip eth0 10.0.0.2 24
check "releaseip of a secondary: no secondary takes it along" 0 "" \
  "ip -o addr show to 10.0.0.2/32
ss -K -t -n -H state connected exclude time-wait ( src 10.0.0.2 or src [::ffff:10.0.0.2] )
ss -t -n -H state connected exclude time-wait ( src 10.0.0.2 or src [::ffff:10.0.0.2] )
ip -o -4 addr show dev eth0
ip addr del 10.0.0.2/24 dev eth0"
check_true "releaseip of a secondary: 10.0.0.3 kept" grep -qx "eth0 inet 10.0.0.3/24 secondary" "$ADDRS"

secondaries_setup
ip_stub '[ "$*" = "addr add 10.0.0.3/24 brd + dev eth0" ] && { echo "RTNETLINK answers: Invalid argument" >&2; exit 2; }'
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: a secondary that cannot be put back fails the event" 1 \
  "Put back secondary address 10.0.0.2/24 on interface eth0 (the kernel dropped it with 10.0.0.1/24)
ERROR: failed to put back secondary address 10.0.0.3/24 on interface eth0 (dropped with 10.0.0.1/24): RTNETLINK answers: Invalid argument"

# --- updateip ----------------------------------------------------------------------------
updateip_setup() {
  fresh
  link eth0 up
  link eth1 up
  addrs "eth0 inet 10.0.0.1/24"
  conns "ESTAB 10.0.0.1:445 10.0.0.9:51234" "ESTAB [::ffff:10.0.0.1]:139 [::ffff:10.0.0.8]:40000" \
    "CLOSE-WAIT 10.0.0.1:2049 10.0.0.7:700"
}
updateip_setup
run "$script" updateip eth0 eth1 10.0.0.1 24
check "updateip: delete from the old interface, add to the new, gratuitous ARP, tickles" 0 \
  "Tickle TCP connection 10.0.0.1:445 10.0.0.9:51234
Tickle TCP connection 10.0.0.9:51234 10.0.0.1:445
Tickle TCP connection 10.0.0.1:139 10.0.0.8:40000
Tickle TCP connection 10.0.0.8:40000 10.0.0.1:139" \
  "ip -o addr show to 10.0.0.1/32
ip -o -4 addr show dev eth0
ip addr del 10.0.0.1/24 dev eth0
ip link set eth1 up
ip -o addr show to 10.0.0.1/32
ip addr add 10.0.0.1/24 brd + dev eth1
ctdb gratarp 10.0.0.1 eth1
ss -t -n -H state established ( src 10.0.0.1 or src [::ffff:10.0.0.1] )
ctdb tickle"
check_true "updateip: the address is on eth1 only" has "$ADDRS" "eth1 inet 10.0.0.1/24"
check_true "updateip: ctdb tickle got both directions of each connection" has "$STUB_STATE/tickle_in" \
  "10.0.0.1:445 10.0.0.9:51234
10.0.0.9:51234 10.0.0.1:445
10.0.0.1:139 10.0.0.8:40000
10.0.0.8:40000 10.0.0.1:139"
check_true "updateip: no connection was killed" [ "$(wc -l <"$CONNS")" = 3 ]

updateip_setup
addrs "eth1 inet 10.0.0.1/24"
run "$script" updateip eth1 eth1 10.0.0.1 24
check "updateip: already on the new interface, nothing to do" 0 \
  "Public address 10.0.0.1 is already on interface eth1; nothing to move" \
  "ip -o addr show to 10.0.0.1/32"

updateip_setup
ip_stub '[ "$1 $2" = "addr add" ] && [ "${!#}" = eth1 ] && { echo "RTNETLINK answers: No buffer space available" >&2; exit 2; }'
run "$script" updateip eth0 eth1 10.0.0.1 24
check "updateip: failing to add to the new interface puts the address back" 1 \
  "ERROR: failed to add public address 10.0.0.1/24 to interface eth1: RTNETLINK answers: No buffer space available
Public address 10.0.0.1/24 put back on interface eth0"
check_true "updateip failed: the address is on eth0 again" has "$ADDRS" "eth0 inet 10.0.0.1/24"

updateip_setup
conns
ctdb_stub '[ "$1" = gratarp ] && { echo "gratarp: control failed"; exit 1; }'
run "$script" updateip eth0 eth1 10.0.0.1 24
check "updateip: a failing gratuitous ARP is only a warning; no connections, no tickle" 0 \
  "WARNING: 'ctdb gratarp 10.0.0.1 eth1' failed: gratarp: control failed"
check_true "updateip without connections: ss asked, ctdb tickle not run" \
  [ "$(tail -n 1 "$STUB_LOG")" = "ss -t -n -H state established ( src 10.0.0.1 or src [::ffff:10.0.0.1] )" ]

updateip_setup
addrs
run "$script" updateip eth0 eth1 10.0.0.1 24
check "updateip: an address on no interface is just added to the new one" 0 "Tickle TCP connection 10.0.0.1:445 10.0.0.9:51234
Tickle TCP connection 10.0.0.9:51234 10.0.0.1:445
Tickle TCP connection 10.0.0.1:139 10.0.0.8:40000
Tickle TCP connection 10.0.0.8:40000 10.0.0.1:139"
check_true "updateip from nowhere: on eth1" has "$ADDRS" "eth1 inet 10.0.0.1/24"

# --- monitor ------------------------------------------------------------------------------
monitor_setup() {
  fresh
  link eth0 up
  link eth1 up
  ifaces eth0:1 eth1:1
}
monitor_setup
run "$script" monitor
check "monitor: all links up, ctdbd agrees, nothing to report" 0 "" "ctdb -X ifaces"

monitor_setup
link eth1 lowerlayerdown
run "$script" monitor
check "monitor: one link down tells ctdbd and fails" 1 \
  "ERROR: public network interface eth1 is down" "ctdb -X ifaces
ctdb setifacelink eth1 down"
ifaces eth0:1 eth1:0
: >"$STUB_LOG"
run "$script" monitor
check "monitor: link still down, ctdbd already knows" 1 \
  "ERROR: public network interface eth1 is down" "ctdb -X ifaces"
link eth1 up
: >"$STUB_LOG"
run "$script" monitor
check "monitor: link back up is reported to ctdbd" 0 "" "ctdb -X ifaces
ctdb setifacelink eth1 up"

monitor_setup
link eth1 down
sysconfig CTDB_PARTIALLY_ONLINE_INTERFACES=yes
run "$script" monitor
check "monitor: CTDB_PARTIALLY_ONLINE_INTERFACES=yes and another link up: only a warning" 0 \
  "WARNING: public network interface eth1 is down" "ctdb -X ifaces
ctdb setifacelink eth1 down"
link eth0 down
: >"$STUB_LOG"
run "$script" monitor
check "monitor: CTDB_PARTIALLY_ONLINE_INTERFACES=yes but every link down fails" 1 \
  "ERROR: public network interface eth0 is down
ERROR: public network interface eth1 is down" "ctdb -X ifaces
ctdb setifacelink eth0 down
ctdb setifacelink eth1 down"
sysconfig CTDB_PARTIALLY_ONLINE_INTERFACES=no
link eth0 up
run "$script" monitor
check "monitor: CTDB_PARTIALLY_ONLINE_INTERFACES=no, one link down fails" 1 \
  "ERROR: public network interface eth1 is down"
sysconfig CTDB_PARTIALLY_ONLINE_INTERFACES=maybe
run "$script" monitor
check "monitor: invalid CTDB_PARTIALLY_ONLINE_INTERFACES fails with a clear message" 1 \
  "ERROR: CTDB_PARTIALLY_ONLINE_INTERFACES='maybe' is not a yes/no value"

monitor_setup
ifaces eth0:1 eth2:1
run "$script" monitor
check "monitor: a missing interface is down" 1 \
  "ERROR: public network interface eth2 does not exist" "ctdb -X ifaces
ctdb setifacelink eth2 down"

monitor_setup
ifaces eth0:1
link eth3 down
pubaddrs "# public addresses" "10.0.0.1/24 eth0,eth3" "" "10.0.1.1/24 eth0"
sysconfig "CTDB_PUBLIC_ADDRESSES=$PUBADDRS"
run "$script" monitor
check "monitor: interfaces of the public addresses file are checked too (no setifacelink)" 1 \
  "ERROR: public network interface eth3 is down" "ctdb -X ifaces"

monitor_setup
ifaces
pubaddrs "10.0.0.1/24" "10.0.0.2/24 eth0"
sysconfig "CTDB_PUBLIC_ADDRESSES=$PUBADDRS" CTDB_PUBLIC_INTERFACE=eth4
run "$script" monitor
check "monitor: entries without interface use CTDB_PUBLIC_INTERFACE" 1 \
  "ERROR: public network interface eth4 does not exist" "ctdb -X ifaces"

monitor_setup
link eth1 down 0x1002
echo up >"$CTDB_SYS_CLASS_NET/eth1/after_up"
run "$script" monitor
check "monitor: an interface nobody brought up is brought up, then up" 0 "" "ctdb -X ifaces
ip link set eth1 up"
link eth1 down 0x1002
echo lowerlayerdown >"$CTDB_SYS_CLASS_NET/eth1/after_up"
: >"$STUB_LOG"
run "$script" monitor
check "monitor: brought up but no carrier is down" 1 \
  "ERROR: public network interface eth1 is down" "ctdb -X ifaces
ip link set eth1 up
ctdb setifacelink eth1 down"

monitor_setup
link eth1 unknown 0x1003 1
run "$script" monitor
check "monitor: operstate unknown with carrier is up" 0 "" "ctdb -X ifaces"
link eth1 unknown 0x1003 0
run "$script" monitor
check "monitor: operstate unknown without carrier is down" 1 \
  "ERROR: public network interface eth1 is down"
link eth1 dormant
run "$script" monitor
check "monitor: operstate dormant is down" 1 "ERROR: public network interface eth1 is down"

monitor_setup
link lo unknown 0x9
link ib0 down
ifaces lo:1 ib0:1
run "$script" monitor
check "monitor: lo and ib interfaces count as up when they exist" 0 "" "ctdb -X ifaces"

# bond NAME CONTENT: /proc/net/bonding/NAME
bond() { proc_file "net/bonding/$1" "$2"; }
BOND_AB_OK="Ethernet Channel Bonding Driver: v6.1.0

Bonding Mode: fault-tolerance (active-backup)
Primary Slave: None
Currently Active Slave: eth0
MII Status: up
MII Polling Interval (ms): 100

Slave Interface: eth0
MII Status: up

Slave Interface: eth1
MII Status: down"
bond_setup() {
  fresh
  link bond0 up
  ifaces bond0:1
}
bond_setup
bond bond0 "$BOND_AB_OK"
run "$script" monitor
check "monitor: healthy active-backup bond" 0 "" "ctdb -X ifaces"
bond bond0 "${BOND_AB_OK/Currently Active Slave: eth0/Currently Active Slave: None}"
run "$script" monitor
check "monitor: bond without active slave is down" 1 "ERROR: bond device bond0 has no active slave"
bond bond0 "${BOND_AB_OK/MII Status: up/MII Status: down}"
run "$script" monitor
check "monitor: bond with MII status down is down (whatever sysfs says)" 1 \
  "ERROR: bond device bond0 is down"
BOND_LACP="Ethernet Channel Bonding Driver: v6.1.0

Bonding Mode: IEEE 802.3ad Dynamic link aggregation
MII Status: up

Slave Interface: eth0
MII Status: down

Slave Interface: eth1
MII Status: down"
bond bond0 "$BOND_LACP"
run "$script" monitor
check "monitor: 802.3ad bond up but no slave with a link is down" 1 \
  "ERROR: no slave of 802.3ad bond device bond0 has a link"
bond bond0 "${BOND_LACP%down}up"
run "$script" monitor
check "monitor: 802.3ad bond with one slave up" 0 ""

bond_setup
link public100 up
ln -s ../bond0 "$CTDB_SYS_CLASS_NET/public100/lower_bond0"
ifaces public100:1
bond bond0 "${BOND_AB_OK/MII Status: up/MII Status: down}"
run "$script" monitor
check "monitor: VLAN on a bond (sysfs lower link) is judged by the bond" 1 \
  "ERROR: bond device bond0 is down" "ctdb -X ifaces
ctdb setifacelink public100 down"

bond_setup
link bond0.100 lowerlayerdown
ifaces bond0.100:1
bond bond0 "$BOND_AB_OK"
run "$script" monitor
check "monitor: VLAN without a lower link in sysfs: bond found by its name" 0 ""
bond bond0 "${BOND_AB_OK/MII Status: up/MII Status: down}"
run "$script" monitor
check "monitor: VLAN bond0.100 with its bond down" 1 "ERROR: bond device bond0 is down"

monitor_setup
link eth1 down
ctdb_stub '[ "$1" = setifacelink ] && { echo "Interface eth1 not found"; exit 1; }'
run "$script" monitor
check "monitor: setifacelink failing fails the event" 1 \
  "ERROR: public network interface eth1 is down
ERROR: failed to tell ctdbd that interface eth1 is down: 'ctdb setifacelink eth1 down' failed: Interface eth1 not found"
sysconfig CTDB_PARTIALLY_ONLINE_INTERFACES=yes
run "$script" monitor
check "monitor: setifacelink failing fails even when partially online is allowed" 1 \
  "ERROR: public network interface eth1 is down
ERROR: failed to tell ctdbd that interface eth1 is down: 'ctdb setifacelink eth1 down' failed: Interface eth1 not found"

monitor_setup
ctdb_stub '[ "$1" = -X ] && { echo "connect() failed, errno=111"; exit 1; }'
pubaddrs "10.0.0.1/24 eth0"
sysconfig "CTDB_PUBLIC_ADDRESSES=$PUBADDRS"
run "$script" monitor
check "monitor: ctdb -X ifaces failing fails, the file's interfaces are still checked" 1 \
  "ERROR: cannot get the interfaces from ctdbd: 'ctdb -X ifaces' failed: connect() failed, errno=111"
link eth0 down
run "$script" monitor
check "monitor: ctdb -X ifaces failing and a file interface down" 1 \
  "ERROR: public network interface eth0 is down
ERROR: cannot get the interfaces from ctdbd: 'ctdb -X ifaces' failed: connect() failed, errno=111"

monitor_setup
link eth1 down
run "$script" startup
check "startup: link states are reported to ctdbd, but startup never fails" 0 \
  "WARNING: public network interface eth1 is down" "ctdb -X ifaces
ctdb setifacelink eth1 down"

monitor_setup
link eth1 down
ctdb_stub "" ctdbtool
rm "$STUBS/ctdb"
run env CTDB=ctdbtool "$script" monitor
check "monitor: \$CTDB names the ctdb tool" 1 "ERROR: public network interface eth1 is down" \
  "ctdbtool -X ifaces
ctdbtool setifacelink eth1 down"

# --- init and shutdown ------------------------------------------------------------------------
drop_setup() {
  fresh
  link eth0 up
  link eth1 up
  pubaddrs "# public addresses" "10.0.0.1/24 eth0" "10.0.0.2/24 eth0,eth1" "" "2001:db8::10/64 eth1"
  sysconfig "CTDB_PUBLIC_ADDRESSES=$PUBADDRS"
  addrs "eth0 inet 192.168.1.5/24" "eth0 inet 10.0.0.2/24" "eth1 inet6 2001:db8::10/64"
  proc_file sys/net/ipv4/conf/all/arp_filter 0
}
DROP_CALLS="ip -o addr show to 10.0.0.1/32
ip -o addr show to 10.0.0.2/32
ip -o -4 addr show dev eth0
ip addr del 10.0.0.2/24 dev eth0
ip -o addr show to 2001:db8::10/128
ip addr del 2001:db8::10/64 dev eth1"
DROP_OUT="Removing public address 10.0.0.2/24 from interface eth0
Removing public address 2001:db8::10/64 from interface eth1"
drop_setup
run "$script" init
check "init: public addresses left on interfaces are removed" 0 "$DROP_OUT" "$DROP_CALLS"
check_true "init: only the other address is left" has "$ADDRS" "eth0 inet 192.168.1.5/24"
check_true "init: arp_filter switched on" has "$CTDB_PROC_DIR/sys/net/ipv4/conf/all/arp_filter" 1

drop_setup
run "$script" shutdown
check "shutdown: public addresses still on interfaces are removed" 0 "$DROP_OUT" "$DROP_CALLS"
check_true "shutdown: arp_filter untouched" has "$CTDB_PROC_DIR/sys/net/ipv4/conf/all/arp_filter" 0

drop_setup
ip_stub '[ "$1 $2" = "addr del" ] && { echo "RTNETLINK answers: Operation not permitted" >&2; exit 2; }'
run "$script" init
check "init: a leftover address that cannot be removed fails init" 1 \
  "Removing public address 10.0.0.2/24 from interface eth0
ERROR: failed to delete public address 10.0.0.2/24 from interface eth0: RTNETLINK answers: Operation not permitted
Removing public address 2001:db8::10/64 from interface eth1
ERROR: failed to delete public address 2001:db8::10/64 from interface eth1: RTNETLINK answers: Operation not permitted"

drop_setup
sysconfig
mkdir -p "$TEST_TMP/base"
ln -sf "$CONFIG_DIR/functions" "$TEST_TMP/base/functions"
cp "$PUBADDRS" "$TEST_TMP/base/public_addresses"
rm "$PUBADDRS"
run env CTDB_BASE="$TEST_TMP/base" "$script" init
check "init: without CTDB_PUBLIC_ADDRESSES, \$CTDB_BASE/public_addresses is used" 0 "$DROP_OUT" "$DROP_CALLS"
rm -rf "$TEST_TMP/base"

# --- bad arguments ------------------------------------------------------------------------------
fresh
link eth0 up
bad_args() {
  local want="$1"
  shift
  : >"$STUB_LOG"
  run "$script" "$@"
  check "bad arguments: $*" 1 "$want" ""
}
bad_args "ERROR: takeip expects IFACE IP MASKBITS, got 0 argument(s)" takeip
bad_args "ERROR: takeip expects IFACE IP MASKBITS, got 2 argument(s): eth0 10.0.0.1" takeip eth0 10.0.0.1
bad_args "ERROR: releaseip expects IFACE IP MASKBITS, got 4 argument(s): eth0 10.0.0.1 24 x" \
  releaseip eth0 10.0.0.1 24 x
bad_args "ERROR: updateip expects OLDIFACE NEWIFACE IP MASKBITS, got 3 argument(s): eth0 10.0.0.1 24" \
  updateip eth0 10.0.0.1 24
bad_args "ERROR: releaseip: '10.0.0.300' is not an IPv4 or IPv6 address" releaseip eth0 10.0.0.300 24
bad_args "ERROR: takeip: 'fileserver' is not an IPv4 or IPv6 address" takeip eth0 fileserver 24
bad_args "ERROR: takeip: '10.0.0.1/24' is not an IPv4 or IPv6 address" takeip eth0 10.0.0.1/24 24
bad_args "ERROR: takeip: mask bits '33' of 10.0.0.1 are not a number from 0 to 32" takeip eth0 10.0.0.1 33
bad_args "ERROR: takeip: mask bits 'x' of 10.0.0.1 are not a number from 0 to 32" takeip eth0 10.0.0.1 x
bad_args "ERROR: takeip: mask bits '' of 10.0.0.1 are not a number from 0 to 32" takeip eth0 10.0.0.1 ""
bad_args "ERROR: takeip: mask bits '129' of 2001:db8::1 are not a number from 0 to 128" \
  takeip eth0 2001:db8::1 129
bad_args "ERROR: takeip: 'eth/0' is not a valid interface name" takeip eth/0 10.0.0.1 24
bad_args "ERROR: takeip: 'averyverylongname' is not a valid interface name" \
  takeip averyverylongname 10.0.0.1 24
bad_args "ERROR: updateip: '' is not a valid interface name" updateip eth0 "" 10.0.0.1 24
bad_args "ERROR: updateip: 'eth 1' is not a valid interface name" updateip eth0 "eth 1" 10.0.0.1 24

# --- environment ------------------------------------------------------------------------------
fresh
link eth0 up
run env CTDB_BASE= "$script" takeip eth0 10.0.0.1 24
check "CTDB_BASE unset: functions found from the script's own location" 0 ""

# Under "bash -u" (unset variables are errors) the paths behave the same.
monitor_setup
link eth1 down
run bash -u "$script" monitor
check "bash -u: monitor" 1 "ERROR: public network interface eth1 is down"
ifaces
run bash -u "$script" monitor
check "bash -u: monitor without interfaces" 0 ""
updateip_setup
run bash -u "$script" releaseip eth0 10.0.0.1 24
check "bash -u: releaseip" 0 "Killed 3/3 TCP connections to released IP 10.0.0.1"
run bash -u "$script" takeip eth1 2001:db8::10 64
check "bash -u: takeip IPv6" 0 ""
drop_setup
run bash -u "$script" init
check "bash -u: init" 0 "$DROP_OUT"
for ev in setup ipreallocated; do
  run bash -u "$script" "$ev"
  check "bash -u: $ev" 0 ""
done

finish
