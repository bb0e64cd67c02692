#!/bin/bash
# Installs what the suites need, builds, and runs every suite under ctest.
# Ends with ctest's summary line.
set -eu
cd "$(dirname "$0")/.."
bash tools/setup.sh
cd build
# Unit and event script tests run side by side; every suite that starts daemons is
# RUN_SERIAL (tests/CMakeLists.txt), so it always runs alone.
ctest --output-on-failure -j"$(nproc)" --timeout 600
