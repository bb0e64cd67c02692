#!/bin/bash
# Side-by-side benchmark: our cluster and Debian's stock cluster on loopback, the same ctdb_bench
# workloads against each; prints "WORKLOAD ours=X stock=Y ratio=Z" (ratio > 1: ours is better).
#
# Builds nothing. Environment:
#   CTDB_BUILD_DIR   build dir holding ctdbd and ctdb_bench (default ./build)
#   CTDB_BENCH       the benchmark client (default $CTDB_BUILD_DIR/ctdb_bench)
#   BENCH_TIME       seconds per measured run (default 3)
#   BENCH_RUNS       runs per workload and side, interleaved; the median is printed (default 3)
#   BENCH_NODES      cluster sizes for the ring workloads (default "3 5"); the other workloads
#                    run on the 3-node clusters (started also when 3 is not listed)
#   BENCH_TOKEN_LIST tokens circulating at once in the ring workloads (default "1 8 32";
#                    BENCH_TOKENS, the old single value, is taken when this is unset)
#   BENCH_CLIENTS    client processes per node in many_clients (default 32)
#   BENCH_WORKLOADS  what to run (default: everything). A plain ring name (fetch_ring) selects
#                    all its variants NAME_tT_nN, a prefix such as fetch_ring_t32 or a full name
#                    such as fetch_ring_t32_n5 only those; recover, catdb, vacuum and memory are
#                    the big-database workloads of tools/bench/bigdb.sh (exported to it)
#   BENCH_BIGDB_SCRIPT  the script defining bigdb_main (default tools/bench/bigdb.sh); run_bench
#                    sources it and calls `bigdb_main ours stock 3` with the 3-node clusters up
#   BENCH_FLOOR_PROCS / BENCH_FLOOR_TIME  wakeup_floor's ring size (9) and seconds per run (2).
#                    9 is the wake-up cycle of a 3-node message_ring (3 hops per node) and the
#                    number of processes of the cluster under test and the idle one beside it
#                    (3 + 3 daemons, 3 clients); here 6 and 9 give the same 18 us per hop, 2
#                    processes 27 us (each then wakes the other on the other CPU every time)
#   BENCH_COUNT_PACKETS  1 (default): count the packets of the first run of each single-token
#                    ring workload from every node's `ctdb statistics` (stderr); 0: do not
#   BENCH_RESULTS    file that also receives every result line (stdout)
#   BENCH_PLOTS      directory: run tools/bench/plot_bench.py on the results at the end
#   BENCH_OURS_ADDRS / BENCH_STOCK_ADDRS  node addresses, the first N for an N-node cluster
#                    (default 127.0.0.101-105 / 127.0.0.111-115)
#   BENCH_READY_DEADLINE  seconds for a cluster to become healthy (default 90)
#
# Result lines (stdout; also to $BENCH_RESULTS):
#   wakeup_floor us_per_hop=X             one process wake-up, no daemon (ctdb_bench wakeup_floor)
#   message_ring_t8_n5 ours=X stock=Y ratio=Z   a ring workload, 8 tokens, 5 nodes
#   fetch_ring_t1_n3 floor_ratio_ours=A floor_ratio_stock=B   rate / floor rate, 1-token rings
#   transaction_loop, delete_churn, many_clients ours=X stock=Y ratio=Z   on 3 nodes
#   delete_churn_growth_kib ours=X stock=Y ratio=Z   how much a node's tdb file grew (smaller is
#                                         better there, and the ratio is ours/stock as printed)
#   recover_rN, catdb, vacuum, memory_*   the big-database lines of tools/bench/bigdb.sh (its
#                                         header lists them, recover_rN floor_ratio_* included)
# Progress, per-run figures and CPU time per operation go to stderr. A workload that fails on
# either side (not available, error, lost update, timeout) prints no line.
#
# The floor: one token round a ring of processes over Unix socketpairs costs us_per_hop per hop,
# so a workload whose operation needs H wake-ups one after the other cannot exceed
# 1 / (H x us_per_hop) operations per second with one token; floor_ratio is the measured rate
# over that. Hops per operation:
#   message_ring: 3. Client -> its daemon, daemon -> next node's daemon, that daemon -> its client.
#   fetch_ring: 3 for the token as above, plus the migration. 4.17 routes it as follows (and ours
#     the same way): the client's REQ_CALL goes to its daemon (node k); k sends it to the dmaster
#     its own copy of the record names. That copy is current only if k is the record's lmaster L;
#     otherwise it names k+1, the node k gave the record to a lap ago. A node that is neither
#     dmaster nor lmaster redirects the call to L; L redirects it to the real dmaster, k-1. The
#     dmaster sends REQ_DMASTER to L (or, being L, REPLY_DMASTER directly), L sends REPLY_DMASTER
#     to k (or, being k, takes the record itself), and k answers its client with REPLY_CALL:
#       L = k:    4  client->k, k->k-1, REQ_DMASTER k-1->k, REPLY_CALL k->client
#       L = k-1:  5  client->k, k->k+1, k+1->k-1, REPLY_DMASTER k-1->k, REPLY_CALL
#       L = k+1:  6  client->k, k->k+1, k+1->k-1, REQ_DMASTER k-1->k+1, REPLY_DMASTER k+1->k,
#                    REPLY_CALL
#       other L:  7  client->k, k->k+1, k+1->L, L->k-1, REQ_DMASTER k-1->L, REPLY_DMASTER L->k,
#                    REPLY_CALL
#     The token visits every node in turn, so per operation the migration averages over L:
#     (15 + 7 (n - 3)) / n, i.e. 5 on 3 nodes and 5.8 on 5; fetch_ring is 8 hops on 3 nodes and
#     8.8 on 5 (2 nodes: 3 + 4). BENCH_COUNT_PACKETS checks this against what the daemons send;
#     both daemons sent exactly these packets per operation (2026-12-07; 3 nodes: REQ_CALL 1.67,
#     REQ_DMASTER 0.67, REPLY_DMASTER 0.67, REQ_MESSAGE 1 between daemons, 2 from and 2 to
#     clients; 5 nodes: REQ_CALL 2.2, REQ_DMASTER 0.8, REPLY_DMASTER 0.8).
#
# many_clients runs BENCH_CLIENTS processes per node; each fetch-locks records of its own, and
# every 20th operation one that a client of the next node keeps writing, which its owner then
# takes back: about 10 % of the operations migrate a record (ctdb_bench.cpp says more).
#
# The default run (3 and 5 nodes, 1/8/32 tokens, every workload, the big-database ones with
# 1M + 200k records included) takes about 9 minutes on 2 quiet CPUs (10m16s with 4 s runs); the
# total is printed on stderr at the end.

set -u
BENCH_T0=${EPOCHREALTIME/[.,]/}
CTDB_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTDB_BUILD_DIR=$(cd "${CTDB_BUILD_DIR:-./build}" 2>/dev/null && pwd) || {
  echo "run_bench.sh: build dir ${CTDB_BUILD_DIR:-./build} not found (set CTDB_BUILD_DIR)" >&2
  exit 2
}
export CTDB_SRC_DIR CTDB_BUILD_DIR
CTDB_BENCH=${CTDB_BENCH:-$CTDB_BUILD_DIR/ctdb_bench}
BENCH_TIME=${BENCH_TIME:-3}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CLIENTS=${BENCH_CLIENTS:-32}
BENCH_FLOOR_PROCS=${BENCH_FLOOR_PROCS:-9}
BENCH_FLOOR_TIME=${BENCH_FLOOR_TIME:-2}
BENCH_COUNT_PACKETS=${BENCH_COUNT_PACKETS:-1}
BENCH_READY_DEADLINE=${BENCH_READY_DEADLINE:-90}
read -r -a NODE_COUNTS <<<"${BENCH_NODES:-3 5}"
read -r -a TOKEN_LIST <<<"${BENCH_TOKEN_LIST:-${BENCH_TOKENS:-1 8 32}}"
read -r -a OURS_ADDRS <<<"${BENCH_OURS_ADDRS:-127.0.0.101 127.0.0.102 127.0.0.103 127.0.0.104 127.0.0.105}"
read -r -a STOCK_ADDRS <<<"${BENCH_STOCK_ADDRS:-127.0.0.111 127.0.0.112 127.0.0.113 127.0.0.114 127.0.0.115}"
export BENCH_WORKLOADS=${BENCH_WORKLOADS:-}
RING_WORKLOADS=(message_ring fetch_ring)
BIGDB_WORKLOADS=(recover catdb vacuum memory)
BIGDB_SCRIPT=${BENCH_BIGDB_SCRIPT:-$CTDB_SRC_DIR/tools/bench/bigdb.sh}

for f in "$CTDB_BUILD_DIR/ctdbd" "$CTDB_BENCH" /usr/sbin/ctdbd /usr/bin/ctdb; do
  [ -x "$f" ] || {
    echo "run_bench.sh: $f missing (build ctdbd and ctdb_bench; install package ctdb)" >&2
    exit 2
  }
done
if [ -n "${BENCH_RESULTS:-}" ]; then
  : >"$BENCH_RESULTS" || exit 2
fi

# shellcheck source=bench_harness.sh
source "$CTDB_SRC_DIR/tools/bench/bench_harness.sh"
h_init bench

# emit LINE: a result line, to stdout and to $BENCH_RESULTS.
emit() {
  printf '%s\n' "$1"
  [ -z "${BENCH_RESULTS:-}" ] || printf '%s\n' "$1" >>"$BENCH_RESULTS"
}

# selected NAME: BENCH_WORKLOADS is empty or names NAME, or a prefix of it ending before a '_'.
selected() {
  local w
  [ -n "$BENCH_WORKLOADS" ] || return 0
  for w in $BENCH_WORKLOADS; do
    [[ "$1" == "$w" || "$1" == "$w"_* ]] && return 0
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# Clusters. The 3-node clusters are nodes ours0..ours2 and stock0..stock2 (the names bigdb.sh is
# given); an N-node cluster of another size is oursN_0.. and stockN_0...

prefix_of() { if [ "$2" == 3 ]; then echo "$1"; else echo "${1}${2}_"; fi; }

# start_clusters N: our and the stock N-node cluster, until both are healthy.
start_clusters() {
  local n=$1 i po ps
  po=$(prefix_of ours "$n")
  ps=$(prefix_of stock "$n")
  h_write_nodes "$H_TMP/$po.nodes" "${OURS_ADDRS[@]:0:n}"
  for ((i = 0; i < n; i++)); do
    h_start_ours "$po$i" "${OURS_ADDRS[$i]}" "$H_TMP/$po.nodes" --reclock="$H_TMP/$po.reclock"
  done
  h_write_nodes "$H_TMP/$ps.nodes" "${STOCK_ADDRS[@]:0:n}"
  for ((i = 0; i < n; i++)); do
    h_start_stock "$ps$i" "${STOCK_ADDRS[$i]}" "$H_TMP/$ps.nodes" "$H_TMP/$ps.reclock"
  done
  local p
  for p in "$po" "$ps"; do
    if ! wait_for "bench_cluster_ready $p $n" "$BENCH_READY_DEADLINE" 0.5; then
      echo "run_bench.sh: $n-node cluster $p not healthy after ${BENCH_READY_DEADLINE}s" >&2
      H_TOOL_TIMEOUT=5 h_ctdb "${p}0" status >&2
      H_FAIL=1
      exit 1
    fi
    h_note "$n-node cluster $p ready"
  done
}

# stop_clusters N: stops both N-node clusters; a daemon that died meanwhile makes the figures
# suspect, which the exit status says.
stop_clusters() {
  local n=$1 p i
  for p in "$(prefix_of ours "$n")" "$(prefix_of stock "$n")"; do
    for ((i = 0; i < n; i++)); do
      h_node_running "$p$i" || {
        h_note "$p$i is no longer running"
        H_FAIL=1
      }
    done
  done
  # All at once (a stock node takes a second or two to shut down). The stoppers are subshells,
  # which cannot reap the daemons: this shell does that afterwards.
  local -a stoppers=()
  for p in "$(prefix_of ours "$n")" "$(prefix_of stock "$n")"; do
    for ((i = 0; i < n; i++)); do
      h_stop_node "$p$i" &
      stoppers+=($!)
    done
  done
  wait "${stoppers[@]}"
  for p in "$(prefix_of ours "$n")" "$(prefix_of stock "$n")"; do
    for ((i = 0; i < n; i++)); do
      [ -n "${H_EXIT[$p$i]:-}" ] && continue
      wait "${H_PID[$p$i]}" 2>/dev/null
      H_EXIT[$p$i]=$?
    done
  done
}

sockets() {
  local prefix=$1 count=$2 i
  for ((i = 0; i < count; i++)); do printf '%s\n' "${H_SOCK[$prefix$i]}"; done
}

# cpu_ticks PREFIX COUNT: CPU clock ticks used so far by the daemons of a cluster, with every
# process in their process groups (stock's recovery and event daemons, helpers).
cpu_ticks() {
  local prefix=$1 count=$2 i pgrps=""
  for ((i = 0; i < count; i++)); do pgrps+=" ${H_PID[$prefix$i]}"; done
  # /proc/PID/stat: the command may hold spaces, so fields count from the last ')'.
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v pg="$pgrps" '
    BEGIN { n = split(pg, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    { sub(/^.*\) /, ""); if ($3 in want) t += $12 + $13 } END { print t + 0 }'
}

# packet_counts PREFIX COUNT: the sums over the cluster's nodes of the `ctdb -X statistics`
# counters packet_hops needs, as "name=value" words.
packet_counts() {
  local prefix=$1 count=$2 i
  for ((i = 0; i < count; i++)); do H_TOOL_TIMEOUT=5 h_ctdb "$prefix$i" -X statistics; done |
    awk -F'|' '/^CTDB version/ { for (i = 1; i <= NF; i++) name[i] = $i; next }
      { for (i = 1; i <= NF; i++) sum[name[i]] += $i }
      END { split("node.req_call node.reply_call node.req_dmaster node.reply_dmaster " \
                  "node.reply_error node.req_message client.req_call client.req_message " \
                  "client_packets_sent", k, " ")
            for (j in k) printf "%s=%d ", k[j], sum[k[j]] }'
}

# packet_hops BEFORE AFTER OPS EXPECTED: per operation, the packets between daemons (by type,
# as received), from clients and to clients; their sum is the hops of the protocol flow (plus
# a little of the cluster's own traffic: the tool's statistics calls, stock's recovery daemon).
packet_hops() {
  awk -v before="$1" -v after="$2" -v ops="$3" -v want="$4" 'BEGIN {
    n = split(before, b, " "); for (i = 1; i <= n; i++) { split(b[i], kv, "="); v0[kv[1]] = kv[2] }
    n = split(after, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); d[kv[1]] = (kv[2] - v0[kv[1]]) / ops }
    node = d["node.req_call"] + d["node.reply_call"] + d["node.req_dmaster"] + d["node.reply_dmaster"] + d["node.reply_error"] + d["node.req_message"]
    in_ = d["client.req_call"] + d["client.req_message"]
    printf "%.2f daemon->daemon (req_call %.2f reply_call %.2f req_dmaster %.2f reply_dmaster %.2f req_message %.2f reply_error %.2f), %.2f client->daemon, %.2f daemon->client: %.2f hops per op (expected %.2f)",
      node, d["node.req_call"], d["node.reply_call"], d["node.req_dmaster"], d["node.reply_dmaster"], d["node.req_message"], d["node.reply_error"], in_, d["client_packets_sent"], node + in_ + d["client_packets_sent"], want }'
}

# one_run WORKLOAD PREFIX COUNT [CTDB_BENCH OPTIONS...]: prints the rate, the file growth in KiB
# ("-" when not reported) and the operation count; nothing (and returns 1) on failure.
one_run() {
  local wl=$1 prefix=$2 count=$3 out rc t0 t1 ops
  shift 3
  local -a socks
  mapfile -t socks < <(sockets "$prefix" "$count")
  t0=$(cpu_ticks "$prefix" "$count")
  out=$("$CTDB_BENCH" --time="$BENCH_TIME" "$@" "$wl" "${socks[@]}" 2>"$H_TMP/bench.err")
  rc=$?
  t1=$(cpu_ticks "$prefix" "$count")
  sed 's/^/#   /' "$H_TMP/bench.err" >&2
  ops=$(sed -n 's/.* ops=\([0-9]*\) .*/\1/p' <<<"$out")
  [ -z "$ops" ] || awk -v p="$prefix" -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v o="$ops" \
    'BEGIN { printf "#   %s daemons_cpu=%.2fs (%.1f us/op)\n", p, d / hz, (o > 0 ? d / hz * 1e6 / o : 0) }' >&2
  if [ $rc != 0 ]; then
    h_note "$wl on $prefix failed (exit $rc)"
    return 1
  fi
  local rate growth
  rate=$(sed -n 's/.* rate=\([0-9.]*\) .*/\1/p' <<<"$out")
  growth=$(sed -n 's/.* growth_kib=\([0-9.-]*\).*/\1/p' <<<"$out")
  [ -n "$rate" ] || return 1
  echo "$rate ${growth:--} $ops"
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# hops_per_op RING_WORKLOAD N: process wake-ups one after the other per operation (header).
hops_per_op() {
  awk -v wl="$1" -v n="$2" 'BEGIN {
    if (wl == "message_ring") { print 3; exit }
    if (n >= 3) m = (15 + 7 * (n - 3)) / n; else if (n == 2) m = 4; else m = 0
    print 3 + m }'
}

# bench NAME WORKLOAD N [CTDB_BENCH OPTIONS...]: BENCH_RUNS interleaved runs on both N-node
# clusters, the medians as a result line; MEDIAN_OURS / MEDIAN_STOCK are left set ("" when
# the workload failed). With HOPS set, the first run's packets are counted (packet_hops).
bench() {
  local name=$1 wl=$2 n=$3 r o og s sg side rate growth ops before="" after
  shift 3
  local -a ours=() stock=() ours_growth=() stock_growth=()
  local po ps
  po=$(prefix_of ours "$n")
  ps=$(prefix_of stock "$n")
  MEDIAN_OURS="" MEDIAN_STOCK=""
  # Interleaved so that drift in the machine's load hits both sides alike.
  for ((r = 1; r <= BENCH_RUNS; r++)); do
    o=fail s=fail
    for side in "$po" "$ps"; do
      [ -z "${HOPS:-}" ] || [ $r != 1 ] || before=$(packet_counts "$side" "$n")
      read -r rate growth ops < <(one_run "$wl" "$side" "$n" "$@" || echo fail)
      if [ -n "${HOPS:-}" ] && [ $r == 1 ] && [ "$rate" != fail ]; then
        after=$(packet_counts "$side" "$n")
        h_note "$name on $side, packets: $(packet_hops "$before" "$after" "$ops" "$HOPS")"
      fi
      if [ "$side" == "$po" ]; then o=$rate og=$growth; else s=$rate sg=$growth; fi
      [ "$rate" != fail ] || break
    done
    if [ "$o" == fail ] || [ "$s" == fail ]; then
      h_note "$name: no figure (failed on at least one side; see above)"
      return 1
    fi
    h_note "$name run $r: ours=$o stock=$s (file growth KiB: ours=$og stock=$sg)"
    ours+=("$o")
    stock+=("$s")
    [ "$og" == - ] || ours_growth+=("$og")
    [ "$sg" == - ] || stock_growth+=("$sg")
  done
  MEDIAN_OURS=$(median "${ours[@]}")
  MEDIAN_STOCK=$(median "${stock[@]}")
  emit "$(awk -v w="$name" -v o="$MEDIAN_OURS" -v s="$MEDIAN_STOCK" \
    'BEGIN { printf "%s ours=%s stock=%s ratio=%.2f\n", w, o, s, (s > 0 ? o / s : 0) }')"
  if [ "$wl" == delete_churn ] && [ ${#ours_growth[@]} -gt 0 ] && [ ${#stock_growth[@]} -gt 0 ]; then
    emit "$(awk -v w="${name}_growth_kib" -v o="$(median "${ours_growth[@]}")" \
      -v s="$(median "${stock_growth[@]}")" \
      'BEGIN { printf "%s ours=%s stock=%s ratio=%.2f\n", w, o, s, (s > 0 ? o / s : 0) }')"
  fi
}

# ---------------------------------------------------------------------------------------------
# What to run.

mapfile -t KNOWN < <("$CTDB_BENCH" --list)
PLAIN_WORKLOADS=()
for wl in "${KNOWN[@]}"; do
  [[ " ${RING_WORKLOADS[*]} wakeup_floor " == *" $wl "* ]] || PLAIN_WORKLOADS+=("$wl")
done
RING_VARIANTS=()  # "NAME WORKLOAD TOKENS NODES", in the order they run
for n in "${NODE_COUNTS[@]}"; do
  for wl in "${RING_WORKLOADS[@]}"; do
    for t in "${TOKEN_LIST[@]}"; do
      selected "${wl}_t${t}_n${n}" && RING_VARIANTS+=("${wl}_t${t}_n${n} $wl $t $n")
    done
  done
done
RUN_PLAIN=()
for wl in "${PLAIN_WORKLOADS[@]}"; do selected "$wl" && RUN_PLAIN+=("$wl"); done
RUN_BIGDB=0
for wl in "${BIGDB_WORKLOADS[@]}"; do selected "$wl" && RUN_BIGDB=1; done
if [ $RUN_BIGDB == 1 ] && [ ! -f "$BIGDB_SCRIPT" ]; then
  h_note "$BIGDB_SCRIPT not found: no big-database workloads (${BIGDB_WORKLOADS[*]})"
  RUN_BIGDB=0
fi
RUN_FLOOR=0
selected wakeup_floor && RUN_FLOOR=1
for v in "${RING_VARIANTS[@]}"; do [[ "$v" != *_t1_* ]] || RUN_FLOOR=1; done
for w in $BENCH_WORKLOADS; do
  hit=0
  for name in "${RING_VARIANTS[@]%% *}" "${RUN_PLAIN[@]}" "${BIGDB_WORKLOADS[@]}" wakeup_floor; do
    [[ "$name" == "$w" || "$name" == "$w"_* || "$w" == "$name"_* ]] && hit=1
  done
  [ $hit == 1 ] || h_note "$w: not a workload here (BENCH_NODES=${NODE_COUNTS[*]}," \
    "BENCH_TOKEN_LIST=${TOKEN_LIST[*]}, ctdb_bench: ${KNOWN[*]}); skipped"
done
# The 3-node clusters also carry the other workloads.
CLUSTER_SIZES=("${NODE_COUNTS[@]}")
if [ ${#RUN_PLAIN[@]} -gt 0 ] || [ $RUN_BIGDB == 1 ]; then
  [[ " ${CLUSTER_SIZES[*]} " == *" 3 "* ]] || CLUSTER_SIZES+=(3)
fi

# ---------------------------------------------------------------------------------------------
# The runs.

FLOOR_US=""
if [ $RUN_FLOOR == 1 ]; then
  floors=()
  for ((r = 1; r <= BENCH_RUNS; r++)); do
    out=$("$CTDB_BENCH" --time="$BENCH_FLOOR_TIME" --procs="$BENCH_FLOOR_PROCS" wakeup_floor) &&
      floors+=("$(sed -n 's/.* us_per_hop=\([0-9.]*\).*/\1/p' <<<"$out")")
    h_note "wakeup_floor run $r: $out"
  done
  if [ ${#floors[@]} -gt 0 ]; then
    FLOOR_US=$(median "${floors[@]}")
    emit "wakeup_floor us_per_hop=$FLOOR_US"
  fi
fi

for n in "${CLUSTER_SIZES[@]}"; do
  todo=()
  for v in "${RING_VARIANTS[@]}"; do
    read -r name wl t vn <<<"$v"
    [ "$vn" != "$n" ] || todo+=("$v")
  done
  work=${#todo[@]}
  [ "$n" != 3 ] || work=$((work + ${#RUN_PLAIN[@]} + RUN_BIGDB))
  [ "$work" -gt 0 ] || continue
  if [ "$n" -gt ${#OURS_ADDRS[@]} ] || [ "$n" -gt ${#STOCK_ADDRS[@]} ]; then
    h_note "$n nodes: only ${#OURS_ADDRS[@]} / ${#STOCK_ADDRS[@]} addresses given; skipped"
    continue
  fi
  start_clusters "$n"
  for v in "${todo[@]}"; do
    read -r name wl t vn <<<"$v"
    hops=$(hops_per_op "$wl" "$n")
    HOPS=""
    [ "$t" != 1 ] || [ "$BENCH_COUNT_PACKETS" != 1 ] || HOPS=$hops
    HOPS=$HOPS bench "$name" "$wl" "$n" --tokens="$t" || continue
    if [ "$t" == 1 ] && [ -n "$FLOOR_US" ]; then
      emit "$(awk -v w="$name" -v o="$MEDIAN_OURS" -v s="$MEDIAN_STOCK" -v h="$hops" \
        -v us="$FLOOR_US" 'BEGIN { f = 1e6 / (h * us)
          printf "%s floor_ratio_ours=%.2f floor_ratio_stock=%.2f\n", w, o / f, s / f }')"
    fi
  done
  if [ "$n" == 3 ]; then
    for wl in "${RUN_PLAIN[@]}"; do
      args=()
      [ "$wl" != many_clients ] || args=(--clients="$BENCH_CLIENTS")
      bench "$wl" "$wl" 3 "${args[@]}"
    done
    if [ $RUN_BIGDB == 1 ]; then
      h_note "big-database workloads: $BIGDB_SCRIPT"
      # Not under set -u: an unset variable in the sourced script must not end the whole run.
      set +u
      # shellcheck source=/dev/null
      source "$BIGDB_SCRIPT"
      if [ -n "${BENCH_RESULTS:-}" ]; then
        bigdb_main ours stock 3 > >(tee -a "$BENCH_RESULTS")
        rc=$?
        tee_pid=$!
        wait_for "! kill -0 $tee_pid 2>/dev/null" 10
      else
        bigdb_main ours stock 3
        rc=$?
      fi
      set -u
      [ $rc == 0 ] || h_note "bigdb_main returned $rc (see above)"
    fi
  fi
  stop_clusters "$n"
done

if [ -n "${BENCH_PLOTS:-}" ]; then
  if [ -z "${BENCH_RESULTS:-}" ]; then
    h_note "BENCH_PLOTS needs BENCH_RESULTS (the file the plots are drawn from); no plots"
  elif ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    h_note "no plots: /usr/bin/python3 cannot import matplotlib (apt-get install python3-matplotlib)"
  else
    mkdir -p "$BENCH_PLOTS" &&
      /usr/bin/python3 "$CTDB_SRC_DIR/tools/bench/plot_bench.py" "$BENCH_RESULTS" "$BENCH_PLOTS" >&2 ||
      h_note "plot_bench.py failed; the results are in $BENCH_RESULTS"
  fi
fi
elapsed=$(((${EPOCHREALTIME/[.,]/} - BENCH_T0) / 1000000))
h_note "total elapsed: $((elapsed / 60))m$((elapsed % 60))s"
exit 0
