#!/usr/bin/env bash
# Installs what Spider needs to build, test and benchmark, on a fresh Debian
# machine. Idempotent and quiet when everything is already there. Called by
# `make setup` (and so by `make run` / `make test`) and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: libraries we link, test/bench tools, the browser for e2e tests
# (Debian chromium, driven by playwright-core from npm: no browser download), and
# python3-statsd (a StatsD client nobody here wrote; tests run it with /usr/bin/python3),
# and prometheus (its promtool checks /metrics; a test has it scrape Spider).
# libwebsockets-evlib-ev is lws' epoll loop (a plugin lws loads at run time);
# libev-dev, the loop Spider hands it (src/net/evloop.c).
packages=(
  build-essential cmake pkg-config clang clang-format
  libwebsockets-dev libwebsockets-evlib-ev libev-dev libssl-dev openssl libcjson-dev libcmocka-dev
  zlib1g-dev libpcre2-dev
  nodejs npm wrk hyperfine curl chromium python3 python3-statsd prometheus
)

missing=()
for p in "${packages[@]}"; do
  # node/npm may come from elsewhere than Debian (e.g. preinstalled); accept a working binary.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages (pinned in package-lock.json), only when the project declares some.
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi
