# Shared bash harness for suites that drive real daemons (ours and Debian's stock ctdbd).
# Owns: a temp dir per test, starting/stopping nodes by the PIDs it started, deadlines, asserts.
#
# Usage (bash only):
#   source "$CTDB_SRC_DIR/tests/lib/harness.sh"
#   h_init my_test                       # temp dir in $H_TMP, EXIT trap that stops everything
#   h_start_cluster ours n 127.0.0.21 127.0.0.22   # nodes n0, n1; waits for `ctdb ping`
#   h_ctdb n0 status                     # stock tool (or $H_TOOL) against node n0
#   wait_for "h_ctdb n1 status | grep -q OK" 30 || fail "n1 reaches OK"
#   assert_eq "pnn of n1" 1 "$(h_ctdb n1 pnn)"
#   h_finish                             # prints "N passed, N failed", exits 0 or 1
#
# Every process is started in its own session (setsid), so its PID is also its process group;
# stopping a node signals that PID and, at the end, that process group. Nothing is ever looked
# up or killed by name.

if [ -z "${BASH_VERSION:-}" ]; then
  echo "harness.sh needs bash" >&2
  exit 2
fi
[ -n "${H_HARNESS_LOADED:-}" ] && return 0
H_HARNESS_LOADED=1

H_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CTDB_SRC_DIR=${CTDB_SRC_DIR:-$(cd "$H_LIB_DIR/../.." && pwd)}
CTDB_BUILD_DIR=${CTDB_BUILD_DIR:-$CTDB_SRC_DIR/build}

H_CTDBD=${H_CTDBD:-$CTDB_BUILD_DIR/ctdbd}        # our daemon
H_STOCK_CTDBD=${H_STOCK_CTDBD:-/usr/sbin/ctdbd}  # Debian's daemon
H_TOOL=${H_TOOL:-/usr/bin/ctdb}                  # the CLI h_ctdb runs (stock by default)
H_PING_DEADLINE=${H_PING_DEADLINE:-30}           # seconds for a node to answer `ctdb ping`
H_STOP_DEADLINE=${H_STOP_DEADLINE:-10}           # seconds between the polite stop and SIGKILL
H_TOOL_TIMEOUT=${H_TOOL_TIMEOUT:-30}             # no single tool run may hang a test
H_LOG_LINES=${H_LOG_LINES:-40}                   # log lines shown per node on failure

H_PASS=0
H_FAIL=0
H_FAILED_NAMES=()
H_NODES=()           # node names, in start order
declare -A H_KIND    # name -> ours | stock
declare -A H_PID     # name -> PID of the daemon we started (also its process group)
declare -A H_ADDR    # name -> node address
declare -A H_DIR     # name -> node directory (also CTDB_BASE for the tool)
declare -A H_SOCK    # name -> Unix socket
declare -A H_LOG     # name -> daemon log file
declare -A H_OUT     # name -> captured stdout/stderr of the daemon process
declare -A H_EXIT    # name -> exit status once reaped
H_EXTRA_PIDS=()      # other background processes a test registered with h_track_pid
declare -A H_NS      # name -> network namespace our daemon NAME runs in (tests/lib/netns.sh)
declare -A H_TEST_MODE # name -> H_OURS_TEST_MODE our daemon NAME was started with
H_CLEANUP_HOOKS=()   # commands run after every process has been stopped (h_on_cleanup)

# ---------------------------------------------------------------------------------------------
# Messages and assertions

h_note() { echo "# $*"; }

pass() {
  H_PASS=$((H_PASS + 1))
  echo "PASS $1"
}

# fail NAME [DETAIL...]: each DETAIL is printed below, indented.
fail() {
  local name=$1
  shift
  H_FAIL=$((H_FAIL + 1))
  H_FAILED_NAMES+=("$name")
  echo "FAIL $name"
  local d
  for d in "$@"; do
    printf '%s\n' "$d" | sed 's/^/    /'
  done
}

# check NAME CMD...: PASS if CMD succeeds.
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name" "command failed: $*"; fi
}

assert_eq() {
  local name=$1 expected=$2 actual=$3
  if [ "$expected" == "$actual" ]; then
    pass "$name"
  else
    fail "$name" "expected: $expected" "actual:   $actual"
  fi
}

# assert_rc NAME EXPECTED_RC CMD...
assert_rc() {
  local name=$1 expected=$2
  shift 2
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" == "$expected" ]; then
    pass "$name"
  else
    fail "$name" "command: $*" "expected exit $expected, got $rc" "output: $out"
  fi
}

assert_contains() {
  local name=$1 text=$2 needle=$3
  if [[ "$text" == *"$needle"* ]]; then
    pass "$name"
  else
    fail "$name" "expected to contain: $needle" "actual: $text"
  fi
}

assert_not_contains() {
  local name=$1 text=$2 needle=$3
  if [[ "$text" != *"$needle"* ]]; then
    pass "$name"
  else
    fail "$name" "expected not to contain: $needle" "actual: $text"
  fi
}

# ---------------------------------------------------------------------------------------------
# Time

# Microseconds since the epoch (bash 5's EPOCHREALTIME, no fork).
h_now_us() {
  local t=${EPOCHREALTIME:-}
  if [ -n "$t" ]; then
    echo "${t/[.,]/}"
  else
    date +%s%6N
  fi
}

# wait_for CONDITION [DEADLINE_SECONDS=30] [INTERVAL_SECONDS=0.1]
# Evaluates the shell text CONDITION until it succeeds (return 0) or the deadline passes
# (return 1). The condition is polled; the interval only bounds how often.
wait_for() {
  local cond=$1 deadline=${2:-30} interval=${3:-0.1}
  local end=$(($(h_now_us) + deadline * 1000000))
  while true; do
    if eval "$cond"; then return 0; fi
    if [ "$(h_now_us)" -ge "$end" ]; then return 1; fi
    sleep "$interval"
  done
}

# ---------------------------------------------------------------------------------------------
# Processes

# True while PID runs (a zombie that has not been reaped counts as gone).
h_pid_running() {
  local pid=$1 stat
  [ -n "$pid" ] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# h_on_cleanup CMD: shell text run at exit once every node and tracked process has stopped.
h_on_cleanup() { H_CLEANUP_HOOKS+=("$1"); }

# h_track_pid PID: a background process the test started (setsid) that cleanup must stop.
h_track_pid() { H_EXTRA_PIDS+=("$1"); }

# h_kill_pid PID [DEADLINE]: SIGTERM, wait, then SIGKILL the PID and its process group.
h_kill_pid() {
  local pid=$1 deadline=${2:-$H_STOP_DEADLINE}
  if h_pid_running "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    if ! wait_for "! h_pid_running $pid" "$deadline"; then
      h_note "PID $pid ignored SIGTERM for ${deadline}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null
      wait_for "! h_pid_running $pid" 5
    fi
  fi
  wait "$pid" 2>/dev/null
  # Helpers the daemon forked (stock: ctdb-eventd, ctdb-recoverd) share its process group.
  kill -KILL -- "-$pid" 2>/dev/null
  return 0
}

# ---------------------------------------------------------------------------------------------
# Setup and teardown

# h_init NAME: makes $H_TMP and installs the EXIT trap.
h_init() {
  local name=${1:-test}
  H_TMP=$(mktemp -d "/tmp/ctdb-$name.XXXXXX") || {
    echo "cannot create a temp dir" >&2
    exit 2
  }
  trap h_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  h_note "test $name, temp dir $H_TMP"
}

h_cleanup() {
  local rc=$?
  trap - EXIT
  # A script that failed an assertion but ended without h_finish must not exit 0.
  [ "$rc" != 0 ] || [ "$H_FAIL" == 0 ] || rc=1
  h_stop_all
  local hook
  for hook in "${H_CLEANUP_HOOKS[@]}"; do eval "$hook"; done
  if [ "$rc" != 0 ] || [ "$H_FAIL" != 0 ]; then
    h_dump_logs
    h_note "keeping $H_TMP for inspection"
  elif [ -n "${H_KEEP:-}" ]; then
    h_note "keeping $H_TMP (H_KEEP set)"
  else
    rm -rf "$H_TMP"
  fi
  exit "$rc"
}

# h_finish: prints the count; exits 1 if anything failed or nothing was asserted.
h_finish() {
  h_check_clean_exits
  echo "$H_PASS passed, $H_FAIL failed"
  if [ "$H_FAIL" != 0 ]; then
    printf 'failed: %s\n' "${H_FAILED_NAMES[@]}"
    exit 1
  fi
  if [ "$H_PASS" == 0 ]; then
    echo "no assertion ran"
    exit 1
  fi
  exit 0
}

# h_check_clean_exits: every daemon of ours still running at the end must shut down on SIGTERM
# and exit 0; a crash in the shutdown sequence (or anything that hangs it) is a failure.
h_check_clean_exits() {
  local n
  for n in "${H_NODES[@]}"; do
    [ "${H_KIND[$n]}" == ours ] && h_node_running "$n" || continue
    h_stop_node "$n"
    if [ "${H_EXIT[$n]}" == 127 ] && ! h_node_running "$n"; then
      # Not this shell's child (started by the init script): only its going can be seen.
      pass "$n shuts down on SIGTERM"
    elif [ "${H_EXIT[$n]}" == 0 ]; then
      pass "$n shuts down cleanly on SIGTERM"
    else
      fail "$n shuts down cleanly on SIGTERM" "exit status ${H_EXIT[$n]}" \
        "$(tail -n 15 "${H_LOG[$n]}")"
    fi
  done
}

# h_dump_logs [NAME...]: the tail of each node's log and captured output.
h_dump_logs() {
  local names=("$@") n f
  [ ${#names[@]} -gt 0 ] || names=("${H_NODES[@]}")
  for n in "${names[@]}"; do
    for f in "${H_LOG[$n]}" "${H_OUT[$n]}"; do
      [ -s "$f" ] || continue
      echo "----- $n (${H_KIND[$n]} ${H_ADDR[$n]}, pid ${H_PID[$n]}, exit ${H_EXIT[$n]:-running}):" \
        "last $H_LOG_LINES lines of $f"
      tail -n "$H_LOG_LINES" "$f"
    done
  done
  echo "-----"
}

# ---------------------------------------------------------------------------------------------
# Nodes

# h_write_nodes FILE ADDR...: one address a line.
h_write_nodes() {
  local file=$1
  shift
  printf '%s\n' "$@" >"$file"
}

_h_register() {
  local name=$1 kind=$2 addr=$3 dir=$4 sock=$5 log=$6 out=$7 pid=$8
  H_NODES+=("$name")
  H_KIND[$name]=$kind
  H_ADDR[$name]=$addr
  H_DIR[$name]=$dir
  H_SOCK[$name]=$sock
  H_LOG[$name]=$log
  H_OUT[$name]=$out
  H_PID[$name]=$pid
}

# h_start_ours NAME ADDR NODES_FILE [EXTRA_CTDBD_ARGS...]
# Starts our ctdbd in the foreground mode (-i) in the background; returns at once.
# Directory $H_TMP/NAME holds nodes, db/{volatile,persistent,state}, run/ctdbd.socket (and
# run/eventd.socket, where the stock tool's `ctdb event` looks in test mode), log.ctdb
# and an empty events.d (the event script dir unless EXTRA_CTDBD_ARGS name another).
# Like the stock daemons here, ours run with CTDB_TEST_MODE=1 (startup does not wait
# RerecoveryTimeout after the last recovery) unless H_OURS_TEST_MODE is set empty.
h_start_ours() {
  local name=$1 addr=$2 nodes=$3
  shift 3
  local d=$H_TMP/$name
  mkdir -p "$d/db/volatile" "$d/db/persistent" "$d/db/state" "$d/events.d" "$d/run"
  [ "$nodes" -ef "$d/nodes" ] || cp "$nodes" "$d/nodes"
  # CTDB_BASE (the caller's, else $d): the node's own ctdb.conf, notify.sh, ctdb.tunables...,
  # never the machine's /etc/ctdb (Debian's package, installed for the interop tests).
  local -a env_args=("CTDB_BASE=${CTDB_BASE:-$d}") ns=()
  [ -z "${H_OURS_TEST_MODE-1}" ] || env_args+=(CTDB_TEST_MODE=1)
  H_TEST_MODE[$name]=${H_OURS_TEST_MODE-1}  # h_restart_ours starts it the same way
  # In a network namespace (H_NS[NAME]), `ip netns exec` execs the daemon: same PID.
  [ -z "${H_NS[$name]:-}" ] || ns=(ip netns exec "${H_NS[$name]}")
  env "${env_args[@]}" setsid "${ns[@]}" "$H_CTDBD" -i --nlist="$d/nodes" --listen="$addr" \
    --socket="$d/run/ctdbd.socket" --dbdir="$d/db/volatile" --dbdir-persistent="$d/db/persistent" \
    --dbdir-state="$d/db/state" --logfile="$d/log.ctdb" -d NOTICE --pidfile="$d/ctdbd.pid" \
    --event-script-dir="$d/events.d" --nosetsched "$@" </dev/null >"$d/output" 2>&1 &
  _h_register "$name" ours "$addr" "$d" "$d/run/ctdbd.socket" "$d/log.ctdb" "$d/output" $!
}

# h_start_stock NAME ADDR NODES_FILE [RECLOCK_FILE]
# Starts Debian's ctdbd in CTDB_TEST_MODE, in the foreground (-i, which logs to stderr, so
# stderr is the log). CTDB_BASE=$H_TMP/NAME, socket $H_TMP/NAME/run/ctdbd.socket.
# IP failover is off unless H_STOCK_PUBLIC_ADDRESSES names a public addresses file for the
# node; H_STOCK_TUNABLES holds extra NAME=VALUE lines for its ctdb.tunables, H_STOCK_CONF extra
# sections for its ctdb.conf.
h_start_stock() {
  local name=$1 addr=$2 nodes=$3 reclock=${4:-}
  local d=$H_TMP/$name
  mkdir -p "$d/db/volatile" "$d/db/persistent" "$d/db/state" "$d/events/legacy" "$d/run"
  [ "$nodes" -ef "$d/nodes" ] || cp "$nodes" "$d/nodes"
  if [ -n "${H_STOCK_PUBLIC_ADDRESSES:-}" ]; then
    cp "$H_STOCK_PUBLIC_ADDRESSES" "$d/public_addresses"
  else
    : >"$d/public_addresses"
  fi
  cp /etc/ctdb/functions "$d/" 2>/dev/null
  {
    printf '[logging]\n\tlocation = file:%s\n\tlog level = NOTICE\n' "$d/log.ctdb"
    printf '[cluster]\n\tnode address = %s\n' "$addr"
    [ -z "$reclock" ] || printf '\tcluster lock = %s\n' "$reclock"
    printf '[database]\n\tvolatile database directory = %s\n' "$d/db/volatile"
    printf '\tpersistent database directory = %s\n' "$d/db/persistent"
    printf '\tstate database directory = %s\n' "$d/db/state"
    [ -n "${H_STOCK_PUBLIC_ADDRESSES:-}" ] || printf '[failover]\n\tdisabled = true\n'
    [ -z "${H_STOCK_CONF:-}" ] || printf '%s\n' "$H_STOCK_CONF"
  } >"$d/ctdb.conf"
  # The reference runs with the seed's tunable defaults (ctdbd(1) of 2009), which ours
  # implements, so that the two compare equal where 4.17's defaults differ.
  {
    printf 'KeepaliveInterval=1\nEventScriptTimeout=20\nDatabaseHashSize=100000\n'
    [ -z "${H_STOCK_TUNABLES:-}" ] || printf '%s\n' "$H_STOCK_TUNABLES"
  } >"$d/ctdb.tunables"
  local -a ns=()
  [ -z "${H_NS[$name]:-}" ] || ns=(ip netns exec "${H_NS[$name]}")
  CTDB_TEST_MODE=yes CTDB_BASE=$d setsid "${ns[@]}" "$H_STOCK_CTDBD" -i </dev/null >"$d/log.ctdb" 2>&1 &
  _h_register "$name" stock "$addr" "$d" "$d/run/ctdbd.socket" "$d/log.ctdb" "" $!
}

# h_ctdb NAME ARGS...: runs $H_TOOL against node NAME (CTDB_SOCKET, CTDB_BASE for `listnodes`).
h_ctdb() {
  local name=$1
  shift
  CTDB_SOCKET=${H_SOCK[$name]} CTDB_BASE=${H_DIR[$name]} timeout "$H_TOOL_TIMEOUT" "$H_TOOL" "$@"
}

# run_tool ours|stock NAME ARGS...: `ctdb ARGS` on node NAME with our tool ($OURS_TOOL, default
# the build's) or the stock one ($STOCK_TOOL, default /usr/bin/ctdb); sets OUT (stdout),
# ERR (stderr) and RC.
run_tool() {
  local which=$1 tool=${OURS_TOOL:-$CTDB_BUILD_DIR/ctdb}
  shift
  [ "$which" == ours ] || tool=${STOCK_TOOL:-/usr/bin/ctdb}
  OUT=$(H_TOOL=$tool h_ctdb "$@" 2>"$H_TMP/stderr")
  RC=$?
  ERR=$(cat "$H_TMP/stderr")
}

h_node_running() { h_pid_running "${H_PID[$1]}"; }

# h_wait_ping NAME [DEADLINE]: until the node answers `ctdb ping`. Gives up at once if the
# daemon process has exited.
h_wait_ping() {
  local name=$1 deadline=${2:-$H_PING_DEADLINE}
  local end=$(($(h_now_us) + deadline * 1000000))
  while true; do
    if ! h_node_running "$name"; then
      wait "${H_PID[$name]}" 2>/dev/null
      H_EXIT[$name]=$?
      h_note "$name (pid ${H_PID[$name]}) exited with status ${H_EXIT[$name]} before answering ping"
      return 1
    fi
    if h_ctdb "$name" ping >/dev/null 2>&1; then return 0; fi
    if [ "$(h_now_us)" -ge "$end" ]; then
      h_note "$name did not answer ping within ${deadline}s"
      return 1
    fi
    sleep 0.1
  done
}

# h_start_cluster ours|stock PREFIX ADDR...: nodes PREFIX0..PREFIXn-1 sharing one nodes file
# (and, for stock, one cluster lock), then waits until each answers ping. Returns 1 if any
# does not.
h_start_cluster() {
  local kind=$1 prefix=$2
  shift 2
  local nodes=$H_TMP/$prefix.nodes i=0 addr ok=0
  h_write_nodes "$nodes" "$@"
  for addr in "$@"; do
    if [ "$kind" == ours ]; then
      h_start_ours "$prefix$i" "$addr" "$nodes"
    else
      mkdir -p "$H_TMP/$prefix.shared"
      local lock=""
      [ $# -gt 1 ] && lock=$H_TMP/$prefix.shared/cluster.lock
      h_start_stock "$prefix$i" "$addr" "$nodes" "$lock"
    fi
    i=$((i + 1))
  done
  for ((i = 0; i < $#; i++)); do
    h_wait_ping "$prefix$i" || ok=1
  done
  return $ok
}

# h_stop_node NAME [DEADLINE]: stock via `ctdb shutdown`, ours via SIGTERM; SIGKILL after the
# deadline. Records the exit status in H_EXIT[NAME].
h_stop_node() {
  local name=$1 deadline=${2:-$H_STOP_DEADLINE}
  local pid=${H_PID[$name]}
  [ -n "$pid" ] || return 0
  if h_pid_running "$pid"; then
    if [ "${H_KIND[$name]}" == stock ]; then
      H_TOOL_TIMEOUT=$deadline h_ctdb "$name" shutdown >/dev/null 2>&1
      wait_for "! h_pid_running $pid" "$deadline" || kill -KILL "$pid" 2>/dev/null
      wait_for "! h_pid_running $pid" 5
    else
      kill -TERM "$pid" 2>/dev/null
      if ! wait_for "! h_pid_running $pid" "$deadline"; then
        h_note "$name (pid $pid) still running ${deadline}s after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null
        wait_for "! h_pid_running $pid" 5
      fi
    fi
  fi
  if [ -z "${H_EXIT[$name]:-}" ]; then
    wait "$pid" 2>/dev/null
    H_EXIT[$name]=$?
  fi
  kill -KILL -- "-$pid" 2>/dev/null
  return 0
}

# h_stop_all: every node (newest first) and every tracked PID.
h_stop_all() {
  local i
  for ((i = ${#H_NODES[@]} - 1; i >= 0; i--)); do
    h_stop_node "${H_NODES[$i]}"
  done
  for i in "${H_EXTRA_PIDS[@]}"; do
    h_kill_pid "$i"
  done
}

# ---------------------------------------------------------------------------------------------
# Cluster helpers (tests/cluster): our daemons with extra arguments, restarts with the same
# directories, and conditions on what the stock tool shows.

declare -A H_ARGS    # name -> extra ctdbd arguments (printf %q quoted) given to h_start_ours_args

# h_start_ours_args NAME ADDR NODES_FILE [EXTRA_CTDBD_ARGS...]: h_start_ours, remembering the
# extra arguments so that h_restart_ours can start the node again the same way.
h_start_ours_args() {
  local name=$1 addr=$2 nodes=$3
  shift 3
  H_ARGS[$name]=$(printf '%q ' "$@")
  h_start_ours "$name" "$addr" "$nodes" "$@"
}

# h_start_ours_cluster PREFIX RECLOCK_FILE|"" ADDR...: our nodes PREFIX0..PREFIXn-1 sharing one
# nodes file and (unless empty) one --reclock file; waits until each answers ping.
h_start_ours_cluster() {
  local prefix=$1 reclock=$2
  shift 2
  local nodes=$H_TMP/$prefix.nodes i=0 addr ok=0 extra=()
  [ -z "$reclock" ] || extra=(--reclock="$reclock")
  h_write_nodes "$nodes" "$@"
  for addr in "$@"; do
    h_start_ours_args "$prefix$i" "$addr" "$nodes" "${extra[@]}"
    i=$((i + 1))
  done
  for ((i = 0; i < $#; i++)); do
    h_wait_ping "$prefix$i" || ok=1
  done
  return $ok
}

# h_kill9_node NAME: SIGKILL the daemon only (not its process group: helpers it forked, such as
# the recovery lock holder, must notice on their own), reap it and record its exit status.
h_kill9_node() {
  local name=$1 pid=${H_PID[$1]}
  kill -KILL "$pid" 2>/dev/null
  wait_for "! h_pid_running $pid" 10
  wait "$pid" 2>/dev/null
  H_EXIT[$name]=$?
}

# h_restart_ours NAME: starts a stopped (or killed) node of ours again with the same address,
# directories and extra arguments, and waits until it answers ping.
h_restart_ours() {
  local name=$1 i
  local -a args=()
  h_node_running "$name" && h_stop_node "$name"
  # The old process group (helpers of the killed daemon) must not outlive it.
  kill -KILL -- "-${H_PID[$name]}" 2>/dev/null
  eval "args=(${H_ARGS[$name]:-})"
  unset "H_EXIT[$name]"
  echo "# ---- restarted at $(date '+%T.%N') ----" >>"${H_LOG[$name]}"
  H_OURS_TEST_MODE=${H_TEST_MODE[$name]-1} \
    h_start_ours "$name" "${H_ADDR[$name]}" "${H_DIR[$name]}/nodes" "${args[@]}"
  h_dedupe_nodes
  h_wait_ping "$name"
}

# h_small_disk DIR SIZE: a tmpfs of SIZE (e.g. 3m) mounted on DIR (created), unmounted at exit,
# to fill up in full-disk tests. Exits 77 (skipped) when not root or the mount fails.
h_small_disk() {
  mkdir -p "$1"
  if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o "size=$2" ctdb-test-small "$1"; then
    echo "SKIP: needs root and a tmpfs for $1"
    exit 77
  fi
  h_on_cleanup "umount -l '$1'"
}

# h_dedupe_nodes: a node started again under its old name (h_start_ours registers it once more)
# keeps one entry in H_NODES.
h_dedupe_nodes() {
  local seen=() n
  for n in "${H_NODES[@]}"; do
    [[ " ${seen[*]} " == *" $n "* ]] || seen+=("$n")
  done
  H_NODES=("${seen[@]}")
}

# h_node_flags NAME PNN: the status word `ctdb status` on NAME shows for node PNN (OK,
# DISCONNECTED|UNHEALTHY|INACTIVE, ...).
h_node_flags() {
  h_ctdb "$1" -t 2 status 2>/dev/null | awk -v p="pnn:$2" '$1 == p { print $3 }'
}

# h_converged NAME... -- WANT_FLAGS...: every named node runs, answers `ctdb status` with
# Recovery mode NORMAL, the same generation, the same leader (`ctdb leader`), a vnnmap whose
# size is the number of OK nodes in WANT_FLAGS (H_VNNMAP_SIZE when set: nodes without the lmaster
# capability are OK but not in it), and node flags equal to WANT_FLAGS (by pnn).
# Sets H_CONVERGED_DETAIL to the first difference found.
h_converged() {
  local names=() want=() n st gen="" leader="" l g i size=0
  while [ $# -gt 0 ] && [ "$1" != -- ]; do names+=("$1"); shift; done
  shift
  want=("$@")
  for i in "${want[@]}"; do [ "$i" != OK ] || size=$((size + 1)); done
  size=${H_VNNMAP_SIZE:-$size}
  for n in "${names[@]}"; do
    if ! h_node_running "$n"; then H_CONVERGED_DETAIL="$n is not running"; return 1; fi
    st=$(h_ctdb "$n" status 2>&1) || { H_CONVERGED_DETAIL="$n: status failed: $st"; return 1; }
    if [[ "$st" != *"Recovery mode:NORMAL (0)"* ]]; then
      H_CONVERGED_DETAIL="$n not in recovery mode NORMAL: $st"
      return 1
    fi
    if [[ "$st" != *"Size:$size"* ]]; then
      H_CONVERGED_DETAIL="$n: vnnmap size is not $size: $st"
      return 1
    fi
    g=$(sed -n 's/^Generation:\(.*\)$/\1/p' <<<"$st")
    if [ "$g" == INVALID ] || [ -z "$g" ] || { [ -n "$gen" ] && [ "$g" != "$gen" ]; }; then
      H_CONVERGED_DETAIL="$n: generation $g (first node: $gen)"
      return 1
    fi
    gen=$g
    for ((i = 0; i < ${#want[@]}; i++)); do
      if ! grep -Eq "^pnn:$i +[^ ]+ +${want[$i]}( \(THIS NODE\))?\$" <<<"$st"; then
        H_CONVERGED_DETAIL="$n: pnn $i is not ${want[$i]}: $st"
        return 1
      fi
    done
    l=$(h_ctdb "$n" leader 2>&1) || { H_CONVERGED_DETAIL="$n: leader failed: $l"; return 1; }
    if [ -n "$leader" ] && [ "$l" != "$leader" ]; then
      H_CONVERGED_DETAIL="$n: leader $l, first node says $leader"
      return 1
    fi
    leader=$l
  done
  H_CONVERGED_DETAIL=""
  H_CONVERGED_GENERATION=$gen
  H_CONVERGED_LEADER=$leader
  return 0
}

# h_wait_converged LABEL DEADLINE NAME... -- WANT_FLAGS...: PASS/FAIL LABEL on h_converged
# becoming true within DEADLINE seconds; on failure shows the last difference.
h_wait_converged() {
  local label=$1 deadline=$2
  shift 2
  H_WC_ARGS=("$@")  # wait_for evaluates its condition in its own scope, without our "$@"
  if wait_for 'h_converged "${H_WC_ARGS[@]}"' "$deadline" 0.5; then
    pass "$label"
    return 0
  fi
  fail "$label" "not converged after ${deadline}s: $H_CONVERGED_DETAIL"
  return 1
}

# h_reclock_holder FILE: the name of our node whose daemon (or a child it forked, the lock
# holder) holds a POSIX lock on FILE, from /proc/locks; empty if none does. More than one name
# means the lock is held twice (impossible with fcntl locks unless the file was replaced).
h_reclock_holder() {
  local file=$1 ino pid ppid n out=()
  ino=$(stat -c %i "$file" 2>/dev/null) || return 0
  while read -r pid; do
    ppid=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
    for n in "${H_NODES[@]}"; do
      if [ "${H_PID[$n]}" == "$pid" ] || [ "${H_PID[$n]}" == "$ppid" ]; then
        [[ " ${out[*]} " == *" $n "* ]] || out+=("$n")
      fi
    done
  done < <(awk -v ino="$ino" '$2 == "POSIX" { split($6, f, ":"); if (f[3] == ino) print $5 }' \
    /proc/locks)
  echo "${out[*]}"
}
