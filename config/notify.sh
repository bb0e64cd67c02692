#!/bin/bash
# Example notification script (ctdbd --notification-script): runs each
# executable in $CTDB_BASE/notify.d/ with the event as its only argument.
#
# Events: init, setup, startup, healthy, unhealthy. Drop small programs into
# notify.d/ to send mail or SNMP traps; for example notify.d/50.mail:
#   #!/bin/sh
#   [ "$1" = unhealthy ] && mail -s "$(hostname): CTDB node UNHEALTHY" root </dev/null

[ -n "${CTDB_BASE:-}" ] || CTDB_BASE=$(cd "$(dirname "$0")" && pwd)
dir="$CTDB_BASE/notify.d"
[ -d "$dir" ] || exit 0

rc=0
for prog in "$dir"/*; do
  # Editor and package-manager leftovers are not handlers.
  case "$prog" in *~ | *.rpmsave | *.rpmnew | *.dpkg-* | *.swp) continue ;; esac
  if [ ! -f "$prog" ] || [ ! -x "$prog" ]; then continue; fi
  "$prog" "$1" || {
    echo "notify.sh: ${prog##*/} failed for event $1 (exit code $?)" >&2
    rc=1
  }
done
exit "$rc"
