#!/bin/bash
# The Debian package (cpack -G DEB from CTDB_BUILD_DIR): its file list in Debian's paths, its
# control fields (Conflicts/Replaces/Provides ctdb, computed Depends, conffiles, postinst), the
# systemd unit, the man pages; then the package extracted into a temp root and its ctdbd started
# as Debian's unit starts it (no options, CTDB_TEST_MODE, CTDB_BASE = <root>/etc/ctdb with the
# event scripts enabled by symlinks), checked with the extracted ctdb and onnode, and shut down.
# Uses only 127.0.26.1.
source "$(dirname "$0")/../lib/harness.sh"

ADDR=127.0.26.1
CPACK_CONFIG=$CTDB_BUILD_DIR/CPackConfig.cmake
for tool in cpack dpkg-deb; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done

h_init package
if [ ! -r "$CPACK_CONFIG" ]; then
  fail "the build directory has a CPack configuration" "missing: $CPACK_CONFIG"
  h_finish
fi

# ---- build the package (into the temp dir; the build directory is only read)
out=$(cd "$H_TMP" && cpack --config "$CPACK_CONFIG" -G DEB -B "$H_TMP/cpack" 2>&1)
rc=$?
deb=$(ls "$H_TMP"/cpack/*.deb 2>/dev/null | head -n 1)
if [ "$rc" != 0 ] || [ -z "$deb" ]; then
  fail "cpack builds a .deb" "exit $rc" "$out"
  h_finish
fi
pass "cpack builds ${deb##*/}"
rm -rf "$H_TMP/cpack/_CPack_Packages"

# ---- the file list
contents=$(dpkg-deb -c "$deb" | awk '{ print $1, $6 }')
# has_file MODE PATH: PATH is in the package with permissions MODE (e.g. -rwxr-xr-x).
has_file() {
  local mode=$1 path=$2
  if grep -qxF -e "$mode .$path" <<<"$contents"; then
    pass "package has $path ($mode)"
  else
    fail "package has $path ($mode)" "listed as: $(grep -F -e " .$path" <<<"$contents")"
  fi
}
X=-rwxr-xr-x
R=-rw-r--r--
has_file $X /usr/sbin/ctdbd
has_file $X /usr/bin/ctdb
has_file $X /usr/bin/onnode
has_file $X /usr/libexec/ctdb/ctdb_ipalloc
has_file $X /usr/libexec/ctdb/ctdb_mutex_fcntl_helper
has_file $X /usr/libexec/ctdb/ctdb_etcd_lock
for script in "$CTDB_SRC_DIR"/events.d/[0-9][0-9].*; do
  has_file $X "/usr/share/ctdb/events/legacy/${script##*/}.script"
done
has_file $R /etc/ctdb/functions
for f in notify.sh debug-hung-script.sh nfs-linux-kernel-callout statd-callout; do
  has_file $X "/etc/ctdb/$f"
done
has_file $R /etc/ctdb/nfs-checks.d/README
has_file $X /etc/init.d/ctdb
has_file $R /lib/systemd/system/ctdb.service
for f in nodes.example public_addresses.example ctdb.sysconfig; do
  has_file $R "/usr/share/doc/ctdbd/examples/$f"
done
has_file $R /usr/share/doc/ctdbd/MIGRATION.md
has_file $R /usr/share/doc/ctdbd/JSON.md
has_file $R /usr/share/doc/ctdbd/METRICS.md
for page in man1/ctdbd.1 man1/ctdb.1 man1/onnode.1 man5/ctdb.conf.5 man7/ctdb-tunables.7; do
  has_file $R "/usr/share/man/$page.gz"
done
for d in /etc/ctdb/events/legacy/ /var/lib/ctdb/volatile/ /var/lib/ctdb/persistent/ \
  /var/lib/ctdb/state/ /var/log/ctdb/; do
  has_file drwxr-xr-x "$d"
done
assert_eq "nothing under /usr/local or a build path" "" \
  "$(grep -E ' \./usr/local|/work/|/build' <<<"$contents")"

# ---- control fields
field() { dpkg-deb -f "$deb" "$1"; }
assert_eq "Package" "ctdbd-compat" "$(field Package)"
assert_eq "Conflicts" "ctdb" "$(field Conflicts)"
assert_eq "Replaces" "ctdb" "$(field Replaces)"
assert_eq "Provides" "ctdb" "$(field Provides)"
depends=$(field Depends)
for dep in "python3" "iproute2" "tdb-tools" "libtdb1 (>=" "libevent-2.1-7 (>=" "libpopt0 (>="; do
  assert_contains "Depends has $dep (computed libraries and the helpers' needs)" "$depends" "$dep"
done
info=$(dpkg-deb -I "$deb")
assert_contains "dpkg-deb -I shows Conflicts: ctdb" "$info" " Conflicts: ctdb"
assert_contains "dpkg-deb -I shows Replaces: ctdb" "$info" " Replaces: ctdb"
mkdir -p "$H_TMP/control"
dpkg-deb -e "$deb" "$H_TMP/control"
conffiles=$(cat "$H_TMP/control/conffiles" 2>/dev/null)
for f in /etc/init.d/ctdb /etc/ctdb/functions /etc/ctdb/notify.sh /etc/ctdb/debug-hung-script.sh \
  /etc/ctdb/nfs-linux-kernel-callout /etc/ctdb/statd-callout /etc/ctdb/nfs-checks.d/README; do
  assert_contains "conffiles lists $f" "$conffiles" "$f"
done
# Every conffile is in the package, and every file of the package in /etc is a conffile.
etc_files=$(awk '$1 !~ /^d/ && $2 ~ /^\.\/etc\// { print substr($2, 2) }' <<<"$contents" | sort)
assert_eq "the conffiles are exactly the package's files in /etc" "$etc_files" \
  "$(sort <<<"$conffiles")"
check "postinst is executable and valid sh" eval "[ -x '$H_TMP/control/postinst' ] && sh -n '$H_TMP/control/postinst'"
assert_contains "postinst enables 00.ctdb as Debian's does" "$(cat "$H_TMP/control/postinst")" \
  'ln -s "/usr/share/ctdb/events/legacy/$s.script" "$legacy/$s.script"'

# ---- extract
root=$H_TMP/root
dpkg-deb -x "$deb" "$root" || fail "dpkg-deb -x"
unit=$(cat "$root/lib/systemd/system/ctdb.service")
for line in "Type=forking" "ExecStart=/usr/sbin/ctdbd" "PIDFile=/run/ctdb/ctdbd.pid" \
  "ExecStop=/usr/bin/ctdb shutdown" "RuntimeDirectory=ctdb"; do
  check "ctdb.service has $line (as Debian's)" grep -qxF "$line" <<<"$unit"
done
if [ -r /lib/systemd/system/ctdb.service ] && dpkg -S /lib/systemd/system/ctdb.service 2>/dev/null |
  grep -q '^ctdb:'; then
  stock=$(grep -E '^(Type|ExecStart|ExecStop|PIDFile|RuntimeDirectory)=' \
    /lib/systemd/system/ctdb.service | sort)
  ours=$(grep -E '^(Type|ExecStart|ExecStop|PIDFile|RuntimeDirectory)=' <<<"$unit" | sort)
  assert_eq "ctdb.service starts and stops ctdbd as Debian's installed unit does" "$stock" "$ours"
fi

# The man pages render (man -l reads the gzipped troff), with ASCII option dashes.
zcat "$root/usr/share/man/man1/ctdbd.1.gz" >"$H_TMP/ctdbd.1"
check "ctdbd.1 is troff with its title" grep -q '^\.TH "CTDBD" "1"' "$H_TMP/ctdbd.1"
if command -v man >/dev/null 2>&1; then
  for page in man1/ctdbd.1 man1/ctdb.1 man1/onnode.1 man5/ctdb.conf.5 man7/ctdb-tunables.7; do
    text=$(MANWIDTH=100 man -l "$root/usr/share/man/$page.gz" 2>&1)
    name=${page#man?/}
    upper=$(tr '[:lower:]' '[:upper:]' <<<"${name%.*}")
    assert_contains "man -l $name renders its header" "$text" "$upper(${name##*.})"
  done
  text=$(MANWIDTH=100 man -l "$root/usr/share/man/man1/ctdbd.1.gz" 2>&1)
  assert_contains "ctdbd.1 documents --reclock with ASCII dashes" "$text" "--reclock=LOCK"
  assert_contains "ctdbd.1 documents CTDB_TEST_MODE" "$text" "CTDB_TEST_MODE"
else
  h_note "man is not installed: the pages were only checked as troff"
fi

# ---- run the extracted daemon as Debian's unit does
base=$root/etc/ctdb
mkdir -p "$base/events/legacy" "$root/var/lib/ctdb/scripts"
echo "$ADDR" >"$base/nodes"
cat >"$base/ctdb.conf" <<EOF
# written by test_package.sh: everything inside the extracted root
[logging]
	location = file:$root/var/log/ctdb/log.ctdb
	log level = NOTICE
[cluster]
	node address = $ADDR
[database]
	volatile database directory = $root/var/lib/ctdb/volatile
	persistent database directory = $root/var/lib/ctdb/persistent
	state database directory = $root/var/lib/ctdb/state
EOF
# What the package's postinst does in /etc/ctdb/events/legacy, here inside the root.
for s in 00.ctdb 10.interface; do
  ln -s "$root/usr/share/ctdb/events/legacy/$s.script" "$base/events/legacy/$s.script"
done
# The scripts' own settings (the sysconfig): keep 00.ctdb's checks and state inside the root,
# and a tunable for its setup event to apply.
mkdir -p "$root/etc/default"
printf 'CTDB_DBDIR_PERSISTENT=%s\nCTDB_SCRIPT_VARDIR=%s\nCTDB_SET_TickleUpdateInterval=21\n' \
  "$root/var/lib/ctdb/persistent" "$root/var/lib/ctdb/scripts" >"$root/etc/default/ctdb"

# pkg_env CMD...: CMD with the node's environment and the extracted programs first on PATH.
pkg_env() {
  env CTDB_TEST_MODE=yes CTDB_BASE="$base" CTDB_SYSCONFIG="$root/etc/default/ctdb" \
    PATH="$root/usr/bin:$root/usr/sbin:$PATH" "$@"
}
assert_contains "extracted ctdbd --dump-config reads ctdb.conf from CTDB_BASE" \
  "$(pkg_env "$root/usr/sbin/ctdbd" --dump-config 2>&1)" "node address = $ADDR"

out=$(cd / && pkg_env timeout 60 "$root/usr/sbin/ctdbd" 2>&1 </dev/null)
rc=$?
assert_eq "extracted ctdbd with no options detaches and exits 0" 0 "$rc"
[ -z "$out" ] || h_note "ctdbd printed: $out"
pid=$(cat "$base/run/ctdbd.pid" 2>/dev/null)
if [ -z "$pid" ] || ! h_pid_running "$pid"; then
  fail "run/ctdbd.pid names the running daemon" "pid file: '$pid'" \
    "$(tail -n 20 "$root/var/log/ctdb/log.ctdb" 2>/dev/null)"
  h_finish
fi
_h_register pkg ours "$ADDR" "$base" "$base/run/ctdbd.socket" "$root/var/log/ctdb/log.ctdb" \
  /dev/null "$pid"
check "the daemon is the extracted binary" \
  [ "$(readlink "/proc/$pid/exe")" == "$root/usr/sbin/ctdbd" ]

tool() { pkg_env timeout 20 "$root/usr/bin/ctdb" "$@"; }
check "the extracted ctdb shows the node OK" \
  wait_for "tool status 2>/dev/null | grep -qx 'pnn:0 $ADDR *OK (THIS NODE)'" 45 0.2
status=$(tool status 2>&1)
assert_contains "status: recovery mode NORMAL" "$status" "Recovery mode:NORMAL (0)"
assert_contains "status: this node leads" "$status" "Leader:0"
assert_eq "nodestatus exits 0" 0 "$(tool nodestatus >/dev/null 2>&1; echo $?)"
assert_eq "runstate" RUNNING "$(tool runstate 2>&1)"
check "the packaged event scripts ran for monitor" \
  wait_for "tool scriptstatus 2>/dev/null | grep -q '^10.interface *Status:OK'" 45 0.2
scripts=$(tool scriptstatus 2>&1)
assert_contains "scriptstatus: 00.ctdb (from events/legacy/00.ctdb.script) OK" "$scripts" \
  "00.ctdb              Status:OK"
assert_eq "scriptstatus lists only the enabled scripts" "2" \
  "$(grep -c 'Status:' <<<"$scripts")"
assert_eq "00.ctdb's setup applied CTDB_SET_TickleUpdateInterval from the sysconfig" \
  "TickleUpdateInterval = 21" "$(tool getvar TickleUpdateInterval 2>&1 | tr -s " ")"

# onnode from the package: `ok` asks the extracted ctdb; a local transport runs the command.
printf '#!/bin/bash\n[ "$1" != -n ] || shift\nshift\nexec bash -c "$*"\n' >"$H_TMP/localssh"
chmod +x "$H_TMP/localssh"
assert_eq "extracted onnode runs on the OK node" "on $ADDR" \
  "$(pkg_env ONNODE_SSH="$H_TMP/localssh" CTDB="$root/usr/bin/ctdb" "$root/usr/bin/onnode" \
    ok "echo on $ADDR" 2>&1)"

# ---- shut down as the unit's ExecStop does
assert_eq "ctdb shutdown exits 0" 0 "$(tool shutdown >/dev/null 2>&1; echo $?)"
check "the daemon goes away" wait_for "! h_pid_running $pid" 30
check "its pid file is removed" [ ! -e "$base/run/ctdbd.pid" ]
assert_contains "its log ends with the shutdown" "$(tail -n 3 "$root/var/log/ctdb/log.ctdb")" \
  "Shutdown sequence complete"
h_finish
