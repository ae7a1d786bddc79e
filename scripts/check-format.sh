#!/usr/bin/env bash
# Fails if any C file differs from what clang-format (with .clang-format) makes of it.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests fuzz bench tools -name '*.[ch]')
bad=0
for f in $files; do
  [ -f "$f" ] || continue
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (run: make format)"
    bad=1
  fi
done
[ $bad -eq 0 ] && echo "format: $(echo "$files" | wc -w) files checked, all formatted"
exit $bad
