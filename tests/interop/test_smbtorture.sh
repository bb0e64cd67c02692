#!/bin/bash
# smbtorture parity: Debian's smbd 4.17 with an authenticated user on 2 nodes of ours and on 2
# nodes of a stock 4.17 cluster started side by side, the same smbtorture suites through each
# node and, with torture:unclist, with each test's connections spread over both nodes. Every
# subtest that passes on the stock cluster must pass on ours. Subtests that fail on both in this
# environment are listed below with the reason and must still fail on both (so the list cannot
# go stale: if stock starts passing one, the parity rule then demands it of ours too).
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/smb_lib.sh"

h_init smbtorture
smb_have_tools /usr/sbin/smbd /usr/bin/smbpasswd /usr/bin/smbtorture || h_finish
smb_ensure_user || { fail "the test user $SMB_USER exists"; h_finish; }

OURS=(127.0.0.231 127.0.0.232)
STOCK=(127.0.0.233 127.0.0.234)
PORT=4470
SUITES=(smb2.lock smb2.rename smb2.create smb2.dir smb2.setinfo base.delete smb2.maxfid)
# smb2.maxfid (90 s: opens files until smbd refuses) runs through node 0 only.
NODE0_ONLY=(smb2.maxfid)
# Run with each test's connections alternating between the two nodes (torture:unclist).
CROSS_SUITES=(smb2.lock base.lock)

# Fail on both clusters here. Each is in Samba 4.17's own selftest/knownfail for smbd, except
# quota-fake-file, which smbd allows only to root.
declare -A KNOWN_FAIL=(
  [smb2.rename.simple_nodelete]="needs Windows delete semantics on a file without DELETE access (Samba bug 8412)"
  [smb2.rename.no_share_delete_no_delete_access]="same Windows delete semantics (Samba bug 8412)"
  [smb2.create.gentest]="smbd accepts create options Windows refuses with INVALID_PARAMETER"
  [smb2.create.blob]="smbd does not refuse the unknown create contexts the test sends"
  [smb2.create.open]="the test sets a change time, which Linux cannot store"
  [smb2.create.quota-fake-file]="smbd opens the \$Extend\\\$Quota fake file for root only; the test user is not root"
  [smb2.dir.one]="the test's complex file sets a change time, which Linux cannot store"
  [smb2.dir.modify]="the test's complex file sets a change time, which Linux cannot store"
  [smb2.setinfo.setinfo]="the test's complex file sets a change time, which Linux cannot store"
  [base.delete.deltest16a]="Windows keeps a delete-on-close file visible until the last close; smbd does not"
  [base.delete.deltest17a]="Windows keeps a delete-on-close file visible until the last close; smbd does not"
)

# ---- two clusters side by side, smbd on every node
h_start_ours_cluster o "$H_TMP/o.reclock" "${OURS[@]}" || fail "our 2 nodes answer ping"
h_start_cluster stock k "${STOCK[@]}" || fail "the stock 2 nodes answer ping"
h_wait_converged "ours: both OK" 90 o0 o1 -- OK OK || h_finish
h_wait_converged "stock: both OK" 90 k0 k1 -- OK OK || h_finish

declare -A NODE_ADDR=([o0]=${OURS[0]} [o1]=${OURS[1]} [k0]=${STOCK[0]} [k1]=${STOCK[1]})
for c in o k; do
  mkdir -p "$H_TMP/share-$c"
  chown "$SMB_USER" "$H_TMP/share-$c"
  printf '//%s/share\n//%s/share\n' "${NODE_ADDR[${c}0]}" "${NODE_ADDR[${c}1]}" \
    >"$H_TMP/unclist-$c"
done
chmod 711 "$H_TMP"  # the test user reaches the shares through the temp dir
for n in o0 o1 k0 k1; do
  # NT1 too: base.* are SMB1 tests. Windows ACLs and streams kept in xattrs, as admins run it.
  conf=$(smb_conf "$n" "$n" "${NODE_ADDR[$n]}" "$PORT" "$H_TMP/share-${n:0:1}" user \
    "$(printf '  server min protocol = NT1\n  vfs objects = acl_xattr streams_xattr')")
  smb_start "$n" "$conf" "${NODE_ADDR[$n]}" "$PORT" || h_finish
done
smb_add_user "$H_TMP/smb-o0/smb.conf" || h_finish
smb_add_user "$H_TMP/smb-k0/smb.conf" || h_finish

# torture LABEL ADDR SUITE [UNCLIST]: runs one suite through ADDR (or across UNCLIST) and leaves
# "SUITE.SUBTEST RESULT" lines (success, failure, error, skip) in $H_TMP/res/LABEL.SUITE.
mkdir -p "$H_TMP/res"
torture() {
  local label=$1 addr=$2 suite=$3 unclist=${4:-} out=$H_TMP/res/$1.$3
  local -a opts=(--option=clustering=yes "--option=client min protocol=NT1")
  [ -z "$unclist" ] || opts+=("--option=torture:unclist=$unclist")
  (cd "$H_TMP" && timeout 600 smbtorture "//$addr/share" -p "$PORT" \
    -U "$SMB_USER%$SMB_PASSWORD" "${opts[@]}" "$suite") >"$out.log" 2>&1
  awk -v s="$suite" '$1 ~ /^(success|failure|error|skip):$/ {
      r = substr($1, 1, length($1) - 1); n = $2; sub(/ \[$/, "", n); print s "." n, r }' \
    "$out.log" | sort >"$out"
}

# compare LABEL_OURS LABEL_STOCK SUITE WHAT: the parity assertions for one suite.
compare() {
  local ours=$H_TMP/res/$1.$3 stock=$H_TMP/res/$2.$3 suite=$3 what=$4
  local passed missing t side
  # A suite that did not run at all on stock would make the parity rule vacuous.
  if [ ! -s "$stock" ]; then
    fail "$what: $suite runs its subtests on the stock cluster" "$(tail -n 20 "$stock.log")"
    return
  fi
  passed=$(awk '$2 == "success" { print $1 }' "$stock")
  missing=""
  for t in $passed; do
    grep -qx "$t success" "$ours" || missing+="$t ($(awk -v t="$t" '$1 == t { print $2 }' \
      "$ours" | head -n 1)) "
  done
  if [ -n "$missing" ]; then
    fail "$what: $suite: subtests that pass on stock but not on ours" "$missing" \
      "ours: $(grep -E '^(failure|error)' -A3 "$ours.log" | head -n 30)"
  elif [ -n "$passed" ]; then
    pass "$what: $suite: the $(wc -w <<<"$passed") subtests that pass on stock pass on ours"
  fi
  # Whatever stock does not pass must be a listed known failure, or the list is incomplete.
  for t in $(awk '$2 == "failure" || $2 == "error" { print $1 }' "$stock"); do
    [ -n "${KNOWN_FAIL[$t]:-}" ] ||
      fail "$what: $t fails on stock and is not a listed known failure" \
        "$(grep -A3 "^failure: ${t#"$suite".}" "$stock.log" | head -n 8)"
  done
  for t in "${!KNOWN_FAIL[@]}"; do
    [ "${t%.*}" == "$suite" ] || continue
    for side in ours stock; do
      local file=$ours
      [ $side == ours ] || file=$stock
      if grep -Eqx "$t (failure|error)" "$file"; then
        pass "$what: known failure $t still fails on $side"
      else
        fail "$what: known failure $t still fails on $side" \
          "reason listed: ${KNOWN_FAIL[$t]}" "result: $(grep "^$t " "$file")"
      fi
    done
  done
}

# Each suite runs on both clusters at the same time: the load is the same for both sides of the
# comparison, and the suites mostly wait (on lock timeouts), so the test takes less time.
for i in 0 1; do
  for suite in "${SUITES[@]}"; do
    [ "$i" == 0 ] || [[ " ${NODE0_ONLY[*]} " != *" $suite "* ]] || continue
    torture "k$i" "${STOCK[$i]}" "$suite" &
    stock_run=$!
    torture "o$i" "${OURS[$i]}" "$suite"
    wait "$stock_run"
    compare "o$i" "k$i" "$suite" "through node $i"
  done
done
for suite in "${CROSS_SUITES[@]}"; do
  torture kx "${STOCK[0]}" "$suite" "$H_TMP/unclist-k" &
  stock_run=$!
  torture ox "${OURS[0]}" "$suite" "$H_TMP/unclist-o"
  wait "$stock_run"
  compare ox kx "$suite" "across both nodes"
done

# The defect that started this test, named on its own.
for i in 0 1; do
  assert_eq "smb2.lock.rw-shared passes through our node $i" "smb2.lock.rw-shared success" \
    "$(grep '^smb2.lock.rw-shared ' "$H_TMP/res/o$i.smb2.lock")"
done

h_wait_converged "ours after the torture: both OK" 60 o0 o1 -- OK OK
for n in o0 o1; do
  check "smbd $n still runs" h_pid_running "${SMB_PID[$n]}"
  assert_eq "no smbd panic in $n's smbd logs" 0 "$(smb_panics "$n")"
  assert_eq "$n answered every control smbd sent (no unknown or refused control logged)" 0 \
    "$(grep -cE 'Unknown control|Control [A-Z0-9_]+ from .* refused' "${H_LOG[$n]}")"
done

h_finish
