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
"$prefix/bin/spider" --help | grep -q -- '--memory-limit' || { echo "installed spider does not run" >&2; exit 1; }
"$prefix/bin/spider-load" --help | grep -q -- '--stalled' || { echo "installed spider-load does not run" >&2; exit 1; }
echo "installed: spider, spider-load, spider.1"
