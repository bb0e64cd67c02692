# Debian's stock smbd on top of a cluster node (ours or stock): its configuration, start and the
# test user. Needs tests/lib/harness.sh loaded first.
#
#   smb_conf NAME NODE ADDR PORT SHARE guest|user [EXTRA_GLOBAL_LINES]  -> prints the smb.conf path
#   smb_start NAME CONF ADDR PORT       starts smbd and waits until it listens (PASS/FAIL)
#   smb_add_user CONF                   the test user in the cluster's passdb (PASS/FAIL)
#
# Each smbd has its own directories under $H_TMP/smb-NAME, listens on ADDR:PORT only and talks
# to the node's daemon through `ctdbd socket`; SHARE is one directory the nodes of a cluster
# share (a cluster filesystem stand-in).

[ -n "${H_HARNESS_LOADED:-}" ] || source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

SMB_USER=ctdbtort    # a Unix user made for these tests, so that permission checks apply
SMB_PASSWORD=Tort-Secret-12
declare -A SMB_PID   # NAME -> smbd's main PID

# smb_have_tools TOOL...: FAIL for each missing tool (packages samba, smbclient, samba-testsuite).
smb_have_tools() {
  local tool ok=0
  for tool in "$@"; do
    [ -x "$tool" ] || { fail "$tool is installed"; ok=1; }
  done
  return $ok
}

# smb_ensure_user: the Unix account smbd maps the test user to (made once per machine).
smb_ensure_user() {
  id "$SMB_USER" >/dev/null 2>&1 && return 0
  useradd --system --no-create-home --shell /usr/sbin/nologin "$SMB_USER"
}

smb_conf() {
  local name=$1 node=$2 addr=$3 port=$4 share=$5 auth=$6 extra=${7:-}
  local d=$H_TMP/smb-$name
  mkdir -p "$d"/{private,lock,state,cache,pid,ncalrpc,log}
  {
    cat <<EOF
[global]
  clustering = yes
  ctdbd socket = ${H_SOCK[$node]}
  netbios name = CLUSTER
  workgroup = TESTGRP
  server role = standalone server
  interfaces = $addr/8
  bind interfaces only = yes
  smb ports = $port
  private dir = $d/private
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  pid directory = $d/pid
  ncalrpc dir = $d/ncalrpc
  log file = $d/log/log.%m
  log level = 1
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
EOF
    [ "$auth" != guest ] || printf '  map to guest = Bad User\n  guest account = nobody\n'
    [ -z "$extra" ] || printf '%s\n' "$extra"
    printf '[share]\n  path = %s\n  read only = no\n' "$share"
    [ "$auth" != guest ] || printf '  guest ok = yes\n'
  } >"$d/smb.conf"
  echo "$d/smb.conf"
}

smb_start() {
  local name=$1 conf=$2 addr=$3 port=$4
  local pidfile
  pidfile=$(dirname "$conf")/pid/smbd.pid
  /usr/sbin/smbd -D -s "$conf" || { fail "smbd $name starts"; return 1; }
  if wait_for "[ -s $pidfile ] && ss -ltn | grep -q '$addr:$port '" 30 0.2; then
    pass "smbd $name listens on $addr:$port"
    SMB_PID[$name]=$(cat "$pidfile")
    h_track_pid "${SMB_PID[$name]}"
    return 0
  fi
  fail "smbd $name listens on $addr:$port" \
    "$(tail -n 30 "$(dirname "$conf")/log/log.smbd" 2>/dev/null)"
  return 1
}

# The passdb is one of smbd's clustered (persistent) databases: adding the user through one
# node's smbd configuration makes it known on every node of that cluster.
smb_add_user() {
  local conf=$1 out
  if out=$(printf '%s\n%s\n' "$SMB_PASSWORD" "$SMB_PASSWORD" |
    timeout 60 smbpasswd -c "$conf" -a -s "$SMB_USER" 2>&1); then
    pass "smbpasswd -a $SMB_USER through $(basename "$(dirname "$conf")")"
    return 0
  fi
  fail "smbpasswd -a $SMB_USER through $(basename "$(dirname "$conf")")" "$out"
  return 1
}

# smb_panics NAME: the number of PANIC lines in smbd NAME's logs.
smb_panics() {
  grep -c "PANIC" "$H_TMP/smb-$1/log/"log.* 2>/dev/null | awk -F: '{ s += $NF } END { print s + 0 }'
}
