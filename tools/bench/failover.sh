#!/bin/bash
# Side-by-side failover benchmark (root, network namespaces): three node hosts and a client on
# two bridges, first with three of our ctdbd, then with three stock 4.17 ctdbd (Debian's
# 10.interface.script), each node running a small TCP service. For each case a node hosting
# public address A dies and a client tries new connections to A every few milliseconds (with
# a fresh ARP lookup each time) until a surviving node accepts one:
#   failover               kill -9 of a non-leader's ctdbd and its public cable pulled
#   failover_leader        the same for the leader
#   failover_dead_machine  both cables of a non-leader pulled (detection by keepalive)
# Prints "CASE ours=SECONDS stock=SECONDS ratio=STOCK/OURS" (ratio > 1: ours is faster), the
# median of BENCH_RUNS runs (default 3); per-run figures go to stderr.
#
# Environment: BENCH_RUNS, BENCH_CASES (the cases above), BENCH_SIDES (default "ours stock"),
#   BENCH_TIMELINES  directory: record a timeline of every run (times in seconds from the
#                    node's death, t0) and write failover_SIDE_CASE_runN.txt for each run and
#                    failover_SIDE_CASE.txt, a copy of the median run's. Lines "SECONDS KIND
#                    VALUE...", sorted, after "# key=value" header lines:
#                      0 death kill|cables              the node dies (kill -9 + public cable,
#                                                       or both cables)
#                      S probe OUTCOME END              a client attempt from S to END: the
#                                                       server's name, refused, timeout,
#                                                       unreachable, noreply, reset, error:E
#                      S state WORD                     the dead node's flags (OK, DISCONNECTED|
#                                                       UNHEALTHY|INACTIVE...) as a survivor
#                                                       shows them (`ctdb nodestatus PNN`,
#                                                       see poll_states)
#                      S recmode NORMAL|RECOVERY        that survivor's recovery mode (`ctdb -X
#                                                       statistics`, "recovering")
#                      S owner PNN                      the owner of A it shows (`ctdb ip`)
#                      S accepted NAME                  the figure: a survivor answered
#                    The survivor (the node after the dead one) is polled with $H_TOOL (the
#                    stock tool, as h_ctdb) about every 50 ms (nice 10), from 0.3 s before the
#                    death until 1 s after the figure; a sample is stamped with the middle of
#                    its tool run (state: see poll_states). `ctdb status` is not used: it waits
#                    up to a second for the leader's broadcast; nor `ctdb ip all`, which asks
#                    the owner (maybe the dead machine). Records every run, so that each figure
#                    is taken with the poller running.
#   BENCH_PLOTS      directory: draw tools/bench/plot_failover.py's failover_CASE.svg there from
#                    the timelines (recorded in the temp dir when BENCH_TIMELINES is not set)
#
# Neither side runs in test mode: each node checks its host, sends gratuitous ARPs and tickles.
# A stock node gets its own /etc/ctdb, /var/run/ctdb and /var/lib/ctdb by bind mounts in a
# private mount namespace, so that three of them share this host. The client's fresh ARP
# lookups before each attempt keep the measure about the daemons, not ARP caches.
set -u
CTDB_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTDB_BUILD_DIR=$(cd "${CTDB_BUILD_DIR:-$CTDB_SRC_DIR/build}" && pwd) || exit 2
export CTDB_SRC_DIR CTDB_BUILD_DIR
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CASES=${BENCH_CASES:-failover failover_leader failover_dead_machine}
PORT=7000
PY=/usr/bin/python3
SERVICE=$CTDB_SRC_DIR/tests/netns/tcp_service.py
TIMELINES=${BENCH_TIMELINES:-}
POLL_AFTER=1  # seconds the poller goes on after the figure

source "$CTDB_SRC_DIR/tests/lib/harness.sh"
h_note() { echo "# $*" >&2; }
source "$CTDB_SRC_DIR/tests/lib/netns.sh"
h_init failover_bench
if [ -n "${BENCH_PLOTS:-}" ] && [ -z "$TIMELINES" ]; then TIMELINES=$H_TMP/timelines; fi
if [ -n "$TIMELINES" ]; then
  mkdir -p "$TIMELINES" || exit 2
  TIMELINES=$(cd "$TIMELINES" && pwd)
fi
netns_available || { echo "failover.sh: needs root and network namespaces" >&2; exit 2; }
netns_setup 3 || { echo "failover.sh: cannot build the namespaces" >&2; exit 2; }
# The client re-asks for an address's MAC every 10 ms (default 1 s) while none answers, so that
# its own ARP retries do not round the measure up to a second.
ip netns exec "$NS_CLIENT" sysctl -qw net.ipv4.neigh.eth1.retrans_time_ms=10
PUBLIC=()
for i in 101 102 103 104 105 106; do PUBLIC+=("$NS_PUB_NET.$i"); done
for a in "${PUBLIC[@]}"; do echo "$a/24 eth1"; done >"$H_TMP/public_addresses"
h_write_nodes "$H_TMP/nodes" "$NS_PRIV_NET.1" "$NS_PRIV_NET.2" "$NS_PRIV_NET.3"

start_node() {  # SIDE I
  local side=$1 i=$2 name=$1$2
  local d=$H_TMP/$name
  H_NS[$name]=${NS_NODE[$i]}
  if [ "$side" == ours ]; then
    mkdir -p "$d/events.d"
    ln -sf "$CTDB_SRC_DIR/events.d/10.interface" "$d/events.d/10.interface"
    H_OURS_TEST_MODE="" h_start_ours_args "$name" "$NS_PRIV_NET.$((i + 1))" "$H_TMP/nodes" \
      --reclock="$H_TMP/ours.reclock" --public-addresses="$H_TMP/public_addresses"
    return
  fi
  mkdir -p "$d/etc/events/legacy" "$d/run" "$d/lib/scripts" "$d/lib/volatile" \
    "$d/lib/persistent" "$d/lib/state"
  cp "$H_TMP/nodes" "$H_TMP/public_addresses" /etc/ctdb/functions /etc/ctdb/script.options \
    "$d/etc/"
  ln -sf /usr/share/ctdb/events/legacy/10.interface.script "$d/etc/events/legacy/"
  {
    printf '[logging]\n\tlocation = file:%s\n\tlog level = NOTICE\n' "$d/log.ctdb"
    printf '[cluster]\n\tnode address = %s\n\tcluster lock = %s\n' "$NS_PRIV_NET.$((i + 1))" \
      "$H_TMP/stock.reclock"
    printf '[database]\n\tvolatile database directory = %s\n' "$d/lib/volatile"
    printf '\tpersistent database directory = %s\n\tstate database directory = %s\n' \
      "$d/lib/persistent" "$d/lib/state"
  } >"$d/etc/ctdb.conf"
  # The seed's defaults where 4.17's differ, as ours runs with them; deterministic IPs.
  printf 'KeepaliveInterval=1\nEventScriptTimeout=20\nIPAllocAlgorithm=0\n' >"$d/etc/ctdb.tunables"
  mkdir -p /var/run/ctdb
  setsid ip netns exec "${NS_NODE[$i]}" unshare -m --propagation private sh -c \
    "mount --bind '$d/etc' /etc/ctdb && mount --bind '$d/run' /var/run/ctdb &&
     mount --bind '$d/lib' /var/lib/ctdb && exec /usr/sbin/ctdbd -i" \
    </dev/null >"$d/output" 2>&1 &
  _h_register "$name" stock "$NS_PRIV_NET.$((i + 1))" "$d/etc" "$d/run/ctdbd.socket" \
    "$d/log.ctdb" "$d/output" $!
}

# settled SIDE: all OK, every address hosted, and each answers from the node ctdb ip names.
# shellcheck disable=SC2317  # called through wait_for
settled() {
  local st ips a o
  st=$(h_ctdb "${1}0" status 2>/dev/null) || return 1
  [ "$(grep -c ' OK' <<<"$st")" == 3 ] && [[ "$st" == *"Recovery mode:NORMAL"* ]] || return 1
  ips=$(h_ctdb "${1}0" ip all 2>/dev/null) || return 1
  for a in "${PUBLIC[@]}"; do
    o=$(awk -v a="$a" '$1 == a { print $2 }' <<<"$ips")
    [ -n "$o" ] && [ "$o" != -1 ] || return 1
    ip netns exec "$NS_CLIENT" "$PY" "$SERVICE" ask "$a" "$PORT" 2>/dev/null |
      grep -qx "node$o" || return 1
  done
}

declare -A SERVICE_PID
service() {  # SIDE I: the TCP service on node I, restarted if it ran
  local key=$1$2
  [ -z "${SERVICE_PID[$key]:-}" ] || h_kill_pid "${SERVICE_PID[$key]}" 2
  ip netns exec "${NS_NODE[$2]}" setsid "$PY" "$SERVICE" serve "node$2" "$PORT" \
    "${H_SOCK[$key]}" /dev/null </dev/null >/dev/null 2>&1 &
  SERVICE_PID[$key]=$!
  h_track_pid $!
}

# poll_states NODE DEAD_PNN ADDR OUT STOP: until the file STOP exists (or this script has
# gone), about every 50 ms, what node NODE shows with $H_TOOL, appended to OUT as
# "MICROSECONDS KIND VALUE" (see BENCH_TIMELINES above). Run in the background: its own
# subshell, niced, with no pipes, sed or awk, so that it takes little from the daemons.
# `ctdb nodestatus` asks a node that looks OK for its interfaces (PARTIALLYONLINE), which
# takes the whole -t 1 while that node is a dead machine not yet noticed: each of those runs
# in the background, stamped when it read the node map (its start, plus at most 10 ms), so
# that it holds up neither the next one nor the other lanes.
poll_states() {
  local node=$1 dead=$2 addr=$3 dest=$4 stop=$5
  local w t t1 t2 v a p o rest
  local -a f
  renice -n 10 -p "$BASHPID" >/dev/null 2>&1
  export CTDB_SOCKET=${H_SOCK[$node]} CTDB_BASE=${H_DIR[$node]}
  exec {w}>>"$dest"
  while [ ! -e "$stop" ] && kill -0 "$$" 2>/dev/null; do
    t=${EPOCHREALTIME/[.,]/}
    {
      v=$("$H_TOOL" -t 1 nodestatus "$dead" 2>/dev/null)
      t2=$((${EPOCHREALTIME/[.,]/} - t))
      read -r _ _ v _ <<<"$v"
      printf '%s state %s\n' $((t + (t2 < 20000 ? t2 : 20000) / 2)) "${v:-?}" >&"$w"
    } &
    t1=${EPOCHREALTIME/[.,]/}
    v=$("$H_TOOL" -t 1 -X statistics 2>/dev/null)
    t2=${EPOCHREALTIME/[.,]/}
    f=()
    IFS='|' read -r -a f <<<"${v#*$'\n'}"
    case ${f[5]:-} in
    0) v=NORMAL ;;
    1) v=RECOVERY ;;
    *) v='?' ;;
    esac
    printf '%s recmode %s\n' $(((t1 + t2) / 2)) "$v" >&"$w"
    t1=${EPOCHREALTIME/[.,]/}
    v=$("$H_TOOL" -t 1 ip 2>/dev/null)
    t2=${EPOCHREALTIME/[.,]/}
    o='?'
    while read -r a p; do [ "$a" != "$addr" ] || o=$p; done <<<"$v"
    printf '%s owner %s\n' $(((t1 + t2) / 2)) "$o" >&"$w"
    rest=$((50000 - (${EPOCHREALTIME/[.,]/} - t)))
    [ "$rest" -le 0 ] || sleep "$(printf '0.%06d' "$rest")"
  done
  wait
  exec {w}>&-
}

# write_timeline OUT T0 HEADER...: the poller's samples ($H_TMP/poll.raw) and the prober's
# attempts ($H_TMP/probe.log) as seconds from T0 (microseconds since the epoch), sorted, after
# "# HEADER" lines.
write_timeline() {
  local dest=$1 t0=$2 line
  shift 2
  {
    for line in "$@"; do echo "# $line"; done
    awk -v t0="$t0" '
      FILENAME ~ /probe.log$/ {
        printf "%.6f probe %s %.6f\n", $1 - t0 / 1e6, $3, $2 - t0 / 1e6
        next
      }
      {
        v = $3
        for (i = 4; i <= NF; i++) v = v " " $i
        printf "%.6f %s %s\n", ($1 - t0) / 1e6, $2, v
      }
    ' "$H_TMP/poll.raw" "$H_TMP/probe.log" | sort -g -k1,1 -s
  } >"$dest"
}

# one_case SIDE CASE: sets CASE_SECONDS to the time from the node's death to the first
# connection a surviving node accepts; with TIMELINES, also writes $H_TMP/timeline.txt. (Not
# run in a subshell: it restarts nodes, and the harness must know their new PIDs.)
one_case() {
  local side=$1 case=$2 x leader t0 out poller="" at
  local -a log=()
  wait_for "settled $side" 90 0.5 || { h_note "$side did not settle"; return 1; }
  leader=$(h_ctdb "${side}0" leader 2>/dev/null)
  # The node that dies: the leader, or the next node after it; A is an address it hosts.
  x=$leader
  [ "$case" == failover_leader ] || x=$(((leader + 1) % 3))
  A=$(h_ctdb "${side}0" ip all 2>/dev/null | awk -v x="$x" 'NR > 1 && $2 == x { print $1; exit }')
  [ -n "$A" ] || { h_note "$side: node $x hosts no address"; return 1; }
  if [ -n "$TIMELINES" ]; then
    : >"$H_TMP/poll.raw"
    : >"$H_TMP/probe.log"
    rm -f "$H_TMP/poll.stop" "$H_TMP/timeline.txt"
    log=("$H_TMP/probe.log")
    poll_states "$side$(((x + 1) % 3))" "$x" "$A" "$H_TMP/poll.raw" "$H_TMP/poll.stop" &
    poller=$!
  fi
  # The prober starts before the node dies and reports the first accepted connection from
  # another node.
  ip netns exec "$NS_CLIENT" "$PY" "$SERVICE" probe "$A" "$PORT" "node$x" 60 "${log[@]}" \
    >"$H_TMP/probe.out" 2>&1 &
  local probe=$!
  sleep 0.3  # the prober's first answers come from the live node
  t0=${EPOCHREALTIME/[.,]/}
  if [ "$case" == failover_dead_machine ]; then
    netns_public_link "$x" down
    netns_private_link "$x" down
  else
    kill -KILL "${H_PID[$side$x]}"
    netns_public_link "$x" down
  fi
  wait "$probe"
  out=$(tail -n 1 "$H_TMP/probe.out")
  if [ -n "$poller" ]; then
    sleep "$POLL_AFTER"
    touch "$H_TMP/poll.stop"
    wait "$poller"
  fi
  # Bring the node back for the next run.
  h_kill9_node "$side$x"
  kill -KILL -- "-${H_PID[$side$x]}" 2>/dev/null
  netns_public_link "$x" up
  netns_private_link "$x" up
  # Its addresses stay behind on the dead node's eth1: a fresh start clears them.
  ip -n "${NS_NODE[$x]}" addr flush dev eth1
  if [ "$side" == ours ]; then
    h_restart_ours "$side$x" >/dev/null
  else
    unset "H_EXIT[$side$x]"
    # The old registration goes; start_node registers the new process.
    local seen=() n
    for n in "${H_NODES[@]}"; do [ "$n" == "$side$x" ] || seen+=("$n"); done
    H_NODES=("${seen[@]}")
    start_node stock "$x"
    h_wait_ping "$side$x" >/dev/null
  fi
  service "$side" "$x"
  h_note "$side $case: node $x ($A) died at $(date -d "@${t0:0:10}.${t0:10}" +%T.%N); prober: $out"
  [[ "$out" == accepted* ]] || return 1
  read -r _ at _ <<<"$out"
  CASE_SECONDS=$(awk -v t="$at" -v t0="$t0" 'BEGIN { printf "%.3f", t - t0 / 1e6 }')
  [ -n "$poller" ] || return 0
  local how=kill
  [ "$case" != failover_dead_machine ] || how=cables
  printf '%s death %s\n%s accepted %s\n' "$t0" "$how" "${at/./}" "${out##* }" \
    >>"$H_TMP/poll.raw"
  write_timeline "$H_TMP/timeline.txt" "$t0" \
    "failover timeline (tools/bench/failover.sh): SECONDS KIND VALUE..., seconds from t0" \
    "side=$side case=$case dead=$x leader=$leader polled=$(((x + 1) % 3)) address=$A" \
    "t0=${t0:0:10}.${t0:10} seconds=$CASE_SECONDS"
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# keep_median_timeline SIDE CASE RUN:FIGURE...: copies the timeline of the run whose figure
# is the median (the lower middle one of an even count) to failover_SIDE_CASE.txt, noting
# which run it is and every run's figure.
keep_median_timeline() {
  local side=$1 case=$2 m pick
  shift 2
  [ $# -gt 0 ] || return 0
  m=$(printf '%s\n' "$@" | sort -t: -k2,2g | sed -n "$((($# + 1) / 2))p")
  pick=${m%%:*}
  {
    echo "# the median run: run $pick of ${BENCH_RUNS} (run:seconds $*)"
    cat "$TIMELINES/failover_${side}_${case}_run$pick.txt"
  } >"$TIMELINES/failover_${side}_${case}.txt"
}

declare -A RESULTS
HOST_PATH=$PATH
for side in ${BENCH_SIDES:-ours stock}; do
  # Our scripts find config/functions through CTDB_BASE and our tool on PATH; the stock
  # daemons set their own CTDB_BASE and use Debian's tool.
  if [ "$side" == ours ]; then
    export CTDB_BASE=$CTDB_SRC_DIR CTDB_SYSCONFIG=/dev/null PATH=$CTDB_BUILD_DIR:$HOST_PATH
  else
    unset CTDB_BASE CTDB_SYSCONFIG
    export PATH=$HOST_PATH
  fi
  for i in 0 1 2; do start_node "$side" "$i"; done
  for i in 0 1 2; do h_wait_ping "$side$i" || exit 1; done
  for i in 0 1 2; do service "$side" "$i"; done
  for case in $BENCH_CASES; do
    runs=()
    for ((r = 1; r <= BENCH_RUNS; r++)); do
      one_case "$side" "$case" || { h_note "$side $case run $r failed"; continue; }
      h_note "$case run $r: $side=${CASE_SECONDS}s"
      RESULTS[$side.$case]+=" $CASE_SECONDS"
      if [ -n "$TIMELINES" ]; then
        mv "$H_TMP/timeline.txt" "$TIMELINES/failover_${side}_${case}_run$r.txt"
        runs+=("$r:$CASE_SECONDS")
      fi
    done
    [ -z "$TIMELINES" ] || keep_median_timeline "$side" "$case" "${runs[@]}"
  done
  for i in 0 1 2; do h_stop_node "$side$i"; done
  for i in 0 1 2; do ip -n "${NS_NODE[$i]}" addr flush dev eth1; done
done
for case in $BENCH_CASES; do
  read -r -a o <<<"${RESULTS[ours.$case]:-}"
  read -r -a s <<<"${RESULTS[stock.$case]:-}"
  if [ ${#o[@]} == 0 ] || [ ${#s[@]} == 0 ]; then
    h_note "$case: no figure"
    continue
  fi
  awk -v c="$case" -v o="$(median "${o[@]}")" -v s="$(median "${s[@]}")" \
    'BEGIN { printf "%s ours=%s stock=%s ratio=%.2f\n", c, o, s, (o > 0 ? s / o : 0) }'
done
if [ -n "${BENCH_PLOTS:-}" ]; then
  if ! "$PY" -c 'import matplotlib' 2>/dev/null; then
    h_note "no plots: $PY cannot import matplotlib (apt-get install python3-matplotlib)"
  elif ! mkdir -p "$BENCH_PLOTS" ||
    ! "$PY" "$CTDB_SRC_DIR/tools/bench/plot_failover.py" "$TIMELINES" "$BENCH_PLOTS" >&2; then
    h_note "plot_failover.py failed; the timelines are in $TIMELINES"
  fi
fi
H_FAIL=0
H_PASS=1
exit 0
