#!/bin/bash
# Installs what the suites need, builds, and runs every suite under ctest.
# Ends with ctest's summary line.
set -eu
cd "$(dirname "$0")/.."
bash tools/setup.sh
cd build
# Two tests at a time: the suites that start daemons hold a lock each (tests/CMakeLists.txt),
# so a cluster test may run beside an interop or a netns test, never beside another of its
# own suite.
ctest --output-on-failure -j"$(nproc)" --timeout 600
