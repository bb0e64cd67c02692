#!/bin/bash
# Our ctdb tool against OUR daemon: for every command of the foundation set, our tool and
# Debian's stock tool, run against the same node of ours, must print the same (normalised)
# output with the same exit code. Together with test_cli_stock.sh (our tool against a stock
# daemon) and test_stock_tool_single.sh (stock tool against both daemons) this closes the
# square: either tool works with either daemon.
source "$(dirname "$0")/lib.sh"

h_init cli_ours
OUR_TOOL=$CTDB_BUILD_DIR/ctdb
[ -x "$OUR_TOOL" ] || { fail "our ctdb tool is built" "no executable at $OUR_TOOL"; h_finish; }

h_write_nodes "$H_TMP/n.nodes" 127.0.0.27
h_start_ours n 127.0.0.27 "$H_TMP/n.nodes"
h_wait_ping n || { fail "our node answers ping"; h_finish; }
wait_for "ix_steady n" 60 || fail "node reaches RUNNING, NORMAL, OK"

# both_tools NAME [--counters] ARGS...: stock tool then ours against node n; same
# stdout+stderr and rc (--counters: numbers that count packets are not compared).
both_tools() {
  local name=$1 counters=""
  shift
  [ "$1" == --counters ] && { counters=--counters; shift; }
  local out_stock out_ours rc_stock rc_ours
  out_stock=$(H_TOOL=/usr/bin/ctdb h_ctdb n "$@" 2>&1 </dev/null | ix_normalise n $counters)
  rc_stock=${PIPESTATUS[0]}
  out_ours=$(H_TOOL=$OUR_TOOL h_ctdb n "$@" 2>&1 </dev/null | ix_normalise n $counters)
  rc_ours=${PIPESTATUS[0]}
  if [ "$out_stock" == "$out_ours" ] && [ "$rc_stock" == "$rc_ours" ]; then
    pass "$name [ctdb $*]"
  else
    fail "$name [ctdb $*]" "exit code: stock tool $rc_stock, our tool $rc_ours" \
      "$(diff -u --label stock-tool --label our-tool <(echo "$out_stock") <(echo "$out_ours"))"
  fi
}

both_tools "ping" ping
both_tools "pnn" pnn
both_tools "getpid" getpid
both_tools "uptime" uptime
both_tools "runstate" runstate
both_tools "status" status
both_tools "status -X" status -X
both_tools "listnodes" listnodes
both_tools "leader" leader
both_tools "listvars" listvars
both_tools "getvar" getvar KeepaliveInterval
both_tools "getvar, unknown" getvar NoSuchTunable
both_tools "getcapabilities" getcapabilities
both_tools "getdebug" getdebug
both_tools "statistics" --counters statistics
both_tools "getdbmap, empty" getdbmap
both_tools "attach" attach test.tdb
both_tools "attach persistent" attach pers.tdb persistent
both_tools "getdbmap" getdbmap
both_tools "getdbstatus" getdbstatus test.tdb
both_tools "writekey" writekey test.tdb key1 value1
both_tools "readkey" readkey test.tdb key1
both_tools "catdb" catdb test.tdb
both_tools "deletekey" deletekey test.tdb key1
both_tools "pstore" pstore pers.tdb pkey pvalue
both_tools "pfetch" pfetch pers.tdb pkey
both_tools "getdbseqnum" getdbseqnum pers.tdb
both_tools "catdb persistent" catdb pers.tdb
both_tools "pdelete" pdelete pers.tdb pkey
both_tools "pfetch after pdelete" pfetch pers.tdb pkey
both_tools "detach, still allowed to attach" detach test.tdb
both_tools "setdebug" setdebug INFO
both_tools "getdebug after setdebug" getdebug
both_tools "setvar" setvar RecoveryBanPeriod 200
both_tools "getvar after setvar" getvar RecoveryBanPeriod
both_tools "unknown db" catdb nosuch.tdb

# controlstats (ours only): every control that ran, by opcode, with its calls and failures.
H_TOOL=$OUR_TOOL h_ctdb n setvar RecoverInterval 0 >/dev/null 2>&1  # out of range: refused
cs=$(H_TOOL=$OUR_TOOL h_ctdb n controlstats 2>&1)
# cs_field TEXT CONTROL COLUMN: a column (2 calls, 3 failed) of a control's row.
cs_field() { awk -v c="$2" -v k="$3" '$1 == c { print $k }' <<<"$1"; }
assert_contains "controlstats: the header" "$(head -n 1 <<<"$cs")" "Control"
check "controlstats: GET_DBMAP ran (both tools' getdbmap)" [ "$(cs_field "$cs" GET_DBMAP 2)" -ge 2 ]
check "controlstats: SET_TUNABLE counts the refused value" \
  [ "$(cs_field "$cs" SET_TUNABLE 3)" -ge 1 ]
assert_eq "controlstats: GET_PNN never fails" 0 "$(cs_field "$cs" GET_PNN 3)"
csx=$(H_TOOL=$OUR_TOOL h_ctdb n -X controlstats 2>&1)
assert_eq "controlstats -X: the header" "|Control|Opcode|Calls|Failed|Min|Avg|Max|" \
  "$(head -n 1 <<<"$csx")"
assert_contains "controlstats -X: GET_DBMAP by opcode" "$csx" "|GET_DBMAP|9|"
check "statisticsreset" eval 'H_TOOL=$OUR_TOOL h_ctdb n statisticsreset'
cs=$(H_TOOL=$OUR_TOOL h_ctdb n controlstats 2>&1)
# What is left: the reset, and what the tool sent to connect for controlstats itself.
assert_eq "controlstats after statisticsreset: the reset ran once" "1 0" \
  "$(cs_field "$cs" STATISTICS_RESET 2) $(cs_field "$cs" STATISTICS_RESET 3)"
assert_eq "controlstats after statisticsreset: GET_DBMAP is gone" "" "$(cs_field "$cs" GET_DBMAP 2)"

# shutdown last, with our tool: the daemon must go away.
H_TOOL=$OUR_TOOL h_ctdb n shutdown >/dev/null 2>&1
if wait_for "! h_node_running n" 20; then pass "our tool shuts our daemon down"; else
  fail "our tool shuts our daemon down"
fi
h_finish
