#!/bin/bash
# Installs the Debian packages ctdbd needs to build, test and run, then builds
# into ./build. Safe to run again.
set -eu
cd "$(dirname "$0")/.."
PKGS="build-essential cmake pkg-config libevent-dev libtdb-dev tdb-tools libpopt-dev
      libtalloc-dev libgtest-dev googletest iproute2 procps psmisc ctdb samba smbclient
      samba-testsuite python3-impacket iptables nftables iputils-ping clang-format clang libfuzzer-14-dev
      etcd-server etcd-client pandoc python3-prometheus-client python3-matplotlib"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  # The stock ctdb and samba packages are interop oracles only, etcd a test server for the
  # etcd lock helper: keep their services off.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  if command -v systemctl >/dev/null 2>&1; then
    for unit in ctdb smbd nmbd winbind samba-ad-dc etcd; do
      $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
