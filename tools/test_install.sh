#!/usr/bin/env bash
# tools/test_install.sh BUILD - `cmake --install` puts spider and spider-load
# side by side, both runnable, and the man page beside them.
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/spider bin/spider-load share/man/man1/spider.1; do
  [ -f "$prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
# Captured first: grep -q stops reading at the match, and under pipefail the
# writer's SIGPIPE would fail the check once the help outgrows a pipe buffer.
help=$("$prefix/bin/spider" --help) && grep -q -- '--memory-limit' <<<"$help" ||
  { echo "installed spider does not run" >&2; exit 1; }
help=$("$prefix/bin/spider-load" --help) && grep -q -- '--stalled' <<<"$help" ||
  { echo "installed spider-load does not run" >&2; exit 1; }
echo "installed: spider, spider-load, spider.1"
