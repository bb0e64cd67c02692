#!/bin/bash
# Tests events.d/11.routing: the routes of $CTDB_BASE/static-routes added
# again at ipreallocated and updateip.
#
# CTDB_BASE is a directory of the test (the static-routes file lives there)
# with the real functions file. ip is a stub keeping the routes it added in
# $ROUTES and refusing a second copy as the kernel does.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/11.routing"
export CTDB_BASE="$TEST_TMP/base"
mkdir -p "$CTDB_BASE"
ln -s "$CONFIG_DIR/functions" "$CTDB_BASE/functions"
ROUTES_FILE="$CTDB_BASE/static-routes"
ROUTES="$STUB_STATE/routes"

# ip_stub [SNIPPET]: "ip route add DEST via GW dev IFACE", SNIPPET run first.
ip_stub() {
  stub ip "${1:-}
case \"\$1 \$2\" in
  'route add')
    if grep -qxF -- \"\${*:3}\" '$ROUTES'; then echo 'RTNETLINK answers: File exists' >&2; exit 2; fi
    echo \"\${*:3}\" >>'$ROUTES' ;;
  *) echo \"ip stub: unexpected arguments: \$*\" >&2; exit 64 ;;
esac"
}

static_routes() { printf '%s\n' "$@" >"$ROUTES_FILE"; }

fresh() {
  new_case
  rm -rf "$ROUTES_FILE"
  : >"$ROUTES"
  ip_stub
}

# --- not configured -------------------------------------------------------------------
fresh
check_quiet_events "$script" "no static-routes file, every event is a no-op" "${ALL_EVENTS[@]}"
run env CTDB_BASE= "$script" ipreallocated
check "CTDB_BASE unset: the source tree has no static-routes file" 0 "" ""

# --- configured --------------------------------------------------------------------------
fresh
static_routes "# routes to the backup network" "bond1 10.3.3.0/24 10.0.0.1" "" \
  "  eth2	10.4.0.0/16   10.0.1.254" "eth2 2001:db8:4::/48 fe80::1"
check_quiet_events "$script" "events that do not add routes" "init" "setup" "startup" "monitor" \
  "startrecovery" "recovered" "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24" "shutdown"
run "$script" ipreallocated
check "ipreallocated: every route added (comments and blank lines skipped)" 0 "" \
  "ip route add 10.3.3.0/24 via 10.0.0.1 dev bond1
ip route add 10.4.0.0/16 via 10.0.1.254 dev eth2
ip route add 2001:db8:4::/48 via fe80::1 dev eth2"
check_true "ipreallocated: the routes" [ "$(cat "$ROUTES")" = "10.3.3.0/24 via 10.0.0.1 dev bond1
10.4.0.0/16 via 10.0.1.254 dev eth2
2001:db8:4::/48 via fe80::1 dev eth2" ]
: >"$STUB_LOG"
run "$script" ipreallocated
check "ipreallocated again: routes already there are fine" 0 "" \
  "ip route add 10.3.3.0/24 via 10.0.0.1 dev bond1
ip route add 10.4.0.0/16 via 10.0.1.254 dev eth2
ip route add 2001:db8:4::/48 via fe80::1 dev eth2"

fresh
static_routes "bond1 10.3.3.0/24 10.0.0.1" "eth2 10.4.0.0/16 10.0.1.254" "eth3 10.5.0.0/16 10.0.2.1"
run "$script" updateip eth2 bond1 10.0.0.5 24
check "updateip: the routes through the old and the new interface" 0 "" \
  "ip route add 10.3.3.0/24 via 10.0.0.1 dev bond1
ip route add 10.4.0.0/16 via 10.0.1.254 dev eth2"
: >"$STUB_LOG"
run "$script" updateip eth0 eth1 10.0.0.5 24
check "updateip: no route through either interface" 0 "" ""
run "$script" updateip eth0 10.0.0.5 24
check "updateip with too few arguments" 1 \
  "ERROR: updateip expects OLDIFACE NEWIFACE IP MASKBITS, got 3 argument(s): eth0 10.0.0.5 24" ""

fresh
static_routes "bond1 10.3.3.0/24 10.0.0.1" "eth2 10.4.0.0/16 10.0.1.254"
ip_stub '[ "$5" = 10.0.0.1 ] && { echo "Error: Nexthop has invalid gateway." >&2; exit 2; }'
run "$script" ipreallocated
check "ipreallocated: a route refused is a warning, the others are added" 0 \
  "WARNING: cannot add static route 10.3.3.0/24 via 10.0.0.1 dev bond1: Error: Nexthop has invalid gateway." \
  "ip route add 10.3.3.0/24 via 10.0.0.1 dev bond1
ip route add 10.4.0.0/16 via 10.0.1.254 dev eth2"
check_true "route refused: the other route is there" \
  [ "$(cat "$ROUTES")" = "10.4.0.0/16 via 10.0.1.254 dev eth2" ]

# --- a broken file ----------------------------------------------------------------------
fresh
static_routes "bond1 10.3.3.0/24 10.0.0.1" "eth2 10.4.0.0/16"
for ev in monitor ipreallocated "updateip eth0 eth2 10.0.0.5 24"; do
  : >"$STUB_LOG"
  # shellcheck disable=SC2086
  run "$script" $ev
  check "line without a gateway fails ${ev%% *}" 1 \
    "ERROR: $ROUTES_FILE line 2: want \"IFACE DESTINATION/BITS GATEWAY\", got: eth2 10.4.0.0/16" ""
done
check_quiet_events "$script" "broken file, events that do not read it" "startup" \
  "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24"
static_routes "10.3.3.0/24 via 10.0.0.1 dev bond1"
run "$script" ipreallocated
check "a line in ip's own syntax is refused" 1 \
  "ERROR: $ROUTES_FILE line 1: want \"IFACE DESTINATION/BITS GATEWAY\", got: 10.3.3.0/24 via 10.0.0.1 dev bond1" ""
static_routes "eth/0 10.3.3.0/24 10.0.0.1"
run "$script" monitor
check "an impossible interface name is refused" 1 \
  "ERROR: $ROUTES_FILE line 1: want \"IFACE DESTINATION/BITS GATEWAY\", got: eth/0 10.3.3.0/24 10.0.0.1" ""
rm -f "$ROUTES_FILE"
mkdir "$ROUTES_FILE"
run "$script" monitor
check "static-routes that is not a readable file" 1 "ERROR: cannot read $ROUTES_FILE" ""

fresh
static_routes "bond1 10.3.3.0/24 10.0.0.1"
run bash -u "$script" updateip eth0 bond1 10.0.0.5 24
check "bash -u: updateip" 0 "" "ip route add 10.3.3.0/24 via 10.0.0.1 dev bond1"

finish
