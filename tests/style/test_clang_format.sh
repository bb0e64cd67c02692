#!/bin/bash
# Every C++ file in the repository is formatted as .clang-format says: lists the files
# clang-format would change, and fails if there are any.
src=${CTDB_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || exit 1
if ! command -v clang-format >/dev/null; then
  echo "FAIL clang-format is installed (tools/setup.sh installs it)"
  echo "0 passed, 1 failed"
  exit 1
fi
files=$(git ls-files '*.cpp' '*.h' 2>/dev/null || find src include tools tests -name '*.cpp' -o -name '*.h')
bad=0 total=0
for f in $files; do
  total=$((total + 1))
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "FAIL $f is not formatted (run: clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "$((total - bad)) passed, $bad failed"
[ "$bad" == 0 ]
