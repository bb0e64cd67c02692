#!/bin/bash
# Tests events.d/70.iscsi: tgtd restarted at ipreallocated with the start
# script of each public address this node hosts, the iSCSI port blocked
# meanwhile; tgtd's port watched.
#
# iptables and ip6tables are fakes counting the DROP rules for port 3260 in
# $STUB_STATE/TOOL.rules. The start scripts are real files of the scripts
# directory; they log "RAN NAME" among the stub calls.
. "$(dirname "$0")/lib.sh"
script="$EVENTS_DIR/70.iscsi"
DIR="$TEST_TMP/iscsi-scripts"
RULE="-p tcp --dport 3260 -j DROP"

# filter_stub TOOL [SNIPPET]
filter_stub() {
  stub "$1" "${2:-}
rules=\"\$STUB_STATE/$1.rules\"
n=\$(cat \"\$rules\" 2>/dev/null || echo 0)
case \"\$*\" in
  '-I INPUT 1 $RULE') echo \$((n + 1)) >\"\$rules\" ;;
  '-D INPUT $RULE')
    [ \"\$n\" -gt 0 ] || { echo 'iptables: Bad rule (does a matching rule exist in that chain?).' >&2; exit 1; }
    echo \$((n - 1)) >\"\$rules\" ;;
  *) echo \"$1 stub: unexpected arguments: \$*\" >&2; exit 64 ;;
esac"
}
rules_left() { echo "$(cat "$STUB_STATE/iptables.rules" 2>/dev/null || echo 0)/$(cat "$STUB_STATE/ip6tables.rules" 2>/dev/null || echo 0)"; }

# ctdb_stub PNN ADDRESS|PNN...: "ctdb pnn" and "ctdb -X ip".
ctdb_stub() {
  local pnn="$1" a list="|Public IP|Node|"
  shift
  for a in "$@"; do list+="\n|$a|"; done
  stub ctdb "case \"\$*\" in
  pnn) echo $pnn ;;
  '-X ip') printf '$list\n' ;;
esac"
}

# start_script ADDRESS [SNIPPET]: an executable ADDRESS.sh.
start_script() {
  printf '#!/bin/bash\necho "RAN %s" >>"$STUB_LOG"\n%s\n' "$1.sh" "${2:-}" >"$DIR/$1.sh"
  chmod +x "$DIR/$1.sh"
}

fresh() {
  new_case
  rm -rf "$DIR" "$STUB_STATE"/*.rules
  mkdir -p "$DIR"
  sysconfig "CTDB_START_ISCSI_SCRIPTS=$DIR"
  filter_stub iptables
  filter_stub ip6tables
  stub killall 'exit 1'
  stub tgtd
  ctdb_stub 0 "10.0.0.1|0" "10.0.0.2|1" "10.0.0.3|0" "2001:db8::1|0"
  start_script 10.0.0.1 'echo "tgtadm: target 1 for 10.0.0.1 added"'
  start_script 10.0.0.2
  start_script 2001:db8::1
  # Not executable: not run.
  echo 'echo "RAN 10.0.0.3.sh" >>"$STUB_LOG"' >"$DIR/10.0.0.3.sh"
}
log() { cat "$TEST_TMP/log.ctdb" 2>/dev/null | sed -e 's/^[0-9/]* [0-9:]* //'; }

# --- not configured --------------------------------------------------------------------
new_case
check_quiet_events "$script" "unconfigured (unset), every event is a no-op" "${ALL_EVENTS[@]}"
sysconfig 'CTDB_START_ISCSI_SCRIPTS=""'
check_quiet_events "$script" "CTDB_START_ISCSI_SCRIPTS empty, every event is a no-op" "${ALL_EVENTS[@]}"

# --- ipreallocated ------------------------------------------------------------------------
fresh
check_quiet_events "$script" "configured, event not handled" "init" "setup" "startup" \
  "startrecovery" "recovered" "takeip eth0 10.0.0.1 24" "releaseip eth0 10.0.0.1 24" \
  "updateip eth0 eth1 10.0.0.1 24"
run "$script" ipreallocated
check "ipreallocated: port blocked, tgtd restarted, the scripts of this node's addresses run, port open" 0 \
  "Starting iSCSI service for public address 10.0.0.1
tgtadm: target 1 for 10.0.0.1 added
Starting iSCSI service for public address 2001:db8::1" \
  "ctdb pnn
ctdb -X ip
iptables -I INPUT 1 $RULE
ip6tables -I INPUT 1 $RULE
killall -q -9 tgtd
tgtd
RAN 10.0.0.1.sh
RAN 2001:db8::1.sh
iptables -D INPUT $RULE
iptables -D INPUT $RULE
ip6tables -D INPUT $RULE
ip6tables -D INPUT $RULE"
check_true "ipreallocated: no DROP rule left" [ "$(rules_left)" = 0/0 ]

fresh
ctdb_stub 1 "10.0.0.1|0" "10.0.0.2|1"
echo 2 >"$STUB_STATE/iptables.rules"
unstub ip6tables
run "$script" ipreallocated
check "ipreallocated: IPv4 only, no ip6tables; leftover rules of a dead run removed too" 0 \
  "Starting iSCSI service for public address 10.0.0.2" \
  "ctdb pnn
ctdb -X ip
iptables -I INPUT 1 $RULE
killall -q -9 tgtd
tgtd
RAN 10.0.0.2.sh
iptables -D INPUT $RULE
iptables -D INPUT $RULE
iptables -D INPUT $RULE
iptables -D INPUT $RULE"
check_true "leftovers: no DROP rule left" [ "$(rules_left)" = 0/0 ]

fresh
ctdb_stub 2 "10.0.0.1|0" "10.0.0.2|1"
run "$script" ipreallocated
check "ipreallocated: no address here, tgtd restarted without targets" 0 "" "ctdb pnn
ctdb -X ip
iptables -I INPUT 1 $RULE
killall -q -9 tgtd
tgtd
iptables -D INPUT $RULE
iptables -D INPUT $RULE
ip6tables -D INPUT $RULE"

fresh
ctdb_stub 0
unstub iptables
unstub ip6tables
run "$script" ipreallocated
check "ipreallocated: no public addresses and no iptables" 0 "" "ctdb pnn
ctdb -X ip
killall -q -9 tgtd
tgtd"

fresh
stub tgtd 'exit 107'
run "$script" ipreallocated
check "ipreallocated: tgtd failing to start is a logged warning, no script run, port open again" 0 \
  "WARNING: tgtd failed to start (exit code 107); no iSCSI target started" "ctdb pnn
ctdb -X ip
iptables -I INPUT 1 $RULE
ip6tables -I INPUT 1 $RULE
killall -q -9 tgtd
tgtd
iptables -D INPUT $RULE
iptables -D INPUT $RULE
ip6tables -D INPUT $RULE
ip6tables -D INPUT $RULE"
check_true "tgtd failing: logged" [ "$(log)" = \
  "70.iscsi: WARNING: tgtd failed to start (exit code 107); no iSCSI target started" ]

fresh
start_script 10.0.0.1 'echo "tgtadm: invalid request" >&2; exit 22'
run "$script" ipreallocated
check "ipreallocated: a start script failing is a logged warning, the others run" 0 \
  "Starting iSCSI service for public address 10.0.0.1
tgtadm: invalid request
WARNING: $DIR/10.0.0.1.sh failed (exit code 22)
Starting iSCSI service for public address 2001:db8::1"
check_true "start script failing: logged" [ "$(log)" = "70.iscsi: WARNING: $DIR/10.0.0.1.sh failed (exit code 22)" ]
check_true "start script failing: no DROP rule left" [ "$(rules_left)" = 0/0 ]

fresh
filter_stub iptables '[ "$1" = -I ] && { echo "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)" >&2; exit 4; }'
run "$script" ipreallocated
check "ipreallocated: the port cannot be blocked: a warning, the restart goes on" 0 \
  "WARNING: cannot block TCP port 3260 while tgtd restarts: iptables failed: iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)
Starting iSCSI service for public address 10.0.0.1
tgtadm: target 1 for 10.0.0.1 added
Starting iSCSI service for public address 2001:db8::1"

fresh
stub ctdb '[ "$1" = pnn ] && { echo "Failed to connect to CTDB daemon (/var/run/ctdb/ctdbd.socket)"; exit 1; }'
run "$script" ipreallocated
check "ipreallocated: no PNN fails before anything is touched" 1 \
  "ERROR: 'ctdb pnn' failed: Failed to connect to CTDB daemon (/var/run/ctdb/ctdbd.socket)" "ctdb pnn"

fresh
stub ctdb 'case "$1" in pnn) echo 0 ;; -X) echo "control GET_PUBLIC_IPS failed, ret=-1"; exit 1 ;; esac'
run "$script" ipreallocated
check "ipreallocated: no address list fails before anything is touched" 1 \
  "ERROR: cannot list the public addresses: 'ctdb -X ip' failed: control GET_PUBLIC_IPS failed, ret=-1" \
  "ctdb pnn
ctdb -X ip"

fresh
stub ctdb4 "case \"\$*\" in pnn) echo 1 ;; '-X ip') printf '|Public IP|Node|\n|10.0.0.2|1|\n' ;; esac"
run env CTDB=ctdb4 "$script" ipreallocated
check "ipreallocated: \$CTDB is the ctdb tool" 0 "Starting iSCSI service for public address 10.0.0.2" \
  "ctdb4 pnn
ctdb4 -X ip
iptables -I INPUT 1 $RULE
killall -q -9 tgtd
tgtd
RAN 10.0.0.2.sh
iptables -D INPUT $RULE
iptables -D INPUT $RULE
ip6tables -D INPUT $RULE"

fresh
rm -rf "$DIR"
for ev in ipreallocated monitor; do
  : >"$STUB_LOG"
  run "$script" "$ev"
  check "$ev: scripts directory missing (shared storage not mounted?)" 1 \
    "ERROR: CTDB_START_ISCSI_SCRIPTS=$DIR is not a directory" ""
done

# --- shutdown and monitor -------------------------------------------------------------------
fresh
run "$script" shutdown
check "shutdown kills tgtd" 0 "" "killall -q -9 tgtd"
rm -rf "$DIR"
: >"$STUB_LOG"
run "$script" shutdown
check "shutdown kills tgtd even without the scripts directory" 0 "" "killall -q -9 tgtd"

fresh
ss_listens 0.0.0.0:3260 '[::]:3260'
run "$script" monitor
check "monitor: tgtd listening on 3260" 0 "" "ss -ltn"
ss_listens 0.0.0.0:32600
run "$script" monitor
check "monitor: tgtd not listening makes the node unhealthy" 1 \
  "ERROR: tgtd not listening on TCP port 3260"

fresh
run env CTDB_BASE= "$script" shutdown
check "CTDB_BASE unset: found from the script's own location" 0 "" "killall -q -9 tgtd"
: >"$STUB_LOG"
run bash -u "$script" ipreallocated
check "bash -u: ipreallocated" 0 "Starting iSCSI service for public address 10.0.0.1
tgtadm: target 1 for 10.0.0.1 added
Starting iSCSI service for public address 2001:db8::1"

finish
