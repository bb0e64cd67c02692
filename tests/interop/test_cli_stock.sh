#!/bin/bash
# Our ctdb tool against a stock 4.17 ctdbd: for each command, the stock tool and
# ours run against the same daemon and must print the same stdout and stderr
# (after normalising times, counters and database names) with the same exit code.
set -u

BUILD=${CTDB_BUILD_DIR:?CTDB_BUILD_DIR must name the build directory}
OURS=$BUILD/ctdb
STOCK=/usr/bin/ctdb
ADDR=127.0.0.11

if [ ! -x /usr/sbin/ctdbd ] || [ ! -x "$STOCK" ]; then
  echo "stock ctdb package not installed" >&2
  exit 1
fi
[ -x "$OURS" ] || { echo "no tool at $OURS" >&2; exit 1; }

T=$(mktemp -d /tmp/cli-interop.XXXXXX)
B=$T/node
DAEMON_PID=""

stop_daemon() {
  [ -n "$DAEMON_PID" ] || return 0
  if kill -0 "$DAEMON_PID" 2>/dev/null; then
    CTDB_SOCKET=$B/run/ctdbd.socket timeout 10 "$STOCK" shutdown >/dev/null 2>&1
    for _ in $(seq 1 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$DAEMON_PID" 2>/dev/null
  fi
  DAEMON_PID=""
}

cleanup() {
  stop_daemon
  # ctdbd's event daemon follows its parent; make sure nothing of ours stays.
  [ -f "$B/run/eventd.pid" ] && kill "$(cat "$B/run/eventd.pid")" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

start_daemon() {
  rm -rf "$B"
  mkdir -p "$B/db/volatile" "$B/db/persistent" "$B/db/state" "$B/events/legacy" "$B/run" \
    "$T/shared"
  echo "$ADDR" >"$B/nodes"
  : >"$B/public_addresses"
  cp /etc/ctdb/functions "$B/"
  cat >"$B/ctdb.conf" <<EOC
[logging]
	location = file:$B/log.ctdb
	log level = NOTICE
[cluster]
	cluster lock = $T/shared/cluster.lock
	node address = $ADDR
[database]
	volatile database directory = $B/db/volatile
	persistent database directory = $B/db/persistent
	state database directory = $B/db/state
[failover]
	disabled = true
EOC
  CTDB_TEST_MODE=yes CTDB_BASE=$B /usr/sbin/ctdbd || return 1
  DAEMON_PID=$(cat "$B/run/ctdbd.pid")
  # Ready means: healthy, out of recovery, and a leader has been announced.
  local deadline=$((SECONDS + 90))
  while [ $SECONDS -lt $deadline ] && kill -0 "$DAEMON_PID" 2>/dev/null; do
    if CTDB_SOCKET=$B/run/ctdbd.socket "$STOCK" nodestatus >/dev/null 2>&1 &&
      CTDB_SOCKET=$B/run/ctdbd.socket "$STOCK" status 2>/dev/null |
      grep -q '^Recovery mode:NORMAL' &&
      [ "$(CTDB_SOCKET=$B/run/ctdbd.socket "$STOCK" leader 2>/dev/null)" = 0 ]; then
      return 0
    fi
    sleep 0.2
  done
  echo "stock ctdbd did not become ready; log:" >&2
  cat "$B/log.ctdb" >&2
  return 1
}

export CTDB_SOCKET=$B/run/ctdbd.socket CTDB_BASE=$B
unset CTDB_TEST_MODE

FAILED=0
PASSED=0
SMAP=""  # sed script mapping our database names/ids onto the stock tool's

# Volatile/persistent database names per tool, so stateful commands do not
# see each other's effects.
sub_names() {  # $1 = prefix; rewrites DBV / DBP in the remaining words
  local p=$1
  shift
  local out=()
  for w in "$@"; do
    w=${w//DBV/${p}_vol.tdb}
    w=${w//DBP/${p}_per.tdb}
    out+=("$w")
  done
  printf '%s\n' "${out[@]}"
}

normalise() {  # stdin -> stdout
  sed -E \
    -e 's/time=[0-9.]+ sec  \([0-9]+ clients\)/time=T sec  (N clients)/' \
    -e 's/^(Current time of node [0-9]+ +: +).*/\1TIME/' \
    -e 's/^(Ctdbd start time +: ).*/\1TIME/' \
    -e 's/^(Time of last recovery\/failover: ).*/\1TIME/' \
    -e 's/^(Duration of last recovery\/failover: ).*/\1D/' \
    -e 's/^(Current time of statistics +: +).*/\1TIME/' \
    -e 's/^(Statistics collected since +: ).*/\1TIME/' \
    -e '/^[ |]|^CTDB version|^[0-9]+\|/{/[a-z_]+:|MIN\/AVG\/MAX|^ *[a-z_.]+ +[0-9]+$|^[0-9]+\|/s/[0-9]+(\.[0-9]+)?/N/g}' \
    -e 's/^4\.17\.[0-9]+-[A-Za-z0-9]+$/VERSION/'
}

# run_pair LABEL STOCK_ARGS -- OUR_ARGS: compares everything the user sees; $MAP
# (a sed script) is applied to our output first.
run_pair() {
  local label=$1
  shift
  local sargs=() oargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
  shift
  oargs=("$@")
  local d=$T/out
  mkdir -p "$d"
  "$STOCK" "${sargs[@]}" >"$d/s.out" 2>"$d/s.err" </dev/null
  local src=$?
  "$OURS" "${oargs[@]}" >"$d/o.out" 2>"$d/o.err" </dev/null
  local orc=$?
  normalise <"$d/s.out" >"$d/s.outn"
  normalise <"$d/s.err" >"$d/s.errn"
  sed -E "${MAP:-}" "$d/o.out" | normalise >"$d/o.outn"
  sed -E "${MAP:-}" "$d/o.err" | normalise >"$d/o.errn"
  if [ $src -eq $orc ] && cmp -s "$d/s.outn" "$d/o.outn" && cmp -s "$d/s.errn" "$d/o.errn"; then
    echo "PASS: $label (rc=$src)"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL: $label (stock rc=$src, ours rc=$orc)"
    diff -u "$d/s.outn" "$d/o.outn" | sed 's/^/    stdout /'
    diff -u "$d/s.errn" "$d/o.errn" | sed 's/^/    stderr /'
    FAILED=$((FAILED + 1))
  fi
}

# Same arguments for both tools.
check() { run_pair "ctdb $*" "$@" -- "$@"; }

# Stateful: DBV/DBP become per-tool database names.
check_db() {
  local s o
  mapfile -t s < <(sub_names s "$@")
  mapfile -t o < <(sub_names o "$@")
  MAP=$SMAP run_pair "ctdb $*" "${s[@]}" -- "${o[@]}"
}

start_daemon || exit 1

# -- commands that need no daemon state --------------------------------------
check
check version
check foo
check --bogus ping
check -n abc ping
check status extra
check readkey
check --usage
check -n 0 listnodes
check listnodes
check -X listnodes
check ping
check -n 0 ping
check -n 5 ping
check pnn
check getpid
check uptime
check runstate
check runstate running
check runstate setup first_recovery
check runstate foo
check status
check -X status
check -Y -x : status
check -Y -x , -x : status  # an option given twice: the last one counts
check -n 5 -n 0 ping
check leader
run_pair "ctdb recmaster (seed name; stock: leader)" leader -- recmaster
check getcapabilities
check -X getcapabilities
check listvars
check getvar RecoverTimeout
check getvar recovertimeout
check getvar nosuch
check setvar RecoverTimeout 31
check getvar RecoverTimeout
check setvar RecoverTimeout 30
check setvar nosuch 1
check setvar RecoverTimeout abc
check getdebug
check setdebug INFO
check getdebug
check setdebug foo
check setdebug NOTICE
check statistics
check -X statistics
check statisticsreset

# -- databases ---------------------------------------------------------------
check_db attach DBV
check_db attach DBP persistent
check_db attach x.tdb bogus
ids() { "$STOCK" -X getdbmap | awk -F'|' -v n="$1" '$3 == n { print $2 }'; }
for kind in vol per; do
  sid=$(ids "s_$kind.tdb")
  oid=$(ids "o_$kind.tdb")
  [ -n "$sid" ] && [ -n "$oid" ] || { echo "FAIL: attach did not create databases"; exit 1; }
  SMAP="$SMAP;s/o_$kind\\.tdb/s_$kind.tdb/g;s/$oid/$sid/g"
  SMAP="$SMAP;s/$(echo "${oid#0x}" | tr 'A-F' 'a-f')/$(echo "${sid#0x}" | tr 'A-F' 'a-f')/g"
done
SMAP=${SMAP#;}
check getdbmap
check -X getdbmap
check_db getdbstatus DBV
check_db getdbstatus DBP
check getdbstatus nosuch
check_db writekey DBV k1 v1
check_db readkey DBV k1
check_db readkey DBV nokey
check_db writekey DBV 0x6b32 0x7632ff
check_db writekey DBV 0x6b3 x
check_db writekey DBV k3 0xzz
check_db catdb DBV
check_db deletekey DBV k1
check_db catdb DBV
check_db readkey DBP k1
check_db pstore DBP pk1 pv1
check_db pfetch DBP pk1
check_db pfetch DBP nokey
check_db pstore DBV a b
check_db pfetch DBV a
check_db catdb DBP
check_db pstore DBP pk1 pv1
check_db pdelete DBP pk1
check_db catdb DBP
printf '"a" "1"\n"b" "0x3232"\n\n"c"\nbad\n"0x123" "v"\n"d" ""\n' >"$T/ptrans.in"
check_db ptrans DBP "$T/ptrans.in"
check_db ptrans DBP "$T/no-such-file"
check_db catdb DBP
check_db getdbseqnum DBP
check_db getdbseqnum DBV
check getdbmap
check_db detach DBV
check setvar AllowClientDBAttach 0
check_db detach DBV
check_db detach DBP
check setvar AllowClientDBAttach 1
check getdbmap

# -- connection failures ------------------------------------------------------
CTDB_SOCKET=$T/no-such-socket check ping
CTDB_SOCKET=$T/no-such-socket CTDB_BASE=$T/none check ping

# -- shutdown: each tool stops a daemon of its own ----------------------------
d=$T/out
"$STOCK" shutdown >"$d/s.out" 2>&1
src=$?
for _ in $(seq 1 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
s_gone=$(kill -0 "$DAEMON_PID" 2>/dev/null && echo running || echo stopped)
DAEMON_PID=""
start_daemon || exit 1
"$OURS" shutdown >"$d/o.out" 2>&1
orc=$?
for _ in $(seq 1 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
o_gone=$(kill -0 "$DAEMON_PID" 2>/dev/null && echo running || echo stopped)
if [ $src -eq $orc ] && cmp -s "$d/s.out" "$d/o.out" && [ "$s_gone" = "$o_gone" ]; then
  echo "PASS: ctdb shutdown (rc=$src, daemon $o_gone)"
  PASSED=$((PASSED + 1))
else
  echo "FAIL: ctdb shutdown (stock rc=$src $s_gone, ours rc=$orc $o_gone)"
  diff -u "$d/s.out" "$d/o.out" | sed 's/^/    /'
  FAILED=$((FAILED + 1))
fi

echo "$PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
