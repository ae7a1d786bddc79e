#!/usr/bin/env bash
# tools/test_install.sh BUILD - `cmake --install` puts spider and spider-load
# side by side, both runnable, the man page beside them, and the systemd
# unit and its environment file; the unit passes `systemd-analyze verify`
# (where systemd is installed) without a warning.
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/spider bin/spider-load share/man/man1/spider.1 lib/systemd/system/spider.service \
  etc/spider/spider.env; do
  [ -f "$prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
# Captured first: grep -q stops reading at the match, and under pipefail the
# writer's SIGPIPE would fail the check once the help outgrows a pipe buffer.
help=$("$prefix/bin/spider" --help) && grep -q -- '--memory-limit' <<<"$help" ||
  { echo "installed spider does not run" >&2; exit 1; }
help=$("$prefix/bin/spider-load" --help) && grep -q -- '--stalled' <<<"$help" ||
  { echo "installed spider-load does not run" >&2; exit 1; }
unit="$prefix/lib/systemd/system/spider.service"
grep -q '^DynamicUser=yes$' "$unit" && grep -q '^StateDirectory=spider$' "$unit" &&
  grep -q '^ProtectSystem=strict$' "$unit" && grep -q '^NoNewPrivileges=yes$' "$unit" &&
  grep -q '^Restart=on-failure$' "$unit" ||
  { echo "spider.service lacks a setting it must have" >&2; exit 1; }
# Every line of the environment file is a comment, a blank or SPIDER_*=...,
# and each variable it names is one spider knows (or SPIDER_CONFIG).
help=$("$prefix/bin/spider" --help)
while read -r var; do
  grep -q -- " $var\$" <<<"$help" || grep -q -- " $var\b" <<<"$help" ||
    { echo "spider.env names $var, which spider does not read" >&2; exit 1; }
done < <(sed -n 's/^#\{0,1\}\(SPIDER_[A-Z_]*\)=.*/\1/p' "$prefix/etc/spider/spider.env")
if grep -v -E '^(#.*|)$|^SPIDER_[A-Z_]+=' "$prefix/etc/spider/spider.env"; then
  echo "spider.env has a line that is not a comment or SPIDER_*=" >&2
  exit 1
fi
if command -v systemd-analyze >/dev/null; then
  # The unit names the configured prefix's binary; verify it against this one.
  bin=$(sed -n 's/^ExecStart=//p' "$unit")
  sed "s|^ExecStart=.*|ExecStart=$prefix/bin/spider|" "$unit" >"$prefix/spider.service"
  out=$(systemd-analyze verify --man=no "$prefix/spider.service" 2>&1) ||
    { echo "systemd-analyze verify: $out" >&2; exit 1; }
  [ -z "$out" ] || { echo "systemd-analyze verify warns: $out" >&2; exit 1; }
  echo "spider.service verified (ExecStart=$bin)"
else
  echo "spider.service not verified: no systemd-analyze here"
fi
echo "installed: spider, spider-load, spider.1, spider.service, spider.env"
