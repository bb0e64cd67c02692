#!/bin/bash
# Our ctdb tool against two stock 4.17 ctdbd (CTDB_TEST_MODE, failover on, public addresses
# managed logically on lo): public address (listing and changes: moveip, addip, delip, reloadips,
# setifacelink, gratarp, tickles), node admin and database admin commands. For each
# command the stock tool and ours run in turn and must print the same stdout and stderr with
# the same exit code; state-changing commands must also leave the same `nodestatus all`.
set -u

BUILD=${CTDB_BUILD_DIR:?CTDB_BUILD_DIR must name the build directory}
OURS=$BUILD/ctdb
STOCK=/usr/bin/ctdb
ADDRS=(127.0.0.12 127.0.0.13)
PUBLIC=(10.254.12.1 10.254.12.2 10.254.12.3 10.254.12.4)

if [ ! -x /usr/sbin/ctdbd ] || [ ! -x "$STOCK" ]; then
  echo "stock ctdb package not installed" >&2
  exit 1
fi
[ -x "$OURS" ] || { echo "no tool at $OURS" >&2; exit 1; }

T=$(mktemp -d /tmp/cli-admin.XXXXXX)
PIDS=()

cleanup() {
  local n
  for n in 0 1; do
    local s=$T/node.$n/run/ctdbd.socket
    [ -S "$s" ] && CTDB_SOCKET=$s timeout 10 "$STOCK" shutdown >/dev/null 2>&1
  done
  local p
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  for n in 0 1; do
    [ -f "$T/node.$n/run/eventd.pid" ] && kill "$(cat "$T/node.$n/run/eventd.pid")" 2>/dev/null
  done
  # Helpers the daemons forked (vacuum, lock, event children) must not outlive them:
  # stop every process that still holds a file under $T, by its pid.
  local round left
  for round in 1 2 3; do
    left=$(find /proc/[0-9]*/fd -maxdepth 1 -lname "$T/*" 2>/dev/null | cut -d/ -f3 | sort -u)
    [ -z "$left" ] && break
    kill -9 $left 2>/dev/null
    sleep 0.5
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

start_cluster() {
  mkdir -p "$T/shared"
  printf '%s\n' "${ADDRS[@]}" >"$T/nodes"
  for ip in "${PUBLIC[@]}"; do echo "$ip/24 lo"; done >"$T/public_addresses"
  local n
  for n in 0 1; do
    local B=$T/node.$n
    mkdir -p "$B/db/volatile" "$B/db/persistent" "$B/db/state" "$B/events/legacy" "$B/run"
    cp "$T/nodes" "$T/public_addresses" /etc/ctdb/functions "$B/"
    cat >"$B/ctdb.conf" <<EOC
[logging]
	location = file:$B/log.ctdb
	log level = NOTICE
[cluster]
	cluster lock = $T/shared/cluster.lock
	node address = ${ADDRS[$n]}
[database]
	volatile database directory = $B/db/volatile
	persistent database directory = $B/db/persistent
	state database directory = $B/db/state
[failover]
	disabled = false
EOC
    # The daemon would take CTDB_SOCKET (node 0's, exported below) as its own path.
    env -u CTDB_SOCKET CTDB_TEST_MODE=yes CTDB_BASE=$B /usr/sbin/ctdbd || return 1
    PIDS+=("$(cat "$B/run/ctdbd.pid")")
  done
  # Ready: both nodes OK, out of recovery, and every public address hosted by some node.
  local deadline=$((SECONDS + 90))
  while [ $SECONDS -lt $deadline ]; do
    if [ "$("$STOCK" nodestatus all 2>/dev/null | grep -c ' OK')" = 2 ] &&
      "$STOCK" status 2>/dev/null | grep -q '^Recovery mode:NORMAL' &&
      ! "$STOCK" ip all 2>/dev/null | grep -q ' -1$' &&
      [ "$("$STOCK" ip all 2>/dev/null | wc -l)" = 5 ]; then
      return 0
    fi
    sleep 0.2
  done
  echo "stock cluster did not become ready; logs:" >&2
  tail -n 30 "$T"/node.*/log.ctdb >&2
  return 1
}

export CTDB_SOCKET=$T/node.0/run/ctdbd.socket CTDB_BASE=$T/node.0
# Test mode makes both tools run in their own process group, so that a -T
# timeout (which signals the whole group) cannot take this script down.
export CTDB_TEST_MODE=yes

FAILED=0
PASSED=0
D=$T/out
mkdir -p "$D"
pass() { echo "PASS: $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $1"; FAILED=$((FAILED + 1)); }

normalise() {  # the time of a backup as restoredb/dumpdbbackup print it
  sed -E 's/@ [0-9]{4}\/[0-9]{2}\/[0-9]{2} [0-9:]{8}$/@ TIME/'
}

# run_pair LABEL STOCK_ARGS -- OUR_ARGS: same stdout, stderr and exit code; $MAP (a sed
# script) maps our per-tool names onto the stock tool's first. $AFTER, when set, is a
# command whose output after each tool's run must also be the same ($SIDE: s_ or o_).
run_pair() {
  local label=$1
  shift
  local sargs=() oargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
  shift
  oargs=("$@")
  local SIDE=s_
  timeout 60 "$STOCK" -T 50 "${sargs[@]}" >"$D/s.out" 2>"$D/s.err" </dev/null
  local src=$?
  [ -n "${AFTER:-}" ] && eval "$AFTER" >"$D/s.after" 2>&1
  [ -n "${BETWEEN:-}" ] && eval "$BETWEEN" >/dev/null 2>&1
  SIDE=o_
  timeout 60 "$OURS" -T 50 "${oargs[@]}" >"$D/o.out" 2>"$D/o.err" </dev/null
  local orc=$?
  [ -n "${AFTER:-}" ] && eval "$AFTER" >"$D/o.after" 2>&1
  [ -n "${BETWEEN:-}" ] && eval "$BETWEEN" >/dev/null 2>&1
  normalise <"$D/s.out" >"$D/s.outn"
  normalise <"$D/s.err" >"$D/s.errn"
  sed -E "${MAP:-}" "$D/o.out" | normalise >"$D/o.outn"
  sed -E "${MAP:-}" "$D/o.err" | normalise >"$D/o.errn"
  local same_after=1
  if [ -n "${AFTER:-}" ] && ! cmp -s "$D/s.after" "$D/o.after"; then same_after=0; fi
  if [ $src -eq $orc ] && cmp -s "$D/s.outn" "$D/o.outn" && cmp -s "$D/s.errn" "$D/o.errn" &&
    [ $same_after = 1 ]; then
    pass "$label (rc=$src)"
  else
    fail "$label (stock rc=$src, ours rc=$orc)"
    diff -u "$D/s.outn" "$D/o.outn" | sed 's/^/    stdout /'
    diff -u "$D/s.errn" "$D/o.errn" | sed 's/^/    stderr /'
    [ -n "${AFTER:-}" ] && diff -u "$D/s.after" "$D/o.after" | sed 's/^/    after /'
  fi
}

check() { run_pair "ctdb $*" "$@" -- "$@"; }

# Per-tool database and file names: S_/O_ in the words become s_/o_.
check_named() {
  local s=() o=() w
  for w in "$@"; do s+=("${w//@/s_}"); o+=("${w//@/o_}"); done
  MAP="s/o_/s_/g;${MAP:-}" run_pair "ctdb $*" "${s[@]}" -- "${o[@]}"
}

# A state change and its undo, run by each tool in turn: the same answer and the same
# resulting `nodestatus all` from both, and the cluster back as it was in between.
check_state() {  # "DO ARGS" "UNDO ARGS" [undo-too]
  local do_args undo_args
  read -r -a do_args <<<"$1"
  read -r -a undo_args <<<"$2"
  AFTER='"$STOCK" nodestatus all' BETWEEN="\"\$STOCK\" -T 50 ${undo_args[*]}" \
    run_pair "ctdb $1 (then: $2)" "${do_args[@]}" -- "${do_args[@]}"
  # Undo by each tool too, each starting from the changed state. Each state change costs a
  # recovery, so only where asked (the script must stay within about two minutes).
  [ "${3:-}" = undo-too ] || return 0
  "$STOCK" -T 50 "${do_args[@]}" >/dev/null 2>&1
  AFTER='"$STOCK" nodestatus all' BETWEEN="\"\$STOCK\" -T 50 ${do_args[*]}" \
    run_pair "ctdb $2" "${undo_args[@]}" -- "${undo_args[@]}"
  "$STOCK" -T 50 "${undo_args[@]}" >/dev/null 2>&1
}

start_cluster || exit 1

# -- public addresses and interfaces -------------------------------------------
check ip
check ip all
check -v ip
check -X ip
check -X -v ip
check -v ip all
check -X -v ip all
check -n 1 ip
check -n 1 -v ip
check ip bogus
check ipinfo "${PUBLIC[0]}"
check -n 1 ipinfo "${PUBLIC[1]}"
check ipinfo 10.254.99.99
check ipinfo notanaddress
check ipinfo
check ifaces
check -X ifaces
check -n 1 ifaces
run_pair "ctdb -n all ip (seed form; stock: ip all)" ip all -- -n all ip
run_pair "ctdb -n all -v ip (seed form; stock: -v ip all)" -v ip all -- -n all -v ip

# -- public address changes: each tool in turn from the same layout, which must be the same
# after each; BETWEEN puts it back with the stock tool.
A=${PUBLIC[0]}
host_of() { "$STOCK" -X ip all | awk -F'|' -v a="$1" '$2 == a { print $3 }'; }
h=$(host_of "$A")
to=$((1 - h))
AFTER='"$STOCK" ip all' BETWEEN="\"\$STOCK\" -T 50 moveip $A $h" check moveip "$A" "$to"
check moveip "$A" "$h"
check moveip "$A" 7
check moveip 10.254.99.99 0
check moveip notanaddress 0
check moveip "$A" x
check moveip "$A"
AFTER='"$STOCK" ip all' BETWEEN='"$STOCK" -T 50 delip 10.254.12.9' check addip 10.254.12.9/24 lo
check addip "$A/24" lo
check addip 10.254.12/24 lo
check addip 10.254.12.9/24
check addip 10.254.12.9 lo
check addip
"$STOCK" addip 10.254.12.9/24 lo >/dev/null 2>&1
AFTER='"$STOCK" ip all' BETWEEN='"$STOCK" -T 50 addip 10.254.12.9/24 lo' check delip 10.254.12.9
"$STOCK" -T 50 delip 10.254.12.9 >/dev/null 2>&1
check delip 10.254.99.99
check delip notanaddress
check delip
AFTER='"$STOCK" ip all' check reloadips
AFTER='"$STOCK" ip all' check reloadips all
check reloadips 7
check reloadips x
AFTER='"$STOCK" -n 1 ifaces' BETWEEN='"$STOCK" -n 1 setifacelink lo up' \
  check -n 1 setifacelink lo down
check -n 1 setifacelink lo up
check setifacelink eth9 up
check setifacelink lo sideways
check setifacelink lo
check gratarp "$A" lo
check gratarp notanaddress lo
check gratarp "$A"
AFTER='"$STOCK" gettickles '"$A" BETWEEN='"$STOCK" deltickle 10.1.1.1:40000 '"$A:445" \
  check addtickle 10.1.1.1:40000 "$A:445"
"$STOCK" addtickle 10.1.1.1:40000 "$A:445" >/dev/null 2>&1
check gettickles "$A"
check -X gettickles "$A"
check gettickles "$A" 445
check gettickles "$A" 139
check gettickles notanaddress
check gettickles
AFTER='"$STOCK" gettickles '"$A" BETWEEN='"$STOCK" addtickle 10.1.1.1:40000 '"$A:445" \
  check deltickle 10.1.1.1:40000 "$A:445"
"$STOCK" deltickle 10.1.1.1:40000 "$A:445" >/dev/null 2>&1
check deltickle 10.1.1.1:40000 "$A:445"
check addtickle notanaddress "$A:445"
check addtickle 10.1.1.1:40000
check tickle 127.0.0.12:40000 127.0.0.13:445
check tickle notanaddress 127.0.0.13:445
check tickle 127.0.0.12:40000

# -- node status and roles -----------------------------------------------------
check nodestatus
check nodestatus all
check nodestatus 0,1
check -n 1 nodestatus
check -X nodestatus all
check nodestatus 7
check nodestatus x
check getreclock
check -n 1 getreclock
check reloadnodes
check setleaderrole maybe
check setlmasterrole
AFTER='"$STOCK" -n 1 getcapabilities' check -n 1 setlmasterrole off
AFTER='"$STOCK" -n 1 getcapabilities' check -n 1 setlmasterrole on
AFTER='"$STOCK" -n 1 getcapabilities' check -n 1 setleaderrole off
AFTER='"$STOCK" -n 1 getcapabilities' check -n 1 setleaderrole on

# -- node state changes (on node 1, so that node 0 keeps the cluster running) ---
check_state "-n 1 disable" "-n 1 enable" undo-too
check_state "-n 1 stop" "-n 1 continue"
check_state "-n 1 ban 300" "-n 1 unban"
check -n 1 continue
check -n 1 ban 0
check -n 1 ban abc
check -n 1 ban
check ipreallocate
check sync
check ipreallocate extra

# recover: both tools return only once the leader shows a new generation.
gen() { "$STOCK" status | sed -n 's/^Generation://p'; }
for tool in "$STOCK" "$OURS"; do
  g1=$(gen)
  timeout 60 "$tool" -T 50 recover >"$D/r.out" 2>&1
  rc=$?
  g2=$(gen)
  if [ $rc = 0 ] && [ ! -s "$D/r.out" ] && [ -n "$g2" ] && [ "$g1" != "$g2" ] &&
    [ "$g2" != INVALID ]; then
    pass "ctdb recover by $(basename "$(dirname "$tool")")/ctdb: generation $g1 -> $g2"
  else
    fail "ctdb recover by $tool: rc=$rc generation $g1 -> $g2 output: $(cat "$D/r.out")"
  fi
done

# -- databases -----------------------------------------------------------------
"$STOCK" attach vol.tdb >/dev/null
"$STOCK" attach per.tdb persistent >/dev/null
"$STOCK" writekey vol.tdb k1 value1 >/dev/null
"$STOCK" writekey vol.tdb 0x6b32 0x00ff41 >/dev/null
"$STOCK" pstore per.tdb pk pv >/dev/null
for p in s_ o_; do
  "$STOCK" attach ${p}sticky.tdb >/dev/null
  "$STOCK" attach ${p}ro.tdb >/dev/null
  "$STOCK" attach ${p}wipe.tdb >/dev/null
  "$STOCK" writekey ${p}wipe.tdb k v >/dev/null
done
# Our ids and names as the stock tool's, for outputs that show them.
ids() { "$STOCK" -X getdbmap | awk -F'|' -v n="$1" '$3 == n { print $2 }'; }
MAP=""
for n in sticky ro wipe; do
  MAP="$MAP;s/$(ids o_$n.tdb)/$(ids s_$n.tdb)/g"
done
MAP=${MAP#;}

check cattdb vol.tdb
check cattdb per.tdb
check cattdb nosuch.tdb
check cattdb
check dbstatistics vol.tdb
check dbstatistics per.tdb
check dbstatistics nosuch.tdb
check setdbsticky per.tdb
check setdbreadonly per.tdb
check setdbsticky nosuch.tdb
AFTER='"$STOCK" getdbstatus ${SIDE}sticky.tdb | grep STICKY' check_named setdbsticky @sticky.tdb
AFTER='"$STOCK" getdbstatus ${SIDE}ro.tdb | grep READONLY' check_named setdbreadonly @ro.tdb
AFTER='"$STOCK" catdb ${SIDE}wipe.tdb' check_named wipedb @wipe.tdb
check wipedb nosuch.tdb
check wipedb

# backupdb: same message; the files differ only in the time stamp and in the record
# buffer's db_id, which 4.17 leaves uninitialised (ours writes the database's id).
check_named backupdb vol.tdb "$T/@vol.bak"
check_named backupdb per.tdb "$T/@per.bak"
for b in vol per; do
  if [ "$(stat -c %s "$T/s_$b.bak")" = "$(stat -c %s "$T/o_$b.bak")" ] &&
    cmp -s <(head -c 104 "$T/s_$b.bak" | tail -c +17) <(head -c 104 "$T/o_$b.bak" | tail -c +17) &&
    cmp -s <(tail -c +121 "$T/s_$b.bak") <(tail -c +121 "$T/o_$b.bak"); then
    pass "backupdb $b: same file layout, header and records"
  else
    fail "backupdb $b: files differ"; cmp -l "$T/s_$b.bak" "$T/o_$b.bak" | head
  fi
  # Each tool reads the other's file.
  run_pair "ctdb dumpdbbackup (stock file / our file) $b" dumpdbbackup "$T/o_$b.bak" -- \
    dumpdbbackup "$T/s_$b.bak"
  check dumpdbbackup "$T/s_$b.bak"
done
check dumpdbbackup "$T/no-such-file"
check dumpdbbackup
head -c 50 /dev/zero >"$T/zero.bak"
check dumpdbbackup "$T/zero.bak"
check restoredb "$T/no-such-file"
check restoredb "$T/zero.bak"
check restoredb
AFTER='"$STOCK" catdb vol.tdb' check restoredb "$T/s_vol.bak"
AFTER='"$STOCK" catdb ${SIDE}restored.tdb | sed "s/${SIDE}/S_/"' \
  check_named restoredb "$T/s_vol.bak" @restored.tdb

# tfetch / tstore on plain tdb files (CTDB is not involved beyond the connection).
echo "create $T/s_raw.tdb" | tdbtool >/dev/null
cp "$T/s_raw.tdb" "$T/o_raw.tdb"
check_named tstore "$T/@raw.tdb" k1 v1
check_named tstore "$T/@raw.tdb" 0x6b32 0x00ff 77 3
check_named tstore "$T/@raw.tdb" k3 v3 5 2 7
check_named tstore "$T/@raw.tdb" k4 v4 notanumber
if cmp -s "$T/s_raw.tdb" "$T/o_raw.tdb"; then
  pass "tstore: both tdb files identical"
else
  fail "tstore: tdb files differ"
fi
check tfetch "$T/s_raw.tdb" k1
check tfetch "$T/s_raw.tdb" nokey
check tfetch "$T/no-such.tdb" k1
check tfetch "$T/s_raw.tdb"
check_named tfetch "$T/s_raw.tdb" 0x6b32 "$T/@fetched.bin"
if cmp -s "$T/s_fetched.bin" "$T/o_fetched.bin"; then
  pass "tfetch: both output files identical"
else
  fail "tfetch: output files differ"
fi

# -- the seed's commands (no stock counterpart; the stock daemon lacks the controls) --
expect() {  # LABEL EXPECTED_RC EXPECTED_OUTPUT ARGS...
  local label=$1 want_rc=$2 want=$3
  shift 3
  local got
  got=$(timeout 30 "$OURS" "$@" 2>&1)
  local rc=$?
  if [ $rc = "$want_rc" ] && [ "$got" = "$want" ]; then
    pass "$label"
  else
    fail "$label: rc=$rc (want $want_rc), output:"
    printf '%s\n' "$got" | sed 's/^/    /'
  fi
}
PNN=$("$STOCK" pnn)
expect "lvsmaster without LVS nodes" 0 "There is no LVS master" lvsmaster
expect "-X lvsmaster without LVS nodes" 0 "There is no LVS master" -X lvsmaster
expect "scriptstatus (control unsupported by 4.17)" 1 \
  "$(printf 'Control GET_EVENT_SCRIPT_STATUS failed, ret=-1\nUnable to get script status from node '"$PNN")" \
  scriptstatus
expect "scriptstatus bad event" 1 "Unknown event type nosuch" scriptstatus nosuch
expect "enablescript (control unsupported by 4.17)" 1 \
  "$(printf 'Control ENABLE_SCRIPT failed, ret=-1\nUnable to enable script 10.x on node '"$PNN")" \
  enablescript 10.x
expect "disablescript (control unsupported by 4.17)" 1 \
  "$(printf 'Control DISABLE_SCRIPT failed, ret=-1\nUnable to disable script 10.x on node 1')" \
  -n 1 disablescript 10.x

echo "$PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
