#!/bin/bash
# Tests tools/ctdb_ipalloc, the IP allocation what-if planner: its input and output follow
# 4.17's takeover test program (node flags, stdin layout, CTDB_* variables, "IP PNN" lines).
. "$(dirname "$0")/lib.sh"
PLANNER="${CTDB_BUILD_DIR:-$CTDB_SRC_DIR/build}/ctdb_ipalloc"
[ -x "$PLANNER" ] || { echo "FAIL: $PLANNER not built"; exit 1; }
unset CTDB_IP_ALGORITHM CTDB_TEST_LOGLEVEL CTDB_TEST_RUNSTATE CTDB_SET_NoIPTakeover \
  CTDB_SET_NoIPFailback

# plan INPUT [VAR=VALUE...] -- ARGS...: runs the planner with INPUT (printf %b) on stdin and
# the variables set; combined output in OUT, status in RC.
plan() {
  local input="$1" vars=()
  shift
  while [ "$1" != "--" ]; do vars+=("$1"); shift; done
  shift
  OUT=$(printf '%b' "$input" | env "${vars[@]}" "$PLANNER" "$@" 2>&1)
  RC=$?
}

four='10.0.1.1 0\n10.0.1.2 1\n10.0.1.3 2\n10.0.1.4 0\n'
on_one=''
for i in 1 2 3 4 5 6; do on_one+="10.0.1.$i 1\n"; done

plan "$four" CTDB_TEST_LOGLEVEL=ERR -- 2,2,0
check "lcp2 by default: two unhealthy nodes, everything on the third" 0 "10.0.1.4 2
10.0.1.3 2
10.0.1.2 2
10.0.1.1 2"

plan "$on_one" CTDB_TEST_LOGLEVEL=INFO -- 0,0,0
check "lcp2 rebalancing, its moves logged at INFO before the layout" 0 "1 [-78880] -> 10.0.1.5 -> 0 [+0]
1 [-63255] -> 10.0.1.3 -> 2 [+0]
1 [-47126] -> 10.0.1.6 -> 2 [+15625]
1 [-31501] -> 10.0.1.2 -> 0 [+15625]
10.0.1.6 2
10.0.1.5 0
10.0.1.4 1
10.0.1.3 2
10.0.1.2 0
10.0.1.1 1"

plan "$four" CTDB_IP_ALGORITHM=det -- 0,0x20,0
check "det, hex flags (node 1 STOPPED), DEBUG logging by default" 0 "Deterministic IPs enabled. Resetting all ip allocations
Unassign IP: 10.0.1.3 from 1
10.0.1.4 0
10.0.1.3 2
10.0.1.2 2
10.0.1.1 0"

plan "$on_one" CTDB_IP_ALGORITHM=nondet -- 0,0,0
check "nondet evens out the counts" 0 "10.0.1.6 0
10.0.1.5 2
10.0.1.4 0
10.0.1.3 2
10.0.1.2 1
10.0.1.1 1"

multi='10.0.5.1 0\n10.0.5.2 1\n10.0.5.3 -1\n\n10.0.5.1 0\n10.0.5.2 1\n10.0.5.4 1\n\n'
multi+='10.0.5.1 2\n10.0.5.3 -1\n'
plan "$multi" CTDB_TEST_LOGLEVEL=ERR -- 0,0,0 multi
check "multi: one block per node, a node's claim about itself wins" 0 "10.0.5.4 1
10.0.5.3 0
10.0.5.2 1
10.0.5.1 2"

plan '10.0.1.1 0\n10.0.1.2 1\n10.0.1.3 2\n10.0.1.4 -1\n' CTDB_SET_NoIPTakeover=1 \
  CTDB_TEST_LOGLEVEL=ERR -- 0,2,0
check "CTDB_SET_NoIPTakeover: released addresses are not taken over" 0 "10.0.1.4 -1
10.0.1.3 2
10.0.1.2 -1
10.0.1.1 0"

plan "$on_one" CTDB_SET_NoIPFailback=1 CTDB_TEST_LOGLEVEL=ERR -- 0,0,0
check "CTDB_SET_NoIPFailback: nothing moves back" 0 "10.0.1.6 1
10.0.1.5 1
10.0.1.4 1
10.0.1.3 1
10.0.1.2 1
10.0.1.1 1"

plan '10.0.1.1 -1\n10.0.1.2 -1\n10.0.1.3 -1\n' CTDB_TEST_RUNSTATE=4,5,5 \
  CTDB_TEST_LOGLEVEL=ERR -- 0,0,0
check "CTDB_TEST_RUNSTATE: a node in STARTUP takes nothing" 0 "10.0.1.3 1
10.0.1.2 2
10.0.1.1 1"

plan '10.0.1.1 -1\n10.0.1.2 -1\n' CTDB_TEST_RUNSTATE=1 CTDB_TEST_LOGLEVEL=NOTICE -- 0,0
check "CTDB_TEST_RUNSTATE=1 applies to every node; failures logged as warnings" 0 \
  "Failed to find node to cover ip 10.0.1.2
Failed to find node to cover ip 10.0.1.1
10.0.1.2 -1
10.0.1.1 -1"

plan '10.0.2.1 0 0,1\n10.0.2.2 0 0,1\n10.0.2.3 2 1,2\n10.0.2.4 -1 2\n10.0.2.5 1 0,2\n10.0.2.6 2 0,1\n' \
  CTDB_TEST_LOGLEVEL=ERR -- 0,0,0
check "allowed nodes: an address only goes to nodes listing it" 0 "10.0.2.6 1
10.0.2.5 2
10.0.2.4 2
10.0.2.3 1
10.0.2.2 0
10.0.2.1 0"

plan '10.0.3.1 0\n2001:db8::1 0\n10.0.3.2 0\n2001:db8::2 0\n10.0.3.3 -1\n2001:db8:1::3 -1\n::ffff:10.0.3.4 -1\n' \
  CTDB_TEST_LOGLEVEL=ERR -- 0,0,0
check "IPv6 before IPv4, an IPv4-mapped address is IPv4" 0 "2001:db8:1::3 1
2001:db8::2 2
2001:db8::1 0
10.0.3.4 2
10.0.3.3 1
10.0.3.2 0
10.0.3.1 1"

plan '# layout\n10.0.1.2 1   # on node 1\n  \t \n10.0.1.1\n' CTDB_TEST_LOGLEVEL=ERR -- 0,0
check "comments and blank-looking lines are skipped; a missing pnn is -1" 0 "10.0.1.2 1
10.0.1.1 0"

plan '' -- 0,0,0
check "no addresses: no output" 0 ""

# Bad input: a message on stderr and exit status 1 (2 for usage).
plan "$four" --
check "no arguments: usage" 2 "usage: ctdb_ipalloc NODE_FLAGS[,NODE_FLAGS...] [multi]"
plan "$four" -- 0,0 single
check "unknown second argument: usage" 2 "usage: ctdb_ipalloc NODE_FLAGS[,NODE_FLAGS...] [multi]"
plan "$four" -- 0,x,0
check "bad node flags" 1 "ctdb_ipalloc: bad node flags 'x' in '0,x,0'"
plan "$four" -- 0,,0
check "empty node flags" 1 "ctdb_ipalloc: bad node flags '' in '0,,0'"
plan '10.0.1.1 0\n10.0.1.300 1\n' -- 0,0
check "bad address" 1 "ctdb_ipalloc: line 2: bad address '10.0.1.300'"
plan '10.0.1.1 zero\n' -- 0,0
check "bad pnn" 1 "ctdb_ipalloc: line 1: bad pnn 'zero' (a node number or -1)"
plan '10.0.1.1 0 0,2\n' -- 0,0
check "allowed node out of range" 1 "ctdb_ipalloc: line 1: bad allowed node '2' (0..1)"
plan '10.0.1.1 0 0 1\n' -- 0,0
check "extra field" 1 "ctdb_ipalloc: line 1: unexpected '1'"
plan '10.0.1.1 0 0\n' -- 0,0 multi
check "allowed nodes in multi mode" 1 "ctdb_ipalloc: line 1: allowed nodes are not accepted in multi mode"
plan '10.0.1.1 0\n\n10.0.1.2 1\n' -- 0,0
check "text after the empty line that ends the layout" 1 \
  "ctdb_ipalloc: line 3: text after the empty line that ends the layout (per-node blocks need 'multi')"
plan '10.0.1.1 0\n\n10.0.1.1 1\n\n10.0.1.1 1\n' -- 0,0 multi
check "more blocks than nodes" 1 "ctdb_ipalloc: line 5: more address blocks than nodes"
plan "$four" CTDB_IP_ALGORITHM=random -- 0,0,0
check "unknown algorithm" 1 \
  "ctdb_ipalloc: unknown IP algorithm 'random' in CTDB_IP_ALGORITHM (lcp2, nondet, det)"
plan "$four" CTDB_TEST_RUNSTATE=5,5 -- 0,0,0
check "wrong number of run states" 1 "ctdb_ipalloc: CTDB_TEST_RUNSTATE has 2 values for 3 nodes"
plan "$four" CTDB_SET_NoIPTakeover=yes -- 0,0,0
check "bad tunable value" 1 "ctdb_ipalloc: bad value 'yes' for CTDB_SET_NoIPTakeover"

finish
