#!/bin/bash
# Tests events.d/13.per_ip_routing: a routing table and rule per public
# address, kept in step with takeip, releaseip, updateip and ipreallocated.
#
# ip is a fake with state: rules in $RULES ("PREF FROM TABLE"), routes in
# $ROUTES ("TABLE ROUTE..."); a table name must be a number or a name of the
# fake rt_tables, as for the real ip. "ctdb ip -v -X" prints what hosts()
# wrote; ss lists the connections of $CONNS_OUT for the tickles.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/13.per_ip_routing"
RULES="$STUB_STATE/rules"
ROUTES="$STUB_STATE/routes"
CONF="$TEST_TMP/policy_routing"
PUBADDRS="$TEST_TMP/public_addresses"
RT_TABLES="$CTDB_SYS_ETCDIR/iproute2/rt_tables"

cat >"$TEST_TMP/fake_ip.sh" <<'EOF'
rules="$STUB_STATE/rules" routes="$STUB_STATE/routes"
touch "$rules" "$routes"
# valid_table NAME: a number, or a name rt_tables gives a number.
valid_table() {
  [[ "$1" =~ ^[0-9]+$ ]] && return 0
  awk -v l="$1" '$1 !~ /^#/ && $2 == l { f = 1 } END { exit !f }' \
    "$CTDB_SYS_ETCDIR/iproute2/rt_tables" 2>/dev/null && return 0
  echo "Error: argument \"$1\" is wrong: table id value is invalid" >&2
  exit 255
}
no_table() { printf 'Error: ipv4: FIB table does not exist.\n%s terminated\n' "$1" >&2; exit 2; }
case "$*" in
  "rule show")
    printf '0:\tfrom all lookup local\n'
    sort -n -k 1,1 "$rules" | awk '{ printf "%s:\tfrom %s lookup %s\n", $1, $2, $3 }'
    printf '32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n'
    ;;
  "rule add from "*" pref "*" table "*)
    valid_table "$8"
    if grep -qxF -- "$6 $4 $8" "$rules"; then echo "RTNETLINK answers: File exists" >&2; exit 2; fi
    echo "$6 $4 $8" >>"$rules"
    ;;
  "rule del from "*" pref "*" table "*)
    valid_table "$8"
    if ! grep -qxF -- "$6 $4 $8" "$rules"; then
      echo "RTNETLINK answers: No such file or directory" >&2
      exit 2
    fi
    grep -vxF -- "$6 $4 $8" "$rules" >"$rules.new"
    mv "$rules.new" "$rules"
    ;;
  "route add "*" table "*)
    table="${!#}" route="${*:3:$#-4}"
    valid_table "$table"
    if awk -v t="$table" -v d="$3" '$1 == t && $2 == d { f = 1 } END { exit !f }' "$routes"; then
      echo "RTNETLINK answers: File exists" >&2
      exit 2
    fi
    echo "$table $route" >>"$routes"
    ;;
  "route show table "*)
    valid_table "$4"
    out=$(awk -v t="$4" '$1 == t { $1 = ""; sub(/^ /, ""); print }' "$routes")
    [ -n "$out" ] || no_table Dump
    echo "$out"
    ;;
  "route flush table "*)
    valid_table "$4"
    awk -v t="$4" '$1 == t { f = 1 } END { exit !f }' "$routes" || no_table Flush
    awk -v t="$4" '$1 != t' "$routes" >"$routes.new"
    mv "$routes.new" "$routes"
    ;;
  *) echo "ip stub: unexpected arguments: $*" >&2; exit 64 ;;
esac
exit 0
EOF

# ip_stub [SNIPPET]: the fake, with SNIPPET run first (to make a command fail).
ip_stub() { stub ip "${1:-}
. '$TEST_TMP/fake_ip.sh'"; }
ctdb_stub() {
  stub ctdb "${1:-}
case \"\$*\" in
  'ip -v -X') cat '$STUB_STATE/hosts' ;;
  tickle) cat >'$STUB_STATE/tickle_in' ;;
esac"
}

# hosts IP|PNN|ACTIVE...: what "ctdb ip -v -X" prints (ACTIVE empty: the
# address is on another node).
hosts() {
  local h
  echo "|Public IP|Node|ActiveInterfaces|AvailableInterfaces|ConfiguredInterfaces|" >"$STUB_STATE/hosts"
  for h in "$@"; do echo "|$h|eth0,eth1|eth0,eth1|" >>"$STUB_STATE/hosts"; done
}

lines() { [ "$#" -eq 0 ] || printf '%s\n' "$@"; }
conf() { lines "$@" >"$CONF"; }
rules() { lines "$@" >"$RULES"; }
routes() { lines "$@" >"$ROUTES"; }
has() { [ "$(cat "$1")" = "$2" ] || { echo "      $1 is:" && sed 's/^/        /' "$1" && false; }; }
rt_tables() { mkdir -p "${RT_TABLES%/*}"; lines "$@" >"$RT_TABLES"; }
# What Debian ships in /etc/iproute2/rt_tables.
RT_DEFAULT="#
# reserved values
#
255	local
254	main
253	default
0	unspec
#
# local
#
#1	inr.ruhep"

# fresh [SYSCONFIG LINES...]: a new case with the usual policy routing
# settings (or the ones given), no rules or routes, Debian's rt_tables.
fresh() {
  new_case
  if [ "$#" -eq 0 ]; then
    set -- "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
      CTDB_PER_IP_ROUTING_TABLE_ID_LOW=1000 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=9000
  fi
  sysconfig "$@"
  rm -f "$STUB_STATE/tickle_in" "$STUB_STATE/conns" "$PUBADDRS"
  rules
  routes
  conf "10.0.0.1 10.0.0.0/24" "10.0.0.1 0.0.0.0/0 10.0.0.254" \
    "10.0.1.5 10.0.1.0/24" "# 10.0.0.9 10.9.0.0/16"
  rt_tables "$RT_DEFAULT"
  hosts
  ip_stub
  ctdb_stub
  stub ss "cat '$STUB_STATE/conns' 2>/dev/null"
  mkdir -p "$CTDB_PROC_DIR/sys/net/ipv4/route" "$CTDB_PROC_DIR/sys/net/ipv4/conf/all"
  echo 0 >"$CTDB_PROC_DIR/sys/net/ipv4/route/flush"
  echo 0 >"$CTDB_PROC_DIR/sys/net/ipv4/conf/all/arp_filter"
}

# The state takeip of 10.0.0.1 on eth0 leaves.
RULES_1="100 10.0.0.1 ctdb.10.0.0.1"
ROUTES_1="ctdb.10.0.0.1 10.0.0.0/24 dev eth0
ctdb.10.0.0.1 0.0.0.0/0 via 10.0.0.254 dev eth0"
CALLS_ADD_1="ip rule add from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route add 10.0.0.0/24 dev eth0 table ctdb.10.0.0.1
ip route add 0.0.0.0/0 via 10.0.0.254 dev eth0 table ctdb.10.0.0.1"

# --- not configured ---------------------------------------------------------------
new_case
check_quiet_events "$script" "unconfigured (unset), every event is a no-op" "${ALL_EVENTS[@]}" \
  "reconfigure"
sysconfig 'CTDB_PER_IP_ROUTING_CONF=""' CTDB_PER_IP_ROUTING_RULE_PREF=100
check_quiet_events "$script" "CTDB_PER_IP_ROUTING_CONF empty, every event is a no-op" \
  "${ALL_EVENTS[@]}"

# --- configuration errors ---------------------------------------------------------
# bad_config DESC MESSAGE SYSCONFIG...: every event fails with MESSAGE.
bad_config() {
  local desc="$1" msg="$2" ev
  shift 2
  fresh "$@"
  for ev in startup monitor ipreallocated "takeip eth0 10.0.0.1 24"; do
    : >"$STUB_LOG"
    # shellcheck disable=SC2086
    run "$script" $ev
    check "$desc (${ev%% *})" 1 "$msg" ""
  done
}
LOW_HIGH=(CTDB_PER_IP_ROUTING_TABLE_ID_LOW=1000 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=9000)
bad_config "rule preference missing" \
  "ERROR: CTDB_PER_IP_ROUTING_CONF is set but CTDB_PER_IP_ROUTING_RULE_PREF is not" \
  "CTDB_PER_IP_ROUTING_CONF=$CONF" "${LOW_HIGH[@]}"
bad_config "rule preference not a number" \
  "ERROR: CTDB_PER_IP_ROUTING_RULE_PREF='high' is not a number from 1 to 32765" \
  "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=high "${LOW_HIGH[@]}"
fresh "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=0 "${LOW_HIGH[@]}"
run "$script" monitor
check "rule preference 0 (the local table's) refused" 1 \
  "ERROR: CTDB_PER_IP_ROUTING_RULE_PREF='0' is not a number from 1 to 32765" ""
fresh "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=32766 "${LOW_HIGH[@]}"
run "$script" monitor
check "rule preference 32766 (the main table's) refused" 1 \
  "ERROR: CTDB_PER_IP_ROUTING_RULE_PREF='32766' is not a number from 1 to 32765" ""
bad_config "table ID low missing" \
  "ERROR: CTDB_PER_IP_ROUTING_CONF is set but CTDB_PER_IP_ROUTING_TABLE_ID_LOW is not" \
  "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=9000
bad_config "table ID high missing" \
  "ERROR: CTDB_PER_IP_ROUTING_CONF is set but CTDB_PER_IP_ROUTING_TABLE_ID_HIGH is not" \
  "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW=1000
fresh "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW=1e3 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=9000
run "$script" monitor
check "table ID low not a number" 1 \
  "ERROR: CTDB_PER_IP_ROUTING_TABLE_ID_LOW='1e3' is not a number from 1 to 4294967295" ""
bad_config "table ID range reversed" \
  "ERROR: CTDB_PER_IP_ROUTING_TABLE_ID_LOW (9000) must be less than CTDB_PER_IP_ROUTING_TABLE_ID_HIGH (1000)" \
  "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW=9000 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=1000
fresh "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW=1000 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=1000
run "$script" monitor
check "table ID range of equal bounds refused" 1 \
  "ERROR: CTDB_PER_IP_ROUTING_TABLE_ID_LOW (1000) must be less than CTDB_PER_IP_ROUTING_TABLE_ID_HIGH (1000)" ""
bad_config "table ID range including 253-255" \
  "ERROR: routing table IDs 100-500 (CTDB_PER_IP_ROUTING_TABLE_ID_LOW-HIGH) include the system's tables 253-255" \
  "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW=100 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=500
fresh "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW=254 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=300
run "$script" monitor
check "table ID range starting at 254 refused too" 1 \
  "ERROR: routing table IDs 254-300 (CTDB_PER_IP_ROUTING_TABLE_ID_LOW-HIGH) include the system's tables 253-255" ""
fresh "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW=10 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=252
run "$script" monitor
check "table ID range below 253 accepted" 0 "" ""
bad_config "configuration file missing" \
  "ERROR: CTDB_PER_IP_ROUTING_CONF=$TEST_TMP/missing is not a readable file" \
  "CTDB_PER_IP_ROUTING_CONF=$TEST_TMP/missing" CTDB_PER_IP_ROUTING_RULE_PREF=100 "${LOW_HIGH[@]}"
fresh "CTDB_PER_IP_ROUTING_CONF=$TEST_TMP" CTDB_PER_IP_ROUTING_RULE_PREF=100 "${LOW_HIGH[@]}"
run "$script" monitor
check "configuration file naming a directory" 1 \
  "ERROR: CTDB_PER_IP_ROUTING_CONF=$TEST_TMP is not a readable file" ""

fresh
check_quiet_events "$script" "configured, events without routing work" "init" "setup" "monitor" \
  "startrecovery" "recovered"
run "$script" takeip eth0 10.0.0.1
check "takeip with too few arguments" 1 \
  "ERROR: takeip expects IFACE IP MASKBITS, got 2 argument(s): eth0 10.0.0.1" ""
run "$script" updateip eth0 10.0.0.1 24
check "updateip with too few arguments" 1 \
  "ERROR: updateip expects OLDIFACE NEWIFACE IP MASKBITS, got 3 argument(s): eth0 10.0.0.1 24" ""

# --- takeip ------------------------------------------------------------------------
fresh
run "$script" takeip eth0 10.0.0.1 24
check "takeip: rule and routes (link and via a gateway), gratuitous ARP" 0 "" "$CALLS_ADD_1
ctdb gratarp 10.0.0.1 eth0"
check_true "takeip: the rule" has "$RULES" "$RULES_1"
check_true "takeip: the routes" has "$ROUTES" "$ROUTES_1"
check_true "takeip: rt_tables names table 1000 ctdb.10.0.0.1" has "$RT_TABLES" "$RT_DEFAULT
1000	ctdb.10.0.0.1"
check_true "takeip: route cache flushed" has "$CTDB_PROC_DIR/sys/net/ipv4/route/flush" 1
: >"$STUB_LOG"
run "$script" takeip eth0 10.0.0.1 24
check "takeip again: the old rule and routes go first" 0 "" \
  "ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1
$CALLS_ADD_1
ctdb gratarp 10.0.0.1 eth0"
check_true "takeip again: one rule" has "$RULES" "$RULES_1"
check_true "takeip again: the same routes" has "$ROUTES" "$ROUTES_1"
check_true "takeip again: rt_tables unchanged" has "$RT_TABLES" "$RT_DEFAULT
1000	ctdb.10.0.0.1"
: >"$STUB_LOG"
run "$script" takeip eth1 10.0.1.5 24
check "takeip of a second address" 0 "" "ip rule add from 10.0.1.5 pref 100 table ctdb.10.0.1.5
ip route add 10.0.1.0/24 dev eth1 table ctdb.10.0.1.5
ctdb gratarp 10.0.1.5 eth1"
check_true "takeip of a second address: next table number" has "$RT_TABLES" "$RT_DEFAULT
1000	ctdb.10.0.0.1
1001	ctdb.10.0.1.5"

fresh
rt_tables "$RT_DEFAULT" "1000	admin" "1002	other"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: numbers rt_tables uses are skipped" 0 "" "$CALLS_ADD_1
ctdb gratarp 10.0.0.1 eth0"
check_true "takeip: the lowest free number is taken" has "$RT_TABLES" "$RT_DEFAULT
1000	admin
1002	other
1001	ctdb.10.0.0.1"

fresh
printf '#\n200\tadmin' >"$RT_TABLES"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: rt_tables without a last newline" 0 ""
check_true "takeip: the new entry is a line of its own" has "$RT_TABLES" "#
200	admin
1000	ctdb.10.0.0.1"

fresh
rm -rf "${RT_TABLES%/*}"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: no rt_tables yet" 0 "" "$CALLS_ADD_1
ctdb gratarp 10.0.0.1 eth0"
check_true "takeip: rt_tables created" has "$RT_TABLES" "1000	ctdb.10.0.0.1"

fresh
echo 0 >"$CTDB_PROC_DIR/sys/net/ipv4/route/flush"
check_quiet_events "$script" "address without configuration: nothing" \
  "takeip eth0 10.0.0.77 24" "updateip eth0 eth1 10.0.0.77 24" \
  "takeip eth0 2001:db8::1 64" "updateip eth0 eth1 2001:db8::1 64" "releaseip eth0 2001:db8::1 64"
check_true "address without configuration: no rt_tables entry" has "$RT_TABLES" "$RT_DEFAULT"
check_true "address without configuration: route cache left alone" \
  has "$CTDB_PROC_DIR/sys/net/ipv4/route/flush" 0

fresh "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW=1000 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=1001
rt_tables "$RT_DEFAULT" "1000	a" "1001	b"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: no free table number fails" 1 \
  "ERROR: no free routing table ID for ctdb.10.0.0.1 in 1000-1001 (CTDB_PER_IP_ROUTING_TABLE_ID_LOW-HIGH): all used in $RT_TABLES" ""
check_true "no free table number: no rule added" has "$RULES" ""

fresh
rm -rf "${RT_TABLES%/*}"
: >"${RT_TABLES%/*}"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: rt_tables cannot be created" 1 "ERROR: cannot create $RT_TABLES" ""

fresh
ip_stub '[ "$1 $2" = "rule add" ] && { echo "RTNETLINK answers: Operation not permitted" >&2; exit 2; }'
run "$script" takeip eth0 10.0.0.1 24
check "takeip: ip rule add failing fails" 1 \
  "ERROR: failed to add the policy routing rule of public address 10.0.0.1: 'ip rule add from 10.0.0.1 pref 100 table ctdb.10.0.0.1' failed: RTNETLINK answers: Operation not permitted" \
  "ip rule add from 10.0.0.1 pref 100 table ctdb.10.0.0.1"

fresh
# The second route duplicates the first: the kernel refuses it.
conf "10.0.0.1 10.0.0.0/24" "10.0.0.1 10.0.0.0/24 10.0.0.254"
run "$script" takeip eth0 10.0.0.1 24
check "takeip: a route refused fails, and the half-made routing is removed" 1 \
  "ERROR: failed to add a route for public address 10.0.0.1: 'ip route add 10.0.0.0/24 via 10.0.0.254 dev eth0 table ctdb.10.0.0.1' failed: RTNETLINK answers: File exists" \
  "ip rule add from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route add 10.0.0.0/24 dev eth0 table ctdb.10.0.0.1
ip route add 10.0.0.0/24 via 10.0.0.254 dev eth0 table ctdb.10.0.0.1
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1"
check_true "route refused: no rule left" has "$RULES" ""
check_true "route refused: no route left" has "$ROUTES" ""

fresh
ctdb_stub '[ "$1" = gratarp ] && { echo "control SEND_GRATUITOUS_ARP failed, ret=-1"; exit 1; }'
run "$script" takeip eth0 10.0.0.1 24
check "takeip: a failing gratuitous ARP is a warning" 0 \
  "WARNING: 'ctdb gratarp 10.0.0.1 eth0' failed: control SEND_GRATUITOUS_ARP failed, ret=-1"

fresh "CTDB_PER_IP_ROUTING_CONF=$CONF" CTDB_PER_IP_ROUTING_RULE_PREF=0100 \
  CTDB_PER_IP_ROUTING_TABLE_ID_LOW=01000 CTDB_PER_IP_ROUTING_TABLE_ID_HIGH=9000
run "$script" takeip eth0 10.0.0.1 24
check "takeip: numbers with leading zeros are decimal" 0 "" "$CALLS_ADD_1
ctdb gratarp 10.0.0.1 eth0"
check_true "leading zeros: table 1000, preference 100" has "$RULES" "$RULES_1"
check_true "leading zeros: rt_tables number 1000" has "$RT_TABLES" "$RT_DEFAULT
1000	ctdb.10.0.0.1"

fresh
stub ctdb4
run env CTDB=ctdb4 "$script" takeip eth0 10.0.0.1 24
check "takeip: \$CTDB is the ctdb tool" 0 "" "$CALLS_ADD_1
ctdb4 gratarp 10.0.0.1 eth0"

# --- __auto_link_local__ ----------------------------------------------------------------
fresh "CTDB_PER_IP_ROUTING_CONF=__auto_link_local__" CTDB_PER_IP_ROUTING_RULE_PREF=100 \
  "${LOW_HIGH[@]}" "CTDB_PUBLIC_ADDRESSES=$PUBADDRS"
lines "# public addresses" "10.0.0.1/24 eth0,eth1" "10.0.2.17/28" "10.0.3.3 eth0" >"$PUBADDRS"
run "$script" takeip eth2 10.0.2.17 28
check "__auto_link_local__: a link route to the address's network" 0 "" \
  "ip rule add from 10.0.2.17 pref 100 table ctdb.10.0.2.17
ip route add 10.0.2.16/28 dev eth2 table ctdb.10.0.2.17
ctdb gratarp 10.0.2.17 eth2"
check_true "__auto_link_local__: the route" has "$ROUTES" "ctdb.10.0.2.17 10.0.2.16/28 dev eth2"
check_quiet_events "$script" "__auto_link_local__: addresses not in the file, or without mask bits" \
  "takeip eth0 10.0.9.9 24" "takeip eth0 10.0.3.3 24"
rm -f "$PUBADDRS"
check_quiet_events "$script" "__auto_link_local__: no public addresses file" \
  "takeip eth0 10.0.0.1 24"

# --- releaseip ------------------------------------------------------------------------
fresh
run "$script" takeip eth0 10.0.0.1 24
: >"$STUB_LOG"
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: rule deleted, table flushed" 0 "" "ip rule show
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1"
check_true "releaseip: no rule left" has "$RULES" ""
check_true "releaseip: no route left" has "$ROUTES" ""
check_true "releaseip: the table keeps its number until shutdown" has "$RT_TABLES" "$RT_DEFAULT
1000	ctdb.10.0.0.1"
: >"$STUB_LOG"
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip of an address without routing: only looks" 0 "" "ip rule show"

fresh
rules "100 10.0.0.1 1234" "200 10.0.0.1 5678"
routes "1234 10.0.0.0/24 dev eth0" "5678 10.0.0.0/8 dev eth0"
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: a rule at our preference with another table is ours too" 0 "" "ip rule show
ip rule del from 10.0.0.1 pref 100 table 1234
ip route flush table 1234"
check_true "releaseip: the rule at another preference stays" has "$RULES" "200 10.0.0.1 5678"
check_true "releaseip: its table stays" has "$ROUTES" "5678 10.0.0.0/8 dev eth0"

fresh
rules "$RULES_1"
routes "$ROUTES_1"
rt_tables "$RT_DEFAULT" "1000	ctdb.10.0.0.1"
ip_stub '[ "$1 $2" = "rule del" ] && { echo "RTNETLINK answers: Operation not permitted" >&2; exit 2; }'
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: ip rule del failing is a warning" 0 \
  "WARNING: failed to delete the policy routing rule of public address 10.0.0.1: 'ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1' failed: RTNETLINK answers: Operation not permitted"
check_true "releaseip: the routes are flushed anyway" has "$ROUTES" ""

fresh
rules "$RULES_1"
routes "$ROUTES_1"
rt_tables "$RT_DEFAULT" "1000	ctdb.10.0.0.1"
ip_stub '[ "$1 $2" = "route flush" ] && { echo "RTNETLINK answers: Device or resource busy" >&2; exit 2; }'
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: a flush that leaves routes is a warning" 0 \
  "WARNING: failed to flush routing table ctdb.10.0.0.1: 'ip route flush table ctdb.10.0.0.1' failed: RTNETLINK answers: Device or resource busy" \
  "ip rule show
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1
ip route show table ctdb.10.0.0.1"

fresh
rules "$RULES_1"
rt_tables "$RT_DEFAULT" "1000	ctdb.10.0.0.1"
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: an empty table (flush refused) is fine" 0 "" "ip rule show
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1
ip route show table ctdb.10.0.0.1"

fresh
ip_stub '[ "$*" = "rule show" ] && { echo "Cannot talk to rtnetlink" >&2; exit 1; }'
run "$script" releaseip eth0 10.0.0.1 24
check "releaseip: rules cannot be listed: a warning, the release goes on" 0 \
  "WARNING: cannot list the policy routing rules: 'ip rule show' failed: Cannot talk to rtnetlink" \
  "ip rule show"

# --- updateip ---------------------------------------------------------------------------
fresh
run "$script" takeip eth0 10.0.0.1 24
printf '%s\n' "0      0      10.0.0.1:445 10.0.0.9:51234" >"$STUB_STATE/conns"
: >"$STUB_LOG"
run "$script" updateip eth0 eth1 10.0.0.1 24
check "updateip: routes remade on the new interface, gratuitous ARP, tickles" 0 \
  "Tickle TCP connection 10.0.0.1:445 10.0.0.9:51234
Tickle TCP connection 10.0.0.9:51234 10.0.0.1:445" \
  "ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1
ip rule add from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route add 10.0.0.0/24 dev eth1 table ctdb.10.0.0.1
ip route add 0.0.0.0/0 via 10.0.0.254 dev eth1 table ctdb.10.0.0.1
ctdb gratarp 10.0.0.1 eth1
ss -t -n -H state established ( src 10.0.0.1 or src [::ffff:10.0.0.1] )
ctdb tickle"
check_true "updateip: routes on eth1" has "$ROUTES" "ctdb.10.0.0.1 10.0.0.0/24 dev eth1
ctdb.10.0.0.1 0.0.0.0/0 via 10.0.0.254 dev eth1"
check_true "updateip: ctdb tickle got both directions" has "$STUB_STATE/tickle_in" \
  "10.0.0.1:445 10.0.0.9:51234
10.0.0.9:51234 10.0.0.1:445"

fresh
ip_stub '[ "$1 $2" = "route add" ] && { echo "Error: Nexthop device is not up." >&2; exit 2; }'
run "$script" updateip eth0 eth1 10.0.0.1 24
check "updateip: a route refused fails" 1 \
  "ERROR: failed to add a route for public address 10.0.0.1: 'ip route add 10.0.0.0/24 dev eth1 table ctdb.10.0.0.1' failed: Error: Nexthop device is not up."

# --- ipreallocated ----------------------------------------------------------------------
fresh
hosts "10.0.0.1|0|eth0" "10.0.1.5|1|" "10.0.0.77|0|eth0" "2001:db8::1|0|eth0"
run "$script" ipreallocated
check "ipreallocated: routing added for hosted addresses that lack it" 0 "" "ctdb ip -v -X
ip rule show
$CALLS_ADD_1"
check_true "ipreallocated: the rule" has "$RULES" "$RULES_1"
check_true "ipreallocated: the routes" has "$ROUTES" "$ROUTES_1"
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated: nothing missing, nothing changed" 0 "" "ctdb ip -v -X
ip rule show
ip route show table ctdb.10.0.0.1"
routes
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated: a rule without routes is remade" 0 "" "ctdb ip -v -X
ip rule show
ip route show table ctdb.10.0.0.1
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1
$CALLS_ADD_1"
check_true "ipreallocated: routes back" has "$ROUTES" "$ROUTES_1"
rules
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated: routes without a rule are remade" 0 "" "ctdb ip -v -X
ip rule show
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1
$CALLS_ADD_1"
check_true "ipreallocated: rule back" has "$RULES" "$RULES_1"

fresh
hosts "10.0.0.1|0|eth0" "10.0.1.5|1|"
run "$script" takeip eth0 10.0.0.1 24
run "$script" takeip eth1 10.0.1.5 24
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated: routing of an address moved away without releaseip removed" 0 \
  "Removing policy routing of public address 10.0.1.5 (table ctdb.10.0.1.5): this node does not host it" \
  "ctdb ip -v -X
ip rule show
ip route show table ctdb.10.0.0.1
ip rule del from 10.0.1.5 pref 100 table ctdb.10.0.1.5
ip route flush table ctdb.10.0.1.5"
check_true "ipreallocated: only the hosted address's rule is left" has "$RULES" "$RULES_1"
check_true "ipreallocated: only the hosted address's routes are left" has "$ROUTES" "$ROUTES_1"

fresh
hosts "10.0.0.1|0|eth0"
run "$script" takeip eth0 10.0.0.1 24
conf "10.0.1.5 10.0.1.0/24"
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated: routing of an address taken out of the configuration removed" 0 \
  "Removing policy routing of public address 10.0.0.1 (table ctdb.10.0.0.1): no longer configured" \
  "ctdb ip -v -X
ip rule show
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1"
check_true "no longer configured: rule gone" has "$RULES" ""

fresh
hosts "10.0.0.1|0|eth0" "10.0.1.5|0|eth1"
rt_tables "$RT_DEFAULT" "1000	x"
ip_stub '[ "$1 $2 $3 $4" = "rule add from 10.0.0.1" ] && { echo "RTNETLINK answers: Operation not permitted" >&2; exit 2; }'
run "$script" ipreallocated
check "ipreallocated: one address failing fails the event, the others are done" 1 \
  "ERROR: failed to add the policy routing rule of public address 10.0.0.1: 'ip rule add from 10.0.0.1 pref 100 table ctdb.10.0.0.1' failed: RTNETLINK answers: Operation not permitted" \
  "ctdb ip -v -X
ip rule show
ip rule add from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip rule add from 10.0.1.5 pref 100 table ctdb.10.0.1.5
ip route add 10.0.1.0/24 dev eth1 table ctdb.10.0.1.5"
check_true "one failing: the other address is routed" has "$RULES" "100 10.0.1.5 ctdb.10.0.1.5"

fresh
ctdb_stub '[ "$1" = ip ] && { echo "Failed to connect to CTDB daemon (/var/run/ctdb/ctdbd.socket)"; exit 1; }'
run "$script" ipreallocated
check "ipreallocated: ctdb ip failing fails" 1 \
  "ERROR: cannot list this node's public addresses: 'ctdb ip -v -X' failed: Failed to connect to CTDB daemon (/var/run/ctdb/ctdbd.socket)" \
  "ctdb ip -v -X"

fresh
ip_stub '[ "$*" = "rule show" ] && { echo "Cannot talk to rtnetlink" >&2; exit 1; }'
run "$script" ipreallocated
check "ipreallocated: ip rule show failing fails" 1 \
  "ERROR: cannot list the policy routing rules: 'ip rule show' failed: Cannot talk to rtnetlink" \
  "ctdb ip -v -X
ip rule show"

# --- reconfigure (by hand) ---------------------------------------------------------------
fresh
hosts "10.0.0.1|0|eth0"
conf "10.0.0.1 10.0.0.0/24"
run "$script" ipreallocated
conf "10.0.0.1 10.0.0.0/24" "10.0.0.1 0.0.0.0/0 10.0.0.254"
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated does not notice a changed configuration" 0 "" "ctdb ip -v -X
ip rule show
ip route show table ctdb.10.0.0.1"
: >"$STUB_LOG"
run "$script" reconfigure
check "reconfigure remakes the routing of every hosted address" 0 "" "ctdb ip -v -X
ip rule show
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1
$CALLS_ADD_1"
check_true "reconfigure: the new routes" has "$ROUTES" "$ROUTES_1"
check_true "reconfigure: route cache flushed" has "$CTDB_PROC_DIR/sys/net/ipv4/route/flush" 1

# --- startup and shutdown ----------------------------------------------------------------
fresh
rules "$RULES_1" "200 10.0.0.2 main" "100 10.0.1.5 ctdb.10.0.1.5"
routes "$ROUTES_1"
rt_tables "$RT_DEFAULT" "1000	ctdb.10.0.0.1" "1001	ctdb.10.0.1.5"
run "$script" startup
check "startup: leftover rules at our preference and their routes removed" 0 \
  "Removing policy routing of public address 10.0.0.1 (table ctdb.10.0.0.1)
Removing policy routing of public address 10.0.1.5 (table ctdb.10.0.1.5)" "ip rule show
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1
ip rule del from 10.0.1.5 pref 100 table ctdb.10.0.1.5
ip route flush table ctdb.10.0.1.5
ip route show table ctdb.10.0.1.5"
check_true "startup: the rule at another preference stays" has "$RULES" "200 10.0.0.2 main"
check_true "startup: no route left" has "$ROUTES" ""
check_true "startup: arp_filter set" has "$CTDB_PROC_DIR/sys/net/ipv4/conf/all/arp_filter" 1

fresh
ip_stub '[ "$*" = "rule show" ] && { echo "Cannot talk to rtnetlink" >&2; exit 1; }'
run "$script" startup
check "startup: ip rule show failing fails" 1 \
  "ERROR: cannot list the policy routing rules: 'ip rule show' failed: Cannot talk to rtnetlink" \
  "ip rule show"

fresh
rt_tables "$RT_DEFAULT" "" "# mine" "300	admin"
ORIG=$(cat "$RT_TABLES")
hosts "10.0.0.1|0|eth0" "10.0.1.5|0|eth1"
run "$script" ipreallocated
check_true "shutdown setup: two addresses routed" [ "$(wc -l <"$RULES")" = 2 ]
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown: every rule and table removed" 0 \
  "Removing policy routing of public address 10.0.0.1 (table ctdb.10.0.0.1)
Removing policy routing of public address 10.0.1.5 (table ctdb.10.0.1.5)" "ip rule show
ip rule del from 10.0.0.1 pref 100 table ctdb.10.0.0.1
ip route flush table ctdb.10.0.0.1
ip rule del from 10.0.1.5 pref 100 table ctdb.10.0.1.5
ip route flush table ctdb.10.0.1.5"
check_true "shutdown: rt_tables as it was" has "$RT_TABLES" "$ORIG"
check_true "shutdown: no rule left" has "$RULES" ""

fresh
rt_tables "$RT_DEFAULT" "1500	admin-in-our-range" "50	ctdb.stale"
run "$script" shutdown
check "shutdown: nothing routed" 0 "" "ip rule show"
check_true "shutdown: rt_tables entries of our range and names are ours" has "$RT_TABLES" "$RT_DEFAULT"
rm -rf "${RT_TABLES%/*}"
run "$script" shutdown
check "shutdown: no rt_tables" 0 ""
check_true "shutdown: rt_tables not created" [ ! -e "$RT_TABLES" ]

# Under "bash -u" (unset variables are errors) the paths behave the same.
fresh
hosts "10.0.0.1|0|eth0" "10.0.1.5|1|"
rules "100 10.0.1.5 ctdb.10.0.1.5"
rt_tables "$RT_DEFAULT" "1001	ctdb.10.0.1.5"
for ev in "takeip eth0 10.0.0.1 24" "updateip eth0 eth1 10.0.0.1 24" ipreallocated \
  "releaseip eth1 10.0.0.1 24" startup shutdown reconfigure; do
  # shellcheck disable=SC2086
  run bash -u "$script" $ev
  check_true "bash -u: ${ev%% *} succeeds" [ "$RC" = 0 ]
done
new_case
run bash -u "$script" monitor
check "bash -u: unconfigured" 0 "" ""

fresh
run env CTDB_BASE= "$script" takeip eth0 10.0.0.1 24
check "CTDB_BASE unset: found from the script's own location" 0 "" "$CALLS_ADD_1
ctdb gratarp 10.0.0.1 eth0"

finish
