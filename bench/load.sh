#!/usr/bin/env bash
# bench/load.sh BUILD [SECONDS] [ingest|fanout] - figures measured with spider-load:
#  1. ingest throughput, posters back to back (1 / 4 / 16 keep-alive
#     connections) with ~64 KiB and ~1 MiB batches; three runs each, the
#     median printed;
#  2. live fan-out: 1,000 / 5,000 / 10,000 dashboards at 1 Hz (3 runs), each
#     subscribed to 5 of 100 series that receive 20 samples/s each; server
#     CPU and RSS, probe post-to-update latency; then 1,000 and 10,000 that
#     also show a live roll-up of 20 series.
# Each run starts a fresh spider with its defaults on a free loopback port.
set -euo pipefail
build=${1:-build}
seconds=${2:-10}
parts=${3:-ingest,fanout} # or one of them
cd "$(dirname "$0")/.."
spider="$build/spider"
load="$build/spider-load"
json=$(mktemp)
log=$(mktemp)
pid=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
trap 'stop; rm -f "$json" "$log"' EXIT

start() {
  "$spider" --listen 127.0.0.1:0 --statsd-listen off --otlp-listen off "$@" 2>"$log" &
  pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log" | head -1)
    [ -n "$port" ] && return
    sleep 0.1
  done
  echo "spider did not start" >&2
  exit 1
}

field() { node -e "const d=JSON.parse(require('fs').readFileSync('$json'));console.log($1)"; }

if [[ $parts == *ingest* ]]; then
echo "== ingest, posters back to back (samples/s accepted; median of 3 runs of ${seconds} s)"
for samples in 650 10000; do
  size=$([ "$samples" = 650 ] && echo "64 KiB" || echo "1 MiB")
  for posters in 1 4 16; do
    runs=()
    for _ in 1 2 3; do
      start
      "$load" --server "127.0.0.1:$port" --duration "${seconds}s" --posters "$posters" \
        --series 20 --samples "$samples" --post-rate 0 --quiet \
        --json "$json" --pid "$pid" >/dev/null
      runs+=("$(field 'Math.round(d.posts.samples_per_s)') $(field 'd.posts.failed') $(field 'd.posts.latency_ms.p99')")
      stop
    done
    median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
    read -r rate failed p99 <<<"$median"
    echo "ingest batch=${size} posters=${posters}: ${rate} samples/s (runs: $(printf '%s\n' "${runs[@]}" | cut -d' ' -f1 | sort -n | xargs)), post p99 ${p99} ms, ${failed} failed"
  done
done

fi

if [[ $parts == *fanout* ]]; then
echo "== live fan-out (summary of 100 series + detail of 5 subscribed, 20 samples/s each; 3 runs of $((seconds * 3)) s)"
# CPU: the median of the per-second samples after the first third (the
# connections are opened at the start, which costs more than the ticks).
steady_cpu='(()=>{const s=d.server_process.samples.filter(x=>x[0]>=d.elapsed_s/3).map(x=>x[2]).sort((a,b)=>a-b);return s[s.length>>1].toFixed(1)})()'
# One run of n dashboards; extra spider-load arguments after n.
fanout_run() {
  local n=$1 label=$2
  shift 2
  start
  "$load" --server "127.0.0.1:$port" --duration "$((seconds * 3))s" --posters 5 --series 20 \
    --samples 20 --post-rate 1 --prefix fan --live "$n" \
    --subscribe fan.p0.s0,fan.p0.s1,fan.p0.s2,fan.p0.s3,fan.p0.s4 --json "$json" --pid "$pid" \
    --quiet "$@" >/dev/null || true
  echo "${label} dashboards=${n} run=${run}: server CPU $(field "$steady_cpu")% of a core (steady)," \
    "RSS peak $(field '(d.server_process.rss_max_bytes/1048576).toFixed(1)') MiB" \
    "($(field '((d.server_process.rss_max_bytes-d.server_process.rss_start_bytes)/1024/'"$n"').toFixed(1)') KiB per dashboard)," \
    "updates/s $(field 'Math.round(d.dashboards.live.updates/d.elapsed_s)')," \
    "messages/s $(field 'Math.round((d.dashboards.live.updates+d.dashboards.live.other_messages)/d.elapsed_s)')," \
    "roll-up messages/s $(field 'Math.round(d.dashboards.live.rollup_messages/d.elapsed_s)')," \
    "delivery lag p99 $(field 'd.dashboards.live.lag_ms.p99') ms," \
    "probe per dashboard p50 $(field 'd.probe.per_dashboard_ms.p50') p99 $(field 'd.probe.per_dashboard_ms.p99') ms," \
    "all dashboards p99 $(field 'd.probe.all_live_ms.p99') ms," \
    "missed ticks $(field 'd.dashboards.live.missed_ticks'), opened $(field 'd.dashboards.live.opened')/${n}"
  stop
}
for n in 1000 5000 10000; do
  for run in 1 2 3; do fanout_run "$n" fanout; done
done
# The same, each dashboard also showing a live roll-up that merges 20 series
# (one message per update, encoded once per push group and tick).
for n in 1000 10000; do
  for run in 1 2 3; do fanout_run "$n" "fanout+rollup" --rollup '{__name__=~"fan[.]p0[.].*"}'; done
done
fi
