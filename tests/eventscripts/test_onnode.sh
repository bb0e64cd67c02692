#!/bin/bash
# Tests tools/onnode without daemons or a network: a nodes file in a temp CTDB_BASE, a stub
# ONNODE_SSH that records each call and runs the command locally (NODE_HOST = the node it was
# given), and a stub ctdb for `ok`, `con` and `any`.
. "$(dirname "$0")/lib.sh"
onnode="$CTDB_SRC_DIR/tools/onnode"

base="$TEST_TMP/base"
mkdir -p "$base"
export CTDB_BASE="$base"
unset CTDB_NODES_FILE
# PNNs as ctdbd numbers them: the blank line does not count, "#..." is deleted node 2.
printf '%s\n' 10.0.0.10 10.0.0.11 '' '#10.0.0.12' 10.0.0.13 10.0.0.14 >"$base/nodes"

# The transport: "-n" means stdin from /dev/null, as ssh -n; "-o OPTION" is skipped.
stub fakessh 'while [ "${1#-}" != "$1" ]; do
  case "$1" in
    -n) exec </dev/null ;;
    -o) shift ;;
  esac
  shift
done
host=$1
shift
NODE_HOST=$host bash -c "$*"
exit $?'
export ONNODE_SSH=fakessh

# The nodes' state as ctdb -X status shows it: 1 unhealthy, 4 disconnected (and so inactive).
# `ctdb pnn` fails on 10.0.0.10 (its daemon is down) and prints the PNN elsewhere.
status_header='|Node|IP|Disconnected|Unknown|Banned|Disabled|Unhealthy|Stopped|Inactive|PartiallyOnline|ThisNode|'
stub ctdb "case \"\$*\" in
  '-X status') printf '%s\n' '$status_header' \\
    '|0|10.0.0.10|0|0|0|0|0|0|0|0|Y|' '|1|10.0.0.11|0|0|0|0|1|0|0|0|N|' \\
    '|3|10.0.0.13|0|0|0|0|0|0|0|0|N|' '|4|10.0.0.14|1|0|0|0|0|0|1|0|N|' ;;
  pnn) case \$NODE_HOST in
    10.0.0.10) echo 'connection to daemon failed' >&2; exit 1 ;;
    10.0.0.11) echo 1 ;; 10.0.0.13) echo 3 ;; 10.0.0.14) echo 4 ;;
  esac ;;
  *) echo \"ctdb stub: unexpected \$*\" >&2; exit 64 ;;
esac"

# sorted_calls: the call log in a fixed order (parallel runs log in any order).
sorted_calls() { LC_ALL=C sort "$STUB_LOG"; }

USAGE_LINE="Usage: onnode [OPTION]... NODES COMMAND..."

# ---- selecting nodes, sequential runs and headers
new_case
run "$onnode" all 'echo on $NODE_HOST'
check "all: every node but the deleted one, in order, each under a header" 0 "
>> NODE: 10.0.0.10 <<
on 10.0.0.10

>> NODE: 10.0.0.11 <<
on 10.0.0.11

>> NODE: 10.0.0.13 <<
on 10.0.0.13

>> NODE: 10.0.0.14 <<
on 10.0.0.14" 'fakessh -n 10.0.0.10 echo on $NODE_HOST
fakessh -n 10.0.0.11 echo on $NODE_HOST
fakessh -n 10.0.0.13 echo on $NODE_HOST
fakessh -n 10.0.0.14 echo on $NODE_HOST'

new_case
OUT=$("$onnode" all 'echo on $NODE_HOST' 2>/dev/null)
RC=$?
check "all: the headers go to stderr, the command's output to stdout" 0 "on 10.0.0.10
on 10.0.0.11
on 10.0.0.13
on 10.0.0.14"

new_case
run "$onnode" 3 'echo on $NODE_HOST'
check "N: node 3 (numbered as ctdbd numbers the file), no header for one node" 0 \
  "on 10.0.0.13" 'fakessh -n 10.0.0.13 echo on $NODE_HOST'

new_case
run "$onnode" -v 0 'echo on $NODE_HOST'
check "-v: a header even for one node" 0 "
>> NODE: 10.0.0.10 <<
on 10.0.0.10"

new_case
run "$onnode" -q 4,0-1,3 'echo on $NODE_HOST'
check "-q N,M-K,L: in the order given, no headers" 0 "on 10.0.0.14
on 10.0.0.10
on 10.0.0.11
on 10.0.0.13" 'fakessh -n 10.0.0.14 echo on $NODE_HOST
fakessh -n 10.0.0.10 echo on $NODE_HOST
fakessh -n 10.0.0.11 echo on $NODE_HOST
fakessh -n 10.0.0.13 echo on $NODE_HOST'

new_case
run "$onnode" -q 1,1 'echo on $NODE_HOST'
check "a node named twice runs twice" 0 "on 10.0.0.11
on 10.0.0.11"

new_case
run "$onnode" -q 0,1 echo one two '"three  four"'
check "the command's words are joined into one remote command line" 0 "one two three  four
one two three  four" 'fakessh -n 10.0.0.10 echo one two "three  four"
fakessh -n 10.0.0.11 echo one two "three  four"'

new_case
run "$onnode" -q all 'echo on $NODE_HOST; [ $NODE_HOST != 10.0.0.11 ] || exit 3'
check "a failing node: the others still run, onnode exits with its status" 3 "on 10.0.0.10
on 10.0.0.11
on 10.0.0.13
on 10.0.0.14"

# ---- parallel
new_case
OUT=$("$onnode" -p all 'echo out $NODE_HOST; echo err $NODE_HOST >&2' 2>&1 | LC_ALL=C sort)
RC=$?
check "-p: each line of stdout and stderr prefixed with [NODE]" 0 "[10.0.0.10] err 10.0.0.10
[10.0.0.10] out 10.0.0.10
[10.0.0.11] err 10.0.0.11
[10.0.0.11] out 10.0.0.11
[10.0.0.13] err 10.0.0.13
[10.0.0.13] out 10.0.0.13
[10.0.0.14] err 10.0.0.14
[10.0.0.14] out 10.0.0.14"
OUT=$(sorted_calls)
check "-p: one call per node" 0 'fakessh -n 10.0.0.10 echo out $NODE_HOST; echo err $NODE_HOST >&2
fakessh -n 10.0.0.11 echo out $NODE_HOST; echo err $NODE_HOST >&2
fakessh -n 10.0.0.13 echo out $NODE_HOST; echo err $NODE_HOST >&2
fakessh -n 10.0.0.14 echo out $NODE_HOST; echo err $NODE_HOST >&2'

new_case
OUT=$("$onnode" -pq 0,3 'echo out $NODE_HOST' | LC_ALL=C sort)
check "-p -q: no prefixes" 0 "out 10.0.0.10
out 10.0.0.13"

new_case
run "$onnode" -p 1 'echo out $NODE_HOST'
check "-p with one node: no prefix" 0 "out 10.0.0.11"

new_case
"$onnode" -p all '[ $NODE_HOST != 10.0.0.13 ] || exit 5' >/dev/null 2>&1
RC=$? OUT=""
check "-p: a failing node's status is onnode's status" 5 ""

# Really parallel: node 0 waits for a file that node 1 creates.
new_case
flag="$TEST_TMP/flag"
run "$onnode" -pq 0,1 "if [ \$NODE_HOST == 10.0.0.10 ]; then
  for i in \$(seq 100); do [ -e $flag ] && break; sleep 0.1; done; [ -e $flag ] && echo saw it
else touch $flag; fi"
check "-p: the nodes run at the same time" 0 "saw it"

# ---- mnemonics from ctdb -X status
new_case
run "$onnode" -q ok 'echo on $NODE_HOST'
check "ok: nodes with no flag set" 0 "on 10.0.0.10
on 10.0.0.13" 'ctdb -X status
fakessh -n 10.0.0.10 echo on $NODE_HOST
fakessh -n 10.0.0.13 echo on $NODE_HOST'

new_case
run "$onnode" -q healthy 'echo on $NODE_HOST'
check "healthy: the same as ok" 0 "on 10.0.0.10
on 10.0.0.13"

new_case
run "$onnode" -q con 'echo on $NODE_HOST'
check "con: nodes that are not disconnected (unhealthy ones too)" 0 "on 10.0.0.10
on 10.0.0.11
on 10.0.0.13"

new_case
run "$onnode" -q connected,ok,4 'echo on $NODE_HOST'
check "connected,ok,4: lists mix mnemonics and numbers; ctdb is asked once" 0 "on 10.0.0.10
on 10.0.0.11
on 10.0.0.13
on 10.0.0.10
on 10.0.0.13
on 10.0.0.14" 'ctdb -X status
fakessh -n 10.0.0.10 echo on $NODE_HOST
fakessh -n 10.0.0.11 echo on $NODE_HOST
fakessh -n 10.0.0.13 echo on $NODE_HOST
fakessh -n 10.0.0.10 echo on $NODE_HOST
fakessh -n 10.0.0.13 echo on $NODE_HOST
fakessh -n 10.0.0.14 echo on $NODE_HOST'

new_case
echo 'echo "Failed to connect to CTDB daemon (/run/ctdb/ctdbd.socket)" >&2; exit 1' \
  >"$STUB_STATE/ctdb.sh.fail"
cp "$STUB_STATE/ctdb.sh" "$STUB_STATE/ctdb.sh.good"
cp "$STUB_STATE/ctdb.sh.fail" "$STUB_STATE/ctdb.sh"
run "$onnode" ok 'echo on $NODE_HOST'
check "ok without a local daemon: an error, nothing run" 1 \
  'onnode: cannot get the state of the nodes from "ctdb -X status":
Failed to connect to CTDB daemon (/run/ctdb/ctdbd.socket)' "ctdb -X status"
cp "$STUB_STATE/ctdb.sh.good" "$STUB_STATE/ctdb.sh"

new_case
run "$onnode" any 'echo on $NODE_HOST'
check "any: the lowest-numbered node whose daemon answers (node 0 is down)" 0 "on 10.0.0.11"
OUT=$(sorted_calls)
check "any: asks every node for its pnn, then runs on one" 0 'ctdb pnn
ctdb pnn
ctdb pnn
ctdb pnn
fakessh -n 10.0.0.10 ctdb pnn
fakessh -n 10.0.0.11 ctdb pnn
fakessh -n 10.0.0.11 echo on $NODE_HOST
fakessh -n 10.0.0.13 ctdb pnn
fakessh -n 10.0.0.14 ctdb pnn'

# ---- bad node specifications: a clear error, the usage, exit 1, nothing run
bad_spec() {
  local desc=$1 spec=$2 first_line=$3
  new_case
  run "$onnode" "$spec" 'echo on $NODE_HOST'
  local got_first=${OUT%%$'\n'*}
  if [ "$RC" == 1 ] && [ "$got_first" == "$first_line" ] && [ ! -s "$STUB_LOG" ]; then
    pass "$desc"
  else
    fail "$desc" "want exit 1, first line: $first_line, no calls" \
      "got exit $RC, output:" "$OUT" "calls:" "$(calls)"
  fi
}
bad_spec "a node number past the end" 6 \
  'onnode: node 6 does not exist (the nodes file '"$base"'/nodes has 5)'
bad_spec "a deleted node" 2 'onnode: node 2 is deleted in the nodes file '"$base"'/nodes'
bad_spec "a range over a deleted node" 1-3 \
  'onnode: node 2 is deleted in the nodes file '"$base"'/nodes'
bad_spec "a range past the end" 3-9 \
  'onnode: node 5 does not exist (the nodes file '"$base"'/nodes has 5)'
bad_spec "a backwards range" 4-3 'onnode: invalid NODES "4-3": range "4-3" is backwards'
bad_spec "a range that is not N-M" 1-x 'onnode: invalid NODES "1-x": "1-x" is not a range N-M'
bad_spec "a half range" 3- 'onnode: invalid NODES "3-": "3-" is not a range N-M'
bad_spec "a name without -n" node1 \
  'onnode: invalid NODES "node1": "node1" is not a node number (use -n for host names)'
bad_spec "an empty item in a list" 0,,1 'onnode: invalid NODES "0,,1": empty item'
bad_spec "a trailing comma" 0, 'onnode: invalid NODES "0,": empty item'
bad_spec "an empty NODES" "" 'onnode: invalid NODES "": empty'
bad_spec "a negative number (taken as an option)" -1 'onnode: unknown option -1'

new_case
run "$onnode" 0,bogus,1 'echo on $NODE_HOST'
check_true "a bad item anywhere in a list: nothing runs" test "$RC" == 1 -a ! -s "$STUB_LOG"
check_true "... and the usage follows the error" test "$(printf '%s\n' "$OUT" | sed -n 3p)" \
  == "$USAGE_LINE"

new_case
run "$onnode" all
check "a missing command: the usage" 1 "*" ""
check_true "... starting with the usage line" test "${OUT%%$'\n'*}" == "$USAGE_LINE"

new_case
run "$onnode" -Z all true
check_true "an unknown option: an error and the usage" test "$RC" == 1 -a \
  "${OUT%%$'\n'*}" == "onnode: unknown option -Z"

new_case
run "$onnode" -h
check_true "-h: the usage, exit 1 (as 4.17)" test "$RC" == 1 -a "${OUT%%$'\n'*}" == "$USAGE_LINE"

# ---- host names (-n)
new_case
run "$onnode" -n -q node7,1 'echo on $NODE_HOST'
check "-n: host names beside numbers" 0 "on node7
on 10.0.0.11" 'fakessh -n node7 echo on $NODE_HOST
fakessh -n 10.0.0.11 echo on $NODE_HOST'

new_case
run "$onnode" -n -f /dev/null hostA 'echo on $NODE_HOST'
check "-n -f /dev/null: no nodes file needed" 0 "on hostA"

# ---- nodes files
printf '192.168.1.1\n192.168.1.2\n' >"$TEST_TMP/other_nodes"
printf '172.16.0.1\n' >"$base/nodes.alt"
new_case
run "$onnode" -q -f "$TEST_TMP/other_nodes" all 'echo on $NODE_HOST'
check "-f FILE" 0 "on 192.168.1.1
on 192.168.1.2"

new_case
run env CTDB_NODES_FILE="$TEST_TMP/other_nodes" "$onnode" 1 'echo on $NODE_HOST'
check "CTDB_NODES_FILE instead of \$CTDB_BASE/nodes" 0 "on 192.168.1.2"

new_case
run env CTDB_NODES_FILE="$TEST_TMP/other_nodes" "$onnode" -f "$base/nodes" 1 'echo on $NODE_HOST'
check "-f wins over CTDB_NODES_FILE" 0 "on 10.0.0.11"

new_case
run bash -c "cd '$TEST_TMP' && exec '$onnode' -f nodes.alt 0 'echo on \$NODE_HOST'"
check "-f with a relative name not in the current directory: found in CTDB_BASE" 0 \
  "on 172.16.0.1"

new_case
run "$onnode" -f "$TEST_TMP/missing" all true
check "a missing nodes file" 1 "onnode: cannot read nodes file \"$TEST_TMP/missing\"" ""

# ---- options of the run
new_case
mkdir -p "$TEST_TMP/work dir"
run bash -c "cd '$TEST_TMP/work dir' && exec '$onnode' -c 0 pwd"
check "-c: the command runs in the current directory (quoted)" 0 "$TEST_TMP/work dir"

new_case
run bash -c "echo piped | '$onnode' 0 'cat; echo end'"
check "stdin is closed by default (ssh -n)" 0 "end"

new_case
run bash -c "echo piped | '$onnode' -i 0 'cat; echo end'"
check "-i: stdin is passed on (no -n)" 0 "piped
end" 'fakessh 10.0.0.10 cat; echo end'

new_case
run "$onnode" -o "$TEST_TMP/out" -q 0,3 'echo on $NODE_HOST; echo e $NODE_HOST >&2'
check "-o PREFIX: stdout into files, stderr still shown" 0 "e 10.0.0.10
e 10.0.0.13"
check_true "-o PREFIX: PREFIX.NODE holds that node's stdout" test \
  "$(cat "$TEST_TMP/out.10.0.0.10")/$(cat "$TEST_TMP/out.10.0.0.13")" == "on 10.0.0.10/on 10.0.0.13"

# ---- transport
new_case
unset ONNODE_SSH
stub ssh 'echo "ssh to $2: $3"'
run "$onnode" 1 uptime
check "ssh by default" 0 "ssh to 10.0.0.11: uptime" "ssh -n 10.0.0.11 uptime"

new_case
echo 'ONNODE_SSH="fakessh"' >"$base/onnode.conf"
run "$onnode" 1 'echo on $NODE_HOST'
check "\$CTDB_BASE/onnode.conf may set ONNODE_SSH" 0 "on 10.0.0.11"
rm -f "$base/onnode.conf"

new_case
run env ONNODE_SSH="fakessh -o BatchMode=yes" "$onnode" 1 'echo on $NODE_HOST'
check "ONNODE_SSH with options: split into words" 0 "on 10.0.0.11" \
  "fakessh -o BatchMode=yes -n 10.0.0.11 echo on \$NODE_HOST"

new_case
export ONNODE_SSH=fakessh
stub rsync
run bash -c "cd '$TEST_TMP' && exec '$onnode' -P 0,1 smb.conf /etc/hosts"
check "-P: each file pushed with rsync to the same path" 0 "
>> NODE: 10.0.0.10 <<
Pushing $TEST_TMP/smb.conf
Pushing /etc/hosts

>> NODE: 10.0.0.11 <<
Pushing $TEST_TMP/smb.conf
Pushing /etc/hosts" "rsync $TEST_TMP/smb.conf [10.0.0.10]:$TEST_TMP/smb.conf
rsync /etc/hosts [10.0.0.10]:/etc/hosts
rsync $TEST_TMP/smb.conf [10.0.0.11]:$TEST_TMP/smb.conf
rsync /etc/hosts [10.0.0.11]:/etc/hosts"

finish
