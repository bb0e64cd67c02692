# Harness for the event script tests: runs the real scripts from the source
# tree with stub commands and a hermetic PATH inside a temporary directory.
#
# PATH holds only $STUBS (stub commands, written per test) and $SYSBIN
# (symlinks to a short list of basic tools), so a script can never reach
# systemctl, service, ss, the real ctdb or anything else on the host.
# Every stub appends "NAME ARGS..." to $STUB_LOG; its behaviour is the shell
# snippet in $STUB_STATE/NAME.sh, sourced with the stub's arguments.

set -u

CTDB_SRC_DIR="${CTDB_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
EVENTS_DIR="$CTDB_SRC_DIR/events.d"
CONFIG_DIR="$CTDB_SRC_DIR/config"

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ctdb-eventscripts.XXXXXX")
STUBS="$TEST_TMP/stubs"
SYSBIN="$TEST_TMP/sysbin"
STUB_STATE="$TEST_TMP/state"
STUB_LOG="$TEST_TMP/calls.log"
mkdir -p "$STUBS" "$SYSBIN" "$STUB_STATE"

# Processes a test started and must stop (by PID) before the temp dir goes.
CLEANUP_PIDS=()
cleanup() {
  local p
  for p in "${CLEANUP_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$TEST_TMP"
}
trap cleanup EXIT

# Basic tools the scripts and stubs may use. Anything else must be a stub.
for tool in awk basename cat chmod cp cut date dd dirname env grep head id kill \
  ln ls mkdir mktemp mv od printf readlink rm sed seq setsid sleep sort stat tail \
  tee touch tr true false truncate wc xargs; do
  p=$(command -v "$tool" 2>/dev/null) && [ "${p#/}" != "$p" ] && ln -s "$p" "$SYSBIN/$tool"
done
ln -s /bin/bash "$SYSBIN/bash"
ln -s /bin/bash "$SYSBIN/sh"
HOST_PATH="$PATH"
export PATH="$STUBS:$SYSBIN"

# Test hooks of config/functions: no script looks at the host's /etc, /run or
# /proc, and nothing is logged to /var/log.
export CTDB_SYS_ETCDIR="$TEST_TMP/etc"
export CTDB_SYS_RUNDIR="$TEST_TMP/run"
export CTDB_PROC_DIR="$TEST_TMP/proc"
export CTDB_SYSCONFIG="$TEST_TMP/sysconfig"
export CTDB_LOGFILE="$TEST_TMP/log.ctdb"
export CTDB_SCRIPT_VARDIR="$TEST_TMP/scriptvar"
export CTDB_BASE="$CONFIG_DIR"
export STUB_LOG STUB_STATE
unset CTDB CTDB_SOCKET CTDB_EVENT_SCRIPT_DIR CTDB_DEBUG_HUNG_SCRIPT_LOGFILE

# stub NAME [SNIPPET]: installs stub command NAME; SNIPPET (default: do
# nothing, exit 0) is its behaviour and may use "$@".
stub() {
  cat >"$STUBS/$1" <<'EOF'
#!/bin/bash
printf '%s\n' "${0##*/}${*:+ $*}" >>"$STUB_LOG"
[ -r "$STUB_STATE/${0##*/}.sh" ] && . "$STUB_STATE/${0##*/}.sh"
exit 0
EOF
  chmod +x "$STUBS/$1"
  printf '%s\n' "${2:-}" >"$STUB_STATE/$1.sh"
}

# unstub NAME: the command does not exist at all.
unstub() { rm -f "$STUBS/$1" "$STUB_STATE/$1.sh"; }

# use_host_tool NAME: the real tool from the host (e.g. tdbtool, pstree).
use_host_tool() {
  local p
  p=$(PATH="$HOST_PATH" command -v "$1") || { echo "host tool $1 missing"; exit 1; }
  rm -f "$STUBS/$1"
  ln -sf "$p" "$SYSBIN/$1"
}

# sysconfig LINES...: the administrator's sysconfig file for this case.
sysconfig() { printf '%s\n' "$@" >"$TEST_TMP/sysconfig"; }

# new_case: empty sysconfig, call log and logfile; stubs keep their setup.
new_case() {
  : >"$TEST_TMP/sysconfig"
  : >"$STUB_LOG"
  rm -f "$TEST_TMP/log.ctdb"
  # Fixed paths inside TEST_TMP: a test may point CTDB_PROC_DIR at /proc.
  rm -rf "${TEST_TMP:?}/etc" "${TEST_TMP:?}/run" "${TEST_TMP:?}/proc"
  mkdir -p "$TEST_TMP/etc" "$TEST_TMP/run" "$TEST_TMP/proc"
}

# ss listing helpers: what "ss -ltn" / "ss -lxn" print for this case.
ss_listens() {
  local tcp="" unix="" a
  for a in "$@"; do
    case "$a" in
      /*) unix+="u_str LISTEN 0      4096   $a 123456            * 0\n" ;;
      *) tcp+="LISTEN 0      50     $a     0.0.0.0:*\n" ;;
    esac
  done
  stub ss "case \"\$1\" in
  -ltn) printf 'State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n$tcp' ;;
  -lxn) printf 'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n$unix' ;;
  *) echo \"ss stub: unexpected arguments: \$*\" >&2; exit 64 ;;
esac"
}

# systemd_running: the case's system runs systemd as init.
systemd_running() { mkdir -p "$CTDB_SYS_RUNDIR/systemd/system"; }

PASSED=0
FAILED=0

# run CMD...: runs CMD, keeping its combined output in OUT and status in RC.
run() {
  OUT=$("$@" 2>&1)
  RC=$?
}

calls() { cat "$STUB_LOG"; }

pass() { PASSED=$((PASSED + 1)); echo "PASS: $1"; }
fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL: $1"
  shift
  printf '      %s\n' "$@"
}

# check DESC EXPECTED_RC EXPECTED_OUTPUT [EXPECTED_CALLS]: one assertion on
# the last run; "*" as EXPECTED_OUTPUT or EXPECTED_CALLS skips that part.
check() {
  local desc="$1" rc="$2" out="$3" calls_want="${4-*}" problems=()
  [ "$RC" = "$rc" ] || problems+=("exit code: want $rc, got $RC")
  if [ "$out" != "*" ] && [ "$OUT" != "$out" ]; then
    problems+=("output: want:" "$out" "got:" "$OUT")
  fi
  if [ "$calls_want" != "*" ] && [ "$(calls)" != "$calls_want" ]; then
    problems+=("calls: want:" "$calls_want" "got:" "$(calls)")
  fi
  if [ "${#problems[@]}" -eq 0 ]; then pass "$desc"; else fail "$desc" "${problems[@]}"; fi
}

# check_true DESC CMD...: CMD must succeed.
check_true() {
  local desc="$1"
  shift
  if "$@"; then pass "$desc"; else fail "$desc" "condition failed: $*"; fi
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit
}

# All events ctdbd sends, with the arguments it passes.
ALL_EVENTS=("init" "setup" "startup" "monitor" "startrecovery" "recovered"
  "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24"
  "updateip eth0 eth1 10.0.0.1 24" "ipreallocated" "shutdown")

# check_quiet_events SCRIPT DESC EVENT...: each event (a string of words)
# exits 0, prints nothing and calls no stub.
check_quiet_events() {
  local script="$1" desc="$2" ev
  shift 2
  for ev in "$@"; do
    : >"$STUB_LOG"
    # Word splitting intended: event name and its arguments.
    # shellcheck disable=SC2086
    run "$script" $ev
    check "$desc: ${ev%% *}" 0 "" ""
  done
}
