#!/bin/bash
# Debian's stock `ctdb` tool against a 3-node cluster of ours and a 3-node stock cluster
# (CTDB_TEST_MODE), both with a shared recovery lock: status, node list, leader,
# capabilities, and the admin commands (disable/enable, stop/continue, ban/unban, recover,
# setlmasterrole, setleaderrole, reloadnodes) must give the same normalised output and exit
# codes, and leave both clusters in the same state.
source "$(dirname "$0")/lib.sh"

h_init stock_tool_cluster

h_start_cluster stock ref 127.0.0.31 127.0.0.32 127.0.0.33 || {
  fail "stock cluster answers ping"
  h_finish
}
h_write_nodes "$H_TMP/subj.nodes" 127.0.0.21 127.0.0.22 127.0.0.23
for i in 0 1 2; do
  h_start_ours "subj$i" "127.0.0.2$((i + 1))" "$H_TMP/subj.nodes" --reclock="$H_TMP/subj.reclock"
done
for i in 0 1 2; do
  h_wait_ping "subj$i" || fail "our node $i answers ping"
done

# A cluster has converged when every node runs, is out of recovery, agrees on the
# generation, and shows the expected vnnmap size and node flags.
# converged PREFIX SIZE FLAGS0 FLAGS1 FLAGS2
converged() {
  local prefix=$1 size=$2 gen="" i st g
  shift 2
  local want=("$@")
  for i in 0 1 2; do
    # An inactive (stopped, banned) node stays in recovery mode, outside the vnnmap.
    [[ "${want[$i]}" == *INACTIVE* ]] && continue
    st=$(h_ctdb "$prefix$i" status 2>/dev/null) || return 1
    [[ "$st" == *"Recovery mode:NORMAL (0)"* && "$st" == *"Size:$size"* ]] || return 1
    g=$(grep '^Generation:' <<<"$st")
    [ -z "$gen" ] || [ "$g" == "$gen" ] || return 1
    gen=$g
    local j
    for j in 0 1 2; do
      grep -Eq "^pnn:$j +[^ ]+ +${want[$j]}( \(THIS NODE\))?\$" <<<"$st" || return 1
    done
  done
}

both_converged() {
  local label=$1
  shift
  if wait_for "converged ref $*" 90; then pass "stock cluster: $label"; else
    fail "stock cluster: $label" "$(h_ctdb ref0 status 2>&1)"
  fi
  if wait_for "converged subj $*" 90; then pass "our cluster: $label"; else
    fail "our cluster: $label" "$(h_ctdb subj0 status 2>&1)" "$(h_ctdb subj2 status 2>&1)"
  fi
}

both_converged "all nodes OK" 3 OK OK OK

# Recoveries are spaced by RerecoveryTimeout; shorten it on every node of both clusters.
for n in ref0 ref1 ref2 subj0 subj1 subj2; do
  h_ctdb "$n" setvar RerecoveryTimeout 1 >/dev/null || fail "setvar RerecoveryTimeout on $n"
done

IX_REF=ref0
IX_SUBJ=subj0
# Both clusters run their nodes on different addresses; map each to its index. Which node
# wins the recovery lock first is a race on either side, so the leader's number is not
# compared (that there is exactly one is the cluster suite's business).
ix_cluster_normalise() {
  sed -E -e 's/127\.0\.0\.3([1-3])/NODE\1/g; s/127\.0\.0\.2([1-3])/NODE\1/g' \
    -e 's/^Leader:[0-2]$/Leader:<PNN>/; s/^[0-2]$/<PNN>/'
}
ix_compare_cluster() {
  local name=$1
  shift
  local out_ref out_subj rc_ref rc_subj
  out_ref=$(h_ctdb ref0 "$@" 2>&1 | ix_normalise ref0 | ix_cluster_normalise)
  rc_ref=${PIPESTATUS[0]}
  out_subj=$(h_ctdb subj0 "$@" 2>&1 | ix_normalise subj0 | ix_cluster_normalise)
  rc_subj=${PIPESTATUS[0]}
  if [ "$out_ref" == "$out_subj" ] && [ "$rc_ref" == "$rc_subj" ]; then
    pass "$name [ctdb $*]"
  else
    fail "$name [ctdb $*]" "exit code: reference $rc_ref, subject $rc_subj" \
      "$(diff -u --label reference --label subject <(echo "$out_ref") <(echo "$out_subj"))"
  fi
}

ix_compare_cluster "status" status
ix_compare_cluster "status -X" status -X
ix_compare_cluster "listnodes" listnodes
ix_compare_cluster "leader" leader
ix_compare_cluster "recmaster is not a 4.17 command" recmaster
ix_compare_cluster "getcapabilities of node 2" -n 2 getcapabilities
ix_compare_cluster "pnn of node 1" -n 1 pnn
ix_compare_cluster "runstate of node 2" -n 2 runstate
ix_compare_cluster "uptime of node 1" -n 1 uptime
ix_compare_cluster "getvar on node 2" -n 2 getvar RerecoveryTimeout
ix_compare_cluster "node out of range" -n 7 pnn

ix_compare_cluster "disable node 1" -n 1 disable
both_converged "node 1 disabled" 3 OK DISABLED OK
ix_compare_cluster "status, node 1 disabled" status
ix_compare_cluster "disable node 1 again" -n 1 disable
ix_compare_cluster "enable node 1" -n 1 enable
both_converged "node 1 enabled" 3 OK OK OK

ix_compare_cluster "stop node 2" -n 2 stop
both_converged "node 2 stopped" 2 OK OK STOPPED.INACTIVE
ix_compare_cluster "status, node 2 stopped" status
ix_compare_cluster "continue node 2" -n 2 continue
both_converged "node 2 continued" 3 OK OK OK

ix_compare_cluster "ban node 1" -n 1 ban 300
both_converged "node 1 banned" 2 OK BANNED.INACTIVE OK
ix_compare_cluster "status, node 1 banned" status
ix_compare_cluster "unban node 1" -n 1 unban
both_converged "node 1 unbanned" 3 OK OK OK

ix_compare_cluster "recover" recover
both_converged "after recover" 3 OK OK OK

ix_compare_cluster "lmaster role off on node 2" -n 2 setlmasterrole off
both_converged "node 2 not lmaster" 2 OK OK OK
ix_compare_cluster "capabilities without lmaster" -n 2 getcapabilities
ix_compare_cluster "lmaster role on on node 2" -n 2 setlmasterrole on
both_converged "node 2 lmaster again" 3 OK OK OK
ix_compare_cluster "leader role off on node 2" -n 2 setleaderrole off
ix_compare_cluster "capabilities without leader role" -n 2 getcapabilities
ix_compare_cluster "leader role on on node 2" -n 2 setleaderrole on

ix_compare_cluster "reloadnodes, nothing changed" reloadnodes
both_converged "after reloadnodes" 3 OK OK OK

h_finish
