#!/bin/bash
# Installs what the suites need, builds, and runs every suite under ctest.
# Ends with ctest's summary line.
set -eu
cd "$(dirname "$0")/.."
bash tools/setup.sh
cd build
ctest --output-on-failure -j1 --timeout 600
