#!/usr/bin/env bash
# bench/evloop.sh BUILD [DASHBOARDS] [RUNS] [SECONDS] [SPIDER...] - the event
# loop's cost (issue #15, part 1): server CPU with N dashboards connected,
#   idle:   no posts, no probes (each dashboard still gets its update a tick);
#   active: the fan-out scenario of bench/load.sh (5 posters x 20 series x 20
#           samples at 1 Hz, each dashboard subscribed to 5 of them, probes).
# CPU is utime + stime of /proc/PID/stat over a fixed window of SECONDS that
# starts once every dashboard is connected (the connection phase is not
# counted), as % of one core; RUNS runs per binary and scenario, the median
# printed with the runs. SPIDER... are "path[:extra flags]" (default
# BUILD/spider, then BUILD/spider with --event-loop poll), so one run compares
# the loops on the same, noisy machine. CONNECT_RATE (2000) and LOAD_ARGS
# (e.g. "--source-ips 4" for 50,000) go to spider-load.
set -euo pipefail
build=${1:-build}
n=${2:-10000}
runs=${3:-3}
seconds=${4:-20}
shift $(($# < 4 ? $# : 4))
cd "$(dirname "$0")/.."
load="$build/spider-load"
binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=("$build/spider" "$build/spider:--event-loop poll")
json=$(mktemp)
log=$(mktemp)
pid=
lpid=
stop() {
  [ -n "$lpid" ] && kill "$lpid" 2>/dev/null && wait "$lpid" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  pid= lpid=
  return 0
}
trap 'stop; rm -f "$json" "$log"' EXIT
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
field() { node -e "const d=JSON.parse(require('fs').readFileSync('$json'));console.log($1)"; }

for b in "${binaries[@]}"; do
  bin=${b%%:*}
  extra=$([ "$b" != "$bin" ] && echo "${b#*:}" || true)
  for scenario in idle active; do
    cpus=()
    for run in $(seq "$runs"); do
      # shellcheck disable=SC2086
      "$bin" --listen 127.0.0.1:0 --statsd-listen off --otlp-listen off $extra 2>"$log" &
      pid=$!
      port=
      for _ in $(seq 100); do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
      done
      [ -n "$port" ] || { echo "spider did not start: $(cat "$log")" >&2; exit 1; }
      if [ $scenario = idle ]; then
        args=(--probe-interval 0ms)
      else
        args=(--posters 5 --series 20 --samples 20 --post-rate 1 --prefix fan
          --subscribe fan.p0.s0,fan.p0.s1,fan.p0.s2,fan.p0.s3,fan.p0.s4)
      fi
      "$load" --server "127.0.0.1:$port" --duration "$((seconds + 40))s" --live "$n" --connect-rate "${CONNECT_RATE:-2000}" ${LOAD_ARGS:-} "${args[@]}" \
        --json "$json" --pid "$pid" --quiet >/dev/null &
      lpid=$!
      # Until every dashboard is connected, or the count has not moved for
      # 2 s (a few may be refused at accept during the burst: counted by
      # spider-load), at most 30 s.
      c=0 same=0
      for _ in $(seq 300); do
        now=$(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^spider_ws_clients \([0-9]*\)$/\1/p')
        if [ "${now:-0}" -gt 0 ] && [ "${now:-0}" = "$c" ]; then same=$((same + 1)); else same=0; fi
        c=${now:-0}
        [ "$c" -ge "$n" ] || [ $same -ge 20 ] && break
        sleep 0.1
      done
      sleep 2
      t0=$(ticks "$pid")
      sleep "$seconds"
      t1=$(ticks "$pid")
      cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$seconds" 'BEGIN{printf "%.1f", (b-a)/hz/s*100}')
      wait "$lpid" || true
      lpid=
      line="$(basename "$bin")${extra:+ $extra} $scenario dashboards=$n run=$run: server CPU ${cpu}% of a core over ${seconds} s (clients ${c:-0})"
      if [ $scenario = active ]; then
        line+=", RSS $(field '((d.server_process.rss_max_bytes-d.server_process.rss_start_bytes)/1024/'"$n"').toFixed(1)') KiB per dashboard"
        line+=", probe p99 all dashboards $(field 'd.probe.all_live_ms.p99') ms"
        line+=", missed ticks $(field 'd.dashboards.live.missed_ticks')"
      fi
      echo "$line"
      cpus+=("$cpu")
      stop
    done
    echo "== $(basename "$bin")${extra:+ $extra} $scenario dashboards=$n: median $(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")% [$(printf '%s\n' "${cpus[@]}" | sort -n | xargs)]"
  done
done
