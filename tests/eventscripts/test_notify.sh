#!/bin/bash
# Tests config/notify.sh, the example notification script: it runs every
# executable in $CTDB_BASE/notify.d/ with the event.
. "$(dirname "$0")/lib.sh"
base="$TEST_TMP/base"
mkdir -p "$base"
cp "$CONFIG_DIR/notify.sh" "$base/notify.sh"   # notify.sh finds notify.d beside itself
nd="$base/notify.d"

# handler NAME [EXIT]: a notify.d program that logs its call.
handler() {
  printf '#!/bin/bash\necho "%s $*" >>"$STUB_LOG"\nexit %s\n' "$1" "${2:-0}" >"$nd/$1"
  chmod +x "$nd/$1"
}

new_case
for ev in init setup startup healthy unhealthy; do
  run env CTDB_BASE="$base" "$CONFIG_DIR/notify.sh" "$ev"
  check "no notify.d directory: $ev exits 0" 0 "" ""
done

mkdir -p "$nd"
handler 20.snmp
handler 10.mail
handler 30.off; chmod -x "$nd/30.off"
handler 40.old~
handler 50.x.dpkg-old
mkdir "$nd/60.dir"
for ev in init setup startup healthy unhealthy; do
  : >"$STUB_LOG"
  run env CTDB_BASE="$base" "$CONFIG_DIR/notify.sh" "$ev"
  check "$ev: every executable handler runs, in name order" 0 "" "10.mail $ev
20.snmp $ev"
done

: >"$STUB_LOG"
run env -u CTDB_BASE "$base/notify.sh" unhealthy
check "CTDB_BASE unset: notify.d found beside the script" 0 "" "10.mail unhealthy
20.snmp unhealthy"

handler 15.broken 3
: >"$STUB_LOG"
run env CTDB_BASE="$base" "$CONFIG_DIR/notify.sh" unhealthy
check "a failing handler is reported, the others still run" 1 \
  "notify.sh: 15.broken failed for event unhealthy (exit code 3)" "10.mail unhealthy
15.broken unhealthy
20.snmp unhealthy"

finish
