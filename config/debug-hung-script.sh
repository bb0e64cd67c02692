#!/bin/bash
# Run by ctdbd when an event script times out, as "debug-hung-script.sh PID
# EVENT": prints what the hung script's process tree is doing, for the log.

[ -n "${CTDB_BASE:-}" ] || CTDB_BASE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=config/functions
. "$CTDB_BASE/functions" || exit 1

pid="$1"
event="$2"
if [ -z "$pid" ] || [ -z "$event" ]; then
  die "usage: $script_name PID EVENT"
fi

# Test hook: collect the report in a file instead of on stdout.
if [ -n "${CTDB_DEBUG_HUNG_SCRIPT_LOGFILE:-}" ]; then
  exec >>"$CTDB_DEBUG_HUNG_SCRIPT_LOGFILE" 2>&1
fi

echo "===== Start of hung script debug for PID=\"$pid\", event=\"$event\" ====="

echo "pstree -p -a $pid:"
tree=$(pstree -p -a "$pid")
echo "$tree"

# Each pstree line names one process as "NAME,PID ARGS" after the tree art;
# the kernel stack shows where it sleeps (e.g. in a cluster filesystem).
echo "$tree" | sed -E -n 's/^[^,]*,([0-9]+)( .*)?$/\1/p' | while read -r p; do
  if stack=$(cat "$CTDB_PROC_DIR/$p/stack" 2>/dev/null); then
    echo "---- Kernel stack of PID $p ($(cat "$CTDB_PROC_DIR/$p/comm" 2>/dev/null)) ----"
    echo "$stack"
  fi
done

# The init event runs before the daemon answers controls.
if [ "$event" != "init" ]; then
  echo "---- ctdb scriptstatus $event: ----"
  $CTDB scriptstatus "$event"
fi

echo "===== End of hung script debug for PID=\"$pid\", event=\"$event\" ====="
