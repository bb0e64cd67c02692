#!/bin/bash
# Debian's stock `ctdb` tool against one node of ours and one stock node (each a one-node
# cluster): every command must give the same normalised stdout, stderr and exit code.
#
# INTEROP_SUBJECT=ours (default) compares our ctdbd (127.0.0.21) with stock (127.0.0.31).
# INTEROP_SUBJECT=stock puts a second stock daemon (127.0.0.32) in our place: every
# comparison must then pass, which is how the normalisation is checked.
source "$(dirname "$0")/lib.sh"

SUBJECT=${INTEROP_SUBJECT:-ours}
h_init stock_tool_single

h_write_nodes "$H_TMP/ref.nodes" 127.0.0.31
h_start_stock ref 127.0.0.31 "$H_TMP/ref.nodes"
if [ "$SUBJECT" == stock ]; then
  h_write_nodes "$H_TMP/subj.nodes" 127.0.0.32
  h_start_stock subj 127.0.0.32 "$H_TMP/subj.nodes"
else
  if [ ! -x "$H_CTDBD" ]; then
    fail "our ctdbd is built" "no executable at $H_CTDBD"
    h_finish
  fi
  h_write_nodes "$H_TMP/subj.nodes" 127.0.0.21
  h_start_ours subj 127.0.0.21 "$H_TMP/subj.nodes"
fi
IX_REF=ref
IX_SUBJ=subj

h_wait_ping ref || {
  fail "reference (stock) node answers ping"
  h_finish
}
if h_wait_ping subj; then pass "subject ($SUBJECT) answers ping"; else
  fail "subject ($SUBJECT) answers ping"
  h_finish
fi
# The stock node needs a few seconds for its first recovery; compare only steady states.
wait_for "ix_steady ref" 60 || {
  fail "reference reaches RUNNING, NORMAL, OK"
  h_finish
}
if wait_for "ix_steady subj" 60; then pass "subject reaches RUNNING, NORMAL, OK"; else
  fail "subject reaches RUNNING, NORMAL, OK" "$(h_ctdb subj status 2>&1)"
fi

# --- node and cluster state -------------------------------------------------------------------
ix_compare "version" version
ix_compare "ping" ping
ix_compare "ping -X" ping -X
ix_compare "pnn" pnn
ix_compare "getpid" getpid
ix_compare "uptime" uptime
ix_compare "uptime -X" uptime -X
ix_compare "runstate" runstate
ix_compare "runstate, expected state" runstate RUNNING
ix_compare "runstate, other state" runstate STARTUP
ix_compare "runstate, bad state" runstate BOGUS
ix_compare "status" status
ix_compare "status -X" status -X
ix_compare "status -X -x ," -X -x , status
ix_compare "status -Y" status -Y
ix_compare "nodestatus" nodestatus
ix_compare "nodestatus -X" nodestatus -X
ix_compare "listnodes" listnodes
ix_compare "listnodes -X" listnodes -X
ix_compare "getcapabilities" getcapabilities
ix_compare "getcapabilities -X" getcapabilities -X
ix_compare "no such node" -n 1 pnn
ix_compare "all nodes" -n all pnn
ix_compare "unknown command" nosuchcommand

# --- tunables ---------------------------------------------------------------------------------
# The seed's DeterministicIPs and DisableWhenUnhealthy are ours alone (4.17 dropped them).
SEED_EXTRA='^(DeterministicIPs|DisableWhenUnhealthy) '
ix_compare "listvars" --drop "$SEED_EXTRA" listvars
if [ "$SUBJECT" == ours ]; then
  assert_contains "seed tunable DeterministicIPs, default 1" \
    "$(h_ctdb subj listvars)" "DeterministicIPs           = 1"
  assert_contains "seed tunable DisableWhenUnhealthy, default 0" \
    "$(h_ctdb subj listvars)" "DisableWhenUnhealthy       = 0"
fi
vars=$(sed -n 's/^\([A-Za-z]*\) *= .*/\1/p' "$IX_LAST_REF_OUT")
[ -n "$vars" ] && pass "reference lists tunables" || fail "reference lists tunables"
for v in $vars; do
  ix_compare "getvar $v" getvar "$v"
done
ix_compare "getvar, name in other case" getvar recoverybanperiod
ix_compare "getvar, unknown name" getvar NoSuchTunable
ix_compare "getvar, no name" getvar
ix_compare "setvar, valid" setvar RecoveryBanPeriod 301
ix_compare "getvar after setvar" getvar RecoveryBanPeriod
ix_compare "setvar, hex value, lower case name" setvar recoverybanperiod 0x20
ix_compare "getvar after hex setvar" getvar RecoveryBanPeriod
ix_compare "setvar, unknown name" setvar NoSuchTunable 1
ix_compare "setvar, negative value" setvar RecoveryBanPeriod -1
if [ "$SUBJECT" == stock ]; then
  ix_compare "setvar, value over 32 bits" setvar RecoveryBanPeriod 4294967296
  ix_compare "getvar after 33-bit setvar" getvar RecoveryBanPeriod
fi
ix_compare "setvar, not a number" setvar RecoveryBanPeriod abc
ix_compare "setvar, number then junk" setvar RecoveryBanPeriod 12abc
ix_compare "getvar after junk setvar" getvar RecoveryBanPeriod
if [ "$SUBJECT" == stock ]; then
  ix_compare "setvar, beyond a boolean's range" setvar EnableBans 4294967295
  ix_compare "getvar after out-of-range setvar" getvar EnableBans
else
  # Ours refuses out-of-range values (4.17 stores anything); the value stays as it was.
  h_ctdb subj setvar EnableBans 4294967295 >/dev/null 2>&1
  assert_eq "out-of-range setvar is refused" "$?" 1
  assert_eq "refused setvar leaves the value" "$(h_ctdb subj getvar EnableBans)" \
    "EnableBans                 = 1"
  h_ctdb subj setvar RecoveryBanPeriod 4294967296 >/dev/null 2>&1
  assert_eq "setvar that wraps to 0 is refused" "$?" 1
fi
ix_compare "setvar, no value" setvar EnableBans
ix_compare "setvar, restore" setvar EnableBans 1
ix_compare "setvar, restore" setvar RecoveryBanPeriod 300
ix_compare "listvars after setvar" --drop "$SEED_EXTRA" listvars

# --- statistics -------------------------------------------------------------------------------
ix_compare "statistics" --counters statistics
ix_compare "statistics -X" --counters statistics -X
ix_compare "statistics -Y" --counters statistics -Y
ix_compare "statisticsreset" statisticsreset
ix_compare "statistics after reset" --counters statistics

# --- volatile databases -----------------------------------------------------------------------
ix_compare "getdbmap, none" getdbmap
ix_compare "getdbmap -X, none" getdbmap -X
ix_compare "attach" attach test.tdb
ix_compare "attach again" attach test.tdb
ix_compare "attach persistent" attach pers.tdb persistent
ix_compare "attach replicated" attach repl.tdb replicated
ix_compare "attach, bad flag" attach bad.tdb bogus
ix_compare "attach, no name" attach
ix_compare "getdbmap" getdbmap
ix_compare "getdbmap -X" getdbmap -X
ix_compare "getdbmap -Y" getdbmap -Y
ix_compare "dbstatistics" --counters dbstatistics test.tdb
ix_compare "dbstatistics, unknown db" dbstatistics nosuch.tdb
ix_compare "getdbstatus volatile" getdbstatus test.tdb
ix_compare "getdbstatus persistent" getdbstatus pers.tdb
ix_compare "getdbstatus replicated" getdbstatus repl.tdb
ix_compare "getdbstatus by dbid" getdbstatus 0xc445c6ab
ix_compare "getdbstatus, unknown name" getdbstatus nosuch.tdb
ix_compare "getdbstatus, unknown dbid" getdbstatus 0x12345678
ix_compare "getdbstatus, no args" getdbstatus
ix_compare "catdb, empty" catdb test.tdb
ix_compare "writekey" writekey test.tdb key1 value1
ix_compare "readkey" readkey test.tdb key1
ix_compare "readkey, missing key" readkey test.tdb nokey
ix_compare "writekey, overwrite" writekey test.tdb key1 value2
ix_compare "writekey, second key" writekey test.tdb key2 ""
ix_compare "readkey after overwrite" readkey test.tdb key1
ix_compare "readkey, empty value" readkey test.tdb key2
ix_compare "catdb" catdb test.tdb
ix_compare "deletekey" deletekey test.tdb key1
ix_compare "readkey after deletekey" readkey test.tdb key1
ix_compare "deletekey, missing key" deletekey test.tdb key1
ix_compare "catdb after deletekey" catdb test.tdb
ix_compare "readkey, unknown db" readkey nosuch.tdb key1
ix_compare "writekey, unknown db" writekey nosuch.tdb key1 v
ix_compare "deletekey, unknown db" deletekey nosuch.tdb key1
ix_compare "catdb, unknown db" catdb nosuch.tdb
ix_compare "readkey, no key" readkey test.tdb
ix_compare "writekey, no value" writekey test.tdb key1
ix_compare "getdbseqnum, volatile" getdbseqnum test.tdb

# --- persistent databases ---------------------------------------------------------------------
printf '"a" "1"\n"b" "2"\n"c" ""\n' >"$H_TMP/ptrans.ok"
printf 'garbage\n' >"$H_TMP/ptrans.bad"
ix_compare "getdbseqnum, fresh" getdbseqnum pers.tdb
ix_compare "pstore" pstore pers.tdb k1 v1
ix_compare "pfetch" pfetch pers.tdb k1
ix_compare "pfetch, missing key" pfetch pers.tdb nokey
ix_compare "getdbseqnum after pstore" getdbseqnum pers.tdb
ix_compare "pstore, hex key" pstore pers.tdb 0x6b32 v2
ix_compare "pfetch, hex key" pfetch pers.tdb k2
ix_compare "pdelete" pdelete pers.tdb k1
ix_compare "pfetch after pdelete" pfetch pers.tdb k1
ix_compare "pdelete, missing key" pdelete pers.tdb k1
ix_compare "getdbseqnum after pdelete" getdbseqnum pers.tdb
ix_compare "ptrans" --stdin "$H_TMP/ptrans.ok" ptrans pers.tdb
ix_compare "pfetch after ptrans" pfetch pers.tdb b
ix_compare "getdbseqnum after ptrans" getdbseqnum pers.tdb
ix_compare "ptrans, bad input" --stdin "$H_TMP/ptrans.bad" ptrans pers.tdb
ix_compare "catdb persistent" catdb pers.tdb
ix_compare "pstore, volatile db" pstore test.tdb k v
ix_compare "pfetch, volatile db" pfetch test.tdb k
ix_compare "ptrans, volatile db" --stdin "$H_TMP/ptrans.ok" ptrans test.tdb
ix_compare "pstore, unknown db" pstore nosuch.tdb k v
ix_compare "pfetch, unknown db" pfetch nosuch.tdb k
ix_compare "pdelete, unknown db" pdelete nosuch.tdb k
ix_compare "getdbseqnum, unknown db" getdbseqnum nosuch.tdb
ix_compare "pfetch, extra arg" pfetch pers.tdb k1 extra
ix_compare "pstore, no value" pstore pers.tdb k1
ix_compare "getdbmap after transactions" getdbmap

# --- detach -----------------------------------------------------------------------------------
ix_compare "detach while client attach allowed" detach test.tdb
ix_compare "setvar AllowClientDBAttach 0" setvar AllowClientDBAttach 0
ix_compare "detach" detach test.tdb
ix_compare "detach persistent" detach pers.tdb
ix_compare "detach replicated" detach repl.tdb
ix_compare "detach, unknown db" detach nosuch.tdb
ix_compare "detach, no args" detach
ix_compare "getdbmap after detach" getdbmap
ix_compare "setvar AllowClientDBAttach 1" setvar AllowClientDBAttach 1
ix_compare "attach after detach" attach test.tdb
ix_compare "catdb after re-attach" catdb test.tdb

# --- debug level ------------------------------------------------------------------------------
ix_compare "getdebug" getdebug
ix_compare "getdebug -X" getdebug -X
ix_compare "setdebug name" setdebug INFO
ix_compare "getdebug after setdebug" getdebug
ix_compare "setdebug number" setdebug 4
ix_compare "getdebug after numeric setdebug" getdebug
ix_compare "setdebug, bad level" setdebug bogus
ix_compare "setdebug, no level" setdebug
ix_compare "setdebug restore" setdebug NOTICE
ix_compare "getdebug after restore" getdebug

# --- shutdown ---------------------------------------------------------------------------------
ix_compare "shutdown" shutdown
if wait_for "! h_node_running ref" 30; then pass "reference exits after shutdown"; else
  fail "reference exits after shutdown"
fi
if wait_for "! h_node_running subj" 30; then pass "subject exits after shutdown"; else
  fail "subject exits after shutdown"
fi
wait "${H_PID[ref]}"
H_EXIT[ref]=$?
wait "${H_PID[subj]}"
H_EXIT[subj]=$?
assert_eq "subject's exit status after shutdown" "${H_EXIT[ref]}" "${H_EXIT[subj]}"
ix_compare "ping, daemon gone" ping
ix_compare "status, daemon gone" status

h_finish
