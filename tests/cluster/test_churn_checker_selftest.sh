#!/bin/bash
# Self-test of the churn test's history checker (tests/tools/ctdb_churn_checker.cpp) on
# hand-written histories and node copies, no daemon: a clean history passes, and so do two
# commits that shared a sequence number (noted); an acknowledged op
# missing from the copies, an op applied twice, two transactions on the same counter value, a
# counter that went back, a torn commit, an op applied that no client invoked, a failed op that
# is applied and two nodes that disagree are each reported, naming the ops (and nodes).
source "$(dirname "$0")/../lib/harness.sh"
h_init churn_checker_selftest
CHECKER=$CTDB_BUILD_DIR/ctdb_churn_checker
[ -x "$CHECKER" ] || { fail "the checker is built ($CHECKER)"; h_finish; }
T=$H_TMP
TAB=$'\t'

# state FILE LINE...: a node copy as `ctdb_churn_checker dump` prints it ("key<TAB>value").
state() {
  local f=$1
  shift
  printf '%s\n' "$@" | sed "s/ => /$TAB/" | sort >"$f"
}

# run_check HISTORIES -- STATES: sets OUT and RC.
run_check() {
  OUT=$("$CHECKER" check "$@" 2>&1)
  RC=$?
}

# ---- a clean history: two workers, three ops acknowledged, one failed before commit, one
# indeterminate that was applied and one indeterminate that was not.
cat >"$T/w0" <<'EOF'
invoke a.1.1 counter-0
ok a.1.1
invoke a.1.2 counter-1
ok a.1.2
invoke a.1.3 counter-0
info a.1.3 commit 104
invoke a.2.1 counter-0
fail a.2.1 start 110
EOF
cat >"$T/w1" <<'EOF'
invoke b.1.1 counter-0
ok b.1.1
invoke b.1.2 counter-1
info b.1.2 commit 5
invoke b.1.3 counter-1
EOF
CLEAN=("__db_sequence_number__ => 4"
  "counter-0 => 3" "step-0-1 => a.1.1" "step-0-2 => b.1.1" "step-0-3 => a.1.3"
  "counter-1 => 1" "step-1-1 => a.1.2"
  "op-a.1.1 => counter-0 1" "op-b.1.1 => counter-0 2" "op-a.1.3 => counter-0 3"
  "op-a.1.2 => counter-1 1")
state "$T/clean.n0" "${CLEAN[@]}"
state "$T/clean.n1" "${CLEAN[@]}"
run_check "$T/w0" "$T/w1" -- n0="$T/clean.n0" n1="$T/clean.n1"
assert_eq "a clean history passes (exit 0)" 0 "$RC"
assert_contains "summary: attempts and outcomes" "$OUT" \
  "7 attempts: 3 acknowledged, 1 failed before commit, 3 indeterminate (1 of them applied, 2 not)"
assert_contains "summary: the counters" "$OUT" "counter-0=3 counter-1=1 (sum 4; 4 ops applied)"
assert_contains "summary: n1 agrees with n0" "$OUT" \
  "node n1: 11 records, __db_sequence_number__ 4, same as n0"
assert_contains "summary: no violation" "$OUT" "0 violations"

# ---- two commits that overlapped on different counters (their transaction lock was lost with
# a node) share a sequence number: allowed, and shown.
state "$T/overlap.n0" "${CLEAN[@]/#__db_sequence_number__ => 4/__db_sequence_number__ => 3}"
run_check "$T/w0" "$T/w1" -- n0="$T/overlap.n0"
assert_eq "commits sharing a sequence number pass (exit 0)" 0 "$RC"
assert_contains "commits sharing a sequence number are noted" "$OUT" \
  "note: n0: __db_sequence_number__ is 3 for 4 ops applied: 1 commit(s) ran beside another one"

# ---- an acknowledged op lost (b.1.1 gone, as if a recovery took an older copy) and an op
# applied twice (a.1.3 produced counter-0 = 3 and again 4: a commit replayed as a new one).
BAD=("__db_sequence_number__ => 4"
  "counter-0 => 4" "step-0-1 => a.1.1" "step-0-2 => a.1.2x" "step-0-3 => a.1.3" "step-0-4 => a.1.3"
  "counter-1 => 1" "step-1-1 => a.1.2"
  "op-a.1.1 => counter-0 1" "op-a.1.3 => counter-0 4" "op-a.1.2 => counter-1 1")
state "$T/bad.n0" "${BAD[@]}"
run_check "$T/w0" "$T/w1" -- n0="$T/bad.n0"
assert_eq "a lost and a duplicated op fail the check (exit 1)" 1 "$RC"
assert_contains "the lost acknowledged op is named" "$OUT" \
  "VIOLATION n0: LOST acknowledged op b.1.1 (counter-0, $T/w1)"
assert_contains "the op applied twice is named with both values" "$OUT" \
  "VIOLATION n0: op a.1.3 applied 2 times (counter-0=3, counter-0=4)"
assert_contains "a step by an op without its own record is a torn commit" "$OUT" \
  "VIOLATION n0: op a.1.2x has a step but not its own record"

# ---- two transactions on the same value (a lost update), a counter that went back, an op
# that failed before commit but is applied, an op nobody invoked, a wrong sequence number.
cat >"$T/w2" <<'EOF'
invoke c.1.1 counter-2
ok c.1.1
invoke d.1.1 counter-2
ok d.1.1
invoke c.1.2 counter-2
ok c.1.2
invoke c.1.3 counter-3
fail c.1.3 fetch 5
EOF
UPD=("__db_sequence_number__ => 7"
  "counter-2 => 1" "step-2-1 => d.1.1" "step-2-2 => c.1.2"
  "op-c.1.1 => counter-2 1" "op-d.1.1 => counter-2 1" "op-c.1.2 => counter-2 2"
  "counter-3 => 2" "step-3-1 => c.1.3" "step-3-2 => e.9.9"
  "op-c.1.3 => counter-3 1" "op-e.9.9 => counter-3 2")
state "$T/upd.n0" "${UPD[@]}"
run_check "$T/w2" -- n0="$T/upd.n0"
assert_eq "a lost update fails the check (exit 1)" 1 "$RC"
assert_contains "both transactions on counter-2=1 are named" "$OUT" \
  "VIOLATION n0: op c.1.1 read counter-2=0 and wrote 1, but value 1 is op d.1.1's"
assert_contains "the counter that went back names the op whose increment it lost" "$OUT" \
  "VIOLATION n0: op c.1.2 produced counter-2=2 but the counter is 1"
assert_contains "a failed op that is applied is named" "$OUT" \
  "VIOLATION n0: op c.1.3 failed before its commit was sent but is applied"
assert_contains "an applied op no client invoked is named" "$OUT" \
  "VIOLATION n0: op e.9.9 is applied but no client ever invoked it"
assert_contains "a sequence number that does not count the commits is reported" "$OUT" \
  "VIOLATION n0: __db_sequence_number__ is 7 but only 5 ops are applied"

# ---- two nodes that disagree: n1 lacks the last commit (an acknowledged op).
state "$T/dis.n0" "${CLEAN[@]}"
state "$T/dis.n1" "__db_sequence_number__ => 3" \
  "counter-0 => 2" "step-0-1 => a.1.1" "step-0-2 => b.1.1" \
  "counter-1 => 1" "step-1-1 => a.1.2" \
  "op-a.1.1 => counter-0 1" "op-b.1.1 => counter-0 2" "op-a.1.2 => counter-1 1"
run_check "$T/w0" "$T/w1" -- n0="$T/dis.n0" n1="$T/dis.n1" n2="$T/dis.n0"
assert_eq "nodes that disagree fail the check (exit 1)" 1 "$RC"
assert_contains "the disagreement names the nodes and a record" "$OUT" \
  "nodes n0 and n1 disagree on 4 records:"
assert_contains "the differing record is shown with both values" "$OUT" "counter-0: n0 3, n1 2"
assert_contains "the summary shows which node differs" "$OUT" \
  "node n1: 9 records, __db_sequence_number__ 3, DIFFERENT from n0"
assert_not_contains "identical copies are not reported against each other" "$OUT" \
  "nodes n0 and n2 disagree"

# ---- bad input
run_check "$T/w0" -- n0="$T/missing"
assert_eq "an unreadable copy is an input error (exit 2)" 2 "$RC"
printf 'invoke x.1.1 counter-0\nok x.1.1\nok x.1.1\n' >"$T/w3"
run_check "$T/w3" -- n0="$T/clean.n0"
assert_contains "an outcome without a pending invoke is reported" "$OUT" \
  "'ok x.1.1' without a pending invoke"
h_finish
