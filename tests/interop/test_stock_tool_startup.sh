#!/bin/bash
# Our ctdbd refuses bad configurations at startup: it exits non-zero, promptly, with an error
# that names the offending file and line (or option, address, directory), and it refuses to
# start a second daemon on a socket that another daemon serves.
source "$(dirname "$0")/lib.sh"

ADDR=127.0.0.23
OTHER=127.0.0.24
EXIT_DEADLINE=20  # seconds a refused daemon may take to exit
h_init stock_tool_startup

if [ ! -x "$H_CTDBD" ]; then
  fail "our ctdbd is built" "no executable at $H_CTDBD"
  h_finish
fi

# node_args DIR ADDR NODES: the normal option set for a node in DIR (dirs created).
node_args() {
  local d=$1 addr=$2 nodes=$3
  mkdir -p "$d/db/volatile" "$d/db/persistent" "$d/db/state"
  ARGS=(-i --nlist="$nodes" --listen="$addr" --socket="$d/ctdbd.socket"
    --dbdir="$d/db/volatile" --dbdir-persistent="$d/db/persistent"
    --dbdir-state="$d/db/state" --logfile="$d/log.ctdb" -d NOTICE
    --pidfile="$d/ctdbd.pid" --nosetsched)
}

# refused NAME PATTERN... -- CTDBD_ARGS...
# Runs ctdbd; asserts it exits non-zero within the deadline and that its stderr or log file
# (--logfile=... among the args) matches every extended regex PATTERN.
refused() {
  local name=$1
  shift
  local patterns=()
  while [ "$1" != -- ]; do
    patterns+=("$1")
    shift
  done
  shift
  local d=$H_TMP/run.$((++RUN)) arg log="" rc text p
  mkdir -p "$d"
  for arg in "$@"; do
    [[ "$arg" == --logfile=* ]] && log=${arg#--logfile=}
  done
  timeout -k 5 "$EXIT_DEADLINE" "$H_CTDBD" "$@" </dev/null >"$d/stdout" 2>"$d/stderr"
  rc=$?
  text=$(cat "$d/stderr" "$d/stdout" 2>/dev/null; [ -n "$log" ] && cat "$log" 2>/dev/null)
  if [ "$rc" == 124 ] || [ "$rc" == 137 ]; then
    fail "$name: exits by itself" "still running after ${EXIT_DEADLINE}s; output: $text"
    return
  fi
  if [ "$rc" != 0 ]; then pass "$name: non-zero exit ($rc)"; else
    fail "$name: non-zero exit" "exit status 0; output: $text"
  fi
  for p in "${patterns[@]}"; do
    if grep -Eq -- "$p" <<<"$text"; then pass "$name: error matches /$p/"; else
      fail "$name: error matches /$p/" "stderr+log: $text"
    fi
  done
  # The message a user reads: one line must carry all of it.
  local line ok=""
  while IFS= read -r line; do
    ok=1
    for p in "${patterns[@]}"; do
      grep -Eq -- "$p" <<<"$line" || { ok=""; break; }
    done
    [ -n "$ok" ] && break
  done <<<"$text"
  if [ -n "$ok" ]; then
    pass "$name: one line says it all"
    h_note "$name: $line"
  else
    fail "$name: one line says it all" "stderr+log: $text"
  fi
}
RUN=0

# Regex-quoted path, for patterns.
rq() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }
LINE2='(:2([^0-9]|$)|line 2([^0-9]|$))'

# --- a good configuration starts: the refusals below are then due to what each one breaks -----
h_write_nodes "$H_TMP/good.nodes" $ADDR
h_start_ours good $ADDR "$H_TMP/good.nodes"
if h_wait_ping good; then pass "good configuration starts and answers ping"; else
  fail "good configuration starts and answers ping"
  h_finish
fi
GOOD_SOCK=${H_SOCK[good]}
GOOD_PID=${H_PID[good]}

# --- a second daemon on the same socket --------------------------------------------------------
d=$H_TMP/second
mkdir -p "$d"
h_write_nodes "$d/nodes" $OTHER
node_args "$d" $OTHER "$d/nodes"
ARGS=("${ARGS[@]/#--socket=*/--socket=$GOOD_SOCK}")
refused "second daemon on the same socket" "$(rq "$GOOD_SOCK")" -- "${ARGS[@]}"
check "first daemon still running" h_node_running good
assert_eq "first daemon still answers (getpid)" "$GOOD_PID" "$(h_ctdb good getpid 2>&1)"
h_stop_node good
assert_eq "good daemon exits 0 on SIGTERM" 0 "${H_EXIT[good]}"

# --- nodes file -------------------------------------------------------------------------------
d=$H_TMP/missing
node_args "$d" $ADDR "$d/no-such-nodes-file"
refused "nodes file missing" "$(rq "$d/no-such-nodes-file")" -- "${ARGS[@]}"

d=$H_TMP/dirnodes
mkdir -p "$d/nodes.d"
node_args "$d" $ADDR "$d/nodes.d"
refused "nodes file is a directory" "$(rq "$d/nodes.d")" -- "${ARGS[@]}"

d=$H_TMP/badnodes
mkdir -p "$d"
printf '%s\n%s\n%s\n' $ADDR 127.0.0.999 127.0.0.25 >"$d/nodes"
node_args "$d" $ADDR "$d/nodes"
refused "nodes file, bad address on line 2" "$(rq "$d/nodes")" "$LINE2" "127\.0\.0\.999" \
  -- "${ARGS[@]}"

d=$H_TMP/junknodes
mkdir -p "$d"
printf '%s\n%s\n' $ADDR "not an address at all" >"$d/nodes"
node_args "$d" $ADDR "$d/nodes"
refused "nodes file, junk on line 2" "$(rq "$d/nodes")" "$LINE2" -- "${ARGS[@]}"

d=$H_TMP/notlisted
mkdir -p "$d"
h_write_nodes "$d/nodes" 127.0.0.25 127.0.0.26
node_args "$d" $ADDR "$d/nodes"
refused "--listen address not in the nodes file" "127\.0\.0\.23" "$(rq "$d/nodes")" \
  -- "${ARGS[@]}"

# --- public addresses file --------------------------------------------------------------------
d=$H_TMP/badpublic
mkdir -p "$d"
h_write_nodes "$d/nodes" $ADDR
printf '%s\n%s\n' "10.99.0.1/24 lo" "10.99.0.300/24 lo" >"$d/public_addresses"
node_args "$d" $ADDR "$d/nodes"
refused "public addresses file, bad address on line 2" "$(rq "$d/public_addresses")" "$LINE2" \
  -- "${ARGS[@]}" --public-addresses="$d/public_addresses"

# --- database directories (root can write anywhere, so use a path under a regular file) -------
for which in dbdir dbdir-persistent dbdir-state; do
  d=$H_TMP/unwritable-$which
  mkdir -p "$d"
  h_write_nodes "$d/nodes" $ADDR
  : >"$d/plainfile"
  node_args "$d" $ADDR "$d/nodes"
  ARGS=("${ARGS[@]/#--$which=*/--$which=$d/plainfile/db}")
  refused "unusable --$which" "$(rq "$d/plainfile/db")" -- "${ARGS[@]}"
done

# --- command line -----------------------------------------------------------------------------
d=$H_TMP/options
mkdir -p "$d"
h_write_nodes "$d/nodes" $ADDR
node_args "$d" $ADDR "$d/nodes"
refused "unknown option" "--no-such-option" -- "${ARGS[@]}" --no-such-option
refused "bad debug level" "BOGUSLEVEL" -- "${ARGS[@]}" -d BOGUSLEVEL
refused "bad transport" "udp" -- "${ARGS[@]}" --transport=udp
refused "--single-public-ip not an address" "invalid address 'not-an-ip'" \
  -- "${ARGS[@]}" --single-public-ip=not-an-ip --public-interface=lo
refused "--single-public-ip without --public-interface" "needs --public-interface" \
  -- "${ARGS[@]}" --single-public-ip=10.9.9.9
refused "--single-public-ip on an interface that does not exist" "unknown interface nosuch0" \
  -- "${ARGS[@]}" --single-public-ip=10.9.9.9 --public-interface=nosuch0
refused "stray argument" "stray-argument" -- "${ARGS[@]}" stray-argument
refused "--listen not an address" "not-an-ip" \
  -- "${ARGS[@]/#--listen=*/--listen=not-an-ip}"

# Nothing above may have left a daemon serving the good socket.
check "no daemon left on the socket" bash -c "! CTDB_SOCKET='$GOOD_SOCK' timeout 10 $H_TOOL ping >/dev/null 2>&1"

h_finish
